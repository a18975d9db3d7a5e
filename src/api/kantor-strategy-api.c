/* kantor-strategy-api.c: the strategy requests of PROTOCOL.md §4 and §6
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-strategy-api.h"

#include "kantor-market-source.h"

static void
add_string_or_null (JsonObject *obj,
                    const char *member,
                    const char *value)
{
  if (value != NULL)
    json_object_set_string_member (obj, member, value);
  else
    json_object_set_null_member (obj, member);
}

static JsonArray *
strv_to_array (char **strv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_array_add_string_element (array, strv[i]);
  return array;
}

/* Symbols are upper-cased before they are checked (PROTOCOL.md §5). */
static char *
normalize_symbol (JsonObject *message)
{
  return g_ascii_strup (json_object_get_string_member (message, "symbol"), -1);
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

static JsonObject *
strategy_summary (KantorStrategyManager *manager,
                  const char            *name)
{
  g_autoptr(KantorStrategy) strategy = kantor_strategy_manager_lookup (manager, name);
  g_autoptr(JsonNode) diagnostics = NULL;
  g_auto(GStrv) symbols = kantor_strategy_manager_get_active_symbols (manager, name);
  JsonObject *obj = json_object_new ();
  JsonObject *diag;
  guint version = 0;
  gboolean valid = FALSE;

  kantor_strategy_manager_get_info (manager, name, &version, &valid, &diagnostics);
  json_object_set_string_member (obj, "name", name);
  if (strategy != NULL)
    {
      json_object_set_string_member (obj, "description",
                                     kantor_strategy_get_description (strategy) != NULL
                                       ? kantor_strategy_get_description (strategy) : "");
      json_object_set_string_member (obj, "direction",
                                     kantor_direction_to_string (
                                       kantor_strategy_get_direction (strategy)));
      json_object_set_boolean_member (obj, "enabled", kantor_strategy_get_enabled (strategy));
    }
  else
    {
      json_object_set_null_member (obj, "description");
      json_object_set_null_member (obj, "direction");
      json_object_set_boolean_member (obj, "enabled", FALSE);
    }
  json_object_set_int_member (obj, "version", version);
  json_object_set_boolean_member (obj, "valid", valid);
  json_object_set_array_member (obj, "active_symbols", strv_to_array (symbols));
  /* Invalid documents say why, so a client can offer to fix them. */
  diag = diagnostics != NULL ? json_node_get_object (diagnostics) : NULL;
  if (!valid && diag != NULL && json_object_has_member (diag, "errors"))
    json_object_set_member (obj, "errors",
                            json_node_copy (json_object_get_member (diag, "errors")));
  return obj;
}

static void
handle_get_strategies (KantorClientConnection *connection,
                       JsonNode               *id,
                       JsonObject             *message,
                       gpointer                user_data)
{
  KantorStrategyManager *manager = user_data;
  g_auto(GStrv) names = kantor_strategy_manager_list_names (manager);
  g_autoptr(JsonObject) data = json_object_new ();
  JsonArray *list = json_array_new ();

  for (guint i = 0; names[i] != NULL; i++)
    json_array_add_object_element (list, strategy_summary (manager, names[i]));
  json_object_set_array_member (data, "strategies", list);
  json_object_set_int_member (data, "count", g_strv_length (names));
  kantor_client_connection_reply (connection, id, "strategies_list", data);
}

static void
handle_validate_strategy_config (KantorClientConnection *connection,
                                 JsonNode               *id,
                                 JsonObject             *message,
                                 gpointer                user_data)
{
  KantorStrategyManager *manager = user_data;
  JsonNode *doc = json_object_get_member (message, "strategy_config");
  g_autoptr(JsonNode) result = kantor_strategy_manager_validate (manager, doc);

  kantor_client_connection_reply (connection, id, "strategy_validation",
                                  json_node_get_object (result));
}

typedef struct
{
  KantorClientConnection *connection;
  JsonNode               *id;
  char                   *strategy_name;
} PendingReply;

static void
pending_reply_free (PendingReply *pending)
{
  g_clear_object (&pending->connection);
  g_clear_pointer (&pending->id, json_node_unref);
  g_free (pending->strategy_name);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PendingReply, pending_reply_free)

static void
upsert_done (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  KantorStrategyManager *manager = KANTOR_STRATEGY_MANAGER (source_object);
  g_autoptr(PendingReply) pending = user_data;
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) diag_json = NULL;
  g_autoptr(JsonObject) data = NULL;
  JsonObject *diag_obj;
  gboolean created = FALSE;
  guint version = 0;
  gboolean ok;

  ok = kantor_strategy_manager_upsert_finish (manager, result, diag, &created, &version,
                                              &error);
  /* The document is stored either way; only the answer has nobody to go to. */
  if (!kantor_client_connection_is_open (pending->connection))
    return;

  diag_json = kantor_diagnostics_to_json (diag);
  diag_obj = json_node_get_object (diag_json);
  if (!ok)
    {
      g_autoptr(JsonObject) details = json_object_new ();

      if (!g_error_matches (error, KANTOR_STRATEGY_MANAGER_ERROR,
                            KANTOR_STRATEGY_MANAGER_ERROR_INVALID)
          && !g_error_matches (error, KANTOR_STRATEGY_MANAGER_ERROR,
                               KANTOR_STRATEGY_MANAGER_ERROR_INVALID_NAME))
        {
          kantor_client_connection_reply_error (pending->connection, pending->id,
                                                KANTOR_ERROR_CODE_COMMAND_FAILED,
                                                error->message, NULL);
          return;
        }
      json_object_set_string_member (details, "field", "strategy_config");
      json_object_set_member (details, "errors",
                              json_node_copy (json_object_get_member (diag_obj, "errors")));
      json_object_set_member (details, "warnings",
                              json_node_copy (json_object_get_member (diag_obj, "warnings")));
      kantor_client_connection_reply_error (pending->connection, pending->id,
                                            KANTOR_ERROR_CODE_VALIDATION_ERROR,
                                            error->message, details);
      return;
    }

  data = json_object_new ();
  json_object_set_string_member (data, "strategy_name", pending->strategy_name);
  json_object_set_boolean_member (data, "created", created);
  json_object_set_int_member (data, "version", version);
  json_object_set_member (data, "warnings",
                          json_node_copy (json_object_get_member (diag_obj, "warnings")));
  kantor_client_connection_reply (pending->connection, pending->id, "strategy_upserted", data);
}

