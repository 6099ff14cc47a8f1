/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-peer userspace UDP proxy between WireGuard and an ICE session
 * (DESIGN.md section 6).
 *
 * WireGuard's packets are read in batches (recvmmsg) into one buffer shared
 * by every proxy of the process and handed to libnice from there: no copy
 * on our side (only held packets are copied, once). Sharing is safe because
 * everything runs in one thread and a batch is fully sent before the read
 * handler returns; it keeps the touched memory at one batch per process
 * instead of one per peer.
 *
 * The other way, libnice hands us one packet per callback, in its own
 * buffer, and reads every packet waiting on its socket in one go. We copy
 * each into a small per-proxy queue and send the queue to WireGuard in one
 * go (src/ncu-udp.c) when it is full, or in the main loop's next iteration
 * (a source that is ready while the queue is not empty): one system call
 * per burst instead of one per packet saves ~0.5 us of kernel time per
 * packet here, for one copy of the packet.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "ncu-proxy.h"
#include "ncu-source.h"
#include "ncu-udp.h"

#define BATCH_SIZE 32
#define SLOT_SIZE 65536           /* any UDP payload WireGuard may send */
#define MAX_BATCHES_PER_WAKEUP 8  /* then let other sources run */
#define TO_WG_SLOTS 32            /* packets queued towards WireGuard */
#define TO_WG_SLOT_SIZE 2048      /* larger ones (jumbo MTU) go out at once */
#define DEFAULT_GRACE_MS 200

typedef enum {
	HOLDING,      /* ICE not connected: keep WireGuard's packets */
	GRACE,        /* connected, non-initiator: waiting for the remote's first packet */
	FORWARDING,
} ProxyState;

struct _NcuProxy {
	NcuIce *ice;                  /* borrowed */
	int fd;
	guint16 port;
	GSource *read_source;
	GSource *flush_source;        /* dispatches while to_wg holds packets */
	struct {
		guint n;
		guint8 *data;             /* TO_WG_SLOTS slots, allocated on first use */
		struct iovec iov[TO_WG_SLOTS];
		NcuUdpSender sender;
	} to_wg;
	ProxyState state;
	gboolean initiator;
	guint grace_ms;
	GSource *grace_source;
	GQueue held;                  /* of GBytes*, oldest first */
	GBytes *own_initiation;       /* non-initiator: the latest one WireGuard made, held apart */
	gboolean heard_remote;        /* a packet came from the remote since the last "not ready" */
	GBytes *initiation;           /* our last handshake initiation, unanswered */
	GSource *resend_source;
	guint resend_delay_ms;
	NcuProxyStats stats;
};

/* ---- the shared receive batch ---- */

typedef struct {
	guint refs;
	guint8 *data;
	struct iovec iov[BATCH_SIZE];
	struct mmsghdr msgs[BATCH_SIZE];
} Batch;

static Batch batch;

static void
batch_ref (void)
{
	if (batch.refs++ > 0)
		return;
	/* 2 MiB of address space; only the pages packets land in get touched. */
	batch.data = g_malloc (BATCH_SIZE * SLOT_SIZE);
	for (guint i = 0; i < BATCH_SIZE; i++) {
		batch.iov[i].iov_base = batch.data + i * SLOT_SIZE;
		batch.iov[i].iov_len = SLOT_SIZE;
	}
}

static void
batch_unref (void)
{
	if (--batch.refs > 0)
		return;
	g_clear_pointer (&batch.data, g_free);
}

