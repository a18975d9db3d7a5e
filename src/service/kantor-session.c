/* kantor-session.c: one trading session and its engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <pthread.h>
#include <sched.h>

#include "kantor-session.h"

#include "kantor-activation.h"
#include "kantor-json.h"
#include "kantor-strategy-manager.h"

/* A backtest's worker looks at the clock and at pending results requests
 * every this many events: cheap enough to vanish in the event loop, often
 * enough (well under a millisecond of work) to answer at once. */
#define CHECK_EVERY_EVENTS 4096
/* Progress reaches the main loop at most this often. */
#define PROGRESS_INTERVAL_US (250 * 1000)
/* Budget alerts a backtest may raise; beyond this they are only counted, so
 * a strategy that keeps hitting its allocation cannot flood the clients. */
#define MAX_ALERTS 100

struct _KantorSession
{
  GObject             parent_instance;

  char               *id;
  KantorSessionType   type;
  KantorSessionState  state;
  char               *key;
  GStrv               symbols;
  JsonNode           *strategy_config;
  JsonNode           *config;
  gint64              created_at;
  gint64              ended_at;
  char               *error_message;
  GMainContext       *context;

  KantorEngine       *engine;

  /* Shared with a backtest's worker. */
  GMutex              lock;
  GPtrArray          *pending_orders;    /* char *, paper and live only */
  GPtrArray          *pending_signals;   /* char *, paper and live only */
  GArray             *signals;           /* SignalRecord */
  GArray             *snapshots;         /* KantorIndicatorValue, of every record */
  gboolean            live_rows;         /* rows for the store as they come */
  GQueue              results_waiters;   /* GTask * */
  gint                results_wanted;    /* atomic */
  JsonObject         *final_results;    /* immutable once set */
  char               *final_text;        /* final_results as JSON text, made once */
  char               *final_orders;      /* a backtest's orders (JSON array text) */
  guint64             n_events;
  gint64              last_event_ms;
  guint64             total_events;
  guint               n_alerts;
  /* Status of the engine's activations for the main thread: a backtest's
   * worker refreshes it with each progress report (KantorActivationInfo). */
  GPtrArray          *activations;

  /* Engine side: signals per "strategy\x1fsymbol", and the version of each
   * strategy when the session started. */
  GHashTable         *signal_counts;
  GHashTable         *indicator_times;   /* interned symbol -> gint64 *: last published */
  GHashTable         *versions;

  /* Backtest: worker side. */
  GThread            *thread;
  GCancellable       *cancellable;
  KantorMarketSource *source;
  gint64              from_ms;
  gint64              to_ms;
  double              speed;
  guint               countdown;
  gint64              last_progress_us;
  gint                interrupting;      /* atomic */
  gboolean            done_handled;
  GError             *run_error;
  gboolean            run_ok;

  /* Paper: the feed's subscriptions, and the recording of what it gave. */
  KantorMarketFeed   *feed;
  KantorCollectionRun *recording;
  char               *recording_id;
  GArray             *subscriptions;     /* guint */

  GPtrArray          *stop_tasks;        /* GTask *, completed when the state is final */
};

G_DEFINE_FINAL_TYPE (KantorSession, kantor_session, G_TYPE_OBJECT)

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_ALERT,
  SIGNAL_RESULTS_WRITTEN,
  SIGNAL_SIGNAL_EMITTED,
  SIGNAL_ORDER_EVENT,
  SIGNAL_INDICATORS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const type_names[] = { NULL, "backtest", "paper", "live" };
static const char * const state_names[] = {
  NULL, "starting", "running", "paused", "completed", "stopped", "failed", "interrupted",
};

const char *
kantor_session_type_to_string (KantorSessionType type)
{
  g_return_val_if_fail (type >= KANTOR_SESSION_TYPE_BACKTEST && type <= KANTOR_SESSION_TYPE_LIVE,
                        NULL);
  return type_names[type];
}

gboolean
kantor_session_type_from_string (const char        *str,
                                 KantorSessionType *type)
{
  for (guint i = 1; i < G_N_ELEMENTS (type_names); i++)
    if (g_strcmp0 (str, type_names[i]) == 0)
      {
        *type = i;
        return TRUE;
      }
  return FALSE;
}

const char *
kantor_session_state_to_string (KantorSessionState state)
{
  g_return_val_if_fail (state >= KANTOR_SESSION_STATE_STARTING &&
                        state <= KANTOR_SESSION_STATE_INTERRUPTED, NULL);
  return state_names[state];
}

