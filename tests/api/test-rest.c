/* test-rest.c: the REST mirror under /api/v1 through a real server, a real
 * HTTP client and, to check every effect from the other side, a real
 * WebSocket client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kantor-collection-api.h"
#include "kantor-json.h"
#include "kantor-rest.h"
#include "test-utils.h"

typedef struct
{
  TestServer               ts;
  KantorCollectionManager *collections;
  KantorAuthGrant         *grant;
  TestClient              *c;
  SoupSession             *http;
} Fixture;

/* What came back for one HTTP request. */
typedef struct
{
  guint               status;
  char               *body;
  JsonObject         *json;
  SoupMessageHeaders *headers;
} Reply;

static void
reply_free (Reply *r)
{
  g_free (r->body);
  g_clear_pointer (&r->json, json_object_unref);
  g_clear_pointer (&r->headers, soup_message_headers_unref);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autofree char *holder = test_holder_doc ("holder");
  g_autofree char *data_dir = NULL;

  test_server_setup (&f->ts, FALSE);
  test_server_add_managers (&f->ts, 50);
  test_server_put_strategy (&f->ts, holder);
  data_dir = g_build_filename (f->ts.root, "collections", NULL);
  f->collections = kantor_collection_manager_new (f->ts.store, f->ts.feed, data_dir);
  kantor_collection_api_register (f->ts.server, f->collections);
  f->grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  f->c = test_client_open (&f->ts, f->grant->access_token);
  f->http = test_session_new ();
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  GObject *collections = G_OBJECT (f->collections);

  g_clear_object (&f->http);
  g_clear_pointer (&f->c, test_client_free);
  g_clear_pointer (&f->grant, kantor_auth_grant_free);
  kantor_collection_manager_shutdown (f->collections);
  g_object_add_weak_pointer (collections, (gpointer *) &collections);
  g_clear_object (&f->collections);
  WAIT_UNTIL (collections == NULL);
  test_server_teardown (&f->ts);
}

/* A stream operation in flight. */
typedef struct
{
  GError  *error;
  gboolean done;
} IoWait;

static void
splice_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  IoWait *w = user_data;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &w->error);
  w->done = TRUE;
}

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  IoWait *w = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &w->error);
  w->done = TRUE;
}

/* @request written on a socket as is, the whole answer read back (the
 * request must ask for Connection: close). */
static void
raw_roundtrip (Fixture    *f,
               const char *request,
               gsize       len,
               Reply      *r)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  IoWait w = { 0 };
  IoWait wr = { 0 };
  const char *text;
  const char *end;

  g_socket_client_set_enable_proxy (sc, FALSE);
  conn = g_socket_client_connect_to_host (sc, "127.0.0.1", (guint16) f->ts.port, NULL, &error);
  g_assert_no_error (error);
  /* Both ways at once: the server may answer before it has read it all. */
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                                   len, G_PRIORITY_DEFAULT, NULL, write_cb, &wr);
  g_output_stream_splice_async (out, g_io_stream_get_input_stream (G_IO_STREAM (conn)),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
                                splice_cb, &w);
  WAIT_UNTIL (w.done && wr.done);
  g_assert_no_error (w.error);
  g_clear_error (&wr.error);  /* a refused upload may be cut short */
  g_output_stream_write_all (out, "", 1, NULL, NULL, NULL);

  text = g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out));
  end = strstr (text, "\r\n\r\n");
  g_assert_nonnull (end);
  r->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_assert_true (soup_headers_parse_response (text, (int) (end - text) + 2, r->headers, NULL,
                                              &r->status, NULL));
  r->body = g_strdup (end + 4);
}

/* For request lines no URI parser would let through (bad escapes). */
static void
raw_exchange (Fixture    *f,
              const char *method,
              const char *path,
              const char *bearer,
              Reply      *r)
{
  g_autofree char *request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Connection: close\r\n"
                                              "Authorization: Bearer %s\r\n\r\n",
                                              method, path, bearer);

  raw_roundtrip (f, request, strlen (request), r);
}

/* @method @path (after http://127.0.0.1:PORT, sent as written) with an
 * optional token, JSON body of @body_len bytes (-1: strlen) and request
 * id. */
static Reply *
http_full (Fixture    *f,
           const char *method,
           const char *path,
           const char *bearer,
           const char *body,
           gssize      body_len,
           const char *request_id)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", f->ts.port, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  SoupMessageHeaders *headers;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  Reply *r = g_new0 (Reply, 1);
  const char *type;

  /* What a client would normalise away (dot segments) is sent as is. */
  if (msg == NULL || strstr (path, "%2E") != NULL || strstr (path, "%2e") != NULL)
    {
      g_assert_null (body);
      raw_exchange (f, method, path, bearer, r);
      goto parse;
    }
  headers = soup_message_get_request_headers (msg);
  if (bearer != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", bearer);

      soup_message_headers_replace (headers, "Authorization", value);
    }
  if (request_id != NULL)
    soup_message_headers_replace (headers, "X-Request-Id", request_id);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, body_len < 0 ? strlen (body)
                                                                : (gsize) body_len);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  answer = test_http_send (f->http, msg);
  r->status = soup_message_get_status (msg);
  r->body = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

parse:
  /* Every answer under /api/v1 is one envelope. */
  if (soup_message_headers_get_content_type (r->headers, NULL) == NULL)
    g_error ("%s %s: %u %s", method, path, r->status, r->body);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==,
                   "application/json");
  {
    g_autoptr(JsonNode) node = json_from_string (r->body, &error);

    g_assert_no_error (error);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
    r->json = json_object_ref (json_node_get_object (node));
  }
  type = json_object_get_string_member_with_default (r->json, "type", NULL);
  test_assert_envelope (r->json, type);
  if (g_strcmp0 (type, "error") == 0)
    g_assert_cmpuint (r->status, >=, 400);
  else
    g_assert_cmpuint (r->status / 100, ==, 2);
  return r;
}

static Reply *
http (Fixture    *f,
      const char *method,
      const char *path,
      const char *body)
{
  return http_full (f, method, path, f->grant->access_token, body, -1, NULL);
}

