/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which way one peer's WireGuard packets go (DESIGN.md section 6): through
 * the userspace proxy, or on the in-kernel fast path (ncu-nft.h), where
 * WireGuard talks to the remote candidate itself and nftables rewrites its
 * port to the ICE socket's. Part of the peer (ncu-peer.c), which tells it
 * what ICE does.
 *
 * The decision, per peer and per selected pair (proxy-mode):
 *   userspace: always the proxy; no nft table is ever made;
 *   nftables:  the fast path whenever the pair qualifies
 *              (ncu_nft_pair_qualifies: our candidate host, srflx,
 *              or prflx on a host socket);
 *   auto:      the same, when the nft program exists.
 * A relayed local candidate, a missing nft or a failed nft run keep the
 * proxy (with a log line and a reason in the status); the tunnel never
 * breaks over the fast path.
 *
 * WireGuard's handshake of every ICE session crosses the proxy: its
 * initiator logic (one side initiates, the first initiation is repeated
 * until answered; see ncu-proxy.c) cannot act on packets that never reach
 * us. The peer moves to the fast path once WireGuard reports a handshake
 * completed in this session (its last-handshake time changed): then both
 * WireGuards hold the new keys and the remote's ICE agent takes data on
 * the pair, so nothing of the handshake is lost to the switch. (Switching
 * as soon as the responder had received the initiation let its own
 * WireGuard's initiations out on the fast path, where nothing drops them as
 * the proxy does; they crossed the remote's and the handshake stalled for
 * over 10 s in the test bed.)
 * On a fresh start that is one or two round trips after ICE connects; the
 * first ping crosses the proxy, the following ones the fast path.
 *
 * Order of the switches (see ncu-nft.h for why):
 *   enter/pair changed: ncu_nft_set_peer(), then the endpoint to the remote;
 *   leave: ingress rule off, endpoint back to the proxy, rest of the rules.
 */
#ifndef NCU_PEER_PATH_H
#define NCU_PEER_PATH_H

#include <glib.h>
#include "ncu-ice.h"
#include "ncu-nft.h"
#include "ncu-profile.h"
#include "ncu-proxy.h"
#include "ncu-wg.h"

typedef struct _NcuPeerPath NcuPeerPath;

/* The connection's nft table: made on the first call, kept by the tunnel. */
typedef NcuNft *(*NcuPeerPathNftFunc) (gpointer user_data);

/* All borrowed; everything outlives the path. */
typedef struct {
	NcuWg *wg;
	guint16 wg_port;
	const guint8 *peer_key;          /* NCU_KEY_LEN bytes */
	const char *name;                /* for logs */
	NcuProxyMode mode;
	NcuIce *ice;
	NcuProxy *proxy;
	NcuPeerPathNftFunc get_nft;
	gpointer user_data;
} NcuPeerPathEnv;

/* Starts on the proxy (the WireGuard peer already points at it). */
NcuPeerPath *ncu_peer_path_new (const NcuPeerPathEnv *env);
/* ICE connected, or a (new) pair was selected: enter, move or leave the
 * fast path as the pair and WireGuard's state allow. */
void ncu_peer_path_update (NcuPeerPath *path);
/* ICE failed, or a new session replaces the pair (@why, for the log): back
 * to the proxy now, before the ICE socket goes away. */
void ncu_peer_path_reset (NcuPeerPath *path, const char *why);
/* A new ICE session starts (after any change to the WireGuard peer): from
 * now on, what WireGuard accepts from the remote counts as heard. */
void ncu_peer_path_begin (NcuPeerPath *path);
/* Adds "proxy" ("nftables" or "userspace"), "proxy-mode", the reason the
 * fast path is not used ("fast-path-reason") and, on the fast path, the
 * rules' counters ("nft-egress-packets", "nft-egress-bytes",
 * "nft-ingress-packets", "nft-ingress-bytes"; since it was last entered). */
void ncu_peer_path_add_status (NcuPeerPath *path, GVariantBuilder *builder);
/* Stops polling; touches neither nft nor WireGuard (the tunnel deletes the
 * table and the device after its peers). */
void ncu_peer_path_free (NcuPeerPath *path);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuPeerPath, ncu_peer_path_free)

/* "auto", "userspace" or "nftables". */
const char *ncu_peer_path_mode_to_string (NcuProxyMode mode);

#endif /* NCU_PEER_PATH_H */
