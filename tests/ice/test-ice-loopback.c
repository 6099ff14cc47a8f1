/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two ICE sessions in one process, on loopback only, exchanging their
 * offers directly: connect, data both ways, bad remote input, restart.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <gio/gio.h>

#include "ncu-ice.h"
#include "ncu-ice-private.h"
#include "ice-test-util.h"

typedef struct {
	TestPeer *a, *b;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	NcuIceConfig config;

	test_loopback_config (&config);
	f->a = test_peer_new (TRUE, &config);
	f->b = test_peer_new (FALSE, &config);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	test_peer_free (f->a);
	test_peer_free (f->b);
	/* Every ended session's agent closes (no leak under valgrind). */
	g_assert_true (ncu_ice_wait_closed (NULL, TEST_TIMEOUT_MS));
}

static gboolean
received_n (gpointer data)
{
	Fixture *f = data;

	return f->a->received->len >= 10 && f->b->received->len >= 10;
}

static void
send_ten (NcuIce *ice, const char *tag)
{
	for (guint i = 0; i < 10; i++) {
		g_autofree char *msg = g_strdup_printf ("%s %u", tag, i);
		g_assert_true (ncu_ice_send (ice, msg, strlen (msg)));
	}
}

static void
assert_received (TestPeer *peer, const char *tag)
{
	for (guint i = 0; i < peer->received->len; i++) {
		gsize len;
		const char *data = g_bytes_get_data (peer->received->pdata[i], &len);
		g_autofree char *want = g_strdup_printf ("%s %u", tag, i);

		g_assert_cmpmem (data, len, want, strlen (want));
	}
}

static void
exchange_data (Fixture *f)
{
	NcuIceStats stats;

	send_ten (f->a->ice, "from-a");
	send_ten (f->b->ice, "from-b");
	g_assert_true (test_wait (received_n, f, TEST_TIMEOUT_MS));
	g_assert_cmpuint (f->a->received->len, ==, 10);
	g_assert_cmpuint (f->b->received->len, ==, 10);
	assert_received (f->a, "from-b");
	assert_received (f->b, "from-a");
	ncu_ice_get_stats (f->a->ice, &stats);
	g_assert_cmpuint (stats.tx_packets, ==, 10);
	g_assert_cmpuint (stats.rx_packets, ==, 10);
	g_assert_cmpuint (stats.tx_bytes, ==, 10 * strlen ("from-a 0"));
	g_assert_cmpuint (stats.rx_bytes, ==, 10 * strlen ("from-b 0"));
}

static void
assert_host_pair (TestPeer *peer)
{
	const NcuIceSelectedPair *pair = ncu_ice_get_selected_pair (peer->ice);
	g_autofree char *local = NULL, *base = NULL, *remote = NULL;

	g_assert_nonnull (pair);
	g_assert_cmpmem (pair, sizeof *pair, &peer->pair, sizeof peer->pair);
	local = ncu_ice_endpoint_to_string (&pair->local);
	base = ncu_ice_endpoint_to_string (&pair->local_base);
	remote = ncu_ice_endpoint_to_string (&pair->remote);
	g_test_message ("selected %s %s (base %s) -> %s %s",
	                ncu_ice_candidate_type_to_string (pair->local_type), local, base,
	                ncu_ice_candidate_type_to_string (pair->remote_type), remote);
	g_assert_cmpint (pair->local_type, ==, NCU_ICE_CANDIDATE_HOST);
	g_assert_true (pair->remote_type == NCU_ICE_CANDIDATE_HOST ||
	               pair->remote_type == NCU_ICE_CANDIDATE_PRFLX);
	g_assert_cmpuint (pair->local.port, !=, 0);
	/* A host candidate is its own base. */
	g_assert_cmpmem (&pair->local_base, sizeof pair->local_base,
	                 &pair->local, sizeof pair->local);
	g_assert_true (pair->local.family == AF_INET || pair->local.family == AF_INET6);
}

