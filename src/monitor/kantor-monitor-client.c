/* kantor-monitor-client.c: a WebSocket client of kantord for the monitor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "kantor-monitor-client.h"
#include "kantor-monitor-util.h"

/* Replies such as session_status or results can be large; libsoup's
 * default limit (128 KiB) would close the connection on them. */
#define MAX_INCOMING_MESSAGE (16 * 1024 * 1024)

/* The access token is renewed this long before it expires, at least. */
#define REFRESH_MARGIN_S 60

G_DEFINE_ENUM_TYPE (KantorMonitorClientState, kantor_monitor_client_state,
                    G_DEFINE_ENUM_VALUE (KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED, "disconnected"),
                    G_DEFINE_ENUM_VALUE (KANTOR_MONITOR_CLIENT_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (KANTOR_MONITOR_CLIENT_STATE_CONNECTED, "connected"),
                    G_DEFINE_ENUM_VALUE (KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED,
                                         "authenticated"))

/* Errors ------------------------------------------------------------------ */

typedef struct
{
  char       *code;
  JsonObject *details;
} KantorMonitorClientErrorPrivate;

static void
kantor_monitor_client_error_private_init (KantorMonitorClientErrorPrivate *priv)
{
  priv->code = NULL;
  priv->details = NULL;
}

static void
kantor_monitor_client_error_private_copy (const KantorMonitorClientErrorPrivate *src,
                                          KantorMonitorClientErrorPrivate       *dest)
{
  dest->code = g_strdup (src->code);
  dest->details = src->details != NULL ? json_object_ref (src->details) : NULL;
}

static void
kantor_monitor_client_error_private_clear (KantorMonitorClientErrorPrivate *priv)
{
  g_clear_pointer (&priv->code, g_free);
  g_clear_pointer (&priv->details, json_object_unref);
}

G_DEFINE_EXTENDED_ERROR (KantorMonitorClientError, kantor_monitor_client_error)

/* The protocol's error codes this client names; one table, one place. */
static const struct
{
  const char               *code;
  KantorMonitorClientError  error;
} error_codes[] = {
  { "validation_error", KANTOR_MONITOR_CLIENT_ERROR_VALIDATION },
  { "authentication_required", KANTOR_MONITOR_CLIENT_ERROR_AUTHENTICATION_REQUIRED },
  { "invalid_token", KANTOR_MONITOR_CLIENT_ERROR_INVALID_TOKEN },
  { "token_expired", KANTOR_MONITOR_CLIENT_ERROR_TOKEN_EXPIRED },
  { "invalid_credentials", KANTOR_MONITOR_CLIENT_ERROR_INVALID_CREDENTIALS },
  { "invalid_json", KANTOR_MONITOR_CLIENT_ERROR_INVALID_JSON },
  { "unknown_message_type", KANTOR_MONITOR_CLIENT_ERROR_UNKNOWN_MESSAGE_TYPE },
  { "rate_limit_exceeded", KANTOR_MONITOR_CLIENT_ERROR_RATE_LIMIT_EXCEEDED },
  { "handler_error", KANTOR_MONITOR_CLIENT_ERROR_HANDLER_ERROR },
  { "service_unavailable", KANTOR_MONITOR_CLIENT_ERROR_SERVICE_UNAVAILABLE },
  { "invalid_session_type", KANTOR_MONITOR_CLIENT_ERROR_INVALID_SESSION_TYPE },
  { "missing_strategy_config", KANTOR_MONITOR_CLIENT_ERROR_MISSING_STRATEGY_CONFIG },
  { "strategy_activation_failed", KANTOR_MONITOR_CLIENT_ERROR_STRATEGY_ACTIVATION_FAILED },
  { "session_conflict", KANTOR_MONITOR_CLIENT_ERROR_SESSION_CONFLICT },
  { "budget_cap_exceeded", KANTOR_MONITOR_CLIENT_ERROR_BUDGET_CAP_EXCEEDED },
  { "session_not_found", KANTOR_MONITOR_CLIENT_ERROR_SESSION_NOT_FOUND },
  { "strategy_not_found", KANTOR_MONITOR_CLIENT_ERROR_STRATEGY_NOT_FOUND },
  { "collection_not_found", KANTOR_MONITOR_CLIENT_ERROR_COLLECTION_NOT_FOUND },
  { "command_failed", KANTOR_MONITOR_CLIENT_ERROR_COMMAND_FAILED },
};

const char *
kantor_monitor_client_error_get_code (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != KANTOR_MONITOR_CLIENT_ERROR)
    return NULL;
  return kantor_monitor_client_error_get_private (error)->code;
}

JsonObject *
kantor_monitor_client_error_get_details (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != KANTOR_MONITOR_CLIENT_ERROR)
    return NULL;
  return kantor_monitor_client_error_get_private (error)->details;
}

