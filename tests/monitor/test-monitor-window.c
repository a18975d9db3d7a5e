/* test-monitor-window.c: the monitor window against a real server, on a
 * display (run under xvfb-run): the template loads, a wrong password is
 * shown on the login page, the right one shows sessions, prices and the
 * log filling from the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "kantor-application.h"
#include "kantor-monitor-window.h"
#include "monitor-fixture.h"

/* A template child, by its id in the .ui file. */
static GtkWidget *
find_child (GtkWidget  *widget,
            const char *id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (child)), id) == 0)
        return child;
      found = find_child (child, id);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static guint
n_rows (GtkWidget *view)
{
  GtkSelectionModel *model = GTK_IS_COLUMN_VIEW (view)
                             ? gtk_column_view_get_model (GTK_COLUMN_VIEW (view))
                             : gtk_list_view_get_model (GTK_LIST_VIEW (view));

  return model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (model)) : 0;
}

static gboolean
showing (GtkWidget  *stack,
         const char *page)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (stack)), page) == 0;
}

static void
test_window (MonitorFixture *f,
             gconstpointer   data)
{
  g_autoptr(KantorApplication) app = kantor_application_new ();
  g_autoptr(KantorAuthGrant) grant = test_server_login (&f->ts, TEST_USER, TEST_PASSWORD);
  g_autoptr(TestClient) other = NULL;
  g_autoptr(JsonObject) started = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = test_server_url (&f->ts, "/ws");
  KantorMonitorWindow *window;
  GtkWidget *stack, *login_error, *sessions, *sessions_stack, *tickers, *log, *status;
  g_autoptr(GSettings) settings = NULL;
  char *value;
  GObject *weak;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);

  window = kantor_monitor_window_new (app, url, TEST_USER);
  gtk_window_present (GTK_WINDOW (window));
  stack = find_child (GTK_WIDGET (window), "stack");
  login_error = find_child (GTK_WIDGET (window), "login_error");
  sessions = find_child (GTK_WIDGET (window), "sessions_view");
  sessions_stack = find_child (GTK_WIDGET (window), "sessions_stack");
  tickers = find_child (GTK_WIDGET (window), "tickers_view");
  log = find_child (GTK_WIDGET (window), "log_view");
  status = find_child (GTK_WIDGET (window), "connection_label");
  g_assert_nonnull (stack);
  g_assert_nonnull (login_error);
  g_assert_nonnull (sessions);
  g_assert_nonnull (tickers);
  g_assert_nonnull (log);
  g_assert_true (showing (stack, "login"));

  /* A wrong password: said on the login page, which stays. */
  kantor_monitor_window_login (window, url, TEST_USER, "not the password");
  WAIT_UNTIL (gtk_widget_get_visible (login_error));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (login_error)), ==,
                   "Wrong user name or password.");
  g_assert_true (showing (stack, "login"));

  kantor_monitor_window_login (window, url, TEST_USER, TEST_PASSWORD);
  WAIT_UNTIL (showing (stack, "main"));
  g_assert_false (gtk_widget_get_visible (login_error));
  g_assert_true (showing (sessions_stack, "empty"));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (status)), PACKAGE_VERSION));

  /* Prices: one row per symbol. */
  WAIT_UNTIL (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_MARKET_DATA) == 1);
  monitor_fixture_trade (f, "BTCUSDT", 50000, 49999.5, 50000.5);
  monitor_fixture_trade (f, "ETHUSDT", 3000, 0, 0);
  WAIT_UNTIL (n_rows (tickers) == 2);

  /* A session started by another client. */
  other = test_client_open (&f->ts, grant->access_token);
  started = test_client_call (other, "s",
                              "{\"id\": \"s\", \"type\": \"session_start\","
                              " \"session_type\": \"paper\","
                              " \"strategy_config\": {\"pump_rider\": [\"SOLUSDT\"]}}");
  test_assert_response (started, "session_started");
  WAIT_UNTIL (n_rows (sessions) == 1 && showing (sessions_stack, "list"));

  /* An alert: in the log. */
  WAIT_UNTIL (kantor_stream_hub_get_n_subscribers (f->hub, KANTOR_STREAM_SIGNALS) == 1);
  kantor_stream_hub_publish_alert (f->hub, "feed_down", NULL, NULL, "The feed is down", NULL);
  WAIT_UNTIL (n_rows (log) >= 1);

  /* Log out: back to the login page, nothing kept. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.logout", NULL));
  g_assert_true (showing (stack, "login"));
  g_assert_cmpuint (n_rows (sessions), ==, 0);

  weak = G_OBJECT (window);
  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  gtk_window_destroy (GTK_WINDOW (window));
  WAIT_UNTIL (weak == NULL);

  /* The server and user name that worked are remembered (the password
   * never is), and prefill the next window. */
  settings = g_settings_new (KANTOR_APPLICATION_ID);
  value = g_settings_get_string (settings, "server-url");
  g_assert_cmpstr (value, ==, url);
  g_free (value);
  value = g_settings_get_string (settings, "username");
  g_assert_cmpstr (value, ==, TEST_USER);
  g_free (value);
  window = kantor_monitor_window_new (app, NULL, NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_child (GTK_WIDGET (window),
                                                                    "url_row"))), ==, url);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_child (GTK_WIDGET (window),
                                                                    "username_row"))), ==,
                   TEST_USER);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_child (GTK_WIDGET (window),
                                                                    "password_row"))), ==, "");
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* A test display has no session bus, no dconf and few icons, and GTK
   * warns about each (through structured logging, which a fatal handler
   * does not see): here only criticals are fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  if (!gtk_init_check ())
    {
      g_test_skip ("no display");
      return g_test_run ();
    }
  adw_init ();

  g_test_add ("/kantor/monitor/window", MonitorFixture, NULL, monitor_fixture_setup, test_window,
              monitor_fixture_teardown);
  return g_test_run ();
}
