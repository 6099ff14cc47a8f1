/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One ICE session in one process, for tests across network namespaces.
 * The offer (ufrag, pwd, candidates) goes to stdout, the remote's comes
 * from stdin, one item per line:
 *   ufrag <ufrag> / pwd <pwd> / cand <a=candidate:...> / end
 * Logs and "RESULT ..." lines go to stderr. After connecting, both sides
 * exchange --count datagrams and acknowledge them, then exit 0.
 * --gather-only gathers, reports and exits.
 * --churn N restarts the session N times at short and varied intervals
 * (some while its TURN allocation is still in flight), frees it, waits
 * until every agent released its TURN allocations and reports how long
 * that took ("RESULT <name> churn ...").
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "ncu-ice.h"

#define TICK_MS 50

typedef struct {
	GMainLoop *loop;
	NcuIce *ice;
	const char *name;
	int exit_code;
	gboolean gather_only;
	int churn;                      /* --churn: restarts wanted */
	guint restarts;
	guint churn_id;
	guint count, sent, received, acks_sent;
	gboolean remote_acked;
	GString *stdin_buf;
	char *remote_ufrag, *remote_pwd;
	GPtrArray *remote_candidates;
	gint64 start_us, remote_set_us;
	guint tick_id, stdin_id;
} Peer;

static void
finish (Peer *peer, int code, const char *why)
{
	if (why)
		g_printerr ("ice-peer %s: %s\n", peer->name, why);
	peer->exit_code = code;
	g_main_loop_quit (peer->loop);
}

static void
count_types (const char *const *candidates, guint counts[4])
{
	static const char *const types[] = { " typ host", " typ srflx", " typ prflx", " typ relay" };

	for (guint i = 0; candidates && candidates[i]; i++) {
		for (guint t = 0; t < 4; t++) {
			if (strstr (candidates[i], types[t]))
				counts[t]++;
		}
	}
}

static void
on_gathered (NcuIce *ice, const char *ufrag, const char *pwd,
             const char *const *candidates, gpointer data)
{
	Peer *peer = data;
	NcuIceStats stats;
	guint counts[4] = { 0 };

	if (peer->churn > 0)
		return;
	ncu_ice_get_stats (ice, &stats);
	count_types (candidates, counts);
	/* offer_ms: when the offer could go out; gather_ms: when libnice
	 * finished (-0.0 while it has not). */
	g_printerr ("RESULT %s offer_ms=%.1f gather_ms=%.1f host=%u srflx=%u relay=%u\n", peer->name,
	            (g_get_monotonic_time () - peer->start_us) / 1000.0,
	            MAX (stats.gathering_us, 0) / 1000.0, counts[0], counts[1], counts[3]);
	for (guint i = 0; candidates[i]; i++)
		g_printerr ("ice-peer %s: local %s\n", peer->name, candidates[i]);
	if (peer->gather_only) {
		finish (peer, 0, NULL);
		return;
	}
	printf ("ufrag %s\npwd %s\n", ufrag, pwd);
	for (guint i = 0; candidates[i]; i++)
		printf ("cand %s\n", candidates[i]);
	printf ("end\n");
	fflush (stdout);
}

static void
send_text (Peer *peer, const char *text)
{
	ncu_ice_send (peer->ice, text, strlen (text));
}

