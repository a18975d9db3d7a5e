/* kantor-market-source.h: anything that yields market events in time order
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "kantor-market-event.h"

G_BEGIN_DECLS

#define KANTOR_SOURCE_ERROR (kantor_source_error_quark ())

typedef enum
{
  KANTOR_SOURCE_ERROR_NOT_FOUND,      /* a file or folder is missing */
  KANTOR_SOURCE_ERROR_EMPTY,          /* a file without even a header row */
  KANTOR_SOURCE_ERROR_HEADER,         /* a header row that is not the expected one */
  KANTOR_SOURCE_ERROR_ROW,            /* a row with a bad field or the wrong field count */
  KANTOR_SOURCE_ERROR_LINE_TOO_LONG,  /* a line past the reader's maximum length */
  KANTOR_SOURCE_ERROR_OUT_OF_ORDER,   /* a timestamp earlier than the one before it */
  KANTOR_SOURCE_ERROR_INVALID,        /* a bad argument: symbol, seed, format */
  KANTOR_SOURCE_ERROR_IO,             /* reading failed */
} KantorSourceError;

GQuark kantor_source_error_quark (void);

#define KANTOR_TYPE_MARKET_SOURCE (kantor_market_source_get_type ())
G_DECLARE_INTERFACE (KantorMarketSource, kantor_market_source, KANTOR, MARKET_SOURCE, GObject)

/**
 * KantorMarketSourceInterface:
 * @read: fills up to @n_events events, in time order (non-decreasing
 *   time_ms, across calls too), and returns how many; 0 means the end of the
 *   data when @error is unset. Events are pulled in batches so that a virtual
 *   call is not paid per event.
 * @get_symbols: the symbols this source yields (interned, sorted), known
 *   before the first event.
 */
struct _KantorMarketSourceInterface
{
  GTypeInterface g_iface;

  gsize                (*read)        (KantorMarketSource *self,
                                       KantorMarketEvent  *events,
                                       gsize               n_events,
                                       GError            **error);
  const char * const  *(*get_symbols) (KantorMarketSource *self);
};

gsize               kantor_market_source_read        (KantorMarketSource *self,
                                                      KantorMarketEvent  *events,
                                                      gsize               n_events,
                                                      GError            **error);
/* One event: TRUE with @event filled, FALSE at the end (error unset) or on
 * an error. */
gboolean            kantor_market_source_next        (KantorMarketSource *self,
                                                      KantorMarketEvent  *event,
                                                      GError            **error);
const char * const *kantor_market_source_get_symbols (KantorMarketSource *self);

/* TRUE when @symbol matches ^[A-Z0-9_]{1,32}$ (PROTOCOL.md §5). */
gboolean            kantor_symbol_is_valid           (const char         *symbol);

/* Merges several time-ordered streams: a binary min-heap of stream indices
 * keyed by (time, stream index), so ties resolve in a fixed, documented
 * order and a merge is deterministic. */
typedef struct _KantorMergeHeap KantorMergeHeap;

KantorMergeHeap    *kantor_merge_heap_new            (guint               n_streams);
void                kantor_merge_heap_free           (KantorMergeHeap    *self);
/* Each stream is in the heap at most once. */
void                kantor_merge_heap_push           (KantorMergeHeap    *self,
                                                      guint               stream,
                                                      gint64              time_ms);
/* Removes the stream with the earliest time; FALSE when empty. */
gboolean            kantor_merge_heap_pop            (KantorMergeHeap    *self,
                                                      guint              *stream);
/* The stream with the earliest time, left in the heap; FALSE when empty. */
gboolean            kantor_merge_heap_peek           (KantorMergeHeap    *self,
                                                      guint              *stream);
/* Gives the stream with the earliest time (the one pop would remove) the
 * new time @time_ms: a pop and a push of that stream in one step. The
 * heap must not be empty. */
void                kantor_merge_heap_replace_top    (KantorMergeHeap    *self,
                                                      gint64              time_ms);
guint               kantor_merge_heap_get_size       (KantorMergeHeap    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorMergeHeap, kantor_merge_heap_free)

/* Merges the events of several time-ordered streams, pulled one at a time
 * from the owner through @advance, into batches for a source's read():
 * ties go to the lower stream index. */
typedef struct _KantorStreamMerge KantorStreamMerge;

/* Moves @stream to its next event and returns it (owned by the caller of
 * kantor_stream_merge_new(), valid until the next call for that stream);
 * NULL at the stream's end, or on an error with @error set. */
typedef const KantorMarketEvent *(*KantorStreamAdvanceFunc) (gpointer   user_data,
                                                             guint      stream,
                                                             GError   **error);

/* The same for streams that have their next events at hand in runs: sets
 * *@n_events to how many follow each other at the pointer returned (at
 * least one, in time order, valid until the next call for that stream);
 * NULL at the stream's end, or on an error with @error set. A run costs
 * the merge one comparison per event while the stream stays ahead. */
typedef const KantorMarketEvent *(*KantorStreamFillFunc)    (gpointer   user_data,
                                                             guint      stream,
                                                             gsize     *n_events,
                                                             GError   **error);

KantorStreamMerge  *kantor_stream_merge_new          (guint                    n_streams,
                                                      KantorStreamAdvanceFunc  advance,
                                                      gpointer                 user_data);
KantorStreamMerge  *kantor_stream_merge_new_for_runs (guint                    n_streams,
                                                      KantorStreamFillFunc     fill,
                                                      gpointer                 user_data);
void                kantor_stream_merge_free         (KantorStreamMerge       *self);
/* Fetches every stream's first event, once; the first read does it when
 * this was not called. A failure is kept: every read after it reports it
 * again. */
gboolean            kantor_stream_merge_prime        (KantorStreamMerge       *self,
                                                      GError                 **error);
gboolean            kantor_stream_merge_is_primed    (KantorStreamMerge       *self);
/* The KantorMarketSourceInterface.read() contract: up to @n_events events
 * in time order; 0 at the end, or with @error set once a stream failed
 * (the events before the failure are handed out first). */
gsize               kantor_stream_merge_read         (KantorStreamMerge       *self,
                                                      KantorMarketEvent       *events,
                                                      gsize                    n_events,
                                                      GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorStreamMerge, kantor_stream_merge_free)

G_END_DECLS