static void
assert_states (TestPeer *peer)
{
	GPtrArray *s = peer->states;

	/* gathering, connecting, connected: each once, in that order. */
	g_assert_cmpuint (s->len, >=, 3);
	g_assert_cmpint (GPOINTER_TO_INT (s->pdata[0]), ==, NCU_ICE_STATE_GATHERING);
	g_assert_cmpint (GPOINTER_TO_INT (s->pdata[1]), ==, NCU_ICE_STATE_CONNECTING);
	g_assert_cmpint (GPOINTER_TO_INT (s->pdata[2]), ==, NCU_ICE_STATE_CONNECTED);
}

/* Our descriptor whose socket is bound to @endpoint, or -1. */
static int
fd_bound_to (const NcuIceEndpoint *endpoint)
{
	for (int fd = 3; fd < 1024; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		const struct sockaddr_in *sin = (const void *) &ss;
		const struct sockaddr_in6 *sin6 = (const void *) &ss;

		if (getsockname (fd, (struct sockaddr *) &ss, &len) != 0 || ss.ss_family != endpoint->family)
			continue;
		if (ss.ss_family == AF_INET && ntohs (sin->sin_port) == endpoint->port &&
		    memcmp (&sin->sin_addr, endpoint->addr, 4) == 0)
			return fd;
		if (ss.ss_family == AF_INET6 && ntohs (sin6->sin6_port) == endpoint->port &&
		    memcmp (&sin6->sin6_addr, endpoint->addr, 16) == 0)
			return fd;
	}
	return -1;
}

/* The selected pair's socket got big buffers (the default ~208 KiB drops
 * datagrams at full rate). Only root may pass net.core.[rw]mem_max. */
static void
assert_big_buffers (TestPeer *peer)
{
	const NcuIceSelectedPair *pair = ncu_ice_get_selected_pair (peer->ice);
	int fd, size;
	socklen_t len = sizeof size;

	g_assert_nonnull (pair);
	fd = fd_bound_to (&pair->local_base);
	g_assert_cmpint (fd, >=, 0);
	if (geteuid () != 0)
		return;
	/* Linux reports twice what was set (its bookkeeping overhead). */
	g_assert_cmpint (getsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, &len), ==, 0);
	g_assert_cmpint (size, >=, NCU_ICE_SOCKET_BUFFER);
	g_assert_cmpint (getsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, &len), ==, 0);
	g_assert_cmpint (size, >=, NCU_ICE_SOCKET_BUFFER);
}

static void
test_connect (Fixture *f, gconstpointer data)
{
	NcuIceStats stats;
	const char *ufrag, *pwd;

	test_peers_connect (f->a, f->b);
	assert_states (f->a);
	assert_states (f->b);
	assert_host_pair (f->a);
	assert_host_pair (f->b);
	assert_big_buffers (f->a);
	assert_big_buffers (f->b);
	g_assert_true (ncu_ice_is_controlling (f->a->ice));
	g_assert_false (ncu_ice_is_controlling (f->b->ice));

	g_assert_true (ncu_ice_get_local_credentials (f->a->ice, &ufrag, &pwd));
	g_assert_cmpstr (ufrag, ==, f->a->ufrag);
	g_assert_cmpstr (pwd, ==, f->a->pwd);
	g_assert_cmpstrv (ncu_ice_get_local_candidates (f->a->ice), f->a->candidates);
	for (guint i = 0; f->a->candidates[i]; i++) {
		g_test_message ("candidate %s", f->a->candidates[i]);
		g_assert_true (g_str_has_prefix (f->a->candidates[i], "a=candidate:"));
		g_assert_nonnull (strstr (f->a->candidates[i], " typ host"));
	}
	ncu_ice_get_stats (f->a->ice, &stats);
	g_assert_cmpint (stats.gathering_us, >=, 0);
	g_test_message ("gathering (loopback, no servers): %.1f ms", stats.gathering_us / 1000.0);

	exchange_data (f);
}

static void
test_send_before_connect (Fixture *f, gconstpointer data)
{
	NcuIceStats stats;

	g_assert_false (ncu_ice_send (f->a->ice, "x", 1));
	ncu_ice_get_stats (f->a->ice, &stats);
	g_assert_cmpuint (stats.tx_dropped, ==, 1);
	g_assert_cmpuint (stats.tx_packets, ==, 0);
}