/* An error envelope as a GError. */
static GError *
error_from_reply (JsonObject *msg)
{
  const char *code = json_object_get_string_member_with_default (msg, "error_code", NULL);
  const char *text = json_object_get_string_member_with_default (msg, "error_message", NULL);
  KantorMonitorClientError value = KANTOR_MONITOR_CLIENT_ERROR_FAILED;
  KantorMonitorClientErrorPrivate *priv;
  JsonObject *details;
  GError *error;

  for (guint i = 0; code != NULL && i < G_N_ELEMENTS (error_codes); i++)
    if (g_str_equal (code, error_codes[i].code))
      value = error_codes[i].error;

  error = g_error_new (KANTOR_MONITOR_CLIENT_ERROR, value, "%s",
                       text != NULL ? text : (code != NULL ? code : "error"));
  priv = kantor_monitor_client_error_get_private (error);
  priv->code = g_strdup (code);
  details = kantor_monitor_json_get_object (msg, "details");
  if (details != NULL)
    priv->details = json_object_ref (details);
  return error;
}

/* The client ---------------------------------------------------------------- */

typedef struct
{
  JsonObject *params;    /* as asked, without resume_from */
  guint64     last_seq;
  gboolean    active;    /* subscribed on the current connection */
} Subscription;

typedef struct
{
  KantorMonitorClient *self;  /* not a ref: pending requests die with the client */
  char                *id;
  GTask               *task;
  GCancellable        *cancellable;
  gulong               cancel_id;
} Pending;

struct _KantorMonitorClient
{
  GObject                   parent_instance;

  char                     *url;
  SoupSession              *session;
  SoupWebsocketConnection  *ws;
  GCancellable             *attempt;        /* the connection attempt in flight */
  GTask                    *connect_task;   /* waits for the connected message */
  KantorMonitorClientState  state;
  char                     *server_version;
  char                     *user;

  guint64                   next_id;
  GHashTable               *pending;        /* id -> Pending */

  /* Memory only, never written anywhere. */
  char                     *access_token;
  char                     *refresh_token;
  gint64                    expires_at;     /* epoch seconds */
  guint                     refresh_source;

  gboolean                  keep_connected; /* reconnect after a drop */
  guint                     reconnect_source;
  guint                     initial_delay_ms;
  guint                     max_delay_ms;
  guint                     delay_ms;
  guint                     n_reconnects;
  gboolean                  was_connected;

  /* A server that stops answering (its host gone, a half-open socket)
   * sends no close: silence is the only sign. */
  guint                     keepalive_interval_ms;
  guint                     keepalive_timeout_ms;
  guint                     keepalive_source;
  gint64                    last_heard_us;
  gboolean                  heartbeat_out;

  GHashTable               *subscriptions;  /* stream -> Subscription */
};

