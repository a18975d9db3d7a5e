/* kantor-monitor-log-entry.h: one alert or signal in the monitor's log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  KANTOR_MONITOR_LOG_ALERT,
  KANTOR_MONITOR_LOG_SIGNAL,
  KANTOR_MONITOR_LOG_CONNECTION,
} KantorMonitorLogKind;

#define KANTOR_TYPE_MONITOR_LOG_KIND (kantor_monitor_log_kind_get_type ())
GType kantor_monitor_log_kind_get_type (void);

#define KANTOR_TYPE_MONITOR_LOG_ENTRY (kantor_monitor_log_entry_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorLogEntry, kantor_monitor_log_entry, KANTOR, MONITOR_LOG_ENTRY,
                      GObject)

/* From an alert message {alert, severity, session_id, symbol?, message};
 * NULL when it names no alert. A missing severity is the kind's usual
 * one. */
KantorMonitorLogEntry *kantor_monitor_log_entry_new_from_alert  (JsonObject *msg);
/* From a signals stream item {signal: {type, strategy, symbol, timestamp,
 * price, side?}}; NULL when it has no signal. */
KantorMonitorLogEntry *kantor_monitor_log_entry_new_from_signal (JsonObject *msg);
/* The monitor's own events (the connection lost, restored). */
KantorMonitorLogEntry *kantor_monitor_log_entry_new             (KantorMonitorLogKind  kind,
                                                                 const char           *name,
                                                                 const char           *severity,
                                                                 const char           *message);

KantorMonitorLogKind kantor_monitor_log_entry_get_kind       (KantorMonitorLogEntry *self);
/* The alert kind (feed_down, ...) or the signal type (z1_entry, ...). */
const char  *kantor_monitor_log_entry_get_name       (KantorMonitorLogEntry *self);
/* "info", "warning" or "critical". */
const char  *kantor_monitor_log_entry_get_severity   (KantorMonitorLogEntry *self);
const char  *kantor_monitor_log_entry_get_session_id (KantorMonitorLogEntry *self);
const char  *kantor_monitor_log_entry_get_symbol     (KantorMonitorLogEntry *self);
const char  *kantor_monitor_log_entry_get_strategy   (KantorMonitorLogEntry *self);
const char  *kantor_monitor_log_entry_get_message    (KantorMonitorLogEntry *self);
/* Epoch milliseconds. */
gint64       kantor_monitor_log_entry_get_time       (KantorMonitorLogEntry *self);
/* The stream seq of a signal, 0 otherwise. */
guint64      kantor_monitor_log_entry_get_seq        (KantorMonitorLogEntry *self);

G_END_DECLS
