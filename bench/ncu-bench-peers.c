/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ncu-bench-peers: N simulated peers of one service, in one process, for
 * the scale bench. Each peer has its own key pair, its own signaling
 * session (NcuSignal: its own MQTT connection, sealed envelopes, retained
 * offers) and its own ICE session (NcuIce, with the STUN/TURN servers
 * given), and follows the offer/answer rules of a real peer (DESIGN.md
 * section 4; src/ncu-peer-rules.h, as src/ncu-peer.c does): a fresh offer
 * at start and after a bye or a failure, answers to new remote sessions,
 * glare resolved by the controlling side. There is no WireGuard: data from
 * the service is read and dropped.
 *
 *   ncu-bench-peers --count N --service-key BASE64 --url mqtt://HOST[:PORT]
 *                   [--ice-servers URLS --ice-username U --ice-password-file F]
 *                   [--topic-prefix P] --keys-out FILE --status-file FILE
 *
 * The public keys go to --keys-out, one per line (base64), before the
 * peers start. The status file is rewritten every 250 ms:
 *   peers=N signaling=S gathered=G connected=C sessions=X restarts=R sent=M received=M
 * SIGTERM or SIGINT: say bye (bounded wait), free everything, exit 0.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <sodium.h>

#include "ncu-ice.h"
#include "ncu-liveness-probe.h"
#include "ncu-parse.h"
#include "ncu-peer-rules.h"
#include "ncu-signal.h"

#define RESTART_DELAY_MS 1000
#define STATUS_PERIOD_MS 250
#define CLOSE_TIMEOUT_MS 200

typedef struct _Sim Sim;

typedef struct {
	Sim *sim;
	guint index;
	guint8 private_key[NCU_KEY_LEN];
	guint8 public_key[NCU_KEY_LEN];
	NcuSignal *signal;
	gboolean signal_up;
	NcuIce *ice;
	gboolean controlling;
	NcuPeerRules rules;           /* ours, the one answered, the remote's */
	gboolean gathered;
	gboolean connected;
	guint restart_source;
	guint sessions, restarts;
} SimPeer;

struct _Sim {
	GMainLoop *loop;
	GPtrArray *peers;             /* of SimPeer* */
	guint8 service_key[NCU_KEY_LEN];
	char *broker_host;
	guint16 broker_port;
	const char *topic_prefix;
	GPtrArray *servers;           /* of NcuIceServer* */
	const char *ice_username;
	char *ice_password;           /* secret */
	const char *status_file;
};

static void peer_new_session (SimPeer *peer, const NcuSignalPayload *against);

/* ---- ICE ---- */

static void
on_gathering_done (NcuIce *ice, const char *ufrag, const char *pwd,
                   const char *const *candidates, gpointer user_data)
{
	SimPeer *peer = user_data;
	g_autoptr (NcuSignalPayload) offer = ncu_peer_rules_offer_new (&peer->rules, ufrag, pwd,
	                                                               candidates);
	g_autoptr (GError) error = NULL;

	peer->gathered = TRUE;
	if (!ncu_signal_publish (peer->signal, peer->sim->service_key, offer, &error))
		g_printerr ("peer %u: offer not published: %s\n", peer->index, error->message);
}

static gboolean
on_restart (gpointer user_data)
{
	SimPeer *peer = user_data;

	peer->restart_source = 0;
	peer->restarts++;
	peer_new_session (peer, NULL);
	return G_SOURCE_REMOVE;
}

static void
on_state_changed (NcuIce *ice, NcuIceState state, gpointer user_data)
{
	SimPeer *peer = user_data;

	peer->connected = state == NCU_ICE_STATE_CONNECTED;
	if (state == NCU_ICE_STATE_FAILED && !peer->restart_source)
		peer->restart_source = g_timeout_add (RESTART_DELAY_MS + g_random_int_range (0, 250),
		                                      on_restart, peer);
}

static const NcuIceCallbacks ice_callbacks = {
	.state_changed = on_state_changed,
	.gathering_done = on_gathering_done,
};

static void
on_ice_data (NcuIce *ice, guint8 *buf, gsize len, gpointer user_data)
{
	/* WireGuard's handshakes from the service: nobody here answers. */
}

