/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The signaling session: envelopes + payloads + MQTT transport, per peer
 * state for the replay and age rules (see ncu-signal.h), counters.
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-signal.h"
#include "ncu-signal-envelope.h"
#include "ncu-signal-mqtt.h"

#define OLD_SESSIONS 8            /* previous sessions remembered per peer */
#define DEFAULT_CLOSE_TIMEOUT_MS 1000

G_DEFINE_QUARK (ncu-signal-error-quark, ncu_signal_error)

typedef struct {
	guint8 key[NCU_KEY_LEN];
	char *key_text;               /* unpadded base64url */
	char *topic_out;              /* <prefix>/v1/<peer>/<us> */
	NcuSignalBox *box;

	/* receive side */
	gboolean seen;
	guint64 session;              /* current session and its last message */
	guint64 sequence;
	gint64 timestamp;
	guint64 old_sessions[OLD_SESSIONS];
	guint old_next;
	NcuSignalPayload *last_delivered;

	/* send side */
	NcuSignalPayload *offer;      /* current offer, republished on reconnects */
	gboolean clear_pending;       /* withdrawn while offline: delete on connect */

	NcuSignalPeerStats stats;
} Peer;

struct NcuSignal {
	guint8 private_key[NCU_KEY_LEN];
	guint8 public_key[NCU_KEY_LEN];
	char *prefix;
	char *topic_in_prefix;        /* <prefix>/v1/<us>/ */
	char *topic_check;            /* <prefix>/v1/<us>/<us>: our connection checks */
	gint64 last_check_us;
	guint expiry_s;
	guint skew_s;
	guint close_timeout_ms;
	NcuSignalCallbacks cb;
	gpointer user_data;
	NcuSignalClockFunc clock;
	gpointer clock_data;

	NcuSignalMqtt *mqtt;
	GHashTable *peers;            /* key_text -> Peer* */
	guint64 sequence;             /* last sequence we sealed */
	guint refresh_id;

	guint64 received, delivered, unchanged, cleared, sent;
	guint64 dropped[NCU_SIGNAL_N_DROPS];
};

static const char *const verdict_names[] = {
	[NCU_SIGNAL_DROP_NOT_PEER] = "not-a-peer",
	[NCU_SIGNAL_DROP_BAD_ENVELOPE] = "bad-envelope",
	[NCU_SIGNAL_DROP_FAILED_OPEN] = "failed-open",
	[NCU_SIGNAL_DROP_BAD_PAYLOAD] = "bad-payload",
	[NCU_SIGNAL_DROP_REPLAY] = "replay",
	[NCU_SIGNAL_DROP_TOO_OLD] = "too-old",
	[NCU_SIGNAL_DROP_FUTURE] = "future",
	[NCU_SIGNAL_DROP_WRONG_RECIPIENT] = "wrong-recipient",
	[NCU_SIGNAL_DELIVERED] = "delivered",
	[NCU_SIGNAL_UNCHANGED] = "unchanged",
	[NCU_SIGNAL_CLEARED] = "cleared",
};

const char *
ncu_signal_verdict_to_string (NcuSignalVerdict verdict)
{
	if ((guint) verdict < G_N_ELEMENTS (verdict_names))
		return verdict_names[verdict];
	return "unknown";
}

static char *
key_text (const guint8 key[NCU_KEY_LEN])
{
	return ncu_key_to_base64url (key);
}

static void
peer_free (gpointer data)
{
	Peer *peer = data;

	ncu_signal_box_free (peer->box);
	g_clear_pointer (&peer->last_delivered, ncu_signal_payload_free);
	g_clear_pointer (&peer->offer, ncu_signal_payload_free);
	g_free (peer->key_text);
	g_free (peer->topic_out);
	g_free (peer);
}

static Peer *
find_peer (NcuSignal *self, const guint8 key[NCU_KEY_LEN])
{
	g_autofree char *text = key_text (key);

	return g_hash_table_lookup (self->peers, text);
}

