/* kantor-stream-hub.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-envelope.h"
#include "kantor-json.h"
#include "kantor-market-source.h"
#include "kantor-stream-hub.h"

/* Everything runs on the main loop. An item is serialised and framed once;
 * the frame (a GBytes) goes to every matching subscriber and stays in the
 * ring buffers for seeding and resume. Subscribers are found through a
 * per-stream table keyed by interned symbol, plus a list of those who want
 * every symbol, so an item costs nothing for a connection that did not ask
 * for it. */

typedef struct
{
  guint64     seq;
  const char *symbol;      /* interned; NULL for items of no symbol (health) */
  char       *session_id;  /* NULL: none */
  char       *text;        /* the JSON, for the seeded variant */
  gsize       len;
  GBytes     *frame;
} Item;

typedef struct _Client Client;

typedef struct
{
  Client       *client;
  KantorStream  stream;
  GPtrArray    *symbols;     /* interned const char *; NULL: every symbol */
  char         *session_id;
  /* Backfill decided at subscribe time, sent by send_backfill(). */
  GPtrArray    *backfill;    /* Item * (refs), oldest first; NULL once sent */
  gboolean      seeded;      /* backfill items get seeded: true */
} Sub;

struct _Client
{
  KantorStreamHub        *hub;
  KantorClientConnection *connection;  /* ref */
  gulong                  closed_id;
  Sub                    *subs[KANTOR_N_STREAMS];
};

typedef struct
{
  KantorStream  id;
  guint64       last_seq;
  GQueue        ring;       /* Item *, oldest first, every symbol */
  GHashTable   *recent;     /* symbol ("" for none) -> GQueue of Item *, at most 5 */
  GHashTable   *by_symbol;  /* symbol -> GPtrArray of Sub * */
  GPtrArray    *everyone;   /* Sub * without a symbol filter */
  guint         n_subs;
} Stream;

/* A symbol the hub follows on the feed. */
typedef struct
{
  const char *symbol;         /* interned */
  guint       subscription;   /* feed subscription id, 0 while not watched */
  guint       refs;           /* subscribers naming it, watchers, a session */
  char       *session_id;     /* the consuming session, NULL when none */
  KantorQuote quote;
  gint64      last_event_us;  /* monotonic, 0 before the first */
  gint64      last_event_ms;  /* event time */
  gboolean    gap_raised;
} SymbolState;

struct _KantorStreamHub
{
  GObject                parent_instance;

  KantorMarketFeed      *feed;
  KantorStrategyManager *strategies;
  gulong                 feed_state_id;
  gulong                 signal_id;
  gulong                 indicators_id;
  KantorMarketFeedState  feed_state;

  Stream                 streams[KANTOR_N_STREAMS];
  guint                  ring_capacity;
  GHashTable            *clients;   /* KantorClientConnection * -> Client * */
  GHashTable            *symbols;   /* interned symbol -> SymbolState * */

  gsize                  soft_bound;
  gsize                  hard_bound;

  guint                  health_id;
  guint                  health_interval_ms;
  guint                  data_gap_ms;
  guint64                events_total;
  guint64                events_at_last_health;
  gint64                 last_health_us;
  guint64                alerts_total;

  /* A send can close a connection; its subscriptions are removed once the
   * delivery in progress is over, so the lists walked stay intact. */
  guint                  delivering;
  GPtrArray             *closed;    /* KantorClientConnection * (refs) */

  /* Connections corked by fan-out, uncorked at the next main-loop turn. */
  GPtrArray             *corked;    /* KantorClientConnection * (refs) */
  guint                  uncork_id;
};

G_DEFINE_FINAL_TYPE (KantorStreamHub, kantor_stream_hub, G_TYPE_OBJECT)

