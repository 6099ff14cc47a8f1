/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel backend: the link through rtnetlink (libnl-route), its
 * configuration through generic netlink (libnl-genl).  Replies are read
 * into our own buffer rather than through libnl's receive path: a
 * GET_DEVICE reply carries the private key, and our buffer is wiped.  The
 * socket asks for capped acks (NETLINK_CAP_ACK) so an error ack never
 * echoes the key back, and for extended acks so the kernel's reason reaches
 * the user.
 */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/wireguard.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/route/link.h>
#include <sodium.h>

#include "ncu-wg-kernel.h"

#define REPLY_TIMEOUT_MS 5000
#define GET_ATTEMPTS     3      /* a dump interrupted by a change is redone */

typedef struct nl_sock NcuNlSock;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuNlSock, nl_socket_free)
typedef struct rtnl_link NcuRtnlLink;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuRtnlLink, rtnl_link_put)

struct _NcuWgKernel {
	char *ifname;
	int ifindex;                   /* 0 once the link is deleted */
	struct nl_sock *genl;
	int family;
};

static gboolean
nl_fail (GError **error, int code, int nlerr, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
nl_fail (GError **error, int code, int nlerr, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start (ap, fmt);
	what = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_set_error (error, NCU_WG_ERROR, code, "%s: %s", what, nl_geterror (nlerr));
	return FALSE;
}

/* ---- rtnetlink ---- */

static struct nl_sock *
rtnl_open (GError **error)
{
	g_autoptr (NcuNlSock) sk = nl_socket_alloc ();
	int err;

	if (!sk)
		g_error ("out of memory");
	err = nl_connect (sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_fail (error, NCU_WG_ERROR_FAILED, err, "cannot open rtnetlink");
		return NULL;
	}
	return g_steal_pointer (&sk);
}

gboolean
ncu_wg_link_set_up (int ifindex, GError **error)
{
	g_autoptr (NcuNlSock) sk = rtnl_open (error);
	g_autoptr (NcuRtnlLink) orig = NULL;
	g_autoptr (NcuRtnlLink) change = NULL;
	int err;

	if (!sk)
		return FALSE;
	err = rtnl_link_get_kernel (sk, ifindex, NULL, &orig);
	if (err < 0)
		return nl_fail (error, NCU_WG_ERROR_NOT_FOUND, err, "link %d", ifindex);
	change = rtnl_link_alloc ();
	rtnl_link_set_flags (change, IFF_UP);
	err = rtnl_link_change (sk, orig, change, 0);
	if (err < 0)
		return nl_fail (error, NCU_WG_ERROR_FAILED, err, "cannot bring %s up",
		                rtnl_link_get_name (orig));
	return TRUE;
}

static int
link_add (const char *ifname, GError **error)
{
	g_autoptr (NcuNlSock) sk = rtnl_open (error);
	g_autoptr (NcuRtnlLink) link = NULL;
	int err, ifindex;

	if (!sk)
		return 0;
	link = rtnl_link_alloc ();
	rtnl_link_set_name (link, ifname);
	rtnl_link_set_type (link, "wireguard");
	err = rtnl_link_add (sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (err == -NLE_OPNOTSUPP) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_UNSUPPORTED,
		             "the kernel has no WireGuard (link type \"wireguard\" is unknown)");
		return 0;
	}
	if (err < 0) {
		nl_fail (error, err == -NLE_EXIST ? NCU_WG_ERROR_EXISTS : NCU_WG_ERROR_FAILED,
		         err, "cannot create WireGuard link %s", ifname);
		return 0;
	}
	ifindex = (int) if_nametoindex (ifname);
	if (ifindex == 0)
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_NOT_FOUND,
		             "link %s vanished right after it was created", ifname);
	return ifindex;
}

