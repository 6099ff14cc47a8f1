/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The signaling payload: round trips and every class of malformed input. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-signal-payload.h"

#define RECIPIENT_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define CAND1 "a=candidate:1 1 UDP 2015363327 192.0.2.2 46929 typ host"
#define CAND2 "a=candidate:2 1 UDP 1677729535 203.0.113.10 40000 typ srflx raddr 192.0.2.2 rport 46929"

static const char good_offer[] =
	"ncu-signal 1\n"
	"type offer\n"
	"session 5f0c2a9d11e04b73\n"
	"remote-session 0000000000000000\n"
	"sequence 17\n"
	"timestamp 1700000000\n"
	"recipient " RECIPIENT_B64 "\n"
	"ice-ufrag hjZm\n"
	"ice-pwd Gj1psicWpCY5PlGc2azBA/\n"
	"candidate " CAND1 "\n"
	"candidate " CAND2 "\n"
	"end-of-candidates yes\n";

static const char good_bye[] =
	"ncu-signal 1\n"
	"type bye\n"
	"session 5f0c2a9d11e04b73\n"
	"remote-session 00000000000000a1\n"
	"sequence 18\n"
	"timestamp 1700000001\n"
	"recipient " RECIPIENT_B64 "\n";

static NcuSignalPayload *
decode_str (const char *text, GError **error)
{
	return ncu_signal_payload_decode ((const guint8 *) text, strlen (text), error);
}

static NcuSignalPayload *
make_offer (void)
{
	NcuSignalPayload *p = ncu_signal_payload_new (NCU_SIGNAL_TYPE_OFFER);

	p->session_id = 0x5f0c2a9d11e04b73;
	p->sequence = 17;
	p->timestamp = 1700000000;
	for (int i = 0; i < NCU_SIGNAL_KEY_LEN; i++)
		p->recipient[i] = (guint8) i;
	p->ufrag = g_strdup ("hjZm");
	p->pwd = g_strdup ("Gj1psicWpCY5PlGc2azBA/");
	ncu_signal_payload_add_candidate (p, CAND1);
	ncu_signal_payload_add_candidate (p, CAND2);
	p->end_of_candidates = TRUE;
	return p;
}

static void
test_decode_offer (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalPayload) p = decode_str (good_offer, &error);

	g_assert_no_error (error);
	g_assert_nonnull (p);
	g_assert_cmpint (p->type, ==, NCU_SIGNAL_TYPE_OFFER);
	g_assert_cmphex (p->session_id, ==, 0x5f0c2a9d11e04b73);
	g_assert_cmphex (p->remote_session_id, ==, 0);
	g_assert_cmpuint (p->sequence, ==, 17);
	g_assert_cmpint (p->timestamp, ==, 1700000000);
	for (int i = 0; i < NCU_SIGNAL_KEY_LEN; i++)
		g_assert_cmpuint (p->recipient[i], ==, i);
	g_assert_cmpstr (p->ufrag, ==, "hjZm");
	g_assert_cmpstr (p->pwd, ==, "Gj1psicWpCY5PlGc2azBA/");
	g_assert_cmpuint (p->candidates->len, ==, 2);
	g_assert_cmpstr (p->candidates->pdata[0], ==, CAND1);
	g_assert_cmpstr (p->candidates->pdata[1], ==, CAND2);
	g_assert_true (p->end_of_candidates);
}

static void
test_decode_bye (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalPayload) p = decode_str (good_bye, &error);

	g_assert_no_error (error);
	g_assert_cmpint (p->type, ==, NCU_SIGNAL_TYPE_BYE);
	g_assert_cmphex (p->remote_session_id, ==, 0xa1);
	g_assert_null (p->ufrag);
	g_assert_cmpuint (p->candidates->len, ==, 0);
}

