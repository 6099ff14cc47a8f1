/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The offer/answer rules of a peer's ICE sessions (src/ncu-peer-rules.h):
 * every verdict, and two peers that play them against each other through
 * a first start, glare and a restart of each side. */
#include "config.h"

#include "ncu-peer-rules.h"

static NcuSignalPayload *
payload (NcuSignalType type, guint64 session, guint64 remote_session)
{
	NcuSignalPayload *p = ncu_signal_payload_new (type);

	p->session_id = session;
	p->remote_session_id = remote_session;
	return p;
}

static void
test_verdicts (void)
{
	NcuPeerRules r = { .local_session = 10, .built_against = 0, .remote_session = 0 };
	g_autoptr (NcuSignalPayload) bye_any = payload (NCU_SIGNAL_TYPE_BYE, 7, 0);
	g_autoptr (NcuSignalPayload) fresh = payload (NCU_SIGNAL_TYPE_OFFER, 20, 0);
	g_autoptr (NcuSignalPayload) answer = payload (NCU_SIGNAL_TYPE_OFFER, 20, 10);
	g_autoptr (NcuSignalPayload) stale = payload (NCU_SIGNAL_TYPE_OFFER, 30, 9);

	/* nothing applied yet: any bye starts fresh */
	g_assert_cmpint (ncu_peer_rules_judge (&r, FALSE, bye_any), ==, NCU_PEER_RULES_BYE);
	g_assert_true (ncu_peer_rules_fresh_unanswered (&r));
	g_assert_cmpint (ncu_peer_rules_judge (&r, TRUE, answer), ==, NCU_PEER_RULES_ANSWER);
	g_assert_cmpint (ncu_peer_rules_judge (&r, FALSE, answer), ==, NCU_PEER_RULES_ANSWER);
	g_assert_cmpint (ncu_peer_rules_judge (&r, TRUE, fresh), ==, NCU_PEER_RULES_GLARE);
	g_assert_cmpint (ncu_peer_rules_judge (&r, FALSE, fresh), ==, NCU_PEER_RULES_NEW_REMOTE);
	g_assert_cmpint (ncu_peer_rules_judge (&r, TRUE, stale), ==, NCU_PEER_RULES_GLARE);

	/* paired with remote session 20 */
	r.remote_session = 20;
	g_assert_false (ncu_peer_rules_fresh_unanswered (&r));
	g_assert_cmpint (ncu_peer_rules_judge (&r, TRUE, answer), ==, NCU_PEER_RULES_REFRESH);
	g_assert_cmpint (ncu_peer_rules_judge (&r, TRUE, bye_any), ==, NCU_PEER_RULES_IGNORE);
	bye_any->session_id = 20;
	g_assert_cmpint (ncu_peer_rules_judge (&r, TRUE, bye_any), ==, NCU_PEER_RULES_BYE);
	g_assert_cmpint (ncu_peer_rules_judge (&r, TRUE, stale), ==, NCU_PEER_RULES_STALE);
	g_assert_cmpint (ncu_peer_rules_judge (&r, FALSE, stale), ==, NCU_PEER_RULES_NEW_REMOTE);
	/* an answer to our session once it has one is a new remote session */
	answer->session_id = 40;
	g_assert_cmpint (ncu_peer_rules_judge (&r, FALSE, answer), ==, NCU_PEER_RULES_NEW_REMOTE);
	g_assert_cmpint (ncu_peer_rules_judge (&r, TRUE, answer), ==, NCU_PEER_RULES_STALE);
}

static void
test_offer (void)
{
	NcuPeerRules r = { 0 };
	g_autoptr (NcuSignalPayload) against = payload (NCU_SIGNAL_TYPE_OFFER, 77, 0);
	g_autoptr (GPtrArray) cands = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (NcuSignalPayload) offer = NULL;

	ncu_peer_rules_begin (&r, against);
	g_assert_cmpuint (r.local_session, !=, 0);
	g_assert_cmpuint (r.built_against, ==, 77);
	g_assert_cmpuint (r.remote_session, ==, 0);
	for (guint i = 0; i < NCU_SIGNAL_MAX_CANDIDATES + 3; i++)
		g_ptr_array_add (cands, g_strdup_printf ("a=candidate:%u 1 UDP 1 192.0.2.1 %u typ host", i, 1000 + i));
	g_ptr_array_add (cands, NULL);
	offer = ncu_peer_rules_offer_new (&r, "uf", "pw", (const char *const *) cands->pdata);
	g_assert_cmpint (offer->type, ==, NCU_SIGNAL_TYPE_OFFER);
	g_assert_cmpuint (offer->session_id, ==, r.local_session);
	g_assert_cmpuint (offer->remote_session_id, ==, 77);
	g_assert_cmpstr (offer->ufrag, ==, "uf");
	g_assert_cmpstr (offer->pwd, ==, "pw");
	g_assert_cmpuint (offer->candidates->len, ==, NCU_SIGNAL_MAX_CANDIDATES);
	g_assert_true (offer->end_of_candidates);
	ncu_peer_rules_begin (&r, NULL);
	g_assert_cmpuint (r.built_against, ==, 0);
}

