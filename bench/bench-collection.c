/* bench-collection.c: recording throughput of one collection run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-collection [EVENTS [SYMBOLS [RATE]]]
 *
 * Pushes EVENTS synthetic market events (default 5 000 000) into one run
 * from the main loop, with flushing on as in the daemon, then stops the run
 * (its last rows on disk). Without RATE as fast as it goes, in slices of a
 * couple of milliseconds; with RATE (events/s) paced like a live feed, a
 * millisecond tick pushing what is due. A timer
 * stands in for a client's heartbeat and measures how late the main loop
 * answers it. Prints one JSON object: events/s, bytes per event on disk,
 * the heartbeat's worst and 99th percentile lateness.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <glib/gstdio.h>

#include "kantor-collection-manager.h"
#include "kantor-synthetic-source.h"

/* Distinct events generated once and replayed with shifted times. */
#define POOL      (256 * 1024)
#define SLICE     2000
#define HEARTBEAT_MS 5

typedef struct
{
  KantorCollectionRun *run;
  KantorMarketEvent   *pool;
  gsize                pool_len;
  gint64               pool_span_ms;
  guint64              target;
  double               rate;          /* 0: as fast as possible */
  gint64               start_us;
  gint64               push_cpu_ns;   /* main-loop CPU time spent pushing */
  guint64              pushed;
  gboolean             done;

  gint64               last_beat_us;
  GArray              *lateness_us;   /* gint64 */
} Bench;

