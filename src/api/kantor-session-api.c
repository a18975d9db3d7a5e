/* kantor-session-api.c: the session and results requests of PROTOCOL.md §5 and §7
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-session-api.h"

#include "kantor-envelope.h"

static KantorErrorCode
error_code_for (const GError *error)
{
  static const KantorErrorCode codes[] = {
    [KANTOR_SESSION_MANAGER_ERROR_INVALID] = KANTOR_ERROR_CODE_VALIDATION_ERROR,
    [KANTOR_SESSION_MANAGER_ERROR_INVALID_TYPE] = KANTOR_ERROR_CODE_INVALID_SESSION_TYPE,
    [KANTOR_SESSION_MANAGER_ERROR_MISSING_STRATEGY_CONFIG] =
      KANTOR_ERROR_CODE_MISSING_STRATEGY_CONFIG,
    [KANTOR_SESSION_MANAGER_ERROR_ACTIVATION_FAILED] = KANTOR_ERROR_CODE_STRATEGY_ACTIVATION_FAILED,
    [KANTOR_SESSION_MANAGER_ERROR_CONFLICT] = KANTOR_ERROR_CODE_SESSION_CONFLICT,
    [KANTOR_SESSION_MANAGER_ERROR_BUDGET_CAP_EXCEEDED] = KANTOR_ERROR_CODE_BUDGET_CAP_EXCEEDED,
    [KANTOR_SESSION_MANAGER_ERROR_UNAVAILABLE] = KANTOR_ERROR_CODE_SERVICE_UNAVAILABLE,
    [KANTOR_SESSION_MANAGER_ERROR_NOT_FOUND] = KANTOR_ERROR_CODE_SESSION_NOT_FOUND,
  };

  if (error->domain == KANTOR_SESSION_MANAGER_ERROR && error->code >= 0 &&
      (gsize) error->code < G_N_ELEMENTS (codes))
    return codes[error->code];
  return KANTOR_ERROR_CODE_HANDLER_ERROR;
}

static const char *
optional_string (JsonObject *message,
                 const char *member)
{
  JsonNode *node = json_object_get_member (message, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return json_node_get_string (node);
}

static void
reply_field_error (KantorClientConnection *connection,
                   JsonNode               *id,
                   KantorErrorCode         code,
                   const char             *field,
                   const char             *message)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, "field", field);
  kantor_client_connection_reply_error (connection, id, code, message, details);
}

static void
reply_session_not_found (KantorClientConnection *connection,
                         JsonNode               *id,
                         const char             *session_id)
{
  g_autofree char *message = g_strdup_printf ("There is no session “%s”", session_id);
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, "session_id", session_id);
  kantor_client_connection_reply_error (connection, id, KANTOR_ERROR_CODE_SESSION_NOT_FOUND,
                                        message, details);
}

/* A pending reply: the connection, the request's id and what was asked. */
typedef struct
{
  KantorClientConnection *connection;
  JsonNode               *id;
  char                   *request_type;
  char                   *symbol;
  char                   *strategy;
} Pending;

static Pending *
pending_new (KantorClientConnection *connection,
             JsonNode               *id)
{
  Pending *p = g_new0 (Pending, 1);

  p->connection = g_object_ref (connection);
  p->id = id != NULL ? json_node_copy (id) : NULL;
  return p;
}

static void
pending_free (Pending *p)
{
  g_object_unref (p->connection);
  g_clear_pointer (&p->id, json_node_unref);
  g_free (p->request_type);
  g_free (p->symbol);
  g_free (p->strategy);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pending, pending_free)

/* session_start ------------------------------------------------------------ */

