/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MQTT transport in the GLib main loop.
 *
 * libmosquitto is used without its own thread: a GSource watches the
 * client's socket (for writing only while mosquitto_want_write() says so)
 * and calls mosquitto_loop_read/_write, and once a second
 * mosquitto_loop_misc for keepalives. A fresh client is made for every
 * connection attempt, so nothing of a lost connection (queued packets,
 * in-flight messages) leaks into the next one; the signaling session
 * republishes what matters after each reconnect.
 *
 * Nothing is torn down inside a libmosquitto callback: callbacks only
 * record what happened (CONNACK, loss, messages), and the dispatch acts on
 * it once libmosquitto has returned. User callbacks therefore run outside
 * libmosquitto and may publish, or even free the transport.
 *
 * Name resolution: libmosquitto resolves with a blocking getaddrinfo().
 * We resolve with GResolver first and hand libmosquitto the address. TLS
 * must verify the certificate against the name, so for mqtts:// with a
 * host name libmosquitto gets the name, and its connect call (which
 * resolves again) runs in a GTask worker thread while the main loop goes
 * on; the client is not touched by the main thread until it returns.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sodium.h>

#include "ncu-signal-mqtt.h"

#define DEFAULT_KEEPALIVE_S   20
#define DEFAULT_MAX_PACKET    (20 * 1024)
#define BACKOFF_MIN_MS        1000
#define BACKOFF_MAX_MS        30000
#define READ_BUDGET           64      /* packets per wake-up, so a flood cannot starve the loop */
#define FREE_CLOSE_TIMEOUT_MS 1000

G_DEFINE_QUARK (ncu-signal-mqtt-error-quark, ncu_signal_mqtt_error)

typedef enum {
	STATE_IDLE,
	STATE_RESOLVING,
	STATE_CONNECTING,
	STATE_CONNECTED,
	STATE_WAITING,    /* back-off before the next attempt */
	STATE_CLOSED,
} State;

typedef struct {
	char *topic;
	GBytes *data;
} Incoming;

typedef struct {
	GSource source;
	NcuSignalMqtt *mqtt;
	gpointer tag;
	gint64 next_tick;
} MqttSource;

struct NcuSignalMqtt {
	char *host;
	guint16 port;
	gboolean tls;
	char *ca_file;
	char *username;
	char *password;
	guint keepalive_s;
	guint max_packet;
	NcuSignalMqttCallbacks cb;
	gpointer user_data;

	State state;
	gboolean v311;              /* the broker refused MQTT 5 */
	GPtrArray *subscriptions;   /* of char* */
	GCancellable *attempt;      /* the current attempt's resolver/connect */
	struct mosquitto *mosq;
	GSource *source;
	guint retry_id;
	guint backoff_ms;
	guint inflight;             /* QoS 1 publishes not yet acknowledged */

	/* recorded inside libmosquitto callbacks, acted on after they return */
	gboolean connack_seen;
	int connack_rc;
	gboolean lost;
	GQueue incoming;            /* of Incoming* */

	guint connects;
	guint failures;
	guint64 published;
	guint64 received;
	char *broker_address;
	char *last_error;
};

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

static void begin_attempt (NcuSignalMqtt *self);

/* ---- lifetime ---- */

static NcuSignalMqtt *
mqtt_ref (NcuSignalMqtt *self)
{
	return g_rc_box_acquire (self);
}

static void
incoming_free (gpointer data)
{
	Incoming *in = data;

	g_free (in->topic);
	g_bytes_unref (in->data);
	g_free (in);
}

static void
mqtt_finalize (gpointer data)
{
	NcuSignalMqtt *self = data;

	g_assert (!self->mosq && !self->source && !self->retry_id);
	g_clear_object (&self->attempt);
	g_queue_clear_full (&self->incoming, incoming_free);
	g_ptr_array_unref (self->subscriptions);
	if (self->password)
		sodium_memzero (self->password, strlen (self->password));
	g_free (self->password);
	g_free (self->host);
	g_free (self->ca_file);
	g_free (self->username);
	g_free (self->broker_address);
	g_free (self->last_error);
}

static void
mqtt_unref (NcuSignalMqtt *self)
{
	g_rc_box_release_full (self, mqtt_finalize);
}

static Closure *
closure_new (NcuSignalMqtt *self)
{
	Closure *c = g_new (Closure, 1);

	c->mqtt = mqtt_ref (self);
	c->attempt = g_object_ref (self->attempt);
	return c;
}

