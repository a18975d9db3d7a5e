/* kantor-monitor-health.h: the server's health stream, as properties
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-monitor-client.h"
#include "kantor-monitor-feed.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_MONITOR_HEALTH (kantor_monitor_health_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorHealth, kantor_monitor_health, KANTOR, MONITOR_HEALTH,
                      KantorMonitorFeed)

/* Subscribes to the health stream once @client is authenticated and keeps
 * the latest report. feed_down and feed_restored alerts update the feed
 * state at once, between two reports. */
KantorMonitorHealth *kantor_monitor_health_new                   (KantorMonitorClient *client);
/* FALSE until the first report. */
gboolean     kantor_monitor_health_get_has_report                (KantorMonitorHealth *self);
/* The worst state of the server's feeds: "down" when any is down, else
 * the first feed's ("running", ...); NULL when the server has none. */
const char  *kantor_monitor_health_get_feed_state                (KantorMonitorHealth *self);
const char  *kantor_monitor_health_get_feed_name                 (KantorMonitorHealth *self);
double       kantor_monitor_health_get_events_per_second         (KantorMonitorHealth *self);
guint        kantor_monitor_health_get_connections               (KantorMonitorHealth *self);
guint        kantor_monitor_health_get_symbols_streamed          (KantorMonitorHealth *self);

G_END_DECLS
