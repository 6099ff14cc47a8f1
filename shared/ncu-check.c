/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checking one value against its schema entry. Forms that convert into
 * typed values are parsed by ncu-parse.c; the text-only forms (names, paths,
 * topics) are checked here.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ncu-schema.h"
#include "ncu-parse.h"
#include "ncu-profile.h"

/* Longest free-text value (an MQTT password may be a long token). */
#define STRING_MAX 4096
/* Longest path (PATH_MAX, without its NUL). */
#define PATH_LEN_MAX 4095
/* Longest topic prefix: the whole topic must stay far below MQTT's 64 KiB. */
#define TOPIC_MAX 1024
/* Longest interface name (IFNAMSIZ without its NUL). */
#define IFNAME_MAX 15
/* Longest interface glob: room for a few bracket expressions. */
#define GLOB_MAX 64

char *
ncu_schema_describe_allowed (const NcuKeyInfo *info)
{
	g_autofree char *choices = NULL;

	g_return_val_if_fail (info != NULL, NULL);
	if (info->choices)
		choices = g_strjoinv (", ", (char **) info->choices);

	switch (info->type) {
	case NCU_KEY_TYPE_STRING:
		return g_strdup_printf (_("text without control characters, up to %d bytes"), STRING_MAX);
	case NCU_KEY_TYPE_INT:
		return g_strdup_printf (_("an integer %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT),
		                        info->min, info->max);
	case NCU_KEY_TYPE_BOOL:
		return g_strdup (_("yes or no"));
	case NCU_KEY_TYPE_ENUM:
		return g_strdup_printf (_("one of %s"), choices);
	case NCU_KEY_TYPE_ENUM_SET:
		return g_strdup_printf (_("a comma list of %s, each at most once"), choices);
	case NCU_KEY_TYPE_IFNAME:
		return g_strdup_printf (_("an interface name of 1-%d printable ASCII characters without '/', ':' or spaces, other than \".\" and \"..\""),
		                        IFNAME_MAX);
	case NCU_KEY_TYPE_ADDRESSES:
		return g_strdup (_("auto, or a comma list of IPv4 and IPv6 addresses with prefix length (10.0.0.1/24, fd00::1/64)"));
	case NCU_KEY_TYPE_CIDR_LIST:
		return g_strdup (_("a comma list of IPv4 and IPv6 addresses with prefix length (10.0.0.0/24, fd00::/64); without one, a single host"));
	case NCU_KEY_TYPE_WG_KEY:
		return g_strdup (_("a WireGuard key: base64 of 32 bytes, 44 characters ending in '=' (wg genkey, wg pubkey, wg genpsk)"));
	case NCU_KEY_TYPE_ENDPOINT:
		return g_strdup (_("host:port or [IPv6 address]:port, the host an IPv4 address or a DNS name, the port 1-65535"));
	case NCU_KEY_TYPE_MQTT_URL:
		return g_strdup (_("mqtt://host[:port] or mqtts://host[:port], without user, path or query"));
	case NCU_KEY_TYPE_ICE_URLS:
		return g_strdup (_("a comma list of URLs stun:host[:port], turn:host[:port] and turns:host[:port]; turn: may end in ?transport=udp or ?transport=tcp, turns: in ?transport=tcp"));
	case NCU_KEY_TYPE_GLOB_LIST:
		return g_strdup (_("a comma list of interface name patterns using *, ? and [...]"));
	case NCU_KEY_TYPE_PORT_RANGE:
		return g_strdup (_("min-max, ports 1-65535 with min <= max"));
	case NCU_KEY_TYPE_PATH:
		return g_strdup (_("an absolute file path"));
	case NCU_KEY_TYPE_TOPIC:
		return g_strdup (_("MQTT topic levels separated by '/', without +, # or a leading $, and no empty level"));
	case NCU_KEY_TYPE_SECRET_FLAGS:
		return g_strdup_printf (_("an integer %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " (the sum of 1 agent-owned, 2 not saved, 4 not required)"),
		                        info->min, info->max);
	}
	g_return_val_if_reached (NULL);
}

/* The characters of an interface name (Linux refuses '/', ':' and spaces). */
static gboolean
is_ifname_char (char c)
{
	return g_ascii_isgraph (c) && c != '/' && c != ':';
}

static gboolean
check_ifname (const char *key, const char *value, GError **error)
{
	g_autofree char *q = ncu_quote (value);
	gsize len = strlen (value);
	gsize i;

	if (len > IFNAME_MAX || strcmp (value, ".") == 0 || strcmp (value, "..") == 0) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not a valid interface name; allowed 1-%d characters, not . or .."),
		               q, IFNAME_MAX);
		return FALSE;
	}
	for (i = 0; i < len; i++) {
		if (!is_ifname_char (value[i])) {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("%s is not a valid interface name; allowed printable ASCII characters except '/', ':' and spaces"),
			               q);
			return FALSE;
		}
	}
	return TRUE;
}

