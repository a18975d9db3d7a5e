/* test-json.c: number formatting and the two JSON writers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kantor-canonical-json.h"
#include "kantor-json.h"

/* printf's "%.Pg" with the first P in 15, 16, 17 that strtod reads back:
 * what kantor_format_double() must write, done the slow, obvious way. */
static void
reference_format (double v,
                  char   buf[40])
{
  if (!isfinite (v))
    {
      strcpy (buf, "null");
      return;
    }
  if (v == floor (v) && fabs (v) < 9007199254740992.0)
    {
      snprintf (buf, 40, "%lld", (long long) v);
      return;
    }
  for (int precision = 15; precision <= 17; precision++)
    {
      snprintf (buf, 40, "%.*g", precision, v);
      if (strtod (buf, NULL) == v)
        return;
    }
}

static guint
count_digits (const char *text)
{
  guint n = 0;
  gboolean leading = TRUE;
  const char *end = text + strcspn (text, "eE");
  const char *last = end;

  /* Significant digits: no leading zeros, no trailing zeros after a point. */
  if (strchr (text, '.') != NULL && strchr (text, '.') < end)
    while (last > text && last[-1] == '0')
      last--;
  for (const char *p = text; p < last; p++)
    {
      if (*p < '0' || *p > '9')
        continue;
      if (leading && *p == '0')
        continue;
      leading = FALSE;
      n++;
    }
  return n;
}

/* Checks one value; returns TRUE when the output is shorter than the
 * reference (allowed only where it still reads back). */
static gboolean
check_one (double v)
{
  char buf[32];
  char expected[40];
  gsize len;

  memset (buf, 'x', sizeof buf);
  len = kantor_format_double (v, buf);
  g_assert_cmpuint (len, ==, strlen (buf));
  g_assert_cmpuint (len, <, 32);
  reference_format (v, expected);

  if (!isfinite (v))
    {
      g_assert_cmpstr (buf, ==, "null");
      return FALSE;
    }
  if (strtod (buf, NULL) != v)
    g_error ("%s does not read back to %.17g", buf, v);
  if (strcmp (buf, expected) == 0)
    return FALSE;

  /* printf rounds to the nearest P-digit decimal; next to a power of two
   * the other neighbour can read back where the nearest does not, and the
   * shorter form is then right. Anything else is a bug. */
  if (count_digits (buf) >= count_digits (expected))
    g_error ("%.17g: wrote %s, expected %s", v, buf, expected);
  return TRUE;
}

static void
test_format_double_examples (void)
{
  static const struct { double v; const char *text; } cases[] = {
    { 0.0, "0" },
    { -0.0, "0" },
    { 5.0, "5" },
    { -42.0, "-42" },
    { 0.1, "0.1" },
    { -0.5, "-0.5" },
    { 123.456, "123.456" },
    { 0.1 + 0.2, "0.30000000000000004" },
    { 1.0 / 3.0, "0.3333333333333333" },
    { 2.0 / 3.0, "0.6666666666666666" },
    { 1e-5, "1e-05" },
    { 1.5e-5, "1.5e-05" },
    { 0.0001, "0.0001" },
    { 0.000123, "0.000123" },
    { 1e-7, "1e-07" },
    { 2.5e-300, "2.5e-300" },
    { 4.9e-324, "4.94065645841247e-324" },
    { 1e21, "1e+21" },
    { 9007199254740992.0, "9007199254740992" },
    { 9007199254740994.0, "9007199254740994" },
    { 1e15 + 0.5, "1000000000000000.5" },
    { 123456789012.345, "123456789012.345" },
    { 99999.999999999999, "100000" },
    { 0.000099999999999999999, "0.0001" },
    { 1.7976931348623157e308, "1.7976931348623157e+308" },
    { 27123.45, "27123.45" },
    { 0.00000001, "1e-08" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      char buf[32];
      gsize len = kantor_format_double (cases[i].v, buf);

      g_assert_cmpstr (buf, ==, cases[i].text);
      g_assert_cmpuint (len, ==, strlen (cases[i].text));
    }

  {
    char buf[32];

    kantor_format_double (NAN, buf);
    g_assert_cmpstr (buf, ==, "null");
    kantor_format_double (-INFINITY, buf);
    g_assert_cmpstr (buf, ==, "null");
  }
}

/* Uniform over bit patterns: every magnitude and the subnormals. */
static void
test_format_double_random_bits (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261125);
  guint n = g_test_slow () ? 5000000 : 300000;

  for (guint i = 0; i < n; i++)
    {
      guint64 bits = ((guint64) g_rand_int (rand) << 32) | g_rand_int (rand);
      double v;

      memcpy (&v, &bits, sizeof v);
      check_one (v);
    }
}

