/* kantor-collection-api.h: the collection requests of PROTOCOL.md §9
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-collection-manager.h"
#include "kantor-router.h"
#include "kantor-server.h"

G_BEGIN_DECLS

/* Plugs collection_start, collection_stop and collection_status into
 * @server's router, and pushes every run's state change ({type:"status",
 * status:"collection_state", collection_id, state, ...}) and alert
 * ({type:"alert", alert:"collection_failed", ...}) to every authenticated
 * connection of @server. @manager must outlive the routing. */
void kantor_collection_api_register (KantorServer            *server,
                                     KantorCollectionManager *manager);

G_END_DECLS
