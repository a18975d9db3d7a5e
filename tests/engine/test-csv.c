/* test-csv.c: the strict CSV reader and number parsers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kantor-csv.h"

/* An endless line of digits, counting what was read: stands in for a file
 * holding one gigantic line without writing it anywhere. */
#define TEST_TYPE_ENDLESS_STREAM (test_endless_stream_get_type ())
G_DECLARE_FINAL_TYPE (TestEndlessStream, test_endless_stream, TEST, ENDLESS_STREAM, GInputStream)

struct _TestEndlessStream
{
  GInputStream parent_instance;
  guint64      prefix_left;  /* bytes of the header line still to send */
  guint64      bytes_read;
};

G_DEFINE_FINAL_TYPE (TestEndlessStream, test_endless_stream, G_TYPE_INPUT_STREAM)

static const char endless_prefix[] = "timestamp,price\n";

static gssize
test_endless_stream_read (GInputStream  *stream,
                          void          *buffer,
                          gsize          count,
                          GCancellable  *cancellable,
                          GError       **error)
{
  TestEndlessStream *self = TEST_ENDLESS_STREAM (stream);
  char *out = buffer;
  gsize i;

  for (i = 0; i < count; i++)
    {
      if (self->prefix_left > 0)
        {
          out[i] = endless_prefix[sizeof endless_prefix - 1 - self->prefix_left];
          self->prefix_left--;
        }
      else
        out[i] = '7';
    }
  self->bytes_read += count;

  return count;
}

static void
test_endless_stream_class_init (TestEndlessStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = test_endless_stream_read;
}

static void
test_endless_stream_init (TestEndlessStream *self)
{
  self->prefix_left = sizeof endless_prefix - 1;
}

static KantorCsvReader *
reader_for_text (const char *text)
{
  g_autoptr(GInputStream) stream = NULL;

  stream = g_memory_input_stream_new_from_data (g_strdup (text), strlen (text), g_free);
  return kantor_csv_reader_new (stream, "mem.csv");
}

static void
assert_parses_like_strtod (const char *text)
{
  double ours = -1, theirs;
  char *end = NULL;

  theirs = g_ascii_strtod (text, &end);
  g_assert_true (*end == '\0');
  if (!kantor_csv_parse_double (text, strlen (text), &ours))
    g_error ("refused %s", text);
  /* Bit for bit, the sign of zero included. */
  if (memcmp (&ours, &theirs, sizeof ours) != 0)
    g_error ("%s: %.17g != strtod's %.17g", text, ours, theirs);
}

static void
test_parse_double_exact (void)
{
  static const char * const fixed[] = {
    "0", "-0", "0.0", "1", "-1", "0.1", "0.2", "0.3", "50002.79", "50002.790000000001",
    "9007199254740992", "9007199254740993", "9007199254740991.5", "1.7976931348623157e308",
    "4.9e-324", "2.2250738585072014e-308", "123456789012345678901234567890",
    "0.000000000000000000000000001", "1e22", "1e23", "0.1e-5", "3.14159265358979323846",
    "99999999999999999999", "0.30000000000000004", "1234567.000000000000000000001",
    "1E5", "1e+5", "1e-5", "00012.5000", "0.00000123", "1700000000.123",
    "18446744073709551615", "18446744073709551616", "9999999999999999999.9",
    NULL
  };
  guint i;

  for (i = 0; fixed[i] != NULL; i++)
    assert_parses_like_strtod (fixed[i]);

  /* Random decimals of every shape the fast path sees, and beyond it. */
  for (i = 0; i < 200000; i++)
    {
      char buf[64];
      guint n_digits = g_test_rand_int_range (1, 24);
      guint point = g_test_rand_int_range (0, n_digits + 1);
      guint j, k = 0;

      if (g_test_rand_bit ())
        buf[k++] = '-';
      for (j = 0; j < n_digits; j++)
        {
          if (j == point && j > 0)
            buf[k++] = '.';
          buf[k++] = '0' + g_test_rand_int_range (0, 10);
        }
      buf[k] = '\0';
      assert_parses_like_strtod (buf);
    }

  /* Doubles printed with 17 digits read back to themselves. */
  for (i = 0; i < 50000; i++)
    {
      char buf[64];
      double v = g_test_rand_double_range (0, 1e6), back;

      g_snprintf (buf, sizeof buf, "%.*f", g_test_rand_int_range (0, 12), v);
      assert_parses_like_strtod (buf);
      g_snprintf (buf, sizeof buf, "%.17g", v);
      g_assert_true (kantor_csv_parse_double (buf, strlen (buf), &back));
      g_assert_cmpfloat (back, ==, v);
    }
}

