/* kantor-csv.h: a fast, strict reader for the numeric CSV files of market data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <string.h>

#include <gio/gio.h>

#include "kantor-market-source.h"

G_BEGIN_DECLS

/* Lines longer than this are refused unless the reader is told otherwise:
 * a market-data row is a few hundred bytes at most, and a bound keeps a
 * corrupt file (or one that is a single 1 GB line) from eating memory. */
#define KANTOR_CSV_DEFAULT_MAX_LINE_LENGTH (64 * 1024)
#define KANTOR_CSV_MAX_FIELDS              64

/* Reads a stream in large blocks and splits each line at commas in place:
 * fields point into the reader's buffer (NUL-terminated) and stay valid
 * until the next call to kantor_csv_reader_next_row(); nothing is allocated
 * per line or per field. No quoting: the files it serves hold numbers and
 * plain words only, and a stray quote is a bad row. CRLF line ends are
 * accepted; a last line without a line end is read like any other (see
 * kantor_csv_reader_line_is_terminated()). */
typedef struct _KantorCsvReader KantorCsvReader;

/* @name is used in error messages ("NAME:LINE: ..."), usually the path. */
KantorCsvReader *kantor_csv_reader_new                 (GInputStream     *stream,
                                                        const char       *name);
KantorCsvReader *kantor_csv_reader_new_for_path        (const char       *path,
                                                        GError          **error);
void             kantor_csv_reader_free                (KantorCsvReader  *self);
void             kantor_csv_reader_set_max_line_length (KantorCsvReader  *self,
                                                        gsize             max_length);
gsize            kantor_csv_reader_get_max_line_length (KantorCsvReader  *self);
const char      *kantor_csv_reader_get_name            (KantorCsvReader  *self);
/* The 1-based number of the line last returned (0 before the first). */
guint64          kantor_csv_reader_get_line_number     (KantorCsvReader  *self);
/* Bytes consumed so far. */
guint64          kantor_csv_reader_get_offset          (KantorCsvReader  *self);

/* TRUE with the next row split into fields; FALSE at the end of the data
 * (@error unset) or on an error: a line over the maximum length (reported as
 * soon as the reader is past the limit, without reading the rest), an empty
 * line, a NUL byte, a quote, more than KANTOR_CSV_MAX_FIELDS fields, or a
 * read failure. */
gboolean         kantor_csv_reader_next_row            (KantorCsvReader  *self,
                                                        GError          **error);
/* The first half of kantor_csv_reader_next_row(): the next line, unsplit
 * (NUL-terminated in place, without its line end), with the same errors
 * except those about fields. A caller that parses the line in one pass with
 * the kantor_csv_scan_*() functions splits it only to report an error. */
gboolean         kantor_csv_reader_next_line           (KantorCsvReader  *self,
                                                        const char      **line,
                                                        gsize            *length,
                                                        GError          **error);
/* FALSE when the line last returned ended at the end of the data without a
 * line end: a file still being written (or cut by a crash) may end in a
 * torn row, and a caller that writes its files line by line can skip it. */
gboolean         kantor_csv_reader_line_is_terminated  (KantorCsvReader  *self);
/* Splits the line last returned by kantor_csv_reader_next_line() into
 * fields (once; later calls do nothing). */
gboolean         kantor_csv_reader_split               (KantorCsvReader  *self,
                                                        GError          **error);
guint            kantor_csv_reader_get_n_fields        (KantorCsvReader  *self);
const char      *kantor_csv_reader_get_field           (KantorCsvReader  *self,
                                                        guint             index,
                                                        gsize            *length);
/* The current row's fields and their lengths at once, for callers that
 * parse many fields per row (the hot path of a replay). */
const char * const *kantor_csv_reader_get_fields       (KantorCsvReader  *self,
                                                        const gsize     **lengths);
/* TRUE when the current row is exactly @names (a NULL-terminated array). */
gboolean         kantor_csv_reader_row_equals          (KantorCsvReader  *self,
                                                        const char * const *names);

/* Sets @error to "NAME:LINE: message" in KANTOR_SOURCE_ERROR. */
void             kantor_csv_reader_set_error           (KantorCsvReader  *self,
                                                        GError          **error,
                                                        KantorSourceError code,
                                                        const char       *format,
                                                        ...) G_GNUC_PRINTF (4, 5);
