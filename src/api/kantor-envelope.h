/* kantor-envelope.h: the server-to-client message envelope (PROTOCOL §2)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "kantor-error-codes.h"

G_BEGIN_DECLS

#define KANTOR_PROTOCOL_VERSION "1.0"
/* Longest string id a client may use. */
#define KANTOR_ENVELOPE_MAX_ID_LENGTH 64

/* "2026-11-25T17:03:15.123Z" for @real_time_us (g_get_real_time()); returns
 * the length (24). The second part is cached per thread, so the common case
 * is a compare and a few digits. */
gsize     kantor_envelope_format_timestamp (gint64       real_time_us,
                                            char         buf[32]);

/* Checks a request's id: absent, null, an integer or a string of at most 64
 * characters. Sets a KANTOR_PROTOCOL_ERROR validation_error otherwise. */
gboolean  kantor_envelope_check_id         (JsonNode    *id,
                                            GError     **error);

/* Opens an envelope in @out: {"version":"1.0","timestamp":"…","type":@type
 * and, when @id is neither NULL nor null, "id":@id. The caller appends
 * ",\"key\":value" members and the closing brace. */
void      kantor_envelope_begin            (GString     *out,
                                            const char  *type,
                                            JsonNode    *id);

/* {type:"response", status, data}; the identifiers the protocol wants at top
 * level too (session_id, collection_id, strategy_name, ...) are copied from
 * @data. @data may be NULL for {}. */
char     *kantor_envelope_response         (JsonNode    *id,
                                            const char  *status,
                                            JsonObject  *data);
/* {type:"error", error_code, error_message, details?}; @message NULL takes
 * the table's default sentence. */
char     *kantor_envelope_error            (JsonNode    *id,
                                            KantorErrorCode code,
                                            const char  *message,
                                            JsonObject  *details);
/* Same, from a GError mapped through the error table. */
char     *kantor_envelope_error_from_gerror (JsonNode   *id,
                                             const GError *error,
                                             JsonObject *details);
/* {type:"status", status, ...@fields at top level}. */
char     *kantor_envelope_status           (JsonNode    *id,
                                            const char  *status,
                                            JsonObject  *fields);
/* The one shape of every alert: {type:"alert", alert, severity,
 * session_id (null when none), symbol?, message, ...@extra}. @alert is one
 * of the kinds kantor_envelope_alert_is_known() accepts; it decides the
 * severity (info, warning or critical). Members of @extra that the other
 * arguments set are left out. */
char     *kantor_envelope_alert            (const char  *alert,
                                            const char  *session_id,
                                            const char  *symbol,
                                            const char  *message,
                                            JsonObject  *extra);
gboolean  kantor_envelope_alert_is_known   (const char  *alert);
/* Any other type (data, signal): @fields at top level. */
char     *kantor_envelope_message          (const char  *type,
                                            JsonObject  *fields);

G_END_DECLS
