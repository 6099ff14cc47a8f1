/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel backend's netlink messages, without the module: what
 * WG_CMD_SET_DEVICE requests carry (attribute by attribute, as the kernel's
 * include/uapi/linux/wireguard.h defines them), how allowed IPs are split
 * over messages, and how GET_DEVICE dumps and acks are read.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <linux/wireguard.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "ncu-wg-kernel.h"

#define FAMILY  0x1d
#define IFINDEX 7

static void
fill_key (guint8 key[NCU_KEY_LEN], guint8 byte)
{
	memset (key, byte, NCU_KEY_LEN);
}

static GArray *
make_ips (guint n)
{
	GArray *ips = g_array_new (FALSE, TRUE, sizeof (NcuCidr));

	for (guint i = 0; i < n; i++) {
		NcuCidr c = { 0 };

		if (i % 2 == 0) {
			c.family = AF_INET;
			c.prefix = 32;
			c.addr[0] = 10;
			c.addr[2] = (guint8) (i >> 8);
			c.addr[3] = (guint8) i;
		} else {
			c.family = AF_INET6;
			c.prefix = 128;
			c.addr[0] = 0xfd;
			c.addr[14] = (guint8) (i >> 8);
			c.addr[15] = (guint8) i;
		}
		g_array_append_val (ips, c);
	}
	return ips;
}

static NcuWgPeer
make_peer (GArray *ips)
{
	NcuWgPeer peer = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *) &peer.endpoint;

	fill_key (peer.public_key, 0xaa);
	fill_key (peer.preshared_key, 0x55);
	peer.has_preshared_key = TRUE;
	sin->sin_family = AF_INET;
	sin->sin_port = htons (51820);
	inet_pton (AF_INET, "192.0.2.2", &sin->sin_addr);
	peer.persistent_keepalive = 25;
	peer.allowed_ips = ips;
	peer.replace_allowed_ips = TRUE;
	return peer;
}

/* Parses one built message; checks the generic netlink header. */
static void
parse_set (struct nl_msg *msg, struct nlattr **tb)
{
	struct nlmsghdr *hdr = nlmsg_hdr (msg);
	struct genlmsghdr *gh = genlmsg_hdr (hdr);

	g_assert_cmpuint (hdr->nlmsg_type, ==, FAMILY);
	g_assert_true (hdr->nlmsg_flags & NLM_F_ACK);
	g_assert_cmpuint (gh->cmd, ==, WG_CMD_SET_DEVICE);
	g_assert_cmpuint (gh->version, ==, WG_GENL_VERSION);
	g_assert_cmpint (genlmsg_parse (hdr, 0, tb, WGDEVICE_A_MAX, NULL), ==, 0);
	g_assert_nonnull (tb[WGDEVICE_A_IFINDEX]);
	g_assert_cmpuint (nla_get_u32 (tb[WGDEVICE_A_IFINDEX]), ==, IFINDEX);
}

/* The single peer of a message; NLA_F_NESTED set on every nest. */
static void
parse_only_peer (struct nlattr **dev, struct nlattr **tb)
{
	struct nlattr *peer;
	int rem, n = 0;

	g_assert_nonnull (dev[WGDEVICE_A_PEERS]);
	g_assert_true (dev[WGDEVICE_A_PEERS]->nla_type & NLA_F_NESTED);
	nla_for_each_nested (peer, dev[WGDEVICE_A_PEERS], rem) {
		g_assert_true (peer->nla_type & NLA_F_NESTED);
		g_assert_cmpint (nla_parse_nested (tb, WGPEER_A_MAX, peer, NULL), ==, 0);
		n++;
	}
	g_assert_cmpint (n, ==, 1);
}

