/* test-strategy.c: strategy documents, validation (STRATEGY.md §1) and
 * canonical JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-canonical-json.h"
#include "kantor-strategy.h"

/* The example of STRATEGY.md §1, verbatim. */
static const char pump_rider_text[] =
  "{\n"
  "  \"strategy_name\": \"pump_rider\",\n"
  "  \"description\": \"Buy early in a volume-backed pump, leave on momentum loss\",\n"
  "  \"enabled\": true,\n"
  "  \"direction\": \"LONG\",\n"
  "  \"indicators\": {\n"
  "    \"pump\":  {\"type\": \"PUMP_MAGNITUDE_PCT\", \"current\": {\"t1\": 10, \"t2\": 0},"
  " \"baseline\": {\"t1\": 600, \"t2\": 60}},\n"
  "    \"surge\": {\"type\": \"VOLUME_SURGE\",       \"current\": {\"t1\": 10, \"t2\": 0},"
  " \"baseline\": {\"t1\": 600, \"t2\": 60}},\n"
  "    \"vel\":   {\"type\": \"VELOCITY\",           \"current\": {\"t1\": 5,  \"t2\": 0},"
  " \"baseline\": {\"t1\": 30,  \"t2\": 5}},\n"
  "    \"rsi\":   {\"type\": \"RSI\", \"period\": 14, \"timeframe\": \"1m\"},\n"
  "    \"spread\": {\"type\": \"SPREAD_PCT\"}\n"
  "  },\n"
  "  \"s1_signal\":  {\"conditions\": [\n"
  "      {\"id\": \"c1\", \"indicatorId\": \"pump\",  \"operator\": \">=\", \"value\": 5},\n"
  "      {\"id\": \"c2\", \"indicatorId\": \"surge\", \"operator\": \">=\", \"value\": 3}]},\n"
  "  \"o1_cancel\":  {\"timeoutSeconds\": 60, \"cooldownMinutes\": 5, \"conditions\": [\n"
  "      {\"id\": \"c3\", \"indicatorId\": \"pump\", \"operator\": \"<\", \"value\": 2}]},\n"
  "  \"z1_entry\":   {\"conditions\": [{\"id\": \"c4\", \"indicatorId\": \"spread\","
  " \"operator\": \"<\", \"value\": 0.5}],\n"
  "                 \"positionSize\": {\"type\": \"percentage\", \"value\": 10},\n"
  "                 \"stopLoss\":   {\"enabled\": true, \"offsetPercent\": 3},\n"
  "                 \"takeProfit\": {\"enabled\": true, \"offsetPercent\": 8}},\n"
  "  \"ze1_close\":  {\"conditions\": [{\"id\": \"c5\", \"indicatorId\": \"vel\","
  " \"operator\": \"<\", \"value\": 0}]},\n"
  "  \"emergency_exit\": {\"conditions\": [{\"id\": \"c6\", \"indicatorId\":"
  " \"UNREALIZED_PNL_PCT\", \"operator\": \"<=\", \"value\": -6}],\n"
  "                     \"cooldownMinutes\": 30,\n"
  "                     \"actions\": {\"cancelPending\": true, \"closePosition\": true,"
  " \"logEvent\": true}},\n"
  "  \"global_limits\": {\"max_position_size_usdt\": 1000, \"min_position_size_usdt\": 10,"
  " \"max_leverage\": 1}\n"
  "}\n";

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static JsonNode *
pump_rider (void)
{
  return parse_json (pump_rider_text);
}

/* Resolves a JSON pointer without escapes ("/z1_entry/stopLoss",
 * "/s1_signal/conditions/0"). */
static JsonNode *
resolve (JsonNode   *root,
         const char *pointer)
{
  g_auto(GStrv) tokens = NULL;
  JsonNode *node = root;

  if (*pointer == '\0')
    return root;
  tokens = g_strsplit (pointer, "/", -1);
  for (guint i = 1; tokens[i] != NULL; i++)
    {
      if (JSON_NODE_HOLDS_ARRAY (node))
        node = json_array_get_element (json_node_get_array (node),
                                       (guint) g_ascii_strtoull (tokens[i], NULL, 10));
      else
        node = json_object_get_member (json_node_get_object (node), tokens[i]);
      g_assert_nonnull (node);
    }
  return node;
}

/* Sets (or with @json NULL, removes) @member of the object at @parent. */
static void
set_member (JsonNode   *doc,
            const char *parent,
            const char *member,
            const char *json)
{
  JsonObject *object = json_node_get_object (resolve (doc, parent));

  if (json == NULL)
    json_object_remove_member (object, member);
  else
    json_object_set_member (object, member, parse_json (json));
}

static void
dump_diagnostics (KantorDiagnostics *diag)
{
  for (guint i = 0; i < kantor_diagnostics_get_n_errors (diag); i++)
    g_test_message ("error %s: %s", kantor_diagnostics_get_error (diag, i)->path,
                    kantor_diagnostics_get_error (diag, i)->message);
  for (guint i = 0; i < kantor_diagnostics_get_n_warnings (diag); i++)
    g_test_message ("warning %s: %s", kantor_diagnostics_get_warning (diag, i)->path,
                    kantor_diagnostics_get_warning (diag, i)->message);
}

