/* kantor-collection-source.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-collection-source.h"
#include "kantor-csv.h"

static const char * const prices_header[] = {
  "timestamp", "price", "volume", "quote_volume", NULL
};

static const char * const book_header[] = {
  "timestamp",
  "bid_price_1", "bid_qty_1", "bid_price_2", "bid_qty_2", "bid_price_3", "bid_qty_3",
  "ask_price_1", "ask_qty_1", "ask_price_2", "ask_qty_2", "ask_price_3", "ask_qty_3",
  "best_bid", "best_ask", "spread",
  NULL
};

typedef struct
{
  KantorCsvReader   *reader;
  KantorMarketEvent  next;
  gint64             last_time_ms;  /* G_MININT64 before the first row */
  gboolean           started;
  gsize              max_line;      /* the reader's, for rows read past it */
  KantorMarketEvent *run;           /* rows parsed ahead (stream_fill_run()) */
} Stream;

/* Rows parsed ahead per file: enough that the per-call costs vanish,
 * few enough that the events stay in the cache until merged. */
#define RUN_LENGTH 32

struct _KantorCollectionSource
{
  GObject            parent_instance;

  const char       **symbols;   /* interned, sorted, NULL-terminated */
  guint              n_symbols;
  Stream            *streams;   /* trades of every symbol, then books */
  guint              n_streams;
  KantorStreamMerge *merge;
};

static void kantor_collection_source_iface_init (KantorMarketSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KantorCollectionSource, kantor_collection_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KANTOR_TYPE_MARKET_SOURCE,
                                                      kantor_collection_source_iface_init))

/* The current row's fields, fetched once per row. */
typedef struct
{
  KantorCsvReader     *reader;
  const char * const  *fields;
  const gsize         *lengths;
} Row;

static inline void
row_init (Row             *row,
          KantorCsvReader *reader)
{
  row->reader = reader;
  row->fields = kantor_csv_reader_get_fields (reader, &row->lengths);
}

static G_GNUC_NO_INLINE gboolean
number_error (const Row  *row,
              guint       index,
              const char *what,
              const char *expected,
              GError    **error)
{
  double value;

  /* Not a number at all (the reader's message says so), or out of range. */
  if (!kantor_csv_reader_get_double (row->reader, index, what, &value, error))
    return FALSE;
  kantor_csv_reader_set_error (row->reader, error, KANTOR_SOURCE_ERROR_ROW,
                               "%s must be %s, not %.40s", what, expected,
                               row->fields[index]);
  return FALSE;
}

static inline gboolean
get_positive (const Row  *row,
              guint       index,
              const char *what,
              double     *value,
              GError    **error)
{
  if (G_LIKELY (kantor_csv_parse_double (row->fields[index], row->lengths[index], value)
                && isfinite (*value) && *value > 0))
    return TRUE;
  return number_error (row, index, what, "a positive finite number", error);
}

static inline gboolean
get_non_negative (const Row  *row,
                  guint       index,
                  const char *what,
                  double     *value,
                  GError    **error)
{
  if (G_LIKELY (kantor_csv_parse_double (row->fields[index], row->lengths[index], value)
                && isfinite (*value) && *value >= 0))
    return TRUE;
  return number_error (row, index, what, "a finite number >= 0", error);
}

static inline gboolean
get_finite (const Row  *row,
            guint       index,
            const char *what,
            double     *value,
            GError    **error)
{
  if (G_LIKELY (kantor_csv_parse_double (row->fields[index], row->lengths[index], value)
                && isfinite (*value)))
    return TRUE;
  return number_error (row, index, what, "a finite number", error);
}

static inline gboolean
get_timestamp (const Row *row,
               Stream    *stream,
               GError   **error)
{
  KantorCsvReader *reader = row->reader;
  const char *field = row->fields[0];
  gint64 t;

  if (G_UNLIKELY (!kantor_csv_parse_seconds_ms (field, row->lengths[0], &t)))
    {
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                   "timestamp is not epoch seconds with at most millisecond "
                                   "precision: \"%.40s\"", field);
      return FALSE;
    }
  if (G_UNLIKELY (stream->started && t < stream->last_time_ms))
    {
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_OUT_OF_ORDER,
                                   "timestamp %s is earlier than the previous row's "
                                   "(%" G_GINT64_FORMAT ".%03d)", field,
                                   stream->last_time_ms / 1000,
                                   (int) (stream->last_time_ms % 1000));
      return FALSE;
    }

  stream->started = TRUE;
  stream->last_time_ms = t;
  stream->next.time_ms = t;
  return TRUE;
}

