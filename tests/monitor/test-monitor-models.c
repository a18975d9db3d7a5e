/* test-monitor-models.c: the monitor's list models kept current by a real
 * server: sessions, tickers, the alert and signal log, health
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-monitor-event-log.h"
#include "kantor-monitor-health.h"
#include "kantor-monitor-sessions.h"
#include "kantor-monitor-tickers.h"
#include "monitor-fixture.h"

static void
setup (MonitorFixture *f,
       gconstpointer   data)
{
  g_autofree char *holder = test_holder_doc ("holder");

  monitor_fixture_setup (f, data);
  test_server_put_strategy (&f->ts, holder);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (node));
}

/* session_start through the client; returns the session id. */
static char *
start_session (MonitorFixture *f,
               const char     *json_fields)
{
  g_autoptr(JsonObject) fields = parse_object (json_fields);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = monitor_fixture_request (f, "session_start", fields, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (reply, "status"), ==, "session_started");
  return g_strdup (json_object_get_string_member (reply, "session_id"));
}

static gboolean
state_is (KantorMonitorSessions *sessions,
          const char            *id,
          const char            *state)
{
  KantorMonitorSession *s = kantor_monitor_sessions_lookup (sessions, id);

  return s != NULL && g_strcmp0 (kantor_monitor_session_get_state (s), state) == 0;
}

static void
record_state (KantorMonitorSession *session,
              GParamSpec           *pspec,
              GPtrArray            *states)
{
  g_ptr_array_add (states, g_strdup (kantor_monitor_session_get_state (session)));
}

/* A backtest started through the client appears in the model with what
 * it runs, follows the pushes to completed, and gets the same results the
 * server gives for it. */
static void
test_sessions_backtest (MonitorFixture *f,
                        gconstpointer   data)
{
  g_autoptr(KantorMonitorSessions) sessions = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) results = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMonitorSession) first = NULL;
  KantorMonitorSession *s;
  JsonObject *metrics;
  g_autofree char *id = NULL;

  monitor_fixture_login (f);
  sessions = kantor_monitor_sessions_new (f->client);
  kantor_monitor_sessions_set_results_interval (sessions, 0);
  WAIT_UNTIL (kantor_monitor_sessions_get_n_pending (sessions) == 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sessions)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (sessions)) ==
                 KANTOR_TYPE_MONITOR_SESSION);

  id = start_session (f, "{\"session_type\": \"backtest\","
                         " \"strategy_config\": {\"holder\": [\"BTCUSDT\", \"ETHUSDT\"]},"
                         " \"config\": {\"data\": {\"synthetic\": {\"seed\": 3,"
                         " \"events\": 20000}}}}");
  WAIT_UNTIL (state_is (sessions, id, "completed"));
  s = kantor_monitor_sessions_lookup (sessions, id);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sessions)), ==, 1);
  first = g_list_model_get_item (G_LIST_MODEL (sessions), 0);
  g_assert_true (first == s);
  g_assert_false (kantor_monitor_session_is_active (s));
  g_assert_cmpfloat (kantor_monitor_session_get_progress (s), ==, 1.0);

  /* What a push does not carry was looked up. */
  WAIT_UNTIL (kantor_monitor_session_get_created_at (s) > 0);
  g_assert_cmpstr (kantor_monitor_session_get_session_type (s), ==, "backtest");
  g_assert_cmpuint (g_strv_length ((char **) kantor_monitor_session_get_symbols (s)), ==, 2);
  g_assert_cmpstr (kantor_monitor_session_get_symbols (s)[0], ==, "BTCUSDT");
  g_assert_cmpstr (kantor_monitor_session_get_symbols (s)[1], ==, "ETHUSDT");
  g_assert_cmpstr (kantor_monitor_session_get_strategies (s)[0], ==, "holder");
  g_assert_null (kantor_monitor_session_get_strategies (s)[1]);

  /* Its final results, as the server reports them. */
  WAIT_UNTIL (kantor_monitor_session_get_has_results (s));
  fields = parse_object ("{\"request_type\": \"session_results\"}");
  json_object_set_string_member (fields, "session_id", id);
  results = monitor_fixture_request (f, "results_request", fields, &error);
  g_assert_no_error (error);
  metrics = json_object_get_object_member (json_object_get_object_member (results, "data"),
                                           "metrics");
  /* One trade per symbol, closed at the end of the data. */
  g_assert_cmpuint (kantor_monitor_session_get_total_trades (s), ==, 2);
  g_assert_cmpuint (kantor_monitor_session_get_total_trades (s), ==,
                    json_object_get_int_member (metrics, "total_trades"));
  g_assert_cmpfloat (kantor_monitor_session_get_net_pnl (s), ==,
                     json_object_get_double_member (metrics, "net_pnl"));
  g_assert_cmpfloat (kantor_monitor_session_get_net_pnl (s), !=, 0);
  g_assert_cmpfloat (kantor_monitor_session_get_realized_pnl (s), ==,
                     json_object_get_double_member (metrics, "realized_pnl"));
}