/* One fnmatch(3) pattern over interface names; brackets must close. */
static gboolean
check_glob (const char *key, const char *glob, GError **error)
{
	g_autofree char *q = ncu_quote (glob);
	gboolean in_brackets = FALSE;
	const char *p;

	if (strlen (glob) > GLOB_MAX) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("pattern %s is too long; allowed up to %d characters"), q, GLOB_MAX);
		return FALSE;
	}
	for (p = glob; *p; p++) {
		if (*p == '[' && !in_brackets)
			in_brackets = TRUE;
		else if (*p == ']' && in_brackets)
			in_brackets = FALSE;
		else if (!is_ifname_char (*p) || *p == '\\') {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("pattern %s holds a character no interface name has; allowed printable ASCII except '/', ':', '\\' and spaces, with * ? [ ]"),
			               q);
			return FALSE;
		}
	}
	if (in_brackets) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("pattern %s has '[' without ']'; allowed [...] that closes"), q);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_glob_list (const char *key, const char *value, GError **error)
{
	g_auto (GStrv) globs = ncu_parse_list (key, value, error);
	guint i;

	if (!globs)
		return FALSE;
	for (i = 0; globs[i]; i++) {
		if (!check_glob (key, globs[i], error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
check_path (const char *key, const char *value, GError **error)
{
	if (value[0] != '/' || strlen (value) > PATH_LEN_MAX) {
		g_autofree char *q = ncu_quote (value);

		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not an absolute path; allowed a path starting with '/', up to %d bytes"),
		               q, PATH_LEN_MAX);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_topic (const char *key, const char *value, GError **error)
{
	g_autofree char *q = ncu_quote (value);
	gsize len = strlen (value);
	const char *why = NULL;

	if (len > TOPIC_MAX)
		why = _("is too long");
	else if (strpbrk (value, "+#"))
		why = _("holds an MQTT wildcard (+ or #)");
	else if (value[0] == '$')
		why = _("starts with $, which brokers reserve");
	else if (value[0] == '/' || value[len - 1] == '/' || strstr (value, "//"))
		why = _("has an empty level");
	if (why) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s %s; allowed topic levels separated by single '/', without + # or a leading $, up to %d bytes"),
		               q, why, TOPIC_MAX);
		return FALSE;
	}
	return TRUE;
}

/* A WireGuard key; a secret's value is never quoted back. */
static gboolean
check_wg_key (const NcuKeyInfo *info, const char *key, const char *value,
              GError **error)
{
	guint8 bytes[NCU_KEY_LEN];
	static const guint8 zero[NCU_KEY_LEN];
	gboolean secret = (info->flags & NCU_KEY_SECRET) != 0;
	gboolean ok = ncu_key_from_base64 (value, bytes);
	gboolean is_zero = ok && memcmp (bytes, zero, sizeof zero) == 0;
	g_autofree char *q = secret ? g_strdup (_("the value")) : ncu_quote (value);

	memset (bytes, 0, sizeof bytes);
	if (!ok) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not a WireGuard key; allowed base64 of 32 bytes, 44 characters ending in '=' (wg genkey, wg pubkey, wg genpsk)"),
		               q);
		return FALSE;
	}
	if (is_zero) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is the all-zero key; allowed a real key (wg genkey, wg pubkey, wg genpsk)"),
		               q);
		return FALSE;
	}
	return TRUE;
}

