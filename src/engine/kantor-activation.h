/* kantor-activation.h: one strategy on one symbol, the state machine of
 * STRATEGY.md §3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "kantor-execution.h"
#include "kantor-indicator-set.h"
#include "kantor-market-event.h"
#include "kantor-strategy.h"

G_BEGIN_DECLS

typedef enum
{
  KANTOR_ACTIVATION_MONITORING = 1,
  KANTOR_ACTIVATION_SIGNAL_DETECTED,
  KANTOR_ACTIVATION_POSITION_ACTIVE,
  KANTOR_ACTIVATION_COOLDOWN,
  KANTOR_ACTIVATION_EMERGENCY_EXIT,   /* transient: only seen from inside a hook */
} KantorActivationState;

/* The open position of an activation. In a bare activation (no execute
 * hook) it is virtual: opened at the signal price, nothing traded. */
typedef struct
{
  KantorSide  side;           /* the opening side: BUY for LONG, SELL for SHORT */
  double      entry_price;
  double      qty;            /* base quantity; 0 when a bare activation cannot size it */
  gint64      entry_time_ms;
  guint64     order_id;       /* the entry fill's order, 0 when virtual */
} KantorActivationPosition;

/* Plain struct: it sits on the hot path and is driven from one thread. */
typedef struct _KantorActivation KantorActivation;

/* Registers the indicators @strategy's conditions use in @set, which must be
 * the set of @symbol and must outlive the activation. @hooks (copied) may be
 * NULL, and its execute member may be NULL: a bare activation. */
KantorActivation     *kantor_activation_new              (KantorStrategy             *strategy,
                                                          const char                 *symbol,
                                                          KantorIndicatorSet         *set,
                                                          const KantorExecutionHooks *hooks,
                                                          gpointer                    user_data);
void                  kantor_activation_free             (KantorActivation           *self);

/* Runs the machine on one event of this activation's symbol, after the set
 * was updated with it. @quote (may be NULL) prices signals when no trade
 * has been seen yet. No allocation. */
void                  kantor_activation_on_event         (KantorActivation           *self,
                                                          const KantorMarketEvent    *event,
                                                          const KantorQuote          *quote);
/* Closes an open position (a signal of type @reason, usually
 * KANTOR_SIGNAL_SESSION_END, and a closing order) and drops a pending
 * signal; the machine returns to MONITORING. TRUE when a position was
 * closed. */
gboolean              kantor_activation_close            (KantorActivation           *self,
                                                          gint64                      time_ms,
                                                          KantorSignalType            reason);
/* TRUE with no position and no pending signal: a newer version of the
 * strategy may replace this activation now. */
gboolean              kantor_activation_can_swap         (KantorActivation           *self);
/* Carries a running cooldown of @previous (which must be swappable) over to
 * @self, a fresh activation of the same symbol, so replacing a strategy
 * does not shorten its cooldown. */
void                  kantor_activation_inherit          (KantorActivation           *self,
                                                          KantorActivation           *previous);

KantorStrategy       *kantor_activation_get_strategy     (KantorActivation           *self);
const char           *kantor_activation_get_symbol       (KantorActivation           *self);
KantorActivationState kantor_activation_get_state        (KantorActivation           *self);
/* Event time of the last state change (0 before the first). */
gint64                kantor_activation_get_state_since_ms (KantorActivation         *self);
/* Event time of the pending or last S1 signal, 0 when none is pending. */
gint64                kantor_activation_get_signal_time_ms (KantorActivation         *self);
/* End of the running cooldown (event time), 0 when not in COOLDOWN. */
gint64                kantor_activation_get_cooldown_until_ms (KantorActivation      *self);
/* FALSE when no position is open; @position may be NULL. */
gboolean              kantor_activation_get_position     (KantorActivation           *self,
                                                          KantorActivationPosition             *position);

const char           *kantor_activation_state_to_string  (KantorActivationState       state);

/* How often indicator values of a symbol are reported while it trades, in
 * event time (the indicators stream's throttle). */
#define KANTOR_ACTIVATION_INDICATORS_PERIOD_MS 250

/* The indicators of @activations (all on one symbol, whose indicators
 * @set holds) as they are now: @values gets name -> number, those without
 * a value yet left out; @used_by gets name -> [strategy names]. A name two
 * strategies declare differently becomes "strategy.name". */
void                  kantor_activation_report_indicators
                                                         (KantorActivation * const  *activations,
                                                          guint                      n_activations,
                                                          KantorIndicatorSet        *set,
                                                          JsonObject                *values,
                                                          JsonObject                *used_by);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorActivation, kantor_activation_free)

G_END_DECLS
