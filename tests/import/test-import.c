/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wg-quick import and export, twice over: through the libnm plugin as nmcli
 * and GNOME Settings use it (the .so found through NM_VPN_PLUGIN_DIR and a
 * .name file, then NMVpnEditorPlugin calls), and through the pure parser
 * and writer. Good fixtures (tests/import/good/X.conf) come with X.expected,
 * the profile they must give; each must survive import -> export -> import
 * unchanged, and a second export must write the same text. Bad fixtures
 * (tests/import/bad/) must fail with the line and reason in the table below.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <NetworkManager.h>

#include "ncu-schema.h"
#include "ncu-import.h"
#include "ncu-export.h"
#include "ncu-wgconf.h"
#include "test-import.h"

const char *srcdir;
const char *builddir;
char *tmpdir;
NMVpnEditorPlugin *plugin;
static NMVpnPluginInfo *plugin_info;

/* --- profiles as sorted "key=value" lines ------------------------------- */

int
compare_lines (gconstpointer a, gconstpointer b)
{
	return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
lines_text (GPtrArray *lines)
{
	g_ptr_array_sort (lines, compare_lines);
	g_ptr_array_add (lines, NULL);
	return g_strjoinv ("\n", (char **) lines->pdata);
}

/* The .expected file; "warning=" lines only when @with_warnings. */
static char *
expected_text (const char *name, gboolean with_warnings)
{
	g_autofree char *path = g_strdup_printf ("%s/tests/import/good/%s.expected", srcdir, name);
	g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
	g_autofree char *contents = NULL;
	g_auto (GStrv) split = NULL;

	g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
	split = g_strsplit (contents, "\n", -1);
	for (char **l = split; *l; l++) {
		if (!**l || **l == '#')
			continue;
		if (!with_warnings && g_str_has_prefix (*l, "warning="))
			continue;
		g_ptr_array_add (lines, g_strdup (*l));
	}
	return lines_text (lines);
}

static void
add_map_lines (GPtrArray *lines, const char *prefix, GHashTable *map)
{
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init (&iter, map);
	while (g_hash_table_iter_next (&iter, &key, &value))
		g_ptr_array_add (lines, g_strdup_printf ("%s.%s=%s", prefix, (char *) key, (char *) value));
}

static void
add_list_line (GPtrArray *lines, const char *key, GPtrArray *items)
{
	g_autoptr (GString) value = g_string_new (NULL);

	for (guint i = 0; i < items->len; i++)
		g_string_append_printf (value, "%s%s", i ? "," : "", (char *) items->pdata[i]);
	if (items->len)
		g_ptr_array_add (lines, g_strdup_printf ("%s=%s", key, value->str));
}

static gboolean
is_family (const char *address, int family)
{
	guint8 buf[16];

	return inet_pton (family, address, buf) == 1;
}

/* An NcuWgConf as the lines an NMConnection would give (see ncu-connection.h). */
static char *
conf_text (const char *id, NcuWgConf *conf, gboolean with_warnings)
{
	g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
	const char *families[] = { "ipv4", "ipv6" };

	g_ptr_array_add (lines, g_strdup_printf ("id=%s", id));
	add_map_lines (lines, "data", conf->data);
	add_map_lines (lines, "secret", conf->secrets);
	for (gsize f = 0; f < G_N_ELEMENTS (families); f++) {
		g_autoptr (GPtrArray) dns = g_ptr_array_new ();
		g_autofree char *dns_key = g_strdup_printf ("%s.dns", families[f]);
		g_autofree char *search_key = g_strdup_printf ("%s.dns-search", families[f]);

		for (guint i = 0; i < conf->dns->len; i++) {
			if (is_family (conf->dns->pdata[i], f == 0 ? AF_INET : AF_INET6))
				g_ptr_array_add (dns, conf->dns->pdata[i]);
		}
		add_list_line (lines, dns_key, dns);
		add_list_line (lines, search_key, conf->dns_search);
		if (g_strcmp0 (conf->table, "off") == 0)
			g_ptr_array_add (lines, g_strdup_printf ("%s.ignore-auto-routes=yes", families[f]));
		else if (conf->table)
			g_ptr_array_add (lines, g_strdup_printf ("%s.route-table=%s", families[f], conf->table));
	}
	for (guint i = 0; with_warnings && i < conf->warnings->len; i++)
		g_ptr_array_add (lines, g_strdup_printf ("warning=%s", (char *) conf->warnings->pdata[i]));
	return lines_text (lines);
}

static void
add_vpn_item (const char *key, const char *value, gpointer user_data)
{
	GPtrArray **pair = user_data;

	g_ptr_array_add (pair[0], g_strdup_printf ("%s.%s=%s", (char *) pair[1], key, value));
}

static void
add_ip_lines (GPtrArray *lines, const char *family, NMSettingIPConfig *s_ip)
{
	g_autoptr (GPtrArray) dns = g_ptr_array_new ();
	g_autoptr (GPtrArray) search = g_ptr_array_new ();
	g_autofree char *dns_key = g_strdup_printf ("%s.dns", family);
	g_autofree char *search_key = g_strdup_printf ("%s.dns-search", family);

	g_assert_nonnull (s_ip);
	for (guint i = 0; i < nm_setting_ip_config_get_num_dns (s_ip); i++)
		g_ptr_array_add (dns, (gpointer) nm_setting_ip_config_get_dns (s_ip, i));
	for (guint i = 0; i < nm_setting_ip_config_get_num_dns_searches (s_ip); i++)
		g_ptr_array_add (search, (gpointer) nm_setting_ip_config_get_dns_search (s_ip, i));
	add_list_line (lines, dns_key, dns);
	add_list_line (lines, search_key, search);
	if (nm_setting_ip_config_get_ignore_auto_routes (s_ip))
		g_ptr_array_add (lines, g_strdup_printf ("%s.ignore-auto-routes=yes", family));
	if (nm_setting_ip_config_get_route_table (s_ip))
		g_ptr_array_add (lines, g_strdup_printf ("%s.route-table=%u", family,
		                                         nm_setting_ip_config_get_route_table (s_ip)));
}

char *
connection_text (NMConnection *connection)
{
	g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
	NMSettingVpn *s_vpn = nm_connection_get_setting_vpn (connection);
	GPtrArray *data_pair[] = { lines, (GPtrArray *) "data" };
	GPtrArray *secret_pair[] = { lines, (GPtrArray *) "secret" };

	g_assert_nonnull (s_vpn);
	g_assert_cmpstr (nm_setting_vpn_get_service_type (s_vpn), ==, NCU_VPN_SERVICE_TYPE);
	g_assert_true (nm_connection_verify (connection, NULL));
	g_ptr_array_add (lines, g_strdup_printf ("id=%s", nm_connection_get_id (connection)));
	nm_setting_vpn_foreach_data_item (s_vpn, add_vpn_item, data_pair);
	nm_setting_vpn_foreach_secret (s_vpn, add_vpn_item, secret_pair);
	add_ip_lines (lines, "ipv4", nm_connection_get_setting_ip4_config (connection));
	add_ip_lines (lines, "ipv6", nm_connection_get_setting_ip6_config (connection));
	return lines_text (lines);
}

/* --- files -------------------------------------------------------------- */

char *
fixture_path (const char *dir, const char *name)
{
	return g_strdup_printf ("%s/tests/import/%s/%s.conf", srcdir, dir, name);
}

char *
read_text (const char *path, gsize *len)
{
	char *text = NULL;

	g_assert_true (g_file_get_contents (path, &text, len, NULL));
	return text;
}

/* A fresh directory for one export, so that the file keeps the fixture's
 * base name (which becomes the connection id on import). */
static char *
export_path (const char *name, const char *round)
{
	g_autofree char *dir = g_build_filename (tmpdir, name, round, NULL);

	g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
	return g_strdup_printf ("%s/%s.conf", dir, name);
}

/* --- good fixtures ------------------------------------------------------ */

NMConnection *
plugin_import (const char *path)
{
	g_autoptr (GError) error = NULL;
	NMConnection *connection = nm_vpn_editor_plugin_import (plugin, path, &error);

	g_assert_no_error (error);
	g_assert_nonnull (connection);
	return connection;
}

static void
expect_warnings (const char *name)
{
	g_autofree char *path = g_strdup_printf ("%s/tests/import/good/%s.expected", srcdir, name);
	g_autofree char *contents = read_text (path, NULL);
	g_auto (GStrv) split = g_strsplit (contents, "\n", -1);

	for (char **l = split; *l; l++) {
		if (g_str_has_prefix (*l, "warning=")) {
			g_autofree char *pattern = g_strdup_printf ("%s: %s", name, *l + strlen ("warning="));

			g_test_expect_message ("nm-cunicu", G_LOG_LEVEL_MESSAGE, pattern);
		}
	}
}

/* Through NMVpnEditorPlugin: import, export, import again, export again. */
static void
test_good_plugin (gconstpointer user_data)
{
	const char *name = user_data;
	g_autofree char *path = fixture_path ("good", name);
	g_autofree char *expected = expected_text (name, FALSE);
	g_autofree char *out1 = export_path (name, "1");
	g_autofree char *out2 = export_path (name, "2");
	g_autofree char *suggested = NULL, *text1 = NULL, *text2 = NULL;
	g_autofree char *got1 = NULL, *got2 = NULL;
	g_autoptr (NMConnection) c1 = NULL, c2 = NULL;
	g_autoptr (GError) error = NULL;
	GStatBuf st;

	expect_warnings (name);
	c1 = plugin_import (path);
	g_test_assert_expected_messages ();
	got1 = connection_text (c1);
	g_assert_cmpstr (got1, ==, expected);

	suggested = nm_vpn_editor_plugin_get_suggested_filename (plugin, c1);
	g_assert_cmpstr (suggested, ==, strrchr (out1, '/') + 1);

	g_assert_true (nm_vpn_editor_plugin_export (plugin, out1, c1, &error));
	g_assert_no_error (error);
	g_assert_cmpint (g_stat (out1, &st), ==, 0);
	g_assert_cmpint (st.st_mode & 0777, ==, 0600);

	c2 = plugin_import (out1);
	got2 = connection_text (c2);
	g_assert_cmpstr (got2, ==, got1);

	g_assert_true (nm_vpn_editor_plugin_export (plugin, out2, c2, &error));
	g_assert_no_error (error);
	text1 = read_text (out1, NULL);
	text2 = read_text (out2, NULL);
	g_assert_cmpstr (text2, ==, text1);
}

/* Straight through the parser and the writer. */
static void
test_good_pure (gconstpointer user_data)
{
	const char *name = user_data;
	g_autofree char *path = fixture_path ("good", name);
	g_autofree char *expected = expected_text (name, TRUE);
	g_autofree char *got1 = NULL, *got2 = NULL, *text = NULL;
	g_autoptr (NcuWgConf) conf1 = NULL, conf2 = NULL;
	g_autoptr (GError) error = NULL;
	char *out1, *out2;
	gsize len;

	text = read_text (path, &len);
	conf1 = ncu_import_parse (text, len, &error);
	g_assert_no_error (error);
	got1 = conf_text (name, conf1, TRUE);
	g_assert_cmpstr (got1, ==, expected);

	out1 = ncu_export_write (conf1, &error);
	g_assert_no_error (error);
	conf2 = ncu_import_parse (out1, strlen (out1), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (conf2->warnings->len, ==, 0);
	g_clear_pointer (&got1, g_free);
	got1 = conf_text (name, conf1, FALSE);
	got2 = conf_text (name, conf2, FALSE);
	g_assert_cmpstr (got2, ==, got1);

	out2 = ncu_export_write (conf2, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (out2, ==, out1);
	ncu_wgconf_secret_free (out1);
	ncu_wgconf_secret_free (out2);
}

/* --- bad fixtures ------------------------------------------------------- */

typedef struct {
	const char *name;
	guint line;          /* 0: the error names no line */
	const char *reason;  /* what follows "line N: " */
	const char *detail;  /* NULL, or more text the message must hold (the
	                      * schema's own wording stays the schema's) */
} BadFile;

static const BadFile bad_files[] = {
	{ "bad-cidr", 7, "AllowedIPs: ", "\"10.0.0.300/32\"" },
	{ "private-key", 2, "PrivateKey: ", "WireGuard key" },
	{ "private-key-no-equals", 2, "expected \"Key = Value\"", NULL },
	{ "listen-port", 3, "ListenPort: ", "\"70000\"" },
	{ "mtu", 3, "MTU: ", "\"576\"" },
	{ "unknown-interface-key", 3, "unknown key PublicKey in [Interface]", NULL },
	{ "unknown-section", 4, "unknown section [Server]; expected [Interface], [Peer] or [cunicu]", NULL },
	{ "no-section", 1, "expected a section header such as [Interface]", NULL },
	{ "not-wg-quick", 1, "expected a section header such as [Interface]; this is not a wg-quick file", NULL },
	{ "no-equals", 5, "expected \"Key = Value\"", NULL },
	{ "peer-without-key", 4, "[Peer] has no PublicKey", NULL },
	{ "duplicate-key", 4, "ListenPort is given twice (first on line 3)", NULL },
	{ "duplicate-peer", 9, "peer.1.public-key: ", "peer.0" },
	{ "own-key-as-peer", 5, "peer.0.public-key: ", "own" },
	{ "endpoint", 6, "Endpoint: ", "\"vpn.example.org\"" },
	{ "keepalive", 6, "PersistentKeepalive: ", "\"often\"" },
	{ "preshared-key", 6, "PresharedKey: ", "WireGuard key" },
	{ "signaling-url", 8, "signaling-url: ", "\"http://broker.example.org\"" },
	{ "cunicu-unknown-key", 8, "unknown key broker in [cunicu]", NULL },
	{ "cunicu-native-key", 8, "mtu: write it in [Interface] as MTU", NULL },
	{ "cunicu-peer-key", 8, "peer.0.label: peer keys belong in a [Peer] section", NULL },
	{ "cunicu-bad-quote", 8, "signaling-password: the closing quote is missing", NULL },
	{ "candidate-types", 8, "ice-candidate-types: ", "\"carrier-pigeon\"" },
	{ "secret-flags", 8, "private-key-flags: ", "\"9\"" },
	{ "table", 3, "Table: only off, auto, main or a routing table number (1-4294967295) are supported", NULL },
	{ "dns", 3, "DNS: \"not a domain!\" is neither an IP address nor a domain name", NULL },
	{ "two-interfaces", 7, "a second [Interface] section (the first is on line 1)", NULL },
	{ "empty-value", 3, "Address: the value is empty", NULL },
	{ "empty-list-item", 6, "AllowedIPs: ", "empty" },
	{ "no-peer", 0, "peer.0.public-key: ", NULL },
	{ "empty", 0, "no [Interface] section: this is not a wg-quick file", NULL },
	{ "nul-byte", 5, "a NUL byte is not allowed", NULL },
	{ "latin1", 5, "not valid UTF-8 text", NULL },
	{ "header-unclosed", 1, "a section header must end with ']'", NULL },
	{ "address-auto-and-list", 4, "addresses: ", "auto" },
	{ "interface-name", 8, "interface-name: ", "\"this-name-is-far-too-long\"" },
	{ "turn-auth-and-password", 10, "ice-auth-secret: ", "ice-password" },
};

static void
assert_bad_error (const BadFile *bad, const GError *error)
{
	g_autofree char *prefix = g_strdup_printf ("line %u: ", bad->line);

	g_autofree char *want = g_strconcat (bad->line ? prefix : "", bad->reason, NULL);
	g_autofree char *head = NULL;

	g_assert_nonnull (error);
	g_assert_true (error->domain == NCU_ERROR);
	head = g_strndup (error->message, strlen (want));
	g_assert_cmpstr (head, ==, want);
	if (bad->detail && !strstr (error->message + strlen (want), bad->detail))
		g_error ("%s: \"%s\" lacks %s", bad->name, error->message, bad->detail);
}

/* No value of a secret key of the file shows up in the message. */
static void
assert_no_secret_quoted (const char *text, const char *message)
{
	static const char *const secret_words[] = { "PrivateKey", "PresharedKey", "password" };
	g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

	for (char **l = lines; *l; l++) {
		for (gsize i = 0; i < G_N_ELEMENTS (secret_words); i++) {
			const char *start = strstr (*l, secret_words[i]);
			g_autofree char *value = NULL;

			if (!start)
				continue;
			for (start += strlen (secret_words[i]); *start == ' ' || *start == '='; start++)
				;
			value = g_strstrip (g_strdup (start));
			if (strlen (value) >= 8)
				g_assert_null (strstr (message, value));
		}
	}
}

static void
test_bad (gconstpointer user_data)
{
	const BadFile *bad = user_data;
	g_autofree char *path = fixture_path ("bad", bad->name);
	g_autofree char *text = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) plugin_error = NULL;
	g_autoptr (NcuWgConf) conf = NULL;
	g_autoptr (NMConnection) connection = NULL;
	gsize len;

	text = read_text (path, &len);
	conf = ncu_import_parse (text, len, &error);
	g_assert_null (conf);
	assert_bad_error (bad, error);

	connection = nm_vpn_editor_plugin_import (plugin, path, &plugin_error);
	g_assert_null (connection);
	assert_bad_error (bad, plugin_error);
	g_assert_cmpstr (plugin_error->message, ==, error->message);
	assert_no_secret_quoted (text, error->message);
}


/* --- setup -------------------------------------------------------------- */

static void
write_name_file (const char *dir)
{
	g_autofree char *so = g_strdup_printf ("%s/properties/.libs/libnm-vpn-plugin-cunicu.so", builddir);
	g_autofree char *path = g_build_filename (dir, "nm-cunicu-service.name", NULL);
	g_autofree char *text = g_strdup_printf ("[VPN Connection]\n"
	                                         "name=cunicu\n"
	                                         "service=" NCU_VPN_SERVICE_TYPE "\n"
	                                         "program=/nonexistent/nm-cunicu-service\n"
	                                         "supports-multiple-connections=true\n\n"
	                                         "[libnm]\n"
	                                         "plugin=%s\n", so);

	g_assert_true (g_file_test (so, G_FILE_TEST_IS_REGULAR));
	g_assert_true (g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
}

/* As nmcli does: plugin infos from NM_VPN_PLUGIN_DIR, then the editor plugin. */
static void
load_plugin (void)
{
	g_autofree char *vpn_dir = g_build_filename (tmpdir, "vpn", NULL);
	g_autoptr (GError) error = NULL;
	GSList *infos;

	g_assert_cmpint (g_mkdir_with_parents (vpn_dir, 0755), ==, 0);
	write_name_file (vpn_dir);
	g_setenv ("NM_VPN_PLUGIN_DIR", vpn_dir, TRUE);
	infos = nm_vpn_plugin_info_list_load ();
	plugin_info = nm_vpn_plugin_info_list_find_by_service (infos, NCU_VPN_SERVICE_TYPE);
	g_assert_nonnull (plugin_info);
	g_object_ref (plugin_info);
	g_slist_free_full (infos, g_object_unref);
	plugin = nm_vpn_plugin_info_load_editor_plugin (plugin_info, &error); /* owned by the info */
	g_assert_no_error (error);
	g_assert_nonnull (plugin);
}

GPtrArray *
list_good_fixtures (void)
{
	g_autofree char *dir_path = g_strdup_printf ("%s/tests/import/good", srcdir);
	g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
	const char *file;

	g_assert_nonnull (dir);
	while ((file = g_dir_read_name (dir))) {
		if (g_str_has_suffix (file, ".conf"))
			g_ptr_array_add (names, g_strndup (file, strlen (file) - strlen (".conf")));
	}
	g_ptr_array_sort (names, compare_lines);
	return names;
}

static void
remove_tree (const char *path)
{
	g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name (dir))) {
		g_autofree char *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			remove_tree (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

int
main (int argc, char **argv)
{
	g_autoptr (GPtrArray) good = NULL;
	g_autofree char *template = NULL, *parent = NULL;
	int result;

	g_test_init (&argc, &argv, NULL);
	srcdir = g_getenv ("top_srcdir") ? g_getenv ("top_srcdir") : NCU_TEST_SRCDIR;
	builddir = g_getenv ("top_builddir") ? g_getenv ("top_builddir") : NCU_TEST_BUILDDIR;
	/* Exports hold (test) keys: keep them in the build tree, not /tmp. */
	template = g_strdup_printf ("%s/tests/import/tmp-XXXXXX", builddir);
	g_assert_cmpint (g_mkdir_with_parents (parent = g_path_get_dirname (template), 0755), ==, 0);
	tmpdir = g_mkdtemp (template);
	g_assert_nonnull (tmpdir);
	load_plugin ();

	good = list_good_fixtures ();
	g_assert_cmpuint (good->len, >=, 12);
	for (guint i = 0; i < good->len; i++) {
		g_autofree char *plugin_path = g_strdup_printf ("/import/good/plugin/%s", (char *) good->pdata[i]);
		g_autofree char *pure_path = g_strdup_printf ("/import/good/pure/%s", (char *) good->pdata[i]);

		g_test_add_data_func (plugin_path, good->pdata[i], test_good_plugin);
		g_test_add_data_func (pure_path, good->pdata[i], test_good_pure);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (bad_files); i++) {
		g_autofree char *path = g_strdup_printf ("/import/bad/%s", bad_files[i].name);

		g_test_add_data_func (path, &bad_files[i], test_bad);
	}
	add_misc_tests ();

	result = g_test_run ();
	remove_tree (tmpdir);
	/* The plugin belongs to its info. */
	plugin = NULL;
	g_clear_object (&plugin_info);
	return result;
}
