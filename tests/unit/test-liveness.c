/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The liveness watchdog (src/ncu-liveness.c) and its probe
 * (src/ncu-liveness-probe.c), with two simulated peers: fake WireGuard
 * counters, a fake path between them (delivered from the main loop, so it
 * can be cut), and short timings.
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-liveness.h"
#include "ncu-liveness-probe.h"

#define PWD_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PWD_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

typedef struct _Side Side;

struct _Side {
	const char *name;
	guint8 key[NCU_KEY_LEN];         /* the remote's public key, as WireGuard lists it */
	guint64 tx, rx;                  /* WireGuard's counters for the remote */
	NcuLivenessMonitor *monitor;
	NcuLiveness *lv;
	Side *remote;
	gboolean link_up;                /* datagrams from this side arrive */
	gboolean reopens;                /* link down until the remote sends (a NAT before it) */
	gboolean echoes;                 /* this side's service answers probes */
	guint restarts;
	guint suspects;                  /* times the watchdog suspected our NAT */
	guint reads;
	GPtrArray *sent;                 /* of GBytes: everything this side sent */
};

static gboolean
fake_read (gpointer user_data, NcuWgDeviceInfo **info, GError **error)
{
	Side *side = user_data;
	NcuWgPeerInfo *peer;

	side->reads++;
	*info = ncu_wg_device_info_new ();
	peer = ncu_wg_device_info_add_peer (*info);
	memcpy (peer->public_key, side->key, NCU_KEY_LEN);
	peer->tx_bytes = side->tx;
	peer->rx_bytes = side->rx;
	return TRUE;
}

typedef struct {
	Side *to;
	GBytes *datagram;
} Delivery;

static gboolean
deliver (gpointer data)
{
	Delivery *d = data;
	gsize len;
	const guint8 *buf = g_bytes_get_data (d->datagram, &len);

	if (d->to->echoes)
		ncu_liveness_receive (d->to->lv, buf, len);
	g_bytes_unref (d->datagram);
	g_free (d);
	return G_SOURCE_REMOVE;
}

static gboolean
fake_send (const guint8 *buf, gsize len, gpointer user_data)
{
	Side *side = user_data;
	Delivery *d;

	g_ptr_array_add (side->sent, g_bytes_new (buf, len));
	/* The remote's packets die at our router until we send. */
	if (side->remote->reopens)
		side->remote->link_up = TRUE;
	if (!side->link_up)
		return TRUE;  /* sent, lost on the way */
	d = g_new0 (Delivery, 1);
	d->to = side->remote;
	d->datagram = g_bytes_new (buf, len);
	/* Before any timer: a loaded machine must not turn a delivered
	 * datagram into a lost one. */
	g_idle_add_full (G_PRIORITY_HIGH, deliver, d, NULL);
	return TRUE;
}

static void
fake_restart (gpointer user_data)
{
	Side *side = user_data;

	/* The peer keeps the old pair, and the watchdog on it, until the new
	 * session connects (never here). */
	side->restarts++;
}

static void
fake_suspect_nat (gpointer user_data)
{
	Side *side = user_data;

	side->suspects++;
}

typedef struct {
	Side a, b;
	NcuLivenessTiming timing;
} Fixture;

static void
side_init (Side *side, const char *name, Side *remote, const NcuLivenessTiming *timing)
{
	NcuLivenessEnv env = { 0 };

	side->name = name;
	randombytes_buf (side->key, sizeof side->key);
	side->remote = remote;
	side->link_up = TRUE;
	side->echoes = TRUE;
	side->sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	side->monitor = ncu_liveness_monitor_new (timing, fake_read, side);
	env.peer_key = side->key;
	env.name = name;
	env.send = fake_send;
	env.restart = fake_restart;
	env.suspect_nat = fake_suspect_nat;
	env.user_data = side;
	side->lv = ncu_liveness_new (side->monitor, &env);
}

