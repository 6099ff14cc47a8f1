/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The netlink rule parser of the nft module (ncu-nft-netlink.c) on
 * messages built here like the kernel's NFT_MSG_NEWRULE dump replies: our
 * table's tagged rules are taken with handle and counter; other tables,
 * other families, untagged rules, other message types and attributes too
 * short for their type are skipped without a crash. The real kernel is
 * asked in tests/nft/nft-real.c (root, own namespace).
 */
#include "config.h"

#include <endian.h>
#include <string.h>
#include <netinet/in.h>       /* before linux/netfilter.h, which has its own */
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "ncu-nft-private.h"

#define RULE_TYPE ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE)

typedef struct {
	int type;
	guint8 family;
	const char *table;
	guint64 handle;
	gboolean short_handle;       /* a 4-byte handle attribute */
	const char *comment;         /* NULL: no user data */
	gboolean other_udata_first;  /* a record of another type before the comment */
	gboolean counter;
	guint64 packets, bytes;
} RuleSpec;

static void
put_be64 (struct nl_msg *msg, int type, guint64 value)
{
	guint64 be = htobe64 (value);

	g_assert_cmpint (nla_put (msg, type, sizeof be, &be), ==, 0);
}

static void
put_expr (struct nl_msg *msg, const char *name, const RuleSpec *spec)
{
	struct nlattr *elem = nla_nest_start (msg, NFTA_LIST_ELEM | NLA_F_NESTED);
	struct nlattr *data;

	nla_put_string (msg, NFTA_EXPR_NAME, name);
	data = nla_nest_start (msg, NFTA_EXPR_DATA | NLA_F_NESTED);
	if (g_str_equal (name, "counter")) {
		put_be64 (msg, NFTA_COUNTER_BYTES, spec->bytes);
		put_be64 (msg, NFTA_COUNTER_PACKETS, spec->packets);
	} else {
		nla_put_u32 (msg, 1, 0x12345678);
	}
	nla_nest_end (msg, data);
	nla_nest_end (msg, elem);
}

static void
put_udata (struct nl_msg *msg, const RuleSpec *spec)
{
	g_autoptr (GByteArray) udata = g_byte_array_new ();
	guint8 header[2];

	if (spec->other_udata_first) {
		const guint8 other[] = { 1, 1, 0x2a };   /* type 1, length 1 */
		g_byte_array_append (udata, other, sizeof other);
	}
	header[0] = 0;                                /* the comment record */
	header[1] = strlen (spec->comment) + 1;
	g_byte_array_append (udata, header, 2);
	g_byte_array_append (udata, (const guint8 *) spec->comment, strlen (spec->comment) + 1);
	nla_put (msg, NFTA_RULE_USERDATA, udata->len, udata->data);
}

static struct nl_msg *
build_rule (const RuleSpec *spec)
{
	struct nl_msg *msg = nlmsg_alloc_simple (spec->type ? spec->type : RULE_TYPE, NLM_F_MULTI);
	struct nfgenmsg gen = { .nfgen_family = spec->family ? spec->family : NFPROTO_INET,
	                        .version = NFNETLINK_V0 };
	struct nlattr *exprs;

	g_assert_nonnull (msg);
	g_assert_cmpint (nlmsg_append (msg, &gen, sizeof gen, NLMSG_ALIGNTO), ==, 0);
	nla_put_string (msg, NFTA_RULE_TABLE, spec->table);
	nla_put_string (msg, NFTA_RULE_CHAIN, "egress");
	if (spec->short_handle)
		nla_put_u32 (msg, NFTA_RULE_HANDLE, (guint32) spec->handle);
	else
		put_be64 (msg, NFTA_RULE_HANDLE, spec->handle);
	exprs = nla_nest_start (msg, NFTA_RULE_EXPRESSIONS | NLA_F_NESTED);
	put_expr (msg, "payload", spec);
	if (spec->counter)
		put_expr (msg, "counter", spec);
	put_expr (msg, "payload", spec);
	nla_nest_end (msg, exprs);
	if (spec->comment)
		put_udata (msg, spec);
	return msg;
}

/* Parses one built message; the rule it yielded, if any, lands in @rules. */
static gboolean
parse (const RuleSpec *spec, GArray *rules)
{
	struct nl_msg *msg = build_rule (spec);
	gboolean taken = ncu_nft_netlink_parse_rule (nlmsg_hdr (msg), "cunicu_wg0", rules);

	nlmsg_free (msg);
	return taken;
}

