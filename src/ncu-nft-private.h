/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the nft module: building nft scripts and reading nft's output.
 * Pure text functions, unit-tested without root (tests/nft/test-nft-script.c).
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

/* Every line of @text with both a comment and a "# handle N" (array of
 * NcuNftRuleInfo, freeing its comments). */
GArray *ncu_nft_parse_rules (const char *text);
/* The rule of @rules tagged @comment, or NULL. */
const NcuNftRuleInfo *ncu_nft_find_rule (GArray *rules, const char *comment);

#endif /* NCU_NFT_PRIVATE_H */
