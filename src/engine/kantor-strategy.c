/* kantor-strategy.c: one pass that validates a strategy document and, when
 * it is clean, compiles it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-canonical-json.h"
#include "kantor-json.h"
#include "kantor-strategy.h"

struct _KantorStrategy
{
  gatomicrefcount       ref_count;

  JsonNode             *doc;          /* sealed copy */
  char                 *hash;
  const char           *name;         /* interned */
  char                 *description;
  KantorDirection       direction;
  gboolean              enabled;

  guint                 n_indicators;
  const char          **keys;         /* interned */
  KantorIndicatorSpec **specs;
  gboolean             *used;

  GStringChunk         *strings;      /* condition ids */
  KantorCondition      *conditions[KANTOR_N_SECTIONS];
  guint                 n_conditions[KANTOR_N_SECTIONS];

  double                timeout_seconds;
  double                cancel_cooldown_minutes;
  double                emergency_cooldown_minutes;
  gboolean              cancel_pending;
  gboolean              close_position;
  gboolean              log_event;

  KantorSizeKind        size_kind;
  double                size_value;
  gboolean              stop_loss_enabled;
  double                stop_loss_pct;
  gboolean              take_profit_enabled;
  double                take_profit_pct;

  double                min_notional;
  double                max_notional;
  double                max_leverage;
};

G_DEFINE_BOXED_TYPE (KantorStrategy, kantor_strategy, kantor_strategy_ref, kantor_strategy_unref)

static const char *const section_names[KANTOR_N_SECTIONS] = {
  "s1_signal", "o1_cancel", "z1_entry", "ze1_close", "emergency_exit",
};

static const char *const builtin_names[] = {
  NULL, "UNREALIZED_PNL_PCT", "POSITION_AGE_SECONDS", "SIGNAL_AGE_SECONDS",
};

static const struct
{
  const char      *text;
  KantorCompareOp  op;
} operators[] = {
  { ">",  KANTOR_COMPARE_GT },
  { "<",  KANTOR_COMPARE_LT },
  { ">=", KANTOR_COMPARE_GE },
  { "<=", KANTOR_COMPARE_LE },
  { "==", KANTOR_COMPARE_EQ },
  { "!=", KANTOR_COMPARE_NE },
};

/* Known members per object; anything else is an error, because a typo in a
 * money-handling document ("stopLos") must not be silently ignored. */
static const char *const root_members[] = {
  "strategy_name", "description", "enabled", "direction", "indicators", "s1_signal",
  "o1_cancel", "z1_entry", "ze1_close", "emergency_exit", "global_limits", NULL,
};
static const char *const plain_section_members[] = { "conditions", NULL };
static const char *const o1_members[] = {
  "conditions", "timeoutSeconds", "cooldownMinutes", NULL,
};
static const char *const z1_members[] = {
  "conditions", "positionSize", "stopLoss", "takeProfit", NULL,
};
static const char *const e1_members[] = { "conditions", "cooldownMinutes", "actions", NULL };
static const char *const actions_members[] = {
  "cancelPending", "closePosition", "logEvent", NULL,
};
static const char *const condition_members[] = {
  "id", "indicatorId", "operator", "value", NULL,
};
static const char *const size_members[] = { "type", "value", NULL };
static const char *const exit_members[] = { "enabled", "offsetPercent", NULL };
static const char *const limits_members[] = {
  "max_position_size_usdt", "min_position_size_usdt", "max_leverage", NULL,
};

const char *
kantor_strategy_section_to_string (KantorStrategySection section)
{
  g_return_val_if_fail (section < KANTOR_N_SECTIONS, NULL);
  return section_names[section];
}

const char *
kantor_compare_op_to_string (KantorCompareOp op)
{
  for (guint i = 0; i < G_N_ELEMENTS (operators); i++)
    if (operators[i].op == op)
      return operators[i].text;
  return NULL;
}

KantorBuiltin
kantor_builtin_from_name (const char *name)
{
  for (guint i = 1; i < G_N_ELEMENTS (builtin_names); i++)
    if (g_strcmp0 (name, builtin_names[i]) == 0)
      return (KantorBuiltin) i;
  return KANTOR_BUILTIN_NONE;
}

const char *
kantor_builtin_to_string (KantorBuiltin builtin)
{
  g_return_val_if_fail (builtin < G_N_ELEMENTS (builtin_names), NULL);
  return builtin_names[builtin];
}

