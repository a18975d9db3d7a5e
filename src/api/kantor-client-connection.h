/* kantor-client-connection.h: one WebSocket client and what the server
 * knows about it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kantor-auth.h"
#include "kantor-error-codes.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_CLIENT_CONNECTION (kantor_client_connection_get_type ())
G_DECLARE_FINAL_TYPE (KantorClientConnection, kantor_client_connection, KANTOR,
                      CLIENT_CONNECTION, GObject)

/* How an outgoing message may be treated by a backlog policy. */
typedef enum
{
  KANTOR_OUTGOING_RELIABLE,   /* response, error, status, signal, alert: never dropped */
  KANTOR_OUTGOING_DROPPABLE,  /* market_data and indicators items */
} KantorOutgoingKind;

/* Sees every outgoing message before it is written. Returns TRUE when it
 * took care of @text (queued or dropped it), FALSE to let it be sent now.
 * Stream fan-out plugs its backlog policy in here. */
typedef gboolean (*KantorOutgoingHook) (KantorClientConnection *self,
                                        const char             *text,
                                        KantorOutgoingKind      kind,
                                        gpointer                user_data);

/* Called for every complete text message (valid UTF-8, at most the
 * connection's maximum size; not NUL-terminated). */
typedef void (*KantorMessageFunc) (KantorClientConnection *self,
                                   const char             *text,
                                   gsize                   len,
                                   gpointer                user_data);

/* Takes over @stream, on which the WebSocket handshake (101) was just
 * written, and speaks RFC 6455 on it as the server side. */
KantorClientConnection  *kantor_client_connection_new          (GIOStream              *stream,
                                                                const char             *peer);
/* An in-process connection with no socket, for one HTTP request (REST):
 * every text message it would send goes to @sink instead, in order, and
 * nothing else (pings, WebSocket frames) has a meaning. Closing it (the
 * request ended) cancels its cancellable; nothing reaches @sink after
 * that. @destroy is called on @sink_data when the connection is
 * finalized. */
KantorClientConnection  *kantor_client_connection_new_for_request
                                                               (const char             *peer,
                                                                KantorMessageFunc       sink,
                                                                gpointer                sink_data,
                                                                GDestroyNotify          destroy);

const char              *kantor_client_connection_get_client_id (KantorClientConnection *self);
const char              *kantor_client_connection_get_peer_address
                                                               (KantorClientConnection *self);
void                     kantor_client_connection_set_message_func
                                                               (KantorClientConnection *self,
                                                                KantorMessageFunc       func,
                                                                gpointer                user_data);
/* Messages over @max_size bytes (however fragmented) close with 1009. */
void                     kantor_client_connection_set_max_message_size
                                                               (KantorClientConnection *self,
                                                                gsize                   max_size);
/* When the unsent backlog would pass @max_backlog bytes (default 16 MiB) the
 * connection is dropped (close code 1013 recorded; the peer's socket is
 * full, so no close frame reaches it). */
void                     kantor_client_connection_set_max_backlog
                                                               (KantorClientConnection *self,
                                                                gsize                   max_backlog);
/* Bytes queued but not yet written to the socket: the flow-control signal
 * for stream fan-out. */
gsize                    kantor_client_connection_get_backlog  (KantorClientConnection *self);
/* Sends a WebSocket ping; the answer (or any frame) updates last-seen. */
void                     kantor_client_connection_ping         (KantorClientConnection *self);
/* The close code sent or received; 0 while open. */
gushort                  kantor_client_connection_get_close_code
                                                               (KantorClientConnection *self);
/* Cancelled when the connection closes: pass it to async work done for it. */
GCancellable            *kantor_client_connection_get_cancellable
                                                               (KantorClientConnection *self);
gboolean                 kantor_client_connection_is_open      (KantorClientConnection *self);

/* Authentication state. */
gboolean                 kantor_client_connection_is_authenticated
                                                               (KantorClientConnection *self);
const KantorAuthGrant   *kantor_client_connection_get_grant    (KantorClientConnection *self);
/* @grant: (transfer full) (nullable) */
void                     kantor_client_connection_set_grant    (KantorClientConnection *self,
                                                                KantorAuthGrant        *grant);

