/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NcuEditor: the NMVpnEditor of a cunicu profile. It builds the widget
 * from the GResource, lets each page bind its widgets to keys, and turns
 * the widgets back into vpn.data/vpn.secrets, validated by the same
 * ncu_profile_validate() the service runs.
 */
#include "config.h"

#include "ncu-editor.h"

#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>

#include "ncu-editor-advanced.h"
#include "ncu-editor-form.h"
#include "ncu-editor-ice.h"
#include "ncu-editor-main.h"
#include "ncu-editor-peers.h"
#include "ncu-editor-signaling.h"
#include "ncu-schema.h"

#define EDITOR_UI "/org/freedesktop/network-manager-cunicu/ncu-editor.ui"

struct _NcuEditor {
	GObject parent_instance;
	GtkBuilder *builder;
	GtkWidget *widget;        /* the top widget handed to GNOME Settings */
	NcuForm *form;            /* every key but the peers' */
	NcuEditorPeers *peers;
};

static void ncu_editor_interface_init (NMVpnEditorInterface *iface);

G_DEFINE_TYPE_WITH_CODE (NcuEditor, ncu_editor, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (NM_TYPE_VPN_EDITOR, ncu_editor_interface_init))

/* ---- profile <-> tables ---- */

static void
editor_collect (NcuEditor *self, GHashTable *data, GHashTable *secrets)
{
	ncu_form_collect (self->form, data, secrets);
	ncu_editor_peers_collect (self->peers, data, secrets);
}

static void
add_data_item (const char *key, const char *value, gpointer user_data)
{
	g_hash_table_replace (user_data, g_strdup (key), g_strdup (value));
}

static void
editor_load (NcuEditor *self, NMConnection *connection)
{
	NMSettingVpn *s_vpn = connection ? nm_connection_get_setting_vpn (connection) : NULL;
	g_autoptr (GHashTable) data = ncu_form_data_new ();
	g_autoptr (GHashTable) secrets = ncu_form_secrets_new ();

	if (s_vpn) {
		nm_setting_vpn_foreach_data_item (s_vpn, add_data_item, data);
		nm_setting_vpn_foreach_secret (s_vpn, add_data_item, secrets);
	}
	ncu_form_load (self->form, data, secrets);
	ncu_editor_peers_load (self->peers, data, secrets);
}

/* Shows what the whole profile still lacks (a missing key, two peers
 * with one key...) once every single field is fine. */
static void
editor_refresh (NcuEditor *self)
{
	g_autoptr (GHashTable) data = ncu_form_data_new ();
	g_autoptr (GHashTable) secrets = ncu_form_secrets_new ();
	g_autoptr (GError) error = NULL;

	editor_collect (self, data, secrets);
	ncu_profile_validate (data, secrets, NCU_VALIDATE_DEFAULT, &error);
	ncu_form_set_message (self->form, error ? error->message : NULL);
}

static void
form_changed_cb (NcuForm *form, gpointer user_data)
{
	NcuEditor *self = user_data;

	editor_refresh (self);
	g_signal_emit_by_name (self, "changed");
}

static void
peers_changed_cb (gpointer user_data)
{
	form_changed_cb (NULL, user_data);
}

/* ---- NMVpnEditor ---- */

static GObject *
get_widget (NMVpnEditor *editor)
{
	return G_OBJECT (NCU_EDITOR (editor)->widget);
}

/* Replaces the data and secrets of @s_vpn with @data/@secrets; the rest
 * of the setting (user name, timeout...) stays as it was. */
static void
setting_replace_items (NMSettingVpn *s_vpn, GHashTable *data, GHashTable *secrets)
{
	g_autofree const char **old_data = nm_setting_vpn_get_data_keys (s_vpn, NULL);
	g_autofree const char **old_secrets = nm_setting_vpn_get_secret_keys (s_vpn, NULL);
	g_auto (GStrv) data_keys = g_strdupv ((char **) old_data);
	g_auto (GStrv) secret_keys = g_strdupv ((char **) old_secrets);
	GHashTableIter iter;
	gpointer key, value;

	for (guint i = 0; data_keys && data_keys[i]; i++)
		nm_setting_vpn_remove_data_item (s_vpn, data_keys[i]);
	for (guint i = 0; secret_keys && secret_keys[i]; i++)
		nm_setting_vpn_remove_secret (s_vpn, secret_keys[i]);

	g_hash_table_iter_init (&iter, data);
	while (g_hash_table_iter_next (&iter, &key, &value))
		nm_setting_vpn_add_data_item (s_vpn, key, value);
	g_hash_table_iter_init (&iter, secrets);
	while (g_hash_table_iter_next (&iter, &key, &value))
		nm_setting_vpn_add_secret (s_vpn, key, value);
}

