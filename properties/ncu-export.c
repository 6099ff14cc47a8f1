/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "ncu-schema.h"
#include "ncu-export.h"

typedef struct {
	const NcuWgConf *conf;
	GString *out;
	GHashTable *written;  /* profile keys already in @out */
} Writer;

static const char *
lookup (Writer *w, const char *key)
{
	const char *value = g_hash_table_lookup (w->conf->data, key);

	return value ? value : g_hash_table_lookup (w->conf->secrets, key);
}

/* Appends "Key = value" and marks @profile_key (when not NULL) as written.
 * A repeatable key's comma list gets a blank after each comma, as wg-quick
 * files are usually written. */
static void
put (Writer *w, const char *file_key, const char *profile_key, const char *value,
     gboolean list)
{
	g_string_append_printf (w->out, "%s = ", file_key);
	if (list) {
		g_auto (GStrv) items = g_strsplit (value, ",", -1);

		for (char **item = items; *item; item++) {
			g_string_append (w->out, g_strstrip (*item));
			if (item[1])
				g_string_append (w->out, ", ");
		}
	} else {
		g_string_append (w->out, value);
	}
	g_string_append_c (w->out, '\n');
	if (profile_key)
		g_hash_table_add (w->written, (gpointer) profile_key);
}

/* Same for values in [cunicu] and in comments: quoted when needed. */
static void
put_quoted (Writer *w, const char *file_key, const char *profile_key, const char *value)
{
	char *quoted = ncu_wgconf_quote (value);

	put (w, file_key, profile_key, quoted, FALSE);
	ncu_wgconf_secret_free (quoted);
}

/* A secret's flags go into the file unless import would infer them: it
 * gives a secret found in the file flags 0. */
static gboolean
flags_needed (Writer *w, const char *secret_key, const char *flags)
{
	return flags && (strcmp (flags, "0") != 0
	                 || !g_hash_table_contains (w->conf->secrets, secret_key));
}

static void
put_joined (Writer *w, const char *file_key, GPtrArray *a, GPtrArray *b)
{
	g_autoptr (GString) value = g_string_new (NULL);
	GPtrArray *lists[] = { a, b };

	for (gsize l = 0; l < G_N_ELEMENTS (lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++) {
			if (value->len)
				g_string_append (value, ", ");
			g_string_append (value, lists[l]->pdata[i]);
		}
	}
	if (value->len)
		put (w, file_key, NULL, value->str, FALSE);
}

static void
write_interface (Writer *w)
{
	const NcuWgKeyMap *map;
	gsize n;

	g_string_append (w->out, "[Interface]\n");
	map = ncu_wgconf_interface_keys (&n);
	for (gsize i = 0; i < n; i++) {
		const char *value = lookup (w, map[i].profile_key);

		if (value)
			put (w, map[i].file_key, map[i].profile_key, value, map[i].repeatable);
	}
	put_joined (w, "DNS", w->conf->dns, w->conf->dns_search);
	if (w->conf->table)
		put (w, "Table", NULL, w->conf->table, FALSE);
}

/* Looks up peer.N.<name>; returns the full key (kept in @keys for the
 * written set) and its value through @value. */
static const char *
peer_key (Writer *w, GPtrArray *keys, guint peer, const char *name, const char **value)
{
	char *key = g_strdup_printf (NCU_PEER_KEY_PREFIX "%u.%s", peer, name);

	g_ptr_array_add (keys, key);
	*value = lookup (w, key);
	return key;
}

static void
write_peer (Writer *w, GPtrArray *keys, guint peer)
{
	const char *key, *psk_key, *value;
	const NcuWgKeyMap *map;
	gsize n;

	g_string_append (w->out, "\n[Peer]\n");
	key = peer_key (w, keys, peer, NCU_KEY_PEER_LABEL, &value);
	if (value)
		put_quoted (w, "# Name", key, value);
	psk_key = peer_key (w, keys, peer, NCU_KEY_PEER_PRESHARED_KEY, &value);
	key = peer_key (w, keys, peer, NCU_KEY_PEER_PRESHARED_KEY NCU_FLAGS_SUFFIX, &value);
	if (flags_needed (w, psk_key, value))
		put (w, "# PresharedKeyFlags", key, value, FALSE);
	else if (value)
		g_hash_table_add (w->written, (gpointer) key);

	map = ncu_wgconf_peer_keys (&n);
	for (gsize i = 0; i < n; i++) {
		key = peer_key (w, keys, peer, map[i].profile_key, &value);
		if (value)
			put (w, map[i].file_key, key, value, map[i].repeatable);
	}
}

