/* kantor-monitor-feed.c: what follows one stream of a monitor client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-feed.h"

typedef struct
{
  KantorMonitorClient *client;
  GCancellable        *cancellable;
  char                *stream;       /* the last one subscribed to */
  gboolean             subscribing;
} KantorMonitorFeedPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (KantorMonitorFeed, kantor_monitor_feed, G_TYPE_OBJECT)

void
kantor_monitor_feed_set_client (KantorMonitorFeed   *self,
                                KantorMonitorClient *client)
{
  KantorMonitorFeedPrivate *priv = kantor_monitor_feed_get_instance_private (self);

  g_return_if_fail (KANTOR_IS_MONITOR_FEED (self));
  g_return_if_fail (KANTOR_IS_MONITOR_CLIENT (client));
  g_return_if_fail (priv->client == NULL);

  priv->client = g_object_ref (client);
}

KantorMonitorClient *
kantor_monitor_feed_get_client (KantorMonitorFeed *self)
{
  KantorMonitorFeedPrivate *priv = kantor_monitor_feed_get_instance_private (self);

  g_return_val_if_fail (KANTOR_IS_MONITOR_FEED (self), NULL);
  return priv->client;
}

GCancellable *
kantor_monitor_feed_get_cancellable (KantorMonitorFeed *self)
{
  KantorMonitorFeedPrivate *priv = kantor_monitor_feed_get_instance_private (self);

  g_return_val_if_fail (KANTOR_IS_MONITOR_FEED (self), NULL);
  return priv->cancellable;
}

static void
subscribe_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  KantorMonitorFeed *self = user_data;
  KantorMonitorFeedPrivate *priv;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  reply = kantor_monitor_client_subscribe_finish (KANTOR_MONITOR_CLIENT (source), result, &error);
  /* Cancelled: the feed is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  priv = kantor_monitor_feed_get_instance_private (self);
  priv->subscribing = FALSE;
  if (reply == NULL)
    g_warning ("%s subscription: %s", priv->stream, error->message);
}

void
kantor_monitor_feed_subscribe (KantorMonitorFeed *self,
                               const char        *stream,
                               JsonObject        *params)
{
  KantorMonitorFeedPrivate *priv = kantor_monitor_feed_get_instance_private (self);

  g_return_if_fail (KANTOR_IS_MONITOR_FEED (self));
  g_return_if_fail (stream != NULL);

  if (priv->client == NULL || priv->subscribing ||
      kantor_monitor_client_get_state (priv->client) != KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED ||
      kantor_monitor_client_is_subscribed (priv->client, stream))
    return;
  priv->subscribing = TRUE;
  g_free (priv->stream);
  priv->stream = g_strdup (stream);
  kantor_monitor_client_subscribe_async (priv->client, stream, params, priv->cancellable,
                                         subscribe_cb, self);
}

static void
kantor_monitor_feed_dispose (GObject *object)
{
  KantorMonitorFeed *self = KANTOR_MONITOR_FEED (object);
  KantorMonitorFeedPrivate *priv = kantor_monitor_feed_get_instance_private (self);

  g_cancellable_cancel (priv->cancellable);
  if (priv->client != NULL)
    g_signal_handlers_disconnect_by_data (priv->client, self);
  g_clear_object (&priv->client);

  G_OBJECT_CLASS (kantor_monitor_feed_parent_class)->dispose (object);
}

static void
kantor_monitor_feed_finalize (GObject *object)
{
  KantorMonitorFeed *self = KANTOR_MONITOR_FEED (object);
  KantorMonitorFeedPrivate *priv = kantor_monitor_feed_get_instance_private (self);

  g_clear_object (&priv->cancellable);
  g_free (priv->stream);

  G_OBJECT_CLASS (kantor_monitor_feed_parent_class)->finalize (object);
}

static void
kantor_monitor_feed_class_init (KantorMonitorFeedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_monitor_feed_dispose;
  object_class->finalize = kantor_monitor_feed_finalize;
}

static void
kantor_monitor_feed_init (KantorMonitorFeed *self)
{
  KantorMonitorFeedPrivate *priv = kantor_monitor_feed_get_instance_private (self);

  priv->cancellable = g_cancellable_new ();
}
