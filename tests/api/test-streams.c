/* test-streams.c: subscriptions, seeding, resume and flow control through a
 * real server on a loopback port and real WebSocket clients
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "kantor-stream-api.h"
#include "kantor-stream-hub.h"
#include "test-utils.h"

/* The hub runs without a feed here: the tests publish market events
 * themselves, so every value a client sees is known. */
typedef struct
{
  TestServer       ts;
  KantorStreamHub *hub;
  gint64           time_ms;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  test_server_setup (&f->ts, TRUE);
  f->hub = kantor_stream_hub_new (NULL, NULL);
  kantor_stream_hub_set_health_interval (f->hub, 0);
  kantor_stream_api_register (f->ts.server, f->hub);
  f->time_ms = 1764090000000;
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  test_server_teardown (&f->ts);
  g_assert_finalize_object (f->hub);
}

static TestClient *
open_client (Fixture *f)
{
  /* Dev mode: a bare token is a test token for that user. */
  return test_client_open (&f->ts, "alice");
}

static double
trade_price (guint i)
{
  return 50000.0 + i * 0.25;
}

static guint64
publish_trade (Fixture    *f,
               const char *symbol,
               double      price,
               double      volume)
{
  KantorMarketEvent ev = { 0 };

  ev.kind = KANTOR_EVENT_TRADE;
  ev.symbol = g_intern_string (symbol);
  ev.time_ms = ++f->time_ms;
  ev.price = price;
  ev.volume = volume;
  return kantor_stream_hub_publish_market_event (f->hub, &ev);
}

static void
publish_book (Fixture    *f,
              const char *symbol,
              double      bid,
              double      ask)
{
  KantorMarketEvent ev = { 0 };

  ev.kind = KANTOR_EVENT_BOOK;
  ev.symbol = g_intern_string (symbol);
  ev.time_ms = ++f->time_ms;
  ev.bids[0].price = bid;
  ev.bids[0].qty = 1;
  ev.asks[0].price = ask;
  ev.asks[0].qty = 1;
  g_assert_cmpuint (kantor_stream_hub_publish_market_event (f->hub, &ev), ==, 0);
}

static guint64
publish_signal (Fixture           *f,
                const char        *symbol,
                KantorSignalType   type,
                double             price)
{
  KantorIndicatorValue snapshot[] = { { "price", price, TRUE } };
  KantorSignal signal = { 0 };

  signal.type = type;
  signal.strategy = g_intern_string ("pump_rider");
  signal.symbol = g_intern_string (symbol);
  signal.time_ms = ++f->time_ms;
  signal.price = price;
  signal.snapshot = snapshot;
  signal.n_snapshot = G_N_ELEMENTS (snapshot);
  return kantor_stream_hub_publish_signal (f->hub, NULL, &signal);
}

static JsonObject *
subscribe (TestClient *c,
           const char *stream,
           const char *params)
{
  g_autofree char *text = NULL;
  JsonObject *reply;

  text = g_strdup_printf ("{\"type\":\"subscribe\",\"id\":\"sub\",\"stream\":\"%s\"%s%s}",
                          stream, params != NULL ? ",\"params\":" : "",
                          params != NULL ? params : "");
  reply = test_client_call (c, "sub", text);
  test_assert_response (reply, "subscribed");
  g_assert_cmpstr (json_object_get_string_member (reply, "stream"), ==, stream);
  return reply;
}

/* The next stream item; fails when none comes. */
static JsonObject *
next_item (TestClient *c)
{
  JsonObject *msg = test_client_next (c, TEST_TIMEOUT_S * 1000);

  g_assert_nonnull (msg);
  g_assert_true (json_object_has_member (msg, "stream"));
  g_assert_true (json_object_has_member (msg, "seq"));
  g_assert_true (json_object_has_member (msg, "session_id"));
  g_assert_false (json_object_has_member (msg, "id"));
  return msg;
}

/* Nothing more arrives before the reply to a heartbeat. */
static void
assert_quiet (TestClient *c)
{
  JsonObject *pong = test_client_call (c, "q", "{\"type\":\"heartbeat\",\"id\":\"q\"}");
  JsonObject *extra;

  g_assert_cmpstr (json_object_get_string_member (pong, "status"), ==, "pong");
  json_object_unref (pong);
  extra = test_client_next (c, 0);
  if (extra != NULL)
    g_error ("unexpected message of type %s", json_object_get_string_member (extra, "type"));
}

static JsonObject *
market_data (JsonObject *msg)
{
  g_assert_cmpstr (json_object_get_string_member (msg, "type"), ==, "data");
  g_assert_cmpstr (json_object_get_string_member (msg, "stream"), ==, "market_data");
  return json_object_get_object_member (msg, "market_data");
}

/* The 5 most recent real items per symbol in scope, oldest first, marked
 * seeded; fewer when fewer exist; none for symbols out of scope. Then
 * the live flow, unmarked. */
