/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "ice-test-util.h"

static gboolean
on_timeout (gpointer data)
{
	*(gboolean *) data = TRUE;
	return G_SOURCE_REMOVE;
}

gboolean
test_wait (TestCondition cond, gpointer data, guint timeout_ms)
{
	gboolean timed_out = FALSE;
	GSource *timer = g_timeout_source_new (timeout_ms);

	g_source_set_callback (timer, on_timeout, &timed_out, NULL);
	g_source_attach (timer, NULL);
	while (!(cond && cond (data)) && !timed_out)
		g_main_context_iteration (NULL, TRUE);
	g_source_destroy (timer);
	g_source_unref (timer);
	return cond && cond (data);
}

void
test_spin (guint ms)
{
	test_wait (NULL, NULL, ms);
}

static void
on_state (NcuIce *ice, NcuIceState state, gpointer data)
{
	TestPeer *peer = data;

	g_ptr_array_add (peer->states, GINT_TO_POINTER (state));
	if (state == NCU_ICE_STATE_CONNECTED && !peer->connected_at_us)
		peer->connected_at_us = g_get_monotonic_time ();
}

static void
on_gathered (NcuIce *ice, const char *ufrag, const char *pwd,
             const char *const *candidates, gpointer data)
{
	TestPeer *peer = data;

	g_free (peer->ufrag);
	g_free (peer->pwd);
	g_strfreev (peer->candidates);
	peer->ufrag = g_strdup (ufrag);
	peer->pwd = g_strdup (pwd);
	peer->candidates = g_strdupv ((char **) candidates);
	peer->gathered = TRUE;
	peer->gathered_count++;
}

static void
on_pair (NcuIce *ice, const NcuIceSelectedPair *pair, gpointer data)
{
	TestPeer *peer = data;

	peer->pair = *pair;
	peer->have_pair = TRUE;
	peer->pair_changes++;
}

static void
on_recv (NcuIce *ice, guint8 *buf, gsize len, gpointer data)
{
	TestPeer *peer = data;

	g_ptr_array_add (peer->received, g_bytes_new (buf, len));
}

TestPeer *
test_peer_new (gboolean controlling, const NcuIceConfig *config)
{
	static const NcuIceCallbacks callbacks = {
		.state_changed = on_state,
		.gathering_done = on_gathered,
		.selected_pair = on_pair,
	};
	g_autoptr (GError) error = NULL;
	TestPeer *peer = g_new0 (TestPeer, 1);

	peer->ice = ncu_ice_new (NULL, config, controlling, &error);
	g_assert_no_error (error);
	peer->states = g_ptr_array_new ();
	peer->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	ncu_ice_set_callbacks (peer->ice, &callbacks, peer);
	ncu_ice_set_recv_func (peer->ice, on_recv, peer);
	return peer;
}

void
test_peer_reset (TestPeer *peer)
{
	g_ptr_array_set_size (peer->states, 0);
	g_ptr_array_set_size (peer->received, 0);
	g_clear_pointer (&peer->ufrag, g_free);
	g_clear_pointer (&peer->pwd, g_free);
	g_clear_pointer (&peer->candidates, g_strfreev);
	peer->gathered = FALSE;
	peer->have_pair = FALSE;
	peer->connected_at_us = 0;
}

void
test_peer_free (TestPeer *peer)
{
	if (!peer)
		return;
	ncu_ice_free (peer->ice);
	test_peer_reset (peer);
	g_ptr_array_unref (peer->states);
	g_ptr_array_unref (peer->received);
	g_free (peer);
}

gboolean
test_peer_is_gathered (gpointer peer)
{
	return ((TestPeer *) peer)->gathered;
}

gboolean
test_peer_is_connected (gpointer peer)
{
	return ncu_ice_get_state (((TestPeer *) peer)->ice) == NCU_ICE_STATE_CONNECTED;
}

NcuIceState
test_peer_state (TestPeer *peer)
{
	return ncu_ice_get_state (peer->ice);
}

static gboolean
both_gathered (gpointer data)
{
	TestPeer **peers = data;

	return peers[0]->gathered && peers[1]->gathered;
}

static gboolean
both_connected (gpointer data)
{
	TestPeer **peers = data;

	return test_peer_is_connected (peers[0]) && test_peer_is_connected (peers[1]) &&
	       peers[0]->have_pair && peers[1]->have_pair;
}

void
test_peers_exchange (TestPeer *a, TestPeer *b)
{
	g_autoptr (GError) error = NULL;

	g_assert_true (ncu_ice_set_remote (a->ice, b->ufrag, b->pwd,
	                                   (const char *const *) b->candidates, &error));
	g_assert_no_error (error);
	g_assert_true (ncu_ice_set_remote (b->ice, a->ufrag, a->pwd,
	                                   (const char *const *) a->candidates, &error));
	g_assert_no_error (error);
}

void
test_peers_connect (TestPeer *a, TestPeer *b)
{
	g_autoptr (GError) error = NULL;
	TestPeer *peers[2] = { a, b };
	gint64 start;

	if (ncu_ice_get_state (a->ice) == NCU_ICE_STATE_NEW) {
		g_assert_true (ncu_ice_gather (a->ice, &error));
		g_assert_no_error (error);
	}
	if (ncu_ice_get_state (b->ice) == NCU_ICE_STATE_NEW) {
		g_assert_true (ncu_ice_gather (b->ice, &error));
		g_assert_no_error (error);
	}
	g_assert_true (test_wait (both_gathered, peers, TEST_TIMEOUT_MS));
	g_assert_nonnull (a->candidates);
	g_assert_nonnull (a->candidates[0]);

	start = g_get_monotonic_time ();
	test_peers_exchange (a, b);
	g_assert_true (test_wait (both_connected, peers, TEST_TIMEOUT_MS));
	g_test_message ("connected %.1f ms after the exchange",
	                (MAX (a->connected_at_us, b->connected_at_us) - start) / 1000.0);
}

void
test_loopback_config (NcuIceConfig *config)
{
	*config = (NcuIceConfig) { .loopback_only = TRUE };
}
