/* bench-strategies.c: the strategy manager and the market feed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints one JSON object per line:
 *   strategy_manager_dispatch  the three example strategies on one symbol,
 *                              driven through kantor_strategy_manager_push_event();
 *                              the reference drives the same activations
 *                              directly (one indicator set, three bare
 *                              activations), so the ratio is the manager's
 *                              overhead (1.0 = none)
 *   strategy_upsert            blocking upserts of one document (validation,
 *                              atomic write with two fsyncs, version record)
 *   market_feed_synthetic      events the synthetic feed delivers on the main
 *                              loop with pacing lifted, over several symbols
 */

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "kantor-strategy-manager.h"
#include "kantor-synthetic-source.h"

#define N_EVENTS (1u << 18)

static const char *examples[] = { "ema_macd_trend", "pump_rider", "rsi_mean_reversion" };

static void
count_signal (const KantorSignal *signal,
              gpointer            user_data)
{
  (*(guint64 *) user_data)++;
}

static KantorMarketEvent *
make_events (void)
{
  const char *symbols[] = { "BTCUSDT", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source =
    kantor_synthetic_source_new (symbols, 1, KANTOR_SYNTHETIC_DEFAULT_START_MS, N_EVENTS, &error);
  KantorMarketEvent *events = g_new (KantorMarketEvent, N_EVENTS);
  gsize n = 0;

  g_assert_no_error (error);
  while (n < N_EVENTS)
    {
      gsize got = kantor_market_source_read (source, events + n, N_EVENTS - n, &error);

      g_assert_no_error (error);
      g_assert (got > 0);
      n += got;
    }
  return events;
}

static double
run_reference (KantorStrategyManager   *manager,
               const KantorMarketEvent *events)
{
  KantorIndicatorSet *set = kantor_indicator_set_new ();
  KantorActivation *acts[G_N_ELEMENTS (examples)];
  KantorExecutionHooks hooks = { count_signal, NULL };
  KantorQuote quote = { 0 };
  guint64 n_signals = 0;
  gint64 start;
  double seconds;

  for (guint i = 0; i < G_N_ELEMENTS (examples); i++)
    {
      g_autoptr(KantorStrategy) strategy = kantor_strategy_manager_lookup (manager, examples[i]);

      acts[i] = kantor_activation_new (strategy, g_intern_string ("BTCUSDT"), set, &hooks,
                                       &n_signals);
    }
  start = g_get_monotonic_time ();
  for (guint e = 0; e < N_EVENTS; e++)
    {
      kantor_indicator_set_update (set, &events[e]);
      kantor_quote_update (&quote, &events[e]);
      for (guint i = 0; i < G_N_ELEMENTS (examples); i++)
        kantor_activation_on_event (acts[i], &events[e], &quote);
    }
  seconds = (g_get_monotonic_time () - start) / 1e6;
  for (guint i = 0; i < G_N_ELEMENTS (examples); i++)
    kantor_activation_free (acts[i]);
  kantor_indicator_set_free (set);
  return seconds;
}

static double
run_manager (KantorStrategyManager   *manager,
             const KantorMarketEvent *events)
{
  g_autoptr(GError) error = NULL;
  gint64 start;
  double seconds;

  for (guint i = 0; i < G_N_ELEMENTS (examples); i++)
    if (!kantor_strategy_manager_activate (manager, examples[i], "BTCUSDT", NULL, &error))
      g_error ("%s", error->message);
  start = g_get_monotonic_time ();
  for (guint e = 0; e < N_EVENTS; e++)
    kantor_strategy_manager_push_event (manager, &events[e]);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  kantor_strategy_manager_deactivate_owner (manager, NULL);
  return seconds;
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
bench_upsert (KantorStrategyManager *manager,
              guint                  rounds)
{
  g_autoptr(KantorStrategy) strategy = kantor_strategy_manager_lookup (manager, "pump_rider");
  g_autoptr(JsonNode) doc = kantor_strategy_to_json (strategy);
  g_autofree double *ms = g_new (double, rounds);
  guint version = 0;

  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();

      if (!kantor_strategy_manager_upsert (manager, doc, NULL, NULL, &version, &error))
        g_error ("%s", error->message);
      ms[i] = (g_get_monotonic_time () - start) / 1e3;
    }
  qsort (ms, rounds, sizeof (double), compare_double);
  printf ("{\"name\": \"strategy_upsert\", \"rounds\": %u, \"median_ms\": %.3f, "
          "\"p95_ms\": %.3f, \"last_version\": %u}\n",
          rounds, ms[rounds / 2], ms[(rounds * 95) / 100], version);
}

static void
on_feed_event (KantorMarketFeed        *feed,
               const KantorMarketEvent *event,
               gpointer                 user_data)
{
  (*(guint64 *) user_data)++;
}

static void
bench_feed (void)
{
  const char *symbols[] = { "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT",
                            "ADAUSDT", "DOGEUSDT", "BNBUSDT", "LTCUSDT" };
  g_autoptr(KantorMarketFeed) feed = kantor_market_feed_new_synthetic (3);
  guint ids[G_N_ELEMENTS (symbols)];
  guint64 n = 0;
  gint64 start, end;

  /* Far beyond any real pace: what is measured is delivery itself. */
  kantor_market_feed_set_speed (feed, 1e9);
  for (guint i = 0; i < G_N_ELEMENTS (symbols); i++)
    ids[i] = kantor_market_feed_subscribe (feed, symbols[i], on_feed_event, &n, NULL);
  start = g_get_monotonic_time ();
  end = start + G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  printf ("{\"name\": \"market_feed_synthetic\", \"symbols\": %u, \"events\": %" G_GUINT64_FORMAT
          ", \"events_per_s\": %.0f}\n", (guint) G_N_ELEMENTS (symbols), n,
          n / ((g_get_monotonic_time () - start) / 1e6));
  for (guint i = 0; i < G_N_ELEMENTS (symbols); i++)
    kantor_market_feed_unsubscribe (feed, ids[i]);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  if (dir != NULL)
    g_rmdir (path);
  else
    g_remove (path);
}

static void
quiet (const char     *log_domain,
       GLogLevelFlags  log_level,
       const char     *message,
       gpointer        user_data)
{
}

int
main (int   argc,
      char *argv[])
{
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 5;
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("bench-strategies-XXXXXX", &error);
  g_autofree char *dir = NULL;
  g_autoptr(KantorStrategyManager) manager = NULL;
  g_autofree KantorMarketEvent *events = NULL;
  double best_ref = G_MAXDOUBLE, best_mgr = G_MAXDOUBLE;

  g_assert_no_error (error);
  /* One line per upsert would drown the figures. */
  g_log_set_handler ("kantor-service", G_LOG_LEVEL_MESSAGE, quiet, NULL);
  dir = g_build_filename (root, "strategies", NULL);
  manager = kantor_strategy_manager_new (dir, NULL, &error);
  g_assert_no_error (error);
  events = make_events ();

  if (rounds < 1)
    rounds = 1;
  for (guint r = 0; r < rounds; r++)
    {
      best_mgr = MIN (best_mgr, run_manager (manager, events));
      best_ref = MIN (best_ref, run_reference (manager, events));
    }
  printf ("{\"name\": \"strategy_manager_dispatch\", \"events\": %u, \"activations\": %u, "
          "\"events_per_s\": %.0f, \"reference_events_per_s\": %.0f, \"ratio\": %.3f}\n",
          N_EVENTS, (guint) G_N_ELEMENTS (examples), N_EVENTS / best_mgr, N_EVENTS / best_ref,
          best_ref / best_mgr);

  bench_upsert (manager, 50);
  bench_feed ();

  g_clear_object (&manager);
  remove_tree (root);
  return 0;
}