static void
test_parse_double_strict (void)
{
  static const char * const bad[] = {
    "", "-", ".5", "5.", "+1", " 1", "1 ", "nan", "NaN", "inf", "-inf", "Infinity", "1e",
    "1e+", "0x10", "1.2.3", "1,5", "--1", "1-", "e5", "1.e5", "abc", "12a", "1_000",
    NULL
  };
  double v;
  guint i;

  for (i = 0; bad[i] != NULL; i++)
    {
      if (kantor_csv_parse_double (bad[i], strlen (bad[i]), &v))
        g_error ("accepted \"%s\"", bad[i]);
    }

  /* The length bounds the field: no reading past it. */
  g_assert_true (kantor_csv_parse_double ("12345", 3, &v));
  g_assert_cmpfloat (v, ==, 123);
}

static void
test_scan (void)
{
  guint i;

  /* Lines of random numbers of every length, scanned in one pass, give
   * exactly what strtod gives for each field. No allocation per line: the
   * sanitizer pass stays fast. */
  for (i = 0; i < 40000; i++)
    {
      char line[256];
      char texts[5][48];
      guint n_fields = g_test_rand_int_range (1, 6), f;
      gsize len = 0;
      const char *p, *end;

      for (f = 0; f < n_fields; f++)
        {
          guint n_int = g_test_rand_int_range (1, 22);
          guint n_frac = g_test_rand_int_range (0, 14);
          guint j, k = 0;

          if (g_test_rand_int_range (0, 4) == 0)
            texts[f][k++] = '-';
          for (j = 0; j < n_int; j++)
            texts[f][k++] = '0' + g_test_rand_int_range (0, 10);
          if (n_frac > 0)
            texts[f][k++] = '.';
          for (j = 0; j < n_frac; j++)
            texts[f][k++] = '0' + g_test_rand_int_range (0, 10);
          texts[f][k] = '\0';

          if (f > 0)
            line[len++] = ',';
          memcpy (line + len, texts[f], k);
          len += k;
        }
      line[len] = '\0';

      p = line;
      end = line + len;
      for (f = 0; f < n_fields; f++)
        {
          double ours, theirs = g_ascii_strtod (texts[f], NULL);

          if (f > 0)
            {
              g_assert_true (*p == ',');
              p++;
            }
          if (!kantor_csv_scan_double (&p, end, &ours))
            g_error ("refused %s in %s", texts[f], line);
          if (memcmp (&ours, &theirs, sizeof ours) != 0)
            g_error ("%s: %.17g != strtod's %.17g", texts[f], ours, theirs);
        }
      g_assert_true (p == end);
    }

  /* Refusals leave the cursor at the end of the field. */
  {
    static const char * const bad[] = {
      "12a45678,1", "1.,1", ".5,1", "1..2,1", "--1,1", "1234567890\xc3\xa9,1", "\"1\",1", ",1",
    };

    for (i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        const char *p = bad[i];
        const char *end = bad[i] + strlen (bad[i]);
        double v;

        if (kantor_csv_scan_double (&p, end, &v))
          g_error ("accepted the first field of %s", bad[i]);
        g_assert_true (*p == ',');
      }
  }

  /* Exponents take the general path. */
  {
    const char *text = "1.5e3,2";
    const char *p = text;
    double v;
    gint64 t;

    g_assert_true (kantor_csv_scan_double (&p, text + strlen (text), &v));
    g_assert_cmpfloat (v, ==, 1500);
    g_assert_true (*p == ',');

    text = "1700000000.123,5";
    p = text;
    g_assert_true (kantor_csv_scan_seconds_ms (&p, text + strlen (text), &t));
    g_assert_cmpint (t, ==, G_GINT64_CONSTANT (1700000000123));
    g_assert_cmpstr (p, ==, ",5");
  }
}

/* Random fields, valid or nearly so, at every offset of a line and with
 * or without room after them: the one-pass scanners (which read eight
 * bytes at a time where they can) must agree with the field parsers on
 * what they accept, the value to the bit and where they stop. */
static void
random_field (char  *text,
              guint  max_len,
              guint *len)
{
  static const char alphabet[] = "0123456789012345678901234567890123456789..-e+ x";
  guint n = g_test_rand_int_range (0, (gint) max_len + 1);

  for (guint i = 0; i < n; i++)
    {
      char c = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];

      /* Mostly well-formed: digits with at most one point. */
      if (g_test_rand_int_range (0, 8) != 0 && (c < '0' || c > '9'))
        c = (i > 0 && i + 1 < n && memchr (text, '.', i) == NULL) ? '.' : '7';
      text[i] = c;
    }
  *len = n;
}

