/* test-ledger.c: paper fills, budgets, the ledger, metrics and the results hash
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Expected values are worked out by hand from the formulas of
 * docs/METRICS.md and written out, never recomputed by the code under test.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-ledger.h"

#define assert_near(a, b) g_assert_cmpfloat_with_epsilon ((a), (b), 1e-9)

static void
trade_event (KantorLedger *ledger,
             const char   *symbol,
             gint64        time_ms,
             double        price)
{
  KantorMarketEvent event = { 0, };

  event.kind = KANTOR_EVENT_TRADE;
  event.time_ms = time_ms;
  event.symbol = g_intern_string (symbol);
  event.price = price;
  event.volume = 1;
  kantor_ledger_mark (ledger, &event);
}

static void
book_event (KantorLedger *ledger,
            const char   *symbol,
            gint64        time_ms,
            double        bid,
            double        ask)
{
  KantorMarketEvent event = { 0, };

  event.kind = KANTOR_EVENT_BOOK;
  event.time_ms = time_ms;
  event.symbol = g_intern_string (symbol);
  event.bids[0] = (KantorBookLevel) { bid, 1 };
  event.asks[0] = (KantorBookLevel) { ask, 1 };
  kantor_ledger_mark (ledger, &event);
}

static KantorOrderRequest
open_request (const char     *strategy,
              const char     *symbol,
              KantorSide      side,
              gint64          time_ms,
              KantorSizeKind  kind,
              double          value)
{
  KantorOrderRequest request = { 0, };

  request.strategy = g_intern_string (strategy);
  request.symbol = g_intern_string (symbol);
  request.side = side;
  request.closing = FALSE;
  request.reason = KANTOR_SIGNAL_Z1_ENTRY;
  request.time_ms = time_ms;
  request.size_kind = kind;
  request.size_value = value;
  return request;
}

static KantorOrderRequest
close_request (const char       *strategy,
               const char       *symbol,
               KantorSide        side,
               gint64            time_ms,
               KantorSignalType  reason)
{
  KantorOrderRequest request = { 0, };

  request.strategy = g_intern_string (strategy);
  request.symbol = g_intern_string (symbol);
  request.side = side;
  request.closing = TRUE;
  request.reason = reason;
  request.time_ms = time_ms;
  return request;
}

static KantorLedger *
new_ledger (double        initial_balance,
            double        fee_rate,
            double        slippage_bps,
            KantorBudget *budget)
{
  KantorLedgerConfig config;

  kantor_ledger_config_init (&config);
  config.initial_balance = initial_balance;
  config.fee_rate = fee_rate;
  config.slippage_bps = slippage_bps;
  config.budget = budget;
  return kantor_ledger_new (&config);
}

static void
test_ledger_defaults (void)
{
  g_autoptr(KantorLedger) ledger = kantor_ledger_new (NULL);
  KantorOrderRequest request;
  KantorFill fill;

  g_assert_cmpfloat (kantor_ledger_get_balance (ledger), ==, 10000);
  g_assert_cmpfloat (kantor_ledger_get_equity (ledger), ==, 10000);

  /* 0.1 % fee, no slippage: 1000 at a last price of 50. */
  trade_event (ledger, "BTCUSDT", 1000, 50);
  request = open_request ("s", "BTCUSDT", KANTOR_SIDE_BUY, 1000, KANTOR_SIZE_FIXED_QUOTE, 1000);
  g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
  g_assert_cmpfloat (fill.price, ==, 50);
  g_assert_cmpfloat (fill.qty, ==, 20);
  g_assert_cmpfloat (fill.fee, ==, 1);
  g_assert_cmpfloat (kantor_ledger_get_balance (ledger), ==, 8999);
}

/* LONG, book known, 10 bps slippage, 0.1 % fee:
 *   entry: ask 100 → 100 × 1.001 = 100.1; qty = 1000 / 100.1 = 9.99000999000999;
 *          fee 1; cash 10000 − 1001 = 8999
 *   exit:  bid 110 → 110 × 0.999 = 109.89; notional 9.99000999 × 109.89 = 1097.8021978022;
 *          fee 1.0978021978; gross 97.8021978022; net 97.8021978022 − 1 − 1.0978021978
 *          = 95.7043956044; cash 8999 + 1000 + 97.8021978022 − 1.0978021978 = 10095.7043956 */
static void
test_ledger_long_round_trip (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (10000, 0.001, 10, NULL);
  KantorQuote quote = { 1000, 99.95, 99.9, 100.0 };
  KantorOrderRequest request;
  KantorPosition position;
  KantorFill fill;
  const KantorTrade *trade;
  KantorMetrics m;

  request = open_request ("pump", "BTCUSDT", KANTOR_SIDE_BUY, 1000, KANTOR_SIZE_FIXED_QUOTE, 1000);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.outcome, ==, KANTOR_ORDER_FILLED);
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_NONE);
  g_assert_cmpuint (fill.order_id, ==, 1);
  g_assert_cmpint (fill.side, ==, KANTOR_SIDE_BUY);
  assert_near (fill.price, 100.1);
  assert_near (fill.qty, 9.99000999000999);
  assert_near (fill.notional, 1000);
  assert_near (fill.fee, 1.0);
  g_assert_cmpint (fill.time_ms, ==, 1000);
  assert_near (kantor_ledger_get_balance (ledger), 8999);

  g_assert_true (kantor_ledger_get_position (ledger, "pump", "BTCUSDT", &position));
  g_assert_cmpint (position.direction, ==, KANTOR_DIRECTION_LONG);
  assert_near (position.entry_price, 100.1);

  /* Marked at a last trade of 105: 9.99000999 × 105 − 1000 − 1 = 47.951048951 */
  trade_event (ledger, "BTCUSDT", 2000, 105);
  g_assert_true (kantor_ledger_get_position (ledger, "pump", "BTCUSDT", &position));
  assert_near (position.mark_price, 105);
  assert_near (position.unrealized_pnl, 47.95104895104895);
  assert_near (kantor_ledger_get_equity (ledger), 10047.95104895105);

  quote = (KantorQuote) { 61000, 110.05, 110.0, 110.1 };
  request = close_request ("pump", "BTCUSDT", KANTOR_SIDE_SELL, 61000, KANTOR_SIGNAL_TAKE_PROFIT);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpuint (fill.order_id, ==, 2);
  g_assert_cmpint (fill.side, ==, KANTOR_SIDE_SELL);
  assert_near (fill.price, 109.89);
  assert_near (fill.qty, 9.99000999000999);
  assert_near (fill.notional, 1097.802197802198);
  assert_near (fill.fee, 1.097802197802198);
  assert_near (fill.realized_pnl, 95.70439560439576);
  g_assert_cmpfloat (round (fill.realized_pnl * 100) / 100, ==, 95.70);
  assert_near (kantor_ledger_get_balance (ledger), 10095.70439560439576);
  assert_near (kantor_ledger_get_equity (ledger), 10095.70439560439576);
  g_assert_false (kantor_ledger_get_position (ledger, "pump", "BTCUSDT", NULL));

  g_assert_cmpuint (kantor_ledger_get_n_trades (ledger), ==, 1);
  trade = kantor_ledger_get_trade (ledger, 0);
  g_assert_cmpuint (trade->trade_id, ==, 1);
  g_assert_cmpstr (trade->strategy, ==, "pump");
  g_assert_cmpstr (trade->symbol, ==, "BTCUSDT");
  g_assert_cmpint (trade->direction, ==, KANTOR_DIRECTION_LONG);
  g_assert_cmpint (trade->entry_time_ms, ==, 1000);
  g_assert_cmpint (trade->exit_time_ms, ==, 61000);
  assert_near (trade->entry_price, 100.1);
  assert_near (trade->exit_price, 109.89);
  assert_near (trade->gross_pnl, 97.80219780219795);
  assert_near (trade->entry_fee + trade->exit_fee, 2.097802197802198);
  assert_near (trade->net_pnl, 95.70439560439576);
  g_assert_cmpint (trade->exit_reason, ==, KANTOR_SIGNAL_TAKE_PROFIT);
  g_assert_cmpuint (trade->entry_order_id, ==, 1);
  g_assert_cmpuint (trade->exit_order_id, ==, 2);

  kantor_ledger_get_metrics (ledger, &m);
  g_assert_cmpuint (m.total_trades, ==, 1);
  g_assert_cmpuint (m.winning_trades, ==, 1);
  assert_near (m.gross_pnl, 97.80219780219795);
  assert_near (m.total_fees, 2.097802197802198);
  assert_near (m.net_pnl, 95.70439560439576);
  assert_near (m.realized_pnl, 95.70439560439576);
  g_assert_cmpfloat (m.unrealized_pnl, ==, 0);
}

