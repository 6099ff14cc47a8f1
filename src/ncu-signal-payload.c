/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signaling payload, format version 1.
 *
 * This is the plaintext inside a sealed envelope (ncu-signal-envelope.c).
 * It is ASCII text, one field per line, written so that a compatible peer
 * can be implemented from this description alone:
 *
 *   ncu-signal 1                       magic and format version
 *   type offer                         "offer" or "bye"
 *   session 5f0c2a9d11e04b73           sender's ICE session id: 16 lower-case
 *                                      hex digits, never all zero
 *   remote-session 0000000000000000    recipient's session this message was
 *                                      built against, all zero = none
 *   sequence 17                        decimal, >= 1; grows with every message
 *                                      a sender seals (across its sessions)
 *   timestamp 1700000000               unix seconds when sealed, decimal
 *   recipient <43 characters>          recipient's X25519 public key, unpadded
 *                                      base64url (RFC 4648 section 5)
 *   -- the remaining lines only for type offer; a bye ends here --
 *   ice-ufrag <4-256 ice-chars>        ice-char: A-Z a-z 0-9 + /  (RFC 8445)
 *   ice-pwd <22-256 ice-chars>
 *   candidate a=candidate:1 1 UDP ...  0 to 32 lines, each as libnice's
 *                                      nice_agent_generate_local_candidate_sdp()
 *                                      writes it: starts with "a=candidate:",
 *                                      at most 256 bytes of 0x20-0x7e, no
 *                                      trailing space
 *   end-of-candidates yes              "yes" or "no" (more may follow)
 *
 * Rules: every line is "<name> <value>" with exactly one space, ended by
 * exactly one LF (no CR); lines come exactly in this order, none missing,
 * none repeated (except candidate), nothing after the last line. Decimal
 * numbers have no sign and no leading zeros and fit in 63 bits. The whole
 * payload is at most NCU_SIGNAL_PAYLOAD_MAX bytes. Anything else is
 * rejected; a future incompatible format changes the version on line 1.
 *
 * Why the recipient key is inside: X25519 gives both ends of a pair the
 * same shared key, so a message we sent to a peer would also open if the
 * broker reflected it back to us with the sender field rewritten. The
 * recipient field (checked against our own key) makes that, and a replay
 * to any other recipient, fail.
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-signal-payload.h"

#define MAGIC_LINE "ncu-signal 1"
#define B64URL_KEY_LEN 43 /* unpadded base64url of 32 bytes */
#define MAX_DECIMAL_DIGITS 19

G_DEFINE_QUARK (ncu-signal-payload-error-quark, ncu_signal_payload_error)

/* ---- payload object ---- */

NcuSignalPayload *
ncu_signal_payload_new (NcuSignalType type)
{
	NcuSignalPayload *payload = g_new0 (NcuSignalPayload, 1);

	payload->type = type;
	payload->candidates = g_ptr_array_new_with_free_func (g_free);
	return payload;
}

NcuSignalPayload *
ncu_signal_payload_copy (const NcuSignalPayload *payload)
{
	NcuSignalPayload *copy = ncu_signal_payload_new (payload->type);

	copy->session_id = payload->session_id;
	copy->remote_session_id = payload->remote_session_id;
	copy->sequence = payload->sequence;
	copy->timestamp = payload->timestamp;
	memcpy (copy->recipient, payload->recipient, sizeof copy->recipient);
	copy->ufrag = g_strdup (payload->ufrag);
	copy->pwd = g_strdup (payload->pwd);
	for (guint i = 0; i < payload->candidates->len; i++)
		ncu_signal_payload_add_candidate (copy, payload->candidates->pdata[i]);
	copy->end_of_candidates = payload->end_of_candidates;
	return copy;
}

void
ncu_signal_payload_free (NcuSignalPayload *payload)
{
	if (!payload)
		return;
	/* The ICE password authenticates connectivity checks: wipe it. */
	if (payload->pwd)
		sodium_memzero (payload->pwd, strlen (payload->pwd));
	g_free (payload->ufrag);
	g_free (payload->pwd);
	g_ptr_array_unref (payload->candidates);
	g_free (payload);
}

void
ncu_signal_payload_add_candidate (NcuSignalPayload *payload, const char *candidate)
{
	g_ptr_array_add (payload->candidates, g_strdup (candidate));
}

