/* kantor-monitor-log-entry.c: one alert or signal in the monitor's log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "kantor-monitor-log-entry.h"
#include "kantor-monitor-util.h"

G_DEFINE_ENUM_TYPE (KantorMonitorLogKind, kantor_monitor_log_kind,
                    G_DEFINE_ENUM_VALUE (KANTOR_MONITOR_LOG_ALERT, "alert"),
                    G_DEFINE_ENUM_VALUE (KANTOR_MONITOR_LOG_SIGNAL, "signal"),
                    G_DEFINE_ENUM_VALUE (KANTOR_MONITOR_LOG_CONNECTION, "connection"))

struct _KantorMonitorLogEntry
{
  GObject               parent_instance;

  KantorMonitorLogKind  kind;
  char                 *name;
  char                 *severity;
  char                 *session_id;
  char                 *symbol;
  char                 *strategy;
  char                 *message;
  gint64                time_ms;
  guint64               seq;
};

G_DEFINE_FINAL_TYPE (KantorMonitorLogEntry, kantor_monitor_log_entry, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_KIND,
  PROP_NAME,
  PROP_SEVERITY,
  PROP_SESSION_ID,
  PROP_SYMBOL,
  PROP_STRATEGY,
  PROP_MESSAGE,
  PROP_TIME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The severity of alerts that arrive without one. */
static const struct
{
  const char *alert;
  const char *severity;
} default_severity[] = {
  { "emergency_exit", "critical" },
  { "feed_down", "critical" },
  { "budget_breach", "warning" },
  { "data_gap", "warning" },
  { "slow_consumer", "warning" },
  { "collection_failed", "warning" },
  { "feed_restored", "info" },
};

/* The envelope's ISO-8601 timestamp, else now. */
static gint64
envelope_time_ms (JsonObject *msg)
{
  const char *text = kantor_monitor_json_get_string (msg, "timestamp");
  g_autoptr(GDateTime) dt = NULL;

  if (text != NULL)
    dt = g_date_time_new_from_iso8601 (text, NULL);
  if (dt == NULL)
    return g_get_real_time () / 1000;
  return g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
}

static const char *
normal_severity (const char *severity)
{
  if (g_strcmp0 (severity, "critical") == 0)
    return "critical";
  if (g_strcmp0 (severity, "warning") == 0)
    return "warning";
  return "info";
}

KantorMonitorLogEntry *
kantor_monitor_log_entry_new_from_alert (JsonObject *msg)
{
  KantorMonitorLogEntry *self;
  const char *name;
  const char *severity;

  g_return_val_if_fail (msg != NULL, NULL);

  /* "alert" is the unified member; older servers said "alert_type". */
  name = kantor_monitor_json_get_string (msg, "alert");
  if (name == NULL)
    name = kantor_monitor_json_get_string (msg, "alert_type");
  if (name == NULL)
    return NULL;

  severity = kantor_monitor_json_get_string (msg, "severity");
  if (severity == NULL)
    {
      severity = "warning";
      for (guint i = 0; i < G_N_ELEMENTS (default_severity); i++)
        if (g_str_equal (name, default_severity[i].alert))
          severity = default_severity[i].severity;
    }

  self = g_object_new (KANTOR_TYPE_MONITOR_LOG_ENTRY, NULL);
  self->kind = KANTOR_MONITOR_LOG_ALERT;
  self->name = g_strdup (name);
  self->severity = g_strdup (normal_severity (severity));
  self->session_id = g_strdup (kantor_monitor_json_get_string (msg, "session_id"));
  self->symbol = g_strdup (kantor_monitor_json_get_string (msg, "symbol"));
  self->strategy = g_strdup (kantor_monitor_json_get_string (msg, "strategy"));
  self->message = g_strdup (kantor_monitor_json_get_string (msg, "message"));
  if (self->message == NULL)
    self->message = g_strdup (name);
  self->time_ms = envelope_time_ms (msg);
  return self;
}