/* Validates @doc both ways and checks they agree. */
static KantorDiagnostics *
check (JsonNode *doc,
       gboolean  expect_valid)
{
  KantorDiagnostics *diag = kantor_diagnostics_new ();
  g_autoptr(KantorDiagnostics) diag2 = kantor_diagnostics_new ();
  g_autoptr(KantorStrategy) strategy = NULL;
  gboolean valid;

  valid = kantor_strategy_validate (doc, diag);
  dump_diagnostics (diag);
  g_assert_cmpint (valid, ==, expect_valid);
  g_assert_cmpint (valid, ==, kantor_diagnostics_get_n_errors (diag) == 0);

  strategy = kantor_strategy_new_from_json (doc, diag2);
  g_assert_cmpint (strategy != NULL, ==, expect_valid);
  g_assert_cmpuint (kantor_diagnostics_get_n_errors (diag2), ==,
                    kantor_diagnostics_get_n_errors (diag));
  g_assert_cmpuint (kantor_diagnostics_get_n_warnings (diag2), ==,
                    kantor_diagnostics_get_n_warnings (diag));

  return diag;
}

static void
expect_error (const char *parent,
              const char *member,
              const char *json,
              const char *path)
{
  g_autoptr(JsonNode) doc = pump_rider ();
  g_autoptr(KantorDiagnostics) diag = NULL;

  g_test_message ("%s/%s = %s, expecting an error at %s", parent, member,
                  json ? json : "(removed)", path);
  set_member (doc, parent, member, json);
  diag = check (doc, FALSE);
  g_assert_true (kantor_diagnostics_has_error_at (diag, path));
}

static void
expect_warning (const char *parent,
                const char *member,
                const char *json,
                const char *path)
{
  g_autoptr(JsonNode) doc = pump_rider ();
  g_autoptr(KantorDiagnostics) diag = NULL;

  g_test_message ("%s/%s = %s, expecting a warning at %s", parent, member,
                  json ? json : "(removed)", path);
  set_member (doc, parent, member, json);
  diag = check (doc, TRUE);
  g_assert_true (kantor_diagnostics_has_warning_at (diag, path));
}

static void
expect_clean (const char *parent,
              const char *member,
              const char *json,
              const char *path)
{
  g_autoptr(JsonNode) doc = pump_rider ();
  g_autoptr(KantorDiagnostics) diag = NULL;

  set_member (doc, parent, member, json);
  diag = check (doc, TRUE);
  g_assert_false (kantor_diagnostics_has_warning_at (diag, path));
}

/* ------------------------------------------------------------------------ */

