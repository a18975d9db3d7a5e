/* test-sessions.c: session_start, session_stop and session_status through a
 * real server, real WebSocket clients and, for restarts, the real daemon
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "test-utils.h"

/* Enters on the first trade of each symbol with a fixed notional and
 * stays in: every session holds a position until it ends. %s: the name,
 * %d: the notional. */
static const char holder_format[] =
  "{\"strategy_name\": \"%s\", \"enabled\": true, \"direction\": \"LONG\","
  " \"indicators\": {\"price\": {\"type\": \"PRICE\"}},"
  " \"s1_signal\": {\"conditions\": [{\"id\": \"a\", \"indicatorId\": \"price\","
  "   \"operator\": \">\", \"value\": 0}]},"
  " \"o1_cancel\": {\"conditions\": []},"
  " \"z1_entry\": {\"conditions\": [{\"id\": \"b\", \"indicatorId\": \"price\","
  "   \"operator\": \">\", \"value\": 0}],"
  "   \"positionSize\": {\"type\": \"fixed\", \"value\": %d},"
  "   \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 50},"
  "   \"takeProfit\": {\"enabled\": false}},"
  " \"ze1_close\": {\"conditions\": []},"
  " \"emergency_exit\": {\"conditions\": [], \"actions\": {\"cancelPending\": false,"
  "   \"closePosition\": false, \"logEvent\": true}},"
  " \"global_limits\": {}}";

typedef struct
{
  TestServer       ts;
  KantorAuthGrant *grant;
  TestClient      *c;
} Fixture;

static char *
holder_doc (const char *name,
            int         notional)
{
  return g_strdup_printf (holder_format, name, notional);
}

static char *
collection_path (void)
{
  const char *src = g_getenv ("KANTOR_SOURCE_DIR");

  g_assert_nonnull (src);
  return g_build_filename (src, "tests", "data", "collection-small", NULL);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autofree char *holder = holder_doc ("holder", 1000);
  g_autofree char *other = holder_doc ("other", 500);

  test_server_setup (&f->ts, FALSE);
  test_server_add_managers (&f->ts, 50);
  test_server_put_strategy (&f->ts, holder);
  test_server_put_strategy (&f->ts, other);
  f->grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  f->c = test_client_open (&f->ts, f->grant->access_token);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_pointer (&f->c, test_client_free);
  g_clear_pointer (&f->grant, kantor_auth_grant_free);
  test_server_teardown (&f->ts);
}

static JsonObject *
data_of (JsonObject *msg)
{
  return json_object_get_object_member (msg, "data");
}

static char *
start_ok (Fixture    *f,
          const char *body,
          gboolean    reused)
{
  g_autoptr(JsonObject) reply = test_client_callf (f->c, "\"type\": \"session_start\", %s", body);

  test_assert_response (reply, "session_started");
  g_assert_cmpint (json_object_get_boolean_member (data_of (reply), "reused"), ==, reused);
  /* The identifiers stand at top level too. */
  g_assert_cmpstr (json_object_get_string_member (reply, "session_id"), ==,
                   json_object_get_string_member (data_of (reply), "session_id"));
  return g_strdup (json_object_get_string_member (data_of (reply), "session_id"));
}

/* Reads messages until the session_state of @session_id says @state. */
static JsonObject *
wait_state (TestClient *c,
            const char *session_id,
            const char *state)
{
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) msg = test_client_next (c, 1000);

      if (msg == NULL)
        continue;
      if (g_strcmp0 (json_object_get_string_member_with_default (msg, "status", NULL),
                     "session_state") == 0 &&
          g_strcmp0 (json_object_get_string_member (msg, "session_id"), session_id) == 0)
        {
          test_assert_envelope (msg, "status");
          g_assert_false (json_object_has_member (msg, "id"));
          if (g_strcmp0 (json_object_get_string_member (msg, "state"), state) == 0)
            return g_steal_pointer (&msg);
        }
    }
  g_error ("session %s never reached %s", session_id, state);
}

static void
assert_error (JsonObject *reply,
              const char *code,
              const char *field)
{
  test_assert_error (reply, code);
  if (field != NULL)
    g_assert_cmpstr (test_error_field (reply), ==, field);
}