static void
handle_upsert_strategy (KantorClientConnection *connection,
                        JsonNode               *id,
                        JsonObject             *message,
                        gpointer                user_data)
{
  KantorStrategyManager *manager = user_data;
  JsonNode *doc = json_object_get_member (message, "strategy_config");
  PendingReply *pending = g_new0 (PendingReply, 1);

  pending->connection = g_object_ref (connection);
  pending->id = id != NULL ? json_node_copy (id) : NULL;
  /* A stored document always has a string name. */
  pending->strategy_name = g_strdup (json_object_get_string_member_with_default (
    json_node_get_object (doc), "strategy_name", ""));
  kantor_strategy_manager_upsert_async (manager, doc, upsert_done, pending);
}

static const char *
activation_reason (const GError *error)
{
  if (error->domain != KANTOR_STRATEGY_MANAGER_ERROR)
    return "internal";
  switch ((KantorStrategyManagerError) error->code)
    {
    case KANTOR_STRATEGY_MANAGER_ERROR_NOT_FOUND:
      return "unknown_strategy";
    case KANTOR_STRATEGY_MANAGER_ERROR_INVALID_SYMBOL:
      return "invalid_symbol";
    case KANTOR_STRATEGY_MANAGER_ERROR_INVALID:
    case KANTOR_STRATEGY_MANAGER_ERROR_INVALID_NAME:
      return "invalid_strategy";
    case KANTOR_STRATEGY_MANAGER_ERROR_DISABLED:
      return "disabled";
    case KANTOR_STRATEGY_MANAGER_ERROR_ACTIVE:
      return "already_active";
    case KANTOR_STRATEGY_MANAGER_ERROR_IO:
    default:
      return "internal";
    }
}