static void
side_clear (Side *side)
{
	g_clear_pointer (&side->lv, ncu_liveness_free);
	g_clear_pointer (&side->monitor, ncu_liveness_monitor_free);
	g_clear_pointer (&side->sent, g_ptr_array_unref);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	f->timing.tick_ms = 10;
	f->timing.idle_tick_ms = 40;
	f->timing.idle_after_ms = 100;
	f->timing.silence_ms = 60;
	f->timing.probe_timeout_ms = 150;
	f->timing.keepalive_ms = 0;      /* on only where a test looks at them */
	f->timing.holdoff_min_ms = 1500;
	f->timing.holdoff_max_ms = 6000;
	side_init (&f->a, "A", &f->b, &f->timing);
	side_init (&f->b, "B", &f->a, &f->timing);
	ncu_liveness_start (f->a.lv, PWD_A, PWD_B);
	ncu_liveness_start (f->b.lv, PWD_B, PWD_A);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	/* Deliveries still queued go nowhere. */
	f->a.echoes = f->b.echoes = FALSE;
	while (g_main_context_iteration (NULL, FALSE))
		;
	side_clear (&f->a);
	side_clear (&f->b);
}

typedef gboolean (*Condition) (Fixture *f);

/* Runs the loop for @ms, or until @until holds (then TRUE); every 5 ms A's
 * WireGuard sends (when @a_sends) and B's answers (when @b_answers and
 * the path works). */
static gboolean
run (Fixture *f, guint ms, gboolean a_sends, gboolean b_answers, Condition until)
{
	gint64 end = g_get_monotonic_time () + ms * 1000;
	gint64 next = 0;

	while (g_get_monotonic_time () < end) {
		gint64 now = g_get_monotonic_time ();

		if (until && until (f))
			return TRUE;
		if (now >= next) {
			next = now + 5000;
			if (a_sends) {
				f->a.tx += 100;
				if (f->a.link_up)
					f->b.rx += 100;
			}
			if (b_answers && f->a.link_up && f->b.link_up) {
				f->b.tx += 100;
				f->a.rx += 100;
			}
		}
		g_main_context_iteration (NULL, FALSE);
		g_usleep (1000);
	}
	return until ? until (f) : TRUE;
}

/* Generous: the machine may be loaded. */
#define WAIT_MS 10000

static gboolean
a_restarted (Fixture *f)
{
	return f->a.restarts > 0;
}

static gboolean
a_restarted_twice (Fixture *f)
{
	return f->a.restarts > 1;
}

static gboolean
a_probed_thrice (Fixture *f)
{
	NcuLivenessStats s;

	ncu_liveness_get_stats (f->a.lv, &s);
	return s.answered >= 3;
}

static void
get_stats (Side *side, NcuLivenessStats *stats)
{
	ncu_liveness_get_stats (side->lv, stats);
}

static gboolean
both_answered (Fixture *f)
{
	NcuLivenessStats sa, sb;

	get_stats (&f->a, &sa);
	get_stats (&f->b, &sb);
	return sa.answered > 0 && sb.answered > 0;
}

static gboolean
b_suspected (Fixture *f)
{
	return f->b.suspects > 0;
}

static gboolean
a_link_up (Fixture *f)
{
	return f->a.link_up;
}

static void
test_two_way (Fixture *f, gconstpointer data)
{
	NcuLivenessStats s;

	run (f, 400, TRUE, TRUE, NULL);
	get_stats (&f->a, &s);
	g_assert_cmpuint (s.probes, ==, 0);
	g_assert_cmpuint (f->a.restarts, ==, 0);
	g_assert_cmpuint (f->a.sent->len, ==, 0);
}

static void
test_one_way (Fixture *f, gconstpointer data)
{
	NcuLivenessStats sa, sb;

	/* B's WireGuard never answers (a receiver keeps quiet for 10 s), but
	 * B's service echoes: probes, no restart. */
	g_assert_true (run (f, WAIT_MS, TRUE, FALSE, a_probed_thrice));
	get_stats (&f->a, &sa);
	get_stats (&f->b, &sb);
	g_assert_cmpuint (sa.timeouts, ==, 0);
	g_assert_cmpuint (sa.dropped, ==, 0);
	g_assert_cmpuint (sb.echoes, >=, sa.answered);
	g_assert_cmpuint (f->a.restarts, ==, 0);
	g_assert_cmpuint (f->b.restarts, ==, 0);
}

