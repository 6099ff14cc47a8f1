/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Making an MQTT client connection: resolve, connect without blocking the
 * main loop, and retry with jittered exponential back-off.
 *
 * Name resolution: libmosquitto resolves with a blocking getaddrinfo().
 * We resolve with GResolver first and hand libmosquitto the address. TLS
 * must verify the certificate against the name (and send it as SNI), so
 * for mqtts:// with a host name libmosquitto gets the name, and its
 * connect call (which resolves again) runs in a GTask worker thread while
 * the main loop goes on; the client is not touched by the main thread
 * until that call returned.
 */
#include "config.h"

#include <errno.h>
#include <mqtt_protocol.h>

#include "ncu-signal-mqtt-private.h"

/* Holds a reference for an asynchronous step of one attempt. */
typedef struct {
	NcuSignalMqtt *mqtt;
	GCancellable *attempt;
} Closure;

typedef struct {
	struct mosquitto *mosq;
	char *host;
	int port;
	int keepalive;
	int rc;
	char *error;
} ConnectJob;

static Closure *
closure_new (NcuSignalMqtt *self)
{
	Closure *c = g_new (Closure, 1);

	c->mqtt = ncu_signal_mqtt_ref (self);
	c->attempt = g_object_ref (self->attempt);
	return c;
}

/* Whether the step still belongs to the live, current attempt. */
static gboolean
closure_current (const Closure *c)
{
	return c->mqtt->state != NCU_SIGNAL_MQTT_CLOSED && c->attempt == c->mqtt->attempt
	       && !g_cancellable_is_cancelled (c->attempt);
}

static void
closure_free (Closure *c)
{
	g_object_unref (c->attempt);
	ncu_signal_mqtt_unref (c->mqtt);
	g_free (c);
}

/* ---- back-off ---- */

static gboolean
on_retry (gpointer data)
{
	NcuSignalMqtt *self = data;

	self->retry_id = 0;
	ncu_signal_mqtt_begin_attempt (self);
	return G_SOURCE_REMOVE;
}

static void
schedule_retry (NcuSignalMqtt *self, guint delay_ms)
{
	self->state = NCU_SIGNAL_MQTT_WAITING;
	self->retry_id = g_timeout_add (delay_ms, on_retry, self);
}

/* Jittered exponential back-off: within +-25 % of 1 s, 2 s, 4 s ... 30 s. */
static guint
next_backoff (NcuSignalMqtt *self)
{
	guint base = self->backoff_ms;

	self->backoff_ms = MIN (self->backoff_ms * 2, NCU_SIGNAL_MQTT_BACKOFF_MAX_MS);
	return base - base / 4 + g_random_int_range (0, (gint32) (base / 2) + 1);
}

void
ncu_signal_mqtt_attempt_failed (NcuSignalMqtt *self, const char *format, ...)
{
	g_autofree char *message = NULL;
	gboolean was_connected = self->state == NCU_SIGNAL_MQTT_CONNECTED;
	va_list args;

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);

	self->failures++;
	ncu_signal_mqtt_set_last_error (self, message);
	ncu_signal_mqtt_client_drop (self);
	/* A connection that worked and broke (our NAT changed its address,
	 * the broker restarted) most likely works again at once, and an ICE
	 * restart may be waiting for it: retry within a moment, jittered so
	 * a mesh does not reconnect in step. The back-off starts after that. */
	if (was_connected)
		schedule_retry (self, g_random_int_range (0, NCU_SIGNAL_MQTT_LOST_RETRY_MS + 1));
	else
		schedule_retry (self, next_backoff (self));
	if (was_connected && self->cb.state)
		self->cb.state (FALSE, message, self->user_data);
}

/*
 * libmosquitto 2.0 has no asynchronous connect taking CONNECT properties.
 * mosquitto_connect_bind_v5() stores its properties before it checks its
 * arguments, and the asynchronous connect then sends the stored ones; an
 * invalid keepalive (1) makes that call store them and connect nowhere.
 * The property asks the broker to drop, rather than send us, any packet
 * larger than an envelope could be: an attacker on the broker cannot make
 * us allocate up to 256 MiB per message. If a libmosquitto ignored this,
 * we would only lose that protection (the size is still checked on receipt).
 */
static void
set_max_packet (NcuSignalMqtt *self, struct mosquitto *mosq)
{
	mosquitto_property *props = NULL;

	if (mosquitto_property_add_int32 (&props, MQTT_PROP_MAXIMUM_PACKET_SIZE,
	                                  self->max_packet) == MOSQ_ERR_SUCCESS)
		(void) mosquitto_connect_bind_v5 (mosq, "invalid.", 1, 1, NULL, props);
	mosquitto_property_free_all (&props);
}