/* The service's liveness probes (docs/signaling.md section 9) are echoed as
 * a peer's service would: else its watchdog takes the silent WireGuard for
 * a dead path and restarts ICE, which no real peer would cause. */
static void
on_probe (NcuIce *ice, guint8 *buf, gsize len, gpointer user_data)
{
	const char *ufrag, *local_pwd, *remote_pwd;
	guint8 local_key[NCU_LIVENESS_KEY_LEN], remote_key[NCU_LIVENESS_KEY_LEN];
	guint8 nonce[NCU_LIVENESS_NONCE_LEN], reply[NCU_LIVENESS_PROBE_LEN];
	NcuLivenessProbeType type;

	if (!ncu_ice_get_local_credentials (ice, &ufrag, &local_pwd) ||
	    !ncu_ice_get_remote_credentials (ice, &ufrag, &remote_pwd))
		return;
	ncu_liveness_key_derive (local_pwd, local_key);
	if (!ncu_liveness_probe_parse (buf, len, local_key, &type, nonce) ||
	    type != NCU_LIVENESS_PROBE_REQUEST)
		return;
	ncu_liveness_key_derive (remote_pwd, remote_key);
	ncu_liveness_probe_build (reply, NCU_LIVENESS_PROBE_REPLY, nonce, remote_key);
	ncu_ice_send (ice, reply, sizeof reply);
}

static NcuIce *
peer_create_ice (SimPeer *peer, GError **error)
{
	Sim *sim = peer->sim;
	NcuIceConfig config = {
		.servers = (NcuIceServer *const *) sim->servers->pdata,
		.n_servers = sim->servers->len,
		.turn_username = sim->ice_username,
		.turn_password = sim->ice_password,
	};
	NcuIce *ice = ncu_ice_new (NULL, &config, peer->controlling, error);

	if (ice) {
		ncu_ice_set_callbacks (ice, &ice_callbacks, peer);
		ncu_ice_set_recv_func (ice, on_ice_data, peer);
		ncu_ice_set_control_func (ice, ncu_liveness_probe_magic (), on_probe, peer);
	}
	return ice;
}

/* ---- the offer/answer rules (src/ncu-peer-rules.h) ---- */

static void
peer_apply_remote (SimPeer *peer, const NcuSignalPayload *offer)
{
	g_autoptr (GError) error = NULL;
	g_autofree const char **cands = g_new0 (const char *, offer->candidates->len + 1);

	for (guint i = 0; i < offer->candidates->len; i++)
		cands[i] = g_ptr_array_index (offer->candidates, i);
	if (!ncu_ice_set_remote (peer->ice, offer->ufrag, offer->pwd, cands, &error)) {
		g_printerr ("peer %u: offer refused: %s\n", peer->index, error->message);
		return;
	}
	peer->rules.remote_session = offer->session_id;
}

static void
peer_new_session (SimPeer *peer, const NcuSignalPayload *against)
{
	g_autoptr (GError) error = NULL;
	gboolean first = peer->rules.local_session == 0;

	g_clear_handle_id (&peer->restart_source, g_source_remove);
	ncu_peer_rules_begin (&peer->rules, against);
	peer->gathered = FALSE;
	peer->connected = FALSE;
	peer->sessions++;
	if (!(first ? ncu_ice_gather (peer->ice, &error) : ncu_ice_restart (peer->ice, &error))) {
		g_printerr ("peer %u: no ICE session: %s\n", peer->index, error->message);
		peer->restart_source = g_timeout_add (RESTART_DELAY_MS, on_restart, peer);
		return;
	}
	if (against)
		peer_apply_remote (peer, against);
}

static void
peer_handle (SimPeer *peer, const NcuSignalPayload *payload)
{
	switch (ncu_peer_rules_judge (&peer->rules, peer->controlling, payload)) {
	case NCU_PEER_RULES_IGNORE:
	case NCU_PEER_RULES_GLARE:
		break;
	case NCU_PEER_RULES_BYE:
	case NCU_PEER_RULES_STALE:
		peer_new_session (peer, NULL);
		break;
	case NCU_PEER_RULES_REFRESH:
	case NCU_PEER_RULES_ANSWER:
		peer_apply_remote (peer, payload);
		break;
	case NCU_PEER_RULES_NEW_REMOTE:
		peer_new_session (peer, payload);
		break;
	}
}

