/* kantor-envelope.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-envelope.h"
#include "kantor-json.h"

/* Identifiers that PROTOCOL §2 wants both inside data and at top level. */
static const char *const promoted_keys[] = {
  "session_id", "session_type", "symbols", "collection_id", "strategy_name", "stream",
  "request_type",
};

gsize
kantor_envelope_format_timestamp (gint64 real_time_us,
                                  char   buf[32])
{
  static _Thread_local gint64 cached_second = G_MININT64;
  static _Thread_local char cached_prefix[24];
  gint64 second = real_time_us / G_USEC_PER_SEC;
  int millis = (int) ((real_time_us % G_USEC_PER_SEC) / 1000);

  if (real_time_us < 0)
    {
      second = 0;
      millis = 0;
    }

  if (second != cached_second)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (second);
      g_autofree char *prefix = NULL;

      if (dt == NULL)
        dt = g_date_time_new_from_unix_utc (0);
      prefix = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
      g_strlcpy (cached_prefix, prefix, sizeof cached_prefix);
      cached_second = second;
    }

  memcpy (buf, cached_prefix, 19);
  buf[19] = '.';
  buf[20] = (char) ('0' + millis / 100);
  buf[21] = (char) ('0' + (millis / 10) % 10);
  buf[22] = (char) ('0' + millis % 10);
  buf[23] = 'Z';
  buf[24] = '\0';
  return 24;
}

gboolean
kantor_envelope_check_id (JsonNode  *id,
                          GError   **error)
{
  if (id == NULL || JSON_NODE_HOLDS_NULL (id))
    return TRUE;

  if (JSON_NODE_HOLDS_VALUE (id))
    {
      GType t = json_node_get_value_type (id);

      if (t == G_TYPE_INT64)
        return TRUE;
      if (t == G_TYPE_STRING)
        {
          const char *s = json_node_get_string (id);

          if (g_utf8_strlen (s, -1) <= KANTOR_ENVELOPE_MAX_ID_LENGTH)
            return TRUE;
          g_set_error (error, KANTOR_PROTOCOL_ERROR, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                       "The id is longer than %d characters.", KANTOR_ENVELOPE_MAX_ID_LENGTH);
          return FALSE;
        }
    }

  g_set_error_literal (error, KANTOR_PROTOCOL_ERROR, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                       "The id must be a string or an integer.");
  return FALSE;
}

void
kantor_envelope_begin (GString    *out,
                       const char *type,
                       JsonNode   *id)
{
  char ts[32];
  gsize ts_len = kantor_envelope_format_timestamp (g_get_real_time (), ts);

  g_string_append (out, "{\"version\":\"" KANTOR_PROTOCOL_VERSION "\",\"timestamp\":\"");
  g_string_append_len (out, ts, ts_len);
  g_string_append (out, "\",\"type\":");
  kantor_json_append_string (out, type);
  if (id != NULL && !JSON_NODE_HOLDS_NULL (id))
    {
      g_string_append (out, ",\"id\":");
      kantor_json_append (out, id);
    }
}

static gboolean
is_reserved (const char *name)
{
  return strcmp (name, "version") == 0 || strcmp (name, "timestamp") == 0 ||
         strcmp (name, "type") == 0 || strcmp (name, "id") == 0;
}

static void
append_member (GString    *out,
               const char *name,
               JsonNode   *value)
{
  g_string_append_c (out, ',');
  kantor_json_append_string (out, name);
  g_string_append_c (out, ':');
  kantor_json_append (out, value);
}

/* Appends @fields' members, skipping the envelope's own keys and those in
 * the NULL-terminated @skip. */
static void
append_fields (GString            *out,
               JsonObject         *fields,
               const char * const *skip)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (fields == NULL)
    return;

  json_object_iter_init_ordered (&iter, fields);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (is_reserved (name) || (skip != NULL && g_strv_contains (skip, name)))
        continue;
      append_member (out, name, member);
    }
}

