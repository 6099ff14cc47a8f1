/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Userspace WireGuard backend: wireguard-go in the foreground on a TUN device
 * and its text UAPI ("Cross-platform Userspace Interface") on
 * /run/wireguard/<ifname>.sock.  ncu-wg-uapi.c runs the process and the
 * socket; ncu-wg-uapi-text.c holds the pure formatter and parser.
 */
#ifndef NCU_WG_UAPI_H
#define NCU_WG_UAPI_H

#include "ncu-wg.h"

#define NCU_WG_UAPI_RUN_DIR "/run/wireguard"
/* The largest reply we accept; a bigger one is an error, not a hang. */
#define NCU_WG_UAPI_MAX_REPLY (16u * 1024 * 1024)

typedef struct _NcuWgUapi NcuWgUapi;

/* wireguard-go exited on its own; @error says how. */
typedef void (*NcuWgUapiExitFunc) (gpointer user_data, const GError *error);

/*
 * Spawns wireguard-go for @ifname and waits (bounded) until its socket
 * accepts.  @exit_func is called from the main loop if it dies later.
 */
NcuWgUapi *ncu_wg_uapi_new (const char *ifname, NcuWgUapiExitFunc exit_func,
                            gpointer user_data, GError **error);
/* Stops wireguard-go (SIGTERM, then SIGKILL) and removes a stale socket. */
void ncu_wg_uapi_free (NcuWgUapi *uapi);
int ncu_wg_uapi_get_ifindex (NcuWgUapi *uapi);

/* One set=1 request with the device settings and/or one peer. */
gboolean ncu_wg_uapi_set (NcuWgUapi *uapi, const NcuWgDeviceConfig *device,
                          const NcuWgPeer *peer, gboolean endpoint_only,
                          GError **error);
gboolean ncu_wg_uapi_get (NcuWgUapi *uapi, NcuWgDeviceInfo **out, GError **error);

/* ---- the text protocol (ncu-wg-uapi-text.c), pure functions ---- */

/*
 * Formats a complete set=1 request (ending in the blank line).  @device
 * and/or @peer may be NULL; with @endpoint_only only the peer's public key
 * and endpoint are sent, with update_only so a missing peer is not created.
 * The buffer is allocated once at its final size (no copies of keys left in
 * freed memory): wipe it with ncu_wg_uapi_string_free_secure().
 */
GString *ncu_wg_uapi_format_set (const NcuWgDeviceConfig *device,
                                 const NcuWgPeer *peer, gboolean endpoint_only);
void ncu_wg_uapi_string_free_secure (GString *str);

/*
 * Parses the reply to get=1: key=value lines, "errno=N", a blank line.  Any
 * input gives either a device or an error naming the line and the field;
 * secret values are never quoted.  Unknown keys are skipped (as wg(8) does)
 * so a newer wireguard-go still works.
 */
gboolean ncu_wg_uapi_parse_get (const char *text, gsize len,
                                NcuWgDeviceInfo **out, GError **error);
/* Parses the reply to set=1: exactly "errno=N\n\n". */
gboolean ncu_wg_uapi_parse_set_reply (const char *text, gsize len, GError **error);

#endif /* NCU_WG_UAPI_H */
