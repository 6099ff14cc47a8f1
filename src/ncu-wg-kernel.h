/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel WireGuard backend: rtnetlink creates and deletes the link (type
 * "wireguard"), generic netlink family "wireguard" configures it
 * (WG_CMD_SET_DEVICE) and reads it back (WG_CMD_GET_DEVICE), with libnl-3.
 * Message building and parsing are separate functions so they can be
 * unit-tested without the module.
 */
#ifndef NCU_WG_KERNEL_H
#define NCU_WG_KERNEL_H

#include <linux/netlink.h>
#include <netlink/msg.h>
#include "ncu-wg.h"

typedef struct _NcuWgKernel NcuWgKernel;

/* rtnetlink: sets IFF_UP on a link (used for both backends). */
gboolean ncu_wg_link_set_up (int ifindex, GError **error);

/* TRUE when genl "wireguard" resolves or /sys/module/wireguard exists. */
gboolean ncu_wg_kernel_probe (void);

/*
 * Creates the link.  NCU_WG_ERROR_UNSUPPORTED when the kernel does not know
 * the link type (no module): the caller may fall back to userspace.
 */
NcuWgKernel *ncu_wg_kernel_new (const char *ifname, GError **error);
/* Deletes the link. */
void ncu_wg_kernel_free (NcuWgKernel *kernel);
int ncu_wg_kernel_get_ifindex (NcuWgKernel *kernel);

gboolean ncu_wg_kernel_set (NcuWgKernel *kernel, const NcuWgDeviceConfig *device,
                            const NcuWgPeer *peer, gboolean endpoint_only,
                            GError **error);
gboolean ncu_wg_kernel_get (NcuWgKernel *kernel, NcuWgDeviceInfo **out,
                            GError **error);

/* ---- messages (pure) ---- */

/*
 * Builds the WG_CMD_SET_DEVICE messages for @device and/or @peer (header
 * without port and sequence: the socket fills them in).  Allowed IPs that
 * do not fit in one message continue in the next ones.  Returns an array of
 * struct nl_msg*; free it with ncu_wg_kernel_msgs_free(), which wipes them.
 */
GPtrArray *ncu_wg_kernel_build_set (int family, int ifindex,
                                    const NcuWgDeviceConfig *device,
                                    const NcuWgPeer *peer, gboolean endpoint_only);
void ncu_wg_kernel_msgs_free (GPtrArray *msgs);
/* The WG_CMD_GET_DEVICE dump request. */
struct nl_msg *ncu_wg_kernel_build_get (int family, int ifindex);

/*
 * Adds one message of a WG_CMD_GET_DEVICE dump to @info.  A peer split over
 * two messages (the kernel continues its allowed IPs) is merged.
 */
gboolean ncu_wg_kernel_parse_get (const struct nlmsghdr *hdr, NcuWgDeviceInfo *info,
                                  GError **error);
/*
 * An NLMSG_ERROR (or NLMSG_DONE) message: TRUE for success, else an error
 * "<what>: <strerror>[: <extended ack message>]".
 */
gboolean ncu_wg_kernel_parse_ack (const struct nlmsghdr *hdr, const char *what,
                                  GError **error);

#endif /* NCU_WG_KERNEL_H */