gboolean
kantor_session_state_from_string (const char         *str,
                                  KantorSessionState *state)
{
  for (guint i = 1; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (str, state_names[i]) == 0)
      {
        *state = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
kantor_session_state_is_active (KantorSessionState state)
{
  return state == KANTOR_SESSION_STATE_STARTING || state == KANTOR_SESSION_STATE_RUNNING ||
         state == KANTOR_SESSION_STATE_PAUSED;
}

/* A signal as the engine gave it, without the cost of JSON: backtests
 * produce thousands. The snapshot's names belong to the strategies, which
 * the engine keeps. */
typedef struct
{
  KantorSignalType  type;
  const char       *strategy;
  const char       *symbol;
  gint64            time_ms;
  double            price;
  KantorSide        side;
  guint             snapshot;     /* index in snapshots */
  guint             n_snapshot;
} SignalRecord;

/* Under the lock. */
static JsonArray *
signals_to_json (KantorSession *self)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < self->signals->len; i++)
    {
      const SignalRecord *r = &g_array_index (self->signals, SignalRecord, i);
      KantorSignal signal = {
        .type = r->type,
        .strategy = r->strategy,
        .symbol = r->symbol,
        .time_ms = r->time_ms,
        .price = r->price,
        .side = r->side,
        .snapshot = r->n_snapshot > 0 ? &g_array_index (self->snapshots, KantorIndicatorValue,
                                                        r->snapshot) : NULL,
        .n_snapshot = r->n_snapshot,
      };

      json_array_add_element (array, kantor_signal_to_json (&signal));
    }
  return array;
}

static char *
results_to_text (JsonObject *results)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), results);

  return kantor_json_to_string (node);
}

/* Results --------------------------------------------------------------- */

/* On the engine's thread. */
static JsonObject *
build_results (KantorSession *self)
{
  KantorLedger *ledger = kantor_engine_get_ledger (self->engine);
  JsonObject *results = kantor_engine_results_to_json (self->engine);
  JsonObject *per_activation = json_object_new ();
  JsonArray *signals_json;
  guint n = kantor_engine_get_n_activations (self->engine);

  for (guint i = 0; i < n; i++)
    {
      KantorActivation *act = kantor_engine_get_activation (self->engine, i);
      const char *strategy = kantor_strategy_get_name (kantor_activation_get_strategy (act));
      const char *symbol = kantor_activation_get_symbol (act);
      JsonObject *by_symbol;
      JsonObject *metrics;

      if (!json_object_has_member (per_activation, strategy))
        json_object_set_object_member (per_activation, strategy, json_object_new ());
      by_symbol = json_object_get_object_member (per_activation, strategy);
      metrics = kantor_ledger_metrics_to_json (ledger, strategy, symbol);
      if (metrics != NULL)
        json_object_set_object_member (by_symbol, symbol, metrics);
    }
  json_object_set_object_member (results, "per_activation", per_activation);
  json_object_set_array_member (results, "trades",
                                kantor_ledger_trades_to_json (ledger, NULL, NULL));

  g_mutex_lock (&self->lock);
  signals_json = signals_to_json (self);
  g_mutex_unlock (&self->lock);
  json_object_set_array_member (results, "signals", signals_json);

  return results;
}

typedef struct
{
  KantorSession *session;
  JsonObject    *results;
  GQueue         tasks;
  JsonObject    *alert;
  gboolean       progress;
} Post;

static void
post_free (gpointer data)
{
  Post *post = data;
  GTask *task;

  while ((task = g_queue_pop_head (&post->tasks)) != NULL)
    g_object_unref (task);
  g_clear_object (&post->session);
  g_clear_pointer (&post->results, json_object_unref);
  g_clear_pointer (&post->alert, json_object_unref);
  g_free (post);
}

static gboolean
post_dispatch (gpointer data)
{
  Post *post = data;
  GTask *task;

  while ((task = g_queue_pop_head (&post->tasks)) != NULL)
    {
      g_task_return_pointer (task, json_object_ref (post->results),
                             (GDestroyNotify) json_object_unref);
      g_object_unref (task);
    }
  if (post->alert != NULL)
    g_signal_emit (post->session, signals[SIGNAL_ALERT], 0, post->alert);
  if (post->progress && kantor_session_state_is_active (post->session->state))
    g_signal_emit (post->session, signals[SIGNAL_STATE_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

/* Never g_main_context_invoke(): from a worker it may run the function
 * right there when the main context happens to be free. */
static void
run_in_context (GMainContext   *context,
                GSourceFunc     func,
                gpointer        data,
                GDestroyNotify  destroy)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "[kantor] session worker report");
  g_source_attach (source, context);
}

static void
post (KantorSession *self,
      Post          *p)
{
  p->session = g_object_ref (self);
  run_in_context (self->context, post_dispatch, p, post_free);
}

/* Engine callbacks -------------------------------------------------------- */

static void
on_signal (const KantorSignal *signal,
           gpointer            user_data)
{
  KantorSession *self = user_data;
  SignalRecord r = {
    signal->type, signal->strategy, signal->symbol, signal->time_ms, signal->price,
    signal->side, 0, signal->n_snapshot,
  };

  g_mutex_lock (&self->lock);
  r.snapshot = self->snapshots->len;
  g_array_append_vals (self->snapshots, signal->snapshot, signal->n_snapshot);
  g_array_append_val (self->signals, r);
  {
    g_autofree char *key = g_strdup_printf ("%s\x1f%s", signal->strategy, signal->symbol);
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->signal_counts, key));

    g_hash_table_replace (self->signal_counts, g_steal_pointer (&key), GUINT_TO_POINTER (n + 1));
  }
  if (self->live_rows)
    {
      g_autoptr(JsonNode) node = kantor_signal_to_json (signal);

      g_ptr_array_add (self->pending_signals, kantor_json_to_string (node));
    }
  g_mutex_unlock (&self->lock);

  /* Paper and live engines run on the main loop: their items go out as they
   * happen. A backtest's would flood the streams from a worker thread. */
  if (self->type != KANTOR_SESSION_TYPE_BACKTEST)
    g_signal_emit (self, signals[SIGNAL_SIGNAL_EMITTED], 0, signal);
}