/* ---- signaling ---- */

static void
on_signal_message (const guint8 peer_key[NCU_KEY_LEN], const NcuSignalPayload *payload,
                   gpointer user_data)
{
	SimPeer *peer = user_data;

	if (memcmp (peer_key, peer->sim->service_key, NCU_KEY_LEN) == 0)
		peer_handle (peer, payload);
}

static void
on_signal_state (gboolean connected, gpointer user_data)
{
	SimPeer *peer = user_data;

	peer->signal_up = connected;
}

static const NcuSignalCallbacks signal_callbacks = {
	.message = on_signal_message,
	.state = on_signal_state,
};

static SimPeer *
peer_new (Sim *sim, guint index, GError **error)
{
	SimPeer *peer = g_new0 (SimPeer, 1);
	NcuSignalConfig config = {
		.host = sim->broker_host,
		.port = sim->broker_port,
		.topic_prefix = sim->topic_prefix,
		.private_key = peer->private_key,
		.close_timeout_ms = CLOSE_TIMEOUT_MS,
	};

	peer->sim = sim;
	peer->index = index;
	crypto_box_keypair (peer->public_key, peer->private_key);
	/* The larger public key controls ICE. */
	peer->controlling = memcmp (peer->public_key, sim->service_key, NCU_KEY_LEN) > 0;
	peer->signal = ncu_signal_new (&config, &signal_callbacks, peer, error);
	if (!peer->signal || !ncu_signal_add_peer (peer->signal, sim->service_key, error)
	    || !(peer->ice = peer_create_ice (peer, error))) {
		g_prefix_error (error, "peer %u: ", index);
		return peer;   /* the caller frees it */
	}
	return peer;
}

static void
peer_free (SimPeer *peer)
{
	g_clear_handle_id (&peer->restart_source, g_source_remove);
	g_clear_pointer (&peer->signal, ncu_signal_free);
	g_clear_pointer (&peer->ice, ncu_ice_free);
	sodium_memzero (peer->private_key, sizeof peer->private_key);
	g_free (peer);
}

/* ---- the process ---- */

