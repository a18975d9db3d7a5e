/* kantor-pacer.h: real-time replay of event time at a speed factor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Maps event time onto a monotonic clock: the first event is due at once and
 * every later one when (event time - first event time) / speed has passed.
 * The pacer never reads a clock itself (the caller passes "now"), so the
 * engine stays pure and the mapping is testable without waiting; whoever
 * drives the replay waits (a main-loop timeout in the daemon, a sleep in
 * kantor-backtest). Pacing only delays events: what is computed does not
 * depend on it. */
typedef struct _KantorPacer KantorPacer;

/* @speed > 0: 1 is real time, 10 ten times faster. */
KantorPacer *kantor_pacer_new      (double       speed);
void         kantor_pacer_free     (KantorPacer *self);
double       kantor_pacer_get_speed (KantorPacer *self);
/* Microseconds to wait at @now_us (g_get_monotonic_time()) before the event
 * at @event_time_ms is due; 0 when due. The first call anchors the mapping. */
gint64       kantor_pacer_delay_us (KantorPacer *self,
                                    gint64       event_time_ms,
                                    gint64       now_us);
/* Forgets the anchor, e.g. after a pause, so the next event is due at once. */
void         kantor_pacer_reset    (KantorPacer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorPacer, kantor_pacer_free)

G_END_DECLS
