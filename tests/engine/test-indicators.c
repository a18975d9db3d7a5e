/* test-indicators.c: indicator specs, windowed indicators against a
 * brute-force reference, candle indicators against TA-Lib's output
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <float.h>
#include <math.h>

#include "kantor-indicator-set.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */

static KantorIndicatorSpec *
parse_spec (const char        *json,
            KantorDiagnostics *diag)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);

  g_assert_no_error (error);
  return kantor_indicator_spec_parse (node, "/indicators/x", diag);
}

static KantorIndicatorSpec *
spec_new (const char *json)
{
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  KantorIndicatorSpec *spec = parse_spec (json, diag);

  if (spec == NULL)
    g_error ("%s: %s at %s", json, kantor_diagnostics_get_error (diag, 0)->message,
             kantor_diagnostics_get_error (diag, 0)->path);
  g_assert_cmpuint (kantor_diagnostics_get_n_errors (diag), ==, 0);

  return spec;
}

static guint
set_add_json (KantorIndicatorSet *set,
              const char         *json)
{
  g_autoptr(KantorIndicatorSpec) spec = spec_new (json);

  return kantor_indicator_set_add (set, spec);
}

static void
trade (KantorIndicatorSet *set,
       gint64              time_ms,
       double              price,
       double              volume)
{
  KantorMarketEvent ev = {
    .kind = KANTOR_EVENT_TRADE,
    .time_ms = time_ms,
    .symbol = g_intern_static_string ("BTCUSDT"),
    .price = price,
    .volume = volume,
  };

  kantor_indicator_set_update (set, &ev);
}

static void
book (KantorIndicatorSet *set,
      gint64              time_ms,
      double              bid,
      double              bid_qty,
      double              ask,
      double              ask_qty)
{
  KantorMarketEvent ev = {
    .kind = KANTOR_EVENT_BOOK,
    .time_ms = time_ms,
    .symbol = g_intern_static_string ("BTCUSDT"),
    .bids = { { bid, bid_qty } },
    .asks = { { ask, ask_qty } },
  };

  kantor_indicator_set_update (set, &ev);
}

static gboolean
close_enough (double actual,
              double expected,
              double rel)
{
  return fabs (actual - expected) <= rel * fabs (expected) + 1e-12;
}

static void
assert_value (KantorIndicatorSet *set,
              guint               slot,
              double              expected)
{
  double v = NAN;

  g_assert_true (kantor_indicator_set_get_value (set, slot, &v));
  if (!close_enough (v, expected, 1e-12))
    g_error ("slot %u (%s): %.17g, expected %.17g", slot,
             kantor_indicator_spec_get_type_name (kantor_indicator_set_get_spec (set, slot)),
             v, expected);
}

static void
assert_no_value (KantorIndicatorSet *set,
                 guint               slot)
{
  double v;

  g_assert_false (kantor_indicator_set_get_value (set, slot, &v));
}

/* ---------------------------------------------------------------------- */
/* Specs                                                                  */

