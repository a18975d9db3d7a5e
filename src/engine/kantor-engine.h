/* kantor-engine.h: the engine driver: market events in, signals, orders and
 * metrics out
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kantor-execution.h"
#include "kantor-indicator-set.h"
#include "kantor-ledger.h"
#include "kantor-market-source.h"
#include "kantor-strategy.h"

G_BEGIN_DECLS

#define KANTOR_ENGINE_ERROR (kantor_engine_error_quark ())

typedef enum
{
  KANTOR_ENGINE_ERROR_INVALID,     /* a bad symbol, a strategy added twice, a bad time range */
  KANTOR_ENGINE_ERROR_CANCELLED,   /* the run was cancelled */
} KantorEngineError;

GQuark kantor_engine_error_quark (void);

/* What a session (or kantor-backtest) hears from the engine, on the thread
 * that feeds it. All members may be NULL.
 * @event: after every processed event, once indicators, activations and
 *   the ledger have seen it.
 * @signal: every state-machine signal, and session_end closes.
 * @order: every order handed to the ledger, filled or refused. */
typedef struct
{
  void (*event)  (const KantorMarketEvent *event,
                  gpointer                 user_data);
  void (*signal) (const KantorSignal      *signal,
                  gpointer                 user_data);
  void (*order)  (const KantorLedgerOrder *order,
                  gpointer                 user_data);
} KantorEngineCallbacks;

/* kantor-activation.h has the accessors; declared here so that this header
 * does not pull it in. */
typedef struct _KantorActivation KantorActivation;

/* One session's engine: per symbol an indicator set and a quote, the
 * activations of every strategy on every symbol, and one ledger. A plain
 * struct driven from one thread: it sits on the hot path. */
typedef struct _KantorEngine KantorEngine;

/* @config NULL: the ledger's defaults. */
KantorEngine       *kantor_engine_new                (const KantorLedgerConfig    *config);
void                kantor_engine_free               (KantorEngine                *self);
void                kantor_engine_set_callbacks      (KantorEngine                *self,
                                                      const KantorEngineCallbacks *callbacks,
                                                      gpointer                     user_data);
/* Activates @strategy on @symbol (upper case, ^[A-Z0-9_]{1,32}$); each
 * (strategy name, symbol) pair once, until the engine is finished. Added
 * while events flow, its indicators start from that point. */
gboolean            kantor_engine_add_activation     (KantorEngine                *self,
                                                      KantorStrategy              *strategy,
                                                      const char                  *symbol,
                                                      GError                     **error);

/* Feeds one event. Events of symbols without an activation are counted and
 * otherwise ignored. An event earlier than the last one processed is
 * dropped (and counted): windows and candles only move forward, and a
 * source that reorders is a bug to see, not to absorb. */
void                kantor_engine_process_event      (KantorEngine                *self,
                                                      const KantorMarketEvent     *event);
/* Replays @source from @from_ms to @to_ms inclusive (G_MININT64 and
 * G_MAXINT64 for no bound), as fast as possible unless a speed is set.
 * Stops at the source's end, past @to_ms, on a source error or when
 * @cancellable is cancelled. Does not call kantor_engine_finish(). */
gboolean            kantor_engine_run                (KantorEngine                *self,
                                                      KantorMarketSource          *source,
                                                      gint64                       from_ms,
                                                      gint64                       to_ms,
                                                      GCancellable                *cancellable,
                                                      GError                     **error);
/* 0 (the default): as fast as possible; otherwise kantor_engine_run()
 * paces events at this multiple of real time (1: real time). Pacing
 * never changes what is computed. */
void                kantor_engine_set_speed          (KantorEngine                *self,
                                                      double                       speed);
/* Ends the session: every open position is closed at market (signal and
 * exit reason session_end) at the last event's time, so the results are
 * final. Idempotent; no event is processed after it. */
void                kantor_engine_finish             (KantorEngine                *self);
gboolean            kantor_engine_is_finished        (KantorEngine                *self);

KantorLedger       *kantor_engine_get_ledger         (KantorEngine                *self);
/* NULL for a symbol without activations. */
KantorIndicatorSet *kantor_engine_get_indicator_set  (KantorEngine                *self,
                                                      const char                  *symbol);
const KantorQuote  *kantor_engine_get_quote          (KantorEngine                *self,
                                                      const char                  *symbol);
/* The activations in the order they were added (owned by the engine), for
 * status reports: state, since when, open position. */
guint               kantor_engine_get_n_activations  (KantorEngine                *self);
KantorActivation   *kantor_engine_get_activation     (KantorEngine                *self,
                                                      guint                        index);
/* NULL when @strategy_name is not active on @symbol. */
KantorActivation   *kantor_engine_lookup_activation  (KantorEngine                *self,
                                                      const char                  *strategy_name,
                                                      const char                  *symbol);
/* The traded symbols in the order they were added (interned). */
const char * const *kantor_engine_get_symbols        (KantorEngine                *self);
guint64             kantor_engine_get_n_events       (KantorEngine                *self);
guint64             kantor_engine_get_n_dropped      (KantorEngine                *self);
/* Time of the last processed event, 0 before the first. */
gint64              kantor_engine_get_last_time_ms   (KantorEngine                *self);

/* {metrics, per_symbol, per_strategy, results_hash, events_processed,
 *  events_dropped, first_event_ms, last_event_ms}: the session's results. */
JsonObject         *kantor_engine_results_to_json    (KantorEngine                *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorEngine, kantor_engine_free)

G_END_DECLS