static void
assert_http_error (Reply      *r,
                   guint       status,
                   const char *code,
                   const char *field)
{
  if (r->status != status)
    g_error ("Expected HTTP %u %s, got %u: %s", status, code, r->status, r->body);
  test_assert_error (r->json, code);
  if (field != NULL)
    g_assert_cmpstr (test_error_field (r->json), ==, field);
}

static void
assert_http_response (Reply      *r,
                      guint       status,
                      const char *what)
{
  if (r->status != status)
    g_error ("Expected HTTP %u %s, got %u: %s", status, what, r->status, r->body);
  test_assert_response (r->json, what);
}

static JsonObject *
data_of (JsonObject *msg)
{
  return json_object_get_object_member (msg, "data");
}

/* TRUE when the array @array of @reply's data holds an object whose
 * @member is @value. */
static gboolean
data_lists (JsonObject *reply,
            const char *array,
            const char *member,
            const char *value)
{
  JsonArray *list = json_object_get_array_member (data_of (reply), array);

  for (guint i = 0; i < json_array_get_length (list); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (list, i),
                                                  member), value) == 0)
      return TRUE;
  return FALSE;
}

/* @text without its "timestamp":"…" member, which is the one thing two
 * replies to the same request may differ in. */
static char *
without_timestamp (const char *text)
{
  g_autoptr(GRegex) re = g_regex_new ("\"timestamp\":\"[^\"]*\"", 0, 0, NULL);

  return g_regex_replace_literal (re, text, -1, 0, "", 0, NULL);
}

static char *
ws_raw_call (Fixture    *f,
             const char *id,
             const char *text)
{
  g_autoptr(JsonObject) reply = NULL;
  char *raw = NULL;

  g_queue_clear_full (&f->c->raw, g_free);
  g_queue_clear_full (&f->c->received, (GDestroyNotify) json_node_unref);
  test_client_send (f->c, text);
  for (;;)
    {
      WAIT_UNTIL (!g_queue_is_empty (&f->c->raw));
      raw = g_queue_pop_head (&f->c->raw);
      json_node_unref (g_queue_pop_head (&f->c->received));
      if (strstr (raw, id) != NULL)
        return raw;
      g_free (raw);
    }
}

/* Authentication ------------------------------------------------------ */

static void
test_auth (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(Reply) login = NULL;
  g_autoptr(Reply) r = NULL;
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *body = NULL;

  /* No token, a bad one, the wrong scheme: 401 each, with a challenge. */
  r = http_full (f, "GET", "/api/v1/sessions", NULL, NULL, -1, NULL);
  assert_http_error (r, 401, "authentication_required", NULL);
  g_assert_nonnull (soup_message_headers_get_one (r->headers, "WWW-Authenticate"));
  g_clear_pointer (&r, reply_free);
  r = http_full (f, "GET", "/api/v1/sessions", "not.a.token", NULL, -1, NULL);
  assert_http_error (r, 401, "invalid_token", NULL);
  g_assert_nonnull (strstr (soup_message_headers_get_one (r->headers, "WWW-Authenticate"),
                            "invalid_token"));
  g_clear_pointer (&r, reply_free);
  {
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/strategies",
                                            f->ts.port);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
    g_autoptr(GBytes) answer = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  "Basic YWxpY2U6eA==");
    answer = test_http_send (f->http, msg);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
    g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"invalid_token\""));
  }

  /* Wrong password. */
  r = http_full (f, "POST", "/api/v1/auth/login", NULL,
                 "{\"username\": \"" TEST_USER "\", \"password\": \"wrong password\"}", -1, NULL);
  assert_http_error (r, 401, "invalid_credentials", NULL);
  g_clear_pointer (&r, reply_free);

  /* A login: the same reply as over WebSocket, tokens included. */
  login = http_full (f, "POST", "/api/v1/auth/login", NULL,
                     "{\"username\": \"" TEST_USER "\", \"password\": \"" TEST_PASSWORD "\"}", -1,
                     "login-1");
  assert_http_response (login, 200, "authenticated");
  g_assert_cmpstr (json_object_get_string_member (login->json, "id"), ==, "login-1");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (data_of (login->json), "user"), "username"),
                   ==, TEST_USER);
  access = g_strdup (json_object_get_string_member (data_of (login->json), "access_token"));
  refresh = g_strdup (json_object_get_string_member (data_of (login->json), "refresh_token"));

  /* The access token opens REST and WebSocket alike. */
  r = http_full (f, "GET", "/api/v1/sessions", access, NULL, -1, NULL);
  assert_http_response (r, 200, "no_active_session");
  g_clear_pointer (&r, reply_free);
  {
    g_autoptr(TestClient) other = test_client_open (&f->ts, access);
  }

  /* Rotation: the new pair works, the old refresh token is revoked. */
  body = g_strdup_printf ("{\"refresh_token\": \"%s\"}", refresh);
  r = http_full (f, "POST", "/api/v1/auth/refresh", NULL, body, -1, NULL);
  assert_http_response (r, 200, "token_refreshed");
  g_assert_cmpstr (json_object_get_string_member (data_of (r->json), "refresh_token"), !=,
                   refresh);
  g_free (access);
  access = g_strdup (json_object_get_string_member (data_of (r->json), "access_token"));
  g_free (refresh);
  refresh = g_strdup (json_object_get_string_member (data_of (r->json), "refresh_token"));
  g_clear_pointer (&r, reply_free);
  r = http_full (f, "POST", "/api/v1/auth/refresh", NULL, body, -1, NULL);
  assert_http_error (r, 401, "invalid_token", NULL);
  g_clear_pointer (&r, reply_free);

  /* The refreshed token works over WebSocket too. */
  {
    g_autoptr(TestClient) other = test_client_open (&f->ts, access);
  }

  /* Logout needs an identity; then the refresh token is gone. */
  g_free (body);
  body = g_strdup_printf ("{\"refresh_token\": \"%s\"}", refresh);
  r = http_full (f, "POST", "/api/v1/auth/logout", NULL, body, -1, NULL);
  assert_http_error (r, 401, "authentication_required", NULL);
  g_clear_pointer (&r, reply_free);
  r = http_full (f, "POST", "/api/v1/auth/logout", access, body, -1, NULL);
  assert_http_response (r, 200, "logged_out");
  g_clear_pointer (&r, reply_free);
  r = http_full (f, "POST", "/api/v1/auth/refresh", NULL, body, -1, NULL);
  assert_http_error (r, 401, "invalid_token", NULL);
  g_clear_pointer (&r, reply_free);

  /* Refused on the router's schema like any WebSocket message. */
  r = http_full (f, "POST", "/api/v1/auth/login", NULL, "{\"username\": \"" TEST_USER "\"}", -1,
                 NULL);
  assert_http_error (r, 400, "validation_error", "password");
}

