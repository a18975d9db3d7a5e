/* test-budget.c: parsing and checking `config.budget`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "kantor-budget.h"

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static double
allocation (KantorBudget *budget,
            const char   *name)
{
  double amount = -1;

  g_assert_true (kantor_budget_lookup_allocation (budget, name, &amount));
  return amount;
}

static void
test_budget_valid (void)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(KantorBudget) budget = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *field = NULL;
  g_autoptr(GPtrArray) names = NULL;

  node = parse_json ("{\"global_cap\": 1000, \"allocations\": {\"BTCUSDT\": 200.5,"
                     " \"pump_rider\": \"12.5%\", \"ETHUSDT\": \"0%\", \"SOLUSDT\": 0}}");
  budget = kantor_budget_parse (node, &field, &error);
  g_assert_no_error (error);
  g_assert_null (field);
  g_assert_nonnull (budget);

  g_assert_true (kantor_budget_has_global_cap (budget));
  g_assert_cmpfloat (kantor_budget_get_global_cap (budget), ==, 1000);
  g_assert_cmpfloat (allocation (budget, "BTCUSDT"), ==, 200.5);
  g_assert_cmpfloat (allocation (budget, "pump_rider"), ==, 125);
  g_assert_cmpfloat (allocation (budget, "ETHUSDT"), ==, 0);
  g_assert_cmpfloat (allocation (budget, "SOLUSDT"), ==, 0);
  g_assert_false (kantor_budget_lookup_allocation (budget, "XRPUSDT", NULL));
  g_assert_cmpfloat (kantor_budget_get_total_allocated (budget), ==, 325.5);

  names = kantor_budget_list_names (budget);
  g_assert_cmpuint (names->len, ==, 4);
  g_assert_cmpstr (names->pdata[0], ==, "BTCUSDT");
  g_assert_cmpstr (names->pdata[3], ==, "pump_rider");
}

static void
test_budget_optional_parts (void)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(JsonNode) node = parse_json ("{}");
    g_autoptr(KantorBudget) budget = kantor_budget_parse (node, NULL, &error);

    g_assert_no_error (error);
    g_assert_false (kantor_budget_has_global_cap (budget));
    g_assert_cmpfloat (kantor_budget_get_total_allocated (budget), ==, 0);
  }
  {
    /* Fixed allocations need no cap, and with none there is nothing to exceed. */
    g_autoptr(JsonNode) node = parse_json ("{\"allocations\": {\"A\": 5e6, \"B\": 1}}");
    g_autoptr(KantorBudget) budget = kantor_budget_parse (node, NULL, &error);

    g_assert_no_error (error);
    g_assert_false (kantor_budget_has_global_cap (budget));
    g_assert_cmpfloat (allocation (budget, "A"), ==, 5e6);
  }
  {
    g_autoptr(JsonNode) node = parse_json ("{\"global_cap\": null, \"allocations\": null}");
    g_autoptr(KantorBudget) budget = kantor_budget_parse (node, NULL, &error);

    g_assert_no_error (error);
    g_assert_false (kantor_budget_has_global_cap (budget));
  }
  {
    g_autoptr(JsonNode) node = parse_json ("{\"global_cap\": 0}");
    g_autoptr(KantorBudget) budget = kantor_budget_parse (node, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (kantor_budget_has_global_cap (budget));
    g_assert_cmpfloat (kantor_budget_get_global_cap (budget), ==, 0);
  }
}

static void
test_budget_cap_exceeded (void)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(KantorBudget) budget = NULL;
  g_autoptr(KantorBudget) none = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *field = NULL;

  node = parse_json ("{\"global_cap\": 100, \"allocations\": {\"A\": 60, \"B\": \"50%\"}}");

  /* Structurally fine: the caller can read the numbers for the error. */
  budget = kantor_budget_new_from_json (node, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (kantor_budget_get_total_allocated (budget), ==, 110);
  g_assert_cmpfloat (kantor_budget_get_global_cap (budget), ==, 100);
  g_assert_false (kantor_budget_check (budget, &error));
  g_assert_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_CAP_EXCEEDED);
  g_clear_error (&error);

  none = kantor_budget_parse (node, &field, &error);
  g_assert_null (none);
  g_assert_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_CAP_EXCEEDED);
  g_assert_cmpstr (field, ==, "budget.allocations");
}

static void
test_budget_cap_rounding (void)
{
  g_autoptr(GError) error = NULL;

  {
    /* 33.3 + 33.3 + 33.4 is 100 only within rounding: at the cap, not over. */
    g_autoptr(JsonNode) node = parse_json ("{\"global_cap\": 300, \"allocations\":"
                                           " {\"A\": \"33.3%\", \"B\": \"33.3%\","
                                           " \"C\": \"33.4%\"}}");
    g_autoptr(KantorBudget) budget = kantor_budget_parse (node, NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (budget);
  }
  {
    /* One cent over is over. */
    g_autoptr(JsonNode) node = parse_json ("{\"global_cap\": 300, \"allocations\":"
                                           " {\"A\": 150, \"B\": 150.01}}");
    g_autoptr(KantorBudget) budget = kantor_budget_parse (node, NULL, &error);

    g_assert_null (budget);
    g_assert_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_CAP_EXCEEDED);
  }
}

