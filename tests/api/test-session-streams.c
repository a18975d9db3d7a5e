/* test-session-streams.c: a paper session's signals and orders on the
 * signals and orders streams, through a real server and WebSocket client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "kantor-session-manager.h"
#include "kantor-session-api.h"
#include "kantor-stream-api.h"
#include "kantor-stream-hub.h"
#include "test-utils.h"

/* Buys at once (price > 0) and holds until the session ends. */
typedef struct
{
  TestServer             ts;
  char                  *root;
  KantorStore           *store;
  KantorMarketFeed      *feed;
  KantorStrategyManager *strategies;
  KantorSessionManager  *sessions;
  KantorStreamHub       *hub;
} Fixture;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *holder = test_holder_doc ("holder");
  g_autoptr(JsonNode) doc = json_from_string (holder, NULL);
  g_autofree char *db = NULL;
  g_autofree char *dir = NULL;

  test_server_setup (&f->ts, TRUE);
  f->root = g_dir_make_tmp ("kantor-session-streams-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (f->root, "state", "kantor.db", NULL);
  f->store = kantor_store_new (db, &error);
  g_assert_no_error (error);
  f->feed = kantor_market_feed_new_synthetic (5);
  kantor_market_feed_set_speed (f->feed, 100);
  dir = g_build_filename (f->root, "strategies", NULL);
  f->strategies = kantor_strategy_manager_new (dir, f->feed, &error);
  g_assert_no_error (error);
  kantor_strategy_manager_upsert (f->strategies, doc, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  f->sessions = kantor_session_manager_new (f->store, f->strategies, f->feed, f->root, &error);
  g_assert_no_error (error);

  /* No feed for the hub: market data is not what is tested here. */
  f->hub = kantor_stream_hub_new (NULL, NULL);
  kantor_stream_hub_set_health_interval (f->hub, 0);
  kantor_stream_hub_follow_sessions (f->hub, f->sessions);
  kantor_stream_api_register (f->ts.server, f->hub);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  test_server_teardown (&f->ts);
  g_assert_finalize_object (f->hub);
  kantor_session_manager_shutdown (f->sessions);
  g_clear_object (&f->sessions);
  g_clear_object (&f->strategies);
  g_clear_object (&f->feed);
  kantor_store_close (f->store);
  g_clear_object (&f->store);
  remove_tree (f->root);
  g_free (f->root);
}

static void
results_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  *(JsonObject **) user_data = kantor_session_results_finish (KANTOR_SESSION (source), result,
                                                              &error);
  g_assert_no_error (error);
}

static JsonObject *
results_of (KantorSession *session)
{
  JsonObject *results = NULL;

  kantor_session_results_async (session, results_cb, &results);
  WAIT_UNTIL (results != NULL);
  return results;
}

static void
subscribe (TestClient *c,
           const char *stream,
           const char *session_id)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) reply = NULL;

  text = g_strdup_printf ("{\"type\":\"subscribe\",\"id\":\"sub\",\"stream\":\"%s\","
                          "\"params\":{\"session_id\":\"%s\"}}", stream, session_id);
  reply = test_client_call (c, "sub", text);
  test_assert_response (reply, "subscribed");
}

typedef struct
{
  GPtrArray *orders;   /* JsonObject *: the items' order objects */
  GPtrArray *signals;  /* JsonObject *: the items' signal objects */
  guint64    last_seq[KANTOR_N_STREAMS];
  guint      n_filled;
} Received;

/* Reads items until @n_filled filled orders were seen; checks what every
 * item must hold on the way. */
