/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * WireGuard keys: base64 forms and the public key of a private key.
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-profile.h"

/* Length of a key in padded base64, without the NUL. */
#define KEY_BASE64_LEN 44

gboolean
ncu_key_from_base64 (const char *text, guint8 key[NCU_KEY_LEN])
{
	guint8 bytes[NCU_KEY_LEN];
	size_t len = 0;
	gboolean ok;

	g_return_val_if_fail (text != NULL, FALSE);
	/* libsodium refuses stray characters, wrong padding and non-zero
	 * trailing bits, so each key has exactly one spelling (as wg(8)). */
	ok = strlen (text) == KEY_BASE64_LEN
	     && sodium_base642bin (bytes, sizeof bytes, text, KEY_BASE64_LEN, NULL, &len,
	                           NULL, sodium_base64_VARIANT_ORIGINAL) == 0
	     && len == NCU_KEY_LEN;
	if (ok)
		memcpy (key, bytes, NCU_KEY_LEN);
	sodium_memzero (bytes, sizeof bytes);
	return ok;
}

static char *
key_to_base64 (const guint8 key[NCU_KEY_LEN], int variant)
{
	char *text = g_malloc (sodium_base64_ENCODED_LEN (NCU_KEY_LEN, variant));

	sodium_bin2base64 (text, sodium_base64_ENCODED_LEN (NCU_KEY_LEN, variant),
	                   key, NCU_KEY_LEN, variant);
	return text;
}

char *
ncu_key_to_base64 (const guint8 key[NCU_KEY_LEN])
{
	return key_to_base64 (key, sodium_base64_VARIANT_ORIGINAL);
}

char *
ncu_key_to_base64url (const guint8 key[NCU_KEY_LEN])
{
	return key_to_base64 (key, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void
ncu_key_public_from_private (const guint8 private_key[NCU_KEY_LEN],
                             guint8 public_key[NCU_KEY_LEN])
{
	static gsize initialized;

	if (g_once_init_enter (&initialized)) {
		if (sodium_init () < 0)
			g_error ("libsodium failed to initialize");
		g_once_init_leave (&initialized, 1);
	}
	/* Clamps the scalar itself, as WireGuard does. */
	crypto_scalarmult_curve25519_base (public_key, private_key);
}
