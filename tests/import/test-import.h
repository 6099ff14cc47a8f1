/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What test-import.c shares with test-import-misc.c. */
#ifndef TEST_IMPORT_H
#define TEST_IMPORT_H

#include <NetworkManager.h>

extern const char *srcdir;
extern const char *builddir;
extern char *tmpdir;                /* under the build tree, removed at exit */
extern NMVpnEditorPlugin *plugin;   /* loaded through NM_VPN_PLUGIN_DIR */

int compare_lines (gconstpointer a, gconstpointer b);
/* A connection as sorted "key=value" lines (id, data., secret., ipvX.). */
char *connection_text (NMConnection *connection);
char *read_text (const char *path, gsize *len);
char *fixture_path (const char *dir, const char *name);
NMConnection *plugin_import (const char *path);
GPtrArray *list_good_fixtures (void);

void add_misc_tests (void);

#endif /* TEST_IMPORT_H */
