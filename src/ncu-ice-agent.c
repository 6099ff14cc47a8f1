/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ICE settings (copied from the config, checked once) and the libnice
 * agent built from them: which servers are used, and how the agent is
 * tuned (DESIGN.md section 5).
 */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <gio/gio.h>

#include "ncu-ice-private.h"
#include "ncu-turn-auth.h"

/* Ta: RFC 8445's floor. Regular nomination costs about three Ta after the
 * first valid check (measured on loopback: 62 ms at libnice's 20 ms
 * default, 17 ms at 5 ms; aggressive nomination: 21 ms at 20 ms). */
#define STUN_PACING_MS 5
#define GATHER_DEADLINE_DEFAULT_MS 500
/* What the TURN REST API draft recommends for time-limited credentials. */
#define TURN_AUTH_LIFETIME_DEFAULT_S 86400

static void
server_clear (NcuIceSettingsServer *server)
{
	g_free (server->host);
}

static gboolean
check_config (const NcuIceConfig *config, NcuCandidateTypes types, GError **error)
{
	gboolean have_turn = FALSE;

	for (guint i = 0; i < config->n_servers; i++) {
		const NcuIceServer *s = config->servers[i];

		if (!s || !s->host || !*s->host || s->port == 0) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			             "ice-servers: server %u has no host or port", i);
			return FALSE;
		}
		have_turn |= s->kind != NCU_ICE_SERVER_STUN;
	}
	if (types == NCU_CANDIDATE_RELAY && !have_turn) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "ice-candidate-types: relay only needs a TURN server in ice-servers");
		return FALSE;
	}
	if (config->port_min > config->port_max) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "ice-port-min: %u is above ice-port-max %u",
		             config->port_min, config->port_max);
		return FALSE;
	}
	return TRUE;
}

static GArray *
copy_servers (const NcuIceConfig *config)
{
	GArray *servers = g_array_new (FALSE, TRUE, sizeof (NcuIceSettingsServer));

	g_array_set_clear_func (servers, (GDestroyNotify) server_clear);
	for (guint i = 0; i < config->n_servers; i++) {
		const NcuIceServer *s = config->servers[i];
		NcuIceSettingsServer copy = { s->kind, g_strdup (s->host), s->port, s->tcp };

		g_array_append_val (servers, copy);
	}
	return servers;
}

NcuIceSettings *
ncu_ice_settings_new (const NcuIceConfig *config, GError **error)
{
	NcuCandidateTypes types = config->candidate_types;
	NcuIceSettings *s;

	if (types == 0)
		types = NCU_CANDIDATE_HOST | NCU_CANDIDATE_SRFLX | NCU_CANDIDATE_RELAY;
	if (!check_config (config, types, error))
		return NULL;

	s = g_new0 (NcuIceSettings, 1);
	s->servers = copy_servers (config);
	s->turn_username = g_strdup (config->turn_username);
	s->turn_password = g_strdup (config->turn_password);
	s->turn_auth_secret = g_strdup (config->turn_auth_secret);
	s->turn_auth_lifetime = config->turn_auth_lifetime ? config->turn_auth_lifetime
	                                                   : TURN_AUTH_LIFETIME_DEFAULT_S;
	s->types = types;
	s->exclude = g_strdupv ((char **) config->exclude_interfaces);
	s->tunnel_interface = g_strdup (config->tunnel_interface);
	s->port_min = config->port_min;
	s->port_max = config->port_max;
	s->loopback_only = config->loopback_only;
	s->stun_with_turn = config->stun_with_turn;
	s->gather_deadline_ms = config->gather_deadline_ms == 0 ? GATHER_DEADLINE_DEFAULT_MS
	                                                        : config->gather_deadline_ms;
	return s;
}

static void
free_secret (char *secret)
{
	if (secret)
		sodium_memzero (secret, strlen (secret));
	g_free (secret);
}

void
ncu_ice_settings_free (NcuIceSettings *s)
{
	if (!s)
		return;
	g_array_unref (s->servers);
	g_free (s->turn_username);
	free_secret (s->turn_password);
	free_secret (s->turn_auth_secret);
	g_strfreev (s->exclude);
	g_free (s->tunnel_interface);
	g_free (s);
}

gboolean
ncu_ice_settings_wants (const NcuIceSettings *s, NiceCandidateType type)
{
	switch (type) {
	case NICE_CANDIDATE_TYPE_HOST:
		return (s->types & NCU_CANDIDATE_HOST) != 0;
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		return (s->types & NCU_CANDIDATE_SRFLX) != 0;
	case NICE_CANDIDATE_TYPE_RELAYED:
		return (s->types & NCU_CANDIDATE_RELAY) != 0;
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
	default:
		return FALSE;
	}
}

/* ---- the agent ---- */

