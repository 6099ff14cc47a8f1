/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the MQTT transport shared by its two halves:
 * ncu-signal-mqtt.c runs a client (socket source, callbacks, public API),
 * ncu-signal-mqtt-connect.c makes one (resolve, connect, back-off).
 */
#ifndef NCU_SIGNAL_MQTT_PRIVATE_H
#define NCU_SIGNAL_MQTT_PRIVATE_H

#include <gio/gio.h>
#include <mosquitto.h>

#include "ncu-signal-mqtt.h"

#define NCU_SIGNAL_MQTT_BACKOFF_MIN_MS 1000
#define NCU_SIGNAL_MQTT_BACKOFF_MAX_MS 30000
/* First retry after losing an established connection: within this. */
#define NCU_SIGNAL_MQTT_LOST_RETRY_MS  250
/* A connection whose path broke silently (a NAT that forgot its mapping,
 * an address that went away) would only be noticed after 1.5 keepalives
 * (30 s); an offer stuck in it keeps a peer down. Publishes that get no
 * acknowledgement for this long mean the same: reconnect. */
#define NCU_SIGNAL_MQTT_ACK_TIMEOUT_S  4
#define NCU_SIGNAL_MQTT_ACK_TIMEOUT_US (NCU_SIGNAL_MQTT_ACK_TIMEOUT_S * G_USEC_PER_SEC)
/* A connection check (ncu_signal_mqtt_check) is asked for when the path is
 * already suspect: its acknowledgement gets less time. After a NAT forgot
 * the connection, the broker's earlier sends to us sit in its TCP
 * retransmission back-off (seconds): a fresh connection beats waiting. */
#define NCU_SIGNAL_MQTT_CHECK_TIMEOUT_S  1
#define NCU_SIGNAL_MQTT_CHECK_TIMEOUT_US (NCU_SIGNAL_MQTT_CHECK_TIMEOUT_S * G_USEC_PER_SEC)

typedef enum {
	NCU_SIGNAL_MQTT_IDLE,
	NCU_SIGNAL_MQTT_RESOLVING,
	NCU_SIGNAL_MQTT_CONNECTING,
	NCU_SIGNAL_MQTT_CONNECTED,
	NCU_SIGNAL_MQTT_WAITING,    /* back-off before the next attempt */
	NCU_SIGNAL_MQTT_CLOSED,
} NcuSignalMqttState;

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

	NcuSignalMqttState state;
	gboolean v311;              /* the broker refused MQTT 5 */
	GPtrArray *subscriptions;   /* of char* */
	GCancellable *attempt;      /* the current attempt's resolver/connect */
	struct mosquitto *mosq;
	GSource *source;
	guint retry_id;
	guint backoff_ms;
	guint inflight;             /* QoS 1 publishes not yet acknowledged */
	gint64 ack_wait_since;      /* monotonic µs since which they made no progress; 0: none */
	int check_mid;              /* the connection check awaiting its ack; 0: none */
	gint64 check_deadline;      /* monotonic µs */

	/* recorded inside libmosquitto callbacks, acted on after they return */
	gboolean connack_seen;
	int connack_rc;
	gboolean lost;
	GQueue incoming;            /* messages received, delivered after */

	guint connects;
	guint failures;
	guint64 published;
	guint64 received;
	char *broker_address;
	char *last_error;
};

/* ncu-signal-mqtt.c */
NcuSignalMqtt *ncu_signal_mqtt_ref (NcuSignalMqtt *self);
void ncu_signal_mqtt_unref (NcuSignalMqtt *self);
void ncu_signal_mqtt_set_last_error (NcuSignalMqtt *self, const char *message);
/* For MOSQ_ERR_ERRNO it reads errno: call it right after the failing call. */
const char *ncu_signal_mqtt_describe_rc (int rc);
/* Installs the recording callbacks on a new client. */
void ncu_signal_mqtt_client_init (NcuSignalMqtt *self, struct mosquitto *mosq);
/* Takes a client whose connect is under way and watches its socket. */
void ncu_signal_mqtt_client_run (NcuSignalMqtt *self, struct mosquitto *mosq);
/* Drops the current client (never from inside libmosquitto). */
void ncu_signal_mqtt_client_drop (NcuSignalMqtt *self);

/* ncu-signal-mqtt-connect.c */
void ncu_signal_mqtt_begin_attempt (NcuSignalMqtt *self);
/* Records the failure, drops the client, schedules the next attempt. */
void ncu_signal_mqtt_attempt_failed (NcuSignalMqtt *self, const char *format, ...)
	G_GNUC_PRINTF (2, 3);

#endif /* NCU_SIGNAL_MQTT_PRIVATE_H */
