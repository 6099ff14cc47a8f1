/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two proxies over two ICE sessions on loopback, with plain UDP sockets
 * standing in for WireGuard on each side ("wg A" and "wg B").
 */
#include "config.h"

#include <errno.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <gio/gio.h>

#include "ncu-proxy.h"
#include "ice-test-util.h"

typedef struct {
	int fd;
	guint16 port;
	GPtrArray *got;   /* of char*, each datagram as a string */
} FakeWg;

typedef struct {
	TestPeer *a, *b;
	FakeWg wg_a, wg_b;
	NcuProxy *proxy_a, *proxy_b;
} Fixture;

static void
fake_wg_init (FakeWg *wg)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
	socklen_t len = sizeof addr;

	wg->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	g_assert_cmpint (wg->fd, >=, 0);
	g_assert_cmpint (bind (wg->fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
	g_assert_cmpint (getsockname (wg->fd, (struct sockaddr *) &addr, &len), ==, 0);
	wg->port = ntohs (addr.sin_port);
	wg->got = g_ptr_array_new_with_free_func (g_free);
}

static void
fake_wg_clear (FakeWg *wg)
{
	close (wg->fd);
	g_ptr_array_unref (wg->got);
}

/* Sends like WireGuard does: to the endpoint, the proxy's port. */
static void
fake_wg_send (FakeWg *wg, NcuProxy *proxy, const char *text)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
	                          .sin_port = htons (ncu_proxy_get_port (proxy)) };

	g_assert_cmpint (sendto (wg->fd, text, strlen (text), 0, (struct sockaddr *) &to, sizeof to),
	                 ==, (ssize_t) strlen (text));
}