static gint64
now_s (NcuSignal *self)
{
	return self->clock ? self->clock (self->clock_data) : g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- sending ---- */

GBytes *
ncu_signal_seal (NcuSignal *self, const guint8 peer_key[NCU_KEY_LEN],
                 const NcuSignalPayload *payload, char **topic, GError **error)
{
	Peer *peer = find_peer (self, peer_key);
	g_autoptr (NcuSignalPayload) stamped = NULL;
	g_autoptr (GBytes) plain = NULL;
	GBytes *sealed;

	if (!peer) {
		g_set_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_UNKNOWN_PEER,
		             "signaling: not a configured peer");
		return NULL;
	}
	stamped = ncu_signal_payload_copy (payload);
	stamped->sequence = ++self->sequence;
	stamped->timestamp = now_s (self);
	memcpy (stamped->recipient, peer->key, NCU_KEY_LEN);
	plain = ncu_signal_payload_encode (stamped, error);
	if (!plain)
		return NULL;
	sealed = ncu_signal_envelope_seal (peer->box, g_bytes_get_data (plain, NULL),
	                                   g_bytes_get_size (plain), error);
	/* The plaintext holds the ICE password. */
	sodium_memzero ((gpointer) g_bytes_get_data (plain, NULL), g_bytes_get_size (plain));
	if (sealed && topic)
		*topic = g_strdup (peer->topic_out);
	return sealed;
}

static gboolean
publish_sealed (NcuSignal *self, Peer *peer, GBytes *sealed, gboolean retain, GError **error)
{
	if (!ncu_signal_mqtt_publish (self->mqtt, peer->topic_out, g_bytes_get_data (sealed, NULL),
	                              g_bytes_get_size (sealed), retain,
	                              retain ? self->expiry_s : 0, error))
		return FALSE;
	self->sent++;
	peer->stats.sent++;
	return TRUE;
}

static gboolean
send_sealed (NcuSignal *self, Peer *peer, const NcuSignalPayload *payload, gboolean retain,
             GError **error)
{
	g_autoptr (GBytes) sealed = ncu_signal_seal (self, peer->key, payload, NULL, error);

	return sealed && publish_sealed (self, peer, sealed, retain, error);
}

/* Deletes the retained copy of our offer to @peer on the broker. */
static void
clear_retained (NcuSignal *self, Peer *peer)
{
	g_autoptr (GError) error = NULL;

	if (!ncu_signal_mqtt_publish (self->mqtt, peer->topic_out, NULL, 0, TRUE, 0, &error))
		g_debug ("signaling: cannot delete the retained offer: %s", error->message);
}

static void
send_offer (NcuSignal *self, Peer *peer)
{
	g_autoptr (GError) error = NULL;

	if (!ncu_signal_mqtt_is_connected (self->mqtt))
		return;
	if (peer->clear_pending) {
		clear_retained (self, peer);
		peer->clear_pending = FALSE;
	}
	if (peer->offer && !send_sealed (self, peer, peer->offer, TRUE, &error))
		g_debug ("signaling: offer to %s not sent: %s", peer->key_text, error->message);
}

static void
send_all_offers (NcuSignal *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, self->peers);
	while (g_hash_table_iter_next (&iter, NULL, &value))
		send_offer (self, value);
}

/* Retained offers expire on the broker: renew them well before. */
static gboolean
on_refresh (gpointer data)
{
	send_all_offers (data);
	return G_SOURCE_CONTINUE;
}

gboolean
ncu_signal_publish (NcuSignal *self, const guint8 peer_key[NCU_KEY_LEN],
                    const NcuSignalPayload *payload, GError **error)
{
	Peer *peer = find_peer (self, peer_key);
	g_autoptr (GBytes) sealed = NULL;
	g_autoptr (GError) local = NULL;

	if (!peer) {
		g_set_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_UNKNOWN_PEER,
		             "signaling: not a configured peer");
		return FALSE;
	}
	/* Sealing checks every field: what a peer would refuse is refused
	 * here, even while offline. */
	sealed = ncu_signal_seal (self, peer_key, payload, NULL, error);
	if (!sealed)
		return FALSE;
	g_clear_pointer (&peer->offer, ncu_signal_payload_free);
	if (payload->type == NCU_SIGNAL_TYPE_OFFER)
		peer->offer = ncu_signal_payload_copy (payload);
	if (!ncu_signal_mqtt_is_connected (self->mqtt)) {
		/* The offer goes out, or its retained copy is deleted, on connect. */
		peer->clear_pending = payload->type == NCU_SIGNAL_TYPE_BYE;
		return TRUE;
	}
	peer->clear_pending = FALSE;
	if (payload->type == NCU_SIGNAL_TYPE_BYE)
		clear_retained (self, peer);
	if (!publish_sealed (self, peer, sealed, payload->type == NCU_SIGNAL_TYPE_OFFER, &local))
		g_debug ("signaling: to %s: %s", peer->key_text, local->message);
	return TRUE;
}

