/* ws-client.h: the minimal client side of RFC 6455 shared by the load
 * clients, and the raw socket calls under it (rest-rr's too)
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
/* A blocking TCP connection to @host (IPv4) :@port with TCP_NODELAY; exits
 * on failure. */
int             ws_client_tcp_connect (const char *host,
                                       guint       port);
/* The frame at the start of @buf (@len bytes): FALSE while it is not
 * complete; else its opcode, payload and size in all. */
gboolean        ws_client_parse_frame (const guint8  *buf,
                                       gsize          len,
                                       guint8        *opcode,
                                       const guint8 **payload,
                                       gsize         *payload_len,
                                       gsize         *frame_len);
/* A blocking TCP connection to @host:@port upgraded on /ws, with
 * "Authorization: Bearer @token" when @token is set; exits on failure. */
int             ws_client_connect    (const char *host,
                                      guint       port,
                                      const char *token);

G_END_DECLS
