/* kantor-monitor-tickers.c: live prices per symbol, as a list model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-tickers.h"

struct _KantorMonitorTickers
{
  GObject              parent_instance;

  KantorMonitorClient *client;
  char               **symbols;
  GListStore          *store;
  GHashTable          *by_symbol;   /* symbol -> KantorMonitorTicker, the store's */
  GCancellable        *cancellable;
  gboolean             subscribing;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KantorMonitorTickers, kantor_monitor_tickers, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static int
compare_tickers (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return g_strcmp0 (kantor_monitor_ticker_get_symbol ((KantorMonitorTicker *) a),
                    kantor_monitor_ticker_get_symbol ((KantorMonitorTicker *) b));
}

static void
on_market_data (KantorMonitorClient  *client,
                const char           *stream,
                JsonObject           *msg,
                KantorMonitorTickers *self)
{
  JsonNode *node = json_object_get_member (msg, "market_data");
  JsonObject *md;
  const char *symbol;
  KantorMonitorTicker *ticker;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  md = json_node_get_object (node);
  symbol = json_object_get_string_member_with_default (md, "symbol", NULL);
  if (symbol == NULL)
    return;

  ticker = g_hash_table_lookup (self->by_symbol, symbol);
  if (ticker == NULL)
    {
      g_autoptr(KantorMonitorTicker) fresh = kantor_monitor_ticker_new (symbol);

      /* Filled before it is shown: a row never displays an empty ticker. */
      if (!kantor_monitor_ticker_update (fresh, md))
        return;
      g_hash_table_insert (self->by_symbol, g_strdup (symbol), fresh);
      g_list_store_insert_sorted (self->store, fresh, compare_tickers, NULL);
      return;
    }
  kantor_monitor_ticker_update (ticker, md);
}

static void
subscribe_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  KantorMonitorTickers *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  reply = kantor_monitor_client_subscribe_finish (KANTOR_MONITOR_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->subscribing = FALSE;
  if (reply == NULL)
    {
      g_warning ("market_data subscription: %s", error->message);
      return;
    }
}

static void
maybe_subscribe (KantorMonitorTickers *self)
{
  g_autoptr(JsonObject) params = json_object_new ();

  /* After a reconnect the client renews the subscription itself; after a
   * new login it has forgotten it. */
  if (kantor_monitor_client_is_subscribed (self->client, "market_data") || self->subscribing ||
      kantor_monitor_client_get_state (self->client) != KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED)
    return;
  if (self->symbols != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; self->symbols[i] != NULL; i++)
        json_array_add_string_element (array, self->symbols[i]);
      json_object_set_array_member (params, "symbols", array);
    }
  self->subscribing = TRUE;
  kantor_monitor_client_subscribe_async (self->client, "market_data", params, self->cancellable,
                                         subscribe_cb, self);
}

static void
on_client_state (KantorMonitorClient  *client,
                 GParamSpec           *pspec,
                 KantorMonitorTickers *self)
{
  maybe_subscribe (self);
}

KantorMonitorTickers *
kantor_monitor_tickers_new (KantorMonitorClient *client,
                            const char * const  *symbols)
{
  KantorMonitorTickers *self;

  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (client), NULL);

  self = g_object_new (KANTOR_TYPE_MONITOR_TICKERS, NULL);
  self->client = g_object_ref (client);
  self->symbols = g_strdupv ((char **) symbols);
  g_signal_connect_object (client, "stream-item::market_data", G_CALLBACK (on_market_data), self,
                           0);
  g_signal_connect_object (client, "notify::state", G_CALLBACK (on_client_state), self, 0);
  maybe_subscribe (self);
  return self;
}

KantorMonitorTicker *
kantor_monitor_tickers_lookup (KantorMonitorTickers *self,
                               const char           *symbol)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKERS (self), NULL);
  return g_hash_table_lookup (self->by_symbol, symbol);
}

gboolean
kantor_monitor_tickers_is_subscribed (KantorMonitorTickers *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKERS (self), FALSE);
  return kantor_monitor_client_is_subscribed (self->client, "market_data");
}

/* GListModel ---------------------------------------------------------------- */

static GType
get_item_type (GListModel *model)
{
  return KANTOR_TYPE_MONITOR_TICKER;
}

static guint
get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (KANTOR_MONITOR_TICKERS (model)->store));
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (KANTOR_MONITOR_TICKERS (model)->store), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
on_store_items_changed (GListModel           *store,
                        guint                 position,
                        guint                 removed,
                        guint                 added,
                        KantorMonitorTickers *self)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

static void
kantor_monitor_tickers_dispose (GObject *object)
{
  KantorMonitorTickers *self = KANTOR_MONITOR_TICKERS (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (kantor_monitor_tickers_parent_class)->dispose (object);
}

static void
kantor_monitor_tickers_finalize (GObject *object)
{
  KantorMonitorTickers *self = KANTOR_MONITOR_TICKERS (object);

  g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_pointer (&self->by_symbol, g_hash_table_unref);
  g_clear_pointer (&self->symbols, g_strfreev);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (kantor_monitor_tickers_parent_class)->finalize (object);
}

static void
kantor_monitor_tickers_class_init (KantorMonitorTickersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_monitor_tickers_dispose;
  object_class->finalize = kantor_monitor_tickers_finalize;
}

static void
kantor_monitor_tickers_init (KantorMonitorTickers *self)
{
  self->store = g_list_store_new (KANTOR_TYPE_MONITOR_TICKER);
  self->by_symbol = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self->store, "items-changed", G_CALLBACK (on_store_items_changed), self);
}
