/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The signaling payload: what travels inside a sealed envelope (an ICE
 * offer or a bye). The wire format is documented at the top of
 * ncu-signal-payload.c. Decoding is a pure function of its input.
 */
#ifndef NCU_SIGNAL_PAYLOAD_H
#define NCU_SIGNAL_PAYLOAD_H

#include <glib.h>

#define NCU_SIGNAL_PAYLOAD_VERSION        1
#define NCU_SIGNAL_PAYLOAD_MAX            12288 /* bytes, whole payload */
#define NCU_SIGNAL_MAX_CANDIDATES         32
#define NCU_SIGNAL_CANDIDATE_MAX          256   /* bytes per candidate line value */
#define NCU_SIGNAL_UFRAG_MIN              4
#define NCU_SIGNAL_PWD_MIN                22
#define NCU_SIGNAL_ICE_CRED_MAX           256
#define NCU_SIGNAL_KEY_LEN                32

#define NCU_SIGNAL_PAYLOAD_ERROR (ncu_signal_payload_error_quark ())
GQuark ncu_signal_payload_error_quark (void);

typedef enum {
	NCU_SIGNAL_PAYLOAD_ERROR_INVALID, /* the message names the field */
} NcuSignalPayloadError;

typedef enum {
	NCU_SIGNAL_TYPE_OFFER = 1,
	NCU_SIGNAL_TYPE_BYE   = 2,
} NcuSignalType;

typedef struct {
	NcuSignalType type;
	guint64 session_id;        /* sender's ICE session, never 0 */
	guint64 remote_session_id; /* recipient's session it answers, 0 = none */
	guint64 sequence;          /* >= 1, grows with every message of a sender */
	gint64 timestamp;          /* unix seconds when sealed */
	guint8 recipient[NCU_SIGNAL_KEY_LEN]; /* recipient's public key */
	/* offer only (NULL / empty for bye) */
	char *ufrag;
	char *pwd;
	GPtrArray *candidates;     /* of char* "a=candidate:...", never NULL */
	gboolean end_of_candidates;
} NcuSignalPayload;

NcuSignalPayload *ncu_signal_payload_new (NcuSignalType type);
NcuSignalPayload *ncu_signal_payload_copy (const NcuSignalPayload *payload);
void ncu_signal_payload_free (NcuSignalPayload *payload);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuSignalPayload, ncu_signal_payload_free)

/* Appends a copy of @candidate (no validation here: encode checks). */
void ncu_signal_payload_add_candidate (NcuSignalPayload *payload, const char *candidate);

/*
 * TRUE when @a and @b say the same thing: equal in every field except
 * sequence and timestamp (a refresh of an unchanged offer).
 */
gboolean ncu_signal_payload_same_content (const NcuSignalPayload *a,
                                          const NcuSignalPayload *b);

/* Checks every field as the decoder would and serializes. */
GBytes *ncu_signal_payload_encode (const NcuSignalPayload *payload, GError **error);

/*
 * Parses @len bytes at @data (not NUL-terminated). Pure: no global state,
 * no clock. Errors name the offending field, never echo its value.
 */
NcuSignalPayload *ncu_signal_payload_decode (const guint8 *data, gsize len,
                                             GError **error);

/* A fresh random session id, never 0. */
guint64 ncu_signal_session_id_new (void);

const char *ncu_signal_type_to_string (NcuSignalType type);

#endif /* NCU_SIGNAL_PAYLOAD_H */
