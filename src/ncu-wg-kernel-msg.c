/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Generic netlink messages of the kernel's "wireguard" family (attributes as
 * in include/uapi/linux/wireguard.h): building WG_CMD_SET_DEVICE requests and
 * parsing WG_CMD_GET_DEVICE dump messages and acks.  No I/O here, so all of
 * it is unit-tested on a kernel without the module.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <linux/wireguard.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <sodium.h>

#include "ncu-wg-kernel.h"

/*
 * Each message gets this much room.  An allowed IP takes 40 bytes, so 256 of
 * them plus every other attribute stay well below it; more continue in the
 * next message.
 */
#define MSG_SIZE       16384
#define IPS_PER_MSG    256

/* ---- building ---- */

/* A request for the device @ifindex; port and sequence come at sending. */
static struct nl_msg *
new_msg (int family, int ifindex, int flags, guint8 cmd)
{
	struct nl_msg *msg = nlmsg_alloc_size (MSG_SIZE);

	if (!msg)
		g_error ("out of memory");
	genlmsg_put (msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd, WG_GENL_VERSION);
	nla_put_u32 (msg, WGDEVICE_A_IFINDEX, (guint32) ifindex);
	return msg;
}

static struct nl_msg *
new_set_msg (int family, int ifindex)
{
	return new_msg (family, ifindex, NLM_F_ACK, WG_CMD_SET_DEVICE);
}

/*
 * Strict validation in the kernel wants NLA_F_NESTED on nested attributes;
 * libnl does not set it by itself.
 */
static struct nlattr *
nest_start (struct nl_msg *msg, int type)
{
	return nla_nest_start (msg, type | NLA_F_NESTED);
}

static void
put_allowed_ip (struct nl_msg *msg, const NcuCidr *cidr)
{
	struct nlattr *nest = nest_start (msg, 0);

	nla_put_u16 (msg, WGALLOWEDIP_A_FAMILY, (guint16) cidr->family);
	nla_put (msg, WGALLOWEDIP_A_IPADDR, cidr->family == AF_INET ? 4 : 16, cidr->addr);
	nla_put_u8 (msg, WGALLOWEDIP_A_CIDR_MASK, cidr->prefix);
	nla_nest_end (msg, nest);
}

static void
put_endpoint (struct nl_msg *msg, const struct sockaddr_storage *ss)
{
	socklen_t len = ncu_wg_sockaddr_len ((const struct sockaddr *) ss);

	if (len)
		nla_put (msg, WGPEER_A_ENDPOINT, (int) len, ss);
}

/* Peer attributes of the first message; returns how many IPs it took. */
static guint
put_peer_first (struct nl_msg *msg, const NcuWgPeer *peer, gboolean endpoint_only)
{
	static const guint8 zero_key[NCU_KEY_LEN];
	guint32 flags = 0;
	guint n = 0;
	struct nlattr *ips;

	nla_put (msg, WGPEER_A_PUBLIC_KEY, NCU_KEY_LEN, peer->public_key);
	if (endpoint_only) {
		nla_put_u32 (msg, WGPEER_A_FLAGS, WGPEER_F_UPDATE_ONLY);
		put_endpoint (msg, &peer->endpoint);
		return 0;
	}
	if (peer->remove) {
		nla_put_u32 (msg, WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME);
		return 0;
	}
	if (peer->replace_allowed_ips)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	nla_put_u32 (msg, WGPEER_A_FLAGS, flags);
	/* An all-zero key clears the pre-shared key. */
	nla_put (msg, WGPEER_A_PRESHARED_KEY, NCU_KEY_LEN,
	         peer->has_preshared_key ? peer->preshared_key : zero_key);
	put_endpoint (msg, &peer->endpoint);
	nla_put_u16 (msg, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, peer->persistent_keepalive);
	ips = nest_start (msg, WGPEER_A_ALLOWEDIPS);
	for (; peer->allowed_ips && n < peer->allowed_ips->len && n < IPS_PER_MSG; n++)
		put_allowed_ip (msg, &g_array_index (peer->allowed_ips, NcuCidr, n));
	nla_nest_end (msg, ips);
	return n;
}

/* A follow-up message: the same peer, only more allowed IPs. */
static guint
put_peer_more (struct nl_msg *msg, const NcuWgPeer *peer, guint from)
{
	struct nlattr *ips;
	guint n = from;

	nla_put (msg, WGPEER_A_PUBLIC_KEY, NCU_KEY_LEN, peer->public_key);
	nla_put_u32 (msg, WGPEER_A_FLAGS, WGPEER_F_UPDATE_ONLY);
	ips = nest_start (msg, WGPEER_A_ALLOWEDIPS);
	for (; n < peer->allowed_ips->len && n - from < IPS_PER_MSG; n++)
		put_allowed_ip (msg, &g_array_index (peer->allowed_ips, NcuCidr, n));
	nla_nest_end (msg, ips);
	return n;
}

