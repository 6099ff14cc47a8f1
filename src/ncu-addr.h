/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addresses=auto: every member of a mesh gets a stable IPv6 ULA derived
 * from its WireGuard public key, so a mesh needs nothing but keys.
 *
 *   address = NCU_ADDR_AUTO_PREFIX (64 bits) | BLAKE2b-64(public key)
 *
 * BLAKE2b is libsodium's crypto_generichash with no key and an 8-byte
 * output; the 8 bytes are the interface identifier, as they come. The
 * prefix is fd63:756e:6963:7500::/64 ("cunic" in ASCII after fd), a fixed
 * ULA so that every peer computes the same addresses without talking.
 */
#ifndef NCU_ADDR_H
#define NCU_ADDR_H

#include <glib.h>
#include "ncu-profile.h"

#define NCU_ADDR_AUTO_PREFIX "fd63:756e:6963:7500::/64"

/* The auto address of @public_key, with prefix length 64 (our own
 * address) or 128 (a peer's allowed IP). */
void ncu_addr_auto (const guint8 public_key[NCU_KEY_LEN], guint8 prefix,
                    NcuCidr *out);

#endif /* NCU_ADDR_H */
