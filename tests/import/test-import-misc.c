/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plugin's other duties (properties, capabilities, file names, refusing
 * what cannot be exported, the editor loader) and robustness of the parser
 * against truncated and corrupted files.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "ncu-schema.h"
#include "ncu-import.h"
#include "ncu-export.h"
#include "ncu-wgconf.h"
#include "nm-cunicu-editor-plugin.h"
#include "test-import.h"

static void
test_properties (void)
{
	g_autofree char *name = NULL, *description = NULL, *service = NULL;

	g_object_get (plugin,
	              NM_VPN_EDITOR_PLUGIN_NAME, &name,
	              NM_VPN_EDITOR_PLUGIN_DESCRIPTION, &description,
	              NM_VPN_EDITOR_PLUGIN_SERVICE, &service,
	              NULL);
	g_assert_cmpstr (service, ==, NCU_VPN_SERVICE_TYPE);
	g_assert_true (name && name[0]);
	g_assert_true (description && description[0]);
	g_assert_cmpint (nm_vpn_editor_plugin_get_capabilities (plugin), ==,
	                 NM_VPN_EDITOR_PLUGIN_CAPABILITY_IMPORT
	                 | NM_VPN_EDITOR_PLUGIN_CAPABILITY_EXPORT
	                 | NM_VPN_EDITOR_PLUGIN_CAPABILITY_IPV6);
}

/* Loading by path, as nm_vpn_editor_plugin_load_from_file() does for a
 * .name file's plugin= entry. */
static void
test_load_from_file (void)
{
	g_autofree char *so = g_strdup_printf ("%s/properties/.libs/libnm-vpn-plugin-cunicu.so", builddir);
	g_autoptr (NMVpnEditorPlugin) loaded = NULL;
	g_autoptr (GError) error = NULL;

	loaded = nm_vpn_editor_plugin_load_from_file (so, NCU_VPN_SERVICE_TYPE, getuid (), NULL, NULL, &error);
	g_assert_no_error (error);
	g_assert_true (NM_IS_VPN_EDITOR_PLUGIN (loaded));

	/* The wrong service is refused by libnm's check of our "service". */
	g_clear_object (&loaded);
	loaded = nm_vpn_editor_plugin_load_from_file (so, "org.freedesktop.NetworkManager.openvpn",
	                                              getuid (), NULL, NULL, &error);
	g_assert_null (loaded);
	g_assert_nonnull (error);
}

static NMConnection *
connection_named (const char *id)
{
	NMConnection *connection = nm_simple_connection_new ();
	NMSetting *s_con = nm_setting_connection_new ();

	g_object_set (s_con, NM_SETTING_CONNECTION_ID, id, NULL);
	nm_connection_add_setting (connection, s_con);
	return connection;
}

