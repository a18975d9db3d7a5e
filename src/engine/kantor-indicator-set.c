/* kantor-indicator-set.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One registry table describes every indicator type: its parameter shape,
 * the window features it needs and its value range. Parsing, validation,
 * deduplication and the engine are all driven from it.
 *
 * A set owns one trade history, one KantorWindow per distinct (t1, t2)
 * (shared by every indicator over that window), one candle builder per
 * timeframe in use and one KantorTa per candle indicator. Updates only move
 * windows and candles; values are computed when asked for, so an indicator
 * nobody reads costs nothing beyond its window's bookkeeping.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-candle.h"
#include "kantor-indicator-set.h"
#include "kantor-ta.h"
#include "kantor-window.h"

/* Windows longer than this are suspicious (warning); longer than the hard
 * limit are refused, keeping every time in range and memory bounded. */
#define WINDOW_WARN_MS  (24 * 60 * 60 * (gint64) 1000)
#define WINDOW_LIMIT_MS (366 * 24 * 60 * 60 * (gint64) 1000)
#define PERIOD_LIMIT    100000

typedef enum
{
  TYPE_PRICE,
  TYPE_VOLUME,
  TYPE_BEST_BID,
  TYPE_BEST_ASK,
  TYPE_SPREAD_PCT,
  TYPE_BID_ASK_IMBALANCE,
  TYPE_TWPA,
  TYPE_VWAP,
  TYPE_SUM_VOLUME,
  TYPE_AVG_VOLUME,
  TYPE_COUNT_DEALS,
  TYPE_MAX_PRICE,
  TYPE_MIN_PRICE,
  TYPE_FIRST_PRICE,
  TYPE_LAST_PRICE,
  TYPE_PRICE_VOLATILITY,
  TYPE_VELOCITY,
  TYPE_PUMP_MAGNITUDE_PCT,
  TYPE_VOLUME_SURGE,
  TYPE_SMA,
  TYPE_EMA,
  TYPE_RSI,
  TYPE_MACD,
  TYPE_BBANDS,
  TYPE_ATR,
  N_TYPES
} IndicatorType;

typedef enum
{
  SHAPE_INSTANT,   /* no parameters */
  SHAPE_WINDOW,    /* t1, t2 */
  SHAPE_PAIR,      /* current {t1, t2}, baseline {t1, t2} */
  SHAPE_CANDLE,    /* period, timeframe (+ MACD and BBANDS extras) */
} Shape;

typedef struct
{
  const char *name;
  Shape       shape;
  guint       features;       /* KantorWindowFeatures of its window(s) */
  double      min_value;
  double      max_value;
  guint       min_period;     /* TA-Lib's lower bound */
  guint       default_period; /* TA-Lib's default */
} TypeInfo;

#define INF INFINITY

static const TypeInfo registry[N_TYPES] = {
  [TYPE_PRICE]             = { "PRICE", SHAPE_INSTANT, 0, 0, INF },
  [TYPE_VOLUME]            = { "VOLUME", SHAPE_INSTANT, 0, 0, INF },
  [TYPE_BEST_BID]          = { "BEST_BID", SHAPE_INSTANT, 0, 0, INF },
  [TYPE_BEST_ASK]          = { "BEST_ASK", SHAPE_INSTANT, 0, 0, INF },
  [TYPE_SPREAD_PCT]        = { "SPREAD_PCT", SHAPE_INSTANT, 0, 0, INF },
  [TYPE_BID_ASK_IMBALANCE] = { "BID_ASK_IMBALANCE", SHAPE_INSTANT, 0, -100, 100 },
  [TYPE_TWPA]              = { "TWPA", SHAPE_WINDOW, KANTOR_WINDOW_TWPA, 0, INF },
  [TYPE_VWAP]              = { "VWAP", SHAPE_WINDOW,
                               KANTOR_WINDOW_VOLUME | KANTOR_WINDOW_PV, 0, INF },
  [TYPE_SUM_VOLUME]        = { "SUM_VOLUME", SHAPE_WINDOW, KANTOR_WINDOW_VOLUME, 0, INF },
  [TYPE_AVG_VOLUME]        = { "AVG_VOLUME", SHAPE_WINDOW, KANTOR_WINDOW_VOLUME, 0, INF },
  [TYPE_COUNT_DEALS]       = { "COUNT_DEALS", SHAPE_WINDOW, 0, 0, INF },
  [TYPE_MAX_PRICE]         = { "MAX_PRICE", SHAPE_WINDOW, KANTOR_WINDOW_MAX, 0, INF },
  [TYPE_MIN_PRICE]         = { "MIN_PRICE", SHAPE_WINDOW, KANTOR_WINDOW_MIN, 0, INF },
  [TYPE_FIRST_PRICE]       = { "FIRST_PRICE", SHAPE_WINDOW, 0, 0, INF },
  [TYPE_LAST_PRICE]        = { "LAST_PRICE", SHAPE_WINDOW, 0, 0, INF },
  [TYPE_PRICE_VOLATILITY]  = { "PRICE_VOLATILITY", SHAPE_WINDOW, KANTOR_WINDOW_RETURNS, 0, INF },
  [TYPE_VELOCITY]          = { "VELOCITY", SHAPE_PAIR, KANTOR_WINDOW_TWPA, -INF, INF },
  [TYPE_PUMP_MAGNITUDE_PCT] = { "PUMP_MAGNITUDE_PCT", SHAPE_PAIR, KANTOR_WINDOW_TWPA, -100, INF },
  [TYPE_VOLUME_SURGE]      = { "VOLUME_SURGE", SHAPE_PAIR, KANTOR_WINDOW_VOLUME, 0, INF },
  [TYPE_SMA]               = { "SMA", SHAPE_CANDLE, 0, 0, INF, 2, 30 },
  [TYPE_EMA]               = { "EMA", SHAPE_CANDLE, 0, 0, INF, 2, 30 },
  [TYPE_RSI]               = { "RSI", SHAPE_CANDLE, 0, 0, 100, 2, 14 },
  [TYPE_MACD]              = { "MACD", SHAPE_CANDLE, 0, -INF, INF, 2, 26 },
  [TYPE_BBANDS]            = { "BBANDS", SHAPE_CANDLE, 0, 0, INF, 2, 5 },
  [TYPE_ATR]               = { "ATR", SHAPE_CANDLE, 0, 0, INF, 1, 14 },
};