/* The activation of (name, symbol), or NULL; the bare one when sessions run
 * the pair too (bare ones sort first). */
static KantorActivationInfo *
find_activation (KantorStrategyManager *manager,
                 const char            *name,
                 const char            *symbol)
{
  g_autoptr(GPtrArray) list = kantor_strategy_manager_list_activations (manager, name, symbol);

  if (list->len == 0)
    return NULL;
  return g_ptr_array_steal_index (list, 0);
}

static void
handle_activate_strategy (KantorClientConnection *connection,
                          JsonNode               *id,
                          JsonObject             *message,
                          gpointer                user_data)
{
  KantorStrategyManager *manager = user_data;
  const char *name = json_object_get_string_member (message, "strategy_name");
  g_autofree char *symbol = normalize_symbol (message);
  g_autoptr(KantorActivationInfo) before = find_activation (manager, name, symbol);
  g_autoptr(KantorActivationInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *data;

  if (!kantor_strategy_manager_activate (manager, name, symbol, NULL, &error))
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_string_member (details, "strategy_name", name);
      json_object_set_string_member (details, "symbol", symbol);
      json_object_set_string_member (details, "reason", activation_reason (error));
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_STRATEGY_ACTIVATION_FAILED,
                                            error->message, details);
      return;
    }
  info = find_activation (manager, name, symbol);
  node = kantor_activation_info_to_json (info);
  data = json_node_get_object (node);
  /* A session running the same pair in its own engine does not count: the
   * activation created here is a separate one. */
  json_object_set_boolean_member (data, "already_active", before != NULL && before->owner == NULL);
  kantor_client_connection_reply (connection, id, "strategy_activated", data);
}

static void
handle_deactivate_strategy (KantorClientConnection *connection,
                            JsonNode               *id,
                            JsonObject             *message,
                            gpointer                user_data)
{
  KantorStrategyManager *manager = user_data;
  const char *name = json_object_get_string_member (message, "strategy_name");
  g_autofree char *symbol = normalize_symbol (message);
  g_autoptr(KantorActivationInfo) info = find_activation (manager, name, symbol);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = NULL;

  if (info == NULL)
    {
      g_autoptr(JsonObject) details = json_object_new ();
      g_autofree char *msg = g_strdup_printf ("Strategy \"%s\" is not active on %s",
                                              name, symbol);

      json_object_set_string_member (details, "strategy_name", name);
      json_object_set_string_member (details, "symbol", symbol);
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_STRATEGY_NOT_FOUND, msg, details);
      return;
    }
  if (info->owner != NULL)
    {
      /* A session's activations end with the session. */
      g_autoptr(JsonObject) details = json_object_new ();
      g_autofree char *msg = g_strdup_printf ("Strategy \"%s\" on %s belongs to session %s; "
                                              "stop the session instead", name, symbol,
                                              info->owner);

      json_object_set_string_member (details, "session_id", info->owner);
      kantor_client_connection_reply_error (connection, id, KANTOR_ERROR_CODE_COMMAND_FAILED,
                                            msg, details);
      return;
    }
  if (!kantor_strategy_manager_deactivate (manager, name, symbol, &error))
    {
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_STRATEGY_NOT_FOUND,
                                            error->message, NULL);
      return;
    }
  data = json_object_new ();
  json_object_set_string_member (data, "strategy_name", name);
  json_object_set_string_member (data, "symbol", symbol);
  json_object_set_boolean_member (data, "position_closed", info->has_position);
  kantor_client_connection_reply (connection, id, "strategy_deactivated", data);
}

static JsonArray *
infos_to_array (GPtrArray *list)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < list->len; i++)
    json_array_add_element (array, kantor_activation_info_to_json (g_ptr_array_index (list, i)));
  return array;
}