static void
test_seeding (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(TestClient) c = open_client (f);
  g_autoptr(JsonObject) reply = NULL;
  guint64 btc_seq[8];
  guint64 seq;

  publish_book (f, "BTCUSDT", 49999.5, 50000.5);
  for (guint i = 0; i < 8; i++)
    {
      btc_seq[i] = publish_trade (f, "BTCUSDT", trade_price (i), 0.5 + i);
      if (i < 3)
        publish_trade (f, "ETHUSDT", 3000.0 + i, 2.0);
      publish_trade (f, "XRPUSDT", 0.5, 100.0);
    }

  reply = subscribe (c, "market_data", "{\"symbols\":[\"btcusdt\",\"ETHUSDT\",\"BTCUSDT\"]}");
  {
    JsonObject *d = json_object_get_object_member (reply, "data");
    JsonArray *symbols = json_object_get_array_member (json_object_get_object_member (d,
                                                                                      "params"),
                                                       "symbols");

    g_assert_cmpuint (json_array_get_length (symbols), ==, 3);
    g_assert_cmpstr (json_array_get_string_element (symbols, 0), ==, "BTCUSDT");
    g_assert_true (json_object_get_null_member (reply, "id") == FALSE);
  }

  for (guint i = 3; i < 8; i++)
    {
      g_autoptr(JsonObject) msg = next_item (c);
      JsonObject *md = market_data (msg);

      g_assert_true (json_object_get_boolean_member (msg, "seeded"));
      g_assert_cmpuint ((guint64) json_object_get_int_member (msg, "seq"), ==, btc_seq[i]);
      g_assert_true (json_object_get_null_member (msg, "session_id"));
      g_assert_cmpstr (json_object_get_string_member (md, "symbol"), ==, "BTCUSDT");
      g_assert_cmpfloat (json_object_get_double_member (md, "price"), ==, trade_price (i));
      g_assert_cmpfloat (json_object_get_double_member (md, "volume"), ==, 0.5 + i);
      g_assert_cmpfloat (json_object_get_double_member (md, "quote_volume"), ==,
                         trade_price (i) * (0.5 + i));
      g_assert_cmpfloat (json_object_get_double_member (md, "best_bid"), ==, 49999.5);
      g_assert_cmpfloat (json_object_get_double_member (md, "best_ask"), ==, 50000.5);
      g_assert_cmpint (json_object_get_int_member (md, "timestamp"), >, 1764090000000);
    }
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonObject) msg = next_item (c);
      JsonObject *md = market_data (msg);

      g_assert_true (json_object_get_boolean_member (msg, "seeded"));
      g_assert_cmpstr (json_object_get_string_member (md, "symbol"), ==, "ETHUSDT");
      g_assert_cmpfloat (json_object_get_double_member (md, "price"), ==, 3000.0 + i);
      /* No book for ETHUSDT: unknown, not zero. */
      g_assert_true (json_object_get_null_member (md, "best_bid"));
    }
  assert_quiet (c);

  publish_trade (f, "XRPUSDT", 0.5, 1.0);
  seq = publish_trade (f, "ETHUSDT", 3100.0, 1.0);
  {
    g_autoptr(JsonObject) msg = next_item (c);

    g_assert_false (json_object_has_member (msg, "seeded"));
    g_assert_cmpuint ((guint64) json_object_get_int_member (msg, "seq"), ==, seq);
    g_assert_cmpfloat (json_object_get_double_member (market_data (msg), "price"), ==, 3100.0);
  }
  assert_quiet (c);
}

/* A stream with nothing buffered seeds nothing; one without a symbol filter
 * seeds every symbol it holds. */
static void
test_seeding_all_symbols (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(TestClient) c = open_client (f);
  g_autoptr(JsonObject) r1 = NULL;
  g_autoptr(JsonObject) r2 = NULL;
  guint n = 0;

  r1 = subscribe (c, "signals", NULL);
  assert_quiet (c);

  for (guint i = 0; i < 7; i++)
    {
      publish_trade (f, "AAAUSDT", 1.0 + i, 1.0);
      if (i < 2)
        publish_trade (f, "BBBUSDT", 2.0 + i, 1.0);
    }
  r2 = subscribe (c, "market_data", "{}");
  for (; n < 7; n++)
    {
      g_autoptr(JsonObject) msg = next_item (c);
      JsonObject *md = market_data (msg);

      g_assert_true (json_object_get_boolean_member (msg, "seeded"));
      if (n < 5)
        {
          g_assert_cmpstr (json_object_get_string_member (md, "symbol"), ==, "AAAUSDT");
          g_assert_cmpfloat (json_object_get_double_member (md, "price"), ==, 3.0 + n);
        }
      else
        {
          g_assert_cmpstr (json_object_get_string_member (md, "symbol"), ==, "BBBUSDT");
        }
    }
  assert_quiet (c);
}

static gint64
item_seq (JsonObject *msg)
{
  return json_object_get_int_member (msg, "seq");
}

/* Symbol and session filters; one counter per stream, strictly increasing
 * and shared by every connection. */
