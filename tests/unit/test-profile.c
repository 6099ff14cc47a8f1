/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Good profiles converted into NcuProfile, and the CIDR and key helpers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

#include "ncu-profile.h"
#include "test-schema-keys.h"

static GHashTable *
table_new (const char *const *pairs)
{
	GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	guint i;

	for (i = 0; pairs && pairs[i]; i += 2)
		g_hash_table_insert (table, g_strdup (pairs[i]), g_strdup (pairs[i + 1]));
	return table;
}

static NcuProfile *
profile_from (const char *const *data_pairs, const char *const *secret_pairs,
              NcuValidateFlags flags)
{
	g_autoptr (GHashTable) data = table_new (data_pairs);
	g_autoptr (GHashTable) secrets = secret_pairs ? table_new (secret_pairs) : NULL;
	g_autoptr (GError) error = NULL;
	NcuProfile *profile = ncu_profile_new (data, secrets, flags, &error);

	g_assert_no_error (error);
	g_assert_nonnull (profile);
	return profile;
}

static void
assert_key (const guint8 key[NCU_KEY_LEN], const char *base64)
{
	g_autofree char *text = ncu_key_to_base64 (key);

	g_assert_cmpstr (text, ==, base64);
}

static void
assert_cidrs (GArray *cidrs, const char *const *expected)
{
	guint i;

	g_assert_cmpuint (cidrs->len, ==, g_strv_length ((char **) expected));
	for (i = 0; i < cidrs->len; i++) {
		g_autofree char *text = ncu_cidr_to_string (&g_array_index (cidrs, NcuCidr, i));

		g_assert_cmpstr (text, ==, expected[i]);
	}
}

static void
test_minimal (void)
{
	static const char *const data[] = { "peer.0.public-key", PUB1, NULL };
	static const char *const secrets[] = { "private-key", PRIV0, NULL };
	g_autoptr (NcuProfile) p = profile_from (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS);
	NcuPeerConfig *peer;

	g_assert_null (p->interface_name);
	g_assert_cmpuint (p->listen_port, ==, 0);
	g_assert_true (p->addresses_auto);
	g_assert_cmpuint (p->addresses->len, ==, 0);
	g_assert_cmpuint (p->mtu, ==, 1420);
	g_assert_true (p->has_private_key);
	assert_key (p->private_key, PRIV0);
	g_assert_cmpuint (p->peers->len, ==, 1);
	peer = p->peers->pdata[0];
	g_assert_cmpuint (peer->index, ==, 0);
	assert_key (peer->public_key, PUB1);
	g_assert_null (peer->label);
	g_assert_cmpuint (peer->allowed_ips->len, ==, 0);
	g_assert_null (peer->endpoint_host);
	g_assert_cmpuint (peer->persistent_keepalive, ==, 0);
	g_assert_false (peer->has_preshared_key);

	g_assert_null (p->signaling_url);
	g_assert_null (p->signaling_host);
	g_assert_null (p->signaling_username);
	g_assert_null (p->signaling_password);
	g_assert_cmpstr (p->signaling_topic_prefix, ==, "cunicu");
	g_assert_null (p->signaling_ca_file);
	g_assert_cmpuint (p->ice_servers->len, ==, 0);
	g_assert_null (p->ice_username);
	g_assert_null (p->ice_password);
	g_assert_null (p->ice_auth_secret);
	g_assert_cmpuint (p->ice_auth_lifetime, ==, 86400);
	g_assert_cmpint (p->ice_candidate_types, ==,
	                 NCU_CANDIDATE_HOST | NCU_CANDIDATE_SRFLX | NCU_CANDIDATE_RELAY);
	g_assert_nonnull (p->ice_interfaces_exclude);
	g_assert_null (p->ice_interfaces_exclude[0]);
	g_assert_cmpuint (p->ice_port_min, ==, 0);
	g_assert_cmpuint (p->ice_port_max, ==, 0);
	g_assert_cmpint (p->proxy_mode, ==, NCU_PROXY_MODE_AUTO);
	g_assert_cmpint (p->wireguard_backend, ==, NCU_WG_BACKEND_AUTO);
}

