/* test-sources.c: market data sources (collection, Binance files, synthetic)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kantor-binance-source.h"
#include "kantor-collection-source.h"
#include "kantor-json.h"
#include "kantor-market-source.h"
#include "kantor-pacer.h"
#include "kantor-synthetic-source.h"

#define PRICES_HEADER "timestamp,price,volume,quote_volume\n"
#define BOOK_HEADER \
  "timestamp,bid_price_1,bid_qty_1,bid_price_2,bid_qty_2,bid_price_3,bid_qty_3," \
  "ask_price_1,ask_qty_1,ask_price_2,ask_qty_2,ask_price_3,ask_qty_3,best_bid,best_ask,spread\n"

static char *
small_collection_path (void)
{
  const char *src = g_getenv ("KANTOR_SOURCE_DIR");

  if (src != NULL)
    return g_build_filename (src, "tests", "data", "collection-small", NULL);
  return g_test_build_filename (G_TEST_DIST, "data", "collection-small", NULL);
}

/* A fresh folder under the test's own data folder. */
static char *
scratch_dir (const char *name)
{
  char *dir = g_build_filename (g_get_user_data_dir (), name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  return dir;
}

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Reads the whole source in batches of @batch; returns the events and
 * leaves any error in @error. */
static GArray *
read_all (KantorMarketSource *source,
          gsize               batch,
          GError            **error)
{
  GArray *events = g_array_new (FALSE, TRUE, sizeof (KantorMarketEvent));
  g_autofree KantorMarketEvent *buf = g_new (KantorMarketEvent, batch);

  for (;;)
    {
      gsize n = kantor_market_source_read (source, buf, batch, error);

      if (n == 0)
        break;
      g_array_append_vals (events, buf, n);
    }

  return events;
}

static gboolean
events_equal (const KantorMarketEvent *a,
              const KantorMarketEvent *b)
{
  guint i;

  if (a->kind != b->kind || a->time_ms != b->time_ms || a->symbol != b->symbol)
    return FALSE;
  if (a->kind == KANTOR_EVENT_TRADE)
    return a->price == b->price && a->volume == b->volume;
  for (i = 0; i < KANTOR_BOOK_LEVELS; i++)
    if (a->bids[i].price != b->bids[i].price || a->bids[i].qty != b->bids[i].qty
        || a->asks[i].price != b->asks[i].price || a->asks[i].qty != b->asks[i].qty)
      return FALSE;
  return TRUE;
}

/* Streams for KantorStreamMerge: times from arrays; one may fail. */
typedef struct
{
  const gint64      *times[3];
  guint              lengths[3];
  guint              next[3];
  guint              fail_stream;  /* G_MAXUINT: none */
  guint              fail_at;
  guint              calls;
  KantorMarketEvent  events[3];
} MergeStreams;

static const KantorMarketEvent *
merge_streams_advance (gpointer   user_data,
                       guint      stream,
                       GError   **error)
{
  MergeStreams *ms = user_data;
  KantorMarketEvent *ev = &ms->events[stream];
  guint i = ms->next[stream]++;

  ms->calls++;
  if (stream == ms->fail_stream && i == ms->fail_at)
    {
      g_set_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW, "stream %u broke", stream);
      return NULL;
    }
  if (i >= ms->lengths[stream])
    return NULL;
  memset (ev, 0, sizeof *ev);
  ev->kind = KANTOR_EVENT_TRADE;
  ev->time_ms = ms->times[stream][i];
  /* The stream and its position, to check the order of ties. */
  ev->price = stream;
  ev->volume = i;
  return ev;
}

static void
test_stream_merge (void)
{
  static const gint64 a[] = { 1, 3, 3, 7, 9, 9, 12 };
  static const gint64 b[] = { 0, 3, 8, 9, 20 };
  static const gint64 c[] = { 3, 3, 3 };
  MergeStreams ms = { { a, b, c }, { G_N_ELEMENTS (a), G_N_ELEMENTS (b), G_N_ELEMENTS (c) },
                      { 0 }, G_MAXUINT, 0, 0, { { 0 } } };
  g_autoptr(KantorStreamMerge) merge = kantor_stream_merge_new (3, merge_streams_advance, &ms);
  KantorMarketEvent out[32];
  gsize n = 0, got;
  g_autoptr(GError) error = NULL;

  /* Nothing is read before the first call. */
  g_assert_false (kantor_stream_merge_is_primed (merge));
  g_assert_cmpuint (ms.calls, ==, 0);

  /* Batches of every size give one merged sequence. */
  for (gsize want = 1; (got = kantor_stream_merge_read (merge, out + n, MIN (want, 32 - n),
                                                        &error)) > 0; want++)
    n += got;
  g_assert_no_error (error);
  g_assert_true (kantor_stream_merge_is_primed (merge));
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (a) + G_N_ELEMENTS (b) + G_N_ELEMENTS (c));
  for (gsize i = 1; i < n; i++)
    {
      /* Time order; at equal times the lower stream, then its own order. */
      g_assert_cmpint (out[i].time_ms, >=, out[i - 1].time_ms);
      if (out[i].time_ms == out[i - 1].time_ms)
        g_assert_true (out[i].price > out[i - 1].price
                       || (out[i].price == out[i - 1].price && out[i].volume > out[i - 1].volume));
    }
  g_assert_cmpint (out[0].time_ms, ==, 0);
  g_assert_cmpint (out[n - 1].time_ms, ==, 20);
  /* The end is sticky. */
  g_assert_cmpuint (kantor_stream_merge_read (merge, out, 32, &error), ==, 0);
  g_assert_no_error (error);
}

