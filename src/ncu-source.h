/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The two GSource idioms every module of the service repeats: attach a
 * named source with its callback to a main context, and take such a source
 * down again (destroy it and drop our reference) if it is still there.
 *
 * GLib 2.74 has g_clear_handle_id() for source ids, but nothing for a held
 * GSource pointer: g_clear_pointer (&s, g_source_unref) alone leaves the
 * source attached and its callback due. The modules keep pointers rather
 * than ids because a source may live on a context other than the global
 * default one (g_source_remove() looks only there).
 */
#ifndef NCU_SOURCE_H
#define NCU_SOURCE_H

#include <glib.h>

/*
 * Gives @source (which the caller owns) the callback @func (@data, no
 * destroy notify) and the name @static_name (a string that lives forever,
 * for profilers and debug logs), attaches it to @context (NULL: the global
 * default context) and returns it: the caller keeps its reference, to pass
 * to ncu_source_clear() or to drop once the callback returns
 * G_SOURCE_REMOVE.
 */
GSource *ncu_source_attach (GSource *source, GMainContext *context, const char *static_name,
                            GSourceFunc func, gpointer data);

/*
 * A timeout of @ms milliseconds attached as by ncu_source_attach(). A
 * back-off needs a new one per interval: a timeout's dispatch recomputes
 * its ready time after the callback, so g_source_set_ready_time() from
 * inside the callback is lost.
 */
GSource *ncu_source_timeout (GMainContext *context, guint ms, const char *static_name,
                             GSourceFunc func, gpointer data);

/*
 * If *@source is set: destroys it (its callback never runs again; fine
 * from inside that callback too), drops the caller's reference and sets
 * *@source to NULL. Idempotent.
 */
void ncu_source_clear (GSource **source);

#endif /* NCU_SOURCE_H */