static const char * const type_names[N_TYPES + 1] = {
  "PRICE", "VOLUME", "BEST_BID", "BEST_ASK", "SPREAD_PCT", "BID_ASK_IMBALANCE",
  "TWPA", "VWAP", "SUM_VOLUME", "AVG_VOLUME", "COUNT_DEALS",
  "MAX_PRICE", "MIN_PRICE", "FIRST_PRICE", "LAST_PRICE", "PRICE_VOLATILITY",
  "VELOCITY", "PUMP_MAGNITUDE_PCT", "VOLUME_SURGE",
  "SMA", "EMA", "RSI", "MACD", "BBANDS", "ATR",
  NULL
};

static const char * const builtin_names[] = {
  "UNREALIZED_PNL_PCT", "POSITION_AGE_SECONDS", "SIGNAL_AGE_SECONDS",
};

static const char * const macd_outputs[] = { "macd", "signal", "hist", NULL };
static const char * const bbands_outputs[] = { "upper", "middle", "lower", NULL };

/* Every field is set (unused ones zero) so hash and equality can compare
 * them all: two declarations that mean the same after defaults are one. */
struct _KantorIndicatorSpec
{
  gatomicrefcount  ref_count;
  IndicatorType    type;
  gint64           t1_ms[2];    /* [0] the window or `current`, [1] `baseline` */
  gint64           t2_ms[2];
  guint            period;      /* MACD: slow */
  guint            fast;
  guint            signal;
  double           stddev;
  KantorTimeframe  timeframe;
  guint            output;
};

/* ---------------------------------------------------------------------- */
/* Parsing                                                                */

static gboolean
node_get_number (JsonNode *node,
                 double   *value)
{
  GType t;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  t = json_node_get_value_type (node);
  if (t == G_TYPE_INT64)
    *value = (double) json_node_get_int (node);
  else if (t == G_TYPE_DOUBLE)
    *value = json_node_get_double (node);
  else
    return FALSE;

  return isfinite (*value);
}

/* Parses member @name of @obj as an integer in [min, max], or takes
 * @default_value when absent. */
static gboolean
parse_int (JsonObject        *obj,
           const char        *name,
           const char        *path,
           guint              min,
           guint              max,
           guint              default_value,
           KantorDiagnostics *diag,
           guint             *out)
{
  g_autofree char *p = kantor_json_pointer_append (path, name);
  JsonNode *node = json_object_get_member (obj, name);
  double v;

  if (node == NULL)
    {
      *out = default_value;
      return TRUE;
    }
  if (!node_get_number (node, &v) || v != floor (v))
    {
      kantor_diagnostics_add_error (diag, p, "“%s” must be an integer", name);
      return FALSE;
    }
  if (v < min || v > max)
    {
      kantor_diagnostics_add_error (diag, p, "“%s” must be between %u and %u", name, min, max);
      return FALSE;
    }

  *out = (guint) v;
  return TRUE;
}

/* A window's bound in seconds (integer or decimal) to milliseconds. */
static gboolean
parse_seconds (JsonObject        *obj,
               const char        *name,
               const char        *path,
               KantorDiagnostics *diag,
               gint64            *out_ms)
{
  g_autofree char *p = kantor_json_pointer_append (path, name);
  JsonNode *node = json_object_get_member (obj, name);
  double v;

  if (node == NULL)
    {
      kantor_diagnostics_add_error (diag, p, "“%s” is required (seconds)", name);
      return FALSE;
    }
  if (!node_get_number (node, &v))
    {
      kantor_diagnostics_add_error (diag, p, "“%s” must be a number of seconds", name);
      return FALSE;
    }
  if (v < 0)
    {
      kantor_diagnostics_add_error (diag, p, "“%s” must not be negative", name);
      return FALSE;
    }
  if (v * 1000.0 > (double) WINDOW_LIMIT_MS)
    {
      kantor_diagnostics_add_error (diag, p, "“%s” must be at most %" G_GINT64_FORMAT " seconds",
                                    name, WINDOW_LIMIT_MS / 1000);
      return FALSE;
    }

  /* Event times are milliseconds: finer bounds cannot be told apart. */
  *out_ms = (gint64) llround (v * 1000.0);
  return TRUE;
}

