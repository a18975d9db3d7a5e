/* kantor-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-envelope.h"
#include "kantor-json.h"
#include "kantor-rest.h"
#include "kantor-server.h"

struct _KantorServer
{
  GObject        parent_instance;

  KantorAuth    *auth;
  SoupServer    *soup;
  KantorRouter  *router;
  GHashTable    *connections;   /* KantorClientConnection -> itself (owned) */

  guint          max_connections;
  double         rate_limit;
  double         rate_burst;
  guint          keepalive_interval;
  guint          stale_timeout;
  guint          sweep_id;

  gint64         started_at;    /* monotonic */
  guint          port;
  char          *address;
};

enum {
  PROP_0,
  PROP_AUTH,
  PROP_MAX_CONNECTIONS,
  PROP_RATE_LIMIT,
  PROP_RATE_BURST,
  PROP_KEEPALIVE_INTERVAL,
  PROP_STALE_TIMEOUT,
  PROP_N_CONNECTIONS,
  N_PROPS
};

enum {
  CLIENT_CONNECTED,
  CLIENT_DISCONNECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KantorServer, kantor_server, G_TYPE_OBJECT)

/* Built-in handlers ---------------------------------------------------- */

typedef struct
{
  KantorServer           *server;
  KantorClientConnection *connection;
  JsonNode               *id;
} PendingReply;

static PendingReply *
pending_reply_new (KantorServer           *server,
                   KantorClientConnection *connection,
                   JsonNode               *id)
{
  PendingReply *p = g_new0 (PendingReply, 1);

  p->server = g_object_ref (server);
  p->connection = g_object_ref (connection);
  p->id = id != NULL ? json_node_copy (id) : NULL;
  return p;
}

static void
pending_reply_free (PendingReply *p)
{
  g_clear_object (&p->server);
  g_clear_object (&p->connection);
  g_clear_pointer (&p->id, json_node_unref);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PendingReply, pending_reply_free)

static JsonObject *
grant_to_json (const KantorAuthGrant *grant,
               gboolean               with_tokens)
{
  JsonObject *data = json_object_new ();
  JsonObject *user = json_object_new ();
  JsonArray *permissions = json_array_new ();

  json_object_set_string_member (user, "id", grant->user_id);
  json_object_set_string_member (user, "username", grant->username);
  json_object_set_object_member (data, "user", user);
  for (guint i = 0; grant->permissions != NULL && grant->permissions[i] != NULL; i++)
    json_array_add_string_element (permissions, grant->permissions[i]);
  json_object_set_array_member (data, "permissions", permissions);
  json_object_set_int_member (data, "expires_at", grant->expires_at);
  if (with_tokens)
    {
      json_object_set_string_member (data, "access_token", grant->access_token);
      json_object_set_string_member (data, "refresh_token", grant->refresh_token);
      json_object_set_int_member (data, "refresh_expires_at", grant->refresh_expires_at);
    }
  return data;
}

static KantorAuthGrant *
grant_copy (const KantorAuthGrant *grant)
{
  KantorAuthGrant *copy = g_new0 (KantorAuthGrant, 1);

  /* The connection keeps who the peer is, never its secrets. */
  copy->user_id = g_strdup (grant->user_id);
  copy->username = g_strdup (grant->username);
  copy->permissions = g_strdupv (grant->permissions);
  copy->expires_at = grant->expires_at;
  copy->refresh_expires_at = grant->refresh_expires_at;
  return copy;
}

static GStrv
dup_features (KantorServer *self)
{
  return kantor_router_dup_handled_types (self->router);
}

static JsonArray *
strv_to_array (const char *const *strv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_array_add_string_element (array, strv[i]);
  return array;
}

static void
handle_heartbeat (KantorClientConnection *connection,
                  JsonNode               *id,
                  JsonObject             *message,
                  gpointer                user_data)
{
  char *text = kantor_envelope_status (id, "pong", NULL);

  kantor_client_connection_send (connection, text, KANTOR_OUTGOING_RELIABLE);
  g_free (text);
}

static gboolean
version_supported (JsonNode *version)
{
  if (json_node_get_value_type (version) == G_TYPE_STRING)
    {
      const char *v = json_node_get_string (version);

      return strcmp (v, "1.0") == 0 || strcmp (v, "1") == 0;
    }

  /* 1 or 1.0 written as a number */
  return json_node_get_double (version) == 1.0;
}