/* Column names, for error messages: the columns of one side of the book
 * follow each other, price then quantity, level by level. */
static const char * const book_columns[] = {
  "bid_price_1", "bid_qty_1", "bid_price_2", "bid_qty_2", "bid_price_3", "bid_qty_3",
  "ask_price_1", "ask_qty_1", "ask_price_2", "ask_qty_2", "ask_price_3", "ask_qty_3",
};

G_STATIC_ASSERT (G_N_ELEMENTS (book_columns) == 4 * KANTOR_BOOK_LEVELS);

static inline gboolean
parse_levels (const Row       *row,
              guint            first_field,
              const char      *side,
              gboolean         descending,
              KantorBookLevel *levels,
              GError         **error)
{
  gboolean gap = FALSE;
  guint i;

  for (i = 0; i < KANTOR_BOOK_LEVELS; i++)
    {
      const char *what_price = book_columns[first_field - 1 + 2 * i];
      const char *what_qty = book_columns[first_field + 2 * i];
      KantorBookLevel *level = &levels[i];

      if (!get_non_negative (row, first_field + 2 * i + 1, what_qty, &level->qty, error))
        return FALSE;
      if (level->qty == 0)
        {
          if (!get_non_negative (row, first_field + 2 * i, what_price, &level->price, error))
            return FALSE;
          gap = TRUE;
          continue;
        }
      if (!get_positive (row, first_field + 2 * i, what_price, &level->price, error))
        return FALSE;
      if (gap)
        {
          kantor_csv_reader_set_error (row->reader, error, KANTOR_SOURCE_ERROR_ROW,
                                       "%s level %u is present after an empty level", side, i + 1);
          return FALSE;
        }
      if (i > 0 && (descending ? level->price >= levels[i - 1].price
                               : level->price <= levels[i - 1].price))
        {
          kantor_csv_reader_set_error (row->reader, error, KANTOR_SOURCE_ERROR_ROW,
                                       "%s levels are not ordered best first", side);
          return FALSE;
        }
    }

  return TRUE;
}

/* Scans ",number" @n times; the line starts at @line. */
static inline gboolean
scan_numbers (const char **p,
              const char  *line,
              const char  *end,
              double      *values,
              guint        n)
{
  guint i;

  for (i = 0; i < n; i++)
    {
      if (*p == end || **p != ',')
        return FALSE;
      (*p)++;
      if (!kantor_csv_try_scan_double (p, line, end, &values[i])
          && !kantor_csv_scan_double (p, end, &values[i]))
        return FALSE;
    }
  return TRUE;
}

/* One side of the book, its numbers known to be finite and >= 0: levels
 * are in price order (descending for bids) and an empty level (qty 0)
 * is followed only by empty ones. */
static inline gboolean
levels_ordered (const double    *v,
                gboolean         descending,
                KantorBookLevel *levels)
{
  gboolean gap = FALSE;
  guint i;

  for (i = 0; i < KANTOR_BOOK_LEVELS; i++)
    {
      double price = v[2 * i], qty = v[2 * i + 1];

      if (qty == 0)
        gap = TRUE;
      else if (gap || price == 0
               || (i > 0 && (descending ? price >= v[2 * i - 2] : price <= v[2 * i - 2])))
        return FALSE;
      levels[i].price = price;
      levels[i].qty = qty;
    }
  return TRUE;
}

static inline gboolean
levels_valid (const double    *v,
              gboolean         descending,
              KantorBookLevel *levels)
{
  for (guint i = 0; i < 2 * KANTOR_BOOK_LEVELS; i++)
    if (!(isfinite (v[i]) && v[i] >= 0))
      return FALSE;
  return levels_ordered (v, descending, levels);
}

/* The hot path: the whole line in one pass, no splitting. It accepts only
 * rows that the field-by-field reading below accepts too, and on anything
 * else gives up without changing the stream, so that the field-by-field
 * reading can say precisely what is wrong. */
