/* test-activation.c: the strategy state machine (STRATEGY.md §3), driven by
 * hand-made events through a real indicator set
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-activation.h"
#include "kantor-json.h"

#define T0 G_GINT64_CONSTANT (1700000000000)
#define SEC(s) ((gint64) ((s) * 1000))
#define MAX_SNAPSHOT 8

/* Prices drive S1 (>= 100) and O1 (< 90); the traded volume drives the
 * rest: 5 enters, 50 closes, 1000 is an emergency. Volume 1 is neutral. */
static const char base_text[] =
  "{"
  " \"strategy_name\": \"machine\","
  " \"direction\": \"LONG\","
  " \"indicators\": {"
  "   \"price\": {\"type\": \"PRICE\"},"
  "   \"vol\": {\"type\": \"VOLUME\"}"
  " },"
  " \"s1_signal\": {\"conditions\": ["
  "   {\"id\": \"s\", \"indicatorId\": \"price\", \"operator\": \">=\", \"value\": 100}]},"
  " \"o1_cancel\": {\"timeoutSeconds\": 10, \"cooldownMinutes\": 1, \"conditions\": ["
  "   {\"id\": \"o\", \"indicatorId\": \"price\", \"operator\": \"<\", \"value\": 90}]},"
  " \"z1_entry\": {\"conditions\": ["
  "   {\"id\": \"z\", \"indicatorId\": \"vol\", \"operator\": \">=\", \"value\": 5}],"
  "   \"positionSize\": {\"type\": \"fixed\", \"value\": 1000},"
  "   \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 5},"
  "   \"takeProfit\": {\"enabled\": true, \"offsetPercent\": 10}},"
  " \"ze1_close\": {\"conditions\": ["
  "   {\"id\": \"x\", \"indicatorId\": \"vol\", \"operator\": \">=\", \"value\": 50}]},"
  " \"emergency_exit\": {\"cooldownMinutes\": 2, \"conditions\": ["
  "   {\"id\": \"e\", \"indicatorId\": \"vol\", \"operator\": \">=\", \"value\": 1000}]},"
  " \"global_limits\": {\"max_position_size_usdt\": 5000, \"min_position_size_usdt\": 10}"
  "}";

typedef struct
{
  KantorSignalType      type;
  KantorSide            side;
  gint64                time_ms;
  double                price;
  KantorActivationState state_during;
  guint                 n_snapshot;
  const char           *names[MAX_SNAPSHOT];
  double                values[MAX_SNAPSHOT];
  gboolean              has_value[MAX_SNAPSHOT];
} Recorded;

typedef struct
{
  KantorIndicatorSet *set;
  KantorActivation   *act;
  KantorQuote         quote;
  GArray             *signals;   /* Recorded */
  GArray             *orders;    /* KantorOrderRequest */
  GPtrArray          *json;      /* each signal as kantor_signal_to_json() writes it */
  /* How the fake venue answers. */
  gboolean            trading;
  KantorRejectReason  reject_entry;
  KantorRejectReason  reject_close;
  double              slippage;  /* added to buys, taken from sells */
  guint64             next_order_id;
} Fixture;

/* ------------------------------------------------------------------------ */

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static JsonNode *
resolve (JsonNode   *root,
         const char *pointer)
{
  g_auto(GStrv) tokens = NULL;
  JsonNode *node = root;

  if (*pointer == '\0')
    return root;
  tokens = g_strsplit (pointer, "/", -1);
  for (guint i = 1; tokens[i] != NULL; i++)
    {
      if (JSON_NODE_HOLDS_ARRAY (node))
        node = json_array_get_element (json_node_get_array (node),
                                       (guint) g_ascii_strtoull (tokens[i], NULL, 10));
      else
        node = json_object_get_member (json_node_get_object (node), tokens[i]);
      g_assert_nonnull (node);
    }
  return node;
}

/* @edits: NULL-terminated (parent pointer, member, JSON or NULL to remove)
 * triples applied to the base document. */
static KantorStrategy *
make_strategy (const char *const *edits)
{
  g_autoptr(JsonNode) doc = parse_json (base_text);
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  KantorStrategy *strategy;

  for (guint i = 0; edits != NULL && edits[i] != NULL; i += 3)
    {
      JsonObject *object = json_node_get_object (resolve (doc, edits[i]));

      if (edits[i + 2] == NULL)
        json_object_remove_member (object, edits[i + 1]);
      else
        json_object_set_member (object, edits[i + 1], parse_json (edits[i + 2]));
    }

  strategy = kantor_strategy_new_from_json (doc, diag);
  for (guint i = 0; i < kantor_diagnostics_get_n_errors (diag); i++)
    g_test_message ("%s: %s", kantor_diagnostics_get_error (diag, i)->path,
                    kantor_diagnostics_get_error (diag, i)->message);
  g_assert_nonnull (strategy);
  return strategy;
}

static void
record_signal (const KantorSignal *signal,
               gpointer            user_data)
{
  Fixture *f = user_data;
  Recorded r = { 0 };

  g_assert_true (signal->strategy == g_intern_string ("machine"));
  g_assert_true (signal->symbol == g_intern_string ("BTCUSDT"));
  g_assert_cmpuint (signal->n_snapshot, <=, MAX_SNAPSHOT);

  r.type = signal->type;
  r.side = signal->side;
  r.time_ms = signal->time_ms;
  r.price = signal->price;
  r.state_during = kantor_activation_get_state (f->act);
  r.n_snapshot = signal->n_snapshot;
  {
    g_autoptr(JsonNode) node = kantor_signal_to_json (signal);

    g_ptr_array_add (f->json, kantor_json_to_string (node));
  }
  for (guint i = 0; i < signal->n_snapshot; i++)
    {
      r.names[i] = signal->snapshot[i].name;
      r.values[i] = signal->snapshot[i].value;
      r.has_value[i] = signal->snapshot[i].has_value;
    }
  g_array_append_val (f->signals, r);
}

static gboolean
fake_execute (const KantorOrderRequest *request,
              KantorFill               *fill,
              gpointer                  user_data)
{
  Fixture *f = user_data;
  KantorRejectReason reject = request->closing ? f->reject_close : f->reject_entry;

  g_array_append_val (f->orders, *request);
  memset (fill, 0, sizeof *fill);
  fill->time_ms = request->time_ms;
  fill->side = request->side;
  if (reject != KANTOR_REJECT_NONE)
    {
      fill->outcome = KANTOR_ORDER_REJECTED;
      fill->reject_reason = reject;
      return FALSE;
    }

  fill->outcome = KANTOR_ORDER_FILLED;
  fill->order_id = ++f->next_order_id;
  fill->price = f->quote.last + (request->side == KANTOR_SIDE_BUY ? f->slippage : -f->slippage);
  fill->qty = request->closing ? 0 : request->size_value / fill->price;
  fill->notional = fill->price * fill->qty;
  return TRUE;
}

static const KantorExecutionHooks trading_hooks = { record_signal, fake_execute };
static const KantorExecutionHooks signal_only_hooks = { record_signal, NULL };

