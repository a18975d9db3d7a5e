/* kantor-monitor-sessions.c: the sessions kantord runs, as a list model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-sessions.h"

struct _KantorMonitorSessions
{
  KantorMonitorFeedModel  parent_instance;

  /* The parent's, borrowed: they are used on every request. */
  KantorMonitorClient    *client;
  GCancellable           *cancellable;
  GListStore             *store;
  GHashTable             *by_id;          /* id -> KantorMonitorSession, the store's */
  GHashTable             *final_results;  /* ids whose final results arrived */
  GHashTable             *results_asked;  /* ids with a results request in flight */
  guint                   results_interval_ms;
  guint                   results_source;
  guint                   n_pending;
};

G_DEFINE_FINAL_TYPE (KantorMonitorSessions, kantor_monitor_sessions,
                     KANTOR_TYPE_MONITOR_FEED_MODEL)

static void ask_status       (KantorMonitorSessions *self,
                              const char            *session_id);

/* Newest first; ties (sessions not yet looked up) by id. */
static int
compare_sessions (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  KantorMonitorSession *sa = (KantorMonitorSession *) a;
  KantorMonitorSession *sb = (KantorMonitorSession *) b;
  gint64 ta = kantor_monitor_session_get_created_at (sa);
  gint64 tb = kantor_monitor_session_get_created_at (sb);

  if (ta != tb)
    return ta > tb ? -1 : 1;
  return g_strcmp0 (kantor_monitor_session_get_id (sa), kantor_monitor_session_get_id (sb));
}

static gboolean
is_ended (const char *state)
{
  return state != NULL && (g_str_equal (state, "completed") || g_str_equal (state, "stopped") ||
                           g_str_equal (state, "failed") || g_str_equal (state, "interrupted"));
}

/* Finishes a request of the model. FALSE when it was cancelled: the model
 * is gone then, and the callback must not touch it. */
static gboolean
finish_request (KantorMonitorSessions  *self,
                GObject                *source,
                GAsyncResult           *result,
                JsonObject            **reply,
                GError                **error)
{
  *reply = kantor_monitor_client_request_finish (KANTOR_MONITOR_CLIENT (source), result, error);
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  self->n_pending--;
  return TRUE;
}

typedef struct
{
  KantorMonitorSessions *self;
  char                  *session_id;
  gboolean               final;
} ResultsRequest;

static void
results_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ResultsRequest *r = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  KantorMonitorSessions *self = r->self;
  KantorMonitorSession *session;

  if (!finish_request (self, source, result, &reply, &error))
    goto out;
  g_hash_table_remove (self->results_asked, r->session_id);
  session = g_hash_table_lookup (self->by_id, r->session_id);
  if (reply == NULL)
    {
      /* A session cut off by a crash has no results (command_failed):
       * nothing to show, and asking again would not change that. */
      g_debug ("results of %s: %s", r->session_id, error->message);
      if (r->final && kantor_monitor_client_error_get_code (error) != NULL)
        g_hash_table_add (self->final_results, g_strdup (r->session_id));
      goto out;
    }
  if (session != NULL && json_object_has_member (reply, "data"))
    {
      kantor_monitor_session_update_results (session, json_object_get_object_member (reply,
                                                                                     "data"));
      /* Results say the state they were taken in; an ended session's are
       * final. */
      if (is_ended (json_object_get_string_member_with_default (
                      json_object_get_object_member (reply, "data"), "state", NULL)))
        g_hash_table_add (self->final_results, g_strdup (r->session_id));
    }

out:
  g_free (r->session_id);
  g_free (r);
}

static void
ask_results (KantorMonitorSessions *self,
             KantorMonitorSession  *session)
{
  const char *id = kantor_monitor_session_get_id (session);
  g_autoptr(JsonObject) fields = NULL;
  ResultsRequest *r;

  if (g_hash_table_contains (self->results_asked, id) ||
      g_hash_table_contains (self->final_results, id))
    return;

  fields = json_object_new ();
  json_object_set_string_member (fields, "request_type", "session_results");
  json_object_set_string_member (fields, "session_id", id);
  r = g_new0 (ResultsRequest, 1);
  r->self = self;
  r->session_id = g_strdup (id);
  r->final = is_ended (kantor_monitor_session_get_state (session));
  g_hash_table_add (self->results_asked, g_strdup (id));
  self->n_pending++;
  kantor_monitor_client_request_async (self->client, "results_request", fields, self->cancellable,
                                       results_cb, r);
}