static void
receive_until (TestClient *c,
               Received   *r,
               const char *session_id,
               guint       n_filled)
{
  while (r->n_filled < n_filled)
    {
      g_autoptr(JsonObject) msg = test_client_next (c, TEST_TIMEOUT_S * 1000);
      const char *stream;
      KantorStream kind;
      guint64 seq;

      g_assert_nonnull (msg);
      stream = json_object_get_string_member (msg, "stream");
      g_assert_true (kantor_stream_from_string (stream, &kind));
      g_assert_cmpstr (json_object_get_string_member (msg, "session_id"), ==, session_id);
      seq = (guint64) json_object_get_int_member (msg, "seq");
      g_assert_cmpuint (seq, >, r->last_seq[kind]);
      r->last_seq[kind] = seq;

      if (kind == KANTOR_STREAM_ORDERS)
        {
          JsonObject *order = json_object_get_object_member (msg, "order");

          g_assert_cmpstr (json_object_get_string_member (msg, "type"), ==, "data");
          g_assert_cmpstr (json_object_get_string_member (order, "symbol"), ==, "BTCUSDT");
          g_assert_cmpstr (json_object_get_string_member (order, "strategy"), ==, "holder");
          if (g_str_equal (json_object_get_string_member (order, "status"), "filled"))
            r->n_filled++;
          g_ptr_array_add (r->orders, json_object_ref (order));
        }
      else
        {
          JsonObject *signal = json_object_get_object_member (msg, "signal");

          g_assert_cmpint (kind, ==, KANTOR_STREAM_SIGNALS);
          g_assert_cmpstr (json_object_get_string_member (msg, "type"), ==, "signal");
          g_assert_cmpstr (json_object_get_string_member (signal, "symbol"), ==, "BTCUSDT");
          g_assert_cmpstr (json_object_get_string_member (signal, "strategy"), ==, "holder");
          g_ptr_array_add (r->signals, json_object_ref (signal));
        }
    }
}

static gboolean
is_stopped (KantorSession *session)
{
  return kantor_session_get_state (session) == KANTOR_SESSION_STATE_STOPPED;
}

/* The holder buys on the first trade and the stop closes it at market: two
 * fills whose prices and quantity are those of the session's one trade. */
static void
test_paper_orders_and_signals (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(JsonNode) sc = json_from_string ("{\"holder\": [\"BTCUSDT\"]}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorSession) session = NULL;
  g_autoptr(TestClient) c = test_client_open (&f->ts, "alice");
  g_autoptr(TestClient) other = test_client_open (&f->ts, "bob");
  g_autoptr(JsonObject) results = NULL;
  Received r = { 0 };
  const char *id;
  JsonObject *entry = NULL;
  JsonObject *exit_order = NULL;
  JsonObject *trade;
  JsonArray *trades;
  gboolean reused = TRUE;

  session = kantor_session_manager_start (f->sessions, "paper", sc, NULL, &reused, NULL, &error);
  g_assert_no_error (error);
  id = kantor_session_get_id (session);
  r.orders = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  r.signals = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  subscribe (c, "orders", id);
  subscribe (c, "signals", id);
  /* Another session's filter sees none of them. */
  subscribe (other, "orders", "no-such-session");

  receive_until (c, &r, id, 1);
  kantor_session_stop_async (session, NULL, NULL);
  WAIT_UNTIL (is_stopped (session));
  receive_until (c, &r, id, 2);

  for (guint i = 0; i < r.orders->len; i++)
    {
      JsonObject *order = g_ptr_array_index (r.orders, i);

      if (!g_str_equal (json_object_get_string_member (order, "status"), "filled"))
        continue;
      if (json_object_get_boolean_member (order, "closing"))
        exit_order = order;
      else
        entry = order;
    }
  g_assert_nonnull (entry);
  g_assert_nonnull (exit_order);
  g_assert_cmpstr (json_object_get_string_member (entry, "side"), ==, "buy");
  g_assert_cmpstr (json_object_get_string_member (exit_order, "side"), ==, "sell");
  g_assert_cmpstr (json_object_get_string_member (exit_order, "reason"), ==, "session_end");

  results = results_of (session);
  trades = json_object_get_array_member (results, "trades");
  g_assert_cmpuint (json_array_get_length (trades), ==, 1);
  trade = json_array_get_object_element (trades, 0);
  g_assert_cmpint (json_object_get_int_member (trade, "entry_order_id"), ==,
                   json_object_get_int_member (entry, "order_id"));
  g_assert_cmpint (json_object_get_int_member (trade, "exit_order_id"), ==,
                   json_object_get_int_member (exit_order, "order_id"));
  g_assert_cmpfloat (json_object_get_double_member (trade, "entry_price"), ==,
                     json_object_get_double_member (entry, "price"));
  g_assert_cmpfloat (json_object_get_double_member (trade, "exit_price"), ==,
                     json_object_get_double_member (exit_order, "price"));
  g_assert_cmpfloat (json_object_get_double_member (trade, "qty"), ==,
                     json_object_get_double_member (entry, "qty"));
  g_assert_cmpfloat (json_object_get_double_member (entry, "price"), >, 0);

  /* The entry came from a signal of the session, streamed before it. */
  g_assert_cmpuint (r.signals->len, >=, 1);
  g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (r.signals, 0), "timestamp"),
                   <=, json_object_get_int_member (entry, "timestamp"));

  g_assert_null (test_client_next (other, 0));
  g_ptr_array_unref (r.orders);
  g_ptr_array_unref (r.signals);
}

