/* kantord.c: the Kantor trading daemon
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "kantor-auth.h"
#include "kantor-collection-api.h"
#include "kantor-collection-manager.h"
#include "kantor-market-feed.h"
#include "kantor-server.h"
#include "kantor-session-api.h"
#include "kantor-session-manager.h"
#include "kantor-store.h"
#include "kantor-strategy-api.h"
#include "kantor-strategy-manager.h"
#include "kantor-stream-api.h"
#include "kantor-stream-hub.h"

/* How long a shutdown waits for peers to answer the close frame. */
#define SHUTDOWN_GRACE_MS 2000

typedef struct
{
  GMainLoop               *loop;
  KantorServer            *server;
  KantorSessionManager    *sessions;
  KantorCollectionManager *collections;
  guint         grace_id;
  gulong        notify_id;
  gboolean      stopping;
} Daemon;

typedef struct
{
  guint  max_connections;
  double rate_limit;
  double rate_burst;
  guint  keepalive_interval;
  guint  stale_timeout;
  gint64 access_ttl;
  double feed_rate;    /* [feed] rate: events/s per symbol, 0: the model's clock */
  guint  feed_seed;    /* [feed] seed of the synthetic market */
  guint  soft_bound_kib; /* [streams] per-connection flow control */
  guint  hard_bound_kib;
} Limits;

