/* test-utils.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include <glib/gstdio.h>

#include "kantor-password.h"
#include "kantor-session-api.h"
#include "kantor-strategy-api.h"
#include "test-utils.h"

gboolean
test_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

char *
test_make_temp_root (void)
{
  g_autoptr(GError) error = NULL;
  char *root = g_dir_make_tmp ("kantor-test-XXXXXX", &error);

  g_assert_no_error (error);
  return root;
}

char *
test_holder_doc (const char *name)
{
  g_autofree char *member = name != NULL ? g_strdup_printf ("\"strategy_name\": \"%s\",", name)
                                         : g_strdup ("");

  return g_strdup_printf (
    "{%s \"enabled\": true, \"direction\": \"LONG\","
    " \"indicators\": {\"price\": {\"type\": \"PRICE\"}},"
    " \"s1_signal\": {\"conditions\": [{\"id\": \"a\", \"indicatorId\": \"price\","
    "   \"operator\": \">\", \"value\": 0}]},"
    " \"o1_cancel\": {\"conditions\": []},"
    " \"z1_entry\": {\"conditions\": [{\"id\": \"b\", \"indicatorId\": \"price\","
    "   \"operator\": \">\", \"value\": 0}],"
    "   \"positionSize\": {\"type\": \"fixed\", \"value\": 1000},"
    "   \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 50},"
    "   \"takeProfit\": {\"enabled\": false}},"
    " \"ze1_close\": {\"conditions\": []},"
    " \"emergency_exit\": {\"conditions\": [], \"actions\": {\"cancelPending\": false,"
    "   \"closePosition\": false, \"logEvent\": true}},"
    " \"global_limits\": {}}", member);
}

char *
test_data_path (const char *name)
{
  const char *src = g_getenv ("KANTOR_SOURCE_DIR");

  g_assert_nonnull (src);
  return g_build_filename (src, "tests", "data", name, NULL);
}

void
test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;

  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            test_remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

/* Server fixture ---------------------------------------------------------- */

static void
track_connection (KantorServer           *server,
                  KantorClientConnection *connection,
                  TestServer             *ts)
{
  gpointer *slot = g_new0 (gpointer, 1);

  *slot = connection;
  g_object_add_weak_pointer (G_OBJECT (connection), slot);
  g_ptr_array_add (ts->connections, slot);
}

static gboolean
all_finalized (GPtrArray *slots)
{
  for (guint i = 0; i < slots->len; i++)
    if (*(gpointer *) g_ptr_array_index (slots, i) != NULL)
      return FALSE;
  return TRUE;
}

