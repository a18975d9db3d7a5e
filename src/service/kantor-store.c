/* kantor-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kantor-fileutil.h"
#include "kantor-store.h"

/* The schema, one step per version: step i takes PRAGMA user_version from i
 * to i + 1 inside one transaction. Steps are never edited once released;
 * later changes append a step. */
static const char * const migrations[] = {
  /* 1: accounts. Usernames compare without case so that "Admin" cannot sit
   * beside "admin". Times are epoch seconds. */
  "CREATE TABLE users ("
  "  id            TEXT PRIMARY KEY NOT NULL,"
  "  username      TEXT NOT NULL UNIQUE COLLATE NOCASE,"
  "  password_hash TEXT NOT NULL,"
  "  permissions   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid (permissions)),"
  "  created_at    INTEGER NOT NULL"
  ") STRICT;"
  "CREATE TABLE refresh_tokens ("
  "  token_hash TEXT PRIMARY KEY NOT NULL,"
  "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  issued_at  INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  revoked_at INTEGER"
  ") STRICT;"
  "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);"
  "CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);",

  /* 2: sessions (kantor-session-store.c). Times are epoch milliseconds;
   * orders and signals keep the JSON the API shows, with the columns a
   * query filters on beside it. */
  "CREATE TABLE sessions ("
  "  id              TEXT PRIMARY KEY NOT NULL,"
  "  session_type    TEXT NOT NULL CHECK (session_type IN ('backtest', 'paper', 'live')),"
  "  state           TEXT NOT NULL,"
  "  idempotency_key TEXT NOT NULL,"
  "  symbols         TEXT NOT NULL CHECK (json_valid (symbols)),"
  "  strategy_config TEXT NOT NULL CHECK (json_valid (strategy_config)),"
  "  config          TEXT CHECK (config IS NULL OR json_valid (config)),"
  "  created_at      INTEGER NOT NULL,"
  "  ended_at        INTEGER,"
  "  error           TEXT,"
  "  results         TEXT CHECK (results IS NULL OR json_valid (results)),"
  "  results_hash    TEXT"
  ") STRICT;"
  "CREATE INDEX sessions_state ON sessions (state);"
  "CREATE TABLE session_orders ("
  "  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
  "  order_id   INTEGER NOT NULL,"
  "  strategy   TEXT NOT NULL,"
  "  symbol     TEXT NOT NULL,"
  "  status     TEXT NOT NULL,"
  "  time_ms    INTEGER NOT NULL,"
  "  body       TEXT NOT NULL CHECK (json_valid (body)),"
  "  PRIMARY KEY (session_id, order_id)"
  ") STRICT;"
  "CREATE VIEW session_fills AS SELECT * FROM session_orders WHERE status = 'filled';"
  "CREATE TABLE session_signals ("
  "  id          INTEGER PRIMARY KEY,"
  "  session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
  "  strategy    TEXT NOT NULL,"
  "  symbol      TEXT NOT NULL,"
  "  signal_type TEXT NOT NULL,"
  "  time_ms     INTEGER NOT NULL,"
  "  body        TEXT NOT NULL CHECK (json_valid (body))"
  ") STRICT;"
  "CREATE INDEX session_signals_session ON session_signals (session_id);",

  /* 3: collection runs (kantor-collection-manager.c). Times are epoch
   * milliseconds; records maps each symbol to its rows on disk. */
  "CREATE TABLE collections ("
  "  id         TEXT PRIMARY KEY NOT NULL,"
  "  state      TEXT NOT NULL,"
  "  symbols    TEXT NOT NULL CHECK (json_valid (symbols)),"
  "  duration   TEXT NOT NULL,"
  "  source     TEXT NOT NULL,"
  "  path       TEXT NOT NULL,"
  "  started_at INTEGER NOT NULL,"
  "  ended_at   INTEGER,"
  "  records    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid (records)),"
  "  bytes      INTEGER NOT NULL DEFAULT 0,"
  "  error      TEXT"
  ") STRICT;"
  "CREATE INDEX collections_state ON collections (state);",

  /* 4: the collection a paper session with config.record writes, so that
   * its recording_collection_id survives a restart. */
  "ALTER TABLE sessions ADD COLUMN recording_collection_id TEXT;",
};

#define BUSY_TIMEOUT_MS 5000