static JsonObject *
next_of (TestClient   *c,
         KantorStream  want)
{
  while (TRUE)
    {
      JsonObject *msg = test_client_next (c, TEST_TIMEOUT_S * 1000);
      KantorStream kind;

      g_assert_nonnull (msg);
      g_assert_true (kantor_stream_from_string (json_object_get_string_member (msg, "stream"),
                                                &kind));
      if (kind == want)
        return msg;
      json_object_unref (msg);
    }
}

/* Indicator items carry the engine's values: the first one comes with the
 * first trade, the event the holder's first signal fires on, and its PRICE
 * is that signal's price; later ones at most 4 per second of event time. */
static void
test_paper_indicators (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonNode) sc = json_from_string ("{\"holder\": [\"BTCUSDT\"]}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorSession) session = NULL;
  g_autoptr(TestClient) c = test_client_open (&f->ts, "alice");
  g_autoptr(JsonObject) signal_msg = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *signal;
  gint64 last_time = 0;
  guint64 last_seq = 0;
  gboolean reused = TRUE;
  const char *id;

  session = kantor_session_manager_start (f->sessions, "paper", sc, NULL, &reused, NULL, &error);
  g_assert_no_error (error);
  id = kantor_session_get_id (session);

  /* From the start (resume_from 0), not the seed: the first item matters. */
  text = g_strdup_printf ("{\"type\":\"subscribe\",\"id\":\"sub\",\"stream\":\"signals\","
                          "\"params\":{\"session_id\":\"%s\",\"resume_from\":0}}", id);
  reply = test_client_call (c, "sub", text);
  test_assert_response (reply, "subscribed");
  signal_msg = next_of (c, KANTOR_STREAM_SIGNALS);
  signal = json_object_get_object_member (signal_msg, "signal");

  g_free (text);
  text = g_strdup_printf ("{\"type\":\"subscribe\",\"id\":\"sub2\",\"stream\":\"indicators\","
                          "\"params\":{\"session_id\":\"%s\",\"symbols\":[\"BTCUSDT\"],"
                          "\"resume_from\":0}}", id);
  json_object_unref (reply);
  reply = test_client_call (c, "sub2", text);
  test_assert_response (reply, "subscribed");

  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(JsonObject) msg = next_of (c, KANTOR_STREAM_INDICATORS);
      JsonArray *list = json_object_get_array_member (msg, "indicators");
      JsonObject *item;
      JsonObject *values;
      JsonArray *users;
      gint64 time_ms;

      g_assert_cmpstr (json_object_get_string_member (msg, "session_id"), ==, id);
      g_assert_cmpuint ((guint64) json_object_get_int_member (msg, "seq"), >, last_seq);
      last_seq = (guint64) json_object_get_int_member (msg, "seq");
      g_assert_cmpuint (json_array_get_length (list), ==, 1);
      item = json_array_get_object_element (list, 0);
      g_assert_cmpstr (json_object_get_string_member (item, "name"), ==, "price");
      g_assert_cmpstr (json_object_get_string_member (item, "symbol"), ==, "BTCUSDT");
      users = json_object_get_array_member (item, "used_by_strategies");
      g_assert_cmpuint (json_array_get_length (users), ==, 1);
      g_assert_cmpstr (json_array_get_string_element (users, 0), ==, "holder");
      values = json_object_get_object_member (json_object_get_object_member (msg, "data"),
                                              "values");
      g_assert_cmpfloat (json_object_get_double_member (values, "price"), ==,
                         json_object_get_double_member (item, "value"));
      g_assert_cmpfloat (json_object_get_double_member (item, "value"), >, 0);

      time_ms = json_object_get_int_member (item, "timestamp");
      if (i == 0)
        {
          g_assert_cmpint (time_ms, ==, json_object_get_int_member (signal, "timestamp"));
          g_assert_cmpfloat (json_object_get_double_member (item, "value"), ==,
                             json_object_get_double_member (signal, "price"));
        }
      else
        g_assert_cmpint (time_ms - last_time, >=, KANTOR_SESSION_INDICATORS_PERIOD_MS);
      last_time = time_ms;
    }
}

