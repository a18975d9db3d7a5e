/* kantor-csv.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kantor-csv.h"

/* Bytes asked of the stream per read. Large enough that the read call is
 * negligible per line, small enough that a source merging a hundred files
 * stays lean. */
#define READ_BLOCK (64 * 1024)

struct _KantorCsvReader
{
  GInputStream *stream;
  char         *name;
  char         *buf;
  gsize         capacity;   /* bytes of buf usable for data (one more is kept for a NUL,
                             * then KANTOR_CSV_PADDING zeros) */
  gsize         len;        /* bytes of data in buf */
  gsize         pos;        /* start of the next line */
  gsize         max_line;
  gboolean      eof;
  gboolean      failed;
  guint64       line;
  guint64       consumed;   /* bytes before buf[0] */
  char         *line_start; /* the current line, NUL-terminated */
  gsize         line_len;   /* 0 when there is no current line */
  gboolean      unterminated; /* the current line ended at the end of the data */
  guint         n_fields;
  const char   *fields[KANTOR_CSV_MAX_FIELDS];
  gsize         lengths[KANTOR_CSV_MAX_FIELDS];
};

static void
reader_alloc (KantorCsvReader *self)
{
  gsize old_size = self->buf != NULL ? self->capacity + 1 + KANTOR_CSV_PADDING : 0;
  gsize size;

  /* After moving a partial line (at most max_line bytes) to the front there
   * is always a whole block free. */
  self->capacity = MAX (self->max_line + READ_BLOCK, self->len);
  size = self->capacity + 1 + KANTOR_CSV_PADDING;
  self->buf = g_realloc (self->buf, size);
  /* Defined bytes past the data: the padded scanners read a few of them
   * (their values never change a result), and memory checkers are right
   * to flag reads of uninitialised ones. */
  if (size > old_size)
    memset (self->buf + old_size, 0, size - old_size);
}

KantorCsvReader *
kantor_csv_reader_new (GInputStream *stream,
                       const char   *name)
{
  KantorCsvReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  self = g_new0 (KantorCsvReader, 1);
  self->stream = g_object_ref (stream);
  self->name = g_strdup (name != NULL ? name : "(stream)");
  self->max_line = KANTOR_CSV_DEFAULT_MAX_LINE_LENGTH;
  reader_alloc (self);

  return self;
}

KantorCsvReader *
kantor_csv_reader_new_for_path (const char  *path,
                                GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, &local_error);
  if (stream == NULL)
    {
      g_set_error (error, KANTOR_SOURCE_ERROR,
                   g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
                   ? KANTOR_SOURCE_ERROR_NOT_FOUND : KANTOR_SOURCE_ERROR_IO,
                   "%s: %s", path, local_error->message);
      return NULL;
    }

  return kantor_csv_reader_new (G_INPUT_STREAM (stream), path);
}

void
kantor_csv_reader_free (KantorCsvReader *self)
{
  if (self == NULL)
    return;

  g_clear_object (&self->stream);
  g_free (self->name);
  g_free (self->buf);
  g_free (self);
}

void
kantor_csv_reader_set_max_line_length (KantorCsvReader *self,
                                       gsize            max_length)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (max_length > 0);

  self->max_line = max_length;
  reader_alloc (self);
}

gsize
kantor_csv_reader_get_max_line_length (KantorCsvReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_line;
}

const char *
kantor_csv_reader_get_name (KantorCsvReader *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->name;
}

guint64
kantor_csv_reader_get_line_number (KantorCsvReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->line;
}

guint64
kantor_csv_reader_get_offset (KantorCsvReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->consumed + self->pos;
}

void
kantor_csv_reader_set_error (KantorCsvReader   *self,
                             GError           **error,
                             KantorSourceError  code,
                             const char        *format,
                             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, KANTOR_SOURCE_ERROR, code, "%s:%" G_GUINT64_FORMAT ": %s",
               self->name, self->line, message);
}

static gboolean
fill (KantorCsvReader  *self,
      GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  gssize n;

  if (self->pos > 0)
    {
      memmove (self->buf, self->buf + self->pos, self->len - self->pos);
      self->len -= self->pos;
      self->consumed += self->pos;
      self->pos = 0;
    }

  n = g_input_stream_read (self->stream, self->buf + self->len, self->capacity - self->len,
                           NULL, &local_error);
  if (n < 0)
    {
      g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_IO,
                   "%s: %s", self->name, local_error->message);
      return FALSE;
    }
  if (n == 0)
    self->eof = TRUE;
  self->len += n;

  return TRUE;
}

