/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One host of the fast-path test (test-nft-fastpath.sh): a userspace
 * WireGuard device (wireguard-go through ncu-wg), one ICE session with a
 * STUN server, the userspace proxy, and the nft module, wired the way the
 * peer state machine does it:
 *   - WireGuard's endpoint starts at the proxy;
 *   - after "fast", every selected pair that qualifies installs the rules
 *     (ncu_nft_set_peer) and then points the endpoint at the remote
 *     candidate; one that does not qualifies leaves the fast path;
 *   - "leave" deletes the ingress rule, points the endpoint back at the
 *     proxy, then deletes the rest.
 *
 * Offers go through files the two drivers share: we write ours to
 * --offer-out (atomically) and poll --offer-in. A remote offer with new
 * credentials while our session already has a remote is a restart by the
 * other side: we restart too and answer. Format, one item per line:
 *   key <WireGuard public key, base64> / ufrag / pwd / cand <a=candidate:...> / end
 *
 * Commands on stdin, one reply line each on stdout ("ok ..." or "err ..."):
 *   stats | fast | leave | restart | free | plain <ip>:<port> | proxy | quit
 * ("leave" is the documented way off the fast path; "plain" and "proxy"
 * switch paths for the throughput comparison.)
 * Logs go to stderr. The private key is made here and never leaves.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <sodium.h>

#include "ncu-ice.h"
#include "ncu-nft.h"
#include "ncu-proxy.h"
#include "ncu-wg.h"

#define POLL_MS 50

typedef struct {
	GMainLoop *loop;
	const char *name;
	char *ifname, *offer_out, *offer_in, *peer_ip;
	guint16 wg_port;
	guint8 private_key[NCU_KEY_LEN], public_key[NCU_KEY_LEN];
	guint8 remote_key[NCU_KEY_LEN];
	gboolean have_remote_key;
	NcuWg *wg;
	NcuIce *ice;
	NcuProxy *proxy;
	NcuNft *nft;
	char *last_offer;          /* the remote offer file as last handled */
	char *applied_ufrag;       /* remote ufrag of our current session, or NULL */
	gboolean fast;             /* the fast path is wanted */
	gboolean on_fast;          /* ... and installed */
	GString *stdin_buf;
	guint stdin_id;
	int exit_code;
} Driver;

static void
quit (Driver *d, int code, const char *why)
{
	if (why)
		g_printerr ("nft-peer %s: %s\n", d->name, why);
	if (code)
		d->exit_code = code;
	g_main_loop_quit (d->loop);
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

static void
proxy_sockaddr (Driver *d, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *) ss;

	memset (ss, 0, sizeof *ss);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
	sin->sin_port = htons (ncu_proxy_get_port (d->proxy));
}

static gboolean
set_endpoint (Driver *d, const struct sockaddr_storage *ss, GError **error)
{
	return ncu_wg_set_peer_endpoint (d->wg, d->remote_key, (const struct sockaddr *) ss, error);
}

/* ---- the fast path, as the peer state machine drives it ---- */

static gboolean
leave_fast (Driver *d, GError **error)
{
	struct sockaddr_storage ss;

	if (!d->on_fast)
		return TRUE;
	/* Ingress first: from now on the remote's packets reach ICE and the
	 * proxy, so WireGuard does not roam back to the remote candidate. */
	if (!ncu_nft_remove_ingress (d->nft, d->remote_key, error))
		return FALSE;
	proxy_sockaddr (d, &ss);
	if (!set_endpoint (d, &ss, error))
		return FALSE;
	if (!ncu_nft_remove_peer (d->nft, d->remote_key, error))
		return FALSE;
	d->on_fast = FALSE;
	g_printerr ("nft-peer %s: left the fast path\n", d->name);
	return TRUE;
}

static gboolean
enter_fast (Driver *d, const NcuIceSelectedPair *pair, GError **error)
{
	g_autofree char *base = ncu_ice_endpoint_to_string (&pair->local_base);
	g_autofree char *remote = ncu_ice_endpoint_to_string (&pair->remote);
	struct sockaddr_storage ss;
	const char *why = NULL;

	if (!ncu_nft_pair_qualifies (pair, &why)) {
		g_printerr ("nft-peer %s: no fast path: %s\n", d->name, why);
		return leave_fast (d, error);
	}
	if (!d->nft)
		d->nft = ncu_nft_new (d->ifname);
	/* Rules first, then the endpoint: WireGuard's first packet to the
	 * remote must already leave from the ICE port. */
	if (!ncu_nft_set_peer (d->nft, d->remote_key, d->wg_port, pair, error))
		return FALSE;
	endpoint_to_sockaddr (&pair->remote, &ss);
	if (!set_endpoint (d, &ss, error))
		return FALSE;
	d->on_fast = TRUE;
	g_printerr ("nft-peer %s: fast path %s <-> %s\n", d->name, base, remote);
	return TRUE;
}

