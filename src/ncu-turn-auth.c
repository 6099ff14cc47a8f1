/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time-limited TURN credentials (ncu-turn-auth.h).
 *
 * HMAC-SHA1 is built here on GChecksum from RFC 2104 rather than taken from
 * GHmac: GHmac copies the key into stack buffers it does not wipe, while
 * here the key block and both pads are our own buffers, wiped before
 * return. GChecksum clears its own state when it closes (its digest is
 * all that is left, and that is not key material).
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-turn-auth.h"

#define SHA1_BLOCK_LEN 64
#define IPAD 0x36
#define OPAD 0x5c

/* SHA-1 of @a followed by @b. */
static void
sha1 (const guint8 *a, gsize a_len, const guint8 *b, gsize b_len,
      guint8 digest[NCU_TURN_AUTH_SHA1_LEN])
{
	GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA1);
	gsize len = NCU_TURN_AUTH_SHA1_LEN;

	g_checksum_update (checksum, a, (gssize) a_len);
	if (b_len)
		g_checksum_update (checksum, b, (gssize) b_len);
	g_checksum_get_digest (checksum, digest, &len);
	g_checksum_free (checksum);
}

void
ncu_turn_auth_hmac_sha1 (const guint8 *key, gsize key_len, const guint8 *data,
                         gsize data_len, guint8 digest[NCU_TURN_AUTH_SHA1_LEN])
{
	guint8 block[SHA1_BLOCK_LEN] = { 0 };
	guint8 pad[SHA1_BLOCK_LEN];
	guint8 inner[NCU_TURN_AUTH_SHA1_LEN];

	/* A key longer than a block is hashed first (RFC 2104 section 2). */
	if (key_len > SHA1_BLOCK_LEN)
		sha1 (key, key_len, NULL, 0, block);
	else
		memcpy (block, key, key_len);
	for (guint i = 0; i < SHA1_BLOCK_LEN; i++)
		pad[i] = block[i] ^ IPAD;
	sha1 (pad, sizeof pad, data, data_len, inner);
	for (guint i = 0; i < SHA1_BLOCK_LEN; i++)
		pad[i] = block[i] ^ OPAD;
	sha1 (pad, sizeof pad, inner, sizeof inner, digest);
	sodium_memzero (block, sizeof block);
	sodium_memzero (pad, sizeof pad);
	sodium_memzero (inner, sizeof inner);
}

NcuTurnCredentials *
ncu_turn_credentials_new (const char *secret, const char *user, gint64 expires)
{
	NcuTurnCredentials *credentials = g_new0 (NcuTurnCredentials, 1);
	guint8 digest[NCU_TURN_AUTH_SHA1_LEN];

	g_return_val_if_fail (secret != NULL, NULL);

	credentials->expires = expires;
	if (user && *user)
		credentials->username = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expires, user);
	else
		credentials->username = g_strdup_printf ("%" G_GINT64_FORMAT, expires);
	ncu_turn_auth_hmac_sha1 ((const guint8 *) secret, strlen (secret),
	                         (const guint8 *) credentials->username,
	                         strlen (credentials->username), digest);
	credentials->password = g_base64_encode (digest, sizeof digest);
	sodium_memzero (digest, sizeof digest);
	return credentials;
}

void
ncu_turn_credentials_free (NcuTurnCredentials *credentials)
{
	if (!credentials)
		return;
	g_free (credentials->username);
	if (credentials->password)
		sodium_memzero (credentials->password, strlen (credentials->password));
	g_free (credentials->password);
	g_free (credentials);
}

guint
ncu_turn_auth_refresh_after (guint lifetime)
{
	guint margin = MAX (lifetime / 5, MIN (NCU_TURN_AUTH_MARGIN_MIN_S, lifetime / 2));

	return MAX (lifetime - margin, 1);
}