enum
{
  SIGNAL_ALERT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const stream_names[KANTOR_N_STREAMS] = {
  "market_data", "indicators", "signals", "orders", "health",
};

const char *
kantor_stream_to_string (KantorStream stream)
{
  if ((guint) stream >= KANTOR_N_STREAMS)
    return NULL;
  return stream_names[stream];
}

gboolean
kantor_stream_from_string (const char   *name,
                           KantorStream *stream)
{
  for (guint i = 0; i < KANTOR_N_STREAMS; i++)
    if (g_strcmp0 (name, stream_names[i]) == 0)
      {
        *stream = (KantorStream) i;
        return TRUE;
      }
  return FALSE;
}

/* market_data and indicators are the only items a slow consumer may lose. */
static KantorOutgoingKind
stream_kind (KantorStream stream)
{
  return stream == KANTOR_STREAM_MARKET_DATA || stream == KANTOR_STREAM_INDICATORS
         ? KANTOR_OUTGOING_DROPPABLE : KANTOR_OUTGOING_RELIABLE;
}

/* Items ------------------------------------------------------------------ */

static void
item_clear (gpointer data)
{
  Item *item = data;

  g_free (item->session_id);
  g_free (item->text);
  g_bytes_unref (item->frame);
}

static Item *
item_ref (Item *item)
{
  return g_rc_box_acquire (item);
}

static void
item_unref (gpointer item)
{
  g_rc_box_release_full (item, item_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Item, item_unref)

/* The same item with seeded: true, for a seed or a replay. */
static GBytes *
item_seeded_frame (Item *item)
{
  g_autoptr(GString) text = g_string_sized_new (item->len + 16);

  g_string_append_len (text, item->text, (gssize) item->len - 1);
  g_string_append (text, ",\"seeded\":true}");
  return kantor_client_connection_frame_text (text->str, text->len);
}

/* Opens an item: the envelope, stream, seq and session_id. */
static guint64
item_begin (KantorStreamHub *self,
            GString         *out,
            const char      *type,
            KantorStream     stream,
            const char      *session_id)
{
  guint64 seq = ++self->streams[stream].last_seq;

  kantor_envelope_begin (out, type, NULL);
  g_string_append (out, ",\"stream\":\"");
  g_string_append (out, stream_names[stream]);
  g_string_append_printf (out, "\",\"seq\":%" G_GUINT64_FORMAT ",\"session_id\":", seq);
  if (session_id != NULL)
    kantor_json_append_string (out, session_id);
  else
    g_string_append (out, "null");
  return seq;
}

/* Sub management --------------------------------------------------------- */

static gboolean
sub_matches (Sub  *sub,
             Item *item)
{
  if (sub->session_id != NULL && g_strcmp0 (sub->session_id, item->session_id) != 0)
    return FALSE;
  if (sub->symbols != NULL)
    {
      for (guint i = 0; i < sub->symbols->len; i++)
        if (g_ptr_array_index (sub->symbols, i) == item->symbol)
          return TRUE;
      return FALSE;
    }
  return TRUE;
}

static void watch_symbol (KantorStreamHub *self, const char *symbol, int delta);

static void
sub_free (Sub *sub)
{
  g_clear_pointer (&sub->symbols, g_ptr_array_unref);
  g_clear_pointer (&sub->backfill, g_ptr_array_unref);
  g_free (sub->session_id);
  g_free (sub);
}

static void
stream_unindex (KantorStreamHub *self,
                Sub             *sub)
{
  Stream *st = &self->streams[sub->stream];

  if (sub->symbols == NULL)
    {
      g_ptr_array_remove_fast (st->everyone, sub);
    }
  else
    {
      for (guint i = 0; i < sub->symbols->len; i++)
        {
          const char *symbol = g_ptr_array_index (sub->symbols, i);
          GPtrArray *list = g_hash_table_lookup (st->by_symbol, symbol);

          if (list != NULL)
            {
              g_ptr_array_remove_fast (list, sub);
              if (list->len == 0)
                g_hash_table_remove (st->by_symbol, symbol);
            }
          if (sub->stream == KANTOR_STREAM_MARKET_DATA)
            watch_symbol (self, symbol, -1);
        }
    }
  st->n_subs--;
}

static void
client_drop_sub (Client       *client,
                 KantorStream  stream)
{
  Sub *sub = client->subs[stream];

  if (sub == NULL)
    return;
  client->subs[stream] = NULL;
  stream_unindex (client->hub, sub);
  sub_free (sub);
}

static void
client_free (gpointer data)
{
  Client *client = data;

  for (guint i = 0; i < KANTOR_N_STREAMS; i++)
    client_drop_sub (client, (KantorStream) i);
  g_clear_signal_handler (&client->closed_id, client->connection);
  g_clear_object (&client->connection);
  g_free (client);
}

static gboolean
client_empty (Client *client)
{
  for (guint i = 0; i < KANTOR_N_STREAMS; i++)
    if (client->subs[i] != NULL)
      return FALSE;
  return TRUE;
}

static void
on_connection_closed (KantorClientConnection *connection,
                      KantorStreamHub        *self)
{
  if (self->delivering > 0)
    g_ptr_array_add (self->closed, g_object_ref (connection));
  else
    g_hash_table_remove (self->clients, connection);
}

static void
delivery_begin (KantorStreamHub *self)
{
  self->delivering++;
}

static void
delivery_end (KantorStreamHub *self)
{
  if (--self->delivering > 0)
    return;
  for (guint i = 0; i < self->closed->len; i++)
    g_hash_table_remove (self->clients, g_ptr_array_index (self->closed, i));
  g_ptr_array_set_size (self->closed, 0);
}

/* Delivery --------------------------------------------------------------- */

static void
uncork_all (KantorStreamHub *self)
{
  g_autoptr(GPtrArray) corked = g_steal_pointer (&self->corked);

  self->corked = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < corked->len; i++)
    kantor_client_connection_uncork (g_ptr_array_index (corked, i));
}

static gboolean
uncork_cb (gpointer user_data)
{
  KantorStreamHub *self = user_data;

  self->uncork_id = 0;
  uncork_all (self);
  return G_SOURCE_REMOVE;
}

/* Items published in one main-loop turn leave in one write per connection,
 * right at the start of the next turn (before any other I/O). */
static void
cork (KantorStreamHub        *self,
      KantorClientConnection *connection)
{
  if (!kantor_client_connection_cork (connection))
    return;
  g_ptr_array_add (self->corked, g_object_ref (connection));
  if (self->uncork_id == 0)
    self->uncork_id = g_idle_add_full (G_PRIORITY_HIGH, uncork_cb, self, NULL);
}

static void
deliver_to (KantorStreamHub   *self,
            GPtrArray         *subs,
            Item              *item,
            KantorOutgoingKind kind)
{
  if (subs == NULL)
    return;

  for (guint i = 0; i < subs->len; i++)
    {
      Sub *sub = g_ptr_array_index (subs, i);

      if (sub->session_id != NULL && g_strcmp0 (sub->session_id, item->session_id) != 0)
        continue;
      cork (self, sub->client->connection);
      kantor_client_connection_send_frame (sub->client->connection, item->frame, kind);
    }
}

/* Takes @text (a complete item), stores and delivers it. */
static guint64
item_publish (KantorStreamHub *self,
              KantorStream     stream,
              const char      *symbol,
              const char      *session_id,
              guint64          seq,
              GString         *text)
{
  Stream *st = &self->streams[stream];
  Item *item = g_rc_box_new0 (Item);
  GQueue *recent;
  const char *key = symbol != NULL ? symbol : "";

  item->seq = seq;
  item->symbol = symbol;
  item->session_id = g_strdup (session_id);
  item->len = text->len;
  item->frame = kantor_client_connection_frame_text (text->str, text->len);
  item->text = g_string_free (text, FALSE);

  g_queue_push_tail (&st->ring, item);
  while (st->ring.length > self->ring_capacity)
    item_unref (g_queue_pop_head (&st->ring));

  recent = g_hash_table_lookup (st->recent, key);
  if (recent == NULL)
    {
      recent = g_queue_new ();
      g_hash_table_insert (st->recent, (gpointer) key, recent);
    }
  g_queue_push_tail (recent, item_ref (item));
  if (recent->length > KANTOR_STREAM_SEED_ITEMS)
    item_unref (g_queue_pop_head (recent));

  if (st->n_subs > 0)
    {
      KantorOutgoingKind kind = stream_kind (stream);

      /* The ring holds a ref for the whole delivery. */
      item_ref (item);
      delivery_begin (self);
      if (symbol != NULL)
        deliver_to (self, g_hash_table_lookup (st->by_symbol, symbol), item, kind);
      deliver_to (self, st->everyone, item, kind);
      delivery_end (self);
      item_unref (item);
    }

  return seq;
}

/* Symbols and the feed --------------------------------------------------- */

static SymbolState *
symbol_state (KantorStreamHub *self,
              const char      *symbol)
{
  SymbolState *ss = g_hash_table_lookup (self->symbols, symbol);

  if (ss == NULL)
    {
      ss = g_new0 (SymbolState, 1);
      ss->symbol = symbol;
      g_hash_table_insert (self->symbols, (gpointer) symbol, ss);
    }
  return ss;
}

static void
symbol_state_free (gpointer data)
{
  SymbolState *ss = data;

  g_free (ss->session_id);
  g_free (ss);
}

static void
on_feed_event (KantorMarketFeed        *feed,
               const KantorMarketEvent *event,
               gpointer                 user_data)
{
  kantor_stream_hub_publish_market_event (user_data, event);
}

static void
watch_symbol (KantorStreamHub *self,
              const char      *symbol,
              int              delta)
{
  SymbolState *ss = symbol_state (self, symbol);

  if (delta < 0 && ss->refs == 0)
    return;
  ss->refs = (guint) ((int) ss->refs + delta);

  if (self->feed == NULL)
    return;
  if (ss->refs > 0 && ss->subscription == 0)
    {
      ss->subscription = kantor_market_feed_subscribe (self->feed, symbol, on_feed_event,
                                                       self, NULL);
      ss->last_event_us = g_get_monotonic_time ();
      ss->gap_raised = FALSE;
    }
  else if (ss->refs == 0 && ss->subscription != 0)
    {
      kantor_market_feed_unsubscribe (self->feed, ss->subscription);
      ss->subscription = 0;
    }
}

void
kantor_stream_hub_watch_symbol (KantorStreamHub *self,
                                const char      *symbol,
                                gboolean         watch)
{
  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));
  g_return_if_fail (kantor_symbol_is_valid (symbol));

  watch_symbol (self, g_intern_string (symbol), watch ? 1 : -1);
}

