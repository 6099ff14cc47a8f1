/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the seeds that need our own code to make: real sealed envelopes
 * between the fixed keys of fuzz-signal-receive, encoded payloads, and the
 * candidates a real libnice agent gathers on loopback. Usage:
 *
 *   fuzz-make-seeds <corpus dir>     (make fuzz-seeds: the source tree's)
 *
 * Envelopes carry random nonces, so every run writes different bytes for
 * the same messages: regenerate only when a format changes, and commit.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <glib/gstdio.h>

#include "fuzz-util.h"
#include "ncu-ice.h"
#include "ncu-signal-envelope.h"
#include "ncu-signal-payload.h"

/* Candidate lines as libnice writes them, for paths loopback cannot show. */
static const char *const wan_candidates[] = {
	"a=candidate:11 1 UDP 2013266431 192.168.1.2 40000 typ host",
	"a=candidate:12 1 UDP 1677721855 203.0.113.10 50000 typ srflx raddr 192.168.1.2 rport 40000",
	"a=candidate:13 1 UDP 16777215 203.0.113.1 49152 typ relay raddr 203.0.113.10 rport 50000",
	"a=candidate:14 1 UDP 2013266430 2001:db8::2 40001 typ host",
	"a=candidate:15 1 TCP-ACT 1015021823 192.168.1.2 9 typ host tcptype active",
	"a=candidate:16 1 TCP-PASS 1010827519 192.168.1.2 40002 typ host tcptype passive",
	NULL
};

typedef struct {
	guint8 sk[NCU_FUZZ_N_KEYS][32];
	guint8 pk[NCU_FUZZ_N_KEYS][32];
	NcuSignalBox *to_self[NCU_FUZZ_N_KEYS]; /* seals as key i for SELF */
	char *ufrag, *pwd;                      /* gathered on loopback */
	GPtrArray *candidates;                  /* gathered + wan_candidates */
	const char *dir;
} Seeds;

static void
write_seed (const Seeds *s, const char *target, const char *name, const void *data, gsize len)
{
	g_autofree char *dir = g_build_filename (s->dir, target, NULL);
	g_autofree char *path = g_build_filename (dir, name, NULL);
	g_autoptr (GError) error = NULL;

	if (g_mkdir_with_parents (dir, 0755) < 0
	    || !g_file_set_contents (path, data, (gssize) len, &error))
		ncu_fuzz_fail ("cannot write %s: %s", path, error ? error->message : g_strerror (errno));
}

/* ---- ICE: what a real agent gathers ---- */

static void
on_gathered (NcuIce *ice, const char *ufrag, const char *pwd,
             const char *const *candidates, gpointer data)
{
	Seeds *s = data;

	s->ufrag = g_strdup (ufrag);
	s->pwd = g_strdup (pwd);
	for (guint i = 0; candidates[i]; i++)
		g_ptr_array_add (s->candidates, g_strdup (candidates[i]));
}

static void
gather_loopback (Seeds *s)
{
	const NcuIceConfig config = { .loopback_only = TRUE };
	const NcuIceCallbacks callbacks = { .gathering_done = on_gathered };
	g_autoptr (GError) error = NULL;
	GMainContext *context = g_main_context_new ();
	gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
	NcuIce *ice = ncu_ice_new (context, &config, TRUE, &error);

	ncu_fuzz_check (ice);
	ncu_ice_set_callbacks (ice, &callbacks, s);
	if (!ncu_ice_gather (ice, &error))
		ncu_fuzz_fail ("gathering on loopback: %s", error->message);
	while (!s->ufrag && g_get_monotonic_time () < deadline) {
		if (!g_main_context_iteration (context, FALSE))
			g_usleep (1000);
	}
	ncu_fuzz_check (s->ufrag);
	ncu_ice_free (ice);
	g_main_context_unref (context);
	for (guint i = 0; wan_candidates[i]; i++)
		g_ptr_array_add (s->candidates, g_strdup (wan_candidates[i]));
}

static void
write_ice_seeds (const Seeds *s)
{
	g_autoptr (GString) all = g_string_new (NULL);
	g_autoptr (GString) batches = g_string_new (NULL);
	g_autoptr (GString) no_prefix = g_string_new (NULL);

	g_string_append_printf (all, "%s\n%s\n", s->ufrag, s->pwd);
	for (guint i = 0; i < s->candidates->len; i++)
		g_string_append_printf (all, "%s\n", (char *) s->candidates->pdata[i]);
	write_seed (s, "ice-remote", "gathered-and-wan", all->str, all->len);

	/* Trickle: a first batch, then more candidates with the same credentials. */
	g_string_append_printf (batches, "%s\n%s\n%s\n--\n", s->ufrag, s->pwd,
	                        (char *) s->candidates->pdata[0]);
	for (guint i = 1; i < s->candidates->len; i++)
		g_string_append_printf (batches, "%s\n", (char *) s->candidates->pdata[i]);
	write_seed (s, "ice-remote", "two-batches", batches->str, batches->len);

	/* Without "a=" and without candidates (ICE-lite style offers). */
	g_string_append_printf (no_prefix, "%s\n%s\n", s->ufrag, s->pwd);
	for (guint i = 0; i < s->candidates->len; i++)
		g_string_append_printf (no_prefix, "%s\n", (char *) s->candidates->pdata[i] + 2);
	write_seed (s, "ice-remote", "no-a-prefix", no_prefix->str, no_prefix->len);
	write_seed (s, "ice-remote", "credentials-only", all->str,
	            strlen (s->ufrag) + strlen (s->pwd) + 2);
}

/* ---- payloads and envelopes ---- */

static NcuSignalPayload *
make_offer (const Seeds *s, guint64 session, guint64 sequence, gint64 timestamp,
            guint recipient, guint n_candidates)
{
	NcuSignalPayload *p = ncu_signal_payload_new (NCU_SIGNAL_TYPE_OFFER);

	p->session_id = session;
	p->sequence = sequence;
	p->timestamp = timestamp;
	memcpy (p->recipient, s->pk[recipient], 32);
	p->ufrag = g_strdup (s->ufrag);
	p->pwd = g_strdup (s->pwd);
	for (guint i = 0; i < n_candidates && i < s->candidates->len; i++)
		ncu_signal_payload_add_candidate (p, s->candidates->pdata[i]);
	p->end_of_candidates = TRUE;
	return p;
}

static NcuSignalPayload *
make_bye (const Seeds *s, guint64 session, guint64 sequence)
{
	NcuSignalPayload *p = ncu_signal_payload_new (NCU_SIGNAL_TYPE_BYE);

	p->session_id = session;
	p->remote_session_id = 0x0123456789abcdefULL;
	p->sequence = sequence;
	p->timestamp = NCU_FUZZ_NOW;
	memcpy (p->recipient, s->pk[NCU_FUZZ_KEY_SELF], 32);
	return p;
}

static GBytes *
encode (const NcuSignalPayload *p)
{
	g_autoptr (GError) error = NULL;
	GBytes *bytes = ncu_signal_payload_encode (p, &error);

	if (!bytes)
		ncu_fuzz_fail ("encode: %s", error->message);
	return bytes;
}

/*
 * Appends one fuzz-signal-receive record: control byte, topic line, data.
 * Takes @topic and @data (either may be NULL).
 */
static void
add_record (GByteArray *out, guint8 control, char *topic, GBytes *data)
{
	gsize len = 0;
	const guint8 *bytes = data ? g_bytes_get_data (data, &len) : NULL;

	if (out->len > 0)
		g_byte_array_append (out, (const guint8 *) NCU_FUZZ_RECORD_SEPARATOR,
		                     strlen (NCU_FUZZ_RECORD_SEPARATOR));
	g_byte_array_append (out, &control, 1);
	if (topic)
		g_byte_array_append (out, (const guint8 *) topic, strlen (topic));
	g_byte_array_append (out, (const guint8 *) "\n", 1);
	if (len)
		g_byte_array_append (out, bytes, len);
	g_free (topic);
	if (data)
		g_bytes_unref (data);
}

/* A real envelope sealed by key @from for SELF. */
static GBytes *
seal (const Seeds *s, guint from, const NcuSignalPayload *p)
{
	g_autoptr (GBytes) plain = encode (p);
	g_autoptr (GError) error = NULL;
	gsize len;
	const guint8 *data = g_bytes_get_data (plain, &len);
	GBytes *sealed = ncu_signal_envelope_seal (s->to_self[from], data, len, &error);

	if (!sealed)
		ncu_fuzz_fail ("seal: %s", error->message);
	return sealed;
}

static GBytes *
modified (GBytes *envelope, gsize offset, guint8 xor)
{
	gsize len;
	guint8 *copy = g_memdup2 (g_bytes_get_data (envelope, &len), g_bytes_get_size (envelope));

	copy[offset % len] ^= xor;
	return g_bytes_new_take (copy, len);
}

static void
write_records (const Seeds *s, const char *name, GByteArray *records)
{
	write_seed (s, "signal-receive", name, records->data, records->len);
	g_byte_array_set_size (records, 0);
}

static char *
topic (const Seeds *s, guint recipient, guint sender)
{
	g_autofree char *r = ncu_key_to_base64url (s->pk[recipient]);
	g_autofree char *t = ncu_key_to_base64url (s->pk[sender]);

	return g_strdup_printf (NCU_FUZZ_TOPIC_PREFIX "/v1/%s/%s", r, t);
}

static void
write_receive_seeds (const Seeds *s)
{
	enum { A = NCU_FUZZ_KEY_PEER_A, B = NCU_FUZZ_KEY_PEER_B,
	       STRANGER = NCU_FUZZ_KEY_STRANGER, SELF = NCU_FUZZ_KEY_SELF, PLAIN = 4 };
	g_autoptr (GByteArray) r = g_byte_array_new ();
	g_autoptr (NcuSignalPayload) offer = make_offer (s, 0x5f0c2a9d11e04b73ULL, 1, NCU_FUZZ_NOW, SELF, 4);
	g_autoptr (NcuSignalPayload) refresh = make_offer (s, 0x5f0c2a9d11e04b73ULL, 2, NCU_FUZZ_NOW, SELF, 4);
	g_autoptr (NcuSignalPayload) restart = make_offer (s, 0x1111222233334444ULL, 3, NCU_FUZZ_NOW, SELF, 2);
	g_autoptr (NcuSignalPayload) old_session = make_offer (s, 0x5f0c2a9d11e04b73ULL, 4, NCU_FUZZ_NOW, SELF, 1);
	g_autoptr (NcuSignalPayload) to_a = make_offer (s, 0x5f0c2a9d11e04b73ULL, 1, NCU_FUZZ_NOW, A, 1);
	g_autoptr (NcuSignalPayload) too_old = make_offer (s, 0x77ULL, 1, NCU_FUZZ_NOW - 3600, SELF, 1);
	g_autoptr (NcuSignalPayload) future = make_offer (s, 0x78ULL, 1, NCU_FUZZ_NOW + 3600, SELF, 1);
	g_autoptr (NcuSignalPayload) bye = make_bye (s, 0x1111222233334444ULL, 5);
	g_autoptr (GBytes) sealed_a = seal (s, A, offer);

	add_record (r, A, NULL, g_bytes_ref (sealed_a));
	write_records (s, "offer-from-a", r);
	add_record (r, B, topic (s, SELF, B), seal (s, B, offer));  /* the topic spelled out */
	write_records (s, "offer-from-b-explicit-topic", r);

	/* The same envelope twice: the second is a replay. */
	add_record (r, A, NULL, g_bytes_ref (sealed_a));
	add_record (r, A, NULL, g_bytes_ref (sealed_a));
	write_records (s, "replay", r);

	/* A session's life: offer, refresh (unchanged), restart, old session, bye. */
	add_record (r, A, NULL, g_bytes_ref (sealed_a));
	add_record (r, A, NULL, NULL);  /* the retained offer was cleared */
	add_record (r, A, NULL, seal (s, A, refresh));
	add_record (r, A, NULL, seal (s, A, restart));
	add_record (r, A, NULL, seal (s, A, old_session));
	add_record (r, A, NULL, seal (s, A, bye));
	write_records (s, "session", r);

	/* Plaintexts the harness seals (control bit 2). */
	add_record (r, A | PLAIN, NULL, encode (offer));
	add_record (r, B | PLAIN, NULL, encode (offer));
	add_record (r, A | PLAIN, NULL, encode (bye));
	write_records (s, "plaintext-offers", r);
	add_record (r, A | PLAIN, NULL, encode (to_a));
	add_record (r, A | PLAIN, NULL, encode (too_old));
	add_record (r, A | PLAIN, NULL, encode (future));
	write_records (s, "plaintext-rejected", r);

	/* Senders that are not peers, and topics for someone else. */
	add_record (r, STRANGER, NULL, seal (s, STRANGER, offer));
	add_record (r, SELF, NULL, seal (s, SELF, offer));
	add_record (r, A, topic (s, A, B), g_bytes_ref (sealed_a));
	add_record (r, A, topic (s, SELF, B), g_bytes_ref (sealed_a));  /* A's envelope on B's topic */
	write_records (s, "not-peers", r);

	/* Damaged envelopes: a flipped MAC byte, ciphertext byte, version, sender. */
	add_record (r, A, NULL, modified (sealed_a, NCU_SIGNAL_ENVELOPE_HEADER, 0x01));
	add_record (r, A, NULL, modified (sealed_a, g_bytes_get_size (sealed_a) - 1, 0x80));
	add_record (r, A, NULL, modified (sealed_a, 0, 0x03));
	add_record (r, A, NULL, modified (sealed_a, 1, 0x01));
	add_record (r, A, NULL, g_bytes_new_from_bytes (sealed_a, 0, NCU_SIGNAL_ENVELOPE_MIN - 1));
	write_records (s, "damaged", r);
}

static void
write_payload_seeds (const Seeds *s)
{
	g_autoptr (NcuSignalPayload) offer = make_offer (s, 0x5f0c2a9d11e04b73ULL, 17, NCU_FUZZ_NOW, NCU_FUZZ_KEY_SELF, 32);
	g_autoptr (NcuSignalPayload) empty = make_offer (s, 0xffffffffffffffffULL, G_MAXINT64, 0, NCU_FUZZ_KEY_PEER_A, 0);
	g_autoptr (NcuSignalPayload) bye = make_bye (s, 1, 1);
	g_autoptr (GBytes) b_offer = NULL, b_empty = NULL, b_bye = NULL;
	gsize len;
	g_autofree char *text = NULL;
	g_autofree char *upper = NULL;
	g_autofree char *crlf = NULL;
	g_auto (GStrv) lines = NULL;

	offer->remote_session_id = 0xfedcba9876543210ULL;
	empty->end_of_candidates = FALSE;
	b_offer = encode (offer);
	b_empty = encode (empty);
	b_bye = encode (bye);
	write_seed (s, "signal-payload", "offer", g_bytes_get_data (b_offer, &len), len);
	write_seed (s, "signal-payload", "offer-no-candidates", g_bytes_get_data (b_empty, &len), len);
	write_seed (s, "signal-payload", "bye", g_bytes_get_data (b_bye, &len), len);

	/* Near misses: one rule broken each. */
	text = g_strndup (g_bytes_get_data (b_bye, &len), len);
	upper = g_ascii_strup (text, -1);
	write_seed (s, "signal-payload", "bye-upper-case", upper, len);
	write_seed (s, "signal-payload", "bye-no-final-newline", text, len - 1);
	lines = g_strsplit (text, "\n", -1);
	crlf = g_strjoinv ("\r\n", lines);
	write_seed (s, "signal-payload", "bye-crlf", crlf, strlen (crlf));
}

int
main (int argc, char **argv)
{
	Seeds s = { .candidates = g_ptr_array_new_with_free_func (g_free) };

	if (argc != 2) {
		fprintf (stderr, "usage: %s <corpus dir>\n", argv[0]);
		return 2;
	}
	ncu_fuzz_check (sodium_init () >= 0);
	s.dir = argv[1];
	for (guint i = 0; i < NCU_FUZZ_N_KEYS; i++)
		ncu_fuzz_key (i, s.sk[i], s.pk[i]);
	for (guint i = 0; i < NCU_FUZZ_N_KEYS; i++)
		s.to_self[i] = ncu_signal_box_new (s.sk[i], s.pk[NCU_FUZZ_KEY_SELF], NULL);

	gather_loopback (&s);
	write_ice_seeds (&s);
	write_payload_seeds (&s);
	write_receive_seeds (&s);

	for (guint i = 0; i < NCU_FUZZ_N_KEYS; i++)
		ncu_signal_box_free (s.to_self[i]);
	g_ptr_array_unref (s.candidates);
	g_free (s.ufrag);
	g_free (s.pwd);
	return 0;
}