static void
test_stream_merge_failure (void)
{
  static const gint64 a[] = { 1, 2, 3, 4, 5, 6 };
  static const gint64 b[] = { 1, 2, 3, 4, 5, 6 };
  MergeStreams ms = { { a, b, NULL }, { G_N_ELEMENTS (a), G_N_ELEMENTS (b), 0 },
                      { 0 }, 1, 3, 0, { { 0 } } };
  g_autoptr(KantorStreamMerge) merge = kantor_stream_merge_new (2, merge_streams_advance, &ms);
  KantorMarketEvent out[32];
  g_autoptr(GError) error = NULL;
  gsize n;

  g_assert_true (kantor_stream_merge_prime (merge, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ms.calls, ==, 2);

  /* Stream 1 breaks when asked for its fourth event: what came before in
   * the batch is handed out (a1 b1 a2 b2 a3 b3), then the error, for good. */
  n = kantor_stream_merge_read (merge, out, 32, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpint (out[5].time_ms, ==, 3);
  g_assert_cmpfloat (out[5].price, ==, 1);
  for (guint round = 0; round < 2; round++)
    {
      g_assert_cmpuint (kantor_stream_merge_read (merge, out, 32, &error), ==, 0);
      g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
      g_assert_nonnull (strstr (error->message, "stream 1 broke"));
      g_clear_error (&error);
    }
  g_assert_false (kantor_stream_merge_prime (merge, &error));
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
}

/* Streams that hand out runs of random length (the same times as
 * MergeStreams, the same failure): every run of up to eight events is
 * rewritten in place, as a source reusing its buffer would. */
typedef struct
{
  MergeStreams       base;
  KantorMarketEvent  runs[3][8];
  guint              n_runs;
} RunStreams;

static const KantorMarketEvent *
run_streams_fill (gpointer   user_data,
                  guint      stream,
                  gsize     *n_events,
                  GError   **error)
{
  RunStreams *rs = user_data;
  guint want = g_test_rand_int_range (1, 9);
  gsize n = 0;

  rs->n_runs++;
  while (n < want)
    {
      GError *local_error = NULL;
      const KantorMarketEvent *ev = merge_streams_advance (&rs->base, stream, &local_error);

      if (ev == NULL)
        {
          /* Like a source: what was read before the failure goes out
           * first, the failure comes with the next call. */
          if (n == 0)
            {
              if (local_error != NULL)
                g_propagate_error (error, local_error);
              return NULL;
            }
          g_clear_error (&local_error);
          rs->base.next[stream]--;
          break;
        }
      rs->runs[stream][n++] = *ev;
    }
  *n_events = n;
  return rs->runs[stream];
}

static void
test_stream_merge_runs (void)
{
  for (guint round = 0; round < 300; round++)
    {
      gint64 times[3][40];
      guint lengths[3], fail_stream = round % 2 == 0 ? G_MAXUINT : round % 3;
      guint fail_at = g_test_rand_int_range (0, 40);
      MergeStreams one = { { times[0], times[1], times[2] }, { 0 }, { 0 }, fail_stream, fail_at,
                           0, { { 0 } } };
      RunStreams runs = { { { times[0], times[1], times[2] }, { 0 }, { 0 }, fail_stream, fail_at,
                            0, { { 0 } } }, { { { 0 } } }, 0 };
      g_autoptr(KantorStreamMerge) a = NULL;
      g_autoptr(KantorStreamMerge) b = NULL;
      g_autoptr(GError) error_a = NULL;
      g_autoptr(GError) error_b = NULL;
      KantorMarketEvent out_a[128], out_b[128];
      gsize n_a = 0, n_b = 0, got;

      /* Many ties: times drawn from a narrow range. */
      for (guint s = 0; s < 3; s++)
        {
          gint64 t = g_test_rand_int_range (0, 4);

          lengths[s] = g_test_rand_int_range (0, 41);
          for (guint i = 0; i < lengths[s]; i++)
            times[s][i] = t += g_test_rand_int_range (0, 3);
          one.lengths[s] = runs.base.lengths[s] = lengths[s];
        }

      a = kantor_stream_merge_new (3, merge_streams_advance, &one);
      b = kantor_stream_merge_new_for_runs (3, run_streams_fill, &runs);
      while ((got = kantor_stream_merge_read (a, out_a + n_a, g_test_rand_int_range (1, 6),
                                              &error_a)) > 0)
        n_a += got;
      while ((got = kantor_stream_merge_read (b, out_b + n_b, g_test_rand_int_range (1, 6),
                                              &error_b)) > 0)
        n_b += got;

      /* The same events in the same order, up to the same failure. */
      g_assert_cmpuint (n_a, ==, n_b);
      for (gsize i = 0; i < n_a; i++)
        {
          g_assert_cmpint (out_a[i].time_ms, ==, out_b[i].time_ms);
          g_assert_cmpfloat (out_a[i].price, ==, out_b[i].price);
          g_assert_cmpfloat (out_a[i].volume, ==, out_b[i].volume);
        }
      g_assert_true ((error_a == NULL) == (error_b == NULL));
      if (error_a != NULL)
        g_assert_cmpstr (error_a->message, ==, error_b->message);
      if (fail_stream == G_MAXUINT)
        g_assert_cmpuint (n_a, ==, lengths[0] + lengths[1] + lengths[2]);
    }
}

static void
test_stream_merge_prime_failure (void)
{
  static const gint64 a[] = { 1, 2 };
  MergeStreams ms = { { a, a, a }, { 2, 2, 2 }, { 0 }, 1, 0, 0, { { 0 } } };
  g_autoptr(KantorStreamMerge) merge = kantor_stream_merge_new (3, merge_streams_advance, &ms);
  KantorMarketEvent out[4];
  g_autoptr(GError) error = NULL;

  /* A stream that fails at once fails the first read; the streams after
   * it are not even asked. */
  g_assert_cmpuint (kantor_stream_merge_read (merge, out, 4, &error), ==, 0);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
  g_assert_cmpuint (ms.calls, ==, 2);
}

/* replace_top is a pop and a push of the same stream in one step: both
 * ways through the same random streams give the same merged order. */
static void
test_merge_heap_replace_top (void)
{
  g_autoptr(KantorMergeHeap) a = kantor_merge_heap_new (1);
  g_autoptr(KantorMergeHeap) b = kantor_merge_heap_new (1);
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  gint64 next_a[16], next_b[16];
  guint stream_a, stream_b, i;

  for (i = 0; i < G_N_ELEMENTS (next_a); i++)
    {
      next_a[i] = next_b[i] = g_rand_int_range (rand, 0, 5);
      kantor_merge_heap_push (a, i, next_a[i]);
      kantor_merge_heap_push (b, i, next_b[i]);
    }

  for (i = 0; i < 5000; i++)
    {
      gint64 step = g_rand_int_range (rand, 0, 3);

      g_assert_true (kantor_merge_heap_pop (a, &stream_a));
      g_assert_true (kantor_merge_heap_peek (b, &stream_b));
      g_assert_cmpuint (stream_a, ==, stream_b);
      g_assert_cmpint (next_a[stream_a], ==, next_b[stream_b]);
      next_a[stream_a] += step;
      next_b[stream_b] += step;
      kantor_merge_heap_push (a, stream_a, next_a[stream_a]);
      kantor_merge_heap_replace_top (b, next_b[stream_b]);
      g_assert_cmpuint (kantor_merge_heap_get_size (b), ==, G_N_ELEMENTS (next_b));
    }

  /* Draining both gives the same order too. */
  while (kantor_merge_heap_pop (a, &stream_a))
    {
      g_assert_true (kantor_merge_heap_pop (b, &stream_b));
      g_assert_cmpuint (stream_a, ==, stream_b);
    }
  g_assert_false (kantor_merge_heap_peek (b, &stream_b));
}

static void
test_merge_heap (void)
{
  g_autoptr(KantorMergeHeap) heap = kantor_merge_heap_new (2);
  gint64 times[200];
  gint64 last_time = G_MININT64;
  guint last_stream = 0, stream, i, n = 0;

  for (i = 0; i < G_N_ELEMENTS (times); i++)
    {
      times[i] = g_test_rand_int_range (0, 20);
      kantor_merge_heap_push (heap, i, times[i]);
    }
  g_assert_cmpuint (kantor_merge_heap_get_size (heap), ==, G_N_ELEMENTS (times));

  while (kantor_merge_heap_pop (heap, &stream))
    {
      /* Earliest first; at equal times the lower stream index first. */
      g_assert_true (times[stream] > last_time
                     || (times[stream] == last_time && stream > last_stream));
      last_time = times[stream];
      last_stream = stream;
      n++;
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (times));
}

static void
test_symbol_valid (void)
{
  g_assert_true (kantor_symbol_is_valid ("BTCUSDT"));
  g_assert_true (kantor_symbol_is_valid ("A"));
  g_assert_true (kantor_symbol_is_valid ("X_1"));
  g_assert_true (kantor_symbol_is_valid ("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"));
  g_assert_false (kantor_symbol_is_valid ("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"));
  g_assert_false (kantor_symbol_is_valid (""));
  g_assert_false (kantor_symbol_is_valid ("btcusdt"));
  g_assert_false (kantor_symbol_is_valid ("BTC-USDT"));
  g_assert_false (kantor_symbol_is_valid (NULL));
}

static void
test_pacer (void)
{
  g_autoptr(KantorPacer) pacer = kantor_pacer_new (10);

  /* The first event anchors the clock and is due at once. */
  g_assert_cmpint (kantor_pacer_delay_us (pacer, 1000000, 5000000), ==, 0);
  /* 1 s of event time at 10x is 100 ms of wall time. */
  g_assert_cmpint (kantor_pacer_delay_us (pacer, 1001000, 5000000), ==, 100000);
  g_assert_cmpint (kantor_pacer_delay_us (pacer, 1001000, 5060000), ==, 40000);
  g_assert_cmpint (kantor_pacer_delay_us (pacer, 1001000, 5100000), ==, 0);
  g_assert_cmpint (kantor_pacer_delay_us (pacer, 1000500, 5100000), ==, 0);
  g_assert_cmpfloat (kantor_pacer_get_speed (pacer), ==, 10);

  kantor_pacer_reset (pacer);
  g_assert_cmpint (kantor_pacer_delay_us (pacer, 2000000, 9000000), ==, 0);
  g_assert_cmpint (kantor_pacer_delay_us (pacer, 2000010, 9000000), ==, 1000);
}

static void
test_collection_merge (void)
{
  g_autofree char *path = small_collection_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = kantor_collection_source_new (path, NULL, &error);
  g_autoptr(GArray) events = NULL;
  const char *btc = g_intern_static_string ("BTCUSDT");
  const char *eth = g_intern_static_string ("ETHUSDT");
  /* Hand-checked against the files: at equal times trades first, then
   * books, each in symbol order. */
  static const struct
  {
    gint64 t;
    KantorEventKind kind;
    const char *symbol;
    double price;
  } want[] = {
    { 1700000000000, KANTOR_EVENT_TRADE, "BTCUSDT", 50000.5 },
    { 1700000000000, KANTOR_EVENT_BOOK, "BTCUSDT", 50000 },
    { 1700000000000, KANTOR_EVENT_BOOK, "ETHUSDT", 3000 },
    { 1700000000500, KANTOR_EVENT_TRADE, "BTCUSDT", 50001 },
    { 1700000000500, KANTOR_EVENT_TRADE, "ETHUSDT", 3000.1 },
    { 1700000001000, KANTOR_EVENT_TRADE, "BTCUSDT", 50002.25 },
    { 1700000001000, KANTOR_EVENT_TRADE, "ETHUSDT", 3000.2 },
    { 1700000001500, KANTOR_EVENT_BOOK, "BTCUSDT", 50001 },
    { 1700000002000, KANTOR_EVENT_TRADE, "BTCUSDT", 49999.75 },
    { 1700000003250, KANTOR_EVENT_TRADE, "ETHUSDT", 3001 },
  };
  const char * const *symbols;
  const KantorMarketEvent *ev;
  guint i;

  g_assert_no_error (error);
  symbols = kantor_market_source_get_symbols (source);
  g_assert_cmpstrv (symbols, ((const char *[]) { "BTCUSDT", "ETHUSDT", NULL }));
  g_assert_true (symbols[0] == btc && symbols[1] == eth);

  events = read_all (source, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (want));

  for (i = 0; i < G_N_ELEMENTS (want); i++)
    {
      ev = &g_array_index (events, KantorMarketEvent, i);
      g_assert_cmpint (ev->time_ms, ==, want[i].t);
      g_assert_cmpint (ev->kind, ==, want[i].kind);
      g_assert_true (ev->symbol == g_intern_string (want[i].symbol));
      if (ev->kind == KANTOR_EVENT_TRADE)
        g_assert_cmpfloat (ev->price, ==, want[i].price);
      else
        g_assert_cmpfloat (ev->bids[0].price, ==, want[i].price);
    }

  ev = &g_array_index (events, KantorMarketEvent, 1);
  g_assert_cmpfloat (ev->bids[2].price, ==, 49999);
  g_assert_cmpfloat (ev->bids[2].qty, ==, 3);
  g_assert_cmpfloat (ev->asks[0].price, ==, 50001);
  g_assert_cmpfloat (ev->asks[0].qty, ==, 1.5);
  g_assert_cmpfloat (ev->asks[2].qty, ==, 3.5);
  ev = &g_array_index (events, KantorMarketEvent, 0);
  g_assert_cmpfloat (ev->volume, ==, 0.1);

  /* At the end it stays at the end. */
  g_assert_false (kantor_market_source_next (source, (KantorMarketEvent[1]) { 0 }, &error));
  g_assert_no_error (error);
}

static void
test_collection_select (void)
{
  g_autofree char *path = small_collection_path ();
  g_autofree char *btc_path = g_build_filename (path, "BTCUSDT", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) eth = NULL;
  g_autoptr(KantorMarketSource) btc = NULL;
  g_autoptr(GArray) events = NULL;
  KantorMarketSource *missing;

  eth = kantor_collection_source_new (path, (const char *[]) { "ETHUSDT", NULL }, &error);
  g_assert_no_error (error);
  events = read_all (eth, 64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 4);
  g_clear_pointer (&events, g_array_unref);

  /* A symbol folder on its own. */
  btc = kantor_collection_source_new (btc_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (kantor_market_source_get_symbols (btc), ((const char *[]) { "BTCUSDT", NULL }));
  events = read_all (btc, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 6);

  missing = kantor_collection_source_new (path, (const char *[]) { "XRPUSDT", NULL }, &error);
  g_assert_null (missing);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "XRPUSDT"));
  g_clear_error (&error);

  missing = kantor_collection_source_new ("/nonexistent/collection", NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_NOT_FOUND);
}

typedef struct
{
  const char        *name;
  const char        *prices;      /* NULL: no prices.csv */
  const char        *book;        /* NULL: no orderbook.csv */
  gboolean           at_open;     /* the error comes from kantor_collection_source_new() */
  KantorSourceError  code;
  const char        *where;       /* "prices.csv:3:" */
  guint              good_events; /* events handed out before the error */
} BadCase;

static const BadCase bad_cases[] = {
  /* A short row in the middle is an error; only a last line without a line
   * end is taken for a torn write (see test_collection_torn_last_line). */
  { "short-row", PRICES_HEADER "1700000000.000,1,1,1\n1700000000.500,2\n1700000001.000,1,1,1\n",
    NULL, FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:3:", 1 },
  { "wrong-header", "timestamp,price,volume\n1700000000.000,1,1\n", NULL,
    TRUE, KANTOR_SOURCE_ERROR_HEADER, "prices.csv:1:", 0 },
  { "header-spaces", "timestamp, price, volume, quote_volume\n", NULL,
    TRUE, KANTOR_SOURCE_ERROR_HEADER, "prices.csv:1:", 0 },
  { "empty", "", NULL, TRUE, KANTOR_SOURCE_ERROR_EMPTY, "prices.csv", 0 },
  { "nan", PRICES_HEADER "1700000000.000,1,1,1\n1700000001.000,nan,1,1\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:3:", 1 },
  { "inf", PRICES_HEADER "1700000001.000,inf,1,1\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:2:", 0 },
  { "overflow", PRICES_HEADER "1700000001.000,1e400,1,1\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:2:", 0 },
  { "negative", PRICES_HEADER "1700000001.000,-5,1,1\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:2:", 0 },
  { "zero-price", PRICES_HEADER "1700000001.000,0,1,1\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:2:", 0 },
  { "zero-volume", PRICES_HEADER "1700000001.000,1,0,0\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:2:", 0 },
  { "bad-time", PRICES_HEADER "2023-11-14T22:13:20Z,1,1,1\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:2:", 0 },
  { "sub-millisecond", PRICES_HEADER "1700000000.0005,1,1,1\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_ROW, "prices.csv:2:", 0 },
  { "out-of-order",
    PRICES_HEADER "1700000000.500,1,1,1\n1700000000.500,1,1,1\n1700000000.400,1,1,1\n", NULL,
    FALSE, KANTOR_SOURCE_ERROR_OUT_OF_ORDER, "prices.csv:4:", 2 },
  { "no-prices", NULL, BOOK_HEADER, TRUE, KANTOR_SOURCE_ERROR_NOT_FOUND, "", 0 },
  { "book-fields", PRICES_HEADER, BOOK_HEADER "1700000000.000,1,1,0.9,1\n",
    FALSE, KANTOR_SOURCE_ERROR_ROW, "orderbook.csv:2:", 0 },
  { "book-order", PRICES_HEADER,
    BOOK_HEADER "1700000000.000,10,1,10.5,1,9,1,11,1,12,1,13,1,10,11,1\n",
    FALSE, KANTOR_SOURCE_ERROR_ROW, "orderbook.csv:2:", 0 },
  { "book-gap", PRICES_HEADER,
    BOOK_HEADER "1700000000.000,10,1,0,0,9,1,11,1,12,1,13,1,10,11,1\n",
    FALSE, KANTOR_SOURCE_ERROR_ROW, "orderbook.csv:2:", 0 },
  { "book-nan-qty", PRICES_HEADER,
    BOOK_HEADER "1700000000.000,10,nan,9,1,8,1,11,1,12,1,13,1,10,11,1\n",
    FALSE, KANTOR_SOURCE_ERROR_ROW, "orderbook.csv:2:", 0 },
  { "book-out-of-order", PRICES_HEADER,
    BOOK_HEADER "1700000000.000,10,1,9,1,8,1,11,1,12,1,13,1,10,11,1\n"
                "1699999999.999,10,1,9,1,8,1,11,1,12,1,13,1,10,11,1\n",
    FALSE, KANTOR_SOURCE_ERROR_OUT_OF_ORDER, "orderbook.csv:3:", 1 },
};

static void
test_collection_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree char *root = scratch_dir (c->name);
  g_autofree char *sym = g_build_filename (root, "TEST", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GArray) events = NULL;

  g_assert_cmpint (g_mkdir_with_parents (sym, 0700), ==, 0);
  if (c->prices != NULL)
    write_file (sym, "prices.csv", c->prices);
  if (c->book != NULL)
    write_file (sym, "orderbook.csv", c->book);

  source = kantor_collection_source_new (c->prices != NULL ? root : sym, NULL, &error);
  if (c->at_open)
    {
      g_assert_null (source);
    }
  else
    {
      g_assert_no_error (error);
      events = read_all (source, 16, &error);
      g_assert_cmpuint (events->len, ==, c->good_events);
    }
  g_assert_error (error, KANTOR_SOURCE_ERROR, (int) c->code);
  g_test_message ("%s: %s", c->name, error->message);
  g_assert_nonnull (strstr (error->message, c->where));
  g_assert_nonnull (strstr (error->message, root));

  /* A failed source stays failed: it never resumes past the bad row. */
  if (source != NULL)
    {
      g_autoptr(GError) again = NULL;
      KantorMarketEvent ev;

      g_assert_false (kantor_market_source_next (source, &ev, &again));
      g_assert_error (again, KANTOR_SOURCE_ERROR, (int) c->code);
      g_assert_cmpstr (again->message, ==, error->message);
    }
}

static void
test_collection_header_only (void)
{
  g_autofree char *root = scratch_dir ("header-only");
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GArray) events = NULL;

  write_file (root, "AAA/prices.csv", PRICES_HEADER);
  write_file (root, "AAA/orderbook.csv", BOOK_HEADER);
  /* CRLF is fine. */
  write_file (root, "BBB/prices.csv", "timestamp,price,volume,quote_volume\r\n"
                                      "1700000000.000,2,3,6\r\n1700000000.001,2,3,6\r\n");
  source = kantor_collection_source_new (root, NULL, &error);
  g_assert_no_error (error);
  events = read_all (source, 16, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpint (g_array_index (events, KantorMarketEvent, 1).time_ms, ==, 1700000000001);
}

/* Replays the collection at @root, expecting one warning about @where
 * ("AAA/prices.csv:5") and no error; returns the events. */
static GArray *
replay_torn (const char *root,
             const char *where)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autofree char *pattern = g_strdup_printf ("*%s: ignoring an incomplete last line*", where);
  GArray *events;
  KantorMarketEvent ev;

  source = kantor_collection_source_new (root, NULL, &error);
  g_assert_no_error (error);
  g_test_expect_message ("kantor-engine", G_LOG_LEVEL_WARNING, pattern);
  events = read_all (source, 2, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  /* The end stays the end: no second warning, no error. */
  g_assert_false (kantor_market_source_next (source, &ev, &error));
  g_assert_no_error (error);
  return events;
}

static void
test_collection_torn_last_line (void)
{
  g_autofree char *cut = scratch_dir ("torn-cut");
  g_autofree char *whole = scratch_dir ("torn-whole");
  g_autofree char *book = scratch_dir ("torn-book");
  g_autoptr(GArray) events = NULL;
  const KantorMarketEvent *last;

  /* Cut in the middle of a row: the complete rows replay, the rest is ignored. */
  write_file (cut, "AAA/prices.csv", PRICES_HEADER
              "1700000000.000,10,1,10\n1700000001.000,11,2,22\n1700000002.000,12,3,36\n"
              "1700000003.000,13,");
  events = replay_torn (cut, "AAA" G_DIR_SEPARATOR_S "prices.csv:5");
  g_assert_cmpuint (events->len, ==, 3);
  last = &g_array_index (events, KantorMarketEvent, 2);
  g_assert_cmpint (last->time_ms, ==, 1700000002000);
  g_assert_cmpfloat (last->price, ==, 12);
  g_clear_pointer (&events, g_array_unref);

  /* A row that looks complete but has no line end may still be cut short
   * (a price of "12" for "12.5"): it is skipped as well. */
  write_file (whole, "AAA/prices.csv", PRICES_HEADER
              "1700000000.000,10,1,10\n1700000001.000,12,2,24");
  events = replay_torn (whole, "AAA" G_DIR_SEPARATOR_S "prices.csv:3");
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpint (g_array_index (events, KantorMarketEvent, 0).time_ms, ==, 1700000000000);
  g_clear_pointer (&events, g_array_unref);

  /* The book is read the same way, and a torn book does not stop the trades. */
  write_file (book, "AAA/prices.csv", PRICES_HEADER
              "1700000000.000,10,1,10\n1700000005.000,11,1,11\n");
  write_file (book, "AAA/orderbook.csv", BOOK_HEADER
              "1700000001.000,10,1,9,1,8,1,11,1,12,1,13,1,10,11,1\n"
              "1700000002.000,10,1,9,1,8,1,11,1,12,1,13,1,10,1");
  events = replay_torn (book, "AAA" G_DIR_SEPARATOR_S "orderbook.csv:3");
  g_assert_cmpuint (events->len, ==, 3);
  g_assert_cmpint (g_array_index (events, KantorMarketEvent, 1).kind, ==, KANTOR_EVENT_BOOK);
  g_assert_cmpint (g_array_index (events, KantorMarketEvent, 2).time_ms, ==, 1700000005000);
}

static void
test_collection_long_line (void)
{
  g_autofree char *root = scratch_dir ("long-line");
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GArray) events = NULL;
  g_autoptr(GString) text = g_string_new (PRICES_HEADER "1700000000.000,1,1,1\n");

  /* A line one byte over a 64-byte limit. */
  g_string_append (text, "1700000000.000,1,1,");
  while (text->len < strlen (PRICES_HEADER "1700000000.000,1,1,1\n") + 65)
    g_string_append_c (text, '1');
  g_string_append (text, "\n");
  write_file (root, "LONG/prices.csv", text->str);

  source = kantor_collection_source_new (root, NULL, &error);
  g_assert_no_error (error);
  kantor_collection_source_set_max_line_length (KANTOR_COLLECTION_SOURCE (source), 64);
  events = read_all (source, 16, &error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_LINE_TOO_LONG);
  g_assert_nonnull (strstr (error->message, "prices.csv:3:"));
}

static void
test_collection_gigabyte_line (void)
{
  g_autofree char *root = scratch_dir ("gigabyte");
  g_autofree char *path = g_build_filename (root, "HUGE", "prices.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GArray) events = NULL;
  int fd;

  /* A 1 GB second line that takes no disk: the file is sparse. The reader
   * must give up shortly after its limit instead of reading a gigabyte. */
  write_file (root, "HUGE/prices.csv", PRICES_HEADER "1700000000.000,1,1,1\n1700000000.000,");
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 1 << 30), ==, 0);
  g_assert_cmpint (lseek (fd, 0, SEEK_END), ==, (off_t) 1 << 30);
  g_assert_cmpint (write (fd, "\n", 1), ==, 1);
  g_close (fd, NULL);

  source = kantor_collection_source_new (root, NULL, &error);
  g_assert_no_error (error);
  events = read_all (source, 16, &error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_LINE_TOO_LONG);
  g_assert_nonnull (strstr (error->message, "prices.csv:3:"));
}

