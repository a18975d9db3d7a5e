/* kantor-budget.c: parsing and checking `config.budget`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-budget.h"

G_DEFINE_QUARK (kantor-budget-error-quark, kantor_budget_error)

/* Percentages such as 3 × "33.3%" + "0.1%" add up to 100 % only within
 * rounding: a sum this close to the cap is not over it. */
#define CAP_TOLERANCE 1e-9

struct _KantorBudget
{
  gatomicrefcount  ref_count;
  gboolean         has_global_cap;
  double           global_cap;
  GHashTable      *allocations;   /* interned name -> double* (quote currency) */
};

KantorBudget *
kantor_budget_new (void)
{
  KantorBudget *self = g_new0 (KantorBudget, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->allocations = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);

  return self;
}

KantorBudget *
kantor_budget_ref (KantorBudget *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
kantor_budget_unref (KantorBudget *self)
{
  if (self == NULL)
    return;

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_hash_table_unref (self->allocations);
      g_free (self);
    }
}

void
kantor_budget_set_global_cap (KantorBudget *self,
                              double        global_cap)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (isfinite (global_cap) && global_cap >= 0);

  self->has_global_cap = TRUE;
  self->global_cap = global_cap;
}

void
kantor_budget_set_allocation (KantorBudget *self,
                              const char   *name,
                              double        amount)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (isfinite (amount) && amount >= 0);

  g_hash_table_insert (self->allocations, (gpointer) g_intern_string (name),
                       g_memdup2 (&amount, sizeof amount));
}

gboolean
kantor_budget_has_global_cap (KantorBudget *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->has_global_cap;
}

double
kantor_budget_get_global_cap (KantorBudget *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->has_global_cap ? self->global_cap : 0;
}

gboolean
kantor_budget_lookup_allocation (KantorBudget *self,
                                 const char   *name,
                                 double       *out_amount)
{
  const double *amount;
  GQuark quark;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  /* Names that were never interned have no allocation; looking them up
   * must not intern them. */
  quark = g_quark_try_string (name);
  if (quark == 0)
    return FALSE;
  amount = g_hash_table_lookup (self->allocations, g_quark_to_string (quark));
  if (amount == NULL)
    return FALSE;
  if (out_amount != NULL)
    *out_amount = *amount;
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
kantor_budget_list_names (KantorBudget *self)
{
  GPtrArray *names;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (self != NULL, NULL);

  names = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->allocations);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, key);
  g_ptr_array_sort (names, compare_names);

  return names;
}

double
kantor_budget_get_total_allocated (KantorBudget *self)
{
  g_autoptr(GPtrArray) names = NULL;
  double total = 0;

  g_return_val_if_fail (self != NULL, 0);

  /* A fixed order, so the same budget always sums to the same double. */
  names = kantor_budget_list_names (self);
  for (guint i = 0; i < names->len; i++)
    total += *(const double *) g_hash_table_lookup (self->allocations, names->pdata[i]);

  return total;
}

gboolean
kantor_budget_check (KantorBudget  *self,
                     GError       **error)
{
  double total;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->has_global_cap)
    return TRUE;

  total = kantor_budget_get_total_allocated (self);
  if (total > self->global_cap + self->global_cap * CAP_TOLERANCE)
    {
      g_set_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_CAP_EXCEEDED,
                   "The allocations add up to %.2f, more than the global cap of %.2f",
                   total, self->global_cap);
      return FALSE;
    }

  return TRUE;
}

static gboolean
node_get_number (JsonNode *node,
                 double   *out)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *out = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return FALSE;

  return TRUE;
}

/* "12", "12.5", "0.25" followed by '%': digits, optionally a point and
 * more digits. No sign, no exponent, no white space. */
static gboolean
parse_percent (const char *str,
               double     *out)
{
  const char *p = str;
  gsize len = strlen (str);
  g_autofree char *number = NULL;

  if (len < 2 || str[len - 1] != '%' || !g_ascii_isdigit (*p))
    return FALSE;

  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (p != str + len - 1)
    return FALSE;

  number = g_strndup (str, len - 1);
  *out = g_ascii_strtod (number, NULL);
  return isfinite (*out);
}

static void
set_field (char       **out_field,
           const char  *field)
{
  if (out_field != NULL)
    *out_field = g_strdup (field);
}

