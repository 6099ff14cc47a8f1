/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Converting a validated profile into typed values. Values are parsed by the
 * same functions that validated them; missing keys take the table's default.
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-profile.h"
#include "ncu-parse.h"

/* The value of @key in @table, or the table's default (may be NULL). */
static const char *
value_or_default (GHashTable *table, const char *key)
{
	const char *value = table ? g_hash_table_lookup (table, key) : NULL;
	const NcuKeyInfo *info;

	if (value)
		return value;
	info = ncu_schema_lookup (key, NULL, NULL);
	return info ? info->default_value : NULL;
}

/* An INT key; absent without default: 0. */
static gboolean
get_uint (GHashTable *data, const char *key, guint64 *out, GError **error)
{
	const char *value = value_or_default (data, key);
	const NcuKeyInfo *info = ncu_schema_lookup (key, NULL, NULL);

	*out = 0;
	if (!value || !info)
		return TRUE;
	return ncu_parse_uint (key, value, (guint64) info->min, (guint64) info->max, out, error);
}

static gboolean
get_enum (GHashTable *data, const char *key, guint *out, GError **error)
{
	const char *value = value_or_default (data, key);
	const NcuKeyInfo *info = ncu_schema_lookup (key, NULL, NULL);

	*out = 0;
	if (!value || !info)
		return TRUE;
	return ncu_parse_enum (key, value, info->choices, out, error);
}

/* A secret string, copied (the caller's copy stays the caller's). */
static char *
get_secret_string (GHashTable *secrets, const char *key)
{
	return g_strdup (secrets ? g_hash_table_lookup (secrets, key) : NULL);
}

static gboolean
get_key (GHashTable *table, const char *key, guint8 out[NCU_KEY_LEN],
         gboolean *present, GError **error)
{
	const char *value = table ? g_hash_table_lookup (table, key) : NULL;

	*present = value != NULL;
	if (value && !ncu_key_from_base64 (value, out)) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key, "not a WireGuard key");
		return FALSE;
	}
	return TRUE;
}

static void
peer_free (gpointer data)
{
	NcuPeerConfig *peer = data;

	if (!peer)
		return;
	g_free (peer->label);
	g_free (peer->endpoint_host);
	if (peer->allowed_ips)
		g_array_unref (peer->allowed_ips);
	sodium_memzero (peer->preshared_key, sizeof peer->preshared_key);
	g_free (peer);
}

static char *
peer_key (guint index, const char *name)
{
	return g_strdup_printf ("peer.%u.%s", index, name);
}

static gboolean
peer_fill (NcuPeerConfig *peer, GHashTable *data, GHashTable *secrets,
           GError **error)
{
	g_autofree char *public_key = peer_key (peer->index, NCU_KEY_PEER_PUBLIC_KEY);
	g_autofree char *allowed_ips = peer_key (peer->index, NCU_KEY_PEER_ALLOWED_IPS);
	g_autofree char *endpoint = peer_key (peer->index, NCU_KEY_PEER_ENDPOINT);
	g_autofree char *keepalive = peer_key (peer->index, NCU_KEY_PEER_PERSISTENT_KEEPALIVE);
	g_autofree char *label = peer_key (peer->index, NCU_KEY_PEER_LABEL);
	g_autofree char *psk = peer_key (peer->index, NCU_KEY_PEER_PRESHARED_KEY);
	const char *value;
	gboolean present;
	guint64 number;

	if (!get_key (data, public_key, peer->public_key, &present, error)
	    || !get_key (secrets, psk, peer->preshared_key, &peer->has_preshared_key, error))
		return FALSE;
	value = g_hash_table_lookup (data, allowed_ips);
	if (value && !ncu_parse_cidr_list (allowed_ips, value, peer->allowed_ips, error))
		return FALSE;
	value = g_hash_table_lookup (data, endpoint);
	if (value && !ncu_parse_endpoint (endpoint, value, &peer->endpoint_host,
	                                  &peer->endpoint_port, error))
		return FALSE;
	if (!get_uint (data, keepalive, &number, error))
		return FALSE;
	peer->persistent_keepalive = (guint16) number;
	peer->label = g_strdup (g_hash_table_lookup (data, label));
	return TRUE;
}

