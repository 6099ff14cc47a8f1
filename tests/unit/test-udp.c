/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Batched UDP sends (src/ncu-udp.c) over loopback (IPv4, and IPv6 for the
 * runs): every datagram arrives whole, in order and with its own size,
 * whether runs of equal sizes went out segmented or not; a datagram the
 * kernel refuses is skipped without losing the others; a socket that
 * refuses segmentation falls back to single datagrams.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <glib.h>

#include "ncu-udp.h"

#define MAX_PACKETS 400
#define MAX_SIZE 70000

typedef struct {
	int tx, rx;
	struct sockaddr_storage rx_addr;
	socklen_t rx_len;
	struct iovec packets[MAX_PACKETS];
	guint n;
	guint8 *recv_buf;
} Fixture;

/* A UDP socket on the loopback address of @family; fills @addr, @len. */
static int
open_loopback (int family, struct sockaddr_storage *addr, socklen_t *len)
{
	int size = 8 * 1024 * 1024;
	int fd = socket (family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint (fd, >=, 0);
	memset (addr, 0, sizeof *addr);
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) addr;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		*len = sizeof *in6;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *) addr;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
		*len = sizeof *in;
	}
	if (bind (fd, (struct sockaddr *) addr, *len) < 0)
		g_error ("cannot bind a UDP socket on the loopback address of family %d: %s", family,
		         g_strerror (errno));
	g_assert_cmpint (getsockname (fd, (struct sockaddr *) addr, len), ==, 0);
	/* Everything a test sends must fit before it is read; FORCE needs
	 * root, the plain option gets what the system allows. */
	if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
		setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	return fd;
}

/* @data: the address family, AF_INET or AF_INET6. */
static void
fixture_set_up (Fixture *f, gconstpointer data)
{
	int family = GPOINTER_TO_INT (data);
	struct sockaddr_storage tx_addr;
	socklen_t tx_len;

	f->rx = open_loopback (family, &f->rx_addr, &f->rx_len);
	f->tx = open_loopback (family, &tx_addr, &tx_len);
	f->recv_buf = g_malloc (MAX_SIZE);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
	for (guint i = 0; i < f->n; i++)
		g_free (f->packets[i].iov_base);
	g_free (f->recv_buf);
	close (f->tx);
	close (f->rx);
}

/* Packet @i of @size bytes, each byte telling its packet and place. */
static void
add_packet (Fixture *f, gsize size)
{
	guint8 *data = g_malloc (size);

	g_assert_cmpuint (f->n, <, MAX_PACKETS);
	for (gsize k = 0; k < size; k++)
		data[k] = (guint8) (f->n * 7 + k);
	f->packets[f->n].iov_base = data;
	f->packets[f->n].iov_len = size;
	f->n++;
}

static guint
send_all (Fixture *f, NcuUdpSender *sender, guint64 *bytes)
{
	return ncu_udp_send (sender, f->tx, (struct sockaddr *) &f->rx_addr, f->rx_len, f->packets,
	                     f->n, bytes);
}

/* Reads what arrived: the packets listed in @expected (indexes), in order. */
static void
expect_received (Fixture *f, const guint *expected, guint n_expected)
{
	for (guint i = 0; i < n_expected; i++) {
		const struct iovec *want = &f->packets[expected[i]];
		ssize_t r = recv (f->rx, f->recv_buf, MAX_SIZE, MSG_DONTWAIT);

		if (r < 0)
			g_error ("datagram %u of %u (packet %u) did not arrive: %s", i, n_expected,
			         expected[i], g_strerror (errno));
		g_assert_cmpint (r, ==, (ssize_t) want->iov_len);
		g_assert_cmpmem (f->recv_buf, r, want->iov_base, want->iov_len);
	}
	g_assert_cmpint (recv (f->rx, f->recv_buf, MAX_SIZE, MSG_DONTWAIT), <, 0);
}

static void
expect_all (Fixture *f)
{
	guint expected[MAX_PACKETS];

	for (guint i = 0; i < f->n; i++)
		expected[i] = i;
	expect_received (f, expected, f->n);
}

static guint64
total_bytes (Fixture *f)
{
	guint64 total = 0;

	for (guint i = 0; i < f->n; i++)
		total += f->packets[i].iov_len;
	return total;
}

