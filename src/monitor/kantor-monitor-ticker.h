/* kantor-monitor-ticker.h: the latest market data of one symbol
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KANTOR_TYPE_MONITOR_TICKER (kantor_monitor_ticker_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorTicker, kantor_monitor_ticker, KANTOR, MONITOR_TICKER, GObject)

KantorMonitorTicker *kantor_monitor_ticker_new            (const char          *symbol);
/* Takes a market_data body {symbol, price, volume, best_bid, best_ask,
 * timestamp}. Items older than the last one taken are ignored. */
gboolean     kantor_monitor_ticker_update                 (KantorMonitorTicker *self,
                                                           JsonObject          *market_data);

const char  *kantor_monitor_ticker_get_symbol             (KantorMonitorTicker *self);
double       kantor_monitor_ticker_get_price              (KantorMonitorTicker *self);
double       kantor_monitor_ticker_get_volume             (KantorMonitorTicker *self);
/* FALSE until the server has seen the symbol's order book; bid and ask
 * are 0 then. */
gboolean     kantor_monitor_ticker_get_has_book           (KantorMonitorTicker *self);
double       kantor_monitor_ticker_get_bid                (KantorMonitorTicker *self);
double       kantor_monitor_ticker_get_ask                (KantorMonitorTicker *self);
/* Against the first price this ticker saw (the session's open). */
double       kantor_monitor_ticker_get_change             (KantorMonitorTicker *self);
double       kantor_monitor_ticker_get_change_percent     (KantorMonitorTicker *self);
/* The last tick: 1 up, -1 down, 0 unchanged. */
int          kantor_monitor_ticker_get_direction          (KantorMonitorTicker *self);
/* Epoch milliseconds of the last trade. */
gint64       kantor_monitor_ticker_get_updated_at         (KantorMonitorTicker *self);
guint64      kantor_monitor_ticker_get_n_trades           (KantorMonitorTicker *self);

G_END_DECLS