static void
kantor_strategy_free (KantorStrategy *self)
{
  for (guint i = 0; i < self->n_indicators; i++)
    g_clear_pointer (&self->specs[i], kantor_indicator_spec_unref);
  g_free (self->keys);
  g_free (self->specs);
  g_free (self->used);
  for (guint s = 0; s < KANTOR_N_SECTIONS; s++)
    g_free (self->conditions[s]);
  g_clear_pointer (&self->strings, g_string_chunk_free);
  g_clear_pointer (&self->doc, json_node_unref);
  g_free (self->hash);
  g_free (self->description);
  g_free (self);
}

KantorStrategy *
kantor_strategy_ref (KantorStrategy *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
kantor_strategy_unref (KantorStrategy *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref_count))
    kantor_strategy_free (self);
}

/* ------------------------------------------------------------------------ */
/* Checking members                                                         */

typedef struct
{
  KantorDiagnostics *diag;
  KantorStrategy    *strategy;   /* filled in as the document is read */
  GHashTable        *keys;       /* declared key -> index + 1 */
} Parser;

static gboolean
is_number (JsonNode *node)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

static const char *
node_kind (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT: return "an object";
    case JSON_NODE_ARRAY:  return "an array";
    case JSON_NODE_NULL:   return "null";
    case JSON_NODE_VALUE:
    default:
      break;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:  return "a string";
    case G_TYPE_BOOLEAN: return "a boolean";
    default:             return "a number";
    }
}

static void
check_members (Parser            *p,
               JsonObject        *object,
               const char        *path,
               const char *const *known)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (!g_strv_contains (known, name))
        {
          g_autofree char *member_path = kantor_json_pointer_append (path, name);
          g_autofree char *expected = g_strjoinv (", ", (char **) known);

          kantor_diagnostics_add_error (p->diag, member_path,
                                        "Unknown member \"%s\" (expected one of: %s)",
                                        name, expected);
        }
    }
}

/* Returns the member @name of @parent when it exists and is an object;
 * reports it missing (when @required) or of the wrong type. */
static JsonObject *
get_object (Parser     *p,
            JsonObject *parent,
            const char *parent_path,
            const char *name,
            gboolean    required,
            const char *what)
{
  g_autofree char *path = kantor_json_pointer_append (parent_path, name);
  JsonNode *node = json_object_get_member (parent, name);

  if (node == NULL)
    {
      if (required)
        kantor_diagnostics_add_error (p->diag, path, "Missing %s \"%s\"", what, name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      kantor_diagnostics_add_error (p->diag, path, "\"%s\" must be an object, not %s",
                                    name, node_kind (node));
      return NULL;
    }
  return json_node_get_object (node);
}

/* TRUE when @name is there and numeric; a missing member is an error only
 * when @required. */
static gboolean
get_number (Parser     *p,
            JsonObject *parent,
            const char *parent_path,
            const char *name,
            gboolean    required,
            double     *out)
{
  g_autofree char *path = kantor_json_pointer_append (parent_path, name);
  JsonNode *node = json_object_get_member (parent, name);

  if (node == NULL)
    {
      if (required)
        kantor_diagnostics_add_error (p->diag, path, "Missing member \"%s\"", name);
      return FALSE;
    }
  if (!is_number (node))
    {
      kantor_diagnostics_add_error (p->diag, path, "\"%s\" must be a number, not %s",
                                    name, node_kind (node));
      return FALSE;
    }
  *out = json_node_get_double (node);
  return TRUE;
}

static void
get_boolean (Parser     *p,
             JsonObject *parent,
             const char *parent_path,
             const char *name,
             gboolean   *out)
{
  JsonNode *node = json_object_get_member (parent, name);

  if (node == NULL)
    return;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_autofree char *path = kantor_json_pointer_append (parent_path, name);

      kantor_diagnostics_add_error (p->diag, path, "\"%s\" must be a boolean, not %s",
                                    name, node_kind (node));
      return;
    }
  *out = json_node_get_boolean (node);
}