/* A paper session: running while it runs, stopped when stopped through
 * the client, each change seen through the session's own notify. */
static void
test_sessions_paper (MonitorFixture *f,
                     gconstpointer   data)
{
  g_autoptr(KantorMonitorSessions) sessions = NULL;
  g_autoptr(JsonObject) stop = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *id = NULL;
  g_autofree char *backtest = NULL;
  KantorMonitorSession *s;
  guint changes = 0;

  monitor_fixture_login (f);
  sessions = kantor_monitor_sessions_new (f->client);
  g_signal_connect_swapped (sessions, "items-changed", G_CALLBACK (g_atomic_int_inc), &changes);

  id = start_session (f, "{\"session_type\": \"paper\","
                         " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}}");
  WAIT_UNTIL (state_is (sessions, id, "running"));
  s = kantor_monitor_sessions_lookup (sessions, id);
  g_assert_true (kantor_monitor_session_is_active (s));
  g_assert_cmpuint (changes, >=, 1);
  g_signal_connect (s, "notify::state", G_CALLBACK (record_state), states);

  /* Results of a running session come with the poll. */
  kantor_monitor_sessions_set_results_interval (sessions, 50);
  WAIT_UNTIL (kantor_monitor_session_get_has_results (s));

  /* A second one, newer: it comes first. */
  backtest = start_session (f, "{\"session_type\": \"backtest\","
                               " \"strategy_config\": {\"holder\": [\"XRPUSDT\"]},"
                               " \"config\": {\"data\": {\"synthetic\": {\"seed\": 1,"
                               " \"events\": 1000}}}}");
  WAIT_UNTIL (state_is (sessions, backtest, "completed") &&
              kantor_monitor_session_get_created_at (
                kantor_monitor_sessions_lookup (sessions, backtest)) > 0);
  {
    g_autoptr(KantorMonitorSession) top = g_list_model_get_item (G_LIST_MODEL (sessions), 0);

    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sessions)), ==, 2);
    g_assert_cmpstr (kantor_monitor_session_get_id (top), ==, backtest);
  }

  json_object_set_string_member (stop, "session_id", id);
  reply = monitor_fixture_request (f, "session_stop", stop, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (state_is (sessions, id, "stopped"));
  g_assert_false (kantor_monitor_session_is_active (s));
  g_assert_cmpuint (states->len, >=, 1);
  g_assert_cmpstr (g_ptr_array_index (states, states->len - 1), ==, "stopped");
  g_signal_handlers_disconnect_by_data (s, states);
  g_signal_handlers_disconnect_by_data (sessions, &changes);
}

/* A session that ends while the monitor is disconnected: after the
 * reconnect the model asks for it and shows its final state. */
static void
test_sessions_reconnect (MonitorFixture *f,
                         gconstpointer   data)
{
  g_autoptr(KantorMonitorSessions) sessions = NULL;
  g_autoptr(KantorAuthGrant) grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  g_autoptr(TestClient) other = NULL;
  g_autoptr(JsonObject) stopped = NULL;
  g_autofree char *id = NULL;
  g_autofree char *text = NULL;

  monitor_fixture_login (f);
  sessions = kantor_monitor_sessions_new (f->client);
  id = start_session (f, "{\"session_type\": \"paper\","
                         " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}}");
  WAIT_UNTIL (state_is (sessions, id, "running"));

  /* Long enough for another client to stop the session meanwhile. */
  kantor_monitor_client_set_reconnect_delays (f->client, 1500, 1500);
  monitor_fixture_drop_all (f, 1011);
  WAIT_UNTIL (kantor_monitor_client_get_state (f->client) ==
              KANTOR_MONITOR_CLIENT_STATE_CONNECTING);

  other = test_client_open (&f->ts, grant->access_token);
  text = g_strdup_printf ("{\"id\": \"s\", \"type\": \"session_stop\", \"session_id\": \"%s\"}",
                          id);
  stopped = test_client_call (other, "s", text);
  test_assert_response (stopped, "session_stopped");
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_CONNECTING);
  g_assert_true (state_is (sessions, id, "running"));

  WAIT_UNTIL (state_is (sessions, id, "stopped"));
  g_assert_cmpuint (kantor_monitor_client_get_n_reconnects (f->client), ==, 1);
}

