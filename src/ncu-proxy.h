/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-peer userspace UDP proxy between WireGuard and an ICE session
 * (DESIGN.md section 6). A UDP socket on 127.0.0.1 (ephemeral port),
 * connected to WireGuard's listen port on 127.0.0.1; the peer's WireGuard
 * endpoint is set to that socket's address (ncu_proxy_get_port()), which
 * is bound before ncu_proxy_new() returns.
 *
 * WireGuard -> socket -> ncu_ice_send(); ICE receive -> socket -> WireGuard.
 * Until ncu_proxy_set_ready(TRUE), WireGuard's packets are held (a few,
 * newest kept). Runs in the ICE session's GMainContext.
 */
#ifndef NCU_PROXY_H
#define NCU_PROXY_H

#include <glib.h>
#include "ncu-ice.h"

G_BEGIN_DECLS

typedef struct _NcuProxy NcuProxy;

/* Packets held while ICE is not connected; WireGuard retries anyway. */
#define NCU_PROXY_HOLD_MAX 8

typedef struct {
	guint64 wg_to_ice_packets, wg_to_ice_bytes;  /* sent through ICE */
	guint64 ice_to_wg_packets, ice_to_wg_bytes;  /* delivered to WireGuard */
	guint64 held;              /* packets held before ready (flushed or not) */
	guint64 dropped_hold;      /* held packets dropped: queue full, or discarded */
	guint64 dropped_to_ice;    /* ncu_ice_send() failed */
	guint64 dropped_to_wg;     /* sending to WireGuard failed (not listening, full) */
	guint64 dropped_truncated; /* larger than the receive buffer */
	guint64 segmented_to_wg;   /* sends to WireGuard that carried several packets */
} NcuProxyStats;

/*
 * Binds the socket and registers as @ice's receiver (replacing any).
 * @ice must outlive the proxy.
 */
NcuProxy *ncu_proxy_new (guint16 wg_port, NcuIce *ice, GError **error);
void ncu_proxy_free (NcuProxy *proxy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuProxy, ncu_proxy_free)

/* The port (on 127.0.0.1) to set as the peer's WireGuard endpoint. */
guint16 ncu_proxy_get_port (NcuProxy *proxy);

/*
 * Whether this side starts WireGuard's first handshake (default TRUE).
 * Simultaneous initiations collide and cost WireGuard 5 s, so exactly one
 * side of a pair should be the initiator. On ready, the initiator flushes
 * what it holds; the other side sends none of WireGuard's handshake
 * initiations until the first packet from the remote has arrived (then it
 * flushes what it holds and drops its own initiation), or until @grace_ms
 * pass with nothing from the remote (then its own latest initiation goes
 * out first). Until then it holds everything, whether or not it held
 * anything at ready.
 */
void ncu_proxy_set_initiator (NcuProxy *proxy, gboolean initiator, guint grace_ms);

/* TRUE when ICE is connected: flush (see above) and forward from now on.
 * FALSE (ICE failed or restarting): hold again. */
void ncu_proxy_set_ready (NcuProxy *proxy, gboolean ready);

void ncu_proxy_get_stats (NcuProxy *proxy, NcuProxyStats *stats);

G_END_DECLS

#endif /* NCU_PROXY_H */
