/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-liveness.h"
#include "ncu-liveness-probe.h"
#include "ncu-source.h"

/* A probe is sent this many times, evenly over probe_timeout_ms: one lost
 * datagram must not cost a session. */
#define PROBE_SENDS 3
/* Echoes a peer may get per second; its own probes need at most 3. */
#define ECHO_MAX_PER_S 5
/* What started a probe (compared by address). */
static const char FLOW_STOPPED[] = "WireGuard's flow from the peer stopped";
/* Ticks with data from the peer, close together, that make a flow whose
 * stop is worth a probe: a lone handshake or keepalive is not one. */
#define RX_FLOW_TICKS 3

struct _NcuLivenessMonitor {
	NcuLivenessTiming timing;
	NcuLivenessReadFunc read;
	gpointer read_data;
	GHashTable *watched;             /* peer key -> NcuLiveness*, those started */
	GSource *tick_source;
	gint64 last_active_us;           /* WireGuard last sent to or heard from a watched peer */
};

struct _NcuLiveness {
	NcuLivenessMonitor *monitor;
	NcuLivenessEnv env;
	guint8 peer_key[NCU_KEY_LEN];

	gboolean watching;
	guint8 local_key[NCU_LIVENESS_KEY_LEN];   /* verifies what we receive */
	guint8 remote_key[NCU_LIVENESS_KEY_LEN];  /* tags what we send */

	/* WireGuard's counters at the last tick. */
	gboolean have_counters;
	guint64 tx, rx;
	gint64 last_feed_us;
	gint64 last_out_us;              /* WireGuard or we last sent on the pair */
	gint64 unanswered_since_us;      /* since when a send is unanswered; 0: none */
	gint64 last_rx_us;               /* the last tick WireGuard heard from the peer */
	guint rx_streak;                 /* ticks with data, each within silence_ms of the last */
	gint64 rx_streak_since_us;       /* the first of them */

	/* The probe in flight. */
	GSource *probe_source;
	const char *probe_why;           /* static: what started it */
	gint64 flow_answered_us;         /* a probe for a stopped flow was answered then */
	guint probe_sends;
	guint8 nonce[NCU_LIVENESS_NONCE_LEN];

	gint64 echo_window_us;
	guint echo_count;

	gint64 last_restart_us;
	gint64 next_restart_us;          /* no restart before this (hold-off) */
	guint holdoff_ms;

	NcuLivenessStats stats;
};

void
ncu_liveness_timing_default (NcuLivenessTiming *t)
{
	t->tick_ms = 250;
	t->idle_tick_ms = 2000;
	t->idle_after_ms = 5000;
	t->silence_ms = 1000;
	t->probe_timeout_ms = 1000;
	t->keepalive_ms = 2000;
	t->holdoff_min_ms = 5000;
	t->holdoff_max_ms = 60000;
}

static guint
key_hash (gconstpointer key)
{
	guint h;

	/* Public keys are uniformly random. */
	memcpy (&h, key, sizeof h);
	return h;
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
	return memcmp (a, b, NCU_KEY_LEN) == 0;
}

static const NcuLivenessTiming *
timing_of (NcuLiveness *lv)
{
	return &lv->monitor->timing;
}

/* ---- the probe ---- */

static void
send_probe (NcuLiveness *lv, NcuLivenessProbeType type, const guint8 nonce[NCU_LIVENESS_NONCE_LEN])
{
	guint8 buf[NCU_LIVENESS_PROBE_LEN];

	ncu_liveness_probe_build (buf, type, nonce, lv->remote_key);
	lv->last_out_us = g_get_monotonic_time ();
	if (!lv->env.send (buf, sizeof buf, lv->env.user_data))
		g_debug ("peer %s: liveness datagram not sent (no pair)", lv->env.name);
}

/* Nothing went to the peer for keepalive_ms: send a keepalive, so a NAT in
 * front of us that forgot its mapping has it again within keepalive_ms. A
 * tick may come early by up to half a busy tick. */
