/* kantor-monitor-feed.h: what follows one stream of a monitor client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-monitor-client.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_MONITOR_FEED (kantor_monitor_feed_get_type ())
G_DECLARE_DERIVABLE_TYPE (KantorMonitorFeed, kantor_monitor_feed, KANTOR, MONITOR_FEED, GObject)

/* The base of the monitor's models: holds the client, a cancellable for the
 * requests a model makes, and on dispose cancels them and disconnects every
 * handler the model connected to the client with itself as data. */
struct _KantorMonitorFeedClass
{
  GObjectClass parent_class;

  gpointer     padding[4];
};

/* Once, from the subclass's constructor. */
void                 kantor_monitor_feed_set_client      (KantorMonitorFeed   *self,
                                                          KantorMonitorClient *client);
/* (transfer none) */
KantorMonitorClient *kantor_monitor_feed_get_client      (KantorMonitorFeed *self);
/* (transfer none) */
GCancellable        *kantor_monitor_feed_get_cancellable (KantorMonitorFeed *self);
/* Subscribes the client to @stream with @params (nullable) unless it is
 * subscribed already, a subscription is on its way or the client is not
 * authenticated. After a reconnect the client renews its subscriptions
 * itself; after a new login it has forgotten them. */
void                 kantor_monitor_feed_subscribe       (KantorMonitorFeed *self,
                                                          const char        *stream,
                                                          JsonObject        *params);

G_END_DECLS
