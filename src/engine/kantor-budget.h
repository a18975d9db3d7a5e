/* kantor-budget.h: a session's budget, `config.budget` of PROTOCOL.md §5
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KANTOR_BUDGET_ERROR (kantor_budget_error_quark ())

typedef enum
{
  KANTOR_BUDGET_ERROR_INVALID,        /* wrong type, negative value, bad percent string... */
  KANTOR_BUDGET_ERROR_CAP_EXCEEDED,   /* the allocations add up to more than global_cap */
} KantorBudgetError;

typedef enum
{
  KANTOR_BUDGET_SCOPE_GLOBAL   = 1,
  KANTOR_BUDGET_SCOPE_SYMBOL   = 2,
  KANTOR_BUDGET_SCOPE_STRATEGY = 3,
} KantorBudgetScope;

/* Why an order was refused with KANTOR_REJECT_BUDGET: the numbers of the
 * `budget_breach` alert. */
typedef struct
{
  KantorBudgetScope  scope;
  const char        *name;        /* the symbol or strategy (interned); NULL for the global cap */
  double             limit;       /* global_cap or the allocation */
  double             exposure;    /* open exposure of that scope before the order */
  double             requested;   /* the refused order's notional */
} KantorBudgetBreach;

/* Immutable once parsed; reference counted so a ledger can keep it. */
typedef struct _KantorBudget KantorBudget;

GQuark        kantor_budget_error_quark        (void);

/* An empty budget (no cap, no allocation), for building one in code. */
KantorBudget *kantor_budget_new                (void);
void          kantor_budget_set_global_cap     (KantorBudget  *self,
                                                double         global_cap);
void          kantor_budget_set_allocation     (KantorBudget  *self,
                                                const char    *name,
                                                double         amount);

/* Parses `{global_cap?, allocations?}`. Checks types and values only
 * (KANTOR_BUDGET_ERROR_INVALID); call kantor_budget_check() for the cap, or
 * use kantor_budget_parse() for both. On error *@out_field (if not NULL)
 * receives the offending field as a dotted path: "budget",
 * "budget.global_cap", "budget.allocations", "budget.allocations.BTCUSDT". */
KantorBudget *kantor_budget_new_from_json      (JsonNode      *node,
                                                char         **out_field,
                                                GError       **error);
/* KANTOR_BUDGET_ERROR_CAP_EXCEEDED when the allocations add up to more
 * than global_cap; the numbers are kantor_budget_get_total_allocated() and
 * kantor_budget_get_global_cap(). */
gboolean      kantor_budget_check              (KantorBudget  *self,
                                                GError       **error);
/* kantor_budget_new_from_json() then kantor_budget_check(). */
KantorBudget *kantor_budget_parse              (JsonNode      *node,
                                                char         **out_field,
                                                GError       **error);

KantorBudget *kantor_budget_ref                (KantorBudget  *self);
void          kantor_budget_unref              (KantorBudget  *self);

gboolean      kantor_budget_has_global_cap     (KantorBudget  *self);
/* 0 when there is no cap. */
double        kantor_budget_get_global_cap     (KantorBudget  *self);
/* The sum of every allocation in quote currency, percentages resolved. */
double        kantor_budget_get_total_allocated (KantorBudget *self);
/* The allocation of a symbol or strategy name, percentages resolved. */
gboolean      kantor_budget_lookup_allocation  (KantorBudget  *self,
                                                const char    *name,
                                                double        *out_amount);
/* Allocation names, sorted; free the container only. */
GPtrArray    *kantor_budget_list_names         (KantorBudget  *self);
/* {"global_cap": n?, "allocations": {name: amount}}, percentages resolved. */
JsonNode     *kantor_budget_to_json            (KantorBudget  *self);

const char   *kantor_budget_scope_to_string    (KantorBudgetScope scope);
/* The `budget_breach` alert's details: {scope, name, limit, exposure,
 * requested, available}; name is null for the global cap. */
JsonObject   *kantor_budget_breach_to_json     (const KantorBudgetBreach *breach);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorBudget, kantor_budget_unref)

G_END_DECLS
