/* test-envelope.c: JSON output, the input guard, the envelope, the error
 * table and the router's field checks, without a socket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-auth.h"
#include "kantor-envelope.h"
#include "kantor-error-codes.h"
#include "kantor-json.h"
#include "kantor-router.h"

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
test_format_double (void)
{
  static const struct { double v; const char *expected; } cases[] = {
    { 50002.79, "50002.79" },
    { 0.1, "0.1" },
    { 0.1 + 0.2, "0.30000000000000004" },
    { 1e-7, "1e-07" },
    { 123456789012.5, "123456789012.5" },
    { -42.0, "-42" },
    { 0.0, "0" },
    { 1e21, "1e+21" },
    { 1.0 / 3.0, "0.3333333333333333" },
  };
  char buf[32];

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize n = kantor_format_double (cases[i].v, buf);

      g_assert_cmpstr (buf, ==, cases[i].expected);
      g_assert_cmpuint (n, ==, strlen (cases[i].expected));
      /* Reads back to the very same double. */
      g_assert_true (g_ascii_strtod (buf, NULL) == cases[i].v);
    }

  kantor_format_double (NAN, buf);
  g_assert_cmpstr (buf, ==, "null");
  kantor_format_double (INFINITY, buf);
  g_assert_cmpstr (buf, ==, "null");
}

static void
test_format_double_roundtrip (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261125);
  char buf[32];

  for (guint i = 0; i < 20000; i++)
    {
      double v = g_rand_double_range (rand, -1e6, 1e6);
      char ref[32];

      if (i % 3 == 0)
        v = round (v * 100.0) / 100.0;  /* prices with two decimals */
      kantor_format_double (v, buf);
      g_assert_true (g_ascii_strtod (buf, NULL) == v);
      /* Never longer than the %.17g form json-glib would write. */
      g_ascii_formatd (ref, sizeof ref, "%.17g", v);
      g_assert_cmpuint (strlen (buf), <=, strlen (ref));
    }
}

static void
test_to_string (void)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) back = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "price");
  json_builder_add_double_value (b, 50002.79);
  json_builder_set_member_name (b, "qty");
  json_builder_add_int_value (b, -3);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, "a\"b\\c\n\x01 zł");
  json_builder_set_member_name (b, "list");
  json_builder_begin_array (b);
  json_builder_add_boolean_value (b, TRUE);
  json_builder_add_null_value (b);
  json_builder_add_double_value (b, 0.5);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "empty");
  json_builder_begin_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);

  text = kantor_json_to_string (node);
  g_assert_cmpstr (text, ==,
                   "{\"price\":50002.79,\"qty\":-3,\"text\":\"a\\\"b\\\\c\\n\\u0001 zł\","
                   "\"list\":[true,null,0.5],\"empty\":{}}");

  /* And json-glib reads it back to an equal tree. */
  back = parse (text);
  g_assert_true (json_node_equal (node, back));
}

static void
test_check_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) deep = g_string_new (NULL);
  const char *ok = "{\"a\":[1,{\"b\":\"[[[[\"}]}";
  const char bad_utf8[] = "{\"a\":\"\xc3\x28\"}";
  const char with_nul[] = "{\"a\":\"x\0y\"}";

  g_assert_true (kantor_json_check_input (ok, strlen (ok), 0, 3, &error));
  g_assert_no_error (error);

  /* Brackets inside strings do not count, escaped quotes do not end them. */
  g_assert_true (kantor_json_check_input ("[\"\\\"[[[[[\"]", 11, 0, 1, &error));
  g_assert_no_error (error);

  g_assert_false (kantor_json_check_input (ok, strlen (ok), 0, 2, &error));
  g_assert_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_DEEP);
  g_clear_error (&error);

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, ']');
  g_assert_false (kantor_json_check_input (deep->str, deep->len, 0, KANTOR_JSON_MAX_DEPTH,
                                           &error));
  g_assert_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_DEEP);
  g_clear_error (&error);

  g_assert_false (kantor_json_check_input (bad_utf8, strlen (bad_utf8), 0, 64, &error));
  g_assert_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_INVALID_UTF8);
  g_clear_error (&error);

  g_assert_false (kantor_json_check_input (with_nul, sizeof with_nul - 1, 0, 64, &error));
  g_assert_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_INVALID_UTF8);
  g_clear_error (&error);

  g_assert_false (kantor_json_check_input (ok, strlen (ok), 4, 64, &error));
  g_assert_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_LARGE);
}

