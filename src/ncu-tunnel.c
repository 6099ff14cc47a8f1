/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <gio/gio.h>
#include <sodium.h>

#include "ncu-ipconfig.h"
#include "ncu-liveness.h"
#include "ncu-nft.h"
#include "ncu-peer.h"
#include "ncu-signal.h"
#include "ncu-tunnel.h"
#include "ncu-underlay.h"
#include "ncu-wg.h"

/* How long a retained offer stays on the broker without a refresh. */
#define OFFER_EXPIRY_S 300
/* A fixed listen-port that is taken is tried again this long, this often:
 * after a quick down and up the old wireguard-go may still hold it. */
#define PORT_RETRY_FOR_S 3
#define PORT_RETRY_EVERY_MS 100

struct _NcuTunnel {
	NcuProfile *profile;
	char *ifname;
	NcuTunnelCallbacks callbacks;
	gpointer user_data;

	guint start_source;
	gint64 port_retry_until;         /* while the listen port is taken; 0: not */
	GCancellable *cancellable;       /* name resolution */
	guint8 own_public[NCU_KEY_LEN];
	NcuWg *wg;
	guint16 wg_port;
	NcuSignal *signal;
	GPtrArray *peers;                /* of NcuPeer*: the peers reached by ICE */
	NcuNft *nft;                     /* the fast path's table; made on first use */
	NcuLivenessMonitor *liveness;    /* reads WireGuard's counters for the peers' watchdogs */
	NcuUnderlay *underlay;           /* restarts ICE when the networks below change */
	NcuIpPlan plan;
	gboolean plan_ready;
	gboolean failed;
};

char *
ncu_tunnel_ifname_for (const NcuProfile *profile, const char *uuid)
{
	guint8 hash[4];

	if (profile->interface_name)
		return g_strdup (profile->interface_name);
	/* Deterministic, so a reconnect reuses the name, and short enough
	 * (12 characters) for the 15-character limit. */
	crypto_generichash (hash, sizeof hash, (const guint8 *) (uuid ? uuid : ""),
	                    uuid ? strlen (uuid) : 0, NULL, 0);
	return g_strdup_printf ("ncu-%02x%02x%02x%02x", hash[0], hash[1], hash[2], hash[3]);
}

