/* kantor-stream-api.h: the subscribe and unsubscribe requests (PROTOCOL §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-router.h"
#include "kantor-stream-hub.h"

G_BEGIN_DECLS

/* Most symbols one subscription may name. */
#define KANTOR_STREAM_MAX_SYMBOLS 256

/* Plugs subscribe and unsubscribe into @router. @hub is not referenced: it
 * must outlive @router's use. */
void kantor_stream_api_register (KantorRouter    *router,
                                 KantorStreamHub *hub);

G_END_DECLS
