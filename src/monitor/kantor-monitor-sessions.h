/* kantor-monitor-sessions.h: the sessions kantord runs, as a list model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-monitor-client.h"
#include "kantor-monitor-feed-model.h"
#include "kantor-monitor-session.h"

G_BEGIN_DECLS

/* How often an active session's results are asked for, by default. */
#define KANTOR_MONITOR_SESSIONS_RESULTS_INTERVAL_MS 5000

#define KANTOR_TYPE_MONITOR_SESSIONS (kantor_monitor_sessions_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorSessions, kantor_monitor_sessions, KANTOR, MONITOR_SESSIONS,
                      KantorMonitorFeedModel)

/* A GListModel of KantorMonitorSession, newest first. It asks for
 * session_status whenever @client becomes authenticated, follows the
 * session_state pushes (a session it has not seen is looked up), and asks
 * for each session's results when it ends and, while it runs, every
 * results interval. */
KantorMonitorSessions *kantor_monitor_sessions_new    (KantorMonitorClient   *client);
/* (transfer none) (nullable) */
KantorMonitorSession  *kantor_monitor_sessions_lookup (KantorMonitorSessions *self,
                                                       const char            *session_id);
/* Asks for session_status again now. */
void                   kantor_monitor_sessions_refresh (KantorMonitorSessions *self);
/* 0 stops polling the results of active sessions (ended sessions' results
 * are still fetched once). */
void                   kantor_monitor_sessions_set_results_interval (KantorMonitorSessions *self,
                                                                     guint                  ms);
/* Requests sent and not answered yet. */
guint                  kantor_monitor_sessions_get_n_pending (KantorMonitorSessions *self);

G_END_DECLS
