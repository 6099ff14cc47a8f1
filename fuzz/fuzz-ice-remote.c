/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ICE remote offers: ncu_ice_set_remote() (credential checks, our strict
 * candidate checks, then libnice's SDP candidate parser and
 * nice_agent_set_remote_candidates) on a fresh session for every input.
 *
 * ncu_ice_set_remote() needs a gathering session, so each input gets an
 * NcuIce gathered on loopback only (no STUN/TURN servers: gathering is
 * synchronous). Its GMainContext is private and never iterated: libnice
 * only schedules connectivity checks on timers there, so no packet is ever
 * sent to the addresses the fuzzer makes up.
 *
 * Input lines: ufrag, pwd, then candidate lines. A line "--" ends the
 * first batch; the lines after it go to a second call with the same
 * credentials (adding candidates to a session), as a peer's refreshed
 * offer would.
 */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "ncu-ice.h"

#define MAX_CANDIDATES 64

static gboolean
set_remote (NcuIce *ice, GPtrArray *lines, guint from, guint to)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) candidates = g_ptr_array_new ();
	gboolean ok;

	for (guint i = from; i < to && candidates->len < MAX_CANDIDATES; i++)
		g_ptr_array_add (candidates, lines->pdata[i]);
	g_ptr_array_add (candidates, NULL);
	ok = ncu_ice_set_remote (ice, lines->pdata[0], lines->pdata[1],
	                         (const char *const *) candidates->pdata, &error);
	ncu_fuzz_check (ok == (error == NULL));
	return ok;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	const NcuIceConfig config = { .loopback_only = TRUE };
	g_autoptr (GPtrArray) lines = NULL;
	g_autoptr (GError) error = NULL;
	GMainContext *context;
	NcuIce *ice;
	guint split;

	ncu_fuzz_init ();
	lines = ncu_fuzz_split_lines (data, size);
	if (lines->len < 2)
		return 0;
	for (split = 2; split < lines->len; split++) {
		if (g_str_equal (lines->pdata[split], "--"))
			break;
	}

	context = g_main_context_new ();
	ice = ncu_ice_new (context, &config, size & 1, &error);
	ncu_fuzz_check (ice);
	if (!ncu_ice_gather (ice, &error))
		ncu_fuzz_fail ("cannot gather on loopback: %s", error->message);
	if (set_remote (ice, lines, 2, split) && split < lines->len)
		set_remote (ice, lines, split + 1, lines->len);
	ncu_ice_free (ice);
	g_main_context_unref (context);
	/* libnice completes nice_agent_close_async() (the GTask that keeps the
	 * agent alive) from an idle in the thread-default context; only that
	 * runs here, the agent's timers lived in the private context. */
	while (g_main_context_iteration (NULL, FALSE))
		;
	return 0;
}
