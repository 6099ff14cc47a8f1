/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for the service. NetworkManager passes its VPN log level in
 * NM_VPN_LOG_LEVEL (syslog numbering) and NM_VPN_LOG_SYSLOG=1 when we
 * should log to syslog as it does; else we write to stderr. --debug
 * raises it to everything. Callers log with g_message/g_info/g_debug/
 * g_warning; secrets are never passed to them.
 */
#ifndef NCU_LOG_H
#define NCU_LOG_H

#include <glib.h>

/* Installs the writer. @debug forces the most verbose level. */
void ncu_log_init (gboolean debug);

#endif /* NCU_LOG_H */
