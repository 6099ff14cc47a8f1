/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The WireGuard device: picks a backend, checks arguments once for both, and
 * dispatches.  The backends (ncu-wg-kernel.c, ncu-wg-uapi.c) only talk to
 * their kernel interface or process.
 */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sodium.h>

#include "ncu-wg.h"
#include "ncu-wg-kernel.h"
#include "ncu-wg-uapi.h"

/* How long ncu_wg_set_device waits for wireguard-go to bind port 0. */
#define PORT_BIND_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define PORT_BIND_POLL_US    (10 * 1000)
/* How long ncu_wg_new waits for an interface of the same name to go. */
#define IFNAME_FREE_TIMEOUT_US (3 * G_USEC_PER_SEC)
#define IFNAME_FREE_POLL_US    (20 * 1000)

struct _NcuWg {
	NcuWgBackend backend;          /* KERNEL or USERSPACE */
	char *ifname;
	int ifindex;
	NcuWgKernel *kernel;           /* one of these two, NULL once closed */
	NcuWgUapi *uapi;
	gboolean uapi_up;              /* wireguard-go bound a port once: it is up */
	/* The last read, shared (ncu_wg_get_device_cached); dropped by every
	 * change we make, so no reader sees the state before its own write. */
	NcuWgDeviceInfo *snapshot;
	gint64 snapshot_us;
	NcuWgExitFunc exit_func;
	gpointer exit_data;
};

G_DEFINE_QUARK (ncu-wg-error-quark, ncu_wg_error)

/* ---- device info ---- */

/* Reference counted (a GRcBox): a cached read is shared by its readers. */
NcuWgDeviceInfo *
ncu_wg_device_info_new (void)
{
	NcuWgDeviceInfo *info = g_rc_box_new0 (NcuWgDeviceInfo);

	info->peers = g_ptr_array_new ();
	return info;
}

NcuWgDeviceInfo *
ncu_wg_device_info_ref (NcuWgDeviceInfo *info)
{
	return g_rc_box_acquire (info);
}

static void
peer_info_free (NcuWgPeerInfo *peer)
{
	g_array_unref (peer->allowed_ips);
	g_free (peer);
}

static void
device_info_clear (gpointer data)
{
	NcuWgDeviceInfo *info = data;

	for (guint i = 0; i < info->peers->len; i++)
		peer_info_free (info->peers->pdata[i]);
	g_ptr_array_unref (info->peers);
}

void
ncu_wg_device_info_free (NcuWgDeviceInfo *info)
{
	if (info)
		g_rc_box_release_full (info, device_info_clear);
}

NcuWgPeerInfo *
ncu_wg_device_info_add_peer (NcuWgDeviceInfo *info)
{
	NcuWgPeerInfo *peer = g_new0 (NcuWgPeerInfo, 1);

	peer->endpoint.ss_family = AF_UNSPEC;
	peer->allowed_ips = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
	g_ptr_array_add (info->peers, peer);
	return peer;
}

const NcuWgPeerInfo *
ncu_wg_device_info_find_peer (const NcuWgDeviceInfo *info,
                              const guint8 public_key[NCU_KEY_LEN])
{
	for (guint i = 0; i < info->peers->len; i++) {
		const NcuWgPeerInfo *peer = info->peers->pdata[i];

		if (memcmp (peer->public_key, public_key, NCU_KEY_LEN) == 0)
			return peer;
	}
	return NULL;
}

/* ---- helpers shared by the backends ---- */

char *
ncu_wg_key_short (const guint8 key[NCU_KEY_LEN])
{
	g_autofree char *b64 = g_base64_encode (key, NCU_KEY_LEN);

	return g_strndup (b64, 8);
}

socklen_t
ncu_wg_sockaddr_len (const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return sizeof (struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return sizeof (struct sockaddr_in6);
	return 0;
}

char *
ncu_wg_sockaddr_to_string (const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *) sa;

		inet_ntop (AF_INET, &sin->sin_addr, host, sizeof host);
		return g_strdup_printf ("%s:%u", host, ntohs (sin->sin_port));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) sa;

		inet_ntop (AF_INET6, &sin6->sin6_addr, host, sizeof host);
		if (sin6->sin6_scope_id != 0)
			return g_strdup_printf ("[%s%%%u]:%u", host, sin6->sin6_scope_id,
			                        ntohs (sin6->sin6_port));
		return g_strdup_printf ("[%s]:%u", host, ntohs (sin6->sin6_port));
	}
	return NULL;
}

