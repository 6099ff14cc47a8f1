/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "ncu-source.h"

GSource *
ncu_source_attach (GSource *source, GMainContext *context, const char *static_name,
                   GSourceFunc func, gpointer data)
{
	g_source_set_callback (source, func, data, NULL);
	g_source_set_static_name (source, static_name);
	g_source_attach (source, context);
	return source;
}

GSource *
ncu_source_timeout (GMainContext *context, guint ms, const char *static_name, GSourceFunc func,
                    gpointer data)
{
	return ncu_source_attach (g_timeout_source_new (ms), context, static_name, func, data);
}

void
ncu_source_clear (GSource **source)
{
	GSource *s = g_steal_pointer (source);

	if (!s)
		return;
	g_source_destroy (s);
	g_source_unref (s);
}
