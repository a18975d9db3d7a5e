/* kantor-collection-manager.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-collection-manager.h"
#include "kantor-json.h"
#include "kantor-market-source.h"

G_DEFINE_QUARK (kantor-collection-manager-error-quark, kantor_collection_manager_error)

typedef struct
{
  KantorCollectionManager *manager;   /* not a ref: the manager owns the entry */
  KantorCollectionRun     *run;
  GArray                  *subscriptions;  /* guint feed subscription ids */
  guint                    end_id;         /* the duration's timer */
  gulong                   state_handler;
} Entry;

struct _KantorCollectionManager
{
  GObject           parent_instance;

  KantorStore      *store;
  KantorMarketFeed *feed;
  char             *data_dir;
  GHashTable       *by_id;     /* id -> Entry (owned) */
  GPtrArray        *order;     /* Entry, oldest first */
  guint             n_interrupted;
};

G_DEFINE_FINAL_TYPE (KantorCollectionManager, kantor_collection_manager, G_TYPE_OBJECT)

enum
{
  SIGNAL_COLLECTION_STATE,
  SIGNAL_COLLECTION_ALERT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Durations and symbols ---------------------------------------------------- */

gboolean
kantor_collection_parse_duration (const char  *duration,
                                  gint64      *duration_ms,
                                  GError     **error)
{
  gsize len = duration != NULL ? strlen (duration) : 0;
  guint64 value = 0, unit;

  if (g_strcmp0 (duration, "continuous") == 0)
    {
      *duration_ms = 0;
      return TRUE;
    }
  if (len < 2)
    goto bad;
  for (gsize i = 0; i + 1 < len; i++)
    {
      if (!g_ascii_isdigit (duration[i]))
        goto bad;
      /* A hundred years is plenty; far below an overflow. */
      value = value * 10 + (guint64) (duration[i] - '0');
      if (value > 100 * 366 * 86400ULL)
        goto bad;
    }
  switch (duration[len - 1])
    {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: goto bad;
    }
  if (value == 0 || value * unit > 100 * 366 * 86400ULL)
    goto bad;
  *duration_ms = (gint64) (value * unit * 1000);
  return TRUE;

bad:
  g_set_error (error, KANTOR_COLLECTION_MANAGER_ERROR,
               KANTOR_COLLECTION_MANAGER_ERROR_INVALID_DURATION,
               "duration must be a positive number followed by s, m, h or d (at most 100 years), "
               "or \"continuous\"");
  return FALSE;
}

GStrv
kantor_collection_normalize_symbols (const char * const  *symbols,
                                     GError             **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  guint n = symbols != NULL ? g_strv_length ((char **) symbols) : 0;

  if (n == 0 || n > KANTOR_COLLECTION_MAX_SYMBOLS)
    {
      g_set_error (error, KANTOR_COLLECTION_MANAGER_ERROR,
                   KANTOR_COLLECTION_MANAGER_ERROR_INVALID_SYMBOLS,
                   "symbols must hold 1 to %d symbols, not %u", KANTOR_COLLECTION_MAX_SYMBOLS, n);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *symbol = g_ascii_strup (symbols[i], -1);

      if (!kantor_symbol_is_valid (symbol))
        {
          g_set_error (error, KANTOR_COLLECTION_MANAGER_ERROR,
                       KANTOR_COLLECTION_MANAGER_ERROR_INVALID_SYMBOLS,
                       "symbol \"%.40s\" must match ^[A-Z0-9_]{1,32}$ once upper-cased",
                       symbols[i]);
          return NULL;
        }
      if (!g_ptr_array_find_with_equal_func (out, symbol, g_str_equal, NULL))
        g_ptr_array_add (out, g_steal_pointer (&symbol));
    }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

/* Persistence --------------------------------------------------------------- */

typedef struct
{
  char   *id;
  char   *state;
  char   *symbols;
  char   *duration;
  char   *source;
  char   *path;
  gint64  started_at;
  gint64  ended_at;
  char   *records;
  gint64  bytes;
  char   *error;
} Record;

static void
record_free (Record *r)
{
  g_free (r->id);
  g_free (r->state);
  g_free (r->symbols);
  g_free (r->duration);
  g_free (r->source);
  g_free (r->path);
  g_free (r->records);
  g_free (r->error);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Record, record_free)

static Record *
record_from_run (KantorCollectionRun *run)
{
  g_autoptr(JsonObject) status = kantor_collection_run_to_json (run);
  g_autoptr(JsonNode) symbols = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(JsonNode) records = json_node_new (JSON_NODE_OBJECT);
  Record *r = g_new0 (Record, 1);

  json_node_set_array (symbols, json_object_get_array_member (status, "symbols"));
  json_node_set_object (records, json_object_get_object_member (status, "records"));
  r->id = g_strdup (kantor_collection_run_get_id (run));
  r->state = g_strdup (kantor_collection_state_to_string (kantor_collection_run_get_state (run)));
  r->symbols = kantor_json_to_string (symbols);
  r->duration = g_strdup (kantor_collection_run_get_duration (run));
  r->source = g_strdup (kantor_collection_run_get_source (run));
  r->path = g_strdup (kantor_collection_run_get_path (run));
  r->started_at = kantor_collection_run_get_started_at (run);
  r->ended_at = kantor_collection_run_get_ended_at (run);
  r->records = kantor_json_to_string (records);
  r->bytes = (gint64) kantor_collection_run_get_bytes (run);
  r->error = g_strdup (kantor_collection_run_get_error_message (run));
  return r;
}

static gpointer
save_func (KantorStore  *store,
           gpointer      data,
           GError      **error)
{
  Record *r = data;
  sqlite3_stmt *stmt;

  stmt = kantor_store_prepare (store,
                               "INSERT INTO collections (id, state, symbols, duration, source, "
                               "path, started_at, ended_at, records, bytes, error) VALUES "
                               "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                               "ON CONFLICT (id) DO UPDATE SET state = ?2, ended_at = ?8, "
                               "records = ?9, bytes = ?10, error = ?11", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, r->id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, r->state, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, r->symbols, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, r->duration, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, r->source, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, r->path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, r->started_at);
  if (r->ended_at > 0)
    sqlite3_bind_int64 (stmt, 8, r->ended_at);
  sqlite3_bind_text (stmt, 9, r->records, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 10, r->bytes);
  if (r->error != NULL)
    sqlite3_bind_text (stmt, 11, r->error, -1, SQLITE_TRANSIENT);
  kantor_store_step (store, stmt, error);
  return NULL;
}

static void
save_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  kantor_store_run_finish (KANTOR_STORE (source), result, &error);
  if (error != NULL && !g_error_matches (error, KANTOR_STORE_ERROR, KANTOR_STORE_ERROR_CLOSED))
    g_warning ("Cannot save a collection run: %s", error->message);
}

/* Jobs run in queue order, so the store always ends with the last state. */
static void
save_run (KantorCollectionManager *self,
          KantorCollectionRun     *run)
{
  kantor_store_run_async (self->store, save_func, record_from_run (run),
                          (GDestroyNotify) record_free, NULL, save_done, NULL);
}

static GStrv
parse_symbols (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *root;
  JsonArray *array;

  if (!json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return NULL;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *symbol = json_array_get_string_element (array, i);

      if (symbol == NULL || !kantor_symbol_is_valid (symbol))
        return NULL;
      g_strv_builder_add (builder, symbol);
    }
  if (json_array_get_length (array) == 0)
    return NULL;
  return g_strv_builder_end (builder);
}

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : NULL;
}