static void
fixture_start (Fixture                    *f,
               KantorStrategy             *strategy,
               const KantorExecutionHooks *hooks)
{
  f->set = kantor_indicator_set_new ();
  f->signals = g_array_new (FALSE, TRUE, sizeof (Recorded));
  f->orders = g_array_new (FALSE, TRUE, sizeof (KantorOrderRequest));
  f->json = g_ptr_array_new_with_free_func (g_free);
  f->act = kantor_activation_new (strategy, "BTCUSDT", f->set, hooks, f);
  g_assert_true (kantor_activation_get_strategy (f->act) == strategy);
  g_assert_true (kantor_activation_get_symbol (f->act) == g_intern_string ("BTCUSDT"));
  g_assert_cmpint (kantor_activation_get_state (f->act), ==, KANTOR_ACTIVATION_MONITORING);
}

static void
fixture_stop (Fixture *f)
{
  g_clear_pointer (&f->act, kantor_activation_free);
  g_clear_pointer (&f->set, kantor_indicator_set_free);
  g_clear_pointer (&f->signals, g_array_unref);
  g_clear_pointer (&f->orders, g_array_unref);
  g_clear_pointer (&f->json, g_ptr_array_unref);
}

static void
trade (Fixture *f,
       gint64   time_ms,
       double   price,
       double   volume)
{
  KantorMarketEvent ev = { 0 };

  ev.kind = KANTOR_EVENT_TRADE;
  ev.time_ms = time_ms;
  ev.symbol = g_intern_string ("BTCUSDT");
  ev.price = price;
  ev.volume = volume;
  kantor_indicator_set_update (f->set, &ev);
  kantor_quote_update (&f->quote, &ev);
  kantor_activation_on_event (f->act, &ev, &f->quote);
}

static void
book (Fixture *f,
      gint64   time_ms,
      double   bid,
      double   ask)
{
  KantorMarketEvent ev = { 0 };

  ev.kind = KANTOR_EVENT_BOOK;
  ev.time_ms = time_ms;
  ev.symbol = g_intern_string ("BTCUSDT");
  ev.bids[0].price = bid;
  ev.bids[0].qty = 1;
  ev.asks[0].price = ask;
  ev.asks[0].qty = 1;
  kantor_indicator_set_update (f->set, &ev);
  kantor_quote_update (&f->quote, &ev);
  kantor_activation_on_event (f->act, &ev, &f->quote);
}

static const Recorded *
signal_at (Fixture *f,
           guint    index)
{
  g_assert_cmpuint (index, <, f->signals->len);
  return &g_array_index (f->signals, Recorded, index);
}

static const KantorOrderRequest *
order_at (Fixture *f,
          guint    index)
{
  g_assert_cmpuint (index, <, f->orders->len);
  return &g_array_index (f->orders, KantorOrderRequest, index);
}

/* The snapshot value named @name; fails when absent or valueless. */
static double
snapshot_value (const Recorded *r,
                const char     *name)
{
  for (guint i = 0; i < r->n_snapshot; i++)
    if (r->names[i] == g_intern_string (name))
      {
        g_assert_true (r->has_value[i]);
        return r->values[i];
      }
  g_assert_not_reached ();
  return NAN;
}

static void
assert_state (Fixture               *f,
              KantorActivationState  state,
              gint64                 since_ms)
{
  g_assert_cmpstr (kantor_activation_state_to_string (kantor_activation_get_state (f->act)), ==,
                   kantor_activation_state_to_string (state));
  g_assert_cmpint (kantor_activation_get_state_since_ms (f->act), ==, since_ms);
}

/* Runs MONITORING -> SIGNAL_DETECTED (at 100, t) -> POSITION_ACTIVE
 * (at @entry, t + 1 s); returns the time of the entry. */
static gint64
open_at (Fixture *f,
         gint64   t,
         double   entry)
{
  guint n = f->signals->len;

  trade (f, t, 100, 1);
  assert_state (f, KANTOR_ACTIVATION_SIGNAL_DETECTED, t);
  trade (f, t + SEC (1), entry, 5);
  assert_state (f, KANTOR_ACTIVATION_POSITION_ACTIVE, t + SEC (1));
  g_assert_cmpuint (f->signals->len, ==, n + 2);
  g_assert_cmpint (signal_at (f, n)->type, ==, KANTOR_SIGNAL_S1_SIGNAL);
  g_assert_cmpint (signal_at (f, n + 1)->type, ==, KANTOR_SIGNAL_Z1_ENTRY);
  return t + SEC (1);
}

/* ------------------------------------------------------------------------ */