static void
test_dead_path (Fixture *f, gconstpointer data)
{
	NcuLivenessStats s;
	guint64 probes;

	run (f, 100, TRUE, TRUE, NULL);
	f->a.link_up = FALSE;
	g_assert_true (run (f, WAIT_MS, TRUE, TRUE, a_restarted));
	get_stats (&f->a, &s);
	g_assert_cmpuint (f->a.restarts, ==, 1);
	g_assert_cmpuint (s.restarts, ==, 1);
	g_assert_cmpuint (s.timeouts, ==, 1);
	g_assert_cmpuint (s.probes, ==, 1);
	g_assert_cmpuint (f->a.suspects, ==, 1);
	/* Still silent: probes go on, the next restart waits for the hold-off. */
	run (f, 300, TRUE, TRUE, NULL);
	get_stats (&f->a, &s);
	g_assert_cmpuint (f->a.restarts, ==, 1);
	g_assert_cmpuint (s.probes, >, 1);
	/* The kept pair comes back: probes end, no second restart after the
	 * hold-off. */
	f->a.link_up = TRUE;
	run (f, 300, TRUE, TRUE, NULL);
	get_stats (&f->a, &s);
	probes = s.probes;
	run (f, 1700, TRUE, TRUE, NULL);
	get_stats (&f->a, &s);
	g_assert_cmpuint (s.probes, ==, probes);
	g_assert_cmpuint (f->a.restarts, ==, 1);
}

static void
test_flow_ends (Fixture *f, gconstpointer data)
{
	NcuLivenessStats sa, sb;

	/* A two-way flow that simply ends: each side probes once, each is
	 * answered, nobody restarts. */
	run (f, 200, TRUE, TRUE, NULL);
	g_assert_true (run (f, WAIT_MS, FALSE, FALSE, both_answered));
	run (f, 500, FALSE, FALSE, NULL);
	get_stats (&f->a, &sa);
	get_stats (&f->b, &sb);
	g_assert_cmpuint (sa.probes, ==, 1);
	g_assert_cmpuint (sb.probes, ==, 1);
	g_assert_cmpuint (sa.timeouts + sb.timeouts, ==, 0);
	g_assert_cmpuint (f->a.restarts + f->b.restarts, ==, 0);
	/* Nothing says a NAT forgot: no check of the other connections. */
	g_assert_cmpuint (f->a.suspects + f->b.suspects, ==, 0);
}

static void
test_receiver_reopens (Fixture *f, gconstpointer data)
{
	NcuLivenessStats sb;

	/* B's NAT forgets its mapping: A's packets die there until B sends.
	 * B's WireGuard has nothing to send (it only answers), so it is B's
	 * watchdog, seeing A's flow stop, that must send. */
	run (f, 200, TRUE, TRUE, NULL);
	f->a.link_up = FALSE;
	f->a.reopens = TRUE;
	g_assert_true (run (f, WAIT_MS, TRUE, TRUE, a_link_up));
	/* A's flow comes back right after B's probe: B suspects its NAT. */
	g_assert_true (run (f, WAIT_MS, TRUE, TRUE, b_suspected));
	get_stats (&f->b, &sb);
	g_assert_cmpuint (sb.probes, ==, 1);
	g_assert_cmpuint (f->b.restarts, ==, 0);
}

static void
test_idle (Fixture *f, gconstpointer data)
{
	guint reads;

	/* Nothing sent: nothing on the wire, and the monitor slows down. */
	run (f, 300, FALSE, FALSE, NULL);
	g_assert_cmpuint (f->a.sent->len, ==, 0);
	g_assert_cmpuint (f->b.sent->len, ==, 0);
	reads = f->a.reads;
	run (f, 400, FALSE, FALSE, NULL);
	/* 40 ms ticks: about 10 reads, far from the 40 of 10 ms ticks. */
	g_assert_cmpuint (f->a.reads - reads, <=, 15);
	/* Not connected: no ticks at all. */
	ncu_liveness_stop (f->a.lv);
	reads = f->a.reads;
	run (f, 200, FALSE, FALSE, NULL);
	g_assert_cmpuint (f->a.reads, ==, reads);
}

/* Datagrams of @type among what @side sent. */
static guint
count_sent (Side *side, NcuLivenessProbeType type)
{
	guint n = 0;

	for (guint i = 0; i < side->sent->len; i++) {
		gsize len;
		const guint8 *buf = g_bytes_get_data (g_ptr_array_index (side->sent, i), &len);

		if (len == NCU_LIVENESS_PROBE_LEN && buf[4] == type)
			n++;
	}
	return n;
}

