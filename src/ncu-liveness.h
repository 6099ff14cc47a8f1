/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The liveness watchdog: notices within about 2 s that a peer's selected
 * ICE pair silently stopped carrying data (a TURN server restarted, a NAT
 * forgot its mappings or changed its address) and asks the peer for a new
 * ICE session, instead of waiting for libnice's consent freshness (0.1.21
 * declares consent lost about 10 s after the last answered check).
 *
 * What it watches is WireGuard's own per-peer byte counters, whatever the
 * data path (proxy or nftables fast path): one NcuLivenessMonitor per
 * tunnel reads the device once per tick for all its peers.
 *
 * The rule, per connected peer:
 *   1. WireGuard sent to the peer and received nothing from it for
 *      silence_ms (1 s), or a steady flow from the peer stopped for
 *      silence_ms: probe the path (ncu-liveness-probe.h): a small
 *      authenticated datagram on the selected pair that the remote's
 *      service echoes on the same pair. The second case is the receiving
 *      side of a flow whose NAT forgot its mapping: the sender's packets
 *      die at the receiver's router until the receiver sends, which the
 *      probe does (and if the router maps it anew, no echo comes: step 2).
 *   2. No echo and still nothing from WireGuard within probe_timeout_ms
 *      (1 s, three sends): the path is dead; restart() asks the peer for a
 *      fresh ICE session. The peer keeps the old pair (and this watchdog on
 *      it) until the new session connects, so a lost offer is sent again
 *      at the next restart.
 * An echo, or anything WireGuard receives, ends the probe: the path works.
 * That keeps one-way traffic (a WireGuard receiver sends a keepalive only
 * after 10 s) from ever causing a restart, at the price of one probe and
 * echo per ~2 s while such a flow lasts.
 *
 * The NAT keepalive: a NAT (or stateful firewall) in front of a side that
 * forgets its mappings while the tunnel is idle drops the peer's next
 * packets until that side sends, and an idle side would send only at
 * libnice's next consent check (every 4-6 s). So while WireGuard sends
 * nothing to a peer, the watchdog sends a keepalive on the selected pair
 * every keepalive_ms (2 s): the probe's datagram with its own type,
 * never answered. Whatever the peer then sends gets through within 2 s.
 *
 * Costs: one keepalive per peer every 2 s while WireGuard sends it
 * nothing; one probe and echo when a flow from the peer ends; nothing
 * else while WireGuard is answered. The monitor ticks only
 * while some peer is connected: every tick_ms (250 ms) while WireGuard
 * sends or receives, every idle_tick_ms (2 s) once it has been quiet
 * for idle_after_ms (5 s); a tick is one read of WireGuard's counters.
 *
 * Back-off: the first restart of a peer is immediate; another within the
 * hold-off waits for it (5 s, doubling to 60 s; back to 5 s after an
 * answered probe or a quiet minute), so a peer whose data path keeps dying
 * right after ICE connects (or an old peer that does not echo) does not
 * churn. A steady flow from the peer for 5 s (holdoff_min_ms) after a
 * restart shows that restart worked: the hold-off ends, and the next
 * failure (a second NAT event) is met at once. Probes are not held off: an
 * echo is how a kept path that works again is noticed. Echoes are limited
 * to 5 a second per peer, and go only to the selected pair: a forged or
 * replayed request cannot aim them anywhere.
 */
#ifndef NCU_LIVENESS_H
#define NCU_LIVENESS_H

#include <glib.h>
#include "ncu-profile.h"
#include "ncu-wg.h"

typedef struct _NcuLivenessMonitor NcuLivenessMonitor;
typedef struct _NcuLiveness NcuLiveness;

/* Tunables (milliseconds); tests shorten them. */
typedef struct {
	guint tick_ms;
	guint idle_tick_ms;
	guint idle_after_ms;
	guint silence_ms;
	guint probe_timeout_ms;
	guint keepalive_ms;              /* at least idle_tick_ms; 0: none */
	guint holdoff_min_ms;
	guint holdoff_max_ms;
} NcuLivenessTiming;

/* The defaults above. */
void ncu_liveness_timing_default (NcuLivenessTiming *timing);

/* Reads WireGuard's device (its peers' counters); the monitor only reads
 * *@info, which may be shared (ncu_wg_get_device_cached), and drops it with
 * ncu_wg_device_info_free(). */
typedef gboolean (*NcuLivenessReadFunc) (gpointer user_data, NcuWgDeviceInfo **info,
                                         GError **error);

/* @timing NULL: the defaults. Ticks in the thread-default main context. */
NcuLivenessMonitor *ncu_liveness_monitor_new (const NcuLivenessTiming *timing,
                                              NcuLivenessReadFunc read, gpointer user_data);
/* Every NcuLiveness of the monitor must be freed first. */
void ncu_liveness_monitor_free (NcuLivenessMonitor *monitor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuLivenessMonitor, ncu_liveness_monitor_free)

/* What one peer's watchdog borrows; all of it outlives the watchdog. */
typedef struct {
	const guint8 *peer_key;          /* NCU_KEY_LEN bytes */
	const char *name;                /* for logs */
	/* Sends one datagram on the selected pair; FALSE if it could not. */
	gboolean (*send) (const guint8 *buf, gsize len, gpointer user_data);
	/* The path is dead: start a fresh ICE session. Called last from a
	 * timeout of the watchdog, which may be stopped from inside it. */
	void (*restart) (gpointer user_data);
	/* Optional: a NAT in front of us may have forgotten its mappings (a
	 * probe went unanswered, or a flow from the peer came back right after
	 * our probe for its stop): other connections through that NAT
	 * (signaling) may be dead too. */
	void (*suspect_nat) (gpointer user_data);
	gpointer user_data;
} NcuLivenessEnv;

typedef struct {
	guint64 probes;                  /* probes started (each up to three sends) */
	guint64 answered;                /* echoes received for them */
	guint64 timeouts;                /* probes without echo or WireGuard reply */
	guint64 echoes;                  /* requests of the remote answered */
	guint64 dropped;                 /* bad, stale or rate-limited datagrams */
	guint64 keepalives;              /* keepalives sent */
	guint64 keepalives_heard;        /* the remote's keepalives received */
	guint restarts;                  /* restarts asked for */
} NcuLivenessStats;

NcuLiveness *ncu_liveness_new (NcuLivenessMonitor *monitor, const NcuLivenessEnv *env);
void ncu_liveness_free (NcuLiveness *liveness);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuLiveness, ncu_liveness_free)

/* ICE connected with these passwords (ours, the remote's): watch the pair
 * and answer the remote's probes. Called again (same session), nothing
 * changes; new passwords start over. */
void ncu_liveness_start (NcuLiveness *liveness, const char *local_pwd, const char *remote_pwd);
/* ICE is not connected (failed, new session): stop watching, forget the
 * keys. */
void ncu_liveness_stop (NcuLiveness *liveness);
/* A datagram from the pair that starts with the probe's magic. */
void ncu_liveness_receive (NcuLiveness *liveness, const guint8 *buf, gsize len);

void ncu_liveness_get_stats (NcuLiveness *liveness, NcuLivenessStats *stats);
/* Adds "liveness-probes", "liveness-answered", "liveness-timeouts",
 * "liveness-echoes", "liveness-dropped", "liveness-keepalives",
 * "liveness-keepalives-heard" (uint64) and "watchdog-restarts" (uint32) to
 * a peer's status. */
void ncu_liveness_add_status (NcuLiveness *liveness, GVariantBuilder *builder);

#endif /* NCU_LIVENESS_H */