static gboolean
on_tick (gpointer data)
{
	Peer *peer = data;

	if (peer->sent < peer->count) {
		g_autofree char *msg = g_strdup_printf ("data %s %u", peer->name, peer->sent);
		send_text (peer, msg);
		peer->sent++;
	}
	if (peer->received >= peer->count) {
		send_text (peer, "ack");
		peer->acks_sent++;
	}
	/* A few acks so that the other side surely gets one. */
	if (peer->received >= peer->count && peer->remote_acked && peer->acks_sent >= 3) {
		peer->tick_id = 0;
		finish (peer, 0, "exchanged all datagrams");
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void
on_state (NcuIce *ice, NcuIceState state, gpointer data)
{
	Peer *peer = data;

	g_printerr ("ice-peer %s: state %s\n", peer->name, ncu_ice_state_to_string (state));
	if (state == NCU_ICE_STATE_FAILED)
		finish (peer, 1, "ICE failed");
	else if (state == NCU_ICE_STATE_CONNECTED && !peer->tick_id) {
		g_printerr ("RESULT %s connected_ms=%.1f (after the remote offer)\n", peer->name,
		            (g_get_monotonic_time () - peer->remote_set_us) / 1000.0);
		peer->tick_id = g_timeout_add (TICK_MS, on_tick, peer);
	}
}

static void
on_pair (NcuIce *ice, const NcuIceSelectedPair *pair, gpointer data)
{
	Peer *peer = data;
	g_autofree char *local = ncu_ice_endpoint_to_string (&pair->local);
	g_autofree char *base = ncu_ice_endpoint_to_string (&pair->local_base);
	g_autofree char *remote = ncu_ice_endpoint_to_string (&pair->remote);

	g_printerr ("RESULT %s pair local=%s remote=%s local_addr=%s local_base=%s remote_addr=%s\n",
	            peer->name, ncu_ice_candidate_type_to_string (pair->local_type),
	            ncu_ice_candidate_type_to_string (pair->remote_type), local, base, remote);
}

static void
on_recv (NcuIce *ice, guint8 *buf, gsize len, gpointer data)
{
	Peer *peer = data;
	g_autofree char *text = g_strndup ((const char *) buf, len);

	if (g_str_equal (text, "ack"))
		peer->remote_acked = TRUE;
	else if (g_str_has_prefix (text, "data "))
		peer->received++;
}

static void
apply_remote (Peer *peer)
{
	g_autoptr (GError) error = NULL;

	g_ptr_array_add (peer->remote_candidates, NULL);
	peer->remote_set_us = g_get_monotonic_time ();
	if (!ncu_ice_set_remote (peer->ice, peer->remote_ufrag, peer->remote_pwd,
	                         (const char *const *) peer->remote_candidates->pdata, &error))
		finish (peer, 1, error->message);
}

static void
handle_line (Peer *peer, const char *line)
{
	if (g_str_has_prefix (line, "ufrag "))
		peer->remote_ufrag = g_strdup (line + 6);
	else if (g_str_has_prefix (line, "pwd "))
		peer->remote_pwd = g_strdup (line + 4);
	else if (g_str_has_prefix (line, "cand "))
		g_ptr_array_add (peer->remote_candidates, g_strdup (line + 5));
	else if (g_str_equal (line, "end"))
		apply_remote (peer);
}

static gboolean
on_stdin (gint fd, GIOCondition condition, gpointer data)
{
	Peer *peer = data;
	char buf[4096];
	ssize_t n = read (fd, buf, sizeof buf);
	char *nl;

	if (n <= 0) {
		peer->stdin_id = 0;
		return G_SOURCE_REMOVE;  /* the other side is gone; its datagrams tell */
	}
	g_string_append_len (peer->stdin_buf, buf, n);
	while ((nl = strchr (peer->stdin_buf->str, '\n'))) {
		*nl = '\0';
		handle_line (peer, peer->stdin_buf->str);
		g_string_erase (peer->stdin_buf, 0, nl - peer->stdin_buf->str + 1);
	}
	return G_SOURCE_CONTINUE;
}

/* Delays between restarts, cycled: from inside the TURN allocation's
 * round trip to well after it. */
static const guint churn_delays_ms[] = { 0, 1, 3, 7, 15, 30, 60, 120 };

static gboolean
on_churn (gpointer data)
{
	Peer *peer = data;
	g_autoptr (GError) error = NULL;

	if (peer->restarts >= (guint) peer->churn) {
		peer->churn_id = 0;
		finish (peer, 0, NULL);
		return G_SOURCE_REMOVE;
	}
	if (!ncu_ice_restart (peer->ice, &error)) {
		peer->churn_id = 0;
		finish (peer, 1, error->message);
		return G_SOURCE_REMOVE;
	}
	peer->churn_id = g_timeout_add (churn_delays_ms[peer->restarts++ % G_N_ELEMENTS (churn_delays_ms)],
	                                on_churn, peer);
	return G_SOURCE_REMOVE;
}

/* After --churn: every agent must release its allocations, and soon. */
static void
report_churn (Peer *peer)
{
	gint64 start = g_get_monotonic_time ();
	guint closing = ncu_ice_get_closing ();
	gboolean closed = ncu_ice_wait_closed (NULL, 10000);

	g_printerr ("RESULT %s churn restarts=%u closing=%u close_ms=%.1f left=%u\n", peer->name,
	            peer->restarts, closing, (g_get_monotonic_time () - start) / 1000.0,
	            ncu_ice_get_closing ());
	if (!closed && peer->exit_code == 0)
		peer->exit_code = 1;
}

static gboolean
on_linger_done (gpointer loop)
{
	g_main_loop_quit (loop);
	return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer data)
{
	finish (data, 1, "timed out");
	return G_SOURCE_CONTINUE;  /* removed by main() */
}

static gboolean
parse_server (const char *text, NcuIceServerKind kind, GPtrArray *servers, GError **error)
{
	g_autoptr (GSocketConnectable) addr = NULL;
	NcuIceServer *server;

	if (!text)
		return TRUE;
	addr = g_network_address_parse (text, 3478, error);
	if (!addr)
		return FALSE;
	server = g_new0 (NcuIceServer, 1);
	server->kind = kind;
	server->host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (addr)));
	server->port = g_network_address_get_port (G_NETWORK_ADDRESS (addr));
	g_ptr_array_add (servers, server);
	return TRUE;
}