G_DEFINE_FINAL_TYPE (KantorMonitorClient, kantor_monitor_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_URL,
  PROP_STATE,
  PROP_SERVER_VERSION,
  PROP_USER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_SESSION_STATE,
  SIGNAL_COLLECTION_STATE,
  SIGNAL_ALERT,
  SIGNAL_STREAM_ITEM,
  SIGNAL_RESUME_GAP,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_attempt         (KantorMonitorClient *self);
static void connection_lost       (KantorMonitorClient *self);
static void reauthenticate        (KantorMonitorClient *self);
static void schedule_refresh      (KantorMonitorClient *self);

static void
subscription_free (Subscription *sub)
{
  g_clear_pointer (&sub->params, json_object_unref);
  g_free (sub);
}

static void
pending_free (Pending *p)
{
  if (p->cancel_id != 0)
    g_cancellable_disconnect (p->cancellable, p->cancel_id);
  g_clear_object (&p->cancellable);
  g_clear_object (&p->task);
  g_free (p->id);
  g_free (p);
}

static void
set_state (KantorMonitorClient      *self,
           KantorMonitorClientState  state)
{
  if (self->state == state)
    return;
  g_debug ("%s: state %d -> %d", self->url, self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Fails every request still waiting for its reply. */
static void
fail_pending (KantorMonitorClient *self)
{
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (tasks, g_object_ref (((Pending *) value)->task));
  g_hash_table_remove_all (self->pending);

  for (guint i = 0; i < tasks->len; i++)
    g_task_return_new_error (g_ptr_array_index (tasks, i), KANTOR_MONITOR_CLIENT_ERROR,
                             KANTOR_MONITOR_CLIENT_ERROR_CLOSED,
                             _("The connection to the server was closed"));
}

/* Completes a connect_async() still waiting with @error (taken). */
static void
fail_connect_task (KantorMonitorClient *self,
                   GError              *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

/* Forgets the tokens and the user they were granted to. */
static void
forget_tokens (KantorMonitorClient *self)
{
  g_clear_pointer (&self->access_token, g_free);
  g_clear_pointer (&self->refresh_token, g_free);
  self->expires_at = 0;
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  kantor_monitor_notify_string (self, &self->user, NULL, properties[PROP_USER]);
}

static void
drop_connection (KantorMonitorClient *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->ws);
    }
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  self->heartbeat_out = FALSE;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((Subscription *) value)->active = FALSE;

  fail_pending (self);
}

static gboolean
reconnect_cb (gpointer user_data)
{
  KantorMonitorClient *self = user_data;

  self->reconnect_source = 0;
  start_attempt (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (KantorMonitorClient *self)
{
  guint delay = self->delay_ms;

  if (!self->keep_connected || self->reconnect_source != 0)
    return;
  set_state (self, KANTOR_MONITOR_CLIENT_STATE_CONNECTING);
  self->delay_ms = MIN (MAX (self->delay_ms, 1) * 2, self->max_delay_ms);
  g_debug ("%s: reconnecting in %u ms", self->url, delay);
  self->reconnect_source = g_timeout_add (delay, reconnect_cb, self);
}

/* Sending ------------------------------------------------------------------- */

static gboolean
is_open (KantorMonitorClient *self)
{
  return self->ws != NULL &&
         soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

/* Copies the members of @src into @dest, but not those named @skip (a
 * NULL-terminated list, or NULL). */
static void
copy_members (JsonObject         *dest,
              JsonObject         *src,
              const char * const *skip)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, src);
  while (json_object_iter_next (&iter, &name, &node))
    if (skip == NULL || !g_strv_contains (skip, name))
      json_object_set_member (dest, name, json_node_copy (node));
}

static gboolean
send_object (KantorMonitorClient *self,
             JsonObject          *obj)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  if (!is_open (self))
    return FALSE;
  json_node_set_object (node, obj);
  text = json_to_string (node, FALSE);
  soup_websocket_connection_send_text (self->ws, text);
  return TRUE;
}

static gboolean
cancelled_idle (gpointer user_data)
{
  GTask *task = user_data;
  KantorMonitorClient *self = g_task_get_source_object (task);
  const char *id = g_task_get_task_data (task);

  /* Still waiting: nobody else completed it meanwhile. */
  if (g_hash_table_lookup (self->pending, id) != NULL)
    {
      g_object_ref (task);
      g_hash_table_remove (self->pending, id);
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  /* Not from inside the handler: g_cancellable_disconnect() would wait on
   * itself. */
  g_idle_add_full (G_PRIORITY_DEFAULT, cancelled_idle, g_object_ref (user_data),
                   g_object_unref);
}

/* The envelope's own members, which a request's fields do not override. */
static const char * const envelope_fields[] = { "type", "id", NULL };

/* Sends @type with @fields and a fresh id; @task completes with the reply. */
static void
send_request (KantorMonitorClient *self,
              const char          *type,
              JsonObject          *fields,
              GTask               *task)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  GCancellable *cancellable = g_task_get_cancellable (task);
  Pending *p;
  char *id;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (!is_open (self))
    {
      g_task_return_new_error (task, KANTOR_MONITOR_CLIENT_ERROR,
                               KANTOR_MONITOR_CLIENT_ERROR_NOT_CONNECTED,
                               _("Not connected to the server"));
      return;
    }

  id = g_strdup_printf ("m%" G_GUINT64_FORMAT, ++self->next_id);
  json_object_set_string_member (obj, "type", type);
  json_object_set_string_member (obj, "id", id);
  if (fields != NULL)
    copy_members (obj, fields, envelope_fields);

  p = g_new0 (Pending, 1);
  p->self = self;
  p->id = id;
  p->task = g_object_ref (task);
  g_task_set_task_data (task, g_strdup (id), g_free);
  g_hash_table_insert (self->pending, p->id, p);
  if (cancellable != NULL)
    {
      p->cancellable = g_object_ref (cancellable);
      p->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), task, NULL);
    }
  send_object (self, obj);
}

/* Receiving ----------------------------------------------------------------- */

static void
complete_pending (KantorMonitorClient *self,
                  const char          *id,
                  JsonObject          *msg)
{
  Pending *p = g_hash_table_lookup (self->pending, id);
  g_autoptr(GTask) task = NULL;

  if (p == NULL)
    {
      g_debug ("%s: a reply to %s, which nobody waits for", self->url, id);
      return;
    }
  task = g_object_ref (p->task);
  g_hash_table_remove (self->pending, id);

  if (g_strcmp0 (json_object_get_string_member_with_default (msg, "type", NULL), "error") == 0)
    g_task_return_error (task, error_from_reply (msg));
  else
    g_task_return_pointer (task, json_object_ref (msg), (GDestroyNotify) json_object_unref);
}