static void
test_ours (void)
{
	g_autoptr (GArray) rules = ncu_nft_rule_info_array_new ();
	const RuleSpec egress = { .table = "cunicu_wg0", .handle = 7, .comment = "cunicu abc egress",
	                          .counter = TRUE, .packets = 12, .bytes = G_MAXUINT64 };
	const RuleSpec ingress = { .table = "cunicu_wg0", .handle = 0x100000002ULL,
	                           .comment = "cunicu abc ingress", .other_udata_first = TRUE,
	                           .counter = TRUE, .packets = 3, .bytes = 345 };
	const RuleSpec bare = { .table = "cunicu_wg0", .handle = 9, .comment = "cunicu abc other" };
	const NcuNftRuleInfo *info;

	g_assert_true (parse (&egress, rules));
	g_assert_true (parse (&ingress, rules));
	g_assert_true (parse (&bare, rules));
	g_assert_cmpuint (rules->len, ==, 3);

	info = ncu_nft_find_rule (rules, "cunicu abc egress");
	g_assert_nonnull (info);
	g_assert_cmpuint (info->handle, ==, 7);
	g_assert_true (info->has_counter);
	g_assert_cmpuint (info->packets, ==, 12);
	g_assert_cmpuint (info->bytes, ==, G_MAXUINT64);

	info = ncu_nft_find_rule (rules, "cunicu abc ingress");
	g_assert_nonnull (info);
	g_assert_cmpuint (info->handle, ==, 0x100000002ULL);
	g_assert_cmpuint (info->packets, ==, 3);
	g_assert_cmpuint (info->bytes, ==, 345);

	info = ncu_nft_find_rule (rules, "cunicu abc other");
	g_assert_nonnull (info);
	g_assert_false (info->has_counter);
}

static void
test_skipped (void)
{
	g_autoptr (GArray) rules = ncu_nft_rule_info_array_new ();
	const RuleSpec cases[] = {
		/* another table, and one whose name only starts like ours */
		{ .table = "filter", .handle = 1, .comment = "x", .counter = TRUE },
		{ .table = "cunicu_wg00", .handle = 1, .comment = "x", .counter = TRUE },
		{ .table = "cunicu_wg", .handle = 1, .comment = "x", .counter = TRUE },
		/* our table name in another family */
		{ .family = NFPROTO_IPV4, .table = "cunicu_wg0", .handle = 1, .comment = "x" },
		/* not a rule */
		{ .type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN, .table = "cunicu_wg0",
		  .handle = 1, .comment = "x" },
		/* untagged, or a handle too short to be one */
		{ .table = "cunicu_wg0", .handle = 1, .counter = TRUE },
		{ .table = "cunicu_wg0", .handle = 1, .short_handle = TRUE, .comment = "x" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
		g_assert_false (parse (&cases[i], rules));
	g_assert_cmpuint (rules->len, ==, 0);
}

/* A message cut short anywhere: skipped or taken, never read past its end. */
static void
test_truncated (void)
{
	const RuleSpec spec = { .table = "cunicu_wg0", .handle = 7, .comment = "cunicu abc egress",
	                        .counter = TRUE, .packets = 1, .bytes = 2 };
	struct nl_msg *msg = build_rule (&spec);
	const struct nlmsghdr *full = nlmsg_hdr (msg);

	for (guint32 len = sizeof *full; len <= full->nlmsg_len; len++) {
		g_autoptr (GArray) rules = ncu_nft_rule_info_array_new ();
		/* Exactly @len bytes on the heap, so ASan sees any overread. */
		g_autofree struct nlmsghdr *cut = g_memdup2 (full, len);

		cut->nlmsg_len = len;
		ncu_nft_netlink_parse_rule (cut, "cunicu_wg0", rules);
		g_assert_cmpuint (rules->len, <=, 1);
	}
	nlmsg_free (msg);
}

/* Bad user data: a record longer than what is left is not read. */
static void
test_bad_udata (void)
{
	g_autoptr (GArray) rules = ncu_nft_rule_info_array_new ();
	const RuleSpec spec = { .table = "cunicu_wg0", .handle = 7, .counter = TRUE };
	struct nl_msg *msg = build_rule (&spec);
	const guint8 udata[] = { 0, 200, 'a', 'b' };

	nla_put (msg, NFTA_RULE_USERDATA, sizeof udata, udata);
	g_assert_false (ncu_nft_netlink_parse_rule (nlmsg_hdr (msg), "cunicu_wg0", rules));
	nlmsg_free (msg);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/nft/netlink/ours", test_ours);
	g_test_add_func ("/nft/netlink/skipped", test_skipped);
	g_test_add_func ("/nft/netlink/truncated", test_truncated);
	g_test_add_func ("/nft/netlink/bad-udata", test_bad_udata);
	return g_test_run ();
}