/* Whether the step still belongs to the live, current attempt. */
static gboolean
closure_current (const Closure *c)
{
	return c->mqtt->state != STATE_CLOSED && c->attempt == c->mqtt->attempt
	       && !g_cancellable_is_cancelled (c->attempt);
}

static void
closure_free (Closure *c)
{
	g_object_unref (c->attempt);
	mqtt_unref (c->mqtt);
	g_free (c);
}

static void
set_last_error (NcuSignalMqtt *self, const char *message)
{
	g_free (self->last_error);
	self->last_error = g_strdup (message);
	g_debug ("signaling: %s", message);
}

static const char *
describe_rc (int rc)
{
	/* MOSQ_ERR_ERRNO means "see errno"; read it before anything else runs. */
	return rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc);
}

/* ---- libmosquitto callbacks: record only ---- */

static void
on_connect (struct mosquitto *mosq, void *data, int rc, int flags,
            const mosquitto_property *props)
{
	NcuSignalMqtt *self = data;

	self->connack_seen = TRUE;
	self->connack_rc = rc;
}

static void
on_disconnect (struct mosquitto *mosq, void *data, int rc, const mosquitto_property *props)
{
	NcuSignalMqtt *self = data;

	self->lost = TRUE;
}

static void
on_message (struct mosquitto *mosq, void *data, const struct mosquitto_message *msg,
            const mosquitto_property *props)
{
	NcuSignalMqtt *self = data;
	Incoming *in;

	/* A message may share a read with the CONNACK that precedes it. */
	if ((self->state != STATE_CONNECTED && self->state != STATE_CONNECTING) || !msg->topic)
		return;
	in = g_new (Incoming, 1);
	in->topic = g_strdup (msg->topic);
	in->data = g_bytes_new (msg->payload, msg->payloadlen > 0 ? (gsize) msg->payloadlen : 0);
	g_queue_push_tail (&self->incoming, in);
}

static void
on_publish (struct mosquitto *mosq, void *data, int mid, int reason,
            const mosquitto_property *props)
{
	NcuSignalMqtt *self = data;

	if (self->inflight > 0)
		self->inflight--;
	if (reason >= 0x80)
		set_last_error (self, "the broker refused a publish (not authorized?)");
}

static void
on_subscribe (struct mosquitto *mosq, void *data, int mid, int count,
              const int *granted, const mosquitto_property *props)
{
	NcuSignalMqtt *self = data;

	for (int i = 0; i < count; i++) {
		if (granted[i] >= 0x80)
			set_last_error (self, "the broker refused our subscription (not authorized?)");
	}
}

static void
on_log (struct mosquitto *mosq, void *data, int level, const char *text)
{
	if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
		g_debug ("signaling: libmosquitto: %s", text);
}

/* ---- the socket source ---- */

static void handle_io (NcuSignalMqtt *self, GIOCondition revents, gboolean tick);

static gboolean
source_prepare (GSource *source, gint *timeout)
{
	MqttSource *ms = (MqttSource *) source;
	GIOCondition events = G_IO_IN;

	if (ms->mqtt->mosq && mosquitto_want_write (ms->mqtt->mosq))
		events |= G_IO_OUT;
	g_source_modify_unix_fd (source, ms->tag, events);
	*timeout = -1;
	return FALSE;
}

static gboolean
source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
	MqttSource *ms = (MqttSource *) source;
	gint64 now = g_source_get_time (source);
	gboolean tick = now >= ms->next_tick;

	if (tick) {
		ms->next_tick = now + G_USEC_PER_SEC;
		g_source_set_ready_time (source, ms->next_tick);
	}
	handle_io (ms->mqtt, g_source_query_unix_fd (source, ms->tag), tick);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = {
	.prepare = source_prepare,
	.dispatch = source_dispatch,
};

static void
attach_source (NcuSignalMqtt *self)
{
	GSource *source = g_source_new (&source_funcs, sizeof (MqttSource));
	MqttSource *ms = (MqttSource *) source;

	ms->mqtt = self;
	ms->tag = g_source_add_unix_fd (source, mosquitto_socket (self->mosq), G_IO_IN);
	ms->next_tick = g_get_monotonic_time () + G_USEC_PER_SEC;
	g_source_set_ready_time (source, ms->next_tick);
	g_source_set_name (source, "ncu-signal-mqtt");
	g_source_attach (source, NULL);
	self->source = source;
}

/* Drops the client of the current attempt (never from inside libmosquitto). */
static void
drop_client (NcuSignalMqtt *self)
{
	if (self->source) {
		g_source_destroy (self->source);
		g_clear_pointer (&self->source, g_source_unref);
	}
	g_clear_pointer (&self->mosq, mosquitto_destroy);
	g_queue_clear_full (&self->incoming, incoming_free);
	self->inflight = 0;
	self->connack_seen = FALSE;
	self->lost = FALSE;
}

