/* kantor-session-manager.c: starting, tracking and stopping sessions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-session-manager.h"

#include "kantor-canonical-json.h"
#include "kantor-collection-source.h"
#include "kantor-synthetic-source.h"

/* Orders and signals of running sessions reach the store in batches at
 * least this often. */
#define FLUSH_INTERVAL_S 1

struct _KantorSessionManager
{
  GObject                parent_instance;

  KantorSessionStore    *session_store;
  KantorStrategyManager *strategies;
  KantorMarketFeed      *feed;
  KantorCollectionManager *collections;
  char                  *data_dir;

  GPtrArray             *sessions;       /* every session, in start order */
  GHashTable            *by_id;          /* id -> KantorSession (borrowed) */
  GHashTable            *by_key;         /* idempotency key -> active session (borrowed) */
  GHashTable            *symbol_owner;   /* symbol -> active paper/live session (borrowed) */
  guint                  n_interrupted;
  guint                  flush_id;
};

G_DEFINE_FINAL_TYPE (KantorSessionManager, kantor_session_manager, G_TYPE_OBJECT)

G_DEFINE_QUARK (kantor-session-manager-error-quark, kantor_session_manager_error)

enum
{
  SIGNAL_SESSION_STATE,
  SIGNAL_SESSION_ALERT,
  SIGNAL_SESSION_SIGNAL,
  SIGNAL_SESSION_ORDER,
  SIGNAL_SESSION_INDICATORS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const config_members[] = {
  "budget", "initial_balance", "fee_rate", "slippage_bps", "on_conflict", "data", "from", "to",
  "speed", "record",
};

/* Errors with a details object. */
static gboolean
fail (JsonObject           **details,
      GError               **error,
      KantorSessionManagerError code,
      const char            *field,
      const char            *format,
      ...) G_GNUC_PRINTF (5, 6);

static gboolean
fail (JsonObject           **details,
      GError               **error,
      KantorSessionManagerError code,
      const char            *field,
      const char            *format,
      ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, KANTOR_SESSION_MANAGER_ERROR, code, message);
  if (details != NULL && field != NULL)
    {
      *details = json_object_new ();
      json_object_set_string_member (*details, "field", field);
    }
  return FALSE;
}

/* The request ------------------------------------------------------------- */

typedef struct
{
  KantorSessionType   type;
  JsonNode           *strategy_config;   /* normalised */
  GPtrArray          *symbols;           /* sorted, unique, NULL-terminated */
  gboolean            replace;
  KantorLedgerConfig  ledger;
  gboolean            ledger_set;
  gint64              from_ms;
  gint64              to_ms;
  double              speed;
  gboolean            record;
  JsonObject         *data;
} Request;

static void
request_clear (Request *r)
{
  g_clear_pointer (&r->strategy_config, json_node_unref);
  g_clear_pointer (&r->symbols, g_ptr_array_unref);
  if (r->ledger_set)
    kantor_ledger_config_clear (&r->ledger);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
parse_strategy_config (Request     *r,
                       JsonNode    *node,
                       JsonObject **details,
                       GError     **error)
{
  JsonObject *in = json_node_get_object (node);
  g_autoptr(GList) names = json_object_get_members (in);
  g_autoptr(GHashTable) all = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonObject *out = json_object_new ();

  r->strategy_config = json_node_init_object (json_node_alloc (), out);
  json_object_unref (out);

  if (names == NULL)
    return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_MISSING_STRATEGY_CONFIG,
                 "strategy_config", "strategy_config names no strategy");

  names = g_list_sort (names, (GCompareFunc) strcmp);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (in, name);
      g_autofree char *field = g_strdup_printf ("strategy_config.%s", name);
      g_autoptr(GPtrArray) syms = g_ptr_array_new_with_free_func (g_free);
      JsonArray *list;
      JsonArray *norm;

      if (!kantor_strategy_name_is_valid (name))
        return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, field,
                     "“%s” is not a strategy name (^[A-Za-z0-9_-]{1,64}$)", name);
      if (!JSON_NODE_HOLDS_ARRAY (value) ||
          json_array_get_length (json_node_get_array (value)) == 0)
        return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, field,
                     "strategy_config.%s must be a non-empty array of symbols", name);
      list = json_node_get_array (value);
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonNode *el = json_array_get_element (list, i);
          char *sym;
          gboolean dup = FALSE;

          if (!JSON_NODE_HOLDS_VALUE (el) || json_node_get_value_type (el) != G_TYPE_STRING)
            return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, field,
                         "strategy_config.%s must hold symbol strings", name);
          sym = g_ascii_strup (json_node_get_string (el), -1);
          if (!kantor_symbol_is_valid (sym))
            {
              fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, field,
                    "“%s” is not a symbol (^[A-Z0-9_]{1,32}$ once upper-cased)",
                    json_node_get_string (el));
              g_free (sym);
              return FALSE;
            }
          for (guint j = 0; j < syms->len && !dup; j++)
            dup = strcmp (syms->pdata[j], sym) == 0;
          if (dup)
            g_free (sym);
          else
            g_ptr_array_add (syms, sym);
        }
      g_ptr_array_sort (syms, compare_strings);
      norm = json_array_new ();
      for (guint i = 0; i < syms->len; i++)
        {
          json_array_add_string_element (norm, syms->pdata[i]);
          g_hash_table_add (all, g_strdup (syms->pdata[i]));
        }
      json_object_set_array_member (out, name, norm);
    }

  r->symbols = g_ptr_array_new_with_free_func (g_free);
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, all);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (r->symbols, g_strdup (key));
  }
  g_ptr_array_sort (r->symbols, compare_strings);
  g_ptr_array_add (r->symbols, NULL);
  return TRUE;
}

