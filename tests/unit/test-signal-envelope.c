/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sealed envelopes and the receive pipeline of a signaling session (no
 * broker: messages are fed to ncu_signal_receive directly). Every class of
 * hostile input gets its exact verdict and counter.
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-signal.h"
#include "ncu-signal-envelope.h"

#define PREFIX "test"
#define T0 1700000000

typedef struct {
	guint8 sk[32], pk[32];
} KeyPair;

typedef struct {
	KeyPair a, b, c;                 /* a and b are peers; c is a stranger */
	NcuSignal *sa, *sb;
	gint64 now;
	GPtrArray *got_b;                /* payload copies delivered to b */
} Fixture;

static void
keypair (KeyPair *k)
{
	crypto_box_keypair (k->pk, k->sk);
}

static gint64
fixture_clock (gpointer data)
{
	return ((Fixture *) data)->now;
}

static void
on_message_b (const guint8 peer_key[32], const NcuSignalPayload *payload, gpointer data)
{
	Fixture *f = data;

	g_assert_cmpmem (peer_key, 32, f->a.pk, 32);
	g_ptr_array_add (f->got_b, ncu_signal_payload_copy (payload));
}

static NcuSignal *
make_signal (Fixture *f, const KeyPair *self, const KeyPair *peer,
             const NcuSignalCallbacks *cb)
{
	g_autoptr (GError) error = NULL;
	NcuSignalConfig cfg = {
		.host = "127.0.0.1",
		.port = 1,
		.topic_prefix = PREFIX,
		.private_key = self->sk,
		.expiry_s = 300,
		.skew_s = 60,
	};
	NcuSignal *s = ncu_signal_new (&cfg, cb, f, &error);

	g_assert_no_error (error);
	g_assert_cmpmem (ncu_signal_get_public_key (s), 32, self->pk, 32);
	g_assert_true (ncu_signal_add_peer (s, peer->pk, &error));
	g_assert_no_error (error);
	ncu_signal_set_clock (s, fixture_clock, f);
	return s;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	static const NcuSignalCallbacks cb_b = { .message = on_message_b };

	keypair (&f->a);
	keypair (&f->b);
	keypair (&f->c);
	f->now = T0;
	f->got_b = g_ptr_array_new_with_free_func ((GDestroyNotify) ncu_signal_payload_free);
	f->sa = make_signal (f, &f->a, &f->b, NULL);
	f->sb = make_signal (f, &f->b, &f->a, &cb_b);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	ncu_signal_free (f->sa);
	ncu_signal_free (f->sb);
	g_ptr_array_unref (f->got_b);
}

static NcuSignalPayload *
offer (guint64 session)
{
	NcuSignalPayload *p = ncu_signal_payload_new (NCU_SIGNAL_TYPE_OFFER);

	p->session_id = session;
	p->ufrag = g_strdup ("hjZm");
	p->pwd = g_strdup ("Gj1psicWpCY5PlGc2azBA/");
	ncu_signal_payload_add_candidate (p, "a=candidate:1 1 UDP 2015363327 192.0.2.2 46929 typ host");
	p->end_of_candidates = TRUE;
	return p;
}

/* a seals @p for b (as publish would); returns the envelope and topic. */
static GBytes *
seal_a_to_b (Fixture *f, const NcuSignalPayload *p, char **topic)
{
	g_autoptr (GError) error = NULL;
	GBytes *sealed = ncu_signal_seal (f->sa, f->b.pk, p, topic, &error);

	g_assert_no_error (error);
	return sealed;
}

static NcuSignalVerdict
receive_b (Fixture *f, const char *topic, GBytes *bytes)
{
	return ncu_signal_receive (f->sb, topic, g_bytes_get_data (bytes, NULL),
	                           g_bytes_get_size (bytes));
}

static char *
topic_for (const guint8 recipient[32], const guint8 sender[32])
{
	g_autofree char *r = ncu_key_to_base64url (recipient);
	g_autofree char *s = ncu_key_to_base64url (sender);

	return g_strdup_printf (PREFIX "/v1/%s/%s", r, s);
}

