/* test-store.c: the SQLite state store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "kantor-fileutil.h"
#include "kantor-store.h"

#define TIMEOUT_S 20

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds, failing at the deadline. */
#define WAIT_UNTIL(cond)                                                       \
  G_STMT_START {                                                               \
    gint64 deadline_ = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;   \
    guint tick_ = g_timeout_add (50, tick, NULL);                              \
    while (!(cond))                                                            \
      {                                                                        \
        if (g_get_monotonic_time () > deadline_)                               \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        g_main_context_iteration (NULL, TRUE);                                 \
      }                                                                        \
    g_source_remove (tick_);                                                   \
  } G_STMT_END

typedef struct
{
  char        *dir;
  char        *path;
  KantorStore *store;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* A folder that does not exist yet: the store must create it. */
  f->dir = g_build_filename (g_get_user_state_dir (), "kantor", "state", NULL);
  f->path = g_build_filename (f->dir, "kantor.db", NULL);
  f->store = kantor_store_new (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->store != NULL)
    {
      g_object_add_weak_pointer (G_OBJECT (f->store), (gpointer *) &f->store);
      g_object_unref (f->store);
      g_assert_null (f->store);
    }
  g_free (f->path);
  g_free (f->dir);
}

static void
reopen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  kantor_store_close (f->store);
  g_object_add_weak_pointer (G_OBJECT (f->store), (gpointer *) &f->store);
  g_object_unref (f->store);
  g_assert_null (f->store);

  f->store = kantor_store_new (f->path, &error);
  g_assert_no_error (error);
}

/* --- Small store jobs used by the tests --- */

