/* kantor-strategy-manager.h: strategy documents on disk and their activations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kantor-activation.h"
#include "kantor-diagnostics.h"
#include "kantor-market-feed.h"
#include "kantor-strategy.h"

G_BEGIN_DECLS

#define KANTOR_STRATEGY_MANAGER_ERROR (kantor_strategy_manager_error_quark ())

typedef enum
{
  KANTOR_STRATEGY_MANAGER_ERROR_NOT_FOUND,       /* no such strategy, or no such activation */
  KANTOR_STRATEGY_MANAGER_ERROR_INVALID_NAME,    /* not ^[A-Za-z0-9_-]{1,64}$ */
  KANTOR_STRATEGY_MANAGER_ERROR_INVALID_SYMBOL,  /* not ^[A-Z0-9_]{1,32}$ */
  KANTOR_STRATEGY_MANAGER_ERROR_INVALID,         /* the document has validation errors */
  KANTOR_STRATEGY_MANAGER_ERROR_DISABLED,        /* "enabled": false */
  KANTOR_STRATEGY_MANAGER_ERROR_ACTIVE,          /* (strategy, symbol) held by another owner */
  KANTOR_STRATEGY_MANAGER_ERROR_IO,              /* reading or writing the folder failed */
} KantorStrategyManagerError;

GQuark kantor_strategy_manager_error_quark (void);

/* A snapshot of one activation, for status replies. */
typedef struct
{
  char                     *strategy;        /* strategy name */
  char                     *symbol;
  char                     *owner;           /* NULL when bare, else e.g. a session id */
  guint                     version;         /* the running version of the strategy */
  gboolean                  swap_pending;    /* a newer version waits for a swappable point */
  KantorActivationState     state;
  gint64                    state_since_ms;  /* event time of the last change, else activated_ms */
  gint64                    activated_ms;    /* wall clock, epoch ms */
  gint64                    last_event_ms;   /* event time of the last event seen, 0 before any */
  guint64                   n_events;
  guint64                   n_signals;
  gboolean                  has_position;
  KantorActivationPosition  position;
} KantorActivationInfo;

void      kantor_activation_info_free    (KantorActivationInfo *info);
KantorActivationInfo *kantor_activation_info_copy (const KantorActivationInfo *info);
/* {strategy_name, symbol, owner, version, swap_pending, state, since (epoch ms),
 *  activated_at, last_event_time, events, signals, position: null or {side, entry_price,
 *  qty, entry_time}} */
JsonNode *kantor_activation_info_to_json (const KantorActivationInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorActivationInfo, kantor_activation_info_free)

#define KANTOR_TYPE_STRATEGY_MANAGER (kantor_strategy_manager_get_type ())
G_DECLARE_FINAL_TYPE (KantorStrategyManager, kantor_strategy_manager,
                      KANTOR, STRATEGY_MANAGER, GObject)

/* Loads @strategies_dir/<name>.json (created with mode 0700 when missing; on
 * that first start the example strategies are copied in). A bad document is
 * logged and kept as an invalid entry, never fatal. @feed (may be NULL: then
 * only kantor_strategy_manager_push_event() drives activations) feeds the
 * activations. Fails only when the folder cannot be created or read.
 *
 * Signals:
 * - "strategy-upserted" (const char *name, guint version, gboolean created)
 * - "activation-signal" (const char *owner or NULL, gpointer const KantorSignal *):
 *   every signal any activation emits, on the main loop, valid during emission.
 * - "activation-swapped" (const char *name, const char *symbol, guint version):
 *   a running activation now runs a newer version.
 * - "activation-indicators" (const char *symbol, gint64 time_ms,
 *   JsonObject *values, JsonObject *used_by): the indicator values of a
 *   symbol's activations (kantor_activation_report_indicators()), at most
 *   once per KANTOR_ACTIVATION_INDICATORS_PERIOD_MS of event time, and
 *   only while a handler is connected. */
KantorStrategyManager *kantor_strategy_manager_new        (const char            *strategies_dir,
                                                           KantorMarketFeed      *feed,
                                                           GError               **error);

const char            *kantor_strategy_manager_get_dir    (KantorStrategyManager *self);

/* TRUE when @name matches ^[A-Za-z0-9_-]{1,64}$. */
gboolean               kantor_strategy_name_is_valid      (const char            *name);

/* Names of every known document (valid or not), sorted; free with g_strfreev(). */
char                 **kantor_strategy_manager_list_names (KantorStrategyManager *self);
/* A new reference to the current valid version, or NULL (unknown or invalid). */
KantorStrategy        *kantor_strategy_manager_lookup     (KantorStrategyManager *self,
                                                           const char            *name);
/* FALSE when @name is unknown. @version (may be NULL) is the current version
 * (1 for a document never upserted); @valid whether it compiled; @errors
 * (may be NULL) a new reference to its diagnostics JSON. */
gboolean               kantor_strategy_manager_get_info   (KantorStrategyManager *self,
                                                           const char            *name,
                                                           guint                 *version,
                                                           gboolean              *valid,
                                                           JsonNode             **diagnostics);

