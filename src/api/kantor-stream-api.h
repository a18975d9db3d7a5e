/* kantor-stream-api.h: the subscribe and unsubscribe requests (PROTOCOL §8)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-server.h"
#include "kantor-stream-hub.h"

G_BEGIN_DECLS

/* Most symbols one subscription may name. */
#define KANTOR_STREAM_MAX_SYMBOLS 256

/* Plugs subscribe and unsubscribe into @server's router, and delivers
 * @hub's alerts through kantor_server_send_alert() for as long as both
 * live. @hub is not referenced: it must outlive the routing. */
void kantor_stream_api_register (KantorServer    *server,
                                 KantorStreamHub *hub);

G_END_DECLS
