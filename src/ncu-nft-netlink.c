/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading our table's rules and counters straight from the kernel: one
 * NFT_MSG_GETRULE dump over a netfilter netlink socket (libnl-3 core).
 *
 * Why not `nft list table` like the rest of the module: the status API
 * (nm-cunicu-status) asks for the counters of every fast-path peer, and a
 * status call must not stall the service's main loop. An nft run costs a
 * fork/exec and loading libnftables: a few ms here, but seconds in a slow
 * guest (TCG), where the status calls timed out. A dump costs one round
 * trip to the kernel and reads nothing but what we ask for. Writes stay
 * with nft (one atomic transaction per update, see ncu-nft.c); reading is
 * plain netlink and couples no licenses either.
 *
 * What a rule looks like in the dump (linux/netfilter/nf_tables.h):
 * nfgenmsg, then NFTA_RULE_TABLE, NFTA_RULE_HANDLE (be64),
 * NFTA_RULE_EXPRESSIONS (a list of NFTA_LIST_ELEM, each an NFTA_EXPR_NAME
 * and its NFTA_EXPR_DATA; "counter" carries NFTA_COUNTER_PACKETS and
 * NFTA_COUNTER_BYTES, be64) and NFTA_RULE_USERDATA, where nft keeps the
 * comment as a type-length-value record (type 0, NUL included).
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>       /* before linux/netfilter.h, which has its own */
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "ncu-nft-private.h"

/* nft's user data record that holds a rule's comment (libnftnl's
 * NFTNL_UDATA_RULE_COMMENT). */
#define UDATA_RULE_COMMENT 0
/* A dump interrupted by a concurrent change is redone. */
#define DUMP_ATTEMPTS 3
/* The kernel answers at once; this only bounds a broken socket. */
#define RECV_TIMEOUT_SEC 2

typedef struct nl_sock NcuNftNlSock;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuNftNlSock, nl_socket_free)
typedef struct nl_msg NcuNftNlMsg;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuNftNlMsg, nlmsg_free)

static gboolean
attr_string_is (const struct nlattr *attr, const char *want)
{
	gsize len = strlen (want);

	return attr && (gsize) nla_len (attr) >= len &&
	       strnlen (nla_data (attr), nla_len (attr)) == len &&
	       memcmp (nla_data (attr), want, len) == 0;
}

static gboolean
attr_be64 (const struct nlattr *attr, guint64 *value)
{
	guint64 be;

	if (!attr || nla_len (attr) < (int) sizeof be)
		return FALSE;
	memcpy (&be, nla_data (attr), sizeof be);
	*value = be64toh (be);
	return TRUE;
}

/* The comment record of nft's user data, or NULL. */
static char *
udata_comment (const struct nlattr *attr)
{
	const guint8 *data = attr ? nla_data (attr) : NULL;
	gsize len = attr ? (gsize) nla_len (attr) : 0, pos = 0;

	while (pos + 2 <= len) {
		guint8 type = data[pos], rlen = data[pos + 1];
		const char *value = (const char *) data + pos + 2;

		if (pos + 2 + rlen > len)
			break;
		if (type == UDATA_RULE_COMMENT && rlen > 0)
			return g_strndup (value, strnlen (value, rlen));
		pos += 2 + rlen;
	}
	return NULL;
}

/* The first counter expression of a rule's expression list. */
static void
find_counter (const struct nlattr *list, NcuNftRuleInfo *info)
{
	const struct nlattr *elem;
	int rem;

	if (!list)
		return;
	nla_for_each_nested (elem, list, rem) {
		struct nlattr *expr[NFTA_EXPR_MAX + 1];
		struct nlattr *counter[NFTA_COUNTER_MAX + 1];

		if (nla_type (elem) != NFTA_LIST_ELEM ||
		    nla_parse_nested (expr, NFTA_EXPR_MAX, (struct nlattr *) elem, NULL) < 0 ||
		    !attr_string_is (expr[NFTA_EXPR_NAME], "counter") || !expr[NFTA_EXPR_DATA] ||
		    nla_parse_nested (counter, NFTA_COUNTER_MAX, expr[NFTA_EXPR_DATA], NULL) < 0)
			continue;
		info->has_counter = attr_be64 (counter[NFTA_COUNTER_PACKETS], &info->packets) &&
		                    attr_be64 (counter[NFTA_COUNTER_BYTES], &info->bytes);
		if (info->has_counter)
			return;
	}
}

