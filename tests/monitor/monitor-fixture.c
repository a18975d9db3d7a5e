/* monitor-fixture.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-stream-api.h"
#include "monitor-fixture.h"

void
monitor_fixture_setup (MonitorFixture *f,
                       gconstpointer   data)
{
  g_autofree char *url = NULL;

  test_server_setup (&f->ts, FALSE);
  test_server_add_managers (&f->ts, 50);
  f->hub = kantor_stream_hub_new (NULL, NULL);
  kantor_stream_hub_set_health_interval (f->hub, 0);
  kantor_stream_hub_follow_sessions (f->hub, f->ts.sessions);
  kantor_stream_api_register (f->ts.server, f->hub);
  f->time_ms = 1764090000000;

  url = test_server_url (&f->ts, "/ws");
  f->client = kantor_monitor_client_new (url);
  /* Short, so that reconnect tests take milliseconds, not seconds. */
  kantor_monitor_client_set_reconnect_delays (f->client, 10, 200);
}

void
monitor_fixture_teardown (MonitorFixture *f,
                          gconstpointer   data)
{
  GObject *client = G_OBJECT (f->client);

  kantor_monitor_client_disconnect (f->client);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);
  /* Requests completing in idles may hold it a moment longer. */
  g_object_add_weak_pointer (client, (gpointer *) &client);
  g_clear_object (&f->client);
  WAIT_UNTIL (client == NULL);

  test_server_teardown (&f->ts);
  g_assert_finalize_object (f->hub);
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Wait;

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Wait *w = user_data;

  w->ok = kantor_monitor_client_connect_finish (KANTOR_MONITOR_CLIENT (source), result,
                                                &w->error);
  w->done = TRUE;
}

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Wait *w = user_data;

  w->ok = kantor_monitor_client_login_finish (KANTOR_MONITOR_CLIENT (source), result, &w->error);
  w->done = TRUE;
}

void
monitor_fixture_login (MonitorFixture *f)
{
  Wait w = { 0 };

  kantor_monitor_client_connect_async (f->client, NULL, connect_cb, &w);
  WAIT_UNTIL (w.done);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);

  w = (Wait) { 0 };
  kantor_monitor_client_login_async (f->client, TEST_USER, TEST_PASSWORD, NULL, login_cb, &w);
  WAIT_UNTIL (w.done);
  g_assert_no_error (w.error);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
}

guint64
monitor_fixture_trade (MonitorFixture *f,
                       const char     *symbol,
                       double          price,
                       double          bid,
                       double          ask)
{
  KantorMarketEvent ev = { 0 };

  if (bid > 0)
    {
      ev.kind = KANTOR_EVENT_BOOK;
      ev.symbol = g_intern_string (symbol);
      ev.time_ms = ++f->time_ms;
      ev.bids[0].price = bid;
      ev.bids[0].qty = 1;
      ev.asks[0].price = ask;
      ev.asks[0].qty = 1;
      kantor_stream_hub_publish_market_event (f->hub, &ev);
    }

  ev = (KantorMarketEvent) { 0 };
  ev.kind = KANTOR_EVENT_TRADE;
  ev.symbol = g_intern_string (symbol);
  ev.time_ms = ++f->time_ms;
  ev.price = price;
  ev.volume = 0.5;
  return kantor_stream_hub_publish_market_event (f->hub, &ev);
}

typedef struct
{
  gboolean    done;
  JsonObject *reply;
  GError     *error;
} RequestWait;

static void
request_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  RequestWait *w = user_data;

  w->reply = kantor_monitor_client_request_finish (KANTOR_MONITOR_CLIENT (source), result,
                                                   &w->error);
  w->done = TRUE;
}

JsonObject *
monitor_fixture_request (MonitorFixture *f,
                         const char     *type,
                         JsonObject     *fields,
                         GError        **error)
{
  RequestWait w = { 0 };

  kantor_monitor_client_request_async (f->client, type, fields, NULL, request_cb, &w);
  WAIT_UNTIL (w.done);
  if (w.error != NULL)
    g_propagate_error (error, w.error);
  return w.reply;
}

void
monitor_fixture_drop_all (MonitorFixture *f,
                          gushort         code)
{
  g_autoptr(GPtrArray) connections = kantor_server_dup_connections (f->ts.server);

  g_assert_cmpuint (connections->len, >, 0);
  for (guint i = 0; i < connections->len; i++)
    kantor_client_connection_close (g_ptr_array_index (connections, i), code, "Test drop");
}
