/* kantor-monitor-ticker.c: the latest market data of one symbol
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-ticker.h"
#include "kantor-monitor-util.h"

struct _KantorMonitorTicker
{
  GObject  parent_instance;

  char    *symbol;
  double   price;
  double   volume;
  double   open;
  gboolean has_book;
  double   bid;
  double   ask;
  int      direction;
  gint64   updated_at;
  guint64  n_trades;
};

G_DEFINE_FINAL_TYPE (KantorMonitorTicker, kantor_monitor_ticker, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_SYMBOL,
  PROP_PRICE,
  PROP_VOLUME,
  PROP_HAS_BOOK,
  PROP_BID,
  PROP_ASK,
  PROP_CHANGE,
  PROP_CHANGE_PERCENT,
  PROP_DIRECTION,
  PROP_UPDATED_AT,
  PROP_N_TRADES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A number, or FALSE when the member is absent or null (a book not seen
 * yet is null on the wire, never a made-up zero). */
static gboolean
get_number (JsonObject *obj,
            const char *name,
            double     *value)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      *value = json_node_get_double (node);
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
kantor_monitor_ticker_update (KantorMonitorTicker *self,
                              JsonObject          *market_data)
{
  double price, value, bid = 0, ask = 0, change_before, percent_before;
  gboolean has_book;
  gint64 time_ms = 0;
  int direction;

  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), FALSE);
  g_return_val_if_fail (market_data != NULL, FALSE);

  if (!get_number (market_data, "price", &price))
    return FALSE;
  if (get_number (market_data, "timestamp", &value))
    time_ms = (gint64) value;
  /* A replayed item after a reconnect may be older than what we hold. */
  if (time_ms != 0 && time_ms < self->updated_at)
    return FALSE;

  change_before = kantor_monitor_ticker_get_change (self);
  percent_before = kantor_monitor_ticker_get_change_percent (self);

  g_object_freeze_notify (G_OBJECT (self));

  if (self->n_trades == 0)
    self->open = price;
  direction = self->n_trades == 0 || price == self->price ? 0 : (price > self->price ? 1 : -1);
  if (direction != self->direction)
    {
      self->direction = direction;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRECTION]);
    }
  kantor_monitor_notify_double (self, &self->price, price, properties[PROP_PRICE]);
  if (get_number (market_data, "volume", &value))
    kantor_monitor_notify_double (self, &self->volume, value, properties[PROP_VOLUME]);

  has_book = get_number (market_data, "best_bid", &bid) &&
             get_number (market_data, "best_ask", &ask);
  if (!has_book)
    bid = ask = 0;
  if (has_book != self->has_book)
    {
      self->has_book = has_book;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_BOOK]);
    }
  kantor_monitor_notify_double (self, &self->bid, bid, properties[PROP_BID]);
  kantor_monitor_notify_double (self, &self->ask, ask, properties[PROP_ASK]);

  if (time_ms != self->updated_at)
    {
      self->updated_at = time_ms;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
    }
  self->n_trades++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TRADES]);
  if (change_before != kantor_monitor_ticker_get_change (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHANGE]);
  if (percent_before != kantor_monitor_ticker_get_change_percent (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHANGE_PERCENT]);

  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

KantorMonitorTicker *
kantor_monitor_ticker_new (const char *symbol)
{
  g_return_val_if_fail (symbol != NULL, NULL);
  return g_object_new (KANTOR_TYPE_MONITOR_TICKER, "symbol", symbol, NULL);
}

const char *
kantor_monitor_ticker_get_symbol (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), NULL);
  return self->symbol;
}

double
kantor_monitor_ticker_get_price (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  return self->price;
}

double
kantor_monitor_ticker_get_volume (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  return self->volume;
}

gboolean
kantor_monitor_ticker_get_has_book (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), FALSE);
  return self->has_book;
}

double
kantor_monitor_ticker_get_bid (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  return self->bid;
}

double
kantor_monitor_ticker_get_ask (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  return self->ask;
}

double
kantor_monitor_ticker_get_change (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  return self->n_trades > 0 ? self->price - self->open : 0;
}

double
kantor_monitor_ticker_get_change_percent (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  if (self->n_trades == 0 || self->open == 0)
    return 0;
  return (self->price - self->open) / self->open * 100.0;
}

int
kantor_monitor_ticker_get_direction (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  return self->direction;
}

gint64
kantor_monitor_ticker_get_updated_at (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  return self->updated_at;
}

guint64
kantor_monitor_ticker_get_n_trades (KantorMonitorTicker *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_TICKER (self), 0);
  return self->n_trades;
}

static void
kantor_monitor_ticker_finalize (GObject *object)
{
  KantorMonitorTicker *self = KANTOR_MONITOR_TICKER (object);

  g_free (self->symbol);

  G_OBJECT_CLASS (kantor_monitor_ticker_parent_class)->finalize (object);
}

static void
kantor_monitor_ticker_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  KantorMonitorTicker *self = KANTOR_MONITOR_TICKER (object);

  switch (prop_id)
    {
    case PROP_SYMBOL:
      g_value_set_string (value, self->symbol);
      break;
    case PROP_PRICE:
      g_value_set_double (value, self->price);
      break;
    case PROP_VOLUME:
      g_value_set_double (value, self->volume);
      break;
    case PROP_HAS_BOOK:
      g_value_set_boolean (value, self->has_book);
      break;
    case PROP_BID:
      g_value_set_double (value, self->bid);
      break;
    case PROP_ASK:
      g_value_set_double (value, self->ask);
      break;
    case PROP_CHANGE:
      g_value_set_double (value, kantor_monitor_ticker_get_change (self));
      break;
    case PROP_CHANGE_PERCENT:
      g_value_set_double (value, kantor_monitor_ticker_get_change_percent (self));
      break;
    case PROP_DIRECTION:
      g_value_set_int (value, self->direction);
      break;
    case PROP_UPDATED_AT:
      g_value_set_int64 (value, self->updated_at);
      break;
    case PROP_N_TRADES:
      g_value_set_uint64 (value, self->n_trades);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_monitor_ticker_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  KantorMonitorTicker *self = KANTOR_MONITOR_TICKER (object);

  switch (prop_id)
    {
    case PROP_SYMBOL:
      self->symbol = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_monitor_ticker_class_init (KantorMonitorTickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kantor_monitor_ticker_finalize;
  object_class->get_property = kantor_monitor_ticker_get_property;
  object_class->set_property = kantor_monitor_ticker_set_property;

  properties[PROP_SYMBOL] =
    g_param_spec_string ("symbol", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PRICE] =
    g_param_spec_double ("price", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_VOLUME] =
    g_param_spec_double ("volume", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_HAS_BOOK] = g_param_spec_boolean ("has-book", NULL, NULL, FALSE, ro);
  properties[PROP_BID] = g_param_spec_double ("bid", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_ASK] = g_param_spec_double ("ask", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_CHANGE] =
    g_param_spec_double ("change", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_CHANGE_PERCENT] =
    g_param_spec_double ("change-percent", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_DIRECTION] = g_param_spec_int ("direction", NULL, NULL, -1, 1, 0, ro);
  properties[PROP_UPDATED_AT] =
    g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_N_TRADES] =
    g_param_spec_uint64 ("n-trades", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kantor_monitor_ticker_init (KantorMonitorTicker *self)
{
}
