/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wireguard-go's text configuration protocol: formatting set=1 requests and
 * parsing replies.  Pure functions (no I/O), so the parser can be fuzzed:
 * any input yields a result or a GError naming the line and the field, in
 * time linear in its length.  Secret values (private_key, preshared_key)
 * are never quoted in errors and are wiped from every buffer we fill.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sodium.h>

#include "ncu-wg-uapi.h"

/* Longest value of a known key: an IPv6 endpoint with zone fits easily. */
#define MAX_VALUE 128
#define HEX_KEY_LEN (NCU_KEY_LEN * 2)

/* ---- formatting ---- */

static void
append_hex_key (GString *s, const char *name, const guint8 key[NCU_KEY_LEN])
{
	char hex[HEX_KEY_LEN + 1];

	/* g_string_append_printf would leave the key in a temporary buffer. */
	sodium_bin2hex (hex, sizeof hex, key, NCU_KEY_LEN);
	g_string_append (s, name);
	g_string_append_c (s, '=');
	g_string_append (s, hex);
	g_string_append_c (s, '\n');
	sodium_memzero (hex, sizeof hex);
}

static void
append_endpoint (GString *s, const struct sockaddr_storage *ss)
{
	g_autofree char *text = ncu_wg_sockaddr_to_string ((const struct sockaddr *) ss);

	if (text)
		g_string_append_printf (s, "endpoint=%s\n", text);
}

static void
append_allowed_ip (GString *s, const NcuCidr *cidr)
{
	char host[INET6_ADDRSTRLEN];

	if (!inet_ntop (cidr->family, cidr->addr, host, sizeof host))
		return;  /* ncu_wg_peer_validate() rejected other families before */
	g_string_append_printf (s, "allowed_ip=%s/%u\n", host, cidr->prefix);
}

static void
append_peer (GString *s, const NcuWgPeer *peer, gboolean endpoint_only)
{
	static const guint8 zero_key[NCU_KEY_LEN];

	append_hex_key (s, "public_key", peer->public_key);
	if (endpoint_only) {
		/* update_only first: it must not create a peer that is gone. */
		g_string_append (s, "update_only=true\n");
		append_endpoint (s, &peer->endpoint);
		return;
	}
	if (peer->remove) {
		g_string_append (s, "remove=true\n");
		return;
	}
	append_hex_key (s, "preshared_key",
	                peer->has_preshared_key ? peer->preshared_key : zero_key);
	append_endpoint (s, &peer->endpoint);
	g_string_append_printf (s, "persistent_keepalive_interval=%u\n",
	                        peer->persistent_keepalive);
	if (peer->replace_allowed_ips)
		g_string_append (s, "replace_allowed_ips=true\n");
	for (guint i = 0; peer->allowed_ips && i < peer->allowed_ips->len; i++)
		append_allowed_ip (s, &g_array_index (peer->allowed_ips, NcuCidr, i));
}

GString *
ncu_wg_uapi_format_set (const NcuWgDeviceConfig *device, const NcuWgPeer *peer,
                        gboolean endpoint_only)
{
	guint n_ips = peer && peer->allowed_ips ? peer->allowed_ips->len : 0;
	/* Fixed lines take < 512 bytes, an allowed_ip line < 64: sized once so
	 * that no reallocation leaves a copy of a key in freed memory. */
	GString *s = g_string_sized_new (512 + (gsize) n_ips * 64);
	const char *start = s->str;

	g_string_append (s, "set=1\n");
	if (device) {
		append_hex_key (s, "private_key", device->private_key);
		g_string_append_printf (s, "listen_port=%u\nfwmark=%u\n",
		                        device->listen_port, device->fwmark);
	}
	if (peer)
		append_peer (s, peer, endpoint_only);
	g_string_append_c (s, '\n');
	g_warn_if_fail (s->str == start);
	return s;
}

void
ncu_wg_uapi_string_free_secure (GString *str)
{
	if (!str)
		return;
	sodium_memzero (str->str, str->allocated_len);
	g_string_free (str, TRUE);
}

/* ---- parsing ---- */

typedef struct {
	const char *text;
	gsize len;
	gsize pos;
	guint no;                      /* number of the current line, from 1 */
} LineReader;

