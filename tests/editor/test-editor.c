/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GTK4 editor in a real window, loaded the way GNOME Settings loads
 * it: libnm reads the .name file in $NM_VPN_PLUGIN_DIR, loads the libnm
 * plugin, which loads the editor library. The test fills every field by
 * its buildable id, edits peers, checks what update_connection writes,
 * types bad values, and renders the pages to PNG. Run by test-editor.sh
 * under xvfb-run.
 */
#include "config.h"

#include <string.h>
#include <NetworkManager.h>
#include <gtk/gtk.h>

#include "ncu-profile.h"
#include "ncu-schema.h"
#include "ncu-test-gtk.h"

/* A key pair checked with `wg pubkey`, and keys made by `wg genkey`/`wg genpsk`. */
#define OUR_PRIVATE_KEY "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
#define OUR_PUBLIC_KEY  "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define PEER_A_KEY      "Gr+0/Tp1zvV6GcmPqLuCVJ5Kpd/qTd2jPk5Erftxyjg="
#define PEER_B_KEY      "3kZcBD49FEYn24JgnCEh/gx0e+Gpq77t8JO74ljR2C8="
#define PEER_B_PSK      "KHDZE5fkyjyXmFPRy7ozawTh4KrcL6K2c0MEhBGDK0U="

static struct {
	NMVpnEditorPlugin *plugin;
	NMConnection *connection;
	NMVpnEditor *editor;
	GtkWidget *widget;          /* the editor's widget */
	GtkWindow *window;
	const char *output_dir;
	guint changed_count;
} T;

/* The profile the fill test enters, as update_connection must write it. */
static const char *const expected_data[] = {
	"private-key-flags", "0",
	"listen-port", "51820",
	"addresses", "10.0.0.1/24, fd00::1/64",
	"mtu", "1380",
	"signaling-url", "mqtts://broker.example.org:8883",
	"signaling-username", "alice",
	"signaling-password-flags", "1",
	"signaling-topic-prefix", "acme/vpn",
	"signaling-ca-file", "/etc/ssl/certs/ca-certificates.crt",
	"ice-servers", "stun:stun.example.org,turn:turn.example.org:3478?transport=tcp",
	"ice-username", "bob",
	"ice-password-flags", "2",
	"ice-candidate-types", "srflx,relay",
	"ice-port-range", "50000-50100",
	"ice-interfaces-exclude", "docker*, virbr*",
	"interface-name", "cunicu0",
	"proxy-mode", "userspace",
	"wireguard-backend", "kernel",
	"peer.0.label", "server",
	"peer.0.public-key", PEER_B_KEY,
	"peer.0.allowed-ips", "10.0.0.3/32, fd00::3/128",
	"peer.0.endpoint", "[2001:db8::5]:51820",
	"peer.0.persistent-keepalive", "25",
	"peer.0.preshared-key-flags", "0",
	NULL
};

static const char *const expected_secrets[] = {
	"private-key", OUR_PRIVATE_KEY,
	"signaling-password", "s3cret",
	"peer.0.preshared-key", PEER_B_PSK,
	NULL
};

/* ---- helpers ---- */

static GtkWidget *
W (const char *id)
{
	return ncu_test_get (T.widget, id);
}

static void
set_text (GtkWidget *entry, const char *text)
{
	gtk_editable_set_text (GTK_EDITABLE (entry), text);
	ncu_test_iterate (5);
}

static void
select_choice (const char *id, const char *key, const char *value)
{
	const NcuKeyInfo *info = ncu_schema_lookup (key, NULL, NULL);

	g_assert_nonnull (info);
	for (guint i = 0; info->choices[i]; i++) {
		if (g_str_equal (info->choices[i], value)) {
			gtk_drop_down_set_selected (GTK_DROP_DOWN (W (id)), i);
			return;
		}
	}
	g_error ("%s is not a choice of %s", value, key);
}

static NMConnection *
new_connection (void)
{
	NMConnection *connection = nm_simple_connection_new ();
	NMSetting *s_con = nm_setting_connection_new ();
	NMSetting *s_vpn = nm_setting_vpn_new ();
	g_autofree char *uuid = nm_utils_uuid_generate ();

	g_object_set (s_con, NM_SETTING_CONNECTION_ID, "cunicu test",
	              NM_SETTING_CONNECTION_UUID, uuid,
	              NM_SETTING_CONNECTION_TYPE, NM_SETTING_VPN_SETTING_NAME, NULL);
	g_object_set (s_vpn, NM_SETTING_VPN_SERVICE_TYPE, NCU_VPN_SERVICE_TYPE, NULL);
	nm_connection_add_setting (connection, s_con);
	nm_connection_add_setting (connection, s_vpn);
	return connection;
}

