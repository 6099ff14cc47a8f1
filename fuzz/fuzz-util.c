/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "ncu-profile.h"

static void
drop_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
		fprintf (stderr, "%s: %s\n", domain ? domain : "(none)", message);
		abort ();
	}
}

static GLogWriterOutput
drop_structured (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
	const char *domain = NULL, *message = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
		else if (g_str_equal (fields[i].key, "MESSAGE"))
			message = fields[i].value;
	}
	drop_log (domain, level, message ? message : "", NULL);
	return G_LOG_WRITER_HANDLED;
}

void
ncu_fuzz_init (void)
{
	static gsize done;

	if (g_once_init_enter (&done)) {
		g_log_set_default_handler (drop_log, NULL);
		g_log_set_writer_func (drop_structured, NULL, NULL);
		g_once_init_leave (&done, 1);
	}
}

GPtrArray *
ncu_fuzz_split_lines (const uint8_t *data, size_t size)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
	const char *p = (const char *) data, *end = p + size;

	while (p < end) {
		const char *nl = memchr (p, '\n', (size_t) (end - p));
		const char *stop = nl ? nl : end;

		g_ptr_array_add (lines, g_strndup (p, (gsize) (stop - p)));
		p = nl ? nl + 1 : end;
	}
	return lines;
}

GPtrArray *
ncu_fuzz_split_records (const uint8_t *data, size_t size, const char *separator,
                        guint max_records)
{
	GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	gsize sep_len = strlen (separator);
	const uint8_t *p = data, *end = data + size;

	while (records->len < max_records) {
		const uint8_t *hit = memmem (p, (size_t) (end - p), separator, sep_len);
		const uint8_t *stop = hit ? hit : end;

		g_ptr_array_add (records, g_bytes_new (p, (gsize) (stop - p)));
		if (!hit)
			break;
		p = hit + sep_len;
	}
	return records;
}

void
ncu_fuzz_key (guint which, guint8 private_key[32], guint8 public_key[32])
{
	memset (private_key, 0x11 * (which + 1), 32);
	ncu_key_public_from_private (private_key, public_key);
}

void
ncu_fuzz_fail (const char *format, ...)
{
	va_list args;

	va_start (args, format);
	vfprintf (stderr, format, args);
	va_end (args);
	fputc ('\n', stderr);
	abort ();
}