/* ---- receiving ---- */

static gboolean
is_old_session (const Peer *peer, guint64 session)
{
	for (guint i = 0; i < OLD_SESSIONS; i++) {
		if (peer->old_sessions[i] == session)
			return TRUE;
	}
	return FALSE;
}

/* The replay and age rules of ncu-signal.h. */
static NcuSignalVerdict
check_fresh (NcuSignal *self, const Peer *peer, const NcuSignalPayload *p)
{
	gint64 now = now_s (self);

	if (p->timestamp > now + self->skew_s)
		return NCU_SIGNAL_DROP_FUTURE;
	if (p->timestamp < now - (gint64) self->expiry_s - self->skew_s)
		return NCU_SIGNAL_DROP_TOO_OLD;
	if (!peer->seen)
		return NCU_SIGNAL_DELIVERED;
	if (p->session_id == peer->session)
		return p->sequence <= peer->sequence ? NCU_SIGNAL_DROP_REPLAY : NCU_SIGNAL_DELIVERED;
	if (is_old_session (peer, p->session_id) || p->timestamp + self->skew_s < peer->timestamp)
		return NCU_SIGNAL_DROP_REPLAY;
	return NCU_SIGNAL_DELIVERED;
}

static void
accept_message (Peer *peer, const NcuSignalPayload *p)
{
	if (peer->seen && p->session_id != peer->session) {
		peer->old_sessions[peer->old_next] = peer->session;
		peer->old_next = (peer->old_next + 1) % OLD_SESSIONS;
	}
	peer->seen = TRUE;
	peer->session = p->session_id;
	peer->sequence = p->sequence;
	peer->timestamp = MAX (peer->timestamp, p->timestamp);
}

static NcuSignalVerdict
open_and_check (NcuSignal *self, Peer *peer, const guint8 *data, gsize len,
                NcuSignalPayload **out)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalPayload) payload = NULL;
	guint8 sender[NCU_KEY_LEN];
	guint8 *plain;
	gsize plain_len = 0;
	NcuSignalVerdict verdict;

	if (!ncu_signal_envelope_peek (data, len, sender, &error)
	    || sodium_memcmp (sender, peer->key, NCU_KEY_LEN) != 0)
		return NCU_SIGNAL_DROP_BAD_ENVELOPE;
	plain = ncu_signal_envelope_open (peer->box, data, len, &plain_len, &error);
	if (!plain)
		return NCU_SIGNAL_DROP_FAILED_OPEN;
	payload = ncu_signal_payload_decode (plain, plain_len, &error);
	sodium_memzero (plain, plain_len);
	g_free (plain);
	if (!payload) {
		g_debug ("signaling: from %s: %s", peer->key_text, error->message);
		return NCU_SIGNAL_DROP_BAD_PAYLOAD;
	}
	if (sodium_memcmp (payload->recipient, self->public_key, NCU_KEY_LEN) != 0)
		return NCU_SIGNAL_DROP_WRONG_RECIPIENT;
	verdict = check_fresh (self, peer, payload);
	if (verdict == NCU_SIGNAL_DELIVERED)
		*out = g_steal_pointer (&payload);
	return verdict;
}

/* Logs drops at 1, 10, 100, ... per reason: a flood cannot flood the log. */
static void
log_drop (NcuSignal *self, NcuSignalVerdict verdict, const char *sender)
{
	guint64 n = self->dropped[verdict];

	while (n % 10 == 0 && n > 1)
		n /= 10;
	if (n == 1)
		g_debug ("signaling: dropped a message from %s: %s (%" G_GUINT64_FORMAT " so far)",
		         sender ? sender : "an unknown sender", ncu_signal_verdict_to_string (verdict),
		         self->dropped[verdict]);
}

static NcuSignalVerdict
count (NcuSignal *self, Peer *peer, NcuSignalVerdict verdict)
{
	if (verdict < NCU_SIGNAL_N_DROPS) {
		self->dropped[verdict]++;
		if (peer)
			peer->stats.dropped++;
		log_drop (self, verdict, peer ? peer->key_text : NULL);
	} else if (verdict == NCU_SIGNAL_UNCHANGED) {
		self->unchanged++;
	} else if (verdict == NCU_SIGNAL_CLEARED) {
		self->cleared++;
	}
	return verdict;
}