static void
test_spec_errors (void)
{
  static const struct
  {
    const char *json;
    const char *path;
  } cases[] = {
    { "42", "/indicators/x" },
    { "{}", "/indicators/x/type" },
    { "{\"type\": 3}", "/indicators/x/type" },
    { "{\"type\": \"NOPE\"}", "/indicators/x/type" },
    { "{\"type\": \"UNREALIZED_PNL_PCT\"}", "/indicators/x/type" },
    { "{\"type\": \"PRICE\", \"t1\": 5}", "/indicators/x/t1" },
    { "{\"type\": \"TWPA\", \"t2\": 0}", "/indicators/x/t1" },
    { "{\"type\": \"TWPA\", \"t1\": 10}", "/indicators/x/t2" },
    { "{\"type\": \"TWPA\", \"t1\": \"10\", \"t2\": 0}", "/indicators/x/t1" },
    { "{\"type\": \"TWPA\", \"t1\": true, \"t2\": 0}", "/indicators/x/t1" },
    { "{\"type\": \"TWPA\", \"t1\": 10, \"t2\": -1}", "/indicators/x/t2" },
    { "{\"type\": \"TWPA\", \"t1\": -10, \"t2\": 0}", "/indicators/x/t1" },
    { "{\"type\": \"TWPA\", \"t1\": 5, \"t2\": 5}", "/indicators/x/t1" },
    { "{\"type\": \"TWPA\", \"t1\": 5, \"t2\": 10}", "/indicators/x/t1" },
    { "{\"type\": \"TWPA\", \"t1\": 0.0001, \"t2\": 0}", "/indicators/x/t1" },
    { "{\"type\": \"TWPA\", \"t1\": 1e12, \"t2\": 0}", "/indicators/x/t1" },
    { "{\"type\": \"VWAP\", \"t1\": 10, \"t2\": 0, \"period\": 3}", "/indicators/x/period" },
    { "{\"type\": \"VELOCITY\", \"current\": {\"t1\": 5, \"t2\": 0}}", "/indicators/x/baseline" },
    { "{\"type\": \"VELOCITY\", \"current\": [5, 0], \"baseline\": {\"t1\": 30, \"t2\": 5}}",
      "/indicators/x/current" },
    { "{\"type\": \"PUMP_MAGNITUDE_PCT\", \"current\": {\"t1\": 10, \"t2\": 0},"
      " \"baseline\": {\"t1\": 60, \"t2\": 600}}", "/indicators/x/baseline/t1" },
    { "{\"type\": \"VOLUME_SURGE\", \"current\": {\"t1\": 10, \"t2\": 0, \"t3\": 1},"
      " \"baseline\": {\"t1\": 600, \"t2\": 60}}", "/indicators/x/current/t3" },
    { "{\"type\": \"VOLUME_SURGE\", \"current\": {\"t1\": 10, \"t2\": 0},"
      " \"baseline\": {\"t1\": 600}}", "/indicators/x/baseline/t2" },
    { "{\"type\": \"VELOCITY\", \"current\": {\"t1\": 10, \"t2\": 0},"
      " \"baseline\": {\"t1\": 8, \"t2\": 2}}", "/indicators/x/baseline" },
    { "{\"type\": \"VELOCITY\", \"t1\": 10, \"current\": {\"t1\": 10, \"t2\": 0},"
      " \"baseline\": {\"t1\": 30, \"t2\": 5}}", "/indicators/x/t1" },
    { "{\"type\": \"RSI\", \"period\": 14}", "/indicators/x/timeframe" },
    { "{\"type\": \"RSI\", \"period\": 14, \"timeframe\": \"2m\"}", "/indicators/x/timeframe" },
    { "{\"type\": \"RSI\", \"period\": 14, \"timeframe\": 60}", "/indicators/x/timeframe" },
    { "{\"type\": \"RSI\", \"period\": 0, \"timeframe\": \"1m\"}", "/indicators/x/period" },
    { "{\"type\": \"RSI\", \"period\": 1, \"timeframe\": \"1m\"}", "/indicators/x/period" },
    { "{\"type\": \"SMA\", \"period\": 2.5, \"timeframe\": \"1m\"}", "/indicators/x/period" },
    { "{\"type\": \"EMA\", \"period\": -3, \"timeframe\": \"1m\"}", "/indicators/x/period" },
    { "{\"type\": \"EMA\", \"period\": 1000001, \"timeframe\": \"1m\"}", "/indicators/x/period" },
    { "{\"type\": \"ATR\", \"period\": 0, \"timeframe\": \"1h\"}", "/indicators/x/period" },
    { "{\"type\": \"SMA\", \"period\": 5, \"timeframe\": \"1m\", \"output\": \"upper\"}",
      "/indicators/x/output" },
    { "{\"type\": \"MACD\", \"timeframe\": \"1m\", \"output\": \"upper\"}",
      "/indicators/x/output" },
    { "{\"type\": \"MACD\", \"timeframe\": \"1m\", \"fast\": 26, \"slow\": 12}",
      "/indicators/x/fast" },
    { "{\"type\": \"MACD\", \"timeframe\": \"1m\", \"signal\": 0}", "/indicators/x/signal" },
    { "{\"type\": \"MACD\", \"timeframe\": \"1m\", \"signal\": 1}", "/indicators/x/signal" },
    { "{\"type\": \"MACD\", \"timeframe\": \"1m\", \"period\": 5}", "/indicators/x/period" },
    { "{\"type\": \"BBANDS\", \"timeframe\": \"1m\", \"stddev\": 0}", "/indicators/x/stddev" },
    { "{\"type\": \"BBANDS\", \"timeframe\": \"1m\", \"stddev\": \"2\"}", "/indicators/x/stddev" },
    { "{\"type\": \"BBANDS\", \"timeframe\": \"1m\", \"output\": \"hist\"}",
      "/indicators/x/output" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
      g_autoptr(KantorIndicatorSpec) spec = parse_spec (cases[i].json, diag);

      if (spec != NULL || !kantor_diagnostics_has_error_at (diag, cases[i].path))
        g_error ("%s: expected an error at %s, got %u errors (first at %s)", cases[i].json,
                 cases[i].path, kantor_diagnostics_get_n_errors (diag),
                 kantor_diagnostics_get_n_errors (diag) > 0
                 ? kantor_diagnostics_get_error (diag, 0)->path : "-");
    }
}

static void
test_spec_valid (void)
{
  static const char * const valid[] = {
    "{\"type\": \"PRICE\"}",
    "{\"type\": \"SPREAD_PCT\"}",
    "{\"type\": \"TWPA\", \"t1\": 10, \"t2\": 0}",
    "{\"type\": \"TWPA\", \"t1\": 0.5, \"t2\": 0.25}",
    "{\"type\": \"COUNT_DEALS\", \"t1\": 1.5, \"t2\": 0}",
    "{\"type\": \"PRICE_VOLATILITY\", \"t1\": 60, \"t2\": 0}",
    "{\"type\": \"VELOCITY\", \"current\": {\"t1\": 5, \"t2\": 0},"
    " \"baseline\": {\"t1\": 30, \"t2\": 5}}",
    "{\"type\": \"RSI\", \"period\": 14, \"timeframe\": \"1m\"}",
    "{\"type\": \"RSI\", \"period\": 14.0, \"timeframe\": \"1d\"}",
    "{\"type\": \"MACD\", \"timeframe\": \"4h\", \"output\": \"hist\"}",
    "{\"type\": \"BBANDS\", \"period\": 20, \"stddev\": 2.5, \"timeframe\": \"15s\","
    " \"output\": \"lower\"}",
    "{\"type\": \"ATR\", \"period\": 1, \"timeframe\": \"5m\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(KantorIndicatorSpec) spec = spec_new (valid[i]);

      g_assert_nonnull (spec);
    }
}

static void
test_spec_warning (void)
{
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  g_autoptr(KantorIndicatorSpec) a = NULL;
  g_autoptr(KantorIndicatorSpec) b = NULL;

  a = parse_spec ("{\"type\": \"SUM_VOLUME\", \"t1\": 90000, \"t2\": 0}", diag);
  g_assert_nonnull (a);
  g_assert_cmpuint (kantor_diagnostics_get_n_errors (diag), ==, 0);
  g_assert_true (kantor_diagnostics_has_warning_at (diag, "/indicators/x/t1"));

  b = parse_spec ("{\"type\": \"PUMP_MAGNITUDE_PCT\", \"current\": {\"t1\": 10, \"t2\": 0},"
                  " \"baseline\": {\"t1\": 100000, \"t2\": 60}}", diag);
  g_assert_nonnull (b);
  g_assert_true (kantor_diagnostics_has_warning_at (diag, "/indicators/x/baseline/t1"));
  g_assert_cmpuint (kantor_diagnostics_get_n_warnings (diag), ==, 2);

  /* Exactly 24 h is not "longer than". */
  {
    g_autoptr(KantorDiagnostics) d2 = kantor_diagnostics_new ();
    g_autoptr(KantorIndicatorSpec) c = parse_spec ("{\"type\": \"VWAP\", \"t1\": 86400, "
                                                   "\"t2\": 0}", d2);

    g_assert_nonnull (c);
    g_assert_cmpuint (kantor_diagnostics_get_n_warnings (d2), ==, 0);
  }
}

static void
test_spec_dedupe (void)
{
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  g_autoptr(KantorIndicatorSpec) a = spec_new ("{\"type\": \"MACD\", \"timeframe\": \"1m\"}");
  g_autoptr(KantorIndicatorSpec) b = spec_new ("{\"timeframe\": \"1m\", \"type\": \"MACD\", "
                                               "\"fast\": 12, \"slow\": 26, \"signal\": 9, "
                                               "\"output\": \"macd\"}");
  g_autoptr(KantorIndicatorSpec) c = spec_new ("{\"type\": \"MACD\", \"timeframe\": \"1m\", "
                                               "\"output\": \"signal\"}");
  g_autoptr(KantorIndicatorSpec) d = spec_new ("{\"type\": \"TWPA\", \"t1\": 10, \"t2\": 0}");
  g_autoptr(KantorIndicatorSpec) e = spec_new ("{\"type\": \"TWPA\", \"t1\": 10.0, \"t2\": 0.0}");
  g_autoptr(KantorIndicatorSpec) f = spec_new ("{\"type\": \"VWAP\", \"t1\": 10, \"t2\": 0}");
  guint sa, sb, sc, sd, se, sf;

  g_assert_true (kantor_indicator_spec_equal (a, b));
  g_assert_cmpuint (kantor_indicator_spec_hash (a), ==, kantor_indicator_spec_hash (b));
  g_assert_false (kantor_indicator_spec_equal (a, c));
  g_assert_true (kantor_indicator_spec_equal (d, e));
  g_assert_false (kantor_indicator_spec_equal (d, f));

  sa = kantor_indicator_set_add (set, a);
  sb = kantor_indicator_set_add (set, b);
  sc = kantor_indicator_set_add (set, c);
  sd = kantor_indicator_set_add (set, d);
  se = kantor_indicator_set_add (set, e);
  sf = kantor_indicator_set_add (set, f);

  g_assert_cmpuint (sa, ==, 0);
  g_assert_cmpuint (sb, ==, 0);
  g_assert_cmpuint (sc, ==, 1);
  g_assert_cmpuint (sd, ==, 2);
  g_assert_cmpuint (se, ==, 2);
  g_assert_cmpuint (sf, ==, 3);
  g_assert_cmpuint (kantor_indicator_set_get_n_slots (set), ==, 4);
  g_assert_true (kantor_indicator_set_get_spec (set, 0) == a);
  g_assert_cmpstr (kantor_indicator_spec_get_type_name (kantor_indicator_set_get_spec (set, 3)),
                   ==, "VWAP");
}

static void
test_spec_registry (void)
{
  const char * const *types = kantor_indicator_list_types ();
  static const struct
  {
    const char *json;
    double      min;
    double      max;
  } ranges[] = {
    { "{\"type\": \"RSI\", \"timeframe\": \"1m\"}", 0, 100 },
    { "{\"type\": \"SPREAD_PCT\"}", 0, INFINITY },
    { "{\"type\": \"BID_ASK_IMBALANCE\"}", -100, 100 },
    { "{\"type\": \"COUNT_DEALS\", \"t1\": 5, \"t2\": 0}", 0, INFINITY },
    { "{\"type\": \"SUM_VOLUME\", \"t1\": 5, \"t2\": 0}", 0, INFINITY },
    { "{\"type\": \"ATR\", \"timeframe\": \"1m\"}", 0, INFINITY },
    { "{\"type\": \"VOLUME_SURGE\", \"current\": {\"t1\": 5, \"t2\": 0},"
      " \"baseline\": {\"t1\": 50, \"t2\": 5}}", 0, INFINITY },
    { "{\"type\": \"VELOCITY\", \"current\": {\"t1\": 5, \"t2\": 0},"
      " \"baseline\": {\"t1\": 50, \"t2\": 5}}", -INFINITY, INFINITY },
    { "{\"type\": \"PUMP_MAGNITUDE_PCT\", \"current\": {\"t1\": 5, \"t2\": 0},"
      " \"baseline\": {\"t1\": 50, \"t2\": 5}}", -100, INFINITY },
    { "{\"type\": \"MACD\", \"timeframe\": \"1m\"}", -INFINITY, INFINITY },
    { "{\"type\": \"BBANDS\", \"timeframe\": \"1m\", \"output\": \"lower\"}", -INFINITY, INFINITY },
    { "{\"type\": \"BBANDS\", \"timeframe\": \"1m\", \"output\": \"upper\"}", 0, INFINITY },
  };
  guint n = 0;

  for (; types[n] != NULL; n++)
    g_assert_false (kantor_indicator_is_builtin (types[n]));
  g_assert_cmpuint (n, ==, 25);
  g_assert_true (g_strv_contains (types, "PUMP_MAGNITUDE_PCT"));
  g_assert_true (g_strv_contains (types, "BBANDS"));

  g_assert_true (kantor_indicator_is_builtin ("UNREALIZED_PNL_PCT"));
  g_assert_true (kantor_indicator_is_builtin ("POSITION_AGE_SECONDS"));
  g_assert_true (kantor_indicator_is_builtin ("SIGNAL_AGE_SECONDS"));
  g_assert_false (kantor_indicator_is_builtin ("PRICE"));
  g_assert_false (kantor_indicator_is_builtin (NULL));

  for (guint i = 0; i < G_N_ELEMENTS (ranges); i++)
    {
      g_autoptr(KantorIndicatorSpec) spec = spec_new (ranges[i].json);
      double lo, hi;

      kantor_indicator_spec_get_range (spec, &lo, &hi);
      g_assert_cmpfloat (lo, ==, ranges[i].min);
      g_assert_cmpfloat (hi, ==, ranges[i].max);
    }
}

/* ---------------------------------------------------------------------- */
/* Instant indicators                                                     */

static void
test_instant (void)
{
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  guint price = set_add_json (set, "{\"type\": \"PRICE\"}");
  guint volume = set_add_json (set, "{\"type\": \"VOLUME\"}");
  guint bid = set_add_json (set, "{\"type\": \"BEST_BID\"}");
  guint ask = set_add_json (set, "{\"type\": \"BEST_ASK\"}");
  guint spread = set_add_json (set, "{\"type\": \"SPREAD_PCT\"}");
  guint imb = set_add_json (set, "{\"type\": \"BID_ASK_IMBALANCE\"}");

  for (guint s = 0; s < 6; s++)
    assert_no_value (set, s);

  trade (set, 1000, 100.5, 2);
  assert_value (set, price, 100.5);
  assert_value (set, volume, 2);
  assert_no_value (set, bid);
  assert_no_value (set, spread);

  book (set, 1001, 99, 3, 101, 1);
  assert_value (set, bid, 99);
  assert_value (set, ask, 101);
  assert_value (set, spread, 2.0);
  assert_value (set, imb, 50.0);
  assert_value (set, price, 100.5);

  trade (set, 1002, 100, 0.25);
  assert_value (set, price, 100);
  assert_value (set, volume, 0.25);

  /* One side gone: no spread, no imbalance. */
  book (set, 1003, 0, 0, 101, 1);
  assert_no_value (set, bid);
  assert_value (set, ask, 101);
  assert_no_value (set, spread);
  assert_no_value (set, imb);

  /* A crossed book gives no spread rather than a negative one. */
  book (set, 1004, 102, 1, 101, 4);
  assert_no_value (set, spread);
  assert_value (set, imb, -60.0);

  /* Locked book. */
  book (set, 1005, 101, 1, 101, 1);
  assert_value (set, spread, 0.0);
  assert_value (set, imb, 0.0);
}

/* ---------------------------------------------------------------------- */
/* Windowed indicators against a brute-force reference                    */

typedef struct
{
  gint64 t;
  double p;
  double v;
} Trade;

typedef struct
{
  GArray   *trades;
  gboolean  have_now;
  gint64    now;
  gint64    first;
} Reference;

typedef struct
{
  guint64  count;
  double   volume;
  double   pv;
  double   max;
  double   min;
  double   first;
  double   last;
  gboolean has_twpa;
  double   twpa;
  gboolean has_vol;
  double   volatility;
} WindowRef;

/* First index with t >= x (strict == FALSE) or t > x (strict == TRUE). */
static guint
ref_bound (Reference *ref,
           gint64     x,
           gboolean   strict)
{
  guint lo = 0, hi = ref->trades->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      gint64 t = g_array_index (ref->trades, Trade, mid).t;

      if (t < x || (strict && t == x))
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
ref_window (Reference *ref,
            gint64     t1_ms,
            gint64     t2_ms,
            WindowRef *out)
{
  gint64 start = ref->now - t1_ms;
  gint64 end = ref->now - t2_ms;
  guint a = ref_bound (ref, start, FALSE);
  guint b = ref_bound (ref, end, TRUE);
  const Trade *tr = (const Trade *) (gpointer) ref->trades->data;

  *out = (WindowRef) { 0, };
  out->count = b > a ? b - a : 0;
  out->max = -INFINITY;
  out->min = INFINITY;
  for (guint i = a; i < b; i++)
    {
      out->volume += tr[i].v;
      out->pv += tr[i].p * tr[i].v;
      out->max = MAX (out->max, tr[i].p);
      out->min = MIN (out->min, tr[i].p);
    }
  if (out->count > 0)
    {
      out->first = tr[a].p;
      out->last = tr[b - 1].p;
    }

  /* TWPA: integrate the step function piece by piece. */
  if (b > 0)
    {
      out->has_twpa = TRUE;
      if (out->count == 0)
        {
          out->twpa = tr[b - 1].p;
        }
      else
        {
          gint64 from = a > 0 ? start : tr[a].t;
          double integral = 0;

          if (a > 0)
            integral += tr[a - 1].p * (double) (tr[a].t - start);
          for (guint i = a; i < b; i++)
            integral += tr[i].p * (double) ((i + 1 < b ? tr[i + 1].t : end) - tr[i].t);
          out->twpa = end > from ? integral / (double) (end - from) : tr[b - 1].p;
        }
    }

  /* Sample standard deviation of consecutive log returns, two-pass. */
  if (out->count >= 3)
    {
      guint n = out->count - 1;
      double mean = 0, ss = 0;

      for (guint i = a + 1; i < b; i++)
        mean += log (tr[i].p / tr[i - 1].p);
      mean /= n;
      for (guint i = a + 1; i < b; i++)
        {
          double d = log (tr[i].p / tr[i - 1].p) - mean;

          ss += d * d;
        }
      out->has_vol = TRUE;
      out->volatility = sqrt (ss / (n - 1)) * 100.0;
    }
}

typedef enum
{
  W_TWPA, W_VWAP, W_SUM_VOLUME, W_AVG_VOLUME, W_COUNT_DEALS, W_MAX_PRICE, W_MIN_PRICE,
  W_FIRST_PRICE, W_LAST_PRICE, W_PRICE_VOLATILITY, N_W
} WindowType;

static const char * const window_type_names[N_W] = {
  "TWPA", "VWAP", "SUM_VOLUME", "AVG_VOLUME", "COUNT_DEALS", "MAX_PRICE", "MIN_PRICE",
  "FIRST_PRICE", "LAST_PRICE", "PRICE_VOLATILITY",
};

static gboolean
ref_value (const WindowRef *w,
           WindowType       type,
           double          *v)
{
  switch (type)
    {
    case W_TWPA:
      *v = w->twpa;
      return w->has_twpa;
    case W_VWAP:
      *v = w->count > 0 ? w->pv / w->volume : 0;
      return w->count > 0;
    case W_SUM_VOLUME:
      *v = w->volume;
      return TRUE;
    case W_AVG_VOLUME:
      *v = w->count > 0 ? w->volume / w->count : 0;
      return w->count > 0;
    case W_COUNT_DEALS:
      *v = w->count;
      return TRUE;
    case W_MAX_PRICE:
      *v = w->max;
      return w->count > 0;
    case W_MIN_PRICE:
      *v = w->min;
      return w->count > 0;
    case W_FIRST_PRICE:
      *v = w->first;
      return w->count > 0;
    case W_LAST_PRICE:
      *v = w->last;
      return w->count > 0;
    case W_PRICE_VOLATILITY:
      *v = w->volatility;
      return w->has_vol;
    case N_W:
    default:
      g_assert_not_reached ();
    }
}

typedef struct
{
  double t1;
  double t2;
} Win;

typedef enum { P_VELOCITY, P_PUMP, P_SURGE, N_P } PairType;
static const char * const pair_type_names[N_P] = {
  "VELOCITY", "PUMP_MAGNITUDE_PCT", "VOLUME_SURGE",
};

typedef struct
{
  Win cur;
  Win base;
} Pair;

typedef struct
{
  KantorIndicatorSet *set;
  Reference           ref;
  const Win          *wins;
  guint               n_wins;
  const Pair         *pairs;
  guint               n_pairs;
  guint              *win_slots;   /* n_wins * N_W */
  guint              *pair_slots;  /* n_pairs * N_P */
  double              rel;
  guint64             n_checked;
} Harness;

/* Windows with MAX_PRICE or MIN_PRICE keep deques and take a separate path
 * through the engine: the harness runs with and without them. */
static gboolean
window_type_skipped (WindowType type,
                     gboolean   with_deques)
{
  return !with_deques && (type == W_MAX_PRICE || type == W_MIN_PRICE);
}

static gint64
to_ms (double seconds)
{
  return (gint64) llround (seconds * 1000.0);
}

static void
harness_init (Harness    *h,
              const Win  *wins,
              guint       n_wins,
              const Pair *pairs,
              guint       n_pairs,
              gboolean    with_deques)
{
  *h = (Harness) { 0, };
  h->set = kantor_indicator_set_new ();
  h->ref.trades = g_array_new (FALSE, FALSE, sizeof (Trade));
  h->wins = wins;
  h->n_wins = n_wins;
  h->pairs = pairs;
  h->n_pairs = n_pairs;
  h->win_slots = g_new (guint, n_wins * N_W);
  h->pair_slots = g_new (guint, MAX (n_pairs, 1) * N_P);
  h->rel = 1e-9;

  for (guint w = 0; w < n_wins; w++)
    for (guint k = 0; k < N_W; k++)
      {
        g_autofree char *json = g_strdup_printf ("{\"type\": \"%s\", \"t1\": %.17g, "
                                                 "\"t2\": %.17g}", window_type_names[k],
                                                 wins[w].t1, wins[w].t2);

        h->win_slots[w * N_W + k] = window_type_skipped (k, with_deques)
                                    ? G_MAXUINT : set_add_json (h->set, json);
      }
  for (guint p = 0; p < n_pairs; p++)
    for (guint k = 0; k < N_P; k++)
      {
        g_autofree char *json = g_strdup_printf (
          "{\"type\": \"%s\", \"current\": {\"t1\": %.17g, \"t2\": %.17g}, "
          "\"baseline\": {\"t1\": %.17g, \"t2\": %.17g}}", pair_type_names[k],
          pairs[p].cur.t1, pairs[p].cur.t2, pairs[p].base.t1, pairs[p].base.t2);

        h->pair_slots[p * N_P + k] = set_add_json (h->set, json);
      }
}

static void
harness_clear (Harness *h)
{
  kantor_indicator_set_free (h->set);
  g_array_unref (h->ref.trades);
  g_free (h->win_slots);
  g_free (h->pair_slots);
}

static void
harness_event (Harness                 *h,
               const KantorMarketEvent *ev)
{
  Reference *ref = &h->ref;

  kantor_indicator_set_update (h->set, ev);

  if (!ref->have_now)
    {
      ref->have_now = TRUE;
      ref->now = ref->first = ev->time_ms;
    }
  ref->now = MAX (ref->now, ev->time_ms);
  if (ev->kind == KANTOR_EVENT_TRADE)
    {
      Trade t = { ref->now, ev->price, ev->volume };

      g_array_append_val (ref->trades, t);
    }
}

static void
check_one (Harness    *h,
           guint       slot,
           gboolean    expect_has,
           double      expected,
           const char *what)
{
  double v = NAN;
  gboolean has = kantor_indicator_set_get_value (h->set, slot, &v);

  if (has != expect_has)
    g_error ("%s (slot %u) at now=%" G_GINT64_FORMAT " (%u trades): has value %d, "
             "expected %d (%.17g)", what, slot, h->ref.now, h->ref.trades->len, has,
             expect_has, expected);
  if (has && !close_enough (v, expected, h->rel))
    g_error ("%s (slot %u) at now=%" G_GINT64_FORMAT " (%u trades): %.17g, expected %.17g",
             what, slot, h->ref.now, h->ref.trades->len, v, expected);
  h->n_checked++;
}

static void
harness_check (Harness *h)
{
  WindowRef r;

  for (guint w = 0; w < h->n_wins; w++)
    {
      ref_window (&h->ref, to_ms (h->wins[w].t1), to_ms (h->wins[w].t2), &r);
      for (guint k = 0; k < N_W; k++)
        {
          double v = 0;
          gboolean has = ref_value (&r, k, &v);

          if (h->win_slots[w * N_W + k] != G_MAXUINT)
            check_one (h, h->win_slots[w * N_W + k], has, v, window_type_names[k]);
        }
    }

  for (guint p = 0; p < h->n_pairs; p++)
    {
      const Pair *pair = &h->pairs[p];
      gint64 c1 = to_ms (pair->cur.t1), c2 = to_ms (pair->cur.t2);
      gint64 b1 = to_ms (pair->base.t1), b2 = to_ms (pair->base.t2);
      WindowRef c, b;
      gboolean has;
      double v;

      ref_window (&h->ref, c1, c2, &c);
      ref_window (&h->ref, b1, b2, &b);

      has = c.has_twpa && b.has_twpa && b.twpa > 0;
      v = has ? (c.twpa - b.twpa) / b.twpa * 100.0 : 0;
      check_one (h, h->pair_slots[p * N_P + P_PUMP], has, v, "PUMP_MAGNITUDE_PCT");

      v = has ? v / ((((b1 + b2) - (c1 + c2)) / 2.0) / 1000.0) : 0;
      check_one (h, h->pair_slots[p * N_P + P_VELOCITY], has, v, "VELOCITY");

      has = h->ref.now - MAX (c1, b1) >= h->ref.first && b.volume > 0;
      v = has ? (c.volume / ((c1 - c2) / 1000.0)) / (b.volume / ((b1 - b2) / 1000.0)) : 0;
      check_one (h, h->pair_slots[p * N_P + P_SURGE], has, v, "VOLUME_SURGE");
    }
}

/* A market-like stream: bursts with equal timestamps, ordinary spacing,
 * pauses, gaps longer than any window, book updates in between and the
 * odd late event. */
static void
random_event (GRand             *rand,
              gint64            *clock,
              double            *price,
              KantorMarketEvent *ev)
{
  double u = g_rand_double (rand);

  if (u < 0.25)
    ;                                                   /* same millisecond */
  else if (u < 0.85)
    *clock += g_rand_int_range (rand, 1, 200);
  else if (u < 0.97)
    *clock += g_rand_int_range (rand, 200, 8000);
  else if (u < 0.99)
    *clock += g_rand_int_range (rand, 700 * 1000, 2000 * 1000);   /* longer than windows */

  *ev = (KantorMarketEvent) {
    .time_ms = *clock,
    .symbol = g_intern_static_string ("ETHUSDT"),
  };
  /* Now and then an event stamped slightly in the past. */
  if (g_rand_double (rand) < 0.01)
    ev->time_ms -= g_rand_int_range (rand, 1, 50);

  if (g_rand_double (rand) < 0.2)
    {
      ev->kind = KANTOR_EVENT_BOOK;
      ev->bids[0] = (KantorBookLevel) { *price * 0.999, 1 };
      ev->asks[0] = (KantorBookLevel) { *price * 1.001, 1 };
      return;
    }

  /* A few exact repeats of the price keep zero returns in play. */
  if (g_rand_double (rand) > 0.1)
    *price *= exp (g_rand_double_range (rand, -0.002, 0.002));
  ev->kind = KANTOR_EVENT_TRADE;
  ev->price = *price;
  ev->volume = exp (g_rand_double_range (rand, -6, 8));
}

static const Win test_windows[] = {
  { 10, 0 }, { 600, 60 }, { 5, 0 }, { 30, 5 }, { 1.5, 0.25 }, { 0.001, 0 }, { 2, 1 },
};
static const Pair test_pairs[] = {
  { { 10, 0 }, { 600, 60 } },
  { { 5, 0 }, { 30, 5 } },
  { { 2, 1 }, { 1.5, 0.25 } },
};

static void
test_window_random (void)
{
  for (guint seed = 1; seed <= 6; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      gint64 clock = 1700000000000;
      double price = 2000;
      Harness h;

      harness_init (&h, test_windows, G_N_ELEMENTS (test_windows),
                    test_pairs, G_N_ELEMENTS (test_pairs), seed <= 3);

      /* Nothing before the first event. */
      for (guint s = 0; s < kantor_indicator_set_get_n_slots (h.set); s++)
        assert_no_value (h.set, s);

      for (guint i = 0; i < 12000; i++)
        {
          KantorMarketEvent ev;

          random_event (rand, &clock, &price, &ev);
          harness_event (&h, &ev);
          if (i < 2000 || i % 11 == 0)
            harness_check (&h);
        }
      g_assert_cmpuint (h.n_checked, >, 100000);
      harness_clear (&h);
    }
}

static void
test_window_basics (void)
{
  static const Win wins[] = { { 10, 0 }, { 10, 5 } };
  Harness h;
  guint twpa_now, twpa_past, count_now, sum_past, vwap_now, first_now;
  double v;

  harness_init (&h, wins, G_N_ELEMENTS (wins), NULL, 0, TRUE);
  twpa_now = h.win_slots[0 * N_W + W_TWPA];
  count_now = h.win_slots[0 * N_W + W_COUNT_DEALS];
  vwap_now = h.win_slots[0 * N_W + W_VWAP];
  first_now = h.win_slots[0 * N_W + W_FIRST_PRICE];
  twpa_past = h.win_slots[1 * N_W + W_TWPA];
  sum_past = h.win_slots[1 * N_W + W_SUM_VOLUME];

  /* A book event starts time: empty windows, counters at zero. */
  book (h.set, 100000, 9, 1, 11, 1);
  assert_value (h.set, count_now, 0);
  assert_value (h.set, sum_past, 0);
  assert_no_value (h.set, twpa_now);
  assert_no_value (h.set, vwap_now);

  /* A single trade. */
  trade (h.set, 101000, 10, 2);
  assert_value (h.set, count_now, 1);
  assert_value (h.set, twpa_now, 10);
  assert_value (h.set, vwap_now, 10);
  assert_value (h.set, first_now, 10);
  /* The past window [now-10, now-5] ends before the trade. */
  assert_no_value (h.set, twpa_past);
  assert_value (h.set, sum_past, 0);

  /* 20 at 103 s: TWPA over [93, 103] counts 10 from its first trade at 101 s. */
  trade (h.set, 103000, 20, 6);
  assert_value (h.set, twpa_now, 10);
  book (h.set, 105000, 9, 1, 11, 1);
  /* [95, 105]: 10 for 2 s, 20 for 2 s since the first trade at 101 s. */
  assert_value (h.set, twpa_now, 15);
  assert_value (h.set, vwap_now, (10 * 2 + 20 * 6) / 8.0);
  /* Past window [95, 100] still holds nothing and no trade before its end. */
  assert_no_value (h.set, twpa_past);

  book (h.set, 107000, 9, 1, 11, 1);
  /* [97, 102]: the 101 s trade only; counts 1 s of 10 from 101 to 102. */
  assert_value (h.set, twpa_past, 10);
  assert_value (h.set, sum_past, 2);

  book (h.set, 112000, 9, 1, 11, 1);
  /* [102, 112]: 10 before the window counts from 102 to 103, then 20. */
  assert_value (h.set, twpa_now, (10 * 1 + 20 * 9) / 10.0);
  assert_value (h.set, count_now, 1);

  /* A gap longer than the window: empty, but the last price persists. */
  book (h.set, 500000, 9, 1, 11, 1);
  assert_value (h.set, count_now, 0);
  assert_value (h.set, twpa_now, 20);
  assert_value (h.set, twpa_past, 20);
  assert_no_value (h.set, vwap_now);
  assert_no_value (h.set, first_now);
  g_assert_false (kantor_indicator_set_get_value (h.set, h.win_slots[W_MAX_PRICE], &v));

  /* Equal timestamps: the last trade of the millisecond sets the price. */
  trade (h.set, 500000, 30, 1);
  trade (h.set, 500000, 40, 1);
  book (h.set, 502000, 9, 1, 11, 1);
  /* [492, 502]: 20 until 500, then 40. */
  assert_value (h.set, twpa_now, (20 * 8 + 40 * 2) / 10.0);
  assert_value (h.set, count_now, 2);
  assert_value (h.set, first_now, 30);
  assert_value (h.set, h.win_slots[W_LAST_PRICE], 40);

  harness_clear (&h);
}

static void
test_window_pairs (void)
{
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  guint pump = set_add_json (set, "{\"type\": \"PUMP_MAGNITUDE_PCT\", "
                                  "\"current\": {\"t1\": 10, \"t2\": 0}, "
                                  "\"baseline\": {\"t1\": 60, \"t2\": 20}}");
  guint vel = set_add_json (set, "{\"type\": \"VELOCITY\", "
                                 "\"current\": {\"t1\": 10, \"t2\": 0}, "
                                 "\"baseline\": {\"t1\": 60, \"t2\": 20}}");
  guint surge = set_add_json (set, "{\"type\": \"VOLUME_SURGE\", "
                                   "\"current\": {\"t1\": 10, \"t2\": 0}, "
                                   "\"baseline\": {\"t1\": 60, \"t2\": 20}}");

  /* One trade a second at 100 with volume 1 for a minute, then 110 with
   * volume 4 for ten seconds. */
  for (int s = 0; s < 60; s++)
    trade (set, s * 1000, 100, 1);
  /* Surge needs the baseline's start covered by data: not yet at 59 s. */
  assert_no_value (set, surge);
  for (int s = 60; s < 70; s++)
    trade (set, s * 1000, 110, 4);
  book (set, 70000, 1, 1, 2, 1);

  /* Current [60, 70] is all 110; baseline [10, 50] all 100. */
  assert_value (set, pump, 10.0);
  /* Midpoints 65 s and 30 s apart by 35 s. */
  assert_value (set, vel, 10.0 / 35.0);
  /* Current: 40 volume in 10 s; baseline: 40 trades... [10, 50] holds 41 of volume 1. */
  assert_value (set, surge, (40.0 / 10.0) / (41.0 / 40.0));
}

/* Long streams: the running sums must not drift from the window's true
 * contents over millions of events with volumes spanning twelve orders of
 * magnitude. */
static void
test_window_drift (void)
{
  static const Win wins[] = { { 600, 60 }, { 3, 0 } };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4242);
  guint n = g_test_slow () ? 20000000 : 1500000;
  gint64 clock = 0;
  double price = 30000;
  Harness h;

  harness_init (&h, wins, G_N_ELEMENTS (wins), NULL, 0, FALSE);
  for (guint i = 0; i < n; i++)
    {
      KantorMarketEvent ev = {
        .kind = KANTOR_EVENT_TRADE,
        .symbol = g_intern_static_string ("BTCUSDT"),
      };

      clock += g_rand_int_range (rand, 0, 3);
      price *= exp (g_rand_double_range (rand, -0.0005, 0.0005));
      ev.time_ms = clock;
      ev.price = price;
      /* Huge and tiny trades side by side. */
      ev.volume = g_rand_double (rand) < 0.001 ? 1e7 : exp (g_rand_double_range (rand, -12, 4));
      harness_event (&h, &ev);
      if (i % (n / 16) == n / 16 - 1)
        harness_check (&h);
    }
  g_assert_cmpuint (h.n_checked, ==, 16 * (N_W - 2) * G_N_ELEMENTS (wins));
  harness_clear (&h);
}

/* Several trades crossing a window boundary on the same event, on the
 * path without deques: the indices must move by all of them at once. */
static void
test_window_bursts (void)
{
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  guint now_count = set_add_json (set, "{\"type\": \"COUNT_DEALS\", \"t1\": 1, \"t2\": 0}");
  guint past_count = set_add_json (set, "{\"type\": \"COUNT_DEALS\", \"t1\": 2, \"t2\": 1}");
  guint past_sum = set_add_json (set, "{\"type\": \"SUM_VOLUME\", \"t1\": 2, \"t2\": 1}");

  for (guint burst = 1; burst <= 6; burst++)
    {
      gint64 t0 = burst * 100000;

      for (guint i = 0; i < burst; i++)
        trade (set, t0, 10 + i, 1);
      assert_value (set, now_count, burst);
      assert_value (set, past_count, 0);

      /* All of the burst enters the past window and leaves the current one
       * on the same event... */
      book (set, t0 + 1001, 1, 1, 2, 1);
      assert_value (set, now_count, 0);
      assert_value (set, past_count, burst);
      assert_value (set, past_sum, burst);

      /* ...and leaves the past window together. */
      book (set, t0 + 2001, 1, 1, 2, 1);
      assert_value (set, past_count, 0);
      assert_value (set, past_sum, 0);
    }
}

/* Windows whose contents (plus the trade before them, which TWPA needs)
 * fill the history ring exactly, or nearly: the ring must keep that trade
 * when it makes room and wraps. With a trade every 2 ms, a window of
 * 2k + 1 ms holds k + 1 trades and starts 1 ms after the trade before it;
 * the ring starts at 1024 slots and doubles. */
static void
test_window_ring_edges (void)
{
  static const double t1s[] = {
    2.043, 2.045, 2.047, 2.049, 4.091, 4.093, 4.095,
  };

  for (guint w = 0; w < G_N_ELEMENTS (t1s); w++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (w + 100);
      Win win = { t1s[w], 0 };
      double price = 50;
      Harness h;

      harness_init (&h, &win, 1, NULL, 0, FALSE);
      for (guint i = 0; i < 6000; i++)
        {
          KantorMarketEvent ev = {
            .kind = KANTOR_EVENT_TRADE,
            .time_ms = 1000000 + 2 * i,
            .symbol = g_intern_static_string ("BTCUSDT"),
          };

          price *= exp (g_rand_double_range (rand, -0.01, 0.01));
          ev.price = price;
          ev.volume = 1;
          harness_event (&h, &ev);
          if (i > 1000)
            harness_check (&h);
        }
      harness_clear (&h);
    }
}

/* Windows nobody reads for two million trades: the history must still be
 * trimmed to what the windows need (they catch up when the ring is full),
 * and the values read at the end must be right. */
static void
test_window_unread (void)
{
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  guint twpa = set_add_json (set, "{\"type\": \"TWPA\", \"t1\": 10, \"t2\": 0}");
  guint vwap = set_add_json (set, "{\"type\": \"VWAP\", \"t1\": 10, \"t2\": 0}");
  guint max = set_add_json (set, "{\"type\": \"MAX_PRICE\", \"t1\": 10, \"t2\": 0}");
  guint past = set_add_json (set, "{\"type\": \"COUNT_DEALS\", \"t1\": 8, \"t2\": 3}");
  const guint n = 2000000;
  double sum_pv = 0, sum_v = 0, max_p = 0, integral = 0;
  gsize before, after;

  trade (set, 0, 100, 1);
  before = kantor_indicator_set_get_memory_size (set);
  for (guint i = 1; i < n; i++)
    trade (set, i, 100 + (i * 7919 % 1000) * 0.01, 1 + i % 3);
  after = kantor_indicator_set_get_memory_size (set);

  /* One trade per millisecond: [now - 10 s, now] holds the last 10001. */
  for (guint i = n - 10001; i < n; i++)
    {
      double p = 100 + (i * 7919 % 1000) * 0.01;
      double v = 1 + i % 3;

      sum_pv += p * v;
      sum_v += v;
      max_p = MAX (max_p, p);
      if (i < n - 1)
        integral += p;
    }
  assert_value (set, twpa, integral / 10000);
  assert_value (set, vwap, sum_pv / sum_v);
  assert_value (set, max, max_p);
  assert_value (set, past, 5001);

  /* About 10000 trades needed: 16384 slots at most, not two million. */
  g_assert_cmpuint (after, <, before + 16384 * 100);
  g_assert_cmpuint (after, <, 3 * 1024 * 1024);
}

/* Adding a slot after data has flowed shares and extends existing windows. */
static void
test_window_late_add (void)
{
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  guint sum = set_add_json (set, "{\"type\": \"SUM_VOLUME\", \"t1\": 10, \"t2\": 0}");
  guint max, min, vol;

  trade (set, 1000, 5, 1);
  trade (set, 2000, 7, 1);
  trade (set, 3000, 6, 1);
  max = set_add_json (set, "{\"type\": \"MAX_PRICE\", \"t1\": 10, \"t2\": 0}");
  min = set_add_json (set, "{\"type\": \"MIN_PRICE\", \"t1\": 10, \"t2\": 0}");
  vol = set_add_json (set, "{\"type\": \"PRICE_VOLATILITY\", \"t1\": 10, \"t2\": 0}");
  assert_value (set, sum, 3);
  assert_value (set, max, 7);
  assert_value (set, min, 5);
  trade (set, 4000, 8, 1);
  assert_value (set, max, 8);
  assert_value (set, min, 5);

  {
    double r[3] = { log (7.0 / 5), log (6.0 / 7), log (8.0 / 6) };
    double m = (r[0] + r[1] + r[2]) / 3, ss = 0;

    for (int i = 0; i < 3; i++)
      ss += (r[i] - m) * (r[i] - m);
    assert_value (set, vol, sqrt (ss / 2) * 100);
  }

  /* Prefix sums started mid-stream cover the trades already held. */
  {
    guint vwap = set_add_json (set, "{\"type\": \"VWAP\", \"t1\": 10, \"t2\": 0}");
    guint twpa = set_add_json (set, "{\"type\": \"TWPA\", \"t1\": 10, \"t2\": 0}");

    assert_value (set, vwap, (5 + 7 + 6 + 8) / 4.0);
    /* [-6 s, 4 s] from the first trade at 1 s: 5, 7, 6 for a second each. */
    assert_value (set, twpa, (5 + 7 + 6) / 3.0);
    trade (set, 6000, 2, 3);
    assert_value (set, vwap, (5 + 7 + 6 + 8 + 2 * 3) / 7.0);
    assert_value (set, twpa, (5 + 7 + 6 + 8 * 2) / 5.0);
    assert_value (set, sum, 7);
  }
}

/* ---------------------------------------------------------------------- */
/* Candle indicators against TA-Lib                                       */

static double *
read_doubles (JsonArray *array,
              guint     *n)
{
  double *out = g_new (double, json_array_get_length (array));

  *n = json_array_get_length (array);
  for (guint i = 0; i < *n; i++)
    out[i] = json_array_get_double_element (array, i);
  return out;
}

typedef struct
{
  guint   slot;
  guint   beg;
  guint   n;
  double *expected;
  double  noise;     /* see run_talib() */
  char   *name;
} TalibOutput;

static void
talib_output_free (gpointer data)
{
  TalibOutput *o = data;

  g_free (o->expected);
  g_free (o->name);
  g_free (o);
}

static void
run_talib (const char *timeframe,
           gint64      tf_ms)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "talib", "talib.json",
                                                 NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  g_autoptr(GPtrArray) outputs = g_ptr_array_new_with_free_func (talib_output_free);
  g_autofree double *open = NULL;
  g_autofree double *high = NULL;
  g_autofree double *low = NULL;
  g_autofree double *close = NULL;
  JsonObject *root, *candles;
  JsonArray *cases;
  guint n, n2;
  gint64 t;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  candles = json_object_get_object_member (root, "candles");
  open = read_doubles (json_object_get_array_member (candles, "open"), &n);
  high = read_doubles (json_object_get_array_member (candles, "high"), &n2);
  g_assert_cmpuint (n, ==, n2);
  low = read_doubles (json_object_get_array_member (candles, "low"), &n2);
  g_assert_cmpuint (n, ==, n2);
  close = read_doubles (json_object_get_array_member (candles, "close"), &n2);
  g_assert_cmpuint (n, ==, n2);
  g_assert_cmpuint (n, >=, 100);

  cases = json_object_get_array_member (root, "cases");
  g_assert_cmpuint (json_array_get_length (cases), >=, 19);
  for (guint c = 0; c < json_array_get_length (cases); c++)
    {
      JsonObject *kase = json_array_get_object_element (cases, c);
      JsonObject *params = json_object_get_object_member (kase, "params");
      JsonObject *outs = json_object_get_object_member (kase, "outputs");
      const char *type = json_object_get_string_member (kase, "type");
      g_autoptr(GList) names = json_object_get_members (outs);

      for (GList *l = names; l != NULL; l = l->next)
        {
          const char *out_name = l->data;
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) node = NULL;
          g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
          g_autoptr(KantorIndicatorSpec) spec = NULL;
          g_autoptr(GList) pnames = json_object_get_members (params);
          g_autofree char *js = NULL;
          TalibOutput *o = g_new0 (TalibOutput, 1);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "type");
          json_builder_add_string_value (b, type);
          json_builder_set_member_name (b, "timeframe");
          json_builder_add_string_value (b, timeframe);
          for (GList *p = pnames; p != NULL; p = p->next)
            {
              json_builder_set_member_name (b, p->data);
              json_builder_add_value (b, json_node_copy (json_object_get_member (params,
                                                                                 p->data)));
            }
          if (!g_str_equal (out_name, "value"))
            {
              json_builder_set_member_name (b, "output");
              json_builder_add_string_value (b, out_name);
            }
          json_builder_end_object (b);
          node = json_builder_get_root (b);

          spec = kantor_indicator_spec_parse (node, "/indicators/x", diag);
          g_assert_nonnull (spec);
          js = json_to_string (node, FALSE);
          o->slot = kantor_indicator_set_add (set, spec);
          o->beg = json_object_get_int_member (kase, "begIndex");
          o->expected = read_doubles (json_object_get_array_member (outs, out_name), &o->n);
          o->name = g_strdup_printf ("%s %s.%s", timeframe, js, out_name);
          /* TA-Lib computes the BBANDS variance in one pass as E[x²] - mean²,
           * which cancels to noise of about sqrt(8 eps) * price when the window
           * is flat (it reports bands 2e-6 apart for equal closes near 100);
           * we compute it around a shift and report the exact 0. Allow that
           * noise, and nothing more, on the bands. */
          if (g_str_equal (type, "BBANDS") && !g_str_equal (out_name, "middle"))
            o->noise = json_object_get_double_member (params, "stddev") * sqrt (8 * DBL_EPSILON);
          if (o->beg + o->n != n)
            g_error ("%s: TA-Lib output starts at %u with %u values for %u candles", o->name,
                     o->beg, o->n, n);
          g_ptr_array_add (outputs, o);
        }
    }
  g_assert_cmpuint (outputs->len, >=, 30);

  /* Candle i spans one bucket; every fifth bucket stays empty (a gap that
   * must produce no candle). Open, high, low and close are separate trades
   * inside the bucket, in that order. */
  t = 1718064000000;   /* a UTC midnight */
  for (guint i = 0; i <= n; i++)
    {
      gint64 start = t;

      if (i % 5 == 4)
        t += tf_ms;
      start = t;
      t += tf_ms;

      /* The first trade of bucket i closes candle i - 1. */
      if (i == n)
        {
          trade (set, start, 1, 1);
        }
      else
        {
          trade (set, start, open[i], 1);
          trade (set, start + tf_ms / 4, high[i], 1);
          trade (set, start + tf_ms / 2, low[i], 1);
        }

      if (i > 0)
        {
          guint k = i - 1;

          for (guint j = 0; j < outputs->len; j++)
            {
              TalibOutput *o = g_ptr_array_index (outputs, j);
              double v = NAN;
              gboolean has = kantor_indicator_set_get_value (set, o->slot, &v);

              if (has != (k >= o->beg))
                g_error ("%s after candle %u: has value %d", o->name, k, has);
              if (has && !close_enough (v, o->expected[k - o->beg], 1e-9)
                  && !(fabs (v - o->expected[k - o->beg])
                       <= o->noise * fabs (o->expected[k - o->beg])))
                g_error ("%s after candle %u: %.17g, TA-Lib %.17g", o->name, k, v,
                         o->expected[k - o->beg]);
            }
        }

      if (i < n)
        trade (set, start + tf_ms - 1, close[i], 1);
    }
}

