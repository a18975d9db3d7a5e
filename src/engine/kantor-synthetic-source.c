/* kantor-synthetic-source.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-synthetic-source.h"

/* Normal and exponential variates come from inverse-CDF tables with linear
 * interpolation: a few multiplications instead of log/sqrt/sin per draw,
 * which matters at tens of millions of events a second. The tails are cut
 * at about 3.7 sigma (normal) and 9.4 (exponential); the volatility process
 * supplies the fat tails. */
#define TABLE_BITS 12
#define TABLE_SIZE (1 << TABLE_BITS)

/* Each cell holds a value and the step to the next one, so that a draw
 * reads one pair instead of two cells and subtracts nothing. */
typedef struct
{
  double value;
  double step;
} TableCell;

static TableCell normal_table[TABLE_SIZE];
static TableCell exponential_table[TABLE_SIZE];

#define MEAN_GAP_MS        250.0     /* calm market: ~4 events/s */
#define BOOK_SHARE         0.33      /* share of events that are book updates */
#define SIGMA_PER_EVENT    6.8e-5    /* ~4 % a day at 4 events/s */
#define VOL_UPDATE_EVERY   32        /* events between volatility steps */
#define VOL_PERSISTENCE    0.995
#define VOL_NOISE          0.07
#define BASE_SPREAD        2e-4      /* relative, scaled by the volatility */
#define TRADE_NOTIONAL     200.0     /* typical trade, quote currency */
#define BURST_CHANCE       (1.0 / 20000)
#define PUMP_CHANCE        (1.0 / 43200)
#define MIN_MID_TICKS      1000.0

typedef enum
{
  PHASE_CALM,
  PHASE_PUMP,
  PHASE_DUMP,
} Phase;

typedef struct
{
  guint64            rng[4];
  double             scale;          /* price = ticks / scale */
  double             qty_mean;       /* in lots */
  double             lot_div;        /* qty = lots / lot_div */
  double             mid;            /* in ticks */
  double             log_vol;        /* log of the volatility multiplier */
  double             vol_mult;
  double             t_ms;
  guint              vol_countdown;
  guint              burst_left;
  Phase              phase;
  guint              phase_left;
  double             phase_factor;   /* per-event drift factor of the phase */
  guint              dump_events;
  double             dump_factor;
  const char        *symbol;         /* interned */
  gboolean           pending;        /* next holds an event not yet handed out */
  KantorMarketEvent  next;
} Generator;

struct _KantorSyntheticSource
{
  GObject          parent_instance;

  const char     **symbols;
  Generator       *gens;
  guint            n_gens;
  KantorMergeHeap *heap;
  guint64          max_events;
  guint64          emitted;
};

static void kantor_synthetic_source_iface_init (KantorMarketSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KantorSyntheticSource, kantor_synthetic_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KANTOR_TYPE_MARKET_SOURCE,
                                                      kantor_synthetic_source_iface_init))

/* Acklam's rational approximation of the inverse normal CDF (relative
 * error below 1.2e-9), used only to fill the table. */