static const char *
get_string (Parser     *p,
            JsonObject *parent,
            const char *parent_path,
            const char *name,
            gboolean    required)
{
  JsonNode *node = json_object_get_member (parent, name);
  g_autofree char *path = kantor_json_pointer_append (parent_path, name);

  if (node == NULL)
    {
      if (required)
        kantor_diagnostics_add_error (p->diag, path, "Missing member \"%s\"", name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      kantor_diagnostics_add_error (p->diag, path, "\"%s\" must be a string, not %s",
                                    name, node_kind (node));
      return NULL;
    }
  return json_node_get_string (node);
}

static void
check_range (Parser     *p,
             const char *parent_path,
             const char *name,
             double      value,
             double      min_value,
             gboolean    min_inclusive,
             double      max_value)
{
  gboolean low = min_inclusive ? value < min_value : value <= min_value;

  if (low || value > max_value)
    {
      g_autofree char *path = kantor_json_pointer_append (parent_path, name);
      char value_text[32], min_text[32], max_text[32];

      kantor_format_double (value, value_text);
      kantor_format_double (min_value, min_text);
      kantor_format_double (max_value, max_text);
      if (isinf (max_value))
        kantor_diagnostics_add_error (p->diag, path, "\"%s\" is %s; it must be %s %s",
                                      name, value_text, min_inclusive ? "at least" : "above",
                                      min_text);
      else
        kantor_diagnostics_add_error (p->diag, path,
                                      "\"%s\" is %s; it must be %s %s and at most %s",
                                      name, value_text, min_inclusive ? "at least" : "above",
                                      min_text, max_text);
    }
}

static gboolean
valid_name (const char *name)
{
  gsize len = strlen (name);

  if (len < 1 || len > 64)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-')
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Sections                                                                 */

static void
parse_indicators (Parser     *p,
                  JsonObject *root)
{
  KantorStrategy *s = p->strategy;
  JsonObject *indicators = get_object (p, root, "", "indicators", TRUE, "section");
  g_autoptr(GList) members = NULL;
  guint n;

  if (indicators == NULL)
    return;

  members = json_object_get_members (indicators);
  n = g_list_length (members);
  s->keys = g_new0 (const char *, n);
  s->specs = g_new0 (KantorIndicatorSpec *, n);
  s->used = g_new0 (gboolean, n);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      g_autofree char *path = kantor_json_pointer_append ("/indicators", key);
      guint index = s->n_indicators++;

      s->keys[index] = g_intern_string (key);
      g_hash_table_insert (p->keys, (gpointer) s->keys[index], GUINT_TO_POINTER (index + 1));

      if (*key == '\0')
        kantor_diagnostics_add_error (p->diag, path, "An indicator key must not be empty");
      else if (kantor_builtin_from_name (key) != KANTOR_BUILTIN_NONE)
        kantor_diagnostics_add_error (p->diag, path,
                                      "\"%s\" is a built-in and cannot be declared", key);

      s->specs[index] = kantor_indicator_spec_parse (json_object_get_member (indicators, key),
                                                     path, p->diag);
    }
}

static gboolean
can_never_hold (KantorCompareOp op,
                double          value,
                double          min_value,
                double          max_value)
{
  switch (op)
    {
    case KANTOR_COMPARE_GT: return value >= max_value;
    case KANTOR_COMPARE_GE: return value > max_value;
    case KANTOR_COMPARE_LT: return value <= min_value;
    case KANTOR_COMPARE_LE: return value < min_value;
    case KANTOR_COMPARE_EQ: return value < min_value || value > max_value;
    case KANTOR_COMPARE_NE: return min_value == max_value && value == min_value;
    default:                return FALSE;
    }
}

static void
builtin_range (KantorBuiltin    builtin,
               KantorDirection  direction,
               double          *min_value,
               double          *max_value)
{
  *min_value = -INFINITY;
  *max_value = INFINITY;
  switch (builtin)
    {
    case KANTOR_BUILTIN_UNREALIZED_PNL_PCT:
      /* A long position can lose at most everything, a short one gain it. */
      if (direction == KANTOR_DIRECTION_SHORT)
        *max_value = 100;
      else
        *min_value = -100;
      break;
    case KANTOR_BUILTIN_POSITION_AGE_SECONDS:
    case KANTOR_BUILTIN_SIGNAL_AGE_SECONDS:
      *min_value = 0;
      break;
    case KANTOR_BUILTIN_NONE:
    default:
      break;
    }
}

static gboolean
parse_condition (Parser          *p,
                 JsonNode        *node,
                 const char      *path,
                 KantorCondition *out)
{
  KantorStrategy *s = p->strategy;
  guint n_errors = kantor_diagnostics_get_n_errors (p->diag);
  JsonObject *object;
  const char *id, *indicator_id, *op_text;
  double value = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      kantor_diagnostics_add_error (p->diag, path, "A condition must be an object, not %s",
                                    node_kind (node));
      return FALSE;
    }
  object = json_node_get_object (node);
  check_members (p, object, path, condition_members);

  id = get_string (p, object, path, "id", TRUE);
  if (id != NULL && *id == '\0')
    {
      g_autofree char *id_path = kantor_json_pointer_append (path, "id");

      kantor_diagnostics_add_error (p->diag, id_path, "\"id\" must not be empty");
    }

  indicator_id = get_string (p, object, path, "indicatorId", TRUE);
  if (indicator_id != NULL)
    {
      gpointer found = g_hash_table_lookup (p->keys, indicator_id);

      out->indicator_id = g_intern_string (indicator_id);
      if (found != NULL)
        {
          out->indicator = GPOINTER_TO_UINT (found) - 1;
          out->builtin = KANTOR_BUILTIN_NONE;
          s->used[out->indicator] = TRUE;
        }
      else if ((out->builtin = kantor_builtin_from_name (indicator_id)) == KANTOR_BUILTIN_NONE)
        {
          g_autofree char *ind_path = kantor_json_pointer_append (path, "indicatorId");

          kantor_diagnostics_add_error (p->diag, ind_path,
                                        "\"%s\" is neither a declared indicator nor a built-in",
                                        indicator_id);
          indicator_id = NULL;
        }
    }

  op_text = get_string (p, object, path, "operator", TRUE);
  out->op = 0;
  if (op_text != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (operators); i++)
        if (strcmp (op_text, operators[i].text) == 0)
          out->op = operators[i].op;
      if (out->op == 0)
        {
          g_autofree char *op_path = kantor_json_pointer_append (path, "operator");

          kantor_diagnostics_add_error (p->diag, op_path,
                                        "Unknown operator \"%s\" (expected >, <, >=, <=, == or !=)",
                                        op_text);
        }
    }

  get_number (p, object, path, "value", TRUE, &value);
  out->value = value;

  if (kantor_diagnostics_get_n_errors (p->diag) != n_errors)
    return FALSE;

  /* A condition that can never hold is legal but almost always a mistake. */
  {
    double min_value = -INFINITY, max_value = INFINITY;
    gboolean known = TRUE;

    if (out->builtin != KANTOR_BUILTIN_NONE)
      builtin_range (out->builtin, s->direction, &min_value, &max_value);
    else if (s->specs[out->indicator] != NULL)
      kantor_indicator_spec_get_range (s->specs[out->indicator], &min_value, &max_value);
    else
      known = FALSE;

    if (known && can_never_hold (out->op, out->value, min_value, max_value))
      {
        char value_text[32], min_text[32], max_text[32];

        kantor_format_double (out->value, value_text);
        kantor_format_double (min_value, min_text);
        kantor_format_double (max_value, max_text);
        kantor_diagnostics_add_warning (p->diag, path,
                                        "%s %s %s can never hold: its values lie in [%s, %s]",
                                        out->indicator_id, op_text, value_text,
                                        isinf (min_value) ? "-inf" : min_text,
                                        isinf (max_value) ? "inf" : max_text);
      }
  }

  out->id = g_string_chunk_insert_const (s->strings, id);
  return TRUE;
}

