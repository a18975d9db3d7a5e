/* kantor-ledger.h: paper execution and the one authoritative ledger of a session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ledger fills market orders against the latest quotes (STRATEGY.md §4),
 * enforces the budget, keeps every order, fill and closed trade, marks open
 * positions to market on every event and computes the metrics of
 * PROTOCOL.md §7 for the session, per symbol, per strategy and per
 * (strategy, symbol). docs/METRICS.md states the cash model and every
 * formula. A ledger is used from one thread.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "kantor-budget.h"
#include "kantor-execution.h"
#include "kantor-market-event.h"
#include "kantor-metrics.h"

G_BEGIN_DECLS

#define KANTOR_LEDGER_DEFAULT_INITIAL_BALANCE 10000.0
#define KANTOR_LEDGER_DEFAULT_FEE_RATE        0.001

typedef struct
{
  double        initial_balance;   /* > 0, default 10000 */
  double        fee_rate;          /* 0 <= fee_rate < 1, default 0.001 */
  double        slippage_bps;      /* >= 0, default 0 */
  KantorBudget *budget;            /* optional; the ledger takes a reference */
} KantorLedgerConfig;

/* Every order handed to the ledger, filled or not. */
typedef struct
{
  guint64             order_id;       /* 1, 2, ... */
  const char         *strategy;       /* interned */
  const char         *symbol;         /* interned */
  KantorSide          side;
  gboolean            closing;
  KantorSignalType    reason;
  gint64              time_ms;
  KantorOrderOutcome  outcome;
  KantorRejectReason  reject_reason;
  double              price;          /* 0 when rejected */
  double              qty;            /* 0 when rejected */
  double              notional;       /* rejected: what was asked for, 0 if unsized */
  double              fee;
  double              realized_pnl;   /* closing fills: the trade's net P&L */
} KantorLedgerOrder;

/* A closed trade: one entry fill and one exit fill. */
typedef struct
{
  guint64           trade_id;         /* 1, 2, ... in closing order */
  const char       *strategy;
  const char       *symbol;
  KantorDirection   direction;
  guint64           entry_order_id;
  guint64           exit_order_id;
  gint64            entry_time_ms;
  gint64            exit_time_ms;
  double            entry_price;
  double            exit_price;
  double            qty;
  double            entry_notional;
  double            exit_notional;
  double            entry_fee;
  double            exit_fee;
  double            gross_pnl;        /* LONG: exit − entry notional; SHORT: entry − exit */
  double            net_pnl;          /* gross_pnl − entry_fee − exit_fee */
  KantorSignalType  exit_reason;
} KantorTrade;

typedef struct
{
  KantorDirection direction;
  guint64         entry_order_id;
  gint64          entry_time_ms;
  double          entry_price;
  double          qty;
  double          entry_notional;
  double          entry_fee;
  double          mark_price;         /* last trade price (book mid before any trade) */
  double          unrealized_pnl;     /* price P&L at mark_price − entry_fee */
} KantorPosition;

typedef struct _KantorLedger KantorLedger;

/* Returns the quote of @symbol, or NULL to fall back on the ledger's own. */
typedef const KantorQuote *(*KantorQuoteLookup) (const char *symbol,
                                                 gpointer    user_data);
typedef void (*KantorLedgerOrderFunc) (const KantorLedgerOrder *order,
                                       gpointer                 user_data);
typedef void (*KantorLedgerTradeFunc) (const KantorTrade       *trade,
                                       gpointer                 user_data);

#define KANTOR_LEDGER_ERROR (kantor_ledger_error_quark ())

typedef enum
{
  KANTOR_LEDGER_ERROR_INVALID_CONFIG,
} KantorLedgerError;

GQuark        kantor_ledger_error_quark        (void);

void          kantor_ledger_config_init        (KantorLedgerConfig       *config);
/* Reads `initial_balance`, `fee_rate`, `slippage_bps` and `budget` of a
 * session's `config` (other members belong to the session and are left
 * alone) over the defaults. Errors: KANTOR_LEDGER_ERROR_INVALID_CONFIG, or
 * the budget's own (KANTOR_BUDGET_ERROR_INVALID, _CAP_EXCEEDED); *@out_field
 * names the member ("fee_rate", "budget.allocations.BTCUSDT"). On success
 * release @config with kantor_ledger_config_clear(). */
gboolean      kantor_ledger_config_parse_json  (KantorLedgerConfig       *config,
                                                JsonObject               *object,
                                                char                    **out_field,
                                                GError                  **error);
/* Drops the budget reference that kantor_ledger_config_parse_json() took. */
void          kantor_ledger_config_clear       (KantorLedgerConfig       *config);

/* @config NULL: the defaults. */
KantorLedger *kantor_ledger_new                (const KantorLedgerConfig *config);
void          kantor_ledger_free               (KantorLedger             *self);

/* Registration is optional (everything registers on first use) but fixes
 * the order of breakdowns and lets an activation with no trade report
 * zeros. Returns the symbol's index for kantor_ledger_mark_index(). */
guint         kantor_ledger_add_symbol         (KantorLedger             *self,
                                                const char               *symbol);
void          kantor_ledger_add_activation     (KantorLedger             *self,
                                                const char               *strategy,
                                                const char               *symbol);

/* Per market event: counts the tick, updates the ledger's quote of the
 * symbol and marks its open positions to market. O(1) per open position on
 * the symbol, no allocation once the symbol is known. @event->symbol must
 * be interned. */