/* ---- attempts and back-off ---- */

static gboolean
on_retry (gpointer data)
{
	NcuSignalMqtt *self = data;

	self->retry_id = 0;
	begin_attempt (self);
	return G_SOURCE_REMOVE;
}

static void
schedule_retry (NcuSignalMqtt *self, guint delay_ms)
{
	self->state = STATE_WAITING;
	self->retry_id = g_timeout_add (delay_ms, on_retry, self);
}

/* Jittered exponential back-off: within +-25 % of 1 s, 2 s, 4 s ... 30 s. */
static guint
next_backoff (NcuSignalMqtt *self)
{
	guint base = self->backoff_ms;

	self->backoff_ms = MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);
	return base - base / 4 + g_random_int_range (0, (gint32) (base / 2) + 1);
}

static void G_GNUC_PRINTF (2, 3)
attempt_failed (NcuSignalMqtt *self, const char *format, ...)
{
	g_autofree char *message = NULL;
	gboolean was_connected = self->state == STATE_CONNECTED;
	va_list args;

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);

	self->failures++;
	set_last_error (self, message);
	drop_client (self);
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
		*error = g_strdup_printf ("cannot configure the MQTT client: %s", describe_rc (rc));
		mosquitto_destroy (mosq);
		return NULL;
	}
	if (!self->v311)
		set_max_packet (self, mosq);
	mosquitto_connect_v5_callback_set (mosq, on_connect);
	mosquitto_disconnect_v5_callback_set (mosq, on_disconnect);
	mosquitto_message_v5_callback_set (mosq, on_message);
	mosquitto_publish_v5_callback_set (mosq, on_publish);
	mosquitto_subscribe_v5_callback_set (mosq, on_subscribe);
	mosquitto_log_callback_set (mosq, on_log);
	return mosq;
}

/* The non-blocking connect returned: wait for CONNACK on the socket. */
static void
client_started (NcuSignalMqtt *self, struct mosquitto *mosq, int rc, const char *error)
{
	if (rc != MOSQ_ERR_SUCCESS) {
		mosquitto_destroy (mosq);
		attempt_failed (self, "cannot connect to the signaling broker %s port %u: %s",
		                self->host, self->port, error);
		return;
	}
	self->mosq = mosq;
	self->state = STATE_CONNECTING;
	attach_source (self);
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
		job->error = g_strdup (describe_rc (job->rc));
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
		attempt_failed (self, "%s", error);
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
		g_task_set_return_on_cancel (task, FALSE);
		g_task_run_in_thread (task, connect_thread);
		return;
	}
	rc = mosquitto_connect_async (mosq, address, self->port, (int) self->keepalive_s);
	client_started (self, mosq, rc, rc == MOSQ_ERR_SUCCESS ? NULL : describe_rc (rc));
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
		attempt_failed (self, "cannot resolve the signaling broker %s: %s",
		                self->host, error->message);
	} else {
		g_free (self->broker_address);
		self->broker_address = g_inet_address_to_string (addresses->data);
		connect_client (self, self->broker_address);
	}
	g_resolver_free_addresses (addresses);
	closure_free (c);
}

static void
begin_attempt (NcuSignalMqtt *self)
{
	g_autoptr (GResolver) resolver = g_resolver_get_default ();

	self->state = STATE_RESOLVING;
	if (self->attempt)
		g_cancellable_cancel (self->attempt);
	g_clear_object (&self->attempt);
	self->attempt = g_cancellable_new ();
	g_resolver_lookup_by_name_async (resolver, self->host, self->attempt, on_resolved,
	                                 closure_new (self));
}

/* ---- events on a live client ---- */

static void
connection_accepted (NcuSignalMqtt *self)
{
	self->state = STATE_CONNECTED;
	self->connects++;
	self->backoff_ms = BACKOFF_MIN_MS;
	g_clear_pointer (&self->last_error, g_free);
	g_debug ("signaling: connected to %s port %u (MQTT %s)", self->host, self->port,
	         self->v311 ? "3.1.1" : "5");
	for (guint i = 0; i < self->subscriptions->len; i++)
		mosquitto_subscribe_v5 (self->mosq, NULL, self->subscriptions->pdata[i], 1, 0, NULL);
	if (self->cb.state)
		self->cb.state (TRUE, NULL, self->user_data);
}

