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
/* Readable bytes after the NUL that ends a line handed out by the reader
 * (their values are unspecified): the padded scanners below load eight
 * bytes at a time without checking where the line ends. */
#define KANTOR_CSV_PADDING                 16

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
 * (NUL-terminated in place, without its line end, and followed by
 * KANTOR_CSV_PADDING readable bytes), with the same errors
 * except those about fields. A caller that parses the line in one pass with
 * the kantor_csv_scan_*() functions splits it only to report an error. */
gboolean         kantor_csv_reader_next_line           (KantorCsvReader  *self,
                                                        const char      **line,
                                                        gsize            *length,
                                                        GError          **error);
/* For callers that parse the rows themselves, line end included: the
 * buffered data not yet consumed, from the start of the next line to
 * *@end (which KANTOR_CSV_PADDING readable bytes follow). It may hold no
 * complete line. A caller that finds some, each at most the maximum line
 * length long and ended by '\n', consumes them (@length bytes, the last
 * one a '\n', in @n_lines lines) with kantor_csv_reader_consume_lines();
 * otherwise it calls kantor_csv_reader_next_line(), which reads on and
 * reports what is wrong. Nothing is NUL-terminated here. */
const char      *kantor_csv_reader_peek                (KantorCsvReader  *self,
                                                        const char      **end);
void             kantor_csv_reader_consume_lines       (KantorCsvReader  *self,
                                                        gsize             length,
                                                        guint             n_lines);
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

/* The end of kantor_csv_scan_padded_unsigned() when an exponent follows
 * the @end bytes of digits (with @n_frac decimals, worth @mantissa) at
 * *@cursor. */
gboolean         kantor_csv_scan_padded_exponent_tail  (const char      **cursor,
                                                        guint             end,
                                                        guint64           mantissa,
                                                        guint             n_frac,
                                                        double           *value);

/* Padded scanners: the fast paths of a replay's hot loop, for text that
 * KANTOR_CSV_PADDING readable bytes follow (a line from the reader). They
 * read the field at *@cursor up to the first byte that is neither a digit
 * nor its decimal point and leave *@cursor on that byte; the caller checks
 * that it is the ',' or the end of the line. Each returns FALSE, changing
 * nothing, on anything but the common shape (no sign, no exponent, a
 * bounded number of digits); kantor_csv_parse_double() and
 * kantor_csv_parse_seconds_ms() then decide. What they accept, those
 * accept too, with the same value to the bit. */
