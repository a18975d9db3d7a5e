/* kantor-server.h: the HTTP and WebSocket endpoint
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "kantor-auth.h"
#include "kantor-client-connection.h"
#include "kantor-router.h"

G_BEGIN_DECLS

/* Defaults; kantord.conf [limits] can change them. */
#define KANTOR_SERVER_DEFAULT_MAX_CONNECTIONS   1024
#define KANTOR_SERVER_DEFAULT_RATE_LIMIT        200.0
#define KANTOR_SERVER_DEFAULT_RATE_BURST        400.0
#define KANTOR_SERVER_DEFAULT_KEEPALIVE         20
#define KANTOR_SERVER_DEFAULT_STALE_TIMEOUT     60
#define KANTOR_SERVER_MAX_MESSAGE_SIZE          (1024 * 1024)

/* Close codes (besides 1002 for protocol violations and 1007 for invalid
 * UTF-8, sent by the connection itself). */
#define KANTOR_CLOSE_GOING_AWAY        1001  /* server shutdown */
#define KANTOR_CLOSE_UNSUPPORTED_DATA  1003  /* binary message */
#define KANTOR_CLOSE_POLICY_VIOLATION  1008  /* stopped answering pings */
#define KANTOR_CLOSE_TOO_BIG           1009  /* message over 1 MiB */
#define KANTOR_CLOSE_TRY_AGAIN_LATER   1013  /* connection limit reached */

#define KANTOR_TYPE_SERVER (kantor_server_get_type ())
G_DECLARE_FINAL_TYPE (KantorServer, kantor_server, KANTOR, SERVER, GObject)

KantorServer *kantor_server_new              (KantorAuth    *auth);
KantorAuth   *kantor_server_get_auth         (KantorServer  *self);

/* Listens on @address ("127.0.0.1", "::1", ...) and @port (0: any free
 * port). */
gboolean      kantor_server_listen           (KantorServer  *self,
                                              const char    *address,
                                              guint          port,
                                              GError       **error);
/* The port actually bound, after kantor_server_listen(). */
guint         kantor_server_get_port         (KantorServer  *self);
/* "ws://127.0.0.1:8080/ws" */
char         *kantor_server_dup_websocket_url (KantorServer *self);

/* The one routing table; services plug their handlers in here. */
KantorRouter *kantor_server_get_router       (KantorServer  *self);

guint         kantor_server_get_n_connections (KantorServer *self);
/* A new list of refs to the open connections. */
GPtrArray    *kantor_server_dup_connections  (KantorServer  *self);
/* The identity an "Authorization: Bearer <token>" header in @headers
 * proves, for the WebSocket upgrade and REST alike. NULL with @error unset
 * when there is no such header; NULL with @error set (KANTOR_PROTOCOL_ERROR
 * or KANTOR_AUTH_ERROR) when the header or its token is refused. */
KantorAuthGrant *kantor_server_authenticate  (KantorServer       *self,
                                              SoupMessageHeaders *headers,
                                              GError            **error);
/* Sends @text, framed once, to every authenticated connection, never
 * dropped: the pushes that concern every client (session and collection
 * state). */
void          kantor_server_broadcast        (KantorServer  *self,
                                              const char    *text);
/* The one delivery path of alerts: kantor_envelope_alert() broadcast. */
void          kantor_server_send_alert       (KantorServer  *self,
                                              const char    *alert,
                                              const char    *session_id,
                                              const char    *symbol,
                                              const char    *message,
                                              JsonObject    *extra);

void          kantor_server_set_max_connections (KantorServer *self,
                                                 guint         max_connections);
void          kantor_server_set_rate_limit   (KantorServer  *self,
                                              double         per_second,
                                              double         burst);
/* Ping every @interval seconds; close peers silent for @stale_timeout
 * (1008). */
void          kantor_server_set_keepalive    (KantorServer  *self,
                                              guint          interval,
                                              guint          stale_timeout);

/* Closes every connection with @code and stops listening. */
void          kantor_server_shutdown         (KantorServer  *self,
                                              gushort        code,
                                              const char    *reason);

G_END_DECLS
