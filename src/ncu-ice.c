/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One ICE session with one peer (DESIGN.md section 5): a libnice agent,
 * one stream, one component, RFC 5245 mode, UDP only, regular nomination,
 * consent freshness.
 *
 * libnice emits its signals synchronously from inside its own calls
 * (gathering without servers finishes inside nice_agent_gather_candidates,
 * setting remote candidates switches the state). Our callbacks are queued
 * and run from an idle source instead, so a caller never sees a callback
 * from inside one of its own ncu_ice_* calls, and may free or restart the
 * session from any callback. Received data is not queued.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <gio/gio.h>

#include "ncu-ice.h"
#include "ncu-ice-private.h"
#include "ncu-source.h"

#define COMPONENT_ID NCU_ICE_COMPONENT_ID

typedef enum {
	EVENT_STATE,
	EVENT_CANDIDATE,
	EVENT_GATHERING_DONE,
	EVENT_SELECTED_PAIR,
} EventKind;

typedef struct {
	EventKind kind;
	NcuIceState state;
	char *candidate;
	NcuIceSelectedPair pair;
} Event;

struct _NcuIce {
	GMainContext *context;
	gboolean controlling;

	NcuIceSettings *settings;

	/* The current session. */
	NiceAgent *agent;
	guint stream_id;
	gint64 turn_refresh_time;      /* see ncu_ice_get_turn_refresh_time() */
	NcuIceState state;
	gint64 gather_start_us;
	GSource *deadline_source;
	gboolean gathering_done;       /* gathering_done delivered (maybe early) */
	gboolean gathering_complete;   /* libnice finished */
	char *local_ufrag, *local_pwd;
	GStrv local_candidates;
	char *remote_ufrag, *remote_pwd;
	gboolean have_pair;
	NcuIceSelectedPair pair;
	NcuIceDirect direct;
	NcuIceStats stats;

	/* The previous session's agent, still carrying data on its pair
	 * while the current one has none (ncu_ice_restart_keeping_pair). */
	NiceAgent *old_agent;
	guint old_stream_id;
	gboolean old_gathering;        /* it had not finished gathering */
	NcuIceDirect old_direct;

	NcuIceCallbacks callbacks;
	gpointer user_data;
	NcuIceRecvFunc recv_func;
	gpointer recv_data;
	guint8 control_prefix[NCU_ICE_CONTROL_PREFIX_LEN];
	NcuIceRecvFunc control_func;
	gpointer control_data;

	GQueue events;                 /* of Event*, waiting for dispatch */
	GSource *dispatch_source;
	gboolean dispatching;
	gboolean free_pending;         /* ncu_ice_free() from inside a callback */
};

static void
event_free (Event *event)
{
	g_free (event->candidate);
	g_free (event);
}

/* ---- event queue ---- */

static void really_free (NcuIce *ice);

static void
dispatch_one (NcuIce *ice, Event *event)
{
	const NcuIceCallbacks *cb = &ice->callbacks;

	switch (event->kind) {
	case EVENT_STATE:
		if (cb->state_changed)
			cb->state_changed (ice, event->state, ice->user_data);
		break;
	case EVENT_CANDIDATE:
		if (cb->new_candidate)
			cb->new_candidate (ice, event->candidate, ice->user_data);
		break;
	case EVENT_GATHERING_DONE:
		if (cb->gathering_done)
			cb->gathering_done (ice, ice->local_ufrag, ice->local_pwd,
			                    (const char *const *) ice->local_candidates,
			                    ice->user_data);
		break;
	case EVENT_SELECTED_PAIR:
		if (cb->selected_pair)
			cb->selected_pair (ice, &event->pair, ice->user_data);
		break;
	}
}

static gboolean
dispatch_events (gpointer data)
{
	NcuIce *ice = data;
	Event *event;

	g_clear_pointer (&ice->dispatch_source, g_source_unref);
	ice->dispatching = TRUE;
	/* A callback may restart (clearing the queue) or free the session. */
	while (!ice->free_pending && (event = g_queue_pop_head (&ice->events))) {
		dispatch_one (ice, event);
		event_free (event);
	}
	ice->dispatching = FALSE;
	if (ice->free_pending)
		really_free (ice);
	return G_SOURCE_REMOVE;
}

