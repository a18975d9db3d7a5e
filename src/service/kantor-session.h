/* kantor-session.h: one trading session and its engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kantor-collection-run.h"
#include "kantor-engine.h"
#include "kantor-market-feed.h"
#include "kantor-market-source.h"

G_BEGIN_DECLS

typedef enum
{
  KANTOR_SESSION_TYPE_BACKTEST = 1,
  KANTOR_SESSION_TYPE_PAPER,
  KANTOR_SESSION_TYPE_LIVE,
} KantorSessionType;

typedef enum
{
  KANTOR_SESSION_STATE_STARTING = 1,
  KANTOR_SESSION_STATE_RUNNING,
  KANTOR_SESSION_STATE_PAUSED,
  KANTOR_SESSION_STATE_COMPLETED,    /* a backtest reached the end of its data */
  KANTOR_SESSION_STATE_STOPPED,
  KANTOR_SESSION_STATE_FAILED,
  KANTOR_SESSION_STATE_INTERRUPTED,  /* the server went down while it ran */
} KantorSessionState;

const char *kantor_session_type_to_string    (KantorSessionType   type);
gboolean    kantor_session_type_from_string  (const char         *str,
                                              KantorSessionType  *type);
const char *kantor_session_state_to_string   (KantorSessionState  state);
gboolean    kantor_session_state_from_string (const char         *str,
                                              KantorSessionState *state);
/* Starting, running or paused. */
gboolean    kantor_session_state_is_active   (KantorSessionState  state);

/* 4 indicator reports per second of event time per symbol, at most. */
#define KANTOR_SESSION_INDICATORS_PERIOD_MS KANTOR_ACTIVATION_INDICATORS_PERIOD_MS

#define KANTOR_TYPE_SESSION (kantor_session_get_type ())
G_DECLARE_FINAL_TYPE (KantorSession, kantor_session, KANTOR, SESSION, GObject)

/* A new session in state starting that owns @engine (transfer full; its
 * activations already added). @symbols sorted, @strategy_config normalised
 * ({name: [SYMBOL, ...]}), @config the request's config or NULL.
 *
 * Signals, always on the main context the session was created in:
 * - "state-changed": the state or the progress changed.
 * - "alert" (JsonObject *fields): a risk event, e.g. budget_breach.
 * - "results-written": a backtest's worker has written its final results
 *   and orders out for the store (after the state became final).
 * - "signal-emitted" (const KantorSignal *): a paper or live session's
 *   signal, as the engine gives it (valid during the emission only).
 * - "order-event" (JsonObject *): a paper or live session's order, filled
 *   or refused (kantor_ledger_order_to_json()).
 * - "indicators" (const char *symbol, gint64 time_ms, JsonObject *values,
 *   JsonObject *used_by): a paper or live session's indicators of @symbol
 *   (name -> value, only those with a value; name -> [strategy]), at most
 *   once per KANTOR_SESSION_INDICATORS_PERIOD_MS of event time per symbol.
 * Backtests emit none of these three: their worker would flood the main
 * loop. */
KantorSession      *kantor_session_new             (const char        *id,
                                                    KantorSessionType  type,
                                                    const char        *key,
                                                    const char * const *symbols,
                                                    JsonNode          *strategy_config,
                                                    JsonNode          *config,
                                                    KantorEngine      *engine);
/* A session read back from the store: no engine, @results (may be NULL)
 * its last results, @recording_id (may be NULL) the id of its recording. */
KantorSession      *kantor_session_new_restored    (const char        *id,
                                                    KantorSessionType  type,
                                                    KantorSessionState state,
                                                    const char        *key,
                                                    const char * const *symbols,
                                                    JsonNode          *strategy_config,
                                                    JsonNode          *config,
                                                    gint64             created_at_ms,
                                                    gint64             ended_at_ms,
                                                    JsonObject        *results,
                                                    const char        *recording_id);

const char         *kantor_session_get_id          (KantorSession     *self);
KantorSessionType   kantor_session_get_session_type (KantorSession    *self);
KantorSessionState  kantor_session_get_state       (KantorSession     *self);
const char         *kantor_session_get_key         (KantorSession     *self);
const char * const *kantor_session_get_symbols     (KantorSession     *self);
JsonNode           *kantor_session_get_strategy_config (KantorSession *self);
JsonNode           *kantor_session_get_config      (KantorSession     *self);
gint64              kantor_session_get_created_at  (KantorSession     *self);
gint64              kantor_session_get_ended_at    (KantorSession     *self);
/* Why a failed session failed, else NULL. */
const char         *kantor_session_get_error_message (KantorSession   *self);
/* TRUE when @strategy runs on @symbol in this session. */
gboolean            kantor_session_runs            (KantorSession     *self,
                                                    const char        *strategy,
                                                    const char        *symbol);