KantorBudget *
kantor_budget_new_from_json (JsonNode  *node,
                             char     **out_field,
                             GError   **error)
{
  g_autoptr(KantorBudget) self = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  JsonNode *cap_node;
  JsonNode *alloc_node;

  g_return_val_if_fail (out_field == NULL || *out_field == NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      set_field (out_field, "budget");
      g_set_error_literal (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                           "budget must be an object with global_cap and allocations");
      return NULL;
    }

  object = json_node_get_object (node);

  /* A misspelt "global_cap" must not silently lift the cap. */
  members = json_object_get_members (object);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (g_strcmp0 (name, "global_cap") != 0 && g_strcmp0 (name, "allocations") != 0)
        {
          g_autofree char *field = g_strdup_printf ("budget.%s", name);

          set_field (out_field, field);
          g_set_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                       "budget has an unknown field \"%s\" (known: global_cap, allocations)",
                       name);
          return NULL;
        }
    }

  self = kantor_budget_new ();

  cap_node = json_object_get_member (object, "global_cap");
  if (cap_node != NULL && !JSON_NODE_HOLDS_NULL (cap_node))
    {
      double cap;

      if (!node_get_number (cap_node, &cap) || !isfinite (cap))
        {
          set_field (out_field, "budget.global_cap");
          g_set_error_literal (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                               "budget.global_cap must be a number");
          return NULL;
        }
      if (cap < 0)
        {
          set_field (out_field, "budget.global_cap");
          g_set_error_literal (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                               "budget.global_cap must not be negative");
          return NULL;
        }
      kantor_budget_set_global_cap (self, cap);
    }

  alloc_node = json_object_get_member (object, "allocations");
  if (alloc_node != NULL && !JSON_NODE_HOLDS_NULL (alloc_node))
    {
      g_autoptr(GList) names = NULL;
      JsonObject *allocations;

      if (!JSON_NODE_HOLDS_OBJECT (alloc_node))
        {
          set_field (out_field, "budget.allocations");
          g_set_error_literal (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                               "budget.allocations must be an object mapping names to amounts");
          return NULL;
        }

      allocations = json_node_get_object (alloc_node);
      names = json_object_get_members (allocations);
      names = g_list_sort (names, (GCompareFunc) g_strcmp0);
      for (const GList *l = names; l != NULL; l = l->next)
        {
          const char *name = l->data;
          JsonNode *value = json_object_get_member (allocations, name);
          g_autofree char *field = g_strdup_printf ("budget.allocations.%s", name);
          double amount;

          if (*name == '\0')
            {
              set_field (out_field, field);
              g_set_error_literal (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                                   "budget.allocations has an empty name");
              return NULL;
            }

          if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
            {
              const char *str = json_node_get_string (value);
              double percent;

              if (!parse_percent (str, &percent))
                {
                  set_field (out_field, field);
                  g_set_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                               "%s must be a number or a percentage such as \"12.5%%\", "
                               "not \"%s\"", field, str);
                  return NULL;
                }
              if (!self->has_global_cap)
                {
                  set_field (out_field, field);
                  g_set_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                               "%s is a percentage of global_cap, but budget has no global_cap",
                               field);
                  return NULL;
                }
              amount = self->global_cap * percent / 100.0;
            }
          else if (node_get_number (value, &amount) && isfinite (amount))
            {
              if (amount < 0)
                {
                  set_field (out_field, field);
                  g_set_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                               "%s must not be negative", field);
                  return NULL;
                }
            }
          else
            {
              set_field (out_field, field);
              g_set_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID,
                           "%s must be a number or a percentage such as \"12.5%%\"", field);
              return NULL;
            }

          kantor_budget_set_allocation (self, name, amount);
        }
    }

  return g_steal_pointer (&self);
}

KantorBudget *
kantor_budget_parse (JsonNode  *node,
                     char     **out_field,
                     GError   **error)
{
  g_autoptr(KantorBudget) self = NULL;

  self = kantor_budget_new_from_json (node, out_field, error);
  if (self == NULL)
    return NULL;

  if (!kantor_budget_check (self, error))
    {
      set_field (out_field, "budget.allocations");
      return NULL;
    }

  return g_steal_pointer (&self);
}

JsonNode *
kantor_budget_to_json (KantorBudget *self)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonObject) allocations = NULL;
  g_autoptr(GPtrArray) names = NULL;
  JsonNode *node;

  g_return_val_if_fail (self != NULL, NULL);

  object = json_object_new ();
  allocations = json_object_new ();
  if (self->has_global_cap)
    json_object_set_double_member (object, "global_cap", self->global_cap);

  names = kantor_budget_list_names (self);
  for (guint i = 0; i < names->len; i++)
    json_object_set_double_member (allocations, names->pdata[i],
                                   *(const double *) g_hash_table_lookup (self->allocations,
                                                                          names->pdata[i]));
  json_object_set_object_member (object, "allocations", g_steal_pointer (&allocations));

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

const char *
kantor_budget_scope_to_string (KantorBudgetScope scope)
{
  switch (scope)
    {
    case KANTOR_BUDGET_SCOPE_GLOBAL:   return "global";
    case KANTOR_BUDGET_SCOPE_SYMBOL:   return "symbol";
    case KANTOR_BUDGET_SCOPE_STRATEGY: return "strategy";
    default:                           return NULL;
    }
}

JsonObject *
kantor_budget_breach_to_json (const KantorBudgetBreach *breach)
{
  JsonObject *object;

  g_return_val_if_fail (breach != NULL, NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "scope", kantor_budget_scope_to_string (breach->scope));
  if (breach->name != NULL)
    json_object_set_string_member (object, "name", breach->name);
  else
    json_object_set_null_member (object, "name");
  json_object_set_double_member (object, "limit", breach->limit);
  json_object_set_double_member (object, "exposure", breach->exposure);
  json_object_set_double_member (object, "requested", breach->requested);
  json_object_set_double_member (object, "available", MAX (breach->limit - breach->exposure, 0));

  return object;
}