static void
update_fast (Driver *d)
{
	const NcuIceSelectedPair *pair = ncu_ice_get_selected_pair (d->ice);
	g_autoptr (GError) error = NULL;

	if (!d->fast || !pair || !d->have_remote_key)
		return;
	if (!enter_fast (d, pair, &error))
		quit (d, 1, error->message);
}

/* ---- ICE ---- */

static void
write_offer (Driver *d, const char *ufrag, const char *pwd, const char *const *candidates)
{
	g_autofree char *key = g_base64_encode (d->public_key, NCU_KEY_LEN);
	g_autoptr (GString) text = g_string_new (NULL);
	g_autoptr (GError) error = NULL;

	g_string_append_printf (text, "key %s\nufrag %s\npwd %s\n", key, ufrag, pwd);
	for (guint i = 0; candidates[i]; i++)
		g_string_append_printf (text, "cand %s\n", candidates[i]);
	g_string_append (text, "end\n");
	/* g_file_set_contents renames a temporary file into place. */
	if (!g_file_set_contents (d->offer_out, text->str, text->len, &error))
		quit (d, 1, error->message);
}

static void
on_gathered (NcuIce *ice, const char *ufrag, const char *pwd, const char *const *candidates,
             gpointer data)
{
	write_offer (data, ufrag, pwd, candidates);
}

static void
on_state (NcuIce *ice, NcuIceState state, gpointer data)
{
	Driver *d = data;

	g_printerr ("nft-peer %s: ICE %s\n", d->name, ncu_ice_state_to_string (state));
	if (state == NCU_ICE_STATE_CONNECTED) {
		ncu_proxy_set_ready (d->proxy, TRUE);
		update_fast (d);
	} else if (state == NCU_ICE_STATE_FAILED) {
		ncu_proxy_set_ready (d->proxy, FALSE);
	}
}

static void
on_pair (NcuIce *ice, const NcuIceSelectedPair *pair, gpointer data)
{
	Driver *d = data;
	g_autofree char *base = ncu_ice_endpoint_to_string (&pair->local_base);
	g_autofree char *remote = ncu_ice_endpoint_to_string (&pair->remote);

	g_printerr ("nft-peer %s: pair %s base %s -> %s %s\n", d->name,
	            ncu_ice_candidate_type_to_string (pair->local_type), base,
	            ncu_ice_candidate_type_to_string (pair->remote_type), remote);
	update_fast (d);
}

/* ---- the remote offer ---- */

static gboolean
configure_wg_peer (Driver *d, GError **error)
{
	g_autoptr (GArray) ips = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
	NcuWgPeer wp = { 0 };
	NcuCidr cidr = { 0 };

	cidr.family = AF_INET;
	if (inet_pton (AF_INET, d->peer_ip, cidr.addr) != 1) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad --peer-ip %s", d->peer_ip);
		return FALSE;
	}
	cidr.prefix = 32;
	g_array_append_val (ips, cidr);
	memcpy (wp.public_key, d->remote_key, NCU_KEY_LEN);
	proxy_sockaddr (d, &wp.endpoint);
	wp.allowed_ips = ips;
	wp.replace_allowed_ips = TRUE;
	return ncu_wg_set_peer (d->wg, &wp, error);
}

static gboolean
apply_offer (Driver *d, char **lines, GError **error)
{
	g_autoptr (GPtrArray) cands = g_ptr_array_new ();
	const char *ufrag = NULL, *pwd = NULL, *key = NULL;
	g_autofree guint8 *raw = NULL;
	gsize len = 0;

	for (guint i = 0; lines[i]; i++) {
		if (g_str_has_prefix (lines[i], "key "))
			key = lines[i] + 4;
		else if (g_str_has_prefix (lines[i], "ufrag "))
			ufrag = lines[i] + 6;
		else if (g_str_has_prefix (lines[i], "pwd "))
			pwd = lines[i] + 4;
		else if (g_str_has_prefix (lines[i], "cand "))
			g_ptr_array_add (cands, lines[i] + 5);
	}
	g_ptr_array_add (cands, NULL);
	if (!key || !ufrag || !pwd || !(raw = g_base64_decode (key, &len)) || len != NCU_KEY_LEN) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed offer");
		return FALSE;
	}
	if (!d->have_remote_key) {
		memcpy (d->remote_key, raw, NCU_KEY_LEN);
		d->have_remote_key = TRUE;
		if (!configure_wg_peer (d, error))
			return FALSE;
	}
	if (d->applied_ufrag && !g_str_equal (d->applied_ufrag, ufrag)) {
		/* The remote restarted: a new session of ours answers it. */
		g_printerr ("nft-peer %s: remote restarted, restarting too\n", d->name);
		if (!ncu_ice_restart (d->ice, error))
			return FALSE;
	}
	g_free (d->applied_ufrag);
	d->applied_ufrag = g_strdup (ufrag);
	return ncu_ice_set_remote (d->ice, ufrag, pwd, (const char *const *) cands->pdata, error);
}