static void
test_pump_rider (void)
{
  g_autoptr(JsonNode) doc = pump_rider ();
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  g_autoptr(KantorStrategy) strategy = kantor_strategy_new_from_json (doc, diag);
  g_autoptr(JsonNode) back = NULL;
  const KantorCondition *conditions;
  KantorIndicatorSpec *spec;
  gboolean cancel_pending, close_position, log_event;
  KantorSizeKind kind;
  double value;
  guint n;

  dump_diagnostics (diag);
  g_assert_nonnull (strategy);
  g_assert_cmpuint (kantor_diagnostics_get_n_errors (diag), ==, 0);
  /* rsi is declared and never used: the only remark. */
  g_assert_cmpuint (kantor_diagnostics_get_n_warnings (diag), ==, 1);
  g_assert_true (kantor_diagnostics_has_warning_at (diag, "/indicators/rsi"));

  g_assert_true (kantor_strategy_get_name (strategy) == g_intern_string ("pump_rider"));
  g_assert_cmpstr (kantor_strategy_get_description (strategy), ==,
                   "Buy early in a volume-backed pump, leave on momentum loss");
  g_assert_cmpint (kantor_strategy_get_direction (strategy), ==, KANTOR_DIRECTION_LONG);
  g_assert_true (kantor_strategy_get_enabled (strategy));

  g_assert_cmpuint (kantor_strategy_get_n_indicators (strategy), ==, 5);
  g_assert_cmpstr (kantor_strategy_get_indicator_key (strategy, 0), ==, "pump");
  g_assert_cmpstr (kantor_strategy_get_indicator_key (strategy, 4), ==, "spread");
  spec = kantor_strategy_get_indicator_spec (strategy, 3);
  g_assert_cmpstr (kantor_indicator_spec_get_type_name (spec), ==, "RSI");
  g_assert_cmpint (kantor_strategy_lookup_indicator (strategy, "vel"), ==, 2);
  g_assert_cmpint (kantor_strategy_lookup_indicator (strategy, "nope"), ==, -1);
  g_assert_true (kantor_strategy_get_indicator_used (strategy, 0));
  g_assert_false (kantor_strategy_get_indicator_used (strategy, 3));

  conditions = kantor_strategy_get_conditions (strategy, KANTOR_SECTION_S1_SIGNAL, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (conditions[1].id, ==, "c2");
  g_assert_true (conditions[1].indicator_id == g_intern_string ("surge"));
  g_assert_cmpuint (conditions[1].indicator, ==, 1);
  g_assert_cmpint (conditions[1].op, ==, KANTOR_COMPARE_GE);
  g_assert_cmpfloat (conditions[1].value, ==, 3);
  conditions = kantor_strategy_get_conditions (strategy, KANTOR_SECTION_EMERGENCY_EXIT, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (conditions[0].builtin, ==, KANTOR_BUILTIN_UNREALIZED_PNL_PCT);
  g_assert_cmpint (conditions[0].op, ==, KANTOR_COMPARE_LE);
  g_assert_cmpfloat (conditions[0].value, ==, -6);
  conditions = kantor_strategy_get_conditions (strategy, KANTOR_SECTION_Z1_ENTRY, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpfloat (conditions[0].value, ==, 0.5);

  g_assert_cmpfloat (kantor_strategy_get_timeout_seconds (strategy), ==, 60);
  g_assert_cmpfloat (kantor_strategy_get_cancel_cooldown_minutes (strategy), ==, 5);
  g_assert_cmpfloat (kantor_strategy_get_emergency_cooldown_minutes (strategy), ==, 30);
  kantor_strategy_get_emergency_actions (strategy, &cancel_pending, &close_position, &log_event);
  g_assert_true (cancel_pending && close_position && log_event);
  kantor_strategy_get_position_size (strategy, &kind, &value);
  g_assert_cmpint (kind, ==, KANTOR_SIZE_PERCENT);
  g_assert_cmpfloat (value, ==, 10);
  g_assert_true (kantor_strategy_get_stop_loss (strategy, &value));
  g_assert_cmpfloat (value, ==, 3);
  g_assert_true (kantor_strategy_get_take_profit (strategy, &value));
  g_assert_cmpfloat (value, ==, 8);
  g_assert_cmpfloat (kantor_strategy_get_max_position_size (strategy), ==, 1000);
  g_assert_cmpfloat (kantor_strategy_get_min_position_size (strategy), ==, 10);
  g_assert_cmpfloat (kantor_strategy_get_max_leverage (strategy), ==, 1);

  g_assert_cmpuint (strlen (kantor_strategy_get_hash (strategy)), ==, 64);
  back = kantor_strategy_to_json (strategy);
  g_assert_true (json_node_equal (back, doc));
  g_assert_true (json_node_is_immutable (back));

  /* The strategy owns its document: the caller's stays writable, and
   * changing it changes nothing in the strategy. */
  {
    g_autofree char *hash = g_strdup (kantor_strategy_get_hash (strategy));

    g_assert_false (json_node_is_immutable (doc));
    set_member (doc, "/z1_entry/stopLoss", "offsetPercent", "9");
    json_node_set_int (resolve (doc, "/s1_signal/conditions/0/value"), 7);
    g_assert_false (json_node_equal (back, doc));
    g_assert_cmpstr (hash, ==, kantor_strategy_get_hash (strategy));
    g_assert_cmpint (json_node_get_int (resolve (back, "/s1_signal/conditions/0/value")), ==, 5);
    g_assert_cmpfloat (json_node_get_double (resolve (back, "/z1_entry/stopLoss/offsetPercent")),
                       ==, 3);
  }

  /* The boxed type lets services keep strategies in GValues. */
  {
    g_auto(GValue) gvalue = G_VALUE_INIT;

    g_value_init (&gvalue, KANTOR_TYPE_STRATEGY);
    g_value_set_boxed (&gvalue, strategy);
    g_assert_true (g_value_get_boxed (&gvalue) == strategy);
  }
}

static void
test_hash (void)
{
  g_autoptr(KantorStrategy) a = NULL, b = NULL, c = NULL, d = NULL;
  g_autoptr(JsonNode) doc = pump_rider ();
  g_autoptr(JsonNode) reordered = NULL;
  g_autoptr(GString) text = g_string_new ("{");
  g_autoptr(GList) members = NULL;
  JsonObject *object = json_node_get_object (doc);

  a = kantor_strategy_new_from_json (doc, NULL);
  b = kantor_strategy_new_from_data (pump_rider_text, -1, NULL);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpstr (kantor_strategy_get_hash (a), ==, kantor_strategy_get_hash (b));

  /* Same members in reverse order, written compactly, and 10 as 10.0:
   * the same document, the same hash. */
  members = g_list_reverse (json_object_get_members (object));
  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autofree char *member = NULL;

      json_generator_set_root (gen, json_object_get_member (object, l->data));
      member = json_generator_to_data (gen, NULL);
      g_string_append_printf (text, "%s\"%s\":%s", l == members ? "" : ",",
                              (const char *) l->data, member);
    }
  g_string_append_c (text, '}');
  reordered = parse_json (text->str);
  set_member (reordered, "/z1_entry/positionSize", "value", "10.0");
  c = kantor_strategy_new_from_json (reordered, NULL);
  g_assert_nonnull (c);
  g_assert_cmpstr (kantor_strategy_get_hash (c), ==, kantor_strategy_get_hash (a));

  /* Any change of meaning changes it. */
  set_member (doc, "/z1_entry/stopLoss", "offsetPercent", "2.5");
  d = kantor_strategy_new_from_json (doc, NULL);
  g_assert_nonnull (d);
  g_assert_cmpstr (kantor_strategy_get_hash (d), !=, kantor_strategy_get_hash (a));

  /* The hash is the SHA-256 of the canonical form. */
  {
    g_autoptr(JsonNode) again = pump_rider ();
    g_autofree char *canonical = kantor_canonical_json_to_string (again);
    g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);

    g_assert_cmpstr (sum, ==, kantor_strategy_get_hash (a));
  }
}

static void
test_errors_name (void)
{
  expect_error ("", "strategy_name", NULL, "/strategy_name");
  expect_error ("", "strategy_name", "\"\"", "/strategy_name");
  expect_error ("", "strategy_name", "\"pump rider\"", "/strategy_name");
  expect_error ("", "strategy_name", "\"pump/rider\"", "/strategy_name");
  expect_error ("", "strategy_name", "\"zażółć\"", "/strategy_name");
  expect_error ("", "strategy_name",
                "\"a1234567890123456789012345678901234567890123456789012345678901234\"",
                "/strategy_name");
  expect_error ("", "strategy_name", "42", "/strategy_name");
  expect_error ("", "strategy_name", "null", "/strategy_name");

  /* 64 characters, every allowed class. */
  expect_clean ("", "strategy_name",
                "\"A-z_09123456789012345678901234567890123456789012345678901234567\"",
                "/strategy_name");
}

static void
test_errors_sections (void)
{
  static const char *const sections[] = {
    "indicators", "s1_signal", "o1_cancel", "z1_entry", "ze1_close", "emergency_exit",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autofree char *path = g_strconcat ("/", sections[i], NULL);

      expect_error ("", sections[i], NULL, path);
      expect_error ("", sections[i], "[]", path);
      expect_error ("", sections[i], "\"yes\"", path);
    }

  /* global_limits is optional; it must be an object when present. */
  expect_clean ("", "global_limits", NULL, "/global_limits");
  expect_error ("", "global_limits", "5", "/global_limits");

  /* Every section must list its conditions. */
  expect_error ("/o1_cancel", "conditions", NULL, "/o1_cancel/conditions");
  expect_error ("/ze1_close", "conditions", "{}", "/ze1_close/conditions");

  /* The root itself. */
  {
    g_autoptr(JsonNode) doc = parse_json ("[1, 2]");
    g_autoptr(KantorDiagnostics) diag = check (doc, FALSE);

    g_assert_true (kantor_diagnostics_has_error_at (diag, ""));
  }
  {
    g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
    g_autoptr(KantorStrategy) strategy = kantor_strategy_new_from_data ("{\"strategy_name\":",
                                                                        -1, diag);

    g_assert_null (strategy);
    g_assert_true (kantor_diagnostics_has_error_at (diag, ""));
  }
}

static void
test_errors_conditions (void)
{
  static const char *const fields[] = { "id", "indicatorId", "operator", "value" };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *path = g_strconcat ("/s1_signal/conditions/1/", fields[i], NULL);

      expect_error ("/s1_signal/conditions/1", fields[i], NULL, path);
    }

  expect_error ("/s1_signal/conditions/1", "operator", "\"=>\"",
                "/s1_signal/conditions/1/operator");
  expect_error ("/z1_entry/conditions/0", "operator", "\"=\"", "/z1_entry/conditions/0/operator");
  expect_error ("/ze1_close/conditions/0", "operator", "1", "/ze1_close/conditions/0/operator");
  expect_error ("/o1_cancel/conditions/0", "value", "\"2\"", "/o1_cancel/conditions/0/value");
  expect_error ("/o1_cancel/conditions/0", "value", "true", "/o1_cancel/conditions/0/value");
  expect_error ("/o1_cancel/conditions/0", "value", "null", "/o1_cancel/conditions/0/value");
  expect_error ("/o1_cancel/conditions/0", "value", "[2]", "/o1_cancel/conditions/0/value");
  expect_error ("/emergency_exit/conditions/0", "indicatorId", "\"PNL\"",
                "/emergency_exit/conditions/0/indicatorId");
  expect_error ("/s1_signal/conditions/0", "indicatorId", "\"pumpp\"",
                "/s1_signal/conditions/0/indicatorId");
  /* A type name is not a declared key. */
  expect_error ("/s1_signal/conditions/0", "indicatorId", "\"PRICE\"",
                "/s1_signal/conditions/0/indicatorId");
  expect_error ("/s1_signal/conditions/0", "indicatorId", "7",
                "/s1_signal/conditions/0/indicatorId");
  expect_error ("/s1_signal/conditions/0", "id", "3", "/s1_signal/conditions/0/id");
  expect_error ("/s1_signal/conditions/0", "id", "\"\"", "/s1_signal/conditions/0/id");
  expect_error ("/s1_signal", "conditions", "[\"c1\"]", "/s1_signal/conditions/0");

  /* Every operator is known. */
  {
    static const char *const ops[] = { "\">\"", "\"<\"", "\">=\"", "\"<=\"", "\"==\"", "\"!=\"" };

    for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
      expect_clean ("/s1_signal/conditions/0", "operator", ops[i], "/s1_signal/conditions/0");
  }

  /* Built-ins need no declaration. */
  expect_clean ("/z1_entry/conditions/0", "indicatorId", "\"POSITION_AGE_SECONDS\"",
                "/z1_entry/conditions/0");
  expect_clean ("/o1_cancel/conditions/0", "indicatorId", "\"SIGNAL_AGE_SECONDS\"",
                "/o1_cancel/conditions/0");
}

