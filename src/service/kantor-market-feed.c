/* kantor-market-feed.c: the real-time market feed on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "kantor-market-feed.h"

#include "kantor-market-source.h"
#include "kantor-pacer.h"
#include "kantor-synthetic-source.h"

/* Events delivered per main-loop dispatch at most, so that a fast test
 * speed or a catch-up after a stall never starves the rest of the loop. */
#define MAX_EVENTS_PER_DISPATCH 2048
/* Events read from a source at a time: one virtual call per batch. */
#define READ_BATCH 64

typedef struct _FeedSymbol FeedSymbol;

typedef struct
{
  guint                 id;
  FeedSymbol           *symbol;
  KantorMarketFeedFunc  func;      /* NULL once unsubscribed */
  gpointer              user_data;
  GDestroyNotify        destroy;
} Subscription;

struct _FeedSymbol
{
  KantorMarketFeed   *feed;          /* not a reference: the feed owns us */
  const char         *symbol;        /* interned */
  KantorMarketSource *source;
  KantorPacer        *pacer;
  GPtrArray          *subscriptions; /* Subscription *, owned */
  guint               n_live;        /* subscriptions with a func */
  guint               dispatching;   /* > 0 while callbacks run */
  KantorMarketEvent   buffer[READ_BATCH]; /* read ahead; buffer[pos] is due next */
  gsize               pos;
  gsize               len;
  gboolean            has_next;      /* pos < len */
  GSource            *timer;
};

struct _KantorMarketFeed
{
  GObject                parent_instance;

  char                  *name;
  guint64                seed;
  double                 speed;
  KantorMarketFeedState  state;
  GHashTable            *symbols;        /* interned symbol -> FeedSymbol * */
  GHashTable            *subscriptions;  /* id -> Subscription * (not owned) */
  guint                  next_id;
};

G_DEFINE_FINAL_TYPE (KantorMarketFeed, kantor_market_feed, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_FEED_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void feed_symbol_schedule (FeedSymbol *fs);

static void
subscription_end (Subscription *sub)
{
  GDestroyNotify destroy = sub->destroy;
  gpointer user_data = sub->user_data;

  sub->func = NULL;
  sub->destroy = NULL;
  sub->user_data = NULL;
  if (destroy != NULL)
    destroy (user_data);
}

static void
subscription_free (gpointer data)
{
  Subscription *sub = data;

  subscription_end (sub);
  g_free (sub);
}

static void
feed_symbol_free (gpointer data)
{
  FeedSymbol *fs = data;

  if (fs->timer != NULL)
    {
      g_source_destroy (fs->timer);
      g_source_unref (fs->timer);
    }
  g_clear_pointer (&fs->subscriptions, g_ptr_array_unref);
  g_clear_object (&fs->source);
  g_clear_pointer (&fs->pacer, kantor_pacer_free);
  g_free (fs);
}

static void
set_state (KantorMarketFeed      *self,
           KantorMarketFeedState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FEED_STATE]);
}

static void
update_state (KantorMarketFeed *self)
{
  if (self->state == KANTOR_MARKET_FEED_STATE_DOWN)
    return;
  set_state (self, g_hash_table_size (self->symbols) > 0
                     ? KANTOR_MARKET_FEED_STATE_RUNNING : KANTOR_MARKET_FEED_STATE_IDLE);
}

/* Drops unsubscribed entries and stops the symbol when nobody is left.
 * Never runs while callbacks of the symbol are running. */
static void
feed_symbol_collect (FeedSymbol *fs)
{
  KantorMarketFeed *self = fs->feed;

  if (fs->dispatching > 0)
    return;
  for (guint i = fs->subscriptions->len; i > 0; i--)
    {
      Subscription *sub = g_ptr_array_index (fs->subscriptions, i - 1);

      if (sub->func == NULL)
        g_ptr_array_remove_index (fs->subscriptions, i - 1);
    }
  if (fs->subscriptions->len == 0)
    {
      g_hash_table_remove (self->symbols, fs->symbol);
      update_state (self);
    }
}

static gboolean
feed_symbol_read (FeedSymbol *fs)
{
  g_autoptr(GError) error = NULL;

  if (++fs->pos < fs->len)
    return TRUE;
  fs->pos = 0;
  fs->len = kantor_market_source_read (fs->source, fs->buffer, READ_BATCH, &error);
  fs->has_next = fs->len > 0;
  if (!fs->has_next)
    {
      /* The synthetic market never ends; a source that does, or fails, is
       * a feed outage that health alerts report. */
      g_warning ("Market feed %s stopped for %s: %s", fs->feed->name, fs->symbol,
                 error != NULL ? error->message : "end of data");
      set_state (fs->feed, KANTOR_MARKET_FEED_STATE_DOWN);
    }
  return fs->has_next;
}