static void
link_delete (const char *ifname, int ifindex)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuNlSock) sk = rtnl_open (&error);
	g_autoptr (NcuRtnlLink) link = NULL;
	int err;

	if (!sk) {
		g_warning ("cannot delete %s: %s", ifname, error->message);
		return;
	}
	link = rtnl_link_alloc ();
	rtnl_link_set_ifindex (link, ifindex);
	err = rtnl_link_delete (sk, link);
	if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
		g_warning ("cannot delete %s: %s", ifname, nl_geterror (err));
}

/* ---- generic netlink ---- */

static struct nl_sock *
genl_open (int *family, GError **error)
{
	g_autoptr (NcuNlSock) sk = nl_socket_alloc ();
	int one = 1;
	int err;

	if (!sk)
		g_error ("out of memory");
	err = genl_connect (sk);
	if (err < 0) {
		nl_fail (error, NCU_WG_ERROR_FAILED, err, "cannot open generic netlink");
		return NULL;
	}
	*family = genl_ctrl_resolve (sk, WG_GENL_NAME);
	if (*family < 0) {
		nl_fail (error, NCU_WG_ERROR_UNSUPPORTED, *family,
		         "generic netlink family \"" WG_GENL_NAME "\"");
		return NULL;
	}
	/* Our messages say themselves whether they want an ack. */
	nl_socket_disable_auto_ack (sk);
	/* Best effort: older kernels lack them and work the same. */
	setsockopt (nl_socket_get_fd (sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	setsockopt (nl_socket_get_fd (sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	return g_steal_pointer (&sk);
}

gboolean
ncu_wg_kernel_probe (void)
{
	g_autoptr (NcuNlSock) sk = NULL;
	int family;

	if (g_file_test ("/sys/module/wireguard", G_FILE_TEST_IS_DIR))
		return TRUE;
	/* Resolving the family also makes the kernel load the module. */
	sk = genl_open (&family, NULL);
	return sk != NULL;
}

/* One datagram into a buffer of its exact size (which the caller wipes). */
static guint8 *
recv_datagram (int fd, gint64 deadline, gsize *len, GError **error)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		gint64 left = deadline - g_get_monotonic_time ();
		guint8 *buf;
		ssize_t n;

		if (left <= 0) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_TIMEOUT,
			             "no netlink reply within %d s", REPLY_TIMEOUT_MS / 1000);
			return NULL;
		}
		if (poll (&pfd, 1, (int) (left / 1000 + 1)) <= 0)
			continue;
		n = recv (fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_FAILED,
			             "reading netlink: %s", n < 0 ? g_strerror (errno) : "end of file");
			return NULL;
		}
		buf = g_malloc ((gsize) n);
		n = recv (fd, buf, (size_t) n, MSG_DONTWAIT);
		if (n > 0) {
			*len = (gsize) n;
			return buf;
		}
		g_free (buf);
	}
}

typedef enum { STEP_MORE, STEP_DONE, STEP_FAILED } Step;

/* The messages of one datagram that answer request @seq. */
static Step
handle_datagram (guint8 *buf, gsize len, guint32 seq, const char *what,
                 NcuWgDeviceInfo *dump, gboolean *interrupted, GError **error)
{
	struct nlmsghdr *hdr = (struct nlmsghdr *) buf;
	int rem = (int) MIN (len, (gsize) G_MAXINT);

	for (; nlmsg_ok (hdr, rem); hdr = nlmsg_next (hdr, &rem)) {
		if (hdr->nlmsg_seq != seq)
			continue;   /* late reply to an earlier request */
		if (hdr->nlmsg_flags & NLM_F_DUMP_INTR)
			*interrupted = TRUE;
		if (hdr->nlmsg_type == NLMSG_ERROR || hdr->nlmsg_type == NLMSG_DONE)
			return ncu_wg_kernel_parse_ack (hdr, what, error) ? STEP_DONE : STEP_FAILED;
		if (hdr->nlmsg_type < NLMSG_MIN_TYPE || !dump)
			continue;
		if (!ncu_wg_kernel_parse_get (hdr, dump, error))
			return STEP_FAILED;
	}
	return STEP_MORE;
}