static gboolean
have_server (const NcuIceSettings *s, gboolean turn)
{
	for (guint i = 0; i < s->servers->len; i++) {
		const NcuIceSettingsServer *server = &g_array_index (s->servers, NcuIceSettingsServer, i);

		if ((server->kind != NCU_ICE_SERVER_STUN) == turn)
			return TRUE;
	}
	return FALSE;
}

/* TURN only when relay candidates are wanted: a relay candidate we do not
 * advertise could still end up in a pair. Its allocation also yields the
 * server-reflexive candidate. */
static gboolean
use_turn (const NcuIceSettings *s)
{
	return (s->types & NCU_CANDIDATE_RELAY) && have_server (s, TRUE);
}

/* libnice 0.1.21 with both a STUN and a TURN server spends ~2 s in
 * gathering (it drops the STUN replies arriving on the TURN socket):
 * with TURN in use, STUN is left out. */
static gboolean
use_stun (const NcuIceSettings *s)
{
	if (!(s->types & NCU_CANDIDATE_SRFLX) || !have_server (s, FALSE))
		return FALSE;
	return !use_turn (s) || s->stun_with_turn;
}

static NiceRelayType
relay_type (const NcuIceSettingsServer *server)
{
	if (server->kind == NCU_ICE_SERVER_TURNS)
		return NICE_RELAY_TYPE_TURN_TLS;
	return server->tcp ? NICE_RELAY_TYPE_TURN_TCP : NICE_RELAY_TYPE_TURN_UDP;
}

/*
 * The TURN credentials of a new agent: the static ones, or time-limited
 * ones made now. *@refresh_time: when the latter are due for renewal.
 */
static NcuTurnCredentials *
turn_credentials (const NcuIceSettings *s, gint64 *refresh_time)
{
	NcuTurnCredentials *credentials;
	gint64 now = g_get_real_time () / G_USEC_PER_SEC;

	*refresh_time = 0;
	if (!s->turn_auth_secret) {
		credentials = g_new0 (NcuTurnCredentials, 1);
		credentials->username = g_strdup (s->turn_username ? s->turn_username : "");
		credentials->password = g_strdup (s->turn_password ? s->turn_password : "");
		return credentials;
	}
	credentials = ncu_turn_credentials_new (s->turn_auth_secret, s->turn_username,
	                                        now + s->turn_auth_lifetime);
	*refresh_time = g_get_monotonic_time ()
	                + (gint64) ncu_turn_auth_refresh_after (s->turn_auth_lifetime) * G_USEC_PER_SEC;
	g_debug ("TURN user name %s: valid for %u s", credentials->username, s->turn_auth_lifetime);
	return credentials;
}

static void
configure_servers (const NcuIceSettings *s, NiceAgent *agent, guint stream_id,
                   gint64 *turn_refresh_time)
{
	g_autoptr (NcuTurnCredentials) credentials = NULL;
	gboolean stun_set = FALSE;

	*turn_refresh_time = 0;
	if (use_turn (s))
		credentials = turn_credentials (s, turn_refresh_time);

	for (guint i = 0; i < s->servers->len; i++) {
		const NcuIceSettingsServer *server = &g_array_index (s->servers, NcuIceSettingsServer, i);

		if (server->kind == NCU_ICE_SERVER_STUN) {
			/* libnice takes one STUN server. */
			if (use_stun (s) && !stun_set) {
				g_object_set (agent, "stun-server", server->host,
				              "stun-server-port", (guint) server->port, NULL);
				stun_set = TRUE;
			}
		} else if (use_turn (s)) {
			nice_agent_set_relay_info (agent, stream_id, NCU_ICE_COMPONENT_ID,
			                           server->host, server->port,
			                           credentials->username, credentials->password,
			                           relay_type (server));
		}
	}
}

NiceAgent *
ncu_ice_agent_new (const NcuIceSettings *s, GMainContext *context, gboolean controlling,
                   guint *stream_id, gint64 *turn_refresh_time)
{
	NiceAgent *agent = nice_agent_new_full (context, NICE_COMPATIBILITY_RFC5245,
	                                        NICE_AGENT_OPTION_REGULAR_NOMINATION |
	                                        NICE_AGENT_OPTION_CONSENT_FRESHNESS);

	g_object_set (agent,
	              "controlling-mode", controlling,
	              "upnp", FALSE,
	              "ice-udp", TRUE,
	              "ice-tcp", FALSE,
	              "keepalive-conncheck", TRUE,
	              "stun-pacing-timer", STUN_PACING_MS,
	              /* Relay-only: libnice then neither advertises nor checks
	               * from anything but relay candidates. */
	              "force-relay", s->types == NCU_CANDIDATE_RELAY,
	              NULL);
	*stream_id = nice_agent_add_stream (agent, 1);
	if (s->port_min || s->port_max)
		nice_agent_set_port_range (agent, *stream_id, NCU_ICE_COMPONENT_ID,
		                           s->port_min, s->port_max);
	configure_servers (s, agent, *stream_id, turn_refresh_time);
	return agent;
}
