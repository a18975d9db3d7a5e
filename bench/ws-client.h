/* ws-client.h: the minimal client side of RFC 6455 shared by the load clients
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Prints "<program>: <what>: <errno text>" and exits 1. */
G_NORETURN void ws_client_die        (const char *what);
void            ws_client_write_all  (int         fd,
                                      const void *data,
                                      gsize       len);
/* One masked frame of @opcode (0x1 text, 0xA pong, ...), up to 64 KiB. */
void            ws_client_send_frame (int         fd,
                                      guint8      opcode,
                                      const char *payload,
                                      gsize       len);
/* A blocking TCP connection to @host:@port upgraded on /ws, with
 * "Authorization: Bearer @token" when @token is set; exits on failure. */
int             ws_client_connect    (const char *host,
                                      guint       port,
                                      const char *token);

G_END_DECLS