static gboolean
feed_symbol_dispatch (gpointer user_data)
{
  FeedSymbol *fs = user_data;
  g_autoptr(KantorMarketFeed) self = g_object_ref (fs->feed);
  const char *symbol = fs->symbol;
  /* One clock reading per dispatch: events due by now go out together. */
  gint64 now_us = g_get_monotonic_time ();
  guint n = 0;

  g_clear_pointer (&fs->timer, g_source_unref);

  fs->dispatching++;
  while (fs->has_next && fs->n_live > 0 && n < MAX_EVENTS_PER_DISPATCH)
    {
      const KantorMarketEvent *event = &fs->buffer[fs->pos];

      if (kantor_pacer_delay_us (fs->pacer, event->time_ms, now_us) > 0)
        break;
      /* Subscriptions added by a callback only see the next event; the
       * array may grow meanwhile, hence the fixed bound and indexing. */
      for (guint i = 0, len = fs->subscriptions->len; i < len; i++)
        {
          Subscription *sub = g_ptr_array_index (fs->subscriptions, i);

          if (sub->func != NULL)
            sub->func (self, event, sub->user_data);
        }
      n++;
      feed_symbol_read (fs);
    }
  fs->dispatching--;

  /* Looked up again: a callback may have removed the last subscription. */
  if (g_hash_table_lookup (self->symbols, symbol) != fs)
    return G_SOURCE_REMOVE;
  feed_symbol_collect (fs);
  if (g_hash_table_lookup (self->symbols, symbol) == fs)
    feed_symbol_schedule (fs);
  return G_SOURCE_REMOVE;
}

static void
feed_symbol_schedule (FeedSymbol *fs)
{
  gint64 delay_us;

  if (fs->timer != NULL || !fs->has_next)
    return;
  delay_us = kantor_pacer_delay_us (fs->pacer, fs->buffer[fs->pos].time_ms,
                                    g_get_monotonic_time ());
  fs->timer = g_timeout_source_new ((guint) ((delay_us + 999) / 1000));
  g_source_set_priority (fs->timer, G_PRIORITY_DEFAULT);
  g_source_set_callback (fs->timer, feed_symbol_dispatch, fs, NULL);
  g_source_set_static_name (fs->timer, "[kantor] market feed");
  g_source_attach (fs->timer, NULL);
}

static FeedSymbol *
feed_symbol_start (KantorMarketFeed *self,
                   const char       *symbol)
{
  const char *symbols[] = { symbol, NULL };
  g_autoptr(GError) error = NULL;
  FeedSymbol *fs = g_new0 (FeedSymbol, 1);

  fs->feed = self;
  fs->symbol = symbol;
  fs->subscriptions = g_ptr_array_new_with_free_func (subscription_free);
  fs->pacer = kantor_pacer_new (self->speed);
  /* Event time starts now, so that paper sessions see the present. */
  fs->source = kantor_synthetic_source_new (symbols, self->seed, g_get_real_time () / 1000,
                                            0, &error);
  if (fs->source == NULL)
    {
      g_warning ("Market feed %s cannot start %s: %s", self->name, symbol, error->message);
      set_state (self, KANTOR_MARKET_FEED_STATE_DOWN);
    }
  g_hash_table_insert (self->symbols, (gpointer) symbol, fs);
  update_state (self);
  /* The first read fills the buffer (pos wraps from len = 0). */
  fs->pos = 0;
  fs->len = 0;
  if (fs->source != NULL && feed_symbol_read (fs))
    feed_symbol_schedule (fs);
  return fs;
}