static void
handle_handshake (KantorClientConnection *connection,
                  JsonNode               *id,
                  JsonObject             *message,
                  gpointer                user_data)
{
  KantorServer *self = user_data;
  JsonNode *version = json_object_get_member (message, "version");
  g_autoptr(JsonObject) data = NULL;
  g_auto(GStrv) features = NULL;

  if (!version_supported (version))
    {
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_string_member (details, "field", "version");
      json_object_set_array_member (details, "supported_versions",
                                    strv_to_array ((const char *const[]) { "1.0", NULL }));
      kantor_client_connection_reply_error (connection, id, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                                            "This server speaks protocol version 1.0 only.",
                                            details);
      return;
    }

  features = dup_features (self);
  data = json_object_new ();
  json_object_set_string_member (data, "server_version", PACKAGE_VERSION);
  json_object_set_string_member (data, "protocol_version", KANTOR_PROTOCOL_VERSION);
  json_object_set_array_member (data, "server_capabilities",
                                strv_to_array ((const char *const *) features));
  json_object_set_string_member (data, "client_id",
                                 kantor_client_connection_get_client_id (connection));
  kantor_client_connection_reply (connection, id, "handshake_accepted", data);
}

static void
handle_auth (KantorClientConnection *connection,
             JsonNode               *id,
             JsonObject             *message,
             gpointer                user_data)
{
  KantorServer *self = user_data;
  const char *token = json_object_get_string_member (message, "token");
  g_autoptr(KantorAuthGrant) grant = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) data = NULL;

  grant = kantor_auth_verify_access (self->auth, token, &error);
  if (grant == NULL)
    {
      /* A refused token changes nothing: an authenticated connection stays
       * so, an unauthenticated one stays unauthenticated. */
      kantor_client_connection_reply_gerror (connection, id, error);
      return;
    }

  data = grant_to_json (grant, FALSE);
  kantor_client_connection_set_grant (connection, grant_copy (grant));
  kantor_client_connection_reply (connection, id, "authenticated", data);
}

/* Login and refresh both end with a fresh grant for the connection. */
static void
reply_with_grant (PendingReply    *p,
                  KantorAuthGrant *grant,
                  const GError    *error,
                  const char      *status)
{
  g_autoptr(JsonObject) data = NULL;

  /* The peer may have gone while PBKDF2 or the store ran. */
  if (!kantor_client_connection_is_open (p->connection))
    return;

  if (grant == NULL)
    {
      kantor_client_connection_reply_gerror (p->connection, p->id, error);
      return;
    }

  data = grant_to_json (grant, TRUE);
  kantor_client_connection_set_grant (p->connection, grant_copy (grant));
  kantor_client_connection_reply (p->connection, p->id, status, data);
}

static void
login_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(PendingReply) p = user_data;
  g_autoptr(KantorAuthGrant) grant = NULL;
  g_autoptr(GError) error = NULL;

  grant = kantor_auth_login_finish (KANTOR_AUTH (source), result, &error);
  reply_with_grant (p, grant, error, "authenticated");
}

static void
handle_login (KantorClientConnection *connection,
              JsonNode               *id,
              JsonObject             *message,
              gpointer                user_data)
{
  KantorServer *self = user_data;

  kantor_auth_login_async (self->auth,
                           json_object_get_string_member (message, "username"),
                           json_object_get_string_member (message, "password"),
                           kantor_client_connection_get_peer_address (connection),
                           kantor_client_connection_get_cancellable (connection),
                           login_done, pending_reply_new (self, connection, id));
}

static void
refresh_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PendingReply) p = user_data;
  g_autoptr(KantorAuthGrant) grant = NULL;
  g_autoptr(GError) error = NULL;

  grant = kantor_auth_refresh_finish (KANTOR_AUTH (source), result, &error);
  reply_with_grant (p, grant, error, "token_refreshed");
}

static void
handle_refresh (KantorClientConnection *connection,
                JsonNode               *id,
                JsonObject             *message,
                gpointer                user_data)
{
  KantorServer *self = user_data;

  kantor_auth_refresh_async (self->auth,
                             json_object_get_string_member (message, "refresh_token"),
                             kantor_client_connection_get_cancellable (connection),
                             refresh_done, pending_reply_new (self, connection, id));
}

