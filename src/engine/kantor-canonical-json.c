/* kantor-canonical-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-canonical-json.h"
#include "kantor-json.h"

void
kantor_canonical_json_append (GString  *out,
                              JsonNode *node)
{
  kantor_json_append_with_flags (out, node, KANTOR_JSON_SORT_KEYS);
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