#ifdef KANTOR_CSV_SWAR
static const guint64 kantor_csv_powers_of_ten[] = {
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};
static const double kantor_csv_exact_powers_of_ten[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

#define KANTOR_CSV_HIGH_BITS G_GUINT64_CONSTANT (0x8080808080808080)

/* 0x80 in every byte of @x that is not an ASCII digit, and only there:
 * unlike kantor_csv_digit_run8(), no borrow or carry crosses a byte, so
 * the flags after the first one are right too (the end of a fraction is
 * found in the same word as its point). */
static inline guint64
kantor_csv_nondigits8 (guint64 x)
{
  /* Bit 7 of each byte: the low seven bits are under '0' ... */
  guint64 below = ~((x | KANTOR_CSV_HIGH_BITS) - G_GUINT64_CONSTANT (0x3030303030303030));
  /* ... or over '9' ... */
  guint64 above = (x & ~KANTOR_CSV_HIGH_BITS) + G_GUINT64_CONSTANT (0x4646464646464646);

  /* ... or the byte is not ASCII at all. */
  return (below | above | x) & KANTOR_CSV_HIGH_BITS;
}

/* After a number's digits at *@p: "e" or "E", maybe a sign, one or two
 * digits (as a shortest round-trip writer prints small numbers, "5e-05").
 * Moves *@p past it; FALSE on any other exponent. */
static inline gboolean
kantor_csv_scan_padded_exponent (const char **p,
                                 int         *exponent)
{
  const char *q = *p + 1;
  gboolean negative = *q == '-';
  int e;

  q += negative || *q == '+';
  if ((guint) (q[0] - '0') >= 10)
    return FALSE;
  e = q[0] - '0';
  if ((guint) (q[1] - '0') < 10)
    {
      e = 10 * e + (q[1] - '0');
      q++;
      if ((guint) (q[1] - '0') < 10)
        return FALSE;
    }
  *exponent = negative ? -e : e;
  *p = q + 1;
  return TRUE;
}
#endif

/* 1 to 7 digits, maybe a point and more digits, at most 14 in all, maybe
 * a short exponent: the mantissa stays under 2^53 and, exponent and
 * decimals together, the power of ten is exact, so one correctly rounded
 * division or multiplication gives what strtod() gives (Clinger). A field
 * of up to eight bytes is read as one word, the point dropped from it
 * with a shift. */
G_ALWAYS_INLINE static inline gboolean
kantor_csv_scan_padded_unsigned (const char **cursor,
                                 double      *value)
{
#ifdef KANTOR_CSV_SWAR
  const char *p = *cursor;
  guint64 x = kantor_csv_load8 (p);
  guint64 flags = kantor_csv_nondigits8 (x);
  guint64 low, digits, mantissa;
  guint n, end, n_frac;

  if (G_UNLIKELY (flags == 0))
    return FALSE;
  n = (guint) __builtin_ctzll (flags) >> 3;
  if (G_UNLIKELY (n == 0))
    return FALSE;
  if (p[n] != '.')
    {
      mantissa = kantor_csv_digits_value8 (x, n);
      if (G_LIKELY ((p[n] | 0x20) != 'e'))
        {
          *value = (double) (gint64) mantissa;
          *cursor = p + n;
          return TRUE;
        }
      end = n;
      n_frac = 0;
      goto exponent;
    }

  /* The digits before the point, then those after it, in one word. */
  low = (G_GUINT64_CONSTANT (1) << (8 * n)) - 1;
  digits = (x & low) | ((x >> 8) & ~low);
  flags &= flags - 1;
  if (G_LIKELY (flags != 0))
    {
      end = (guint) __builtin_ctzll (flags) >> 3;
      n_frac = end - n - 1;
      if (G_UNLIKELY (n_frac == 0))
        return FALSE;
      mantissa = kantor_csv_digits_value8 (digits, end - 1);
    }
  else if ((guint) (p[8] - '0') >= 10)
    {
      /* Eight bytes exactly ("2970.697"): the fraction ends with the word. */
      end = 8;
      n_frac = 7 - n;
      if (G_UNLIKELY (n_frac == 0))
        return FALSE;
      mantissa = kantor_csv_digits_value8 (digits, 7);
    }
  else
    {
      /* The fraction goes on in the next word. */
      guint64 y = kantor_csv_load8 (p + 8);
      guint more;

      /* At least one digit there (p[8]), at most seven. */
      flags = kantor_csv_nondigits8 (y);
      if (G_UNLIKELY (flags == 0))
        return FALSE;
      more = (guint) __builtin_ctzll (flags) >> 3;
      end = 8 + more;
      n_frac = end - n - 1;
      mantissa = kantor_csv_digits_value8 (digits, 7) * kantor_csv_powers_of_ten[more]
                 + kantor_csv_digits_value8 (y, more);
    }
  if (G_LIKELY ((p[end] | 0x20) != 'e'))
    {
      *value = (double) (gint64) mantissa / kantor_csv_exact_powers_of_ten[n_frac];
      *cursor = p + end;
      return TRUE;
    }

exponent:
  /* Rare enough to stay out of the inlined loop. */
  return kantor_csv_scan_padded_exponent_tail (cursor, end, mantissa, n_frac, value);
#else
  return FALSE;
#endif
}

#ifdef KANTOR_CSV_SWAR
/* The length of the run of digits at @p, however long: the padding (or
 * the end of the line) stops it. */
static inline gsize
kantor_csv_padded_digit_run (const char *p)
{
  const char *q = p;
  guint64 flags;

  while ((flags = kantor_csv_nondigits8 (kantor_csv_load8 (q))) == 0)
    q += 8;
  return (gsize) (q - p) + ((guint) __builtin_ctzll (flags) >> 3);
}
#endif

/* Digits, maybe a point and more digits, maybe a short exponent, checked
 * without computing the value: for a column that is only validated, where
 * any such number is finite and >= 0. Unlike the value itself, the shape
 * does not depend on how many digits there are (a recorder's derived
 * columns, a price times a quantity, often have 17), up to 300 before the
 * point. */
G_ALWAYS_INLINE static inline gboolean
kantor_csv_skip_padded_unsigned (const char **cursor)
{
#ifdef KANTOR_CSV_SWAR
  const char *p = *cursor;
  gsize n = kantor_csv_padded_digit_run (p);

  if (G_UNLIKELY (n - 1 >= 300))
    return FALSE;
  p += n;
  if (*p == '.')
    {
      gsize n_frac = kantor_csv_padded_digit_run (p + 1);

      if (G_UNLIKELY (n_frac == 0))
        return FALSE;
      p += 1 + n_frac;
    }
  /* A short exponent keeps it under 10^(200 + 99) when the digits before
   * the point are at most 200. */
  if (G_UNLIKELY ((*p | 0x20) == 'e'))
    {
      int exponent;

      if (n > 200 || !kantor_csv_scan_padded_exponent (&p, &exponent))
        return FALSE;
    }
  *cursor = p;
  return TRUE;
#else
  return FALSE;
#endif
}

/* Epoch seconds of 1 to 15 digits, maybe a point and 1 to 3 more. */
G_ALWAYS_INLINE static inline gboolean
kantor_csv_scan_padded_seconds_ms (const char **cursor,
                                   gint64      *time_ms)
{
#ifdef KANTOR_CSV_SWAR
  const char *p = *cursor;
  guint64 x = kantor_csv_load8 (p), seconds;
  guint n = kantor_csv_digit_run8 (x);
  gint64 ms;

  if (n == 8)
    {
      guint64 y = kantor_csv_load8 (p + 8);
      guint64 flags = kantor_csv_nondigits8 (y);
      guint k = (guint) __builtin_ctzll (flags | KANTOR_CSV_HIGH_BITS << 56) >> 3;
      guint64 rest = flags & (flags - 1);

      /* The recorder's shape, "1700000000.123": the point and the end of
       * its decimals both in the second word, which then holds the last
       * seconds digits and the milliseconds, read as one number. */
      if (G_LIKELY (rest != 0 && ((y >> (8 * k)) & 0xff) == '.'))
        {
          static const gint64 scale[] = { 0, 100, 10, 1 };
          guint end = (guint) __builtin_ctzll (rest) >> 3;
          guint f = end - k - 1;

          if (G_LIKELY (f - 1 < 3))
            {
              guint64 low = (G_GUINT64_CONSTANT (1) << (8 * k)) - 1;
              guint64 digits = (y & low) | ((y >> 8) & ~low);

              *time_ms = (gint64) (kantor_csv_digits_value8 (x, 8)
                                   * kantor_csv_powers_of_ten[k + 3])
                         + (gint64) kantor_csv_digits_value8 (digits, k + f) * scale[f];
              *cursor = p + 8 + end;
              return TRUE;
            }
        }

      k = kantor_csv_digit_run8 (y);
      if (G_UNLIKELY (k == 8))
        return FALSE;
      seconds = kantor_csv_digits_value8 (x, 8);
      if (k > 0)
        seconds = seconds * kantor_csv_powers_of_ten[k] + kantor_csv_digits_value8 (y, k);
      p += 8 + k;
    }
  else if (G_LIKELY (n > 0))
    {
      seconds = kantor_csv_digits_value8 (x, n);
      p += n;
    }
  else
    return FALSE;

  ms = (gint64) seconds * 1000;
  if (*p == '.')
    {
      static const gint64 scale[] = { 100, 10, 1 };
      guint64 z = kantor_csv_load8 (p + 1);
      guint f = kantor_csv_digit_run8 (z);

      /* None is not a number; more than three must be zeros, which the
       * full parser checks. */
      if (G_UNLIKELY (f - 1 >= 3))
        return FALSE;
      ms += (gint64) kantor_csv_digits_value8 (z, f) * scale[f - 1];
      p += 1 + f;
    }
  *time_ms = ms;
  *cursor = p;
  return TRUE;
#else
  return FALSE;
#endif
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorCsvReader, kantor_csv_reader_free)

G_END_DECLS
