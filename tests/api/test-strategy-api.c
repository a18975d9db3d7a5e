/* test-strategy-api.c: the strategy requests through a real server on a
 * loopback port, a real WebSocket client and a running market feed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kantor-strategy-api.h"
#include "test-utils.h"

/* Price > 0 raises S1 on the first trade; the entry (volume > 1e12) never
 * holds, so the timeout cancels the signal after a second of market time
 * and the machine cycles through its states as the feed runs. %s is the
 * name, %s the enabled flag, %d the timeout. */
static const char doc_format[] =
  "{"
  " \"strategy_name\": \"%s\","
  " \"description\": \"cycles\","
  " \"enabled\": %s,"
  " \"direction\": \"LONG\","
  " \"indicators\": {"
  "   \"price\": {\"type\": \"PRICE\"},"
  "   \"vol\": {\"type\": \"VOLUME\"}"
  " },"
  " \"s1_signal\": {\"conditions\": ["
  "   {\"id\": \"s\", \"indicatorId\": \"price\", \"operator\": \">\", \"value\": 0}]},"
  " \"o1_cancel\": {\"timeoutSeconds\": %d, \"cooldownMinutes\": 0, \"conditions\": []},"
  " \"z1_entry\": {\"conditions\": ["
  "   {\"id\": \"z\", \"indicatorId\": \"vol\", \"operator\": \">\", \"value\": 1e12}],"
  "   \"positionSize\": {\"type\": \"fixed\", \"value\": 100},"
  "   \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 5},"
  "   \"takeProfit\": {\"enabled\": false, \"offsetPercent\": 0}},"
  " \"ze1_close\": {\"conditions\": []},"
  " \"emergency_exit\": {\"cooldownMinutes\": 1, \"conditions\": []},"
  " \"global_limits\": {\"max_position_size_usdt\": 1000}"
  "}";

typedef struct
{
  TestServer             ts;
  char                  *dir;
  KantorMarketFeed      *feed;
  KantorStrategyManager *manager;
  KantorAuthGrant       *grant;
  TestClient            *c;
} Fixture;

static char *
doc_text (const char *name,
          gboolean    enabled,
          int         timeout)
{
  return g_strdup_printf (doc_format, name, enabled ? "true" : "false", timeout);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *broken = NULL;

  test_server_setup (&f->ts, FALSE);
  f->dir = g_build_filename (f->ts.root, "config", "strategies", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  /* One document with an error, next to the examples of the first start. */
  broken = g_build_filename (f->dir, "broken.json", NULL);
  g_file_set_contents (broken, "{\"strategy_name\": \"broken\", \"direction\": \"UP\"}", -1,
                       &error);
  g_assert_no_error (error);

  f->feed = kantor_market_feed_new_synthetic (1234);
  /* Minutes of market time per second: states change without waiting. */
  kantor_market_feed_set_speed (f->feed, 200);
  g_test_expect_message ("kantor-service", G_LOG_LEVEL_WARNING, "*broken.json*");
  f->manager = kantor_strategy_manager_new (f->dir, f->feed, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  kantor_strategy_api_register (kantor_server_get_router (f->ts.server), f->manager);

  f->grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  f->c = test_client_open (&f->ts, f->grant->access_token);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  GObject *manager = G_OBJECT (f->manager);

  g_clear_pointer (&f->c, test_client_free);
  g_clear_pointer (&f->grant, kantor_auth_grant_free);
  /* The router (in the server) goes first: it points at the manager. */
  test_server_teardown (&f->ts);
  g_object_add_weak_pointer (manager, (gpointer *) &manager);
  g_clear_object (&f->manager);
  g_assert_null (manager);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->feed), ==, 0);
  g_clear_object (&f->feed);
  g_free (f->dir);
}