static Event *
push_event (NcuIce *ice, EventKind kind)
{
	Event *event = g_new0 (Event, 1);

	event->kind = kind;
	g_queue_push_tail (&ice->events, event);
	if (!ice->dispatch_source && !ice->dispatching) {
		GSource *idle = g_idle_source_new ();

		g_source_set_priority (idle, G_PRIORITY_DEFAULT);
		ice->dispatch_source = ncu_source_attach (idle, ice->context, "ncu-ice events",
		                                          dispatch_events, ice);
	}
	return event;
}

static void
set_state (NcuIce *ice, NcuIceState state)
{
	if (ice->state == state)
		return;
	g_debug ("ice %p: %s -> %s", ice, ncu_ice_state_to_string (ice->state),
	         ncu_ice_state_to_string (state));
	ice->state = state;
	push_event (ice, EVENT_STATE)->state = state;
}

static void drop_old_agent (NcuIce *ice);

/* ---- libnice signal handlers ---- */

static void
on_state_changed (NiceAgent *agent, guint stream_id, guint component_id,
                  guint nice_state, gpointer data)
{
	NcuIce *ice = data;

	switch (nice_state) {
	case NICE_COMPONENT_STATE_GATHERING:
		set_state (ice, NCU_ICE_STATE_GATHERING);
		break;
	case NICE_COMPONENT_STATE_CONNECTING:
		set_state (ice, NCU_ICE_STATE_CONNECTING);
		break;
	case NICE_COMPONENT_STATE_CONNECTED:
	case NICE_COMPONENT_STATE_READY:
		set_state (ice, NCU_ICE_STATE_CONNECTED);
		break;
	case NICE_COMPONENT_STATE_FAILED:
		/* Also how libnice reports lost consent (RFC 7675). */
		ice->have_pair = FALSE;
		ncu_ice_direct_clear (&ice->direct);
		set_state (ice, NCU_ICE_STATE_FAILED);
		break;
	default:
		/* DISCONNECTED: only before gathering or after a libnice restart,
		 * neither of which we use. */
		break;
	}
}

static void
on_new_candidate (NiceAgent *agent, NiceCandidate *candidate, gpointer data)
{
	NcuIce *ice = data;

	if (!ice->callbacks.new_candidate || !ncu_ice_settings_wants (ice->settings, candidate->type))
		return;
	push_event (ice, EVENT_CANDIDATE)->candidate =
		nice_agent_generate_local_candidate_sdp (agent, candidate);
}

static GStrv
local_candidate_strings (NcuIce *ice)
{
	g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
	GSList *list = nice_agent_get_local_candidates (ice->agent, ice->stream_id, COMPONENT_ID);

	for (GSList *l = list; l; l = l->next) {
		NiceCandidate *candidate = l->data;

		if (ncu_ice_settings_wants (ice->settings, candidate->type)) {
			g_autofree char *sdp = nice_agent_generate_local_candidate_sdp (ice->agent, candidate);
			g_strv_builder_add (builder, sdp);
		}
	}
	g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
	return g_strv_builder_end (builder);
}

/* Snapshot of what an offer needs; queues gathering_done. */
static void
deliver_gathered (NcuIce *ice)
{
	GStrv candidates = local_candidate_strings (ice);

	/* After an early delivery, only a longer list is news. */
	if (ice->gathering_done && ice->local_candidates &&
	    g_strv_equal ((const char *const *) candidates, (const char *const *) ice->local_candidates)) {
		g_strfreev (candidates);
		return;
	}
	g_clear_pointer (&ice->local_ufrag, g_free);
	g_clear_pointer (&ice->local_pwd, g_free);
	nice_agent_get_local_credentials (ice->agent, ice->stream_id, &ice->local_ufrag, &ice->local_pwd);
	g_strfreev (ice->local_candidates);
	ice->local_candidates = candidates;
	ice->gathering_done = TRUE;
	push_event (ice, EVENT_GATHERING_DONE);
}

static gboolean
on_gather_deadline (gpointer data)
{
	NcuIce *ice = data;

	g_clear_pointer (&ice->deadline_source, g_source_unref);
	if (ice->gathering_complete)
		return G_SOURCE_REMOVE;
	g_debug ("ice %p: gathering still running after %d ms: offering what we have", ice,
	         ice->settings->gather_deadline_ms);
	ice->stats.gather_deadline_hits++;
	deliver_gathered (ice);
	return G_SOURCE_REMOVE;
}

