/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding of widgets to profile keys, with validation through the schema
 * table as the user types. See ncu-editor-form.h.
 */
#include "config.h"

#include "ncu-editor-form.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <NetworkManager.h>
#include <nma-ui-utils.h>
#include <sodium.h>

#include "ncu-schema.h"

typedef enum {
	FIELD_ENTRY,
	FIELD_SECRET,
	FIELD_CUSTOM,
} FieldKind;

typedef struct {
	NcuForm *form;
	FieldKind kind;
	char *key;              /* full key, e.g. "peer.0.public-key" */
	const NcuKeyInfo *info; /* its schema entry */
	GtkWidget *widget;      /* the widget that gets the error mark */
	char *tooltip;          /* shown when the value is fine */
	NcuFormGetFunc get;
	NcuFormSetFunc set;
	gpointer user_data;
} Field;

struct _NcuForm {
	char *key_prefix;
	GtkLabel *message_label;
	NcuFormChangedFunc changed;
	gpointer user_data;
	GPtrArray *fields;      /* of Field* */
	char *message;          /* whole-profile message, shown when fields are fine */
	gboolean loading;
};

void
ncu_form_secret_free (char *secret)
{
	if (!secret)
		return;
	sodium_memzero (secret, strlen (secret));
	g_free (secret);
}

GHashTable *
ncu_form_data_new (void)
{
	return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

GHashTable *
ncu_form_secrets_new (void)
{
	return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
	                              (GDestroyNotify) ncu_form_secret_free);
}

static void
field_free (gpointer data)
{
	Field *field = data;

	g_free (field->key);
	g_free (field->tooltip);
	g_free (field);
}

NcuForm *
ncu_form_new (const char *key_prefix, GtkLabel *message_label,
              NcuFormChangedFunc changed, gpointer user_data)
{
	NcuForm *form = g_new0 (NcuForm, 1);

	form->key_prefix = g_strdup (key_prefix ? key_prefix : "");
	form->message_label = message_label;
	form->changed = changed;
	form->user_data = user_data;
	form->fields = g_ptr_array_new_with_free_func (field_free);
	return form;
}

void
ncu_form_free (NcuForm *form)
{
	if (!form)
		return;
	g_ptr_array_unref (form->fields);
	g_free (form->key_prefix);
	g_free (form->message);
	g_free (form);
}

gboolean
ncu_form_is_loading (NcuForm *form)
{
	return form->loading;
}

GtkWidget *
ncu_form_widget (GtkBuilder *builder, const char *id)
{
	GObject *object = gtk_builder_get_object (builder, id);

	/* The ids are fixed in our own .ui files: a miss is a programming error. */
	if (!GTK_IS_WIDGET (object))
		g_error ("editor UI has no widget '%s'", id);
	return GTK_WIDGET (object);
}

void
ncu_form_mark_widget (GtkWidget *widget, const char *message, const char *tooltip)
{
	if (message) {
		gtk_widget_add_css_class (widget, "error");
		gtk_widget_set_tooltip_text (widget, message);
	} else {
		gtk_widget_remove_css_class (widget, "error");
		gtk_widget_set_tooltip_text (widget, tooltip);
	}
}

/* WireGuard keys are often pasted with a stray space or newline; passwords
 * are taken exactly as typed. */
static gboolean
field_strips_value (const Field *field)
{
	return field->kind != FIELD_SECRET || field->info->type == NCU_KEY_TYPE_WG_KEY;
}

static char *
field_get (Field *field)
{
	char *value;

	if (field->kind == FIELD_CUSTOM)
		return field->get (field->user_data);

	value = g_strdup (gtk_editable_get_text (GTK_EDITABLE (field->widget)));
	if (field_strips_value (field))
		g_strstrip (value);
	if (!*value) {
		g_free (value);
		return NULL;
	}
	return value;
}

static void
field_value_free (Field *field, char *value)
{
	if (field->kind == FIELD_SECRET)
		ncu_form_secret_free (value);
	else
		g_free (value);
}

static Field *
form_add_field (NcuForm *form, FieldKind kind, const char *name, GtkWidget *widget)
{
	g_autoptr (GError) error = NULL;
	Field *field = g_new0 (Field, 1);
	const char *tooltip;

	field->form = form;
	field->kind = kind;
	field->key = g_strconcat (form->key_prefix, name, NULL);
	field->info = ncu_schema_lookup (field->key, NULL, &error);
	/* Field names are fixed in the code: a miss is a programming error. */
	g_assert_no_error (error);
	field->widget = widget;

	/* The table's one-line summary is the tooltip unless the .ui has one. */
	tooltip = gtk_widget_get_tooltip_text (widget);
	field->tooltip = g_strdup (tooltip ? tooltip : _(field->info->summary));
	gtk_widget_set_tooltip_text (widget, field->tooltip);

	g_ptr_array_add (form->fields, field);
	return field;
}

static void
entry_set_default_placeholder (Field *field)
{
	if (!GTK_IS_ENTRY (field->widget) || !field->info->default_value)
		return;
	if (gtk_entry_get_placeholder_text (GTK_ENTRY (field->widget)))
		return;
	gtk_entry_set_placeholder_text (GTK_ENTRY (field->widget), field->info->default_value);
}

void
ncu_form_add_entry (NcuForm *form, const char *name, GtkWidget *entry)
{
	Field *field = form_add_field (form, FIELD_ENTRY, name, entry);

	entry_set_default_placeholder (field);
	ncu_form_watch (form, entry, "changed");
}