static void
test_long_take_profit (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  const Recorded *r;
  const KantorOrderRequest *o;
  KantorActivationPosition pos;

  fixture_start (&f, strategy, &trading_hooks);

  trade (&f, T0, 95, 1);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, 0);
  g_assert_cmpuint (f.signals->len, ==, 0);
  g_assert_false (kantor_activation_get_position (f.act, NULL));
  g_assert_true (kantor_activation_can_swap (f.act));

  /* S1 */
  trade (&f, T0 + SEC (1), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (1));
  g_assert_cmpint (kantor_activation_get_signal_time_ms (f.act), ==, T0 + SEC (1));
  g_assert_false (kantor_activation_can_swap (f.act));
  g_assert_cmpuint (f.signals->len, ==, 1);
  r = signal_at (&f, 0);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_S1_SIGNAL);
  g_assert_cmpint (r->side, ==, 0);
  g_assert_cmpint (r->time_ms, ==, T0 + SEC (1));
  g_assert_cmpfloat (r->price, ==, 100);
  g_assert_cmpuint (r->n_snapshot, ==, 1);
  g_assert_cmpfloat (snapshot_value (r, "price"), ==, 100);
  g_assert_cmpuint (f.orders->len, ==, 0);
  g_assert_cmpstr (g_ptr_array_index (f.json, 0), ==,
                   "{\"type\":\"s1_signal\",\"strategy\":\"machine\",\"symbol\":\"BTCUSDT\","
                   "\"timestamp\":1700000001000,\"price\":100,"
                   "\"indicators_snapshot\":{\"price\":100}}");

  /* Z1: fills at 101 + 0.5 slippage. */
  f.slippage = 0.5;
  trade (&f, T0 + SEC (2), 101, 5);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (2));
  g_assert_cmpuint (f.signals->len, ==, 2);
  r = signal_at (&f, 1);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_Z1_ENTRY);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_BUY);
  g_assert_cmpfloat (r->price, ==, 101);
  g_assert_cmpfloat (snapshot_value (r, "vol"), ==, 5);
  g_assert_cmpstr (g_ptr_array_index (f.json, 1), ==,
                   "{\"type\":\"z1_entry\",\"strategy\":\"machine\",\"symbol\":\"BTCUSDT\","
                   "\"timestamp\":1700000002000,\"price\":101,\"side\":\"buy\","
                   "\"indicators_snapshot\":{\"vol\":5}}");
  g_assert_cmpuint (f.orders->len, ==, 1);
  o = order_at (&f, 0);
  g_assert_cmpint (o->side, ==, KANTOR_SIDE_BUY);
  g_assert_false (o->closing);
  g_assert_cmpint (o->reason, ==, KANTOR_SIGNAL_Z1_ENTRY);
  g_assert_cmpint (o->time_ms, ==, T0 + SEC (2));
  g_assert_cmpint (o->size_kind, ==, KANTOR_SIZE_FIXED_QUOTE);
  g_assert_cmpfloat (o->size_value, ==, 1000);
  g_assert_cmpfloat (o->min_notional, ==, 10);
  g_assert_cmpfloat (o->max_notional, ==, 5000);
  g_assert_true (o->strategy == g_intern_string ("machine"));
  g_assert_true (o->symbol == g_intern_string ("BTCUSDT"));

  g_assert_true (kantor_activation_get_position (f.act, &pos));
  g_assert_cmpint (pos.side, ==, KANTOR_SIDE_BUY);
  g_assert_cmpfloat (pos.entry_price, ==, 101.5);
  g_assert_cmpfloat_with_epsilon (pos.qty, 1000 / 101.5, 1e-12);
  g_assert_cmpint (pos.entry_time_ms, ==, T0 + SEC (2));
  g_assert_cmpuint (pos.order_id, ==, 1);
  g_assert_false (kantor_activation_can_swap (f.act));

  /* Take profit sits at 101.5 * 1.1 = 111.65; a book event never exits. */
  trade (&f, T0 + SEC (3), 111.6, 1);
  book (&f, T0 + SEC (4), 111.9, 112);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (2));
  g_assert_cmpuint (f.signals->len, ==, 2);

  trade (&f, T0 + SEC (5), 111.7, 1);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (5));
  g_assert_cmpuint (f.signals->len, ==, 3);
  r = signal_at (&f, 2);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_TAKE_PROFIT);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_SELL);
  g_assert_cmpfloat_with_epsilon (snapshot_value (r, "UNREALIZED_PNL_PCT"),
                                  (111.7 - 101.5) / 101.5 * 100, 1e-9);
  g_assert_cmpuint (f.orders->len, ==, 2);
  o = order_at (&f, 1);
  g_assert_true (o->closing);
  g_assert_cmpint (o->side, ==, KANTOR_SIDE_SELL);
  g_assert_cmpint (o->reason, ==, KANTOR_SIGNAL_TAKE_PROFIT);
  g_assert_false (kantor_activation_get_position (f.act, NULL));
  g_assert_cmpint (kantor_activation_get_signal_time_ms (f.act), ==, 0);

  /* No cooldown after a normal exit: the next event may signal again. */
  trade (&f, T0 + SEC (6), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (6));
  g_assert_cmpuint (f.signals->len, ==, 4);

  fixture_stop (&f);
}

static void
test_long_stop_loss (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  const Recorded *r;

  fixture_start (&f, strategy, &trading_hooks);

  /* S1 and Z1 both hold on one event: signal and entry together. */
  trade (&f, T0, 100, 5);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0);
  g_assert_cmpuint (f.signals->len, ==, 2);
  g_assert_cmpint (signal_at (&f, 0)->type, ==, KANTOR_SIGNAL_S1_SIGNAL);
  g_assert_cmpint (signal_at (&f, 1)->type, ==, KANTOR_SIGNAL_Z1_ENTRY);

  /* Stop at 95. */
  trade (&f, T0 + SEC (1), 95.01, 1);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0);
  trade (&f, T0 + SEC (2), 94.99, 1);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (2));
  g_assert_cmpuint (f.signals->len, ==, 3);
  r = signal_at (&f, 2);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_STOP_LOSS);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_SELL);
  g_assert_cmpfloat (r->price, ==, 94.99);
  g_assert_cmpfloat_with_epsilon (snapshot_value (r, "UNREALIZED_PNL_PCT"), -5.01, 1e-9);
  g_assert_cmpuint (f.orders->len, ==, 2);
  g_assert_cmpint (order_at (&f, 1)->reason, ==, KANTOR_SIGNAL_STOP_LOSS);
  g_assert_true (order_at (&f, 1)->closing);

  fixture_stop (&f);
}

static void
test_short (void)
{
  const char *const edits[] = { "", "direction", "\"SHORT\"", NULL };
  g_autoptr(KantorStrategy) strategy = make_strategy (edits);
  Fixture f = { 0 };
  const Recorded *r;
  KantorActivationPosition pos;

  fixture_start (&f, strategy, &trading_hooks);

  /* Stop loss above the entry. */
  open_at (&f, T0, 100);
  r = signal_at (&f, 1);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_SELL);
  g_assert_cmpint (order_at (&f, 0)->side, ==, KANTOR_SIDE_SELL);
  g_assert_true (kantor_activation_get_position (f.act, &pos));
  g_assert_cmpint (pos.side, ==, KANTOR_SIDE_SELL);
  g_assert_cmpfloat (pos.entry_price, ==, 100);

  trade (&f, T0 + SEC (2), 94, 1);      /* in profit, above the 90 target */
  trade (&f, T0 + SEC (3), 104.9, 1);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (1));
  trade (&f, T0 + SEC (4), 105.1, 1);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (4));
  r = signal_at (&f, 2);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_STOP_LOSS);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_BUY);
  g_assert_cmpfloat_with_epsilon (snapshot_value (r, "UNREALIZED_PNL_PCT"), -5.1, 1e-9);
  g_assert_cmpint (order_at (&f, 1)->side, ==, KANTOR_SIDE_BUY);
  g_assert_true (order_at (&f, 1)->closing);

  /* Take profit below it. */
  open_at (&f, T0 + SEC (10), 100);
  trade (&f, T0 + SEC (12), 90.1, 1);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (11));
  trade (&f, T0 + SEC (13), 89.9, 1);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (13));
  r = signal_at (&f, 5);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_TAKE_PROFIT);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_BUY);
  g_assert_cmpfloat_with_epsilon (snapshot_value (r, "UNREALIZED_PNL_PCT"), 10.1, 1e-9);

  fixture_stop (&f);
}

static void
test_ze1_close (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  const Recorded *r;

  fixture_start (&f, strategy, &trading_hooks);
  open_at (&f, T0, 100);

  trade (&f, T0 + SEC (2), 102, 49);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (1));
  trade (&f, T0 + SEC (3), 102, 50);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (3));
  r = signal_at (&f, 2);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_SELL);
  g_assert_cmpuint (r->n_snapshot, ==, 1);
  g_assert_cmpfloat (snapshot_value (r, "vol"), ==, 50);
  g_assert_cmpint (order_at (&f, 1)->reason, ==, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_cmpuint (f.orders->len, ==, 2);

  fixture_stop (&f);
}

