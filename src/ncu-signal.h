/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The signaling session of one connection: it subscribes to our topic,
 * publishes our offers to each peer (sealed, retained with an expiry,
 * refreshed and republished after reconnects), and delivers each peer's
 * messages once they opened, decoded and passed the replay and age rules.
 * Everything else is dropped and counted by reason, never parsed further.
 *
 * Topics: <prefix>/v1/<recipient-key>/<sender-key>, keys in unpadded
 * base64url. Receive rules, per peer:
 *   - timestamp older than now - expiry - skew: too-old;
 *     newer than now + skew: future;
 *   - same session as the last accepted message and sequence <= the last
 *     one: replay;
 *   - another session: replay when it is one of the peer's previous
 *     sessions we saw, or older (timestamp + skew) than the last accepted
 *     message; otherwise it becomes the peer's current session;
 *   - an offer equal to the last one delivered except for sequence and
 *     timestamp (a refresh) is counted as unchanged, not delivered again.
 */
#ifndef NCU_SIGNAL_H
#define NCU_SIGNAL_H

#include <glib.h>

#include "ncu-profile.h"
#include "ncu-signal-payload.h"

#define NCU_SIGNAL_DEFAULT_TOPIC_PREFIX "cunicu"
#define NCU_SIGNAL_DEFAULT_EXPIRY_S     300
#define NCU_SIGNAL_DEFAULT_SKEW_S       60
#define NCU_SIGNAL_TOPIC_PREFIX_MAX     256

#define NCU_SIGNAL_ERROR (ncu_signal_error_quark ())
GQuark ncu_signal_error_quark (void);

typedef enum {
	NCU_SIGNAL_ERROR_CONFIG,
	NCU_SIGNAL_ERROR_UNKNOWN_PEER,
} NcuSignalError;

typedef struct {
	const char *host;             /* broker */
	guint16 port;
	gboolean tls;
	const char *ca_file;          /* NULL: system CAs */
	const char *username;         /* NULL: none */
	const char *password;         /* secret, NULL: none */
	const char *topic_prefix;     /* NULL: NCU_SIGNAL_DEFAULT_TOPIC_PREFIX */
	const guint8 *private_key;    /* 32 bytes: our WireGuard private key */
	guint expiry_s;               /* retained offer lifetime; 0: default */
	guint skew_s;                 /* tolerated clock difference; 0: default */
	guint keepalive_s;            /* 0: the transport's default (20 s) */
	guint close_timeout_ms;       /* bound of the clean close in free; 0: 1000 */
} NcuSignalConfig;

/* Fills @config with pointers into @profile (which must outlive its use). */
void ncu_signal_config_from_profile (NcuSignalConfig *config, const NcuProfile *profile);

/* Why a message was dropped (the first NCU_SIGNAL_N_DROPS values), or what became of it. */
typedef enum {
	NCU_SIGNAL_DROP_NOT_PEER,        /* sender is not a configured peer */
	NCU_SIGNAL_DROP_BAD_ENVELOPE,    /* size, version, sender field != topic */
	NCU_SIGNAL_DROP_FAILED_OPEN,     /* forged, tampered or wrongly keyed */
	NCU_SIGNAL_DROP_BAD_PAYLOAD,
	NCU_SIGNAL_DROP_REPLAY,
	NCU_SIGNAL_DROP_TOO_OLD,
	NCU_SIGNAL_DROP_FUTURE,
	NCU_SIGNAL_DROP_WRONG_RECIPIENT, /* topic or payload names another recipient */
	NCU_SIGNAL_N_DROPS,
	NCU_SIGNAL_DELIVERED = NCU_SIGNAL_N_DROPS,
	NCU_SIGNAL_UNCHANGED,            /* refresh of the offer delivered last */
	NCU_SIGNAL_CLEARED,              /* empty message: a peer deleted its retained offer */
} NcuSignalVerdict;

const char *ncu_signal_verdict_to_string (NcuSignalVerdict verdict);

typedef struct {
	gboolean connected;
	guint connects;               /* connections the broker accepted */
	guint connect_failures;       /* failed attempts and lost connections */
	const char *broker_address;   /* last resolved address, or NULL */
	const char *last_error;       /* or NULL; valid until the next call */
	guint64 received;             /* messages that arrived on our topics */
	guint64 delivered;
	guint64 unchanged;
	guint64 cleared;
	guint64 sent;                 /* messages we published */
	guint64 dropped[NCU_SIGNAL_N_DROPS];
} NcuSignalStats;

