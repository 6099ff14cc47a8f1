/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Validating a whole profile: each key, then what only the whole profile
 * shows (required keys, peer numbering, distinct peer keys).
 */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n-lib.h>

#include "ncu-schema.h"
#include "ncu-parse.h"
#include "ncu-profile.h"

static int
compare_strings (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Keys in a stable order, so that the first error is always the same one. */
static GPtrArray *
sorted_keys (GHashTable *table)
{
	GPtrArray *keys = g_ptr_array_new ();
	GHashTableIter iter;
	gpointer key;

	if (table) {
		g_hash_table_iter_init (&iter, table);
		while (g_hash_table_iter_next (&iter, &key, NULL))
			g_ptr_array_add (keys, key);
	}
	g_ptr_array_sort (keys, compare_strings);
	return keys;
}

/*
 * Checks every key of @table (vpn.data if !@secrets_table, else
 * vpn.secrets) and marks the peers it names in @peers_seen.
 */
static gboolean
check_keys (GHashTable *table, gboolean secrets_table, gboolean *peers_seen,
            GError **error)
{
	g_autoptr (GPtrArray) keys = sorted_keys (table);
	guint i;

	for (i = 0; i < keys->len; i++) {
		const char *key = keys->pdata[i];
		const char *value = g_hash_table_lookup (table, key);
		const NcuKeyInfo *info;
		gboolean is_secret;
		int peer;

		info = ncu_schema_lookup (key, &peer, error);
		if (!info)
			return FALSE;
		is_secret = (info->flags & NCU_KEY_SECRET) != 0;
		if (is_secret && !secrets_table) {
			ncu_set_error (error, NCU_ERROR_SECRET_IN_DATA, key,
			               _("is a secret but was found in vpn.data; allowed only in vpn.secrets"));
			return FALSE;
		}
		if (!is_secret && secrets_table) {
			ncu_set_error (error, NCU_ERROR_NOT_A_SECRET, key,
			               _("is not a secret but was found in vpn.secrets; allowed only in vpn.data"));
			return FALSE;
		}
		if (!value) {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("has no value; allowed a value, or leave the key out"));
			return FALSE;
		}
		if (!ncu_schema_check_value (info, key, value, error))
			return FALSE;
		if (peer >= 0)
			peers_seen[peer] = TRUE;
	}
	return TRUE;
}

/* Required keys outside peers; secrets only when asked for. */
static gboolean
check_required (GHashTable *data, GHashTable *secrets, NcuValidateFlags flags,
                GError **error)
{
	gsize n_keys, i;
	const NcuKeyInfo *keys = ncu_schema_keys (&n_keys);

	for (i = 0; i < n_keys; i++) {
		const NcuKeyInfo *info = &keys[i];
		gboolean is_secret = (info->flags & NCU_KEY_SECRET) != 0;
		GHashTable *table = is_secret ? secrets : data;
		g_autofree char *allowed = NULL;

		if (!(info->flags & NCU_KEY_REQUIRED) || (info->flags & NCU_KEY_PER_PEER))
			continue;
		if (is_secret && !(flags & NCU_VALIDATE_REQUIRE_SECRETS))
			continue;
		if (table && g_hash_table_contains (table, info->name))
			continue;
		allowed = ncu_schema_describe_allowed (info);
		ncu_set_error (error, NCU_ERROR_MISSING_KEY, info->name,
		               _("is required but missing; allowed %s"), allowed);
		return FALSE;
	}
	return TRUE;
}

/* The public key derived from our private key, if the secrets hold one. */
static gboolean
own_public_key (GHashTable *secrets, guint8 public_key[NCU_KEY_LEN])
{
	const char *text = secrets ? g_hash_table_lookup (secrets, NCU_KEY_PRIVATE_KEY) : NULL;
	guint8 private_key[NCU_KEY_LEN];

	if (!text || !ncu_key_from_base64 (text, private_key))
		return FALSE;
	ncu_key_public_from_private (private_key, public_key);
	sodium_memzero (private_key, sizeof private_key);
	return TRUE;
}

