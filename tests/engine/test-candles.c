/* test-candles.c: timeframes and the candle builder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-candle.h"

/* 2024-06-11T00:00:00Z */
#define MIDNIGHT G_GINT64_CONSTANT (1718064000000)

static const struct
{
  const char *name;
  gint64      ms;
} expected_timeframes[] = {
  { "1s", 1000 }, { "5s", 5000 }, { "15s", 15000 }, { "1m", 60000 }, { "5m", 300000 },
  { "15m", 900000 }, { "1h", 3600000 }, { "4h", 14400000 }, { "1d", 86400000 },
};

static void
test_timeframes (void)
{
  static const char * const bad[] = { "", "1M", "60s", "2m", "1d ", "1H", "1w" };
  KantorTimeframe tf;

  G_STATIC_ASSERT (G_N_ELEMENTS (expected_timeframes) == KANTOR_N_TIMEFRAMES);

  for (guint i = 0; i < G_N_ELEMENTS (expected_timeframes); i++)
    {
      g_assert_true (kantor_timeframe_parse (expected_timeframes[i].name, &tf));
      g_assert_cmpint (kantor_timeframe_get_ms (tf), ==, expected_timeframes[i].ms);
      g_assert_cmpstr (kantor_timeframe_to_string (tf), ==, expected_timeframes[i].name);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (kantor_timeframe_parse (bad[i], &tf));
  g_assert_false (kantor_timeframe_parse (NULL, &tf));
}

static void
test_bucket_boundaries (void)
{
  for (KantorTimeframe tf = 0; tf < KANTOR_N_TIMEFRAMES; tf++)
    {
      gint64 ms = kantor_timeframe_get_ms (tf);

      /* Every bucket of every timeframe starts at UTC midnight of a day. */
      g_assert_cmpint (kantor_timeframe_bucket_start (tf, MIDNIGHT), ==, MIDNIGHT);
      g_assert_cmpint (kantor_timeframe_bucket_start (tf, MIDNIGHT + 1), ==, MIDNIGHT);
      g_assert_cmpint (kantor_timeframe_bucket_start (tf, MIDNIGHT + ms - 1), ==, MIDNIGHT);
      g_assert_cmpint (kantor_timeframe_bucket_start (tf, MIDNIGHT + ms), ==, MIDNIGHT + ms);
      g_assert_cmpint (kantor_timeframe_bucket_start (tf, MIDNIGHT - 1), ==, MIDNIGHT - ms);

      /* Floors also before the epoch. */
      g_assert_cmpint (kantor_timeframe_bucket_start (tf, -1), ==, -ms);
      g_assert_cmpint (kantor_timeframe_bucket_start (tf, -ms), ==, -ms);
      g_assert_cmpint (kantor_timeframe_bucket_start (tf, 0), ==, 0);
    }

  /* 4h candles open at 00, 04, 08 ... UTC; 1d at 00:00 UTC. */
  {
    g_autoptr(GDateTime) dt = g_date_time_new_utc (2024, 6, 11, 13, 47, 12.345);
    gint64 t = g_date_time_to_unix (dt) * 1000 + 345;
    gint64 b4 = kantor_timeframe_bucket_start (KANTOR_TIMEFRAME_4H, t);
    gint64 bd = kantor_timeframe_bucket_start (KANTOR_TIMEFRAME_1D, t);
    gint64 b15 = kantor_timeframe_bucket_start (KANTOR_TIMEFRAME_15M, t);
    gint64 b15s = kantor_timeframe_bucket_start (KANTOR_TIMEFRAME_15S, t);

    g_assert_cmpint (b4, ==, MIDNIGHT + 12 * 3600000);
    g_assert_cmpint (bd, ==, MIDNIGHT);
    g_assert_cmpint (b15, ==, MIDNIGHT + 13 * 3600000 + 45 * 60000);
    g_assert_cmpint (b15s, ==, MIDNIGHT + 13 * 3600000 + 47 * 60000);
  }
}

static gboolean
add (KantorCandleBuilder *b,
     gint64               t,
     double               price,
     double               volume,
     KantorCandle        *closed)
{
  return kantor_candle_builder_add_trade (b, t, price, volume, closed);
}

static void
test_builder (void)
{
  for (KantorTimeframe tf = 0; tf < KANTOR_N_TIMEFRAMES; tf++)
    {
      gint64 ms = kantor_timeframe_get_ms (tf);
      gint64 start = MIDNIGHT + 7 * ms;
      KantorCandleBuilder b;
      KantorCandle c = { 0, };
      const KantorCandle *cur;

      kantor_candle_builder_init (&b, tf);
      g_assert_null (kantor_candle_builder_peek (&b));

      /* The first trade opens a candle mid-bucket; nothing closes. */
      g_assert_false (add (&b, start + ms / 3, 10, 1, &c));
      g_assert_false (add (&b, start + ms / 3, 12, 2, &c));      /* same millisecond */
      g_assert_false (add (&b, start + ms / 2, 9, 0.5, &c));
      g_assert_false (add (&b, start + ms - 1, 11, 1.5, &c));    /* last millisecond */
      cur = kantor_candle_builder_peek (&b);
      g_assert_nonnull (cur);
      g_assert_cmpint (cur->open_time_ms, ==, start);
      g_assert_cmpint (cur->close_time_ms, ==, start + ms);
      g_assert_cmpuint (cur->n_trades, ==, 4);

      /* The first trade of the next bucket, exactly on the boundary, closes it. */
      g_assert_true (add (&b, start + ms, 20, 3, &c));
      g_assert_cmpint (c.open_time_ms, ==, start);
      g_assert_cmpint (c.close_time_ms, ==, start + ms);
      g_assert_cmpfloat (c.open, ==, 10);
      g_assert_cmpfloat (c.high, ==, 12);
      g_assert_cmpfloat (c.low, ==, 9);
      g_assert_cmpfloat (c.close, ==, 11);
      g_assert_cmpfloat (c.volume, ==, 5);
      g_assert_cmpuint (c.n_trades, ==, 4);

      cur = kantor_candle_builder_peek (&b);
      g_assert_cmpint (cur->open_time_ms, ==, start + ms);
      g_assert_cmpfloat (cur->open, ==, 20);
      g_assert_cmpfloat (cur->close, ==, 20);
      g_assert_cmpuint (cur->n_trades, ==, 1);

      /* A gap of four empty buckets: one candle closes, no filler candles,
       * the next one opens on its own bucket. */
      g_assert_true (add (&b, start + 6 * ms + 5, 30, 1, &c));
      g_assert_cmpint (c.open_time_ms, ==, start + ms);
      g_assert_cmpfloat (c.open, ==, 20);
      g_assert_cmpfloat (c.high, ==, 20);
      g_assert_cmpfloat (c.low, ==, 20);
      g_assert_cmpfloat (c.volume, ==, 3);
      cur = kantor_candle_builder_peek (&b);
      g_assert_cmpint (cur->open_time_ms, ==, start + 6 * ms);

      /* A late trade (older than the open candle) is counted in it. */
      g_assert_false (add (&b, start + 2 * ms, 31, 1, &c));
      cur = kantor_candle_builder_peek (&b);
      g_assert_cmpint (cur->open_time_ms, ==, start + 6 * ms);
      g_assert_cmpfloat (cur->high, ==, 31);
      g_assert_cmpfloat (cur->close, ==, 31);
      g_assert_cmpuint (cur->n_trades, ==, 2);
    }
}

/* A long random stream against candles computed independently by bucket. */
static void
test_builder_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (77);

  for (KantorTimeframe tf = 0; tf < KANTOR_N_TIMEFRAMES; tf++)
    {
      gint64 ms = kantor_timeframe_get_ms (tf);
      KantorCandleBuilder b;
      KantorCandle c, ref = { 0, };
      gboolean ref_open = FALSE;
      gint64 t = MIDNIGHT - 3 * ms;
      guint n_closed = 0;

      kantor_candle_builder_init (&b, tf);
      for (guint i = 0; i < 20000; i++)
        {
          double price = g_rand_double_range (rand, 90, 110);
          double u = g_rand_double (rand);
          gint64 bucket;
          gboolean closed;

          /* Mostly within a bucket, sometimes across one or several. */
          t += u < 0.3 ? 0 : u < 0.97 ? g_rand_int_range (rand, 1, (gint32) MIN (ms / 10, 100000))
                                       : g_rand_int_range (rand, 1, 4) * ms;
          bucket = t - (((t % ms) + ms) % ms);

          closed = add (&b, t, price, 1, &c);
          if (ref_open && bucket != ref.open_time_ms)
            {
              g_assert_true (closed);
              g_assert_cmpint (c.open_time_ms, ==, ref.open_time_ms);
              g_assert_cmpfloat (c.open, ==, ref.open);
              g_assert_cmpfloat (c.high, ==, ref.high);
              g_assert_cmpfloat (c.low, ==, ref.low);
              g_assert_cmpfloat (c.close, ==, ref.close);
              g_assert_cmpuint (c.n_trades, ==, ref.n_trades);
              ref_open = FALSE;
              n_closed++;
            }
          else
            {
              g_assert_false (closed);
            }

          if (!ref_open)
            {
              ref = (KantorCandle) { bucket, bucket + ms, price, price, price, price, 1, 1 };
              ref_open = TRUE;
            }
          else
            {
              ref.high = MAX (ref.high, price);
              ref.low = MIN (ref.low, price);
              ref.close = price;
              ref.n_trades++;
            }
        }
      g_assert_cmpuint (n_closed, >, 100);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kantor/engine/candles/timeframes", test_timeframes);
  g_test_add_func ("/kantor/engine/candles/bucket-boundaries", test_bucket_boundaries);
  g_test_add_func ("/kantor/engine/candles/builder", test_builder);
  g_test_add_func ("/kantor/engine/candles/builder-random", test_builder_random);

  return g_test_run ();
}
