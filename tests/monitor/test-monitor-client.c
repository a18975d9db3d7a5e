/* test-monitor-client.c: the monitor's client against a real server on a
 * loopback port: login, requests and replies, errors, cancellation, token
 * refresh, streams and reconnecting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "monitor-fixture.h"

static gboolean
set_true (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
connect_only (MonitorFixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  kantor_monitor_client_connect_async (f->client, NULL, monitor_keep_result, &result);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_CONNECTING);
  ok = kantor_monitor_client_connect_finish (f->client, monitor_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_CONNECTED);
}

/* Connecting, a refused password (nothing changes), then the right one. */
static void
test_login (MonitorFixture *f,
            gconstpointer   data)
{
  g_autoptr(GError) error = NULL;
  guint notifies = 0;
  gboolean ok;

  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);
  g_assert_null (kantor_monitor_client_get_server_version (f->client));

  connect_only (f);
  g_assert_cmpstr (kantor_monitor_client_get_server_version (f->client), ==, PACKAGE_VERSION);
  g_assert_null (kantor_monitor_client_get_user (f->client));

  ok = monitor_client_login (f->client, TEST_USER, "wrong password", &error);
  g_assert_error (error, KANTOR_MONITOR_CLIENT_ERROR,
                  KANTOR_MONITOR_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_assert_cmpstr (kantor_monitor_client_error_get_code (error), ==, "invalid_credentials");
  g_assert_false (ok);
  g_clear_error (&error);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_CONNECTED);
  g_assert_cmpint (kantor_monitor_client_get_expires_at (f->client), ==, 0);

  g_signal_connect_swapped (f->client, "notify::state", G_CALLBACK (g_atomic_int_inc), &notifies);
  ok = monitor_client_login (f->client, TEST_USER, TEST_PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  g_assert_cmpuint (notifies, ==, 1);
  g_assert_cmpstr (kantor_monitor_client_get_user (f->client), ==, TEST_USER);
  /* A day ahead, as the server grants by default. */
  g_assert_cmpint (kantor_monitor_client_get_expires_at (f->client), >,
                   g_get_real_time () / G_USEC_PER_SEC + 3600);
  g_signal_handlers_disconnect_matched (f->client, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL,
                                        &notifies);
}

/* A server that is not there: the connect fails and nothing retries. */
static void
test_connect_refused (MonitorFixture *f,
                      gconstpointer   data)
{
  g_autoptr(KantorMonitorClient) client = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint16 port;

  /* A port that was free a moment ago. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("ws://127.0.0.1:%u/ws", port);
  client = kantor_monitor_client_new (url);
  g_assert_cmpstr (kantor_monitor_client_get_url (client), ==, url);

  g_assert_false (monitor_client_connect (client, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);
  g_assert_cmpint (kantor_monitor_client_get_state (client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED);

  /* Not a WebSocket address. */
  g_clear_object (&client);
  client = kantor_monitor_client_new ("http://127.0.0.1:1/");
  g_assert_false (monitor_client_connect (client, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* Requests complete with the reply that echoes their id, also when
 * several are in flight and broadcasts come between. */
static void
test_request_reply (MonitorFixture *f,
                    gconstpointer   data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) pong = NULL;
  g_autoptr(JsonObject) strategies = NULL;
  g_autoptr(JsonObject) refused = NULL;

  connect_only (f);

  /* Before authentication: heartbeat is allowed, the rest is not. */
  pong = monitor_fixture_request (f, "heartbeat", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (pong, "type"), ==, "status");
  g_assert_cmpstr (json_object_get_string_member (pong, "status"), ==, "pong");
  refused = monitor_fixture_request (f, "get_strategies", NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, KANTOR_MONITOR_CLIENT_ERROR,
                  KANTOR_MONITOR_CLIENT_ERROR_AUTHENTICATION_REQUIRED);
  g_clear_error (&error);

  g_clear_object (&f->client);
  {
    g_autofree char *url = test_server_url (&f->ts, "/ws");

    f->client = kantor_monitor_client_new (url);
  }
  monitor_fixture_login (f);
  strategies = monitor_fixture_request (f, "get_strategies", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (strategies, "type"), ==, "response");
  g_assert_cmpstr (json_object_get_string_member (strategies, "status"), ==, "strategies_list");
  g_assert_true (json_object_has_member (strategies, "data"));
}

typedef struct
{
  guint       left;
  GPtrArray  *replies;
} Many;

static void
many_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Many *m = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *reply = kantor_monitor_client_request_finish (KANTOR_MONITOR_CLIENT (source),
                                                            result, &error);

  g_assert_no_error (error);
  g_ptr_array_add (m->replies, reply);
  m->left--;
}

/* Twenty requests of different kinds in flight at once; each completes
 * with its own reply. */
static void
test_concurrent (MonitorFixture *f,
                 gconstpointer   data)
{
  Many m = { 20, g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref) };
  g_autoptr(GHashTable) statuses = g_hash_table_new (g_str_hash, g_str_equal);

  monitor_fixture_login (f);
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(JsonObject) fields = json_object_new ();

      if (i % 2 == 0)
        kantor_monitor_client_request_async (f->client, "heartbeat", NULL, NULL, many_cb, &m);
      else
        {
          json_object_set_string_member (fields, "strategy_name", "pump_rider");
          kantor_monitor_client_request_async (f->client, "get_strategy_status", fields, NULL,
                                               many_cb, &m);
        }
    }
  WAIT_UNTIL (m.left == 0);
  for (guint i = 0; i < m.replies->len; i++)
    {
      JsonObject *reply = g_ptr_array_index (m.replies, i);
      const char *status = json_object_get_string_member (reply, "status");

      g_hash_table_add (statuses, (gpointer) status);
    }
  /* Both kinds answered, ten of each. */
  g_assert_cmpuint (g_hash_table_size (statuses), ==, 2);
  g_assert_true (g_hash_table_contains (statuses, "pong"));
  g_ptr_array_unref (m.replies);
}