static gboolean
check_members (JsonObject         *obj,
               const char         *path,
               const char * const *allowed,
               const char         *what,
               KantorDiagnostics  *diag)
{
  g_autoptr(GList) members = json_object_get_members (obj);
  gboolean ok = TRUE;

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (!g_strv_contains (allowed, name))
        {
          g_autofree char *p = kantor_json_pointer_append (path, name);

          kantor_diagnostics_add_error (diag, p, "Unknown parameter “%s” for %s", name, what);
          ok = FALSE;
        }
    }

  return ok;
}

/* t1 and t2 of @obj (the indicator itself or its current/baseline). */
static gboolean
parse_window (JsonObject        *obj,
              const char        *path,
              KantorDiagnostics *diag,
              gint64            *t1_ms,
              gint64            *t2_ms)
{
  gboolean ok = TRUE;

  ok &= parse_seconds (obj, "t1", path, diag, t1_ms);
  ok &= parse_seconds (obj, "t2", path, diag, t2_ms);
  if (!ok)
    return FALSE;

  if (*t1_ms <= *t2_ms)
    {
      g_autofree char *p = kantor_json_pointer_append (path, "t1");

      kantor_diagnostics_add_error (diag, p,
                                    "The window [now - t1, now - t2] needs t1 greater than t2 "
                                    "(by at least a millisecond)");
      return FALSE;
    }
  if (*t1_ms > WINDOW_WARN_MS)
    {
      g_autofree char *p = kantor_json_pointer_append (path, "t1");

      kantor_diagnostics_add_warning (diag, p, "The window is longer than 24 hours");
    }

  return TRUE;
}

static gboolean
parse_sub_window (JsonObject        *obj,
                  const char        *name,
                  const char        *path,
                  KantorDiagnostics *diag,
                  gint64            *t1_ms,
                  gint64            *t2_ms)
{
  static const char * const allowed[] = { "t1", "t2", NULL };
  g_autofree char *p = kantor_json_pointer_append (path, name);
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL)
    {
      kantor_diagnostics_add_error (diag, p, "“%s” is required: {\"t1\": …, \"t2\": …}", name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      kantor_diagnostics_add_error (diag, p, "“%s” must be an object {\"t1\": …, \"t2\": …}", name);
      return FALSE;
    }
  if (!check_members (json_node_get_object (node), p, allowed, "a window", diag))
    return FALSE;

  return parse_window (json_node_get_object (node), p, diag, t1_ms, t2_ms);
}

static gboolean
parse_choice (JsonObject         *obj,
              const char         *name,
              const char         *path,
              const char * const *choices,
              int                 default_index,
              KantorDiagnostics  *diag,
              guint              *out)
{
  g_autofree char *p = kantor_json_pointer_append (path, name);
  JsonNode *node = json_object_get_member (obj, name);
  const char *s;

  if (node == NULL && default_index >= 0)
    {
      *out = (guint) default_index;
      return TRUE;
    }
  if (node == NULL)
    {
      kantor_diagnostics_add_error (diag, p, "“%s” is required", name);
      return FALSE;
    }
  s = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
      ? json_node_get_string (node) : NULL;
  for (guint i = 0; s != NULL && choices[i] != NULL; i++)
    if (g_str_equal (s, choices[i]))
      {
        *out = i;
        return TRUE;
      }

  {
    g_autofree char *list = g_strjoinv (", ", (char **) choices);

    kantor_diagnostics_add_error (diag, p, "“%s” must be one of %s", name, list);
  }
  return FALSE;
}

static gboolean
parse_timeframe (JsonObject        *obj,
                 const char        *path,
                 KantorDiagnostics *diag,
                 KantorTimeframe   *out)
{
  static const char * const names[KANTOR_N_TIMEFRAMES + 1] = {
    "1s", "5s", "15s", "1m", "5m", "15m", "1h", "4h", "1d", NULL
  };
  guint index;

  if (!parse_choice (obj, "timeframe", path, names, -1, diag, &index))
    return FALSE;

  /* The list above mirrors kantor-candle.c; parse the name there too so
   * both can never disagree. */
  return kantor_timeframe_parse (names[index], out);
}