static JsonObject *
request (Fixture    *f,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static JsonObject *
request (Fixture    *f,
         const char *format,
         ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return test_client_request (f->c, text);
}

static JsonObject *
data_of (JsonObject *msg)
{
  return json_object_get_object_member (msg, "data");
}

static JsonObject *
find_strategy (JsonObject *list_reply,
               const char *name)
{
  JsonArray *list = json_object_get_array_member (data_of (list_reply), "strategies");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *s = json_array_get_object_element (list, i);

      if (g_str_equal (json_object_get_string_member (s, "name"), name))
        return s;
    }
  return NULL;
}

static char *
read_file (const char *dir,
           const char *file)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
assert_activation_failed (JsonObject *msg,
                          const char *reason)
{
  test_assert_error (msg, "strategy_activation_failed");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (msg, "details"),
                                                  "reason"), ==, reason);
}

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(JsonObject) reply = request (f, "{\"type\":\"get_strategies\",\"id\":7}");
  JsonObject *pump, *broken;

  test_assert_response (reply, "strategies_list");
  g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (data_of (reply), "count"), ==, 4);

  pump = find_strategy (reply, "pump_rider");
  g_assert_nonnull (pump);
  g_assert_cmpstr (json_object_get_string_member (pump, "direction"), ==, "LONG");
  g_assert_true (json_object_get_boolean_member (pump, "enabled"));
  g_assert_true (json_object_get_boolean_member (pump, "valid"));
  g_assert_cmpint (json_object_get_int_member (pump, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (pump, "description"), !=, "");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (pump,
                                                                        "active_symbols")),
                    ==, 0);

  /* The bad document is listed, invalid, with its errors. */
  broken = find_strategy (reply, "broken");
  g_assert_nonnull (broken);
  g_assert_false (json_object_get_boolean_member (broken, "valid"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (broken, "errors")),
                    >, 0);

  /* Active symbols show up. */
  {
    g_autoptr(JsonObject) act = request (f, "{\"type\":\"activate_strategy\","
                                            "\"strategy_name\":\"pump_rider\","
                                            "\"symbol\":\"ethusdt\"}");
    g_autoptr(JsonObject) again = NULL;
    JsonArray *symbols;

    test_assert_response (act, "strategy_activated");
    again = request (f, "{\"type\":\"get_strategies\"}");
    symbols = json_object_get_array_member (find_strategy (again, "pump_rider"),
                                            "active_symbols");
    g_assert_cmpuint (json_array_get_length (symbols), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (symbols, 0), ==, "ETHUSDT");
  }
}

static void
test_validate (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *good = doc_text ("checked", TRUE, 5);
  g_autoptr(JsonObject) ok = NULL;
  g_autoptr(JsonObject) bad = NULL;
  g_autoptr(JsonObject) missing = NULL;
  g_autoptr(JsonObject) wrong_type = NULL;
  JsonArray *errors;

  ok = request (f, "{\"type\":\"validate_strategy_config\",\"id\":\"v1\","
                   "\"strategy_config\":%s}", good);
  test_assert_response (ok, "strategy_validation");
  g_assert_cmpstr (json_object_get_string_member (ok, "id"), ==, "v1");
  g_assert_true (json_object_get_boolean_member (data_of (ok), "valid"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (ok),
                                                                        "errors")), ==, 0);
  g_assert_true (json_object_has_member (data_of (ok), "warnings"));
  /* Validation stores nothing. */
  g_assert_null (read_file (f->dir, "checked.json"));

  bad = request (f, "{\"type\":\"validate_strategy_config\",\"strategy_config\":"
                    "{\"strategy_name\":\"x\",\"direction\":\"SIDEWAYS\"}}");
  test_assert_response (bad, "strategy_validation");
  g_assert_false (json_object_get_boolean_member (data_of (bad), "valid"));
  errors = json_object_get_array_member (data_of (bad), "errors");
  g_assert_cmpuint (json_array_get_length (errors), >, 1);
  {
    gboolean has_direction = FALSE;

    for (guint i = 0; i < json_array_get_length (errors); i++)
      has_direction |= g_str_equal (json_object_get_string_member (
                                      json_array_get_object_element (errors, i), "path"),
                                    "/direction");
    g_assert_true (has_direction);
  }

  missing = request (f, "{\"type\":\"validate_strategy_config\"}");
  test_assert_error (missing, "validation_error");
  g_assert_cmpstr (test_error_field (missing), ==, "strategy_config");
  wrong_type = request (f, "{\"type\":\"validate_strategy_config\",\"strategy_config\":\"x\"}");
  test_assert_error (wrong_type, "validation_error");
}

