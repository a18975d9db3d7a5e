/* kantor-router.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-envelope.h"
#include "kantor-json.h"
#include "kantor-router.h"

#define DEFAULT_MAX_MESSAGE_SIZE (1024 * 1024)

typedef struct
{
  KantorRoute route;
  gpointer    user_data;
} RouteEntry;

struct _KantorRouter
{
  GHashTable *routes;   /* type -> RouteEntry */
  JsonParser *parser;   /* reused: the router only runs on the main thread */
  gsize       max_message_size;
};

KantorRouter *
kantor_router_new (void)
{
  KantorRouter *self = g_new0 (KantorRouter, 1);

  self->routes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  self->parser = json_parser_new ();
  self->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  return self;
}

void
kantor_router_free (KantorRouter *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->routes);
  g_object_unref (self->parser);
  g_free (self);
}

void
kantor_router_add (KantorRouter      *self,
                   const KantorRoute *route,
                   gpointer           user_data)
{
  RouteEntry *entry;

  g_return_if_fail (self != NULL);
  g_return_if_fail (route != NULL && route->type != NULL);

  entry = g_new0 (RouteEntry, 1);
  entry->route = *route;
  entry->user_data = user_data;
  g_hash_table_replace (self->routes, (gpointer) entry->route.type, entry);
}

void
kantor_router_add_table (KantorRouter      *self,
                         const KantorRoute *routes,
                         gsize              n_routes,
                         gpointer           user_data)
{
  for (gsize i = 0; i < n_routes; i++)
    kantor_router_add (self, &routes[i], user_data);
}

gboolean
kantor_router_set_handler (KantorRouter       *self,
                           const char         *type,
                           KantorRouteHandler  handler,
                           gpointer            user_data)
{
  RouteEntry *entry;

  g_return_val_if_fail (self != NULL, FALSE);

  entry = g_hash_table_lookup (self->routes, type);
  if (entry == NULL)
    return FALSE;

  entry->route.handler = handler;
  entry->user_data = user_data;
  return TRUE;
}

const KantorRoute *
kantor_router_lookup (KantorRouter *self,
                      const char   *type)
{
  RouteEntry *entry;

  g_return_val_if_fail (self != NULL, NULL);

  entry = g_hash_table_lookup (self->routes, type);
  return entry != NULL ? &entry->route : NULL;
}

/* g_ptr_array_sort passes pointers to the elements. */
static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GStrv
kantor_router_dup_handled_types (KantorRouter *self)
{
  g_autoptr(GPtrArray) types = g_ptr_array_new ();
  GHashTableIter iter;
  RouteEntry *entry;

  g_hash_table_iter_init (&iter, self->routes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->route.handler != NULL)
      g_ptr_array_add (types, g_strdup (entry->route.type));

  g_ptr_array_sort (types, compare_strings);
  g_ptr_array_add (types, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&types), FALSE);
}

void
kantor_router_set_max_message_size (KantorRouter *self,
                                    gsize         max_size)
{
  g_return_if_fail (self != NULL);
  self->max_message_size = max_size;
}

static const char *
describe_types (KantorFieldType types)
{
  if (types & KANTOR_FIELD_NUMBER)
    return "a number";
  if (types == KANTOR_FIELD_STRING)
    return "a string";
  if (types == KANTOR_FIELD_INTEGER)
    return "an integer";
  if (types == KANTOR_FIELD_BOOLEAN)
    return "a boolean";
  if (types == KANTOR_FIELD_OBJECT)
    return "an object";
  if (types == KANTOR_FIELD_ARRAY)
    return "an array";
  return "of another type";
}

static const char *
describe_node (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          return "a string";
        case G_TYPE_INT64:
          return "an integer";
        case G_TYPE_DOUBLE:
          return "a number";
        case G_TYPE_BOOLEAN:
          return "a boolean";
        default:
          return "a value";
        }
    }
}

static gboolean
node_matches (JsonNode        *node,
              KantorFieldType  types)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return (types & KANTOR_FIELD_OBJECT) != 0;
    case JSON_NODE_ARRAY:
      return (types & KANTOR_FIELD_ARRAY) != 0;
    case JSON_NODE_NULL:
      return TRUE;
    case JSON_NODE_VALUE:
    default:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          return (types & KANTOR_FIELD_STRING) != 0;
        case G_TYPE_INT64:
          return (types & (KANTOR_FIELD_INTEGER | KANTOR_FIELD_NUMBER)) != 0;
        case G_TYPE_DOUBLE:
          return (types & KANTOR_FIELD_NUMBER) != 0;
        case G_TYPE_BOOLEAN:
          return (types & KANTOR_FIELD_BOOLEAN) != 0;
        default:
          return FALSE;
        }
    }
}

static const KantorRouteField *
find_field (const KantorRoute *route,
            const char        *name)
{
  if (route->fields == NULL)
    return NULL;

  for (const KantorRouteField *f = route->fields; f->name != NULL; f++)
    if (strcmp (f->name, name) == 0)
      return f;

  return NULL;
}

