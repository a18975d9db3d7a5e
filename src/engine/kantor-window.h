/* kantor-window.h: the shared trade history and sliding time windows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal to the engine. One KantorTradeHistory per indicator set holds
 * every trade any window still needs in a ring buffer (structure of arrays,
 * grown by doubling, never shrunk), with compensated prefix sums of volume,
 * price * volume, the price-time integral and log returns computed once per
 * trade. A KantorWindow is then just two indices into the ring: a sum over
 * the window is the difference of two prefix sums, so an event costs O(1)
 * amortised per window (each index only moves forward), every window shares
 * the per-trade work, and nothing is allocated in steady state.
 *
 * The prefix sums are double-double (Knuth's TwoSum keeps each addition's
 * rounding error), so a difference of two of them is accurate to a few ulps
 * of the window's own sum however long the session: no drift, nothing to
 * recompute.
 */

#pragma once

#include <math.h>

#include <glib.h>

#include "kantor-market-event.h"

G_BEGIN_DECLS

typedef struct
{
  double sum;
  double c;      /* accumulated rounding error */
} KantorSum;

/* Branch-free TwoSum: magnitudes alternate unpredictably (a whale among dust)
 * and a data-dependent branch here would mispredict. */
static inline void
kantor_sum_add (KantorSum *s,
                double     x)
{
  double t = s->sum + x;
  double z = t - s->sum;

  s->c += (s->sum - (t - z)) + (x - z);
  s->sum = t;
}

static inline double
kantor_sum_get (const KantorSum *s)
{
  return s->sum + s->c;
}

/* a - b */
static inline double
kantor_sum_diff (const KantorSum *a,
                 const KantorSum *b)
{
  return (a->sum - b->sum) + (a->c - b->c);
}

typedef enum
{
  KANTOR_WINDOW_VOLUME  = 1 << 0,   /* Σ volume */
  KANTOR_WINDOW_PV      = 1 << 1,   /* Σ price * volume */
  KANTOR_WINDOW_TWPA    = 1 << 2,   /* ∫ price dt */
  KANTOR_WINDOW_RETURNS = 1 << 3,   /* Σ r and Σ r² of log returns */
  KANTOR_WINDOW_MAX     = 1 << 4,   /* per window: monotonic deque */
  KANTOR_WINDOW_MIN     = 1 << 5,
} KantorWindowFeatures;

#define KANTOR_WINDOW_DEQUES (KANTOR_WINDOW_MAX | KANTOR_WINDOW_MIN)

typedef struct
{
  gint64    *time;
  double    *price;
  double    *volume;
  /* Exclusive prefixes (slot i holds the sum over trades before i; the
   * accumulator holds the sum over all trades). */
  KantorSum *cum_volume;
  KantorSum *cum_pv;
  /* Inclusive prefixes over the gaps up to trade i: Σ p[k-1] (t[k] - t[k-1])
   * and Σ r[k], Σ r[k]² for 0 < k <= i. */
  KantorSum *cum_twpa;
  KantorSum *cum_ret;
  KantorSum *cum_ret2;
  KantorSum  acc_volume;
  KantorSum  acc_pv;
  KantorSum  acc_twpa;
  KantorSum  acc_ret;
  KantorSum  acc_ret2;
  guint      features;
  guint64    head;        /* global index of the next trade */
  guint64    tail;        /* oldest global index still stored */
  guint64    mask;        /* capacity - 1, capacity a power of two */
} KantorTradeHistory;

#define KANTOR_HIST_T(h, i) ((h)->time[(i) & (h)->mask])
#define KANTOR_HIST_P(h, i) ((h)->price[(i) & (h)->mask])
#define KANTOR_HIST_V(h, i) ((h)->volume[(i) & (h)->mask])

/* A FIFO of global trade indices with pops at both ends: the monotonic
 * deque behind MAX_PRICE and MIN_PRICE. */
