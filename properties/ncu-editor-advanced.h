/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The advanced page: interface name, proxy mode, WireGuard backend.
 */
#ifndef NCU_EDITOR_ADVANCED_H
#define NCU_EDITOR_ADVANCED_H

#include <gtk/gtk.h>
#include "ncu-editor-form.h"

/* Binds the page's widgets (from @builder) to keys of @form. */
void ncu_editor_advanced_setup (GtkBuilder *builder, NcuForm *form);

#endif /* NCU_EDITOR_ADVANCED_H */