guint
kantor_market_feed_subscribe (KantorMarketFeed     *self,
                              const char           *symbol,
                              KantorMarketFeedFunc  func,
                              gpointer              user_data,
                              GDestroyNotify        destroy)
{
  FeedSymbol *fs;
  Subscription *sub;

  g_return_val_if_fail (KANTOR_IS_MARKET_FEED (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  if (symbol == NULL || !kantor_symbol_is_valid (symbol))
    return 0;
  symbol = g_intern_string (symbol);

  fs = g_hash_table_lookup (self->symbols, symbol);
  if (fs == NULL)
    fs = feed_symbol_start (self, symbol);

  sub = g_new0 (Subscription, 1);
  sub->id = ++self->next_id;
  sub->symbol = fs;
  sub->func = func;
  sub->user_data = user_data;
  sub->destroy = destroy;
  g_ptr_array_add (fs->subscriptions, sub);
  fs->n_live++;
  g_hash_table_insert (self->subscriptions, GUINT_TO_POINTER (sub->id), sub);
  return sub->id;
}

void
kantor_market_feed_unsubscribe (KantorMarketFeed *self,
                                guint             id)
{
  Subscription *sub;
  FeedSymbol *fs;

  g_return_if_fail (KANTOR_IS_MARKET_FEED (self));

  sub = g_hash_table_lookup (self->subscriptions, GUINT_TO_POINTER (id));
  if (sub == NULL)
    return;
  g_hash_table_remove (self->subscriptions, GUINT_TO_POINTER (id));
  fs = sub->symbol;
  fs->n_live--;
  /* The entry stays in the array until no callback of the symbol runs. */
  subscription_end (sub);
  feed_symbol_collect (fs);
}

KantorMarketFeed *
kantor_market_feed_new_synthetic (guint64 seed)
{
  KantorMarketFeed *self = g_object_new (KANTOR_TYPE_MARKET_FEED, NULL);

  self->seed = seed;
  self->name = g_strdup ("synthetic");
  return self;
}

const char *
kantor_market_feed_get_name (KantorMarketFeed *self)
{
  g_return_val_if_fail (KANTOR_IS_MARKET_FEED (self), NULL);
  return self->name;
}

guint
kantor_market_feed_get_n_symbols (KantorMarketFeed *self)
{
  g_return_val_if_fail (KANTOR_IS_MARKET_FEED (self), 0);
  return g_hash_table_size (self->symbols);
}

KantorMarketFeedState
kantor_market_feed_get_state (KantorMarketFeed *self)
{
  g_return_val_if_fail (KANTOR_IS_MARKET_FEED (self), KANTOR_MARKET_FEED_STATE_DOWN);
  return self->state;
}

const char *
kantor_market_feed_state_to_string (KantorMarketFeedState state)
{
  switch (state)
    {
    case KANTOR_MARKET_FEED_STATE_IDLE:
      return "idle";
    case KANTOR_MARKET_FEED_STATE_RUNNING:
      return "running";
    case KANTOR_MARKET_FEED_STATE_DOWN:
      return "down";
    default:
      return "unknown";
    }
}

void
kantor_market_feed_set_speed (KantorMarketFeed *self,
                              double            speed)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (KANTOR_IS_MARKET_FEED (self));
  g_return_if_fail (speed > 0 && isfinite (speed));

  self->speed = speed;
  /* A new pacer anchors at the next event: the new pace starts now, with
   * no burst to catch up and no pause. */
  g_hash_table_iter_init (&iter, self->symbols);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      FeedSymbol *fs = value;

      kantor_pacer_free (fs->pacer);
      fs->pacer = kantor_pacer_new (speed);
      if (fs->timer != NULL)
        {
          g_source_destroy (fs->timer);
          g_clear_pointer (&fs->timer, g_source_unref);
        }
      if (fs->dispatching == 0)
        feed_symbol_schedule (fs);
    }
}

double
kantor_market_feed_get_speed (KantorMarketFeed *self)
{
  g_return_val_if_fail (KANTOR_IS_MARKET_FEED (self), 0);
  return self->speed;
}

static void
kantor_market_feed_finalize (GObject *object)
{
  KantorMarketFeed *self = KANTOR_MARKET_FEED (object);

  g_hash_table_destroy (self->subscriptions);
  g_hash_table_destroy (self->symbols);
  g_free (self->name);

  G_OBJECT_CLASS (kantor_market_feed_parent_class)->finalize (object);
}

static void
kantor_market_feed_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  KantorMarketFeed *self = KANTOR_MARKET_FEED (object);

  switch (prop_id)
    {
    case PROP_FEED_STATE:
      g_value_set_int (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_market_feed_class_init (KantorMarketFeedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kantor_market_feed_finalize;
  object_class->get_property = kantor_market_feed_get_property;

  /* A KantorMarketFeedState; an int so that no enum type needs registering. */
  properties[PROP_FEED_STATE] =
    g_param_spec_int ("feed-state", NULL, NULL,
                      KANTOR_MARKET_FEED_STATE_IDLE, KANTOR_MARKET_FEED_STATE_DOWN,
                      KANTOR_MARKET_FEED_STATE_IDLE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kantor_market_feed_init (KantorMarketFeed *self)
{
  self->speed = 1.0;
  self->state = KANTOR_MARKET_FEED_STATE_IDLE;
  self->symbols = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, feed_symbol_free);
  self->subscriptions = g_hash_table_new (g_direct_hash, g_direct_equal);
}