static struct mosquitto *
client_new (NcuSignalMqtt *self, char **error)
{
	struct mosquitto *mosq = mosquitto_new (NULL, true, self);
	int rc;

	if (!mosq) {
		*error = g_strdup_printf ("cannot create an MQTT client: %s", g_strerror (errno));
		return NULL;
	}
	mosquitto_int_option (mosq, MOSQ_OPT_PROTOCOL_VERSION,
	                      self->v311 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5);
	mosquitto_int_option (mosq, MOSQ_OPT_TCP_NODELAY, 1);
	rc = mosquitto_username_pw_set (mosq, self->username, self->password);
	if (rc == MOSQ_ERR_SUCCESS && self->tls) {
		if (self->ca_file)
			rc = mosquitto_tls_set (mosq, self->ca_file, NULL, NULL, NULL, NULL);
		else
			rc = mosquitto_int_option (mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		*error = g_strdup_printf ("cannot configure the MQTT client: %s", ncu_signal_mqtt_describe_rc (rc));
		mosquitto_destroy (mosq);
		return NULL;
	}
	if (!self->v311)
		set_max_packet (self, mosq);
	ncu_signal_mqtt_client_init (self, mosq);
	return mosq;
}

/* The non-blocking connect returned: wait for CONNACK on the socket. */
static void
client_started (NcuSignalMqtt *self, struct mosquitto *mosq, int rc, const char *error)
{
	if (rc != MOSQ_ERR_SUCCESS) {
		mosquitto_destroy (mosq);
		ncu_signal_mqtt_attempt_failed (self, "cannot connect to the signaling broker %s port %u: %s",
		                self->host, self->port, error);
		return;
	}
	ncu_signal_mqtt_client_run (self, mosq);
}

static void
connect_job_free (gpointer data)
{
	ConnectJob *job = data;

	g_clear_pointer (&job->mosq, mosquitto_destroy);
	g_free (job->host);
	g_free (job->error);
	g_free (job);
}

static void
connect_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	ConnectJob *job = data;

	job->rc = mosquitto_connect_async (job->mosq, job->host, job->port, job->keepalive);
	if (job->rc != MOSQ_ERR_SUCCESS)
		job->error = g_strdup (ncu_signal_mqtt_describe_rc (job->rc));
	g_task_return_boolean (task, TRUE);
}

static void
on_thread_connected (GObject *source, GAsyncResult *result, gpointer data)
{
	Closure *c = data;
	ConnectJob *job = g_task_get_task_data (G_TASK (result));

	if (closure_current (c))
		client_started (c->mqtt, g_steal_pointer (&job->mosq), job->rc, job->error);
	closure_free (c);
}

static void
connect_client (NcuSignalMqtt *self, const char *address)
{
	g_autofree char *error = NULL;
	struct mosquitto *mosq = client_new (self, &error);
	int rc;

	if (!mosq) {
		ncu_signal_mqtt_attempt_failed (self, "%s", error);
		return;
	}
	if (self->tls && !g_hostname_is_ip_address (self->host)) {
		ConnectJob *job = g_new0 (ConnectJob, 1);
		g_autoptr (GTask) task = g_task_new (NULL, self->attempt, on_thread_connected,
		                                     closure_new (self));

		job->mosq = mosq;
		job->host = g_strdup (self->host);
		job->port = self->port;
		job->keepalive = (int) self->keepalive_s;
		g_task_set_task_data (task, job, connect_job_free);
		g_task_run_in_thread (task, connect_thread);
		return;
	}
	rc = mosquitto_connect_async (mosq, address, self->port, (int) self->keepalive_s);
	client_started (self, mosq, rc, rc == MOSQ_ERR_SUCCESS ? NULL : ncu_signal_mqtt_describe_rc (rc));
}

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
	Closure *c = data;
	NcuSignalMqtt *self = c->mqtt;
	g_autoptr (GError) error = NULL;
	GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

	if (!closure_current (c)) {
		/* superseded or closed: nothing to do */
	} else if (!addresses) {
		ncu_signal_mqtt_attempt_failed (self, "cannot resolve the signaling broker %s: %s",
		                self->host, error->message);
	} else {
		g_free (self->broker_address);
		self->broker_address = g_inet_address_to_string (addresses->data);
		connect_client (self, self->broker_address);
	}
	g_resolver_free_addresses (addresses);
	closure_free (c);
}

void
ncu_signal_mqtt_reconnect (NcuSignalMqtt *self, gboolean drop, const char *why)
{
	if (self->state == NCU_SIGNAL_MQTT_CONNECTED && drop) {
		/* Retried within NCU_SIGNAL_MQTT_LOST_RETRY_MS, like a lost one. */
		ncu_signal_mqtt_attempt_failed (self, "reconnecting to the signaling broker: %s", why);
	} else if (self->state == NCU_SIGNAL_MQTT_WAITING) {
		g_clear_handle_id (&self->retry_id, g_source_remove);
		self->backoff_ms = NCU_SIGNAL_MQTT_BACKOFF_MIN_MS;
		ncu_signal_mqtt_begin_attempt (self);
	}
	/* Resolving or connecting: that attempt already uses the new network. */
}

void
ncu_signal_mqtt_begin_attempt (NcuSignalMqtt *self)
{
	g_autoptr (GResolver) resolver = g_resolver_get_default ();

	self->state = NCU_SIGNAL_MQTT_RESOLVING;
	if (self->attempt)
		g_cancellable_cancel (self->attempt);
	g_clear_object (&self->attempt);
	self->attempt = g_cancellable_new ();
	g_resolver_lookup_by_name_async (resolver, self->host, self->attempt, on_resolved,
	                                 closure_new (self));
}