static void
write_peers (Writer *w, GPtrArray *keys)
{
	for (guint peer = 0; peer < NCU_MAX_PEERS; peer++) {
		g_autofree char *key = g_strdup_printf (NCU_PEER_KEY_PREFIX "%u." NCU_KEY_PEER_PUBLIC_KEY, peer);

		/* Validation made the indices dense from 0. */
		if (!g_hash_table_contains (w->conf->data, key))
			break;
		write_peer (w, keys, peer);
	}
}

/* Every key that is neither in [Interface] nor per-peer, in table order. */
static void
write_cunicu (Writer *w)
{
	gsize start = w->out->len;
	const NcuKeyInfo *keys;
	gsize n;

	g_string_append (w->out, "\n[cunicu]\n");
	keys = ncu_schema_keys (&n);
	for (gsize i = 0; i < n; i++) {
		const char *name = keys[i].name;
		const char *value = lookup (w, name);

		if ((keys[i].flags & NCU_KEY_PER_PEER) || !value)
			continue;
		if (keys[i].type == NCU_KEY_TYPE_SECRET_FLAGS) {
			g_autofree char *secret = g_strndup (name, strlen (name) - strlen (NCU_FLAGS_SUFFIX));

			if (!flags_needed (w, secret, value)) {
				g_hash_table_add (w->written, (gpointer) name);
				continue;
			}
		} else if (ncu_wgconf_interface_key (name)) {
			continue;
		}
		put_quoted (w, name, name, value);
	}
	/* Nothing of ours: leave a plain wg-quick file. */
	if (w->out->len == start + strlen ("\n[cunicu]\n"))
		g_string_truncate (w->out, start);
}

/* Guards against a key the table gained but the writer does not know:
 * exporting must never drop part of a profile silently. */
static gboolean
check_all_written (Writer *w, GHashTable *map, GError **error)
{
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init (&iter, map);
	while (g_hash_table_iter_next (&iter, &key, NULL)) {
		if (!g_hash_table_contains (w->written, key)) {
			g_set_error (error, NCU_ERROR, NCU_ERROR_FAILED,
			             _("%s cannot be written to a wg-quick file"), (const char *) key);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
check_one_line (GHashTable *map, GError **error)
{
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init (&iter, map);
	while (g_hash_table_iter_next (&iter, &key, &value)) {
		if (strpbrk (value, "\r\n")) {
			g_set_error (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE,
			             _("%s: a line break cannot be written to a wg-quick file"),
			             (const char *) key);
			return FALSE;
		}
	}
	return TRUE;
}

/* Room for the whole file up front: a GString that grows leaves copies of
 * the secrets behind in freed memory. Quoting at most doubles a value. */
static gsize
size_estimate (const NcuWgConf *conf)
{
	GHashTable *maps[] = { conf->data, conf->secrets };
	GPtrArray *lists[] = { conf->dns, conf->dns_search };
	gsize size = 1024;

	for (gsize m = 0; m < G_N_ELEMENTS (maps); m++) {
		GHashTableIter iter;
		gpointer key, value;

		g_hash_table_iter_init (&iter, maps[m]);
		while (g_hash_table_iter_next (&iter, &key, &value))
			size += 2 * (strlen (key) + strlen (value)) + 32;
	}
	for (gsize l = 0; l < G_N_ELEMENTS (lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++)
			size += strlen (lists[l]->pdata[i]) + 2;
	}
	return size;
}

char *
ncu_export_write (const NcuWgConf *conf, GError **error)
{
	g_autoptr (GPtrArray) peer_keys = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GHashTable) written = g_hash_table_new (g_str_hash, g_str_equal);
	Writer w = { conf, NULL, written };

	if (!ncu_profile_validate (conf->data, conf->secrets, NCU_VALIDATE_DEFAULT, error))
		return NULL;
	if (!check_one_line (conf->data, error) || !check_one_line (conf->secrets, error))
		return NULL;

	w.out = g_string_sized_new (size_estimate (conf));
	g_string_append (w.out, "# WireGuard configuration (wg-quick format) exported by NetworkManager-cunicu.\n"
	                        "# Settings of our own, if any, are in [cunicu]; see nm-settings-cunicu(5).\n");
	write_interface (&w);
	write_peers (&w, peer_keys);
	write_cunicu (&w);

	if (!check_all_written (&w, conf->data, error)
	    || !check_all_written (&w, conf->secrets, error)) {
		sodium_memzero (w.out->str, w.out->len);
		g_string_free (w.out, TRUE);
		return NULL;
	}
	return g_string_free (w.out, FALSE);
}
