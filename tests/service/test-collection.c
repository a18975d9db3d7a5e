/* test-collection.c: collection runs on disk, their rows, states and
 * recovery
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kantor-collection-manager.h"
#include "kantor-collection-source.h"
#include "kantor-collection-writer.h"
#include "kantor-market-feed.h"
#include "kantor-synthetic-source.h"

#define TIMEOUT_S 20

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @cond holds; fails at the deadline. */
#define WAIT_FOR(cond)                                                           \
  G_STMT_START {                                                                 \
    gint64 deadline_ = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;     \
    guint tick_ = g_timeout_add (20, tick, NULL);                                \
    while (!(cond))                                                              \
      {                                                                          \
        if (g_get_monotonic_time () > deadline_)                                 \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        g_main_context_iteration (NULL, TRUE);                                   \
      }                                                                          \
    g_source_remove (tick_);                                                     \
  } G_STMT_END

typedef struct
{
  char                    *root;
  char                    *data_dir;
  char                    *db_path;
  KantorStore             *store;
  KantorMarketFeed        *feed;
  KantorCollectionManager *manager;
  GPtrArray               *alerts;   /* JsonObject */
} Fixture;

static void
on_alert (KantorCollectionManager *manager,
          KantorCollectionRun     *run,
          JsonObject              *fields,
          gpointer                 user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->alerts, json_object_ref (fields));
}

static void
open_manager (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->store = kantor_store_new (f->db_path, &error);
  g_assert_no_error (error);
  f->manager = kantor_collection_manager_new (f->store, f->feed, f->data_dir);
  g_signal_connect (f->manager, "collection-alert", G_CALLBACK (on_alert), f);
}

/* Drops the manager and the store as a crash would leave them: no
 * shutdown, so the store still says "recording". */
static void
close_manager (Fixture *f)
{
  g_clear_object (&f->manager);
  kantor_store_close (f->store);
  g_clear_object (&f->store);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("kantor-collection-XXXXXX", &error);
  g_assert_no_error (error);
  f->data_dir = g_build_filename (f->root, "data", NULL);
  g_assert_cmpint (g_mkdir (f->data_dir, 0755), ==, 0);
  f->db_path = g_build_filename (f->root, "state", "kantor.db", NULL);
  f->alerts = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  f->feed = kantor_market_feed_new_synthetic (3);
  kantor_market_feed_set_speed (f->feed, 200);
  open_manager (f);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_remove (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->manager != NULL)
    kantor_collection_manager_shutdown (f->manager);
  close_manager (f);
  g_clear_object (&f->feed);
  g_ptr_array_unref (f->alerts);
  g_chmod (f->data_dir, 0755);
  remove_tree (f->root);
  g_free (f->root);
  g_free (f->data_dir);
  g_free (f->db_path);
}

static KantorCollectionRun *
start (Fixture    *f,
       const char *duration,
       const char *first,
       ...)
{
  g_autoptr(GPtrArray) symbols = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  KantorCollectionRun *run;
  const char *s;
  va_list ap;

  va_start (ap, first);
  for (s = first; s != NULL; s = va_arg (ap, const char *))
    g_ptr_array_add (symbols, (gpointer) s);
  va_end (ap);
  g_ptr_array_add (symbols, NULL);

  run = kantor_collection_manager_start (f->manager, (const char * const *) symbols->pdata,
                                         duration, &error);
  g_assert_no_error (error);
  g_assert_nonnull (run);
  return run;
}

static void
stop_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  KantorCollectionRun **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = kantor_collection_manager_stop_finish (KANTOR_COLLECTION_MANAGER (source), result,
                                                &error);
  g_assert_no_error (error);
}

static void
stop (Fixture             *f,
      KantorCollectionRun *run)
{
  g_autoptr(KantorCollectionRun) stopped = NULL;

  kantor_collection_manager_stop_async (f->manager, kantor_collection_run_get_id (run),
                                        stop_done, &stopped);
  WAIT_FOR (stopped != NULL);
  g_assert_true (stopped == run);
  g_assert_cmpstr (kantor_collection_state_to_string (kantor_collection_run_get_state (run)), ==,
                   "stopped");
}

