/* test-server.c: the WebSocket endpoint through a real server on a
 * loopback port and a real client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-jwt.h"
#include "test-utils.h"

#define USER     TEST_USER
#define PASSWORD TEST_PASSWORD

static void
setup (TestServer    *ts,
       gconstpointer  data)
{
  test_server_setup (ts, FALSE);
}

static void
teardown (TestServer    *ts,
          gconstpointer  data)
{
  test_server_teardown (ts);
}

/* The connection still works and is in the expected authentication state. */
static void
assert_usable (TestClient *c,
               gboolean    authenticated)
{
  g_autoptr(JsonObject) pong = test_client_request (c, "{\"type\":\"heartbeat\",\"id\":\"hb\"}");
  g_autoptr(JsonObject) reply = NULL;

  test_assert_envelope (pong, "status");
  g_assert_cmpstr (json_object_get_string_member (pong, "status"), ==, "pong");
  g_assert_cmpstr (json_object_get_string_member (pong, "id"), ==, "hb");

  /* A protected request: whatever its service answers, it is not refused
   * for authentication once authenticated. */
  reply = test_client_request (c, "{\"type\":\"session_status\"}");
  if (authenticated)
    g_assert_cmpstr (json_object_get_string_member_with_default (reply, "error_code", ""), !=,
                     "authentication_required");
  else
    test_assert_error (reply, "authentication_required");
}

static void
test_connected (TestServer    *ts,
                gconstpointer  data)
{
  g_autofree char *url = test_server_url (ts, "/ws");
  g_autoptr(TestClient) c = test_client_connect (url, NULL);
  g_autoptr(JsonObject) msg = test_client_receive (c, 10000);
  g_autoptr(TestClient) c2 = NULL;
  g_autoptr(JsonObject) msg2 = NULL;
  g_autofree char *root_url = test_server_url (ts, "/");
  JsonArray *features;
  gboolean has_heartbeat = FALSE, has_session_start = FALSE;

  test_assert_envelope (msg, "status");
  g_assert_cmpstr (json_object_get_string_member (msg, "status"), ==, "connected");
  g_assert_false (json_object_has_member (msg, "id"));
  g_assert_cmpuint (strlen (json_object_get_string_member (msg, "client_id")), ==, 36);
  g_assert_cmpstr (json_object_get_string_member (msg, "server_version"), ==, PACKAGE_VERSION);
  g_assert_false (json_object_get_boolean_member (msg, "authenticated"));
  features = json_object_get_array_member (msg, "features");
  for (guint i = 0; i < json_array_get_length (features); i++)
    {
      const char *f = json_array_get_string_element (features, i);

      has_heartbeat |= g_str_equal (f, "heartbeat");
      has_session_start |= g_str_equal (f, "session_start");
    }
  g_assert_true (has_heartbeat);
  /* Only what is really served is advertised. */
  g_assert_false (has_session_start);

  /* "/" is the WebSocket endpoint too, with a client id of its own. */
  c2 = test_client_connect (root_url, NULL);
  g_assert_nonnull (c2->ws);
  msg2 = test_client_receive (c2, 10000);
  g_assert_cmpstr (json_object_get_string_member (msg2, "status"), ==, "connected");
  g_assert_cmpstr (json_object_get_string_member (msg2, "client_id"), !=,
                   json_object_get_string_member (msg, "client_id"));
  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 2);
}

static void
test_heartbeat_and_ids (TestServer    *ts,
                        gconstpointer  data)
{
  g_autoptr(TestClient) c = test_client_open (ts, NULL);
  g_autofree char *id64 = g_strnfill (64, 'a');
  g_autofree char *id65 = g_strnfill (65, 'a');
  JsonObject *m;

  m = test_client_request (c, "{\"type\":\"heartbeat\",\"id\":\"abc\"}");
  test_assert_envelope (m, "status");
  g_assert_cmpstr (json_object_get_string_member (m, "status"), ==, "pong");
  g_assert_cmpstr (json_object_get_string_member (m, "id"), ==, "abc");
  json_object_unref (m);

  m = test_client_request (c, "{\"type\":\"heartbeat\",\"id\":9007199254740993}");
  g_assert_cmpint (json_object_get_int_member (m, "id"), ==, G_GINT64_CONSTANT (9007199254740993));
  json_object_unref (m);

  m = test_client_request (c, "{\"type\":\"heartbeat\"}");
  g_assert_cmpstr (json_object_get_string_member (m, "status"), ==, "pong");
  g_assert_false (json_object_has_member (m, "id"));
  json_object_unref (m);

  /* null counts as absent */
  m = test_client_request (c, "{\"id\":null,\"type\":\"heartbeat\"}");
  g_assert_cmpstr (json_object_get_string_member (m, "status"), ==, "pong");
  g_assert_false (json_object_has_member (m, "id"));
  json_object_unref (m);

  test_client_send_printf (c, "{\"type\":\"heartbeat\",\"id\":\"%s\"}", id64);
  m = test_client_receive (c, 10000);
  g_assert_cmpstr (json_object_get_string_member (m, "id"), ==, id64);
  json_object_unref (m);

  /* Ids that are refused are not echoed, and details name the field. */
  test_client_send_printf (c, "{\"type\":\"heartbeat\",\"id\":\"%s\"}", id65);
  m = test_client_receive (c, 10000);
  test_assert_error (m, "validation_error");
  g_assert_cmpstr (test_error_field (m), ==, "id");
  g_assert_false (json_object_has_member (m, "id"));
  json_object_unref (m);

  for (guint i = 0; i < 4; i++)
    {
      static const char *const bad[] = { "1.5", "true", "{}", "[1]" };

      test_client_send_printf (c, "{\"type\":\"heartbeat\",\"id\":%s}", bad[i]);
      m = test_client_receive (c, 10000);
      test_assert_error (m, "validation_error");
      g_assert_cmpstr (test_error_field (m), ==, "id");
      json_object_unref (m);
    }

  /* Errors echo a valid id too. */
  m = test_client_request (c, "{\"type\":\"nope\",\"id\":7}");
  test_assert_error (m, "unknown_message_type");
  g_assert_cmpint (json_object_get_int_member (m, "id"), ==, 7);
  json_object_unref (m);
}