/* Appends the allowed IPs of a peer attribute table to @out. */
static void
collect_ips (struct nlattr **peer, GArray *out)
{
	struct nlattr *ip;
	int rem;

	g_assert_nonnull (peer[WGPEER_A_ALLOWEDIPS]);
	g_assert_true (peer[WGPEER_A_ALLOWEDIPS]->nla_type & NLA_F_NESTED);
	nla_for_each_nested (ip, peer[WGPEER_A_ALLOWEDIPS], rem) {
		struct nlattr *tb[WGALLOWEDIP_A_MAX + 1];
		NcuCidr c = { 0 };

		g_assert_cmpint (nla_parse_nested (tb, WGALLOWEDIP_A_MAX, ip, NULL), ==, 0);
		c.family = nla_get_u16 (tb[WGALLOWEDIP_A_FAMILY]);
		c.prefix = nla_get_u8 (tb[WGALLOWEDIP_A_CIDR_MASK]);
		g_assert_cmpint (nla_len (tb[WGALLOWEDIP_A_IPADDR]), ==, c.family == AF_INET ? 4 : 16);
		memcpy (c.addr, nla_data (tb[WGALLOWEDIP_A_IPADDR]), nla_len (tb[WGALLOWEDIP_A_IPADDR]));
		g_array_append_val (out, c);
	}
}

static void
test_set_full (void)
{
	g_autoptr (GArray) ips = make_ips (2);
	g_autoptr (GArray) got = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
	NcuWgDeviceConfig dev = { .listen_port = 51820, .fwmark = 0x1234 };
	NcuWgPeer peer = make_peer (ips);
	struct nlattr *tb[WGDEVICE_A_MAX + 1], *pt[WGPEER_A_MAX + 1];
	GPtrArray *msgs;
	guint8 key[NCU_KEY_LEN];

	fill_key (dev.private_key, 0x11);
	msgs = ncu_wg_kernel_build_set (FAMILY, IFINDEX, &dev, &peer, FALSE);
	g_assert_cmpuint (msgs->len, ==, 1);
	parse_set (msgs->pdata[0], tb);
	g_assert_cmpmem (nla_data (tb[WGDEVICE_A_PRIVATE_KEY]), nla_len (tb[WGDEVICE_A_PRIVATE_KEY]),
	                 dev.private_key, NCU_KEY_LEN);
	g_assert_cmpint (nla_len (tb[WGDEVICE_A_LISTEN_PORT]), ==, 2);
	g_assert_cmpuint (nla_get_u16 (tb[WGDEVICE_A_LISTEN_PORT]), ==, 51820);
	g_assert_cmpuint (nla_get_u32 (tb[WGDEVICE_A_FWMARK]), ==, 0x1234);

	parse_only_peer (tb, pt);
	g_assert_cmpmem (nla_data (pt[WGPEER_A_PUBLIC_KEY]), nla_len (pt[WGPEER_A_PUBLIC_KEY]),
	                 peer.public_key, NCU_KEY_LEN);
	g_assert_cmpmem (nla_data (pt[WGPEER_A_PRESHARED_KEY]), nla_len (pt[WGPEER_A_PRESHARED_KEY]),
	                 peer.preshared_key, NCU_KEY_LEN);
	g_assert_cmpuint (nla_get_u32 (pt[WGPEER_A_FLAGS]), ==, WGPEER_F_REPLACE_ALLOWEDIPS);
	g_assert_cmpmem (nla_data (pt[WGPEER_A_ENDPOINT]), nla_len (pt[WGPEER_A_ENDPOINT]),
	                 &peer.endpoint, sizeof (struct sockaddr_in));
	g_assert_cmpuint (nla_get_u16 (pt[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]), ==, 25);
	collect_ips (pt, got);
	g_assert_cmpmem (got->data, got->len * sizeof (NcuCidr), ips->data, ips->len * sizeof (NcuCidr));
	ncu_wg_kernel_msgs_free (msgs);

	/* without a pre-shared key: an all-zero one, which clears it */
	peer.has_preshared_key = FALSE;
	peer.endpoint.ss_family = AF_UNSPEC;
	msgs = ncu_wg_kernel_build_set (FAMILY, IFINDEX, NULL, &peer, FALSE);
	parse_set (msgs->pdata[0], tb);
	g_assert_null (tb[WGDEVICE_A_PRIVATE_KEY]);
	g_assert_null (tb[WGDEVICE_A_LISTEN_PORT]);
	parse_only_peer (tb, pt);
	fill_key (key, 0);
	g_assert_cmpmem (nla_data (pt[WGPEER_A_PRESHARED_KEY]), nla_len (pt[WGPEER_A_PRESHARED_KEY]),
	                 key, NCU_KEY_LEN);
	g_assert_null (pt[WGPEER_A_ENDPOINT]);
	ncu_wg_kernel_msgs_free (msgs);
}

