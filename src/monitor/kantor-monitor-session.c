/* kantor-monitor-session.c: what the monitor knows of one session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-monitor-session.h"
#include "kantor-monitor-util.h"

struct _KantorMonitorSession
{
  GObject  parent_instance;

  char    *id;
  char    *session_type;
  char    *state;
  char   **symbols;
  char   **strategies;
  double   progress;
  guint64  events_processed;
  gint64   created_at;
  char    *error;

  gboolean has_results;
  double   net_pnl;
  double   realized_pnl;
  double   unrealized_pnl;
  guint    total_trades;
  double   win_rate;
};

G_DEFINE_FINAL_TYPE (KantorMonitorSession, kantor_monitor_session, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_SESSION_TYPE,
  PROP_STATE,
  PROP_ACTIVE,
  PROP_SYMBOLS,
  PROP_STRATEGIES,
  PROP_PROGRESS,
  PROP_EVENTS_PROCESSED,
  PROP_CREATED_AT,
  PROP_ERROR,
  PROP_HAS_RESULTS,
  PROP_NET_PNL,
  PROP_REALIZED_PNL,
  PROP_UNREALIZED_PNL,
  PROP_TOTAL_TRADES,
  PROP_WIN_RATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
take_strv (KantorMonitorSession *self,
           char               ***field,
           GPtrArray            *values,
           guint                 prop)
{
  g_ptr_array_add (values, NULL);
  if (*field != NULL && g_strv_equal ((const char * const *) *field,
                                      (const char * const *) values->pdata))
    return FALSE;
  g_strfreev (*field);
  *field = g_strdupv ((char **) values->pdata);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
  return TRUE;
}

/* A number member, or @fallback when absent or null. */
static double
number_member (JsonObject *obj,
               const char *name,
               double      fallback)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  return json_node_get_double (node);
}

/* The number member @name of @obj (@fallback when absent or null) into
 * @field. */
static gboolean
take_number (KantorMonitorSession *self,
             JsonObject           *obj,
             const char           *name,
             double                fallback,
             double               *field,
             guint                 prop)
{
  return kantor_monitor_notify_double (self, field, number_member (obj, name, fallback),
                                       properties[prop]);
}

/* g_ptr_array_sort() hands pointers to the elements. */
static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

gboolean
kantor_monitor_session_update (KantorMonitorSession *self,
                               JsonObject           *obj)
{
  gboolean changed = FALSE;
  const char *value;
  JsonObject *config;
  JsonObject *progress;
  JsonNode *node;

  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), FALSE);
  g_return_val_if_fail (obj != NULL, FALSE);

  g_object_freeze_notify (G_OBJECT (self));

  if ((value = kantor_monitor_json_get_string (obj, "session_type")) != NULL)
    changed |= kantor_monitor_notify_string (self, &self->session_type, value,
                                             properties[PROP_SESSION_TYPE]);
  if ((value = kantor_monitor_json_get_string (obj, "state")) != NULL)
    {
      gboolean was_active = kantor_monitor_session_is_active (self);

      if (kantor_monitor_notify_string (self, &self->state, value, properties[PROP_STATE]))
        {
          changed = TRUE;
          if (was_active != kantor_monitor_session_is_active (self))
            g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
        }
    }
  if ((value = kantor_monitor_json_get_string (obj, "error")) != NULL)
    changed |= kantor_monitor_notify_string (self, &self->error, value, properties[PROP_ERROR]);

  node = json_object_get_member (obj, "symbols");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autoptr(GPtrArray) symbols = g_ptr_array_new ();
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            g_ptr_array_add (symbols, (gpointer) json_node_get_string (element));
        }
      changed |= take_strv (self, &self->symbols, symbols, PROP_SYMBOLS);
    }

  if ((config = kantor_monitor_json_get_object (obj, "strategy_config")) != NULL)
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new ();
      g_autoptr(GList) members = json_object_get_members (config);

      for (GList *l = members; l != NULL; l = l->next)
        g_ptr_array_add (names, l->data);
      g_ptr_array_sort (names, compare_names);
      changed |= take_strv (self, &self->strategies, names, PROP_STRATEGIES);
    }

  if (json_object_has_member (obj, "created_at"))
    {
      gint64 created = (gint64) number_member (obj, "created_at", 0);

      if (created != self->created_at)
        {
          self->created_at = created;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED_AT]);
          changed = TRUE;
        }
    }

  if ((progress = kantor_monitor_json_get_object (obj, "progress")) != NULL)
    {
      guint64 events = (guint64) number_member (progress, "events_processed",
                                                (double) self->events_processed);

      changed |= take_number (self, progress, "fraction", self->progress, &self->progress,
                              PROP_PROGRESS);
      if (events != self->events_processed)
        {
          self->events_processed = events;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENTS_PROCESSED]);
          changed = TRUE;
        }
    }
  /* A backtest that reached its end is complete, whatever its last
   * progress report said. */
  if (g_strcmp0 (self->state, "completed") == 0)
    changed |= kantor_monitor_notify_double (self, &self->progress, 1.0, properties[PROP_PROGRESS]);

  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}

