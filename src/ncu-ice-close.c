/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Closing libnice agents in the background (ncu_ice_close_agent): every
 * ended ICE session goes through here, so its TURN allocations are released
 * on the server and its memory is given back within a round trip to the
 * TURN server, not seconds later.
 *
 * Why each step (libnice 0.1.21, read in its agent.c and discovery.c):
 *   - nice_agent_close_async() sends a zero-lifetime Refresh for every TURN
 *     allocation and completes once each got its answer, or after ~2 s of
 *     retransmissions without one.
 *   - libnice reads its sockets only while a receive callback is attached
 *     (component_io_cb reads nothing without one): detaching it before the
 *     close left the answers unread, every close ran into the 2 s timeout,
 *     and each old agent lived on with its buffers (two 64 KiB receive
 *     buffers per component, the check list) and went on sending
 *     connectivity checks. A remote restarting every 0.2 s kept ~15 agents
 *     alive at once and the heap never shrank back (issue 7, up/down
 *     cycles). So a receive callback that drops everything stays attached.
 *   - A close releases only the allocations that exist when it starts. One
 *     granted later (gathering still ran) becomes a refresh the close does
 *     not prune, and libnice would wait for it forever; an agent dropped
 *     before the grant comes leaves the allocation on the server until it
 *     expires (600 s; seen in tests/ice/test-ice-turn.sh, which restarts a
 *     session 40 times in a row). So the agent is kept until its gathering
 *     is over, and every relay candidate that appears meanwhile is released
 *     by one more close at once.
 *   - After CLOSE_STALL_MS a gathering that has not ended is taken as over,
 *     and a close still running gets its stream removed, which prunes every
 *     refresh left.
 */
#include "config.h"

#include "ncu-ice.h"
#include "ncu-ice-private.h"
#include "ncu-source.h"

/* Longer than libnice's own ~2 s of retransmissions (for a TURN server
 * that does not answer), so the watchdog acts only when nothing else will. */
#define CLOSE_STALL_MS 5000

typedef struct {
	NiceAgent *agent;            /* our ref: the agent finalizes when we drop it */
	guint stream_id;
	guint closes;                /* nice_agent_close_async() calls not done yet */
	gulong candidate_handler;
	gulong gathering_handler;    /* while gathering runs */
	gboolean stream_removed;
	GSource *watchdog;
	gint64 start_us;
} Closing;

/* Every agent still closing, in this process (one thread). */
static GPtrArray *closing;

static void
on_recv_drop (NiceAgent *agent, guint stream_id, guint component_id, guint len,
              gchar *buf, gpointer data)
{
	/* Data of a session that ended: nobody wants it. */
}

static void
disconnect (Closing *c, gulong *handler)
{
	if (*handler)
		g_signal_handler_disconnect (c->agent, *handler);
	*handler = 0;
}

static void
closing_free (Closing *c)
{
	ncu_source_clear (&c->watchdog);
	disconnect (c, &c->candidate_handler);
	disconnect (c, &c->gathering_handler);
	g_object_unref (c->agent);
	g_free (c);
}

/* Done once no close runs and no allocation can come any more. */
static void
maybe_done (Closing *c)
{
	if (c->closes > 0 || c->gathering_handler)
		return;
	g_debug ("ice: agent %p closed after %" G_GINT64_FORMAT " ms", c->agent,
	         (g_get_monotonic_time () - c->start_us) / 1000);
	g_ptr_array_remove_fast (closing, c);
	closing_free (c);
	if (closing->len == 0)
		g_clear_pointer (&closing, g_ptr_array_unref);
}

static void
on_closed (GObject *source, GAsyncResult *result, gpointer data)
{
	Closing *c = data;

	c->closes--;
	maybe_done (c);
}

static void
start_close (Closing *c)
{
	c->closes++;
	nice_agent_close_async (c->agent, on_closed, c);
}

static void
on_new_candidate (NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
	/* A TURN allocation granted after the close began: release it too. */
	if (candidate->type == NICE_CANDIDATE_TYPE_RELAYED)
		start_close (data);
}

static void
on_gathering_done (NiceAgent *agent, guint stream_id, gpointer data)
{
	Closing *c = data;

	disconnect (c, &c->gathering_handler);
	maybe_done (c);
}

static gboolean
on_watchdog (gpointer data)
{
	Closing *c = data;

	if (c->gathering_handler) {
		g_debug ("ice: agent %p still gathering after %d ms: no longer waiting for it",
		         c->agent, CLOSE_STALL_MS);
		disconnect (c, &c->gathering_handler);
	}
	if (c->closes > 0 && !c->stream_removed) {
		g_debug ("ice: agent %p still closing after %d ms: removing its stream", c->agent,
		         CLOSE_STALL_MS);
		c->stream_removed = TRUE;
		nice_agent_remove_stream (c->agent, c->stream_id);
	}
	/* Once the stream is gone only libnice's own timeouts are left. */
	g_clear_pointer (&c->watchdog, g_source_unref);
	maybe_done (c);
	return G_SOURCE_REMOVE;
}

void
ncu_ice_close_agent (NiceAgent *agent, guint stream_id, gboolean gathering,
                     GMainContext *context)
{
	Closing *c = g_new0 (Closing, 1);

	c->agent = agent;
	c->stream_id = stream_id;
	c->start_us = g_get_monotonic_time ();
	nice_agent_attach_recv (agent, stream_id, NCU_ICE_COMPONENT_ID, context, on_recv_drop, NULL);
	c->watchdog = ncu_source_timeout (context, CLOSE_STALL_MS, "ncu-ice close watchdog",
	                                  on_watchdog, c);
	if (!closing)
		closing = g_ptr_array_new ();
	g_ptr_array_add (closing, c);
	if (gathering) {
		c->candidate_handler = g_signal_connect (agent, "new-candidate-full",
		                                         G_CALLBACK (on_new_candidate), c);
		c->gathering_handler = g_signal_connect (agent, "candidate-gathering-done",
		                                         G_CALLBACK (on_gathering_done), c);
	}
	start_close (c);
}

static gboolean
on_wait_timeout (gpointer data)
{
	return G_SOURCE_REMOVE;
}

guint
ncu_ice_get_closing (void)
{
	return closing ? closing->len : 0;
}

gboolean
ncu_ice_wait_closed (GMainContext *context, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
	GSource *timer;

	if (ncu_ice_get_closing () == 0)
		return TRUE;
	/* Wakes the blocking iteration at the deadline. */
	timer = ncu_source_timeout (context, timeout_ms, "ncu-ice wait closed", on_wait_timeout,
	                            NULL);
	while (ncu_ice_get_closing () > 0 && g_get_monotonic_time () < deadline)
		g_main_context_iteration (context, TRUE);
	ncu_source_clear (&timer);
	return ncu_ice_get_closing () == 0;
}
