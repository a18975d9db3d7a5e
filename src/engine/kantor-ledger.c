/* kantor-ledger.c: paper execution and the one authoritative ledger of a session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-ledger.h"

/* Exposure sums and percent sizing round; an order this close to a limit
 * is within it. */
#define LIMIT_TOLERANCE 1e-9

#define SYMBOL_CACHE_SIZE 64   /* a power of two */

/* What an empty cache entry holds: no event's symbol is ever this. */
static const char cache_empty[] = "";

typedef struct _LedgerSymbol   LedgerSymbol;
typedef struct _LedgerStrategy LedgerStrategy;

/* One activation: (strategy, symbol), holding at most one position. */
typedef struct
{
  LedgerSymbol   *symbol;
  LedgerStrategy *strategy;
  guint64         ticks_at_start;
  KantorMetrics   m;
  gboolean        open;
  KantorPosition  position;
  double          price_pnl;      /* of the open position at its mark */
} LedgerSlot;

struct _LedgerSymbol
{
  const char   *name;
  guint         index;
  guint64       ticks;
  KantorQuote   quote;
  double        mark;
  guint         n_open;
  double        unrealized;       /* running sum for the equity curve */
  gboolean      has_allocation;
  double        allocation;
  GPtrArray    *slots;            /* LedgerSlot*, not owned */
  KantorMetrics m;
};

struct _LedgerStrategy
{
  const char   *name;
  double        unrealized;
  gboolean      has_allocation;
  double        allocation;
  GPtrArray    *slots;
  KantorMetrics m;
};

struct _KantorLedger
{
  KantorLedgerConfig  config;

  double              cash;
  double              unrealized;   /* running sum for the equity curve */
  KantorMetrics       m;            /* the session's sequential metrics */

  GPtrArray          *symbols;      /* LedgerSymbol*, registration order */
  GHashTable         *symbol_by_name;   /* interned -> LedgerSymbol* */
  /* The hot path's direct-mapped cache, interned name -> symbol: a replay
   * interleaves symbols, so one entry would miss nearly every time. */
  struct {
    const char   *name;
    LedgerSymbol *symbol;
  }                   cache[SYMBOL_CACHE_SIZE];
  GPtrArray          *strategies;   /* LedgerStrategy* */
  GHashTable         *strategy_by_name;
  GPtrArray          *slots;        /* LedgerSlot*, owned, registration order */

  GArray             *orders;       /* KantorLedgerOrder */
  GArray             *trades;       /* KantorTrade */

  gboolean            has_breach;
  KantorBudgetBreach  breach;

  GChecksum          *checksum;
  char               *hash;         /* cached hex digest of the fills so far */
};

void
kantor_ledger_config_init (KantorLedgerConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->initial_balance = KANTOR_LEDGER_DEFAULT_INITIAL_BALANCE;
  config->fee_rate = KANTOR_LEDGER_DEFAULT_FEE_RATE;
  config->slippage_bps = 0;
  config->budget = NULL;
}

G_DEFINE_QUARK (kantor-ledger-error-quark, kantor_ledger_error)

void
kantor_ledger_config_clear (KantorLedgerConfig *config)
{
  g_return_if_fail (config != NULL);

  g_clear_pointer (&config->budget, kantor_budget_unref);
}

/* A finite number from @min (inclusive or not) to under @max, or
 * null/absent for the default. */
