/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The liveness probe on the wire (docs/signaling.md, "Liveness probe"): a
 * 32-byte datagram that one peer's service sends on the selected ICE pair
 * and the other's echoes, proving that the path carries data both ways
 * right now (ncu-liveness.h decides when to send one). The same datagram
 * as a keepalive is not answered: it only keeps the sender's NAT mapping.
 *
 *   0-3    magic ff 4e 43 55 ("\xffNCU"): neither WireGuard (its first byte
 *          is a message type 1-4, then three zero bytes) nor STUN (its
 *          first two bits are zero, its bytes 4-7 the magic cookie)
 *   4      type: 1 request, 2 reply, 3 keepalive
 *   5-7    zero
 *   8-15   nonce: random, chosen by the requester; a reply repeats it
 *   16-31  tag: keyed BLAKE2b-128 of bytes 0-15 under the *receiver's* key
 *
 * A peer's key is derived from the ICE password of its current session,
 * which only the two peers know (it travels inside the sealed offers and,
 * in STUN, only as an HMAC key). Anything else on the pair that starts with
 * the magic is dropped after a length check and one hash, never forwarded
 * to WireGuard. Keying every message to its receiver means a message
 * reflected back to its sender does not verify.
 */
#ifndef NCU_LIVENESS_PROBE_H
#define NCU_LIVENESS_PROBE_H

#include <glib.h>

#define NCU_LIVENESS_PROBE_LEN 32
#define NCU_LIVENESS_MAGIC_LEN 4
/* The magic as the 32-bit big-endian number nftables compares. */
#define NCU_LIVENESS_MAGIC_U32 0xff4e4355u
#define NCU_LIVENESS_NONCE_LEN 8
#define NCU_LIVENESS_KEY_LEN 32

typedef enum {
	NCU_LIVENESS_PROBE_REQUEST = 1,
	NCU_LIVENESS_PROBE_REPLY = 2,
	NCU_LIVENESS_PROBE_KEEPALIVE = 3,
} NcuLivenessProbeType;

/* The four magic bytes. */
const guint8 *ncu_liveness_probe_magic (void);

/* The key of the peer whose ICE session has password @ice_pwd. */
void ncu_liveness_key_derive (const char *ice_pwd, guint8 key[NCU_LIVENESS_KEY_LEN]);

/* A probe of @type with @nonce, for the receiver whose key is @key. */
void ncu_liveness_probe_build (guint8 out[NCU_LIVENESS_PROBE_LEN], NcuLivenessProbeType type,
                               const guint8 nonce[NCU_LIVENESS_NONCE_LEN],
                               const guint8 key[NCU_LIVENESS_KEY_LEN]);

/*
 * Checks a received datagram against our own @key: length, magic, type,
 * reserved bytes and tag (in constant time). TRUE and @type, @nonce filled
 * only for a genuine probe.
 */
gboolean ncu_liveness_probe_parse (const guint8 *buf, gsize len,
                                   const guint8 key[NCU_LIVENESS_KEY_LEN],
                                   NcuLivenessProbeType *type,
                                   guint8 nonce[NCU_LIVENESS_NONCE_LEN]);

#endif /* NCU_LIVENESS_PROBE_H */
