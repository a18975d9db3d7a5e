/* kantor-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-window.h"

#define INITIAL_CAPACITY 1024

#define HIST_FEATURES \
  (KANTOR_WINDOW_VOLUME | KANTOR_WINDOW_PV | KANTOR_WINDOW_TWPA | KANTOR_WINDOW_RETURNS)

void
kantor_trade_history_init (KantorTradeHistory *self)
{
  *self = (KantorTradeHistory) { 0, };
  self->mask = INITIAL_CAPACITY - 1;
  /* Initialised: the index loops may read a slot past the newest trade
   * (and then ignore what they read). */
  self->time = g_new0 (gint64, INITIAL_CAPACITY);
  self->price = g_new0 (double, INITIAL_CAPACITY);
  self->volume = g_new0 (double, INITIAL_CAPACITY);
}

void
kantor_trade_history_clear (KantorTradeHistory *self)
{
  g_clear_pointer (&self->time, g_free);
  g_clear_pointer (&self->price, g_free);
  g_clear_pointer (&self->volume, g_free);
  g_clear_pointer (&self->cum_volume, g_free);
  g_clear_pointer (&self->cum_pv, g_free);
  g_clear_pointer (&self->cum_twpa, g_free);
  g_clear_pointer (&self->cum_ret, g_free);
  g_clear_pointer (&self->cum_ret2, g_free);
}

/* Computes the prefix sums of one feature for the stored trades. Prefix
 * sums only ever appear in differences, so starting from zero at the oldest
 * stored trade is as good as starting at the first trade ever. */
static void
history_fill (KantorTradeHistory *self,
              guint               feature)
{
  KantorSum acc = { 0, 0 }, acc2 = { 0, 0 };

  for (guint64 i = self->tail; i < self->head; i++)
    {
      guint64 k = i & self->mask;

      switch (feature)
        {
        case KANTOR_WINDOW_VOLUME:
          self->cum_volume[k] = acc;
          kantor_sum_add (&acc, self->volume[k]);
          break;
        case KANTOR_WINDOW_PV:
          self->cum_pv[k] = acc;
          kantor_sum_add (&acc, self->price[k] * self->volume[k]);
          break;
        case KANTOR_WINDOW_TWPA:
          if (i > self->tail)
            kantor_sum_add (&acc, KANTOR_HIST_P (self, i - 1)
                                  * (double) (self->time[k] - KANTOR_HIST_T (self, i - 1)));
          self->cum_twpa[k] = acc;
          break;
        case KANTOR_WINDOW_RETURNS:
          if (i > self->tail)
            {
              double r = log (self->price[k] / KANTOR_HIST_P (self, i - 1));

              kantor_sum_add (&acc, r);
              kantor_sum_add (&acc2, r * r);
            }
          self->cum_ret[k] = acc;
          self->cum_ret2[k] = acc2;
          break;
        default:
          g_assert_not_reached ();
        }
    }

  switch (feature)
    {
    case KANTOR_WINDOW_VOLUME:
      self->acc_volume = acc;
      break;
    case KANTOR_WINDOW_PV:
      self->acc_pv = acc;
      break;
    case KANTOR_WINDOW_TWPA:
      self->acc_twpa = acc;
      break;
    case KANTOR_WINDOW_RETURNS:
      self->acc_ret = acc;
      self->acc_ret2 = acc2;
      break;
    default:
      g_assert_not_reached ();
    }
}

void
kantor_trade_history_enable (KantorTradeHistory *self,
                             guint               features)
{
  guint64 cap = self->mask + 1;
  guint missing = features & HIST_FEATURES & ~self->features;

  if (missing & KANTOR_WINDOW_VOLUME)
    {
      self->cum_volume = g_new0 (KantorSum, cap);
      history_fill (self, KANTOR_WINDOW_VOLUME);
    }
  if (missing & KANTOR_WINDOW_PV)
    {
      self->cum_pv = g_new0 (KantorSum, cap);
      history_fill (self, KANTOR_WINDOW_PV);
    }
  if (missing & KANTOR_WINDOW_TWPA)
    {
      self->cum_twpa = g_new0 (KantorSum, cap);
      history_fill (self, KANTOR_WINDOW_TWPA);
    }
  if (missing & KANTOR_WINDOW_RETURNS)
    {
      self->cum_ret = g_new0 (KantorSum, cap);
      self->cum_ret2 = g_new0 (KantorSum, cap);
      history_fill (self, KANTOR_WINDOW_RETURNS);
    }
  self->features |= missing;
}