/* Sessions ---------------------------------------------------------------- */

static gboolean
status_lists (JsonObject *reply,
              const char *session_id)
{
  return data_lists (reply, "sessions", "session_id", session_id);
}

static void
test_sessions (Fixture       *f,
               gconstpointer  data)
{
  const char *start = "{\"session_type\": \"paper\","
                      " \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}}";
  g_autoptr(Reply) started = NULL;
  g_autoptr(Reply) again = NULL;
  g_autoptr(Reply) r = NULL;
  g_autoptr(JsonObject) ws = NULL;
  g_autoptr(JsonObject) ws_started = NULL;
  g_autofree char *id = NULL;
  g_autofree char *location = NULL;
  g_autofree char *path = NULL;
  const char *ws_id;

  /* Started over REST: 201 with where it lives, seen over WebSocket. */
  started = http (f, "POST", "/api/v1/sessions", start);
  assert_http_response (started, 201, "session_started");
  id = g_strdup (json_object_get_string_member (started->json, "session_id"));
  location = g_strdup_printf ("/api/v1/sessions/%s", id);
  g_assert_cmpstr (soup_message_headers_get_one (started->headers, "Location"), ==, location);
  ws = test_client_callf (f->c, "\"type\": \"session_status\"");
  test_assert_response (ws, "session_status");
  g_assert_true (status_lists (ws, id));
  g_clear_pointer (&ws, json_object_unref);

  /* The same start again is the same session: 200, reused. */
  again = http (f, "POST", "/api/v1/sessions", start);
  assert_http_response (again, 200, "session_started");
  g_assert_true (json_object_get_boolean_member (data_of (again->json), "reused"));
  g_assert_cmpstr (json_object_get_string_member (again->json, "session_id"), ==, id);

  /* Another strategy on the same symbol in another paper session: a
   * conflict, 409, with the session in the way. */
  {
    g_autofree char *doc = test_holder_doc (NULL);
    g_autoptr(Reply) put = http (f, "PUT", "/api/v1/strategies/rival", doc);
    g_autoptr(Reply) clash = http (f, "POST", "/api/v1/sessions",
                                   "{\"session_type\": \"paper\","
                                   " \"strategy_config\": {\"rival\": [\"BTCUSDT\"]}}");

    assert_http_response (put, 201, "strategy_upserted");
    assert_http_error (clash, 409, "session_conflict", NULL);
    g_assert_cmpstr (json_array_get_string_element (
                       json_object_get_array_member (json_object_get_object_member (clash->json,
                                                                                    "details"),
                                                     "conflicting_session_ids"), 0), ==, id);
  }

  /* Started over WebSocket, seen over REST. */
  ws_started = test_client_callf (f->c, "\"type\": \"session_start\","
                                  " \"session_type\": \"paper\","
                                  " \"strategy_config\": {\"holder\": [\"ETHUSDT\"]}");
  test_assert_response (ws_started, "session_started");
  ws_id = json_object_get_string_member (ws_started, "session_id");
  r = http (f, "GET", "/api/v1/sessions", NULL);
  assert_http_response (r, 200, "session_status");
  g_assert_true (status_lists (r->json, id));
  g_assert_true (status_lists (r->json, ws_id));
  g_assert_cmpint (json_object_get_int_member (data_of (r->json), "count"), ==, 2);
  g_clear_pointer (&r, reply_free);

  path = g_strdup_printf ("/api/v1/sessions/%s", ws_id);
  r = http (f, "GET", path, NULL);
  assert_http_response (r, 200, "session_status");
  g_assert_cmpstr (json_object_get_string_member (data_of (r->json), "session_id"), ==, ws_id);
  g_assert_cmpstr (json_object_get_string_member (data_of (r->json), "session_type"), ==,
                   "paper");
  g_clear_pointer (&r, reply_free);

  /* Stopped over REST both ways; WebSocket sees them gone. */
  r = http (f, "DELETE", path, NULL);
  assert_http_response (r, 200, "session_stopped");
  g_assert_cmpstr (json_object_get_string_member (data_of (r->json), "state"), ==, "stopped");
  g_clear_pointer (&r, reply_free);
  g_free (path);
  path = g_strdup_printf ("/api/v1/sessions/%s/stop", id);
  r = http (f, "POST", path, NULL);
  assert_http_response (r, 200, "session_stopped");
  g_clear_pointer (&r, reply_free);
  ws = test_client_callf (f->c, "\"type\": \"session_status\"");
  test_assert_response (ws, "no_active_session");

  /* A request id of any characters comes back as sent, on replies and
   * errors alike. */
  {
    static const char odd[] = "q\"uote\\back/\xc3\xa9";
    g_autoptr(Reply) a = http_full (f, "GET", "/api/v1/sessions", f->grant->access_token, NULL,
                                    -1, odd);
    g_autoptr(Reply) b = http_full (f, "GET", "/api/v1/sessions/nope", f->grant->access_token,
                                    NULL, -1, odd);

    assert_http_response (a, 200, "no_active_session");
    g_assert_cmpstr (json_object_get_string_member (a->json, "id"), ==, odd);
    assert_http_error (b, 404, "session_not_found", NULL);
    g_assert_cmpstr (json_object_get_string_member (b->json, "id"), ==, odd);
  }

  /* Unknown sessions: the handler's error and its HTTP status. */
  r = http (f, "POST", "/api/v1/sessions/no-such-session/stop", NULL);
  assert_http_error (r, 404, "session_not_found", NULL);
  g_clear_pointer (&r, reply_free);
  r = http (f, "GET", "/api/v1/sessions/no-such-session", NULL);
  assert_http_error (r, 404, "session_not_found", NULL);
  g_clear_pointer (&r, reply_free);

  /* The session manager's own refusals keep their codes. */
  r = http (f, "POST", "/api/v1/sessions",
            "{\"session_type\": \"futures\", \"strategy_config\": {\"holder\": [\"BTCUSDT\"]}}");
  assert_http_error (r, 400, "invalid_session_type", NULL);
  g_clear_pointer (&r, reply_free);
  r = http (f, "POST", "/api/v1/sessions", "{\"session_type\": \"paper\"}");
  assert_http_error (r, 400, "missing_strategy_config", "strategy_config");
  g_clear_pointer (&r, reply_free);
  r = http (f, "POST", "/api/v1/sessions", NULL);
  assert_http_error (r, 400, "validation_error", "session_type");
}