#define ONES G_GUINT64_CONSTANT (0x0101010101010101)

/* Non-zero when a byte of @w is zero; its lowest set bit (0x80 of a byte)
 * marks the first zero byte exactly. */
static inline guint64
has_zero_byte (guint64 w)
{
  return (w - ONES) & ~w & (ONES * 0x80);
}

gboolean
kantor_csv_reader_next_line (KantorCsvReader  *self,
                             const char      **line_out,
                             gsize            *length,
                             GError          **error)
{
  char *line;
  gsize scanned = 0;
  gsize line_len;

  g_return_val_if_fail (self != NULL, FALSE);

  self->n_fields = 0;
  self->line_len = 0;
  self->unterminated = FALSE;
  if (self->failed)
    return FALSE;

  for (;;)
    {
      char *nl = memchr (self->buf + self->pos + scanned, '\n',
                         self->len - self->pos - scanned);

      if (nl != NULL)
        {
          line = self->buf + self->pos;
          line_len = nl - line;
          self->pos += line_len + 1;
          break;
        }

      scanned = self->len - self->pos;
      if (scanned > self->max_line)
        {
          self->line++;
          self->failed = TRUE;
          kantor_csv_reader_set_error (self, error, KANTOR_SOURCE_ERROR_LINE_TOO_LONG,
                                       "line longer than %" G_GSIZE_FORMAT " bytes",
                                       self->max_line);
          return FALSE;
        }

      if (self->eof)
        {
          if (scanned == 0)
            return FALSE;
          line = self->buf + self->pos;
          line_len = scanned;
          self->pos = self->len;
          self->unterminated = TRUE;
          break;
        }

      if (!fill (self, error))
        {
          self->failed = TRUE;
          return FALSE;
        }
    }

  self->line++;

  if (line_len > 0 && line[line_len - 1] == '\r')
    line_len--;
  if (line_len > self->max_line)
    {
      self->failed = TRUE;
      kantor_csv_reader_set_error (self, error, KANTOR_SOURCE_ERROR_LINE_TOO_LONG,
                                   "line longer than %" G_GSIZE_FORMAT " bytes", self->max_line);
      return FALSE;
    }
  if (line_len == 0)
    {
      kantor_csv_reader_set_error (self, error, KANTOR_SOURCE_ERROR_ROW, "empty line");
      return FALSE;
    }

  line[line_len] = '\0';   /* the byte after the line is its '\n' or '\r', or the spare byte */
  self->line_start = line;
  self->line_len = line_len;
  *line_out = line;
  *length = line_len;
  return TRUE;
}

const char *
kantor_csv_reader_peek (KantorCsvReader  *self,
                        const char      **end)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (G_UNLIKELY (self->failed))
    {
      /* Nothing to parse: the caller goes on to next_line(), which fails. */
      *end = self->buf + self->pos;
      return *end;
    }
  *end = self->buf + self->len;
  return self->buf + self->pos;
}

void
kantor_csv_reader_consume_lines (KantorCsvReader *self,
                                 gsize            length,
                                 guint            n_lines)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (length > 0 && length <= self->len - self->pos);
  g_return_if_fail (self->buf[self->pos + length - 1] == '\n');

  self->pos += length;
  self->line += n_lines;
  /* The consumed line is nobody's current line: nothing to split. */
  self->line_len = 0;
  self->n_fields = 0;
  self->unterminated = FALSE;
}

gboolean
kantor_csv_reader_line_is_terminated (KantorCsvReader *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return !self->unterminated;
}