static void
on_connected_message (KantorMonitorClient *self,
                      JsonObject          *msg)
{
  const char *version = json_object_get_string_member_with_default (msg, "server_version", NULL);

  kantor_monitor_notify_string (self, &self->server_version, version,
                                properties[PROP_SERVER_VERSION]);
  set_state (self, KANTOR_MONITOR_CLIENT_STATE_CONNECTED);

  if (self->connect_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

      self->keep_connected = TRUE;
      self->was_connected = TRUE;
      self->delay_ms = self->initial_delay_ms;
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* A restored connection. */
  self->n_reconnects++;
  if (self->access_token != NULL || self->refresh_token != NULL)
    reauthenticate (self);
  else
    self->delay_ms = self->initial_delay_ms;
}

static void
on_item (KantorMonitorClient *self,
         JsonObject          *msg)
{
  const char *stream = json_object_get_string_member_with_default (msg, "stream", NULL);
  Subscription *sub;

  if (stream == NULL)
    return;
  sub = g_hash_table_lookup (self->subscriptions, stream);
  if (sub != NULL && json_object_has_member (msg, "seq"))
    {
      gint64 seq = json_object_get_int_member_with_default (msg, "seq", 0);

      if (seq > 0 && (guint64) seq > sub->last_seq)
        sub->last_seq = (guint64) seq;
    }
  /* A detail nobody connected to has no quark yet: no need to make one. */
  g_signal_emit (self, signals[SIGNAL_STREAM_ITEM], g_quark_try_string (stream), stream, msg);
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               gint                     data_type,
               GBytes                  *message,
               gpointer                 user_data)
{
  KantorMonitorClient *self = user_data;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) hold = g_object_ref (G_OBJECT (self));
  gsize len = 0;
  const char *text = g_bytes_get_data (message, &len);
  JsonNode *root;
  JsonObject *msg;
  JsonNode *id;
  const char *type;

  self->last_heard_us = g_get_monotonic_time ();
  if (data_type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  if (!json_parser_load_from_data (parser, text, (gssize) len, &error))
    {
      g_warning ("%s: a message that is not JSON: %s", self->url, error->message);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  msg = json_node_get_object (root);
  type = json_object_get_string_member_with_default (msg, "type", "");

  id = json_object_get_member (msg, "id");
  if (id != NULL && !JSON_NODE_HOLDS_NULL (id))
    {
      if (JSON_NODE_HOLDS_VALUE (id) && json_node_get_value_type (id) == G_TYPE_STRING)
        complete_pending (self, json_node_get_string (id), msg);
      return;
    }

  if (g_str_equal (type, "status"))
    {
      const char *status = json_object_get_string_member_with_default (msg, "status", "");

      if (g_str_equal (status, "connected"))
        on_connected_message (self, msg);
      else if (g_str_equal (status, "session_state"))
        g_signal_emit (self, signals[SIGNAL_SESSION_STATE], 0, msg);
      else if (g_str_equal (status, "collection_state"))
        g_signal_emit (self, signals[SIGNAL_COLLECTION_STATE], 0, msg);
    }
  else if (g_str_equal (type, "alert"))
    g_signal_emit (self, signals[SIGNAL_ALERT], 0, msg);
  else if (g_str_equal (type, "data") || g_str_equal (type, "signal"))
    on_item (self, msg);
  else if (g_str_equal (type, "error"))
    g_debug ("%s: error without id: %s", self->url,
             json_object_get_string_member_with_default (msg, "error_message", ""));
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  KantorMonitorClient *self = user_data;

  g_debug ("%s: closed (%u)", self->url, soup_websocket_connection_get_close_code (ws));
  connection_lost (self);
}

/* Keepalive ----------------------------------------------------------------- */

static void
heartbeat_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (source);
  g_autoptr(JsonObject) reply = kantor_monitor_client_request_finish (self, result, NULL);

  self->heartbeat_out = FALSE;
}

static gboolean
keepalive_cb (gpointer user_data)
{
  KantorMonitorClient *self = user_data;
  gint64 silent_ms = (g_get_monotonic_time () - self->last_heard_us) / 1000;

  if (silent_ms >= (gint64) self->keepalive_interval_ms + self->keepalive_timeout_ms)
    {
      g_debug ("%s: nothing heard for %" G_GINT64_FORMAT " ms", self->url, silent_ms);
      self->keepalive_source = 0;
      connection_lost (self);
      return G_SOURCE_REMOVE;
    }
  if (silent_ms >= (gint64) self->keepalive_interval_ms && !self->heartbeat_out)
    {
      self->heartbeat_out = TRUE;
      kantor_monitor_client_request_async (self, "heartbeat", NULL, NULL, heartbeat_cb, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_keepalive (KantorMonitorClient *self)
{
  guint tick;

  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  self->last_heard_us = g_get_monotonic_time ();
  self->heartbeat_out = FALSE;
  if (self->keepalive_interval_ms == 0)
    return;
  tick = MAX (MIN (self->keepalive_interval_ms, self->keepalive_timeout_ms) / 2, 10);
  self->keepalive_source = g_timeout_add (tick, keepalive_cb, self);
}

void
kantor_monitor_client_set_keepalive (KantorMonitorClient *self,
                                     guint                interval_ms,
                                     guint                timeout_ms)
{
  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (self));

  self->keepalive_interval_ms = interval_ms;
  self->keepalive_timeout_ms = MAX (timeout_ms, 1);
  if (self->ws != NULL)
    start_keepalive (self);
}

/* The connection is gone (closed, or silent too long): fail what waits on
 * it and, unless told to stay away, come back. */
static void
connection_lost (KantorMonitorClient *self)
{
  g_autoptr(GObject) hold = g_object_ref (G_OBJECT (self));

  drop_connection (self);
  if (self->connect_task != NULL)
    fail_connect_task (self, g_error_new (KANTOR_MONITOR_CLIENT_ERROR,
                                          KANTOR_MONITOR_CLIENT_ERROR_CLOSED,
                                          _("The server closed the connection")));
  set_state (self, KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);
  schedule_reconnect (self);
}

/* The _finish() of the calls whose task completes with a boolean. */
static gboolean
finish_boolean (KantorMonitorClient  *self,
                GAsyncResult         *result,
                GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The reply to a request made on behalf of @task; NULL when it failed, and
 * @task then returned the error. */
static JsonObject *
reply_for_task (KantorMonitorClient *self,
                GAsyncResult        *result,
                GTask               *task)
{
  g_autoptr(GError) error = NULL;
  JsonObject *reply = kantor_monitor_client_request_finish (self, result, &error);

  if (reply == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  return reply;
}

/* Connecting ---------------------------------------------------------------- */

static void
websocket_connect_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(KantorMonitorClient) self = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->attempt);

  if (ws == NULL)
    {
      g_debug ("%s: %s", self->url, error->message);
      set_state (self, KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);
      if (self->connect_task != NULL)
        fail_connect_task (self, g_steal_pointer (&error));
      else
        schedule_reconnect (self);
      return;
    }

  self->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_INCOMING_MESSAGE);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);
  start_keepalive (self);
  /* Now the server's connected message completes the attempt. */
}

static gboolean
is_loopback (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  return host != NULL && (g_str_equal (host, "127.0.0.1") || g_str_equal (host, "::1") ||
                          g_str_equal (host, "localhost"));
}

static void
start_attempt (KantorMonitorClient *self)
{
  g_autoptr(SoupMessage) msg = NULL;

  g_return_if_fail (self->ws == NULL && self->attempt == NULL);

  msg = soup_message_new (SOUP_METHOD_GET, self->url);
  set_state (self, KANTOR_MONITOR_CLIENT_STATE_CONNECTING);
  if (msg == NULL)
    {
      /* Checked in connect_async(); only reachable for a reconnect. */
      set_state (self, KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);
      return;
    }
  self->attempt = g_cancellable_new ();
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->attempt, websocket_connect_cb,
                                        g_object_ref (self));
}