typedef struct
{
  KantorStoreFunc func;
  gpointer        data;

  /* Asynchronous jobs carry a task; synchronous ones wait on the store's
   * condition for @done. A job with neither func nor task stops the
   * thread. */
  GTask          *task;
  GDestroyNotify  result_destroy;

  gboolean        skipped;    /* cancelled before it ran */
  gboolean        done;
  gpointer        result;
  GError         *error;
} Job;

struct _KantorStore
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;
  GHashTable   *statements;   /* SQL text -> sqlite3_stmt*, store thread only */
  guint         schema_version;

  GThread      *thread;
  GAsyncQueue  *queue;        /* of Job* */
  GMutex        mutex;        /* guards Job.done of synchronous jobs, closed */
  GCond         cond;
  gboolean      closed;
};

G_DEFINE_FINAL_TYPE (KantorStore, kantor_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (kantor-store-error-quark, kantor_store_error)

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_sqlite_error (KantorStore  *self,
                  int           rc,
                  const char   *what,
                  GError      **error)
{
  KantorStoreError code;
  const char *msg;

  switch (rc & 0xff)
    {
    case SQLITE_CONSTRAINT:
      code = KANTOR_STORE_ERROR_CONSTRAINT;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = KANTOR_STORE_ERROR_BUSY;
      break;
    default:
      code = KANTOR_STORE_ERROR_SQL;
      break;
    }

  msg = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);
  if (what != NULL)
    g_set_error (error, KANTOR_STORE_ERROR, code, "%s: %s", what, msg);
  else
    g_set_error_literal (error, KANTOR_STORE_ERROR, code, msg);
}

static void
assert_store_thread (KantorStore *self)
{
  /* The connection belongs to one thread; anything else is a bug in the
   * caller, caught loudly in debug builds. */
  g_assert (g_thread_self () == self->thread);
}

sqlite3_stmt *
kantor_store_prepare (KantorStore  *self,
                      const char   *sql,
                      GError      **error)
{
  sqlite3_stmt *stmt;
  const char *tail = NULL;
  int rc;

  g_return_val_if_fail (KANTOR_IS_STORE (self), NULL);
  g_return_val_if_fail (sql != NULL, NULL);
  assert_store_thread (self);

  if (self->db == NULL)
    {
      g_set_error_literal (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CLOSED,
                           "The store is closed");
      return NULL;
    }

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, rc, NULL, error);
      return NULL;
    }

  while (tail != NULL && g_ascii_isspace (*tail))
    tail++;

  if (stmt == NULL || (tail != NULL && *tail != '\0'))
    {
      sqlite3_finalize (stmt);
      g_set_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_SQL,
                   "Exactly one statement expected: %s", sql);
      return NULL;
    }

  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

int
kantor_store_step (KantorStore   *self,
                   sqlite3_stmt  *stmt,
                   GError       **error)
{
  int rc;

  g_return_val_if_fail (KANTOR_IS_STORE (self), 0);
  g_return_val_if_fail (stmt != NULL, 0);
  assert_store_thread (self);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;

  set_sqlite_error (self, rc, NULL, error);
  sqlite3_reset (stmt);
  return 0;
}