void
kantor_stream_hub_set_symbol_session (KantorStreamHub *self,
                                      const char      *symbol,
                                      const char      *session_id)
{
  SymbolState *ss;
  gboolean had;

  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));
  g_return_if_fail (kantor_symbol_is_valid (symbol));

  ss = symbol_state (self, g_intern_string (symbol));
  had = ss->session_id != NULL;
  g_free (ss->session_id);
  ss->session_id = g_strdup (session_id);
  if (had != (session_id != NULL))
    watch_symbol (self, ss->symbol, session_id != NULL ? 1 : -1);
}

static const char *
symbol_session (KantorStreamHub *self,
                const char      *symbol)
{
  SymbolState *ss = symbol != NULL ? g_hash_table_lookup (self->symbols, symbol) : NULL;

  return ss != NULL ? ss->session_id : NULL;
}

static void
append_number_member (GString    *out,
                      const char *name,
                      double      value)
{
  char buf[32];

  g_string_append_c (out, ',');
  kantor_json_append_string (out, name);
  g_string_append_c (out, ':');
  if (value > 0)
    {
      kantor_format_double (value, buf);
      g_string_append (out, buf);
    }
  else
    {
      /* Unknown (no book yet): null rather than a made-up zero. */
      g_string_append (out, "null");
    }
}

guint64
kantor_stream_hub_publish_market_event (KantorStreamHub         *self,
                                        const KantorMarketEvent *event)
{
  const char *symbol;
  SymbolState *ss;
  GString *out;
  guint64 seq;
  char buf[32];

  g_return_val_if_fail (KANTOR_IS_STREAM_HUB (self), 0);
  g_return_val_if_fail (event != NULL && event->symbol != NULL, 0);

  symbol = g_intern_string (event->symbol);
  ss = symbol_state (self, symbol);
  self->events_total++;
  ss->last_event_us = g_get_monotonic_time ();
  ss->last_event_ms = event->time_ms;
  ss->gap_raised = FALSE;
  kantor_quote_update (&ss->quote, event);
  if (event->kind != KANTOR_EVENT_TRADE)
    return 0;

  out = g_string_sized_new (320);
  seq = item_begin (self, out, "data", KANTOR_STREAM_MARKET_DATA, ss->session_id);
  g_string_append (out, ",\"market_data\":{\"symbol\":");
  kantor_json_append_string (out, symbol);
  append_number_member (out, "price", event->price);
  append_number_member (out, "volume", event->volume);
  append_number_member (out, "quote_volume", event->price * event->volume);
  append_number_member (out, "best_bid", ss->quote.bid);
  append_number_member (out, "best_ask", ss->quote.ask);
  g_string_append (out, ",\"timestamp\":");
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, event->time_ms);
  g_string_append (out, buf);
  g_string_append (out, "}}");

  return item_publish (self, KANTOR_STREAM_MARKET_DATA, symbol, ss->session_id, seq, out);
}

