/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict parsers for the value forms of the schema (see ncu-parse.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "ncu-parse.h"

/* Longest part of a value quoted back in an error message. */
#define QUOTE_MAX 64

void
ncu_set_error (GError **error, NcuError code, const char *key,
               const char *format, ...)
{
	g_autofree char *what = NULL;
	va_list args;

	if (!error)
		return;
	va_start (args, format);
	what = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error (error, NCU_ERROR, code, "%s: %s", key ? key : "", what);
}

char *
ncu_quote (const char *value)
{
	g_autofree char *cut = NULL;
	g_autofree char *escaped = NULL;
	gboolean long_value = strlen (value) > QUOTE_MAX;

	cut = g_strndup (value, QUOTE_MAX);
	/* Cutting may split a UTF-8 sequence; g_strescape escapes the rest. */
	escaped = g_strescape (cut, NULL);
	return g_strdup_printf ("\"%s%s\"", escaped, long_value ? "..." : "");
}

/*
 * A decimal number without sign or leading zero, at most @max. Returns FALSE
 * for anything else, overflow included.
 */
static gboolean
parse_decimal (const char *text, guint64 max, guint64 *out)
{
	guint64 value = 0;
	const char *p;

	if (!text[0] || (text[0] == '0' && text[1]))
		return FALSE;
	for (p = text; *p; p++) {
		guint64 digit = (guint64) (*p - '0');

		if (!g_ascii_isdigit (*p) || digit > max)
			return FALSE;
		if (value > (max - digit) / 10)
			return FALSE;
		value = value * 10 + digit;
	}
	*out = value;
	return TRUE;
}

gboolean
ncu_parse_uint (const char *key, const char *text, guint64 min, guint64 max,
                guint64 *out, GError **error)
{
	g_autofree char *q = ncu_quote (text);
	guint64 value;
	const char *p;

	for (p = text; *p; p++) {
		if (!g_ascii_isdigit (*p))
			break;
	}
	if (!text[0] || *p) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not a decimal number; allowed %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT),
		               q, min, max);
		return FALSE;
	}
	if (text[0] == '0' && text[1]) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s has a leading zero; allowed %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT " without leading zeros"),
		               q, min, max);
		return FALSE;
	}
	if (!parse_decimal (text, G_MAXUINT64, &value) || value < min || value > max) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is out of range; allowed %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT),
		               q, min, max);
		return FALSE;
	}
	if (out)
		*out = value;
	return TRUE;
}

char **
ncu_parse_list (const char *key, const char *text, GError **error)
{
	g_auto (GStrv) items = g_strsplit (text, ",", -1);
	guint i;

	for (i = 0; items[i]; i++) {
		char *start = items[i];
		gsize len;

		/* Only plain spaces are trimmed: other white space is an error. */
		while (*start == ' ')
			start++;
		len = strlen (start);
		while (len > 0 && start[len - 1] == ' ')
			len--;
		memmove (items[i], start, len);
		items[i][len] = '\0';
		if (!items[i][0]) {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("item %u of the list is empty; allowed items separated by single commas"),
			               i + 1);
			return NULL;
		}
	}
	if (i == 0) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("the list is empty; allowed one item or more, separated by commas"));
		return NULL;
	}
	return g_steal_pointer (&items);
}

static char *
join_choices (const char *const *choices)
{
	return g_strjoinv (", ", (char **) choices);
}

gboolean
ncu_parse_enum (const char *key, const char *text, const char *const *choices,
                guint *out, GError **error)
{
	g_autofree char *q = NULL;
	g_autofree char *allowed = NULL;
	guint i;

	for (i = 0; choices[i]; i++) {
		if (strcmp (text, choices[i]) == 0) {
			if (out)
				*out = i;
			return TRUE;
		}
	}
	q = ncu_quote (text);
	allowed = join_choices (choices);
	ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
	               _("%s is not a known choice; allowed one of %s"), q, allowed);
	return FALSE;
}

gboolean
ncu_parse_enum_set (const char *key, const char *text, const char *const *choices,
                    guint *mask, GError **error)
{
	g_auto (GStrv) items = ncu_parse_list (key, text, error);
	guint seen = 0;
	guint i;

	if (!items)
		return FALSE;
	for (i = 0; items[i]; i++) {
		g_autofree char *allowed = NULL;
		g_autofree char *q = NULL;
		guint index;

		if (!ncu_parse_enum (key, items[i], choices, &index, NULL)) {
			q = ncu_quote (items[i]);
			allowed = join_choices (choices);
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("%s is not a known choice; allowed a comma list of %s"),
			               q, allowed);
			return FALSE;
		}
		if (seen & (1u << index)) {
			q = ncu_quote (items[i]);
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("%s is listed twice; allowed each choice once"), q);
			return FALSE;
		}
		seen |= 1u << index;
	}
	if (mask)
		*mask = seen;
	return TRUE;
}

