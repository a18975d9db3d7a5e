/* test-results.c: results_request through a real server and client, checked
 * by hand and against kantor-backtest on the same data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "test-utils.h"

/* The additive metrics of PROTOCOL.md §7: the session's equal the sums over
 * its symbols. */
static const char * const additive[] = {
  "signals_detected", "orders_placed", "orders_filled", "orders_rejected", "total_trades",
  "winning_trades", "losing_trades", "gross_pnl", "total_fees", "net_pnl", "realized_pnl",
  "unrealized_pnl", "ticks_processed",
};

typedef struct
{
  TestServer       ts;
  KantorAuthGrant *grant;
  TestClient      *c;
  char            *session_id;
} Fixture;

static JsonObject *
data_of (JsonObject *msg)
{
  return json_object_get_object_member (msg, "data");
}

/* A backtest of the holder over collection-small, run to its end. */
static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autofree char *path = test_data_path ("collection-small");
  g_autofree char *holder = test_holder_doc ("holder");
  g_autoptr(JsonObject) reply = NULL;

  test_server_setup (&f->ts, FALSE);
  test_server_add_managers (&f->ts, 1);
  test_server_put_strategy (&f->ts, holder);
  f->grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  f->c = test_client_open (&f->ts, f->grant->access_token);

  reply = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"backtest\","
                             " \"strategy_config\": {\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]},"
                             " \"config\": {\"data\": {\"path\": \"%s\"}}", path);
  test_assert_response (reply, "session_started");
  f->session_id = g_strdup (json_object_get_string_member (data_of (reply), "session_id"));

  for (;;)
    {
      g_autoptr(JsonObject) msg = test_client_next (f->c, TEST_TIMEOUT_S * 1000);

      g_assert_nonnull (msg);
      if (g_strcmp0 (json_object_get_string_member_with_default (msg, "status", NULL),
                     "session_state") == 0 &&
          g_strcmp0 (json_object_get_string_member (msg, "state"), "completed") == 0)
        break;
    }
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_pointer (&f->c, test_client_free);
  g_clear_pointer (&f->grant, kantor_auth_grant_free);
  test_server_teardown (&f->ts);
  g_free (f->session_id);
}

static double
num (JsonObject *metrics,
     const char *name)
{
  return json_object_get_double_member (metrics, name);
}

#define assert_near(a, b) g_assert_cmpfloat_with_epsilon ((a), (b), 1e-9 * MAX (1.0, fabs (b)))

/* Worked out from the files by hand (docs/METRICS.md):
 * - BTCUSDT: its first trade (50000.5 at t=0) comes before its first book
 *   update, so the entry buys at 50000.5; the end (t=3.25 s, ETH's last
 *   trade) sells at BTC's last bid, 50001.
 * - ETHUSDT: its first trade comes at t=0.5 s, when the book says ask
 *   3000.2: the entry buys there; the end sells at the bid, 3000.
 * Each entry is 1000 of notional; fees are 0.1 % of each fill. */