/* Where prices, quantities and indicator values live: log-uniform between
 * 1e-9 and 1e17, arbitrary doubles and decimals with few digits. */
static void
test_format_double_random_range (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1125);
  guint n = g_test_slow () ? 20000000 : 1000000;
  guint shorter = 0;

  for (guint i = 0; i < n; i++)
    {
      double v = pow (10, g_rand_double_range (rand, -9, 17));

      if (i % 3 == 1)
        {
          /* A decimal with up to 8 places, as exchanges quote them. */
          int places = g_rand_int_range (rand, 0, 9);

          v = round (v * pow (10, places)) / pow (10, places);
        }
      else if (i % 3 == 2)
        {
          /* Arithmetic results: sums and ratios of short decimals. */
          v = round (v * 100) / 100 / 3.0 + 0.1;
        }
      if (g_rand_boolean (rand))
        v = -v;
      shorter += check_one (v);
    }
  g_test_message ("%u of %u shorter than printf's nearest", shorter, n);
}

/* Powers of two and their neighbours: the rounding interval is lopsided
 * there, which is where printf's nearest digits and the shortest differ. */
static void
test_format_double_powers_of_two (void)
{
  guint shorter = 0;

  for (int k = -1074; k <= 1023; k++)
    {
      double v = ldexp (1.0, k);

      shorter += check_one (v);
      check_one (nextafter (v, 0));
      check_one (nextafter (v, INFINITY));
      check_one (-v);
    }
  g_test_message ("%u powers of two shorter than printf's nearest", shorter);
}

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
test_writers (void)
{
  g_autoptr(JsonNode) node =
    parse ("{\"b\":[1,2.5,0.1,true,null,\"x\\\"y\\n\\u0001\"],\"a\":{\"z\":1e-7,\"y\":5.0},"
           "\"c\":\"é\"}");
  g_autofree char *compact = kantor_json_to_string (node);
  g_autofree char *canonical = kantor_canonical_json_to_string (node);
  g_autofree char *hash = kantor_canonical_json_sha256 (node);
  g_autofree char *expected_hash = NULL;

  /* Insertion order for one, sorted keys for the other; the same values. */
  g_assert_cmpstr (compact, ==,
                   "{\"b\":[1,2.5,0.1,true,null,\"x\\\"y\\n\\u0001\"],\"a\":{\"z\":1e-07,\"y\":5},"
                   "\"c\":\"é\"}");
  g_assert_cmpstr (canonical, ==,
                   "{\"a\":{\"y\":5,\"z\":1e-07},\"b\":[1,2.5,0.1,true,null,\"x\\\"y\\n\\u0001\"],"
                   "\"c\":\"é\"}");
  expected_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  g_assert_cmpstr (hash, ==, expected_hash);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/json/format-double/examples", test_format_double_examples);
  g_test_add_func ("/kantor/engine/json/format-double/random-bits",
                   test_format_double_random_bits);
  g_test_add_func ("/kantor/engine/json/format-double/random-range",
                   test_format_double_random_range);
  g_test_add_func ("/kantor/engine/json/format-double/powers-of-two",
                   test_format_double_powers_of_two);
  g_test_add_func ("/kantor/engine/json/writers", test_writers);

  return g_test_run ();
}
