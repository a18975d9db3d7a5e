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

#include <string.h>

#include <glib.h>

#include "bench-stats.h"
#include "ws-client.h"

typedef struct
{
  char  *request;
  gsize  request_len;
  char  *expect;
} Rest;

static void
send_request (BenchRr   *rr,
              BenchConn *c,
              gpointer   user_data)
{
  Rest *rest = user_data;

  c->sent_at = bench_now_ns ();
  ws_client_write_all (c->fd, rest->request, rest->request_len);
}

static int
connect_one (BenchRr  *rr,
             gpointer  user_data)
{
  return ws_client_tcp_connect (rr->host, (guint) rr->port);
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

static gsize
consume (BenchRr   *rr,
         BenchConn *c,
         gpointer   user_data)
{
  Rest *rest = user_data;
  const char *body;
  gsize at = 0, used, body_len;
  guint status;

  while ((used = complete_response ((const char *) c->buf + at, c->len - at, &status, &body,
                                    &body_len)) > 0)
    {
      bench_rr_reply (rr, c, status == 200 &&
                             (rest->expect == NULL ||
                              g_strstr_len (body, (gssize) body_len, rest->expect) != NULL));
      at += used;
      if (bench_rr_running (rr))
        send_request (rr, c, rest);
    }
  return at;
}

int
main (int   argc,
      char *argv[])
{
  static const BenchRrFuncs funcs = { connect_one, send_request, consume };
  g_autofree char *path = NULL;
  Rest rest = { 0 };
  const GOptionEntry entries[] = {
    { "path", 0, 0, G_OPTION_ARG_STRING, &path, "Path to GET", "PATH" },
    { "expect", 'e', 0, G_OPTION_ARG_STRING, &rest.expect, "Text every body must hold", "TEXT" },
    { NULL }
  };
  BenchRr rr;
  int status;

  if (!bench_rr_parse (&rr, "- REST request/response load", entries, &argc, &argv))
    return 2;
  rest.request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s\r\n",
                                  path != NULL ? path : "/api/v1/sessions", rr.host, rr.port,
                                  rr.token != NULL ? "Authorization: Bearer " : "",
                                  rr.token != NULL ? rr.token : "",
                                  rr.token != NULL ? "\r\n" : "");
  rest.request_len = strlen (rest.request);

  bench_rr_run (&rr, &funcs, &rest);
  status = bench_rr_report (&rr, "rest-rr");
  bench_rr_clear (&rr);
  g_free (rest.request);
  g_free (rest.expect);
  return status;
}
