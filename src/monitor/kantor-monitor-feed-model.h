/* kantor-monitor-feed-model.h: a monitor feed that is a list model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-monitor-feed.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_MONITOR_FEED_MODEL (kantor_monitor_feed_model_get_type ())
G_DECLARE_DERIVABLE_TYPE (KantorMonitorFeedModel, kantor_monitor_feed_model, KANTOR,
                          MONITOR_FEED_MODEL, KantorMonitorFeed)

/* A GListModel kept in a GListStore that the subclass orders and fills: the
 * model is the store's view. */
struct _KantorMonitorFeedModelClass
{
  KantorMonitorFeedClass parent_class;

  GType                  item_type;  /* set by the subclass's class_init */

  gpointer               padding[4];
};

/* (transfer none) */
GListStore *kantor_monitor_feed_model_get_store (KantorMonitorFeedModel *self);

G_END_DECLS