guint64
kantor_stream_hub_publish_indicators (KantorStreamHub *self,
                                      const char      *symbol,
                                      const char      *session_id,
                                      gint64           time_ms,
                                      JsonObject      *values,
                                      JsonObject      *used_by)
{
  g_autoptr(JsonNode) list = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(JsonNode) data = json_node_new (JSON_NODE_OBJECT);
  JsonArray *array = json_array_new ();
  JsonObject *dobj = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  GString *out;
  guint64 seq;

  g_return_val_if_fail (KANTOR_IS_STREAM_HUB (self), 0);
  g_return_val_if_fail (kantor_symbol_is_valid (symbol), 0);
  g_return_val_if_fail (values != NULL, 0);

  symbol = g_intern_string (symbol);
  if (session_id == NULL)
    session_id = symbol_session (self, symbol);

  json_object_iter_init (&iter, values);
  while (json_object_iter_next (&iter, &name, &value))
    {
      JsonObject *entry = json_object_new ();
      JsonNode *users = used_by != NULL ? json_object_get_member (used_by, name) : NULL;

      json_object_set_string_member (entry, "name", name);
      json_object_set_member (entry, "value", json_node_copy (value));
      json_object_set_string_member (entry, "symbol", symbol);
      json_object_set_int_member (entry, "timestamp", time_ms);
      json_object_set_member (entry, "used_by_strategies",
                              users != NULL ? json_node_copy (users)
                                            : json_node_init_array (json_node_alloc (),
                                                                    json_array_new ()));
      json_array_add_object_element (array, entry);
    }
  json_node_take_array (list, array);
  json_object_set_string_member (dobj, "symbol", symbol);
  json_object_set_object_member (dobj, "values", json_object_ref (values));
  json_node_take_object (data, dobj);

  out = g_string_sized_new (512);
  seq = item_begin (self, out, "data", KANTOR_STREAM_INDICATORS, session_id);
  g_string_append (out, ",\"indicators\":");
  kantor_json_append (out, list);
  g_string_append (out, ",\"data\":");
  kantor_json_append (out, data);
  g_string_append_c (out, '}');

  return item_publish (self, KANTOR_STREAM_INDICATORS, symbol, session_id, seq, out);
}

guint64
kantor_stream_hub_publish_signal (KantorStreamHub    *self,
                                  const char         *session_id,
                                  const KantorSignal *signal)
{
  g_autoptr(JsonNode) node = NULL;
  const char *symbol;
  GString *out;
  guint64 seq;

  g_return_val_if_fail (KANTOR_IS_STREAM_HUB (self), 0);
  g_return_val_if_fail (signal != NULL && signal->symbol != NULL, 0);

  symbol = g_intern_string (signal->symbol);
  if (session_id == NULL)
    session_id = symbol_session (self, symbol);

  node = kantor_signal_to_json (signal);
  out = g_string_sized_new (512);
  seq = item_begin (self, out, "signal", KANTOR_STREAM_SIGNALS, session_id);
  g_string_append (out, ",\"signal\":");
  kantor_json_append (out, node);
  g_string_append_c (out, '}');
  item_publish (self, KANTOR_STREAM_SIGNALS, symbol, session_id, seq, out);

  if (signal->type == KANTOR_SIGNAL_EMERGENCY_EXIT)
    {
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autofree char *message = g_strdup_printf ("Emergency exit of %s on %s",
                                                  signal->strategy, symbol);

      json_object_set_string_member (fields, "strategy", signal->strategy);
      json_object_set_double_member (fields, "price", signal->price);
      json_object_set_int_member (fields, "signal_seq", (gint64) seq);
      kantor_stream_hub_publish_alert (self, "emergency_exit", session_id, symbol, message,
                                       fields);
    }

  return seq;
}

guint64
kantor_stream_hub_publish_order (KantorStreamHub *self,
                                 const char      *session_id,
                                 JsonObject      *order)
{
  g_autoptr(JsonNode) node = NULL;
  const char *symbol;
  GString *out;
  guint64 seq;

  g_return_val_if_fail (KANTOR_IS_STREAM_HUB (self), 0);
  g_return_val_if_fail (order != NULL, 0);

  symbol = json_object_get_string_member_with_default (order, "symbol", NULL);
  g_return_val_if_fail (kantor_symbol_is_valid (symbol), 0);
  symbol = g_intern_string (symbol);
  if (session_id == NULL)
    session_id = symbol_session (self, symbol);

  node = json_node_init_object (json_node_alloc (), order);
  out = g_string_sized_new (512);
  seq = item_begin (self, out, "data", KANTOR_STREAM_ORDERS, session_id);
  g_string_append (out, ",\"order\":");
  kantor_json_append (out, node);
  g_string_append_c (out, '}');

  return item_publish (self, KANTOR_STREAM_ORDERS, symbol, session_id, seq, out);
}

