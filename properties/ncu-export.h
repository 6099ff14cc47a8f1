/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes an NcuWgConf as a wg-quick file with our [cunicu] section (the
 * format is described in ncu-import.h); ncu_import_parse() reads the result
 * back to the same profile.
 */
#ifndef NCU_EXPORT_H
#define NCU_EXPORT_H

#include <glib.h>
#include "ncu-wgconf.h"

/*
 * Validates @conf with ncu_profile_validate() (secrets may be absent: only
 * those present are written) and returns the file's text, or NULL with
 * @error. A profile without signaling or ICE settings and with default
 * secret flags gets no [cunicu] section, so wg-quick can use the file too.
 * The text may hold secrets: free it with ncu_wgconf_secret_free().
 */
char *ncu_export_write (const NcuWgConf *conf, GError **error);

#endif /* NCU_EXPORT_H */