static void
test_keepalive (Fixture *f, gconstpointer data)
{
	NcuLivenessStats sa, sb;
	guint before;

	/* A's own monitor with keepalives every 100 ms (40 ms idle ticks). */
	side_clear (&f->a);
	f->timing.keepalive_ms = 100;
	side_init (&f->a, "A", &f->b, &f->timing);
	ncu_liveness_start (f->a.lv, PWD_A, PWD_B);

	/* While A's WireGuard sends (answered or not), no keepalive. */
	run (f, 300, TRUE, TRUE, NULL);
	g_assert_cmpuint (count_sent (&f->a, NCU_LIVENESS_PROBE_KEEPALIVE), ==, 0);

	/* Idle: one every 100 ms (each third 40 ms tick), about 6 in 800 ms,
	 * fewer on a loaded machine; B counts them and sends nothing back (B's
	 * own keepalives are off). */
	run (f, 200, FALSE, FALSE, NULL);
	before = count_sent (&f->a, NCU_LIVENESS_PROBE_KEEPALIVE);
	run (f, 800, FALSE, FALSE, NULL);
	get_stats (&f->a, &sa);
	get_stats (&f->b, &sb);
	g_assert_cmpuint (sa.keepalives, ==, count_sent (&f->a, NCU_LIVENESS_PROBE_KEEPALIVE));
	g_assert_cmpuint (sa.keepalives - before, >=, 3);
	g_assert_cmpuint (sa.keepalives - before, <=, 9);
	g_assert_cmpuint (sb.keepalives_heard, ==, sa.keepalives);
	/* B answers A's probe of the flow's stop, never a keepalive. */
	g_assert_cmpuint (sb.dropped, ==, 0);
	g_assert_cmpuint (sb.echoes, ==, count_sent (&f->a, NCU_LIVENESS_PROBE_REQUEST));
	g_assert_cmpuint (count_sent (&f->b, NCU_LIVENESS_PROBE_REPLY), ==, sb.echoes);

	/* A one-way flow towards A: A's WireGuard sends nothing (a receiver
	 * keeps quiet), yet A keeps its mapping all along: with echoes of B's
	 * probes, else keepalives. */
	before = f->a.sent->len;
	for (gint64 end = g_get_monotonic_time () + 400 * 1000; g_get_monotonic_time () < end;) {
		f->b.tx += 100;
		f->a.rx += 100;
		g_main_context_iteration (NULL, FALSE);
		g_usleep (5000);
	}
	g_assert_cmpuint (f->a.sent->len - before, >=, 3);
	g_assert_cmpuint (f->a.restarts + f->b.restarts, ==, 0);
}

/* The receiver's NAT forgot its mapping while the tunnel was idle: its
 * keepalive, not a flow's stop (there was none), reopens it. */
static void
test_idle_receiver_reopens (Fixture *f, gconstpointer data)
{
	side_clear (&f->b);
	f->timing.keepalive_ms = 100;
	side_init (&f->b, "B", &f->a, &f->timing);
	ncu_liveness_start (f->b.lv, PWD_B, PWD_A);
	run (f, 300, FALSE, FALSE, NULL);
	f->a.link_up = FALSE;
	f->a.reopens = TRUE;
	g_assert_true (run (f, WAIT_MS, TRUE, TRUE, a_link_up));
	run (f, 300, TRUE, TRUE, NULL);
	g_assert_cmpuint (f->a.restarts + f->b.restarts, ==, 0);
}

static void
test_holdoff (Fixture *f, gconstpointer data)
{
	gint64 first;

	f->b.echoes = FALSE;  /* an old peer, or a path that dies at once */
	g_assert_true (run (f, WAIT_MS, TRUE, FALSE, a_restarted));
	first = g_get_monotonic_time ();
	/* The new session connects and is silent again: the next restart
	 * waits for the hold-off (1.5 s from the first). */
	ncu_liveness_start (f->a.lv, PWD_A, PWD_B);
	g_assert_true (run (f, WAIT_MS, TRUE, FALSE, a_restarted_twice));
	g_assert_cmpint (g_get_monotonic_time () - first, >=, 1500 * 1000);
}

static gboolean
a_restarted_thrice (Fixture *f)
{
	return f->a.restarts > 2;
}