/* Error replies become GErrors with the protocol's code and details. */
static void
test_error_reply (MonitorFixture *f,
                  gconstpointer   data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) start = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *details;
  JsonObject *config = json_object_new ();
  JsonArray *symbols = json_array_new ();

  monitor_fixture_login (f);

  json_object_set_string_member (fields, "session_id", "no-such-session");
  reply = monitor_fixture_request (f, "session_status", fields, &error);
  g_assert_null (reply);
  g_assert_error (error, KANTOR_MONITOR_CLIENT_ERROR,
                  KANTOR_MONITOR_CLIENT_ERROR_SESSION_NOT_FOUND);
  g_assert_cmpstr (kantor_monitor_client_error_get_code (error), ==, "session_not_found");
  g_assert_cmpstr (error->message, !=, "");
  g_clear_error (&error);

  /* A field of the wrong type: validation_error naming it. */
  json_array_add_string_element (symbols, "BTCUSDT");
  json_object_set_array_member (config, "holder", symbols);
  json_object_set_int_member (start, "session_type", 3);
  json_object_set_object_member (start, "strategy_config", config);
  reply = monitor_fixture_request (f, "session_start", start, &error);
  g_assert_null (reply);
  g_assert_error (error, KANTOR_MONITOR_CLIENT_ERROR, KANTOR_MONITOR_CLIENT_ERROR_VALIDATION);
  g_assert_cmpstr (kantor_monitor_client_error_get_code (error), ==, "validation_error");
  details = kantor_monitor_client_error_get_details (error);
  g_assert_nonnull (details);
  g_assert_cmpstr (json_object_get_string_member (details, "field"), ==, "session_type");

  /* The private data survives a copy. */
  {
    g_autoptr(GError) copy = g_error_copy (error);

    g_assert_cmpstr (kantor_monitor_client_error_get_code (copy), ==, "validation_error");
    g_assert_true (kantor_monitor_client_error_get_details (copy) == details);
  }
  g_clear_error (&error);

  /* A type the server has no route for. */
  reply = monitor_fixture_request (f, "no_such_type", NULL, &error);
  g_assert_error (error, KANTOR_MONITOR_CLIENT_ERROR,
                  KANTOR_MONITOR_CLIENT_ERROR_UNKNOWN_MESSAGE_TYPE);
  g_clear_error (&error);

  /* A local error carries no code. */
  kantor_monitor_client_disconnect (f->client);
  reply = monitor_fixture_request (f, "heartbeat", NULL, &error);
  g_assert_error (error, KANTOR_MONITOR_CLIENT_ERROR, KANTOR_MONITOR_CLIENT_ERROR_NOT_CONNECTED);
  g_assert_null (kantor_monitor_client_error_get_code (error));
}

