/* kantor-activation.c: the strategy state machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Conditions are compiled once into (source, operator, value) triples; an
 * event evaluates only the sections its state needs, and nothing allocates
 * after construction: snapshots live in arrays sized up front.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-activation.h"
#include "kantor-window.h"

/* A failed closing order is retried at most once per this much event time,
 * so a rejecting venue is not hammered on every tick. */
#define EXIT_RETRY_MS 1000

typedef enum
{
  SOURCE_SLOT = 0,
  SOURCE_PNL,
  SOURCE_POSITION_AGE,
  SOURCE_SIGNAL_AGE,
} SourceKind;

typedef struct
{
  SourceKind kind;
  guint      slot;
} Source;

typedef struct
{
  Source           source;
  KantorCompareOp  op;
  double           value;
} Compiled;

typedef struct
{
  Compiled             *conditions;
  guint                 n_conditions;
  /* One entry per distinct indicator the section's conditions use. */
  KantorIndicatorValue *snapshot;
  Source               *snapshot_sources;
  guint                 n_snapshot;
} Section;

typedef enum
{
  EXTRA_PNL = 0,
  EXTRA_POSITION_AGE,
  EXTRA_SIGNAL_AGE,
  N_EXTRAS,
} Extra;

struct _KantorActivation
{
  KantorStrategy       *strategy;
  const char           *strategy_name;   /* interned */
  const char           *symbol;          /* interned */
  KantorIndicatorSet   *set;
  KantorExecutionHooks  hooks;
  gpointer              user_data;

  KantorDirection       direction;
  KantorSide            open_side;
  KantorSide            close_side;
  Section               sections[KANTOR_N_SECTIONS];
  guint                *slots;           /* indicator index -> slot in @set */
  /* Snapshots of signals no section decides: stop loss, take profit,
   * timeouts, session end. */
  KantorIndicatorValue  extras[N_EXTRAS];
  Source                extra_sources[N_EXTRAS];

  gint64                timeout_ms;      /* 0: none */
  gint64                cancel_cooldown_ms;
  gint64                emergency_cooldown_ms;
  gboolean              cancel_pending;
  gboolean              close_position;
  gboolean              stop_loss;
  gboolean              take_profit;
  double                stop_loss_pct;
  double                take_profit_pct;
  KantorSizeKind        size_kind;
  double                size_value;
  double                min_notional;
  double                max_notional;

  /* Dynamic state. */
  KantorActivationState state;
  gint64                state_since_ms;
  gint64                now_ms;
  gboolean              has_signal;
  gint64                signal_time_ms;
  gint64                cooldown_until_ms;
  gint64                exit_retry_ms;
  gboolean              has_position;
  KantorActivationPosition        position;
  double                stop_price;
  double                take_price;
  gboolean              e1_latched;
  double                last_price;
  double                bid;
  double                ask;
};

const char *
kantor_activation_state_to_string (KantorActivationState state)
{
  switch (state)
    {
    case KANTOR_ACTIVATION_MONITORING:      return "MONITORING";
    case KANTOR_ACTIVATION_SIGNAL_DETECTED: return "SIGNAL_DETECTED";
    case KANTOR_ACTIVATION_POSITION_ACTIVE: return "POSITION_ACTIVE";
    case KANTOR_ACTIVATION_COOLDOWN:        return "COOLDOWN";
    case KANTOR_ACTIVATION_EMERGENCY_EXIT:  return "EMERGENCY_EXIT";
    default:                                return NULL;
    }
}

static Source
source_for (KantorActivation      *self,
            const KantorCondition *condition)
{
  Source source = { SOURCE_SLOT, 0 };

  switch (condition->builtin)
    {
    case KANTOR_BUILTIN_UNREALIZED_PNL_PCT:   source.kind = SOURCE_PNL; break;
    case KANTOR_BUILTIN_POSITION_AGE_SECONDS: source.kind = SOURCE_POSITION_AGE; break;
    case KANTOR_BUILTIN_SIGNAL_AGE_SECONDS:   source.kind = SOURCE_SIGNAL_AGE; break;
    case KANTOR_BUILTIN_NONE:
    default:
      source.slot = self->slots[condition->indicator];
      break;
    }
  return source;
}