/* Field accessors that report a bad field with file, line and @what. */
gboolean         kantor_csv_reader_get_double          (KantorCsvReader  *self,
                                                        guint             index,
                                                        const char       *what,
                                                        double           *value,
                                                        GError          **error);
gboolean         kantor_csv_reader_get_int64           (KantorCsvReader  *self,
                                                        guint             index,
                                                        const char       *what,
                                                        gint64           *value,
                                                        GError          **error);

/* Strict parsers over (@str, @length), no NUL needed. Decimals: an optional
 * '-', digits, optionally '.' and digits, optionally an exponent; nothing
 * else (no spaces, '+', "nan", "inf", hex, ".5" or "5."). The result equals
 * what strtod() returns for the same text: a fast exact path (Clinger's:
 * at most 19 significant digits with a mantissa under 2^53 and a power of
 * ten under 10^23, one correctly rounded operation) and strtod() otherwise. */
gboolean         kantor_csv_parse_double               (const char       *str,
                                                        gsize             length,
                                                        double           *value);
gboolean         kantor_csv_parse_int64                (const char       *str,
                                                        gsize             length,
                                                        gint64           *value);
/* Epoch seconds with at most millisecond precision ("1700000000.123",
 * "1700000000"; further fractional digits must be zeros) to milliseconds,
 * without going through a double. */
gboolean         kantor_csv_parse_seconds_ms           (const char       *str,
                                                        gsize             length,
                                                        gint64           *time_ms);

/* One-pass variants: parse the field that starts at *@cursor and ends at
 * the next ',' or at @end, and leave *@cursor on that ',' (or @end). The
 * grammar and the results are those of the functions above. */
gboolean         kantor_csv_scan_double                (const char      **cursor,
                                                        const char       *end,
                                                        double           *value);
gboolean         kantor_csv_scan_seconds_ms            (const char      **cursor,
                                                        const char       *end,
                                                        gint64           *time_ms);

/* Inline fast paths of the one-pass scanners, eight bytes at a time. A
 * loop over the digits of market data (a handful each, of varying count)
 * pays a mispredicted branch at the end of every run; these find where a
 * run ends and what it is worth without a branch per digit, and only
 * where eight bytes are there to read. Each returns FALSE, changing
 * nothing, when the text is not of the common shape; the full scanner
 * then decides. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN && defined (__GNUC__)
#define KANTOR_CSV_SWAR 1

static inline guint64
kantor_csv_load8 (const char *p)
{
  guint64 x;

  memcpy (&x, p, sizeof x);
  return x;
}

/* How many of the eight bytes, from the first, are ASCII digits. A byte
 * below '0' sets bit 7 of x - '0' (its borrow only reaches later bytes), a
 * byte above '9' sets bit 7 of x + 0x46 or of x - '0'; digits set neither. */
static inline guint
kantor_csv_digit_run8 (guint64 x)
{
  guint64 flags = ((x - G_GUINT64_CONSTANT (0x3030303030303030))
                   | (x + G_GUINT64_CONSTANT (0x4646464646464646)))
                  & G_GUINT64_CONSTANT (0x8080808080808080);

  return flags == 0 ? 8 : (guint) __builtin_ctzll (flags) >> 3;
}

/* The value of the first @n (1 to 8) bytes of @x, all digits. */
static inline guint64
kantor_csv_digits_value8 (guint64 x,
                          guint   n)
{
  /* The digits move to the top, zeros (leading digits) fill the bottom. */
  guint64 v = (x - G_GUINT64_CONSTANT (0x3030303030303030)) << (8 * (8 - n));

  v = (v * 10) + (v >> 8);
  v = (((v & G_GUINT64_CONSTANT (0x000000FF000000FF))
        * (100 + (G_GUINT64_CONSTANT (1000000) << 32)))
       + (((v >> 16) & G_GUINT64_CONSTANT (0x000000FF000000FF))
          * (1 + (G_GUINT64_CONSTANT (10000) << 32)))) >> 32;
  return v;
}
#endif

/* Up to seven digits, maybe a point and up to seven more, then a ',' or
 * @end: at most 14 digits, so one correctly rounded division is exact
 * (Clinger), as in kantor_csv_parse_double(). The bytes from @base to
 * @end are readable: near @end the eight bytes are read from further
 * back. */
#ifdef KANTOR_CSV_SWAR
/* The eight bytes at @p, or what is left of them before @end followed by
 * zeros; FALSE when neither fits between @base and @end. */
