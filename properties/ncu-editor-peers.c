/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer list. See ncu-editor-peers.h.
 */
#include "config.h"

#include "ncu-editor-peers.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ncu-editor-form.h"
#include "ncu-editor-peer-dialog.h"
#include "ncu-schema.h"

typedef struct {
	GHashTable *data;      /* short key -> value */
	GHashTable *secrets;   /* short key -> secret, wiped when freed */
} Peer;

struct _NcuEditorPeers {
	GtkListBox *list;
	GtkWidget *add_button;
	GtkWidget *edit_button;
	GtkWidget *remove_button;
	GPtrArray *peers;      /* of Peer*, in list order */
	GtkWindow *dialog;     /* the open peer dialog, or NULL */
	NcuEditorPeersChanged changed;
	gpointer user_data;
};

static Peer *
peer_new (GHashTable *data, GHashTable *secrets)
{
	Peer *peer = g_new0 (Peer, 1);

	peer->data = data ? data : ncu_form_data_new ();
	peer->secrets = secrets ? secrets : ncu_form_secrets_new ();
	return peer;
}

static void
peer_free (gpointer data)
{
	Peer *peer = data;

	g_hash_table_unref (peer->data);
	g_hash_table_unref (peer->secrets);
	g_free (peer);
}

/* ---- rows ---- */

/* "label" or "Peer N"; under it the public key and the allowed IPs. */
static GtkWidget *
peer_row_new (const Peer *peer, guint index)
{
	const char *label = g_hash_table_lookup (peer->data, NCU_KEY_PEER_LABEL);
	const char *public_key = g_hash_table_lookup (peer->data, NCU_KEY_PEER_PUBLIC_KEY);
	const char *allowed_ips = g_hash_table_lookup (peer->data, NCU_KEY_PEER_ALLOWED_IPS);
	g_autofree char *title = label ? g_strdup (label) : g_strdup_printf (_("Peer %u"), index + 1);
	g_autofree char *subtitle = g_strdup_printf ("%s  ·  %s",
	                                             public_key ? public_key : _("no public key"),
	                                             allowed_ips ? allowed_ips : _("no allowed IPs"));
	GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
	GtkWidget *title_label = gtk_label_new (title);
	GtkWidget *subtitle_label = gtk_label_new (subtitle);

	gtk_widget_set_margin_top (box, 6);
	gtk_widget_set_margin_bottom (box, 6);
	gtk_widget_set_margin_start (box, 8);
	gtk_widget_set_margin_end (box, 8);
	gtk_label_set_xalign (GTK_LABEL (title_label), 0);
	gtk_label_set_ellipsize (GTK_LABEL (title_label), PANGO_ELLIPSIZE_END);
	gtk_widget_add_css_class (title_label, "heading");
	gtk_label_set_xalign (GTK_LABEL (subtitle_label), 0);
	gtk_label_set_ellipsize (GTK_LABEL (subtitle_label), PANGO_ELLIPSIZE_MIDDLE);
	gtk_widget_add_css_class (subtitle_label, "dim-label");
	gtk_widget_add_css_class (subtitle_label, "caption");
	gtk_box_append (GTK_BOX (box), title_label);
	gtk_box_append (GTK_BOX (box), subtitle_label);
	return box;
}

static int
selected_index (NcuEditorPeers *peers)
{
	GtkListBoxRow *row = gtk_list_box_get_selected_row (peers->list);

	return row ? gtk_list_box_row_get_index (row) : -1;
}

static void
update_buttons (NcuEditorPeers *peers)
{
	gboolean selected = selected_index (peers) >= 0;

	gtk_widget_set_sensitive (peers->edit_button, selected);
	gtk_widget_set_sensitive (peers->remove_button, selected);
}