static void
add_item (const char *key, const char *value, gpointer user_data)
{
	g_hash_table_insert (user_data, g_strdup (key), g_strdup (value));
}

static GHashTable *
vpn_table (NMConnection *connection, gboolean secrets)
{
	NMSettingVpn *s_vpn = nm_connection_get_setting_vpn (connection);
	GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

	g_assert_nonnull (s_vpn);
	if (secrets)
		nm_setting_vpn_foreach_secret (s_vpn, add_item, table);
	else
		nm_setting_vpn_foreach_data_item (s_vpn, add_item, table);
	return table;
}

/* @actual holds exactly the pairs of @expected (secrets are not printed). */
static void
assert_table (GHashTable *actual, const char *const *expected, gboolean secret)
{
	guint n = 0;

	for (; expected[2 * n]; n++) {
		const char *value = g_hash_table_lookup (actual, expected[2 * n]);

		if (g_strcmp0 (value, expected[2 * n + 1]) != 0)
			g_error ("key %s: got %s, expected %s", expected[2 * n],
			         secret ? (value ? "<another secret>" : "(none)") : (value ? value : "(none)"),
			         secret ? "<the secret>" : expected[2 * n + 1]);
	}
	if (g_hash_table_size (actual) != n) {
		GHashTableIter iter;
		gpointer key;

		g_hash_table_iter_init (&iter, actual);
		while (g_hash_table_iter_next (&iter, &key, NULL)) {
			if (!g_strv_contains ((const char *const *) expected, key))
				g_error ("unexpected key %s", (const char *) key);
		}
	}
}

static gboolean
update (NMConnection *connection, GError **error)
{
	return nm_vpn_editor_update_connection (T.editor, connection, error);
}

static void
assert_update_ok (void)
{
	g_autoptr (GError) error = NULL;

	g_assert_true (update (T.connection, &error));
	g_assert_no_error (error);
	g_assert_false (gtk_widget_get_visible (W ("message_label")));
}

/* @widget is marked, the message names @key, and update_connection fails
 * with NCU_ERROR @code naming @key. */
static void
assert_rejected (GtkWidget *widget, const char *key, int code)
{
	g_autoptr (GError) error = NULL;
	const char *tooltip;
	GtkWidget *message = W ("message_label");

	if (widget) {
		g_assert_true (gtk_widget_has_css_class (widget, "error"));
		tooltip = gtk_widget_get_tooltip_text (widget);
		g_assert_nonnull (strstr (tooltip, key));
	}
	g_assert_true (gtk_widget_get_visible (message));
	g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (message)), key));

	g_assert_false (update (T.connection, &error));
	g_assert_error (error, NCU_ERROR, code);
	g_assert_nonnull (strstr (error->message, key));
	g_test_message ("%s rejected: %s", key, error->message);
}

static void
assert_clean (GtkWidget *widget)
{
	g_assert_false (gtk_widget_has_css_class (widget, "error"));
}

static void
changed_cb (NMVpnEditor *editor, gpointer user_data)
{
	T.changed_count++;
}

/* ---- the peer dialog ---- */

static GtkWidget *
open_peer_dialog (const char *button_id)
{
	GtkWindow *dialog;

	g_assert_null (ncu_test_find_window ("peer_dialog"));
	ncu_test_click (W (button_id));
	dialog = ncu_test_find_window ("peer_dialog");
	g_assert_nonnull (dialog);
	ncu_test_wait_mapped (GTK_WIDGET (dialog));
	return GTK_WIDGET (dialog);
}

static void
fill_peer (GtkWidget *dialog, const char *label, const char *key, const char *ips,
           const char *psk, const char *endpoint, const char *keepalive)
{
	set_text (ncu_test_get (dialog, "peer_label_entry"), label);
	set_text (ncu_test_get (dialog, "peer_public_key_entry"), key);
	set_text (ncu_test_get (dialog, "peer_allowed_ips_entry"), ips);
	set_text (ncu_test_get (dialog, "peer_psk_entry"), psk);
	set_text (ncu_test_get (dialog, "peer_endpoint_entry"), endpoint);
	set_text (ncu_test_get (dialog, "peer_keepalive_entry"), keepalive);
}