static void
compile_section (KantorActivation      *self,
                 KantorStrategySection  which)
{
  Section *section = &self->sections[which];
  guint n = 0;
  const KantorCondition *conditions = kantor_strategy_get_conditions (self->strategy, which, &n);

  section->conditions = g_new0 (Compiled, MAX (n, 1));
  section->snapshot = g_new0 (KantorIndicatorValue, MAX (n, 1));
  section->snapshot_sources = g_new0 (Source, MAX (n, 1));
  section->n_conditions = n;

  for (guint i = 0; i < n; i++)
    {
      const KantorCondition *c = &conditions[i];
      gboolean seen = FALSE;

      section->conditions[i].source = source_for (self, c);
      section->conditions[i].op = c->op;
      section->conditions[i].value = c->value;

      /* Interned names: pointer comparison finds repeats. */
      for (guint j = 0; j < section->n_snapshot; j++)
        seen |= section->snapshot[j].name == c->indicator_id;
      if (!seen)
        {
          section->snapshot[section->n_snapshot].name = c->indicator_id;
          section->snapshot_sources[section->n_snapshot] = section->conditions[i].source;
          section->n_snapshot++;
        }
    }
}

static gint64
minutes_to_ms (double minutes)
{
  return (gint64) llround (minutes * 60000.0);
}

KantorActivation *
kantor_activation_new (KantorStrategy             *strategy,
                       const char                 *symbol,
                       KantorIndicatorSet         *set,
                       const KantorExecutionHooks *hooks,
                       gpointer                    user_data)
{
  KantorActivation *self;
  guint n_indicators;

  g_return_val_if_fail (strategy != NULL, NULL);
  g_return_val_if_fail (symbol != NULL, NULL);
  g_return_val_if_fail (set != NULL, NULL);

  self = g_new0 (KantorActivation, 1);
  self->strategy = kantor_strategy_ref (strategy);
  self->strategy_name = kantor_strategy_get_name (strategy);
  self->symbol = g_intern_string (symbol);
  self->set = set;
  if (hooks != NULL)
    self->hooks = *hooks;
  self->user_data = user_data;

  self->direction = kantor_strategy_get_direction (strategy);
  self->open_side = self->direction == KANTOR_DIRECTION_SHORT ? KANTOR_SIDE_SELL : KANTOR_SIDE_BUY;
  self->close_side = self->open_side == KANTOR_SIDE_BUY ? KANTOR_SIDE_SELL : KANTOR_SIDE_BUY;

  /* Only indicators some condition reads are computed. */
  n_indicators = kantor_strategy_get_n_indicators (strategy);
  self->slots = g_new0 (guint, MAX (n_indicators, 1));
  for (guint i = 0; i < n_indicators; i++)
    if (kantor_strategy_get_indicator_used (strategy, i))
      self->slots[i] = kantor_indicator_set_add (set,
                                                 kantor_strategy_get_indicator_spec (strategy, i));

  for (guint s = 0; s < KANTOR_N_SECTIONS; s++)
    compile_section (self, s);

  /* Snapshot names are interned, like the condition names. */
  self->extras[EXTRA_PNL].name =
    g_intern_static_string (kantor_builtin_to_string (KANTOR_BUILTIN_UNREALIZED_PNL_PCT));
  self->extra_sources[EXTRA_PNL].kind = SOURCE_PNL;
  self->extras[EXTRA_POSITION_AGE].name =
    g_intern_static_string (kantor_builtin_to_string (KANTOR_BUILTIN_POSITION_AGE_SECONDS));
  self->extra_sources[EXTRA_POSITION_AGE].kind = SOURCE_POSITION_AGE;
  self->extras[EXTRA_SIGNAL_AGE].name =
    g_intern_static_string (kantor_builtin_to_string (KANTOR_BUILTIN_SIGNAL_AGE_SECONDS));
  self->extra_sources[EXTRA_SIGNAL_AGE].kind = SOURCE_SIGNAL_AGE;

  self->timeout_ms = (gint64) llround (kantor_strategy_get_timeout_seconds (strategy) * 1000.0);
  self->cancel_cooldown_ms = minutes_to_ms (kantor_strategy_get_cancel_cooldown_minutes (strategy));
  self->emergency_cooldown_ms =
    minutes_to_ms (kantor_strategy_get_emergency_cooldown_minutes (strategy));
  kantor_strategy_get_emergency_actions (strategy, &self->cancel_pending, &self->close_position,
                                         NULL);
  self->stop_loss = kantor_strategy_get_stop_loss (strategy, &self->stop_loss_pct);
  self->take_profit = kantor_strategy_get_take_profit (strategy, &self->take_profit_pct);
  kantor_strategy_get_position_size (strategy, &self->size_kind, &self->size_value);
  self->min_notional = kantor_strategy_get_min_position_size (strategy);
  self->max_notional = kantor_strategy_get_max_position_size (strategy);

  self->state = KANTOR_ACTIVATION_MONITORING;

  return self;
}