static JsonObject *
budget_alert (KantorSession           *self,
              const KantorLedgerOrder *order,
              const KantorBudgetBreach *breach)
{
  JsonObject *alert = json_object_new ();
  g_autofree char *message = NULL;

  message = g_strdup_printf ("Order of %s on %s refused: it would take the %s exposure over its "
                             "limit of %g", order->strategy, order->symbol,
                             kantor_budget_scope_to_string (breach->scope), breach->limit);
  json_object_set_string_member (alert, "alert", "budget_breach");
  json_object_set_string_member (alert, "session_id", self->id);
  json_object_set_string_member (alert, "strategy", order->strategy);
  json_object_set_string_member (alert, "symbol", order->symbol);
  json_object_set_string_member (alert, "message", message);
  json_object_set_int_member (alert, "order_id", (gint64) order->order_id);
  json_object_set_int_member (alert, "event_time", order->time_ms);
  json_object_set_object_member (alert, "details", kantor_budget_breach_to_json (breach));
  return alert;
}

static void
on_order (const KantorLedgerOrder *order,
          gpointer                 user_data)
{
  KantorSession *self = user_data;
  KantorBudgetBreach breach;
  gboolean alert = FALSE;

  g_mutex_lock (&self->lock);
  if (self->live_rows)
    {
      g_autoptr(JsonObject) object = kantor_ledger_order_to_json (order);
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

      g_ptr_array_add (self->pending_orders, kantor_json_to_string (node));
    }
  if (order->outcome == KANTOR_ORDER_REJECTED && order->reject_reason == KANTOR_REJECT_BUDGET &&
      kantor_ledger_get_last_breach (kantor_engine_get_ledger (self->engine), &breach))
    alert = self->n_alerts++ < MAX_ALERTS;
  g_mutex_unlock (&self->lock);

  if (self->type != KANTOR_SESSION_TYPE_BACKTEST)
    {
      g_autoptr(JsonObject) object = kantor_ledger_order_to_json (order);

      g_signal_emit (self, signals[SIGNAL_ORDER_EVENT], 0, object);
    }

  if (alert)
    {
      Post *p = g_new0 (Post, 1);

      p->alert = budget_alert (self, order, &breach);
      post (self, p);
    }
}

static void
answer_results_requests (KantorSession *self)
{
  Post *p;

  p = g_new0 (Post, 1);
  g_mutex_lock (&self->lock);
  while (!g_queue_is_empty (&self->results_waiters))
    g_queue_push_tail (&p->tasks, g_queue_pop_head (&self->results_waiters));
  g_atomic_int_set (&self->results_wanted, 0);
  g_mutex_unlock (&self->lock);

  p->results = build_results (self);
  post (self, p);
}

/* The status of every activation of the engine, read on the thread that
 * drives it. */
static GPtrArray *
snapshot_activations (KantorSession *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_activation_info_free);
  guint n = kantor_engine_get_n_activations (self->engine);

  for (guint i = 0; i < n; i++)
    {
      KantorActivation *activation = kantor_engine_get_activation (self->engine, i);
      const char *name = kantor_strategy_get_name (kantor_activation_get_strategy (activation));
      const char *symbol = kantor_activation_get_symbol (activation);
      KantorActivationInfo *info = g_new0 (KantorActivationInfo, 1);
      g_autofree char *key = g_strdup_printf ("%s\x1f%s", name, symbol);

      info->strategy = g_strdup (name);
      info->symbol = g_strdup (symbol);
      info->owner = g_strdup (self->id);
      info->version = GPOINTER_TO_UINT (g_hash_table_lookup (self->versions, name));
      info->state = kantor_activation_get_state (activation);
      info->state_since_ms = kantor_activation_get_state_since_ms (activation);
      if (info->state_since_ms == 0)
        info->state_since_ms = self->created_at;
      info->activated_ms = self->created_at;
      info->last_event_ms = kantor_engine_get_last_time_ms (self->engine);
      /* The engine counts events per session, not per activation. */
      info->n_events = kantor_engine_get_n_events (self->engine);
      info->n_signals = GPOINTER_TO_UINT (g_hash_table_lookup (self->signal_counts, key));
      info->has_position = kantor_activation_get_position (activation, &info->position);
      g_ptr_array_add (list, info);
    }
  return list;
}

static void
publish_activations (KantorSession *self)
{
  GPtrArray *list = snapshot_activations (self);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->activations, g_ptr_array_unref);
  self->activations = list;
  g_mutex_unlock (&self->lock);
}