static gboolean
read_number (JsonObject  *object,
             const char  *name,
             double       min,
             gboolean     min_inclusive,
             double       max,
             const char  *range,
             double      *out,
             char       **out_field,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;
  double value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type == G_TYPE_INT64)
    value = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    value = json_node_get_double (node);
  else
    {
      if (out_field != NULL)
        *out_field = g_strdup (name);
      g_set_error (error, KANTOR_LEDGER_ERROR, KANTOR_LEDGER_ERROR_INVALID_CONFIG,
                   "%s must be a number", name);
      return FALSE;
    }

  if (!isfinite (value) || (min_inclusive ? value < min : value <= min) || value >= max)
    {
      if (out_field != NULL)
        *out_field = g_strdup (name);
      g_set_error (error, KANTOR_LEDGER_ERROR, KANTOR_LEDGER_ERROR_INVALID_CONFIG,
                   "%s must be %s", name, range);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

gboolean
kantor_ledger_config_parse_json (KantorLedgerConfig  *config,
                                 JsonObject          *object,
                                 char               **out_field,
                                 GError             **error)
{
  KantorLedgerConfig parsed;
  JsonNode *budget;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (out_field == NULL || *out_field == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  kantor_ledger_config_init (&parsed);
  if (object == NULL)
    {
      *config = parsed;
      return TRUE;
    }

  if (!read_number (object, "initial_balance", 0, FALSE, 1e15, "positive (at most 1e15)",
                    &parsed.initial_balance, out_field, error)
      || !read_number (object, "fee_rate", 0, TRUE, 1, "at least 0 and under 1 (0.001 is 0.1 %)",
                       &parsed.fee_rate, out_field, error)
      || !read_number (object, "slippage_bps", 0, TRUE, 10000, "at least 0 and under 10000",
                       &parsed.slippage_bps, out_field, error))
    return FALSE;

  budget = json_object_get_member (object, "budget");
  if (budget != NULL && !JSON_NODE_HOLDS_NULL (budget))
    {
      parsed.budget = kantor_budget_parse (budget, out_field, error);
      if (parsed.budget == NULL)
        return FALSE;
    }

  *config = parsed;
  return TRUE;
}

static void
ledger_symbol_free (gpointer data)
{
  LedgerSymbol *symbol = data;

  g_ptr_array_unref (symbol->slots);
  g_free (symbol);
}

static void
ledger_strategy_free (gpointer data)
{
  LedgerStrategy *strategy = data;

  g_ptr_array_unref (strategy->slots);
  g_free (strategy);
}

KantorLedger *
kantor_ledger_new (const KantorLedgerConfig *config)
{
  KantorLedger *self;

  self = g_new0 (KantorLedger, 1);
  if (config != NULL)
    self->config = *config;
  else
    kantor_ledger_config_init (&self->config);

  if (!(isfinite (self->config.initial_balance) && self->config.initial_balance > 0))
    {
      g_critical ("initial_balance must be positive, using %g",
                  KANTOR_LEDGER_DEFAULT_INITIAL_BALANCE);
      self->config.initial_balance = KANTOR_LEDGER_DEFAULT_INITIAL_BALANCE;
    }
  if (!(isfinite (self->config.fee_rate) && self->config.fee_rate >= 0
        && self->config.fee_rate < 1))
    {
      g_critical ("fee_rate must be in [0, 1), using %g", KANTOR_LEDGER_DEFAULT_FEE_RATE);
      self->config.fee_rate = KANTOR_LEDGER_DEFAULT_FEE_RATE;
    }
  if (!(isfinite (self->config.slippage_bps) && self->config.slippage_bps >= 0))
    {
      g_critical ("slippage_bps must not be negative, using 0");
      self->config.slippage_bps = 0;
    }
  if (self->config.budget != NULL)
    kantor_budget_ref (self->config.budget);

  for (guint i = 0; i < SYMBOL_CACHE_SIZE; i++)
    self->cache[i].name = cache_empty;
  self->cash = self->config.initial_balance;
  kantor_metrics_init (&self->m, self->config.initial_balance);
  self->symbols = g_ptr_array_new_with_free_func (ledger_symbol_free);
  self->symbol_by_name = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->strategies = g_ptr_array_new_with_free_func (ledger_strategy_free);
  self->strategy_by_name = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->slots = g_ptr_array_new_with_free_func (g_free);
  self->orders = g_array_new (FALSE, TRUE, sizeof (KantorLedgerOrder));
  self->trades = g_array_new (FALSE, TRUE, sizeof (KantorTrade));
  self->checksum = g_checksum_new (G_CHECKSUM_SHA256);

  return self;
}

void
kantor_ledger_free (KantorLedger *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->config.budget, kantor_budget_unref);
  g_ptr_array_unref (self->slots);
  g_ptr_array_unref (self->symbols);
  g_hash_table_unref (self->symbol_by_name);
  g_ptr_array_unref (self->strategies);
  g_hash_table_unref (self->strategy_by_name);
  g_array_unref (self->orders);
  g_array_unref (self->trades);
  g_checksum_free (self->checksum);
  g_free (self->hash);
  g_free (self);
}

/* Registration */

/* The interned copy of @name without interning it: looking up names that
 * come from clients must not grow the process-wide string table. */
static const char *
lookup_interned (const char *name)
{
  GQuark quark = g_quark_try_string (name);

  return quark != 0 ? g_quark_to_string (quark) : NULL;
}

/* The tables are keyed by interned pointers; a caller's own copy of a
 * name finds its entry through the interned string. */
static gpointer
lookup_by_name (GHashTable *table,
                const char *name)
{
  gpointer found = g_hash_table_lookup (table, name);
  const char *interned;

  if (found == NULL && (interned = lookup_interned (name)) != NULL)
    found = g_hash_table_lookup (table, interned);
  return found;
}

static LedgerSymbol *
find_symbol (KantorLedger *self,
             const char   *name)
{
  return lookup_by_name (self->symbol_by_name, name);
}

static LedgerSymbol *
ensure_symbol (KantorLedger *self,
               const char   *name)
{
  LedgerSymbol *symbol = find_symbol (self, name);

  if (symbol != NULL)
    return symbol;

  symbol = g_new0 (LedgerSymbol, 1);
  symbol->name = g_intern_string (name);
  symbol->index = self->symbols->len;
  symbol->slots = g_ptr_array_new ();
  kantor_metrics_init (&symbol->m, self->config.initial_balance);
  if (self->config.budget != NULL)
    symbol->has_allocation = kantor_budget_lookup_allocation (self->config.budget, name,
                                                              &symbol->allocation);
  g_ptr_array_add (self->symbols, symbol);
  g_hash_table_insert (self->symbol_by_name, (gpointer) symbol->name, symbol);

  return symbol;
}

static LedgerStrategy *
find_strategy (KantorLedger *self,
               const char   *name)
{
  return lookup_by_name (self->strategy_by_name, name);
}

static LedgerStrategy *
ensure_strategy (KantorLedger *self,
                 const char   *name)
{
  LedgerStrategy *strategy = find_strategy (self, name);

  if (strategy != NULL)
    return strategy;

  strategy = g_new0 (LedgerStrategy, 1);
  strategy->name = g_intern_string (name);
  strategy->slots = g_ptr_array_new ();
  kantor_metrics_init (&strategy->m, self->config.initial_balance);
  if (self->config.budget != NULL)
    strategy->has_allocation = kantor_budget_lookup_allocation (self->config.budget, name,
                                                                &strategy->allocation);
  g_ptr_array_add (self->strategies, strategy);
  g_hash_table_insert (self->strategy_by_name, (gpointer) strategy->name, strategy);

  return strategy;
}

static LedgerSlot *
find_slot (KantorLedger *self,
           const char   *strategy_name,
           const char   *symbol_name)
{
  LedgerSymbol *symbol = find_symbol (self, symbol_name);
  LedgerStrategy *strategy;

  if (symbol == NULL)
    return NULL;
  strategy = find_strategy (self, strategy_name);
  if (strategy == NULL)
    return NULL;

  for (guint i = 0; i < symbol->slots->len; i++)
    {
      LedgerSlot *slot = symbol->slots->pdata[i];

      if (slot->strategy == strategy)
        return slot;
    }

  return NULL;
}

static LedgerSlot *
ensure_slot (KantorLedger *self,
             const char   *strategy_name,
             const char   *symbol_name)
{
  LedgerSymbol *symbol = ensure_symbol (self, symbol_name);
  LedgerStrategy *strategy = ensure_strategy (self, strategy_name);
  LedgerSlot *slot;

  for (guint i = 0; i < symbol->slots->len; i++)
    {
      slot = symbol->slots->pdata[i];
      if (slot->strategy == strategy)
        return slot;
    }

  slot = g_new0 (LedgerSlot, 1);
  slot->symbol = symbol;
  slot->strategy = strategy;
  slot->ticks_at_start = symbol->ticks;
  kantor_metrics_init (&slot->m, self->config.initial_balance);
  g_ptr_array_add (self->slots, slot);
  g_ptr_array_add (symbol->slots, slot);
  g_ptr_array_add (strategy->slots, slot);

  return slot;
}

guint
kantor_ledger_add_symbol (KantorLedger *self,
                          const char   *symbol)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (symbol != NULL, 0);

  return ensure_symbol (self, symbol)->index;
}

void
kantor_ledger_add_activation (KantorLedger *self,
                              const char   *strategy,
                              const char   *symbol)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (strategy != NULL);
  g_return_if_fail (symbol != NULL);

  ensure_slot (self, strategy, symbol);
}

/* Marking to market */

