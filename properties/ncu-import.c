/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <arpa/inet.h>
#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "ncu-parse.h"
#include "ncu-schema.h"
#include "ncu-import.h"

typedef enum {
	SECTION_NONE,
	SECTION_INTERFACE,
	SECTION_PEER,
	SECTION_CUNICU,
} Section;

typedef struct {
	NcuWgConf *conf;
	Section section;
	guint line;             /* the line being parsed, from 1 */
	int peer;               /* index of the current [Peer], -1 before the first */
	guint peer_line;        /* line of the current [Peer] header */
	guint interface_line;   /* line of [Interface], 0 while not seen */
	guint cunicu_line;      /* line of [cunicu], 0 while not seen */
	guint table_line;       /* line of Table, 0 while not seen */
	GHashTable *key_lines;  /* profile key -> first line that set it */
} Parser;

static void
set_line_error (GError **error, guint line, NcuError code, const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
set_line_error (GError **error, guint line, NcuError code, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list args;

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error (error, NCU_ERROR, code, _("line %u: %s"), line, message);
}

/*
 * "line N: FileKey: <reason>": the schema's messages start with the profile
 * key ("peer.0.allowed-ips: ..."); the user wrote FileKey, so that is the
 * name shown.
 */
static void
propagate_value_error (GError **error, guint line, const char *file_key,
                       const char *profile_key, GError *local)
{
	const char *reason = local->message;
	gsize len = profile_key ? strlen (profile_key) : 0;

	if (len && strncmp (reason, profile_key, len) == 0 && strncmp (reason + len, ": ", 2) == 0)
		reason += len + 2;
	g_set_error (error, local->domain, local->code, _("line %u: %s: %s"), line, file_key, reason);
	g_error_free (local);
}

/* The line a whole-profile error about @key points at: the first line for
 * a single value, the latest for a list that grows over several lines. */
static void
remember_line (Parser *p, const char *key, gboolean repeatable)
{
	if (repeatable || !g_hash_table_contains (p->key_lines, key))
		g_hash_table_insert (p->key_lines, g_strdup (key), GUINT_TO_POINTER (p->line));
}

/*
 * Stores one value under a profile key after checking it against the schema
 * table. A repeatable key (Address, AllowedIPs) appends to a comma list.
 */
static gboolean
set_value (Parser *p, const char *file_key, const char *key, const char *value,
           gboolean repeatable, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_auto (GStrv) items = NULL;
	g_autofree char *joined = NULL;
	const NcuKeyInfo *info;
	GHashTable *target;
	const char *old;

	info = ncu_schema_lookup (key, NULL, &local);
	if (!info) {
		propagate_value_error (error, p->line, file_key, key, g_steal_pointer (&local));
		return FALSE;
	}
	target = (info->flags & NCU_KEY_SECRET) ? p->conf->secrets : p->conf->data;
	old = g_hash_table_lookup (target, key);
	if (old && !repeatable) {
		set_line_error (error, p->line, NCU_ERROR_INVALID_VALUE,
		                _("%s is given twice (first on line %u)"), file_key,
		                GPOINTER_TO_UINT (g_hash_table_lookup (p->key_lines, key)));
		return FALSE;
	}
	if (repeatable) {
		/* "a, b" -> "a,b": the profile's comma lists carry no blanks. */
		items = ncu_parse_list (file_key, value, &local);
		if (!items) {
			propagate_value_error (error, p->line, file_key, file_key, g_steal_pointer (&local));
			return FALSE;
		}
		joined = g_strjoinv (",", items);
		value = joined;
	}
	if (!ncu_schema_check_value (info, key, value, &local)) {
		propagate_value_error (error, p->line, file_key, key, g_steal_pointer (&local));
		return FALSE;
	}
	if (old)
		g_hash_table_insert (target, g_strdup (key), g_strconcat (old, ",", value, NULL));
	else
		g_hash_table_insert (target, g_strdup (key), g_strdup (value));
	remember_line (p, key, repeatable);
	return TRUE;
}

static gboolean
is_ip_literal (const char *text)
{
	guint8 buf[16];

	return inet_pton (AF_INET, text, buf) == 1 || inet_pton (AF_INET6, text, buf) == 1;
}

/* Letters, digits, '-', '_' and '.' only: key names as wg-quick and our
 * section spell them, and the labels of a domain name. */
static gboolean
is_name (const char *text)
{
	for (const char *c = text; *c; c++) {
		if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
			return FALSE;
	}
	return TRUE;
}

/* A DNS search domain as NetworkManager takes it: "example.com", "corp.",
 * or a routing-only "~example.com" / "~.". */
static gboolean
is_search_domain (const char *text)
{
	gsize len;

	if (text[0] == '~')
		text++;
	if (strcmp (text, ".") == 0)
		return TRUE;
	len = strlen (text);
	if (len == 0 || len > 253 || text[0] == '.' || strstr (text, ".."))
		return FALSE;
	return is_name (text);
}

static gboolean
parse_dns (Parser *p, const char *file_key, const char *value, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_auto (GStrv) items = ncu_parse_list (file_key, value, &local);

	if (!items) {
		propagate_value_error (error, p->line, file_key, file_key, g_steal_pointer (&local));
		return FALSE;
	}
	for (char **item = items; *item; item++) {
		if (is_ip_literal (*item)) {
			ncu_wgconf_add_unique (p->conf->dns, *item);
		} else if (is_search_domain (*item)) {
			ncu_wgconf_add_unique (p->conf->dns_search, *item);
		} else {
			g_autofree char *quoted = ncu_quote (*item);

			set_line_error (error, p->line, NCU_ERROR_INVALID_VALUE,
			                _("%s: %s is neither an IP address nor a domain name"),
			                file_key, quoted);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
parse_table (Parser *p, const char *file_key, const char *value, GError **error)
{
	g_autoptr (GError) local = NULL;
	guint64 number;

	if (p->table_line) {
		set_line_error (error, p->line, NCU_ERROR_INVALID_VALUE,
		                _("%s is given twice (first on line %u)"), file_key, p->table_line);
		return FALSE;
	}
	p->table_line = p->line;
	if (g_ascii_strcasecmp (value, "auto") == 0)
		return TRUE;
	if (g_ascii_strcasecmp (value, "off") == 0) {
		p->conf->table = g_strdup ("off");
		return TRUE;
	}
	if (g_ascii_strcasecmp (value, "main") == 0) {
		p->conf->table = g_strdup ("254");
		return TRUE;
	}
	if (!g_ascii_isdigit (value[0])
	    || !ncu_parse_uint (file_key, value, 1, G_MAXUINT32, &number, &local)) {
		set_line_error (error, p->line, NCU_ERROR_INVALID_VALUE,
		                _("%s: only off, auto, main or a routing table number (1-4294967295) are supported"),
		                file_key);
		return FALSE;
	}
	p->conf->table = g_strdup_printf ("%" G_GUINT64_FORMAT, number);
	return TRUE;
}

static void
add_warning (Parser *p, const char *file_key, const char *reason)
{
	g_ptr_array_add (p->conf->warnings,
	                 g_strdup_printf (_("line %u: %s is ignored: %s"), p->line, file_key, reason));
}

/* wg-quick keys without a NetworkManager equivalent. Returns FALSE when
 * @file_key is none of them. */
static gboolean
parse_unsupported (Parser *p, const char *file_key, const char *value)
{
	static const char *const hooks[] = { "PreUp", "PostUp", "PreDown", "PostDown" };

	for (gsize i = 0; i < G_N_ELEMENTS (hooks); i++) {
		if (g_ascii_strcasecmp (file_key, hooks[i]) == 0) {
			/* Never quote the command: it may hold a key or a password. */
			add_warning (p, hooks[i],
			             _("NetworkManager does not run commands from an imported file; use a dispatcher script"));
			return TRUE;
		}
	}
	if (g_ascii_strcasecmp (file_key, "SaveConfig") == 0) {
		if (g_ascii_strcasecmp (value, "false") != 0)
			add_warning (p, "SaveConfig", _("NetworkManager keeps the profile, not the running state"));
		return TRUE;
	}
	if (g_ascii_strcasecmp (file_key, "FwMark") == 0) {
		if (g_ascii_strcasecmp (value, "off") != 0 && strcmp (value, "0") != 0)
			add_warning (p, "FwMark", _("cunicu profiles have no firewall mark"));
		return TRUE;
	}
	return FALSE;
}

static const NcuWgKeyMap *
find_key (const NcuWgKeyMap *map, gsize n, const char *file_key)
{
	for (gsize i = 0; i < n; i++) {
		if (g_ascii_strcasecmp (file_key, map[i].file_key) == 0)
			return &map[i];
	}
	return NULL;
}

static gboolean
parse_interface_key (Parser *p, const char *file_key, const char *value, GError **error)
{
	const NcuWgKeyMap *map;
	gsize n;

	map = ncu_wgconf_interface_keys (&n);
	map = find_key (map, n, file_key);
	if (map)
		return set_value (p, map->file_key, map->profile_key, value, map->repeatable, error);
	if (g_ascii_strcasecmp (file_key, "DNS") == 0)
		return parse_dns (p, "DNS", value, error);
	if (g_ascii_strcasecmp (file_key, "Table") == 0)
		return parse_table (p, "Table", value, error);
	if (parse_unsupported (p, file_key, value))
		return TRUE;
	set_line_error (error, p->line, NCU_ERROR_UNKNOWN_KEY,
	                _("unknown key %s in [Interface]"), file_key);
	return FALSE;
}

static gboolean
set_peer_value (Parser *p, const char *file_key, const char *name, const char *value,
                gboolean repeatable, GError **error)
{
	g_autofree char *key = g_strdup_printf (NCU_PEER_KEY_PREFIX "%d.%s", p->peer, name);

	return set_value (p, file_key, key, value, repeatable, error);
}

static gboolean
parse_peer_key (Parser *p, const char *file_key, const char *value, GError **error)
{
	const NcuWgKeyMap *map;
	gsize n;

	map = ncu_wgconf_peer_keys (&n);
	map = find_key (map, n, file_key);
	if (!map) {
		set_line_error (error, p->line, NCU_ERROR_UNKNOWN_KEY,
		                _("unknown key %s in [Peer]"), file_key);
		return FALSE;
	}
	/* wg-quick spells a disabled keepalive "off". */
	if (strcmp (map->profile_key, NCU_KEY_PEER_PERSISTENT_KEEPALIVE) == 0
	    && g_ascii_strcasecmp (value, "off") == 0)
		value = "0";
	return set_peer_value (p, map->file_key, map->profile_key, value, map->repeatable, error);
}

/* "# Name = label" and "# PresharedKeyFlags = N" inside [Peer]; any other
 * comment is just a comment. */
static gboolean
parse_peer_comment (Parser *p, char *comment, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autofree char *value = NULL;
	const char *file_key, *name;
	char *eq = strchr (comment, '=');

	if (!eq)
		return TRUE;
	*eq = '\0';
	g_strstrip (comment);
	if (g_ascii_strcasecmp (comment, "Name") == 0) {
		file_key = "# Name";
		name = NCU_KEY_PEER_LABEL;
	} else if (g_ascii_strcasecmp (comment, "PresharedKeyFlags") == 0) {
		file_key = "# PresharedKeyFlags";
		name = NCU_KEY_PEER_PRESHARED_KEY NCU_FLAGS_SUFFIX;
	} else {
		return TRUE;
	}
	/* "# Name =" with nothing after it sets nothing; "# Name = """ is an
	 * empty label. */
	if (!*g_strstrip (eq + 1))
		return TRUE;
	value = ncu_wgconf_unquote (eq + 1, &local);
	if (!value) {
		propagate_value_error (error, p->line, file_key, NULL, g_steal_pointer (&local));
		return FALSE;
	}
	return set_peer_value (p, file_key, name, value, FALSE, error);
}

static gboolean
parse_cunicu_key (Parser *p, const char *file_key, const char *raw, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autofree char *key = g_ascii_strdown (file_key, -1);
	const NcuWgKeyMap *native;
	char *value;
	gboolean ok;

	if (g_str_has_prefix (key, NCU_PEER_KEY_PREFIX)) {
		set_line_error (error, p->line, NCU_ERROR_UNKNOWN_KEY,
		                _("%s: peer keys belong in a [Peer] section"), file_key);
		return FALSE;
	}
	if (!ncu_schema_lookup (key, NULL, &local)) {
		set_line_error (error, p->line, NCU_ERROR_UNKNOWN_KEY,
		                _("unknown key %s in [cunicu]"), file_key);
		return FALSE;
	}
	native = ncu_wgconf_interface_key (key);
	if (native) {
		set_line_error (error, p->line, NCU_ERROR_UNKNOWN_KEY,
		                _("%s: write it in [Interface] as %s"), file_key, native->file_key);
		return FALSE;
	}
	value = ncu_wgconf_unquote (raw, &local);
	if (!value) {
		propagate_value_error (error, p->line, file_key, NULL, g_steal_pointer (&local));
		return FALSE;
	}
	ok = set_value (p, file_key, key, value, FALSE, error);
	ncu_wgconf_secret_free (value);
	return ok;
}

static gboolean
finish_peer (Parser *p, GError **error)
{
	g_autofree char *key = NULL;

	if (p->section != SECTION_PEER)
		return TRUE;
	key = g_strdup_printf (NCU_PEER_KEY_PREFIX "%d." NCU_KEY_PEER_PUBLIC_KEY, p->peer);
	if (!g_hash_table_contains (p->conf->data, key)) {
		set_line_error (error, p->peer_line, NCU_ERROR_MISSING_KEY,
		                _("[Peer] has no PublicKey"));
		return FALSE;
	}
	return TRUE;
}

static gboolean
open_section (Parser *p, const char *name, GError **error)
{
	if (!finish_peer (p, error))
		return FALSE;
	if (g_ascii_strcasecmp (name, "Interface") == 0) {
		if (p->interface_line) {
			set_line_error (error, p->line, NCU_ERROR_FAILED,
			                _("a second [Interface] section (the first is on line %u)"),
			                p->interface_line);
			return FALSE;
		}
		p->interface_line = p->line;
		p->section = SECTION_INTERFACE;
	} else if (g_ascii_strcasecmp (name, "Peer") == 0) {
		p->peer++;
		p->peer_line = p->line;
		p->section = SECTION_PEER;
	} else if (g_ascii_strcasecmp (name, "cunicu") == 0) {
		if (p->cunicu_line) {
			set_line_error (error, p->line, NCU_ERROR_FAILED,
			                _("a second [cunicu] section (the first is on line %u)"),
			                p->cunicu_line);
			return FALSE;
		}
		p->cunicu_line = p->line;
		p->section = SECTION_CUNICU;
	} else {
		set_line_error (error, p->line, NCU_ERROR_FAILED,
		                _("unknown section [%s]; expected [Interface], [Peer] or [cunicu]"), name);
		return FALSE;
	}
	return TRUE;
}

static gboolean
parse_header (Parser *p, char *line, GError **error)
{
	char *end;
	char *hash = strchr (line, '#');

	if (hash)
		*hash = '\0';
	g_strchomp (line);
	end = line + strlen (line) - 1;
	if (*end != ']') {
		set_line_error (error, p->line, NCU_ERROR_FAILED,
		                _("a section header must end with ']'"));
		return FALSE;
	}
	*end = '\0';
	return open_section (p, g_strstrip (line + 1), error);
}

static gboolean
parse_key_line (Parser *p, char *line, GError **error)
{
	char *eq, *key, *value;

	/* wg-quick: '#' starts a comment anywhere; [cunicu] values may hold it. */
	if (p->section != SECTION_CUNICU) {
		char *hash = strchr (line, '#');

		if (hash)
			*hash = '\0';
		g_strchomp (line);
		if (!line[0])
			return TRUE;
	}
	eq = strchr (line, '=');
	if (!eq) {
		set_line_error (error, p->line, NCU_ERROR_FAILED, _("expected \"Key = Value\""));
		return FALSE;
	}
	*eq = '\0';
	key = g_strstrip (line);
	value = g_strstrip (eq + 1);
	/* Never echo a malformed key: "PrivateKey <key>=" has its '=' inside
	 * the base64 text, and the message must not show the key. */
	if (!key[0] || !is_name (key)) {
		set_line_error (error, p->line, NCU_ERROR_FAILED, _("expected \"Key = Value\""));
		return FALSE;
	}
	if (!value[0]) {
		set_line_error (error, p->line, NCU_ERROR_INVALID_VALUE, _("%s: the value is empty"), key);
		return FALSE;
	}
	switch (p->section) {
	case SECTION_INTERFACE:
		return parse_interface_key (p, key, value, error);
	case SECTION_PEER:
		return parse_peer_key (p, key, value, error);
	case SECTION_CUNICU:
		return parse_cunicu_key (p, key, value, error);
	case SECTION_NONE:
		break;
	}
	g_return_val_if_reached (FALSE);
}

static gboolean
parse_line (Parser *p, char *line, GError **error)
{
	for (const char *c = line; *c; c++) {
		if ((guchar) *c < 0x20 && *c != '\t') {
			set_line_error (error, p->line, NCU_ERROR_FAILED,
			                _("a control character (code %u) is not allowed"), (guint) (guchar) *c);
			return FALSE;
		}
	}
	g_strstrip (line);
	if (!line[0])
		return TRUE;
	if (line[0] == '#') {
		if (p->section == SECTION_PEER)
			return parse_peer_comment (p, line + 1, error);
		return TRUE;
	}
	if (line[0] == '[')
		return parse_header (p, line, error);
	if (p->section == SECTION_NONE) {
		set_line_error (error, p->line, NCU_ERROR_FAILED,
		                _("expected a section header such as [Interface]; this is not a wg-quick file"));
		return FALSE;
	}
	return parse_key_line (p, line, error);
}

/* The line of the profile key a whole-profile error names, or 0. The
 * schema's messages name the key; the longest name found wins, so
 * "peer.1.public-key" is not taken for "peer.1.public-key-flags". */
static guint
line_of_error (Parser *p, const char *message)
{
	GHashTableIter iter;
	gpointer key, line;
	gsize best_len = 0;
	guint best_line = 0;

	g_hash_table_iter_init (&iter, p->key_lines);
	while (g_hash_table_iter_next (&iter, &key, &line)) {
		gsize len = strlen (key);
		const char *hit = strstr (message, key);

		if (!hit || len <= best_len)
			continue;
		if (g_ascii_isalnum (hit[len]) || hit[len] == '-' || hit[len] == '.')
			continue;
		best_len = len;
		best_line = GPOINTER_TO_UINT (line);
	}
	return best_line;
}

static gboolean
finish (Parser *p, GError **error)
{
	g_autoptr (GError) local = NULL;
	GHashTableIter iter;
	gpointer key;
	guint line;

	if (!finish_peer (p, error))
		return FALSE;
	if (!p->interface_line) {
		g_set_error_literal (error, NCU_ERROR, NCU_ERROR_FAILED,
		                     _("no [Interface] section: this is not a wg-quick file"));
		return FALSE;
	}
	/* A secret found in the file is stored with the profile. */
	g_hash_table_iter_init (&iter, p->conf->secrets);
	while (g_hash_table_iter_next (&iter, &key, NULL)) {
		char *flags_key = g_strconcat (key, NCU_FLAGS_SUFFIX, NULL);

		if (g_hash_table_contains (p->conf->data, flags_key))
			g_free (flags_key);
		else
			g_hash_table_insert (p->conf->data, flags_key, g_strdup ("0"));
	}
	if (ncu_profile_validate (p->conf->data, p->conf->secrets, NCU_VALIDATE_DEFAULT, &local))
		return TRUE;
	line = line_of_error (p, local->message);
	if (line)
		g_prefix_error (&local, _("line %u: "), line);
	g_propagate_error (error, g_steal_pointer (&local));
	return FALSE;
}

static guint
count_lines (const char *text, gsize len)
{
	guint lines = 1;

	for (gsize i = 0; i < len; i++) {
		if (text[i] == '\n')
			lines++;
	}
	return lines;
}

static gboolean
parse_buffer (Parser *p, char *buf, GError **error)
{
	char *line = buf;

	/* A byte-order mark, as some Windows editors write one. */
	if (g_str_has_prefix (line, "\xef\xbb\xbf"))
		line += 3;
	while (line) {
		char *next = strchr (line, '\n');
		gsize len;

		if (next)
			*next++ = '\0';
		len = strlen (line);
		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		p->line++;
		if (!parse_line (p, line, error))
			return FALSE;
		line = next;
	}
	return finish (p, error);
}

NcuWgConf *
ncu_import_parse (const char *text, gsize len, GError **error)
{
	g_autoptr (NcuWgConf) conf = NULL;
	const char *end;
	Parser p = { 0 };
	char *buf;
	gboolean ok;

	g_return_val_if_fail (text || len == 0, NULL);

	if (len > NCU_IMPORT_MAX_SIZE) {
		g_set_error (error, NCU_ERROR, NCU_ERROR_FAILED,
		             _("the file is larger than %u bytes"), (guint) NCU_IMPORT_MAX_SIZE);
		return NULL;
	}
	if (!g_utf8_validate_len (text, len, &end)) {
		set_line_error (error, count_lines (text, end - text), NCU_ERROR_FAILED,
		                *end ? _("not valid UTF-8 text") : _("a NUL byte is not allowed"));
		return NULL;
	}

	conf = ncu_wgconf_new ();
	p.conf = conf;
	p.peer = -1;
	p.key_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

	/* One mutable copy, split in place and wiped afterwards: it holds keys. */
	buf = g_malloc (len + 1);
	if (len)
		memcpy (buf, text, len);
	buf[len] = '\0';
	ok = parse_buffer (&p, buf, error);
	sodium_memzero (buf, len);
	g_free (buf);
	g_hash_table_unref (p.key_lines);

	return ok ? g_steal_pointer (&conf) : NULL;
}