static gboolean
parse_time (JsonNode *node,
            gint64   *out)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *out = json_node_get_int (node);
      return *out >= 0;
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (json_node_get_string (node), utc);

      if (dt == NULL)
        return FALSE;
      *out = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
      return TRUE;
    }
  return FALSE;
}

static gboolean
is_number (JsonNode *node)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static gboolean
parse_config (Request     *r,
              JsonObject  *config,
              JsonObject **details,
              GError     **error)
{
  g_autoptr(GList) members = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *bad_field = NULL;
  JsonNode *node;

  r->from_ms = G_MININT64;
  r->to_ms = G_MAXINT64;

  if (config == NULL)
    {
      kantor_ledger_config_init (&r->ledger);
      return TRUE;
    }

  members = json_object_get_members (config);
  for (GList *l = members; l != NULL; l = l->next)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (config_members); i++)
        known |= strcmp (l->data, config_members[i]) == 0;
      if (!known)
        {
          g_autofree char *field = g_strdup_printf ("config.%s", (const char *) l->data);

          return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, field,
                       "config.%s is not a session setting", (const char *) l->data);
        }
    }

  node = json_object_get_member (config, "on_conflict");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      const char *v = JSON_NODE_HOLDS_VALUE (node) &&
                      json_node_get_value_type (node) == G_TYPE_STRING
                        ? json_node_get_string (node) : NULL;

      if (g_strcmp0 (v, "replace") == 0)
        r->replace = TRUE;
      else if (g_strcmp0 (v, "reuse") != 0)
        return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.on_conflict",
                     "config.on_conflict must be \"reuse\" or \"replace\"");
    }

  /* The budget's cap first: it has its own error code and details. */
  node = json_object_get_member (config, "budget");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_autoptr(KantorBudget) budget = kantor_budget_new_from_json (node, &bad_field,
                                                                    &local_error);

      if (budget == NULL)
        {
          g_autofree char *field = g_strdup_printf ("config.%s", bad_field ? bad_field : "budget");

          return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, field, "%s",
                       local_error->message);
        }
      if (!kantor_budget_check (budget, NULL))
        {
          g_set_error (error, KANTOR_SESSION_MANAGER_ERROR,
                       KANTOR_SESSION_MANAGER_ERROR_BUDGET_CAP_EXCEEDED,
                       "The allocations add up to %g, more than the global cap of %g",
                       kantor_budget_get_total_allocated (budget),
                       kantor_budget_get_global_cap (budget));
          if (details != NULL)
            {
              *details = json_object_new ();
              json_object_set_double_member (*details, "total_alloc",
                                             kantor_budget_get_total_allocated (budget));
              json_object_set_double_member (*details, "global_cap",
                                             kantor_budget_get_global_cap (budget));
            }
          return FALSE;
        }
    }

  g_clear_pointer (&bad_field, g_free);
  if (!kantor_ledger_config_parse_json (&r->ledger, config, &bad_field, &local_error))
    {
      g_autofree char *field = g_strdup_printf ("config.%s", bad_field ? bad_field : "");

      return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, field, "%s",
                   local_error->message);
    }
  r->ledger_set = TRUE;

  node = json_object_get_member (config, "speed");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!is_number (node) || json_node_get_double (node) < 0)
        return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.speed",
                     "config.speed must be a number >= 0 (0: as fast as possible)");
      r->speed = json_node_get_double (node);
    }
  node = json_object_get_member (config, "from");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) && !parse_time (node, &r->from_ms))
    return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.from",
                 "config.from must be epoch milliseconds or an ISO-8601 time");
  node = json_object_get_member (config, "to");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) && !parse_time (node, &r->to_ms))
    return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.to",
                 "config.to must be epoch milliseconds or an ISO-8601 time");
  if (r->from_ms > r->to_ms)
    return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.to",
                 "config.to is before config.from");

  node = json_object_get_member (config, "record");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.record",
                     "config.record must be a boolean");
      r->record = json_node_get_boolean (node);
    }

  node = json_object_get_member (config, "data");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data",
                     "config.data must be an object: {collection_id} or {path}");
      r->data = json_node_get_object (node);
    }
  return TRUE;
}

