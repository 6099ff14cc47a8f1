/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One ICE session with one peer: a libnice agent with one stream and one
 * component, gathering only on underlay addresses.
 *
 * Lifecycle: ncu_ice_new() -> ncu_ice_set_callbacks() -> ncu_ice_gather()
 * -> (gathering_done: publish ufrag/pwd/candidates) -> ncu_ice_set_remote()
 * -> state CONNECTED -> ncu_ice_send()/recv callback. ncu_ice_restart()
 * replaces the session (new agent, credentials, sockets, gathering); the
 * caller (the peer state machine) decides when.
 *
 * All callbacks run in the GMainContext given to ncu_ice_new().
 */
#ifndef NCU_ICE_H
#define NCU_ICE_H

#include <glib.h>
#include <sys/uio.h>
#include "ncu-profile.h"

G_BEGIN_DECLS

typedef struct _NcuIce NcuIce;

typedef enum {
	NCU_ICE_STATE_NEW,          /* not gathering yet */
	NCU_ICE_STATE_GATHERING,    /* gathering, or waiting for the remote */
	NCU_ICE_STATE_CONNECTING,   /* checks running */
	NCU_ICE_STATE_CONNECTED,    /* a pair is selected, data flows */
	NCU_ICE_STATE_FAILED,       /* checks failed or consent was lost */
} NcuIceState;

typedef enum {
	NCU_ICE_CANDIDATE_HOST,
	NCU_ICE_CANDIDATE_SRFLX,
	NCU_ICE_CANDIDATE_PRFLX,
	NCU_ICE_CANDIDATE_RELAY,
} NcuIceCandidateType;

typedef struct {
	int family;                 /* AF_INET or AF_INET6 */
	guint8 addr[16];            /* network byte order; IPv4 in the first 4 */
	guint16 port;               /* host byte order */
} NcuIceEndpoint;

typedef struct {
	NcuIceCandidateType local_type;
	NcuIceCandidateType remote_type;
	NcuIceEndpoint local;       /* the local candidate's address */
	NcuIceEndpoint local_base;  /* its base: the local socket's address */
	NcuIceEndpoint remote;
	/* local_base is one of our host UDP sockets: always for host and
	 * srflx; for prflx only when libnice learned it on a host socket (it
	 * also learns them through a TURN allocation, whose base is then the
	 * relayed address, no socket of ours); never for relay. */
	gboolean local_base_is_host;
} NcuIceSelectedPair;

typedef struct {
	guint64 tx_packets, tx_bytes;
	guint64 rx_packets, rx_bytes;
	guint64 tx_dropped;         /* ncu_ice_send() without a pair, or failed */
	guint64 tx_segmented;       /* sends that carried several packets (ncu-udp.h) */
	gint64 gathering_us;        /* duration of the last complete gathering, -1 if none */
	guint gather_deadline_hits; /* offers sent before gathering completed */
	guint restarts;
} NcuIceStats;

typedef struct {
	/* Servers, borrowed for the call (copied). STUN servers are ignored
	 * when a TURN server is configured (see ncu_ice_new()). */
	NcuIceServer *const *servers;
	guint n_servers;
	const char *turn_username;  /* for every TURN server */
	const char *turn_password;  /* secret: copied, wiped on free */
	/* Time-limited credentials instead of turn_password (ncu-turn-auth.h):
	 * every new session makes its own from this secret (copied, wiped on
	 * free), turn_username being the user part. */
	const char *turn_auth_secret;
	guint turn_auth_lifetime;   /* seconds they are valid; 0: one day */
	NcuCandidateTypes candidate_types;  /* 0 means all */
	const char *const *exclude_interfaces; /* NULL-terminated globs, or NULL */
	const char *tunnel_interface; /* always excluded, may be NULL */
	guint16 port_min, port_max; /* 0, 0: any */
	/* Deliver gathering_done after this long even when libnice still
	 * waits for a server (an address with no route to it makes libnice
	 * retransmit for ~2 s); the complete list follows in a second
	 * gathering_done if it grew. 0: 500 ms; negative: wait for libnice. */
	gint gather_deadline_ms;

	/* Tests only: gather on the loopback interface alone. */
	gboolean loopback_only;
	/* Measurements only: keep STUN next to TURN (libnice 0.1.21 then
	 * spends ~2 s in gathering). */
	gboolean stun_with_turn;
} NcuIceConfig;