void
kantor_session_set_strategy_version (KantorSession *self,
                                     const char    *name,
                                     guint          version)
{
  g_return_if_fail (KANTOR_IS_SESSION (self));
  g_return_if_fail (self->state == KANTOR_SESSION_STATE_STARTING);
  g_hash_table_replace (self->versions, g_strdup (name), GUINT_TO_POINTER (version));
}

GPtrArray *
kantor_session_dup_activations (KantorSession *self)
{
  GPtrArray *list;

  g_return_val_if_fail (KANTOR_IS_SESSION (self), NULL);

  if (self->engine == NULL || !kantor_session_state_is_active (self->state))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_activation_info_free);
  /* Paper and live engines run here, on the main loop. */
  if (self->type != KANTOR_SESSION_TYPE_BACKTEST)
    return snapshot_activations (self);

  list = g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_activation_info_free);
  g_mutex_lock (&self->lock);
  for (guint i = 0; self->activations != NULL && i < self->activations->len; i++)
    g_ptr_array_add (list, kantor_activation_info_copy (g_ptr_array_index (self->activations, i)));
  g_mutex_unlock (&self->lock);
  return list;
}

/* Backtest worker, per event. */
static void
on_event (const KantorMarketEvent *event,
          gpointer                 user_data)
{
  KantorSession *self = user_data;
  gint64 now;

  if (G_LIKELY (--self->countdown > 0))
    return;
  self->countdown = CHECK_EVERY_EVENTS;

  if (g_atomic_int_get (&self->results_wanted))
    answer_results_requests (self);

  now = g_get_monotonic_time ();
  if (now - self->last_progress_us >= PROGRESS_INTERVAL_US)
    {
      Post *p = g_new0 (Post, 1);

      self->last_progress_us = now;
      publish_activations (self);
      g_mutex_lock (&self->lock);
      self->n_events = kantor_engine_get_n_events (self->engine);
      self->last_event_ms = event->time_ms;
      g_mutex_unlock (&self->lock);
      p->progress = TRUE;
      post (self, p);
    }
}

static const KantorEngineCallbacks backtest_callbacks = { on_event, on_signal, on_order };
/* The indicators of @symbol's activations as they are now
 * (kantor_activation_report_indicators()). */
static void
collect_indicators (KantorSession *self,
                    const char    *symbol,
                    JsonObject    *values,
                    JsonObject    *used_by)
{
  KantorIndicatorSet *set = kantor_engine_get_indicator_set (self->engine, symbol);
  g_autoptr(GPtrArray) activations = NULL;

  if (set == NULL)
    return;
  activations = g_ptr_array_new ();
  for (guint i = 0; i < kantor_engine_get_n_activations (self->engine); i++)
    {
      KantorActivation *activation = kantor_engine_get_activation (self->engine, i);

      if (g_strcmp0 (kantor_activation_get_symbol (activation), symbol) == 0)
        g_ptr_array_add (activations, activation);
    }
  kantor_activation_report_indicators ((KantorActivation **) activations->pdata,
                                       activations->len, set, values, used_by);
}

/* Paper and live, per event: the symbol's indicators at most once per
 * KANTOR_SESSION_INDICATORS_PERIOD_MS of event time. */
static void
on_paper_event (const KantorMarketEvent *event,
                gpointer                 user_data)
{
  KantorSession *self = user_data;
  gint64 *last = g_hash_table_lookup (self->indicator_times, event->symbol);
  g_autoptr(JsonObject) values = NULL;
  g_autoptr(JsonObject) used_by = NULL;

  if (last != NULL && event->time_ms - *last < KANTOR_SESSION_INDICATORS_PERIOD_MS)
    return;

  values = json_object_new ();
  used_by = json_object_new ();
  collect_indicators (self, event->symbol, values, used_by);
  /* Nothing has a value yet: the next event may bring the first. */
  if (json_object_get_size (values) == 0)
    return;
  if (last == NULL)
    {
      last = g_new (gint64, 1);
      g_hash_table_insert (self->indicator_times, (gpointer) g_intern_string (event->symbol),
                           last);
    }
  *last = event->time_ms;
  g_signal_emit (self, signals[SIGNAL_INDICATORS], 0, event->symbol, event->time_ms, values,
                 used_by);
}

static const KantorEngineCallbacks paper_callbacks = { on_paper_event, on_signal, on_order };

/* State ------------------------------------------------------------------- */

static void
set_state (KantorSession      *self,
           KantorSessionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  if (!kantor_session_state_is_active (state) && self->ended_at == 0)
    self->ended_at = g_get_real_time () / 1000;
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0);
}

static void
complete_waiters (KantorSession *self)
{
  GTask *task;
  g_autoptr(GPtrArray) stops = NULL;

  g_mutex_lock (&self->lock);
  while ((task = g_queue_pop_head (&self->results_waiters)) != NULL)
    {
      g_mutex_unlock (&self->lock);
      if (self->final_results != NULL)
        g_task_return_pointer (task, json_object_ref (self->final_results),
                               (GDestroyNotify) json_object_unref);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                 "The session has no results");
      g_object_unref (task);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);

  stops = g_steal_pointer (&self->stop_tasks);
  self->stop_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < stops->len; i++)
    g_task_return_boolean (stops->pdata[i], TRUE);
}