static gboolean
cidr_validate (const NcuCidr *cidr, GError **error)
{
	if (cidr->family == AF_INET && cidr->prefix <= 32)
		return TRUE;
	if (cidr->family == AF_INET6 && cidr->prefix <= 128)
		return TRUE;
	if (cidr->family != AF_INET && cidr->family != AF_INET6)
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_INVALID_ARGUMENT,
		             "address family %d is neither IPv4 nor IPv6", cidr->family);
	else
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_INVALID_ARGUMENT,
		             "prefix length %u is too long", cidr->prefix);
	return FALSE;
}

static gboolean
endpoint_validate (const struct sockaddr *sa, GError **error)
{
	guint16 port;

	if (sa->sa_family == AF_INET)
		port = ntohs (((const struct sockaddr_in *) sa)->sin_port);
	else if (sa->sa_family == AF_INET6)
		port = ntohs (((const struct sockaddr_in6 *) sa)->sin6_port);
	else {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_INVALID_ARGUMENT,
		             "endpoint: address family %d is neither IPv4 nor IPv6",
		             sa->sa_family);
		return FALSE;
	}
	if (port == 0) {
		g_set_error_literal (error, NCU_WG_ERROR, NCU_WG_ERROR_INVALID_ARGUMENT,
		                     "endpoint: port 0");
		return FALSE;
	}
	return TRUE;
}

gboolean
ncu_wg_peer_validate (const NcuWgPeer *peer, GError **error)
{
	g_autofree char *name = ncu_wg_key_short (peer->public_key);
	GError *local = NULL;

	if (peer->remove)
		return TRUE;
	if (peer->endpoint.ss_family != AF_UNSPEC &&
	    !endpoint_validate ((const struct sockaddr *) &peer->endpoint, &local)) {
		g_propagate_prefixed_error (error, local, "peer %s: ", name);
		return FALSE;
	}
	for (guint i = 0; peer->allowed_ips && i < peer->allowed_ips->len; i++) {
		if (!cidr_validate (&g_array_index (peer->allowed_ips, NcuCidr, i), &local)) {
			g_propagate_prefixed_error (error, local,
			                            "peer %s: allowed IP %u: ", name, i);
			return FALSE;
		}
	}
	return TRUE;
}

/*
 * Linux's own rule (dev_valid_name), and no '%' (the kernel would expand
 * "wg%d" into a name we do not know); it also keeps the socket path sane.
 */
static gboolean
ifname_validate (const char *ifname, GError **error)
{
	size_t len = ifname ? strlen (ifname) : 0;

	if (len == 0 || len >= IFNAMSIZ || strcmp (ifname, ".") == 0 ||
	    strcmp (ifname, "..") == 0 || strpbrk (ifname, "/:% \t\n\r\v\f")) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_INVALID_ARGUMENT,
		             "interface name \"%s\" is not valid (1-%d characters, no '/', ':', '%%' or spaces)",
		             ifname ? ifname : "", IFNAMSIZ - 1);
		return FALSE;
	}
	return TRUE;
}

/* ---- the device ---- */

static void
on_uapi_exit (gpointer user_data, const GError *error)
{
	NcuWg *wg = user_data;

	/* The owner reports it (a g_warning would abort GTest-based tests). */
	g_debug ("WireGuard device %s: %s", wg->ifname, error->message);
	if (wg->exit_func)
		wg->exit_func (wg, error, wg->exit_data);
}

static gboolean
open_kernel (NcuWg *wg, GError **error)
{
	wg->kernel = ncu_wg_kernel_new (wg->ifname, error);
	if (!wg->kernel)
		return FALSE;
	wg->backend = NCU_WG_BACKEND_KERNEL;
	wg->ifindex = ncu_wg_kernel_get_ifindex (wg->kernel);
	return TRUE;
}

static gboolean
open_userspace (NcuWg *wg, GError **error)
{
	wg->uapi = ncu_wg_uapi_new (wg->ifname, on_uapi_exit, wg, error);
	if (!wg->uapi)
		return FALSE;
	wg->backend = NCU_WG_BACKEND_USERSPACE;
	wg->ifindex = ncu_wg_uapi_get_ifindex (wg->uapi);
	return TRUE;
}

/*
 * auto: the kernel when the probe finds WireGuard; otherwise still try the
 * link (it may load the module), and fall back to wireguard-go only when the
 * kernel does not know the link type.  Other failures (the name exists, no
 * permission) would hit wireguard-go too, so they are reported.
 */