void
kantor_monitor_client_connect_async (KantorMonitorClient *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kantor_monitor_client_connect_async);

  uri = g_uri_parse (self->url, G_URI_FLAGS_NONE, &error);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "ws") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "wss") != 0))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Not a WebSocket address (ws://host:port/ws): %s"), self->url);
      return;
    }
  if (self->state != KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED || self->connect_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("Already connected or connecting"));
      return;
    }
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  self->connect_task = g_steal_pointer (&task);
  start_attempt (self);
}

gboolean
kantor_monitor_client_connect_finish (KantorMonitorClient  *self,
                                      GAsyncResult         *result,
                                      GError              **error)
{
  return finish_boolean (self, result, error);
}

void
kantor_monitor_client_disconnect (KantorMonitorClient *self)
{
  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (self));

  self->keep_connected = FALSE;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->attempt != NULL)
    {
      g_cancellable_cancel (self->attempt);
      g_clear_object (&self->attempt);
    }
  drop_connection (self);
  if (self->connect_task != NULL)
    fail_connect_task (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Disconnected")));
  g_hash_table_remove_all (self->subscriptions);
  forget_tokens (self);
  set_state (self, KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);
}

/* Authentication ------------------------------------------------------------ */

/* Takes what an authenticated or token_refreshed reply grants. */
static void
take_grant (KantorMonitorClient *self,
            JsonObject          *reply)
{
  JsonObject *data = json_object_get_object_member (reply, "data");
  JsonObject *grantee;
  const char *user = NULL;

  if (data == NULL)
    return;
  grantee = kantor_monitor_json_get_object (data, "user");
  if (grantee != NULL)
    user = json_object_get_string_member_with_default (grantee, "username", NULL);
  if (json_object_has_member (data, "access_token"))
    {
      g_free (self->access_token);
      self->access_token = g_strdup (json_object_get_string_member (data, "access_token"));
    }
  if (json_object_has_member (data, "refresh_token"))
    {
      g_free (self->refresh_token);
      self->refresh_token = g_strdup (json_object_get_string_member (data, "refresh_token"));
    }
  self->expires_at = json_object_get_int_member_with_default (data, "expires_at", 0);

  kantor_monitor_notify_string (self, &self->user, user, properties[PROP_USER]);
  self->delay_ms = self->initial_delay_ms;
  schedule_refresh (self);
}