/* The data of a backtest ---------------------------------------------------- */

static gboolean
get_string (JsonObject  *obj,
            const char  *member,
            const char **out)
{
  JsonNode *node = json_object_get_member (obj, member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
collection_id_is_valid (const char *id)
{
  gsize len = strlen (id);

  if (len == 0 || len > 128)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '_' && id[i] != '-')
      return FALSE;
  return TRUE;
}

static KantorMarketSource *
open_data (KantorSessionManager *self,
           Request              *r,
           guint64              *total_events,
           JsonObject          **details,
           GError              **error)
{
  const char *collection_id = NULL, *path = NULL;
  JsonNode *synthetic;
  g_autofree char *folder = NULL;
  g_autoptr(GError) local_error = NULL;
  KantorMarketSource *source;
  const char * const *symbols = (const char * const *) r->symbols->pdata;

  *total_events = 0;
  if (r->data == NULL)
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data",
            "A backtest needs config.data: {collection_id} or {path}");
      return NULL;
    }
  if (!get_string (r->data, "collection_id", &collection_id))
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data.collection_id",
            "config.data.collection_id must be a string");
      return NULL;
    }
  if (!get_string (r->data, "path", &path))
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data.path",
            "config.data.path must be a string");
      return NULL;
    }
  synthetic = json_object_get_member (r->data, "synthetic");
  if ((collection_id != NULL) + (path != NULL) + (synthetic != NULL) != 1 ||
      json_object_get_size (r->data) != 1)
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data",
            "config.data must hold exactly one of collection_id, path and synthetic");
      return NULL;
    }

  if (synthetic != NULL)
    {
      /* {seed, events}: the market kantor-backtest replays as
       * synthetic:SEED:EVENTS, from the same start time. */
      JsonObject *syn = JSON_NODE_HOLDS_OBJECT (synthetic) ? json_node_get_object (synthetic)
                                                           : NULL;
      JsonNode *seed = syn != NULL ? json_object_get_member (syn, "seed") : NULL;
      JsonNode *events = syn != NULL ? json_object_get_member (syn, "events") : NULL;

      if (seed == NULL || events == NULL || json_object_get_size (syn) != 2 ||
          !JSON_NODE_HOLDS_VALUE (seed) || json_node_get_value_type (seed) != G_TYPE_INT64 ||
          json_node_get_int (seed) < 0 || !JSON_NODE_HOLDS_VALUE (events) ||
          json_node_get_value_type (events) != G_TYPE_INT64 || json_node_get_int (events) <= 0)
        {
          fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data.synthetic",
                "config.data.synthetic must be {seed: integer >= 0, events: integer > 0}");
          return NULL;
        }
      *total_events = (guint64) json_node_get_int (events);
      return kantor_synthetic_source_new (symbols, (guint64) json_node_get_int (seed),
                                          KANTOR_SYNTHETIC_DEFAULT_START_MS, *total_events,
                                          error);
    }

  if (collection_id != NULL)
    {
      g_autofree char *name = NULL;

      if (!collection_id_is_valid (collection_id))
        {
          fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data.collection_id",
                "“%s” is not a collection id", collection_id);
          return NULL;
        }
      name = g_strconcat ("session_", collection_id, NULL);
      folder = g_build_filename (self->data_dir, name, NULL);
      if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
        {
          fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data.collection_id",
                "There is no collection “%s”", collection_id);
          return NULL;
        }
    }
  else
    {
      if (!g_path_is_absolute (path) || !g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.data.path",
                "config.data.path must be the absolute path of a collection folder");
          return NULL;
        }
      folder = g_strdup (path);
    }

  source = kantor_collection_source_new (folder, symbols, &local_error);
  if (source == NULL)
    fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID,
          collection_id != NULL ? "config.data.collection_id" : "config.data.path",
          "The collection cannot be replayed: %s", local_error->message);
  return source;
}

