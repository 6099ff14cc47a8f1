/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the service reports to NetworkManager for a given profile. */
#include "config.h"

#include <arpa/inet.h>
#include <NetworkManager.h>

#include "ncu-addr.h"
#include "ncu-ipconfig.h"

#define PRIV  "MMHu9T02j4lLHintG3R1kQit1Na//pAroePNEMqEl1E="
#define PUB   "J5XxWwFyEy1XqEBdopUyFQA8Dm+ZLdmTE4tQ/Sp0YEE="
#define PEER1 "1MFGj030rdvv3C1Bg44SSHW3yMa1OIefoq1s0XhjBho="
#define PEER2 "bTCYONwY5wXGKWIXptyvrJVMkbgM8zCnhc1L9rYllEc="

static NcuProfile *
make_profile (const char *const *kv)
{
	g_autoptr (GHashTable) data = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (GHashTable) secrets = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (GError) error = NULL;
	NcuProfile *profile;

	g_hash_table_insert (secrets, (char *) "private-key", (char *) PRIV);
	for (guint i = 0; kv[i]; i += 2)
		g_hash_table_insert (data, (char *) kv[i], (char *) kv[i + 1]);
	profile = ncu_profile_new (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS, &error);
	g_assert_no_error (error);
	return profile;
}

static void
own_public (const NcuProfile *profile, guint8 pub[NCU_KEY_LEN])
{
	ncu_key_public_from_private (profile->private_key, pub);
}

static void
test_static_addresses (void)
{
	const char *kv[] = {
		"addresses", "10.7.0.1/24,fd00::1/64",
		"peer.0.public-key", PEER1, "peer.0.allowed-ips", "10.7.0.2/32,192.168.50.0/24",
		"peer.1.public-key", PEER2, "peer.1.allowed-ips", "fd00::2/128",
		NULL
	};
	g_autoptr (NcuProfile) profile = make_profile (kv);
	g_autoptr (GVariant) config = NULL, ip4 = NULL, ip6 = NULL;
	g_autoptr (GVariant) routes = NULL;
	guint8 pub[NCU_KEY_LEN];
	NcuIpPlan plan;
	NcuCidr gw;
	guint32 u, addr;
	gboolean b;
	const char *s;

	own_public (profile, pub);
	ncu_ipplan_init (&plan, profile, pub);
	g_assert_true (plan.has_addr4 && plan.has_addr6);
	g_assert_true (ncu_cidr_parse ("203.0.113.1", &gw));
	ncu_ipplan_set_gateway (&plan, &gw);

	config = g_variant_ref_sink (ncu_ipconfig_build_config (&plan, "ncu-test", 1420));
	g_assert_true (g_variant_lookup (config, NM_VPN_PLUGIN_CONFIG_TUNDEV, "&s", &s));
	g_assert_cmpstr (s, ==, "ncu-test");
	g_assert_true (g_variant_lookup (config, NM_VPN_PLUGIN_CONFIG_MTU, "u", &u));
	g_assert_cmpuint (u, ==, 1420);
	g_assert_true (g_variant_lookup (config, NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY, "u", &u));
	g_assert_cmpuint (u, ==, inet_addr ("203.0.113.1"));
	g_assert_true (g_variant_lookup (config, NM_VPN_PLUGIN_CONFIG_HAS_IP4, "b", &b) && b);
	g_assert_true (g_variant_lookup (config, NM_VPN_PLUGIN_CONFIG_HAS_IP6, "b", &b) && b);

	ip4 = g_variant_ref_sink (ncu_ipconfig_build_ip4 (&plan));
	g_assert_true (g_variant_lookup (ip4, NM_VPN_PLUGIN_IP4_CONFIG_ADDRESS, "u", &addr));
	g_assert_cmpuint (addr, ==, inet_addr ("10.7.0.1"));
	g_assert_true (g_variant_lookup (ip4, NM_VPN_PLUGIN_IP4_CONFIG_PREFIX, "u", &u));
	g_assert_cmpuint (u, ==, 24);
	g_assert_true (g_variant_lookup (ip4, NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT, "b", &b) && b);
	routes = g_variant_lookup_value (ip4, NM_VPN_PLUGIN_IP4_CONFIG_ROUTES, G_VARIANT_TYPE ("aau"));
	g_assert_nonnull (routes);
	g_assert_cmpuint (g_variant_n_children (routes), ==, 2);

	ip6 = g_variant_ref_sink (ncu_ipconfig_build_ip6 (&plan));
	g_clear_pointer (&routes, g_variant_unref);
	routes = g_variant_lookup_value (ip6, NM_VPN_PLUGIN_IP6_CONFIG_ROUTES, G_VARIANT_TYPE ("a(ayuayu)"));
	g_assert_nonnull (routes);
	g_assert_cmpuint (g_variant_n_children (routes), ==, 1);
	ncu_ipplan_clear (&plan);
}

