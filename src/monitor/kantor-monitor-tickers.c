/* kantor-monitor-tickers.c: live prices per symbol, as a list model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-tickers.h"
#include "kantor-monitor-util.h"

struct _KantorMonitorTickers
{
  KantorMonitorFeedModel   parent_instance;

  char                   **symbols;
  GListStore              *store;      /* the parent's */
  GHashTable              *by_symbol;  /* symbol -> KantorMonitorTicker, the store's */
};

G_DEFINE_FINAL_TYPE (KantorMonitorTickers, kantor_monitor_tickers, KANTOR_TYPE_MONITOR_FEED_MODEL)

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
  JsonObject *md = kantor_monitor_json_get_object (msg, "market_data");
  const char *symbol;
  KantorMonitorTicker *ticker;

  if (md == NULL)
    return;
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
maybe_subscribe (KantorMonitorTickers *self)
{
  g_autoptr(JsonObject) params = json_object_new ();

  if (self->symbols != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; self->symbols[i] != NULL; i++)
        json_array_add_string_element (array, self->symbols[i]);
      json_object_set_array_member (params, "symbols", array);
    }
  kantor_monitor_feed_subscribe (KANTOR_MONITOR_FEED (self), "market_data", params);
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
  kantor_monitor_feed_set_client (KANTOR_MONITOR_FEED (self), client);
  self->store = kantor_monitor_feed_model_get_store (KANTOR_MONITOR_FEED_MODEL (self));
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
  return kantor_monitor_client_is_subscribed (
    kantor_monitor_feed_get_client (KANTOR_MONITOR_FEED (self)), "market_data");
}

static void
kantor_monitor_tickers_finalize (GObject *object)
{
  KantorMonitorTickers *self = KANTOR_MONITOR_TICKERS (object);

  g_clear_pointer (&self->by_symbol, g_hash_table_unref);
  g_clear_pointer (&self->symbols, g_strfreev);

  G_OBJECT_CLASS (kantor_monitor_tickers_parent_class)->finalize (object);
}

static void
kantor_monitor_tickers_class_init (KantorMonitorTickersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  KANTOR_MONITOR_FEED_MODEL_CLASS (klass)->item_type = KANTOR_TYPE_MONITOR_TICKER;

  object_class->finalize = kantor_monitor_tickers_finalize;
}

static void
kantor_monitor_tickers_init (KantorMonitorTickers *self)
{
  self->by_symbol = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