/* Seals an arbitrary plaintext with the low-level API. */
static GBytes *
seal_raw (const guint8 sender_sk[32], const guint8 recipient_pk[32], const void *plain, gsize len)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalBox) box = ncu_signal_box_new (sender_sk, recipient_pk, &error);
	GBytes *sealed;

	g_assert_no_error (error);
	sealed = ncu_signal_envelope_seal (box, plain, len, &error);
	g_assert_no_error (error);
	return sealed;
}

static GBytes *
seal_payload_raw (const guint8 sender_sk[32], const guint8 recipient_pk[32],
                  const NcuSignalPayload *p)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) plain = ncu_signal_payload_encode (p, &error);

	g_assert_no_error (error);
	return seal_raw (sender_sk, recipient_pk, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain));
}

/* ---- envelopes alone ---- */

static void
test_envelope_round_trip (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalBox) ab = ncu_signal_box_new (f->a.sk, f->b.pk, &error);
	g_autoptr (NcuSignalBox) ba = ncu_signal_box_new (f->b.sk, f->a.pk, &error);
	g_autoptr (GBytes) sealed = ncu_signal_envelope_seal (ab, (const guint8 *) "hello", 5, &error);
	g_autoptr (GBytes) again = ncu_signal_envelope_seal (ab, (const guint8 *) "hello", 5, &error);
	const guint8 *d = g_bytes_get_data (sealed, NULL);
	gsize len = g_bytes_get_size (sealed), plen = 0;
	g_autofree guint8 *plain = NULL;
	guint8 sender[32];

	g_assert_no_error (error);
	g_assert_cmpuint (len, ==, NCU_SIGNAL_ENVELOPE_HEADER + crypto_box_MACBYTES + 5);
	g_assert_cmpuint (d[0], ==, NCU_SIGNAL_ENVELOPE_VERSION);
	g_assert_cmpmem (d + 1, 32, f->a.pk, 32);
	/* fresh random nonce each time */
	g_assert_false (g_bytes_equal (sealed, again));
	g_assert_true (ncu_signal_envelope_peek (d, len, sender, &error));
	g_assert_cmpmem (sender, 32, f->a.pk, 32);
	plain = ncu_signal_envelope_open (ba, d, len, &plen, &error);
	g_assert_no_error (error);
	g_assert_cmpmem (plain, plen, "hello", 5);
}

static void
expect_open_error (NcuSignalBox *box, const guint8 *d, gsize len, int code)
{
	g_autoptr (GError) error = NULL;
	gsize plen = 0;
	guint8 *plain = ncu_signal_envelope_open (box, d, len, &plen, &error);

	g_assert_null (plain);
	g_assert_error (error, NCU_SIGNAL_ENVELOPE_ERROR, code);
}