static void
parse_conditions (Parser                *p,
                  JsonObject            *section_object,
                  KantorStrategySection  section)
{
  KantorStrategy *s = p->strategy;
  g_autofree char *section_path = kantor_json_pointer_append ("", section_names[section]);
  g_autofree char *path = kantor_json_pointer_append (section_path, "conditions");
  JsonNode *node = json_object_get_member (section_object, "conditions");
  JsonArray *array;
  guint n;

  if (node == NULL)
    {
      kantor_diagnostics_add_error (p->diag, path, "Missing member \"conditions\"");
      return;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      kantor_diagnostics_add_error (p->diag, path, "\"conditions\" must be an array, not %s",
                                    node_kind (node));
      return;
    }

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 && (section == KANTOR_SECTION_S1_SIGNAL || section == KANTOR_SECTION_Z1_ENTRY))
    {
      kantor_diagnostics_add_error (p->diag, path, "%s needs at least one condition",
                                    section_names[section]);
      return;
    }

  s->conditions[section] = g_new0 (KantorCondition, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *index = g_strdup_printf ("%u", i);
      g_autofree char *condition_path = kantor_json_pointer_append (path, index);

      if (parse_condition (p, json_array_get_element (array, i), condition_path,
                           &s->conditions[section][s->n_conditions[section]]))
        s->n_conditions[section]++;
    }
}

