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

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "bench-stats.h"
#include "ws-client.h"

static void
send_request (BenchConn *c)
{
  char text[96];
  int n = g_snprintf (text, sizeof text, "{\"type\":\"heartbeat\",\"id\":%" G_GUINT64_FORMAT "}",
                      c->next_id++);

  c->sent_at = bench_now_ns ();
  ws_client_send_frame (c->fd, 0x1, text, (gsize) n);
}

static int
connect_one (BenchRr  *rr,
             gpointer  user_data)
{
  return ws_client_connect (rr->host, (guint) rr->port, rr->token);
}

/* The first message of each connection is the server's greeting; the
 * first request goes out once it arrived. */
static gsize
consume (BenchRr   *rr,
         BenchConn *c,
         gpointer   user_data)
{
  const guint8 *payload;
  gsize at = 0, plen, flen;
  guint8 opcode;

  while (ws_client_parse_frame (c->buf + at, c->len - at, &opcode, &payload, &plen, &flen))
    {
      if (opcode == 0x9)
        ws_client_send_frame (c->fd, 0xA, (const char *) payload, plen);
      else if (opcode == 0x8)
        {
          fprintf (stderr, "ws-rr: close frame from the server\n");
          exit (1);
        }
      else if (opcode == 0x1)
        {
          if (!c->ready)
            c->ready = TRUE;
          else if (c->sent_at != 0)
            bench_rr_reply (rr, c, g_strstr_len ((const char *) payload, (gssize) plen,
                                                 "\"pong\"") != NULL);
          if (c->sent_at == 0 && bench_rr_running (rr))
            send_request (c);
        }
      at += flen;
    }
  return at;
}

int
main (int   argc,
      char *argv[])
{
  static const BenchRrFuncs funcs = { connect_one, NULL, consume };
  BenchRr rr;
  int status;

  if (!bench_rr_parse (&rr, "- WebSocket request/response load", NULL, &argc, &argv))
    return 2;
  bench_rr_run (&rr, &funcs, NULL);
  status = bench_rr_report (&rr, "ws-rr");
  bench_rr_clear (&rr);
  return status;
}