typedef struct
{
  guint64 *items;
  guint64  mask;
  guint64  front;
  guint64  back;        /* one past the last item */
} KantorIndexDeque;

/* The trades with time in [now - t1, now - t2] are the global indices
 * [lo, hi), as of time @at_ms with the trades before @at_head stored. Where
 * the indices stand depends only on the time and the stored trades, not on
 * the path taken to get there, so a window may lag and catch up in one go
 * when it is read. */
typedef struct
{
  gint64           t1_ms;
  gint64           t2_ms;
  gint64           at_ms;
  guint64          at_head;
  guint            features;
  guint64          lo;
  guint64          hi;
  KantorIndexDeque maxq;
  KantorIndexDeque minq;
} KantorWindow;

void     kantor_trade_history_init      (KantorTradeHistory *self);
void     kantor_trade_history_clear     (KantorTradeHistory *self);
/* Starts keeping the prefix sums @features need, computing them for the
 * trades already stored. */
void     kantor_trade_history_enable    (KantorTradeHistory *self,
                                         guint               features);
/* Stores one trade, at @time_ms (the latest time seen). When the ring is
 * full, @windows are first moved to @time_ms so that what none of them
 * needs any more can be dropped before the ring grows. */
void     kantor_trade_history_append    (KantorTradeHistory *self,
                                         gint64              time_ms,
                                         double              price,
                                         double              volume,
                                         KantorWindow       *windows,
                                         guint               n_windows);

/* Bytes held by the ring. */
gsize    kantor_trade_history_get_memory_size (const KantorTradeHistory *self);

void     kantor_window_init             (KantorWindow       *self,
                                         gint64              t1_ms,
                                         gint64              t2_ms,
                                         guint               features);
void     kantor_window_clear            (KantorWindow       *self);
/* Bytes held by the window's deques. */
gsize    kantor_window_get_memory_size  (const KantorWindow *self);
/* Adds features (deques are rebuilt from the window's contents). */
void     kantor_window_add_features     (KantorWindow             *self,
                                         const KantorTradeHistory *hist,
                                         guint                     features);
/* The slow path of kantor_window_advance(): windows with deques. */
void     kantor_window_advance_deques   (KantorWindow             *self,
                                         const KantorTradeHistory *hist,
                                         gint64                    now_ms);

/* Moves the window to @now_ms. */
static inline void
kantor_window_advance (KantorWindow             *self,
                       const KantorTradeHistory *hist,
                       gint64                    now_ms)
{
  gint64 start = now_ms - self->t1_ms;
  guint64 lo = self->lo;
  guint64 hi;

  if (G_UNLIKELY (self->features & KANTOR_WINDOW_DEQUES))
    {
      kantor_window_advance_deques (self, hist, now_ms);
      return;
    }

  /* Between two events an index mostly moves by zero or one trade, in a
   * pattern no branch predictor can learn. Times in the ring never go back,
   * so the number of the next three trades that have to move is a sum of
   * independent comparisons: branch-free, the three loads in parallel, and
   * the loop after them is rarely entered. Slots past the newest trade are
   * allocated and initialised; their comparisons are masked. */

  /* Trades are stored at the latest time seen, so a window ending now
   * holds every stored trade. */
  if (self->t2_ms == 0)
    {
      hi = hist->head;
    }
  else
    {
      gint64 end = now_ms - self->t2_ms;
      guint64 head = hist->head;
      guint c0, c1, c2;

      hi = self->hi;
      c0 = (hi < head) & (KANTOR_HIST_T (hist, hi) <= end);
      c1 = (hi + 1 < head) & (KANTOR_HIST_T (hist, hi + 1) <= end);
      c2 = (hi + 2 < head) & (KANTOR_HIST_T (hist, hi + 2) <= end);
      hi += c0 + c1;
      if (G_UNLIKELY (c2))
        while (hi < head && KANTOR_HIST_T (hist, hi) <= end)
          hi++;
    }

  {
    guint c0, c1, c2;

    c0 = (lo < hi) & (KANTOR_HIST_T (hist, lo) < start);
    c1 = (lo + 1 < hi) & (KANTOR_HIST_T (hist, lo + 1) < start);
    c2 = (lo + 2 < hi) & (KANTOR_HIST_T (hist, lo + 2) < start);
    lo += c0 + c1;
    if (G_UNLIKELY (c2))
      while (lo < hi && KANTOR_HIST_T (hist, lo) < start)
        lo++;
  }

  self->lo = lo;
  self->hi = hi;
  self->at_ms = now_ms;
  self->at_head = hist->head;
}

