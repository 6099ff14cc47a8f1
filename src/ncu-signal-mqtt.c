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
 * Making the connection (resolution, TLS, back-off) is in
 * ncu-signal-mqtt-connect.c.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <mqtt_protocol.h>
#include <sodium.h>

#include "ncu-signal-mqtt-private.h"
#include "ncu-source.h"

#define DEFAULT_KEEPALIVE_S   20
#define DEFAULT_MAX_PACKET    (20 * 1024)
#define READ_BUDGET           64      /* packets per wake-up, so a flood cannot starve the loop */
#define FREE_CLOSE_TIMEOUT_MS 1000

G_DEFINE_QUARK (ncu-signal-mqtt-error-quark, ncu_signal_mqtt_error)

typedef struct {
	char *topic;
	GBytes *data;
} Incoming;

typedef struct {
	GSource source;
	NcuSignalMqtt *mqtt;
	gpointer tag;
	GIOCondition events;          /* what tag watches now */
	gint64 next_tick;
} MqttSource;

/* ---- lifetime ---- */

NcuSignalMqtt *
ncu_signal_mqtt_ref (NcuSignalMqtt *self)
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

void
ncu_signal_mqtt_unref (NcuSignalMqtt *self)
{
	g_rc_box_release_full (self, mqtt_finalize);
}

void
ncu_signal_mqtt_set_last_error (NcuSignalMqtt *self, const char *message)
{
	g_free (self->last_error);
	self->last_error = g_strdup (message);
	g_debug ("signaling: %s", message);
}

const char *
ncu_signal_mqtt_describe_rc (int rc)
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
	if ((self->state != NCU_SIGNAL_MQTT_CONNECTED && self->state != NCU_SIGNAL_MQTT_CONNECTING) || !msg->topic)
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
	if (mid == self->check_mid)
		self->check_mid = 0;
	self->ack_wait_since = self->inflight > 0 ? g_get_monotonic_time () : 0;
	if (reason >= 0x80)
		ncu_signal_mqtt_set_last_error (self, "the broker refused a publish (not authorized?)");
}

