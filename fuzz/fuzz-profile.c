/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The profile validator and converter: ncu_profile_validate() and
 * ncu_profile_new() on vpn.data / vpn.secrets tables decoded from the
 * input (what NetworkManager hands the service and the editor).
 *
 * Input lines:
 *   key=value     goes to vpn.data
 *   !key=value    goes to vpn.secrets
 *   %require-secrets   (anywhere) validates with NCU_VALIDATE_REQUIRE_SECRETS
 * A later line with the same key replaces the earlier value; lines without
 * '=' are skipped.
 *
 * Invariants: validate and new agree; every error is in NCU_ERROR and never
 * quotes a secret value; the CIDRs of an accepted profile format and parse
 * back to themselves.
 */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "ncu-profile.h"

/*
 * Only secret values holding this marker are looked for in error messages:
 * other short values occur in message text by chance ("private", "an
 * integer"). The seeds use it and the dictionary offers it.
 */
#define SECRET_MARKER "SECRET"

static void
check_cidrs (GArray *cidrs)
{
	for (guint i = 0; cidrs && i < cidrs->len; i++) {
		const NcuCidr *cidr = &g_array_index (cidrs, NcuCidr, i);
		g_autofree char *text = ncu_cidr_to_string (cidr);
		NcuCidr back;

		ncu_fuzz_check (ncu_cidr_parse (text, &back));
		ncu_fuzz_check (back.family == cidr->family && back.prefix == cidr->prefix
		                && memcmp (back.addr, cidr->addr, sizeof back.addr) == 0);
	}
}

/* TRUE when @text occurs in a key (or, unless @keys_only, a value) of @table. */
static gboolean
table_mentions (GHashTable *table, const char *text, gboolean keys_only)
{
	GHashTableIter iter;
	const char *key, *value;

	g_hash_table_iter_init (&iter, table);
	while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &value)) {
		if (strstr (key, text) || (!keys_only && strstr (value, text)))
			return TRUE;
	}
	return FALSE;
}

/* A secret's value may be quoted only where the same text is not secret too. */
static void
check_no_secret (const GError *error, GHashTable *data, GHashTable *secrets)
{
	GHashTableIter iter;
	const char *key, *value;

	g_hash_table_iter_init (&iter, secrets);
	while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &value)) {
		if (!strstr (value, SECRET_MARKER) || !strstr (error->message, value))
			continue;
		if (table_mentions (data, value, FALSE) || table_mentions (secrets, value, TRUE))
			continue;
		ncu_fuzz_fail ("error message quotes the value of secret %s: %s", key, error->message);
	}
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autoptr (GPtrArray) lines = NULL;
	g_autoptr (GHashTable) vpn_data = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr (GHashTable) vpn_secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) new_error = NULL;
	g_autoptr (NcuProfile) profile = NULL;
	NcuValidateFlags flags = NCU_VALIDATE_DEFAULT;
	gboolean valid;

	ncu_fuzz_init ();
	lines = ncu_fuzz_split_lines (data, size);
	for (guint i = 0; i < lines->len; i++) {
		const char *line = lines->pdata[i];
		GHashTable *table = vpn_data;
		const char *eq;

		if (g_str_equal (line, "%require-secrets")) {
			flags |= NCU_VALIDATE_REQUIRE_SECRETS;
			continue;
		}
		if (line[0] == '!') {
			table = vpn_secrets;
			line++;
		}
		eq = strchr (line, '=');
		if (!eq)
			continue;
		g_hash_table_replace (table, g_strndup (line, (gsize) (eq - line)), g_strdup (eq + 1));
	}

	valid = ncu_profile_validate (vpn_data, vpn_secrets, flags, &error);
	ncu_fuzz_check (valid == (error == NULL));
	if (error) {
		ncu_fuzz_check (error->domain == NCU_ERROR);
		check_no_secret (error, vpn_data, vpn_secrets);
	}

	profile = ncu_profile_new (vpn_data, vpn_secrets, flags, &new_error);
	ncu_fuzz_check ((profile != NULL) == valid);
	ncu_fuzz_check ((profile != NULL) == (new_error == NULL));
	if (!profile)
		return 0;
	check_cidrs (profile->addresses);
	for (guint i = 0; i < profile->peers->len; i++) {
		const NcuPeerConfig *peer = profile->peers->pdata[i];

		ncu_fuzz_check (peer->index == i);
		check_cidrs (peer->allowed_ips);
	}
	return 0;
}