static double
inverse_normal_cdf (double p)
{
  static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
                              -2.759285104469687e+02, 1.383577518672690e+02,
                              -3.066479806614716e+01, 2.506628277459239e+00 };
  static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
                              -1.556989798598866e+02, 6.680131188771972e+01,
                              -1.328068155288572e+01 };
  static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
                              -2.400758277161838e+00, -2.549732539343734e+00,
                              4.374664141464968e+00, 2.938163982698783e+00 };
  static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
                              2.445134137142996e+00, 3.754408661907416e+00 };
  const double p_low = 0.02425;
  double q, r;

  if (p < p_low)
    {
      q = sqrt (-2 * log (p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
             / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
  if (p > 1 - p_low)
    return -inverse_normal_cdf (1 - p);

  q = p - 0.5;
  r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
         / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

static void
init_tables (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      double normal[TABLE_SIZE + 1], exponential[TABLE_SIZE + 1];
      guint i;

      for (i = 0; i <= TABLE_SIZE; i++)
        {
          double p = (double) i / TABLE_SIZE;
          double p_clamped = CLAMP (p, 0.1 / TABLE_SIZE, 1 - 0.1 / TABLE_SIZE);

          normal[i] = inverse_normal_cdf (p_clamped);
          exponential[i] = -log (1 - MIN (p, 1 - 0.1 / TABLE_SIZE));
        }
      for (i = 0; i < TABLE_SIZE; i++)
        {
          normal_table[i].value = normal[i];
          normal_table[i].step = normal[i + 1] - normal[i];
          exponential_table[i].value = exponential[i];
          exponential_table[i].step = exponential[i + 1] - exponential[i];
        }
      g_once_init_leave (&done, 1);
    }
}

static inline guint64
rotl (guint64 x,
      int     k)
{
  return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna): fast, and its output is the same on
 * every platform. */
static inline guint64
rng_next (guint64 s[4])
{
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);

  return result;
}

static inline double
rng_uniform (guint64 s[4])
{
  return (double) (rng_next (s) >> 11) * 0x1.0p-53;
}

static inline double
table_draw (const TableCell *table,
            guint64          x)
{
  guint i = (guint) (x >> (64 - TABLE_BITS));
  double f = (double) ((x >> (64 - TABLE_BITS - 32)) & 0xffffffffu) * 0x1.0p-32;

  return table[i].value + f * table[i].step;
}

/* Draws from 32 random bits: 12 pick the table cell, 20 interpolate. */
static inline double
table_draw32 (const TableCell *table,
              guint32          x)
{
  guint i = x >> (32 - TABLE_BITS);
  double f = (double) (x & ((1u << (32 - TABLE_BITS)) - 1)) * (1.0 / (1u << (32 - TABLE_BITS)));

  return table[i].value + f * table[i].step;
}

static inline double
rng_normal (guint64 s[4])
{
  return table_draw (normal_table, rng_next (s));
}

/* A probability as a threshold on 32 random bits. */
#define CHANCE(p) ((guint32) ((p) * 4294967296.0))

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static guint64
fnv1a (const char *str)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (; *str != '\0'; str++)
    {
      h ^= (guchar) *str;
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

static double
power_of_ten (int n)
{
  double v = 1;

  for (; n > 0; n--)
    v *= 10;
  return v;
}

static void
generator_init (Generator  *gen,
                const char *symbol,
                guint64     seed,
                gint64      start_ms)
{
  guint64 h = fnv1a (symbol);
  guint64 state = h;
  double level, price, qty_mean;
  int decimals, lot_decimals;
  guint i;

  memset (gen, 0, sizeof *gen);

  /* The symbol alone fixes the price level and tick size, so a symbol looks
   * the same under every seed; the path depends on both. */
  level = -2 + 6.7 * ((double) (splitmix64 (&state) >> 11) * 0x1.0p-53);
  price = pow (10, level);
  decimals = CLAMP (6 - (int) floor (level), 0, 10);
  gen->scale = power_of_ten (decimals);
  gen->mid = MAX (round (price * gen->scale), MIN_MID_TICKS);

  qty_mean = TRADE_NOTIONAL / price;
  lot_decimals = CLAMP (3 - (int) floor (log10 (qty_mean)), 0, 10);
  gen->lot_div = power_of_ten (lot_decimals);
  gen->qty_mean = qty_mean * gen->lot_div;

  state = h ^ splitmix64 (&seed);
  for (i = 0; i < 4; i++)
    gen->rng[i] = splitmix64 (&state);

  gen->vol_mult = 1;
  gen->t_ms = (double) start_ms;
  gen->vol_countdown = VOL_UPDATE_EVERY;
  gen->phase = PHASE_CALM;
  gen->symbol = g_intern_string (symbol);
}

static inline double
draw_qty (Generator *gen,
          double     mult,
          guint32    bits)
{
  /* Truncation is floor here (positive), without a libm call. */
  double lots = (double) (gint64) (gen->qty_mean * mult * table_draw32 (exponential_table, bits));

  return MAX (lots, 1) / gen->lot_div;
}

/* Moves the generator to its next event. The hot path draws 64 random bits
 * three or four times per trade (six per book update) and calls no libm
 * function; the rare regime changes may be slow. */
static void
generator_step (Generator         *gen,
                KantorMarketEvent *ev)
{
  guint64 *rng = gen->rng;
  double rate = 1, size = 1, sigma, drift = 1;
  double spread, step, bid;
  guint32 buy_chance = CHANCE (0.5);
  guint64 r;

  /* Regimes. */
  r = rng_next (rng);
  if (gen->burst_left > 0)
    {
      gen->burst_left--;
      rate *= 4;
      size *= 3;
    }
  else if ((guint32) (r >> 32) < CHANCE (BURST_CHANCE))
    gen->burst_left = 200 + (guint) (rng_uniform (rng) * 600);

  switch (gen->phase)
    {
    case PHASE_CALM:
      if ((guint32) r < CHANCE (PUMP_CHANCE))
        {
          double magnitude = 0.08 + 0.32 * rng_uniform (rng);
          guint up = 2000 + (guint) (rng_uniform (rng) * 6000);

          gen->phase = PHASE_PUMP;
          gen->phase_left = up;
          gen->phase_factor = exp (log1p (magnitude) / up);
          /* The slide gives back about everything, so pumps do not make
           * the price drift upwards over a long run. */
          gen->dump_events = (guint) (up * (1 + rng_uniform (rng)));
          gen->dump_factor = exp (-log1p (magnitude) * (0.9 + 0.2 * rng_uniform (rng))
                                  / gen->dump_events);
        }
      break;

    case PHASE_PUMP:
      rate *= 6;
      size *= 8;
      buy_chance = CHANCE (0.7);
      drift = gen->phase_factor;
      if (--gen->phase_left == 0)
        {
          gen->phase = PHASE_DUMP;
          gen->phase_left = gen->dump_events;
          gen->phase_factor = gen->dump_factor;
        }
      break;

    case PHASE_DUMP:
      rate *= 4;
      size *= 5;
      buy_chance = CHANCE (0.3);
      drift = gen->phase_factor;
      if (--gen->phase_left == 0)
        gen->phase = PHASE_CALM;
      break;

    default:
      g_assert_not_reached ();
    }

  if (--gen->vol_countdown == 0)
    {
      gen->vol_countdown = VOL_UPDATE_EVERY;
      gen->log_vol = gen->log_vol * VOL_PERSISTENCE + VOL_NOISE * rng_normal (rng);
      gen->vol_mult = exp (gen->log_vol);
    }

  /* Time, then the mid price. */
  r = rng_next (rng);
  gen->t_ms += MEAN_GAP_MS / rate * table_draw32 (exponential_table, (guint32) (r >> 32));
  ev->time_ms = (gint64) gen->t_ms;
  ev->symbol = gen->symbol;

  sigma = SIGMA_PER_EVENT * gen->vol_mult * (gen->phase == PHASE_CALM ? 1 : 2);
  gen->mid *= (1 + sigma * table_draw32 (normal_table, (guint32) r)) * drift;
  if (gen->mid < MIN_MID_TICKS)
    gen->mid = MIN_MID_TICKS;

  spread = MAX (1, (double) (gint64) (gen->mid * BASE_SPREAD * gen->vol_mult + 0.5));
  bid = (double) (gint64) (gen->mid - spread / 2);

  r = rng_next (rng);
  if ((guint32) (r >> 32) < CHANCE (BOOK_SHARE))
    {
      guint i;

      step = MAX (1, (double) (gint64) (spread / 2));
      ev->kind = KANTOR_EVENT_BOOK;
      ev->price = 0;
      ev->volume = 0;
      for (i = 0; i < KANTOR_BOOK_LEVELS; i++)
        {
          r = rng_next (rng);
          ev->bids[i].price = (bid - i * step) / gen->scale;
          ev->bids[i].qty = draw_qty (gen, 3 * (i + 1), (guint32) (r >> 32));
          ev->asks[i].price = (bid + spread + i * step) / gen->scale;
          ev->asks[i].qty = draw_qty (gen, 3 * (i + 1), (guint32) r);
        }
    }
  else
    {
      gboolean buy = (guint32) r < buy_chance;

      ev->kind = KANTOR_EVENT_TRADE;
      /* Book levels are not part of a trade; zeroed so that an event's
       * bytes depend on the model alone, not on what the buffer held. */
      memset (ev->bids, 0, sizeof ev->bids);
      memset (ev->asks, 0, sizeof ev->asks);
      ev->price = (buy ? bid + spread : bid) / gen->scale;
      ev->volume = draw_qty (gen, size, (guint32) (rng_next (rng) >> 32));
    }
}

static gsize
kantor_synthetic_source_read (KantorMarketSource *source,
                              KantorMarketEvent  *events,
                              gsize               n_events,
                              GError            **error)
{
  KantorSyntheticSource *self = KANTOR_SYNTHETIC_SOURCE (source);
  gsize n;

  if (self->max_events > 0)
    n_events = MIN (n_events, self->max_events - self->emitted);

  if (self->n_gens == 1)
    {
      Generator *gen = &self->gens[0];

      /* One symbol needs no look-ahead: after the first event, generate
       * straight into the caller's buffer. */
      n = 0;
      if (gen->pending && n_events > 0)
        {
          events[n++] = gen->next;
          gen->pending = FALSE;
        }
      for (; n < n_events; n++)
        generator_step (gen, &events[n]);
    }
  else
    {
      for (n = 0; n < n_events; n++)
        {
          guint index;
          Generator *gen;

          /* Peek, then move the same generator on: one sift. */
          kantor_merge_heap_peek (self->heap, &index);
          gen = &self->gens[index];
          events[n] = gen->next;
          generator_step (gen, &gen->next);
          kantor_merge_heap_replace_top (self->heap, gen->next.time_ms);
        }
    }

  self->emitted += n;
  return n;
}

static const char * const *
kantor_synthetic_source_get_symbols (KantorMarketSource *source)
{
  return (const char * const *) KANTOR_SYNTHETIC_SOURCE (source)->symbols;
}

static void
kantor_synthetic_source_iface_init (KantorMarketSourceInterface *iface)
{
  iface->read = kantor_synthetic_source_read;
  iface->get_symbols = kantor_synthetic_source_get_symbols;
}

static void
kantor_synthetic_source_finalize (GObject *object)
{
  KantorSyntheticSource *self = KANTOR_SYNTHETIC_SOURCE (object);

  g_free (self->symbols);
  g_free (self->gens);
  g_clear_pointer (&self->heap, kantor_merge_heap_free);

  G_OBJECT_CLASS (kantor_synthetic_source_parent_class)->finalize (object);
}

static void
kantor_synthetic_source_class_init (KantorSyntheticSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kantor_synthetic_source_finalize;
}

static void
kantor_synthetic_source_init (KantorSyntheticSource *self)
{
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

KantorMarketSource *
kantor_synthetic_source_new (const char * const  *symbols,
                             guint64              seed,
                             gint64               start_ms,
                             guint64              max_events,
                             GError             **error)
{
  g_autoptr(KantorSyntheticSource) self = NULL;
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  guint i;

  g_return_val_if_fail (symbols != NULL, NULL);

  for (i = 0; symbols[i] != NULL; i++)
    {
      const char *symbol;

      if (!kantor_symbol_is_valid (symbols[i]))
        {
          g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID,
                       "“%s” is not a valid symbol (^[A-Z0-9_]{1,32}$)", symbols[i]);
          return NULL;
        }
      symbol = g_intern_string (symbols[i]);
      if (!g_ptr_array_find (sorted, symbol, NULL))
        g_ptr_array_add (sorted, (gpointer) symbol);
    }
  if (sorted->len == 0)
    {
      g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID,
                   "the synthetic feed needs at least one symbol");
      return NULL;
    }
  g_ptr_array_sort (sorted, compare_strings);

  init_tables ();

  self = g_object_new (KANTOR_TYPE_SYNTHETIC_SOURCE, NULL);
  self->n_gens = sorted->len;
  self->gens = g_new (Generator, sorted->len);
  self->symbols = g_new0 (const char *, sorted->len + 1);
  self->heap = kantor_merge_heap_new (sorted->len);
  self->max_events = max_events;

  for (i = 0; i < sorted->len; i++)
    {
      Generator *gen = &self->gens[i];

      self->symbols[i] = g_ptr_array_index (sorted, i);
      generator_init (gen, self->symbols[i], seed, start_ms);
      /* Every symbol's first event is at start_ms exactly. */
      generator_step (gen, &gen->next);
      gen->next.time_ms = start_ms;
      gen->pending = TRUE;
      kantor_merge_heap_push (self->heap, i, gen->next.time_ms);
    }

  return KANTOR_MARKET_SOURCE (g_steal_pointer (&self));
}