typedef struct {
	void (*state_changed) (NcuIce *ice, NcuIceState state, gpointer user_data);
	/* Each local candidate as soon as it is found (optional; for trickle). */
	void (*new_candidate) (NcuIce *ice, const char *candidate, gpointer user_data);
	/* Gathering is complete, or its deadline passed: everything an offer
	 * needs. @candidates is NULL-terminated, SDP "a=candidate:..." strings,
	 * filtered by the candidate types of the config. Runs a second time
	 * (same credentials, more candidates) when the deadline cut gathering
	 * short and more candidates came later. */
	void (*gathering_done) (NcuIce *ice, const char *ufrag, const char *pwd,
	                        const char *const *candidates, gpointer user_data);
	/* A pair was selected, or the selection changed. */
	void (*selected_pair) (NcuIce *ice, const NcuIceSelectedPair *pair,
	                       gpointer user_data);
} NcuIceCallbacks;

/* One received datagram; @buf is valid during the call only. */
typedef void (*NcuIceRecvFunc) (NcuIce *ice, guint8 *buf, gsize len, gpointer user_data);

/* Length of the prefix that marks our own control datagrams (see
 * ncu_ice_set_control_func()). */
#define NCU_ICE_CONTROL_PREFIX_LEN 4

/*
 * Creates the agent (no sockets yet). Fails with a GError naming the
 * setting when the config cannot work (relay-only without a TURN server,
 * bad port range). @context NULL means the thread-default context.
 */
NcuIce *ncu_ice_new (GMainContext *context, const NcuIceConfig *config,
                     gboolean controlling, GError **error);
/* Releases TURN allocations (asynchronously, in the context) and frees. */
void ncu_ice_free (NcuIce *ice);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuIce, ncu_ice_free)

/*
 * Agents of ended sessions still releasing their TURN allocations, in
 * this process. Each ends within a round trip to its TURN server, or
 * after libnice's ~2 s of retransmissions when the server is gone; one
 * whose gathering still ran, when that ends (5 s at most).
 */
guint ncu_ice_get_closing (void);
/*
 * Iterates @context (NULL: the default one) until no agent is closing or
 * @timeout_ms passed. For a process about to exit: one that quits earlier
 * leaves its TURN allocations on the server until they expire, and a new
 * allocation from a reused local port then gets "437 Allocation
 * Mismatch". TRUE if every agent closed.
 */
gboolean ncu_ice_wait_closed (GMainContext *context, guint timeout_ms);

/* @callbacks is copied; set them before ncu_ice_gather(). */
void ncu_ice_set_callbacks (NcuIce *ice, const NcuIceCallbacks *callbacks,
                            gpointer user_data);
/* One receiver (the proxy); NULL to detach. */
void ncu_ice_set_recv_func (NcuIce *ice, NcuIceRecvFunc func, gpointer user_data);
/*
 * Datagrams that start with @prefix (NCU_ICE_CONTROL_PREFIX_LEN bytes,
 * copied) go to @func instead of the receiver: the service's own messages
 * on the selected pair (the liveness probe, ncu-liveness.h), which must
 * never reach WireGuard. NULL @func detaches. Costs one compare per
 * received datagram.
 */
void ncu_ice_set_control_func (NcuIce *ice, const guint8 *prefix, NcuIceRecvFunc func,
                               gpointer user_data);

/*
 * Enumerates underlay addresses and starts gathering. Fails when no usable
 * address exists (the caller retries later) or sockets cannot be opened.
 */
gboolean ncu_ice_gather (NcuIce *ice, GError **error);

/*
 * The addresses ICE would gather on now (the same rules as gathering:
 * no loopback, tunnels, @tunnel_interface or names matching @exclude), as
 * "<interface> <address>" strings, sorted, NULL-terminated (empty when
 * there is none). For noticing that the underlay changed.
 */
GStrv ncu_ice_underlay_addresses (const char *const *exclude, const char *tunnel_interface);