NcuSignalVerdict
ncu_signal_receive (NcuSignal *self, const char *topic, const guint8 *data, gsize len)
{
	g_autoptr (NcuSignalPayload) payload = NULL;
	gsize prefix_len = strlen (self->topic_in_prefix);
	NcuSignalVerdict verdict;
	Peer *peer;

	/* Our own connection check, back through our subscription. */
	if (len == 0 && strcmp (topic, self->topic_check) == 0)
		return NCU_SIGNAL_UNCHANGED;
	self->received++;
	if (strncmp (topic, self->topic_in_prefix, prefix_len) != 0)
		return count (self, NULL, NCU_SIGNAL_DROP_WRONG_RECIPIENT);
	peer = g_hash_table_lookup (self->peers, topic + prefix_len);
	if (!peer)
		return count (self, NULL, NCU_SIGNAL_DROP_NOT_PEER);
	peer->stats.received++;
	if (len == 0)
		return count (self, peer, NCU_SIGNAL_CLEARED);

	verdict = open_and_check (self, peer, data, len, &payload);
	if (verdict != NCU_SIGNAL_DELIVERED)
		return count (self, peer, verdict);
	accept_message (peer, payload);
	if (peer->last_delivered && ncu_signal_payload_same_content (peer->last_delivered, payload))
		return count (self, peer, NCU_SIGNAL_UNCHANGED);

	g_clear_pointer (&peer->last_delivered, ncu_signal_payload_free);
	peer->last_delivered = ncu_signal_payload_copy (payload);
	peer->stats.delivered++;
	peer->stats.last_delivered = now_s (self);
	self->delivered++;
	if (self->cb.message)
		self->cb.message (peer->key, payload, self->user_data);
	return NCU_SIGNAL_DELIVERED;
}

/* ---- transport callbacks ---- */

static void
on_mqtt_message (const char *topic, const guint8 *data, gsize len, gpointer user_data)
{
	ncu_signal_receive (user_data, topic, data, len);
}

static void
on_mqtt_state (gboolean connected, const char *reason, gpointer user_data)
{
	NcuSignal *self = user_data;

	if (connected)
		send_all_offers (self);
	else
		g_message ("signaling: %s (reconnecting)", reason);
	if (self->cb.state)
		self->cb.state (connected, self->user_data);
}

/* ---- setup and teardown ---- */

static gboolean
check_prefix (const char *prefix, GError **error)
{
	gsize len = strlen (prefix);

	if (len == 0 || len > NCU_SIGNAL_TOPIC_PREFIX_MAX || prefix[0] == '/'
	    || prefix[len - 1] == '/' || strpbrk (prefix, "+#")) {
		g_set_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_CONFIG,
		             "signaling-topic-prefix: not a usable MQTT topic prefix");
		return FALSE;
	}
	for (gsize i = 0; i < len; i++) {
		if (g_ascii_iscntrl (prefix[i])) {
			g_set_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_CONFIG,
			             "signaling-topic-prefix: contains a control character");
			return FALSE;
		}
	}
	return TRUE;
}

void
ncu_signal_config_from_profile (NcuSignalConfig *config, const NcuProfile *profile)
{
	memset (config, 0, sizeof *config);
	config->host = profile->signaling_host;
	config->port = profile->signaling_port;
	config->tls = profile->signaling_tls;
	config->ca_file = profile->signaling_ca_file;
	config->username = profile->signaling_username;
	config->password = profile->signaling_password;
	config->topic_prefix = profile->signaling_topic_prefix;
	config->private_key = profile->private_key;
}