typedef enum { LINE_ERROR = -1, LINE_END = 0, LINE_OK = 1 } LineResult;

/* Next "key=value" line; LINE_END at the blank line that ends a reply. */
static LineResult
line_next (LineReader *r, const char **key, gsize *key_len,
           const char **value, gsize *value_len, GError **error)
{
	const char *line, *nl, *eq;

	r->no++;
	if (r->pos >= r->len) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "line %u: reply truncated (no blank line at the end)", r->no);
		return LINE_ERROR;
	}
	line = r->text + r->pos;
	nl = memchr (line, '\n', r->len - r->pos);
	if (!nl) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "line %u: reply truncated (no newline)", r->no);
		return LINE_ERROR;
	}
	r->pos = nl + 1 - r->text;
	if (nl == line)
		return LINE_END;
	if (memchr (line, '\0', nl - line)) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "line %u: contains a NUL byte", r->no);
		return LINE_ERROR;
	}
	eq = memchr (line, '=', nl - line);
	if (!eq || eq == line) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "line %u: not a key=value line", r->no);
		return LINE_ERROR;
	}
	*key = line;
	*key_len = eq - line;
	*value = eq + 1;
	*value_len = nl - (eq + 1);
	return LINE_OK;
}

static gboolean
key_is (const char *key, gsize key_len, const char *name)
{
	return strlen (name) == key_len && memcmp (key, name, key_len) == 0;
}

typedef struct {
	NcuWgDeviceInfo *info;
	NcuWgPeerInfo *peer;           /* peer lines apply to; NULL before any */
	guint line;
	const char *key;               /* NUL-terminated name of the field */
	const char *value;             /* NUL-terminated, at most MAX_VALUE - 1 */
	gboolean have_errno;
	gint64 errno_value;
} ParseState;

static gboolean
field_error (ParseState *st, GError **error, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
field_error (ParseState *st, GError **error, const char *fmt, ...)
{
	g_autofree char *what = NULL;
	va_list ap;

	va_start (ap, fmt);
	what = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
	             "line %u: %s: %s", st->line, st->key, what);
	return FALSE;
}

/* The value, escaped so any bytes give a printable, valid UTF-8 message. */
static char *
value_quoted (ParseState *st)
{
	g_autofree char *esc = g_strescape (st->value, NULL);

	return g_strdup_printf ("\"%s\"", esc);
}

static gboolean
parse_uint (ParseState *st, guint64 max, guint64 *out, GError **error)
{
	guint64 v = 0;
	const char *p = st->value;

	if (!*p)
		return field_error (st, error, "empty value");
	for (; *p; p++) {
		g_autofree char *q = NULL;

		if (!g_ascii_isdigit (*p)) {
			q = value_quoted (st);
			return field_error (st, error, "%s is not a decimal number", q);
		}
		if (v > (max - (guint64) (*p - '0')) / 10) {
			q = value_quoted (st);
			return field_error (st, error, "%s is out of range (0-%" G_GUINT64_FORMAT ")",
			                    q, max);
		}
		v = v * 10 + (guint64) (*p - '0');
	}
	*out = v;
	return TRUE;
}

static gboolean
parse_errno (ParseState *st, GError **error)
{
	gboolean neg = st->value[0] == '-';
	guint64 v;
	const char *saved = st->value;
	gboolean ok;

	st->value += neg;
	ok = parse_uint (st, G_MAXINT32, &v, error);
	st->value = saved;
	if (!ok)
		return FALSE;
	st->have_errno = TRUE;
	st->errno_value = neg ? -(gint64) v : (gint64) v;
	return TRUE;
}

/* Exactly 64 hex digits; the value is not quoted (it may be a secret). */
static gboolean
parse_key (ParseState *st, guint8 key[NCU_KEY_LEN], GError **error)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (strlen (st->value) != HEX_KEY_LEN ||
	    sodium_hex2bin (key, NCU_KEY_LEN, st->value, HEX_KEY_LEN, NULL,
	                    &bin_len, &end) != 0 ||
	    bin_len != NCU_KEY_LEN || *end != '\0') {
		sodium_memzero (key, NCU_KEY_LEN);
		return field_error (st, error, "not a key of %d hexadecimal digits", HEX_KEY_LEN);
	}
	return TRUE;
}