static void
test_hand_checked (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) reply = test_client_callf (f->c, "\"type\": \"results_request\","
                                                   " \"request_type\": \"session_results\","
                                                   " \"session_id\": \"%s\"", f->session_id);
  JsonObject *d = data_of (reply);
  JsonObject *m, *btc, *eth;
  double btc_exit = 1000.0 * 50001 / 50000.5;
  double eth_exit = 1000.0 * 3000 / 3000.2;
  double btc_net = (btc_exit - 1000) - 1.0 - 0.001 * btc_exit;
  double eth_net = (eth_exit - 1000) - 1.0 - 0.001 * eth_exit;

  test_assert_response (reply, "results");
  g_assert_cmpstr (json_object_get_string_member (reply, "session_id"), ==, f->session_id);
  g_assert_cmpstr (json_object_get_string_member (d, "request_type"), ==, "session_results");
  g_assert_cmpstr (json_object_get_string_member (d, "state"), ==, "completed");
  g_assert_cmpint (json_object_get_int_member (d, "events_processed"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (d, "last_event_ms"), ==, 1700000003250);

  m = json_object_get_object_member (d, "metrics");
  btc = json_object_get_object_member (json_object_get_object_member (d, "per_symbol"),
                                       "BTCUSDT");
  eth = json_object_get_object_member (json_object_get_object_member (d, "per_symbol"),
                                       "ETHUSDT");

  g_assert_cmpint (json_object_get_int_member (m, "orders_filled"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (m, "total_trades"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (m, "losing_trades"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (m, "signals_detected"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (m, "ticks_processed"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (btc, "ticks_processed"), ==, 6);
  assert_near (num (btc, "gross_pnl"), btc_exit - 1000);
  assert_near (num (btc, "total_fees"), 1.0 + 0.001 * btc_exit);
  assert_near (num (btc, "net_pnl"), btc_net);
  assert_near (num (eth, "gross_pnl"), eth_exit - 1000);
  assert_near (num (eth, "net_pnl"), eth_net);
  assert_near (num (m, "net_pnl"), btc_net + eth_net);
  assert_near (num (m, "realized_pnl"), btc_net + eth_net);
  g_assert_cmpfloat (num (m, "unrealized_pnl"), ==, 0);
  assert_near (num (m, "best_trade"), btc_net);
  assert_near (num (m, "worst_trade"), eth_net);
  g_assert_cmpfloat (num (m, "win_rate"), ==, 0);
  /* Held 3.25 s and 2.75 s. */
  assert_near (num (m, "avg_trade_duration_s"), 3.0);
  g_assert_cmpint (json_object_get_int_member (m, "max_consecutive_losses"), ==, 2);

  /* Totals are the per-symbol sums. */
  for (guint i = 0; i < G_N_ELEMENTS (additive); i++)
    assert_near (num (btc, additive[i]) + num (eth, additive[i]), num (m, additive[i]));
  /* One strategy: its breakdown is the session's. */
  for (guint i = 0; i < G_N_ELEMENTS (additive); i++)
    assert_near (num (json_object_get_object_member (json_object_get_object_member (
                                                       d, "per_strategy"), "holder"),
                      additive[i]),
                 num (m, additive[i]));
}

/* kantor-backtest over the same files and strategy: the same fills. */
static void
test_same_as_cli (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonObject) reply = test_client_callf (f->c, "\"type\": \"results_request\","
                                                   " \"request_type\": \"session_results\","
                                                   " \"session_id\": \"%s\"", f->session_id);
  const char *build = g_getenv ("KANTOR_BUILD_DIR");
  g_autofree char *cli = NULL;
  g_autofree char *doc_path = g_build_filename (f->ts.root, "holder.json", NULL);
  g_autofree char *holder = test_holder_doc ("holder");
  g_autofree char *path = test_data_path ("collection-small");
  g_autofree char *out = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) cli_results = NULL;
  g_autoptr(JsonNode) ours = NULL;
  g_autoptr(JsonNode) theirs = NULL;
  g_autofree char *ours_text = NULL;
  g_autofree char *theirs_text = NULL;
  JsonObject *cli_obj;

  g_assert_nonnull (build);
  cli = g_build_filename (build, "src", "backtest", "kantor-backtest", NULL);
  g_file_set_contents (doc_path, holder, -1, &error);
  g_assert_no_error (error);

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                           &error, cli, "--strategy", doc_path, "--data", path, "--json", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));
  cli_results = json_from_string (out, &error);
  g_assert_no_error (error);
  cli_obj = json_node_get_object (cli_results);

  test_assert_response (reply, "results");
  g_assert_cmpstr (json_object_get_string_member (data_of (reply), "results_hash"), ==,
                   json_object_get_string_member (cli_obj, "results_hash"));
  g_assert_cmpuint (strlen (json_object_get_string_member (cli_obj, "results_hash")), ==, 64);

  /* And every metric, to the last digit. */
  ours = json_node_init_object (json_node_alloc (),
                                json_object_get_object_member (data_of (reply), "metrics"));
  theirs = json_node_init_object (json_node_alloc (),
                                  json_object_get_object_member (cli_obj, "metrics"));
  ours_text = json_to_string (ours, FALSE);
  theirs_text = json_to_string (theirs, FALSE);
  g_assert_cmpstr (ours_text, ==, theirs_text);
}

static void
test_symbol_and_strategy (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) sym = test_client_callf (f->c, "\"type\": \"results_request\","
                                                 " \"request_type\": \"symbol_results\","
                                                 " \"session_id\": \"%s\", \"symbol\": \"ethusdt\"",
                                                 f->session_id);
  g_autoptr(JsonObject) latest = NULL;
  g_autoptr(JsonObject) strat = NULL;
  g_autoptr(JsonObject) act = NULL;
  JsonArray *trades, *signals;
  JsonObject *d;

  test_assert_response (sym, "results");
  d = data_of (sym);
  g_assert_cmpstr (json_object_get_string_member (d, "symbol"), ==, "ETHUSDT");
  trades = json_object_get_array_member (d, "trades");
  g_assert_cmpuint (json_array_get_length (trades), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (trades, 0),
                                                  "symbol"), ==, "ETHUSDT");
  signals = json_object_get_array_member (d, "signals");
  g_assert_cmpuint (json_array_get_length (signals), >=, 2);
  for (guint i = 0; i < json_array_get_length (signals); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (signals, i),
                                                    "symbol"), ==, "ETHUSDT");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (d, "metrics"),
                                               "ticks_processed"), ==, 4);

  /* Without session_id: the latest session that traded the symbol. */
  latest = test_client_callf (f->c, "\"type\": \"results_request\","
                              " \"request_type\": \"symbol_results\", \"symbol\": \"BTCUSDT\"");
  test_assert_response (latest, "results");
  g_assert_cmpstr (json_object_get_string_member (data_of (latest), "session_id"), ==,
                   f->session_id);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (latest),
                                                                         "trades")), ==, 1);

  strat = test_client_callf (f->c, "\"type\": \"results_request\","
                             " \"request_type\": \"strategy_results\","
                             " \"strategy_name\": \"holder\", \"session_id\": \"%s\"",
                             f->session_id);
  test_assert_response (strat, "results");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (strat),
                                                                         "trades")), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (data_of (strat),
                                                                              "metrics"),
                                               "total_trades"), ==, 2);

  act = test_client_callf (f->c, "\"type\": \"results_request\","
                           " \"request_type\": \"strategy_results\","
                           " \"strategy_name\": \"holder\", \"symbol\": \"BTCUSDT\"");
  test_assert_response (act, "results");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (data_of (act),
                                                                              "metrics"),
                                               "ticks_processed"), ==, 6);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (act),
                                                                         "trades")), ==, 1);
}

