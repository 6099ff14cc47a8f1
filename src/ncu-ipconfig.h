/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the service tells NetworkManager about the tunnel: the Config,
 * Ip4Config and Ip6Config dictionaries of the VPN plugin D-Bus API.
 * NetworkManager then owns the addresses, routes, DNS and MTU.
 */
#ifndef NCU_IPCONFIG_H
#define NCU_IPCONFIG_H

#include <glib.h>
#include "ncu-profile.h"

typedef struct {
	gboolean has_addr4, has_addr6;
	NcuCidr addr4, addr6;        /* our tunnel addresses */
	GArray *routes4, *routes6;   /* of NcuCidr: the peers' allowed IPs */
	gboolean default4, default6; /* a peer carries a default route */
	gboolean has_gateway;
	NcuCidr gateway;             /* the broker's or a peer's underlay address */
} NcuIpPlan;

/*
 * Works out addresses and routes from the profile. With addresses=auto our
 * address and every peer's /128 come from ncu-addr. @own_public is our
 * WireGuard public key.
 */
void ncu_ipplan_init (NcuIpPlan *plan, const NcuProfile *profile,
                      const guint8 own_public[NCU_KEY_LEN]);
void ncu_ipplan_clear (NcuIpPlan *plan);
/* Sets the external gateway NetworkManager pins a host route to. */
void ncu_ipplan_set_gateway (NcuIpPlan *plan, const NcuCidr *gateway);

GVariant *ncu_ipconfig_build_config (const NcuIpPlan *plan, const char *tundev, guint mtu);
GVariant *ncu_ipconfig_build_ip4 (const NcuIpPlan *plan);
GVariant *ncu_ipconfig_build_ip6 (const NcuIpPlan *plan);

/* Every allowed IP of @peer, including its auto address when the
 * profile uses addresses=auto. Returns an array of NcuCidr. */
GArray *ncu_ipplan_peer_allowed_ips (const NcuProfile *profile,
                                     const NcuPeerConfig *peer);

#endif /* NCU_IPCONFIG_H */
