/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A profile as the wg-quick import and export see it: the vpn.data and
 * vpn.secrets string maps plus the few settings that live outside the VPN
 * setting (DNS, routing table). Plain data without libnm, so the parser
 * (ncu-import) and the writer (ncu-export) can be tested and fuzzed alone.
 *
 * The file format is documented in ncu-import.h.
 */
#ifndef NCU_WGCONF_H
#define NCU_WGCONF_H

#include <glib.h>

typedef struct {
	GHashTable *data;       /* vpn.data: key -> value, both owned */
	GHashTable *secrets;    /* vpn.secrets: key -> value; values wiped on free */
	GPtrArray *dns;         /* DNS servers (IPv4/IPv6 literals), file order */
	GPtrArray *dns_search;  /* DNS search domains, file order, no duplicates */
	char *table;            /* wg-quick Table: NULL (auto), "off" or 1-4294967295 */
	GPtrArray *warnings;    /* what import ignored, one line each; never secret */
} NcuWgConf;

NcuWgConf *ncu_wgconf_new (void);
void ncu_wgconf_free (NcuWgConf *conf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuWgConf, ncu_wgconf_free)

/* Appends a copy of @item unless @list holds it already (ASCII case
 * ignored: DNS names and addresses). */
void ncu_wgconf_add_unique (GPtrArray *list, const char *item);

/* Wipes and frees a string that may hold a secret (NULL is fine). */
void ncu_wgconf_secret_free (char *text);

/* A wg-quick key and the profile key it carries. */
typedef struct {
	const char *file_key;    /* as wg-quick spells it */
	const char *profile_key; /* for [Peer]: the part after "peer.N." */
	gboolean repeatable;     /* more lines add to a comma list */
} NcuWgKeyMap;

/* The profile keys of [Interface] and [Peer], in the order export writes them. */
const NcuWgKeyMap *ncu_wgconf_interface_keys (gsize *n_keys);
const NcuWgKeyMap *ncu_wgconf_peer_keys (gsize *n_keys);

/* The [Interface] entry of a profile key, or NULL: then it goes to [cunicu]
 * (unless it is per-peer). */
const NcuWgKeyMap *ncu_wgconf_interface_key (const char *profile_key);

/*
 * Values in [cunicu] and in "# Name =" comments may be double-quoted, so
 * that a value can keep leading or trailing blanks or start with a quote.
 * Inside quotes, \" and \\ stand for " and \. ncu_wgconf_unquote() sets
 * @error (a short reason, no value quoted back) on a malformed quote;
 * ncu_wgconf_quote() quotes only when needed.
 */
char *ncu_wgconf_unquote (const char *raw, GError **error);
char *ncu_wgconf_quote (const char *value);

#endif /* NCU_WGCONF_H */