static void
resubscribe_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (source);
  g_autofree char *stream = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *data;
  Subscription *sub;

  reply = kantor_monitor_client_request_finish (self, result, &error);
  if (reply == NULL)
    {
      g_debug ("%s: resubscribing to %s failed: %s", self->url, stream, error->message);
      return;
    }
  sub = g_hash_table_lookup (self->subscriptions, stream);
  if (sub == NULL)
    return;
  sub->active = TRUE;
  data = json_object_get_object_member (reply, "data");
  if (data != NULL && json_object_get_boolean_member_with_default (data, "resume_gap", FALSE))
    {
      guint64 oldest = (guint64) json_object_get_int_member_with_default (data, "oldest_seq", 0);

      g_signal_emit (self, signals[SIGNAL_RESUME_GAP], 0, stream, sub->last_seq, oldest);
    }
}

static void
resubscribe_all (KantorMonitorClient *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Subscription *sub = value;
      g_autoptr(JsonObject) fields = json_object_new ();
      JsonObject *params;

      if (sub->active)
        continue;
      params = json_object_new ();
      copy_members (params, sub->params, NULL);
      json_object_set_int_member (params, "resume_from", (gint64) sub->last_seq);
      json_object_set_string_member (fields, "stream", key);
      json_object_set_object_member (fields, "params", params);
      kantor_monitor_client_request_async (self, "subscribe", fields, NULL, resubscribe_cb,
                                           g_strdup (key));
    }
}

static void
authenticated (KantorMonitorClient *self,
               JsonObject          *reply)
{
  take_grant (self, reply);
  set_state (self, KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  resubscribe_all (self);
}

/* The server refused the tokens (expired, revoked, or a server with a new
 * secret): connected, but a user has to log in again. The user goes first,
 * so that whoever sees the state change sees no user. */
static void
authentication_lost (KantorMonitorClient *self)
{
  forget_tokens (self);
  if (self->state == KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED)
    set_state (self, KANTOR_MONITOR_CLIENT_STATE_CONNECTED);
}

/* The reply to a token the client sends by itself (a refresh, or the auth
 * of a restored connection): authenticated again, or the server's refusal.
 * NULL also when the connection went: the reconnect tries again. */
static GError *
take_token_reply (KantorMonitorClient *self,
                  GAsyncResult        *result,
                  const char          *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = kantor_monitor_client_request_finish (self, result, &error);

  if (reply != NULL)
    {
      authenticated (self, reply);
      return NULL;
    }
  g_debug ("%s: %s failed: %s", self->url, what, error->message);
  if (kantor_monitor_client_error_get_code (error) == NULL)
    return NULL;
  return g_steal_pointer (&error);
}

static void
refresh_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (source);
  g_autoptr(GError) error = take_token_reply (self, result, "token refresh");

  if (error != NULL)
    authentication_lost (self);
}

static void
send_refresh (KantorMonitorClient *self)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "refresh_token", self->refresh_token);
  kantor_monitor_client_request_async (self, "refresh", fields, NULL, refresh_cb, NULL);
}

static gboolean
refresh_timeout_cb (gpointer user_data)
{
  KantorMonitorClient *self = user_data;

  self->refresh_source = 0;
  if (self->refresh_token != NULL && self->ws != NULL)
    send_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (KantorMonitorClient *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 left, delay;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->refresh_token == NULL || self->expires_at == 0)
    return;
  left = self->expires_at - now;
  /* Renew at nine tenths of the lifetime left, and a minute ahead at least. */
  delay = MIN (left - left / 10, left - REFRESH_MARGIN_S);
  delay = CLAMP (delay, 1, G_MAXUINT / 2);
  self->refresh_source = g_timeout_add_seconds ((guint) delay, refresh_timeout_cb, self);
}

static void
reauth_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (source);
  g_autoptr(GError) error = take_token_reply (self, result, "re-authentication");

  if (error == NULL)
    return;
  if (self->refresh_token != NULL &&
      (g_error_matches (error, KANTOR_MONITOR_CLIENT_ERROR,
                        KANTOR_MONITOR_CLIENT_ERROR_TOKEN_EXPIRED) ||
       g_error_matches (error, KANTOR_MONITOR_CLIENT_ERROR,
                        KANTOR_MONITOR_CLIENT_ERROR_INVALID_TOKEN)))
    send_refresh (self);
  else
    authentication_lost (self);
}

static void
reauthenticate (KantorMonitorClient *self)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (self->access_token != NULL && (self->expires_at == 0 || self->expires_at > now + 5))
    {
      json_object_set_string_member (fields, "token", self->access_token);
      kantor_monitor_client_request_async (self, "auth", fields, NULL, reauth_cb, NULL);
    }
  else if (self->refresh_token != NULL)
    send_refresh (self);
}

static void
auth_reply_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) reply = reply_for_task (self, result, task);

  if (reply == NULL)
    return;
  authenticated (self, reply);
  g_task_return_boolean (task, TRUE);
}

/* Sends a login or auth request; the task of @source_tag completes once the
 * reply is taken. New credentials replace the tokens of a previous login:
 * @access_token is the one sent, if any. */