typedef struct
{
  GPtrArray *runs;
  guint      n_interrupted;
} LoadResult;

/* On the store thread, at start-up: every run, and the recovery of those
 * the server left recording (file I/O here is fine: nothing else runs
 * yet). */
static gpointer
load_func (KantorStore  *store,
           gpointer      data,
           GError      **error)
{
  LoadResult *out = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = kantor_store_prepare (store,
                               "SELECT id, state, symbols, duration, source, path, started_at, "
                               "ended_at, records, bytes, error FROM collections "
                               "ORDER BY started_at, rowid", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = kantor_store_step (store, stmt, error)) == SQLITE_ROW)
    {
      const char *id = (const char *) sqlite3_column_text (stmt, 0);
      const char *state_name = (const char *) sqlite3_column_text (stmt, 1);
      g_auto(GStrv) symbols = parse_symbols ((const char *) sqlite3_column_text (stmt, 2));
      const char *duration = (const char *) sqlite3_column_text (stmt, 3);
      g_autoptr(JsonObject) records = parse_object ((const char *) sqlite3_column_text (stmt, 8));
      KantorCollectionState state;
      gint64 duration_ms = 0;

      if (symbols == NULL || !kantor_collection_state_from_string (state_name, &state) ||
          !kantor_collection_parse_duration (duration, &duration_ms, NULL))
        {
          g_warning ("Collection %s: unreadable record, skipped", id);
          continue;
        }
      g_ptr_array_add (out->runs, kantor_collection_run_new_restored (
                                    id, (const char * const *) symbols, duration, duration_ms,
                                    (const char *) sqlite3_column_text (stmt, 4),
                                    (const char *) sqlite3_column_text (stmt, 5),
                                    sqlite3_column_int64 (stmt, 6), state,
                                    sqlite3_column_int64 (stmt, 7), records,
                                    (guint64) sqlite3_column_int64 (stmt, 9),
                                    (const char *) sqlite3_column_text (stmt, 10)));
    }
  if (rc == 0)
    return NULL;

  for (guint i = 0; i < out->runs->len; i++)
    {
      KantorCollectionRun *run = out->runs->pdata[i];
      g_autoptr(GError) local_error = NULL;
      g_autoptr(Record) record = NULL;

      if (!kantor_collection_state_is_active (kantor_collection_run_get_state (run)))
        continue;
      if (!kantor_collection_run_recover (run, &local_error))
        g_warning ("Collection %s: %s", kantor_collection_run_get_id (run),
                   local_error->message);
      record = record_from_run (run);
      g_free (record->state);
      record->state = g_strdup ("interrupted");
      if (save_func (store, record, error) == NULL && error != NULL && *error != NULL)
        return NULL;
      out->n_interrupted++;
    }
  return out;
}