/* The same four trades in each of the archive's shapes. */
#define TRADES_HEADER "id,price,qty,quote_qty,time,is_buyer_maker,is_best_match\n"
#define TRADES_ROWS \
  "100,42000.10,0.5,21000.05,1704067200000,True,True\n" \
  "101,42000.20,0.25,10500.05,1704067200000,False,True\n" \
  "102,41999.90,1.0,41999.9,1704067200123,true,true\n" \
  "103,42001.00,0.001,42.001,1704067201999,false,true\n"
#define AGG_HEADER \
  "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n"
#define AGG_ROWS \
  "7,42000.10,0.5,100,100,1704067200000,True\n" \
  "8,42000.20,0.25,101,101,1704067200000,False\n" \
  "9,41999.90,1.0,102,102,1704067200123,true\n" \
  "10,42001.00,0.001,103,103,1704067201999,false\n"

static void
check_binance_trades (GArray *events)
{
  const char *btc = g_intern_static_string ("BTCUSDT");
  static const struct { gint64 t; double price, qty; } want[] = {
    { 1704067200000, 42000.10, 0.5 },
    { 1704067200000, 42000.20, 0.25 },
    { 1704067200123, 41999.90, 1.0 },
    { 1704067201999, 42001.00, 0.001 },
  };
  guint i;

  g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (want));
  for (i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const KantorMarketEvent *ev = &g_array_index (events, KantorMarketEvent, i);

      g_assert_cmpint (ev->kind, ==, KANTOR_EVENT_TRADE);
      g_assert_true (ev->symbol == btc);
      g_assert_cmpint (ev->time_ms, ==, want[i].t);
      g_assert_cmpfloat (ev->price, ==, want[i].price);
      g_assert_cmpfloat (ev->volume, ==, want[i].qty);
    }
}

