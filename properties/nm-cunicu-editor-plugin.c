/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gmodule.h>

#include "ncu-schema.h"
#include "ncu-connection.h"
#include "ncu-export.h"
#include "ncu-import.h"
#include "nm-cunicu-editor-plugin.h"

struct _NcuEditorPlugin {
	GObject parent;
};

enum {
	PROP_0,
	PROP_NAME,
	PROP_DESCRIPTION,
	PROP_SERVICE,
};

typedef NMVpnEditor *(*EditorFactory) (NMVpnEditorPlugin *editor_plugin,
                                       NMConnection *connection, GError **error);

static void ncu_editor_plugin_iface_init (NMVpnEditorPluginInterface *iface);

G_DEFINE_TYPE_WITH_CODE (NcuEditorPlugin, ncu_editor_plugin, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (NM_TYPE_VPN_EDITOR_PLUGIN,
                                                ncu_editor_plugin_iface_init))

/* --- import / export ---------------------------------------------------- */

/* The connection id: the file's name without ".conf", as wg-quick names
 * its interface after the file. */
static char *
id_from_path (const char *path)
{
	g_autofree char *base = g_filename_display_basename (path);
	gsize len = strlen (base);

	if (len >= 5 && g_ascii_strcasecmp (base + len - 5, ".conf") == 0)
		base[len - 5] = '\0';
	return g_steal_pointer (&base);
}

static gboolean
read_file (const char *path, char **contents, gsize *len, GError **error)
{
	GStatBuf st;

	/* Check the size first: a huge file is refused without reading it. */
	if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > NCU_IMPORT_MAX_SIZE) {
		g_set_error (error, NCU_ERROR, NCU_ERROR_FAILED,
		             _("the file is larger than %u bytes"), (guint) NCU_IMPORT_MAX_SIZE);
		return FALSE;
	}
	return g_file_get_contents (path, contents, len, error);
}

static NMConnection *
import_from_file (NMVpnEditorPlugin *plugin, const char *path, GError **error)
{
	g_autoptr (NcuWgConf) conf = NULL;
	g_autofree char *id = NULL;
	char *contents = NULL;
	gsize len = 0;

	if (!read_file (path, &contents, &len, error))
		return NULL;
	conf = ncu_import_parse (contents, len, error);
	/* The file holds keys: wipe our copy. */
	ncu_wgconf_secret_free (contents);
	if (!conf)
		return NULL;

	id = id_from_path (path);
	for (guint i = 0; i < conf->warnings->len; i++)
		g_message ("%s: %s", id, (const char *) conf->warnings->pdata[i]);
	return ncu_connection_from_wgconf (conf, id[0] ? id : "cunicu", error);
}

static gboolean
export_to_file (NMVpnEditorPlugin *plugin, const char *path, NMConnection *connection,
                GError **error)
{
	g_autoptr (NcuWgConf) conf = NULL;
	char *text;
	gboolean ok;

	conf = ncu_connection_to_wgconf (connection, error);
	if (!conf)
		return FALSE;
	text = ncu_export_write (conf, error);
	if (!text)
		return FALSE;
	/* Private keys inside: readable by the owner only, and never a
	 * half-written file. */
	ok = g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
	ncu_wgconf_secret_free (text);
	return ok;
}

char *
ncu_editor_plugin_suggest_filename (const char *id)
{
	GString *name = g_string_new (NULL);

	for (const char *c = id ? id : ""; *c && name->len < 200; c = g_utf8_next_char (c)) {
		gunichar ch = g_utf8_get_char_validated (c, -1);

		if (ch == (gunichar) -1 || ch == (gunichar) -2)
			break;
		if (g_unichar_isalnum (ch) || ch == '-' || ch == '_' || (ch == '.' && name->len > 0))
			g_string_append_unichar (name, ch);
		else
			g_string_append_c (name, '_');
	}
	if (name->len == 0)
		g_string_append (name, "cunicu");
	g_string_append (name, ".conf");
	return g_string_free (name, FALSE);
}

static char *
get_suggested_filename (NMVpnEditorPlugin *plugin, NMConnection *connection)
{
	return ncu_editor_plugin_suggest_filename (nm_connection_get_id (connection));
}

static NMVpnEditorPluginCapability
get_capabilities (NMVpnEditorPlugin *plugin)
{
	return NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT
	       | NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT
	       | NM_VPN_EDITOR_PLUGIN_CAPABILITY_IPV6;
}

/* --- the GTK4 editor ---------------------------------------------------- */

/* Our editor is GTK 4: loading it into a GTK 3 program (nm-connection-editor)
 * would abort that program, so refuse with a message instead. */