/* SHORT, book known, no slippage, 0.1 % fee:
 *   entry: sell at bid 50; qty 2000 / 50 = 40; fee 2; cash 10000 − 2000 − 2 = 7998
 *   exit:  buy at ask 45.05; notional 1802; fee 1.802; gross 2000 − 1802 = 198;
 *          net 198 − 2 − 1.802 = 194.198; cash 7998 + 2000 + 198 − 1.802 = 10194.198
 * then a losing one: sell at bid 45 (qty 40, fee 1.8), buy back at ask 47:
 *   notional 1880, fee 1.88; gross 1800 − 1880 = −80; net −80 − 1.8 − 1.88 = −83.68 */
static void
test_ledger_short_round_trip (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (10000, 0.001, 0, NULL);
  KantorQuote quote = { 0, 50.02, 50.0, 50.05 };
  KantorOrderRequest request;
  KantorPosition position;
  KantorFill fill;
  KantorMetrics m;

  request = open_request ("fade", "ETHUSDT", KANTOR_SIDE_SELL, 0, KANTOR_SIZE_FIXED_QUOTE, 2000);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpfloat (fill.price, ==, 50);
  g_assert_cmpfloat (fill.qty, ==, 40);
  g_assert_cmpfloat (fill.fee, ==, 2);
  g_assert_cmpfloat (kantor_ledger_get_balance (ledger), ==, 7998);
  g_assert_true (kantor_ledger_get_position (ledger, "fade", "ETHUSDT", &position));
  g_assert_cmpint (position.direction, ==, KANTOR_DIRECTION_SHORT);

  /* A short gains when the price falls: at 48, 40 × 2 − 2 = 78. */
  trade_event (ledger, "ETHUSDT", 500, 48);
  g_assert_true (kantor_ledger_get_position (ledger, "fade", "ETHUSDT", &position));
  assert_near (position.unrealized_pnl, 78);
  assert_near (kantor_ledger_get_equity (ledger), 10078);

  quote = (KantorQuote) { 1000, 45.02, 45.0, 45.05 };
  request = close_request ("fade", "ETHUSDT", KANTOR_SIDE_BUY, 1000, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.side, ==, KANTOR_SIDE_BUY);
  assert_near (fill.price, 45.05);
  assert_near (fill.notional, 1802);
  assert_near (fill.fee, 1.802);
  assert_near (fill.realized_pnl, 194.198);
  assert_near (kantor_ledger_get_balance (ledger), 10194.198);

  request = open_request ("fade", "ETHUSDT", KANTOR_SIDE_SELL, 2000, KANTOR_SIZE_FIXED_QUOTE, 1800);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpfloat (fill.qty, ==, 40);
  quote = (KantorQuote) { 3000, 46.9, 46.8, 47.0 };
  request = close_request ("fade", "ETHUSDT", KANTOR_SIDE_BUY, 3000, KANTOR_SIGNAL_STOP_LOSS);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  assert_near (fill.realized_pnl, -83.68);
  assert_near (kantor_ledger_get_balance (ledger), 10194.198 - 83.68);

  kantor_ledger_get_metrics (ledger, &m);
  g_assert_cmpuint (m.total_trades, ==, 2);
  g_assert_cmpuint (m.winning_trades, ==, 1);
  g_assert_cmpuint (m.losing_trades, ==, 1);
  assert_near (m.gross_pnl, 198 - 80);
  assert_near (m.total_fees, 2 + 1.802 + 1.8 + 1.88);
  assert_near (m.realized_pnl, 194.198 - 83.68);
}

/* No book: last price, moved against the trader. 5 bps:
 *   buy at 200 × 1.0005 = 200.1, qty 500 / 200.1; sell at 190 × 0.9995 = 189.905 */
static void
test_ledger_last_price (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (10000, 0, 5, NULL);
  KantorOrderRequest request;
  KantorFill fill;

  trade_event (ledger, "SOLUSDT", 10, 200);
  request = open_request ("s", "SOLUSDT", KANTOR_SIDE_BUY, 10, KANTOR_SIZE_FIXED_QUOTE, 500);
  g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
  assert_near (fill.price, 200.1);
  assert_near (fill.qty, 500 / 200.1);
  g_assert_cmpfloat (fill.fee, ==, 0);

  trade_event (ledger, "SOLUSDT", 20, 190);
  request = close_request ("s", "SOLUSDT", KANTOR_SIDE_SELL, 20, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
  assert_near (fill.price, 189.905);
  /* 500 / 200.1 × 189.905 − 500 = −25.4747626187 */
  assert_near (fill.realized_pnl, 500 / 200.1 * 189.905 - 500);
  assert_near (fill.realized_pnl, -25.474762618690647);

  /* A book arriving afterwards wins over the last price. */
  book_event (ledger, "SOLUSDT", 30, 180, 181);
  request = open_request ("s", "SOLUSDT", KANTOR_SIDE_BUY, 30, KANTOR_SIZE_FIXED_QUOTE, 100);
  g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
  assert_near (fill.price, 181 * 1.0005);
}

static void
test_ledger_rejections (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (1000, 0.001, 0, NULL);
  KantorQuote empty = { 0, 0, 0, 0 };
  KantorQuote quote = { 0, 10, 0, 0 };
  KantorOrderRequest request;
  KantorFill fill;
  KantorMetrics m;

  /* Nothing to price with. */
  request = open_request ("s", "A", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 100);
  g_assert_false (kantor_ledger_execute (ledger, &request, &empty, &fill));
  g_assert_cmpint (fill.outcome, ==, KANTOR_ORDER_REJECTED);
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_NO_PRICE);
  g_assert_cmpuint (fill.order_id, ==, 1);
  g_assert_false (kantor_ledger_execute (ledger, &request, NULL, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_NO_PRICE);

  /* Under min_notional. */
  request = open_request ("s", "A", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 5);
  request.min_notional = 10;
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_BELOW_MINIMUM);
  assert_near (fill.notional, 5);

  /* A zero size is never an order. */
  request = open_request ("s", "A", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_PERCENT, 0);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_BELOW_MINIMUM);

  /* 1000 + 1 fee > 1000 cash. */
  request = open_request ("s", "A", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 1000);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_INSUFFICIENT_FUNDS);
  g_assert_cmpfloat (kantor_ledger_get_balance (ledger), ==, 1000);

  /* The same size clamped by max_notional fits. */
  request.max_notional = 500;
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  assert_near (fill.notional, 500);
  assert_near (fill.qty, 50);

  /* A second entry on the same (strategy, symbol) is refused. */
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_POSITION_OPEN);

  /* Closing with nothing open, and closing on the wrong side. */
  request = close_request ("s", "B", KANTOR_SIDE_SELL, 0, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_NO_POSITION);
  request = close_request ("other", "A", KANTOR_SIDE_SELL, 0, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_NO_POSITION);
  request = close_request ("s", "A", KANTOR_SIDE_BUY, 0, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_NO_POSITION);
  g_assert_true (kantor_ledger_get_position (ledger, "s", "A", NULL));

  /* Percent of the available cash (no budget): 100 % of what pays for a
   * notional and its fee, 499.5 / 1.001. */
  request = open_request ("t", "A", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_PERCENT, 100);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  assert_near (fill.notional, 499.5 / 1.001);
  assert_near (kantor_ledger_get_balance (ledger), 0);

  kantor_ledger_get_metrics (ledger, &m);
  g_assert_cmpuint (m.orders_placed, ==, 11);
  g_assert_cmpuint (m.orders_filled, ==, 2);
  g_assert_cmpuint (m.orders_rejected, ==, 9);
  g_assert_cmpuint (kantor_ledger_get_n_orders (ledger), ==, 11);
  g_assert_cmpint (kantor_ledger_get_order (ledger, 0)->reject_reason, ==,
                   KANTOR_REJECT_NO_PRICE);
  g_assert_cmpstr (kantor_ledger_reject_reason_to_string (KANTOR_REJECT_BUDGET), ==, "budget");
}

static void
assert_breach (KantorLedger      *ledger,
               KantorBudgetScope  scope,
               const char        *name,
               double             limit,
               double             exposure,
               double             requested)
{
  KantorBudgetBreach breach;

  g_assert_true (kantor_ledger_get_last_breach (ledger, &breach));
  g_assert_cmpint (breach.scope, ==, scope);
  g_assert_cmpstr (breach.name, ==, name);
  assert_near (breach.limit, limit);
  assert_near (breach.exposure, exposure);
  assert_near (breach.requested, requested);
}