static inline gboolean
stream_scan_line (Stream     *stream,
                  const char *line,
                  gsize       length)
{
  KantorMarketEvent *ev = &stream->next;
  const char *p = line;
  const char *end = line + length;
  double v[15];
  gint64 t;

  if (!(kantor_csv_try_scan_seconds_ms (&p, end, &t)
        || kantor_csv_scan_seconds_ms (&p, end, &t))
      || (stream->started && t < stream->last_time_ms))
    return FALSE;

  if (ev->kind == KANTOR_EVENT_TRADE)
    {
      if (!scan_numbers (&p, line, end, v, 3) || p != end
          || !(isfinite (v[0]) && v[0] > 0 && isfinite (v[1]) && v[1] > 0
               && isfinite (v[2]) && v[2] >= 0))
        return FALSE;
      ev->price = v[0];
      ev->volume = v[1];
    }
  else
    {
      KantorBookLevel bids[KANTOR_BOOK_LEVELS], asks[KANTOR_BOOK_LEVELS];

      if (!scan_numbers (&p, line, end, v, 15) || p != end
          || !levels_valid (v, TRUE, bids) || !levels_valid (v + 6, FALSE, asks)
          || !(isfinite (v[12]) && v[12] >= 0 && isfinite (v[13]) && v[13] >= 0
               && isfinite (v[14])))
        return FALSE;
      memcpy (ev->bids, bids, sizeof bids);
      memcpy (ev->asks, asks, sizeof asks);
    }

  stream->started = TRUE;
  stream->last_time_ms = t;
  ev->time_ms = t;
  return TRUE;
}

/* ",number" of the common shape, its value kept or only checked. */
static inline gboolean
next_unsigned (const char **p,
               double      *value)
{
  if (**p != ',')
    return FALSE;
  (*p)++;
  return kantor_csv_scan_padded_unsigned (p, value);
}

static inline gboolean
skip_unsigned (const char **p)
{
  if (**p != ',')
    return FALSE;
  (*p)++;
  return kantor_csv_skip_padded_unsigned (p);
}

/* Where a row parsed by the padded scanners ends: they stop at the first
 * byte they do not take, which may lie past the data (in the padding, or
 * in stale bytes of the buffer), so only a line end inside the data makes
 * the row whole. The start of the next row, or NULL. */
static inline const char *
row_end (const char *p,
         const char *line,
         const char *data_end,
         gsize       max_line)
{
  const char *end = p;

  if (G_UNLIKELY (p < data_end && *p == '\r'))
    p++;
  if (G_UNLIKELY (!(p < data_end && *p == '\n') || (gsize) (end - line) > max_line))
    return NULL;
  return p + 1;
}

/* The hot path of the hot path, straight from the reader's buffer, for
 * rows whose numbers all have the common shape
 * (kantor_csv_scan_padded_unsigned()): the reader's padding lets each
 * field be read eight bytes at a time without a bound check, the line end
 * is found by the parse itself rather than by a search beforehand, and
 * the columns that are only validated (quote_volume; best_bid, best_ask,
 * spread) have their shape checked without a value being computed: any
 * such number is finite and >= 0. Each returns the start of the next row
 * with @ev filled and *@last_time_ms moved on, or NULL (nothing changed
 * but @ev) when anything is off, even only that the row is not all in the
 * buffer yet: stream_scan_line() or reading field by field then decides. */
static inline const char *
scan_trade_row (const char        *line,
                const char        *data_end,
                gsize              max_line,
                gint64            *last_time_ms,
                KantorMarketEvent *ev)
{
  const char *p = line;
  double price, volume;
  gint64 t;

  if (!kantor_csv_scan_padded_seconds_ms (&p, &t) || t < *last_time_ms
      || !next_unsigned (&p, &price) || !next_unsigned (&p, &volume) || !skip_unsigned (&p)
      || price == 0 || volume == 0)
    return NULL;
  p = row_end (p, line, data_end, max_line);
  if (p == NULL)
    return NULL;

  ev->time_ms = t;
  ev->price = price;
  ev->volume = volume;
  *last_time_ms = t;
  return p;
}