gboolean
kantor_store_exec (KantorStore  *self,
                   const char   *sql,
                   GError      **error)
{
  char *errmsg = NULL;
  int rc;

  g_return_val_if_fail (KANTOR_IS_STORE (self), FALSE);
  g_return_val_if_fail (sql != NULL, FALSE);
  assert_store_thread (self);

  if (self->db == NULL)
    {
      g_set_error_literal (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CLOSED,
                           "The store is closed");
      return FALSE;
    }

  rc = sqlite3_exec (self->db, sql, NULL, NULL, &errmsg);
  sqlite3_free (errmsg);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, rc, NULL, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
run_cached (KantorStore  *self,
            const char   *sql,
            GError      **error)
{
  sqlite3_stmt *stmt = kantor_store_prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  if (kantor_store_step (self, stmt, error) == 0)
    return FALSE;
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
kantor_store_begin (KantorStore  *self,
                    GError      **error)
{
  return run_cached (self, "BEGIN IMMEDIATE", error);
}

gboolean
kantor_store_commit (KantorStore  *self,
                     GError      **error)
{
  if (run_cached (self, "COMMIT", error))
    return TRUE;

  /* A failed COMMIT (SQLITE_BUSY) leaves the transaction open. */
  kantor_store_rollback (self);
  return FALSE;
}

void
kantor_store_rollback (KantorStore *self)
{
  g_return_if_fail (KANTOR_IS_STORE (self));
  assert_store_thread (self);

  if (self->db == NULL || sqlite3_get_autocommit (self->db))
    return;

  if (!run_cached (self, "ROLLBACK", NULL))
    g_warning ("ROLLBACK failed on %s: %s", self->path, sqlite3_errmsg (self->db));
}

gint64
kantor_store_changes (KantorStore *self)
{
  g_return_val_if_fail (KANTOR_IS_STORE (self), 0);
  assert_store_thread (self);

  return self->db != NULL ? sqlite3_changes64 (self->db) : 0;
}

sqlite3 *
kantor_store_get_db (KantorStore *self)
{
  g_return_val_if_fail (KANTOR_IS_STORE (self), NULL);
  assert_store_thread (self);

  return self->db;
}

/* After every job: a SELECT left mid-way keeps a read transaction open,
 * which stalls WAL checkpoints; a transaction left open would swallow the
 * next job's writes. */
static void
tidy_after_job (KantorStore *self)
{
  sqlite3_stmt *stmt = NULL;

  if (self->db == NULL)
    return;

  while ((stmt = sqlite3_next_stmt (self->db, stmt)) != NULL)
    if (sqlite3_stmt_busy (stmt))
      sqlite3_reset (stmt);

  if (!sqlite3_get_autocommit (self->db))
    {
      g_warning ("A store job on %s left a transaction open; rolling it back", self->path);
      kantor_store_rollback (self);
    }
}

static gboolean
migrate (KantorStore  *self,
         GError      **error)
{
  sqlite3_stmt *stmt;
  guint latest = G_N_ELEMENTS (migrations);
  guint version;

  stmt = kantor_store_prepare (self, "PRAGMA user_version", error);
  if (stmt == NULL || kantor_store_step (self, stmt, error) != SQLITE_ROW)
    return FALSE;
  version = (guint) sqlite3_column_int (stmt, 0);
  sqlite3_reset (stmt);

  if (version > latest)
    {
      g_set_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_SCHEMA,
                   "%s has schema version %u, newer than the %u this kantord knows; "
                   "use a newer kantord", self->path, version, latest);
      return FALSE;
    }

  for (; version < latest; version++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %u", version + 1);

      if (!kantor_store_begin (self, &local_error) ||
          !kantor_store_exec (self, migrations[version], &local_error) ||
          !kantor_store_exec (self, set_version, &local_error) ||
          !kantor_store_commit (self, &local_error))
        {
          kantor_store_rollback (self);
          g_set_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_SCHEMA,
                       "Migrating %s to schema version %u failed: %s",
                       self->path, version + 1, local_error->message);
          return FALSE;
        }

      g_debug ("Migrated %s to schema version %u", self->path, version + 1);
    }

  self->schema_version = version;
  return TRUE;
}

static gpointer
open_func (KantorStore  *self,
           gpointer      data,
           GError      **error)
{
  gboolean in_memory;
  sqlite3_stmt *stmt;
  const char *mode;
  int rc;

  if (self->path == NULL || *self->path == '\0')
    {
      g_set_error_literal (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_OPEN,
                           "No database path was given");
      return NULL;
    }
  in_memory = g_str_equal (self->path, ":memory:");

  if (!in_memory)
    {
      g_autofree char *dir = g_path_get_dirname (self->path);
      struct stat st;
      int fd;

      if (!kantor_fileutil_ensure_private_dir (dir, error))
        return NULL;

      /* The file holds password hashes: create it 0600 before SQLite does
       * (with the umask's mode); its -wal and -shm files copy this mode. */
      fd = g_open (self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0)
        {
          int saved_errno = errno;

          g_set_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_OPEN,
                       "Cannot open %s: %s", self->path, g_strerror (saved_errno));
          return NULL;
        }
      /* A database from elsewhere (a copy, an older layout) is closed to
       * others too; unlike a signing secret, nothing in it becomes useless
       * for having been readable. */
      if (fstat (fd, &st) == 0 && (st.st_mode & 077) != 0 && fchmod (fd, 0600) != 0)
        g_debug ("Cannot restrict the mode of %s: %s", self->path, g_strerror (errno));
      g_close (fd, NULL);
    }

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_OPEN,
                   "Cannot open %s: %s", self->path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      g_clear_pointer (&self->db, sqlite3_close_v2);
      return NULL;
    }

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  if (!kantor_store_exec (self,
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA synchronous = NORMAL;",
                          error))
    return NULL;

  stmt = kantor_store_prepare (self, "PRAGMA journal_mode = WAL", error);
  if (stmt == NULL || kantor_store_step (self, stmt, error) != SQLITE_ROW)
    return NULL;
  mode = (const char *) sqlite3_column_text (stmt, 0);
  if (g_ascii_strcasecmp (mode, in_memory ? "memory" : "wal") != 0)
    {
      g_set_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_OPEN,
                   "%s cannot use write-ahead logging (journal mode is %s)",
                   self->path, mode);
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);

  if (!migrate (self, error))
    return NULL;

  return self;
}