static void
test_errors_empty_lists (void)
{
  expect_error ("/s1_signal", "conditions", "[]", "/s1_signal/conditions");
  expect_error ("/z1_entry", "conditions", "[]", "/z1_entry/conditions");
  /* The others may be empty. */
  expect_clean ("/o1_cancel", "conditions", "[]", "/o1_cancel/conditions");
  expect_clean ("/ze1_close", "conditions", "[]", "/ze1_close/conditions");
  expect_clean ("/emergency_exit", "conditions", "[]", "/emergency_exit/conditions");
}

static void
test_errors_indicators (void)
{
  /* The paths are the indicator parser's: the offending member. */
  struct
  {
    const char *key;
    const char *json;
    const char *path;
  } cases[] = {
    { "pump", "{\"type\": \"PUMP_MAGNITUDE\", \"current\": {\"t1\": 10, \"t2\": 0},"
              " \"baseline\": {\"t1\": 600, \"t2\": 60}}", "/indicators/pump/type" },
    { "pump", "{\"type\": \"PUMP_MAGNITUDE_PCT\", \"current\": {\"t1\": 10, \"t2\": 10},"
              " \"baseline\": {\"t1\": 600, \"t2\": 60}}", "/indicators/pump/current/t1" },
    { "vel", "{\"type\": \"VELOCITY\", \"current\": {\"t1\": 5, \"t2\": 0},"
             " \"baseline\": {\"t1\": 5, \"t2\": 30}}", "/indicators/vel/baseline/t1" },
    { "rsi", "{\"type\": \"RSI\", \"period\": 0, \"timeframe\": \"1m\"}",
      "/indicators/rsi/period" },
    { "rsi", "{\"type\": \"RSI\", \"period\": 14, \"timeframe\": \"2m\"}",
      "/indicators/rsi/timeframe" },
    { "spread", "{}", "/indicators/spread/type" },
    { "spread", "\"SPREAD_PCT\"", "/indicators/spread" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) doc = pump_rider ();
      g_autoptr(KantorDiagnostics) diag = NULL;

      g_test_message ("indicator %s = %s", cases[i].key, cases[i].json);
      set_member (doc, "/indicators", cases[i].key, cases[i].json);
      diag = check (doc, FALSE);
      g_assert_true (kantor_diagnostics_has_error_at (diag, cases[i].path));
    }

  /* A built-in's name cannot be declared, and keys cannot be empty. */
  expect_error ("/indicators", "UNREALIZED_PNL_PCT", "{\"type\": \"PRICE\"}",
                "/indicators/UNREALIZED_PNL_PCT");
  expect_error ("/indicators", "", "{\"type\": \"PRICE\"}", "/indicators/");
}

