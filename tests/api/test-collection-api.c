/* test-collection-api.c: the collection requests through a real server on
 * a loopback port, a real WebSocket client and the synthetic market feed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "kantor-collection-api.h"
#include "kantor-collection-source.h"
#include "test-utils.h"

typedef struct
{
  TestServer               ts;
  char                    *data_dir;
  KantorMarketFeed        *feed;
  KantorCollectionManager *manager;
  KantorAuthGrant         *grant;
  TestClient              *c;
  char                    *extra_root;   /* removed by teardown when set */
} Fixture;

static void
setup_with_data_dir (Fixture    *f,
                     const char *data_dir)
{
  test_server_setup (&f->ts, FALSE);
  f->data_dir = data_dir != NULL ? g_strdup (data_dir)
                                 : g_build_filename (f->ts.root, "data", NULL);
  f->feed = kantor_market_feed_new_synthetic (99);
  kantor_market_feed_set_speed (f->feed, 200);
  f->manager = kantor_collection_manager_new (f->ts.store, f->feed, f->data_dir);
  kantor_collection_api_register (f->ts.server, f->manager);
  f->grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  f->c = test_client_open (&f->ts, f->grant->access_token);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  setup_with_data_dir (f, NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  GObject *manager = G_OBJECT (f->manager);

  g_clear_pointer (&f->c, test_client_free);
  g_clear_pointer (&f->grant, kantor_auth_grant_free);
  /* No client is left to reach the routes; the manager must let the store
   * go before the server's teardown checks that it is finalized. */
  kantor_collection_manager_shutdown (f->manager);
  g_object_add_weak_pointer (manager, (gpointer *) &manager);
  g_clear_object (&f->manager);
  WAIT_UNTIL (manager == NULL);
  test_server_teardown (&f->ts);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->feed), ==, 0);
  g_clear_object (&f->feed);
  g_free (f->data_dir);
  if (f->extra_root != NULL)
    test_remove_tree (f->extra_root);
  g_free (f->extra_root);
}

static JsonObject *
data_of (JsonObject *msg)
{
  return json_object_get_object_member (msg, "data");
}

/* The next collection_state broadcast of @id in @state; fails when none
 * comes. */
static void
wait_state (Fixture    *f,
            const char *id,
            const char *state)
{
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) msg = test_client_next (f->c, 1000);

      if (msg == NULL)
        continue;
      if (g_strcmp0 (json_object_get_string_member_with_default (msg, "type", NULL), "status")
          == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (msg, "status", NULL),
                     "collection_state") == 0 &&
          g_strcmp0 (json_object_get_string_member (msg, "collection_id"), id) == 0)
        {
          g_assert_false (json_object_has_member (msg, "id"));
          if (g_strcmp0 (json_object_get_string_member (msg, "state"), state) == 0)
            return;
        }
    }
  g_error ("no collection_state %s for %s", state, id);
}

static char *
start_ok (Fixture    *f,
          const char *request)
{
  g_autoptr(JsonObject) reply = test_client_call (f->c, "s", request);

  test_assert_response (reply, "collection_started");
  g_assert_cmpstr (json_object_get_string_member (reply, "collection_id"), ==,
                   json_object_get_string_member (data_of (reply), "collection_id"));
  return g_strdup (json_object_get_string_member (reply, "collection_id"));
}

