/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sealed signaling envelopes: see the wire layout in ncu-signal-envelope.h. */
#include "config.h"

#include <string.h>

#include "ncu-signal-envelope.h"

G_DEFINE_QUARK (ncu-signal-envelope-error-quark, ncu_signal_envelope_error)

struct NcuSignalBox {
	guint8 shared_key[crypto_box_BEFORENMBYTES];
	guint8 our_public_key[NCU_SIGNAL_ENVELOPE_KEY_LEN];
	guint8 peer_public_key[NCU_SIGNAL_ENVELOPE_KEY_LEN];
};

NcuSignalBox *
ncu_signal_box_new (const guint8 our_private_key[NCU_SIGNAL_ENVELOPE_KEY_LEN],
                    const guint8 peer_public_key[NCU_SIGNAL_ENVELOPE_KEY_LEN],
                    GError **error)
{
	g_autoptr (NcuSignalBox) box = g_new0 (NcuSignalBox, 1);

	G_STATIC_ASSERT (crypto_box_PUBLICKEYBYTES == NCU_SIGNAL_ENVELOPE_KEY_LEN);
	G_STATIC_ASSERT (crypto_box_SECRETKEYBYTES == NCU_SIGNAL_ENVELOPE_KEY_LEN);

	memcpy (box->peer_public_key, peer_public_key, NCU_SIGNAL_ENVELOPE_KEY_LEN);
	/* crypto_box_beforenm refuses low-order points (an all-zero result). */
	if (crypto_scalarmult_base (box->our_public_key, our_private_key) != 0
	    || crypto_box_beforenm (box->shared_key, peer_public_key, our_private_key) != 0) {
		g_set_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_BAD_KEY,
		             "public key is not usable for X25519 (low-order point)");
		return NULL;
	}
	return g_steal_pointer (&box);
}

void
ncu_signal_box_free (NcuSignalBox *box)
{
	if (!box)
		return;
	sodium_memzero (box, sizeof *box);
	g_free (box);
}

const guint8 *
ncu_signal_box_get_peer_key (const NcuSignalBox *box)
{
	return box->peer_public_key;
}

GBytes *
ncu_signal_envelope_seal (const NcuSignalBox *box, const guint8 *payload, gsize len,
                          GError **error)
{
	gsize total = NCU_SIGNAL_ENVELOPE_HEADER + crypto_box_MACBYTES + len;
	guint8 *out;

	if (len == 0 || total > NCU_SIGNAL_ENVELOPE_MAX) {
		g_set_error (error, NCU_SIGNAL_ENVELOPE_ERROR,
		             len ? NCU_SIGNAL_ENVELOPE_ERROR_TOO_LONG : NCU_SIGNAL_ENVELOPE_ERROR_TOO_SHORT,
		             "signaling envelope: payload of %" G_GSIZE_FORMAT " bytes does not fit",
		             len);
		return NULL;
	}
	out = g_malloc (total);
	out[0] = NCU_SIGNAL_ENVELOPE_VERSION;
	memcpy (out + 1, box->our_public_key, NCU_SIGNAL_ENVELOPE_KEY_LEN);
	randombytes_buf (out + 1 + NCU_SIGNAL_ENVELOPE_KEY_LEN, crypto_box_NONCEBYTES);
	crypto_box_easy_afternm (out + NCU_SIGNAL_ENVELOPE_HEADER, payload, len,
	                         out + 1 + NCU_SIGNAL_ENVELOPE_KEY_LEN, box->shared_key);
	return g_bytes_new_take (out, total);
}

gboolean
ncu_signal_envelope_peek (const guint8 *data, gsize len,
                          guint8 sender[NCU_SIGNAL_ENVELOPE_KEY_LEN], GError **error)
{
	if (len < NCU_SIGNAL_ENVELOPE_MIN) {
		g_set_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_TOO_SHORT,
		             "signaling envelope: too short (%" G_GSIZE_FORMAT " bytes)", len);
		return FALSE;
	}
	if (len > NCU_SIGNAL_ENVELOPE_MAX) {
		g_set_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_TOO_LONG,
		             "signaling envelope: too long (%" G_GSIZE_FORMAT " bytes)", len);
		return FALSE;
	}
	if (data[0] != NCU_SIGNAL_ENVELOPE_VERSION) {
		g_set_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_VERSION,
		             "signaling envelope: unsupported version %u", data[0]);
		return FALSE;
	}
	memcpy (sender, data + 1, NCU_SIGNAL_ENVELOPE_KEY_LEN);
	return TRUE;
}

guint8 *
ncu_signal_envelope_open (const NcuSignalBox *box, const guint8 *data, gsize len,
                          gsize *out_len, GError **error)
{
	guint8 sender[NCU_SIGNAL_ENVELOPE_KEY_LEN];
	gsize clen, plen;
	guint8 *plain;

	if (!ncu_signal_envelope_peek (data, len, sender, error))
		return NULL;
	if (sodium_memcmp (sender, box->peer_public_key, sizeof sender) != 0) {
		g_set_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_SENDER,
		             "signaling envelope: sender is not the expected peer");
		return NULL;
	}
	clen = len - NCU_SIGNAL_ENVELOPE_HEADER;
	plen = clen - crypto_box_MACBYTES;
	plain = g_malloc (plen);
	if (crypto_box_open_easy_afternm (plain, data + NCU_SIGNAL_ENVELOPE_HEADER, clen,
	                                  data + 1 + NCU_SIGNAL_ENVELOPE_KEY_LEN,
	                                  box->shared_key) != 0) {
		g_free (plain);
		g_set_error (error, NCU_SIGNAL_ENVELOPE_ERROR, NCU_SIGNAL_ENVELOPE_ERROR_OPEN,
		             "signaling envelope: does not open (forged, tampered or wrongly keyed)");
		return NULL;
	}
	*out_len = plen;
	return plain;
}