/* Every value is non-empty UTF-8 without control characters. */
static gboolean
check_text (const char *key, const char *value, GError **error)
{
	const char *p;

	if (!value[0]) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("the value is empty; allowed a value, or leave the key out"));
		return FALSE;
	}
	if (!g_utf8_validate (value, -1, NULL)) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("the value is not valid UTF-8; allowed UTF-8 text"));
		return FALSE;
	}
	for (p = value; *p; p++) {
		if ((guchar) *p < 0x20 || *p == 0x7f) {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("the value holds a control character; allowed printable text"));
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
check_bool (const char *key, const char *value, GError **error)
{
	if (strcmp (value, "yes") == 0 || strcmp (value, "no") == 0)
		return TRUE;
	{
		g_autofree char *q = ncu_quote (value);

		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not a boolean; allowed yes or no"), q);
	}
	return FALSE;
}

/* "auto" alone, or a CIDR list. */
static gboolean
check_addresses (const char *key, const char *value, GError **error)
{
	g_auto (GStrv) items = NULL;

	if (strcmp (value, "auto") == 0)
		return TRUE;
	items = ncu_parse_list (key, value, error);
	if (!items)
		return FALSE;
	if (g_strv_contains ((const char *const *) items, "auto")) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("auto is mixed with addresses; allowed auto alone, or a comma list of addresses with prefix length"));
		return FALSE;
	}
	return ncu_parse_cidr_list (key, value, NULL, error);
}

static gboolean
check_string (const char *key, const char *value, GError **error)
{
	gsize len = strlen (value);

	if (len > STRING_MAX) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("the value is too long (%" G_GSIZE_FORMAT " bytes); allowed up to %d bytes"),
		               len, STRING_MAX);
		return FALSE;
	}
	return TRUE;
}

gboolean
ncu_schema_check_value (const NcuKeyInfo *info, const char *key,
                        const char *value, GError **error)
{
	g_return_val_if_fail (info != NULL, FALSE);
	g_return_val_if_fail (key != NULL, FALSE);
	g_return_val_if_fail (value != NULL, FALSE);

	if (!check_text (key, value, error))
		return FALSE;

	switch (info->type) {
	case NCU_KEY_TYPE_STRING:
		return check_string (key, value, error);
	case NCU_KEY_TYPE_INT:
	case NCU_KEY_TYPE_SECRET_FLAGS:
		return ncu_parse_uint (key, value, (guint64) info->min, (guint64) info->max, NULL, error);
	case NCU_KEY_TYPE_BOOL:
		return check_bool (key, value, error);
	case NCU_KEY_TYPE_ENUM:
		return ncu_parse_enum (key, value, info->choices, NULL, error);
	case NCU_KEY_TYPE_ENUM_SET:
		return ncu_parse_enum_set (key, value, info->choices, NULL, error);
	case NCU_KEY_TYPE_IFNAME:
		return check_ifname (key, value, error);
	case NCU_KEY_TYPE_ADDRESSES:
		return check_addresses (key, value, error);
	case NCU_KEY_TYPE_CIDR_LIST:
		return ncu_parse_cidr_list (key, value, NULL, error);
	case NCU_KEY_TYPE_WG_KEY:
		return check_wg_key (info, key, value, error);
	case NCU_KEY_TYPE_ENDPOINT:
		return ncu_parse_endpoint (key, value, NULL, NULL, error);
	case NCU_KEY_TYPE_MQTT_URL:
		return ncu_parse_mqtt_url (key, value, NULL, NULL, NULL, error);
	case NCU_KEY_TYPE_ICE_URLS:
		return ncu_parse_ice_servers (key, value, NULL, error);
	case NCU_KEY_TYPE_GLOB_LIST:
		return check_glob_list (key, value, error);
	case NCU_KEY_TYPE_PORT_RANGE:
		return ncu_parse_port_range (key, value, NULL, NULL, error);
	case NCU_KEY_TYPE_PATH:
		return check_path (key, value, error);
	case NCU_KEY_TYPE_TOPIC:
		return check_topic (key, value, error);
	}
	ncu_set_error (error, NCU_ERROR_FAILED, key, "unknown key type %d", (int) info->type);
	return FALSE;
}