/* market_data items feed the tickers: one per symbol in symbol order,
 * last price, book and change since the first price seen. */
static void
test_tickers (MonitorFixture *f,
              gconstpointer   data)
{
  g_autoptr(KantorMonitorTickers) tickers = NULL;
  g_autoptr(KantorMonitorTicker) first = NULL;
  KantorMonitorTicker *btc, *eth, *xrp;

  /* Before the model subscribes: it gets it in the seed. */
  monitor_fixture_trade (f, "XRPUSDT", 0.5, 0.4999, 0.5001);

  monitor_fixture_login (f);
  tickers = kantor_monitor_tickers_new (f->client, NULL);
  WAIT_UNTIL (kantor_monitor_tickers_is_subscribed (tickers));
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (tickers)) == 1);
  xrp = kantor_monitor_tickers_lookup (tickers, "XRPUSDT");
  g_assert_nonnull (xrp);
  g_assert_cmpfloat (kantor_monitor_ticker_get_price (xrp), ==, 0.5);

  monitor_fixture_trade (f, "ETHUSDT", 3000, 0, 0);
  monitor_fixture_trade (f, "BTCUSDT", 50000, 49999.5, 50000.5);
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (tickers)) == 3);
  first = g_list_model_get_item (G_LIST_MODEL (tickers), 0);
  btc = kantor_monitor_tickers_lookup (tickers, "BTCUSDT");
  eth = kantor_monitor_tickers_lookup (tickers, "ETHUSDT");
  g_assert_true (first == btc);
  g_assert_cmpstr (kantor_monitor_ticker_get_symbol (btc), ==, "BTCUSDT");
  g_assert_cmpfloat (kantor_monitor_ticker_get_price (btc), ==, 50000);
  g_assert_true (kantor_monitor_ticker_get_has_book (btc));
  g_assert_cmpfloat (kantor_monitor_ticker_get_bid (btc), ==, 49999.5);
  g_assert_cmpfloat (kantor_monitor_ticker_get_ask (btc), ==, 50000.5);
  g_assert_cmpint (kantor_monitor_ticker_get_direction (btc), ==, 0);
  g_assert_cmpfloat (kantor_monitor_ticker_get_change (btc), ==, 0);
  /* No book seen for ETHUSDT: none shown, never a zero price. */
  g_assert_false (kantor_monitor_ticker_get_has_book (eth));

  monitor_fixture_trade (f, "BTCUSDT", 50500, 0, 0);
  WAIT_UNTIL (kantor_monitor_ticker_get_n_trades (btc) == 2);
  g_assert_cmpfloat (kantor_monitor_ticker_get_price (btc), ==, 50500);
  g_assert_cmpfloat (kantor_monitor_ticker_get_change (btc), ==, 500);
  g_assert_cmpfloat_with_epsilon (kantor_monitor_ticker_get_change_percent (btc), 1.0, 1e-12);
  g_assert_cmpint (kantor_monitor_ticker_get_direction (btc), ==, 1);
  g_assert_cmpint (kantor_monitor_ticker_get_updated_at (btc), ==, f->time_ms);
  /* The book the server holds goes with the trade. */
  g_assert_cmpfloat (kantor_monitor_ticker_get_bid (btc), ==, 49999.5);

  monitor_fixture_trade (f, "BTCUSDT", 49000, 0, 0);
  WAIT_UNTIL (kantor_monitor_ticker_get_n_trades (btc) == 3);
  g_assert_cmpint (kantor_monitor_ticker_get_direction (btc), ==, -1);
  g_assert_cmpfloat (kantor_monitor_ticker_get_change (btc), ==, -1000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tickers)), ==, 3);
}