static void
test_errors_ranges (void)
{
  expect_error ("/z1_entry/stopLoss", "offsetPercent", "101", "/z1_entry/stopLoss/offsetPercent");
  expect_error ("/z1_entry/stopLoss", "offsetPercent", "-0.5", "/z1_entry/stopLoss/offsetPercent");
  expect_clean ("/z1_entry/stopLoss", "offsetPercent", "100", "/z1_entry/stopLoss");
  expect_clean ("/z1_entry/stopLoss", "offsetPercent", "0", "/z1_entry/stopLoss");
  expect_error ("/z1_entry/takeProfit", "offsetPercent", "1000.5",
                "/z1_entry/takeProfit/offsetPercent");
  expect_error ("/z1_entry/takeProfit", "offsetPercent", "-1",
                "/z1_entry/takeProfit/offsetPercent");
  expect_clean ("/z1_entry/takeProfit", "offsetPercent", "1000", "/z1_entry/takeProfit");
  /* Enabled exits need their offset. */
  expect_error ("/z1_entry/stopLoss", "offsetPercent", NULL, "/z1_entry/stopLoss/offsetPercent");
  expect_error ("/z1_entry/takeProfit", "offsetPercent", NULL,
                "/z1_entry/takeProfit/offsetPercent");

  expect_error ("/z1_entry/positionSize", "value", "0", "/z1_entry/positionSize/value");
  expect_error ("/z1_entry/positionSize", "value", "100.01", "/z1_entry/positionSize/value");
  expect_clean ("/z1_entry/positionSize", "value", "100", "/z1_entry/positionSize");
  {
    g_autoptr(JsonNode) doc = pump_rider ();
    g_autoptr(KantorDiagnostics) diag = NULL;
    g_autoptr(KantorStrategy) strategy = NULL;
    KantorSizeKind kind;
    double value;

    set_member (doc, "/z1_entry", "positionSize", "{\"type\": \"fixed\", \"value\": 250}");
    diag = check (doc, TRUE);
    strategy = kantor_strategy_new_from_json (doc, NULL);
    kantor_strategy_get_position_size (strategy, &kind, &value);
    g_assert_cmpint (kind, ==, KANTOR_SIZE_FIXED_QUOTE);
    g_assert_cmpfloat (value, ==, 250);

    /* A fixed size has no upper bound but must be positive. */
    g_clear_pointer (&diag, kantor_diagnostics_free);
    set_member (doc, "/z1_entry/positionSize", "value", "0");
    diag = check (doc, FALSE);
    g_assert_true (kantor_diagnostics_has_error_at (diag, "/z1_entry/positionSize/value"));
    g_clear_pointer (&diag, kantor_diagnostics_free);
    set_member (doc, "/z1_entry/positionSize", "value", "-10");
    diag = check (doc, FALSE);
    g_assert_true (kantor_diagnostics_has_error_at (diag, "/z1_entry/positionSize/value"));
  }
  expect_error ("/z1_entry/positionSize", "type", "\"all_in\"", "/z1_entry/positionSize/type");
  expect_error ("/z1_entry/positionSize", "type", NULL, "/z1_entry/positionSize/type");
  expect_error ("/z1_entry/positionSize", "value", NULL, "/z1_entry/positionSize/value");
  expect_error ("/z1_entry", "positionSize", NULL, "/z1_entry/positionSize");

  expect_error ("/o1_cancel", "timeoutSeconds", "-1", "/o1_cancel/timeoutSeconds");
  expect_error ("/o1_cancel", "cooldownMinutes", "-0.1", "/o1_cancel/cooldownMinutes");
  expect_error ("/emergency_exit", "cooldownMinutes", "-5", "/emergency_exit/cooldownMinutes");
  expect_clean ("/o1_cancel", "timeoutSeconds", "0", "/o1_cancel");
  expect_clean ("/o1_cancel", "cooldownMinutes", "0", "/o1_cancel");
  expect_clean ("/emergency_exit", "cooldownMinutes", "0", "/emergency_exit");

  expect_error ("/global_limits", "max_position_size_usdt", "0",
                "/global_limits/max_position_size_usdt");
  expect_error ("/global_limits", "min_position_size_usdt", "-1",
                "/global_limits/min_position_size_usdt");
  expect_error ("/global_limits", "min_position_size_usdt", "2000",
                "/global_limits/min_position_size_usdt");
  expect_error ("/global_limits", "max_leverage", "0", "/global_limits/max_leverage");
}

