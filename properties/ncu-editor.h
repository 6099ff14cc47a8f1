/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GTK4 editor of a cunicu VPN profile: the widget GNOME Settings shows.
 * An NcuEditor implements NMVpnEditor; the thin libnm plugin
 * (libnm-vpn-plugin-cunicu.so) loads this library from its own directory
 * and calls nm_vpn_editor_factory_cunicu(), the only exported symbol.
 */
#ifndef NCU_EDITOR_H
#define NCU_EDITOR_H

#include <NetworkManager.h>

#define NCU_TYPE_EDITOR (ncu_editor_get_type ())
G_DECLARE_FINAL_TYPE (NcuEditor, ncu_editor, NCU, EDITOR, GObject)

/* The factory the libnm plugin looks up with dlsym(). */
typedef NMVpnEditor *(*NcuEditorFactory) (NMVpnEditorPlugin *editor_plugin,
                                          NMConnection *connection, GError **error);

NMVpnEditor *nm_vpn_editor_factory_cunicu (NMVpnEditorPlugin *editor_plugin,
                                           NMConnection *connection, GError **error);

#endif /* NCU_EDITOR_H */