KantorMonitorLogEntry *
kantor_monitor_log_entry_new_from_signal (JsonObject *msg)
{
  KantorMonitorLogEntry *self;
  JsonObject *signal;
  const char *type;
  const char *side;
  char price[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (msg != NULL, NULL);

  signal = kantor_monitor_json_get_object (msg, "signal");
  if (signal == NULL)
    return NULL;
  type = kantor_monitor_json_get_string (signal, "type");
  if (type == NULL)
    return NULL;

  self = g_object_new (KANTOR_TYPE_MONITOR_LOG_ENTRY, NULL);
  self->kind = KANTOR_MONITOR_LOG_SIGNAL;
  self->name = g_strdup (type);
  self->severity = g_strdup (g_str_equal (type, "emergency_exit") ? "critical" : "info");
  self->session_id = g_strdup (kantor_monitor_json_get_string (msg, "session_id"));
  self->symbol = g_strdup (kantor_monitor_json_get_string (signal, "symbol"));
  self->strategy = g_strdup (kantor_monitor_json_get_string (signal, "strategy"));
  self->time_ms = json_object_get_int_member_with_default (signal, "timestamp", 0);
  if (self->time_ms == 0)
    self->time_ms = envelope_time_ms (msg);
  self->seq = (guint64) MAX (0, json_object_get_int_member_with_default (msg, "seq", 0));

  /* Ten significant digits show any exchange price exactly, without the
   * binary noise of %.17g. */
  g_ascii_formatd (price, sizeof price, "%.10g",
                   json_object_get_double_member_with_default (signal, "price", 0));
  side = kantor_monitor_json_get_string (signal, "side");
  if (side != NULL)
    /* TRANSLATORS: a strategy's signal: strategy, signal type, side (BUY or
     * SELL), symbol and price, e.g. "pump_rider: z1_entry BUY BTCUSDT at 50000.5" */
    self->message = g_strdup_printf (_("%s: %s %s %s at %s"),
                                     self->strategy != NULL ? self->strategy : "?", type, side,
                                     self->symbol != NULL ? self->symbol : "?", price);
  else
    /* TRANSLATORS: a strategy's signal: strategy, signal type, symbol and
     * price, e.g. "pump_rider: s1_signal BTCUSDT at 50000.5" */
    self->message = g_strdup_printf (_("%s: %s %s at %s"),
                                     self->strategy != NULL ? self->strategy : "?", type,
                                     self->symbol != NULL ? self->symbol : "?", price);
  return self;
}

KantorMonitorLogEntry *
kantor_monitor_log_entry_new (KantorMonitorLogKind  kind,
                              const char           *name,
                              const char           *severity,
                              const char           *message)
{
  KantorMonitorLogEntry *self = g_object_new (KANTOR_TYPE_MONITOR_LOG_ENTRY, NULL);

  self->kind = kind;
  self->name = g_strdup (name);
  self->severity = g_strdup (normal_severity (severity));
  self->message = g_strdup (message);
  self->time_ms = g_get_real_time () / 1000;
  return self;
}

KantorMonitorLogKind
kantor_monitor_log_entry_get_kind (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), KANTOR_MONITOR_LOG_ALERT);
  return self->kind;
}

const char *
kantor_monitor_log_entry_get_name (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), NULL);
  return self->name;
}

const char *
kantor_monitor_log_entry_get_severity (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), NULL);
  return self->severity;
}

const char *
kantor_monitor_log_entry_get_session_id (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), NULL);
  return self->session_id;
}

const char *
kantor_monitor_log_entry_get_symbol (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), NULL);
  return self->symbol;
}

const char *
kantor_monitor_log_entry_get_strategy (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), NULL);
  return self->strategy;
}

const char *
kantor_monitor_log_entry_get_message (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), NULL);
  return self->message;
}

gint64
kantor_monitor_log_entry_get_time (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), 0);
  return self->time_ms;
}

guint64
kantor_monitor_log_entry_get_seq (KantorMonitorLogEntry *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_LOG_ENTRY (self), 0);
  return self->seq;
}

static void
kantor_monitor_log_entry_finalize (GObject *object)
{
  KantorMonitorLogEntry *self = KANTOR_MONITOR_LOG_ENTRY (object);

  g_free (self->name);
  g_free (self->severity);
  g_free (self->session_id);
  g_free (self->symbol);
  g_free (self->strategy);
  g_free (self->message);

  G_OBJECT_CLASS (kantor_monitor_log_entry_parent_class)->finalize (object);
}

static void
kantor_monitor_log_entry_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  KantorMonitorLogEntry *self = KANTOR_MONITOR_LOG_ENTRY (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_SEVERITY:
      g_value_set_string (value, self->severity);
      break;
    case PROP_SESSION_ID:
      g_value_set_string (value, self->session_id);
      break;
    case PROP_SYMBOL:
      g_value_set_string (value, self->symbol);
      break;
    case PROP_STRATEGY:
      g_value_set_string (value, self->strategy);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_TIME:
      g_value_set_int64 (value, self->time_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_monitor_log_entry_class_init (KantorMonitorLogEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kantor_monitor_log_entry_finalize;
  object_class->get_property = kantor_monitor_log_entry_get_property;

  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, KANTOR_TYPE_MONITOR_LOG_KIND,
                                             KANTOR_MONITOR_LOG_ALERT, ro);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, ro);
  properties[PROP_SEVERITY] = g_param_spec_string ("severity", NULL, NULL, NULL, ro);
  properties[PROP_SESSION_ID] = g_param_spec_string ("session-id", NULL, NULL, NULL, ro);
  properties[PROP_SYMBOL] = g_param_spec_string ("symbol", NULL, NULL, NULL, ro);
  properties[PROP_STRATEGY] = g_param_spec_string ("strategy", NULL, NULL, NULL, ro);
  properties[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL, ro);
  properties[PROP_TIME] = g_param_spec_int64 ("time", NULL, NULL, 0, G_MAXINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kantor_monitor_log_entry_init (KantorMonitorLogEntry *self)
{
}