/* Backtest -------------------------------------------------------------- */

/* The worker: replays, then publishes the final results (the session
 * completes on the main loop at once), then writes them out as text for the
 * store off the critical path. From then on it only reads what it
 * published. */
static gboolean backtest_done_cb (gpointer data);

static gpointer
backtest_thread (gpointer data)
{
  KantorSession *self = data;
  GError *error = NULL;
  gboolean ok;
  JsonObject *results;
  char *text, *orders;
  g_autoptr(JsonArray) orders_array = NULL;
  g_autoptr(JsonNode) orders_node = NULL;

  ok = kantor_engine_run (self->engine, self->source, self->from_ms, self->to_ms,
                          self->cancellable, &error);
  /* Completed, stopped or failed, the results are final: positions close at
   * the last event. Only a shutdown leaves them as they are. */
  if (!g_atomic_int_get (&self->interrupting))
    kantor_engine_finish (self->engine);

  results = build_results (self);
  g_mutex_lock (&self->lock);
  self->n_events = kantor_engine_get_n_events (self->engine);
  self->last_event_ms = kantor_engine_get_last_time_ms (self->engine);
  self->final_results = results;
  self->run_ok = ok;
  self->run_error = error;
  g_mutex_unlock (&self->lock);
  run_in_context (self->context, backtest_done_cb, g_object_ref (self), g_object_unref);

  text = results_to_text (results);
  orders_array = kantor_ledger_orders_to_json (kantor_engine_get_ledger (self->engine), NULL,
                                               NULL, FALSE);
  orders_node = json_node_init_array (json_node_alloc (), orders_array);
  orders = kantor_json_to_string (orders_node);
  g_mutex_lock (&self->lock);
  self->final_text = text;
  self->final_orders = orders;
  g_mutex_unlock (&self->lock);

  return NULL;
}

static void
backtest_finished (KantorSession *self)
{
  KantorSessionState state;

  if (self->done_handled)
    return;
  self->done_handled = TRUE;

  if (g_atomic_int_get (&self->interrupting))
    state = KANTOR_SESSION_STATE_INTERRUPTED;
  else if (self->run_ok)
    state = KANTOR_SESSION_STATE_COMPLETED;
  else if (g_error_matches (self->run_error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_CANCELLED))
    state = KANTOR_SESSION_STATE_STOPPED;
  else
    {
      state = KANTOR_SESSION_STATE_FAILED;
      self->error_message = g_strdup (self->run_error->message);
      g_warning ("Backtest %s failed: %s", self->id, self->run_error->message);
    }

  set_state (self, state);
  complete_waiters (self);
}

static gboolean
backtest_done_cb (gpointer data)
{
  backtest_finished (data);
  return G_SOURCE_REMOVE;
}

/* The worker has returned: its text is there for the store. */
static void
backtest_joined (KantorSession *self)
{
  if (self->thread == NULL)
    return;
  g_thread_join (g_steal_pointer (&self->thread));
  g_clear_object (&self->source);
  backtest_finished (self);
  g_signal_emit (self, signals[SIGNAL_RESULTS_WRITTEN], 0);
}

static gboolean
backtest_joined_cb (gpointer data)
{
  backtest_joined (data);
  return G_SOURCE_REMOVE;
}

static gpointer
backtest_thread_main (gpointer data)
{
  KantorSession *self = data;
#ifdef SCHED_BATCH
  struct sched_param param = { 0 };

  /* CPU-bound: mildly disfavoured when the main loop wakes up, so requests
   * are answered at once even with every core busy; throughput is not
   * changed. */
  pthread_setschedparam (pthread_self (), SCHED_BATCH, &param);
#endif

  backtest_thread (self);
  /* Hands over the reference taken for the thread. */
  run_in_context (self->context, backtest_joined_cb, self, g_object_unref);
  return NULL;
}

void
kantor_session_wait (KantorSession *self)
{
  g_return_if_fail (KANTOR_IS_SESSION (self));
  backtest_joined (self);
}

void
kantor_session_run_backtest (KantorSession      *self,
                             KantorMarketSource *source,
                             gint64              from_ms,
                             gint64              to_ms,
                             double              speed,
                             guint64             total_events)
{
  g_autofree char *name = NULL;

  g_return_if_fail (KANTOR_IS_SESSION (self));
  g_return_if_fail (self->state == KANTOR_SESSION_STATE_STARTING);
  g_return_if_fail (self->engine != NULL);

  self->source = g_object_ref (source);
  self->from_ms = from_ms;
  self->to_ms = to_ms;
  self->speed = speed;
  self->total_events = total_events;
  self->countdown = CHECK_EVERY_EVENTS;
  self->last_progress_us = g_get_monotonic_time ();
  self->cancellable = g_cancellable_new ();
  kantor_engine_set_speed (self->engine, speed);
  kantor_engine_set_callbacks (self->engine, &backtest_callbacks, self);
  /* The worker does not run yet: the engine is still ours to read. */
  publish_activations (self);

  set_state (self, KANTOR_SESSION_STATE_RUNNING);
  name = g_strdup_printf ("backtest-%.8s", self->id);
  self->thread = g_thread_new (name, backtest_thread_main, g_object_ref (self));
}

