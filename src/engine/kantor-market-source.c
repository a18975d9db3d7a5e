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

gboolean
kantor_merge_heap_pop (KantorMergeHeap *self,
                       guint           *stream)
{
  HeapEntry last;
  guint i = 0;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->size == 0)
    return FALSE;

  *stream = self->entries[0].stream;
  last = self->entries[--self->size];

  for (;;)
    {
      guint child = 2 * i + 1;

      if (child >= self->size)
        break;
      if (child + 1 < self->size && entry_less (&self->entries[child + 1], &self->entries[child]))
        child++;
      if (!entry_less (&self->entries[child], &last))
        break;
      self->entries[i] = self->entries[child];
      i = child;
    }
  if (self->size > 0)
    self->entries[i] = last;

  return TRUE;
}

guint
kantor_merge_heap_get_size (KantorMergeHeap *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->size;
}
