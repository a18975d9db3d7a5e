/* kantor-metrics.h: the metrics of PROTOCOL.md §7 for one scope
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KantorMetrics is both the accumulator (fed trade by trade and equity
 * sample by equity sample) and the result; ratios are derived on demand.
 * docs/METRICS.md gives every formula.
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  /* Additive: a session's value is the sum of its symbols' values. */
  guint64 signals_detected;
  guint64 orders_placed;
  guint64 orders_filled;
  guint64 orders_rejected;
  guint64 total_trades;
  guint64 winning_trades;      /* net P&L > 0 */
  guint64 losing_trades;       /* net P&L < 0; breakeven trades are neither */
  guint64 ticks_processed;
  double  gross_pnl;           /* closed trades' gross P&L + open positions' price P&L */
  double  total_fees;          /* every fee paid, open positions' entry fees included */
  double  net_pnl;             /* realized_pnl + unrealized_pnl */
  double  realized_pnl;        /* closed trades' net P&L (both fees deducted) */
  double  unrealized_pnl;      /* open positions' price P&L minus their entry fees */
  double  closed_gross_pnl;    /* closed trades' gross P&L */
  double  sum_wins;            /* Σ net P&L of winning trades */
  double  sum_losses;          /* Σ net P&L of losing trades (<= 0) */
  double  sum_duration_s;

  /* Extremes of the trade list, valid when total_trades > 0. */
  double  best_trade;
  double  worst_trade;

  /* Sequential: this scope's own trade order and equity curve. */
  guint   max_consecutive_losses;
  guint   consecutive_losses;
  guint64 n_returns;           /* per-trade returns, Welford */
  double  return_mean;
  double  return_m2;
  double  downside_sq_sum;     /* Σ min(r, 0)² */
  double  equity_peak;
  double  max_drawdown;
  double  max_drawdown_pct;
} KantorMetrics;

/* Zeroes @m; @equity_base starts the equity curve (the initial balance). */
void        kantor_metrics_init          (KantorMetrics       *m,
                                          double               equity_base);
/* One closed trade: its gross and net P&L, its return (net P&L over the
 * entry notional) and its duration. Updates realized_pnl, not the fees:
 * those are counted per fill with kantor_metrics_add_fee(). */
void        kantor_metrics_add_trade     (KantorMetrics       *m,
                                          double               gross_pnl,
                                          double               net_pnl,
                                          double               trade_return,
                                          double               duration_s);
void        kantor_metrics_add_fee       (KantorMetrics       *m,
                                          double               fee);
/* Adds the additive fields of @part to @total and merges best/worst; the
 * sequential fields of @total are left alone. */
void        kantor_metrics_accumulate    (KantorMetrics       *total,
                                          const KantorMetrics *part);
/* Sets unrealized_pnl and the open positions' price P&L, and derives
 * gross_pnl and net_pnl from them. */
void        kantor_metrics_set_open      (KantorMetrics       *m,
                                          double               open_price_pnl,
                                          double               unrealized_pnl);

/* Derived values; FALSE when there is nothing to derive them from (JSON
 * null). */
gboolean    kantor_metrics_get_win_rate       (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_profit_factor  (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_avg_win        (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_avg_loss       (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_best_trade     (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_worst_trade    (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_expectancy     (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_sharpe_ratio   (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_sortino_ratio  (const KantorMetrics *m, double *out);
gboolean    kantor_metrics_get_avg_trade_duration_s (const KantorMetrics *m, double *out);

/* The 26 fields of PROTOCOL.md §7, under exactly those names. */
JsonObject *kantor_metrics_to_json       (const KantorMetrics *m);

/* One point of the equity curve: O(1), no allocation; runs per event. */
static inline void
kantor_metrics_add_equity (KantorMetrics *m,
                           double         equity)
{
  double drawdown;

  if (equity > m->equity_peak)
    {
      m->equity_peak = equity;
      return;
    }

  drawdown = m->equity_peak - equity;
  if (drawdown > m->max_drawdown)
    m->max_drawdown = drawdown;
  if (m->equity_peak > 0 && drawdown / m->equity_peak * 100.0 > m->max_drawdown_pct)
    m->max_drawdown_pct = drawdown / m->equity_peak * 100.0;
}

G_END_DECLS