/* Results ------------------------------------------------------------------ */

static void
test_results (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *collection = test_data_path ("collection-small");
  g_autofree char *start = g_strdup_printf ("{\"session_type\": \"backtest\","
                                            " \"strategy_config\": {\"holder\": [\"BTCUSDT\","
                                            " \"ETHUSDT\"]},"
                                            " \"config\": {\"data\": {\"path\": \"%s\"}}}",
                                            collection);
  g_autoptr(Reply) started = http (f, "POST", "/api/v1/sessions", start);
  g_autofree char *id = NULL;
  struct { const char *path; const char *ws; } cases[4] = { { 0 } };
  g_autofree char *p0 = NULL, *p1 = NULL, *p2 = NULL, *p3 = NULL;
  g_autofree char *w0 = NULL, *w1 = NULL, *w2 = NULL, *w3 = NULL;

  assert_http_response (started, 201, "session_started");
  id = g_strdup (json_object_get_string_member (started->json, "session_id"));

  /* Run to its end, watched over WebSocket. */
  for (;;)
    {
      g_autoptr(JsonObject) msg = test_client_next (f->c, TEST_TIMEOUT_S * 1000);

      g_assert_nonnull (msg);
      if (g_strcmp0 (json_object_get_string_member_with_default (msg, "status", NULL),
                     "session_state") == 0 &&
          g_strcmp0 (json_object_get_string_member (msg, "session_id"), id) == 0 &&
          g_strcmp0 (json_object_get_string_member (msg, "state"), "completed") == 0)
        break;
    }

  p0 = g_strdup_printf ("/api/v1/sessions/%s/results", id);
  w0 = g_strdup_printf ("\"request_type\":\"session_results\",\"session_id\":\"%s\"", id);
  p1 = g_strdup_printf ("/api/v1/results/symbols/ETHUSDT?session_id=%s", id);
  w1 = g_strdup_printf ("\"request_type\":\"symbol_results\",\"symbol\":\"ETHUSDT\","
                        "\"session_id\":\"%s\"", id);
  p2 = g_strdup_printf ("/api/v1/results/strategies/holder?symbol=btcusdt&session_id=%s", id);
  w2 = g_strdup_printf ("\"request_type\":\"strategy_results\",\"strategy_name\":\"holder\","
                        "\"symbol\":\"btcusdt\",\"session_id\":\"%s\"", id);
  p3 = g_strdup ("/api/v1/results/strategies/holder");
  w3 = g_strdup ("\"request_type\":\"strategy_results\",\"strategy_name\":\"holder\"");
  cases[0].path = p0, cases[0].ws = w0;
  cases[1].path = p1, cases[1].ws = w1;
  cases[2].path = p2, cases[2].ws = w2;
  cases[3].path = p3, cases[3].ws = w3;

  /* The same bytes either way, timestamp aside. */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *rid = g_strdup_printf ("same-%u", i);
      g_autoptr(Reply) r = http_full (f, "GET", cases[i].path, f->grant->access_token, NULL, -1,
                                      rid);
      g_autofree char *text = g_strdup_printf ("{\"type\":\"results_request\",\"id\":\"%s\",%s}",
                                               rid, cases[i].ws);
      g_autofree char *ws = ws_raw_call (f, rid, text);
      g_autofree char *a = without_timestamp (r->body);
      g_autofree char *b = without_timestamp (ws);

      assert_http_response (r, 200, "results");
      g_assert_cmpstr (json_object_get_string_member (r->json, "id"), ==, rid);
      g_assert_cmpstr (a, ==, b);
      g_assert_cmpuint (strlen (a), >, 200);
    }

  /* Filters refused by the handler, and path tricks by the mirror. */
  {
    g_autoptr(Reply) r = http (f, "GET", "/api/v1/results/symbols/btc%2Fusdt", NULL);

    assert_http_error (r, 400, "validation_error", "symbol");
  }
  {
    g_autoptr(Reply) r = http (f, "GET", "/api/v1/results/symbols/XRPUSDT?bogus=1", NULL);

    assert_http_error (r, 400, "validation_error", "bogus");
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/results/symbols/XRPUSDT?session_id=%s", id);
    g_autoptr(Reply) r = http (f, "GET", path, NULL);

    assert_http_error (r, 400, "validation_error", "symbol");
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/results/symbols/ETHUSDT?session_id=%s"
                                             "&session_id=%s", id, id);
    g_autoptr(Reply) r = http (f, "GET", path, NULL);

    assert_http_error (r, 400, "validation_error", "session_id");
  }
}

/* Strategies --------------------------------------------------------------- */

static gboolean
lists_strategy (JsonObject *reply,
                const char *name)
{
  return data_lists (reply, "strategies", "name", name);
}