static inline double
symbol_mark_price (const LedgerSymbol *symbol)
{
  if (symbol->quote.last > 0)
    return symbol->quote.last;
  if (symbol->quote.bid > 0 && symbol->quote.ask > 0)
    return (symbol->quote.bid + symbol->quote.ask) / 2;
  return 0;
}

static inline double
direction_sign (KantorDirection direction)
{
  return direction == KANTOR_DIRECTION_SHORT ? -1.0 : 1.0;
}

static inline double
scope_equity (const KantorLedger  *self,
              const KantorMetrics *m,
              double               unrealized)
{
  return self->config.initial_balance + m->realized_pnl + unrealized;
}

static inline void
mark_symbol (KantorLedger            *self,
             LedgerSymbol            *symbol,
             const KantorMarketEvent *event)
{
  double mark;
  double symbol_delta = 0;

  symbol->ticks++;
  kantor_quote_update (&symbol->quote, event);

  mark = symbol_mark_price (symbol);
  if (mark == symbol->mark || !(mark > 0) || !isfinite (mark))
    return;
  symbol->mark = mark;
  if (symbol->n_open == 0)
    return;

  for (guint i = 0; i < symbol->slots->len; i++)
    {
      LedgerSlot *slot = symbol->slots->pdata[i];
      KantorPosition *position = &slot->position;
      double upnl;
      double delta;

      if (!slot->open)
        continue;

      slot->price_pnl = direction_sign (position->direction)
                        * (mark * position->qty - position->entry_notional);
      upnl = slot->price_pnl - position->entry_fee;
      delta = upnl - position->unrealized_pnl;
      position->unrealized_pnl = upnl;
      position->mark_price = mark;
      slot->strategy->unrealized += delta;
      symbol_delta += delta;

      kantor_metrics_add_equity (&slot->m, scope_equity (self, &slot->m, upnl));
      kantor_metrics_add_equity (&slot->strategy->m,
                                 scope_equity (self, &slot->strategy->m,
                                               slot->strategy->unrealized));
    }

  symbol->unrealized += symbol_delta;
  self->unrealized += symbol_delta;
  kantor_metrics_add_equity (&symbol->m, scope_equity (self, &symbol->m, symbol->unrealized));
  kantor_metrics_add_equity (&self->m, scope_equity (self, &self->m, self->unrealized));
}

static inline guint
symbol_cache_slot (const char *name)
{
  guintptr p = (guintptr) name;

  return (guint) ((p >> 3) ^ (p >> 9)) & (SYMBOL_CACHE_SIZE - 1);
}

void
kantor_ledger_mark (KantorLedger            *self,
                    const KantorMarketEvent *event)
{
  guint slot = symbol_cache_slot (event->symbol);
  LedgerSymbol *symbol;

  if (G_LIKELY (self->cache[slot].name == event->symbol))
    symbol = self->cache[slot].symbol;
  else
    {
      g_return_if_fail (event->symbol != NULL);

      symbol = g_hash_table_lookup (self->symbol_by_name, event->symbol);
      if (G_UNLIKELY (symbol == NULL))
        symbol = ensure_symbol (self, event->symbol);
      /* Only an interned pointer is a safe cache key: another string may
       * later live at a freed one's address. */
      if (symbol->name == event->symbol)
        {
          self->cache[slot].name = symbol->name;
          self->cache[slot].symbol = symbol;
        }
    }

  mark_symbol (self, symbol, event);
}

KANTOR_HOT_PATH
void
kantor_ledger_mark_index (KantorLedger            *self,
                          guint                    symbol_index,
                          const KantorMarketEvent *event)
{
  g_return_if_fail (symbol_index < self->symbols->len);

  mark_symbol (self, self->symbols->pdata[symbol_index], event);
}

/* Sums in a fixed order after every fill, so the running sums of the hot
 * path never drift far. */
static void
resync_unrealized (KantorLedger *self)
{
  self->unrealized = 0;
  for (guint i = 0; i < self->symbols->len; i++)
    {
      LedgerSymbol *symbol = self->symbols->pdata[i];

      symbol->unrealized = 0;
      for (guint j = 0; j < symbol->slots->len; j++)
        {
          LedgerSlot *slot = symbol->slots->pdata[j];

          if (slot->open)
            symbol->unrealized += slot->position.unrealized_pnl;
        }
      self->unrealized += symbol->unrealized;
    }

  for (guint i = 0; i < self->strategies->len; i++)
    {
      LedgerStrategy *strategy = self->strategies->pdata[i];

      strategy->unrealized = 0;
      for (guint j = 0; j < strategy->slots->len; j++)
        {
          LedgerSlot *slot = strategy->slots->pdata[j];

          if (slot->open)
            strategy->unrealized += slot->position.unrealized_pnl;
        }
    }
}

static void
sample_after_fill (KantorLedger *self,
                   LedgerSlot   *slot)
{
  resync_unrealized (self);
  kantor_metrics_add_equity (&slot->m,
                             scope_equity (self, &slot->m,
                                           slot->open ? slot->position.unrealized_pnl : 0));
  kantor_metrics_add_equity (&slot->symbol->m,
                             scope_equity (self, &slot->symbol->m, slot->symbol->unrealized));
  kantor_metrics_add_equity (&slot->strategy->m,
                             scope_equity (self, &slot->strategy->m,
                                           slot->strategy->unrealized));
  kantor_metrics_add_equity (&self->m, scope_equity (self, &self->m, self->unrealized));
}

/* The results hash */

/* The shortest "%.Ng" that reads back to the same double. %g drops trailing
 * zeros and 15 digits always survive a decimal -> double -> decimal trip,
 * so %.15g is already the shortest whenever 15 digits or fewer suffice.
 * Kept here rather than shared: the hash's byte form must never change with
 * output tweaks elsewhere. */
static void
format_canonical_double (double  v,
                         char   *buf,
                         gsize   size)
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };

  if (v == 0)
    {
      g_strlcpy (buf, "0", size);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, size, formats[i], v);
      if (g_ascii_strtod (buf, NULL) == v)
        return;
    }
}

static const char *
canonical_side (KantorSide side)
{
  return side == KANTOR_SIDE_BUY ? "buy" : "sell";
}