/* Sends every packet with a fresh @sender: all go out, all arrive whole. */
static void
send_expecting_all (Fixture *f, NcuUdpSender *sender)
{
	guint64 bytes = 0;

	ncu_udp_sender_init (sender);
	g_assert_cmpuint (send_all (f, sender, &bytes), ==, f->n);
	g_assert_cmpuint (bytes, ==, total_bytes (f));
	expect_all (f);
}

static void
test_equal_sizes (Fixture *f, gconstpointer data)
{
	NcuUdpSender sender;

	/* More than one send holds (64 datagrams); few enough to fit in an
	 * unprivileged receive buffer. */
	for (guint i = 0; i < 140; i++)
		add_packet (f, 1000);
	send_expecting_all (f, &sender);
	g_assert_true (sender.segment);
	g_assert_cmpuint (sender.segmented_sends, ==, 3);
}

static void
test_mixed_sizes (Fixture *f, gconstpointer data)
{
	static const gsize sizes[] = { 96, 96, 96, 32, 1452, 1452, 148, 1452, 92, 92, 1500, 1, 1, 1 };
	NcuUdpSender sender;

	/* Runs that end with a shorter datagram, a longer one after a run,
	 * runs of one; and enough of them to take several system calls. */
	for (guint round = 0; round < 20; round++)
		for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
			add_packet (f, sizes[i]);
	send_expecting_all (f, &sender);
	g_assert_cmpuint (sender.segmented_sends, >, 0);
}

static void
test_too_big_skipped (Fixture *f, gconstpointer data)
{
	static const guint expected[] = { 0, 1, 3, 4 };
	NcuUdpSender sender;
	guint64 bytes = 0;

	/* 70000 bytes cannot be one UDP datagram: the others still go. */
	add_packet (f, 1000);
	add_packet (f, 1000);
	add_packet (f, 70000);
	add_packet (f, 1000);
	add_packet (f, 1000);
	ncu_udp_sender_init (&sender);
	g_assert_cmpuint (send_all (f, &sender, &bytes), ==, 4);
	g_assert_cmpuint (bytes, ==, 4000);
	expect_received (f, expected, G_N_ELEMENTS (expected));
}

static void
test_refused_falls_back (Fixture *f, gconstpointer data)
{
	NcuUdpSender sender;
	int one = 1;

	/* Without UDP checksums the kernel refuses segmentation (EINVAL). */
	g_assert_cmpint (setsockopt (f->tx, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one), ==, 0);
	for (guint i = 0; i < 100; i++)
		add_packet (f, 500);
	send_expecting_all (f, &sender);
	g_assert_false (sender.segment);
	g_assert_cmpuint (sender.segmented_sends, ==, 0);
}

static void
test_connected (Fixture *f, gconstpointer data)
{
	NcuUdpSender sender;
	guint64 bytes = 0;

	g_assert_cmpint (connect (f->tx, (struct sockaddr *) &f->rx_addr, f->rx_len), ==, 0);
	for (guint i = 0; i < 10; i++)
		add_packet (f, 200);
	ncu_udp_sender_init (&sender);
	g_assert_cmpuint (ncu_udp_send (&sender, f->tx, NULL, 0, f->packets, f->n, &bytes), ==, 10);
	g_assert_cmpuint (ncu_udp_send (&sender, f->tx, NULL, 0, f->packets, 0, &bytes), ==, 0);
	g_assert_cmpuint (bytes, ==, 2000);
	expect_all (f);
}

static void
add (const char *path, int family, void (*test) (Fixture *, gconstpointer))
{
	g_test_add (path, Fixture, GINT_TO_POINTER (family), fixture_set_up, test, fixture_tear_down);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	add ("/udp/equal-sizes", AF_INET, test_equal_sizes);
	add ("/udp/equal-sizes-ipv6", AF_INET6, test_equal_sizes);
	add ("/udp/mixed-sizes", AF_INET, test_mixed_sizes);
	add ("/udp/mixed-sizes-ipv6", AF_INET6, test_mixed_sizes);
	add ("/udp/too-big-skipped", AF_INET, test_too_big_skipped);
	add ("/udp/refused-falls-back", AF_INET, test_refused_falls_back);
	add ("/udp/connected", AF_INET, test_connected);
	return g_test_run ();
}