static gboolean
make_dir (const char  *path,
          GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

static guint
key_uint (GKeyFile   *kf,
          const char *group,
          const char *key,
          guint       fallback,
          guint       min,
          guint       max)
{
  g_autoptr(GError) error = NULL;
  gint64 v = g_key_file_get_int64 (kf, group, key, &error);

  if (error != NULL)
    {
      if (!g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) &&
          !g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
        g_printerr ("kantord: kantord.conf [%s] %s: %s; using %u\n", group, key, error->message,
                    fallback);
      return fallback;
    }
  if (v < (gint64) min || v > (gint64) max)
    {
      g_printerr ("kantord: kantord.conf [%s] %s=%" G_GINT64_FORMAT " is outside %u..%u; "
                  "using %u\n", group, key, v, min, max, fallback);
      return fallback;
    }
  return (guint) v;
}

static double
key_double (GKeyFile   *kf,
            const char *group,
            const char *key,
            double      fallback)
{
  g_autoptr(GError) error = NULL;
  double v = g_key_file_get_double (kf, group, key, &error);

  if (error != NULL)
    {
      if (!g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) &&
          !g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
        g_printerr ("kantord: kantord.conf [%s] %s: %s; using %g\n", group, key, error->message,
                    fallback);
      return fallback;
    }
  if (!(v >= 0.0))
    {
      g_printerr ("kantord: kantord.conf [%s] %s must not be negative; using %g\n", group, key,
                  fallback);
      return fallback;
    }
  return v;
}

/* Embedded defaults, overridden by <config>/kantord.conf when it exists. */
static gboolean
load_limits (const char  *config_dir,
             Limits      *limits,
             GError     **error)
{
  g_autofree char *path = g_build_filename (config_dir, "kantord.conf", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  limits->max_connections = KANTOR_SERVER_DEFAULT_MAX_CONNECTIONS;
  limits->rate_limit = KANTOR_SERVER_DEFAULT_RATE_LIMIT;
  limits->rate_burst = KANTOR_SERVER_DEFAULT_RATE_BURST;
  limits->keepalive_interval = KANTOR_SERVER_DEFAULT_KEEPALIVE;
  limits->stale_timeout = KANTOR_SERVER_DEFAULT_STALE_TIMEOUT;
  limits->access_ttl = 0;
  limits->feed_rate = 0;
  limits->feed_seed = 1;
  limits->soft_bound_kib = 256;
  limits->hard_bound_kib = 8 * 1024;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", path);
      return FALSE;
    }

  limits->max_connections = key_uint (kf, "limits", "max-connections",
                                      limits->max_connections, 1, 1000000);
  limits->rate_limit = key_double (kf, "limits", "rate-limit", limits->rate_limit);
  limits->rate_burst = MAX (1.0, key_double (kf, "limits", "rate-burst", limits->rate_burst));
  limits->keepalive_interval = key_uint (kf, "limits", "keepalive-interval",
                                         limits->keepalive_interval, 0, 3600);
  limits->stale_timeout = key_uint (kf, "limits", "stale-timeout", limits->stale_timeout, 0,
                                    86400);
  limits->access_ttl = key_uint (kf, "auth", "access-token-ttl", 0, 60, 365 * 86400);
  limits->feed_rate = MIN (key_double (kf, "feed", "rate", limits->feed_rate), 1000000.0);
  limits->feed_seed = key_uint (kf, "feed", "seed", limits->feed_seed, 0, G_MAXUINT);
  limits->soft_bound_kib = key_uint (kf, "streams", "soft-bound-kib", limits->soft_bound_kib,
                                     16, 1024 * 1024);
  limits->hard_bound_kib = key_uint (kf, "streams", "hard-bound-kib", limits->hard_bound_kib,
                                     64, G_MAXUINT);
  /* The hard bound is the last resort past the soft one, never below it. */
  limits->hard_bound_kib = MAX (limits->hard_bound_kib, limits->soft_bound_kib * 2);
  return TRUE;
}

static char *
read_password (void)
{
  g_autoptr(GString) line = g_string_new (NULL);
  int c;

  /* One line from stdin; the trailing newline is not part of it. */
  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (line, (char) c);
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);

  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
stop_now (Daemon *d)
{
  g_clear_handle_id (&d->grace_id, g_source_remove);
  g_clear_signal_handler (&d->notify_id, d->server);
  g_main_loop_quit (d->loop);
}

static gboolean
grace_expired (gpointer user_data)
{
  Daemon *d = user_data;

  d->grace_id = 0;
  g_printerr ("kantord: %u connection(s) did not close in time\n",
              kantor_server_get_n_connections (d->server));
  stop_now (d);
  return G_SOURCE_REMOVE;
}

static void
on_n_connections (GObject    *object,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  Daemon *d = user_data;

  if (kantor_server_get_n_connections (d->server) == 0)
    stop_now (d);
}

static gboolean
on_signal (gpointer user_data)
{
  Daemon *d = user_data;

  if (d->stopping)
    {
      stop_now (d);
      return G_SOURCE_CONTINUE;
    }

  d->stopping = TRUE;
  g_print ("kantord: shutting down\n");

  /* Running sessions end first, as interrupted, with their results so far
   * queued for the store; closing the store at exit waits for them. */
  kantor_session_manager_shutdown (d->sessions);
  kantor_collection_manager_shutdown (d->collections);

  /* Close every peer with 1001 and let the close handshakes finish. */
  kantor_server_shutdown (d->server, KANTOR_CLOSE_GOING_AWAY, "Server shutting down");
  if (kantor_server_get_n_connections (d->server) == 0)
    {
      stop_now (d);
      return G_SOURCE_CONTINUE;
    }

  d->notify_id = g_signal_connect (d->server, "notify::n-connections",
                                   G_CALLBACK (on_n_connections), d);
  d->grace_id = g_timeout_add (SHUTDOWN_GRACE_MS, grace_expired, d);
  return G_SOURCE_CONTINUE;
}

static void
on_session_state (KantorSessionManager *sessions,
                  KantorSession        *session,
                  gpointer              user_data)
{
  KantorStreamHub *streams = user_data;
  const char * const *symbols = kantor_session_get_symbols (session);
  gboolean active = kantor_session_state_is_active (kantor_session_get_state (session));

  if (kantor_session_get_session_type (session) == KANTOR_SESSION_TYPE_BACKTEST)
    return;
  for (guint i = 0; symbols[i] != NULL; i++)
    kantor_stream_hub_set_symbol_session (streams, symbols[i],
                                          active ? kantor_session_get_id (session) : NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorStore) store = NULL;
  g_autoptr(KantorAuth) auth = NULL;
  g_autoptr(KantorServer) server = NULL;
  g_autoptr(KantorMarketFeed) feed = NULL;
  g_autoptr(KantorStrategyManager) strategies = NULL;
  g_autoptr(KantorSessionManager) sessions = NULL;
  g_autoptr(KantorCollectionManager) collections = NULL;
  g_autoptr(KantorStreamHub) streams = NULL;
  g_autofree char *strategies_dir = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *root = NULL;
  g_autofree char *bind = NULL;
  g_autofree char *add_user = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *url = NULL;
  gint port = 8080;
  gboolean dev = FALSE;
  gboolean version = FALSE;
  Limits limits;
  Daemon d = { 0 };
  guint sigint_id, sigterm_id;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "TCP port to listen on (default 8080; 0: any)",
      "PORT" },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind, "Address to listen on (default 127.0.0.1)",
      "ADDRESS" },
    { "root", 'r', 0, G_OPTION_ARG_FILENAME, &root,
      "Keep config, data and state under DIR instead of the XDG folders", "DIR" },
    { "dev", 0, 0, G_OPTION_ARG_NONE, &dev,
      "Development mode: accept test tokens (never in production)", NULL },
    { "add-user", 0, 0, G_OPTION_ARG_STRING, &add_user,
      "Create user NAME with the password read from standard input, then exit", "NAME" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

  context = g_option_context_new ("- the Kantor trading daemon");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("kantord: %s\n", error->message);
      return 2;
    }

  if (version)
    {
      g_print ("kantord %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (port < 0 || port > 65535)
    {
      g_printerr ("kantord: --port must be between 0 and 65535\n");
      return 2;
    }

  if (root != NULL)
    {
      g_autofree char *abs_root = g_canonicalize_filename (root, NULL);

      config_dir = g_build_filename (abs_root, "config", NULL);
      data_dir = g_build_filename (abs_root, "data", NULL);
      state_dir = g_build_filename (abs_root, "state", NULL);
    }
  else
    {
      config_dir = g_build_filename (g_get_user_config_dir (), "kantor", NULL);
      data_dir = g_build_filename (g_get_user_data_dir (), "kantor", NULL);
      state_dir = g_build_filename (g_get_user_state_dir (), "kantor", NULL);
    }

  if (!make_dir (config_dir, &error) || !make_dir (data_dir, &error) ||
      !make_dir (state_dir, &error))
    {
      g_printerr ("kantord: %s\n", error->message);
      return 1;
    }

  if (!load_limits (config_dir, &limits, &error))
    {
      g_printerr ("kantord: %s\n", error->message);
      return 1;
    }

  db_path = g_build_filename (state_dir, "kantor.db", NULL);
  store = kantor_store_new (db_path, &error);
  if (store == NULL)
    {
      g_printerr ("kantord: %s\n", error->message);
      return 1;
    }

  auth = kantor_auth_new (store, state_dir, dev, &error);
  if (auth == NULL)
    {
      g_printerr ("kantord: %s\n", error->message);
      kantor_store_close (store);
      return 1;
    }
  if (limits.access_ttl > 0)
    kantor_auth_set_access_ttl (auth, limits.access_ttl);

  if (add_user != NULL)
    {
      g_autofree char *password = read_password ();
      gboolean ok = kantor_auth_add_user (auth, add_user, password, &error);

      memset (password, 0, strlen (password));
      g_clear_object (&auth);
      kantor_store_close (store);
      if (!ok)
        {
          g_printerr ("kantord: %s\n", error->message);
          return 1;
        }
      g_print ("kantord: user '%s' created\n", add_user);
      return 0;
    }

  /* The embedded synthetic market until an exchange is configured. */
  feed = kantor_market_feed_new_synthetic (limits.feed_seed);
  if (limits.feed_rate > 0)
    kantor_market_feed_set_rate (feed, limits.feed_rate);
  strategies_dir = g_build_filename (config_dir, "strategies", NULL);
  strategies = kantor_strategy_manager_new (strategies_dir, feed, &error);
  if (strategies == NULL)
    {
      g_printerr ("kantord: %s\n", error->message);
      g_clear_object (&auth);
      kantor_store_close (store);
      return 1;
    }
  sessions = kantor_session_manager_new (store, strategies, feed, data_dir, &error);
  if (sessions == NULL)
    {
      g_printerr ("kantord: %s\n", error->message);
      g_clear_object (&strategies);
      g_clear_object (&auth);
      kantor_store_close (store);
      return 1;
    }
  if (kantor_session_manager_get_n_interrupted (sessions) > 0)
    g_print ("kantord: %u session(s) were running when the server stopped; marked "
             "interrupted\n", kantor_session_manager_get_n_interrupted (sessions));

  collections = kantor_collection_manager_new (store, feed, data_dir);
  if (kantor_collection_manager_get_n_interrupted (collections) > 0)
    g_print ("kantord: %u collection run(s) were recording when the server stopped; marked "
             "interrupted\n", kantor_collection_manager_get_n_interrupted (collections));
  streams = kantor_stream_hub_new (feed, strategies);
  kantor_stream_hub_set_flow_control (streams, (gsize) limits.soft_bound_kib * 1024,
                                      (gsize) limits.hard_bound_kib * 1024);
  kantor_session_manager_set_collection_manager (sessions, collections);

  server = kantor_server_new (auth);
  kantor_strategy_api_register (kantor_server_get_router (server), strategies);
  kantor_session_api_register (server, sessions);
  kantor_collection_api_register (server, collections);
  kantor_stream_api_register (server, streams);
  /* Paper sessions own their symbols' market items on the streams. */
  g_signal_connect_object (sessions, "session-state", G_CALLBACK (on_session_state), streams, 0);
  kantor_stream_hub_follow_sessions (streams, sessions);
  g_object_set (server,
                "max-connections", limits.max_connections,
                "rate-limit", limits.rate_limit,
                "rate-burst", limits.rate_burst,
                "keepalive-interval", limits.keepalive_interval,
                "stale-timeout", limits.stale_timeout,
                NULL);
  if (!kantor_server_listen (server, bind != NULL ? bind : "127.0.0.1", (guint) port, &error))
    {
      g_printerr ("kantord: cannot listen: %s\n", error->message);
      g_clear_object (&server);
      g_clear_object (&auth);
      kantor_store_close (store);
      return 1;
    }

  url = kantor_server_dup_websocket_url (server);
  g_print ("kantord %s listening on %s\n", PACKAGE_VERSION, url);
  g_print ("kantord: state in %s\n", state_dir);
  if (dev)
    g_print ("kantord: development mode: test tokens are accepted\n");
  if (kantor_auth_get_initial_password_path (auth) != NULL)
    g_print ("kantord: first start: user 'admin' was created; its password is in %s\n",
             kantor_auth_get_initial_password_path (auth));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  d.loop = loop;
  d.server = server;
  d.sessions = sessions;
  d.collections = collections;
  sigint_id = g_unix_signal_add (SIGINT, on_signal, &d);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &d);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_signal_handler (&d.notify_id, server);
  g_clear_object (&server);
  kantor_session_manager_shutdown (sessions);
  kantor_collection_manager_shutdown (collections);
  g_clear_object (&streams);
  g_clear_object (&sessions);
  g_clear_object (&collections);
  g_clear_object (&strategies);
  g_clear_object (&feed);
  g_clear_object (&auth);
  kantor_store_close (store);
  /* Let what the sessions' workers posted last run and release them. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_print ("kantord: stopped\n");
  return 0;
}