static void
start_deadline (NcuIce *ice)
{
	if (ice->settings->gather_deadline_ms < 0)
		return;
	ice->deadline_source = ncu_source_timeout (ice->context, ice->settings->gather_deadline_ms,
	                                           "ncu-ice gathering deadline", on_gather_deadline,
	                                           ice);
}

static void
on_gathering_done (NiceAgent *agent, guint stream_id, gpointer data)
{
	NcuIce *ice = data;

	ice->stats.gathering_us = g_get_monotonic_time () - ice->gather_start_us;
	ice->gathering_complete = TRUE;
	ncu_source_clear (&ice->deadline_source);
	deliver_gathered (ice);
	g_debug ("ice %p: gathered %u candidates in %" G_GINT64_FORMAT " us", ice,
	         g_strv_length (ice->local_candidates), ice->stats.gathering_us);
}

static void
on_selected_pair (NiceAgent *agent, guint stream_id, guint component_id,
                  NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
	NcuIce *ice = data;
	NcuIceSelectedPair *pair = &ice->pair;

	pair->local_type = ncu_ice_candidate_type_from_nice (local->type);
	pair->remote_type = ncu_ice_candidate_type_from_nice (remote->type);
	ncu_ice_endpoint_from_nice (&local->addr, &pair->local);
	ncu_ice_endpoint_from_nice (&local->base_addr, &pair->local_base);
	if (pair->local_base.family == 0)
		pair->local_base = pair->local;
	pair->local_base_is_host = ncu_ice_base_is_host (agent, stream_id, local);
	ncu_ice_endpoint_from_nice (&remote->addr, &pair->remote);
	ncu_ice_direct_update (&ice->direct, agent, stream_id, remote);
	ice->have_pair = TRUE;
	drop_old_agent (ice);
	g_debug ("ice %p: selected %s -> %s", ice,
	         ncu_ice_candidate_type_to_string (pair->local_type),
	         ncu_ice_candidate_type_to_string (pair->remote_type));
	push_event (ice, EVENT_SELECTED_PAIR)->pair = *pair;
}

static void
on_recv (NiceAgent *agent, guint stream_id, guint component_id, guint len,
         gchar *buf, gpointer data)
{
	NcuIce *ice = data;

	ice->stats.rx_packets++;
	ice->stats.rx_bytes += len;
	if (ice->control_func && len >= NCU_ICE_CONTROL_PREFIX_LEN &&
	    memcmp (buf, ice->control_prefix, NCU_ICE_CONTROL_PREFIX_LEN) == 0) {
		ice->control_func (ice, (guint8 *) buf, len, ice->control_data);
		return;
	}
	if (ice->recv_func)
		ice->recv_func (ice, (guint8 *) buf, len, ice->recv_data);
}

/* ---- agent setup ---- */

static void
connect_signals (NcuIce *ice)
{
	g_signal_connect (ice->agent, "component-state-changed", G_CALLBACK (on_state_changed), ice);
	g_signal_connect (ice->agent, "new-candidate-full", G_CALLBACK (on_new_candidate), ice);
	g_signal_connect (ice->agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), ice);
	g_signal_connect (ice->agent, "new-selected-pair-full", G_CALLBACK (on_selected_pair), ice);
}

static void
create_agent (NcuIce *ice)
{
	ice->agent = ncu_ice_agent_new (ice->settings, ice->context, ice->controlling,
	                                &ice->stream_id, &ice->turn_refresh_time);
	connect_signals (ice);
	nice_agent_attach_recv (ice->agent, ice->stream_id, COMPONENT_ID, ice->context,
	                        on_recv, ice);
}

/* Drops the agent: no more signals or data for us; it releases its TURN
 * allocations in the background (src/ncu-ice-close.c). */
static void
destroy_agent (NcuIce *ice)
{
	gboolean gathering = ice->state != NCU_ICE_STATE_NEW && !ice->gathering_complete;

	if (!ice->agent)
		return;
	g_signal_handlers_disconnect_by_data (ice->agent, ice);
	ncu_ice_close_agent (g_steal_pointer (&ice->agent), ice->stream_id, gathering, ice->context);
	ice->stream_id = 0;
	ice->turn_refresh_time = 0;
}

/* The previous session's pair is no longer needed (or no longer wanted):
 * the agent closes like any other (src/ncu-ice-close.c). */