static void
test_ledger_budget (void)
{
  g_autoptr(KantorBudget) budget = kantor_budget_new ();
  g_autoptr(KantorLedger) ledger = NULL;
  KantorQuote quote = { 0, 10, 0, 0 };
  KantorOrderRequest request;
  KantorFill fill;

  /* global_cap 1000; BTC 300; strategy momo "40%" = 400 */
  kantor_budget_set_global_cap (budget, 1000);
  kantor_budget_set_allocation (budget, "BTC", 300);
  kantor_budget_set_allocation (budget, "momo", 400);
  ledger = new_ledger (10000, 0, 0, budget);

  /* Exactly the symbol's allocation: allowed. */
  request = open_request ("momo", "BTC", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 300);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_false (kantor_ledger_get_last_breach (ledger, NULL));

  /* momo would hold 300 + 150 > 400. */
  request = open_request ("momo", "ETH", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 150);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_BUDGET);
  assert_breach (ledger, KANTOR_BUDGET_SCOPE_STRATEGY, "momo", 400, 300, 150);
  {
    KantorBudgetBreach breach;
    g_autoptr(JsonObject) details = NULL;

    g_assert_true (kantor_ledger_get_last_breach (ledger, &breach));
    details = kantor_budget_breach_to_json (&breach);
    g_assert_cmpstr (json_object_get_string_member (details, "scope"), ==, "strategy");
    g_assert_cmpstr (json_object_get_string_member (details, "name"), ==, "momo");
    g_assert_cmpfloat (json_object_get_double_member (details, "limit"), ==, 400);
    g_assert_cmpfloat (json_object_get_double_member (details, "exposure"), ==, 300);
    g_assert_cmpfloat (json_object_get_double_member (details, "requested"), ==, 150);
    g_assert_cmpfloat (json_object_get_double_member (details, "available"), ==, 100);
  }

  /* BTC would hold 300 + 10 > 300, whichever strategy asks. */
  request = open_request ("alt", "BTC", KANTOR_SIDE_SELL, 0, KANTOR_SIZE_FIXED_QUOTE, 10);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_BUDGET);
  assert_breach (ledger, KANTOR_BUDGET_SCOPE_SYMBOL, "BTC", 300, 300, 10);

  /* The session: 300 + 700 = 1000 is the cap, one more is over it. */
  request = open_request ("alt", "ETH", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 700);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  request = open_request ("alt2", "SOL", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 1);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_BUDGET);
  assert_breach (ledger, KANTOR_BUDGET_SCOPE_GLOBAL, NULL, 1000, 1000, 1);

  /* Closing frees exposure: the same order now fits. */
  request = close_request ("alt", "ETH", KANTOR_SIDE_SELL, 0, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_false (kantor_ledger_get_last_breach (ledger, NULL));
  request = open_request ("alt2", "SOL", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 1);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
}

static void
test_ledger_budget_percent (void)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(KantorBudget) budget = NULL;
  g_autoptr(KantorLedger) ledger = NULL;
  g_autoptr(GError) error = NULL;
  KantorQuote quote = { 0, 4, 0, 0 };
  KantorOrderRequest request;
  KantorFill fill;

  node = json_from_string ("{\"global_cap\": 2000, \"allocations\":"
                           " {\"BTC\": \"25%\", \"momo\": \"12.5%\"}}", &error);
  g_assert_no_error (error);
  budget = kantor_budget_parse (node, NULL, &error);
  g_assert_no_error (error);
  ledger = new_ledger (10000, 0, 0, budget);

  /* momo on BTC: 50 % of min(500, 250) = 125 */
  request = open_request ("momo", "BTC", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_PERCENT, 50);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  assert_near (fill.notional, 125);
  /* other on BTC: 10 % of the symbol's 500 = 50 */
  request = open_request ("other", "BTC", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_PERCENT, 10);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  assert_near (fill.notional, 50);
  /* momo on ETH: 40 % of the strategy's 250 = 100 */
  request = open_request ("momo", "ETH", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_PERCENT, 40);
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  assert_near (fill.notional, 100);
  /* other on ETH: 5 % of the cap = 100, then max_notional 60 */
  request = open_request ("other", "ETH", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_PERCENT, 5);
  request.max_notional = 60;
  g_assert_true (kantor_ledger_execute (ledger, &request, &quote, &fill));
  assert_near (fill.notional, 60);
  /* momo on SOL: 20 % of 250 = 50, but momo holds 225 of 250. */
  request = open_request ("momo", "SOL", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_PERCENT, 20);
  g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
  g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_BUDGET);
  assert_breach (ledger, KANTOR_BUDGET_SCOPE_STRATEGY, "momo", 250, 225, 50);
}

typedef struct
{
  KantorQuote quotes[2];
} Quotes;

static const KantorQuote *
lookup_quote (const char *symbol,
              gpointer    user_data)
{
  Quotes *quotes = user_data;

  if (g_str_equal (symbol, "BTC"))
    return &quotes->quotes[0];
  if (g_str_equal (symbol, "ETH"))
    return &quotes->quotes[1];
  return NULL;
}

static void
test_ledger_session_end (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (10000, 0.001, 0, NULL);
  Quotes quotes = { { { 0, 110, 109, 111 }, { 0, 40, 39, 41 } } };
  KantorOrderRequest request;
  KantorFill fill;
  KantorMetrics m;
  const KantorTrade *trade;

  trade_event (ledger, "BTC", 0, 100);
  trade_event (ledger, "ETH", 0, 50);
  request = open_request ("s", "BTC", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 1000);
  g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
  request = open_request ("s", "ETH", KANTOR_SIDE_SELL, 0, KANTOR_SIZE_FIXED_QUOTE, 1000);
  g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
  g_assert_cmpuint (kantor_ledger_close_all (ledger, 5000, lookup_quote, &quotes), ==, 2);

  g_assert_false (kantor_ledger_get_position (ledger, "s", "BTC", NULL));
  g_assert_false (kantor_ledger_get_position (ledger, "s", "ETH", NULL));
  g_assert_cmpuint (kantor_ledger_get_n_trades (ledger), ==, 2);

  /* BTC long: qty 10, sold at the bid 109: gross 90, fees 1 + 1.09, net 87.91 */
  trade = kantor_ledger_get_trade (ledger, 0);
  g_assert_cmpint (trade->exit_reason, ==, KANTOR_SIGNAL_SESSION_END);
  g_assert_cmpint (trade->exit_time_ms, ==, 5000);
  assert_near (trade->exit_price, 109);
  assert_near (trade->net_pnl, 87.91);
  /* ETH short: qty 20, bought back at the ask 41: gross 180, fees 1 + 0.82, net 178.18 */
  trade = kantor_ledger_get_trade (ledger, 1);
  g_assert_cmpint (trade->exit_reason, ==, KANTOR_SIGNAL_SESSION_END);
  assert_near (trade->exit_price, 41);
  assert_near (trade->net_pnl, 178.18);

  kantor_ledger_get_metrics (ledger, &m);
  g_assert_cmpfloat (m.unrealized_pnl, ==, 0);
  assert_near (m.realized_pnl, 87.91 + 178.18);
  assert_near (kantor_ledger_get_balance (ledger), 10000 + 87.91 + 178.18);

  /* Nothing left: a second call closes nothing and places no order. */
  g_assert_cmpuint (kantor_ledger_close_all (ledger, 6000, NULL, NULL), ==, 0);
  g_assert_cmpuint (kantor_ledger_get_n_orders (ledger), ==, 4);
}

static void
test_ledger_session_end_own_quotes (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (10000, 0, 0, NULL);
  KantorOrderRequest request;
  KantorFill fill;
  const KantorTrade *trade;

  trade_event (ledger, "BTC", 0, 100);
  request = open_request ("s", "BTC", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 1000);
  g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
  trade_event (ledger, "BTC", 1000, 120);

  /* No lookup: the ledger's own last price of 120. */
  g_assert_cmpuint (kantor_ledger_close_all (ledger, 2000, NULL, NULL), ==, 1);
  trade = kantor_ledger_get_trade (ledger, 0);
  assert_near (trade->exit_price, 120);
  assert_near (trade->net_pnl, 200);
  g_assert_cmpfloat ((double) (trade->exit_time_ms - trade->entry_time_ms), ==, 2000);
}