static void
hash_fill (KantorLedger            *self,
           const KantorLedgerOrder *order)
{
  char price[G_ASCII_DTOSTR_BUF_SIZE];
  char qty[G_ASCII_DTOSTR_BUF_SIZE];
  char fee[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *line = NULL;

  format_canonical_double (order->price, price, sizeof price);
  format_canonical_double (order->qty, qty, sizeof qty);
  format_canonical_double (order->fee, fee, sizeof fee);
  line = g_strdup_printf ("%" G_GUINT64_FORMAT ",%" G_GINT64_FORMAT ",%s,%s,%s,%s,%s,%s\n",
                          order->order_id, order->time_ms, order->strategy, order->symbol,
                          canonical_side (order->side), price, qty, fee);
  g_checksum_update (self->checksum, (const guchar *) line, (gssize) strlen (line));
  g_clear_pointer (&self->hash, g_free);
}

const char *
kantor_ledger_get_results_hash (KantorLedger *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->hash == NULL)
    {
      GChecksum *copy = g_checksum_copy (self->checksum);

      self->hash = g_strdup (g_checksum_get_string (copy));
      g_checksum_free (copy);
    }

  return self->hash;
}

/* Execution */

static double
fill_price (const KantorLedger *self,
            const KantorQuote  *quote,
            KantorSide          side)
{
  double base = 0;
  double slip = self->config.slippage_bps / 10000.0;

  if (quote == NULL)
    return 0;

  if (side == KANTOR_SIDE_BUY)
    base = quote->ask > 0 ? quote->ask : quote->last;
  else
    base = quote->bid > 0 ? quote->bid : quote->last;

  if (!(base > 0) || !isfinite (base))
    return 0;

  return side == KANTOR_SIDE_BUY ? base * (1 + slip) : base * (1 - slip);
}

static double
exposure_of (GPtrArray *slots)
{
  double exposure = 0;

  for (guint i = 0; i < slots->len; i++)
    {
      const LedgerSlot *slot = slots->pdata[i];

      if (slot->open)
        exposure += slot->position.entry_notional;
    }

  return exposure;
}

static gboolean
over_limit (double exposure,
            double notional,
            double limit)
{
  return exposure + notional > limit + limit * LIMIT_TOLERANCE;
}

/* What a percentage position size is a percentage of: the smaller of the
 * symbol's and the strategy's allocation, else the global cap, else the
 * cash that can pay for a notional and its fee. */
static double
sizing_base (const KantorLedger *self,
             const LedgerSlot   *slot)
{
  const LedgerSymbol *symbol = slot->symbol;
  const LedgerStrategy *strategy = slot->strategy;

  if (symbol->has_allocation && strategy->has_allocation)
    return MIN (symbol->allocation, strategy->allocation);
  if (symbol->has_allocation)
    return symbol->allocation;
  if (strategy->has_allocation)
    return strategy->allocation;
  if (self->config.budget != NULL && kantor_budget_has_global_cap (self->config.budget))
    return kantor_budget_get_global_cap (self->config.budget);
  return MAX (self->cash, 0) / (1 + self->config.fee_rate);
}

static gboolean
check_budget (KantorLedger *self,
              LedgerSlot   *slot,
              double        notional)
{
  KantorBudget *budget = self->config.budget;
  double exposure;

  if (budget == NULL)
    return TRUE;

  if (kantor_budget_has_global_cap (budget))
    {
      double cap = kantor_budget_get_global_cap (budget);

      exposure = exposure_of (self->slots);
      if (over_limit (exposure, notional, cap))
        {
          self->breach = (KantorBudgetBreach) {
            KANTOR_BUDGET_SCOPE_GLOBAL, NULL, cap, exposure, notional,
          };
          return FALSE;
        }
    }

  if (slot->symbol->has_allocation)
    {
      exposure = exposure_of (slot->symbol->slots);
      if (over_limit (exposure, notional, slot->symbol->allocation))
        {
          self->breach = (KantorBudgetBreach) {
            KANTOR_BUDGET_SCOPE_SYMBOL, slot->symbol->name, slot->symbol->allocation,
            exposure, notional,
          };
          return FALSE;
        }
    }

  if (slot->strategy->has_allocation)
    {
      exposure = exposure_of (slot->strategy->slots);
      if (over_limit (exposure, notional, slot->strategy->allocation))
        {
          self->breach = (KantorBudgetBreach) {
            KANTOR_BUDGET_SCOPE_STRATEGY, slot->strategy->name, slot->strategy->allocation,
            exposure, notional,
          };
          return FALSE;
        }
    }

  return TRUE;
}

static void
count_order (LedgerSlot         *slot,
             KantorOrderOutcome  outcome)
{
  KantorMetrics *scopes[] = { &slot->m, &slot->symbol->m, &slot->strategy->m };

  for (guint i = 0; i < G_N_ELEMENTS (scopes); i++)
    {
      scopes[i]->orders_placed++;
      if (outcome == KANTOR_ORDER_FILLED)
        scopes[i]->orders_filled++;
      else
        scopes[i]->orders_rejected++;
    }
}

static void
add_fee (KantorLedger *self,
         LedgerSlot   *slot,
         double        fee)
{
  kantor_metrics_add_fee (&slot->m, fee);
  kantor_metrics_add_fee (&slot->symbol->m, fee);
  kantor_metrics_add_fee (&slot->strategy->m, fee);
  kantor_metrics_add_fee (&self->m, fee);
}

static gboolean
finish_order (KantorLedger       *self,
              LedgerSlot         *slot,
              KantorLedgerOrder  *order,
              KantorFill         *fill)
{
  order->order_id = self->orders->len + 1;
  g_array_append_val (self->orders, *order);
  count_order (slot, order->outcome);
  if (order->outcome == KANTOR_ORDER_FILLED)
    hash_fill (self, order);

  if (fill != NULL)
    {
      memset (fill, 0, sizeof *fill);
      fill->outcome = order->outcome;
      fill->reject_reason = order->reject_reason;
      fill->order_id = order->order_id;
      fill->side = order->side;
      fill->price = order->price;
      fill->qty = order->qty;
      fill->notional = order->notional;
      fill->fee = order->fee;
      fill->realized_pnl = order->realized_pnl;
      fill->time_ms = order->time_ms;
    }

  return order->outcome == KANTOR_ORDER_FILLED;
}

static gboolean
reject (KantorLedger       *self,
        LedgerSlot         *slot,
        KantorLedgerOrder  *order,
        KantorRejectReason  reason,
        KantorFill         *fill)
{
  order->outcome = KANTOR_ORDER_REJECTED;
  order->reject_reason = reason;
  order->price = 0;
  order->qty = 0;
  order->fee = 0;
  order->realized_pnl = 0;
  return finish_order (self, slot, order, fill);
}

