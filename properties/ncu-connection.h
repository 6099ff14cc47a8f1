/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between an NMConnection and the NcuWgConf that import and export work on:
 * vpn.data and vpn.secrets as they are, DNS servers split by family into
 * ipv4.dns / ipv6.dns, search domains into both ipv4.dns-search and
 * ipv6.dns-search (a VPN may carry only one family), and the wg-quick Table
 * as ipvX.ignore-auto-routes (off) or ipvX.route-table (a number).
 */
#ifndef NCU_CONNECTION_H
#define NCU_CONNECTION_H

#include <NetworkManager.h>
#include "ncu-wgconf.h"

/* A new VPN connection of our service type named @id, normalized. */
NMConnection *ncu_connection_from_wgconf (const NcuWgConf *conf, const char *id,
                                          GError **error);

/* Fails unless @connection is a VPN connection of our service type. The
 * secrets present in @connection are copied (and wiped when freed). */
NcuWgConf *ncu_connection_to_wgconf (NMConnection *connection, GError **error);

#endif /* NCU_CONNECTION_H */
