/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status D-Bus API: object NCU_STATUS_PATH on the service's own bus
 * name, interface NCU_STATUS_INTERFACE, one method:
 *
 *   GetStatus () -> (a{sv} status)
 *
 * status: "interface" s, "signaling" a{sv}, "peers" aa{sv}; nm-cunicu-status
 * reads it from every org.freedesktop.NetworkManager.cunicu.* name.
 */
#ifndef NCU_STATUS_H
#define NCU_STATUS_H

#include <gio/gio.h>

#define NCU_STATUS_PATH      "/org/freedesktop/NetworkManager/cunicu/Status"
#define NCU_STATUS_INTERFACE "org.freedesktop.NetworkManager.cunicu.Status"

typedef struct _NcuStatus NcuStatus;
/* Returns a new (floating or full) a{sv}. */
typedef GVariant *(*NcuStatusProvider) (gpointer user_data);

NcuStatus *ncu_status_new (GDBusConnection *bus, NcuStatusProvider provider, gpointer user_data);
void ncu_status_free (NcuStatus *status);

#endif /* NCU_STATUS_H */