/* Takes a session object or a session_state push. */
static KantorMonitorSession *
upsert (KantorMonitorSessions *self,
        JsonObject            *obj,
        gboolean              *is_new)
{
  const char *id = json_object_get_string_member_with_default (obj, "session_id", NULL);
  KantorMonitorSession *session;
  gint64 created_before;

  *is_new = FALSE;
  if (id == NULL)
    return NULL;

  session = g_hash_table_lookup (self->by_id, id);
  if (session == NULL)
    {
      g_autoptr(KantorMonitorSession) fresh = kantor_monitor_session_new (id);

      kantor_monitor_session_update (fresh, obj);
      g_hash_table_insert (self->by_id, g_strdup (id), fresh);
      g_list_store_insert_sorted (self->store, fresh, compare_sessions, NULL);
      *is_new = TRUE;
      session = fresh;
    }
  else
    {
      created_before = kantor_monitor_session_get_created_at (session);
      kantor_monitor_session_update (session, obj);
      if (created_before != kantor_monitor_session_get_created_at (session))
        {
          /* Its place in the order changed. */
          guint position;

          g_object_ref (session);
          if (g_list_store_find (self->store, session, &position))
            g_list_store_remove (self->store, position);
          g_list_store_insert_sorted (self->store, session, compare_sessions, NULL);
          g_object_unref (session);
        }
    }

  if (is_ended (kantor_monitor_session_get_state (session)))
    ask_results (self, session);
  return session;
}

/* The reply to a session_status request; NULL when cancelled or an error
 * (logged). */
static JsonObject *
finish_status (KantorMonitorSessions *self,
               GObject               *source,
               GAsyncResult          *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  if (!finish_request (self, source, result, &reply, &error))
    return NULL;
  if (reply == NULL)
    g_debug ("session_status: %s", error->message);
  return g_steal_pointer (&reply);
}

static void
status_one_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  KantorMonitorSessions *self = user_data;
  g_autoptr(JsonObject) reply = finish_status (self, source, result);
  gboolean is_new;

  if (reply != NULL && json_object_has_member (reply, "data"))
    upsert (self, json_object_get_object_member (reply, "data"), &is_new);
}

static void
ask_status (KantorMonitorSessions *self,
            const char            *session_id)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "session_id", session_id);
  self->n_pending++;
  kantor_monitor_client_request_async (self->client, "session_status", fields, self->cancellable,
                                       status_one_cb, self);
}

static void
status_all_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  KantorMonitorSessions *self = user_data;
  g_autoptr(JsonObject) reply = finish_status (self, source, result);
  g_autoptr(GHashTable) listed = NULL;
  JsonObject *data;
  JsonArray *sessions = NULL;
  guint n;

  if (reply == NULL)
    return;

  listed = g_hash_table_new (g_str_hash, g_str_equal);
  data = json_object_get_object_member (reply, "data");
  if (data != NULL && json_object_has_member (data, "sessions") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (data, "sessions")))
    sessions = json_object_get_array_member (data, "sessions");
  n = sessions != NULL ? json_array_get_length (sessions) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (sessions, i);
      KantorMonitorSession *session;
      gboolean is_new;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      session = upsert (self, json_node_get_object (node), &is_new);
      if (session != NULL)
        g_hash_table_add (listed, (gpointer) kantor_monitor_session_get_id (session));
    }

  /* Sessions we saw active that the server no longer lists ended while we
   * were not looking (a reconnect): ask for each one's final state. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KantorMonitorSession) session = g_list_model_get_item (G_LIST_MODEL (self->store),
                                                                       i);

      if (kantor_monitor_session_is_active (session) &&
          !g_hash_table_contains (listed, kantor_monitor_session_get_id (session)))
        ask_status (self, kantor_monitor_session_get_id (session));
    }
}

void
kantor_monitor_sessions_refresh (KantorMonitorSessions *self)
{
  g_return_if_fail (KANTOR_IS_MONITOR_SESSIONS (self));

  self->n_pending++;
  kantor_monitor_client_request_async (self->client, "session_status", NULL, self->cancellable,
                                       status_all_cb, self);
}

static void
on_session_state (KantorMonitorClient   *client,
                  JsonObject            *msg,
                  KantorMonitorSessions *self)
{
  gboolean is_new;
  KantorMonitorSession *session = upsert (self, msg, &is_new);

  /* A push carries the state, not the symbols and strategies. */
  if (session != NULL && is_new)
    ask_status (self, kantor_monitor_session_get_id (session));
}