static void
assert_no_active_session (Fixture *f)
{
  g_autoptr(JsonObject) reply = test_client_callf (f->c, "\"type\": \"session_status\"");

  test_assert_response (reply, "no_active_session");
}

/* Every error of session_start, session_stop and session_status; each
 * leaves nothing started. */
static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *path = collection_path ();
  g_autoptr(TestClient) anon = test_client_open (&f->ts, NULL);
  JsonObject *r;

  /* Before authentication. */
  r = test_client_callf (anon, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}");
  assert_error (r, "authentication_required", NULL);
  json_object_unref (r);

  r = test_client_callf (f->c,
                         "\"type\": \"session_start\", \"strategy_config\": {\"holder\": [\"X\"]}");
  assert_error (r, "validation_error", "session_type");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": 3,"
                               " \"strategy_config\": {\"holder\": [\"X\"]}");
  assert_error (r, "validation_error", "session_type");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"futures\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}");
  assert_error (r, "invalid_session_type", NULL);
  json_object_unref (r);

  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\"");
  assert_error (r, "missing_strategy_config", NULL);
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {}");
  assert_error (r, "missing_strategy_config", NULL);
  json_object_unref (r);

  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"holder\": [\"BTC-USDT\"]}");
  assert_error (r, "validation_error", "strategy_config.holder");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"holder\": []}");
  assert_error (r, "validation_error", "strategy_config.holder");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]},"
                               " \"config\": {\"colour\": 1}");
  assert_error (r, "validation_error", "config.colour");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]},"
                               " \"config\": {\"on_conflict\": \"merge\"}");
  assert_error (r, "validation_error", "config.on_conflict");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]},"
                               " \"config\": {\"fee_rate\": 2}");
  assert_error (r, "validation_error", "config.fee_rate");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"backtest\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}");
  assert_error (r, "validation_error", "config.data");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"backtest\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]},"
                               " \"config\": {\"record\": true,"
                               " \"data\": {\"path\": \"%s\"}}", path);
  assert_error (r, "validation_error", "config.record");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"backtest\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]},"
                               " \"config\": {\"data\": {\"collection_id\": \"nope\"}}");
  assert_error (r, "validation_error", "config.data.collection_id");
  json_object_unref (r);
  /* A symbol the collection does not hold. */
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"backtest\","
                               " \"strategy_config\": {\"holder\": [\"XRPUSDT\"]},"
                               " \"config\": {\"data\": {\"path\": \"%s\"}}", path);
  assert_error (r, "validation_error", "config.data.path");
  json_object_unref (r);

  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"no_such_strategy\": [\"BTCUSDT\"]}");
  assert_error (r, "strategy_activation_failed", NULL);
  json_object_unref (r);
  /* Known but disabled. */
  {
    g_autofree char *doc = holder_doc ("resting", 100);
    g_auto(GStrv) parts = g_strsplit (doc, "\"enabled\": true", 2);
    g_autofree char *disabled = g_strjoinv ("\"enabled\": false", parts);

    test_server_put_strategy (&f->ts, disabled);
  }
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"],"
                               " \"resting\": [\"BTCUSDT\"]}");
  assert_error (r, "strategy_activation_failed", NULL);
  g_assert_nonnull (strstr (json_object_get_string_member (r, "error_message"), "disabled"));
  json_object_unref (r);

  /* Over the cap: refused with the numbers, nothing started. */
  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]},"
                               " \"config\": {\"budget\": {\"global_cap\": 1000,"
                               "   \"allocations\": {\"BTCUSDT\": 800, \"ETHUSDT\": \"30%%\"}}}");
  assert_error (r, "budget_cap_exceeded", NULL);
  g_assert_cmpfloat (json_object_get_double_member (
                       json_object_get_object_member (r, "details"), "total_alloc"), ==, 1100);
  g_assert_cmpfloat (json_object_get_double_member (
                       json_object_get_object_member (r, "details"), "global_cap"), ==, 1000);
  json_object_unref (r);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->ts.feed), ==, 0);

  r = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"live\","
                               " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}");
  assert_error (r, "service_unavailable", NULL);
  g_assert_nonnull (strstr (json_object_get_string_member (r, "error_message"), "exchange"));
  json_object_unref (r);

  assert_no_active_session (f);

  r = test_client_callf (f->c, "\"type\": \"session_stop\", \"session_id\": \"nope\"");
  assert_error (r, "session_not_found", NULL);
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_stop\"");
  assert_error (r, "validation_error", "session_id");
  json_object_unref (r);
  r = test_client_callf (f->c, "\"type\": \"session_status\", \"session_id\": \"nope\"");
  assert_error (r, "session_not_found", NULL);
  json_object_unref (r);
}