static void
test_filters_and_seq (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(TestClient) a = open_client (f);
  g_autoptr(TestClient) b = open_client (f);
  g_autoptr(TestClient) s = open_client (f);
  g_autoptr(JsonObject) ra = NULL;
  g_autoptr(JsonObject) rb = NULL;
  g_autoptr(JsonObject) rs = NULL;
  g_autoptr(JsonObject) ro = NULL;
  g_autoptr(JsonObject) order = json_object_new ();
  gint64 last_a = 0, last_b = 0;
  guint n_a = 0, n_b = 0;

  kantor_stream_hub_set_symbol_session (f->hub, "ETHUSDT", "session-1");
  ra = subscribe (a, "market_data", "{\"symbols\":[\"BTCUSDT\"]}");
  rb = subscribe (b, "market_data", "{\"session_id\":\"session-1\"}");
  g_assert_cmpstr (json_object_get_string_member (rb, "session_id"), ==, "session-1");
  rs = subscribe (s, "signals", "{\"symbols\":[\"ETHUSDT\"]}");
  ro = subscribe (s, "orders", NULL);

  for (guint i = 0; i < 30; i++)
    {
      publish_trade (f, "BTCUSDT", 100.0 + i, 1.0);
      publish_trade (f, "ETHUSDT", 10.0 + i, 1.0);
      publish_trade (f, "SOLUSDT", 1.0 + i, 1.0);
    }

  while (n_a < 30)
    {
      g_autoptr(JsonObject) msg = next_item (a);

      g_assert_cmpstr (json_object_get_string_member (market_data (msg), "symbol"), ==,
                       "BTCUSDT");
      g_assert_true (json_object_get_null_member (msg, "session_id"));
      g_assert_cmpint (item_seq (msg), >, last_a);
      g_assert_cmpfloat (json_object_get_double_member (market_data (msg), "price"), ==,
                         100.0 + n_a);
      last_a = item_seq (msg);
      n_a++;
    }
  while (n_b < 30)
    {
      g_autoptr(JsonObject) msg = next_item (b);

      g_assert_cmpstr (json_object_get_string_member (market_data (msg), "symbol"), ==,
                       "ETHUSDT");
      g_assert_cmpstr (json_object_get_string_member (msg, "session_id"), ==, "session-1");
      g_assert_cmpint (item_seq (msg), >, last_b);
      last_b = item_seq (msg);
      n_b++;
    }
  /* Interleaved on one counter: B's items sit between A's. */
  g_assert_cmpint (last_b, ==, last_a + 1);
  assert_quiet (a);
  assert_quiet (b);

  /* Other streams count on their own, from 1. */
  g_assert_cmpuint (publish_signal (f, "BTCUSDT", KANTOR_SIGNAL_S1_SIGNAL, 1.0), ==, 1);
  g_assert_cmpuint (publish_signal (f, "ETHUSDT", KANTOR_SIGNAL_S1_SIGNAL, 42.5), ==, 2);
  json_object_set_string_member (order, "symbol", "ETHUSDT");
  json_object_set_string_member (order, "side", "BUY");
  json_object_set_double_member (order, "price", 42.5);
  g_assert_cmpuint (kantor_stream_hub_publish_order (f->hub, NULL, order), ==, 1);
  {
    g_autoptr(JsonObject) sig = next_item (s);
    g_autoptr(JsonObject) ord = next_item (s);
    JsonObject *body = json_object_get_object_member (sig, "signal");

    g_assert_cmpstr (json_object_get_string_member (sig, "type"), ==, "signal");
    g_assert_cmpint (item_seq (sig), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (sig, "session_id"), ==, "session-1");
    g_assert_cmpstr (json_object_get_string_member (body, "symbol"), ==, "ETHUSDT");
    g_assert_cmpstr (json_object_get_string_member (body, "strategy"), ==, "pump_rider");
    g_assert_cmpfloat (json_object_get_double_member (body, "price"), ==, 42.5);
    g_assert_cmpfloat (json_object_get_double_member (
                         json_object_get_object_member (body, "indicators_snapshot"), "price"),
                       ==, 42.5);
    g_assert_cmpstr (json_object_get_string_member (ord, "stream"), ==, "orders");
    g_assert_cmpint (item_seq (ord), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (ord, "order"), "side"), ==, "BUY");
  }
  assert_quiet (s);
}

/* One serialisation: every subscriber gets the very same bytes. */
static void
test_same_bytes (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TestClient) a = open_client (f);
  g_autoptr(TestClient) b = open_client (f);
  g_autoptr(JsonObject) ra = subscribe (a, "market_data", "{\"symbols\":[\"BTCUSDT\"]}");
  g_autoptr(JsonObject) rb = subscribe (b, "market_data", NULL);

  assert_quiet (a);
  assert_quiet (b);
  publish_trade (f, "BTCUSDT", 50000.125, 0.3);
  WAIT_UNTIL (a->raw.length == 1 && b->raw.length == 1);
  g_assert_cmpstr (g_queue_peek_head (&a->raw), ==, g_queue_peek_head (&b->raw));
  g_assert_nonnull (strstr (g_queue_peek_head (&a->raw), "\"price\":50000.125,"));
}

/* resume_from replays what is held after that seq; when some of it is gone
 * the reply says so and what is left follows. */
static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TestClient) c = open_client (f);
  g_autoptr(JsonObject) r1 = NULL;
  g_autoptr(JsonObject) r2 = NULL;
  JsonObject *d;

  for (guint i = 1; i <= 10; i++)
    g_assert_cmpuint (publish_trade (f, "BTCUSDT", i, 1.0), ==, i);

  r1 = subscribe (c, "market_data", "{\"symbols\":[\"BTCUSDT\"],\"resume_from\":6}");
  d = json_object_get_object_member (r1, "data");
  g_assert_false (json_object_get_boolean_member (d, "resume_gap"));
  g_assert_cmpint (json_object_get_int_member (d, "oldest_seq"), ==, 1);
  for (gint64 seq = 7; seq <= 10; seq++)
    {
      g_autoptr(JsonObject) msg = next_item (c);

      g_assert_cmpint (item_seq (msg), ==, seq);
      g_assert_false (json_object_has_member (msg, "seeded"));
      g_assert_cmpfloat (json_object_get_double_member (market_data (msg), "price"), ==,
                         (double) seq);
    }
  assert_quiet (c);

  /* Up to date: nothing to replay, no gap. */
  {
    g_autoptr(JsonObject) r = subscribe (c, "market_data", "{\"resume_from\":10}");

    g_assert_false (json_object_get_boolean_member (json_object_get_object_member (r, "data"),
                                                    "resume_gap"));
    assert_quiet (c);
  }

  kantor_stream_hub_set_ring_capacity (f->hub, 5);
  {
    g_autoptr(JsonObject) u = test_client_call (c, "u",
                                                "{\"type\":\"unsubscribe\",\"id\":\"u\","
                                                "\"stream\":\"market_data\"}");
    test_assert_response (u, "unsubscribed");
  }
  for (guint i = 11; i <= 20; i++)
    publish_trade (f, "BTCUSDT", i, 1.0);
  assert_quiet (c);

  r2 = subscribe (c, "market_data", "{\"resume_from\":12}");
  d = json_object_get_object_member (r2, "data");
  g_assert_true (json_object_get_boolean_member (d, "resume_gap"));
  g_assert_cmpint (json_object_get_int_member (d, "oldest_seq"), ==, 16);
  for (gint64 seq = 16; seq <= 20; seq++)
    {
      g_autoptr(JsonObject) msg = next_item (c);

      g_assert_cmpint (item_seq (msg), ==, seq);
      g_assert_cmpfloat (json_object_get_double_member (market_data (msg), "price"), ==,
                         (double) seq);
    }
  assert_quiet (c);
}

