/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The main page: our private key (with Generate and the derived public
 * key to copy), listen port, addresses (or automatic) and MTU.
 */
#ifndef NCU_EDITOR_MAIN_H
#define NCU_EDITOR_MAIN_H

#include <gtk/gtk.h>
#include "ncu-editor-form.h"

/* Binds the page's widgets (from @builder) to keys of @form. */
void ncu_editor_main_setup (GtkBuilder *builder, NcuForm *form);

#endif /* NCU_EDITOR_MAIN_H */