static void
keep_mapping (NcuLiveness *lv, gint64 now)
{
	const NcuLivenessTiming *t = timing_of (lv);
	guint8 nonce[NCU_LIVENESS_NONCE_LEN];

	if (!t->keepalive_ms ||
	    now - lv->last_out_us + (gint64) t->tick_ms * 500 < (gint64) t->keepalive_ms * 1000)
		return;
	randombytes_buf (nonce, sizeof nonce);
	lv->stats.keepalives++;
	send_probe (lv, NCU_LIVENESS_PROBE_KEEPALIVE, nonce);
}

static void
suspect_nat (NcuLiveness *lv)
{
	if (lv->env.suspect_nat)
		lv->env.suspect_nat (lv->env.user_data);
}

/* WireGuard hears from the peer again. Right after a probe for its stopped
 * flow, that flow was not over: it was blocked in front of us until the
 * probe went out, as when our NAT forgot its mapping. */
static void
flow_resumed (NcuLiveness *lv, gint64 now)
{
	gboolean probing = lv->probe_source && lv->probe_why == FLOW_STOPPED;
	gboolean answered = lv->flow_answered_us &&
	                    now - lv->flow_answered_us <= (gint64) timing_of (lv)->silence_ms * 1000;

	lv->flow_answered_us = 0;
	if (probing || answered)
		suspect_nat (lv);
}

/* The path works (an echo, or WireGuard heard from the peer). */
static void
path_alive (NcuLiveness *lv)
{
	lv->unanswered_since_us = 0;
	ncu_source_clear (&lv->probe_source);
}

/* WireGuard heard from the peer at this tick: part of a flow, or a lone
 * packet (a handshake, a keepalive). */
static void
note_rx (NcuLiveness *lv, gint64 now)
{
	const NcuLivenessTiming *t = timing_of (lv);

	if (lv->rx_streak && now - lv->last_rx_us <= (gint64) t->silence_ms * 1000) {
		lv->rx_streak++;
	} else {
		lv->rx_streak = 1;
		lv->rx_streak_since_us = now;
	}
	lv->last_rx_us = now;
	/* A flow that lasted the shortest hold-off: the path works, and the
	 * restart before it (if any) was no churn. The next one may be at once. */
	if (lv->next_restart_us && now - lv->rx_streak_since_us >= (gint64) t->holdoff_min_ms * 1000) {
		lv->next_restart_us = 0;
		lv->holdoff_ms = t->holdoff_min_ms;
	}
}

/* A flow from the peer (data on RX_FLOW_TICKS ticks, each within silence_ms
 * of the one before) stopped for silence_ms. The peer may simply have
 * stopped sending, or the path died in our direction only: a NAT in front
 * of us forgot its mapping, and the peer's packets now die at our router,
 * which opens again only when we send. A probe tells the two apart and,
 * through such a NAT, reopens it. */
static gboolean
rx_flow_stopped (NcuLiveness *lv, gint64 now)
{
	const NcuLivenessTiming *t = timing_of (lv);

	return lv->rx_streak >= RX_FLOW_TICKS &&
	       now - lv->last_rx_us >= (gint64) t->silence_ms * 1000;
}

static void
restart (NcuLiveness *lv, gint64 now)
{
	const NcuLivenessTiming *t = timing_of (lv);

	/* A quiet spell since the last restart: that one was not churn. */
	if (lv->last_restart_us && now - lv->last_restart_us > (gint64) t->holdoff_max_ms * 1000)
		lv->holdoff_ms = t->holdoff_min_ms;
	lv->last_restart_us = now;
	lv->next_restart_us = now + (gint64) lv->holdoff_ms * 1000;
	lv->holdoff_ms = MIN (lv->holdoff_ms * 2, t->holdoff_max_ms);
	lv->unanswered_since_us = 0;
	lv->stats.restarts++;
	g_message ("peer %s: the path is silent (%s for %u ms, then a probe unanswered for %u ms): "
	           "restarting ICE", lv->env.name, lv->probe_why, t->silence_ms, t->probe_timeout_ms);
	/* Last: the peer stops us from inside. */
	lv->env.restart (lv->env.user_data);
}