static void
test_set_endpoint_only (void)
{
	g_autoptr (GArray) ips = make_ips (3);
	NcuWgPeer peer = make_peer (ips);
	struct nlattr *tb[WGDEVICE_A_MAX + 1], *pt[WGPEER_A_MAX + 1];
	GPtrArray *msgs = ncu_wg_kernel_build_set (FAMILY, IFINDEX, NULL, &peer, TRUE);

	g_assert_cmpuint (msgs->len, ==, 1);
	parse_set (msgs->pdata[0], tb);
	parse_only_peer (tb, pt);
	g_assert_cmpuint (nla_get_u32 (pt[WGPEER_A_FLAGS]), ==, WGPEER_F_UPDATE_ONLY);
	g_assert_nonnull (pt[WGPEER_A_ENDPOINT]);
	g_assert_null (pt[WGPEER_A_PRESHARED_KEY]);
	g_assert_null (pt[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
	g_assert_null (pt[WGPEER_A_ALLOWEDIPS]);
	ncu_wg_kernel_msgs_free (msgs);

	peer.remove = TRUE;
	msgs = ncu_wg_kernel_build_set (FAMILY, IFINDEX, NULL, &peer, FALSE);
	g_assert_cmpuint (msgs->len, ==, 1);
	parse_set (msgs->pdata[0], tb);
	parse_only_peer (tb, pt);
	g_assert_cmpuint (nla_get_u32 (pt[WGPEER_A_FLAGS]), ==, WGPEER_F_REMOVE_ME);
	g_assert_null (pt[WGPEER_A_ENDPOINT]);
	g_assert_null (pt[WGPEER_A_ALLOWEDIPS]);
	ncu_wg_kernel_msgs_free (msgs);
}

/* 600 allowed IPs: three messages, replace only in the first, order kept. */
static void
test_set_split (void)
{
	g_autoptr (GArray) ips = make_ips (600);
	g_autoptr (GArray) got = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
	NcuWgDeviceConfig dev = { .listen_port = 1 };
	NcuWgPeer peer = make_peer (ips);
	GPtrArray *msgs = ncu_wg_kernel_build_set (FAMILY, IFINDEX, &dev, &peer, FALSE);

	g_assert_cmpuint (msgs->len, ==, 3);
	for (guint i = 0; i < msgs->len; i++) {
		struct nlattr *tb[WGDEVICE_A_MAX + 1], *pt[WGPEER_A_MAX + 1];

		parse_set (msgs->pdata[i], tb);
		g_assert_true ((i == 0) == (tb[WGDEVICE_A_PRIVATE_KEY] != NULL));
		parse_only_peer (tb, pt);
		g_assert_cmpmem (nla_data (pt[WGPEER_A_PUBLIC_KEY]), NCU_KEY_LEN,
		                 peer.public_key, NCU_KEY_LEN);
		g_assert_cmpuint (nla_get_u32 (pt[WGPEER_A_FLAGS]), ==,
		                  i == 0 ? WGPEER_F_REPLACE_ALLOWEDIPS : WGPEER_F_UPDATE_ONLY);
		g_assert_true ((i == 0) == (pt[WGPEER_A_PRESHARED_KEY] != NULL));
		collect_ips (pt, got);
	}
	g_assert_cmpuint (got->len, ==, 600);
	g_assert_cmpmem (got->data, got->len * sizeof (NcuCidr), ips->data, ips->len * sizeof (NcuCidr));
	ncu_wg_kernel_msgs_free (msgs);
}

static void
test_build_get (void)
{
	struct nl_msg *msg = ncu_wg_kernel_build_get (FAMILY, IFINDEX);
	struct nlmsghdr *hdr = nlmsg_hdr (msg);
	struct nlattr *tb[WGDEVICE_A_MAX + 1];

	g_assert_true (hdr->nlmsg_flags & NLM_F_DUMP);
	g_assert_cmpuint (genlmsg_hdr (hdr)->cmd, ==, WG_CMD_GET_DEVICE);
	g_assert_cmpint (genlmsg_parse (hdr, 0, tb, WGDEVICE_A_MAX, NULL), ==, 0);
	g_assert_cmpuint (nla_get_u32 (tb[WGDEVICE_A_IFINDEX]), ==, IFINDEX);
	nlmsg_free (msg);
}

/* ---- GET_DEVICE replies, built as the kernel sends them ---- */

static struct nl_msg *
reply_new (gboolean with_device)
{
	struct nl_msg *msg = nlmsg_alloc ();
	guint8 key[NCU_KEY_LEN];

	genlmsg_put (msg, 0, 1, FAMILY, 0, NLM_F_MULTI, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	if (!with_device)
		return msg;
	nla_put_u16 (msg, WGDEVICE_A_LISTEN_PORT, 40000);
	nla_put_u32 (msg, WGDEVICE_A_FWMARK, 77);
	nla_put_u32 (msg, WGDEVICE_A_IFINDEX, IFINDEX);
	nla_put_string (msg, WGDEVICE_A_IFNAME, "wg7");
	fill_key (key, 0x11);
	nla_put (msg, WGDEVICE_A_PRIVATE_KEY, NCU_KEY_LEN, key);
	fill_key (key, 0x22);
	nla_put (msg, WGDEVICE_A_PUBLIC_KEY, NCU_KEY_LEN, key);
	return msg;
}

static void
reply_put_ip (struct nl_msg *msg, int family, const char *addr, guint8 prefix)
{
	struct nlattr *n = nla_nest_start (msg, 0);
	guint8 buf[16];

	inet_pton (family, addr, buf);
	nla_put_u16 (msg, WGALLOWEDIP_A_FAMILY, family);
	nla_put (msg, WGALLOWEDIP_A_IPADDR, family == AF_INET ? 4 : 16, buf);
	nla_put_u8 (msg, WGALLOWEDIP_A_CIDR_MASK, prefix);
	nla_nest_end (msg, n);
}

static void
reply_put_peer (struct nl_msg *msg, guint8 key_byte, gboolean details, const char *ip)
{
	struct nlattr *peer = nla_nest_start (msg, 0);
	struct nlattr *ips;
	guint8 key[NCU_KEY_LEN];

	fill_key (key, key_byte);
	nla_put (msg, WGPEER_A_PUBLIC_KEY, NCU_KEY_LEN, key);
	if (details) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons (9) };
		gint64 ts[2] = { 1700000000, 5 };

		inet_pton (AF_INET6, "2001:db8::9", &sin6.sin6_addr);
		fill_key (key, 0x33);
		nla_put (msg, WGPEER_A_PRESHARED_KEY, NCU_KEY_LEN, key);
		nla_put (msg, WGPEER_A_ENDPOINT, sizeof sin6, &sin6);
		nla_put (msg, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof ts, ts);
		nla_put_u64 (msg, WGPEER_A_RX_BYTES, 1000);
		nla_put_u64 (msg, WGPEER_A_TX_BYTES, 2000);
		nla_put_u16 (msg, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 15);
		nla_put_u32 (msg, WGPEER_A_PROTOCOL_VERSION, 1);
	}
	ips = nla_nest_start (msg, WGPEER_A_ALLOWEDIPS);
	reply_put_ip (msg, strchr (ip, ':') ? AF_INET6 : AF_INET, ip, strchr (ip, ':') ? 128 : 32);
	nla_nest_end (msg, ips);
	nla_nest_end (msg, peer);
}

static void
test_parse_get (void)
{
	g_autoptr (NcuWgDeviceInfo) info = ncu_wg_device_info_new ();
	g_autoptr (GError) error = NULL;
	struct nl_msg *m1 = reply_new (TRUE), *m2 = reply_new (FALSE);
	struct nlattr *peers;
	const NcuWgPeerInfo *p;
	g_autofree char *ep = NULL;
	guint8 key[NCU_KEY_LEN];

	/* message 1: peer A, peer B (cut after one allowed IP) */
	peers = nla_nest_start (m1, WGDEVICE_A_PEERS);
	reply_put_peer (m1, 0xa0, TRUE, "10.0.0.1");
	reply_put_peer (m1, 0xb0, FALSE, "10.0.0.2");
	nla_nest_end (m1, peers);
	/* message 2: B continued, then C */
	peers = nla_nest_start (m2, WGDEVICE_A_PEERS);
	reply_put_peer (m2, 0xb0, FALSE, "fd00::2");
	reply_put_peer (m2, 0xc0, FALSE, "10.0.0.3");
	nla_nest_end (m2, peers);

	g_assert_true (ncu_wg_kernel_parse_get (nlmsg_hdr (m1), info, &error));
	g_assert_true (ncu_wg_kernel_parse_get (nlmsg_hdr (m2), info, &error));
	g_assert_no_error (error);
	nlmsg_free (m1);
	nlmsg_free (m2);

	g_assert_cmpuint (info->listen_port, ==, 40000);
	g_assert_cmpuint (info->fwmark, ==, 77);
	fill_key (key, 0x22);
	g_assert_true (info->has_public_key);
	g_assert_cmpmem (info->public_key, NCU_KEY_LEN, key, NCU_KEY_LEN);
	g_assert_cmpuint (info->peers->len, ==, 3);

	fill_key (key, 0xa0);
	p = ncu_wg_device_info_find_peer (info, key);
	g_assert_true (p->has_preshared_key);
	ep = ncu_wg_sockaddr_to_string ((const struct sockaddr *) &p->endpoint);
	g_assert_cmpstr (ep, ==, "[2001:db8::9]:9");
	g_assert_cmpint (p->last_handshake_sec, ==, 1700000000);
	g_assert_cmpint (p->last_handshake_nsec, ==, 5);
	g_assert_cmpuint (p->rx_bytes, ==, 1000);
	g_assert_cmpuint (p->tx_bytes, ==, 2000);
	g_assert_cmpuint (p->persistent_keepalive, ==, 15);

	fill_key (key, 0xb0);
	p = ncu_wg_device_info_find_peer (info, key);
	g_assert_cmpuint (p->allowed_ips->len, ==, 2);
	g_assert_cmpint (g_array_index (p->allowed_ips, NcuCidr, 1).family, ==, AF_INET6);
	g_assert_false (p->has_preshared_key);
	g_assert_cmpint (p->endpoint.ss_family, ==, AF_UNSPEC);
}

static void
check_bad_reply (struct nl_msg *msg, const char *message)
{
	g_autoptr (NcuWgDeviceInfo) info = ncu_wg_device_info_new ();
	g_autoptr (GError) error = NULL;

	g_assert_false (ncu_wg_kernel_parse_get (nlmsg_hdr (msg), info, &error));
	g_assert_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL);
	g_assert_cmpstr (error->message, ==, message);
	nlmsg_free (msg);
}

