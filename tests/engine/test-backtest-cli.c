/* test-backtest-cli.c: kantor-backtest as a user runs it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

typedef struct
{
  int   status;     /* exit status; -1 when killed by a signal */
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

static char *
source_file (const char *first,
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

static void
run_backtest (Run        *run,
              const char *first_arg,
              ...)
{
  const char *build = g_getenv ("KANTOR_BUILD_DIR");
  g_autofree char *exe = g_build_filename (build != NULL ? build : ".", "src", "backtest",
                                           "kantor-backtest", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, exe);
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);

  /* Bad input must never crash it. */
  g_assert_false (g_subprocess_get_if_signaled (proc));
  run->status = g_subprocess_get_exit_status (proc);
}

static JsonObject *
parse_results (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static void
test_synthetic_json (void)
{
  g_autofree char *pump = source_file ("data", "strategies", "pump_rider.json", NULL);
  g_autoptr(JsonObject) results = NULL;
  Run a = { 0 }, b = { 0 };
  const char *hash;
  JsonObject *metrics;

  run_backtest (&a, "--strategy", pump, "--data", "synthetic:7:150k", "--symbol", "pepeusdt",
                "--json", NULL);
  run_backtest (&b, "--strategy", pump, "--data", "synthetic:7:150k", "--symbol", "pepeusdt",
                "--json", NULL);
  g_assert_cmpint (a.status, ==, 0);
  g_assert_cmpint (b.status, ==, 0);

  /* Twice the same run, twice the same output, to the byte. */
  g_assert_cmpstr (a.out, ==, b.out);

  results = parse_results (a.out);
  hash = json_object_get_string_member (results, "results_hash");
  g_assert_cmpuint (strlen (hash), ==, 64);
  g_assert_cmpint (json_object_get_int_member (results, "events_processed"), ==, 150000);
  metrics = json_object_get_object_member (results, "metrics");
  g_assert_cmpint (json_object_get_int_member (metrics, "ticks_processed"), ==, 150000);
  g_assert_true (json_object_has_member (metrics, "sharpe_ratio"));
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (results, "symbols"), 0), ==, "PEPEUSDT");

  run_clear (&a);
  run_clear (&b);
}

