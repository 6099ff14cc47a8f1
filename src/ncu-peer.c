/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>

#include "ncu-ice.h"
#include "ncu-ipconfig.h"
#include "ncu-liveness-probe.h"
#include "ncu-peer.h"
#include "ncu-peer-rules.h"
#include "ncu-proxy.h"

/* ICE restarts after a failure back off from 1 s, doubling to 30 s; the
 * first after a connected session is immediate (jittered by 100 ms). */
#define RESTART_DELAY_MIN_MS 1000
#define RESTART_JITTER_MIN_MS 100
#define RESTART_DELAY_MAX_MS 30000
/* How long the non-initiating side waits for the remote's handshake
 * before it sends WireGuard's own (see ncu_proxy_set_initiator). The
 * controlling side kicks its handshake when its own ICE connects, which
 * on a loaded machine can come a second or more after ours; the grace
 * only matters when that kick failed, and WireGuard would retry after 5 s
 * anyway. */
#define HANDSHAKE_GRACE_MS 3000

struct _NcuPeer {
	NcuPeerEnv env;
	const NcuPeerConfig *config;     /* borrowed from env.profile */
	char *name;                      /* label or short key, for logs */
	gboolean controlling;

	NcuIce *ice;
	NcuProxy *proxy;
	NcuPeerPath *path;               /* proxy or fast path */
	NcuLiveness *liveness;           /* the watchdog; NULL without a monitor */

	NcuPeerRules rules;              /* ours, the one answered, the remote's */
	gboolean gathered;
	gboolean kept_path;              /* the session was started keeping the old pair */
	NcuSignalPayload *offer;         /* our current offer, for republishing */

	guint restart_delay_ms;
	guint restart_source;
	guint restarts;
	guint turn_refresh_source;       /* time-limited TURN credentials due */
	guint turn_renewals;
};

static void peer_new_session (NcuPeer *peer, const NcuSignalPayload *against);
static void peer_new_session_keeping_path (NcuPeer *peer);

static char *
peer_display_name (const NcuPeerConfig *config)
{
	if (config->label)
		return g_strdup (config->label);
	return ncu_wg_key_short (config->public_key);
}

/* ---- WireGuard side ---- */

static gboolean
peer_configure_wg (NcuPeer *peer, GError **error)
{
	g_autoptr (GArray) ips = ncu_ipplan_peer_allowed_ips (peer->env.profile, peer->config);
	NcuWgPeer wp = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *) &wp.endpoint;
	gboolean ok;

	memcpy (wp.public_key, peer->config->public_key, NCU_KEY_LEN);
	wp.has_preshared_key = peer->config->has_preshared_key;
	memcpy (wp.preshared_key, peer->config->preshared_key, NCU_KEY_LEN);
	/* The proxy's socket is already bound, so WireGuard's first
	 * handshake towards it is not lost. */
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
	sin->sin_port = htons (ncu_proxy_get_port (peer->proxy));
	wp.persistent_keepalive = peer->config->persistent_keepalive;
	wp.allowed_ips = ips;
	wp.replace_allowed_ips = TRUE;
	ok = ncu_wg_set_peer (peer->env.wg, &wp, error);
	sodium_memzero (wp.preshared_key, sizeof wp.preshared_key);
	return ok;
}

/* Makes WireGuard send a keepalive now: turning persistent keepalive on
 * sends one at once, and with no session yet it starts a handshake. Only
 * the initiating side does this, so the two handshakes never collide. */
