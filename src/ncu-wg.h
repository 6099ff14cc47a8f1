/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The WireGuard device of one connection, behind one interface with two
 * backends: the kernel module (rtnetlink + generic netlink "wireguard") or
 * wireguard-go in userspace (spawned on a TUN device, configured through its
 * text UAPI socket).  Synchronous calls on the GLib main loop, no threads.
 *
 * Secrets (private and pre-shared keys) travel only over netlink or the UAPI
 * socket: never argv, environment, files or logs; buffers that held them are
 * wiped.
 */
#ifndef NCU_WG_H
#define NCU_WG_H

#include <glib.h>
#include <sys/socket.h>
#include "ncu-profile.h"

#define NCU_WG_ERROR (ncu_wg_error_quark ())
GQuark ncu_wg_error_quark (void);

typedef enum {
	NCU_WG_ERROR_FAILED,
	NCU_WG_ERROR_INVALID_ARGUMENT, /* a caller's value is out of range */
	NCU_WG_ERROR_NOT_FOUND,        /* wireguard-go missing, no such link */
	NCU_WG_ERROR_UNSUPPORTED,      /* no kernel WireGuard */
	NCU_WG_ERROR_EXISTS,           /* the interface already exists */
	NCU_WG_ERROR_TIMEOUT,
	NCU_WG_ERROR_PROTOCOL,         /* malformed reply from the backend */
	NCU_WG_ERROR_REMOTE,           /* the backend refused (errno) */
	NCU_WG_ERROR_EXITED,           /* wireguard-go exited */
	NCU_WG_ERROR_ADDRESS_IN_USE,   /* the listen port is taken (EADDRINUSE) */
} NcuWgError;

/* Device settings, all applied at once. */
typedef struct {
	guint8 private_key[NCU_KEY_LEN];
	guint16 listen_port;           /* 0: a free port (picked anew per call) */
	guint32 fwmark;                /* 0: none */
} NcuWgDeviceConfig;

/* One peer to add, update or remove (ncu_wg_set_peer). */
typedef struct {
	guint8 public_key[NCU_KEY_LEN];
	gboolean has_preshared_key;    /* FALSE clears any pre-shared key */
	guint8 preshared_key[NCU_KEY_LEN];
	struct sockaddr_storage endpoint; /* AF_UNSPEC: leave as it is */
	guint16 persistent_keepalive;  /* seconds, 0 = off */
	GArray *allowed_ips;           /* of NcuCidr, borrowed; NULL = none */
	gboolean replace_allowed_ips;  /* drop allowed IPs not in the list */
	gboolean remove;               /* remove the peer; the rest is ignored */
} NcuWgPeer;

/* What the device reports (ncu_wg_get_device). No secret is kept here. */
typedef struct {
	guint8 public_key[NCU_KEY_LEN];
	gboolean has_preshared_key;
	struct sockaddr_storage endpoint; /* AF_UNSPEC: none */
	gint64 last_handshake_sec;     /* 0: never */
	gint64 last_handshake_nsec;
	guint64 rx_bytes;
	guint64 tx_bytes;
	guint16 persistent_keepalive;
	GArray *allowed_ips;           /* of NcuCidr, never NULL */
} NcuWgPeerInfo;

typedef struct {
	gboolean has_public_key;       /* FALSE until a private key is set */
	guint8 public_key[NCU_KEY_LEN];
	guint16 listen_port;           /* the bound port; 0 while down */
	guint32 fwmark;
	GPtrArray *peers;              /* of NcuWgPeerInfo*, never NULL */
} NcuWgDeviceInfo;

NcuWgDeviceInfo *ncu_wg_device_info_new (void);
/* A device info may be shared (ncu_wg_get_device_cached): _ref adds a
 * reference, _free drops one and frees with the last. */
NcuWgDeviceInfo *ncu_wg_device_info_ref (NcuWgDeviceInfo *info);
void ncu_wg_device_info_free (NcuWgDeviceInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuWgDeviceInfo, ncu_wg_device_info_free)
/* Adds an empty peer (allowed_ips allocated) and returns it. */
NcuWgPeerInfo *ncu_wg_device_info_add_peer (NcuWgDeviceInfo *info);
/* NULL when @info has no peer with @public_key. */
const NcuWgPeerInfo *ncu_wg_device_info_find_peer (const NcuWgDeviceInfo *info,
                                                   const guint8 public_key[NCU_KEY_LEN]);

