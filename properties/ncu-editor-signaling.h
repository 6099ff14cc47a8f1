/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The signaling page: MQTT broker URL, credentials, topic prefix, CA file.
 */
#ifndef NCU_EDITOR_SIGNALING_H
#define NCU_EDITOR_SIGNALING_H

#include <gtk/gtk.h>
#include "ncu-editor-form.h"

/* Binds the page's widgets (from @builder) to keys of @form. */
void ncu_editor_signaling_setup (GtkBuilder *builder, NcuForm *form);

#endif /* NCU_EDITOR_SIGNALING_H */