static void
peer_kick_handshake (NcuPeer *peer)
{
	guint16 keepalive = peer->config->persistent_keepalive;
	NcuWgPeer wp = { 0 };
	g_autoptr (GError) error = NULL;

	memcpy (wp.public_key, peer->config->public_key, NCU_KEY_LEN);
	wp.has_preshared_key = peer->config->has_preshared_key;
	memcpy (wp.preshared_key, peer->config->preshared_key, NCU_KEY_LEN);
	wp.endpoint.ss_family = AF_UNSPEC;
	wp.persistent_keepalive = 0;
	if (keepalive && !ncu_wg_set_peer (peer->env.wg, &wp, &error))
		goto out;
	wp.persistent_keepalive = keepalive ? keepalive : 1;
	if (!ncu_wg_set_peer (peer->env.wg, &wp, &error))
		goto out;
	if (!keepalive) {
		wp.persistent_keepalive = 0;
		ncu_wg_set_peer (peer->env.wg, &wp, &error);
	}
out:
	sodium_memzero (wp.preshared_key, sizeof wp.preshared_key);
	if (error)
		g_warning ("peer %s: cannot start the handshake: %s", peer->name, error->message);
}

/*
 * Forgets WireGuard's session with the peer (remove, add again), so the
 * kick on the next CONNECTED sends a handshake initiation. A new ICE
 * session often means a new WireGuard on the other side (it restarted):
 * with our old session still valid, the kick would only send a keepalive
 * under keys the remote no longer has, and WireGuard would start a new
 * handshake only 15 s later. Only the controlling side does this, so one
 * side initiates; the other answers whatever session it holds. Costs one
 * round trip per ICE session and resets the peer's transfer counters.
 */
static void
peer_reset_wg_session (NcuPeer *peer)
{
	g_autoptr (GError) error = NULL;
	NcuWgPeer wp = { 0 };

	memcpy (wp.public_key, peer->config->public_key, NCU_KEY_LEN);
	wp.remove = TRUE;
	if (!ncu_wg_set_peer (peer->env.wg, &wp, &error) || !peer_configure_wg (peer, &error))
		g_warning ("peer %s: cannot renew the WireGuard session: %s", peer->name, error->message);
}

/* ---- offers ---- */

static void
peer_publish (NcuPeer *peer)
{
	if (peer->offer && peer->env.publish)
		peer->env.publish (peer->config->public_key, peer->offer, peer->env.user_data);
}

static void
on_gathering_done (NcuIce *ice, const char *ufrag, const char *pwd,
                   const char *const *candidates, gpointer user_data)
{
	NcuPeer *peer = user_data;
	NcuSignalPayload *offer = ncu_peer_rules_offer_new (&peer->rules, ufrag, pwd, candidates);

	memcpy (offer->recipient, peer->config->public_key, NCU_KEY_LEN);
	g_clear_pointer (&peer->offer, ncu_signal_payload_free);
	peer->offer = offer;
	peer->gathered = TRUE;
	g_debug ("peer %s: session %016" G_GINT64_MODIFIER "x gathered %u candidate(s)",
	         peer->name, peer->rules.local_session, offer->candidates->len);
	peer_publish (peer);
}

static gboolean
peer_apply_remote (NcuPeer *peer, const NcuSignalPayload *offer)
{
	g_autoptr (GError) error = NULL;
	g_autofree const char **cands = g_new0 (const char *, offer->candidates->len + 1);

	for (guint i = 0; i < offer->candidates->len; i++)
		cands[i] = g_ptr_array_index (offer->candidates, i);
	if (!ncu_ice_set_remote (peer->ice, offer->ufrag, offer->pwd, cands, &error)) {
		g_warning ("peer %s: offer refused: %s", peer->name, error->message);
		return FALSE;
	}
	peer->rules.remote_session = offer->session_id;
	return TRUE;
}

/* ---- the liveness watchdog (ncu-liveness.h) ---- */

/* ICE connected: the session's passwords key the probes. */
static void
peer_watch (NcuPeer *peer)
{
	const char *local_ufrag, *local_pwd, *remote_ufrag, *remote_pwd;

	if (!peer->liveness)
		return;
	if (!ncu_ice_get_local_credentials (peer->ice, &local_ufrag, &local_pwd) ||
	    !ncu_ice_get_remote_credentials (peer->ice, &remote_ufrag, &remote_pwd))
		return;
	ncu_liveness_start (peer->liveness, local_pwd, remote_pwd);
}

static void
peer_unwatch (NcuPeer *peer)
{
	if (peer->liveness)
		ncu_liveness_stop (peer->liveness);
}

