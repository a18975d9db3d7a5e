/* kantor-session-api.h: the session and results requests of PROTOCOL.md §5 and §7
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-server.h"
#include "kantor-session-manager.h"

G_BEGIN_DECLS

/* Plugs session_start, session_stop, session_status and results_request
 * into @server's router, and pushes every session state change
 * ({type:"status", status:"session_state", ...}) and alert
 * (kantor_server_send_alert()) to every authenticated connection of @server. @manager
 * must outlive @server's routing. */
void kantor_session_api_register (KantorServer         *server,
                                  KantorSessionManager *manager);

G_END_DECLS
