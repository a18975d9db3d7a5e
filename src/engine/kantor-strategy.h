/* kantor-strategy.h: strategy documents, parsed, validated and compiled
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "kantor-diagnostics.h"
#include "kantor-execution.h"
#include "kantor-indicator-set.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_STRATEGY (kantor_strategy_get_type ())

/* An immutable, refcounted, validated strategy (STRATEGY.md §1). Safe to
 * share between threads once built: nothing in it changes. */
typedef struct _KantorStrategy KantorStrategy;

typedef enum
{
  KANTOR_COMPARE_GT = 1,   /* > */
  KANTOR_COMPARE_LT,       /* < */
  KANTOR_COMPARE_GE,       /* >= */
  KANTOR_COMPARE_LE,       /* <= */
  KANTOR_COMPARE_EQ,       /* == */
  KANTOR_COMPARE_NE,       /* != */
} KantorCompareOp;

/* The five condition sections, in document order. */
typedef enum
{
  KANTOR_SECTION_S1_SIGNAL = 0,
  KANTOR_SECTION_O1_CANCEL,
  KANTOR_SECTION_Z1_ENTRY,
  KANTOR_SECTION_ZE1_CLOSE,
  KANTOR_SECTION_EMERGENCY_EXIT,
  KANTOR_N_SECTIONS,
} KantorStrategySection;

/* Built-in values an activation computes itself. */
typedef enum
{
  KANTOR_BUILTIN_NONE = 0,
  KANTOR_BUILTIN_UNREALIZED_PNL_PCT,
  KANTOR_BUILTIN_POSITION_AGE_SECONDS,
  KANTOR_BUILTIN_SIGNAL_AGE_SECONDS,
} KantorBuiltin;

typedef struct
{
  const char      *id;            /* the condition's "id" */
  const char      *indicator_id;  /* interned: a key of "indicators" or a built-in name */
  guint            indicator;     /* index into the strategy's indicators, when not built-in */
  KantorBuiltin    builtin;       /* KANTOR_BUILTIN_NONE for declared indicators */
  KantorCompareOp  op;
  double           value;
} KantorCondition;

GType            kantor_strategy_get_type          (void) G_GNUC_CONST;

/* Checks @doc against STRATEGY.md §1, adding every error and warning to
 * @diag with its JSON pointer. Returns TRUE when there was no error. */
gboolean         kantor_strategy_validate          (JsonNode          *doc,
                                                    KantorDiagnostics *diag);
/* Validates and compiles @doc. Returns NULL when there was an error (all of
 * them are in @diag; warnings are added either way). @diag may be NULL. */
KantorStrategy  *kantor_strategy_new_from_json     (JsonNode          *doc,
                                                    KantorDiagnostics *diag);
/* Same from text; a JSON syntax error is reported at the root path "". */
KantorStrategy  *kantor_strategy_new_from_data     (const char        *data,
                                                    gssize             length,
                                                    KantorDiagnostics *diag);
KantorStrategy  *kantor_strategy_ref               (KantorStrategy    *self);
void             kantor_strategy_unref             (KantorStrategy    *self);

/* Interned. */
const char      *kantor_strategy_get_name          (KantorStrategy    *self);
const char      *kantor_strategy_get_description   (KantorStrategy    *self);
KantorDirection  kantor_strategy_get_direction     (KantorStrategy    *self);
gboolean         kantor_strategy_get_enabled       (KantorStrategy    *self);
/* Lower-case hex SHA-256 of the document's canonical JSON: two versions of
 * a strategy are the same exactly when their hashes are. */
const char      *kantor_strategy_get_hash          (KantorStrategy    *self);
/* A new reference to the document as it was given; it is sealed
 * (json_node_seal()): copy it to change it. */
JsonNode        *kantor_strategy_to_json           (KantorStrategy    *self);

/* The declared indicators, in document order. */
guint            kantor_strategy_get_n_indicators  (KantorStrategy    *self);
const char      *kantor_strategy_get_indicator_key (KantorStrategy    *self,
                                                    guint              index);
KantorIndicatorSpec *kantor_strategy_get_indicator_spec (KantorStrategy *self,
                                                         guint           index);
/* FALSE for an indicator no condition refers to (it is not computed). */
gboolean         kantor_strategy_get_indicator_used (KantorStrategy   *self,
                                                     guint             index);
/* -1 when @key is not declared. */
int              kantor_strategy_lookup_indicator  (KantorStrategy    *self,
                                                    const char        *key);

const KantorCondition *kantor_strategy_get_conditions (KantorStrategy       *self,
                                                       KantorStrategySection section,
                                                       guint                *n_conditions);

/* o1_cancel: 0 when there is no timeout. */
double           kantor_strategy_get_timeout_seconds     (KantorStrategy *self);
double           kantor_strategy_get_cancel_cooldown_minutes (KantorStrategy *self);
double           kantor_strategy_get_emergency_cooldown_minutes (KantorStrategy *self);
void             kantor_strategy_get_emergency_actions   (KantorStrategy *self,
                                                          gboolean       *cancel_pending,
                                                          gboolean       *close_position,
                                                          gboolean       *log_event);

/* z1_entry sizing and exits; the offsets are in percent of the entry price.
 * Returns FALSE (and @offset_percent 0) when the exit is disabled. */
void             kantor_strategy_get_position_size (KantorStrategy    *self,
                                                    KantorSizeKind    *kind,
                                                    double            *value);
gboolean         kantor_strategy_get_stop_loss     (KantorStrategy    *self,
                                                    double            *offset_percent);
gboolean         kantor_strategy_get_take_profit   (KantorStrategy    *self,
                                                    double            *offset_percent);

/* global_limits; 0 where a limit is not set. */
double           kantor_strategy_get_min_position_size (KantorStrategy *self);
double           kantor_strategy_get_max_position_size (KantorStrategy *self);
double           kantor_strategy_get_max_leverage      (KantorStrategy *self);

const char      *kantor_strategy_section_to_string (KantorStrategySection section);
const char      *kantor_compare_op_to_string       (KantorCompareOp   op);

/* The built-in named @name, or KANTOR_BUILTIN_NONE. */
KantorBuiltin    kantor_builtin_from_name          (const char        *name);
const char      *kantor_builtin_to_string          (KantorBuiltin     builtin);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorStrategy, kantor_strategy_unref)

G_END_DECLS
