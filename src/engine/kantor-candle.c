/* kantor-candle.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-candle.h"

static const struct
{
  const char *name;
  gint64      ms;
} timeframes[KANTOR_N_TIMEFRAMES] = {
  [KANTOR_TIMEFRAME_1S]  = { "1s",  1000 },
  [KANTOR_TIMEFRAME_5S]  = { "5s",  5 * 1000 },
  [KANTOR_TIMEFRAME_15S] = { "15s", 15 * 1000 },
  [KANTOR_TIMEFRAME_1M]  = { "1m",  60 * 1000 },
  [KANTOR_TIMEFRAME_5M]  = { "5m",  5 * 60 * 1000 },
  [KANTOR_TIMEFRAME_15M] = { "15m", 15 * 60 * 1000 },
  [KANTOR_TIMEFRAME_1H]  = { "1h",  60 * 60 * 1000 },
  [KANTOR_TIMEFRAME_4H]  = { "4h",  4 * 60 * 60 * 1000 },
  [KANTOR_TIMEFRAME_1D]  = { "1d",  24 * 60 * 60 * 1000 },
};

gboolean
kantor_timeframe_parse (const char      *name,
                        KantorTimeframe *timeframe)
{
  if (name == NULL)
    return FALSE;

  for (guint i = 0; i < KANTOR_N_TIMEFRAMES; i++)
    if (g_str_equal (name, timeframes[i].name))
      {
        if (timeframe != NULL)
          *timeframe = (KantorTimeframe) i;
        return TRUE;
      }

  return FALSE;
}

const char *
kantor_timeframe_to_string (KantorTimeframe timeframe)
{
  g_return_val_if_fail (timeframe < KANTOR_N_TIMEFRAMES, NULL);
  return timeframes[timeframe].name;
}

gint64
kantor_timeframe_get_ms (KantorTimeframe timeframe)
{
  g_return_val_if_fail (timeframe < KANTOR_N_TIMEFRAMES, 0);
  return timeframes[timeframe].ms;
}

gint64
kantor_timeframe_bucket_start (KantorTimeframe timeframe,
                               gint64          time_ms)
{
  gint64 ms = kantor_timeframe_get_ms (timeframe);
  gint64 q = time_ms / ms;

  /* C division truncates toward zero; buckets must floor. */
  if (time_ms % ms != 0 && time_ms < 0)
    q--;

  return q * ms;
}

void
kantor_candle_builder_init (KantorCandleBuilder *self,
                            KantorTimeframe      timeframe)
{
  g_return_if_fail (timeframe < KANTOR_N_TIMEFRAMES);

  *self = (KantorCandleBuilder) { 0, };
  self->timeframe = timeframe;
  self->period_ms = kantor_timeframe_get_ms (timeframe);
}

const KantorCandle *
kantor_candle_builder_peek (const KantorCandleBuilder *self)
{
  return self->open ? &self->current : NULL;
}

gboolean
kantor_candle_builder_roll (KantorCandleBuilder *self,
                            gint64               time_ms,
                            double               price,
                            double               volume,
                            KantorCandle        *closed)
{
  gboolean did_close = FALSE;
  gint64 start;

  if (self->open && time_ms < self->current.close_time_ms)
    return kantor_candle_builder_add_trade (self, time_ms, price, volume, closed);

  if (self->open)
    {
      if (closed != NULL)
        *closed = self->current;
      did_close = TRUE;
    }

  start = kantor_timeframe_bucket_start (self->timeframe, time_ms);
  self->current = (KantorCandle) {
    .open_time_ms = start,
    .close_time_ms = start + self->period_ms,
    .open = price,
    .high = price,
    .low = price,
    .close = price,
    .volume = volume,
    .n_trades = 1,
  };
  self->open = TRUE;

  return did_close;
}