static void
test_scan_agrees (void)
{
  guint rounds = g_test_slow () ? 2000000 : 200000;

  for (guint r = 0; r < rounds; r++)
    {
      char line[64];
      char field[24];
      guint pad = g_test_rand_int_range (0, 12);
      guint lead = g_test_rand_int_range (0, 3);
      guint len, total;
      gboolean seconds = r % 2 == 1;
      const char *p, *end;
      gboolean ok_scan, ok_parse;

      random_field (field, 20, &len);
      /* Some fields before this one, its text, then ",..." or the end. */
      memset (line, '9', lead);
      memcpy (line + lead, field, len);
      total = lead + len;
      if (pad > 0)
        {
          line[total] = ',';
          memset (line + total + 1, '5', pad - 1);
          total += pad;
        }
      line[total] = '\0';
      end = line + total;
      p = line + lead;

      if (seconds)
        {
          gint64 a = -1, b = -2;
          const char *comma = memchr (line + lead, ',', total - lead);
          gsize field_len = (comma != NULL ? comma : end) - (line + lead);

          ok_scan = kantor_csv_scan_seconds_ms (&p, end, &a);
          ok_parse = kantor_csv_parse_seconds_ms (line + lead, field_len, &b);
          if (ok_scan != ok_parse || (ok_scan && a != b))
            g_error ("\"%s\" from %u: scan %d %" G_GINT64_FORMAT ", parse %d %" G_GINT64_FORMAT,
                     line, lead, ok_scan, a, ok_parse, b);
          if (ok_scan)
            g_assert_true (p == line + lead + field_len);
        }
      else
        {
          double a = -1, b = -2;
          const char *comma = memchr (line + lead, ',', total - lead);
          gsize field_len = (comma != NULL ? comma : end) - (line + lead);

          ok_scan = kantor_csv_scan_double (&p, end, &a);
          ok_parse = kantor_csv_parse_double (line + lead, field_len, &b);
          if (ok_scan != ok_parse || (ok_scan && memcmp (&a, &b, sizeof a) != 0))
            g_error ("\"%s\" from %u: scan %d %.17g, parse %d %.17g",
                     line, lead, ok_scan, a, ok_parse, b);
          if (ok_scan)
            g_assert_true (p == line + lead + field_len);
        }
    }
}

/* The padded scanners against an independent reading of the same text:
 * which shapes they must take, and for what they take, the same double
 * as strtod() for the same bytes, whatever follows them. */
static gsize
count_digits (const char *p)
{
  gsize n = 0;

  while (g_ascii_isdigit (p[n]))
    n++;
  return n;
}

static void
random_decimal_text (char  *text,
                     gsize *len)
{
  static const char * const edges[] = {
    "0", "0.0", "00", "0.00000001", "1", "1.", ".5", "-1.5", "-0", "1e-8", "1E5", "+1",
    "0000000.1", "1234567", "12345678", "9999999.9999999", "1234567.1234567",
    "1234567.12345678", "1.2345678901234", "1.23456789012345", "0.0000000000001",
    "9007199254.740993", "4503599.627370497", "1.5.3", "12,5", "2970.697", "0.03307",
    "50002.79", "0.1", "0.3", "7.", "", "..", "1..2",
  };
  static const char junk[] = "0123456789.-+eE x,";
  gsize k = 0;
  guint mode = g_test_rand_int_range (0, 10);

  if (mode == 0)
    {
      const char *edge = edges[g_test_rand_int_range (0, G_N_ELEMENTS (edges))];

      k = strlen (edge);
      memcpy (text, edge, k);
    }
  else if (mode == 1)
    {
      guint n = g_test_rand_int_range (0, 20);

      for (; k < n; k++)
        text[k] = junk[g_test_rand_int_range (0, sizeof junk - 1)];
    }
  else if (mode == 2)
    {
      /* Long: a product of two decimals printed in full, or more. */
      guint n_int = g_test_rand_int_range (0, 24);
      guint n_frac = g_test_rand_int_range (0, 24);

      for (guint j = 0; j < n_int; j++)
        text[k++] = '0' + g_test_rand_int_range (0, 10);
      text[k++] = '.';
      for (guint j = 0; j < n_frac; j++)
        text[k++] = '0' + g_test_rand_int_range (0, 10);
    }
  else
    {
      /* The common shape and just past its bounds: 1 to 9 digits, leading
       * zeros now and then, maybe a point and 0 to 12 more. */
      guint n_int = g_test_rand_int_range (1, 10);
      guint n_frac = g_test_rand_int_range (0, 13);
      gboolean zeros = g_test_rand_int_range (0, 4) == 0;

      for (guint j = 0; j < n_int; j++)
        text[k++] = zeros && j + 1 < n_int ? '0' : '0' + g_test_rand_int_range (0, 10);
      if (n_frac > 0 || g_test_rand_int_range (0, 8) == 0)
        text[k++] = '.';
      for (guint j = 0; j < n_frac; j++)
        text[k++] = '0' + g_test_rand_int_range (0, 10);
    }

  /* An exponent now and then: short ones (a shortest round-trip writer's
   * "5e-05"), longer ones, broken ones. */
  if (mode >= 2 && g_test_rand_int_range (0, 5) == 0)
    {
      guint n = g_test_rand_int_range (0, 4);

      text[k++] = g_test_rand_bit () ? 'e' : 'E';
      if (g_test_rand_bit ())
        text[k++] = g_test_rand_bit () ? '-' : '+';
      for (guint j = 0; j < n; j++)
        text[k++] = '0' + g_test_rand_int_range (0, 10);
    }
  *len = k;
}