static void
test_o1_cancel_and_cooldown (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  const Recorded *r;

  fixture_start (&f, strategy, &trading_hooks);

  trade (&f, T0, 100, 1);
  trade (&f, T0 + SEC (1), 90, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0);
  trade (&f, T0 + SEC (2), 89.5, 1);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (2));
  g_assert_cmpuint (f.signals->len, ==, 2);
  r = signal_at (&f, 1);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_O1_CANCEL);
  g_assert_cmpint (r->side, ==, 0);
  g_assert_cmpfloat (snapshot_value (r, "price"), ==, 89.5);
  g_assert_cmpuint (f.orders->len, ==, 0);
  g_assert_cmpint (kantor_activation_get_cooldown_until_ms (f.act), ==, T0 + SEC (62));
  g_assert_true (kantor_activation_can_swap (f.act));

  /* S1 would hold, and Z1 too, but the machine is cooling down. */
  trade (&f, T0 + SEC (62) - 1, 100, 5);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (2));
  g_assert_cmpuint (f.signals->len, ==, 2);

  /* Cooldown over: MONITORING, and S1 on the same event. */
  trade (&f, T0 + SEC (62), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (62));
  g_assert_cmpint (kantor_activation_get_cooldown_until_ms (f.act), ==, 0);
  g_assert_cmpuint (f.signals->len, ==, 3);
  g_assert_cmpint (signal_at (&f, 2)->type, ==, KANTOR_SIGNAL_S1_SIGNAL);

  fixture_stop (&f);
}

static void
test_o1_timeout (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  const Recorded *r;

  fixture_start (&f, strategy, &trading_hooks);

  trade (&f, T0, 100, 1);
  /* A quiet market, then a book update: time comes from events of any kind. */
  trade (&f, T0 + SEC (10) - 1, 95, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0);
  book (&f, T0 + SEC (10), 94.9, 95.1);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (10));
  g_assert_cmpuint (f.signals->len, ==, 2);
  r = signal_at (&f, 1);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_O1_CANCEL);
  g_assert_cmpuint (r->n_snapshot, ==, 1);
  g_assert_cmpfloat (snapshot_value (r, "SIGNAL_AGE_SECONDS"), ==, 10);
  g_assert_cmpint (kantor_activation_get_cooldown_until_ms (f.act), ==, T0 + SEC (70));

  /* The timeout outranks an entry that holds at the same moment. */
  trade (&f, T0 + SEC (70), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (70));
  trade (&f, T0 + SEC (80), 100, 5);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (80));
  g_assert_cmpint (signal_at (&f, 3)->type, ==, KANTOR_SIGNAL_O1_CANCEL);
  g_assert_cmpuint (f.orders->len, ==, 0);

  fixture_stop (&f);
}

static void
test_emergency_from_signal (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  const Recorded *r;

  fixture_start (&f, strategy, &trading_hooks);

  trade (&f, T0, 100, 1);
  trade (&f, T0 + SEC (1), 100, 1000);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (1));
  g_assert_cmpuint (f.signals->len, ==, 2);
  r = signal_at (&f, 1);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
  g_assert_cmpint (r->side, ==, 0);
  g_assert_cmpint (r->state_during, ==, KANTOR_ACTIVATION_EMERGENCY_EXIT);
  g_assert_cmpfloat (snapshot_value (r, "vol"), ==, 1000);
  /* Nothing to close; the emergency cooldown (2 min), not o1's. */
  g_assert_cmpuint (f.orders->len, ==, 0);
  g_assert_cmpint (kantor_activation_get_cooldown_until_ms (f.act), ==, T0 + SEC (121));

  trade (&f, T0 + SEC (120), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (1));
  trade (&f, T0 + SEC (121), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (121));

  fixture_stop (&f);
}

static void
test_emergency_from_position (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  const Recorded *r;
  const KantorOrderRequest *o;

  fixture_start (&f, strategy, &trading_hooks);
  open_at (&f, T0, 100);

  /* Volume 1000 satisfies ze1 too: the emergency outranks it. */
  trade (&f, T0 + SEC (5), 99, 1000);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (5));
  g_assert_cmpuint (f.signals->len, ==, 3);
  r = signal_at (&f, 2);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_SELL);
  g_assert_cmpint (r->state_during, ==, KANTOR_ACTIVATION_EMERGENCY_EXIT);
  g_assert_cmpuint (f.orders->len, ==, 2);
  o = order_at (&f, 1);
  g_assert_true (o->closing);
  g_assert_cmpint (o->reason, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
  g_assert_cmpint (o->side, ==, KANTOR_SIDE_SELL);
  g_assert_false (kantor_activation_get_position (f.act, NULL));
  g_assert_cmpint (kantor_activation_get_cooldown_until_ms (f.act), ==, T0 + SEC (125));

  fixture_stop (&f);
}

static void
test_emergency_pnl (void)
{
  /* E1 on the built-in P&L, tighter than the stop loss. */
  const char *const edits[] = {
    "/emergency_exit/conditions/0", "indicatorId", "\"UNREALIZED_PNL_PCT\"",
    "/emergency_exit/conditions/0", "operator", "\"<=\"",
    "/emergency_exit/conditions/0", "value", "-3",
    NULL,
  };
  const char *const short_edits[] = {
    "/emergency_exit/conditions/0", "indicatorId", "\"UNREALIZED_PNL_PCT\"",
    "/emergency_exit/conditions/0", "operator", "\"<=\"",
    "/emergency_exit/conditions/0", "value", "-3",
    "", "direction", "\"SHORT\"",
    NULL,
  };
  Fixture f = { 0 };
  const Recorded *r;

  {
    g_autoptr(KantorStrategy) strategy = make_strategy (edits);

    fixture_start (&f, strategy, &trading_hooks);
    open_at (&f, T0, 100);
    trade (&f, T0 + SEC (2), 97.5, 1);
    assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (1));
    trade (&f, T0 + SEC (3), 96.9, 1);
    assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (3));
    r = signal_at (&f, 2);
    g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
    g_assert_cmpfloat_with_epsilon (snapshot_value (r, "UNREALIZED_PNL_PCT"), -3.1, 1e-9);
    fixture_stop (&f);
  }

  /* Short: a rising price is the loss. */
  {
    g_autoptr(KantorStrategy) strategy = make_strategy (short_edits);

    fixture_start (&f, strategy, &trading_hooks);
    open_at (&f, T0, 100);
    trade (&f, T0 + SEC (2), 96.9, 1);
    assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (1));
    trade (&f, T0 + SEC (3), 103.1, 1);
    assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (3));
    r = signal_at (&f, 2);
    g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
    g_assert_cmpint (r->side, ==, KANTOR_SIDE_BUY);
    g_assert_cmpfloat_with_epsilon (snapshot_value (r, "UNREALIZED_PNL_PCT"), -3.1, 1e-9);
    fixture_stop (&f);
  }
}

