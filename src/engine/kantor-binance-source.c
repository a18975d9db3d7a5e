/* kantor-binance-source.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-binance-source.h"
#include "kantor-csv.h"

/* Times from here up are microseconds: as milliseconds this is the year
 * 5138, as microseconds 1973. */
#define MICROSECONDS_FROM G_GINT64_CONSTANT (100000000000000)

static const char * const trades_header[] = {
  "id", "price", "qty", "quote_qty", "time", "is_buyer_maker", "is_best_match", NULL
};

static const char * const agg_trades_header[] = {
  "agg_trade_id", "price", "quantity", "first_trade_id", "last_trade_id", "transact_time",
  "is_buyer_maker", NULL
};

typedef struct
{
  const char          *symbol;      /* interned */
  GPtrArray           *files;       /* paths, read in this order */
  guint                next_file;
  KantorCsvReader     *reader;
  KantorBinanceFormat  format;
  gboolean             microseconds;
  gboolean             pending_row; /* the reader holds a data row not yet parsed */
  gboolean             started;
  gint64               last_time_ms;
  KantorMarketEvent    next;
} Stream;

struct _KantorBinanceSource
{
  GObject            parent_instance;

  const char       **symbols;
  Stream            *streams;
  guint              n_streams;
  KantorStreamMerge *merge;
};

static void kantor_binance_source_iface_init (KantorMarketSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KantorBinanceSource, kantor_binance_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KANTOR_TYPE_MARKET_SOURCE,
                                                      kantor_binance_source_iface_init))

static gboolean
parse_bool (const char *field,
            gboolean   *value)
{
  if (strcmp (field, "true") == 0 || strcmp (field, "True") == 0)
    *value = TRUE;
  else if (strcmp (field, "false") == 0 || strcmp (field, "False") == 0)
    *value = FALSE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
get_bool (KantorCsvReader *reader,
          guint            index,
          const char      *what,
          GError         **error)
{
  gboolean value;
  const char *field = kantor_csv_reader_get_field (reader, index, NULL);

  if (G_LIKELY (parse_bool (field, &value)))
    return TRUE;

  kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                               "%s is not true or false: \"%.40s\"", what, field);
  return FALSE;
}

static gboolean
get_positive (KantorCsvReader *reader,
              guint            index,
              const char      *what,
              double          *value,
              GError         **error)
{
  if (!kantor_csv_reader_get_double (reader, index, what, value, error))
    return FALSE;
  if (G_UNLIKELY (!(isfinite (*value) && *value > 0)))
    {
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                   "%s must be a positive finite number, not %.40s", what,
                                   kantor_csv_reader_get_field (reader, index, NULL));
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_id (KantorCsvReader *reader,
        guint            index,
        const char      *what,
        gint64          *value,
        GError         **error)
{
  if (!kantor_csv_reader_get_int64 (reader, index, what, value, error))
    return FALSE;
  if (G_UNLIKELY (*value < 0))
    {
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                   "%s is negative", what);
      return FALSE;
    }
  return TRUE;
}