static void
parse_exit (Parser     *p,
            JsonObject *z1,
            const char *name,
            double      max_percent,
            gboolean   *enabled,
            double     *percent)
{
  g_autofree char *path = kantor_json_pointer_append ("/z1_entry", name);
  JsonObject *object = get_object (p, z1, "/z1_entry", name, FALSE, "member");
  double value = 0;

  *enabled = FALSE;
  *percent = 0;
  if (object == NULL)
    return;

  check_members (p, object, path, exit_members);
  *enabled = TRUE;
  get_boolean (p, object, path, "enabled", enabled);
  if (get_number (p, object, path, "offsetPercent", *enabled, &value))
    {
      check_range (p, path, "offsetPercent", value, 0, TRUE, max_percent);
      *percent = value;
    }
  if (!*enabled)
    *percent = 0;
}

static void
parse_z1 (Parser     *p,
          JsonObject *z1)
{
  KantorStrategy *s = p->strategy;
  JsonObject *size;

  check_members (p, z1, "/z1_entry", z1_members);
  parse_conditions (p, z1, KANTOR_SECTION_Z1_ENTRY);

  size = get_object (p, z1, "/z1_entry", "positionSize", TRUE, "member");
  if (size != NULL)
    {
      const char *type;
      double value;

      check_members (p, size, "/z1_entry/positionSize", size_members);
      type = get_string (p, size, "/z1_entry/positionSize", "type", TRUE);
      if (type != NULL)
        {
          if (strcmp (type, "fixed") == 0)
            s->size_kind = KANTOR_SIZE_FIXED_QUOTE;
          else if (strcmp (type, "percentage") == 0)
            s->size_kind = KANTOR_SIZE_PERCENT;
          else
            kantor_diagnostics_add_error (p->diag, "/z1_entry/positionSize/type",
                                          "Unknown position size type \"%s\" "
                                          "(expected \"fixed\" or \"percentage\")", type);
        }
      if (get_number (p, size, "/z1_entry/positionSize", "value", TRUE, &value))
        {
          /* A zero size would only ever place orders for nothing. */
          if (s->size_kind == KANTOR_SIZE_PERCENT)
            check_range (p, "/z1_entry/positionSize", "value", value, 0, FALSE, 100);
          else
            check_range (p, "/z1_entry/positionSize", "value", value, 0, FALSE, INFINITY);
          s->size_value = value;
        }
    }

  parse_exit (p, z1, "stopLoss", 100, &s->stop_loss_enabled, &s->stop_loss_pct);
  parse_exit (p, z1, "takeProfit", 1000, &s->take_profit_enabled, &s->take_profit_pct);
  if (!s->stop_loss_enabled)
    kantor_diagnostics_add_warning (p->diag, "/z1_entry/stopLoss",
                                    "The entry has no stop loss: a position's loss is unbounded");
}

static void
parse_o1 (Parser     *p,
          JsonObject *o1)
{
  KantorStrategy *s = p->strategy;
  double value;

  check_members (p, o1, "/o1_cancel", o1_members);
  parse_conditions (p, o1, KANTOR_SECTION_O1_CANCEL);
  if (get_number (p, o1, "/o1_cancel", "timeoutSeconds", FALSE, &value))
    {
      check_range (p, "/o1_cancel", "timeoutSeconds", value, 0, TRUE, INFINITY);
      s->timeout_seconds = MAX (value, 0);
    }
  if (get_number (p, o1, "/o1_cancel", "cooldownMinutes", FALSE, &value))
    {
      check_range (p, "/o1_cancel", "cooldownMinutes", value, 0, TRUE, INFINITY);
      s->cancel_cooldown_minutes = MAX (value, 0);
    }
}

static void
parse_e1 (Parser     *p,
          JsonObject *e1)
{
  KantorStrategy *s = p->strategy;
  JsonObject *actions;
  double value;

  check_members (p, e1, "/emergency_exit", e1_members);
  parse_conditions (p, e1, KANTOR_SECTION_EMERGENCY_EXIT);
  if (get_number (p, e1, "/emergency_exit", "cooldownMinutes", FALSE, &value))
    {
      check_range (p, "/emergency_exit", "cooldownMinutes", value, 0, TRUE, INFINITY);
      s->emergency_cooldown_minutes = MAX (value, 0);
    }

  actions = get_object (p, e1, "/emergency_exit", "actions", FALSE, "member");
  if (actions != NULL)
    {
      check_members (p, actions, "/emergency_exit/actions", actions_members);
      get_boolean (p, actions, "/emergency_exit/actions", "cancelPending", &s->cancel_pending);
      get_boolean (p, actions, "/emergency_exit/actions", "closePosition", &s->close_position);
      get_boolean (p, actions, "/emergency_exit/actions", "logEvent", &s->log_event);
    }
}

