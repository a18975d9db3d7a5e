/* kantor-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kantor-json.h"

G_DEFINE_QUARK (kantor-json-error-quark, kantor_json_error)

/* Doubles are written as printf's "%.Pg" would with the smallest P in 15, 16,
 * 17 that reads back to the same value. Most values that need formatting
 * (prices, quantities, indicator values) lie between 1e-6 and 1e15: for those
 * the digits are computed exactly in 128-bit integers, and whether they read
 * back is decided exactly as well, with no printf or strtod. Everything else
 * (tiny, huge, subnormal) goes through the C library. */

static gsize
format_double_libc (double v,
                    char   buf[32])
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };

  /* 15 significant digits always read back to the decimal they came from;
   * 17 always read back to the same double. Take the first that does. */
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, 32, formats[i], v);
      if (i == G_N_ELEMENTS (formats) - 1 || g_ascii_strtod (buf, NULL) == v)
        break;
    }

  return strlen (buf);
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 KantorU128;

static const guint64 pow10_u64[20] = {
  1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
  100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
  10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
  100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

static const char digit_pairs[] =
  "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
  "8081828384858687888990919293949596979899";

/* Exactly eight digits of @n (< 10^8), leading zeros included. */
static inline void
write_8_digits (char    *out,
                guint32  n)
{
  for (int k = 6; k >= 0; k -= 2)
    {
      memcpy (out + k, digit_pairs + 2 * (n % 100), 2);
      n /= 100;
    }
}

static inline KantorU128
pow10_u128 (int s)
{
  return s < 20 ? pow10_u64[s] : (KantorU128) pow10_u64[19] * pow10_u64[s - 19];
}

/* Does @m / 10^s read back to f * 2^-shift? x = f * 10^s exactly; the
 * distance between the two, scaled by 10^s * 2^shift, is x - m * 2^shift and
 * half the gap to either neighbour is 10^s / 2 on that scale (10^s / 4 below
 * a power of two, where the gap under it is half as wide). Halfway cases
 * read back to the even mantissa. */
static inline gboolean
reads_back (KantorU128 x,
            guint64    m,
            int        shift,
            int        s,
            guint64    f,
            gboolean   narrow_below)
{
  KantorU128 d = (KantorU128) m << shift;
  KantorU128 ten_s = pow10_u128 (s);
  KantorU128 dist;
  KantorU128 scale;

  if (d <= x)
    {
      dist = x - d;
      scale = narrow_below ? 4 : 2;
    }
  else
    {
      dist = d - x;
      scale = 2;
    }
  if (dist * scale != ten_s)
    return dist * scale < ten_s;
  return (f & 1) == 0;
}

/* The exact path; FALSE when @v is out of its range. */
static gboolean
format_double_exact (double  v,
                     char    buf[32],
                     gsize  *len)
{
  union { double d; guint64 u; } bits = { .d = v };
  guint64 biased = (bits.u >> 52) & 0x7ff;
  guint64 f = (bits.u & ((G_GUINT64_CONSTANT (1) << 52) - 1)) | (G_GUINT64_CONSTANT (1) << 52);
  int shift = 1075 - (int) biased;
  int b = 52 - shift;                   /* floor (log2 |v|) */
  int e10 = (b * 78913) >> 18;          /* floor (log10 |v|) or one less */
  gboolean narrow_below = (bits.u & ((G_GUINT64_CONSTANT (1) << 52) - 1)) == 0 && biased > 1;
  guint64 m = 0;
  int precision = 0;
  char digit_buf[20];
  const char *digits;
  int n_digits, i;
  char *p = buf;

  /* Normal numbers that are not whole, from 1e-6 to 1e15 (the estimate of
   * e10 may be one short, hence the wider first test). */
  if (biased == 0 || shift <= 0 || e10 < -8 || e10 > 14)
    return FALSE;
  if ((KantorU128) f * pow10_u128 (14 - e10) >> shift >= pow10_u64[15])
    e10++;
  if (e10 < -6 || e10 > 14)
    return FALSE;

  for (precision = 15; precision <= 17; precision++)
    {
      int s = precision - 1 - e10;
      KantorU128 x = (KantorU128) f * pow10_u128 (s);
      guint64 q = (guint64) (x >> shift);
      KantorU128 rem = x - ((KantorU128) q << shift);
      KantorU128 half = (KantorU128) 1 << (shift - 1);
      guint64 nearest = q + (rem > half || (rem == half && (q & 1)));
      guint64 other = nearest == q ? q + 1 : q;

      m = nearest;
      if (precision == 17 || reads_back (x, nearest, shift, s, f, narrow_below))
        break;
      /* Only next to a power of two can the farther of the two neighbours
       * read back when the nearer does not; it is still the shorter form. */
      if (narrow_below && reads_back (x, other, shift, s, f, narrow_below))
        {
          m = other;
          break;
        }
    }

  /* Rounding up may carry into a new digit: 9.99... -> 10.0... */
  if (m == pow10_u64[precision])
    {
      m = pow10_u64[precision - 1];
      e10++;
    }
  /* m has exactly `precision` digits: 17 of them written with leading
   * zeros, in 32-bit chunks of eight, then the leading zeros skipped. */
  digit_buf[0] = (char) ('0' + m / G_GUINT64_CONSTANT (10000000000000000));
  write_8_digits (digit_buf + 1, (guint32) (m / 100000000 % 100000000));
  write_8_digits (digit_buf + 9, (guint32) (m % 100000000));
  digits = digit_buf + 17 - precision;
  n_digits = precision;
  while (digits[n_digits - 1] == '0')
    n_digits--;

  if (v < 0)
    *p++ = '-';
  if (e10 < -4 || e10 >= precision)
    {
      int x = e10 < 0 ? -e10 : e10;

      *p++ = digits[0];
      if (n_digits > 1)
        {
          *p++ = '.';
          memcpy (p, digits + 1, n_digits - 1);
          p += n_digits - 1;
        }
      *p++ = 'e';
      *p++ = e10 < 0 ? '-' : '+';
      if (x >= 100)
        *p++ = (char) ('0' + x / 100);
      *p++ = (char) ('0' + x / 10 % 10);
      *p++ = (char) ('0' + x % 10);
    }
  else if (e10 < 0)
    {
      *p++ = '0';
      *p++ = '.';
      for (i = -1; i > e10; i--)
        *p++ = '0';
      memcpy (p, digits, n_digits);
      p += n_digits;
    }
  else
    {
      for (i = 0; i <= e10; i++)
        *p++ = i < n_digits ? digits[i] : '0';
      if (n_digits > e10 + 1)
        {
          *p++ = '.';
          memcpy (p, digits + e10 + 1, n_digits - e10 - 1);
          p += n_digits - e10 - 1;
        }
    }
  *p = '\0';
  *len = (gsize) (p - buf);
  return TRUE;
}
#endif

static gsize
format_integer (gint64 v,
                char   buf[32])
{
  guint64 u = v < 0 ? (guint64) -v : (guint64) v;
  char tmp[20];
  int n = 0;
  char *p = buf;

  do
    tmp[n++] = (char) ('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *p++ = '-';
  while (n > 0)
    *p++ = tmp[--n];
  *p = '\0';
  return (gsize) (p - buf);
}

gsize
kantor_format_double (double v,
                      char   buf[32])
{
  if (!isfinite (v))
    {
      memcpy (buf, "null", 5);
      return 4;
    }

  /* Whole numbers within the exactly representable range are common
   * (quantities, counts) and need no search. */
  if (v == floor (v) && fabs (v) < 9007199254740992.0)
    {
      if (v == 0.0)
        {
          memcpy (buf, "0", 2);
          return 1;
        }
      return format_integer ((gint64) v, buf);
    }

#ifdef __SIZEOF_INT128__
  {
    gsize len;

    if (format_double_exact (v, buf, &len))
      return len;
  }
#endif

  return format_double_libc (v, buf);
}

void
kantor_json_append_string (GString    *out,
                           const char *str)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) str;
  const guchar *run = p;

  g_string_append_c (out, '"');
  for (; *p != '\0'; p++)
    {
      guchar c = *p;
      const char *esc = NULL;

      if (G_LIKELY (c >= 0x20 && c != '"' && c != '\\'))
        continue;

      if (p > run)
        g_string_append_len (out, (const char *) run, p - run);
      run = p + 1;

      switch (c)
        {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
          break;
        }

      if (esc != NULL)
        {
          g_string_append (out, esc);
        }
      else
        {
          char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf], '\0' };
          g_string_append_len (out, u, 6);
        }
    }
  if (p > run)
    g_string_append_len (out, (const char *) run, p - run);
  g_string_append_c (out, '"');
}