/* Parses the reader's current row into stream->next. */
static gboolean
parse_row (Stream  *stream,
           GError **error)
{
  KantorCsvReader *reader = stream->reader;
  guint n_fields = kantor_csv_reader_get_n_fields (reader);
  double quote_qty;
  gint64 id, first_id, last_id, t;
  guint time_field;

  if (G_UNLIKELY (n_fields != 7))
    {
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                   "%u fields, expected 7", n_fields);
      return FALSE;
    }

  if (!get_id (reader, 0, "trade id", &id, error)
      || !get_positive (reader, 1, "price", &stream->next.price, error)
      || !get_positive (reader, 2, "quantity", &stream->next.volume, error))
    return FALSE;

  if (stream->format == KANTOR_BINANCE_FORMAT_TRADES)
    {
      if (!kantor_csv_reader_get_double (reader, 3, "quote_qty", &quote_qty, error))
        return FALSE;
      if (G_UNLIKELY (!(isfinite (quote_qty) && quote_qty >= 0)))
        {
          kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                       "quote_qty must be a finite number >= 0");
          return FALSE;
        }
      if (!get_bool (reader, 5, "is_buyer_maker", error)
          || !get_bool (reader, 6, "is_best_match", error))
        return FALSE;
      time_field = 4;
    }
  else
    {
      if (!get_id (reader, 3, "first_trade_id", &first_id, error)
          || !get_id (reader, 4, "last_trade_id", &last_id, error)
          || !get_bool (reader, 6, "is_buyer_maker", error))
        return FALSE;
      if (G_UNLIKELY (last_id < first_id))
        {
          kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                       "last_trade_id is below first_trade_id");
          return FALSE;
        }
      time_field = 5;
    }

  if (!get_id (reader, time_field, "time", &t, error))
    return FALSE;

  if (!stream->pending_row && (t >= MICROSECONDS_FROM) != stream->microseconds)
    {
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                   "time %" G_GINT64_FORMAT " is not in the file's unit (%s)", t,
                                   stream->microseconds ? "microseconds" : "milliseconds");
      return FALSE;
    }
  stream->pending_row = FALSE;

  t = stream->microseconds ? t / 1000 : t;
  if (G_UNLIKELY (stream->started && t < stream->last_time_ms))
    {
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_OUT_OF_ORDER,
                                   "time %" G_GINT64_FORMAT " ms is earlier than the previous "
                                   "trade's %" G_GINT64_FORMAT " ms", t, stream->last_time_ms);
      return FALSE;
    }

  stream->started = TRUE;
  stream->last_time_ms = t;
  stream->next.time_ms = t;
  return TRUE;
}

/* An unsigned integer of at most 18 digits (no overflow possible) up to
 * the next ',' or @end. */
static inline gboolean
scan_id (const char **cursor,
         const char  *end,
         gint64      *value)
{
  const char *p = *cursor;
  gint64 v = 0;

  for (; p < end && (guint) (*p - '0') < 10; p++)
    v = v * 10 + (*p - '0');
  if (p == *cursor || p - *cursor > 18 || (p < end && *p != ','))
    return FALSE;
  *cursor = p;
  *value = v;
  return TRUE;
}

static inline gboolean
scan_bool (const char **cursor,
           const char  *end)
{
  const char *p = *cursor;
  gsize n;

  if (end - p >= 4 && (memcmp (p, "true", 4) == 0 || memcmp (p, "True", 4) == 0))
    n = 4;
  else if (end - p >= 5 && (memcmp (p, "false", 5) == 0 || memcmp (p, "False", 5) == 0))
    n = 5;
  else
    return FALSE;
  if (p + n < end && p[n] != ',')
    return FALSE;
  *cursor = p + n;
  return TRUE;
}

static inline gboolean
scan_comma (const char **cursor,
            const char  *end)
{
  if (*cursor == end || **cursor != ',')
    return FALSE;
  (*cursor)++;
  return TRUE;
}

/* The hot path: a whole data row in one pass. It accepts only rows that
 * parse_row() accepts too, and gives up on anything else without changing
 * the stream, so that parse_row() can say precisely what is wrong. */