static gboolean
parse_candle_params (KantorIndicatorSpec *spec,
                     JsonObject          *obj,
                     const char          *path,
                     KantorDiagnostics   *diag)
{
  const TypeInfo *info = &registry[spec->type];
  gboolean ok = TRUE;

  ok &= parse_timeframe (obj, path, diag, &spec->timeframe);

  switch (spec->type)
    {
    case TYPE_MACD:
      {
        guint fast = 0, slow = 0, signal = 0;
        gboolean periods_ok = TRUE;

        periods_ok &= parse_int (obj, "fast", path, 2, PERIOD_LIMIT, 12, diag, &fast);
        periods_ok &= parse_int (obj, "slow", path, 2, PERIOD_LIMIT, 26, diag, &slow);
        /* TA-Lib's MACD takes a signal period of 1 but its EMA does not, and
         * the output is shifted by one candle then: refuse it. */
        periods_ok &= parse_int (obj, "signal", path, 2, PERIOD_LIMIT, 9, diag, &signal);
        if (periods_ok && fast >= slow)
          {
            g_autofree char *p = kantor_json_pointer_append (path, "fast");

            kantor_diagnostics_add_error (diag, p,
                                          "MACD's fast period (%u) must be shorter than its "
                                          "slow period (%u)", fast, slow);
            periods_ok = FALSE;
          }
        ok &= periods_ok;
        spec->fast = fast;
        spec->period = slow;
        spec->signal = signal;
        ok &= parse_choice (obj, "output", path, macd_outputs, KANTOR_TA_OUT_MACD, diag,
                            &spec->output);
      }
      break;

    case TYPE_BBANDS:
      {
        JsonNode *node = json_object_get_member (obj, "stddev");

        ok &= parse_int (obj, "period", path, info->min_period, PERIOD_LIMIT,
                         info->default_period, diag, &spec->period);
        spec->stddev = 2.0;
        if (node != NULL)
          {
            double v;

            if (!node_get_number (node, &v) || v <= 0 || v > 100)
              {
                g_autofree char *p = kantor_json_pointer_append (path, "stddev");

                kantor_diagnostics_add_error (diag, p,
                                              "“stddev” must be a number above 0 and at most 100");
                ok = FALSE;
              }
            else
              {
                spec->stddev = v;
              }
          }
        ok &= parse_choice (obj, "output", path, bbands_outputs, KANTOR_TA_OUT_MIDDLE, diag,
                            &spec->output);
      }
      break;

    default:
      ok &= parse_int (obj, "period", path, info->min_period, PERIOD_LIMIT,
                       info->default_period, diag, &spec->period);
      break;
    }

  return ok;
}

static int
lookup_type (const char *name)
{
  for (int i = 0; i < N_TYPES; i++)
    if (g_str_equal (name, registry[i].name))
      return i;
  return -1;
}

KantorIndicatorSpec *
kantor_indicator_spec_parse (JsonNode          *node,
                             const char        *path,
                             KantorDiagnostics *diag)
{
  static const char * const instant_params[] = { "type", NULL };
  static const char * const window_params[] = { "type", "t1", "t2", NULL };
  static const char * const pair_params[] = { "type", "current", "baseline", NULL };
  static const char * const period_params[] = { "type", "period", "timeframe", NULL };
  static const char * const macd_params[] = {
    "type", "fast", "slow", "signal", "timeframe", "output", NULL
  };
  static const char * const bbands_params[] = {
    "type", "period", "stddev", "timeframe", "output", NULL
  };
  g_autofree char *type_path = kantor_json_pointer_append (path, "type");
  const char * const *allowed;
  g_autoptr(KantorIndicatorSpec) spec = NULL;
  JsonObject *obj;
  JsonNode *type_node;
  const char *type_name;
  gboolean ok;
  int type;

  g_return_val_if_fail (diag != NULL, NULL);

  if (path == NULL)
    path = "";

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      kantor_diagnostics_add_error (diag, path,
                                    "An indicator must be an object with a “type”");
      return NULL;
    }
  obj = json_node_get_object (node);

  type_node = json_object_get_member (obj, "type");
  if (type_node == NULL)
    {
      kantor_diagnostics_add_error (diag, type_path, "The indicator has no “type”");
      return NULL;
    }
  type_name = JSON_NODE_HOLDS_VALUE (type_node)
              && json_node_get_value_type (type_node) == G_TYPE_STRING
              ? json_node_get_string (type_node) : NULL;
  type = type_name != NULL ? lookup_type (type_name) : -1;
  if (type < 0)
    {
      g_autofree char *list = g_strjoinv (", ", (char **) type_names);

      if (type_name != NULL && kantor_indicator_is_builtin (type_name))
        kantor_diagnostics_add_error (diag, type_path,
                                      "“%s” is built in: use it as an indicatorId directly",
                                      type_name);
      else
        kantor_diagnostics_add_error (diag, type_path,
                                      "Unknown indicator type “%s”; known types: %s",
                                      type_name != NULL ? type_name : "(not a string)", list);
      return NULL;
    }

  spec = g_new0 (KantorIndicatorSpec, 1);
  g_atomic_ref_count_init (&spec->ref_count);
  spec->type = (IndicatorType) type;

  switch (registry[type].shape)
    {
    case SHAPE_INSTANT:
      allowed = instant_params;
      break;
    case SHAPE_WINDOW:
      allowed = window_params;
      break;
    case SHAPE_PAIR:
      allowed = pair_params;
      break;
    case SHAPE_CANDLE:
    default:
      allowed = type == TYPE_MACD ? macd_params
                : type == TYPE_BBANDS ? bbands_params
                : period_params;
      break;
    }

  ok = check_members (obj, path, allowed, registry[type].name, diag);

  switch (registry[type].shape)
    {
    case SHAPE_INSTANT:
      break;

    case SHAPE_WINDOW:
      ok &= parse_window (obj, path, diag, &spec->t1_ms[0], &spec->t2_ms[0]);
      break;

    case SHAPE_PAIR:
      {
        gboolean windows_ok = TRUE;

        windows_ok &= parse_sub_window (obj, "current", path, diag,
                                        &spec->t1_ms[0], &spec->t2_ms[0]);
        windows_ok &= parse_sub_window (obj, "baseline", path, diag,
                                        &spec->t1_ms[1], &spec->t2_ms[1]);
        /* VELOCITY divides by the time between the midpoints. */
        if (windows_ok && type == TYPE_VELOCITY
            && spec->t1_ms[0] + spec->t2_ms[0] == spec->t1_ms[1] + spec->t2_ms[1])
          {
            g_autofree char *p = kantor_json_pointer_append (path, "baseline");

            kantor_diagnostics_add_error (diag, p,
                                          "VELOCITY needs windows with different midpoints");
            windows_ok = FALSE;
          }
        ok &= windows_ok;
      }
      break;

    case SHAPE_CANDLE:
      ok &= parse_candle_params (spec, obj, path, diag);
      break;

    default:
      g_assert_not_reached ();
    }

  if (!ok)
    return NULL;

  return g_steal_pointer (&spec);
}

