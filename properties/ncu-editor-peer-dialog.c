/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer editor window. See ncu-editor-peer-dialog.h.
 */
#include "config.h"

#include "ncu-editor-peer-dialog.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "ncu-editor-form.h"
#include "ncu-profile.h"
#include "ncu-schema.h"

#define PEER_DIALOG_UI "/org/freedesktop/network-manager-cunicu/ncu-peer-dialog.ui"

typedef struct {
	GtkWindow *window;
	GtkWidget *ok_button;
	NcuForm *form;
	char *prefix;            /* "peer.N." */
	guint index;
	NcuPeerDialogDone done;
	gpointer user_data;
} PeerDialog;

static void
peer_dialog_free (PeerDialog *dialog)
{
	ncu_form_free (dialog->form);
	g_free (dialog->prefix);
	g_free (dialog);
}

/* Adds "peer.N." to (or strips it from) every key of @from into @to. */
static void
copy_keys (GHashTable *from, GHashTable *to, const char *add_prefix, const char *strip_prefix)
{
	GHashTableIter iter;
	gpointer key, value;

	if (!from)
		return;
	g_hash_table_iter_init (&iter, from);
	while (g_hash_table_iter_next (&iter, &key, &value)) {
		const char *name = key;

		if (strip_prefix) {
			if (!g_str_has_prefix (name, strip_prefix))
				continue;
			name += strlen (strip_prefix);
		}
		g_hash_table_replace (to, g_strconcat (add_prefix ? add_prefix : "", name, NULL),
		                      g_strdup (value));
	}
}

/* Every value well-formed, and every required key of a peer given. */
static gboolean
peer_dialog_is_complete (PeerDialog *dialog)
{
	g_autoptr (GHashTable) data = ncu_form_data_new ();
	g_autoptr (GHashTable) secrets = ncu_form_secrets_new ();
	gsize n_keys;
	const NcuKeyInfo *keys = ncu_schema_keys (&n_keys);

	ncu_form_collect (dialog->form, data, secrets);
	for (gsize i = 0; i < n_keys; i++) {
		g_autofree char *key = NULL;

		if ((keys[i].flags & (NCU_KEY_PER_PEER | NCU_KEY_REQUIRED | NCU_KEY_SECRET))
		    != (NCU_KEY_PER_PEER | NCU_KEY_REQUIRED))
			continue;
		key = g_strconcat (dialog->prefix, keys[i].name, NULL);
		if (!g_hash_table_contains (data, key))
			return FALSE;
	}
	return TRUE;
}

static void
peer_form_changed_cb (NcuForm *form, gpointer user_data)
{
	PeerDialog *dialog = user_data;
	gboolean valid = ncu_form_validate (form);

	gtk_widget_set_sensitive (dialog->ok_button, valid && peer_dialog_is_complete (dialog));
}

static void
ok_clicked_cb (GtkButton *button, gpointer user_data)
{
	PeerDialog *dialog = user_data;
	g_autoptr (GHashTable) full_data = ncu_form_data_new ();
	g_autoptr (GHashTable) full_secrets = ncu_form_secrets_new ();
	GHashTable *data, *secrets;

	if (!ncu_form_validate (dialog->form) || !peer_dialog_is_complete (dialog))
		return;
	ncu_form_collect (dialog->form, full_data, full_secrets);
	data = ncu_form_data_new ();
	secrets = ncu_form_secrets_new ();
	copy_keys (full_data, data, NULL, dialog->prefix);
	copy_keys (full_secrets, secrets, NULL, dialog->prefix);
	dialog->done (dialog->index, data, secrets, dialog->user_data);
	gtk_window_destroy (dialog->window);
}

static void
cancel_clicked_cb (GtkButton *button, gpointer user_data)
{
	PeerDialog *dialog = user_data;

	gtk_window_destroy (dialog->window);
}

static void
window_destroy_cb (GtkWidget *window, gpointer user_data)
{
	peer_dialog_free (user_data);
}