typedef struct _NcuWg NcuWg;

/*
 * Called once from the main loop when the device dies on its own
 * (wireguard-go exited or was killed); @error says how.  The NcuWg stays
 * valid (calls then fail with NCU_WG_ERROR_EXITED) and must still be freed;
 * freeing it from inside the callback is fine.  The kernel backend has no
 * process to lose and never calls it.
 */
typedef void (*NcuWgExitFunc) (NcuWg *wg, const GError *error, gpointer user_data);

/*
 * Creates the interface @ifname (1-15 characters) and brings it up.
 * NCU_WG_BACKEND_AUTO uses the kernel when it has WireGuard, else
 * wireguard-go (found in PATH, or at $NCU_WIREGUARD_GO). An interface of
 * that name that goes within 3 s (a previous instance tearing down) is
 * waited for; one that stays is NCU_WG_ERROR_EXISTS.
 */
NcuWg *ncu_wg_new (NcuWgBackend backend, const char *ifname, GError **error);
/*
 * Tears the device down: deletes the link or stops wireguard-go, so no
 * interface, socket or process remains.  Idempotent; afterwards only the
 * getters work.  ncu_wg_free() closes too.
 */
void ncu_wg_close (NcuWg *wg);
void ncu_wg_free (NcuWg *wg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuWg, ncu_wg_free)

void ncu_wg_set_exit_cb (NcuWg *wg, NcuWgExitFunc func, gpointer user_data);

const char *ncu_wg_get_ifname (NcuWg *wg);
int ncu_wg_get_ifindex (NcuWg *wg);
/* The backend in use: KERNEL or USERSPACE, never AUTO. */
NcuWgBackend ncu_wg_get_backend (NcuWg *wg);

/*
 * Sets private key, listen port and fwmark.  With @listen_port 0 it returns
 * once a port is bound, so ncu_wg_get_device reports the real one.  A
 * @listen_port that is taken fails with NCU_WG_ERROR_ADDRESS_IN_USE (the
 * device keeps the port it had); the call may be repeated.
 */
gboolean ncu_wg_set_device (NcuWg *wg, const guint8 private_key[NCU_KEY_LEN],
                            guint16 listen_port, guint32 fwmark, GError **error);
/* Adds, updates or removes one peer; other peers are not touched. */
gboolean ncu_wg_set_peer (NcuWg *wg, const NcuWgPeer *peer, GError **error);
/*
 * Changes only the endpoint of an existing peer (nothing else of it, no other
 * peer).  A peer that does not exist is not created.
 */
gboolean ncu_wg_set_peer_endpoint (NcuWg *wg, const guint8 public_key[NCU_KEY_LEN],
                                   const struct sockaddr *sa, GError **error);
gboolean ncu_wg_get_device (NcuWg *wg, NcuWgDeviceInfo **out, GError **error);
/*
 * Like ncu_wg_get_device, but one read serves every caller within
 * @max_age_ms of it (0: read now; the result still serves the next
 * callers). The last read is kept until any ncu_wg_set_* call, so it never
 * predates a change of ours. *@out is shared: read it, never change it;
 * ncu_wg_device_info_free() drops the caller's reference.
 */
gboolean ncu_wg_get_device_cached (NcuWg *wg, guint max_age_ms, NcuWgDeviceInfo **out,
                                   GError **error);
/* How old a read the service's pollers accept (the liveness monitor's
 * ticks, the fast path's handshake polls): small against their intervals
 * (20 ms and up), enough for the polls that fall due in one main-loop
 * iteration (many peers connecting at once) to share one read. */
#define NCU_WG_POLL_MAX_AGE_MS 10

/* ---- shared by the backends ---- */

/* Checks a peer before it is sent: families, prefixes, endpoint port. */
gboolean ncu_wg_peer_validate (const NcuWgPeer *peer, GError **error);
/* Short printable name of a public key for messages: first 8 base64 chars. */
char *ncu_wg_key_short (const guint8 key[NCU_KEY_LEN]);
/* "a.b.c.d:p" or "[x::y%scope]:p"; NULL for other families. */
char *ncu_wg_sockaddr_to_string (const struct sockaddr *sa);
/* Length of a sockaddr of AF_INET or AF_INET6, else 0. */
socklen_t ncu_wg_sockaddr_len (const struct sockaddr *sa);

#endif /* NCU_WG_H */
