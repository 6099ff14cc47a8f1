/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The signaling page: broker URL, username, password, topic prefix, CA file.
 */
#include "config.h"

#include "ncu-editor-signaling.h"

#include <glib/gi18n-lib.h>

#include "ncu-schema.h"

static void
ca_file_response_cb (GtkNativeDialog *dialog, int response, gpointer user_data)
{
	GtkWidget *entry = GTK_WIDGET (user_data);

	if (response == GTK_RESPONSE_ACCEPT) {
		g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
		g_autofree char *path = file ? g_file_get_path (file) : NULL;

		if (path)
			gtk_editable_set_text (GTK_EDITABLE (entry), path);
	}
	gtk_native_dialog_destroy (dialog);
	g_object_unref (dialog);
	g_object_unref (entry);
}

static void
ca_file_clicked_cb (GtkButton *button, gpointer user_data)
{
	GtkWidget *entry = GTK_WIDGET (user_data);
	GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (button));
	GtkFileChooserNative *dialog;
	g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
	const char *current = gtk_editable_get_text (GTK_EDITABLE (entry));

	dialog = gtk_file_chooser_native_new (_("Choose the broker's CA certificate"),
	                                      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
	                                      GTK_FILE_CHOOSER_ACTION_OPEN,
	                                      _("_Select"), _("_Cancel"));
	gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);

	gtk_file_filter_set_name (filter, _("PEM certificates (*.pem, *.crt)"));
	gtk_file_filter_add_pattern (filter, "*.pem");
	gtk_file_filter_add_pattern (filter, "*.crt");
	gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);

	if (g_path_is_absolute (current)) {
		g_autoptr (GFile) file = g_file_new_for_path (current);

		gtk_file_chooser_set_file (GTK_FILE_CHOOSER (dialog), file, NULL);
	}

	/* The entry is held until the answer comes, however late. */
	g_signal_connect (dialog, "response", G_CALLBACK (ca_file_response_cb), g_object_ref (entry));
	gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
ncu_editor_signaling_setup (GtkBuilder *builder, NcuForm *form)
{
	GtkWidget *ca_entry = ncu_form_widget (builder, "signaling_ca_file_entry");

	ncu_form_add_entry (form, NCU_KEY_SIGNALING_URL,
	                    ncu_form_widget (builder, "signaling_url_entry"));
	ncu_form_add_entry (form, NCU_KEY_SIGNALING_USERNAME,
	                    ncu_form_widget (builder, "signaling_username_entry"));
	ncu_form_add_secret (form, NCU_KEY_SIGNALING_PASSWORD,
	                     ncu_form_widget (builder, "signaling_password_entry"), TRUE);
	ncu_form_add_entry (form, NCU_KEY_SIGNALING_TOPIC_PREFIX,
	                    ncu_form_widget (builder, "signaling_topic_prefix_entry"));
	ncu_form_add_entry (form, NCU_KEY_SIGNALING_CA_FILE, ca_entry);
	g_signal_connect (ncu_form_widget (builder, "signaling_ca_file_button"), "clicked",
	                  G_CALLBACK (ca_file_clicked_cb), ca_entry);
}
