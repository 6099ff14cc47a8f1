/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "ncu-log.h"

static int log_level = LOG_NOTICE;
static gboolean log_syslog;
/* --debug: each line carries CLOCK_MONOTONIC (seconds.microseconds), so
 * the steps of a connect can be timed from the log alone (bench/). */
static gboolean log_timestamps;

static int
syslog_level_of (GLogLevelFlags flags)
{
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return LOG_ERR;
	if (flags & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (flags & G_LOG_LEVEL_MESSAGE)
		return LOG_NOTICE;
	if (flags & G_LOG_LEVEL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static const char *
level_name (int level)
{
	switch (level) {
	case LOG_ERR:     return "error";
	case LOG_WARNING: return "warn";
	case LOG_NOTICE:  return "notice";
	case LOG_INFO:    return "info";
	default:          return "debug";
	}
}

static GLogWriterOutput
ncu_log_writer (GLogLevelFlags flags, const GLogField *fields, gsize n_fields,
                gpointer user_data)
{
	const char *message = NULL;
	int level = syslog_level_of (flags);

	if (level > log_level)
		return G_LOG_WRITER_HANDLED;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if (!message)
		return G_LOG_WRITER_UNHANDLED;
	if (log_syslog) {
		syslog (level, "%s", message);
		return G_LOG_WRITER_HANDLED;
	}
	/* NetworkManager prefixes nothing: say who we are. */
	if (log_timestamps) {
		gint64 now = g_get_monotonic_time ();

		fprintf (stderr, "nm-cunicu[%ld] %" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT " <%s> %s\n",
		         (long) getpid (), now / G_USEC_PER_SEC, now % G_USEC_PER_SEC,
		         level_name (level), message);
	} else {
		fprintf (stderr, "nm-cunicu[%ld] <%s> %s\n", (long) getpid (),
		         level_name (level), message);
	}
	fflush (stderr);
	return G_LOG_WRITER_HANDLED;
}

void
ncu_log_init (gboolean debug)
{
	const char *env = g_getenv ("NM_VPN_LOG_LEVEL");

	if (env) {
		gint64 v = g_ascii_strtoll (env, NULL, 10);
		/* Warnings say why a connection failed: never hide them. */
		if (v >= LOG_EMERG && v <= LOG_DEBUG)
			log_level = MAX ((int) v, LOG_WARNING);
	}
	if (debug)
		log_level = LOG_DEBUG;
	log_timestamps = debug;
	/* NetworkManager asks for syslog when it logs there itself; --debug
	 * (a developer at a terminal) keeps stderr. */
	log_syslog = !debug && g_strcmp0 (g_getenv ("NM_VPN_LOG_SYSLOG"), "1") == 0;
	if (log_syslog)
		openlog ("nm-cunicu", LOG_PID, LOG_DAEMON);
	g_log_set_writer_func (ncu_log_writer, NULL, NULL);
}