static void
handle_get_strategy_status (KantorClientConnection *connection,
                            JsonNode               *id,
                            JsonObject             *message,
                            gpointer                user_data)
{
  KantorStrategyManager *manager = user_data;
  const char *name = optional_string (message, "strategy_name");
  const char *raw_symbol = optional_string (message, "symbol");
  g_autofree char *symbol = raw_symbol != NULL ? g_ascii_strup (raw_symbol, -1) : NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(JsonObject) data = json_object_new ();

  if (name != NULL && !kantor_strategy_manager_get_info (manager, name, NULL, NULL, NULL))
    {
      g_autoptr(JsonObject) details = json_object_new ();
      g_autofree char *msg = g_strdup_printf ("Unknown strategy \"%s\"", name);

      json_object_set_string_member (details, "strategy_name", name);
      kantor_client_connection_reply_error (connection, id,
                                            KANTOR_ERROR_CODE_STRATEGY_NOT_FOUND, msg, details);
      return;
    }

  list = kantor_strategy_manager_list_activations (manager, name, symbol);
  if (name != NULL && symbol != NULL)
    {
      g_autoptr(JsonNode) node = NULL;

      if (list->len == 0)
        {
          g_autoptr(JsonObject) details = json_object_new ();
          g_autofree char *msg = g_strdup_printf ("Strategy \"%s\" is not active on %s",
                                                  name, symbol);

          json_object_set_string_member (details, "strategy_name", name);
          json_object_set_string_member (details, "symbol", symbol);
          kantor_client_connection_reply_error (connection, id,
                                                KANTOR_ERROR_CODE_STRATEGY_NOT_FOUND, msg,
                                                details);
          return;
        }
      node = kantor_activation_info_to_json (g_ptr_array_index (list, 0));
      kantor_client_connection_reply (connection, id, "strategy_status",
                                      json_node_get_object (node));
      return;
    }

  if (name != NULL)
    {
      g_autoptr(JsonObject) summary = strategy_summary (manager, name);

      json_object_set_string_member (data, "strategy_name", name);
      json_object_set_int_member (data, "version",
                                  json_object_get_int_member (summary, "version"));
      json_object_set_boolean_member (data, "valid",
                                      json_object_get_boolean_member (summary, "valid"));
      json_object_set_boolean_member (data, "enabled",
                                      json_object_get_boolean_member (summary, "enabled"));
      json_object_set_array_member (data, "activations", infos_to_array (list));
      kantor_client_connection_reply (connection, id, "strategy_status", data);
      return;
    }

  add_string_or_null (data, "symbol", symbol);
  json_object_set_array_member (data, "activations", infos_to_array (list));
  json_object_set_int_member (data, "count", list->len);
  kantor_client_connection_reply (connection, id, "all_strategies_status", data);
}

/* Used only when the server has no route of that type yet. */
static const KantorRouteField activation_fields[] = {
  { "strategy_name", KANTOR_FIELD_STRING, TRUE },
  { "symbol", KANTOR_FIELD_STRING, TRUE },
  { NULL }
};
static const KantorRouteField status_fields[] = {
  { "strategy_name", KANTOR_FIELD_STRING | KANTOR_FIELD_NULL, FALSE },
  { "symbol", KANTOR_FIELD_STRING | KANTOR_FIELD_NULL, FALSE },
  { NULL }
};
static const KantorRouteField config_fields[] = {
  { "strategy_config", KANTOR_FIELD_OBJECT, TRUE },
  { NULL }
};

#define SERVICE "the strategy manager"

static const KantorRoute routes[] = {
  { "get_strategies", handle_get_strategies, 0, NULL, SERVICE },
  { "validate_strategy_config", handle_validate_strategy_config, 0, config_fields, SERVICE },
  { "upsert_strategy", handle_upsert_strategy, 0, config_fields, SERVICE },
  { "activate_strategy", handle_activate_strategy, 0, activation_fields, SERVICE },
  { "deactivate_strategy", handle_deactivate_strategy, 0, activation_fields, SERVICE },
  { "get_strategy_status", handle_get_strategy_status, 0, status_fields, SERVICE },
};

void
kantor_strategy_api_register (KantorRouter          *router,
                              KantorStrategyManager *manager)
{
  g_return_if_fail (router != NULL);
  g_return_if_fail (KANTOR_IS_STRATEGY_MANAGER (manager));

  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++)
    if (!kantor_router_set_handler (router, routes[i].type, routes[i].handler, manager))
      kantor_router_add (router, &routes[i], manager);
}
