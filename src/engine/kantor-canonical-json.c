/* kantor-canonical-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-canonical-json.h"
#include "kantor-json.h"

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (a, b);
}

static void
append_value (GString  *out,
              JsonNode *node)
{
  char buf[32];
  gsize len;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      len = kantor_format_double (json_node_get_double (node), buf);
      g_string_append_len (out, buf, (gssize) len);
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      kantor_json_append_string (out, json_node_get_string (node));
      break;
    default:
      g_string_append (out, "null");
    }
}

void
kantor_canonical_json_append (GString  *out,
                              JsonNode *node)
{
  if (node == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);

        members = g_list_sort (members, compare_keys);
        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            if (l != members)
              g_string_append_c (out, ',');
            kantor_json_append_string (out, l->data);
            g_string_append_c (out, ':');
            kantor_canonical_json_append (out, json_object_get_member (object, l->data));
          }
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            kantor_canonical_json_append (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      append_value (out, node);
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

char *
kantor_canonical_json_to_string (JsonNode *node)
{
  GString *out = g_string_sized_new (256);

  kantor_canonical_json_append (out, node);
  return g_string_free (out, FALSE);
}

char *
kantor_canonical_json_sha256 (JsonNode *node)
{
  g_autoptr(GString) out = g_string_sized_new (256);

  kantor_canonical_json_append (out, node);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, out->str, (gssize) out->len);
}
