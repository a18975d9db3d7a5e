/* kantor-session-store.h: sessions, their orders, signals and results in the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-session.h"
#include "kantor-store.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_SESSION_STORE (kantor_session_store_get_type ())
G_DECLARE_FINAL_TYPE (KantorSessionStore, kantor_session_store, KANTOR, SESSION_STORE, GObject)

KantorSessionStore *kantor_session_store_new        (KantorStore        *store);

/* Start-up only (blocks on the store thread): marks the sessions that were
 * starting, running or paused as interrupted (the server went down while
 * they ran) and returns every session, oldest first, as restored
 * KantorSessions. @n_interrupted (may be NULL) says how many were marked. */
GPtrArray          *kantor_session_store_load       (KantorSessionStore *self,
                                                     guint              *n_interrupted,
                                                     GError            **error);

/* Queues one write of @session: its row (state, end, error, final results)
 * and the orders and signals it produced since the last save, in one
 * transaction on the store thread. Never blocks; failures are logged. */
void                kantor_session_store_save       (KantorSessionStore *self,
                                                     KantorSession      *session);

/* Completes once every write queued before it is done. */
void                kantor_session_store_sync_async (KantorSessionStore *self,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
gboolean            kantor_session_store_sync_finish (KantorSessionStore *self,
                                                      GAsyncResult       *result,
                                                      GError            **error);

/* Rows written so far (for tests and diagnostics); blocking. */
gint64              kantor_session_store_count_rows (KantorSessionStore *self,
                                                     const char         *table,
                                                     const char         *session_id,
                                                     GError            **error);

G_END_DECLS