/* Only the symbols asked for. */
static void
test_tickers_filtered (MonitorFixture *f,
                       gconstpointer   data)
{
  const char * const symbols[] = { "ETHUSDT", NULL };
  g_autoptr(KantorMonitorTickers) tickers = NULL;

  monitor_fixture_login (f);
  tickers = kantor_monitor_tickers_new (f->client, symbols);
  WAIT_UNTIL (kantor_monitor_tickers_is_subscribed (tickers));
  monitor_fixture_trade (f, "BTCUSDT", 50000, 0, 0);
  monitor_fixture_trade (f, "ETHUSDT", 3000, 0, 0);
  WAIT_UNTIL (kantor_monitor_tickers_lookup (tickers, "ETHUSDT") != NULL);
  g_assert_null (kantor_monitor_tickers_lookup (tickers, "BTCUSDT"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tickers)), ==, 1);
}

static KantorMonitorLogEntry *
log_item (KantorMonitorEventLog *log,
          guint                  position)
{
  return g_list_model_get_item (G_LIST_MODEL (log), position);
}

static gboolean
top_is (KantorMonitorEventLog *log,
        const char            *message)
{
  g_autoptr(KantorMonitorLogEntry) top = NULL;

  if (g_list_model_get_n_items (G_LIST_MODEL (log)) == 0)
    return FALSE;
  top = log_item (log, 0);
  return g_strcmp0 (kantor_monitor_log_entry_get_message (top), message) == 0;
}

/* Alerts and signals land in the log, newest first, and the oldest go
 * past the cap. */