static void
on_subscribe (struct mosquitto *mosq, void *data, int mid, int count,
              const int *granted, const mosquitto_property *props)
{
	NcuSignalMqtt *self = data;

	for (int i = 0; i < count; i++) {
		if (granted[i] >= 0x80)
			ncu_signal_mqtt_set_last_error (self, "the broker refused our subscription (not authorized?)");
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
	/* Modifying the fd wakes the main loop: only when the wish changed,
	 * or an idle service spins (tens of thousands of syscalls a second). */
	if (ms->events != events) {
		g_source_modify_unix_fd (source, ms->tag, events);
		ms->events = events;
	}
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
	ms->events = G_IO_IN;
	ms->next_tick = g_get_monotonic_time () + G_USEC_PER_SEC;
	g_source_set_ready_time (source, ms->next_tick);
	g_source_set_name (source, "ncu-signal-mqtt");
	g_source_attach (source, NULL);
	self->source = source;
}

void
ncu_signal_mqtt_client_init (NcuSignalMqtt *self, struct mosquitto *mosq)
{
	mosquitto_connect_v5_callback_set (mosq, on_connect);
	mosquitto_disconnect_v5_callback_set (mosq, on_disconnect);
	mosquitto_message_v5_callback_set (mosq, on_message);
	mosquitto_publish_v5_callback_set (mosq, on_publish);
	mosquitto_subscribe_v5_callback_set (mosq, on_subscribe);
	mosquitto_log_callback_set (mosq, on_log);
}

void
ncu_signal_mqtt_client_run (NcuSignalMqtt *self, struct mosquitto *mosq)
{
	self->mosq = mosq;
	self->state = NCU_SIGNAL_MQTT_CONNECTING;
	attach_source (self);
}

void
ncu_signal_mqtt_client_drop (NcuSignalMqtt *self)
{
	ncu_source_clear (&self->source);
	g_clear_pointer (&self->mosq, mosquitto_destroy);
	g_queue_clear_full (&self->incoming, incoming_free);
	self->inflight = 0;
	self->ack_wait_since = 0;
	self->check_mid = 0;
	self->connack_seen = FALSE;
	self->lost = FALSE;
}

/* ---- events on a live client ---- */

static void
connection_accepted (NcuSignalMqtt *self)
{
	self->state = NCU_SIGNAL_MQTT_CONNECTED;
	self->connects++;
	self->backoff_ms = NCU_SIGNAL_MQTT_BACKOFF_MIN_MS;
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
		ncu_signal_mqtt_set_last_error (self, "the broker does not speak MQTT 5, using 3.1.1");
		ncu_signal_mqtt_client_drop (self);
		ncu_signal_mqtt_begin_attempt (self);
	} else {
		ncu_signal_mqtt_attempt_failed (self, "the signaling broker refused the connection: %s",
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

	while (self->state == NCU_SIGNAL_MQTT_CONNECTED && (in = g_queue_pop_head (&self->incoming))) {
		gsize len;
		const guint8 *data = g_bytes_get_data (in->data, &len);

		self->received++;
		if (self->cb.message)
			self->cb.message (in->topic, data, len, self->user_data);
		incoming_free (in);
	}
}

static gboolean
acks_overdue (NcuSignalMqtt *self)
{
	return self->state == NCU_SIGNAL_MQTT_CONNECTED && self->inflight > 0 &&
	       g_get_monotonic_time () - self->ack_wait_since > NCU_SIGNAL_MQTT_ACK_TIMEOUT_US;
}

static gboolean
check_overdue (NcuSignalMqtt *self)
{
	return self->state == NCU_SIGNAL_MQTT_CONNECTED && self->check_mid != 0 &&
	       g_get_monotonic_time () > self->check_deadline;
}

static void
handle_io (NcuSignalMqtt *self, GIOCondition revents, gboolean tick)
{
	const char *stalled = NULL;
	int rc;

	ncu_signal_mqtt_ref (self);
	rc = read_some (self);
	if (rc == MOSQ_ERR_SUCCESS && self->mosq && !self->lost && mosquitto_want_write (self->mosq))
		rc = mosquitto_loop_write (self->mosq, READ_BUDGET);
	if (rc == MOSQ_ERR_SUCCESS && self->mosq && !self->lost && tick)
		rc = mosquitto_loop_misc (self->mosq);
	/* A dead socket (refused, reset) may not make libmosquitto fail, e.g.
	 * in a TLS handshake: count it as lost once what it held was read. */
	if (rc != MOSQ_ERR_SUCCESS || (revents & (G_IO_ERR | G_IO_HUP)))
		self->lost = TRUE;
	if (tick && !self->lost && acks_overdue (self))
		stalled = "acknowledged no publish for " G_STRINGIFY (NCU_SIGNAL_MQTT_ACK_TIMEOUT_S) " s";
	else if (tick && !self->lost && check_overdue (self))
		stalled = "did not acknowledge a connection check within "
		          G_STRINGIFY (NCU_SIGNAL_MQTT_CHECK_TIMEOUT_S) " s";
	if (stalled)
		self->lost = TRUE;

	if (self->connack_seen)
		handle_connack (self);
	deliver_incoming (self);
	if (self->lost && self->mosq && self->state != NCU_SIGNAL_MQTT_CLOSED && stalled)
		ncu_signal_mqtt_attempt_failed (self, "the signaling broker %s port %u %s: reconnecting",
		                                self->host, self->port, stalled);
	else if (self->lost && self->mosq && self->state != NCU_SIGNAL_MQTT_CLOSED)
		ncu_signal_mqtt_attempt_failed (self, "lost the signaling broker %s port %u%s%s", self->host,
		                self->port, rc ? ": " : "", rc ? ncu_signal_mqtt_describe_rc (rc) : "");
	ncu_signal_mqtt_unref (self);
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
	self->state = NCU_SIGNAL_MQTT_IDLE;
	self->subscriptions = g_ptr_array_new_with_free_func (g_free);
	self->backoff_ms = NCU_SIGNAL_MQTT_BACKOFF_MIN_MS;
	g_queue_init (&self->incoming);
	return self;
}

void
ncu_signal_mqtt_start (NcuSignalMqtt *self)
{
	if (self->state == NCU_SIGNAL_MQTT_IDLE)
		ncu_signal_mqtt_begin_attempt (self);
}

void
ncu_signal_mqtt_subscribe (NcuSignalMqtt *self, const char *filter)
{
	g_ptr_array_add (self->subscriptions, g_strdup (filter));
	if (self->state == NCU_SIGNAL_MQTT_CONNECTED)
		mosquitto_subscribe_v5 (self->mosq, NULL, filter, 1, 0, NULL);
}

static gboolean
publish (NcuSignalMqtt *self, const char *topic, const void *data, gsize len, gboolean retain,
         guint expiry_s, int *mid, GError **error)
{
	mosquitto_property *props = NULL;
	int rc;

	if (self->state != NCU_SIGNAL_MQTT_CONNECTED) {
		g_set_error (error, NCU_SIGNAL_MQTT_ERROR, NCU_SIGNAL_MQTT_ERROR_NOT_CONNECTED,
		             "not connected to the signaling broker");
		return FALSE;
	}
	if (expiry_s > 0 && !self->v311)
		mosquitto_property_add_int32 (&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, expiry_s);
	rc = mosquitto_publish_v5 (self->mosq, mid, topic, (int) len, data, 1, retain, props);
	mosquitto_property_free_all (&props);
	if (rc != MOSQ_ERR_SUCCESS) {
		g_set_error (error, NCU_SIGNAL_MQTT_ERROR, NCU_SIGNAL_MQTT_ERROR_FAILED,
		             "cannot publish to the signaling broker: %s", ncu_signal_mqtt_describe_rc (rc));
		return FALSE;
	}
	if (self->inflight++ == 0)
		self->ack_wait_since = g_get_monotonic_time ();
	self->published++;
	return TRUE;
}

gboolean
ncu_signal_mqtt_publish (NcuSignalMqtt *self, const char *topic, const void *data, gsize len,
                         gboolean retain, guint expiry_s, GError **error)
{
	return publish (self, topic, data, len, retain, expiry_s, NULL, error);
}

gboolean
ncu_signal_mqtt_check (NcuSignalMqtt *self, const char *topic, GError **error)
{
	int mid = 0;

	if (self->check_mid != 0 && self->state == NCU_SIGNAL_MQTT_CONNECTED)
		return TRUE;  /* one is on its way */
	if (!publish (self, topic, NULL, 0, FALSE, 0, &mid, error))
		return FALSE;
	self->check_mid = mid;
	self->check_deadline = g_get_monotonic_time () + NCU_SIGNAL_MQTT_CHECK_TIMEOUT_US;
	return TRUE;
}

gboolean
ncu_signal_mqtt_is_connected (NcuSignalMqtt *self)
{
	return self->state == NCU_SIGNAL_MQTT_CONNECTED;
}

void
ncu_signal_mqtt_get_stats (NcuSignalMqtt *self, NcuSignalMqttStats *stats)
{
	stats->connected = self->state == NCU_SIGNAL_MQTT_CONNECTED;
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
	gboolean was_connected = self->state == NCU_SIGNAL_MQTT_CONNECTED;
	gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

	if (self->state == NCU_SIGNAL_MQTT_CLOSED)
		return;
	self->state = NCU_SIGNAL_MQTT_CLOSED;
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
	ncu_signal_mqtt_client_drop (self);
}

void
ncu_signal_mqtt_free (NcuSignalMqtt *self)
{
	if (!self)
		return;
	ncu_signal_mqtt_close (self, FREE_CLOSE_TIMEOUT_MS);
	self->cb.message = NULL;
	self->cb.state = NULL;
	ncu_signal_mqtt_unref (self);
}
