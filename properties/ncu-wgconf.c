/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "ncu-schema.h"
#include "ncu-wgconf.h"

void
ncu_wgconf_secret_free (char *text)
{
	if (!text)
		return;
	sodium_memzero (text, strlen (text));
	g_free (text);
}

void
ncu_wgconf_add_unique (GPtrArray *list, const char *item)
{
	for (guint i = 0; i < list->len; i++) {
		if (g_ascii_strcasecmp (list->pdata[i], item) == 0)
			return;
	}
	g_ptr_array_add (list, g_strdup (item));
}

NcuWgConf *
ncu_wgconf_new (void)
{
	NcuWgConf *conf = g_new0 (NcuWgConf, 1);

	conf->data = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	conf->secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
	                                       (GDestroyNotify) ncu_wgconf_secret_free);
	conf->dns = g_ptr_array_new_with_free_func (g_free);
	conf->dns_search = g_ptr_array_new_with_free_func (g_free);
	conf->warnings = g_ptr_array_new_with_free_func (g_free);
	return conf;
}

void
ncu_wgconf_free (NcuWgConf *conf)
{
	if (!conf)
		return;
	g_hash_table_unref (conf->data);
	g_hash_table_unref (conf->secrets);
	g_ptr_array_unref (conf->dns);
	g_ptr_array_unref (conf->dns_search);
	g_ptr_array_unref (conf->warnings);
	g_free (conf->table);
	g_free (conf);
}

/* The keys wg-quick itself has a place for; every other profile key that
 * is not per-peer goes to [cunicu]. */
static const NcuWgKeyMap interface_keys[] = {
	{ "PrivateKey", NCU_KEY_PRIVATE_KEY, FALSE },
	{ "ListenPort", NCU_KEY_LISTEN_PORT, FALSE },
	{ "Address",    NCU_KEY_ADDRESSES,   TRUE },
	{ "MTU",        NCU_KEY_MTU,         FALSE },
};

static const NcuWgKeyMap peer_keys[] = {
	{ "PublicKey",           NCU_KEY_PEER_PUBLIC_KEY,           FALSE },
	{ "PresharedKey",        NCU_KEY_PEER_PRESHARED_KEY,        FALSE },
	{ "AllowedIPs",          NCU_KEY_PEER_ALLOWED_IPS,          TRUE },
	{ "Endpoint",            NCU_KEY_PEER_ENDPOINT,             FALSE },
	{ "PersistentKeepalive", NCU_KEY_PEER_PERSISTENT_KEEPALIVE, FALSE },
};

const NcuWgKeyMap *
ncu_wgconf_interface_keys (gsize *n_keys)
{
	*n_keys = G_N_ELEMENTS (interface_keys);
	return interface_keys;
}

const NcuWgKeyMap *
ncu_wgconf_peer_keys (gsize *n_keys)
{
	*n_keys = G_N_ELEMENTS (peer_keys);
	return peer_keys;
}

const NcuWgKeyMap *
ncu_wgconf_interface_key (const char *profile_key)
{
	for (gsize i = 0; i < G_N_ELEMENTS (interface_keys); i++) {
		if (strcmp (profile_key, interface_keys[i].profile_key) == 0)
			return &interface_keys[i];
	}
	return NULL;
}

char *
ncu_wgconf_unquote (const char *raw, GError **error)
{
	GString *out;
	const char *p;

	if (raw[0] != '"')
		return g_strdup (raw);

	out = g_string_new (NULL);
	for (p = raw + 1; *p && *p != '"'; p++) {
		if (*p == '\\') {
			p++;
			if (*p != '"' && *p != '\\') {
				g_set_error_literal (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE,
				                     _("only \\\" and \\\\ may follow a backslash inside quotes"));
				goto fail;
			}
		}
		g_string_append_c (out, *p);
	}
	if (*p != '"') {
		g_set_error_literal (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE,
		                     _("the closing quote is missing"));
		goto fail;
	}
	if (p[1] != '\0') {
		g_set_error_literal (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE,
		                     _("text follows the closing quote"));
		goto fail;
	}
	return g_string_free (out, FALSE);

fail:
	/* The value may be a password: wipe what was copied so far. */
	sodium_memzero (out->str, out->len);
	g_string_free (out, TRUE);
	return NULL;
}

char *
ncu_wgconf_quote (const char *value)
{
	gsize len = strlen (value);
	GString *out;

	if (len > 0
	    && value[0] != '"'
	    && !g_ascii_isspace (value[0])
	    && !g_ascii_isspace (value[len - 1]))
		return g_strdup (value);

	out = g_string_sized_new (len + 8);
	g_string_append_c (out, '"');
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c (out, '\\');
		g_string_append_c (out, *p);
	}
	g_string_append_c (out, '"');
	return g_string_free (out, FALSE);
}