void
test_server_setup (TestServer *ts,
                   gboolean    dev_mode)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;

  memset (ts, 0, sizeof *ts);
  ts->root = test_make_temp_root ();
  ts->state_dir = g_build_filename (ts->root, "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (ts->state_dir, 0700), ==, 0);

  db = g_build_filename (ts->state_dir, "kantor.db", NULL);
  ts->store = kantor_store_new (db, &error);
  g_assert_no_error (error);
  test_seed_user (ts->store, TEST_USER, TEST_PASSWORD);
  ts->auth = kantor_auth_new (ts->store, ts->state_dir, dev_mode, &error);
  g_assert_no_error (error);
  ts->server = kantor_server_new (ts->auth);
  kantor_server_listen (ts->server, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  ts->port = kantor_server_get_port (ts->server);
  g_assert_cmpuint (ts->port, >, 0);

  ts->connections = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (ts->server, "client-connected", G_CALLBACK (track_connection), ts);
}

void
test_server_add_managers (TestServer *ts,
                          double      feed_speed)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *strategies_dir = NULL;

  g_assert_null (ts->sessions);
  ts->config_dir = g_build_filename (ts->root, "config", NULL);
  ts->data_dir = g_build_filename (ts->root, "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (ts->config_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (ts->data_dir, 0700), ==, 0);
  strategies_dir = g_build_filename (ts->config_dir, "strategies", NULL);

  ts->feed = kantor_market_feed_new_synthetic (7);
  kantor_market_feed_set_speed (ts->feed, feed_speed);
  ts->strategies = kantor_strategy_manager_new (strategies_dir, ts->feed, &error);
  g_assert_no_error (error);
  kantor_strategy_api_register (kantor_server_get_router (ts->server), ts->strategies);
  ts->sessions = kantor_session_manager_new (ts->store, ts->strategies, ts->feed, ts->data_dir,
                                             &error);
  g_assert_no_error (error);
  kantor_session_api_register (ts->server, ts->sessions);
}

void
test_server_put_strategy (TestServer *ts,
                          const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) doc = json_from_string (json, &error);

  g_assert_no_error (error);
  kantor_strategy_manager_upsert (ts->strategies, doc, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
release_managers (TestServer *ts)
{
  GObject *sessions = G_OBJECT (ts->sessions);
  GObject *strategies = G_OBJECT (ts->strategies);
  GObject *feed = G_OBJECT (ts->feed);

  if (sessions == NULL)
    return;
  kantor_session_manager_shutdown (ts->sessions);
  g_object_add_weak_pointer (sessions, (gpointer *) &sessions);
  g_object_add_weak_pointer (strategies, (gpointer *) &strategies);
  g_object_add_weak_pointer (feed, (gpointer *) &feed);
  g_clear_object (&ts->sessions);
  WAIT_UNTIL (sessions == NULL);
  g_clear_object (&ts->strategies);
  WAIT_UNTIL (strategies == NULL);
  g_clear_object (&ts->feed);
  WAIT_UNTIL (feed == NULL);
  g_clear_pointer (&ts->config_dir, g_free);
  g_clear_pointer (&ts->data_dir, g_free);
}

void
test_server_teardown (TestServer *ts)
{
  GObject *server = G_OBJECT (ts->server);
  GObject *auth = G_OBJECT (ts->auth);
  GObject *store = G_OBJECT (ts->store);

  kantor_server_shutdown (ts->server, 1001, "Test over");
  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 0);

  /* Everything must be released: a leak check in every test. Pending async
   * work (a login in a worker thread) may hold refs for a moment. */
  g_object_add_weak_pointer (server, (gpointer *) &server);
  g_object_add_weak_pointer (auth, (gpointer *) &auth);
  g_clear_object (&ts->server);
  WAIT_UNTIL (server == NULL);
  /* Every client connection the server ever had is gone too. */
  WAIT_UNTIL (all_finalized (ts->connections));
  g_clear_pointer (&ts->connections, g_ptr_array_unref);
  g_clear_object (&ts->auth);
  WAIT_UNTIL (auth == NULL);
  release_managers (ts);

  kantor_store_close (ts->store);
  g_object_add_weak_pointer (store, (gpointer *) &store);
  g_clear_object (&ts->store);
  WAIT_UNTIL (store == NULL);

  test_remove_tree (ts->root);
  g_clear_pointer (&ts->root, g_free);
  g_clear_pointer (&ts->state_dir, g_free);
}

char *
test_server_url (TestServer *ts,
                 const char *path)
{
  g_autofree char *scheme = NULL;

  scheme = g_str_equal (path, "/ws") || g_str_equal (path, "/") ? g_strdup ("ws")
                                                                : g_strdup ("http");
  return g_strdup_printf ("%s://127.0.0.1:%u%s", scheme, ts->port, path);
}

typedef struct
{
  KantorAuthGrant *grant;
  GError          *error;
  gboolean         done;
} LoginWait;

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  LoginWait *w = user_data;

  w->grant = kantor_auth_login_finish (KANTOR_AUTH (source), result, &w->error);
  w->done = TRUE;
}

KantorAuthGrant *
test_server_login (TestServer *ts,
                   const char *username,
                   const char *password)
{
  LoginWait w = { 0 };

  kantor_auth_login_async (ts->auth, username, password, "127.0.0.1", NULL, login_cb, &w);
  WAIT_UNTIL (w.done);
  g_assert_no_error (w.error);
  g_assert_nonnull (w.grant);
  g_assert_nonnull (w.grant->access_token);
  return w.grant;
}