/* Several timeframes in one set: each indicator sees its own candles only,
 * and book updates never close a candle. */
static void
test_candle_timeframes (void)
{
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  guint sma_1m = set_add_json (set, "{\"type\": \"SMA\", \"period\": 2, \"timeframe\": \"1m\"}");
  guint sma_5m = set_add_json (set, "{\"type\": \"SMA\", \"period\": 2, \"timeframe\": \"5m\"}");
  guint atr_1m = set_add_json (set, "{\"type\": \"ATR\", \"period\": 1, \"timeframe\": \"1m\"}");
  gint64 t0 = 1718064000000;   /* a UTC midnight */

  /* One trade at the start of each minute, price = minute + 1, for 11 min. */
  for (gint64 m = 0; m <= 10; m++)
    {
      trade (set, t0 + m * 60000, m + 1, 1);
      book (set, t0 + m * 60000 + 59999, 1, 1, 2, 1);
    }

  /* 1m candles 0..9 closed: SMA(2) of closes 9 and 10. */
  assert_value (set, sma_1m, 9.5);
  /* True range of a one-trade candle is its gap from the previous close. */
  assert_value (set, atr_1m, 1);
  /* 5m candles [0, 5) and [5, 10) closed, closes 5 and 10. */
  assert_value (set, sma_5m, 7.5);

  /* A book update far in the future closes nothing. */
  book (set, t0 + 3600000, 1, 1, 2, 1);
  assert_value (set, sma_1m, 9.5);
  assert_value (set, sma_5m, 7.5);

  /* The next trade closes the 11th 1m candle and the third 5m one, after
   * an hour with no candles at all. */
  trade (set, t0 + 3600000, 100, 1);
  assert_value (set, sma_1m, 10.5);
  assert_value (set, sma_5m, 10.5);
  assert_value (set, atr_1m, 1);
}

