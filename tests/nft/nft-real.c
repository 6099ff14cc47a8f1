/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nft module against the real nft and kernel, inside a network
 * namespace that test-nft-real.sh creates for it (it refuses to run
 * without NCU_NFT_TEST_NETNS=1, so it never touches the host's ruleset).
 *
 * The rules are checked by what they do, on the loopback interface: a
 * socket on the "WireGuard port" W sends to the "remote candidate" R:Pr
 * and R:Pr sees it coming from the ICE base port Pb (egress); R:Pr answers
 * to Pb and W receives it, except STUN, which still reaches Pb (ingress).
 * Then: replacement, a second peer, ingress removal, recovery when someone
 * else flushed or deleted our table, a stale table from a crash, free.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <gio/gio.h>

#include "ncu-nft-private.h"

static const guint8 KEY_A[NCU_KEY_LEN] = { 0xa };
static const guint8 KEY_B[NCU_KEY_LEN] = { 0xb };
static const guint8 STUN_COOKIE[4] = { 0x21, 0x12, 0xa4, 0x42 };

/* A UDP socket on 127.0.0.1 with a kernel-chosen port. */
static GSocket *
udp_socket (guint16 *port)
{
	g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
	g_autoptr (GSocketAddress) bound = NULL;
	GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
	                              G_SOCKET_PROTOCOL_UDP, NULL);

	g_assert_nonnull (sock);
	g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
	bound = g_socket_get_local_address (sock, NULL);
	*port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
	g_socket_set_timeout (sock, 2);
	return sock;
}

static void
send_to (GSocket *from, guint16 port, const guint8 *data, gsize len)
{
	g_autoptr (GSocketAddress) to = g_inet_socket_address_new_from_string ("127.0.0.1", port);
	g_autoptr (GError) error = NULL;

	g_assert_cmpint (g_socket_send_to (from, to, (const char *) data, len, NULL, &error), ==, len);
}

/* Receives one datagram on @sock and returns the sender's port; 0 when
 * nothing came within @timeout_ms. */
static guint16
recv_from (GSocket *sock, guint timeout_ms)
{
	g_autoptr (GSocketAddress) from = NULL;
	char buf[64];

	if (!g_socket_condition_timed_wait (sock, G_IO_IN, timeout_ms * 1000, NULL, NULL))
		return 0;
	g_assert_cmpint (g_socket_receive_from (sock, &from, buf, sizeof buf, NULL, NULL), >, 0);
	return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from));
}

typedef struct {
	GSocket *wg, *base, *remote;
	guint16 wg_port, base_port, remote_port;
	NcuIceSelectedPair pair;
} Loop;

static void
set_loopback (NcuIceEndpoint *endpoint, guint16 port)
{
	endpoint->family = AF_INET;
	inet_pton (AF_INET, "127.0.0.1", endpoint->addr);
	endpoint->port = port;
}

static void
loop_init (Loop *loop)
{
	memset (loop, 0, sizeof *loop);
	loop->wg = udp_socket (&loop->wg_port);
	loop->base = udp_socket (&loop->base_port);
	loop->remote = udp_socket (&loop->remote_port);
	loop->pair.local_type = NCU_ICE_CANDIDATE_HOST;
	loop->pair.remote_type = NCU_ICE_CANDIDATE_HOST;
	set_loopback (&loop->pair.local, loop->base_port);
	set_loopback (&loop->pair.local_base, loop->base_port);
	set_loopback (&loop->pair.remote, loop->remote_port);
}

static void
loop_clear (Loop *loop)
{
	g_clear_object (&loop->wg);
	g_clear_object (&loop->base);
	g_clear_object (&loop->remote);
}

/* WireGuard -> remote: the source port the remote sees. */
static guint16
egress_seen_port (Loop *loop)
{
	static const guint8 wg_msg[16] = { 4, 0, 0, 0, 1, 2, 3, 4 };

	send_to (loop->wg, loop->remote_port, wg_msg, sizeof wg_msg);
	return recv_from (loop->remote, 2000);
}

