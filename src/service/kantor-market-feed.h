/* kantor-market-feed.h: the real-time market feed on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "kantor-market-event.h"

G_BEGIN_DECLS

typedef enum
{
  KANTOR_MARKET_FEED_STATE_IDLE = 0,   /* no subscriber, nothing runs */
  KANTOR_MARKET_FEED_STATE_RUNNING,    /* events are flowing */
  KANTOR_MARKET_FEED_STATE_DOWN,       /* a source failed; subscribers get nothing */
} KantorMarketFeedState;

#define KANTOR_TYPE_MARKET_FEED (kantor_market_feed_get_type ())
G_DECLARE_FINAL_TYPE (KantorMarketFeed, kantor_market_feed, KANTOR, MARKET_FEED, GObject)

/* Called on the main loop for each event of the subscribed symbol, in time
 * order. @event (symbol interned) is only valid during the call. */
typedef void (*KantorMarketFeedFunc) (KantorMarketFeed        *feed,
                                      const KantorMarketEvent *event,
                                      gpointer                 user_data);

/* The embedded synthetic market (kantor-synthetic-source.h), one source per
 * symbol, deterministic per (symbol, @seed), with event times starting at
 * the wall-clock time of the first subscription and paced in real time. */
KantorMarketFeed      *kantor_market_feed_new_synthetic (guint64            seed);

/* "synthetic" for the embedded feed. */
const char            *kantor_market_feed_get_name      (KantorMarketFeed  *self);

/* Starts the symbol's source on its first subscriber. Returns a subscription
 * id (> 0), or 0 when @symbol does not match ^[A-Z0-9_]{1,32}$ (check it
 * with kantor_symbol_is_valid() first). @destroy (may be NULL) is called on
 * @user_data when the subscription ends. */
guint                  kantor_market_feed_subscribe     (KantorMarketFeed      *self,
                                                         const char            *symbol,
                                                         KantorMarketFeedFunc   func,
                                                         gpointer               user_data,
                                                         GDestroyNotify         destroy);
/* Ends a subscription; the symbol's source stops with its last subscriber.
 * Safe to call from inside a callback, also for the running subscription. */
void                   kantor_market_feed_unsubscribe   (KantorMarketFeed      *self,
                                                         guint                  id);

/* Number of symbols with a running source. */
guint                  kantor_market_feed_get_n_symbols (KantorMarketFeed      *self);

/* The "feed-state" property (notify::feed-state for health alerts). */
KantorMarketFeedState  kantor_market_feed_get_state     (KantorMarketFeed      *self);
const char            *kantor_market_feed_state_to_string (KantorMarketFeedState state);

/* Pacing knob for tests and demos: @speed 1 (the default) is real time,
 * 100 delivers a hundred seconds of market time per second. Event times
 * still start at the wall clock; only delivery is faster. */
void                   kantor_market_feed_set_speed     (KantorMarketFeed      *self,
                                                         double                 speed);
double                 kantor_market_feed_get_speed     (KantorMarketFeed      *self);

/* Fixed-rate mode for load tests and demos: @rate > 0 events a second per
 * symbol (trades and book updates), evenly spaced, the synthetic market's
 * events re-stamped with those wall-clock times and delivered when due, to
 * the microsecond where the platform allows. 0 (the default): the model's
 * own clock, paced by the speed. Applies to symbols started afterwards. */
void                   kantor_market_feed_set_rate      (KantorMarketFeed      *self,
                                                         double                 rate);
double                 kantor_market_feed_get_rate      (KantorMarketFeed      *self);

/* For feeds that lose and regain their upstream (an exchange connection
 * will call it; the embedded market never fails by itself, and tests and
 * operators use it to rehearse an outage). KANTOR_MARKET_FEED_STATE_DOWN
 * stops delivery; any other state brings the feed back (idle or running
 * as its symbols say), resuming at the present: events due meanwhile are
 * lost, as in a real outage. Each change notifies "feed-state". */
void                   kantor_market_feed_set_state     (KantorMarketFeed      *self,
                                                         KantorMarketFeedState  state);

G_END_DECLS
