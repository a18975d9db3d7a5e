/* test-session-manager.c: sessions, their persistence and restarts, without
 * a server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "kantor-session-manager.h"

#define TIMEOUT_S 20

static const char holder_doc[] =
  "{\"strategy_name\": \"holder\", \"enabled\": true, \"direction\": \"LONG\","
  " \"indicators\": {\"price\": {\"type\": \"PRICE\"}},"
  " \"s1_signal\": {\"conditions\": [{\"id\": \"a\", \"indicatorId\": \"price\","
  "   \"operator\": \">\", \"value\": 0}]},"
  " \"o1_cancel\": {\"conditions\": []},"
  " \"z1_entry\": {\"conditions\": [{\"id\": \"b\", \"indicatorId\": \"price\","
  "   \"operator\": \">\", \"value\": 0}],"
  "   \"positionSize\": {\"type\": \"fixed\", \"value\": 1000},"
  "   \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 50},"
  "   \"takeProfit\": {\"enabled\": false}},"
  " \"ze1_close\": {\"conditions\": []},"
  " \"emergency_exit\": {\"conditions\": [], \"actions\": {\"cancelPending\": false,"
  "   \"closePosition\": false, \"logEvent\": true}},"
  " \"global_limits\": {}}";

typedef struct
{
  char                  *root;
  char                  *db;
  KantorStore           *store;
  KantorMarketFeed      *feed;
  KantorStrategyManager *strategies;
} Fixture;

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds, failing at a deadline. */
#define WAIT_FOR(cond)                                                           \
  G_STMT_START {                                                                 \
    gint64 deadline_ = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;     \
    guint tick_ = g_timeout_add (20, tick, NULL);                                \
    while (!(cond))                                                              \
      {                                                                          \
        if (g_get_monotonic_time () > deadline_)                                 \
          g_error ("timed out waiting for %s", #cond);                           \
        g_main_context_iteration (NULL, TRUE);                                   \
      }                                                                          \
    g_source_remove (tick_);                                                     \
  } G_STMT_END

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) doc = json_from_string (holder_doc, NULL);
  g_autofree char *dir = NULL;

  f->root = g_dir_make_tmp ("kantor-sessions-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = g_build_filename (f->root, "state", "kantor.db", NULL);
  f->store = kantor_store_new (f->db, &error);
  g_assert_no_error (error);
  f->feed = kantor_market_feed_new_synthetic (5);
  kantor_market_feed_set_speed (f->feed, 100);
  dir = g_build_filename (f->root, "strategies", NULL);
  f->strategies = kantor_strategy_manager_new (dir, f->feed, &error);
  g_assert_no_error (error);
  kantor_strategy_manager_upsert (f->strategies, doc, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->strategies);
  g_clear_object (&f->feed);
  kantor_store_close (f->store);
  g_clear_object (&f->store);
  remove_tree (f->root);
  g_free (f->root);
  g_free (f->db);
}

static KantorSessionManager *
manager_new (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  KantorSessionManager *manager = kantor_session_manager_new (f->store, f->strategies, f->feed,
                                                              f->root, &error);

  g_assert_no_error (error);
  return manager;
}