/* Five trades of 1000 at 100 (qty 10), 0.1 % fee, no slippage, no book:
 *   #  dir    exit  gross  fees   net     return    duration
 *   1  LONG   110   100    2.1    97.9    0.0979    60 s
 *   2  LONG    95   −50    1.95  −51.95  −0.05195  120 s
 *   3  SHORT  104   −40    2.04  −42.04  −0.04204   90 s
 *   4  SHORT   90   100    1.9    98.1    0.0981    30 s
 *   5  LONG   101    10    2.01    7.99   0.00799  300 s
 * win_rate 3/5 = 60 %; profit_factor 203.99 / 93.99 = 2.1703372699;
 * avg_win 203.99 / 3 = 67.99666667; avg_loss −93.99 / 2 = −46.995;
 * expectancy 110 / 5 = 22; max_consecutive_losses 2 (#2, #3);
 * mean return 0.022, sample stdev 0.0730034660, sharpe 0.3013555548;
 * downside deviation √((0.05195² + 0.04204²) / 5) = 0.0298870009, sortino 0.7361059782;
 * avg duration 600 / 5 = 120 s.
 * Equity (10000 + realized + unrealized, marked at each trade price): the peak
 * 10099 (trade 1 marked at 110) falls to 10002.91 (trade 4 just entered):
 * max_drawdown 96.09, max_drawdown_pct 96.09 / 10099 × 100 = 0.9514803446. */
static void
run_metrics_scenario (KantorLedger *ledger)
{
  static const struct { KantorSide side; double exit; gint64 duration_s; } trades[] = {
    { KANTOR_SIDE_BUY, 110, 60 },
    { KANTOR_SIDE_BUY, 95, 120 },
    { KANTOR_SIDE_SELL, 104, 90 },
    { KANTOR_SIDE_SELL, 90, 30 },
    { KANTOR_SIDE_BUY, 101, 300 },
  };
  gint64 t = 1000000;

  for (guint i = 0; i < G_N_ELEMENTS (trades); i++)
    {
      KantorOrderRequest request;
      KantorSignal signal = { 0, };
      KantorFill fill;

      signal.type = KANTOR_SIGNAL_S1_SIGNAL;
      signal.strategy = g_intern_string ("s");
      signal.symbol = g_intern_string ("BTC");
      signal.time_ms = t;
      kantor_ledger_record_signal (ledger, &signal);
      /* Not a detection: never counted. */
      signal.type = KANTOR_SIGNAL_SESSION_END;
      kantor_ledger_record_signal (ledger, &signal);

      trade_event (ledger, "BTC", t, 100);
      request = open_request ("s", "BTC", trades[i].side, t, KANTOR_SIZE_FIXED_QUOTE, 1000);
      g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
      t += trades[i].duration_s * 1000;
      trade_event (ledger, "BTC", t, trades[i].exit);
      request = close_request ("s", "BTC",
                               trades[i].side == KANTOR_SIDE_BUY ? KANTOR_SIDE_SELL
                                                                 : KANTOR_SIDE_BUY,
                               t, KANTOR_SIGNAL_ZE1_CLOSE);
      g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
      t += 1000;
    }
}

static void
assert_scenario_metrics (const KantorMetrics *m)
{
  double v;

  g_assert_cmpuint (m->signals_detected, ==, 5);
  g_assert_cmpuint (m->orders_placed, ==, 10);
  g_assert_cmpuint (m->orders_filled, ==, 10);
  g_assert_cmpuint (m->orders_rejected, ==, 0);
  g_assert_cmpuint (m->total_trades, ==, 5);
  g_assert_cmpuint (m->winning_trades, ==, 3);
  g_assert_cmpuint (m->losing_trades, ==, 2);
  g_assert_cmpuint (m->ticks_processed, ==, 10);
  g_assert_true (kantor_metrics_get_win_rate (m, &v));
  assert_near (v, 60);
  assert_near (m->gross_pnl, 120);
  assert_near (m->total_fees, 10);
  assert_near (m->net_pnl, 110);
  assert_near (m->realized_pnl, 110);
  g_assert_cmpfloat (m->unrealized_pnl, ==, 0);
  g_assert_true (kantor_metrics_get_profit_factor (m, &v));
  assert_near (v, 2.1703372699223324);
  g_assert_true (kantor_metrics_get_avg_win (m, &v));
  assert_near (v, 67.99666666666667);
  g_assert_true (kantor_metrics_get_avg_loss (m, &v));
  assert_near (v, -46.995);
  g_assert_true (kantor_metrics_get_best_trade (m, &v));
  assert_near (v, 98.1);
  g_assert_true (kantor_metrics_get_worst_trade (m, &v));
  assert_near (v, -51.95);
  g_assert_true (kantor_metrics_get_expectancy (m, &v));
  assert_near (v, 22);
  assert_near (m->max_drawdown, 96.09);
  assert_near (m->max_drawdown_pct, 0.9514803445885731);
  g_assert_true (kantor_metrics_get_sharpe_ratio (m, &v));
  assert_near (v, 0.3013555547609094);
  g_assert_true (kantor_metrics_get_sortino_ratio (m, &v));
  assert_near (v, 0.7361059782495483);
  g_assert_cmpuint (m->max_consecutive_losses, ==, 2);
  g_assert_true (kantor_metrics_get_avg_trade_duration_s (m, &v));
  assert_near (v, 120);
}

static void
test_ledger_metrics (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (10000, 0.001, 0, NULL);
  KantorMetrics m;

  run_metrics_scenario (ledger);

  /* One strategy on one symbol: every scope sees the same trades. */
  kantor_ledger_get_metrics (ledger, &m);
  assert_scenario_metrics (&m);
  g_assert_true (kantor_ledger_get_symbol_metrics (ledger, "BTC", &m));
  assert_scenario_metrics (&m);
  g_assert_true (kantor_ledger_get_strategy_metrics (ledger, "s", &m));
  assert_scenario_metrics (&m);
  g_assert_true (kantor_ledger_get_activation_metrics (ledger, "s", "BTC", &m));
  assert_scenario_metrics (&m);

  g_assert_false (kantor_ledger_get_symbol_metrics (ledger, "ETH", &m));
  g_assert_false (kantor_ledger_get_strategy_metrics (ledger, "t", &m));
  g_assert_false (kantor_ledger_get_activation_metrics (ledger, "t", "BTC", &m));
}

static const char *const metric_names[] = {
  "signals_detected", "orders_placed", "orders_filled", "orders_rejected", "total_trades",
  "winning_trades", "losing_trades", "win_rate", "gross_pnl", "total_fees", "net_pnl",
  "realized_pnl", "unrealized_pnl", "profit_factor", "avg_win", "avg_loss", "best_trade",
  "worst_trade", "expectancy", "max_drawdown", "max_drawdown_pct", "sharpe_ratio",
  "sortino_ratio", "max_consecutive_losses", "avg_trade_duration_s", "ticks_processed",
};

