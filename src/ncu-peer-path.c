/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "ncu-peer-path.h"
#include "ncu-source.h"

/* Polling WireGuard for its handshake: from 20 ms (it takes a round trip
 * or two after ICE connects) backing off to 1 s (a silent tunnel: nothing
 * to gain yet). */
#define POLL_FIRST_MS 20
#define POLL_MAX_MS   1000
/* Checks of WireGuard's endpoint after entering: 200, 400, 800, 1600 ms. */
#define VERIFY_FIRST_MS 200
#define VERIFY_LAST_MS  1600

struct _NcuPeerPath {
	NcuPeerPathEnv env;
	NcuNft *nft;                     /* the tunnel's, once we needed it */

	gboolean on_fast;
	NcuIceSelectedPair fast_pair;    /* what the rules and endpoint are for */
	gboolean rules_left;             /* a leave could not delete them all */

	/* Has WireGuard completed a handshake in this session? Its last
	 * handshake time against the one at the session's start; the proxy's
	 * counter says when asking WireGuard is worth it. */
	gboolean heard;
	gint64 base_hs_sec, base_hs_nsec;
	gboolean base_known;
	guint64 base_proxy_packets;
	GSource *poll_source;
	guint poll_ms;
	GSource *verify_source;          /* after entering, see on_verify() */
	guint verify_ms;

	/* The pair nft failed for: not retried until another pair comes. */
	gboolean has_failed_pair;
	NcuIceSelectedPair failed_pair;
	char *nft_error;
	const char *reason;              /* why the proxy, static; NULL on the fast path */
};

const char *
ncu_peer_path_mode_to_string (NcuProxyMode mode)
{
	switch (mode) {
	case NCU_PROXY_MODE_USERSPACE:
		return "userspace";
	case NCU_PROXY_MODE_NFTABLES:
		return "nftables";
	case NCU_PROXY_MODE_AUTO:
	default:
		return "auto";
	}
}

/* ---- small helpers ---- */

static gboolean
endpoint_equal (const NcuIceEndpoint *a, const NcuIceEndpoint *b)
{
	gsize len = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && a->port == b->port && memcmp (a->addr, b->addr, len) == 0;
}

static gboolean
pair_equal (const NcuIceSelectedPair *a, const NcuIceSelectedPair *b)
{
	return a->local_type == b->local_type && endpoint_equal (&a->remote, &b->remote) &&
	       endpoint_equal (&a->local_base, &b->local_base);
}

static void
endpoint_to_sockaddr (const NcuIceEndpoint *e, struct sockaddr_storage *ss)
{
	memset (ss, 0, sizeof *ss);
	if (e->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;

		sin6->sin6_family = AF_INET6;
		memcpy (&sin6->sin6_addr, e->addr, 16);
		sin6->sin6_port = htons (e->port);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *) ss;

		sin->sin_family = AF_INET;
		memcpy (&sin->sin_addr, e->addr, 4);
		sin->sin_port = htons (e->port);
	}
}

static gboolean
sockaddr_equal (const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return FALSE;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *) a, *y = (const void *) b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *) a, *y = (const void *) b;

		return x->sin6_port == y->sin6_port &&
		       memcmp (&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
	}
	return FALSE;
}

static void
proxy_sockaddr (NcuPeerPath *path, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *) ss;

	memset (ss, 0, sizeof *ss);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
	sin->sin_port = htons (ncu_proxy_get_port (path->env.proxy));
}

static gboolean
set_endpoint (NcuPeerPath *path, const struct sockaddr_storage *ss, GError **error)
{
	return ncu_wg_set_peer_endpoint (path->env.wg, path->env.peer_key,
	                                 (const struct sockaddr *) ss, error);
}

/* Why the proxy carries the peer now; logged when it changes. A relay with
 * proxy-mode=nftables is worth a notice: the user asked for nftables. */
static void
set_reason (NcuPeerPath *path, const char *why)
{
	if (g_strcmp0 (path->reason, why) == 0)
		return;
	path->reason = why;
	if (path->env.mode == NCU_PROXY_MODE_NFTABLES)
		g_message ("peer %s: on the userspace proxy: %s", path->env.name, why);
	else
		g_info ("peer %s: on the userspace proxy: %s", path->env.name, why);
}

/* ---- has WireGuard completed a handshake over the proxy? ---- */

/*
 * WireGuard's view of the peer, or NULL; @info keeps it. From the tunnel's
 * shared read of the device (ncu_wg_get_device_cached), not one read per
 * peer: with many peers connecting at once each poll would dump the whole
 * device. The liveness monitor reads through the same cache; its tick
 * (250 ms) is far longer than our first polls (20 ms), so a snapshot of its
 * own would be too old for us, while a cache of a few milliseconds costs
 * us next to nothing (NCU_WG_POLL_MAX_AGE_MS) and still lets the polls
 * that fall due together share one read.
 */