static inline gboolean
scan_line (Stream     *stream,
           const char *line,
           gsize       length)
{
  const char *p = line;
  const char *end = line + length;
  double price, qty, quote_qty = 0;
  gint64 id, first_id = 0, last_id = 0, t;

  if (!scan_id (&p, end, &id)
      || !scan_comma (&p, end) || !kantor_csv_scan_double (&p, end, &price)
      || !scan_comma (&p, end) || !kantor_csv_scan_double (&p, end, &qty)
      || !scan_comma (&p, end))
    return FALSE;

  if (stream->format == KANTOR_BINANCE_FORMAT_TRADES)
    {
      if (!kantor_csv_scan_double (&p, end, &quote_qty)
          || !scan_comma (&p, end) || !scan_id (&p, end, &t)
          || !scan_comma (&p, end) || !scan_bool (&p, end)
          || !scan_comma (&p, end) || !scan_bool (&p, end)
          || !(isfinite (quote_qty) && quote_qty >= 0))
        return FALSE;
    }
  else
    {
      if (!scan_id (&p, end, &first_id)
          || !scan_comma (&p, end) || !scan_id (&p, end, &last_id)
          || !scan_comma (&p, end) || !scan_id (&p, end, &t)
          || !scan_comma (&p, end) || !scan_bool (&p, end)
          || last_id < first_id)
        return FALSE;
    }

  if (p != end || !(isfinite (price) && price > 0 && isfinite (qty) && qty > 0)
      || (t >= MICROSECONDS_FROM) != stream->microseconds)
    return FALSE;

  t = stream->microseconds ? t / 1000 : t;
  if (stream->started && t < stream->last_time_ms)
    return FALSE;

  stream->next.price = price;
  stream->next.volume = qty;
  stream->next.time_ms = t;
  stream->last_time_ms = t;
  stream->started = TRUE;
  return TRUE;
}

/* Opens the stream's next file, tells its format, and leaves its first data
 * row pending. FALSE with @error unset when the file has no data rows. */
static gboolean
open_file (Stream  *stream,
           GError **error)
{
  const char *path = g_ptr_array_index (stream->files, stream->next_file);
  GError *local_error = NULL;
  KantorCsvReader *reader;
  gint64 first_int;
  gsize len;
  const char *first;

  stream->next_file++;
  g_clear_pointer (&stream->reader, kantor_csv_reader_free);
  reader = stream->reader = kantor_csv_reader_new_for_path (path, error);
  if (reader == NULL)
    return FALSE;

  if (!kantor_csv_reader_next_row (reader, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, local_error);
      else
        g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_EMPTY,
                     "%s: empty file", path);
      return FALSE;
    }

  if (kantor_csv_reader_row_equals (reader, trades_header)
      || kantor_csv_reader_row_equals (reader, agg_trades_header))
    {
      stream->format = kantor_csv_reader_row_equals (reader, trades_header)
                       ? KANTOR_BINANCE_FORMAT_TRADES : KANTOR_BINANCE_FORMAT_AGG_TRADES;
      if (!kantor_csv_reader_next_row (reader, error))
        return FALSE;
    }
  else
    {
      gboolean b;

      first = kantor_csv_reader_get_field (reader, 0, &len);
      if (!kantor_csv_parse_int64 (first, len, &first_int))
        {
          kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_HEADER,
                                       "neither a trades nor an aggTrades header, nor a "
                                       "data row");
          return FALSE;
        }
      if (kantor_csv_reader_get_n_fields (reader) != 7)
        {
          kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                       "%u fields, expected 7",
                                       kantor_csv_reader_get_n_fields (reader));
          return FALSE;
        }
      /* No header: a trades row has a boolean where an aggTrades row has
       * its time. */
      stream->format = parse_bool (kantor_csv_reader_get_field (reader, 5, NULL), &b)
                       ? KANTOR_BINANCE_FORMAT_TRADES : KANTOR_BINANCE_FORMAT_AGG_TRADES;
    }

  if (kantor_csv_reader_get_n_fields (reader) != 7)
    {
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                   "%u fields, expected 7",
                                   kantor_csv_reader_get_n_fields (reader));
      return FALSE;
    }

  {
    guint time_field = stream->format == KANTOR_BINANCE_FORMAT_TRADES ? 4 : 5;
    gint64 t;

    first = kantor_csv_reader_get_field (reader, time_field, &len);
    if (!kantor_csv_parse_int64 (first, len, &t))
      {
        kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                     "time is not an integer: \"%.40s\"", first);
        return FALSE;
      }
    stream->microseconds = t >= MICROSECONDS_FROM;
  }

  stream->pending_row = TRUE;
  return TRUE;
}

/* Moves the stream to its next trade; FALSE at its end (error unset) or on
 * an error. */