void
kantor_activation_free (KantorActivation *self)
{
  if (self == NULL)
    return;

  for (guint s = 0; s < KANTOR_N_SECTIONS; s++)
    {
      g_free (self->sections[s].conditions);
      g_free (self->sections[s].snapshot);
      g_free (self->sections[s].snapshot_sources);
    }
  g_free (self->slots);
  kantor_strategy_unref (self->strategy);
  g_free (self);
}

/* ------------------------------------------------------------------------ */
/* Values and conditions                                                    */

/* The price positions are marked at: the last trade, else the book's mid. */
static inline double
mark_price (KantorActivation *self)
{
  if (self->last_price > 0)
    return self->last_price;
  if (self->bid > 0 && self->ask > 0)
    return (self->bid + self->ask) / 2;
  return 0;
}

static inline gboolean
source_value (KantorActivation *self,
              Source            source,
              double           *value)
{
  double price;

  switch (source.kind)
    {
    case SOURCE_SLOT:
      return kantor_indicator_set_get_value (self->set, source.slot, value);

    case SOURCE_PNL:
      price = mark_price (self);
      if (!self->has_position || price <= 0 || self->position.entry_price <= 0)
        return FALSE;
      if (self->direction == KANTOR_DIRECTION_SHORT)
        *value = (self->position.entry_price - price) / self->position.entry_price * 100.0;
      else
        *value = (price - self->position.entry_price) / self->position.entry_price * 100.0;
      return TRUE;

    case SOURCE_POSITION_AGE:
      if (!self->has_position)
        return FALSE;
      *value = (double) (self->now_ms - self->position.entry_time_ms) / 1000.0;
      return TRUE;

    case SOURCE_SIGNAL_AGE:
      if (!self->has_signal)
        return FALSE;
      *value = (double) (self->now_ms - self->signal_time_ms) / 1000.0;
      return TRUE;

    default:
      return FALSE;
    }
}

static inline gboolean
compare (KantorCompareOp op,
         double          a,
         double          b)
{
  switch (op)
    {
    case KANTOR_COMPARE_GT: return a > b;
    case KANTOR_COMPARE_LT: return a < b;
    case KANTOR_COMPARE_GE: return a >= b;
    case KANTOR_COMPARE_LE: return a <= b;
    case KANTOR_COMPARE_EQ: return a == b;
    case KANTOR_COMPARE_NE: return a != b;
    default:                return FALSE;
    }
}

/* All conditions true. An empty section never fires: STRATEGY.md lets
 * o1_cancel, ze1_close and emergency_exit be empty so that only their
 * timeout, stop loss or take profit act. */
static inline gboolean
section_fires (KantorActivation      *self,
               KantorStrategySection  which)
{
  const Section *section = &self->sections[which];

  if (section->n_conditions == 0)
    return FALSE;

  for (guint i = 0; i < section->n_conditions; i++)
    {
      const Compiled *c = &section->conditions[i];
      double value;

      /* An indicator without a value makes its condition false. */
      if (!source_value (self, c->source, &value) || !compare (c->op, value, c->value))
        return FALSE;
    }
  return TRUE;
}

static void
fill_snapshot (KantorActivation     *self,
               KantorIndicatorValue *values,
               const Source         *sources,
               guint                 n)
{
  for (guint i = 0; i < n; i++)
    {
      values[i].value = 0;
      values[i].has_value = source_value (self, sources[i], &values[i].value);
    }
}

/* ------------------------------------------------------------------------ */
/* Transitions                                                              */