/* The same start again, symbols in another case and order: the same
 * session, reused. */
static void
test_idempotent (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *a = start_ok (f, "\"session_type\": \"paper\","
                                 " \"strategy_config\": {\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]}",
                                 FALSE);
  g_autofree char *b = start_ok (f, "\"session_type\": \"paper\","
                                 " \"strategy_config\": {\"holder\": [\"ethusdt\", \"BTCUSDT\"]}",
                                 TRUE);
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(JsonObject) stopped = NULL;
  g_autofree char *c = NULL;

  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->ts.feed), ==, 2);

  status = test_client_callf (f->c, "\"type\": \"session_status\"");
  test_assert_response (status, "session_status");
  g_assert_cmpstr (json_object_get_string_member (data_of (status), "session_id"), ==, a);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (status),
                                                                         "sessions")), ==, 1);

  /* Once stopped, the same request starts a new session. */
  stopped = test_client_callf (f->c, "\"type\": \"session_stop\", \"session_id\": \"%s\"", a);
  test_assert_response (stopped, "session_stopped");
  g_assert_cmpstr (json_object_get_string_member (data_of (stopped), "state"), ==, "stopped");
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->ts.feed), ==, 0);
  c = start_ok (f, "\"session_type\": \"paper\","
                " \"strategy_config\": {\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]}", FALSE);
  g_assert_cmpstr (c, !=, a);
}

/* The activations a session runs in its own engine are listed with the
 * strategy manager's, owned by the session, from start to stop. */
