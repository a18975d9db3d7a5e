/* bench-pump-rider.c: the pump_rider strategy of STRATEGY.md §1 on one
 * symbol, indicators and state machine together, on one thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints one JSON object per line:
 *   pump_rider_indicators  kantor_indicator_set_update() alone, for the
 *                          indicators pump_rider uses
 *   pump_rider             the set update plus kantor_activation_on_event()
 *                          (a bare activation that counts its signals);
 *                          machine_ns_per_event is the difference of the
 *                          fastest rounds; meets_target judges the fastest
 *                          round against 20 M events/s
 *
 * The replay is a seeded random walk (70 % trades, 30 % book updates, 20 ms
 * apart on average) with a volume-backed pump of random size every ten
 * minutes, so the machine goes through its states rather than idling in
 * MONITORING.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "kantor-activation.h"

#define N_EVENTS  (1u << 18)
#define TARGET_EVENTS_PER_S 20e6

static const char pump_rider[] =
  "{\"strategy_name\": \"pump_rider\","
  " \"description\": \"Buy early in a volume-backed pump, leave on momentum loss\","
  " \"enabled\": true, \"direction\": \"LONG\","
  " \"indicators\": {"
  "  \"pump\": {\"type\": \"PUMP_MAGNITUDE_PCT\", \"current\": {\"t1\": 10, \"t2\": 0},"
  "            \"baseline\": {\"t1\": 600, \"t2\": 60}},"
  "  \"surge\": {\"type\": \"VOLUME_SURGE\", \"current\": {\"t1\": 10, \"t2\": 0},"
  "             \"baseline\": {\"t1\": 600, \"t2\": 60}},"
  "  \"vel\": {\"type\": \"VELOCITY\", \"current\": {\"t1\": 5, \"t2\": 0},"
  "           \"baseline\": {\"t1\": 30, \"t2\": 5}},"
  "  \"rsi\": {\"type\": \"RSI\", \"period\": 14, \"timeframe\": \"1m\"},"
  "  \"spread\": {\"type\": \"SPREAD_PCT\"}},"
  " \"s1_signal\": {\"conditions\": ["
  "  {\"id\": \"c1\", \"indicatorId\": \"pump\", \"operator\": \">=\", \"value\": 5},"
  "  {\"id\": \"c2\", \"indicatorId\": \"surge\", \"operator\": \">=\", \"value\": 3}]},"
  " \"o1_cancel\": {\"timeoutSeconds\": 60, \"cooldownMinutes\": 5, \"conditions\": ["
  "  {\"id\": \"c3\", \"indicatorId\": \"pump\", \"operator\": \"<\", \"value\": 2}]},"
  " \"z1_entry\": {\"conditions\": ["
  "  {\"id\": \"c4\", \"indicatorId\": \"spread\", \"operator\": \"<\", \"value\": 0.5}],"
  "  \"positionSize\": {\"type\": \"percentage\", \"value\": 10},"
  "  \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 3},"
  "  \"takeProfit\": {\"enabled\": true, \"offsetPercent\": 8}},"
  " \"ze1_close\": {\"conditions\": ["
  "  {\"id\": \"c5\", \"indicatorId\": \"vel\", \"operator\": \"<\", \"value\": 0}]},"
  " \"emergency_exit\": {\"conditions\": ["
  "  {\"id\": \"c6\", \"indicatorId\": \"UNREALIZED_PNL_PCT\", \"operator\": \"<=\","
  "   \"value\": -6}], \"cooldownMinutes\": 30,"
  "  \"actions\": {\"cancelPending\": true, \"closePosition\": true, \"logEvent\": true}},"
  " \"global_limits\": {\"max_position_size_usdt\": 1000, \"min_position_size_usdt\": 10,"
  "  \"max_leverage\": 1}}";

static KantorMarketEvent *
make_events (gint64 *span_ms)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  KantorMarketEvent *events = g_new0 (KantorMarketEvent, N_EVENTS);
  const char *symbol = g_intern_static_string ("BTCUSDT");
  double price = 100;
  gint64 t = 1700000000000;

  for (guint i = 0; i < N_EVENTS; i++)
    {
      KantorMarketEvent *ev = &events[i];
      gint64 cycle = t / 600000;
      gint64 phase = (t / 1000) % 600;   /* seconds into the ten-minute cycle */
      gboolean pumping = phase < 10;
      /* Pumps of 2 to 12 % over ~350 trades, then a slower fade: some
       * never signal, some take profit, some stop out or fade away. */
      double size = 0.02 + 0.10 * (double) ((cycle * 2654435761u) % 1000) / 1000.0;
      double drift = pumping ? size / 500 : (phase < 120 ? -size / 4000 : 0);

      t += g_rand_int_range (rand, 1, 40);
      price *= 1 + drift + (g_rand_double (rand) - 0.5) * 0.0004;
      ev->time_ms = t;
      ev->symbol = symbol;
      if (g_rand_double (rand) < 0.3)
        {
          ev->kind = KANTOR_EVENT_BOOK;
          ev->bids[0] = (KantorBookLevel) { price * 0.9998, 1 + g_rand_double (rand) };
          ev->asks[0] = (KantorBookLevel) { price * 1.0002, 1 + g_rand_double (rand) };
        }
      else
        {
          ev->kind = KANTOR_EVENT_TRADE;
          ev->price = price;
          ev->volume = (pumping ? 20 : 1) * (0.1 + g_rand_double (rand));
        }
    }

  *span_ms = t - events[0].time_ms + 1000;
  return events;
}

