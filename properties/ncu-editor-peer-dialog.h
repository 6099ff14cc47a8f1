/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer editor: a modal window with one peer's label, public key,
 * allowed IPs, pre-shared key, endpoint and keepalive, validated through
 * the schema table under that peer's keys ("peer.N.public-key").
 */
#ifndef NCU_EDITOR_PEER_DIALOG_H
#define NCU_EDITOR_PEER_DIALOG_H

#include <gtk/gtk.h>

/* Called when the user confirms: the peer's values with short keys
 * ("public-key", "preshared-key-flags"...); the callee owns the tables. */
typedef void (*NcuPeerDialogDone) (guint index, GHashTable *data, GHashTable *secrets,
                                   gpointer user_data);

/*
 * Opens the editor for peer @index, filled from @data/@secrets (short
 * keys; both NULL for a new peer), modal on @parent's window. Returns the
 * window; it destroys itself when closed. Destroying it from outside
 * closes it without calling @done.
 */
GtkWindow *ncu_peer_dialog_open (GtkWidget *parent, guint index,
                                 GHashTable *data, GHashTable *secrets,
                                 NcuPeerDialogDone done, gpointer user_data);

#endif /* NCU_EDITOR_PEER_DIALOG_H */