/* encode is the exact inverse of decode. */
static void
test_round_trip (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalPayload) p = make_offer ();
	g_autoptr (GBytes) bytes = ncu_signal_payload_encode (p, &error);
	g_autoptr (NcuSignalPayload) back = NULL;

	g_assert_no_error (error);
	g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
	                 good_offer, strlen (good_offer));
	back = ncu_signal_payload_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
	g_assert_no_error (error);
	g_assert_true (ncu_signal_payload_same_content (p, back));
	g_assert_cmpuint (back->sequence, ==, p->sequence);
	g_assert_cmpint (back->timestamp, ==, p->timestamp);
}

static void
test_round_trip_limits (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalPayload) p = make_offer ();
	g_autoptr (NcuSignalPayload) back = NULL;
	g_autoptr (GBytes) bytes = NULL;
	g_autofree char *long_pwd = g_strnfill (NCU_SIGNAL_ICE_CRED_MAX, 'x');

	/* the largest offer the format allows still fits */
	g_ptr_array_set_size (p->candidates, 0);
	for (int i = 0; i < NCU_SIGNAL_MAX_CANDIDATES; i++) {
		g_autofree char *pad = g_strnfill (NCU_SIGNAL_CANDIDATE_MAX - 12, '1');
		g_autofree char *c = g_strconcat ("a=candidate:", pad, NULL);
		ncu_signal_payload_add_candidate (p, c);
	}
	g_free (p->ufrag);
	p->ufrag = g_strdup (long_pwd);
	g_free (p->pwd);
	p->pwd = g_strdup (long_pwd);
	p->session_id = G_MAXUINT64;
	p->remote_session_id = G_MAXUINT64;
	p->sequence = G_MAXINT64;
	p->timestamp = G_MAXINT64;
	bytes = ncu_signal_payload_encode (p, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (bytes), <=, NCU_SIGNAL_PAYLOAD_MAX);
	back = ncu_signal_payload_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
	g_assert_no_error (error);
	g_assert_true (ncu_signal_payload_same_content (p, back));
	g_assert_cmpuint (back->sequence, ==, G_MAXINT64);
}

/* Decoding @text fails, and the error names @field and leaks no value. */
static void
expect_bad (const char *text, gsize len, const char *field)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalPayload) p = ncu_signal_payload_decode ((const guint8 *) text, len, &error);
	g_autofree char *quoted = g_strdup_printf ("field '%s'", field);

	g_assert_null (p);
	g_assert_error (error, NCU_SIGNAL_PAYLOAD_ERROR, NCU_SIGNAL_PAYLOAD_ERROR_INVALID);
	if (!strstr (error->message, quoted))
		g_error ("expected an error naming %s, got: %s", quoted, error->message);
	g_assert_null (strstr (error->message, "Gj1psicWpCY5PlGc2azBA"));
}

/* @good with the first occurrence of @from replaced by @to must fail on @field. */
static void
expect_bad_edit (const char *good, const char *from, const char *to, const char *field)
{
	const char *at = strstr (good, from);
	g_autofree char *text = NULL;

	g_assert_nonnull (at);
	text = g_strdup_printf ("%.*s%s%s", (int) (at - good), good, to, at + strlen (from));
	expect_bad (text, strlen (text), field);
}