void
kantor_stream_hub_publish_alert (KantorStreamHub *self,
                                 const char      *alert,
                                 const char      *session_id,
                                 const char      *symbol,
                                 const char      *message,
                                 JsonObject      *fields)
{
  g_autoptr(JsonObject) none = NULL;

  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));
  g_return_if_fail (kantor_envelope_alert_is_known (alert));
  g_return_if_fail (message != NULL);

  if (fields == NULL)
    fields = none = json_object_new ();
  self->alerts_total++;
  g_signal_emit (self, signals[SIGNAL_ALERT], 0, alert, session_id, symbol, message, fields);
}

/* Health ----------------------------------------------------------------- */

static void
check_data_gaps (KantorStreamHub *self,
                 gint64           now_us)
{
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GPtrArray) silent = g_ptr_array_new ();

  if (self->feed_state != KANTOR_MARKET_FEED_STATE_RUNNING || self->data_gap_ms == 0)
    return;

  g_hash_table_iter_init (&iter, self->symbols);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      SymbolState *ss = value;

      if (ss->subscription != 0 && !ss->gap_raised &&
          now_us - ss->last_event_us > (gint64) self->data_gap_ms * 1000)
        {
          ss->gap_raised = TRUE;
          g_ptr_array_add (silent, ss);
        }
    }

  for (guint i = 0; i < silent->len; i++)
    {
      SymbolState *ss = g_ptr_array_index (silent, i);
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autofree char *message = NULL;
      gint64 silent_ms = (now_us - ss->last_event_us) / 1000;

      message = g_strdup_printf ("No market event for %s in %" G_GINT64_FORMAT " ms",
                                 ss->symbol, silent_ms);
      json_object_set_int_member (fields, "silent_ms", silent_ms);
      json_object_set_int_member (fields, "threshold_ms", self->data_gap_ms);
      if (ss->last_event_ms > 0)
        json_object_set_int_member (fields, "last_event_time", ss->last_event_ms);
      else
        json_object_set_null_member (fields, "last_event_time");
      kantor_stream_hub_publish_alert (self, "data_gap", ss->session_id, ss->symbol, message,
                                       fields);
    }
}

static void
on_session_signal (KantorSessionManager *sessions,
                   KantorSession        *session,
                   gpointer              signal,
                   KantorStreamHub      *self)
{
  kantor_stream_hub_publish_signal (self, kantor_session_get_id (session), signal);
}

static void
on_session_order (KantorSessionManager *sessions,
                  KantorSession        *session,
                  JsonObject           *order,
                  KantorStreamHub      *self)
{
  kantor_stream_hub_publish_order (self, kantor_session_get_id (session), order);
}

static void
on_session_indicators (KantorSessionManager *sessions,
                       KantorSession        *session,
                       const char           *symbol,
                       gint64                time_ms,
                       JsonObject           *values,
                       JsonObject           *used_by,
                       KantorStreamHub      *self)
{
  kantor_stream_hub_publish_indicators (self, symbol, kantor_session_get_id (session), time_ms,
                                        values, used_by);
}

void
kantor_stream_hub_follow_sessions (KantorStreamHub      *self,
                                   KantorSessionManager *sessions)
{
  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));
  g_return_if_fail (KANTOR_IS_SESSION_MANAGER (sessions));

  g_signal_connect_object (sessions, "session-signal", G_CALLBACK (on_session_signal), self, 0);
  g_signal_connect_object (sessions, "session-order", G_CALLBACK (on_session_order), self, 0);
  g_signal_connect_object (sessions, "session-indicators", G_CALLBACK (on_session_indicators),
                           self, 0);
}

guint64
kantor_stream_hub_publish_health (KantorStreamHub *self)
{
  gint64 now_us = g_get_monotonic_time ();
  double elapsed_s = (double) (now_us - self->last_health_us) / G_USEC_PER_SEC;
  GString *out;
  guint64 seq;
  guint n_watched = 0;
  GHashTableIter iter;
  gpointer value;
  char buf[32];

  g_return_val_if_fail (KANTOR_IS_STREAM_HUB (self), 0);

  g_hash_table_iter_init (&iter, self->symbols);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((SymbolState *) value)->subscription != 0)
      n_watched++;

  out = g_string_sized_new (512);
  seq = item_begin (self, out, "data", KANTOR_STREAM_HEALTH, NULL);
  g_string_append (out, ",\"health\":{\"feeds\":[");
  if (self->feed != NULL)
    {
      g_string_append (out, "{\"name\":");
      kantor_json_append_string (out, kantor_market_feed_get_name (self->feed));
      g_string_append (out, ",\"state\":");
      kantor_json_append_string (out, kantor_market_feed_state_to_string (self->feed_state));
      g_string_append_printf (out, ",\"symbols\":%u",
                              kantor_market_feed_get_n_symbols (self->feed));
      g_string_append (out, "}");
    }
  g_string_append_printf (out, "],\"symbols_streamed\":%u", n_watched);
  kantor_format_double (elapsed_s > 0 ? (double) (self->events_total -
                                                  self->events_at_last_health) / elapsed_s
                                      : 0.0, buf);
  g_string_append_printf (out, ",\"events_per_second\":%s", buf);
  g_string_append_printf (out, ",\"events_total\":%" G_GUINT64_FORMAT, self->events_total);
  g_string_append_printf (out, ",\"alerts_total\":%" G_GUINT64_FORMAT, self->alerts_total);
  g_string_append_printf (out, ",\"connections\":%u", g_hash_table_size (self->clients));
  g_string_append (out, ",\"subscribers\":{");
  for (guint i = 0; i < KANTOR_N_STREAMS; i++)
    g_string_append_printf (out, "%s\"%s\":%u", i > 0 ? "," : "", stream_names[i],
                            self->streams[i].n_subs);
  g_string_append (out, "},\"last_seq\":{");
  for (guint i = 0; i < KANTOR_N_STREAMS; i++)
    g_string_append_printf (out, "%s\"%s\":%" G_GUINT64_FORMAT, i > 0 ? "," : "",
                            stream_names[i],
                            i == KANTOR_STREAM_HEALTH ? seq : self->streams[i].last_seq);
  g_string_append (out, "}}}");

  self->events_at_last_health = self->events_total;
  self->last_health_us = now_us;

  return item_publish (self, KANTOR_STREAM_HEALTH, NULL, NULL, seq, out);
}

