/* kantor-collection-api.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-collection-api.h"
#include "kantor-envelope.h"

static void
reply_manager_error (KantorClientConnection *connection,
                     JsonNode               *id,
                     const GError           *error)
{
  g_autoptr(JsonObject) details = NULL;

  if (error->domain != KANTOR_COLLECTION_MANAGER_ERROR)
    {
      kantor_client_connection_reply_gerror (connection, id, error);
      return;
    }
  switch ((KantorCollectionManagerError) error->code)
    {
    case KANTOR_COLLECTION_MANAGER_ERROR_INVALID_SYMBOLS:
    case KANTOR_COLLECTION_MANAGER_ERROR_INVALID_DURATION:
      details = json_object_new ();
      json_object_set_string_member (details, "field",
                                     error->code == KANTOR_COLLECTION_MANAGER_ERROR_INVALID_SYMBOLS
                                     ? "symbols" : "duration");
      kantor_client_connection_reply_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                                            error->message, details);
      break;
    case KANTOR_COLLECTION_MANAGER_ERROR_NOT_FOUND:
    default:
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_COLLECTION_NOT_FOUND,
                                            error->message, NULL);
      break;
    }
}

static void
handle_collection_start (KantorClientConnection *connection,
                         JsonNode               *id,
                         JsonObject             *message,
                         gpointer                user_data)
{
  KantorCollectionManager *manager = user_data;
  JsonArray *array = json_object_get_array_member (message, "symbols");
  JsonNode *duration_node = json_object_get_member (message, "duration");
  const char *duration = NULL;
  g_autoptr(GPtrArray) symbols = g_ptr_array_new ();
  g_autoptr(KantorCollectionRun) run = NULL;
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(GError) error = NULL;
  guint n = json_array_get_length (array);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_autoptr(JsonObject) details = json_object_new ();

          json_object_set_string_member (details, "field", "symbols");
          kantor_client_connection_reply_error (connection, id,
                                                KANTOR_ERROR_CODE_VALIDATION_ERROR,
                                                "symbols must be an array of strings", details);
          return;
        }
      g_ptr_array_add (symbols, (gpointer) json_node_get_string (element));
    }
  g_ptr_array_add (symbols, NULL);
  if (duration_node != NULL && !JSON_NODE_HOLDS_NULL (duration_node))
    duration = json_node_get_string (duration_node);

  run = kantor_collection_manager_start (manager, (const char * const *) symbols->pdata,
                                         duration, &error);
  if (run == NULL)
    {
      reply_manager_error (connection, id, error);
      return;
    }

  data = kantor_collection_run_to_json (run);
  kantor_client_connection_reply (connection, id, "collection_started", data);
}

typedef struct
{
  KantorClientConnection *connection;
  JsonNode               *id;
} Pending;

static void
pending_free (Pending *p)
{
  g_object_unref (p->connection);
  g_clear_pointer (&p->id, json_node_unref);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pending, pending_free)

static void
stop_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Pending) p = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorCollectionRun) run = NULL;
  g_autoptr(JsonObject) data = NULL;

  run = kantor_collection_manager_stop_finish (KANTOR_COLLECTION_MANAGER (source), result, &error);
  if (run == NULL)
    {
      reply_manager_error (p->connection, p->id, error);
      return;
    }
  data = kantor_collection_run_to_json (run);
  kantor_client_connection_reply (p->connection, p->id, "collection_stopped", data);
}

static void
handle_collection_stop (KantorClientConnection *connection,
                        JsonNode               *id,
                        JsonObject             *message,
                        gpointer                user_data)
{
  KantorCollectionManager *manager = user_data;
  Pending *p = g_new0 (Pending, 1);

  p->connection = g_object_ref (connection);
  p->id = id != NULL ? json_node_copy (id) : NULL;
  kantor_collection_manager_stop_async (manager,
                                        json_object_get_string_member (message, "collection_id"),
                                        stop_done, p);
}

static void
handle_collection_status (KantorClientConnection *connection,
                          JsonNode               *id,
                          JsonObject             *message,
                          gpointer                user_data)
{
  KantorCollectionManager *manager = user_data;
  const char *collection_id = json_object_get_string_member_with_default (message,
                                                                          "collection_id", NULL);
  g_autoptr(JsonObject) data = NULL;

  if (collection_id != NULL)
    {
      KantorCollectionRun *run = kantor_collection_manager_lookup (manager, collection_id);

      if (run == NULL)
        {
          kantor_client_connection_reply_error (connection, id,
                                                KANTOR_ERROR_CODE_COLLECTION_NOT_FOUND,
                                                NULL, NULL);
          return;
        }
      data = kantor_collection_run_to_json (run);
    }
  else
    {
      g_autoptr(GPtrArray) runs = kantor_collection_manager_list (manager);
      JsonArray *collections = json_array_sized_new (runs->len);

      for (guint i = 0; i < runs->len; i++)
        json_array_add_object_element (collections, kantor_collection_run_to_json (runs->pdata[i]));
      data = json_object_new ();
      json_object_set_array_member (data, "collections", collections);
    }
  kantor_client_connection_reply (connection, id, "collection_status", data);
}

/* Broadcasts -------------------------------------------------------------- */

static void
on_collection_state (KantorCollectionManager *manager,
                     KantorCollectionRun     *run,
                     gpointer                 user_data)
{
  g_autoptr(JsonObject) fields = kantor_collection_run_to_json (run);
  g_autofree char *text = kantor_envelope_status (NULL, "collection_state", fields);

  kantor_server_broadcast (user_data, text);
}

static void
on_collection_alert (KantorCollectionManager *manager,
                     KantorCollectionRun     *run,
                     JsonObject              *fields,
                     gpointer                 user_data)
{
  kantor_server_send_alert (user_data,
                            json_object_get_string_member_with_default (fields, "alert", NULL),
                            NULL, NULL,
                            json_object_get_string_member_with_default (fields, "message", ""),
                            fields);
}

void
kantor_collection_api_register (KantorServer            *server,
                                KantorCollectionManager *manager)
{
  KantorRouter *router;

  g_return_if_fail (KANTOR_IS_SERVER (server));
  g_return_if_fail (KANTOR_IS_COLLECTION_MANAGER (manager));

  router = kantor_server_get_router (server);
  kantor_router_set_handler (router, "collection_start", handle_collection_start, manager);
  kantor_router_set_handler (router, "collection_stop", handle_collection_stop, manager);
  kantor_router_set_handler (router, "collection_status", handle_collection_status, manager);

  g_signal_connect_object (manager, "collection-state", G_CALLBACK (on_collection_state),
                           server, 0);
  g_signal_connect_object (manager, "collection-alert", G_CALLBACK (on_collection_alert),
                           server, 0);
}