static void
server_free (NcuIceServer *server)
{
	g_free (server->host);
	g_free (server);
}

static NcuCandidateTypes
parse_types (const char *text)
{
	NcuCandidateTypes types = 0;

	if (!text)
		return 0;
	if (strstr (text, "host"))
		types |= NCU_CANDIDATE_HOST;
	if (strstr (text, "srflx"))
		types |= NCU_CANDIDATE_SRFLX;
	if (strstr (text, "relay"))
		types |= NCU_CANDIDATE_RELAY;
	return types;
}

int
main (int argc, char **argv)
{
	gboolean controlling = FALSE, stun_with_turn = FALSE;
	char *stun = NULL, *turn = NULL, *types = NULL, *name = NULL, *tunnel = NULL;
	char **exclude = NULL;
	int timeout_s = 20, count = 5, deadline = 0;
	guint timeout_id;
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) servers = g_ptr_array_new_with_free_func ((GDestroyNotify) server_free);
	Peer peer = { .name = "peer" };
	GOptionEntry entries[] = {
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name, "Name in logs", "NAME" },
		{ "controlling", 0, 0, G_OPTION_ARG_NONE, &controlling, "ICE-controlling", NULL },
		{ "stun", 0, 0, G_OPTION_ARG_STRING, &stun, "STUN server", "HOST:PORT" },
		{ "turn", 0, 0, G_OPTION_ARG_STRING, &turn, "TURN server (user u, password p)", "HOST:PORT" },
		{ "stun-with-turn", 0, 0, G_OPTION_ARG_NONE, &stun_with_turn, "Keep STUN next to TURN", NULL },
		{ "types", 0, 0, G_OPTION_ARG_STRING, &types, "Candidate types", "host,srflx,relay" },
		{ "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &exclude, "Interfaces to leave out", "GLOB" },
		{ "tunnel", 0, 0, G_OPTION_ARG_STRING, &tunnel, "Our tunnel interface", "IFNAME" },
		{ "deadline", 0, 0, G_OPTION_ARG_INT, &deadline, "Gathering deadline (ms, -1: none)", "MS" },
		{ "gather-only", 0, 0, G_OPTION_ARG_NONE, &peer.gather_only, "Gather, report, exit", NULL },
		{ "churn", 0, 0, G_OPTION_ARG_INT, &peer.churn, "Restart N times, free, wait for the close", "N" },
		{ "count", 0, 0, G_OPTION_ARG_INT, &count, "Datagrams to exchange", "N" },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, "Seconds before failing", "S" },
		{ NULL }
	};
	g_autoptr (GOptionContext) options = g_option_context_new ("- one ICE peer for tests");
	NcuIceConfig config = { 0 };
	const NcuIceCallbacks callbacks = {
		.state_changed = on_state, .gathering_done = on_gathered, .selected_pair = on_pair,
	};

	g_option_context_add_main_entries (options, entries, NULL);
	if (!g_option_context_parse (options, &argc, &argv, &error) ||
	    !parse_server (stun, NCU_ICE_SERVER_STUN, servers, &error) ||
	    !parse_server (turn, NCU_ICE_SERVER_TURN, servers, &error)) {
		g_printerr ("ice-peer: %s\n", error->message);
		return 2;
	}
	if (name)
		peer.name = name;
	peer.count = count;
	config.servers = (NcuIceServer *const *) servers->pdata;
	config.n_servers = servers->len;
	config.turn_username = "u";
	config.turn_password = "p";  /* the test server's fixture */
	config.candidate_types = parse_types (types);
	config.stun_with_turn = stun_with_turn;
	config.exclude_interfaces = (const char *const *) exclude;
	config.tunnel_interface = tunnel;
	config.gather_deadline_ms = deadline;

	peer.loop = g_main_loop_new (NULL, FALSE);
	peer.stdin_buf = g_string_new (NULL);
	peer.remote_candidates = g_ptr_array_new_with_free_func (g_free);
	peer.ice = ncu_ice_new (NULL, &config, controlling, &error);
	if (!peer.ice) {
		g_printerr ("ice-peer %s: %s\n", peer.name, error->message);
		return 1;
	}
	ncu_ice_set_callbacks (peer.ice, &callbacks, &peer);
	ncu_ice_set_recv_func (peer.ice, on_recv, &peer);
	peer.start_us = g_get_monotonic_time ();
	if (!ncu_ice_gather (peer.ice, &error)) {
		g_printerr ("ice-peer %s: %s\n", peer.name, error->message);
		return 1;
	}
	if (peer.churn > 0)
		peer.churn_id = g_timeout_add (0, on_churn, &peer);
	else if (!peer.gather_only)
		peer.stdin_id = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP, on_stdin, &peer);
	timeout_id = g_timeout_add_seconds (timeout_s, on_timeout, &peer);
	g_main_loop_run (peer.loop);
	g_source_remove (timeout_id);
	if (peer.tick_id)
		g_source_remove (peer.tick_id);
	if (peer.stdin_id)
		g_source_remove (peer.stdin_id);
	if (peer.churn_id)
		g_source_remove (peer.churn_id);

	/* Release the TURN allocation before leaving. */
	ncu_ice_free (peer.ice);
	if (peer.churn > 0) {
		report_churn (&peer);
	} else {
		g_timeout_add (300, on_linger_done, peer.loop);
		g_main_loop_run (peer.loop);
	}
	g_main_loop_unref (peer.loop);
	g_string_free (peer.stdin_buf, TRUE);
	g_ptr_array_unref (peer.remote_candidates);
	g_free (peer.remote_ufrag);
	g_free (peer.remote_pwd);
	g_free (stun);
	g_free (turn);
	g_free (types);
	g_free (name);
	g_free (tunnel);
	g_strfreev (exclude);
	return peer.exit_code;
}