/* A reply with one peer whose attributes a test then adds. */
typedef struct {
	struct nl_msg *msg;
	struct nlattr *peers;
	struct nlattr *peer;
} BadPeer;

static BadPeer
bad_peer_begin (int key_len)
{
	static const guint8 key[NCU_KEY_LEN] = { 2 };
	BadPeer b = { .msg = reply_new (FALSE) };

	b.peers = nla_nest_start (b.msg, WGDEVICE_A_PEERS);
	b.peer = nla_nest_start (b.msg, 0);
	if (key_len)
		nla_put (b.msg, WGPEER_A_PUBLIC_KEY, key_len, key);
	return b;
}

static void
bad_peer_check (BadPeer *b, const char *message)
{
	nla_nest_end (b->msg, b->peer);
	nla_nest_end (b->msg, b->peers);
	check_bad_reply (b->msg, message);
}

static void
test_parse_get_bad (void)
{
	struct sockaddr_in sin = { .sin_family = AF_UNIX };
	guint8 addr[16] = { 0 };
	struct nlattr *ips, *ip;
	struct nl_msg *msg;
	BadPeer b;

	b = bad_peer_begin (0);
	nla_put_u64 (b.msg, WGPEER_A_RX_BYTES, 1);
	bad_peer_check (&b, "WG_CMD_GET_DEVICE reply: peer without public key");

	b = bad_peer_begin (31);
	bad_peer_check (&b, "WG_CMD_GET_DEVICE reply: malformed peer");

	b = bad_peer_begin (NCU_KEY_LEN);
	nla_put (b.msg, WGPEER_A_ENDPOINT, sizeof sin, &sin);
	bad_peer_check (&b, "WG_CMD_GET_DEVICE reply: endpoint of family 1, 16 bytes");

	b = bad_peer_begin (NCU_KEY_LEN);
	ips = nla_nest_start (b.msg, WGPEER_A_ALLOWEDIPS);
	ip = nla_nest_start (b.msg, 0);
	nla_put_u16 (b.msg, WGALLOWEDIP_A_FAMILY, AF_INET);
	nla_put (b.msg, WGALLOWEDIP_A_IPADDR, 16, addr);
	nla_put_u8 (b.msg, WGALLOWEDIP_A_CIDR_MASK, 8);
	nla_nest_end (b.msg, ip);
	nla_nest_end (b.msg, ips);
	bad_peer_check (&b, "WG_CMD_GET_DEVICE reply: allowed IP of family 2, 16 bytes, prefix 8");

	msg = reply_new (FALSE);
	nla_put (msg, WGDEVICE_A_LISTEN_PORT, 1, addr);
	check_bad_reply (msg, "WG_CMD_GET_DEVICE reply: malformed device attributes");
}