typedef struct {
	const char *candidate;
	const char *field;      /* what the message must name */
} BadCandidate;

static const BadCandidate bad_candidates[] = {
	{ "", "prefix" },
	{ "hello", "prefix" },
	{ "a=candidate:", "format" },
	{ "a=candidate:1 1 UDP 2013266431 127.0.0.1 4000", "format" },
	{ "a=candidate:1 1 UDP 2013266431 127.0.0.1 4000 type host", "format" },
	{ "a=candidate:1  1 UDP 2013266431 127.0.0.1 4000 typ host", "format" },
	{ "a=candidate:1 01 UDP 2013266431 127.0.0.1 4000 typ host", "component" },
	{ "a=candidate:1 2 UDP 2013266431 127.0.0.1 4000 typ host", "component" },
	{ "a=candidate:1 1 SCTP 2013266431 127.0.0.1 4000 typ host", "transport" },
	{ "a=candidate:1 1 UDP -5 127.0.0.1 4000 typ host", "priority" },
	{ "a=candidate:1 1 UDP 99999999999 127.0.0.1 4000 typ host", "priority" },
	{ "a=candidate:1 1 UDP 1x 127.0.0.1 4000 typ host", "priority" },
	{ "a=candidate:1 1 UDP 2013266431 256.0.0.1 4000 typ host", "address" },
	{ "a=candidate:1 1 UDP 2013266431 peer.example 4000 typ host", "address" },
	{ "a=candidate:1 1 UDP 2013266431 127.0.0.1 0 typ host", "port" },
	{ "a=candidate:1 1 UDP 2013266431 127.0.0.1 70000 typ host", "port" },
	{ "a=candidate:1 1 UDP 2013266431 127.0.0.1 4000 typ lan", "type" },
	{ "a=candidate:1 1 UDP 2013266431 127.0.0.1 4000 typ host raddr", "trailing field" },
	{ "a=candidate:1 1 UDP 2013266431 127.0.0.1 4000 typ srflx raddr x rport 1", "raddr" },
	{ "a=candidate:1 1 UDP 2013266431 127.0.0.1 4000 typ srflx raddr 10.0.0.1 rport y", "rport" },
	{ "a=candidate:f\xc3\xa9 1 UDP 2013266431 127.0.0.1 4000 typ host", "foundation" },
	{ "a=candidate:123456789012345678901234567890123 1 UDP 1 127.0.0.1 4000 typ host", "foundation" },
};