static void
test_suggested_filename (void)
{
	static const struct {
		const char *id, *file;
	} cases[] = {
		{ "office", "office.conf" },
		{ "My VPN/2", "My_VPN_2.conf" },
		{ ".hidden", "_hidden.conf" },
		{ "../../etc/passwd", "_._.._etc_passwd.conf" },
		{ "Zoë's Büro", "Zoë_s_Büro.conf" },
		{ "", "cunicu.conf" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (NMConnection) connection = connection_named (cases[i].id);
		g_autofree char *file = nm_vpn_editor_plugin_get_suggested_filename (plugin, connection);

		g_assert_cmpstr (file, ==, cases[i].file);
	}
}

static char *
good_path (const char *name)
{
	return fixture_path ("good", name);
}

/* An invalid profile is refused, naming the key, and no file is left. */
static void
test_export_invalid (void)
{
	g_autofree char *path = good_path ("minimal");
	g_autofree char *out = g_build_filename (tmpdir, "invalid.conf", NULL);
	g_autoptr (NMConnection) connection = plugin_import (path);
	g_autoptr (GError) error = NULL;

	nm_setting_vpn_add_data_item (nm_connection_get_setting_vpn (connection), NCU_KEY_MTU, "1");
	g_assert_false (nm_vpn_editor_plugin_export (plugin, out, connection, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE);
	g_assert_true (g_str_has_prefix (error->message, "mtu: "));
	g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_export_other_service (void)
{
	g_autofree char *out = g_build_filename (tmpdir, "other.conf", NULL);
	g_autoptr (NMConnection) connection = connection_named ("other");
	NMSetting *s_vpn = nm_setting_vpn_new ();
	g_autoptr (GError) error = NULL;

	g_object_set (s_vpn, NM_SETTING_VPN_SERVICE_TYPE, "org.freedesktop.NetworkManager.openvpn", NULL);
	nm_connection_add_setting (connection, s_vpn);
	g_assert_false (nm_vpn_editor_plugin_export (plugin, out, connection, &error));
	g_assert_nonnull (error);
	g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* Secrets kept elsewhere (not in the connection) are not written; their
 * flags are, so the profile comes back the same. */
static void
test_export_without_secrets (void)
{
	g_autofree char *path = good_path ("full");
	g_autofree char *dir = g_build_filename (tmpdir, "no-secrets", NULL);
	g_autofree char *out = g_build_filename (dir, "full.conf", NULL);
	g_autoptr (NMConnection) connection = plugin_import (path);
	g_autoptr (NMConnection) back = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *text = NULL, *before = NULL, *after = NULL;
	NMSettingVpn *s_vpn = nm_connection_get_setting_vpn (connection);
	const char *private_key = nm_setting_vpn_get_secret (s_vpn, NCU_KEY_PRIVATE_KEY);
	g_autofree char *saved_key = g_strdup (private_key);

	g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
	nm_connection_clear_secrets (connection);
	g_assert_true (nm_vpn_editor_plugin_export (plugin, out, connection, &error));
	g_assert_no_error (error);
	text = read_text (out, NULL);
	g_assert_null (strstr (text, saved_key));
	g_assert_null (strstr (text, "\nPrivateKey ="));
	g_assert_null (strstr (text, "\nPresharedKey ="));
	g_assert_nonnull (strstr (text, "# PresharedKeyFlags = 0"));
	g_assert_null (strstr (text, "password ="));
	g_assert_nonnull (strstr (text, "private-key-flags = 0"));

	back = plugin_import (out);
	before = connection_text (connection);
	after = connection_text (back);
	g_assert_cmpstr (after, ==, before);
}

/* A profile with nothing of ours stays a plain wg-quick file. */
static void
test_export_plain (void)
{
	g_autofree char *path = good_path ("minimal");
	g_autoptr (NcuWgConf) conf = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *text = NULL;
	char *out;
	gsize len;

	text = read_text (path, &len);
	conf = ncu_import_parse (text, len, &error);
	g_assert_no_error (error);
	out = ncu_export_write (conf, &error);
	g_assert_no_error (error);
	g_assert_null (strstr (out, "\n[cunicu]"));
	g_assert_nonnull (strstr (out, "[Interface]\nPrivateKey = "));
	ncu_wgconf_secret_free (out);
}

/* The connection id comes from the file name, without ".conf". */
static void
test_id_from_file_name (void)
{
	static const struct {
		const char *file, *id;
	} cases[] = {
		{ "My Office.CONF", "My Office" },
		{ "wg0", "wg0" },
		{ ".conf", "cunicu" },
	};
	g_autofree char *source = good_path ("minimal");
	g_autofree char *text = read_text (source, NULL);

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *path = g_build_filename (tmpdir, cases[i].file, NULL);
		g_autoptr (NMConnection) connection = NULL;

		g_assert_true (g_file_set_contents (path, text, -1, NULL));
		connection = plugin_import (path);
		g_assert_cmpstr (nm_connection_get_id (connection), ==, cases[i].id);
		g_unlink (path);
	}
}

static void
test_too_large (void)
{
	g_autofree char *path = g_build_filename (tmpdir, "large.conf", NULL);
	g_autofree char *text = g_strnfill (NCU_IMPORT_MAX_SIZE + 1, '#');
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuWgConf) conf = NULL;

	g_assert_true (g_file_set_contents (path, text, -1, NULL));
	g_assert_null (nm_vpn_editor_plugin_import (plugin, path, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_FAILED);
	g_clear_error (&error);
	conf = ncu_import_parse (text, strlen (text), &error);
	g_assert_null (conf);
	g_assert_error (error, NCU_ERROR, NCU_ERROR_FAILED);
	g_unlink (path);
}

static void
test_missing_file (void)
{
	g_autofree char *path = g_build_filename (tmpdir, "does-not-exist.conf", NULL);
	g_autoptr (GError) error = NULL;

	g_assert_null (nm_vpn_editor_plugin_import (plugin, path, &error));
	g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

static void
test_quote (void)
{
	static const char *const values[] = {
		"plain", " lead", "trail ", "\"starts with a quote", "in \"the\" middle",
		"back\\slash", "#hash", "", "\\\"", " \" ",
	};
	static const char *const malformed[] = {
		"\"unterminated", "\"bad \\x escape\"", "\"text\" after", "\"ends in backslash\\",
	};

	for (gsize i = 0; i < G_N_ELEMENTS (values); i++) {
		g_autofree char *quoted = ncu_wgconf_quote (values[i]);
		g_autofree char *back = ncu_wgconf_unquote (quoted, NULL);

		g_assert_cmpstr (back, ==, values[i]);
	}
	for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++) {
		g_autoptr (GError) error = NULL;

		g_assert_null (ncu_wgconf_unquote (malformed[i], &error));
		g_assert_error (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE);
	}
}

/* Either a profile or an error, never both or neither. */
static void
parse_any (const char *text, gsize len)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuWgConf) conf = ncu_import_parse (text, len, &error);

	g_assert_true ((conf == NULL) != (error == NULL));
	if (conf) {
		char *out = ncu_export_write (conf, &error);

		g_assert_no_error (error);
		ncu_wgconf_secret_free (out);
	}
}

/* Every prefix of every good fixture (not NUL-terminated: the parser must
 * respect the length). */
static void
test_fuzz_truncate (void)
{
	g_autoptr (GPtrArray) names = list_good_fixtures ();

	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = good_path (names->pdata[i]);
		gsize len;
		g_autofree char *text = read_text (path, &len);

		for (gsize n = 0; n <= len; n += (len > 2000 ? 7 : 1)) {
			g_autofree char *copy = g_memdup2 (text, n);

			parse_any (copy, n);
		}
	}
}