static void
set_state (KantorActivation      *self,
           KantorActivationState  state)
{
  self->state = state;
  self->state_since_ms = self->now_ms;
}

static void
start_cooldown (KantorActivation *self,
                gint64            duration_ms)
{
  self->has_signal = FALSE;
  self->cooldown_until_ms = self->now_ms + duration_ms;
  set_state (self, KANTOR_ACTIVATION_COOLDOWN);
}

static void
emit (KantorActivation           *self,
      KantorSignalType            type,
      KantorSide                  side,
      const KantorIndicatorValue *snapshot,
      guint                       n_snapshot)
{
  KantorSignal signal;

  if (self->hooks.signal == NULL)
    return;

  signal.type = type;
  signal.strategy = self->strategy_name;
  signal.symbol = self->symbol;
  signal.time_ms = self->now_ms;
  signal.price = mark_price (self);
  signal.side = side;
  signal.snapshot = snapshot;
  signal.n_snapshot = n_snapshot;
  self->hooks.signal (&signal, self->user_data);
}

static void
emit_section (KantorActivation      *self,
              KantorSignalType       type,
              KantorSide             side,
              KantorStrategySection  which)
{
  Section *section = &self->sections[which];

  fill_snapshot (self, section->snapshot, section->snapshot_sources, section->n_snapshot);
  emit (self, type, side, section->snapshot, section->n_snapshot);
}

static void
emit_extras (KantorActivation *self,
             KantorSignalType  type,
             KantorSide        side,
             Extra             first,
             guint             n)
{
  fill_snapshot (self, &self->extras[first], &self->extra_sources[first], n);
  emit (self, type, side, &self->extras[first], n);
}

static void
fire_s1 (KantorActivation *self)
{
  self->has_signal = TRUE;
  self->signal_time_ms = self->now_ms;
  self->e1_latched = FALSE;
  emit_section (self, KANTOR_SIGNAL_S1_SIGNAL, 0, KANTOR_SECTION_S1_SIGNAL);
  set_state (self, KANTOR_ACTIVATION_SIGNAL_DETECTED);
}

static void
cancel_signal (KantorActivation *self,
               gboolean          timed_out)
{
  if (timed_out)
    emit_extras (self, KANTOR_SIGNAL_O1_CANCEL, 0, EXTRA_SIGNAL_AGE, 1);
  else
    emit_section (self, KANTOR_SIGNAL_O1_CANCEL, 0, KANTOR_SECTION_O1_CANCEL);
  start_cooldown (self, self->cancel_cooldown_ms);
}

/* Bare activations size their virtual position from the strategy alone:
 * a fixed size is known, a percentage only relative to max_position_size. */
static double
virtual_qty (KantorActivation *self,
             double            price)
{
  double notional;

  if (self->size_kind == KANTOR_SIZE_FIXED_QUOTE)
    notional = self->size_value;
  else if (self->max_notional > 0)
    notional = self->size_value / 100.0 * self->max_notional;
  else
    return 0;

  if (self->max_notional > 0)
    notional = MIN (notional, self->max_notional);
  return notional / price;
}

static void
open_position (KantorActivation *self,
               double            price,
               double            qty,
               guint64           order_id)
{
  self->has_position = TRUE;
  self->position.side = self->open_side;
  self->position.entry_price = price;
  self->position.qty = qty;
  self->position.entry_time_ms = self->now_ms;
  self->position.order_id = order_id;

  if (self->direction == KANTOR_DIRECTION_SHORT)
    {
      self->stop_price = price * (1.0 + self->stop_loss_pct / 100.0);
      self->take_price = price * (1.0 - self->take_profit_pct / 100.0);
    }
  else
    {
      self->stop_price = price * (1.0 - self->stop_loss_pct / 100.0);
      self->take_price = price * (1.0 + self->take_profit_pct / 100.0);
    }

  self->e1_latched = FALSE;
  self->exit_retry_ms = 0;
  set_state (self, KANTOR_ACTIVATION_POSITION_ACTIVE);
}

/* Policy: a rejected (or unpriceable) entry ends the signal like a cancel,
 * with o1_cancel's cooldown; the z1_entry signal has been reported. */
