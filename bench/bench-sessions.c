/* bench-sessions.c: a backtest through the API against kantor-backtest on the
 * same data, and the heartbeat latency of another client meanwhile
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-sessions KANTORD KANTOR_BACKTEST STRATEGY.json EVENTS REPEAT
 *
 * Starts kantord (development mode, a fresh root, any port), then REPEAT
 * times:
 * 1. kantor-backtest --data synthetic:42:EVENTS over STRATEGY, timed;
 * 2. the same backtest as a session over the WebSocket API, timed from the
 *    session_start request to the session_state "completed" broadcast,
 *    while a second connection sends a heartbeat every 10 ms and times each
 *    round trip;
 * and prints one JSON object with the best times, their ratio, CPU seconds
 * (kantor-backtest's run against the whole daemon's), the heartbeat
 * percentiles and whether every run gave the same results_hash.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#define TOKEN "bench"

typedef struct
{
  SoupWebsocketConnection *ws;
  GQueue                   messages;   /* JsonObject * */
} Client;

static void
on_message (SoupWebsocketConnection *ws,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Client *c = user_data;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  g_autofree char *text = g_strndup (data, len);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    g_queue_push_tail (&c->messages, json_object_ref (json_node_get_object (node)));
}

static void
connected (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Client *c = user_data;
  g_autoptr(GError) error = NULL;

  c->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (c->ws == NULL)
    g_error ("cannot connect: %s", error->message);
  g_signal_connect (c->ws, "message", G_CALLBACK (on_message), c);
}

static Client *
client_new (SoupSession *session,
            const char  *url)
{
  Client *c = g_new0 (Client, 1);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                "Bearer " TOKEN);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        connected, c);
  while (c->ws == NULL)
    g_main_context_iteration (NULL, TRUE);
  return c;
}

/* The next message whose member @key is @value (others are dropped). */
static JsonObject *
wait_for (Client     *c,
          const char *key,
          const char *value)
{
  for (;;)
    {
      JsonObject *msg;

      while ((msg = g_queue_pop_head (&c->messages)) != NULL)
        {
          if (g_strcmp0 (json_object_get_string_member_with_default (msg, key, NULL), value) == 0)
            return msg;
          json_object_unref (msg);
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static gboolean
tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *sorted,
               double  p)
{
  guint i;

  if (sorted->len == 0)
    return 0;
  i = MIN (sorted->len - 1, (guint) (p * sorted->len));
  return g_array_index (sorted, gint64, i) / 1000.0;
}

static double
json_double (const char *text,
             const char *member)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    g_error ("not a JSON object: %s", text);
  return json_object_get_double_member (json_node_get_object (node), member);
}

/* kantor-backtest over @data: wall seconds, CPU seconds of its run, hash. */
static char *
run_cli (const char *backtest,
         const char *strategy,
         const char *data,
         double     *wall_s,
         double     *cpu_s)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) node = NULL;
  gint64 t0 = g_get_monotonic_time ();
  const char *last;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, backtest, "--strategy", strategy, "--data", data,
                           "--symbol", "BTCUSDT", "--json", "--stats", NULL);
  if (proc == NULL || !g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, &err, &error) ||
      !g_subprocess_get_successful (proc))
    g_error ("kantor-backtest failed: %s", error != NULL ? error->message : err);
  *wall_s = (g_get_monotonic_time () - t0) / 1e6;
  g_strchomp (err);
  last = strrchr (err, '\n') != NULL ? strrchr (err, '\n') + 1 : err;
  *cpu_s = json_double (last, "cpu_s");
  node = json_from_string (out, &error);
  if (node == NULL)
    g_error ("kantor-backtest output: %s", error->message);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "results_hash"));
}

/* User and system CPU seconds of process @pid so far. */
static double
process_cpu_s (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (after = strrchr (text, ')')) == NULL)
    return 0;
  /* After "pid (comm)": state is field 3, utime 14 and stime 15. */
  fields = g_strsplit (after + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) /
         sysconf (_SC_CLK_TCK);
}

