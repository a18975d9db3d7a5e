/* kantor-stream-hub.h: stream items, their ring buffers and sequence
 * numbers, and the fan-out to subscribed connections (PROTOCOL §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "kantor-client-connection.h"
#include "kantor-market-feed.h"
#include "kantor-session-manager.h"
#include "kantor-strategy-manager.h"

G_BEGIN_DECLS

typedef enum
{
  KANTOR_STREAM_MARKET_DATA = 0,
  KANTOR_STREAM_INDICATORS,
  KANTOR_STREAM_SIGNALS,
  KANTOR_STREAM_ORDERS,
  KANTOR_STREAM_HEALTH,
  KANTOR_N_STREAMS
} KantorStream;

/* "market_data", ...; NULL for an invalid value. */
const char   *kantor_stream_to_string   (KantorStream  stream);
/* FALSE when @name is no stream. */
gboolean      kantor_stream_from_string (const char   *name,
                                         KantorStream *stream);

/* Items kept per symbol for seeding, and per stream for resume. */
#define KANTOR_STREAM_SEED_ITEMS          5
#define KANTOR_STREAM_DEFAULT_RING        4096
#define KANTOR_STREAM_DEFAULT_HEALTH_MS   1000
#define KANTOR_STREAM_DEFAULT_DATA_GAP_MS 10000

#define KANTOR_TYPE_STREAM_HUB (kantor_stream_hub_get_type ())
G_DECLARE_FINAL_TYPE (KantorStreamHub, kantor_stream_hub, KANTOR, STREAM_HUB, GObject)

/* @feed (may be NULL) gives market_data, feed state alerts and the health
 * stream's figures; @strategies (may be NULL) gives signals (and
 * emergency_exit alerts). Both are referenced. */
KantorStreamHub *kantor_stream_hub_new             (KantorMarketFeed      *feed,
                                                    KantorStrategyManager *strategies);

/* Publishes the signals, orders and indicators of @sessions' paper and live
 * sessions ("session-signal", "session-order" and "session-indicators")
 * with the session's id, for as long as both live. Backtests publish
 * nothing per event. Session alerts are the session API's to deliver. */
void             kantor_stream_hub_follow_sessions (KantorStreamHub      *self,
                                                    KantorSessionManager *sessions);

/* Tuning (kantord.conf [streams]): items held per stream for resume,
 * the health report period, the silence that raises data_gap, and each
 * subscriber connection's flow-control bounds. */
void             kantor_stream_hub_set_ring_capacity (KantorStreamHub     *self,
                                                      guint                capacity);
void             kantor_stream_hub_set_health_interval (KantorStreamHub   *self,
                                                        guint              interval_ms);
void             kantor_stream_hub_set_data_gap      (KantorStreamHub     *self,
                                                      guint                gap_ms);
void             kantor_stream_hub_set_flow_control  (KantorStreamHub     *self,
                                                      gsize                soft_bound,
                                                      gsize                hard_bound);

/* Which session consumes @symbol's market events (NULL: none). Items of
 * that symbol then carry its session_id, and the hub keeps the symbol's
 * feed subscription (so its buffers fill) while a session holds it. */
void             kantor_stream_hub_set_symbol_session (KantorStreamHub    *self,
                                                       const char         *symbol,
                                                       const char         *session_id);
/* Keeps (or stops keeping, when @watch is FALSE) @symbol's feed
 * subscription without any subscriber; counted. */
void             kantor_stream_hub_watch_symbol     (KantorStreamHub      *self,
                                                     const char           *symbol,
                                                     gboolean              watch);

/* Subscriptions. @symbols (NULL: every symbol) are valid symbols;
 * @session_id (NULL: any) filters on the items' session_id. A connection
 * holds one subscription per stream: subscribing again replaces it.
 * @resume_from (< 0: none) replays the buffered items after that seq
 * instead of seeding; *@resume_gap (may be NULL) is set when some of them
 * are no longer held, and *@oldest_seq to the oldest one still held (0
 * when none). The caller sends the subscribed reply before calling
 * kantor_stream_hub_send_backfill(), which sends the seed or the replay. */
void             kantor_stream_hub_subscribe        (KantorStreamHub        *self,
                                                     KantorClientConnection *connection,
                                                     KantorStream            stream,
                                                     const char * const     *symbols,
                                                     const char             *session_id,
                                                     gint64                  resume_from,
                                                     gboolean               *resume_gap,
                                                     guint64                *oldest_seq);
void             kantor_stream_hub_send_backfill    (KantorStreamHub        *self,
                                                     KantorClientConnection *connection,
                                                     KantorStream            stream);
/* FALSE when @connection had no subscription to @stream. */
gboolean         kantor_stream_hub_unsubscribe      (KantorStreamHub        *self,
                                                     KantorClientConnection *connection,
                                                     KantorStream            stream);
guint            kantor_stream_hub_get_n_subscribers (KantorStreamHub       *self,
                                                      KantorStream           stream);

/* The last seq given on @stream (0 before the first item). */
guint64          kantor_stream_hub_get_last_seq     (KantorStreamHub        *self,
                                                     KantorStream            stream);

/* Publishing. Each item is serialised once and the same frame goes to
 * every subscriber whose filters match; subscribers are indexed by
 * (stream, symbol). Every function returns the item's seq. */

/* A market event as the feed delivers it (what the hub's own feed
 * subscriptions call; public for replays, tests and benchmarks). Trades
 * make market_data items; book updates refresh best_bid/best_ask. Returns
 * 0 when no item was made. */
guint64          kantor_stream_hub_publish_market_event (KantorStreamHub         *self,
                                                         const KantorMarketEvent *event);
/* @values: indicator name -> number (or null while warming up);
 * @used_by (may be NULL): indicator name -> array of strategy names. */
guint64          kantor_stream_hub_publish_indicators (KantorStreamHub    *self,
                                                       const char         *symbol,
                                                       const char         *session_id,
                                                       gint64              time_ms,
                                                       JsonObject         *values,
                                                       JsonObject         *used_by);
/* @session_id NULL: the symbol's consuming session, if any. Signals are
 * never dropped; an emergency_exit signal also raises its alert. */
guint64          kantor_stream_hub_publish_signal   (KantorStreamHub        *self,
                                                     const char             *session_id,
                                                     const KantorSignal     *signal);
/* @order: an order or fill event object (must have "symbol"). */
guint64          kantor_stream_hub_publish_order    (KantorStreamHub        *self,
                                                     const char             *session_id,
                                                     JsonObject             *order);

/* The hub's own alerts (emergency_exit, feed_down, feed_restored,
 * data_gap), and any other known kind (kantor_envelope_alert_is_known()),
 * are emitted as the "alert" signal (alert, session_id, symbol, message,
 * JsonObject *fields), which kantor_stream_api_register() hands to the
 * server's one alert path; the hub counts them for the health stream.
 * @fields (may be NULL) are added to the alert object. */
void             kantor_stream_hub_publish_alert    (KantorStreamHub        *self,
                                                     const char             *alert,
                                                     const char             *session_id,
                                                     const char             *symbol,
                                                     const char             *message,
                                                     JsonObject             *fields);

/* Publishes one health item now (the timer does it every interval). */
guint64          kantor_stream_hub_publish_health   (KantorStreamHub        *self);

G_END_DECLS
