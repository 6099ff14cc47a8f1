/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ICE page: STUN/TURN servers (one URL per line), TURN credentials (a
 * password, or the shared secret of time-limited ones and their lifetime),
 * candidate types, relay only, port range, excluded interfaces.
 */
#include "config.h"

#include "ncu-editor-ice.h"

#include <string.h>

#include "ncu-schema.h"

/* ---- servers: one URL per line in the view, a comma list in the key ---- */

static char *
servers_get (gpointer user_data)
{
	GtkTextBuffer *buffer = GTK_TEXT_BUFFER (user_data);
	GtkTextIter start, end;
	g_autofree char *text = NULL;
	g_auto (GStrv) parts = NULL;
	g_autoptr (GPtrArray) urls = g_ptr_array_new ();

	gtk_text_buffer_get_bounds (buffer, &start, &end);
	text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
	/* Commas are accepted too, as in the key itself. */
	g_strdelimit (text, ",", '\n');
	parts = g_strsplit (text, "\n", -1);
	for (guint i = 0; parts[i]; i++) {
		g_strstrip (parts[i]);
		if (*parts[i])
			g_ptr_array_add (urls, parts[i]);
	}
	if (urls->len == 0)
		return NULL;
	g_ptr_array_add (urls, NULL);
	return g_strjoinv (",", (char **) urls->pdata);
}

static void
servers_set (gpointer user_data, const char *value)
{
	GtkTextBuffer *buffer = GTK_TEXT_BUFFER (user_data);
	g_autofree char *text = g_strdup (value ? value : "");

	g_strdelimit (text, ",", '\n');
	gtk_text_buffer_set_text (buffer, text, -1);
}

static void
setup_servers (GtkBuilder *builder, NcuForm *form)
{
	GtkWidget *view = ncu_form_widget (builder, "ice_servers_textview");
	GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));

	ncu_form_add_custom (form, NCU_KEY_ICE_SERVERS, view, servers_get, servers_set, buffer);
	ncu_form_watch (form, buffer, "changed");
}

/* ---- candidate types: three check buttons and a "relay only" switch ---- */

#define CANDIDATE_RELAY "relay"

typedef struct {
	const char *name;        /* as in the key */
	GtkCheckButton *check;
} CandidateType;

typedef struct {
	CandidateType types[3];
	GtkSwitch *relay_only;
} CandidateTypes;

static char *
candidate_types_get (gpointer user_data)
{
	CandidateTypes *ct = user_data;
	g_autoptr (GString) value = g_string_new (NULL);
	guint checked = 0;

	if (gtk_switch_get_active (ct->relay_only))
		return g_strdup (CANDIDATE_RELAY);
	for (guint i = 0; i < G_N_ELEMENTS (ct->types); i++) {
		if (!gtk_check_button_get_active (ct->types[i].check))
			continue;
		g_string_append_printf (value, "%s%s", checked ? "," : "", ct->types[i].name);
		checked++;
	}
	/* All of them is what an unset key means. None is kept as an empty
	 * value: the table rejects it, and the user sees why. */
	if (checked == G_N_ELEMENTS (ct->types))
		return NULL;
	return g_string_free (g_steal_pointer (&value), FALSE);
}

static void
candidate_types_set (gpointer user_data, const char *value)
{
	CandidateTypes *ct = user_data;
	g_auto (GStrv) names = value ? g_strsplit (value, ",", -1) : NULL;

	for (guint i = 0; i < G_N_ELEMENTS (ct->types); i++) {
		gboolean on = !names || g_strv_contains ((const char *const *) names, ct->types[i].name);

		gtk_check_button_set_active (ct->types[i].check, on);
	}
	gtk_switch_set_active (ct->relay_only, g_strcmp0 (value, CANDIDATE_RELAY) == 0);
}

static void
setup_candidate_types (GtkBuilder *builder, NcuForm *form)
{
	static const struct {
		const char *name;
		const char *id;
	} types[] = {
		{ "host", "ice_candidate_host_check" },
		{ "srflx", "ice_candidate_srflx_check" },
		{ "relay", "ice_candidate_relay_check" },
	};
	CandidateTypes *ct = g_new0 (CandidateTypes, 1);
	GtkWidget *box = ncu_form_widget (builder, "ice_candidate_types_box");

	G_STATIC_ASSERT (G_N_ELEMENTS (types) == G_N_ELEMENTS (ct->types));
	g_object_set_data_full (G_OBJECT (box), "ncu-candidate-types", ct, g_free);
	for (guint i = 0; i < G_N_ELEMENTS (types); i++) {
		ct->types[i].name = types[i].name;
		ct->types[i].check = GTK_CHECK_BUTTON (ncu_form_widget (builder, types[i].id));
		ncu_form_watch (form, ct->types[i].check, "notify::active");
	}
	ct->relay_only = GTK_SWITCH (ncu_form_widget (builder, "ice_relay_only_switch"));
	/* Relay only overrides the check buttons. */
	g_object_bind_property (ct->relay_only, "active", box, "sensitive",
	                        G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
	ncu_form_watch (form, ct->relay_only, "notify::active");

	ncu_form_add_custom (form, NCU_KEY_ICE_CANDIDATE_TYPES, box,
	                     candidate_types_get, candidate_types_set, ct);
}

void
ncu_editor_ice_setup (GtkBuilder *builder, NcuForm *form)
{
	setup_servers (builder, form);
	ncu_form_add_entry (form, NCU_KEY_ICE_USERNAME, ncu_form_widget (builder, "ice_username_entry"));
	ncu_form_add_secret (form, NCU_KEY_ICE_PASSWORD,
	                     ncu_form_widget (builder, "ice_password_entry"), TRUE);
	ncu_form_add_secret (form, NCU_KEY_ICE_AUTH_SECRET,
	                     ncu_form_widget (builder, "ice_auth_secret_entry"), TRUE);
	ncu_form_add_entry (form, NCU_KEY_ICE_AUTH_LIFETIME,
	                    ncu_form_widget (builder, "ice_auth_lifetime_entry"));
	setup_candidate_types (builder, form);
	ncu_form_add_entry (form, NCU_KEY_ICE_PORT_RANGE,
	                    ncu_form_widget (builder, "ice_port_range_entry"));
	ncu_form_add_entry (form, NCU_KEY_ICE_INTERFACES_EXCLUDE,
	                    ncu_form_widget (builder, "ice_interfaces_exclude_entry"));
}
