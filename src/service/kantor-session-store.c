/* kantor-session-store.c: sessions, their orders, signals and results in the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-session-store.h"

#include "kantor-json.h"

struct _KantorSessionStore
{
  GObject      parent_instance;
  KantorStore *store;
};

G_DEFINE_FINAL_TYPE (KantorSessionStore, kantor_session_store, G_TYPE_OBJECT)

/* One save: everything is copied to plain text on the main thread, so the
 * store thread touches no session. */
typedef struct
{
  char      *id;
  char      *type;
  char      *state;
  char      *key;
  char      *symbols;
  char      *strategy_config;
  char      *config;
  gint64     created_at;
  gint64     ended_at;
  char      *error;
  char      *results;
  char      *results_hash;
  char      *recording_id;
  GPtrArray *orders;
  GPtrArray *signals;
  char      *final_orders;   /* a backtest's orders; its signals are in results */
} SaveJob;

static void
save_job_free (gpointer data)
{
  SaveJob *job = data;

  g_free (job->id);
  g_free (job->type);
  g_free (job->state);
  g_free (job->key);
  g_free (job->symbols);
  g_free (job->strategy_config);
  g_free (job->config);
  g_free (job->error);
  g_free (job->results);
  g_free (job->results_hash);
  g_free (job->recording_id);
  g_clear_pointer (&job->orders, g_ptr_array_unref);
  g_clear_pointer (&job->signals, g_ptr_array_unref);
  g_free (job->final_orders);
  g_free (job);
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static gboolean
step_done (KantorStore   *store,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  return kantor_store_step (store, stmt, error) == SQLITE_DONE;
}

/* One row per JSON document of @rows, by @sql with ?1 the session id and
 * ?2 the document. */
static gboolean
insert_rows (KantorStore  *store,
             const char   *sql,
             const char   *session_id,
             GPtrArray    *rows,
             GError      **error)
{
  for (guint i = 0; i < rows->len; i++)
    {
      sqlite3_stmt *stmt = kantor_store_prepare (store, sql, error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, rows->pdata[i], -1, SQLITE_STATIC);
      if (!step_done (store, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gpointer
save_func (KantorStore  *store,
           gpointer      data,
           GError      **error)
{
  SaveJob *job = data;
  sqlite3_stmt *stmt;

  if (!kantor_store_begin (store, error))
    return NULL;

  stmt = kantor_store_prepare (store,
                               "INSERT INTO sessions (id, session_type, state, idempotency_key,"
                               " symbols, strategy_config, config, created_at, ended_at, error,"
                               " results, results_hash, recording_collection_id)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                               " ON CONFLICT (id) DO UPDATE SET state = ?3, ended_at = ?9,"
                               " error = ?10, results = coalesce (?11, results),"
                               " results_hash = coalesce (?12, results_hash),"
                               " recording_collection_id = coalesce (?13, recording_collection_id)",
                               error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, job->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, job->state, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, job->key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, job->symbols, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, job->strategy_config, -1, SQLITE_STATIC);
  bind_text_or_null (stmt, 7, job->config);
  sqlite3_bind_int64 (stmt, 8, job->created_at);
  if (job->ended_at != 0)
    sqlite3_bind_int64 (stmt, 9, job->ended_at);
  bind_text_or_null (stmt, 10, job->error);
  bind_text_or_null (stmt, 11, job->results);
  bind_text_or_null (stmt, 12, job->results_hash);
  bind_text_or_null (stmt, 13, job->recording_id);
  if (!step_done (store, stmt, error))
    goto fail;

  if (!insert_rows (store, "INSERT OR REPLACE INTO session_orders (session_id, order_id,"
                           " strategy, symbol, status, time_ms, body) VALUES (?1,"
                           " json_extract (?2, '$.order_id'),"
                           " json_extract (?2, '$.strategy'),"
                           " json_extract (?2, '$.symbol'),"
                           " json_extract (?2, '$.status'),"
                           " json_extract (?2, '$.timestamp'), ?2)",
                    job->id, job->orders, error) ||
      !insert_rows (store, "INSERT INTO session_signals (session_id, strategy, symbol,"
                           " signal_type, time_ms, body) VALUES (?1,"
                           " json_extract (?2, '$.strategy'),"
                           " json_extract (?2, '$.symbol'),"
                           " json_extract (?2, '$.type'),"
                           " json_extract (?2, '$.timestamp'), ?2)",
                    job->id, job->signals, error))
    goto fail;

  /* A backtest's rows all at once, straight from the JSON its worker
   * wrote: no per-row work anywhere but here. */
  if (job->final_orders != NULL)
    {
      stmt = kantor_store_prepare (store,
                                   "INSERT OR REPLACE INTO session_orders (session_id, order_id,"
                                   " strategy, symbol, status, time_ms, body) SELECT ?1,"
                                   " json_extract (value, '$.order_id'),"
                                   " json_extract (value, '$.strategy'),"
                                   " json_extract (value, '$.symbol'),"
                                   " json_extract (value, '$.status'),"
                                   " json_extract (value, '$.timestamp'), value"
                                   " FROM json_each (?2)", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, job->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, job->final_orders, -1, SQLITE_STATIC);
      if (!step_done (store, stmt, error))
        goto fail;

      stmt = kantor_store_prepare (store,
                                   "INSERT INTO session_signals (session_id, strategy, symbol,"
                                   " signal_type, time_ms, body) SELECT ?1,"
                                   " json_extract (value, '$.strategy'),"
                                   " json_extract (value, '$.symbol'),"
                                   " json_extract (value, '$.type'),"
                                   " json_extract (value, '$.timestamp'), value"
                                   " FROM json_each (?2, '$.signals')", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, job->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, job->results, -1, SQLITE_STATIC);
      if (!step_done (store, stmt, error))
        goto fail;
    }

  if (!kantor_store_commit (store, error))
    goto fail;
  return NULL;

fail:
  kantor_store_rollback (store);
  return NULL;
}

static void
save_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  if (error != NULL)
    g_warning ("Saving a session failed: %s", error->message);
}

static char *
node_to_string (JsonNode *node)
{
  return node != NULL ? kantor_json_to_string (node) : NULL;
}

void
kantor_session_store_save (KantorSessionStore *self,
                           KantorSession      *session)
{
  SaveJob *job = g_new0 (SaveJob, 1);
  const char * const *symbols = kantor_session_get_symbols (session);
  g_autoptr(JsonArray) symbols_array = json_array_new ();
  g_autoptr(JsonNode) symbols_node = json_node_init_array (json_node_alloc (), symbols_array);
  JsonObject *results = kantor_session_get_final_results (session);

  g_return_if_fail (KANTOR_IS_SESSION_STORE (self));

  for (guint i = 0; symbols[i] != NULL; i++)
    json_array_add_string_element (symbols_array, symbols[i]);

  job->id = g_strdup (kantor_session_get_id (session));
  job->type = g_strdup (kantor_session_type_to_string (kantor_session_get_session_type (session)));
  job->state = g_strdup (kantor_session_state_to_string (kantor_session_get_state (session)));
  job->key = g_strdup (kantor_session_get_key (session));
  job->symbols = kantor_json_to_string (symbols_node);
  job->strategy_config = node_to_string (kantor_session_get_strategy_config (session));
  job->config = node_to_string (kantor_session_get_config (session));
  job->created_at = kantor_session_get_created_at (session);
  job->ended_at = kantor_session_get_ended_at (session);
  job->error = g_strdup (kantor_session_get_error_message (session));
  job->recording_id = g_strdup (kantor_session_get_recording_id (session));
  if (results != NULL && kantor_session_get_final_results_text (session) != NULL)
    {
      job->results = g_strdup (kantor_session_get_final_results_text (session));
      job->final_orders = kantor_session_take_final_orders (session);
      if (json_object_has_member (results, "results_hash"))
        job->results_hash = g_strdup (json_object_get_string_member (results, "results_hash"));
    }
  kantor_session_take_rows (session, &job->orders, &job->signals);

  kantor_store_run_async (self->store, save_func, job, save_job_free, NULL, save_done, NULL);
}

static gpointer
noop_func (KantorStore  *store,
           gpointer      data,
           GError      **error)
{
  return NULL;
}

static void
sync_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
kantor_session_store_sync_async (KantorSessionStore *self,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  /* Jobs run in queue order: when this one has run, every earlier one has. */
  kantor_store_run_async (self->store, noop_func, NULL, NULL, NULL, sync_done, task);
}

gboolean
kantor_session_store_sync_finish (KantorSessionStore *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Loading ----------------------------------------------------------------- */

typedef struct
{
  char   *id;
  char   *type;
  char   *state;
  char   *key;
  char   *symbols;
  char   *strategy_config;
  char   *config;
  gint64  created_at;
  gint64  ended_at;
  char   *error;
  char   *results;
  char   *recording_id;
} Row;

static void
row_free (gpointer data)
{
  Row *row = data;

  g_free (row->id);
  g_free (row->type);
  g_free (row->state);
  g_free (row->key);
  g_free (row->symbols);
  g_free (row->strategy_config);
  g_free (row->config);
  g_free (row->error);
  g_free (row->results);
  g_free (row->recording_id);
  g_free (row);
}

typedef struct
{
  guint n_interrupted;
} LoadJob;

static char *
column_text (sqlite3_stmt *stmt,
             int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static gpointer
load_func (KantorStore  *store,
           gpointer      data,
           GError      **error)
{
  LoadJob *job = data;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (row_free);
  sqlite3_stmt *stmt;
  int rc;

  if (!kantor_store_begin (store, error))
    return NULL;
  stmt = kantor_store_prepare (store,
                               "UPDATE sessions SET state = 'interrupted',"
                               " ended_at = coalesce (ended_at, ?1)"
                               " WHERE state IN ('starting', 'running', 'paused')", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, g_get_real_time () / 1000);
  if (!step_done (store, stmt, error))
    goto fail;
  job->n_interrupted = (guint) kantor_store_changes (store);
  if (!kantor_store_commit (store, error))
    goto fail;

  stmt = kantor_store_prepare (store,
                               "SELECT id, session_type, state, idempotency_key, symbols,"
                               " strategy_config, config, created_at, ended_at, error, results,"
                               " recording_collection_id FROM sessions"
                               " ORDER BY created_at, rowid", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = kantor_store_step (store, stmt, error)) == SQLITE_ROW)
    {
      Row *row = g_new0 (Row, 1);

      row->id = column_text (stmt, 0);
      row->type = column_text (stmt, 1);
      row->state = column_text (stmt, 2);
      row->key = column_text (stmt, 3);
      row->symbols = column_text (stmt, 4);
      row->strategy_config = column_text (stmt, 5);
      row->config = column_text (stmt, 6);
      row->created_at = sqlite3_column_int64 (stmt, 7);
      row->ended_at = sqlite3_column_int64 (stmt, 8);
      row->error = column_text (stmt, 9);
      row->results = column_text (stmt, 10);
      row->recording_id = column_text (stmt, 11);
      g_ptr_array_add (rows, row);
    }
  if (rc == 0)
    return NULL;
  return g_steal_pointer (&rows);

fail:
  kantor_store_rollback (store);
  return NULL;
}

static JsonNode *
parse_or_null (const char *text)
{
  if (text == NULL)
    return NULL;
  return json_from_string (text, NULL);
}

GPtrArray *
kantor_session_store_load (KantorSessionStore *self,
                           guint              *n_interrupted,
                           GError            **error)
{
  LoadJob job = { 0 };
  g_autoptr(GPtrArray) rows = NULL;
  GPtrArray *sessions;

  g_return_val_if_fail (KANTOR_IS_SESSION_STORE (self), NULL);

  rows = kantor_store_run_sync (self->store, load_func, &job, error);
  if (rows == NULL)
    return NULL;

  sessions = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = rows->pdata[i];
      g_autoptr(JsonNode) symbols = parse_or_null (row->symbols);
      g_autoptr(JsonNode) strategy_config = parse_or_null (row->strategy_config);
      g_autoptr(JsonNode) config = parse_or_null (row->config);
      g_autoptr(JsonNode) results = parse_or_null (row->results);
      g_autoptr(GPtrArray) symv = g_ptr_array_new ();
      KantorSessionType type;
      KantorSessionState state;
      KantorSession *session;

      if (!kantor_session_type_from_string (row->type, &type) ||
          !kantor_session_state_from_string (row->state, &state) ||
          symbols == NULL || !JSON_NODE_HOLDS_ARRAY (symbols) ||
          strategy_config == NULL || !JSON_NODE_HOLDS_OBJECT (strategy_config))
        {
          g_warning ("Session %s in the store is damaged; skipped", row->id);
          continue;
        }
      for (guint j = 0; j < json_array_get_length (json_node_get_array (symbols)); j++)
        g_ptr_array_add (symv, (gpointer) json_array_get_string_element (
                                 json_node_get_array (symbols), j));
      g_ptr_array_add (symv, NULL);

      session = kantor_session_new_restored (row->id, type, state, row->key,
                                             (const char * const *) symv->pdata,
                                             strategy_config, config, row->created_at,
                                             row->ended_at,
                                             results != NULL && JSON_NODE_HOLDS_OBJECT (results)
                                               ? json_node_get_object (results) : NULL,
                                             row->recording_id);
      g_ptr_array_add (sessions, session);
    }

  if (n_interrupted != NULL)
    *n_interrupted = job.n_interrupted;
  return sessions;
}

typedef struct
{
  const char *table;
  const char *session_id;
  gint64      count;
} CountJob;

static gpointer
count_func (KantorStore  *store,
            gpointer      data,
            GError      **error)
{
  CountJob *job = data;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;

  /* The table name comes from a fixed list, never from a client. */
  sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE ?1 IS NULL OR %s = ?1", job->table,
                         g_str_equal (job->table, "sessions") ? "id" : "session_id");
  stmt = kantor_store_prepare (store, sql, error);
  if (stmt == NULL)
    return NULL;
  bind_text_or_null (stmt, 1, job->session_id);
  if (kantor_store_step (store, stmt, error) != SQLITE_ROW)
    return NULL;
  job->count = sqlite3_column_int64 (stmt, 0);
  return GINT_TO_POINTER (1);
}

gint64
kantor_session_store_count_rows (KantorSessionStore *self,
                                 const char         *table,
                                 const char         *session_id,
                                 GError            **error)
{
  static const char * const tables[] = {
    "sessions", "session_orders", "session_fills", "session_signals",
  };
  CountJob job = { NULL, session_id, -1 };

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    if (g_strcmp0 (table, tables[i]) == 0)
      job.table = tables[i];
  g_return_val_if_fail (job.table != NULL, -1);

  if (kantor_store_run_sync (self->store, count_func, &job, error) == NULL)
    return -1;
  return job.count;
}

/* Life cycle ------------------------------------------------------------ */

KantorSessionStore *
kantor_session_store_new (KantorStore *store)
{
  KantorSessionStore *self;

  g_return_val_if_fail (KANTOR_IS_STORE (store), NULL);
  self = g_object_new (KANTOR_TYPE_SESSION_STORE, NULL);
  self->store = g_object_ref (store);
  return self;
}

static void
kantor_session_store_finalize (GObject *object)
{
  KantorSessionStore *self = KANTOR_SESSION_STORE (object);

  g_clear_object (&self->store);
  G_OBJECT_CLASS (kantor_session_store_parent_class)->finalize (object);
}

static void
kantor_session_store_class_init (KantorSessionStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kantor_session_store_finalize;
}

static void
kantor_session_store_init (KantorSessionStore *self)
{
}