static void
handle_session_start (KantorClientConnection *connection,
                      JsonNode               *id,
                      JsonObject             *message,
                      gpointer                user_data)
{
  KantorSessionManager *manager = user_data;
  JsonNode *config = json_object_get_member (message, "config");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) details = NULL;
  g_autoptr(KantorSession) session = NULL;
  g_autoptr(JsonObject) data = NULL;
  gboolean reused = FALSE;

  session = kantor_session_manager_start (manager,
                                          json_object_get_string_member (message, "session_type"),
                                          json_object_get_member (message, "strategy_config"),
                                          config != NULL && JSON_NODE_HOLDS_OBJECT (config)
                                            ? json_node_get_object (config) : NULL,
                                          &reused, &details, &error);
  if (session == NULL)
    {
      kantor_client_connection_reply_error (connection, id, error_code_for (error),
                                            error->message, details);
      return;
    }

  data = kantor_session_to_json (session);
  json_object_set_boolean_member (data, "reused", reused);
  kantor_client_connection_reply (connection, id, "session_started", data);
}

/* session_stop ----------------------------------------------------------- */

static void
session_stopped (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Pending) p = user_data;
  KantorSession *session = KANTOR_SESSION (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = NULL;

  if (!kantor_session_stop_finish (session, result, &error))
    {
      kantor_client_connection_reply_gerror (p->connection, p->id, error);
      return;
    }
  data = kantor_session_to_json (session);
  kantor_client_connection_reply (p->connection, p->id, "session_stopped", data);
}

static void
handle_session_stop (KantorClientConnection *connection,
                     JsonNode               *id,
                     JsonObject             *message,
                     gpointer                user_data)
{
  KantorSessionManager *manager = user_data;
  const char *session_id = json_object_get_string_member (message, "session_id");
  KantorSession *session = kantor_session_manager_lookup (manager, session_id);

  if (session == NULL)
    {
      reply_session_not_found (connection, id, session_id);
      return;
    }
  kantor_session_stop_async (session, session_stopped, pending_new (connection, id));
}

/* session_status ------------------------------------------------------------ */

static void
handle_session_status (KantorClientConnection *connection,
                       JsonNode               *id,
                       JsonObject             *message,
                       gpointer                user_data)
{
  KantorSessionManager *manager = user_data;
  const char *session_id = optional_string (message, "session_id");
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(GPtrArray) active = NULL;
  JsonArray *list;

  if (session_id != NULL)
    {
      KantorSession *session = kantor_session_manager_lookup (manager, session_id);

      if (session == NULL)
        {
          reply_session_not_found (connection, id, session_id);
          return;
        }
      data = kantor_session_to_json (session);
      kantor_client_connection_reply (connection, id, "session_status", data);
      return;
    }

  active = kantor_session_manager_list_active (manager);
  data = json_object_new ();
  list = json_array_new ();
  for (guint i = 0; i < active->len; i++)
    json_array_add_object_element (list, kantor_session_to_json (active->pdata[i]));
  json_object_set_array_member (data, "sessions", list);
  json_object_set_int_member (data, "count", active->len);
  if (active->len == 0)
    {
      kantor_client_connection_reply (connection, id, "no_active_session", data);
      return;
    }
  json_object_set_string_member (data, "session_id",
                                 kantor_session_get_id (active->pdata[0]));
  kantor_client_connection_reply (connection, id, "session_status", data);
}

/* results_request ------------------------------------------------------------ */

static void
copy_member (JsonObject *to,
             JsonObject *from,
             const char *member)
{
  JsonNode *node = json_object_get_member (from, member);

  if (node != NULL)
    json_object_set_member (to, member, json_node_copy (node));
}

/* The elements of @array (objects) whose strategy and symbol match. */
static JsonArray *
filter (JsonObject *results,
        const char *member,
        const char *strategy,
        const char *symbol)
{
  JsonArray *out = json_array_new ();
  JsonArray *in = json_object_has_member (results, member)
                    ? json_object_get_array_member (results, member) : NULL;

  for (guint i = 0; in != NULL && i < json_array_get_length (in); i++)
    {
      JsonObject *item = json_array_get_object_element (in, i);

      if (strategy != NULL && g_strcmp0 (json_object_get_string_member_with_default (
                                            item, "strategy", NULL), strategy) != 0)
        continue;
      if (symbol != NULL && g_strcmp0 (json_object_get_string_member_with_default (
                                          item, "symbol", NULL), symbol) != 0)
        continue;
      json_array_add_element (out, json_node_copy (json_array_get_element (in, i)));
    }
  return out;
}

