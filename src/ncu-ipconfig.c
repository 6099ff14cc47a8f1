/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <NetworkManager.h>

#include "ncu-addr.h"
#include "ncu-ipconfig.h"

GArray *
ncu_ipplan_peer_allowed_ips (const NcuProfile *profile, const NcuPeerConfig *peer)
{
	GArray *ips = g_array_new (FALSE, FALSE, sizeof (NcuCidr));

	g_array_append_vals (ips, peer->allowed_ips->data, peer->allowed_ips->len);
	if (profile->addresses_auto) {
		NcuCidr auto_ip;

		ncu_addr_auto (peer->public_key, 128, &auto_ip);
		g_array_append_val (ips, auto_ip);
	}
	return ips;
}

static void
plan_add_route (NcuIpPlan *plan, const NcuCidr *route)
{
	if (route->prefix == 0) {
		/* NetworkManager installs the default route itself when
		 * never-default is FALSE; a /0 route would duplicate it. */
		if (route->family == AF_INET)
			plan->default4 = TRUE;
		else
			plan->default6 = TRUE;
		return;
	}
	g_array_append_val (route->family == AF_INET ? plan->routes4 : plan->routes6, *route);
}

static void
plan_take_address (NcuIpPlan *plan, const NcuCidr *addr)
{
	if (addr->family == AF_INET && !plan->has_addr4) {
		plan->addr4 = *addr;
		plan->has_addr4 = TRUE;
	} else if (addr->family == AF_INET6 && !plan->has_addr6) {
		plan->addr6 = *addr;
		plan->has_addr6 = TRUE;
	} else {
		/* The VPN plugin API carries one address per family. */
		g_autofree char *s = ncu_cidr_to_string (addr);
		g_warning ("addresses: %s ignored, NetworkManager takes one address per family", s);
	}
}

void
ncu_ipplan_init (NcuIpPlan *plan, const NcuProfile *profile,
                 const guint8 own_public[NCU_KEY_LEN])
{
	memset (plan, 0, sizeof *plan);
	plan->routes4 = g_array_new (FALSE, FALSE, sizeof (NcuCidr));
	plan->routes6 = g_array_new (FALSE, FALSE, sizeof (NcuCidr));

	if (profile->addresses_auto) {
		NcuCidr own;

		ncu_addr_auto (own_public, 64, &own);
		plan_take_address (plan, &own);
	}
	for (guint i = 0; profile->addresses && i < profile->addresses->len; i++)
		plan_take_address (plan, &g_array_index (profile->addresses, NcuCidr, i));

	for (guint i = 0; i < profile->peers->len; i++) {
		const NcuPeerConfig *peer = g_ptr_array_index (profile->peers, i);
		g_autoptr (GArray) ips = ncu_ipplan_peer_allowed_ips (profile, peer);

		for (guint j = 0; j < ips->len; j++)
			plan_add_route (plan, &g_array_index (ips, NcuCidr, j));
	}
}

void
ncu_ipplan_clear (NcuIpPlan *plan)
{
	g_clear_pointer (&plan->routes4, g_array_unref);
	g_clear_pointer (&plan->routes6, g_array_unref);
}

void
ncu_ipplan_set_gateway (NcuIpPlan *plan, const NcuCidr *gateway)
{
	plan->gateway = *gateway;
	plan->has_gateway = TRUE;
}

static guint32
addr4_of (const NcuCidr *cidr)
{
	guint32 a;

	memcpy (&a, cidr->addr, 4);
	return a;
}

static GVariant *
bytes16 (const guint8 *addr)
{
	return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, addr, 16, 1);
}

GVariant *
ncu_ipconfig_build_config (const NcuIpPlan *plan, const char *tundev, guint mtu)
{
	GVariantBuilder b;

	g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_CONFIG_TUNDEV, g_variant_new_string (tundev));
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_CONFIG_MTU, g_variant_new_uint32 (mtu));
	/* NetworkManager 1.42 fails a VPN without a gateway. An all-zero IPv4
	 * gateway is accepted and pins no route: used when there is no
	 * broker and no static endpoint. */
	if (plan->has_gateway && plan->gateway.family == AF_INET6)
		g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY,
		                       bytes16 (plan->gateway.addr));
	else
		g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_CONFIG_EXT_GATEWAY,
		                       g_variant_new_uint32 (plan->has_gateway ? addr4_of (&plan->gateway) : 0));
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_CONFIG_HAS_IP4, g_variant_new_boolean (plan->has_addr4));
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_CONFIG_HAS_IP6, g_variant_new_boolean (plan->has_addr6));
	return g_variant_builder_end (&b);
}

GVariant *
ncu_ipconfig_build_ip4 (const NcuIpPlan *plan)
{
	GVariantBuilder b, routes;

	g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_ADDRESS,
	                       g_variant_new_uint32 (addr4_of (&plan->addr4)));
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_PREFIX,
	                       g_variant_new_uint32 (plan->addr4.prefix));
	g_variant_builder_init (&routes, G_VARIANT_TYPE ("aau"));
	for (guint i = 0; i < plan->routes4->len; i++) {
		const NcuCidr *r = &g_array_index (plan->routes4, NcuCidr, i);
		guint32 route[4] = { addr4_of (r), r->prefix, 0, 0 };

		g_variant_builder_add_value (&routes,
			g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, route, 4, sizeof (guint32)));
	}
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_ROUTES, g_variant_builder_end (&routes));
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_IP4_CONFIG_NEVER_DEFAULT,
	                       g_variant_new_boolean (!plan->default4));
	return g_variant_builder_end (&b);
}

GVariant *
ncu_ipconfig_build_ip6 (const NcuIpPlan *plan)
{
	static const guint8 no_next_hop[16];
	GVariantBuilder b, routes;

	g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_ADDRESS, bytes16 (plan->addr6.addr));
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_PREFIX,
	                       g_variant_new_uint32 (plan->addr6.prefix));
	g_variant_builder_init (&routes, G_VARIANT_TYPE ("a(ayuayu)"));
	for (guint i = 0; i < plan->routes6->len; i++) {
		const NcuCidr *r = &g_array_index (plan->routes6, NcuCidr, i);

		g_variant_builder_add (&routes, "(@ayu@ayu)", bytes16 (r->addr), (guint32) r->prefix,
		                       bytes16 (no_next_hop), (guint32) 0);
	}
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_ROUTES, g_variant_builder_end (&routes));
	g_variant_builder_add (&b, "{sv}", NM_VPN_PLUGIN_IP6_CONFIG_NEVER_DEFAULT,
	                       g_variant_new_boolean (!plan->default6));
	return g_variant_builder_end (&b);
}
