/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the nft module: building nft scripts and reading nft's output
 * (pure text functions, unit-tested without root in tests/nft/
 * test-nft-script.c), and reading rules over netlink (its parser is
 * tested in tests/nft/test-nft-netlink.c).
 */
#ifndef NCU_NFT_PRIVATE_H
#define NCU_NFT_PRIVATE_H

#include "ncu-nft.h"

typedef enum {
	NCU_NFT_EGRESS,
	NCU_NFT_INGRESS,
} NcuNftDirection;

/* One rule found in nft's output (a listing, or --echo of a script). */
typedef struct {
	char *comment;
	guint64 handle;
	gboolean has_counter;
	guint64 packets, bytes;
} NcuNftRuleInfo;

/* "cunicu_" + @ifname with every character outside [A-Za-z0-9_] as '_'. */
char *ncu_nft_table_name_for (const char *ifname);
/* The comment that tags one of a peer's rules: "cunicu <base64 key> egress". */
char *ncu_nft_rule_comment (const guint8 key[NCU_KEY_LEN], NcuNftDirection direction);
const char *ncu_nft_direction_chain (NcuNftDirection direction);

/*
 * "add table" (with @fresh: add, delete and add again, so a table left by a
 * crashed process goes away in the same transaction) and the two base
 * chains. Adding what exists is a no-op for nft.
 */
void ncu_nft_append_table (GString *script, const char *table, gboolean fresh);
void ncu_nft_append_delete_rule (GString *script, const char *table,
                                 NcuNftDirection direction, guint64 handle);
/* Both rules of one peer; @pair must qualify (ncu_nft_pair_qualifies). */
void ncu_nft_append_peer_rules (GString *script, const char *table,
                                const guint8 key[NCU_KEY_LEN], guint16 wg_port,
                                const NcuIceSelectedPair *pair);
/* "add table; delete table": removes the table whether it exists or not. */
void ncu_nft_append_delete_table (GString *script, const char *table);

/* An empty array of NcuNftRuleInfo that frees their comments. */
GArray *ncu_nft_rule_info_array_new (void);
/* Every line of @text with both a comment and a "# handle N" (array of
 * NcuNftRuleInfo, freeing its comments). */
GArray *ncu_nft_parse_rules (const char *text);
/* The rule of @rules tagged @comment, or NULL. */
const NcuNftRuleInfo *ncu_nft_find_rule (GArray *rules, const char *comment);

/* ---- ncu-nft-netlink.c ---- */

struct nlmsghdr;

/*
 * Every rule of inet @table with a comment, with its handle and counter,
 * read with one netlink dump (no nft run). An absent table gives an empty
 * array; NULL and @error only when the kernel could not be asked.
 */
GArray *ncu_nft_netlink_list_rules (const char *table, GError **error);
/*
 * One message of that dump: appends the rule to @rules when it is an inet
 * rule of @table that carries a comment. Anything else, or attributes too
 * short for their type, is skipped (FALSE). Pure: unit-tested.
 */
gboolean ncu_nft_netlink_parse_rule (const struct nlmsghdr *nlh, const char *table, GArray *rules);

#endif /* NCU_NFT_PRIVATE_H */