typedef struct
{
  const char *username;
  const char *password;
} SeedUser;

static gpointer
seed_user_func (KantorStore  *store,
                gpointer      data,
                GError      **error)
{
  SeedUser *user = data;
  g_autofree char *hash = kantor_password_hash_with_iterations (user->password, 1000, error);
  g_autofree char *id = g_uuid_string_random ();
  sqlite3_stmt *stmt;

  if (hash == NULL)
    return NULL;

  /* The columns of schema version 1 (kantor-store.c). */
  stmt = kantor_store_prepare (store,
                               "INSERT INTO users (id, username, password_hash, permissions, "
                               "created_at) VALUES (?, ?, ?, '[]', ?)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, user->username, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  if (kantor_store_step (store, stmt, error) == 0)
    return NULL;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return GINT_TO_POINTER (TRUE);
}

void
test_seed_user (KantorStore *store,
                const char  *username,
                const char  *password)
{
  g_autoptr(GError) error = NULL;
  SeedUser user = { username, password };

  g_assert_nonnull (kantor_store_run_sync (store, seed_user_func, &user, &error));
  g_assert_no_error (error);
}

void
test_seed_root (const char *root)
{
  g_autofree char *state = g_build_filename (root, "state", NULL);
  g_autofree char *db = g_build_filename (state, "kantor.db", NULL);
  g_autoptr(KantorStore) store = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (state, 0700), ==, 0);
  store = kantor_store_new (db, &error);
  g_assert_no_error (error);
  test_seed_user (store, TEST_USER, TEST_PASSWORD);
  kantor_store_close (store);
}

/* WebSocket client ------------------------------------------------------ */

SoupSession *
test_session_new (void)
{
  SoupSession *session = soup_session_new ();

  /* Loopback only: no system proxy settings (which would need GSettings
   * schemas that a build machine may not have). */
  soup_session_set_proxy_resolver (session, NULL);
  return session;
}

static void
client_on_message (SoupWebsocketConnection *ws,
                   gint                     type,
                   GBytes                  *message,
                   TestClient              *c)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  g_queue_push_tail (&c->received, json_node_copy (json_parser_get_root (parser)));
  g_queue_push_tail (&c->raw, g_strndup (data, len));
}

static void
client_on_closed (SoupWebsocketConnection *ws,
                  TestClient              *c)
{
  c->closed = TRUE;
  c->close_code = soup_websocket_connection_get_close_code (ws);
}

typedef struct
{
  TestClient *client;
  gboolean    done;
  SoupMessage *msg;
} ConnectWait;

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConnectWait *w = user_data;
  TestClient *c = w->client;

  c->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &c->error);
  w->done = TRUE;
}

TestClient *
test_client_connect (const char *url,
                     const char *bearer)
{
  TestClient *c = g_new0 (TestClient, 1);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);
  ConnectWait w = { c, FALSE, msg };

  g_queue_init (&c->received);
  g_queue_init (&c->raw);
  c->session = test_session_new ();

  if (bearer != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", bearer);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    value);
    }

  soup_session_websocket_connect_async (c->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        connect_cb, &w);
  WAIT_UNTIL (w.done);

  if (c->ws == NULL)
    {
      c->http_status = soup_message_get_status (msg);
      c->closed = TRUE;
      return c;
    }

  /* Replies are small, but a test may ask for big ones. */
  soup_websocket_connection_set_max_incoming_payload_size (c->ws, 4 * 1024 * 1024);
  g_signal_connect (c->ws, "message", G_CALLBACK (client_on_message), c);
  g_signal_connect (c->ws, "closed", G_CALLBACK (client_on_closed), c);
  return c;
}

TestClient *
test_client_open (TestServer *ts,
                  const char *bearer)
{
  g_autofree char *url = test_server_url (ts, "/ws");
  TestClient *c = test_client_connect (url, bearer);
  g_autoptr(JsonObject) connected = NULL;

  g_assert_no_error (c->error);
  g_assert_nonnull (c->ws);
  connected = test_client_receive (c, TEST_TIMEOUT_S * 1000);
  g_assert_nonnull (connected);
  test_assert_envelope (connected, "status");
  g_assert_cmpstr (json_object_get_string_member (connected, "status"), ==, "connected");
  g_assert_false (json_object_has_member (connected, "id"));
  g_assert_cmpint (json_object_get_boolean_member (connected, "authenticated"), ==,
                   bearer != NULL);
  return c;
}

