/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NMVpnServicePlugin subclass: NetworkManager's Connect and Disconnect
 * land here. Connect validates the profile and returns at once; the tunnel
 * is set up from the main loop and reported with Config/Ip4Config/Ip6Config.
 */
#ifndef NCU_PLUGIN_H
#define NCU_PLUGIN_H

#include <NetworkManager.h>

#define NCU_TYPE_PLUGIN (ncu_plugin_get_type ())
G_DECLARE_FINAL_TYPE (NcuPlugin, ncu_plugin, NCU, PLUGIN, NMVpnServicePlugin)

NcuPlugin *ncu_plugin_new (const char *bus_name, GError **error);

/* Tears the tunnel down (SIGTERM, NetworkManager gone). Idempotent. */
void ncu_plugin_stop (NcuPlugin *self);

#endif /* NCU_PLUGIN_H */
