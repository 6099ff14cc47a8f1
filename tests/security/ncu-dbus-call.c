/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ncu-dbus-call DESTINATION: makes D-Bus method calls on the system bus
 * ($DBUS_SYSTEM_BUS_ADDRESS) over ONE connection that stays open, one per
 * line read from stdin:
 *
 *   OBJECT-PATH INTERFACE.METHOD [ARGUMENTS]
 *
 * ARGUMENTS is a GVariant tuple in text form, e.g. "(@a{sa{sv}} {},)"; none
 * means "()". For each call one line goes to stdout: "ok <reply>" or
 * "error <D-Bus error name>". A line that does not parse gives
 * "bad-line <why>". gdbus/dbus-send cannot stand in: each call would come
 * from a new process, and a VPN service watches whoever called Connect and
 * stops when that caller leaves the bus.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#define CALL_TIMEOUT_MS 10000

static void
call_line (GDBusConnection *bus, const char *dest, char *line)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GVariant) args = NULL;
	g_autoptr (GVariant) reply = NULL;
	g_autofree char *text = NULL;
	char *path = strtok (line, " ");
	char *method = strtok (NULL, " ");
	char *rest = strtok (NULL, "");
	char *dot;

	if (!path || !method || !(dot = strrchr (method, '.')) || !g_variant_is_object_path (path)) {
		printf ("bad-line expected: OBJECT-PATH INTERFACE.METHOD [ARGUMENTS]\n");
		return;
	}
	*dot = '\0';
	args = g_variant_parse (NULL, rest ? rest : "()", NULL, NULL, &error);
	if (!args || !g_variant_is_of_type (args, G_VARIANT_TYPE_TUPLE)) {
		printf ("bad-line arguments: %s\n", error ? error->message : "not a tuple");
		return;
	}
	reply = g_dbus_connection_call_sync (bus, dest, path, method, dot + 1,
	                                     g_steal_pointer (&args), NULL, G_DBUS_CALL_FLAGS_NONE,
	                                     CALL_TIMEOUT_MS, NULL, &error);
	if (!reply) {
		g_autofree char *name = g_dbus_error_get_remote_error (error);

		printf ("error %s\n", name ? name : error->message);
		return;
	}
	text = g_variant_print (reply, FALSE);
	/* Replies may be long (status): the first line is enough here. */
	printf ("ok %.200s\n", text);
}

int
main (int argc, char **argv)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GDBusConnection) bus = NULL;
	char line[65536];

	if (argc != 2) {
		fprintf (stderr, "usage: %s DESTINATION < calls\n", argv[0]);
		return 2;
	}
	bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
	if (!bus) {
		fprintf (stderr, "%s: %s\n", argv[0], error->message);
		return 1;
	}
	setvbuf (stdout, NULL, _IOLBF, 0);
	while (fgets (line, sizeof line, stdin)) {
		line[strcspn (line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		call_line (bus, argv[1], line);
	}
	return 0;
}