static gboolean
on_poll (gpointer data)
{
	Driver *d = data;
	g_autofree char *text = NULL;
	g_auto (GStrv) lines = NULL;
	g_autoptr (GError) error = NULL;

	if (!g_file_get_contents (d->offer_in, &text, NULL, NULL) || !g_str_has_suffix (text, "end\n") ||
	    g_strcmp0 (text, d->last_offer) == 0)
		return G_SOURCE_CONTINUE;
	g_free (d->last_offer);
	d->last_offer = g_strdup (text);
	lines = g_strsplit (text, "\n", -1);
	if (!apply_offer (d, lines, &error))
		quit (d, 1, error->message);
	return G_SOURCE_CONTINUE;
}

/* ---- commands ---- */

static void
reply (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
reply (const char *format, ...)
{
	va_list ap;

	va_start (ap, format);
	vprintf (format, ap);
	va_end (ap);
	putchar ('\n');
	fflush (stdout);
}

static void
cmd_stats (Driver *d)
{
	g_autoptr (NcuWgDeviceInfo) info = NULL;
	const NcuWgPeerInfo *wp = NULL;
	const NcuIceSelectedPair *pair = ncu_ice_get_selected_pair (d->ice);
	NcuNftCounters nc = { 0 };
	NcuIceStats is;
	NcuProxyStats ps;
	g_autofree char *endpoint = NULL, *base = NULL, *remote = NULL;

	ncu_ice_get_stats (d->ice, &is);
	ncu_proxy_get_stats (d->proxy, &ps);
	if (ncu_wg_get_device (d->wg, &info, NULL) && d->have_remote_key)
		wp = ncu_wg_device_info_find_peer (info, d->remote_key);
	if (wp)
		endpoint = ncu_wg_sockaddr_to_string ((const struct sockaddr *) &wp->endpoint);
	if (d->on_fast)
		ncu_nft_get_counters (d->nft, d->remote_key, &nc, NULL);
	if (pair) {
		base = ncu_ice_endpoint_to_string (&pair->local_base);
		remote = ncu_ice_endpoint_to_string (&pair->remote);
	}
	reply ("ok state=%s restarts=%u ice_rx=%" G_GUINT64_FORMAT " ice_tx=%" G_GUINT64_FORMAT
	       " proxy_to_wg=%" G_GUINT64_FORMAT " proxy_to_ice=%" G_GUINT64_FORMAT " fast=%d"
	       " nft_out_pkts=%" G_GUINT64_FORMAT " nft_out_bytes=%" G_GUINT64_FORMAT
	       " nft_in_pkts=%" G_GUINT64_FORMAT " nft_in_bytes=%" G_GUINT64_FORMAT
	       " wg_rx=%" G_GUINT64_FORMAT " wg_tx=%" G_GUINT64_FORMAT
	       " endpoint=%s local=%s base=%s remote=%s",
	       ncu_ice_state_to_string (ncu_ice_get_state (d->ice)), is.restarts, is.rx_packets,
	       is.tx_packets, ps.ice_to_wg_packets, ps.wg_to_ice_packets, d->on_fast,
	       nc.egress_packets, nc.egress_bytes, nc.ingress_packets, nc.ingress_bytes,
	       wp ? wp->rx_bytes : 0, wp ? wp->tx_bytes : 0, endpoint ? endpoint : "none",
	       pair ? ncu_ice_candidate_type_to_string (pair->local_type) : "none",
	       base ? base : "none", remote ? remote : "none");
}

/* Points WireGuard at @ss with @keepalive seconds (0: off). */
static gboolean
set_path (Driver *d, const struct sockaddr_storage *ss, guint16 keepalive, GError **error)
{
	NcuWgPeer wp = { 0 };

	memcpy (wp.public_key, d->remote_key, NCU_KEY_LEN);
	wp.endpoint = *ss;
	wp.persistent_keepalive = keepalive;
	return ncu_wg_set_peer (d->wg, &wp, error);
}

/* "plain <ip>:<port>": WireGuard straight to the remote's NAT, no ICE
 * (the baseline), with a keepalive every second to open the NATs. */
static gboolean
cmd_plain (Driver *d, const char *arg, GError **error)
{
	g_autoptr (GSocketConnectable) addr = g_network_address_parse (arg, 51820, error);
	g_autoptr (GInetAddress) inet = NULL;
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *) &ss;

	if (!addr)
		return FALSE;
	inet = g_inet_address_new_from_string (g_network_address_get_hostname (G_NETWORK_ADDRESS (addr)));
	if (!inet || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV4) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "plain: want an IPv4 address");
		return FALSE;
	}
	d->fast = FALSE;
	if (!leave_fast (d, error))
		return FALSE;
	sin->sin_family = AF_INET;
	memcpy (&sin->sin_addr, g_inet_address_to_bytes (inet), 4);
	sin->sin_port = htons (g_network_address_get_port (G_NETWORK_ADDRESS (addr)));
	return set_path (d, &ss, 1, error);
}