static gboolean
health_cb (gpointer user_data)
{
  KantorStreamHub *self = user_data;

  check_data_gaps (self, g_get_monotonic_time ());
  kantor_stream_hub_publish_health (self);
  return G_SOURCE_CONTINUE;
}

static void
restart_health_timer (KantorStreamHub *self)
{
  g_clear_handle_id (&self->health_id, g_source_remove);
  if (self->health_interval_ms > 0)
    self->health_id = g_timeout_add (self->health_interval_ms, health_cb, self);
}

static void
on_feed_state (GObject    *feed,
               GParamSpec *pspec,
               gpointer    user_data)
{
  KantorStreamHub *self = user_data;
  KantorMarketFeedState state = kantor_market_feed_get_state (self->feed);
  KantorMarketFeedState before = self->feed_state;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autofree char *message = NULL;
  const char *name = kantor_market_feed_get_name (self->feed);

  self->feed_state = state;
  json_object_set_string_member (fields, "feed", name);
  json_object_set_string_member (fields, "state", kantor_market_feed_state_to_string (state));

  if (state == KANTOR_MARKET_FEED_STATE_DOWN && before != KANTOR_MARKET_FEED_STATE_DOWN)
    {
      message = g_strdup_printf ("Market feed %s is down", name);
      kantor_stream_hub_publish_alert (self, "feed_down", NULL, NULL, message, fields);
    }
  else if (before == KANTOR_MARKET_FEED_STATE_DOWN && state != KANTOR_MARKET_FEED_STATE_DOWN)
    {
      GHashTableIter iter;
      gpointer value;

      /* Silence while down was the feed's, not a gap of its own. */
      g_hash_table_iter_init (&iter, self->symbols);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          ((SymbolState *) value)->last_event_us = g_get_monotonic_time ();
          ((SymbolState *) value)->gap_raised = FALSE;
        }
      message = g_strdup_printf ("Market feed %s is back", name);
      kantor_stream_hub_publish_alert (self, "feed_restored", NULL, NULL, message, fields);
    }
}

/* Bare activations' indicators; a session's come with its id. */
static void
on_activation_indicators (KantorStrategyManager *strategies,
                          const char            *symbol,
                          gint64                 time_ms,
                          JsonObject            *values,
                          JsonObject            *used_by,
                          gpointer               user_data)
{
  kantor_stream_hub_publish_indicators (user_data, symbol, NULL, time_ms, values, used_by);
}

static void
on_activation_signal (KantorStrategyManager *strategies,
                      const char            *owner,
                      gpointer               signal,
                      gpointer               user_data)
{
  kantor_stream_hub_publish_signal (user_data, owner, signal);
}

/* Subscriptions ---------------------------------------------------------- */

static void
collect_backfill (KantorStreamHub *self,
                  Sub             *sub,
                  gint64           resume_from,
                  gboolean        *resume_gap,
                  guint64         *oldest_seq)
{
  Stream *st = &self->streams[sub->stream];
  Item *oldest = g_queue_peek_head (&st->ring);

  sub->backfill = g_ptr_array_new_with_free_func (item_unref);

  if (resume_from >= 0)
    {
      guint64 after = (guint64) resume_from;

      /* A gap: items after @after were given out and are gone. */
      if (after < st->last_seq &&
          (oldest == NULL || oldest->seq > after + 1))
        *resume_gap = TRUE;
      *oldest_seq = oldest != NULL ? oldest->seq : 0;

      for (GList *l = st->ring.head; l != NULL; l = l->next)
        {
          Item *item = l->data;

          if (item->seq > after && sub_matches (sub, item))
            g_ptr_array_add (sub->backfill, item_ref (item));
        }
      return;
    }

  sub->seeded = TRUE;
  if (sub->symbols != NULL)
    {
      for (guint i = 0; i < sub->symbols->len; i++)
        {
          GQueue *recent = g_hash_table_lookup (st->recent, g_ptr_array_index (sub->symbols, i));

          for (GList *l = recent != NULL ? recent->head : NULL; l != NULL; l = l->next)
            if (sub_matches (sub, l->data))
              g_ptr_array_add (sub->backfill, item_ref (l->data));
        }
    }
  else
    {
      g_autoptr(GList) keys = g_hash_table_get_keys (st->recent);

      /* Symbols in name order, so a client sees a stable layout. */
      keys = g_list_sort (keys, (GCompareFunc) strcmp);
      for (GList *k = keys; k != NULL; k = k->next)
        {
          GQueue *recent = g_hash_table_lookup (st->recent, k->data);

          for (GList *l = recent->head; l != NULL; l = l->next)
            if (sub_matches (sub, l->data))
              g_ptr_array_add (sub->backfill, item_ref (l->data));
        }
    }
}