static void
test_upsert (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *v1 = doc_text ("fresh", TRUE, 5);
  g_autofree char *v2 = doc_text ("fresh", TRUE, 9);
  g_autofree char *on_disk = NULL;
  g_autofree char *after = NULL;
  g_autoptr(JsonObject) r1 = NULL;
  g_autoptr(JsonObject) r2 = NULL;
  g_autoptr(JsonObject) invalid = NULL;
  g_autoptr(JsonObject) traversal = NULL;
  g_autoptr(JsonObject) missing = NULL;
  JsonObject *details;

  r1 = request (f, "{\"type\":\"upsert_strategy\",\"id\":\"u1\",\"strategy_config\":%s}", v1);
  test_assert_response (r1, "strategy_upserted");
  g_assert_cmpstr (json_object_get_string_member (r1, "strategy_name"), ==, "fresh");
  g_assert_cmpstr (json_object_get_string_member (data_of (r1), "strategy_name"), ==, "fresh");
  g_assert_true (json_object_get_boolean_member (data_of (r1), "created"));
  g_assert_cmpint (json_object_get_int_member (data_of (r1), "version"), ==, 1);

  r2 = request (f, "{\"type\":\"upsert_strategy\",\"strategy_config\":%s}", v2);
  test_assert_response (r2, "strategy_upserted");
  g_assert_false (json_object_get_boolean_member (data_of (r2), "created"));
  g_assert_cmpint (json_object_get_int_member (data_of (r2), "version"), ==, 2);
  on_disk = read_file (f->dir, "fresh.json");
  g_assert_nonnull (strstr (on_disk, "\"timeoutSeconds\" : 9"));

  /* An invalid document: validation_error with the errors, and the file
   * on disk is untouched. */
  invalid = request (f, "{\"type\":\"upsert_strategy\",\"strategy_config\":"
                        "{\"strategy_name\":\"fresh\",\"direction\":\"LONG\"}}");
  test_assert_error (invalid, "validation_error");
  details = json_object_get_object_member (invalid, "details");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (details, "errors")),
                    >, 0);
  after = read_file (f->dir, "fresh.json");
  g_assert_cmpstr (after, ==, on_disk);

  /* A name that would leave the folder. */
  {
    g_autofree char *evil = doc_text ("../x", TRUE, 5);
    g_autofree char *outside = g_build_filename (f->dir, "..", "x.json", NULL);

    traversal = request (f, "{\"type\":\"upsert_strategy\",\"strategy_config\":%s}", evil);
    test_assert_error (traversal, "validation_error");
    g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));
  }

  missing = request (f, "{\"type\":\"upsert_strategy\",\"strategy_config\":[]}");
  test_assert_error (missing, "validation_error");

  /* The new version is what is listed. */
  {
    g_autoptr(JsonObject) list = request (f, "{\"type\":\"get_strategies\"}");

    g_assert_cmpint (json_object_get_int_member (find_strategy (list, "fresh"), "version"), ==,
                     2);
  }

  /* Pipelined upserts are stored and numbered in the order they were sent. */
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *doc = doc_text ("fresh", TRUE, 10 + i);
      g_autofree char *text = g_strdup_printf ("{\"type\":\"upsert_strategy\",\"id\":%d,"
                                               "\"strategy_config\":%s}", i, doc);

      test_client_send (f->c, text);
    }
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(JsonObject) r = test_client_receive (f->c, TEST_TIMEOUT_S * 1000);

      g_assert_nonnull (r);
      test_assert_response (r, "strategy_upserted");
      g_assert_cmpint (json_object_get_int_member (r, "id"), ==, i);
      g_assert_cmpint (json_object_get_int_member (data_of (r), "version"), ==, 3 + i);
    }
  g_clear_pointer (&on_disk, g_free);
  on_disk = read_file (f->dir, "fresh.json");
  g_assert_nonnull (strstr (on_disk, "\"timeoutSeconds\" : 12"));
}