static void
test_timestamp (void)
{
  char buf[32];
  /* 2026-11-25T17:03:15.123Z */
  gint64 t = G_GINT64_CONSTANT (1795626195123456);
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t / G_USEC_PER_SEC);
  g_autofree char *expected = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S.123Z");

  g_assert_cmpuint (kantor_envelope_format_timestamp (t, buf), ==, 24);
  g_assert_cmpstr (buf, ==, expected);
  g_assert_cmpstr (buf, ==, "2026-11-25T17:03:15.123Z");

  /* Same second, other milliseconds (truncated, never rounded up into the
   * next second): the cached prefix is reused. */
  kantor_envelope_format_timestamp (t - 123456 + 875999, buf);
  g_assert_cmpstr (buf, ==, "2026-11-25T17:03:15.875Z");
  /* Next second. */
  kantor_envelope_format_timestamp (t + G_USEC_PER_SEC - 123456 + 7000, buf);
  g_assert_cmpstr (buf, ==, "2026-11-25T17:03:16.007Z");
}

static void
test_ids (void)
{
  g_autoptr(JsonNode) s = parse ("\"req-1\"");
  g_autoptr(JsonNode) i = parse ("42");
  g_autoptr(JsonNode) n = parse ("null");
  g_autoptr(JsonNode) f = parse ("1.5");
  g_autoptr(JsonNode) o = parse ("{}");
  g_autoptr(JsonNode) b = parse ("true");
  g_autofree char *long_id = g_strnfill (65, 'x');
  g_autofree char *long_json = g_strdup_printf ("\"%s\"", long_id);
  g_autoptr(JsonNode) l = parse (long_json);
  g_autoptr(GError) error = NULL;

  g_assert_true (kantor_envelope_check_id (NULL, NULL));
  g_assert_true (kantor_envelope_check_id (s, NULL));
  g_assert_true (kantor_envelope_check_id (i, NULL));
  g_assert_true (kantor_envelope_check_id (n, NULL));
  g_assert_false (kantor_envelope_check_id (f, &error));
  g_assert_error (error, KANTOR_PROTOCOL_ERROR, KANTOR_ERROR_CODE_VALIDATION_ERROR);
  g_clear_error (&error);
  g_assert_false (kantor_envelope_check_id (o, NULL));
  g_assert_false (kantor_envelope_check_id (b, NULL));
  g_assert_false (kantor_envelope_check_id (l, NULL));
}

static void
test_messages (void)
{
  g_autoptr(JsonNode) id = parse ("\"abc\"");
  g_autoptr(JsonNode) null_id = parse ("null");
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *response = NULL;
  g_autofree char *error_text = NULL;
  g_autofree char *status = NULL;
  g_autoptr(JsonNode) r = NULL;
  g_autoptr(JsonNode) e = NULL;
  g_autoptr(JsonNode) st = NULL;
  JsonObject *obj;

  json_object_set_string_member (data, "session_id", "s-1");
  json_object_set_double_member (data, "price", 50002.79);
  response = kantor_envelope_response (id, "session_started", data);
  g_assert_nonnull (strstr (response, "\"price\":50002.79"));
  r = parse (response);
  obj = json_node_get_object (r);
  g_assert_cmpstr (json_object_get_string_member (obj, "version"), ==, "1.0");
  g_assert_cmpstr (json_object_get_string_member (obj, "type"), ==, "response");
  g_assert_cmpstr (json_object_get_string_member (obj, "id"), ==, "abc");
  g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "session_started");
  /* Identifiers stand at top level and inside data. */
  g_assert_cmpstr (json_object_get_string_member (obj, "session_id"), ==, "s-1");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "data"),
                                                  "session_id"), ==, "s-1");
  g_assert_false (json_object_has_member (obj, "price"));

  json_object_set_string_member (details, "field", "symbol");
  error_text = kantor_envelope_error (null_id, KANTOR_ERROR_CODE_VALIDATION_ERROR, NULL, details);
  e = parse (error_text);
  obj = json_node_get_object (e);
  g_assert_false (json_object_has_member (obj, "id"));
  g_assert_cmpstr (json_object_get_string_member (obj, "error_code"), ==, "validation_error");
  g_assert_cmpstr (json_object_get_string_member (obj, "error_message"), ==,
                   kantor_error_code_get_message (KANTOR_ERROR_CODE_VALIDATION_ERROR));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj, "details"),
                                                  "field"), ==, "symbol");

  status = kantor_envelope_status (NULL, "pong", NULL);
  st = parse (status);
  obj = json_node_get_object (st);
  g_assert_cmpstr (json_object_get_string_member (obj, "type"), ==, "status");
  g_assert_cmpstr (json_object_get_string_member (obj, "status"), ==, "pong");
  g_assert_false (json_object_has_member (obj, "id"));
  g_assert_cmpuint (json_object_get_size (obj), ==, 4);
}

