/* kantor-stream-api.c: the subscribe and unsubscribe requests (PROTOCOL §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-stream-api.h"

#include "kantor-market-source.h"

static void
reply_invalid (KantorClientConnection *connection,
               JsonNode               *id,
               const char             *field,
               const char             *message)
{
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, "field", field);
  kantor_client_connection_reply_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                                        message, details);
}

static gboolean
parse_stream (KantorClientConnection *connection,
              JsonNode               *id,
              JsonObject             *message,
              KantorStream           *stream)
{
  const char *name = json_object_get_string_member (message, "stream");

  if (kantor_stream_from_string (name, stream))
    return TRUE;
  reply_invalid (connection, id, "stream",
                 "Unknown stream: use market_data, indicators, signals, orders or health");
  return FALSE;
}

static void
handle_subscribe (KantorClientConnection *connection,
                  JsonNode               *id,
                  JsonObject             *message,
                  gpointer                user_data)
{
  KantorStreamHub *hub = user_data;
  JsonNode *params_node = json_object_get_member (message, "params");
  JsonObject *params = NULL;
  g_autoptr(GPtrArray) symbols = NULL;
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonObject) echo = json_object_new ();
  const char *session_id = NULL;
  gint64 resume_from = -1;
  gboolean resume_gap = FALSE;
  guint64 oldest_seq = 0;
  KantorStream stream;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  if (!parse_stream (connection, id, message, &stream))
    return;

  if (params_node != NULL && JSON_NODE_HOLDS_OBJECT (params_node))
    params = json_node_get_object (params_node);

  /* Every member is checked before anything changes. */
  if (params != NULL)
    {
      json_object_iter_init (&iter, params);
      while (json_object_iter_next (&iter, &member, &node))
        {
          if (g_str_equal (member, "symbols"))
            {
              JsonArray *array;

              if (JSON_NODE_HOLDS_NULL (node))
                continue;
              if (!JSON_NODE_HOLDS_ARRAY (node))
                {
                  reply_invalid (connection, id, "params.symbols",
                                 "params.symbols must be an array of symbols");
                  return;
                }
              array = json_node_get_array (node);
              if (json_array_get_length (array) > KANTOR_STREAM_MAX_SYMBOLS)
                {
                  reply_invalid (connection, id, "params.symbols",
                                 "params.symbols names too many symbols");
                  return;
                }
              symbols = g_ptr_array_new_with_free_func (g_free);
              for (guint i = 0; i < json_array_get_length (array); i++)
                {
                  JsonNode *element = json_array_get_element (array, i);
                  g_autofree char *symbol = NULL;

                  if (!JSON_NODE_HOLDS_VALUE (element) ||
                      json_node_get_value_type (element) != G_TYPE_STRING)
                    {
                      reply_invalid (connection, id, "params.symbols",
                                     "params.symbols must be an array of symbols");
                      return;
                    }
                  /* Symbols are upper-cased before they are checked. */
                  symbol = g_ascii_strup (json_node_get_string (element), -1);
                  if (!kantor_symbol_is_valid (symbol))
                    {
                      reply_invalid (connection, id, "params.symbols",
                                     "A symbol is 1 to 32 characters of A-Z, 0-9 and _");
                      return;
                    }
                  g_ptr_array_add (symbols, g_steal_pointer (&symbol));
                }
              g_ptr_array_add (symbols, NULL);
            }
          else if (g_str_equal (member, "session_id"))
            {
              if (JSON_NODE_HOLDS_NULL (node))
                continue;
              if (!JSON_NODE_HOLDS_VALUE (node) ||
                  json_node_get_value_type (node) != G_TYPE_STRING ||
                  *json_node_get_string (node) == '\0')
                {
                  reply_invalid (connection, id, "params.session_id",
                                 "params.session_id must be a session id");
                  return;
                }
              session_id = json_node_get_string (node);
            }
          else if (g_str_equal (member, "resume_from"))
            {
              if (JSON_NODE_HOLDS_NULL (node))
                continue;
              if (!JSON_NODE_HOLDS_VALUE (node) ||
                  json_node_get_value_type (node) != G_TYPE_INT64 ||
                  json_node_get_int (node) < 0)
                {
                  reply_invalid (connection, id, "params.resume_from",
                                 "params.resume_from must be a sequence number (an integer >= 0)");
                  return;
                }
              resume_from = json_node_get_int (node);
            }
          else
            {
              g_autofree char *field = g_strconcat ("params.", member, NULL);

              reply_invalid (connection, id, field,
                             "Unknown subscription parameter: use symbols, session_id or "
                             "resume_from");
              return;
            }
        }
    }

  kantor_stream_hub_subscribe (hub, connection, stream,
                               symbols != NULL ? (const char * const *) symbols->pdata : NULL,
                               session_id, resume_from, &resume_gap, &oldest_seq);

  /* params as understood: symbols normalised, nulls left out. */
  if (symbols != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; g_ptr_array_index (symbols, i) != NULL; i++)
        json_array_add_string_element (array, g_ptr_array_index (symbols, i));
      json_object_set_array_member (echo, "symbols", array);
    }
  if (session_id != NULL)
    json_object_set_string_member (echo, "session_id", session_id);
  if (resume_from >= 0)
    json_object_set_int_member (echo, "resume_from", resume_from);

  json_object_set_string_member (data, "stream", kantor_stream_to_string (stream));
  json_object_set_object_member (data, "params", g_steal_pointer (&echo));
  if (session_id != NULL)
    json_object_set_string_member (data, "session_id", session_id);
  json_object_set_int_member (data, "last_seq",
                              (gint64) kantor_stream_hub_get_last_seq (hub, stream));
  if (resume_from >= 0)
    {
      json_object_set_boolean_member (data, "resume_gap", resume_gap);
      json_object_set_int_member (data, "oldest_seq", (gint64) oldest_seq);
    }

  kantor_client_connection_reply (connection, id, "subscribed", data);
  kantor_stream_hub_send_backfill (hub, connection, stream);
}

static void
handle_unsubscribe (KantorClientConnection *connection,
                    JsonNode               *id,
                    JsonObject             *message,
                    gpointer                user_data)
{
  KantorStreamHub *hub = user_data;
  g_autoptr(JsonObject) data = json_object_new ();
  KantorStream stream;
  gboolean was;

  if (!parse_stream (connection, id, message, &stream))
    return;

  was = kantor_stream_hub_unsubscribe (hub, connection, stream);
  json_object_set_string_member (data, "stream", kantor_stream_to_string (stream));
  json_object_set_boolean_member (data, "was_subscribed", was);
  kantor_client_connection_reply (connection, id, "unsubscribed", data);
}

static void
on_hub_alert (KantorStreamHub *hub,
              const char      *alert,
              const char      *session_id,
              const char      *symbol,
              const char      *message,
              JsonObject      *fields,
              KantorServer    *server)
{
  kantor_server_send_alert (server, alert, session_id, symbol, message, fields);
}

void
kantor_stream_api_register (KantorServer    *server,
                            KantorStreamHub *hub)
{
  KantorRouter *router;

  g_return_if_fail (KANTOR_IS_SERVER (server));
  g_return_if_fail (KANTOR_IS_STREAM_HUB (hub));

  router = kantor_server_get_router (server);
  kantor_router_set_handler (router, "subscribe", handle_subscribe, hub);
  kantor_router_set_handler (router, "unsubscribe", handle_unsubscribe, hub);
  g_signal_connect_object (hub, "alert", G_CALLBACK (on_hub_alert), server, 0);
}