/* data: SQL returning one row of one column; result: its text (g_free). */
static gpointer
query_text_func (KantorStore  *store,
                 gpointer      data,
                 GError      **error)
{
  sqlite3_stmt *stmt = kantor_store_prepare (store, data, error);
  char *text;
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = kantor_store_step (store, stmt, error);
  if (rc == 0)
    return NULL;
  if (rc == SQLITE_DONE || sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    return g_strdup ("(none)");
  text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return text;
}

static char *
query_text (KantorStore *store,
            const char  *sql)
{
  g_autoptr(GError) error = NULL;
  char *text = kantor_store_run_sync (store, query_text_func, (gpointer) sql, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

/* data: SQL (possibly several statements); result: the store on success. */
static gpointer
exec_func (KantorStore  *store,
           gpointer      data,
           GError      **error)
{
  return kantor_store_exec (store, data, error) ? store : NULL;
}

static gboolean
exec_sql (KantorStore  *store,
          const char   *sql,
          GError      **error)
{
  return kantor_store_run_sync (store, exec_func, (gpointer) sql, error) != NULL;
}

static void
insert_user_and_token (KantorStore *store,
                       const char  *id,
                       const char  *username,
                       const char  *token_hash)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = g_strdup_printf (
    "INSERT INTO users (id, username, password_hash, permissions, created_at) "
    "VALUES ('%s', '%s', 'h', '[\"read\"]', 1700000000);"
    "INSERT INTO refresh_tokens (token_hash, user_id, issued_at, expires_at) "
    "VALUES ('%s', '%s', 1700000000, 1800000000);",
    id, username, token_hash, id);

  exec_sql (store, sql, &error);
  g_assert_no_error (error);
}

/* --- Tests --- */

static void
test_migrate_from_empty (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *version = NULL;
  g_autofree char *tables = NULL;
  g_autofree char *fk = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpuint (kantor_store_get_latest_schema_version (), >=, 1);
  g_assert_cmpuint (kantor_store_get_schema_version (f->store), ==,
                    kantor_store_get_latest_schema_version ());

  version = query_text (f->store, "PRAGMA user_version");
  expected = g_strdup_printf ("%u", kantor_store_get_latest_schema_version ());
  g_assert_cmpstr (version, ==, expected);

  tables = query_text (f->store,
                       "SELECT group_concat (name, ',') FROM (SELECT name FROM sqlite_schema "
                       "WHERE type = 'table' AND name IN ('users', 'refresh_tokens') "
                       "ORDER BY name)");
  g_assert_cmpstr (tables, ==, "refresh_tokens,users");

  /* The refresh token's user_id really references users. */
  fk = query_text (f->store,
                   "SELECT \"table\" || '.' || \"to\" || ':' || on_delete "
                   "FROM pragma_foreign_key_list ('refresh_tokens')");
  g_assert_cmpstr (fk, ==, "users.id:CASCADE");
}

static void
test_pragmas_and_modes (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *journal = query_text (f->store, "PRAGMA journal_mode");
  g_autofree char *fk = query_text (f->store, "PRAGMA foreign_keys");
  g_autofree char *sync = query_text (f->store, "PRAGMA synchronous");
  GStatBuf st;

  g_assert_cmpstr (journal, ==, "wal");
  g_assert_cmpstr (fk, ==, "1");
  g_assert_cmpstr (sync, ==, "1");   /* NORMAL */

  g_assert_cmpint (g_stat (f->dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  /* A database left readable by others is closed on the next open. */
  kantor_store_close (f->store);
  g_assert_cmpint (g_chmod (f->path, 0644), ==, 0);
  reopen (f);
  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

static void
test_reopen_keeps_data (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *users = NULL;
  g_autofree char *tokens = NULL;
  g_autofree char *version = NULL;

  insert_user_and_token (f->store, "u1", "alice", "hash-a");
  insert_user_and_token (f->store, "u2", "bob", "hash-b");

  reopen (f);

  users = query_text (f->store, "SELECT group_concat (username, ',') FROM "
                                "(SELECT username FROM users ORDER BY username)");
  tokens = query_text (f->store, "SELECT group_concat (token_hash || '>' || user_id, ',') FROM "
                                 "(SELECT * FROM refresh_tokens ORDER BY token_hash)");
  g_assert_cmpstr (users, ==, "alice,bob");
  g_assert_cmpstr (tokens, ==, "hash-a>u1,hash-b>u2");
  g_assert_cmpuint (kantor_store_get_schema_version (f->store), ==,
                    kantor_store_get_latest_schema_version ());

  /* Reopening twice more migrates nothing and loses nothing. */
  reopen (f);
  reopen (f);
  version = query_text (f->store, "SELECT count(*) FROM users");
  g_assert_cmpstr (version, ==, "2");
}

static void
test_foreign_keys (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *other = NULL;

  insert_user_and_token (f->store, "u1", "alice", "hash-a");
  insert_user_and_token (f->store, "u2", "bob", "hash-b");

  /* No token for a user that does not exist. */
  g_assert_false (exec_sql (f->store,
                            "INSERT INTO refresh_tokens (token_hash, user_id, issued_at, "
                            "expires_at) VALUES ('x', 'nobody', 1, 2)",
                            &error));
  g_assert_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (error->message, "FOREIGN KEY"));
  g_clear_error (&error);

  before = query_text (f->store, "SELECT count(*) FROM refresh_tokens");
  g_assert_cmpstr (before, ==, "2");

  exec_sql (f->store, "DELETE FROM users WHERE id = 'u1'", &error);
  g_assert_no_error (error);

  after = query_text (f->store, "SELECT count(*) FROM refresh_tokens WHERE user_id = 'u1'");
  other = query_text (f->store, "SELECT count(*) FROM refresh_tokens WHERE user_id = 'u2'");
  g_assert_cmpstr (after, ==, "0");
  g_assert_cmpstr (other, ==, "1");

  /* Usernames are unique regardless of case. */
  g_assert_false (exec_sql (f->store,
                            "INSERT INTO users (id, username, password_hash, created_at) "
                            "VALUES ('u3', 'BOB', 'h', 1)",
                            &error));
  g_assert_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CONSTRAINT);
}

typedef struct
{
  sqlite3_stmt *first;
  sqlite3_stmt *second;
  sqlite3_stmt *other;
  char         *after_rebind;
  GError       *multi_error;
  GError       *syntax_error;
} CacheProbe;

static gpointer
cache_probe_func (KantorStore  *store,
                  gpointer      data,
                  GError      **error)
{
  CacheProbe *probe = data;
  sqlite3_stmt *stmt;

  probe->first = kantor_store_prepare (store, "SELECT ?1", error);
  sqlite3_bind_text (probe->first, 1, "bound", -1, SQLITE_STATIC);
  g_assert_cmpint (kantor_store_step (store, probe->first, error), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (probe->first, 0), ==, "bound");
  /* Left mid-way on purpose: the next prepare must reset it. */

  probe->second = kantor_store_prepare (store, "SELECT ?1", error);
  stmt = probe->second;
  g_assert_cmpint (kantor_store_step (store, stmt, error), ==, SQLITE_ROW);
  probe->after_rebind = g_strdup (sqlite3_column_type (stmt, 0) == SQLITE_NULL ? "NULL" : "set");

  probe->other = kantor_store_prepare (store, "SELECT ?1 + 1", error);

  g_assert_null (kantor_store_prepare (store, "SELECT 1; SELECT 2", &probe->multi_error));
  g_assert_null (kantor_store_prepare (store, "SELEKT 1", &probe->syntax_error));

  return probe;
}

static void
cache_probe_clear (CacheProbe *probe)
{
  g_free (probe->after_rebind);
  g_clear_error (&probe->multi_error);
  g_clear_error (&probe->syntax_error);
}

static void
test_statement_cache (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  CacheProbe probe = { 0 };
  CacheProbe later = { 0 };

  kantor_store_run_sync (f->store, cache_probe_func, &probe, &error);
  g_assert_no_error (error);

  g_assert_nonnull (probe.first);
  g_assert_true (probe.first == probe.second);
  g_assert_true (probe.other != probe.first);
  /* Fetched again, the statement comes back with its binding cleared. */
  g_assert_cmpstr (probe.after_rebind, ==, "NULL");
  g_assert_error (probe.multi_error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_SQL);
  g_assert_error (probe.syntax_error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_SQL);
  g_assert_nonnull (strstr (probe.syntax_error->message, "syntax error"));

  /* The same text in a later job still hits the cache. */
  kantor_store_run_sync (f->store, cache_probe_func, &later, &error);
  g_assert_no_error (error);
  g_assert_true (later.first == probe.first);
  g_assert_true (later.other == probe.other);

  cache_probe_clear (&probe);
  cache_probe_clear (&later);
}

typedef struct
{
  const char *mode;     /* "commit", "rollback" or "leave-open" */
} TxnData;

static gpointer
txn_func (KantorStore  *store,
          gpointer      data,
          GError      **error)
{
  TxnData *txn = data;

  if (!kantor_store_begin (store, error))
    return NULL;
  if (!kantor_store_exec (store,
                          "INSERT INTO users (id, username, password_hash, created_at) "
                          "VALUES ('t1', 'txn', 'h', 1)",
                          error))
    {
      kantor_store_rollback (store);
      return NULL;
    }
  g_assert_cmpint (kantor_store_changes (store), ==, 1);

  if (g_str_equal (txn->mode, "commit"))
    return kantor_store_commit (store, error) ? store : NULL;
  if (g_str_equal (txn->mode, "rollback"))
    kantor_store_rollback (store);
  return store;
}

static void
test_transactions (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *n1 = NULL;
  g_autofree char *n2 = NULL;
  g_autofree char *n3 = NULL;
  TxnData txn;

  txn.mode = "rollback";
  kantor_store_run_sync (f->store, txn_func, &txn, &error);
  g_assert_no_error (error);
  n1 = query_text (f->store, "SELECT count(*) FROM users");
  g_assert_cmpstr (n1, ==, "0");

  /* A job that forgets to finish its transaction gets it rolled back, so
   * the next job does not write into it. */
  txn.mode = "leave-open";
  g_test_expect_message ("kantor-service", G_LOG_LEVEL_WARNING, "*left a transaction open*");
  kantor_store_run_sync (f->store, txn_func, &txn, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  n2 = query_text (f->store, "SELECT count(*) FROM users");
  g_assert_cmpstr (n2, ==, "0");

  txn.mode = "commit";
  kantor_store_run_sync (f->store, txn_func, &txn, &error);
  g_assert_no_error (error);
  n3 = query_text (f->store, "SELECT count(*) FROM users");
  g_assert_cmpstr (n3, ==, "1");
}

/* --- Asynchronous jobs --- */

typedef struct
{
  GArray   *ran;          /* job indices in the order they ran (store thread) */
  GArray   *completed;    /* in the order the callbacks came (main thread) */
  GMutex    mutex;
  GCond     cond;
  gboolean  gate_open;
  gboolean  gate_reached;
  guint     n_errors;
  GError   *last_error;
} Tracker;

typedef struct
{
  Tracker *tracker;
  guint    index;
  gboolean gate;         /* blocks the store thread until the test opens it */
} TrackJob;

static gpointer
track_func (KantorStore  *store,
            gpointer      data,
            GError      **error)
{
  TrackJob *job = data;
  Tracker *t = job->tracker;
  g_autofree char *sql = NULL;

  g_mutex_lock (&t->mutex);
  if (job->gate)
    {
      t->gate_reached = TRUE;
      g_cond_broadcast (&t->cond);
      while (!t->gate_open)
        g_cond_wait (&t->cond, &t->mutex);
    }
  g_array_append_val (t->ran, job->index);
  g_mutex_unlock (&t->mutex);

  /* Real work, so that closing has something to drain. */
  sql = g_strdup_printf ("INSERT INTO users (id, username, password_hash, created_at) "
                         "VALUES ('id%u', 'user%u', 'h', %u)", job->index, job->index, job->index);
  if (!kantor_store_exec (store, sql, error))
    return NULL;

  return GUINT_TO_POINTER (job->index + 1);
}

static void
track_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Tracker *t = user_data;
  GError *error = NULL;
  gpointer value;
  guint index;

  value = kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  if (error != NULL)
    {
      t->n_errors++;
      g_clear_error (&t->last_error);
      t->last_error = error;
      return;
    }

  index = GPOINTER_TO_UINT (value) - 1;
  g_array_append_val (t->completed, index);
}

static void
tracker_init (Tracker *t)
{
  memset (t, 0, sizeof *t);
  t->ran = g_array_new (FALSE, FALSE, sizeof (guint));
  t->completed = g_array_new (FALSE, FALSE, sizeof (guint));
  g_mutex_init (&t->mutex);
  g_cond_init (&t->cond);
}

static void
tracker_clear (Tracker *t)
{
  g_array_unref (t->ran);
  g_array_unref (t->completed);
  g_mutex_clear (&t->mutex);
  g_cond_clear (&t->cond);
  g_clear_error (&t->last_error);
}

static void
queue_job (KantorStore  *store,
           Tracker      *t,
           guint         index,
           gboolean      gate,
           GCancellable *cancellable)
{
  TrackJob *job = g_new0 (TrackJob, 1);

  job->tracker = t;
  job->index = index;
  job->gate = gate;
  kantor_store_run_async (store, track_func, job, g_free, cancellable, track_done_cb, t);
}

static void
open_gate (Tracker *t)
{
  g_mutex_lock (&t->mutex);
  t->gate_open = TRUE;
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->mutex);
}

static void
wait_gate_reached (Tracker *t)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  g_mutex_lock (&t->mutex);
  while (!t->gate_reached)
    if (!g_cond_wait_until (&t->cond, &t->mutex, deadline))
      g_error ("The store thread never reached the gate");
  g_mutex_unlock (&t->mutex);
}

#define N_JOBS 64

static void
test_async_order (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *count = NULL;
  Tracker t;

  tracker_init (&t);

  /* The first job holds the store thread until all are queued, so that
   * they really are pending at once. */
  queue_job (f->store, &t, 0, TRUE, NULL);
  for (guint i = 1; i < N_JOBS; i++)
    queue_job (f->store, &t, i, FALSE, NULL);
  wait_gate_reached (&t);
  open_gate (&t);

  WAIT_UNTIL (t.completed->len + t.n_errors == N_JOBS);
  g_assert_cmpuint (t.n_errors, ==, 0);
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_assert_cmpuint (g_array_index (t.ran, guint, i), ==, i);
      g_assert_cmpuint (g_array_index (t.completed, guint, i), ==, i);
    }

  count = query_text (f->store, "SELECT count(*) FROM users");
  g_assert_cmpstr (count, ==, G_STRINGIFY (N_JOBS));

  tracker_clear (&t);
}