static void
drop_old_agent (NcuIce *ice)
{
	if (!ice->old_agent)
		return;
	ncu_ice_direct_clear (&ice->old_direct);
	ncu_ice_close_agent (g_steal_pointer (&ice->old_agent), ice->old_stream_id,
	                     ice->old_gathering, ice->context);
	ice->old_stream_id = 0;
}

/* Forgets the current session (not a kept old agent). */
static void
reset_current (NcuIce *ice)
{
	destroy_agent (ice);
	ncu_source_clear (&ice->deadline_source);
	g_queue_clear_full (&ice->events, (GDestroyNotify) event_free);
	ice->state = NCU_ICE_STATE_NEW;
	ice->gathering_done = FALSE;
	ice->gathering_complete = FALSE;
	ice->have_pair = FALSE;
	ncu_ice_direct_clear (&ice->direct);
	g_clear_pointer (&ice->local_ufrag, g_free);
	g_clear_pointer (&ice->local_pwd, g_free);
	g_clear_pointer (&ice->local_candidates, g_strfreev);
	g_clear_pointer (&ice->remote_ufrag, g_free);
	g_clear_pointer (&ice->remote_pwd, g_free);
}

static void
reset_session (NcuIce *ice)
{
	drop_old_agent (ice);
	reset_current (ice);
}

/* ---- public API ---- */

NcuIce *
ncu_ice_new (GMainContext *context, const NcuIceConfig *config, gboolean controlling,
             GError **error)
{
	NcuIceSettings *settings = ncu_ice_settings_new (config, error);
	NcuIce *ice;

	if (!settings)
		return NULL;
	ice = g_new0 (NcuIce, 1);
	ice->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
	ice->controlling = controlling;
	ice->settings = settings;
	ice->stats.gathering_us = -1;
	g_queue_init (&ice->events);
	create_agent (ice);
	return ice;
}

static void
really_free (NcuIce *ice)
{
	reset_session (ice);
	ncu_source_clear (&ice->dispatch_source);
	ncu_ice_settings_free (ice->settings);
	g_main_context_unref (ice->context);
	g_free (ice);
}

void
ncu_ice_free (NcuIce *ice)
{
	if (!ice)
		return;
	if (ice->dispatching) {
		/* Called from one of our callbacks: the dispatcher frees. */
		ice->recv_func = NULL;
		ice->control_func = NULL;
		ice->free_pending = TRUE;
		destroy_agent (ice);
		return;
	}
	really_free (ice);
}

void
ncu_ice_set_callbacks (NcuIce *ice, const NcuIceCallbacks *callbacks, gpointer user_data)
{
	if (callbacks)
		ice->callbacks = *callbacks;
	else
		memset (&ice->callbacks, 0, sizeof ice->callbacks);
	ice->user_data = user_data;
}

void
ncu_ice_set_recv_func (NcuIce *ice, NcuIceRecvFunc func, gpointer user_data)
{
	ice->recv_func = func;
	ice->recv_data = user_data;
}

void
ncu_ice_set_control_func (NcuIce *ice, const guint8 *prefix, NcuIceRecvFunc func,
                          gpointer user_data)
{
	if (func)
		memcpy (ice->control_prefix, prefix, NCU_ICE_CONTROL_PREFIX_LEN);
	ice->control_func = func;
	ice->control_data = user_data;
}

gboolean
ncu_ice_gather (NcuIce *ice, GError **error)
{
	g_autoptr (GPtrArray) addresses = NULL;

	if (!ice->agent || ice->state != NCU_ICE_STATE_NEW) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "ICE gathering already started");
		return FALSE;
	}
	addresses = ncu_ice_local_addresses ((const char *const *) ice->settings->exclude,
	                                     ice->settings->tunnel_interface,
	                                     ice->settings->loopback_only, error);
	if (!addresses)
		return FALSE;
	for (guint i = 0; i < addresses->len; i++)
		nice_agent_add_local_address (ice->agent, addresses->pdata[i]);

	ice->gather_start_us = g_get_monotonic_time ();
	if (!nice_agent_gather_candidates (ice->agent, ice->stream_id)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
		             "ICE gathering failed: no local socket could be opened "
		             "(port range %u-%u)", ice->settings->port_min, ice->settings->port_max);
		/* Leave a clean agent behind, so that gathering can be retried. */
		reset_session (ice);
		create_agent (ice);
		return FALSE;
	}
	set_state (ice, NCU_ICE_STATE_GATHERING);
	if (!ice->gathering_complete)
		start_deadline (ice);
	return TRUE;
}