static void
test_emergency_alert_only (void)
{
  /* Without cancelPending / closePosition the emergency only reports. Here
   * it watches the price (>= 150) so that it can hold while nothing else
   * does. */
  const char *const edits[] = {
    "/emergency_exit", "actions",
    "{\"cancelPending\": false, \"closePosition\": false, \"logEvent\": true}",
    "/emergency_exit/conditions/0", "indicatorId", "\"price\"",
    "/emergency_exit/conditions/0", "value", "150",
    NULL,
  };
  g_autoptr(KantorStrategy) strategy = make_strategy (edits);
  Fixture f = { 0 };

  fixture_start (&f, strategy, &trading_hooks);

  /* From SIGNAL_DETECTED: reported once, the signal stays. */
  trade (&f, T0, 100, 1);
  trade (&f, T0 + SEC (1), 150, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0);
  g_assert_cmpuint (f.signals->len, ==, 2);
  g_assert_cmpint (signal_at (&f, 1)->type, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
  g_assert_cmpint (signal_at (&f, 1)->side, ==, 0);
  g_assert_cmpint (signal_at (&f, 1)->state_during, ==, KANTOR_ACTIVATION_SIGNAL_DETECTED);
  g_assert_cmpfloat (snapshot_value (signal_at (&f, 1), "price"), ==, 150);
  trade (&f, T0 + SEC (2), 150, 1);
  g_assert_cmpuint (f.signals->len, ==, 2);

  /* The entry still happens; then from POSITION_ACTIVE, once per episode. */
  trade (&f, T0 + SEC (3), 150, 5);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (3));
  g_assert_cmpint (signal_at (&f, 2)->type, ==, KANTOR_SIGNAL_Z1_ENTRY);
  trade (&f, T0 + SEC (4), 151, 1);
  g_assert_cmpuint (f.signals->len, ==, 4);
  g_assert_cmpint (signal_at (&f, 3)->type, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
  g_assert_cmpint (signal_at (&f, 3)->side, ==, 0);
  trade (&f, T0 + SEC (5), 151, 1);
  g_assert_cmpuint (f.signals->len, ==, 4);
  trade (&f, T0 + SEC (6), 149, 1);
  trade (&f, T0 + SEC (7), 150, 1);
  g_assert_cmpuint (f.signals->len, ==, 5);
  g_assert_cmpint (signal_at (&f, 4)->type, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (3));
  /* Only the entry was ever ordered. */
  g_assert_cmpuint (f.orders->len, ==, 1);
  g_assert_true (kantor_activation_get_position (f.act, NULL));

  fixture_stop (&f);
}

static void
test_rejected_entry (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };

  fixture_start (&f, strategy, &trading_hooks);
  f.reject_entry = KANTOR_REJECT_BUDGET;

  trade (&f, T0, 100, 1);
  trade (&f, T0 + SEC (1), 100, 5);
  /* Reported, asked for, refused: o1's cooldown. */
  g_assert_cmpuint (f.signals->len, ==, 2);
  g_assert_cmpint (signal_at (&f, 1)->type, ==, KANTOR_SIGNAL_Z1_ENTRY);
  g_assert_cmpuint (f.orders->len, ==, 1);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (1));
  g_assert_cmpint (kantor_activation_get_cooldown_until_ms (f.act), ==, T0 + SEC (61));
  g_assert_false (kantor_activation_get_position (f.act, NULL));

  fixture_stop (&f);
}

static void
test_rejected_close (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  guint n_orders;

  fixture_start (&f, strategy, &trading_hooks);
  open_at (&f, T0, 100);

  f.reject_close = KANTOR_REJECT_INSUFFICIENT_FUNDS;
  trade (&f, T0 + SEC (2), 100, 50);
  g_assert_cmpuint (f.orders->len, ==, 2);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (1));
  g_assert_true (kantor_activation_get_position (f.act, NULL));

  /* Not retried within a second of event time... */
  trade (&f, T0 + SEC (3) - 1, 100, 50);
  g_assert_cmpuint (f.orders->len, ==, 2);
  /* ...then retried, and it goes through. */
  f.reject_close = KANTOR_REJECT_NONE;
  trade (&f, T0 + SEC (3), 100, 50);
  g_assert_cmpuint (f.orders->len, ==, 3);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (3));
  g_assert_false (kantor_activation_get_position (f.act, NULL));

  /* A ledger that holds nothing means the position is already gone. */
  open_at (&f, T0 + SEC (10), 100);
  f.reject_close = KANTOR_REJECT_NO_POSITION;
  trade (&f, T0 + SEC (12), 100, 50);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (12));
  g_assert_false (kantor_activation_get_position (f.act, NULL));

  /* A refused emergency close keeps the position as well, and is retried. */
  f.reject_close = KANTOR_REJECT_INSUFFICIENT_FUNDS;
  open_at (&f, T0 + SEC (20), 100);
  n_orders = f.orders->len;
  trade (&f, T0 + SEC (22), 100, 1000);
  g_assert_cmpuint (f.orders->len, ==, n_orders + 1);
  g_assert_cmpint (signal_at (&f, f.signals->len - 1)->type, ==, KANTOR_SIGNAL_EMERGENCY_EXIT);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (21));
  g_assert_true (kantor_activation_get_position (f.act, NULL));
  trade (&f, T0 + SEC (22.5), 100, 1000);
  g_assert_cmpuint (f.orders->len, ==, n_orders + 1);
  f.reject_close = KANTOR_REJECT_NONE;
  trade (&f, T0 + SEC (23), 100, 1000);
  g_assert_cmpuint (f.orders->len, ==, n_orders + 2);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (23));
  g_assert_false (kantor_activation_get_position (f.act, NULL));

  /* At session end the activation lets go of the position whatever the
   * venue says. */
  open_at (&f, T0 + SEC (150), 100);
  f.reject_close = KANTOR_REJECT_INSUFFICIENT_FUNDS;
  g_assert_true (kantor_activation_close (f.act, T0 + SEC (160), KANTOR_SIGNAL_SESSION_END));
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (160));
  g_assert_false (kantor_activation_get_position (f.act, NULL));

  fixture_stop (&f);
}

static void
test_bare (void)
{
  const char *const pct_edits[] = {
    "/z1_entry", "positionSize", "{\"type\": \"percentage\", \"value\": 10}", NULL,
  };
  Fixture f = { 0 };
  KantorActivationPosition pos;

  /* Signals only: positions are virtual, at the signal price. */
  {
    g_autoptr(KantorStrategy) strategy = make_strategy (NULL);

    fixture_start (&f, strategy, &signal_only_hooks);
    open_at (&f, T0, 100);
    g_assert_cmpuint (f.orders->len, ==, 0);
    g_assert_true (kantor_activation_get_position (f.act, &pos));
    g_assert_cmpfloat (pos.entry_price, ==, 100);
    g_assert_cmpfloat (pos.qty, ==, 10);
    g_assert_cmpuint (pos.order_id, ==, 0);
    trade (&f, T0 + SEC (2), 94.9, 1);
    assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (2));
    g_assert_cmpint (signal_at (&f, 2)->type, ==, KANTOR_SIGNAL_STOP_LOSS);
    g_assert_false (kantor_activation_get_position (f.act, NULL));
    fixture_stop (&f);
  }

  /* A percentage is sized against max_position_size_usdt. */
  {
    g_autoptr(KantorStrategy) strategy = make_strategy (pct_edits);

    fixture_start (&f, strategy, &signal_only_hooks);
    open_at (&f, T0, 125);
    g_assert_true (kantor_activation_get_position (f.act, &pos));
    g_assert_cmpfloat (pos.entry_price, ==, 125);
    g_assert_cmpfloat (pos.qty, ==, 4);
    fixture_stop (&f);
  }

  /* No hooks at all: the machine runs all the same. */
  {
    g_autoptr(KantorStrategy) strategy = make_strategy (NULL);

    fixture_start (&f, strategy, NULL);
    trade (&f, T0, 100, 1);
    assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0);
    trade (&f, T0 + SEC (1), 101, 5);
    assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (1));
    trade (&f, T0 + SEC (2), 111.2, 1);
    assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (2));
    g_assert_cmpuint (f.signals->len, ==, 0);
    fixture_stop (&f);
  }
}

