/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The advanced page: interface name and two drop-downs (proxy mode,
 * WireGuard backend) whose choices come from the schema table.
 */
#include "config.h"

#include "ncu-editor-advanced.h"

#include <glib/gi18n-lib.h>

#include "ncu-schema.h"

typedef struct {
	GtkDropDown *dropdown;
	const NcuKeyInfo *info;  /* choices and default */
} Choice;

/* What a user reads for each choice of the table; unknown ones show as is. */
static const char *
choice_label (const char *choice)
{
	static const struct {
		const char *choice;
		const char *label;
	} labels[] = {
		{ "auto", N_("Automatic") },
		{ "userspace", N_("Userspace") },
		{ "nftables", N_("nftables port redirection") },
		{ "kernel", N_("Kernel module") },
	};

	for (guint i = 0; i < G_N_ELEMENTS (labels); i++) {
		if (g_str_equal (choice, labels[i].choice))
			return _(labels[i].label);
	}
	return choice;
}

static guint
choice_index (const Choice *choice, const char *value)
{
	const char *const *choices = choice->info->choices;

	for (guint i = 0; value && choices[i]; i++) {
		if (g_str_equal (choices[i], value))
			return i;
	}
	return GTK_INVALID_LIST_POSITION;
}

static char *
choice_get (gpointer user_data)
{
	Choice *choice = user_data;
	guint selected = gtk_drop_down_get_selected (choice->dropdown);
	const char *value;

	if (selected == GTK_INVALID_LIST_POSITION)
		return NULL;
	value = choice->info->choices[selected];
	/* A drop-down cannot be "unset": the default is written as no key. */
	if (g_strcmp0 (value, choice->info->default_value) == 0)
		return NULL;
	return g_strdup (value);
}

static void
choice_set (gpointer user_data, const char *value)
{
	Choice *choice = user_data;
	guint index = choice_index (choice, value);

	if (index == GTK_INVALID_LIST_POSITION)
		index = choice_index (choice, choice->info->default_value);
	gtk_drop_down_set_selected (choice->dropdown, index == GTK_INVALID_LIST_POSITION ? 0 : index);
}

static void
setup_choice (GtkBuilder *builder, NcuForm *form, const char *key, const char *id)
{
	Choice *choice = g_new0 (Choice, 1);
	g_autoptr (GtkStringList) model = gtk_string_list_new (NULL);

	choice->dropdown = GTK_DROP_DOWN (ncu_form_widget (builder, id));
	choice->info = ncu_schema_lookup (key, NULL, NULL);
	g_assert (choice->info && choice->info->choices);
	g_object_set_data_full (G_OBJECT (choice->dropdown), "ncu-choice", choice, g_free);

	for (guint i = 0; choice->info->choices[i]; i++)
		gtk_string_list_append (model, choice_label (choice->info->choices[i]));
	gtk_drop_down_set_model (choice->dropdown, G_LIST_MODEL (model));
	choice_set (choice, NULL);

	ncu_form_add_custom (form, key, GTK_WIDGET (choice->dropdown), choice_get, choice_set, choice);
	ncu_form_watch (form, choice->dropdown, "notify::selected");
}

void
ncu_editor_advanced_setup (GtkBuilder *builder, NcuForm *form)
{
	ncu_form_add_entry (form, NCU_KEY_INTERFACE_NAME,
	                    ncu_form_widget (builder, "interface_name_entry"));
	setup_choice (builder, form, NCU_KEY_PROXY_MODE, "proxy_mode_dropdown");
	setup_choice (builder, form, NCU_KEY_WIREGUARD_BACKEND, "wireguard_backend_dropdown");
}