static void
test_invalid_json (TestServer    *ts,
                   gconstpointer  data)
{
  g_autoptr(TestClient) c = test_client_open (ts, NULL);
  static const char *const inputs[] = {
    "not json", "[1,2,3]", "42", "\"a string\"", "null", "{", "{\"type\":\"heartbeat\",}", "",
  };
  g_autoptr(GString) deep = g_string_new ("{\"type\":\"heartbeat\",\"x\":");

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(JsonObject) m = test_client_request (c, inputs[i]);

      test_assert_error (m, "invalid_json");
      g_assert_false (json_object_has_member (m, "id"));
    }

  /* 10 000 levels: refused before json-glib recurses into it. */
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  {
    g_autoptr(JsonObject) m = test_client_request (c, deep->str);

    test_assert_error (m, "invalid_json");
    g_assert_nonnull (strstr (json_object_get_string_member (m, "error_message"), "deeper"));
  }

  assert_usable (c, FALSE);
}

static void
test_invalid_utf8 (TestServer    *ts,
                   gconstpointer  data)
{
  g_autoptr(TestClient) c = test_client_open (ts, NULL);
  g_autoptr(GSocketConnection) raw = test_raw_connect (ts->port);
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  static const char bad[] = "{\"type\":\"heartbeat\",\"id\":\"\xc3\x28\"}";
  guint16 code = 0;

  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 2);

  /* libsoup 3.2 validates text frames itself and closes with 1007 before
   * the message reaches the router (whose own guard covers other inputs). */
  test_raw_send_frame (raw, 0x1, bad, sizeof bad - 1);
  WAIT_UNTIL ((code = test_raw_poll_close (raw, buf)) != 0);
  g_assert_cmpuint (code, ==, SOUP_WEBSOCKET_CLOSE_BAD_DATA);
  g_io_stream_close (G_IO_STREAM (raw), NULL, NULL);
  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 1);
  assert_usable (c, FALSE);
}

static void
test_type_and_fields (TestServer    *ts,
                      gconstpointer  data)
{
  g_autoptr(TestClient) c = test_client_open (ts, NULL);
  static const struct { const char *msg; const char *code; const char *field; } cases[] = {
    { "{\"id\":1}", "validation_error", "type" },
    { "{\"type\":5}", "validation_error", "type" },
    { "{\"type\":null}", "validation_error", "type" },
    { "{\"type\":\"frobnicate\"}", "unknown_message_type", NULL },
    { "{\"type\":\"auth\"}", "validation_error", "token" },
    { "{\"type\":\"auth\",\"token\":5}", "validation_error", "token" },
    { "{\"type\":\"auth\",\"token\":\"t\",\"extra\":1}", "validation_error", "extra" },
    { "{\"type\":\"login\",\"username\":\"a\"}", "validation_error", "password" },
    { "{\"type\":\"login\",\"username\":[],\"password\":\"p\"}", "validation_error", "username" },
    { "{\"type\":\"refresh\",\"refresh_token\":{}}", "validation_error", "refresh_token" },
    { "{\"type\":\"heartbeat\",\"payload\":1}", "validation_error", "payload" },
    { "{\"type\":\"handshake\"}", "validation_error", "version" },
    { "{\"type\":\"handshake\",\"version\":\"2.0\"}", "validation_error", "version" },
    { "{\"type\":\"handshake\",\"version\":\"1.0\",\"capabilities\":\"all\"}",
      "validation_error", "capabilities" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) m = test_client_request (c, cases[i].msg);

      test_assert_error (m, cases[i].code);
      g_assert_cmpstr (test_error_field (m), ==, cases[i].field);
    }

  {
    g_autoptr(JsonObject) m =
      test_client_request (c, "{\"type\":\"handshake\",\"version\":\"1.0\",\"id\":\"h\","
                              "\"client_id\":\"mine\",\"capabilities\":[\"x\"]}");
    JsonObject *d;

    test_assert_response (m, "handshake_accepted");
    g_assert_cmpstr (json_object_get_string_member (m, "id"), ==, "h");
    d = json_object_get_object_member (m, "data");
    g_assert_cmpstr (json_object_get_string_member (d, "server_version"), ==, PACKAGE_VERSION);
    g_assert_true (json_object_get_array_member (d, "server_capabilities") != NULL);
  }

  assert_usable (c, FALSE);
}

