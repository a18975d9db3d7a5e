/* kantor-monitor-client.h: a WebSocket client of kantord for the monitor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Where kantord listens unless told otherwise (PROTOCOL §1). */
#define KANTOR_MONITOR_DEFAULT_URL "ws://127.0.0.1:8080/ws"

typedef enum
{
  KANTOR_MONITOR_CLIENT_STATE_DISCONNECTED,
  KANTOR_MONITOR_CLIENT_STATE_CONNECTING,
  KANTOR_MONITOR_CLIENT_STATE_CONNECTED,
  KANTOR_MONITOR_CLIENT_STATE_AUTHENTICATED,
} KantorMonitorClientState;

#define KANTOR_TYPE_MONITOR_CLIENT_STATE (kantor_monitor_client_state_get_type ())
GType kantor_monitor_client_state_get_type (void);

/* Errors: local ones first, then one value per protocol error_code the
 * client knows; kantor_monitor_client_error_get_code() gives the code as
 * the server sent it, also for codes this list does not have (FAILED). */
typedef enum
{
  KANTOR_MONITOR_CLIENT_ERROR_FAILED,
  KANTOR_MONITOR_CLIENT_ERROR_NOT_CONNECTED,
  KANTOR_MONITOR_CLIENT_ERROR_CLOSED,
  KANTOR_MONITOR_CLIENT_ERROR_PROTOCOL,
  KANTOR_MONITOR_CLIENT_ERROR_VALIDATION,
  KANTOR_MONITOR_CLIENT_ERROR_AUTHENTICATION_REQUIRED,
  KANTOR_MONITOR_CLIENT_ERROR_INVALID_TOKEN,
  KANTOR_MONITOR_CLIENT_ERROR_TOKEN_EXPIRED,
  KANTOR_MONITOR_CLIENT_ERROR_INVALID_CREDENTIALS,
  KANTOR_MONITOR_CLIENT_ERROR_INVALID_JSON,
  KANTOR_MONITOR_CLIENT_ERROR_UNKNOWN_MESSAGE_TYPE,
  KANTOR_MONITOR_CLIENT_ERROR_RATE_LIMIT_EXCEEDED,
  KANTOR_MONITOR_CLIENT_ERROR_HANDLER_ERROR,
  KANTOR_MONITOR_CLIENT_ERROR_SERVICE_UNAVAILABLE,
  KANTOR_MONITOR_CLIENT_ERROR_INVALID_SESSION_TYPE,
  KANTOR_MONITOR_CLIENT_ERROR_MISSING_STRATEGY_CONFIG,
  KANTOR_MONITOR_CLIENT_ERROR_STRATEGY_ACTIVATION_FAILED,
  KANTOR_MONITOR_CLIENT_ERROR_SESSION_CONFLICT,
  KANTOR_MONITOR_CLIENT_ERROR_BUDGET_CAP_EXCEEDED,
  KANTOR_MONITOR_CLIENT_ERROR_SESSION_NOT_FOUND,
  KANTOR_MONITOR_CLIENT_ERROR_STRATEGY_NOT_FOUND,
  KANTOR_MONITOR_CLIENT_ERROR_COLLECTION_NOT_FOUND,
  KANTOR_MONITOR_CLIENT_ERROR_COMMAND_FAILED,
} KantorMonitorClientError;

#define KANTOR_MONITOR_CLIENT_ERROR (kantor_monitor_client_error_quark ())
GQuark      kantor_monitor_client_error_quark       (void);
/* The server's error_code ("session_not_found"); NULL for local errors. */
const char *kantor_monitor_client_error_get_code    (const GError *error);
/* The error's details object, NULL when it had none. */
JsonObject *kantor_monitor_client_error_get_details (const GError *error);

#define KANTOR_TYPE_MONITOR_CLIENT (kantor_monitor_client_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorClient, kantor_monitor_client, KANTOR, MONITOR_CLIENT, GObject)