KantorIndicatorSpec *
kantor_indicator_spec_ref (KantorIndicatorSpec *spec)
{
  g_return_val_if_fail (spec != NULL, NULL);
  g_atomic_ref_count_inc (&spec->ref_count);
  return spec;
}

void
kantor_indicator_spec_unref (KantorIndicatorSpec *spec)
{
  if (spec != NULL && g_atomic_ref_count_dec (&spec->ref_count))
    g_free (spec);
}

const char *
kantor_indicator_spec_get_type_name (const KantorIndicatorSpec *spec)
{
  g_return_val_if_fail (spec != NULL, NULL);
  return registry[spec->type].name;
}

void
kantor_indicator_spec_get_range (const KantorIndicatorSpec *spec,
                                 double                    *min_value,
                                 double                    *max_value)
{
  double lo, hi;

  g_return_if_fail (spec != NULL);

  lo = registry[spec->type].min_value;
  hi = registry[spec->type].max_value;
  if (spec->type == TYPE_BBANDS && spec->output == KANTOR_TA_OUT_LOWER)
    lo = -INF;

  if (min_value != NULL)
    *min_value = lo;
  if (max_value != NULL)
    *max_value = hi;
}

static inline guint
mix (guint  h,
     guint64 v)
{
  v ^= v >> 33;
  v *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  v ^= v >> 33;
  return (h * 31u) ^ (guint) v ^ (guint) (v >> 32);
}

guint
kantor_indicator_spec_hash (gconstpointer data)
{
  const KantorIndicatorSpec *s = data;
  double sd = s->stddev + 0.0;   /* folds -0 into +0 */
  guint64 sd_bits;
  guint h = 17;

  memcpy (&sd_bits, &sd, sizeof sd_bits);
  h = mix (h, s->type);
  h = mix (h, (guint64) s->t1_ms[0]);
  h = mix (h, (guint64) s->t2_ms[0]);
  h = mix (h, (guint64) s->t1_ms[1]);
  h = mix (h, (guint64) s->t2_ms[1]);
  h = mix (h, s->period);
  h = mix (h, s->fast);
  h = mix (h, s->signal);
  h = mix (h, sd_bits);
  h = mix (h, s->timeframe);
  h = mix (h, s->output);

  return h;
}

gboolean
kantor_indicator_spec_equal (gconstpointer a,
                             gconstpointer b)
{
  const KantorIndicatorSpec *x = a;
  const KantorIndicatorSpec *y = b;

  return x->type == y->type
         && x->t1_ms[0] == y->t1_ms[0] && x->t2_ms[0] == y->t2_ms[0]
         && x->t1_ms[1] == y->t1_ms[1] && x->t2_ms[1] == y->t2_ms[1]
         && x->period == y->period && x->fast == y->fast && x->signal == y->signal
         && x->stddev == y->stddev
         && x->timeframe == y->timeframe
         && x->output == y->output;
}

gboolean
kantor_indicator_is_builtin (const char *name)
{
  if (name == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (builtin_names); i++)
    if (g_str_equal (name, builtin_names[i]))
      return TRUE;

  return FALSE;
}

const char * const *
kantor_indicator_list_types (void)
{
  return type_names;
}

/* ---------------------------------------------------------------------- */
/* Sets                                                                   */

typedef struct
{
  IndicatorType type;
  guint         output;
  guint         win[2];      /* window indices (SHAPE_WINDOW: [0]; SHAPE_PAIR: both) */
  guint         ta;          /* SHAPE_CANDLE: index into tas */
  double        factor;      /* VELOCITY: 1 / seconds between midpoints;
                              * VOLUME_SURGE: baseline duration / current duration */
} Slot;

typedef struct
{
  KantorTa        ta;
  KantorTimeframe timeframe;
} CandleIndicator;