static gboolean
on_liveness_send (const guint8 *buf, gsize len, gpointer user_data)
{
	NcuPeer *peer = user_data;

	return ncu_ice_send (peer->ice, buf, len);
}

/* The selected pair went silent: a fresh session at once (the watchdog
 * holds off repeated restarts itself), keeping the old path meanwhile. */
static void
on_liveness_restart (gpointer user_data)
{
	NcuPeer *peer = user_data;

	peer->restarts++;
	peer_new_session_keeping_path (peer);
}

/* A NAT before us may have forgotten us: the broker's connection too. */
static void
on_liveness_suspect_nat (gpointer user_data)
{
	NcuPeer *peer = user_data;

	if (peer->env.check_signaling)
		peer->env.check_signaling (peer->name, peer->env.user_data);
}

static void
on_control_datagram (NcuIce *ice, guint8 *buf, gsize len, gpointer user_data)
{
	NcuPeer *peer = user_data;

	ncu_liveness_receive (peer->liveness, buf, len);
}

static void
peer_create_liveness (NcuPeer *peer)
{
	NcuLivenessEnv env = { 0 };

	if (!peer->env.liveness)
		return;
	env.peer_key = peer->config->public_key;
	env.name = peer->name;
	env.send = on_liveness_send;
	env.restart = on_liveness_restart;
	env.suspect_nat = on_liveness_suspect_nat;
	env.user_data = peer;
	peer->liveness = ncu_liveness_new (peer->env.liveness, &env);
	ncu_ice_set_control_func (peer->ice, ncu_liveness_probe_magic (), on_control_datagram, peer);
}

/* ---- ICE state ---- */

static void
peer_retry (NcuPeer *peer)
{
	peer->restarts++;
	g_message ("peer %s: restarting ICE (restart %u)", peer->name, peer->restarts);
	peer_new_session (peer, NULL);
}

static gboolean
on_restart_timeout (gpointer user_data)
{
	NcuPeer *peer = user_data;

	peer->restart_source = 0;
	peer_retry (peer);
	return G_SOURCE_REMOVE;
}

static void
peer_schedule_restart (NcuPeer *peer)
{
	guint delay = peer->restart_delay_ms;

	if (peer->restart_source)
		return;
	/* Jitter keeps a mesh that failed together from restarting in step. */
	delay += g_random_int_range (0, MAX (delay / 4, RESTART_JITTER_MIN_MS) + 1);
	peer->restart_source = g_timeout_add (delay, on_restart_timeout, peer);
	peer->restart_delay_ms = CLAMP (peer->restart_delay_ms * 2, RESTART_DELAY_MIN_MS,
	                                RESTART_DELAY_MAX_MS);
}

/* A session that kept the old path connected: what a new session does at
 * its start (see peer_new_session) happens now, on the new pair. The
 * controlling side renews WireGuard's session, and the handshake it then
 * starts is what the path waits for. The other side keeps the baseline it
 * took when the session started: that handshake may reach it before its
 * own ICE reports the pair, and a baseline taken now would wait for the
 * next one (two minutes later) before the fast path. */
static void
peer_leave_kept_path (NcuPeer *peer)
{
	peer->kept_path = FALSE;
	ncu_peer_path_reset (peer->path, "new ICE session");
	if (peer->controlling) {
		peer_reset_wg_session (peer);
		ncu_peer_path_begin (peer->path);
	}
}

static void
on_state_changed (NcuIce *ice, NcuIceState state, gpointer user_data)
{
	NcuPeer *peer = user_data;

	g_info ("peer %s: ICE %s", peer->name, ncu_ice_state_to_string (state));
	switch (state) {
	case NCU_ICE_STATE_CONNECTED:
		if (peer->kept_path)
			peer_leave_kept_path (peer);
		/* A working path that fails is retried at once: libnice already
		 * waited 10 s for consent. Back-off is for peers that stay away. */
		peer->restart_delay_ms = 0;
		/* The first handshake of a session crosses the proxy; the fast
		 * path follows once WireGuard hears from the remote. */
		ncu_proxy_set_ready (peer->proxy, TRUE);
		if (peer->controlling)
			peer_kick_handshake (peer);
		ncu_peer_path_update (peer->path);
		peer_watch (peer);
		break;
	case NCU_ICE_STATE_FAILED:
		peer_unwatch (peer);
		ncu_peer_path_reset (peer->path, "ICE failed");
		ncu_peer_path_begin (peer->path);
		ncu_proxy_set_ready (peer->proxy, FALSE);
		peer_schedule_restart (peer);
		break;
	default:
		break;
	}
}