static void
test_start_status_stop (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *id = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *expected_path = NULL;
  g_autoptr(KantorMarketSource) replay = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *d, *records;
  JsonArray *list;
  gint64 total = 0;

  reply = test_client_call (f->c, "s", "{\"type\":\"collection_start\",\"id\":\"s\","
                                        "\"symbols\":[\"btcusdt\",\"SOLUSDT\"]}");
  test_assert_response (reply, "collection_started");
  d = data_of (reply);
  id = g_strdup (json_object_get_string_member (d, "collection_id"));
  g_assert_cmpstr (json_object_get_string_member (reply, "collection_id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (d, "duration"), ==, "1h");
  list = json_object_get_array_member (d, "symbols");
  g_assert_cmpstr (json_array_get_string_element (list, 0), ==, "BTCUSDT");
  g_assert_cmpstr (json_array_get_string_element (list, 1), ==, "SOLUSDT");
  expected_path = g_strdup_printf ("%s/session_%s", f->data_dir, id);
  g_assert_cmpstr (json_object_get_string_member (d, "path"), ==, expected_path);
  g_assert_cmpint (json_object_get_int_member (d, "ends_at"), ==,
                   json_object_get_int_member (d, "started_at") + 3600 * 1000);
  g_clear_pointer (&reply, json_object_unref);

  wait_state (f, id, "recording");

  /* Rows come in; status of one. */
  for (;;)
    {
      g_autoptr(JsonObject) status = NULL;
      g_autofree char *text = g_strdup_printf ("{\"type\":\"collection_status\",\"id\":\"q\","
                                               "\"collection_id\":\"%s\"}", id);

      status = test_client_call (f->c, "q", text);
      test_assert_response (status, "collection_status");
      d = data_of (status);
      g_assert_cmpstr (json_object_get_string_member (d, "state"), ==, "recording");
      if (json_object_get_int_member (d, "records_total") > 0)
        {
          records = json_object_get_object_member (d, "records");
          g_assert_true (json_object_has_member (records, "BTCUSDT"));
          g_assert_true (json_object_has_member (records, "SOLUSDT"));
          g_assert_cmpint (json_object_get_int_member (d, "bytes"), >, 0);
          break;
        }
      test_client_next (f->c, 100);   /* lets time pass; broadcasts are fine to drop */
    }

  id2 = start_ok (f, "{\"type\":\"collection_start\",\"id\":\"s\",\"symbols\":[\"ETHUSDT\"],"
                     "\"duration\":\"continuous\"}");

  /* Status of all. */
  reply = test_client_call (f->c, "a", "{\"type\":\"collection_status\",\"id\":\"a\"}");
  test_assert_response (reply, "collection_status");
  list = json_object_get_array_member (data_of (reply), "collections");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0),
                                                  "collection_id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 1),
                                                  "collection_id"), ==, id2);
  /* continuous: no end. */
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (
                   json_array_get_object_element (list, 1), "ends_at")));
  g_clear_pointer (&reply, json_object_unref);

  /* Stop. */
  {
    g_autofree char *text = g_strdup_printf ("{\"type\":\"collection_stop\",\"id\":\"t\","
                                             "\"collection_id\":\"%s\"}", id);

    reply = test_client_call (f->c, "t", text);
  }
  test_assert_response (reply, "collection_stopped");
  d = data_of (reply);
  g_assert_cmpstr (json_object_get_string_member (d, "state"), ==, "stopped");
  g_assert_cmpstr (json_object_get_string_member (reply, "collection_id"), ==, id);
  records = json_object_get_object_member (d, "records");
  total = json_object_get_int_member (records, "BTCUSDT") +
          json_object_get_int_member (records, "SOLUSDT");
  g_assert_cmpint (total, ==, json_object_get_int_member (d, "records_total"));
  wait_state (f, id, "stopped");

  /* What the reply counted is what a backtest replays. */
  replay = kantor_collection_source_new (json_object_get_string_member (d, "path"), NULL,
                                         &error);
  g_assert_no_error (error);
  {
    KantorMarketEvent events[256];
    gint64 replayed = 0;
    gsize n;

    while ((n = kantor_market_source_read (replay, events, G_N_ELEMENTS (events), &error)) > 0)
      replayed += (gint64) n;
    g_assert_no_error (error);
    g_assert_cmpint (replayed, ==, total);
  }
  g_clear_pointer (&reply, json_object_unref);

  /* Unknown ids. */
  reply = test_client_call (f->c, "u", "{\"type\":\"collection_stop\",\"id\":\"u\","
                                        "\"collection_id\":\"nope\"}");
  test_assert_error (reply, "collection_not_found");
  g_clear_pointer (&reply, json_object_unref);
  reply = test_client_call (f->c, "v", "{\"type\":\"collection_status\",\"id\":\"v\","
                                        "\"collection_id\":\"nope\"}");
  test_assert_error (reply, "collection_not_found");
}