static void
test_close_drains (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Tracker t;
  Tracker late;

  tracker_init (&t);
  tracker_init (&late);

  queue_job (f->store, &t, 0, TRUE, NULL);
  for (guint i = 1; i < N_JOBS; i++)
    queue_job (f->store, &t, i, FALSE, NULL);
  wait_gate_reached (&t);
  open_gate (&t);

  /* Blocks until every queued job has run; no main-loop iteration yet. */
  kantor_store_close (f->store);
  g_assert_true (kantor_store_is_closed (f->store));
  g_assert_cmpuint (t.ran->len, ==, N_JOBS);

  /* Their results still arrive, all successful. */
  WAIT_UNTIL (t.completed->len + t.n_errors == N_JOBS);
  g_assert_cmpuint (t.n_errors, ==, 0);

  /* Work after close is refused, asynchronously and synchronously. */
  queue_job (f->store, &late, 99, FALSE, NULL);
  WAIT_UNTIL (late.n_errors == 1);
  g_assert_error (late.last_error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CLOSED);
  g_assert_cmpuint (late.ran->len, ==, 0);
  g_assert_null (kantor_store_run_sync (f->store, query_text_func, (gpointer) "SELECT 1", &error));
  g_assert_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CLOSED);

  /* Closing again is harmless, and the data were written. */
  kantor_store_close (f->store);
  reopen (f);
  {
    g_autofree char *count = query_text (f->store, "SELECT count(*) FROM users");

    g_assert_cmpstr (count, ==, G_STRINGIFY (N_JOBS));
  }

  tracker_clear (&t);
  tracker_clear (&late);
}

