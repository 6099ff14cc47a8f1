/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the ICE module (src/ncu-ice-util.c) that do not need an
 * agent: which local addresses to gather on, checking remote strings.
 */
#ifndef NCU_ICE_PRIVATE_H
#define NCU_ICE_PRIVATE_H

#include <glib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <nice/agent.h>
#include "ncu-ice.h"
#include "ncu-udp.h"

#define NCU_ICE_COMPONENT_ID 1

/* ---- settings and agent (src/ncu-ice-agent.c) ---- */

typedef struct {
	NcuIceServerKind kind;
	char *host;
	guint16 port;
	gboolean tcp;
} NcuIceSettingsServer;

/* The config, copied and checked. */
typedef struct {
	GArray *servers;               /* of NcuIceSettingsServer */
	char *turn_username;
	char *turn_password;           /* secret, wiped on free */
	char *turn_auth_secret;        /* secret, wiped on free; NULL: static */
	guint turn_auth_lifetime;      /* seconds, never 0 */
	NcuCandidateTypes types;       /* never 0 */
	char **exclude;
	char *tunnel_interface;
	guint16 port_min, port_max;
	gboolean loopback_only;
	gboolean stun_with_turn;
	gint gather_deadline_ms;       /* < 0: none */
} NcuIceSettings;

NcuIceSettings *ncu_ice_settings_new (const NcuIceConfig *config, GError **error);
void ncu_ice_settings_free (NcuIceSettings *settings);
/* Whether candidates of @type are advertised. */
gboolean ncu_ice_settings_wants (const NcuIceSettings *settings, NiceCandidateType type);
/* A configured agent with one stream (one component), not gathering yet.
 * *@turn_refresh_time: see ncu_ice_get_turn_refresh_time(). */
NiceAgent *ncu_ice_agent_new (const NcuIceSettings *settings, GMainContext *context,
                              gboolean controlling, guint *stream_id,
                              gint64 *turn_refresh_time);

/* ---- src/ncu-ice-util.c ---- */

/*
 * The underlay addresses to gather on, as a GPtrArray of NiceAddress*
 * (port 0). Loopback, point-to-point links, tunnels (by link type and by
 * the names wg* and tun*), @tunnel_interface, names matching @exclude and
 * IPv6 link-local addresses are left out; with @loopback_only, only
 * loopback addresses are taken.
 */
GPtrArray *ncu_ice_local_addresses (const char *const *exclude,
                                    const char *tunnel_interface,
                                    gboolean loopback_only, GError **error);

/* RFC 8445 ufrag (4-256) and pwd (22-256) of ice-chars. */
gboolean ncu_ice_check_credential (const char *field, const char *value,
                                   gsize min_len, GError **error);

/*
 * Checks one remote candidate string strictly before libnice sees it.
 * Returns the string with the "a=" prefix libnice wants (newly allocated),
 * or NULL with @error set, or NULL without error for a candidate to skip
 * (TCP). @index names the candidate in messages.
 */
char *ncu_ice_check_candidate (const char *candidate, guint index, GError **error);

/* ---- src/ncu-ice-close.c ---- */

/*
 * Takes over @agent (and its ref): detaches us from it, releases its TURN
 * allocations, and drops it once that is done (see ncu_ice_get_closing()).
 * @gathering: its gathering still runs, so allocations may still be
 * granted: they are released as they come, until gathering ends. Our
 * signal handlers must already be disconnected.
 */
void ncu_ice_close_agent (NiceAgent *agent, guint stream_id, gboolean gathering,
                          GMainContext *context);

/* The selected pair's own socket, when libnice gives it out (src/ncu-ice-direct.c). */
typedef struct {
	GSocket *socket;              /* NULL: send through libnice */
	struct sockaddr_storage to;   /* the remote candidate */
	socklen_t to_len;
	NcuUdpSender sender;
} NcuIceDirect;

void ncu_ice_direct_update (NcuIceDirect *direct, NiceAgent *agent, guint stream_id,
                            const NiceCandidate *remote);
void ncu_ice_direct_clear (NcuIceDirect *direct);
/* Sends in order; returns how many went out and adds their sizes to @bytes. */
guint ncu_ice_direct_send (NcuIceDirect *direct, const struct iovec *packets, guint n,
                           guint64 *bytes);

void ncu_ice_endpoint_from_nice (const NiceAddress *addr, NcuIceEndpoint *endpoint);
NcuIceCandidateType ncu_ice_candidate_type_from_nice (NiceCandidateType type);
/* Whether @local's base is one of the stream's host UDP sockets (see
 * NcuIceSelectedPair.local_base_is_host). */
gboolean ncu_ice_base_is_host (NiceAgent *agent, guint stream_id, const NiceCandidate *local);

#endif /* NCU_ICE_PRIVATE_H */
