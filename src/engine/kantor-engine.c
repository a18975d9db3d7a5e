/* kantor-engine.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-engine.h"
#include "kantor-pacer.h"

#include "kantor-activation.h"
#include "kantor-window.h"

G_DEFINE_QUARK (kantor-engine-error-quark, kantor_engine_error)

/* Events pulled from a source per call. */
#define READ_BATCH 64

typedef struct _EngineSymbol EngineSymbol;

struct _EngineSymbol
{
  KantorEngine        *engine;
  const char          *name;          /* interned */
  KantorIndicatorSet  *set;
  KantorQuote          quote;
  guint                ledger_index;
  GPtrArray           *activations;   /* KantorActivation */
};

struct _KantorEngine
{
  KantorLedger          *ledger;
  GPtrArray             *symbols;       /* EngineSymbol, in order of addition */
  GHashTable            *by_name;       /* interned name -> EngineSymbol */
  GPtrArray             *activations;   /* KantorActivation (owned by their symbols) */
  const char           **symbol_names;  /* NULL-terminated, rebuilt on addition */
  const char            *cached_name;
  EngineSymbol          *cached_symbol;
  KantorEngineCallbacks  callbacks;
  gpointer               user_data;
  double                 speed;
  guint64                n_events;
  guint64                n_dropped;
  gint64                 first_time_ms;
  gint64                 last_time_ms;
  gboolean               started;
  gboolean               finished;
};

static void
engine_symbol_free (gpointer data)
{
  EngineSymbol *symbol = data;

  /* Activations first: they point into the set. */
  g_clear_pointer (&symbol->activations, g_ptr_array_unref);
  g_clear_pointer (&symbol->set, kantor_indicator_set_free);
  g_free (symbol);
}

KantorEngine *
kantor_engine_new (const KantorLedgerConfig *config)
{
  KantorEngine *self = g_new0 (KantorEngine, 1);

  self->ledger = kantor_ledger_new (config);
  self->symbols = g_ptr_array_new_with_free_func (engine_symbol_free);
  self->by_name = g_hash_table_new (NULL, NULL);
  self->activations = g_ptr_array_new ();
  self->symbol_names = g_new0 (const char *, 1);

  return self;
}

void
kantor_engine_free (KantorEngine *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->activations, g_ptr_array_unref);
  g_clear_pointer (&self->symbols, g_ptr_array_unref);
  g_clear_pointer (&self->ledger, kantor_ledger_free);
  g_free (self->symbol_names);
  g_free (self);
}

void
kantor_engine_set_callbacks (KantorEngine                *self,
                             const KantorEngineCallbacks *callbacks,
                             gpointer                     user_data)
{
  g_return_if_fail (self != NULL);

  if (callbacks != NULL)
    self->callbacks = *callbacks;
  else
    memset (&self->callbacks, 0, sizeof self->callbacks);
  self->user_data = user_data;
}

static void
on_signal (const KantorSignal *signal,
           gpointer            user_data)
{
  EngineSymbol *symbol = user_data;
  KantorEngine *self = symbol->engine;

  /* signals_detected counts detections (S1), not every transition. */
  if (signal->type == KANTOR_SIGNAL_S1_SIGNAL)
    kantor_ledger_record_signal (self->ledger, signal);

  if (self->callbacks.signal != NULL)
    self->callbacks.signal (signal, self->user_data);
}

static gboolean
on_execute (const KantorOrderRequest *request,
            KantorFill               *fill,
            gpointer                  user_data)
{
  EngineSymbol *symbol = user_data;
  KantorEngine *self = symbol->engine;
  gboolean filled;

  filled = kantor_ledger_execute (self->ledger, request, &symbol->quote, fill);

  if (self->callbacks.order != NULL)
    {
      guint n = kantor_ledger_get_n_orders (self->ledger);

      if (n > 0)
        self->callbacks.order (kantor_ledger_get_order (self->ledger, n - 1), self->user_data);
    }

  return filled;
}

static EngineSymbol *
ensure_symbol (KantorEngine *self,
               const char   *name)
{
  EngineSymbol *symbol = g_hash_table_lookup (self->by_name, name);
  guint i;

  if (symbol != NULL)
    return symbol;

  symbol = g_new0 (EngineSymbol, 1);
  symbol->engine = self;
  symbol->name = name;
  symbol->set = kantor_indicator_set_new ();
  symbol->activations = g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_activation_free);
  symbol->ledger_index = kantor_ledger_add_symbol (self->ledger, name);
  g_ptr_array_add (self->symbols, symbol);
  g_hash_table_insert (self->by_name, (gpointer) name, symbol);

  g_free (self->symbol_names);
  self->symbol_names = g_new0 (const char *, self->symbols->len + 1);
  for (i = 0; i < self->symbols->len; i++)
    self->symbol_names[i] = ((EngineSymbol *) self->symbols->pdata[i])->name;

  return symbol;
}