static void
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* A bare activation (activate_strategy) trades nothing but its indicators
 * stream all the same: real values, session_id null, at most 4 per second
 * of event time, and none once it is gone. */
static void
test_bare_indicators (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(KantorStreamHub) hub = kantor_stream_hub_new (NULL, f->strategies);
  g_autoptr(TestClient) c = test_client_open (&f->ts, "alice");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) signal_msg = NULL;
  JsonObject *signal;
  gint64 last_time = 0;
  guint64 last_seq = 0;

  kantor_stream_api_register (f->ts.server, hub);
  reply = test_client_call (c, "sub", "{\"type\":\"subscribe\",\"id\":\"sub\","
                                      "\"stream\":\"signals\",\"params\":{\"resume_from\":0}}");
  test_assert_response (reply, "subscribed");
  json_object_unref (reply);
  reply = test_client_call (c, "sub2", "{\"type\":\"subscribe\",\"id\":\"sub2\","
                                       "\"stream\":\"indicators\",\"params\":"
                                       "{\"symbols\":[\"ETHUSDT\"],\"resume_from\":0}}");
  test_assert_response (reply, "subscribed");
  g_assert_true (kantor_strategy_manager_activate (f->strategies, "holder", "ETHUSDT", NULL,
                                                   &error));
  g_assert_no_error (error);

  signal_msg = next_of (c, KANTOR_STREAM_SIGNALS);
  signal = json_object_get_object_member (signal_msg, "signal");
  g_assert_cmpstr (json_object_get_string_member (signal, "symbol"), ==, "ETHUSDT");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonObject) msg = next_of (c, KANTOR_STREAM_INDICATORS);
      JsonObject *item = json_array_get_object_element (
                           json_object_get_array_member (msg, "indicators"), 0);
      JsonArray *users = json_object_get_array_member (item, "used_by_strategies");
      gint64 time_ms = json_object_get_int_member (item, "timestamp");

      g_assert_true (json_object_get_null_member (msg, "session_id"));
      g_assert_cmpuint ((guint64) json_object_get_int_member (msg, "seq"), >, last_seq);
      last_seq = (guint64) json_object_get_int_member (msg, "seq");
      g_assert_cmpstr (json_object_get_string_member (item, "name"), ==, "price");
      g_assert_cmpstr (json_object_get_string_member (item, "symbol"), ==, "ETHUSDT");
      g_assert_cmpuint (json_array_get_length (users), ==, 1);
      g_assert_cmpstr (json_array_get_string_element (users, 0), ==, "holder");
      if (i == 0)
        {
          /* The event the first signal fired on. */
          g_assert_cmpint (time_ms, ==, json_object_get_int_member (signal, "timestamp"));
          g_assert_cmpfloat (json_object_get_double_member (item, "value"), ==,
                             json_object_get_double_member (signal, "price"));
        }
      else
        g_assert_cmpint (time_ms - last_time, >=, KANTOR_ACTIVATION_INDICATORS_PERIOD_MS);
      last_time = time_ms;
    }

  g_assert_true (kantor_strategy_manager_deactivate (f->strategies, "holder", "ETHUSDT",
                                                     &error));
  g_assert_no_error (error);
  last_seq = kantor_stream_hub_get_last_seq (hub, KANTOR_STREAM_INDICATORS);
  /* Let the feed run on: several report periods of event time pass. */
  {
    gboolean done = FALSE;

    g_timeout_add_once (200, set_flag, &done);
    while (!done)
      g_main_context_iteration (NULL, TRUE);
  }
  g_assert_cmpuint (kantor_stream_hub_get_last_seq (hub, KANTOR_STREAM_INDICATORS), ==, last_seq);
}

static gboolean
all_alerted (GHashTable *alerts_per_order,
             GArray     *rejected,
             guint       n)
{
  for (guint i = 0; i < MIN (n, rejected->len); i++)
    if (!g_hash_table_contains (alerts_per_order, &g_array_index (rejected, gint64, i)))
      return FALSE;
  return rejected->len >= n;
}