static KantorSession *
start (KantorSessionManager *manager,
       const char           *type,
       const char           *strategy_config,
       const char           *config)
{
  g_autoptr(JsonNode) sc = json_from_string (strategy_config, NULL);
  g_autoptr(JsonNode) cfg = config != NULL ? json_from_string (config, NULL) : NULL;
  g_autoptr(GError) error = NULL;
  gboolean reused = TRUE;
  KantorSession *session;

  session = kantor_session_manager_start (manager, type, sc,
                                          cfg != NULL ? json_node_get_object (cfg) : NULL,
                                          &reused, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (reused);
  return session;
}

static void
synced_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (kantor_session_store_sync_finish (KANTOR_SESSION_STORE (source), result,
                                                   &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
sync_store (KantorSessionManager *manager)
{
  gboolean done = FALSE;

  kantor_session_store_sync_async (kantor_session_manager_get_session_store (manager),
                                   synced_cb, &done);
  WAIT_FOR (done);
}

static gint64
count (KantorSessionManager *manager,
       const char           *table,
       const char           *session_id)
{
  g_autoptr(GError) error = NULL;
  gint64 n = kantor_session_store_count_rows (kantor_session_manager_get_session_store (manager),
                                              table, session_id, &error);

  g_assert_no_error (error);
  return n;
}

static void
results_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  *(JsonObject **) user_data = kantor_session_results_finish (KANTOR_SESSION (source), result,
                                                              &error);
  g_assert_no_error (error);
}

static JsonObject *
results_of (KantorSession *session)
{
  JsonObject *results = NULL;

  kantor_session_results_async (session, results_cb, &results);
  WAIT_FOR (results != NULL);
  return results;
}

static char *
collection_json (void)
{
  const char *src = g_getenv ("KANTOR_SOURCE_DIR");
  g_autofree char *path = g_build_filename (src != NULL ? src : ".", "tests", "data",
                                            "collection-small", NULL);

  return g_strdup_printf ("{\"data\": {\"path\": \"%s\"}}", path);
}

/* A finished backtest, its orders, fills and signals are in the store, and
 * a new manager over it serves the same results. */
static void
test_persist (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *config = collection_json ();
  g_autoptr(KantorSessionManager) manager = manager_new (f);
  g_autoptr(KantorSession) session = start (manager, "backtest",
                                            "{\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]}", config);
  g_autofree char *id = g_strdup (kantor_session_get_id (session));
  g_autoptr(JsonObject) results = NULL;
  g_autoptr(KantorSessionManager) again = NULL;
  KantorSession *restored;
  JsonObject *restored_results;

  WAIT_FOR (kantor_session_get_state (session) == KANTOR_SESSION_STATE_COMPLETED);
  results = results_of (session);
  /* The worker writes the rows out after the state changed. */
  kantor_session_wait (session);
  sync_store (manager);
  g_assert_cmpint (count (manager, "sessions", id), ==, 1);
  g_assert_cmpint (count (manager, "session_orders", id), ==, 4);
  g_assert_cmpint (count (manager, "session_fills", id), ==, 4);
  g_assert_cmpint (count (manager, "session_signals", id), ==,
                   json_array_get_length (json_object_get_array_member (results, "signals")));
  g_assert_cmpint (count (manager, "session_signals", id), >, 0);
  g_clear_object (&session);
  g_clear_object (&manager);

  again = manager_new (f);
  g_assert_cmpuint (kantor_session_manager_get_n_interrupted (again), ==, 0);
  restored = kantor_session_manager_lookup (again, id);
  g_assert_nonnull (restored);
  g_assert_cmpint (kantor_session_get_state (restored), ==, KANTOR_SESSION_STATE_COMPLETED);
  g_assert_cmpint (kantor_session_get_session_type (restored), ==, KANTOR_SESSION_TYPE_BACKTEST);
  g_assert_cmpstrv (kantor_session_get_symbols (restored),
                    ((const char *[]) { "BTCUSDT", "ETHUSDT", NULL }));
  restored_results = kantor_session_get_final_results (restored);
  g_assert_nonnull (restored_results);
  g_assert_cmpstr (json_object_get_string_member (restored_results, "results_hash"), ==,
                   json_object_get_string_member (results, "results_hash"));
  g_assert_true (json_node_equal (json_object_get_member (restored_results, "metrics"),
                                  json_object_get_member (results, "metrics")));
  /* Not active any more: an identical start is a new session. */
  g_assert_null (kantor_session_manager_find_latest (again, "holder", "XRPUSDT"));
  g_assert_true (kantor_session_manager_find_latest (again, "holder", "ETHUSDT") == restored);
}

/* A store whose session was running when its server went away (a second
 * manager over it stands for the restarted server): interrupted. */
static void
test_interrupted (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(KantorSessionManager) first = manager_new (f);
  g_autoptr(KantorSession) paper = start (first, "paper", "{\"holder\": [\"BTCUSDT\"]}", NULL);
  g_autoptr(KantorSessionManager) second = NULL;
  g_autofree char *id = g_strdup (kantor_session_get_id (paper));
  KantorSession *seen;

  g_assert_cmpint (kantor_session_get_state (paper), ==, KANTOR_SESSION_STATE_RUNNING);
  /* The feed's fills reach the store in the periodic batches. */
  WAIT_FOR (count (first, "session_orders", id) >= 1);
  sync_store (first);

  second = manager_new (f);
  g_assert_cmpuint (kantor_session_manager_get_n_interrupted (second), ==, 1);
  seen = kantor_session_manager_lookup (second, id);
  g_assert_nonnull (seen);
  g_assert_cmpint (kantor_session_get_state (seen), ==, KANTOR_SESSION_STATE_INTERRUPTED);
  g_assert_cmpint (kantor_session_get_ended_at (seen), >, 0);

  /* A clean shutdown interrupts too, keeping the results so far. */
  kantor_session_manager_shutdown (first);
  g_assert_cmpint (kantor_session_get_state (paper), ==, KANTOR_SESSION_STATE_INTERRUPTED);
  g_assert_nonnull (kantor_session_get_final_results (paper));
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->feed), ==, 0);
}