static void
test_strategies (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *unnamed = test_holder_doc (NULL);
  g_autofree char *named = test_holder_doc ("keeper");
  g_autofree char *wrong = test_holder_doc ("someone_else");
  g_autoptr(Reply) r = NULL;
  g_autoptr(JsonObject) ws = NULL;
  JsonArray *list;

  /* The list is the WebSocket one. */
  r = http_full (f, "GET", "/api/v1/strategies", f->grant->access_token, NULL, -1, "list");
  assert_http_response (r, 200, "strategies_list");
  {
    g_autofree char *raw = ws_raw_call (f, "\"list\"",
                                        "{\"type\":\"get_strategies\",\"id\":\"list\"}");
    g_autofree char *a = without_timestamp (r->body);
    g_autofree char *b = without_timestamp (raw);

    g_assert_cmpstr (a, ==, b);
  }
  g_assert_true (lists_strategy (r->json, "holder"));
  g_assert_false (lists_strategy (r->json, "keeper"));
  g_clear_pointer (&r, reply_free);

  /* Created from the URL's name (201), then updated (200). */
  r = http (f, "PUT", "/api/v1/strategies/keeper", unnamed);
  assert_http_response (r, 201, "strategy_upserted");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Location"), ==,
                   "/api/v1/strategies/keeper");
  g_assert_true (json_object_get_boolean_member (data_of (r->json), "created"));
  g_clear_pointer (&r, reply_free);
  r = http (f, "PUT", "/api/v1/strategies/keeper", named);
  assert_http_response (r, 200, "strategy_upserted");
  g_assert_false (json_object_get_boolean_member (data_of (r->json), "created"));
  g_clear_pointer (&r, reply_free);
  ws = test_client_callf (f->c, "\"type\": \"get_strategies\"");
  g_assert_true (lists_strategy (ws, "keeper"));
  g_clear_pointer (&ws, json_object_unref);

  /* A document named otherwise, or no document: refused, nothing written. */
  r = http (f, "PUT", "/api/v1/strategies/keeper", wrong);
  assert_http_error (r, 400, "validation_error", "strategy_name");
  g_clear_pointer (&r, reply_free);
  r = http (f, "PUT", "/api/v1/strategies/other", NULL);
  assert_http_error (r, 400, "validation_error", "strategy_config");
  g_clear_pointer (&r, reply_free);
  ws = test_client_callf (f->c, "\"type\": \"get_strategies\"");
  g_assert_false (lists_strategy (ws, "someone_else"));
  g_assert_false (lists_strategy (ws, "other"));
  g_clear_pointer (&ws, json_object_unref);

  /* Validation only. */
  r = http (f, "POST", "/api/v1/strategies/validate", named);
  assert_http_response (r, 200, "strategy_validation");
  g_assert_true (json_object_get_boolean_member (data_of (r->json), "valid"));
  g_clear_pointer (&r, reply_free);
  r = http (f, "POST", "/api/v1/strategies/validate", "{\"strategy_name\": \"x\"}");
  assert_http_response (r, 200, "strategy_validation");
  g_assert_false (json_object_get_boolean_member (data_of (r->json), "valid"));
  g_clear_pointer (&r, reply_free);

  /* Activated over REST (symbol in the body), seen over WebSocket. */
  r = http (f, "POST", "/api/v1/strategies/keeper/activate", "{\"symbol\": \"btcusdt\"}");
  assert_http_response (r, 200, "strategy_activated");
  g_clear_pointer (&r, reply_free);
  ws = test_client_callf (f->c, "\"type\": \"get_strategy_status\","
                          " \"strategy_name\": \"keeper\", \"symbol\": \"BTCUSDT\"");
  test_assert_response (ws, "strategy_status");
  g_clear_pointer (&ws, json_object_unref);

  r = http (f, "GET", "/api/v1/strategies/status", NULL);
  assert_http_response (r, 200, "all_strategies_status");
  g_clear_pointer (&r, reply_free);
  r = http (f, "GET", "/api/v1/strategies/keeper/status?symbol=BTCUSDT", NULL);
  assert_http_response (r, 200, "strategy_status");
  g_clear_pointer (&r, reply_free);

  /* The symbol in the query this time; a second time there is none. */
  r = http (f, "POST", "/api/v1/strategies/keeper/deactivate?symbol=BTCUSDT", NULL);
  assert_http_response (r, 200, "strategy_deactivated");
  g_clear_pointer (&r, reply_free);
  r = http (f, "POST", "/api/v1/strategies/keeper/deactivate?symbol=BTCUSDT", NULL);
  assert_http_error (r, 404, "strategy_not_found", NULL);
  g_clear_pointer (&r, reply_free);
  r = http (f, "POST", "/api/v1/strategies/nobody/activate", "{\"symbol\": \"BTCUSDT\"}");
  assert_http_error (r, 422, "strategy_activation_failed", NULL);
  g_clear_pointer (&r, reply_free);

  /* The symbol in both places. */
  r = http (f, "POST", "/api/v1/strategies/keeper/activate?symbol=BTCUSDT",
            "{\"symbol\": \"BTCUSDT\"}");
  assert_http_error (r, 400, "validation_error", "symbol");
  g_clear_pointer (&r, reply_free);

  ws = test_client_callf (f->c, "\"type\": \"get_strategy_status\"");
  list = json_object_get_array_member (data_of (ws), "activations");
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, i),
                                                    "strategy_name"), !=, "keeper");
}

/* Collections ------------------------------------------------------------ */

static void
test_collections (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Reply) r = NULL;
  g_autoptr(JsonObject) ws = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;

  r = http (f, "POST", "/api/v1/collections", "{\"symbols\": [\"BTCUSDT\"], \"duration\": \"1h\"}");
  assert_http_response (r, 201, "collection_started");
  id = g_strdup (json_object_get_string_member (r->json, "collection_id"));
  path = g_strdup_printf ("/api/v1/collections/%s", id);
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Location"), ==, path);
  g_clear_pointer (&r, reply_free);

  ws = test_client_callf (f->c, "\"type\": \"collection_status\", \"collection_id\": \"%s\"", id);
  test_assert_response (ws, "collection_status");
  g_clear_pointer (&ws, json_object_unref);

  r = http (f, "GET", path, NULL);
  assert_http_response (r, 200, "collection_status");
  g_assert_cmpstr (json_object_get_string_member (data_of (r->json), "collection_id"), ==, id);
  g_clear_pointer (&r, reply_free);
  r = http (f, "GET", "/api/v1/collections", NULL);
  assert_http_response (r, 200, "collection_status");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (r->json),
                                                                         "collections")), ==, 1);
  g_clear_pointer (&r, reply_free);

  g_free (path);
  path = g_strdup_printf ("/api/v1/collections/%s/stop", id);
  r = http (f, "POST", path, NULL);
  assert_http_response (r, 200, "collection_stopped");
  g_clear_pointer (&r, reply_free);
  ws = test_client_callf (f->c, "\"type\": \"collection_status\", \"collection_id\": \"%s\"", id);
  g_assert_cmpstr (json_object_get_string_member (data_of (ws), "state"), ==, "stopped");

  r = http (f, "GET", "/api/v1/collections/nope", NULL);
  assert_http_error (r, 404, "collection_not_found", NULL);
  g_clear_pointer (&r, reply_free);
  r = http (f, "POST", "/api/v1/collections", "{\"symbols\": \"BTCUSDT\"}");
  assert_http_error (r, 400, "validation_error", "symbols");
}