static void
logout_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(PendingReply) p = user_data;
  g_autoptr(GError) error = NULL;

  if (!kantor_auth_logout_finish (KANTOR_AUTH (source), result, &error))
    {
      if (kantor_client_connection_is_open (p->connection))
        kantor_client_connection_reply_gerror (p->connection, p->id, error);
      return;
    }

  /* Even when the peer is gone the tokens are revoked; only the reply
   * is moot. */
  if (!kantor_client_connection_is_open (p->connection))
    return;

  kantor_client_connection_set_grant (p->connection, NULL);
  kantor_client_connection_reply (p->connection, p->id, "logged_out", NULL);
}

static void
handle_logout (KantorClientConnection *connection,
               JsonNode               *id,
               JsonObject             *message,
               gpointer                user_data)
{
  KantorServer *self = user_data;
  const KantorAuthGrant *grant = kantor_client_connection_get_grant (connection);
  const char *refresh_token = NULL;

  if (json_object_has_member (message, "refresh_token") &&
      !json_object_get_null_member (message, "refresh_token"))
    refresh_token = json_object_get_string_member (message, "refresh_token");

  /* Not the connection's cancellable: a logout must complete even if the
   * peer hangs up right after asking. */
  kantor_auth_logout_async (self->auth, grant->user_id, refresh_token, NULL,
                            logout_done, pending_reply_new (self, connection, id));
}

/* The routing table -------------------------------------------------- */

#define F_STR   KANTOR_FIELD_STRING
#define F_OBJ   KANTOR_FIELD_OBJECT
#define F_ARR   KANTOR_FIELD_ARRAY

static const KantorRouteField handshake_fields[] = {
  { "version", F_STR | KANTOR_FIELD_NUMBER, TRUE },
  { "client_id", F_STR, FALSE },
  { "capabilities", F_ARR, FALSE },
  { NULL }
};
static const KantorRouteField auth_fields[] = {
  { "token", F_STR, TRUE },
  { NULL }
};
static const KantorRouteField login_fields[] = {
  { "username", F_STR, TRUE },
  { "password", F_STR, TRUE },
  { NULL }
};
static const KantorRouteField refresh_fields[] = {
  { "refresh_token", F_STR, TRUE },
  { NULL }
};
static const KantorRouteField logout_fields[] = {
  { "refresh_token", F_STR, FALSE },
  { NULL }
};

static const KantorRoute builtin_routes[] = {
  { "heartbeat", handle_heartbeat, KANTOR_ROUTE_PUBLIC, NULL, NULL },
  { "handshake", handle_handshake, KANTOR_ROUTE_PUBLIC, handshake_fields, NULL },
  { "auth", handle_auth, KANTOR_ROUTE_PUBLIC, auth_fields, NULL },
  { "login", handle_login, KANTOR_ROUTE_PUBLIC, login_fields, NULL },
  { "refresh", handle_refresh, KANTOR_ROUTE_PUBLIC, refresh_fields, NULL },
  { "logout", handle_logout, KANTOR_ROUTE_DEFAULT, logout_fields, NULL },
};

static const KantorRouteField session_start_fields[] = {
  { "session_type", F_STR, TRUE },
  { "strategy_config", F_OBJ, TRUE, KANTOR_ERROR_CODE_MISSING_STRATEGY_CONFIG },
  { "config", F_OBJ, FALSE },
  { NULL }
};
static const KantorRouteField session_id_required_fields[] = {
  { "session_id", F_STR, TRUE },
  { NULL }
};
static const KantorRouteField session_id_optional_fields[] = {
  { "session_id", F_STR, FALSE },
  { NULL }
};
static const KantorRouteField activation_fields[] = {
  { "strategy_name", F_STR, TRUE },
  { "symbol", F_STR, TRUE },
  { NULL }
};
static const KantorRouteField strategy_status_fields[] = {
  { "strategy_name", F_STR, FALSE },
  { "symbol", F_STR, FALSE },
  { NULL }
};
static const KantorRouteField strategy_config_fields[] = {
  { "strategy_config", F_OBJ, TRUE },
  { NULL }
};
static const KantorRouteField results_fields[] = {
  { "request_type", F_STR, TRUE },
  { "session_id", F_STR, FALSE },
  { "symbol", F_STR, FALSE },
  { "strategy_name", F_STR, FALSE },
  { NULL }
};
static const KantorRouteField subscribe_fields[] = {
  { "stream", F_STR, TRUE },
  { "params", F_OBJ, FALSE },
  { NULL }
};
static const KantorRouteField unsubscribe_fields[] = {
  { "stream", F_STR, TRUE },
  { NULL }
};
static const KantorRouteField collection_start_fields[] = {
  { "symbols", F_ARR, TRUE },
  { "duration", F_STR, FALSE },
  { NULL }
};
static const KantorRouteField collection_id_required_fields[] = {
  { "collection_id", F_STR, TRUE },
  { NULL }
};
static const KantorRouteField collection_id_optional_fields[] = {
  { "collection_id", F_STR, FALSE },
  { NULL }
};