NcuSignal *
ncu_signal_new (const NcuSignalConfig *config, const NcuSignalCallbacks *callbacks,
                gpointer user_data, GError **error)
{
	NcuSignalMqttConfig mqtt_config = {
		.host = config->host,
		.port = config->port,
		.tls = config->tls,
		.ca_file = config->ca_file,
		.username = config->username,
		.password = config->password,
		.keepalive_s = config->keepalive_s,
	};
	static const NcuSignalMqttCallbacks mqtt_callbacks = {
		.message = on_mqtt_message,
		.state = on_mqtt_state,
	};
	const char *prefix = config->topic_prefix ? config->topic_prefix
	                                          : NCU_SIGNAL_DEFAULT_TOPIC_PREFIX;
	g_autoptr (NcuSignal) self = NULL;
	g_autofree char *own = NULL;

	if (sodium_init () < 0) {
		g_set_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_CONFIG,
		             "libsodium cannot be initialized");
		return NULL;
	}
	if (!config->private_key) {
		g_set_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_CONFIG,
		             "private-key: missing");
		return NULL;
	}
	if (!check_prefix (prefix, error))
		return NULL;

	self = g_new0 (NcuSignal, 1);
	self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, peer_free);
	memcpy (self->private_key, config->private_key, NCU_KEY_LEN);
	ncu_key_public_from_private (self->private_key, self->public_key);
	self->prefix = g_strdup (prefix);
	own = key_text (self->public_key);
	self->topic_in_prefix = g_strdup_printf ("%s/v1/%s/", prefix, own);
	self->topic_check = g_strdup_printf ("%s/v1/%s/%s", prefix, own, own);
	self->expiry_s = config->expiry_s ? config->expiry_s : NCU_SIGNAL_DEFAULT_EXPIRY_S;
	self->skew_s = config->skew_s ? config->skew_s : NCU_SIGNAL_DEFAULT_SKEW_S;
	self->close_timeout_ms = config->close_timeout_ms ? config->close_timeout_ms
	                                                  : DEFAULT_CLOSE_TIMEOUT_MS;
	if (callbacks)
		self->cb = *callbacks;
	self->user_data = user_data;
	self->mqtt = ncu_signal_mqtt_new (&mqtt_config, &mqtt_callbacks, self, error);
	if (!self->mqtt)
		return NULL;
	return g_steal_pointer (&self);
}

void
ncu_signal_set_clock (NcuSignal *self, NcuSignalClockFunc func, gpointer user_data)
{
	self->clock = func;
	self->clock_data = user_data;
}

const guint8 *
ncu_signal_get_public_key (NcuSignal *self)
{
	return self->public_key;
}

gboolean
ncu_signal_add_peer (NcuSignal *self, const guint8 peer_key[NCU_KEY_LEN], GError **error)
{
	g_autoptr (GError) box_error = NULL;
	g_autofree char *own = NULL;
	Peer *peer;

	if (sodium_memcmp (peer_key, self->public_key, NCU_KEY_LEN) == 0 || find_peer (self, peer_key)) {
		g_set_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_CONFIG,
		             "public-key: peer listed twice, or our own key");
		return FALSE;
	}
	peer = g_new0 (Peer, 1);
	memcpy (peer->key, peer_key, NCU_KEY_LEN);
	peer->key_text = key_text (peer_key);
	peer->box = ncu_signal_box_new (self->private_key, peer_key, &box_error);
	if (!peer->box) {
		g_set_error (error, NCU_SIGNAL_ERROR, NCU_SIGNAL_ERROR_CONFIG,
		             "public-key: %s", box_error->message);
		peer_free (peer);
		return FALSE;
	}
	own = key_text (self->public_key);
	peer->topic_out = g_strdup_printf ("%s/v1/%s/%s", self->prefix, peer->key_text, own);
	g_hash_table_insert (self->peers, peer->key_text, peer);
	return TRUE;
}

void
ncu_signal_reconnect (NcuSignal *self, gboolean drop, const char *why)
{
	ncu_signal_mqtt_reconnect (self->mqtt, drop, why);
}

void
ncu_signal_start (NcuSignal *self)
{
	g_autofree char *filter = NULL;

	if (self->refresh_id)
		return;
	filter = g_strdup_printf ("%s+", self->topic_in_prefix);
	ncu_signal_mqtt_subscribe (self->mqtt, filter);
	self->refresh_id = g_timeout_add_seconds (MAX (self->expiry_s / 2, 1), on_refresh, self);
	ncu_signal_mqtt_start (self->mqtt);
}

void
ncu_signal_get_stats (NcuSignal *self, NcuSignalStats *stats)
{
	NcuSignalMqttStats mqtt;

	ncu_signal_mqtt_get_stats (self->mqtt, &mqtt);
	memset (stats, 0, sizeof *stats);
	stats->connected = mqtt.connected;
	stats->connects = mqtt.connects;
	stats->connect_failures = mqtt.failures;
	stats->broker_address = mqtt.broker_address;
	stats->last_error = mqtt.last_error;
	stats->received = self->received;
	stats->delivered = self->delivered;
	stats->unchanged = self->unchanged;
	stats->cleared = self->cleared;
	stats->sent = self->sent;
	memcpy (stats->dropped, self->dropped, sizeof stats->dropped);
}