static void
test_default_route (void)
{
	const char *kv[] = {
		"addresses", "10.7.0.1/24",
		"peer.0.public-key", PEER1, "peer.0.allowed-ips", "0.0.0.0/0",
		NULL
	};
	g_autoptr (NcuProfile) profile = make_profile (kv);
	g_autoptr (GVariant) ip4 = NULL, config = NULL, routes = NULL;
	guint8 pub[NCU_KEY_LEN];
	NcuIpPlan plan;
	gboolean b;
	guint32 u;

	own_public (profile, pub);
	ncu_ipplan_init (&plan, profile, pub);
	g_assert_false (plan.has_addr6);
	config = g_variant_ref_sink (ncu_ipconfig_build_config (&plan, "x", 1420));
	/* No broker and no endpoint: a zero gateway, which NM 1.42 accepts. */
	g_assert_true (g_variant_lookup (config, NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY, "u", &u));
	g_assert_cmpuint (u, ==, 0);
	g_assert_true (g_variant_lookup (config, NM_VPN_PLUGIN_CONFIG_HAS_IP6, "b", &b) && !b);
	ip4 = g_variant_ref_sink (ncu_ipconfig_build_ip4 (&plan));
	g_assert_true (g_variant_lookup (ip4, NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT, "b", &b));
	g_assert_false (b);
	routes = g_variant_lookup_value (ip4, NM_VPN_PLUGIN_IP4_CONFIG_ROUTES, G_VARIANT_TYPE ("aau"));
	g_assert_cmpuint (g_variant_n_children (routes), ==, 0);
	ncu_ipplan_clear (&plan);
}

static void
test_auto_addresses (void)
{
	const char *kv[] = {
		"addresses", "auto",
		"peer.0.public-key", PEER1,
		NULL
	};
	g_autoptr (NcuProfile) profile = make_profile (kv);
	guint8 pub[NCU_KEY_LEN], peer_pub[NCU_KEY_LEN];
	g_autoptr (GArray) ips = NULL;
	NcuCidr mine, theirs, again, prefix;
	NcuIpPlan plan;

	own_public (profile, pub);
	ncu_ipplan_init (&plan, profile, pub);
	g_assert_false (plan.has_addr4);
	g_assert_true (plan.has_addr6);
	ncu_addr_auto (pub, 64, &mine);
	g_assert_cmpmem (plan.addr6.addr, 16, mine.addr, 16);
	g_assert_cmpuint (plan.addr6.prefix, ==, 64);

	/* Stable, inside the documented prefix, different per key. */
	g_assert_true (ncu_key_from_base64 (PEER1, peer_pub));
	ncu_addr_auto (peer_pub, 128, &theirs);
	ncu_addr_auto (peer_pub, 128, &again);
	g_assert_cmpmem (theirs.addr, 16, again.addr, 16);
	g_assert_true (memcmp (theirs.addr, mine.addr, 16) != 0);
	g_assert_true (ncu_cidr_parse (NCU_ADDR_AUTO_PREFIX, &prefix));
	g_assert_cmpmem (theirs.addr, 8, prefix.addr, 8);

	/* The peer's auto address is among its allowed IPs. */
	ips = ncu_ipplan_peer_allowed_ips (profile, g_ptr_array_index (profile->peers, 0));
	g_assert_cmpuint (ips->len, ==, 1);
	g_assert_cmpmem (g_array_index (ips, NcuCidr, 0).addr, 16, theirs.addr, 16);
	ncu_ipplan_clear (&plan);
}

int
main (int argc, char *argv[])
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/ipconfig/static-addresses", test_static_addresses);
	g_test_add_func ("/ipconfig/default-route", test_default_route);
	g_test_add_func ("/ipconfig/auto-addresses", test_auto_addresses);
	return g_test_run ();
}