static void
job_free (Job *job)
{
  g_clear_object (&job->task);
  g_clear_error (&job->error);
  g_free (job);
}

static void
close_connection (KantorStore *self)
{
  g_hash_table_remove_all (self->statements);

  if (self->db != NULL)
    {
      int rc = sqlite3_close (self->db);

      if (rc != SQLITE_OK)
        {
          /* Only a statement prepared outside the cache can hold it open. */
          g_warning ("Closing %s: %s", self->path, sqlite3_errstr (rc));
          sqlite3_close_v2 (self->db);
        }
      self->db = NULL;
    }
}

static gboolean
complete_job_cb (gpointer data)
{
  Job *job = data;
  g_autoptr(GTask) task = g_steal_pointer (&job->task);

  if (job->skipped)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "The operation was cancelled");
  else if (job->error != NULL)
    g_task_return_error (task, g_steal_pointer (&job->error));
  else
    g_task_return_pointer (task, job->result, job->result_destroy);

  job_free (job);
  return G_SOURCE_REMOVE;
}

static gpointer
store_thread (gpointer data)
{
  KantorStore *self = data;

  for (;;)
    {
      Job *job = g_async_queue_pop (self->queue);

      if (job->func == NULL)
        {
          close_connection (self);
          job_free (job);
          break;
        }

      if (job->task != NULL)
        {
          GSource *source;

          if (g_cancellable_is_cancelled (g_task_get_cancellable (job->task)))
            job->skipped = TRUE;
          else
            {
              job->result = job->func (self, job->data, &job->error);
              tidy_after_job (self);
            }

          /* The task is returned and released in its own context, never
           * here: its last reference may hold the last reference to the
           * store, whose dispose joins this thread. Idles of one priority
           * run in the order they were attached, so callbacks keep the
           * queue's order. */
          source = g_idle_source_new ();
          g_source_set_priority (source, g_task_get_priority (job->task));
          g_source_set_static_name (source, "[kantor-store] complete job");
          g_source_set_callback (source, complete_job_cb, job, NULL);
          g_source_attach (source, g_task_get_context (job->task));
          g_source_unref (source);
        }
      else
        {
          job->result = job->func (self, job->data, &job->error);
          tidy_after_job (self);

          g_mutex_lock (&self->mutex);
          job->done = TRUE;
          g_cond_broadcast (&self->cond);
          g_mutex_unlock (&self->mutex);
          /* The waiting thread frees the job. */
        }
    }

  return NULL;
}

gpointer
kantor_store_run_sync (KantorStore      *self,
                       KantorStoreFunc   func,
                       gpointer          data,
                       GError          **error)
{
  Job *job;
  gpointer result;

  g_return_val_if_fail (KANTOR_IS_STORE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  if (g_thread_self () == self->thread)
    return func (self, data, error);

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      g_mutex_unlock (&self->mutex);
      g_set_error_literal (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CLOSED,
                           "The store is closed");
      return NULL;
    }

  job = g_new0 (Job, 1);
  job->func = func;
  job->data = data;
  g_async_queue_push (self->queue, job);

  while (!job->done)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  result = job->result;
  if (job->error != NULL)
    g_propagate_error (error, g_steal_pointer (&job->error));
  job_free (job);

  return result;
}