static void
on_selected_pair (NcuIce *ice, const NcuIceSelectedPair *pair, gpointer user_data)
{
	NcuPeer *peer = user_data;
	g_autofree char *local = ncu_ice_endpoint_to_string (&pair->local);
	g_autofree char *remote = ncu_ice_endpoint_to_string (&pair->remote);

	g_message ("peer %s: path %s %s -> %s %s", peer->name,
	           ncu_ice_candidate_type_to_string (pair->local_type), local,
	           ncu_ice_candidate_type_to_string (pair->remote_type), remote);
	ncu_peer_path_update (peer->path);
}

static const NcuIceCallbacks ice_callbacks = {
	.state_changed = on_state_changed,
	.gathering_done = on_gathering_done,
	.selected_pair = on_selected_pair,
};

/* ---- time-limited TURN credentials ---- */

/*
 * Whether the session still needs its TURN allocation, whose credentials
 * are about to expire: it sends through our relay, or has no path yet (its
 * offer lists relay candidates). A session on another path keeps going;
 * its next session, whenever ICE needs one, gets fresh credentials.
 */
static gboolean
peer_turn_refresh_needed (NcuPeer *peer)
{
	const NcuIceSelectedPair *pair = ncu_ice_get_selected_pair (peer->ice);

	switch (ncu_ice_get_state (peer->ice)) {
	case NCU_ICE_STATE_CONNECTED:
		return pair && pair->local_type == NCU_ICE_CANDIDATE_RELAY;
	case NCU_ICE_STATE_FAILED:
		return FALSE;  /* a restart is on its way */
	default:
		return TRUE;
	}
}

static gboolean
on_turn_refresh (gpointer user_data)
{
	NcuPeer *peer = user_data;

	peer->turn_refresh_source = 0;
	if (peer->restart_source || !peer_turn_refresh_needed (peer)) {
		g_debug ("peer %s: TURN credentials expire soon; kept: the session does not use "
		         "our relay, or a restart is due", peer->name);
		return G_SOURCE_REMOVE;
	}
	peer->turn_renewals++;
	g_message ("peer %s: TURN credentials expire soon, new ICE session with fresh ones (renewal %u)",
	           peer->name, peer->turn_renewals);
	peer_new_session (peer, NULL);
	return G_SOURCE_REMOVE;
}

/* Watches the new session's credentials, if they expire. */
static void
peer_watch_turn_credentials (NcuPeer *peer)
{
	gint64 at = ncu_ice_get_turn_refresh_time (peer->ice);
	gint64 delay_ms;

	g_clear_handle_id (&peer->turn_refresh_source, g_source_remove);
	if (at <= 0)
		return;
	delay_ms = MAX (at - g_get_monotonic_time (), 0) / 1000;
	peer->turn_refresh_source = g_timeout_add ((guint) MIN (delay_ms, G_MAXUINT), on_turn_refresh, peer);
}

/*
 * Starts a new session of ours: against @against (an offer we answer), or
 * fresh (NULL). The first session uses the agent as created; later ones
 * get new credentials, as RFC 8445 requires for a restart.
 */