gboolean
kantor_engine_add_activation (KantorEngine    *self,
                              KantorStrategy  *strategy,
                              const char      *symbol_name,
                              GError         **error)
{
  static const KantorExecutionHooks hooks = { on_signal, on_execute };
  const char *name;
  EngineSymbol *symbol;
  KantorActivation *activation;
  guint i;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (strategy != NULL, FALSE);
  g_return_val_if_fail (symbol_name != NULL, FALSE);
  g_return_val_if_fail (!self->finished, FALSE);

  if (!kantor_symbol_is_valid (symbol_name))
    {
      g_set_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_INVALID,
                   "“%s” is not a valid symbol (^[A-Z0-9_]{1,32}$)", symbol_name);
      return FALSE;
    }

  name = g_intern_string (symbol_name);
  symbol = ensure_symbol (self, name);
  for (i = 0; i < symbol->activations->len; i++)
    {
      KantorStrategy *other = kantor_activation_get_strategy (symbol->activations->pdata[i]);

      if (kantor_strategy_get_name (other) == kantor_strategy_get_name (strategy))
        {
          g_set_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_INVALID,
                       "strategy %s is already active on %s",
                       kantor_strategy_get_name (strategy), name);
          return FALSE;
        }
    }

  activation = kantor_activation_new (strategy, name, symbol->set, &hooks, symbol);
  g_ptr_array_add (symbol->activations, activation);
  g_ptr_array_add (self->activations, activation);
  /* The cache may remember this symbol as untraded. */
  self->cached_name = NULL;
  self->cached_symbol = NULL;
  kantor_ledger_add_activation (self->ledger, kantor_strategy_get_name (strategy), name);

  return TRUE;
}

static inline EngineSymbol *
lookup_symbol (KantorEngine *self,
               const char   *name)
{
  EngineSymbol *symbol;

  if (G_LIKELY (name == self->cached_name))
    return self->cached_symbol;

  symbol = g_hash_table_lookup (self->by_name, name);
  self->cached_name = name;
  self->cached_symbol = symbol;
  return symbol;
}

/* The per-event work, without the argument checks of the public entry:
 * kantor_engine_run() calls it for every event of a batch. */
static inline void
process_event (KantorEngine            *self,
               const KantorMarketEvent *event)
{
  EngineSymbol *symbol;
  KantorActivation **activations;
  guint i, n;

  if (G_UNLIKELY (self->started && event->time_ms < self->last_time_ms))
    {
      self->n_dropped++;
      return;
    }
  if (G_UNLIKELY (!self->started))
    {
      self->started = TRUE;
      self->first_time_ms = event->time_ms;
    }
  self->last_time_ms = event->time_ms;
  self->n_events++;

  symbol = lookup_symbol (self, event->symbol);
  if (symbol == NULL)
    return;

  kantor_quote_update (&symbol->quote, event);
  kantor_indicator_set_update (symbol->set, event);
  kantor_ledger_mark_index (self->ledger, symbol->ledger_index, event);
  activations = (KantorActivation **) symbol->activations->pdata;
  n = symbol->activations->len;
  for (i = 0; i < n; i++)
    kantor_activation_on_event (activations[i], event, &symbol->quote);

  if (self->callbacks.event != NULL)
    self->callbacks.event (event, self->user_data);
}

KANTOR_HOT_PATH
void
kantor_engine_process_event (KantorEngine            *self,
                             const KantorMarketEvent *event)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);
  g_return_if_fail (!self->finished);

  process_event (self, event);
}

void
kantor_engine_set_speed (KantorEngine *self,
                         double        speed)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (speed >= 0);

  self->speed = speed;
}

/* Sources hand out events in time order; the range test on a batch's two
 * ends holds for the middle only if this one did. */
static inline gboolean
in_order (const KantorMarketEvent *batch,
          gsize                    n)
{
  gboolean ordered = TRUE;

  for (gsize i = 1; i < n; i++)
    ordered &= batch[i].time_ms >= batch[i - 1].time_ms;
  return ordered;
}

KANTOR_HOT_PATH
gboolean
kantor_engine_run (KantorEngine        *self,
                   KantorMarketSource  *source,
                   gint64               from_ms,
                   gint64               to_ms,
                   GCancellable        *cancellable,
                   GError             **error)
{
  g_autofree KantorMarketEvent *batch = NULL;
  g_autoptr(KantorPacer) pacer = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (KANTOR_IS_MARKET_SOURCE (source), FALSE);
  g_return_val_if_fail (!self->finished, FALSE);

  if (from_ms > to_ms)
    {
      g_set_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_INVALID,
                   "the end of the time range is before its start");
      return FALSE;
    }

  batch = g_new (KantorMarketEvent, READ_BATCH);
  if (self->speed > 0)
    pacer = kantor_pacer_new (self->speed);

  for (;;)
    {
      GError *local_error = NULL;
      gsize n, i;

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_CANCELLED,
                       "the run was cancelled");
          return FALSE;
        }

      n = kantor_market_source_read (source, batch, READ_BATCH, &local_error);
      if (n == 0)
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
          return TRUE;
        }

      /* Nothing to pace, every event in range: the plain loop, which
       * is what a backtest runs almost all of the time. */
      if (pacer == NULL && batch[0].time_ms >= from_ms && batch[n - 1].time_ms <= to_ms
          && in_order (batch, n))
        {
          for (i = 0; i < n; i++)
            process_event (self, &batch[i]);
        }
      else
        {
          for (i = 0; i < n; i++)
            {
              const KantorMarketEvent *event = &batch[i];

              if (event->time_ms < from_ms)
                continue;
              if (event->time_ms > to_ms)
                return TRUE;

              if (pacer != NULL)
                {
                  gint64 delay;

                  while ((delay = kantor_pacer_delay_us (pacer, event->time_ms,
                                                         g_get_monotonic_time ())) > 0)
                    {
                      if (g_cancellable_is_cancelled (cancellable))
                        {
                          g_set_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_CANCELLED,
                                       "the run was cancelled");
                          return FALSE;
                        }
                      /* Short naps so that cancellation is seen soon. */
                      g_usleep (MIN (delay, 50000));
                    }
                }

              process_event (self, event);
            }
        }

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
    }
}