static void
test_binance_formats (void)
{
  static const struct { const char *file; const char *text; } shapes[] = {
    { "BTCUSDT-trades-2024-01-01.csv", TRADES_HEADER TRADES_ROWS },
    { "BTCUSDT-trades-2024-01-02.csv", TRADES_ROWS },
    { "BTCUSDT-aggTrades-2024-01-01.csv", AGG_HEADER AGG_ROWS },
    { "BTCUSDT-aggTrades-2024-01-02.csv", AGG_ROWS },
  };
  g_autofree char *root = scratch_dir ("binance-formats");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autofree char *path = g_build_filename (root, shapes[i].file, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(KantorMarketSource) source = NULL;
      g_autoptr(GArray) events = NULL;

      write_file (root, shapes[i].file, shapes[i].text);
      source = kantor_binance_source_new (path, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstrv (kantor_market_source_get_symbols (source),
                        ((const char *[]) { "BTCUSDT", NULL }));
      events = read_all (source, 3, &error);
      g_assert_no_error (error);
      check_binance_trades (events);
    }
}

static void
test_binance_microseconds (void)
{
  g_autofree char *root = scratch_dir ("binance-us");
  g_autofree char *path = g_build_filename (root, "BTCUSDT-trades-2025-01-01.csv", NULL);
  g_autofree char *mixed = g_build_filename (root, "mixed.csv", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GArray) events = NULL;

  write_file (root, "BTCUSDT-trades-2025-01-01.csv",
              "1,100.5,2,201,1735689600000123,true,true\n"
              "2,100.25,1,100.25,1735689600999999,false,true\n");
  source = kantor_binance_source_new (path, NULL, &error);
  g_assert_no_error (error);
  events = read_all (source, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpint (g_array_index (events, KantorMarketEvent, 0).time_ms, ==, 1735689600000);
  g_assert_cmpint (g_array_index (events, KantorMarketEvent, 1).time_ms, ==, 1735689600999);
  g_clear_object (&source);
  g_clear_pointer (&events, g_array_unref);

  /* A file that switches unit half way is refused, not guessed. */
  write_file (root, "mixed.csv",
              "1,100.5,2,201,1735689600000123,true,true\n"
              "2,100.25,1,100.25,1735689601000,false,true\n");
  source = kantor_binance_source_new (mixed, "ethusdt", &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (kantor_market_source_get_symbols (source),
                    ((const char *[]) { "ETHUSDT", NULL }));
  events = read_all (source, 8, &error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
  g_assert_nonnull (strstr (error->message, "mixed.csv:2:"));
}

static void
test_binance_folder (void)
{
  g_autofree char *root = scratch_dir ("binance-folder");
  g_autofree char *both = scratch_dir ("binance-both");
  g_autofree char *gap = scratch_dir ("binance-overlap");
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GArray) events = NULL;
  KantorMarketSource *refused;
  const char *expected_symbols[] = { "BTCUSDT", "ETHUSDT", "ETHUSDT", "BTCUSDT", "ETHUSDT" };
  const gint64 expected_times[] = { 1000, 1000, 1500, 86401000, 86402000 };
  guint i;

  write_file (root, "BTCUSDT-trades-2024-01-02.csv", TRADES_HEADER
              "5,10,1,10,86401000,true,true\n");
  write_file (root, "BTCUSDT-trades-2024-01-01.csv", TRADES_HEADER
              "4,10,1,10,1000,true,true\n");
  write_file (root, "ETHUSDT-aggTrades-2024-01-01.csv",
              "1,5,1,1,1,1000,true\n2,5,1,2,3,1500,false\n");
  write_file (root, "ETHUSDT-aggTrades-2024-01-02.csv", "3,5,1,4,4,86402000,true\n");
  write_file (root, "README.txt", "not data");

  source = kantor_binance_source_new (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (kantor_market_source_get_symbols (source),
                    ((const char *[]) { "BTCUSDT", "ETHUSDT", NULL }));
  events = read_all (source, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (expected_times));
  for (i = 0; i < events->len; i++)
    {
      const KantorMarketEvent *ev = &g_array_index (events, KantorMarketEvent, i);

      g_assert_cmpint (ev->time_ms, ==, expected_times[i]);
      g_assert_cmpstr (ev->symbol, ==, expected_symbols[i]);
    }
  g_clear_object (&source);
  g_clear_pointer (&events, g_array_unref);

  /* One symbol of the folder. */
  source = kantor_binance_source_new (root, "ETHUSDT", &error);
  g_assert_no_error (error);
  events = read_all (source, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 3);

  /* trades and aggTrades of one symbol would count every trade twice. */
  write_file (both, "BTCUSDT-trades-2024-01-01.csv", TRADES_ROWS);
  write_file (both, "BTCUSDT-aggTrades-2024-01-01.csv", AGG_ROWS);
  refused = kantor_binance_source_new (both, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID);
  g_clear_error (&error);

  /* Days that overlap in time. */
  write_file (gap, "BTCUSDT-trades-2024-01-01.csv", "1,10,1,10,5000,true,true\n");
  write_file (gap, "BTCUSDT-trades-2024-01-02.csv", "2,10,1,10,4000,true,true\n");
  g_clear_object (&source);
  source = kantor_binance_source_new (gap, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&events, g_array_unref);
  events = read_all (source, 2, &error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_OUT_OF_ORDER);
  g_assert_nonnull (strstr (error->message, "BTCUSDT-trades-2024-01-02.csv:1:"));
}

static void
test_binance_bad (void)
{
  static const struct
  {
    const char *text;
    KantorSourceError code;
    const char *where;
    guint good;
  } cases[] = {
    { "1,10,1,10,1000,maybe,true\n", KANTOR_SOURCE_ERROR_ROW, ":1:", 0 },
    { "1,10,1,10,1000,true,true\n2,10,1,10,999,true,true\n", KANTOR_SOURCE_ERROR_OUT_OF_ORDER,
      ":2:", 1 },
    { "1,10,0,0,1000,true,true\n", KANTOR_SOURCE_ERROR_ROW, ":1:", 0 },
    { "1,NaN,1,1,1000,true,true\n", KANTOR_SOURCE_ERROR_ROW, ":1:", 0 },
    { "1,-10,1,1,1000,true,true\n", KANTOR_SOURCE_ERROR_ROW, ":1:", 0 },
    { "1,10,1,10,1000,true\n", KANTOR_SOURCE_ERROR_ROW, ":1:", 0 },
    { TRADES_HEADER "1,10,1,10,1000,true,true\n2,10,1", KANTOR_SOURCE_ERROR_ROW, ":3:", 1 },
    { "7,10,1,5,4,1000,true\n", KANTOR_SOURCE_ERROR_ROW, ":1:", 0 },
  };
  static const char * const refused_at_open[] = {
    "", "time,price,qty\n1,2,3\n", "id,price,qty,quote_qty,time,is_buyer_maker\n",
  };
  g_autofree char *root = scratch_dir ("binance-bad");
  g_autofree char *path = g_build_filename (root, "XYZUSDT-trades-2024-01-01.csv", NULL);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KantorMarketSource) source = NULL;
      g_autoptr(GArray) events = NULL;

      write_file (root, "XYZUSDT-trades-2024-01-01.csv", cases[i].text);
      source = kantor_binance_source_new (path, NULL, &error);
      if (source != NULL)
        {
          events = read_all (source, 4, &error);
          g_assert_cmpuint (events->len, ==, cases[i].good);
        }
      else
        g_assert_cmpuint (cases[i].good, ==, 0);
      g_assert_error (error, KANTOR_SOURCE_ERROR, (int) cases[i].code);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].where));
    }

  for (i = 0; i < G_N_ELEMENTS (refused_at_open); i++)
    {
      g_autoptr(GError) error = NULL;
      KantorMarketSource *source;

      write_file (root, "XYZUSDT-trades-2024-01-01.csv", refused_at_open[i]);
      source = kantor_binance_source_new (path, NULL, &error);
      g_assert_null (source);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "XYZUSDT-trades-2024-01-01.csv"));
    }
}