static void
assert_ice_server (NcuIceServer *server, NcuIceServerKind kind, const char *host,
                   guint16 port, gboolean tcp)
{
	g_assert_cmpint (server->kind, ==, kind);
	g_assert_cmpstr (server->host, ==, host);
	g_assert_cmpuint (server->port, ==, port);
	g_assert_cmpint (server->tcp, ==, tcp);
}

static void
test_full (void)
{
	static const char *const data[] = {
		"interface-name", "cunicu0",
		"listen-port", "51820",
		"addresses", "10.0.0.1/24, fd00::1/64",
		"mtu", "1380",
		"private-key-flags", "1",
		"wireguard-backend", "userspace",
		"proxy-mode", "nftables",
		"peer.0.public-key", PUB1,
		"peer.0.allowed-ips", "10.0.0.2/32,fd00::2/128",
		"peer.0.endpoint", "vpn.example.org:51820",
		"peer.0.persistent-keepalive", "25",
		"peer.0.label", "Bob's laptop",
		"peer.0.preshared-key-flags", "0",
		"peer.1.public-key", PUB2,
		"peer.1.allowed-ips", "0.0.0.0/0, ::/0",
		"peer.1.endpoint", "[2001:db8::1]:4500",
		"peer.2.public-key", PUB3,
		"peer.2.endpoint", "192.0.2.10:65535",
		"signaling-url", "mqtts://broker.example.org:8884",
		"signaling-username", "alice",
		"signaling-password-flags", "2",
		"signaling-topic-prefix", "corp/mesh",
		"signaling-ca-file", "/etc/ssl/certs/ca.pem",
		"ice-servers", "stun:stun.example.org, turn:turn.example.org:3479?transport=tcp,"
		               "turns:[2001:db8::3],turn:192.0.2.7?transport=udp",
		"ice-username", "alice",
		"ice-password-flags", "0",
		"ice-candidate-types", "relay, host",
		"ice-interfaces-exclude", "docker*, veth?,br-[0-9a-f]*",
		"ice-port-range", "50000-50100",
		NULL
	};
	static const char *const secrets[] = {
		"private-key", PRIV0,
		"peer.0.preshared-key", PSK0,
		"signaling-password", "mqtt pass",
		"ice-password", "turn-pass",
		NULL
	};
	static const char *const addresses[] = { "10.0.0.1/24", "fd00::1/64", NULL };
	static const char *const ips0[] = { "10.0.0.2/32", "fd00::2/128", NULL };
	static const char *const ips1[] = { "0.0.0.0/0", "::/0", NULL };
	static const char *const none[] = { NULL };
	static const char *const globs[] = { "docker*", "veth?", "br-[0-9a-f]*", NULL };
	g_autoptr (NcuProfile) p = profile_from (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS);
	NcuPeerConfig *peer;

	g_assert_cmpstr (p->interface_name, ==, "cunicu0");
	g_assert_cmpuint (p->listen_port, ==, 51820);
	g_assert_false (p->addresses_auto);
	assert_cidrs (p->addresses, addresses);
	g_assert_cmpuint (p->mtu, ==, 1380);
	assert_key (p->private_key, PRIV0);
	g_assert_cmpint (p->wireguard_backend, ==, NCU_WG_BACKEND_USERSPACE);
	g_assert_cmpint (p->proxy_mode, ==, NCU_PROXY_MODE_NFTABLES);

	g_assert_cmpuint (p->peers->len, ==, 3);
	peer = p->peers->pdata[0];
	assert_key (peer->public_key, PUB1);
	assert_cidrs (peer->allowed_ips, ips0);
	g_assert_cmpstr (peer->endpoint_host, ==, "vpn.example.org");
	g_assert_cmpuint (peer->endpoint_port, ==, 51820);
	g_assert_cmpuint (peer->persistent_keepalive, ==, 25);
	g_assert_cmpstr (peer->label, ==, "Bob's laptop");
	g_assert_true (peer->has_preshared_key);
	assert_key (peer->preshared_key, PSK0);
	peer = p->peers->pdata[1];
	g_assert_cmpuint (peer->index, ==, 1);
	assert_key (peer->public_key, PUB2);
	assert_cidrs (peer->allowed_ips, ips1);
	g_assert_cmpstr (peer->endpoint_host, ==, "2001:db8::1");
	g_assert_cmpuint (peer->endpoint_port, ==, 4500);
	g_assert_false (peer->has_preshared_key);
	peer = p->peers->pdata[2];
	g_assert_cmpuint (peer->index, ==, 2);
	assert_cidrs (peer->allowed_ips, none);
	g_assert_cmpstr (peer->endpoint_host, ==, "192.0.2.10");
	g_assert_cmpuint (peer->endpoint_port, ==, 65535);

	g_assert_cmpstr (p->signaling_url, ==, "mqtts://broker.example.org:8884");
	g_assert_cmpstr (p->signaling_host, ==, "broker.example.org");
	g_assert_cmpuint (p->signaling_port, ==, 8884);
	g_assert_true (p->signaling_tls);
	g_assert_cmpstr (p->signaling_username, ==, "alice");
	g_assert_cmpstr (p->signaling_password, ==, "mqtt pass");
	g_assert_cmpstr (p->signaling_topic_prefix, ==, "corp/mesh");
	g_assert_cmpstr (p->signaling_ca_file, ==, "/etc/ssl/certs/ca.pem");

	g_assert_cmpuint (p->ice_servers->len, ==, 4);
	assert_ice_server (p->ice_servers->pdata[0], NCU_ICE_SERVER_STUN, "stun.example.org", 3478, FALSE);
	assert_ice_server (p->ice_servers->pdata[1], NCU_ICE_SERVER_TURN, "turn.example.org", 3479, TRUE);
	assert_ice_server (p->ice_servers->pdata[2], NCU_ICE_SERVER_TURNS, "2001:db8::3", 5349, TRUE);
	assert_ice_server (p->ice_servers->pdata[3], NCU_ICE_SERVER_TURN, "192.0.2.7", 3478, FALSE);
	g_assert_cmpstr (p->ice_username, ==, "alice");
	g_assert_cmpstr (p->ice_password, ==, "turn-pass");
	g_assert_cmpint (p->ice_candidate_types, ==, NCU_CANDIDATE_HOST | NCU_CANDIDATE_RELAY);
	g_assert_cmpstrv (p->ice_interfaces_exclude, globs);
	g_assert_cmpuint (p->ice_port_min, ==, 50000);
	g_assert_cmpuint (p->ice_port_max, ==, 50100);
}

