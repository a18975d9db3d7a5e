/* kantor-ta.h: streaming candle indicators, numerically matching TA-Lib
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Internal to the engine. Each state takes one closed candle at a time and
 * yields after the same warm-up the value TA-Lib's function of the same
 * name gives for the same series (default compatibility, unstable period 0):
 * EMA seeded with the SMA of its first period, Wilder smoothing for RSI and
 * ATR, population standard deviation for BBANDS, and MACD's fast EMA seeded
 * so that it starts on the same candle as the slow one.
 */

#pragma once

#include <glib.h>

#include "kantor-candle.h"
#include "kantor-window.h"

G_BEGIN_DECLS

typedef enum
{
  KANTOR_TA_SMA,
  KANTOR_TA_EMA,
  KANTOR_TA_RSI,
  KANTOR_TA_MACD,
  KANTOR_TA_BBANDS,
  KANTOR_TA_ATR,
} KantorTaKind;

/* Output indices: MACD macd/signal/hist, BBANDS upper/middle/lower. */
enum
{
  KANTOR_TA_OUT_MACD = 0,
  KANTOR_TA_OUT_SIGNAL = 1,
  KANTOR_TA_OUT_HIST = 2,
  KANTOR_TA_OUT_UPPER = 0,
  KANTOR_TA_OUT_MIDDLE = 1,
  KANTOR_TA_OUT_LOWER = 2,
};

typedef struct
{
  KantorTaKind kind;
  guint        period;      /* SMA EMA RSI BBANDS ATR; MACD's slow period */
  guint        fast;        /* MACD */
  guint        signal;      /* MACD */
  double       nbdev;       /* BBANDS */
  double       k;           /* EMA; MACD slow */
  double       k_fast;      /* MACD */
  double       k_signal;    /* MACD */

  guint64      n;           /* candles seen */
  double       prev_close;

  /* SMA and BBANDS: the last @period closes, with running sums of the
   * closes minus @shift (and their squares) rebuilt exactly every @period
   * candles so they cannot drift. */
  double      *ring;
  guint        ring_pos;
  guint        since_rebuild;
  double       shift;
  KantorSum    s1;
  KantorSum    s2;

  double       a;           /* EMA value; RSI avg gain; MACD fast EMA; ATR value */
  double       b;           /* RSI avg loss; MACD slow EMA */
  double       seed;        /* sum during warm-up */
  double       seed_fast;   /* MACD */
  double       sig_seed;    /* MACD */

  gboolean     ready;
  double       out[3];
} KantorTa;

void     kantor_ta_init_sma    (KantorTa           *self,
                                guint               period);
void     kantor_ta_init_ema    (KantorTa           *self,
                                guint               period);
void     kantor_ta_init_rsi    (KantorTa           *self,
                                guint               period);
void     kantor_ta_init_macd   (KantorTa           *self,
                                guint               fast,
                                guint               slow,
                                guint               signal);
void     kantor_ta_init_bbands (KantorTa           *self,
                                guint               period,
                                double              nbdev);
void     kantor_ta_init_atr    (KantorTa           *self,
                                guint               period);
void     kantor_ta_clear       (KantorTa           *self);

void     kantor_ta_push        (KantorTa           *self,
                                const KantorCandle *candle);
/* FALSE during the warm-up. @output as above; 0 for single-output kinds. */
static inline gboolean
kantor_ta_get (const KantorTa *self,
               guint           output,
               double         *value)
{
  if (!self->ready)
    return FALSE;
  *value = self->out[output];
  return TRUE;
}

G_END_DECLS
