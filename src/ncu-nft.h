/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The in-kernel fast path (DESIGN.md section 6): while a peer's selected
 * ICE pair has a direct candidate on our side (host, server-reflexive, or
 * peer-reflexive on a host socket), WireGuard
 * sends and receives on its own socket and nftables rewrites ports, so the
 * data never passes through our process.
 *
 * One table per connection, "inet cunicu_<ifname>" (every character of the
 * interface name outside [A-Za-z0-9_] becomes '_'), created on the first
 * ncu_nft_set_peer(). Per peer it holds two rules, each with a counter:
 *   egress  (output, priority raw: before conntrack)
 *     ip daddr R udp sport W udp dport Pr  ->  udp sport set Pb
 *   ingress (prerouting, priority mangle: after conntrack)
 *     ip saddr R ip daddr B udp sport Pr udp dport Pb, not STUN
 *     (@th,96,32 != 0x2112a442)  ->  udp dport set W
 * with R:Pr the remote candidate, B:Pb our candidate's base (the ICE
 * socket) and W WireGuard's listen port (ip6 for IPv6 pairs). STUN keeps
 * reaching libnice, so consent freshness and restarts keep working. No
 * notrack: conntrack sees only the ICE flow, so a stateful host firewall
 * accepts WireGuard's packets as ESTABLISHED.
 *
 * Order of calls for the peer state machine:
 *   enter / pair changed: ncu_nft_set_peer(), then point the WireGuard
 *     endpoint at pair->remote (ncu_wg_set_peer_endpoint());
 *   leave: ncu_nft_remove_ingress(), then point the endpoint back at the
 *     proxy, then ncu_nft_remove_peer().  (Otherwise WireGuard keeps
 *     receiving the remote's packets on its own socket and roams its
 *     endpoint back to R:Pr, or sends from W unrewritten: the tunnel is
 *     lost.)
 *   disconnect: ncu_nft_free() (deletes the table).
 *
 * Every update is synchronous: one `nft -f -` run (an atomic transaction),
 * bounded by a timeout, with no other source of the caller's main context
 * dispatched meanwhile. Counters are read over netlink (no process).
 */
#ifndef NCU_NFT_H
#define NCU_NFT_H

#include <glib.h>
#include "ncu-ice.h"
#include "ncu-profile.h"

G_BEGIN_DECLS

#define NCU_NFT_ERROR (ncu_nft_error_quark ())
GQuark ncu_nft_error_quark (void);

typedef enum {
	NCU_NFT_ERROR_FAILED,
	NCU_NFT_ERROR_NOT_FOUND,      /* no nft program */
	NCU_NFT_ERROR_TIMEOUT,        /* nft did not finish in time (killed) */
	NCU_NFT_ERROR_REJECTED,       /* nft exited non-zero; message has its stderr */
	NCU_NFT_ERROR_INVALID_ARGUMENT, /* the pair cannot use the fast path */
	NCU_NFT_ERROR_NO_PEER,        /* no rules for this peer */
	NCU_NFT_ERROR_PROTOCOL,       /* nft's output was not understood */
} NcuNftError;

typedef struct _NcuNft NcuNft;

/* Per-peer counters of the two rules (what crossed the fast path). */
typedef struct {
	guint64 egress_packets, egress_bytes;
	guint64 ingress_packets, ingress_bytes;
	gboolean has_ingress;         /* FALSE after ncu_nft_remove_ingress() */
} NcuNftCounters;

/* Default bound for one nft run. */
#define NCU_NFT_TIMEOUT_MS 5000

/*
 * Nothing is run yet. The nft program is looked up in PATH, then /usr/sbin
 * and /sbin ($NCU_NFT overrides, for tests). @ifname is the tunnel's
 * interface name (1-15 characters).
 */
NcuNft *ncu_nft_new (const char *ifname);
/* Deletes the table if this object created it (errors are logged), frees. */
void ncu_nft_free (NcuNft *nft);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuNft, ncu_nft_free)

/* "cunicu_<ifname>", owned by @nft. */
const char *ncu_nft_get_table_name (NcuNft *nft);
/* Bound for each nft run (tests); 0 restores NCU_NFT_TIMEOUT_MS. */
void ncu_nft_set_timeout (NcuNft *nft, guint timeout_ms);

/* Whether the nft program exists (a cheap check; no run). */
gboolean ncu_nft_available (GError **error);

/*
 * Whether @pair can use the fast path: our candidate is host, srflx, or
 * prflx learned on a host socket (local_base_is_host: like srflx, it is a
 * NAT mapping of a real local socket whose base address and port the rules
 * use); the remote may be anything, even a relay; both ends of one family,
 * ports set. A relayed local candidate (or a prflx learned through TURN)
 * has no socket of ours to rewrite to: it stays on the proxy. @why
 * (optional) gets a static reason when not.
 */
gboolean ncu_nft_pair_qualifies (const NcuIceSelectedPair *pair, const char **why);

/*
 * Installs or replaces the two rules of @peer_key for @pair in one
 * transaction (creating the table first, after removing a stale one left
 * by a crashed process). Other peers' rules are not touched. Calling it
 * again with the same pair and port does nothing.
 */
gboolean ncu_nft_set_peer (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN], guint16 wg_port,
                           const NcuIceSelectedPair *pair, GError **error);
/* Deletes only the ingress rule (first step of leaving the fast path).
 * TRUE when there is none. */
gboolean ncu_nft_remove_ingress (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN], GError **error);
/* Deletes what is left of the peer's rules. TRUE when there is nothing. */
gboolean ncu_nft_remove_peer (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN], GError **error);
/* Whether rules for @peer_key are installed (as far as we know). */
gboolean ncu_nft_has_peer (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN]);

/* Reads the peer's counters back from the kernel: one netlink dump of the
 * table, no nft run, so status calls stay cheap. */
gboolean ncu_nft_get_counters (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN],
                               NcuNftCounters *counters, GError **error);

/* Deletes the whole table now (idempotent; TRUE when there is none). */
gboolean ncu_nft_delete_table (NcuNft *nft, GError **error);

G_END_DECLS

#endif /* NCU_NFT_H */