/* ---- WireGuard's first handshake ----
 *
 * WireGuard message type 1 (a little-endian 32-bit word), 148 bytes. Two
 * initiations crossing each other cost WireGuard 5 s (about one connect in
 * ten did that under load). So the non-initiating side sends no initiation
 * of its own until the first packet from the remote has arrived: until
 * then it keeps WireGuard's latest initiation apart and holds everything
 * else (its answers to the remote's initiation above all), also after ICE
 * connects, when it would otherwise forward at once. The remote's first
 * packet drops that initiation, whatever the packet is: the initiating
 * side (ncu-peer.c) always starts a new handshake when ICE connects, so
 * its initiation comes even when stale data it held comes first. Only
 * when nothing comes within the grace time (the remote could not start
 * its handshake) does our own initiation go out.
 *
 * The initiating side's first initiation may reach the remote before the
 * remote's ICE agent accepts data on the new pair, and WireGuard would
 * retry only after 5 s. So the initiator sends it again, backing off from
 * 100 ms, until the remote answers with anything. A duplicate that arrives
 * after the original was processed is refused by WireGuard's timestamp
 * check, so repeating is harmless. */

#define RESEND_FIRST_MS 100
#define RESEND_LAST_MS  1600

static gboolean
is_handshake_initiation (const guint8 *buf, gsize len)
{
	static const guint8 type_initiation[4] = { 1, 0, 0, 0 };

	return len == 148 && memcmp (buf, type_initiation, 4) == 0;
}

static void send_to_ice (NcuProxy *proxy, const guint8 *buf, gsize len);

static void
stop_resending (NcuProxy *proxy)
{
	ncu_source_clear (&proxy->resend_source);
	g_clear_pointer (&proxy->initiation, g_bytes_unref);
}

static gboolean on_resend (gpointer data);

static void
schedule_resend (NcuProxy *proxy)
{
	proxy->resend_source = ncu_source_timeout (ncu_ice_get_context (proxy->ice),
	                                           proxy->resend_delay_ms, "ncu-proxy resend",
	                                           on_resend, proxy);
}

static gboolean
on_resend (gpointer data)
{
	NcuProxy *proxy = data;
	gsize len;
	const guint8 *buf = g_bytes_get_data (proxy->initiation, &len);

	send_to_ice (proxy, buf, len);
	proxy->resend_delay_ms *= 2;
	if (proxy->resend_delay_ms > RESEND_LAST_MS) {
		g_clear_pointer (&proxy->resend_source, g_source_unref);
		g_clear_pointer (&proxy->initiation, g_bytes_unref);
		return G_SOURCE_REMOVE;
	}
	/* A new source: the interval cannot change in place (ncu-source.h). */
	g_clear_pointer (&proxy->resend_source, g_source_unref);
	schedule_resend (proxy);
	return G_SOURCE_REMOVE;
}

/* An initiation of ours just went out: repeat it until answered. */
static void
note_initiation (NcuProxy *proxy, const guint8 *buf, gsize len)
{
	if (!proxy->initiator || !is_handshake_initiation (buf, len))
		return;
	stop_resending (proxy);
	proxy->initiation = g_bytes_new (buf, len);
	proxy->resend_delay_ms = RESEND_FIRST_MS;
	schedule_resend (proxy);
}

/* ---- holding ---- */

/* Non-initiator: what to do with our own initiation when forwarding starts. */
static void
settle_own_initiation (NcuProxy *proxy)
{
	GBytes *own = g_steal_pointer (&proxy->own_initiation);

	if (!own)
		return;
	if (proxy->heard_remote) {
		/* The remote initiates (or is about to): ours would cross it. */
		proxy->stats.dropped_hold++;
	} else {
		gsize len;
		const guint8 *buf = g_bytes_get_data (own, &len);

		send_to_ice (proxy, buf, len);
	}
	g_bytes_unref (own);
}

static void
keep_own_initiation (NcuProxy *proxy, const guint8 *buf, gsize len)
{
	if (proxy->own_initiation) {
		/* WireGuard made a newer one; only the newest is valid for it. */
		g_bytes_unref (proxy->own_initiation);
		proxy->stats.dropped_hold++;
	}
	proxy->own_initiation = g_bytes_new (buf, len);
	proxy->stats.held++;
}

