/* kantor-collection-writer.h: rows of a recorded collection (PROTOCOL.md §9)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "kantor-market-event.h"

G_BEGIN_DECLS

/* The first line of each file, line end included. */
#define KANTOR_COLLECTION_PRICES_HEADER "timestamp,price,volume,quote_volume\n"
#define KANTOR_COLLECTION_BOOK_HEADER                                                 \
  "timestamp,bid_price_1,bid_qty_1,bid_price_2,bid_qty_2,bid_price_3,bid_qty_3,"      \
  "ask_price_1,ask_qty_1,ask_price_2,ask_qty_2,ask_price_3,ask_qty_3,best_bid,best_ask,"  \
  "spread\n"

#define KANTOR_COLLECTION_PRICES_FILE "prices.csv"
#define KANTOR_COLLECTION_BOOK_FILE   "orderbook.csv"
#define KANTOR_COLLECTION_META_FILE   "meta.json"
/* meta.json "format_version". */
#define KANTOR_COLLECTION_FORMAT_VERSION 1

/* Longest row either function below appends (16 fields of at most 31
 * bytes, separators and the line end). */
#define KANTOR_COLLECTION_MAX_ROW 544

/* Writes @time_ms (epoch milliseconds, >= 0) as epoch seconds with only the
 * fractional digits needed: 1700000000123 is "1700000000.123",
 * 1700000000120 "1700000000.12", 1700000000000 "1700000000". This is the
 * "no trailing zeros" rule of the numbers applied to time, and what
 * kantor_csv_parse_seconds_ms() reads back exactly. Returns the length. */
gsize    kantor_collection_format_time     (gint64                   time_ms,
                                            char                     buf[32]);

/* Appends one whole row, line end included, for @event: a trade to
 * prices.csv's format (quote_volume = price * volume), a book update to
 * orderbook.csv's (an absent level, qty 0, is written "0,0"; best_bid and
 * best_ask are 0 when that side is empty; spread is best_ask - best_bid
 * when both sides are there, else 0). Numbers are the shortest text that
 * reads back to the same double (kantor_format_double()).
 *
 * Returns FALSE, appending nothing, for an event the reader would refuse:
 * a non-finite or non-positive trade price or volume, negative times, or a
 * book that is not ordered best first. */
gboolean kantor_collection_append_trade    (GString                 *out,
                                            const KantorMarketEvent *event);
gboolean kantor_collection_append_book     (GString                 *out,
                                            const KantorMarketEvent *event);

G_END_DECLS