static void
test_unsubscribe (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(TestClient) c = open_client (f);
  g_autoptr(TestClient) other = open_client (f);
  g_autoptr(JsonObject) r = subscribe (c, "market_data", "{\"symbols\":[\"BTCUSDT\"]}");
  g_autoptr(JsonObject) r2 = subscribe (other, "market_data", "{\"symbols\":[\"BTCUSDT\"]}");
  g_autoptr(JsonObject) u = NULL;
  g_autoptr(JsonObject) again = NULL;

  publish_trade (f, "BTCUSDT", 1.0, 1.0);
  json_object_unref (next_item (c));
  json_object_unref (next_item (other));
  g_assert_cmpuint (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_MARKET_DATA), ==,
                    2);

  u = test_client_call (c, "u", "{\"type\":\"unsubscribe\",\"id\":\"u\","
                                "\"stream\":\"market_data\"}");
  test_assert_response (u, "unsubscribed");
  g_assert_cmpstr (json_object_get_string_member (u, "stream"), ==, "market_data");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (u, "data"),
                                                 "was_subscribed"));
  g_assert_cmpuint (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_MARKET_DATA), ==,
                    1);

  for (guint i = 0; i < 10; i++)
    publish_trade (f, "BTCUSDT", 2.0 + i, 1.0);
  for (guint i = 0; i < 10; i++)
    json_object_unref (next_item (other));
  assert_quiet (c);

  again = test_client_call (c, "u2", "{\"type\":\"unsubscribe\",\"id\":\"u2\","
                                     "\"stream\":\"market_data\"}");
  test_assert_response (again, "unsubscribed");
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (again, "data"),
                                                  "was_subscribed"));

  /* A closed connection leaves no subscription behind. */
  g_clear_pointer (&other, test_client_free);
  WAIT_UNTIL (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_MARKET_DATA) == 0);
}

static void
assert_refused (TestClient *c,
                const char *text,
                const char *code,
                const char *field)
{
  g_autoptr(JsonObject) reply = test_client_call (c, "bad", text);

  test_assert_error (reply, code);
  if (field != NULL)
    g_assert_cmpstr (test_error_field (reply), ==, field);
}

/* Every bad subscription is refused with the field named and changes
 * nothing. */
static void
test_validation (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TestClient) c = open_client (f);
  g_autoptr(TestClient) anon = test_client_open (&f->ts, NULL);

  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"trades\"}",
                  "validation_error", "stream");
  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\","
                     "\"params\":{\"symbols\":\"BTCUSDT\"}}", "validation_error",
                  "params.symbols");
  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\","
                     "\"params\":{\"symbols\":[\"BTC/USDT\"]}}", "validation_error",
                  "params.symbols");
  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\","
                     "\"params\":{\"symbols\":[1]}}", "validation_error", "params.symbols");
  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\","
                     "\"params\":{\"resume_from\":-1}}", "validation_error",
                  "params.resume_from");
  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\","
                     "\"params\":{\"resume_from\":\"5\"}}", "validation_error",
                  "params.resume_from");
  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\","
                     "\"params\":{\"session_id\":7}}", "validation_error",
                  "params.session_id");
  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\","
                     "\"params\":{\"depth\":3}}", "validation_error", "params.depth");
  assert_refused (c, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\","
                     "\"params\":[]}", "validation_error", "params");
  assert_refused (c, "{\"type\":\"unsubscribe\",\"id\":\"bad\",\"stream\":\"nope\"}",
                  "validation_error", "stream");
  assert_refused (anon, "{\"type\":\"subscribe\",\"id\":\"bad\",\"stream\":\"market_data\"}",
                  "authentication_required", NULL);
  g_assert_cmpuint (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_MARKET_DATA), ==,
                    0);

  publish_trade (f, "BTCUSDT", 1.0, 1.0);
  assert_quiet (c);
}

/* One alert shape and one path: every alert reaches every authenticated
 * connection once, subscribed or not, whatever its filters, and never an
 * unauthenticated one; an emergency_exit signal raises its alert; health
 * reports real figures. */