static void
close_peer_dialog (GtkWidget *dialog, const char *button_id)
{
	GtkWidget *button = ncu_test_get (dialog, button_id);

	/* Closed means gone: nothing may keep the window alive. */
	g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
	ncu_test_click (button);
	ncu_test_iterate (20);
	g_assert_null (ncu_test_find_window ("peer_dialog"));
	g_assert_null (dialog);
}

static guint
peer_rows (void)
{
	guint n = 0;

	while (gtk_list_box_get_row_at_index (GTK_LIST_BOX (W ("peers_list")), n))
		n++;
	return n;
}

static void
select_peer (guint index)
{
	GtkListBox *list = GTK_LIST_BOX (W ("peers_list"));

	gtk_list_box_select_row (list, gtk_list_box_get_row_at_index (list, index));
	ncu_test_iterate (5);
}

/* ---- tests ---- */

/* A new profile shows the table's defaults, and what it still lacks. */
static void
test_defaults (void)
{
	g_autoptr (NMConnection) connection = new_connection ();
	g_autoptr (GError) error = NULL;

	g_assert_true (gtk_switch_get_active (GTK_SWITCH (W ("addresses_auto_switch"))));
	g_assert_false (gtk_widget_get_sensitive (W ("addresses_entry")));
	g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (W ("mtu_entry"))), ==, "1420");
	g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (W ("signaling_topic_prefix_entry"))),
	                 ==, "cunicu");
	g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (W ("ice_candidate_host_check"))));
	g_assert_false (gtk_switch_get_active (GTK_SWITCH (W ("ice_relay_only_switch"))));
	g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (W ("proxy_mode_dropdown"))), ==, 0);
	g_assert_false (gtk_widget_get_sensitive (W ("peer_remove_button")));

	/* No peer yet: the same error the service would give, shown and returned. */
	g_assert_true (gtk_widget_get_visible (W ("message_label")));
	g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (W ("message_label"))), "peer.0.public-key"));
	g_assert_false (update (connection, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_MISSING_KEY);
	g_assert_nonnull (strstr (error->message, "peer.0.public-key"));
}

static void
test_generate (void)
{
	guint8 key[NCU_KEY_LEN], public_key[NCU_KEY_LEN];
	g_autofree char *expected_public = NULL;
	const char *text;

	ncu_test_click (W ("generate_key_button"));
	text = gtk_editable_get_text (GTK_EDITABLE (W ("private_key_entry")));
	g_assert_true (ncu_key_from_base64 (text, key));
	/* Clamped as `wg genkey` does. */
	g_assert_cmpint (key[0] & 7, ==, 0);
	g_assert_cmpint (key[31] & 0xc0, ==, 0x40);
	ncu_key_public_from_private (key, public_key);
	expected_public = ncu_key_to_base64 (public_key);
	g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (W ("public_key_label"))), ==, expected_public);
	g_assert_true (gtk_widget_get_sensitive (W ("copy_public_key_button")));

	/* A key from elsewhere shows the public key `wg pubkey` prints. */
	set_text (W ("private_key_entry"), " " OUR_PRIVATE_KEY "\n");
	g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (W ("public_key_label"))), ==, OUR_PUBLIC_KEY);
	assert_clean (W ("private_key_entry"));
	set_text (W ("private_key_entry"), OUR_PRIVATE_KEY);
}