static void
test_duration_completes (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *id = start_ok (f, "{\"type\":\"collection_start\",\"id\":\"s\","
                                     "\"symbols\":[\"BTCUSDT\"],\"duration\":\"1s\"}");

  wait_state (f, id, "recording");
  wait_state (f, id, "completed");
}

static void
test_hundred_symbols (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GString) request = g_string_new ("{\"type\":\"collection_start\",\"id\":\"s\","
                                             "\"duration\":\"30s\",\"symbols\":[");
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *id = NULL;
  g_autofree char *stop = NULL;

  for (guint i = 0; i < 101; i++)
    g_string_append_printf (request, "%s\"S%03u\"", i > 0 ? "," : "", i);
  g_string_append (request, "]}");

  /* 101 are refused, nothing starts. */
  reply = test_client_call (f->c, "s", request->str);
  test_assert_error (reply, "validation_error");
  g_assert_cmpstr (test_error_field (reply), ==, "symbols");
  g_clear_pointer (&reply, json_object_unref);

  /* 100 are fine. */
  g_string_truncate (request, request->len - strlen (",\"S100\"]}"));
  g_string_append (request, "]}");
  reply = test_client_call (f->c, "s", request->str);
  test_assert_response (reply, "collection_started");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (reply),
                                                                        "symbols")), ==, 100);
  id = g_strdup (json_object_get_string_member (reply, "collection_id"));
  wait_state (f, id, "recording");
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->feed), ==, 100);

  stop = g_strdup_printf ("{\"type\":\"collection_stop\",\"id\":\"t\",\"collection_id\":\"%s\"}",
                          id);
  g_clear_pointer (&reply, json_object_unref);
  reply = test_client_call (f->c, "t", stop);
  test_assert_response (reply, "collection_stopped");
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->feed), ==, 0);
  {
    g_autoptr(GDir) dir = g_dir_open (json_object_get_string_member (data_of (reply), "path"), 0,
                                      NULL);
    guint n = 0;

    g_assert_nonnull (dir);
    while (g_dir_read_name (dir) != NULL)
      n++;
    g_assert_cmpuint (n, ==, 101);   /* a folder per symbol and meta.json */
  }
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  const char * const bad_durations[] = {
    "\"0s\"", "\"1\"", "\"h\"", "\"10x\"", "\"1.5h\"", "\"-5m\"", "\"1H\"", "\"forever\"", "\"\"",
  };
  struct
  {
    const char *request;
    const char *field;
  } bad[] = {
    { "{\"type\":\"collection_start\",\"id\":\"b\",\"symbols\":[]}", "symbols" },
    { "{\"type\":\"collection_start\",\"id\":\"b\",\"symbols\":[\"BTC-USDT\"]}", "symbols" },
    { "{\"type\":\"collection_start\",\"id\":\"b\",\"symbols\":[1]}", "symbols" },
    { "{\"type\":\"collection_start\",\"id\":\"b\",\"symbols\":\"BTCUSDT\"}", "symbols" },
    { "{\"type\":\"collection_start\",\"id\":\"b\"}", "symbols" },
    { "{\"type\":\"collection_start\",\"id\":\"b\",\"symbols\":[\"BTCUSDT\"],\"duration\":60}",
      "duration" },
  };
  g_autoptr(JsonObject) all = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad_durations); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"type\":\"collection_start\",\"id\":\"b\","
                                               "\"symbols\":[\"BTCUSDT\"],\"duration\":%s}",
                                               bad_durations[i]);
      g_autoptr(JsonObject) reply = test_client_call (f->c, "b", text);

      test_assert_error (reply, "validation_error");
      g_assert_cmpstr (test_error_field (reply), ==, "duration");
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) reply = test_client_call (f->c, "b", bad[i].request);

      test_assert_error (reply, "validation_error");
      g_assert_cmpstr (test_error_field (reply), ==, bad[i].field);
    }

  /* Nothing started. */
  all = test_client_call (f->c, "a", "{\"type\":\"collection_status\",\"id\":\"a\"}");
  test_assert_response (all, "collection_status");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (data_of (all),
                                                                        "collections")), ==, 0);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (f->feed), ==, 0);
}

