/* monitor-fixture.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-stream-api.h"
#include "monitor-fixture.h"

void
monitor_fixture_add (const char         *path,
                     MonitorFixtureFunc  setup,
                     MonitorFixtureFunc  test)
{
  g_test_add_vtable (path, sizeof (MonitorFixture), NULL,
                     (GTestFixtureFunc) (setup != NULL ? setup : monitor_fixture_setup),
                     (GTestFixtureFunc) test, (GTestFixtureFunc) monitor_fixture_teardown);
}

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
  monitor_client_release (&f->client);
  test_server_teardown (&f->ts);
  g_assert_finalize_object (f->hub);
}

void
monitor_fixture_login (MonitorFixture *f)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = monitor_client_connect (f->client, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  ok = monitor_client_login (f->client, TEST_USER, TEST_PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
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

JsonObject *
monitor_fixture_request (MonitorFixture *f,
                         const char     *type,
                         JsonObject     *fields,
                         GError        **error)
{
  return monitor_client_request (f->client, type, fields, error);
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

/* Waiting on the client's calls ------------------------------------------- */

void
monitor_client_release (KantorMonitorClient **client)
{
  GObject *weak = G_OBJECT (*client);

  kantor_monitor_client_disconnect (*client);
  g_assert_cmpint (kantor_monitor_client_get_state (*client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);
  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  g_clear_object (client);
  WAIT_UNTIL (weak == NULL);
}

void
monitor_keep_result (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

GAsyncResult *
monitor_wait_result (GAsyncResult **slot)
{
  WAIT_UNTIL (*slot != NULL);
  return *slot;
}

gboolean
monitor_client_connect (KantorMonitorClient  *client,
                        GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kantor_monitor_client_connect_async (client, NULL, monitor_keep_result, &result);
  return kantor_monitor_client_connect_finish (client, monitor_wait_result (&result), error);
}

gboolean
monitor_client_login (KantorMonitorClient  *client,
                      const char           *username,
                      const char           *password,
                      GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kantor_monitor_client_login_async (client, username, password, NULL, monitor_keep_result,
                                     &result);
  return kantor_monitor_client_login_finish (client, monitor_wait_result (&result), error);
}

gboolean
monitor_client_auth (KantorMonitorClient  *client,
                     const char           *token,
                     GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kantor_monitor_client_auth_async (client, token, NULL, monitor_keep_result, &result);
  return kantor_monitor_client_auth_finish (client, monitor_wait_result (&result), error);
}

JsonObject *
monitor_client_subscribe (KantorMonitorClient  *client,
                          const char           *stream,
                          JsonObject           *params,
                          GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kantor_monitor_client_subscribe_async (client, stream, params, NULL, monitor_keep_result,
                                         &result);
  return kantor_monitor_client_subscribe_finish (client, monitor_wait_result (&result), error);
}

JsonObject *
monitor_client_request (KantorMonitorClient  *client,
                        const char           *type,
                        JsonObject           *fields,
                        GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kantor_monitor_client_request_async (client, type, fields, NULL, monitor_keep_result, &result);
  return kantor_monitor_client_request_finish (client, monitor_wait_result (&result), error);
}
