/* kantor-monitor-feed-model.c: a monitor feed that is a list model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-feed-model.h"

typedef struct
{
  GListStore *store;
} KantorMonitorFeedModelPrivate;

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (KantorMonitorFeedModel, kantor_monitor_feed_model,
                         KANTOR_TYPE_MONITOR_FEED,
                         G_ADD_PRIVATE (KantorMonitorFeedModel)
                         G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static inline KantorMonitorFeedModelPrivate *
get_priv (gpointer model)
{
  return kantor_monitor_feed_model_get_instance_private (KANTOR_MONITOR_FEED_MODEL (model));
}

GListStore *
kantor_monitor_feed_model_get_store (KantorMonitorFeedModel *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_FEED_MODEL (self), NULL);
  return get_priv (self)->store;
}

/* GListModel ---------------------------------------------------------------- */

static GType
get_item_type (GListModel *model)
{
  return KANTOR_MONITOR_FEED_MODEL_GET_CLASS (model)->item_type;
}

static guint
get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (get_priv (model)->store));
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (get_priv (model)->store), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
on_store_items_changed (GListModel             *store,
                        guint                   position,
                        guint                   removed,
                        guint                   added,
                        KantorMonitorFeedModel *self)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

/* GObject ------------------------------------------------------------------- */

static void
kantor_monitor_feed_model_constructed (GObject *object)
{
  KantorMonitorFeedModelPrivate *priv = get_priv (object);

  G_OBJECT_CLASS (kantor_monitor_feed_model_parent_class)->constructed (object);

  /* Not in init: the instance's class is the subclass only from here. */
  priv->store = g_list_store_new (KANTOR_MONITOR_FEED_MODEL_GET_CLASS (object)->item_type);
  g_signal_connect (priv->store, "items-changed", G_CALLBACK (on_store_items_changed), object);
}

static void
kantor_monitor_feed_model_finalize (GObject *object)
{
  KantorMonitorFeedModelPrivate *priv = get_priv (object);

  g_signal_handlers_disconnect_by_data (priv->store, object);
  g_clear_object (&priv->store);

  G_OBJECT_CLASS (kantor_monitor_feed_model_parent_class)->finalize (object);
}

static void
kantor_monitor_feed_model_class_init (KantorMonitorFeedModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = kantor_monitor_feed_model_constructed;
  object_class->finalize = kantor_monitor_feed_model_finalize;
  klass->item_type = G_TYPE_OBJECT;
}

static void
kantor_monitor_feed_model_init (KantorMonitorFeedModel *self)
{
}