static gboolean
parse_cidr (const char *key, const char *text, NcuCidr *out, GError **error)
{
	const char *slash = strchr (text, '/');
	g_autofree char *addr = slash ? g_strndup (text, slash - text) : g_strdup (text);
	g_autofree char *q = NULL;
	NcuCidr cidr = { 0 };
	guint64 prefix;
	guint max;

	cidr.family = strchr (addr, ':') ? AF_INET6 : AF_INET;
	max = cidr.family == AF_INET6 ? 128 : 32;
	if (inet_pton (cidr.family, addr, cidr.addr) != 1) {
		q = ncu_quote (text);
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not a valid IPv4 or IPv6 address; allowed address/prefix, e.g. 10.0.0.1/24 or fd00::1/64"),
		               q);
		return FALSE;
	}
	if (!slash)
		prefix = max;
	else if (!parse_decimal (slash + 1, max, &prefix)) {
		q = ncu_quote (text);
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("the prefix length of %s is not valid; allowed 0-%u for IPv%c"),
		               q, max, cidr.family == AF_INET6 ? '6' : '4');
		return FALSE;
	}
	cidr.prefix = (guint8) prefix;
	if (out)
		*out = cidr;
	return TRUE;
}

gboolean
ncu_cidr_parse (const char *text, NcuCidr *out)
{
	g_return_val_if_fail (text != NULL, FALSE);
	return parse_cidr (NULL, text, out, NULL);
}

char *
ncu_cidr_to_string (const NcuCidr *cidr)
{
	char buf[INET6_ADDRSTRLEN];

	g_return_val_if_fail (cidr != NULL, NULL);
	if (!inet_ntop (cidr->family, cidr->addr, buf, sizeof buf))
		return NULL;
	return g_strdup_printf ("%s/%u", buf, cidr->prefix);
}

gboolean
ncu_parse_cidr_list (const char *key, const char *text, GArray *out, GError **error)
{
	g_auto (GStrv) items = ncu_parse_list (key, text, error);
	guint i;

	if (!items)
		return FALSE;
	for (i = 0; items[i]; i++) {
		NcuCidr cidr;

		if (!parse_cidr (key, items[i], &cidr, error))
			return FALSE;
		if (out)
			g_array_append_val (out, cidr);
	}
	return TRUE;
}

/* Why @name is not an RFC 1123 host name, or NULL when it is one. */
static const char *
host_name_problem (const char *name)
{
	const char *label = name;

	if (strlen (name) > 253)
		return _("the host name is longer than 253 characters");
	for (;;) {
		const char *dot = strchr (label, '.');
		gsize n = dot ? (gsize) (dot - label) : strlen (label);
		gboolean digits_only = TRUE;
		gsize i;

		if (n == 0 || n > 63)
			return _("a label of the host name is empty or longer than 63 characters");
		if (label[0] == '-' || label[n - 1] == '-')
			return _("a label of the host name starts or ends with '-'");
		for (i = 0; i < n; i++) {
			if (!g_ascii_isalnum (label[i]) && label[i] != '-')
				return _("the host holds a character other than letters, digits, '-' and '.'");
			digits_only = digits_only && g_ascii_isdigit (label[i]);
		}
		if (!dot)
			return digits_only ? _("the last label of a host name cannot be all digits") : NULL;
		label = dot + 1;
	}
}

/* Why @host (no brackets) is neither an IPv4 address nor a host name. */
static const char *
host_problem (const char *host)
{
	struct in_addr addr;

	if (!host[0])
		return _("the host is empty");
	if (strspn (host, "0123456789.") == strlen (host))
		return inet_pton (AF_INET, host, &addr) == 1 ? NULL : _("the host is not a valid IPv4 address");
	return host_name_problem (host);
}

/*
 * host[:port] or [IPv6][:port] in @text, an item of @key; @whole is quoted
 * in messages. Without a port: an error if @port_required, else
 * @default_port.
 */