void
test_client_free (TestClient *c)
{
  if (c == NULL)
    return;

  g_queue_clear_full (&c->stash, (GDestroyNotify) json_object_unref);

  if (c->ws != NULL)
    {
      if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      WAIT_UNTIL (c->closed);
      g_signal_handlers_disconnect_by_data (c->ws, c);
      g_clear_object (&c->ws);
    }
  g_queue_clear_full (&c->received, (GDestroyNotify) json_node_unref);
  g_queue_clear_full (&c->raw, g_free);
  g_clear_object (&c->session);
  g_clear_error (&c->error);
  g_free (c);
}

void
test_client_send (TestClient *c,
                  const char *text)
{
  g_assert_nonnull (c->ws);
  g_assert_cmpint (soup_websocket_connection_get_state (c->ws), ==, SOUP_WEBSOCKET_STATE_OPEN);
  soup_websocket_connection_send_text (c->ws, text);
}

void
test_client_send_printf (TestClient *c,
                         const char *format,
                         ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  test_client_send (c, text);
}

static gboolean
receive_ready (TestClient *c,
               gint64      deadline)
{
  return !g_queue_is_empty (&c->received) || c->closed || g_get_monotonic_time () > deadline;
}

JsonObject *
test_client_receive (TestClient *c,
                     guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *raw = NULL;

  WAIT_UNTIL (receive_ready (c, deadline));

  node = g_queue_pop_head (&c->received);
  raw = g_queue_pop_head (&c->raw);
  if (node == NULL)
    return NULL;

  return json_object_ref (json_node_get_object (node));
}

JsonObject *
test_client_call (TestClient *c,
                  const char *id,
                  const char *text)
{
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;

  test_client_send (c, text);
  for (;;)
    {
      JsonObject *msg;
      gint64 left = deadline - g_get_monotonic_time ();

      if (left <= 0 || (msg = test_client_receive (c, (guint) (left / 1000) + 1)) == NULL)
        g_error ("No reply to %s", text);
      if (g_strcmp0 (json_object_get_string_member_with_default (msg, "id", NULL), id) == 0)
        return msg;
      g_queue_push_tail (&c->stash, msg);
    }
}

JsonObject *
test_client_callf (TestClient *c,
                   const char *format,
                   ...)
{
  static guint next_id;
  g_autofree char *body = NULL;
  g_autofree char *id = g_strdup_printf ("t%u", ++next_id);
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  body = g_strdup_vprintf (format, args);
  va_end (args);
  text = g_strdup_printf ("{\"id\": \"%s\", %s}", id, body);
  return test_client_call (c, id, text);
}

JsonObject *
test_client_next (TestClient *c,
                  guint       timeout_ms)
{
  if (!g_queue_is_empty (&c->stash))
    return g_queue_pop_head (&c->stash);
  return test_client_receive (c, timeout_ms);
}

JsonObject *
test_client_request (TestClient *c,
                     const char *text)
{
  JsonObject *reply;

  test_client_send (c, text);
  reply = test_client_receive (c, TEST_TIMEOUT_S * 1000);
  if (reply == NULL)
    g_error ("No reply to %s", text);
  return reply;
}

gushort
test_client_wait_closed (TestClient *c)
{
  WAIT_UNTIL (c->closed);
  return c->close_code;
}

void
test_assert_envelope (JsonObject *msg,
                      const char *type)
{
  const char *ts;

  g_assert_nonnull (msg);
  g_assert_cmpstr (json_object_get_string_member_with_default (msg, "version", NULL), ==, "1.0");
  g_assert_cmpstr (json_object_get_string_member_with_default (msg, "type", NULL), ==, type);
  ts = json_object_get_string_member_with_default (msg, "timestamp", NULL);
  g_assert_nonnull (ts);
  /* 2026-11-25T17:03:15.123Z */
  g_assert_cmpuint (strlen (ts), ==, 24);
  g_assert_true (g_regex_match_simple ("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$",
                                       ts, 0, 0));
}