static gboolean
find_owned (JsonArray  *activations,
            const char *strategy,
            const char *symbol,
            const char *owner)
{
  for (guint i = 0; i < json_array_get_length (activations); i++)
    {
      JsonObject *a = json_array_get_object_element (activations, i);

      if (g_strcmp0 (json_object_get_string_member (a, "strategy_name"), strategy) == 0
          && g_strcmp0 (json_object_get_string_member (a, "symbol"), symbol) == 0
          && g_strcmp0 (json_object_get_string_member_with_default (a, "owner", NULL),
                        owner) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
strategy_is_active_on (Fixture    *f,
                       const char *strategy,
                       const char *symbol)
{
  g_autoptr(JsonObject) r = test_client_callf (f->c, "\"type\": \"get_strategies\"");
  JsonArray *list;

  test_assert_response (r, "strategies_list");
  list = json_object_get_array_member (data_of (r), "strategies");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *s = json_array_get_object_element (list, i);
      JsonArray *symbols = json_object_get_array_member (s, "active_symbols");

      if (g_strcmp0 (json_object_get_string_member (s, "name"), strategy) != 0)
        continue;
      for (guint j = 0; j < json_array_get_length (symbols); j++)
        if (g_strcmp0 (json_array_get_string_element (symbols, j), symbol) == 0)
          return TRUE;
    }
  return FALSE;
}

static void
test_session_activations (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *paper = start_ok (f, "\"session_type\": \"paper\","
                                     " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}", FALSE);
  g_autofree char *backtest = NULL;
  g_autoptr(JsonObject) all = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) stopped = NULL;
  g_autoptr(JsonObject) gone = NULL;
  g_autoptr(JsonObject) none = NULL;
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;
  JsonObject *details;

  /* The holder enters on its first trade: the state and the position come
   * from the session's engine as they change. */
  for (;;)
    {
      g_autoptr(JsonObject) r = test_client_callf (f->c, "\"type\": \"get_strategy_status\","
                                                         " \"strategy_name\": \"holder\","
                                                         " \"symbol\": \"btcusdt\"");
      JsonObject *status;
      JsonObject *position;

      test_assert_response (r, "strategy_status");
      status = data_of (r);
      g_assert_cmpstr (json_object_get_string_member (status, "owner"), ==, paper);
      g_assert_cmpstr (json_object_get_string_member (status, "symbol"), ==, "BTCUSDT");
      g_assert_cmpint (json_object_get_int_member (status, "since"), >, 0);
      if (g_strcmp0 (json_object_get_string_member (status, "state"), "POSITION_ACTIVE") == 0)
        {
          position = json_object_get_object_member (status, "position");
          g_assert_nonnull (position);
          g_assert_cmpfloat (json_object_get_double_member (position, "entry_price"), >, 0);
          g_assert_cmpfloat (json_object_get_double_member (position, "qty"), >, 0);
          g_assert_cmpint (json_object_get_int_member (status, "events"), >, 0);
          g_assert_cmpint (json_object_get_int_member (status, "version"), ==, 1);
          break;
        }
      g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (status, "position")));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  g_assert_true (strategy_is_active_on (f, "holder", "BTCUSDT"));

  /* A backtest's activations come from its worker's progress reports. */
  backtest = start_ok (f, "\"session_type\": \"backtest\","
                       " \"strategy_config\": {\"other\": [\"ETHUSDT\"]},"
                       " \"config\": {\"data\": {\"synthetic\": {\"seed\": 1,"
                       " \"events\": 100000000}}}", FALSE);
  all = test_client_callf (f->c, "\"type\": \"get_strategy_status\"");
  test_assert_response (all, "all_strategies_status");
  g_assert_true (find_owned (json_object_get_array_member (data_of (all), "activations"),
                             "holder", "BTCUSDT", paper));
  g_assert_true (find_owned (json_object_get_array_member (data_of (all), "activations"),
                             "other", "ETHUSDT", backtest));
  g_assert_cmpint (json_object_get_int_member (data_of (all), "count"), ==, 2);

  /* Only stopping the session ends its activations. */
  refused = test_client_callf (f->c,
                               "\"type\": \"deactivate_strategy\", \"strategy_name\": \"holder\","
                               " \"symbol\": \"BTCUSDT\"");
  test_assert_error (refused, "command_failed");
  details = json_object_get_object_member (refused, "details");
  g_assert_nonnull (details);
  g_assert_cmpstr (json_object_get_string_member (details, "session_id"), ==, paper);
  g_assert_nonnull (strstr (json_object_get_string_member (refused, "error_message"), paper));

  stopped = test_client_callf (f->c, "\"type\": \"session_stop\", \"session_id\": \"%s\"", paper);
  test_assert_response (stopped, "session_stopped");
  g_clear_pointer (&stopped, json_object_unref);
  stopped = test_client_callf (f->c,
                               "\"type\": \"session_stop\", \"session_id\": \"%s\"", backtest);
  test_assert_response (stopped, "session_stopped");

  gone = test_client_callf (f->c,
                            "\"type\": \"get_strategy_status\", \"strategy_name\": \"holder\","
                            " \"symbol\": \"BTCUSDT\"");
  test_assert_error (gone, "strategy_not_found");
  none = test_client_callf (f->c, "\"type\": \"get_strategy_status\"");
  test_assert_response (none, "all_strategies_status");
  g_assert_cmpint (json_object_get_int_member (data_of (none), "count"), ==, 0);
  g_assert_false (strategy_is_active_on (f, "holder", "BTCUSDT"));
}

#define N_CONCURRENT 50

/* Identical starts on separate connections, all sent before any answer is
 * read: one session. */
