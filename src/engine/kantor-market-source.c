/* kantor-market-source.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kantor-market-source.h"

G_DEFINE_QUARK (kantor-source-error-quark, kantor_source_error)

G_DEFINE_INTERFACE (KantorMarketSource, kantor_market_source, G_TYPE_OBJECT)

static void
kantor_market_source_default_init (KantorMarketSourceInterface *iface)
{
}

gsize
kantor_market_source_read (KantorMarketSource *self,
                           KantorMarketEvent  *events,
                           gsize               n_events,
                           GError            **error)
{
  KantorMarketSourceInterface *iface;

  g_return_val_if_fail (KANTOR_IS_MARKET_SOURCE (self), 0);
  g_return_val_if_fail (events != NULL || n_events == 0, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (n_events == 0)
    return 0;

  iface = KANTOR_MARKET_SOURCE_GET_IFACE (self);
  g_return_val_if_fail (iface->read != NULL, 0);

  return iface->read (self, events, n_events, error);
}

gboolean
kantor_market_source_next (KantorMarketSource *self,
                           KantorMarketEvent  *event,
                           GError            **error)
{
  return kantor_market_source_read (self, event, 1, error) == 1;
}

const char * const *
kantor_market_source_get_symbols (KantorMarketSource *self)
{
  static const char * const none[] = { NULL };
  KantorMarketSourceInterface *iface;

  g_return_val_if_fail (KANTOR_IS_MARKET_SOURCE (self), none);

  iface = KANTOR_MARKET_SOURCE_GET_IFACE (self);
  if (iface->get_symbols == NULL)
    return none;

  return iface->get_symbols (self);
}

gboolean
kantor_symbol_is_valid (const char *symbol)
{
  gsize i;

  if (symbol == NULL)
    return FALSE;

  for (i = 0; symbol[i] != '\0'; i++)
    {
      char c = symbol[i];

      if (i >= 32)
        return FALSE;
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
        return FALSE;
    }

  return i > 0;
}

typedef struct
{
  gint64 time_ms;
  guint  stream;
} HeapEntry;

struct _KantorMergeHeap
{
  HeapEntry *entries;
  guint      size;
  guint      capacity;
};

static inline gboolean
entry_less (const HeapEntry *a,
            const HeapEntry *b)
{
  return a->time_ms < b->time_ms || (a->time_ms == b->time_ms && a->stream < b->stream);
}

KantorMergeHeap *
kantor_merge_heap_new (guint n_streams)
{
  KantorMergeHeap *self = g_new0 (KantorMergeHeap, 1);

  self->capacity = MAX (n_streams, 1);
  self->entries = g_new (HeapEntry, self->capacity);

  return self;
}

void
kantor_merge_heap_free (KantorMergeHeap *self)
{
  if (self == NULL)
    return;

  g_free (self->entries);
  g_free (self);
}

void
kantor_merge_heap_push (KantorMergeHeap *self,
                        guint            stream,
                        gint64           time_ms)
{
  HeapEntry entry = { time_ms, stream };
  guint i;

  g_return_if_fail (self != NULL);

  if (self->size == self->capacity)
    {
      self->capacity *= 2;
      self->entries = g_renew (HeapEntry, self->entries, self->capacity);
    }

  i = self->size++;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;

      if (!entry_less (&entry, &self->entries[parent]))
        break;
      self->entries[i] = self->entries[parent];
      i = parent;
    }
  self->entries[i] = entry;
}

/* Puts @entry at the root's place and moves it down to where it belongs. */
static inline void
sift_down (KantorMergeHeap *self,
           HeapEntry        entry)
{
  guint i = 0;

  for (;;)
    {
      guint child = 2 * i + 1;

      if (child >= self->size)
        break;
      if (child + 1 < self->size && entry_less (&self->entries[child + 1], &self->entries[child]))
        child++;
      if (!entry_less (&self->entries[child], &entry))
        break;
      self->entries[i] = self->entries[child];
      i = child;
    }
  self->entries[i] = entry;
}

gboolean
kantor_merge_heap_pop (KantorMergeHeap *self,
                       guint           *stream)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->size == 0)
    return FALSE;

  *stream = self->entries[0].stream;
  if (--self->size > 0)
    sift_down (self, self->entries[self->size]);

  return TRUE;
}

gboolean
kantor_merge_heap_peek (KantorMergeHeap *self,
                        guint           *stream)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->size == 0)
    return FALSE;
  *stream = self->entries[0].stream;
  return TRUE;
}

void
kantor_merge_heap_replace_top (KantorMergeHeap *self,
                               gint64           time_ms)
{
  HeapEntry entry;

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->size > 0);

  entry.time_ms = time_ms;
  entry.stream = self->entries[0].stream;
  sift_down (self, entry);
}

guint
kantor_merge_heap_get_size (KantorMergeHeap *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->size;
}