static void
hold (NcuProxy *proxy, const guint8 *buf, gsize len)
{
	if (g_queue_get_length (&proxy->held) >= NCU_PROXY_HOLD_MAX) {
		/* The newest packets matter: WireGuard's latest handshake. */
		g_bytes_unref (g_queue_pop_head (&proxy->held));
		proxy->stats.dropped_hold++;
	}
	g_queue_push_tail (&proxy->held, g_bytes_new (buf, len));
	proxy->stats.held++;
}

static void
send_to_ice (NcuProxy *proxy, const guint8 *buf, gsize len)
{
	if (ncu_ice_send (proxy->ice, buf, len)) {
		proxy->stats.wg_to_ice_packets++;
		proxy->stats.wg_to_ice_bytes += len;
	} else {
		proxy->stats.dropped_to_ice++;
	}
}

static void
flush_held (NcuProxy *proxy)
{
	GBytes *bytes;

	settle_own_initiation (proxy);
	while ((bytes = g_queue_pop_head (&proxy->held))) {
		gsize len;
		const guint8 *buf = g_bytes_get_data (bytes, &len);

		send_to_ice (proxy, buf, len);
		note_initiation (proxy, buf, len);
		g_bytes_unref (bytes);
	}
}

static gboolean
on_grace_timeout (gpointer data)
{
	NcuProxy *proxy = data;

	/* The remote did not initiate: our own initiation goes out after all. */
	g_clear_pointer (&proxy->grace_source, g_source_unref);
	proxy->state = FORWARDING;
	flush_held (proxy);
	return G_SOURCE_REMOVE;
}

static void
start_grace (NcuProxy *proxy)
{
	proxy->state = GRACE;
	proxy->grace_source = ncu_source_timeout (ncu_ice_get_context (proxy->ice), proxy->grace_ms,
	                                          "ncu-proxy grace", on_grace_timeout, proxy);
}

/* ---- the two directions ---- */

/* One batch of WireGuard's packets, pointing into the shared buffer. */
static void
from_wireguard (NcuProxy *proxy, const struct iovec *packets, guint n)
{
	if (proxy->state == FORWARDING) {
		guint sent = ncu_ice_send_batch (proxy->ice, packets, n, &proxy->stats.wg_to_ice_bytes);

		proxy->stats.wg_to_ice_packets += sent;
		proxy->stats.dropped_to_ice += n - sent;
		/* Initiations are rare (every 2 minutes); the check is a length. */
		for (guint i = 0; i < n; i++)
			note_initiation (proxy, packets[i].iov_base, packets[i].iov_len);
		return;
	}
	for (guint i = 0; i < n; i++) {
		if (!proxy->initiator && is_handshake_initiation (packets[i].iov_base, packets[i].iov_len))
			keep_own_initiation (proxy, packets[i].iov_base, packets[i].iov_len);
		else
			hold (proxy, packets[i].iov_base, packets[i].iov_len);
	}
}