static void
test_envelope_malformed (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalBox) ab = ncu_signal_box_new (f->a.sk, f->b.pk, &error);
	g_autoptr (NcuSignalBox) ba = ncu_signal_box_new (f->b.sk, f->a.pk, &error);
	g_autoptr (NcuSignalBox) bc = ncu_signal_box_new (f->b.sk, f->c.pk, &error);
	g_autoptr (NcuSignalBox) cb = ncu_signal_box_new (f->c.sk, f->b.pk, &error);
	g_autoptr (GBytes) sealed = ncu_signal_envelope_seal (ab, (const guint8 *) "payload!", 8, &error);
	g_autoptr (GBytes) from_c = ncu_signal_envelope_seal (cb, (const guint8 *) "payload!", 8, &error);
	gsize len = g_bytes_get_size (sealed);
	g_autofree guint8 *d = g_memdup2 (g_bytes_get_data (sealed, NULL), len);
	g_autofree guint8 *big = g_malloc0 (NCU_SIGNAL_ENVELOPE_MAX + 1);
	guint8 zero[32] = { 0 };

	g_assert_no_error (error);
	/* truncated, at every length */
	for (gsize l = 0; l < NCU_SIGNAL_ENVELOPE_MIN; l++)
		expect_open_error (ba, d, l, NCU_SIGNAL_ENVELOPE_ERROR_TOO_SHORT);
	for (gsize l = NCU_SIGNAL_ENVELOPE_MIN; l < len; l++)
		expect_open_error (ba, d, l, NCU_SIGNAL_ENVELOPE_ERROR_OPEN);
	/* oversize */
	big[0] = NCU_SIGNAL_ENVELOPE_VERSION;
	expect_open_error (ba, big, NCU_SIGNAL_ENVELOPE_MAX + 1, NCU_SIGNAL_ENVELOPE_ERROR_TOO_LONG);
	/* wrong version */
	d[0] = 2;
	expect_open_error (ba, d, len, NCU_SIGNAL_ENVELOPE_ERROR_VERSION);
	d[0] = NCU_SIGNAL_ENVELOPE_VERSION;
	/* every single flipped bit after the version byte is caught */
	for (gsize i = 1; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			d[i] ^= (guint8) (1 << bit);
			expect_open_error (ba, d, len, i <= 32 ? NCU_SIGNAL_ENVELOPE_ERROR_SENDER
			                                       : NCU_SIGNAL_ENVELOPE_ERROR_OPEN);
			d[i] ^= (guint8) (1 << bit);
		}
	}
	/* sealed by c, opened as if from c by the wrong box, or as if from a */
	expect_open_error (ba, g_bytes_get_data (from_c, NULL), g_bytes_get_size (from_c),
	                   NCU_SIGNAL_ENVELOPE_ERROR_SENDER);
	memcpy (d + 1, f->c.pk, 32);
	expect_open_error (bc, d, len, NCU_SIGNAL_ENVELOPE_ERROR_OPEN);
	/* a low-order public key is refused up front */
	g_assert_null (ncu_signal_box_new (f->a.sk, zero, &error));
	g_assert_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_BAD_KEY);
	g_clear_error (&error);
	/* sealing: empty and too large payloads */
	g_assert_null (ncu_signal_envelope_seal (ab, big, 0, &error));
	g_assert_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_TOO_SHORT);
	g_clear_error (&error);
	g_assert_null (ncu_signal_envelope_seal (ab, big, NCU_SIGNAL_ENVELOPE_MAX, &error));
	g_assert_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_TOO_LONG);
}

/* ---- the receive pipeline ---- */

static void
assert_dropped (Fixture *f, NcuSignalVerdict reason, guint64 n)
{
	NcuSignalStats s;

	ncu_signal_get_stats (f->sb, &s);
	g_assert_cmpuint (s.dropped[reason], ==, n);
}