static gboolean
open_auto (NcuWg *wg, GError **error)
{
	g_autoptr (GError) local = NULL;

	if (ncu_wg_kernel_probe ())
		return open_kernel (wg, error);
	if (open_kernel (wg, &local))
		return TRUE;
	if (!g_error_matches (local, NCU_WG_ERROR, NCU_WG_ERROR_UNSUPPORTED)) {
		g_propagate_error (error, g_steal_pointer (&local));
		return FALSE;
	}
	g_debug ("kernel WireGuard unavailable (%s): using wireguard-go", local->message);
	return open_userspace (wg, error);
}

/*
 * Interface names are per connection, and NetworkManager starts a new
 * service for `nmcli connection up` as soon as it has told the previous
 * one to disconnect: that one may still be tearing the interface down
 * (saying bye on the broker first). Give it a moment before calling the
 * name taken.
 */
static gboolean
wait_ifname_free (const char *ifname)
{
	gint64 deadline = g_get_monotonic_time () + IFNAME_FREE_TIMEOUT_US;

	if (if_nametoindex (ifname) == 0)
		return TRUE;
	g_debug ("%s exists: waiting for it to go", ifname);
	do {
		if (g_get_monotonic_time () >= deadline)
			return FALSE;
		g_usleep (IFNAME_FREE_POLL_US);
	} while (if_nametoindex (ifname) != 0);
	return TRUE;
}

NcuWg *
ncu_wg_new (NcuWgBackend backend, const char *ifname, GError **error)
{
	g_autoptr (NcuWg) wg = NULL;
	gboolean ok;

	if (!ifname_validate (ifname, error))
		return NULL;
	if (sodium_init () < 0) {
		g_set_error_literal (error, NCU_WG_ERROR, NCU_WG_ERROR_FAILED,
		                     "libsodium failed to initialize");
		return NULL;
	}
	if (!wait_ifname_free (ifname)) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_EXISTS,
		             "interface %s already exists", ifname);
		return NULL;
	}

	wg = g_new0 (NcuWg, 1);
	wg->ifname = g_strdup (ifname);
	switch (backend) {
	case NCU_WG_BACKEND_KERNEL:
		ok = open_kernel (wg, error);
		break;
	case NCU_WG_BACKEND_USERSPACE:
		ok = open_userspace (wg, error);
		break;
	case NCU_WG_BACKEND_AUTO:
		ok = open_auto (wg, error);
		break;
	default:
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_INVALID_ARGUMENT,
		             "unknown WireGuard backend %d", (int) backend);
		ok = FALSE;
	}
	/* Up at once: both backends bind their UDP socket only while up. */
	if (!ok || !ncu_wg_link_set_up (wg->ifindex, error))
		return NULL;
	return g_steal_pointer (&wg);
}

void
ncu_wg_close (NcuWg *wg)
{
	g_clear_pointer (&wg->snapshot, ncu_wg_device_info_free);
	g_clear_pointer (&wg->kernel, ncu_wg_kernel_free);
	g_clear_pointer (&wg->uapi, ncu_wg_uapi_free);
}

void
ncu_wg_free (NcuWg *wg)
{
	if (!wg)
		return;
	ncu_wg_close (wg);
	g_free (wg->ifname);
	g_free (wg);
}

void
ncu_wg_set_exit_cb (NcuWg *wg, NcuWgExitFunc func, gpointer user_data)
{
	wg->exit_func = func;
	wg->exit_data = user_data;
}

const char *
ncu_wg_get_ifname (NcuWg *wg)
{
	return wg->ifname;
}

int
ncu_wg_get_ifindex (NcuWg *wg)
{
	return wg->ifindex;
}

NcuWgBackend
ncu_wg_get_backend (NcuWg *wg)
{
	return wg->backend;
}

static gboolean
check_open (NcuWg *wg, GError **error)
{
	if (wg->kernel || wg->uapi)
		return TRUE;
	g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_FAILED,
	             "WireGuard device %s is closed", wg->ifname);
	return FALSE;
}