/* {events_processed, last_event_time, fraction?}: fraction when the end of
 * the data is known. NULL before any progress. */
JsonObject         *kantor_session_dup_progress    (KantorSession     *self);
/* {session_id, session_type, state, symbols, strategy_config, created_at,
 *  ended_at, progress?, error?} */
JsonObject         *kantor_session_to_json         (KantorSession     *self);

/* Replays @source in a worker thread, @from_ms..@to_ms at @speed (0: as
 * fast as possible). @total_events (0: unknown) gives the progress
 * fraction. Ends completed, stopped or failed. */
void                kantor_session_run_backtest    (KantorSession      *self,
                                                    KantorMarketSource *source,
                                                    gint64              from_ms,
                                                    gint64              to_ms,
                                                    double              speed,
                                                    guint64             total_events);
/* Drives the engine from @feed on the main loop until stopped. */
void                kantor_session_run_paper       (KantorSession      *self,
                                                    KantorMarketFeed   *feed);

/* A paper session also pushes every event it consumes to @run (the
 * recording of config.record); NULL for none. Shown as
 * recording_collection_id. */
void                kantor_session_set_recording   (KantorSession       *self,
                                                    KantorCollectionRun *run);
KantorCollectionRun *kantor_session_get_recording  (KantorSession       *self);
/* The version of strategy @name the session runs (before it starts), for
 * its activations' status. */
void                kantor_session_set_strategy_version (KantorSession  *self,
                                                         const char     *name,
                                                         guint           version);
/* New snapshots (KantorActivationInfo, owner the session id) of the
 * activations of a running session's engine; empty once it ended. A
 * backtest's come from its last progress report: its engine belongs to its
 * worker. Main thread only. */
GPtrArray          *kantor_session_dup_activations (KantorSession      *self);
/* The id of the recording: that of the run, or the one read back from the
 * store (the run itself is gone after a restart). NULL for none. */
const char         *kantor_session_get_recording_id (KantorSession      *self);

/* Ends the session: open positions are closed at market (session_end) and
 * the state becomes stopped. A backtest's worker is cancelled first; the
 * callback runs once the state is final. Stopping a finished session
 * changes nothing. */
void                kantor_session_stop_async      (KantorSession      *self,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
gboolean            kantor_session_stop_finish     (KantorSession      *self,
                                                    GAsyncResult       *result,
                                                    GError            **error);
/* Blocks until a backtest's worker has returned (it may still be writing
 * its results out after the session ended); then "results-written" has
 * been emitted. At once for any other session. */
void                kantor_session_wait            (KantorSession      *self);
/* Server shutdown: stops the work at once, without closing positions, and
 * leaves the session interrupted with its results so far. Blocks until a
 * backtest's worker has returned. */
void                kantor_session_interrupt       (KantorSession      *self);

/* The results (kantor_engine_results_to_json() plus per_activation
 * {strategy: {symbol: metrics}}, trades and signals), as of now for a
 * running session, final for an ended one; NULL in the callback's result
 * when a restored session has none. A running backtest builds them in its
 * worker between two batches, so this never blocks the main loop. */
void                kantor_session_results_async   (KantorSession      *self,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
JsonObject         *kantor_session_results_finish  (KantorSession      *self,
                                                    GAsyncResult       *result,
                                                    GError            **error);
/* The final results once ended (borrowed), else NULL. */
JsonObject         *kantor_session_get_final_results (KantorSession   *self);
/* The same as JSON text (made once, by the worker for a backtest: NULL
 * until "results-written"). */
const char         *kantor_session_get_final_results_text (KantorSession *self);
/* A backtest's orders, as a JSON array text, once (NULL before
 * "results-written", after the first call, and for other sessions, whose
 * orders come through kantor_session_take_rows()). */
char               *kantor_session_take_final_orders (KantorSession   *self);

gboolean            kantor_session_has_pending_rows (KantorSession     *self);
/* Orders and signals produced since the last call, as JSON text (for the
 * store); either array may be empty. */
void                kantor_session_take_rows       (KantorSession      *self,
                                                    GPtrArray         **orders,
                                                    GPtrArray         **signals);

G_END_DECLS