static void
psk_generate_clicked_cb (GtkButton *button, gpointer user_data)
{
	GtkEditable *entry = GTK_EDITABLE (user_data);
	guint8 key[NCU_KEY_LEN];
	char *text;

	if (sodium_init () < 0)
		return;
	randombytes_buf (key, sizeof key);
	text = ncu_key_to_base64 (key);
	sodium_memzero (key, sizeof key);
	gtk_editable_set_text (entry, text);
	ncu_form_secret_free (text);
}

static void
peer_dialog_bind (PeerDialog *dialog, GtkBuilder *builder)
{
	static const struct {
		const char *name;
		const char *id;
	} entries[] = {
		{ NCU_KEY_PEER_LABEL, "peer_label_entry" },
		{ NCU_KEY_PEER_PUBLIC_KEY, "peer_public_key_entry" },
		{ NCU_KEY_PEER_ALLOWED_IPS, "peer_allowed_ips_entry" },
		{ NCU_KEY_PEER_ENDPOINT, "peer_endpoint_entry" },
		{ NCU_KEY_PEER_PERSISTENT_KEEPALIVE, "peer_keepalive_entry" },
	};
	GtkWidget *psk = ncu_form_widget (builder, "peer_psk_entry");

	dialog->form = ncu_form_new (dialog->prefix,
	                             GTK_LABEL (ncu_form_widget (builder, "peer_message_label")),
	                             peer_form_changed_cb, dialog);
	for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
		ncu_form_add_entry (dialog->form, entries[i].name, ncu_form_widget (builder, entries[i].id));
	ncu_form_add_secret (dialog->form, NCU_KEY_PEER_PRESHARED_KEY, psk, FALSE);

	g_signal_connect (ncu_form_widget (builder, "peer_psk_generate_button"), "clicked",
	                  G_CALLBACK (psk_generate_clicked_cb), psk);
	g_signal_connect (dialog->ok_button, "clicked", G_CALLBACK (ok_clicked_cb), dialog);
	g_signal_connect (ncu_form_widget (builder, "peer_cancel_button"), "clicked",
	                  G_CALLBACK (cancel_clicked_cb), dialog);
}

GtkWindow *
ncu_peer_dialog_open (GtkWidget *parent, guint index,
                      GHashTable *data, GHashTable *secrets,
                      NcuPeerDialogDone done, gpointer user_data)
{
	PeerDialog *dialog = g_new0 (PeerDialog, 1);
	g_autoptr (GtkBuilder) builder = gtk_builder_new ();
	g_autoptr (GHashTable) full_data = ncu_form_data_new ();
	g_autoptr (GHashTable) full_secrets = ncu_form_secrets_new ();
	g_autofree char *title = NULL;
	GtkRoot *root = gtk_widget_get_root (parent);

	dialog->index = index;
	dialog->prefix = g_strdup_printf ("%s%u.", NCU_PEER_KEY_PREFIX, index);
	dialog->done = done;
	dialog->user_data = user_data;
	/* Our own resource: failing to load it is a build error. */
	if (!gtk_builder_add_from_resource (builder, PEER_DIALOG_UI, NULL))
		g_error ("cannot load %s", PEER_DIALOG_UI);
	/* The builder goes when this returns: it must not keep the window
	 * alive once it is closed. */
	dialog->window = GTK_WINDOW (ncu_form_widget (builder, "peer_dialog"));
	dialog->ok_button = ncu_form_widget (builder, "peer_ok_button");
	peer_dialog_bind (dialog, builder);

	copy_keys (data, full_data, dialog->prefix, NULL);
	copy_keys (secrets, full_secrets, dialog->prefix, NULL);
	ncu_form_load (dialog->form, full_data, full_secrets);
	peer_form_changed_cb (dialog->form, dialog);

	title = data ? g_strdup (_("Edit Peer")) : g_strdup (_("Add Peer"));
	gtk_window_set_title (dialog->window, title);
	if (GTK_IS_WINDOW (root))
		gtk_window_set_transient_for (dialog->window, GTK_WINDOW (root));
	g_signal_connect (dialog->window, "destroy", G_CALLBACK (window_destroy_cb), dialog);
	gtk_window_present (dialog->window);
	return dialog->window;
}