static gboolean
write_status (gpointer user_data)
{
	Sim *sim = user_data;
	guint up = 0, gathered = 0, connected = 0, sessions = 0, restarts = 0;
	guint64 sent = 0, received = 0;
	g_autofree char *text = NULL;
	g_autoptr (GError) error = NULL;

	for (guint i = 0; i < sim->peers->len; i++) {
		SimPeer *peer = g_ptr_array_index (sim->peers, i);
		NcuSignalStats stats;

		ncu_signal_get_stats (peer->signal, &stats);
		up += peer->signal_up;
		gathered += peer->gathered;
		connected += peer->connected;
		sessions += peer->sessions;
		restarts += peer->restarts;
		sent += stats.sent;
		received += stats.received;
	}
	text = g_strdup_printf ("peers=%u signaling=%u gathered=%u connected=%u sessions=%u "
	                        "restarts=%u sent=%" G_GUINT64_FORMAT " received=%" G_GUINT64_FORMAT "\n",
	                        sim->peers->len, up, gathered, connected, sessions, restarts,
	                        sent, received);
	if (!g_file_set_contents (sim->status_file, text, -1, &error))
		g_printerr ("status: %s\n", error->message);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
	g_main_loop_quit (((Sim *) user_data)->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
read_secret_file (const char *path, char **out, GError **error)
{
	gsize len;

	if (!g_file_get_contents (path, out, &len, error))
		return FALSE;
	g_strchomp (*out);
	return TRUE;
}

static gboolean
write_keys (Sim *sim, const char *path, GError **error)
{
	g_autoptr (GString) text = g_string_new (NULL);

	for (guint i = 0; i < sim->peers->len; i++) {
		SimPeer *peer = g_ptr_array_index (sim->peers, i);
		g_autofree char *key = ncu_key_to_base64 (peer->public_key);

		g_string_append_printf (text, "%s\n", key);
	}
	return g_file_set_contents (path, text->str, (gssize) text->len, error);
}

int
main (int argc, char **argv)
{
	gint count = 1;
	g_autofree char *service_key = NULL, *url = NULL, *ice_servers = NULL, *ice_username = NULL;
	g_autofree char *password_file = NULL, *prefix = NULL, *keys_out = NULL, *status_file = NULL;
	GOptionEntry entries[] = {
		{ "count", 'n', 0, G_OPTION_ARG_INT, &count, "Number of peers", "N" },
		{ "service-key", 0, 0, G_OPTION_ARG_STRING, &service_key, "The service's public key", "BASE64" },
		{ "url", 0, 0, G_OPTION_ARG_STRING, &url, "Signaling broker", "mqtt://HOST[:PORT]" },
		{ "ice-servers", 0, 0, G_OPTION_ARG_STRING, &ice_servers, "STUN/TURN URLs", "URLS" },
		{ "ice-username", 0, 0, G_OPTION_ARG_STRING, &ice_username, "TURN user", "U" },
		{ "ice-password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "TURN password in a file", "F" },
		{ "topic-prefix", 0, 0, G_OPTION_ARG_STRING, &prefix, "Signaling topic prefix", "P" },
		{ "keys-out", 0, 0, G_OPTION_ARG_FILENAME, &keys_out, "Write the public keys here", "F" },
		{ "status-file", 0, 0, G_OPTION_ARG_FILENAME, &status_file, "Status written here", "F" },
		{ NULL }
	};
	g_autoptr (GOptionContext) options = g_option_context_new ("- simulated peers for the scale bench");
	g_autoptr (GError) error = NULL;
	Sim sim = { 0 };
	gboolean tls = FALSE;
	guint status_source;
	int status = 1;

	g_option_context_add_main_entries (options, entries, NULL);
	if (!g_option_context_parse (options, &argc, &argv, &error)) {
		g_printerr ("%s\n", error->message);
		return 2;
	}
	if (sodium_init () < 0 || count < 1 || count > NCU_MAX_PEERS || !service_key || !url
	    || !keys_out || !status_file || !ncu_key_from_base64 (service_key, sim.service_key)) {
		g_printerr ("needs --count 1-%d, --service-key, --url, --keys-out, --status-file\n",
		            NCU_MAX_PEERS);
		return 2;
	}
	sim.servers = g_ptr_array_new_with_free_func ((GDestroyNotify) ncu_ice_server_free);
	sim.peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free);
	sim.topic_prefix = prefix;
	sim.ice_username = ice_username;
	sim.status_file = status_file;
	sim.loop = g_main_loop_new (NULL, FALSE);
	if (!ncu_parse_mqtt_url ("--url", url, &tls, &sim.broker_host, &sim.broker_port, &error)
	    || (ice_servers && !ncu_parse_ice_servers ("--ice-servers", ice_servers, sim.servers, &error))
	    || (password_file && !read_secret_file (password_file, &sim.ice_password, &error)))
		goto out;
	if (tls) {
		g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "--url: mqtts is not supported here");
		goto out;
	}
	for (gint i = 0; i < count; i++) {
		SimPeer *peer = peer_new (&sim, i, &error);

		g_ptr_array_add (sim.peers, peer);
		if (error)
			goto out;
	}
	if (!write_keys (&sim, keys_out, &error))
		goto out;
	for (guint i = 0; i < sim.peers->len; i++) {
		SimPeer *peer = g_ptr_array_index (sim.peers, i);

		ncu_signal_start (peer->signal);
		peer_new_session (peer, NULL);
	}
	g_unix_signal_add (SIGTERM, on_quit_signal, &sim);
	g_unix_signal_add (SIGINT, on_quit_signal, &sim);
	status_source = g_timeout_add (STATUS_PERIOD_MS, write_status, &sim);
	write_status (&sim);
	g_main_loop_run (sim.loop);
	g_source_remove (status_source);
	status = 0;
out:
	if (error)
		g_printerr ("ncu-bench-peers: %s\n", error->message);
	g_ptr_array_unref (sim.peers);
	g_ptr_array_unref (sim.servers);
	g_main_loop_unref (sim.loop);
	g_free (sim.broker_host);
	if (sim.ice_password) {
		sodium_memzero (sim.ice_password, strlen (sim.ice_password));
		g_free (sim.ice_password);
	}
	return status;
}
