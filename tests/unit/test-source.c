/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GSource helpers (src/ncu-source.c): a named timeout on a private
 * context fires there and only there; clearing stops it, is idempotent,
 * and works from inside the callback.
 */
#include "config.h"

#include <glib.h>

#include "ncu-source.h"

typedef struct {
	guint calls;
	GSource *source;                 /* cleared by on_clear_self */
} Counter;

static gboolean
on_count (gpointer data)
{
	Counter *c = data;

	c->calls++;
	return G_SOURCE_CONTINUE;
}

static gboolean
on_clear_self (gpointer data)
{
	Counter *c = data;

	c->calls++;
	ncu_source_clear (&c->source);
	/* CONTINUE on purpose: the clear alone must stop it. */
	return G_SOURCE_CONTINUE;
}

/* Iterates @context until @c has @calls calls (or 5 s pass). */
static void
run_until (GMainContext *context, Counter *c, guint calls)
{
	gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

	while (c->calls < calls && g_get_monotonic_time () < deadline)
		g_main_context_iteration (context, FALSE);
	g_assert_cmpuint (c->calls, ==, calls);
}

static void
test_timeout_fires_on_context (void)
{
	g_autoptr (GMainContext) context = g_main_context_new ();
	Counter c = { 0 };
	GSource *source = ncu_source_timeout (context, 1, "test timeout", on_count, &c);

	g_assert_cmpstr (g_source_get_name (source), ==, "test timeout");
	g_assert_true (g_source_get_context (source) == context);
	/* Nothing runs on the default context. */
	while (g_main_context_iteration (NULL, FALSE))
		;
	g_assert_cmpuint (c.calls, ==, 0);
	run_until (context, &c, 2);
	ncu_source_clear (&source);
	g_assert_null (source);
	g_assert_true (g_main_context_find_source_by_user_data (context, &c) == NULL);
}

static void
test_clear_before_firing (void)
{
	g_autoptr (GMainContext) context = g_main_context_new ();
	Counter c = { 0 };
	GSource *source = ncu_source_attach (g_idle_source_new (), context, "test idle", on_count,
	                                     &c);

	ncu_source_clear (&source);
	g_assert_null (source);
	ncu_source_clear (&source);      /* idempotent */
	g_assert_false (g_main_context_iteration (context, FALSE));
	g_assert_cmpuint (c.calls, ==, 0);
}

static void
test_clear_from_callback (void)
{
	g_autoptr (GMainContext) context = g_main_context_new ();
	Counter c = { 0 };

	c.source = ncu_source_attach (g_idle_source_new (), context, "test self", on_clear_self, &c);
	run_until (context, &c, 1);
	g_assert_null (c.source);
	g_assert_false (g_main_context_iteration (context, FALSE));
	g_assert_cmpuint (c.calls, ==, 1);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/source/timeout-fires-on-context", test_timeout_fires_on_context);
	g_test_add_func ("/source/clear-before-firing", test_clear_before_firing);
	g_test_add_func ("/source/clear-from-callback", test_clear_from_callback);
	return g_test_run ();
}