GVariant *
ncu_signal_get_status (NcuSignal *self)
{
	NcuSignalStats s;
	GVariantBuilder b;
	guint64 total = 0;

	ncu_signal_get_stats (self, &s);
	g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add (&b, "{sv}", "connected", g_variant_new_boolean (s.connected));
	g_variant_builder_add (&b, "{sv}", "connects", g_variant_new_uint32 (s.connects));
	if (s.broker_address)
		g_variant_builder_add (&b, "{sv}", "broker-address", g_variant_new_string (s.broker_address));
	if (s.last_error)
		g_variant_builder_add (&b, "{sv}", "last-error", g_variant_new_string (s.last_error));
	g_variant_builder_add (&b, "{sv}", "received", g_variant_new_uint64 (s.received));
	g_variant_builder_add (&b, "{sv}", "delivered", g_variant_new_uint64 (s.delivered));
	g_variant_builder_add (&b, "{sv}", "unchanged", g_variant_new_uint64 (s.unchanged));
	g_variant_builder_add (&b, "{sv}", "cleared", g_variant_new_uint64 (s.cleared));
	g_variant_builder_add (&b, "{sv}", "sent", g_variant_new_uint64 (s.sent));
	for (int i = 0; i < NCU_SIGNAL_N_DROPS; i++) {
		g_autofree char *key = g_strdup_printf ("dropped-%s", ncu_signal_verdict_to_string (i));

		g_variant_builder_add (&b, "{sv}", key, g_variant_new_uint64 (s.dropped[i]));
		total += s.dropped[i];
	}
	g_variant_builder_add (&b, "{sv}", "dropped", g_variant_new_uint64 (total));
	return g_variant_builder_end (&b);
}

gboolean
ncu_signal_get_peer_stats (NcuSignal *self, const guint8 peer_key[NCU_KEY_LEN],
                           NcuSignalPeerStats *stats)
{
	Peer *peer = find_peer (self, peer_key);

	if (!peer)
		return FALSE;
	*stats = peer->stats;
	return TRUE;
}

/* Says bye for each current offer and deletes its retained copy. */
static void
withdraw_offers (NcuSignal *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, self->peers);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		Peer *peer = value;
		g_autoptr (NcuSignalPayload) bye = NULL;
		g_autoptr (GError) error = NULL;

		if (!peer->offer)
			continue;
		bye = ncu_signal_payload_new (NCU_SIGNAL_TYPE_BYE);
		bye->session_id = peer->offer->session_id;
		bye->remote_session_id = peer->offer->remote_session_id;
		clear_retained (self, peer);
		if (!send_sealed (self, peer, bye, FALSE, &error))
			g_debug ("signaling: no bye to %s: %s", peer->key_text, error->message);
	}
}

/* At most one connection check per this interval. */
#define CHECK_INTERVAL_US (2 * G_USEC_PER_SEC)

void
ncu_signal_check_connection (NcuSignal *self, const char *why)
{
	g_autoptr (GError) error = NULL;
	gint64 now = g_get_monotonic_time ();

	if (self->last_check_us && now - self->last_check_us < CHECK_INTERVAL_US)
		return;
	self->last_check_us = now;
	/* To ourselves as the sender (what a per-member ACL lets us write):
	 * the broker acknowledges it and hands it back. */
	if (!ncu_signal_mqtt_check (self->mqtt, self->topic_check, &error)) {
		g_debug ("signaling: no connection check (%s): %s", why, error->message);
		return;
	}
	g_debug ("signaling: checking the broker connection (%s)", why);
}

void
ncu_signal_free (NcuSignal *self)
{
	if (!self)
		return;
	g_clear_handle_id (&self->refresh_id, g_source_remove);
	if (self->mqtt) {
		if (ncu_signal_mqtt_is_connected (self->mqtt))
			withdraw_offers (self);
		ncu_signal_mqtt_close (self->mqtt, self->close_timeout_ms);
		ncu_signal_mqtt_free (self->mqtt);
	}
	g_hash_table_unref (self->peers);
	sodium_memzero (self->private_key, sizeof self->private_key);
	g_free (self->prefix);
	g_free (self->topic_in_prefix);
	g_free (self->topic_check);
	g_free (self);
}