static void
test_event_log (MonitorFixture *f,
                gconstpointer   data)
{
  g_autoptr(KantorMonitorEventLog) log = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(KantorMonitorLogEntry) feed = NULL;
  g_autoptr(KantorMonitorLogEntry) breach = NULL;
  g_autoptr(KantorMonitorLogEntry) signal = NULL;
  KantorIndicatorValue snapshot[] = { { "price", 50000.5, TRUE } };
  KantorSignal sig = { 0 };

  monitor_fixture_login (f);
  log = kantor_monitor_event_log_new (f->client, 4);
  g_assert_cmpuint (kantor_monitor_event_log_get_max_entries (log), ==, 4);
  WAIT_UNTIL (kantor_monitor_client_is_subscribed (f->client, "signals"));

  /* Without a severity: the kind's usual one. */
  kantor_stream_hub_publish_alert (f->hub, "feed_down", NULL, NULL, "The feed is down", NULL);
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (log)) == 1);
  feed = log_item (log, 0);
  g_assert_cmpint (kantor_monitor_log_entry_get_kind (feed), ==, KANTOR_MONITOR_LOG_ALERT);
  g_assert_cmpstr (kantor_monitor_log_entry_get_name (feed), ==, "feed_down");
  g_assert_cmpstr (kantor_monitor_log_entry_get_severity (feed), ==, "critical");
  g_assert_cmpstr (kantor_monitor_log_entry_get_message (feed), ==, "The feed is down");
  g_assert_null (kantor_monitor_log_entry_get_session_id (feed));
  g_assert_cmpint (ABS (kantor_monitor_log_entry_get_time (feed) - g_get_real_time () / 1000),
                   <, 60000);

  /* The unified shape: severity, session, symbol. */
  json_object_set_string_member (fields, "severity", "warning");
  json_object_set_string_member (fields, "strategy", "holder");
  kantor_stream_hub_publish_alert (f->hub, "budget_breach", "sess-1", "BTCUSDT",
                                   "Order refused: over the symbol's allocation", fields);
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (log)) == 2);
  breach = log_item (log, 0);
  g_assert_cmpstr (kantor_monitor_log_entry_get_name (breach), ==, "budget_breach");
  g_assert_cmpstr (kantor_monitor_log_entry_get_severity (breach), ==, "warning");
  g_assert_cmpstr (kantor_monitor_log_entry_get_session_id (breach), ==, "sess-1");
  g_assert_cmpstr (kantor_monitor_log_entry_get_symbol (breach), ==, "BTCUSDT");
  g_assert_cmpstr (kantor_monitor_log_entry_get_strategy (breach), ==, "holder");

  sig.type = KANTOR_SIGNAL_S1_SIGNAL;
  sig.strategy = g_intern_string ("pump_rider");
  sig.symbol = g_intern_string ("ETHUSDT");
  /* Event time: later than the alerts above, so it comes first. */
  sig.time_ms = g_get_real_time () / 1000;
  sig.price = 3000.25;
  sig.snapshot = snapshot;
  sig.n_snapshot = G_N_ELEMENTS (snapshot);
  kantor_stream_hub_publish_signal (f->hub, NULL, &sig);
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (log)) == 3);
  signal = log_item (log, 0);
  g_assert_cmpint (kantor_monitor_log_entry_get_kind (signal), ==, KANTOR_MONITOR_LOG_SIGNAL);
  g_assert_cmpstr (kantor_monitor_log_entry_get_strategy (signal), ==, "pump_rider");
  g_assert_cmpstr (kantor_monitor_log_entry_get_symbol (signal), ==, "ETHUSDT");
  g_assert_cmpint (kantor_monitor_log_entry_get_time (signal), ==, sig.time_ms);
  g_assert_cmpuint (kantor_monitor_log_entry_get_seq (signal), >, 0);
  g_assert_nonnull (strstr (kantor_monitor_log_entry_get_message (signal), "3000.25"));
  g_assert_nonnull (strstr (kantor_monitor_log_entry_get_message (signal), "pump_rider"));

  /* An item from long ago (a seed, a replay) takes its place in time. */
  sig.time_ms = 1764090000123;
  sig.type = KANTOR_SIGNAL_Z1_ENTRY;
  kantor_stream_hub_publish_signal (f->hub, NULL, &sig);
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (log)) == 4);
  {
    g_autoptr(KantorMonitorLogEntry) old = log_item (log, 3);
    g_autoptr(KantorMonitorLogEntry) top = log_item (log, 0);

    g_assert_cmpint (kantor_monitor_log_entry_get_time (old), ==, 1764090000123);
    g_assert_true (top == signal);
  }

  /* Past the cap the oldest go. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *message = g_strdup_printf ("gap %u", i);

      kantor_stream_hub_publish_alert (f->hub, "data_gap", NULL, "BTCUSDT", message, NULL);
    }
  WAIT_UNTIL (top_is (log, "gap 2"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 4);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(KantorMonitorLogEntry) entry = log_item (log, i);
      g_autofree char *message = g_strdup_printf ("gap %u", 2 - i);

      g_assert_cmpstr (kantor_monitor_log_entry_get_message (entry), ==, message);
      g_assert_cmpstr (kantor_monitor_log_entry_get_severity (entry), ==, "warning");
    }
  {
    g_autoptr(KantorMonitorLogEntry) last = log_item (log, 3);

    g_assert_true (last == signal);
  }
}

/* The connection lost and restored are logged too. */
static void
test_event_log_connection (MonitorFixture *f,
                           gconstpointer   data)
{
  g_autoptr(KantorMonitorEventLog) log = NULL;
  g_autoptr(KantorMonitorLogEntry) lost = NULL;
  g_autoptr(KantorMonitorLogEntry) restored = NULL;

  monitor_fixture_login (f);
  log = kantor_monitor_event_log_new (f->client, 10);
  WAIT_UNTIL (kantor_monitor_client_is_subscribed (f->client, "signals"));
  monitor_fixture_drop_all (f, 1011);
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (log)) == 2);
  lost = log_item (log, 1);
  restored = log_item (log, 0);
  g_assert_cmpint (kantor_monitor_log_entry_get_kind (lost), ==, KANTOR_MONITOR_LOG_CONNECTION);
  g_assert_cmpstr (kantor_monitor_log_entry_get_name (lost), ==, "connection_lost");
  g_assert_cmpstr (kantor_monitor_log_entry_get_name (restored), ==, "connection_restored");
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);

  /* Alerts still arrive: the subscription was renewed. */
  kantor_stream_hub_publish_alert (f->hub, "feed_restored", NULL, NULL, "Back", NULL);
  WAIT_UNTIL (top_is (log, "Back"));
}

/* The health stream's reports, and feed alerts between them. */
static void
test_health (MonitorFixture *f,
             gconstpointer   data)
{
  g_autoptr(KantorMonitorHealth) health = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();

  monitor_fixture_login (f);
  health = kantor_monitor_health_new (f->client);
  g_assert_false (kantor_monitor_health_get_has_report (health));
  WAIT_UNTIL (kantor_monitor_client_is_subscribed (f->client, "health"));
  monitor_fixture_trade (f, "BTCUSDT", 50000, 0, 0);
  kantor_stream_hub_publish_health (f->hub);
  WAIT_UNTIL (kantor_monitor_health_get_has_report (health));
  g_assert_cmpuint (kantor_monitor_health_get_connections (health), ==, 1);
  /* This server's hub has no feed. */
  g_assert_null (kantor_monitor_health_get_feed_state (health));

  json_object_set_string_member (fields, "feed", "synthetic");
  json_object_set_string_member (fields, "state", "down");
  kantor_stream_hub_publish_alert (f->hub, "feed_down", NULL, NULL, "Down", fields);
  WAIT_UNTIL (g_strcmp0 (kantor_monitor_health_get_feed_state (health), "down") == 0);
  json_object_set_string_member (fields, "state", "running");
  kantor_stream_hub_publish_alert (f->hub, "feed_restored", NULL, NULL, "Up", fields);
  WAIT_UNTIL (g_strcmp0 (kantor_monitor_health_get_feed_state (health), "running") == 0);
}


