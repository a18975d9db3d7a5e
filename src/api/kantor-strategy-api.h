/* kantor-strategy-api.h: the strategy requests of PROTOCOL.md §4 and §6
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "kantor-router.h"
#include "kantor-strategy-manager.h"

G_BEGIN_DECLS

/* Plugs get_strategies, validate_strategy_config, upsert_strategy,
 * activate_strategy, deactivate_strategy and get_strategy_status into
 * @router. @manager is not referenced: it must outlive @router's use. */
void kantor_strategy_api_register (KantorRouter          *router,
                                   KantorStrategyManager *manager);

G_END_DECLS