static char *
read_file (const char *dir,
           const char *symbol,
           const char *name)
{
  g_autofree char *path = symbol != NULL ? g_build_filename (dir, symbol, name, NULL)
                                         : g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

/* Every numeric field has no trailing zero after a decimal point, and every
 * line is whole. */
static void
assert_rows_canonical (const char *text,
                       guint       n_fields)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);

  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpstr (lines[n - 1], ==, "");   /* ends with a line end */
  for (guint i = 1; i + 1 < n; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ",", -1);

      g_assert_cmpuint (g_strv_length (fields), ==, n_fields);
      for (guint j = 0; fields[j] != NULL; j++)
        {
          gsize len = strlen (fields[j]);

          g_assert_cmpuint (len, >, 0);
          if (strchr (fields[j], '.') != NULL && strchr (fields[j], 'e') == NULL)
            g_assert_cmpint (fields[j][len - 1], !=, '0');
        }
    }
}

static void
test_writer_format (void)
{
  char buf[32];
  KantorMarketEvent ev = { 0 };
  g_autoptr(GString) out = g_string_new (NULL);

  g_assert_cmpuint (kantor_collection_format_time (1700000000123, buf), ==, 14);
  g_assert_cmpstr (buf, ==, "1700000000.123");
  kantor_collection_format_time (1700000000120, buf);
  g_assert_cmpstr (buf, ==, "1700000000.12");
  kantor_collection_format_time (1700000000100, buf);
  g_assert_cmpstr (buf, ==, "1700000000.1");
  kantor_collection_format_time (1700000000000, buf);
  g_assert_cmpstr (buf, ==, "1700000000");
  kantor_collection_format_time (1700000000007, buf);
  g_assert_cmpstr (buf, ==, "1700000000.007");
  kantor_collection_format_time (0, buf);
  g_assert_cmpstr (buf, ==, "0");

  ev.kind = KANTOR_EVENT_TRADE;
  ev.time_ms = 1700000000050;
  ev.price = 50002.79;
  ev.volume = 0.5;
  g_assert_true (kantor_collection_append_trade (out, &ev));
  g_assert_cmpstr (out->str, ==, "1700000000.05,50002.79,0.5,25001.395\n");

  ev.volume = 0;
  g_assert_false (kantor_collection_append_trade (out, &ev));
  ev.volume = 1;
  ev.price = -1;
  g_assert_false (kantor_collection_append_trade (out, &ev));

  g_string_truncate (out, 0);
  ev.kind = KANTOR_EVENT_BOOK;
  ev.time_ms = 1700000000000;
  ev.bids[0] = (KantorBookLevel) { 100.5, 2 };
  ev.bids[1] = (KantorBookLevel) { 100.25, 3.5 };
  ev.bids[2] = (KantorBookLevel) { 99, 0 };   /* absent */
  ev.asks[0] = (KantorBookLevel) { 101, 1 };
  ev.asks[1] = (KantorBookLevel) { 102, 1e-8 };
  ev.asks[2] = (KantorBookLevel) { 103, 10 };
  g_assert_true (kantor_collection_append_book (out, &ev));
  g_assert_cmpstr (out->str, ==,
                   "1700000000,100.5,2,100.25,3.5,0,0,101,1,102,1e-08,103,10,100.5,101,0.5\n");

  /* Not best first: the reader would refuse it, so it is not written. */
  ev.asks[1].price = 100;
  g_assert_false (kantor_collection_append_book (out, &ev));
}

