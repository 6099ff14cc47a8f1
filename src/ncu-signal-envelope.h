/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sealed signaling envelopes. On the wire:
 *
 *   byte 0        version (1)
 *   bytes 1-32    sender's X25519 (WireGuard) public key
 *   bytes 33-56   random 24-byte nonce
 *   bytes 57-     crypto_box_easy(payload, nonce, recipient public key,
 *                 sender private key): 16-byte MAC, then the ciphertext
 *
 * At most NCU_SIGNAL_ENVELOPE_MAX bytes in all. The shared key of a pair
 * is computed once per peer (crypto_box_beforenm) and kept in an
 * NcuSignalBox, so sealing and opening cost one XSalsa20-Poly1305 pass.
 */
#ifndef NCU_SIGNAL_ENVELOPE_H
#define NCU_SIGNAL_ENVELOPE_H

#include <glib.h>
#include <sodium.h>

#define NCU_SIGNAL_ENVELOPE_VERSION  1
#define NCU_SIGNAL_ENVELOPE_KEY_LEN  32
#define NCU_SIGNAL_ENVELOPE_HEADER   (1 + NCU_SIGNAL_ENVELOPE_KEY_LEN + crypto_box_NONCEBYTES)
#define NCU_SIGNAL_ENVELOPE_MIN      (NCU_SIGNAL_ENVELOPE_HEADER + crypto_box_MACBYTES + 1)
#define NCU_SIGNAL_ENVELOPE_MAX      16384

#define NCU_SIGNAL_ENVELOPE_ERROR (ncu_signal_envelope_error_quark ())
GQuark ncu_signal_envelope_error_quark (void);

typedef enum {
	NCU_SIGNAL_ENVELOPE_ERROR_TOO_SHORT,
	NCU_SIGNAL_ENVELOPE_ERROR_TOO_LONG,
	NCU_SIGNAL_ENVELOPE_ERROR_VERSION,
	NCU_SIGNAL_ENVELOPE_ERROR_SENDER,     /* sender field is not the expected peer */
	NCU_SIGNAL_ENVELOPE_ERROR_OPEN,       /* authentication failed */
	NCU_SIGNAL_ENVELOPE_ERROR_BAD_KEY,    /* a public key unusable for X25519 */
} NcuSignalEnvelopeError;

/* The precomputed shared key between us and one peer (secret: wiped on free). */
typedef struct NcuSignalBox NcuSignalBox;

NcuSignalBox *ncu_signal_box_new (const guint8 our_private_key[NCU_SIGNAL_ENVELOPE_KEY_LEN],
                                  const guint8 peer_public_key[NCU_SIGNAL_ENVELOPE_KEY_LEN],
                                  GError **error);
void ncu_signal_box_free (NcuSignalBox *box);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuSignalBox, ncu_signal_box_free)
const guint8 *ncu_signal_box_get_peer_key (const NcuSignalBox *box);

/* Seals @len bytes (at most MAX - HEADER - MAC) for the box's peer. */
GBytes *ncu_signal_envelope_seal (const NcuSignalBox *box, const guint8 *payload,
                                  gsize len, GError **error);

/*
 * Checks size and version without any key and returns the claimed sender
 * (not yet authenticated: only the open with that peer's box proves it).
 */
gboolean ncu_signal_envelope_peek (const guint8 *data, gsize len,
                                   guint8 sender[NCU_SIGNAL_ENVELOPE_KEY_LEN],
                                   GError **error);

/*
 * Checks as _peek, that the sender is the box's peer, and opens. Returns
 * the plaintext (g_free it after sodium_memzero) and its length.
 */
guint8 *ncu_signal_envelope_open (const NcuSignalBox *box, const guint8 *data, gsize len,
                                  gsize *out_len, GError **error);

#endif /* NCU_SIGNAL_ENVELOPE_H */
