/* kantor-collection-run.h: one recording of market events to disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kantor-market-event.h"

G_BEGIN_DECLS

typedef enum
{
  KANTOR_COLLECTION_STATE_STARTING = 0,  /* files being created */
  KANTOR_COLLECTION_STATE_RECORDING,
  KANTOR_COLLECTION_STATE_COMPLETED,     /* its duration ran out */
  KANTOR_COLLECTION_STATE_STOPPED,       /* collection_stop */
  KANTOR_COLLECTION_STATE_FAILED,        /* a file could not be created or written */
  KANTOR_COLLECTION_STATE_INTERRUPTED,   /* the server went down while it recorded */
} KantorCollectionState;

const char *kantor_collection_state_to_string   (KantorCollectionState  state);
gboolean    kantor_collection_state_from_string (const char            *str,
                                                 KantorCollectionState *state);
/* STARTING or RECORDING. */
gboolean    kantor_collection_state_is_active   (KantorCollectionState  state);

/* Buffered rows go to disk at least this often. */
#define KANTOR_COLLECTION_FLUSH_INTERVAL_MS 200
/* A flush starts early once this much is buffered. */
#define KANTOR_COLLECTION_FLUSH_BYTES       (4 * 1024 * 1024)
/* A run whose disk falls this far behind fails rather than let its buffer
 * eat the server's memory (or drop rows unnoticed). */
#define KANTOR_COLLECTION_MAX_BACKLOG       (256 * 1024 * 1024)

#define KANTOR_TYPE_COLLECTION_RUN (kantor_collection_run_get_type ())
G_DECLARE_FINAL_TYPE (KantorCollectionRun, kantor_collection_run, KANTOR, COLLECTION_RUN, GObject)

/* A new run in state STARTING writing to @path (the session_<id> folder).
 * @symbols are valid upper-case symbols without duplicates; @duration_ms 0
 * is "continuous". Times are epoch milliseconds. */
KantorCollectionRun  *kantor_collection_run_new          (const char          *id,
                                                          const char * const  *symbols,
                                                          const char          *duration,
                                                          gint64               duration_ms,
                                                          const char          *source,
                                                          const char          *path,
                                                          gint64               started_at);
/* A run known from the store, in @state, with the rows per symbol of
 * @records (symbol -> integer; may be NULL) and @bytes on disk. */
KantorCollectionRun  *kantor_collection_run_new_restored (const char          *id,
                                                          const char * const  *symbols,
                                                          const char          *duration,
                                                          gint64               duration_ms,
                                                          const char          *source,
                                                          const char          *path,
                                                          gint64               started_at,
                                                          KantorCollectionState state,
                                                          gint64               ended_at,
                                                          JsonObject          *records,
                                                          guint64              bytes,
                                                          const char          *error_message);

const char           *kantor_collection_run_get_id       (KantorCollectionRun *self);
const char * const   *kantor_collection_run_get_symbols  (KantorCollectionRun *self);
const char           *kantor_collection_run_get_duration (KantorCollectionRun *self);
gint64                kantor_collection_run_get_duration_ms (KantorCollectionRun *self);
const char           *kantor_collection_run_get_source   (KantorCollectionRun *self);
const char           *kantor_collection_run_get_path     (KantorCollectionRun *self);
KantorCollectionState kantor_collection_run_get_state    (KantorCollectionRun *self);
gint64                kantor_collection_run_get_started_at (KantorCollectionRun *self);
/* started_at + duration; 0 for a continuous run. */
gint64                kantor_collection_run_get_ends_at  (KantorCollectionRun *self);
/* 0 while active. */
gint64                kantor_collection_run_get_ended_at (KantorCollectionRun *self);
/* Why it failed, NULL otherwise. */
const char           *kantor_collection_run_get_error_message (KantorCollectionRun *self);
/* Rows on disk (headers not counted) of @symbol, both files together. */
guint64               kantor_collection_run_get_records  (KantorCollectionRun *self,
                                                          const char          *symbol);
guint64               kantor_collection_run_get_records_total (KantorCollectionRun *self);
/* Bytes on disk of every CSV file, headers included. */
guint64               kantor_collection_run_get_bytes    (KantorCollectionRun *self);
/* Events pushed and not written because the reader would refuse them:
 * invalid (kantor_collection_append_trade()), or earlier than the last row
 * of their file (the reader refuses a file out of time order). Counted
 * since this start only. */
guint64               kantor_collection_run_get_dropped  (KantorCollectionRun *self);
/* Rows pushed but not yet on disk. */
guint64               kantor_collection_run_get_pending  (KantorCollectionRun *self);

/* The collection_status object of PROTOCOL.md §9 (also the store's
 * record). */
JsonObject           *kantor_collection_run_to_json      (KantorCollectionRun *self);
/* meta.json's contents (format in docs/COLLECTIONS.md). */
char                 *kantor_collection_run_dup_meta     (KantorCollectionRun *self);

/* Creates the folders and the files with their headers and meta.json, on a
 * worker thread; then the run is RECORDING. On failure the run is FAILED
 * with the error's message, and the error is returned. */
void                  kantor_collection_run_open_async   (KantorCollectionRun *self,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean              kantor_collection_run_open_finish  (KantorCollectionRun *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* Records @event (its symbol must be one of the run's; others are ignored).
 * Main loop only; never blocks: the row goes into a buffer that a worker
 * thread writes out within KANTOR_COLLECTION_FLUSH_INTERVAL_MS. Ignored
 * unless RECORDING. This is also the entry point for a session recording
 * the exact events its engine consumed. */
void                  kantor_collection_run_push         (KantorCollectionRun     *self,
                                                          const KantorMarketEvent *event);

/* Stops taking events, writes out what is buffered, syncs and closes the
 * files, rewrites meta.json and moves to @state (COMPLETED, STOPPED or
 * INTERRUPTED; FAILED instead when the last writes fail). Harmless on a run
 * that is no longer active. */
void                  kantor_collection_run_finish_async (KantorCollectionRun   *self,
                                                          KantorCollectionState  state,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
gboolean              kantor_collection_run_finish_finish (KantorCollectionRun *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
/* The same, blocking (daemon shutdown): waits for a flush in flight. */
void                  kantor_collection_run_finish_sync  (KantorCollectionRun   *self,
                                                          KantorCollectionState  state);

/* After a crash: cuts every CSV file of the run back to its last complete
 * line (a power loss may leave a partial one; a killed process does not),
 * counts the rows and bytes, moves the run to INTERRUPTED and rewrites
 * meta.json. Blocking file I/O: call it off the main loop. */
gboolean              kantor_collection_run_recover      (KantorCollectionRun *self,
                                                          GError             **error);

G_END_DECLS