static void
test_talib (void)
{
  run_talib ("1m", 60 * 1000);
  run_talib ("1s", 1000);
  run_talib ("4h", 4 * 60 * 60 * 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/indicators/spec/errors", test_spec_errors);
  g_test_add_func ("/kantor/engine/indicators/spec/valid", test_spec_valid);
  g_test_add_func ("/kantor/engine/indicators/spec/warning", test_spec_warning);
  g_test_add_func ("/kantor/engine/indicators/spec/dedupe", test_spec_dedupe);
  g_test_add_func ("/kantor/engine/indicators/spec/registry", test_spec_registry);
  g_test_add_func ("/kantor/engine/indicators/instant", test_instant);
  g_test_add_func ("/kantor/engine/indicators/window/basics", test_window_basics);
  g_test_add_func ("/kantor/engine/indicators/window/pairs", test_window_pairs);
  g_test_add_func ("/kantor/engine/indicators/window/random", test_window_random);
  g_test_add_func ("/kantor/engine/indicators/window/bursts", test_window_bursts);
  g_test_add_func ("/kantor/engine/indicators/window/ring-edges", test_window_ring_edges);
  g_test_add_func ("/kantor/engine/indicators/window/unread", test_window_unread);
  g_test_add_func ("/kantor/engine/indicators/window/late-add", test_window_late_add);
  g_test_add_func ("/kantor/engine/indicators/window/drift", test_window_drift);
  g_test_add_func ("/kantor/engine/indicators/talib", test_talib);
  g_test_add_func ("/kantor/engine/indicators/candle-timeframes", test_candle_timeframes);

  return g_test_run ();
}