/* Token bucket: @rate messages a second, bursts up to @burst. 0 disables. */
void                     kantor_client_connection_set_rate_limit
                                                               (KantorClientConnection *self,
                                                                double                  rate,
                                                                double                  burst);
/* Takes one token; FALSE when the bucket is empty. */
gboolean                 kantor_client_connection_take_token   (KantorClientConnection *self,
                                                                gint64                  now_us);

/* Liveness: the monotonic time of the last frame from the peer. */
void                     kantor_client_connection_touch        (KantorClientConnection *self,
                                                                gint64                  now_us);
gint64                   kantor_client_connection_get_last_seen
                                                               (KantorClientConnection *self);

void                     kantor_client_connection_set_outgoing_hook
                                                               (KantorClientConnection *self,
                                                                KantorOutgoingHook      hook,
                                                                gpointer                user_data,
                                                                GDestroyNotify          destroy);

/* Sends @text as is, through the outgoing hook if one is set. FALSE when the
 * connection is no longer open (nothing is sent then). */
gboolean                 kantor_client_connection_send         (KantorClientConnection *self,
                                                                const char             *text,
                                                                KantorOutgoingKind      kind);
/* Writes @text to the socket now, bypassing the hook (for the hook itself). */
gboolean                 kantor_client_connection_send_now     (KantorClientConnection *self,
                                                                const char             *text);

/* Stream fan-out: a text frame built once (kantor_client_connection_frame_text())
 * and sent to many connections without copying or re-serialising. RELIABLE
 * frames join the byte backlog; DROPPABLE ones go through flow control:
 * they wait in a queue of their own while the socket is behind, past the
 * soft bound the oldest waiting ones are dropped (the newest kept) and the
 * peer gets one alert slow_consumer with the count once it has caught up;
 * when the unsent plus dropped bytes since it last caught up pass the hard
 * bound the connection is closed (1013). Never blocks. */
GBytes                  *kantor_client_connection_frame_text   (const char             *text,
                                                                gsize                   len);
gboolean                 kantor_client_connection_send_frame   (KantorClientConnection *self,
                                                                GBytes                 *frame,
                                                                KantorOutgoingKind      kind);
/* While corked, frames sent with kantor_client_connection_send_frame() are
 * queued, not written; uncorking writes them in one go. Fan-out corks each
 * connection it touches and uncorks them all once per main-loop turn, so a
 * burst of items costs one system call per connection, not one per item.
 * cork() returns FALSE when the connection was corked already (or closed). */
gboolean                 kantor_client_connection_cork         (KantorClientConnection *self);
void                     kantor_client_connection_uncork       (KantorClientConnection *self);
/* Defaults: 256 KiB soft, 8 MiB hard. */
void                     kantor_client_connection_set_flow_control
                                                               (KantorClientConnection *self,
                                                                gsize                   soft_bound,
                                                                gsize                   hard_bound);
/* Droppable items dropped over the connection's life. */
guint64                  kantor_client_connection_get_n_dropped
                                                               (KantorClientConnection *self);
/* Bytes of droppable items waiting for the socket (not in get_backlog()). */
gsize                    kantor_client_connection_get_pending  (KantorClientConnection *self);

/* Direct replies: @id is the request's id (may be NULL). */
void                     kantor_client_connection_reply        (KantorClientConnection *self,
                                                                JsonNode               *id,
                                                                const char             *status,
                                                                JsonObject             *data);
void                     kantor_client_connection_reply_error  (KantorClientConnection *self,
                                                                JsonNode               *id,
                                                                KantorErrorCode         code,
                                                                const char             *message,
                                                                JsonObject             *details);
/* Maps @error through the error table. Internal faults (handler_error) are
 * logged with a correlation id that the reply carries in details. */
void                     kantor_client_connection_reply_gerror (KantorClientConnection *self,
                                                                JsonNode               *id,
                                                                const GError           *error);
void                     kantor_client_connection_send_status  (KantorClientConnection *self,
                                                                JsonNode               *id,
                                                                const char             *status,
                                                                JsonObject             *fields);

/* Sends a close frame; "closed" follows when the peer answers (or after a
 * short grace period). */
void                     kantor_client_connection_close        (KantorClientConnection *self,
                                                                gushort                 code,
                                                                const char             *reason);

G_END_DECLS
