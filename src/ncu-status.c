/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "ncu-status.h"

struct _NcuStatus {
	GDBusConnection *bus;
	guint registration;
	NcuStatusProvider provider;
	gpointer user_data;
};

static const char introspection_xml[] =
	"<node>"
	"  <interface name='" NCU_STATUS_INTERFACE "'>"
	"    <method name='GetStatus'>"
	"      <arg type='a{sv}' name='status' direction='out'/>"
	"    </method>"
	"  </interface>"
	"</node>";

static void
handle_method_call (GDBusConnection *connection, const char *sender,
                    const char *object_path, const char *interface_name,
                    const char *method_name, GVariant *parameters,
                    GDBusMethodInvocation *invocation, gpointer user_data)
{
	NcuStatus *status = user_data;

	if (g_strcmp0 (method_name, "GetStatus") != 0) {
		g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
		                                       G_DBUS_ERROR_UNKNOWN_METHOD,
		                                       "unknown method %s", method_name);
		return;
	}
	g_dbus_method_invocation_return_value (invocation,
		g_variant_new ("(@a{sv})", status->provider (status->user_data)));
}

static const GDBusInterfaceVTable vtable = {
	.method_call = handle_method_call,
};

NcuStatus *
ncu_status_new (GDBusConnection *bus, NcuStatusProvider provider, gpointer user_data)
{
	g_autoptr (GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
	g_autoptr (GError) error = NULL;
	NcuStatus *status = g_new0 (NcuStatus, 1);

	status->bus = bus ? g_object_ref (bus) : NULL;
	status->provider = provider;
	status->user_data = user_data;
	if (!bus)
		return status;
	/* GDBus checks the call against the introspection data, so a call
	 * with arguments or of another method gets an error, not us. */
	status->registration = g_dbus_connection_register_object (bus, NCU_STATUS_PATH,
	                                                          info->interfaces[0], &vtable,
	                                                          status, NULL, &error);
	if (!status->registration)
		g_warning ("status: cannot export %s: %s", NCU_STATUS_PATH, error->message);
	return status;
}

void
ncu_status_free (NcuStatus *status)
{
	if (!status)
		return;
	if (status->registration)
		g_dbus_connection_unregister_object (status->bus, status->registration);
	g_clear_object (&status->bus);
	g_free (status);
}