static inline gboolean
kantor_csv_load8_in (const char *p,
                     const char *base,
                     const char *end,
                     guint64    *x)
{
  if (G_LIKELY (end - p >= 8))
    *x = kantor_csv_load8 (p);
  else if (end - base >= 8 && p < end)
    *x = kantor_csv_load8 (end - 8) >> (8 * (8 - (end - p)));
  else
    return FALSE;
  return TRUE;
}
#endif

static inline gboolean
kantor_csv_try_scan_double (const char **cursor,
                            const char  *base,
                            const char  *end,
                            double      *value)
{
#ifdef KANTOR_CSV_SWAR
  static const guint64 powers[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000 };
  static const double exact_powers[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7 };
  const char *p = *cursor;
  gboolean negative = p < end && *p == '-';
  guint64 x, mantissa;
  guint n;
  const char *q;

  p += negative;
  if (G_UNLIKELY (!kantor_csv_load8_in (p, base, end, &x)))
    return FALSE;
  n = kantor_csv_digit_run8 (x);
  if (G_UNLIKELY (n - 1 >= 7))
    return FALSE;
  q = p + n;
  if (G_LIKELY (q < end && *q == '.'))
    {
      guint64 y;
      guint m;
      double v;

      if (G_UNLIKELY (!kantor_csv_load8_in (q + 1, base, end, &y)))
        return FALSE;
      m = kantor_csv_digit_run8 (y);
      if (G_UNLIKELY (m - 1 >= 7))
        return FALSE;
      q += 1 + m;
      if (G_UNLIKELY (q != end && *q != ','))
        return FALSE;
      /* Both runs in one word when they fit: one conversion instead of
       * two and a multiply. */
      if (n + m <= 8)
        mantissa = kantor_csv_digits_value8 ((x & (G_GUINT64_CONSTANT (0xFFFFFFFFFFFFFFFF)
                                                    >> (8 * (8 - n))))
                                             | (y << (8 * n)), n + m);
      else
        mantissa = kantor_csv_digits_value8 (x, n) * powers[m]
                   + kantor_csv_digits_value8 (y, m);
      v = (double) mantissa / exact_powers[m];
      *value = negative ? -v : v;
      *cursor = q;
      return TRUE;
    }
  if (q != end && *q != ',')
    return FALSE;
  mantissa = kantor_csv_digits_value8 (x, n);
  *value = negative ? -(double) mantissa : (double) mantissa;
  *cursor = q;
  return TRUE;
#else
  return FALSE;
#endif
}

/* 1 to 15 digits, maybe a point and 1 to 3 more, then a ',' or @end. */
static inline gboolean
kantor_csv_try_scan_seconds_ms (const char **cursor,
                                const char  *end,
                                gint64      *time_ms)
{
#ifdef KANTOR_CSV_SWAR
  static const gint64 powers[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000 };
  const char *start = *cursor;
  guint64 x;
  guint n;
  gint64 seconds, millis = 0;
  int n_frac = 0;
  const char *q;

  if (G_UNLIKELY (end - start < 16))
    return FALSE;
  x = kantor_csv_load8 (start);
  n = kantor_csv_digit_run8 (x);
  if (n == 8)
    {
      guint64 y = kantor_csv_load8 (start + 8);
      guint m = kantor_csv_digit_run8 (y);

      if (G_UNLIKELY (m == 8))
        return FALSE;
      seconds = (gint64) kantor_csv_digits_value8 (x, 8);
      if (m > 0)
        seconds = seconds * powers[m] + (gint64) kantor_csv_digits_value8 (y, m);
      q = start + 8 + m;
    }
  else if (n > 0)
    {
      seconds = (gint64) kantor_csv_digits_value8 (x, n);
      q = start + n;
    }
  else
    {
      return FALSE;
    }

  if (q < end && *q == '.')
    {
      for (q++; n_frac < 3 && q < end && (guint) (*q - '0') < 10; q++, n_frac++)
        millis = millis * 10 + (*q - '0');
      /* More digits must be zeros: the full parser checks those. */
      if (n_frac == 0 || (q < end && (guint) (*q - '0') < 10))
        return FALSE;
      for (; n_frac < 3; n_frac++)
        millis *= 10;
    }
  if (q != end && *q != ',')
    return FALSE;
  *cursor = q;
  *time_ms = seconds * 1000 + millis;
  return TRUE;
#else
  return FALSE;
#endif
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorCsvReader, kantor_csv_reader_free)

G_END_DECLS