static const NcuWgPeerInfo *
query_peer (NcuPeerPath *path, guint max_age_ms, NcuWgDeviceInfo **info)
{
	g_autoptr (GError) error = NULL;

	if (!ncu_wg_get_device_cached (path->env.wg, max_age_ms, info, &error)) {
		g_debug ("peer %s: cannot read WireGuard's state: %s", path->env.name, error->message);
		return NULL;
	}
	return ncu_wg_device_info_find_peer (*info, path->env.peer_key);
}

static gboolean
query_handshake (NcuPeerPath *path, guint max_age_ms, gint64 *sec, gint64 *nsec)
{
	g_autoptr (NcuWgDeviceInfo) info = NULL;
	const NcuWgPeerInfo *peer = query_peer (path, max_age_ms, &info);

	if (!peer)
		return FALSE;
	*sec = peer->last_handshake_sec;
	*nsec = peer->last_handshake_nsec;
	return TRUE;
}

/* The start of a session: what counts as "before". */
static void
take_baseline (NcuPeerPath *path)
{
	NcuProxyStats ps;

	ncu_proxy_get_stats (path->env.proxy, &ps);
	path->base_proxy_packets = ps.ice_to_wg_packets;
	/* Read now: a handshake that ends the previous session within the
	 * cache's age must count as "before". */
	path->base_known = query_handshake (path, 0, &path->base_hs_sec, &path->base_hs_nsec);
	path->heard = FALSE;
}

/*
 * A new handshake time means both sides hold the new keys: the initiator
 * got the response, the responder got the initiator's first packet under
 * them (see ncu-peer-path.h for what goes wrong earlier).
 */
static gboolean
check_heard (NcuPeerPath *path)
{
	NcuProxyStats ps;
	gint64 sec, nsec;

	if (path->heard)
		return TRUE;
	/* Nothing came through the proxy yet: no handshake can be complete. */
	ncu_proxy_get_stats (path->env.proxy, &ps);
	if (ps.ice_to_wg_packets == path->base_proxy_packets)
		return FALSE;
	if (!query_handshake (path, NCU_WG_POLL_MAX_AGE_MS, &sec, &nsec))
		return FALSE;
	if (!path->base_known) {
		path->base_hs_sec = sec;
		path->base_hs_nsec = nsec;
		path->base_known = TRUE;
		return FALSE;
	}
	path->heard = sec != 0 && (sec != path->base_hs_sec || nsec != path->base_hs_nsec);
	return path->heard;
}

/* A timeout source of its own for every interval of a back-off. */
static GSource *
schedule (NcuPeerPath *path, guint ms, GSourceFunc func, const char *name)
{
	return ncu_source_timeout (ncu_ice_get_context (path->env.ice), ms, name, func, path);
}

static gboolean
on_poll (gpointer data)
{
	NcuPeerPath *path = data;

	if (check_heard (path)) {
		g_debug ("peer %s: WireGuard completed a handshake through the proxy", path->env.name);
		g_clear_pointer (&path->poll_source, g_source_unref);
		ncu_peer_path_update (path);
		return G_SOURCE_REMOVE;
	}
	path->poll_ms = MIN (path->poll_ms * 2, POLL_MAX_MS);
	g_clear_pointer (&path->poll_source, g_source_unref);
	path->poll_source = schedule (path, path->poll_ms, on_poll, "ncu-peer-path poll");
	return G_SOURCE_REMOVE;
}

static void
start_polling (NcuPeerPath *path)
{
	if (path->poll_source)
		return;
	path->poll_ms = POLL_FIRST_MS;
	path->poll_source = schedule (path, path->poll_ms, on_poll, "ncu-peer-path poll");
}

/*
 * Packets that reached the ICE socket just before the ingress rule are
 * still handed to WireGuard through the proxy after the switch, and
 * WireGuard roams its endpoint back to the proxy (seen in the test bed
 * under iperf3). The remote's next packet on the fast path corrects that,
 * but a quiet remote would leave WireGuard on the proxy: look a few times.
 */