#define SESSIONS    "the session manager"
#define STRATEGIES  "the strategy manager"
#define RESULTS     "the results service"
#define STREAMS     "the stream service"
#define COLLECTIONS "the collection service"

/* PROTOCOL §4 requests. Their services register handlers with
 * kantor_router_set_handler(); until then they are validated and answer
 * service_unavailable. */
static const KantorRoute protocol_routes[] = {
  { "session_start", NULL, 0, session_start_fields, SESSIONS },
  { "session_stop", NULL, 0, session_id_required_fields, SESSIONS },
  { "session_status", NULL, 0, session_id_optional_fields, SESSIONS },
  { "get_strategies", NULL, 0, NULL, STRATEGIES },
  { "activate_strategy", NULL, 0, activation_fields, STRATEGIES },
  { "deactivate_strategy", NULL, 0, activation_fields, STRATEGIES },
  { "get_strategy_status", NULL, 0, strategy_status_fields, STRATEGIES },
  { "validate_strategy_config", NULL, 0, strategy_config_fields, STRATEGIES },
  { "upsert_strategy", NULL, 0, strategy_config_fields, STRATEGIES },
  { "results_request", NULL, 0, results_fields, RESULTS },
  { "subscribe", NULL, 0, subscribe_fields, STREAMS },
  { "unsubscribe", NULL, 0, unsubscribe_fields, STREAMS },
  { "collection_start", NULL, 0, collection_start_fields, COLLECTIONS },
  { "collection_stop", NULL, 0, collection_id_required_fields, COLLECTIONS },
  { "collection_status", NULL, 0, collection_id_optional_fields, COLLECTIONS },
};

/* HTTP ---------------------------------------------------------------- */

static void
set_json_response (SoupServerMessage *msg,
                   guint              status,
                   char              *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body,
                                    strlen (body));
}

static void
set_error_response (SoupServerMessage *msg,
                    KantorErrorCode    code,
                    const char        *message)
{
  set_json_response (msg, kantor_error_code_get_http_status (code),
                     kantor_envelope_error (NULL, code, message, NULL));
}

static void
health_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  KantorServer *self = user_data;
  GString *body;
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (path, "/health") != 0)
    {
      set_error_response (msg, KANTOR_ERROR_CODE_NOT_FOUND, NULL);
      return;
    }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      set_error_response (msg, KANTOR_ERROR_CODE_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  body = g_string_new (NULL);
  g_string_append_printf (body,
                          "{\"status\":\"ok\",\"version\":\"%s\",\"uptime\":%" G_GINT64_FORMAT
                          ",\"connections\":%u}",
                          PACKAGE_VERSION,
                          (g_get_monotonic_time () - self->started_at) / G_USEC_PER_SEC,
                          g_hash_table_size (self->connections));
  set_json_response (msg, SOUP_STATUS_OK, g_string_free (body, FALSE));
}

/* The REST mirror: the same router, one message per request. */
static void
rest_early_handler (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  kantor_rest_handle_early (user_data, msg);
}

static void
rest_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  kantor_rest_handle (user_data, msg, path);
}

static void complete_upgrade (SoupServerMessage *msg,
                              KantorServer      *self);

/* The WebSocket paths: checks, then the handshake. Anything answered with
 * an error status stops the upgrade. */