/* Reads @path back and checks its headers, rows and meta.json. */
static void
check_layout (KantorCollectionRun *run,
              const char          *symbol)
{
  const char *path = kantor_collection_run_get_path (run);
  g_autofree char *prices = read_file (path, symbol, "prices.csv");
  g_autofree char *book = read_file (path, symbol, "orderbook.csv");
  g_autofree char *meta = read_file (path, NULL, "meta.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *m, *rows;

  g_assert_true (g_str_has_prefix (prices, KANTOR_COLLECTION_PRICES_HEADER));
  g_assert_true (g_str_has_prefix (prices, "timestamp,price,volume,quote_volume\n"));
  g_assert_true (g_str_has_prefix (book,
    "timestamp,bid_price_1,bid_qty_1,bid_price_2,bid_qty_2,bid_price_3,bid_qty_3,"
    "ask_price_1,ask_qty_1,ask_price_2,ask_qty_2,ask_price_3,ask_qty_3,best_bid,best_ask,"
    "spread\n"));
  assert_rows_canonical (prices, 4);
  assert_rows_canonical (book, 16);

  json_parser_load_from_data (parser, meta, -1, &error);
  g_assert_no_error (error);
  m = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (m, "format_version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (m, "collection_id"), ==,
                   kantor_collection_run_get_id (run));
  g_assert_cmpstr (json_object_get_string_member (m, "source"), ==,
                   kantor_collection_run_get_source (run));
  g_assert_cmpint (json_object_get_int_member (m, "started_at"), ==,
                   kantor_collection_run_get_started_at (run));
  g_assert_cmpstr (json_object_get_string_member (m, "state"), ==,
                   kantor_collection_state_to_string (kantor_collection_run_get_state (run)));
  rows = json_object_get_object_member (json_object_get_object_member (m, "rows"), symbol);
  g_assert_cmpint (json_object_get_int_member (rows, "prices.csv"), ==, count_lines (prices) - 1);
  g_assert_cmpint (json_object_get_int_member (rows, "orderbook.csv"), ==, count_lines (book) - 1);
  g_assert_cmpuint (kantor_collection_run_get_records (run, symbol), ==,
                    count_lines (prices) + count_lines (book) - 2);
}

static void
test_layout_and_stop (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(KantorCollectionRun) run = start (f, "continuous", "btcusdt", "ETHUSDT", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(KantorMarketSource) replay = NULL;
  g_autoptr(GError) error = NULL;
  KantorMarketEvent events[256];
  guint64 replayed = 0;
  gsize n;

  g_assert_cmpstr (kantor_collection_run_get_symbols (run)[0], ==, "BTCUSDT");
  expected = g_build_filename (f->data_dir, "session_", NULL);
  g_assert_true (g_str_has_prefix (kantor_collection_run_get_path (run), expected));
  g_assert_true (g_str_has_suffix (kantor_collection_run_get_path (run),
                                   kantor_collection_run_get_id (run)));
  g_assert_cmpint (kantor_collection_run_get_ends_at (run), ==, 0);

  /* Rows reach the disk while the run goes on. */
  WAIT_FOR (kantor_collection_run_get_records (run, "BTCUSDT") > 20 &&
            kantor_collection_run_get_records (run, "ETHUSDT") > 20);
  g_assert_cmpint (kantor_collection_run_get_state (run), ==, KANTOR_COLLECTION_STATE_RECORDING);

  stop (f, run);
  g_assert_cmpuint (kantor_collection_run_get_pending (run), ==, 0);
  g_assert_cmpint (kantor_collection_run_get_ended_at (run), >=,
                   kantor_collection_run_get_started_at (run));
  check_layout (run, "BTCUSDT");
  check_layout (run, "ETHUSDT");

  /* The folder is what a backtest reads. */
  replay = kantor_collection_source_new (kantor_collection_run_get_path (run), NULL, &error);
  g_assert_no_error (error);
  while ((n = kantor_market_source_read (replay, events, G_N_ELEMENTS (events), &error)) > 0)
    replayed += n;
  g_assert_no_error (error);
  g_assert_cmpuint (replayed, ==, kantor_collection_run_get_records_total (run));

  /* Stopping again changes nothing. */
  stop (f, run);
  g_assert_cmpuint (f->alerts->len, ==, 0);
}

/* What was recorded is what the replay reads, to the last digit. */
static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  const char * const symbols[] = { "AAAUSDT", "BBBUSDT", NULL };
  g_autoptr(KantorCollectionRun) run = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(KantorMarketSource) replay = NULL;
  g_autoptr(GArray) trades = g_array_new (FALSE, FALSE, sizeof (KantorMarketEvent));
  g_autoptr(GArray) books = g_array_new (FALSE, FALSE, sizeof (KantorMarketEvent));
  g_autoptr(GError) error = NULL;
  KantorMarketEvent events[512];
  guint it = 0, ib = 0;
  gsize n;

  run = kantor_collection_manager_start_recording (f->manager, symbols, "test", &error);
  g_assert_no_error (error);
  WAIT_FOR (kantor_collection_run_get_state (run) == KANTOR_COLLECTION_STATE_RECORDING);

  source = kantor_synthetic_source_new (symbols, 11, 1700000000001, 20000, &error);
  g_assert_no_error (error);
  while ((n = kantor_market_source_read (source, events, G_N_ELEMENTS (events), &error)) > 0)
    for (gsize i = 0; i < n; i++)
      {
        kantor_collection_run_push (run, &events[i]);
        g_array_append_val (events[i].kind == KANTOR_EVENT_TRADE ? trades : books, events[i]);
      }
  g_assert_no_error (error);

  /* Rows the reader would refuse are not written: one back in time, one
   * with no price. */
  {
    KantorMarketEvent late = g_array_index (trades, KantorMarketEvent, 0);
    KantorMarketEvent bad = g_array_index (trades, KantorMarketEvent, trades->len - 1);

    bad.price = 0;
    kantor_collection_run_push (run, &late);
    kantor_collection_run_push (run, &bad);
    g_assert_cmpuint (kantor_collection_run_get_dropped (run), ==, 2);
  }
  stop (f, run);
  g_assert_cmpuint (kantor_collection_run_get_records_total (run), ==, 20000);

  replay = kantor_collection_source_new (kantor_collection_run_get_path (run), NULL, &error);
  g_assert_no_error (error);
  while ((n = kantor_market_source_read (replay, events, G_N_ELEMENTS (events), &error)) > 0)
    for (gsize i = 0; i < n; i++)
      {
        const KantorMarketEvent *got = &events[i];
        const KantorMarketEvent *want;

        /* The merge may order equal times differently from the source:
         * compare each kind in its own order, per symbol. */
        if (got->kind == KANTOR_EVENT_TRADE)
          {
            while (g_array_index (trades, KantorMarketEvent, it).symbol == NULL)
              it++;
            want = NULL;
            for (guint j = it; j < trades->len; j++)
              {
                KantorMarketEvent *e = &g_array_index (trades, KantorMarketEvent, j);

                if (e->symbol == got->symbol)
                  {
                    want = e;
                    break;
                  }
              }
            g_assert_nonnull (want);
            g_assert_cmpint (got->time_ms, ==, want->time_ms);
            g_assert_true (got->price == want->price);
            g_assert_true (got->volume == want->volume);
            ((KantorMarketEvent *) want)->symbol = NULL;
          }
        else
          {
            while (g_array_index (books, KantorMarketEvent, ib).symbol == NULL)
              ib++;
            want = NULL;
            for (guint j = ib; j < books->len; j++)
              {
                KantorMarketEvent *e = &g_array_index (books, KantorMarketEvent, j);

                if (e->symbol == got->symbol)
                  {
                    want = e;
                    break;
                  }
              }
            g_assert_nonnull (want);
            g_assert_cmpint (got->time_ms, ==, want->time_ms);
            for (guint l = 0; l < KANTOR_BOOK_LEVELS; l++)
              {
                g_assert_true (got->bids[l].qty == want->bids[l].qty);
                g_assert_true (got->asks[l].qty == want->asks[l].qty);
                if (want->bids[l].qty > 0)
                  g_assert_true (got->bids[l].price == want->bids[l].price);
                if (want->asks[l].qty > 0)
                  g_assert_true (got->asks[l].price == want->asks[l].price);
              }
            ((KantorMarketEvent *) want)->symbol = NULL;
          }
      }
  g_assert_no_error (error);
  /* Every event came back. */
  for (guint j = 0; j < trades->len; j++)
    g_assert_null (g_array_index (trades, KantorMarketEvent, j).symbol);
  for (guint j = 0; j < books->len; j++)
    g_assert_null (g_array_index (books, KantorMarketEvent, j).symbol);
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* A row reaches the disk within half a second of its event (the median of
 * a few, so that one slow moment of a busy machine does not decide). */
static void
test_flush_latency (Fixture       *f,
                    gconstpointer  data)
{
  const char * const symbols[] = { "AAAUSDT", NULL };
  g_autoptr(KantorCollectionRun) run = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GError) error = NULL;
  gint64 latency[7];

  run = kantor_collection_manager_start_recording (f->manager, symbols, "test", &error);
  g_assert_no_error (error);
  WAIT_FOR (kantor_collection_run_get_state (run) == KANTOR_COLLECTION_STATE_RECORDING);
  source = kantor_synthetic_source_new (symbols, 5, 1700000000000, 0, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (latency); i++)
    {
      KantorMarketEvent ev;
      guint64 before = kantor_collection_run_get_records_total (run);
      gint64 t0;

      g_assert_cmpuint (kantor_market_source_read (source, &ev, 1, &error), ==, 1);
      t0 = g_get_monotonic_time ();
      kantor_collection_run_push (run, &ev);
      WAIT_FOR (kantor_collection_run_get_records_total (run) == before + 1);
      latency[i] = g_get_monotonic_time () - t0;
    }
  qsort (latency, G_N_ELEMENTS (latency), sizeof latency[0], compare_int64);
  g_assert_cmpint (latency[G_N_ELEMENTS (latency) / 2], <=, G_USEC_PER_SEC / 2);
}

/* kantor-backtest --data reads a recorded folder, every event of it. */
static void
test_backtest_cli (Fixture       *f,
                   gconstpointer  data)
{
  const char * const symbols[] = { "PEPEUSDT", NULL };
  const char *build = g_getenv ("KANTOR_BUILD_DIR");
  const char *source_dir = g_getenv ("KANTOR_SOURCE_DIR");
  g_autofree char *exe = NULL;
  g_autofree char *pump = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(KantorCollectionRun) run = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  KantorMarketEvent events[512];
  JsonObject *results;
  gsize n;

  if (build == NULL || source_dir == NULL)
    {
      g_test_skip ("KANTOR_BUILD_DIR and KANTOR_SOURCE_DIR are not set");
      return;
    }
  exe = g_build_filename (build, "src", "backtest", "kantor-backtest", NULL);
  pump = g_build_filename (source_dir, "data", "strategies", "pump_rider.json", NULL);
  if (!g_file_test (exe, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("kantor-backtest is not built");
      return;
    }

  run = kantor_collection_manager_start_recording (f->manager, symbols, "test", &error);
  g_assert_no_error (error);
  WAIT_FOR (kantor_collection_run_get_state (run) == KANTOR_COLLECTION_STATE_RECORDING);
  source = kantor_synthetic_source_new (symbols, 7, 1700000000000, 30000, &error);
  g_assert_no_error (error);
  while ((n = kantor_market_source_read (source, events, G_N_ELEMENTS (events), &error)) > 0)
    for (gsize i = 0; i < n; i++)
      kantor_collection_run_push (run, &events[i]);
  g_assert_no_error (error);
  stop (f, run);

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, exe, "--strategy", pump, "--data",
                           kantor_collection_run_get_path (run), "--json", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (proc) != 0)
    g_error ("kantor-backtest failed: %s", err);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  results = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (results, "events_processed"), ==, 30000);
}