/* The real kantord, its own market feed and example strategies: every
 * model fills from what the daemon really streams. */
static void
test_daemon (void)
{
  g_autofree char *root = test_make_temp_root ();
  g_autoptr(KantorMonitorClient) client = NULL;
  g_autoptr(KantorMonitorSessions) sessions = NULL;
  g_autoptr(KantorMonitorTickers) tickers = NULL;
  g_autoptr(KantorMonitorHealth) health = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) started = NULL;
  g_autoptr(JsonObject) stopped = NULL;
  const char *id;
  KantorMonitorTicker *btc;
  g_autoptr(GError) error = NULL;
  TestDaemon *d;
  gboolean ok;

  test_seed_root (root);
  d = test_daemon_start (root, NULL);
  client = kantor_monitor_client_new (d->url);
  sessions = kantor_monitor_sessions_new (client);
  tickers = kantor_monitor_tickers_new (client, NULL);
  health = kantor_monitor_health_new (client);

  ok = monitor_client_connect (client, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpstr (kantor_monitor_client_get_server_version (client), ==, PACKAGE_VERSION);
  ok = monitor_client_login (client, TEST_USER, TEST_PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_true (ok);

  fields = parse_object ("{\"session_type\": \"paper\","
                         " \"strategy_config\": {\"pump_rider\": [\"BTCUSDT\"]}}");
  started = monitor_client_request (client, "session_start", fields, &error);
  g_assert_no_error (error);
  id = json_object_get_string_member (started, "session_id");
  WAIT_UNTIL (state_is (sessions, id, "running"));

  /* The feed's trades of the session's symbol, and the feed's health. */
  WAIT_UNTIL (kantor_monitor_tickers_lookup (tickers, "BTCUSDT") != NULL);
  btc = kantor_monitor_tickers_lookup (tickers, "BTCUSDT");
  g_assert_cmpfloat (kantor_monitor_ticker_get_price (btc), >, 0);
  WAIT_UNTIL (kantor_monitor_health_get_has_report (health));
  g_assert_cmpstr (kantor_monitor_health_get_feed_state (health), ==, "running");
  g_assert_nonnull (kantor_monitor_health_get_feed_name (health));
  g_assert_cmpuint (kantor_monitor_health_get_connections (health), >=, 1);

  json_object_unref (fields);
  fields = json_object_new ();
  json_object_set_string_member (fields, "session_id", id);
  stopped = monitor_client_request (client, "session_stop", fields, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (state_is (sessions, id, "stopped") &&
              kantor_monitor_session_get_has_results (kantor_monitor_sessions_lookup (sessions,
                                                                                      id)));

  /* The daemon shuts down cleanly with the client connected: the client
   * sees the close and starts reconnecting. */
  g_assert_cmpint (test_daemon_stop (d), ==, 0);
  WAIT_UNTIL (kantor_monitor_client_get_state (client) !=
              KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  test_daemon_free (d);

  g_clear_object (&sessions);
  g_clear_object (&tickers);
  g_clear_object (&health);
  monitor_client_release (&client);
  test_remove_tree (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  monitor_fixture_add ("/kantor/monitor/sessions/backtest", setup, test_sessions_backtest);
  monitor_fixture_add ("/kantor/monitor/sessions/paper", setup, test_sessions_paper);
  monitor_fixture_add ("/kantor/monitor/sessions/reconnect", setup, test_sessions_reconnect);
  monitor_fixture_add ("/kantor/monitor/tickers/market-data", setup, test_tickers);
  monitor_fixture_add ("/kantor/monitor/tickers/filtered", setup, test_tickers_filtered);
  monitor_fixture_add ("/kantor/monitor/log/alerts-and-signals", setup, test_event_log);
  monitor_fixture_add ("/kantor/monitor/log/connection", setup, test_event_log_connection);
  monitor_fixture_add ("/kantor/monitor/health", setup, test_health);

  g_test_add_func ("/kantor/monitor/daemon", test_daemon);

  return g_test_run ();
}
