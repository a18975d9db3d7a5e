/* kantor-market-feed.c: the real-time market feed on the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#ifdef __linux__
#include <sys/timerfd.h>
#include <unistd.h>
#endif

#include <glib-unix.h>

#include "kantor-market-feed.h"

#include "kantor-market-source.h"
#include "kantor-pacer.h"
#include "kantor-synthetic-source.h"

/* Events delivered per symbol and main-loop dispatch at most, so that a
 * fast speed or a catch-up after a stall never starves the rest of the loop.
 * Small: stream fan-out writes once per loop turn, and flat out a turn with
 * thousands of events per symbol spends itself queueing and dropping what
 * slow clients cannot take (64 against 2048: 17 times the items delivered). */
#define MAX_EVENTS_PER_DISPATCH 64
/* Events skipped at most when a feed comes back, for those due meanwhile. */
#define MAX_EVENTS_SKIPPED (1 << 20)
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
  GSource            *timer;         /* a FeedTimer, kept for the symbol's life */
  gboolean            armed;
  gint64              rate_start_ms; /* fixed-rate event clock (rate > 0) */
  guint64             n_read;        /* events read so far */
};

struct _KantorMarketFeed
{
  GObject                parent_instance;

  char                  *name;
  guint64                seed;
  double                 speed;
  double                 rate;           /* events/s per symbol; 0: the model's clock */
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
static gboolean feed_symbol_dispatch (gpointer user_data);

/* A timer with microsecond resolution. GLib 2.74 polls with millisecond
 * timeouts rounded up, so a plain timeout fires up to 1 ms late (2 ms with
 * the rounding of its interval): most of a stream item's latency. Where
 * there is a timerfd, it wakes the loop at the exact deadline; elsewhere
 * the source's ready time alone does, to the millisecond. */
typedef struct
{
  GSource  source;
  int      fd;     /* -1 without timerfd */
  gpointer tag;
} FeedTimer;

static gboolean
feed_timer_check (GSource *source)
{
  FeedTimer *timer = (FeedTimer *) source;

  return timer->tag != NULL && (g_source_query_unix_fd (source, timer->tag) & G_IO_IN) != 0;
}

static void
feed_timer_disarm (GSource *source)
{
  FeedTimer *timer = (FeedTimer *) source;

  g_source_set_ready_time (source, -1);
#ifdef __linux__
  if (timer->fd >= 0)
    {
      struct itimerspec spec = { { 0, 0 }, { 0, 0 } };
      guint64 expirations;

      timerfd_settime (timer->fd, 0, &spec, NULL);
      /* Clears an expiry that was already pending. */
      if (read (timer->fd, &expirations, sizeof expirations) < 0)
        expirations = 0;
    }
#endif
}

static gboolean
feed_timer_dispatch (GSource     *source,
                     GSourceFunc  callback,
                     gpointer     user_data)
{
  feed_timer_disarm (source);
  return callback (user_data);
}

static void
feed_timer_finalize (GSource *source)
{
  FeedTimer *timer = (FeedTimer *) source;

  if (timer->fd >= 0)
    close (timer->fd);
}

static GSourceFuncs feed_timer_funcs = {
  NULL, feed_timer_check, feed_timer_dispatch, feed_timer_finalize, NULL, NULL
};

static GSource *
feed_timer_new (FeedSymbol *fs)
{
  GSource *source = g_source_new (&feed_timer_funcs, sizeof (FeedTimer));
  FeedTimer *timer = (FeedTimer *) source;

  timer->fd = -1;
#ifdef __linux__
  timer->fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer->fd >= 0)
    timer->tag = g_source_add_unix_fd (source, timer->fd, G_IO_IN);
#endif
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, feed_symbol_dispatch, fs, NULL);
  g_source_set_static_name (source, "[kantor] market feed");
  g_source_attach (source, NULL);
  return source;
}

/* @deadline_us on the monotonic clock. */
static void
feed_timer_arm (GSource *source,
                gint64   deadline_us)
{
#ifdef __linux__
  FeedTimer *timer = (FeedTimer *) source;

  if (timer->fd >= 0)
    {
      struct itimerspec spec = { { 0, 0 }, { 0, 0 } };

      deadline_us = MAX (deadline_us, 1);
      spec.it_value.tv_sec = deadline_us / G_USEC_PER_SEC;
      spec.it_value.tv_nsec = (deadline_us % G_USEC_PER_SEC) * 1000;
      timerfd_settime (timer->fd, TFD_TIMER_ABSTIME, &spec, NULL);
    }
#endif
  g_source_set_ready_time (source, deadline_us);
}

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
  /* At a fixed rate, the model's events keep their content and order but
   * take evenly spaced times on the wall clock. */
  for (gsize i = 0; fs->feed->rate > 0 && i < fs->len; i++)
    fs->buffer[i].time_ms = fs->rate_start_ms
                            + (gint64) floor ((double) (fs->n_read + i) * 1000.0 / fs->feed->rate);
  fs->n_read += fs->len;
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

/* Microseconds until the next event is due. At a fixed rate event times are
 * wall-clock times, due exactly then; otherwise the pacer maps them. */
