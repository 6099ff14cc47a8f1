/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wg-quick import parser, ncu_import_parse(), on arbitrary file
 * contents (an imported file comes from anywhere: a download, a mail).
 *
 * Whatever it accepts must survive the round trip the editor offers:
 * ncu_export_write() writes it and ncu_import_parse() reads it back to the
 * same profile (vpn.data, vpn.secrets, DNS, search domains, table).
 */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "ncu-export.h"
#include "ncu-import.h"
#include "ncu-schema.h"

static gboolean
same_table (GHashTable *a, GHashTable *b)
{
	GHashTableIter iter;
	const char *key, *value;

	if (g_hash_table_size (a) != g_hash_table_size (b))
		return FALSE;
	g_hash_table_iter_init (&iter, a);
	while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &value)) {
		if (g_strcmp0 (value, g_hash_table_lookup (b, key)) != 0)
			return FALSE;
	}
	return TRUE;
}

static gboolean
same_list (GPtrArray *a, GPtrArray *b)
{
	if (!a || !b)
		return a == b;
	if (a->len != b->len)
		return FALSE;
	for (guint i = 0; i < a->len; i++) {
		if (g_strcmp0 (a->pdata[i], b->pdata[i]) != 0)
			return FALSE;
	}
	return TRUE;
}

static void
check_round_trip (const NcuWgConf *conf)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuWgConf) back = NULL;
	char *text;

	text = ncu_export_write (conf, &error);
	if (!text)
		ncu_fuzz_fail ("an imported profile does not export: %s", error->message);
	back = ncu_import_parse (text, strlen (text), &error);
	if (!back)
		ncu_fuzz_fail ("an exported profile does not import: %s", error->message);
	ncu_wgconf_secret_free (text);

	ncu_fuzz_check (same_table (conf->data, back->data));
	ncu_fuzz_check (same_table (conf->secrets, back->secrets));
	ncu_fuzz_check (same_list (conf->dns, back->dns));
	ncu_fuzz_check (same_list (conf->dns_search, back->dns_search));
	ncu_fuzz_check (g_strcmp0 (conf->table, back->table) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuWgConf) conf = NULL;

	ncu_fuzz_init ();
	conf = ncu_import_parse ((const char *) data, size, &error);
	ncu_fuzz_check ((conf != NULL) == (error == NULL));
	if (!conf) {
		ncu_fuzz_check (error->domain == NCU_ERROR);
		return 0;
	}
	check_round_trip (conf);
	return 0;
}
