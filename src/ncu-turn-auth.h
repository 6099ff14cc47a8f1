/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Time-limited TURN credentials, the way coturn checks them with
 * use-auth-secret and static-auth-secret (the "TURN REST API" draft,
 * draft-uberti-behave-turn-rest-00):
 *
 *   user name = "<expiry>:<user>", or "<expiry>" without a user; the
 *               expiry in seconds since 1970
 *   password  = base64 (HMAC-SHA1 (key = shared secret, data = user name))
 *
 * The server recomputes the password from its own copy of the secret and
 * refuses a user name whose time has passed. coturn checks the time when
 * it authenticates a client's first request; an allocation already made
 * keeps its key, but every new one (a new ICE session, a TURN server that
 * restarted) needs credentials that are still valid.
 */
#ifndef NCU_TURN_AUTH_H
#define NCU_TURN_AUTH_H

#include <glib.h>

#define NCU_TURN_AUTH_SHA1_LEN 20
/* Renewal comes at least this long before the credentials expire. */
#define NCU_TURN_AUTH_MARGIN_MIN_S 5

typedef struct {
	char *username;
	char *password;        /* secret: wiped by ncu_turn_credentials_free() */
	gint64 expires;        /* seconds since 1970 */
} NcuTurnCredentials;

/*
 * Credentials valid until @expires (seconds since 1970) for @user (NULL or
 * "": the expiry alone), from @secret (as configured on the server, NUL-
 * terminated). Every copy of the secret this makes is wiped before return.
 */
NcuTurnCredentials *ncu_turn_credentials_new (const char *secret, const char *user,
                                              gint64 expires);
void ncu_turn_credentials_free (NcuTurnCredentials *credentials);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuTurnCredentials, ncu_turn_credentials_free)

/*
 * Seconds after credentials valid for @lifetime seconds were made at which
 * a session holding them should be renewed: four fifths of the lifetime,
 * but at least NCU_TURN_AUTH_MARGIN_MIN_S before they expire (at most half
 * of a short lifetime), and at least 1 s.
 */
guint ncu_turn_auth_refresh_after (guint lifetime);

/* HMAC-SHA1 (RFC 2104); the key pads are wiped before return. */
void ncu_turn_auth_hmac_sha1 (const guint8 *key, gsize key_len, const guint8 *data,
                              gsize data_len, guint8 digest[NCU_TURN_AUTH_SHA1_LEN]);

#endif /* NCU_TURN_AUTH_H */
