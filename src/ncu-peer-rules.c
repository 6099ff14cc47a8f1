/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "ncu-peer-rules.h"

void
ncu_peer_rules_begin (NcuPeerRules *rules, const NcuSignalPayload *against)
{
	rules->local_session = ncu_signal_session_id_new ();
	rules->built_against = against ? against->session_id : 0;
	rules->remote_session = 0;
}

gboolean
ncu_peer_rules_fresh_unanswered (const NcuPeerRules *rules)
{
	return rules->local_session != 0 && rules->built_against == 0 && rules->remote_session == 0;
}

NcuPeerRulesVerdict
ncu_peer_rules_judge (const NcuPeerRules *rules, gboolean controlling,
                      const NcuSignalPayload *payload)
{
	if (payload->type == NCU_SIGNAL_TYPE_BYE) {
		/* The remote session is gone; ours was built for it and holds its
		 * credentials. A fresh session is what the remote will find when
		 * it comes back. */
		if (payload->session_id == rules->remote_session || rules->remote_session == 0)
			return NCU_PEER_RULES_BYE;
		return NCU_PEER_RULES_IGNORE;
	}
	/* The same session again (a refresh, or more candidates). */
	if (payload->session_id == rules->remote_session)
		return NCU_PEER_RULES_REFRESH;
	/* An answer counts only while our session has none yet: the agent
	 * takes one set of remote credentials per session. */
	if (payload->remote_session_id != 0 && payload->remote_session_id == rules->local_session
	    && rules->remote_session == 0)
		return NCU_PEER_RULES_ANSWER;
	if (controlling && ncu_peer_rules_fresh_unanswered (rules))
		return NCU_PEER_RULES_GLARE;
	/* The controlling side answers only fresh sessions. An offer built
	 * against a session of ours that is gone or already paired (a remote
	 * that restarted and answered our stale retained offer) would, if
	 * answered, be answered back forever: start fresh instead, and the
	 * controlled side answers that. */
	if (controlling && payload->remote_session_id != 0)
		return NCU_PEER_RULES_STALE;
	return NCU_PEER_RULES_NEW_REMOTE;
}

NcuSignalPayload *
ncu_peer_rules_offer_new (const NcuPeerRules *rules, const char *ufrag, const char *pwd,
                          const char *const *candidates)
{
	NcuSignalPayload *offer = ncu_signal_payload_new (NCU_SIGNAL_TYPE_OFFER);

	offer->session_id = rules->local_session;
	offer->remote_session_id = rules->built_against;
	offer->ufrag = g_strdup (ufrag);
	offer->pwd = g_strdup (pwd);
	for (guint i = 0; candidates && candidates[i] && i < NCU_SIGNAL_MAX_CANDIDATES; i++)
		ncu_signal_payload_add_candidate (offer, candidates[i]);
	offer->end_of_candidates = TRUE;
	return offer;
}