/* Paper ----------------------------------------------------------------- */

static void
on_feed_event (KantorMarketFeed        *feed,
               const KantorMarketEvent *event,
               gpointer                 user_data)
{
  KantorSession *self = user_data;

  /* A recorded session consumes only what its recording holds, so that a
   * replay of it computes the same: nothing while its files are being
   * created. */
  if (self->recording != NULL &&
      kantor_collection_run_get_state (self->recording) == KANTOR_COLLECTION_STATE_STARTING)
    return;

  kantor_engine_process_event (self->engine, event);
  if (self->recording != NULL)
    kantor_collection_run_push (self->recording, event);
  self->n_events = kantor_engine_get_n_events (self->engine);
  self->last_event_ms = event->time_ms;
}

void
kantor_session_set_recording (KantorSession       *self,
                              KantorCollectionRun *run)
{
  g_return_if_fail (KANTOR_IS_SESSION (self));
  g_set_object (&self->recording, run);
  g_free (self->recording_id);
  self->recording_id = run != NULL ? g_strdup (kantor_collection_run_get_id (run)) : NULL;
}

KantorCollectionRun *
kantor_session_get_recording (KantorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_SESSION (self), NULL);
  return self->recording;
}

const char *
kantor_session_get_recording_id (KantorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_SESSION (self), NULL);
  return self->recording_id;
}

void
kantor_session_run_paper (KantorSession    *self,
                          KantorMarketFeed *feed)
{
  g_return_if_fail (KANTOR_IS_SESSION (self));
  g_return_if_fail (self->state == KANTOR_SESSION_STATE_STARTING);

  self->feed = g_object_ref (feed);
  self->live_rows = TRUE;
  self->subscriptions = g_array_new (FALSE, FALSE, sizeof (guint));
  kantor_engine_set_callbacks (self->engine, &paper_callbacks, self);
  for (guint i = 0; self->symbols[i] != NULL; i++)
    {
      guint id = kantor_market_feed_subscribe (feed, self->symbols[i], on_feed_event, self, NULL);

      g_array_append_val (self->subscriptions, id);
    }
  set_state (self, KANTOR_SESSION_STATE_RUNNING);
}

static void
paper_end (KantorSession *self,
           gboolean       finish)
{
  JsonObject *results;

  if (self->subscriptions != NULL)
    {
      for (guint i = 0; i < self->subscriptions->len; i++)
        kantor_market_feed_unsubscribe (self->feed, g_array_index (self->subscriptions, guint, i));
      g_clear_pointer (&self->subscriptions, g_array_unref);
    }
  if (finish)
    kantor_engine_finish (self->engine);
  results = build_results (self);
  g_mutex_lock (&self->lock);
  self->final_results = results;
  g_mutex_unlock (&self->lock);
}

/* Stop ------------------------------------------------------------------ */

void
kantor_session_stop_async (KantorSession      *self,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_return_if_fail (KANTOR_IS_SESSION (self));
  g_task_set_source_tag (task, kantor_session_stop_async);

  if (!kantor_session_state_is_active (self->state))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->stop_tasks, g_steal_pointer (&task));
  if (self->thread != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      return;
    }

  if (self->engine != NULL)
    paper_end (self, TRUE);
  set_state (self, KANTOR_SESSION_STATE_STOPPED);
  complete_waiters (self);
}

gboolean
kantor_session_stop_finish (KantorSession *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kantor_session_interrupt (KantorSession *self)
{
  g_return_if_fail (KANTOR_IS_SESSION (self));

  if (!kantor_session_state_is_active (self->state))
    return;

  if (self->thread != NULL)
    {
      g_atomic_int_set (&self->interrupting, 1);
      g_cancellable_cancel (self->cancellable);
      /* The worker looks at the cancellable between batches: this is a
       * short wait, and only at shutdown. */
      backtest_joined (self);
      return;
    }
  if (self->engine != NULL)
    paper_end (self, FALSE);
  set_state (self, KANTOR_SESSION_STATE_INTERRUPTED);
  complete_waiters (self);
}

/* Results --------------------------------------------------------------- */

void
kantor_session_results_async (KantorSession      *self,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_return_if_fail (KANTOR_IS_SESSION (self));
  g_task_set_source_tag (task, kantor_session_results_async);

  g_mutex_lock (&self->lock);
  if (self->final_results != NULL)
    {
      JsonObject *results = json_object_ref (self->final_results);

      g_mutex_unlock (&self->lock);
      g_task_return_pointer (task, results, (GDestroyNotify) json_object_unref);
      return;
    }
  if (self->thread != NULL)
    {
      g_queue_push_tail (&self->results_waiters, g_steal_pointer (&task));
      g_atomic_int_set (&self->results_wanted, 1);
      g_mutex_unlock (&self->lock);
      return;
    }
  g_mutex_unlock (&self->lock);

  if (self->engine != NULL)
    g_task_return_pointer (task, build_results (self), (GDestroyNotify) json_object_unref);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             "No results were saved for this session before the server stopped");
}

