/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sending data on the selected pair's socket directly, in batches
 * (src/ncu-udp.c), instead of one nice_agent_send() per packet: libnice
 * costs ~1300 instructions and one system call per packet on that path.
 * libnice hands out the socket only for UDP pairs whose local side is not
 * a relay (nice_agent_get_selected_socket); relayed data needs its TURN
 * framing and keeps going through libnice. The same socket gets big
 * buffers.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "ncu-ice-private.h"

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
	ncu_udp_sender_init (&direct->sender);
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
	return ncu_udp_send (&direct->sender, g_socket_get_fd (direct->socket),
	                     (const struct sockaddr *) &direct->to, direct->to_len, packets, n, bytes);
}
