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
 *   - A TURN allocation still in flight when the close starts comes back as
 *     a new refresh that the close does not prune, and libnice then waits
 *     for it forever, refreshing the allocation. After CLOSE_STALL_MS the
 *     stream is removed, which prunes every refresh left.
 */
#include "config.h"

#include "ncu-ice.h"
#include "ncu-ice-private.h"

/* Longer than libnice's own ~2 s of retransmissions for an unanswered
 * deallocation, so the watchdog fires only for a close that cannot end. */
#define CLOSE_STALL_MS 5000

typedef struct {
	NiceAgent *agent;         /* our ref: the agent finalizes when we drop it */
	guint stream_id;
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
closing_free (Closing *c)
{
	if (c->watchdog) {
		g_source_destroy (c->watchdog);
		g_source_unref (c->watchdog);
	}
	g_object_unref (c->agent);
	g_free (c);
}

static void
on_closed (GObject *source, GAsyncResult *result, gpointer data)
{
	Closing *c = data;

	g_debug ("ice: agent %p closed after %" G_GINT64_FORMAT " ms", c->agent,
	         (g_get_monotonic_time () - c->start_us) / 1000);
	g_ptr_array_remove_fast (closing, c);
	closing_free (c);
	if (closing->len == 0)
		g_clear_pointer (&closing, g_ptr_array_unref);
}

static gboolean
on_close_stalled (gpointer data)
{
	Closing *c = data;

	g_debug ("ice: agent %p still closing after %d ms: removing its stream", c->agent,
	         CLOSE_STALL_MS);
	g_clear_pointer (&c->watchdog, g_source_unref);
	nice_agent_remove_stream (c->agent, c->stream_id);
	return G_SOURCE_REMOVE;
}

void
ncu_ice_close_agent (NiceAgent *agent, guint stream_id, GMainContext *context)
{
	Closing *c = g_new0 (Closing, 1);

	c->agent = agent;
	c->stream_id = stream_id;
	c->start_us = g_get_monotonic_time ();
	nice_agent_attach_recv (agent, stream_id, NCU_ICE_COMPONENT_ID, context, on_recv_drop, NULL);
	c->watchdog = g_timeout_source_new (CLOSE_STALL_MS);
	g_source_set_callback (c->watchdog, on_close_stalled, c, NULL);
	g_source_set_static_name (c->watchdog, "ncu-ice close watchdog");
	g_source_attach (c->watchdog, context);
	if (!closing)
		closing = g_ptr_array_new ();
	g_ptr_array_add (closing, c);
	nice_agent_close_async (agent, on_closed, c);
}

guint
ncu_ice_get_closing (void)
{
	return closing ? closing->len : 0;
}