static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gboolean
push_slice (gpointer user_data)
{
  Bench *b = user_data;
  gint64 cpu0 = thread_cpu_ns ();

  for (guint i = 0; i < SLICE && b->pushed < b->target; i++, b->pushed++)
    {
      KantorMarketEvent ev = b->pool[b->pushed % b->pool_len];

      ev.time_ms += (gint64) (b->pushed / b->pool_len) * b->pool_span_ms;
      kantor_collection_run_push (b->run, &ev);
    }
  b->push_cpu_ns += thread_cpu_ns () - cpu0;
  return b->pushed < b->target ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
push_due (gpointer user_data)
{
  Bench *b = user_data;
  guint64 due = (guint64) ((g_get_monotonic_time () - b->start_us) * b->rate / 1e6);
  gint64 cpu0 = thread_cpu_ns ();

  /* Behind schedule, a tick still does one slice only: catching up must
   * not starve the rest of the loop either. */
  due = MIN (MIN (due, b->target), b->pushed + SLICE);
  for (; b->pushed < due; b->pushed++)
    {
      KantorMarketEvent ev = b->pool[b->pushed % b->pool_len];

      ev.time_ms += (gint64) (b->pushed / b->pool_len) * b->pool_span_ms;
      kantor_collection_run_push (b->run, &ev);
    }
  b->push_cpu_ns += thread_cpu_ns () - cpu0;
  return b->pushed < b->target ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
heartbeat (gpointer user_data)
{
  Bench *b = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 late = now - b->last_beat_us - HEARTBEAT_MS * 1000;

  g_array_append_val (b->lateness_us, late);
  b->last_beat_us = now;
  return G_SOURCE_CONTINUE;
}

static void
stopped (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Bench *b = user_data;
  g_autoptr(KantorCollectionRun) run = NULL;
  g_autoptr(GError) error = NULL;

  run = kantor_collection_manager_stop_finish (KANTOR_COLLECTION_MANAGER (source), result, &error);
  if (run == NULL)
    g_error ("stop: %s", error->message);
  b->done = TRUE;
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
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

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_remove (child);
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  guint64 n_events = argc > 1 ? g_ascii_strtoull (argv[1], NULL, 10) : 5000000;
  guint n_symbols = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 1;
  double rate = argc > 3 ? g_ascii_strtod (argv[3], NULL) : 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("kantor-bench-collection-XXXXXX", &error);
  g_autofree char *db = NULL;
  g_autofree char *data = NULL;
  g_autoptr(KantorStore) store = NULL;
  g_autoptr(KantorMarketFeed) feed = NULL;
  g_autoptr(KantorCollectionManager) manager = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GPtrArray) symbols = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) lateness = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) baseline = g_array_new (FALSE, FALSE, sizeof (gint64));
  Bench b = { 0 };
  gint64 t0, t1;
  gsize n;
  double seconds, p99, worst, base_p99;
  guint64 records, bytes;

  if (root == NULL || n_events == 0 || n_symbols == 0 || n_symbols > 100)
    {
      fprintf (stderr, "usage: bench-collection [EVENTS [SYMBOLS (1-100) [RATE]]]\n");
      return 2;
    }
  db = g_build_filename (root, "kantor.db", NULL);
  data = g_build_filename (root, "data", NULL);
  store = kantor_store_new (db, &error);
  g_assert_no_error (error);
  feed = kantor_market_feed_new_synthetic (1);
  manager = kantor_collection_manager_new (store, feed, data);

  for (guint i = 0; i < n_symbols; i++)
    g_ptr_array_add (symbols, n_symbols == 1 ? g_strdup ("BTCUSDT")
                                             : g_strdup_printf ("SYM%03u", i));
  g_ptr_array_add (symbols, NULL);

  b.pool = g_new (KantorMarketEvent, POOL);
  source = kantor_synthetic_source_new ((const char * const *) symbols->pdata, 42,
                                        KANTOR_SYNTHETIC_DEFAULT_START_MS, POOL, &error);
  g_assert_no_error (error);
  while (b.pool_len < POOL &&
         (n = kantor_market_source_read (source, b.pool + b.pool_len, POOL - b.pool_len,
                                         &error)) > 0)
    b.pool_len += n;
  g_assert_no_error (error);
  b.pool_span_ms = b.pool[b.pool_len - 1].time_ms - b.pool[0].time_ms + 1;

  b.run = kantor_collection_manager_start_recording (manager,
                                                     (const char * const *) symbols->pdata,
                                                     "bench", &error);
  g_assert_no_error (error);
  while (kantor_collection_run_get_state (b.run) == KANTOR_COLLECTION_STATE_STARTING)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (kantor_collection_run_get_state (b.run), ==,
                   KANTOR_COLLECTION_STATE_RECORDING);

  /* The same heartbeat with nothing recorded: what the machine itself
   * adds (other processes, timer slack). */
  b.lateness_us = baseline;
  b.last_beat_us = g_get_monotonic_time ();
  g_timeout_add (HEARTBEAT_MS, heartbeat, &b);
  t0 = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < t0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove_by_user_data (&b);

  b.target = n_events;
  b.lateness_us = lateness;
  b.last_beat_us = g_get_monotonic_time ();
  t0 = g_get_monotonic_time ();
  b.start_us = t0;
  b.rate = rate;
  g_timeout_add (HEARTBEAT_MS, heartbeat, &b);
  if (rate > 0)
    g_timeout_add (1, push_due, &b);
  else
    g_idle_add (push_slice, &b);
  while (b.pushed < b.target)
    g_main_context_iteration (NULL, TRUE);
  kantor_collection_manager_stop_async (manager, kantor_collection_run_get_id (b.run), stopped,
                                        &b);
  while (!b.done)
    g_main_context_iteration (NULL, TRUE);
  t1 = g_get_monotonic_time ();
  g_source_remove_by_user_data (&b);

  g_assert_cmpint (kantor_collection_run_get_state (b.run), ==, KANTOR_COLLECTION_STATE_STOPPED);
  records = kantor_collection_run_get_records_total (b.run);
  bytes = kantor_collection_run_get_bytes (b.run);
  g_assert_cmpuint (records, ==, n_events);

  g_array_sort (lateness, compare_int64);
  worst = lateness->len > 0 ? g_array_index (lateness, gint64, lateness->len - 1) / 1000.0 : 0;
  p99 = lateness->len > 0 ? g_array_index (lateness, gint64, lateness->len * 99 / 100) / 1000.0
                          : 0;
  g_array_sort (baseline, compare_int64);
  base_p99 = baseline->len > 0 ? g_array_index (baseline, gint64, baseline->len * 99 / 100) / 1000.0
                               : 0;
  seconds = (t1 - t0) / 1e6;
  printf ("{\"bench\":\"collection-record\",\"offered_rate\":%.0f,\"symbols\":%u,"
          "\"events\":%" G_GUINT64_FORMAT ",\"seconds\":%.3f,\"events_per_s\":%.0f,"
          "\"goal_events_per_s\":1000000,\"ratio_to_goal\":%.2f,"
          "\"main_loop_ns_per_event\":%.0f,\"bytes_per_event\":%.1f,\"heartbeat_p99_late_ms\":%.2f,"
          "\"heartbeat_max_late_ms\":%.2f,\"heartbeat_idle_p99_late_ms\":%.2f,"
          "\"heartbeat_goal_ms\":5}\n",
          rate, n_symbols, n_events, seconds, n_events / seconds, n_events / seconds / 1e6,
          (double) b.push_cpu_ns / (double) n_events,
          (double) bytes / (double) records, p99, worst, base_p99);

  kantor_collection_manager_shutdown (manager);
  g_clear_object (&b.run);
  g_clear_object (&manager);
  kantor_store_close (store);
  g_free (b.pool);
  remove_tree (root);
  return 0;
}