static void
test_error_table (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) auth = NULL;
  g_autoptr(GError) other = NULL;
  g_autoptr(GError) proto = NULL;
  g_autoptr(GError) json = NULL;

  for (guint i = 0; i < KANTOR_N_ERROR_CODES; i++)
    {
      const char *name = kantor_error_code_to_string (i);
      KantorErrorCode back;

      g_assert_nonnull (name);
      g_assert_true (g_regex_match_simple ("^[a-z_]+$", name, 0, 0));
      g_assert_false (g_hash_table_contains (seen, name));
      g_hash_table_add (seen, (gpointer) name);
      g_assert_cmpstr (kantor_error_code_get_message (i), !=, "");
      g_assert_cmpuint (kantor_error_code_get_http_status (i), >=, 400);
      g_assert_true (kantor_error_code_from_string (name, &back));
      g_assert_cmpint (back, ==, i);
    }
  g_assert_false (kantor_error_code_from_string ("no_such_code", NULL));

  auth = g_error_new_literal (KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_TOKEN_EXPIRED, "x");
  g_assert_cmpint (kantor_error_code_from_gerror (auth), ==, KANTOR_ERROR_CODE_TOKEN_EXPIRED);
  g_clear_error (&auth);
  auth = g_error_new_literal (KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_INVALID_CREDENTIALS, "x");
  g_assert_cmpint (kantor_error_code_from_gerror (auth), ==,
                   KANTOR_ERROR_CODE_INVALID_CREDENTIALS);
  g_clear_error (&auth);
  auth = g_error_new_literal (KANTOR_AUTH_ERROR, KANTOR_AUTH_ERROR_RATE_LIMITED, "x");
  g_assert_cmpint (kantor_error_code_from_gerror (auth), ==,
                   KANTOR_ERROR_CODE_RATE_LIMIT_EXCEEDED);

  other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "disk on fire");
  g_assert_cmpint (kantor_error_code_from_gerror (other), ==, KANTOR_ERROR_CODE_HANDLER_ERROR);
  kantor_error_codes_register (G_IO_ERROR, G_IO_ERROR_FAILED, KANTOR_ERROR_CODE_COMMAND_FAILED);
  g_assert_cmpint (kantor_error_code_from_gerror (other), ==, KANTOR_ERROR_CODE_COMMAND_FAILED);

  proto = g_error_new_literal (KANTOR_PROTOCOL_ERROR, KANTOR_ERROR_CODE_SESSION_NOT_FOUND, "x");
  g_assert_cmpint (kantor_error_code_from_gerror (proto), ==,
                   KANTOR_ERROR_CODE_SESSION_NOT_FOUND);
  json = g_error_new_literal (JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE, "x");
  g_assert_cmpint (kantor_error_code_from_gerror (json), ==, KANTOR_ERROR_CODE_INVALID_JSON);
}