static JsonObject *
lookup_object (JsonObject *obj,
               const char *first,
               const char *second)
{
  JsonNode *node = json_object_get_member (obj, first);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  if (second == NULL)
    return json_node_get_object (node);
  return lookup_object (json_node_get_object (node), second, NULL);
}

static void
results_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Pending) p = user_data;
  KantorSession *session = KANTOR_SESSION (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) results = kantor_session_results_finish (session, result, &error);
  g_autoptr(JsonObject) data = NULL;
  JsonObject *metrics;

  if (results == NULL)
    {
      kantor_client_connection_reply_error (p->connection, p->id,
                                            KANTOR_ERROR_CODE_COMMAND_FAILED,
                                            error->message, NULL);
      return;
    }

  data = json_object_new ();
  json_object_set_string_member (data, "request_type", p->request_type);
  json_object_set_string_member (data, "session_id", kantor_session_get_id (session));
  json_object_set_string_member (data, "session_type",
                                 kantor_session_type_to_string (
                                   kantor_session_get_session_type (session)));
  json_object_set_string_member (data, "state",
                                 kantor_session_state_to_string (
                                   kantor_session_get_state (session)));

  if (g_str_equal (p->request_type, "session_results"))
    {
      copy_member (data, results, "metrics");
      copy_member (data, results, "per_symbol");
      copy_member (data, results, "per_strategy");
      copy_member (data, results, "events_processed");
      copy_member (data, results, "events_dropped");
      copy_member (data, results, "first_event_ms");
      copy_member (data, results, "last_event_ms");
    }
  else
    {
      if (p->strategy != NULL)
        {
          json_object_set_string_member (data, "strategy_name", p->strategy);
          metrics = p->symbol != NULL ? lookup_object (lookup_object (results, "per_activation",
                                                                      p->strategy),
                                                       p->symbol, NULL)
                                      : lookup_object (results, "per_strategy", p->strategy);
        }
      else
        metrics = lookup_object (results, "per_symbol", p->symbol);
      if (p->symbol != NULL)
        json_object_set_string_member (data, "symbol", p->symbol);
      if (metrics != NULL)
        json_object_set_object_member (data, "metrics", json_object_ref (metrics));
      else
        json_object_set_null_member (data, "metrics");
      json_object_set_array_member (data, "trades", filter (results, "trades", p->strategy,
                                                            p->symbol));
      json_object_set_array_member (data, "signals", filter (results, "signals", p->strategy,
                                                             p->symbol));
    }
  copy_member (data, results, "results_hash");
  kantor_client_connection_reply (p->connection, p->id, "results", data);
}

static gboolean
session_has_strategy (KantorSession *session,
                      const char    *strategy)
{
  return json_object_has_member (json_node_get_object (
                                   kantor_session_get_strategy_config (session)), strategy);
}