static void
send_credentials (KantorMonitorClient *self,
                  const char          *type,
                  JsonObject          *fields,
                  const char          *access_token,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_clear_pointer (&self->refresh_token, g_free);
  g_free (self->access_token);
  self->access_token = g_strdup (access_token);
  kantor_monitor_client_request_async (self, type, fields, cancellable, auth_reply_cb, task);
}

void
kantor_monitor_client_login_async (KantorMonitorClient *self,
                                   const char          *username,
                                   const char          *password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (self));
  g_return_if_fail (username != NULL && password != NULL);

  json_object_set_string_member (fields, "username", username);
  json_object_set_string_member (fields, "password", password);
  send_credentials (self, "login", fields, NULL, kantor_monitor_client_login_async, cancellable,
                    callback, user_data);
}

gboolean
kantor_monitor_client_login_finish (KantorMonitorClient  *self,
                                    GAsyncResult         *result,
                                    GError              **error)
{
  return finish_boolean (self, result, error);
}

void
kantor_monitor_client_auth_async (KantorMonitorClient *self,
                                  const char          *token,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (self));
  g_return_if_fail (token != NULL);

  json_object_set_string_member (fields, "token", token);
  send_credentials (self, "auth", fields, token, kantor_monitor_client_auth_async, cancellable,
                    callback, user_data);
}

gboolean
kantor_monitor_client_auth_finish (KantorMonitorClient  *self,
                                   GAsyncResult         *result,
                                   GError              **error)
{
  return finish_boolean (self, result, error);
}

/* Requests ------------------------------------------------------------------ */

void
kantor_monitor_client_request_async (KantorMonitorClient *self,
                                     const char          *type,
                                     JsonObject          *fields,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (self));
  g_return_if_fail (type != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kantor_monitor_client_request_async);
  send_request (self, type, fields, task);
}

JsonObject *
kantor_monitor_client_request_finish (KantorMonitorClient  *self,
                                      GAsyncResult         *result,
                                      GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
subscribe_reply_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) reply = reply_for_task (self, result, task);
  JsonObject *request = g_object_get_data (G_OBJECT (task), "request");
  const char *stream = json_object_get_string_member (request, "stream");
  JsonObject *data;
  Subscription *sub;

  if (reply == NULL)
    return;

  sub = g_new0 (Subscription, 1);
  sub->active = TRUE;
  sub->params = json_object_has_member (request, "params")
                ? json_object_ref (json_object_get_object_member (request, "params"))
                : json_object_new ();
  data = json_object_get_object_member (reply, "data");
  /* Everything up to the counter now is either in the seed or before it. */
  if (data != NULL)
    sub->last_seq = (guint64) MAX (0, json_object_get_int_member_with_default (data, "last_seq",
                                                                               0));
  g_hash_table_replace (self->subscriptions, g_strdup (stream), sub);
  g_task_return_pointer (task, g_steal_pointer (&reply), (GDestroyNotify) json_object_unref);
}

void
kantor_monitor_client_subscribe_async (KantorMonitorClient *self,
                                       const char          *stream,
                                       JsonObject          *params,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  GTask *task;

  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (self));
  g_return_if_fail (stream != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kantor_monitor_client_subscribe_async);
  json_object_set_string_member (fields, "stream", stream);
  if (params != NULL)
    {
      JsonObject *copy = json_object_new ();

      copy_members (copy, params, NULL);
      json_object_set_object_member (fields, "params", copy);
    }
  g_object_set_data_full (G_OBJECT (task), "request", json_object_ref (fields),
                          (GDestroyNotify) json_object_unref);
  kantor_monitor_client_request_async (self, "subscribe", fields, cancellable,
                                       subscribe_reply_cb, task);
}

JsonObject *
kantor_monitor_client_subscribe_finish (KantorMonitorClient  *self,
                                        GAsyncResult         *result,
                                        GError              **error)
{
  /* A request's task, only with its own source tag. */
  return kantor_monitor_client_request_finish (self, result, error);
}

gboolean
kantor_monitor_client_is_subscribed (KantorMonitorClient *self,
                                     const char          *stream)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (self), FALSE);
  return g_hash_table_contains (self->subscriptions, stream);
}

guint64
kantor_monitor_client_get_last_seq (KantorMonitorClient *self,
                                    const char          *stream)
{
  Subscription *sub;

  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (self), 0);
  sub = g_hash_table_lookup (self->subscriptions, stream);
  return sub != NULL ? sub->last_seq : 0;
}

/* GObject ------------------------------------------------------------------- */

KantorMonitorClient *
kantor_monitor_client_new (const char *url)
{
  return g_object_new (KANTOR_TYPE_MONITOR_CLIENT,
                       "url", url != NULL ? url : KANTOR_MONITOR_DEFAULT_URL,
                       NULL);
}

const char *
kantor_monitor_client_get_url (KantorMonitorClient *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (self), NULL);
  return self->url;
}

KantorMonitorClientState
kantor_monitor_client_get_state (KantorMonitorClient *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (self), KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);
  return self->state;
}