struct _KantorIndicatorSet
{
  GPtrArray          *specs;      /* slot -> KantorIndicatorSpec */
  GHashTable         *slot_of;    /* KantorIndicatorSpec -> slot + 1 */
  GArray             *slots;      /* Slot */
  GArray             *windows;    /* KantorWindow */
  GArray             *tas;        /* CandleIndicator */

  KantorTradeHistory  hist;

  guint               n_timeframes;
  KantorTimeframe     timeframes[KANTOR_N_TIMEFRAMES];
  KantorCandleBuilder builders[KANTOR_N_TIMEFRAMES];

  gboolean            have_now;
  gint64              now;
  gint64              first_time;

  gboolean            have_trade;
  double              last_price;
  double              last_volume;

  gboolean            have_bid;
  gboolean            have_ask;
  double              bid;
  double              ask;
  double              bid_qty;
  double              ask_qty;
};

KantorIndicatorSet *
kantor_indicator_set_new (void)
{
  KantorIndicatorSet *self = g_new0 (KantorIndicatorSet, 1);

  self->specs = g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_indicator_spec_unref);
  self->slot_of = g_hash_table_new (kantor_indicator_spec_hash, kantor_indicator_spec_equal);
  self->slots = g_array_new (FALSE, TRUE, sizeof (Slot));
  self->windows = g_array_new (FALSE, TRUE, sizeof (KantorWindow));
  self->tas = g_array_new (FALSE, TRUE, sizeof (CandleIndicator));
  kantor_trade_history_init (&self->hist);

  return self;
}

void
kantor_indicator_set_free (KantorIndicatorSet *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < self->windows->len; i++)
    kantor_window_clear (&g_array_index (self->windows, KantorWindow, i));
  for (guint i = 0; i < self->tas->len; i++)
    kantor_ta_clear (&g_array_index (self->tas, CandleIndicator, i).ta);
  g_array_unref (self->windows);
  g_array_unref (self->tas);
  g_array_unref (self->slots);
  g_hash_table_unref (self->slot_of);
  g_ptr_array_unref (self->specs);
  kantor_trade_history_clear (&self->hist);
  g_free (self);
}

/* The window over (t1, t2) with at least @features, created or extended. */
static guint
ensure_window (KantorIndicatorSet *self,
               gint64              t1_ms,
               gint64              t2_ms,
               guint               features)
{
  KantorWindow *w = NULL;
  guint index;

  kantor_trade_history_enable (&self->hist, features);

  for (index = 0; index < self->windows->len; index++)
    {
      w = &g_array_index (self->windows, KantorWindow, index);
      if (w->t1_ms == t1_ms && w->t2_ms == t2_ms)
        break;
    }

  if (index == self->windows->len)
    {
      KantorWindow nw;

      /* Only the trades still held can enter a window added mid-stream. */
      kantor_window_init (&nw, t1_ms, t2_ms, features);
      nw.lo = nw.hi = self->hist.tail;
      g_array_append_val (self->windows, nw);
      w = &g_array_index (self->windows, KantorWindow, index);
      if (self->have_now)
        kantor_window_advance (w, &self->hist, self->now);
      return index;
    }

  kantor_window_add_features (w, &self->hist, features);
  return index;
}

static guint
ensure_timeframe (KantorIndicatorSet *self,
                  KantorTimeframe     timeframe)
{
  for (guint i = 0; i < self->n_timeframes; i++)
    if (self->timeframes[i] == timeframe)
      return i;

  self->timeframes[self->n_timeframes] = timeframe;
  kantor_candle_builder_init (&self->builders[self->n_timeframes], timeframe);
  return self->n_timeframes++;
}

