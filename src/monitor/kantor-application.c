/* kantor-application.c: the monitor application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kantor-application.h"
#include "kantor-monitor-client.h"
#include "kantor-monitor-window.h"

struct _KantorApplication
{
  AdwApplication  parent_instance;

  char           *url;
  char           *username;
};

G_DEFINE_FINAL_TYPE (KantorApplication, kantor_application, ADW_TYPE_APPLICATION)

static void
kantor_application_activate (GApplication *application)
{
  KantorApplication *self = KANTOR_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    window = GTK_WINDOW (kantor_monitor_window_new (self, self->url, self->username));
  gtk_window_present (window);
}

static int
kantor_application_handle_local_options (GApplication *application,
                                         GVariantDict *options)
{
  KantorApplication *self = KANTOR_APPLICATION (application);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("kantor %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->username, g_free);
  g_variant_dict_lookup (options, "url", "s", &self->url);
  g_variant_dict_lookup (options, "user", "s", &self->username);
  return G_APPLICATION_CLASS (kantor_application_parent_class)->handle_local_options (application,
                                                                                      options);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  const char *developers[] = { _("The Kantor developers"), NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-name", _("Kantor Monitor"),
                        "application-icon", KANTOR_APPLICATION_ID,
                        "version", PACKAGE_VERSION,
                        "comments", _("Watch the sessions, prices, signals and alerts of a "
                                      "Kantor trading server"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* TRANSLATORS: your name and address, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
kantor_application_startup (GApplication *application)
{
  static const GActionEntry actions[] = {
    { "quit", quit_activated },
    { "about", about_activated },
  };
  static const char * const quit_accels[] = { "<Primary>q", NULL };
  static const char * const refresh_accels[] = { "<Primary>r", "F5", NULL };

  G_APPLICATION_CLASS (kantor_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions, G_N_ELEMENTS (actions),
                                   application);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "win.refresh",
                                         refresh_accels);
}

static void
kantor_application_finalize (GObject *object)
{
  KantorApplication *self = KANTOR_APPLICATION (object);

  g_free (self->url);
  g_free (self->username);

  G_OBJECT_CLASS (kantor_application_parent_class)->finalize (object);
}

static void
kantor_application_class_init (KantorApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = kantor_application_finalize;
  app_class->activate = kantor_application_activate;
  app_class->startup = kantor_application_startup;
  app_class->handle_local_options = kantor_application_handle_local_options;
}

static void
kantor_application_init (KantorApplication *self)
{
  static const GOptionEntry options[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, NULL,
      N_("The server’s WebSocket address (default: ws://127.0.0.1:8080/ws)"), N_("URL") },
    { "user", 0, 0, G_OPTION_ARG_STRING, NULL, N_("The user name to log in with"), N_("NAME") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

KantorApplication *
kantor_application_new (void)
{
  return g_object_new (KANTOR_TYPE_APPLICATION,
                       "application-id", KANTOR_APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/kantor/Kantor",
                       NULL);
}