static gboolean
on_probe_timer (gpointer data)
{
	NcuLiveness *lv = data;
	gint64 now = g_get_monotonic_time ();

	if (++lv->probe_sends < PROBE_SENDS) {
		send_probe (lv, NCU_LIVENESS_PROBE_REQUEST, lv->nonce);
		return G_SOURCE_CONTINUE;
	}
	g_clear_pointer (&lv->probe_source, g_source_unref);
	lv->stats.timeouts++;
	suspect_nat (lv);
	if (now < lv->next_restart_us) {
		g_info ("peer %s: probe unanswered; next restart allowed in %" G_GINT64_FORMAT " ms",
		        lv->env.name, (lv->next_restart_us - now) / 1000);
		/* Probe again once the silence lasts again past the hold-off. */
		lv->unanswered_since_us = now;
		return G_SOURCE_REMOVE;
	}
	restart (lv, now);
	return G_SOURCE_REMOVE;
}

static void
start_probe (NcuLiveness *lv, const char *why)
{
	const NcuLivenessTiming *t = timing_of (lv);

	randombytes_buf (lv->nonce, sizeof lv->nonce);
	lv->probe_sends = 0;
	lv->probe_why = why;
	/* Whatever started it, this probe covers the flow's stop: one per flow. */
	lv->rx_streak = 0;
	lv->stats.probes++;
	g_debug ("peer %s: %s for %u ms: probing the path", lv->env.name, why, t->silence_ms);
	lv->probe_source = ncu_source_timeout (g_main_context_get_thread_default (),
	                                       MAX (t->probe_timeout_ms / PROBE_SENDS, 1),
	                                       "ncu-liveness probe", on_probe_timer, lv);
	send_probe (lv, NCU_LIVENESS_PROBE_REQUEST, lv->nonce);
}

/* ---- WireGuard's counters ---- */

/* One tick's counters for a watched peer. Never calls back into the
 * peer: restarts happen only from the probe's timer. */
static void
feed (NcuLiveness *lv, guint64 tx, guint64 rx, gint64 now)
{
	const NcuLivenessTiming *t = timing_of (lv);
	gboolean sent, received;
	gint64 since;

	/* First look, or WireGuard's peer was replaced (its counters restart
	 * from zero): a new baseline. */
	if (!lv->have_counters || tx < lv->tx || rx < lv->rx) {
		lv->have_counters = TRUE;
		lv->tx = tx;
		lv->rx = rx;
		lv->last_feed_us = now;
		lv->last_out_us = now;
		return;
	}
	sent = tx != lv->tx;
	received = rx != lv->rx;
	lv->tx = tx;
	lv->rx = rx;
	since = lv->last_feed_us;
	lv->last_feed_us = now;
	if (sent || received)
		lv->monitor->last_active_us = now;
	if (sent)
		lv->last_out_us = now;
	keep_mapping (lv, now);
	if (received) {
		note_rx (lv, now);
		flow_resumed (lv, now);
		path_alive (lv);
		return;
	}
	/* The send happened after the previous tick: count from there, but
	 * never from further back than one busy tick (after an idle spell the
	 * previous tick is long ago). */
	if (sent && !lv->unanswered_since_us)
		lv->unanswered_since_us = MAX (since, now - (gint64) t->tick_ms * 1000);
	if (lv->probe_source)
		return;
	/* Probes go out during a restart's hold-off too: they cost two small
	 * datagrams, and an answer shows the kept path works again. */
	if (lv->unanswered_since_us && now - lv->unanswered_since_us >= (gint64) t->silence_ms * 1000) {
		start_probe (lv, "WireGuard unanswered");
	} else if (rx_flow_stopped (lv, now)) {
		start_probe (lv, FLOW_STOPPED);
	}
}

static gboolean
monitor_busy (NcuLivenessMonitor *monitor, gint64 now)
{
	GHashTableIter iter;
	gpointer value;

	if (now - monitor->last_active_us < (gint64) monitor->timing.idle_after_ms * 1000)
		return TRUE;
	g_hash_table_iter_init (&iter, monitor->watched);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		NcuLiveness *lv = value;

		if (lv->unanswered_since_us || lv->probe_source)
			return TRUE;
	}
	return FALSE;
}