static gboolean
on_verify (gpointer data)
{
	NcuPeerPath *path = data;
	g_autoptr (NcuWgDeviceInfo) info = NULL;
	const NcuWgPeerInfo *peer = query_peer (path, NCU_WG_POLL_MAX_AGE_MS, &info);
	struct sockaddr_storage want;

	endpoint_to_sockaddr (&path->fast_pair.remote, &want);
	if (peer && !sockaddr_equal (&peer->endpoint, &want)) {
		g_autoptr (GError) error = NULL;

		g_debug ("peer %s: WireGuard roamed off the remote candidate; pointing it back",
		         path->env.name);
		if (!set_endpoint (path, &want, &error))
			g_warning ("peer %s: cannot point WireGuard at the remote: %s", path->env.name,
			           error->message);
	}
	path->verify_ms *= 2;
	if (path->verify_ms > VERIFY_LAST_MS) {
		g_clear_pointer (&path->verify_source, g_source_unref);
		return G_SOURCE_REMOVE;
	}
	g_clear_pointer (&path->verify_source, g_source_unref);
	path->verify_source = schedule (path, path->verify_ms, on_verify, "ncu-peer-path verify");
	return G_SOURCE_REMOVE;
}

static void
start_verifying (NcuPeerPath *path)
{
	ncu_source_clear (&path->verify_source);
	path->verify_ms = VERIFY_FIRST_MS;
	path->verify_source = schedule (path, path->verify_ms, on_verify, "ncu-peer-path verify");
}

/* ---- entering and leaving ---- */

static void
delete_rules (NcuPeerPath *path)
{
	g_autoptr (GError) error = NULL;

	if (ncu_nft_remove_peer (path->nft, path->env.peer_key, &error)) {
		path->rules_left = FALSE;
		return;
	}
	/* Harmless while WireGuard points at the proxy: the egress rule
	 * matches only packets to the remote candidate. Retried later. */
	g_warning ("peer %s: cannot delete its nftables rules: %s", path->env.name, error->message);
	path->rules_left = TRUE;
}

/* Back to the proxy: ingress rule off first (else WireGuard keeps getting
 * the remote's packets on its own socket and roams back to it), then the
 * endpoint, then the rest of the rules. Best effort at every step. */
static void
leave (NcuPeerPath *path, const char *why)
{
	g_autoptr (GError) error = NULL;
	struct sockaddr_storage ss;

	if (!path->on_fast)
		return;
	path->on_fast = FALSE;
	ncu_source_clear (&path->verify_source);
	if (!ncu_nft_remove_ingress (path->nft, path->env.peer_key, &error)) {
		g_warning ("peer %s: cannot delete its nftables ingress rule: %s", path->env.name,
		           error->message);
		g_clear_error (&error);
	}
	proxy_sockaddr (path, &ss);
	if (!set_endpoint (path, &ss, &error)) {
		g_warning ("peer %s: cannot point WireGuard back at the proxy: %s", path->env.name,
		           error->message);
		g_clear_error (&error);
	}
	delete_rules (path);
	g_message ("peer %s: left the fast path (%s)", path->env.name, why);
}

static void
note_nft_failure (NcuPeerPath *path, const NcuIceSelectedPair *pair, const GError *error)
{
	path->has_failed_pair = TRUE;
	path->failed_pair = *pair;
	g_free (path->nft_error);
	path->nft_error = g_strdup_printf ("nftables failed: %s", error->message);
	g_warning ("peer %s: no fast path, staying on the userspace proxy: %s", path->env.name,
	           error->message);
}

/* Rules first, then the endpoint: WireGuard's first packet to the remote
 * must already leave from the ICE socket's port. */
static void
enter (NcuPeerPath *path, const NcuIceSelectedPair *pair)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *base = NULL;
	g_autofree char *remote = NULL;
	struct sockaddr_storage ss;

	if (path->on_fast && pair_equal (&path->fast_pair, pair))
		return;
	if (!path->nft)
		path->nft = path->env.get_nft (path->env.user_data);
	if (!ncu_nft_set_peer (path->nft, path->env.peer_key, path->env.wg_port, pair, &error)) {
		/* A failed transaction changed nothing: old rules, if any, stay
		 * for a pair that is no longer selected. */
		leave (path, "nftables failed for the new pair");
		note_nft_failure (path, pair, error);
		return;
	}
	endpoint_to_sockaddr (&pair->remote, &ss);
	if (!set_endpoint (path, &ss, &error)) {
		path->on_fast = TRUE;
		leave (path, "WireGuard refused the endpoint");
		note_nft_failure (path, pair, error);
		return;
	}
	path->on_fast = TRUE;
	path->fast_pair = *pair;
	path->reason = NULL;
	g_clear_pointer (&path->nft_error, g_free);
	start_verifying (path);
	base = ncu_ice_endpoint_to_string (&pair->local_base);
	remote = ncu_ice_endpoint_to_string (&pair->remote);
	g_message ("peer %s: fast path (nftables): WireGuard <-> %s via ICE port %s", path->env.name,
	           remote, base);
}