static void
test_session_end (void)
{
  g_autoptr(KantorStrategy) strategy = make_strategy (NULL);
  Fixture f = { 0 };
  const Recorded *r;

  fixture_start (&f, strategy, &trading_hooks);

  /* Nothing open: nothing to do. */
  g_assert_false (kantor_activation_close (f.act, T0, KANTOR_SIGNAL_SESSION_END));
  g_assert_cmpuint (f.signals->len, ==, 0);

  open_at (&f, T0, 100);
  trade (&f, T0 + SEC (31), 102, 1);
  g_assert_true (kantor_activation_close (f.act, T0 + SEC (41), KANTOR_SIGNAL_SESSION_END));
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (41));
  g_assert_false (kantor_activation_get_position (f.act, NULL));
  g_assert_true (kantor_activation_can_swap (f.act));
  g_assert_cmpuint (f.signals->len, ==, 3);
  r = signal_at (&f, 2);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_SESSION_END);
  g_assert_cmpint (r->side, ==, KANTOR_SIDE_SELL);
  g_assert_cmpint (r->time_ms, ==, T0 + SEC (41));
  g_assert_cmpfloat_with_epsilon (snapshot_value (r, "UNREALIZED_PNL_PCT"), 2, 1e-9);
  g_assert_cmpfloat (snapshot_value (r, "POSITION_AGE_SECONDS"), ==, 40);
  g_assert_cmpuint (f.orders->len, ==, 2);
  g_assert_true (order_at (&f, 1)->closing);
  g_assert_cmpint (order_at (&f, 1)->reason, ==, KANTOR_SIGNAL_SESSION_END);

  /* A pending signal is dropped without a word. */
  trade (&f, T0 + SEC (50), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (50));
  g_assert_false (kantor_activation_close (f.act, T0 + SEC (51), KANTOR_SIGNAL_SESSION_END));
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (51));
  g_assert_cmpuint (f.signals->len, ==, 4);

  fixture_stop (&f);
}

static void
test_swap (void)
{
  const char *const v2_edits[] = {
    "/s1_signal/conditions/0", "value", "200", NULL,
  };
  g_autoptr(KantorStrategy) v1 = make_strategy (NULL);
  g_autoptr(KantorStrategy) v2 = make_strategy (v2_edits);
  g_autoptr(KantorActivation) next = NULL;
  Fixture f = { 0 };

  g_assert_cmpstr (kantor_strategy_get_hash (v1), !=, kantor_strategy_get_hash (v2));
  fixture_start (&f, v1, &trading_hooks);

  trade (&f, T0, 100, 1);
  g_assert_false (kantor_activation_can_swap (f.act));
  trade (&f, T0 + SEC (1), 89, 1);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (1));
  g_assert_true (kantor_activation_can_swap (f.act));

  /* The new version shares the set and inherits the cooldown. */
  next = kantor_activation_new (v2, "BTCUSDT", f.set, &trading_hooks, &f);
  kantor_activation_inherit (next, f.act);
  kantor_activation_free (f.act);
  f.act = g_steal_pointer (&next);
  g_assert_true (kantor_activation_get_strategy (f.act) == v2);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (1));
  g_assert_cmpint (kantor_activation_get_cooldown_until_ms (f.act), ==, T0 + SEC (61));

  trade (&f, T0 + SEC (61), 150, 1);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (61));
  trade (&f, T0 + SEC (62), 200, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (62));

  fixture_stop (&f);
}

static void
test_missing_values (void)
{
  /* S1 needs the book; trades alone leave it without a value. */
  const char *const edits[] = {
    "/indicators", "bid", "{\"type\": \"BEST_BID\"}",
    "/s1_signal", "conditions",
    "[{\"id\": \"s\", \"indicatorId\": \"bid\", \"operator\": \">\", \"value\": 0},"
    " {\"id\": \"t\", \"indicatorId\": \"price\", \"operator\": \">=\", \"value\": 100}]",
    NULL,
  };
  g_autoptr(KantorStrategy) strategy = make_strategy (edits);
  Fixture f = { 0 };

  fixture_start (&f, strategy, &trading_hooks);
  trade (&f, T0, 100, 1);
  trade (&f, T0 + SEC (1), 120, 1);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, 0);
  g_assert_cmpuint (f.signals->len, ==, 0);

  book (&f, T0 + SEC (2), 119, 121);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (2));
  g_assert_cmpfloat (snapshot_value (signal_at (&f, 0), "bid"), ==, 119);
  g_assert_cmpfloat (snapshot_value (signal_at (&f, 0), "price"), ==, 120);

  fixture_stop (&f);
}

static void
test_builtin_ages (void)
{
  const char *const edits[] = {
    "/o1_cancel", "timeoutSeconds", "0",
    "/o1_cancel/conditions/0", "indicatorId", "\"SIGNAL_AGE_SECONDS\"",
    "/o1_cancel/conditions/0", "operator", "\">=\"",
    "/o1_cancel/conditions/0", "value", "5",
    "/ze1_close/conditions/0", "indicatorId", "\"POSITION_AGE_SECONDS\"",
    "/ze1_close/conditions/0", "operator", "\">\"",
    "/ze1_close/conditions/0", "value", "30",
    NULL,
  };
  g_autoptr(KantorStrategy) strategy = make_strategy (edits);
  Fixture f = { 0 };
  const Recorded *r;

  fixture_start (&f, strategy, &trading_hooks);

  trade (&f, T0, 100, 1);
  trade (&f, T0 + SEC (4.999), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0);
  trade (&f, T0 + SEC (5), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_COOLDOWN, T0 + SEC (5));
  r = signal_at (&f, 1);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_O1_CANCEL);
  g_assert_cmpfloat (snapshot_value (r, "SIGNAL_AGE_SECONDS"), ==, 5);

  open_at (&f, T0 + SEC (100), 100);
  trade (&f, T0 + SEC (131), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_POSITION_ACTIVE, T0 + SEC (101));
  trade (&f, T0 + SEC (131.5), 100, 1);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, T0 + SEC (131.5));
  r = signal_at (&f, f.signals->len - 1);
  g_assert_cmpint (r->type, ==, KANTOR_SIGNAL_ZE1_CLOSE);
  g_assert_cmpfloat (snapshot_value (r, "POSITION_AGE_SECONDS"), ==, 30.5);

  fixture_stop (&f);
}