static void
peer_new_session (NcuPeer *peer, const NcuSignalPayload *against)
{
	g_autoptr (GError) error = NULL;
	gboolean first = peer->rules.local_session == 0;

	g_clear_handle_id (&peer->restart_source, g_source_remove);
	g_clear_handle_id (&peer->turn_refresh_source, g_source_remove);
	peer_unwatch (peer);
	peer->kept_path = FALSE;
	/* Off the fast path while the old ICE socket still exists. */
	ncu_peer_path_reset (peer->path, "new ICE session");
	ncu_proxy_set_ready (peer->proxy, FALSE);
	if (!first && peer->controlling)
		peer_reset_wg_session (peer);
	ncu_peer_path_begin (peer->path);
	ncu_peer_rules_begin (&peer->rules, against);
	peer->gathered = FALSE;
	if (!first && !ncu_ice_restart (peer->ice, &error))
		goto fail;
	if (first && !ncu_ice_gather (peer->ice, &error))
		goto fail;
	peer_watch_turn_credentials (peer);
	if (against)
		peer_apply_remote (peer, against);
	return;
fail:
	g_warning ("peer %s: cannot start an ICE session: %s", peer->name, error->message);
	peer_schedule_restart (peer);
}

/*
 * A fresh session of ours that lets the old pair carry WireGuard's packets
 * until the new one connects (make-before-break; ncu_ice_restart_keeping_pair):
 * the proxy keeps forwarding, the fast path stays, WireGuard keeps its
 * session. When the remote answers, the new pair takes over at CONNECTED
 * (peer_leave_kept_path). Used when the pair went silent: it may come back
 * before the new session's offer gets through (a NAT that forgot its
 * mappings drops the broker's TCP connection too).
 */
static void
peer_new_session_keeping_path (NcuPeer *peer)
{
	g_autoptr (GError) error = NULL;

	g_clear_handle_id (&peer->restart_source, g_source_remove);
	/* The watchdog stays on the old pair: its echo shows that pair works
	 * again, and while it stays silent the next restart (after the
	 * watchdog's hold-off) sends a new offer, in case this one is lost
	 * (the remote's broker connection may have died with the path). */
	ncu_peer_rules_begin (&peer->rules, NULL);
	peer->gathered = FALSE;
	peer->kept_path = TRUE;
	/* What the new pair's handshake must be newer than (peer_leave_kept_path). */
	ncu_peer_path_begin (peer->path);
	if (!ncu_ice_restart_keeping_pair (peer->ice, &error)) {
		g_warning ("peer %s: cannot start an ICE session: %s", peer->name, error->message);
		peer_schedule_restart (peer);
	}
}

void
ncu_peer_handle_payload (NcuPeer *peer, const NcuSignalPayload *payload)
{
	switch (ncu_peer_rules_judge (&peer->rules, peer->controlling, payload)) {
	case NCU_PEER_RULES_IGNORE:
		break;
	case NCU_PEER_RULES_BYE:
		g_message ("peer %s: said bye, starting a fresh session", peer->name);
		peer_new_session (peer, NULL);
		break;
	case NCU_PEER_RULES_REFRESH:
		peer_apply_remote (peer, payload);
		break;
	case NCU_PEER_RULES_ANSWER:
		g_debug ("peer %s: answer to our session", peer->name);
		peer_apply_remote (peer, payload);
		break;
	case NCU_PEER_RULES_GLARE:
		g_debug ("peer %s: glare, keeping our session and waiting for the answer", peer->name);
		break;
	case NCU_PEER_RULES_STALE:
		g_debug ("peer %s: offer answers a stale session of ours, starting fresh", peer->name);
		peer_new_session (peer, NULL);
		break;
	case NCU_PEER_RULES_NEW_REMOTE:
		g_debug ("peer %s: new remote session, answering it", peer->name);
		peer_new_session (peer, payload);
		break;
	}
}

void
ncu_peer_republish (NcuPeer *peer)
{
	peer_publish (peer);
}

void
ncu_peer_restart (NcuPeer *peer, const char *why)
{
	if (peer->rules.local_session == 0)
		return;
	peer->restarts++;
	g_message ("peer %s: %s: starting a fresh ICE session (restart %u)", peer->name, why,
	           peer->restarts);
	peer_new_session (peer, NULL);
}