static void
enter (KantorActivation *self)
{
  double price = mark_price (self);

  emit_section (self, KANTOR_SIGNAL_Z1_ENTRY, self->open_side, KANTOR_SECTION_Z1_ENTRY);

  if (self->hooks.execute != NULL)
    {
      KantorOrderRequest request = {
        .strategy = self->strategy_name,
        .symbol = self->symbol,
        .side = self->open_side,
        .closing = FALSE,
        .reason = KANTOR_SIGNAL_Z1_ENTRY,
        .time_ms = self->now_ms,
        .size_kind = self->size_kind,
        .size_value = self->size_value,
        .min_notional = self->min_notional,
        .max_notional = self->max_notional,
      };
      KantorFill fill = { 0 };

      if (self->hooks.execute (&request, &fill, self->user_data)
          && fill.outcome == KANTOR_ORDER_FILLED && fill.price > 0)
        open_position (self, fill.price, fill.qty, fill.order_id);
      else
        start_cooldown (self, self->cancel_cooldown_ms);
    }
  else if (price > 0)
    open_position (self, price, virtual_qty (self, price), 0);
  else
    start_cooldown (self, self->cancel_cooldown_ms);
}

/* Places the closing order; TRUE when the position is gone (filled, or
 * the ledger has nothing open). A refused close keeps the position, and
 * the exit is tried again no sooner than EXIT_RETRY_MS later. */
static gboolean
close_position (KantorActivation *self,
                KantorSignalType  reason)
{
  if (self->hooks.execute != NULL)
    {
      KantorOrderRequest request = {
        .strategy = self->strategy_name,
        .symbol = self->symbol,
        .side = self->close_side,
        .closing = TRUE,
        .reason = reason,
        .time_ms = self->now_ms,
      };
      KantorFill fill = { 0 };
      gboolean done;

      done = self->hooks.execute (&request, &fill, self->user_data)
             && fill.outcome == KANTOR_ORDER_FILLED;
      if (!done && fill.outcome == KANTOR_ORDER_REJECTED
          && fill.reject_reason == KANTOR_REJECT_NO_POSITION)
        done = TRUE;
      if (!done)
        {
          self->exit_retry_ms = self->now_ms + EXIT_RETRY_MS;
          return FALSE;
        }
    }

  self->has_position = FALSE;
  memset (&self->position, 0, sizeof self->position);
  return TRUE;
}

static void
exit_position (KantorActivation      *self,
               KantorSignalType       type,
               KantorStrategySection  which)
{
  if (type == KANTOR_SIGNAL_ZE1_CLOSE)
    emit_section (self, type, self->close_side, which);
  else
    emit_extras (self, type, self->close_side, EXTRA_PNL, 1);

  if (close_position (self, type))
    {
      self->has_signal = FALSE;
      set_state (self, KANTOR_ACTIVATION_MONITORING);
    }
}

/* Policy for the emergency actions: with cancelPending (resp.
 * closePosition) the pending signal (resp. the position) goes and the
 * machine cools down; without it the emergency is an alert only, raised
 * once until its conditions have been false again. */
static void
emergency (KantorActivation *self)
{
  gboolean with_position = self->has_position;
  gboolean act = with_position ? self->close_position : self->cancel_pending;
  KantorActivationState previous = self->state;
  gint64 previous_since = self->state_since_ms;

  if (!act)
    {
      self->e1_latched = TRUE;
      emit_section (self, KANTOR_SIGNAL_EMERGENCY_EXIT, 0, KANTOR_SECTION_EMERGENCY_EXIT);
      return;
    }

  set_state (self, KANTOR_ACTIVATION_EMERGENCY_EXIT);
  emit_section (self, KANTOR_SIGNAL_EMERGENCY_EXIT, with_position ? self->close_side : 0,
                KANTOR_SECTION_EMERGENCY_EXIT);

  if (with_position && !close_position (self, KANTOR_SIGNAL_EMERGENCY_EXIT))
    {
      self->state = previous;
      self->state_since_ms = previous_since;
      return;
    }

  start_cooldown (self, self->emergency_cooldown_ms);
}

/* Emergency first: it outranks every other exit. Returns TRUE when it
 * fired (the event is then done). */
