/* test-engine.c: the engine driver over real sources, strategies and ledger
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-collection-source.h"
#include "kantor-engine.h"
#include "kantor-json.h"
#include "kantor-synthetic-source.h"

#include "kantor-activation.h"

/* Trades often on any synthetic market: short-term momentum in, momentum
 * out, tight exits. */
static const char busy_strategy[] =
  "{\"strategy_name\": \"busy\", \"enabled\": true, \"direction\": \"LONG\","
  " \"indicators\": {"
  "   \"vel\": {\"type\": \"VELOCITY\", \"current\": {\"t1\": 5, \"t2\": 0},"
  "             \"baseline\": {\"t1\": 30, \"t2\": 5}},"
  "   \"spread\": {\"type\": \"SPREAD_PCT\"}},"
  " \"s1_signal\": {\"conditions\": [{\"id\": \"a\", \"indicatorId\": \"vel\", \"operator\": \">\","
  "                 \"value\": 0.0005}]},"
  " \"o1_cancel\": {\"timeoutSeconds\": 20, \"cooldownMinutes\": 0.1, \"conditions\": []},"
  " \"z1_entry\": {\"conditions\": [{\"id\": \"b\", \"indicatorId\": \"spread\","
  "                \"operator\": \"<\","
  "                \"value\": 1}],"
  "   \"positionSize\": {\"type\": \"fixed\", \"value\": 500},"
  "   \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 0.05},"
  "   \"takeProfit\": {\"enabled\": true, \"offsetPercent\": 0.05}},"
  " \"ze1_close\": {\"conditions\": [{\"id\": \"c\", \"indicatorId\": \"vel\", \"operator\": \"<\","
  "                 \"value\": -0.001}]},"
  " \"emergency_exit\": {\"conditions\": [], \"cooldownMinutes\": 1,"
  "   \"actions\": {\"cancelPending\": true, \"closePosition\": true, \"logEvent\": true}},"
  " \"global_limits\": {\"max_position_size_usdt\": 1000, \"min_position_size_usdt\": 1}}";

/* Enters on the first priced event and never leaves by itself. */
static const char holder_strategy[] =
  "{\"strategy_name\": \"holder\", \"enabled\": true, \"direction\": \"LONG\","
  " \"indicators\": {\"price\": {\"type\": \"PRICE\"}},"
  " \"s1_signal\": {\"conditions\": [{\"id\": \"a\", \"indicatorId\": \"price\","
  "                 \"operator\": \">\","
  "                 \"value\": 0}]},"
  " \"o1_cancel\": {\"conditions\": []},"
  " \"z1_entry\": {\"conditions\": [{\"id\": \"b\", \"indicatorId\": \"price\","
  "                \"operator\": \">\","
  "                \"value\": 0}],"
  "   \"positionSize\": {\"type\": \"fixed\", \"value\": 1000},"
  "   \"stopLoss\": {\"enabled\": false}, \"takeProfit\": {\"enabled\": false}},"
  " \"ze1_close\": {\"conditions\": []},"
  " \"emergency_exit\": {\"conditions\": [], \"actions\": {\"cancelPending\": false,"
  "   \"closePosition\": false, \"logEvent\": true}},"
  " \"global_limits\": {}}";

static KantorStrategy *
strategy_from_text (const char *text)
{
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  KantorStrategy *strategy = kantor_strategy_new_from_data (text, -1, diag);

  if (strategy == NULL)
    {
      const KantorDiagnostic *d = kantor_diagnostics_get_error (diag, 0);

      g_error ("strategy refused: %s: %s", d->path, d->message);
    }
  return strategy;
}