static guint
put_peer (struct nl_msg *msg, const NcuWgPeer *peer, gboolean endpoint_only, guint from)
{
	struct nlattr *peers = nest_start (msg, WGDEVICE_A_PEERS);
	struct nlattr *one = nest_start (msg, 0);
	guint next = from == 0 ? put_peer_first (msg, peer, endpoint_only)
	                       : put_peer_more (msg, peer, from);

	nla_nest_end (msg, one);
	nla_nest_end (msg, peers);
	return next;
}

GPtrArray *
ncu_wg_kernel_build_set (int family, int ifindex, const NcuWgDeviceConfig *device,
                         const NcuWgPeer *peer, gboolean endpoint_only)
{
	GPtrArray *msgs = g_ptr_array_new ();
	struct nl_msg *msg = new_set_msg (family, ifindex);
	guint n_ips = peer && peer->allowed_ips && !peer->remove && !endpoint_only
	              ? peer->allowed_ips->len : 0;
	guint done;

	g_ptr_array_add (msgs, msg);
	if (device) {
		nla_put (msg, WGDEVICE_A_PRIVATE_KEY, NCU_KEY_LEN, device->private_key);
		nla_put_u16 (msg, WGDEVICE_A_LISTEN_PORT, device->listen_port);
		nla_put_u32 (msg, WGDEVICE_A_FWMARK, device->fwmark);
	}
	if (!peer)
		return msgs;
	done = put_peer (msg, peer, endpoint_only, 0);
	while (done < n_ips) {
		msg = new_set_msg (family, ifindex);
		g_ptr_array_add (msgs, msg);
		done = put_peer (msg, peer, FALSE, done);
	}
	return msgs;
}

void
ncu_wg_kernel_msgs_free (GPtrArray *msgs)
{
	if (!msgs)
		return;
	for (guint i = 0; i < msgs->len; i++) {
		struct nl_msg *msg = msgs->pdata[i];
		struct nlmsghdr *hdr = nlmsg_hdr (msg);

		/* the first one may carry the private key */
		sodium_memzero (hdr, hdr->nlmsg_len);
		nlmsg_free (msg);
	}
	g_ptr_array_unref (msgs);
}

struct nl_msg *
ncu_wg_kernel_build_get (int family, int ifindex)
{
	return new_msg (family, ifindex, NLM_F_DUMP, WG_CMD_GET_DEVICE);
}

/* ---- parsing ---- */

static struct nla_policy device_policy[WGDEVICE_A_MAX + 1] = {
	[WGDEVICE_A_IFINDEX]     = { .type = NLA_U32 },
	[WGDEVICE_A_PRIVATE_KEY] = { .minlen = NCU_KEY_LEN, .maxlen = NCU_KEY_LEN },
	[WGDEVICE_A_PUBLIC_KEY]  = { .minlen = NCU_KEY_LEN, .maxlen = NCU_KEY_LEN },
	[WGDEVICE_A_FLAGS]       = { .type = NLA_U32 },
	[WGDEVICE_A_LISTEN_PORT] = { .type = NLA_U16 },
	[WGDEVICE_A_FWMARK]      = { .type = NLA_U32 },
	[WGDEVICE_A_PEERS]       = { .type = NLA_NESTED },
};