static void
test_errors_types (void)
{
  expect_error ("", "enabled", "\"yes\"", "/enabled");
  expect_error ("", "description", "5", "/description");
  expect_error ("", "direction", "\"long\"", "/direction");
  expect_error ("", "direction", "\"BOTH\"", "/direction");
  expect_error ("", "direction", "1", "/direction");
  expect_error ("/z1_entry", "stopLoss", "3", "/z1_entry/stopLoss");
  expect_error ("/z1_entry/stopLoss", "enabled", "\"no\"", "/z1_entry/stopLoss/enabled");
  expect_error ("/z1_entry/stopLoss", "offsetPercent", "\"3%\"",
                "/z1_entry/stopLoss/offsetPercent");
  expect_error ("/z1_entry/takeProfit", "enabled", "1", "/z1_entry/takeProfit/enabled");
  expect_error ("/z1_entry", "positionSize", "10", "/z1_entry/positionSize");
  expect_error ("/z1_entry/positionSize", "value", "\"10\"", "/z1_entry/positionSize/value");
  expect_error ("/o1_cancel", "timeoutSeconds", "\"60s\"", "/o1_cancel/timeoutSeconds");
  expect_error ("/o1_cancel", "cooldownMinutes", "false", "/o1_cancel/cooldownMinutes");
  expect_error ("/emergency_exit", "actions", "[]", "/emergency_exit/actions");
  expect_error ("/emergency_exit/actions", "closePosition", "1",
                "/emergency_exit/actions/closePosition");
  expect_error ("/emergency_exit/actions", "cancelPending", "\"true\"",
                "/emergency_exit/actions/cancelPending");
  expect_error ("/emergency_exit/actions", "logEvent", "null", "/emergency_exit/actions/logEvent");
  expect_error ("/global_limits", "max_leverage", "\"1x\"", "/global_limits/max_leverage");
  expect_error ("/global_limits", "max_position_size_usdt", "{}",
                "/global_limits/max_position_size_usdt");

  /* Short strategies are fine. */
  {
    g_autoptr(JsonNode) doc = pump_rider ();
    g_autoptr(KantorDiagnostics) diag = NULL;
    g_autoptr(KantorStrategy) strategy = NULL;

    set_member (doc, "", "direction", "\"SHORT\"");
    set_member (doc, "", "enabled", "false");
    diag = check (doc, TRUE);
    strategy = kantor_strategy_new_from_json (doc, NULL);
    g_assert_cmpint (kantor_strategy_get_direction (strategy), ==, KANTOR_DIRECTION_SHORT);
    g_assert_false (kantor_strategy_get_enabled (strategy));
  }
}

static void
test_errors_unknown_members (void)
{
  expect_error ("", "stop_loss", "{}", "/stop_loss");
  expect_error ("", "Direction", "\"LONG\"", "/Direction");
  expect_error ("/s1_signal", "condition", "[]", "/s1_signal/condition");
  expect_error ("/s1_signal/conditions/0", "indicator", "\"pump\"",
                "/s1_signal/conditions/0/indicator");
  expect_error ("/o1_cancel", "timeout", "60", "/o1_cancel/timeout");
  expect_error ("/z1_entry", "stopLos", "{\"offsetPercent\": 3}", "/z1_entry/stopLos");
  expect_error ("/z1_entry/stopLoss", "offset", "3", "/z1_entry/stopLoss/offset");
  expect_error ("/z1_entry/positionSize", "amount", "3", "/z1_entry/positionSize/amount");
  expect_error ("/ze1_close", "timeoutSeconds", "3", "/ze1_close/timeoutSeconds");
  expect_error ("/emergency_exit", "action", "{}", "/emergency_exit/action");
  expect_error ("/emergency_exit/actions", "closeAll", "true", "/emergency_exit/actions/closeAll");
  expect_error ("/global_limits", "max_leverge", "2", "/global_limits/max_leverge");

  /* A member name that needs escaping in a JSON pointer. */
  expect_error ("", "a/b~c", "1", "/a~1b~0c");
}

static void
test_warnings (void)
{
  /* Declared, never used. */
  expect_warning ("/indicators", "px", "{\"type\": \"PRICE\"}", "/indicators/px");
  expect_clean ("/s1_signal/conditions/0", "indicatorId", "\"rsi\"", "/indicators/rsi");

  /* No stop loss, absent or disabled. */
  expect_warning ("/z1_entry", "stopLoss", NULL, "/z1_entry/stopLoss");
  expect_warning ("/z1_entry/stopLoss", "enabled", "false", "/z1_entry/stopLoss");
  {
    g_autoptr(JsonNode) doc = pump_rider ();
    g_autoptr(KantorDiagnostics) diag = NULL;
    g_autoptr(KantorStrategy) strategy = NULL;
    double offset;

    set_member (doc, "/z1_entry/takeProfit", "enabled", "false");
    set_member (doc, "/z1_entry", "stopLoss", "{\"offsetPercent\": 4}");
    diag = check (doc, TRUE);
    g_assert_false (kantor_diagnostics_has_warning_at (diag, "/z1_entry/stopLoss"));
    strategy = kantor_strategy_new_from_json (doc, NULL);
    /* "enabled" defaults to true. */
    g_assert_true (kantor_strategy_get_stop_loss (strategy, &offset));
    g_assert_cmpfloat (offset, ==, 4);
    g_assert_false (kantor_strategy_get_take_profit (strategy, &offset));
    g_assert_cmpfloat (offset, ==, 0);
  }

  /* Leverage. */
  expect_warning ("/global_limits", "max_leverage", "3.5", "/global_limits/max_leverage");
  expect_clean ("/global_limits", "max_leverage", "3", "/global_limits/max_leverage");

  /* A window longer than 24 h (the indicator parser's warning). */
  {
    g_autoptr(JsonNode) doc = pump_rider ();
    g_autoptr(KantorDiagnostics) diag = NULL;

    set_member (doc, "/indicators/pump", "baseline", "{\"t1\": 90000, \"t2\": 60}");
    diag = check (doc, TRUE);
    g_assert_true (kantor_diagnostics_has_warning_at (diag, "/indicators/pump/baseline/t1"));
  }
}