/* Bad input ------------------------------------------------------------------ */

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  static const struct
  {
    const char *method;
    const char *path;
    const char *body;
    guint       status;
    const char *code;
    const char *field;
  } cases[] = {
    { "POST", "/api/v1/sessions", "{\"session_type\": ", 400, "invalid_json", NULL },
    { "POST", "/api/v1/sessions", "[1, 2]", 400, "invalid_json", NULL },
    { "POST", "/api/v1/sessions", "\"paper\"", 400, "invalid_json", NULL },
    { "POST", "/api/v1/sessions", "{\"session_type\": \"paper\", \"bogus\": 1}", 400,
      "validation_error", "bogus" },
    { "POST", "/api/v1/sessions", "{\"session_type\": 7, \"strategy_config\": {}}", 400,
      "validation_error", "session_type" },
    { "POST", "/api/v1/sessions", "{\"type\": \"logout\"}", 400, "validation_error", "type" },
    { "POST", "/api/v1/sessions", "{\"id\": 5}", 400, "validation_error", "id" },
    { "GET", "/api/v1/sessions?type=logout", NULL, 400, "validation_error", "type" },
    { "GET", "/api/v1/sessions?session_id=%C3%28", NULL, 400, "validation_error",
      "session_id" },
    { "GET", "/api/v1/sessions?session_id=a%00b", NULL, 400, "validation_error", "session_id" },
    { "GET", "/api/v1/sessions", "{}", 400, "validation_error", "body" },
    { "GET", "/api/v1/sessions/a%2Fb", NULL, 400, "validation_error", "session_id" },
    { "GET", "/api/v1/sessions/a%00b", NULL, 400, "validation_error", "session_id" },
    /* Dot segments, even encoded, are resolved before routing: this is
     * /api/v1/, not a session named "..". */
    { "GET", "/api/v1/sessions/%2E%2E", NULL, 404, "not_found", NULL },
    { "GET", "/api/v1/sessions/a%2E%2E", NULL, 404, "session_not_found", NULL },
    { "GET", "/api/v1/sessions/%FF%FE", NULL, 400, "validation_error", "session_id" },
    { "GET", "/api/v1/sessions/a%0Ab", NULL, 400, "validation_error", "session_id" },
    { "GET", "/api/v1/results/strategies/%2e%2e%2fetc", NULL, 400, "validation_error",
      "strategy_name" },
    { "GET", "/api/v1/sessions/x/y/z", NULL, 404, "not_found", NULL },
    { "GET", "/api/v1/sessions//stop", NULL, 404, "not_found", NULL },
    { "GET", "/api/v1/", NULL, 404, "not_found", NULL },
    { "GET", "/api/v1/nothing", NULL, 404, "not_found", NULL },
    { "GET", "/api/v1/streams", NULL, 426, "websocket_required", NULL },
    { "POST", "/api/v1/streams/market_data", "{}", 426, "websocket_required", NULL },
  };
  g_autoptr(GString) huge = g_string_new ("{\"session_type\": \"");
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(Reply) r = NULL;
  g_autoptr(JsonObject) ws = NULL;
  g_autofree char *long_segment = NULL;
  g_autofree char *long_path = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Reply) c = http (f, cases[i].method, cases[i].path, cases[i].body);

      g_test_message ("%s %s", cases[i].method, cases[i].path);
      assert_http_error (c, cases[i].status, cases[i].code, cases[i].field);
    }

  /* An escape that is no escape: the request line is refused before any
   * handler sees it (libsoup's own 400). */
  {
    Reply raw = { 0 };

    raw_exchange (f, "GET", "/api/v1/sessions?session_id=%zz", f->grant->access_token, &raw);
    g_assert_cmpuint (raw.status, ==, 400);
    g_free (raw.body);
    soup_message_headers_unref (raw.headers);
  }

  /* Too large (announced), not UTF-8, too deep. */
  while (huge->len < KANTOR_SERVER_MAX_MESSAGE_SIZE + 16)
    g_string_append (huge, "xxxxxxxxxxxxxxxx");
  g_string_append (huge, "\"}");
  r = http (f, "POST", "/api/v1/sessions", huge->str);
  assert_http_error (r, 400, "invalid_json", NULL);
  g_assert_nonnull (strstr (json_object_get_string_member (r->json, "error_message"),
                            "The body is larger than"));
  g_clear_pointer (&r, reply_free);
  r = http_full (f, "POST", "/api/v1/sessions", f->grant->access_token,
                 "{\"session_type\": \"pa\xff\xfeper\"}", -1, NULL);
  assert_http_error (r, 400, "invalid_json", NULL);
  g_clear_pointer (&r, reply_free);
  for (guint i = 0; i < KANTOR_JSON_MAX_DEPTH + 1; i++)
    g_string_append (deep, "[");
  for (guint i = 0; i < KANTOR_JSON_MAX_DEPTH + 1; i++)
    g_string_append (deep, "]");
  g_string_prepend (deep, "{\"session_type\": ");
  g_string_append (deep, "}");
  r = http (f, "POST", "/api/v1/sessions", deep->str);
  assert_http_error (r, 400, "invalid_json", NULL);
  g_clear_pointer (&r, reply_free);

  /* Chunked bodies are bounded as they arrive, and read as any other. */
  {
    g_autoptr(GString) request = g_string_new (NULL);
    Reply raw = { 0 };
    const char *doc = "{\"session_type\": \"paper\", \"bogus\": true}";

    g_string_printf (request, "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\nAuthorization: Bearer %s\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
                     f->grant->access_token, strlen (doc), doc);
    raw_roundtrip (f, request->str, request->len, &raw);
    g_assert_cmpuint (raw.status, ==, 400);
    g_assert_nonnull (strstr (raw.body, "Unknown field 'bogus'"));
    g_free (raw.body);
    soup_message_headers_unref (raw.headers);

    g_string_printf (request, "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\nAuthorization: Bearer %s\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n", f->grant->access_token);
    for (guint i = 0; i < 20; i++)
      {
        g_string_append_printf (request, "%x\r\n", 64 * 1024);
        for (guint j = 0; j < 64 * 1024; j++)
          g_string_append_c (request, 'x');
        g_string_append (request, "\r\n");
      }
    g_string_append (request, "0\r\n\r\n");
    raw_roundtrip (f, request->str, request->len, &raw);
    g_assert_cmpuint (raw.status, ==, 400);
    g_assert_nonnull (strstr (raw.body, "\"invalid_json\""));
    g_assert_nonnull (strstr (raw.body, "larger than"));
    g_free (raw.body);
    soup_message_headers_unref (raw.headers);
  }

  /* An over-long path parameter and request id. */
  long_segment = g_strnfill (KANTOR_REST_MAX_SEGMENT + 1, 'a');
  long_path = g_strdup_printf ("/api/v1/sessions/%s", long_segment);
  r = http (f, "GET", long_path, NULL);
  assert_http_error (r, 400, "validation_error", "session_id");
  g_clear_pointer (&r, reply_free);
  r = http_full (f, "GET", "/api/v1/sessions", f->grant->access_token, NULL, -1, long_segment);
  assert_http_error (r, 400, "validation_error", "id");
  g_clear_pointer (&r, reply_free);

  /* A wrong method: 405 and what is allowed. */
  r = http (f, "PATCH", "/api/v1/sessions", NULL);
  assert_http_error (r, 405, "method_not_allowed", NULL);
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Allow"), ==, "GET, POST");
  g_clear_pointer (&r, reply_free);
  r = http (f, "GET", "/api/v1/strategies/holder", NULL);
  assert_http_error (r, 405, "method_not_allowed", NULL);
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Allow"), ==, "PUT");
  g_clear_pointer (&r, reply_free);

  /* Streams say where to go. */
  r = http (f, "GET", "/api/v1/streams", NULL);
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Upgrade"), ==, "websocket");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (
                                     json_object_get_object_member (r->json, "details"),
                                     "websocket_url"), "ws://127.0.0.1:"));
  g_clear_pointer (&r, reply_free);

  /* Nothing of all that changed anything. */
  ws = test_client_callf (f->c, "\"type\": \"session_status\"");
  test_assert_response (ws, "no_active_session");
  g_clear_pointer (&ws, json_object_unref);
  r = http (f, "GET", "/api/v1/sessions", NULL);
  assert_http_response (r, 200, "no_active_session");
}