/* Rebuilds the rows (a handful of peers: simpler than patching them). */
static void
rebuild_rows (NcuEditorPeers *peers, int select)
{
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child (GTK_WIDGET (peers->list))))
		gtk_list_box_remove (peers->list, child);
	for (guint i = 0; i < peers->peers->len; i++)
		gtk_list_box_append (peers->list, peer_row_new (peers->peers->pdata[i], i));
	if (select >= 0 && (guint) select < peers->peers->len)
		gtk_list_box_select_row (peers->list, gtk_list_box_get_row_at_index (peers->list, select));
	update_buttons (peers);
}

/* ---- add, edit, remove ---- */

static void
dialog_done_cb (guint index, GHashTable *data, GHashTable *secrets, gpointer user_data)
{
	NcuEditorPeers *peers = user_data;
	Peer *peer = peer_new (data, secrets);

	if (index < peers->peers->len) {
		peer_free (peers->peers->pdata[index]);
		peers->peers->pdata[index] = peer;
	} else {
		index = peers->peers->len;
		g_ptr_array_add (peers->peers, peer);
	}
	rebuild_rows (peers, index);
	peers->changed (peers->user_data);
}

static void
dialog_destroy_cb (GtkWidget *window, gpointer user_data)
{
	NcuEditorPeers *peers = user_data;

	peers->dialog = NULL;
}

static void
open_dialog (NcuEditorPeers *peers, guint index)
{
	Peer *peer = index < peers->peers->len ? peers->peers->pdata[index] : NULL;

	if (peers->dialog)
		return;
	peers->dialog = ncu_peer_dialog_open (GTK_WIDGET (peers->list), index,
	                                      peer ? peer->data : NULL,
	                                      peer ? peer->secrets : NULL,
	                                      dialog_done_cb, peers);
	g_signal_connect (peers->dialog, "destroy", G_CALLBACK (dialog_destroy_cb), peers);
}

static void
add_clicked_cb (GtkButton *button, gpointer user_data)
{
	NcuEditorPeers *peers = user_data;

	open_dialog (peers, peers->peers->len);
}

static void
edit_clicked_cb (GtkButton *button, gpointer user_data)
{
	NcuEditorPeers *peers = user_data;
	int index = selected_index (peers);

	if (index >= 0)
		open_dialog (peers, index);
}

static void
row_activated_cb (GtkListBox *list, GtkListBoxRow *row, gpointer user_data)
{
	open_dialog (user_data, gtk_list_box_row_get_index (row));
}

static void
remove_clicked_cb (GtkButton *button, gpointer user_data)
{
	NcuEditorPeers *peers = user_data;
	int index = selected_index (peers);

	if (index < 0)
		return;
	g_ptr_array_remove_index (peers->peers, index);
	rebuild_rows (peers, MIN (index, (int) peers->peers->len - 1));
	peers->changed (peers->user_data);
}

static void
selected_rows_changed_cb (GtkListBox *list, gpointer user_data)
{
	update_buttons (user_data);
}

NcuEditorPeers *
ncu_editor_peers_new (GtkBuilder *builder, NcuEditorPeersChanged changed, gpointer user_data)
{
	NcuEditorPeers *peers = g_new0 (NcuEditorPeers, 1);
	GtkWidget *placeholder = gtk_label_new (_("No peers yet: add the machines this one should reach."));

	peers->list = GTK_LIST_BOX (ncu_form_widget (builder, "peers_list"));
	peers->add_button = ncu_form_widget (builder, "peer_add_button");
	peers->edit_button = ncu_form_widget (builder, "peer_edit_button");
	peers->remove_button = ncu_form_widget (builder, "peer_remove_button");
	peers->peers = g_ptr_array_new_with_free_func (peer_free);
	peers->changed = changed;
	peers->user_data = user_data;

	gtk_widget_add_css_class (placeholder, "dim-label");
	gtk_widget_set_margin_top (placeholder, 12);
	gtk_widget_set_margin_bottom (placeholder, 12);
	gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
	gtk_list_box_set_placeholder (peers->list, placeholder);

	g_signal_connect (peers->add_button, "clicked", G_CALLBACK (add_clicked_cb), peers);
	g_signal_connect (peers->edit_button, "clicked", G_CALLBACK (edit_clicked_cb), peers);
	g_signal_connect (peers->remove_button, "clicked", G_CALLBACK (remove_clicked_cb), peers);
	g_signal_connect (peers->list, "row-activated", G_CALLBACK (row_activated_cb), peers);
	g_signal_connect (peers->list, "selected-rows-changed",
	                  G_CALLBACK (selected_rows_changed_cb), peers);
	update_buttons (peers);
	return peers;
}