/* Peers are dense from 0 once validated: count until the first gap. */
static gboolean
profile_fill_peers (NcuProfile *profile, GHashTable *data, GHashTable *secrets,
                    GError **error)
{
	guint i;

	for (i = 0; i < NCU_MAX_PEERS; i++) {
		g_autofree char *public_key = peer_key (i, NCU_KEY_PEER_PUBLIC_KEY);
		NcuPeerConfig *peer;

		if (!g_hash_table_contains (data, public_key))
			break;
		peer = g_new0 (NcuPeerConfig, 1);
		peer->index = i;
		peer->allowed_ips = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
		g_ptr_array_add (profile->peers, peer);
		if (!peer_fill (peer, data, secrets, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
profile_fill_interface (NcuProfile *profile, GHashTable *data,
                        GHashTable *secrets, GError **error)
{
	const char *addresses = value_or_default (data, NCU_KEY_ADDRESSES);
	guint64 number;
	guint choice;

	profile->interface_name = g_strdup (g_hash_table_lookup (data, NCU_KEY_INTERFACE_NAME));
	if (!get_uint (data, NCU_KEY_LISTEN_PORT, &number, error))
		return FALSE;
	profile->listen_port = (guint16) number;
	if (!get_uint (data, NCU_KEY_MTU, &number, error))
		return FALSE;
	profile->mtu = (guint) number;
	profile->addresses_auto = g_strcmp0 (addresses, "auto") == 0;
	if (!profile->addresses_auto
	    && !ncu_parse_cidr_list (NCU_KEY_ADDRESSES, addresses, profile->addresses, error))
		return FALSE;
	if (!get_key (secrets, NCU_KEY_PRIVATE_KEY, profile->private_key,
	              &profile->has_private_key, error))
		return FALSE;
	if (!get_enum (data, NCU_KEY_PROXY_MODE, &choice, error))
		return FALSE;
	profile->proxy_mode = (NcuProxyMode) choice;
	if (!get_enum (data, NCU_KEY_WIREGUARD_BACKEND, &choice, error))
		return FALSE;
	profile->wireguard_backend = (NcuWgBackend) choice;
	return TRUE;
}

static gboolean
profile_fill_signaling (NcuProfile *profile, GHashTable *data,
                        GHashTable *secrets, GError **error)
{
	const char *url = g_hash_table_lookup (data, NCU_KEY_SIGNALING_URL);

	if (url) {
		profile->signaling_url = g_strdup (url);
		if (!ncu_parse_mqtt_url (NCU_KEY_SIGNALING_URL, url, &profile->signaling_tls,
		                         &profile->signaling_host, &profile->signaling_port, error))
			return FALSE;
	}
	profile->signaling_username = g_strdup (g_hash_table_lookup (data, NCU_KEY_SIGNALING_USERNAME));
	profile->signaling_password = get_secret_string (secrets, NCU_KEY_SIGNALING_PASSWORD);
	profile->signaling_topic_prefix = g_strdup (value_or_default (data, NCU_KEY_SIGNALING_TOPIC_PREFIX));
	profile->signaling_ca_file = g_strdup (g_hash_table_lookup (data, NCU_KEY_SIGNALING_CA_FILE));
	return TRUE;
}

static gboolean
profile_fill_ice (NcuProfile *profile, GHashTable *data, GHashTable *secrets,
                  GError **error)
{
	const char *servers = g_hash_table_lookup (data, NCU_KEY_ICE_SERVERS);
	const char *types = value_or_default (data, NCU_KEY_ICE_CANDIDATE_TYPES);
	const char *exclude = g_hash_table_lookup (data, NCU_KEY_ICE_INTERFACES_EXCLUDE);
	const char *ports = g_hash_table_lookup (data, NCU_KEY_ICE_PORT_RANGE);
	const NcuKeyInfo *types_info = ncu_schema_lookup (NCU_KEY_ICE_CANDIDATE_TYPES, NULL, NULL);
	guint64 number;
	guint mask;

	if (servers && !ncu_parse_ice_servers (NCU_KEY_ICE_SERVERS, servers, profile->ice_servers, error))
		return FALSE;
	profile->ice_username = g_strdup (g_hash_table_lookup (data, NCU_KEY_ICE_USERNAME));
	profile->ice_password = get_secret_string (secrets, NCU_KEY_ICE_PASSWORD);
	profile->ice_auth_secret = get_secret_string (secrets, NCU_KEY_ICE_AUTH_SECRET);
	if (!get_uint (data, NCU_KEY_ICE_AUTH_LIFETIME, &number, error))
		return FALSE;
	profile->ice_auth_lifetime = (guint) number;
	if (!ncu_parse_enum_set (NCU_KEY_ICE_CANDIDATE_TYPES, types, types_info->choices, &mask, error))
		return FALSE;
	profile->ice_candidate_types = (NcuCandidateTypes) mask;
	if (exclude) {
		profile->ice_interfaces_exclude = ncu_parse_list (NCU_KEY_ICE_INTERFACES_EXCLUDE, exclude, error);
		if (!profile->ice_interfaces_exclude)
			return FALSE;
	} else
		profile->ice_interfaces_exclude = g_new0 (char *, 1);
	if (ports && !ncu_parse_port_range (NCU_KEY_ICE_PORT_RANGE, ports, &profile->ice_port_min,
	                                    &profile->ice_port_max, error))
		return FALSE;
	return TRUE;
}

NcuProfile *
ncu_profile_new (GHashTable *data, GHashTable *secrets, NcuValidateFlags flags,
                 GError **error)
{
	g_autoptr (NcuProfile) profile = NULL;

	g_return_val_if_fail (data != NULL, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	if (!ncu_profile_validate (data, secrets, flags, error))
		return NULL;

	profile = g_new0 (NcuProfile, 1);
	profile->addresses = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
	profile->peers = g_ptr_array_new_with_free_func (peer_free);
	profile->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) ncu_ice_server_free);

	if (!profile_fill_interface (profile, data, secrets, error)
	    || !profile_fill_peers (profile, data, secrets, error)
	    || !profile_fill_signaling (profile, data, secrets, error)
	    || !profile_fill_ice (profile, data, secrets, error))
		return NULL;
	return g_steal_pointer (&profile);
}

static void
free_secret_string (char *secret)
{
	if (!secret)
		return;
	sodium_memzero (secret, strlen (secret));
	g_free (secret);
}

void
ncu_profile_free (NcuProfile *profile)
{
	if (!profile)
		return;
	g_free (profile->interface_name);
	if (profile->addresses)
		g_array_unref (profile->addresses);
	sodium_memzero (profile->private_key, sizeof profile->private_key);
	if (profile->peers)
		g_ptr_array_unref (profile->peers);
	g_free (profile->signaling_url);
	g_free (profile->signaling_host);
	g_free (profile->signaling_username);
	free_secret_string (profile->signaling_password);
	g_free (profile->signaling_topic_prefix);
	g_free (profile->signaling_ca_file);
	if (profile->ice_servers)
		g_ptr_array_unref (profile->ice_servers);
	g_free (profile->ice_username);
	free_secret_string (profile->ice_password);
	free_secret_string (profile->ice_auth_secret);
	g_strfreev (profile->ice_interfaces_exclude);
	g_free (profile);
}