static GArray *
synthetic_events (const char * const *symbols,
                  guint64             seed,
                  guint64             n,
                  gsize               batch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  GArray *events;

  source = kantor_synthetic_source_new (symbols, seed, KANTOR_SYNTHETIC_DEFAULT_START_MS, n,
                                        &error);
  g_assert_no_error (error);
  events = read_all (source, batch, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, n);
  return events;
}

static double
first_trade_price (GArray *events)
{
  guint i;

  for (i = 0; i < events->len; i++)
    if (g_array_index (events, KantorMarketEvent, i).kind == KANTOR_EVENT_TRADE)
      return g_array_index (events, KantorMarketEvent, i).price;
  g_assert_not_reached ();
}

static void
test_synthetic_deterministic (void)
{
  const char *one[] = { "BTCUSDT", NULL };
  const char *two[] = { "ETHUSDT", "BTCUSDT", NULL };
  g_autoptr(GArray) a = synthetic_events (one, 42, 20000, 1000);
  g_autoptr(GArray) b = synthetic_events (one, 42, 20000, 7);
  g_autoptr(GArray) c = synthetic_events (one, 43, 20000, 1000);
  g_autoptr(GArray) d = synthetic_events (two, 42, 40000, 1000);
  guint i, j, differ = 0;

  /* Same (symbol, seed), any batching: the same events. */
  for (i = 0; i < a->len; i++)
    g_assert_true (events_equal (&g_array_index (a, KantorMarketEvent, i),
                                 &g_array_index (b, KantorMarketEvent, i)));

  /* Another seed: another path, from the same starting level. */
  for (i = 0; i < a->len; i++)
    differ += !events_equal (&g_array_index (a, KantorMarketEvent, i),
                             &g_array_index (c, KantorMarketEvent, i));
  g_assert_cmpuint (differ, >, a->len / 2);
  g_assert_cmpfloat (fabs (first_trade_price (a) / first_trade_price (c) - 1), <, 0.01);

  /* Adding a symbol does not change the others' events. */
  for (i = 0, j = 0; i < d->len && j < a->len / 2; i++)
    {
      const KantorMarketEvent *ev = &g_array_index (d, KantorMarketEvent, i);

      if (ev->symbol != g_intern_static_string ("BTCUSDT"))
        continue;
      g_assert_true (events_equal (ev, &g_array_index (a, KantorMarketEvent, j)));
      j++;
    }
  g_assert_cmpuint (j, ==, a->len / 2);
}