static void
test_duration_completes (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(KantorCollectionRun) run = start (f, "1s", "BTCUSDT", NULL);

  g_assert_cmpint (kantor_collection_run_get_ends_at (run), ==,
                   kantor_collection_run_get_started_at (run) + 1000);
  WAIT_FOR (!kantor_collection_state_is_active (kantor_collection_run_get_state (run)));
  g_assert_cmpstr (kantor_collection_state_to_string (kantor_collection_run_get_state (run)), ==,
                   "completed");
  g_assert_cmpuint (kantor_collection_run_get_records_total (run), >, 0);
  g_assert_cmpuint (kantor_collection_run_get_pending (run), ==, 0);
  check_layout (run, "BTCUSDT");
}

static void
test_status_list (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(KantorCollectionRun) a = start (f, "1h", "BTCUSDT", NULL);
  g_autoptr(KantorCollectionRun) b = start (f, NULL, "ETHUSDT", NULL);
  g_autoptr(GPtrArray) runs = kantor_collection_manager_list (f->manager);
  g_autoptr(JsonObject) status = NULL;

  g_assert_cmpuint (runs->len, ==, 2);
  g_assert_true (runs->pdata[0] == a);
  g_assert_true (runs->pdata[1] == b);
  g_assert_true (kantor_collection_manager_lookup (f->manager, kantor_collection_run_get_id (b))
                 == b);
  g_assert_null (kantor_collection_manager_lookup (f->manager, "nope"));
  g_assert_cmpstr (kantor_collection_run_get_duration (b), ==, "1h");
  g_assert_cmpint (kantor_collection_run_get_duration_ms (b), ==, 3600000);

  WAIT_FOR (kantor_collection_run_get_records_total (a) > 0);
  status = kantor_collection_run_to_json (a);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "recording");
  g_assert_cmpint (json_object_get_int_member (status, "ends_at"), ==,
                   json_object_get_int_member (status, "started_at") + 3600000);
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (status, "records"), "BTCUSDT"), ==,
                   json_object_get_int_member (status, "records_total"));
  g_assert_cmpint (json_object_get_int_member (status, "bytes"), >, 0);
}

