/* ws-fanout.c: stream fan-out benchmark
 *
 * Three roles in one program:
 *
 *   ws-fanout serve [--port 0] [--symbols 20] [--rate 1000]
 *     The server side kantord runs (KantorServer, KantorStreamHub and the
 *     stream API, development authentication) with a market generator that
 *     publishes @rate trades a second (0: as fast as the loop turns, in
 *     bursts) round-robin over @symbols symbols, each stamped with the wall
 *     clock as its event time. Prints "listening PORT".
 *
 *   ws-fanout client --port P [--subscribers 50] [--symbols 20]
 *                    [--duration 5] [--warmup 1] [--token T] [--label NAME]
 *     N connections, each subscribed to market_data for the symbols, read
 *     with epoll; counts delivered items and takes the latency of each one
 *     as receipt time minus the item's market_data.timestamp (the engine
 *     event time, epoch milliseconds, fractions taken when present).
 *     Prints one JSON object.
 *
 *   ws-fanout idle --port P [--connections 1000] [--seconds 5] [--token T]
 *     Opens and holds idle subscribed connections (for the RSS figure), then
 *     prints one JSON object.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "kantor-auth.h"
#include "kantor-server.h"
#include "kantor-store.h"
#include "kantor-stream-api.h"
#include "kantor-stream-hub.h"

#include "bench-stats.h"
#include "ws-client.h"

static char *
symbol_name (guint i)
{
  return g_strdup_printf ("SYM%03uUSDT", i);
}

/* Server ------------------------------------------------------------------ */

typedef struct
{
  KantorStreamHub *hub;
  const char     **symbols;   /* interned */
  guint            n_symbols;
  double           rate;
  gint64           started_us;
  guint64          published;
  double          *prices;
  GRand           *rand;
} Generator;

static void
publish_one (Generator *g,
             gint64     now_ms)
{
  guint i = (guint) (g->published % g->n_symbols);
  KantorMarketEvent ev = { 0 };

  /* A random walk: the benchmark's own market, not a price anyone sees. */
  g->prices[i] *= 1.0 + (g_rand_double (g->rand) - 0.5) * 1e-4;
  ev.kind = KANTOR_EVENT_TRADE;
  ev.symbol = g->symbols[i];
  ev.time_ms = now_ms;
  ev.price = g->prices[i];
  ev.volume = 0.001 + g_rand_double (g->rand);
  kantor_stream_hub_publish_market_event (g->hub, &ev);
  g->published++;
}

static gboolean
paced_cb (gpointer user_data)
{
  Generator *g = user_data;
  gint64 now = g_get_real_time ();
  guint64 due;

  if (g->started_us == 0)
    g->started_us = now;
  due = (guint64) ((double) (now - g->started_us) * g->rate / G_USEC_PER_SEC);
  while (g->published < due)
    publish_one (g, now / 1000);
  return G_SOURCE_CONTINUE;
}

static gboolean
burst_cb (gpointer user_data)
{
  Generator *g = user_data;
  gint64 now_ms = g_get_real_time () / 1000;

  if (kantor_stream_hub_get_n_subscribers (g->hub, KANTOR_STREAM_MARKET_DATA) == 0)
    return G_SOURCE_CONTINUE;
  for (guint i = 0; i < 64; i++)
    publish_one (g, now_ms);
  return G_SOURCE_CONTINUE;
}

static int
run_server (int    port,
            guint  n_symbols,
            double rate)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("kantor-fanout-XXXXXX", &error);
  g_autofree char *state = NULL;
  g_autofree char *db = NULL;
  g_autoptr(KantorStore) store = NULL;
  g_autoptr(KantorAuth) auth = NULL;
  g_autoptr(KantorServer) server = NULL;
  g_autoptr(KantorStreamHub) hub = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Generator g = { 0 };

  if (root == NULL)
    {
      fprintf (stderr, "ws-fanout: %s\n", error->message);
      return 1;
    }
  state = g_build_filename (root, "state", NULL);
  db = g_build_filename (state, "kantor.db", NULL);
  store = kantor_store_new (db, &error);
  if (store != NULL)
    auth = kantor_auth_new (store, state, TRUE, &error);
  if (auth == NULL)
    {
      fprintf (stderr, "ws-fanout: %s\n", error->message);
      return 1;
    }
  server = kantor_server_new (auth);
  kantor_server_set_rate_limit (server, 0, 1);
  kantor_server_set_max_connections (server, 4096);
  hub = kantor_stream_hub_new (NULL, NULL);
  /* Flat out, the load client is slower than the server: like the peer,
   * drop for it past the soft bound, but never evict it (the hard bound). */
  kantor_stream_hub_set_flow_control (hub, 256 * 1024, G_MAXSIZE / 4);
  kantor_stream_api_register (server, hub);
  if (!kantor_server_listen (server, "127.0.0.1", (guint) port, &error))
    {
      fprintf (stderr, "ws-fanout: %s\n", error->message);
      return 1;
    }

  g.hub = hub;
  g.rate = rate;
  g.n_symbols = MAX (n_symbols, 1);
  g.symbols = g_new0 (const char *, g.n_symbols);
  g.prices = g_new0 (double, g.n_symbols);
  g.rand = g_rand_new_with_seed (7);
  for (guint i = 0; i < g.n_symbols; i++)
    {
      g_autofree char *name = symbol_name (i);

      g.symbols[i] = g_intern_string (name);
      g.prices[i] = 100.0 + i;
    }
  if (rate > 0)
    g_timeout_add (1, paced_cb, &g);
  else
    g_idle_add (burst_cb, &g);

  printf ("listening %u\n", kantor_server_get_port (server));
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}