void
ncu_peer_retry_now (NcuPeer *peer)
{
	if (!peer->restart_source)
		return;
	g_clear_handle_id (&peer->restart_source, g_source_remove);
	peer_retry (peer);
}

void
ncu_peer_start (NcuPeer *peer)
{
	if (peer->rules.local_session == 0)
		peer_new_session (peer, NULL);
}

/* ---- life cycle ---- */

static NcuIce *
peer_create_ice (const NcuPeerEnv *env, gboolean controlling, GError **error)
{
	const NcuProfile *profile = env->profile;
	NcuIceConfig cfg = { 0 };

	cfg.servers = (NcuIceServer *const *) profile->ice_servers->pdata;
	cfg.n_servers = profile->ice_servers->len;
	cfg.turn_username = profile->ice_username;
	cfg.turn_password = profile->ice_password;
	cfg.turn_auth_secret = profile->ice_auth_secret;
	cfg.turn_auth_lifetime = profile->ice_auth_lifetime;
	cfg.candidate_types = profile->ice_candidate_types;
	cfg.exclude_interfaces = (const char *const *) profile->ice_interfaces_exclude;
	cfg.tunnel_interface = env->tunnel_ifname;
	cfg.port_min = profile->ice_port_min;
	cfg.port_max = profile->ice_port_max;
	return ncu_ice_new (NULL, &cfg, controlling, error);
}

static void
peer_create_path (NcuPeer *peer)
{
	NcuPeerPathEnv env = { 0 };

	env.wg = peer->env.wg;
	env.wg_port = peer->env.wg_port;
	env.peer_key = peer->config->public_key;
	env.name = peer->name;
	env.mode = peer->env.get_nft ? peer->env.profile->proxy_mode : NCU_PROXY_MODE_USERSPACE;
	env.ice = peer->ice;
	env.proxy = peer->proxy;
	env.get_nft = peer->env.get_nft;
	env.user_data = peer->env.user_data;
	peer->path = ncu_peer_path_new (&env);
}

NcuPeer *
ncu_peer_new (const NcuPeerEnv *env, const NcuPeerConfig *config, GError **error)
{
	g_autoptr (NcuPeer) peer = g_new0 (NcuPeer, 1);

	peer->env = *env;
	peer->config = config;
	peer->name = peer_display_name (config);
	/* The peer with the larger public key controls ICE. */
	peer->controlling = memcmp (env->own_public, config->public_key, NCU_KEY_LEN) > 0;
	peer->restart_delay_ms = RESTART_DELAY_MIN_MS;

	peer->ice = peer_create_ice (env, peer->controlling, error);
	if (!peer->ice)
		return NULL;
	ncu_ice_set_callbacks (peer->ice, &ice_callbacks, peer);
	peer->proxy = ncu_proxy_new (env->wg_port, peer->ice, error);
	if (!peer->proxy)
		return NULL;
	ncu_proxy_set_initiator (peer->proxy, peer->controlling, HANDSHAKE_GRACE_MS);
	if (!peer_configure_wg (peer, error))
		return NULL;
	peer_create_path (peer);
	peer_create_liveness (peer);
	return g_steal_pointer (&peer);
}

const guint8 *
ncu_peer_get_public_key (NcuPeer *peer)
{
	return peer->config->public_key;
}

static void
status_add_pair (GVariantBuilder *b, NcuPeer *peer)
{
	const NcuIceSelectedPair *pair = ncu_ice_get_selected_pair (peer->ice);
	g_autofree char *local = NULL;
	g_autofree char *base = NULL;
	g_autofree char *remote = NULL;

	if (!pair || ncu_ice_get_state (peer->ice) != NCU_ICE_STATE_CONNECTED)
		return;
	local = ncu_ice_endpoint_to_string (&pair->local);
	base = ncu_ice_endpoint_to_string (&pair->local_base);
	remote = ncu_ice_endpoint_to_string (&pair->remote);
	g_variant_builder_add (b, "{sv}", "path",
	                       g_variant_new_string (ncu_ice_candidate_type_to_string (pair->local_type)));
	g_variant_builder_add (b, "{sv}", "remote-type",
	                       g_variant_new_string (ncu_ice_candidate_type_to_string (pair->remote_type)));
	g_variant_builder_add (b, "{sv}", "local-address", g_variant_new_string (local));
	g_variant_builder_add (b, "{sv}", "remote-address", g_variant_new_string (remote));
	/* The ICE socket's own address (the fast path's rules use its port). */
	g_variant_builder_add (b, "{sv}", "local-base-address", g_variant_new_string (base));
}