static void
test_validation (void)
{
  const char * const bad_durations[] = {
    "", "1", "h", "0s", "1x", "-1s", "1.5h", "1H", " 1h", "1h ", "99999999999999999999d",
    "continuous ", NULL
  };
  const char * const good[] = { "1s", "15m", "2h", "7d", "continuous", "0010s", NULL };
  const gint64 good_ms[] = { 1000, 900000, 7200000, 604800000, 0, 10000 };
  g_autoptr(GPtrArray) symbols = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) normalized = NULL;
  gint64 ms;

  for (guint i = 0; bad_durations[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (kantor_collection_parse_duration (bad_durations[i], &ms, &error));
      g_assert_error (error, KANTOR_COLLECTION_MANAGER_ERROR,
                      KANTOR_COLLECTION_MANAGER_ERROR_INVALID_DURATION);
    }
  for (guint i = 0; good[i] != NULL; i++)
    {
      g_assert_true (kantor_collection_parse_duration (good[i], &ms, NULL));
      g_assert_cmpint (ms, ==, good_ms[i]);
    }

  for (guint i = 0; i < 101; i++)
    g_ptr_array_add (symbols, g_strdup_printf ("sym%u", i));
  g_ptr_array_add (symbols, NULL);
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (kantor_collection_normalize_symbols (
                     (const char * const *) symbols->pdata, &error));
    g_assert_error (error, KANTOR_COLLECTION_MANAGER_ERROR,
                    KANTOR_COLLECTION_MANAGER_ERROR_INVALID_SYMBOLS);
  }
  /* 100 pass, upper-cased. */
  g_free (symbols->pdata[100]);
  symbols->pdata[100] = NULL;
  normalized = kantor_collection_normalize_symbols ((const char * const *) symbols->pdata, NULL);
  g_assert_nonnull (normalized);
  g_assert_cmpuint (g_strv_length (normalized), ==, 100);
  g_assert_cmpstr (normalized[99], ==, "SYM99");

  {
    const char * const bad[][3] = {
      { "BTC-USDT", NULL }, { "", NULL }, { "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", NULL },
    };
    const char * const none[] = { NULL };
    const char * const dup[] = { "btc", "BTC", "eth", NULL };
    g_auto(GStrv) deduped = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GError) error = NULL;

        g_assert_null (kantor_collection_normalize_symbols (bad[i], &error));
        g_assert_error (error, KANTOR_COLLECTION_MANAGER_ERROR,
                        KANTOR_COLLECTION_MANAGER_ERROR_INVALID_SYMBOLS);
      }
    g_assert_null (kantor_collection_normalize_symbols (none, NULL));
    deduped = kantor_collection_normalize_symbols (dup, NULL);
    g_assert_cmpuint (g_strv_length (deduped), ==, 2);
    g_assert_cmpstr (deduped[1], ==, "ETH");
  }
}

