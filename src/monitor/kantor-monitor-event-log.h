/* kantor-monitor-event-log.h: alerts and signals, newest first, bounded
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-monitor-client.h"
#include "kantor-monitor-feed-model.h"
#include "kantor-monitor-log-entry.h"

G_BEGIN_DECLS

#define KANTOR_MONITOR_EVENT_LOG_DEFAULT_MAX 500

#define KANTOR_TYPE_MONITOR_EVENT_LOG (kantor_monitor_event_log_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorEventLog, kantor_monitor_event_log, KANTOR, MONITOR_EVENT_LOG,
                      KantorMonitorFeedModel)

/* A GListModel of KantorMonitorLogEntry, newest first, holding at most
 * @max (the oldest go). It takes @client's alerts, the items of
 * a signals subscription it makes once @client is authenticated, items
 * lost to a reconnect (resume gaps) and the connection being lost and
 * restored. */
KantorMonitorEventLog *kantor_monitor_event_log_new             (KantorMonitorClient   *client,
                                                                 guint                  max);
guint                  kantor_monitor_event_log_get_max_entries (KantorMonitorEventLog *self);
/* Adds @entry at the top (also for the window's own notes). */
void                   kantor_monitor_event_log_add             (KantorMonitorEventLog *self,
                                                                 KantorMonitorLogEntry *entry);
void                   kantor_monitor_event_log_clear           (KantorMonitorEventLog *self);

G_END_DECLS
