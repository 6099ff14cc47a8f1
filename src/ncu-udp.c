/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Most of a relayed datagram's cost is the kernel's: on this project's test
 * machines ~3 us of each ~4 us went to the send's trip through IP, the
 * device and (on loopback) the receiving socket. With UDP_SEGMENT one trip
 * carries a run of datagrams of one size (the last may be shorter); the
 * kernel cuts them apart at the latest point it can: in the device, or at
 * a receiving socket that does not take segmented data. A bulk transfer
 * through WireGuard is such a run (full-sized packets one way, equal
 * acknowledgements the other). The datagrams stay in the caller's buffers:
 * a segmented send takes them as an iovec each.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include "ncu-udp.h"

#define CHUNK 16              /* sends per sendmmsg */
#define MAX_SEGMENTS 64       /* UDP_MAX_SEGMENTS of Linux 4.18 to 6.x */
#define MAX_SEGMENTED 64512   /* bytes per send: under IPv4's 65507, with room */

typedef struct {
	struct mmsghdr msgs[CHUNK];
	union {
		char buf[CMSG_SPACE (sizeof (uint16_t))];
		struct cmsghdr align;
	} control[CHUNK];
	guint count[CHUNK];       /* datagrams in each send */
	guint64 size[CHUNK];      /* their bytes */
} Chunk;

void
ncu_udp_sender_init (NcuUdpSender *sender)
{
	memset (sender, 0, sizeof *sender);
	sender->segment = TRUE;
}

/* How many datagrams from @packets[0] one send may carry. */
static guint
run_length (const struct iovec *packets, guint n, gsize *total)
{
	gsize size = packets[0].iov_len;
	guint count = 1;

	*total = size;
	while (count < n && count < MAX_SEGMENTS && packets[count].iov_len <= size
	       && packets[count].iov_len > 0 && *total + packets[count].iov_len <= MAX_SEGMENTED) {
		*total += packets[count].iov_len;
		count++;
		if (packets[count - 1].iov_len < size)
			break;   /* only the last segment may be shorter */
	}
	return count;
}

static void
set_segment_size (struct msghdr *hdr, void *control, gsize control_len, gsize size)
{
	struct cmsghdr *cmsg;
	uint16_t segment = size;

	memset (control, 0, control_len);   /* the padding after the value goes to the kernel too */
	hdr->msg_control = control;
	hdr->msg_controllen = control_len;
	cmsg = CMSG_FIRSTHDR (hdr);
	cmsg->cmsg_level = SOL_UDP;
	cmsg->cmsg_type = UDP_SEGMENT;
	cmsg->cmsg_len = CMSG_LEN (sizeof segment);
	memcpy (CMSG_DATA (cmsg), &segment, sizeof segment);
}

/* Fills @chunk from @packets; returns the number of sends. */
static guint
fill_chunk (Chunk *chunk, const NcuUdpSender *sender, const struct sockaddr *to,
            socklen_t to_len, const struct iovec *packets, guint n)
{
	guint m = 0, next = 0;

	while (next < n && m < CHUNK) {
		struct msghdr *hdr = &chunk->msgs[m].msg_hdr;
		gsize total = packets[next].iov_len;
		guint count = sender->segment ? run_length (packets + next, n - next, &total) : 1;

		memset (&chunk->msgs[m], 0, sizeof chunk->msgs[m]);
		hdr->msg_name = (struct sockaddr *) to;
		hdr->msg_namelen = to ? to_len : 0;
		hdr->msg_iov = (struct iovec *) packets + next;
		hdr->msg_iovlen = count;
		if (count > 1)
			set_segment_size (hdr, chunk->control[m].buf, sizeof chunk->control[m].buf,
			                  packets[next].iov_len);
		chunk->count[m] = count;
		chunk->size[m] = total;
		next += count;
		m++;
	}
	return m;
}

/* Errors by which the kernel refuses segmentation itself (not the datagrams). */
static gboolean
refuses_segments (int err)
{
	return err == EIO || err == EINVAL || err == ENOPROTOOPT || err == EOPNOTSUPP;
}

guint
ncu_udp_send (NcuUdpSender *sender, int fd, const struct sockaddr *to, socklen_t to_len,
              const struct iovec *packets, guint n, guint64 *bytes)
{
	Chunk chunk;
	guint next = 0, sent = 0;

	while (next < n) {
		guint m = fill_chunk (&chunk, sender, to, to_len, packets + next, n - next);
		int r = sendmmsg (fd, chunk.msgs, m, MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;   /* send buffer full: the rest is dropped */
			if (chunk.count[0] > 1 && refuses_segments (errno)) {
				sender->segment = FALSE;   /* the same datagrams again, one by one */
				continue;
			}
			next += chunk.count[0];   /* these cannot be sent */
			continue;
		}
		for (int i = 0; i < r; i++) {
			sent += chunk.count[i];
			*bytes += chunk.size[i];
			next += chunk.count[i];
			if (chunk.count[i] > 1)
				sender->segmented_sends++;
		}
	}
	return sent;
}