static void
test_deliver_and_replay (Fixture *f, gconstpointer data)
{
	g_autoptr (NcuSignalPayload) p = offer (0x1111);
	g_autofree char *topic = NULL;
	g_autoptr (GBytes) m1 = seal_a_to_b (f, p, &topic);
	g_autoptr (GBytes) m2 = NULL, m3 = NULL;
	const NcuSignalPayload *got;
	NcuSignalStats s;
	NcuSignalPeerStats ps;

	g_assert_cmpint (receive_b (f, topic, m1), ==, NCU_SIGNAL_DELIVERED);
	g_assert_cmpuint (f->got_b->len, ==, 1);
	got = f->got_b->pdata[0];
	g_assert_true (ncu_signal_payload_same_content (got, got));
	g_assert_cmphex (got->session_id, ==, 0x1111);
	g_assert_cmpint (got->timestamp, ==, T0);
	g_assert_cmpmem (got->recipient, 32, f->b.pk, 32);
	g_assert_cmpstr (got->candidates->pdata[0], ==, p->candidates->pdata[0]);

	/* the very same message again: replay */
	g_assert_cmpint (receive_b (f, topic, m1), ==, NCU_SIGNAL_DROP_REPLAY);
	/* a refresh (new sequence, same content): counted, not delivered */
	m2 = seal_a_to_b (f, p, NULL);
	g_assert_cmpint (receive_b (f, topic, m2), ==, NCU_SIGNAL_UNCHANGED);
	g_assert_cmpuint (f->got_b->len, ==, 1);
	/* more candidates in the same session: delivered */
	ncu_signal_payload_add_candidate (p, "a=candidate:2 1 UDP 1 203.0.113.10 4000 typ srflx raddr 0.0.0.0 rport 0");
	m3 = seal_a_to_b (f, p, NULL);
	g_assert_cmpint (receive_b (f, topic, m3), ==, NCU_SIGNAL_DELIVERED);
	/* an older sequence of the same session after a newer one */
	g_assert_cmpint (receive_b (f, topic, m2), ==, NCU_SIGNAL_DROP_REPLAY);
	g_assert_cmpuint (f->got_b->len, ==, 2);

	ncu_signal_get_stats (f->sb, &s);
	g_assert_cmpuint (s.received, ==, 5);
	g_assert_cmpuint (s.delivered, ==, 2);
	g_assert_cmpuint (s.unchanged, ==, 1);
	g_assert_cmpuint (s.dropped[NCU_SIGNAL_DROP_REPLAY], ==, 2);
	g_assert_false (s.connected);
	g_assert_true (ncu_signal_get_peer_stats (f->sb, f->a.pk, &ps));
	g_assert_cmpuint (ps.received, ==, 5);
	g_assert_cmpuint (ps.delivered, ==, 2);
	g_assert_cmpuint (ps.dropped, ==, 2);
	g_assert_cmpint (ps.last_delivered, ==, T0);
	g_assert_false (ncu_signal_get_peer_stats (f->sb, f->c.pk, &ps));
}

static void
test_old_session (Fixture *f, gconstpointer data)
{
	g_autoptr (NcuSignalPayload) s1 = offer (0x1);
	g_autoptr (NcuSignalPayload) s2 = offer (0x2);
	g_autoptr (NcuSignalPayload) s0 = offer (0x3);
	g_autofree char *topic = NULL;
	g_autoptr (GBytes) early = NULL, m1 = NULL, m1b = NULL, m2 = NULL;

	/* sealed 100 s ago by the peer, in a session we never saw */
	f->now = T0 - 100;
	early = seal_a_to_b (f, s0, &topic);
	f->now = T0;
	m1 = seal_a_to_b (f, s1, NULL);
	m1b = seal_a_to_b (f, s1, NULL);
	f->now = T0 + 10;
	m2 = seal_a_to_b (f, s2, NULL);

	g_assert_cmpint (receive_b (f, topic, m1), ==, NCU_SIGNAL_DELIVERED);
	g_assert_cmpint (receive_b (f, topic, m2), ==, NCU_SIGNAL_DELIVERED);
	/* a newer message of session 1, after session 2 took over */
	g_assert_cmpint (receive_b (f, topic, m1b), ==, NCU_SIGNAL_DROP_REPLAY);
	/* an unseen session older than the current one (beyond the skew) */
	g_assert_cmpint (receive_b (f, topic, early), ==, NCU_SIGNAL_DROP_REPLAY);
	assert_dropped (f, NCU_SIGNAL_DROP_REPLAY, 2);
	g_assert_cmpuint (f->got_b->len, ==, 2);
}