gboolean
kantor_csv_reader_split (KantorCsvReader  *self,
                         GError          **error)
{
  char *line;
  char *end;
  char *p;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->line_len > 0, FALSE);

  if (self->n_fields > 0)
    return TRUE;

  /* One pass splits the fields in place and looks for the bytes that have
   * no business in these files. Eight bytes at a time: a word without a
   * comma, quote or NUL is skipped whole (the lowest flagged byte of a word
   * is exact; higher ones may be false alarms, hence one byte per step). */
  line = self->line_start;
  end = line + self->line_len;

  self->fields[0] = line;
  self->n_fields = 1;
  p = line;
  for (;;)
    {
      char c;

      while (end - p >= 8)
        {
          guint64 w, flags;

          memcpy (&w, p, 8);
          flags = has_zero_byte (w) | has_zero_byte (w ^ (ONES * ','))
                  | has_zero_byte (w ^ (ONES * '"'));
          if (flags != 0)
            {
              p += (guint) __builtin_ctzll (flags) / 8;
              break;
            }
          p += 8;
        }
      for (; p < end; p++)
        if (G_UNLIKELY (*p == ',' || *p == '"' || *p == '\0'))
          break;
      if (p >= end)
        break;

      c = *p;
      if (c == ',')
        {
          if (G_UNLIKELY (self->n_fields == KANTOR_CSV_MAX_FIELDS))
            {
              self->n_fields = 0;
              kantor_csv_reader_set_error (self, error, KANTOR_SOURCE_ERROR_ROW,
                                           "more than %d fields", KANTOR_CSV_MAX_FIELDS);
              return FALSE;
            }
          *p = '\0';
          self->lengths[self->n_fields - 1] = p - self->fields[self->n_fields - 1];
          self->fields[self->n_fields++] = p + 1;
          p++;
        }
      else
        {
          self->n_fields = 0;
          kantor_csv_reader_set_error (self, error, KANTOR_SOURCE_ERROR_ROW,
                                       "unexpected NUL byte or quote");
          return FALSE;
        }
    }
  self->lengths[self->n_fields - 1] = end - self->fields[self->n_fields - 1];

  return TRUE;
}

gboolean
kantor_csv_reader_next_row (KantorCsvReader  *self,
                            GError          **error)
{
  const char *line;
  gsize length;

  return kantor_csv_reader_next_line (self, &line, &length, error)
         && kantor_csv_reader_split (self, error);
}

guint
kantor_csv_reader_get_n_fields (KantorCsvReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_fields;
}

const char *
kantor_csv_reader_get_field (KantorCsvReader *self,
                             guint            index,
                             gsize           *length)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->n_fields, NULL);

  if (length != NULL)
    *length = self->lengths[index];

  return self->fields[index];
}

const char * const *
kantor_csv_reader_get_fields (KantorCsvReader  *self,
                              const gsize     **lengths)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (lengths != NULL)
    *lengths = self->lengths;
  return self->fields;
}

gboolean
kantor_csv_reader_row_equals (KantorCsvReader    *self,
                              const char * const *names)
{
  guint i;

  g_return_val_if_fail (self != NULL, FALSE);

  for (i = 0; names[i] != NULL; i++)
    {
      if (i >= self->n_fields || strcmp (self->fields[i], names[i]) != 0)
        return FALSE;
    }

  return i == self->n_fields;
}

static void
describe_field (GString    *out,
                const char *field,
                gsize       length)
{
  gsize i;

  /* Quoted and cut short: the field may be huge or binary. */
  g_string_append_c (out, '"');
  for (i = 0; i < length && i < 40; i++)
    {
      if (g_ascii_isprint (field[i]))
        g_string_append_c (out, field[i]);
      else
        g_string_append_printf (out, "\\x%02x", (guchar) field[i]);
    }
  if (length > 40)
    g_string_append (out, "...");
  g_string_append_c (out, '"');
}

static void
field_error (KantorCsvReader *self,
             GError         **error,
             guint            index,
             const char      *what,
             const char      *expected)
{
  g_autoptr(GString) text = g_string_new (NULL);

  describe_field (text, self->fields[index], self->lengths[index]);
  kantor_csv_reader_set_error (self, error, KANTOR_SOURCE_ERROR_ROW, "%s is not %s: %s",
                               what, expected, text->str);
}

gboolean
kantor_csv_reader_get_double (KantorCsvReader  *self,
                              guint             index,
                              const char       *what,
                              double           *value,
                              GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (index < self->n_fields, FALSE);

  if (G_LIKELY (kantor_csv_parse_double (self->fields[index], self->lengths[index], value)))
    return TRUE;

  field_error (self, error, index, what, "a decimal number");
  return FALSE;
}