static void
test_synthetic_realistic (void)
{
  const char *symbols[] = { "PUMPUSDT", NULL };
  g_autoptr(GArray) events = synthetic_events (symbols, 7, 300000, 4096);
  const KantorMarketEvent *first = &g_array_index (events, KantorMarketEvent, 0);
  const KantorMarketEvent *last = &g_array_index (events, KantorMarketEvent, events->len - 1);
  g_autoptr(GArray) minute_close = g_array_new (FALSE, TRUE, sizeof (double));
  g_autoptr(GArray) minute_count = g_array_new (FALSE, TRUE, sizeof (guint));
  gint64 prev_time = first->time_ms;
  guint n_trades = 0, n_books = 0, i;
  double hours, best_rise = 0, max_rate = 0, per_minute;
  guint busy_minutes = 0;

  g_assert_cmpint (first->time_ms, ==, KANTOR_SYNTHETIC_DEFAULT_START_MS);

  for (i = 0; i < events->len; i++)
    {
      const KantorMarketEvent *ev = &g_array_index (events, KantorMarketEvent, i);
      guint minute = (guint) ((ev->time_ms - first->time_ms) / 60000);

      g_assert_cmpint (ev->time_ms, >=, prev_time);
      prev_time = ev->time_ms;
      if (minute >= minute_close->len)
        {
          g_array_set_size (minute_close, minute + 1);
          g_array_set_size (minute_count, minute + 1);
        }
      g_array_index (minute_count, guint, minute)++;

      if (ev->kind == KANTOR_EVENT_TRADE)
        {
          n_trades++;
          g_assert_true (isfinite (ev->price) && ev->price > 0);
          g_assert_true (isfinite (ev->volume) && ev->volume > 0);
          g_array_index (minute_close, double, minute) = ev->price;
        }
      else
        {
          guint l;

          n_books++;
          g_assert_cmpint (ev->kind, ==, KANTOR_EVENT_BOOK);
          g_assert_cmpfloat (ev->bids[0].price, <, ev->asks[0].price);
          for (l = 0; l < KANTOR_BOOK_LEVELS; l++)
            {
              g_assert_cmpfloat (ev->bids[l].qty, >, 0);
              g_assert_cmpfloat (ev->asks[l].qty, >, 0);
              g_assert_cmpfloat (ev->bids[l].price, >, 0);
              if (l > 0)
                {
                  g_assert_cmpfloat (ev->bids[l].price, <, ev->bids[l - 1].price);
                  g_assert_cmpfloat (ev->asks[l].price, >, ev->asks[l - 1].price);
                }
            }
        }
    }

  /* Several events a second, two thirds of them trades. */
  hours = (last->time_ms - first->time_ms) / 3600000.0;
  g_test_message ("%u events over %.1f h", events->len, hours);
  g_assert_cmpfloat (events->len / (hours * 3600), >, 2);
  g_assert_cmpfloat (events->len / (hours * 3600), <, 20);
  g_assert_cmpfloat ((double) n_trades / events->len, >, 0.55);
  g_assert_cmpfloat ((double) n_books / events->len, >, 0.25);

  /* Pump episodes: a rise of more than 8 % within ten minutes. */
  for (i = 1; i < minute_close->len; i++)
    {
      if (g_array_index (minute_close, double, i) == 0)
        g_array_index (minute_close, double, i) = g_array_index (minute_close, double, i - 1);
    }
  for (i = 10; i < minute_close->len; i++)
    {
      double now = g_array_index (minute_close, double, i);
      double before = g_array_index (minute_close, double, i - 10);

      if (before > 0 && now / before - 1 > best_rise)
        best_rise = now / before - 1;
    }
  g_test_message ("largest 10-minute rise: %.1f %%", best_rise * 100);
  g_assert_cmpfloat (best_rise, >, 0.08);

  /* Volume bursts and pumps: minutes far busier than the average. */
  per_minute = (double) events->len / minute_count->len;
  for (i = 0; i < minute_count->len; i++)
    {
      double rate = g_array_index (minute_count, guint, i);

      max_rate = MAX (max_rate, rate);
      busy_minutes += rate > 3 * per_minute;
    }
  g_assert_cmpfloat (max_rate, >, 3 * per_minute);
  g_assert_cmpuint (busy_minutes, >, 5);
}