static void
fill_main_pages (void)
{
	GtkTextBuffer *servers = gtk_text_view_get_buffer (GTK_TEXT_VIEW (W ("ice_servers_textview")));

	set_text (W ("listen_port_entry"), "51820");
	gtk_switch_set_active (GTK_SWITCH (W ("addresses_auto_switch")), FALSE);
	set_text (W ("addresses_entry"), "10.0.0.1/24, fd00::1/64");
	set_text (W ("mtu_entry"), "1380");

	set_text (W ("signaling_url_entry"), "mqtts://broker.example.org:8883");
	set_text (W ("signaling_username_entry"), "alice");
	set_text (W ("signaling_password_entry"), "s3cret");
	ncu_test_set_storage (W ("signaling_password_entry"), NCU_TEST_STORAGE_USER);
	set_text (W ("signaling_topic_prefix_entry"), "acme/vpn");
	set_text (W ("signaling_ca_file_entry"), "/etc/ssl/certs/ca-certificates.crt");

	gtk_text_buffer_set_text (servers, "stun:stun.example.org\n turn:turn.example.org:3478?transport=tcp\n\n", -1);
	set_text (W ("ice_username_entry"), "bob");
	set_text (W ("ice_password_entry"), "hunter2");
	ncu_test_set_storage (W ("ice_password_entry"), NCU_TEST_STORAGE_ASK);
	/* "Ask every time" empties the entry: the secret is never saved. */
	g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (W ("ice_password_entry"))), ==, "");
	gtk_check_button_set_active (GTK_CHECK_BUTTON (W ("ice_candidate_host_check")), FALSE);
	set_text (W ("ice_port_range_entry"), "50000-50100");
	set_text (W ("ice_interfaces_exclude_entry"), "docker*, virbr*");

	set_text (W ("interface_name_entry"), "cunicu0");
	select_choice ("proxy_mode_dropdown", NCU_KEY_PROXY_MODE, "userspace");
	select_choice ("wireguard_backend_dropdown", NCU_KEY_WIREGUARD_BACKEND, "kernel");
}

static void
test_fill_and_save (void)
{
	g_autoptr (GHashTable) data = NULL;
	g_autoptr (GHashTable) secrets = NULL;
	GtkWidget *dialog;
	guint changed_before = T.changed_count;

	fill_main_pages ();
	g_assert_cmpuint (T.changed_count, >, changed_before);

	/* Two peers, then the first goes. */
	g_assert_cmpuint (peer_rows (), ==, 0);
	dialog = open_peer_dialog ("peer_add_button");
	g_assert_false (gtk_widget_get_sensitive (ncu_test_get (dialog, "peer_ok_button")));
	fill_peer (dialog, "laptop", PEER_A_KEY, "10.0.0.2/32", "", "", "");
	close_peer_dialog (dialog, "peer_ok_button");
	dialog = open_peer_dialog ("peer_add_button");
	fill_peer (dialog, "server", PEER_B_KEY, "10.0.0.3/32, fd00::3/128", PEER_B_PSK,
	           "[2001:db8::5]:51820", "25");
	close_peer_dialog (dialog, "peer_ok_button");
	g_assert_cmpuint (peer_rows (), ==, 2);

	select_peer (0);
	ncu_test_click (W ("peer_remove_button"));
	g_assert_cmpuint (peer_rows (), ==, 1);

	assert_update_ok ();
	data = vpn_table (T.connection, FALSE);
	secrets = vpn_table (T.connection, TRUE);
	assert_table (data, expected_data, FALSE);
	assert_table (secrets, expected_secrets, TRUE);
	g_assert_cmpstr (nm_setting_vpn_get_service_type (nm_connection_get_setting_vpn (T.connection)),
	                 ==, NCU_VPN_SERVICE_TYPE);
}

/* A second editor opened on the saved profile writes it back unchanged. */
static void
test_reload (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NMVpnEditor) editor = nm_vpn_editor_plugin_get_editor (T.plugin, T.connection, &error);
	g_autoptr (NMConnection) copy = new_connection ();
	g_autoptr (GHashTable) data = NULL;
	g_autoptr (GHashTable) secrets = NULL;
	GtkWidget *widget;

	g_assert_no_error (error);
	g_assert_true (nm_vpn_editor_update_connection (editor, copy, &error));
	g_assert_no_error (error);
	data = vpn_table (copy, FALSE);
	secrets = vpn_table (copy, TRUE);
	assert_table (data, expected_data, FALSE);
	assert_table (secrets, expected_secrets, TRUE);

	widget = GTK_WIDGET (nm_vpn_editor_get_widget (editor));
	g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (ncu_test_get (widget, "ice_candidate_host_check"))));
	g_assert_false (gtk_switch_get_active (GTK_SWITCH (ncu_test_get (widget, "addresses_auto_switch"))));
	g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (ncu_test_get (widget, "public_key_label"))),
	                 ==, OUR_PUBLIC_KEY);

	/* The editor and its widget go away with the last reference. */
	g_object_add_weak_pointer (G_OBJECT (widget), (gpointer *) &widget);
	g_clear_object (&editor);
	g_assert_null (widget);
}