static inline const char *
scan_book_row (const char        *line,
               const char        *data_end,
               gsize              max_line,
               gint64            *last_time_ms,
               KantorMarketEvent *ev)
{
  const char *p = line;
  double v[4 * KANTOR_BOOK_LEVELS];
  gint64 t;
  guint i;

  if (!kantor_csv_scan_padded_seconds_ms (&p, &t) || t < *last_time_ms)
    return NULL;
  for (i = 0; i < G_N_ELEMENTS (v); i++)
    if (!next_unsigned (&p, &v[i]))
      return NULL;
  if (!skip_unsigned (&p) || !skip_unsigned (&p) || !skip_unsigned (&p)
      || !levels_ordered (v, TRUE, ev->bids) || !levels_ordered (v + 6, FALSE, ev->asks))
    return NULL;
  p = row_end (p, line, data_end, max_line);
  if (p == NULL)
    return NULL;

  ev->time_ms = t;
  *last_time_ms = t;
  return p;
}

/* Parses as many rows as the fast path takes, up to RUN_LENGTH, into
 * stream->run: a tight loop per file rather than a call per row, and the
 * lines consumed from the reader at once. Returns how many. */
static guint
stream_fill_run (Stream *stream)
{
  KantorMarketEvent *run = stream->run;
  const char *data_end;
  const char *start = kantor_csv_reader_peek (stream->reader, &data_end);
  const char *line = start;
  gint64 last_time_ms = stream->last_time_ms;
  gsize max_line = stream->max_line;
  guint n = 0;

  if (run[0].kind == KANTOR_EVENT_TRADE)
    {
      for (; n < RUN_LENGTH; n++)
        {
          const char *next = scan_trade_row (line, data_end, max_line, &last_time_ms, &run[n]);

          if (next == NULL)
            break;
          line = next;
        }
    }
  else
    {
      for (; n < RUN_LENGTH; n++)
        {
          const char *next = scan_book_row (line, data_end, max_line, &last_time_ms, &run[n]);

          if (next == NULL)
            break;
          line = next;
        }
    }

  if (n > 0)
    {
      kantor_csv_reader_consume_lines (stream->reader, line - start, n);
      stream->started = TRUE;
      stream->last_time_ms = last_time_ms;
    }
  return n;
}

/* Reads the next row of @stream into stream->next; FALSE at the end (error
 * unset) or on an error. */
static G_GNUC_NO_INLINE gboolean
stream_advance (Stream  *stream,
                GError **error)
{
  KantorCsvReader *reader = stream->reader;
  KantorMarketEvent *ev = &stream->next;
  const char *line;
  gsize length;
  guint n_fields;
  Row row;

  if (!kantor_csv_reader_next_line (reader, &line, &length, error))
    return FALSE;
  /* The writer ends every row with a newline, so a last line without one
   * was cut by a crash or is still being written: even when it parses, a
   * number in it may be cut short. Ignore it rather than replay it. */
  if (G_UNLIKELY (!kantor_csv_reader_line_is_terminated (reader)))
    {
      g_warning ("%s:%" G_GUINT64_FORMAT ": ignoring an incomplete last line (no line end)",
                 kantor_csv_reader_get_name (reader), kantor_csv_reader_get_line_number (reader));
      return FALSE;
    }
  if (stream_scan_line (stream, line, length))
    return TRUE;

  /* Field by field: the same checks, each with its own message. */
  if (!kantor_csv_reader_split (reader, error))
    return FALSE;

  n_fields = kantor_csv_reader_get_n_fields (reader);
  row_init (&row, reader);

  if (ev->kind == KANTOR_EVENT_TRADE)
    {
      double quote_volume;

      if (G_UNLIKELY (n_fields != 4))
        {
          kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                       "%u fields, expected 4", n_fields);
          return FALSE;
        }
      return get_timestamp (&row, stream, error)
             && get_positive (&row, 1, "price", &ev->price, error)
             && get_positive (&row, 2, "volume", &ev->volume, error)
             && get_non_negative (&row, 3, "quote_volume", &quote_volume, error);
    }
  else
    {
      double best_bid, best_ask, spread;

      if (G_UNLIKELY (n_fields != 16))
        {
          kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_ROW,
                                       "%u fields, expected 16", n_fields);
          return FALSE;
        }
      return get_timestamp (&row, stream, error)
             && parse_levels (&row, 1, "bid", TRUE, ev->bids, error)
             && parse_levels (&row, 7, "ask", FALSE, ev->asks, error)
             && get_non_negative (&row, 13, "best_bid", &best_bid, error)
             && get_non_negative (&row, 14, "best_ask", &best_ask, error)
             && get_finite (&row, 15, "spread", &spread, error);
    }
}