static inline gboolean
check_emergency (KantorActivation *self)
{
  if (!section_fires (self, KANTOR_SECTION_EMERGENCY_EXIT))
    {
      self->e1_latched = FALSE;
      return FALSE;
    }
  if (self->e1_latched || self->now_ms < self->exit_retry_ms)
    return FALSE;
  emergency (self);
  return TRUE;
}

KANTOR_HOT_PATH
void
kantor_activation_on_event (KantorActivation        *self,
                            const KantorMarketEvent *event,
                            const KantorQuote       *quote)
{
  self->now_ms = event->time_ms;
  if (event->kind == KANTOR_EVENT_TRADE)
    self->last_price = event->price;
  if (quote != NULL)
    {
      self->bid = quote->bid;
      self->ask = quote->ask;
    }
  else if (event->kind == KANTOR_EVENT_BOOK)
    {
      self->bid = event->bids[0].qty > 0 ? event->bids[0].price : 0;
      self->ask = event->asks[0].qty > 0 ? event->asks[0].price : 0;
    }

  /* One event may run COOLDOWN -> MONITORING -> SIGNAL_DETECTED and then
   * decide the signal; an entry, an exit or a cancel ends the event, so an
   * activation places at most one order per event. */
  switch (self->state)
    {
    case KANTOR_ACTIVATION_COOLDOWN:
      if (self->now_ms < self->cooldown_until_ms)
        return;
      self->cooldown_until_ms = 0;
      set_state (self, KANTOR_ACTIVATION_MONITORING);
      G_GNUC_FALLTHROUGH;

    case KANTOR_ACTIVATION_MONITORING:
      if (!section_fires (self, KANTOR_SECTION_S1_SIGNAL))
        return;
      fire_s1 (self);
      G_GNUC_FALLTHROUGH;

    case KANTOR_ACTIVATION_SIGNAL_DETECTED:
      if (check_emergency (self))
        return;
      if (self->timeout_ms > 0 && self->now_ms - self->signal_time_ms >= self->timeout_ms)
        cancel_signal (self, TRUE);
      else if (section_fires (self, KANTOR_SECTION_O1_CANCEL))
        cancel_signal (self, FALSE);
      else if (section_fires (self, KANTOR_SECTION_Z1_ENTRY))
        enter (self);
      return;

    case KANTOR_ACTIVATION_POSITION_ACTIVE:
      if (check_emergency (self) || self->now_ms < self->exit_retry_ms)
        return;
      if (event->kind == KANTOR_EVENT_TRADE)
        {
          double price = event->price;
          gboolean is_long = self->direction != KANTOR_DIRECTION_SHORT;

          /* Stop loss before take profit: with both offsets at 0 the
           * cautious reading wins. */
          if (self->stop_loss && (is_long ? price <= self->stop_price : price >= self->stop_price))
            {
              exit_position (self, KANTOR_SIGNAL_STOP_LOSS, KANTOR_SECTION_ZE1_CLOSE);
              return;
            }
          if (self->take_profit
              && (is_long ? price >= self->take_price : price <= self->take_price))
            {
              exit_position (self, KANTOR_SIGNAL_TAKE_PROFIT, KANTOR_SECTION_ZE1_CLOSE);
              return;
            }
        }
      if (section_fires (self, KANTOR_SECTION_ZE1_CLOSE))
        exit_position (self, KANTOR_SIGNAL_ZE1_CLOSE, KANTOR_SECTION_ZE1_CLOSE);
      return;

    case KANTOR_ACTIVATION_EMERGENCY_EXIT:
    default:
      return;
    }
}

gboolean
kantor_activation_close (KantorActivation *self,
                         gint64            time_ms,
                         KantorSignalType  reason)
{
  gboolean closed = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);

  self->now_ms = time_ms;
  if (self->has_position)
    {
      /* The snapshot: UNREALIZED_PNL_PCT and POSITION_AGE_SECONDS. */
      emit_extras (self, reason, self->close_side, EXTRA_PNL, 2);
      /* The session is over: whatever the venue said, this activation
       * stops tracking the position; the ledger has the last word. */
      if (!close_position (self, reason))
        {
          self->has_position = FALSE;
          memset (&self->position, 0, sizeof self->position);
        }
      closed = TRUE;
    }

  if (self->state == KANTOR_ACTIVATION_SIGNAL_DETECTED
      || self->state == KANTOR_ACTIVATION_POSITION_ACTIVE)
    {
      self->has_signal = FALSE;
      set_state (self, KANTOR_ACTIVATION_MONITORING);
    }

  return closed;
}