static void
test_ipv6_only (void)
{
	static const char *const data[] = {
		"addresses", "fd00::1/64",
		"peer.0.public-key", PUB1,
		"peer.0.allowed-ips", "::/0",
		"peer.0.endpoint", "[2001:db8::1]:51820",
		"signaling-url", "mqtt://[2001:db8::2]",
		"ice-servers", "stun:[2001:db8::3]:3480",
		NULL
	};
	static const char *const secrets[] = { "private-key", PRIV0, NULL };
	static const char *const addresses[] = { "fd00::1/64", NULL };
	static const char *const ips[] = { "::/0", NULL };
	g_autoptr (NcuProfile) p = profile_from (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS);
	NcuPeerConfig *peer = p->peers->pdata[0];

	g_assert_false (p->addresses_auto);
	assert_cidrs (p->addresses, addresses);
	assert_cidrs (peer->allowed_ips, ips);
	g_assert_cmpint (g_array_index (peer->allowed_ips, NcuCidr, 0).family, ==, AF_INET6);
	g_assert_cmpstr (peer->endpoint_host, ==, "2001:db8::1");
	g_assert_cmpstr (p->signaling_host, ==, "2001:db8::2");
	g_assert_cmpuint (p->signaling_port, ==, 1883);
	g_assert_false (p->signaling_tls);
	assert_ice_server (p->ice_servers->pdata[0], NCU_ICE_SERVER_STUN, "2001:db8::3", 3480, FALSE);
}