/* A cancelled request completes with CANCELLED whether or not its reply
 * came; the client goes on working. */
static void
test_cancel (MonitorFixture *f,
             gconstpointer   data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) early = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) pong = NULL;
  g_autoptr(GError) error = NULL;

  monitor_fixture_login (f);

  kantor_monitor_client_request_async (f->client, "heartbeat", NULL, cancellable,
                                       monitor_keep_result, &result);
  g_cancellable_cancel (cancellable);
  g_assert_null (kantor_monitor_client_request_finish (f->client, monitor_wait_result (&result),
                                                       &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);

  g_cancellable_cancel (early);
  kantor_monitor_client_request_async (f->client, "heartbeat", NULL, early, monitor_keep_result,
                                       &result);
  g_assert_null (kantor_monitor_client_request_finish (f->client, monitor_wait_result (&result),
                                                       &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  pong = monitor_fixture_request (f, "heartbeat", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (pong, "status"), ==, "pong");
}

/* auth with an access token; a forged one is refused. */
static void
test_auth_token (MonitorFixture *f,
                 gconstpointer   data)
{
  g_autoptr(KantorAuthGrant) grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  g_autofree char *forged = g_strconcat (grant->access_token, "x", NULL);
  g_autoptr(GError) error = NULL;

  connect_only (f);
  g_assert_false (monitor_client_auth (f->client, forged, &error));
  g_assert_error (error, KANTOR_MONITOR_CLIENT_ERROR, KANTOR_MONITOR_CLIENT_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_CONNECTED);

  g_assert_true (monitor_client_auth (f->client, grant->access_token, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  g_assert_cmpstr (kantor_monitor_client_get_user (f->client), ==, TEST_USER);
}

/* With a short access-token lifetime the client renews the pair ahead of
 * expiry, on its own, and stays authenticated. */
static void
test_refresh (MonitorFixture *f,
              gconstpointer   data)
{
  g_autoptr(JsonObject) pong = NULL;
  g_autoptr(GError) error = NULL;
  gint64 first;

  /* Renewed at the latest a minute before expiry: here after 2 s. */
  kantor_auth_set_access_ttl (f->ts.auth, 62);
  monitor_fixture_login (f);
  first = kantor_monitor_client_get_expires_at (f->client);
  g_assert_cmpint (first, <=, g_get_real_time () / G_USEC_PER_SEC + 62);

  WAIT_UNTIL (kantor_monitor_client_get_expires_at (f->client) > first);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  pong = monitor_fixture_request (f, "get_strategies", NULL, &error);
  g_assert_no_error (error);
}

typedef struct
{
  GArray *seqs;
  GArray *prices;
} Items;

static void
on_market_data (KantorMonitorClient *client,
                const char          *stream,
                JsonObject          *msg,
                Items               *items)
{
  guint64 seq = (guint64) json_object_get_int_member (msg, "seq");
  double price = json_object_get_double_member (json_object_get_object_member (msg,
                                                                               "market_data"),
                                                "price");

  g_assert_cmpstr (stream, ==, "market_data");
  g_array_append_val (items->seqs, seq);
  g_array_append_val (items->prices, price);
}

/* The server drops the connection: the client reconnects, logs in again
 * with its token, resubscribes from the last seq it saw and so gets every
 * item published meanwhile exactly once. Pending requests fail with
 * CLOSED. */
static void
test_reconnect (MonitorFixture *f,
                gconstpointer   data)
{
  Items items = { g_array_new (FALSE, FALSE, sizeof (guint64)),
                  g_array_new (FALSE, FALSE, sizeof (double)) };
  g_autoptr(JsonObject) params = json_object_new ();
  JsonArray *symbols = json_array_new ();
  g_autoptr(JsonObject) pong = NULL;
  g_autoptr(JsonObject) subscribed = NULL;
  g_autoptr(JsonObject) pending_reply = NULL;
  g_autoptr(GAsyncResult) pending = NULL;
  g_autoptr(GError) error = NULL;
  guint64 first_seq, last_seq = 0;

  monitor_fixture_login (f);
  g_signal_connect (f->client, "stream-item::market_data", G_CALLBACK (on_market_data), &items);

  json_array_add_string_element (symbols, "BTCUSDT");
  json_object_set_array_member (params, "symbols", symbols);
  subscribed = monitor_client_subscribe (f->client, "market_data", params, &error);
  g_assert_no_error (error);
  g_assert_nonnull (subscribed);
  g_assert_true (kantor_monitor_client_is_subscribed (f->client, "market_data"));

  first_seq = monitor_fixture_trade (f, "BTCUSDT", 50000, 0, 0);
  monitor_fixture_trade (f, "BTCUSDT", 50001, 0, 0);
  WAIT_UNTIL (items.seqs->len == 2);
  g_assert_cmpuint (kantor_monitor_client_get_last_seq (f->client, "market_data"), ==,
                    first_seq + 1);

  /* A request in flight when the connection goes. */
  kantor_monitor_client_request_async (f->client, "heartbeat", NULL, NULL, monitor_keep_result,
                                       &pending);
  monitor_fixture_drop_all (f, 1011);
  WAIT_UNTIL (kantor_monitor_client_get_state (f->client) !=
              KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  pending_reply = kantor_monitor_client_request_finish (f->client, monitor_wait_result (&pending),
                                                        &error);
  /* Either the pong made it before the close, or the request failed. */
  if (pending_reply == NULL)
    g_assert_error (error, KANTOR_MONITOR_CLIENT_ERROR, KANTOR_MONITOR_CLIENT_ERROR_CLOSED);
  g_clear_error (&error);

  /* Published while the client is away: fewer than a seed holds, so a
   * resubscription without resume_from would repeat older items. */
  for (guint i = 0; i < 3; i++)
    last_seq = monitor_fixture_trade (f, "BTCUSDT", 50010 + i, 0, 0);

  WAIT_UNTIL (kantor_monitor_client_get_state (f->client) ==
              KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  g_assert_cmpuint (kantor_monitor_client_get_n_reconnects (f->client), ==, 1);
  g_assert_cmpstr (kantor_monitor_client_get_user (f->client), ==, TEST_USER);
  WAIT_UNTIL (items.seqs->len >= 5);

  /* And the live flow goes on. */
  last_seq = monitor_fixture_trade (f, "BTCUSDT", 50100, 0, 0);
  WAIT_UNTIL (items.seqs->len >= 6 && g_array_index (items.prices, double,
                                                     items.seqs->len - 1) == 50100);
  g_assert_cmpuint (items.seqs->len, ==, 6);

  /* Every item exactly once, in order. */
  for (guint i = 0; i < items.seqs->len; i++)
    g_assert_cmpuint (g_array_index (items.seqs, guint64, i), ==, first_seq + i);
  g_assert_cmpuint (g_array_index (items.seqs, guint64, 5), ==, last_seq);
  g_assert_cmpfloat (g_array_index (items.prices, double, 2), ==, 50010);

  pong = monitor_fixture_request (f, "heartbeat", NULL, &error);
  g_assert_no_error (error);

  g_signal_handlers_disconnect_by_data (f->client, &items);
  g_array_unref (items.seqs);
  g_array_unref (items.prices);
}

/* A server that goes away and comes back on the same port: the client
 * keeps trying, with backoff, until it is there again. */
static void
test_reconnect_backoff (MonitorFixture *f,
                        gconstpointer   data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) pong = NULL;
  guint connecting = 0;

  monitor_fixture_login (f);
  kantor_server_shutdown (f->ts.server, 1001, "Going away");
  WAIT_UNTIL (kantor_monitor_client_get_state (f->client) ==
              KANTOR_MONITOR_CLIENT_STATE_CONNECTING);

  /* Several attempts fail while nothing listens. */
  g_signal_connect_swapped (f->client, "notify::state", G_CALLBACK (g_atomic_int_inc),
                            &connecting);
  WAIT_UNTIL (connecting >= 6);
  g_signal_handlers_disconnect_by_data (f->client, &connecting);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), !=,
                   KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);

  kantor_server_listen (f->ts.server, "127.0.0.1", f->ts.port, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (kantor_monitor_client_get_state (f->client) ==
              KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  pong = monitor_fixture_request (f, "heartbeat", NULL, &error);
  g_assert_no_error (error);
}


/* The refresh token revoked meanwhile (a logout elsewhere): the renewal is
 * refused and the client says so, connected but with no user. */
static void
test_refresh_refused (MonitorFixture *f,
                      gconstpointer   data)
{
  g_autoptr(KantorAuthGrant) grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  g_autoptr(TestClient) other = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(GError) error = NULL;
  guint user_notifies = 0;

  kantor_auth_set_access_ttl (f->ts.auth, 62);
  monitor_fixture_login (f);
  g_signal_connect_swapped (f->client, "notify::user", G_CALLBACK (g_atomic_int_inc),
                            &user_notifies);

  /* Every refresh token of the user, the client's included. */
  other = test_client_open (&f->ts, grant->access_token);
  out = test_client_call (other, "o", "{\"id\": \"o\", \"type\": \"logout\"}");
  test_assert_response (out, "logged_out");

  WAIT_UNTIL (kantor_monitor_client_get_state (f->client) ==
              KANTOR_MONITOR_CLIENT_STATE_CONNECTED);
  g_assert_null (kantor_monitor_client_get_user (f->client));
  g_assert_cmpuint (user_notifies, ==, 1);
  g_assert_cmpint (kantor_monitor_client_get_expires_at (f->client), ==, 0);
  /* The connection itself stays. */
  refused = monitor_fixture_request (f, "heartbeat", NULL, &error);
  g_assert_no_error (error);
  g_signal_handlers_disconnect_by_data (f->client, &user_notifies);
}

/* A peer that completes the upgrade, says connected, then never answers:
 * what a server whose host vanished looks like. It records what arrives. */
typedef struct
{
  GSocketService *service;
  GPtrArray      *connections;
  GByteArray     *request;
  GCancellable   *cancellable;
  guint           n_accepted;
  gsize           bytes_after_upgrade;
  gboolean        upgraded;
} Silent;

static void silent_read (Silent *s, GSocketConnection *connection);

static void
silent_upgrade (Silent            *s,
                GSocketConnection *connection)
{
  g_autofree char *text = g_strndup ((const char *) s->request->data, s->request->len);
  g_autofree char *accept = NULL;
  g_autofree char *response = NULL;
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  static const char connected[] =
    "{\"version\":\"1.0\",\"type\":\"status\",\"status\":\"connected\","
    "\"server_version\":\"silent\",\"authenticated\":false}";
  const char *key = strstr (text, "Sec-WebSocket-Key: ");
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  guint8 header[2] = { 0x81, sizeof connected - 1 };
  g_autofree char *key_value = NULL;

  g_assert_nonnull (key);
  key += strlen ("Sec-WebSocket-Key: ");
  key_value = g_strndup (key, strcspn (key, "\r\n"));
  g_checksum_update (sha1, (const guchar *) key_value, -1);
  g_checksum_update (sha1, (const guchar *) "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", -1);
  g_checksum_get_digest (sha1, digest, &digest_len);
  accept = g_base64_encode (digest, digest_len);
  response = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                              accept);
  g_assert_true (g_output_stream_write_all (out, response, strlen (response), NULL, NULL, NULL));
  g_assert_true (g_output_stream_write_all (out, header, 2, NULL, NULL, NULL));
  g_assert_true (g_output_stream_write_all (out, connected, sizeof connected - 1, NULL, NULL,
                                            NULL));
  s->upgraded = TRUE;
}

static void
silent_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GSocketConnection) connection = user_data;
  Silent *s = g_object_get_data (G_OBJECT (connection), "silent");
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                              NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0 || s == NULL)
    return;
  if (!s->upgraded)
    {
      g_byte_array_append (s->request, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      if (g_strstr_len ((const char *) s->request->data, s->request->len, "\r\n\r\n") != NULL)
        silent_upgrade (s, connection);
    }
  else
    s->bytes_after_upgrade += g_bytes_get_size (bytes);
  silent_read (s, connection);
}

static void
silent_read (Silent            *s,
             GSocketConnection *connection)
{
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)), 4096,
                                   G_PRIORITY_DEFAULT, s->cancellable, silent_read_cb,
                                   g_object_ref (connection));
}