static void
test_cancelled_job_does_not_run (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Tracker t;

  tracker_init (&t);

  queue_job (f->store, &t, 0, TRUE, NULL);
  queue_job (f->store, &t, 1, FALSE, cancellable);
  queue_job (f->store, &t, 2, FALSE, NULL);
  wait_gate_reached (&t);
  g_cancellable_cancel (cancellable);
  open_gate (&t);

  WAIT_UNTIL (t.completed->len + t.n_errors == 3);
  g_assert_cmpuint (t.n_errors, ==, 1);
  g_assert_error (t.last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (t.ran->len, ==, 2);
  g_assert_cmpuint (g_array_index (t.ran, guint, 0), ==, 0);
  g_assert_cmpuint (g_array_index (t.ran, guint, 1), ==, 2);

  tracker_clear (&t);
}

static void
test_dispose_with_pending_jobs (void)
{
  g_autofree char *path = g_build_filename (g_get_user_state_dir (), "dispose.db", NULL);
  g_autoptr(GError) error = NULL;
  KantorStore *store;
  Tracker t;

  tracker_init (&t);
  store = kantor_store_new (path, &error);
  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (store), (gpointer *) &store);

  for (guint i = 0; i < 8; i++)
    queue_job (store, &t, i, FALSE, NULL);

  /* The pending tasks keep the store alive until their callbacks ran. */
  g_object_unref (store);
  g_assert_nonnull (store);
  WAIT_UNTIL (store == NULL);
  g_assert_cmpuint (t.completed->len, ==, 8);

  tracker_clear (&t);
}