/* Time-limited TURN credentials: a shared secret instead of a password. */
static void
test_ice_auth_secret (void)
{
	static const char *const data[] = {
		"peer.0.public-key", PUB1,
		"ice-servers", "turn:turn.example.org",
		"ice-username", "alice",
		"ice-auth-secret-flags", "0",
		"ice-auth-lifetime", "600",
		/* Left behind by the editor when the password was "ask". */
		"ice-password-flags", "2",
		NULL
	};
	static const char *const secrets[] = {
		"private-key", PRIV0, "ice-auth-secret", "coturn static secret", NULL
	};
	g_autoptr (NcuProfile) p = profile_from (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS);

	g_assert_cmpstr (p->ice_username, ==, "alice");
	g_assert_null (p->ice_password);
	g_assert_cmpstr (p->ice_auth_secret, ==, "coturn static secret");
	g_assert_cmpuint (p->ice_auth_lifetime, ==, 600);
}

/* The editor and import validate without secrets. */
static void
test_without_secrets (void)
{
	static const char *const data[] = {
		"peer.0.public-key", PUB1, "private-key-flags", "2", "signaling-url", "mqtts://b.example", NULL
	};
	g_autoptr (NcuProfile) p = profile_from (data, NULL, NCU_VALIDATE_DEFAULT);

	g_assert_false (p->has_private_key);
	g_assert_cmpuint (p->signaling_port, ==, 8883);
	g_assert_true (p->signaling_tls);
}

/* NCU_MAX_PEERS peers, each its own key. */
static void
test_many_peers (void)
{
	g_autoptr (GHashTable) data = table_new (NULL);
	g_autoptr (GHashTable) secrets = table_new ((const char *const[]) { "private-key", PRIV0, NULL });
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuProfile) p = NULL;
	g_autofree guint8 *keys = g_malloc (NCU_MAX_PEERS * NCU_KEY_LEN);
	guint i;

	for (i = 0; i < NCU_MAX_PEERS; i++) {
		guint8 private_key[NCU_KEY_LEN];

		memset (private_key, 0x5a, sizeof private_key);
		/* Bytes 1 and 2: clamping clears bits of byte 0. */
		private_key[1] = i & 0xff;
		private_key[2] = i >> 8;
		ncu_key_public_from_private (private_key, keys + i * NCU_KEY_LEN);
		g_hash_table_insert (data, g_strdup_printf ("peer.%u.public-key", i),
		                     ncu_key_to_base64 (keys + i * NCU_KEY_LEN));
		g_hash_table_insert (data, g_strdup_printf ("peer.%u.allowed-ips", i),
		                     g_strdup_printf ("10.%u.%u.0/24", i >> 8, i & 0xff));
	}
	p = ncu_profile_new (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (p->peers->len, ==, NCU_MAX_PEERS);
	for (i = 0; i < NCU_MAX_PEERS; i++) {
		NcuPeerConfig *peer = p->peers->pdata[i];
		g_autofree char *ip = ncu_cidr_to_string (&g_array_index (peer->allowed_ips, NcuCidr, 0));
		g_autofree char *expected = g_strdup_printf ("10.%u.%u.0/24", i >> 8, i & 0xff);

		g_assert_cmpuint (peer->index, ==, i);
		g_assert_cmpmem (peer->public_key, NCU_KEY_LEN, keys + i * NCU_KEY_LEN, NCU_KEY_LEN);
		g_assert_cmpstr (ip, ==, expected);
	}
}