void
kantor_stream_hub_subscribe (KantorStreamHub        *self,
                             KantorClientConnection *connection,
                             KantorStream            stream,
                             const char * const     *symbols,
                             const char             *session_id,
                             gint64                  resume_from,
                             gboolean               *resume_gap,
                             guint64                *oldest_seq)
{
  Stream *st;
  Client *client;
  Sub *sub;
  gboolean gap = FALSE;
  guint64 oldest = 0;

  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));
  g_return_if_fail (KANTOR_IS_CLIENT_CONNECTION (connection));
  g_return_if_fail ((guint) stream < KANTOR_N_STREAMS);

  if (!kantor_client_connection_is_open (connection))
    return;

  st = &self->streams[stream];
  client = g_hash_table_lookup (self->clients, connection);
  if (client == NULL)
    {
      client = g_new0 (Client, 1);
      client->hub = self;
      client->connection = g_object_ref (connection);
      client->closed_id = g_signal_connect (connection, "closed",
                                            G_CALLBACK (on_connection_closed), self);
      g_hash_table_insert (self->clients, connection, client);
      kantor_client_connection_set_flow_control (connection, self->soft_bound, self->hard_bound);
    }
  client_drop_sub (client, stream);

  sub = g_new0 (Sub, 1);
  sub->client = client;
  sub->stream = stream;
  sub->session_id = g_strdup (session_id);
  if (symbols != NULL)
    {
      sub->symbols = g_ptr_array_new ();
      for (guint i = 0; symbols[i] != NULL; i++)
        {
          const char *symbol = g_intern_string (symbols[i]);

          if (g_ptr_array_find (sub->symbols, symbol, NULL))
            continue;
          g_ptr_array_add (sub->symbols, (gpointer) symbol);
        }
    }
  client->subs[stream] = sub;

  if (sub->symbols == NULL)
    {
      g_ptr_array_add (st->everyone, sub);
    }
  else
    {
      for (guint i = 0; i < sub->symbols->len; i++)
        {
          const char *symbol = g_ptr_array_index (sub->symbols, i);
          GPtrArray *list = g_hash_table_lookup (st->by_symbol, symbol);

          if (list == NULL)
            {
              list = g_ptr_array_new ();
              g_hash_table_insert (st->by_symbol, (gpointer) symbol, list);
            }
          g_ptr_array_add (list, sub);
        }
    }
  st->n_subs++;

  collect_backfill (self, sub, resume_from, &gap, &oldest);

  /* Market data flows for the symbols asked for (after the backfill was
   * taken, so the first live item follows the last seeded one). */
  if (stream == KANTOR_STREAM_MARKET_DATA && sub->symbols != NULL)
    for (guint i = 0; i < sub->symbols->len; i++)
      watch_symbol (self, g_ptr_array_index (sub->symbols, i), 1);

  if (resume_gap != NULL)
    *resume_gap = gap;
  if (oldest_seq != NULL)
    *oldest_seq = oldest;
}

void
kantor_stream_hub_send_backfill (KantorStreamHub        *self,
                                 KantorClientConnection *connection,
                                 KantorStream            stream)
{
  g_autoptr(GPtrArray) backfill = NULL;
  Client *client;
  Sub *sub;
  KantorOutgoingKind kind = stream_kind (stream);
  gboolean seeded;

  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));
  g_return_if_fail ((guint) stream < KANTOR_N_STREAMS);

  client = g_hash_table_lookup (self->clients, connection);
  sub = client != NULL ? client->subs[stream] : NULL;
  if (sub == NULL || sub->backfill == NULL)
    return;

  backfill = g_steal_pointer (&sub->backfill);
  seeded = sub->seeded;
  g_object_ref (connection);
  delivery_begin (self);
  for (guint i = 0; i < backfill->len && kantor_client_connection_is_open (connection); i++)
    {
      Item *item = g_ptr_array_index (backfill, i);
      g_autoptr(GBytes) frame = seeded ? item_seeded_frame (item) : g_bytes_ref (item->frame);

      kantor_client_connection_send_frame (connection, frame, kind);
    }
  delivery_end (self);
  g_object_unref (connection);
}

gboolean
kantor_stream_hub_unsubscribe (KantorStreamHub        *self,
                               KantorClientConnection *connection,
                               KantorStream            stream)
{
  Client *client;
  gboolean had;

  g_return_val_if_fail (KANTOR_IS_STREAM_HUB (self), FALSE);
  g_return_val_if_fail ((guint) stream < KANTOR_N_STREAMS, FALSE);

  client = g_hash_table_lookup (self->clients, connection);
  if (client == NULL)
    return FALSE;
  had = client->subs[stream] != NULL;
  client_drop_sub (client, stream);
  if (client_empty (client))
    g_hash_table_remove (self->clients, connection);
  return had;
}

guint
kantor_stream_hub_get_n_subscribers (KantorStreamHub *self,
                                     KantorStream     stream)
{
  g_return_val_if_fail (KANTOR_IS_STREAM_HUB (self), 0);
  g_return_val_if_fail ((guint) stream < KANTOR_N_STREAMS, 0);
  return self->streams[stream].n_subs;
}

guint64
kantor_stream_hub_get_last_seq (KantorStreamHub *self,
                                KantorStream     stream)
{
  g_return_val_if_fail (KANTOR_IS_STREAM_HUB (self), 0);
  g_return_val_if_fail ((guint) stream < KANTOR_N_STREAMS, 0);
  return self->streams[stream].last_seq;
}

/* Tuning ----------------------------------------------------------------- */

void
kantor_stream_hub_set_ring_capacity (KantorStreamHub *self,
                                     guint            capacity)
{
  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));

  self->ring_capacity = MAX (capacity, KANTOR_STREAM_SEED_ITEMS);
  for (guint i = 0; i < KANTOR_N_STREAMS; i++)
    while (self->streams[i].ring.length > self->ring_capacity)
      item_unref (g_queue_pop_head (&self->streams[i].ring));
}

