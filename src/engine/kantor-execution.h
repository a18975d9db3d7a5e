/* kantor-execution.h: what flows between strategies and execution
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  KANTOR_SIDE_BUY  = 1,
  KANTOR_SIDE_SELL = 2,
} KantorSide;

typedef enum
{
  KANTOR_DIRECTION_LONG  = 1,
  KANTOR_DIRECTION_SHORT = 2,
} KantorDirection;

/* STRATEGY.md §3: one per transition of the state machine. */
typedef enum
{
  KANTOR_SIGNAL_S1_SIGNAL = 1,
  KANTOR_SIGNAL_O1_CANCEL,
  KANTOR_SIGNAL_Z1_ENTRY,
  KANTOR_SIGNAL_ZE1_CLOSE,
  KANTOR_SIGNAL_STOP_LOSS,
  KANTOR_SIGNAL_TAKE_PROFIT,
  KANTOR_SIGNAL_EMERGENCY_EXIT,
  KANTOR_SIGNAL_SESSION_END,   /* not a state-machine signal: positions closed at session end */
} KantorSignalType;

const char *kantor_signal_type_to_string (KantorSignalType type);
const char *kantor_side_to_string        (KantorSide       side);
const char *kantor_direction_to_string   (KantorDirection  direction);

typedef struct
{
  const char *name;    /* the indicator's key in the strategy, or a built-in name */
  double      value;
  gboolean    has_value;
} KantorIndicatorValue;

typedef struct
{
  KantorSignalType             type;
  const char                  *strategy;   /* interned */
  const char                  *symbol;     /* interned */
  gint64                       time_ms;
  double                       price;      /* last trade price when it fired */
  KantorSide                   side;       /* 0 when the signal places no order */
  const KantorIndicatorValue  *snapshot;   /* the values that decided it */
  guint                        n_snapshot;
} KantorSignal;

typedef enum
{
  KANTOR_SIZE_FIXED_QUOTE = 1,   /* value in quote currency */
  KANTOR_SIZE_PERCENT     = 2,   /* value 0..100 of the allocation */
} KantorSizeKind;

/* A market order asked for by an activation. An opening order carries the
 * sizing rule and the strategy's global limits; a closing order closes the
 * whole open position of (strategy, symbol). */
typedef struct
{
  const char       *strategy;     /* interned */
  const char       *symbol;       /* interned */
  KantorSide        side;
  gboolean          closing;
  KantorSignalType  reason;
  gint64            time_ms;
  KantorSizeKind    size_kind;
  double            size_value;
  double            min_notional;   /* global_limits.min_position_size_usdt, 0 = none */
  double            max_notional;   /* global_limits.max_position_size_usdt, 0 = none */
} KantorOrderRequest;

typedef enum
{
  KANTOR_ORDER_FILLED   = 1,
  KANTOR_ORDER_REJECTED = 2,
} KantorOrderOutcome;

typedef enum
{
  KANTOR_REJECT_NONE = 0,
  KANTOR_REJECT_NO_PRICE,          /* nothing to price the order with yet */
  KANTOR_REJECT_BELOW_MINIMUM,     /* sized under min_notional */
  KANTOR_REJECT_BUDGET,            /* over the session cap or an allocation: budget_breach */
  KANTOR_REJECT_INSUFFICIENT_FUNDS,
  KANTOR_REJECT_NO_POSITION,       /* closing with nothing open */
  KANTOR_REJECT_POSITION_OPEN,     /* opening while (strategy, symbol) already holds one */
} KantorRejectReason;

typedef struct
{
  KantorOrderOutcome outcome;
  KantorRejectReason reject_reason;
  guint64            order_id;     /* 1, 2, ... per ledger */
  KantorSide         side;
  double             price;        /* fill price, slippage included */
  double             qty;          /* base quantity */
  double             notional;     /* price * qty */
  double             fee;
  double             realized_pnl; /* closing fills: the trade's P&L net of both fees */
  gint64             time_ms;
} KantorFill;

/* How an activation reaches execution. With no hooks (a bare activation)
 * signals are emitted and nothing is traded. */
typedef struct
{
  void     (*signal)  (const KantorSignal       *signal,
                       gpointer                  user_data);
  gboolean (*execute) (const KantorOrderRequest *request,
                       KantorFill               *fill,
                       gpointer                  user_data);
} KantorExecutionHooks;

/* The protocol's `signal` payload (PROTOCOL.md §8): {type, strategy, symbol,
 * timestamp, price, side (only when the signal places an order),
 * indicators_snapshot: {name: value, or null while it has none}}. */
JsonNode   *kantor_signal_to_json (const KantorSignal *signal);

G_END_DECLS