static void
test_age (Fixture *f, gconstpointer data)
{
	g_autoptr (NcuSignalPayload) p = offer (0x1);
	g_autoptr (NcuSignalPayload) q = offer (0x2);
	g_autoptr (NcuSignalPayload) r = offer (0x3);
	g_autofree char *topic = NULL;
	g_autoptr (GBytes) old = NULL, edge = NULL, future = NULL, near = NULL;

	f->now = T0 - 300 - 60 - 1;
	old = seal_a_to_b (f, p, &topic);
	f->now = T0 - 300 - 60;
	edge = seal_a_to_b (f, q, NULL);
	f->now = T0 + 61;
	future = seal_a_to_b (f, p, NULL);
	f->now = T0 + 60;
	near = seal_a_to_b (f, r, NULL);
	f->now = T0;

	g_assert_cmpint (receive_b (f, topic, old), ==, NCU_SIGNAL_DROP_TOO_OLD);
	g_assert_cmpint (receive_b (f, topic, future), ==, NCU_SIGNAL_DROP_FUTURE);
	g_assert_cmpint (receive_b (f, topic, edge), ==, NCU_SIGNAL_DELIVERED);
	g_assert_cmpint (receive_b (f, topic, near), ==, NCU_SIGNAL_DELIVERED);
	assert_dropped (f, NCU_SIGNAL_DROP_TOO_OLD, 1);
	assert_dropped (f, NCU_SIGNAL_DROP_FUTURE, 1);
}