/* Every PROTOCOL §4 request that has no service yet, with valid fields. */
static const struct { const char *msg; const char *service; } unimplemented[] = {
  { "{\"type\":\"session_start\",\"session_type\":\"paper\","
    "\"strategy_config\":{\"s1\":[\"BTCUSDT\"]},\"config\":{}}", "session manager" },
  { "{\"type\":\"session_stop\",\"session_id\":\"x\"}", "session manager" },
  { "{\"type\":\"session_status\"}", "session manager" },
  { "{\"type\":\"get_strategies\"}", "strategy manager" },
  { "{\"type\":\"activate_strategy\",\"strategy_name\":\"s\",\"symbol\":\"BTCUSDT\"}",
    "strategy manager" },
  { "{\"type\":\"deactivate_strategy\",\"strategy_name\":\"s\",\"symbol\":\"BTCUSDT\"}",
    "strategy manager" },
  { "{\"type\":\"get_strategy_status\",\"strategy_name\":\"s\"}", "strategy manager" },
  { "{\"type\":\"validate_strategy_config\",\"strategy_config\":{}}", "strategy manager" },
  { "{\"type\":\"upsert_strategy\",\"strategy_config\":{}}", "strategy manager" },
  { "{\"type\":\"results_request\",\"request_type\":\"session_results\",\"session_id\":\"x\"}",
    "results service" },
  { "{\"type\":\"subscribe\",\"stream\":\"signals\",\"params\":{}}", "stream service" },
  { "{\"type\":\"unsubscribe\",\"stream\":\"signals\"}", "stream service" },
  { "{\"type\":\"collection_start\",\"symbols\":[\"BTCUSDT\"],\"duration\":\"1h\"}",
    "collection service" },
  { "{\"type\":\"collection_stop\",\"collection_id\":\"c\"}", "collection service" },
  { "{\"type\":\"collection_status\"}", "collection service" },
};

static void
test_authentication_required (TestServer    *ts,
                              gconstpointer  data)
{
  g_autoptr(TestClient) c = test_client_open (ts, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (unimplemented); i++)
    {
      g_autoptr(JsonObject) m = test_client_request (c, unimplemented[i].msg);

      test_assert_error (m, "authentication_required");
    }

  {
    g_autoptr(JsonObject) m = test_client_request (c, "{\"type\":\"logout\",\"id\":3}");

    test_assert_error (m, "authentication_required");
    g_assert_cmpint (json_object_get_int_member (m, "id"), ==, 3);
  }
}

static void
test_service_unavailable (TestServer    *ts,
                          gconstpointer  data)
{
  g_autoptr(KantorAuthGrant) grant = test_server_login (ts, USER, PASSWORD);
  g_autoptr(TestClient) c = test_client_open (ts, grant->access_token);

  for (guint i = 0; i < G_N_ELEMENTS (unimplemented); i++)
    {
      g_autofree char *with_id = NULL;
      g_autoptr(JsonObject) m = NULL;
      JsonObject *details;

      /* Splice an id in front of the other members. */
      with_id = g_strdup_printf ("{\"id\":\"r%u\",%s", i, unimplemented[i].msg + 1);
      m = test_client_request (c, with_id);
      test_assert_error (m, "service_unavailable");
      g_assert_nonnull (strstr (json_object_get_string_member (m, "error_message"),
                                unimplemented[i].service));
      details = json_object_get_object_member (m, "details");
      g_assert_nonnull (strstr (json_object_get_string_member (details, "service"),
                                unimplemented[i].service));
      g_assert_true (g_str_has_prefix (unimplemented[i].msg + 9,
                                       json_object_get_string_member (details, "request_type")));
      {
        g_autofree char *expected_id = g_strdup_printf ("r%u", i);

        g_assert_cmpstr (json_object_get_string_member (m, "id"), ==, expected_id);
      }
    }

  /* The schemas are checked before the missing service is reported. */
  {
    static const struct { const char *msg; const char *code; const char *field; } bad[] = {
      { "{\"type\":\"session_start\",\"session_type\":\"paper\"}", "missing_strategy_config",
        "strategy_config" },
      { "{\"type\":\"session_start\",\"session_type\":1,\"strategy_config\":{}}",
        "validation_error", "session_type" },
      { "{\"type\":\"session_stop\"}", "validation_error", "session_id" },
      { "{\"type\":\"collection_start\",\"symbols\":\"BTCUSDT\"}", "validation_error",
        "symbols" },
      { "{\"type\":\"subscribe\",\"stream\":\"signals\",\"params\":[]}", "validation_error",
        "params" },
      { "{\"type\":\"get_strategies\",\"verbose\":true}", "validation_error", "verbose" },
      { "{\"type\":\"results_request\"}", "validation_error", "request_type" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(JsonObject) m = test_client_request (c, bad[i].msg);

        test_assert_error (m, bad[i].code);
        g_assert_cmpstr (test_error_field (m), ==, bad[i].field);
      }
  }
}

/* A handler plugged in from outside the api folder, and an internal fault
 * turned into handler_error with a correlation id. */
static void
failing_handler (KantorClientConnection *connection,
                 JsonNode               *id,
                 JsonObject             *message,
                 gpointer                user_data)
{
  g_autoptr(GError) error = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_IO, "disk on fire");

  (*(guint *) user_data)++;
  kantor_client_connection_reply_gerror (connection, id, error);
}

static void
echo_handler (KantorClientConnection *connection,
              JsonNode               *id,
              JsonObject             *message,
              gpointer                user_data)
{
  g_autoptr(JsonObject) data = json_object_new ();

  json_object_set_string_member (data, "strategy_name", "echo");
  json_object_set_double_member (data, "price", 50002.79);
  kantor_client_connection_reply (connection, id, "strategies_list", data);
}