/* Sessions -------------------------------------------------------------- */

static char *
idempotency_key (KantorSessionType  type,
                 GPtrArray         *symbols,
                 JsonNode          *strategy_config)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *canonical = kantor_canonical_json_to_string (strategy_config);
  const char *type_name = kantor_session_type_to_string (type);

  /* NUL separators: no field can run into the next. */
  g_checksum_update (sum, (const guchar *) type_name, strlen (type_name) + 1);
  for (guint i = 0; symbols->pdata[i] != NULL; i++)
    g_checksum_update (sum, symbols->pdata[i], strlen (symbols->pdata[i]) + 1);
  g_checksum_update (sum, (const guchar *) "", 1);
  g_checksum_update (sum, (const guchar *) canonical, strlen (canonical));
  return g_strdup (g_checksum_get_string (sum));
}

static void
save (KantorSessionManager *self,
      KantorSession        *session)
{
  if (self->session_store != NULL)
    kantor_session_store_save (self->session_store, session);
}

static void
release_claims (KantorSessionManager *self,
                KantorSession        *session)
{
  const char * const *symbols = kantor_session_get_symbols (session);

  if (g_hash_table_lookup (self->by_key, kantor_session_get_key (session)) == session)
    g_hash_table_remove (self->by_key, kantor_session_get_key (session));
  for (guint i = 0; symbols[i] != NULL; i++)
    if (g_hash_table_lookup (self->symbol_owner, symbols[i]) == session)
      g_hash_table_remove (self->symbol_owner, symbols[i]);
}

static void
on_state_changed (KantorSession        *session,
                  KantorSessionManager *self)
{
  KantorSessionState state = kantor_session_get_state (session);
  gpointer saved = g_object_get_data (G_OBJECT (session), "kantor-saved-state");

  if (GPOINTER_TO_INT (saved) != (int) state)
    {
      g_object_set_data (G_OBJECT (session), "kantor-saved-state", GINT_TO_POINTER (state));
      if (!kantor_session_state_is_active (state))
        {
          release_claims (self, session);
          /* Its recording ends with it, the buffered rows written out. */
          if (kantor_session_get_recording (session) != NULL && self->collections != NULL)
            kantor_collection_manager_stop_async (
              self->collections,
              kantor_collection_run_get_id (kantor_session_get_recording (session)), NULL, NULL);
        }
      save (self, session);
    }
  g_signal_emit (self, signals[SIGNAL_SESSION_STATE], 0, session);
}

static void
on_alert (KantorSession        *session,
          JsonObject           *fields,
          KantorSessionManager *self)
{
  g_signal_emit (self, signals[SIGNAL_SESSION_ALERT], 0, session, fields);
}

static void
on_signal_emitted (KantorSession        *session,
                   gpointer              signal,
                   KantorSessionManager *self)
{
  g_signal_emit (self, signals[SIGNAL_SESSION_SIGNAL], 0, session, signal);
}

static void
on_indicators (KantorSession        *session,
               const char           *symbol,
               gint64                time_ms,
               JsonObject           *values,
               JsonObject           *used_by,
               KantorSessionManager *self)
{
  g_signal_emit (self, signals[SIGNAL_SESSION_INDICATORS], 0, session, symbol, time_ms, values,
                 used_by);
}

static void
on_order_event (KantorSession        *session,
                JsonObject           *order,
                KantorSessionManager *self)
{
  g_signal_emit (self, signals[SIGNAL_SESSION_ORDER], 0, session, order);
}