static void
handle_connack (NcuSignalMqtt *self)
{
	int rc = self->connack_rc;

	self->connack_seen = FALSE;
	if (rc == 0) {
		connection_accepted (self);
	} else if (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION && !self->v311) {
		/* An MQTT 3.1.1 broker: retry at once in its protocol. */
		self->v311 = TRUE;
		set_last_error (self, "the broker does not speak MQTT 5, using 3.1.1");
		drop_client (self);
		begin_attempt (self);
	} else {
		attempt_failed (self, "the signaling broker refused the connection: %s",
		                mosquitto_reason_string (rc));
	}
}

/* Reads up to READ_BUDGET packets, until the socket would block. */
static int
read_some (NcuSignalMqtt *self)
{
	int rc = MOSQ_ERR_SUCCESS;

	for (int i = 0; i < READ_BUDGET && self->mosq && !self->lost; i++) {
		/* loop_read stops early when errno is EAGAIN: start it clean. */
		errno = 0;
		rc = mosquitto_loop_read (self->mosq, 1);
		if (rc != MOSQ_ERR_SUCCESS || errno == EAGAIN || errno == EWOULDBLOCK)
			break;
	}
	return rc;
}

static void
deliver_incoming (NcuSignalMqtt *self)
{
	Incoming *in;

	while (self->state == STATE_CONNECTED && (in = g_queue_pop_head (&self->incoming))) {
		gsize len;
		const guint8 *data = g_bytes_get_data (in->data, &len);

		self->received++;
		if (self->cb.message)
			self->cb.message (in->topic, data, len, self->user_data);
		incoming_free (in);
	}
}

static void
handle_io (NcuSignalMqtt *self, GIOCondition revents, gboolean tick)
{
	int rc;

	mqtt_ref (self);
	rc = read_some (self);
	if (rc == MOSQ_ERR_SUCCESS && self->mosq && !self->lost && mosquitto_want_write (self->mosq))
		rc = mosquitto_loop_write (self->mosq, READ_BUDGET);
	if (rc == MOSQ_ERR_SUCCESS && self->mosq && !self->lost && tick)
		rc = mosquitto_loop_misc (self->mosq);
	/* A dead socket (refused, reset) may not make libmosquitto fail, e.g.
	 * in a TLS handshake: count it as lost once what it held was read. */
	if (rc != MOSQ_ERR_SUCCESS || (revents & (G_IO_ERR | G_IO_HUP)))
		self->lost = TRUE;

	if (self->connack_seen)
		handle_connack (self);
	deliver_incoming (self);
	if (self->lost && self->mosq && self->state != STATE_CLOSED)
		attempt_failed (self, "lost the signaling broker %s port %u%s%s", self->host,
		                self->port, rc ? ": " : "", rc ? describe_rc (rc) : "");
	mqtt_unref (self);
}

/* ---- public API ---- */

NcuSignalMqtt *
ncu_signal_mqtt_new (const NcuSignalMqttConfig *config, const NcuSignalMqttCallbacks *callbacks,
                     gpointer user_data, GError **error)
{
	static gsize lib_initialized;
	NcuSignalMqtt *self;

	if (!config->host || !*config->host || config->port == 0) {
		g_set_error (error, NCU_SIGNAL_MQTT_ERROR, NCU_SIGNAL_MQTT_ERROR_CONFIG,
		             "signaling-url: no broker host and port");
		return NULL;
	}
	if (config->ca_file && access (config->ca_file, R_OK) != 0) {
		int saved = errno;
		g_set_error (error, NCU_SIGNAL_MQTT_ERROR, NCU_SIGNAL_MQTT_ERROR_CONFIG,
		             "signaling-ca-file: cannot read %s: %s", config->ca_file,
		             g_strerror (saved));
		return NULL;
	}
	if (g_once_init_enter (&lib_initialized)) {
		mosquitto_lib_init ();
		g_once_init_leave (&lib_initialized, 1);
	}

	self = g_rc_box_new0 (NcuSignalMqtt);
	self->host = g_strdup (config->host);
	self->port = config->port;
	self->tls = config->tls;
	self->ca_file = g_strdup (config->ca_file);
	self->username = g_strdup (config->username);
	self->password = g_strdup (config->password);
	self->keepalive_s = config->keepalive_s ? MAX (config->keepalive_s, 5) : DEFAULT_KEEPALIVE_S;
	self->max_packet = config->max_packet ? config->max_packet : DEFAULT_MAX_PACKET;
	if (callbacks)
		self->cb = *callbacks;
	self->user_data = user_data;
	self->state = STATE_IDLE;
	self->subscriptions = g_ptr_array_new_with_free_func (g_free);
	self->backoff_ms = BACKOFF_MIN_MS;
	g_queue_init (&self->incoming);
	return self;
}