static void
test_plugged_handlers (TestServer    *ts,
                       gconstpointer  data)
{
  g_autoptr(KantorAuthGrant) grant = test_server_login (ts, USER, PASSWORD);
  KantorRouter *router = kantor_server_get_router (ts->server);
  static const KantorRouteField fields[] = { { "what", KANTOR_FIELD_STRING, TRUE }, { NULL } };
  static const KantorRoute route = { "explode", failing_handler, KANTOR_ROUTE_DEFAULT, fields,
                                     NULL };
  guint calls = 0;
  g_autoptr(TestClient) c = NULL;
  g_autoptr(JsonObject) m = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) bad = NULL;
  JsonObject *details;

  kantor_router_add (router, &route, &calls);
  g_assert_true (kantor_router_set_handler (router, "get_strategies", echo_handler, NULL));

  c = test_client_open (ts, grant->access_token);
  bad = test_client_request (c, "{\"type\":\"explode\"}");
  test_assert_error (bad, "validation_error");
  g_assert_cmpuint (calls, ==, 0);

  g_test_expect_message ("kantor-api", G_LOG_LEVEL_WARNING, "*disk on fire*");
  m = test_client_request (c, "{\"type\":\"explode\",\"what\":\"x\",\"id\":1}");
  g_test_assert_expected_messages ();
  g_assert_cmpuint (calls, ==, 1);
  test_assert_error (m, "handler_error");
  details = json_object_get_object_member (m, "details");
  g_assert_cmpuint (strlen (json_object_get_string_member (details, "correlation_id")), ==, 36);
  /* The cause stays in the log. */
  g_assert_null (strstr (json_object_get_string_member (m, "error_message"), "disk"));

  r = test_client_request (c, "{\"type\":\"get_strategies\",\"id\":2}");
  test_assert_response (r, "strategies_list");
  g_assert_cmpstr (json_object_get_string_member (r, "strategy_name"), ==, "echo");
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (r, "data"),
                                                    "price"), ==, 50002.79);
}

static char *
b64 (const char *s)
{
  return kantor_base64url_encode ((const guint8 *) s, strlen (s));
}

static gint64 future_clock (gpointer user_data) { return *(gint64 *) user_data; }

static void
test_bad_tokens (TestServer    *ts,
                 gconstpointer  data)
{
  g_autoptr(KantorAuthGrant) grant = test_server_login (ts, USER, PASSWORD);
  g_autoptr(TestClient) c = test_client_open (ts, NULL);
  const char *access = grant->access_token;
  const char *dot1 = strchr (access, '.');
  const char *dot2 = strrchr (access, '.');
  g_autofree char *payload = g_strndup (dot1 + 1, dot2 - dot1 - 1);
  g_autofree char *none_header = b64 ("{\"alg\":\"none\",\"typ\":\"JWT\"}");
  g_autofree char *hs512_header = b64 ("{\"alg\":\"HS512\",\"typ\":\"JWT\"}");
  g_autofree char *alg_none = g_strdup_printf ("%s.%s.", none_header, payload);
  g_autofree char *hs512 = g_strdup_printf ("%s.%s.%s", hs512_header, payload,
                                            "c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl");
  g_autofree char *bad_sig = g_strdup (access);
  g_autofree char *truncated = g_strndup (access, strlen (access) - 10);
  g_autofree char *garbage = g_strnfill (10 * 1024, 'A');
  gint64 later = g_get_real_time () / G_USEC_PER_SEC + 2 * 86400;
  const struct { const char *token; const char *code; } cases[] = {
    { alg_none, "invalid_token" },
    { hs512, "invalid_token" },
    { bad_sig, "invalid_token" },
    { grant->refresh_token, "invalid_token" },
    { truncated, "invalid_token" },
    { garbage, "invalid_token" },
    { "a.b.c", "invalid_token" },
    { "", "invalid_token" },
  };

  /* Flip one character of the signature (keeping it base64url). */
  bad_sig[strlen (bad_sig) - 2] = bad_sig[strlen (bad_sig) - 2] == 'A' ? 'B' : 'A';

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *msg = g_strdup_printf ("{\"type\":\"auth\",\"token\":\"%s\",\"id\":%u}",
                                              cases[i].token, i);
      g_autoptr(JsonObject) m = test_client_request (c, msg);

      test_assert_error (m, cases[i].code);
      g_assert_cmpint (json_object_get_int_member (m, "id"), ==, i);
      assert_usable (c, FALSE);
    }

  /* The real token works... */
  {
    g_autofree char *msg = g_strdup_printf ("{\"type\":\"auth\",\"token\":\"%s\"}", access);
    g_autoptr(JsonObject) m = test_client_request (c, msg);
    JsonObject *d;

    test_assert_response (m, "authenticated");
    d = json_object_get_object_member (m, "data");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (d, "user"),
                                                    "username"), ==, USER);
    g_assert_cmpint (json_object_get_int_member (d, "expires_at"), ==, grant->expires_at);
    g_assert_false (json_object_has_member (d, "access_token"));
    assert_usable (c, TRUE);

    /* ...and a refused one afterwards changes nothing. */
    {
      g_autoptr(JsonObject) e = test_client_request (c, "{\"type\":\"auth\",\"token\":\"x.y.z\"}");

      test_assert_error (e, "invalid_token");
      assert_usable (c, TRUE);
    }
  }

  /* Two days on, the access token has expired. */
  kantor_auth_set_clock (ts->auth, future_clock, &later);
  {
    g_autoptr(TestClient) c2 = test_client_open (ts, NULL);
    g_autofree char *msg = g_strdup_printf ("{\"type\":\"auth\",\"token\":\"%s\"}", access);
    g_autoptr(JsonObject) m = test_client_request (c2, msg);
    g_autofree char *url = test_server_url (ts, "/ws");
    g_autofree char *http = g_strdup_printf ("http://127.0.0.1:%u/ws", ts->port);
    g_autoptr(TestClient) refused = NULL;
    g_autofree char *body = NULL;

    test_assert_error (m, "token_expired");
    assert_usable (c2, FALSE);

    /* Same verdicts on the upgrade, with a JSON body. */
    refused = test_client_connect (url, access);
    g_assert_null (refused->ws);
    g_assert_cmpuint (refused->http_status, ==, 401);
    g_assert_cmpuint (test_http_request ("GET", http, access, &body), ==, 401);
    g_assert_nonnull (strstr (body, "\"error_code\":\"token_expired\""));
  }
  kantor_auth_set_clock (ts->auth, NULL, NULL);
}