/* Over its allocation, the holder's entry is refused on every trade: the
 * refused orders come on the orders stream and each breach as exactly one
 * alert, in the one alert shape. */
static void
test_paper_budget_breach (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonNode) sc = json_from_string ("{\"holder\": [\"BTCUSDT\"]}", NULL);
  g_autoptr(JsonNode) cfg = json_from_string ("{\"budget\": {\"global_cap\": 5000,"
                                              " \"allocations\": {\"BTCUSDT\": 500}}}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorSession) session = NULL;
  g_autoptr(TestClient) c = test_client_open (&f->ts, "alice");
  g_autoptr(JsonObject) alert = NULL;
  g_autoptr(GHashTable) alerts_per_order = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                                  g_free, NULL);
  g_autoptr(GArray) rejected = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean reused = TRUE;
  gint64 deadline;
  const char *id;

  /* Session alerts are the session API's to deliver. */
  kantor_session_api_register (f->ts.server, f->sessions);
  session = kantor_session_manager_start (f->sessions, "paper", sc, json_node_get_object (cfg),
                                          &reused, NULL, &error);
  g_assert_no_error (error);
  id = kantor_session_get_id (session);
  subscribe (c, "orders", id);

  /* An alert is posted after its order event; both paths of old emitted it
   * at the same moment, so a duplicate would come right after the first. */
  deadline = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;
  while (rejected->len < 6 || !all_alerted (alerts_per_order, rejected, 3))
    {
      g_autoptr(JsonObject) msg = test_client_next (c, TEST_TIMEOUT_S * 1000);
      const char *type;

      g_assert_nonnull (msg);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      type = json_object_get_string_member (msg, "type");
      if (g_str_equal (type, "status"))
        continue;  /* session_state pushes */
      if (g_str_equal (type, "alert"))
        {
          gint64 order_id = json_object_get_int_member (msg, "order_id");
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (alerts_per_order, &order_id));

          test_assert_envelope (msg, "alert");
          g_assert_cmpstr (json_object_get_string_member (msg, "alert"), ==, "budget_breach");
          g_assert_cmpstr (json_object_get_string_member (msg, "severity"), ==, "warning");
          g_assert_cmpstr (json_object_get_string_member (msg, "session_id"), ==, id);
          g_assert_cmpstr (json_object_get_string_member (msg, "symbol"), ==, "BTCUSDT");
          g_assert_nonnull (json_object_get_string_member (msg, "message"));
          g_assert_false (json_object_has_member (msg, "alert_type"));
          g_assert_false (json_object_has_member (msg, "seq"));
          g_hash_table_insert (alerts_per_order, g_memdup2 (&order_id, sizeof order_id),
                               GUINT_TO_POINTER (n + 1));
          g_clear_pointer (&alert, json_object_unref);
          alert = g_steal_pointer (&msg);
        }
      else
        {
          JsonObject *order = json_object_get_object_member (msg, "order");
          gint64 order_id = json_object_get_int_member (order, "order_id");

          g_assert_cmpstr (json_object_get_string_member (msg, "session_id"), ==, id);
          g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "rejected");
          g_assert_cmpstr (json_object_get_string_member (order, "reject_reason"), ==, "budget");
          g_assert_true (json_object_get_null_member (order, "price"));
          g_array_append_val (rejected, order_id);
        }
    }
  /* One alert per refused order, never two (one delivery path). */
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (alerts_per_order,
                                                             &g_array_index (rejected, gint64,
                                                                             i))), ==, 1);
  g_assert_nonnull (alert);
  g_assert_cmpfloat (json_object_get_double_member (
                       json_object_get_object_member (alert, "details"), "limit"), ==, 500);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add ("/kantor/api/session-streams/paper-orders-signals", Fixture, NULL, setup,
              test_paper_orders_and_signals, teardown);
  g_test_add ("/kantor/api/session-streams/paper-budget-breach", Fixture, NULL, setup,
              test_paper_budget_breach, teardown);
  g_test_add ("/kantor/api/session-streams/paper-indicators", Fixture, NULL, setup,
              test_paper_indicators, teardown);
  g_test_add ("/kantor/api/session-streams/bare-indicators", Fixture, NULL, setup,
              test_bare_indicators, teardown);
  return g_test_run ();
}
