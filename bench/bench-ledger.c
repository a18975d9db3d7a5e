/* bench-ledger.c: the ledger's per-event and per-order costs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints one JSON object per line:
 *   ledger_mark        kantor_ledger_mark() (best of three runs) over a replay of trades and book
 *                      updates on 8 symbols, half of them holding two open
 *                      positions (one LONG, one SHORT)
 *   ledger_mark_index  the same through a registered symbol index
 *   ledger_mark_flat   the same with no position open
 *   ledger_execute     open/close round trips through kantor_ledger_execute()
 */

#include "config.h"

#include <stdio.h>

#include "kantor-ledger.h"

#define N_SYMBOLS 8
#define N_EVENTS  (1u << 18)

static const char *symbol_names[N_SYMBOLS] = {
  "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "ADAUSDT", "DOGEUSDT", "AVAXUSDT",
};

static KantorMarketEvent *
make_events (guint *indices)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  KantorMarketEvent *events = g_new0 (KantorMarketEvent, N_EVENTS);
  double prices[N_SYMBOLS];

  for (guint s = 0; s < N_SYMBOLS; s++)
    prices[s] = 10.0 * (s + 1);

  for (guint i = 0; i < N_EVENTS; i++)
    {
      guint s = g_rand_int_range (rand, 0, N_SYMBOLS);
      KantorMarketEvent *event = &events[i];

      prices[s] *= 1 + (g_rand_double (rand) - 0.5) * 0.001;
      event->time_ms = 1700000000000 + i;
      event->symbol = g_intern_string (symbol_names[s]);
      indices[i] = s;
      if (g_rand_double (rand) < 0.3)
        {
          event->kind = KANTOR_EVENT_BOOK;
          event->bids[0] = (KantorBookLevel) { prices[s] * 0.9999, 1 };
          event->asks[0] = (KantorBookLevel) { prices[s] * 1.0001, 1 };
        }
      else
        {
          event->kind = KANTOR_EVENT_TRADE;
          event->price = prices[s];
          event->volume = 1;
        }
    }

  return events;
}

static KantorLedger *
make_ledger (gboolean with_positions)
{
  KantorLedger *ledger = kantor_ledger_new (NULL);

  for (guint s = 0; s < N_SYMBOLS; s++)
    {
      KantorMarketEvent event = { 0, };

      kantor_ledger_add_symbol (ledger, symbol_names[s]);
      event.kind = KANTOR_EVENT_TRADE;
      event.symbol = g_intern_string (symbol_names[s]);
      event.price = 10.0 * (s + 1);
      event.volume = 1;
      kantor_ledger_mark (ledger, &event);
    }

  for (guint s = 0; with_positions && s < N_SYMBOLS; s += 2)
    {
      KantorOrderRequest request = { 0, };
      KantorFill fill;

      request.symbol = g_intern_string (symbol_names[s]);
      request.closing = FALSE;
      request.reason = KANTOR_SIGNAL_Z1_ENTRY;
      request.size_kind = KANTOR_SIZE_FIXED_QUOTE;
      request.size_value = 100;

      request.strategy = g_intern_string ("long");
      request.side = KANTOR_SIDE_BUY;
      if (!kantor_ledger_execute (ledger, &request, NULL, &fill))
        g_error ("could not open a position");
      request.strategy = g_intern_string ("short");
      request.side = KANTOR_SIDE_SELL;
      if (!kantor_ledger_execute (ledger, &request, NULL, &fill))
        g_error ("could not open a position");
    }

  return ledger;
}

static void
report (const char *name,
        const char *what,
        guint64     count,
        double      seconds)
{
  printf ("{\"bench\":\"%s\",\"%s\":%" G_GUINT64_FORMAT ",\"seconds\":%.6f,"
          "\"per_second\":%.0f,\"ns_each\":%.2f}\n",
          name, what, count, seconds, (double) count / seconds, seconds * 1e9 / (double) count);
}

/* Best of three runs: the machine is shared, the minimum is the cost. */
static void
bench_mark (const char              *name,
            const KantorMarketEvent *events,
            const guint             *indices,
            gboolean                 with_positions,
            gboolean                 by_index,
            guint                    rounds)
{
  double best = G_MAXDOUBLE;

  for (guint run = 0; run < 3; run++)
    {
      g_autoptr(KantorLedger) ledger = make_ledger (with_positions);
      g_autoptr(GTimer) timer = NULL;
      KantorMetrics m;

      timer = g_timer_new ();
      for (guint r = 0; r < rounds; r++)
        {
          if (by_index)
            for (guint i = 0; i < N_EVENTS; i++)
              kantor_ledger_mark_index (ledger, indices[i], &events[i]);
          else
            for (guint i = 0; i < N_EVENTS; i++)
              kantor_ledger_mark (ledger, &events[i]);
        }
      g_timer_stop (timer);
      best = MIN (best, g_timer_elapsed (timer, NULL));

      /* Read the result, so the work cannot be skipped, and check it. */
      kantor_ledger_get_metrics (ledger, &m);
      if (m.ticks_processed != (guint64) N_EVENTS * rounds + N_SYMBOLS)
        g_error ("ticks_processed %" G_GUINT64_FORMAT " is wrong", m.ticks_processed);
    }

  report (name, "events", (guint64) N_EVENTS * rounds, best);
}

static void
bench_execute (guint round_trips)
{
  g_autoptr(KantorLedger) ledger = kantor_ledger_new (NULL);
  g_autoptr(GTimer) timer = NULL;
  KantorQuote quote = { 0, 100, 99.99, 100.01 };
  KantorOrderRequest open_request = { 0, };
  KantorOrderRequest close_request = { 0, };
  KantorFill fill;

  open_request.strategy = g_intern_string ("s");
  open_request.symbol = g_intern_string ("BTCUSDT");
  open_request.side = KANTOR_SIDE_BUY;
  open_request.reason = KANTOR_SIGNAL_Z1_ENTRY;
  open_request.size_kind = KANTOR_SIZE_FIXED_QUOTE;
  open_request.size_value = 1;
  close_request = open_request;
  close_request.side = KANTOR_SIDE_SELL;
  close_request.closing = TRUE;
  close_request.reason = KANTOR_SIGNAL_ZE1_CLOSE;

  timer = g_timer_new ();
  for (guint i = 0; i < round_trips; i++)
    {
      open_request.time_ms = close_request.time_ms = i;
      if (!kantor_ledger_execute (ledger, &open_request, &quote, &fill)
          || !kantor_ledger_execute (ledger, &close_request, &quote, &fill))
        g_error ("round trip %u refused", i);
    }
  /* The hash is part of the cost of a fill. */
  (void) kantor_ledger_get_results_hash (ledger);
  g_timer_stop (timer);

  report ("ledger_execute", "orders", (guint64) round_trips * 2, g_timer_elapsed (timer, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree KantorMarketEvent *events = NULL;
  g_autofree guint *indices = g_new (guint, N_EVENTS);
  guint rounds = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 64;

  if (rounds == 0)
    rounds = 1;

  events = make_events (indices);
  bench_mark ("ledger_mark", events, indices, TRUE, FALSE, rounds);
  bench_mark ("ledger_mark_index", events, indices, TRUE, TRUE, rounds);
  bench_mark ("ledger_mark_flat", events, indices, FALSE, FALSE, rounds);
  bench_execute (200000);

  return 0;
}