/* The length of a short exponent at @s ("e", maybe a sign, one or two
 * digits, then no digit), 0 when there is none of that shape. */
static gsize
short_exponent (const char *s,
                int        *exponent)
{
  gsize k = 1, n;
  gboolean negative = FALSE;

  if (s[0] != 'e' && s[0] != 'E')
    return 0;
  if (s[1] == '-' || s[1] == '+')
    {
      negative = s[1] == '-';
      k++;
    }
  n = count_digits (s + k);
  if (n < 1 || n > 2)
    return 0;
  *exponent = n == 1 ? s[k] - '0' : 10 * (s[k] - '0') + (s[k + 1] - '0');
  if (negative)
    *exponent = -*exponent;
  return k + n;
}

/* @text followed by a terminator, then bytes that must not matter (digits
 * included), then the padding the scanners may read. */
static void
padded_line (char       *buf,
             gsize       size,
             const char *text,
             gsize       len)
{
  static const char terminators[] = ",\n\r\0x";
  gsize i;

  g_assert_cmpuint (len + 1 + KANTOR_CSV_PADDING, <, size);
  memcpy (buf, text, len);
  buf[len] = terminators[g_test_rand_int_range (0, sizeof terminators - 1)];
  for (i = len + 1; i < size; i++)
    buf[i] = g_test_rand_int_range (0, 3) == 0 ? '.' : '0' + g_test_rand_int_range (0, 10);
}

static void
test_scan_padded_unsigned (void)
{
  guint rounds = g_test_slow () ? 10000000 : 1000000;
  guint taken = 0;

  for (guint r = 0; r < rounds; r++)
    {
      char text[64];
      char buf[96];
      char copy[96];
      const char *p, *q;
      gsize len, n_int, n_frac = 0, stop, number_end, exponent_len;
      gboolean expect, skip_expect, fast;
      int exponent = 0;
      double ours = -1, parsed = -2, theirs;
      char *endptr = NULL;

      random_decimal_text (text, &len);
      padded_line (buf, sizeof buf, text, len);

      /* The shape taken: 1 to 7 digits, then not a point, or a point and
       * 1 or more digits, 14 in all at most; then maybe a short exponent
       * that leaves the power of ten exact. */
      n_int = count_digits (buf);
      if (buf[n_int] == '.')
        n_frac = count_digits (buf + n_int + 1);
      number_end = buf[n_int] == '.' ? n_int + 1 + n_frac : n_int;
      expect = n_int >= 1 && n_int <= 7
               && (buf[n_int] != '.' || (n_frac >= 1 && n_int + n_frac <= 14));
      exponent_len = short_exponent (buf + number_end, &exponent);
      if (buf[number_end] == 'e' || buf[number_end] == 'E')
        expect = expect && exponent_len > 0 && ABS ((int) n_frac - exponent) <= 22;
#ifndef KANTOR_CSV_SWAR
      /* Without eight-byte loads there is no fast path at all. */
      expect = FALSE;
#endif

      p = buf;
      fast = kantor_csv_scan_padded_unsigned (&p, &ours);
      if (fast != expect)
        g_error ("\"%.*s\": scanned %d, expected %d", (int) len, text, fast, expect);

      /* The shape alone, whatever the number of digits: what it takes is
       * a finite number >= 0 to the field parser. */
      skip_expect = n_int >= 1 && (buf[n_int] != '.' || n_frac >= 1);
      if (buf[number_end] == 'e' || buf[number_end] == 'E')
        skip_expect = skip_expect && n_int <= 200 && exponent_len > 0;
      q = buf;
      if (kantor_csv_skip_padded_unsigned (&q))
        {
          g_assert_true (skip_expect);
          g_assert_cmpuint (q - buf, ==, number_end + exponent_len);
          g_assert_true (kantor_csv_parse_double (buf, q - buf, &parsed));
          g_assert_true (isfinite (parsed) && parsed >= 0);
        }
      else
        {
          g_assert_true (q == buf);
#ifdef KANTOR_CSV_SWAR
          g_assert_false (skip_expect);
#endif
        }

      if (!fast)
        {
          g_assert_true (p == buf);
          continue;
        }
      taken++;

      /* It stops after the digits, and the bytes it read past them did not
       * count: the text up to there means the same to the field parser and
       * to strtod, to the bit. */
      stop = p - buf;
      g_assert_true (q == p);
      g_assert_cmpuint (stop, ==, number_end + exponent_len);
      g_assert_true (kantor_csv_parse_double (buf, stop, &parsed));
      memcpy (copy, buf, stop);
      copy[stop] = '\0';
      theirs = g_ascii_strtod (copy, &endptr);
      g_assert_true (endptr == copy + stop);
      if (memcmp (&ours, &theirs, sizeof ours) != 0 || memcmp (&ours, &parsed, sizeof ours) != 0)
        g_error ("%s: %.17g, strtod %.17g, parser %.17g", copy, ours, theirs, parsed);
    }
#ifdef KANTOR_CSV_SWAR
  /* Most of the random texts have the common shape. */
  g_assert_cmpuint (taken, >, rounds / 3);

  /* Under 10^300, however many digits: finite for sure. */
  {
    char big[400];
    const char *q = big;

    memset (big, '9', sizeof big);
    big[300] = ',';
    memset (big + 301, '\0', sizeof big - 301);
    g_assert_true (kantor_csv_skip_padded_unsigned (&q));
    g_assert_true (q == big + 300);
    big[300] = '9';
    q = big;
    g_assert_false (kantor_csv_skip_padded_unsigned (&q));
    g_assert_true (q == big);
  }
#endif
}