typedef struct {
	guint64 received;             /* messages on this peer's topic */
	guint64 delivered;
	guint64 dropped;
	guint64 sent;
	gint64 last_delivered;        /* unix seconds, 0 = never */
} NcuSignalPeerStats;

typedef struct NcuSignal NcuSignal;

typedef struct {
	/* A message from @peer_key passed every check; @payload is valid during the call. */
	void (*message) (const guint8 peer_key[NCU_KEY_LEN], const NcuSignalPayload *payload,
	                 gpointer user_data);
	/* The broker connection came up (our current offers were just
	 * republished, subscriptions renewed) or went down. */
	void (*state) (gboolean connected, gpointer user_data);
} NcuSignalCallbacks;

/* Unix seconds; replaceable for tests. */
typedef gint64 (*NcuSignalClockFunc) (gpointer user_data);

/* Copies what it needs of @config and @callbacks; does not connect yet. */
NcuSignal *ncu_signal_new (const NcuSignalConfig *config, const NcuSignalCallbacks *callbacks,
                           gpointer user_data, GError **error);
void ncu_signal_set_clock (NcuSignal *signal, NcuSignalClockFunc func, gpointer user_data);

gboolean ncu_signal_add_peer (NcuSignal *signal, const guint8 peer_key[NCU_KEY_LEN],
                              GError **error);
const guint8 *ncu_signal_get_public_key (NcuSignal *signal);

/* Connects (in the background, retrying with back-off). */
void ncu_signal_start (NcuSignal *signal);
/* The underlay changed (@why, for the log): retry a lost broker now, and
 * with @drop also replace a live connection; current offers are
 * republished once connected. */
void ncu_signal_reconnect (NcuSignal *signal, gboolean drop, const char *why);

/*
 * Sends @payload to a peer. Its sequence, timestamp and recipient are
 * filled in here. An offer becomes the peer's current offer: published
 * retained now if connected, refreshed every expiry/2 and republished
 * after reconnects. A bye is published once (not retained) when
 * connected, withdraws the current offer and deletes its retained copy
 * (at the next connect when offline). FALSE only for an unknown peer or
 * a payload a peer would refuse; broker trouble is retried, not reported.
 */
gboolean ncu_signal_publish (NcuSignal *signal, const guint8 peer_key[NCU_KEY_LEN],
                             const NcuSignalPayload *payload, GError **error);

/*
 * A path to a peer went silent in a way that says a NAT in front of us may
 * have forgotten its mappings (@why, for the log): the broker connection
 * then dies silently too (the broker's packets die at that NAT, and
 * nothing tells us until our keepalive, up to 20 s later), and so would
 * the peer's offers. Sends the broker something to acknowledge now (at
 * most every 2 s), which remakes the mapping, and replaces the connection
 * when the acknowledgement does not come within 1 s (the broker's own
 * retransmissions to us may be seconds apart by then).
 */
void ncu_signal_check_connection (NcuSignal *signal, const char *why);

void ncu_signal_get_stats (NcuSignal *signal, NcuSignalStats *stats);
/*
 * The same as a floating a{sv} for the status display: "connected" b,
 * "connects" u, "broker-address" s, "last-error" s (when set), "received",
 * "delivered", "unchanged", "cleared", "sent", "dropped" (the sum) and
 * "dropped-<reason>" for each reason (all t).
 */
GVariant *ncu_signal_get_status (NcuSignal *signal);
gboolean ncu_signal_get_peer_stats (NcuSignal *signal, const guint8 peer_key[NCU_KEY_LEN],
                                    NcuSignalPeerStats *stats);

/*
 * When connected: sends a bye for each current offer and deletes the
 * retained offers, waiting (blocking, bounded by close_timeout_ms) for the
 * broker to acknowledge; then disconnects and frees.
 */
void ncu_signal_free (NcuSignal *signal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuSignal, ncu_signal_free)

/* ---- the pipeline underneath, public for tests and fuzzing ---- */

/* Seals @payload for a peer as publish would; returns the envelope and its topic. */
GBytes *ncu_signal_seal (NcuSignal *signal, const guint8 peer_key[NCU_KEY_LEN],
                         const NcuSignalPayload *payload, char **topic, GError **error);
/* Runs one incoming message through every check, counts and delivers it. */
NcuSignalVerdict ncu_signal_receive (NcuSignal *signal, const char *topic,
                                     const guint8 *data, gsize len);

#endif /* NCU_SIGNAL_H */