/* Whether nftables may be tried at all; sets the reason when not. */
static gboolean
nft_wanted (NcuPeerPath *path)
{
	if (path->env.mode == NCU_PROXY_MODE_USERSPACE) {
		path->reason = "proxy-mode is userspace";
		return FALSE;
	}
	/* With proxy-mode=nftables a missing nft is an error worth a warning
	 * (ncu_nft_set_peer reports it); auto quietly keeps the proxy. */
	if (path->env.mode == NCU_PROXY_MODE_AUTO && !path->nft && !ncu_nft_available (NULL)) {
		set_reason (path, "the nft program is not installed");
		return FALSE;
	}
	return TRUE;
}

void
ncu_peer_path_update (NcuPeerPath *path)
{
	const NcuIceSelectedPair *pair = ncu_ice_get_selected_pair (path->env.ice);
	const char *why = NULL;

	if (path->rules_left && !path->on_fast)
		delete_rules (path);
	if (!nft_wanted (path))
		return;
	if (ncu_ice_get_state (path->env.ice) != NCU_ICE_STATE_CONNECTED || !pair) {
		path->reason = "ICE is not connected";
		return;
	}
	/* nft failed for one pair: another one is worth a new try. */
	if (path->has_failed_pair && !pair_equal (&path->failed_pair, pair))
		path->has_failed_pair = FALSE;
	if (!ncu_nft_pair_qualifies (pair, &why)) {
		leave (path, why);
		set_reason (path, why);
		return;
	}
	if (path->has_failed_pair)
		return;
	if (!path->on_fast && !check_heard (path)) {
		path->reason = "waiting for WireGuard's handshake through the proxy";
		start_polling (path);
		return;
	}
	ncu_source_clear (&path->poll_source);
	enter (path, pair);
}

void
ncu_peer_path_reset (NcuPeerPath *path, const char *why)
{
	ncu_source_clear (&path->poll_source);
	leave (path, why);
	path->heard = FALSE;
	path->has_failed_pair = FALSE;
	g_clear_pointer (&path->nft_error, g_free);
	if (path->env.mode != NCU_PROXY_MODE_USERSPACE)
		path->reason = "ICE is not connected";
}

void
ncu_peer_path_begin (NcuPeerPath *path)
{
	if (path->env.mode != NCU_PROXY_MODE_USERSPACE)
		take_baseline (path);
}

/* ---- status and life cycle ---- */

static void
add_u64 (GVariantBuilder *b, const char *key, guint64 value)
{
	g_variant_builder_add (b, "{sv}", key, g_variant_new_uint64 (value));
}

void
ncu_peer_path_add_status (NcuPeerPath *path, GVariantBuilder *b)
{
	g_autoptr (GError) error = NULL;
	NcuNftCounters nc;

	g_variant_builder_add (b, "{sv}", "proxy-mode",
	                       g_variant_new_string (ncu_peer_path_mode_to_string (path->env.mode)));
	g_variant_builder_add (b, "{sv}", "proxy",
	                       g_variant_new_string (path->on_fast ? "nftables" : "userspace"));
	if (!path->on_fast) {
		const char *why = path->has_failed_pair ? path->nft_error : path->reason;

		if (why)
			g_variant_builder_add (b, "{sv}", "fast-path-reason", g_variant_new_string (why));
		return;
	}
	if (!ncu_nft_get_counters (path->nft, path->env.peer_key, &nc, &error)) {
		g_debug ("peer %s: no nftables counters: %s", path->env.name, error->message);
		return;
	}
	add_u64 (b, "nft-egress-packets", nc.egress_packets);
	add_u64 (b, "nft-egress-bytes", nc.egress_bytes);
	add_u64 (b, "nft-ingress-packets", nc.ingress_packets);
	add_u64 (b, "nft-ingress-bytes", nc.ingress_bytes);
}

NcuPeerPath *
ncu_peer_path_new (const NcuPeerPathEnv *env)
{
	NcuPeerPath *path = g_new0 (NcuPeerPath, 1);

	path->env = *env;
	if (env->mode == NCU_PROXY_MODE_USERSPACE) {
		path->reason = "proxy-mode is userspace";
		return path;
	}
	path->reason = "ICE is not connected";
	return path;
}

void
ncu_peer_path_free (NcuPeerPath *path)
{
	if (!path)
		return;
	ncu_source_clear (&path->poll_source);
	ncu_source_clear (&path->verify_source);
	g_free (path->nft_error);
	g_free (path);
}