/* A data folder the run cannot write to: failed, an alert, and the other
 * runs carry on. */
static void
test_unwritable (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(KantorCollectionRun) good = start (f, "continuous", "BTCUSDT", NULL);
  g_autoptr(KantorCollectionRun) bad = NULL;
  g_autoptr(KantorCollectionManager) other = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *alert;
  guint64 before;

  WAIT_FOR (kantor_collection_run_get_records_total (good) > 0);

  g_assert_cmpint (g_chmod (f->data_dir, 0555), ==, 0);
  if (g_access (f->data_dir, W_OK) == 0)
    {
      /* Permissions do not bind this user (root): a second manager whose
       * data folder lies under a regular file fails the same way. */
      g_autofree char *blocker = g_build_filename (f->root, "blocker", NULL);
      g_autofree char *below = g_build_filename (blocker, "data", NULL);

      g_chmod (f->data_dir, 0755);
      g_file_set_contents (blocker, "", 0, &error);
      g_assert_no_error (error);
      other = kantor_collection_manager_new (f->store, f->feed, below);
      g_signal_connect (other, "collection-alert", G_CALLBACK (on_alert), f);
    }

  if (other != NULL)
    {
      const char * const symbols[] = { "ETHUSDT", NULL };

      bad = kantor_collection_manager_start (other, symbols, NULL, &error);
      g_assert_no_error (error);
    }
  else
    bad = start (f, "continuous", "ETHUSDT", NULL);
  WAIT_FOR (kantor_collection_run_get_state (bad) == KANTOR_COLLECTION_STATE_FAILED);
  g_assert_nonnull (kantor_collection_run_get_error_message (bad));
  g_assert_cmpuint (f->alerts->len, >=, 1);
  alert = f->alerts->pdata[f->alerts->len - 1];
  g_assert_cmpstr (json_object_get_string_member (alert, "alert"), ==, "collection_failed");
  g_assert_cmpstr (json_object_get_string_member (alert, "collection_id"), ==,
                   kantor_collection_run_get_id (bad));
  g_assert_cmpstr (json_object_get_string_member (alert, "error"), ==,
                   kantor_collection_run_get_error_message (bad));

  /* The other run carries on. */
  before = kantor_collection_run_get_records_total (good);
  WAIT_FOR (kantor_collection_run_get_records_total (good) > before);
  g_assert_cmpint (kantor_collection_run_get_state (good), ==, KANTOR_COLLECTION_STATE_RECORDING);
  if (other != NULL)
    kantor_collection_manager_shutdown (other);
}