gboolean
ncu_signal_payload_same_content (const NcuSignalPayload *a, const NcuSignalPayload *b)
{
	if (a->type != b->type
	    || a->session_id != b->session_id
	    || a->remote_session_id != b->remote_session_id
	    || memcmp (a->recipient, b->recipient, sizeof a->recipient) != 0
	    || g_strcmp0 (a->ufrag, b->ufrag) != 0
	    || g_strcmp0 (a->pwd, b->pwd) != 0
	    || a->end_of_candidates != b->end_of_candidates
	    || a->candidates->len != b->candidates->len)
		return FALSE;
	for (guint i = 0; i < a->candidates->len; i++) {
		if (strcmp (a->candidates->pdata[i], b->candidates->pdata[i]) != 0)
			return FALSE;
	}
	return TRUE;
}

guint64
ncu_signal_session_id_new (void)
{
	guint64 id = 0;

	while (id == 0)
		randombytes_buf (&id, sizeof id);
	return id;
}

const char *
ncu_signal_type_to_string (NcuSignalType type)
{
	switch (type) {
	case NCU_SIGNAL_TYPE_OFFER:
		return "offer";
	case NCU_SIGNAL_TYPE_BYE:
		return "bye";
	}
	return "unknown";
}

/* ---- field validation (shared by encoder and decoder) ---- */

static gboolean
field_error (GError **error, const char *field, const char *problem)
{
	g_set_error (error, NCU_SIGNAL_PAYLOAD_ERROR, NCU_SIGNAL_PAYLOAD_ERROR_INVALID,
	             "signaling payload: field '%s': %s", field, problem);
	return FALSE;
}

static gboolean
is_ice_char (char c)
{
	return g_ascii_isalnum (c) || c == '+' || c == '/';
}

static gboolean
check_ice_credential (const char *field, const char *value, gsize len,
                      gsize min, GError **error)
{
	if (len < min)
		return field_error (error, field, "too short");
	if (len > NCU_SIGNAL_ICE_CRED_MAX)
		return field_error (error, field, "too long");
	for (gsize i = 0; i < len; i++) {
		if (!is_ice_char (value[i]))
			return field_error (error, field, "character outside A-Z a-z 0-9 + /");
	}
	return TRUE;
}

static gboolean
check_candidate (const char *value, gsize len, GError **error)
{
	static const char prefix[] = "a=candidate:";

	if (len > NCU_SIGNAL_CANDIDATE_MAX)
		return field_error (error, "candidate", "too long");
	if (len <= strlen (prefix) || memcmp (value, prefix, strlen (prefix)) != 0)
		return field_error (error, "candidate", "does not start with a=candidate:");
	for (gsize i = 0; i < len; i++) {
		guchar c = (guchar) value[i];
		if (c < 0x20 || c > 0x7e)
			return field_error (error, "candidate", "character outside printable ASCII");
	}
	if (value[len - 1] == ' ')
		return field_error (error, "candidate", "trailing space");
	return TRUE;
}