static void
test_upsert_write_failure (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *doc = doc_text ("blocked", TRUE, 5);
  /* A non-empty folder where the document should go: the rename fails,
   * whoever runs the test. */
  g_autofree char *blocker = g_build_filename (f->dir, "blocked.json", NULL);
  g_autofree char *inner = g_build_filename (blocker, "keep", NULL);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) list = NULL;

  g_assert_cmpint (g_mkdir (blocker, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inner, "x", 1, NULL));

  reply = request (f, "{\"type\":\"upsert_strategy\",\"strategy_config\":%s}", doc);
  test_assert_error (reply, "command_failed");
  list = request (f, "{\"type\":\"get_strategies\"}");
  g_assert_null (find_strategy (list, "blocked"));

  g_assert_cmpint (g_remove (inner), ==, 0);
  g_assert_cmpint (g_rmdir (blocker), ==, 0);
}

static void
test_activate_errors (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *off = doc_text ("off", FALSE, 5);
  g_autoptr(JsonObject) up = NULL;
  g_autoptr(JsonObject) r = NULL;

  up = request (f, "{\"type\":\"upsert_strategy\",\"strategy_config\":%s}", off);
  test_assert_response (up, "strategy_upserted");

  r = request (f, "{\"type\":\"activate_strategy\",\"strategy_name\":\"nope\","
                  "\"symbol\":\"BTCUSDT\"}");
  assert_activation_failed (r, "unknown_strategy");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"activate_strategy\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"BTC/USDT\"}");
  assert_activation_failed (r, "invalid_symbol");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"activate_strategy\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\"}");
  assert_activation_failed (r, "invalid_symbol");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"activate_strategy\",\"strategy_name\":\"off\","
                  "\"symbol\":\"BTCUSDT\"}");
  assert_activation_failed (r, "disabled");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"activate_strategy\",\"strategy_name\":\"broken\","
                  "\"symbol\":\"BTCUSDT\"}");
  assert_activation_failed (r, "invalid_strategy");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"activate_strategy\",\"strategy_name\":\"pump_rider\"}");
  test_assert_error (r, "validation_error");
  g_assert_cmpstr (test_error_field (r), ==, "symbol");
  g_clear_pointer (&r, json_object_unref);

  /* A session's activation is not a bare one's to take. */
  g_assert_true (kantor_strategy_manager_activate (f->manager, "pump_rider", "XRPUSDT", "s-1",
                                                   NULL));
  r = request (f, "{\"type\":\"activate_strategy\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"XRPUSDT\"}");
  assert_activation_failed (r, "already_active");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"deactivate_strategy\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"XRPUSDT\"}");
  test_assert_error (r, "command_failed");
  g_assert_cmpuint (kantor_strategy_manager_deactivate_owner (f->manager, "s-1"), ==, 1);
}

static void
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Waits until the activation's status satisfies @pred; returns the status. */
static JsonObject *
wait_status (Fixture    *f,
             const char *name,
             const char *symbol,
             gboolean  (*pred) (JsonObject *data, gpointer user_data),
             gpointer    user_data)
{
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) r = request (f, "{\"type\":\"get_strategy_status\","
                                            "\"strategy_name\":\"%s\",\"symbol\":\"%s\"}",
                                         name, symbol);

      test_assert_response (r, "strategy_status");
      if (pred (data_of (r), user_data))
        return g_steal_pointer (&r);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      /* Let the feed run for a poll interval (its timers fire meanwhile),
       * so that polling stays far under the rate limit. */
      {
        gboolean due = FALSE;

        g_timeout_add_once (50, set_flag, &due);
        while (!due)
          g_main_context_iteration (NULL, TRUE);
      }
    }
}