/* remote -> base port: which of our sockets gets it (W, Pb or none). */
static const char *
ingress_receiver (Loop *loop, gboolean stun)
{
	guint8 msg[20] = { 4, 0, 0, 0, 9, 9, 9, 9 };

	if (stun) {
		msg[0] = 0x01;
		memcpy (msg + 4, STUN_COOKIE, 4);
	}
	send_to (loop->remote, loop->base_port, msg, sizeof msg);
	if (recv_from (loop->wg, 300) == loop->remote_port)
		return "wg";
	if (recv_from (loop->base, 300) == loop->remote_port)
		return "base";
	return "none";
}

static char *
run_nft (const char *args)
{
	g_autofree char *cmd = g_strdup_printf ("nft %s", args);
	g_autoptr (GError) error = NULL;
	char *out = NULL;
	int status = 0;

	g_assert_true (g_spawn_command_line_sync (cmd, &out, NULL, &status, &error));
	g_assert_no_error (error);
	return out;
}

static guint
count_substr (const char *text, const char *needle)
{
	guint n = 0;

	for (const char *p = text; (p = strstr (p, needle)); p += strlen (needle))
		n++;
	return n;
}

static void
test_rules_work (void)
{
	g_autoptr (NcuNft) nft = ncu_nft_new ("wg-real");
	g_autoptr (GError) error = NULL;
	NcuNftCounters counters;
	Loop loop;

	loop_init (&loop);
	/* Without rules nothing is rewritten. */
	g_assert_cmpuint (egress_seen_port (&loop), ==, loop.wg_port);
	g_assert_cmpstr (ingress_receiver (&loop, FALSE), ==, "base");

	g_assert_true (ncu_nft_set_peer (nft, KEY_A, loop.wg_port, &loop.pair, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (egress_seen_port (&loop), ==, loop.base_port);
	g_assert_cmpstr (ingress_receiver (&loop, FALSE), ==, "wg");
	g_assert_cmpstr (ingress_receiver (&loop, TRUE), ==, "base");   /* STUN stays with ICE */
	g_assert_cmpstr (ingress_receiver (&loop, FALSE), ==, "wg");

	g_assert_true (ncu_nft_get_counters (nft, KEY_A, &counters, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (counters.egress_packets, ==, 1);
	g_assert_cmpuint (counters.ingress_packets, ==, 2);
	g_assert_cmpuint (counters.ingress_bytes, ==, 2 * (20 + 8 + 20));
	g_assert_true (counters.has_ingress);

	/* Leaving: without the ingress rule everything reaches ICE again. */
	g_assert_true (ncu_nft_remove_ingress (nft, KEY_A, &error));
	g_assert_cmpstr (ingress_receiver (&loop, FALSE), ==, "base");
	g_assert_true (ncu_nft_get_counters (nft, KEY_A, &counters, &error));
	g_assert_false (counters.has_ingress);
	g_assert_cmpuint (counters.egress_packets, ==, 1);
	g_assert_true (ncu_nft_remove_peer (nft, KEY_A, &error));
	g_assert_cmpuint (egress_seen_port (&loop), ==, loop.wg_port);
	g_assert_false (ncu_nft_get_counters (nft, KEY_A, &counters, &error));
	g_assert_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_NO_PEER);
	loop_clear (&loop);
}

static void
test_replace_and_peers (void)
{
	g_autoptr (NcuNft) nft = ncu_nft_new ("wg-real");
	g_autoptr (GError) error = NULL;
	g_autofree char *listing = NULL;
	g_autofree char *new_port = NULL;
	NcuIceSelectedPair v6 = { 0 };
	guint16 old_base;
	Loop loop;

	loop_init (&loop);
	v6.local_type = NCU_ICE_CANDIDATE_SRFLX;
	v6.local_base.family = v6.remote.family = AF_INET6;
	inet_pton (AF_INET6, "2001:db8::2", v6.local_base.addr);
	inet_pton (AF_INET6, "2001:db8:1::20", v6.remote.addr);
	v6.local_base.port = 50000;
	v6.remote.port = 50001;

	g_assert_true (ncu_nft_set_peer (nft, KEY_B, 51820, &v6, &error));
	g_assert_true (ncu_nft_set_peer (nft, KEY_A, loop.wg_port, &loop.pair, &error));
	g_assert_no_error (error);
	/* A's pair moves to another base port (an ICE restart). */
	old_base = loop.base_port;
	g_clear_object (&loop.base);
	loop.base = udp_socket (&loop.base_port);
	loop.pair.local_base.port = loop.base_port;
	g_assert_cmpuint (loop.base_port, !=, old_base);
	g_assert_true (ncu_nft_set_peer (nft, KEY_A, loop.wg_port, &loop.pair, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (egress_seen_port (&loop), ==, loop.base_port);
	g_assert_cmpstr (ingress_receiver (&loop, FALSE), ==, "wg");

	listing = run_nft ("list table inet cunicu_wg_real");
	g_assert_cmpuint (count_substr (listing, "comment \"cunicu "), ==, 4);
	g_assert_cmpuint (count_substr (listing, "ip6 saddr 2001:db8:1::20 ip6 daddr 2001:db8::2 "), ==, 1);
	new_port = g_strdup_printf ("udp sport set %u ", loop.base_port);
	g_assert_cmpuint (count_substr (listing, new_port), ==, 1);
	g_assert_true (strstr (listing, "hook output priority raw"));
	g_assert_true (strstr (listing, "hook prerouting priority mangle"));
	g_assert_null (strstr (listing, "notrack"));

	/* B goes, A stays. */
	g_assert_true (ncu_nft_remove_peer (nft, KEY_B, &error));
	g_clear_pointer (&listing, g_free);
	listing = run_nft ("list table inet cunicu_wg_real");
	g_assert_cmpuint (count_substr (listing, "comment \"cunicu "), ==, 2);
	g_assert_null (strstr (listing, "2001:db8"));
	g_assert_cmpuint (egress_seen_port (&loop), ==, loop.base_port);
	loop_clear (&loop);
}

static void
test_outside_changes (void)
{
	g_autoptr (NcuNft) nft = ncu_nft_new ("wg-real");
	g_autoptr (NcuNft) stale = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *out = NULL;
	Loop loop;

	loop_init (&loop);
	g_assert_true (ncu_nft_set_peer (nft, KEY_A, loop.wg_port, &loop.pair, &error));
	/* Someone flushes our table: the next update still works. */
	g_free (run_nft ("flush table inet cunicu_wg_real"));
	loop.pair.remote.port++;
	g_assert_true (ncu_nft_set_peer (nft, KEY_A, loop.wg_port, &loop.pair, &error));
	g_assert_no_error (error);
	loop.pair.remote.port--;
	/* ... or deletes it. */
	g_free (run_nft ("delete table inet cunicu_wg_real"));
	g_assert_true (ncu_nft_set_peer (nft, KEY_A, loop.wg_port, &loop.pair, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (egress_seen_port (&loop), ==, loop.base_port);

	/* A table left by a crashed process goes with the first update. */
	g_free (run_nft ("add table inet cunicu_wg_stale"));
	g_free (run_nft ("add chain inet cunicu_wg_stale junk { type filter hook output priority 0; }"));
	stale = ncu_nft_new ("wg-stale");
	g_assert_true (ncu_nft_set_peer (stale, KEY_B, 51820, &loop.pair, &error));
	out = run_nft ("list table inet cunicu_wg_stale");
	g_assert_null (strstr (out, "junk"));
	g_clear_pointer (&stale, ncu_nft_free);
	g_clear_pointer (&nft, ncu_nft_free);
	g_clear_pointer (&out, g_free);
	out = run_nft ("list tables");
	g_assert_null (strstr (out, "cunicu"));
	/* Deleting what is not there is fine. */
	nft = ncu_nft_new ("wg-real");
	g_assert_true (ncu_nft_delete_table (nft, &error));
	g_assert_no_error (error);
	loop_clear (&loop);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	if (g_strcmp0 (g_getenv ("NCU_NFT_TEST_NETNS"), "1") != 0) {
		g_printerr ("nft-real: run by test-nft-real.sh inside its own network namespace\n");
		return 1;
	}
	g_test_add_func ("/nft-real/rules-work", test_rules_work);
	g_test_add_func ("/nft-real/replace-and-peers", test_replace_and_peers);
	g_test_add_func ("/nft-real/outside-changes", test_outside_changes);
	return g_test_run ();
}