char *
kantor_envelope_response (JsonNode   *id,
                          const char *status,
                          JsonObject *data)
{
  GString *out = g_string_sized_new (256);

  kantor_envelope_begin (out, "response", id);
  g_string_append (out, ",\"status\":");
  kantor_json_append_string (out, status);

  if (data != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (promoted_keys); i++)
        {
          JsonNode *member = json_object_get_member (data, promoted_keys[i]);

          if (member != NULL)
            append_member (out, promoted_keys[i], member);
        }
      g_string_append (out, ",\"data\":");
      {
        g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

        json_node_set_object (node, data);
        kantor_json_append (out, node);
      }
    }
  else
    {
      g_string_append (out, ",\"data\":{}");
    }

  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

char *
kantor_envelope_error (JsonNode        *id,
                       KantorErrorCode  code,
                       const char      *message,
                       JsonObject      *details)
{
  GString *out = g_string_sized_new (256);

  kantor_envelope_begin (out, "error", id);
  g_string_append (out, ",\"error_code\":");
  kantor_json_append_string (out, kantor_error_code_to_string (code));
  g_string_append (out, ",\"error_message\":");
  kantor_json_append_string (out, message != NULL ? message : kantor_error_code_get_message (code));
  if (details != NULL)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, details);
      g_string_append (out, ",\"details\":");
      kantor_json_append (out, node);
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

char *
kantor_envelope_error_from_gerror (JsonNode     *id,
                                   const GError *error,
                                   JsonObject   *details)
{
  return kantor_envelope_error (id, kantor_error_code_from_gerror (error), error->message,
                                details);
}

char *
kantor_envelope_status (JsonNode   *id,
                        const char *status,
                        JsonObject *fields)
{
  GString *out = g_string_sized_new (128);

  kantor_envelope_begin (out, "status", id);
  g_string_append (out, ",\"status\":");
  kantor_json_append_string (out, status);
  append_fields (out, fields, (const char * const[]) { "status", NULL });
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

char *
kantor_envelope_message (const char *type,
                         JsonObject *fields)
{
  GString *out = g_string_sized_new (256);

  kantor_envelope_begin (out, type, NULL);
  append_fields (out, fields, NULL);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

/* How urgent each kind of alert is; a client sorts and colours by it. */
static const struct
{
  const char *alert;
  const char *severity;
} alert_kinds[] = {
  { "budget_breach", "warning" },
  { "emergency_exit", "critical" },
  { "feed_down", "critical" },
  { "feed_restored", "info" },
  { "data_gap", "warning" },
  { "slow_consumer", "warning" },
  { "collection_failed", "critical" },
};

gboolean
kantor_envelope_alert_is_known (const char *alert)
{
  for (guint i = 0; alert != NULL && i < G_N_ELEMENTS (alert_kinds); i++)
    if (strcmp (alert_kinds[i].alert, alert) == 0)
      return TRUE;
  return FALSE;
}

char *
kantor_envelope_alert (const char *alert,
                       const char *session_id,
                       const char *symbol,
                       const char *message,
                       JsonObject *extra)
{
  static const char * const own[] = { "alert", "severity", "session_id", "symbol", "message",
                                      NULL };
  const char *severity = NULL;
  GString *out;

  g_return_val_if_fail (message != NULL, NULL);

  for (guint i = 0; alert != NULL && i < G_N_ELEMENTS (alert_kinds); i++)
    if (strcmp (alert_kinds[i].alert, alert) == 0)
      severity = alert_kinds[i].severity;
  g_return_val_if_fail (severity != NULL, NULL);

  out = g_string_sized_new (256);
  kantor_envelope_begin (out, "alert", NULL);
  g_string_append (out, ",\"alert\":");
  kantor_json_append_string (out, alert);
  g_string_append (out, ",\"severity\":");
  kantor_json_append_string (out, severity);
  g_string_append (out, ",\"session_id\":");
  if (session_id != NULL)
    kantor_json_append_string (out, session_id);
  else
    g_string_append (out, "null");
  if (symbol != NULL)
    {
      g_string_append (out, ",\"symbol\":");
      kantor_json_append_string (out, symbol);
    }
  g_string_append (out, ",\"message\":");
  kantor_json_append_string (out, message);
  append_fields (out, extra, own);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}