static void
test_bearer (TestServer    *ts,
             gconstpointer  data)
{
  g_autoptr(KantorAuthGrant) grant = test_server_login (ts, USER, PASSWORD);
  g_autoptr(TestClient) c = test_client_open (ts, grant->access_token);
  g_autofree char *url = test_server_url (ts, "/ws");
  g_autofree char *http = g_strdup_printf ("http://127.0.0.1:%u/ws", ts->port);
  g_autoptr(TestClient) refused = NULL;
  g_autofree char *body = NULL;

  assert_usable (c, TRUE);

  refused = test_client_connect (url, grant->refresh_token);
  g_assert_null (refused->ws);
  g_assert_cmpuint (refused->http_status, ==, 401);

  g_assert_cmpuint (test_http_request ("GET", http, "garbage.garbage.garbage", &body), ==, 401);
  g_assert_nonnull (strstr (body, "\"error_code\":\"invalid_token\""));
  g_assert_cmpuint (kantor_server_get_n_connections (ts->server), ==, 1);
}

static void
test_login_refresh_logout (TestServer    *ts,
                           gconstpointer  data)
{
  g_autoptr(TestClient) c = test_client_open (ts, NULL);
  g_autofree char *refresh1 = NULL;
  g_autofree char *refresh2 = NULL;
  JsonObject *m, *d;

  m = test_client_request (c, "{\"type\":\"login\",\"username\":\"" USER "\","
                              "\"password\":\"wrong password\",\"id\":1}");
  test_assert_error (m, "invalid_credentials");
  g_assert_cmpint (json_object_get_int_member (m, "id"), ==, 1);
  json_object_unref (m);
  assert_usable (c, FALSE);

  /* An unknown user costs a full-strength dummy hash (so that timing does
   * not tell): too slow under sanitizers. */
  if (!TEST_SANITIZED || g_test_slow ())
    {
      m = test_client_request (c, "{\"type\":\"login\",\"username\":\"nobody\","
                                  "\"password\":\"whatever1\"}");
      test_assert_error (m, "invalid_credentials");
      json_object_unref (m);
    }

  m = test_client_request (c, "{\"type\":\"login\",\"username\":\"" USER "\","
                              "\"password\":\"" PASSWORD "\",\"id\":\"L\"}");
  test_assert_response (m, "authenticated");
  g_assert_cmpstr (json_object_get_string_member (m, "id"), ==, "L");
  d = json_object_get_object_member (m, "data");
  g_assert_true (kantor_jwt_looks_like_jwt (json_object_get_string_member (d, "access_token")));
  refresh1 = g_strdup (json_object_get_string_member (d, "refresh_token"));
  g_assert_cmpint (json_object_get_int_member (d, "expires_at"), >,
                   g_get_real_time () / G_USEC_PER_SEC);
  json_object_unref (m);
  assert_usable (c, TRUE);

  /* Rotation: a new pair for the refresh token. */
  {
    g_autofree char *msg = g_strdup_printf ("{\"type\":\"refresh\",\"refresh_token\":\"%s\"}",
                                            refresh1);
    m = test_client_request (c, msg);
    test_assert_response (m, "token_refreshed");
    d = json_object_get_object_member (m, "data");
    refresh2 = g_strdup (json_object_get_string_member (d, "refresh_token"));
    g_assert_cmpstr (refresh2, !=, refresh1);
    g_assert_true (kantor_jwt_looks_like_jwt (json_object_get_string_member (d, "access_token")));
    json_object_unref (m);
  }

  /* A new connection refreshes with the new token and is then
   * authenticated; logout revokes what it names. */
  {
    g_autoptr(TestClient) c2 = test_client_open (ts, NULL);
    g_autofree char *msg = g_strdup_printf ("{\"type\":\"refresh\",\"refresh_token\":\"%s\"}",
                                            refresh2);
    g_autofree char *refresh3 = NULL;
    g_autofree char *logout = NULL;
    g_autofree char *again = NULL;

    m = test_client_request (c2, msg);
    test_assert_response (m, "token_refreshed");
    refresh3 = g_strdup (json_object_get_string_member (json_object_get_object_member (m, "data"),
                                                        "refresh_token"));
    json_object_unref (m);
    assert_usable (c2, TRUE);

    logout = g_strdup_printf ("{\"type\":\"logout\",\"refresh_token\":\"%s\",\"id\":9}",
                              refresh3);
    m = test_client_request (c2, logout);
    test_assert_response (m, "logged_out");
    g_assert_cmpint (json_object_get_int_member (m, "id"), ==, 9);
    json_object_unref (m);
    assert_usable (c2, FALSE);

    again = g_strdup_printf ("{\"type\":\"refresh\",\"refresh_token\":\"%s\"}", refresh3);
    m = test_client_request (c2, again);
    test_assert_error (m, "invalid_token");
    json_object_unref (m);
  }

  /* The spent token is refused (and its replay ends the user's other
   * refresh tokens too: the auth service treats it as theft). */
  {
    g_autofree char *msg = g_strdup_printf ("{\"type\":\"refresh\",\"refresh_token\":\"%s\"}",
                                            refresh1);
    m = test_client_request (c, msg);
    test_assert_error (m, "invalid_token");
    json_object_unref (m);
  }
}

