/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Formats what nm-cunicu-status collected: a{sv} mapping each service's
 * bus name to its GetStatus() dictionary (ncu-status.h).
 */
#ifndef NCU_STATUS_FORMAT_H
#define NCU_STATUS_FORMAT_H

#include <glib.h>

/* One row per peer, columns aligned; a line per connection above its peers. */
char *ncu_status_format_table (GVariant *all);
/* The same data as JSON: {"<bus name>": {...status...}, ...}. */
char *ncu_status_format_json (GVariant *all);

#endif /* NCU_STATUS_FORMAT_H */