static void
parse_limits (Parser     *p,
              JsonObject *root)
{
  KantorStrategy *s = p->strategy;
  JsonObject *limits = get_object (p, root, "", "global_limits", FALSE, "section");
  gboolean have_min, have_max;
  double value;

  if (limits == NULL)
    return;

  check_members (p, limits, "/global_limits", limits_members);
  have_max = get_number (p, limits, "/global_limits", "max_position_size_usdt", FALSE, &value);
  if (have_max)
    {
      check_range (p, "/global_limits", "max_position_size_usdt", value, 0, FALSE, INFINITY);
      s->max_notional = MAX (value, 0);
    }
  have_min = get_number (p, limits, "/global_limits", "min_position_size_usdt", FALSE, &value);
  if (have_min)
    {
      check_range (p, "/global_limits", "min_position_size_usdt", value, 0, TRUE, INFINITY);
      s->min_notional = MAX (value, 0);
    }
  if (have_min && have_max && s->max_notional > 0 && s->min_notional > s->max_notional)
    kantor_diagnostics_add_error (p->diag, "/global_limits/min_position_size_usdt",
                                  "\"min_position_size_usdt\" is above \"max_position_size_usdt\"");

  if (get_number (p, limits, "/global_limits", "max_leverage", FALSE, &value))
    {
      check_range (p, "/global_limits", "max_leverage", value, 0, FALSE, INFINITY);
      s->max_leverage = MAX (value, 0);
      if (value > 3)
        kantor_diagnostics_add_warning (p->diag, "/global_limits/max_leverage",
                                        "A leverage above 3 multiplies losses as much as gains");
    }
}

static void
parse_document (Parser   *p,
                JsonNode *doc)
{
  KantorStrategy *s = p->strategy;
  JsonObject *root, *sections[KANTOR_N_SECTIONS];
  const char *name, *text;

  if (doc == NULL || !JSON_NODE_HOLDS_OBJECT (doc))
    {
      kantor_diagnostics_add_error (p->diag, "", "A strategy must be a JSON object, not %s",
                                    doc == NULL ? "nothing" : node_kind (doc));
      return;
    }
  root = json_node_get_object (doc);
  check_members (p, root, "", root_members);

  name = get_string (p, root, "", "strategy_name", TRUE);
  if (name != NULL)
    {
      if (*name == '\0')
        kantor_diagnostics_add_error (p->diag, "/strategy_name", "\"strategy_name\" is empty");
      else if (!valid_name (name))
        kantor_diagnostics_add_error (p->diag, "/strategy_name",
                                      "\"%s\" is not a valid strategy name: use 1 to 64 "
                                      "letters, digits, '_' or '-'", name);
      else
        s->name = g_intern_string (name);
    }

  text = get_string (p, root, "", "description", FALSE);
  s->description = g_strdup (text != NULL ? text : "");
  get_boolean (p, root, "", "enabled", &s->enabled);

  text = get_string (p, root, "", "direction", FALSE);
  if (text != NULL)
    {
      if (strcmp (text, "LONG") == 0)
        s->direction = KANTOR_DIRECTION_LONG;
      else if (strcmp (text, "SHORT") == 0)
        s->direction = KANTOR_DIRECTION_SHORT;
      else
        kantor_diagnostics_add_error (p->diag, "/direction",
                                      "Unknown direction \"%s\" (expected \"LONG\" or \"SHORT\")",
                                      text);
    }

  parse_indicators (p, root);

  for (guint i = 0; i < KANTOR_N_SECTIONS; i++)
    sections[i] = get_object (p, root, "", section_names[i], TRUE, "section");

  if (sections[KANTOR_SECTION_S1_SIGNAL] != NULL)
    {
      check_members (p, sections[KANTOR_SECTION_S1_SIGNAL], "/s1_signal", plain_section_members);
      parse_conditions (p, sections[KANTOR_SECTION_S1_SIGNAL], KANTOR_SECTION_S1_SIGNAL);
    }
  if (sections[KANTOR_SECTION_O1_CANCEL] != NULL)
    parse_o1 (p, sections[KANTOR_SECTION_O1_CANCEL]);
  if (sections[KANTOR_SECTION_Z1_ENTRY] != NULL)
    parse_z1 (p, sections[KANTOR_SECTION_Z1_ENTRY]);
  if (sections[KANTOR_SECTION_ZE1_CLOSE] != NULL)
    {
      check_members (p, sections[KANTOR_SECTION_ZE1_CLOSE], "/ze1_close", plain_section_members);
      parse_conditions (p, sections[KANTOR_SECTION_ZE1_CLOSE], KANTOR_SECTION_ZE1_CLOSE);
    }
  if (sections[KANTOR_SECTION_EMERGENCY_EXIT] != NULL)
    parse_e1 (p, sections[KANTOR_SECTION_EMERGENCY_EXIT]);

  parse_limits (p, root);

  for (guint i = 0; i < s->n_indicators; i++)
    if (!s->used[i])
      {
        g_autofree char *path = kantor_json_pointer_append ("/indicators", s->keys[i]);

        kantor_diagnostics_add_warning (p->diag, path,
                                        "Indicator \"%s\" is declared but never used",
                                        s->keys[i]);
      }
}