/* Client ------------------------------------------------------------------ */

typedef struct
{
  int      fd;
  guint8  *buf;
  gsize    len;
  gsize    cap;
} Conn;

static char *
subscribe_text (guint n_symbols)
{
  g_autoptr(GString) text = g_string_new ("{\"type\":\"subscribe\",\"stream\":\"market_data\","
                                          "\"params\":{\"symbols\":[");

  for (guint i = 0; i < n_symbols; i++)
    {
      g_autofree char *name = symbol_name (i);

      g_string_append_printf (text, "%s\"%s\"", i > 0 ? "," : "", name);
    }
  g_string_append (text, "]}}");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

typedef struct
{
  gboolean        measuring;
  guint64         items;
  guint64         seeded;
  guint64         dropped_alerts;
  BenchLatencies *latencies;
} Stats;

/* One complete text message. Only market_data items count; the latency
 * comes from the last "timestamp" (the event time inside market_data). */
static void
on_message (Stats        *st,
            const guint8 *data,
            gsize         len,
            gint64        now_us)
{
  static const char key[] = "\"timestamp\":";
  const guint8 *p, *last = NULL;
  gsize rest = len;

  if (memmem (data, MIN (len, 96), "\"type\":\"data\"", 13) == NULL)
    {
      if (memmem (data, len, "slow_consumer", 13) != NULL)
        st->dropped_alerts++;
      return;
    }
  if (!st->measuring)
    return;
  if (memmem (data, len, "\"seeded\":true", 13) != NULL)
    {
      st->seeded++;
      return;
    }
  p = data;
  while ((p = memmem (p, rest, key, sizeof key - 1)) != NULL)
    {
      last = p;
      p += sizeof key - 1;
      rest = len - (gsize) (p - data);
    }
  st->items++;
  if (last != NULL)
    {
      /* Fractional milliseconds are taken too (the reference peer stamps
       * them); kantord's are whole, and due exactly then at a fixed rate. */
      double event_ms = g_ascii_strtod ((const char *) last + sizeof key - 1, NULL);

      bench_latencies_add (st->latencies, now_us - (gint64) llround (event_ms * 1000.0));
    }
}

/* Parses every complete frame in @c's buffer. */
static void
consume (Conn   *c,
         Stats  *st,
         gint64  now_us)
{
  const guint8 *payload;
  gsize pos = 0, plen, flen;
  guint8 opcode;

  while (ws_client_parse_frame (c->buf + pos, c->len - pos, &opcode, &payload, &plen, &flen))
    {
      if (opcode == 0x1)
        on_message (st, payload, plen, now_us);
      pos += flen;
    }
  memmove (c->buf, c->buf + pos, c->len - pos);
  c->len -= pos;
}

static int
run_client (int         port,
            int         n_conns,
            guint       n_symbols,
            double      duration,
            double      warmup,
            const char *token,
            const char *label)
{
  g_autofree char *sub = subscribe_text (n_symbols);
  Conn *conns = g_new0 (Conn, n_conns);
  struct epoll_event events[256];
  Stats st = { 0 };
  gint64 start, measure_from, end, measured_us;
  int ep = epoll_create1 (0);

  st.latencies = bench_latencies_new ();
  for (int i = 0; i < n_conns; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN };

      conns[i].fd = ws_client_connect ("127.0.0.1", (guint) port, token);
      conns[i].cap = 1 << 18;
      conns[i].buf = g_malloc (conns[i].cap);
      ws_client_send_frame (conns[i].fd, 0x1, sub, strlen (sub));
      ev.data.u32 = (guint32) i;
      if (epoll_ctl (ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
        ws_client_die ("epoll_ctl");
    }

  start = g_get_monotonic_time ();
  measure_from = start + (gint64) (warmup * G_USEC_PER_SEC);
  end = measure_from + (gint64) (duration * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    {
      int n = epoll_wait (ep, events, G_N_ELEMENTS (events), 50);

      if (n < 0 && errno != EINTR)
        ws_client_die ("epoll_wait");
      st.measuring = g_get_monotonic_time () >= measure_from;
      for (int k = 0; k < n; k++)
        {
          Conn *c = &conns[events[k].data.u32];
          ssize_t got;

          if (c->cap - c->len < 65536)
            {
              c->cap *= 2;
              c->buf = g_realloc (c->buf, c->cap);
            }
          got = read (c->fd, c->buf + c->len, c->cap - c->len);
          if (got == 0)
            {
              fprintf (stderr, "ws-fanout: %s closed a connection\n", label);
              exit (1);
            }
          if (got < 0)
            {
              if (errno == EINTR || errno == EAGAIN)
                continue;
              ws_client_die ("read");
            }
          c->len += (gsize) got;
          consume (c, &st, g_get_real_time ());
        }
    }
  measured_us = g_get_monotonic_time () - measure_from;

  printf ("{\"bench\":\"ws-fanout\",\"label\":\"%s\",\"subscribers\":%d,\"symbols\":%u,"
          "\"items\":%" G_GUINT64_FORMAT ",\"items_per_s\":%.0f,"
          "\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u,\"slow_consumer_alerts\":%"
          G_GUINT64_FORMAT "}\n",
          label, n_conns, n_symbols, st.items,
          (double) st.items * G_USEC_PER_SEC / (double) MAX (measured_us, 1),
          bench_latencies_percentile (st.latencies, 0.5),
          bench_latencies_percentile (st.latencies, 0.99),
          bench_latencies_percentile (st.latencies, 1.0), st.dropped_alerts);

  for (int i = 0; i < n_conns; i++)
    {
      close (conns[i].fd);
      g_free (conns[i].buf);
    }
  g_free (conns);
  bench_latencies_free (st.latencies);
  close (ep);
  return 0;
}

/* Idle connections -------------------------------------------------------- */

static int
run_idle (int         port,
          int         n_conns,
          double      seconds,
          const char *token)
{
  g_autofree char *sub = subscribe_text (1);
  int *fds = g_new (int, n_conns);
  char drain[4096];

  for (int i = 0; i < n_conns; i++)
    {
      fds[i] = ws_client_connect ("127.0.0.1", (guint) port, token);
      ws_client_send_frame (fds[i], 0x1, sub, strlen (sub));
    }
  printf ("connected %d\n", n_conns);
  fflush (stdout);
  g_usleep ((gulong) (seconds * G_USEC_PER_SEC));
  for (int i = 0; i < n_conns; i++)
    {
      while (recv (fds[i], drain, sizeof drain, MSG_DONTWAIT) > 0)
        ;
      close (fds[i]);
    }
  g_free (fds);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("serve|client|idle - stream fan-out");
  g_autoptr(GError) error = NULL;
  g_autofree char *label = g_strdup ("server");
  g_autofree char *token = NULL;
  gint port = 0, n_conns = 50, n_symbols = 20;
  double rate = 1000, duration = 5, warmup = 1, seconds = 5;
  const GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port", "PORT" },
    { "subscribers", 'n', 0, G_OPTION_ARG_INT, &n_conns, "Subscribers (client)", "N" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &n_conns, "Connections (idle)", "N" },
    { "symbols", 's', 0, G_OPTION_ARG_INT, &n_symbols, "Symbols", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate, "Events a second (serve; 0: flat out)", "R" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Measured seconds", "S" },
    { "warmup", 'w', 0, G_OPTION_ARG_DOUBLE, &warmup, "Unmeasured seconds first", "S" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "How long idle holds", "S" },
    { "label", 'l', 0, G_OPTION_ARG_STRING, &label, "Name of the target in the output", "NAME" },
    { "token", 't', 0, G_OPTION_ARG_STRING, &token, "Bearer token for the upgrade", "TOKEN" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2 || n_symbols <= 0 ||
      n_conns <= 0)
    {
      fprintf (stderr, "ws-fanout: %s\n", error ? error->message : "serve, client or idle");
      return 2;
    }

  if (g_str_equal (argv[1], "serve"))
    return run_server (port, (guint) n_symbols, rate);
  if (port <= 0)
    {
      fprintf (stderr, "ws-fanout: --port is needed\n");
      return 2;
    }
  if (g_str_equal (argv[1], "client"))
    return run_client (port, n_conns, (guint) n_symbols, duration, warmup, token, label);
  if (g_str_equal (argv[1], "idle"))
    return run_idle (port, n_conns, seconds, token);
  fprintf (stderr, "ws-fanout: unknown role %s\n", argv[1]);
  return 2;
}