struct _KantorStreamMerge
{
  KantorMergeHeap           *heap;
  const KantorMarketEvent  **current;  /* per stream, its next event */
  const KantorMarketEvent  **run_end;  /* per stream, the end of the run holding it */
  guint                      n_streams;
  KantorStreamAdvanceFunc    advance;  /* one of these two */
  KantorStreamFillFunc       fill;
  gpointer                   user_data;
  gboolean                   primed;
  GError                    *failure;  /* once set, every later read reports it */
};

static KantorStreamMerge *
stream_merge_new (guint    n_streams,
                  gpointer user_data)
{
  KantorStreamMerge *self = g_new0 (KantorStreamMerge, 1);

  self->heap = kantor_merge_heap_new (n_streams);
  self->current = g_new0 (const KantorMarketEvent *, MAX (n_streams, 1));
  self->run_end = g_new0 (const KantorMarketEvent *, MAX (n_streams, 1));
  self->n_streams = n_streams;
  self->user_data = user_data;

  return self;
}

KantorStreamMerge *
kantor_stream_merge_new (guint                   n_streams,
                         KantorStreamAdvanceFunc advance,
                         gpointer                user_data)
{
  KantorStreamMerge *self;

  g_return_val_if_fail (advance != NULL, NULL);

  self = stream_merge_new (n_streams, user_data);
  self->advance = advance;
  return self;
}

KantorStreamMerge *
kantor_stream_merge_new_for_runs (guint                n_streams,
                                  KantorStreamFillFunc fill,
                                  gpointer             user_data)
{
  KantorStreamMerge *self;

  g_return_val_if_fail (fill != NULL, NULL);

  self = stream_merge_new (n_streams, user_data);
  self->fill = fill;
  return self;
}

void
kantor_stream_merge_free (KantorStreamMerge *self)
{
  if (self == NULL)
    return;

  kantor_merge_heap_free (self->heap);
  g_free (self->current);
  g_free (self->run_end);
  g_clear_error (&self->failure);
  g_free (self);
}

/* The next run of @stream into current[] and run_end[]; FALSE at its end
 * or on a failure (kept in self->failure). */
static inline gboolean
stream_merge_fetch (KantorStreamMerge *self,
                    guint              stream)
{
  const KantorMarketEvent *next;
  gsize n = 1;

  if (self->fill != NULL)
    next = self->fill (self->user_data, stream, &n, &self->failure);
  else
    next = self->advance (self->user_data, stream, &self->failure);
  if (next == NULL)
    return FALSE;

  g_assert (n > 0);
  self->current[stream] = next;
  self->run_end[stream] = next + n;
  return TRUE;
}

gboolean
kantor_stream_merge_prime (KantorStreamMerge  *self,
                           GError            **error)
{
  guint i;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->primed)
    {
      self->primed = TRUE;
      for (i = 0; i < self->n_streams && self->failure == NULL; i++)
        {
          if (stream_merge_fetch (self, i))
            kantor_merge_heap_push (self->heap, i, self->current[i]->time_ms);
        }
    }

  if (self->failure != NULL)
    {
      g_propagate_error (error, g_error_copy (self->failure));
      return FALSE;
    }
  return TRUE;
}

gboolean
kantor_stream_merge_is_primed (KantorStreamMerge *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->primed;
}

gsize
kantor_stream_merge_read (KantorStreamMerge  *self,
                          KantorMarketEvent  *events,
                          gsize               n_events,
                          GError            **error)
{
  KantorMergeHeap *heap;
  gsize n = 0;

  g_return_val_if_fail (self != NULL, 0);

  if (!self->primed)
    kantor_stream_merge_prime (self, NULL);

  heap = self->heap;
  while (self->failure == NULL && n < n_events && heap->size > 0)
    {
      guint index = heap->entries[0].stream;
      const KantorMarketEvent *cur = self->current[index];
      const KantorMarketEvent *end = self->run_end[index];
      gint64 bound_time = G_MAXINT64;
      guint bound_stream = G_MAXUINT;

      /* The top stream's events go out while they come before the
       * runner-up's (the smaller of the root's children): one comparison
       * per event, the heap untouched. */
      if (heap->size > 1)
        {
          const HeapEntry *second = &heap->entries[1];

          if (heap->size > 2 && entry_less (&heap->entries[2], second))
            second = &heap->entries[2];
          bound_time = second->time_ms;
          bound_stream = second->stream;
        }
      do
        events[n++] = *cur++;
      while (n < n_events && cur < end
             && (cur->time_ms < bound_time
                 || (cur->time_ms == bound_time && index < bound_stream)));

      if (cur < end)
        {
          HeapEntry entry = { cur->time_ms, index };

          self->current[index] = cur;
          sift_down (heap, entry);
        }
      /* A bad row ends the source for good: reading on past it would hand
       * out the other streams' events without this one's. What came before
       * it in this batch is still handed out; the error comes with the
       * next call, and with every call after. */
      else if (stream_merge_fetch (self, index))
        {
          HeapEntry entry = { self->current[index]->time_ms, index };

          sift_down (heap, entry);
        }
      else
        {
          kantor_merge_heap_pop (heap, &index);
        }
    }

  if (n == 0 && self->failure != NULL)
    g_propagate_error (error, g_error_copy (self->failure));

  return n;
}