/* "proxy": back to the proxy from wherever WireGuard points now. */
static gboolean
cmd_proxy (Driver *d, GError **error)
{
	struct sockaddr_storage ss;

	d->fast = FALSE;
	if (!leave_fast (d, error))
		return FALSE;
	proxy_sockaddr (d, &ss);
	return set_path (d, &ss, 0, error);
}

static void
handle_command (Driver *d, const char *line)
{
	g_autoptr (GError) error = NULL;
	gboolean ok = TRUE;

	if (g_str_equal (line, "stats")) {
		cmd_stats (d);
		return;
	} else if (g_str_equal (line, "proxy")) {
		ok = cmd_proxy (d, &error);
	} else if (g_str_equal (line, "fast")) {
		struct sockaddr_storage none = { .ss_family = AF_UNSPEC };

		/* Keepalives off (after "plain"); the endpoint follows. */
		if (!set_path (d, &none, 0, &error)) {
			reply ("err fast: %s", error->message);
			return;
		}
		d->fast = TRUE;
		if (ncu_ice_get_state (d->ice) == NCU_ICE_STATE_CONNECTED) {
			update_fast (d);
			ok = d->on_fast;
		}
	} else if (g_str_equal (line, "leave")) {
		d->fast = FALSE;
		ok = leave_fast (d, &error);
	} else if (g_str_equal (line, "restart")) {
		g_clear_pointer (&d->applied_ufrag, g_free);
		ok = ncu_ice_restart (d->ice, &error);
	} else if (g_str_equal (line, "free")) {
		g_clear_pointer (&d->nft, ncu_nft_free);
		d->on_fast = FALSE;
	} else if (g_str_has_prefix (line, "plain ")) {
		ok = cmd_plain (d, line + 6, &error);
	} else if (g_str_equal (line, "quit")) {
		reply ("ok bye");
		quit (d, 0, NULL);
		return;
	} else {
		reply ("err unknown command");
		return;
	}
	if (ok)
		reply ("ok %s", line);
	else
		reply ("err %s: %s", line, error ? error->message : "not on the fast path");
}

static gboolean
on_stdin (gint fd, GIOCondition condition, gpointer data)
{
	Driver *d = data;
	char buf[1024];
	ssize_t n = read (fd, buf, sizeof buf);
	char *nl;

	if (n <= 0) {
		d->stdin_id = 0;
		quit (d, 0, "stdin closed");
		return G_SOURCE_REMOVE;
	}
	g_string_append_len (d->stdin_buf, buf, n);
	while ((nl = strchr (d->stdin_buf->str, '\n'))) {
		*nl = '\0';
		handle_command (d, d->stdin_buf->str);
		g_string_erase (d->stdin_buf, 0, nl - d->stdin_buf->str + 1);
	}
	return G_SOURCE_CONTINUE;
}

static void
on_wg_exit (NcuWg *wg, const GError *error, gpointer data)
{
	quit (data, 1, error->message);
}

/* ---- setup ---- */