typedef struct
{
  const char *json;
  const char *field;
} BadCase;

static const BadCase bad_cases[] = {
  { "[]", "budget" },
  { "5", "budget" },
  { "\"1000\"", "budget" },
  { "null", "budget" },
  { "{\"global_capp\": 5}", "budget.global_capp" },
  { "{\"global_cap\": \"100\"}", "budget.global_cap" },
  { "{\"global_cap\": true}", "budget.global_cap" },
  { "{\"global_cap\": {}}", "budget.global_cap" },
  { "{\"global_cap\": -1}", "budget.global_cap" },
  { "{\"global_cap\": -0.01}", "budget.global_cap" },
  { "{\"global_cap\": 10, \"allocations\": []}", "budget.allocations" },
  { "{\"global_cap\": 10, \"allocations\": 5}", "budget.allocations" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": -1}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": true}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": null}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": [1]}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": {}}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"12\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"12.%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \".5%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"-5%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"+5%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"1e1%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \" 5%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"5 %\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"5%%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"1.2.3%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"abc\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"BTC\": \"\"}}", "budget.allocations.BTC" },
  { "{\"allocations\": {\"BTC\": \"10%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": null, \"allocations\": {\"BTC\": \"10%\"}}", "budget.allocations.BTC" },
  { "{\"global_cap\": 10, \"allocations\": {\"\": 1}}", "budget.allocations." },
};

static void
test_budget_errors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autoptr(JsonNode) node = parse_json (bad_cases[i].json);
      g_autoptr(KantorBudget) budget = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *field = NULL;

      g_test_message ("case %u: %s", i, bad_cases[i].json);
      budget = kantor_budget_new_from_json (node, &field, &error);
      g_assert_null (budget);
      g_assert_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_INVALID);
      g_assert_cmpstr (field, ==, bad_cases[i].field);
      g_assert_nonnull (strstr (error->message, "budget"));
    }
}

static void
test_budget_to_json (void)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) out = NULL;
  g_autoptr(KantorBudget) budget = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  JsonObject *allocations;

  node = parse_json ("{\"global_cap\": 400, \"allocations\": {\"X\": \"25%\", \"Y\": 50}}");
  budget = kantor_budget_parse (node, NULL, &error);
  g_assert_no_error (error);

  out = kantor_budget_to_json (budget);
  object = json_node_get_object (out);
  g_assert_cmpfloat (json_object_get_double_member (object, "global_cap"), ==, 400);
  allocations = json_object_get_object_member (object, "allocations");
  g_assert_cmpfloat (json_object_get_double_member (allocations, "X"), ==, 100);
  g_assert_cmpfloat (json_object_get_double_member (allocations, "Y"), ==, 50);
  g_assert_cmpuint (json_object_get_size (allocations), ==, 2);
}

static void
test_budget_built (void)
{
  g_autoptr(KantorBudget) budget = kantor_budget_new ();
  g_autoptr(KantorBudget) ref = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (kantor_budget_check (budget, &error));
  kantor_budget_set_global_cap (budget, 50);
  kantor_budget_set_allocation (budget, "A", 30);
  g_assert_true (kantor_budget_check (budget, &error));
  kantor_budget_set_allocation (budget, "B", 30);
  g_assert_false (kantor_budget_check (budget, &error));
  g_assert_error (error, KANTOR_BUDGET_ERROR, KANTOR_BUDGET_ERROR_CAP_EXCEEDED);

  /* Replacing an allocation replaces it. */
  kantor_budget_set_allocation (budget, "B", 20);
  g_assert_cmpfloat (kantor_budget_get_total_allocated (budget), ==, 50);

  ref = kantor_budget_ref (budget);
  g_assert_true (ref == budget);

  g_assert_cmpstr (kantor_budget_scope_to_string (KANTOR_BUDGET_SCOPE_SYMBOL), ==, "symbol");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/budget/valid", test_budget_valid);
  g_test_add_func ("/kantor/engine/budget/optional-parts", test_budget_optional_parts);
  g_test_add_func ("/kantor/engine/budget/cap-exceeded", test_budget_cap_exceeded);
  g_test_add_func ("/kantor/engine/budget/cap-rounding", test_budget_cap_rounding);
  g_test_add_func ("/kantor/engine/budget/errors", test_budget_errors);
  g_test_add_func ("/kantor/engine/budget/to-json", test_budget_to_json);
  g_test_add_func ("/kantor/engine/budget/built", test_budget_built);

  return g_test_run ();
}