/* Checks every string first so that a bad one applies nothing. */
static gboolean
parse_candidates (NcuIce *ice, const char *const *candidates, GSList **out, GError **error)
{
	GSList *list = NULL;

	for (guint i = 0; candidates && candidates[i]; i++) {
		g_autoptr (GError) local_error = NULL;
		g_autofree char *line = ncu_ice_check_candidate (candidates[i], i, &local_error);
		NiceCandidate *candidate;

		if (local_error) {
			g_propagate_error (error, g_steal_pointer (&local_error));
			goto fail;
		}
		if (!line)
			continue;  /* skipped: TCP */
		candidate = nice_agent_parse_remote_candidate_sdp (ice->agent, ice->stream_id, line);
		if (!candidate) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			             "Remote ICE candidate %u: not understood by libnice", i);
			goto fail;
		}
		list = g_slist_prepend (list, candidate);
	}
	*out = g_slist_reverse (list);
	return TRUE;

fail:
	g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
	return FALSE;
}

static gboolean
apply_remote_credentials (NcuIce *ice, const char *ufrag, const char *pwd, GError **error)
{
	if (ice->remote_ufrag) {
		if (g_str_equal (ice->remote_ufrag, ufrag) && g_str_equal (ice->remote_pwd, pwd))
			return TRUE;
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "Remote ICE credentials changed: restart the session first");
		return FALSE;
	}
	if (!nice_agent_set_remote_credentials (ice->agent, ice->stream_id, ufrag, pwd)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice refused the remote credentials");
		return FALSE;
	}
	ice->remote_ufrag = g_strdup (ufrag);
	ice->remote_pwd = g_strdup (pwd);
	return TRUE;
}

gboolean
ncu_ice_set_remote (NcuIce *ice, const char *ufrag, const char *pwd,
                    const char *const *candidates, GError **error)
{
	GSList *list = NULL;
	gboolean ok = TRUE;

	if (!ice->agent || ice->state == NCU_ICE_STATE_NEW) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
		             "ICE session not gathering: call ncu_ice_gather() first");
		return FALSE;
	}
	if (!ncu_ice_check_credential ("ufrag", ufrag, 4, error) ||
	    !ncu_ice_check_credential ("pwd", pwd, 22, error))
		return FALSE;
	if (!parse_candidates (ice, candidates, &list, error))
		return FALSE;
	if (!apply_remote_credentials (ice, ufrag, pwd, error)) {
		ok = FALSE;
	} else if (list &&
	           nice_agent_set_remote_candidates (ice->agent, ice->stream_id, COMPONENT_ID, list) < 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libnice refused the remote candidates");
		ok = FALSE;
	}
	g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
	return ok;
}

/* The current session's agent becomes the kept one (replacing any older). */
static void
keep_current_agent (NcuIce *ice)
{
	drop_old_agent (ice);
	/* Its signals stop (no state or pair of the old session reaches the
	 * caller); what arrives on it still goes to the receiver. */
	g_signal_handlers_disconnect_by_data (ice->agent, ice);
	ice->old_agent = g_steal_pointer (&ice->agent);
	ice->old_stream_id = ice->stream_id;
	ice->old_gathering = !ice->gathering_complete;
	ice->old_direct = ice->direct;
	ice->direct.socket = NULL;
	ice->stream_id = 0;
}

gboolean
ncu_ice_restart_keeping_pair (NcuIce *ice, GError **error)
{
	if (ice->have_pair && ice->agent)
		keep_current_agent (ice);
	else if (!ice->old_agent)
		return ncu_ice_restart (ice, error);
	/* else: restarted again before the new session connected; the kept
	 * pair stays, the unanswered session goes. */
	reset_current (ice);
	ice->stats.restarts++;
	create_agent (ice);
	return ncu_ice_gather (ice, error);
}

gboolean
ncu_ice_restart (NcuIce *ice, GError **error)
{
	reset_session (ice);
	ice->stats.restarts++;
	create_agent (ice);
	return ncu_ice_gather (ice, error);
}

#define LIBNICE_CHUNK 32

/* Relayed pairs: libnice adds the TURN framing. One call per chunk takes
 * its agent lock and finds the pair once instead of once per packet
 * (nice_agent_send). A packet it fails to send is skipped; a full send
 * buffer, or no pair, drops the rest. */
