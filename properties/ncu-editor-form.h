/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A form binds widgets to profile keys. It loads values into the widgets,
 * checks each value through the schema table as the user types (marking
 * the widget with the "error" CSS class, the message in its tooltip and in
 * the form's message label) and collects the values back into
 * vpn.data / vpn.secrets tables. The editor's pages and the peer dialog
 * each own one; no validation rule lives here, only in shared/.
 */
#ifndef NCU_EDITOR_FORM_H
#define NCU_EDITOR_FORM_H

#include <gtk/gtk.h>

typedef struct _NcuForm NcuForm;

/* Returns the widget's value as a new string, NULL when unset. */
typedef char *(*NcuFormGetFunc) (gpointer user_data);
/* Shows @value (NULL: unset) in the widget. */
typedef void (*NcuFormSetFunc) (gpointer user_data, const char *value);
/* Called after any field changed and the form was checked again. */
typedef void (*NcuFormChangedFunc) (NcuForm *form, gpointer user_data);

/*
 * @key_prefix goes before every field name to make the full key
 * ("" for the main page, "peer.3." in the peer dialog); the full key is
 * what errors name and what load/collect use. @message_label shows the
 * first error (may be NULL).
 */
NcuForm *ncu_form_new (const char *key_prefix, GtkLabel *message_label,
                       NcuFormChangedFunc changed, gpointer user_data);
void ncu_form_free (NcuForm *form);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuForm, ncu_form_free)

/* A text entry holding one key's value; empty means unset. */
void ncu_form_add_entry (NcuForm *form, const char *name, GtkWidget *entry);
/* A secret in a GtkEntry with libnma's storage menu; its "<name>-flags"
 * key is collected into vpn.data. */
void ncu_form_add_secret (NcuForm *form, const char *name, GtkWidget *entry,
                          gboolean with_not_required);
/* Any other widget: @get/@set convert; @mark_widget gets the error mark.
 * The caller calls ncu_form_changed() when the widget changes. */
void ncu_form_add_custom (NcuForm *form, const char *name, GtkWidget *mark_widget,
                          NcuFormGetFunc get, NcuFormSetFunc set, gpointer user_data);

/* Fills every field from @data/@secrets (full keys); @secrets may be NULL. */
void ncu_form_load (NcuForm *form, GHashTable *data, GHashTable *secrets);
/* Checks every field, marks the bad ones; TRUE when all are valid. */
gboolean ncu_form_validate (NcuForm *form);
/* Adds every set field to @data/@secrets (full keys). */
void ncu_form_collect (NcuForm *form, GHashTable *data, GHashTable *secrets);
/* Re-checks the form and notifies its owner (custom widgets call it). */
void ncu_form_changed (NcuForm *form);
/* Calls ncu_form_changed() whenever @object emits @signal (any signature:
 * "changed", "notify::active"...). */
void ncu_form_watch (NcuForm *form, gpointer object, const char *signal);
/* A message about the whole profile, shown when every field is valid
 * (NULL clears it). */
void ncu_form_set_message (NcuForm *form, const char *message);
/* TRUE while ncu_form_load() runs: owners ignore their own notifications. */
gboolean ncu_form_is_loading (NcuForm *form);

/* Key/value tables: plain strings, or secrets wiped when freed. */
GHashTable *ncu_form_data_new (void);
GHashTable *ncu_form_secrets_new (void);
/* Frees a string that held a secret, wiping it first. */
void ncu_form_secret_free (char *secret);

/* The widget with buildable id @id; aborts when the .ui lacks it. */
GtkWidget *ncu_form_widget (GtkBuilder *builder, const char *id);

/* Marks @widget as bad with @message as tooltip, or clears the mark
 * (@message NULL) and restores @tooltip. */
void ncu_form_mark_widget (GtkWidget *widget, const char *message, const char *tooltip);

#endif /* NCU_EDITOR_FORM_H */