static void
test_cidr_round_trip (void)
{
	static const char *const canonical[] = {
		"10.0.0.1/24", "0.0.0.0/0", "255.255.255.255/32", "192.168.1.77/16",
		"fd00::1/64", "::/0", "2001:db8::/32", "::ffff:192.0.2.1/128", "fe80::1:2:3:4/10",
	};
	static const struct { const char *in, *out; } normalized[] = {
		{ "10.0.0.1", "10.0.0.1/32" },
		{ "fd00::1", "fd00::1/128" },
		{ "FD00:0:0::0001/64", "fd00::1/64" },
	};
	static const char *const bad[] = {
		"", "/24", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/ 8", "10.0.0/8", "fd00::1/129",
		"fd00::1/-1", "10.0.0.1/08", "10.0.0.1/8/8", "fd00:::1/64", "localhost/8", " 10.0.0.1/8",
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS (canonical); i++) {
		NcuCidr cidr;
		g_autofree char *text = NULL;

		g_assert_true (ncu_cidr_parse (canonical[i], &cidr));
		text = ncu_cidr_to_string (&cidr);
		g_assert_cmpstr (text, ==, canonical[i]);
	}
	for (i = 0; i < G_N_ELEMENTS (normalized); i++) {
		NcuCidr cidr;
		g_autofree char *text = NULL;

		g_assert_true (ncu_cidr_parse (normalized[i].in, &cidr));
		text = ncu_cidr_to_string (&cidr);
		g_assert_cmpstr (text, ==, normalized[i].out);
	}
	for (i = 0; i < G_N_ELEMENTS (bad); i++) {
		NcuCidr cidr;

		g_test_message ("bad CIDR %s", bad[i]);
		g_assert_false (ncu_cidr_parse (bad[i], &cidr));
	}
}

static void
test_key_round_trip (void)
{
	static const char *const keys[] = {
		PRIV0, PUB0, PRIV1, PUB1, PRIV2, PUB2, PRIV3, PUB3, PRIV4, PUB4, PRIV5, PUB5, PSK0,
	};
	guint8 key[NCU_KEY_LEN];
	g_autofree char *url = NULL;
	guint i;

	for (i = 0; i < G_N_ELEMENTS (keys); i++) {
		g_autofree char *text = NULL;

		g_assert_true (ncu_key_from_base64 (keys[i], key));
		text = ncu_key_to_base64 (key);
		g_assert_cmpstr (text, ==, keys[i]);
	}
	for (i = 0; i < 100; i++) {
		guint8 back[NCU_KEY_LEN];
		g_autofree char *text = NULL;
		guint j;

		for (j = 0; j < NCU_KEY_LEN; j++)
			key[j] = (guint8) g_test_rand_int_range (0, 256);
		text = ncu_key_to_base64 (key);
		g_assert_cmpuint (strlen (text), ==, 44);
		g_assert_true (ncu_key_from_base64 (text, back));
		g_assert_cmpmem (key, NCU_KEY_LEN, back, NCU_KEY_LEN);
	}
	g_assert_true (ncu_key_from_base64 (PUB0, key));
	url = ncu_key_to_base64url (key);
	g_assert_cmpstr (url, ==, PUB0_URL);
	g_assert_false (ncu_key_from_base64 (PUB0_URL, key));
	g_assert_false (ncu_key_from_base64 ("", key));
	g_assert_false (ncu_key_from_base64 (PUB0 " ", key));
	g_assert_false (ncu_key_from_base64 (" " PUB0, key));
}

/* Public keys match what wg pubkey printed for the same private keys. */
static void
test_public_from_private (void)
{
	static const char *const pairs[][2] = {
		{ PRIV0, PUB0 }, { PRIV1, PUB1 }, { PRIV2, PUB2 },
		{ PRIV3, PUB3 }, { PRIV4, PUB4 }, { PRIV5, PUB5 },
	};
	guint i;

	for (i = 0; i < G_N_ELEMENTS (pairs); i++) {
		guint8 private_key[NCU_KEY_LEN], public_key[NCU_KEY_LEN];

		g_assert_true (ncu_key_from_base64 (pairs[i][0], private_key));
		ncu_key_public_from_private (private_key, public_key);
		assert_key (public_key, pairs[i][1]);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/profile/minimal", test_minimal);
	g_test_add_func ("/profile/full", test_full);
	g_test_add_func ("/profile/ice-auth-secret", test_ice_auth_secret);
	g_test_add_func ("/profile/ipv6-only", test_ipv6_only);
	g_test_add_func ("/profile/without-secrets", test_without_secrets);
	g_test_add_func ("/profile/many-peers", test_many_peers);
	g_test_add_func ("/profile/cidr-round-trip", test_cidr_round_trip);
	g_test_add_func ("/profile/key-round-trip", test_key_round_trip);
	g_test_add_func ("/profile/public-from-private", test_public_from_private);
	return g_test_run ();
}