static void
add_session (KantorSessionManager *self,
             KantorSession        *session)
{
  g_ptr_array_add (self->sessions, session);
  g_hash_table_insert (self->by_id, (gpointer) kantor_session_get_id (session), session);
  g_object_set_data (G_OBJECT (session), "kantor-saved-state",
                     GINT_TO_POINTER (kantor_session_get_state (session)));
  g_signal_connect_object (session, "state-changed", G_CALLBACK (on_state_changed), self, 0);
  g_signal_connect_object (session, "alert", G_CALLBACK (on_alert), self, 0);
  g_signal_connect_object (session, "signal-emitted", G_CALLBACK (on_signal_emitted), self, 0);
  g_signal_connect_object (session, "order-event", G_CALLBACK (on_order_event), self, 0);
  g_signal_connect_object (session, "indicators", G_CALLBACK (on_indicators), self, 0);
  g_signal_connect_object (session, "results-written", G_CALLBACK (save), self,
                           G_CONNECT_SWAPPED);
}

/* A session that already runs every (strategy, symbol) pair of @r. */
static gboolean
session_covers (KantorSession *session,
                Request       *r)
{
  JsonObject *config = json_node_get_object (r->strategy_config);
  g_autoptr(GList) names = json_object_get_members (config);

  if (kantor_session_get_session_type (session) != r->type)
    return FALSE;
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonArray *syms = json_object_get_array_member (config, l->data);

      for (guint i = 0; i < json_array_get_length (syms); i++)
        if (!kantor_session_runs (session, l->data, json_array_get_string_element (syms, i)))
          return FALSE;
    }
  return TRUE;
}

static void
stopped_for_replace (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  kantor_session_stop_finish (KANTOR_SESSION (source), result, NULL);
}

