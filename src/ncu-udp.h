/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sending a batch of UDP datagrams with as few trips through the kernel's
 * stack as it allows: runs of equal-sized datagrams go out as one
 * segmented send (UDP generic segmentation offload, UDP_SEGMENT), several
 * sends per system call (sendmmsg).
 */
#ifndef NCU_UDP_H
#define NCU_UDP_H

#include <glib.h>
#include <sys/socket.h>
#include <sys/uio.h>

typedef struct {
	/* FALSE once the kernel refused a segmented send on this socket (no
	 * checksum offload on the route's device, IPsec, a datagram larger
	 * than the path's MTU): every datagram then goes out on its own. */
	gboolean segment;
	guint64 segmented_sends;      /* sends that carried more than one datagram */
} NcuUdpSender;

void ncu_udp_sender_init (NcuUdpSender *sender);

/*
 * Sends @packets on @fd, in order, to @to (NULL on a connected socket)
 * without waiting. Returns how many went out and adds their sizes to
 * @bytes. A full send buffer drops the rest; a datagram the kernel
 * refuses (too big, no route, an ICMP error reported late) is skipped.
 */
guint ncu_udp_send (NcuUdpSender *sender, int fd, const struct sockaddr *to, socklen_t to_len,
                    const struct iovec *packets, guint n, guint64 *bytes);

#endif