static gboolean
check_offer_fields (const NcuSignalPayload *p, GError **error)
{
	if (!p->ufrag)
		return field_error (error, "ice-ufrag", "missing");
	if (!check_ice_credential ("ice-ufrag", p->ufrag, strlen (p->ufrag),
	                           NCU_SIGNAL_UFRAG_MIN, error))
		return FALSE;
	if (!p->pwd)
		return field_error (error, "ice-pwd", "missing");
	if (!check_ice_credential ("ice-pwd", p->pwd, strlen (p->pwd),
	                           NCU_SIGNAL_PWD_MIN, error))
		return FALSE;
	if (p->candidates->len > NCU_SIGNAL_MAX_CANDIDATES)
		return field_error (error, "candidate", "too many");
	for (guint i = 0; i < p->candidates->len; i++) {
		const char *c = p->candidates->pdata[i];
		if (!check_candidate (c, strlen (c), error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
check_fields (const NcuSignalPayload *p, GError **error)
{
	if (p->type != NCU_SIGNAL_TYPE_OFFER && p->type != NCU_SIGNAL_TYPE_BYE)
		return field_error (error, "type", "unknown type");
	if (p->session_id == 0)
		return field_error (error, "session", "zero");
	if (p->sequence == 0 || p->sequence > G_MAXINT64)
		return field_error (error, "sequence", "out of range");
	if (p->timestamp < 0)
		return field_error (error, "timestamp", "out of range");
	if (p->type == NCU_SIGNAL_TYPE_OFFER)
		return check_offer_fields (p, error);
	if (p->ufrag || p->pwd || p->candidates->len > 0 || p->end_of_candidates)
		return field_error (error, "type", "a bye carries no ICE fields");
	return TRUE;
}

/* ---- encoder ---- */

GBytes *
ncu_signal_payload_encode (const NcuSignalPayload *p, GError **error)
{
	char recipient[B64URL_KEY_LEN + 1];
	g_autoptr (GString) out = NULL;

	if (!check_fields (p, error))
		return NULL;

	sodium_bin2base64 (recipient, sizeof recipient, p->recipient, sizeof p->recipient,
	                   sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out = g_string_sized_new (512);
	g_string_append_printf (out,
	                        MAGIC_LINE "\n"
	                        "type %s\n"
	                        "session %016" G_GINT64_MODIFIER "x\n"
	                        "remote-session %016" G_GINT64_MODIFIER "x\n"
	                        "sequence %" G_GUINT64_FORMAT "\n"
	                        "timestamp %" G_GINT64_FORMAT "\n"
	                        "recipient %s\n",
	                        ncu_signal_type_to_string (p->type),
	                        p->session_id, p->remote_session_id,
	                        p->sequence, p->timestamp, recipient);
	if (p->type == NCU_SIGNAL_TYPE_OFFER) {
		g_string_append_printf (out, "ice-ufrag %s\nice-pwd %s\n", p->ufrag, p->pwd);
		for (guint i = 0; i < p->candidates->len; i++)
			g_string_append_printf (out, "candidate %s\n", (char *) p->candidates->pdata[i]);
		g_string_append_printf (out, "end-of-candidates %s\n",
		                        p->end_of_candidates ? "yes" : "no");
	}
	if (out->len > NCU_SIGNAL_PAYLOAD_MAX) {
		field_error (error, "payload", "too large");
		return NULL;
	}
	return g_string_free_to_bytes (g_steal_pointer (&out));
}

/* ---- decoder ---- */

typedef struct {
	const char *p;
	const char *end;
} Cursor;

/*
 * Takes the next line, which must be "<name> <value>\n", and returns the
 * value (not NUL-terminated). Values may not contain LF by construction.
 */
static gboolean
take_line (Cursor *c, const char *name, const char **value, gsize *value_len,
           GError **error)
{
	gsize name_len = strlen (name);
	const char *nl = memchr (c->p, '\n', (gsize) (c->end - c->p));
	gsize line_len;

	if (!nl)
		return field_error (error, name, "missing or not terminated by a newline");
	line_len = (gsize) (nl - c->p);
	if (line_len < name_len + 2 || memcmp (c->p, name, name_len) != 0
	    || c->p[name_len] != ' ')
		return field_error (error, name, "expected here");
	*value = c->p + name_len + 1;
	*value_len = line_len - name_len - 1;
	c->p = nl + 1;
	return TRUE;
}

static gboolean
next_line_is (const Cursor *c, const char *name)
{
	gsize name_len = strlen (name);

	return (gsize) (c->end - c->p) > name_len
	       && memcmp (c->p, name, name_len) == 0 && c->p[name_len] == ' ';
}

static gboolean
value_is (const char *value, gsize len, const char *literal)
{
	return len == strlen (literal) && memcmp (value, literal, len) == 0;
}

static gboolean
parse_hex64 (const char *field, const char *v, gsize len, guint64 *out, GError **error)
{
	guint64 n = 0;

	if (len != 16)
		return field_error (error, field, "not 16 hex digits");
	for (gsize i = 0; i < len; i++) {
		int d = g_ascii_xdigit_value (v[i]);
		if (d < 0 || g_ascii_isupper (v[i]))
			return field_error (error, field, "not lower-case hex");
		n = (n << 4) | (guint64) d;
	}
	*out = n;
	return TRUE;
}

static gboolean
parse_decimal (const char *field, const char *v, gsize len, guint64 *out, GError **error)
{
	guint64 n = 0;

	if (len == 0 || len > MAX_DECIMAL_DIGITS)
		return field_error (error, field, "not a decimal number of 1-19 digits");
	if (len > 1 && v[0] == '0')
		return field_error (error, field, "leading zero");
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit (v[i]))
			return field_error (error, field, "not a decimal number");
		n = n * 10 + (guint64) (v[i] - '0');
	}
	/* 19 digits fit in 64 bits; the format promises 63. */
	if (n > G_MAXINT64)
		return field_error (error, field, "out of range");
	*out = n;
	return TRUE;
}

static gboolean
parse_key (const char *field, const char *v, gsize len, guint8 key[NCU_SIGNAL_KEY_LEN],
           GError **error)
{
	char canonical[B64URL_KEY_LEN + 1];
	size_t bin_len = 0;

	if (len != B64URL_KEY_LEN
	    || sodium_base642bin (key, NCU_SIGNAL_KEY_LEN, v, len, NULL, &bin_len, NULL,
	                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0
	    || bin_len != NCU_SIGNAL_KEY_LEN)
		return field_error (error, field, "not a base64url key of 32 bytes");
	/* Reject non-canonical spellings (non-zero padding bits). */
	sodium_bin2base64 (canonical, sizeof canonical, key, NCU_SIGNAL_KEY_LEN,
	                   sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (memcmp (canonical, v, len) != 0)
		return field_error (error, field, "not canonical base64url");
	return TRUE;
}

static gboolean
decode_header (Cursor *c, NcuSignalPayload *p, GError **error)
{
	const char *v;
	gsize len;
	guint64 n;

	if (!take_line (c, "ncu-signal", &v, &len, error))
		return FALSE;
	if (!value_is (v, len, "1"))
		return field_error (error, "ncu-signal", "unsupported version");
	if (!take_line (c, "type", &v, &len, error))
		return FALSE;
	if (value_is (v, len, "offer"))
		p->type = NCU_SIGNAL_TYPE_OFFER;
	else if (value_is (v, len, "bye"))
		p->type = NCU_SIGNAL_TYPE_BYE;
	else
		return field_error (error, "type", "unknown type");
	if (!take_line (c, "session", &v, &len, error)
	    || !parse_hex64 ("session", v, len, &p->session_id, error))
		return FALSE;
	if (p->session_id == 0)
		return field_error (error, "session", "zero");
	if (!take_line (c, "remote-session", &v, &len, error)
	    || !parse_hex64 ("remote-session", v, len, &p->remote_session_id, error))
		return FALSE;
	if (!take_line (c, "sequence", &v, &len, error)
	    || !parse_decimal ("sequence", v, len, &p->sequence, error))
		return FALSE;
	if (p->sequence == 0)
		return field_error (error, "sequence", "zero");
	if (!take_line (c, "timestamp", &v, &len, error)
	    || !parse_decimal ("timestamp", v, len, &n, error))
		return FALSE;
	p->timestamp = (gint64) n;
	return take_line (c, "recipient", &v, &len, error)
	       && parse_key ("recipient", v, len, p->recipient, error);
}

static gboolean
decode_offer (Cursor *c, NcuSignalPayload *p, GError **error)
{
	const char *v;
	gsize len;

	if (!take_line (c, "ice-ufrag", &v, &len, error)
	    || !check_ice_credential ("ice-ufrag", v, len, NCU_SIGNAL_UFRAG_MIN, error))
		return FALSE;
	p->ufrag = g_strndup (v, len);
	if (!take_line (c, "ice-pwd", &v, &len, error)
	    || !check_ice_credential ("ice-pwd", v, len, NCU_SIGNAL_PWD_MIN, error))
		return FALSE;
	p->pwd = g_strndup (v, len);
	while (next_line_is (c, "candidate")) {
		if (p->candidates->len == NCU_SIGNAL_MAX_CANDIDATES)
			return field_error (error, "candidate", "too many");
		if (!take_line (c, "candidate", &v, &len, error)
		    || !check_candidate (v, len, error))
			return FALSE;
		g_ptr_array_add (p->candidates, g_strndup (v, len));
	}
	if (!take_line (c, "end-of-candidates", &v, &len, error))
		return FALSE;
	if (value_is (v, len, "yes"))
		p->end_of_candidates = TRUE;
	else if (!value_is (v, len, "no"))
		return field_error (error, "end-of-candidates", "not yes or no");
	return TRUE;
}

NcuSignalPayload *
ncu_signal_payload_decode (const guint8 *data, gsize len, GError **error)
{
	g_autoptr (NcuSignalPayload) p = ncu_signal_payload_new (NCU_SIGNAL_TYPE_OFFER);
	Cursor c = { (const char *) data, (const char *) data + len };

	if (len > NCU_SIGNAL_PAYLOAD_MAX) {
		field_error (error, "payload", "too large");
		return NULL;
	}
	if (memchr (data, '\0', len)) {
		field_error (error, "payload", "contains a NUL byte");
		return NULL;
	}
	if (!decode_header (&c, p, error))
		return NULL;
	if (p->type == NCU_SIGNAL_TYPE_OFFER && !decode_offer (&c, p, error))
		return NULL;
	if (c.p != c.end) {
		field_error (error, "payload", "unexpected data after the last field");
		return NULL;
	}
	return g_steal_pointer (&p);
}