static void
test_scan_padded_seconds (void)
{
  guint rounds = g_test_slow () ? 2000000 : 300000;

  for (guint r = 0; r < rounds; r++)
    {
      char text[40];
      char buf[64];
      gsize k = 0, n_int, n_frac = 0, stop;
      guint digits = g_test_rand_int_range (0, 18);
      guint frac = g_test_rand_int_range (0, 6);
      const char *p;
      gint64 ours = -1, parsed = -2;
      gboolean expect, fast;

      for (guint j = 0; j < digits; j++)
        text[k++] = '0' + g_test_rand_int_range (0, 10);
      if (frac > 0 || g_test_rand_int_range (0, 8) == 0)
        text[k++] = '.';
      for (guint j = 0; j < frac; j++)
        text[k++] = frac == 4 && j == 3 ? '0' : '0' + g_test_rand_int_range (0, 10);
      if (g_test_rand_int_range (0, 16) == 0)
        text[g_test_rand_int_range (0, k + 1)] = "-+e x"[g_test_rand_int_range (0, 5)];
      padded_line (buf, sizeof buf, text, k);

      n_int = count_digits (buf);
      if (buf[n_int] == '.')
        n_frac = count_digits (buf + n_int + 1);
      expect = n_int >= 1 && n_int <= 15 && (buf[n_int] != '.' || (n_frac >= 1 && n_frac <= 3));
#ifndef KANTOR_CSV_SWAR
      expect = FALSE;
#endif

      p = buf;
      fast = kantor_csv_scan_padded_seconds_ms (&p, &ours);
      if (fast != expect)
        g_error ("\"%.*s\": scanned %d, expected %d", (int) k, text, fast, expect);
      if (!fast)
        {
          g_assert_true (p == buf);
          continue;
        }
      stop = p - buf;
      g_assert_cmpuint (stop, ==, buf[n_int] == '.' ? n_int + 1 + n_frac : n_int);
      g_assert_true (kantor_csv_parse_seconds_ms (buf, stop, &parsed));
      g_assert_cmpint (ours, ==, parsed);
    }
}

static void
test_reader_peek (void)
{
  g_autoptr(KantorCsvReader) reader = reader_for_text ("h\n1,2\n3,4\n5,6");
  g_autoptr(GError) error = NULL;
  const char *data, *end, *line;
  gsize len;
  guint sum = 0;

  g_assert_true (kantor_csv_reader_next_row (reader, &error));
  data = kantor_csv_reader_peek (reader, &end);
  g_assert_cmpuint (end - data, ==, strlen ("1,2\n3,4\n5,6"));
  g_assert_true (strncmp (data, "1,2\n3,4\n", 8) == 0);
  /* The padding is there to be read (the sanitizer pass checks it). */
  for (guint i = 0; i < KANTOR_CSV_PADDING; i++)
    sum += (guchar) end[i];
  g_assert_cmpuint (sum, <, 256 * KANTOR_CSV_PADDING);

  kantor_csv_reader_consume_lines (reader, 8, 2);
  g_assert_cmpuint (kantor_csv_reader_get_line_number (reader), ==, 3);
  g_assert_cmpuint (kantor_csv_reader_get_offset (reader), ==, 10);

  /* The last line has no line end: only next_line() hands it out. */
  data = kantor_csv_reader_peek (reader, &end);
  g_assert_cmpuint (end - data, ==, 3);
  g_assert_true (kantor_csv_reader_next_line (reader, &line, &len, &error));
  g_assert_cmpstr (line, ==, "5,6");
  g_assert_cmpuint (kantor_csv_reader_get_line_number (reader), ==, 4);
  g_assert_false (kantor_csv_reader_line_is_terminated (reader));
  g_assert_false (kantor_csv_reader_next_line (reader, &line, &len, &error));
  g_assert_no_error (error);
}