/* A data folder that cannot be written: the run fails with an alert. */
static void
setup_unwritable (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *base = test_make_temp_root ();
  g_autofree char *blocker = g_build_filename (base, "blocker", NULL);
  g_autofree char *data_dir = g_build_filename (blocker, "data", NULL);
  g_autoptr(GError) error = NULL;

  /* A folder under a regular file: refused to root as well. */
  g_file_set_contents (blocker, "", 0, &error);
  g_assert_no_error (error);
  setup_with_data_dir (f, data_dir);
  f->extra_root = g_steal_pointer (&base);
}

static void
test_unwritable (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *id = start_ok (f, "{\"type\":\"collection_start\",\"id\":\"s\","
                                     "\"symbols\":[\"BTCUSDT\"]}");
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_S * G_USEC_PER_SEC;
  gboolean alerted = FALSE, failed = FALSE;

  while (!(alerted && failed) && g_get_monotonic_time () < deadline)
    {
      g_autoptr(JsonObject) msg = test_client_next (f->c, 1000);
      const char *type;

      if (msg == NULL)
        continue;
      type = json_object_get_string_member (msg, "type");
      if (g_str_equal (type, "alert"))
        {
          g_assert_cmpstr (json_object_get_string_member (msg, "alert"), ==,
                           "collection_failed");
          g_assert_cmpstr (json_object_get_string_member (msg, "severity"), ==, "critical");
          g_assert_true (json_object_get_null_member (msg, "session_id"));
          g_assert_nonnull (json_object_get_string_member (msg, "message"));
          g_assert_cmpstr (json_object_get_string_member (msg, "collection_id"), ==, id);
          g_assert_nonnull (json_object_get_string_member (msg, "error"));
          alerted = TRUE;
        }
      else if (g_str_equal (type, "status") &&
               g_strcmp0 (json_object_get_string_member (msg, "state"), "failed") == 0)
        failed = TRUE;
    }
  g_assert_true (alerted);
  g_assert_true (failed);
}

static TestClient *
daemon_client (TestDaemon *d)
{
  TestClient *c = test_client_connect (d->url, NULL);
  g_autoptr(JsonObject) connected = test_client_receive (c, TEST_TIMEOUT_S * 1000);
  g_autoptr(JsonObject) reply = NULL;

  g_assert_nonnull (connected);
  reply = test_client_call (c, "login", "{\"id\":\"login\",\"type\":\"login\",\"username\":\""
                            TEST_USER "\",\"password\":\"" TEST_PASSWORD "\"}");
  test_assert_response (reply, "authenticated");
  return c;
}

static JsonObject *
daemon_status (TestClient *c,
               const char *id)
{
  g_autofree char *text = g_strdup_printf ("{\"type\":\"collection_status\",\"id\":\"q\","
                                           "\"collection_id\":\"%s\"}", id);
  JsonObject *reply = test_client_call (c, "q", text);

  test_assert_response (reply, "collection_status");
  return reply;
}

/* Every CSV file of @path ends with a whole row; returns the rows the
 * replay reads. */