static void
test_ledger_metrics_json (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (10000, 0.001, 0, NULL);
  g_autoptr(JsonObject) empty = NULL;
  g_autoptr(JsonObject) full = NULL;
  g_autoptr(JsonObject) per_symbol = NULL;
  g_autoptr(JsonArray) trades = NULL;
  g_autoptr(JsonArray) fills = NULL;
  KantorMetrics m;

  /* With no trade, every ratio is null rather than a made-up number. */
  kantor_ledger_get_metrics (ledger, &m);
  empty = kantor_metrics_to_json (&m);
  g_assert_cmpuint (json_object_get_size (empty), ==, G_N_ELEMENTS (metric_names));
  for (guint i = 0; i < G_N_ELEMENTS (metric_names); i++)
    g_assert_true (json_object_has_member (empty, metric_names[i]));
  g_assert_true (json_object_get_null_member (empty, "win_rate"));
  g_assert_true (json_object_get_null_member (empty, "profit_factor"));
  g_assert_true (json_object_get_null_member (empty, "avg_win"));
  g_assert_true (json_object_get_null_member (empty, "avg_loss"));
  g_assert_true (json_object_get_null_member (empty, "best_trade"));
  g_assert_true (json_object_get_null_member (empty, "worst_trade"));
  g_assert_true (json_object_get_null_member (empty, "expectancy"));
  g_assert_true (json_object_get_null_member (empty, "sharpe_ratio"));
  g_assert_true (json_object_get_null_member (empty, "sortino_ratio"));
  g_assert_true (json_object_get_null_member (empty, "avg_trade_duration_s"));
  g_assert_cmpint (json_object_get_int_member (empty, "total_trades"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (empty, "max_drawdown"), ==, 0);

  run_metrics_scenario (ledger);
  kantor_ledger_get_metrics (ledger, &m);
  full = kantor_metrics_to_json (&m);
  g_assert_cmpuint (json_object_get_size (full), ==, G_N_ELEMENTS (metric_names));
  g_assert_cmpint (json_object_get_int_member (full, "total_trades"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (full, "max_consecutive_losses"), ==, 2);
  assert_near (json_object_get_double_member (full, "win_rate"), 60);
  assert_near (json_object_get_double_member (full, "profit_factor"), 2.1703372699223324);
  assert_near (json_object_get_double_member (full, "sharpe_ratio"), 0.3013555547609094);

  {
    g_autoptr(JsonObject) session = kantor_ledger_metrics_to_json (ledger, NULL, NULL);
    g_autoptr(JsonObject) symbol = kantor_ledger_metrics_to_json (ledger, NULL, "BTC");
    g_autoptr(JsonObject) strategy = kantor_ledger_metrics_to_json (ledger, "s", NULL);
    g_autoptr(JsonObject) activation = kantor_ledger_metrics_to_json (ledger, "s", "BTC");

    g_assert_cmpint (json_object_get_int_member (session, "orders_placed"), ==, 10);
    g_assert_cmpint (json_object_get_int_member (symbol, "ticks_processed"), ==, 10);
    assert_near (json_object_get_double_member (strategy, "expectancy"), 22);
    assert_near (json_object_get_double_member (activation, "max_drawdown"), 96.09);
    g_assert_null (kantor_ledger_metrics_to_json (ledger, "nobody", NULL));
    g_assert_null (kantor_ledger_metrics_to_json (ledger, NULL, "NOWHERE"));
    g_assert_null (kantor_ledger_metrics_to_json (ledger, "s", "NOWHERE"));
  }

  per_symbol = kantor_ledger_per_symbol_to_json (ledger);
  g_assert_true (json_object_has_member (per_symbol, "BTC"));
  assert_near (json_object_get_double_member (json_object_get_object_member (per_symbol, "BTC"),
                                              "net_pnl"), 110);

  trades = kantor_ledger_trades_to_json (ledger, "s", "BTC");
  g_assert_cmpuint (json_array_get_length (trades), ==, 5);
  {
    JsonObject *trade = json_array_get_object_element (trades, 2);

    g_assert_cmpstr (json_object_get_string_member (trade, "direction"), ==, "SHORT");
    g_assert_cmpstr (json_object_get_string_member (trade, "exit_reason"), ==, "ze1_close");
    assert_near (json_object_get_double_member (trade, "net_pnl"), -42.04);
    assert_near (json_object_get_double_member (trade, "duration_s"), 90);
  }
  g_clear_pointer (&trades, json_array_unref);
  trades = kantor_ledger_trades_to_json (ledger, "s", "ETH");
  g_assert_cmpuint (json_array_get_length (trades), ==, 0);

  /* Looking up a name nobody used finds nothing and does not intern it. */
  g_clear_pointer (&trades, json_array_unref);
  trades = kantor_ledger_trades_to_json (ledger, "never-used-strategy-name", NULL);
  g_assert_cmpuint (json_array_get_length (trades), ==, 0);
  g_assert_false (kantor_ledger_get_symbol_metrics (ledger, "NEVER_USED_SYMBOL", &m));
  g_assert_cmpuint (g_quark_try_string ("never-used-strategy-name"), ==, 0);
  g_assert_cmpuint (g_quark_try_string ("NEVER_USED_SYMBOL"), ==, 0);

  fills = kantor_ledger_orders_to_json (ledger, NULL, "BTC", TRUE);
  g_assert_cmpuint (json_array_get_length (fills), ==, 10);
  {
    JsonObject *order = json_array_get_object_element (fills, 1);

    g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "filled");
    g_assert_cmpstr (json_object_get_string_member (order, "side"), ==, "sell");
    g_assert_true (json_object_get_boolean_member (order, "closing"));
    assert_near (json_object_get_double_member (order, "realized_pnl"), 97.9);
  }
}

static void
test_ledger_ticks (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (10000, 0, 0, NULL);
  KantorMarketEvent event = { 0, };
  KantorMetrics m;
  guint eth;

  eth = kantor_ledger_add_symbol (ledger, "ETH");
  g_assert_cmpuint (kantor_ledger_add_symbol (ledger, "ETH"), ==, eth);
  trade_event (ledger, "BTC", 1, 10);
  book_event (ledger, "BTC", 2, 9, 11);
  kantor_ledger_add_activation (ledger, "late", "BTC");
  trade_event (ledger, "BTC", 3, 10);

  event.kind = KANTOR_EVENT_TRADE;
  event.symbol = g_intern_string ("ETH");
  event.price = 5;
  event.volume = 1;
  for (guint i = 0; i < 4; i++)
    kantor_ledger_mark_index (ledger, eth, &event);

  g_assert_true (kantor_ledger_get_symbol_metrics (ledger, "BTC", &m));
  g_assert_cmpuint (m.ticks_processed, ==, 3);
  g_assert_true (kantor_ledger_get_symbol_metrics (ledger, "ETH", &m));
  g_assert_cmpuint (m.ticks_processed, ==, 4);
  /* An activation counts the ticks since it was registered. */
  g_assert_true (kantor_ledger_get_activation_metrics (ledger, "late", "BTC", &m));
  g_assert_cmpuint (m.ticks_processed, ==, 1);
  g_assert_true (kantor_ledger_get_strategy_metrics (ledger, "late", &m));
  g_assert_cmpuint (m.ticks_processed, ==, 1);
  kantor_ledger_get_metrics (ledger, &m);
  g_assert_cmpuint (m.ticks_processed, ==, 7);

  /* Many symbols, interleaved: every event lands on its own symbol,
   * whatever shares a slot of the lookup cache. */
  {
    g_autoptr(KantorLedger) many = new_ledger (10000, 0, 0, NULL);

    for (guint round = 0; round < 3; round++)
      for (guint i = 0; i < 300; i++)
        {
          g_autofree char *name = g_strdup_printf ("SYM%u", i);

          for (guint k = 0; k <= i % 4; k++)
            trade_event (many, name, round, 1 + i);
        }
    for (guint i = 0; i < 300; i++)
      {
        g_autofree char *name = g_strdup_printf ("SYM%u", i);

        g_assert_true (kantor_ledger_get_symbol_metrics (many, name, &m));
        g_assert_cmpuint (m.ticks_processed, ==, 3 * (1 + i % 4));
        g_assert_cmpfloat (kantor_ledger_get_quote (many, name)->last, ==, 1 + i);
      }
  }

  g_assert_cmpfloat (kantor_ledger_get_quote (ledger, "BTC")->last, ==, 10);
  g_assert_cmpuint (kantor_ledger_get_n_orders (ledger), ==, 0);
  g_assert_cmpfloat (kantor_ledger_get_quote (ledger, "BTC")->bid, ==, 9);
  g_assert_null (kantor_ledger_get_quote (ledger, "XRP"));
}

typedef struct
{
  GArray *returns;
  guint   wins;
  guint   losses;
  guint   run;
  guint   max_run;
  double  realized;
  double  best;
  double  worst;
} Recount;

static void
recount_trade (const KantorTrade *trade,
               gpointer           user_data)
{
  Recount *recount = user_data;
  double r = trade->net_pnl / trade->entry_notional;

  g_assert_cmpfloat_with_epsilon (trade->net_pnl,
                                  trade->gross_pnl - trade->entry_fee - trade->exit_fee, 1e-9);
  if (recount->returns->len == 0 || trade->net_pnl > recount->best)
    recount->best = trade->net_pnl;
  if (recount->returns->len == 0 || trade->net_pnl < recount->worst)
    recount->worst = trade->net_pnl;
  g_array_append_val (recount->returns, r);
  recount->realized += trade->net_pnl;
  if (trade->net_pnl > 0)
    {
      recount->wins++;
      recount->run = 0;
    }
  else if (trade->net_pnl < 0)
    {
      recount->losses++;
      recount->run++;
      recount->max_run = MAX (recount->max_run, recount->run);
    }
  else
    recount->run = 0;
}

/* The metrics of a scope recomputed from its trade list the plain way
 * (two-pass mean and deviation), against the ledger's running figures. */
static void
assert_metrics_match_trades (KantorLedger        *ledger,
                             const char          *strategy,
                             const char          *symbol,
                             const KantorMetrics *m)
{
  Recount recount = { 0, };
  double mean = 0;
  double var = 0;
  double down = 0;
  double v;
  guint n;

  recount.returns = g_array_new (FALSE, FALSE, sizeof (double));
  kantor_ledger_foreach_trade (ledger, strategy, symbol, recount_trade, &recount);
  n = recount.returns->len;

  g_assert_cmpuint (m->total_trades, ==, n);
  g_assert_cmpuint (m->winning_trades, ==, recount.wins);
  g_assert_cmpuint (m->losing_trades, ==, recount.losses);
  g_assert_cmpuint (m->max_consecutive_losses, ==, recount.max_run);
  g_assert_cmpfloat_with_epsilon (m->realized_pnl, recount.realized, 1e-6);
  g_assert_true (kantor_metrics_get_best_trade (m, &v));
  g_assert_cmpfloat (v, ==, recount.best);
  g_assert_true (kantor_metrics_get_worst_trade (m, &v));
  g_assert_cmpfloat (v, ==, recount.worst);

  for (guint i = 0; i < n; i++)
    mean += g_array_index (recount.returns, double, i);
  mean /= n;
  for (guint i = 0; i < n; i++)
    {
      double r = g_array_index (recount.returns, double, i);

      var += (r - mean) * (r - mean);
      if (r < 0)
        down += r * r;
    }
  g_assert_true (kantor_metrics_get_sharpe_ratio (m, &v));
  g_assert_cmpfloat_with_epsilon (v, mean / sqrt (var / (n - 1)), 1e-9);
  g_assert_true (kantor_metrics_get_sortino_ratio (m, &v));
  g_assert_cmpfloat_with_epsilon (v, mean / sqrt (down / n), 1e-9);
  g_assert_cmpfloat (m->max_drawdown, >, 0);
  g_assert_cmpfloat (m->max_drawdown_pct, >, 0);

  g_array_unref (recount.returns);
}

/* Several strategies on several symbols, random prices and decisions: the
 * session's additive metrics are exactly the sums over its symbols. */
static void
run_random (KantorLedger *ledger,
            guint32       seed,
            guint         n_events)
{
  static const char *const symbols[] = { "BTC", "ETH", "SOL", "XRP" };
  static const char *const strategies[] = { "a", "b", "c" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  double prices[G_N_ELEMENTS (symbols)] = { 100, 50, 20, 1 };

  for (guint i = 0; i < n_events; i++)
    {
      guint s = g_rand_int_range (rand, 0, G_N_ELEMENTS (symbols));
      const char *symbol = symbols[s];
      double r = g_rand_double (rand);

      prices[s] *= 1 + (g_rand_double (rand) - 0.5) * 0.02;
      if (r < 0.2)
        book_event (ledger, symbol, i, prices[s] * 0.999, prices[s] * 1.001);
      else
        trade_event (ledger, symbol, i, prices[s]);

      if (r > 0.9)
        {
          const char *strategy = strategies[g_rand_int_range (rand, 0, G_N_ELEMENTS (strategies))];
          KantorPosition position;
          KantorOrderRequest request;
          KantorSignal signal = { 0, };
          KantorFill fill;

          signal.type = KANTOR_SIGNAL_S1_SIGNAL;
          signal.strategy = g_intern_string (strategy);
          signal.symbol = g_intern_string (symbol);
          kantor_ledger_record_signal (ledger, &signal);

          if (kantor_ledger_get_position (ledger, strategy, symbol, &position))
            request = close_request (strategy, symbol,
                                     position.direction == KANTOR_DIRECTION_LONG
                                     ? KANTOR_SIDE_SELL : KANTOR_SIDE_BUY,
                                     i, KANTOR_SIGNAL_ZE1_CLOSE);
          else
            request = open_request (strategy, symbol,
                                    g_rand_boolean (rand) ? KANTOR_SIDE_BUY : KANTOR_SIDE_SELL,
                                    i, KANTOR_SIZE_PERCENT, g_rand_double_range (rand, 1, 30));
          kantor_ledger_execute (ledger, &request, NULL, &fill);
        }
    }
}

static void
test_ledger_totals (void)
{
  g_autoptr(KantorBudget) budget = kantor_budget_new ();
  g_autoptr(KantorLedger) ledger = NULL;
  g_autoptr(GPtrArray) symbols = NULL;
  g_autoptr(GPtrArray) strategies = NULL;
  KantorMetrics session;
  KantorMetrics sum;
  KantorMetrics strategy_sum;
  double equity;

  kantor_budget_set_global_cap (budget, 6000);
  kantor_budget_set_allocation (budget, "BTC", 2000);
  ledger = new_ledger (10000, 0.001, 3, budget);
  run_random (ledger, 42, 20000);

  for (guint pass = 0; pass < 2; pass++)
    {
      kantor_ledger_get_metrics (ledger, &session);
      g_assert_cmpuint (session.total_trades, >, 50);
      g_assert_cmpuint (session.orders_rejected, >, 0);

      memset (&sum, 0, sizeof sum);
      symbols = kantor_ledger_list_symbols (ledger);
      g_assert_cmpuint (symbols->len, ==, 4);
      for (guint i = 0; i < symbols->len; i++)
        {
          KantorMetrics part;

          g_assert_true (kantor_ledger_get_symbol_metrics (ledger, symbols->pdata[i], &part));
          sum.signals_detected += part.signals_detected;
          sum.orders_placed += part.orders_placed;
          sum.orders_filled += part.orders_filled;
          sum.orders_rejected += part.orders_rejected;
          sum.total_trades += part.total_trades;
          sum.winning_trades += part.winning_trades;
          sum.losing_trades += part.losing_trades;
          sum.ticks_processed += part.ticks_processed;
          sum.gross_pnl += part.gross_pnl;
          sum.total_fees += part.total_fees;
          sum.net_pnl += part.net_pnl;
          sum.realized_pnl += part.realized_pnl;
          sum.unrealized_pnl += part.unrealized_pnl;
        }
      g_clear_pointer (&symbols, g_ptr_array_unref);

      g_assert_cmpuint (session.signals_detected, ==, sum.signals_detected);
      g_assert_cmpuint (session.orders_placed, ==, sum.orders_placed);
      g_assert_cmpuint (session.orders_filled, ==, sum.orders_filled);
      g_assert_cmpuint (session.orders_rejected, ==, sum.orders_rejected);
      g_assert_cmpuint (session.total_trades, ==, sum.total_trades);
      g_assert_cmpuint (session.winning_trades, ==, sum.winning_trades);
      g_assert_cmpuint (session.losing_trades, ==, sum.losing_trades);
      g_assert_cmpuint (session.ticks_processed, ==, 20000);
      g_assert_cmpuint (session.ticks_processed, ==, sum.ticks_processed);
      /* Exactly, not within a tolerance. */
      g_assert_cmpfloat (session.gross_pnl, ==, sum.gross_pnl);
      g_assert_cmpfloat (session.total_fees, ==, sum.total_fees);
      g_assert_cmpfloat (session.net_pnl, ==, sum.net_pnl);
      g_assert_cmpfloat (session.realized_pnl, ==, sum.realized_pnl);
      g_assert_cmpfloat (session.unrealized_pnl, ==, sum.unrealized_pnl);
      g_assert_cmpuint (session.orders_placed, ==, session.orders_filled + session.orders_rejected);
      g_assert_cmpuint (session.orders_placed, ==, kantor_ledger_get_n_orders (ledger));
      g_assert_cmpuint (session.total_trades, ==, kantor_ledger_get_n_trades (ledger));

      /* The identities, within rounding. */
      g_assert_cmpfloat_with_epsilon (session.net_pnl, session.gross_pnl - session.total_fees,
                                      1e-6);
      g_assert_cmpfloat_with_epsilon (session.net_pnl,
                                      session.realized_pnl + session.unrealized_pnl, 1e-6);
      equity = kantor_ledger_get_equity (ledger);
      g_assert_cmpfloat_with_epsilon (equity, 10000 + session.net_pnl, 1e-6);

      /* Strategies partition the same trades. */
      memset (&strategy_sum, 0, sizeof strategy_sum);
      strategies = kantor_ledger_list_strategies (ledger);
      g_assert_cmpuint (strategies->len, ==, 3);
      for (guint i = 0; i < strategies->len; i++)
        {
          KantorMetrics part;

          g_assert_true (kantor_ledger_get_strategy_metrics (ledger, strategies->pdata[i], &part));
          strategy_sum.total_trades += part.total_trades;
          strategy_sum.orders_placed += part.orders_placed;
          strategy_sum.net_pnl += part.net_pnl;
        }
      g_clear_pointer (&strategies, g_ptr_array_unref);
      g_assert_cmpuint (strategy_sum.total_trades, ==, session.total_trades);
      g_assert_cmpuint (strategy_sum.orders_placed, ==, session.orders_placed);
      g_assert_cmpfloat_with_epsilon (strategy_sum.net_pnl, session.net_pnl, 1e-6);

      assert_metrics_match_trades (ledger, NULL, NULL, &session);
      {
        KantorMetrics part;

        g_assert_true (kantor_ledger_get_symbol_metrics (ledger, "ETH", &part));
        assert_metrics_match_trades (ledger, NULL, "ETH", &part);
        g_assert_true (kantor_ledger_get_strategy_metrics (ledger, "b", &part));
        assert_metrics_match_trades (ledger, "b", NULL, &part);
        g_assert_true (kantor_ledger_get_activation_metrics (ledger, "c", "SOL", &part));
        assert_metrics_match_trades (ledger, "c", "SOL", &part);
      }

      /* Second pass: after the session end, nothing is unrealized. */
      if (pass == 0)
        {
          g_assert_cmpuint (kantor_ledger_close_all (ledger, 20000, NULL, NULL), >, 0);
        }
      else
        {
          g_assert_cmpfloat (session.unrealized_pnl, ==, 0);
          g_assert_cmpfloat_with_epsilon (kantor_ledger_get_balance (ledger),
                                          10000 + session.net_pnl, 1e-6);
        }
    }
}

static char *
sha256_of (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

static void
test_ledger_results_hash (void)
{
  g_autoptr(KantorLedger) first = new_ledger (10000, 0.001, 2, NULL);
  g_autoptr(KantorLedger) second = new_ledger (10000, 0.001, 2, NULL);
  g_autoptr(KantorLedger) third = new_ledger (10000, 0.001, 2, NULL);
  g_autoptr(KantorLedger) byte_form = new_ledger (10000, 0.001, 0, NULL);
  g_autofree char *empty = sha256_of ("");
  g_autofree char *expected = NULL;
  g_autofree char *prefix = NULL;
  KantorOrderRequest request;
  KantorFill fill;

  g_assert_cmpstr (kantor_ledger_get_results_hash (first), ==, empty);

  run_random (first, 7, 5000);
  run_random (second, 7, 5000);
  g_assert_cmpuint (kantor_ledger_get_n_orders (first), >, 10);
  g_assert_cmpstr (kantor_ledger_get_results_hash (first), ==,
                   kantor_ledger_get_results_hash (second));
  g_assert_cmpstr (kantor_ledger_get_results_hash (first), !=, empty);

  /* Reading the hash disturbs nothing: both go on and still agree. */
  prefix = g_strdup (kantor_ledger_get_results_hash (first));
  kantor_ledger_close_all (first, 9999, NULL, NULL);
  kantor_ledger_close_all (second, 9999, NULL, NULL);
  g_assert_cmpstr (kantor_ledger_get_results_hash (first), ==,
                   kantor_ledger_get_results_hash (second));
  g_assert_cmpstr (kantor_ledger_get_results_hash (first), !=, prefix);

  /* Same data with one more fill at the end differs. */
  run_random (third, 7, 5000);
  g_assert_cmpstr (kantor_ledger_get_results_hash (third), ==, prefix);
  trade_event (third, "BTC", 10000, 100);
  request = open_request ("z", "BTC", KANTOR_SIDE_BUY, 10000, KANTOR_SIZE_FIXED_QUOTE, 10);
  g_assert_true (kantor_ledger_execute (third, &request, NULL, &fill));
  g_assert_cmpstr (kantor_ledger_get_results_hash (third), !=, prefix);

  /* The documented byte form, line by line. A rejected order is no fill. */
  trade_event (byte_form, "BTC", 1000, 100.1);
  request = open_request ("pump", "BTC", KANTOR_SIDE_BUY, 1000, KANTOR_SIZE_FIXED_QUOTE, 1000);
  g_assert_true (kantor_ledger_execute (byte_form, &request, NULL, &fill));
  g_assert_false (kantor_ledger_execute (byte_form, &request, NULL, &fill));
  trade_event (byte_form, "BTC", 61000, 109.89);
  request = close_request ("pump", "BTC", KANTOR_SIDE_SELL, 61000, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_true (kantor_ledger_execute (byte_form, &request, NULL, &fill));
  expected = sha256_of ("1,1000,pump,BTC,buy,100.1,9.990009990009991,1\n"
                        "3,61000,pump,BTC,sell,109.89,9.990009990009991,1.097802197802198\n");
  g_assert_cmpstr (kantor_ledger_get_results_hash (byte_form), ==, expected);
}

static void
test_ledger_hash_one_fill_differs (void)
{
  g_autoptr(KantorLedger) a = new_ledger (10000, 0.001, 0, NULL);
  g_autoptr(KantorLedger) b = new_ledger (10000, 0.001, 0, NULL);
  KantorQuote qa = { 0, 100, 0, 0 };
  KantorQuote qb = { 0, 100.00000000000001, 0, 0 };
  KantorOrderRequest request;
  KantorFill fill;

  request = open_request ("s", "BTC", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 100);
  g_assert_true (kantor_ledger_execute (a, &request, &qa, &fill));
  g_assert_true (kantor_ledger_execute (b, &request, &qa, &fill));
  g_assert_cmpstr (kantor_ledger_get_results_hash (a), ==, kantor_ledger_get_results_hash (b));

  /* One ulp away in one fill price. */
  request = close_request ("s", "BTC", KANTOR_SIDE_SELL, 1, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_true (kantor_ledger_execute (a, &request, &qa, &fill));
  g_assert_true (kantor_ledger_execute (b, &request, &qb, &fill));
  g_assert_cmpstr (kantor_ledger_get_results_hash (a), !=, kantor_ledger_get_results_hash (b));
}

static void
test_ledger_drawdown_open (void)
{
  g_autoptr(KantorLedger) ledger = new_ledger (1000, 0, 0, NULL);
  KantorOrderRequest request;
  KantorFill fill;
  KantorMetrics m;

  /* An open position's swings count: 500 at 10 (qty 50), up to 12, down
   * to 8: the peak 1100 falls to 900, 200 or 18.1818 %. */
  trade_event (ledger, "BTC", 0, 10);
  request = open_request ("s", "BTC", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 500);
  g_assert_true (kantor_ledger_execute (ledger, &request, NULL, &fill));
  trade_event (ledger, "BTC", 1, 12);
  trade_event (ledger, "BTC", 2, 8);
  trade_event (ledger, "BTC", 3, 9);

  kantor_ledger_get_metrics (ledger, &m);
  assert_near (m.max_drawdown, 200);
  assert_near (m.max_drawdown_pct, 200.0 / 1100.0 * 100.0);
  assert_near (m.unrealized_pnl, -50);
  assert_near (m.gross_pnl, -50);
  g_assert_cmpuint (m.total_trades, ==, 0);
  g_assert_true (kantor_ledger_get_symbol_metrics (ledger, "BTC", &m));
  assert_near (m.max_drawdown, 200);
}

static void
test_metrics_edge_cases (void)
{
  KantorMetrics m;
  KantorMetrics total;
  KantorMetrics empty;
  double v;

  /* One trade: no deviation to divide by. */
  kantor_metrics_init (&m, 1000);
  kantor_metrics_add_trade (&m, 12, 10, 0.01, 5);
  g_assert_false (kantor_metrics_get_sharpe_ratio (&m, &v));
  g_assert_false (kantor_metrics_get_sortino_ratio (&m, &v));
  /* Only winners: no loss to divide by either. */
  kantor_metrics_add_trade (&m, 32, 30, 0.03, 15);
  g_assert_false (kantor_metrics_get_profit_factor (&m, &v));
  g_assert_false (kantor_metrics_get_avg_loss (&m, &v));
  g_assert_false (kantor_metrics_get_sortino_ratio (&m, &v));
  /* mean 0.02, sample stdev √((0.01² + 0.01²) / 1) = 0.0141421356 */
  g_assert_true (kantor_metrics_get_sharpe_ratio (&m, &v));
  assert_near (v, 0.02 / sqrt (0.0002));
  {
    g_autoptr(JsonObject) object = kantor_metrics_to_json (&m);

    g_assert_true (json_object_get_null_member (object, "profit_factor"));
    g_assert_true (json_object_get_null_member (object, "avg_loss"));
    g_assert_true (json_object_get_null_member (object, "sortino_ratio"));
    assert_near (json_object_get_double_member (object, "avg_win"), 20);
  }

  /* A breakeven trade is neither and ends a losing run. */
  kantor_metrics_add_trade (&m, -1, -2, -0.002, 1);
  kantor_metrics_add_trade (&m, -1, -3, -0.003, 1);
  kantor_metrics_add_trade (&m, 2, 0, 0, 1);
  kantor_metrics_add_trade (&m, -1, -4, -0.004, 1);
  g_assert_cmpuint (m.total_trades, ==, 6);
  g_assert_cmpuint (m.winning_trades, ==, 2);
  g_assert_cmpuint (m.losing_trades, ==, 3);
  g_assert_cmpuint (m.max_consecutive_losses, ==, 2);
  g_assert_true (kantor_metrics_get_win_rate (&m, &v));
  assert_near (v, 100.0 * 2 / 6);
  g_assert_true (kantor_metrics_get_profit_factor (&m, &v));
  assert_near (v, 40.0 / 9.0);
  g_assert_true (kantor_metrics_get_expectancy (&m, &v));
  assert_near (v, 31.0 / 6.0);
  g_assert_true (kantor_metrics_get_avg_trade_duration_s (&m, &v));
  assert_near (v, 24.0 / 6.0);

  /* Identical returns: zero deviation, no ratio. */
  kantor_metrics_init (&m, 1000);
  kantor_metrics_add_trade (&m, -4, -5, -0.005, 1);
  kantor_metrics_add_trade (&m, -4, -5, -0.005, 1);
  g_assert_false (kantor_metrics_get_sharpe_ratio (&m, &v));
  /* ...but a downside: −0.005 / 0.005 = −1 */
  g_assert_true (kantor_metrics_get_sortino_ratio (&m, &v));
  assert_near (v, -1);

  /* Merging extremes: an empty part changes nothing, an empty total takes
   * the part's. */
  kantor_metrics_init (&total, 0);
  kantor_metrics_init (&empty, 0);
  kantor_metrics_accumulate (&total, &empty);
  g_assert_false (kantor_metrics_get_best_trade (&total, &v));
  kantor_metrics_accumulate (&total, &m);
  g_assert_true (kantor_metrics_get_best_trade (&total, &v));
  assert_near (v, -5);
  kantor_metrics_accumulate (&total, &empty);
  g_assert_true (kantor_metrics_get_worst_trade (&total, &v));
  assert_near (v, -5);
  g_assert_cmpuint (total.total_trades, ==, 2);
  assert_near (total.realized_pnl, -10);

  /* The equity curve: peak 1000 → 1100 → 990 → 1200 → 1080. */
  kantor_metrics_init (&m, 1000);
  kantor_metrics_add_equity (&m, 1100);
  kantor_metrics_add_equity (&m, 990);
  kantor_metrics_add_equity (&m, 1200);
  kantor_metrics_add_equity (&m, 1080);
  assert_near (m.max_drawdown, 120);
  assert_near (m.max_drawdown_pct, 10);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (node));
}

static void
test_ledger_config_json (void)
{
  /* budget: 1 when the error is the budget's own */
  static const struct { const char *json; int budget; int code; const char *field; } bad[] = {
    { "{\"initial_balance\": 0}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG, "initial_balance" },
    { "{\"initial_balance\": -5}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG, "initial_balance" },
    { "{\"initial_balance\": \"100\"}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG,
      "initial_balance" },
    { "{\"fee_rate\": 1}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG, "fee_rate" },
    { "{\"fee_rate\": -0.001}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG, "fee_rate" },
    { "{\"fee_rate\": true}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG, "fee_rate" },
    { "{\"slippage_bps\": -1}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG, "slippage_bps" },
    { "{\"slippage_bps\": 10000}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG, "slippage_bps" },
    { "{\"slippage_bps\": [1]}", 0, KANTOR_LEDGER_ERROR_INVALID_CONFIG, "slippage_bps" },
    { "{\"budget\": 5}", 1, KANTOR_BUDGET_ERROR_INVALID, "budget" },
    { "{\"budget\": {\"allocations\": {\"A\": \"5%\"}}}", 1, KANTOR_BUDGET_ERROR_INVALID,
      "budget.allocations.A" },
    { "{\"budget\": {\"global_cap\": 10, \"allocations\": {\"A\": 11}}}", 1,
      KANTOR_BUDGET_ERROR_CAP_EXCEEDED, "budget.allocations" },
  };
  KantorLedgerConfig config;
  g_autoptr(GError) error = NULL;

  g_assert_true (kantor_ledger_config_parse_json (&config, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (config.initial_balance, ==, 10000);
  g_assert_cmpfloat (config.fee_rate, ==, 0.001);
  g_assert_cmpfloat (config.slippage_bps, ==, 0);
  g_assert_null (config.budget);

  {
    g_autoptr(JsonObject) object = parse_object (
      "{\"initial_balance\": 5000, \"fee_rate\": 0, \"slippage_bps\": 2.5,"
      " \"on_conflict\": \"reuse\", \"speed\": 0,"
      " \"budget\": {\"global_cap\": 1000, \"allocations\": {\"BTC\": \"10%\"}}}");
    g_autoptr(KantorLedger) ledger = NULL;
    KantorOrderRequest request;
    KantorQuote quote = { 0, 10, 0, 0 };
    KantorFill fill;

    g_assert_true (kantor_ledger_config_parse_json (&config, object, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat (config.initial_balance, ==, 5000);
    g_assert_cmpfloat (config.fee_rate, ==, 0);
    g_assert_cmpfloat (config.slippage_bps, ==, 2.5);
    g_assert_nonnull (config.budget);

    ledger = kantor_ledger_new (&config);
    kantor_ledger_config_clear (&config);
    g_assert_null (config.budget);
    g_assert_cmpfloat (kantor_ledger_get_initial_balance (ledger), ==, 5000);

    /* The ledger kept its own reference: BTC's allocation is 100. */
    request = open_request ("s", "BTC", KANTOR_SIDE_BUY, 0, KANTOR_SIZE_FIXED_QUOTE, 101);
    g_assert_false (kantor_ledger_execute (ledger, &request, &quote, &fill));
    g_assert_cmpint (fill.reject_reason, ==, KANTOR_REJECT_BUDGET);
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) object = parse_object (bad[i].json);
      g_autofree char *field = NULL;
      GQuark domain = bad[i].budget ? KANTOR_BUDGET_ERROR : KANTOR_LEDGER_ERROR;

      g_test_message ("case %u: %s", i, bad[i].json);
      memset (&config, 0, sizeof config);
      g_assert_false (kantor_ledger_config_parse_json (&config, object, &field, &error));
      g_assert_error (error, domain, bad[i].code);
      g_assert_cmpstr (field, ==, bad[i].field);
      g_assert_null (config.budget);
      g_clear_error (&error);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/ledger/defaults", test_ledger_defaults);
  g_test_add_func ("/kantor/engine/ledger/long-round-trip", test_ledger_long_round_trip);
  g_test_add_func ("/kantor/engine/ledger/short-round-trip", test_ledger_short_round_trip);
  g_test_add_func ("/kantor/engine/ledger/last-price", test_ledger_last_price);
  g_test_add_func ("/kantor/engine/ledger/rejections", test_ledger_rejections);
  g_test_add_func ("/kantor/engine/ledger/budget", test_ledger_budget);
  g_test_add_func ("/kantor/engine/ledger/budget-percent", test_ledger_budget_percent);
  g_test_add_func ("/kantor/engine/ledger/session-end", test_ledger_session_end);
  g_test_add_func ("/kantor/engine/ledger/session-end-own-quotes",
                   test_ledger_session_end_own_quotes);
  g_test_add_func ("/kantor/engine/ledger/metrics", test_ledger_metrics);
  g_test_add_func ("/kantor/engine/ledger/metrics-json", test_ledger_metrics_json);
  g_test_add_func ("/kantor/engine/ledger/ticks", test_ledger_ticks);
  g_test_add_func ("/kantor/engine/ledger/totals", test_ledger_totals);
  g_test_add_func ("/kantor/engine/ledger/results-hash", test_ledger_results_hash);
  g_test_add_func ("/kantor/engine/ledger/hash-one-fill-differs",
                   test_ledger_hash_one_fill_differs);
  g_test_add_func ("/kantor/engine/ledger/drawdown-open", test_ledger_drawdown_open);
  g_test_add_func ("/kantor/engine/ledger/config-json", test_ledger_config_json);
  g_test_add_func ("/kantor/engine/metrics/edge-cases", test_metrics_edge_cases);

  return g_test_run ();
}
