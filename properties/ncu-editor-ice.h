/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ICE page: STUN/TURN servers, TURN credentials, candidate types,
 * port range and excluded interfaces.
 */
#ifndef NCU_EDITOR_ICE_H
#define NCU_EDITOR_ICE_H

#include <gtk/gtk.h>
#include "ncu-editor-form.h"

/* Binds the page's widgets (from @builder) to keys of @form. */
void ncu_editor_ice_setup (GtkBuilder *builder, NcuForm *form);

#endif /* NCU_EDITOR_ICE_H */