static gint64
feed_symbol_delay_us (FeedSymbol *fs,
                      gint64      mono_us,
                      gint64      real_us)
{
  gint64 time_ms = fs->buffer[fs->pos].time_ms;

  if (fs->feed->rate > 0)
    return MAX (0, time_ms * 1000 - real_us);
  return kantor_pacer_delay_us (fs->pacer, time_ms, mono_us);
}

static gboolean
feed_symbol_dispatch (gpointer user_data)
{
  FeedSymbol *fs = user_data;
  g_autoptr(KantorMarketFeed) self = g_object_ref (fs->feed);
  const char *symbol = fs->symbol;
  /* One clock reading per dispatch: events due by now go out together. */
  gint64 now_us = g_get_monotonic_time ();
  gint64 real_us = g_get_real_time ();
  guint n = 0;

  fs->armed = FALSE;

  fs->dispatching++;
  while (fs->has_next && fs->n_live > 0 && n < MAX_EVENTS_PER_DISPATCH &&
         self->state != KANTOR_MARKET_FEED_STATE_DOWN)
    {
      const KantorMarketEvent *event = &fs->buffer[fs->pos];

      if (feed_symbol_delay_us (fs, now_us, real_us) > 0)
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

  /* Looked up again: a callback may have removed the last subscription
   * (which destroyed this source). The source stays for the next event. */
  if (g_hash_table_lookup (self->symbols, symbol) != fs)
    return G_SOURCE_CONTINUE;
  feed_symbol_collect (fs);
  if (g_hash_table_lookup (self->symbols, symbol) == fs)
    feed_symbol_schedule (fs);
  return G_SOURCE_CONTINUE;
}

static void
feed_symbol_schedule (FeedSymbol *fs)
{
  gint64 now_us;

  if (fs->armed || !fs->has_next || fs->feed->state == KANTOR_MARKET_FEED_STATE_DOWN)
    return;
  if (fs->timer == NULL)
    fs->timer = feed_timer_new (fs);
  now_us = g_get_monotonic_time ();
  feed_timer_arm (fs->timer, now_us + feed_symbol_delay_us (fs, now_us, g_get_real_time ()));
  fs->armed = TRUE;
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
  if (self->rate > 0)
    {
      gint64 interval_ms = (gint64) (1000.0 / self->rate);

      /* Symbols out of phase (by name, so reproducibly), as on a market;
       * the first event a millisecond ahead so that none is late. */
      fs->rate_start_ms = g_get_real_time () / 1000 + 1
                          + (interval_ms > 1 ? g_str_hash (symbol) % interval_ms : 0);
    }
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
      if (fs->armed)
        {
          feed_timer_disarm (fs->timer);
          fs->armed = FALSE;
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

void
kantor_market_feed_set_rate (KantorMarketFeed *self,
                             double            rate)
{
  g_return_if_fail (KANTOR_IS_MARKET_FEED (self));
  g_return_if_fail (rate >= 0 && isfinite (rate));

  self->rate = rate;
}

double
kantor_market_feed_get_rate (KantorMarketFeed *self)
{
  g_return_val_if_fail (KANTOR_IS_MARKET_FEED (self), 0);
  return self->rate;
}

void
kantor_market_feed_set_state (KantorMarketFeed      *self,
                              KantorMarketFeedState  state)
{
  GHashTableIter iter;
  gpointer value;
  gint64 now_us = g_get_monotonic_time ();
  gint64 real_us = g_get_real_time ();

  g_return_if_fail (KANTOR_IS_MARKET_FEED (self));

  if (state == KANTOR_MARKET_FEED_STATE_DOWN)
    {
      g_hash_table_iter_init (&iter, self->symbols);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          FeedSymbol *fs = value;

          if (fs->armed)
            {
              feed_timer_disarm (fs->timer);
              fs->armed = FALSE;
            }
        }
      set_state (self, KANTOR_MARKET_FEED_STATE_DOWN);
      return;
    }

  if (self->state != KANTOR_MARKET_FEED_STATE_DOWN)
    return;
  /* Not down while the symbols are rescheduled (silently: the change is
   * notified once, at the end). */
  self->state = KANTOR_MARKET_FEED_STATE_IDLE;
  g_hash_table_iter_init (&iter, self->symbols);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      FeedSymbol *fs = value;
      guint skipped = 0;

      /* What happened upstream while down is lost, as with a real outage:
       * the stream resumes at the present, without a burst of stale events. */
      while (fs->has_next && feed_symbol_delay_us (fs, now_us, real_us) == 0 &&
             skipped++ < MAX_EVENTS_SKIPPED)
        feed_symbol_read (fs);
      if (fs->dispatching == 0)
        feed_symbol_schedule (fs);
    }
  /* A source that failed meanwhile left the feed down. */
  if (self->state != KANTOR_MARKET_FEED_STATE_DOWN)
    {
      KantorMarketFeedState up = g_hash_table_size (self->symbols) > 0
                                   ? KANTOR_MARKET_FEED_STATE_RUNNING
                                   : KANTOR_MARKET_FEED_STATE_IDLE;

      self->state = KANTOR_MARKET_FEED_STATE_DOWN;
      set_state (self, up);
    }
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
