/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nm-cunicu-status: one row per peer of every active cunicu connection,
 * read from each service's status D-Bus API (ncu-status.h).
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <glib/gi18n.h>
#include <gio/gio.h>

#include "ncu-schema.h"
#include "ncu-status.h"
#include "ncu-status-format.h"

static GPtrArray *
list_services (GDBusConnection *bus, GError **error)
{
	g_autoptr (GVariant) reply = NULL;
	g_autoptr (GVariantIter) iter = NULL;
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
	const char *name;

	reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
	                                     "org.freedesktop.DBus", "ListNames", NULL,
	                                     G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE,
	                                     5000, NULL, error);
	if (!reply) {
		g_ptr_array_unref (names);
		return NULL;
	}
	g_variant_get (reply, "(as)", &iter);
	while (g_variant_iter_next (iter, "&s", &name)) {
		if (g_strcmp0 (name, NCU_VPN_SERVICE_TYPE) == 0
		    || g_str_has_prefix (name, NCU_VPN_SERVICE_TYPE "."))
			g_ptr_array_add (names, g_strdup (name));
	}
	g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
	return names;
}

static GVariant *
get_status (GDBusConnection *bus, const char *name, GError **error)
{
	g_autoptr (GVariant) reply = NULL;
	GVariant *status;

	reply = g_dbus_connection_call_sync (bus, name, NCU_STATUS_PATH, NCU_STATUS_INTERFACE,
	                                     "GetStatus", NULL, G_VARIANT_TYPE ("(a{sv})"),
	                                     G_DBUS_CALL_FLAGS_NONE, 5000, NULL, error);
	if (!reply)
		return NULL;
	g_variant_get (reply, "(@a{sv})", &status);
	return status;
}

int
main (int argc, char *argv[])
{
	gboolean json = FALSE;
	g_autoptr (GError) error = NULL;
	g_autoptr (GOptionContext) context = NULL;
	g_autoptr (GDBusConnection) bus = NULL;
	g_autoptr (GPtrArray) names = NULL;
	g_autoptr (GVariantBuilder) all = NULL;
	GOptionEntry entries[] = {
		{ "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print JSON for scripts"), NULL },
		{ NULL }
	};

	setlocale (LC_ALL, "");
	bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
	textdomain (GETTEXT_PACKAGE);
	context = g_option_context_new (NULL);
	g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
	g_option_context_set_summary (context,
		_("Shows the peers of every active cunicu VPN connection."));
	if (!g_option_context_parse (context, &argc, &argv, &error)) {
		g_printerr ("nm-cunicu-status: %s\n", error->message);
		return 2;
	}
	bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
	if (!bus || !(names = list_services (bus, &error))) {
		g_printerr ("nm-cunicu-status: cannot reach the system bus: %s\n", error->message);
		return 1;
	}

	all = g_variant_builder_new (G_VARIANT_TYPE ("a{sv}"));
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index (names, i);
		g_autoptr (GError) local = NULL;
		GVariant *status = get_status (bus, name, &local);

		if (!status) {
			g_printerr ("nm-cunicu-status: %s: %s\n", name, local->message);
			continue;
		}
		g_variant_builder_add (all, "{sv}", name, status);
	}
	{
		g_autoptr (GVariant) result = g_variant_ref_sink (g_variant_builder_end (all));
		g_autofree char *text = json ? ncu_status_format_json (result)
		                             : ncu_status_format_table (result);
		fputs (text, stdout);
	}
	return 0;
}