static gboolean
stream_advance (Stream  *stream,
                GError **error)
{
  for (;;)
    {
      GError *local_error = NULL;

      if (stream->reader != NULL && !stream->pending_row)
        {
          const char *line;
          gsize length;

          if (kantor_csv_reader_next_line (stream->reader, &line, &length, &local_error))
            {
              if (G_LIKELY (scan_line (stream, line, length)))
                return TRUE;
              /* Field by field: the same checks, each with its own message. */
              return kantor_csv_reader_split (stream->reader, error) && parse_row (stream, error);
            }
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
          g_clear_pointer (&stream->reader, kantor_csv_reader_free);
        }

      if (stream->reader != NULL && stream->pending_row)
        return parse_row (stream, error);

      if (stream->next_file >= stream->files->len)
        return FALSE;

      if (!open_file (stream, &local_error))
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
        }
      else if (!stream->pending_row)
        {
          /* A header followed by a data row: next_row already read it. */
          return parse_row (stream, error);
        }
    }
}

static const KantorMarketEvent *
advance_stream (gpointer   user_data,
                guint      index,
                GError   **error)
{
  KantorBinanceSource *self = user_data;
  Stream *stream = &self->streams[index];

  return stream_advance (stream, error) ? &stream->next : NULL;
}

static gsize
kantor_binance_source_read (KantorMarketSource *source,
                            KantorMarketEvent  *events,
                            gsize               n_events,
                            GError            **error)
{
  KantorStreamMerge *merge = KANTOR_BINANCE_SOURCE (source)->merge;

  return kantor_stream_merge_read (merge, events, n_events, error);
}

static const char * const *
kantor_binance_source_get_symbols (KantorMarketSource *source)
{
  return (const char * const *) KANTOR_BINANCE_SOURCE (source)->symbols;
}

static void
kantor_binance_source_iface_init (KantorMarketSourceInterface *iface)
{
  iface->read = kantor_binance_source_read;
  iface->get_symbols = kantor_binance_source_get_symbols;
}

static void
kantor_binance_source_finalize (GObject *object)
{
  KantorBinanceSource *self = KANTOR_BINANCE_SOURCE (object);
  guint i;

  for (i = 0; i < self->n_streams; i++)
    {
      g_clear_pointer (&self->streams[i].reader, kantor_csv_reader_free);
      g_clear_pointer (&self->streams[i].files, g_ptr_array_unref);
    }
  g_free (self->streams);
  g_free (self->symbols);
  g_clear_pointer (&self->merge, kantor_stream_merge_free);

  G_OBJECT_CLASS (kantor_binance_source_parent_class)->finalize (object);
}

static void
kantor_binance_source_class_init (KantorBinanceSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kantor_binance_source_finalize;
}

static void
kantor_binance_source_init (KantorBinanceSource *self)
{
}

/* "btcusdt-trades-2024-01-01.csv" -> "BTCUSDT"; NULL when the name does not
 * start with a symbol followed by '-'. */
