/* kantor-rest.h: the REST mirror of the WebSocket API under /api/v1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "kantor-server.h"

G_BEGIN_DECLS

#define KANTOR_REST_PREFIX "/api/v1"

/* Longest path parameter (an identifier, a name or a symbol) accepted in a
 * URL, in bytes once decoded. */
#define KANTOR_REST_MAX_SEGMENT 128

/* Answers one HTTP request under /api/v1 (the path as received, still
 * percent-encoded). The request becomes the router message it mirrors
 * ({type, id, ...fields from the path, the query and the JSON body}),
 * dispatched through @server's router on an in-process connection that
 * carries the Bearer token's identity; the HTTP body is the direct reply,
 * byte for byte what a WebSocket client would receive, and the HTTP status
 * comes from its error_code. Replies that come later pause @msg until
 * they do. Nothing is held past the request. */
void kantor_rest_handle       (KantorServer      *server,
                               SoupServerMessage *msg,
                               const char        *path);

/* For soup_server_add_early_handler(): refuses a body announced larger
 * than the router accepts before it is read. */
void kantor_rest_handle_early (KantorServer      *server,
                               SoupServerMessage *msg);

G_END_DECLS