void          kantor_ledger_mark               (KantorLedger             *self,
                                                const KantorMarketEvent  *event);
void          kantor_ledger_mark_index         (KantorLedger             *self,
                                                guint                     symbol_index,
                                                const KantorMarketEvent  *event);

/* Fills or refuses @request at @quote (NULL: the ledger's own quote of the
 * symbol) and fills in @fill. TRUE when filled. After a refusal with
 * KANTOR_REJECT_BUDGET, kantor_ledger_get_last_breach() gives the numbers. */
gboolean      kantor_ledger_execute            (KantorLedger             *self,
                                                const KantorOrderRequest *request,
                                                const KantorQuote        *quote,
                                                KantorFill               *fill);
gboolean      kantor_ledger_get_last_breach    (KantorLedger             *self,
                                                KantorBudgetBreach       *out);
/* Counts a signal in signals_detected; session_end signals are not counted. */
void          kantor_ledger_record_signal      (KantorLedger             *self,
                                                const KantorSignal       *signal);
/* Closes every open position at market, exit reason session_end, in
 * registration order. @lookup may be NULL. Returns how many it closed. */
guint         kantor_ledger_close_all          (KantorLedger             *self,
                                                gint64                    time_ms,
                                                KantorQuoteLookup         lookup,
                                                gpointer                  user_data);

double        kantor_ledger_get_initial_balance (KantorLedger            *self);
/* Cash: the initial balance, less what open positions hold, plus P&L. */
double        kantor_ledger_get_balance        (KantorLedger             *self);
/* Cash plus the open positions at their mark price. */
double        kantor_ledger_get_equity         (KantorLedger             *self);
gboolean      kantor_ledger_get_position       (KantorLedger             *self,
                                                const char               *strategy,
                                                const char               *symbol,
                                                KantorPosition           *out);
/* The ledger's own quote of @symbol, fed by kantor_ledger_mark(). */
const KantorQuote *kantor_ledger_get_quote     (KantorLedger             *self,
                                                const char               *symbol);

/* Metrics. The session's additive fields are the sums of its symbols'. */
void          kantor_ledger_get_metrics        (KantorLedger             *self,
                                                KantorMetrics            *out);
gboolean      kantor_ledger_get_symbol_metrics (KantorLedger             *self,
                                                const char               *symbol,
                                                KantorMetrics            *out);
gboolean      kantor_ledger_get_strategy_metrics (KantorLedger           *self,
                                                  const char             *strategy,
                                                  KantorMetrics          *out);
gboolean      kantor_ledger_get_activation_metrics (KantorLedger         *self,
                                                    const char           *strategy,
                                                    const char           *symbol,
                                                    KantorMetrics        *out);
/* Interned names in registration order; free the container only. */
GPtrArray    *kantor_ledger_list_symbols       (KantorLedger             *self);
GPtrArray    *kantor_ledger_list_strategies    (KantorLedger             *self);

guint                    kantor_ledger_get_n_orders (KantorLedger        *self);
const KantorLedgerOrder *kantor_ledger_get_order    (KantorLedger        *self,
                                                     guint                index);
guint                    kantor_ledger_get_n_trades (KantorLedger        *self);
const KantorTrade       *kantor_ledger_get_trade    (KantorLedger        *self,
                                                     guint                index);

/* In order; @strategy and @symbol filter when not NULL. */
void          kantor_ledger_foreach_order      (KantorLedger             *self,
                                                const char               *strategy,
                                                const char               *symbol,
                                                KantorLedgerOrderFunc     func,
                                                gpointer                  user_data);
void          kantor_ledger_foreach_fill       (KantorLedger             *self,
                                                const char               *strategy,
                                                const char               *symbol,
                                                KantorLedgerOrderFunc     func,
                                                gpointer                  user_data);
void          kantor_ledger_foreach_trade      (KantorLedger             *self,
                                                const char               *strategy,
                                                const char               *symbol,
                                                KantorLedgerTradeFunc     func,
                                                gpointer                  user_data);

JsonObject   *kantor_ledger_order_to_json      (const KantorLedgerOrder  *order);
JsonObject   *kantor_trade_to_json             (const KantorTrade        *trade);
JsonArray    *kantor_ledger_orders_to_json     (KantorLedger             *self,
                                                const char               *strategy,
                                                const char               *symbol,
                                                gboolean                  fills_only);
JsonArray    *kantor_ledger_trades_to_json     (KantorLedger             *self,
                                                const char               *strategy,
                                                const char               *symbol);
/* The metrics of the session (both NULL), a symbol, a strategy or an
 * activation (both set); NULL when the ledger never saw that name. */
JsonObject   *kantor_ledger_metrics_to_json    (KantorLedger             *self,
                                                const char               *strategy,
                                                const char               *symbol);
/* {symbol: metrics} and {strategy: metrics}, in registration order. */
JsonObject   *kantor_ledger_per_symbol_to_json   (KantorLedger           *self);
JsonObject   *kantor_ledger_per_strategy_to_json (KantorLedger           *self);

/* SHA-256 (hex) over the fills so far in the canonical form of
 * docs/METRICS.md; valid until the next fill or the ledger's end. */
const char   *kantor_ledger_get_results_hash   (KantorLedger             *self);

const char   *kantor_ledger_reject_reason_to_string (KantorRejectReason  reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorLedger, kantor_ledger_free)

G_END_DECLS