static gboolean
has_events (JsonObject *data,
            gpointer    user_data)
{
  return json_object_get_int_member (data, "events") >= GPOINTER_TO_INT (user_data);
}

static gboolean
runs_version (JsonObject *data,
              gpointer    user_data)
{
  return json_object_get_int_member (data, "version") == GPOINTER_TO_INT (user_data);
}

static gboolean
in_state (JsonObject *data,
          gpointer    user_data)
{
  return g_str_equal (json_object_get_string_member (data, "state"), user_data);
}

static void
test_status_follows_feed (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *doc = doc_text ("cycler", TRUE, 1);
  gint64 activated_ms = g_get_real_time () / 1000;
  g_autoptr(JsonObject) up = NULL;
  g_autoptr(JsonObject) act = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) detected = NULL;
  g_autoptr(JsonObject) later = NULL;
  g_autoptr(JsonObject) all = NULL;
  g_autoptr(JsonObject) one = NULL;
  JsonObject *d;

  up = request (f, "{\"type\":\"upsert_strategy\",\"strategy_config\":%s}", doc);
  test_assert_response (up, "strategy_upserted");
  act = request (f, "{\"type\":\"activate_strategy\",\"id\":\"a\","
                    "\"strategy_name\":\"cycler\",\"symbol\":\"solusdt\"}");
  test_assert_response (act, "strategy_activated");
  g_assert_cmpstr (json_object_get_string_member (act, "strategy_name"), ==, "cycler");
  d = data_of (act);
  g_assert_cmpstr (json_object_get_string_member (d, "strategy_name"), ==, "cycler");
  g_assert_cmpstr (json_object_get_string_member (d, "symbol"), ==, "SOLUSDT");
  g_assert_cmpstr (json_object_get_string_member (d, "state"), ==, "MONITORING");
  g_assert_cmpint (json_object_get_int_member (d, "since"), >=, activated_ms);
  g_assert_false (json_object_get_boolean_member (d, "already_active"));

  /* Activating again changes nothing. */
  {
    g_autoptr(JsonObject) again = request (f, "{\"type\":\"activate_strategy\","
                                              "\"strategy_name\":\"cycler\","
                                              "\"symbol\":\"SOLUSDT\"}");

    test_assert_response (again, "strategy_activated");
    g_assert_true (json_object_get_boolean_member (data_of (again), "already_active"));
  }

  /* The feed drives it: S1 fires on the first trade ... */
  detected = wait_status (f, "cycler", "SOLUSDT", in_state, (gpointer) "SIGNAL_DETECTED");
  d = data_of (detected);
  g_assert_cmpint (json_object_get_int_member (d, "since"), >=, activated_ms);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (d, "position")));
  g_assert_cmpint (json_object_get_int_member (d, "signals"), >=, 1);
  /* ... the timeout cancels it, and it starts over: the state and its
   * since move on with market time. */
  later = wait_status (f, "cycler", "SOLUSDT", has_events,
                       GINT_TO_POINTER (json_object_get_int_member (d, "events") + 50));
  g_assert_cmpint (json_object_get_int_member (data_of (later), "signals"), >,
                   json_object_get_int_member (d, "signals"));
  g_assert_cmpint (json_object_get_int_member (data_of (later), "last_event_time"), >,
                   json_object_get_int_member (d, "last_event_time"));

  /* A new version replaces the running one at its next swappable point. */
  {
    g_autofree char *v2 = doc_text ("cycler", TRUE, 2);
    g_autoptr(JsonObject) up2 = request (f, "{\"type\":\"upsert_strategy\","
                                            "\"strategy_config\":%s}", v2);
    g_autoptr(JsonObject) swapped = NULL;

    test_assert_response (up2, "strategy_upserted");
    g_assert_cmpint (json_object_get_int_member (data_of (up2), "version"), ==, 2);
    swapped = wait_status (f, "cycler", "SOLUSDT", runs_version, GINT_TO_POINTER (2));
    g_assert_false (json_object_get_boolean_member (data_of (swapped), "swap_pending"));
  }

  /* The strategy's own status, and everything. */
  one = request (f, "{\"type\":\"get_strategy_status\",\"strategy_name\":\"cycler\"}");
  test_assert_response (one, "strategy_status");
  g_assert_cmpstr (json_object_get_string_member (one, "strategy_name"), ==, "cycler");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (one),
                                                                        "activations")),
                    ==, 1);
  all = request (f, "{\"type\":\"get_strategy_status\"}");
  test_assert_response (all, "all_strategies_status");
  g_assert_cmpint (json_object_get_int_member (data_of (all), "count"), ==, 1);
  {
    JsonObject *a = json_array_get_object_element (
      json_object_get_array_member (data_of (all), "activations"), 0);

    g_assert_cmpstr (json_object_get_string_member (a, "symbol"), ==, "SOLUSDT");
    g_assert_nonnull (json_object_get_string_member (a, "state"));
  }
}

