/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers that drive a real GTK4 UI from a test. See ncu-test-gtk.h.
 */
#include "config.h"

#include "ncu-test-gtk.h"

static gboolean
has_id (GtkWidget *widget, const char *id)
{
	return g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0;
}

GtkWidget *
ncu_test_find (GtkWidget *root, const char *id)
{
	if (has_id (root, id))
		return root;
	for (GtkWidget *child = gtk_widget_get_first_child (root); child;
	     child = gtk_widget_get_next_sibling (child)) {
		GtkWidget *found = ncu_test_find (child, id);

		if (found)
			return found;
	}
	return NULL;
}

GtkWidget *
ncu_test_get (GtkWidget *root, const char *id)
{
	GtkWidget *widget = ncu_test_find (root, id);

	if (!widget)
		g_error ("no widget with id '%s'", id);
	return widget;
}

GtkWindow *
ncu_test_find_window (const char *id)
{
	g_autoptr (GList) windows = gtk_window_list_toplevels ();

	for (GList *l = windows; l; l = l->next) {
		if (has_id (l->data, id))
			return l->data;
	}
	return NULL;
}

static gboolean
timeout_cb (gpointer user_data)
{
	*(gboolean *) user_data = TRUE;
	return G_SOURCE_REMOVE;
}

void
ncu_test_iterate (guint ms)
{
	gboolean done = FALSE;

	while (g_main_context_iteration (NULL, FALSE))
		;
	g_timeout_add (ms, timeout_cb, &done);
	while (!done)
		g_main_context_iteration (NULL, TRUE);
}

void
ncu_test_wait_mapped (GtkWidget *widget)
{
	gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

	while (!gtk_widget_get_mapped (widget) || gtk_widget_get_width (widget) <= 0) {
		if (g_get_monotonic_time () > deadline)
			g_error ("widget was not shown within 20 s");
		ncu_test_iterate (20);
	}
	/* One more round for the first frame to be laid out and drawn. */
	ncu_test_iterate (200);
}

void
ncu_test_click (GtkWidget *button)
{
	g_assert_true (gtk_widget_is_sensitive (button));
	g_signal_emit_by_name (button, "clicked");
	ncu_test_iterate (10);
}

void
ncu_test_set_storage (GtkWidget *entry, NcuTestStorage choice)
{
	GtkWidget *popover = NULL;
	GtkWidget *item;
	guint i = 0;

	for (GtkWidget *child = gtk_widget_get_first_child (entry); child;
	     child = gtk_widget_get_next_sibling (child)) {
		if (GTK_IS_POPOVER (child))
			popover = child;
	}
	g_assert_nonnull (popover);
	/* libnma puts one check button per choice in a box, in enum order. */
	item = gtk_widget_get_first_child (gtk_popover_get_child (GTK_POPOVER (popover)));
	while (item && i < (guint) choice) {
		item = gtk_widget_get_next_sibling (item);
		i++;
	}
	g_assert_true (GTK_IS_CHECK_BUTTON (item));
	gtk_check_button_set_active (GTK_CHECK_BUTTON (item), TRUE);
	ncu_test_iterate (10);
}

void
ncu_test_render_png (GtkWidget *widget, const char *path)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
	g_autoptr (GskRenderer) renderer = gsk_cairo_renderer_new ();
	g_autoptr (GskRenderNode) node = NULL;
	g_autoptr (GdkTexture) texture = NULL;
	GtkSnapshot *snapshot = gtk_snapshot_new ();
	int width = gtk_widget_get_width (widget);
	int height = gtk_widget_get_height (widget);

	g_assert_cmpint (width, >, 0);
	g_assert_cmpint (height, >, 0);
	gdk_paintable_snapshot (paintable, snapshot, width, height);
	node = gtk_snapshot_free_to_node (snapshot);
	g_assert_nonnull (node);

	g_assert_true (gsk_renderer_realize (renderer,
	                                     gtk_native_get_surface (gtk_widget_get_native (widget)),
	                                     &error));
	g_assert_no_error (error);
	texture = gsk_renderer_render_texture (renderer, node,
	                                       &GRAPHENE_RECT_INIT (0, 0, width, height));
	gsk_renderer_unrealize (renderer);
	g_assert_true (gdk_texture_save_to_png (texture, path));
	g_test_message ("wrote %s (%dx%d)", path, width, height);
}