static gint64
check_replay (const char *path)
{
  const char *symbols[] = { "BTCUSDT", "ETHUSDT" };
  const char *files[] = { "prices.csv", "orderbook.csv" };
  g_autoptr(KantorMarketSource) replay = NULL;
  g_autoptr(GError) error = NULL;
  KantorMarketEvent events[256];
  gint64 replayed = 0;
  gsize n;

  for (guint i = 0; i < G_N_ELEMENTS (symbols); i++)
    for (guint j = 0; j < G_N_ELEMENTS (files); j++)
      {
        g_autofree char *file = g_build_filename (path, symbols[i], files[j], NULL);
        g_autofree char *text = NULL;

        g_file_get_contents (file, &text, NULL, &error);
        g_assert_no_error (error);
        g_assert_true (g_str_has_suffix (text, "\n"));
      }
  replay = kantor_collection_source_new (path, NULL, &error);
  g_assert_no_error (error);
  while ((n = kantor_market_source_read (replay, events, G_N_ELEMENTS (events), &error)) > 0)
    replayed += (gint64) n;
  g_assert_no_error (error);
  return replayed;
}

/* kill -9 of kantord in the middle of a run: the files replay, no row is
 * torn, and after a restart the run is interrupted with the rows on disk. */
static void
test_daemon_killed (void)
{
  g_autofree char *root = test_make_temp_root ();
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) reply = NULL;
  TestDaemon *d;
  TestClient *c;
  gint64 replayed;

  test_seed_root (root);
  d = test_daemon_start (root, NULL);
  c = daemon_client (d);
  reply = test_client_call (c, "s", "{\"type\":\"collection_start\",\"id\":\"s\","
                                    "\"symbols\":[\"BTCUSDT\",\"ETHUSDT\"],"
                                    "\"duration\":\"continuous\"}");
  if (g_strcmp0 (json_object_get_string_member_with_default (reply, "error_code", NULL),
                 "service_unavailable") == 0)
    {
      test_client_free (c);
      test_daemon_free (d);
      test_remove_tree (root);
      g_test_skip ("this kantord does not serve collections");
      return;
    }
  test_assert_response (reply, "collection_started");
  id = g_strdup (json_object_get_string_member (reply, "collection_id"));
  path = g_strdup (json_object_get_string_member (data_of (reply), "path"));

  /* Some rows on disk, more in the buffers. */
  for (;;)
    {
      g_autoptr(JsonObject) status = daemon_status (c, id);

      if (json_object_get_int_member (data_of (status), "records_total") >= 10)
        break;
      g_clear_pointer (&status, json_object_unref);
      status = test_client_next (c, 100);
    }

  test_client_free (c);
  test_daemon_free (d);   /* SIGKILL */

  replayed = check_replay (path);
  g_assert_cmpint (replayed, >=, 10);

  d = test_daemon_start (root, NULL);
  c = daemon_client (d);
  g_clear_pointer (&reply, json_object_unref);
  reply = daemon_status (c, id);
  g_assert_cmpstr (json_object_get_string_member (data_of (reply), "state"), ==, "interrupted");
  g_assert_cmpint (json_object_get_int_member (data_of (reply), "records_total"), ==, replayed);
  g_assert_cmpint (check_replay (path), ==, replayed);

  test_client_free (c);
  g_assert_cmpint (test_daemon_stop (d), ==, 0);
  test_daemon_free (d);
  test_remove_tree (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/kantor/api/collections/start-status-stop", Fixture, NULL, setup,
              test_start_status_stop, teardown);
  g_test_add ("/kantor/api/collections/duration", Fixture, NULL, setup,
              test_duration_completes, teardown);
  g_test_add ("/kantor/api/collections/hundred-symbols", Fixture, NULL, setup,
              test_hundred_symbols, teardown);
  g_test_add ("/kantor/api/collections/refused", Fixture, NULL, setup, test_refused, teardown);
  g_test_add ("/kantor/api/collections/unwritable", Fixture, NULL, setup_unwritable,
              test_unwritable, teardown);

  g_test_add_func ("/kantor/api/collections/daemon-killed", test_daemon_killed);

  return g_test_run ();
}