static gboolean
silent_incoming (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source,
                 Silent            *s)
{
  g_ptr_array_add (s->connections, g_object_ref (connection));
  g_object_set_data (G_OBJECT (connection), "silent", s);
  g_byte_array_set_size (s->request, 0);
  s->upgraded = FALSE;
  s->n_accepted++;
  silent_read (s, connection);
  return TRUE;
}

static void
close_silent (GSocketConnection *connection)
{
  /* The cancelled read holds the last ref; the socket closes with it. */
  g_object_set_data (G_OBJECT (connection), "silent", NULL);
  g_object_unref (connection);
}

/* A server that goes silent is taken for dead after the keepalive
 * interval and timeout: the client sends heartbeats, then drops the
 * connection and reconnects. A server that answers keeps it. */
static void
test_keepalive (MonitorFixture *f,
                gconstpointer   data)
{
  Silent s = { 0 };
  g_autoptr(KantorMonitorClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  gboolean waited = FALSE;
  guint16 port;

  s.service = g_socket_service_new ();
  s.connections = g_ptr_array_new_with_free_func ((GDestroyNotify) close_silent);
  s.request = g_byte_array_new ();
  s.cancellable = g_cancellable_new ();
  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (s.service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (s.service, "incoming", G_CALLBACK (silent_incoming), &s);
  url = g_strdup_printf ("ws://127.0.0.1:%u/ws", port);

  client = kantor_monitor_client_new (url);
  kantor_monitor_client_set_keepalive (client, 60, 120);
  kantor_monitor_client_set_reconnect_delays (client, 10, 10);
  g_assert_true (monitor_client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (kantor_monitor_client_get_server_version (client), ==, "silent");

  WAIT_UNTIL (kantor_monitor_client_get_state (client) != KANTOR_MONITOR_CLIENT_STATE_CONNECTED);
  /* It asked before giving up. */
  g_assert_cmpuint (s.bytes_after_upgrade, >, 0);
  WAIT_UNTIL (kantor_monitor_client_get_n_reconnects (client) == 1);
  g_assert_cmpuint (s.n_accepted, >=, 2);

  kantor_monitor_client_disconnect (client);
  g_clear_object (&client);
  g_cancellable_cancel (s.cancellable);
  g_clear_object (&s.cancellable);
  g_socket_service_stop (s.service);
  g_socket_listener_close (G_SOCKET_LISTENER (s.service));
  g_ptr_array_unref (s.connections);
  g_byte_array_unref (s.request);
  g_object_unref (s.service);

  /* The real server answers the heartbeats: the connection holds. */
  kantor_monitor_client_set_keepalive (f->client, 30, 60);
  monitor_fixture_login (f);
  g_timeout_add (600, set_true, &waited);
  WAIT_UNTIL (waited);
  g_assert_cmpint (kantor_monitor_client_get_state (f->client), ==,
                   KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED);
  g_assert_cmpuint (kantor_monitor_client_get_n_reconnects (f->client), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  monitor_fixture_add ("/kantor/monitor/client/login", NULL, test_login);
  monitor_fixture_add ("/kantor/monitor/client/connect-refused", NULL, test_connect_refused);
  monitor_fixture_add ("/kantor/monitor/client/request", NULL, test_request_reply);
  monitor_fixture_add ("/kantor/monitor/client/concurrent", NULL, test_concurrent);
  monitor_fixture_add ("/kantor/monitor/client/error", NULL, test_error_reply);
  monitor_fixture_add ("/kantor/monitor/client/cancel", NULL, test_cancel);
  monitor_fixture_add ("/kantor/monitor/client/auth-token", NULL, test_auth_token);
  monitor_fixture_add ("/kantor/monitor/client/refresh", NULL, test_refresh);
  monitor_fixture_add ("/kantor/monitor/client/refresh-refused", NULL, test_refresh_refused);
  monitor_fixture_add ("/kantor/monitor/client/reconnect", NULL, test_reconnect);
  monitor_fixture_add ("/kantor/monitor/client/reconnect-backoff", NULL, test_reconnect_backoff);
  monitor_fixture_add ("/kantor/monitor/client/keepalive", NULL, test_keepalive);

  return g_test_run ();
}