static void
test_parse_int64 (void)
{
  gint64 v;

  g_assert_true (kantor_csv_parse_int64 ("0", 1, &v));
  g_assert_cmpint (v, ==, 0);
  g_assert_true (kantor_csv_parse_int64 ("9223372036854775807", 19, &v));
  g_assert_cmpint (v, ==, G_MAXINT64);
  g_assert_true (kantor_csv_parse_int64 ("-9223372036854775808", 20, &v));
  g_assert_cmpint (v, ==, G_MININT64);
  g_assert_false (kantor_csv_parse_int64 ("9223372036854775808", 19, &v));
  g_assert_false (kantor_csv_parse_int64 ("-9223372036854775809", 20, &v));
  g_assert_false (kantor_csv_parse_int64 ("", 0, &v));
  g_assert_false (kantor_csv_parse_int64 ("-", 1, &v));
  g_assert_false (kantor_csv_parse_int64 ("1.0", 3, &v));
  g_assert_false (kantor_csv_parse_int64 ("+1", 2, &v));
  g_assert_false (kantor_csv_parse_int64 ("1 ", 2, &v));
  g_assert_true (kantor_csv_parse_int64 ("1700000000123", 13, &v));
  g_assert_cmpint (v, ==, G_GINT64_CONSTANT (1700000000123));
}

static void
test_parse_seconds_ms (void)
{
  static const struct { const char *text; gint64 ms; } good[] = {
    { "1700000000.123", G_GINT64_CONSTANT (1700000000123) },
    { "1700000000", G_GINT64_CONSTANT (1700000000000) },
    { "1700000000.1", G_GINT64_CONSTANT (1700000000100) },
    { "1700000000.05", G_GINT64_CONSTANT (1700000000050) },
    { "1700000000.1230", G_GINT64_CONSTANT (1700000000123) },
    { "0.001", 1 },
  };
  static const char * const bad[] = {
    "", "-1", "1700000000.", ".5", "1700000000.1234", "1.7e9", "1700000000.12a", " 1",
    "99999999999999999999",
  };
  gint64 ms;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_assert_true (kantor_csv_parse_seconds_ms (good[i].text, strlen (good[i].text), &ms));
      g_assert_cmpint (ms, ==, good[i].ms);
    }
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      if (kantor_csv_parse_seconds_ms (bad[i], strlen (bad[i]), &ms))
        g_error ("accepted \"%s\"", bad[i]);
    }
}