/* json_node_copy() shares objects, arrays and values with the original, and
 * sealing the copy would seal the caller's document; the strategy keeps a
 * tree of its own. */
static JsonNode *
deep_copy (JsonNode *node)
{
  JsonNode *copy = json_node_alloc ();

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(JsonObject) out = json_object_new ();
        g_autoptr(GList) members = json_object_get_members (object);

        for (GList *l = members; l != NULL; l = l->next)
          json_object_set_member (out, l->data, deep_copy (json_object_get_member (object,
                                                                                   l->data)));
        return json_node_init_object (copy, out);
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);
        g_autoptr(JsonArray) out = json_array_sized_new (n);

        for (guint i = 0; i < n; i++)
          json_array_add_element (out, deep_copy (json_array_get_element (array, i)));
        return json_node_init_array (copy, out);
      }

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:   return json_node_init_int (copy, json_node_get_int (node));
        case G_TYPE_DOUBLE:  return json_node_init_double (copy, json_node_get_double (node));
        case G_TYPE_BOOLEAN: return json_node_init_boolean (copy, json_node_get_boolean (node));
        case G_TYPE_STRING:  return json_node_init_string (copy, json_node_get_string (node));
        default:             return json_node_init_null (copy);
        }

    case JSON_NODE_NULL:
    default:
      return json_node_init_null (copy);
    }
}

static KantorStrategy *
strategy_parse (JsonNode          *doc,
                KantorDiagnostics *diag)
{
  g_autoptr(KantorDiagnostics) own_diag = NULL;
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(KantorStrategy) s = g_new0 (KantorStrategy, 1);
  guint n_errors;
  Parser p;

  if (diag == NULL)
    diag = own_diag = kantor_diagnostics_new ();
  n_errors = kantor_diagnostics_get_n_errors (diag);

  g_atomic_ref_count_init (&s->ref_count);
  s->strings = g_string_chunk_new (256);
  s->direction = KANTOR_DIRECTION_LONG;
  s->enabled = TRUE;
  s->size_kind = KANTOR_SIZE_PERCENT;
  s->cancel_pending = TRUE;
  s->close_position = TRUE;
  s->log_event = TRUE;

  p.diag = diag;
  p.strategy = s;
  p.keys = keys;
  parse_document (&p, doc);

  if (kantor_diagnostics_get_n_errors (diag) != n_errors)
    return NULL;

  s->doc = deep_copy (doc);
  json_node_seal (s->doc);
  s->hash = kantor_canonical_json_sha256 (s->doc);

  return g_steal_pointer (&s);
}

gboolean
kantor_strategy_validate (JsonNode          *doc,
                          KantorDiagnostics *diag)
{
  g_autoptr(KantorStrategy) strategy = NULL;

  g_return_val_if_fail (diag != NULL, FALSE);

  strategy = strategy_parse (doc, diag);
  return strategy != NULL;
}

KantorStrategy *
kantor_strategy_new_from_json (JsonNode          *doc,
                               KantorDiagnostics *diag)
{
  return strategy_parse (doc, diag);
}

