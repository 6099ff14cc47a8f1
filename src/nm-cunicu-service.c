/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nm-cunicu-service: the program NetworkManager starts for a cunicu
 * connection (named in nm-cunicu-service.name). One process per active
 * connection, one GLib main loop.
 */
#include "config.h"

#include <locale.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "ncu-ice.h"
#include "ncu-log.h"
#include "ncu-plugin.h"
#include "ncu-schema.h"

/* How long an exiting service waits for its ICE agents to release their
 * TURN allocations (a round trip to the TURN server, normally a few ms):
 * NetworkManager expects us gone within a second of Disconnect. */
#define EXIT_CLOSE_WAIT_MS 500

typedef struct {
	GMainLoop *loop;
	NcuPlugin *plugin;
	gboolean persist;
} Service;

static gboolean
on_signal (gpointer user_data)
{
	Service *svc = user_data;

	g_message ("terminating on signal");
	ncu_plugin_stop (svc->plugin);
	g_main_loop_quit (svc->loop);
	return G_SOURCE_CONTINUE;
}

/* libnm asks us to quit once the connection stopped (at once, as it
 * watches the peer that called Connect): --persist means we stay. */
static void
on_quit (NMVpnServicePlugin *plugin, gpointer user_data)
{
	Service *svc = user_data;

	if (!svc->persist)
		g_main_loop_quit (svc->loop);
}

static gboolean
quit_loop (gpointer user_data)
{
	g_main_loop_quit (user_data);
	return G_SOURCE_REMOVE;
}

/* After Disconnect NetworkManager expects us gone within a second;
 * libnm's own quit timer is far longer. */
static void
on_state (GObject *object, GParamSpec *pspec, gpointer user_data)
{
	Service *svc = user_data;
	NMVpnServiceState state;

	g_object_get (object, NM_VPN_SERVICE_PLUGIN_STATE, &state, NULL);
	if (state == NM_VPN_SERVICE_STATE_STOPPED && !svc->persist) {
		/* Let the Disconnect reply and the state signal go out first. */
		g_timeout_add (50, quit_loop, svc->loop);
	}
}

/* Exiting before the agents closed left their TURN allocations on the
 * server until they expired (600 s; all 200 of a 200-peer profile, in the
 * test bed): a reconnect whose new socket reused a port got "437
 * Allocation Mismatch", and its peer no candidate from that server. */
static void
wait_agents_closed (void)
{
	guint closing = ncu_ice_get_closing ();
	gint64 start = g_get_monotonic_time ();

	if (closing == 0)
		return;
	if (ncu_ice_wait_closed (NULL, EXIT_CLOSE_WAIT_MS))
		g_debug ("%u ICE agent(s) released their TURN allocations in %" G_GINT64_FORMAT " ms",
		         closing, (g_get_monotonic_time () - start) / 1000);
	else
		g_message ("exiting with %u of %u ICE agent(s) still releasing their TURN allocations",
		           ncu_ice_get_closing (), closing);
}

int
main (int argc, char *argv[])
{
	Service svc = { 0 };
	g_autofree char *bus_name = NULL;
	gboolean debug = FALSE;
	g_autoptr (GError) error = NULL;
	g_autoptr (GOptionContext) context = NULL;
	g_autoptr (GDBusConnection) bus = NULL;
	GOptionEntry entries[] = {
		{ "persist", 0, 0, G_OPTION_ARG_NONE, &svc.persist, N_("Do not quit when the VPN connection terminates"), NULL },
		{ "debug", 0, 0, G_OPTION_ARG_NONE, &debug, N_("Log everything, including debug messages"), NULL },
		{ "bus-name", 0, 0, G_OPTION_ARG_STRING, &bus_name, N_("D-Bus name to use for this instance"), NULL },
		{ NULL }
	};

	setlocale (LC_ALL, "");
	bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
	textdomain (GETTEXT_PACKAGE);

	context = g_option_context_new (NULL);
	g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
	g_option_context_set_summary (context,
		_("nm-cunicu-service connects peer-to-peer WireGuard tunnels through NATs for NetworkManager."));
	if (!g_option_context_parse (context, &argc, &argv, &error)) {
		g_printerr ("nm-cunicu-service: %s\n", error->message);
		return EXIT_FAILURE;
	}
	ncu_log_init (debug);
	/* Each ICE agent keeps 64 KiB receive buffers for its whole life, of
	 * which a packet touches a page or two. On the heap, fragmentation
	 * made them cost 250-400 KiB of resident memory per peer (95 MiB at 200
	 * peers); as mappings of their own only touched pages count (61 MiB,
	 * `make bench BENCH=scale`). They are allocated once per agent, never
	 * per packet, so the extra mmap calls cost nothing on the data path. */
	mallopt (M_MMAP_THRESHOLD, 32 * 1024);
	/* A peer or the broker going away must not kill us through a write. */
	signal (SIGPIPE, SIG_IGN);

	svc.plugin = ncu_plugin_new (bus_name ? bus_name : NCU_VPN_SERVICE_TYPE, &error);
	if (!svc.plugin) {
		g_warning ("cannot start: %s", error->message);
		return EXIT_FAILURE;
	}
	svc.loop = g_main_loop_new (NULL, FALSE);
	g_signal_connect (svc.plugin, "quit", G_CALLBACK (on_quit), &svc);
	g_signal_connect (svc.plugin, "notify::" NM_VPN_SERVICE_PLUGIN_STATE, G_CALLBACK (on_state), &svc);
	g_unix_signal_add (SIGTERM, on_signal, &svc);
	g_unix_signal_add (SIGINT, on_signal, &svc);

	g_main_loop_run (svc.loop);

	ncu_plugin_stop (svc.plugin);
	/* The last reply (an error for Connect) may still be queued; without
	 * the flush NetworkManager sees only that we went away. */
	bus = nm_vpn_service_plugin_get_connection (NM_VPN_SERVICE_PLUGIN (svc.plugin));
	if (bus)
		g_dbus_connection_flush_sync (bus, NULL, NULL);
	g_clear_object (&svc.plugin);
	wait_agents_closed ();
	g_main_loop_unref (svc.loop);
	return EXIT_SUCCESS;
}
