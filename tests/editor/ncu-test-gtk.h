/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Driving a real GTK4 UI from a test: find widgets by buildable id, let
 * the main loop run, pick a libnma storage choice, render to PNG.
 */
#ifndef NCU_TEST_GTK_H
#define NCU_TEST_GTK_H

#include <gtk/gtk.h>

/* The widget under @root (included) whose buildable id is @id, or NULL. */
GtkWidget *ncu_test_find (GtkWidget *root, const char *id);
/* Like ncu_test_find() but fails the test when absent. */
GtkWidget *ncu_test_get (GtkWidget *root, const char *id);
/* The toplevel window whose buildable id is @id, or NULL. */
GtkWindow *ncu_test_find_window (const char *id);

/* Runs the main loop until nothing is pending, then ~@ms milliseconds more
 * (lets layout and drawing happen). */
void ncu_test_iterate (guint ms);
/* Runs the main loop until @widget is mapped and allocated; fails after
 * 20 s. */
void ncu_test_wait_mapped (GtkWidget *widget);

/* Clicks @button as the user would (emits "clicked"). */
void ncu_test_click (GtkWidget *button);

/* libnma's storage menu on a password entry: the choices in its order. */
typedef enum {
	NCU_TEST_STORAGE_USER = 0,    /* flags 1, agent-owned */
	NCU_TEST_STORAGE_SYSTEM = 1,  /* flags 0 */
	NCU_TEST_STORAGE_ASK = 2,     /* flags 2, not saved */
	NCU_TEST_STORAGE_UNUSED = 3,  /* flags 4, not required */
} NcuTestStorage;

/* Picks @choice in the storage popover of @entry, as a click would. */
void ncu_test_set_storage (GtkWidget *entry, NcuTestStorage choice);

/* Renders @widget (with its window's background) into a PNG at @path. */
void ncu_test_render_png (GtkWidget *widget, const char *path);

#endif /* NCU_TEST_GTK_H */