static gboolean
on_wireguard_readable (gint fd, GIOCondition condition, gpointer data)
{
	NcuProxy *proxy = data;
	struct iovec packets[BATCH_SIZE];

	for (guint round = 0; round < MAX_BATCHES_PER_WAKEUP; round++) {
		guint n_packets = 0;
		int n;

		for (guint i = 0; i < BATCH_SIZE; i++) {
			memset (&batch.msgs[i].msg_hdr, 0, sizeof batch.msgs[i].msg_hdr);
			batch.msgs[i].msg_hdr.msg_iov = &batch.iov[i];
			batch.msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg (fd, batch.msgs, BATCH_SIZE, MSG_DONTWAIT, NULL);
		if (n < 0) {
			/* ECONNREFUSED and friends report an ICMP error from an
			 * earlier send to WireGuard; reading consumed it. */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (batch.msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				proxy->stats.dropped_truncated++;
				continue;
			}
			packets[n_packets].iov_base = batch.iov[i].iov_base;
			packets[n_packets].iov_len = batch.msgs[i].msg_len;
			n_packets++;
		}
		from_wireguard (proxy, packets, n_packets);
		if (n < BATCH_SIZE)
			break;
	}
	return G_SOURCE_CONTINUE;
}

/* ---- towards WireGuard ---- */

static void
send_to_wg (NcuProxy *proxy, const struct iovec *packets, guint n)
{
	guint sent = ncu_udp_send (&proxy->to_wg.sender, proxy->fd, NULL, 0, packets, n,
	                           &proxy->stats.ice_to_wg_bytes);

	proxy->stats.ice_to_wg_packets += sent;
	/* WireGuard's buffer was full, or an ICMP error of an earlier send
	 * came back: lost, as with send(). */
	proxy->stats.dropped_to_wg += n - sent;
}

static void
flush_to_wg (NcuProxy *proxy)
{
	guint n = proxy->to_wg.n;

	proxy->to_wg.n = 0;
	if (n > 0)
		send_to_wg (proxy, proxy->to_wg.iov, n);
}

static void
queue_to_wg (NcuProxy *proxy, const guint8 *buf, gsize len)
{
	guint i = proxy->to_wg.n;

	if (len > TO_WG_SLOT_SIZE) {
		struct iovec packet = { (void *) buf, len };

		flush_to_wg (proxy);   /* keep the order */
		send_to_wg (proxy, &packet, 1);
		return;
	}
	if (!proxy->to_wg.data) {
		proxy->to_wg.data = g_malloc (TO_WG_SLOTS * TO_WG_SLOT_SIZE);
		for (guint k = 0; k < TO_WG_SLOTS; k++)
			proxy->to_wg.iov[k].iov_base = proxy->to_wg.data + k * TO_WG_SLOT_SIZE;
	}
	memcpy (proxy->to_wg.iov[i].iov_base, buf, len);
	proxy->to_wg.iov[i].iov_len = len;
	proxy->to_wg.n++;
	if (proxy->to_wg.n == TO_WG_SLOTS)
		flush_to_wg (proxy);
}

/* A source that is ready while packets wait for WireGuard, so the main
 * loop does not sleep before they go out. */
typedef struct {
	GSource source;
	NcuProxy *proxy;
} FlushSource;

static gboolean
flush_check (GSource *source)
{
	return ((FlushSource *) source)->proxy->to_wg.n > 0;
}

static gboolean
flush_prepare (GSource *source, gint *timeout)
{
	*timeout = -1;
	return flush_check (source);
}

static gboolean
flush_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
	flush_to_wg (((FlushSource *) source)->proxy);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs flush_funcs = {
	.prepare = flush_prepare,
	.check = flush_check,
	.dispatch = flush_dispatch,
};

static GSource *
flush_source_new (NcuProxy *proxy)
{
	GSource *source = g_source_new (&flush_funcs, sizeof (FlushSource));

	((FlushSource *) source)->proxy = proxy;
	g_source_set_static_name (source, "ncu-proxy flush");
	return source;
}

static void
on_ice_recv (NcuIce *ice, guint8 *buf, gsize len, gpointer data)
{
	NcuProxy *proxy = data;

	/* Any packet from the remote means it has our initiation (or does not
	 * need it): stop repeating it. */
	if (proxy->initiation)
		stop_resending (proxy);
	proxy->heard_remote = TRUE;
	/* The remote's first packet ends the wait: what we hold (our answers,
	 * data) goes out behind it, our own initiation does not. */
	if (proxy->state == GRACE) {
		ncu_source_clear (&proxy->grace_source);
		proxy->state = FORWARDING;
		flush_held (proxy);
	}

	queue_to_wg (proxy, buf, len);
}

/* ---- setup ---- */

static int
open_socket (guint16 wg_port, guint16 *port, GError **error)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
	socklen_t addr_len = sizeof addr;
	int fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	const char *step = "socket";

	if (fd < 0)
		goto fail;
	ncu_ice_raise_socket_buffers (fd);
	step = "bind";
	if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
		goto fail;
	step = "getsockname";
	if (getsockname (fd, (struct sockaddr *) &addr, &addr_len) < 0)
		goto fail;
	*port = ntohs (addr.sin_port);
	/* Connected: only WireGuard's port gets through to us. */
	addr.sin_port = htons (wg_port);
	step = "connect";
	if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
		goto fail;
	return fd;

fail:
	{
		int errsv = errno;

		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
		             "Proxy socket for WireGuard port %u: %s: %s", wg_port, step,
		             g_strerror (errsv));
		if (fd >= 0)
			close (fd);
		return -1;
	}
}