static const KantorQuote *
lookup_quote (const char *name,
              gpointer    user_data)
{
  return kantor_engine_get_quote (user_data, name);
}

void
kantor_engine_finish (KantorEngine *self)
{
  guint i, j;

  g_return_if_fail (self != NULL);

  if (self->finished)
    return;
  self->finished = TRUE;

  /* Through the activations first, so each emits its session_end signal
   * and returns to MONITORING; then the ledger closes anything left. */
  for (i = 0; i < self->symbols->len; i++)
    {
      EngineSymbol *symbol = self->symbols->pdata[i];

      for (j = 0; j < symbol->activations->len; j++)
        kantor_activation_close (symbol->activations->pdata[j], self->last_time_ms,
                                 KANTOR_SIGNAL_SESSION_END);
    }
  kantor_ledger_close_all (self->ledger, self->last_time_ms, lookup_quote, self);
}

gboolean
kantor_engine_is_finished (KantorEngine *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->finished;
}

KantorLedger *
kantor_engine_get_ledger (KantorEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->ledger;
}

KantorIndicatorSet *
kantor_engine_get_indicator_set (KantorEngine *self,
                                 const char   *name)
{
  EngineSymbol *symbol;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  symbol = g_hash_table_lookup (self->by_name, g_intern_string (name));
  return symbol != NULL ? symbol->set : NULL;
}

const KantorQuote *
kantor_engine_get_quote (KantorEngine *self,
                         const char   *name)
{
  EngineSymbol *symbol;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  symbol = g_hash_table_lookup (self->by_name, g_intern_string (name));
  return symbol != NULL ? &symbol->quote : NULL;
}

guint
kantor_engine_get_n_activations (KantorEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->activations->len;
}

KantorActivation *
kantor_engine_get_activation (KantorEngine *self,
                              guint         index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->activations->len, NULL);

  return self->activations->pdata[index];
}

KantorActivation *
kantor_engine_lookup_activation (KantorEngine *self,
                                 const char   *strategy_name,
                                 const char   *symbol_name)
{
  EngineSymbol *symbol;
  const char *name;
  guint i;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (strategy_name != NULL && symbol_name != NULL, NULL);

  symbol = g_hash_table_lookup (self->by_name, g_intern_string (symbol_name));
  if (symbol == NULL)
    return NULL;

  name = g_intern_string (strategy_name);
  for (i = 0; i < symbol->activations->len; i++)
    {
      KantorActivation *activation = symbol->activations->pdata[i];

      if (kantor_strategy_get_name (kantor_activation_get_strategy (activation)) == name)
        return activation;
    }
  return NULL;
}

const char * const *
kantor_engine_get_symbols (KantorEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char * const *) self->symbol_names;
}

guint64
kantor_engine_get_n_events (KantorEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_events;
}

guint64
kantor_engine_get_n_dropped (KantorEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_dropped;
}

gint64
kantor_engine_get_last_time_ms (KantorEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->last_time_ms;
}

JsonObject *
kantor_engine_results_to_json (KantorEngine *self)
{
  JsonObject *object;
  KantorMetrics metrics;

  g_return_val_if_fail (self != NULL, NULL);

  kantor_ledger_get_metrics (self->ledger, &metrics);

  object = json_object_new ();
  json_object_set_object_member (object, "metrics", kantor_metrics_to_json (&metrics));
  json_object_set_object_member (object, "per_symbol",
                                 kantor_ledger_per_symbol_to_json (self->ledger));
  json_object_set_object_member (object, "per_strategy",
                                 kantor_ledger_per_strategy_to_json (self->ledger));
  json_object_set_string_member (object, "results_hash",
                                 kantor_ledger_get_results_hash (self->ledger));
  json_object_set_int_member (object, "events_processed", (gint64) self->n_events);
  json_object_set_int_member (object, "events_dropped", (gint64) self->n_dropped);
  if (self->started)
    {
      json_object_set_int_member (object, "first_event_ms", self->first_time_ms);
      json_object_set_int_member (object, "last_event_ms", self->last_time_ms);
    }
  else
    {
      json_object_set_null_member (object, "first_event_ms");
      json_object_set_null_member (object, "last_event_ms");
    }

  return object;
}
