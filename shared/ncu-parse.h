/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict parsers for the value forms of the schema. Validation calls them to
 * check a value and ncu_profile_new() calls them again to convert it, so what
 * is accepted and what is converted cannot drift apart.
 *
 * Every error is NCU_ERROR_INVALID_VALUE with a message "<key>: <what is
 * wrong>; <what is allowed>". None of these forms is ever a secret, yet a
 * value that holds '@' (user:password@host) is never quoted back.
 */
#ifndef NCU_PARSE_H
#define NCU_PARSE_H

#include <glib.h>
#include "ncu-profile.h"

/* Sets @error (if not NULL) to @code with "<key>: " before the message. */
void ncu_set_error (GError **error, NcuError code, const char *key,
                    const char *format, ...) G_GNUC_PRINTF (4, 5);

/* @value in double quotes, escaped and shortened for an error message. */
char *ncu_quote (const char *value);

/*
 * Splits a comma list; spaces around items are dropped. An empty item
 * ("a,,b", "a,") is an error. Free the result with g_strfreev().
 */
char **ncu_parse_list (const char *key, const char *text, GError **error);

/* A decimal integer in [min, max]: digits only, no sign, no leading zero. */
gboolean ncu_parse_uint (const char *key, const char *text, guint64 min,
                         guint64 max, guint64 *out, GError **error);

/* One of @choices (exact match); *out is its index. */
gboolean ncu_parse_enum (const char *key, const char *text,
                         const char *const *choices, guint *out, GError **error);

/* A comma list of distinct @choices; *mask has bit i for choices[i]. */
gboolean ncu_parse_enum_set (const char *key, const char *text,
                             const char *const *choices, guint *mask,
                             GError **error);

/* A comma list of CIDRs; appends NcuCidr to @out when not NULL. */
gboolean ncu_parse_cidr_list (const char *key, const char *text, GArray *out,
                              GError **error);

/* host:port or [IPv6]:port; the port is required. */
gboolean ncu_parse_endpoint (const char *key, const char *text, char **host,
                             guint16 *port, GError **error);

/* mqtt://host[:port] or mqtts://host[:port] (ports default to 1883/8883). */
gboolean ncu_parse_mqtt_url (const char *key, const char *text, gboolean *tls,
                             char **host, guint16 *port, GError **error);

/* A comma list of stun:, turn: and turns: URLs; appends NcuIceServer* to
 * @out when not NULL. */
gboolean ncu_parse_ice_servers (const char *key, const char *text,
                                GPtrArray *out, GError **error);

/* "min-max", both 1-65535, min <= max. */
gboolean ncu_parse_port_range (const char *key, const char *text,
                               guint16 *min, guint16 *max, GError **error);

#endif /* NCU_PARSE_H */
