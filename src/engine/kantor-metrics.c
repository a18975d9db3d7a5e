/* kantor-metrics.c: accumulating and deriving the metrics of one scope
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-metrics.h"

void
kantor_metrics_init (KantorMetrics *m,
                     double         equity_base)
{
  g_return_if_fail (m != NULL);

  memset (m, 0, sizeof *m);
  m->equity_peak = equity_base;
}

void
kantor_metrics_add_trade (KantorMetrics *m,
                          double         gross_pnl,
                          double         net_pnl,
                          double         trade_return,
                          double         duration_s)
{
  double delta;

  g_return_if_fail (m != NULL);

  if (m->total_trades == 0 || net_pnl > m->best_trade)
    m->best_trade = net_pnl;
  if (m->total_trades == 0 || net_pnl < m->worst_trade)
    m->worst_trade = net_pnl;

  m->total_trades++;
  m->closed_gross_pnl += gross_pnl;
  m->realized_pnl += net_pnl;
  m->sum_duration_s += duration_s;

  if (net_pnl > 0)
    {
      m->winning_trades++;
      m->sum_wins += net_pnl;
      m->consecutive_losses = 0;
    }
  else if (net_pnl < 0)
    {
      m->losing_trades++;
      m->sum_losses += net_pnl;
      m->consecutive_losses++;
      m->max_consecutive_losses = MAX (m->max_consecutive_losses, m->consecutive_losses);
    }
  else
    m->consecutive_losses = 0;

  /* Welford: stable for long runs of near-equal returns. */
  m->n_returns++;
  delta = trade_return - m->return_mean;
  m->return_mean += delta / (double) m->n_returns;
  m->return_m2 += delta * (trade_return - m->return_mean);
  if (trade_return < 0)
    m->downside_sq_sum += trade_return * trade_return;
}

void
kantor_metrics_add_fee (KantorMetrics *m,
                        double         fee)
{
  g_return_if_fail (m != NULL);

  m->total_fees += fee;
}

void
kantor_metrics_set_open (KantorMetrics *m,
                         double         open_price_pnl,
                         double         unrealized_pnl)
{
  g_return_if_fail (m != NULL);

  m->unrealized_pnl = unrealized_pnl;
  m->gross_pnl = m->closed_gross_pnl + open_price_pnl;
  m->net_pnl = m->realized_pnl + unrealized_pnl;
}

void
kantor_metrics_accumulate (KantorMetrics       *total,
                           const KantorMetrics *part)
{
  g_return_if_fail (total != NULL);
  g_return_if_fail (part != NULL);

  if (part->total_trades > 0)
    {
      if (total->total_trades == 0 || part->best_trade > total->best_trade)
        total->best_trade = part->best_trade;
      if (total->total_trades == 0 || part->worst_trade < total->worst_trade)
        total->worst_trade = part->worst_trade;
    }

  total->signals_detected += part->signals_detected;
  total->orders_placed += part->orders_placed;
  total->orders_filled += part->orders_filled;
  total->orders_rejected += part->orders_rejected;
  total->total_trades += part->total_trades;
  total->winning_trades += part->winning_trades;
  total->losing_trades += part->losing_trades;
  total->ticks_processed += part->ticks_processed;
  total->gross_pnl += part->gross_pnl;
  total->total_fees += part->total_fees;
  total->net_pnl += part->net_pnl;
  total->realized_pnl += part->realized_pnl;
  total->unrealized_pnl += part->unrealized_pnl;
  total->closed_gross_pnl += part->closed_gross_pnl;
  total->sum_wins += part->sum_wins;
  total->sum_losses += part->sum_losses;
  total->sum_duration_s += part->sum_duration_s;
}

gboolean
kantor_metrics_get_win_rate (const KantorMetrics *m,
                             double              *out)
{
  if (m->total_trades == 0)
    return FALSE;
  *out = (double) m->winning_trades / (double) m->total_trades * 100.0;
  return TRUE;
}

gboolean
kantor_metrics_get_profit_factor (const KantorMetrics *m,
                                  double              *out)
{
  /* No losses: the ratio is infinite, which JSON cannot say. */
  if (m->losing_trades == 0 || m->sum_losses == 0)
    return FALSE;
  *out = m->sum_wins / -m->sum_losses;
  return TRUE;
}

gboolean
kantor_metrics_get_avg_win (const KantorMetrics *m,
                            double              *out)
{
  if (m->winning_trades == 0)
    return FALSE;
  *out = m->sum_wins / (double) m->winning_trades;
  return TRUE;
}