static void
test_newer_schema_refused (void)
{
  g_autofree char *path = g_build_filename (g_get_user_state_dir (), "newer.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorStore) store = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 9999", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (db);

  store = kantor_store_new (path, &error);
  g_assert_null (store);
  g_assert_error (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_SCHEMA);
  g_assert_nonnull (strstr (error->message, "9999"));
}

static void
test_open_failure (void)
{
  g_autofree char *blocker = g_build_filename (g_get_user_state_dir (), "file", NULL);
  g_autofree char *path = g_build_filename (blocker, "kantor.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorStore) store = NULL;

  /* The parent "folder" is a regular file. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  store = kantor_store_new (path, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
}

static void
test_in_memory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorStore) store = kantor_store_new (":memory:", &error);
  g_autofree char *fk = NULL;

  g_assert_no_error (error);
  fk = query_text (store, "PRAGMA foreign_keys");
  g_assert_cmpstr (fk, ==, "1");
  g_assert_cmpuint (kantor_store_get_schema_version (store), ==,
                    kantor_store_get_latest_schema_version ());
}

static void
test_fileutil_private_files (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "a", "b", NULL);
  g_autofree char *path = g_build_filename (dir, "secret", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  const char *name;
  guint n_entries = 0;
  GStatBuf st;

  g_assert_true (kantor_fileutil_ensure_private_dir (dir, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0700);
  /* Existing folders are fine. */
  g_assert_true (kantor_fileutil_ensure_private_dir (dir, &error));

  /* Replacing a file others could read leaves a private file with only the
   * new contents, and no temporary file behind. */
  g_assert_true (g_file_set_contents_full (path, "old contents, longer than the new", -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0644, NULL));
  g_assert_false (kantor_fileutil_check_private (path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  g_assert_true (kantor_fileutil_write_private (path, "new", 3, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "new");
  g_assert_true (kantor_fileutil_check_private (path, &error));
  g_assert_no_error (error);

  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)) != NULL)
    n_entries++;
  g_assert_cmpuint (n_entries, ==, 1);

  /* Not a regular file, or not there at all. */
  g_assert_false (kantor_fileutil_check_private (dir, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
  g_clear_error (&error);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_false (kantor_fileutil_check_private (path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A folder that cannot be made. */
  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  {
    g_autofree char *below = g_build_filename (path, "sub", NULL);

    g_assert_false (kantor_fileutil_ensure_private_dir (below, &error));
    g_assert_nonnull (error);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/kantor/service/store/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("migrate-from-empty", test_migrate_from_empty);
  ADD ("pragmas-and-modes", test_pragmas_and_modes);
  ADD ("reopen-keeps-data", test_reopen_keeps_data);
  ADD ("foreign-keys", test_foreign_keys);
  ADD ("statement-cache", test_statement_cache);
  ADD ("transactions", test_transactions);
  ADD ("async-order", test_async_order);
  ADD ("close-drains", test_close_drains);
  ADD ("cancelled-job-does-not-run", test_cancelled_job_does_not_run);
  g_test_add_func ("/kantor/service/store/dispose-with-pending-jobs",
                   test_dispose_with_pending_jobs);
  g_test_add_func ("/kantor/service/store/newer-schema-refused", test_newer_schema_refused);
  g_test_add_func ("/kantor/service/store/open-failure", test_open_failure);
  g_test_add_func ("/kantor/service/store/in-memory", test_in_memory);
  g_test_add_func ("/kantor/service/fileutil/private-files", test_fileutil_private_files);

#undef ADD

  return g_test_run ();
}