/* Two peers, A controlling. deliver() plays the receiver's verdict on the
 * sender's current offer as a peer does (apply, or a new session). */
typedef struct {
	NcuPeerRules r;
	gboolean controlling;
} Side;

static NcuPeerRulesVerdict
deliver (Side *from, Side *to)
{
	g_autoptr (NcuSignalPayload) offer = ncu_peer_rules_offer_new (&from->r, "u", "p", NULL);
	NcuPeerRulesVerdict v = ncu_peer_rules_judge (&to->r, to->controlling, offer);

	switch (v) {
	case NCU_PEER_RULES_REFRESH:
	case NCU_PEER_RULES_ANSWER:
		to->r.remote_session = offer->session_id;
		break;
	case NCU_PEER_RULES_BYE:
	case NCU_PEER_RULES_STALE:
		ncu_peer_rules_begin (&to->r, NULL);
		break;
	case NCU_PEER_RULES_NEW_REMOTE:
		ncu_peer_rules_begin (&to->r, offer);
		to->r.remote_session = offer->session_id;
		break;
	default:
		break;
	}
	return v;
}

static void
assert_paired (Side *a, Side *b)
{
	g_assert_cmpuint (a->r.remote_session, ==, b->r.local_session);
	g_assert_cmpuint (b->r.remote_session, ==, a->r.local_session);
}

static void
test_two_sides (void)
{
	Side a = { .controlling = TRUE }, b = { .controlling = FALSE };

	/* both start at once (glare): A keeps its session, B answers it */
	ncu_peer_rules_begin (&a.r, NULL);
	ncu_peer_rules_begin (&b.r, NULL);
	g_assert_cmpint (deliver (&b, &a), ==, NCU_PEER_RULES_GLARE);
	g_assert_cmpint (deliver (&a, &b), ==, NCU_PEER_RULES_NEW_REMOTE);
	g_assert_cmpint (deliver (&b, &a), ==, NCU_PEER_RULES_ANSWER);
	assert_paired (&a, &b);
	/* the same offers again change nothing */
	g_assert_cmpint (deliver (&a, &b), ==, NCU_PEER_RULES_REFRESH);
	g_assert_cmpint (deliver (&b, &a), ==, NCU_PEER_RULES_REFRESH);
	assert_paired (&a, &b);

	/* B restarts: A answers, B applies the answer */
	ncu_peer_rules_begin (&b.r, NULL);
	g_assert_cmpint (deliver (&b, &a), ==, NCU_PEER_RULES_NEW_REMOTE);
	g_assert_cmpint (deliver (&a, &b), ==, NCU_PEER_RULES_ANSWER);
	assert_paired (&a, &b);

	/* A restarts: B answers it */
	ncu_peer_rules_begin (&a.r, NULL);
	g_assert_cmpint (deliver (&a, &b), ==, NCU_PEER_RULES_NEW_REMOTE);
	g_assert_cmpint (deliver (&b, &a), ==, NCU_PEER_RULES_ANSWER);
	assert_paired (&a, &b);

	/* B comes back with a fresh session it has not published yet and
	 * first finds A's retained offer: B answers it, A (already paired)
	 * takes that as stale and starts fresh, B answers the fresh one, A
	 * applies the answer: no endless answering back and forth */
	ncu_peer_rules_begin (&b.r, NULL);
	g_assert_cmpint (deliver (&a, &b), ==, NCU_PEER_RULES_NEW_REMOTE);
	g_assert_cmpint (deliver (&b, &a), ==, NCU_PEER_RULES_STALE);
	g_assert_cmpint (deliver (&a, &b), ==, NCU_PEER_RULES_NEW_REMOTE);
	g_assert_cmpint (deliver (&b, &a), ==, NCU_PEER_RULES_ANSWER);
	assert_paired (&a, &b);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/peer-rules/verdicts", test_verdicts);
	g_test_add_func ("/peer-rules/offer", test_offer);
	g_test_add_func ("/peer-rules/two-sides", test_two_sides);
	return g_test_run ();
}
