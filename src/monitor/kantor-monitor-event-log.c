/* kantor-monitor-event-log.c: alerts and signals, newest first, bounded
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kantor-monitor-event-log.h"

struct _KantorMonitorEventLog
{
  KantorMonitorFeedModel    parent_instance;

  GListStore               *store;  /* the parent's */
  guint                     max_entries;
  KantorMonitorClientState  last_state;
  gboolean                  lost;  /* authenticated once, then dropped */
};

G_DEFINE_FINAL_TYPE (KantorMonitorEventLog, kantor_monitor_event_log,
                     KANTOR_TYPE_MONITOR_FEED_MODEL)

void
kantor_monitor_event_log_add (KantorMonitorEventLog *self,
                              KantorMonitorLogEntry *entry)
{
  gint64 time_ms;
  guint position;
  guint n;

  g_return_if_fail (KANTOR_IS_MONITOR_EVENT_LOG (self));
  g_return_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (entry));

  /* Newest first by time. Live entries go to the top at once; a seed
   * (the last items of each symbol in turn) or a replay after a reconnect
   * finds its place further down. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  time_ms = kantor_monitor_log_entry_get_time (entry);
  for (position = 0; position < n; position++)
    {
      g_autoptr(KantorMonitorLogEntry) other = g_list_model_get_item (G_LIST_MODEL (self->store),
                                                                      position);

      if (kantor_monitor_log_entry_get_time (other) <= time_ms)
        break;
    }
  if (position >= self->max_entries)
    return;  /* older than everything kept */

  g_list_store_insert (self->store, position, entry);
  if (n + 1 > self->max_entries)
    g_list_store_splice (self->store, self->max_entries, n + 1 - self->max_entries, NULL, 0);
}

void
kantor_monitor_event_log_clear (KantorMonitorEventLog *self)
{
  g_return_if_fail (KANTOR_IS_MONITOR_EVENT_LOG (self));
  g_list_store_remove_all (self->store);
}

guint
kantor_monitor_event_log_get_max_entries (KantorMonitorEventLog *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_EVENT_LOG (self), 0);
  return self->max_entries;
}

static void
on_alert (KantorMonitorClient   *client,
          JsonObject            *msg,
          KantorMonitorEventLog *self)
{
  g_autoptr(KantorMonitorLogEntry) entry = kantor_monitor_log_entry_new_from_alert (msg);

  if (entry != NULL)
    kantor_monitor_event_log_add (self, entry);
}

static void
on_signal (KantorMonitorClient   *client,
           const char            *stream,
           JsonObject            *msg,
           KantorMonitorEventLog *self)
{
  g_autoptr(KantorMonitorLogEntry) entry = kantor_monitor_log_entry_new_from_signal (msg);

  if (entry != NULL)
    kantor_monitor_event_log_add (self, entry);
}

static void
on_resume_gap (KantorMonitorClient   *client,
               const char            *stream,
               guint64                resume_from,
               guint64                oldest_seq,
               KantorMonitorEventLog *self)
{
  g_autofree char *message = NULL;
  g_autoptr(KantorMonitorLogEntry) entry = NULL;

  if (oldest_seq > resume_from + 1)
    {
      guint64 lost = oldest_seq - resume_from - 1;
      g_autofree char *count = g_strdup_printf ("%" G_GUINT64_FORMAT, lost);

      /* TRANSLATORS: %s: a count; %s: a stream name (signals, market_data) */
      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%s item of %s was lost while the connection "
                                              "was down",
                                              "%s items of %s were lost while the connection "
                                              "was down",
                                              (gulong) MIN (lost, G_MAXULONG)),
                                 count, stream);
    }
  else
    /* TRANSLATORS: %s is a stream name (signals, market_data, ...) */
    message = g_strdup_printf (_("Items of %s were lost while the connection was down"), stream);
  entry = kantor_monitor_log_entry_new (KANTOR_MONITOR_LOG_CONNECTION, "resume_gap", "warning",
                                        message);
  kantor_monitor_event_log_add (self, entry);
}

static void
on_client_state (KantorMonitorClient   *client,
                 GParamSpec            *pspec,
                 KantorMonitorEventLog *self)
{
  KantorMonitorClientState state = kantor_monitor_client_get_state (client);
  KantorMonitorClientState before = self->last_state;

  self->last_state = state;
  if (before == KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED &&
      state != KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED &&
      (state == KANTOR_MONITOR_CLIENT_STATE_CONNECTING ||
       state == KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED) &&
      !self->lost)
    {
      g_autoptr(KantorMonitorLogEntry) entry =
        kantor_monitor_log_entry_new (KANTOR_MONITOR_LOG_CONNECTION, "connection_lost",
                                      "warning", _("The connection to the server was lost"));

      self->lost = TRUE;
      kantor_monitor_event_log_add (self, entry);
    }
  if (state != KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED)
    return;
  if (self->lost)
    {
      g_autoptr(KantorMonitorLogEntry) entry =
        kantor_monitor_log_entry_new (KANTOR_MONITOR_LOG_CONNECTION, "connection_restored",
                                      "info", _("The connection to the server was restored"));

      self->lost = FALSE;
      kantor_monitor_event_log_add (self, entry);
    }

  /* Alerts go to connections holding a subscription, and signals are worth
   * logging in their own right. The client renews it after a reconnect. */
  kantor_monitor_feed_subscribe (KANTOR_MONITOR_FEED (self), "signals", NULL);
}

KantorMonitorEventLog *
kantor_monitor_event_log_new (KantorMonitorClient *client,
                              guint                max_entries)
{
  KantorMonitorEventLog *self;

  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (client), NULL);
  g_return_val_if_fail (max_entries > 0, NULL);

  self = g_object_new (KANTOR_TYPE_MONITOR_EVENT_LOG, NULL);
  kantor_monitor_feed_set_client (KANTOR_MONITOR_FEED (self), client);
  self->store = kantor_monitor_feed_model_get_store (KANTOR_MONITOR_FEED_MODEL (self));
  self->max_entries = max_entries;
  self->last_state = KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED;
  g_signal_connect_object (client, "alert", G_CALLBACK (on_alert), self, 0);
  g_signal_connect_object (client, "stream-item::signals", G_CALLBACK (on_signal), self, 0);
  g_signal_connect_object (client, "resume-gap", G_CALLBACK (on_resume_gap), self, 0);
  g_signal_connect_object (client, "notify::state", G_CALLBACK (on_client_state), self, 0);
  on_client_state (client, NULL, self);
  return self;
}

static void
kantor_monitor_event_log_class_init (KantorMonitorEventLogClass *klass)
{
  KANTOR_MONITOR_FEED_MODEL_CLASS (klass)->item_type = KANTOR_TYPE_MONITOR_LOG_ENTRY;
}

static void
kantor_monitor_event_log_init (KantorMonitorEventLog *self)
{
}
