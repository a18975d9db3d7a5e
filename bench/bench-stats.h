/* bench-stats.h: what the load clients share: the clock, latency
 * statistics, and the request/response driver of ws-rr and rest-rr
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* CLOCK_MONOTONIC in nanoseconds. */
gint64          bench_now_ns              (void);

/* Latencies in whole microseconds. */
typedef struct _BenchLatencies BenchLatencies;

BenchLatencies *bench_latencies_new       (void);
void            bench_latencies_free      (BenchLatencies *l);
/* Clamped to 0 .. G_MAXUINT32. */
void            bench_latencies_add       (BenchLatencies *l,
                                           gint64          us);
guint           bench_latencies_count     (BenchLatencies *l);
/* The sample at rank (n - 1) * @q of the sorted samples (0 when there are
 * none): @q 0.5 is the median, 1 the maximum. */
guint32         bench_latencies_percentile (BenchLatencies *l,
                                            double          q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchLatencies, bench_latencies_free)

/* The request/response driver: N connections, each with one request in
 * flight, sent back-to-back over raw sockets and epoll for a warm-up and
 * then a measured duration. */
typedef struct
{
  int      fd;
  guint8  *buf;        /* what arrived and is not consumed yet */
  gsize    len;
  gsize    cap;
  gint64   sent_at;    /* ns; 0 when nothing is in flight */
  guint64  next_id;
  gboolean ready;      /* free for the client's use */
} BenchConn;

typedef struct _BenchRr BenchRr;

typedef struct
{
  /* A connected socket, ready for requests; may exit on failure. */
  int   (*connect) (BenchRr   *rr,
                    gpointer   user_data);
  /* Once the clock runs, for each connection (NULL: nothing). */
  void  (*start)   (BenchRr   *rr,
                    BenchConn *c,
                    gpointer   user_data);
  /* Takes what is complete in @c->buf (@c->len bytes) and returns how many
   * bytes it took; calls bench_rr_reply() for each reply. */
  gsize (*consume) (BenchRr   *rr,
                    BenchConn *c,
                    gpointer   user_data);
} BenchRrFuncs;

struct _BenchRr
{
  /* Options (bench_rr_parse()). */
  char           *host;
  int             port;
  int             n_conns;
  double          duration;
  double          warmup;
  char           *label;
  char           *token;

  /* The run. */
  gint64          measure_from;
  gint64          end;
  BenchLatencies *latencies;
  guint64         completed;
  guint64         errors;
};

/* Parses --host, --port, --connections, --duration, --warmup, --label and
 * --token, and @extra (may be NULL); on bad options prints why and returns
 * FALSE (exit status 2). */
gboolean        bench_rr_parse            (BenchRr             *rr,
                                           const char          *summary,
                                           const GOptionEntry  *extra,
                                           int                 *argc,
                                           char              ***argv);
void            bench_rr_clear            (BenchRr             *rr);
/* Runs the load; a connection that closes ends the program (status 1). */
void            bench_rr_run              (BenchRr             *rr,
                                           const BenchRrFuncs  *funcs,
                                           gpointer             user_data);
/* TRUE while there is time for another request. */
gboolean        bench_rr_running          (BenchRr             *rr);
/* @c's request was answered (@ok: as it should be): counts it and, when it
 * was sent after the warm-up, its latency. */
void            bench_rr_reply            (BenchRr             *rr,
                                           BenchConn           *c,
                                           gboolean             ok);
/* Prints the one JSON object of @bench's run; returns the exit status
 * (1 when a reply was wrong). */
int             bench_rr_report           (BenchRr             *rr,
                                           const char          *bench);

G_END_DECLS