static void
test_windowed (void)
{
  /* S1 on the volume traded over the last 10 s; the snapshot keeps each
   * indicator once even when two conditions read it. */
  const char *const edits[] = {
    "/indicators", "flow", "{\"type\": \"SUM_VOLUME\", \"t1\": 10, \"t2\": 0}",
    "/s1_signal", "conditions",
    "[{\"id\": \"a\", \"indicatorId\": \"flow\", \"operator\": \">=\", \"value\": 10},"
    " {\"id\": \"b\", \"indicatorId\": \"flow\", \"operator\": \"<\", \"value\": 100}]",
    NULL,
  };
  g_autoptr(KantorStrategy) strategy = make_strategy (edits);
  Fixture f = { 0 };
  const Recorded *r;

  fixture_start (&f, strategy, &trading_hooks);
  trade (&f, T0, 95, 4);
  trade (&f, T0 + SEC (2), 95, 4);
  assert_state (&f, KANTOR_ACTIVATION_MONITORING, 0);
  trade (&f, T0 + SEC (4), 95, 3);
  assert_state (&f, KANTOR_ACTIVATION_SIGNAL_DETECTED, T0 + SEC (4));
  r = signal_at (&f, 0);
  g_assert_cmpuint (r->n_snapshot, ==, 1);
  g_assert_cmpfloat (snapshot_value (r, "flow"), ==, 11);

  fixture_stop (&f);
}

static void
test_shared_set (void)
{
  /* Two activations on one set: identical indicators share a slot, and
   * each machine keeps its own state. */
  const char *const edits[] = { "", "direction", "\"SHORT\"", NULL };
  g_autoptr(KantorStrategy) a = make_strategy (NULL);
  g_autoptr(KantorStrategy) b = make_strategy (edits);
  g_autoptr(KantorActivation) other = NULL;
  Fixture f = { 0 };
  KantorActivationPosition pos;

  fixture_start (&f, a, &trading_hooks);
  g_assert_cmpuint (kantor_indicator_set_get_n_slots (f.set), ==, 2);
  other = kantor_activation_new (b, "BTCUSDT", f.set, NULL, NULL);
  g_assert_cmpuint (kantor_indicator_set_get_n_slots (f.set), ==, 2);

  open_at (&f, T0, 100);
  kantor_activation_on_event (other, &(KantorMarketEvent) {
                                .kind = KANTOR_EVENT_TRADE, .time_ms = T0 + SEC (1),
                                .price = 100, .volume = 5 }, &f.quote);
  g_assert_cmpint (kantor_activation_get_state (other), ==, KANTOR_ACTIVATION_POSITION_ACTIVE);
  g_assert_true (kantor_activation_get_position (other, &pos));
  g_assert_cmpint (pos.side, ==, KANTOR_SIDE_SELL);

  g_clear_pointer (&other, kantor_activation_free);
  fixture_stop (&f);
}

/* A long random replay through a venue that refuses a tenth of all orders:
 * whatever happens, signals and orders follow the grammar of §3 and the
 * machine's state agrees with its position. */
typedef enum
{
  PHASE_IDLE,
  PHASE_SIGNAL,
  PHASE_ENTERING,
  PHASE_POSITION,
  PHASE_EXITING,
} Phase;

typedef struct
{
  KantorActivation *act;
  GRand            *rand;
  Phase             phase;
  double            last;
  guint64           counts[KANTOR_SIGNAL_SESSION_END + 1];
  guint64           n_orders;
  guint64           n_rejected;
} Walk;

static void
walk_signal (const KantorSignal *signal,
             gpointer            user_data)
{
  Walk *w = user_data;

  w->counts[signal->type]++;
  switch (signal->type)
    {
    case KANTOR_SIGNAL_S1_SIGNAL:
      g_assert_cmpint (w->phase, ==, PHASE_IDLE);
      w->phase = PHASE_SIGNAL;
      break;
    case KANTOR_SIGNAL_O1_CANCEL:
      g_assert_cmpint (w->phase, ==, PHASE_SIGNAL);
      w->phase = PHASE_IDLE;
      break;
    case KANTOR_SIGNAL_Z1_ENTRY:
      g_assert_cmpint (w->phase, ==, PHASE_SIGNAL);
      g_assert_cmpint (signal->side, ==, KANTOR_SIDE_BUY);
      w->phase = PHASE_ENTERING;
      break;
    case KANTOR_SIGNAL_EMERGENCY_EXIT:
      if (w->phase == PHASE_SIGNAL)
        {
          g_assert_cmpint (signal->side, ==, 0);
          w->phase = PHASE_IDLE;
          break;
        }
      G_GNUC_FALLTHROUGH;
    case KANTOR_SIGNAL_ZE1_CLOSE:
    case KANTOR_SIGNAL_STOP_LOSS:
    case KANTOR_SIGNAL_TAKE_PROFIT:
      g_assert_cmpint (w->phase, ==, PHASE_POSITION);
      g_assert_cmpint (signal->side, ==, KANTOR_SIDE_SELL);
      w->phase = PHASE_EXITING;
      break;
    case KANTOR_SIGNAL_SESSION_END:
    default:
      g_assert_not_reached ();
    }
  for (guint i = 0; i < signal->n_snapshot; i++)
    g_assert_true (signal->snapshot[i].has_value);
}

static gboolean
walk_execute (const KantorOrderRequest *request,
              KantorFill               *fill,
              gpointer                  user_data)
{
  Walk *w = user_data;
  gboolean refuse = g_rand_int_range (w->rand, 0, 10) == 0;

  memset (fill, 0, sizeof *fill);
  w->n_orders++;
  if (request->closing)
    g_assert_cmpint (w->phase, ==, PHASE_EXITING);
  else
    g_assert_cmpint (w->phase, ==, PHASE_ENTERING);

  if (refuse)
    {
      w->n_rejected++;
      fill->outcome = KANTOR_ORDER_REJECTED;
      fill->reject_reason = KANTOR_REJECT_INSUFFICIENT_FUNDS;
      /* A refused entry ends the signal; a refused exit keeps the position. */
      w->phase = request->closing ? PHASE_POSITION : PHASE_IDLE;
      return FALSE;
    }

  fill->outcome = KANTOR_ORDER_FILLED;
  fill->order_id = w->n_orders;
  fill->price = w->last;
  fill->qty = request->closing ? 0 : 1;
  w->phase = request->closing ? PHASE_IDLE : PHASE_POSITION;
  return TRUE;
}

