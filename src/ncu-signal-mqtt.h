/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MQTT transport for signaling: libmosquitto driven from the GLib main
 * loop (no thread of its own), with name resolution through GResolver,
 * reconnection with back-off (the first retry after losing an established
 * connection at once), and subscriptions that survive reconnects.
 * It knows nothing about envelopes: it moves topics and bytes.
 */
#ifndef NCU_SIGNAL_MQTT_H
#define NCU_SIGNAL_MQTT_H

#include <glib.h>

#define NCU_SIGNAL_MQTT_ERROR (ncu_signal_mqtt_error_quark ())
GQuark ncu_signal_mqtt_error_quark (void);

typedef enum {
	NCU_SIGNAL_MQTT_ERROR_CONFIG,         /* a configuration value is unusable */
	NCU_SIGNAL_MQTT_ERROR_NOT_CONNECTED,
	NCU_SIGNAL_MQTT_ERROR_FAILED,         /* libmosquitto refused the request */
} NcuSignalMqttError;

typedef struct {
	const char *host;          /* broker name or address literal */
	guint16 port;
	gboolean tls;              /* mqtts:// */
	const char *ca_file;       /* NULL: the system's CAs (TLS only) */
	const char *username;      /* NULL: none */
	const char *password;      /* secret; NULL: none */
	guint keepalive_s;         /* 0: 20 s; also bounds a connection attempt */
	guint max_packet;          /* largest packet we accept (MQTT 5); 0: 20 KiB */
} NcuSignalMqttConfig;

typedef struct {
	/* A PUBLISH arrived on one of our subscriptions (@len may be 0). */
	void (*message) (const char *topic, const guint8 *data, gsize len, gpointer user_data);
	/* Connected (subscriptions are being renewed) or lost (@reason says why). */
	void (*state) (gboolean connected, const char *reason, gpointer user_data);
} NcuSignalMqttCallbacks;

typedef struct {
	gboolean connected;
	guint connects;            /* connections accepted by the broker */
	guint failures;            /* attempts that failed and connections lost */
	guint64 published;
	guint64 received;
	const char *broker_address; /* last resolved address, NULL before */
	const char *last_error;    /* NULL when none; valid until the next call */
} NcuSignalMqttStats;

typedef struct NcuSignalMqtt NcuSignalMqtt;

/* Copies @config. Checks it (CA file readable, port set) but does not connect. */
NcuSignalMqtt *ncu_signal_mqtt_new (const NcuSignalMqttConfig *config,
                                    const NcuSignalMqttCallbacks *callbacks,
                                    gpointer user_data, GError **error);
/* Starts connecting, and keeps reconnecting (1 s doubling to 30 s, jittered). */
void ncu_signal_mqtt_start (NcuSignalMqtt *mqtt);
/* Subscribes now when connected, and again after every reconnect (QoS 1). */
void ncu_signal_mqtt_subscribe (NcuSignalMqtt *mqtt, const char *filter);
/*
 * QoS 1. @expiry_s > 0 sets the MQTT 5 message expiry. An empty retained
 * message deletes the retained message of @topic.
 */
gboolean ncu_signal_mqtt_publish (NcuSignalMqtt *mqtt, const char *topic,
                                  const void *data, gsize len, gboolean retain,
                                  guint expiry_s, GError **error);
/*
 * Publishes an empty, non-retained message to @topic and expects the
 * broker's acknowledgement within 1 s (a publish gets 4 s): without it, the
 * connection is replaced. One check at a time.
 */
gboolean ncu_signal_mqtt_check (NcuSignalMqtt *mqtt, const char *topic, GError **error);
/*
 * The network under us changed (@why, for the log): an attempt waiting out
 * its back-off is made now; with @drop, a connection is also dropped and
 * made again within a moment (its socket may sit on an address that is
 * gone, and the keepalive would notice only much later).
 */
void ncu_signal_mqtt_reconnect (NcuSignalMqtt *mqtt, gboolean drop, const char *why);
gboolean ncu_signal_mqtt_is_connected (NcuSignalMqtt *mqtt);
void ncu_signal_mqtt_get_stats (NcuSignalMqtt *mqtt, NcuSignalMqttStats *stats);
/*
 * Waits (blocking, at most @timeout_ms) until the broker acknowledged every
 * publish, then disconnects cleanly. Stops reconnecting; idempotent.
 */
void ncu_signal_mqtt_close (NcuSignalMqtt *mqtt, guint timeout_ms);
/* Closes with a short bound if still open, then frees. */
void ncu_signal_mqtt_free (NcuSignalMqtt *mqtt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuSignalMqtt, ncu_signal_mqtt_free)

#endif /* NCU_SIGNAL_MQTT_H */
