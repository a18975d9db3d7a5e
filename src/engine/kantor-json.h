/* kantor-json.h: compact JSON output with shortest round-trip numbers, and
 * a cheap guard run on untrusted input before json-glib parses it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KANTOR_JSON_ERROR (kantor_json_error_quark ())

typedef enum
{
  KANTOR_JSON_ERROR_INVALID_UTF8,
  KANTOR_JSON_ERROR_TOO_DEEP,
  KANTOR_JSON_ERROR_TOO_LARGE,
} KantorJsonError;

/* json-glib recurses per nesting level; this is far above anything the
 * protocol needs and far below what would exhaust a stack. */
#define KANTOR_JSON_MAX_DEPTH 64

GQuark  kantor_json_error_quark  (void);

/* Compact JSON (no white space). Doubles are written in the shortest form
 * that reads back to the same value; NaN and infinities, which JSON cannot
 * express, become null. */
char   *kantor_json_to_string    (JsonNode    *node);
/* Appends the serialisation of @node to @out. */
void    kantor_json_append       (GString     *out,
                                  JsonNode    *node);
typedef enum
{
  KANTOR_JSON_NONE      = 0,
  /* Object members in byte order of their names instead of insertion order
   * (the canonical form, see kantor-canonical-json.h). */
  KANTOR_JSON_SORT_KEYS = 1 << 0,
} KantorJsonFlags;

void    kantor_json_append_with_flags (GString         *out,
                                       JsonNode        *node,
                                       KantorJsonFlags  flags);
/* Appends @str as a quoted, escaped JSON string. */
void    kantor_json_append_string (GString    *out,
                                   const char *str);
/* Writes @v into @buf (NUL-terminated) and returns the length. */
gsize   kantor_format_double     (double       v,
                                  char         buf[32]);

/* Checks that @data is valid UTF-8 without NUL bytes, at most @max_len
 * bytes long (0: no limit), and that arrays and objects nest at most
 * @max_depth levels. A linear scan: no allocation, no recursion. */
gboolean kantor_json_check_input (const char  *data,
                                  gsize        len,
                                  gsize        max_len,
                                  guint        max_depth,
                                  GError     **error);

G_END_DECLS