typedef struct {
	const char *id;
	const char *key;
	const char *bad;
	const char *good;
} BadEntry;

static void
test_bad_values (void)
{
	static const BadEntry entries[] = {
		{ "private_key_entry", "private-key", "not-a-wireguard-key", OUR_PRIVATE_KEY },
		{ "private_key_entry", "private-key", "AAAA", OUR_PRIVATE_KEY },
		{ "addresses_entry", "addresses", "10.0.0.1/33", "10.0.0.1/24, fd00::1/64" },
		{ "addresses_entry", "addresses", "10.0.0.300/24", "10.0.0.1/24, fd00::1/64" },
		{ "mtu_entry", "mtu", "100", "1380" },
		{ "mtu_entry", "mtu", "9001", "1380" },
		{ "listen_port_entry", "listen-port", "65536", "51820" },
		{ "signaling_url_entry", "signaling-url", "http://broker.example.org", "mqtts://broker.example.org:8883" },
		{ "signaling_url_entry", "signaling-url", "mqtt://", "mqtts://broker.example.org:8883" },
		{ "signaling_topic_prefix_entry", "signaling-topic-prefix", "a/#", "acme/vpn" },
		{ "signaling_ca_file_entry", "signaling-ca-file", "relative.pem", "/etc/ssl/certs/ca-certificates.crt" },
		{ "ice_port_range_entry", "ice-port-range", "500-100", "50000-50100" },
		{ "interface_name_entry", "interface-name", "much-too-long-name0", "cunicu0" },
	};
	GtkTextBuffer *servers = gtk_text_view_get_buffer (GTK_TEXT_VIEW (W ("ice_servers_textview")));
	GtkWidget *types = W ("ice_candidate_types_box");
	GtkWidget *dialog;

	assert_update_ok ();
	for (guint i = 0; i < G_N_ELEMENTS (entries); i++) {
		GtkWidget *entry = W (entries[i].id);

		set_text (entry, entries[i].bad);
		assert_rejected (entry, entries[i].key, NCU_ERROR_INVALID_VALUE);
		set_text (entry, entries[i].good);
		assert_clean (entry);
		assert_update_ok ();
	}

	gtk_text_buffer_set_text (servers, "stun:stun.example.org\nhttp://turn.example.org", -1);
	ncu_test_iterate (5);
	assert_rejected (W ("ice_servers_textview"), "ice-servers", NCU_ERROR_INVALID_VALUE);
	gtk_text_buffer_set_text (servers, "stun:stun.example.org\nturn:turn.example.org:3478?transport=tcp", -1);
	ncu_test_iterate (5);
	assert_update_ok ();

	/* No candidate type at all is refused; "relay only" overrides the boxes. */
	gtk_check_button_set_active (GTK_CHECK_BUTTON (W ("ice_candidate_srflx_check")), FALSE);
	gtk_check_button_set_active (GTK_CHECK_BUTTON (W ("ice_candidate_relay_check")), FALSE);
	ncu_test_iterate (5);
	assert_rejected (types, "ice-candidate-types", NCU_ERROR_INVALID_VALUE);
	gtk_switch_set_active (GTK_SWITCH (W ("ice_relay_only_switch")), TRUE);
	ncu_test_iterate (5);
	assert_clean (types);
	g_assert_false (gtk_widget_get_sensitive (types));
	assert_update_ok ();
	g_assert_cmpstr (nm_setting_vpn_get_data_item (nm_connection_get_setting_vpn (T.connection),
	                                               NCU_KEY_ICE_CANDIDATE_TYPES), ==, "relay");
	gtk_switch_set_active (GTK_SWITCH (W ("ice_relay_only_switch")), FALSE);
	gtk_check_button_set_active (GTK_CHECK_BUTTON (W ("ice_candidate_srflx_check")), TRUE);
	gtk_check_button_set_active (GTK_CHECK_BUTTON (W ("ice_candidate_relay_check")), TRUE);
	ncu_test_iterate (5);
	assert_update_ok ();

	/* The peer dialog marks bad fields and will not accept them. */
	dialog = open_peer_dialog ("peer_add_button");
	fill_peer (dialog, "dup", "bad key", "10.0.0.4/40", "", "", "");
	g_assert_true (gtk_widget_has_css_class (ncu_test_get (dialog, "peer_public_key_entry"), "error"));
	g_assert_true (gtk_widget_has_css_class (ncu_test_get (dialog, "peer_allowed_ips_entry"), "error"));
	g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (ncu_test_get (dialog, "peer_message_label"))),
	                          "peer.1.public-key"));
	g_assert_false (gtk_widget_get_sensitive (ncu_test_get (dialog, "peer_ok_button")));
	set_text (ncu_test_get (dialog, "peer_endpoint_entry"), "no-port");
	g_assert_true (gtk_widget_has_css_class (ncu_test_get (dialog, "peer_endpoint_entry"), "error"));
	set_text (ncu_test_get (dialog, "peer_keepalive_entry"), "-1");
	g_assert_true (gtk_widget_has_css_class (ncu_test_get (dialog, "peer_keepalive_entry"), "error"));

	/* Well-formed, but the same key as peer 0: the whole profile is refused. */
	fill_peer (dialog, "dup", PEER_B_KEY, "10.0.0.4/32", "", "", "");
	close_peer_dialog (dialog, "peer_ok_button");
	g_assert_cmpuint (peer_rows (), ==, 2);
	assert_rejected (NULL, "public-key", NCU_ERROR_DUPLICATE_PEER);
	select_peer (1);
	ncu_test_click (W ("peer_remove_button"));
	assert_update_ok ();

	/* Cancel leaves the list alone. */
	dialog = open_peer_dialog ("peer_add_button");
	fill_peer (dialog, "nope", PEER_A_KEY, "", "", "", "");
	close_peer_dialog (dialog, "peer_cancel_button");
	g_assert_cmpuint (peer_rows (), ==, 1);
	assert_update_ok ();
}

