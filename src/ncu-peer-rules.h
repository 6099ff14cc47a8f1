/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ncu-peer-rules: the offer/answer rules of one peer's ICE sessions
 * (DESIGN.md section 4), apart from the agent and the transport that carry
 * them out: which sessions a peer holds, what a received offer or bye
 * means for them, and what an offer of ours says. The service's peers
 * (ncu-peer.c) and the scale bench's simulated peers
 * (bench/ncu-bench-peers.c) share them, so the bench measures the rules
 * the service follows.
 */
#pragma once

#include <glib.h>

#include "ncu-signal-payload.h"

/* The sessions of one peer. */
typedef struct {
	guint64 local_session;   /* our current ICE session, 0: none yet */
	guint64 built_against;   /* the remote session it answers, 0: fresh */
	guint64 remote_session;  /* the remote session applied to ours, 0: none */
} NcuPeerRules;

/* What to do with a received payload. */
typedef enum {
	NCU_PEER_RULES_IGNORE,      /* a bye of a session we never applied */
	NCU_PEER_RULES_BYE,         /* the remote session is gone: start fresh */
	NCU_PEER_RULES_REFRESH,     /* the applied remote session again: apply it */
	NCU_PEER_RULES_ANSWER,      /* answers our unanswered session: apply it */
	NCU_PEER_RULES_GLARE,       /* we control, ours is fresh: keep it, wait */
	NCU_PEER_RULES_STALE,       /* we control, it answers a session of ours
	                             * that is gone or paired: start fresh */
	NCU_PEER_RULES_NEW_REMOTE,  /* start a session of ours built against it */
} NcuPeerRulesVerdict;

/* A new session of ours: against @against (an offer we answer) or fresh
 * (NULL); nothing applied to it yet. */
void ncu_peer_rules_begin (NcuPeerRules *rules, const NcuSignalPayload *against);

/* Whether our session is fresh (built against nothing) and unanswered. */
gboolean ncu_peer_rules_fresh_unanswered (const NcuPeerRules *rules);

/* The verdict on @payload, received from the peer; @controlling: we are
 * ICE-controlling (the larger public key). */
NcuPeerRulesVerdict ncu_peer_rules_judge (const NcuPeerRules *rules, gboolean controlling,
                                          const NcuSignalPayload *payload);

/* Our session's offer: its ids, the credentials, up to
 * NCU_SIGNAL_MAX_CANDIDATES of @candidates (NULL-terminated), end of
 * candidates. The caller sets the recipient if it needs one. */
NcuSignalPayload *ncu_peer_rules_offer_new (const NcuPeerRules *rules, const char *ufrag,
                                            const char *pwd, const char *const *candidates);