static void
on_client_state (KantorMonitorClient   *client,
                 GParamSpec            *pspec,
                 KantorMonitorSessions *self)
{
  if (kantor_monitor_client_get_state (client) == KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED)
    kantor_monitor_sessions_refresh (self);
  else
    /* Replies to requests of a dropped connection never come. */
    g_hash_table_remove_all (self->results_asked);
}

static gboolean
results_tick (gpointer user_data)
{
  KantorMonitorSessions *self = user_data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  if (kantor_monitor_client_get_state (self->client) != KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED)
    return G_SOURCE_CONTINUE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KantorMonitorSession) session = g_list_model_get_item (G_LIST_MODEL (self->store),
                                                                       i);

      if (kantor_monitor_session_is_active (session))
        ask_results (self, session);
    }
  return G_SOURCE_CONTINUE;
}

void
kantor_monitor_sessions_set_results_interval (KantorMonitorSessions *self,
                                              guint                  ms)
{
  g_return_if_fail (KANTOR_IS_MONITOR_SESSIONS (self));

  self->results_interval_ms = ms;
  g_clear_handle_id (&self->results_source, g_source_remove);
  if (ms > 0)
    self->results_source = g_timeout_add (ms, results_tick, self);
}

KantorMonitorSession *
kantor_monitor_sessions_lookup (KantorMonitorSessions *self,
                                const char            *session_id)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSIONS (self), NULL);
  return g_hash_table_lookup (self->by_id, session_id);
}

guint
kantor_monitor_sessions_get_n_pending (KantorMonitorSessions *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSIONS (self), 0);
  return self->n_pending;
}

KantorMonitorSessions *
kantor_monitor_sessions_new (KantorMonitorClient *client)
{
  KantorMonitorSessions *self;

  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (client), NULL);

  self = g_object_new (KANTOR_TYPE_MONITOR_SESSIONS, NULL);
  kantor_monitor_feed_set_client (KANTOR_MONITOR_FEED (self), client);
  self->client = client;
  self->cancellable = kantor_monitor_feed_get_cancellable (KANTOR_MONITOR_FEED (self));
  self->store = kantor_monitor_feed_model_get_store (KANTOR_MONITOR_FEED_MODEL (self));
  g_signal_connect_object (client, "session-state", G_CALLBACK (on_session_state), self, 0);
  g_signal_connect_object (client, "notify::state", G_CALLBACK (on_client_state), self, 0);
  kantor_monitor_sessions_set_results_interval (self, KANTOR_MONITOR_SESSIONS_RESULTS_INTERVAL_MS);
  if (kantor_monitor_client_get_state (client) == KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED)
    kantor_monitor_sessions_refresh (self);
  return self;
}

static void
kantor_monitor_sessions_dispose (GObject *object)
{
  KantorMonitorSessions *self = KANTOR_MONITOR_SESSIONS (object);

  g_clear_handle_id (&self->results_source, g_source_remove);
  self->client = NULL;  /* the parent lets it go */

  G_OBJECT_CLASS (kantor_monitor_sessions_parent_class)->dispose (object);
}

static void
kantor_monitor_sessions_finalize (GObject *object)
{
  KantorMonitorSessions *self = KANTOR_MONITOR_SESSIONS (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->final_results, g_hash_table_unref);
  g_clear_pointer (&self->results_asked, g_hash_table_unref);

  G_OBJECT_CLASS (kantor_monitor_sessions_parent_class)->finalize (object);
}

static void
kantor_monitor_sessions_class_init (KantorMonitorSessionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  KANTOR_MONITOR_FEED_MODEL_CLASS (klass)->item_type = KANTOR_TYPE_MONITOR_SESSION;

  object_class->dispose = kantor_monitor_sessions_dispose;
  object_class->finalize = kantor_monitor_sessions_finalize;
}

static void
kantor_monitor_sessions_init (KantorMonitorSessions *self)
{
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->final_results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->results_asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
