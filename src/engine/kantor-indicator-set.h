/* kantor-indicator-set.h: the indicator registry and per-symbol indicator sets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "kantor-diagnostics.h"
#include "kantor-market-event.h"

G_BEGIN_DECLS

/* A parsed, validated, immutable indicator declaration (STRATEGY.md §2):
 * the type plus its parameters. One registry (type -> parameter schema ->
 * constructor) serves both validation and the engine. */
typedef struct _KantorIndicatorSpec KantorIndicatorSpec;

/* Parses one entry of a strategy's "indicators" object. @path is its JSON
 * pointer ("/indicators/pump"). Errors and warnings (window longer than 24 h)
 * go to @diag with the paths of the offending members. Returns NULL when
 * there was an error. */
KantorIndicatorSpec *kantor_indicator_spec_parse      (JsonNode            *node,
                                                       const char          *path,
                                                       KantorDiagnostics   *diag);
KantorIndicatorSpec *kantor_indicator_spec_ref        (KantorIndicatorSpec *spec);
void                 kantor_indicator_spec_unref      (KantorIndicatorSpec *spec);
const char          *kantor_indicator_spec_get_type_name (const KantorIndicatorSpec *spec);
/* The range the value can take ([-inf, +inf] when unbounded), so a validator
 * can warn about conditions that can never hold (RSI > 100). */
void                 kantor_indicator_spec_get_range  (const KantorIndicatorSpec *spec,
                                                       double              *min_value,
                                                       double              *max_value);
guint                kantor_indicator_spec_hash       (gconstpointer        spec);
gboolean             kantor_indicator_spec_equal      (gconstpointer        a,
                                                       gconstpointer        b);

/* TRUE for names handled outside indicator sets (UNREALIZED_PNL_PCT,
 * POSITION_AGE_SECONDS, SIGNAL_AGE_SECONDS): they belong to an activation. */
gboolean             kantor_indicator_is_builtin      (const char          *name);
/* Every known type name, NULL-terminated, for documentation and errors. */
const char * const  *kantor_indicator_list_types      (void);

/* All indicators of one symbol, sharing that symbol's trade history and
 * candles. Identical specs share one slot. */
typedef struct _KantorIndicatorSet KantorIndicatorSet;

KantorIndicatorSet  *kantor_indicator_set_new         (void);
void                 kantor_indicator_set_free        (KantorIndicatorSet  *self);
/* Returns the slot of @spec, adding it when it is not there yet. Slots are
 * dense, starting at 0, stable for the set's life. */
guint                kantor_indicator_set_add         (KantorIndicatorSet  *self,
                                                       KantorIndicatorSpec *spec);
guint                kantor_indicator_set_get_n_slots (KantorIndicatorSet  *self);
KantorIndicatorSpec *kantor_indicator_set_get_spec    (KantorIndicatorSet  *self,
                                                       guint                slot);
/* Feeds one event (trade or book) of this set's symbol, in time order;
 * windows move to the event's time. */
void                 kantor_indicator_set_update      (KantorIndicatorSet  *self,
                                                       const KantorMarketEvent *event);
/* FALSE while the indicator has too little data to have a value. */
gboolean             kantor_indicator_set_get_value   (KantorIndicatorSet  *self,
                                                       guint                slot,
                                                       double              *value);
/* Bytes the set holds (trade history, deques, candle rings), for memory
 * accounting: it grows with what the longest window holds, never with the
 * length of the session. */
gsize                kantor_indicator_set_get_memory_size (KantorIndicatorSet *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorIndicatorSpec, kantor_indicator_spec_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorIndicatorSet, kantor_indicator_set_free)

G_END_DECLS