static void
test_random_walk (void)
{
  static const KantorExecutionHooks hooks = { walk_signal, walk_execute };
  const char *const edits[] = {
    "/z1_entry/stopLoss", "offsetPercent", "4",
    "/z1_entry/takeProfit", "offsetPercent", "4",
    NULL,
  };
  g_autoptr(KantorStrategy) strategy = make_strategy (edits);
  g_autoptr(KantorIndicatorSet) set = kantor_indicator_set_new ();
  g_autoptr(KantorActivation) act = NULL;
  Walk w = { 0 };
  KantorQuote quote = { 0 };
  double price = 95;
  guint n_events = g_test_slow () ? 20000000 : 1000000;

  w.rand = g_rand_new_with_seed (20261125);
  act = kantor_activation_new (strategy, "BTCUSDT", set, &hooks, &w);
  w.act = act;

  for (guint i = 0; i < n_events; i++)
    {
      KantorMarketEvent ev = { 0 };
      gboolean in_position;

      ev.time_ms = T0 + (gint64) i * 250;
      ev.symbol = g_intern_static_string ("BTCUSDT");
      /* A walk that keeps crossing 90, 100 and the exits around them. */
      price += g_rand_double_range (w.rand, -1.2, 1.2) + (95 - price) * 0.005;
      if (g_rand_int_range (w.rand, 0, 4) == 0)
        {
          ev.kind = KANTOR_EVENT_BOOK;
          ev.bids[0] = (KantorBookLevel) { price - 0.01, 1 };
          ev.asks[0] = (KantorBookLevel) { price + 0.01, 1 };
        }
      else
        {
          /* Mostly neutral volume; now and then an entry (5), a close
           * (50) or an emergency (1000). */
          guint dice = g_rand_int_range (w.rand, 0, 100);

          ev.kind = KANTOR_EVENT_TRADE;
          ev.price = price;
          ev.volume = dice < 3 ? 5 : dice < 5 ? 50 : dice < 6 ? 1000 : 1;
          w.last = price;
        }

      kantor_indicator_set_update (set, &ev);
      kantor_quote_update (&quote, &ev);
      kantor_activation_on_event (act, &ev, &quote);

      g_assert_cmpint (w.phase, !=, PHASE_ENTERING);
      g_assert_cmpint (w.phase, !=, PHASE_EXITING);
      in_position = kantor_activation_get_position (act, NULL);
      g_assert_cmpint (in_position, ==, w.phase == PHASE_POSITION);
      g_assert_cmpint (kantor_activation_get_state (act) == KANTOR_ACTIVATION_POSITION_ACTIVE, ==,
                       in_position);
      g_assert_cmpint (kantor_activation_get_state (act) == KANTOR_ACTIVATION_SIGNAL_DETECTED, ==,
                       w.phase == PHASE_SIGNAL);
      g_assert_cmpint (kantor_activation_can_swap (act), ==, w.phase == PHASE_IDLE);
      g_assert_cmpint (kantor_activation_get_state_since_ms (act), <=, ev.time_ms);
    }

  /* Every kind of transition happened, many times. */
  for (guint t = KANTOR_SIGNAL_S1_SIGNAL; t <= KANTOR_SIGNAL_EMERGENCY_EXIT; t++)
    {
      g_test_message ("%s: %" G_GUINT64_FORMAT, kantor_signal_type_to_string (t), w.counts[t]);
      g_assert_cmpuint (w.counts[t], >, 10);
    }
  g_assert_cmpuint (w.n_rejected, >, 10);

  g_rand_free (w.rand);
}

static void
test_signal_json (void)
{
  const KantorIndicatorValue snapshot[] = {
    { g_intern_static_string ("rsi"), 71.25, TRUE },
    { g_intern_static_string ("spread"), 0, FALSE },
  };
  KantorSignal signal = {
    .type = KANTOR_SIGNAL_STOP_LOSS,
    .strategy = g_intern_static_string ("machine"),
    .symbol = g_intern_static_string ("ETHUSDT"),
    .time_ms = T0,
    .price = 50002.79,
    .side = KANTOR_SIDE_SELL,
    .snapshot = snapshot,
    .n_snapshot = G_N_ELEMENTS (snapshot),
  };
  g_autoptr(JsonNode) node = kantor_signal_to_json (&signal);
  g_autofree char *text = kantor_json_to_string (node);

  g_assert_cmpstr (text, ==,
                   "{\"type\":\"stop_loss\",\"strategy\":\"machine\",\"symbol\":\"ETHUSDT\","
                   "\"timestamp\":1700000000000,\"price\":50002.79,\"side\":\"sell\","
                   "\"indicators_snapshot\":{\"rsi\":71.25,\"spread\":null}}");

  g_assert_cmpstr (kantor_signal_type_to_string (KANTOR_SIGNAL_SESSION_END), ==, "session_end");
  g_assert_cmpstr (kantor_signal_type_to_string (KANTOR_SIGNAL_O1_CANCEL), ==, "o1_cancel");
  g_assert_cmpstr (kantor_side_to_string (KANTOR_SIDE_BUY), ==, "buy");
  g_assert_cmpstr (kantor_direction_to_string (KANTOR_DIRECTION_SHORT), ==, "SHORT");
  g_assert_cmpstr (kantor_activation_state_to_string (KANTOR_ACTIVATION_COOLDOWN), ==,
                   "COOLDOWN");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/activation/long/take-profit", test_long_take_profit);
  g_test_add_func ("/kantor/engine/activation/long/stop-loss", test_long_stop_loss);
  g_test_add_func ("/kantor/engine/activation/short", test_short);
  g_test_add_func ("/kantor/engine/activation/ze1-close", test_ze1_close);
  g_test_add_func ("/kantor/engine/activation/o1/cancel-cooldown", test_o1_cancel_and_cooldown);
  g_test_add_func ("/kantor/engine/activation/o1/timeout", test_o1_timeout);
  g_test_add_func ("/kantor/engine/activation/emergency/from-signal", test_emergency_from_signal);
  g_test_add_func ("/kantor/engine/activation/emergency/from-position",
                   test_emergency_from_position);
  g_test_add_func ("/kantor/engine/activation/emergency/pnl", test_emergency_pnl);
  g_test_add_func ("/kantor/engine/activation/emergency/alert-only", test_emergency_alert_only);
  g_test_add_func ("/kantor/engine/activation/rejected/entry", test_rejected_entry);
  g_test_add_func ("/kantor/engine/activation/rejected/close", test_rejected_close);
  g_test_add_func ("/kantor/engine/activation/bare", test_bare);
  g_test_add_func ("/kantor/engine/activation/session-end", test_session_end);
  g_test_add_func ("/kantor/engine/activation/swap", test_swap);
  g_test_add_func ("/kantor/engine/activation/missing-values", test_missing_values);
  g_test_add_func ("/kantor/engine/activation/builtin-ages", test_builtin_ages);
  g_test_add_func ("/kantor/engine/activation/windowed", test_windowed);
  g_test_add_func ("/kantor/engine/activation/shared-set", test_shared_set);
  g_test_add_func ("/kantor/engine/activation/signal-json", test_signal_json);
  g_test_add_func ("/kantor/engine/activation/random-walk", test_random_walk);

  return g_test_run ();
}