gboolean
kantor_monitor_session_update_results (KantorMonitorSession *self,
                                       JsonObject           *data)
{
  JsonObject *metrics;
  guint trades;
  gboolean changed = FALSE;

  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  metrics = kantor_monitor_json_get_object (data, "metrics");
  if (metrics == NULL)
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  changed |= take_number (self, metrics, "net_pnl", 0, &self->net_pnl, PROP_NET_PNL);
  changed |= take_number (self, metrics, "realized_pnl", 0, &self->realized_pnl,
                          PROP_REALIZED_PNL);
  changed |= take_number (self, metrics, "unrealized_pnl", 0, &self->unrealized_pnl,
                          PROP_UNREALIZED_PNL);
  /* null while there are no trades: no rate to show. */
  changed |= take_number (self, metrics, "win_rate", -1, &self->win_rate, PROP_WIN_RATE);
  trades = (guint) number_member (metrics, "total_trades", 0);
  changed |= kantor_monitor_notify_uint (self, &self->total_trades, trades,
                                         properties[PROP_TOTAL_TRADES]);
  if (!self->has_results)
    {
      self->has_results = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_RESULTS]);
      changed = TRUE;
    }
  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}

KantorMonitorSession *
kantor_monitor_session_new (const char *session_id)
{
  g_return_val_if_fail (session_id != NULL, NULL);
  return g_object_new (KANTOR_TYPE_MONITOR_SESSION, "id", session_id, NULL);
}

const char *
kantor_monitor_session_get_id (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), NULL);
  return self->id;
}

const char *
kantor_monitor_session_get_session_type (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), NULL);
  return self->session_type;
}

const char *
kantor_monitor_session_get_state (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), NULL);
  return self->state;
}

gboolean
kantor_monitor_session_is_active (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), FALSE);
  return g_strcmp0 (self->state, "starting") == 0 || g_strcmp0 (self->state, "running") == 0 ||
         g_strcmp0 (self->state, "paused") == 0;
}

const char * const *
kantor_monitor_session_get_symbols (KantorMonitorSession *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), NULL);
  return self->symbols != NULL ? (const char * const *) self->symbols : none;
}

const char * const *
kantor_monitor_session_get_strategies (KantorMonitorSession *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), NULL);
  return self->strategies != NULL ? (const char * const *) self->strategies : none;
}

double
kantor_monitor_session_get_progress (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), -1);
  return self->progress;
}

guint64
kantor_monitor_session_get_events_processed (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), 0);
  return self->events_processed;
}

gint64
kantor_monitor_session_get_created_at (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), 0);
  return self->created_at;
}

const char *
kantor_monitor_session_get_error (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), NULL);
  return self->error;
}

gboolean
kantor_monitor_session_get_has_results (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), FALSE);
  return self->has_results;
}

