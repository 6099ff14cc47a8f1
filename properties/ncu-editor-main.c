/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The main page: private key, public key, listen port, addresses, MTU.
 */
#include "config.h"

#include "ncu-editor-main.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <NetworkManager.h>
#include <nma-ui-utils.h>
#include <sodium.h>

#include "ncu-profile.h"
#include "ncu-schema.h"

/* ---- private key and its public key ---- */

/* Shows the public key of the private key typed in @entry, or a hint. */
static void
private_key_changed_cb (GtkEditable *entry, gpointer user_data)
{
	GtkLabel *label = GTK_LABEL (user_data);
	GtkWidget *copy = g_object_get_data (G_OBJECT (label), "ncu-copy-button");
	g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
	guint8 private_key[NCU_KEY_LEN], public_key[NCU_KEY_LEN];
	g_autofree char *public_text = NULL;

	if (ncu_key_from_base64 (text, private_key)) {
		ncu_key_public_from_private (private_key, public_key);
		public_text = ncu_key_to_base64 (public_key);
	}
	sodium_memzero (private_key, sizeof private_key);
	sodium_memzero (text, strlen (text));

	if (public_text) {
		gtk_label_set_text (label, public_text);
		gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
	} else {
		gtk_label_set_text (label, _("Enter or generate a private key"));
		gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
	}
	gtk_widget_set_sensitive (copy, public_text != NULL);
}

/* A new WireGuard private key, clamped as `wg genkey` writes it. */
static char *
generate_private_key (void)
{
	guint8 public_key[crypto_box_PUBLICKEYBYTES];
	guint8 secret_key[crypto_box_SECRETKEYBYTES];
	char *text;

	G_STATIC_ASSERT (crypto_box_SECRETKEYBYTES == NCU_KEY_LEN);
	crypto_box_keypair (public_key, secret_key);
	secret_key[0] &= 248;
	secret_key[31] &= 127;
	secret_key[31] |= 64;
	text = ncu_key_to_base64 (secret_key);
	sodium_memzero (secret_key, sizeof secret_key);
	return text;
}

static void
generate_clicked_cb (GtkButton *button, gpointer user_data)
{
	GtkWidget *entry = GTK_WIDGET (user_data);
	char *key;

	/* A key that is never saved would be lost at once: keep it. */
	if (nma_utils_menu_to_secret_flags (entry) &
	    (NM_SETTING_SECRET_FLAG_NOT_SAVED | NM_SETTING_SECRET_FLAG_NOT_REQUIRED))
		nma_utils_update_password_storage (entry, NM_SETTING_SECRET_FLAG_NONE, NULL, NULL);

	if (sodium_init () < 0)
		return;
	key = generate_private_key ();
	gtk_editable_set_text (GTK_EDITABLE (entry), key);
	sodium_memzero (key, strlen (key));
	g_free (key);
}

static void
copy_clicked_cb (GtkButton *button, gpointer user_data)
{
	GtkLabel *label = GTK_LABEL (user_data);

	gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)),
	                        gtk_label_get_text (label));
}

static void
setup_private_key (GtkBuilder *builder, NcuForm *form)
{
	GtkWidget *entry = ncu_form_widget (builder, "private_key_entry");
	GtkWidget *label = ncu_form_widget (builder, "public_key_label");
	GtkWidget *copy = ncu_form_widget (builder, "copy_public_key_button");

	ncu_form_add_secret (form, NCU_KEY_PRIVATE_KEY, entry, FALSE);
	g_object_set_data (G_OBJECT (label), "ncu-copy-button", copy);
	g_signal_connect (entry, "changed", G_CALLBACK (private_key_changed_cb), label);
	private_key_changed_cb (GTK_EDITABLE (entry), label);

	g_signal_connect (ncu_form_widget (builder, "generate_key_button"), "clicked",
	                  G_CALLBACK (generate_clicked_cb), entry);
	g_signal_connect (copy, "clicked", G_CALLBACK (copy_clicked_cb), label);
}

/* ---- addresses: a CIDR list, or "auto" from the switch ---- */

#define ADDRESSES_AUTO "auto"

typedef struct {
	GtkWidget *entry;
	GtkWidget *auto_switch;
} Addresses;

static char *
addresses_get (gpointer user_data)
{
	Addresses *addresses = user_data;
	char *text;

	if (gtk_switch_get_active (GTK_SWITCH (addresses->auto_switch)))
		return g_strdup (ADDRESSES_AUTO);
	text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (addresses->entry))));
	if (!*text)
		g_clear_pointer (&text, g_free);
	return text;
}

static void
addresses_set (gpointer user_data, const char *value)
{
	Addresses *addresses = user_data;
	gboolean is_auto;

	/* Unset means the table's default (auto): show it as such. */
	if (!value)
		value = ncu_schema_lookup (NCU_KEY_ADDRESSES, NULL, NULL)->default_value;
	is_auto = g_strcmp0 (value, ADDRESSES_AUTO) == 0;

	gtk_switch_set_active (GTK_SWITCH (addresses->auto_switch), is_auto);
	gtk_editable_set_text (GTK_EDITABLE (addresses->entry), value && !is_auto ? value : "");
}

static void
setup_addresses (GtkBuilder *builder, NcuForm *form)
{
	Addresses *addresses = g_new0 (Addresses, 1);

	addresses->entry = ncu_form_widget (builder, "addresses_entry");
	addresses->auto_switch = ncu_form_widget (builder, "addresses_auto_switch");
	g_object_set_data_full (G_OBJECT (addresses->entry), "ncu-addresses", addresses, g_free);

	ncu_form_add_custom (form, NCU_KEY_ADDRESSES, addresses->entry,
	                     addresses_get, addresses_set, addresses);
	g_object_bind_property (addresses->auto_switch, "active", addresses->entry, "sensitive",
	                        G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
	ncu_form_watch (form, addresses->auto_switch, "notify::active");
	ncu_form_watch (form, addresses->entry, "changed");
}

void
ncu_editor_main_setup (GtkBuilder *builder, NcuForm *form)
{
	setup_private_key (builder, form);
	ncu_form_add_entry (form, NCU_KEY_LISTEN_PORT, ncu_form_widget (builder, "listen_port_entry"));
	setup_addresses (builder, form);
	ncu_form_add_entry (form, NCU_KEY_MTU, ncu_form_widget (builder, "mtu_entry"));
}