static gboolean
backend_set (NcuWg *wg, const NcuWgDeviceConfig *device, const NcuWgPeer *peer,
             gboolean endpoint_only, GError **error)
{
	if (!check_open (wg, error))
		return FALSE;
	/* Even a failed set may have changed something. */
	g_clear_pointer (&wg->snapshot, ncu_wg_device_info_free);
	if (wg->kernel)
		return ncu_wg_kernel_set (wg->kernel, device, peer, endpoint_only, error);
	return ncu_wg_uapi_set (wg->uapi, device, peer, endpoint_only, error);
}

gboolean
ncu_wg_get_device (NcuWg *wg, NcuWgDeviceInfo **out, GError **error)
{
	if (!check_open (wg, error))
		return FALSE;
	if (wg->kernel)
		return ncu_wg_kernel_get (wg->kernel, out, error);
	return ncu_wg_uapi_get (wg->uapi, out, error);
}

gboolean
ncu_wg_get_device_cached (NcuWg *wg, guint max_age_ms, NcuWgDeviceInfo **out, GError **error)
{
	gint64 now = g_get_monotonic_time ();
	NcuWgDeviceInfo *info = NULL;

	if (wg->snapshot && max_age_ms > 0 && now - wg->snapshot_us <= (gint64) max_age_ms * 1000) {
		*out = ncu_wg_device_info_ref (wg->snapshot);
		return TRUE;
	}
	if (!ncu_wg_get_device (wg, &info, error))
		return FALSE;
	g_clear_pointer (&wg->snapshot, ncu_wg_device_info_free);
	wg->snapshot = ncu_wg_device_info_ref (info);
	wg->snapshot_us = now;
	*out = info;
	return TRUE;
}

/*
 * wireguard-go binds when it handles the link-up event, which may come after
 * our set: wait until it reports a port.  Before setting port 0, so the
 * caller reads the real one; before a fixed port, so wireguard-go binds it
 * while we wait for its answer: bound at the link-up event instead, a taken
 * port would only leave the device down, without a word to us.  The kernel
 * binds synchronously.
 */
static gboolean
wait_port_bound (NcuWg *wg, GError **error)
{
	gint64 deadline = g_get_monotonic_time () + PORT_BIND_TIMEOUT_US;

	for (;;) {
		g_autoptr (NcuWgDeviceInfo) info = NULL;

		if (!ncu_wg_get_device (wg, &info, error))
			return FALSE;
		if (info->listen_port != 0) {
			wg->uapi_up = TRUE;
			return TRUE;
		}
		if (g_get_monotonic_time () > deadline)
			break;
		g_usleep (PORT_BIND_POLL_US);
	}
	g_debug ("%s: no port bound yet (interface down?)", wg->ifname);
	return TRUE;
}

gboolean
ncu_wg_set_device (NcuWg *wg, const guint8 private_key[NCU_KEY_LEN],
                   guint16 listen_port, guint32 fwmark, GError **error)
{
	NcuWgDeviceConfig device = { .listen_port = listen_port, .fwmark = fwmark };
	gboolean ok;

	/* Once up, wireguard-go stays up even when a port fails to bind. */
	if (listen_port != 0 && wg->uapi && !wg->uapi_up && !wait_port_bound (wg, error))
		return FALSE;
	memcpy (device.private_key, private_key, NCU_KEY_LEN);
	ok = backend_set (wg, &device, NULL, FALSE, error);
	sodium_memzero (&device, sizeof device);
	if (ok && listen_port == 0 && wg->uapi)
		ok = wait_port_bound (wg, error);
	return ok;
}

gboolean
ncu_wg_set_peer (NcuWg *wg, const NcuWgPeer *peer, GError **error)
{
	if (!ncu_wg_peer_validate (peer, error))
		return FALSE;
	return backend_set (wg, NULL, peer, FALSE, error);
}

gboolean
ncu_wg_set_peer_endpoint (NcuWg *wg, const guint8 public_key[NCU_KEY_LEN],
                          const struct sockaddr *sa, GError **error)
{
	NcuWgPeer peer = { 0 };
	socklen_t len = ncu_wg_sockaddr_len (sa);

	memcpy (peer.public_key, public_key, NCU_KEY_LEN);
	if (len == 0) {
		g_autofree char *name = ncu_wg_key_short (public_key);

		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_INVALID_ARGUMENT,
		             "peer %s: endpoint: address family %d is neither IPv4 nor IPv6",
		             name, sa->sa_family);
		return FALSE;
	}
	memcpy (&peer.endpoint, sa, len);
	if (!ncu_wg_peer_validate (&peer, error))
		return FALSE;
	return backend_set (wg, NULL, &peer, TRUE, error);
}