double
kantor_monitor_session_get_net_pnl (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), 0);
  return self->net_pnl;
}

double
kantor_monitor_session_get_realized_pnl (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), 0);
  return self->realized_pnl;
}

double
kantor_monitor_session_get_unrealized_pnl (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), 0);
  return self->unrealized_pnl;
}

guint
kantor_monitor_session_get_total_trades (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), 0);
  return self->total_trades;
}

double
kantor_monitor_session_get_win_rate (KantorMonitorSession *self)
{
  g_return_val_if_fail (KANTOR_IS_MONITOR_SESSION (self), -1);
  return self->win_rate;
}

static void
kantor_monitor_session_finalize (GObject *object)
{
  KantorMonitorSession *self = KANTOR_MONITOR_SESSION (object);

  g_free (self->id);
  g_free (self->session_type);
  g_free (self->state);
  g_strfreev (self->symbols);
  g_strfreev (self->strategies);
  g_free (self->error);

  G_OBJECT_CLASS (kantor_monitor_session_parent_class)->finalize (object);
}

static void
kantor_monitor_session_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  KantorMonitorSession *self = KANTOR_MONITOR_SESSION (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_SESSION_TYPE:
      g_value_set_string (value, self->session_type);
      break;
    case PROP_STATE:
      g_value_set_string (value, self->state);
      break;
    case PROP_ACTIVE:
      g_value_set_boolean (value, kantor_monitor_session_is_active (self));
      break;
    case PROP_SYMBOLS:
      g_value_set_boxed (value, kantor_monitor_session_get_symbols (self));
      break;
    case PROP_STRATEGIES:
      g_value_set_boxed (value, kantor_monitor_session_get_strategies (self));
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_EVENTS_PROCESSED:
      g_value_set_uint64 (value, self->events_processed);
      break;
    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_at);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_HAS_RESULTS:
      g_value_set_boolean (value, self->has_results);
      break;
    case PROP_NET_PNL:
      g_value_set_double (value, self->net_pnl);
      break;
    case PROP_REALIZED_PNL:
      g_value_set_double (value, self->realized_pnl);
      break;
    case PROP_UNREALIZED_PNL:
      g_value_set_double (value, self->unrealized_pnl);
      break;
    case PROP_TOTAL_TRADES:
      g_value_set_uint (value, self->total_trades);
      break;
    case PROP_WIN_RATE:
      g_value_set_double (value, self->win_rate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_monitor_session_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  KantorMonitorSession *self = KANTOR_MONITOR_SESSION (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kantor_monitor_session_class_init (KantorMonitorSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kantor_monitor_session_finalize;
  object_class->get_property = kantor_monitor_session_get_property;
  object_class->set_property = kantor_monitor_session_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SESSION_TYPE] = g_param_spec_string ("session-type", NULL, NULL, NULL, ro);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL, ro);
  properties[PROP_ACTIVE] = g_param_spec_boolean ("active", NULL, NULL, FALSE, ro);
  properties[PROP_SYMBOLS] = g_param_spec_boxed ("symbols", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_STRATEGIES] = g_param_spec_boxed ("strategies", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, -1, 1, -1, ro);
  properties[PROP_EVENTS_PROCESSED] =
    g_param_spec_uint64 ("events-processed", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, ro);
  properties[PROP_HAS_RESULTS] = g_param_spec_boolean ("has-results", NULL, NULL, FALSE, ro);
  properties[PROP_NET_PNL] =
    g_param_spec_double ("net-pnl", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_REALIZED_PNL] =
    g_param_spec_double ("realized-pnl", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_UNREALIZED_PNL] =
    g_param_spec_double ("unrealized-pnl", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  properties[PROP_TOTAL_TRADES] =
    g_param_spec_uint ("total-trades", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_WIN_RATE] = g_param_spec_double ("win-rate", NULL, NULL, -1, 100, -1, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kantor_monitor_session_init (KantorMonitorSession *self)
{
  self->progress = -1;
  self->win_rate = -1;
}