static void
monitor_read (NcuLivenessMonitor *monitor, gint64 now)
{
	g_autoptr (NcuWgDeviceInfo) info = NULL;
	g_autoptr (GError) error = NULL;

	if (!monitor->read (monitor->read_data, &info, &error)) {
		g_debug ("liveness: cannot read WireGuard's counters: %s", error->message);
		return;
	}
	for (guint i = 0; i < info->peers->len; i++) {
		const NcuWgPeerInfo *p = g_ptr_array_index (info->peers, i);
		NcuLiveness *lv = g_hash_table_lookup (monitor->watched, p->public_key);

		if (lv)
			feed (lv, p->tx_bytes, p->rx_bytes, now);
	}
}

static gboolean on_tick (gpointer data);

static void
schedule_tick (NcuLivenessMonitor *monitor, guint ms)
{
	/* A new source each time: the interval cannot change in place. */
	monitor->tick_source = ncu_source_timeout (g_main_context_get_thread_default (), ms,
	                                           "ncu-liveness tick", on_tick, monitor);
}

static gboolean
on_tick (gpointer data)
{
	NcuLivenessMonitor *monitor = data;
	gint64 now = g_get_monotonic_time ();

	g_clear_pointer (&monitor->tick_source, g_source_unref);
	monitor_read (monitor, now);
	schedule_tick (monitor, monitor_busy (monitor, now) ? monitor->timing.tick_ms
	                                                    : monitor->timing.idle_tick_ms);
	return G_SOURCE_REMOVE;
}

static void
monitor_update_ticking (NcuLivenessMonitor *monitor)
{
	if (g_hash_table_size (monitor->watched) == 0) {
		ncu_source_clear (&monitor->tick_source);
		return;
	}
	if (monitor->tick_source)
		return;
	/* A peer just connected: WireGuard's handshake follows, watch closely. */
	monitor->last_active_us = g_get_monotonic_time ();
	schedule_tick (monitor, monitor->timing.tick_ms);
}

NcuLivenessMonitor *
ncu_liveness_monitor_new (const NcuLivenessTiming *timing, NcuLivenessReadFunc read,
                          gpointer user_data)
{
	NcuLivenessMonitor *monitor = g_new0 (NcuLivenessMonitor, 1);

	if (timing)
		monitor->timing = *timing;
	else
		ncu_liveness_timing_default (&monitor->timing);
	monitor->read = read;
	monitor->read_data = user_data;
	monitor->watched = g_hash_table_new (key_hash, key_equal);
	return monitor;
}

void
ncu_liveness_monitor_free (NcuLivenessMonitor *monitor)
{
	if (!monitor)
		return;
	g_warn_if_fail (g_hash_table_size (monitor->watched) == 0);
	g_hash_table_remove_all (monitor->watched);
	monitor_update_ticking (monitor);
	g_hash_table_unref (monitor->watched);
	g_free (monitor);
}

/* ---- one peer ---- */

NcuLiveness *
ncu_liveness_new (NcuLivenessMonitor *monitor, const NcuLivenessEnv *env)
{
	NcuLiveness *lv = g_new0 (NcuLiveness, 1);

	lv->monitor = monitor;
	lv->env = *env;
	memcpy (lv->peer_key, env->peer_key, NCU_KEY_LEN);
	lv->env.peer_key = lv->peer_key;
	lv->holdoff_ms = monitor->timing.holdoff_min_ms;
	return lv;
}

static void
forget_keys (NcuLiveness *lv)
{
	sodium_memzero (lv->local_key, sizeof lv->local_key);
	sodium_memzero (lv->remote_key, sizeof lv->remote_key);
}

void
ncu_liveness_free (NcuLiveness *lv)
{
	if (!lv)
		return;
	ncu_liveness_stop (lv);
	g_free (lv);
}

void
ncu_liveness_start (NcuLiveness *lv, const char *local_pwd, const char *remote_pwd)
{
	guint8 local_key[NCU_LIVENESS_KEY_LEN], remote_key[NCU_LIVENESS_KEY_LEN];
	gboolean same;

	ncu_liveness_key_derive (local_pwd, local_key);
	ncu_liveness_key_derive (remote_pwd, remote_key);
	same = lv->watching && sodium_memcmp (local_key, lv->local_key, sizeof local_key) == 0 &&
	       sodium_memcmp (remote_key, lv->remote_key, sizeof remote_key) == 0;
	if (!same) {
		ncu_liveness_stop (lv);
		memcpy (lv->local_key, local_key, sizeof local_key);
		memcpy (lv->remote_key, remote_key, sizeof remote_key);
		lv->watching = TRUE;
		g_hash_table_insert (lv->monitor->watched, lv->peer_key, lv);
		monitor_update_ticking (lv->monitor);
	}
	sodium_memzero (local_key, sizeof local_key);
	sodium_memzero (remote_key, sizeof remote_key);
}