static gboolean
parse_private_key (ParseState *st, GError **error)
{
	guint8 secret[NCU_KEY_LEN];
	static const guint8 zero[NCU_KEY_LEN];

	if (!parse_key (st, secret, error))
		return FALSE;
	st->info->has_public_key = sodium_memcmp (secret, zero, NCU_KEY_LEN) != 0;
	if (st->info->has_public_key)
		crypto_scalarmult_base (st->info->public_key, secret);
	sodium_memzero (secret, sizeof secret);
	return TRUE;
}

static gboolean
parse_preshared_key (ParseState *st, GError **error)
{
	guint8 secret[NCU_KEY_LEN];
	static const guint8 zero[NCU_KEY_LEN];

	if (!parse_key (st, secret, error))
		return FALSE;
	st->peer->has_preshared_key = sodium_memcmp (secret, zero, NCU_KEY_LEN) != 0;
	sodium_memzero (secret, sizeof secret);
	return TRUE;
}

/* "%zone" of an IPv6 address: an index, or a name known here. */
static gboolean
parse_zone (ParseState *st, const char *zone, guint32 *scope, GError **error)
{
	guint64 v = 0;
	const char *p;

	for (p = zone; *p && g_ascii_isdigit (*p) && v <= G_MAXUINT32; p++)
		v = v * 10 + (guint64) (*p - '0');
	if (*zone && !*p && v <= G_MAXUINT32) {
		*scope = (guint32) v;
		return TRUE;
	}
	*scope = *zone ? if_nametoindex (zone) : 0;
	if (*scope == 0)
		return field_error (st, error, "unknown IPv6 zone");
	return TRUE;
}

static gboolean
parse_port (ParseState *st, const char *text, guint16 *port, GError **error)
{
	guint64 v = 0;
	const char *p = text;

	for (; *p && g_ascii_isdigit (*p) && v <= G_MAXUINT16; p++)
		v = v * 10 + (guint64) (*p - '0');
	if (!*text || *p || v > G_MAXUINT16)
		return field_error (st, error, "bad port");
	*port = (guint16) v;
	return TRUE;
}

static gboolean
parse_endpoint (ParseState *st, GError **error)
{
	char buf[MAX_VALUE];
	char *host = buf, *port, *zone;
	struct sockaddr_storage *ss = &st->peer->endpoint;

	g_strlcpy (buf, st->value, sizeof buf);
	memset (ss, 0, sizeof *ss);
	if (buf[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
		char *close = strchr (buf, ']');

		if (!close || close[1] != ':')
			return field_error (st, error, "expected [address]:port");
		*close = '\0';
		host = buf + 1;
		port = close + 2;
		zone = strchr (host, '%');
		if (zone)
			*zone++ = '\0';
		if (inet_pton (AF_INET6, host, &sin6->sin6_addr) != 1)
			return field_error (st, error, "bad IPv6 address");
		if (zone && !parse_zone (st, zone, &sin6->sin6_scope_id, error))
			return FALSE;
		if (!parse_port (st, port, &sin6->sin6_port, error))
			return FALSE;
		sin6->sin6_port = htons (sin6->sin6_port);
		sin6->sin6_family = AF_INET6;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *) ss;

		port = strrchr (buf, ':');
		if (!port)
			return field_error (st, error, "expected address:port");
		*port++ = '\0';
		if (inet_pton (AF_INET, host, &sin->sin_addr) != 1)
			return field_error (st, error, "bad IPv4 address");
		if (!parse_port (st, port, &sin->sin_port, error))
			return FALSE;
		sin->sin_port = htons (sin->sin_port);
		sin->sin_family = AF_INET;
	}
	return TRUE;
}