/* A write that fails half-way (the disk is full; here the file size limit
 * stands in for it): the file is cut back to its last whole row, the run
 * fails with an alert. In a subprocess, since the limit is per process. */
static void
test_write_failure (Fixture       *f,
                    gconstpointer  data)
{
  const char * const symbols[] = { "AAAUSDT", NULL };
  const struct rlimit limit = { 256 * 1024, 256 * 1024 };
  g_autoptr(KantorCollectionRun) run = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(KantorMarketSource) replay = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prices = NULL;
  KantorMarketEvent events[512];
  guint64 pushed = 0, replayed = 0;
  JsonObject *alert;
  gsize n;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  signal (SIGXFSZ, SIG_IGN);   /* EFBIG from write() instead */
  run = kantor_collection_manager_start_recording (f->manager, symbols, "test", &error);
  g_assert_no_error (error);
  WAIT_FOR (kantor_collection_run_get_state (run) == KANTOR_COLLECTION_STATE_RECORDING);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  source = kantor_synthetic_source_new (symbols, 5, 1700000000000, 0, &error);
  g_assert_no_error (error);
  while (kantor_collection_run_get_state (run) == KANTOR_COLLECTION_STATE_RECORDING)
    {
      n = kantor_market_source_read (source, events, G_N_ELEMENTS (events), &error);
      g_assert_no_error (error);
      for (gsize i = 0; i < n; i++)
        kantor_collection_run_push (run, &events[i]);
      pushed += n;
      g_assert_cmpuint (pushed, <, 10000000);
      /* Batch by batch, so that some reach the disk whole. */
      WAIT_FOR (kantor_collection_run_get_pending (run) == 0);
    }
  g_assert_cmpint (kantor_collection_run_get_state (run), ==, KANTOR_COLLECTION_STATE_FAILED);
  g_assert_nonnull (strstr (kantor_collection_run_get_error_message (run), "cannot write"));
  g_assert_cmpuint (f->alerts->len, ==, 1);
  alert = f->alerts->pdata[0];
  g_assert_cmpstr (json_object_get_string_member (alert, "alert"), ==, "collection_failed");

  /* Only whole rows, all of them readable. */
  prices = read_file (kantor_collection_run_get_path (run), "AAAUSDT", "prices.csv");
  g_assert_true (g_str_has_suffix (prices, "\n"));
  g_assert_cmpuint (kantor_collection_run_get_records (run, "AAAUSDT"), >, 0);
  replay = kantor_collection_source_new (kantor_collection_run_get_path (run), NULL, &error);
  g_assert_no_error (error);
  while ((n = kantor_market_source_read (replay, events, G_N_ELEMENTS (events), &error)) > 0)
    replayed += n;
  g_assert_no_error (error);
  g_assert_cmpuint (replayed, ==, kantor_collection_run_get_records_total (run));
}

/* The server dies while a run records: after a restart the run is
 * interrupted and its files replay; a partial last line (power loss) is
 * cut off. */
