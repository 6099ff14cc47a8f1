/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The thin libnm VPN editor plugin, libnm-vpn-plugin-cunicu.so: what nmcli,
 * GNOME Settings and nm-connection-editor load through the .name file. It
 * has no GTK: capabilities, wg-quick import and export, the suggested file
 * name, and, when asked for an editor, loading the GTK4 editor library from
 * its own directory.
 *
 * The contract with the editor library (libnm-gtk4-vpn-plugin-cunicu-editor.so,
 * installed next to this one): it exports
 *
 *   NMVpnEditor *nm_vpn_editor_factory_cunicu (NMVpnEditorPlugin *editor_plugin,
 *                                               NMConnection *connection,
 *                                               GError **error);
 *
 * which returns a new NMVpnEditor for @connection, or NULL with @error set.
 * The library is loaded once and never unloaded (it registers GTypes).
 */
#ifndef NM_CUNICU_EDITOR_PLUGIN_H
#define NM_CUNICU_EDITOR_PLUGIN_H

#include <NetworkManager.h>

#define NCU_EDITOR_MODULE_NAME  "libnm-gtk4-vpn-plugin-cunicu-editor.so"
#define NCU_EDITOR_FACTORY_NAME "nm_vpn_editor_factory_cunicu"

#define NCU_TYPE_EDITOR_PLUGIN (ncu_editor_plugin_get_type ())
G_DECLARE_FINAL_TYPE (NcuEditorPlugin, ncu_editor_plugin, NCU, EDITOR_PLUGIN, GObject)

/* The file name export suggests for a connection named @id: "<id>.conf"
 * with anything but letters, digits, '.', '-' and '_' replaced by '_'. */
char *ncu_editor_plugin_suggest_filename (const char *id);

/* The one symbol the library exports (see libnm-vpn-plugin-cunicu.ver). */
NMVpnEditorPlugin *nm_vpn_editor_plugin_factory (GError **error);

#endif /* NM_CUNICU_EDITOR_PLUGIN_H */