static void
test_bad_candidates (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	const char *good = "a=candidate:1 1 UDP 2013266431 127.0.0.1 4000 typ host";
	g_autofree char *huge = g_strnfill (5000, 'a');

	g_assert_true (ncu_ice_gather (f->a->ice, &error));
	g_assert_no_error (error);

	for (guint i = 0; i < G_N_ELEMENTS (bad_candidates); i++) {
		const char *list[] = { good, bad_candidates[i].candidate, NULL };

		g_assert_false (ncu_ice_set_remote (f->a->ice, "abcd", "0123456789012345678901",
		                                    list, &error));
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		g_test_message ("%s", error->message);
		g_assert_nonnull (strstr (error->message, "candidate 1"));
		g_assert_nonnull (strstr (error->message, bad_candidates[i].field));
		g_clear_error (&error);
	}
	{
		const char *list[] = { huge, NULL };
		g_assert_false (ncu_ice_set_remote (f->a->ice, "abcd", "0123456789012345678901",
		                                    list, &error));
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
		g_clear_error (&error);
	}

	/* Credentials. */
	g_assert_false (ncu_ice_set_remote (f->a->ice, "abc", "0123456789012345678901", NULL, &error));
	g_assert_nonnull (strstr (error->message, "ufrag"));
	g_clear_error (&error);
	g_assert_false (ncu_ice_set_remote (f->a->ice, NULL, "0123456789012345678901", NULL, &error));
	g_assert_nonnull (strstr (error->message, "ufrag"));
	g_clear_error (&error);
	g_assert_false (ncu_ice_set_remote (f->a->ice, "abcd", "short", NULL, &error));
	g_assert_nonnull (strstr (error->message, "pwd"));
	g_clear_error (&error);
	g_assert_false (ncu_ice_set_remote (f->a->ice, "ab d", "0123456789012345678901", NULL, &error));
	g_assert_nonnull (strstr (error->message, "ufrag"));
	g_clear_error (&error);

	/* Nothing was applied: good input still works, TCP is skipped, and
	 * other credentials need a restart. */
	{
		const char *list[] = { good, "candidate:2 1 TCP 1 127.0.0.1 9 typ host tcptype active", NULL };
		g_assert_true (ncu_ice_set_remote (f->a->ice, "abcd", "0123456789012345678901",
		                                   list, &error));
		g_assert_no_error (error);
	}
	{
		const char *tcp_only[] = { "a=candidate:3 1 TCP 1 127.0.0.1 9 typ host tcptype passive", NULL };
		g_assert_true (ncu_ice_set_remote (f->a->ice, "abcd", "0123456789012345678901",
		                                   tcp_only, &error));
		g_assert_no_error (error);
	}
	g_assert_false (ncu_ice_set_remote (f->a->ice, "efgh", "0123456789012345678901", NULL, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* Mutations of a valid line: every one is rejected or accepted cleanly. */
static void
test_fuzz_candidates (Fixture *f, gconstpointer data)
{
	const char *good = "a=candidate:1 1 UDP 2013266431 127.0.0.1 4000 typ srflx raddr 10.0.0.1 rport 5";
	GRand *rand = g_rand_new_with_seed (42);
	guint accepted = 0;

	g_assert_true (ncu_ice_gather (f->a->ice, NULL));
	for (guint round = 0; round < 3000; round++) {
		g_autofree char *line = g_strdup (good);
		gsize len = strlen (line);
		g_autoptr (GError) error = NULL;
		char *out;

		for (guint k = g_rand_int_range (rand, 1, 4); k > 0; k--)
			line[g_rand_int_range (rand, 0, len)] = (char) g_rand_int_range (rand, 1, 256);
		out = ncu_ice_check_candidate (line, 0, &error);
		if (out) {
			const char *list[] = { out, NULL };
			g_autoptr (GError) set_error = NULL;
			accepted++;
			/* libnice must agree with our check. */
			g_assert_true (ncu_ice_set_remote (f->a->ice, "abcd", "0123456789012345678901",
			                                   list, &set_error));
			g_assert_no_error (set_error);
		}
		g_free (out);
	}
	g_test_message ("%u of 3000 mutated candidates accepted", accepted);
	g_rand_free (rand);
}

static void
test_restart (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *old_ufrag = NULL;
	NcuIceStats stats;

	test_peers_connect (f->a, f->b);
	exchange_data (f);
	old_ufrag = g_strdup (f->a->ufrag);

	test_peer_reset (f->a);
	test_peer_reset (f->b);
	g_assert_true (ncu_ice_restart (f->a->ice, &error));
	g_assert_no_error (error);
	g_assert_true (ncu_ice_restart (f->b->ice, &error));
	g_assert_no_error (error);
	g_assert_null (ncu_ice_get_selected_pair (f->a->ice));
	g_assert_false (ncu_ice_send (f->a->ice, "x", 1));

	test_peers_connect (f->a, f->b);
	g_assert_cmpstr (f->a->ufrag, !=, old_ufrag);
	assert_states (f->a);
	ncu_ice_get_stats (f->a->ice, &stats);
	g_assert_cmpuint (stats.restarts, ==, 1);
	/* Counters run across sessions: 10 + the failed send + 10 more. */
	send_ten (f->a->ice, "again");
	ncu_ice_get_stats (f->a->ice, &stats);
	g_assert_cmpuint (stats.tx_packets, ==, 20);
	g_assert_cmpuint (stats.tx_dropped, ==, 1);
}

/* Ended sessions close in the background, and waiting for them ends. */
static void
test_close_ended (Fixture *f, gconstpointer data)
{
	guint before;

	test_peers_connect (f->a, f->b);
	g_assert_true (ncu_ice_wait_closed (NULL, TEST_TIMEOUT_MS));
	before = ncu_ice_get_closing ();
	g_assert_cmpuint (before, ==, 0);
	for (guint i = 0; i < 3; i++) {
		g_assert_true (ncu_ice_restart (f->a->ice, NULL));
		g_assert_true (ncu_ice_restart (f->b->ice, NULL));
	}
	/* Not one main loop iteration since: none can have ended yet. */
	g_assert_cmpuint (ncu_ice_get_closing (), ==, 6);
	g_clear_pointer (&f->a, test_peer_free);
	g_clear_pointer (&f->b, test_peer_free);
	g_assert_cmpuint (ncu_ice_get_closing (), ==, 8);
	g_assert_true (ncu_ice_wait_closed (NULL, TEST_TIMEOUT_MS));
	g_assert_cmpuint (ncu_ice_get_closing (), ==, 0);
}

/* One side restarts alone, the other notices only through new remote
 * credentials: it must restart too (as the peer state machine will). */
static void
test_restart_one_side (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;

	test_peers_connect (f->a, f->b);
	test_peer_reset (f->a);
	g_assert_true (ncu_ice_restart (f->a->ice, &error));
	g_assert_true (test_wait (test_peer_is_gathered, f->a, TEST_TIMEOUT_MS));
	g_assert_false (ncu_ice_set_remote (f->b->ice, f->a->ufrag, f->a->pwd,
	                                    (const char *const *) f->a->candidates, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	test_peer_reset (f->b);
	g_assert_true (ncu_ice_restart (f->b->ice, &error));
	test_peers_connect (f->a, f->b);
	exchange_data (f);
}

static gboolean
gathering_complete (gpointer data)
{
	NcuIceStats stats;

	ncu_ice_get_stats (((TestPeer *) data)->ice, &stats);
	return stats.gathering_us >= 0;
}

/* A STUN server that never answers keeps libnice gathering for ~2 s; the
 * offer goes out at the deadline and the session connects meanwhile. */
static void
test_gather_deadline (void)
{
	g_autoptr (GSocket) silent = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
	                                           G_SOCKET_PROTOCOL_UDP, NULL);
	g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
	g_autoptr (GSocketAddress) bind_addr = g_inet_socket_address_new (lo, 0);
	g_autoptr (GSocketAddress) bound = NULL;
	NcuIceServer stun = { NCU_ICE_SERVER_STUN, (char *) "127.0.0.1", 0, FALSE };
	NcuIceServer *servers[] = { &stun };
	NcuIceConfig config;
	Fixture f;
	NcuIceStats stats;

	g_assert_true (g_socket_bind (silent, bind_addr, FALSE, NULL));
	bound = g_socket_get_local_address (silent, NULL);
	stun.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

	test_loopback_config (&config);
	config.servers = servers;
	config.n_servers = 1;
	config.gather_deadline_ms = 100;
	f.a = test_peer_new (TRUE, &config);
	test_loopback_config (&config);
	f.b = test_peer_new (FALSE, &config);

	test_peers_connect (f.a, f.b);
	ncu_ice_get_stats (f.a->ice, &stats);
	g_assert_cmpuint (stats.gather_deadline_hits, ==, 1);
	g_assert_cmpint (stats.gathering_us, ==, -1);
	exchange_data (&f);

	/* libnice gives up on the server later; nothing new to offer. */
	g_assert_true (test_wait (gathering_complete, f.a, TEST_TIMEOUT_MS));
	test_spin (20);
	ncu_ice_get_stats (f.a->ice, &stats);
	g_test_message ("offer after the 100 ms deadline, gathering complete after %.0f ms",
	                stats.gathering_us / 1000.0);
	g_assert_cmpuint (f.a->gathered_count, ==, 1);
	fixture_teardown (&f, NULL);
}

static gboolean
peer_failed (gpointer data)
{
	return test_peer_state (data) == NCU_ICE_STATE_FAILED;
}

/* The remote vanishes: consent freshness (RFC 7675, libnice: checks every
 * ~5 s, lost after 10 s without an answer) fails the session. */
static void
test_consent_lost (Fixture *f, gconstpointer data)
{
	gint64 start;

	test_peers_connect (f->a, f->b);
	g_clear_pointer (&f->b, test_peer_free);
	start = g_get_monotonic_time ();
	g_assert_true (test_wait (peer_failed, f->a, 30000));
	g_test_message ("failed %.1f s after the remote vanished",
	                (g_get_monotonic_time () - start) / 1e6);
	g_assert_null (ncu_ice_get_selected_pair (f->a->ice));
	g_assert_false (ncu_ice_send (f->a->ice, "x", 1));
}

static void
free_on_connected (NcuIce *ice, NcuIceState state, gpointer data)
{
	TestPeer *peer = data;

	if (state == NCU_ICE_STATE_CONNECTED) {
		ncu_ice_free (peer->ice);
		peer->ice = NULL;
	}
}

/* The owner may free the session from inside a callback. */
static void
test_free_in_callback (Fixture *f, gconstpointer data)
{
	const NcuIceCallbacks callbacks = { .state_changed = free_on_connected };

	test_peers_connect (f->a, f->b);
	test_peer_reset (f->a);
	test_peer_reset (f->b);
	g_assert_true (ncu_ice_restart (f->a->ice, NULL));
	g_assert_true (ncu_ice_restart (f->b->ice, NULL));
	g_assert_true (test_wait (test_peer_is_gathered, f->a, TEST_TIMEOUT_MS));
	g_assert_true (test_wait (test_peer_is_gathered, f->b, TEST_TIMEOUT_MS));
	ncu_ice_set_callbacks (f->a->ice, &callbacks, f->a);
	test_peers_exchange (f->a, f->b);
	while (f->a->ice)
		g_main_context_iteration (NULL, TRUE);
}

static void
test_config_errors (void)
{
	g_autoptr (GError) error = NULL;
	NcuIceServer stun = { NCU_ICE_SERVER_STUN, (char *) "127.0.0.1", 3478, FALSE };
	NcuIceServer *servers[] = { &stun };
	NcuIceConfig config = { .servers = servers, .n_servers = 1,
	                        .candidate_types = NCU_CANDIDATE_RELAY };

	g_assert_null (ncu_ice_new (NULL, &config, TRUE, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull (strstr (error->message, "ice-candidate-types"));
	g_clear_error (&error);

	config = (NcuIceConfig) { .port_min = 5000, .port_max = 4000 };
	g_assert_null (ncu_ice_new (NULL, &config, TRUE, &error));
	g_assert_nonnull (strstr (error->message, "ice-port-min"));
	g_clear_error (&error);

	stun.port = 0;
	config = (NcuIceConfig) { .servers = servers, .n_servers = 1 };
	g_assert_null (ncu_ice_new (NULL, &config, TRUE, &error));
	g_assert_nonnull (strstr (error->message, "ice-servers"));
}

static void
test_exclude_all (void)
{
	g_autoptr (GError) error = NULL;
	const char *const all[] = { "*", NULL };
	g_autoptr (GPtrArray) addresses = NULL;

	addresses = ncu_ice_local_addresses (all, NULL, FALSE, &error);
	g_assert_null (addresses);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE);
	g_clear_error (&error);

	/* Loopback only: 127.0.0.1 at least, never a non-loopback address. */
	addresses = ncu_ice_local_addresses (NULL, NULL, TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (addresses->len, >=, 1);
	for (guint i = 0; i < addresses->len; i++) {
		g_autofree char *s = nice_address_dup_string (addresses->pdata[i]);
		g_assert_true (g_str_equal (s, "::1") || g_str_has_prefix (s, "127."));
	}
}

/* A port range is honoured by the host candidates. */
static void
test_port_range (void)
{
	NcuIceConfig config;
	TestPeer *peer;

	test_loopback_config (&config);
	config.port_min = 42000;
	config.port_max = 42010;
	peer = test_peer_new (TRUE, &config);
	g_assert_true (ncu_ice_gather (peer->ice, NULL));
	g_assert_true (test_wait (test_peer_is_gathered, peer, TEST_TIMEOUT_MS));
	for (guint i = 0; peer->candidates[i]; i++) {
		g_auto (GStrv) t = g_strsplit (peer->candidates[i], " ", 0);
		guint64 port = g_ascii_strtoull (t[5], NULL, 10);
		g_assert_cmpuint (port, >=, 42000);
		g_assert_cmpuint (port, <=, 42010);
	}
	test_peer_free (peer);
	test_spin (20);
}

/* Which local candidates have one of our host sockets as their base (the
 * fast path needs one): host and srflx always, prflx only when libnice
 * learned it on a host socket, relay never. */
static void
test_base_is_host (void)
{
	g_autoptr (GMainContext) context = g_main_context_new ();
	NiceAgent *agent = nice_agent_new (context, NICE_COMPATIBILITY_RFC5245);
	NiceAddress loopback;
	NiceCandidate *host, *cand;
	GSList *locals;
	guint stream;

	g_object_set (agent, "upnp", FALSE, NULL);
	nice_address_init (&loopback);
	g_assert_true (nice_address_set_from_string (&loopback, "127.0.0.1"));
	g_assert_true (nice_agent_add_local_address (agent, &loopback));
	stream = nice_agent_add_stream (agent, 1);
	g_assert_true (nice_agent_gather_candidates (agent, stream));
	locals = nice_agent_get_local_candidates (agent, stream, 1);
	g_assert_nonnull (locals);
	host = locals->data;
	g_assert_cmpint (host->type, ==, NICE_CANDIDATE_TYPE_HOST);
	g_assert_true (ncu_ice_base_is_host (agent, stream, host));

	cand = nice_candidate_new (NICE_CANDIDATE_TYPE_PEER_REFLEXIVE);
	g_assert_true (nice_address_set_from_string (&cand->addr, "203.0.113.10"));
	nice_address_set_port (&cand->addr, 40000);
	cand->base_addr = host->addr;
	g_assert_true (ncu_ice_base_is_host (agent, stream, cand));
	cand->type = NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
	g_assert_true (ncu_ice_base_is_host (agent, stream, cand));
	cand->type = NICE_CANDIDATE_TYPE_RELAYED;
	g_assert_false (ncu_ice_base_is_host (agent, stream, cand));
	/* Learnt through TURN: the base is the relayed address. */
	cand->type = NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
	cand->base_addr = cand->addr;
	g_assert_false (ncu_ice_base_is_host (agent, stream, cand));
	/* Same address, another port: not that socket. */
	cand->base_addr = host->addr;
	nice_address_set_port (&cand->base_addr, nice_address_get_port (&host->addr) + 1);
	g_assert_false (ncu_ice_base_is_host (agent, stream, cand));

	nice_candidate_free (cand);
	g_slist_free_full (locals, (GDestroyNotify) nice_candidate_free);
	nice_agent_remove_stream (agent, stream);
	nice_agent_close_async (agent, NULL, NULL);
	g_object_unref (agent);
	while (g_main_context_iteration (context, FALSE))
		;
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD ("/ice/connect", test_connect);
	ADD ("/ice/send-before-connect", test_send_before_connect);
	ADD ("/ice/bad-candidates", test_bad_candidates);
	ADD ("/ice/fuzz-candidates", test_fuzz_candidates);
	ADD ("/ice/restart", test_restart);
	ADD ("/ice/restart-one-side", test_restart_one_side);
	ADD ("/ice/close-ended", test_close_ended);
	ADD ("/ice/free-in-callback", test_free_in_callback);
	ADD ("/ice/consent-lost", test_consent_lost);
#undef ADD
	g_test_add_func ("/ice/gather-deadline", test_gather_deadline);
	g_test_add_func ("/ice/config-errors", test_config_errors);
	g_test_add_func ("/ice/exclude-all", test_exclude_all);
	g_test_add_func ("/ice/port-range", test_port_range);
	g_test_add_func ("/ice/base-is-host", test_base_is_host);
	return g_test_run ();
}