static void
test_concurrent (Fixture       *f,
                 gconstpointer  data)
{
  TestClient *clients[N_CONCURRENT];
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_new = 0;

  for (guint i = 0; i < N_CONCURRENT; i++)
    clients[i] = test_client_open (&f->ts, f->grant->access_token);
  for (guint i = 0; i < N_CONCURRENT; i++)
    test_client_send (clients[i], "{\"id\": \"s\", \"type\": \"session_start\","
                      " \"session_type\": \"paper\","
                      " \"strategy_config\": {\"holder\": [\"SOLUSDT\"],"
                      " \"other\": [\"ADAUSDT\"]}}");
  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      g_autoptr(JsonObject) reply = NULL;

      while (reply == NULL)
        {
          g_autoptr(JsonObject) msg = test_client_next (clients[i], TEST_TIMEOUT_S * 1000);

          g_assert_nonnull (msg);
          if (g_strcmp0 (json_object_get_string_member_with_default (msg, "id", NULL), "s") == 0)
            reply = g_steal_pointer (&msg);
        }
      test_assert_response (reply, "session_started");
      g_hash_table_add (ids, g_strdup (json_object_get_string_member (data_of (reply),
                                                                      "session_id")));
      n_new += !json_object_get_boolean_member (data_of (reply), "reused");
    }
  g_assert_cmpuint (g_hash_table_size (ids), ==, 1);
  g_assert_cmpuint (n_new, ==, 1);
  for (guint i = 0; i < N_CONCURRENT; i++)
    test_client_free (clients[i]);
}

static void
test_conflicts (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *a = start_ok (f, "\"session_type\": \"paper\","
                                 " \"strategy_config\": {\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]}",
                                 FALSE);
  g_autofree char *reused = NULL;
  g_autofree char *replacing = NULL;
  g_autoptr(JsonObject) conflict = NULL;
  g_autoptr(JsonObject) status = NULL;
  g_autoptr(JsonObject) state = NULL;
  JsonObject *details;

  /* A subset of what A runs: A answers. */
  reused = start_ok (f, "\"session_type\": \"paper\","
                     " \"strategy_config\": {\"holder\": [\"ETHUSDT\"]},"
                     " \"config\": {\"on_conflict\": \"reuse\"}", TRUE);
  g_assert_cmpstr (reused, ==, a);

  /* Another strategy on one of A's symbols: a conflict, with details. */
  conflict = test_client_callf (f->c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                                      " \"strategy_config\": {\"other\": [\"ETHUSDT\","
                                      " \"XRPUSDT\"]}");
  assert_error (conflict, "session_conflict", NULL);
  details = json_object_get_object_member (conflict, "details");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      details, "conflicting_session_ids")), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (
                     details, "conflicting_session_ids"), 0), ==, a);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (details, "symbols")),
                    ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (details,
                                                                                "symbols"), 0),
                   ==, "ETHUSDT");
  /* Nothing changed: XRPUSDT is not subscribed. */
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->ts.feed), ==, 2);

  /* Backtests never conflict. */
  {
    g_autofree char *path = collection_path ();
    g_autofree char *body = g_strdup_printf ("\"session_type\": \"backtest\","
                                             " \"strategy_config\": {\"other\": [\"ETHUSDT\"]},"
                                             " \"config\": {\"data\": {\"path\": \"%s\"}}", path);
    g_autofree char *bt = start_ok (f, body, FALSE);

    g_autoptr(JsonObject) done = wait_state (f->c, bt, "completed");
  }

  /* Replace: A is stopped first, the new session takes its symbols. */
  replacing = start_ok (f, "\"session_type\": \"paper\","
                        " \"strategy_config\": {\"other\": [\"ETHUSDT\", \"XRPUSDT\"]},"
                        " \"config\": {\"on_conflict\": \"replace\"}", FALSE);
  g_assert_cmpstr (replacing, !=, a);
  state = wait_state (f->c, a, "stopped");
  status = test_client_callf (f->c, "\"type\": \"session_status\", \"session_id\": \"%s\"", a);
  test_assert_response (status, "session_status");
  g_assert_cmpstr (json_object_get_string_member (data_of (status), "state"), ==, "stopped");
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->ts.feed), ==, 2);
}

/* An order over its symbol's allocation is refused while the backtest runs,
 * with a budget_breach alert to every authenticated connection. */