static gboolean
setup (Driver *d, const char *stun, gboolean controlling, GError **error)
{
	g_autoptr (GSocketConnectable) stun_addr = g_network_address_parse (stun, 3478, error);
	NcuIceServer server = { 0 };
	NcuIceServer *servers[] = { &server };
	NcuIceConfig config = { 0 };
	const NcuIceCallbacks callbacks = {
		.state_changed = on_state, .gathering_done = on_gathered, .selected_pair = on_pair,
	};

	if (!stun_addr)
		return FALSE;
	/* A fresh key pair; the private half stays in this process. */
	randombytes_buf (d->private_key, NCU_KEY_LEN);
	d->private_key[0] &= 248;
	d->private_key[31] = (d->private_key[31] & 127) | 64;
	crypto_scalarmult_base (d->public_key, d->private_key);

	d->wg = ncu_wg_new (NCU_WG_BACKEND_USERSPACE, d->ifname, error);
	if (!d->wg)
		return FALSE;
	ncu_wg_set_exit_cb (d->wg, on_wg_exit, d);
	if (!ncu_wg_set_device (d->wg, d->private_key, d->wg_port, 0, error))
		return FALSE;

	server.kind = NCU_ICE_SERVER_STUN;
	server.host = (char *) g_network_address_get_hostname (G_NETWORK_ADDRESS (stun_addr));
	server.port = g_network_address_get_port (G_NETWORK_ADDRESS (stun_addr));
	config.servers = servers;
	config.n_servers = 1;
	config.tunnel_interface = d->ifname;
	config.gather_deadline_ms = -1;
	d->ice = ncu_ice_new (NULL, &config, controlling, error);
	if (!d->ice)
		return FALSE;
	ncu_ice_set_callbacks (d->ice, &callbacks, d);
	d->proxy = ncu_proxy_new (d->wg_port, d->ice, error);
	if (!d->proxy)
		return FALSE;
	ncu_proxy_set_initiator (d->proxy, controlling, 500);
	return ncu_ice_gather (d->ice, error);
}

int
main (int argc, char **argv)
{
	gboolean controlling = FALSE;
	char *stun = NULL, *name = NULL;
	int wg_port = 51820;
	g_autoptr (GError) error = NULL;
	Driver d = { .name = "peer" };
	GOptionEntry entries[] = {
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name, "Name in logs", "NAME" },
		{ "controlling", 0, 0, G_OPTION_ARG_NONE, &controlling, "ICE-controlling", NULL },
		{ "stun", 0, 0, G_OPTION_ARG_STRING, &stun, "STUN server", "HOST:PORT" },
		{ "ifname", 0, 0, G_OPTION_ARG_STRING, &d.ifname, "WireGuard interface", "IFNAME" },
		{ "wg-port", 0, 0, G_OPTION_ARG_INT, &wg_port, "WireGuard listen port", "PORT" },
		{ "peer-ip", 0, 0, G_OPTION_ARG_STRING, &d.peer_ip, "The peer's tunnel address", "IP" },
		{ "offer-out", 0, 0, G_OPTION_ARG_FILENAME, &d.offer_out, "Our offer goes here", "FILE" },
		{ "offer-in", 0, 0, G_OPTION_ARG_FILENAME, &d.offer_in, "The remote offer", "FILE" },
		{ NULL }
	};
	g_autoptr (GOptionContext) options = g_option_context_new ("- one host of the fast-path test");
	guint poll_id = 0;

	g_option_context_add_main_entries (options, entries, NULL);
	if (!g_option_context_parse (options, &argc, &argv, &error) || !stun || !d.ifname ||
	    !d.peer_ip || !d.offer_out || !d.offer_in || wg_port <= 0 || wg_port > 65535) {
		g_printerr ("nft-peer: %s\n", error ? error->message : "missing or bad options (see --help)");
		return 2;
	}
	if (sodium_init () < 0)
		return 2;
	if (name)
		d.name = name;
	d.wg_port = wg_port;
	d.loop = g_main_loop_new (NULL, FALSE);
	d.stdin_buf = g_string_new (NULL);
	if (setup (&d, stun, controlling, &error)) {
		poll_id = g_timeout_add (POLL_MS, on_poll, &d);
		d.stdin_id = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP, on_stdin, &d);
		reply ("ready %d", (int) getpid ());
		g_main_loop_run (d.loop);
	} else {
		reply ("err %s", error->message);
		d.exit_code = 1;
	}
	if (poll_id)
		g_source_remove (poll_id);
	if (d.stdin_id)
		g_source_remove (d.stdin_id);
	g_clear_pointer (&d.nft, ncu_nft_free);
	g_clear_pointer (&d.proxy, ncu_proxy_free);
	g_clear_pointer (&d.ice, ncu_ice_free);
	g_clear_pointer (&d.wg, ncu_wg_free);
	sodium_memzero (d.private_key, sizeof d.private_key);
	g_main_loop_unref (d.loop);
	g_string_free (d.stdin_buf, TRUE);
	g_free (d.last_offer);
	g_free (d.applied_ufrag);
	g_free (d.ifname);
	g_free (d.peer_ip);
	g_free (d.offer_out);
	g_free (d.offer_in);
	g_free (stun);
	g_free (name);
	return d.exit_code;
}