/* @url: ws://host:port/ws; NULL for KANTOR_MONITOR_DEFAULT_URL. */
KantorMonitorClient      *kantor_monitor_client_new                (const char           *url);
const char               *kantor_monitor_client_get_url            (KantorMonitorClient  *self);
KantorMonitorClientState  kantor_monitor_client_get_state          (KantorMonitorClient  *self);
/* From the server's connected message; NULL before the first. */
const char               *kantor_monitor_client_get_server_version (KantorMonitorClient  *self);
/* The authenticated user's name; NULL before authentication. */
const char               *kantor_monitor_client_get_user           (KantorMonitorClient  *self);
/* When the access token expires (epoch seconds); 0 without one. The
 * client renews it ahead of time while it holds a refresh token. */
gint64                    kantor_monitor_client_get_expires_at     (KantorMonitorClient  *self);
/* Times the connection was restored after a drop. */
guint                     kantor_monitor_client_get_n_reconnects   (KantorMonitorClient  *self);

/* After a drop the client reconnects, first after @initial_ms, doubling up
 * to @max_ms between attempts, until kantor_monitor_client_disconnect(). */
void         kantor_monitor_client_set_reconnect_delays (KantorMonitorClient  *self,
                                                         guint                 initial_ms,
                                                         guint                 max_ms);

/* Heartbeats go out after this much silence from the server; when nothing
 * at all is heard for the interval plus the timeout, the connection is
 * taken as dead, dropped and restored. */
#define KANTOR_MONITOR_KEEPALIVE_INTERVAL_MS 15000
#define KANTOR_MONITOR_KEEPALIVE_TIMEOUT_MS  10000
/* 0 for @interval_ms turns the check off. */
void         kantor_monitor_client_set_keepalive (KantorMonitorClient  *self,
                                                  guint                 interval_ms,
                                                  guint                 timeout_ms);

/* Opens the WebSocket and completes on the server's connected message. A
 * failure here is reported, not retried: only an established connection
 * that drops is restored. */
void         kantor_monitor_client_connect_async  (KantorMonitorClient  *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean     kantor_monitor_client_connect_finish (KantorMonitorClient  *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* Closes the connection, stops reconnecting and forgets the tokens and
 * subscriptions. Pending requests fail with CLOSED. */
void         kantor_monitor_client_disconnect     (KantorMonitorClient  *self);

/* Authenticates with a user name and password (login). The tokens it
 * gets are kept in memory only: the access token re-authenticates after a
 * reconnect, the refresh token renews both before the access token
 * expires. */
void         kantor_monitor_client_login_async    (KantorMonitorClient  *self,
                                                   const char           *username,
                                                   const char           *password,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean     kantor_monitor_client_login_finish   (KantorMonitorClient  *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
/* Authenticates with an access token (auth). */
void         kantor_monitor_client_auth_async     (KantorMonitorClient  *self,
                                                   const char           *token,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean     kantor_monitor_client_auth_finish    (KantorMonitorClient  *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* Sends {type: @type, id, ...@fields} (@fields may be NULL; its members
 * are copied) and completes with the direct reply, the message that
 * echoes the id. An error reply completes with a
 * KANTOR_MONITOR_CLIENT_ERROR error carrying its error_code. */
void         kantor_monitor_client_request_async  (KantorMonitorClient  *self,
                                                   const char           *type,
                                                   JsonObject           *fields,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
JsonObject  *kantor_monitor_client_request_finish (KantorMonitorClient  *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* subscribe {stream, params}. Once it succeeded the client keeps it: after
 * a reconnect it subscribes again with resume_from set to the last seq it
 * saw, so nothing held by the server is missed or repeated. */
void         kantor_monitor_client_subscribe_async  (KantorMonitorClient  *self,
                                                     const char           *stream,
                                                     JsonObject           *params,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
JsonObject  *kantor_monitor_client_subscribe_finish (KantorMonitorClient  *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
/* TRUE while the client holds a subscription to @stream: from the
 * accepted reply until disconnect(), reconnects included. */
gboolean     kantor_monitor_client_is_subscribed    (KantorMonitorClient  *self,
                                                     const char           *stream);
/* The highest seq seen on @stream (or the stream's counter when
 * subscribing); 0 when none. */
guint64      kantor_monitor_client_get_last_seq     (KantorMonitorClient  *self,
                                                     const char           *stream);

G_END_DECLS