void
kantor_stream_hub_set_health_interval (KantorStreamHub *self,
                                       guint            interval_ms)
{
  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));
  self->health_interval_ms = interval_ms;
  restart_health_timer (self);
}

void
kantor_stream_hub_set_data_gap (KantorStreamHub *self,
                                guint            gap_ms)
{
  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));
  self->data_gap_ms = gap_ms;
}

void
kantor_stream_hub_set_flow_control (KantorStreamHub *self,
                                    gsize            soft_bound,
                                    gsize            hard_bound)
{
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (KANTOR_IS_STREAM_HUB (self));

  self->soft_bound = soft_bound;
  self->hard_bound = hard_bound;
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    kantor_client_connection_set_flow_control (key, soft_bound, hard_bound);
}

/* Life ------------------------------------------------------------------- */

static void
recent_free (gpointer data)
{
  g_queue_free_full (data, item_unref);
}

static void
kantor_stream_hub_dispose (GObject *object)
{
  KantorStreamHub *self = KANTOR_STREAM_HUB (object);

  g_clear_handle_id (&self->health_id, g_source_remove);
  g_clear_handle_id (&self->uncork_id, g_source_remove);
  if (self->corked != NULL)
    uncork_all (self);
  if (self->clients != NULL)
    g_hash_table_remove_all (self->clients);
  if (self->symbols != NULL && self->feed != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->symbols);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          SymbolState *ss = value;

          if (ss->subscription != 0)
            kantor_market_feed_unsubscribe (self->feed, ss->subscription);
          ss->subscription = 0;
        }
    }
  if (self->feed != NULL)
    g_clear_signal_handler (&self->feed_state_id, self->feed);
  if (self->strategies != NULL)
    {
      g_clear_signal_handler (&self->signal_id, self->strategies);
      g_clear_signal_handler (&self->indicators_id, self->strategies);
    }
  g_clear_object (&self->feed);
  g_clear_object (&self->strategies);

  G_OBJECT_CLASS (kantor_stream_hub_parent_class)->dispose (object);
}

static void
kantor_stream_hub_finalize (GObject *object)
{
  KantorStreamHub *self = KANTOR_STREAM_HUB (object);

  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_pointer (&self->closed, g_ptr_array_unref);
  g_clear_pointer (&self->corked, g_ptr_array_unref);
  g_clear_pointer (&self->symbols, g_hash_table_unref);
  for (guint i = 0; i < KANTOR_N_STREAMS; i++)
    {
      Stream *st = &self->streams[i];

      g_queue_clear_full (&st->ring, item_unref);
      g_clear_pointer (&st->recent, g_hash_table_unref);
      g_clear_pointer (&st->by_symbol, g_hash_table_unref);
      g_clear_pointer (&st->everyone, g_ptr_array_unref);
    }

  G_OBJECT_CLASS (kantor_stream_hub_parent_class)->finalize (object);
}

static void
kantor_stream_hub_class_init (KantorStreamHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_stream_hub_dispose;
  object_class->finalize = kantor_stream_hub_finalize;

  /* (alert, session_id, symbol, message, JsonObject *fields): what the
   * server delivers (kantor_stream_api_register()). */
  signals[SIGNAL_ALERT] =
    g_signal_new ("alert", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 5, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
kantor_stream_hub_init (KantorStreamHub *self)
{
  self->ring_capacity = KANTOR_STREAM_DEFAULT_RING;
  self->health_interval_ms = KANTOR_STREAM_DEFAULT_HEALTH_MS;
  self->data_gap_ms = KANTOR_STREAM_DEFAULT_DATA_GAP_MS;
  self->soft_bound = 256 * 1024;
  self->hard_bound = 8 * 1024 * 1024;
  self->clients = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, client_free);
  self->symbols = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, symbol_state_free);
  self->last_health_us = g_get_monotonic_time ();
  self->closed = g_ptr_array_new_with_free_func (g_object_unref);
  self->corked = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < KANTOR_N_STREAMS; i++)
    {
      Stream *st = &self->streams[i];

      st->id = (KantorStream) i;
      g_queue_init (&st->ring);
      st->recent = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, recent_free);
      st->by_symbol = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify) g_ptr_array_unref);
      st->everyone = g_ptr_array_new ();
    }
}

KantorStreamHub *
kantor_stream_hub_new (KantorMarketFeed      *feed,
                       KantorStrategyManager *strategies)
{
  KantorStreamHub *self;

  g_return_val_if_fail (feed == NULL || KANTOR_IS_MARKET_FEED (feed), NULL);
  g_return_val_if_fail (strategies == NULL || KANTOR_IS_STRATEGY_MANAGER (strategies), NULL);

  self = g_object_new (KANTOR_TYPE_STREAM_HUB, NULL);
  if (feed != NULL)
    {
      self->feed = g_object_ref (feed);
      self->feed_state = kantor_market_feed_get_state (feed);
      self->feed_state_id = g_signal_connect (feed, "notify::feed-state",
                                              G_CALLBACK (on_feed_state), self);
    }
  if (strategies != NULL)
    {
      self->strategies = g_object_ref (strategies);
      self->signal_id = g_signal_connect (strategies, "activation-signal",
                                          G_CALLBACK (on_activation_signal), self);
      self->indicators_id = g_signal_connect (strategies, "activation-indicators",
                                              G_CALLBACK (on_activation_indicators), self);
    }
  restart_health_timer (self);

  return self;
}