static char *
symbol_from_file_name (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *dash = strchr (base, '-');
  g_autofree char *symbol = NULL;

  if (dash == NULL)
    return NULL;

  symbol = g_ascii_strup (base, dash - base);
  if (!kantor_symbol_is_valid (symbol))
    return NULL;

  return g_steal_pointer (&symbol);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static int
compare_streams (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (((const Stream *) a)->symbol, ((const Stream *) b)->symbol);
}

KantorMarketSource *
kantor_binance_source_new (const char  *path,
                           const char  *symbol,
                           GError     **error)
{
  g_autoptr(KantorBinanceSource) self = NULL;
  g_autoptr(GHashTable) by_symbol = NULL;   /* interned symbol -> GPtrArray of paths */
  g_autoptr(GArray) streams = NULL;
  g_autofree char *wanted = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint i;

  g_return_val_if_fail (path != NULL, NULL);

  if (symbol != NULL)
    {
      wanted = g_ascii_strup (symbol, -1);
      if (!kantor_symbol_is_valid (wanted))
        {
          g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID,
                       "“%s” is not a valid symbol (^[A-Z0-9_]{1,32}$)", symbol);
          return NULL;
        }
    }

  by_symbol = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *name;

      dir = g_dir_open (path, 0, &local_error);
      if (dir == NULL)
        {
          g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND,
                       "%s", local_error->message);
          return NULL;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *file_symbol = NULL;
          g_autofree char *full = NULL;
          const char *interned;
          GPtrArray *files;

          if (!g_str_has_suffix (name, ".csv"))
            continue;
          file_symbol = symbol_from_file_name (name);
          if (file_symbol == NULL)
            {
              g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID,
                           "%s/%s: cannot tell the symbol from the file name "
                           "(SYMBOL-trades-DATE.csv)", path, name);
              return NULL;
            }
          if (wanted != NULL && strcmp (wanted, file_symbol) != 0)
            continue;
          full = g_build_filename (path, name, NULL);
          interned = g_intern_string (file_symbol);
          files = g_hash_table_lookup (by_symbol, interned);
          if (files == NULL)
            {
              files = g_ptr_array_new_with_free_func (g_free);
              g_hash_table_insert (by_symbol, (gpointer) interned, files);
            }
          g_ptr_array_add (files, g_steal_pointer (&full));
        }
    }
  else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *file_symbol = wanted != NULL ? g_strdup (wanted)
                                                    : symbol_from_file_name (path);
      GPtrArray *files;

      if (file_symbol == NULL)
        {
          g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID,
                       "%s: cannot tell the symbol from the file name; name it", path);
          return NULL;
        }
      files = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (files, g_strdup (path));
      g_hash_table_insert (by_symbol, (gpointer) g_intern_string (file_symbol), files);
    }
  else
    {
      g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND,
                   "%s: no such file or folder", path);
      return NULL;
    }

  if (g_hash_table_size (by_symbol) == 0)
    {
      g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND,
                   wanted != NULL ? "%s: no trade files for %s" : "%s: no trade files%s",
                   path, wanted != NULL ? wanted : "");
      return NULL;
    }

  streams = g_array_new (FALSE, TRUE, sizeof (Stream));
  g_hash_table_iter_init (&iter, by_symbol);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *files = value;
      gboolean has_trades = FALSE, has_agg = FALSE;
      Stream stream = { 0 };

      g_ptr_array_sort (files, compare_paths);
      for (i = 0; i < files->len; i++)
        {
          g_autofree char *base = g_path_get_basename (g_ptr_array_index (files, i));

          has_agg |= strstr (base, "-aggTrades") != NULL;
          has_trades |= strstr (base, "-trades") != NULL;
        }
      if (has_agg && has_trades)
        {
          g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID,
                       "%s: both trades and aggTrades files for %s; they hold the same "
                       "trades, keep one set", path, (const char *) key);
          return NULL;
        }

      stream.symbol = key;
      stream.files = g_ptr_array_ref (files);
      stream.next.kind = KANTOR_EVENT_TRADE;
      stream.next.symbol = key;
      g_array_append_val (streams, stream);
    }
  g_array_sort (streams, compare_streams);

  self = g_object_new (KANTOR_TYPE_BINANCE_SOURCE, NULL);
  self->n_streams = streams->len;
  self->streams = (Stream *) (void *) g_array_free (g_steal_pointer (&streams), FALSE);
  self->symbols = g_new0 (const char *, self->n_streams + 1);
  for (i = 0; i < self->n_streams; i++)
    self->symbols[i] = self->streams[i].symbol;
  self->merge = kantor_stream_merge_new (self->n_streams, advance_stream, self);

  /* Open every first file now, so that a missing or malformed file is
   * reported before anything runs. */
  if (!kantor_stream_merge_prime (self->merge, error))
    return NULL;

  return KANTOR_MARKET_SOURCE (g_steal_pointer (&self));
}