static void
tunnel_fail (NcuTunnel *tunnel, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
tunnel_fail (NcuTunnel *tunnel, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list ap;

	if (tunnel->failed)
		return;
	tunnel->failed = TRUE;
	va_start (ap, format);
	message = g_strdup_vprintf (format, ap);
	va_end (ap);
	tunnel->callbacks.failed (message, tunnel->user_data);
}

static NcuPeer *
tunnel_find_peer (NcuTunnel *tunnel, const guint8 key[NCU_KEY_LEN])
{
	for (guint i = 0; tunnel->peers && i < tunnel->peers->len; i++) {
		NcuPeer *peer = g_ptr_array_index (tunnel->peers, i);

		if (memcmp (ncu_peer_get_public_key (peer), key, NCU_KEY_LEN) == 0)
			return peer;
	}
	return NULL;
}

/* ---- signaling ---- */

static gboolean
tunnel_publish (const guint8 peer_key[NCU_KEY_LEN], const NcuSignalPayload *payload,
                gpointer user_data)
{
	NcuTunnel *tunnel = user_data;
	g_autoptr (GError) error = NULL;

	if (!tunnel->signal)
		return FALSE;
	if (!ncu_signal_publish (tunnel->signal, peer_key, payload, &error)) {
		g_debug ("signaling: not published now: %s", error->message);
		return FALSE;
	}
	return TRUE;
}

static void
tunnel_check_signaling (const char *peer_name, gpointer user_data)
{
	NcuTunnel *tunnel = user_data;
	g_autofree char *why = NULL;

	if (!tunnel->signal)
		return;
	why = g_strdup_printf ("the path to peer %s went silent", peer_name);
	ncu_signal_check_connection (tunnel->signal, why);
}

static void
on_signal_message (const guint8 peer_key[NCU_KEY_LEN], const NcuSignalPayload *payload,
                   gpointer user_data)
{
	NcuPeer *peer = tunnel_find_peer (user_data, peer_key);

	if (peer)
		ncu_peer_handle_payload (peer, payload);
}

static void
on_signal_state (gboolean connected, gpointer user_data)
{
	NcuTunnel *tunnel = user_data;

	if (!connected)
		return;
	/* Our retained offers may be gone (broker restarted): put them back. */
	for (guint i = 0; i < tunnel->peers->len; i++)
		ncu_peer_republish (g_ptr_array_index (tunnel->peers, i));
}

static const NcuSignalCallbacks signal_callbacks = {
	.message = on_signal_message,
	.state = on_signal_state,
};

static gboolean
tunnel_setup_signal (NcuTunnel *tunnel, GError **error)
{
	NcuSignalConfig cfg = { 0 };

	ncu_signal_config_from_profile (&cfg, tunnel->profile);
	cfg.expiry_s = OFFER_EXPIRY_S;
	tunnel->signal = ncu_signal_new (&cfg, &signal_callbacks, tunnel, error);
	if (!tunnel->signal)
		return FALSE;
	for (guint i = 0; i < tunnel->peers->len; i++) {
		NcuPeer *peer = g_ptr_array_index (tunnel->peers, i);

		if (!ncu_signal_add_peer (tunnel->signal, ncu_peer_get_public_key (peer), error))
			return FALSE;
	}
	return TRUE;
}

/* ---- peers ---- */

/* One table for the whole connection, named after the interface; freeing
 * it deletes the table. */
static NcuNft *
tunnel_get_nft (gpointer user_data)
{
	NcuTunnel *tunnel = user_data;

	if (!tunnel->nft)
		tunnel->nft = ncu_nft_new (tunnel->ifname);
	return tunnel->nft;
}

static gboolean
sockaddr_from_endpoint (const char *host, guint16 port, struct sockaddr_storage *ss)
{
	g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (host);
	g_autoptr (GSocketAddress) sa = NULL;

	if (!addr)
		return FALSE;
	sa = g_inet_socket_address_new (addr, port);
	return g_socket_address_to_native (sa, ss, sizeof *ss, NULL);
}

/* The liveness monitor shares its reads with the peers' fast-path polls
 * (see query_peer() in ncu-peer-path.c). */
static gboolean
tunnel_read_wg (gpointer user_data, NcuWgDeviceInfo **info, GError **error)
{
	NcuTunnel *tunnel = user_data;

	return ncu_wg_get_device_cached (tunnel->wg, NCU_WG_POLL_MAX_AGE_MS, info, error);
}

/* A peer with a static endpoint is plain WireGuard: no ICE, no signaling. */
static gboolean
tunnel_add_static_peer (NcuTunnel *tunnel, const NcuPeerConfig *config,
                        const struct sockaddr_storage *endpoint, GError **error)
{
	g_autoptr (GArray) ips = ncu_ipplan_peer_allowed_ips (tunnel->profile, config);
	NcuWgPeer wp = { 0 };
	gboolean ok;

	memcpy (wp.public_key, config->public_key, NCU_KEY_LEN);
	wp.has_preshared_key = config->has_preshared_key;
	memcpy (wp.preshared_key, config->preshared_key, NCU_KEY_LEN);
	if (endpoint)
		wp.endpoint = *endpoint;
	else
		wp.endpoint.ss_family = AF_UNSPEC;
	wp.persistent_keepalive = config->persistent_keepalive;
	wp.allowed_ips = ips;
	wp.replace_allowed_ips = TRUE;
	ok = ncu_wg_set_peer (tunnel->wg, &wp, error);
	sodium_memzero (wp.preshared_key, sizeof wp.preshared_key);
	return ok;
}

typedef struct {
	NcuTunnel *tunnel;
	const NcuPeerConfig *config;
} ResolveData;

static void
on_endpoint_resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
	ResolveData *rd = user_data;
	g_autoptr (GError) error = NULL;
	GList *addrs = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

	if (addrs) {
		g_autofree char *text = g_inet_address_to_string (addrs->data);
		struct sockaddr_storage ss;

		if (sockaddr_from_endpoint (text, rd->config->endpoint_port, &ss)
		    && !tunnel_add_static_peer (rd->tunnel, rd->config, &ss, &error))
			g_warning ("peer.%u.endpoint: %s", rd->config->index, error->message);
		g_resolver_free_addresses (addrs);
	} else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_warning ("peer.%u.endpoint: cannot resolve %s: %s", rd->config->index,
		           rd->config->endpoint_host, error->message);
	}
	g_free (rd);
}