static void
count_signal (const KantorSignal *signal,
              gpointer            user_data)
{
  guint64 *counts = user_data;

  counts[signal->type]++;
}

/* Returns the nanoseconds per event of the fastest round. */
static double
run (const char              *name,
     KantorStrategy          *strategy,
     const KantorMarketEvent *events,
     gint64                   span_ms,
     guint                    rounds,
     gboolean                 with_machine,
     double                   baseline_ns)
{
  const KantorExecutionHooks hooks = { count_signal, NULL };
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  g_autoptr(KantorActivation) act = NULL;
  guint64 counts[KANTOR_SIGNAL_SESSION_END + 1] = { 0 };
  KantorQuote quote = { 0 };
  guint64 n = 0;
  gint64 start, elapsed, best = G_MAXINT64;
  double seconds, best_ns;

  act = kantor_activation_new (strategy, "BTCUSDT", set, &hooks, counts);

  /* Each round is timed on its own and the fastest one is reported as
   * well: on a shared machine the mean says more about the neighbours. */
  start = g_get_monotonic_time ();
  for (guint r = 0; r < rounds; r++)
    {
      gint64 offset = span_ms * r;
      gint64 round_start = g_get_monotonic_time ();

      for (guint i = 0; i < N_EVENTS; i++)
        {
          KantorMarketEvent ev = events[i];

          ev.time_ms += offset;
          kantor_indicator_set_update (set, &ev);
          if (with_machine)
            {
              kantor_quote_update (&quote, &ev);
              kantor_activation_on_event (act, &ev, &quote);
            }
        }
      n += N_EVENTS;
      best = MIN (best, g_get_monotonic_time () - round_start);
    }
  elapsed = g_get_monotonic_time () - start;
  seconds = elapsed / 1e6;
  best_ns = best * 1e3 / N_EVENTS;

  printf ("{\"bench\":\"%s\",\"events\":%" G_GUINT64_FORMAT ",\"seconds\":%.6f,"
          "\"events_per_s\":%.0f,\"ns_per_event\":%.2f,"
          "\"best_round_events_per_s\":%.0f,\"best_round_ns_per_event\":%.2f,"
          "\"target_events_per_s\":%.0f,\"meets_target\":%s",
          name, n, seconds, n / seconds, elapsed * 1e3 / n, 1e9 / best_ns, best_ns,
          TARGET_EVENTS_PER_S, 1e9 / best_ns > TARGET_EVENTS_PER_S ? "true" : "false");
  if (with_machine)
    printf (",\"machine_ns_per_event\":%.2f", best_ns - baseline_ns);
  if (with_machine)
    printf (",\"signals\":{\"s1_signal\":%" G_GUINT64_FORMAT ",\"o1_cancel\":%" G_GUINT64_FORMAT
            ",\"z1_entry\":%" G_GUINT64_FORMAT ",\"ze1_close\":%" G_GUINT64_FORMAT
            ",\"stop_loss\":%" G_GUINT64_FORMAT ",\"take_profit\":%" G_GUINT64_FORMAT
            ",\"emergency_exit\":%" G_GUINT64_FORMAT "}",
            counts[KANTOR_SIGNAL_S1_SIGNAL], counts[KANTOR_SIGNAL_O1_CANCEL],
            counts[KANTOR_SIGNAL_Z1_ENTRY], counts[KANTOR_SIGNAL_ZE1_CLOSE],
            counts[KANTOR_SIGNAL_STOP_LOSS], counts[KANTOR_SIGNAL_TAKE_PROFIT],
            counts[KANTOR_SIGNAL_EMERGENCY_EXIT]);
  printf ("}\n");
  fflush (stdout);

  return best_ns;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  g_autoptr(KantorStrategy) strategy = NULL;
  g_autofree KantorMarketEvent *events = NULL;
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 64;
  gint64 span_ms;
  double indicators_ns;

  strategy = kantor_strategy_new_from_data (pump_rider, -1, diag);
  if (strategy == NULL)
    {
      fprintf (stderr, "pump_rider does not validate: %s\n",
               kantor_diagnostics_get_error (diag, 0)->message);
      return 1;
    }

  events = make_events (&span_ms);
  indicators_ns = run ("pump_rider_indicators", strategy, events, span_ms, rounds, FALSE, 0);
  run ("pump_rider", strategy, events, span_ms, rounds, TRUE, indicators_ns);

  return 0;
}
