/* kantor-ta.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The update formulas follow TA-Lib's operation order (seed sums added in
 * sequence, Wilder's "multiply by period - 1, add, divide by period"), so
 * results agree with it to rounding. Two deliberate differences, both
 * outside TA-Lib's meaningful range: TA-Lib zeroes an RSI whose average
 * gain + loss and a BBANDS variance below an absolute 1e-14, which would
 * flatten symbols priced around 1e-8; we only treat exact zeros (and a
 * negative rounding residue of the variance) that way.
 */

#include "config.h"

#include <math.h>

#include "kantor-ta.h"

static void
init_common (KantorTa     *self,
             KantorTaKind  kind,
             guint         period)
{
  *self = (KantorTa) { 0, };
  self->kind = kind;
  self->period = period;
}

void
kantor_ta_init_sma (KantorTa *self,
                    guint     period)
{
  g_return_if_fail (period >= 1);
  init_common (self, KANTOR_TA_SMA, period);
  self->ring = g_new0 (double, period);
}

void
kantor_ta_init_ema (KantorTa *self,
                    guint     period)
{
  g_return_if_fail (period >= 1);
  init_common (self, KANTOR_TA_EMA, period);
  self->k = 2.0 / ((double) (period + 1));
}

void
kantor_ta_init_rsi (KantorTa *self,
                    guint     period)
{
  g_return_if_fail (period >= 1);
  init_common (self, KANTOR_TA_RSI, period);
}

void
kantor_ta_init_macd (KantorTa *self,
                     guint     fast,
                     guint     slow,
                     guint     signal)
{
  g_return_if_fail (fast >= 1 && slow >= fast && signal >= 1);
  init_common (self, KANTOR_TA_MACD, slow);
  self->fast = fast;
  self->signal = signal;
  self->k = 2.0 / ((double) (slow + 1));
  self->k_fast = 2.0 / ((double) (fast + 1));
  self->k_signal = 2.0 / ((double) (signal + 1));
}

void
kantor_ta_init_bbands (KantorTa *self,
                       guint     period,
                       double    nbdev)
{
  g_return_if_fail (period >= 1);
  init_common (self, KANTOR_TA_BBANDS, period);
  self->nbdev = nbdev;
  self->ring = g_new0 (double, period);
}

void
kantor_ta_init_atr (KantorTa *self,
                    guint     period)
{
  g_return_if_fail (period >= 1);
  init_common (self, KANTOR_TA_ATR, period);
}

void
kantor_ta_clear (KantorTa *self)
{
  g_clear_pointer (&self->ring, g_free);
}

/* SMA and BBANDS: slide the ring and the shifted sums. */
static void
push_ring (KantorTa *self,
           double    close)
{
  guint period = self->period;
  double d;

  if (self->n == 0)
    self->shift = close;

  if (self->n >= period)
    {
      double od = self->ring[self->ring_pos] - self->shift;

      kantor_sum_add (&self->s1, -od);
      kantor_sum_add (&self->s2, -(od * od));
    }
  self->ring[self->ring_pos] = close;
  self->ring_pos = self->ring_pos + 1 == period ? 0 : self->ring_pos + 1;
  d = close - self->shift;
  kantor_sum_add (&self->s1, d);
  kantor_sum_add (&self->s2, d * d);
  self->n++;

  /* Once per period, rebuild the sums exactly around the latest close:
   * amortised O(1), no drift, and a shift near the data keeps the variance
   * free of cancellation. */
  if (++self->since_rebuild >= period && self->n >= period)
    {
      self->since_rebuild = 0;
      self->shift = close;
      self->s1 = self->s2 = (KantorSum) { 0, 0 };
      for (guint i = 0; i < period; i++)
        {
          double e = self->ring[(self->ring_pos + i) % period] - self->shift;

          kantor_sum_add (&self->s1, e);
          kantor_sum_add (&self->s2, e * e);
        }
    }

  if (self->n >= period)
    {
      double m1 = kantor_sum_get (&self->s1) / period;
      double mean = self->shift + m1;

      self->ready = TRUE;
      if (self->kind == KANTOR_TA_SMA)
        {
          self->out[0] = mean;
        }
      else
        {
          double var = kantor_sum_get (&self->s2) / period - m1 * m1;
          double sd = var > 0 ? sqrt (var) : 0.0;

          self->out[KANTOR_TA_OUT_UPPER] = mean + self->nbdev * sd;
          self->out[KANTOR_TA_OUT_MIDDLE] = mean;
          self->out[KANTOR_TA_OUT_LOWER] = mean - self->nbdev * sd;
        }
    }
}

