/* bench-engine.c: engine throughput, memory, and a collection writer for
 * the end-to-end figure
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-engine throughput EVENTS STRATEGY.json
 *       synthetic trades through the strategy, one thread: JSON on stdout
 *   bench-engine write-collection DIR EVENTS [trades-only]
 *       writes DIR/BTCUSDT/{prices,orderbook}.csv from the synthetic feed
 *       (only prices.csv with trades-only: the book updates are skipped)
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kantor-engine.h"
#include "kantor-synthetic-source.h"

#define BATCH 512

static long
peak_rss_kb (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/* CPU time of this thread: the machine may be shared, and wall time then
 * measures the neighbours too. */
static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static KantorStrategy *
load_strategy (const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  KantorStrategy *strategy;

  if (!g_file_get_contents (path, &text, NULL, &error))
    g_error ("%s", error->message);
  strategy = kantor_strategy_new_from_data (text, -1, NULL);
  if (strategy == NULL)
    g_error ("%s: not a valid strategy", path);
  return strategy;
}

static int
throughput (guint64     n_events,
            const char *strategy_path)
{
  const char *symbols[] = { "BTCUSDT", NULL };
  g_autoptr(KantorStrategy) strategy = load_strategy (strategy_path);
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(KantorMarketSource) raw = NULL;
  g_autoptr(KantorEngine) engine = kantor_engine_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree KantorMarketEvent *batch = g_new (KantorMarketEvent, BATCH);
  KantorMetrics metrics;
  gint64 start;
  double engine_s, cpu_start, source_cpu_s, engine_cpu_s, engine_only_cpu_s;
  long rss_kb;
  guint64 n_trades = 0, left;

  /* The feed alone, for context: what generating the events costs. */
  raw = kantor_synthetic_source_new (symbols, 1, KANTOR_SYNTHETIC_DEFAULT_START_MS, n_events,
                                     &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  cpu_start = cpu_seconds ();
  for (left = n_events; left > 0;)
    {
      gsize n = kantor_market_source_read (raw, batch, BATCH, NULL);

      for (gsize i = 0; i < n; i++)
        n_trades += batch[i].kind == KANTOR_EVENT_TRADE;
      left -= n;
    }
  source_cpu_s = cpu_seconds () - cpu_start;

  source = kantor_synthetic_source_new (symbols, 1, KANTOR_SYNTHETIC_DEFAULT_START_MS, n_events,
                                        &error);
  g_assert_no_error (error);
  if (!kantor_engine_add_activation (engine, strategy, "BTCUSDT", &error))
    g_error ("%s", error->message);

  start = g_get_monotonic_time ();
  cpu_start = cpu_seconds ();
  if (!kantor_engine_run (engine, source, G_MININT64, G_MAXINT64, NULL, &error))
    g_error ("%s", error->message);
  kantor_engine_finish (engine);
  engine_s = (g_get_monotonic_time () - start) / 1e6;
  engine_cpu_s = cpu_seconds () - cpu_start;

  /* Before a second engine exists: the figure is one backtest's. */
  rss_kb = peak_rss_kb ();

  /* The engine alone: the same events, generated outside the timed
   * part. A backtest over recorded data pays for reading them instead
   * (see the end-to-end figures), so this is the engine's own rate. */
  {
    g_autoptr(KantorEngine) alone = kantor_engine_new (NULL);
    g_autoptr(KantorMarketSource) again = NULL;

    again = kantor_synthetic_source_new (symbols, 1, KANTOR_SYNTHETIC_DEFAULT_START_MS,
                                         n_events, &error);
    g_assert_no_error (error);
    if (!kantor_engine_add_activation (alone, strategy, "BTCUSDT", &error))
      g_error ("%s", error->message);

    engine_only_cpu_s = 0;
    for (left = n_events; left > 0;)
      {
        gsize n = kantor_market_source_read (again, batch, BATCH, NULL);

        cpu_start = cpu_seconds ();
        for (gsize i = 0; i < n; i++)
          kantor_engine_process_event (alone, &batch[i]);
        engine_only_cpu_s += cpu_seconds () - cpu_start;
        left -= n;
      }
    kantor_engine_finish (alone);
    /* Same events, same strategy: the same fills, or the figure is void. */
    g_assert_cmpstr (kantor_ledger_get_results_hash (kantor_engine_get_ledger (alone)), ==,
                     kantor_ledger_get_results_hash (kantor_engine_get_ledger (engine)));
  }

  kantor_ledger_get_metrics (kantor_engine_get_ledger (engine), &metrics);
  g_print ("{\"events\":%" G_GUINT64_FORMAT ",\"trades\":%" G_GUINT64_FORMAT ","
           "\"elapsed_s\":%.3f,\"cpu_s\":%.3f,\"events_per_s\":%.0f,"
           "\"events_per_cpu_s\":%.0f,\"engine_only_events_per_cpu_s\":%.0f,"
           "\"source_events_per_cpu_s\":%.0f,"
           "\"signals\":%" G_GUINT64_FORMAT ",\"fills\":%" G_GUINT64_FORMAT ","
           "\"peak_rss_kb\":%ld,\"results_hash\":\"%s\"}\n",
           kantor_engine_get_n_events (engine), n_trades, engine_s, engine_cpu_s,
           n_events / engine_s, n_events / engine_cpu_s, n_events / engine_only_cpu_s,
           n_events / source_cpu_s,
           metrics.signals_detected, metrics.orders_filled, rss_kb,
           kantor_ledger_get_results_hash (kantor_engine_get_ledger (engine)));
  return 0;
}

/* Writes @v with the fewest decimals that read back to it (up to 12),
 * without printf: the synthetic prices and sizes are short decimals. */
static void
put_decimal (GString *out,
             double   v)
{
  static const double powers[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                   1e12 };
  char digits[32];
  guint d, n = 0;
  guint64 scaled;

  for (d = 0; d < G_N_ELEMENTS (powers) - 1; d++)
    if (round (v * powers[d]) / powers[d] == v)
      break;

  scaled = (guint64) llround (v * powers[d]);
  do
    {
      digits[n++] = '0' + scaled % 10;
      scaled /= 10;
    }
  while (scaled > 0 || n <= d);

  while (n > d)
    g_string_append_c (out, digits[--n]);
  if (d > 0)
    {
      g_string_append_c (out, '.');
      while (n > 0)
        g_string_append_c (out, digits[--n]);
    }
}

static void
put_time (GString *out,
          gint64   time_ms)
{
  g_string_append_printf (out, "%" G_GINT64_FORMAT ".%03d", time_ms / 1000,
                          (int) (time_ms % 1000));
}

static int
write_collection (const char *dir,
                  guint64     n_events,
                  gboolean    trades_only)
{
  const char *symbols[] = { "BTCUSDT", NULL };
  g_autofree char *sym_dir = g_build_filename (dir, "BTCUSDT", NULL);
  g_autofree char *prices_path = g_build_filename (sym_dir, "prices.csv", NULL);
  g_autofree char *book_path = g_build_filename (sym_dir, "orderbook.csv", NULL);
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) prices = g_string_new ("timestamp,price,volume,quote_volume\n");
  g_autoptr(GString) book = g_string_new (
    "timestamp,bid_price_1,bid_qty_1,bid_price_2,bid_qty_2,bid_price_3,bid_qty_3,"
    "ask_price_1,ask_qty_1,ask_price_2,ask_qty_2,ask_price_3,ask_qty_3,best_bid,best_ask,"
    "spread\n");
  g_autofree KantorMarketEvent *batch = g_new (KantorMarketEvent, BATCH);
  FILE *prices_file, *book_file;
  guint64 n_trades = 0, n_books = 0;
  gsize n;

  if (g_mkdir_with_parents (sym_dir, 0755) != 0)
    g_error ("%s: cannot create", sym_dir);
  prices_file = fopen (prices_path, "w");
  book_file = fopen (trades_only ? "/dev/null" : book_path, "w");
  if (prices_file == NULL || book_file == NULL)
    g_error ("%s: cannot write", sym_dir);

  source = kantor_synthetic_source_new (symbols, 1, KANTOR_SYNTHETIC_DEFAULT_START_MS, n_events,
                                        &error);
  g_assert_no_error (error);

  while ((n = kantor_market_source_read (source, batch, BATCH, NULL)) > 0)
    {
      for (gsize i = 0; i < n; i++)
        {
          const KantorMarketEvent *ev = &batch[i];

          if (ev->kind == KANTOR_EVENT_TRADE)
            {
              put_time (prices, ev->time_ms);
              g_string_append_c (prices, ',');
              put_decimal (prices, ev->price);
              g_string_append_c (prices, ',');
              put_decimal (prices, ev->volume);
              g_string_append_c (prices, ',');
              /* Rounded to the cent: a derived column the replay checks
               * only for being a finite number >= 0. */
              put_decimal (prices, round (ev->price * ev->volume * 100) / 100);
              g_string_append_c (prices, '\n');
              n_trades++;
            }
          else if (!trades_only)
            {
              put_time (book, ev->time_ms);
              for (guint l = 0; l < KANTOR_BOOK_LEVELS; l++)
                {
                  g_string_append_c (book, ',');
                  put_decimal (book, ev->bids[l].price);
                  g_string_append_c (book, ',');
                  put_decimal (book, ev->bids[l].qty);
                }
              for (guint l = 0; l < KANTOR_BOOK_LEVELS; l++)
                {
                  g_string_append_c (book, ',');
                  put_decimal (book, ev->asks[l].price);
                  g_string_append_c (book, ',');
                  put_decimal (book, ev->asks[l].qty);
                }
              g_string_append_c (book, ',');
              put_decimal (book, ev->bids[0].price);
              g_string_append_c (book, ',');
              put_decimal (book, ev->asks[0].price);
              g_string_append_c (book, ',');
              put_decimal (book, (round ((ev->asks[0].price - ev->bids[0].price) * 1e8)) / 1e8);
              g_string_append_c (book, '\n');
              n_books++;
            }
        }

      if (prices->len > (1 << 20))
        {
          fwrite (prices->str, 1, prices->len, prices_file);
          g_string_truncate (prices, 0);
        }
      if (book->len > (1 << 20))
        {
          fwrite (book->str, 1, book->len, book_file);
          g_string_truncate (book, 0);
        }
    }

  fwrite (prices->str, 1, prices->len, prices_file);
  fwrite (book->str, 1, book->len, book_file);
  if (fclose (prices_file) != 0 || fclose (book_file) != 0)
    g_error ("%s: writing failed", sym_dir);

  g_print ("{\"events\":%" G_GUINT64_FORMAT ",\"trades\":%" G_GUINT64_FORMAT ","
           "\"books\":%" G_GUINT64_FORMAT "}\n", n_trades + n_books, n_trades, n_books);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  guint64 n;

  if (argc == 4 && strcmp (argv[1], "throughput") == 0
      && g_ascii_string_to_unsigned (argv[2], 10, 1, G_MAXUINT64, &n, NULL))
    return throughput (n, argv[3]);
  if ((argc == 4 || (argc == 5 && strcmp (argv[4], "trades-only") == 0))
      && strcmp (argv[1], "write-collection") == 0
      && g_ascii_string_to_unsigned (argv[3], 10, 1, G_MAXUINT64, &n, NULL))
    return write_collection (argv[2], n, argc == 5);

  g_printerr ("usage: bench-engine throughput EVENTS STRATEGY.json\n"
              "       bench-engine write-collection DIR EVENTS [trades-only]\n");
  return 2;
}