static gboolean
execute_open (KantorLedger             *self,
              LedgerSlot               *slot,
              const KantorOrderRequest *request,
              const KantorQuote        *quote,
              KantorLedgerOrder        *order,
              KantorFill               *fill)
{
  KantorPosition *position = &slot->position;
  double price;
  double notional;
  double fee;

  if (slot->open)
    return reject (self, slot, order, KANTOR_REJECT_POSITION_OPEN, fill);

  price = fill_price (self, quote, request->side);
  if (price <= 0)
    return reject (self, slot, order, KANTOR_REJECT_NO_PRICE, fill);

  if (request->size_kind == KANTOR_SIZE_PERCENT)
    notional = sizing_base (self, slot) * request->size_value / 100.0;
  else
    notional = request->size_value;
  if (request->max_notional > 0 && notional > request->max_notional)
    notional = request->max_notional;
  order->notional = isfinite (notional) && notional > 0 ? notional : 0;

  if (!(isfinite (notional) && notional > 0)
      || (request->min_notional > 0 && notional < request->min_notional))
    return reject (self, slot, order, KANTOR_REJECT_BELOW_MINIMUM, fill);

  if (!check_budget (self, slot, notional))
    {
      self->has_breach = TRUE;
      return reject (self, slot, order, KANTOR_REJECT_BUDGET, fill);
    }

  fee = notional * self->config.fee_rate;
  if (notional + fee > self->cash + fabs (self->cash) * LIMIT_TOLERANCE)
    return reject (self, slot, order, KANTOR_REJECT_INSUFFICIENT_FUNDS, fill);

  order->outcome = KANTOR_ORDER_FILLED;
  order->price = price;
  order->qty = notional / price;
  order->fee = fee;

  /* Both directions hold their notional: a long buys the asset, a short
   * sets it aside as margin. */
  self->cash -= notional + fee;

  finish_order (self, slot, order, fill);

  slot->open = TRUE;
  slot->symbol->n_open++;
  position->direction = request->side == KANTOR_SIDE_BUY ? KANTOR_DIRECTION_LONG
                                                         : KANTOR_DIRECTION_SHORT;
  position->entry_order_id = order->order_id;
  position->entry_time_ms = order->time_ms;
  position->entry_price = price;
  position->qty = order->qty;
  position->entry_notional = notional;
  position->entry_fee = fee;
  position->mark_price = slot->symbol->mark > 0 ? slot->symbol->mark : price;
  slot->price_pnl = direction_sign (position->direction)
                    * (position->mark_price * position->qty - notional);
  position->unrealized_pnl = slot->price_pnl - fee;

  add_fee (self, slot, fee);
  sample_after_fill (self, slot);

  return TRUE;
}

static gboolean
execute_close (KantorLedger             *self,
               LedgerSlot               *slot,
               const KantorOrderRequest *request,
               const KantorQuote        *quote,
               KantorLedgerOrder        *order,
               KantorFill               *fill)
{
  KantorPosition *position = &slot->position;
  KantorSide closing_side;
  KantorTrade trade = { 0, };
  KantorMetrics *scopes[4];
  double price;
  double exit_notional;
  double fee;
  double duration_s;

  if (!slot->open)
    return reject (self, slot, order, KANTOR_REJECT_NO_POSITION, fill);

  /* An order on the position's own side would add to it, not close it. */
  closing_side = position->direction == KANTOR_DIRECTION_LONG ? KANTOR_SIDE_SELL
                                                              : KANTOR_SIDE_BUY;
  if (request->side != closing_side)
    return reject (self, slot, order, KANTOR_REJECT_NO_POSITION, fill);

  price = fill_price (self, quote, closing_side);
  if (price <= 0)
    return reject (self, slot, order, KANTOR_REJECT_NO_PRICE, fill);

  exit_notional = price * position->qty;
  fee = exit_notional * self->config.fee_rate;

  trade.trade_id = self->trades->len + 1;
  trade.strategy = slot->strategy->name;
  trade.symbol = slot->symbol->name;
  trade.direction = position->direction;
  trade.entry_order_id = position->entry_order_id;
  trade.exit_order_id = self->orders->len + 1;
  trade.entry_time_ms = position->entry_time_ms;
  trade.exit_time_ms = order->time_ms;
  trade.entry_price = position->entry_price;
  trade.exit_price = price;
  trade.qty = position->qty;
  trade.entry_notional = position->entry_notional;
  trade.exit_notional = exit_notional;
  trade.entry_fee = position->entry_fee;
  trade.exit_fee = fee;
  trade.gross_pnl = direction_sign (position->direction)
                    * (exit_notional - position->entry_notional);
  trade.net_pnl = trade.gross_pnl - position->entry_fee - fee;
  trade.exit_reason = request->reason;

  order->outcome = KANTOR_ORDER_FILLED;
  order->price = price;
  order->qty = position->qty;
  order->notional = exit_notional;
  order->fee = fee;
  order->realized_pnl = trade.net_pnl;

  /* The held notional comes back with the price P&L, less the exit fee. */
  self->cash += position->entry_notional + trade.gross_pnl - fee;

  finish_order (self, slot, order, fill);
  g_array_append_val (self->trades, trade);

  slot->open = FALSE;
  slot->symbol->n_open--;
  slot->price_pnl = 0;
  memset (position, 0, sizeof *position);

  duration_s = (double) (trade.exit_time_ms - trade.entry_time_ms) / 1000.0;
  scopes[0] = &slot->m;
  scopes[1] = &slot->symbol->m;
  scopes[2] = &slot->strategy->m;
  scopes[3] = &self->m;
  for (guint i = 0; i < G_N_ELEMENTS (scopes); i++)
    kantor_metrics_add_trade (scopes[i], trade.gross_pnl, trade.net_pnl,
                              trade.net_pnl / trade.entry_notional, duration_s);

  add_fee (self, slot, fee);
  sample_after_fill (self, slot);

  return TRUE;
}

gboolean
kantor_ledger_execute (KantorLedger             *self,
                       const KantorOrderRequest *request,
                       const KantorQuote        *quote,
                       KantorFill               *fill)
{
  KantorLedgerOrder order = { 0, };
  LedgerSlot *slot;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (request->strategy != NULL && request->symbol != NULL, FALSE);
  g_return_val_if_fail (request->side == KANTOR_SIDE_BUY || request->side == KANTOR_SIDE_SELL,
                        FALSE);

  self->has_breach = FALSE;
  slot = ensure_slot (self, request->strategy, request->symbol);
  if (quote == NULL)
    quote = &slot->symbol->quote;

  order.strategy = slot->strategy->name;
  order.symbol = slot->symbol->name;
  order.side = request->side;
  order.closing = request->closing;
  order.reason = request->reason;
  order.time_ms = request->time_ms;

  if (request->closing)
    return execute_close (self, slot, request, quote, &order, fill);
  else
    return execute_open (self, slot, request, quote, &order, fill);
}

