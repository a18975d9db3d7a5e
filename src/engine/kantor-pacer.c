/* kantor-pacer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "kantor-pacer.h"

struct _KantorPacer
{
  double   speed;
  gboolean anchored;
  gint64   first_event_ms;
  gint64   start_us;
};

KantorPacer *
kantor_pacer_new (double speed)
{
  KantorPacer *self;

  g_return_val_if_fail (speed > 0 && isfinite (speed), NULL);

  self = g_new0 (KantorPacer, 1);
  self->speed = speed;

  return self;
}

void
kantor_pacer_free (KantorPacer *self)
{
  g_free (self);
}

double
kantor_pacer_get_speed (KantorPacer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->speed;
}

gint64
kantor_pacer_delay_us (KantorPacer *self,
                       gint64       event_time_ms,
                       gint64       now_us)
{
  double due_us;

  g_return_val_if_fail (self != NULL, 0);

  if (!self->anchored)
    {
      self->anchored = TRUE;
      self->first_event_ms = event_time_ms;
      self->start_us = now_us;
      return 0;
    }

  due_us = (double) self->start_us
           + (double) (event_time_ms - self->first_event_ms) * 1000.0 / self->speed;
  if (due_us <= (double) now_us)
    return 0;

  return (gint64) ceil (due_us - (double) now_us);
}

void
kantor_pacer_reset (KantorPacer *self)
{
  g_return_if_fail (self != NULL);

  self->anchored = FALSE;
}