/* Time-limited TURN credentials: the shared secret and its lifetime, and
 * never together with a TURN password. Ends with both fields empty again. */
static void
test_turn_auth_secret (void)
{
	NMSettingVpn *s_vpn;

	set_text (W ("ice_auth_secret_entry"), "coturn shared secret");
	set_text (W ("ice_auth_lifetime_entry"), "600");
	assert_update_ok ();
	s_vpn = nm_connection_get_setting_vpn (T.connection);
	g_assert_cmpstr (nm_setting_vpn_get_data_item (s_vpn, "ice-auth-secret-flags"), ==, "0");
	g_assert_cmpstr (nm_setting_vpn_get_data_item (s_vpn, "ice-auth-lifetime"), ==, "600");
	g_assert_cmpstr (nm_setting_vpn_get_secret (s_vpn, "ice-auth-secret"), ==, "coturn shared secret");
	g_assert_null (nm_setting_vpn_get_secret (s_vpn, "ice-password"));

	set_text (W ("ice_auth_lifetime_entry"), "5");
	assert_rejected (W ("ice_auth_lifetime_entry"), "ice-auth-lifetime", NCU_ERROR_INVALID_VALUE);
	set_text (W ("ice_auth_lifetime_entry"), "600");
	assert_update_ok ();

	/* A TURN password as well: the profile names the clash. */
	ncu_test_set_storage (W ("ice_password_entry"), NCU_TEST_STORAGE_SYSTEM);
	set_text (W ("ice_password_entry"), "hunter2");
	assert_rejected (NULL, "ice-auth-secret", NCU_ERROR_INVALID_VALUE);
	g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (W ("message_label"))), "ice-password"));
	set_text (W ("ice_password_entry"), "");
	ncu_test_set_storage (W ("ice_password_entry"), NCU_TEST_STORAGE_ASK);
	assert_update_ok ();

	set_text (W ("ice_auth_secret_entry"), "");
	set_text (W ("ice_auth_lifetime_entry"), "");
	assert_update_ok ();
	g_assert_null (nm_setting_vpn_get_data_item (s_vpn, "ice-auth-secret-flags"));
	g_assert_null (nm_setting_vpn_get_data_item (s_vpn, "ice-auth-lifetime"));
	g_assert_null (nm_setting_vpn_get_secret (s_vpn, "ice-auth-secret"));
}

static char *
output_path (const char *name)
{
	return g_build_filename (T.output_dir, name, NULL);
}