static void
handle_results_request (KantorClientConnection *connection,
                        JsonNode               *id,
                        JsonObject             *message,
                        gpointer                user_data)
{
  KantorSessionManager *manager = user_data;
  const char *request_type = json_object_get_string_member (message, "request_type");
  const char *session_id = optional_string (message, "session_id");
  const char *strategy = optional_string (message, "strategy_name");
  g_autofree char *symbol = NULL;
  KantorSession *session;
  Pending *p;

  if (optional_string (message, "symbol") != NULL)
    symbol = g_ascii_strup (optional_string (message, "symbol"), -1);

  if (g_str_equal (request_type, "session_results"))
    {
      if (session_id == NULL)
        {
          reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, "session_id",
                             "session_results needs a session_id");
          return;
        }
      /* The breakdowns cover everything; a filter here would be ignored. */
      g_clear_pointer (&symbol, g_free);
      strategy = NULL;
    }
  else if (g_str_equal (request_type, "symbol_results"))
    {
      if (symbol == NULL)
        {
          reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, "symbol",
                             "symbol_results needs a symbol");
          return;
        }
      strategy = NULL;
    }
  else if (g_str_equal (request_type, "strategy_results"))
    {
      if (strategy == NULL)
        {
          reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, "strategy_name",
                             "strategy_results needs a strategy_name");
          return;
        }
    }
  else
    {
      reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, "request_type",
                         "request_type must be session_results, symbol_results or "
                         "strategy_results");
      return;
    }

  if (symbol != NULL && !kantor_symbol_is_valid (symbol))
    {
      reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, "symbol",
                         "symbol must match ^[A-Z0-9_]{1,32}$ once upper-cased");
      return;
    }

  if (session_id != NULL)
    {
      session = kantor_session_manager_lookup (manager, session_id);
      if (session == NULL)
        {
          reply_session_not_found (connection, id, session_id);
          return;
        }
      if (symbol != NULL && !g_strv_contains (kantor_session_get_symbols (session), symbol))
        {
          reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, "symbol",
                             "The session does not trade this symbol");
          return;
        }
      if (strategy != NULL && (!session_has_strategy (session, strategy) ||
                               (symbol != NULL && !kantor_session_runs (session, strategy,
                                                                         symbol))))
        {
          reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                             "strategy_name", "The session does not run this strategy there");
          return;
        }
    }
  else
    {
      session = kantor_session_manager_find_latest (manager, strategy, symbol);
      if (session == NULL)
        {
          kantor_client_connection_reply_error (connection, id,
                                                KANTOR_ERROR_CODE_SESSION_NOT_FOUND,
                                                "No session has traded this", NULL);
          return;
        }
    }

  p = pending_new (connection, id);
  p->request_type = g_strdup (request_type);
  p->symbol = g_steal_pointer (&symbol);
  p->strategy = g_strdup (strategy);
  kantor_session_results_async (session, results_ready, p);
}

/* Broadcasts -------------------------------------------------------------- */

static void
on_session_state (KantorSessionManager *manager,
                  KantorSession        *session,
                  gpointer              user_data)
{
  KantorServer *server = user_data;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *text = NULL;
  JsonObject *progress = kantor_session_dup_progress (session);

  json_object_set_string_member (fields, "session_id", kantor_session_get_id (session));
  json_object_set_string_member (fields, "session_type",
                                 kantor_session_type_to_string (
                                   kantor_session_get_session_type (session)));
  json_object_set_string_member (fields, "state",
                                 kantor_session_state_to_string (
                                   kantor_session_get_state (session)));
  if (progress != NULL)
    json_object_set_object_member (fields, "progress", progress);
  if (kantor_session_get_error_message (session) != NULL)
    json_object_set_string_member (fields, "error", kantor_session_get_error_message (session));
  text = kantor_envelope_status (NULL, "session_state", fields);
  kantor_server_broadcast (server, text);
}

/* Every session alert (budget_breach, emergency_exit), backtests' included,
 * goes out once, through the server's one alert path. */
static void
on_session_alert (KantorSessionManager *manager,
                  KantorSession        *session,
                  JsonObject           *fields,
                  gpointer              user_data)
{
  kantor_server_send_alert (user_data,
                            json_object_get_string_member_with_default (fields, "alert", NULL),
                            kantor_session_get_id (session),
                            json_object_get_string_member_with_default (fields, "symbol", NULL),
                            json_object_get_string_member_with_default (fields, "message", ""),
                            fields);
}

void
kantor_session_api_register (KantorServer         *server,
                             KantorSessionManager *manager)
{
  KantorRouter *router;

  g_return_if_fail (KANTOR_IS_SERVER (server));
  g_return_if_fail (KANTOR_IS_SESSION_MANAGER (manager));

  router = kantor_server_get_router (server);
  kantor_router_set_handler (router, "session_start", handle_session_start, manager);
  kantor_router_set_handler (router, "session_stop", handle_session_stop, manager);
  kantor_router_set_handler (router, "session_status", handle_session_status, manager);
  kantor_router_set_handler (router, "results_request", handle_results_request, manager);

  g_signal_connect_object (manager, "session-state", G_CALLBACK (on_session_state), server, 0);
  g_signal_connect_object (manager, "session-alert", G_CALLBACK (on_session_alert), server, 0);
}