gboolean
kantor_ledger_get_last_breach (KantorLedger       *self,
                               KantorBudgetBreach *out)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->has_breach)
    return FALSE;
  if (out != NULL)
    *out = self->breach;
  return TRUE;
}

void
kantor_ledger_record_signal (KantorLedger       *self,
                             const KantorSignal *signal)
{
  LedgerSlot *slot;

  g_return_if_fail (self != NULL);
  g_return_if_fail (signal != NULL);
  g_return_if_fail (signal->strategy != NULL && signal->symbol != NULL);

  slot = ensure_slot (self, signal->strategy, signal->symbol);
  /* The end of a session is not something a strategy detected. */
  if (signal->type == KANTOR_SIGNAL_SESSION_END)
    return;
  slot->m.signals_detected++;
  slot->symbol->m.signals_detected++;
  slot->strategy->m.signals_detected++;
}

guint
kantor_ledger_close_all (KantorLedger      *self,
                         gint64             time_ms,
                         KantorQuoteLookup  lookup,
                         gpointer           user_data)
{
  guint closed = 0;

  g_return_val_if_fail (self != NULL, 0);

  for (guint i = 0; i < self->slots->len; i++)
    {
      LedgerSlot *slot = self->slots->pdata[i];
      KantorOrderRequest request = { 0, };
      const KantorQuote *quote = NULL;
      KantorQuote fallback;
      KantorSide side;

      if (!slot->open)
        continue;

      side = slot->position.direction == KANTOR_DIRECTION_LONG ? KANTOR_SIDE_SELL
                                                               : KANTOR_SIDE_BUY;
      if (lookup != NULL)
        quote = lookup (slot->symbol->name, user_data);
      if (fill_price (self, quote, side) <= 0)
        quote = &slot->symbol->quote;
      if (fill_price (self, quote, side) <= 0)
        {
          /* Never marked: the position's last known price is its own. */
          fallback = (KantorQuote) { time_ms, slot->position.mark_price, 0, 0 };
          quote = &fallback;
        }

      request.strategy = slot->strategy->name;
      request.symbol = slot->symbol->name;
      request.side = side;
      request.closing = TRUE;
      request.reason = KANTOR_SIGNAL_SESSION_END;
      request.time_ms = time_ms;

      if (kantor_ledger_execute (self, &request, quote, NULL))
        closed++;
    }

  return closed;
}

/* State */

double
kantor_ledger_get_initial_balance (KantorLedger *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->config.initial_balance;
}

double
kantor_ledger_get_balance (KantorLedger *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->cash;
}

double
kantor_ledger_get_equity (KantorLedger *self)
{
  double equity;

  g_return_val_if_fail (self != NULL, 0);

  equity = self->cash;
  for (guint i = 0; i < self->slots->len; i++)
    {
      const LedgerSlot *slot = self->slots->pdata[i];

      if (slot->open)
        equity += slot->position.entry_notional + slot->price_pnl;
    }

  return equity;
}

gboolean
kantor_ledger_get_position (KantorLedger   *self,
                            const char     *strategy,
                            const char     *symbol,
                            KantorPosition *out)
{
  LedgerSlot *slot;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (strategy != NULL && symbol != NULL, FALSE);

  slot = find_slot (self, strategy, symbol);
  if (slot == NULL || !slot->open)
    return FALSE;
  if (out != NULL)
    *out = slot->position;
  return TRUE;
}

const KantorQuote *
kantor_ledger_get_quote (KantorLedger *self,
                         const char   *symbol)
{
  LedgerSymbol *s;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (symbol != NULL, NULL);

  s = find_symbol (self, symbol);
  return s != NULL ? &s->quote : NULL;
}

/* Metrics */

static void
slot_metrics (const LedgerSlot *slot,
              KantorMetrics    *out)
{
  *out = slot->m;
  out->ticks_processed = slot->symbol->ticks - slot->ticks_at_start;
  kantor_metrics_set_open (out, slot->open ? slot->price_pnl : 0,
                           slot->open ? slot->position.unrealized_pnl : 0);
}

static void
slots_open_sums (GPtrArray *slots,
                 double    *price_pnl,
                 double    *unrealized)
{
  *price_pnl = 0;
  *unrealized = 0;
  for (guint i = 0; i < slots->len; i++)
    {
      const LedgerSlot *slot = slots->pdata[i];

      if (slot->open)
        {
          *price_pnl += slot->price_pnl;
          *unrealized += slot->position.unrealized_pnl;
        }
    }
}

static void
symbol_metrics (const LedgerSymbol *symbol,
                KantorMetrics      *out)
{
  double price_pnl;
  double unrealized;

  *out = symbol->m;
  out->ticks_processed = symbol->ticks;
  slots_open_sums (symbol->slots, &price_pnl, &unrealized);
  kantor_metrics_set_open (out, price_pnl, unrealized);
}

static void
strategy_metrics (const LedgerStrategy *strategy,
                  KantorMetrics        *out)
{
  double price_pnl;
  double unrealized;

  *out = strategy->m;
  out->ticks_processed = 0;
  for (guint i = 0; i < strategy->slots->len; i++)
    {
      const LedgerSlot *slot = strategy->slots->pdata[i];

      out->ticks_processed += slot->symbol->ticks - slot->ticks_at_start;
    }
  slots_open_sums (strategy->slots, &price_pnl, &unrealized);
  kantor_metrics_set_open (out, price_pnl, unrealized);
}

void
kantor_ledger_get_metrics (KantorLedger  *self,
                           KantorMetrics *out)
{
  KantorMetrics zero;

  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  /* The sequential fields are the session's own; every additive one is
   * summed over the symbols in registration order. */
  *out = self->m;
  kantor_metrics_init (&zero, 0);
  out->signals_detected = zero.signals_detected;
  out->orders_placed = zero.orders_placed;
  out->orders_filled = zero.orders_filled;
  out->orders_rejected = zero.orders_rejected;
  out->total_trades = zero.total_trades;
  out->winning_trades = zero.winning_trades;
  out->losing_trades = zero.losing_trades;
  out->ticks_processed = zero.ticks_processed;
  out->gross_pnl = zero.gross_pnl;
  out->total_fees = zero.total_fees;
  out->net_pnl = zero.net_pnl;
  out->realized_pnl = zero.realized_pnl;
  out->unrealized_pnl = zero.unrealized_pnl;
  out->closed_gross_pnl = zero.closed_gross_pnl;
  out->sum_wins = zero.sum_wins;
  out->sum_losses = zero.sum_losses;
  out->sum_duration_s = zero.sum_duration_s;

  for (guint i = 0; i < self->symbols->len; i++)
    {
      KantorMetrics part;

      symbol_metrics (self->symbols->pdata[i], &part);
      kantor_metrics_accumulate (out, &part);
    }
}