/* Each request refused, with the code and the field named: @session
 * stands for the fixture's session id. */
static const struct
{
  const char *fields;
  const char *code;
  const char *field;
} refused[] = {
  { "", "validation_error", "request_type" },
  { ", \"request_type\": \"everything\"", "validation_error", "request_type" },
  { ", \"request_type\": \"session_results\"", "validation_error", "session_id" },
  { ", \"request_type\": \"symbol_results\", \"session_id\": \"@session\"",
    "validation_error", "symbol" },
  { ", \"request_type\": \"strategy_results\"", "validation_error", "strategy_name" },
  { ", \"request_type\": \"symbol_results\", \"session_id\": \"@session\","
    " \"symbol\": \"XRPUSDT\"", "validation_error", "symbol" },
  { ", \"request_type\": \"strategy_results\", \"session_id\": \"@session\","
    " \"strategy_name\": \"pump_rider\"", "validation_error", "strategy_name" },
  { ", \"request_type\": \"session_results\", \"session_id\": 5",
    "validation_error", "session_id" },
  { ", \"request_type\": \"session_results\", \"session_id\": \"nope\"",
    "session_not_found", NULL },
  { ", \"request_type\": \"symbol_results\", \"symbol\": \"DOGEUSDT\"",
    "session_not_found", NULL },
};

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GString) fields = g_string_new (refused[i].fields);
      g_autoptr(JsonObject) reply = NULL;

      g_string_replace (fields, "@session", f->session_id, 0);
      reply = test_client_callf (f->c, "\"type\": \"results_request\"%s", fields->str);
      test_assert_error (reply, refused[i].code);
      g_assert_cmpstr (test_error_field (reply), ==, refused[i].field);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/kantor/api/results/" path, Fixture, NULL, setup, func, teardown)
  ADD ("hand-checked", test_hand_checked);
  ADD ("same-as-cli", test_same_as_cli);
  ADD ("symbol-and-strategy", test_symbol_and_strategy);
  ADD ("errors", test_errors);
#undef ADD

  return g_test_run ();
}