static struct nla_policy peer_policy[WGPEER_A_MAX + 1] = {
	[WGPEER_A_PUBLIC_KEY]    = { .minlen = NCU_KEY_LEN, .maxlen = NCU_KEY_LEN },
	[WGPEER_A_PRESHARED_KEY] = { .minlen = NCU_KEY_LEN, .maxlen = NCU_KEY_LEN },
	[WGPEER_A_FLAGS]         = { .type = NLA_U32 },
	[WGPEER_A_ENDPOINT]      = { .minlen = sizeof (struct sockaddr_in) },
	[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = { .type = NLA_U16 },
	[WGPEER_A_LAST_HANDSHAKE_TIME] = { .minlen = 16, .maxlen = 16 },
	[WGPEER_A_RX_BYTES]      = { .type = NLA_U64 },
	[WGPEER_A_TX_BYTES]      = { .type = NLA_U64 },
	[WGPEER_A_ALLOWEDIPS]    = { .type = NLA_NESTED },
	[WGPEER_A_PROTOCOL_VERSION] = { .type = NLA_U32 },
};

static struct nla_policy allowedip_policy[WGALLOWEDIP_A_MAX + 1] = {
	[WGALLOWEDIP_A_FAMILY]    = { .type = NLA_U16 },
	[WGALLOWEDIP_A_IPADDR]    = { .minlen = 4, .maxlen = 16 },
	[WGALLOWEDIP_A_CIDR_MASK] = { .type = NLA_U8 },
};

static gboolean
parse_error (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
parse_error (GError **error, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start (ap, fmt);
	msg = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
	             "WG_CMD_GET_DEVICE reply: %s", msg);
	return FALSE;
}

static gboolean
parse_allowed_ip (struct nlattr *attr, NcuWgPeerInfo *peer, GError **error)
{
	struct nlattr *tb[WGALLOWEDIP_A_MAX + 1];
	NcuCidr cidr = { 0 };
	int len;

	if (nla_parse_nested (tb, WGALLOWEDIP_A_MAX, attr, allowedip_policy) < 0 ||
	    !tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] ||
	    !tb[WGALLOWEDIP_A_CIDR_MASK])
		return parse_error (error, "malformed allowed IP");
	cidr.family = nla_get_u16 (tb[WGALLOWEDIP_A_FAMILY]);
	cidr.prefix = nla_get_u8 (tb[WGALLOWEDIP_A_CIDR_MASK]);
	len = nla_len (tb[WGALLOWEDIP_A_IPADDR]);
	if (!((cidr.family == AF_INET && len == 4 && cidr.prefix <= 32) ||
	      (cidr.family == AF_INET6 && len == 16 && cidr.prefix <= 128)))
		return parse_error (error, "allowed IP of family %d, %d bytes, prefix %u",
		                    cidr.family, len, cidr.prefix);
	memcpy (cidr.addr, nla_data (tb[WGALLOWEDIP_A_IPADDR]), (size_t) len);
	g_array_append_val (peer->allowed_ips, cidr);
	return TRUE;
}

static gboolean
parse_endpoint (struct nlattr *attr, NcuWgPeerInfo *peer, GError **error)
{
	const struct sockaddr *sa = nla_data (attr);
	int len = nla_len (attr);

	if ((sa->sa_family == AF_INET && len == sizeof (struct sockaddr_in)) ||
	    (sa->sa_family == AF_INET6 && len == sizeof (struct sockaddr_in6))) {
		memcpy (&peer->endpoint, sa, (size_t) len);
		return TRUE;
	}
	return parse_error (error, "endpoint of family %d, %d bytes", sa->sa_family, len);
}

