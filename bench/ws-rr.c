/* ws-rr.c: WebSocket request/response load client
 *
 * Keeps N connections, each with one heartbeat request in flight, sent
 * back-to-back, and measures requests per second and latency percentiles
 * over a fixed duration. Raw sockets, epoll and a minimal client-side
 * framing, so that the client costs as little as possible.
 *
 * ws-rr --port P [--host 127.0.0.1] [--connections N] [--duration S]
 *       [--warmup S] [--label NAME] [--token TOKEN]
 *
 * Prints one JSON object.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
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

#include "ws-client.h"

typedef struct
{
  int      fd;
  guint8  *buf;
  gsize    len;
  gsize    cap;
  gint64   sent_at;    /* ns; 0 when nothing is in flight */
  guint64  next_id;
  gboolean ready;      /* got the first message (connected) */
} Conn;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
send_request (Conn *c)
{
  char text[96];
  int n = g_snprintf (text, sizeof text, "{\"type\":\"heartbeat\",\"id\":%" G_GUINT64_FORMAT "}",
                      c->next_id++);

  c->sent_at = now_ns ();
  ws_client_send_frame (c->fd, 0x1, text, (gsize) n);
}

static int
compare_u32 (const void *a,
             const void *b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- WebSocket request/response load");
  g_autoptr(GError) error = NULL;
  g_autofree char *host = g_strdup ("127.0.0.1");
  g_autofree char *label = g_strdup ("server");
  g_autofree char *token = NULL;
  gint port = 0, n_conns = 16;
  double duration = 5.0, warmup = 1.0;
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "IPv4 address", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port", "PORT" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &n_conns, "Connections", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Measured seconds", "S" },
    { "warmup", 'w', 0, G_OPTION_ARG_DOUBLE, &warmup, "Unmeasured seconds first", "S" },
    { "label", 'l', 0, G_OPTION_ARG_STRING, &label, "Name of the target in the output", "NAME" },
    { "token", 't', 0, G_OPTION_ARG_STRING, &token, "Bearer token for the upgrade", "TOKEN" },
    { NULL }
  };
  Conn *conns;
  int ep;
  struct epoll_event events[256];
  GArray *latencies;
  gint64 start, measure_from, end;
  guint64 completed = 0, errors = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || port <= 0 || n_conns <= 0)
    {
      fprintf (stderr, "ws-rr: %s\n", error ? error->message : "--port and --connections > 0");
      return 2;
    }

  ep = epoll_create1 (0);
  conns = g_new0 (Conn, n_conns);
  latencies = g_array_sized_new (FALSE, FALSE, sizeof (guint32), 1 << 20);

  for (int i = 0; i < n_conns; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN };

      conns[i].fd = ws_client_connect (host, (guint) port, token);
      conns[i].cap = 65536;
      conns[i].buf = g_malloc (conns[i].cap);
      ev.data.u32 = (guint32) i;
      if (epoll_ctl (ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
        ws_client_die ("epoll_ctl");
    }

  start = now_ns ();
  measure_from = start + (gint64) (warmup * 1e9);
  end = measure_from + (gint64) (duration * 1e9);

  /* The first message of each connection is the server's greeting; the
   * first request goes out once it arrived. */
  while (now_ns () < end)
    {
      int n = epoll_wait (ep, events, G_N_ELEMENTS (events), 100);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          ws_client_die ("epoll_wait");
        }

      for (int e = 0; e < n; e++)
        {
          Conn *c = &conns[events[e].data.u32];
          ssize_t r;
          gsize at = 0;

          if (c->len == c->cap)
            {
              c->cap *= 2;
              c->buf = g_realloc (c->buf, c->cap);
            }
          r = read (c->fd, c->buf + c->len, c->cap - c->len);
          if (r <= 0)
            {
              fprintf (stderr, "ws-rr: connection %u closed by the server\n",
                       events[e].data.u32);
              return 1;
            }
          c->len += (gsize) r;

          for (;;)
            {
              guint8 *p = c->buf + at;
              gsize avail = c->len - at, hdr = 2;
              guint64 plen;
              guint8 opcode;

              if (avail < 2)
                break;
              opcode = p[0] & 0x0f;
              plen = p[1] & 0x7f;
              if (plen == 126)
                {
                  if (avail < 4)
                    break;
                  plen = ((guint64) p[2] << 8) | p[3];
                  hdr = 4;
                }
              else if (plen == 127)
                {
                  if (avail < 10)
                    break;
                  plen = 0;
                  for (int k = 0; k < 8; k++)
                    plen = (plen << 8) | p[2 + k];
                  hdr = 10;
                }
              if (avail < hdr + plen)
                break;

              if (opcode == 0x9)
                {
                  ws_client_send_frame (c->fd, 0xA, (const char *) p + hdr, (gsize) plen);
                }
              else if (opcode == 0x8)
                {
                  fprintf (stderr, "ws-rr: close frame from the server\n");
                  return 1;
                }
              else if (opcode == 0x1)
                {
                  if (!c->ready)
                    {
                      c->ready = TRUE;
                    }
                  else if (c->sent_at != 0)
                    {
                      gint64 t = now_ns ();

                      if (g_strstr_len ((const char *) p + hdr, (gssize) plen, "\"pong\"") == NULL)
                        errors++;
                      if (c->sent_at >= measure_from)
                        {
                          guint32 us = (guint32) MIN ((t - c->sent_at) / 1000, G_MAXUINT32);

                          g_array_append_val (latencies, us);
                          completed++;
                        }
                      c->sent_at = 0;
                    }
                  if (c->sent_at == 0 && now_ns () < end)
                    send_request (c);
                }
              at += hdr + (gsize) plen;
            }

          if (at > 0)
            {
              memmove (c->buf, c->buf + at, c->len - at);
              c->len -= at;
            }
        }
    }

  g_array_sort (latencies, compare_u32);
  {
    double secs = duration;
    guint32 p50 = 0, p99 = 0, max = 0;
    guint len = latencies->len;

    if (len > 0)
      {
        p50 = g_array_index (latencies, guint32, (len - 1) / 2);
        p99 = g_array_index (latencies, guint32, (guint) ((len - 1) * 0.99));
        max = g_array_index (latencies, guint32, len - 1);
      }
    printf ("{\"bench\":\"ws-rr\",\"target\":\"%s\",\"connections\":%d,\"duration_s\":%g,"
            "\"requests\":%" G_GUINT64_FORMAT ",\"rps\":%.0f,\"p50_us\":%u,\"p99_us\":%u,"
            "\"max_us\":%u,\"errors\":%" G_GUINT64_FORMAT "}\n",
            label, n_conns, secs, completed, completed / secs, p50, p99, max, errors);
  }

  for (int i = 0; i < n_conns; i++)
    {
      close (conns[i].fd);
      g_free (conns[i].buf);
    }
  g_free (conns);
  g_array_unref (latencies);
  close (ep);
  return errors > 0 ? 1 : 0;
}
