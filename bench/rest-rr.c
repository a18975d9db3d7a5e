/* rest-rr.c: REST request/response load client
 *
 * Keeps N keep-alive HTTP/1.1 connections, each with one GET in flight,
 * sent back-to-back, and measures requests per second and latency
 * percentiles over a fixed duration. Raw sockets and epoll, so that the
 * client costs as little as possible.
 *
 * rest-rr --port P [--host 127.0.0.1] [--path /api/v1/sessions]
 *         [--connections N] [--duration S] [--warmup S] [--label NAME]
 *         [--token TOKEN] [--expect TEXT]
 *
 * Prints one JSON object. A response that is not 200 or lacks TEXT counts
 * as an error.
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

typedef struct
{
  int      fd;
  char    *buf;
  gsize    len;
  gsize    cap;
  gint64   sent_at;    /* ns; 0 when nothing is in flight */
} Conn;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static G_NORETURN void
die (const char *what)
{
  fprintf (stderr, "rest-rr: %s: %s\n", what, g_strerror (errno));
  exit (1);
}

static int
connect_to (const char *host,
            guint       port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((guint16) port) };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  int one = 1;

  if (fd < 0)
    die ("socket");
  if (inet_pton (AF_INET, host, &addr.sin_addr) != 1)
    {
      fprintf (stderr, "rest-rr: %s is not an IPv4 address\n", host);
      exit (2);
    }
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    die ("connect");
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void
send_request (Conn       *c,
              const char *request,
              gsize       len)
{
  gsize done = 0;

  c->sent_at = now_ns ();
  while (done < len)
    {
      ssize_t n = write (c->fd, request + done, len - done);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          die ("write");
        }
      done += (gsize) n;
    }
}

/* Length of the complete response at the start of @buf (headers and a
 * Content-Length body), 0 while incomplete; @status and @body set then. */
static gsize
complete_response (const char  *buf,
                   gsize        len,
                   guint       *status,
                   const char **body,
                   gsize       *body_len)
{
  const char *end = g_strstr_len (buf, (gssize) len, "\r\n\r\n");
  gsize head, content_length = 0;

  if (end == NULL)
    return 0;
  head = (gsize) (end - buf) + 4;

  for (const char *line = buf; line < end; )
    {
      const char *eol = g_strstr_len (line, end + 2 - line, "\r\n");

      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        content_length = (gsize) g_ascii_strtoull (line + 15, NULL, 10);
      line = eol + 2;
    }
  if (len < head + content_length)
    return 0;

  *status = (guint) g_ascii_strtoull (buf + 9, NULL, 10);
  *body = buf + head;
  *body_len = content_length;
  return head + content_length;
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
  g_autoptr(GOptionContext) context = g_option_context_new ("- REST request/response load");
  g_autoptr(GError) error = NULL;
  g_autofree char *host = g_strdup ("127.0.0.1");
  g_autofree char *path = g_strdup ("/api/v1/sessions");
  g_autofree char *label = g_strdup ("server");
  g_autofree char *token = NULL;
  g_autofree char *expect = NULL;
  g_autofree char *request = NULL;
  gint port = 0, n_conns = 16;
  double duration = 5.0, warmup = 1.0;
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "IPv4 address", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port", "PORT" },
    { "path", 0, 0, G_OPTION_ARG_STRING, &path, "Path to GET", "PATH" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &n_conns, "Connections", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Measured seconds", "S" },
    { "warmup", 'w', 0, G_OPTION_ARG_DOUBLE, &warmup, "Unmeasured seconds first", "S" },
    { "label", 'l', 0, G_OPTION_ARG_STRING, &label, "Name of the target in the output", "NAME" },
    { "token", 't', 0, G_OPTION_ARG_STRING, &token, "Bearer token", "TOKEN" },
    { "expect", 'e', 0, G_OPTION_ARG_STRING, &expect, "Text every body must hold", "TEXT" },
    { NULL }
  };
  Conn *conns;
  int ep;
  struct epoll_event events[256];
  GArray *latencies;
  gint64 start, measure_from, end;
  guint64 completed = 0, errors = 0;
  gsize request_len;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || port <= 0 || n_conns <= 0)
    {
      fprintf (stderr, "rest-rr: %s\n", error ? error->message : "--port and --connections > 0");
      return 2;
    }

  request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s\r\n", path, host, port,
                             token != NULL ? "Authorization: Bearer " : "",
                             token != NULL ? token : "", token != NULL ? "\r\n" : "");
  request_len = strlen (request);

  ep = epoll_create1 (0);
  conns = g_new0 (Conn, n_conns);
  latencies = g_array_sized_new (FALSE, FALSE, sizeof (guint32), 1 << 20);

  for (int i = 0; i < n_conns; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN };

      conns[i].fd = connect_to (host, (guint) port);
      conns[i].cap = 65536;
      conns[i].buf = g_malloc (conns[i].cap);
      ev.data.u32 = (guint32) i;
      if (epoll_ctl (ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0)
        die ("epoll_ctl");
    }

  start = now_ns ();
  measure_from = start + (gint64) (warmup * 1e9);
  end = measure_from + (gint64) (duration * 1e9);
  for (int i = 0; i < n_conns; i++)
    send_request (&conns[i], request, request_len);

  while (now_ns () < end)
    {
      int n = epoll_wait (ep, events, G_N_ELEMENTS (events), 100);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          die ("epoll_wait");
        }

      for (int e = 0; e < n; e++)
        {
          Conn *c = &conns[events[e].data.u32];
          ssize_t r;
          gsize at = 0, used;
          guint status;
          const char *body;
          gsize body_len;

          if (c->len == c->cap)
            {
              c->cap *= 2;
              c->buf = g_realloc (c->buf, c->cap);
            }
          r = read (c->fd, c->buf + c->len, c->cap - c->len);
          if (r <= 0)
            {
              fprintf (stderr, "rest-rr: connection %u closed by the server\n",
                       events[e].data.u32);
              return 1;
            }
          c->len += (gsize) r;

          while ((used = complete_response (c->buf + at, c->len - at, &status, &body,
                                            &body_len)) > 0)
            {
              gint64 t = now_ns ();

              if (status != 200 ||
                  (expect != NULL && g_strstr_len (body, (gssize) body_len, expect) == NULL))
                errors++;
              if (c->sent_at >= measure_from)
                {
                  guint32 us = (guint32) MIN ((t - c->sent_at) / 1000, G_MAXUINT32);

                  g_array_append_val (latencies, us);
                  completed++;
                }
              at += used;
              c->sent_at = 0;
              if (now_ns () < end)
                send_request (c, request, request_len);
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
    guint32 p50 = 0, p99 = 0, max = 0;
    guint len = latencies->len;

    if (len > 0)
      {
        p50 = g_array_index (latencies, guint32, (len - 1) / 2);
        p99 = g_array_index (latencies, guint32, (guint) ((len - 1) * 0.99));
        max = g_array_index (latencies, guint32, len - 1);
      }
    printf ("{\"bench\":\"rest-rr\",\"target\":\"%s\",\"connections\":%d,\"duration_s\":%g,"
            "\"requests\":%" G_GUINT64_FORMAT ",\"rps\":%.0f,\"p50_us\":%u,\"p99_us\":%u,"
            "\"max_us\":%u,\"errors\":%" G_GUINT64_FORMAT "}\n",
            label, n_conns, duration, completed, completed / duration, p50, p99, max, errors);
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