static gboolean
update_connection (NMVpnEditor *editor, NMConnection *connection, GError **error)
{
	NcuEditor *self = NCU_EDITOR (editor);
	g_autoptr (GHashTable) data = ncu_form_data_new ();
	g_autoptr (GHashTable) secrets = ncu_form_secrets_new ();
	NMSettingVpn *s_vpn;

	editor_collect (self, data, secrets);
	/* Exactly the check the service runs, so the user sees its error. */
	if (!ncu_profile_validate (data, secrets, NCU_VALIDATE_DEFAULT, error))
		return FALSE;

	s_vpn = nm_connection_get_setting_vpn (connection);
	if (!s_vpn) {
		s_vpn = NM_SETTING_VPN (nm_setting_vpn_new ());
		nm_connection_add_setting (connection, NM_SETTING (s_vpn));
	}
	g_object_set (s_vpn, NM_SETTING_VPN_SERVICE_TYPE, NCU_VPN_SERVICE_TYPE, NULL);
	setting_replace_items (s_vpn, data, secrets);
	return TRUE;
}

static void
ncu_editor_interface_init (NMVpnEditorInterface *iface)
{
	iface->get_widget = get_widget;
	iface->update_connection = update_connection;
}

/* ---- object ---- */

static void
ncu_editor_init (NcuEditor *self)
{
}

/* GNOME Settings may keep the widget longer than the editor: cut every
 * signal that points at the editor's state before freeing it. */
static void
disconnect_from_widgets (NcuEditor *self)
{
	g_autoptr (GSList) objects = gtk_builder_get_objects (self->builder);

	for (GSList *l = objects; l; l = l->next) {
		g_signal_handlers_disconnect_by_data (l->data, self->form);
		g_signal_handlers_disconnect_by_data (l->data, self);
	}
}

static void
ncu_editor_dispose (GObject *object)
{
	NcuEditor *self = NCU_EDITOR (object);

	if (self->builder) {
		disconnect_from_widgets (self);
		g_clear_pointer (&self->peers, ncu_editor_peers_free);
		g_clear_pointer (&self->form, ncu_form_free);
		g_clear_object (&self->widget);
		g_clear_object (&self->builder);
	}
	G_OBJECT_CLASS (ncu_editor_parent_class)->dispose (object);
}

static void
ncu_editor_class_init (NcuEditorClass *klass)
{
	G_OBJECT_CLASS (klass)->dispose = ncu_editor_dispose;
}

static gboolean
editor_build (NcuEditor *self, NMConnection *connection, GError **error)
{
	/* The .ui files name their translation domain themselves: setting it
	 * here too makes GTK 4.8's parser use freed memory. */
	self->builder = gtk_builder_new ();
	if (!gtk_builder_add_from_resource (self->builder, EDITOR_UI, error))
		return FALSE;

	self->widget = g_object_ref_sink (ncu_form_widget (self->builder, "editor_box"));
	self->form = ncu_form_new ("", GTK_LABEL (ncu_form_widget (self->builder, "message_label")),
	                           form_changed_cb, self);
	ncu_editor_main_setup (self->builder, self->form);
	ncu_editor_signaling_setup (self->builder, self->form);
	ncu_editor_ice_setup (self->builder, self->form);
	ncu_editor_advanced_setup (self->builder, self->form);
	self->peers = ncu_editor_peers_new (self->builder, peers_changed_cb, self);

	editor_load (self, connection);
	editor_refresh (self);
	return TRUE;
}

NMVpnEditor *
nm_vpn_editor_factory_cunicu (NMVpnEditorPlugin *editor_plugin,
                              NMConnection *connection, GError **error)
{
	g_autoptr (NcuEditor) self = NULL;

	g_return_val_if_fail (!error || !*error, NULL);

	bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

	self = g_object_new (NCU_TYPE_EDITOR, NULL);
	if (!editor_build (self, connection, error))
		return NULL;
	return NM_VPN_EDITOR (g_steal_pointer (&self));
}
