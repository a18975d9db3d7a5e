/* kantor-session-manager.h: starting, tracking and stopping sessions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kantor-collection-manager.h"
#include "kantor-market-feed.h"
#include "kantor-session-store.h"
#include "kantor-session.h"
#include "kantor-store.h"
#include "kantor-strategy-manager.h"

G_BEGIN_DECLS

#define KANTOR_SESSION_MANAGER_ERROR (kantor_session_manager_error_quark ())

/* One code per protocol error of session_start and session_stop. */
typedef enum
{
  KANTOR_SESSION_MANAGER_ERROR_INVALID,                  /* validation_error */
  KANTOR_SESSION_MANAGER_ERROR_INVALID_TYPE,             /* invalid_session_type */
  KANTOR_SESSION_MANAGER_ERROR_MISSING_STRATEGY_CONFIG,  /* missing_strategy_config */
  KANTOR_SESSION_MANAGER_ERROR_ACTIVATION_FAILED,        /* strategy_activation_failed */
  KANTOR_SESSION_MANAGER_ERROR_CONFLICT,                 /* session_conflict */
  KANTOR_SESSION_MANAGER_ERROR_BUDGET_CAP_EXCEEDED,      /* budget_cap_exceeded */
  KANTOR_SESSION_MANAGER_ERROR_UNAVAILABLE,              /* service_unavailable */
  KANTOR_SESSION_MANAGER_ERROR_NOT_FOUND,                /* session_not_found */
} KantorSessionManagerError;

GQuark kantor_session_manager_error_quark (void);

#define KANTOR_TYPE_SESSION_MANAGER (kantor_session_manager_get_type ())
G_DECLARE_FINAL_TYPE (KantorSessionManager, kantor_session_manager,
                      KANTOR, SESSION_MANAGER, GObject)

/* @store (may be NULL: nothing persists) is read at once: sessions that
 * were running when the server went down are marked interrupted, and every
 * finished session and its results are available again. @strategies looks
 * strategies up by name; @feed drives paper sessions; collections are
 * <@data_dir>/session_<collection_id>.
 *
 * Signals, on the main loop:
 * - "session-state" (KantorSession *): a session's state or progress changed.
 * - "session-alert" (KantorSession *, JsonObject *fields): a risk alert.
 * - "session-signal" (KantorSession *, const KantorSignal *) and
 *   "session-order" (KantorSession *, JsonObject *order): a paper or live
 *   session's signals and orders, as its "signal-emitted" and "order-event".
 * - "session-indicators" (KantorSession *, const char *symbol, gint64
 *   time_ms, JsonObject *values, JsonObject *used_by): its "indicators". */
KantorSessionManager *kantor_session_manager_new     (KantorStore           *store,
                                                      KantorStrategyManager *strategies,
                                                      KantorMarketFeed      *feed,
                                                      const char            *data_dir,
                                                      GError               **error);

/* session_start (PROTOCOL.md §5), synchronously on the main loop: every
 * check, the idempotency key and conflicts are settled before it returns,
 * so identical concurrent requests get one session. Returns a new
 * reference; *@reused tells whether an existing session answers. On error
 * *@details (may be NULL) receives the error's details object, if any
 * (field, conflicting_session_ids, total_alloc, ...). */
KantorSession        *kantor_session_manager_start   (KantorSessionManager  *self,
                                                      const char            *session_type,
                                                      JsonNode              *strategy_config,
                                                      JsonObject            *config,
                                                      gboolean              *reused,
                                                      JsonObject           **details,
                                                      GError               **error);
/* Borrowed; NULL when unknown. */
KantorSession        *kantor_session_manager_lookup  (KantorSessionManager  *self,
                                                      const char            *session_id);
/* The active sessions (starting, running, paused), most recently started
 * first; a new array of references. */
GPtrArray            *kantor_session_manager_list_active (KantorSessionManager *self);
/* The most recently started session (any state) that trades @symbol and
 * runs @strategy (either may be NULL); borrowed, NULL when none. */
KantorSession        *kantor_session_manager_find_latest (KantorSessionManager *self,
                                                          const char           *strategy,
                                                          const char           *symbol);
/* Lets paper and live sessions record their feed (config.record) as
 * collection runs of @collections; without it config.record answers
 * service_unavailable. */
void                  kantor_session_manager_set_collection_manager
                                                     (KantorSessionManager    *self,
                                                      KantorCollectionManager *collections);
/* Number of sessions interrupted by the last shutdown, found at start-up. */
guint                 kantor_session_manager_get_n_interrupted (KantorSessionManager *self);
/* NULL without a store. */
KantorSessionStore   *kantor_session_manager_get_session_store (KantorSessionManager *self);

/* Server shutdown: interrupts every active session and queues its last
 * save; close the store afterwards to wait for the writes. */
void                  kantor_session_manager_shutdown (KantorSessionManager *self);

G_END_DECLS