static void
test_synthetic_arguments (void)
{
  g_autoptr(GError) error = NULL;
  KantorMarketSource *source;

  source = kantor_synthetic_source_new ((const char *[]) { "btc", NULL }, 1, 0, 0, &error);
  g_assert_null (source);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID);
  g_clear_error (&error);

  source = kantor_synthetic_source_new ((const char *[]) { NULL }, 1, 0, 0, &error);
  g_assert_null (source);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_INVALID);
  g_clear_error (&error);

  /* Without a limit it does not end. */
  source = kantor_synthetic_source_new ((const char *[]) { "A", "B", "A", NULL }, 1, 0, 0,
                                        &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (kantor_market_source_get_symbols (source),
                    ((const char *[]) { "A", "B", NULL }));
  {
    g_autofree KantorMarketEvent *buf = g_new (KantorMarketEvent, 1000);
    guint round;

    for (round = 0; round < 100; round++)
      g_assert_cmpuint (kantor_market_source_read (source, buf, 1000, &error), ==, 1000);
  }
  g_object_unref (source);
}

static void
append_number (GString *out,
               double   v)
{
  char buf[32];

  kantor_format_double (v, buf);
  g_string_append_c (out, ',');
  g_string_append (out, buf);
}

static void
test_collection_round_trip (void)
{
  const char *symbols[] = { "AAAUSDT", "BBBUSDT", NULL };
  g_autoptr(GArray) generated = synthetic_events (symbols, 99, 30000, 512);
  g_autofree char *root = scratch_dir ("round-trip");
  g_autoptr(GString) a_prices = g_string_new (PRICES_HEADER);
  g_autoptr(GString) a_book = g_string_new (BOOK_HEADER);
  g_autoptr(GString) b_prices = g_string_new (PRICES_HEADER);
  g_autoptr(GString) b_book = g_string_new (BOOK_HEADER);
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GArray) replayed = NULL;
  g_autoptr(GError) error = NULL;
  guint i;

  /* Recorded as a recorder would (shortest round-trip numbers), a synthetic
   * market replays to exactly the same events: every number read back to
   * the same double, and the merge puts them back in the same order. */
  for (i = 0; i < generated->len; i++)
    {
      const KantorMarketEvent *ev = &g_array_index (generated, KantorMarketEvent, i);
      gboolean a = ev->symbol == g_intern_static_string ("AAAUSDT");
      GString *out;

      if (ev->kind == KANTOR_EVENT_TRADE)
        {
          out = a ? a_prices : b_prices;
          g_string_append_printf (out, "%" G_GINT64_FORMAT ".%03d", ev->time_ms / 1000,
                                  (int) (ev->time_ms % 1000));
          append_number (out, ev->price);
          append_number (out, ev->volume);
          append_number (out, ev->price * ev->volume);
        }
      else
        {
          guint l;

          out = a ? a_book : b_book;
          g_string_append_printf (out, "%" G_GINT64_FORMAT ".%03d", ev->time_ms / 1000,
                                  (int) (ev->time_ms % 1000));
          for (l = 0; l < KANTOR_BOOK_LEVELS; l++)
            {
              append_number (out, ev->bids[l].price);
              append_number (out, ev->bids[l].qty);
            }
          for (l = 0; l < KANTOR_BOOK_LEVELS; l++)
            {
              append_number (out, ev->asks[l].price);
              append_number (out, ev->asks[l].qty);
            }
          append_number (out, ev->bids[0].price);
          append_number (out, ev->asks[0].price);
          append_number (out, ev->asks[0].price - ev->bids[0].price);
        }
      g_string_append_c (out, '\n');
    }
  write_file (root, "AAAUSDT/prices.csv", a_prices->str);
  write_file (root, "AAAUSDT/orderbook.csv", a_book->str);
  write_file (root, "BBBUSDT/prices.csv", b_prices->str);
  write_file (root, "BBBUSDT/orderbook.csv", b_book->str);

  source = kantor_collection_source_new (root, NULL, &error);
  g_assert_no_error (error);
  replayed = read_all (source, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (replayed->len, ==, generated->len);

  /* The synthetic feed orders equal times by symbol only, the replay puts
   * trades first: compare within each millisecond as sets, in order. */
  for (i = 0; i < generated->len;)
    {
      gint64 t = g_array_index (generated, KantorMarketEvent, i).time_ms;
      guint j = i, k;

      while (j < generated->len && g_array_index (generated, KantorMarketEvent, j).time_ms == t)
        j++;
      for (k = i; k < j; k++)
        {
          const KantorMarketEvent *want = &g_array_index (generated, KantorMarketEvent, k);
          gboolean found = FALSE;

          for (guint m = i; m < j && !found; m++)
            found = events_equal (want, &g_array_index (replayed, KantorMarketEvent, m));
          g_assert_true (found);
        }
      i = j;
    }
}

/* @v in one of the shapes a recording may hold (the common short decimal,
 * long mantissas, exponents, leading zeros), appended after a comma;
 * returns what the text means to strtod(). */
static double
append_shaped (GString *out,
               double   v)
{
  char buf[64];
  char *end = NULL;
  double back;

  switch (g_test_rand_int_range (0, 8))
    {
    case 0:
      g_ascii_formatd (buf, sizeof buf, "%.17g", v);
      break;
    case 1:
      g_ascii_formatd (buf, sizeof buf, "%.6e", v);
      break;
    case 2:
      buf[0] = '0';
      buf[1] = '0';
      g_ascii_formatd (buf + 2, sizeof buf - 2, "%.4f", v);
      break;
    case 3:
      g_ascii_formatd (buf, sizeof buf, "%.10f", v);
      break;
    default:
      g_ascii_formatd (buf, sizeof buf, "%.3f", v);
      break;
    }
  back = g_ascii_strtod (buf, &end);
  g_assert_true (*end == '\0');
  g_string_append_c (out, ',');
  g_string_append (out, buf);
  return back;
}

/* A timestamp in one of its accepted shapes. */
static void
append_time (GString *out,
             gint64   t)
{
  gint64 s = t / 1000;
  int ms = (int) (t % 1000);

  if (ms == 0 && g_test_rand_bit ())
    g_string_append_printf (out, "%" G_GINT64_FORMAT, s);
  else if (ms % 100 == 0 && g_test_rand_bit ())
    g_string_append_printf (out, "%" G_GINT64_FORMAT ".%d", s, ms / 100);
  else if (g_test_rand_int_range (0, 8) == 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT ".%03d00", s, ms);
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT ".%03d", s, ms);
}

static void
end_row (GString *out)
{
  g_string_append (out, g_test_rand_int_range (0, 10) == 0 ? "\r\n" : "\n");
}

static int
compare_events_by_time (gconstpointer a,
                        gconstpointer b)
{
  const KantorMarketEvent *x = a, *y = b;

  return (x->time_ms > y->time_ms) - (x->time_ms < y->time_ms);
}