static void
append_value (GString  *out,
              JsonNode *node)
{
  char buf[32];
  gsize n;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      n = format_integer (json_node_get_int (node), buf);
      g_string_append_len (out, buf, (gssize) n);
      break;
    case G_TYPE_DOUBLE:
      n = kantor_format_double (json_node_get_double (node), buf);
      g_string_append_len (out, buf, (gssize) n);
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      kantor_json_append_string (out, json_node_get_string (node));
      break;
    default:
      g_string_append (out, "null");
      break;
    }
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (a, b);
}

void
kantor_json_append_with_flags (GString         *out,
                               JsonNode        *node,
                               KantorJsonFlags  flags)
{
  if (node == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        if (flags & KANTOR_JSON_SORT_KEYS)
          {
            g_autoptr(GList) members = g_list_sort (json_object_get_members (object),
                                                    compare_keys);

            for (GList *l = members; l != NULL; l = l->next)
              {
                if (l != members)
                  g_string_append_c (out, ',');
                kantor_json_append_string (out, l->data);
                g_string_append_c (out, ':');
                kantor_json_append_with_flags (out, json_object_get_member (object, l->data),
                                               flags);
              }
          }
        else
          {
            /* Insertion order, so that output is stable and reads naturally. */
            json_object_iter_init_ordered (&iter, object);
            while (json_object_iter_next_ordered (&iter, &name, &member))
              {
                if (!first)
                  g_string_append_c (out, ',');
                first = FALSE;
                kantor_json_append_string (out, name);
                g_string_append_c (out, ':');
                kantor_json_append_with_flags (out, member, flags);
              }
          }
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            kantor_json_append_with_flags (out, json_array_get_element (array, i), flags);
          }
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      append_value (out, node);
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

void
kantor_json_append (GString  *out,
                    JsonNode *node)
{
  kantor_json_append_with_flags (out, node, KANTOR_JSON_NONE);
}

char *
kantor_json_to_string (JsonNode *node)
{
  GString *out = g_string_sized_new (128);

  kantor_json_append (out, node);
  return g_string_free (out, FALSE);
}

gboolean
kantor_json_check_input (const char  *data,
                         gsize        len,
                         gsize        max_len,
                         guint        max_depth,
                         GError     **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  if (max_len > 0 && len > max_len)
    {
      g_set_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_LARGE,
                   "The document is %" G_GSIZE_FORMAT " bytes long, more than %" G_GSIZE_FORMAT,
                   len, max_len);
      return FALSE;
    }

  /* Rejects NUL bytes as well as malformed sequences. */
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_INVALID_UTF8,
                           "The document is not valid UTF-8");
      return FALSE;
    }

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > max_depth)
            {
              g_set_error (error, KANTOR_JSON_ERROR, KANTOR_JSON_ERROR_TOO_DEEP,
                           "The document nests deeper than %u levels", max_depth);
              return FALSE;
            }
          break;
        case ']':
        case '}':
          /* Unbalanced input is the parser's to report. */
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return TRUE;
}