void
ncu_form_add_secret (NcuForm *form, const char *name, GtkWidget *entry,
                     gboolean with_not_required)
{
	g_autoptr (GtkEntryBuffer) buffer = gtk_password_entry_buffer_new ();

	form_add_field (form, FIELD_SECRET, name, entry);
	/* Keep the secret out of swappable memory while it is typed. */
	gtk_entry_set_buffer (GTK_ENTRY (entry), buffer);
	gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
	nma_utils_setup_password_storage (entry, NM_SETTING_SECRET_FLAG_NONE, NULL, NULL,
	                                  with_not_required, FALSE);
	ncu_form_watch (form, entry, "changed");
}

void
ncu_form_add_custom (NcuForm *form, const char *name, GtkWidget *mark_widget,
                     NcuFormGetFunc get, NcuFormSetFunc set, gpointer user_data)
{
	Field *field = form_add_field (form, FIELD_CUSTOM, name, mark_widget);

	field->get = get;
	field->set = set;
	field->user_data = user_data;
}

static NMSettingSecretFlags
flags_from_string (const char *text)
{
	guint64 flags;

	if (!text || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &flags, NULL))
		return NM_SETTING_SECRET_FLAG_NONE;
	return (NMSettingSecretFlags) flags;
}

static void
field_load_secret (Field *field, GHashTable *data, GHashTable *secrets)
{
	g_autofree char *flags_key = g_strconcat (field->key, NCU_FLAGS_SUFFIX, NULL);
	NMSettingSecretFlags flags = flags_from_string (g_hash_table_lookup (data, flags_key));
	const char *value = secrets ? g_hash_table_lookup (secrets, field->key) : NULL;

	/* Set the storage first: choosing "ask" or "not required" empties the
	 * entry, and a secret that is not saved must not be shown. */
	nma_utils_update_password_storage (field->widget, flags, NULL, NULL);
	if (flags & (NM_SETTING_SECRET_FLAG_NOT_SAVED | NM_SETTING_SECRET_FLAG_NOT_REQUIRED))
		value = NULL;
	gtk_editable_set_text (GTK_EDITABLE (field->widget), value ? value : "");
}

void
ncu_form_load (NcuForm *form, GHashTable *data, GHashTable *secrets)
{
	form->loading = TRUE;
	for (guint i = 0; i < form->fields->len; i++) {
		Field *field = form->fields->pdata[i];
		const char *value = g_hash_table_lookup (data, field->key);

		switch (field->kind) {
		case FIELD_ENTRY:
			gtk_editable_set_text (GTK_EDITABLE (field->widget), value ? value : "");
			break;
		case FIELD_SECRET:
			field_load_secret (field, data, secrets);
			break;
		case FIELD_CUSTOM:
			field->set (field->user_data, value);
			break;
		}
	}
	form->loading = FALSE;
	ncu_form_validate (form);
}

/* Checks one field; returns the error message (new string) or NULL. */
static char *
field_check (Field *field)
{
	g_autoptr (GError) error = NULL;
	char *value = field_get (field);
	gboolean ok;

	if (!value)
		return NULL; /* unset: whether that is allowed is the profile's business */
	ok = ncu_schema_check_value (field->info, field->key, value, &error);
	field_value_free (field, value);
	return ok ? NULL : g_strdup (error->message);
}

static void
form_show_message (NcuForm *form, const char *message)
{
	if (!form->message_label)
		return;
	gtk_label_set_text (form->message_label, message ? message : "");
	gtk_widget_set_visible (GTK_WIDGET (form->message_label), message != NULL);
}

gboolean
ncu_form_validate (NcuForm *form)
{
	g_autofree char *first = NULL;

	for (guint i = 0; i < form->fields->len; i++) {
		Field *field = form->fields->pdata[i];
		g_autofree char *message = field_check (field);

		ncu_form_mark_widget (field->widget, message, field->tooltip);
		if (message && !first)
			first = g_steal_pointer (&message);
	}
	form_show_message (form, first ? first : form->message);
	return first == NULL;
}

void
ncu_form_set_message (NcuForm *form, const char *message)
{
	g_free (form->message);
	form->message = g_strdup (message);
	ncu_form_validate (form);
}

static void
field_collect_secret (Field *field, GHashTable *data, GHashTable *secrets)
{
	NMSettingSecretFlags flags = nma_utils_menu_to_secret_flags (field->widget);
	char *value = field_get (field);

	/* The flags are written whenever the secret is in use, so the storage
	 * choice survives even when the value itself is not saved. */
	if (value || flags != NM_SETTING_SECRET_FLAG_NONE)
		g_hash_table_replace (data, g_strconcat (field->key, NCU_FLAGS_SUFFIX, NULL),
		                      g_strdup_printf ("%u", (guint) flags));
	if (value && !(flags & (NM_SETTING_SECRET_FLAG_NOT_SAVED | NM_SETTING_SECRET_FLAG_NOT_REQUIRED)))
		g_hash_table_replace (secrets, g_strdup (field->key), value);
	else
		ncu_form_secret_free (value);
}

void
ncu_form_collect (NcuForm *form, GHashTable *data, GHashTable *secrets)
{
	for (guint i = 0; i < form->fields->len; i++) {
		Field *field = form->fields->pdata[i];
		char *value;

		if (field->kind == FIELD_SECRET) {
			field_collect_secret (field, data, secrets);
			continue;
		}
		value = field_get (field);
		if (value)
			g_hash_table_replace (data, g_strdup (field->key), value);
	}
}

void
ncu_form_watch (NcuForm *form, gpointer object, const char *signal)
{
	/* Swapped: the form comes first and the signal's own arguments, which
	 * ncu_form_changed() does not take, are ignored. Disconnecting by the
	 * form as data removes it again. */
	g_signal_connect_swapped (object, signal, G_CALLBACK (ncu_form_changed), form);
}

void
ncu_form_changed (NcuForm *form)
{
	if (form->loading)
		return;
	ncu_form_validate (form);
	if (form->changed)
		form->changed (form, form->user_data);
}