static void
test_warnings_never_holds (void)
{
  static const struct
  {
    const char *indicator;
    const char *op;
    const char *value;
    gboolean    warns;
  } cases[] = {
    { "rsi", ">", "100", TRUE },
    { "rsi", ">=", "100.5", TRUE },
    { "rsi", "<", "0", TRUE },
    { "rsi", "<=", "-1", TRUE },
    { "rsi", "==", "101", TRUE },
    { "rsi", ">=", "100", FALSE },
    { "rsi", "<=", "0", FALSE },
    { "rsi", "<", "30", FALSE },
    { "rsi", "!=", "50", FALSE },
    { "spread", "<", "0", TRUE },
    { "spread", "<", "0.5", FALSE },
    { "UNREALIZED_PNL_PCT", "<", "-100", TRUE },
    { "UNREALIZED_PNL_PCT", "<=", "-100", FALSE },
    { "UNREALIZED_PNL_PCT", ">", "100", FALSE },
    { "POSITION_AGE_SECONDS", "<", "0", TRUE },
    { "SIGNAL_AGE_SECONDS", "<=", "-1", TRUE },
    { "SIGNAL_AGE_SECONDS", ">", "30", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) doc = pump_rider ();
      g_autoptr(KantorDiagnostics) diag = NULL;
      g_autofree char *condition = g_strdup_printf ("{\"id\": \"x\", \"indicatorId\": \"%s\","
                                                    " \"operator\": \"%s\", \"value\": %s}",
                                                    cases[i].indicator, cases[i].op,
                                                    cases[i].value);
      JsonArray *conditions =
        json_node_get_array (resolve (doc, "/ze1_close/conditions"));

      g_test_message ("%s %s %s", cases[i].indicator, cases[i].op, cases[i].value);
      json_array_add_element (conditions, parse_json (condition));
      diag = check (doc, TRUE);
      g_assert_cmpint (kantor_diagnostics_has_warning_at (diag, "/ze1_close/conditions/1"), ==,
                       cases[i].warns);
    }

  /* For a SHORT position the P&L is bounded above instead. */
  {
    g_autoptr(JsonNode) doc = pump_rider ();
    g_autoptr(KantorDiagnostics) diag = NULL;

    set_member (doc, "", "direction", "\"SHORT\"");
    set_member (doc, "/emergency_exit/conditions/0", "operator", "\">\"");
    set_member (doc, "/emergency_exit/conditions/0", "value", "100");
    diag = check (doc, TRUE);
    g_assert_true (kantor_diagnostics_has_warning_at (diag, "/emergency_exit/conditions/0"));
  }
}

static void
test_diagnostics_json (void)
{
  g_autoptr(JsonNode) doc = pump_rider ();
  g_autoptr(KantorDiagnostics) diag = NULL;
  g_autoptr(JsonNode) result = NULL;
  JsonObject *object;
  JsonArray *errors;

  set_member (doc, "", "strategy_name", "\"\"");
  set_member (doc, "/s1_signal/conditions/1", "operator", "\"~\"");
  set_member (doc, "", "ze1_close", NULL);
  diag = check (doc, FALSE);
  g_assert_cmpuint (kantor_diagnostics_get_n_errors (diag), ==, 3);

  result = kantor_diagnostics_to_json (diag);
  object = json_node_get_object (result);
  g_assert_false (json_object_get_boolean_member (object, "valid"));
  errors = json_object_get_array_member (object, "errors");
  g_assert_cmpuint (json_array_get_length (errors), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *e = json_array_get_object_element (errors, i);

      g_assert_true (g_str_has_prefix (json_object_get_string_member (e, "path"), "/"));
      g_assert_cmpuint (strlen (json_object_get_string_member (e, "message")), >, 5);
    }
}

/* Every member and element of pump_rider, in turn, removed or replaced by
 * a value of every JSON type: validation never crashes or leaks, validate()
 * and new_from_json() agree, and every error carries a JSON pointer. */
static void
collect_pointers (JsonNode   *node,
                  const char *path,
                  GPtrArray  *out)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(GList) members = json_object_get_members (json_node_get_object (node));

      for (GList *l = members; l != NULL; l = l->next)
        {
          char *child = g_strconcat (path, "/", (const char *) l->data, NULL);

          g_ptr_array_add (out, child);
          collect_pointers (json_object_get_member (json_node_get_object (node), l->data), child,
                            out);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          char *child = g_strdup_printf ("%s/%u", path, i);

          g_ptr_array_add (out, child);
          collect_pointers (json_array_get_element (array, i), child, out);
        }
    }
}

static void
test_robustness (void)
{
  static const char *const replacements[] = {
    NULL, "null", "true", "-1", "1e300", "\"\"", "\"LONG\"", "[]", "{}", "[{}]",
  };
  g_autoptr(JsonNode) original = pump_rider ();
  g_autoptr(GPtrArray) pointers = g_ptr_array_new_with_free_func (g_free);
  guint n_refused = 0;

  collect_pointers (original, "", pointers);
  g_assert_cmpuint (pointers->len, >, 80);

  for (guint p = 0; p < pointers->len; p++)
    for (guint r = 0; r < G_N_ELEMENTS (replacements); r++)
      {
        const char *pointer = g_ptr_array_index (pointers, p);
        g_autofree char *parent = g_strdup (pointer);
        char *slash = strrchr (parent, '/');
        const char *member = slash + 1;
        g_autoptr(JsonNode) doc = pump_rider ();
        g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
        g_autoptr(KantorDiagnostics) diag2 = kantor_diagnostics_new ();
        g_autoptr(KantorStrategy) strategy = NULL;
        JsonNode *container;
        gboolean valid;

        *slash = '\0';
        container = resolve (doc, parent);
        if (JSON_NODE_HOLDS_ARRAY (container))
          {
            JsonArray *array = json_node_get_array (container);
            guint index = (guint) g_ascii_strtoull (member, NULL, 10);

            if (replacements[r] == NULL)
              json_array_remove_element (array, index);
            else
              {
                /* json-glib has no replace: rebuild the array. */
                g_autoptr(JsonArray) copy = json_array_new ();

                for (guint i = 0; i < json_array_get_length (array); i++)
                  {
                    JsonNode *element = json_array_get_element (array, i);

                    json_array_add_element (copy, i == index ? parse_json (replacements[r])
                                                             : json_node_copy (element));
                  }
                json_node_set_array (container, copy);
              }
          }
        else
          set_member (doc, parent, member, replacements[r]);

        valid = kantor_strategy_validate (doc, diag);
        strategy = kantor_strategy_new_from_json (doc, diag2);
        g_assert_cmpint (valid, ==, strategy != NULL);
        g_assert_cmpuint (kantor_diagnostics_get_n_errors (diag), ==,
                          kantor_diagnostics_get_n_errors (diag2));
        for (guint i = 0; i < kantor_diagnostics_get_n_errors (diag); i++)
          {
            const char *path = kantor_diagnostics_get_error (diag, i)->path;

            g_assert_true (*path == '\0' || *path == '/');
          }
        if (!valid)
          n_refused++;
        if (strategy != NULL)
          g_assert_cmpuint (strlen (kantor_strategy_get_hash (strategy)), ==, 64);
      }

  /* Most mutations of a strict format are refused. */
  g_assert_cmpuint (n_refused, >, pointers->len * G_N_ELEMENTS (replacements) / 2);
}