static gboolean
parse_host_port (const char *key, const char *whole, const char *text,
                 gboolean port_required, guint16 default_port,
                 char **host_out, guint16 *port_out, GError **error)
{
	g_autofree char *q = ncu_quote (whole);
	g_autofree char *host = NULL;
	const char *port_text = NULL;
	const char *problem;
	guint64 port = default_port;

	if (text[0] == '[') {
		const char *end = strchr (text, ']');
		struct in6_addr addr;

		if (!end) {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("%s has '[' without ']'; allowed [IPv6 address]:port"), q);
			return FALSE;
		}
		host = g_strndup (text + 1, end - text - 1);
		if (inet_pton (AF_INET6, host, &addr) != 1) {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("%s has no valid IPv6 address in brackets; allowed [IPv6 address]:port"), q);
			return FALSE;
		}
		if (end[1] == ':')
			port_text = end + 2;
		else if (end[1] != '\0') {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("%s has text after ']'; allowed [IPv6 address]:port"), q);
			return FALSE;
		}
	} else {
		const char *colon = strchr (text, ':');

		if (colon && strchr (colon + 1, ':')) {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("%s has an IPv6 address without brackets; allowed [IPv6 address]:port"), q);
			return FALSE;
		}
		host = colon ? g_strndup (text, colon - text) : g_strdup (text);
		port_text = colon ? colon + 1 : NULL;
		problem = host_problem (host);
		if (problem) {
			ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
			               _("%s: %s; allowed an IPv4 address, an [IPv6] address or a host name"),
			               q, problem);
			return FALSE;
		}
	}
	if (!port_text && port_required) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s has no port; allowed host:port or [IPv6 address]:port"), q);
		return FALSE;
	}
	if (port_text && (!parse_decimal (port_text, 65535, &port) || port == 0)) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s has an invalid port; allowed ports 1-65535"), q);
		return FALSE;
	}
	if (host_out)
		*host_out = g_steal_pointer (&host);
	if (port_out)
		*port_out = (guint16) port;
	return TRUE;
}

/* user:password@ never reaches a message: refuse it before quoting anything. */
static gboolean
refuse_userinfo (const char *key, const char *text, const char *allowed,
                 GError **error)
{
	if (!strchr (text, '@'))
		return TRUE;
	ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
	               _("the value holds '@' (user information); %s"), allowed);
	return FALSE;
}

gboolean
ncu_parse_endpoint (const char *key, const char *text, char **host,
                    guint16 *port, GError **error)
{
	if (!refuse_userinfo (key, text, _("allowed host:port or [IPv6 address]:port"), error))
		return FALSE;
	return parse_host_port (key, text, text, TRUE, 0, host, port, error);
}

gboolean
ncu_parse_mqtt_url (const char *key, const char *text, gboolean *tls,
                    char **host, guint16 *port, GError **error)
{
	g_autofree char *q = NULL;
	const char *rest;
	const char *extra;
	gboolean is_tls;

	if (!refuse_userinfo (key, text,
	                      _("allowed mqtt://host[:port] or mqtts://host[:port], with the user name in signaling-username and the password in signaling-password"),
	                      error))
		return FALSE;
	q = ncu_quote (text);
	if (g_str_has_prefix (text, "mqtt://")) {
		is_tls = FALSE;
		rest = text + strlen ("mqtt://");
	} else if (g_str_has_prefix (text, "mqtts://")) {
		is_tls = TRUE;
		rest = text + strlen ("mqtts://");
	} else {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not an mqtt:// or mqtts:// URL; allowed mqtt://host[:port] or mqtts://host[:port]"),
		               q);
		return FALSE;
	}
	extra = strpbrk (rest, "/?#");
	if (extra) {
		const char *what = *extra == '/' ? _("a path") : *extra == '?' ? _("a query") : _("a fragment");

		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s has %s; allowed mqtt://host[:port] or mqtts://host[:port] only"),
		               q, what);
		return FALSE;
	}
	if (!parse_host_port (key, text, rest, FALSE, is_tls ? 8883 : 1883, host, port, error))
		return FALSE;
	if (tls)
		*tls = is_tls;
	return TRUE;
}

static const struct {
	const char *scheme;
	NcuIceServerKind kind;
	guint16 default_port;
} ice_schemes[] = {
	{ "stun:", NCU_ICE_SERVER_STUN, 3478 },
	{ "turn:", NCU_ICE_SERVER_TURN, 3478 },
	{ "turns:", NCU_ICE_SERVER_TURNS, 5349 },
};