static gboolean
process_uses_gtk3 (void)
{
	void *gtk3 = dlopen ("libgtk-3.so.0", RTLD_LAZY | RTLD_NOLOAD);

	if (!gtk3)
		return FALSE;
	dlclose (gtk3);
	return TRUE;
}

/* The editor library next to this one, under the rule libnm applies to
 * plugins: owned by root or by us, not writable by group or others. */
static char *
editor_module_path (GError **error)
{
	g_autofree char *dir = NULL;
	char *path;
	GStatBuf st;
	Dl_info info;

	if (!dladdr ((void *) editor_module_path, &info) || !info.dli_fname) {
		g_set_error_literal (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
		                     _("cannot find the directory of the cunicu plugin"));
		return NULL;
	}
	dir = g_path_get_dirname (info.dli_fname);
	path = g_build_filename (dir, NCU_EDITOR_MODULE_NAME, NULL);
	if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode)) {
		g_set_error (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
		             _("the cunicu editor %s is not installed"), path);
		g_free (path);
		return NULL;
	}
	if ((st.st_uid != 0 && st.st_uid != getuid ()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		g_set_error (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
		             _("the cunicu editor %s must be owned by root and writable only by its owner"),
		             path);
		g_free (path);
		return NULL;
	}
	return path;
}

/* Loaded once, never unloaded: the library registers GTypes. */
static EditorFactory
load_editor_factory (GError **error)
{
	static EditorFactory factory;
	g_autofree char *path = NULL;
	void *module;

	if (factory)
		return factory;
	if (process_uses_gtk3 ()) {
		g_set_error_literal (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
		                     _("the cunicu editor needs GTK 4 and this program uses GTK 3; "
		                       "use GNOME Settings or nmcli"));
		return NULL;
	}
	path = editor_module_path (error);
	if (!path)
		return NULL;
	module = dlopen (path, RTLD_LAZY | RTLD_LOCAL);
	if (!module) {
		g_set_error (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
		             _("cannot load the cunicu editor: %s"), dlerror ());
		return NULL;
	}
	factory = (EditorFactory) dlsym (module, NCU_EDITOR_FACTORY_NAME);
	if (!factory) {
		g_set_error (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
		             _("the cunicu editor %s has no %s"), path, NCU_EDITOR_FACTORY_NAME);
		dlclose (module);
		return NULL;
	}
	return factory;
}

static NMVpnEditor *
get_editor (NMVpnEditorPlugin *plugin, NMConnection *connection, GError **error)
{
	EditorFactory factory;
	NMVpnEditor *editor;

	g_return_val_if_fail (NM_IS_CONNECTION (connection), NULL);

	factory = load_editor_factory (error);
	if (!factory)
		return NULL;
	editor = factory (plugin, connection, error);
	if (!editor && error && !*error)
		g_set_error_literal (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED,
		                     _("the cunicu editor failed without saying why"));
	return editor;
}

/* --- GObject ------------------------------------------------------------ */

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	switch (prop_id) {
	case PROP_NAME:
		g_value_set_string (value, _("cunicu (WireGuard mesh through NATs)"));
		break;
	case PROP_DESCRIPTION:
		g_value_set_string (value, _("Peer-to-peer WireGuard that finds a path through NATs "
		                             "with ICE, using an MQTT broker for signaling."));
		break;
	case PROP_SERVICE:
		g_value_set_string (value, NCU_VPN_SERVICE_TYPE);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
		break;
	}
}

static void
ncu_editor_plugin_init (NcuEditorPlugin *self)
{
}

static void
ncu_editor_plugin_iface_init (NMVpnEditorPluginInterface *iface)
{
	iface->get_editor = get_editor;
	iface->get_capabilities = get_capabilities;
	iface->import_from_file = import_from_file;
	iface->export_to_file = export_to_file;
	iface->get_suggested_filename = get_suggested_filename;
}

static void
ncu_editor_plugin_class_init (NcuEditorPluginClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->get_property = get_property;
	g_object_class_override_property (object_class, PROP_NAME, NM_VPN_EDITOR_PLUGIN_NAME);
	g_object_class_override_property (object_class, PROP_DESCRIPTION, NM_VPN_EDITOR_PLUGIN_DESCRIPTION);
	g_object_class_override_property (object_class, PROP_SERVICE, NM_VPN_EDITOR_PLUGIN_SERVICE);
}

G_MODULE_EXPORT NMVpnEditorPlugin *
nm_vpn_editor_plugin_factory (GError **error)
{
	g_return_val_if_fail (!error || !*error, NULL);

	bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
	return g_object_new (NCU_TYPE_EDITOR_PLUGIN, NULL);
}