static void
test_fuzz_mutate (void)
{
	static const char alphabet[] = "[]=#,:/\"\\ \t\r\n\0~.0aZ+-\xc3\xff";
	g_autoptr (GPtrArray) names = list_good_fixtures ();
	g_autoptr (GRand) rand = g_rand_new_with_seed (20240611);

	for (guint round = 0; round < 3000; round++) {
		g_autofree char *path = good_path (names->pdata[round % names->len]);
		gsize len;
		g_autofree char *text = read_text (path, &len);
		guint changes = g_rand_int_range (rand, 1, 6);

		for (guint c = 0; c < changes && len > 0; c++) {
			gsize at = g_rand_int_range (rand, 0, len);

			text[at] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
		}
		parse_any (text, len);
	}
}

/* Without the editor library next to the plugin, asking for an editor
 * fails with a message (with it, the editor's own test covers loading). */
static void
test_editor_missing (void)
{
	g_autofree char *source = good_path ("minimal");
	g_autoptr (NMConnection) connection = plugin_import (source);
	g_autoptr (GError) error = NULL;

	g_assert_null (nm_vpn_editor_plugin_get_editor (plugin, connection, &error));
	g_assert_error (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, NCU_EDITOR_MODULE_NAME));
}

void
add_misc_tests (void)
{
	g_autofree char *editor = g_strdup_printf ("%s/properties/.libs/" NCU_EDITOR_MODULE_NAME, builddir);

	g_test_add_func ("/import/plugin/properties", test_properties);
	g_test_add_func ("/import/plugin/load-from-file", test_load_from_file);
	g_test_add_func ("/import/plugin/suggested-filename", test_suggested_filename);
	g_test_add_func ("/import/plugin/id-from-file-name", test_id_from_file_name);
	g_test_add_func ("/import/plugin/too-large", test_too_large);
	g_test_add_func ("/import/plugin/missing-file", test_missing_file);
	g_test_add_func ("/import/export/invalid-profile", test_export_invalid);
	g_test_add_func ("/import/export/other-service", test_export_other_service);
	g_test_add_func ("/import/export/without-secrets", test_export_without_secrets);
	g_test_add_func ("/import/export/plain-wg-quick", test_export_plain);
	g_test_add_func ("/import/quote", test_quote);
	g_test_add_func ("/import/fuzz/truncate", test_fuzz_truncate);
	g_test_add_func ("/import/fuzz/mutate", test_fuzz_mutate);
	if (!g_file_test (editor, G_FILE_TEST_EXISTS))
		g_test_add_func ("/import/plugin/editor-missing", test_editor_missing);
}
