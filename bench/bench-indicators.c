/* bench-indicators.c: nanoseconds per event for every indicator type and for
 * the pump_rider indicator set
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-indicators [ROUNDS]
 *
 * The stream is a seeded random walk generated in-process: 70 % trades
 * (bursts on the same millisecond, volumes log-uniform over six orders of
 * magnitude) and 30 % book updates, 20 ms apart on average, about 50 trades
 * a second, with a volume-backed pump every ten minutes. Each round replays
 * the same events shifted forward in time, so windows, candles and the
 * history ring run in steady state. Each line is one JSON object:
 *
 *   {"bench": "indicators", "indicator": "TWPA", "events": N,
 *    "ns_per_event": X, "ns_per_event_mean": M, "events_per_s": Y}
 *
 * X is the fastest round (of 65536 events) in thread CPU time, the figure
 * least disturbed by whatever else runs on the machine; M the mean.
 *
 * "pump_rider" is the set of STRATEGY.md §1 (3 pair indicators over 4
 * distinct windows, RSI 14 on 1m, SPREAD_PCT); "pump_rider+read" also reads
 * every value after every event, as the state machine would at worst.
 * Each single type is measured as a condition on it would cost: update and
 * read its value after every event (windows catch up when read, so without
 * the read a windowed type would only measure the history's upkeep).
 * "baseline" is a set with no indicator: what reading the events costs the
 * loop itself.
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kantor-indicator-set.h"

#define N_EVENTS (1u << 16)

static KantorMarketEvent *
make_events (gint64 *span_ms)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  KantorMarketEvent *events = g_new0 (KantorMarketEvent, N_EVENTS);
  const char *symbol = g_intern_static_string ("BTCUSDT");
  double price = 100;
  gint64 t = 1700000000000;

  for (guint i = 0; i < N_EVENTS; i++)
    {
      KantorMarketEvent *ev = &events[i];
      gint64 phase = (t / 1000) % 600;
      double drift = phase < 10 ? 0.0015 : (phase < 120 ? -0.00012 : 0);

      if (g_rand_double (rand) > 0.25)
        t += g_rand_int_range (rand, 1, 53);
      price *= 1 + drift + (g_rand_double (rand) - 0.5) * 0.0004;
      ev->time_ms = t;
      ev->symbol = symbol;
      if (g_rand_double (rand) < 0.3)
        {
          ev->kind = KANTOR_EVENT_BOOK;
          for (int l = 0; l < KANTOR_BOOK_LEVELS; l++)
            {
              ev->bids[l] = (KantorBookLevel) { price * (1 - 0.0002 * (l + 1)),
                                                g_rand_double_range (rand, 0.1, 5) };
              ev->asks[l] = (KantorBookLevel) { price * (1 + 0.0002 * (l + 1)),
                                                g_rand_double_range (rand, 0.1, 5) };
            }
        }
      else
        {
          ev->kind = KANTOR_EVENT_TRADE;
          ev->price = price;
          ev->volume = exp (g_rand_double_range (rand, -7, 7)) * (phase < 10 ? 5 : 1);
        }
    }

  *span_ms = t - events[0].time_ms + 1;
  return events;
}

/* CPU time of this thread: the machine may be shared, and time spent
 * descheduled is not ours. */
static double
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static double
run (const char * const *specs,
     guint               n_specs,
     KantorMarketEvent  *events,
     gint64              span_ms,
     guint               rounds,
     gboolean            read_values,
     double             *checksum,
     double             *mean_ns)
{
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  double best = G_MAXDOUBLE, total = 0, sum = 0;
  guint n_slots;

  for (guint i = 0; i < n_specs; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (specs[i], NULL);
      g_autoptr(KantorIndicatorSpec) spec = kantor_indicator_spec_parse (node, "/x", diag);

      if (spec == NULL)
        g_error ("bad spec %s", specs[i]);
      kantor_indicator_set_add (set, spec);
    }
  n_slots = kantor_indicator_set_get_n_slots (set);

  for (guint r = 0; r < rounds; r++)
    {
      double t0 = thread_cpu_ns (), dt;

      if (read_values)
        {
          for (guint i = 0; i < N_EVENTS; i++)
            {
              kantor_indicator_set_update (set, &events[i]);
              for (guint s = 0; s < n_slots; s++)
                {
                  double v;

                  if (kantor_indicator_set_get_value (set, s, &v))
                    sum += v;
                }
            }
        }
      else
        {
          for (guint i = 0; i < N_EVENTS; i++)
            kantor_indicator_set_update (set, &events[i]);
        }
      dt = thread_cpu_ns () - t0;
      best = MIN (best, dt);
      total += dt;

      /* Untimed: move the replay forward so time keeps increasing. */
      for (guint i = 0; i < N_EVENTS; i++)
        events[i].time_ms += span_ms;
    }

  /* Read everything once so no work can be optimised away. */
  for (guint s = 0; s < n_slots; s++)
    {
      double v;

      if (kantor_indicator_set_get_value (set, s, &v))
        sum += v;
    }
  *checksum += sum;

  *mean_ns = total / ((double) N_EVENTS * rounds);
  return best / N_EVENTS;
}