gboolean
kantor_router_check_fields (const KantorRoute  *route,
                            JsonObject         *message,
                            char              **field,
                            GError            **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init_ordered (&iter, message);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      const KantorRouteField *f;

      if (strcmp (name, "type") == 0 || strcmp (name, "id") == 0)
        continue;

      f = find_field (route, name);
      if (f == NULL)
        {
          g_set_error (error, KANTOR_PROTOCOL_ERROR, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                       "Unknown field '%s' for %s.", name, route->type);
          *field = g_strdup (name);
          return FALSE;
        }

      if (!node_matches (member, f->types))
        {
          g_set_error (error, KANTOR_PROTOCOL_ERROR, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                       "Field '%s' must be %s, not %s.", name, describe_types (f->types),
                       describe_node (member));
          *field = g_strdup (name);
          return FALSE;
        }
    }

  if (route->fields == NULL)
    return TRUE;

  for (const KantorRouteField *f = route->fields; f->name != NULL; f++)
    {
      JsonNode *node;

      if (!f->required)
        continue;

      node = json_object_get_member (message, f->name);
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        {
          g_set_error (error, KANTOR_PROTOCOL_ERROR, f->missing_code,
                       "Field '%s' is required for %s.", f->name, route->type);
          *field = g_strdup (f->name);
          return FALSE;
        }
    }

  return TRUE;
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

void
kantor_router_dispatch (KantorRouter           *self,
                        KantorClientConnection *connection,
                        const char             *text,
                        gsize                   len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *field = NULL;
  gboolean limited;
  JsonObject *message;
  JsonNode *id;
  JsonNode *type_node;
  const char *type;
  RouteEntry *entry;

  g_return_if_fail (self != NULL);
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (connection));

  /* The token is taken on arrival, whatever the message turns out to be,
   * so garbage costs the sender as much as requests do. */
  limited = !kantor_client_connection_take_token (connection, g_get_monotonic_time ());

  /* json-glib recurses per level and trusts its input: a cheap linear scan
   * first. */
  if (!kantor_json_check_input (text, len, self->max_message_size, KANTOR_JSON_MAX_DEPTH,
                                &error))
    {
      kantor_client_connection_reply_error (connection, NULL,
                                            limited ? KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED
                                                    : KANTOR_ERROR_CODE_INVALID_JSON,
                                            limited ? NULL : error->message, NULL);
      return;
    }

  if (!json_parser_load_from_data (self->parser, text, (gssize) len, &error))
    {
      kantor_client_connection_reply_error (connection, NULL,
                                            limited ? KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED
                                                    : KANTOR_ERROR_CODE_INVALID_JSON,
                                            NULL, NULL);
      return;
    }

  /* Own the tree: handlers may run the router again re-entrantly. */
  root = json_parser_steal_root (self->parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      kantor_client_connection_reply_error (connection, NULL,
                                            limited ? KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED
                                                    : KANTOR_ERROR_CODE_INVALID_JSON,
                                            limited ? NULL : "The message must be a JSON object.",
                                            NULL);
      return;
    }

  message = json_node_get_object (root);
  id = json_object_get_member (message, "id");
  if (!kantor_envelope_check_id (id, &error))
    {
      /* An id we refuse is not echoed. */
      reply_field_error (connection, NULL, KANTOR_ERROR_CODE_VALIDATION_ERROR, "id",
                         error->message);
      return;
    }

  if (limited)
    {
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED, NULL, NULL);
      return;
    }

  type_node = json_object_get_member (message, "type");
  if (type_node == NULL || JSON_NODE_HOLDS_NULL (type_node))
    {
      reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, "type",
                         "Field 'type' is required.");
      return;
    }
  if (!JSON_NODE_HOLDS_VALUE (type_node) || json_node_get_value_type (type_node) != G_TYPE_STRING)
    {
      reply_field_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR, "type",
                         "Field 'type' must be a string.");
      return;
    }

  type = json_node_get_string (type_node);
  entry = g_hash_table_lookup (self->routes, type);
  if (entry == NULL)
    {
      g_autoptr(JsonObject) details = json_object_new ();
      g_autofree char *msg = NULL;

      json_object_set_string_member (details, "type", type);
      msg = g_strdup_printf ("Unknown message type '%.64s'.", type);
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_UNKNOWN_MESSAGE_TYPE, msg, details);
      return;
    }

  if (!(entry->route.flags & KANTOR_ROUTE_PUBLIC) &&
      !kantor_client_connection_is_authenticated (connection))
    {
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_AUTHENTICATION_REQUIRED,
                                            "Authenticate first with auth, login or refresh.",
                                            NULL);
      return;
    }

  if (!kantor_router_check_fields (&entry->route, message, &field, &error))
    {
      reply_field_error (connection, id, kantor_error_code_from_gerror (error), field,
                         error->message);
      return;
    }

  if (entry->route.handler == NULL)
    {
      g_autoptr(JsonObject) details = json_object_new ();
      g_autofree char *msg = NULL;
      const char *service = entry->route.service != NULL ? entry->route.service : "its service";

      json_object_set_string_member (details, "service", service);
      json_object_set_string_member (details, "request_type", type);
      msg = g_strdup_printf ("%s is not available in this server yet: %s cannot be handled.",
                             service, type);
      msg[0] = g_ascii_toupper (msg[0]);
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_SERVICE_UNAVAILABLE, msg, details);
      return;
    }

  entry->route.handler (connection, id, message, entry->user_data);
}