static void
test_holdoff_ends (Fixture *f, gconstpointer data)
{
	NcuLivenessStats s;
	guint64 timeouts;

	/* Two restarts: the hold-off is 3 s now. */
	run (f, 100, TRUE, TRUE, NULL);
	f->a.link_up = FALSE;
	g_assert_true (run (f, WAIT_MS, TRUE, TRUE, a_restarted_twice));
	/* The new session carries a steady flow for longer than the shortest
	 * hold-off (1.5 s): that restart worked. */
	f->a.link_up = TRUE;
	run (f, 1800, TRUE, TRUE, NULL);
	get_stats (&f->a, &s);
	timeouts = s.timeouts;
	/* The path dies again: the first unanswered probe restarts at once. */
	f->a.link_up = FALSE;
	g_assert_true (run (f, WAIT_MS, TRUE, TRUE, a_restarted_thrice));
	get_stats (&f->a, &s);
	g_assert_cmpuint (s.timeouts - timeouts, ==, 1);
}

static void
test_forged (Fixture *f, gconstpointer data)
{
	guint8 nonce[NCU_LIVENESS_NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	guint8 key[NCU_LIVENESS_KEY_LEN], wrong[NCU_LIVENESS_KEY_LEN];
	guint8 buf[NCU_LIVENESS_PROBE_LEN];
	NcuLivenessStats s;

	ncu_liveness_key_derive (PWD_B, key);
	ncu_liveness_key_derive ("not the password of anyone", wrong);

	/* Under a key B does not have. */
	ncu_liveness_probe_build (buf, NCU_LIVENESS_PROBE_REQUEST, nonce, wrong);
	ncu_liveness_receive (f->b.lv, buf, sizeof buf);
	/* A's own request reflected back to A (tagged for B). */
	ncu_liveness_receive (f->a.lv, buf, sizeof buf);
	/* Truncated, and one bit flipped. */
	ncu_liveness_probe_build (buf, NCU_LIVENESS_PROBE_REQUEST, nonce, key);
	ncu_liveness_receive (f->b.lv, buf, sizeof buf - 1);
	buf[9] ^= 1;
	ncu_liveness_receive (f->b.lv, buf, sizeof buf);
	get_stats (&f->b, &s);
	g_assert_cmpuint (s.dropped, ==, 3);
	g_assert_cmpuint (s.echoes, ==, 0);
	g_assert_cmpuint (f->b.sent->len, ==, 0);

	/* A reply that answers no probe of A's (a replay): dropped. */
	ncu_liveness_key_derive (PWD_A, key);
	ncu_liveness_probe_build (buf, NCU_LIVENESS_PROBE_REPLY, nonce, key);
	ncu_liveness_receive (f->a.lv, buf, sizeof buf);
	get_stats (&f->a, &s);
	g_assert_cmpuint (s.dropped, ==, 2);
	g_assert_cmpuint (s.answered, ==, 0);

	/* Genuine requests, replayed fast: at most 5 echoes a second. */
	ncu_liveness_key_derive (PWD_B, key);
	ncu_liveness_probe_build (buf, NCU_LIVENESS_PROBE_REQUEST, nonce, key);
	for (guint i = 0; i < 50; i++)
		ncu_liveness_receive (f->b.lv, buf, sizeof buf);
	get_stats (&f->b, &s);
	g_assert_cmpuint (s.echoes, ==, 5);
	g_assert_cmpuint (f->b.sent->len, ==, 5);

	/* After stop, B knows no key: everything is dropped. */
	ncu_liveness_stop (f->b.lv);
	ncu_liveness_receive (f->b.lv, buf, sizeof buf);
	get_stats (&f->b, &s);
	g_assert_cmpuint (s.echoes, ==, 5);
}

/* The key as docs/signaling.md (section 9) defines it: BLAKE2b-256 of the
 * context string with its zero byte, then the ICE password. */
static void
documented_key (const char *pwd, guint8 out[NCU_LIVENESS_KEY_LEN])
{
	static const char context[] = "cunicu liveness probe v1";
	g_autoptr (GByteArray) in = g_byte_array_new ();

	g_byte_array_append (in, (const guint8 *) context, sizeof context);
	g_byte_array_append (in, (const guint8 *) pwd, strlen (pwd));
	crypto_generichash (out, NCU_LIVENESS_KEY_LEN, in->data, in->len, NULL, 0);
}

static void
test_wire_format (void)
{
	guint8 expected[NCU_LIVENESS_KEY_LEN];
	guint8 nonce[NCU_LIVENESS_NONCE_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	guint8 got_nonce[NCU_LIVENESS_NONCE_LEN];
	guint8 key[NCU_LIVENESS_KEY_LEN];
	guint8 buf[NCU_LIVENESS_PROBE_LEN];
	NcuLivenessProbeType type;
	const guint8 *magic = ncu_liveness_probe_magic ();

	documented_key (PWD_A, expected);
	ncu_liveness_key_derive (PWD_A, key);
	g_assert_cmpmem (key, sizeof key, expected, sizeof expected);
	ncu_liveness_probe_build (buf, NCU_LIVENESS_PROBE_REPLY, nonce, key);
	/* Neither WireGuard (type 1-4, three zero bytes) nor STUN (first two
	 * bits zero, cookie at bytes 4-7). */
	g_assert_cmpmem (buf, 4, magic, 4);
	g_assert_cmpuint (buf[0] & 0xc0, !=, 0);
	g_assert_false (buf[0] >= 1 && buf[0] <= 4 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0);
	g_assert_cmpuint (((guint32) magic[0] << 24 | magic[1] << 16 | magic[2] << 8 | magic[3]), ==,
	                  NCU_LIVENESS_MAGIC_U32);
	g_assert_cmpuint (buf[4], ==, 2);
	g_assert_cmpmem (buf + 8, 8, nonce, 8);
	g_assert_true (ncu_liveness_probe_parse (buf, sizeof buf, key, &type, got_nonce));
	g_assert_cmpint (type, ==, NCU_LIVENESS_PROBE_REPLY);
	g_assert_cmpmem (got_nonce, 8, nonce, 8);
	/* A keepalive is the same datagram with type 3. */
	ncu_liveness_probe_build (buf, NCU_LIVENESS_PROBE_KEEPALIVE, nonce, key);
	g_assert_cmpuint (buf[4], ==, 3);
	g_assert_true (ncu_liveness_probe_parse (buf, sizeof buf, key, &type, got_nonce));
	g_assert_cmpint (type, ==, NCU_LIVENESS_PROBE_KEEPALIVE);
	/* Types 0 and 4, or reserved bytes set, even with a valid tag: refused
	 * before the hash. */
	buf[4] = 0;
	g_assert_false (ncu_liveness_probe_parse (buf, sizeof buf, key, &type, got_nonce));
	buf[4] = 4;
	g_assert_false (ncu_liveness_probe_parse (buf, sizeof buf, key, &type, got_nonce));
	buf[4] = 2;
	buf[6] = 1;
	g_assert_false (ncu_liveness_probe_parse (buf, sizeof buf, key, &type, got_nonce));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	if (sodium_init () < 0)
		return 1;
	g_test_add_func ("/liveness/wire-format", test_wire_format);
	g_test_add ("/liveness/two-way", Fixture, NULL, fixture_setup, test_two_way, fixture_teardown);
	g_test_add ("/liveness/one-way", Fixture, NULL, fixture_setup, test_one_way, fixture_teardown);
	g_test_add ("/liveness/dead-path", Fixture, NULL, fixture_setup, test_dead_path, fixture_teardown);
	g_test_add ("/liveness/flow-ends", Fixture, NULL, fixture_setup, test_flow_ends, fixture_teardown);
	g_test_add ("/liveness/receiver-reopens", Fixture, NULL, fixture_setup, test_receiver_reopens,
	            fixture_teardown);
	g_test_add ("/liveness/idle", Fixture, NULL, fixture_setup, test_idle, fixture_teardown);
	g_test_add ("/liveness/keepalive", Fixture, NULL, fixture_setup, test_keepalive, fixture_teardown);
	g_test_add ("/liveness/idle-receiver-reopens", Fixture, NULL, fixture_setup,
	            test_idle_receiver_reopens, fixture_teardown);
	g_test_add ("/liveness/holdoff", Fixture, NULL, fixture_setup, test_holdoff, fixture_teardown);
	g_test_add ("/liveness/holdoff-ends", Fixture, NULL, fixture_setup, test_holdoff_ends,
	            fixture_teardown);
	g_test_add ("/liveness/forged", Fixture, NULL, fixture_setup, test_forged, fixture_teardown);
	return g_test_run ();
}