gboolean
kantor_activation_can_swap (KantorActivation *self)
{
  return !self->has_position && self->state != KANTOR_ACTIVATION_SIGNAL_DETECTED
         && self->state != KANTOR_ACTIVATION_POSITION_ACTIVE
         && self->state != KANTOR_ACTIVATION_EMERGENCY_EXIT;
}

void
kantor_activation_inherit (KantorActivation *self,
                           KantorActivation *previous)
{
  g_return_if_fail (kantor_activation_can_swap (previous));
  g_return_if_fail (self->symbol == previous->symbol);
  g_return_if_fail (self->state == KANTOR_ACTIVATION_MONITORING && !self->has_position);

  self->now_ms = previous->now_ms;
  self->last_price = previous->last_price;
  self->bid = previous->bid;
  self->ask = previous->ask;
  self->state = previous->state;
  self->state_since_ms = previous->state_since_ms;
  self->cooldown_until_ms = previous->cooldown_until_ms;
}

KantorStrategy *
kantor_activation_get_strategy (KantorActivation *self)
{
  return self->strategy;
}

const char *
kantor_activation_get_symbol (KantorActivation *self)
{
  return self->symbol;
}

KantorActivationState
kantor_activation_get_state (KantorActivation *self)
{
  return self->state;
}

gint64
kantor_activation_get_state_since_ms (KantorActivation *self)
{
  return self->state_since_ms;
}

gint64
kantor_activation_get_signal_time_ms (KantorActivation *self)
{
  return self->has_signal ? self->signal_time_ms : 0;
}

gint64
kantor_activation_get_cooldown_until_ms (KantorActivation *self)
{
  return self->state == KANTOR_ACTIVATION_COOLDOWN ? self->cooldown_until_ms : 0;
}

gboolean
kantor_activation_get_position (KantorActivation *self,
                                KantorActivationPosition   *position)
{
  if (!self->has_position)
    return FALSE;
  if (position != NULL)
    *position = self->position;
  return TRUE;
}

void
kantor_activation_report_indicators (KantorActivation * const *activations,
                                     guint                     n_activations,
                                     KantorIndicatorSet       *set,
                                     JsonObject               *values,
                                     JsonObject               *used_by)
{
  g_autoptr(GHashTable) specs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_slots;

  g_return_if_fail (activations != NULL || n_activations == 0);
  g_return_if_fail (set != NULL && values != NULL && used_by != NULL);

  n_slots = kantor_indicator_set_get_n_slots (set);
  for (guint i = 0; i < n_activations; i++)
    {
      KantorStrategy *strategy = kantor_activation_get_strategy (activations[i]);
      const char *strategy_name = kantor_strategy_get_name (strategy);

      for (guint j = 0; j < kantor_strategy_get_n_indicators (strategy); j++)
        {
          KantorIndicatorSpec *spec = kantor_strategy_get_indicator_spec (strategy, j);
          g_autofree char *name = g_strdup (kantor_strategy_get_indicator_key (strategy, j));
          KantorIndicatorSpec *known;
          JsonArray *users;
          double value;
          guint slot;

          if (!kantor_strategy_get_indicator_used (strategy, j))
            continue;
          for (slot = 0; slot < n_slots; slot++)
            if (kantor_indicator_spec_equal (kantor_indicator_set_get_spec (set, slot), spec))
              break;
          if (slot == n_slots || !kantor_indicator_set_get_value (set, slot, &value))
            continue;
          known = g_hash_table_lookup (specs, name);
          if (known != NULL && !kantor_indicator_spec_equal (known, spec))
            {
              char *qualified = g_strdup_printf ("%s.%s", strategy_name, name);

              g_free (name);
              name = qualified;
              known = g_hash_table_lookup (specs, name);
            }
          if (known == NULL)
            {
              g_hash_table_insert (specs, g_strdup (name), spec);
              json_object_set_double_member (values, name, value);
              json_object_set_array_member (used_by, name, json_array_new ());
            }
          users = json_object_get_array_member (used_by, name);
          json_array_add_string_element (users, strategy_name);
        }
    }
}