static void
test_login_rate_limit (TestServer    *ts,
                       gconstpointer  data)
{
  g_autoptr(TestClient) c = test_client_open (ts, NULL);
  guint limited = 0;

  for (guint i = 0; i < KANTOR_AUTH_MAX_FAILURES + 1; i++)
    {
      g_autoptr(JsonObject) m =
        test_client_request (c, "{\"type\":\"login\",\"username\":\"" USER "\","
                                "\"password\":\"not the password\"}");
      const char *code = json_object_get_string_member (m, "error_code");

      if (g_str_equal (code, "rate_limit_exceeded"))
        limited++;
      else
        g_assert_cmpstr (code, ==, "invalid_credentials");
    }
  g_assert_cmpuint (limited, ==, 1);

  /* Even the right password waits now. */
  {
    g_autoptr(JsonObject) m =
      test_client_request (c, "{\"type\":\"login\",\"username\":\"" USER "\","
                              "\"password\":\"" PASSWORD "\"}");

    test_assert_error (m, "rate_limit_exceeded");
  }
  assert_usable (c, FALSE);
}

static void
test_health_and_http (TestServer    *ts,
                      gconstpointer  data)
{
  g_autoptr(TestClient) c1 = test_client_open (ts, NULL);
  g_autoptr(TestClient) c2 = test_client_open (ts, NULL);
  g_autofree char *health = g_strdup_printf ("http://127.0.0.1:%u/health", ts->port);
  g_autofree char *body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  static const struct { const char *method; const char *path; guint status; const char *code; }
  cases[] = {
    { "GET", "/api/v1/sessions", 401, "authentication_required" },
    { "POST", "/api/v1/strategies/foo", 405, "method_not_allowed" },
    { "GET", "/api/v1/nothing", 404, "not_found" },
    { "GET", "/nope", 404, "not_found" },
    { "POST", "/health", 405, "method_not_allowed" },
    { "POST", "/ws", 405, "method_not_allowed" },
  };

  g_assert_cmpuint (test_http_request ("GET", health, NULL, &body), ==, 200);
  json_parser_load_from_data (parser, body, -1, &error);
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (o, "version"), ==, PACKAGE_VERSION);
  g_assert_cmpint (json_object_get_int_member (o, "uptime"), >=, 0);
  g_assert_cmpint (json_object_get_int_member (o, "connections"), ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", ts->port, cases[i].path);
      g_autofree char *b = NULL;
      g_autofree char *needle = g_strdup_printf ("\"error_code\":\"%s\"", cases[i].code);

      g_assert_cmpuint (test_http_request (cases[i].method, url, NULL, &b), ==, cases[i].status);
      g_assert_nonnull (strstr (b, needle));
    }
}

static void
test_oversize_and_binary (TestServer    *ts,
                          gconstpointer  data)
{
  g_autoptr(TestClient) c = test_client_open (ts, NULL);
  g_autoptr(TestClient) c2 = test_client_open (ts, NULL);
  g_autoptr(TestClient) c3 = test_client_open (ts, NULL);
  const char *head = "{\"type\":\"heartbeat\",\"pad\":\"";
  gsize size = 1024 * 1024;
  g_autoptr(GString) exact = g_string_sized_new (size + 2);
  g_autoptr(JsonObject) m = NULL;
  static const guint8 blob[] = { 0x7b, 0x7d, 0x00, 0xff };

  /* Exactly 1 MiB is accepted (and refused for its unknown field). */
  g_string_append (exact, head);
  while (exact->len < size - 2)
    g_string_append_c (exact, 'x');
  g_string_append (exact, "\"}");
  g_assert_cmpuint (exact->len, ==, size);
  m = test_client_request (c, exact->str);
  test_assert_error (m, "validation_error");
  g_assert_cmpstr (test_error_field (m), ==, "pad");

  /* One byte more closes with 1009. */
  g_string_insert_c (exact, strlen (head), 'y');
  test_client_send (c, exact->str);
  g_assert_cmpuint (test_client_wait_closed (c), ==, 1009);

  soup_websocket_connection_send_binary (c2->ws, blob, sizeof blob);
  g_assert_cmpuint (test_client_wait_closed (c2), ==, 1003);

  /* Others are unaffected. */
  assert_usable (c3, FALSE);
  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 1);
}

static void
test_rate_limit (TestServer    *ts,
                 gconstpointer  data)
{
  g_autoptr(TestClient) c = NULL;
  g_autoptr(TestClient) other = NULL;
  guint pongs = 0, limited = 0;
  const guint n = 40;

  kantor_server_set_rate_limit (ts->server, 5.0, 10.0);
  c = test_client_open (ts, NULL);
  other = test_client_open (ts, NULL);

  for (guint i = 0; i < n; i++)
    test_client_send_printf (c, "{\"type\":\"heartbeat\",\"id\":%u}", i);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) m = test_client_receive (c, 10000);

      g_assert_nonnull (m);
      g_assert_cmpint (json_object_get_int_member (m, "id"), ==, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (m, "type", ""), "error") == 0)
        {
          test_assert_error (m, "rate_limit_exceeded");
          limited++;
        }
      else
        pongs++;
    }

  /* The burst of 10 passes, plus what refilled at 5/s while sending. */
  g_assert_cmpuint (pongs, >=, 10);
  g_assert_cmpuint (pongs, <, 20);
  g_assert_cmpuint (limited, ==, n - pongs);

  /* The bucket is per connection. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(JsonObject) m = test_client_request (other, "{\"type\":\"heartbeat\"}");

      g_assert_cmpstr (json_object_get_string_member (m, "status"), ==, "pong");
    }
}

static void
test_max_connections (TestServer    *ts,
                      gconstpointer  data)
{
  g_autofree char *url = test_server_url (ts, "/ws");
  g_autofree char *http = g_strdup_printf ("http://127.0.0.1:%u/ws", ts->port);
  g_autoptr(TestClient) a = NULL;
  g_autoptr(TestClient) b = NULL;
  g_autoptr(TestClient) refused = NULL;
  g_autoptr(TestClient) d = NULL;
  g_autofree char *body = NULL;

  kantor_server_set_max_connections (ts->server, 2);
  a = test_client_open (ts, NULL);
  b = test_client_open (ts, NULL);

  refused = test_client_connect (url, NULL);
  g_assert_null (refused->ws);
  g_assert_cmpuint (refused->http_status, ==, 503);
  g_assert_cmpuint (test_http_request ("GET", http, NULL, &body), ==, 503);
  g_assert_nonnull (strstr (body, "\"error_code\":\"too_many_connections\""));

  g_clear_pointer (&a, test_client_free);
  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 1);
  d = test_client_open (ts, NULL);
  assert_usable (d, FALSE);
  assert_usable (b, FALSE);
}

static void
test_many_clients (TestServer    *ts,
                   gconstpointer  data)
{
  g_autoptr(KantorAuthGrant) grant = test_server_login (ts, USER, PASSWORD);
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify) test_client_free);
  const guint n = 200;
  g_autofree char *auth = g_strdup_printf ("{\"type\":\"auth\",\"token\":\"%s\"}",
                                           grant->access_token);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (clients, test_client_open (ts, NULL));
  g_assert_cmpuint (kantor_server_get_n_connections (ts->server), ==, n);

  /* All at once, then collect. */
  for (guint i = 0; i < n; i++)
    test_client_send (g_ptr_array_index (clients, i), auth);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) m = test_client_receive (g_ptr_array_index (clients, i), 20000);

      test_assert_response (m, "authenticated");
    }
  for (guint i = 0; i < n; i++)
    test_client_send_printf (g_ptr_array_index (clients, i),
                             "{\"type\":\"heartbeat\",\"id\":%u}", i);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) m = test_client_receive (g_ptr_array_index (clients, i), 20000);

      g_assert_cmpstr (json_object_get_string_member (m, "status"), ==, "pong");
      g_assert_cmpint (json_object_get_int_member (m, "id"), ==, i);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) m = test_client_request (g_ptr_array_index (clients, i),
                                                     "{\"type\":\"session_status\"}");

      test_assert_error (m, "service_unavailable");
    }
}

