/* kantor-candle.h: timeframes and the candle builder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* STRATEGY.md §2. Buckets are aligned on the Unix epoch in UTC, so 1d
 * candles open at 00:00 UTC and 4h candles at 00, 04, 08, ... UTC. */
typedef enum
{
  KANTOR_TIMEFRAME_1S,
  KANTOR_TIMEFRAME_5S,
  KANTOR_TIMEFRAME_15S,
  KANTOR_TIMEFRAME_1M,
  KANTOR_TIMEFRAME_5M,
  KANTOR_TIMEFRAME_15M,
  KANTOR_TIMEFRAME_1H,
  KANTOR_TIMEFRAME_4H,
  KANTOR_TIMEFRAME_1D,
  KANTOR_N_TIMEFRAMES
} KantorTimeframe;

gboolean     kantor_timeframe_parse     (const char      *name,
                                         KantorTimeframe *timeframe);
const char  *kantor_timeframe_to_string (KantorTimeframe  timeframe);
gint64       kantor_timeframe_get_ms    (KantorTimeframe  timeframe);
/* Start of the bucket holding @time_ms (floor, also for negative times). */
gint64       kantor_timeframe_bucket_start (KantorTimeframe timeframe,
                                            gint64          time_ms);

typedef struct
{
  gint64  open_time_ms;   /* bucket start */
  gint64  close_time_ms;  /* bucket end, exclusive */
  double  open;
  double  high;
  double  low;
  double  close;
  double  volume;
  guint   n_trades;
} KantorCandle;

/* Builds candles of one timeframe from trades in time order. A candle
 * closes when the first trade of a later bucket arrives; a bucket without
 * trades produces no candle at all (no flat filler candle), so candle
 * indicators advance per traded bucket. Plain struct: it lives inside
 * indicator sets on the hot path. */
typedef struct
{
  KantorTimeframe timeframe;
  gint64          period_ms;
  gboolean        open;       /* a candle is being built */
  KantorCandle    current;
} KantorCandleBuilder;

void      kantor_candle_builder_init      (KantorCandleBuilder *self,
                                           KantorTimeframe      timeframe);
/* Adds one trade. Returns TRUE when the trade closed the previous candle,
 * which is then copied to @closed. A trade older than the open candle (out
 * of order) is counted in the open candle. */
static inline gboolean kantor_candle_builder_add_trade (KantorCandleBuilder *self,
                                                        gint64               time_ms,
                                                        double               price,
                                                        double               volume,
                                                        KantorCandle        *closed);
/* The candle being built, or NULL when there is none yet. */
const KantorCandle *kantor_candle_builder_peek (const KantorCandleBuilder *self);

/* Out of line: the slow path of kantor_candle_builder_add_trade(). */
gboolean  kantor_candle_builder_roll      (KantorCandleBuilder *self,
                                           gint64               time_ms,
                                           double               price,
                                           double               volume,
                                           KantorCandle        *closed);

static inline gboolean
kantor_candle_builder_add_trade (KantorCandleBuilder *self,
                                 gint64               time_ms,
                                 double               price,
                                 double               volume,
                                 KantorCandle        *closed)
{
  /* The common case stays in the bucket: no division on the hot path. */
  if (G_LIKELY (self->open && time_ms < self->current.close_time_ms))
    {
      KantorCandle *c = &self->current;

      if (price > c->high)
        c->high = price;
      if (price < c->low)
        c->low = price;
      c->close = price;
      c->volume += volume;
      c->n_trades++;
      return FALSE;
    }

  return kantor_candle_builder_roll (self, time_ms, price, volume, closed);
}

G_END_DECLS