/* ------------------------------------------------------------------------ */
/* Canonical JSON                                                           */

static void
assert_canonical (const char *input,
                  const char *expected)
{
  g_autoptr(JsonNode) node = parse_json (input);
  g_autofree char *text = kantor_canonical_json_to_string (node);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_canonical_json (void)
{
  assert_canonical ("{ \"b\" : 1, \"a\" : { \"z\": [3, 2, {\"y\": null, \"x\": true}],"
                    " \"c\": false } }",
                    "{\"a\":{\"c\":false,\"z\":[3,2,{\"x\":true,\"y\":null}]},\"b\":1}");
  assert_canonical ("[0.1, 50002.79, 5.0, -0.0, 1e21, 1.5e-7, -2.25, 9007199254740993]",
                    "[0.1,50002.79,5,0,1e+21,1.5e-07,-2.25,9007199254740993]");
  assert_canonical ("[0.30000000000000004, 0.3333333333333333, 123456789012.345678]",
                    "[0.30000000000000004,0.3333333333333333,123456789012.34567]");
  assert_canonical ("{\"s\": \"a\\\"b\\\\c\\n\\t\\u0001/é€\"}",
                    "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/é€\"}");
  /* Keys sort by their UTF-8 bytes. */
  assert_canonical ("{\"é\": 1, \"z\": 2, \"Z\": 3, \"a\": 4}",
                    "{\"Z\":3,\"a\":4,\"z\":2,\"é\":1}");
  assert_canonical ("{}", "{}");
  assert_canonical ("[]", "[]");

  /* Every double reads back to itself. */
  {
    GRand *rand = g_rand_new_with_seed (42);

    for (guint i = 0; i < 5000; i++)
      {
        double v = g_rand_double_range (rand, -1e6, 1e6)
                   * pow (10, g_rand_int_range (rand, -12, 12));
        g_autoptr(JsonNode) node = json_node_init_double (json_node_alloc (), v);
        g_autofree char *text = kantor_canonical_json_to_string (node);

        g_assert_cmpfloat (g_ascii_strtod (text, NULL), ==, v);
        g_assert_cmpuint (strlen (text), <=, 24);
      }
    g_rand_free (rand);
  }

  /* The same document, however written, hashes the same. */
  {
    g_autoptr(JsonNode) a = parse_json ("{\"x\": [1, 2.50], \"y\": \"q\"}");
    g_autoptr(JsonNode) b = parse_json ("{\"y\":\"q\",\"x\":[1.0,2.5]}");
    g_autoptr(JsonNode) c = parse_json ("{\"y\":\"q\",\"x\":[2.5,1]}");
    g_autofree char *ha = kantor_canonical_json_sha256 (a);
    g_autofree char *hb = kantor_canonical_json_sha256 (b);
    g_autofree char *hc = kantor_canonical_json_sha256 (c);

    g_assert_cmpstr (ha, ==, hb);
    g_assert_cmpstr (ha, !=, hc);
    g_assert_cmpstr (ha, ==, "d254114524086fc4d70edeef5ed3a39cd5a4eaeddbebd60479b1e33134a126c3");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/strategy/pump-rider", test_pump_rider);
  g_test_add_func ("/kantor/engine/strategy/hash", test_hash);
  g_test_add_func ("/kantor/engine/strategy/errors/name", test_errors_name);
  g_test_add_func ("/kantor/engine/strategy/errors/sections", test_errors_sections);
  g_test_add_func ("/kantor/engine/strategy/errors/conditions", test_errors_conditions);
  g_test_add_func ("/kantor/engine/strategy/errors/empty-lists", test_errors_empty_lists);
  g_test_add_func ("/kantor/engine/strategy/errors/indicators", test_errors_indicators);
  g_test_add_func ("/kantor/engine/strategy/errors/ranges", test_errors_ranges);
  g_test_add_func ("/kantor/engine/strategy/errors/types", test_errors_types);
  g_test_add_func ("/kantor/engine/strategy/errors/unknown-members", test_errors_unknown_members);
  g_test_add_func ("/kantor/engine/strategy/warnings", test_warnings);
  g_test_add_func ("/kantor/engine/strategy/warnings/never-holds", test_warnings_never_holds);
  g_test_add_func ("/kantor/engine/strategy/diagnostics-json", test_diagnostics_json);
  g_test_add_func ("/kantor/engine/strategy/robustness", test_robustness);
  g_test_add_func ("/kantor/engine/canonical-json", test_canonical_json);

  return g_test_run ();
}