static void
report (const char *name,
        double      ns,
        double      mean_ns,
        guint       rounds)
{
  printf ("{\"bench\": \"indicators\", \"indicator\": \"%s\", \"events\": %" G_GUINT64_FORMAT
          ", \"ns_per_event\": %.2f, \"ns_per_event_mean\": %.2f, \"events_per_s\": %.0f}\n",
          name, (guint64) N_EVENTS * rounds, ns, mean_ns, 1e9 / ns);
  fflush (stdout);
}

#define PAIR(type, c1, c2, b1, b2) \
  "{\"type\": \"" type "\", \"current\": {\"t1\": " #c1 ", \"t2\": " #c2 "}, " \
  "\"baseline\": {\"t1\": " #b1 ", \"t2\": " #b2 "}}"

int
main (int   argc,
      char *argv[])
{
  static const struct
  {
    const char *name;
    const char *spec;
  } singles[] = {
    { "baseline", NULL },
    { "PRICE", "{\"type\": \"PRICE\"}" },
    { "VOLUME", "{\"type\": \"VOLUME\"}" },
    { "BEST_BID", "{\"type\": \"BEST_BID\"}" },
    { "BEST_ASK", "{\"type\": \"BEST_ASK\"}" },
    { "SPREAD_PCT", "{\"type\": \"SPREAD_PCT\"}" },
    { "BID_ASK_IMBALANCE", "{\"type\": \"BID_ASK_IMBALANCE\"}" },
    { "TWPA", "{\"type\": \"TWPA\", \"t1\": 60, \"t2\": 0}" },
    { "VWAP", "{\"type\": \"VWAP\", \"t1\": 60, \"t2\": 0}" },
    { "SUM_VOLUME", "{\"type\": \"SUM_VOLUME\", \"t1\": 60, \"t2\": 0}" },
    { "AVG_VOLUME", "{\"type\": \"AVG_VOLUME\", \"t1\": 60, \"t2\": 0}" },
    { "COUNT_DEALS", "{\"type\": \"COUNT_DEALS\", \"t1\": 60, \"t2\": 0}" },
    { "MAX_PRICE", "{\"type\": \"MAX_PRICE\", \"t1\": 60, \"t2\": 0}" },
    { "MIN_PRICE", "{\"type\": \"MIN_PRICE\", \"t1\": 60, \"t2\": 0}" },
    { "FIRST_PRICE", "{\"type\": \"FIRST_PRICE\", \"t1\": 60, \"t2\": 0}" },
    { "LAST_PRICE", "{\"type\": \"LAST_PRICE\", \"t1\": 60, \"t2\": 0}" },
    { "PRICE_VOLATILITY", "{\"type\": \"PRICE_VOLATILITY\", \"t1\": 60, \"t2\": 0}" },
    { "VELOCITY", PAIR ("VELOCITY", 5, 0, 30, 5) },
    { "PUMP_MAGNITUDE_PCT", PAIR ("PUMP_MAGNITUDE_PCT", 10, 0, 600, 60) },
    { "VOLUME_SURGE", PAIR ("VOLUME_SURGE", 10, 0, 600, 60) },
    { "SMA", "{\"type\": \"SMA\", \"period\": 20, \"timeframe\": \"1m\"}" },
    { "EMA", "{\"type\": \"EMA\", \"period\": 20, \"timeframe\": \"1m\"}" },
    { "RSI", "{\"type\": \"RSI\", \"period\": 14, \"timeframe\": \"1m\"}" },
    { "MACD", "{\"type\": \"MACD\", \"timeframe\": \"1m\"}" },
    { "BBANDS", "{\"type\": \"BBANDS\", \"period\": 20, \"timeframe\": \"1m\"}" },
    { "ATR", "{\"type\": \"ATR\", \"period\": 14, \"timeframe\": \"1m\"}" },
    { "RSI_1s", "{\"type\": \"RSI\", \"period\": 14, \"timeframe\": \"1s\"}" },
  };
  static const char * const pump_rider[] = {
    PAIR ("PUMP_MAGNITUDE_PCT", 10, 0, 600, 60),
    PAIR ("VOLUME_SURGE", 10, 0, 600, 60),
    PAIR ("VELOCITY", 5, 0, 30, 5),
    "{\"type\": \"RSI\", \"period\": 14, \"timeframe\": \"1m\"}",
    "{\"type\": \"SPREAD_PCT\"}",
  };
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 64;
  g_autofree KantorMarketEvent *events = NULL;
  double checksum = 0, ns, mean;
  gint64 span_ms;

  rounds = MAX (rounds, 1);
  events = make_events (&span_ms);

  /* Warm caches and the history ring once. */
  run (pump_rider, G_N_ELEMENTS (pump_rider), events, span_ms, 1, FALSE, &checksum, &mean);

  for (guint i = 0; i < G_N_ELEMENTS (singles); i++)
    {
      ns = run (&singles[i].spec, singles[i].spec != NULL ? 1 : 0, events, span_ms, rounds,
                TRUE, &checksum, &mean);
      report (singles[i].name, ns, mean, rounds);
    }

  ns = run (pump_rider, G_N_ELEMENTS (pump_rider), events, span_ms, rounds, FALSE, &checksum,
            &mean);
  report ("pump_rider", ns, mean, rounds);
  ns = run (pump_rider, G_N_ELEMENTS (pump_rider), events, span_ms, rounds, TRUE, &checksum,
            &mean);
  report ("pump_rider+read", ns, mean, rounds);

  /* Keeps the reads observable. */
  if (checksum == 42.4242)
    fprintf (stderr, "%g\n", checksum);

  return 0;
}