/* A peer that completed the upgrade but never answers pings. */
static void
test_keepalive_sweep (TestServer    *ts,
                      gconstpointer  data)
{
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(TestClient) alive = NULL;
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  guint16 close_code = 0;

  kantor_server_set_keepalive (ts->server, 1, 2);
  alive = test_client_open (ts, NULL);

  conn = test_raw_connect (ts->port);
  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 2);

  /* Read without ever answering: connected, pings, then the close. */
  WAIT_UNTIL ((close_code = test_raw_poll_close (conn, buf)) != 0);
  g_assert_cmpuint (close_code, ==, 1008);
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 1);

  /* The client that answers pings is still there. */
  assert_usable (alive, FALSE);
}

static void
on_client_connected (KantorServer           *server,
                     KantorClientConnection *connection,
                     gpointer                user_data)
{
  kantor_client_connection_set_max_backlog (connection, 64 * 1024);
  g_set_object ((KantorClientConnection **) user_data, connection);
}

/* A peer that sends and never reads is cut off once its unsent replies
 * pass the backlog bound; others carry on. */
static void
test_backlog_bound (TestServer    *ts,
                    gconstpointer  data)
{
  g_autoptr(TestClient) alive = test_client_open (ts, NULL);
  g_autoptr(GSocketConnection) raw = NULL;
  g_autoptr(KantorClientConnection) victim = NULL;
  static const char hb[] = "{\"type\":\"heartbeat\",\"id\":\"flood-flood-flood-flood\"}";
  gulong handler;
  guint sent = 0;

  /* Some 40 000 requests fill the kernel's buffers first: seconds under
   * sanitizers. */
  if (TEST_SANITIZED && !g_test_slow ())
    {
      g_test_skip ("slow under sanitizers; run with -m slow");
      return;
    }

  kantor_server_set_rate_limit (ts->server, 0, 1);
  handler = g_signal_connect (ts->server, "client-connected", G_CALLBACK (on_client_connected),
                              &victim);
  raw = test_raw_connect (ts->port);
  WAIT_UNTIL (victim != NULL);
  g_signal_handler_disconnect (ts->server, handler);

  /* Kernel buffers take a few MiB first; then the backlog grows. */
  while (kantor_client_connection_is_open (victim) && sent < 2000000)
    {
      /* Less per round than the server reads per wake-up (16 KiB), so
       * that our non-blocking writes never find the socket full. */
      for (guint i = 0; i < 64; i++, sent++)
        test_raw_send_frame (raw, 0x1, hb, sizeof hb - 1);
      g_main_context_iteration (NULL, FALSE);
    }
  WAIT_UNTIL (!kantor_client_connection_is_open (victim));
  g_assert_cmpuint (kantor_client_connection_get_close_code (victim), ==, 1013);
  WAIT_UNTIL (kantor_server_get_n_connections (ts->server) == 1);
  assert_usable (alive, FALSE);
}

/* A server dropped while clients are connected says goodbye (1001) and
 * leaves nothing behind. */