static void
test_recovery (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(KantorCollectionRun) run = start (f, "continuous", "BTCUSDT", NULL);
  g_autofree char *id = g_strdup (kantor_collection_run_get_id (run));
  g_autofree char *path = g_strdup (kantor_collection_run_get_path (run));
  g_autofree char *prices_path = g_build_filename (path, "BTCUSDT", "prices.csv", NULL);
  g_autofree char *prices = NULL;
  g_autofree char *torn = NULL;
  g_autofree char *after = NULL;
  g_autoptr(KantorMarketSource) replay = NULL;
  g_autoptr(GError) error = NULL;
  KantorCollectionRun *restored;
  KantorMarketEvent events[256];
  guint64 replayed = 0;
  gsize n;

  WAIT_FOR (kantor_collection_run_get_records (run, "BTCUSDT") > 10);
  g_object_add_weak_pointer (G_OBJECT (run), (gpointer *) &run);
  g_object_unref (run);   /* the manager and the feed still hold it */
  close_manager (f);
  /* A batch in flight still holds it; its end lets it go. */
  WAIT_FOR (run == NULL);

  g_file_get_contents (prices_path, &prices, NULL, &error);
  g_assert_no_error (error);
  torn = g_strconcat (prices, "1800000000.5,12", NULL);
  g_file_set_contents (prices_path, torn, -1, &error);
  g_assert_no_error (error);

  g_test_expect_message ("kantor-service", G_LOG_LEVEL_WARNING, "*incomplete last line*");
  open_manager (f);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (kantor_collection_manager_get_n_interrupted (f->manager), ==, 1);
  restored = kantor_collection_manager_lookup (f->manager, id);
  g_assert_nonnull (restored);
  g_assert_cmpstr (kantor_collection_state_to_string (kantor_collection_run_get_state (restored)),
                   ==, "interrupted");
  g_file_get_contents (prices_path, &after, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (after, ==, prices);
  check_layout (restored, "BTCUSDT");

  replay = kantor_collection_source_new (path, NULL, &error);
  g_assert_no_error (error);
  while ((n = kantor_market_source_read (replay, events, G_N_ELEMENTS (events), &error)) > 0)
    replayed += n;
  g_assert_no_error (error);
  g_assert_cmpuint (replayed, ==, kantor_collection_run_get_records_total (restored));

  /* And a second restart keeps it as it is. */
  close_manager (f);
  open_manager (f);
  g_assert_cmpuint (kantor_collection_manager_get_n_interrupted (f->manager), ==, 0);
  restored = kantor_collection_manager_lookup (f->manager, id);
  g_assert_cmpint (kantor_collection_run_get_state (restored), ==,
                   KANTOR_COLLECTION_STATE_INTERRUPTED);
  g_assert_cmpuint (kantor_collection_run_get_records_total (restored), ==, replayed);
}

/* A clean shutdown writes everything out and marks the run interrupted. */
static void
test_shutdown (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(KantorCollectionRun) run = start (f, "continuous", "BTCUSDT", NULL);
  g_autofree char *id = g_strdup (kantor_collection_run_get_id (run));
  guint64 total;

  WAIT_FOR (kantor_collection_run_get_records_total (run) > 0);
  kantor_collection_manager_shutdown (f->manager);
  g_assert_cmpint (kantor_collection_run_get_state (run), ==, KANTOR_COLLECTION_STATE_INTERRUPTED);
  g_assert_cmpuint (kantor_collection_run_get_pending (run), ==, 0);
  check_layout (run, "BTCUSDT");
  total = kantor_collection_run_get_records_total (run);

  close_manager (f);
  open_manager (f);
  g_assert_cmpuint (kantor_collection_manager_get_n_interrupted (f->manager), ==, 0);
  g_assert_cmpuint (kantor_collection_run_get_records_total (
                      kantor_collection_manager_lookup (f->manager, id)), ==, total);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/service/collection/writer-format", test_writer_format);
  g_test_add_func ("/kantor/service/collection/validation", test_validation);
  g_test_add ("/kantor/service/collection/layout-and-stop", Fixture, NULL, fixture_setup,
              test_layout_and_stop, fixture_teardown);
  g_test_add ("/kantor/service/collection/round-trip", Fixture, NULL, fixture_setup,
              test_round_trip, fixture_teardown);
  g_test_add ("/kantor/service/collection/flush-latency", Fixture, NULL, fixture_setup,
              test_flush_latency, fixture_teardown);
  g_test_add ("/kantor/service/collection/backtest-cli", Fixture, NULL, fixture_setup,
              test_backtest_cli, fixture_teardown);
  g_test_add ("/kantor/service/collection/duration", Fixture, NULL, fixture_setup,
              test_duration_completes, fixture_teardown);
  g_test_add ("/kantor/service/collection/status-list", Fixture, NULL, fixture_setup,
              test_status_list, fixture_teardown);
  g_test_add ("/kantor/service/collection/unwritable", Fixture, NULL, fixture_setup,
              test_unwritable, fixture_teardown);
  g_test_add ("/kantor/service/collection/write-failure", Fixture, NULL, fixture_setup,
              test_write_failure, fixture_teardown);
  g_test_add ("/kantor/service/collection/recovery", Fixture, NULL, fixture_setup,
              test_recovery, fixture_teardown);
  g_test_add ("/kantor/service/collection/shutdown", Fixture, NULL, fixture_setup,
              test_shutdown, fixture_teardown);

  return g_test_run ();
}
