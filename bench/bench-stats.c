/* bench-stats.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bench-stats.h"

gint64
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Latencies --------------------------------------------------------------- */

struct _BenchLatencies
{
  GArray   *us;      /* guint32 */
  gboolean  sorted;
};

BenchLatencies *
bench_latencies_new (void)
{
  BenchLatencies *l = g_new0 (BenchLatencies, 1);

  l->us = g_array_sized_new (FALSE, FALSE, sizeof (guint32), 1 << 20);
  return l;
}

void
bench_latencies_free (BenchLatencies *l)
{
  g_array_unref (l->us);
  g_free (l);
}

void
bench_latencies_add (BenchLatencies *l,
                     gint64          us)
{
  guint32 v = (guint32) CLAMP (us, 0, (gint64) G_MAXUINT32);

  g_array_append_val (l->us, v);
  l->sorted = FALSE;
}

guint
bench_latencies_count (BenchLatencies *l)
{
  return l->us->len;
}

static int
compare_u32 (const void *a,
             const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

guint32
bench_latencies_percentile (BenchLatencies *l,
                            double          q)
{
  guint len = l->us->len;

  if (len == 0)
    return 0;
  if (!l->sorted)
    {
      g_array_sort (l->us, compare_u32);
      l->sorted = TRUE;
    }
  return g_array_index (l->us, guint32, (guint) ((len - 1) * CLAMP (q, 0.0, 1.0)));
}

/* Request/response driver ------------------------------------------------- */

gboolean
bench_rr_parse (BenchRr             *rr,
                const char          *summary,
                const GOptionEntry  *extra,
                int                 *argc,
                char              ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (summary);
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &rr->host, "IPv4 address", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &rr->port, "Port", "PORT" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &rr->n_conns, "Connections", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &rr->duration, "Measured seconds", "S" },
    { "warmup", 'w', 0, G_OPTION_ARG_DOUBLE, &rr->warmup, "Unmeasured seconds first", "S" },
    { "label", 'l', 0, G_OPTION_ARG_STRING, &rr->label, "Name of the target in the output",
      "NAME" },
    { "token", 't', 0, G_OPTION_ARG_STRING, &rr->token, "Bearer token", "TOKEN" },
    { NULL }
  };

  /* String defaults after parsing: GOption does not free what it replaces. */
  *rr = (BenchRr) { .n_conns = 16, .duration = 5.0, .warmup = 1.0 };
  g_option_context_add_main_entries (context, entries, NULL);
  if (extra != NULL)
    g_option_context_add_main_entries (context, extra, NULL);
  if (!g_option_context_parse (context, argc, argv, &error) || rr->port <= 0 ||
      rr->n_conns <= 0)
    {
      fprintf (stderr, "%s: %s\n", g_get_prgname (),
               error ? error->message : "--port and --connections > 0");
      return FALSE;
    }
  if (rr->host == NULL)
    rr->host = g_strdup ("127.0.0.1");
  if (rr->label == NULL)
    rr->label = g_strdup ("server");
  rr->latencies = bench_latencies_new ();
  return TRUE;
}

void
bench_rr_clear (BenchRr *rr)
{
  g_clear_pointer (&rr->host, g_free);
  g_clear_pointer (&rr->label, g_free);
  g_clear_pointer (&rr->token, g_free);
  g_clear_pointer (&rr->latencies, bench_latencies_free);
}

gboolean
bench_rr_running (BenchRr *rr)
{
  return bench_now_ns () < rr->end;
}

void
bench_rr_reply (BenchRr   *rr,
                BenchConn *c,
                gboolean   ok)
{
  gint64 t = bench_now_ns ();

  if (!ok)
    rr->errors++;
  if (c->sent_at >= rr->measure_from)
    {
      bench_latencies_add (rr->latencies, (t - c->sent_at) / 1000);
      rr->completed++;
    }
  c->sent_at = 0;
}

void
bench_rr_run (BenchRr            *rr,
              const BenchRrFuncs *funcs,
              gpointer            user_data)
{
  BenchConn *conns = g_new0 (BenchConn, rr->n_conns);
  struct epoll_event events[256];
  int ep = epoll_create1 (0);
  gint64 start;

  for (int i = 0; i < rr->n_conns; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN };

      conns[i].fd = funcs->connect (rr, user_data);
      conns[i].cap = 65536;
      conns[i].buf = g_malloc (conns[i].cap);
      ev.data.u32 = (guint32) i;
      if (epoll_ctl (ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
        {
          fprintf (stderr, "%s: epoll_ctl: %s\n", g_get_prgname (), g_strerror (errno));
          exit (1);
        }
    }

  start = bench_now_ns ();
  rr->measure_from = start + (gint64) (rr->warmup * 1e9);
  rr->end = rr->measure_from + (gint64) (rr->duration * 1e9);
  for (int i = 0; funcs->start != NULL && i < rr->n_conns; i++)
    funcs->start (rr, &conns[i], user_data);

  while (bench_rr_running (rr))
    {
      int n = epoll_wait (ep, events, G_N_ELEMENTS (events), 100);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          fprintf (stderr, "%s: epoll_wait: %s\n", g_get_prgname (), g_strerror (errno));
          exit (1);
        }

      for (int e = 0; e < n; e++)
        {
          BenchConn *c = &conns[events[e].data.u32];
          ssize_t r;
          gsize used;

          if (c->len == c->cap)
            {
              c->cap *= 2;
              c->buf = g_realloc (c->buf, c->cap);
            }
          r = read (c->fd, c->buf + c->len, c->cap - c->len);
          if (r <= 0)
            {
              fprintf (stderr, "%s: connection %u closed by the server\n", g_get_prgname (),
                       events[e].data.u32);
              exit (1);
            }
          c->len += (gsize) r;

          used = funcs->consume (rr, c, user_data);
          if (used > 0)
            {
              memmove (c->buf, c->buf + used, c->len - used);
              c->len -= used;
            }
        }
    }

  for (int i = 0; i < rr->n_conns; i++)
    {
      close (conns[i].fd);
      g_free (conns[i].buf);
    }
  g_free (conns);
  close (ep);
}

int
bench_rr_report (BenchRr    *rr,
                 const char *bench)
{
  printf ("{\"bench\":\"%s\",\"target\":\"%s\",\"connections\":%d,\"duration_s\":%g,"
          "\"requests\":%" G_GUINT64_FORMAT ",\"rps\":%.0f,\"p50_us\":%u,\"p99_us\":%u,"
          "\"max_us\":%u,\"errors\":%" G_GUINT64_FORMAT "}\n",
          bench, rr->label, rr->n_conns, rr->duration, rr->completed,
          rr->completed / rr->duration, bench_latencies_percentile (rr->latencies, 0.5),
          bench_latencies_percentile (rr->latencies, 0.99),
          bench_latencies_percentile (rr->latencies, 1.0), rr->errors);
  return rr->errors > 0 ? 1 : 0;
}