guint
kantor_indicator_set_add (KantorIndicatorSet  *self,
                          KantorIndicatorSpec *spec)
{
  const TypeInfo *info;
  gpointer existing;
  Slot slot = { 0, };
  guint index;

  g_return_val_if_fail (self != NULL, G_MAXUINT);
  g_return_val_if_fail (spec != NULL, G_MAXUINT);

  existing = g_hash_table_lookup (self->slot_of, spec);
  if (existing != NULL)
    return GPOINTER_TO_UINT (existing) - 1;

  info = &registry[spec->type];
  slot.type = spec->type;
  slot.output = spec->output;

  switch (info->shape)
    {
    case SHAPE_INSTANT:
      break;

    case SHAPE_WINDOW:
      slot.win[0] = ensure_window (self, spec->t1_ms[0], spec->t2_ms[0], info->features);
      break;

    case SHAPE_PAIR:
      slot.win[0] = ensure_window (self, spec->t1_ms[0], spec->t2_ms[0], info->features);
      slot.win[1] = ensure_window (self, spec->t1_ms[1], spec->t2_ms[1], info->features);
      if (spec->type == TYPE_VELOCITY)
        slot.factor = 2000.0 / (double) ((spec->t1_ms[1] + spec->t2_ms[1])
                                         - (spec->t1_ms[0] + spec->t2_ms[0]));
      else if (spec->type == TYPE_VOLUME_SURGE)
        slot.factor = (double) (spec->t1_ms[1] - spec->t2_ms[1])
                      / (double) (spec->t1_ms[0] - spec->t2_ms[0]);
      break;

    case SHAPE_CANDLE:
      {
        CandleIndicator ci = { .timeframe = spec->timeframe };

        switch (spec->type)
          {
          case TYPE_SMA:
            kantor_ta_init_sma (&ci.ta, spec->period);
            break;
          case TYPE_EMA:
            kantor_ta_init_ema (&ci.ta, spec->period);
            break;
          case TYPE_RSI:
            kantor_ta_init_rsi (&ci.ta, spec->period);
            break;
          case TYPE_MACD:
            kantor_ta_init_macd (&ci.ta, spec->fast, spec->period, spec->signal);
            break;
          case TYPE_BBANDS:
            kantor_ta_init_bbands (&ci.ta, spec->period, spec->stddev);
            break;
          case TYPE_ATR:
            kantor_ta_init_atr (&ci.ta, spec->period);
            break;
          default:
            g_assert_not_reached ();
          }
        ensure_timeframe (self, spec->timeframe);
        slot.ta = self->tas->len;
        g_array_append_val (self->tas, ci);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  index = self->slots->len;
  g_array_append_val (self->slots, slot);
  g_ptr_array_add (self->specs, kantor_indicator_spec_ref (spec));
  g_hash_table_insert (self->slot_of, spec, GUINT_TO_POINTER (index + 1));

  return index;
}

guint
kantor_indicator_set_get_n_slots (KantorIndicatorSet *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->slots->len;
}

KantorIndicatorSpec *
kantor_indicator_set_get_spec (KantorIndicatorSet *self,
                               guint               slot)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (slot < self->specs->len, NULL);
  return g_ptr_array_index (self->specs, slot);
}

gsize
kantor_indicator_set_get_memory_size (KantorIndicatorSet *self)
{
  gsize size;

  g_return_val_if_fail (self != NULL, 0);

  size = sizeof (*self)
         + kantor_trade_history_get_memory_size (&self->hist)
         + self->slots->len * (sizeof (Slot) + sizeof (gpointer))
         + self->windows->len * sizeof (KantorWindow)
         + self->tas->len * sizeof (CandleIndicator);
  for (guint i = 0; i < self->windows->len; i++)
    size += kantor_window_get_memory_size (&g_array_index (self->windows, KantorWindow, i));
  for (guint i = 0; i < self->tas->len; i++)
    if (g_array_index (self->tas, CandleIndicator, i).ta.ring != NULL)
      size += g_array_index (self->tas, CandleIndicator, i).ta.period * sizeof (double);

  return size;
}

static void
candle_closed (KantorIndicatorSet *self,
               KantorTimeframe     timeframe,
               const KantorCandle *candle)
{
  CandleIndicator *cis = (CandleIndicator *) (gpointer) self->tas->data;

  for (guint i = 0; i < self->tas->len; i++)
    if (cis[i].timeframe == timeframe)
      kantor_ta_push (&cis[i].ta, candle);
}

KANTOR_HOT_PATH
void
kantor_indicator_set_update (KantorIndicatorSet      *self,
                             const KantorMarketEvent *event)
{
  KantorWindow *windows = (KantorWindow *) (gpointer) self->windows->data;
  guint n_windows = self->windows->len;
  gint64 t = event->time_ms;

  /* Time never goes back: a late event counts at the latest time seen. */
  if (G_UNLIKELY (!self->have_now))
    {
      self->have_now = TRUE;
      self->now = self->first_time = t;
    }
  else if (t > self->now)
    {
      self->now = t;
    }
  t = self->now;

  if (event->kind == KANTOR_EVENT_TRADE)
    {
      self->have_trade = TRUE;
      self->last_price = event->price;
      self->last_volume = event->volume;

      if (n_windows > 0)
        kantor_trade_history_append (&self->hist, t, event->price, event->volume,
                                     windows, n_windows);

      for (guint i = 0; i < self->n_timeframes; i++)
        {
          KantorCandle closed;

          if (kantor_candle_builder_add_trade (&self->builders[i], t, event->price,
                                               event->volume, &closed))
            candle_closed (self, self->timeframes[i], &closed);
        }
    }
  else if (event->kind == KANTOR_EVENT_BOOK)
    {
      self->have_bid = event->bids[0].qty > 0;
      self->have_ask = event->asks[0].qty > 0;
      self->bid = event->bids[0].price;
      self->bid_qty = event->bids[0].qty;
      self->ask = event->asks[0].price;
      self->ask_qty = event->asks[0].qty;
    }

  /* Windows are not moved here: each catches up when it is read (or when
   * the ring needs room), so a window nobody reads in the current state of
   * a strategy costs nothing per event. */
}

/* The window at @index, moved to now. */
static inline const KantorWindow *
window_now (KantorIndicatorSet *self,
            guint               index)
{
  KantorWindow *w = &g_array_index (self->windows, KantorWindow, index);

  kantor_window_catch_up (w, &self->hist, self->now);
  return w;
}

/* TWPA(current) / TWPA(baseline) - 1, with a single division. */
KANTOR_HOT_PATH
static gboolean
pair_change (KantorIndicatorSet *self,
             const Slot         *slot,
             double             *change)
{
  const KantorWindow *c, *b;
  double ci, cd, bi, bd;

  if (!self->have_now)
    return FALSE;
  c = window_now (self, slot->win[0]);
  b = window_now (self, slot->win[1]);
  if (!kantor_window_get_twpa_parts (c, &self->hist, self->now, &ci, &cd)
      || !kantor_window_get_twpa_parts (b, &self->hist, self->now, &bi, &bd)
      || !(bi > 0))
    return FALSE;

  *change = (ci * bd) / (cd * bi) - 1.0;
  return TRUE;
}

KANTOR_HOT_PATH
gboolean
kantor_indicator_set_get_value (KantorIndicatorSet *self,
                                guint               slot_index,
                                double             *value)
{
  const Slot *slot;
  const KantorWindow *w = NULL;
  const KantorTradeHistory *hist = &self->hist;
  double v = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (slot_index < self->slots->len, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  slot = &g_array_index (self->slots, Slot, slot_index);
  if (registry[slot->type].shape == SHAPE_WINDOW)
    {
      /* Before any event there is no "now", so no window at all. */
      if (!self->have_now)
        return FALSE;
      w = window_now (self, slot->win[0]);
    }

  switch (slot->type)
    {
    case TYPE_PRICE:
      if (!self->have_trade)
        return FALSE;
      v = self->last_price;
      break;

    case TYPE_VOLUME:
      if (!self->have_trade)
        return FALSE;
      v = self->last_volume;
      break;

    case TYPE_BEST_BID:
      if (!self->have_bid)
        return FALSE;
      v = self->bid;
      break;

    case TYPE_BEST_ASK:
      if (!self->have_ask)
        return FALSE;
      v = self->ask;
      break;

    case TYPE_SPREAD_PCT:
      /* A crossed book is a feed glitch, not a negative spread. */
      if (!self->have_bid || !self->have_ask || self->ask < self->bid || !(self->bid > 0))
        return FALSE;
      v = (self->ask - self->bid) / ((self->ask + self->bid) / 2.0) * 100.0;
      break;

    case TYPE_BID_ASK_IMBALANCE:
      if (!self->have_bid || !self->have_ask)
        return FALSE;
      v = (self->bid_qty - self->ask_qty) / (self->bid_qty + self->ask_qty) * 100.0;
      break;

    case TYPE_TWPA:
      return kantor_window_get_twpa (w, hist, self->now, value);

    case TYPE_VWAP:
      return kantor_window_get_vwap (w, hist, value);

    case TYPE_SUM_VOLUME:
      v = kantor_window_get_volume (w, hist);
      break;

    case TYPE_AVG_VOLUME:
      if (kantor_window_count (w) == 0)
        return FALSE;
      v = kantor_window_get_volume (w, hist) / (double) kantor_window_count (w);
      break;

    case TYPE_COUNT_DEALS:
      v = (double) kantor_window_count (w);
      break;

    case TYPE_MAX_PRICE:
      return kantor_window_get_max (w, hist, value);

    case TYPE_MIN_PRICE:
      return kantor_window_get_min (w, hist, value);

    case TYPE_FIRST_PRICE:
      if (kantor_window_count (w) == 0)
        return FALSE;
      v = KANTOR_HIST_P (hist, w->lo);
      break;

    case TYPE_LAST_PRICE:
      if (kantor_window_count (w) == 0)
        return FALSE;
      v = KANTOR_HIST_P (hist, w->hi - 1);
      break;

    case TYPE_PRICE_VOLATILITY:
      return kantor_window_get_volatility (w, hist, value);

    case TYPE_PUMP_MAGNITUDE_PCT:
      if (!pair_change (self, slot, &v))
        return FALSE;
      v *= 100.0;
      break;

    case TYPE_VELOCITY:
      if (!pair_change (self, slot, &v))
        return FALSE;
      v *= 100.0 * slot->factor;
      break;

    case TYPE_VOLUME_SURGE:
      {
        const KantorWindow *cw, *bw;
        double bv;

        if (!self->have_now)
          return FALSE;
        cw = window_now (self, slot->win[0]);
        bw = window_now (self, slot->win[1]);
        /* Rates need the whole windows observed: a baseline only partly
         * covered by data would read as a quiet market and fake a surge. */
        if (self->now - MAX (cw->t1_ms, bw->t1_ms) < self->first_time)
          return FALSE;
        bv = kantor_window_get_volume (bw, hist);
        if (!(bv > 0))
          return FALSE;
        v = kantor_window_get_volume (cw, hist) / bv * slot->factor;
      }
      break;

    case TYPE_SMA:
    case TYPE_EMA:
    case TYPE_RSI:
    case TYPE_MACD:
    case TYPE_BBANDS:
    case TYPE_ATR:
      return kantor_ta_get (&g_array_index (self->tas, CandleIndicator, slot->ta).ta,
                            slot->output, value);

    case N_TYPES:
    default:
      g_assert_not_reached ();
    }

  *value = v;
  return TRUE;
}