static gboolean
tunnel_setup_static_peer (NcuTunnel *tunnel, const NcuPeerConfig *config, GError **error)
{
	struct sockaddr_storage ss;
	ResolveData *rd;

	if (sockaddr_from_endpoint (config->endpoint_host, config->endpoint_port, &ss))
		return tunnel_add_static_peer (tunnel, config, &ss, error);
	/* A host name: add the peer now, its endpoint once resolved. */
	if (!tunnel_add_static_peer (tunnel, config, NULL, error))
		return FALSE;
	rd = g_new0 (ResolveData, 1);
	rd->tunnel = tunnel;
	rd->config = config;
	g_resolver_lookup_by_name_async (g_resolver_get_default (), config->endpoint_host,
	                                 tunnel->cancellable, on_endpoint_resolved, rd);
	return TRUE;
}

static gboolean
tunnel_setup_peers (NcuTunnel *tunnel, GError **error)
{
	NcuPeerEnv env = { 0 };

	env.profile = tunnel->profile;
	env.wg = tunnel->wg;
	env.wg_port = tunnel->wg_port;
	memcpy (env.own_public, tunnel->own_public, NCU_KEY_LEN);
	env.tunnel_ifname = tunnel->ifname;
	env.publish = tunnel_publish;
	env.check_signaling = tunnel_check_signaling;
	if (tunnel->profile->proxy_mode != NCU_PROXY_MODE_USERSPACE)
		env.get_nft = tunnel_get_nft;
	tunnel->liveness = ncu_liveness_monitor_new (NULL, tunnel_read_wg, tunnel);
	env.liveness = tunnel->liveness;
	env.user_data = tunnel;

	for (guint i = 0; i < tunnel->profile->peers->len; i++) {
		const NcuPeerConfig *config = g_ptr_array_index (tunnel->profile->peers, i);
		NcuPeer *peer;

		if (config->endpoint_host || !tunnel->profile->signaling_url) {
			if (config->endpoint_host && !tunnel_setup_static_peer (tunnel, config, error))
				return FALSE;
			if (!config->endpoint_host && !tunnel_add_static_peer (tunnel, config, NULL, error))
				return FALSE;
			continue;
		}
		peer = ncu_peer_new (&env, config, error);
		if (!peer) {
			g_prefix_error (error, "peer.%u: ", config->index);
			return FALSE;
		}
		g_ptr_array_add (tunnel->peers, peer);
	}
	return TRUE;
}

/* ---- NetworkManager configuration ---- */

static void
tunnel_report_config (NcuTunnel *tunnel)
{
	g_autoptr (GVariant) config = NULL;
	g_autoptr (GVariant) ip4 = NULL;
	g_autoptr (GVariant) ip6 = NULL;

	config = g_variant_ref_sink (ncu_ipconfig_build_config (&tunnel->plan, tunnel->ifname,
	                                                        tunnel->profile->mtu));
	if (tunnel->plan.has_addr4)
		ip4 = g_variant_ref_sink (ncu_ipconfig_build_ip4 (&tunnel->plan));
	if (tunnel->plan.has_addr6)
		ip6 = g_variant_ref_sink (ncu_ipconfig_build_ip6 (&tunnel->plan));
	tunnel->callbacks.configured (config, ip4, ip6, tunnel->user_data);
}