static void
test_status_and_deactivate_errors (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(JsonObject) r = NULL;

  r = request (f, "{\"type\":\"get_strategy_status\",\"strategy_name\":\"nope\"}");
  test_assert_error (r, "strategy_not_found");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"get_strategy_status\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"BTCUSDT\"}");
  test_assert_error (r, "strategy_not_found");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"deactivate_strategy\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"BTCUSDT\"}");
  test_assert_error (r, "strategy_not_found");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"deactivate_strategy\",\"strategy_name\":\"pump_rider\"}");
  test_assert_error (r, "validation_error");
  g_clear_pointer (&r, json_object_unref);

  /* Active, then gone. */
  r = request (f, "{\"type\":\"activate_strategy\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"BTCUSDT\"}");
  test_assert_response (r, "strategy_activated");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"get_strategy_status\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"btcusdt\"}");
  test_assert_response (r, "strategy_status");
  g_assert_cmpstr (json_object_get_string_member (data_of (r), "state"), !=, NULL);
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"deactivate_strategy\",\"id\":\"d\","
                  "\"strategy_name\":\"pump_rider\",\"symbol\":\"btcusdt\"}");
  test_assert_response (r, "strategy_deactivated");
  g_assert_cmpstr (json_object_get_string_member (r, "strategy_name"), ==, "pump_rider");
  g_assert_cmpstr (json_object_get_string_member (data_of (r), "symbol"), ==, "BTCUSDT");
  g_clear_pointer (&r, json_object_unref);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->feed), ==, 0);
  r = request (f, "{\"type\":\"get_strategy_status\",\"strategy_name\":\"pump_rider\","
                  "\"symbol\":\"BTCUSDT\"}");
  test_assert_error (r, "strategy_not_found");
  g_clear_pointer (&r, json_object_unref);
  r = request (f, "{\"type\":\"get_strategy_status\"}");
  test_assert_response (r, "all_strategies_status");
  g_assert_cmpint (json_object_get_int_member (data_of (r), "count"), ==, 0);
}

static void
test_needs_auth (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TestClient) anon = test_client_open (&f->ts, NULL);
  g_autoptr(JsonObject) r = test_client_request (anon, "{\"type\":\"get_strategies\"}");

  test_assert_error (r, "authentication_required");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/kantor/api/strategies/" path, Fixture, NULL, setup, func, teardown)
  ADD ("list", test_list);
  ADD ("validate", test_validate);
  ADD ("upsert", test_upsert);
  ADD ("upsert-write-failure", test_upsert_write_failure);
  ADD ("activate-errors", test_activate_errors);
  ADD ("status-follows-feed", test_status_follows_feed);
  ADD ("status-and-deactivate-errors", test_status_and_deactivate_errors);
  ADD ("needs-auth", test_needs_auth);
#undef ADD

  return g_test_run ();
}