KantorStrategy *
kantor_strategy_new_from_data (const char        *data,
                               gssize             length,
                               KantorDiagnostics *diag)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (data != NULL, NULL);

  if (!json_parser_load_from_data (parser, data, length, &error))
    {
      if (diag != NULL)
        kantor_diagnostics_add_error (diag, "", "Not valid JSON: %s", error->message);
      return NULL;
    }

  return strategy_parse (json_parser_get_root (parser), diag);
}

/* ------------------------------------------------------------------------ */
/* Getters                                                                  */

const char *
kantor_strategy_get_name (KantorStrategy *self)
{
  return self->name;
}

const char *
kantor_strategy_get_description (KantorStrategy *self)
{
  return self->description;
}

KantorDirection
kantor_strategy_get_direction (KantorStrategy *self)
{
  return self->direction;
}

gboolean
kantor_strategy_get_enabled (KantorStrategy *self)
{
  return self->enabled;
}

const char *
kantor_strategy_get_hash (KantorStrategy *self)
{
  return self->hash;
}

JsonNode *
kantor_strategy_to_json (KantorStrategy *self)
{
  return json_node_ref (self->doc);
}

guint
kantor_strategy_get_n_indicators (KantorStrategy *self)
{
  return self->n_indicators;
}

const char *
kantor_strategy_get_indicator_key (KantorStrategy *self,
                                   guint           index)
{
  g_return_val_if_fail (index < self->n_indicators, NULL);
  return self->keys[index];
}

KantorIndicatorSpec *
kantor_strategy_get_indicator_spec (KantorStrategy *self,
                                    guint           index)
{
  g_return_val_if_fail (index < self->n_indicators, NULL);
  return self->specs[index];
}

gboolean
kantor_strategy_get_indicator_used (KantorStrategy *self,
                                    guint           index)
{
  g_return_val_if_fail (index < self->n_indicators, FALSE);
  return self->used[index];
}

int
kantor_strategy_lookup_indicator (KantorStrategy *self,
                                  const char     *key)
{
  for (guint i = 0; i < self->n_indicators; i++)
    if (strcmp (self->keys[i], key) == 0)
      return (int) i;
  return -1;
}

const KantorCondition *
kantor_strategy_get_conditions (KantorStrategy       *self,
                                KantorStrategySection section,
                                guint                *n_conditions)
{
  g_return_val_if_fail (section < KANTOR_N_SECTIONS, NULL);
  if (n_conditions != NULL)
    *n_conditions = self->n_conditions[section];
  return self->conditions[section];
}

double
kantor_strategy_get_timeout_seconds (KantorStrategy *self)
{
  return self->timeout_seconds;
}

double
kantor_strategy_get_cancel_cooldown_minutes (KantorStrategy *self)
{
  return self->cancel_cooldown_minutes;
}

double
kantor_strategy_get_emergency_cooldown_minutes (KantorStrategy *self)
{
  return self->emergency_cooldown_minutes;
}

void
kantor_strategy_get_emergency_actions (KantorStrategy *self,
                                       gboolean       *cancel_pending,
                                       gboolean       *close_position,
                                       gboolean       *log_event)
{
  if (cancel_pending != NULL)
    *cancel_pending = self->cancel_pending;
  if (close_position != NULL)
    *close_position = self->close_position;
  if (log_event != NULL)
    *log_event = self->log_event;
}

void
kantor_strategy_get_position_size (KantorStrategy *self,
                                   KantorSizeKind *kind,
                                   double         *value)
{
  if (kind != NULL)
    *kind = self->size_kind;
  if (value != NULL)
    *value = self->size_value;
}

gboolean
kantor_strategy_get_stop_loss (KantorStrategy *self,
                               double         *offset_percent)
{
  if (offset_percent != NULL)
    *offset_percent = self->stop_loss_pct;
  return self->stop_loss_enabled;
}

gboolean
kantor_strategy_get_take_profit (KantorStrategy *self,
                                 double         *offset_percent)
{
  if (offset_percent != NULL)
    *offset_percent = self->take_profit_pct;
  return self->take_profit_enabled;
}

double
kantor_strategy_get_min_position_size (KantorStrategy *self)
{
  return self->min_notional;
}

double
kantor_strategy_get_max_position_size (KantorStrategy *self)
{
  return self->max_notional;
}

double
kantor_strategy_get_max_leverage (KantorStrategy *self)
{
  return self->max_leverage;
}
