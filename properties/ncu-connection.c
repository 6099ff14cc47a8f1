/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ncu-schema.h"
#include "ncu-connection.h"

static NMSettingIPConfig *
new_ip_setting (GType type, const NcuWgConf *conf, int family)
{
	NMSettingIPConfig *s_ip = g_object_new (type, NULL);
	guint64 table = 0;

	g_object_set (s_ip, NM_SETTING_IP_CONFIG_METHOD,
	              family == AF_INET ? NM_SETTING_IP4_CONFIG_METHOD_AUTO
	                                : NM_SETTING_IP6_CONFIG_METHOD_AUTO,
	              NULL);
	for (guint i = 0; i < conf->dns->len; i++) {
		if (nm_utils_ipaddr_valid (family, conf->dns->pdata[i]))
			nm_setting_ip_config_add_dns (s_ip, conf->dns->pdata[i]);
	}
	for (guint i = 0; i < conf->dns_search->len; i++)
		nm_setting_ip_config_add_dns_search (s_ip, conf->dns_search->pdata[i]);

	if (g_strcmp0 (conf->table, "off") == 0)
		g_object_set (s_ip, NM_SETTING_IP_CONFIG_IGNORE_AUTO_ROUTES, TRUE, NULL);
	else if (conf->table && g_ascii_string_to_unsigned (conf->table, 10, 1, G_MAXUINT32, &table, NULL))
		g_object_set (s_ip, NM_SETTING_IP_CONFIG_ROUTE_TABLE, (guint) table, NULL);
	return s_ip;
}

NMConnection *
ncu_connection_from_wgconf (const NcuWgConf *conf, const char *id, GError **error)
{
	g_autoptr (NMConnection) connection = nm_simple_connection_new ();
	g_autofree char *uuid = nm_utils_uuid_generate ();
	NMSettingConnection *s_con;
	NMSettingVpn *s_vpn;
	GHashTableIter iter;
	gpointer key, value;

	s_con = NM_SETTING_CONNECTION (nm_setting_connection_new ());
	g_object_set (s_con,
	              NM_SETTING_CONNECTION_ID, id,
	              NM_SETTING_CONNECTION_UUID, uuid,
	              NM_SETTING_CONNECTION_TYPE, NM_SETTING_VPN_SETTING_NAME,
	              NULL);
	nm_connection_add_setting (connection, NM_SETTING (s_con));

	s_vpn = NM_SETTING_VPN (nm_setting_vpn_new ());
	g_object_set (s_vpn, NM_SETTING_VPN_SERVICE_TYPE, NCU_VPN_SERVICE_TYPE, NULL);
	g_hash_table_iter_init (&iter, conf->data);
	while (g_hash_table_iter_next (&iter, &key, &value))
		nm_setting_vpn_add_data_item (s_vpn, key, value);
	g_hash_table_iter_init (&iter, conf->secrets);
	while (g_hash_table_iter_next (&iter, &key, &value))
		nm_setting_vpn_add_secret (s_vpn, key, value);
	nm_connection_add_setting (connection, NM_SETTING (s_vpn));

	nm_connection_add_setting (connection,
	                           NM_SETTING (new_ip_setting (NM_TYPE_SETTING_IP4_CONFIG, conf, AF_INET)));
	nm_connection_add_setting (connection,
	                           NM_SETTING (new_ip_setting (NM_TYPE_SETTING_IP6_CONFIG, conf, AF_INET6)));

	if (!nm_connection_normalize (connection, NULL, NULL, error))
		return NULL;
	return g_steal_pointer (&connection);
}

static void
copy_item (const char *key, const char *value, gpointer user_data)
{
	g_hash_table_insert (user_data, g_strdup (key), g_strdup (value));
}

/* Servers and search domains keep their order; IPv4's come first. */
static void
copy_dns (NcuWgConf *conf, NMSettingIPConfig *s_ip)
{
	if (!s_ip)
		return;
	for (guint i = 0; i < nm_setting_ip_config_get_num_dns (s_ip); i++)
		ncu_wgconf_add_unique (conf->dns, nm_setting_ip_config_get_dns (s_ip, i));
	for (guint i = 0; i < nm_setting_ip_config_get_num_dns_searches (s_ip); i++)
		ncu_wgconf_add_unique (conf->dns_search, nm_setting_ip_config_get_dns_search (s_ip, i));
}

/* wg-quick has one Table for both families: "off" when both ignore the
 * service's routes, else the first family's non-default table. */
static char *
table_of (NMSettingIPConfig *s_ip4, NMSettingIPConfig *s_ip6)
{
	NMSettingIPConfig *both[] = { s_ip4, s_ip6 };

	if (s_ip4 && s_ip6
	    && nm_setting_ip_config_get_ignore_auto_routes (s_ip4)
	    && nm_setting_ip_config_get_ignore_auto_routes (s_ip6))
		return g_strdup ("off");
	for (gsize i = 0; i < G_N_ELEMENTS (both); i++) {
		if (both[i] && nm_setting_ip_config_get_route_table (both[i]))
			return g_strdup_printf ("%u", nm_setting_ip_config_get_route_table (both[i]));
	}
	return NULL;
}

NcuWgConf *
ncu_connection_to_wgconf (NMConnection *connection, GError **error)
{
	NMSettingVpn *s_vpn = nm_connection_get_setting_vpn (connection);
	NMSettingIPConfig *s_ip4 = nm_connection_get_setting_ip4_config (connection);
	NMSettingIPConfig *s_ip6 = nm_connection_get_setting_ip6_config (connection);
	NcuWgConf *conf;

	if (!s_vpn || g_strcmp0 (nm_setting_vpn_get_service_type (s_vpn), NCU_VPN_SERVICE_TYPE) != 0) {
		g_set_error (error, NCU_ERROR, NCU_ERROR_FAILED,
		             _("the connection is not a %s VPN connection"), NCU_VPN_SERVICE_TYPE);
		return NULL;
	}
	conf = ncu_wgconf_new ();
	nm_setting_vpn_foreach_data_item (s_vpn, copy_item, conf->data);
	nm_setting_vpn_foreach_secret (s_vpn, copy_item, conf->secrets);
	copy_dns (conf, s_ip4);
	copy_dns (conf, s_ip6);
	conf->table = table_of (s_ip4, s_ip6);
	return conf;
}