static void
test_dispose_with_clients (TestServer    *ts,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  KantorServer *server = kantor_server_new (ts->auth);
  g_autofree char *url = NULL;
  g_autoptr(TestClient) a = NULL;
  g_autoptr(TestClient) b = NULL;
  g_autoptr(JsonObject) ha = NULL;
  g_autoptr(JsonObject) hb = NULL;

  kantor_server_listen (server, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("ws://127.0.0.1:%u/ws", kantor_server_get_port (server));
  a = test_client_connect (url, NULL);
  b = test_client_connect (url, NULL);
  ha = test_client_receive (a, 10000);
  hb = test_client_receive (b, 10000);
  g_assert_nonnull (ha);
  g_assert_nonnull (hb);
  g_assert_cmpuint (kantor_server_get_n_connections (server), ==, 2);

  g_object_add_weak_pointer (G_OBJECT (server), (gpointer *) &server);
  g_object_unref (server);
  g_assert_null (server);
  g_assert_cmpuint (test_client_wait_closed (a), ==, 1001);
  g_assert_cmpuint (test_client_wait_closed (b), ==, 1001);
}

static void
test_daemon_restart (void)
{
  g_autofree char *root = test_make_temp_root ();
  TestDaemon *d;
  g_autofree char *refresh = NULL;

  test_seed_root (root);
  /* --add-user hashes at full strength: too slow under sanitizers. */
  if (!TEST_SANITIZED || g_test_slow ())
    test_daemon_add_user (root, "bob", "another good password");

  d = test_daemon_start (root, NULL);
  {
    g_autoptr(TestClient) c = test_client_connect (d->url, NULL);
    g_autoptr(JsonObject) hello = test_client_receive (c, 10000);
    g_autoptr(JsonObject) m = NULL;

    g_assert_cmpstr (json_object_get_string_member (hello, "status"), ==, "connected");
    m = test_client_request (c, "{\"type\":\"login\",\"username\":\"" USER "\","
                                "\"password\":\"" PASSWORD "\"}");
    test_assert_response (m, "authenticated");
    refresh = g_strdup (json_object_get_string_member (json_object_get_object_member (m, "data"),
                                                       "refresh_token"));
    if (!TEST_SANITIZED || g_test_slow ())
      {
        g_autoptr(JsonObject) b =
          test_client_request (c, "{\"type\":\"login\",\"username\":\"bob\","
                                  "\"password\":\"another good password\"}");

        test_assert_response (b, "authenticated");
      }
  }
  g_assert_cmpint (test_daemon_stop (d), ==, 0);
  test_daemon_free (d);

  /* A second start: same users, same signing secret, same refresh tokens. */
  d = test_daemon_start (root, NULL);
  {
    g_autoptr(TestClient) c = test_client_connect (d->url, NULL);
    g_autoptr(JsonObject) hello = test_client_receive (c, 10000);
    g_autofree char *msg = g_strdup_printf ("{\"type\":\"refresh\",\"refresh_token\":\"%s\"}",
                                            refresh);
    g_autoptr(JsonObject) m = test_client_request (c, msg);

    test_assert_response (m, "token_refreshed");
    assert_usable (c, TRUE);
  }
  g_assert_cmpint (test_daemon_stop (d), ==, 0);
  test_daemon_free (d);
  test_remove_tree (root);
}

static void
test_daemon_sigterm (void)
{
  g_autofree char *root = test_make_temp_root ();
  g_autofree char *initial = g_build_filename (root, "state", "initial-password", NULL);
  TestDaemon *d;

  /* A first start creates "admin" (full-strength hash) unless a user
   * exists. */
  if (TEST_SANITIZED && !g_test_slow ())
    test_seed_root (root);
  d = test_daemon_start (root, (const char *const[]) { "--dev", NULL });
  g_assert_cmpint (g_file_test (initial, G_FILE_TEST_EXISTS), ==,
                   !TEST_SANITIZED || g_test_slow ());
  {
    g_autoptr(TestClient) a = test_client_connect (d->url, NULL);
    g_autoptr(TestClient) b = test_client_connect (d->url, "tester");
    g_autoptr(JsonObject) ha = test_client_receive (a, 10000);
    g_autoptr(JsonObject) hb = test_client_receive (b, 10000);
    g_autofree char *health = g_strdup_printf ("http://127.0.0.1:%u/health", d->port);
    g_autofree char *body = NULL;

    /* --dev: a test token is accepted on the upgrade. */
    g_assert_false (json_object_get_boolean_member (ha, "authenticated"));
    g_assert_true (json_object_get_boolean_member (hb, "authenticated"));
    g_assert_cmpuint (test_http_request ("GET", health, NULL, &body), ==, 200);
    g_assert_nonnull (strstr (body, "\"connections\":2"));

    g_assert_cmpint (test_daemon_stop (d), ==, 0);
    g_assert_cmpuint (test_client_wait_closed (a), ==, 1001);
    g_assert_cmpuint (test_client_wait_closed (b), ==, 1001);
  }
  test_daemon_free (d);
  test_remove_tree (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, fn) g_test_add ("/kantor/api/server/" path, TestServer, NULL, setup, fn, teardown)
  ADD ("connected", test_connected);
  ADD ("heartbeat-and-ids", test_heartbeat_and_ids);
  ADD ("invalid-json", test_invalid_json);
  ADD ("invalid-utf8", test_invalid_utf8);
  ADD ("type-and-fields", test_type_and_fields);
  ADD ("authentication-required", test_authentication_required);
  ADD ("service-unavailable", test_service_unavailable);
  ADD ("plugged-handlers", test_plugged_handlers);
  ADD ("bad-tokens", test_bad_tokens);
  ADD ("bearer", test_bearer);
  ADD ("login-refresh-logout", test_login_refresh_logout);
  ADD ("login-rate-limit", test_login_rate_limit);
  ADD ("health-and-http", test_health_and_http);
  ADD ("oversize-and-binary", test_oversize_and_binary);
  ADD ("rate-limit", test_rate_limit);
  ADD ("max-connections", test_max_connections);
  ADD ("many-clients", test_many_clients);
  ADD ("keepalive-sweep", test_keepalive_sweep);
  ADD ("backlog-bound", test_backlog_bound);
  ADD ("dispose-with-clients", test_dispose_with_clients);
#undef ADD
  g_test_add_func ("/kantor/api/daemon/restart", test_daemon_restart);
  g_test_add_func ("/kantor/api/daemon/sigterm", test_daemon_sigterm);

  return g_test_run ();
}