KantorSession *
kantor_session_manager_start (KantorSessionManager  *self,
                              const char            *session_type,
                              JsonNode              *strategy_config,
                              JsonObject            *config,
                              gboolean              *reused,
                              JsonObject           **details,
                              GError               **error)
{
  Request r = { 0 };
  g_autofree char *key = NULL;
  g_autoptr(KantorEngine) engine = NULL;
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(GPtrArray) conflicting = NULL;
  g_autoptr(GPtrArray) strategies = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) config_node = NULL;
  g_autoptr(KantorCollectionRun) recording = NULL;
  KantorSession *session;
  JsonObject *sc;
  g_autoptr(GList) names = NULL;
  guint64 total_events = 0;

  g_return_val_if_fail (KANTOR_IS_SESSION_MANAGER (self), NULL);

  if (reused != NULL)
    *reused = FALSE;
  if (details != NULL)
    *details = NULL;

  if (session_type == NULL || !kantor_session_type_from_string (session_type, &r.type))
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID_TYPE, NULL,
            "session_type must be \"backtest\", \"paper\" or \"live\"");
      goto out;
    }
  if (strategy_config == NULL || !JSON_NODE_HOLDS_OBJECT (strategy_config))
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_MISSING_STRATEGY_CONFIG,
            "strategy_config", "session_start needs a strategy_config object");
      goto out;
    }
  if (!parse_strategy_config (&r, strategy_config, details, error) ||
      !parse_config (&r, config, details, error))
    goto out;

  if (r.record && r.type == KANTOR_SESSION_TYPE_BACKTEST)
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_INVALID, "config.record",
            "config.record records a paper or live session's feed; a backtest replays one");
      goto out;
    }
  if (r.type == KANTOR_SESSION_TYPE_LIVE)
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_UNAVAILABLE, NULL,
            "Live trading is not available: this server has no exchange connection yet "
            "(use a paper session)");
      goto out;
    }

  /* Idempotency: an identical start while one is active is that one. */
  key = idempotency_key (r.type, r.symbols, r.strategy_config);
  session = g_hash_table_lookup (self->by_key, key);
  if (session != NULL)
    {
      if (reused != NULL)
        *reused = TRUE;
      request_clear (&r);
      return g_object_ref (session);
    }

  /* Strategies. */
  sc = json_node_get_object (r.strategy_config);
  names = json_object_get_members (sc);
  strategies = g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_strategy_unref);
  for (GList *l = names; l != NULL; l = l->next)
    {
      KantorStrategy *strategy = self->strategies != NULL
                                   ? kantor_strategy_manager_lookup (self->strategies, l->data)
                                   : NULL;

      if (strategy == NULL)
        {
          fail (details, error, KANTOR_SESSION_MANAGER_ERROR_ACTIVATION_FAILED, NULL,
                "Strategy “%s” is unknown or its document is invalid", (const char *) l->data);
          goto out;
        }
      g_ptr_array_add (strategies, strategy);
      if (!kantor_strategy_get_enabled (strategy))
        {
          fail (details, error, KANTOR_SESSION_MANAGER_ERROR_ACTIVATION_FAILED, NULL,
                "Strategy “%s” is disabled", (const char *) l->data);
          goto out;
        }
    }

  /* Conflicts: a symbol is traded by one paper or live session at a time. */
  if (r.type != KANTOR_SESSION_TYPE_BACKTEST)
    {
      conflicting = g_ptr_array_new ();
      for (guint i = 0; r.symbols->pdata[i] != NULL; i++)
        {
          KantorSession *owner = g_hash_table_lookup (self->symbol_owner, r.symbols->pdata[i]);

          if (owner != NULL && !g_ptr_array_find (conflicting, owner, NULL))
            g_ptr_array_add (conflicting, owner);
        }
      if (conflicting->len == 1 && !r.replace && session_covers (conflicting->pdata[0], &r))
        {
          if (reused != NULL)
            *reused = TRUE;
          request_clear (&r);
          return g_object_ref (conflicting->pdata[0]);
        }
      if (conflicting->len > 0 && !r.replace)
        {
          JsonArray *ids = json_array_new ();
          JsonArray *syms = json_array_new ();

          for (guint i = 0; i < conflicting->len; i++)
            json_array_add_string_element (ids, kantor_session_get_id (conflicting->pdata[i]));
          for (guint i = 0; r.symbols->pdata[i] != NULL; i++)
            if (g_hash_table_contains (self->symbol_owner, r.symbols->pdata[i]))
              json_array_add_string_element (syms, r.symbols->pdata[i]);
          g_set_error (error, KANTOR_SESSION_MANAGER_ERROR, KANTOR_SESSION_MANAGER_ERROR_CONFLICT,
                       "%u of these symbols are traded by another session; "
                       "use on_conflict \"replace\" to stop it", json_array_get_length (syms));
          if (details != NULL)
            {
              *details = json_object_new ();
              json_object_set_array_member (*details, "conflicting_session_ids", ids);
              json_object_set_array_member (*details, "symbols", syms);
            }
          else
            {
              json_array_unref (ids);
              json_array_unref (syms);
            }
          goto out;
        }
    }

  /* The engine. */
  engine = kantor_engine_new (&r.ledger);
  for (guint i = 0; i < strategies->len; i++)
    {
      KantorStrategy *strategy = strategies->pdata[i];
      JsonArray *syms = json_object_get_array_member (sc, kantor_strategy_get_name (strategy));

      for (guint j = 0; j < json_array_get_length (syms); j++)
        {
          g_autoptr(GError) local_error = NULL;

          if (!kantor_engine_add_activation (engine, strategy,
                                             json_array_get_string_element (syms, j),
                                             &local_error))
            {
              fail (details, error, KANTOR_SESSION_MANAGER_ERROR_ACTIVATION_FAILED, NULL,
                    "Strategy “%s” cannot run on %s: %s", kantor_strategy_get_name (strategy),
                    json_array_get_string_element (syms, j), local_error->message);
              goto out;
            }
        }
    }

  if (r.type == KANTOR_SESSION_TYPE_BACKTEST)
    {
      source = open_data (self, &r, &total_events, details, error);
      if (source == NULL)
        goto out;
    }
  else if (self->feed == NULL)
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_UNAVAILABLE, NULL,
            "Paper sessions need a market feed, and this server has none");
      goto out;
    }

  if (r.record && self->collections == NULL)
    {
      fail (details, error, KANTOR_SESSION_MANAGER_ERROR_UNAVAILABLE, NULL,
            "Recording a session's feed needs the collection service, which this server "
            "does not run");
      goto out;
    }
  id = g_uuid_string_random ();
  if (r.record)
    {
      g_autoptr(GError) local_error = NULL;
      /* Not the feed's own name: the run is fed by the session, which
       * pushes exactly the events its engine consumed. */
      g_autofree char *source_name = g_strdup_printf ("%s, session %s",
                                                      kantor_market_feed_get_name (self->feed),
                                                      id);

      recording = kantor_collection_manager_start_recording (
        self->collections, (const char * const *) r.symbols->pdata, source_name, &local_error);
      if (recording == NULL)
        {
          fail (details, error, KANTOR_SESSION_MANAGER_ERROR_UNAVAILABLE, NULL,
                "The session's recording cannot start: %s", local_error->message);
          goto out;
        }
    }

  /* Every check passed: only now is anything stopped or started. */
  for (guint i = 0; conflicting != NULL && i < conflicting->len; i++)
    {
      KantorSession *old = conflicting->pdata[i];

      release_claims (self, old);
      kantor_session_stop_async (old, stopped_for_replace, NULL);
    }

  if (config != NULL)
    config_node = json_node_init_object (json_node_alloc (), config);
  session = kantor_session_new (id, r.type, key, (const char * const *) r.symbols->pdata,
                                r.strategy_config, config_node, g_steal_pointer (&engine));
  for (guint i = 0; i < strategies->len; i++)
    {
      const char *name = kantor_strategy_get_name (strategies->pdata[i]);
      guint version = 0;

      /* Looked up just above, on this thread: the version is the one run. */
      kantor_strategy_manager_get_info (self->strategies, name, &version, NULL, NULL);
      kantor_session_set_strategy_version (session, name, version);
    }
  add_session (self, session);
  g_hash_table_insert (self->by_key, (gpointer) kantor_session_get_key (session), session);
  if (r.type != KANTOR_SESSION_TYPE_BACKTEST)
    for (guint i = 0; r.symbols->pdata[i] != NULL; i++)
      g_hash_table_insert (self->symbol_owner, g_strdup (r.symbols->pdata[i]), session);
  /* Before the first save, so that the row names the recording from the
   * start (a crash right after start still finds it). */
  kantor_session_set_recording (session, recording);
  save (self, session);

  if (r.type == KANTOR_SESSION_TYPE_BACKTEST)
    kantor_session_run_backtest (session, source, r.from_ms, r.to_ms, r.speed, total_events);
  else
    kantor_session_run_paper (session, self->feed);

  request_clear (&r);
  return g_object_ref (session);