/* Rows of every shape, in files larger than the reader's blocks, with a
 * bad book row at the end: the events are exactly what strtod() makes of
 * the text, in time order, and the error names the file and line after
 * every event before it was handed out. */
static void
test_collection_mixed_shapes (void)
{
  g_autofree char *root = scratch_dir ("mixed-shapes");
  g_autoptr(GString) prices = g_string_new (PRICES_HEADER);
  g_autoptr(GString) book = g_string_new (BOOK_HEADER);
  g_autoptr(GArray) want = g_array_new (FALSE, TRUE, sizeof (KantorMarketEvent));
  g_autoptr(GArray) got = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  const char *symbol = g_intern_static_string ("MIX");
  gint64 t0 = G_GINT64_CONSTANT (1700000000000), last_book = 0;
  guint n_trades = 3000, n_books = 2000, i, good;

  for (i = 0; i < n_trades; i++)
    {
      KantorMarketEvent ev = { KANTOR_EVENT_TRADE, t0 + 2 * i * 37, symbol };
      /* Small and large prices: up to eight digits before the point. */
      double scale = g_test_rand_bit () ? 1 : 1e5;

      append_time (prices, ev.time_ms);
      ev.price = append_shaped (prices, g_test_rand_double_range (0.001, 1000) * scale);
      ev.volume = append_shaped (prices, g_test_rand_double_range (0.0001, 50));
      append_shaped (prices, ev.price * ev.volume);
      end_row (prices);
      g_array_append_val (want, ev);
    }

  for (i = 0; i < n_books;)
    {
      KantorMarketEvent ev = { KANTOR_EVENT_BOOK, t0 + (2 * i + 1) * 37, symbol };
      g_autoptr(GString) row = g_string_new (NULL);
      double mid = g_test_rand_double_range (1, 100000);
      guint depth = g_test_rand_int_range (1, KANTOR_BOOK_LEVELS + 1);
      gboolean ordered = TRUE;
      guint l;

      append_time (row, ev.time_ms);
      for (l = 0; l < KANTOR_BOOK_LEVELS; l++)
        {
          ev.bids[l].price = append_shaped (row, l < depth ? mid - 0.5 - l : 0);
          ev.bids[l].qty = append_shaped (row, l < depth ? g_test_rand_double_range (0.001, 9) : 0);
        }
      for (l = 0; l < KANTOR_BOOK_LEVELS; l++)
        {
          ev.asks[l].price = append_shaped (row, l < depth ? mid + 0.5 + l : 0);
          ev.asks[l].qty = append_shaped (row, l < depth ? g_test_rand_double_range (0.001, 9) : 0);
        }
      append_shaped (row, ev.bids[0].price);
      append_shaped (row, ev.asks[0].price);
      /* The spread may be negative in a crossed book, or "-0". */
      if (g_test_rand_int_range (0, 10) == 0)
        g_string_append (row, g_test_rand_bit () ? ",-0" : ",-0.25");
      else
        append_shaped (row, 1);

      /* A shape that rounds two levels together makes a bad row: draw
       * again. */
      for (l = 0; l < KANTOR_BOOK_LEVELS; l++)
        if (ev.bids[l].qty == 0 || ev.asks[l].qty == 0 || ev.bids[l].price <= 0
            || ev.asks[l].price <= 0
            || (l > 0 && (ev.bids[l].price >= ev.bids[l - 1].price
                          || ev.asks[l].price <= ev.asks[l - 1].price)))
          ordered &= l >= depth && ev.bids[l].qty == 0 && ev.asks[l].qty == 0;
      if (!ordered)
        continue;

      g_string_append (book, row->str);
      end_row (book);
      g_array_append_val (want, ev);
      last_book = ev.time_ms;
      i++;
    }
  /* Line 2 + n_books: a quantity that is not a finite number. */
  g_string_append_printf (book, "%" G_GINT64_FORMAT ".000", last_book / 1000 + 1);
  g_string_append (book, ",10,1e400,9,1,8,1,11,1,12,1,13,1,10,11,1\n");

  write_file (root, "MIX/prices.csv", prices->str);
  write_file (root, "MIX/orderbook.csv", book->str);
  g_assert_cmpuint (book->len, >, 3 * 64 * 1024);

  g_array_sort (want, compare_events_by_time);
  for (good = 0; good < want->len; good++)
    if (g_array_index (want, KantorMarketEvent, good).time_ms > last_book)
      break;

  source = kantor_collection_source_new (root, NULL, &error);
  g_assert_no_error (error);
  got = read_all (source, 50, &error);
  g_assert_error (error, KANTOR_SOURCE_ERROR, KANTOR_SOURCE_ERROR_ROW);
  g_assert_nonnull (strstr (error->message, "orderbook.csv:2002: "));
  g_assert_cmpuint (got->len, ==, good);
  for (i = 0; i < got->len; i++)
    {
      const KantorMarketEvent *a = &g_array_index (got, KantorMarketEvent, i);
      const KantorMarketEvent *b = &g_array_index (want, KantorMarketEvent, i);

      if (!events_equal (a, b))
        g_error ("event %u (%s at %" G_GINT64_FORMAT ") differs", i,
                 b->kind == KANTOR_EVENT_TRADE ? "trade" : "book", b->time_ms);
    }
}

int
main (int   argc,
      char *argv[])
{
  guint i;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/sources/merge-heap", test_merge_heap);
  g_test_add_func ("/kantor/engine/sources/merge-heap/replace-top", test_merge_heap_replace_top);
  g_test_add_func ("/kantor/engine/sources/stream-merge/order", test_stream_merge);
  g_test_add_func ("/kantor/engine/sources/stream-merge/failure", test_stream_merge_failure);
  g_test_add_func ("/kantor/engine/sources/stream-merge/runs", test_stream_merge_runs);
  g_test_add_func ("/kantor/engine/sources/stream-merge/prime-failure",
                   test_stream_merge_prime_failure);
  g_test_add_func ("/kantor/engine/sources/symbol-valid", test_symbol_valid);
  g_test_add_func ("/kantor/engine/sources/pacer", test_pacer);
  g_test_add_func ("/kantor/engine/sources/collection/merge", test_collection_merge);
  g_test_add_func ("/kantor/engine/sources/collection/select", test_collection_select);
  g_test_add_func ("/kantor/engine/sources/collection/header-only", test_collection_header_only);
  g_test_add_func ("/kantor/engine/sources/collection/round-trip", test_collection_round_trip);
  g_test_add_func ("/kantor/engine/sources/collection/torn-last-line",
                   test_collection_torn_last_line);
  g_test_add_func ("/kantor/engine/sources/collection/long-line", test_collection_long_line);
  g_test_add_func ("/kantor/engine/sources/collection/mixed-shapes",
                   test_collection_mixed_shapes);
  g_test_add_func ("/kantor/engine/sources/collection/gigabyte-line",
                   test_collection_gigabyte_line);
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/kantor/engine/sources/collection/bad/%s",
                                               bad_cases[i].name);

      g_test_add_data_func (path, &bad_cases[i], test_collection_bad);
    }
  g_test_add_func ("/kantor/engine/sources/binance/formats", test_binance_formats);
  g_test_add_func ("/kantor/engine/sources/binance/microseconds", test_binance_microseconds);
  g_test_add_func ("/kantor/engine/sources/binance/folder", test_binance_folder);
  g_test_add_func ("/kantor/engine/sources/binance/bad", test_binance_bad);
  g_test_add_func ("/kantor/engine/sources/synthetic/deterministic",
                   test_synthetic_deterministic);
  g_test_add_func ("/kantor/engine/sources/synthetic/realistic", test_synthetic_realistic);
  g_test_add_func ("/kantor/engine/sources/synthetic/arguments", test_synthetic_arguments);

  return g_test_run ();
}