static gboolean
cidr_from_inet (GInetAddress *addr, NcuCidr *out)
{
	gsize len = g_inet_address_get_native_size (addr);

	memset (out, 0, sizeof *out);
	out->family = len == 4 ? AF_INET : AF_INET6;
	out->prefix = len == 4 ? 32 : 128;
	memcpy (out->addr, g_inet_address_to_bytes (addr), len);
	return TRUE;
}

static void
on_gateway_resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
	NcuTunnel *tunnel = user_data;
	g_autoptr (GError) error = NULL;
	GList *addrs = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (addrs) {
		NcuCidr gw;

		cidr_from_inet (addrs->data, &gw);
		ncu_ipplan_set_gateway (&tunnel->plan, &gw);
		g_resolver_free_addresses (addrs);
	} else {
		/* The broker may come later; NetworkManager must not wait. */
		g_info ("signaling-url: cannot resolve %s now: %s", tunnel->profile->signaling_host,
		        error->message);
	}
	tunnel_report_config (tunnel);
}

/*
 * NetworkManager pins a host route to the "gateway" through the underlay:
 * the broker's address keeps signaling off the tunnel; without a broker, a
 * static peer's endpoint does the same for that peer.
 */
static void
tunnel_resolve_gateway (NcuTunnel *tunnel)
{
	const char *host = tunnel->profile->signaling_host;

	for (guint i = 0; !host && i < tunnel->profile->peers->len; i++) {
		const NcuPeerConfig *config = g_ptr_array_index (tunnel->profile->peers, i);
		host = config->endpoint_host;
	}
	if (!host) {
		tunnel_report_config (tunnel);
		return;
	}
	g_resolver_lookup_by_name_async (g_resolver_get_default (), host, tunnel->cancellable,
	                                 on_gateway_resolved, tunnel);
}

/* ---- the underlay ---- */

static void
on_underlay_changed (NcuUnderlayChange change, const char *what, gpointer user_data)
{
	NcuTunnel *tunnel = user_data;

	switch (change) {
	case NCU_UNDERLAY_NEW:
		/* Every session's sockets, candidates and NAT mappings were made
		 * for the old networks: start over on the new ones. */
		g_message ("%s: reconnecting signaling, restarting ICE for every peer", what);
		if (tunnel->signal)
			ncu_signal_reconnect (tunnel->signal, TRUE, "the underlay changed");
		for (guint i = 0; i < tunnel->peers->len; i++)
			ncu_peer_restart (g_ptr_array_index (tunnel->peers, i), "the underlay changed");
		break;
	case NCU_UNDERLAY_GONE:
		g_message ("%s: no usable address, waiting for one", what);
		break;
	case NCU_UNDERLAY_BACK:
		/* The sessions fit (again); peers that gave up retry now. */
		g_message ("%s: all the ICE sessions use is there", what);
		if (tunnel->signal)
			ncu_signal_reconnect (tunnel->signal, FALSE, "the network is back");
		for (guint i = 0; i < tunnel->peers->len; i++)
			ncu_peer_retry_now (g_ptr_array_index (tunnel->peers, i));
		break;
	}
}

static void
tunnel_watch_underlay (NcuTunnel *tunnel)
{
	g_autoptr (GError) error = NULL;

	if (tunnel->peers->len == 0)
		return;
	tunnel->underlay = ncu_underlay_new ((const char *const *) tunnel->profile->ice_interfaces_exclude,
	                                     tunnel->ifname, 0, on_underlay_changed, tunnel, &error);
	if (!tunnel->underlay)
		g_warning ("%s; ICE will not restart when the network changes", error->message);
}

/* ---- setup ---- */

