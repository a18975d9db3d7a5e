/* kantor-monitor-util.c: small helpers the monitor's objects share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-util.h"

const char *
kantor_monitor_json_get_string (JsonObject *obj,
                                const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
kantor_monitor_json_get_object (JsonObject *obj,
                                const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

gboolean
kantor_monitor_notify_string (gpointer    object,
                              char      **field,
                              const char *value,
                              GParamSpec *pspec)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (object), pspec);
  return TRUE;
}

gboolean
kantor_monitor_notify_double (gpointer    object,
                              double     *field,
                              double      value,
                              GParamSpec *pspec)
{
  if (*field == value)
    return FALSE;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (object), pspec);
  return TRUE;
}

gboolean
kantor_monitor_notify_uint (gpointer    object,
                            guint      *field,
                            guint       value,
                            GParamSpec *pspec)
{
  if (*field == value)
    return FALSE;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (object), pspec);
  return TRUE;
}