/* A request whose client is gone before the answer. */

static void
raw_request (Fixture    *f,
             const char *request)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_client_set_enable_proxy (sc, FALSE);
  conn = g_socket_client_connect_to_host (sc, "127.0.0.1", (guint16) f->ts.port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  g_io_stream_close (G_IO_STREAM (conn), NULL, &error);
  g_assert_no_error (error);
}

/* A handler that answers only when the test says so. */
typedef struct
{
  KantorClientConnection *connection;
  JsonNode               *id;
} Held;

static void
hold_request (KantorClientConnection *connection,
              JsonNode               *id,
              JsonObject             *message,
              gpointer                user_data)
{
  Held *held = user_data;

  g_assert_null (held->connection);
  held->connection = g_object_ref (connection);
  held->id = id != NULL ? json_node_copy (id) : NULL;
}

static void
held_clear (Held *held)
{
  g_clear_object (&held->connection);
  g_clear_pointer (&held->id, json_node_unref);
}

static void
test_late_reply (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/v1/strategies", f->ts.port);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(JsonObject) answer = json_object_new ();
  g_autofree char *value = g_strdup_printf ("Bearer %s", f->grant->access_token);
  g_autofree char *get = g_strdup_printf ("GET /api/v1/strategies HTTP/1.1\r\n"
                                          "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n",
                                          f->grant->access_token);
  Held held = { 0 };
  TestHttpWait w = { 0 };
  GCancellable *cancellable;

  g_assert_true (kantor_router_set_handler (kantor_server_get_router (f->ts.server),
                                            "get_strategies", hold_request, &held));

  /* The response waits for the handler, however long it takes. */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Request-Id", "late");
  test_http_send_async (f->http, msg, &w);
  WAIT_UNTIL (held.connection != NULL);
  g_assert_false (w.done);
  json_object_set_int_member (answer, "count", 42);
  kantor_client_connection_reply (held.connection, held.id, "strategies_list", answer);
  WAIT_UNTIL (w.done);
  g_assert_no_error (w.error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_nonnull (strstr (g_bytes_get_data (w.body, NULL), "\"id\":\"late\""));
  g_assert_nonnull (strstr (g_bytes_get_data (w.body, NULL), "\"count\":42"));
  g_bytes_unref (w.body);

  /* Its request over, the connection is closed and what it was given to
   * do is cancelled. */
  WAIT_UNTIL (!kantor_client_connection_is_open (held.connection));
  held_clear (&held);

  /* A client that hangs up while the handler works: the work is cancelled
   * at once, and a reply that comes anyway goes nowhere. */
  raw_request (f, get);
  WAIT_UNTIL (held.connection != NULL);
  cancellable = kantor_client_connection_get_cancellable (held.connection);
  WAIT_UNTIL (g_cancellable_is_cancelled (cancellable));
  g_assert_false (kantor_client_connection_is_open (held.connection));
  kantor_client_connection_reply (held.connection, held.id, "strategies_list", answer);
  held_clear (&held);

  /* The server is none the worse. */
  {
    g_autoptr(Reply) r = http (f, "GET", "/api/v1/sessions", NULL);

    assert_http_response (r, 200, "no_active_session");
  }
}

static void
test_disconnect (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *doc = test_holder_doc ("orphan");
  g_autofree char *put = g_strdup_printf ("PUT /api/v1/strategies/orphan HTTP/1.1\r\n"
                                          "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                                          "Content-Type: application/json\r\n"
                                          "Content-Length: %zu\r\n\r\n%s",
                                          f->grant->access_token, strlen (doc), doc);
  g_autofree char *login = NULL;
  const char *login_body = "{\"username\": \"" TEST_USER "\", \"password\": \"" TEST_PASSWORD
                           "\"}";
  gboolean listed = FALSE;

  /* Both answer from a worker thread: the client has hung up by then. A
   * login cancelled so still counts as an attempt (KANTOR_AUTH_MAX_FAILURES),
   * so only a few. */
  login = g_strdup_printf ("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Content-Length: %zu\r\n\r\n%s", strlen (login_body), login_body);
  for (guint i = 0; i < 2; i++)
    raw_request (f, login);
  raw_request (f, put);

  /* The work still happens (as it would for a WebSocket peer that left),
   * and the server answers others meanwhile and afterwards. */
  while (!listed)
    {
      g_autoptr(Reply) r = http (f, "GET", "/api/v1/strategies", NULL);

      assert_http_response (r, 200, "strategies_list");
      listed = lists_strategy (r->json, "orphan");
    }
  {
    g_autoptr(Reply) r = http_full (f, "POST", "/api/v1/auth/login", NULL, login_body, -1, NULL);

    assert_http_response (r, 200, "authenticated");
  }
}

/* Query values ------------------------------------------------------------ */

/* Answers with the message it was given, fields and all. */
static void
echo_request (KantorClientConnection *connection,
              JsonNode               *id,
              JsonObject             *message,
              gpointer                user_data)
{
  kantor_client_connection_reply (connection, id, "echo", message);
}

static void
test_query_types (Fixture       *f,
                  gconstpointer  data)
{
  static const KantorRouteField fields[] = {
    { "limit", KANTOR_FIELD_INTEGER, FALSE },
    { "ratio", KANTOR_FIELD_NUMBER, FALSE },
    { "flag", KANTOR_FIELD_BOOLEAN, FALSE },
    { "name", KANTOR_FIELD_STRING | KANTOR_FIELD_INTEGER, FALSE },
    { NULL }
  };
  static const KantorRoute echo = { "get_strategies", echo_request, 0, fields, NULL };
  g_autoptr(Reply) r = NULL;
  JsonObject *d;

  kantor_router_add (kantor_server_get_router (f->ts.server), &echo, NULL);

  /* Converted where the schema has no string type, and only there. */
  r = http (f, "GET", "/api/v1/strategies?limit=5&ratio=0.25&flag=true&name=007", NULL);
  assert_http_response (r, 200, "echo");
  d = data_of (r->json);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (d, "limit")), ==,
                   G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (d, "limit"), ==, 5);
  g_assert_cmpfloat (json_object_get_double_member (d, "ratio"), ==, 0.25);
  g_assert_true (json_object_get_boolean_member (d, "flag"));
  g_assert_cmpstr (json_object_get_string_member (d, "name"), ==, "007");
  g_clear_pointer (&r, reply_free);

  /* Decoded once: "%2541" is "%41", not "A"; '+' is a space. */
  r = http (f, "GET", "/api/v1/strategies?name=a+b%2541", NULL);
  assert_http_response (r, 200, "echo");
  g_assert_cmpstr (json_object_get_string_member (data_of (r->json), "name"), ==, "a b%41");
  g_clear_pointer (&r, reply_free);

  /* What does not convert is the router's to refuse, as over WebSocket. */
  r = http (f, "GET", "/api/v1/strategies?limit=five", NULL);
  assert_http_error (r, 400, "validation_error", "limit");
  g_assert_nonnull (strstr (json_object_get_string_member (r->json, "error_message"),
                            "must be an integer"));
  g_clear_pointer (&r, reply_free);
  r = http (f, "GET", "/api/v1/strategies?flag=yes", NULL);
  assert_http_error (r, 400, "validation_error", "flag");
  g_clear_pointer (&r, reply_free);

  /* A service that is not there: the router's answer, 503. */
  kantor_router_set_handler (kantor_server_get_router (f->ts.server), "collection_status", NULL,
                             NULL);
  r = http (f, "GET", "/api/v1/collections", NULL);
  assert_http_error (r, 503, "service_unavailable", NULL);
}