/* Sends @msg and reads until its ack (or the end of its dump). */
static gboolean
transact (NcuWgKernel *kernel, struct nl_msg *msg, const char *what,
          NcuWgDeviceInfo *dump, gboolean *interrupted, GError **error)
{
	gint64 deadline = g_get_monotonic_time () + REPLY_TIMEOUT_MS * 1000;
	int fd = nl_socket_get_fd (kernel->genl);
	int err = nl_send_auto (kernel->genl, msg);
	guint32 seq = nlmsg_hdr (msg)->nlmsg_seq;
	Step step = STEP_MORE;

	if (err < 0)
		return nl_fail (error, NCU_WG_ERROR_FAILED, err, "%s", what);
	while (step == STEP_MORE) {
		gsize len = 0;
		guint8 *buf = recv_datagram (fd, deadline, &len, error);

		if (!buf)
			return FALSE;
		step = handle_datagram (buf, len, seq, what, dump, interrupted, error);
		sodium_memzero (buf, len);
		g_free (buf);
	}
	return step == STEP_DONE;
}

gboolean
ncu_wg_kernel_set (NcuWgKernel *kernel, const NcuWgDeviceConfig *device,
                   const NcuWgPeer *peer, gboolean endpoint_only, GError **error)
{
	GPtrArray *msgs = ncu_wg_kernel_build_set (kernel->family, kernel->ifindex,
	                                           device, peer, endpoint_only);
	g_autofree char *what = g_strdup_printf ("WG_CMD_SET_DEVICE on %s", kernel->ifname);
	gboolean interrupted = FALSE;
	gboolean ok = TRUE;

	for (guint i = 0; ok && i < msgs->len; i++)
		ok = transact (kernel, msgs->pdata[i], what, NULL, &interrupted, error);
	ncu_wg_kernel_msgs_free (msgs);
	return ok;
}

gboolean
ncu_wg_kernel_get (NcuWgKernel *kernel, NcuWgDeviceInfo **out, GError **error)
{
	g_autofree char *what = g_strdup_printf ("WG_CMD_GET_DEVICE on %s", kernel->ifname);

	for (int attempt = 1;; attempt++) {
		g_autoptr (NcuWgDeviceInfo) info = ncu_wg_device_info_new ();
		struct nl_msg *msg = ncu_wg_kernel_build_get (kernel->family, kernel->ifindex);
		gboolean interrupted = FALSE;
		gboolean ok = transact (kernel, msg, what, info, &interrupted, error);

		nlmsg_free (msg);
		if (!ok)
			return FALSE;
		if (!interrupted || attempt == GET_ATTEMPTS) {
			if (interrupted)
				g_debug ("%s: peers kept changing during the dump", what);
			*out = g_steal_pointer (&info);
			return TRUE;
		}
	}
}

/* ---- life cycle ---- */

NcuWgKernel *
ncu_wg_kernel_new (const char *ifname, GError **error)
{
	NcuWgKernel *kernel = g_new0 (NcuWgKernel, 1);

	kernel->ifname = g_strdup (ifname);
	kernel->ifindex = link_add (ifname, error);
	if (kernel->ifindex == 0)
		goto fail;
	kernel->genl = genl_open (&kernel->family, error);
	if (!kernel->genl)
		goto fail;
	return kernel;

fail:
	ncu_wg_kernel_free (kernel);
	return NULL;
}

void
ncu_wg_kernel_free (NcuWgKernel *kernel)
{
	if (!kernel)
		return;
	if (kernel->ifindex)
		link_delete (kernel->ifname, kernel->ifindex);
	g_clear_pointer (&kernel->genl, nl_socket_free);
	g_free (kernel->ifname);
	g_free (kernel);
}

int
ncu_wg_kernel_get_ifindex (NcuWgKernel *kernel)
{
	return kernel->ifindex;
}