/* Copies one ring into a ring twice as large, each item keeping its global
 * index so the windows' indices stay valid. */
#define REGROW(type, field)                                             \
  G_STMT_START {                                                        \
    if (self->field != NULL)                                            \
      {                                                                 \
        type *n = g_new0 (type, new_mask + 1);                          \
        for (guint64 i = self->tail; i < self->head; i++)               \
          n[i & new_mask] = self->field[i & self->mask];                \
        g_free (self->field);                                           \
        self->field = n;                                                \
      }                                                                 \
  } G_STMT_END

static void
history_make_room (KantorTradeHistory *self,
                   gint64              now_ms,
                   KantorWindow       *windows,
                   guint               n_windows)
{
  guint64 keep = self->head;

  /* First forget what no window needs any more (each window keeps the
   * trade just before it, for TWPA and returns), and grow only if that was
   * not enough. Lagging windows catch up first, so the ring never holds
   * more than the longest window needs now. */
  for (guint w = 0; w < n_windows; w++)
    {
      guint64 lo;

      kantor_window_advance (&windows[w], self, now_ms);
      lo = windows[w].lo;
      keep = MIN (keep, lo > 0 ? lo - 1 : 0);
    }
  self->tail = MAX (self->tail, keep);

  if (self->head - self->tail > self->mask)
    {
      guint64 new_mask = self->mask * 2 + 1;

      REGROW (gint64, time);
      REGROW (double, price);
      REGROW (double, volume);
      REGROW (KantorSum, cum_volume);
      REGROW (KantorSum, cum_pv);
      REGROW (KantorSum, cum_twpa);
      REGROW (KantorSum, cum_ret);
      REGROW (KantorSum, cum_ret2);
      self->mask = new_mask;
    }
}

KANTOR_HOT_PATH
void
kantor_trade_history_append (KantorTradeHistory *self,
                             gint64              time_ms,
                             double              price,
                             double              volume,
                             KantorWindow       *windows,
                             guint               n_windows)
{
  guint64 j = self->head;
  guint64 k;
  guint f = self->features;

  if (G_UNLIKELY (j - self->tail > self->mask))
    history_make_room (self, time_ms, windows, n_windows);

  k = j & self->mask;
  if (f & KANTOR_WINDOW_VOLUME)
    {
      self->cum_volume[k] = self->acc_volume;
      kantor_sum_add (&self->acc_volume, volume);
    }
  if (f & KANTOR_WINDOW_PV)
    {
      self->cum_pv[k] = self->acc_pv;
      kantor_sum_add (&self->acc_pv, price * volume);
    }
  if ((f & (KANTOR_WINDOW_TWPA | KANTOR_WINDOW_RETURNS)) && j > self->tail)
    {
      guint64 p = (j - 1) & self->mask;

      if (f & KANTOR_WINDOW_TWPA)
        kantor_sum_add (&self->acc_twpa, self->price[p] * (double) (time_ms - self->time[p]));
      if (f & KANTOR_WINDOW_RETURNS)
        {
          double r = log (price / self->price[p]);

          kantor_sum_add (&self->acc_ret, r);
          kantor_sum_add (&self->acc_ret2, r * r);
        }
    }
  if (f & KANTOR_WINDOW_TWPA)
    self->cum_twpa[k] = self->acc_twpa;
  if (f & KANTOR_WINDOW_RETURNS)
    {
      self->cum_ret[k] = self->acc_ret;
      self->cum_ret2[k] = self->acc_ret2;
    }

  self->time[k] = time_ms;
  self->price[k] = price;
  self->volume[k] = volume;
  self->head = j + 1;
}