static void
push_ema (KantorTa *self,
          double    close)
{
  self->n++;
  if (self->n < self->period)
    {
      self->seed += close;
      return;
    }
  if (self->n == self->period)
    {
      self->seed += close;
      self->a = self->seed / self->period;
      self->ready = TRUE;
    }
  else
    {
      self->a = ((close - self->a) * self->k) + self->a;
    }
  self->out[0] = self->a;
}

static void
push_rsi (KantorTa *self,
          double    close)
{
  guint64 n_diffs;
  double diff;

  if (self->n++ == 0)
    {
      self->prev_close = close;
      return;
    }

  diff = close - self->prev_close;
  self->prev_close = close;
  n_diffs = self->n - 1;

  if (n_diffs <= self->period)
    {
      if (diff < 0)
        self->b -= diff;
      else
        self->a += diff;
      if (n_diffs < self->period)
        return;
      self->b /= self->period;
      self->a /= self->period;
      self->ready = TRUE;
    }
  else
    {
      self->b *= (self->period - 1);
      self->a *= (self->period - 1);
      if (diff < 0)
        self->b -= diff;
      else
        self->a += diff;
      self->b /= self->period;
      self->a /= self->period;
    }

  {
    double total = self->a + self->b;

    self->out[0] = total != 0 ? 100.0 * (self->a / total) : 0.0;
  }
}

static void
push_macd (KantorTa *self,
           double    close)
{
  guint64 i = self->n++;
  guint slow = self->period;
  guint64 j;
  double macd;

  if (i < slow)
    {
      /* The fast EMA is seeded with the SMA of the @fast closes ending on
       * the slow EMA's first candle, as TA-Lib does. */
      self->seed += close;
      if (i >= slow - self->fast)
        self->seed_fast += close;
      if (i < slow - 1)
        return;
      self->b = self->seed / slow;
      self->a = self->seed_fast / self->fast;
    }
  else
    {
      self->a = ((close - self->a) * self->k_fast) + self->a;
      self->b = ((close - self->b) * self->k) + self->b;
    }

  macd = self->a - self->b;
  j = i - (slow - 1);
  if (j < self->signal)
    {
      self->sig_seed += macd;
      if (j < self->signal - 1)
        return;
      self->out[KANTOR_TA_OUT_SIGNAL] = self->sig_seed / self->signal;
      self->ready = TRUE;
    }
  else
    {
      double sig = self->out[KANTOR_TA_OUT_SIGNAL];

      self->out[KANTOR_TA_OUT_SIGNAL] = ((macd - sig) * self->k_signal) + sig;
    }
  self->out[KANTOR_TA_OUT_MACD] = macd;
  self->out[KANTOR_TA_OUT_HIST] = macd - self->out[KANTOR_TA_OUT_SIGNAL];
}

static void
push_atr (KantorTa           *self,
          const KantorCandle *candle)
{
  guint64 i = self->n++;
  double pc = self->prev_close;
  double tr, v;

  self->prev_close = candle->close;
  if (i == 0)
    return;

  /* TA-Lib's TRANGE. */
  tr = candle->high - candle->low;
  v = fabs (pc - candle->high);
  if (v > tr)
    tr = v;
  v = fabs (pc - candle->low);
  if (v > tr)
    tr = v;

  if (i <= self->period)
    {
      self->seed += tr;
      if (i < self->period)
        return;
      self->a = self->seed / self->period;
      self->ready = TRUE;
    }
  else
    {
      self->a *= self->period - 1;
      self->a += tr;
      self->a /= self->period;
    }
  self->out[0] = self->a;
}

void
kantor_ta_push (KantorTa           *self,
                const KantorCandle *candle)
{
  switch (self->kind)
    {
    case KANTOR_TA_SMA:
    case KANTOR_TA_BBANDS:
      push_ring (self, candle->close);
      break;
    case KANTOR_TA_EMA:
      push_ema (self, candle->close);
      break;
    case KANTOR_TA_RSI:
      push_rsi (self, candle->close);
      break;
    case KANTOR_TA_MACD:
      push_macd (self, candle->close);
      break;
    case KANTOR_TA_ATR:
      push_atr (self, candle);
      break;
    default:
      g_assert_not_reached ();
    }
}