static void
test_alerts_and_health (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(TestClient) c = open_client (f);
  g_autoptr(TestClient) other = open_client (f);
  g_autoptr(TestClient) idle = open_client (f);
  g_autoptr(TestClient) anonymous = test_client_open (&f->ts, NULL);
  g_autoptr(JsonObject) r1 = subscribe (c, "signals", NULL);
  g_autoptr(JsonObject) r2 = subscribe (other, "orders", "{\"session_id\":\"s-2\"}");
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) hr = NULL;
  TestClient *everyone[] = { c, other, idle };

  json_object_set_double_member (fields, "exposure", 1200.0);
  json_object_set_double_member (fields, "cap", 1000.0);
  /* Members the alert sets itself are not overridden by the extras. */
  json_object_set_string_member (fields, "alert", "not-this");
  json_object_set_string_member (fields, "type", "not-this");
  kantor_stream_hub_publish_alert (f->hub, "budget_breach", "s-1", "BTCUSDT",
                                   "Exposure over the session cap", fields);
  for (guint i = 0; i < G_N_ELEMENTS (everyone); i++)
    {
      g_autoptr(JsonObject) a = test_client_next (everyone[i], TEST_TIMEOUT_S * 1000);

      g_assert_nonnull (a);
      test_assert_envelope (a, "alert");
      g_assert_cmpstr (json_object_get_string_member (a, "alert"), ==, "budget_breach");
      g_assert_cmpstr (json_object_get_string_member (a, "severity"), ==, "warning");
      g_assert_cmpstr (json_object_get_string_member (a, "session_id"), ==, "s-1");
      g_assert_cmpstr (json_object_get_string_member (a, "symbol"), ==, "BTCUSDT");
      g_assert_cmpstr (json_object_get_string_member (a, "message"), ==,
                       "Exposure over the session cap");
      g_assert_cmpfloat (json_object_get_double_member (a, "exposure"), ==, 1200.0);
      g_assert_false (json_object_has_member (a, "id"));
      g_assert_false (json_object_has_member (a, "seq"));
      assert_quiet (everyone[i]);
    }
  assert_quiet (anonymous);

  kantor_stream_hub_set_symbol_session (f->hub, "BTCUSDT", "s-2");
  publish_signal (f, "BTCUSDT", KANTOR_SIGNAL_EMERGENCY_EXIT, 48000.0);
  {
    g_autoptr(JsonObject) sig = next_item (c);
    g_autoptr(JsonObject) a = test_client_next (c, TEST_TIMEOUT_S * 1000);

    g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (sig, "signal"), "type"), ==,
                     "emergency_exit");
    g_assert_nonnull (a);
    g_assert_cmpstr (json_object_get_string_member (a, "alert"), ==, "emergency_exit");
    g_assert_cmpstr (json_object_get_string_member (a, "severity"), ==, "critical");
    g_assert_cmpstr (json_object_get_string_member (a, "session_id"), ==, "s-2");
    g_assert_cmpstr (json_object_get_string_member (a, "symbol"), ==, "BTCUSDT");
    g_assert_cmpint (json_object_get_int_member (a, "signal_seq"), ==, item_seq (sig));
    for (guint i = 1; i < G_N_ELEMENTS (everyone); i++)
      {
        g_autoptr(JsonObject) a2 = test_client_next (everyone[i], TEST_TIMEOUT_S * 1000);

        g_assert_nonnull (a2);
        g_assert_cmpstr (json_object_get_string_member (a2, "alert"), ==, "emergency_exit");
        assert_quiet (everyone[i]);
      }
  }
  assert_quiet (c);
  assert_quiet (anonymous);

  for (guint i = 0; i < 3; i++)
    publish_trade (f, "BTCUSDT", 1.0, 1.0);
  kantor_stream_hub_publish_health (f->hub);
  hr = subscribe (c, "health", NULL);
  {
    g_autoptr(JsonObject) h = next_item (c);
    JsonObject *body = json_object_get_object_member (h, "health");

    g_assert_true (json_object_get_boolean_member (h, "seeded"));
    g_assert_cmpint (json_object_get_int_member (body, "events_total"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (body, "last_seq"), "market_data"), ==, 3);
  }
  kantor_stream_hub_publish_health (f->hub);
  {
    g_autoptr(JsonObject) h = next_item (c);
    JsonObject *body = json_object_get_object_member (h, "health");

    g_assert_false (json_object_has_member (h, "seeded"));
    g_assert_cmpint (item_seq (h), ==, 2);
    g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (body, "subscribers"), "health"), ==, 1);
  }
}

/* A raw client: the server's frames as parsed JSON. */
typedef struct
{
  GSocketConnection *conn;
  GByteArray        *buf;
  gboolean           upgraded;
  GPtrArray         *messages;   /* JsonObject *, other than data items */
  GArray            *data_seqs;  /* guint64: the seq of each data item */
} RawClient;

static void
raw_client_free (RawClient *r)
{
  g_clear_object (&r->conn);
  g_byte_array_unref (r->buf);
  g_ptr_array_unref (r->messages);
  g_array_unref (r->data_seqs);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawClient, raw_client_free)

static void
on_client_connected (KantorServer           *server,
                     KantorClientConnection *connection,
                     gpointer                user_data)
{
  g_set_object ((KantorClientConnection **) user_data, connection);
}

/* Connects, authenticates and subscribes without reading anything. */
static RawClient *
raw_client_open (Fixture                 *f,
                 KantorClientConnection **server_side,
                 const char *const       *subscriptions,
                 int                      rcvbuf)
{
  RawClient *r = g_new0 (RawClient, 1);
  static const char auth[] = "{\"type\":\"auth\",\"token\":\"bob\"}";
  gulong handler;

  /* It cannot answer pings while it does not read: no keepalive sweep. */
  kantor_server_set_keepalive (f->ts.server, 0, 0);
  r->buf = g_byte_array_new ();
  r->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  r->data_seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  handler = g_signal_connect (f->ts.server, "client-connected", G_CALLBACK (on_client_connected),
                              server_side);
  r->conn = test_raw_connect (f->ts.port);
  /* A small receive buffer (0: the system's): the server's side fills
   * sooner. */
  if (rcvbuf > 0)
    g_socket_set_option (g_socket_connection_get_socket (r->conn), SOL_SOCKET, SO_RCVBUF, rcvbuf,
                         NULL);
  WAIT_UNTIL (*server_side != NULL);
  g_signal_handler_disconnect (f->ts.server, handler);
  test_raw_send_frame (r->conn, 0x1, auth, sizeof auth - 1);
  WAIT_UNTIL (kantor_client_connection_is_authenticated (*server_side));
  for (guint i = 0; subscriptions[i] != NULL; i++)
    test_raw_send_frame (r->conn, 0x1, subscriptions[i], strlen (subscriptions[i]));
  return r;
}