/* Peers numbered 0..n-1 without gaps, each with its own public key. */
static gboolean
check_peers (GHashTable *data, GHashTable *secrets, const gboolean *peers_seen,
             GError **error)
{
	g_autoptr (GHashTable) by_key = g_hash_table_new (g_str_hash, g_str_equal);
	guint8 own[NCU_KEY_LEN];
	gboolean have_own = own_public_key (secrets, own);
	int last = -1;
	int i;

	for (i = 0; i < NCU_MAX_PEERS; i++) {
		if (peers_seen[i])
			last = i;
	}
	if (last < 0) {
		ncu_set_error (error, NCU_ERROR_MISSING_KEY, "peer.0." NCU_KEY_PEER_PUBLIC_KEY,
		               _("is missing; allowed a profile with one peer or more, numbered from peer.0"));
		return FALSE;
	}
	for (i = 0; i <= last; i++) {
		g_autofree char *peer = g_strdup_printf ("peer.%d", i);
		g_autofree char *key = g_strdup_printf ("peer.%d.%s", i, NCU_KEY_PEER_PUBLIC_KEY);
		const char *value = g_hash_table_lookup (data, key);
		guint8 public_key[NCU_KEY_LEN];
		gpointer other;

		if (!peers_seen[i]) {
			ncu_set_error (error, NCU_ERROR_PEER_INDEX, peer,
			               _("has no keys but peer.%d has; allowed peers numbered from 0 without gaps"),
			               last);
			return FALSE;
		}
		if (!value) {
			ncu_set_error (error, NCU_ERROR_MISSING_KEY, key,
			               _("is missing; required for every peer"));
			return FALSE;
		}
		/* Keys have one spelling each, so equal text is an equal key. */
		if (g_hash_table_lookup_extended (by_key, value, NULL, &other)) {
			ncu_set_error (error, NCU_ERROR_DUPLICATE_PEER, key,
			               _("is the same as peer.%d's; allowed a different key for every peer"),
			               GPOINTER_TO_INT (other));
			return FALSE;
		}
		g_hash_table_insert (by_key, (gpointer) value, GINT_TO_POINTER (i));
		if (have_own && ncu_key_from_base64 (value, public_key)
		    && memcmp (public_key, own, NCU_KEY_LEN) == 0) {
			ncu_set_error (error, NCU_ERROR_DUPLICATE_PEER, key,
			               _("is our own public key (from private-key); allowed only other machines' keys"));
			return FALSE;
		}
	}
	return TRUE;
}

/*
 * A fixed TURN password and the shared secret of time-limited credentials
 * exclude each other. Only values count: the editor also writes the -flags
 * key of a secret left empty, and secrets may be absent (agent-owned).
 */
static gboolean
check_ice_auth (GHashTable *data, GHashTable *secrets, GError **error)
{
	gboolean password = secrets && g_hash_table_contains (secrets, NCU_KEY_ICE_PASSWORD);
	gboolean auth_secret = secrets && g_hash_table_contains (secrets, NCU_KEY_ICE_AUTH_SECRET);

	if (password && auth_secret) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, NCU_KEY_ICE_AUTH_SECRET,
		               _("is set together with ice-password; allowed one of them: ice-password "
		                 "for a fixed TURN password, ice-auth-secret for time-limited credentials"));
		return FALSE;
	}
	if (password && g_hash_table_contains (data, NCU_KEY_ICE_AUTH_LIFETIME)) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, NCU_KEY_ICE_AUTH_LIFETIME,
		               _("is set, but the TURN password is a fixed ice-password; allowed only "
		                 "with ice-auth-secret"));
		return FALSE;
	}
	return TRUE;
}

gboolean
ncu_profile_validate (GHashTable *data, GHashTable *secrets,
                      NcuValidateFlags flags, GError **error)
{
	g_autofree gboolean *peers_seen = g_new0 (gboolean, NCU_MAX_PEERS);

	g_return_val_if_fail (data != NULL, FALSE);
	g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

	return check_keys (data, FALSE, peers_seen, error)
	       && check_keys (secrets, TRUE, peers_seen, error)
	       && check_required (data, secrets, flags, error)
	       && check_ice_auth (data, secrets, error)
	       && check_peers (data, secrets, peers_seen, error);
}