GVariant *
ncu_peer_get_status (NcuPeer *peer, const NcuWgPeerInfo *wg_info)
{
	g_autofree char *key = ncu_key_to_base64 (peer->config->public_key);
	NcuProxyStats ps;
	NcuIceStats is;
	GVariantBuilder b;

	ncu_proxy_get_stats (peer->proxy, &ps);
	ncu_ice_get_stats (peer->ice, &is);
	g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add (&b, "{sv}", "public-key", g_variant_new_string (key));
	if (peer->config->label)
		g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (peer->config->label));
	g_variant_builder_add (&b, "{sv}", "mode", g_variant_new_string ("ice"));
	g_variant_builder_add (&b, "{sv}", "controlling", g_variant_new_boolean (peer->controlling));
	g_variant_builder_add (&b, "{sv}", "ice-state",
	                       g_variant_new_string (ncu_ice_state_to_string (ncu_ice_get_state (peer->ice))));
	status_add_pair (&b, peer);
	g_variant_builder_add (&b, "{sv}", "restarts", g_variant_new_uint32 (peer->restarts));
	if (peer->env.profile->ice_auth_secret)
		g_variant_builder_add (&b, "{sv}", "turn-renewals", g_variant_new_uint32 (peer->turn_renewals));
	ncu_peer_path_add_status (peer->path, &b);
	if (peer->liveness)
		ncu_liveness_add_status (peer->liveness, &b);
	g_variant_builder_add (&b, "{sv}", "proxy-to-peer-bytes", g_variant_new_uint64 (ps.wg_to_ice_bytes));
	g_variant_builder_add (&b, "{sv}", "proxy-from-peer-bytes", g_variant_new_uint64 (ps.ice_to_wg_bytes));
	/* Sends that carried a run of packets at once (ncu-udp.h), both ways. */
	g_variant_builder_add (&b, "{sv}", "proxy-segmented-sends",
	                       g_variant_new_uint64 (is.tx_segmented + ps.segmented_to_wg));
	if (is.gathering_us >= 0)
		g_variant_builder_add (&b, "{sv}", "gathering-ms", g_variant_new_uint32 ((guint32) (is.gathering_us / 1000)));
	if (wg_info) {
		g_variant_builder_add (&b, "{sv}", "last-handshake", g_variant_new_int64 (wg_info->last_handshake_sec));
		g_variant_builder_add (&b, "{sv}", "rx-bytes", g_variant_new_uint64 (wg_info->rx_bytes));
		g_variant_builder_add (&b, "{sv}", "tx-bytes", g_variant_new_uint64 (wg_info->tx_bytes));
	}
	return g_variant_builder_end (&b);
}

void
ncu_peer_free (NcuPeer *peer)
{
	if (!peer)
		return;
	g_clear_handle_id (&peer->restart_source, g_source_remove);
	g_clear_handle_id (&peer->turn_refresh_source, g_source_remove);
	/* The watchdog sends on the session and is its control receiver. */
	if (peer->liveness)
		ncu_ice_set_control_func (peer->ice, NULL, NULL, NULL);
	g_clear_pointer (&peer->liveness, ncu_liveness_free);
	/* The path borrows the proxy and the session; the proxy is the
	 * session's receiver: they go first. */
	g_clear_pointer (&peer->path, ncu_peer_path_free);
	g_clear_pointer (&peer->proxy, ncu_proxy_free);
	g_clear_pointer (&peer->ice, ncu_ice_free);
	g_clear_pointer (&peer->offer, ncu_signal_payload_free);
	g_free (peer->name);
	g_free (peer);
}
