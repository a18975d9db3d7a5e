/* kantor-market-event.h: the events the engine consumes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Marks the functions every event runs through. GCC puts them in
 * .text.hot, which the linker lays out as one block ahead of the other
 * text, so the per-event code stays within some 20 kB whatever the rest
 * of the binary holds. Spread over the library's 80 kB, the same code ran
 * about 25% slower for half of the load addresses ASLR picks (a 128 kB
 * period in the base address, on an AMD Zen 4): some of its branches or
 * lines collided in the CPU's address-hashed front-end tables. */
#if defined(__GNUC__)
#define KANTOR_HOT_PATH __attribute__ ((hot))
#else
#define KANTOR_HOT_PATH
#endif

#define KANTOR_BOOK_LEVELS 3

typedef enum
{
  KANTOR_EVENT_TRADE = 1,
  KANTOR_EVENT_BOOK  = 2,
} KantorEventKind;

typedef struct
{
  double price;
  double qty;
} KantorBookLevel;

/* One market event. Time always comes from the data (exchange event time,
 * epoch milliseconds), never from the wall clock, so a replay computes
 * exactly what the live session computed.
 *
 * @symbol is an interned string (g_intern_string()): compare pointers.
 *
 * TRADE: @price and @volume are set (both > 0, finite).
 * BOOK:  @bids and @asks hold up to KANTOR_BOOK_LEVELS levels, best first;
 *        a level with qty == 0 is absent.
 */
typedef struct
{
  KantorEventKind  kind;
  gint64           time_ms;
  const char      *symbol;
  double           price;
  double           volume;
  KantorBookLevel  bids[KANTOR_BOOK_LEVELS];
  KantorBookLevel  asks[KANTOR_BOOK_LEVELS];
} KantorMarketEvent;

/* The latest known prices of one symbol, maintained by whoever drives the
 * engine; paper fills are priced from it (STRATEGY.md §4). */
typedef struct
{
  gint64  time_ms;
  double  last;     /* last trade price, 0 when none yet */
  double  bid;      /* best bid, 0 when the book is unknown */
  double  ask;      /* best ask, 0 when the book is unknown */
} KantorQuote;

static inline void
kantor_quote_update (KantorQuote             *quote,
                     const KantorMarketEvent *event)
{
  quote->time_ms = event->time_ms;
  if (event->kind == KANTOR_EVENT_TRADE)
    quote->last = event->price;
  else
    {
      quote->bid = event->bids[0].qty > 0 ? event->bids[0].price : 0;
      quote->ask = event->asks[0].qty > 0 ? event->asks[0].price : 0;
    }
}

G_END_DECLS