/* Reads what the socket has and parses complete frames; FALSE at EOF. */
static gboolean
raw_client_read (RawClient *r)
{
  GSocket *socket = g_socket_connection_get_socket (r->conn);
  guint8 chunk[65536];
  gssize n;
  gsize pos = 0;

  n = g_socket_receive_with_blocking (socket, (char *) chunk, sizeof chunk, FALSE, NULL, NULL);
  if (n == 0)
    return FALSE;
  if (n < 0)
    return TRUE;
  g_byte_array_append (r->buf, chunk, (guint) n);

  if (!r->upgraded)
    {
      const char *end = g_strstr_len ((const char *) r->buf->data, r->buf->len, "\r\n\r\n");

      if (end == NULL)
        return TRUE;
      pos = (gsize) (end - (const char *) r->buf->data) + 4;
      r->upgraded = TRUE;
    }

  for (;;)
    {
      guint8 *p = r->buf->data + pos;
      gsize avail = r->buf->len - pos;
      guint64 len;
      gsize hlen = 2;

      if (avail < 2)
        break;
      len = p[1] & 0x7f;
      if (len == 126)
        {
          if (avail < 4)
            break;
          len = ((guint64) p[2] << 8) | p[3];
          hlen = 4;
        }
      else if (len == 127)
        {
          if (avail < 10)
            break;
          len = 0;
          for (guint i = 0; i < 8; i++)
            len = (len << 8) | p[2 + i];
          hlen = 10;
        }
      if (avail < hlen + len)
        break;
      /* Data items are the bulk: only their seq is taken, without a full
       * parse (a sanitizer build makes every allocation costly). */
      if ((p[0] & 0x0f) == 0x1 &&
          g_strstr_len ((const char *) p + hlen, MIN ((gssize) len, 80), "\"type\":\"data\"") != NULL)
        {
          const char *seq = g_strstr_len ((const char *) p + hlen, (gssize) len, ",\"seq\":");
          guint64 value;

          g_assert_nonnull (seq);
          value = g_ascii_strtoull (seq + strlen (",\"seq\":"), NULL, 10);
          g_array_append_val (r->data_seqs, value);
        }
      else if ((p[0] & 0x0f) == 0x1)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autoptr(GError) error = NULL;

          json_parser_load_from_data (parser, (const char *) p + hlen, (gssize) len, &error);
          g_assert_no_error (error);
          g_ptr_array_add (r->messages, json_object_ref (json_node_get_object (
                                                           json_parser_get_root (parser))));
        }
      pos += hlen + (gsize) len;
    }
  g_byte_array_remove_range (r->buf, 0, (guint) pos);
  return TRUE;
}

/* A client that never reads loses droppable items and is closed (1013)
 * at the hard bound, while what the server holds for it stays bounded; a
 * normal client on the same stream gets every item, promptly. */
static void
test_never_reads (Fixture       *f,
                  gconstpointer  data)
{
  const char *const subs[] = {
    "{\"type\":\"subscribe\",\"stream\":\"market_data\",\"params\":{\"symbols\":[\"BTCUSDT\"]}}",
    NULL
  };
  const gsize soft = 32 * 1024, hard = 512 * 1024;
  g_autoptr(KantorClientConnection) victim = NULL;
  g_autoptr(RawClient) raw = NULL;
  g_autoptr(TestClient) normal = open_client (f);
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GArray) sent_at = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 max_latency = 0;
  guint64 first_seq = 0, received = 0;
  gsize max_held = 0;

  kantor_stream_hub_set_flow_control (f->hub, soft, hard);
  raw = raw_client_open (f, &victim, subs, 4096);
  WAIT_UNTIL (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_MARKET_DATA) == 1);
  r = subscribe (normal, "market_data", "{\"symbols\":[\"BTCUSDT\"]}");

  /* Until the victim is cut off (kernel buffers take a few MiB first),
   * in bursts the normal client must take before the next one. */
  for (;;)
    {
      if (kantor_client_connection_is_open (victim))
        {
          g_assert_cmpuint (sent_at->len, <, 400000);
          for (guint i = 0; i < 100; i++)
            {
              gint64 now = g_get_monotonic_time ();
              guint64 seq = publish_trade (f, "BTCUSDT", trade_price (sent_at->len % 1000),
                                           1.0);

              if (first_seq == 0)
                first_seq = seq;
              g_assert_cmpuint (seq, ==, first_seq + sent_at->len);
              g_array_append_val (sent_at, now);
              max_held = MAX (max_held, kantor_client_connection_get_backlog (victim) +
                                        kantor_client_connection_get_pending (victim));
            }
        }
      WAIT_UNTIL (normal->received.length > 0 || normal->stash.length > 0 ||
                  received == sent_at->len);
      for (;;)
        {
          JsonObject *msg = test_client_next (normal, 0);

          if (msg == NULL)
            break;
          g_assert_cmpuint ((guint64) item_seq (msg), ==, first_seq + received);
          max_latency = MAX (max_latency,
                             g_get_monotonic_time () - g_array_index (sent_at, gint64, received));
          received++;
          json_object_unref (msg);
        }
      if (received == sent_at->len && !kantor_client_connection_is_open (victim))
        break;
    }

  g_assert_cmpuint (kantor_client_connection_get_close_code (victim), ==, 1013);
  g_assert_cmpuint (kantor_client_connection_get_n_dropped (victim), >, 0);
  /* Queued and pending bytes never went far past the hard bound. */
  g_assert_cmpuint (max_held, <=, hard + 4096);
  g_assert_cmpuint (received, ==, sent_at->len);
  g_test_message ("%u items, victim dropped %" G_GUINT64_FORMAT ", max latency %" G_GINT64_FORMAT
                  " us", sent_at->len, kantor_client_connection_get_n_dropped (victim),
                  max_latency);
  g_assert_cmpint (max_latency, <, 5 * G_USEC_PER_SEC);
  WAIT_UNTIL (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_MARKET_DATA) == 1);
}

/* A client that stops reading for a while loses market data (the newest
 * kept) but no signal, and hears once how many items it missed. */