/*
 * Sets the remote credentials and candidates ("a=candidate:..." or
 * "candidate:..."). May be called again with the same credentials to add
 * candidates; new credentials need ncu_ice_restart() first. Each bad
 * string fails the whole call with a GError naming the field; nothing
 * is applied then. TCP candidates are skipped (ICE-TCP is off).
 */
gboolean ncu_ice_set_remote (NcuIce *ice, const char *ufrag, const char *pwd,
                             const char *const *candidates, GError **error);

/*
 * A new session: a new agent with new credentials, sockets and tie
 * breaker, on freshly enumerated addresses, gathering again. The old
 * agent's TURN allocations are released in the background.
 */
gboolean ncu_ice_restart (NcuIce *ice, GError **error);

/*
 * Like ncu_ice_restart(), but make-before-break: the selected pair of the
 * session it replaces keeps carrying data (ncu_ice_send() and what arrives
 * on it) until the new session selects a pair or is restarted (not kept) or
 * freed. For a pair that went silent and may come back (a NAT that forgot
 * its mapping re-learns it from the next check) while the new session's
 * offer may be slow to arrive. Nothing else of the old session (state,
 * pair, candidates) is reported. Called again before the new session has
 * a pair: that session is replaced, the kept pair stays. Without a
 * selected or kept pair: ncu_ice_restart().
 */
gboolean ncu_ice_restart_keeping_pair (NcuIce *ice, GError **error);

/* Sends one datagram on the selected pair (or the pair a restart kept).
 * FALSE (and counted) if none. */
gboolean ncu_ice_send (NcuIce *ice, const void *buf, gsize len);
/*
 * Sends datagrams in order, in as few system calls as the pair allows
 * (one sendmmsg per 32 for host/srflx pairs; relayed ones go through
 * libnice one by one). Returns how many were sent (the rest is counted as
 * dropped); adds their sizes to *@bytes_sent when not NULL.
 */
guint ncu_ice_send_batch (NcuIce *ice, const struct iovec *packets, guint n_packets,
                          guint64 *bytes_sent);

NcuIceState ncu_ice_get_state (NcuIce *ice);
gboolean ncu_ice_is_controlling (NcuIce *ice);
GMainContext *ncu_ice_get_context (NcuIce *ice);
/* NULL while no pair is selected. */
const NcuIceSelectedPair *ncu_ice_get_selected_pair (NcuIce *ice);
/* After gathering: NULL-terminated, owned by @ice; NULL before. */
const char *const *ncu_ice_get_local_candidates (NcuIce *ice);
gboolean ncu_ice_get_local_credentials (NcuIce *ice, const char **ufrag,
                                        const char **pwd);
/* The remote credentials applied to this session (owned by @ice), or FALSE
 * while there are none. */
gboolean ncu_ice_get_remote_credentials (NcuIce *ice, const char **ufrag,
                                         const char **pwd);
void ncu_ice_get_stats (NcuIce *ice, NcuIceStats *stats);
/*
 * With time-limited TURN credentials: the monotonic time (as
 * g_get_monotonic_time()) at which the current session's credentials are
 * due for renewal, which takes a new session (ncu_ice_restart()). 0 when
 * they never expire, or no TURN server is used.
 */
gint64 ncu_ice_get_turn_refresh_time (NcuIce *ice);

const char *ncu_ice_state_to_string (NcuIceState state);
const char *ncu_ice_candidate_type_to_string (NcuIceCandidateType type);
/* "a.b.c.d:port" or "[x::y]:port", newly allocated. */
char *ncu_ice_endpoint_to_string (const NcuIceEndpoint *endpoint);

/* Socket buffers of the data path (the proxy's socket, the ICE sockets):
 * the default ~208 KiB overflows within a burst at full rate (DESIGN.md
 * section 6). */
#define NCU_ICE_SOCKET_BUFFER (4 * 1024 * 1024)
/* Raises @fd's receive and send buffers to NCU_ICE_SOCKET_BUFFER: past
 * net.core.[rw]mem_max when we may (root), else as far as it allows. */
void ncu_ice_raise_socket_buffers (int fd);

G_END_DECLS

#endif /* NCU_ICE_H */