gboolean
kantor_ledger_get_symbol_metrics (KantorLedger  *self,
                                  const char    *symbol,
                                  KantorMetrics *out)
{
  LedgerSymbol *s;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (symbol != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  s = find_symbol (self, symbol);
  if (s == NULL)
    return FALSE;
  symbol_metrics (s, out);
  return TRUE;
}

gboolean
kantor_ledger_get_strategy_metrics (KantorLedger  *self,
                                    const char    *strategy,
                                    KantorMetrics *out)
{
  LedgerStrategy *s;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (strategy != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  s = find_strategy (self, strategy);
  if (s == NULL)
    return FALSE;
  strategy_metrics (s, out);
  return TRUE;
}

gboolean
kantor_ledger_get_activation_metrics (KantorLedger  *self,
                                      const char    *strategy,
                                      const char    *symbol,
                                      KantorMetrics *out)
{
  LedgerSlot *slot;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (strategy != NULL && symbol != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  slot = find_slot (self, strategy, symbol);
  if (slot == NULL)
    return FALSE;
  slot_metrics (slot, out);
  return TRUE;
}

GPtrArray *
kantor_ledger_list_symbols (KantorLedger *self)
{
  GPtrArray *names;

  g_return_val_if_fail (self != NULL, NULL);

  names = g_ptr_array_sized_new (self->symbols->len);
  for (guint i = 0; i < self->symbols->len; i++)
    g_ptr_array_add (names, (gpointer) ((LedgerSymbol *) self->symbols->pdata[i])->name);
  return names;
}

GPtrArray *
kantor_ledger_list_strategies (KantorLedger *self)
{
  GPtrArray *names;

  g_return_val_if_fail (self != NULL, NULL);

  names = g_ptr_array_sized_new (self->strategies->len);
  for (guint i = 0; i < self->strategies->len; i++)
    g_ptr_array_add (names, (gpointer) ((LedgerStrategy *) self->strategies->pdata[i])->name);
  return names;
}

/* Orders and trades */

guint
kantor_ledger_get_n_orders (KantorLedger *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->orders->len;
}

const KantorLedgerOrder *
kantor_ledger_get_order (KantorLedger *self,
                         guint         index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->orders->len, NULL);

  return &g_array_index (self->orders, KantorLedgerOrder, index);
}

guint
kantor_ledger_get_n_trades (KantorLedger *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->trades->len;
}

const KantorTrade *
kantor_ledger_get_trade (KantorLedger *self,
                         guint         index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->trades->len, NULL);

  return &g_array_index (self->trades, KantorTrade, index);
}

/* Filters compare interned pointers. FALSE when a filter names something
 * never interned, which then matches nothing. */
static gboolean
resolve_filters (const char  *strategy,
                 const char  *symbol,
                 const char **out_strategy,
                 const char **out_symbol)
{
  *out_strategy = strategy != NULL ? lookup_interned (strategy) : NULL;
  *out_symbol = symbol != NULL ? lookup_interned (symbol) : NULL;

  return (strategy == NULL || *out_strategy != NULL) && (symbol == NULL || *out_symbol != NULL);
}

static void
foreach_order (KantorLedger          *self,
               const char            *strategy,
               const char            *symbol,
               gboolean               fills_only,
               KantorLedgerOrderFunc  func,
               gpointer               user_data)
{
  const char *want_strategy;
  const char *want_symbol;

  if (!resolve_filters (strategy, symbol, &want_strategy, &want_symbol))
    return;

  for (guint i = 0; i < self->orders->len; i++)
    {
      const KantorLedgerOrder *order = &g_array_index (self->orders, KantorLedgerOrder, i);

      if (fills_only && order->outcome != KANTOR_ORDER_FILLED)
        continue;
      if (want_strategy != NULL && order->strategy != want_strategy)
        continue;
      if (want_symbol != NULL && order->symbol != want_symbol)
        continue;
      func (order, user_data);
    }
}

void
kantor_ledger_foreach_order (KantorLedger          *self,
                             const char            *strategy,
                             const char            *symbol,
                             KantorLedgerOrderFunc  func,
                             gpointer               user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  foreach_order (self, strategy, symbol, FALSE, func, user_data);
}

void
kantor_ledger_foreach_fill (KantorLedger          *self,
                            const char            *strategy,
                            const char            *symbol,
                            KantorLedgerOrderFunc  func,
                            gpointer               user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  foreach_order (self, strategy, symbol, TRUE, func, user_data);
}

void
kantor_ledger_foreach_trade (KantorLedger          *self,
                             const char            *strategy,
                             const char            *symbol,
                             KantorLedgerTradeFunc  func,
                             gpointer               user_data)
{
  const char *want_strategy;
  const char *want_symbol;

  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  if (!resolve_filters (strategy, symbol, &want_strategy, &want_symbol))
    return;

  for (guint i = 0; i < self->trades->len; i++)
    {
      const KantorTrade *trade = &g_array_index (self->trades, KantorTrade, i);

      if (want_strategy != NULL && trade->strategy != want_strategy)
        continue;
      if (want_symbol != NULL && trade->symbol != want_symbol)
        continue;
      func (trade, user_data);
    }
}

/* JSON */

const char *
kantor_ledger_reject_reason_to_string (KantorRejectReason reason)
{
  switch (reason)
    {
    case KANTOR_REJECT_NONE:               return NULL;
    case KANTOR_REJECT_NO_PRICE:           return "no_price";
    case KANTOR_REJECT_BELOW_MINIMUM:      return "below_minimum";
    case KANTOR_REJECT_BUDGET:             return "budget";
    case KANTOR_REJECT_INSUFFICIENT_FUNDS: return "insufficient_funds";
    case KANTOR_REJECT_NO_POSITION:        return "no_position";
    case KANTOR_REJECT_POSITION_OPEN:      return "position_open";
    default:                               return NULL;
    }
}

static void
set_string_or_null (JsonObject *object,
                    const char *name,
                    const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

JsonObject *
kantor_ledger_order_to_json (const KantorLedgerOrder *order)
{
  JsonObject *object;
  gboolean filled;

  g_return_val_if_fail (order != NULL, NULL);

  filled = order->outcome == KANTOR_ORDER_FILLED;
  object = json_object_new ();
  json_object_set_int_member (object, "order_id", (gint64) order->order_id);
  json_object_set_string_member (object, "strategy", order->strategy);
  json_object_set_string_member (object, "symbol", order->symbol);
  set_string_or_null (object, "side", kantor_side_to_string (order->side));
  json_object_set_string_member (object, "type", "market");
  json_object_set_boolean_member (object, "closing", order->closing);
  set_string_or_null (object, "reason", kantor_signal_type_to_string (order->reason));
  json_object_set_int_member (object, "timestamp", order->time_ms);
  json_object_set_string_member (object, "status", filled ? "filled" : "rejected");
  set_string_or_null (object, "reject_reason",
                      kantor_ledger_reject_reason_to_string (order->reject_reason));
  if (filled)
    {
      json_object_set_double_member (object, "price", order->price);
      json_object_set_double_member (object, "qty", order->qty);
      json_object_set_double_member (object, "fee", order->fee);
    }
  else
    {
      json_object_set_null_member (object, "price");
      json_object_set_null_member (object, "qty");
      json_object_set_null_member (object, "fee");
    }
  json_object_set_double_member (object, "notional", order->notional);
  if (filled && order->closing)
    json_object_set_double_member (object, "realized_pnl", order->realized_pnl);
  else
    json_object_set_null_member (object, "realized_pnl");

  return object;
}

JsonObject *
kantor_trade_to_json (const KantorTrade *trade)
{
  JsonObject *object;

  g_return_val_if_fail (trade != NULL, NULL);

  object = json_object_new ();
  json_object_set_int_member (object, "trade_id", (gint64) trade->trade_id);
  json_object_set_string_member (object, "strategy", trade->strategy);
  json_object_set_string_member (object, "symbol", trade->symbol);
  set_string_or_null (object, "direction", kantor_direction_to_string (trade->direction));
  json_object_set_int_member (object, "entry_order_id", (gint64) trade->entry_order_id);
  json_object_set_int_member (object, "exit_order_id", (gint64) trade->exit_order_id);
  json_object_set_int_member (object, "entry_time", trade->entry_time_ms);
  json_object_set_int_member (object, "exit_time", trade->exit_time_ms);
  json_object_set_double_member (object, "entry_price", trade->entry_price);
  json_object_set_double_member (object, "exit_price", trade->exit_price);
  json_object_set_double_member (object, "qty", trade->qty);
  json_object_set_double_member (object, "entry_notional", trade->entry_notional);
  json_object_set_double_member (object, "exit_notional", trade->exit_notional);
  json_object_set_double_member (object, "fees", trade->entry_fee + trade->exit_fee);
  json_object_set_double_member (object, "gross_pnl", trade->gross_pnl);
  json_object_set_double_member (object, "net_pnl", trade->net_pnl);
  json_object_set_double_member (object, "pnl_pct", trade->net_pnl / trade->entry_notional * 100);
  json_object_set_double_member (object, "duration_s",
                                 (double) (trade->exit_time_ms - trade->entry_time_ms) / 1000.0);
  set_string_or_null (object, "exit_reason", kantor_signal_type_to_string (trade->exit_reason));

  return object;
}

typedef struct
{
  JsonArray *array;
} CollectData;

static void
collect_order (const KantorLedgerOrder *order,
               gpointer                 user_data)
{
  CollectData *data = user_data;

  json_array_add_object_element (data->array, kantor_ledger_order_to_json (order));
}

static void
collect_trade (const KantorTrade *trade,
               gpointer           user_data)
{
  CollectData *data = user_data;

  json_array_add_object_element (data->array, kantor_trade_to_json (trade));
}

JsonArray *
kantor_ledger_orders_to_json (KantorLedger *self,
                              const char   *strategy,
                              const char   *symbol,
                              gboolean      fills_only)
{
  CollectData data;

  g_return_val_if_fail (self != NULL, NULL);

  data.array = json_array_new ();
  foreach_order (self, strategy, symbol, fills_only, collect_order, &data);
  return data.array;
}

JsonArray *
kantor_ledger_trades_to_json (KantorLedger *self,
                              const char   *strategy,
                              const char   *symbol)
{
  CollectData data;

  g_return_val_if_fail (self != NULL, NULL);

  data.array = json_array_new ();
  kantor_ledger_foreach_trade (self, strategy, symbol, collect_trade, &data);
  return data.array;
}

JsonObject *
kantor_ledger_metrics_to_json (KantorLedger *self,
                               const char   *strategy,
                               const char   *symbol)
{
  KantorMetrics m;
  gboolean found;

  g_return_val_if_fail (self != NULL, NULL);

  if (strategy != NULL && symbol != NULL)
    found = kantor_ledger_get_activation_metrics (self, strategy, symbol, &m);
  else if (strategy != NULL)
    found = kantor_ledger_get_strategy_metrics (self, strategy, &m);
  else if (symbol != NULL)
    found = kantor_ledger_get_symbol_metrics (self, symbol, &m);
  else
    {
      kantor_ledger_get_metrics (self, &m);
      found = TRUE;
    }

  return found ? kantor_metrics_to_json (&m) : NULL;
}

JsonObject *
kantor_ledger_per_symbol_to_json (KantorLedger *self)
{
  JsonObject *object;

  g_return_val_if_fail (self != NULL, NULL);

  object = json_object_new ();
  for (guint i = 0; i < self->symbols->len; i++)
    {
      LedgerSymbol *symbol = self->symbols->pdata[i];
      KantorMetrics m;

      symbol_metrics (symbol, &m);
      json_object_set_object_member (object, symbol->name, kantor_metrics_to_json (&m));
    }

  return object;
}

JsonObject *
kantor_ledger_per_strategy_to_json (KantorLedger *self)
{
  JsonObject *object;

  g_return_val_if_fail (self != NULL, NULL);

  object = json_object_new ();
  for (guint i = 0; i < self->strategies->len; i++)
    {
      LedgerStrategy *strategy = self->strategies->pdata[i];
      KantorMetrics m;

      strategy_metrics (strategy, &m);
      json_object_set_object_member (object, strategy->name, kantor_metrics_to_json (&m));
    }

  return object;
}