static gboolean
has_progress (KantorSession *session)
{
  g_autoptr(JsonObject) progress = kantor_session_dup_progress (session);

  return progress != NULL;
}

/* Results of a running backtest come from its worker; stopping it closes
 * its position so the results are final. */
static void
test_stop_backtest (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(KantorSessionManager) manager = manager_new (f);
  g_autoptr(KantorSession) session = start (manager, "backtest", "{\"holder\": [\"BTCUSDT\"]}",
                                            "{\"data\": {\"synthetic\": {\"seed\": 1,"
                                            " \"events\": 100000000}}}");
  g_autoptr(JsonObject) during = NULL;
  g_autoptr(JsonObject) after = NULL;
  JsonObject *metrics;
  gint64 n;

  WAIT_FOR (has_progress (session));
  during = results_of (session);
  n = json_object_get_int_member (during, "events_processed");
  g_assert_cmpint (n, >, 0);
  g_assert_cmpint (n, <, 100000000);
  /* The holder is in: an open position, marked to market. */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (during, "metrics"),
                                               "orders_filled"), ==, 1);

  kantor_session_stop_async (session, NULL, NULL);
  WAIT_FOR (kantor_session_get_state (session) == KANTOR_SESSION_STATE_STOPPED);
  after = results_of (session);
  metrics = json_object_get_object_member (after, "metrics");
  g_assert_cmpint (json_object_get_int_member (metrics, "orders_filled"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (metrics, "total_trades"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (metrics, "unrealized_pnl"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (after, "events_processed"), >=, n);
}

static gint64
orders_filled (KantorSession *session)
{
  g_autoptr(JsonObject) results = results_of (session);

  return json_object_get_int_member (json_object_get_object_member (results, "metrics"),
                                     "orders_filled");
}

static gint64
n_events (KantorSession *session)
{
  g_autoptr(JsonObject) progress = kantor_session_dup_progress (session);

  return progress != NULL ? json_object_get_int_member (progress, "events_processed") : 0;
}

/* A paper session with config.record writes what its engine consumed as a
 * collection; replaying that collection as a backtest gives the same
 * results, to the hash. */
static void
test_record_and_replay (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(KantorSessionManager) manager = manager_new (f);
  g_autoptr(KantorCollectionManager) collections = kantor_collection_manager_new (f->store,
                                                                                  f->feed,
                                                                                  f->root);
  g_autoptr(KantorSession) paper = NULL;
  g_autoptr(KantorSession) replay = NULL;
  g_autoptr(JsonObject) paper_results = NULL;
  g_autoptr(JsonObject) replay_results = NULL;
  g_autofree char *config = NULL;
  KantorCollectionRun *run;

  kantor_session_manager_set_collection_manager (manager, collections);
  paper = start (manager, "paper", "{\"holder\": [\"BTCUSDT\"]}", "{\"record\": true}");
  run = kantor_session_get_recording (paper);
  g_assert_nonnull (run);
  {
    g_autoptr(JsonObject) status = kantor_session_to_json (paper);

    g_assert_cmpstr (json_object_get_string_member (status, "recording_collection_id"), ==,
                     kantor_collection_run_get_id (run));
  }

  /* Some trading, then the end: the position is closed at market. */
  WAIT_FOR (orders_filled (paper) >= 1 && n_events (paper) >= 200);
  kantor_session_stop_async (paper, NULL, NULL);
  WAIT_FOR (kantor_session_get_state (paper) == KANTOR_SESSION_STATE_STOPPED);
  WAIT_FOR (!kantor_collection_state_is_active (kantor_collection_run_get_state (run)));
  g_assert_cmpint (kantor_collection_run_get_state (run), ==, KANTOR_COLLECTION_STATE_STOPPED);
  paper_results = results_of (paper);

  config = g_strdup_printf ("{\"data\": {\"collection_id\": \"%s\"}}",
                            kantor_collection_run_get_id (run));
  replay = start (manager, "backtest", "{\"holder\": [\"BTCUSDT\"]}", config);
  WAIT_FOR (kantor_session_get_state (replay) == KANTOR_SESSION_STATE_COMPLETED);
  replay_results = results_of (replay);

  g_assert_cmpint (json_object_get_int_member (replay_results, "events_processed"), ==,
                   json_object_get_int_member (paper_results, "events_processed"));
  g_assert_cmpint (json_object_get_int_member (replay_results, "events_processed"), >=, 200);
  g_assert_cmpstr (json_object_get_string_member (replay_results, "results_hash"), ==,
                   json_object_get_string_member (paper_results, "results_hash"));
  g_assert_true (json_node_equal (json_object_get_member (replay_results, "metrics"),
                                  json_object_get_member (paper_results, "metrics")));
  kantor_session_wait (replay);
  kantor_collection_manager_shutdown (collections);
}

static void
assert_recording_id (KantorSession *session,
                     const char    *expected)
{
  g_autoptr(JsonObject) status = kantor_session_to_json (session);

  g_assert_cmpstr (kantor_session_get_recording_id (session), ==, expected);
  g_assert_cmpstr (json_object_get_string_member_with_default (status,
                                                               "recording_collection_id",
                                                               NULL), ==, expected);
}

/* recording_collection_id is in the store from the start: a server that
 * went away while recording, and one that restarts after the session
 * stopped, both still name the recording. */
static void
test_record_restart (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(KantorSessionManager) manager = manager_new (f);
  g_autoptr(KantorCollectionManager) collections = kantor_collection_manager_new (f->store,
                                                                                  f->feed,
                                                                                  f->root);
  g_autoptr(KantorSession) paper = NULL;
  g_autoptr(KantorSession) plain = NULL;
  g_autoptr(KantorSessionManager) crashed = NULL;
  g_autoptr(KantorSessionManager) restarted = NULL;
  g_autofree char *id = NULL;
  g_autofree char *plain_id = NULL;
  g_autofree char *run_id = NULL;
  KantorCollectionRun *run;
  KantorSession *seen;

  kantor_session_manager_set_collection_manager (manager, collections);
  paper = start (manager, "paper", "{\"holder\": [\"BTCUSDT\"]}", "{\"record\": true}");
  plain = start (manager, "paper", "{\"holder\": [\"ETHUSDT\"]}", NULL);
  id = g_strdup (kantor_session_get_id (paper));
  plain_id = g_strdup (kantor_session_get_id (plain));
  run = kantor_session_get_recording (paper);
  g_assert_nonnull (run);
  run_id = g_strdup (kantor_collection_run_get_id (run));
  assert_recording_id (paper, run_id);
  assert_recording_id (plain, NULL);

  /* While it runs. */
  WAIT_FOR (n_events (paper) >= 1);
  sync_store (manager);
  crashed = manager_new (f);
  seen = kantor_session_manager_lookup (crashed, id);
  g_assert_nonnull (seen);
  g_assert_cmpint (kantor_session_get_state (seen), ==, KANTOR_SESSION_STATE_INTERRUPTED);
  assert_recording_id (seen, run_id);
  g_assert_null (kantor_session_get_recording (seen));
  seen = kantor_session_manager_lookup (crashed, plain_id);
  g_assert_nonnull (seen);
  assert_recording_id (seen, NULL);

  /* After it stopped: the later saves keep it. */
  kantor_session_stop_async (paper, NULL, NULL);
  kantor_session_stop_async (plain, NULL, NULL);
  WAIT_FOR (kantor_session_get_state (paper) == KANTOR_SESSION_STATE_STOPPED
            && kantor_session_get_state (plain) == KANTOR_SESSION_STATE_STOPPED);
  WAIT_FOR (!kantor_collection_state_is_active (kantor_collection_run_get_state (run)));
  assert_recording_id (paper, run_id);
  sync_store (manager);
  restarted = manager_new (f);
  seen = kantor_session_manager_lookup (restarted, id);
  g_assert_nonnull (seen);
  g_assert_cmpint (kantor_session_get_state (seen), ==, KANTOR_SESSION_STATE_STOPPED);
  assert_recording_id (seen, run_id);
  kantor_collection_manager_shutdown (collections);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/kantor/service/session-manager/" path, Fixture, NULL, setup, func, teardown)
  ADD ("persist", test_persist);
  ADD ("interrupted", test_interrupted);
  ADD ("stop-backtest", test_stop_backtest);
  ADD ("record-and-replay", test_record_and_replay);
  ADD ("record-restart", test_record_restart);
#undef ADD

  return g_test_run ();
}
