/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time-limited TURN credentials (src/ncu-turn-auth.c): HMAC-SHA1 against
 * RFC 2202's test vectors, credentials against values computed with
 * Python's hmac module (what coturn computes with OpenSSL), and when they
 * are renewed.
 */
#include "config.h"

#include <string.h>
#include <glib.h>

#include "ncu-turn-auth.h"

static void
assert_hmac (const guint8 *key, gsize key_len, const char *data, const char *hex)
{
	guint8 digest[NCU_TURN_AUTH_SHA1_LEN];
	g_autoptr (GString) text = g_string_new (NULL);

	ncu_turn_auth_hmac_sha1 (key, key_len, (const guint8 *) data, strlen (data), digest);
	for (guint i = 0; i < sizeof digest; i++)
		g_string_append_printf (text, "%02x", digest[i]);
	g_assert_cmpstr (text->str, ==, hex);
}

/* RFC 2202 section 3, test cases 1, 2, 6 and 7. */
static void
test_hmac_rfc2202 (void)
{
	guint8 key[80];

	memset (key, 0x0b, 20);
	assert_hmac (key, 20, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00");
	assert_hmac ((const guint8 *) "Jefe", 4, "what do ya want for nothing?",
	             "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	/* Keys longer than a block are hashed first. */
	memset (key, 0xaa, sizeof key);
	assert_hmac (key, sizeof key, "Test Using Larger Than Block-Size Key - Hash Key First",
	             "aa4ae5e15272d00e95705637ce8a3b55ed402112");
	assert_hmac (key, sizeof key,
	             "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
	             "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

/* python3: base64.b64encode (hmac.new (secret, user name, hashlib.sha1).digest ()) */
static void
test_credentials (void)
{
	g_autoptr (NcuTurnCredentials) with_user =
		ncu_turn_credentials_new ("coturn static secret", "alice", 1700000000);
	g_autoptr (NcuTurnCredentials) no_user =
		ncu_turn_credentials_new ("coturn static secret", NULL, 1700000000);
	g_autoptr (NcuTurnCredentials) empty_user =
		ncu_turn_credentials_new ("coturn static secret", "", 1700000000);

	g_assert_cmpstr (with_user->username, ==, "1700000000:alice");
	g_assert_cmpstr (with_user->password, ==, "C7SyrsjQe2FHzJ+D4s5Nr6mHtuw=");
	g_assert_cmpint (with_user->expires, ==, 1700000000);
	g_assert_cmpstr (no_user->username, ==, "1700000000");
	g_assert_cmpstr (no_user->password, ==, "02o0UMVjFQ2jAjMBVtOyF3VBykQ=");
	g_assert_cmpstr (empty_user->username, ==, "1700000000");
	g_assert_cmpstr (empty_user->password, ==, no_user->password);
}

static void
test_refresh_after (void)
{
	/* Four fifths of the lifetime... */
	g_assert_cmpuint (ncu_turn_auth_refresh_after (86400), ==, 69120);
	g_assert_cmpuint (ncu_turn_auth_refresh_after (600), ==, 480);
	g_assert_cmpuint (ncu_turn_auth_refresh_after (30), ==, 24);
	/* ...but at least 5 s before the end... */
	g_assert_cmpuint (ncu_turn_auth_refresh_after (20), ==, 15);
	g_assert_cmpuint (ncu_turn_auth_refresh_after (10), ==, 5);
	/* ...at most half of a short lifetime, and never at once. */
	g_assert_cmpuint (ncu_turn_auth_refresh_after (6), ==, 3);
	g_assert_cmpuint (ncu_turn_auth_refresh_after (1), ==, 1);
	g_assert_cmpuint (ncu_turn_auth_refresh_after (0), ==, 1);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/turn-auth/hmac-rfc2202", test_hmac_rfc2202);
	g_test_add_func ("/turn-auth/credentials", test_credentials);
	g_test_add_func ("/turn-auth/refresh-after", test_refresh_after);
	return g_test_run ();
}