/* Runs ----------------------------------------------------------------------- */

static void
entry_stop_feed (Entry *entry)
{
  KantorCollectionManager *self = entry->manager;

  for (guint i = 0; i < entry->subscriptions->len; i++)
    kantor_market_feed_unsubscribe (self->feed, g_array_index (entry->subscriptions, guint, i));
  g_array_set_size (entry->subscriptions, 0);
  g_clear_handle_id (&entry->end_id, g_source_remove);
}

static void
entry_free (Entry *entry)
{
  entry_stop_feed (entry);
  g_clear_signal_handler (&entry->state_handler, entry->run);
  g_array_unref (entry->subscriptions);
  g_object_unref (entry->run);
  g_free (entry);
}

static void
on_run_state_changed (KantorCollectionRun *run,
                      gpointer             user_data)
{
  Entry *entry = user_data;
  KantorCollectionManager *self = entry->manager;
  KantorCollectionState state = kantor_collection_run_get_state (run);

  if (!kantor_collection_state_is_active (state))
    entry_stop_feed (entry);
  save_run (self, run);
  g_signal_emit (self, signals[SIGNAL_COLLECTION_STATE], 0, run);

  if (state == KANTOR_COLLECTION_STATE_FAILED)
    {
      g_autoptr(JsonObject) alert = json_object_new ();
      g_autofree char *message = NULL;

      g_message ("Collection %s failed: %s", kantor_collection_run_get_id (run),
                 kantor_collection_run_get_error_message (run));
      message = g_strdup_printf ("Collection %s failed: %s", kantor_collection_run_get_id (run),
                                 kantor_collection_run_get_error_message (run));
      json_object_set_string_member (alert, "alert", "collection_failed");
      json_object_set_string_member (alert, "message", message);
      json_object_set_string_member (alert, "collection_id", kantor_collection_run_get_id (run));
      json_object_set_string_member (alert, "error", kantor_collection_run_get_error_message (run));
      json_object_set_string_member (alert, "path", kantor_collection_run_get_path (run));
      g_signal_emit (self, signals[SIGNAL_COLLECTION_ALERT], 0, run, alert);
    }
}

