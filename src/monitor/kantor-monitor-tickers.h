/* kantor-monitor-tickers.h: live prices per symbol, as a list model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-monitor-client.h"
#include "kantor-monitor-feed-model.h"
#include "kantor-monitor-ticker.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_MONITOR_TICKERS (kantor_monitor_tickers_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorTickers, kantor_monitor_tickers, KANTOR, MONITOR_TICKERS,
                      KantorMonitorFeedModel)

/* A GListModel of KantorMonitorTicker in symbol order, fed by a
 * market_data subscription of @client for @symbols (NULL: every symbol the
 * server streams), made as soon as @client is authenticated. A symbol
 * appears with its first item. */
KantorMonitorTickers *kantor_monitor_tickers_new    (KantorMonitorClient  *client,
                                                     const char * const   *symbols);
/* (transfer none) (nullable) */
KantorMonitorTicker  *kantor_monitor_tickers_lookup (KantorMonitorTickers *self,
                                                     const char           *symbol);
/* TRUE once the subscription was accepted. */
gboolean              kantor_monitor_tickers_is_subscribed (KantorMonitorTickers *self);

G_END_DECLS