out:
  request_clear (&r);
  return NULL;
}

KantorSession *
kantor_session_manager_lookup (KantorSessionManager *self,
                               const char           *session_id)
{
  g_return_val_if_fail (KANTOR_IS_SESSION_MANAGER (self), NULL);
  return session_id != NULL ? g_hash_table_lookup (self->by_id, session_id) : NULL;
}

GPtrArray *
kantor_session_manager_list_active (KantorSessionManager *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = self->sessions->len; i-- > 0;)
    {
      KantorSession *session = self->sessions->pdata[i];

      if (kantor_session_state_is_active (kantor_session_get_state (session)))
        g_ptr_array_add (list, g_object_ref (session));
    }
  return list;
}

KantorSession *
kantor_session_manager_find_latest (KantorSessionManager *self,
                                    const char           *strategy,
                                    const char           *symbol)
{
  for (guint i = self->sessions->len; i-- > 0;)
    {
      KantorSession *session = self->sessions->pdata[i];
      JsonObject *sc = json_node_get_object (kantor_session_get_strategy_config (session));
      gboolean match;

      if (strategy != NULL && symbol != NULL)
        match = kantor_session_runs (session, strategy, symbol);
      else if (strategy != NULL)
        match = json_object_has_member (sc, strategy);
      else if (symbol != NULL)
        match = g_strv_contains (kantor_session_get_symbols (session), symbol);
      else
        match = TRUE;
      if (match)
        return session;
    }
  return NULL;
}

guint
kantor_session_manager_get_n_interrupted (KantorSessionManager *self)
{
  return self->n_interrupted;
}

void
kantor_session_manager_set_collection_manager (KantorSessionManager    *self,
                                               KantorCollectionManager *collections)
{
  g_return_if_fail (KANTOR_IS_SESSION_MANAGER (self));
  g_set_object (&self->collections, collections);
}

KantorSessionStore *
kantor_session_manager_get_session_store (KantorSessionManager *self)
{
  return self->session_store;
}

void
kantor_session_manager_shutdown (KantorSessionManager *self)
{
  g_autoptr(GPtrArray) active = kantor_session_manager_list_active (self);

  g_clear_handle_id (&self->flush_id, g_source_remove);
  for (guint i = 0; i < active->len; i++)
    kantor_session_interrupt (active->pdata[i]);
  /* Ended backtests may still be writing their results out. */
  for (guint i = 0; i < self->sessions->len; i++)
    kantor_session_wait (self->sessions->pdata[i]);
}

static gboolean
flush_rows (gpointer user_data)
{
  KantorSessionManager *self = user_data;

  for (guint i = 0; i < self->sessions->len; i++)
    {
      KantorSession *session = self->sessions->pdata[i];

      if (kantor_session_state_is_active (kantor_session_get_state (session)) &&
          kantor_session_has_pending_rows (session))
        save (self, session);
    }
  return G_SOURCE_CONTINUE;
}