static Entry *
add_entry (KantorCollectionManager *self,
           KantorCollectionRun     *run)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->manager = self;
  entry->run = g_object_ref (run);
  entry->subscriptions = g_array_new (FALSE, FALSE, sizeof (guint));
  entry->state_handler = g_signal_connect (run, "state-changed",
                                           G_CALLBACK (on_run_state_changed), entry);
  g_hash_table_insert (self->by_id, (gpointer) kantor_collection_run_get_id (run), entry);
  g_ptr_array_add (self->order, entry);
  return entry;
}

static void
on_feed_event (KantorMarketFeed        *feed,
               const KantorMarketEvent *event,
               gpointer                 user_data)
{
  kantor_collection_run_push (user_data, event);
}

static gboolean
on_duration_end (gpointer user_data)
{
  Entry *entry = user_data;

  entry->end_id = 0;
  kantor_collection_run_finish_async (entry->run, KANTOR_COLLECTION_STATE_COMPLETED, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
open_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  KantorCollectionRun *run = KANTOR_COLLECTION_RUN (source);
  g_autoptr(KantorCollectionManager) self = user_data;
  g_autoptr(GError) error = NULL;
  Entry *entry;
  gint64 ends_at, remaining;

  /* A failure has already moved the run to FAILED (state-changed). */
  if (!kantor_collection_run_open_finish (run, result, &error))
    return;
  entry = g_hash_table_lookup (self->by_id, kantor_collection_run_get_id (run));
  if (entry == NULL || kantor_collection_run_get_state (run) != KANTOR_COLLECTION_STATE_RECORDING)
    return;

  /* Manual runs (start_recording) are fed by their caller. */
  if (g_strcmp0 (kantor_collection_run_get_source (run),
                 kantor_market_feed_get_name (self->feed)) == 0)
    {
      const char * const *symbols = kantor_collection_run_get_symbols (run);

      for (guint i = 0; symbols[i] != NULL; i++)
        {
          guint id = kantor_market_feed_subscribe (self->feed, symbols[i], on_feed_event,
                                                   g_object_ref (run), g_object_unref);

          g_array_append_val (entry->subscriptions, id);
        }
    }

  ends_at = kantor_collection_run_get_ends_at (run);
  if (ends_at > 0)
    {
      remaining = MAX (ends_at - g_get_real_time () / 1000, 0);
      entry->end_id = g_timeout_add ((guint) MIN (remaining, G_MAXUINT), on_duration_end, entry);
    }
}

static KantorCollectionRun *
start_run (KantorCollectionManager *self,
           const char * const      *symbols,
           const char              *duration,
           const char              *source,
           GError                 **error)
{
  g_auto(GStrv) normalized = NULL;
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(KantorCollectionRun) run = NULL;
  gint64 duration_ms;

  normalized = kantor_collection_normalize_symbols (symbols, error);
  if (normalized == NULL)
    return NULL;
  if (duration == NULL)
    duration = KANTOR_COLLECTION_DEFAULT_DURATION;
  if (!kantor_collection_parse_duration (duration, &duration_ms, error))
    return NULL;

  id = g_uuid_string_random ();
  name = g_strconcat ("session_", id, NULL);
  path = g_build_filename (self->data_dir, name, NULL);
  run = kantor_collection_run_new (id, (const char * const *) normalized, duration, duration_ms,
                                   source, path, g_get_real_time () / 1000);
  add_entry (self, run);
  save_run (self, run);
  g_signal_emit (self, signals[SIGNAL_COLLECTION_STATE], 0, run);
  kantor_collection_run_open_async (run, open_done, g_object_ref (self));
  return g_steal_pointer (&run);
}

KantorCollectionRun *
kantor_collection_manager_start (KantorCollectionManager *self,
                                 const char * const      *symbols,
                                 const char              *duration,
                                 GError                 **error)
{
  g_return_val_if_fail (KANTOR_IS_COLLECTION_MANAGER (self), NULL);
  return start_run (self, symbols, duration, kantor_market_feed_get_name (self->feed), error);
}

KantorCollectionRun *
kantor_collection_manager_start_recording (KantorCollectionManager *self,
                                           const char * const      *symbols,
                                           const char              *source,
                                           GError                 **error)
{
  g_return_val_if_fail (KANTOR_IS_COLLECTION_MANAGER (self), NULL);
  g_return_val_if_fail (source != NULL, NULL);
  /* The feed's own name would make the run subscribe to the feed. */
  g_return_val_if_fail (g_strcmp0 (source, kantor_market_feed_get_name (self->feed)) != 0, NULL);
  return start_run (self, symbols, "continuous", source, error);
}

static void
stop_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  /* A failed last write leaves the run FAILED, which the caller sees. */
  kantor_collection_run_finish_finish (KANTOR_COLLECTION_RUN (source), result, NULL);
  g_task_return_pointer (task, g_object_ref (source), g_object_unref);
}