gboolean
ncu_nft_netlink_parse_rule (const struct nlmsghdr *nlh, const char *table, GArray *rules)
{
	struct nlattr *tb[NFTA_RULE_MAX + 1];
	const struct nfgenmsg *gen;
	NcuNftRuleInfo info = { 0 };

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE) ||
	    !nlmsg_valid_hdr (nlh, sizeof *gen))
		return FALSE;
	gen = nlmsg_data (nlh);
	if (gen->nfgen_family != NFPROTO_INET ||
	    nlmsg_parse ((struct nlmsghdr *) nlh, sizeof *gen, tb, NFTA_RULE_MAX, NULL) < 0 ||
	    !attr_string_is (tb[NFTA_RULE_TABLE], table) ||
	    !attr_be64 (tb[NFTA_RULE_HANDLE], &info.handle))
		return FALSE;
	/* Like the text parser: only tagged rules count. */
	info.comment = udata_comment (tb[NFTA_RULE_USERDATA]);
	if (!info.comment)
		return FALSE;
	find_counter (tb[NFTA_RULE_EXPRESSIONS], &info);
	g_array_append_val (rules, info);
	return TRUE;
}

typedef struct {
	const char *table;
	GArray *rules;
} DumpState;

static int
on_valid (struct nl_msg *msg, void *data)
{
	DumpState *state = data;

	ncu_nft_netlink_parse_rule (nlmsg_hdr (msg), state->table, state->rules);
	return NL_OK;
}

static int
dump_rules (struct nl_sock *sock, const char *table, GArray *rules)
{
	g_autoptr (NcuNftNlMsg) msg = nlmsg_alloc_simple ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE,
	                                                  NLM_F_DUMP);
	struct nfgenmsg gen = { .nfgen_family = NFPROTO_INET, .version = NFNETLINK_V0 };
	DumpState state = { table, rules };
	int err;

	if (!msg || nlmsg_append (msg, &gen, sizeof gen, NLMSG_ALIGNTO) < 0 ||
	    nla_put_string (msg, NFTA_RULE_TABLE, table) < 0)
		return -NLE_NOMEM;
	err = nl_send_auto (sock, msg);
	if (err < 0)
		return err;
	err = nl_socket_modify_cb (sock, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &state);
	if (err < 0)
		return err;
	return nl_recvmsgs_default (sock);
}

GArray *
ncu_nft_netlink_list_rules (const char *table, GError **error)
{
	g_autoptr (NcuNftNlSock) sock = nl_socket_alloc ();
	struct timeval tv = { .tv_sec = RECV_TIMEOUT_SEC };
	int err = -NLE_NOMEM;

	if (sock)
		err = nl_connect (sock, NETLINK_NETFILTER);
	if (err < 0) {
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_FAILED,
		             "cannot open a netfilter netlink socket: %s", nl_geterror (err));
		return NULL;
	}
	setsockopt (nl_socket_get_fd (sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (guint attempt = 1;; attempt++) {
		g_autoptr (GArray) rules = ncu_nft_rule_info_array_new ();

		err = dump_rules (sock, table, rules);
		if (err >= 0)
			return g_steal_pointer (&rules);
		if (err != -NLE_DUMP_INTR || attempt == DUMP_ATTEMPTS)
			break;
	}
	/* An absent table gives an empty dump, not an error. */
	g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_FAILED,
	             "cannot read the rules of table %s from the kernel: %s", table, nl_geterror (err));
	return NULL;
}
