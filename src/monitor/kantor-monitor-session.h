/* kantor-monitor-session.h: what the monitor knows of one session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KANTOR_TYPE_MONITOR_SESSION (kantor_monitor_session_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorSession, kantor_monitor_session, KANTOR, MONITOR_SESSION,
                      GObject)

KantorMonitorSession *kantor_monitor_session_new         (const char           *session_id);

/* Takes the members present in @obj: a session object (session_started,
 * session_status) or a session_state push. Returns TRUE when anything
 * changed. */
gboolean     kantor_monitor_session_update               (KantorMonitorSession *self,
                                                          JsonObject           *obj);
/* Takes the metrics of a session_results reply's data. */
gboolean     kantor_monitor_session_update_results       (KantorMonitorSession *self,
                                                          JsonObject           *data);

const char  *kantor_monitor_session_get_id               (KantorMonitorSession *self);
/* "backtest", "paper", "live"; NULL while unknown. */
const char  *kantor_monitor_session_get_session_type     (KantorMonitorSession *self);
/* "starting", "running", ... (PROTOCOL §5); NULL while unknown. */
const char  *kantor_monitor_session_get_state            (KantorMonitorSession *self);
/* starting, running or paused. */
gboolean     kantor_monitor_session_is_active            (KantorMonitorSession *self);
const char * const *kantor_monitor_session_get_symbols   (KantorMonitorSession *self);
const char * const *kantor_monitor_session_get_strategies (KantorMonitorSession *self);
/* 0..1; negative while the end of the data is unknown. */
double       kantor_monitor_session_get_progress         (KantorMonitorSession *self);
guint64      kantor_monitor_session_get_events_processed (KantorMonitorSession *self);
/* Epoch milliseconds; 0 while unknown. */
gint64       kantor_monitor_session_get_created_at       (KantorMonitorSession *self);
const char  *kantor_monitor_session_get_error            (KantorMonitorSession *self);
/* The figures below are valid once results arrived. */
gboolean     kantor_monitor_session_get_has_results      (KantorMonitorSession *self);
double       kantor_monitor_session_get_net_pnl          (KantorMonitorSession *self);
double       kantor_monitor_session_get_realized_pnl     (KantorMonitorSession *self);
double       kantor_monitor_session_get_unrealized_pnl   (KantorMonitorSession *self);
guint        kantor_monitor_session_get_total_trades     (KantorMonitorSession *self);
double       kantor_monitor_session_get_win_rate         (KantorMonitorSession *self);

G_END_DECLS