JsonObject *
kantor_session_results_finish (KantorSession *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
kantor_session_get_final_results_text (KantorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_SESSION (self), NULL);

  g_mutex_lock (&self->lock);
  /* A backtest's worker writes it; for the others it is made here. */
  if (self->final_text == NULL && self->final_results != NULL && self->thread == NULL &&
      self->source == NULL)
    self->final_text = results_to_text (self->final_results);
  g_mutex_unlock (&self->lock);
  return self->final_text;
}

JsonObject *
kantor_session_get_final_results (KantorSession *self)
{
  JsonObject *results;

  g_return_val_if_fail (KANTOR_IS_SESSION (self), NULL);
  g_mutex_lock (&self->lock);
  results = self->final_results;
  g_mutex_unlock (&self->lock);
  return results;
}

char *
kantor_session_take_final_orders (KantorSession *self)
{
  char *orders;

  g_mutex_lock (&self->lock);
  orders = g_steal_pointer (&self->final_orders);
  g_mutex_unlock (&self->lock);
  return orders;
}

gboolean
kantor_session_has_pending_rows (KantorSession *self)
{
  gboolean any;

  g_mutex_lock (&self->lock);
  any = self->pending_orders->len > 0 || self->pending_signals->len > 0;
  g_mutex_unlock (&self->lock);
  return any;
}

void
kantor_session_take_rows (KantorSession *self,
                          GPtrArray    **orders,
                          GPtrArray    **signals_out)
{
  g_mutex_lock (&self->lock);
  *orders = g_steal_pointer (&self->pending_orders);
  *signals_out = g_steal_pointer (&self->pending_signals);
  self->pending_orders = g_ptr_array_new_with_free_func (g_free);
  self->pending_signals = g_ptr_array_new_with_free_func (g_free);
  g_mutex_unlock (&self->lock);
}

/* Accessors --------------------------------------------------------------- */

const char *
kantor_session_get_id (KantorSession *self)
{
  return self->id;
}

KantorSessionType
kantor_session_get_session_type (KantorSession *self)
{
  return self->type;
}

KantorSessionState
kantor_session_get_state (KantorSession *self)
{
  return self->state;
}

const char *
kantor_session_get_key (KantorSession *self)
{
  return self->key;
}

const char * const *
kantor_session_get_symbols (KantorSession *self)
{
  return (const char * const *) self->symbols;
}

JsonNode *
kantor_session_get_strategy_config (KantorSession *self)
{
  return self->strategy_config;
}

JsonNode *
kantor_session_get_config (KantorSession *self)
{
  return self->config;
}

gint64
kantor_session_get_created_at (KantorSession *self)
{
  return self->created_at;
}

gint64
kantor_session_get_ended_at (KantorSession *self)
{
  return self->ended_at;
}

const char *
kantor_session_get_error_message (KantorSession *self)
{
  return self->error_message;
}

gboolean
kantor_session_runs (KantorSession *self,
                     const char    *strategy,
                     const char    *symbol)
{
  JsonObject *config = json_node_get_object (self->strategy_config);
  JsonArray *symbols;

  if (!json_object_has_member (config, strategy))
    return FALSE;
  symbols = json_object_get_array_member (config, strategy);
  for (guint i = 0; i < json_array_get_length (symbols); i++)
    if (g_strcmp0 (json_array_get_string_element (symbols, i), symbol) == 0)
      return TRUE;
  return FALSE;
}

JsonObject *
kantor_session_dup_progress (KantorSession *self)
{
  JsonObject *progress;

  g_mutex_lock (&self->lock);
  if (self->engine == NULL || (self->n_events == 0 && self->last_event_ms == 0))
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  progress = json_object_new ();
  json_object_set_int_member (progress, "events_processed", (gint64) self->n_events);
  json_object_set_int_member (progress, "last_event_time", self->last_event_ms);
  if (self->total_events > 0)
    json_object_set_double_member (progress, "fraction",
                                   MIN (1.0, (double) self->n_events /
                                             (double) self->total_events));
  g_mutex_unlock (&self->lock);
  return progress;
}

JsonObject *
kantor_session_to_json (KantorSession *self)
{
  JsonObject *obj = json_object_new ();
  JsonArray *symbols = json_array_new ();
  JsonObject *progress;

  for (guint i = 0; self->symbols[i] != NULL; i++)
    json_array_add_string_element (symbols, self->symbols[i]);
  json_object_set_string_member (obj, "session_id", self->id);
  json_object_set_string_member (obj, "session_type", kantor_session_type_to_string (self->type));
  json_object_set_string_member (obj, "state", kantor_session_state_to_string (self->state));
  json_object_set_array_member (obj, "symbols", symbols);
  json_object_set_member (obj, "strategy_config", json_node_copy (self->strategy_config));
  if (self->config != NULL)
    json_object_set_member (obj, "config", json_node_copy (self->config));
  json_object_set_int_member (obj, "created_at", self->created_at);
  if (self->ended_at != 0)
    json_object_set_int_member (obj, "ended_at", self->ended_at);
  else
    json_object_set_null_member (obj, "ended_at");
  progress = kantor_session_dup_progress (self);
  if (progress != NULL)
    json_object_set_object_member (obj, "progress", progress);
  if (self->error_message != NULL)
    json_object_set_string_member (obj, "error", self->error_message);
  if (self->recording_id != NULL)
    json_object_set_string_member (obj, "recording_collection_id", self->recording_id);
  return obj;
}