static gboolean
parse_allowed_ip (ParseState *st, GError **error)
{
	char buf[MAX_VALUE];
	char *slash;
	NcuCidr cidr = { 0 };
	guint64 prefix;
	guint max;
	ParseState sub = *st;

	g_strlcpy (buf, st->value, sizeof buf);
	slash = strchr (buf, '/');
	if (!slash)
		return field_error (st, error, "expected address/prefix");
	*slash++ = '\0';
	if (inet_pton (AF_INET6, buf, cidr.addr) == 1)
		cidr.family = AF_INET6;
	else if (inet_pton (AF_INET, buf, cidr.addr) == 1)
		cidr.family = AF_INET;
	else
		return field_error (st, error, "bad address");
	max = cidr.family == AF_INET ? 32 : 128;
	sub.value = slash;
	if (!parse_uint (&sub, max, &prefix, error))
		return FALSE;
	cidr.prefix = (guint8) prefix;
	g_array_append_val (st->peer->allowed_ips, cidr);
	return TRUE;
}

static gboolean
parse_device_field (ParseState *st, GError **error)
{
	guint64 v;

	if (strcmp (st->key, "private_key") == 0)
		return parse_private_key (st, error);
	if (strcmp (st->key, "listen_port") == 0) {
		if (!parse_uint (st, G_MAXUINT16, &v, error))
			return FALSE;
		st->info->listen_port = (guint16) v;
		return TRUE;
	}
	if (!parse_uint (st, G_MAXUINT32, &v, error))    /* fwmark */
		return FALSE;
	st->info->fwmark = (guint32) v;
	return TRUE;
}

static gboolean
parse_peer_number (ParseState *st, GError **error)
{
	NcuWgPeerInfo *peer = st->peer;
	guint64 v;

	if (strcmp (st->key, "last_handshake_time_sec") == 0) {
		if (!parse_uint (st, G_MAXINT64, &v, error))
			return FALSE;
		peer->last_handshake_sec = (gint64) v;
	} else if (strcmp (st->key, "last_handshake_time_nsec") == 0) {
		if (!parse_uint (st, 999999999, &v, error))
			return FALSE;
		peer->last_handshake_nsec = (gint64) v;
	} else if (strcmp (st->key, "persistent_keepalive_interval") == 0) {
		if (!parse_uint (st, G_MAXUINT16, &v, error))
			return FALSE;
		peer->persistent_keepalive = (guint16) v;
	} else {
		if (!parse_uint (st, G_MAXUINT64, &v, error))
			return FALSE;
		if (strcmp (st->key, "rx_bytes") == 0)
			peer->rx_bytes = v;
		else
			peer->tx_bytes = v;
	}
	return TRUE;
}

static gboolean
parse_peer_field (ParseState *st, GError **error)
{
	if (strcmp (st->key, "public_key") == 0) {
		st->peer = ncu_wg_device_info_add_peer (st->info);
		return parse_key (st, st->peer->public_key, error);
	}
	if (!st->peer)
		return field_error (st, error, "before any public_key");
	if (strcmp (st->key, "preshared_key") == 0)
		return parse_preshared_key (st, error);
	if (strcmp (st->key, "endpoint") == 0)
		return parse_endpoint (st, error);
	if (strcmp (st->key, "allowed_ip") == 0)
		return parse_allowed_ip (st, error);
	if (strcmp (st->key, "protocol_version") == 0) {
		if (strcmp (st->value, "1") != 0)
			return field_error (st, error, "unsupported version");
		return TRUE;
	}
	return parse_peer_number (st, error);
}

/* Copies a value into @buf (MAX_VALUE bytes, NUL-terminated) for parsing. */
static gboolean
take_value (ParseState *st, const char *value, gsize value_len, char *buf, GError **error)
{
	if (value_len >= MAX_VALUE)
		return field_error (st, error, "value too long (%" G_GSIZE_FORMAT " bytes)",
		                    value_len);
	memcpy (buf, value, value_len);
	buf[value_len] = '\0';
	st->value = buf;
	return TRUE;
}

static const char *const device_keys[] = {
	"private_key", "listen_port", "fwmark", NULL
};
static const char *const peer_keys[] = {
	"public_key", "preshared_key", "protocol_version", "endpoint",
	"last_handshake_time_sec", "last_handshake_time_nsec", "rx_bytes",
	"tx_bytes", "persistent_keepalive_interval", "allowed_ip", NULL
};