static const KantorMarketEvent *
fill_stream (gpointer   user_data,
             guint      index,
             gsize     *n_events,
             GError   **error)
{
  KantorCollectionSource *self = user_data;
  Stream *stream = &self->streams[index];

  *n_events = stream_fill_run (stream);
  if (G_LIKELY (*n_events > 0))
    return stream->run;

  /* A row of another shape, one cut by the end of the buffer, or a bad
   * one: it alone, the careful way. */
  if (!stream_advance (stream, error))
    return NULL;
  *n_events = 1;
  return &stream->next;
}

static gsize
kantor_collection_source_read (KantorMarketSource *source,
                               KantorMarketEvent  *events,
                               gsize               n_events,
                               GError            **error)
{
  KantorStreamMerge *merge = KANTOR_COLLECTION_SOURCE (source)->merge;

  return kantor_stream_merge_read (merge, events, n_events, error);
}

static const char * const *
kantor_collection_source_get_symbols (KantorMarketSource *source)
{
  return (const char * const *) KANTOR_COLLECTION_SOURCE (source)->symbols;
}

static void
kantor_collection_source_iface_init (KantorMarketSourceInterface *iface)
{
  iface->read = kantor_collection_source_read;
  iface->get_symbols = kantor_collection_source_get_symbols;
}

static void
kantor_collection_source_finalize (GObject *object)
{
  KantorCollectionSource *self = KANTOR_COLLECTION_SOURCE (object);
  guint i;

  /* Every slot, not only the first n_streams: construction may fail with
   * book readers still in the upper half. */
  for (i = 0; self->streams != NULL && i < 2 * self->n_symbols; i++)
    {
      g_clear_pointer (&self->streams[i].reader, kantor_csv_reader_free);
      g_clear_pointer (&self->streams[i].run, g_free);
    }
  g_free (self->streams);
  g_free (self->symbols);
  g_clear_pointer (&self->merge, kantor_stream_merge_free);

  G_OBJECT_CLASS (kantor_collection_source_parent_class)->finalize (object);
}

static void
kantor_collection_source_class_init (KantorCollectionSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kantor_collection_source_finalize;
}