void
kantor_store_run_full_async (KantorStore         *self,
                             KantorStoreFunc      func,
                             gpointer             data,
                             GDestroyNotify       data_destroy,
                             GDestroyNotify       result_destroy,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (KANTOR_IS_STORE (self));
  g_return_if_fail (func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kantor_store_run_async);
  g_task_set_task_data (task, data, data_destroy);

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      g_mutex_unlock (&self->mutex);
      g_task_return_new_error (task, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CLOSED,
                               "The store is closed");
      return;
    }

  job = g_new0 (Job, 1);
  job->func = func;
  job->data = data;
  job->task = g_steal_pointer (&task);
  job->result_destroy = result_destroy;
  g_async_queue_push (self->queue, job);
  g_mutex_unlock (&self->mutex);
}

void
kantor_store_run_async (KantorStore         *self,
                        KantorStoreFunc      func,
                        gpointer             data,
                        GDestroyNotify       data_destroy,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  kantor_store_run_full_async (self, func, data, data_destroy, NULL,
                               cancellable, callback, user_data);
}

gpointer
kantor_store_run_finish (KantorStore   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (KANTOR_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kantor_store_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
kantor_store_close (KantorStore *self)
{
  Job *stop;

  g_return_if_fail (KANTOR_IS_STORE (self));

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  self->closed = TRUE;

  if (self->thread == NULL)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }

  if (g_thread_self () == self->thread)
    {
      /* Cannot join ourselves: let the thread stop after this job. */
      g_critical ("kantor_store_close() called from a store job; closing after it returns");
      g_async_queue_push (self->queue, g_new0 (Job, 1));
      g_mutex_unlock (&self->mutex);
      return;
    }

  /* Queued behind every pending job: they all run first. */
  stop = g_new0 (Job, 1);
  g_async_queue_push (self->queue, stop);
  g_mutex_unlock (&self->mutex);

  /* self->thread stays set while the last jobs run: they check it. */
  g_thread_join (self->thread);
  self->thread = NULL;
}

gboolean
kantor_store_is_closed (KantorStore *self)
{
  gboolean closed;

  g_return_val_if_fail (KANTOR_IS_STORE (self), TRUE);

  g_mutex_lock (&self->mutex);
  closed = self->closed;
  g_mutex_unlock (&self->mutex);

  return closed;
}

const char *
kantor_store_get_path (KantorStore *self)
{
  g_return_val_if_fail (KANTOR_IS_STORE (self), NULL);

  return self->path;
}

guint
kantor_store_get_schema_version (KantorStore *self)
{
  g_return_val_if_fail (KANTOR_IS_STORE (self), 0);

  return self->schema_version;
}

guint
kantor_store_get_latest_schema_version (void)
{
  return G_N_ELEMENTS (migrations);
}

static void
kantor_store_constructed (GObject *object)
{
  KantorStore *self = KANTOR_STORE (object);

  G_OBJECT_CLASS (kantor_store_parent_class)->constructed (object);

  self->thread = g_thread_new ("kantor-store", store_thread, self);
}

static void
kantor_store_dispose (GObject *object)
{
  KantorStore *self = KANTOR_STORE (object);

  kantor_store_close (self);

  G_OBJECT_CLASS (kantor_store_parent_class)->dispose (object);
}

static void
kantor_store_finalize (GObject *object)
{
  KantorStore *self = KANTOR_STORE (object);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (kantor_store_parent_class)->finalize (object);
}

static void
kantor_store_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KantorStore *self = KANTOR_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_store_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  KantorStore *self = KANTOR_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_store_class_init (KantorStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = kantor_store_constructed;
  object_class->dispose = kantor_store_dispose;
  object_class->finalize = kantor_store_finalize;
  object_class->get_property = kantor_store_get_property;
  object_class->set_property = kantor_store_set_property;

  /**
   * KantorStore:path:
   *
   * The database file, or ":memory:".
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kantor_store_init (KantorStore *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) sqlite3_finalize);
  self->queue = g_async_queue_new ();
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

KantorStore *
kantor_store_new (const char  *path,
                  GError     **error)
{
  g_autoptr(KantorStore) self = NULL;

  g_return_val_if_fail (path != NULL && *path != '\0', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (KANTOR_TYPE_STORE, "path", path, NULL);

  if (kantor_store_run_sync (self, open_func, NULL, error) == NULL)
    {
      kantor_store_close (self);
      return NULL;
    }

  return g_steal_pointer (&self);
}