static const char *
known_key (const char *const *keys, const char *key, gsize key_len)
{
	for (; *keys; keys++)
		if (key_is (key, key_len, *keys))
			return *keys;
	return NULL;
}

/* One line of a get reply; unknown keys are skipped. */
static gboolean
parse_get_line (ParseState *st, const char *key, gsize key_len,
                const char *value, gsize value_len, GError **error)
{
	const char *dev_key = known_key (device_keys, key, key_len);
	const char *peer_key = known_key (peer_keys, key, key_len);
	char buf[MAX_VALUE];
	gboolean ok;

	if (!dev_key && !peer_key && !key_is (key, key_len, "errno"))
		return TRUE;     /* unknown: a newer wireguard-go may add keys */
	st->key = dev_key ? dev_key : peer_key ? peer_key : "errno";
	if (st->have_errno)
		return field_error (st, error, "after errno (errno must come last)");
	if (!take_value (st, value, value_len, buf, error))
		return FALSE;
	if (dev_key && st->peer)
		ok = field_error (st, error, "device field inside a peer");
	else if (dev_key)
		ok = parse_device_field (st, error);
	else if (peer_key)
		ok = parse_peer_field (st, error);
	else
		ok = parse_errno (st, error);
	/* buf may have held a key */
	sodium_memzero (buf, sizeof buf);
	st->value = NULL;
	return ok;
}

static gboolean
check_errno (gint64 value, GError **error)
{
	if (value == 0)
		return TRUE;
	/* wireguard-go answers a listen_port it cannot bind with -EADDRINUSE. */
	g_set_error (error, NCU_WG_ERROR,
	             value == -EADDRINUSE ? NCU_WG_ERROR_ADDRESS_IN_USE : NCU_WG_ERROR_REMOTE,
	             "wireguard-go refused the request: errno=%" G_GINT64_FORMAT " (%s)",
	             value, g_strerror ((int) ABS (value)));
	return FALSE;
}

/* After the blank line: errno must have come, and nothing may follow. */
static gboolean
check_end (LineReader *r, ParseState *st, GError **error)
{
	if (!st->have_errno) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "line %u: reply ends without errno", r->no);
		return FALSE;
	}
	if (r->pos != r->len) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "line %u: data after the end of the reply", r->no + 1);
		return FALSE;
	}
	return check_errno (st->errno_value, error);
}

gboolean
ncu_wg_uapi_parse_get (const char *text, gsize len, NcuWgDeviceInfo **out,
                       GError **error)
{
	g_autoptr (NcuWgDeviceInfo) info = ncu_wg_device_info_new ();
	LineReader r = { .text = text, .len = len };
	ParseState st = { .info = info };

	for (;;) {
		const char *key, *value;
		gsize key_len, value_len;
		LineResult res = line_next (&r, &key, &key_len, &value, &value_len, error);

		if (res == LINE_ERROR)
			return FALSE;
		if (res == LINE_END)
			break;
		st.line = r.no;
		if (!parse_get_line (&st, key, key_len, value, value_len, error))
			return FALSE;
	}
	if (!check_end (&r, &st, error))
		return FALSE;
	*out = g_steal_pointer (&info);
	return TRUE;
}

gboolean
ncu_wg_uapi_parse_set_reply (const char *text, gsize len, GError **error)
{
	LineReader r = { .text = text, .len = len };
	ParseState st = { .key = "errno" };
	const char *key, *value;
	gsize key_len, value_len;
	char buf[MAX_VALUE];
	LineResult res = line_next (&r, &key, &key_len, &value, &value_len, error);

	if (res == LINE_ERROR)
		return FALSE;
	if (res == LINE_OK && !key_is (key, key_len, "errno")) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "line 1: expected errno=N");
		return FALSE;
	}
	if (res == LINE_OK) {
		st.line = r.no;
		if (!take_value (&st, value, value_len, buf, error) || !parse_errno (&st, error))
			return FALSE;
		res = line_next (&r, &key, &key_len, &value, &value_len, error);
		if (res == LINE_ERROR)
			return FALSE;
		if (res == LINE_OK) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
			             "line %u: expected a blank line after errno", r.no);
			return FALSE;
		}
	}
	return check_end (&r, &st, error);
}