gboolean
kantor_csv_reader_get_int64 (KantorCsvReader  *self,
                             guint             index,
                             const char       *what,
                             gint64           *value,
                             GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (index < self->n_fields, FALSE);

  if (G_LIKELY (kantor_csv_parse_int64 (self->fields[index], self->lengths[index], value)))
    return TRUE;

  field_error (self, error, index, what, "an integer");
  return FALSE;
}

static const double exact_powers_of_ten[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static gboolean
parse_double_slow (const char *str,
                   gsize       length,
                   double     *value)
{
  char stack_buf[128];
  g_autofree char *heap_buf = NULL;
  char *copy;
  char *endptr = NULL;

  if (length < sizeof stack_buf)
    copy = stack_buf;
  else
    copy = heap_buf = g_malloc (length + 1);
  memcpy (copy, str, length);
  copy[length] = '\0';

  *value = g_ascii_strtod (copy, &endptr);

  return endptr == copy + length;
}

gboolean
kantor_csv_parse_double (const char *str,
                         gsize       length,
                         double     *value)
{
  const char *p = str;
  const char *end = str + length;
  const char *digits_start;
  guint64 mantissa = 0;
  gsize n_int, n_frac = 0;
  gboolean negative = FALSE;
  double v;

  if (p < end && *p == '-')
    {
      negative = TRUE;
      p++;
    }

  /* Digits accumulate unchecked: past 19 of them the mantissa may wrap
   * (defined for unsigned types), and such numbers go to strtod anyway. */
  digits_start = p;
  for (; p < end && (guint) (*p - '0') < 10; p++)
    mantissa = mantissa * 10 + (guint) (*p - '0');
  n_int = p - digits_start;
  if (n_int == 0)
    return FALSE;

  if (p < end && *p == '.')
    {
      const char *frac_start = ++p;

      for (; p < end && (guint) (*p - '0') < 10; p++)
        mantissa = mantissa * 10 + (guint) (*p - '0');
      n_frac = p - frac_start;
      if (n_frac == 0)
        return FALSE;
    }

  if (p < end && (*p == 'e' || *p == 'E'))
    {
      const char *q = p + 1;

      if (q < end && (*q == '-' || *q == '+'))
        q++;
      if (q == end)
        return FALSE;
      for (; q < end; q++)
        if ((guint) (*q - '0') >= 10)
          return FALSE;
      /* Rare in market data: leave the exponent arithmetic to strtod. */
      return parse_double_slow (str, length, value);
    }

  if (p != end)
    return FALSE;

  /* Leading zeros count as digits here: "0.00012345" is 9 of them, far
   * from the limit, and a number with 20 digits is rare enough to take the
   * slow path even when some are leading zeros. */
  if (G_UNLIKELY (n_int + n_frac > 19 || mantissa > (G_GUINT64_CONSTANT (1) << 53)
                  || n_frac > 22))
    return parse_double_slow (str, length, value);

  v = (double) mantissa;
  if (n_frac > 0)
    v /= exact_powers_of_ten[n_frac];

  *value = negative ? -v : v;
  return TRUE;
}

gboolean
kantor_csv_parse_int64 (const char *str,
                        gsize       length,
                        gint64     *value)
{
  const char *p = str;
  const char *end = str + length;
  gboolean negative = FALSE;
  guint64 limit;
  guint64 v = 0;

  if (p < end && *p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p == end)
    return FALSE;

  limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
  for (; p < end; p++)
    {
      guint d;

      if (!g_ascii_isdigit (*p))
        return FALSE;
      d = (guint) (*p - '0');
      if (v > (limit - d) / 10)
        return FALSE;
      v = v * 10 + d;
    }

  *value = negative ? (gint64) (0 - v) : (gint64) v;
  return TRUE;
}

gboolean
kantor_csv_parse_seconds_ms (const char *str,
                             gsize       length,
                             gint64     *time_ms)
{
  const char *p = str;
  const char *end = str + length;
  gint64 seconds = 0;
  gint64 millis = 0;
  int n_frac = 0;

  if (p == end || !g_ascii_isdigit (*p))
    return FALSE;

  for (; p < end && g_ascii_isdigit (*p); p++)
    {
      if (seconds > (G_MAXINT64 / 1000 - 9) / 10)
        return FALSE;
      seconds = seconds * 10 + (*p - '0');
    }

  if (p < end && *p == '.')
    {
      p++;
      if (p == end)
        return FALSE;
      for (; p < end; p++, n_frac++)
        {
          if (!g_ascii_isdigit (*p))
            return FALSE;
          if (n_frac < 3)
            millis = millis * 10 + (*p - '0');
          else if (*p != '0')
            return FALSE;
        }
      for (; n_frac < 3; n_frac++)
        millis *= 10;
    }

  if (p != end)
    return FALSE;

  *time_ms = seconds * 1000 + millis;
  return TRUE;
}

gboolean
kantor_csv_scan_padded_exponent_tail (const char **cursor,
                                      guint        end,
                                      guint64      mantissa,
                                      guint        n_frac,
                                      double      *value)
{
#ifdef KANTOR_CSV_SWAR
  const char *q = *cursor + end;
  int exponent, scale;

  if (!kantor_csv_scan_padded_exponent (&q, &exponent))
    return FALSE;
  /* Exponent and decimals together: a power of ten that is exact. */
  scale = (int) n_frac - exponent;
  if (scale < -22 || scale > 22)
    return FALSE;
  if (scale >= 0)
    *value = (double) (gint64) mantissa / kantor_csv_exact_powers_of_ten[scale];
  else
    *value = (double) (gint64) mantissa * kantor_csv_exact_powers_of_ten[-scale];
  *cursor = q;
  return TRUE;
#else
  return FALSE;
#endif
}

/* Reads a run of digits at @p into @mantissa; returns the end of the run. */
static inline const char *
scan_digits (const char *p,
             const char *end,
             guint64    *mantissa)
{
  guint64 m = *mantissa;

  for (; p < end && (guint) (*p - '0') < 10; p++)
    m = m * 10 + (guint) (*p - '0');

  *mantissa = m;
  return p;
}

gboolean
kantor_csv_scan_double (const char **cursor,
                        const char  *end,
                        double      *value)
{
  const char *start;
  const char *p;
  const char *digits_start;
  const char *field_end;
  guint64 mantissa = 0;
  gsize n_int, n_frac = 0;
  gboolean negative = FALSE;
  double v;

  if (kantor_csv_try_scan_double (cursor, *cursor, end, value))
    return TRUE;

  start = p = *cursor;
  if (p < end && *p == '-')
    {
      negative = TRUE;
      p++;
    }

  /* Digits accumulate unchecked: past 19 of them the mantissa may wrap
   * (defined for unsigned types), and such numbers go to strtod anyway. */
  digits_start = p;
  p = scan_digits (p, end, &mantissa);
  n_int = p - digits_start;

  if (p < end && *p == '.')
    {
      const char *frac_start = ++p;

      p = scan_digits (p, end, &mantissa);
      n_frac = p - frac_start;
      if (n_frac == 0)
        goto general;
    }

  if (G_UNLIKELY (n_int == 0 || (p < end && *p != ',')))
    goto general;

  *cursor = p;
  if (G_UNLIKELY (n_int + n_frac > 19 || mantissa > (G_GUINT64_CONSTANT (1) << 53)
                  || n_frac > 22))
    return parse_double_slow (start, p - start, value);

  v = (double) mantissa;
  if (n_frac > 0)
    v /= exact_powers_of_ten[n_frac];
  *value = negative ? -v : v;
  return TRUE;

general:
  /* An exponent, or not a number: the field as a whole decides. */
  field_end = memchr (start, ',', end - start);
  if (field_end == NULL)
    field_end = end;
  *cursor = field_end;
  return kantor_csv_parse_double (start, field_end - start, value);
}

gboolean
kantor_csv_scan_seconds_ms (const char **cursor,
                            const char  *end,
                            gint64      *time_ms)
{
  const char *start = *cursor;
  const char *field_end;

  if (kantor_csv_try_scan_seconds_ms (cursor, end, time_ms))
    return TRUE;

  field_end = memchr (start, ',', end - start);

  if (field_end == NULL)
    field_end = end;
  *cursor = field_end;
  return kantor_csv_parse_seconds_ms (start, field_end - start, time_ms);
}