static void
test_budget_breach (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *path = collection_path ();
  g_autofree char *body = g_strdup_printf (
    "\"session_type\": \"backtest\", \"strategy_config\": {\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]},"
    " \"config\": {\"data\": {\"path\": \"%s\"}, \"budget\": {\"global_cap\": 5000,"
    "   \"allocations\": {\"BTCUSDT\": 500}}}", path);
  g_autoptr(TestClient) other = test_client_open (&f->ts, f->grant->access_token);
  g_autofree char *id = start_ok (f, body, FALSE);
  g_autoptr(JsonObject) alert = NULL;
  g_autoptr(JsonObject) done = NULL;
  g_autoptr(JsonObject) results = NULL;
  JsonObject *details;
  JsonObject *metrics;
  guint n_alerts = 0;

  /* Every alert comes before the end of the session. */
  for (;;)
    {
      g_autoptr(JsonObject) msg = test_client_next (other, TEST_TIMEOUT_S * 1000);

      g_assert_nonnull (msg);
      if (g_strcmp0 (json_object_get_string_member (msg, "type"), "alert") == 0)
        {
          n_alerts++;
          if (alert == NULL)
            alert = g_steal_pointer (&msg);
        }
      else if (g_strcmp0 (json_object_get_string_member_with_default (msg, "state", NULL),
                          "completed") == 0)
        break;
    }
  test_assert_envelope (alert, "alert");
  g_assert_cmpstr (json_object_get_string_member (alert, "alert"), ==, "budget_breach");
  g_assert_cmpstr (json_object_get_string_member (alert, "severity"), ==, "warning");
  g_assert_cmpstr (json_object_get_string_member (alert, "session_id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (alert, "symbol"), ==, "BTCUSDT");
  details = json_object_get_object_member (alert, "details");
  g_assert_cmpstr (json_object_get_string_member (details, "scope"), ==, "symbol");
  g_assert_cmpfloat (json_object_get_double_member (details, "limit"), ==, 500);
  g_assert_cmpfloat (json_object_get_double_member (details, "requested"), ==, 1000);

  done = wait_state (f->c, id, "completed");
  results = test_client_callf (f->c,
                               "\"type\": \"results_request\","
                               " \"request_type\": \"session_results\","
                               " \"session_id\": \"%s\"", id);
  test_assert_response (results, "results");
  metrics = json_object_get_object_member (data_of (results), "metrics");
  /* BTC's entry is asked for again on each of its 6 events and refused each
   * time, one alert each; ETH (no allocation, under the cap) traded and
   * closed at the end. */
  g_assert_cmpint (json_object_get_int_member (metrics, "orders_rejected"), ==, 6);
  g_assert_cmpuint (n_alerts, ==, 6);
  g_assert_cmpint (json_object_get_int_member (metrics, "orders_filled"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (metrics, "total_trades"), ==, 1);
}

/* State changes reach every authenticated connection, and only those. */
static void
test_broadcast (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = collection_path ();
  g_autofree char *body = g_strdup_printf ("\"session_type\": \"backtest\","
                                           " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]},"
                                           " \"config\": {\"data\": {\"path\": \"%s\"}}", path);
  g_autoptr(TestClient) other = test_client_open (&f->ts, f->grant->access_token);
  g_autoptr(TestClient) anon = test_client_open (&f->ts, NULL);
  g_autofree char *id = start_ok (f, body, FALSE);
  g_autoptr(JsonObject) mine = wait_state (f->c, id, "completed");
  g_autoptr(JsonObject) theirs = wait_state (other, id, "completed");
  g_autoptr(JsonObject) pong = NULL;
  g_autoptr(JsonObject) status = NULL;

  g_assert_cmpstr (json_object_get_string_member (theirs, "session_type"), ==, "backtest");
  /* The unauthenticated connection heard nothing but its own pong. */
  pong = test_client_call (anon, "hb", "{\"id\": \"hb\", \"type\": \"heartbeat\"}");
  g_assert_cmpstr (json_object_get_string_member (pong, "status"), ==, "pong");
  g_assert_true (g_queue_is_empty (&anon->stash));

  /* A finished session is no longer active, but still known. */
  status = test_client_callf (f->c, "\"type\": \"session_status\", \"session_id\": \"%s\"", id);
  test_assert_response (status, "session_status");
  g_assert_cmpstr (json_object_get_string_member (data_of (status), "state"), ==, "completed");
  assert_no_active_session (f);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A large backtest runs in a worker: the main loop answers heartbeats
 * within 50 ms throughout, progress is pushed, and it stops on request. */
static void
test_heartbeat_under_load (Fixture       *f,
                           gconstpointer  data)
{
  /* More than a second's work even unsanitized: it is stopped before its
   * end. */
  guint events = 100000000;
  g_autofree char *body = g_strdup_printf (
    "\"session_type\": \"backtest\", \"strategy_config\": {\"holder\": [\"BTCUSDT\"]},"
    " \"config\": {\"data\": {\"synthetic\": {\"seed\": 3, \"events\": %u}}}", events);
  g_autoptr(TestClient) other = test_client_open (&f->ts, f->grant->access_token);
  g_autofree char *id = start_ok (f, body, FALSE);
  gint64 worst = 0;
  guint n = 0;
  gboolean progressed = FALSE;
  g_autoptr(JsonObject) stopped = NULL;

  /* Heartbeats for a second of the run. */
  for (gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC; g_get_monotonic_time () < end;)
    {
      g_autofree char *hb_id = g_strdup_printf ("hb%u", n++);
      g_autofree char *text = g_strdup_printf ("{\"id\": \"%s\", \"type\": \"heartbeat\"}",
                                               hb_id);
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(JsonObject) pong = test_client_call (other, hb_id, text);

      gboolean paced = FALSE;

      worst = MAX (worst, g_get_monotonic_time () - t0);
      test_assert_envelope (pong, "status");
      g_assert_cmpstr (json_object_get_string_member (pong, "status"), ==, "pong");
      /* About a hundred a second: under the connection's rate limit, with
       * the main loop running in between. */
      g_timeout_add (10, set_flag, &paced);
      WAIT_UNTIL (paced);
      while (!g_queue_is_empty (&other->stash))
        {
          g_autoptr(JsonObject) msg = g_queue_pop_head (&other->stash);

          if (g_strcmp0 (json_object_get_string_member_with_default (msg, "status", NULL),
                         "session_state") == 0 && json_object_has_member (msg, "progress"))
            progressed = TRUE;
        }
    }
  g_test_message ("%u heartbeats, worst round trip %" G_GINT64_FORMAT " µs", n, worst);
  g_assert_cmpint (worst, <, 50000);
  g_assert_true (progressed);

  stopped = test_client_callf (f->c, "\"type\": \"session_stop\", \"session_id\": \"%s\"", id);
  test_assert_response (stopped, "session_stopped");
  g_assert_cmpstr (json_object_get_string_member (data_of (stopped), "state"), ==, "stopped");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
                     data_of (stopped), "progress"), "events_processed"), <, events);
}

/* Restart --------------------------------------------------------------- */

static TestClient *
daemon_client (TestDaemon *d)
{
  TestClient *c = test_client_connect (d->url, NULL);
  g_autoptr(JsonObject) connected = test_client_receive (c, TEST_TIMEOUT_S * 1000);
  g_autoptr(JsonObject) reply = NULL;

  g_assert_nonnull (connected);
  reply = test_client_call (c, "login", "{\"id\": \"login\", \"type\": \"login\", \"username\": \""
                            TEST_USER "\", \"password\": \"" TEST_PASSWORD "\"}");
  test_assert_response (reply, "authenticated");
  return c;
}

/* After a restart finished sessions and their results are all there, and a
 * session that was running is interrupted. */
static void
test_restart (void)
{
  g_autofree char *root = test_make_temp_root ();
  g_autofree char *strategies = g_build_filename (root, "config", "strategies", NULL);
  g_autofree char *holder_path = g_build_filename (strategies, "holder.json", NULL);
  g_autofree char *holder = holder_doc ("holder", 1000);
  g_autofree char *path = collection_path ();
  g_autofree char *backtest = NULL, *paper = NULL, *hash = NULL, *results_text = NULL;
  g_autoptr(GError) error = NULL;
  TestDaemon *d;
  TestClient *c;
  JsonObject *r;

  test_seed_root (root);
  g_assert_cmpint (g_mkdir_with_parents (strategies, 0700), ==, 0);
  g_file_set_contents (holder_path, holder, -1, &error);
  g_assert_no_error (error);

  d = test_daemon_start (root, NULL);
  c = daemon_client (d);
  r = test_client_callf (c,
                         "\"type\": \"session_start\", \"session_type\": \"backtest\","
                         " \"strategy_config\": {\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]},"
                         " \"config\": {\"data\": {\"path\": \"%s\"}}", path);
  test_assert_response (r, "session_started");
  backtest = g_strdup (json_object_get_string_member (data_of (r), "session_id"));
  json_object_unref (r);
  json_object_unref (wait_state (c, backtest, "completed"));
  r = test_client_callf (c,
                         "\"type\": \"results_request\", \"request_type\": \"session_results\","
                         " \"session_id\": \"%s\"", backtest);
  test_assert_response (r, "results");
  hash = g_strdup (json_object_get_string_member (data_of (r), "results_hash"));
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (),
                                                      json_object_get_object_member (data_of (r),
                                                                                     "metrics"));
    results_text = json_to_string (node, FALSE);
  }
  json_object_unref (r);

  r = test_client_callf (c, "\"type\": \"session_start\", \"session_type\": \"paper\","
                            " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}");
  test_assert_response (r, "session_started");
  g_assert_cmpstr (json_object_get_string_member (data_of (r), "state"), ==, "running");
  paper = g_strdup (json_object_get_string_member (data_of (r), "session_id"));
  json_object_unref (r);

  test_client_free (c);
  g_assert_cmpint (test_daemon_stop (d), ==, 0);
  test_daemon_free (d);

  d = test_daemon_start (root, NULL);
  c = daemon_client (d);
  r = test_client_callf (c,
                         "\"type\": \"session_status\", \"session_id\": \"%s\"", paper);
  test_assert_response (r, "session_status");
  g_assert_cmpstr (json_object_get_string_member (data_of (r), "state"), ==, "interrupted");
  json_object_unref (r);
  r = test_client_callf (c,
                         "\"type\": \"session_status\", \"session_id\": \"%s\"", backtest);
  test_assert_response (r, "session_status");
  g_assert_cmpstr (json_object_get_string_member (data_of (r), "state"), ==, "completed");
  json_object_unref (r);
  r = test_client_callf (c,
                         "\"type\": \"results_request\", \"request_type\": \"session_results\","
                         " \"session_id\": \"%s\"", backtest);
  test_assert_response (r, "results");
  g_assert_cmpstr (json_object_get_string_member (data_of (r), "results_hash"), ==, hash);
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (),
                                                      json_object_get_object_member (data_of (r),
                                                                                     "metrics"));
    g_autofree char *text = json_to_string (node, FALSE);

    g_assert_cmpstr (text, ==, results_text);
  }
  json_object_unref (r);
  /* The interrupted session's orders survived too: its results so far. */
  r = test_client_callf (c,
                         "\"type\": \"results_request\", \"request_type\": \"symbol_results\","
                         " \"session_id\": \"%s\", \"symbol\": \"btcusdt\"", paper);
  test_assert_response (r, "results");
  g_assert_cmpstr (json_object_get_string_member (data_of (r), "state"), ==, "interrupted");
  json_object_unref (r);

  test_client_free (c);
  g_assert_cmpint (test_daemon_stop (d), ==, 0);
  test_daemon_free (d);
  test_remove_tree (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/kantor/api/sessions/" path, Fixture, NULL, setup, func, teardown)
  ADD ("errors", test_errors);
  ADD ("idempotent", test_idempotent);
  ADD ("concurrent", test_concurrent);
  ADD ("conflicts", test_conflicts);
  ADD ("budget-breach", test_budget_breach);
  ADD ("broadcast", test_broadcast);
  ADD ("heartbeat-under-load", test_heartbeat_under_load);
  ADD ("session-activations", test_session_activations);
#undef ADD
  g_test_add_func ("/kantor/api/sessions/restart", test_restart);

  return g_test_run ();
}