gsize
kantor_trade_history_get_memory_size (const KantorTradeHistory *self)
{
  gsize per_trade = sizeof (gint64) + 2 * sizeof (double);

  if (self->cum_volume != NULL)
    per_trade += sizeof (KantorSum);
  if (self->cum_pv != NULL)
    per_trade += sizeof (KantorSum);
  if (self->cum_twpa != NULL)
    per_trade += sizeof (KantorSum);
  if (self->cum_ret != NULL)
    per_trade += 2 * sizeof (KantorSum);

  return (gsize) (self->mask + 1) * per_trade;
}

static void
index_deque_grow (KantorIndexDeque *self)
{
  guint64 new_mask = self->mask * 2 + 1;
  guint64 *n = g_new (guint64, new_mask + 1);

  for (guint64 i = self->front; i < self->back; i++)
    n[i & new_mask] = self->items[i & self->mask];
  g_free (self->items);
  self->items = n;
  self->mask = new_mask;
}

static void
index_deque_init (KantorIndexDeque *self)
{
  self->mask = 63;
  self->items = g_new (guint64, self->mask + 1);
  self->front = self->back = 0;
}

/* Pushes @j after dropping every index whose price it dominates: for the
 * max deque (@sign 1) the prices left are strictly decreasing, for the min
 * deque (@sign -1) strictly increasing. */
static inline void
index_deque_push (KantorIndexDeque         *q,
                  const KantorTradeHistory *hist,
                  guint64                   j,
                  double                    sign)
{
  double p = sign * KANTOR_HIST_P (hist, j);

  while (q->back > q->front && sign * KANTOR_HIST_P (hist, q->items[(q->back - 1) & q->mask]) <= p)
    q->back--;
  if (q->back - q->front > q->mask)
    index_deque_grow (q);
  q->items[q->back++ & q->mask] = j;
}

void
kantor_window_init (KantorWindow *self,
                    gint64        t1_ms,
                    gint64        t2_ms,
                    guint         features)
{
  *self = (KantorWindow) { 0, };
  self->at_ms = G_MININT64;
  self->t1_ms = t1_ms;
  self->t2_ms = t2_ms;
  self->features = features;
  if (features & KANTOR_WINDOW_MAX)
    index_deque_init (&self->maxq);
  if (features & KANTOR_WINDOW_MIN)
    index_deque_init (&self->minq);
}

void
kantor_window_clear (KantorWindow *self)
{
  g_clear_pointer (&self->maxq.items, g_free);
  g_clear_pointer (&self->minq.items, g_free);
}

gsize
kantor_window_get_memory_size (const KantorWindow *self)
{
  gsize size = 0;

  if (self->maxq.items != NULL)
    size += (gsize) (self->maxq.mask + 1) * sizeof (guint64);
  if (self->minq.items != NULL)
    size += (gsize) (self->minq.mask + 1) * sizeof (guint64);
  return size;
}

void
kantor_window_add_features (KantorWindow             *self,
                            const KantorTradeHistory *hist,
                            guint                     features)
{
  guint missing = features & ~self->features;

  if (missing & KANTOR_WINDOW_MAX)
    {
      index_deque_init (&self->maxq);
      for (guint64 i = self->lo; i < self->hi; i++)
        index_deque_push (&self->maxq, hist, i, 1.0);
    }
  if (missing & KANTOR_WINDOW_MIN)
    {
      index_deque_init (&self->minq);
      for (guint64 i = self->lo; i < self->hi; i++)
        index_deque_push (&self->minq, hist, i, -1.0);
    }
  self->features |= features;
}