gboolean
kantor_metrics_get_avg_loss (const KantorMetrics *m,
                             double              *out)
{
  if (m->losing_trades == 0)
    return FALSE;
  *out = m->sum_losses / (double) m->losing_trades;
  return TRUE;
}

gboolean
kantor_metrics_get_best_trade (const KantorMetrics *m,
                               double              *out)
{
  if (m->total_trades == 0)
    return FALSE;
  *out = m->best_trade;
  return TRUE;
}

gboolean
kantor_metrics_get_worst_trade (const KantorMetrics *m,
                                double              *out)
{
  if (m->total_trades == 0)
    return FALSE;
  *out = m->worst_trade;
  return TRUE;
}

gboolean
kantor_metrics_get_expectancy (const KantorMetrics *m,
                               double              *out)
{
  if (m->total_trades == 0)
    return FALSE;
  *out = m->realized_pnl / (double) m->total_trades;
  return TRUE;
}

gboolean
kantor_metrics_get_sharpe_ratio (const KantorMetrics *m,
                                 double              *out)
{
  double stddev;

  if (m->n_returns < 2)
    return FALSE;
  stddev = sqrt (m->return_m2 / (double) (m->n_returns - 1));
  if (!(stddev > 0))
    return FALSE;
  *out = m->return_mean / stddev;
  return TRUE;
}

gboolean
kantor_metrics_get_sortino_ratio (const KantorMetrics *m,
                                  double              *out)
{
  double downside;

  if (m->n_returns < 2)
    return FALSE;
  downside = sqrt (m->downside_sq_sum / (double) m->n_returns);
  if (!(downside > 0))
    return FALSE;
  *out = m->return_mean / downside;
  return TRUE;
}

gboolean
kantor_metrics_get_avg_trade_duration_s (const KantorMetrics *m,
                                         double              *out)
{
  if (m->total_trades == 0)
    return FALSE;
  *out = m->sum_duration_s / (double) m->total_trades;
  return TRUE;
}

typedef gboolean (*DerivedFunc) (const KantorMetrics *m, double *out);

static void
set_derived (JsonObject          *object,
             const char          *name,
             const KantorMetrics *m,
             DerivedFunc          func)
{
  double value;

  if (func (m, &value) && isfinite (value))
    json_object_set_double_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

JsonObject *
kantor_metrics_to_json (const KantorMetrics *m)
{
  JsonObject *object;

  g_return_val_if_fail (m != NULL, NULL);

  object = json_object_new ();
  json_object_set_int_member (object, "signals_detected", (gint64) m->signals_detected);
  json_object_set_int_member (object, "orders_placed", (gint64) m->orders_placed);
  json_object_set_int_member (object, "orders_filled", (gint64) m->orders_filled);
  json_object_set_int_member (object, "orders_rejected", (gint64) m->orders_rejected);
  json_object_set_int_member (object, "total_trades", (gint64) m->total_trades);
  json_object_set_int_member (object, "winning_trades", (gint64) m->winning_trades);
  json_object_set_int_member (object, "losing_trades", (gint64) m->losing_trades);
  set_derived (object, "win_rate", m, kantor_metrics_get_win_rate);
  json_object_set_double_member (object, "gross_pnl", m->gross_pnl);
  json_object_set_double_member (object, "total_fees", m->total_fees);
  json_object_set_double_member (object, "net_pnl", m->net_pnl);
  json_object_set_double_member (object, "realized_pnl", m->realized_pnl);
  json_object_set_double_member (object, "unrealized_pnl", m->unrealized_pnl);
  set_derived (object, "profit_factor", m, kantor_metrics_get_profit_factor);
  set_derived (object, "avg_win", m, kantor_metrics_get_avg_win);
  set_derived (object, "avg_loss", m, kantor_metrics_get_avg_loss);
  set_derived (object, "best_trade", m, kantor_metrics_get_best_trade);
  set_derived (object, "worst_trade", m, kantor_metrics_get_worst_trade);
  set_derived (object, "expectancy", m, kantor_metrics_get_expectancy);
  json_object_set_double_member (object, "max_drawdown", m->max_drawdown);
  json_object_set_double_member (object, "max_drawdown_pct", m->max_drawdown_pct);
  set_derived (object, "sharpe_ratio", m, kantor_metrics_get_sharpe_ratio);
  set_derived (object, "sortino_ratio", m, kantor_metrics_get_sortino_ratio);
  json_object_set_int_member (object, "max_consecutive_losses", m->max_consecutive_losses);
  set_derived (object, "avg_trade_duration_s", m, kantor_metrics_get_avg_trade_duration_s);
  json_object_set_int_member (object, "ticks_processed", (gint64) m->ticks_processed);

  return object;
}
