/* kantor-binance-source.h: trades from Binance's public data archive
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-market-source.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_BINANCE_SOURCE (kantor_binance_source_get_type ())
G_DECLARE_FINAL_TYPE (KantorBinanceSource, kantor_binance_source,
                      KANTOR, BINANCE_SOURCE, GObject)

typedef enum
{
  /* id,price,qty,quote_qty,time,is_buyer_maker,is_best_match */
  KANTOR_BINANCE_FORMAT_TRADES = 1,
  /* agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker */
  KANTOR_BINANCE_FORMAT_AGG_TRADES = 2,
} KantorBinanceFormat;

/* Reads the unzipped CSV files of the archive's `trades` and `aggTrades`
 * sets, with or without the header row. @path is one file or a folder of
 * them. The symbol comes from the file name (BTCUSDT-trades-2024-01-01.csv)
 * unless @symbol is given; in a folder, @symbol picks that symbol's files.
 *
 * Per file, the format is told by the header or, without one, by the sixth
 * field (a boolean in `trades`, a time in `aggTrades`); the time unit by the
 * first row (milliseconds, or microseconds in newer files: values from
 * 10^14 up), and every row must agree. A symbol's files are read in name
 * order (the archive's names sort by date) and must continue each other in
 * time; symbols are merged by time, ties in name order. A row earlier than
 * the one before it is an error (KANTOR_SOURCE_ERROR_OUT_OF_ORDER). The
 * archive's files carry trades only: there is no book. */
KantorMarketSource *kantor_binance_source_new (const char  *path,
                                               const char  *symbol,
                                               GError     **error);

G_END_DECLS
