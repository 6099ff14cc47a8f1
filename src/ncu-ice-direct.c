/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sending data on the selected pair's socket directly, in batches
 * (sendmmsg), instead of one nice_agent_send() per packet: libnice costs
 * ~1300 instructions and one system call per packet on that path. libnice
 * hands out the socket only for UDP pairs whose local side is not a relay
 * (nice_agent_get_selected_socket); relayed data needs its TURN framing
 * and keeps going through libnice. The same socket gets big buffers.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ncu-ice-private.h"

#define SEND_CHUNK 32

void
ncu_ice_direct_update (NcuIceDirect *direct, NiceAgent *agent, guint stream_id,
                       const NiceCandidate *remote)
{
	ncu_ice_direct_clear (direct);
	direct->socket = nice_agent_get_selected_socket (agent, stream_id, 1);
	if (!direct->socket)
		return;
	/* libnice leaves its sockets at the default buffers: at full rate the
	 * kernel dropped thousands of datagrams a second (iperf3) on receive,
	 * and our sendmmsg found the send buffer full. It is the socket libnice
	 * reads too, so both directions gain. */
	ncu_ice_raise_socket_buffers (g_socket_get_fd (direct->socket));
	memset (&direct->to, 0, sizeof direct->to);
	nice_address_copy_to_sockaddr (&remote->addr, (struct sockaddr *) &direct->to);
	direct->to_len = direct->to.ss_family == AF_INET6 ? sizeof (struct sockaddr_in6)
	                                                  : sizeof (struct sockaddr_in);
}

void
ncu_ice_direct_clear (NcuIceDirect *direct)
{
	g_clear_object (&direct->socket);
}

guint
ncu_ice_direct_send (NcuIceDirect *direct, const struct iovec *packets, guint n,
                     guint64 *bytes)
{
	struct mmsghdr msgs[SEND_CHUNK];
	int fd = g_socket_get_fd (direct->socket);
	guint next = 0, sent = 0;

	while (next < n) {
		guint chunk = MIN (n - next, SEND_CHUNK);
		int r;

		for (guint i = 0; i < chunk; i++) {
			memset (&msgs[i], 0, sizeof msgs[i]);
			msgs[i].msg_hdr.msg_name = &direct->to;
			msgs[i].msg_hdr.msg_namelen = direct->to_len;
			msgs[i].msg_hdr.msg_iov = (struct iovec *) &packets[next + i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg (fd, msgs, chunk, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;  /* socket buffer full: the rest is dropped */
			next++;     /* this one cannot be sent (too big, no route) */
			continue;
		}
		for (int i = 0; i < r; i++)
			*bytes += packets[next + i].iov_len;
		sent += r;
		next += r;
	}
	return sent;
}