static void
test_bad_structure (void)
{
	/* truncated at every byte: never accepted, never a crash */
	for (gsize len = 0; len < strlen (good_offer); len++) {
		g_autoptr (NcuSignalPayload) p =
			ncu_signal_payload_decode ((const guint8 *) good_offer, len, NULL);
		g_assert_null (p);
	}
	expect_bad ("", 0, "ncu-signal");
	expect_bad (good_offer, strlen (good_offer) - 1, "end-of-candidates");
	expect_bad_edit (good_offer, "ncu-signal 1\n", "ncu-signal 2\n", "ncu-signal");
	expect_bad_edit (good_offer, "ncu-signal 1\n", "", "ncu-signal");
	/* order, duplicates, missing, trailing data */
	expect_bad_edit (good_offer, "type offer\nsession", "session", "type");
	expect_bad_edit (good_offer, "sequence 17\n", "sequence 17\nsequence 18\n", "timestamp");
	expect_bad_edit (good_offer, "ice-pwd Gj1psicWpCY5PlGc2azBA/\n", "", "ice-pwd");
	expect_bad_edit (good_offer, "end-of-candidates yes\n", "end-of-candidates yes\nx y\n", "payload");
	expect_bad_edit (good_offer, "type offer\n", "type offer\r\n", "type");
	expect_bad_edit (good_offer, "type offer", "type  offer", "type");
	expect_bad_edit (good_offer, "type offer", "type\toffer", "type");
	expect_bad_edit (good_offer, "type offer", "type bogus", "type");
	/* a bye followed by offer fields */
	{
		g_autofree char *text = g_strconcat (good_bye, "ice-ufrag hjZm\n", NULL);
		expect_bad (text, strlen (text), "payload");
	}
	/* embedded NUL */
	{
		char text[sizeof good_offer];
		memcpy (text, good_offer, sizeof good_offer);
		text[20] = '\0';
		expect_bad (text, strlen (good_offer), "payload");
	}
	/* oversize */
	{
		g_autofree char *big = g_strnfill (NCU_SIGNAL_PAYLOAD_MAX + 1, 'a');
		expect_bad (big, NCU_SIGNAL_PAYLOAD_MAX + 1, "payload");
	}
}

static void
test_bad_numbers (void)
{
	expect_bad_edit (good_offer, "session 5f0c2a9d11e04b73", "session 0000000000000000", "session");
	expect_bad_edit (good_offer, "session 5f0c2a9d11e04b73", "session 5F0C2A9D11E04B73", "session");
	expect_bad_edit (good_offer, "session 5f0c2a9d11e04b73", "session 5f0c2a9d11e04b7", "session");
	expect_bad_edit (good_offer, "session 5f0c2a9d11e04b73", "session 5f0c2a9d11e04b730", "session");
	expect_bad_edit (good_offer, "session 5f0c2a9d11e04b73", "session 5f0c2a9d11e04bg3", "session");
	expect_bad_edit (good_offer, "remote-session 0000000000000000", "remote-session -1", "remote-session");
	expect_bad_edit (good_offer, "sequence 17", "sequence 0", "sequence");
	expect_bad_edit (good_offer, "sequence 17", "sequence 017", "sequence");
	expect_bad_edit (good_offer, "sequence 17", "sequence +17", "sequence");
	expect_bad_edit (good_offer, "sequence 17", "sequence 1 7", "sequence");
	expect_bad_edit (good_offer, "sequence 17", "sequence 9223372036854775808", "sequence");
	expect_bad_edit (good_offer, "sequence 17", "sequence 99999999999999999999", "sequence");
	expect_bad_edit (good_offer, "timestamp 1700000000", "timestamp -5", "timestamp");
	expect_bad_edit (good_offer, "timestamp 1700000000", "timestamp ", "timestamp");
	expect_bad_edit (good_offer, "timestamp 1700000000", "timestamp 0x10", "timestamp");
}