static void
upgrade_handler (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  KantorServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (strcmp (path, "/") != 0 && strcmp (path, "/ws") != 0)
    {
      set_error_response (msg, KANTOR_ERROR_CODE_NOT_FOUND, NULL);
      return;
    }

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET)
    {
      set_error_response (msg, KANTOR_ERROR_CODE_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  if (g_hash_table_size (self->connections) >= self->max_connections)
    {
      set_error_response (msg, KANTOR_ERROR_CODE_TOO_MANY_CONNECTIONS, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "5");
      return;
    }

  {
    g_autoptr(GError) error = NULL;
    KantorAuthGrant *grant = kantor_server_authenticate (self, headers, &error);

    if (error != NULL)
      {
        set_error_response (msg, kantor_error_code_from_gerror (error), error->message);
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        return;
      }
    if (grant != NULL)
      g_object_set_data_full (G_OBJECT (msg), "kantor-grant", grant,
                              (GDestroyNotify) kantor_auth_grant_free);
  }

  /* No extensions: compression would let a small frame inflate past every
   * size bound. On failure the status (400) is set for us. */
  if (soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    g_signal_connect_object (msg, "wrote-informational", G_CALLBACK (complete_upgrade), self, 0);
}

/* WebSocket ----------------------------------------------------------- */

static void
on_message (KantorClientConnection *connection,
            const char             *text,
            gsize                   len,
            gpointer                user_data)
{
  KantorServer *self = user_data;

  kantor_router_dispatch (self->router, connection, text, len);
}

static void
on_connection_closed (KantorClientConnection *connection,
                      KantorServer           *self)
{
  kantor_client_connection_set_message_func (connection, NULL, NULL);
  g_signal_handlers_disconnect_by_func (connection, on_connection_closed, self);

  g_object_ref (connection);
  if (g_hash_table_remove (self->connections, connection))
    {
      g_debug ("Client %s disconnected", kantor_client_connection_get_client_id (connection));
      g_signal_emit (self, signals[CLIENT_DISCONNECTED], 0, connection);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CONNECTIONS]);
    }
  g_object_unref (connection);
}

static void
complete_upgrade (SoupServerMessage *msg,
                  KantorServer      *self)
{
  g_autoptr(KantorClientConnection) connection = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_auto(GStrv) features = NULL;
  KantorAuthGrant *grant;

  /* The 101 is out: from here the socket speaks WebSocket, and it is ours. */
  g_object_ref (msg);
  stream = soup_server_message_steal_connection (msg);
  connection = kantor_client_connection_new (stream, soup_server_message_get_remote_host (msg));
  grant = g_object_steal_data (G_OBJECT (msg), "kantor-grant");
  g_object_unref (msg);

  /* Several upgrades may have passed the check before any completed. */
  if (g_hash_table_size (self->connections) >= self->max_connections)
    {
      g_clear_pointer (&grant, kantor_auth_grant_free);
      kantor_client_connection_close (connection, KANTOR_CLOSE_TRY_AGAIN_LATER,
                                      "Too many connections");
      return;
    }

  kantor_client_connection_set_max_message_size (connection, KANTOR_SERVER_MAX_MESSAGE_SIZE);
  kantor_client_connection_set_rate_limit (connection, self->rate_limit, self->rate_burst);
  if (grant != NULL)
    kantor_client_connection_set_grant (connection, grant);

  kantor_client_connection_set_message_func (connection, on_message, self);
  g_signal_connect_object (connection, "closed", G_CALLBACK (on_connection_closed), self, 0);
  g_hash_table_add (self->connections, g_object_ref (connection));

  g_debug ("Client %s connected from %s%s", kantor_client_connection_get_client_id (connection),
           kantor_client_connection_get_peer_address (connection),
           grant != NULL ? " (Bearer)" : "");

  features = dup_features (self);
  fields = json_object_new ();
  json_object_set_string_member (fields, "client_id",
                                 kantor_client_connection_get_client_id (connection));
  json_object_set_string_member (fields, "server_version", PACKAGE_VERSION);
  json_object_set_boolean_member (fields, "authenticated",
                                  kantor_client_connection_is_authenticated (connection));
  json_object_set_array_member (fields, "features",
                                strv_to_array ((const char *const *) features));
  kantor_client_connection_send_status (connection, NULL, "connected", fields);

  g_signal_emit (self, signals[CLIENT_CONNECTED], 0, connection);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CONNECTIONS]);
}

