/* kantor-collection-manager.h: data collection runs (PROTOCOL.md §9)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "kantor-collection-run.h"
#include "kantor-market-feed.h"
#include "kantor-store.h"

G_BEGIN_DECLS

#define KANTOR_COLLECTION_MANAGER_ERROR (kantor_collection_manager_error_quark ())

typedef enum
{
  KANTOR_COLLECTION_MANAGER_ERROR_INVALID_SYMBOLS,   /* details.field "symbols" */
  KANTOR_COLLECTION_MANAGER_ERROR_INVALID_DURATION,  /* details.field "duration" */
  KANTOR_COLLECTION_MANAGER_ERROR_NOT_FOUND,
} KantorCollectionManagerError;

GQuark kantor_collection_manager_error_quark (void);

/* At most this many symbols per run. */
#define KANTOR_COLLECTION_MAX_SYMBOLS 100
#define KANTOR_COLLECTION_DEFAULT_DURATION "1h"

#define KANTOR_TYPE_COLLECTION_MANAGER (kantor_collection_manager_get_type ())
G_DECLARE_FINAL_TYPE (KantorCollectionManager, kantor_collection_manager, KANTOR,
                      COLLECTION_MANAGER, GObject)

/* Runs record @feed's events into @data_dir/session_<collection_id>/ and
 * persist in @store. Blocking, for start-up: loads the runs the store
 * knows, and every run that was still starting or recording (the server
 * went down under it) is recovered (its files cut back to their last whole
 * row and counted, meta.json rewritten) and marked interrupted.
 *
 * Signals: "collection-state" (KantorCollectionRun *run) on every change of
 * a run's state, its creation included; "collection-alert"
 * (KantorCollectionRun *run, JsonObject *fields) when a run fails, @fields
 * being the alert's ({alert:"collection_failed", message, collection_id,
 * error, path}).
 *
 * Dropping the manager without kantor_collection_manager_shutdown() leaves
 * its active runs as a crash would: the next start recovers them. */
KantorCollectionManager *kantor_collection_manager_new     (KantorStore             *store,
                                                            KantorMarketFeed        *feed,
                                                            const char              *data_dir);
/* How many runs new() marked interrupted. */
guint                 kantor_collection_manager_get_n_interrupted
                                                           (KantorCollectionManager *self);
const char           *kantor_collection_manager_get_data_dir (KantorCollectionManager *self);

/* "30s", "15m", "1h", "2d" (^\d+[smhd]$, more than zero) to milliseconds;
 * "continuous" to 0. */
gboolean              kantor_collection_parse_duration     (const char              *duration,
                                                            gint64                  *duration_ms,
                                                            GError                 **error);
/* Upper-cases @symbols and checks them (1 to 100, ^[A-Z0-9_]{1,32}$);
 * duplicates are dropped, order kept. */
GStrv                 kantor_collection_normalize_symbols  (const char * const      *symbols,
                                                            GError                 **error);

/* collection_start: validates @symbols and @duration (NULL for the
 * default), persists the run and starts it (STARTING, then RECORDING once
 * its files exist). A duration ends it as COMPLETED. Returns a new ref. */
KantorCollectionRun  *kantor_collection_manager_start      (KantorCollectionManager *self,
                                                            const char * const      *symbols,
                                                            const char              *duration,
                                                            GError                 **error);
/* A continuous run fed by the caller instead of the market feed, for a
 * session recording the exact events its engine consumed: push them with
 * kantor_collection_run_push() and end it with
 * kantor_collection_manager_stop_async(). @source names the feed in
 * meta.json. Returns a new ref. */
KantorCollectionRun  *kantor_collection_manager_start_recording
                                                           (KantorCollectionManager *self,
                                                            const char * const      *symbols,
                                                            const char              *source,
                                                            GError                 **error);
/* collection_stop: ends the run (STOPPED) once its buffered rows are on
 * disk; a run already ended is returned as it is. */
void                  kantor_collection_manager_stop_async (KantorCollectionManager *self,
                                                            const char              *id,
                                                            GAsyncReadyCallback      callback,
                                                            gpointer                 user_data);
/* Returns a new ref to the run. */
KantorCollectionRun  *kantor_collection_manager_stop_finish (KantorCollectionManager *self,
                                                             GAsyncResult            *result,
                                                             GError                 **error);

/* NULL when unknown (transfer none). */
KantorCollectionRun  *kantor_collection_manager_lookup     (KantorCollectionManager *self,
                                                            const char              *id);
/* Every run, oldest first (a new array of refs). */
GPtrArray            *kantor_collection_manager_list       (KantorCollectionManager *self);

/* Daemon shutdown, blocking: every active run writes out what it holds and
 * ends INTERRUPTED, and the store has their final state. */
void                  kantor_collection_manager_shutdown   (KantorCollectionManager *self);

G_END_DECLS
