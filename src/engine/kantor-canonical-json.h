/* kantor-canonical-json.h: canonical JSON for hashing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Canonical form: object keys sorted recursively (byte order of their UTF-8),
 * no white space, strings with the minimal JSON escapes (", \, control
 * characters; everything else as UTF-8), numbers in the shortest form that
 * reads back to the same double (integral values without a fraction, so 5
 * and 5.0 are the same document), non-finite numbers as null.
 *
 * Two documents that mean the same thing give the same bytes, which is what
 * strategy hashes and session idempotency keys need. Numbers and strings are
 * written as kantor_json_to_string() writes them; only the key order differs. */
char *kantor_canonical_json_to_string (JsonNode *node);
void  kantor_canonical_json_append    (GString  *out,
                                       JsonNode *node);
/* Lower-case hex SHA-256 of the canonical form of @node. */
char *kantor_canonical_json_sha256    (JsonNode *node);

G_END_DECLS
