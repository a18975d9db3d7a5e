/* kantor-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kantor-json.h"

G_DEFINE_QUARK (kantor-json-error-quark, kantor_json_error)

gsize
kantor_format_double (double v,
                      char   buf[32])
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };

  if (!isfinite (v))
    {
      memcpy (buf, "null", 5);
      return 4;
    }

  /* Whole numbers within the exactly representable range are common
   * (quantities, counts) and need no search. */
  if (v == floor (v) && fabs (v) < 9007199254740992.0)
    {
      if (v == 0.0)
        {
          memcpy (buf, "0", 2);
          return 1;
        }
      return (gsize) g_snprintf (buf, 32, "%" G_GINT64_FORMAT, (gint64) v);
    }

  /* 15 significant digits always read back to the decimal they came from;
   * 17 always read back to the same double. Take the first that does. */
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, 32, formats[i], v);
      if (i == G_N_ELEMENTS (formats) - 1 || g_ascii_strtod (buf, NULL) == v)
        break;
    }

  return strlen (buf);
}

void
kantor_json_append_string (GString    *out,
                           const char *str)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) str;
  const guchar *run = p;

  g_string_append_c (out, '"');
  for (; *p != '\0'; p++)
    {
      guchar c = *p;
      const char *esc = NULL;

      if (G_LIKELY (c >= 0x20 && c != '"' && c != '\\'))
        continue;

      if (p > run)
        g_string_append_len (out, (const char *) run, p - run);
      run = p + 1;

      switch (c)
        {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
          break;
        }

      if (esc != NULL)
        {
          g_string_append (out, esc);
        }
      else
        {
          char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf], '\0' };
          g_string_append_len (out, u, 6);
        }
    }
  if (p > run)
    g_string_append_len (out, (const char *) run, p - run);
  g_string_append_c (out, '"');
}

static void
append_value (GString  *out,
              JsonNode *node)
{
  char buf[32];

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      {
        gsize n = kantor_format_double (json_node_get_double (node), buf);
        g_string_append_len (out, buf, n);
      }
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      kantor_json_append_string (out, json_node_get_string (node));
      break;
    default:
      g_string_append (out, "null");
      break;
    }
}

void
kantor_json_append (GString  *out,
                    JsonNode *node)
{
  if (node == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        /* Insertion order, so that output is stable and reads naturally. */
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            kantor_json_append_string (out, name);
            g_string_append_c (out, ':');
            kantor_json_append (out, member);
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
            kantor_json_append (out, json_array_get_element (array, i));
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
kantor_json_to_string (JsonNode *node)
{
  GString *out = g_string_sized_new (128);

  kantor_json_append (out, node);
  return g_string_free (out, FALSE);
}

gboolean
kantor_json_check_input (const char  *data,
                         gsize        len,
                         gsize        max_len,
                         guint        max_depth,
                         GError     **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  if (max_len > 0 && len > max_len)
    {
      g_set_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_LARGE,
                   "The document is %" G_GSIZE_FORMAT " bytes long, more than %" G_GSIZE_FORMAT,
                   len, max_len);
      return FALSE;
    }

  /* Rejects NUL bytes as well as malformed sequences. */
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_INVALID_UTF8,
                           "The document is not valid UTF-8");
      return FALSE;
    }

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > max_depth)
            {
              g_set_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_DEEP,
                           "The document nests deeper than %u levels", max_depth);
              return FALSE;
            }
          break;
        case ']':
        case '}':
          /* Unbalanced input is the parser's to report. */
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return TRUE;
}