/* Rate limit ---------------------------------------------------------------- */

static void
test_rate_limit (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Reply) limited = NULL;
  guint ok = 0;

  /* A slow refill: the burst is all there is during the test. */
  kantor_server_set_rate_limit (f->ts.server, 0.01, 3);
  for (guint i = 0; i < 10 && limited == NULL; i++)
    {
      Reply *r = http (f, "GET", "/api/v1/strategies", NULL);

      if (r->status == 429)
        limited = r;
      else
        {
          assert_http_response (r, 200, "strategies_list");
          ok++;
          reply_free (r);
        }
    }
  g_assert_cmpuint (ok, ==, 3);
  g_assert_nonnull (limited);
  assert_http_error (limited, 429, "rate_limit_exceeded", NULL);
  /* One token at 0.01 a second: some 100 s away. */
  g_assert_cmpint (atoi (soup_message_headers_get_one (limited->headers, "Retry-After")), >=, 90);

  /* Per user: another identity (none) still has its own bucket. */
  {
    g_autoptr(Reply) r = http_full (f, "GET", "/api/v1/strategies", NULL, NULL, -1, NULL);

    assert_http_error (r, 401, "authentication_required", NULL);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/kantor/api/rest/auth", test_auth);
  ADD ("/kantor/api/rest/sessions", test_sessions);
  ADD ("/kantor/api/rest/results", test_results);
  ADD ("/kantor/api/rest/strategies", test_strategies);
  ADD ("/kantor/api/rest/collections", test_collections);
  ADD ("/kantor/api/rest/bad-input", test_bad_input);
  ADD ("/kantor/api/rest/disconnect", test_disconnect);
  ADD ("/kantor/api/rest/late-reply", test_late_reply);
  ADD ("/kantor/api/rest/query-types", test_query_types);
  ADD ("/kantor/api/rest/rate-limit", test_rate_limit);
#undef ADD

  return g_test_run ();
}