static gboolean
sweep_stale (gpointer user_data)
{
  KantorServer *self = user_data;
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_monotonic_time ();
  gint64 limit = (gint64) self->stale_timeout * G_USEC_PER_SEC;
  GHashTableIter iter;
  KantorClientConnection *connection;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *) &connection, NULL))
    {
      if (now - kantor_client_connection_get_last_seen (connection) > limit)
        g_ptr_array_add (stale, g_object_ref (connection));
      else
        kantor_client_connection_ping (connection);
    }

  for (guint i = 0; i < stale->len; i++)
    {
      connection = g_ptr_array_index (stale, i);
      g_debug ("Closing client %s: no answer for %u s",
               kantor_client_connection_get_client_id (connection), self->stale_timeout);
      kantor_client_connection_close (connection, KANTOR_CLOSE_POLICY_VIOLATION,
                                      "Keepalive timeout");
    }

  return G_SOURCE_CONTINUE;
}

static void
restart_sweep (KantorServer *self)
{
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->keepalive_interval > 0 && self->stale_timeout > 0)
    self->sweep_id = g_timeout_add_seconds (MAX (1, MIN (self->keepalive_interval,
                                                         self->stale_timeout / 2)),
                                            sweep_stale, self);
}

/* GObject ------------------------------------------------------------- */

static void
kantor_server_constructed (GObject *object)
{
  KantorServer *self = KANTOR_SERVER (object);

  G_OBJECT_CLASS (kantor_server_parent_class)->constructed (object);

  self->router = kantor_router_new ();
  kantor_router_set_max_message_size (self->router, KANTOR_SERVER_MAX_MESSAGE_SIZE);
  kantor_router_add_table (self->router, builtin_routes, G_N_ELEMENTS (builtin_routes), self);
  kantor_router_add_table (self->router, protocol_routes, G_N_ELEMENTS (protocol_routes), self);

  /* Raw paths: REST decodes each segment once itself, so that "%2F" stays
   * inside its segment instead of becoming a separator. */
  self->soup = soup_server_new ("server-header", "kantord/" PACKAGE_VERSION " ",
                                "raw-paths", TRUE, NULL);

  soup_server_add_handler (self->soup, "/health", health_handler, self, NULL);
  soup_server_add_early_handler (self->soup, KANTOR_REST_PREFIX, rest_early_handler, self, NULL);
  soup_server_add_handler (self->soup, KANTOR_REST_PREFIX, rest_handler, self, NULL);
  soup_server_add_handler (self->soup, "/", upgrade_handler, self, NULL);

  restart_sweep (self);
}

static void
kantor_server_dispose (GObject *object)
{
  KantorServer *self = KANTOR_SERVER (object);

  if (self->soup != NULL)
    kantor_server_shutdown (self, KANTOR_CLOSE_GOING_AWAY, "Server shutting down");

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->connections != NULL)
    {
      g_autoptr(GPtrArray) left = kantor_server_dup_connections (self);

      /* Connections still closing are dropped without calling back into a
       * server that is going away. */
      for (guint i = 0; i < left->len; i++)
        {
          KantorClientConnection *connection = g_ptr_array_index (left, i);

          kantor_client_connection_set_message_func (connection, NULL, NULL);
          g_signal_handlers_disconnect_by_func (connection, on_connection_closed, self);
        }
      g_hash_table_remove_all (self->connections);
    }
  g_clear_object (&self->soup);
  g_clear_pointer (&self->router, kantor_router_free);
  g_clear_object (&self->auth);

  G_OBJECT_CLASS (kantor_server_parent_class)->dispose (object);
}

static void
kantor_server_finalize (GObject *object)
{
  KantorServer *self = KANTOR_SERVER (object);

  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_free (self->address);

  G_OBJECT_CLASS (kantor_server_parent_class)->finalize (object);
}

