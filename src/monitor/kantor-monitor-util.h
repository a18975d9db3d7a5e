/* kantor-monitor-util.h: small helpers the monitor's objects share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The string member @name of @obj, or NULL when it is absent or not a
 * string. */
const char *kantor_monitor_json_get_string (JsonObject *obj,
                                            const char *name);

/* The object member @name of @obj, or NULL when it is absent or not an
 * object. */
JsonObject *kantor_monitor_json_get_object (JsonObject *obj,
                                            const char *name);

/* Each sets *@field to @value and notifies @pspec on @object when that
 * changes it; TRUE when it did. */
gboolean    kantor_monitor_notify_string   (gpointer    object,
                                            char      **field,
                                            const char *value,
                                            GParamSpec *pspec);
gboolean    kantor_monitor_notify_double   (gpointer    object,
                                            double     *field,
                                            double      value,
                                            GParamSpec *pspec);
gboolean    kantor_monitor_notify_uint     (gpointer    object,
                                            guint      *field,
                                            guint       value,
                                            GParamSpec *pspec);

G_END_DECLS
