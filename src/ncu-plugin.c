/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include "ncu-plugin.h"
#include "ncu-profile.h"
#include "ncu-status.h"
#include "ncu-tunnel.h"

struct _NcuPlugin {
	NMVpnServicePlugin parent;
	NcuTunnel *tunnel;
	NcuStatus *status;
	GDBusConnection *bus;
	guint filter_id;
};

G_DEFINE_TYPE (NcuPlugin, ncu_plugin, NM_TYPE_VPN_SERVICE_PLUGIN)

static void
collect_item (const char *key, const char *value, gpointer user_data)
{
	g_hash_table_insert (user_data, g_strdup (key), g_strdup (value));
}

static void
free_secret (gpointer value)
{
	if (value) {
		memset (value, 0, strlen (value));
		g_free (value);
	}
}

/* vpn.data and vpn.secrets as string tables, the form the schema checks. */
static NcuProfile *
profile_from_connection (NMConnection *connection, GError **error)
{
	NMSettingVpn *s_vpn = nm_connection_get_setting_vpn (connection);
	g_autoptr (GHashTable) data = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr (GHashTable) secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_secret);
	g_autoptr (GError) local = NULL;
	NcuProfile *profile;

	if (!s_vpn) {
		g_set_error_literal (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_INVALID_CONNECTION,
		                     "the connection has no VPN setting");
		return NULL;
	}
	nm_setting_vpn_foreach_data_item (s_vpn, collect_item, data);
	nm_setting_vpn_foreach_secret (s_vpn, collect_item, secrets);
	profile = ncu_profile_new (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS, &local);
	if (!profile) {
		/* A missing or unknown key makes the connection invalid; a bad
		 * value is a bad argument. The message is the schema's, the same
		 * the editor shows. */
		gboolean structural = local->code == NCU_ERROR_MISSING_KEY
		                      || local->code == NCU_ERROR_UNKNOWN_KEY
		                      || local->code == NCU_ERROR_PEER_INDEX;
		g_set_error_literal (error, NM_VPN_PLUGIN_ERROR,
		                     structural ? NM_VPN_PLUGIN_ERROR_INVALID_CONNECTION
		                                : NM_VPN_PLUGIN_ERROR_BAD_ARGUMENTS,
		                     local->message);
	}
	return profile;
}

static void
tunnel_configured (GVariant *config, GVariant *ip4, GVariant *ip6, gpointer user_data)
{
	NMVpnServicePlugin *plugin = user_data;

	nm_vpn_service_plugin_set_config (plugin, config);
	if (ip4)
		nm_vpn_service_plugin_set_ip4_config (plugin, ip4);
	if (ip6)
		nm_vpn_service_plugin_set_ip6_config (plugin, ip6);
}

static void
tunnel_failed (const char *message, gpointer user_data)
{
	g_warning ("connection failed: %s", message);
	nm_vpn_service_plugin_failure (user_data, NM_VPN_PLUGIN_FAILURE_CONNECT_FAILED);
}

static const NcuTunnelCallbacks tunnel_callbacks = {
	.configured = tunnel_configured,
	.failed = tunnel_failed,
};

static GVariant *
status_provider (gpointer user_data)
{
	NcuPlugin *self = user_data;

	if (!self->tunnel)
		return g_variant_new ("a{sv}", NULL);
	return ncu_tunnel_get_status (self->tunnel);
}

static gboolean
real_connect (NMVpnServicePlugin *plugin, NMConnection *connection, GError **error)
{
	NcuPlugin *self = NCU_PLUGIN (plugin);
	NcuProfile *profile;

	profile = profile_from_connection (connection, error);
	if (!profile) {
		g_warning ("cannot connect '%s': %s", nm_connection_get_id (connection), (*error)->message);
		return FALSE;
	}
	g_clear_pointer (&self->tunnel, ncu_tunnel_free);
	g_message ("connecting '%s' with %u peer(s)", nm_connection_get_id (connection),
	           profile->peers->len);
	self->tunnel = ncu_tunnel_new (profile, nm_connection_get_uuid (connection),
	                               &tunnel_callbacks, self);
	if (!self->status)
		self->status = ncu_status_new (nm_vpn_service_plugin_get_connection (plugin),
		                               status_provider, self);
	ncu_tunnel_start (self->tunnel);
	return TRUE;
}

static gboolean
real_connect_interactive (NMVpnServicePlugin *plugin, NMConnection *connection,
                          GVariant *details, GError **error)
{
	return real_connect (plugin, connection, error);
}

static gboolean
secret_missing (NMSettingVpn *s_vpn, const char *key)
{
	NMSettingSecretFlags flags = NM_SETTING_SECRET_FLAG_NONE;

	nm_setting_get_secret_flags (NM_SETTING (s_vpn), key, &flags, NULL);
	if (flags & NM_SETTING_SECRET_FLAG_NOT_REQUIRED)
		return FALSE;
	return !nm_setting_vpn_get_secret (s_vpn, key);
}