void
test_assert_error (JsonObject *msg,
                   const char *error_code)
{
  test_assert_envelope (msg, "error");
  g_assert_cmpstr (json_object_get_string_member_with_default (msg, "error_code", NULL), ==,
                   error_code);
  g_assert_cmpstr (json_object_get_string_member_with_default (msg, "error_message", ""), !=, "");
}

void
test_assert_response (JsonObject *msg,
                      const char *status)
{
  if (g_strcmp0 (json_object_get_string_member_with_default (msg, "type", NULL), "error") == 0)
    g_error ("Expected response %s, got error %s: %s", status,
             json_object_get_string_member_with_default (msg, "error_code", "?"),
             json_object_get_string_member_with_default (msg, "error_message", "?"));
  test_assert_envelope (msg, "response");
  g_assert_cmpstr (json_object_get_string_member_with_default (msg, "status", NULL), ==, status);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (msg, "data")));
}

const char *
test_error_field (JsonObject *msg)
{
  JsonObject *details;

  if (!json_object_has_member (msg, "details"))
    return NULL;
  details = json_object_get_object_member (msg, "details");
  return json_object_get_string_member_with_default (details, "field", NULL);
}

static void
http_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  TestHttpWait *w = user_data;

  w->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &w->error);
  w->done = TRUE;
}

void
test_http_send_async (SoupSession  *session,
                      SoupMessage  *msg,
                      TestHttpWait *w)
{
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, http_cb, w);
}

GBytes *
test_http_send (SoupSession *session,
                SoupMessage *msg)
{
  TestHttpWait w = { 0 };

  test_http_send_async (session, msg, &w);
  WAIT_UNTIL (w.done);
  g_assert_no_error (w.error);
  return w.body;
}

guint
test_http_request (const char  *method,
                   const char  *url,
                   const char  *bearer,
                   char       **body)
{
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;

  if (bearer != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", bearer);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    value);
    }

  bytes = test_http_send (session, msg);
  if (body != NULL)
    *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

/* Raw WebSocket peer --------------------------------------------------- */

GSocketConnection *
test_raw_connect (guint port)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (sc, FALSE);
  conn = g_socket_client_connect_to_host (sc, "127.0.0.1", (guint16) port, NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n", port);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  return conn;
}

void
test_raw_send_frame (GSocketConnection *conn,
                     guint8             opcode,
                     const void        *data,
                     gsize              len)
{
  g_autoptr(GByteArray) frame = g_byte_array_sized_new ((guint) len + 14);
  g_autoptr(GError) error = NULL;
  const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };
  guint8 head[10];
  gsize hlen = 2;

  head[0] = (guint8) (0x80 | opcode);
  if (len < 126)
    head[1] = (guint8) (0x80 | len);
  else if (len <= G_MAXUINT16)
    {
      head[1] = 0x80 | 126;
      head[2] = (guint8) (len >> 8);
      head[3] = (guint8) len;
      hlen = 4;
    }
  else
    {
      head[1] = 0x80 | 127;
      for (guint i = 0; i < 8; i++)
        head[2 + i] = (guint8) ((guint64) len >> (56 - 8 * i));
      hlen = 10;
    }
  g_byte_array_append (frame, head, (guint) hlen);
  g_byte_array_append (frame, mask, 4);
  for (gsize i = 0; i < len; i++)
    {
      guint8 b = ((const guint8 *) data)[i] ^ mask[i % 4];

      g_byte_array_append (frame, &b, 1);
    }

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), frame->data,
                             frame->len, NULL, NULL, &error);
  g_assert_no_error (error);
}

