/* kantor-store.h: the SQLite state store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define KANTOR_STORE_ERROR (kantor_store_error_quark ())

typedef enum
{
  KANTOR_STORE_ERROR_OPEN,         /* the database cannot be opened or created */
  KANTOR_STORE_ERROR_SCHEMA,       /* a migration failed, or the schema is newer than us */
  KANTOR_STORE_ERROR_SQL,          /* a statement failed; the message is SQLite's */
  KANTOR_STORE_ERROR_CONSTRAINT,   /* a UNIQUE, FOREIGN KEY, CHECK or NOT NULL violation */
  KANTOR_STORE_ERROR_BUSY,         /* still locked after the busy timeout */
  KANTOR_STORE_ERROR_CLOSED,       /* the store was closed */
} KantorStoreError;

GQuark kantor_store_error_quark (void);

#define KANTOR_TYPE_STORE (kantor_store_get_type ())
G_DECLARE_FINAL_TYPE (KantorStore, kantor_store, KANTOR, STORE, GObject)

/* Runs on the store's own thread, the only one that touches the
 * connection. Returns the result handed to _finish (NULL is a valid result
 * when @error is left unset). */
typedef gpointer (*KantorStoreFunc) (KantorStore  *store,
                                     gpointer      data,
                                     GError      **error);

/* Opens or creates @path (its folder is created with mode 0700), in WAL
 * mode with foreign keys on, and brings the schema up to date. Blocking. */
KantorStore   *kantor_store_new              (const char          *path,
                                              GError             **error);
const char    *kantor_store_get_path         (KantorStore         *self);
/* The schema version now in effect (PRAGMA user_version). */
guint          kantor_store_get_schema_version (KantorStore       *self);
/* The schema version this build migrates to. */
guint          kantor_store_get_latest_schema_version (void);

/* Queues @func; jobs run one at a time in the order they were queued and
 * @callback runs in the thread-default main context of the caller. @data is
 * freed with @data_destroy on the calling side of the queue once the job is
 * done. A job whose @cancellable is cancelled before it starts does not
 * run. */
void           kantor_store_run_async        (KantorStore         *self,
                                              KantorStoreFunc      func,
                                              gpointer             data,
                                              GDestroyNotify       data_destroy,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* As kantor_store_run_async(); @result_destroy frees a result nobody
 * collected (the job was cancelled after it ran). */
void           kantor_store_run_full_async   (KantorStore         *self,
                                              KantorStoreFunc      func,
                                              gpointer             data,
                                              GDestroyNotify       data_destroy,
                                              GDestroyNotify       result_destroy,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gpointer       kantor_store_run_finish       (KantorStore         *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Blocks until @func has run on the store thread (for start-up and command
 * line tools; never on the main loop of a running daemon). From inside a
 * KantorStoreFunc it calls @func directly. */
gpointer       kantor_store_run_sync         (KantorStore         *self,
                                              KantorStoreFunc      func,
                                              gpointer             data,
                                              GError             **error);

/* Waits for every queued job, then finalizes the statements and closes the
 * connection. Later jobs fail with KANTOR_STORE_ERROR_CLOSED. Idempotent;
 * dispose calls it. */
void           kantor_store_close            (KantorStore         *self);
gboolean       kantor_store_is_closed        (KantorStore         *self);

/* --- Only inside a KantorStoreFunc --- */

/* A statement prepared once and cached by its SQL text, returned reset and
 * with its bindings cleared. Owned by the store: never finalize it. Values
 * go in through bindings, never into @sql: each distinct text stays cached
 * for the life of the connection. */
sqlite3_stmt  *kantor_store_prepare          (KantorStore         *self,
                                              const char          *sql,
                                              GError             **error);
/* sqlite3_step() with the error mapped: returns SQLITE_ROW or SQLITE_DONE,
 * or 0 with @error set. */
int            kantor_store_step             (KantorStore         *self,
                                              sqlite3_stmt        *stmt,
                                              GError             **error);
/* Runs one or more statements that return no rows (schema changes). */
gboolean       kantor_store_exec             (KantorStore         *self,
                                              const char          *sql,
                                              GError             **error);
/* BEGIN IMMEDIATE: takes the write lock up front so that a transaction never
 * fails half-way on a lock upgrade. */
gboolean       kantor_store_begin            (KantorStore         *self,
                                              GError             **error);
gboolean       kantor_store_commit           (KantorStore         *self,
                                              GError             **error);
/* Safe to call when no transaction is open; never fails. */
void           kantor_store_rollback         (KantorStore         *self);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
gint64         kantor_store_changes          (KantorStore         *self);
/* The raw connection, for what the helpers above do not cover. */
sqlite3       *kantor_store_get_db           (KantorStore         *self);

G_END_DECLS