const char *
kantor_monitor_client_get_server_version (KantorMonitorClient *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (self), NULL);
  return self->server_version;
}

const char *
kantor_monitor_client_get_user (KantorMonitorClient *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (self), NULL);
  return self->user;
}

gint64
kantor_monitor_client_get_expires_at (KantorMonitorClient *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (self), 0);
  return self->access_token != NULL ? self->expires_at : 0;
}

guint
kantor_monitor_client_get_n_reconnects (KantorMonitorClient *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (self), 0);
  return self->n_reconnects;
}

void
kantor_monitor_client_set_reconnect_delays (KantorMonitorClient *self,
                                            guint                initial_ms,
                                            guint                max_ms)
{
  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (self));

  self->initial_delay_ms = MAX (initial_ms, 1);
  self->max_delay_ms = MAX (max_ms, self->initial_delay_ms);
  self->delay_ms = self->initial_delay_ms;
}

static void
kantor_monitor_client_constructed (GObject *object)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (object);

  G_OBJECT_CLASS (kantor_monitor_client_parent_class)->constructed (object);

  self->session = soup_session_new ();
  /* kantord listens on loopback by default; asking the system's proxy
   * settings about it would only cost a GSettings lookup. */
  if (is_loopback (self->url))
    soup_session_set_proxy_resolver (self->session, NULL);
}

static void
kantor_monitor_client_dispose (GObject *object)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (object);

  self->keep_connected = FALSE;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->keepalive_source, g_source_remove);
  if (self->attempt != NULL)
    g_cancellable_cancel (self->attempt);
  g_clear_object (&self->attempt);
  drop_connection (self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (kantor_monitor_client_parent_class)->dispose (object);
}

static void
kantor_monitor_client_finalize (GObject *object)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (object);

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->subscriptions, g_hash_table_unref);
  g_free (self->url);
  g_free (self->server_version);
  g_free (self->user);
  g_free (self->access_token);
  g_free (self->refresh_token);

  G_OBJECT_CLASS (kantor_monitor_client_parent_class)->finalize (object);
}

static void
kantor_monitor_client_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_SERVER_VERSION:
      g_value_set_string (value, self->server_version);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_monitor_client_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  KantorMonitorClient *self = KANTOR_MONITOR_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_free (self->url);
      self->url = g_value_dup_string (value);
      if (self->url == NULL)
        self->url = g_strdup (KANTOR_MONITOR_DEFAULT_URL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_monitor_client_class_init (KantorMonitorClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = kantor_monitor_client_constructed;
  object_class->dispose = kantor_monitor_client_dispose;
  object_class->finalize = kantor_monitor_client_finalize;
  object_class->get_property = kantor_monitor_client_get_property;
  object_class->set_property = kantor_monitor_client_set_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, KANTOR_MONITOR_DEFAULT_URL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, KANTOR_TYPE_MONITOR_CLIENT_STATE,
                       KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER_VERSION] =
    g_param_spec_string ("server-version", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER] =
    g_param_spec_string ("user", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KantorMonitorClient::session-state:
   * @msg: the status message (session_id, session_type, state, progress?)
   *
   * A session changed state or made progress.
   */
  signals[SIGNAL_SESSION_STATE] =
    g_signal_new ("session-state", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  /**
   * KantorMonitorClient::collection-state:
   * @msg: the status message
   *
   * A collection run changed state.
   */
  signals[SIGNAL_COLLECTION_STATE] =
    g_signal_new ("collection-state", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  /**
   * KantorMonitorClient::alert:
   * @msg: the alert message (alert, severity, session_id, symbol?, message)
   *
   * A risk or health alert.
   */
  signals[SIGNAL_ALERT] =
    g_signal_new ("alert", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  /**
   * KantorMonitorClient::stream-item:
   * @stream: the stream's name, also the signal's detail
   * @msg: the item (stream, seq, session_id, and the stream's body)
   *
   * An item of a subscribed stream ("stream-item::market_data").
   */
  signals[SIGNAL_STREAM_ITEM] =
    g_signal_new ("stream-item", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
  /**
   * KantorMonitorClient::resume-gap:
   * @stream: the stream
   * @resume_from: the last seq seen before the drop
   * @oldest_seq: the oldest item the server still held
   *
   * After a reconnect, items of @stream after @resume_from were no longer
   * held by the server: they are lost to this client.
   */
  signals[SIGNAL_RESUME_GAP] =
    g_signal_new ("resume-gap", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT64,
                  G_TYPE_UINT64);
}

static void
kantor_monitor_client_init (KantorMonitorClient *self)
{
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) pending_free);
  self->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) subscription_free);
  self->initial_delay_ms = 500;
  self->max_delay_ms = 30000;
  self->delay_ms = self->initial_delay_ms;
  self->keepalive_interval_ms = KANTOR_MONITOR_KEEPALIVE_INTERVAL_MS;
  self->keepalive_timeout_ms = KANTOR_MONITOR_KEEPALIVE_TIMEOUT_MS;
}