void
ncu_signal_mqtt_start (NcuSignalMqtt *self)
{
	if (self->state == STATE_IDLE)
		begin_attempt (self);
}

void
ncu_signal_mqtt_subscribe (NcuSignalMqtt *self, const char *filter)
{
	g_ptr_array_add (self->subscriptions, g_strdup (filter));
	if (self->state == STATE_CONNECTED)
		mosquitto_subscribe_v5 (self->mosq, NULL, filter, 1, 0, NULL);
}

gboolean
ncu_signal_mqtt_publish (NcuSignalMqtt *self, const char *topic, const void *data, gsize len,
                         gboolean retain, guint expiry_s, GError **error)
{
	mosquitto_property *props = NULL;
	int rc;

	if (self->state != STATE_CONNECTED) {
		g_set_error (error, NCU_SIGNAL_MQTT_ERROR, NCU_SIGNAL_MQTT_ERROR_NOT_CONNECTED,
		             "not connected to the signaling broker");
		return FALSE;
	}
	if (expiry_s > 0 && !self->v311)
		mosquitto_property_add_int32 (&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, expiry_s);
	rc = mosquitto_publish_v5 (self->mosq, NULL, topic, (int) len, data, 1, retain, props);
	mosquitto_property_free_all (&props);
	if (rc != MOSQ_ERR_SUCCESS) {
		g_set_error (error, NCU_SIGNAL_MQTT_ERROR, NCU_SIGNAL_MQTT_ERROR_FAILED,
		             "cannot publish to the signaling broker: %s", describe_rc (rc));
		return FALSE;
	}
	self->inflight++;
	self->published++;
	return TRUE;
}

gboolean
ncu_signal_mqtt_is_connected (NcuSignalMqtt *self)
{
	return self->state == STATE_CONNECTED;
}

void
ncu_signal_mqtt_get_stats (NcuSignalMqtt *self, NcuSignalMqttStats *stats)
{
	stats->connected = self->state == STATE_CONNECTED;
	stats->connects = self->connects;
	stats->failures = self->failures;
	stats->published = self->published;
	stats->received = self->received;
	stats->broker_address = self->broker_address;
	stats->last_error = self->last_error;
}

/* One blocking step of the close sequence: FALSE when the socket is gone. */
static gboolean
pump_until (NcuSignalMqtt *self, gint64 deadline)
{
	struct pollfd pfd = { .fd = mosquitto_socket (self->mosq), .events = POLLIN };
	gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;

	if (left_ms <= 0 || pfd.fd < 0)
		return FALSE;
	if (mosquitto_want_write (self->mosq))
		pfd.events |= POLLOUT;
	if (poll (&pfd, 1, (int) left_ms) < 0 && errno != EINTR)
		return FALSE;
	if ((pfd.revents & (POLLIN | POLLERR | POLLHUP))
	    && mosquitto_loop_read (self->mosq, 1) != MOSQ_ERR_SUCCESS)
		return FALSE;
	if ((pfd.revents & POLLOUT) && mosquitto_loop_write (self->mosq, READ_BUDGET) != MOSQ_ERR_SUCCESS)
		return FALSE;
	return !self->lost;
}

void
ncu_signal_mqtt_close (NcuSignalMqtt *self, guint timeout_ms)
{
	gboolean was_connected = self->state == STATE_CONNECTED;
	gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

	if (self->state == STATE_CLOSED)
		return;
	self->state = STATE_CLOSED;
	if (self->attempt)
		g_cancellable_cancel (self->attempt);
	g_clear_handle_id (&self->retry_id, g_source_remove);
	if (was_connected) {
		/* Wait for the PUBACKs: the retained offers must be gone for sure. */
		while (self->inflight > 0 && pump_until (self, deadline))
			;
		if (!self->lost && mosquitto_disconnect_v5 (self->mosq, 0, NULL) == MOSQ_ERR_SUCCESS) {
			while (mosquitto_want_write (self->mosq) && pump_until (self, deadline))
				;
		}
		g_debug ("signaling: disconnected (%u publishes unacknowledged)", self->inflight);
	}
	drop_client (self);
}

void
ncu_signal_mqtt_free (NcuSignalMqtt *self)
{
	if (!self)
		return;
	ncu_signal_mqtt_close (self, FREE_CLOSE_TIMEOUT_MS);
	self->cb.message = NULL;
	self->cb.state = NULL;
	mqtt_unref (self);
}