/* Sets *tcp from the query of a turn:/turns: URL (@query after the '?'). */
static gboolean
parse_ice_query (const char *key, const char *item, NcuIceServerKind kind,
                 const char *query, gboolean *tcp, GError **error)
{
	g_autofree char *q = ncu_quote (item);

	if (kind == NCU_ICE_SERVER_STUN) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s has a query; allowed stun:host[:port] without one"), q);
		return FALSE;
	}
	if (strcmp (query, "transport=tcp") == 0) {
		*tcp = TRUE;
		return TRUE;
	}
	/* libnice speaks TLS to a TURN server over TCP only (no DTLS). */
	if (strcmp (query, "transport=udp") == 0 && kind == NCU_ICE_SERVER_TURN) {
		*tcp = FALSE;
		return TRUE;
	}
	ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
	               _("%s has an unsupported query; allowed ?transport=udp or ?transport=tcp for turn:, ?transport=tcp for turns:"),
	               q);
	return FALSE;
}

static gboolean
parse_ice_server (const char *key, const char *item, NcuIceServer *out,
                  GError **error)
{
	g_autofree char *q = NULL;
	g_autofree char *host_port = NULL;
	const char *rest = NULL;
	const char *query;
	guint i;

	for (i = 0; i < G_N_ELEMENTS (ice_schemes) && !rest; i++) {
		if (g_str_has_prefix (item, ice_schemes[i].scheme))
			rest = item + strlen (ice_schemes[i].scheme);
	}
	if (!rest) {
		q = ncu_quote (item);
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not a stun:, turn: or turns: URL; allowed stun:host[:port], turn:host[:port][?transport=udp|tcp], turns:host[:port]"),
		               q);
		return FALSE;
	}
	i--;
	if (g_str_has_prefix (rest, "//")) {
		q = ncu_quote (item);
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s has '//' after the scheme; allowed %shost[:port]"),
		               q, ice_schemes[i].scheme);
		return FALSE;
	}
	out->kind = ice_schemes[i].kind;
	out->tcp = out->kind == NCU_ICE_SERVER_TURNS;
	query = strchr (rest, '?');
	if (query && !parse_ice_query (key, item, out->kind, query + 1, &out->tcp, error))
		return FALSE;
	host_port = query ? g_strndup (rest, query - rest) : g_strdup (rest);
	return parse_host_port (key, item, host_port, FALSE, ice_schemes[i].default_port,
	                        &out->host, &out->port, error);
}

gboolean
ncu_parse_ice_servers (const char *key, const char *text, GPtrArray *out,
                       GError **error)
{
	g_auto (GStrv) items = NULL;
	guint i;

	if (!refuse_userinfo (key, text,
	                      _("allowed URLs without user information, with the user name in ice-username and the password in ice-password"),
	                      error))
		return FALSE;
	items = ncu_parse_list (key, text, error);
	if (!items)
		return FALSE;
	for (i = 0; items[i]; i++) {
		NcuIceServer *server = g_new0 (NcuIceServer, 1);

		if (!parse_ice_server (key, items[i], server, error)) {
			ncu_ice_server_free (server);
			return FALSE;
		}
		if (out)
			g_ptr_array_add (out, server);
		else
			ncu_ice_server_free (server);
	}
	return TRUE;
}

void
ncu_ice_server_free (NcuIceServer *server)
{
	if (!server)
		return;
	g_free (server->host);
	g_free (server);
}

gboolean
ncu_parse_port_range (const char *key, const char *text, guint16 *min,
                      guint16 *max, GError **error)
{
	g_autofree char *q = ncu_quote (text);
	const char *dash = strchr (text, '-');
	g_autofree char *first = dash ? g_strndup (text, dash - text) : NULL;
	guint64 lo, hi;

	if (!dash || !parse_decimal (first, 65535, &lo) || !parse_decimal (dash + 1, 65535, &hi)
	    || lo == 0 || hi == 0) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s is not a port range; allowed min-max with ports 1-65535, e.g. 50000-50100"),
		               q);
		return FALSE;
	}
	if (lo > hi) {
		ncu_set_error (error, NCU_ERROR_INVALID_VALUE, key,
		               _("%s starts above its end; allowed min-max with min <= max"), q);
		return FALSE;
	}
	if (min)
		*min = (guint16) lo;
	if (max)
		*max = (guint16) hi;
	return TRUE;
}
