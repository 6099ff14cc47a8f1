/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <time.h>

#include "ncu-status-format.h"

/* ---- JSON: GVariant has no JSON writer without json-glib; the status
 * dictionary uses only strings, numbers, booleans, arrays and dicts. ---- */

static void json_value (GString *out, GVariant *v);

static void
json_string (GString *out, const char *s)
{
	g_string_append_c (out, '"');
	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf (out, "\\%c", *p);
		else if (*p < 0x20)
			g_string_append_printf (out, "\\u%04x", *p);
		else
			g_string_append_c (out, (char) *p);
	}
	g_string_append_c (out, '"');
}

static void
json_dict (GString *out, GVariant *v)
{
	GVariantIter iter;
	const char *key;
	GVariant *child;
	gboolean first = TRUE;

	g_string_append_c (out, '{');
	g_variant_iter_init (&iter, v);
	while (g_variant_iter_next (&iter, "{&sv}", &key, &child)) {
		if (!first)
			g_string_append_c (out, ',');
		first = FALSE;
		json_string (out, key);
		g_string_append_c (out, ':');
		json_value (out, child);
		g_variant_unref (child);
	}
	g_string_append_c (out, '}');
}

static void
json_array (GString *out, GVariant *v)
{
	gsize n = g_variant_n_children (v);

	g_string_append_c (out, '[');
	for (gsize i = 0; i < n; i++) {
		g_autoptr (GVariant) child = g_variant_get_child_value (v, i);

		if (i)
			g_string_append_c (out, ',');
		json_value (out, child);
	}
	g_string_append_c (out, ']');
}

static void
json_value (GString *out, GVariant *v)
{
	if (g_variant_is_of_type (v, G_VARIANT_TYPE_VARIANT)) {
		g_autoptr (GVariant) inner = g_variant_get_variant (v);
		json_value (out, inner);
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_VARDICT)) {
		json_dict (out, v);
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING)) {
		json_string (out, g_variant_get_string (v, NULL));
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN)) {
		g_string_append (out, g_variant_get_boolean (v) ? "true" : "false");
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_ARRAY)) {
		json_array (out, v);
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT64)) {
		g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_variant_get_uint64 (v));
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT64)) {
		g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (v));
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32)) {
		g_string_append_printf (out, "%u", g_variant_get_uint32 (v));
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT32)) {
		g_string_append_printf (out, "%d", g_variant_get_int32 (v));
	} else if (g_variant_is_of_type (v, G_VARIANT_TYPE_DOUBLE)) {
		g_string_append_printf (out, "%g", g_variant_get_double (v));
	} else {
		g_string_append (out, "null");
	}
}

char *
ncu_status_format_json (GVariant *all)
{
	GString *out = g_string_new (NULL);

	json_value (out, all);
	g_string_append_c (out, '\n');
	return g_string_free (out, FALSE);
}

/* ---- table ---- */

static const char *
lookup_str (GVariant *dict, const char *key)
{
	const char *s = NULL;

	if (!g_variant_lookup (dict, key, "&s", &s))
		return "-";
	return *s ? s : "-";
}

static guint64
lookup_u64 (GVariant *dict, const char *key)
{
	guint64 v = 0;

	g_variant_lookup (dict, key, "t", &v);
	return v;
}

static char *
format_handshake (gint64 when)
{
	gint64 ago;

	if (when <= 0)
		return g_strdup ("never");
	ago = (gint64) time (NULL) - when;
	return g_strdup_printf ("%" G_GINT64_FORMAT "s ago", ago < 0 ? 0 : ago);
}

static char *
short_key (const char *key)
{
	/* Eight characters tell keys apart at a glance, as `wg` users know. */
	return g_strndup (key, 8);
}

#define HEAD_FORMAT "  %-12s %-9s %-10s %-50s %-10s %10s %10s %8s\n"
#define ROW_FORMAT  "  %-12s %-9s %-10s %-50s %-10s %10s %10s %8u\n"

static void
table_peers (GString *out, GVariant *peers)
{
	GVariantIter iter;
	GVariant *peer;

	g_string_append_printf (out, HEAD_FORMAT, "LABEL", "KEY", "ICE", "PATH (local -> remote)",
	                        "HANDSHAKE", "RX", "TX", "RESTARTS");
	g_variant_iter_init (&iter, peers);
	while ((peer = g_variant_iter_next_value (&iter))) {
		g_autofree char *key = short_key (lookup_str (peer, "public-key"));
		g_autofree char *path = NULL;
		g_autofree char *hs = NULL;
		g_autofree char *rx = g_format_size (lookup_u64 (peer, "rx-bytes"));
		g_autofree char *tx = g_format_size (lookup_u64 (peer, "tx-bytes"));
		gint64 last = 0;
		guint32 restarts = 0;

		g_variant_lookup (peer, "last-handshake", "x", &last);
		g_variant_lookup (peer, "restarts", "u", &restarts);
		hs = format_handshake (last);
		path = g_strdup_printf ("%s %s -> %s", lookup_str (peer, "path"),
		                        lookup_str (peer, "local-address"),
		                        lookup_str (peer, "remote-address"));
		g_string_append_printf (out, ROW_FORMAT, lookup_str (peer, "label"), key,
		                        lookup_str (peer, "ice-state"), path, hs, rx, tx, restarts);
		g_variant_unref (peer);
	}
}

char *
ncu_status_format_table (GVariant *all)
{
	GString *out = g_string_new (NULL);
	GVariantIter iter;
	const char *name;
	GVariant *status;

	if (g_variant_n_children (all) == 0)
		g_string_append (out, "no active cunicu connection\n");
	g_variant_iter_init (&iter, all);
	while (g_variant_iter_next (&iter, "{&sv}", &name, &status)) {
		g_autoptr (GVariant) signaling = g_variant_lookup_value (status, "signaling", G_VARIANT_TYPE_VARDICT);
		g_autoptr (GVariant) peers = g_variant_lookup_value (status, "peers", G_VARIANT_TYPE ("aa{sv}"));
		gboolean connected = FALSE;

		if (signaling)
			g_variant_lookup (signaling, "connected", "b", &connected);
		g_string_append_printf (out, "%s  interface %s  signaling %s  dropped %" G_GUINT64_FORMAT "\n",
		                        name, lookup_str (status, "interface"),
		                        signaling ? (connected ? "connected" : "disconnected") : "off",
		                        signaling ? lookup_u64 (signaling, "dropped") : 0);
		if (peers)
			table_peers (out, peers);
		g_variant_unref (status);
	}
	return g_string_free (out, FALSE);
}