static void
parse_peer_numbers (struct nlattr **tb, NcuWgPeerInfo *peer)
{
	if (tb[WGPEER_A_PRESHARED_KEY]) {
		static const guint8 zero[NCU_KEY_LEN];

		peer->has_preshared_key =
			sodium_memcmp (nla_data (tb[WGPEER_A_PRESHARED_KEY]), zero, NCU_KEY_LEN) != 0;
	}
	if (tb[WGPEER_A_LAST_HANDSHAKE_TIME]) {
		gint64 ts[2];  /* struct __kernel_timespec: s64 sec, s64 nsec */

		memcpy (ts, nla_data (tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof ts);
		peer->last_handshake_sec = ts[0];
		peer->last_handshake_nsec = ts[1];
	}
	if (tb[WGPEER_A_RX_BYTES])
		peer->rx_bytes = nla_get_u64 (tb[WGPEER_A_RX_BYTES]);
	if (tb[WGPEER_A_TX_BYTES])
		peer->tx_bytes = nla_get_u64 (tb[WGPEER_A_TX_BYTES]);
	if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
		peer->persistent_keepalive =
			nla_get_u16 (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
}

/*
 * The kernel continues a peer whose allowed IPs did not fit in the next
 * message, repeating only its public key: the first peer of a message that
 * matches the last one we have is that continuation.
 */
static NcuWgPeerInfo *
peer_for_key (NcuWgDeviceInfo *info, const guint8 *key, gboolean first_in_msg)
{
	NcuWgPeerInfo *last = info->peers->len
	                      ? info->peers->pdata[info->peers->len - 1] : NULL;
	NcuWgPeerInfo *peer;

	if (first_in_msg && last && memcmp (last->public_key, key, NCU_KEY_LEN) == 0)
		return last;
	peer = ncu_wg_device_info_add_peer (info);
	memcpy (peer->public_key, key, NCU_KEY_LEN);
	return peer;
}

static gboolean
parse_peer (struct nlattr *attr, NcuWgDeviceInfo *info, gboolean first_in_msg,
            GError **error)
{
	struct nlattr *tb[WGPEER_A_MAX + 1];
	NcuWgPeerInfo *peer;
	struct nlattr *ip;
	int rem;

	if (nla_parse_nested (tb, WGPEER_A_MAX, attr, peer_policy) < 0)
		return parse_error (error, "malformed peer");
	if (!tb[WGPEER_A_PUBLIC_KEY])
		return parse_error (error, "peer without public key");
	peer = peer_for_key (info, nla_data (tb[WGPEER_A_PUBLIC_KEY]), first_in_msg);
	if (tb[WGPEER_A_ENDPOINT] && !parse_endpoint (tb[WGPEER_A_ENDPOINT], peer, error))
		return FALSE;
	parse_peer_numbers (tb, peer);
	if (!tb[WGPEER_A_ALLOWEDIPS])
		return TRUE;
	nla_for_each_nested (ip, tb[WGPEER_A_ALLOWEDIPS], rem) {
		if (!parse_allowed_ip (ip, peer, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
ncu_wg_kernel_parse_get (const struct nlmsghdr *hdr, NcuWgDeviceInfo *info,
                         GError **error)
{
	struct nlmsghdr *h = (struct nlmsghdr *) hdr;   /* libnl takes non-const */
	struct nlattr *tb[WGDEVICE_A_MAX + 1];
	struct nlattr *attr;
	gboolean first = TRUE;
	int rem;

	if (genlmsg_parse (h, 0, tb, WGDEVICE_A_MAX, device_policy) < 0)
		return parse_error (error, "malformed device attributes");
	if (tb[WGDEVICE_A_PUBLIC_KEY]) {
		memcpy (info->public_key, nla_data (tb[WGDEVICE_A_PUBLIC_KEY]), NCU_KEY_LEN);
		info->has_public_key = TRUE;
	}
	if (tb[WGDEVICE_A_LISTEN_PORT])
		info->listen_port = nla_get_u16 (tb[WGDEVICE_A_LISTEN_PORT]);
	if (tb[WGDEVICE_A_FWMARK])
		info->fwmark = nla_get_u32 (tb[WGDEVICE_A_FWMARK]);
	if (!tb[WGDEVICE_A_PEERS])
		return TRUE;
	nla_for_each_nested (attr, tb[WGDEVICE_A_PEERS], rem) {
		if (!parse_peer (attr, info, first, error))
			return FALSE;
		first = FALSE;
	}
	return TRUE;
}

/* The extended ack's message, if the kernel sent one. */
static char *
ack_message (const struct nlmsghdr *hdr)
{
	const struct nlmsgerr *err = nlmsg_data (hdr);
	gsize off = sizeof *err;
	gsize payload = (gsize) nlmsg_datalen (hdr);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len >= NLMSG_HDRLEN ? err->msg.nlmsg_len - NLMSG_HDRLEN : 0;
	off = NLMSG_ALIGN (off);
	if (off >= payload ||
	    nla_parse (tb, NLMSGERR_ATTR_MAX, (struct nlattr *) ((char *) err + off),
	               (int) (payload - off), NULL) < 0 ||
	    !tb[NLMSGERR_ATTR_MSG] || nla_len (tb[NLMSGERR_ATTR_MSG]) < 1)
		return NULL;
	return g_strndup (nla_data (tb[NLMSGERR_ATTR_MSG]),
	                  (gsize) nla_len (tb[NLMSGERR_ATTR_MSG]));
}

gboolean
ncu_wg_kernel_parse_ack (const struct nlmsghdr *hdr, const char *what, GError **error)
{
	const struct nlmsgerr *err = nlmsg_data (hdr);
	g_autofree char *ext = NULL;
	int code;

	if (nlmsg_datalen (hdr) < (int) sizeof (int)) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "%s: truncated netlink ack", what);
		return FALSE;
	}
	code = err->error;
	if (code == 0)
		return TRUE;
	if (hdr->nlmsg_type == NLMSG_ERROR && nlmsg_datalen (hdr) >= (int) sizeof *err)
		ext = ack_message (hdr);
	g_set_error (error, NCU_WG_ERROR,
	             code == -ENODEV       ? NCU_WG_ERROR_NOT_FOUND
	             : code == -EADDRINUSE ? NCU_WG_ERROR_ADDRESS_IN_USE
	                                   : NCU_WG_ERROR_REMOTE,
	             "%s: %s%s%s", what, g_strerror (ABS (code)),
	             ext ? ": " : "", ext ? ext : "");
	return FALSE;
}