void
kantor_collection_manager_stop_async (KantorCollectionManager *self,
                                      const char              *id,
                                      GAsyncReadyCallback      callback,
                                      gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  Entry *entry;

  g_return_if_fail (KANTOR_IS_COLLECTION_MANAGER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, kantor_collection_manager_stop_async);
  entry = id != NULL ? g_hash_table_lookup (self->by_id, id) : NULL;
  if (entry == NULL)
    {
      g_task_return_new_error (task, KANTOR_COLLECTION_MANAGER_ERROR,
                               KANTOR_COLLECTION_MANAGER_ERROR_NOT_FOUND,
                               "No collection has the id \"%.64s\"", id != NULL ? id : "");
      return;
    }
  entry_stop_feed (entry);
  kantor_collection_run_finish_async (entry->run, KANTOR_COLLECTION_STATE_STOPPED, stop_done,
                                      g_steal_pointer (&task));
}

KantorCollectionRun *
kantor_collection_manager_stop_finish (KantorCollectionManager *self,
                                       GAsyncResult            *result,
                                       GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

KantorCollectionRun *
kantor_collection_manager_lookup (KantorCollectionManager *self,
                                  const char              *id)
{
  Entry *entry;

  g_return_val_if_fail (KANTOR_IS_COLLECTION_MANAGER (self), NULL);
  entry = id != NULL ? g_hash_table_lookup (self->by_id, id) : NULL;
  return entry != NULL ? entry->run : NULL;
}

GPtrArray *
kantor_collection_manager_list (KantorCollectionManager *self)
{
  GPtrArray *runs;

  g_return_val_if_fail (KANTOR_IS_COLLECTION_MANAGER (self), NULL);
  runs = g_ptr_array_new_full (self->order->len, g_object_unref);
  for (guint i = 0; i < self->order->len; i++)
    g_ptr_array_add (runs, g_object_ref (((Entry *) self->order->pdata[i])->run));
  return runs;
}

guint
kantor_collection_manager_get_n_interrupted (KantorCollectionManager *self)
{
  g_return_val_if_fail (KANTOR_IS_COLLECTION_MANAGER (self), 0);
  return self->n_interrupted;
}

const char *
kantor_collection_manager_get_data_dir (KantorCollectionManager *self)
{
  g_return_val_if_fail (KANTOR_IS_COLLECTION_MANAGER (self), NULL);
  return self->data_dir;
}

static gpointer
save_sync_func (KantorStore  *store,
                gpointer      data,
                GError      **error)
{
  save_func (store, data, error);
  return data;
}

void
kantor_collection_manager_shutdown (KantorCollectionManager *self)
{
  g_return_if_fail (KANTOR_IS_COLLECTION_MANAGER (self));

  for (guint i = 0; i < self->order->len; i++)
    {
      Entry *entry = self->order->pdata[i];
      g_autoptr(Record) record = NULL;
      g_autoptr(GError) error = NULL;

      if (!kantor_collection_state_is_active (kantor_collection_run_get_state (entry->run)))
        continue;
      entry_stop_feed (entry);
      kantor_collection_run_finish_sync (entry->run, KANTOR_COLLECTION_STATE_INTERRUPTED);
      if (kantor_store_is_closed (self->store))
        continue;
      record = record_from_run (entry->run);
      kantor_store_run_sync (self->store, save_sync_func, record, &error);
      if (error != NULL)
        g_warning ("Cannot save collection %s: %s", record->id, error->message);
    }
}

/* The object -------------------------------------------------------------------- */

static void
kantor_collection_manager_dispose (GObject *object)
{
  KantorCollectionManager *self = KANTOR_COLLECTION_MANAGER (object);

  /* Entries unsubscribe from the feed, which must still be there. */
  if (self->order != NULL)
    g_ptr_array_set_size (self->order, 0);
  if (self->by_id != NULL)
    g_hash_table_remove_all (self->by_id);
  g_clear_object (&self->feed);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (kantor_collection_manager_parent_class)->dispose (object);
}

static void
kantor_collection_manager_finalize (GObject *object)
{
  KantorCollectionManager *self = KANTOR_COLLECTION_MANAGER (object);

  g_ptr_array_unref (self->order);
  g_hash_table_unref (self->by_id);
  g_free (self->data_dir);

  G_OBJECT_CLASS (kantor_collection_manager_parent_class)->finalize (object);
}

static void
kantor_collection_manager_class_init (KantorCollectionManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_collection_manager_dispose;
  object_class->finalize = kantor_collection_manager_finalize;

  /* Every change of a run's state, its creation included. */
  signals[SIGNAL_COLLECTION_STATE] =
    g_signal_new ("collection-state", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, KANTOR_TYPE_COLLECTION_RUN);
  /* An alert for the clients ({alert:"collection_failed", message, ...}). */
  signals[SIGNAL_COLLECTION_ALERT] =
    g_signal_new ("collection-alert", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, KANTOR_TYPE_COLLECTION_RUN,
                  JSON_TYPE_OBJECT);
}

static void
kantor_collection_manager_init (KantorCollectionManager *self)
{
  /* Entries are freed from the order array; the table only borrows them. */
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->order = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
}

KantorCollectionManager *
kantor_collection_manager_new (KantorStore      *store,
                               KantorMarketFeed *feed,
                               const char       *data_dir)
{
  g_autoptr(KantorCollectionManager) self = NULL;
  g_autoptr(GError) error = NULL;
  LoadResult load = { NULL, 0 };

  g_return_val_if_fail (KANTOR_IS_STORE (store), NULL);
  g_return_val_if_fail (KANTOR_IS_MARKET_FEED (feed), NULL);
  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (KANTOR_TYPE_COLLECTION_MANAGER, NULL);
  self->store = g_object_ref (store);
  self->feed = g_object_ref (feed);
  self->data_dir = g_strdup (data_dir);

  load.runs = g_ptr_array_new_with_free_func (g_object_unref);
  if (kantor_store_run_sync (store, load_func, &load, &error) == NULL && error != NULL)
    g_warning ("Cannot load the collection runs: %s", error->message);
  for (guint i = 0; i < load.runs->len; i++)
    add_entry (self, load.runs->pdata[i]);
  self->n_interrupted = load.n_interrupted;
  g_ptr_array_unref (load.runs);

  return g_steal_pointer (&self);
}