NcuProxy *
ncu_proxy_new (guint16 wg_port, NcuIce *ice, GError **error)
{
	NcuProxy *proxy;
	guint16 port = 0;
	int fd;

	if (wg_port == 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "Proxy: WireGuard listen port is not known (0)");
		return NULL;
	}
	fd = open_socket (wg_port, &port, error);
	if (fd < 0)
		return NULL;

	batch_ref ();
	proxy = g_new0 (NcuProxy, 1);
	proxy->ice = ice;
	proxy->fd = fd;
	proxy->port = port;
	proxy->state = HOLDING;
	proxy->initiator = TRUE;
	proxy->grace_ms = DEFAULT_GRACE_MS;
	ncu_udp_sender_init (&proxy->to_wg.sender);
	g_queue_init (&proxy->held);

	proxy->read_source = ncu_source_attach (g_unix_fd_source_new (fd, G_IO_IN),
	                                        ncu_ice_get_context (ice), "ncu-proxy wireguard",
	                                        G_SOURCE_FUNC (on_wireguard_readable), proxy);
	proxy->flush_source = flush_source_new (proxy);
	g_source_attach (proxy->flush_source, ncu_ice_get_context (ice));
	ncu_ice_set_recv_func (ice, on_ice_recv, proxy);
	g_debug ("proxy %p: 127.0.0.1:%u <-> WireGuard port %u", proxy, port, wg_port);
	return proxy;
}

void
ncu_proxy_free (NcuProxy *proxy)
{
	if (!proxy)
		return;
	ncu_ice_set_recv_func (proxy->ice, NULL, NULL);
	ncu_source_clear (&proxy->grace_source);
	stop_resending (proxy);
	ncu_source_clear (&proxy->read_source);
	flush_to_wg (proxy);
	ncu_source_clear (&proxy->flush_source);
	g_free (proxy->to_wg.data);
	close (proxy->fd);
	g_queue_clear_full (&proxy->held, (GDestroyNotify) g_bytes_unref);
	g_clear_pointer (&proxy->own_initiation, g_bytes_unref);
	batch_unref ();
	g_free (proxy);
}

guint16
ncu_proxy_get_port (NcuProxy *proxy)
{
	return proxy->port;
}

void
ncu_proxy_set_initiator (NcuProxy *proxy, gboolean initiator, guint grace_ms)
{
	proxy->initiator = initiator;
	proxy->grace_ms = grace_ms;
}

void
ncu_proxy_set_ready (NcuProxy *proxy, gboolean ready)
{
	if (!ready) {
		ncu_source_clear (&proxy->grace_source);
		stop_resending (proxy);
		proxy->heard_remote = FALSE;
		proxy->state = HOLDING;
		return;
	}
	if (proxy->state != HOLDING)
		return;
	/* A non-initiator waits for the remote even when it holds nothing: an
	 * initiation WireGuard makes right after this would cross the
	 * remote's. */
	if (proxy->initiator || proxy->heard_remote) {
		proxy->state = FORWARDING;
		flush_held (proxy);
	} else {
		start_grace (proxy);
	}
}

void
ncu_proxy_get_stats (NcuProxy *proxy, NcuProxyStats *stats)
{
	*stats = proxy->stats;
	stats->segmented_to_wg = proxy->to_wg.sender.segmented_sends;
}