static const KantorRouteField sample_fields[] = {
  { "session_type", KANTOR_FIELD_STRING, TRUE },
  { "strategy_config", KANTOR_FIELD_OBJECT, TRUE, KANTOR_ERROR_CODE_MISSING_STRATEGY_CONFIG },
  { "speed", KANTOR_FIELD_NUMBER, FALSE },
  { "count", KANTOR_FIELD_INTEGER, FALSE },
  { NULL }
};
static const KantorRoute sample_route = {
  "sample", NULL, KANTOR_ROUTE_DEFAULT, sample_fields, "the sample service"
};

static void
check_fields (const char      *text,
              gboolean         ok,
              KantorErrorCode  code,
              const char      *field)
{
  g_autoptr(JsonNode) node = parse (text);
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = NULL;
  gboolean result;

  result = kantor_router_check_fields (&sample_route, json_node_get_object (node), &bad, &error);
  if (ok)
    {
      g_assert_no_error (error);
      g_assert_true (result);
      return;
    }
  g_assert_false (result);
  g_assert_error (error, KANTOR_PROTOCOL_ERROR, (gint) code);
  g_assert_cmpstr (bad, ==, field);
}

static void
test_router_fields (void)
{
  g_autoptr(KantorRouter) router = kantor_router_new ();
  g_auto(GStrv) handled = NULL;

  check_fields ("{\"type\":\"sample\",\"id\":1,\"session_type\":\"paper\","
                "\"strategy_config\":{}}", TRUE, 0, NULL);
  check_fields ("{\"session_type\":\"paper\",\"strategy_config\":{},\"speed\":2,\"count\":3}",
                TRUE, 0, NULL);
  check_fields ("{\"session_type\":\"paper\",\"strategy_config\":{},\"speed\":null}",
                TRUE, 0, NULL);
  check_fields ("{\"strategy_config\":{}}", FALSE, KANTOR_ERROR_CODE_VALIDATION_ERROR,
                "session_type");
  check_fields ("{\"session_type\":\"paper\"}", FALSE, KANTOR_ERROR_CODE_MISSING_STRATEGY_CONFIG,
                "strategy_config");
  check_fields ("{\"session_type\":\"paper\",\"strategy_config\":null}", FALSE,
                KANTOR_ERROR_CODE_MISSING_STRATEGY_CONFIG, "strategy_config");
  check_fields ("{\"session_type\":5,\"strategy_config\":{}}", FALSE,
                KANTOR_ERROR_CODE_VALIDATION_ERROR, "session_type");
  check_fields ("{\"session_type\":\"p\",\"strategy_config\":[]}", FALSE,
                KANTOR_ERROR_CODE_VALIDATION_ERROR, "strategy_config");
  check_fields ("{\"session_type\":\"p\",\"strategy_config\":{},\"count\":1.5}", FALSE,
                KANTOR_ERROR_CODE_VALIDATION_ERROR, "count");
  check_fields ("{\"session_type\":\"p\",\"strategy_config\":{},\"speed\":\"fast\"}", FALSE,
                KANTOR_ERROR_CODE_VALIDATION_ERROR, "speed");
  check_fields ("{\"session_type\":\"p\",\"strategy_config\":{},\"colour\":\"red\"}", FALSE,
                KANTOR_ERROR_CODE_VALIDATION_ERROR, "colour");

  kantor_router_add (router, &sample_route, NULL);
  g_assert_nonnull (kantor_router_lookup (router, "sample"));
  g_assert_null (kantor_router_lookup (router, "other"));
  handled = kantor_router_dup_handled_types (router);
  g_assert_cmpuint (g_strv_length (handled), ==, 0);
  g_assert_false (kantor_router_set_handler (router, "other", NULL, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/api/json/format-double", test_format_double);
  g_test_add_func ("/kantor/api/json/format-double-roundtrip", test_format_double_roundtrip);
  g_test_add_func ("/kantor/api/json/to-string", test_to_string);
  g_test_add_func ("/kantor/api/json/check-input", test_check_input);
  g_test_add_func ("/kantor/api/envelope/timestamp", test_timestamp);
  g_test_add_func ("/kantor/api/envelope/ids", test_ids);
  g_test_add_func ("/kantor/api/envelope/messages", test_messages);
  g_test_add_func ("/kantor/api/envelope/error-table", test_error_table);
  g_test_add_func ("/kantor/api/router/fields", test_router_fields);

  return g_test_run ();
}