static void
test_bad_recipient (void)
{
	/* too short, padded, standard alphabet, non-canonical last character */
	expect_bad_edit (good_offer, RECIPIENT_B64, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh", "recipient");
	expect_bad_edit (good_offer, RECIPIENT_B64, RECIPIENT_B64 "=", "recipient");
	expect_bad_edit (good_offer, RECIPIENT_B64, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd+h8", "recipient");
	expect_bad_edit (good_offer, RECIPIENT_B64, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", "recipient");
}

static void
test_bad_ice_fields (void)
{
	g_autofree char *long_ufrag = g_strnfill (NCU_SIGNAL_ICE_CRED_MAX + 1, 'u');
	g_autofree char *long_ufrag_line = g_strdup_printf ("ice-ufrag %s", long_ufrag);
	g_autofree char *long_cand = g_strnfill (NCU_SIGNAL_CANDIDATE_MAX, 'c');
	g_autofree char *long_cand_line = g_strdup_printf ("candidate a=candidate:%s", long_cand);
	g_autoptr (GString) many = g_string_new (NULL);

	expect_bad_edit (good_offer, "ice-ufrag hjZm", "ice-ufrag hjZ", "ice-ufrag");
	expect_bad_edit (good_offer, "ice-ufrag hjZm", long_ufrag_line, "ice-ufrag");
	expect_bad_edit (good_offer, "ice-ufrag hjZm", "ice-ufrag hj-m", "ice-ufrag");
	expect_bad_edit (good_offer, "ice-pwd Gj1psicWpCY5PlGc2azBA/", "ice-pwd Gj1psicWpCY5PlGc2azBA", "ice-pwd");
	expect_bad_edit (good_offer, "ice-pwd Gj1psicWpCY5PlGc2azBA/", "ice-pwd Gj1psicWpCY5PlGc2azBA\x01", "ice-pwd");
	expect_bad_edit (good_offer, "candidate a=candidate:1", "candidate candidate:1", "candidate");
	expect_bad_edit (good_offer, "candidate a=candidate:1", "candidate a=candidate:\x1b", "candidate");
	expect_bad_edit (good_offer, "candidate a=candidate:1", "candidate a=candidate:\xc3\xa9", "candidate");
	expect_bad_edit (good_offer, "typ host\n", "typ host \n", "candidate");
	expect_bad_edit (good_offer, "candidate " CAND1, long_cand_line, "candidate");
	expect_bad_edit (good_offer, "candidate " CAND1, "candidate a=candidate:", "candidate");
	expect_bad_edit (good_offer, "end-of-candidates yes", "end-of-candidates 1", "end-of-candidates");

	for (int i = 0; i <= NCU_SIGNAL_MAX_CANDIDATES; i++)
		g_string_append (many, "candidate " CAND1 "\n");
	expect_bad_edit (good_offer, "candidate " CAND1 "\n", many->str, "candidate");
}

/* The encoder refuses what the decoder would refuse. */
static void
encode_expect (NcuSignalPayload *p, const char *field)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GBytes) bytes = ncu_signal_payload_encode (p, &error);
	g_autofree char *quoted = g_strdup_printf ("field '%s'", field);

	g_assert_null (bytes);
	g_assert_nonnull (strstr (error->message, quoted));
	ncu_signal_payload_free (p);
}

static void
test_encode_checks (void)
{
	NcuSignalPayload *p;

	p = make_offer (); p->session_id = 0; encode_expect (p, "session");
	p = make_offer (); p->sequence = 0; encode_expect (p, "sequence");
	p = make_offer (); p->timestamp = -1; encode_expect (p, "timestamp");
	p = make_offer (); g_clear_pointer (&p->ufrag, g_free); encode_expect (p, "ice-ufrag");
	p = make_offer (); g_free (p->pwd); p->pwd = g_strdup ("short"); encode_expect (p, "ice-pwd");
	p = make_offer (); ncu_signal_payload_add_candidate (p, "a=candidate:1\n2"); encode_expect (p, "candidate");
	p = make_offer (); p->type = 7; encode_expect (p, "type");
	p = make_offer (); p->type = NCU_SIGNAL_TYPE_BYE; encode_expect (p, "type");
}

static void
test_session_id (void)
{
	for (int i = 0; i < 1000; i++)
		g_assert_cmphex (ncu_signal_session_id_new (), !=, 0);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_assert_cmpint (sodium_init (), >=, 0);
	g_test_add_func ("/signal/payload/decode-offer", test_decode_offer);
	g_test_add_func ("/signal/payload/decode-bye", test_decode_bye);
	g_test_add_func ("/signal/payload/round-trip", test_round_trip);
	g_test_add_func ("/signal/payload/round-trip-limits", test_round_trip_limits);
	g_test_add_func ("/signal/payload/bad-structure", test_bad_structure);
	g_test_add_func ("/signal/payload/bad-numbers", test_bad_numbers);
	g_test_add_func ("/signal/payload/bad-recipient", test_bad_recipient);
	g_test_add_func ("/signal/payload/bad-ice-fields", test_bad_ice_fields);
	g_test_add_func ("/signal/payload/encode-checks", test_encode_checks);
	g_test_add_func ("/signal/payload/session-id", test_session_id);
	return g_test_run ();
}