static void
test_reader_rows (void)
{
  g_autoptr(KantorCsvReader) reader = reader_for_text ("a,b,c\r\n1,,3\nlast,row");
  g_autoptr(GError) error = NULL;
  gsize len;

  g_assert_true (kantor_csv_reader_next_row (reader, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kantor_csv_reader_get_line_number (reader), ==, 1);
  g_assert_true (kantor_csv_reader_row_equals (reader, (const char *[]) { "a", "b", "c", NULL }));
  g_assert_true (kantor_csv_reader_line_is_terminated (reader));
  g_assert_false (kantor_csv_reader_row_equals (reader, (const char *[]) { "a", "b", NULL }));
  g_assert_false (kantor_csv_reader_row_equals (reader,
                                                (const char *[]) { "a", "b", "c", "d", NULL }));

  g_assert_true (kantor_csv_reader_next_row (reader, &error));
  g_assert_cmpuint (kantor_csv_reader_get_n_fields (reader), ==, 3);
  g_assert_cmpstr (kantor_csv_reader_get_field (reader, 0, &len), ==, "1");
  g_assert_cmpuint (len, ==, 1);
  g_assert_cmpstr (kantor_csv_reader_get_field (reader, 1, &len), ==, "");
  g_assert_cmpuint (len, ==, 0);
  g_assert_cmpstr (kantor_csv_reader_get_field (reader, 2, &len), ==, "3");
  g_assert_true (kantor_csv_reader_line_is_terminated (reader));

  /* A last line without a line end is still a line, and says so. */
  g_assert_true (kantor_csv_reader_next_row (reader, &error));
  g_assert_cmpuint (kantor_csv_reader_get_line_number (reader), ==, 3);
  g_assert_cmpstr (kantor_csv_reader_get_field (reader, 1, NULL), ==, "row");
  g_assert_false (kantor_csv_reader_line_is_terminated (reader));

  g_assert_false (kantor_csv_reader_next_row (reader, &error));
  g_assert_no_error (error);
  g_assert_false (kantor_csv_reader_next_row (reader, &error));
  g_assert_no_error (error);
}

static void
test_reader_bad_lines (void)
{
  static const struct { const char *text; guint line; } cases[] = {
    { "a,b\n\n1,2\n", 2 },          /* empty line */
    { "a,b\n\"1\",2\n", 2 },        /* quoting */
    { "a,b\n1,2\n3,4\r\n\r\n", 4 }, /* a blank CRLF line */
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(KantorCsvReader) reader = reader_for_text (cases[i].text);
      g_autoptr(GError) error = NULL;
      g_autofree char *prefix = g_strdup_printf ("mem.csv:%u: ", cases[i].line);

      while (kantor_csv_reader_next_row (reader, &error))
        ;
      g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
      g_assert_true (g_str_has_prefix (error->message, prefix));
    }

  {
    /* A NUL byte inside a line. */
    static const char data[] = "a,b\n1,\0002\n";
    g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data (data, sizeof data - 1,
                                                                          NULL);
    g_autoptr(KantorCsvReader) reader = kantor_csv_reader_new (stream, "nul.csv");
    g_autoptr(GError) error = NULL;

    g_assert_true (kantor_csv_reader_next_row (reader, &error));
    g_assert_false (kantor_csv_reader_next_row (reader, &error));
    g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
    g_assert_true (g_str_has_prefix (error->message, "nul.csv:2: "));
  }

  {
    g_autoptr(GString) many = g_string_new ("1");
    g_autoptr(KantorCsvReader) reader = NULL;
    g_autoptr(GError) error = NULL;
    guint i_field;

    for (i_field = 1; i_field < KANTOR_CSV_MAX_FIELDS + 1; i_field++)
      g_string_append (many, ",1");
    reader = reader_for_text (many->str);
    g_assert_false (kantor_csv_reader_next_row (reader, &error));
    g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
  }
}

static void
test_reader_max_line (void)
{
  guint limits[] = { 8, 100, 4096, 70000 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      guint limit = limits[i];
      g_autoptr(GString) text = g_string_new ("h\n");
      g_autoptr(KantorCsvReader) reader = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *prefix = NULL;

      /* Line 2 exactly at the limit (fine), line 3 one byte over, in the
       * middle of the data and followed by more. */
      for (guint j = 0; j < limit; j++)
        g_string_append_c (text, 'a' + j % 26);
      g_string_append_c (text, '\n');
      for (guint j = 0; j < limit + 1; j++)
        g_string_append_c (text, '0' + j % 10);
      g_string_append (text, "\nnext\n");

      reader = reader_for_text (text->str);
      kantor_csv_reader_set_max_line_length (reader, limit);
      g_assert_cmpuint (kantor_csv_reader_get_max_line_length (reader), ==, limit);
      g_assert_true (kantor_csv_reader_next_row (reader, &error));
      g_assert_true (kantor_csv_reader_next_row (reader, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (strlen (kantor_csv_reader_get_field (reader, 0, NULL)), ==, limit);
      g_assert_false (kantor_csv_reader_next_row (reader, &error));
      g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_LINE_TOO_LONG);
      prefix = g_strdup_printf ("mem.csv:3: ");
      g_assert_true (g_str_has_prefix (error->message, prefix));
      /* The reader stays failed. */
      g_clear_error (&error);
      g_assert_false (kantor_csv_reader_next_row (reader, &error));
    }
}

static void
test_reader_endless_line (void)
{
  g_autoptr(TestEndlessStream) stream = g_object_new (TEST_TYPE_ENDLESS_STREAM, NULL);
  g_autoptr(KantorCsvReader) reader = NULL;
  g_autoptr(GError) error = NULL;

  reader = kantor_csv_reader_new (G_INPUT_STREAM (stream), "endless.csv");
  g_assert_true (kantor_csv_reader_next_row (reader, &error));
  g_assert_false (kantor_csv_reader_next_row (reader, &error));
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_LINE_TOO_LONG);
  g_assert_true (g_str_has_prefix (error->message, "endless.csv:2: "));
  /* Refused soon after the limit, not after reading the whole line. */
  g_assert_cmpuint (stream->bytes_read, >, KANTOR_CSV_DEFAULT_MAX_LINE_LENGTH);
  g_assert_cmpuint (stream->bytes_read, <=, 4 * KANTOR_CSV_DEFAULT_MAX_LINE_LENGTH);
}

static guint
field_length (guint i)
{
  return i < 600 ? i % 50 : i * 131 % 5000;
}

static void
test_reader_block_boundaries (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(KantorCsvReader) reader = NULL;
  g_autoptr(GError) error = NULL;
  guint64 expected_line = 0;
  guint i;

  /* Short lines, then lines of up to 5000 bytes, so that lines straddle
   * the reader's block boundaries in every way. */
  for (i = 0; i < 1200; i++)
    {
      g_string_append_printf (text, "%u,", i);
      for (guint j = 0; j < field_length (i); j++)
        g_string_append_c (text, 'y');
      g_string_append_c (text, '\n');
    }

  reader = reader_for_text (text->str);
  while (kantor_csv_reader_next_row (reader, &error))
    {
      gint64 n;
      gsize len;
      const char *first = kantor_csv_reader_get_field (reader, 0, &len);

      g_assert_true (kantor_csv_parse_int64 (first, len, &n));
      g_assert_cmpint (n, ==, (gint64) expected_line);
      expected_line++;
      g_assert_cmpuint (kantor_csv_reader_get_line_number (reader), ==, expected_line);
      kantor_csv_reader_get_field (reader, 1, &len);
      g_assert_cmpuint (len, ==, field_length (n));
      /* Every line ends with its '\n', wherever the block boundaries fall. */
      g_assert_true (kantor_csv_reader_line_is_terminated (reader));
    }
  g_assert_no_error (error);
  g_assert_cmpuint (expected_line, ==, 1200);
  g_assert_cmpuint (kantor_csv_reader_get_offset (reader), ==, text->len);
}

static void
test_reader_field_errors (void)
{
  g_autoptr(KantorCsvReader) reader = reader_for_text ("x,1.5,abc,12\n");
  g_autoptr(GError) error = NULL;
  double d;
  gint64 i;

  g_assert_true (kantor_csv_reader_next_row (reader, &error));
  g_assert_true (kantor_csv_reader_get_double (reader, 1, "price", &d, &error));
  g_assert_cmpfloat (d, ==, 1.5);
  g_assert_true (kantor_csv_reader_get_int64 (reader, 3, "id", &i, &error));
  g_assert_cmpint (i, ==, 12);
  g_assert_false (kantor_csv_reader_get_double (reader, 2, "volume", &d, &error));
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
  g_assert_cmpstr (error->message, ==, "mem.csv:1: volume is not a decimal number: \"abc\"");
  g_clear_error (&error);
  g_assert_false (kantor_csv_reader_get_int64 (reader, 1, "id", &i, &error));
  g_assert_cmpstr (error->message, ==, "mem.csv:1: id is not an integer: \"1.5\"");
}

static void
test_reader_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "nope.csv", NULL);
  KantorCsvReader *reader = kantor_csv_reader_new_for_path (path, &error);

  g_assert_null (reader);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nope.csv"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/csv/parse-double/exact", test_parse_double_exact);
  g_test_add_func ("/kantor/engine/csv/parse-double/strict", test_parse_double_strict);
  g_test_add_func ("/kantor/engine/csv/parse-int64", test_parse_int64);
  g_test_add_func ("/kantor/engine/csv/scan", test_scan);
  g_test_add_func ("/kantor/engine/csv/scan-agrees", test_scan_agrees);
  g_test_add_func ("/kantor/engine/csv/parse-seconds-ms", test_parse_seconds_ms);
  g_test_add_func ("/kantor/engine/csv/scan-padded/unsigned", test_scan_padded_unsigned);
  g_test_add_func ("/kantor/engine/csv/scan-padded/seconds", test_scan_padded_seconds);
  g_test_add_func ("/kantor/engine/csv/reader/peek", test_reader_peek);
  g_test_add_func ("/kantor/engine/csv/reader/rows", test_reader_rows);
  g_test_add_func ("/kantor/engine/csv/reader/bad-lines", test_reader_bad_lines);
  g_test_add_func ("/kantor/engine/csv/reader/max-line", test_reader_max_line);
  g_test_add_func ("/kantor/engine/csv/reader/endless-line", test_reader_endless_line);
  g_test_add_func ("/kantor/engine/csv/reader/block-boundaries", test_reader_block_boundaries);
  g_test_add_func ("/kantor/engine/csv/reader/field-errors", test_reader_field_errors);
  g_test_add_func ("/kantor/engine/csv/reader/missing-file", test_reader_missing_file);

  return g_test_run ();
}