static gboolean
real_need_secrets (NMVpnServicePlugin *plugin, NMConnection *connection,
                   const char **setting_name, GError **error)
{
	NMSettingVpn *s_vpn = nm_connection_get_setting_vpn (connection);
	gboolean turn_auth;

	if (!s_vpn) {
		g_set_error_literal (error, NM_VPN_PLUGIN_ERROR, NM_VPN_PLUGIN_ERROR_INVALID_CONNECTION,
		                     "the connection has no VPN setting");
		return FALSE;
	}
	/* Time-limited TURN credentials replace the TURN password; their
	 * secret is in use when it or its -flags key is there (the user name
	 * is optional with them). */
	turn_auth = nm_setting_vpn_get_data_item (s_vpn, NCU_KEY_ICE_AUTH_SECRET NCU_FLAGS_SUFFIX)
	            || nm_setting_vpn_get_secret (s_vpn, NCU_KEY_ICE_AUTH_SECRET);
	/* Only the private key is always needed; passwords go with their
	 * user names, which may be absent. */
	if (secret_missing (s_vpn, NCU_KEY_PRIVATE_KEY)
	    || (nm_setting_vpn_get_data_item (s_vpn, NCU_KEY_SIGNALING_USERNAME)
	        && secret_missing (s_vpn, NCU_KEY_SIGNALING_PASSWORD))
	    || (turn_auth && secret_missing (s_vpn, NCU_KEY_ICE_AUTH_SECRET))
	    || (!turn_auth && nm_setting_vpn_get_data_item (s_vpn, NCU_KEY_ICE_USERNAME)
	        && secret_missing (s_vpn, NCU_KEY_ICE_PASSWORD))) {
		*setting_name = NM_SETTING_VPN_SETTING_NAME;
		return TRUE;
	}
	return FALSE;
}

static gboolean
real_disconnect (NMVpnServicePlugin *plugin, GError **error)
{
	NcuPlugin *self = NCU_PLUGIN (plugin);

	g_message ("disconnecting");
	g_clear_pointer (&self->tunnel, ncu_tunnel_free);
	return TRUE;
}

void
ncu_plugin_stop (NcuPlugin *self)
{
	g_clear_pointer (&self->tunnel, ncu_tunnel_free);
}

static void
ncu_plugin_dispose (GObject *object)
{
	NcuPlugin *self = NCU_PLUGIN (object);

	ncu_plugin_stop (self);
	g_clear_pointer (&self->status, ncu_status_free);
	if (self->filter_id)
		g_dbus_connection_remove_filter (self->bus, self->filter_id);
	self->filter_id = 0;
	g_clear_object (&self->bus);
	G_OBJECT_CLASS (ncu_plugin_parent_class)->dispose (object);
}

static void
ncu_plugin_init (NcuPlugin *self)
{
}

static void
ncu_plugin_class_init (NcuPluginClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);
	NMVpnServicePluginClass *parent_class = NM_VPN_SERVICE_PLUGIN_CLASS (klass);

	object_class->dispose = ncu_plugin_dispose;
	parent_class->connect = real_connect;
	parent_class->connect_interactive = real_connect_interactive;
	parent_class->need_secrets = real_need_secrets;
	parent_class->disconnect = real_disconnect;
}

/*
 * SetConfig, SetIp4Config, SetIp6Config and SetFailure are for the helper
 * processes of other VPN plugins (scripts that report what a daemon
 * configured). This service configures itself: libnm would pass whatever
 * a caller sends on to NetworkManager as ours and call the connection
 * started, with no tunnel behind it. Refused before libnm sees them. Runs
 * in GDBus's worker thread: it only reads the message and sends a reply.
 */
static GDBusMessage *
refuse_helper_calls (GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
                     gpointer user_data)
{
	static const char *const refused[] = {
		"SetConfig", "SetIp4Config", "SetIp6Config", "SetFailure", NULL
	};
	const char *member = g_dbus_message_get_member (message);
	g_autoptr (GDBusMessage) reply = NULL;

	if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL
	    || g_strcmp0 (g_dbus_message_get_interface (message), NM_VPN_DBUS_PLUGIN_INTERFACE) != 0
	    || !member || !g_strv_contains (refused, member))
		return message;
	reply = g_dbus_message_new_method_error (message, "org.freedesktop.DBus.Error.NotSupported",
	                                         "%s: nm-cunicu-service reports its configuration itself",
	                                         member);
	g_dbus_connection_send_message (connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
	g_object_unref (message);
	return NULL;
}

NcuPlugin *
ncu_plugin_new (const char *bus_name, GError **error)
{
	NcuPlugin *self = g_initable_new (NCU_TYPE_PLUGIN, NULL, error,
	                                  NM_VPN_SERVICE_PLUGIN_DBUS_SERVICE_NAME, bus_name,
	                                  NM_VPN_SERVICE_PLUGIN_DBUS_WATCH_PEER, TRUE,
	                                  NULL);

	if (!self)
		return NULL;
	self->bus = nm_vpn_service_plugin_get_connection (NM_VPN_SERVICE_PLUGIN (self));
	if (self->bus)
		self->filter_id = g_dbus_connection_add_filter (self->bus, refuse_helper_calls, NULL, NULL);
	return self;
}
