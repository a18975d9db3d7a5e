/* kantor-monitor-health.c: the server's health stream, as properties
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-health.h"
#include "kantor-monitor-util.h"

struct _KantorMonitorHealth
{
  KantorMonitorFeed    parent_instance;

  gboolean             has_report;
  char                *feed_state;
  char                *feed_name;
  double               events_per_second;
  guint                connections;
  guint                symbols_streamed;
};

G_DEFINE_FINAL_TYPE (KantorMonitorHealth, kantor_monitor_health, KANTOR_TYPE_MONITOR_FEED)

enum
{
  PROP_0,
  PROP_HAS_REPORT,
  PROP_FEED_STATE,
  PROP_FEED_NAME,
  PROP_EVENTS_PER_SECOND,
  PROP_CONNECTIONS,
  PROP_SYMBOLS_STREAMED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
on_health (KantorMonitorClient *client,
           const char          *stream,
           JsonObject          *msg,
           KantorMonitorHealth *self)
{
  JsonObject *health = kantor_monitor_json_get_object (msg, "health");
  JsonArray *feeds = NULL;
  const char *state = NULL;
  const char *name = NULL;
  double eps;

  if (health == NULL)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  if (json_object_has_member (health, "feeds") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (health, "feeds")))
    feeds = json_object_get_array_member (health, "feeds");
  for (guint i = 0; feeds != NULL && i < json_array_get_length (feeds); i++)
    {
      JsonNode *element = json_array_get_element (feeds, i);
      JsonObject *feed;
      const char *feed_state;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      feed = json_node_get_object (element);
      feed_state = json_object_get_string_member_with_default (feed, "state", NULL);
      if (state == NULL || g_strcmp0 (feed_state, "down") == 0)
        {
          state = feed_state;
          name = json_object_get_string_member_with_default (feed, "name", NULL);
        }
    }
  kantor_monitor_notify_string (self, &self->feed_state, state, properties[PROP_FEED_STATE]);
  kantor_monitor_notify_string (self, &self->feed_name, name, properties[PROP_FEED_NAME]);

  eps = json_object_get_double_member_with_default (health, "events_per_second", 0);
  kantor_monitor_notify_double (self, &self->events_per_second, eps,
                                properties[PROP_EVENTS_PER_SECOND]);
  kantor_monitor_notify_uint (self, &self->connections,
                              (guint) json_object_get_int_member_with_default (health,
                                                                               "connections", 0),
                              properties[PROP_CONNECTIONS]);
  kantor_monitor_notify_uint (self, &self->symbols_streamed,
                              (guint) json_object_get_int_member_with_default (
                                health, "symbols_streamed", 0),
                              properties[PROP_SYMBOLS_STREAMED]);
  if (!self->has_report)
    {
      self->has_report = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_REPORT]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
on_alert (KantorMonitorClient *client,
          JsonObject          *msg,
          KantorMonitorHealth *self)
{
  const char *alert = json_object_get_string_member_with_default (msg, "alert", NULL);

  if (g_strcmp0 (alert, "feed_down") == 0)
    kantor_monitor_notify_string (self, &self->feed_state, "down", properties[PROP_FEED_STATE]);
  else if (g_strcmp0 (alert, "feed_restored") == 0)
    kantor_monitor_notify_string (self, &self->feed_state,
                                  json_object_get_string_member_with_default (msg, "state",
                                                                              "running"),
                                  properties[PROP_FEED_STATE]);
}

static void
on_client_state (KantorMonitorClient *client,
                 GParamSpec          *pspec,
                 KantorMonitorHealth *self)
{
  kantor_monitor_feed_subscribe (KANTOR_MONITOR_FEED (self), "health", NULL);
}

KantorMonitorHealth *
kantor_monitor_health_new (KantorMonitorClient *client)
{
  KantorMonitorHealth *self;

  g_return_val_if_fail (KANTOR_IS_MONITOR_CLIENT (client), NULL);

  self = g_object_new (KANTOR_TYPE_MONITOR_HEALTH, NULL);
  kantor_monitor_feed_set_client (KANTOR_MONITOR_FEED (self), client);
  g_signal_connect_object (client, "stream-item::health", G_CALLBACK (on_health), self, 0);
  g_signal_connect_object (client, "alert", G_CALLBACK (on_alert), self, 0);
  g_signal_connect_object (client, "notify::state", G_CALLBACK (on_client_state), self, 0);
  on_client_state (client, NULL, self);
  return self;
}

gboolean
kantor_monitor_health_get_has_report (KantorMonitorHealth *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_HEALTH (self), FALSE);
  return self->has_report;
}

const char *
kantor_monitor_health_get_feed_state (KantorMonitorHealth *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_HEALTH (self), NULL);
  return self->feed_state;
}

const char *
kantor_monitor_health_get_feed_name (KantorMonitorHealth *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_HEALTH (self), NULL);
  return self->feed_name;
}

double
kantor_monitor_health_get_events_per_second (KantorMonitorHealth *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_HEALTH (self), 0);
  return self->events_per_second;
}

guint
kantor_monitor_health_get_connections (KantorMonitorHealth *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_HEALTH (self), 0);
  return self->connections;
}

guint
kantor_monitor_health_get_symbols_streamed (KantorMonitorHealth *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_HEALTH (self), 0);
  return self->symbols_streamed;
}

static void
kantor_monitor_health_finalize (GObject *object)
{
  KantorMonitorHealth *self = KANTOR_MONITOR_HEALTH (object);

  g_free (self->feed_state);
  g_free (self->feed_name);

  G_OBJECT_CLASS (kantor_monitor_health_parent_class)->finalize (object);
}

static void
kantor_monitor_health_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  KantorMonitorHealth *self = KANTOR_MONITOR_HEALTH (object);

  switch (prop_id)
    {
    case PROP_HAS_REPORT:
      g_value_set_boolean (value, self->has_report);
      break;
    case PROP_FEED_STATE:
      g_value_set_string (value, self->feed_state);
      break;
    case PROP_FEED_NAME:
      g_value_set_string (value, self->feed_name);
      break;
    case PROP_EVENTS_PER_SECOND:
      g_value_set_double (value, self->events_per_second);
      break;
    case PROP_CONNECTIONS:
      g_value_set_uint (value, self->connections);
      break;
    case PROP_SYMBOLS_STREAMED:
      g_value_set_uint (value, self->symbols_streamed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_monitor_health_class_init (KantorMonitorHealthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kantor_monitor_health_finalize;
  object_class->get_property = kantor_monitor_health_get_property;

  properties[PROP_HAS_REPORT] = g_param_spec_boolean ("has-report", NULL, NULL, FALSE, ro);
  properties[PROP_FEED_STATE] = g_param_spec_string ("feed-state", NULL, NULL, NULL, ro);
  properties[PROP_FEED_NAME] = g_param_spec_string ("feed-name", NULL, NULL, NULL, ro);
  properties[PROP_EVENTS_PER_SECOND] =
    g_param_spec_double ("events-per-second", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_CONNECTIONS] =
    g_param_spec_uint ("connections", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_SYMBOLS_STREAMED] =
    g_param_spec_uint ("symbols-streamed", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kantor_monitor_health_init (KantorMonitorHealth *self)
{
}