guint16
test_raw_poll_close (GSocketConnection *conn,
                     GByteArray        *buf)
{
  GPollableInputStream *in =
    G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  guint8 chunk[4096];
  gssize n;
  const char *end;
  const guint8 *p, *stop;

  while ((n = g_pollable_input_stream_read_nonblocking (in, chunk, sizeof chunk, NULL, NULL)) > 0)
    g_byte_array_append (buf, chunk, (guint) n);

  end = g_strstr_len ((const char *) buf->data, buf->len, "\r\n\r\n");
  if (end == NULL)
    return 0;
  g_assert_true (g_str_has_prefix ((const char *) buf->data, "HTTP/1.1 101"));

  stop = buf->data + buf->len;
  for (p = (const guint8 *) end + 4; p + 2 <= stop;)
    {
      guint8 opcode = p[0] & 0x0f;
      gsize len = p[1] & 0x7f, hdr = 2;

      if (len == 126)
        {
          if (p + 4 > stop)
            return 0;
          len = ((gsize) p[2] << 8) | p[3];
          hdr = 4;
        }
      if (p + hdr + len > stop)
        return 0;
      if (opcode == 0x8 && len >= 2)
        return (guint16) ((p[hdr] << 8) | p[hdr + 1]);
      p += hdr + len;
    }
  return 0;
}

/* The daemon ------------------------------------------------------------ */

const char *
test_kantord_path (void)
{
  static char *path;

  if (path == NULL)
    {
      const char *build = g_getenv ("KANTOR_BUILD_DIR");

      g_assert_nonnull (build);
      path = g_build_filename (build, "src", "daemon", "kantord", NULL);
    }
  return path;
}

typedef struct
{
  char    *line;
  GError  *error;
  gboolean done;
} LineWait;

static void
line_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LineWait *w = user_data;

  w->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                       NULL, &w->error);
  w->done = TRUE;
}

static char *
read_line (GDataInputStream *in)
{
  LineWait w = { 0 };

  g_data_input_stream_read_line_async (in, G_PRIORITY_DEFAULT, NULL, line_cb, &w);
  WAIT_UNTIL (w.done);
  g_assert_no_error (w.error);
  return w.line;
}

TestDaemon *
test_daemon_start (const char        *root,
                   const char *const *extra_args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  TestDaemon *d = g_new0 (TestDaemon, 1);

  g_ptr_array_add (argv, (gpointer) test_kantord_path ());
  g_ptr_array_add (argv, (gpointer) "--root");
  g_ptr_array_add (argv, (gpointer) root);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);

  d->process = g_subprocess_newv ((const char *const *) argv->pdata,
                                  G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  d->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (d->process));

  for (;;)
    {
      g_autofree char *line = read_line (d->out);
      const char *at;

      if (line == NULL)
        g_error ("kantord exited before listening");
      at = strstr (line, " listening on ");
      if (at != NULL)
        {
          const char *colon;

          d->url = g_strdup (at + strlen (" listening on "));
          colon = strrchr (d->url, ':');
          g_assert_nonnull (colon);
          d->port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
          g_assert_cmpuint (d->port, >, 0);
          break;
        }
    }

  return d;
}

typedef struct
{
  gboolean done;
} ExitWait;

static void
exit_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ExitWait *w = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  w->done = TRUE;
}

int
test_daemon_stop (TestDaemon *d)
{
  ExitWait w = { 0 };

  g_subprocess_send_signal (d->process, SIGTERM);
  g_subprocess_wait_async (d->process, NULL, exit_cb, &w);
  WAIT_UNTIL (w.done);

  if (!g_subprocess_get_if_exited (d->process))
    return -1;
  return g_subprocess_get_exit_status (d->process);
}

void
test_daemon_free (TestDaemon *d)
{
  if (d == NULL)
    return;

  if (g_subprocess_get_identifier (d->process) != NULL)
    {
      g_subprocess_force_exit (d->process);
      g_subprocess_wait (d->process, NULL, NULL);
    }
  g_clear_object (&d->out);
  g_clear_object (&d->process);
  g_free (d->url);
  g_free (d);
}

void
test_daemon_add_user (const char *root,
                      const char *username,
                      const char *password)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input = g_strdup_printf ("%s\n", password);

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                              &error, test_kantord_path (), "--root", root, "--add-user",
                              username, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}