static void
kantor_collection_source_init (KantorCollectionSource *self)
{
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Everything but the reader, which is open. */
static void
stream_init (Stream          *stream,
             KantorEventKind  kind,
             const char      *symbol)
{
  guint i;

  stream->next.kind = kind;
  stream->next.symbol = symbol;
  stream->last_time_ms = G_MININT64;
  stream->max_line = kantor_csv_reader_get_max_line_length (stream->reader);
  stream->run = g_new0 (KantorMarketEvent, RUN_LENGTH);
  for (i = 0; i < RUN_LENGTH; i++)
    {
      stream->run[i].kind = kind;
      stream->run[i].symbol = symbol;
    }
}

static KantorCsvReader *
open_with_header (const char          *path,
                  const char * const  *header,
                  GError             **error)
{
  g_autoptr(KantorCsvReader) reader = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *expected = NULL;

  reader = kantor_csv_reader_new_for_path (path, error);
  if (reader == NULL)
    return NULL;

  if (!kantor_csv_reader_next_row (reader, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_EMPTY,
                     "%s: empty file (no header row)", path);
      return NULL;
    }

  if (!kantor_csv_reader_row_equals (reader, header))
    {
      expected = g_strjoinv (",", (char **) header);
      kantor_csv_reader_set_error (reader, error, KANTOR_SOURCE_ERROR_HEADER,
                                   "wrong header, expected \"%s\"", expected);
      return NULL;
    }

  return g_steal_pointer (&reader);
}

static GPtrArray *
list_symbols (const char  *path,
              GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new ();
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
      g_autofree char *prices = NULL;

      if (!kantor_symbol_is_valid (name))
        continue;
      prices = g_build_filename (path, name, "prices.csv", NULL);
      if (g_file_test (prices, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (found, (gpointer) g_intern_string (name));
    }

  return g_steal_pointer (&found);
}

KantorMarketSource *
kantor_collection_source_new (const char          *path,
                              const char * const  *symbols,
                              GError             **error)
{
  g_autoptr(KantorCollectionSource) self = NULL;
  g_autoptr(GPtrArray) chosen = NULL;
  g_autofree char *direct_prices = NULL;
  g_autofree char *root = NULL;
  gboolean single = FALSE;
  guint i;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND,
                   "%s: not a folder", path);
      return NULL;
    }

  direct_prices = g_build_filename (path, "prices.csv", NULL);
  if (g_file_test (direct_prices, G_FILE_TEST_EXISTS))
    {
      g_autofree char *base = g_path_get_basename (path);

      if (!kantor_symbol_is_valid (base))
        {
          g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID,
                       "%s: a symbol folder must be named after its symbol (^[A-Z0-9_]{1,32}$)",
                       path);
          return NULL;
        }
      single = TRUE;
      root = g_path_get_dirname (path);
      chosen = g_ptr_array_new ();
      g_ptr_array_add (chosen, (gpointer) g_intern_string (base));
    }
  else
    {
      root = g_strdup (path);
      chosen = list_symbols (path, error);
      if (chosen == NULL)
        return NULL;
    }

  if (symbols != NULL)
    {
      g_autoptr(GPtrArray) wanted = g_ptr_array_new ();

      for (i = 0; symbols[i] != NULL; i++)
        {
          const char *symbol = g_intern_string (symbols[i]);

          if (!g_ptr_array_find (chosen, symbol, NULL))
            {
              g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND,
                           "%s: no data for symbol %s", path, symbols[i]);
              return NULL;
            }
          if (!g_ptr_array_find (wanted, symbol, NULL))
            g_ptr_array_add (wanted, (gpointer) symbol);
        }
      g_clear_pointer (&chosen, g_ptr_array_unref);
      chosen = g_steal_pointer (&wanted);
    }

  if (chosen->len == 0)
    {
      g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND,
                   "%s: no symbol folders with a prices.csv", path);
      return NULL;
    }

  g_ptr_array_sort (chosen, compare_strings);

  self = g_object_new (KANTOR_TYPE_COLLECTION_SOURCE, NULL);
  self->n_symbols = chosen->len;
  self->symbols = g_new0 (const char *, chosen->len + 1);
  memcpy (self->symbols, chosen->pdata, chosen->len * sizeof (char *));
  self->streams = g_new0 (Stream, 2 * chosen->len);

  /* Stream order is the tie-break at equal timestamps: every symbol's
   * trades first, then every symbol's book updates. */
  for (i = 0; i < chosen->len; i++)
    {
      const char *symbol = self->symbols[i];
      g_autofree char *dir = single ? g_strdup (path) : g_build_filename (root, symbol, NULL);
      g_autofree char *prices = g_build_filename (dir, "prices.csv", NULL);
      g_autofree char *book = g_build_filename (dir, "orderbook.csv", NULL);
      Stream *trades = &self->streams[self->n_streams];

      trades->reader = open_with_header (prices, prices_header, error);
      if (trades->reader == NULL)
        return NULL;
      stream_init (trades, KANTOR_EVENT_TRADE, symbol);
      self->n_streams++;

      if (g_file_test (book, G_FILE_TEST_EXISTS))
        {
          Stream *books = &self->streams[chosen->len + i];

          books->reader = open_with_header (book, book_header, error);
          if (books->reader == NULL)
            return NULL;
          stream_init (books, KANTOR_EVENT_BOOK, symbol);
        }
    }

  /* Book streams sit at [n_symbols, 2 n_symbols); compact away the missing
   * ones while keeping the order. */
  for (i = 0; i < chosen->len; i++)
    {
      Stream *books = &self->streams[chosen->len + i];

      if (books->reader != NULL)
        {
          self->streams[self->n_streams++] = *books;
          if (books != &self->streams[self->n_streams - 1])
            memset (books, 0, sizeof *books);
        }
    }
  self->merge = kantor_stream_merge_new_for_runs (self->n_streams, fill_stream, self);

  return KANTOR_MARKET_SOURCE (g_steal_pointer (&self));
}

void
kantor_collection_source_set_max_line_length (KantorCollectionSource *self,
                                              gsize                   max_length)
{
  guint i;

  g_return_if_fail (KANTOR_IS_COLLECTION_SOURCE (self));
  g_return_if_fail (!kantor_stream_merge_is_primed (self->merge));

  for (i = 0; i < self->n_streams; i++)
    {
      kantor_csv_reader_set_max_line_length (self->streams[i].reader, max_length);
      self->streams[i].max_line = max_length;
    }
}