static void
on_wg_exit (NcuWg *wg, const GError *error, gpointer user_data)
{
	tunnel_fail (user_data, "WireGuard device %s died: %s", ncu_wg_get_ifname (wg),
	             error->message);
}

/* The device is kept when its settings fail, for another try. */
static gboolean
tunnel_setup_wg (NcuTunnel *tunnel, GError **error)
{
	g_autoptr (NcuWgDeviceInfo) info = NULL;

	if (!tunnel->wg) {
		tunnel->wg = ncu_wg_new (tunnel->profile->wireguard_backend, tunnel->ifname, error);
		if (!tunnel->wg)
			return FALSE;
		ncu_wg_set_exit_cb (tunnel->wg, on_wg_exit, tunnel);
	}
	if (!ncu_wg_set_device (tunnel->wg, tunnel->profile->private_key,
	                        tunnel->profile->listen_port, 0, error))
		return FALSE;
	if (!ncu_wg_get_device (tunnel->wg, &info, error))
		return FALSE;
	tunnel->wg_port = info->listen_port;
	g_message ("interface %s up (%s WireGuard), listening on port %u", tunnel->ifname,
	           ncu_wg_get_backend (tunnel->wg) == NCU_WG_BACKEND_KERNEL ? "kernel" : "userspace",
	           tunnel->wg_port);
	return TRUE;
}

static gboolean tunnel_start_cb (gpointer user_data);

/*
 * The listen port is taken: TRUE if the start is tried again in a moment.
 * Otherwise @error says for how long it was tried.
 */
static gboolean
tunnel_retry_port (NcuTunnel *tunnel, GError **error)
{
	gint64 now = g_get_monotonic_time ();

	if (!g_error_matches (*error, NCU_WG_ERROR, NCU_WG_ERROR_ADDRESS_IN_USE))
		return FALSE;
	if (tunnel->port_retry_until == 0) {
		tunnel->port_retry_until = now + PORT_RETRY_FOR_S * G_USEC_PER_SEC;
		g_message ("listen-port %u is in use; trying again for up to %d s",
		           tunnel->profile->listen_port, PORT_RETRY_FOR_S);
	}
	if (now < tunnel->port_retry_until) {
		tunnel->start_source = g_timeout_add (PORT_RETRY_EVERY_MS, tunnel_start_cb, tunnel);
		return TRUE;
	}
	g_prefix_error (error, "listen-port %u is still in use after %d s (another program or "
	                "WireGuard device holds it): ", tunnel->profile->listen_port,
	                PORT_RETRY_FOR_S);
	return FALSE;
}

static gboolean
tunnel_start_cb (gpointer user_data)
{
	NcuTunnel *tunnel = user_data;
	g_autoptr (GError) error = NULL;

	tunnel->start_source = 0;
	if (!tunnel_setup_wg (tunnel, &error)) {
		if (!tunnel_retry_port (tunnel, &error))
			tunnel_fail (tunnel, "%s", error->message);
		return G_SOURCE_REMOVE;
	}
	if (tunnel->port_retry_until)
		g_message ("listen-port %u is free again", tunnel->profile->listen_port);
	if (!tunnel_setup_peers (tunnel, &error)) {
		tunnel_fail (tunnel, "%s", error->message);
		return G_SOURCE_REMOVE;
	}
	if (tunnel->profile->signaling_url && tunnel->peers->len > 0
	    && !tunnel_setup_signal (tunnel, &error)) {
		tunnel_fail (tunnel, "signaling: %s", error->message);
		return G_SOURCE_REMOVE;
	}
	ncu_ipplan_init (&tunnel->plan, tunnel->profile, tunnel->own_public);
	tunnel->plan_ready = TRUE;
	tunnel_resolve_gateway (tunnel);

	/* Offers go out once gathering is done; the signaling layer holds
	 * them until the broker is reachable. */
	if (tunnel->signal)
		ncu_signal_start (tunnel->signal);
	for (guint i = 0; i < tunnel->peers->len; i++)
		ncu_peer_start (g_ptr_array_index (tunnel->peers, i));
	tunnel_watch_underlay (tunnel);
	return G_SOURCE_REMOVE;
}

