/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test helpers: ICE peers on loopback, connected directly (no signaling).
 */
#ifndef ICE_TEST_UTIL_H
#define ICE_TEST_UTIL_H

#include <glib.h>
#include "ncu-ice.h"

/* Generous: these machines are loaded 2-core boxes. */
#define TEST_TIMEOUT_MS 20000

typedef struct {
	NcuIce *ice;
	GPtrArray *states;          /* of GINT_TO_POINTER (NcuIceState), in order */
	gboolean gathered;
	guint gathered_count;       /* gathering_done calls */
	char *ufrag, *pwd;
	GStrv candidates;
	gboolean have_pair;
	NcuIceSelectedPair pair;
	guint pair_changes;
	GPtrArray *received;        /* of GBytes*, when no proxy takes the data */
	gint64 connected_at_us;
} TestPeer;

typedef gboolean (*TestCondition) (gpointer data);

/* Iterates the thread-default context until @cond or the timeout. */
gboolean test_wait (TestCondition cond, gpointer data, guint timeout_ms);
/* Iterates for a while (lets background work finish). */
void test_spin (guint ms);

TestPeer *test_peer_new (gboolean controlling, const NcuIceConfig *config);
void test_peer_free (TestPeer *peer);
gboolean test_peer_is_gathered (gpointer peer);
gboolean test_peer_is_connected (gpointer peer);
NcuIceState test_peer_state (TestPeer *peer);
/* Clears what the callbacks recorded (before a restart). */
void test_peer_reset (TestPeer *peer);

/* Gathers on both, exchanges credentials and candidates, waits until both
 * are connected. Asserts on failure. */
void test_peers_connect (TestPeer *a, TestPeer *b);
/* The exchange alone (both gathered). */
void test_peers_exchange (TestPeer *a, TestPeer *b);

/* Loopback-only config with no servers. */
void test_loopback_config (NcuIceConfig *config);

#endif /* ICE_TEST_UTIL_H */