static char *
source_path (const char *first,
             ...)
{
  const char *src = g_getenv ("KANTOR_SOURCE_DIR");
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  const char *part;
  va_list args;

  g_ptr_array_add (parts, (gpointer) (src != NULL ? src : "."));
  g_ptr_array_add (parts, (gpointer) first);
  va_start (args, first);
  while ((part = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);

  return g_build_filenamev ((char **) parts->pdata);
}

static KantorStrategy *
example_strategy (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = source_path ("data", "strategies", file, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  KantorStrategy *strategy;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  strategy = kantor_strategy_new_from_data (text, -1, diag);
  g_assert_nonnull (strategy);
  g_assert_cmpuint (kantor_diagnostics_get_n_errors (diag), ==, 0);
  /* The examples are meant to be copied: no warnings either. */
  for (guint i = 0; i < kantor_diagnostics_get_n_warnings (diag); i++)
    g_test_message ("%s: %s", kantor_diagnostics_get_warning (diag, i)->path,
                    kantor_diagnostics_get_warning (diag, i)->message);
  g_assert_cmpuint (kantor_diagnostics_get_n_warnings (diag), ==, 0);
  g_assert_cmpstr (kantor_strategy_get_name (strategy), ==, name);

  return strategy;
}

typedef struct
{
  guint64 events;
  guint64 signals;
  guint64 s1;
  guint64 session_end;
  guint64 orders;
  guint64 filled;
  gint64  last_time;
  gboolean ordered;
  KantorSignalType last_order_reason;
} Counts;

static void
count_event (const KantorMarketEvent *event,
             gpointer                 user_data)
{
  Counts *c = user_data;

  if (event->time_ms < c->last_time)
    c->ordered = FALSE;
  c->last_time = event->time_ms;
  c->events++;
}

static void
count_signal (const KantorSignal *signal,
              gpointer            user_data)
{
  Counts *c = user_data;

  c->signals++;
  c->s1 += signal->type == KANTOR_SIGNAL_S1_SIGNAL;
  c->session_end += signal->type == KANTOR_SIGNAL_SESSION_END;
}

static void
count_order (const KantorLedgerOrder *order,
             gpointer                 user_data)
{
  Counts *c = user_data;

  c->orders++;
  c->filled += order->outcome == KANTOR_ORDER_FILLED;
  c->last_order_reason = order->reason;
}

static const KantorEngineCallbacks counting = { count_event, count_signal, count_order };

/* Runs @strategies over synthetic:@seed:@n_events and returns the results
 * as compact JSON. */
static char *
run_synthetic (KantorStrategy **strategies,
               guint            n_strategies,
               const char     **symbols,
               guint64          seed,
               guint64          n_events,
               double           speed,
               Counts          *counts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(KantorEngine) engine = kantor_engine_new (NULL);
  g_autoptr(JsonNode) node = NULL;
  guint i, j;

  source = kantor_synthetic_source_new (symbols, seed, KANTOR_SYNTHETIC_DEFAULT_START_MS,
                                        n_events, &error);
  g_assert_no_error (error);
  for (i = 0; symbols[i] != NULL; i++)
    for (j = 0; j < n_strategies; j++)
      {
        kantor_engine_add_activation (engine, strategies[j], symbols[i], &error);
        g_assert_no_error (error);
      }
  if (counts != NULL)
    {
      memset (counts, 0, sizeof *counts);
      counts->ordered = TRUE;
      kantor_engine_set_callbacks (engine, &counting, counts);
    }
  kantor_engine_set_speed (engine, speed);

  g_assert_true (kantor_engine_run (engine, source, G_MININT64, G_MAXINT64, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kantor_engine_get_n_events (engine), ==, n_events);
  kantor_engine_finish (engine);

  node = json_node_alloc ();
  json_node_take_object (json_node_init (node, JSON_NODE_OBJECT),
                         kantor_engine_results_to_json (engine));
  return kantor_json_to_string (node);
}

static const char *
hash_of (const char *json)
{
  static char hash[65];
  const char *p = strstr (json, "\"results_hash\":\"");

  g_assert_nonnull (p);
  memcpy (hash, p + strlen ("\"results_hash\":\""), 64);
  hash[64] = '\0';
  return hash;
}

static void
test_determinism (void)
{
  g_autoptr(KantorStrategy) pump = example_strategy ("pump_rider");
  g_autoptr(KantorStrategy) busy = strategy_from_text (busy_strategy);
  KantorStrategy *strategies[] = { pump, busy };
  const char *symbols[] = { "BTCUSDT", "PEPEUSDT", NULL };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *other = NULL;
  char first_hash[65];
  Counts counts;

  first = run_synthetic (strategies, 2, symbols, 42, 200000, 0, &counts);
  second = run_synthetic (strategies, 2, symbols, 42, 200000, 0, NULL);
  other = run_synthetic (strategies, 2, symbols, 43, 200000, 0, NULL);

  /* The same data and strategies: the same fills, the same results. */
  strcpy (first_hash, hash_of (first));
  g_assert_cmpstr (first_hash, ==, hash_of (second));
  g_assert_cmpstr (first, ==, second);
  /* Not the hash of nothing: there were fills to hash. */
  g_assert_cmpstr (first_hash, !=,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_cmpuint (counts.filled, >, 10);
  /* Other data: other fills. */
  g_assert_cmpstr (first_hash, !=, hash_of (other));

  g_assert_true (counts.ordered);
  g_assert_cmpuint (counts.events, ==, 200000);
  g_assert_cmpuint (counts.s1, >, 0);
}

static void
test_paced (void)
{
  g_autoptr(KantorStrategy) busy = strategy_from_text (busy_strategy);
  KantorStrategy *strategies[] = { busy };
  const char *symbols[] = { "ETHUSDT", NULL };
  g_autofree char *fast = NULL;
  g_autofree char *paced = NULL;
  Counts counts;
  gint64 start;
  double elapsed_s, span_s;

  fast = run_synthetic (strategies, 1, symbols, 5, 3000, 0, &counts);
  g_assert_cmpuint (counts.filled, >, 0);

  /* Real-time replay, compressed 20 000 times so the test stays short:
   * the pacer only delays events, so everything computed is the same. */
  start = g_get_monotonic_time ();
  paced = run_synthetic (strategies, 1, symbols, 5, 3000, 20000, &counts);
  elapsed_s = (g_get_monotonic_time () - start) / 1e6;
  span_s = (counts.last_time - KANTOR_SYNTHETIC_DEFAULT_START_MS) / 1000.0;

  g_assert_cmpstr (fast, ==, paced);
  g_assert_cmpstr (hash_of (fast), ==, hash_of (paced));
  /* And it was paced: no faster than event time allows. */
  g_test_message ("%.0f s of market time in %.3f s", span_s, elapsed_s);
  g_assert_cmpfloat (elapsed_s, >=, span_s / 20000 * 0.95);
}

static void
test_session_end (void)
{
  g_autoptr(KantorStrategy) holder = strategy_from_text (holder_strategy);
  g_autoptr(KantorEngine) engine = kantor_engine_new (NULL);
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = source_path ("tests", "data", "collection-small", NULL);
  KantorLedger *ledger = kantor_engine_get_ledger (engine);
  const KantorLedgerOrder *exit_order;
  KantorMetrics m;
  Counts counts = { 0 };

  source = kantor_collection_source_new (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kantor_engine_add_activation (engine, holder, "BTCUSDT", &error));
  g_assert_true (kantor_engine_add_activation (engine, holder, "ETHUSDT", &error));
  counts.ordered = TRUE;
  kantor_engine_set_callbacks (engine, &counting, &counts);

  g_assert_true (kantor_engine_run (engine, source, G_MININT64, G_MAXINT64, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kantor_engine_get_n_events (engine), ==, 10);
  g_assert_cmpint (kantor_engine_get_last_time_ms (engine), ==, 1700000003250);

  /* Both entered on their symbol's first trade and are still in. */
  kantor_ledger_get_metrics (ledger, &m);
  g_assert_cmpuint (m.orders_filled, ==, 2);
  g_assert_cmpuint (m.total_trades, ==, 0);
  g_assert_cmpuint (counts.session_end, ==, 0);
  g_assert_false (kantor_engine_is_finished (engine));
  g_assert_cmpuint (kantor_engine_get_n_activations (engine), ==, 2);
  g_assert_true (kantor_engine_get_activation (engine, 1)
                 == kantor_engine_lookup_activation (engine, "holder", "ETHUSDT"));
  g_assert_null (kantor_engine_lookup_activation (engine, "holder", "XRPUSDT"));
  g_assert_null (kantor_engine_lookup_activation (engine, "other", "ETHUSDT"));
  g_assert_cmpint (kantor_activation_get_state (kantor_engine_lookup_activation (engine, "holder",
                                                                                 "BTCUSDT")),
                   ==, KANTOR_ACTIVATION_POSITION_ACTIVE);

  kantor_engine_finish (engine);
  kantor_engine_finish (engine);
  g_assert_true (kantor_engine_is_finished (engine));

  kantor_ledger_get_metrics (ledger, &m);
  g_assert_cmpuint (m.orders_filled, ==, 4);
  g_assert_cmpuint (m.total_trades, ==, 2);
  g_assert_cmpfloat (m.unrealized_pnl, ==, 0);
  g_assert_cmpint (kantor_activation_get_state (kantor_engine_get_activation (engine, 0)), ==,
                   KANTOR_ACTIVATION_MONITORING);
  g_assert_false (kantor_activation_get_position (kantor_engine_get_activation (engine, 0), NULL));
  g_assert_cmpuint (counts.session_end, ==, 2);
  g_assert_cmpint (counts.last_order_reason, ==, KANTOR_SIGNAL_SESSION_END);
  g_assert_cmpuint (counts.orders, ==, kantor_ledger_get_n_orders (ledger));

  /* Closed at the last event's time, at that symbol's market: BTC's last
   * book has its bid at 50001. */
  exit_order = kantor_ledger_get_order (ledger, 2);
  g_assert_true (exit_order->closing);
  g_assert_cmpint (exit_order->time_ms, ==, 1700000003250);
  g_assert_cmpstr (exit_order->symbol, ==, "BTCUSDT");
  g_assert_cmpfloat (exit_order->price, ==, 50001);
  /* BTC's entry: no book yet at its first trade, so the trade price. */
  g_assert_cmpfloat (kantor_ledger_get_order (ledger, 0)->price, ==, 50000.5);
}

static void
test_time_range (void)
{
  g_autoptr(KantorStrategy) holder = strategy_from_text (holder_strategy);
  g_autoptr(KantorEngine) engine = kantor_engine_new (NULL);
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = source_path ("tests", "data", "collection-small", NULL);
  Counts counts = { 0 };

  source = kantor_collection_source_new (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kantor_engine_add_activation (engine, holder, "BTCUSDT", &error));
  counts.ordered = TRUE;
  kantor_engine_set_callbacks (engine, &counting, &counts);

  /* [0.5 s, 1.5 s]: five events of both symbols, three of them BTC's. */
  g_assert_true (kantor_engine_run (engine, source, 1700000000500, 1700000001500, NULL,
                                    &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kantor_engine_get_n_events (engine), ==, 5);
  g_assert_cmpuint (counts.events, ==, 3);
  g_assert_cmpint (kantor_engine_get_last_time_ms (engine), ==, 1700000001500);

  /* A time range the wrong way round. */
  g_assert_false (kantor_engine_run (engine, source, 2, 1, NULL, &error));
  g_assert_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_INVALID);
}

static void
test_process_event (void)
{
  g_autoptr(KantorStrategy) holder = strategy_from_text (holder_strategy);
  g_autoptr(KantorEngine) engine = kantor_engine_new (NULL);
  g_autoptr(GError) error = NULL;
  KantorMarketEvent ev = { 0 };
  KantorMetrics m;
  const KantorQuote *quote;

  g_assert_true (kantor_engine_add_activation (engine, holder, "AAA", &error));
  g_assert_cmpstrv (kantor_engine_get_symbols (engine), ((const char *[]) { "AAA", NULL }));
  g_assert_null (kantor_engine_get_indicator_set (engine, "BBB"));
  g_assert_nonnull (kantor_engine_get_indicator_set (engine, "AAA"));

  ev.kind = KANTOR_EVENT_BOOK;
  ev.symbol = g_intern_static_string ("AAA");
  ev.time_ms = 1000;
  ev.bids[0] = (KantorBookLevel) { 99, 5 };
  ev.asks[0] = (KantorBookLevel) { 101, 5 };
  kantor_engine_process_event (engine, &ev);
  quote = kantor_engine_get_quote (engine, "AAA");
  g_assert_cmpfloat (quote->bid, ==, 99);
  g_assert_cmpfloat (quote->ask, ==, 101);

  /* A symbol nobody trades: counted, not marked. */
  ev.symbol = g_intern_static_string ("BBB");
  ev.time_ms = 1500;
  kantor_engine_process_event (engine, &ev);

  ev.kind = KANTOR_EVENT_TRADE;
  ev.symbol = g_intern_static_string ("AAA");
  ev.time_ms = 2000;
  ev.price = 100;
  ev.volume = 1;
  kantor_engine_process_event (engine, &ev);

  /* Late: dropped, nothing changes. */
  ev.time_ms = 1999;
  ev.price = 1;
  kantor_engine_process_event (engine, &ev);

  g_assert_cmpuint (kantor_engine_get_n_events (engine), ==, 3);
  g_assert_cmpuint (kantor_engine_get_n_dropped (engine), ==, 1);

  /* Activated while events flow: from then on BBB is traded too (the
   * engine's one-symbol cache must not remember it as untraded). */
  g_assert_true (kantor_engine_add_activation (engine, holder, "BBB", &error));
  ev.kind = KANTOR_EVENT_BOOK;
  ev.symbol = g_intern_static_string ("BBB");
  ev.time_ms = 2500;
  kantor_engine_process_event (engine, &ev);
  g_assert_true (kantor_ledger_get_symbol_metrics (kantor_engine_get_ledger (engine), "BBB", &m));
  g_assert_cmpuint (m.ticks_processed, ==, 1);
  g_assert_cmpfloat (kantor_engine_get_quote (engine, "BBB")->bid, ==, 99);

  g_assert_cmpfloat (kantor_engine_get_quote (engine, "AAA")->last, ==, 100);

  g_assert_true (kantor_ledger_get_symbol_metrics (kantor_engine_get_ledger (engine), "AAA", &m));
  g_assert_cmpuint (m.ticks_processed, ==, 2);
  /* Entered at the ask (the book is known), moved against us by no
   * slippage: 1000 / 101 units. */
  g_assert_cmpuint (m.orders_filled, ==, 1);
  g_assert_cmpfloat (kantor_ledger_get_order (kantor_engine_get_ledger (engine), 0)->price, ==,
                     101);
}

static void
test_invalid (void)
{
  g_autoptr(KantorStrategy) holder = strategy_from_text (holder_strategy);
  g_autoptr(KantorEngine) engine = kantor_engine_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(KantorMarketSource) source = NULL;

  g_assert_false (kantor_engine_add_activation (engine, holder, "btc", &error));
  g_assert_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (kantor_engine_add_activation (engine, holder, "BTC", &error));
  g_assert_false (kantor_engine_add_activation (engine, holder, "BTC", &error));
  g_assert_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_INVALID);
  g_clear_error (&error);

  source = kantor_synthetic_source_new ((const char *[]) { "BTC", NULL }, 1, 0, 0, &error);
  g_assert_no_error (error);
  g_cancellable_cancel (cancellable);
  g_assert_false (kantor_engine_run (engine, source, G_MININT64, G_MAXINT64, cancellable,
                                     &error));
  g_assert_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_CANCELLED);
}

typedef struct
{
  GCancellable *cancellable;
  guint         seen;
} CancelAt;

static void
cancel_on_tenth (const KantorMarketEvent *event,
                 gpointer                 user_data)
{
  CancelAt *at = user_data;

  if (++at->seen == 10)
    g_cancellable_cancel (at->cancellable);
}

static void
test_cancel_paced (void)
{
  static const KantorEngineCallbacks callbacks = { cancel_on_tenth, NULL, NULL };
  g_autoptr(KantorStrategy) holder = strategy_from_text (holder_strategy);
  g_autoptr(KantorEngine) engine = kantor_engine_new (NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GError) error = NULL;
  CancelAt at = { cancellable, 0 };
  gint64 start;

  source = kantor_synthetic_source_new ((const char *[]) { "BTC", NULL }, 3, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_true (kantor_engine_add_activation (engine, holder, "BTC", &error));
  kantor_engine_set_callbacks (engine, &callbacks, &at);
  /* 20 times real time: ten events take a tenth of a second, the rest of
   * the batch (~500 events) would take about six. A cancelled paced run
   * stops at the next wait instead. */
  kantor_engine_set_speed (engine, 20);

  start = g_get_monotonic_time ();
  g_assert_false (kantor_engine_run (engine, source, G_MININT64, G_MAXINT64, cancellable,
                                     &error));
  g_assert_error (error, KANTOR_ENGINE_ERROR, KANTOR_ENGINE_ERROR_CANCELLED);
  g_assert_cmpuint (kantor_engine_get_n_events (engine), ==, 10);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
}

static void
test_source_error (void)
{
  g_autoptr(KantorStrategy) holder = strategy_from_text (holder_strategy);
  g_autoptr(KantorEngine) engine = kantor_engine_new (NULL);
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "bad", "XYZ", NULL);
  g_autofree char *prices = g_build_filename (dir, "prices.csv", NULL);
  g_autofree char *root = g_path_get_dirname (dir);
  KantorMetrics m;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (prices, "timestamp,price,volume,quote_volume\n"
                               "1700000000.000,10,1,10\n"
                               "1700000001.000,11,1,11\n"
                               "1700000002.000,-11,1,11\n", -1, &error);
  g_assert_no_error (error);
  source = kantor_collection_source_new (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kantor_engine_add_activation (engine, holder, "XYZ", &error));

  /* The good rows are processed; the bad one stops the run with its file
   * and line. */
  g_assert_false (kantor_engine_run (engine, source, G_MININT64, G_MAXINT64, NULL, &error));
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
  g_assert_nonnull (strstr (error->message, "prices.csv:4:"));
  g_assert_cmpuint (kantor_engine_get_n_events (engine), ==, 2);

  kantor_engine_finish (engine);
  kantor_ledger_get_metrics (kantor_engine_get_ledger (engine), &m);
  g_assert_cmpuint (m.total_trades, ==, 1);
}

static void
test_examples (void)
{
  static const char * const names[] = { "pump_rider", "rsi_mean_reversion", "ema_macd_trend" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(KantorStrategy) strategy = example_strategy (names[i]);
      KantorStrategy *strategies[] = { strategy };
      const char *symbols[] = { "BTCUSDT", NULL };
      g_autofree char *results = NULL;
      Counts counts;

      /* Each runs, and finds something to do on a day of synthetic data. */
      results = run_synthetic (strategies, 1, symbols, 11, 400000, 0, &counts);
      g_test_message ("%s: %" G_GUINT64_FORMAT " signals, %" G_GUINT64_FORMAT " fills",
                      names[i], counts.signals, counts.filled);
      g_assert_cmpuint (counts.s1, >, 0);
      g_assert_cmpuint (counts.filled, >, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/engine/determinism", test_determinism);
  g_test_add_func ("/kantor/engine/engine/paced", test_paced);
  g_test_add_func ("/kantor/engine/engine/session-end", test_session_end);
  g_test_add_func ("/kantor/engine/engine/time-range", test_time_range);
  g_test_add_func ("/kantor/engine/engine/process-event", test_process_event);
  g_test_add_func ("/kantor/engine/engine/invalid", test_invalid);
  g_test_add_func ("/kantor/engine/engine/source-error", test_source_error);
  g_test_add_func ("/kantor/engine/engine/cancel-paced", test_cancel_paced);
  g_test_add_func ("/kantor/engine/engine/examples", test_examples);

  return g_test_run ();
}