NcuTunnel *
ncu_tunnel_new (NcuProfile *profile, const char *uuid,
                const NcuTunnelCallbacks *callbacks, gpointer user_data)
{
	NcuTunnel *tunnel = g_new0 (NcuTunnel, 1);

	tunnel->profile = profile;
	tunnel->ifname = ncu_tunnel_ifname_for (profile, uuid);
	tunnel->callbacks = *callbacks;
	tunnel->user_data = user_data;
	tunnel->cancellable = g_cancellable_new ();
	tunnel->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) ncu_peer_free);
	ncu_key_public_from_private (profile->private_key, tunnel->own_public);
	return tunnel;
}

void
ncu_tunnel_start (NcuTunnel *tunnel)
{
	if (!tunnel->start_source && !tunnel->wg)
		tunnel->start_source = g_idle_add (tunnel_start_cb, tunnel);
}

static GVariant *
tunnel_signal_status (NcuTunnel *tunnel)
{
	if (!tunnel->signal)
		return NULL;
	return ncu_signal_get_status (tunnel->signal);
}

GVariant *
ncu_tunnel_get_status (NcuTunnel *tunnel)
{
	g_autoptr (NcuWgDeviceInfo) info = NULL;
	GVariantBuilder b, peers;
	GVariant *signal_status = tunnel_signal_status (tunnel);

	if (tunnel->wg)
		ncu_wg_get_device (tunnel->wg, &info, NULL);
	g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add (&b, "{sv}", "interface", g_variant_new_string (tunnel->ifname));
	g_variant_builder_add (&b, "{sv}", "listen-port", g_variant_new_uint32 (tunnel->wg_port));
	if (signal_status)
		g_variant_builder_add (&b, "{sv}", "signaling", signal_status);
	if (tunnel->underlay)
		g_variant_builder_add (&b, "{sv}", "underlay-changes",
		                       g_variant_new_uint32 (ncu_underlay_get_changes (tunnel->underlay)));
	g_variant_builder_init (&peers, G_VARIANT_TYPE ("aa{sv}"));
	for (guint i = 0; i < tunnel->peers->len; i++) {
		NcuPeer *peer = g_ptr_array_index (tunnel->peers, i);
		const NcuWgPeerInfo *wi = info ? ncu_wg_device_info_find_peer (info, ncu_peer_get_public_key (peer))
		                               : NULL;

		g_variant_builder_add_value (&peers, ncu_peer_get_status (peer, wi));
	}
	g_variant_builder_add (&b, "{sv}", "peers", g_variant_builder_end (&peers));
	return g_variant_builder_end (&b);
}

void
ncu_tunnel_free (NcuTunnel *tunnel)
{
	if (!tunnel)
		return;
	/* Reverse order of setup. */
	g_clear_handle_id (&tunnel->start_source, g_source_remove);
	g_cancellable_cancel (tunnel->cancellable);
	g_clear_pointer (&tunnel->underlay, ncu_underlay_free);
	g_clear_pointer (&tunnel->signal, ncu_signal_free);
	g_clear_pointer (&tunnel->peers, g_ptr_array_unref);
	g_clear_pointer (&tunnel->liveness, ncu_liveness_monitor_free);
	/* The peers are gone, so nothing points WireGuard at a remote
	 * candidate any more; the device goes right after. */
	g_clear_pointer (&tunnel->nft, ncu_nft_free);
	g_clear_pointer (&tunnel->wg, ncu_wg_free);
	if (tunnel->plan_ready)
		ncu_ipplan_clear (&tunnel->plan);
	g_clear_object (&tunnel->cancellable);
	g_free (tunnel->ifname);
	ncu_profile_free (tunnel->profile);
	g_free (tunnel);
}