KANTOR_HOT_PATH
void
kantor_window_advance_deques (KantorWindow             *self,
                              const KantorTradeHistory *hist,
                              gint64                    now_ms)
{
  gint64 end = now_ms - self->t2_ms;
  gint64 start = now_ms - self->t1_ms;
  gboolean with_max = (self->features & KANTOR_WINDOW_MAX) != 0;
  gboolean with_min = (self->features & KANTOR_WINDOW_MIN) != 0;

  while (self->hi < hist->head && KANTOR_HIST_T (hist, self->hi) <= end)
    {
      if (with_max)
        index_deque_push (&self->maxq, hist, self->hi, 1.0);
      if (with_min)
        index_deque_push (&self->minq, hist, self->hi, -1.0);
      self->hi++;
    }
  while (self->lo < self->hi && KANTOR_HIST_T (hist, self->lo) < start)
    {
      if (with_max && self->maxq.items[self->maxq.front & self->maxq.mask] == self->lo)
        self->maxq.front++;
      if (with_min && self->minq.items[self->minq.front & self->minq.mask] == self->lo)
        self->minq.front++;
      self->lo++;
    }
  self->at_ms = now_ms;
  self->at_head = hist->head;
}

static inline const KantorSum *
exclusive_prefix (const KantorTradeHistory *hist,
                  const KantorSum          *cum,
                  const KantorSum          *acc,
                  guint64                   i)
{
  return i == hist->head ? acc : &cum[i & hist->mask];
}

KANTOR_HOT_PATH
double
kantor_window_get_volume (const KantorWindow       *self,
                          const KantorTradeHistory *hist)
{
  double v;

  if (self->hi == self->lo)
    return 0.0;

  v = kantor_sum_diff (exclusive_prefix (hist, hist->cum_volume, &hist->acc_volume, self->hi),
                       &hist->cum_volume[self->lo & hist->mask]);
  /* Volumes are positive: never report a rounding hair below zero. */
  return v > 0 ? v : 0.0;
}

KANTOR_HOT_PATH
gboolean
kantor_window_get_vwap (const KantorWindow       *self,
                        const KantorTradeHistory *hist,
                        double                   *value)
{
  double v = kantor_window_get_volume (self, hist);
  double pv;

  if (self->hi == self->lo || !(v > 0))
    return FALSE;

  pv = kantor_sum_diff (exclusive_prefix (hist, hist->cum_pv, &hist->acc_pv, self->hi),
                        &hist->cum_pv[self->lo & hist->mask]);
  *value = pv / v;
  return TRUE;
}

KANTOR_HOT_PATH
gboolean
kantor_window_get_max (const KantorWindow       *self,
                       const KantorTradeHistory *hist,
                       double                   *value)
{
  if (self->hi == self->lo)
    return FALSE;

  *value = KANTOR_HIST_P (hist, self->maxq.items[self->maxq.front & self->maxq.mask]);
  return TRUE;
}

KANTOR_HOT_PATH
gboolean
kantor_window_get_min (const KantorWindow       *self,
                       const KantorTradeHistory *hist,
                       double                   *value)
{
  if (self->hi == self->lo)
    return FALSE;

  *value = KANTOR_HIST_P (hist, self->minq.items[self->minq.front & self->minq.mask]);
  return TRUE;
}

KANTOR_HOT_PATH
gboolean
kantor_window_get_volatility (const KantorWindow       *self,
                              const KantorTradeHistory *hist,
                              double                   *value)
{
  guint64 n, last;
  double s, s2, var;

  if (self->hi - self->lo < 3)
    return FALSE;

  /* Sample standard deviation (n - 1) of the n returns between consecutive
   * trades inside the window. */
  n = self->hi - self->lo - 1;
  last = (self->hi - 1) & hist->mask;
  s = kantor_sum_diff (&hist->cum_ret[last], &hist->cum_ret[self->lo & hist->mask]);
  s2 = kantor_sum_diff (&hist->cum_ret2[last], &hist->cum_ret2[self->lo & hist->mask]);
  var = (s2 - s * s / (double) n) / (double) (n - 1);
  *value = var > 0 ? sqrt (var) * 100.0 : 0.0;

  return TRUE;
}