/* The activations of the running sessions, for the strategy manager's
 * status lists (PROTOCOL.md §6). */
static GPtrArray *
provide_activations (gpointer user_data)
{
  KantorSessionManager *self = user_data;
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_activation_info_free);

  for (guint i = 0; i < self->sessions->len; i++)
    {
      KantorSession *session = g_ptr_array_index (self->sessions, i);
      g_autoptr(GPtrArray) own = NULL;

      if (!kantor_session_state_is_active (kantor_session_get_state (session)))
        continue;
      own = kantor_session_dup_activations (session);
      g_ptr_array_extend_and_steal (list, g_steal_pointer (&own));
    }
  return list;
}

KantorSessionManager *
kantor_session_manager_new (KantorStore           *store,
                            KantorStrategyManager *strategies,
                            KantorMarketFeed      *feed,
                            const char            *data_dir,
                            GError               **error)
{
  g_autoptr(KantorSessionManager) self = g_object_new (KANTOR_TYPE_SESSION_MANAGER, NULL);

  self->strategies = strategies != NULL ? g_object_ref (strategies) : NULL;
  if (strategies != NULL)
    kantor_strategy_manager_add_activation_provider (strategies, provide_activations, self);
  self->feed = feed != NULL ? g_object_ref (feed) : NULL;
  self->data_dir = g_strdup (data_dir);

  if (store != NULL)
    {
      g_autoptr(GPtrArray) restored = NULL;

      self->session_store = kantor_session_store_new (store);
      restored = kantor_session_store_load (self->session_store, &self->n_interrupted, error);
      if (restored == NULL)
        return NULL;
      for (guint i = 0; i < restored->len; i++)
        add_session (self, g_object_ref (restored->pdata[i]));
    }

  self->flush_id = g_timeout_add_seconds (FLUSH_INTERVAL_S, flush_rows, self);
  return g_steal_pointer (&self);
}

static void
kantor_session_manager_dispose (GObject *object)
{
  KantorSessionManager *self = KANTOR_SESSION_MANAGER (object);

  g_clear_handle_id (&self->flush_id, g_source_remove);
  if (self->sessions != NULL)
    kantor_session_manager_shutdown (self);
  g_clear_pointer (&self->by_key, g_hash_table_unref);
  g_clear_pointer (&self->symbol_owner, g_hash_table_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->sessions, g_ptr_array_unref);
  g_clear_object (&self->session_store);
  if (self->strategies != NULL)
    kantor_strategy_manager_remove_activation_provider (self->strategies, self);
  g_clear_object (&self->strategies);
  g_clear_object (&self->feed);
  g_clear_object (&self->collections);

  G_OBJECT_CLASS (kantor_session_manager_parent_class)->dispose (object);
}

static void
kantor_session_manager_finalize (GObject *object)
{
  KantorSessionManager *self = KANTOR_SESSION_MANAGER (object);

  g_free (self->data_dir);
  G_OBJECT_CLASS (kantor_session_manager_parent_class)->finalize (object);
}

static void
kantor_session_manager_class_init (KantorSessionManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_session_manager_dispose;
  object_class->finalize = kantor_session_manager_finalize;

  signals[SIGNAL_SESSION_STATE] =
    g_signal_new ("session-state", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, KANTOR_TYPE_SESSION);
  signals[SIGNAL_SESSION_ALERT] =
    g_signal_new ("session-alert", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, KANTOR_TYPE_SESSION, JSON_TYPE_OBJECT);
  signals[SIGNAL_SESSION_SIGNAL] =
    g_signal_new ("session-signal", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, KANTOR_TYPE_SESSION, G_TYPE_POINTER);
  signals[SIGNAL_SESSION_ORDER] =
    g_signal_new ("session-order", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, KANTOR_TYPE_SESSION, JSON_TYPE_OBJECT);
  signals[SIGNAL_SESSION_INDICATORS] =
    g_signal_new ("session-indicators", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 5, KANTOR_TYPE_SESSION, G_TYPE_STRING, G_TYPE_INT64,
                  JSON_TYPE_OBJECT, JSON_TYPE_OBJECT);
}

static void
kantor_session_manager_init (KantorSessionManager *self)
{
  self->sessions = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  self->symbol_owner = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
