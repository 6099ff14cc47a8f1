/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer list of the main page: one row per peer, with Add, Edit and
 * Remove; each peer is edited in the peer dialog. Peers are kept as their
 * short keys ("public-key") and numbered densely from 0 when collected.
 */
#ifndef NCU_EDITOR_PEERS_H
#define NCU_EDITOR_PEERS_H

#include <gtk/gtk.h>

typedef struct _NcuEditorPeers NcuEditorPeers;

/* Called when a peer was added, edited or removed. */
typedef void (*NcuEditorPeersChanged) (gpointer user_data);

NcuEditorPeers *ncu_editor_peers_new (GtkBuilder *builder, NcuEditorPeersChanged changed,
                                      gpointer user_data);
/* Disconnects from the widgets and closes an open peer dialog. */
void ncu_editor_peers_free (NcuEditorPeers *peers);

/* Takes every "peer.N.*" key of @data/@secrets (@secrets may be NULL). */
void ncu_editor_peers_load (NcuEditorPeers *peers, GHashTable *data, GHashTable *secrets);
/* Adds every peer's keys, numbered from 0 in list order. */
void ncu_editor_peers_collect (NcuEditorPeers *peers, GHashTable *data, GHashTable *secrets);

#endif /* NCU_EDITOR_PEERS_H */