static void
test_screenshots (void)
{
	static const char *const pages[] = { "editor-main.png", "editor-signaling.png",
	                                     "editor-ice.png", "editor-advanced.png" };
	GtkNotebook *notebook = GTK_NOTEBOOK (W ("editor_notebook"));
	GtkWidget *dialog;
	g_autofree char *peer_path = output_path ("editor-peer.png");
	g_autofree char *error_path = output_path ("editor-error.png");

	/* A second peer, so the list looks like a real one. */
	dialog = open_peer_dialog ("peer_add_button");
	fill_peer (dialog, "laptop", PEER_A_KEY, "10.0.0.2/32", "", "", "");
	close_peer_dialog (dialog, "peer_ok_button");
	gtk_list_box_unselect_all (GTK_LIST_BOX (W ("peers_list")));

	for (guint i = 0; i < G_N_ELEMENTS (pages); i++) {
		g_autofree char *path = output_path (pages[i]);

		gtk_notebook_set_current_page (notebook, i);
		ncu_test_iterate (200);
		ncu_test_render_png (GTK_WIDGET (T.window), path);
	}
	gtk_notebook_set_current_page (notebook, 0);

	/* What a bad value looks like. */
	set_text (W ("mtu_entry"), "100");
	ncu_test_iterate (200);
	ncu_test_render_png (GTK_WIDGET (T.window), error_path);
	set_text (W ("mtu_entry"), "1380");

	select_peer (0);
	dialog = open_peer_dialog ("peer_edit_button");
	g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (ncu_test_get (dialog, "peer_public_key_entry"))),
	                 ==, PEER_B_KEY);
	ncu_test_render_png (dialog, peer_path);
	close_peer_dialog (dialog, "peer_cancel_button");
	assert_update_ok ();
}

/* ---- setup: through libnm's plugin API, as GNOME Settings does ---- */

static void
load_editor (void)
{
	g_autoptr (GError) error = NULL;
	GSList *infos;
	NMVpnPluginInfo *info;

	g_assert_nonnull (g_getenv ("NM_VPN_PLUGIN_DIR"));
	infos = nm_vpn_plugin_info_list_load ();
	info = nm_vpn_plugin_info_list_find_by_service (infos, NCU_VPN_SERVICE_TYPE);
	if (!info)
		g_error ("libnm found no plugin for %s in %s", NCU_VPN_SERVICE_TYPE,
		         g_getenv ("NM_VPN_PLUGIN_DIR"));
	T.plugin = nm_vpn_plugin_info_load_editor_plugin (info, &error);
	if (!T.plugin)
		g_error ("libnm could not load the editor plugin: %s", error->message);
	g_object_ref (T.plugin);
	g_slist_free_full (infos, g_object_unref);

	T.connection = new_connection ();
	T.editor = nm_vpn_editor_plugin_get_editor (T.plugin, T.connection, &error);
	if (!T.editor)
		g_error ("the plugin gave no editor: %s", error->message);
	T.widget = GTK_WIDGET (nm_vpn_editor_get_widget (T.editor));
	g_assert_true (GTK_IS_WIDGET (T.widget));
	g_signal_connect (T.editor, "changed", G_CALLBACK (changed_cb), NULL);

	T.window = GTK_WINDOW (gtk_window_new ());
	gtk_window_set_title (T.window, "cunicu VPN");
	gtk_window_set_default_size (T.window, 640, 600);
	gtk_window_set_child (T.window, T.widget);
	gtk_window_present (T.window);
	ncu_test_wait_mapped (T.widget);
}

int
main (int argc, char **argv)
{
	int result;

	g_test_init (&argc, &argv, NULL);
	gtk_init ();
	T.output_dir = g_getenv ("NCU_TEST_OUTPUT_DIR");
	if (!T.output_dir)
		T.output_dir = ".";
	load_editor ();

	g_test_add_func ("/editor/defaults", test_defaults);
	g_test_add_func ("/editor/generate", test_generate);
	g_test_add_func ("/editor/fill-and-save", test_fill_and_save);
	g_test_add_func ("/editor/reload", test_reload);
	g_test_add_func ("/editor/bad-values", test_bad_values);
	g_test_add_func ("/editor/turn-auth-secret", test_turn_auth_secret);
	g_test_add_func ("/editor/screenshots", test_screenshots);
	result = g_test_run ();

	gtk_window_destroy (T.window);
	g_clear_object (&T.editor);
	g_clear_object (&T.connection);
	g_clear_object (&T.plugin);
	return result;
}