void
ncu_editor_peers_free (NcuEditorPeers *peers)
{
	if (!peers)
		return;
	if (peers->dialog) {
		g_signal_handlers_disconnect_by_data (peers->dialog, peers);
		gtk_window_destroy (peers->dialog);
	}
	g_signal_handlers_disconnect_by_data (peers->add_button, peers);
	g_signal_handlers_disconnect_by_data (peers->edit_button, peers);
	g_signal_handlers_disconnect_by_data (peers->remove_button, peers);
	g_signal_handlers_disconnect_by_data (peers->list, peers);
	g_ptr_array_unref (peers->peers);
	g_free (peers);
}

/* ---- load and collect ---- */

/* Files "peer.N.<name>" = @value under peer N of @by_index. */
static void
load_key (GHashTable *by_index, const char *key, const char *value, gboolean secret)
{
	int index = -1;
	const char *name;
	Peer *peer;

	if (!g_str_has_prefix (key, NCU_PEER_KEY_PREFIX) ||
	    !ncu_schema_lookup (key, &index, NULL) || index < 0)
		return;
	name = strchr (key + strlen (NCU_PEER_KEY_PREFIX), '.');
	if (!name)
		return;
	peer = g_hash_table_lookup (by_index, GINT_TO_POINTER (index));
	if (!peer) {
		peer = peer_new (NULL, NULL);
		g_hash_table_insert (by_index, GINT_TO_POINTER (index), peer);
	}
	g_hash_table_replace (secret ? peer->secrets : peer->data, g_strdup (name + 1), g_strdup (value));
}

static void
load_table (GHashTable *by_index, GHashTable *table, gboolean secret)
{
	GHashTableIter iter;
	gpointer key, value;

	if (!table)
		return;
	g_hash_table_iter_init (&iter, table);
	while (g_hash_table_iter_next (&iter, &key, &value))
		load_key (by_index, key, value, secret);
}

static int
compare_index (gconstpointer a, gconstpointer b)
{
	return GPOINTER_TO_INT (a) - GPOINTER_TO_INT (b);
}

void
ncu_editor_peers_load (NcuEditorPeers *peers, GHashTable *data, GHashTable *secrets)
{
	g_autoptr (GHashTable) by_index = g_hash_table_new (g_direct_hash, g_direct_equal);
	g_autoptr (GList) indices = NULL;

	load_table (by_index, data, FALSE);
	load_table (by_index, secrets, TRUE);

	/* In index order; a gap in a hand-edited profile closes up. */
	g_ptr_array_set_size (peers->peers, 0);
	indices = g_list_sort (g_hash_table_get_keys (by_index), compare_index);
	for (GList *l = indices; l; l = l->next)
		g_ptr_array_add (peers->peers, g_hash_table_lookup (by_index, l->data));
	rebuild_rows (peers, -1);
}

static void
collect_table (GHashTable *from, GHashTable *to, guint index)
{
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init (&iter, from);
	while (g_hash_table_iter_next (&iter, &key, &value))
		g_hash_table_replace (to, g_strdup_printf ("%s%u.%s", NCU_PEER_KEY_PREFIX, index,
		                                           (const char *) key),
		                      g_strdup (value));
}

void
ncu_editor_peers_collect (NcuEditorPeers *peers, GHashTable *data, GHashTable *secrets)
{
	for (guint i = 0; i < peers->peers->len; i++) {
		Peer *peer = peers->peers->pdata[i];

		collect_table (peer->data, data, i);
		collect_table (peer->secrets, secrets, i);
	}
}