static void
test_slow_consumer_alert (Fixture       *f,
                          gconstpointer  data)
{
  const char *const subs[] = {
    "{\"type\":\"subscribe\",\"stream\":\"market_data\"}",
    "{\"type\":\"subscribe\",\"stream\":\"signals\"}",
    NULL
  };
  g_autoptr(KantorClientConnection) victim = NULL;
  g_autoptr(RawClient) raw = NULL;
  guint64 last_md = 0, last_signal = 0, n_signals = 0;
  guint64 md_seen = 0, signals_seen = 0, alerts = 0, alert_count = 0;
  gint64 prev_signal = 0;
  gboolean last_md_seen = FALSE;
  gint64 deadline;

  kantor_stream_hub_set_flow_control (f->hub, 16 * 1024, 1024 * 1024 * 1024);
  raw = raw_client_open (f, &victim, subs, 64 * 1024);
  WAIT_UNTIL (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_SIGNALS) == 1);

  /* Kernel buffers fill first, then the soft bound is passed. */
  while (kantor_client_connection_get_n_dropped (victim) < 2000)
    {
      g_assert_cmpuint (last_md, <, 1000000);
      for (guint i = 0; i < 50; i++)
        last_md = publish_trade (f, "BTCUSDT", trade_price (i), 1.0);
      last_signal = publish_signal (f, "BTCUSDT", KANTOR_SIGNAL_S1_SIGNAL, 1.0);
      n_signals++;
      g_main_context_iteration (NULL, FALSE);
    }
  g_assert_true (kantor_client_connection_is_open (victim));

  /* Now it reads everything, up to the alert: the server writes as the
   * socket drains, both turned here without blocking. */
  deadline = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;
  while (alerts == 0 || !last_md_seen || signals_seen < n_signals)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_assert_true (raw_client_read (raw));
      for (guint i = 0; i < raw->messages->len; i++)
        {
          JsonObject *msg = g_ptr_array_index (raw->messages, i);
          const char *type = json_object_get_string_member (msg, "type");

          if (g_str_equal (type, "alert"))
            {
              g_assert_cmpstr (json_object_get_string_member (msg, "alert"), ==,
                               "slow_consumer");
              g_assert_cmpstr (json_object_get_string_member (msg, "severity"), ==, "warning");
              g_assert_true (json_object_get_null_member (msg, "session_id"));
              alert_count = (guint64) json_object_get_int_member (msg, "dropped");
              alerts++;
            }
          else if (g_str_equal (type, "signal"))
            {
              /* Every signal, in order. */
              g_assert_cmpint (item_seq (msg), ==, prev_signal + 1);
              prev_signal = item_seq (msg);
              signals_seen++;
            }
        }
      for (guint i = 0; i < raw->data_seqs->len; i++)
        {
          md_seen++;
          if (g_array_index (raw->data_seqs, guint64, i) == last_md)
            last_md_seen = TRUE;
        }
      g_array_set_size (raw->data_seqs, 0);
      g_ptr_array_set_size (raw->messages, 0);
    }

  g_assert_cmpuint (alerts, ==, 1);
  g_assert_cmpuint (alert_count, ==, kantor_client_connection_get_n_dropped (victim));
  g_assert_cmpuint (signals_seen, ==, n_signals);
  g_assert_cmpuint ((guint64) prev_signal, ==, last_signal);
  g_assert_cmpuint (md_seen + alert_count, ==, last_md);
  g_assert_true (kantor_client_connection_is_open (victim));
}

/* With the real synthetic feed: subscribing starts the symbol's source,
 * items carry its trades, silence raises data_gap, unsubscribing stops it. */
static void
test_feed (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(KantorMarketFeed) feed = kantor_market_feed_new_synthetic (7);
  g_autoptr(KantorStreamHub) hub = NULL;
  g_autoptr(TestClient) c = open_client (f);
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) alert = NULL;
  gint64 last = 0;

  /* This test's own hub, on the feed, in place of the fixture's. */
  hub = kantor_stream_hub_new (feed, NULL);
  kantor_stream_hub_set_health_interval (hub, 0);
  kantor_stream_api_register (f->ts.server, hub);
  kantor_market_feed_set_speed (feed, 50);

  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 0);
  r = subscribe (c, "market_data", "{\"symbols\":[\"BTCUSDT\"]}");
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 1);
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(JsonObject) msg = next_item (c);
      JsonObject *md = market_data (msg);

      g_assert_cmpstr (json_object_get_string_member (md, "symbol"), ==, "BTCUSDT");
      g_assert_cmpfloat (json_object_get_double_member (md, "price"), >, 0);
      g_assert_cmpfloat (json_object_get_double_member (md, "quote_volume"), ==,
                         json_object_get_double_member (md, "price") *
                         json_object_get_double_member (md, "volume"));
      g_assert_cmpint (item_seq (msg), >, last);
      last = item_seq (msg);
    }

  /* A gap shorter than the feed's pauses: the check runs and fires. */
  kantor_market_feed_set_speed (feed, 0.01);
  kantor_stream_hub_set_data_gap (hub, 50);
  kantor_stream_hub_set_health_interval (hub, 20);
  for (;;)
    {
      g_autoptr(JsonObject) msg = test_client_next (c, TEST_TIMEOUT_S * 1000);

      g_assert_nonnull (msg);
      if (g_strcmp0 (json_object_get_string_member (msg, "type"), "alert") == 0)
        {
          alert = g_steal_pointer (&msg);
          break;
        }
    }
  g_assert_cmpstr (json_object_get_string_member (alert, "alert"), ==, "data_gap");
  g_assert_cmpstr (json_object_get_string_member (alert, "symbol"), ==, "BTCUSDT");
  g_assert_cmpint (json_object_get_int_member (alert, "silent_ms"), >, 50);
  kantor_stream_hub_set_health_interval (hub, 0);

  {
    g_autoptr(JsonObject) u = test_client_call (c, "u", "{\"type\":\"unsubscribe\","
                                                        "\"id\":\"u\",\"stream\":\"market_data\"}");
    test_assert_response (u, "unsubscribed");
  }
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 0);
  g_clear_pointer (&c, test_client_free);
  /* The router keeps pointing at this hub: give it back the fixture's. */
  kantor_stream_api_register (f->ts.server, f->hub);
}

/* The health report's one feed. */
static const char *
health_feed_state (JsonObject *msg)
{
  JsonObject *health;
  JsonArray *feeds;

  g_assert_cmpstr (json_object_get_string_member (msg, "stream"), ==, "health");
  health = json_object_get_object_member (msg, "health");
  feeds = json_object_get_array_member (health, "feeds");
  g_assert_cmpuint (json_array_get_length (feeds), ==, 1);
  return json_object_get_string_member (json_array_get_object_element (feeds, 0), "state");
}

