/* kantor-synthetic-source.h: a deterministic, realistic synthetic market
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-market-source.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_SYNTHETIC_SOURCE (kantor_synthetic_source_get_type ())
G_DECLARE_FINAL_TYPE (KantorSyntheticSource, kantor_synthetic_source,
                      KANTOR, SYNTHETIC_SOURCE, GObject)

/* The market of each symbol is a function of (symbol, seed) alone: the same
 * pair gives the same events wherever and whenever it runs, and adding a
 * symbol does not change the others'. Per symbol:
 *
 * - a starting price (from 0.01 to about 50 000) and a tick size giving six
 *   to seven significant digits, both derived from the symbol;
 * - a random walk of the mid price under stochastic volatility (the log of
 *   the volatility is a slow AR(1) process), so calm and volatile stretches
 *   cluster over tens of minutes;
 * - trades at the bid or the ask, sizes exponential around a typical
 *   notional, and a 3-level book whose spread widens with volatility;
 * - volume bursts (a few hundred events of larger, faster trading);
 * - about every three hours of market time, a pump-and-dump: minutes of
 *   buying that lift the price 8-40 % on surging volume, then a slide that
 *   gives most of it back;
 * - about four events a second in calm markets (a third of them book
 *   updates), several times more in bursts and pumps.
 *
 * Event time starts at @start_ms (epoch milliseconds) and advances by the
 * model's own clock, so the source can run as fast as possible or, paced
 * by a KantorPacer at speed 1 from start_ms = now, in real time.
 * @max_events > 0 ends the source after that many events (over all
 * symbols); 0 never ends it. Symbols are merged by time, ties in name order.
 * Each symbol must match ^[A-Z0-9_]{1,32}$. */
KantorMarketSource *kantor_synthetic_source_new (const char * const  *symbols,
                                                 guint64              seed,
                                                 gint64               start_ms,
                                                 guint64              max_events,
                                                 GError             **error);

/* The start time kantor-backtest uses for synthetic data unless told
 * otherwise: 2026-01-01T00:00:00Z. */
#define KANTOR_SYNTHETIC_DEFAULT_START_MS G_GINT64_CONSTANT (1767225600000)

G_END_DECLS