/* Life cycle ------------------------------------------------------------ */

static KantorSession *
session_new_common (const char         *id,
                    KantorSessionType   type,
                    const char         *key,
                    const char * const *symbols,
                    JsonNode           *strategy_config,
                    JsonNode           *config)
{
  KantorSession *self = g_object_new (KANTOR_TYPE_SESSION, NULL);

  self->id = g_strdup (id);
  self->type = type;
  self->key = g_strdup (key);
  self->symbols = g_strdupv ((char **) symbols);
  self->strategy_config = json_node_copy (strategy_config);
  self->config = config != NULL ? json_node_copy (config) : NULL;
  return self;
}

KantorSession *
kantor_session_new (const char         *id,
                    KantorSessionType   type,
                    const char         *key,
                    const char * const *symbols,
                    JsonNode           *strategy_config,
                    JsonNode           *config,
                    KantorEngine       *engine)
{
  KantorSession *self = session_new_common (id, type, key, symbols, strategy_config, config);

  self->state = KANTOR_SESSION_STATE_STARTING;
  self->created_at = g_get_real_time () / 1000;
  self->engine = engine;
  return self;
}

KantorSession *
kantor_session_new_restored (const char         *id,
                             KantorSessionType   type,
                             KantorSessionState  state,
                             const char         *key,
                             const char * const *symbols,
                             JsonNode           *strategy_config,
                             JsonNode           *config,
                             gint64              created_at_ms,
                             gint64              ended_at_ms,
                             JsonObject         *results,
                             const char         *recording_id)
{
  KantorSession *self = session_new_common (id, type, key, symbols, strategy_config, config);

  self->state = state;
  self->created_at = created_at_ms;
  self->ended_at = ended_at_ms;
  self->final_results = results != NULL ? json_object_ref (results) : NULL;
  self->recording_id = g_strdup (recording_id);
  return self;
}

static void
kantor_session_dispose (GObject *object)
{
  KantorSession *self = KANTOR_SESSION (object);

  /* A session is only released once its work is over (the worker holds a
   * reference until it has posted its end). */
  if (self->subscriptions != NULL)
    paper_end (self, FALSE);
  g_clear_object (&self->feed);
  g_clear_object (&self->recording);

  G_OBJECT_CLASS (kantor_session_parent_class)->dispose (object);
}

static void
kantor_session_finalize (GObject *object)
{
  KantorSession *self = KANTOR_SESSION (object);

  g_assert (self->thread == NULL);
  g_free (self->id);
  g_free (self->key);
  g_strfreev (self->symbols);
  g_clear_pointer (&self->strategy_config, json_node_unref);
  g_clear_pointer (&self->config, json_node_unref);
  g_free (self->error_message);
  g_free (self->recording_id);
  g_clear_pointer (&self->activations, g_ptr_array_unref);
  g_clear_pointer (&self->signal_counts, g_hash_table_unref);
  g_clear_pointer (&self->indicator_times, g_hash_table_unref);
  g_clear_pointer (&self->versions, g_hash_table_unref);
  g_clear_pointer (&self->engine, kantor_engine_free);
  g_clear_pointer (&self->pending_orders, g_ptr_array_unref);
  g_clear_pointer (&self->pending_signals, g_ptr_array_unref);
  g_clear_pointer (&self->signals, g_array_unref);
  g_clear_pointer (&self->snapshots, g_array_unref);
  g_free (self->final_orders);
  g_clear_pointer (&self->final_results, json_object_unref);
  g_free (self->final_text);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->source);
  g_clear_error (&self->run_error);
  g_clear_pointer (&self->stop_tasks, g_ptr_array_unref);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (kantor_session_parent_class)->finalize (object);
}

static void
kantor_session_class_init (KantorSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_session_dispose;
  object_class->finalize = kantor_session_finalize;

  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ALERT] =
    g_signal_new ("alert", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  signals[SIGNAL_RESULTS_WRITTEN] =
    g_signal_new ("results-written", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SIGNAL_EMITTED] =
    g_signal_new ("signal-emitted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_ORDER_EVENT] =
    g_signal_new ("order-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  signals[SIGNAL_INDICATORS] =
    g_signal_new ("indicators", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_INT64, JSON_TYPE_OBJECT,
                  JSON_TYPE_OBJECT);
}

static void
kantor_session_init (KantorSession *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->pending_orders = g_ptr_array_new_with_free_func (g_free);
  self->pending_signals = g_ptr_array_new_with_free_func (g_free);
  self->signals = g_array_new (FALSE, FALSE, sizeof (SignalRecord));
  self->snapshots = g_array_new (FALSE, FALSE, sizeof (KantorIndicatorValue));
  self->stop_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->signal_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->indicator_times = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  self->versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