static void
test_collection (void)
{
  g_autofree char *pump = source_file ("data", "strategies", "pump_rider.json", NULL);
  g_autofree char *trend = source_file ("data", "strategies", "ema_macd_trend.json", NULL);
  g_autofree char *data = source_file ("tests", "data", "collection-small", NULL);
  g_autoptr(JsonObject) results = NULL;
  JsonArray *strategies;
  Run run = { 0 };

  run_backtest (&run, "--strategy", pump, "--strategy", trend, "--data", data, "--json",
                "--fee-rate", "0.0005", "--slippage-bps", "2", "--initial-balance", "5000",
                NULL);
  g_assert_cmpint (run.status, ==, 0);
  results = parse_results (run.out);
  g_assert_cmpint (json_object_get_int_member (results, "events_processed"), ==, 10);
  strategies = json_object_get_array_member (results, "strategies");
  g_assert_cmpuint (json_array_get_length (strategies), ==, 2);
  g_assert_true (json_object_has_member (json_object_get_object_member (results, "per_symbol"),
                                         "ETHUSDT"));
  g_assert_true (json_object_has_member (json_object_get_object_member (results,
                                                                        "per_strategy"),
                                         "ema_macd_trend"));
  g_assert_cmpfloat (json_object_get_double_member (
                       json_object_get_object_member (results, "config"), "fee_rate"), ==,
                     0.0005);
  g_assert_cmpfloat (json_object_get_double_member (
                       json_object_get_object_member (results, "config"), "initial_balance"),
                     ==, 5000);
  run_clear (&run);

  /* Part of the time range: from 0.5 s in, to 1.5 s in (an ISO time). */
  run_backtest (&run, "--strategy", pump, "--data", data, "--json",
                "--from", "1700000000.5", "--to", "2023-11-14T22:13:21.500Z", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&results, json_object_unref);
  results = parse_results (run.out);
  g_assert_cmpint (json_object_get_int_member (results, "events_processed"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (results, "first_event_ms"), ==, 1700000000500);
  g_assert_cmpint (json_object_get_int_member (results, "last_event_ms"), ==, 1700000001500);
  run_clear (&run);

  /* One symbol of the collection. */
  run_backtest (&run, "--strategy", pump, "--data", data, "--json", "--symbol", "ETHUSDT", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_clear_pointer (&results, json_object_unref);
  results = parse_results (run.out);
  g_assert_cmpint (json_object_get_int_member (results, "events_processed"), ==, 4);
  run_clear (&run);
}

/* A collection whose last line was torn by a crash replays its complete
 * rows; the one warning about it is all that goes to stderr. */
static void
test_torn_collection (void)
{
  g_autofree char *pump = source_file ("data", "strategies", "pump_rider.json", NULL);
  g_autofree char *root = g_build_filename (g_get_user_data_dir (), "torn", NULL);
  g_autofree char *dir = g_build_filename (root, "TESTUSDT", NULL);
  g_autofree char *prices = g_build_filename (dir, "prices.csv", NULL);
  g_autoptr(JsonObject) results = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  Run run = { 0 };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (prices, "timestamp,price,volume,quote_volume\n"
                               "1700000000.000,10,1,10\n1700000001.000,11,1,11\n"
                               "1700000002.000,12,1,12\n1700000003.0", -1, &error);
  g_assert_no_error (error);

  run_backtest (&run, "--strategy", pump, "--data", root, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  results = parse_results (run.out);
  g_assert_cmpint (json_object_get_int_member (results, "events_processed"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (results, "last_event_ms"), ==, 1700000002000);
  lines = g_strsplit (g_strstrip (run.err), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_nonnull (strstr (lines[0], "prices.csv:5: ignoring an incomplete last line"));
  g_assert_nonnull (strstr (lines[0], dir));
  run_clear (&run);
}

static void
test_table (void)
{
  g_autofree char *pump = source_file ("data", "strategies", "pump_rider.json", NULL);
  g_autofree char *data = source_file ("tests", "data", "collection-small", NULL);
  Run run = { 0 };

  run_backtest (&run, "--strategy", pump, "--data", data, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "results_hash: "));
  g_assert_nonnull (strstr (run.out, "signals_detected"));
  g_assert_nonnull (strstr (run.out, "strategy pump_rider"));
  g_assert_nonnull (strstr (run.out, "symbol ETHUSDT"));
  g_assert_nonnull (strstr (run.out, "2023-11-14T22:13:20.000Z .. 2023-11-14T22:13:23.250Z"));
  run_clear (&run);
}

static void
test_dump_indicators (void)
{
  g_autofree char *pump = source_file ("data", "strategies", "pump_rider.json", NULL);
  g_autofree char *data = source_file ("tests", "data", "collection-small", NULL);
  g_autofree char *dump = g_build_filename (g_get_user_data_dir (), "dump.csv", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  run_backtest (&run, "--strategy", pump, "--data", data, "--dump-indicators", dump, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_file_get_contents (dump, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);

  /* A header, one row per event, a final line end. */
  g_assert_cmpuint (g_strv_length (lines), ==, 12);
  g_assert_cmpstr (lines[0], ==,
                   "time_ms,symbol,event,price,best_bid,best_ask,pump_rider.pump,"
                   "pump_rider.surge,pump_rider.vel,pump_rider.rsi,pump_rider.spread");
  g_assert_cmpstr (lines[1], ==, "1700000000000,BTCUSDT,trade,50000.5,,,,,,,");
  /* After BTC's first book: (50001 - 50000) / 50000.5 * 100. */
  g_assert_true (g_str_has_prefix (lines[2], "1700000000000,BTCUSDT,book,,50000,50001,"));
  g_assert_true (g_str_has_suffix (lines[2], ",0.001999980000199998"));
  g_assert_cmpstr (lines[11], ==, "");
  run_clear (&run);
}

static void
test_binance (void)
{
  g_autofree char *pump = source_file ("data", "strategies", "pump_rider.json", NULL);
  g_autofree char *file = g_build_filename (g_get_user_data_dir (),
                                            "ETHUSDT-aggTrades-2024-03-01.csv", NULL);
  g_autoptr(JsonObject) results = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_file_set_contents (file,
                       "1,3400.5,0.1,1,1,1709251200000,true\n"
                       "2,3400.6,0.2,2,3,1709251200100,false\n"
                       "3,3400.4,0.3,4,4,1709251201000,true\n", -1, &error);
  g_assert_no_error (error);

  run_backtest (&run, "--strategy", pump, "--data", file, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  results = parse_results (run.out);
  g_assert_cmpint (json_object_get_int_member (results, "events_processed"), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (results, "symbols"), 0), ==, "ETHUSDT");
  run_clear (&run);
}

/* Enters on the first event, leaves on a 0.2 % move either way. */
static const char scalper[] =
  "{\"strategy_name\": \"scalper\", \"enabled\": true, \"direction\": \"LONG\","
  " \"indicators\": {\"price\": {\"type\": \"PRICE\"}},"
  " \"s1_signal\": {\"conditions\": [{\"id\": \"a\", \"indicatorId\": \"price\","
  "                 \"operator\": \">\", \"value\": 0}]},"
  " \"o1_cancel\": {\"conditions\": []},"
  " \"z1_entry\": {\"conditions\": [{\"id\": \"b\", \"indicatorId\": \"price\","
  "                \"operator\": \">\", \"value\": 0}],"
  "   \"positionSize\": {\"type\": \"fixed\", \"value\": 1000},"
  "   \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 0.2},"
  "   \"takeProfit\": {\"enabled\": true, \"offsetPercent\": 0.2}},"
  " \"ze1_close\": {\"conditions\": []},"
  " \"emergency_exit\": {\"conditions\": [], \"actions\": {\"cancelPending\": false,"
  "   \"closePosition\": false, \"logEvent\": true}},"
  " \"global_limits\": {}}";

static void
test_same_trades_same_results (void)
{
  g_autofree char *strategy = g_build_filename (g_get_user_data_dir (), "scalper.json", NULL);
  g_autofree char *collection = g_build_filename (g_get_user_data_dir (), "rec", NULL);
  g_autofree char *symbol_dir = g_build_filename (collection, "SOLUSDT", NULL);
  g_autofree char *prices = g_build_filename (symbol_dir, "prices.csv", NULL);
  g_autofree char *archive = g_build_filename (g_get_user_data_dir (),
                                               "SOLUSDT-trades-2026-02-01.csv", NULL);
  g_autoptr(GString) rec = g_string_new ("timestamp,price,volume,quote_volume\n");
  g_autoptr(GString) arc = g_string_new (NULL);
  g_autoptr(JsonObject) a = NULL;
  g_autoptr(JsonObject) b = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t = G_GINT64_CONSTANT (1769904000000);
  gint64 cents = 15000;
  Run run_a = { 0 }, run_b = { 0 };
  guint i;

  /* The same 5000 trades, as a recording and as the archive's file: a
   * zig-zag walk of 1 cent steps. */
  for (i = 0; i < 5000; i++)
    {
      cents += (i / 37) % 2 == 0 ? 1 : -1;
      t += 50 + i % 7;
      g_string_append_printf (rec, "%" G_GINT64_FORMAT ".%03d,%" G_GINT64_FORMAT ".%02d,1.5,1\n",
                              t / 1000, (int) (t % 1000), cents / 100, (int) (cents % 100));
      g_string_append_printf (arc, "%u,%" G_GINT64_FORMAT ".%02d,1.5,1,%" G_GINT64_FORMAT
                              ",true,true\n", i, cents / 100, (int) (cents % 100), t);
    }
  g_assert_cmpint (g_mkdir_with_parents (symbol_dir, 0700), ==, 0);
  g_file_set_contents (strategy, scalper, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (prices, rec->str, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (archive, arc->str, -1, &error);
  g_assert_no_error (error);

  run_backtest (&run_a, "--strategy", strategy, "--data", collection, "--json", NULL);
  run_backtest (&run_b, "--strategy", strategy, "--data", archive, "--json", NULL);
  g_assert_cmpint (run_a.status, ==, 0);
  g_assert_cmpint (run_b.status, ==, 0);
  a = parse_results (run_a.out);
  b = parse_results (run_b.out);

  /* Two formats, one market: the same fills, hence the same hash. */
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (a, "metrics"),
                                               "orders_filled"), >, 2);
  g_assert_cmpstr (json_object_get_string_member (a, "results_hash"), ==,
                   json_object_get_string_member (b, "results_hash"));
  g_assert_cmpint (json_object_get_int_member (a, "events_processed"), ==, 5000);
  g_assert_cmpint (json_object_get_int_member (b, "events_processed"), ==, 5000);
  run_clear (&run_a);
  run_clear (&run_b);
}

typedef struct
{
  const char *name;
  const char *args[12];     /* "@PUMP", "@DATA", "@BAD", "@INVALID" are filled in */
  int         status;
  const char *message;      /* expected in standard error */
} BadCase;

static const BadCase bad_cases[] = {
  { "nothing", { NULL }, 2, "--strategy and --data are required" },
  { "no-data", { "--strategy", "@PUMP", NULL }, 2, "required" },
  { "missing-strategy", { "--strategy", "/nonexistent/s.json", "--data", "@DATA", NULL }, 1,
    "/nonexistent/s.json" },
  { "invalid-strategy", { "--strategy", "@INVALID", "--data", "@DATA", NULL }, 1,
    "not a valid strategy" },
  { "missing-data", { "--strategy", "@PUMP", "--data", "/nonexistent/data", NULL }, 1,
    "/nonexistent/data" },
  { "bad-synthetic", { "--strategy", "@PUMP", "--data", "synthetic:x", NULL }, 1,
    "synthetic:SEED" },
  { "zero-events", { "--strategy", "@PUMP", "--data", "synthetic:1:0", NULL }, 1,
    "synthetic:SEED" },
  { "bad-symbol", { "--strategy", "@PUMP", "--data", "synthetic:1:10", "--symbol", "a-b",
    NULL }, 1, "not a valid symbol" },
  { "nan-fee", { "--strategy", "@PUMP", "--data", "@DATA", "--fee-rate", "nan", NULL }, 2,
    "--fee-rate" },
  { "fee-one", { "--strategy", "@PUMP", "--data", "@DATA", "--fee-rate", "1", NULL }, 2,
    "--fee-rate" },
  { "negative-slippage", { "--strategy", "@PUMP", "--data", "@DATA", "--slippage-bps", "-1",
    NULL }, 2, "--slippage-bps" },
  { "zero-balance", { "--strategy", "@PUMP", "--data", "@DATA", "--initial-balance", "0",
    NULL }, 2, "--initial-balance" },
  { "bad-from", { "--strategy", "@PUMP", "--data", "@DATA", "--from", "yesterday", NULL }, 2,
    "--from" },
  { "reversed-range", { "--strategy", "@PUMP", "--data", "@DATA", "--from", "2024-01-02",
    "--to", "2024-01-01", NULL }, 2, "--to is before --from" },
  { "bad-rows", { "--strategy", "@PUMP", "--data", "@BAD", NULL }, 1, "prices.csv:3:" },
  { "twice-the-same", { "--strategy", "@PUMP", "--strategy", "@PUMP", "--data", "@DATA", NULL },
    1, "already active" },
  { "stray-argument", { "--strategy", "@PUMP", "--data", "@DATA", "extra", NULL }, 2,
    "unexpected argument" },
  { "unknown-option", { "--strategy", "@PUMP", "--data", "@DATA", "--bogus", NULL }, 2,
    "--bogus" },
  { "unwritable-dump", { "--strategy", "@PUMP", "--data", "@DATA", "--dump-indicators",
    "/nonexistent/dump.csv", NULL }, 1, "/nonexistent/dump.csv" },
};

static void
test_bad_input (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree char *pump = source_file ("data", "strategies", "pump_rider.json", NULL);
  g_autofree char *good = source_file ("tests", "data", "collection-small", NULL);
  g_autofree char *bad = g_build_filename (g_get_user_data_dir (), "bad", NULL);
  g_autofree char *bad_prices = g_build_filename (bad, "ABC", "prices.csv", NULL);
  g_autofree char *invalid = g_build_filename (g_get_user_data_dir (), "invalid.json", NULL);
  g_autofree char *bad_symbol = g_path_get_dirname (bad_prices);
  const char *args[13] = { NULL };
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  guint i;

  g_assert_cmpint (g_mkdir_with_parents (bad, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (bad_symbol, 0700), ==, 0);
  g_file_set_contents (bad_prices, "timestamp,price,volume,quote_volume\n"
                                   "1700000000.000,1,1,1\n"
                                   "1700000000.500,1,inf,1\n", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (invalid, "{\"strategy_name\": \"x\"}", -1, &error);
  g_assert_no_error (error);

  for (i = 0; c->args[i] != NULL; i++)
    {
      if (strcmp (c->args[i], "@PUMP") == 0)
        args[i] = pump;
      else if (strcmp (c->args[i], "@DATA") == 0)
        args[i] = good;
      else if (strcmp (c->args[i], "@BAD") == 0)
        args[i] = bad;
      else if (strcmp (c->args[i], "@INVALID") == 0)
        args[i] = invalid;
      else
        args[i] = c->args[i];
    }

  run_backtest (&run, args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7],
                args[8], args[9], args[10], args[11], NULL);
  g_test_message ("%s: status %d: %s", c->name, run.status, run.err);
  g_assert_cmpint (run.status, ==, c->status);
  g_assert_nonnull (strstr (run.err, c->message));
  g_assert_true (g_str_has_prefix (run.err, "kantor-backtest: "));
  g_assert_cmpstr (run.out, ==, "");
  run_clear (&run);
}

int
main (int   argc,
      char *argv[])
{
  guint i;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/backtest/cli/synthetic-json", test_synthetic_json);
  g_test_add_func ("/kantor/backtest/cli/collection", test_collection);
  g_test_add_func ("/kantor/backtest/cli/torn-collection", test_torn_collection);
  g_test_add_func ("/kantor/backtest/cli/table", test_table);
  g_test_add_func ("/kantor/backtest/cli/dump-indicators", test_dump_indicators);
  g_test_add_func ("/kantor/backtest/cli/binance", test_binance);
  g_test_add_func ("/kantor/backtest/cli/same-trades-same-results", test_same_trades_same_results);
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/kantor/backtest/cli/bad-input/%s",
                                               bad_cases[i].name);

      g_test_add_data_func (path, &bad_cases[i], test_bad_input);
    }

  return g_test_run ();
}