static void
test_hostile (Fixture *f, gconstpointer data)
{
	g_autoptr (NcuSignalPayload) p = offer (0x1);
	g_autofree char *topic = NULL;
	g_autofree char *topic_c = topic_for (f->b.pk, f->c.pk);
	g_autofree char *topic_other = topic_for (f->c.pk, f->a.pk);
	g_autoptr (GBytes) good = seal_a_to_b (f, p, &topic);
	g_autoptr (GBytes) from_c = NULL, for_c = NULL, garbage = NULL, wrong_rcpt = NULL;
	gsize len = g_bytes_get_size (good);
	g_autofree guint8 *d = g_memdup2 (g_bytes_get_data (good, NULL), len);
	g_autofree char *deep = g_strconcat (topic, "/x", NULL);
	g_autoptr (NcuSignalPayload) to_c = offer (0x1);
	NcuSignalStats s;

	p->sequence = 1;
	p->timestamp = T0;
	memcpy (p->recipient, f->b.pk, 32);
	/* not a peer: sealed by c on c's topic to b */
	from_c = seal_payload_raw (f->c.sk, f->b.pk, p);
	g_assert_cmpint (receive_b (f, topic_c, from_c), ==, NCU_SIGNAL_DROP_NOT_PEER);
	/* c's message put on a's topic: the sender field does not match */
	g_assert_cmpint (receive_b (f, topic, from_c), ==, NCU_SIGNAL_DROP_BAD_ENVELOPE);
	/* not for us: another recipient's topic, or a topic one level too deep */
	g_assert_cmpint (receive_b (f, topic_other, good), ==, NCU_SIGNAL_DROP_WRONG_RECIPIENT);
	g_assert_cmpint (receive_b (f, "x", good), ==, NCU_SIGNAL_DROP_WRONG_RECIPIENT);
	g_assert_cmpint (receive_b (f, deep, good), ==, NCU_SIGNAL_DROP_NOT_PEER);
	/* garbage, truncated, oversize, wrong version */
	garbage = g_bytes_new_static ("garbage", 7);
	g_assert_cmpint (receive_b (f, topic, garbage), ==, NCU_SIGNAL_DROP_BAD_ENVELOPE);
	g_assert_cmpint (ncu_signal_receive (f->sb, topic, d, len - 1), ==, NCU_SIGNAL_DROP_FAILED_OPEN);
	d[0] = 9;
	g_assert_cmpint (ncu_signal_receive (f->sb, topic, d, len), ==, NCU_SIGNAL_DROP_BAD_ENVELOPE);
	d[0] = NCU_SIGNAL_ENVELOPE_VERSION;
	{
		g_autofree guint8 *big = g_malloc0 (NCU_SIGNAL_ENVELOPE_MAX + 1);
		big[0] = NCU_SIGNAL_ENVELOPE_VERSION;
		memcpy (big + 1, f->a.pk, 32);
		g_assert_cmpint (ncu_signal_receive (f->sb, topic, big, NCU_SIGNAL_ENVELOPE_MAX + 1), ==,
		                 NCU_SIGNAL_DROP_BAD_ENVELOPE);
	}
	/* tampered ciphertext */
	d[len - 1] ^= 1;
	g_assert_cmpint (ncu_signal_receive (f->sb, topic, d, len), ==, NCU_SIGNAL_DROP_FAILED_OPEN);
	/* a's message to c (wrong recipient key): does not open for b */
	for_c = seal_payload_raw (f->a.sk, f->c.pk, p);
	g_assert_cmpint (receive_b (f, topic, for_c), ==, NCU_SIGNAL_DROP_FAILED_OPEN);
	/* opens, but is not a payload */
	{
		g_autoptr (GBytes) junk = seal_raw (f->a.sk, f->b.pk, "ncu-signal 1\nnonsense\n", 22);
		g_assert_cmpint (receive_b (f, topic, junk), ==, NCU_SIGNAL_DROP_BAD_PAYLOAD);
	}
	/* opens, but the payload names another recipient (a valid message to c,
	 * sealed for b by a) */
	to_c->sequence = 1;
	to_c->timestamp = T0;
	memcpy (to_c->recipient, f->c.pk, 32);
	wrong_rcpt = seal_payload_raw (f->a.sk, f->b.pk, to_c);
	g_assert_cmpint (receive_b (f, topic, wrong_rcpt), ==, NCU_SIGNAL_DROP_WRONG_RECIPIENT);
	/* reflection: b's own offer to a, sent back to b as if from a */
	{
		g_autoptr (GError) error = NULL;
		g_autoptr (GBytes) mine = ncu_signal_seal (f->sb, f->a.pk, p, NULL, &error);
		g_autofree guint8 *r = g_memdup2 (g_bytes_get_data (mine, NULL), g_bytes_get_size (mine));

		memcpy (r + 1, f->a.pk, 32);
		g_assert_cmpint (ncu_signal_receive (f->sb, topic, r, g_bytes_get_size (mine)), ==,
		                 NCU_SIGNAL_DROP_WRONG_RECIPIENT);
	}
	/* an empty message from a peer deletes a retained offer: not an attack */
	g_assert_cmpint (ncu_signal_receive (f->sb, topic, NULL, 0), ==, NCU_SIGNAL_CLEARED);

	/* nothing of that reached the callback, and the good message still does */
	g_assert_cmpuint (f->got_b->len, ==, 0);
	g_assert_cmpint (receive_b (f, topic, good), ==, NCU_SIGNAL_DELIVERED);
	g_assert_cmpuint (f->got_b->len, ==, 1);

	ncu_signal_get_stats (f->sb, &s);
	g_assert_cmpuint (s.dropped[NCU_SIGNAL_DROP_NOT_PEER], ==, 2);
	g_assert_cmpuint (s.dropped[NCU_SIGNAL_DROP_BAD_ENVELOPE], ==, 4);
	g_assert_cmpuint (s.dropped[NCU_SIGNAL_DROP_FAILED_OPEN], ==, 3);
	g_assert_cmpuint (s.dropped[NCU_SIGNAL_DROP_BAD_PAYLOAD], ==, 1);
	g_assert_cmpuint (s.dropped[NCU_SIGNAL_DROP_WRONG_RECIPIENT], ==, 4);
	g_assert_cmpuint (s.dropped[NCU_SIGNAL_DROP_REPLAY], ==, 0);
	g_assert_cmpuint (s.cleared, ==, 1);
	g_assert_cmpuint (s.delivered, ==, 1);
	g_assert_cmpuint (s.received, ==, 16);
}

/* Every byte sequence is either dropped or delivered: never a crash. */
static void
test_random_input (Fixture *f, gconstpointer data)
{
	g_autoptr (NcuSignalPayload) p = offer (0x1);
	g_autofree char *topic = NULL;
	g_autoptr (GBytes) good = seal_a_to_b (f, p, &topic);
	gsize len = g_bytes_get_size (good);
	g_autofree guint8 *d = g_malloc (len);

	for (int i = 0; i < 2000; i++) {
		memcpy (d, g_bytes_get_data (good, NULL), len);
		d[g_random_int_range (0, (gint32) len)] = (guint8) g_random_int ();
		(void) ncu_signal_receive (f->sb, topic, d, g_random_int_range (0, (gint32) len + 1));
	}
	for (int i = 0; i < 2000; i++) {
		randombytes_buf (d, len);
		g_assert_cmpint (ncu_signal_receive (f->sb, topic, d, len), <, NCU_SIGNAL_N_DROPS);
	}
}