void
ncu_liveness_stop (NcuLiveness *lv)
{
	ncu_source_clear (&lv->probe_source);
	if (lv->watching) {
		g_hash_table_remove (lv->monitor->watched, lv->peer_key);
		monitor_update_ticking (lv->monitor);
	}
	lv->watching = FALSE;
	lv->have_counters = FALSE;
	lv->unanswered_since_us = 0;
	lv->last_rx_us = 0;
	lv->rx_streak = 0;
	lv->flow_answered_us = 0;
	forget_keys (lv);
}

/* At most ECHO_MAX_PER_S echoes in any one-second window. */
static gboolean
echo_allowed (NcuLiveness *lv, gint64 now)
{
	if (now - lv->echo_window_us >= G_USEC_PER_SEC) {
		lv->echo_window_us = now;
		lv->echo_count = 0;
	}
	return lv->echo_count++ < ECHO_MAX_PER_S;
}

void
ncu_liveness_receive (NcuLiveness *lv, const guint8 *buf, gsize len)
{
	guint8 nonce[NCU_LIVENESS_NONCE_LEN];
	NcuLivenessProbeType type;

	if (!lv->watching || !ncu_liveness_probe_parse (buf, len, lv->local_key, &type, nonce)) {
		lv->stats.dropped++;
		return;
	}
	if (type == NCU_LIVENESS_PROBE_KEEPALIVE) {
		lv->stats.keepalives_heard++;
		return;
	}
	if (type == NCU_LIVENESS_PROBE_REQUEST) {
		if (!echo_allowed (lv, g_get_monotonic_time ())) {
			lv->stats.dropped++;
			return;
		}
		lv->stats.echoes++;
		send_probe (lv, NCU_LIVENESS_PROBE_REPLY, nonce);
		return;
	}
	/* A reply counts only for the probe in flight: an old one replayed
	 * must not make a dead path look alive. */
	if (!lv->probe_source || memcmp (nonce, lv->nonce, sizeof nonce) != 0) {
		lv->stats.dropped++;
		return;
	}
	lv->stats.answered++;
	if (lv->probe_why == FLOW_STOPPED)
		lv->flow_answered_us = g_get_monotonic_time ();
	/* The remote echoes: a restart for silence is not churn. */
	lv->holdoff_ms = timing_of (lv)->holdoff_min_ms;
	g_debug ("peer %s: probe answered: the path works", lv->env.name);
	path_alive (lv);
}

void
ncu_liveness_get_stats (NcuLiveness *lv, NcuLivenessStats *stats)
{
	*stats = lv->stats;
}

void
ncu_liveness_add_status (NcuLiveness *lv, GVariantBuilder *b)
{
	const NcuLivenessStats *s = &lv->stats;

	g_variant_builder_add (b, "{sv}", "liveness-probes", g_variant_new_uint64 (s->probes));
	g_variant_builder_add (b, "{sv}", "liveness-answered", g_variant_new_uint64 (s->answered));
	g_variant_builder_add (b, "{sv}", "liveness-timeouts", g_variant_new_uint64 (s->timeouts));
	g_variant_builder_add (b, "{sv}", "liveness-echoes", g_variant_new_uint64 (s->echoes));
	g_variant_builder_add (b, "{sv}", "liveness-dropped", g_variant_new_uint64 (s->dropped));
	g_variant_builder_add (b, "{sv}", "liveness-keepalives", g_variant_new_uint64 (s->keepalives));
	g_variant_builder_add (b, "{sv}", "liveness-keepalives-heard",
	                       g_variant_new_uint64 (s->keepalives_heard));
	g_variant_builder_add (b, "{sv}", "watchdog-restarts", g_variant_new_uint32 (s->restarts));
}