/* Validates without storing: {valid, errors, warnings} (STRATEGY.md §1). */
JsonNode              *kantor_strategy_manager_validate   (KantorStrategyManager *self,
                                                           JsonNode              *doc);
/* Validates @doc and, when valid, writes it atomically to <dir>/<name>.json
 * (temporary file, fsync, rename, fsync of the folder) and makes it the
 * current version (version + 1, or 1 when @created). An invalid document
 * (INVALID) or a bad name (INVALID_NAME) changes nothing on disk; its
 * diagnostics (warnings too, on success) are added to @diag (may be NULL).
 * A failed write is IO. Running activations switch over at their next
 * swappable point.
 *
 * The write runs on a worker thread; upserts are written one at a time, in
 * call order, so versions follow the order of the requests. */
void                   kantor_strategy_manager_upsert_async  (KantorStrategyManager *self,
                                                              JsonNode              *doc,
                                                              GAsyncReadyCallback    callback,
                                                              gpointer               user_data);
gboolean               kantor_strategy_manager_upsert_finish (KantorStrategyManager *self,
                                                              GAsyncResult          *result,
                                                              KantorDiagnostics     *diag,
                                                              gboolean              *created,
                                                              guint                 *version,
                                                              GError               **error);
/* The same, blocking the calling (main) thread during the write; for tools
 * and tests. Must not be called while an asynchronous upsert is pending. */
gboolean               kantor_strategy_manager_upsert     (KantorStrategyManager *self,
                                                           JsonNode              *doc,
                                                           KantorDiagnostics     *diag,
                                                           gboolean              *created,
                                                           guint                 *version,
                                                           GError               **error);

/* Creates the activation (@name, @symbol) for @owner (NULL: a bare
 * activation) and subscribes it to the feed. @hooks (copied; may be NULL)
 * make it trade: its execute hook receives the orders, its signal hook the
 * signals (after "activation-signal"). Activating a pair again for the
 * same owner succeeds and changes nothing; for another owner it fails with
 * ACTIVE. Also NOT_FOUND, INVALID, DISABLED, INVALID_SYMBOL, each with a
 * message fit for a reply. */
gboolean               kantor_strategy_manager_activate   (KantorStrategyManager *self,
                                                           const char            *name,
                                                           const char            *symbol,
                                                           const char            *owner,
                                                           GError               **error);
gboolean               kantor_strategy_manager_activate_with_hooks
                                                          (KantorStrategyManager      *self,
                                                           const char                 *name,
                                                           const char                 *symbol,
                                                           const char                 *owner,
                                                           const KantorExecutionHooks *hooks,
                                                           gpointer                    user_data,
                                                           GError                    **error);
/* Removes (@name, @symbol): an open position is closed first (signal
 * session_end, and a closing order through the hooks). NOT_FOUND when
 * there is no such activation. */
gboolean               kantor_strategy_manager_deactivate (KantorStrategyManager *self,
                                                           const char            *name,
                                                           const char            *symbol,
                                                           GError               **error);
/* Removes every activation of @owner (NULL: the bare ones); returns how many. */
guint                  kantor_strategy_manager_deactivate_owner (KantorStrategyManager *self,
                                                                 const char            *owner);

/* Snapshots (KantorActivationInfo, sorted by strategy then symbol) of the
 * activations matching @name and @symbol (NULL matches any). */
GPtrArray             *kantor_strategy_manager_list_activations (KantorStrategyManager *self,
                                                                 const char            *name,
                                                                 const char            *symbol);
/* Same, for one owner (NULL: the bare activations). */
GPtrArray             *kantor_strategy_manager_list_activations_by_owner
                                                                (KantorStrategyManager *self,
                                                                 const char            *owner);
/* Activations that run elsewhere (a session's own engine) but are listed
 * with the manager's: @provider returns new snapshots (a GPtrArray of
 * KantorActivationInfo with a free function), called on the main thread at
 * every listing, until removed with the same @user_data. The lists above
 * and the active symbols include them; the manager's own activation of a
 * pair comes before a provided one (a NULL owner sorts first). */
typedef GPtrArray *(*KantorActivationProvider) (gpointer user_data);
void                   kantor_strategy_manager_add_activation_provider
                                                       (KantorStrategyManager    *self,
                                                        KantorActivationProvider  provider,
                                                        gpointer                  user_data);
void                   kantor_strategy_manager_remove_activation_provider
                                                       (KantorStrategyManager    *self,
                                                        gpointer                  user_data);
/* Active symbols of @name, sorted, each once; free with g_strfreev(). */
char                 **kantor_strategy_manager_get_active_symbols (KantorStrategyManager *self,
                                                                   const char            *name);

/* Runs every activation of @event->symbol on @event: what the feed
 * subscription does, public so replays and tests can drive activations
 * without a feed. Events must come in time order per symbol. */
void                   kantor_strategy_manager_push_event (KantorStrategyManager   *self,
                                                           const KantorMarketEvent *event);

G_END_DECLS