/* A feed that loses its upstream: subscribers hear feed_down, the health
 * stream says so, neither items nor data_gap alerts come while it is down
 * (the silence is the feed's); then feed_restored, and items resume at the
 * present. At a fixed rate, event times are evenly spaced. */
static void
test_feed_outage (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(KantorMarketFeed) feed = kantor_market_feed_new_synthetic (11);
  g_autoptr(KantorStreamHub) hub = NULL;
  g_autoptr(TestClient) c = open_client (f);
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) rh = NULL;
  g_autoptr(JsonObject) alert = NULL;
  gint64 prev_ts = 0, restored_ms;
  guint n_health = 0;

  hub = kantor_stream_hub_new (feed, NULL);
  kantor_stream_hub_set_health_interval (hub, 0);
  kantor_stream_api_register (f->ts.server, hub);
  /* An event every 2 ms. */
  kantor_market_feed_set_rate (feed, 500);
  g_assert_cmpfloat (kantor_market_feed_get_rate (feed), ==, 500);

  r = subscribe (c, "market_data", "{\"symbols\":[\"ETHUSDT\"]}");
  rh = subscribe (c, "health", NULL);
  g_assert_cmpint (kantor_market_feed_get_state (feed), ==, KANTOR_MARKET_FEED_STATE_RUNNING);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(JsonObject) msg = next_item (c);
      gint64 ts = json_object_get_int_member (market_data (msg), "timestamp");

      /* Delivered when due, never before. */
      g_assert_cmpint (ts, <=, g_get_real_time () / 1000);
      if (prev_ts > 0)
        {
          g_assert_cmpint (ts, >, prev_ts);
          g_assert_cmpint ((ts - prev_ts) % 2, ==, 0);
        }
      prev_ts = ts;
    }

  kantor_market_feed_set_state (feed, KANTOR_MARKET_FEED_STATE_DOWN);
  g_assert_cmpint (kantor_market_feed_get_state (feed), ==, KANTOR_MARKET_FEED_STATE_DOWN);
  /* Items already sent may come first; the alert follows them. */
  for (;;)
    {
      g_autoptr(JsonObject) msg = test_client_next (c, TEST_TIMEOUT_S * 1000);

      g_assert_nonnull (msg);
      if (g_strcmp0 (json_object_get_string_member (msg, "type"), "alert") == 0)
        {
          alert = g_steal_pointer (&msg);
          break;
        }
      market_data (msg);
    }
  g_assert_cmpstr (json_object_get_string_member (alert, "alert"), ==, "feed_down");
  g_assert_cmpstr (json_object_get_string_member (alert, "feed"), ==, "synthetic");
  g_assert_cmpstr (json_object_get_string_member (alert, "state"), ==, "down");
  g_assert_true (json_object_get_null_member (alert, "session_id"));
  g_clear_pointer (&alert, json_object_unref);

  /* Down for several data-gap times: only health reports, saying down. */
  kantor_stream_hub_set_data_gap (hub, 20);
  kantor_stream_hub_set_health_interval (hub, 10);
  while (n_health < 6)
    {
      g_autoptr(JsonObject) msg = next_item (c);

      g_assert_cmpstr (json_object_get_string_member (msg, "type"), ==, "data");
      g_assert_cmpstr (health_feed_state (msg), ==, "down");
      n_health++;
    }
  kantor_stream_hub_set_health_interval (hub, 0);
  assert_quiet (c);

  restored_ms = g_get_real_time () / 1000;
  kantor_market_feed_set_state (feed, KANTOR_MARKET_FEED_STATE_RUNNING);
  g_assert_cmpint (kantor_market_feed_get_state (feed), ==, KANTOR_MARKET_FEED_STATE_RUNNING);
  alert = test_client_next (c, TEST_TIMEOUT_S * 1000);
  g_assert_nonnull (alert);
  g_assert_cmpstr (json_object_get_string_member (alert, "type"), ==, "alert");
  g_assert_cmpstr (json_object_get_string_member (alert, "alert"), ==, "feed_restored");
  g_assert_cmpstr (json_object_get_string_member (alert, "state"), ==, "running");
  /* What was due while down is lost: the next items are of the present. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(JsonObject) msg = next_item (c);
      gint64 ts = json_object_get_int_member (market_data (msg), "timestamp");

      g_assert_cmpint (ts, >=, restored_ms);
      g_assert_cmpint ((ts - prev_ts) % 2, ==, 0);
      prev_ts = ts;
    }
  {
    g_autoptr(JsonObject) msg = NULL;

    kantor_market_feed_set_state (feed, KANTOR_MARKET_FEED_STATE_RUNNING);  /* no change */
    kantor_stream_hub_publish_health (hub);
    /* Items keep coming; the report is among them, and no other alert. */
    for (;;)
      {
        msg = next_item (c);
        if (g_strcmp0 (json_object_get_string_member (msg, "stream"), "health") == 0)
          break;
        market_data (msg);
        g_clear_pointer (&msg, json_object_unref);
      }
    g_assert_cmpstr (health_feed_state (msg), ==, "running");
  }

  g_clear_pointer (&c, test_client_free);
  kantor_stream_api_register (f->ts.server, f->hub);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/kantor/api/streams/" path, Fixture, NULL, setup, func, teardown)
  ADD ("seeding", test_seeding);
  ADD ("seeding-all-symbols", test_seeding_all_symbols);
  ADD ("filters-and-seq", test_filters_and_seq);
  ADD ("same-bytes", test_same_bytes);
  ADD ("resume", test_resume);
  ADD ("unsubscribe", test_unsubscribe);
  ADD ("validation", test_validation);
  ADD ("alerts-and-health", test_alerts_and_health);
  ADD ("never-reads", test_never_reads);
  ADD ("slow-consumer-alert", test_slow_consumer_alert);
  ADD ("feed", test_feed);
  ADD ("feed-outage", test_feed_outage);
#undef ADD

  return g_test_run ();
}