static void
fake_wg_read (FakeWg *wg)
{
	char buf[8192];
	ssize_t n;

	while ((n = recv (wg->fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0)
		g_ptr_array_add (wg->got, g_strndup (buf, n));
}

typedef struct {
	FakeWg *wg;
	guint count;
} WantCount;

static gboolean
fake_wg_has (gpointer data)
{
	WantCount *want = data;

	fake_wg_read (want->wg);
	return want->wg->got->len >= want->count;
}

static void
fake_wg_wait (FakeWg *wg, guint count)
{
	WantCount want = { wg, count };

	g_assert_true (test_wait (fake_wg_has, &want, TEST_TIMEOUT_MS));
	g_assert_cmpuint (wg->got->len, ==, count);
}

/* Nothing more arrives for a while. */
static void
fake_wg_assert_quiet (FakeWg *wg, guint count)
{
	test_spin (300);
	fake_wg_read (wg);
	g_assert_cmpuint (wg->got->len, ==, count);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	NcuIceConfig config;

	test_loopback_config (&config);
	f->a = test_peer_new (TRUE, &config);
	f->b = test_peer_new (FALSE, &config);
	fake_wg_init (&f->wg_a);
	fake_wg_init (&f->wg_b);
	/* Bound before WireGuard ever sends (DESIGN.md section 6). */
	f->proxy_a = ncu_proxy_new (f->wg_a.port, f->a->ice, &error);
	g_assert_no_error (error);
	f->proxy_b = ncu_proxy_new (f->wg_b.port, f->b->ice, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (ncu_proxy_get_port (f->proxy_a), !=, 0);
	g_assert_cmpuint (ncu_proxy_get_port (f->proxy_a), !=, ncu_proxy_get_port (f->proxy_b));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	ncu_proxy_free (f->proxy_a);
	ncu_proxy_free (f->proxy_b);
	test_peer_free (f->a);
	test_peer_free (f->b);
	fake_wg_clear (&f->wg_a);
	fake_wg_clear (&f->wg_b);
	test_spin (50);
}

typedef struct {
	NcuProxy *proxy;
	guint64 held;
} WantHeld;

static gboolean
proxy_has_held (gpointer data)
{
	WantHeld *want = data;
	NcuProxyStats stats;

	ncu_proxy_get_stats (want->proxy, &stats);
	return stats.held >= want->held;
}

/* WireGuard sends @n packets "<tag> i" while ICE is not connected. */
static void
send_early (FakeWg *wg, NcuProxy *proxy, const char *tag, guint n)
{
	NcuProxyStats before;
	WantHeld want = { proxy, 0 };

	ncu_proxy_get_stats (proxy, &before);
	want.held = before.held + n;
	for (guint i = 0; i < n; i++) {
		g_autofree char *msg = g_strdup_printf ("%s %u", tag, i);
		fake_wg_send (wg, proxy, msg);
	}
	g_assert_true (test_wait (proxy_has_held, &want, TEST_TIMEOUT_MS));
}

static void
assert_got (FakeWg *wg, guint from, const char *tag, guint first, guint n)
{
	for (guint i = 0; i < n; i++) {
		g_autofree char *want = g_strdup_printf ("%s %u", tag, first + i);
		g_assert_cmpstr (wg->got->pdata[from + i], ==, want);
	}
}

static void
test_forward (Fixture *f, gconstpointer data)
{
	NcuProxyStats sa, sb;
	guint64 bytes = 0;

	send_early (&f->wg_a, f->proxy_a, "early", 3);
	test_peers_connect (f->a, f->b);
	fake_wg_assert_quiet (&f->wg_b, 0);  /* held until ready */
	ncu_proxy_set_ready (f->proxy_a, TRUE);
	ncu_proxy_set_ready (f->proxy_b, TRUE);
	fake_wg_wait (&f->wg_b, 3);
	assert_got (&f->wg_b, 0, "early", 0, 3);

	for (guint i = 0; i < 100; i++) {
		g_autofree char *ab = g_strdup_printf ("a->b %u", i);
		g_autofree char *ba = g_strdup_printf ("b->a %u", i);
		fake_wg_send (&f->wg_a, f->proxy_a, ab);
		fake_wg_send (&f->wg_b, f->proxy_b, ba);
		bytes += strlen (ab);
		/* Stay within the loopback socket buffers. */
		if (i % 20 == 19)
			test_spin (5);
	}
	fake_wg_wait (&f->wg_b, 103);
	fake_wg_wait (&f->wg_a, 100);
	assert_got (&f->wg_b, 3, "a->b", 0, 100);
	assert_got (&f->wg_a, 0, "b->a", 0, 100);

	ncu_proxy_get_stats (f->proxy_a, &sa);
	ncu_proxy_get_stats (f->proxy_b, &sb);
	g_assert_cmpuint (sa.held, ==, 3);
	g_assert_cmpuint (sa.wg_to_ice_packets, ==, 103);
	g_assert_cmpuint (sa.wg_to_ice_bytes, ==, bytes + 3 * strlen ("early 0"));
	g_assert_cmpuint (sb.ice_to_wg_packets, ==, 103);
	g_assert_cmpuint (sb.ice_to_wg_bytes, ==, sa.wg_to_ice_bytes);
	g_assert_cmpuint (sb.wg_to_ice_packets, ==, 100);
	g_assert_cmpuint (sa.ice_to_wg_packets, ==, 100);
	g_assert_cmpuint (sa.ice_to_wg_bytes, ==, sb.wg_to_ice_bytes);
	g_assert_cmpuint (sa.dropped_hold + sa.dropped_to_ice + sa.dropped_to_wg + sa.dropped_truncated, ==, 0);
	g_assert_cmpuint (sb.dropped_hold + sb.dropped_to_ice + sb.dropped_to_wg + sb.dropped_truncated, ==, 0);

	/* Not ready again (ICE restarting): hold, then flush. */
	ncu_proxy_set_ready (f->proxy_a, FALSE);
	send_early (&f->wg_a, f->proxy_a, "later", 1);
	fake_wg_assert_quiet (&f->wg_b, 103);
	ncu_proxy_set_ready (f->proxy_a, TRUE);
	fake_wg_wait (&f->wg_b, 104);
	assert_got (&f->wg_b, 103, "later", 0, 1);
}

/* Towards WireGuard, packets are queued and sent in batches; one too big
 * for the queue's slots (a jumbo MTU) goes out at once, in order. */
static void
test_big_in_order (Fixture *f, gconstpointer data)
{
	g_autofree char *big = g_strnfill (3000, 'B');
	NcuProxyStats sb;

	test_peers_connect (f->a, f->b);
	ncu_proxy_set_ready (f->proxy_a, TRUE);
	ncu_proxy_set_ready (f->proxy_b, TRUE);
	fake_wg_send (&f->wg_a, f->proxy_a, "small 0");
	fake_wg_send (&f->wg_a, f->proxy_a, big);
	fake_wg_send (&f->wg_a, f->proxy_a, "small 1");
	fake_wg_wait (&f->wg_b, 3);
	g_assert_cmpstr (f->wg_b.got->pdata[0], ==, "small 0");
	g_assert_cmpstr (f->wg_b.got->pdata[1], ==, big);
	g_assert_cmpstr (f->wg_b.got->pdata[2], ==, "small 1");
	ncu_proxy_get_stats (f->proxy_b, &sb);
	g_assert_cmpuint (sb.ice_to_wg_packets, ==, 3);
	g_assert_cmpuint (sb.ice_to_wg_bytes, ==, 3000 + 2 * strlen ("small 0"));
	g_assert_cmpuint (sb.dropped_to_wg, ==, 0);
}

/* More than NCU_PROXY_HOLD_MAX early packets: the newest are kept. */
static void
test_hold_overflow (Fixture *f, gconstpointer data)
{
	NcuProxyStats stats;
	guint extra = 4;

	send_early (&f->wg_a, f->proxy_a, "early", NCU_PROXY_HOLD_MAX + extra);
	test_peers_connect (f->a, f->b);
	ncu_proxy_set_ready (f->proxy_b, TRUE);
	ncu_proxy_set_ready (f->proxy_a, TRUE);
	fake_wg_wait (&f->wg_b, NCU_PROXY_HOLD_MAX);
	assert_got (&f->wg_b, 0, "early", extra, NCU_PROXY_HOLD_MAX);
	ncu_proxy_get_stats (f->proxy_a, &stats);
	g_assert_cmpuint (stats.held, ==, NCU_PROXY_HOLD_MAX + extra);
	g_assert_cmpuint (stats.dropped_hold, ==, extra);
	g_assert_cmpuint (stats.wg_to_ice_packets, ==, NCU_PROXY_HOLD_MAX);
}

/* A WireGuard handshake initiation: type 1, 148 bytes. */
static void
send_initiation (FakeWg *wg, NcuProxy *proxy)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
	                          .sin_port = htons (ncu_proxy_get_port (proxy)) };
	guint8 packet[148] = { 1, 0, 0, 0 };

	g_assert_cmpint (sendto (wg->fd, packet, sizeof packet, 0, (struct sockaddr *) &to, sizeof to),
	                 ==, (ssize_t) sizeof packet);
}

/* The same while ICE is not connected, waiting until the proxy has it. */
static void
send_early_initiation (FakeWg *wg, NcuProxy *proxy)
{
	NcuProxyStats before;
	WantHeld want = { proxy, 0 };

	ncu_proxy_get_stats (proxy, &before);
	want.held = before.held + 1;
	send_initiation (wg, proxy);
	g_assert_true (test_wait (proxy_has_held, &want, TEST_TIMEOUT_MS));
}

/* How a fake WireGuard stores a received initiation (a string up to the
 * first zero byte). */
#define GOT_INITIATION "\001"

/* Both WireGuards initiate early; only the initiator's initiation goes
 * out. The other side keeps its own newest initiation apart and the rest
 * (an answer) held; the remote's first packet is an initiation, so its
 * own is discarded and the answer follows. */
static void
test_one_initiator (Fixture *f, gconstpointer data)
{
	NcuProxyStats stats;

	ncu_proxy_set_initiator (f->proxy_b, FALSE, 10000);
	send_early_initiation (&f->wg_a, f->proxy_a);
	send_early_initiation (&f->wg_b, f->proxy_b);
	send_early_initiation (&f->wg_b, f->proxy_b);
	send_early (&f->wg_b, f->proxy_b, "answer-b", 1);
	test_peers_connect (f->a, f->b);
	ncu_proxy_set_ready (f->proxy_b, TRUE);   /* waits for the remote */
	fake_wg_assert_quiet (&f->wg_a, 0);
	ncu_proxy_set_ready (f->proxy_a, TRUE);   /* flushes */
	fake_wg_wait (&f->wg_b, 1);
	g_assert_cmpstr (f->wg_b.got->pdata[0], ==, GOT_INITIATION);
	fake_wg_wait (&f->wg_a, 1);
	assert_got (&f->wg_a, 0, "answer-b", 0, 1);
	fake_wg_assert_quiet (&f->wg_a, 1);

	ncu_proxy_get_stats (f->proxy_b, &stats);
	g_assert_cmpuint (stats.held, ==, 3);
	g_assert_cmpuint (stats.dropped_hold, ==, 2);
	g_assert_cmpuint (stats.wg_to_ice_packets, ==, 1);
}

/* The initiator held stale data from before its new handshake: that comes
 * first. Its initiation follows (ncu-peer.c kicks one on every connect), so
 * the non-initiator's own initiation is dropped all the same; the data it
 * held goes out. */
static void
test_stale_first (Fixture *f, gconstpointer data)
{
	NcuProxyStats stats;

	ncu_proxy_set_initiator (f->proxy_b, FALSE, 10000);
	send_early_initiation (&f->wg_b, f->proxy_b);
	send_early (&f->wg_b, f->proxy_b, "data-b", 1);
	send_early (&f->wg_a, f->proxy_a, "stale", 1);
	test_peers_connect (f->a, f->b);
	ncu_proxy_set_ready (f->proxy_b, TRUE);
	fake_wg_assert_quiet (&f->wg_a, 0);
	ncu_proxy_set_ready (f->proxy_a, TRUE);
	fake_wg_wait (&f->wg_b, 1);
	assert_got (&f->wg_b, 0, "stale", 0, 1);
	fake_wg_wait (&f->wg_a, 1);
	assert_got (&f->wg_a, 0, "data-b", 0, 1);
	fake_wg_assert_quiet (&f->wg_a, 1);

	ncu_proxy_get_stats (f->proxy_b, &stats);
	g_assert_cmpuint (stats.dropped_hold, ==, 1);
	g_assert_cmpuint (stats.wg_to_ice_packets, ==, 1);
}

/* The race seen under load: the non-initiator held nothing when ICE
 * connected, and its WireGuard initiates right after, before the remote's
 * initiation arrives. That initiation is not sent (it would cross the
 * remote's); once the remote's has arrived, later ones (rekeying) are. */
static void
test_initiation_after_ready (Fixture *f, gconstpointer data)
{
	NcuProxyStats stats;

	ncu_proxy_set_initiator (f->proxy_b, FALSE, 10000);
	test_peers_connect (f->a, f->b);
	ncu_proxy_set_ready (f->proxy_a, TRUE);
	ncu_proxy_set_ready (f->proxy_b, TRUE);
	send_initiation (&f->wg_b, f->proxy_b);
	send_initiation (&f->wg_b, f->proxy_b);
	fake_wg_assert_quiet (&f->wg_a, 0);

	send_initiation (&f->wg_a, f->proxy_a);
	fake_wg_wait (&f->wg_b, 1);
	g_assert_cmpstr (f->wg_b.got->pdata[0], ==, GOT_INITIATION);
	fake_wg_send (&f->wg_b, f->proxy_b, "answer-b 0");
	fake_wg_wait (&f->wg_a, 1);
	assert_got (&f->wg_a, 0, "answer-b", 0, 1);
	send_initiation (&f->wg_b, f->proxy_b);
	fake_wg_wait (&f->wg_a, 2);
	g_assert_cmpstr (f->wg_a.got->pdata[1], ==, GOT_INITIATION);

	ncu_proxy_get_stats (f->proxy_b, &stats);
	g_assert_cmpuint (stats.dropped_hold, ==, 2);
	g_assert_cmpuint (stats.wg_to_ice_packets, ==, 2);
}

/* The non-initiator flushes after the grace time when the remote is
 * silent (only its side has traffic), its own initiation first. */
static void
test_grace_flush (Fixture *f, gconstpointer data)
{
	ncu_proxy_set_initiator (f->proxy_b, FALSE, 100);
	send_early_initiation (&f->wg_b, f->proxy_b);
	send_early (&f->wg_b, f->proxy_b, "init-b", 2);
	test_peers_connect (f->a, f->b);
	ncu_proxy_set_ready (f->proxy_a, TRUE);
	ncu_proxy_set_ready (f->proxy_b, TRUE);
	fake_wg_wait (&f->wg_a, 3);
	g_assert_cmpstr (f->wg_a.got->pdata[0], ==, GOT_INITIATION);
	assert_got (&f->wg_a, 1, "init-b", 0, 2);
}

static gboolean
drained_enough (gpointer data)
{
	WantCount *want = data;
	char buf[2048];

	while (recv (want->wg->fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		want->count--;
	return want->count == 0 || (gint) want->count < 0;
}

static double
cpu_seconds (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* -m perf: WireGuard-sized datagrams from wg A to wg B through both
 * proxies and both agents, in bursts that fit the socket buffers. The CPU
 * time covers the whole path in this process (fake WireGuards included). */
static void
test_throughput (Fixture *f, gconstpointer data)
{
	const guint burst = 64, rounds = 2000, size = 1420;
	g_autofree char *payload = g_malloc0 (size);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
	                          .sin_port = htons (ncu_proxy_get_port (f->proxy_a)) };
	gint64 start;
	double cpu;
	NcuProxyStats sb;

	test_peers_connect (f->a, f->b);
	ncu_proxy_set_ready (f->proxy_a, TRUE);
	ncu_proxy_set_ready (f->proxy_b, TRUE);
	start = g_get_monotonic_time ();
	cpu = cpu_seconds ();
	for (guint r = 0; r < rounds; r++) {
		WantCount want = { &f->wg_b, burst };

		for (guint i = 0; i < burst; i++)
			g_assert_cmpint (sendto (f->wg_a.fd, payload, size, 0, (struct sockaddr *) &to,
			                         sizeof to), ==, size);
		g_assert_true (test_wait (drained_enough, &want, TEST_TIMEOUT_MS));
	}
	cpu = cpu_seconds () - cpu;
	ncu_proxy_get_stats (f->proxy_b, &sb);
	g_test_minimized_result ((g_get_monotonic_time () - start) / 1e6,
	                         "%u packets of %u bytes in %.2f s wall, %.2f s CPU: "
	                         "%.2f us CPU per packet (whole path), %.0f Mbit/s",
	                         burst * rounds, size, (g_get_monotonic_time () - start) / 1e6, cpu,
	                         cpu * 1e6 / (burst * rounds),
	                         burst * rounds * size * 8 / 1e6 / ((g_get_monotonic_time () - start) / 1e6));
	g_assert_cmpuint (sb.ice_to_wg_packets, ==, burst * rounds);
}

static void
test_bad_port (void)
{
	g_autoptr (GError) error = NULL;
	NcuIceConfig config;
	TestPeer *peer;

	test_loopback_config (&config);
	peer = test_peer_new (TRUE, &config);
	g_assert_null (ncu_proxy_new (0, peer->ice, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	test_peer_free (peer);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD ("/proxy/forward", test_forward);
	ADD ("/proxy/hold-overflow", test_hold_overflow);
	ADD ("/proxy/big-in-order", test_big_in_order);
	ADD ("/proxy/one-initiator", test_one_initiator);
	ADD ("/proxy/stale-first", test_stale_first);
	ADD ("/proxy/initiation-after-ready", test_initiation_after_ready);
	ADD ("/proxy/grace-flush", test_grace_flush);
	if (g_test_perf ())
		ADD ("/proxy/throughput", test_throughput);
#undef ADD
	g_test_add_func ("/proxy/bad-port", test_bad_port);
	return g_test_run ();
}
