/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One peer reached through ICE: its ICE session, its UDP proxy and the
 * offer/answer state machine of DESIGN.md section 4.
 *
 * Sessions. Each ICE session of ours has a random id. An offer says which
 * of the remote's sessions it was built against (0: a fresh start or a
 * self-initiated restart). On an offer from a new remote session:
 *   - built against our current session: it answers us, apply it;
 *   - otherwise start a new session of ours built against it, except when
 *     we are controlling and our own fresh session is still unanswered
 *     (glare): keep ours and wait for the answer;
 *   - the controlling side answers only fresh offers (built against
 *     nothing): one built against a stale session of ours makes it start a
 *     fresh session, which the controlled side answers. Answering it would
 *     let a restarted controlled peer and us answer each other's stale
 *     sessions forever.
 * Both sides restarting at once thus settle on the controlling side's
 * session without ping-pong.
 *
 * WireGuard's handshake: the controlling side initiates it when ICE
 * connects; at every session after the first it also drops its WireGuard
 * session with the peer first, so that initiation is a real handshake even
 * when the remote's WireGuard restarted (and not a keepalive under keys the
 * remote lost).
 *
 * Data path: the proxy, or the nftables fast path once ICE is connected
 * on a pair that allows it (ncu-peer-path.h). Every ICE failure and every
 * new session goes back to the proxy first.
 *
 * Liveness: while ICE is connected, a watchdog (ncu-liveness.h) notices a
 * pair that silently stopped carrying data (WireGuard unanswered, probe
 * unanswered: about 3 s) and starts a fresh session at once, as a
 * self-initiated restart, make-before-break: the old pair keeps carrying
 * WireGuard's packets (proxy and fast path alike) until the new session
 * connects, since it may revive first (NATs that forgot their mappings
 * often broke the broker's TCP connection too, so the new offer can take
 * a while). libnice's consent freshness stays as the slower net.
 */
#ifndef NCU_PEER_H
#define NCU_PEER_H

#include <glib.h>
#include "ncu-liveness.h"
#include "ncu-peer-path.h"
#include "ncu-profile.h"
#include "ncu-signal-payload.h"
#include "ncu-wg.h"

typedef struct _NcuPeer NcuPeer;

/* What a peer borrows from its tunnel; all of it outlives the peer. */
typedef struct {
	const NcuProfile *profile;
	NcuWg *wg;
	guint16 wg_port;                  /* WireGuard's bound listen port */
	guint8 own_public[NCU_KEY_LEN];
	const char *tunnel_ifname;        /* never gathered on */
	/* Sends @payload to the peer (sealed, retained). The peer fills type,
	 * sessions and ICE fields; the signaling layer the rest. */
	gboolean (*publish) (const guint8 peer_key[NCU_KEY_LEN],
	                     const NcuSignalPayload *payload, gpointer user_data);
	/* Optional: the broker connection may have died silently with a NAT
	 * mapping (the path to @peer_name went silent); see
	 * ncu_signal_check_connection(). */
	void (*check_signaling) (const char *peer_name, gpointer user_data);
	/* The connection's nft table (made on first use); NULL only with
	 * proxy-mode=userspace. */
	NcuPeerPathNftFunc get_nft;
	/* The tunnel's liveness monitor; NULL: no watchdog. */
	NcuLivenessMonitor *liveness;
	gpointer user_data;
} NcuPeerEnv;

/* Sets up the ICE session and the proxy, and points the WireGuard peer at
 * the proxy. Nothing is sent before ncu_peer_start(). */
NcuPeer *ncu_peer_new (const NcuPeerEnv *env, const NcuPeerConfig *config, GError **error);
/* Gathers and publishes the first offer. */
void ncu_peer_start (NcuPeer *peer);
/* A message from this peer, already authenticated and replay-checked. */
void ncu_peer_handle_payload (NcuPeer *peer, const NcuSignalPayload *payload);
/* Signaling (re)connected: publish our current offer again. */
void ncu_peer_republish (NcuPeer *peer);
/* Starts a fresh ICE session now (new id and credentials, a new offer),
 * e.g. because the underlay changed (@why, for the log). Nothing before
 * ncu_peer_start(). */
void ncu_peer_restart (NcuPeer *peer, const char *why);
/* A restart is waiting out its back-off (ICE failed, gathering found no
 * address): do it now, e.g. because the network is back. */
void ncu_peer_retry_now (NcuPeer *peer);
const guint8 *ncu_peer_get_public_key (NcuPeer *peer);
/* a{sv} for the status API; @wg_info may be NULL. */
GVariant *ncu_peer_get_status (NcuPeer *peer, const NcuWgPeerInfo *wg_info);
void ncu_peer_free (NcuPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuPeer, ncu_peer_free)

#endif /* NCU_PEER_H */