/* ---- acks ---- */

static struct nl_msg *
ack_new (int code, const char *ext)
{
	struct nl_msg *msg = nlmsg_alloc_simple (NLMSG_ERROR, ext ? NLM_F_CAPPED | NLM_F_ACK_TLVS : 0);
	struct nlmsgerr err = { .error = code };

	err.msg.nlmsg_len = NLMSG_HDRLEN + 100;  /* capped: the payload is not echoed */
	nlmsg_append (msg, &err, sizeof err, NLMSG_ALIGNTO);
	if (ext)
		nla_put_string (msg, NLMSGERR_ATTR_MSG, ext);
	return msg;
}

/* An ack with error @code fails with @want_code and @want_message. */
static void
assert_ack_fails (int code, const char *ext, const char *what, int want_code,
                  const char *want_message)
{
	struct nl_msg *msg = ack_new (code, ext);
	g_autoptr (GError) error = NULL;

	g_assert_false (ncu_wg_kernel_parse_ack (nlmsg_hdr (msg), what, &error));
	g_assert_error (error, NCU_WG_ERROR, want_code);
	g_assert_cmpstr (error->message, ==, want_message);
	nlmsg_free (msg);
}

static void
test_ack (void)
{
	struct nl_msg *msg = ack_new (0, NULL);
	g_autoptr (GError) error = NULL;

	g_assert_true (ncu_wg_kernel_parse_ack (nlmsg_hdr (msg), "SET", &error));
	g_assert_no_error (error);
	nlmsg_free (msg);

	assert_ack_fails (-EINVAL, "NLA_F_NESTED is missing", "SET", NCU_WG_ERROR_REMOTE,
	                  "SET: Invalid argument: NLA_F_NESTED is missing");
	assert_ack_fails (-ENODEV, NULL, "GET", NCU_WG_ERROR_NOT_FOUND, "GET: No such device");
	/* listen port taken: the caller may try again */
	assert_ack_fails (-EADDRINUSE, NULL, "SET", NCU_WG_ERROR_ADDRESS_IN_USE,
	                  "SET: Address already in use");

	/* a bare NLMSG_DONE of a dump: an int, 0 = fine */
	msg = nlmsg_alloc_simple (NLMSG_DONE, NLM_F_MULTI);
	nlmsg_append (msg, &(int) { 0 }, sizeof (int), NLMSG_ALIGNTO);
	g_assert_true (ncu_wg_kernel_parse_ack (nlmsg_hdr (msg), "GET", &error));
	nlmsg_free (msg);

	msg = nlmsg_alloc_simple (NLMSG_DONE, NLM_F_MULTI);
	g_assert_false (ncu_wg_kernel_parse_ack (nlmsg_hdr (msg), "GET", &error));
	g_assert_cmpstr (error->message, ==, "GET: truncated netlink ack");
	nlmsg_free (msg);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/wg-kernel/set/full", test_set_full);
	g_test_add_func ("/wg-kernel/set/endpoint-only-and-remove", test_set_endpoint_only);
	g_test_add_func ("/wg-kernel/set/split", test_set_split);
	g_test_add_func ("/wg-kernel/get/request", test_build_get);
	g_test_add_func ("/wg-kernel/get/parse", test_parse_get);
	g_test_add_func ("/wg-kernel/get/parse-bad", test_parse_get_bad);
	g_test_add_func ("/wg-kernel/ack", test_ack);
	return g_test_run ();
}