static void
test_publish_checks (Fixture *f, gconstpointer data)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalPayload) p = offer (0x1);
	g_autoptr (NcuSignalPayload) bad = offer (0);
	g_autofree char *sk_text = ncu_key_to_base64 (f->a.sk);
	GVariant *status;
	guint64 dropped = 1;

	/* offline: an offer is kept for later, a bad one is refused */
	g_assert_true (ncu_signal_publish (f->sa, f->b.pk, p, &error));
	g_assert_no_error (error);
	g_assert_false (ncu_signal_publish (f->sa, f->b.pk, bad, &error));
	g_assert_error (error, NCU_SIGNAL_PAYLOAD_ERROR, NCU_SIGNAL_PAYLOAD_ERROR_INVALID);
	g_assert_null (strstr (error->message, sk_text));
	g_clear_error (&error);
	g_assert_false (ncu_signal_publish (f->sa, f->c.pk, p, &error));
	g_assert_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_UNKNOWN_PEER);
	g_clear_error (&error);
	/* peers: not twice, not ourselves, not a low-order point */
	g_assert_false (ncu_signal_add_peer (f->sa, f->b.pk, &error));
	g_assert_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_CONFIG);
	g_clear_error (&error);
	g_assert_false (ncu_signal_add_peer (f->sa, f->a.pk, &error));
	g_clear_error (&error);
	{
		guint8 zero[32] = { 0 };
		g_assert_false (ncu_signal_add_peer (f->sa, zero, &error));
		g_assert_nonnull (strstr (error->message, "public-key"));
		g_assert_null (strstr (error->message, sk_text));
		g_clear_error (&error);
	}
	status = ncu_signal_get_status (f->sa);
	g_variant_ref_sink (status);
	g_assert_true (g_variant_lookup (status, "dropped", "t", &dropped));
	g_assert_cmpuint (dropped, ==, 0);
	g_assert_true (g_variant_lookup (status, "dropped-not-a-peer", "t", &dropped));
	g_variant_unref (status);
}

static void
test_bad_config (void)
{
	guint8 sk[32] = { 1 };
	const char *prefixes[] = { "", "/a", "a/", "a/+", "a/#/b", "a\tb" };

	for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++) {
		g_autoptr (GError) error = NULL;
		NcuSignalConfig cfg = { .host = "h", .port = 1, .private_key = sk,
		                        .topic_prefix = prefixes[i] };

		g_assert_null (ncu_signal_new (&cfg, NULL, NULL, &error));
		g_assert_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_CONFIG);
		g_assert_nonnull (strstr (error->message, "signaling-topic-prefix"));
	}
	{
		g_autoptr (GError) error = NULL;
		NcuSignalConfig cfg = { .host = "h", .port = 1, .private_key = sk,
		                        .ca_file = "/nonexistent/ca.pem" };

		g_assert_null (ncu_signal_new (&cfg, NULL, NULL, &error));
		g_assert_nonnull (strstr (error->message, "signaling-ca-file"));
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_assert_cmpint (sodium_init (), >=, 0);
#define ADD(name, func) \
	g_test_add ("/signal/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD ("envelope/round-trip", test_envelope_round_trip);
	ADD ("envelope/malformed", test_envelope_malformed);
	ADD ("receive/deliver-and-replay", test_deliver_and_replay);
	ADD ("receive/old-session", test_old_session);
	ADD ("receive/age", test_age);
	ADD ("receive/hostile", test_hostile);
	ADD ("receive/random-input", test_random_input);
	ADD ("publish/checks", test_publish_checks);
#undef ADD
	g_test_add_func ("/signal/config/bad", test_bad_config);
	return g_test_run ();
}