/* One backtest session through the API: wall seconds from session_start to
 * the completed state, while @b sends a heartbeat every 10 ms; returns the
 * results_hash. */
static char *
run_api (Client     *a,
         Client     *b,
         guint64     events,
         guint       round,
         double     *wall_s,
         GArray     *rtts)
{
  g_autofree char *start = NULL;
  g_autofree char *start_id = g_strdup_printf ("start%u", round);
  g_autofree char *res_id = g_strdup_printf ("res%u", round);
  g_autofree char *req = NULL;
  g_autofree char *session_id = NULL;
  JsonObject *reply, *done;
  gint64 t0, next_hb = 0, hb_sent = 0;
  guint hb_n = 0;
  gboolean hb_waiting = FALSE;
  char *hash;

  start = g_strdup_printf ("{\"id\": \"%s\", \"type\": \"session_start\","
                           " \"session_type\": \"backtest\","
                           " \"strategy_config\": {\"pump_rider\": [\"BTCUSDT\"]},"
                           " \"config\": {\"data\": {\"synthetic\": {\"seed\": 42,"
                           " \"events\": %" G_GUINT64_FORMAT "}}}}", start_id, events);
  t0 = g_get_monotonic_time ();
  soup_websocket_connection_send_text (a->ws, start);
  reply = wait_for (a, "id", start_id);
  if (g_strcmp0 (json_object_get_string_member (reply, "type"), "response") != 0)
    g_error ("session_start refused: %s",
             json_object_get_string_member_with_default (reply, "error_message", "?"));
  session_id = g_strdup (json_object_get_string_member (json_object_get_object_member (reply,
                                                                                       "data"),
                                                        "session_id"));
  json_object_unref (reply);

  for (;;)
    {
      JsonObject *msg;
      gboolean completed = FALSE;
      gint64 now = g_get_monotonic_time ();

      if (!hb_waiting && now >= next_hb)
        {
          g_autofree char *hb = g_strdup_printf ("{\"id\": \"hb%u\", \"type\": \"heartbeat\"}",
                                                 hb_n);

          hb_sent = g_get_monotonic_time ();
          soup_websocket_connection_send_text (b->ws, hb);
          hb_waiting = TRUE;
          next_hb = hb_sent + 10000;
        }
      g_main_context_iteration (NULL, TRUE);

      while ((msg = g_queue_pop_head (&b->messages)) != NULL)
        {
          if (hb_waiting && g_strcmp0 (json_object_get_string_member_with_default (msg, "status",
                                                                                   NULL),
                                       "pong") == 0)
            {
              gint64 rtt = g_get_monotonic_time () - hb_sent;

              g_array_append_val (rtts, rtt);
              hb_waiting = FALSE;
              hb_n++;
            }
          json_object_unref (msg);
        }
      while ((msg = g_queue_pop_head (&a->messages)) != NULL)
        {
          if (g_strcmp0 (json_object_get_string_member_with_default (msg, "status", NULL),
                         "session_state") == 0 &&
              g_strcmp0 (json_object_get_string_member (msg, "session_id"), session_id) == 0)
            {
              const char *state = json_object_get_string_member (msg, "state");

              if (g_strcmp0 (state, "completed") == 0)
                completed = TRUE;
              else if (g_strcmp0 (state, "running") != 0)
                g_error ("the session ended %s", state);
            }
          json_object_unref (msg);
        }
      if (completed)
        break;
    }
  *wall_s = (g_get_monotonic_time () - t0) / 1e6;

  /* The pong still in flight, if any, is dropped with the other messages. */
  req = g_strdup_printf ("{\"id\": \"%s\", \"type\": \"results_request\","
                         " \"request_type\": \"session_results\", \"session_id\": \"%s\"}",
                         res_id, session_id);
  soup_websocket_connection_send_text (a->ws, req);
  done = wait_for (a, "id", res_id);
  hash = g_strdup (json_object_get_string_member (json_object_get_object_member (done, "data"),
                                                  "results_hash"));
  json_object_unref (done);
  return hash;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *url = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GArray) rtts = g_array_new (FALSE, FALSE, sizeof (gint64));
  Client *a, *b;
  guint64 events;
  guint repeat;
  double cli_s = G_MAXDOUBLE, cli_cpu_s = G_MAXDOUBLE, api_s = G_MAXDOUBLE;
  double api_cpu_s = G_MAXDOUBLE;
  gboolean same_hash = TRUE;
  const char *pid;
  char *line;

  if (argc != 6)
    {
      g_printerr ("usage: %s KANTORD KANTOR_BACKTEST STRATEGY.json EVENTS REPEAT\n", argv[0]);
      return 2;
    }
  events = g_ascii_strtoull (argv[4], NULL, 10);
  repeat = MAX (1, (guint) g_ascii_strtoull (argv[5], NULL, 10));
  data = g_strdup_printf ("synthetic:42:%" G_GUINT64_FORMAT, events);

  root = g_dir_make_tmp ("kantor-bench-XXXXXX", &error);
  g_assert_no_error (error);
  daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                             &error, argv[1], "--root", root, "--port", "0", "--dev", NULL);
  g_assert_no_error (error);
  pid = g_subprocess_get_identifier (daemon);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon));
  while ((line = g_data_input_stream_read_line (out, NULL, NULL, &error)) != NULL)
    {
      char *at = strstr (line, "listening on ");

      if (at != NULL)
        url = g_strdup (at + strlen ("listening on "));
      g_free (line);
      if (url != NULL)
        break;
    }
  if (url == NULL)
    g_error ("kantord did not start");

  session = soup_session_new ();
  soup_session_set_proxy_resolver (session, NULL);
  a = client_new (session, url);
  b = client_new (session, url);
  g_timeout_add (1, tick, NULL);

  /* Alternating runs, the best of each kept: on a shared machine the
   * neighbours only ever add time. */
  for (guint i = 0; i < repeat; i++)
    {
      g_autofree char *cli_hash = NULL;
      g_autofree char *api_hash = NULL;
      double wall, cpu, cpu0;

      cli_hash = run_cli (argv[2], argv[3], data, &wall, &cpu);
      cli_s = MIN (cli_s, wall);
      cli_cpu_s = MIN (cli_cpu_s, cpu);

      cpu0 = process_cpu_s (pid);
      api_hash = run_api (a, b, events, i, &wall, rtts);
      api_s = MIN (api_s, wall);
      api_cpu_s = MIN (api_cpu_s, process_cpu_s (pid) - cpu0);
      same_hash &= g_strcmp0 (cli_hash, api_hash) == 0;
    }

  g_array_sort (rtts, compare_gint64);
  g_print ("{\"name\":\"sessions-backtest-api\",\"events\":%" G_GUINT64_FORMAT
           ",\"runs\":%u,\"api_s\":%.3f,\"cli_s\":%.3f,\"ratio\":%.3f,\"api_cpu_s\":%.2f,"
           "\"cli_cpu_s\":%.2f,\"cpu_ratio\":%.3f,\"goal_ratio\":1.2,"
           "\"heartbeats\":%u,\"heartbeat_p50_ms\":%.3f,\"heartbeat_p99_ms\":%.3f,"
           "\"heartbeat_max_ms\":%.3f,\"goal_heartbeat_p99_ms\":5,\"same_results_hash\":%s}\n",
           events, repeat, api_s, cli_s, api_s / cli_s, api_cpu_s, cli_cpu_s,
           api_cpu_s / cli_cpu_s, rtts->len, percentile_ms (rtts, 0.5),
           percentile_ms (rtts, 0.99),
           rtts->len > 0 ? g_array_index (rtts, gint64, rtts->len - 1) / 1000.0 : 0.0,
           same_hash ? "true" : "false");

  g_subprocess_send_signal (daemon, SIGTERM);
  g_subprocess_wait (daemon, NULL, NULL);
  remove_tree (root);
  return same_hash ? 0 : 1;
}
