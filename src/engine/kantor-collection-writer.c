/* kantor-collection-writer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "kantor-collection-writer.h"
#include "kantor-json.h"

gsize
kantor_collection_format_time (gint64 time_ms,
                               char   buf[32])
{
  char digits[24];
  gint64 seconds = time_ms / 1000;
  int ms = (int) (time_ms % 1000);
  gsize n = 0, len = 0;

  g_return_val_if_fail (time_ms >= 0, 0);

  do
    {
      digits[n++] = (char) ('0' + seconds % 10);
      seconds /= 10;
    }
  while (seconds > 0);
  while (n > 0)
    buf[len++] = digits[--n];

  if (ms != 0)
    {
      buf[len++] = '.';
      buf[len++] = (char) ('0' + ms / 100);
      if (ms % 100 != 0)
        {
          buf[len++] = (char) ('0' + ms / 10 % 10);
          if (ms % 10 != 0)
            buf[len++] = (char) ('0' + ms % 10);
        }
    }
  buf[len] = '\0';
  return len;
}

/* Appends ",<number>" to the row being built at @p. */
static inline char *
put_number (char   *p,
            double  v)
{
  *p++ = ',';
  return p + kantor_format_double (v, p);
}

gboolean
kantor_collection_append_trade (GString                 *out,
                                const KantorMarketEvent *event)
{
  char row[KANTOR_COLLECTION_MAX_ROW];
  char *p = row;
  double quote;

  if (G_UNLIKELY (event->time_ms < 0 || !isfinite (event->price) || event->price <= 0 ||
                  !isfinite (event->volume) || event->volume <= 0))
    return FALSE;
  quote = event->price * event->volume;
  if (G_UNLIKELY (!isfinite (quote)))
    return FALSE;

  p += kantor_collection_format_time (event->time_ms, p);
  p = put_number (p, event->price);
  p = put_number (p, event->volume);
  p = put_number (p, quote);
  *p++ = '\n';
  g_string_append_len (out, row, p - row);
  return TRUE;
}

/* What the reader demands of one side: levels best first, finite, no
 * present level after an absent one. */
static gboolean
side_valid (const KantorBookLevel *levels,
            gboolean               descending)
{
  gboolean gap = FALSE;

  for (guint i = 0; i < KANTOR_BOOK_LEVELS; i++)
    {
      const KantorBookLevel *l = &levels[i];

      if (!isfinite (l->qty) || l->qty < 0)
        return FALSE;
      if (l->qty == 0)
        {
          gap = TRUE;
          continue;
        }
      if (gap || !isfinite (l->price) || l->price <= 0)
        return FALSE;
      if (i > 0 && (descending ? l->price >= levels[i - 1].price
                               : l->price <= levels[i - 1].price))
        return FALSE;
    }
  return TRUE;
}

static inline char *
put_side (char                  *p,
          const KantorBookLevel *levels)
{
  for (guint i = 0; i < KANTOR_BOOK_LEVELS; i++)
    {
      if (levels[i].qty > 0)
        {
          p = put_number (p, levels[i].price);
          p = put_number (p, levels[i].qty);
        }
      else
        {
          memcpy (p, ",0,0", 4);
          p += 4;
        }
    }
  return p;
}

gboolean
kantor_collection_append_book (GString                 *out,
                               const KantorMarketEvent *event)
{
  char row[KANTOR_COLLECTION_MAX_ROW];
  char *p = row;
  double bid, ask, spread;

  if (G_UNLIKELY (event->time_ms < 0 || !side_valid (event->bids, TRUE) ||
                  !side_valid (event->asks, FALSE)))
    return FALSE;

  bid = event->bids[0].qty > 0 ? event->bids[0].price : 0;
  ask = event->asks[0].qty > 0 ? event->asks[0].price : 0;
  spread = bid > 0 && ask > 0 ? ask - bid : 0;

  p += kantor_collection_format_time (event->time_ms, p);
  p = put_side (p, event->bids);
  p = put_side (p, event->asks);
  p = put_number (p, bid);
  p = put_number (p, ask);
  p = put_number (p, spread);
  *p++ = '\n';
  g_string_append_len (out, row, p - row);
  return TRUE;
}