static guint
send_through_libnice (NiceAgent *agent, guint stream_id, const struct iovec *packets,
                      guint n_packets, guint64 *bytes)
{
	GOutputVector buffers[LIBNICE_CHUNK];
	NiceOutputMessage messages[LIBNICE_CHUNK];
	guint next = 0, sent = 0;

	while (next < n_packets) {
		g_autoptr (GError) error = NULL;
		guint chunk = MIN (n_packets - next, LIBNICE_CHUNK);
		gint r;

		for (guint i = 0; i < chunk; i++) {
			buffers[i].buffer = packets[next + i].iov_base;
			buffers[i].size = packets[next + i].iov_len;
			messages[i].buffers = &buffers[i];
			messages[i].n_buffers = 1;
		}
		r = nice_agent_send_messages_nonblocking (agent, stream_id, COMPONENT_ID, messages, chunk,
		                                          NULL, &error);
		/* 0 or WOULD_BLOCK: the send buffer is full; BROKEN_PIPE: no pair. */
		if (r == 0 || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) ||
		    g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
			break;
		if (r < 0) {
			next++;
			continue;
		}
		for (gint i = 0; i < r; i++)
			*bytes += packets[next + i].iov_len;
		sent += r;
		next += r;
	}
	return sent;
}

static guint
send_on (NiceAgent *agent, guint stream_id, NcuIceDirect *direct, const struct iovec *packets,
         guint n_packets, guint64 *bytes, guint64 *segmented)
{
	if (direct->socket) {
		guint64 before = direct->sender.segmented_sends;
		guint sent = ncu_ice_direct_send (direct, packets, n_packets, bytes);

		*segmented += direct->sender.segmented_sends - before;
		return sent;
	}
	return send_through_libnice (agent, stream_id, packets, n_packets, bytes);
}

guint
ncu_ice_send_batch (NcuIce *ice, const struct iovec *packets, guint n_packets,
                    guint64 *bytes_sent)
{
	guint64 bytes = 0;
	guint sent = 0;

	if (ice->have_pair && ice->agent) {
		sent = send_on (ice->agent, ice->stream_id, &ice->direct, packets, n_packets, &bytes,
		                &ice->stats.tx_segmented);
	} else if (ice->old_agent) {
		/* Between a restart that kept the pair and the new pair. */
		sent = send_on (ice->old_agent, ice->old_stream_id, &ice->old_direct, packets, n_packets,
		                &bytes, &ice->stats.tx_segmented);
	}
	ice->stats.tx_packets += sent;
	ice->stats.tx_bytes += bytes;
	ice->stats.tx_dropped += n_packets - sent;
	if (bytes_sent)
		*bytes_sent += bytes;
	return sent;
}

gboolean
ncu_ice_send (NcuIce *ice, const void *buf, gsize len)
{
	struct iovec packet = { (void *) buf, len };

	return ncu_ice_send_batch (ice, &packet, 1, NULL) == 1;
}

NcuIceState
ncu_ice_get_state (NcuIce *ice)
{
	return ice->state;
}

gboolean
ncu_ice_is_controlling (NcuIce *ice)
{
	return ice->controlling;
}

GMainContext *
ncu_ice_get_context (NcuIce *ice)
{
	return ice->context;
}

const NcuIceSelectedPair *
ncu_ice_get_selected_pair (NcuIce *ice)
{
	return ice->have_pair ? &ice->pair : NULL;
}

const char *const *
ncu_ice_get_local_candidates (NcuIce *ice)
{
	return (const char *const *) ice->local_candidates;
}

gboolean
ncu_ice_get_local_credentials (NcuIce *ice, const char **ufrag, const char **pwd)
{
	if (!ice->gathering_done)
		return FALSE;
	*ufrag = ice->local_ufrag;
	*pwd = ice->local_pwd;
	return TRUE;
}

gboolean
ncu_ice_get_remote_credentials (NcuIce *ice, const char **ufrag, const char **pwd)
{
	if (!ice->remote_ufrag)
		return FALSE;
	*ufrag = ice->remote_ufrag;
	*pwd = ice->remote_pwd;
	return TRUE;
}

void
ncu_ice_get_stats (NcuIce *ice, NcuIceStats *stats)
{
	*stats = ice->stats;
}

gint64
ncu_ice_get_turn_refresh_time (NcuIce *ice)
{
	return ice->turn_refresh_time;
}