static void
kantor_server_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  KantorServer *self = KANTOR_SERVER (object);

  switch (prop_id)
    {
    case PROP_AUTH:
      g_value_set_object (value, self->auth);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;
    case PROP_RATE_LIMIT:
      g_value_set_double (value, self->rate_limit);
      break;
    case PROP_RATE_BURST:
      g_value_set_double (value, self->rate_burst);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, self->keepalive_interval);
      break;
    case PROP_STALE_TIMEOUT:
      g_value_set_uint (value, self->stale_timeout);
      break;
    case PROP_N_CONNECTIONS:
      g_value_set_uint (value, kantor_server_get_n_connections (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_server_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  KantorServer *self = KANTOR_SERVER (object);

  switch (prop_id)
    {
    case PROP_AUTH:
      self->auth = g_value_dup_object (value);
      break;
    case PROP_MAX_CONNECTIONS:
      self->max_connections = g_value_get_uint (value);
      break;
    case PROP_RATE_LIMIT:
      self->rate_limit = g_value_get_double (value);
      break;
    case PROP_RATE_BURST:
      self->rate_burst = g_value_get_double (value);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      self->keepalive_interval = g_value_get_uint (value);
      if (self->router != NULL)
        restart_sweep (self);
      break;
    case PROP_STALE_TIMEOUT:
      self->stale_timeout = g_value_get_uint (value);
      if (self->router != NULL)
        restart_sweep (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_server_class_init (KantorServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                   G_PARAM_STATIC_STRINGS;

  object_class->constructed = kantor_server_constructed;
  object_class->dispose = kantor_server_dispose;
  object_class->finalize = kantor_server_finalize;
  object_class->get_property = kantor_server_get_property;
  object_class->set_property = kantor_server_set_property;

  properties[PROP_AUTH] =
    g_param_spec_object ("auth", NULL, NULL, KANTOR_TYPE_AUTH,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL, 1, G_MAXUINT,
                       KANTOR_SERVER_DEFAULT_MAX_CONNECTIONS, rw);
  properties[PROP_RATE_LIMIT] =
    g_param_spec_double ("rate-limit", NULL, NULL, 0.0, G_MAXDOUBLE,
                         KANTOR_SERVER_DEFAULT_RATE_LIMIT, rw);
  properties[PROP_RATE_BURST] =
    g_param_spec_double ("rate-burst", NULL, NULL, 1.0, G_MAXDOUBLE,
                         KANTOR_SERVER_DEFAULT_RATE_BURST, rw);
  properties[PROP_KEEPALIVE_INTERVAL] =
    g_param_spec_uint ("keepalive-interval", NULL, NULL, 0, 3600,
                       KANTOR_SERVER_DEFAULT_KEEPALIVE, rw);
  properties[PROP_STALE_TIMEOUT] =
    g_param_spec_uint ("stale-timeout", NULL, NULL, 0, 86400,
                       KANTOR_SERVER_DEFAULT_STALE_TIMEOUT, rw);
  properties[PROP_N_CONNECTIONS] =
    g_param_spec_uint ("n-connections", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KantorServer::client-connected:
   * @connection: the new client
   *
   * A WebSocket client completed the upgrade and was sent `connected`.
   */
  signals[CLIENT_CONNECTED] =
    g_signal_new ("client-connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, KANTOR_TYPE_CLIENT_CONNECTION);
  /**
   * KantorServer::client-disconnected:
   * @connection: the client that went away
   */
  signals[CLIENT_DISCONNECTED] =
    g_signal_new ("client-disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, KANTOR_TYPE_CLIENT_CONNECTION);
}

static void
kantor_server_init (KantorServer *self)
{
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
                                             NULL);
  self->started_at = g_get_monotonic_time ();
}

KantorServer *
kantor_server_new (KantorAuth *auth)
{
  g_return_val_if_fail (KANTOR_IS_AUTH (auth), NULL);

  return g_object_new (KANTOR_TYPE_SERVER, "auth", auth, NULL);
}

KantorAuth *
kantor_server_get_auth (KantorServer *self)
{
  g_return_val_if_fail (KANTOR_IS_SERVER (self), NULL);
  return self->auth;
}

gboolean
kantor_server_listen (KantorServer  *self,
                      const char    *address,
                      guint          port,
                      GError       **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  GSList *listeners;

  g_return_val_if_fail (KANTOR_IS_SERVER (self), FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);

  inet = g_inet_address_new_from_string (address != NULL ? address : "127.0.0.1");
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not an IP address", address);
      return FALSE;
    }

  sockaddr = g_inet_socket_address_new (inet, (guint16) port);
  if (!soup_server_listen (self->soup, sockaddr, 0, error))
    return FALSE;

  /* Not soup_server_get_uris(): libsoup 3.2 leaks an address there. */
  listeners = soup_server_get_listeners (self->soup);
  for (GSList *l = listeners; l != NULL; l = l->next)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (l->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);

  g_free (self->address);
  self->address = g_inet_address_to_string (inet);
  self->started_at = g_get_monotonic_time ();
  return TRUE;
}

guint
kantor_server_get_port (KantorServer *self)
{
  g_return_val_if_fail (KANTOR_IS_SERVER (self), 0);
  return self->port;
}

char *
kantor_server_dup_websocket_url (KantorServer *self)
{
  g_return_val_if_fail (KANTOR_IS_SERVER (self), NULL);

  if (self->address != NULL && strchr (self->address, ':') != NULL)
    return g_strdup_printf ("ws://[%s]:%u/ws", self->address, self->port);
  return g_strdup_printf ("ws://%s:%u/ws", self->address != NULL ? self->address : "127.0.0.1",
                          self->port);
}

KantorRouter *
kantor_server_get_router (KantorServer *self)
{
  g_return_val_if_fail (KANTOR_IS_SERVER (self), NULL);
  return self->router;
}

guint
kantor_server_get_n_connections (KantorServer *self)
{
  g_return_val_if_fail (KANTOR_IS_SERVER (self), 0);
  return self->connections != NULL ? g_hash_table_size (self->connections) : 0;
}

GPtrArray *
kantor_server_dup_connections (KantorServer *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (KANTOR_IS_SERVER (self), list);

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (list, g_object_ref (key));
  return list;
}

KantorAuthGrant *
kantor_server_authenticate (KantorServer       *self,
                            SoupMessageHeaders *headers,
                            GError            **error)
{
  const char *authorization;

  g_return_val_if_fail (KANTOR_IS_SERVER (self), NULL);
  g_return_val_if_fail (headers != NULL, NULL);

  authorization = soup_message_headers_get_one (headers, "Authorization");
  if (authorization == NULL)
    return NULL;
  if (g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    {
      g_set_error_literal (error, KANTOR_PROTOCOL_ERROR, KANTOR_ERROR_CODE_INVALID_TOKEN,
                           "The Authorization header must be 'Bearer <token>'.");
      return NULL;
    }
  return kantor_auth_verify_access (self->auth, authorization + 7, error);
}

void
kantor_server_broadcast (KantorServer *self,
                         const char   *text)
{
  g_autoptr(GPtrArray) connections = NULL;
  g_autoptr(GBytes) frame = NULL;

  g_return_if_fail (KANTOR_IS_SERVER (self));
  g_return_if_fail (text != NULL);

  connections = kantor_server_dup_connections (self);
  for (guint i = 0; i < connections->len; i++)
    {
      KantorClientConnection *connection = g_ptr_array_index (connections, i);

      if (!kantor_client_connection_is_authenticated (connection))
        continue;
      if (frame == NULL)
        frame = kantor_client_connection_frame_text (text, strlen (text));
      kantor_client_connection_send_frame (connection, frame, KANTOR_OUTGOING_RELIABLE);
    }
}

void
kantor_server_send_alert (KantorServer *self,
                          const char   *alert,
                          const char   *session_id,
                          const char   *symbol,
                          const char   *message,
                          JsonObject   *extra)
{
  g_autofree char *text = NULL;

  g_return_if_fail (KANTOR_IS_SERVER (self));

  text = kantor_envelope_alert (alert, session_id, symbol, message, extra);
  g_return_if_fail (text != NULL);
  kantor_server_broadcast (self, text);
}

void
kantor_server_set_max_connections (KantorServer *self,
                                   guint         max_connections)
{
  g_return_if_fail (KANTOR_IS_SERVER (self));
  g_object_set (self, "max-connections", MAX (max_connections, 1u), NULL);
}

void
kantor_server_set_rate_limit (KantorServer *self,
                              double        per_second,
                              double        burst)
{
  g_return_if_fail (KANTOR_IS_SERVER (self));
  g_object_set (self, "rate-limit", MAX (per_second, 0.0), "rate-burst", MAX (burst, 1.0), NULL);
}

void
kantor_server_set_keepalive (KantorServer *self,
                             guint         interval,
                             guint         stale_timeout)
{
  g_return_if_fail (KANTOR_IS_SERVER (self));
  g_object_set (self, "keepalive-interval", interval, "stale-timeout", stale_timeout, NULL);
}

void
kantor_server_shutdown (KantorServer *self,
                        gushort       code,
                        const char   *reason)
{
  g_autoptr(GPtrArray) connections = NULL;

  g_return_if_fail (KANTOR_IS_SERVER (self));

  connections = kantor_server_dup_connections (self);
  for (guint i = 0; i < connections->len; i++)
    kantor_client_connection_close (g_ptr_array_index (connections, i), code, reason);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
}