/* Moves the window to @now_ms unless it is there already. */
static inline void
kantor_window_catch_up (KantorWindow             *self,
                        const KantorTradeHistory *hist,
                        gint64                    now_ms)
{
  if (self->at_ms != now_ms || self->at_head != hist->head)
    kantor_window_advance (self, hist, now_ms);
}

static inline guint64
kantor_window_count (const KantorWindow *self)
{
  return self->hi - self->lo;
}

/* TWPA as @integral / @duration, so that callers combining two of them
 * (PUMP_MAGNITUDE_PCT, VELOCITY) divide once. FALSE when no trade happened
 * at or before the window's end. */
static inline gboolean
kantor_window_get_twpa_parts (const KantorWindow       *self,
                              const KantorTradeHistory *hist,
                              gint64                    now_ms,
                              double                   *integral,
                              double                   *duration)
{
  gint64 start = now_ms - self->t1_ms;
  gint64 end = now_ms - self->t2_ms;
  guint64 lo = self->lo;
  guint64 last;
  gint64 from;
  double sum;

  if (self->hi == 0)
    return FALSE;

  last = self->hi - 1;
  if (lo == self->hi)
    {
      /* Empty window: the trade before it held the price all along. */
      *integral = KANTOR_HIST_P (hist, last);
      *duration = 1.0;
      return TRUE;
    }

  sum = kantor_sum_diff (&hist->cum_twpa[last & hist->mask], &hist->cum_twpa[lo & hist->mask])
        + KANTOR_HIST_P (hist, last) * (double) (end - KANTOR_HIST_T (hist, last));
  if (lo > 0)
    {
      /* The trade just before the window counts from the window's start. */
      from = start;
      sum += KANTOR_HIST_P (hist, lo - 1) * (double) (KANTOR_HIST_T (hist, lo) - start);
    }
  else
    {
      /* Nothing traded before: the average starts with the first trade. */
      from = KANTOR_HIST_T (hist, lo);
    }

  if (end <= from)
    {
      *integral = KANTOR_HIST_P (hist, last);
      *duration = 1.0;
    }
  else
    {
      *integral = sum;
      *duration = (double) (end - from);
    }
  return TRUE;
}

/* Queries at @now_ms (the time the window was last advanced to). Each
 * returns FALSE when the window has no value. */
static inline gboolean
kantor_window_get_twpa (const KantorWindow       *self,
                        const KantorTradeHistory *hist,
                        gint64                    now_ms,
                        double                   *value)
{
  double integral, duration;

  if (!kantor_window_get_twpa_parts (self, hist, now_ms, &integral, &duration))
    return FALSE;
  *value = integral / duration;
  return TRUE;
}

gboolean kantor_window_get_vwap       (const KantorWindow       *self,
                                       const KantorTradeHistory *hist,
                                       double                   *value);
double   kantor_window_get_volume     (const KantorWindow       *self,
                                       const KantorTradeHistory *hist);
gboolean kantor_window_get_max        (const KantorWindow       *self,
                                       const KantorTradeHistory *hist,
                                       double                   *value);
gboolean kantor_window_get_min        (const KantorWindow       *self,
                                       const KantorTradeHistory *hist,
                                       double                   *value);
gboolean kantor_window_get_volatility (const KantorWindow       *self,
                                       const KantorTradeHistory *hist,
                                       double                   *value);

G_END_DECLS
