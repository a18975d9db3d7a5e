/* kantor-strategy-manager.c: strategy documents on disk and their activations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kantor-strategy-manager.h"

#include "kantor-fileutil.h"
#include "kantor-market-source.h"
#include "kantor-service-resources.h"

#define EXAMPLES_PATH  "/org/kantor/service/strategies"
/* Versions live beside the documents, because a strategy document accepts
 * no member it does not know (STRATEGY.md §1). Hidden, and not *.json, so
 * it is never taken for a strategy. */
#define VERSIONS_FILE  ".versions"

G_DEFINE_QUARK (kantor-strategy-manager-error-quark, kantor_strategy_manager_error)

/* One document of the folder, valid or not. */
typedef struct
{
  char           *name;
  KantorStrategy *strategy;     /* NULL when the document is invalid */
  JsonNode       *diagnostics;  /* {valid, errors, warnings} */
  guint           version;
} Entry;

typedef struct _SymbolSlot SymbolSlot;

typedef struct
{
  KantorStrategyManager *manager;   /* not a reference: the manager owns us */
  SymbolSlot            *slot;
  char                  *key;
  char                  *name;
  char                  *owner;
  KantorActivation      *activation;
  guint                  version;
  KantorStrategy        *pending;   /* a newer version waiting for can_swap */
  guint                  pending_version;
  KantorExecutionHooks   user_hooks;
  gpointer               user_data;
  gboolean               dead;      /* deactivated while its slot dispatches */
  gint64                 activated_ms;
  gint64                 last_event_ms;
  guint64                n_events;
  guint64                n_signals;
} Act;

/* Everything about one symbol: one indicator set shared by every
 * activation of the symbol, one feed subscription. */
struct _SymbolSlot
{
  KantorStrategyManager *manager;
  const char            *symbol;    /* interned */
  KantorIndicatorSet    *set;
  KantorQuote            quote;
  GPtrArray             *acts;      /* Act *, owned */
  guint                  subscription;
  gint64                 indicators_ms;  /* event time of the last report */
  guint                  dispatching;
  guint                  n_dead;    /* deactivated, waiting for slot_collect() */
};

struct _KantorStrategyManager
{
  GObject           parent_instance;

  char             *dir;
  char             *versions_path;
  KantorMarketFeed *feed;
  GHashTable       *entries;        /* name -> Entry * */
  GHashTable       *acts;           /* "name\x1fsymbol" -> Act * (not owned) */
  GHashTable       *slots;          /* interned symbol -> SymbolSlot * */
  GQueue            upserts;        /* GTask *, waiting for their write */
  GArray           *providers;      /* Provider */
  gboolean          writing;        /* an upsert's write runs on a worker */
};

typedef struct
{
  KantorActivationProvider func;
  gpointer                 user_data;
} Provider;

G_DEFINE_FINAL_TYPE (KantorStrategyManager, kantor_strategy_manager, G_TYPE_OBJECT)

enum
{
  SIGNAL_STRATEGY_UPSERTED,
  SIGNAL_ACTIVATION_SIGNAL,
  SIGNAL_ACTIVATION_SWAPPED,
  SIGNAL_ACTIVATION_INDICATORS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->name);
  g_clear_pointer (&entry->strategy, kantor_strategy_unref);
  g_clear_pointer (&entry->diagnostics, json_node_unref);
  g_free (entry);
}

static void
act_free (gpointer data)
{
  Act *act = data;

  g_clear_pointer (&act->activation, kantor_activation_free);
  g_clear_pointer (&act->pending, kantor_strategy_unref);
  g_free (act->key);
  g_free (act->name);
  g_free (act->owner);
  g_free (act);
}

static void
slot_free (gpointer data)
{
  SymbolSlot *slot = data;

  if (slot->subscription != 0 && slot->manager->feed != NULL)
    kantor_market_feed_unsubscribe (slot->manager->feed, slot->subscription);
  /* Activations first: they point into the set. */
  g_clear_pointer (&slot->acts, g_ptr_array_unref);
  g_clear_pointer (&slot->set, kantor_indicator_set_free);
  g_free (slot);
}

void
kantor_activation_info_free (KantorActivationInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->strategy);
  g_free (info->symbol);
  g_free (info->owner);
  g_free (info);
}

KantorActivationInfo *
kantor_activation_info_copy (const KantorActivationInfo *info)
{
  KantorActivationInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);
  copy = g_memdup2 (info, sizeof *info);
  copy->strategy = g_strdup (info->strategy);
  copy->symbol = g_strdup (info->symbol);
  copy->owner = g_strdup (info->owner);
  return copy;
}

JsonNode *
kantor_activation_info_to_json (const KantorActivationInfo *info)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "strategy_name");
  json_builder_add_string_value (b, info->strategy);
  json_builder_set_member_name (b, "symbol");
  json_builder_add_string_value (b, info->symbol);
  json_builder_set_member_name (b, "owner");
  if (info->owner != NULL)
    json_builder_add_string_value (b, info->owner);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, info->version);
  json_builder_set_member_name (b, "swap_pending");
  json_builder_add_boolean_value (b, info->swap_pending);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, kantor_activation_state_to_string (info->state));
  json_builder_set_member_name (b, "since");
  json_builder_add_int_value (b, info->state_since_ms);
  json_builder_set_member_name (b, "activated_at");
  json_builder_add_int_value (b, info->activated_ms);
  json_builder_set_member_name (b, "last_event_time");
  if (info->last_event_ms > 0)
    json_builder_add_int_value (b, info->last_event_ms);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "events");
  json_builder_add_int_value (b, (gint64) info->n_events);
  json_builder_set_member_name (b, "signals");
  json_builder_add_int_value (b, (gint64) info->n_signals);
  json_builder_set_member_name (b, "position");
  if (info->has_position)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "side");
      json_builder_add_string_value (b, kantor_side_to_string (info->position.side));
      json_builder_set_member_name (b, "entry_price");
      json_builder_add_double_value (b, info->position.entry_price);
      json_builder_set_member_name (b, "qty");
      json_builder_add_double_value (b, info->position.qty);
      json_builder_set_member_name (b, "entry_time");
      json_builder_add_int_value (b, info->position.entry_time_ms);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
kantor_strategy_name_is_valid (const char *name)
{
  gsize len;

  if (name == NULL)
    return FALSE;
  len = strlen (name);
  if (len < 1 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '-')
      return FALSE;
  return TRUE;
}

static char *
make_key (const char *name,
          const char *symbol)
{
  return g_strconcat (name, "\x1f", symbol, NULL);
}

static char *
sha256_hex (const void *data,
            gsize       len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

/* ---- versions ---------------------------------------------------------- */

static GKeyFile *
load_versions (KantorStrategyManager *self)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  if (!g_key_file_load_from_file (kf, self->versions_path, G_KEY_FILE_NONE, &error)
      && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_warning ("Cannot read %s, versions start over: %s", self->versions_path, error->message);
  return g_steal_pointer (&kf);
}

static gboolean
save_versions (KantorStrategyManager  *self,
               GKeyFile               *kf,
               GError                **error)
{
  gsize len = 0;
  g_autofree char *data = g_key_file_to_data (kf, &len, NULL);

  return kantor_fileutil_write_private (self->versions_path, data, len, error);
}

/* ---- loading ----------------------------------------------------------- */

static void
emit_swapped (KantorStrategyManager *self,
              Act                   *act)
{
  g_signal_emit (self, signals[SIGNAL_ACTIVATION_SWAPPED], 0, act->name, act->slot->symbol,
                 act->version);
}

static Entry *
entry_from_data (const char *name,
                 const char *data,
                 gsize       len)
{
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  Entry *entry = g_new0 (Entry, 1);

  entry->name = g_strdup (name);
  entry->strategy = kantor_strategy_new_from_data (data, (gssize) len, diag);
  if (entry->strategy != NULL
      && g_strcmp0 (kantor_strategy_get_name (entry->strategy), name) != 0)
    {
      /* Upserts write <strategy_name>.json: a file under another name
       * would make two documents claim one strategy. */
      kantor_diagnostics_add_error (diag, "/strategy_name",
                                    "The strategy name \"%s\" does not match the file name "
                                    "\"%s.json\"", kantor_strategy_get_name (entry->strategy),
                                    name);
      g_clear_pointer (&entry->strategy, kantor_strategy_unref);
    }
  entry->diagnostics = kantor_diagnostics_to_json (diag);
  if (entry->strategy == NULL)
    {
      const KantorDiagnostic *first = kantor_diagnostics_get_error (diag, 0);

      g_warning ("Strategy %s.json is invalid and was skipped: %s%s%s", name,
                 first != NULL ? first->path : "", first != NULL ? ": " : "",
                 first != NULL ? first->message : "unknown error");
    }
  return entry;
}

static gboolean
copy_examples (KantorStrategyManager  *self,
               GError                **error)
{
  GResource *resource = kantor_service_get_resource ();
  g_auto(GStrv) children = g_resource_enumerate_children (resource, EXAMPLES_PATH,
                                                           G_RESOURCE_LOOKUP_FLAGS_NONE, error);

  if (children == NULL)
    return FALSE;
  for (guint i = 0; children[i] != NULL; i++)
    {
      g_autofree char *rpath = g_build_path ("/", EXAMPLES_PATH, children[i], NULL);
      g_autofree char *dest = g_build_filename (self->dir, children[i], NULL);
      g_autoptr(GBytes) bytes = g_resource_lookup_data (resource, rpath,
                                                         G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      gsize len;
      const char *data;

      if (bytes == NULL)
        return FALSE;
      data = g_bytes_get_data (bytes, &len);
      if (!kantor_fileutil_write_private (dest, data, len, error))
        return FALSE;
      g_debug ("Example strategy %s copied to %s", children[i], self->dir);
    }
  return TRUE;
}

static int
compare_file_names (gconstpointer a,
                    gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static gboolean
load_folder (KantorStrategyManager  *self,
             GError                **error)
{
  g_autoptr(GDir) dir = g_dir_open (self->dir, 0, error);
  g_autoptr(GKeyFile) versions = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  gboolean versions_changed = FALSE;
  const char *file;

  if (dir == NULL)
    return FALSE;
  /* In name order, so that logs and versions do not depend on the
   * folder's order. */
  while ((file = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (files, g_strdup (file));
  g_ptr_array_sort (files, compare_file_names);
  versions = load_versions (self);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *path = NULL;
      g_autofree char *name = NULL;
      g_autofree char *data = NULL;
      g_autofree char *sha = NULL;
      g_autofree char *known_sha = NULL;
      g_autoptr(GError) local_error = NULL;
      gsize len = 0;
      Entry *entry;

      file = g_ptr_array_index (files, i);
      if (!g_str_has_suffix (file, ".json") || file[0] == '.')
        continue;
      name = g_strndup (file, strlen (file) - strlen (".json"));
      if (!kantor_strategy_name_is_valid (name))
        {
          g_warning ("Skipping %s in %s: not a valid strategy name", file, self->dir);
          continue;
        }
      path = g_build_filename (self->dir, file, NULL);
      if (!g_file_get_contents (path, &data, &len, &local_error))
        {
          g_warning ("Skipping %s: %s", path, local_error->message);
          continue;
        }
      entry = entry_from_data (name, data, len);

      /* The version of a document changed behind our back (edited by hand,
       * or a crash between the document and this file) goes up by one. */
      sha = sha256_hex (data, len);
      known_sha = g_key_file_get_string (versions, name, "sha256", NULL);
      entry->version = (guint) g_key_file_get_uint64 (versions, name, "version", NULL);
      if (entry->version == 0)
        entry->version = 1;
      else if (g_strcmp0 (known_sha, sha) != 0)
        entry->version++;
      if (g_strcmp0 (known_sha, sha) != 0)
        {
          g_key_file_set_uint64 (versions, name, "version", entry->version);
          g_key_file_set_string (versions, name, "sha256", sha);
          versions_changed = TRUE;
        }
      g_hash_table_replace (self->entries, entry->name, entry);
    }

  if (versions_changed)
    {
      g_autoptr(GError) local_error = NULL;

      if (!save_versions (self, versions, &local_error))
        g_warning ("Cannot record strategy versions: %s", local_error->message);
    }
  return TRUE;
}

/* ---- activations ------------------------------------------------------- */

static void
act_on_signal (const KantorSignal *signal,
               gpointer            user_data)
{
  Act *act = user_data;

  act->n_signals++;
  g_signal_emit (act->manager, signals[SIGNAL_ACTIVATION_SIGNAL], 0, act->owner,
                 (gpointer) signal);
  if (act->user_hooks.signal != NULL)
    act->user_hooks.signal (signal, act->user_data);
}

static gboolean
act_on_execute (const KantorOrderRequest *request,
                KantorFill               *fill,
                gpointer                  user_data)
{
  Act *act = user_data;

  return act->user_hooks.execute (request, fill, act->user_data);
}

static KantorActivation *
act_new_activation (Act            *act,
                    KantorStrategy *strategy)
{
  KantorExecutionHooks hooks = {
    .signal = act_on_signal,
    /* NULL keeps the activation bare: virtual positions, nothing traded. */
    .execute = act->user_hooks.execute != NULL ? act_on_execute : NULL,
  };

  return kantor_activation_new (strategy, act->slot->symbol, act->slot->set, &hooks, act);
}

/* Replaces the running version when the machine allows it. TRUE when it did. */
static gboolean
act_try_swap (Act *act)
{
  KantorActivation *next;

  if (act->pending == NULL || act->dead || !kantor_activation_can_swap (act->activation))
    return FALSE;
  next = act_new_activation (act, act->pending);
  kantor_activation_inherit (next, act->activation);
  kantor_activation_free (act->activation);
  act->activation = next;
  act->version = act->pending_version;
  g_clear_pointer (&act->pending, kantor_strategy_unref);
  g_debug ("Strategy %s on %s now runs version %u", act->name, act->slot->symbol, act->version);
  return TRUE;
}

static void
slot_collect (KantorStrategyManager *self,
              SymbolSlot            *slot)
{
  gboolean closed = TRUE;

  if (slot->dispatching > 0 || slot->n_dead == 0)
    return;

  /* Hooks see the positions of removed activations closed before they go;
   * they may change the list meanwhile, hence one at a time. */
  slot->dispatching++;
  while (closed)
    {
      closed = FALSE;
      for (guint i = 0; i < slot->acts->len && !closed; i++)
        {
          Act *act = g_ptr_array_index (slot->acts, i);

          /* Checked now, not at removal: a position opening in the very
           * hook that removed the activation is only recorded after it. */
          if (act->dead && kantor_activation_get_position (act->activation, NULL))
            {
              gint64 time_ms = act->last_event_ms > 0 ? act->last_event_ms
                                                      : g_get_real_time () / 1000;

              kantor_activation_close (act->activation, time_ms, KANTOR_SIGNAL_SESSION_END);
              closed = TRUE;
            }
        }
    }
  slot->dispatching--;

  for (guint i = slot->acts->len; i > 0; i--)
    {
      Act *act = g_ptr_array_index (slot->acts, i - 1);

      if (act->dead)
        g_ptr_array_remove_index (slot->acts, i - 1);
    }
  slot->n_dead = 0;
  if (slot->acts->len == 0)
    g_hash_table_remove (self->slots, slot->symbol);
}

/* The slot's indicators at most once per
 * KANTOR_ACTIVATION_INDICATORS_PERIOD_MS of event time, and only when
 * somebody listens: building them is the costly part. */
static void
slot_report_indicators (SymbolSlot              *slot,
                        const KantorMarketEvent *event)
{
  KantorStrategyManager *self = slot->manager;
  g_autoptr(GPtrArray) activations = NULL;
  g_autoptr(JsonObject) values = NULL;
  g_autoptr(JsonObject) used_by = NULL;

  if (slot->indicators_ms != 0 &&
      event->time_ms - slot->indicators_ms < KANTOR_ACTIVATION_INDICATORS_PERIOD_MS)
    return;
  if (!g_signal_has_handler_pending (self, signals[SIGNAL_ACTIVATION_INDICATORS], 0, FALSE))
    return;

  activations = g_ptr_array_sized_new (slot->acts->len);
  for (guint i = 0; i < slot->acts->len; i++)
    {
      Act *act = g_ptr_array_index (slot->acts, i);

      if (!act->dead)
        g_ptr_array_add (activations, act->activation);
    }
  values = json_object_new ();
  used_by = json_object_new ();
  kantor_activation_report_indicators ((KantorActivation **) activations->pdata,
                                       activations->len, slot->set, values, used_by);
  /* Nothing has a value yet: the next event may bring the first. */
  if (json_object_get_size (values) == 0)
    return;
  slot->indicators_ms = event->time_ms;
  g_signal_emit (self, signals[SIGNAL_ACTIVATION_INDICATORS], 0, slot->symbol, event->time_ms,
                 values, used_by);
}

static void
slot_dispatch (SymbolSlot              *slot,
               const KantorMarketEvent *event)
{
  KantorStrategyManager *self = slot->manager;
  g_autoptr(GPtrArray) swapped = NULL;

  kantor_indicator_set_update (slot->set, event);
  kantor_quote_update (&slot->quote, event);

  slot->dispatching++;
  /* Activations created by a signal handler see the next event. */
  for (guint i = 0, len = slot->acts->len; i < len; i++)
    {
      Act *act = g_ptr_array_index (slot->acts, i);

      if (act->dead)
        continue;
      kantor_activation_on_event (act->activation, event, &slot->quote);
      act->n_events++;
      act->last_event_ms = event->time_ms;
      if (act->pending != NULL && act_try_swap (act))
        {
          if (swapped == NULL)
            swapped = g_ptr_array_new ();
          g_ptr_array_add (swapped, act);
        }
    }
  for (guint i = 0; swapped != NULL && i < swapped->len; i++)
    {
      Act *act = g_ptr_array_index (swapped, i);

      if (!act->dead)
        emit_swapped (self, act);
    }
  slot_report_indicators (slot, event);
  slot->dispatching--;
  slot_collect (self, slot);
}

static void
on_feed_event (KantorMarketFeed        *feed,
               const KantorMarketEvent *event,
               gpointer                 user_data)
{
  slot_dispatch (user_data, event);
}

void
kantor_strategy_manager_push_event (KantorStrategyManager   *self,
                                    const KantorMarketEvent *event)
{
  SymbolSlot *slot;

  g_return_if_fail (KANTOR_IS_STRATEGY_MANAGER (self));
  g_return_if_fail (event != NULL);

  /* Event symbols are interned (kantor-market-event.h): no string hashing
   * on the hot path. */
  slot = g_hash_table_lookup (self->slots, event->symbol);
  if (slot != NULL)
    slot_dispatch (slot, event);
}

static SymbolSlot *
slot_get (KantorStrategyManager *self,
          const char            *symbol)
{
  SymbolSlot *slot = g_hash_table_lookup (self->slots, symbol);

  if (slot != NULL)
    return slot;
  slot = g_new0 (SymbolSlot, 1);
  slot->manager = self;
  slot->symbol = symbol;
  slot->set = kantor_indicator_set_new ();
  slot->acts = g_ptr_array_new_with_free_func (act_free);
  if (self->feed != NULL)
    slot->subscription = kantor_market_feed_subscribe (self->feed, symbol, on_feed_event,
                                                       slot, NULL);
  g_hash_table_insert (self->slots, (gpointer) symbol, slot);
  return slot;
}

gboolean
kantor_strategy_manager_activate_with_hooks (KantorStrategyManager      *self,
                                             const char                 *name,
                                             const char                 *symbol,
                                             const char                 *owner,
                                             const KantorExecutionHooks *hooks,
                                             gpointer                    user_data,
                                             GError                    **error)
{
  g_autofree char *key = NULL;
  Entry *entry;
  Act *act;
  SymbolSlot *slot;

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL && symbol != NULL, FALSE);

  entry = g_hash_table_lookup (self->entries, name);
  if (entry == NULL)
    {
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_NOT_FOUND,
                   "Unknown strategy \"%s\"", name);
      return FALSE;
    }
  if (!kantor_symbol_is_valid (symbol))
    {
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR,
                   KANTOR_STRATEGY_MANAGER_ERROR_INVALID_SYMBOL,
                   "Invalid symbol \"%s\" (expected ^[A-Z0-9_]{1,32}$)", symbol);
      return FALSE;
    }
  if (entry->strategy == NULL)
    {
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_INVALID,
                   "Strategy \"%s\" is invalid; fix it with upsert_strategy", name);
      return FALSE;
    }
  if (!kantor_strategy_get_enabled (entry->strategy))
    {
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_DISABLED,
                   "Strategy \"%s\" is disabled", name);
      return FALSE;
    }

  key = make_key (name, symbol);
  act = g_hash_table_lookup (self->acts, key);
  if (act != NULL)
    {
      if (g_strcmp0 (act->owner, owner) == 0)
        return TRUE;
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_ACTIVE,
                   "Strategy \"%s\" already runs on %s for %s", name, symbol,
                   act->owner != NULL ? act->owner : "a bare activation");
      return FALSE;
    }

  symbol = g_intern_string (symbol);
  slot = slot_get (self, symbol);
  act = g_new0 (Act, 1);
  act->manager = self;
  act->slot = slot;
  act->key = g_steal_pointer (&key);
  act->name = g_strdup (name);
  act->owner = g_strdup (owner);
  act->version = entry->version;
  if (hooks != NULL)
    act->user_hooks = *hooks;
  act->user_data = user_data;
  act->activated_ms = g_get_real_time () / 1000;
  act->activation = act_new_activation (act, entry->strategy);
  g_ptr_array_add (slot->acts, act);
  g_hash_table_insert (self->acts, act->key, act);
  g_debug ("Activated %s on %s (%s)", name, symbol, owner != NULL ? owner : "bare");
  return TRUE;
}

gboolean
kantor_strategy_manager_activate (KantorStrategyManager  *self,
                                  const char             *name,
                                  const char             *symbol,
                                  const char             *owner,
                                  GError                **error)
{
  return kantor_strategy_manager_activate_with_hooks (self, name, symbol, owner, NULL, NULL,
                                                      error);
}

static void
act_remove (KantorStrategyManager *self,
            Act                   *act)
{
  g_hash_table_remove (self->acts, act->key);
  /* An open position is closed in slot_collect(), never from inside the
   * activation's own hooks. */
  act->dead = TRUE;
  act->slot->n_dead++;
  slot_collect (self, act->slot);
}

gboolean
kantor_strategy_manager_deactivate (KantorStrategyManager  *self,
                                    const char             *name,
                                    const char             *symbol,
                                    GError                **error)
{
  g_autofree char *key = NULL;
  Act *act;

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL && symbol != NULL, FALSE);

  key = make_key (name, symbol);
  act = g_hash_table_lookup (self->acts, key);
  if (act == NULL || act->dead)
    {
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_NOT_FOUND,
                   "Strategy \"%s\" is not active on %s", name, symbol);
      return FALSE;
    }
  act_remove (self, act);
  return TRUE;
}

guint
kantor_strategy_manager_deactivate_owner (KantorStrategyManager *self,
                                          const char            *owner)
{
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), 0);

  g_hash_table_iter_init (&iter, self->acts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((Act *) value)->owner, owner) == 0)
      g_ptr_array_add (matching, value);
  for (guint i = 0; i < matching->len; i++)
    act_remove (self, g_ptr_array_index (matching, i));
  return matching->len;
}

static KantorActivationInfo *
act_info (Act *act)
{
  KantorActivationInfo *info = g_new0 (KantorActivationInfo, 1);

  info->strategy = g_strdup (act->name);
  info->symbol = g_strdup (act->slot->symbol);
  info->owner = g_strdup (act->owner);
  info->version = act->version;
  info->swap_pending = act->pending != NULL;
  info->state = kantor_activation_get_state (act->activation);
  info->state_since_ms = kantor_activation_get_state_since_ms (act->activation);
  if (info->state_since_ms == 0)
    info->state_since_ms = act->activated_ms;
  info->activated_ms = act->activated_ms;
  info->last_event_ms = act->last_event_ms;
  info->n_events = act->n_events;
  info->n_signals = act->n_signals;
  info->has_position = kantor_activation_get_position (act->activation, &info->position);
  return info;
}

static int
compare_info (gconstpointer a,
              gconstpointer b)
{
  const KantorActivationInfo *ia = *(KantorActivationInfo * const *) a;
  const KantorActivationInfo *ib = *(KantorActivationInfo * const *) b;
  int c = strcmp (ia->strategy, ib->strategy);

  if (c == 0)
    c = strcmp (ia->symbol, ib->symbol);
  if (c == 0 && (ia->owner == NULL || ib->owner == NULL))
    c = (ia->owner != NULL) - (ib->owner != NULL);
  if (c == 0)
    c = strcmp (ia->owner, ib->owner);
  return c;
}

static GPtrArray *
list_matching (KantorStrategyManager *self,
               const char            *name,
               const char            *symbol,
               gboolean               by_owner,
               const char            *owner)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_activation_info_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->acts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Act *act = value;

      if (name != NULL && strcmp (act->name, name) != 0)
        continue;
      if (symbol != NULL && strcmp (act->slot->symbol, symbol) != 0)
        continue;
      if (by_owner && g_strcmp0 (act->owner, owner) != 0)
        continue;
      g_ptr_array_add (list, act_info (act));
    }

  for (guint p = 0; p < self->providers->len; p++)
    {
      const Provider *provider = &g_array_index (self->providers, Provider, p);
      g_autoptr(GPtrArray) provided = provider->func (provider->user_data);

      for (guint i = 0; provided != NULL && i < provided->len; i++)
        {
          const KantorActivationInfo *info = g_ptr_array_index (provided, i);

          if (name != NULL && strcmp (info->strategy, name) != 0)
            continue;
          if (symbol != NULL && strcmp (info->symbol, symbol) != 0)
            continue;
          if (by_owner && g_strcmp0 (info->owner, owner) != 0)
            continue;
          g_ptr_array_add (list, kantor_activation_info_copy (info));
        }
    }
  g_ptr_array_sort (list, compare_info);
  return list;
}

GPtrArray *
kantor_strategy_manager_list_activations (KantorStrategyManager *self,
                                          const char            *name,
                                          const char            *symbol)
{
  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), NULL);
  return list_matching (self, name, symbol, FALSE, NULL);
}

GPtrArray *
kantor_strategy_manager_list_activations_by_owner (KantorStrategyManager *self,
                                                   const char            *owner)
{
  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), NULL);
  return list_matching (self, NULL, NULL, TRUE, owner);
}

void
kantor_strategy_manager_add_activation_provider (KantorStrategyManager    *self,
                                                 KantorActivationProvider  provider,
                                                 gpointer                  user_data)
{
  Provider p = { provider, user_data };

  g_return_if_fail (KANTOR_IS_STRATEGY_MANAGER (self));
  g_return_if_fail (provider != NULL);
  g_array_append_val (self->providers, p);
}

void
kantor_strategy_manager_remove_activation_provider (KantorStrategyManager *self,
                                                    gpointer               user_data)
{
  g_return_if_fail (KANTOR_IS_STRATEGY_MANAGER (self));

  for (guint i = 0; i < self->providers->len; i++)
    if (g_array_index (self->providers, Provider, i).user_data == user_data)
      {
        g_array_remove_index (self->providers, i);
        return;
      }
}

char **
kantor_strategy_manager_get_active_symbols (KantorStrategyManager *self,
                                            const char            *name)
{
  g_autoptr(GPtrArray) list = NULL;
  GPtrArray *symbols = g_ptr_array_new ();

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), NULL);

  list = list_matching (self, name, NULL, FALSE, NULL);
  for (guint i = 0; i < list->len; i++)
    {
      KantorActivationInfo *info = g_ptr_array_index (list, i);

      /* Sorted by symbol (one strategy): a pair run both here and by a
       * session comes twice in a row. */
      if (symbols->len > 0 && strcmp (symbols->pdata[symbols->len - 1], info->symbol) == 0)
        continue;
      g_ptr_array_add (symbols, g_strdup (info->symbol));
    }
  g_ptr_array_add (symbols, NULL);
  return (char **) g_ptr_array_free (symbols, FALSE);
}

/* ---- documents --------------------------------------------------------- */

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

char **
kantor_strategy_manager_list_names (KantorStrategyManager *self)
{
  g_autofree const char **keys = NULL;
  guint n = 0;
  char **names;

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), NULL);

  keys = (const char **) g_hash_table_get_keys_as_array (self->entries, &n);
  names = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    names[i] = g_strdup (keys[i]);
  g_qsort_with_data (names, n, sizeof (char *), compare_names, NULL);
  return names;
}

KantorStrategy *
kantor_strategy_manager_lookup (KantorStrategyManager *self,
                                const char            *name)
{
  Entry *entry;

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), NULL);

  entry = g_hash_table_lookup (self->entries, name);
  if (entry == NULL || entry->strategy == NULL)
    return NULL;
  return kantor_strategy_ref (entry->strategy);
}

gboolean
kantor_strategy_manager_get_info (KantorStrategyManager  *self,
                                  const char             *name,
                                  guint                  *version,
                                  gboolean               *valid,
                                  JsonNode              **diagnostics)
{
  Entry *entry;

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), FALSE);

  entry = g_hash_table_lookup (self->entries, name);
  if (entry == NULL)
    return FALSE;
  if (version != NULL)
    *version = entry->version;
  if (valid != NULL)
    *valid = entry->strategy != NULL;
  if (diagnostics != NULL)
    *diagnostics = json_node_ref (entry->diagnostics);
  return TRUE;
}

const char *
kantor_strategy_manager_get_dir (KantorStrategyManager *self)
{
  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), NULL);
  return self->dir;
}

JsonNode *
kantor_strategy_manager_validate (KantorStrategyManager *self,
                                  JsonNode              *doc)
{
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), NULL);
  g_return_val_if_fail (doc != NULL, NULL);

  kantor_strategy_validate (doc, diag);
  return kantor_diagnostics_to_json (diag);
}

/* One upsert: prepared and checked on the main loop, written on a worker
 * thread (or inline for the blocking call), applied on the main loop.
 * Writes are serialised, so versions follow the order of the requests. */
typedef struct
{
  KantorDiagnostics *diag;
  KantorStrategy    *strategy;      /* NULL when the document was refused */
  char              *name;
  char              *text;
  gsize              len;
  char              *sha;
  /* Filled when the write starts. */
  char              *doc_path;
  char              *versions_path;
  char              *versions_data;
  gsize              versions_len;
  guint              version;
  gboolean           created;
} UpsertJob;

static void
upsert_job_free (gpointer data)
{
  UpsertJob *job = data;

  g_clear_pointer (&job->diag, kantor_diagnostics_free);
  g_clear_pointer (&job->strategy, kantor_strategy_unref);
  g_free (job->name);
  g_free (job->text);
  g_free (job->sha);
  g_free (job->doc_path);
  g_free (job->versions_path);
  g_free (job->versions_data);
  g_free (job);
}

/* Validates @doc into a new job; NULL with @error set when it is refused
 * (the job's diagnostics then go to @diag_out). */
static UpsertJob *
upsert_prepare (JsonNode           *doc,
                KantorDiagnostics **diag_out,
                GError            **error)
{
  UpsertJob *job = g_new0 (UpsertJob, 1);
  g_autoptr(JsonGenerator) gen = NULL;
  g_autofree char *body = NULL;
  const char *name = NULL;

  job->diag = kantor_diagnostics_new ();

  /* The name becomes a path: check it before anything else, whatever the
   * validator says. */
  if (JSON_NODE_HOLDS_OBJECT (doc))
    {
      JsonNode *member = json_object_get_member (json_node_get_object (doc), "strategy_name");

      if (member != NULL && JSON_NODE_HOLDS_VALUE (member)
          && json_node_get_value_type (member) == G_TYPE_STRING)
        name = json_node_get_string (member);
    }
  if (name != NULL && !kantor_strategy_name_is_valid (name))
    {
      kantor_strategy_validate (doc, job->diag);
      if (!kantor_diagnostics_has_error_at (job->diag, "/strategy_name"))
        kantor_diagnostics_add_error (job->diag, "/strategy_name",
                                      "\"%s\" is not a valid strategy name "
                                      "(expected ^[A-Za-z0-9_-]{1,64}$)", name);
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR,
                   KANTOR_STRATEGY_MANAGER_ERROR_INVALID_NAME,
                   "Invalid strategy name (expected ^[A-Za-z0-9_-]{1,64}$)");
      *diag_out = g_steal_pointer (&job->diag);
      upsert_job_free (job);
      return NULL;
    }

  job->strategy = kantor_strategy_new_from_json (doc, job->diag);
  if (job->strategy == NULL)
    {
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_INVALID,
                   "The strategy document has %u error(s)",
                   kantor_diagnostics_get_n_errors (job->diag));
      *diag_out = g_steal_pointer (&job->diag);
      upsert_job_free (job);
      return NULL;
    }
  job->name = g_strdup (kantor_strategy_get_name (job->strategy));
  g_assert (kantor_strategy_name_is_valid (job->name));

  gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, doc);
  body = json_generator_to_data (gen, NULL);
  job->text = g_strconcat (body, "\n", NULL);
  job->len = strlen (job->text);
  job->sha = sha256_hex (job->text, job->len);
  return job;
}

/* Numbers the job against the current state; the versions file it will
 * write is prepared here so the worker touches nothing shared. */
static void
upsert_start (KantorStrategyManager *self,
              UpsertJob             *job)
{
  g_autoptr(GKeyFile) versions = load_versions (self);
  Entry *entry = g_hash_table_lookup (self->entries, job->name);

  job->created = entry == NULL;
  job->version = entry != NULL ? entry->version + 1 : 1;
  job->doc_path = g_strdup_printf ("%s/%s.json", self->dir, job->name);
  job->versions_path = g_strdup (self->versions_path);
  g_key_file_set_uint64 (versions, job->name, "version", job->version);
  g_key_file_set_string (versions, job->name, "sha256", job->sha);
  job->versions_data = g_key_file_to_data (versions, &job->versions_len, NULL);
}

/* Thread-safe: uses the job alone. */
static gboolean
upsert_write (UpsertJob  *job,
              GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!kantor_fileutil_write_private (job->doc_path, job->text, job->len, &local_error))
    {
      g_set_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_IO,
                   "Cannot write %s.json: %s", job->name, local_error->message);
      return FALSE;
    }
  /* The document is in place; should this record fail, the next start
   * sees a changed document and still counts it as a new version. */
  if (!kantor_fileutil_write_private (job->versions_path, job->versions_data,
                                      job->versions_len, &local_error))
    g_warning ("Cannot record the version of %s: %s", job->name, local_error->message);
  return TRUE;
}

/* Makes the written job the current version and starts the hot swaps. */
static void
upsert_apply (KantorStrategyManager *self,
              UpsertJob             *job)
{
  g_autoptr(GPtrArray) swapped = g_ptr_array_new ();
  Entry *entry = g_hash_table_lookup (self->entries, job->name);
  GHashTableIter iter;
  gpointer value;

  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      entry->name = g_strdup (job->name);
      g_hash_table_insert (self->entries, entry->name, entry);
    }
  g_clear_pointer (&entry->strategy, kantor_strategy_unref);
  g_clear_pointer (&entry->diagnostics, json_node_unref);
  entry->strategy = kantor_strategy_ref (job->strategy);
  entry->diagnostics = kantor_diagnostics_to_json (job->diag);
  entry->version = job->version;

  /* Running activations take the new version at their next swappable
   * point; those already there take it now. */
  g_hash_table_iter_init (&iter, self->acts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Act *act = value;

      if (strcmp (act->name, job->name) != 0)
        continue;
      g_clear_pointer (&act->pending, kantor_strategy_unref);
      act->pending = kantor_strategy_ref (job->strategy);
      act->pending_version = job->version;
      if (act->slot->dispatching == 0 && act_try_swap (act))
        g_ptr_array_add (swapped, act);
    }

  g_message ("Strategy %s %s, version %u", job->name, job->created ? "created" : "updated",
             job->version);
  g_signal_emit (self, signals[SIGNAL_STRATEGY_UPSERTED], 0, job->name, job->version,
                 job->created);
  for (guint i = 0; i < swapped->len; i++)
    {
      Act *act = g_ptr_array_index (swapped, i);

      /* A handler of an earlier emission may have removed it. */
      if (g_hash_table_lookup (self->acts, act->key) == act)
        emit_swapped (self, act);
    }
}

static void
copy_diagnostics (KantorDiagnostics *from,
                  KantorDiagnostics *to)
{
  if (to == NULL || from == NULL)
    return;
  for (guint i = 0; i < kantor_diagnostics_get_n_errors (from); i++)
    {
      const KantorDiagnostic *d = kantor_diagnostics_get_error (from, i);

      kantor_diagnostics_add_error (to, d->path, "%s", d->message);
    }
  for (guint i = 0; i < kantor_diagnostics_get_n_warnings (from); i++)
    {
      const KantorDiagnostic *d = kantor_diagnostics_get_warning (from, i);

      kantor_diagnostics_add_warning (to, d->path, "%s", d->message);
    }
}

gboolean
kantor_strategy_manager_upsert (KantorStrategyManager  *self,
                                JsonNode               *doc,
                                KantorDiagnostics      *diag,
                                gboolean               *created,
                                guint                  *version,
                                GError                **error)
{
  g_autoptr(KantorDiagnostics) refused = NULL;
  UpsertJob *job;
  gboolean ok;

  g_return_val_if_fail (KANTOR_IS_STRATEGY_MANAGER (self), FALSE);
  g_return_val_if_fail (doc != NULL, FALSE);
  /* Versions are numbered in write order: no blocking upsert may overtake
   * the queued ones. */
  g_return_val_if_fail (g_queue_is_empty (&self->upserts) && !self->writing, FALSE);

  job = upsert_prepare (doc, &refused, error);
  if (job == NULL)
    {
      copy_diagnostics (refused, diag);
      return FALSE;
    }
  copy_diagnostics (job->diag, diag);
  upsert_start (self, job);
  ok = upsert_write (job, error);
  if (ok)
    {
      upsert_apply (self, job);
      if (created != NULL)
        *created = job->created;
      if (version != NULL)
        *version = job->version;
    }
  upsert_job_free (job);
  return ok;
}

static void upsert_next (KantorStrategyManager *self);

static void
upsert_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (upsert_write (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
upsert_written (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KantorStrategyManager *self = g_task_get_source_object (task);
  UpsertJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  self->writing = FALSE;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      upsert_apply (self, job);
      g_task_return_boolean (task, TRUE);
    }
  else
    g_task_return_error (task, error);
  upsert_next (self);
}

static void
upsert_next (KantorStrategyManager *self)
{
  g_autoptr(GTask) worker = NULL;
  GTask *task;

  if (self->writing || g_queue_is_empty (&self->upserts))
    return;
  task = g_queue_pop_head (&self->upserts);
  upsert_start (self, g_task_get_task_data (task));
  self->writing = TRUE;
  /* The request's task holds the manager. The worker has no source
   * object: its worker thread may drop the last reference to it, and the
   * manager must never be finalized there. */
  worker = g_task_new (NULL, NULL, upsert_written, task);
  g_task_set_source_tag (worker, upsert_next);
  g_task_set_task_data (worker, g_task_get_task_data (task), NULL);
  g_task_run_in_thread (worker, upsert_thread);
}

void
kantor_strategy_manager_upsert_async (KantorStrategyManager *self,
                                      JsonNode              *doc,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(KantorDiagnostics) refused = NULL;
  g_autoptr(GError) error = NULL;
  UpsertJob *job;

  g_return_if_fail (KANTOR_IS_STRATEGY_MANAGER (self));
  g_return_if_fail (doc != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, kantor_strategy_manager_upsert_async);
  job = upsert_prepare (doc, &refused, &error);
  if (job == NULL)
    {
      /* The refusal's diagnostics are still handed to _finish. */
      job = g_new0 (UpsertJob, 1);
      job->diag = g_steal_pointer (&refused);
      g_task_set_task_data (task, job, upsert_job_free);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_set_task_data (task, job, upsert_job_free);
  g_queue_push_tail (&self->upserts, g_steal_pointer (&task));
  upsert_next (self);
}

gboolean
kantor_strategy_manager_upsert_finish (KantorStrategyManager  *self,
                                       GAsyncResult           *result,
                                       KantorDiagnostics      *diag,
                                       gboolean               *created,
                                       guint                  *version,
                                       GError                **error)
{
  UpsertJob *job;
  gboolean ok;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == kantor_strategy_manager_upsert_async, FALSE);

  job = g_task_get_task_data (G_TASK (result));
  copy_diagnostics (job->diag, diag);
  ok = g_task_propagate_boolean (G_TASK (result), error);
  if (ok && created != NULL)
    *created = job->created;
  if (ok && version != NULL)
    *version = job->version;
  return ok;
}

/* ---- object ------------------------------------------------------------ */

KantorStrategyManager *
kantor_strategy_manager_new (const char        *strategies_dir,
                             KantorMarketFeed  *feed,
                             GError           **error)
{
  g_autoptr(KantorStrategyManager) self = NULL;
  gboolean first_start;

  g_return_val_if_fail (strategies_dir != NULL, NULL);
  g_return_val_if_fail (feed == NULL || KANTOR_IS_MARKET_FEED (feed), NULL);

  self = g_object_new (KANTOR_TYPE_STRATEGY_MANAGER, NULL);
  self->dir = g_strdup (strategies_dir);
  self->versions_path = g_build_filename (strategies_dir, VERSIONS_FILE, NULL);
  self->feed = feed != NULL ? g_object_ref (feed) : NULL;

  if (!kantor_fileutil_ensure_private_dir (strategies_dir, error))
    return NULL;
  /* The versions file is written on the first start: once the user has
   * deleted an example it stays deleted. */
  first_start = !g_file_test (self->versions_path, G_FILE_TEST_EXISTS);
  if (first_start)
    {
      g_autoptr(GError) local_error = NULL;

      if (!copy_examples (self, &local_error))
        g_warning ("Cannot copy the example strategies: %s", local_error->message);
    }
  if (!load_folder (self, error))
    return NULL;
  if (first_start && !g_file_test (self->versions_path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GKeyFile) versions = g_key_file_new ();
      g_autoptr(GError) local_error = NULL;

      if (!save_versions (self, versions, &local_error))
        g_warning ("Cannot write %s: %s", self->versions_path, local_error->message);
    }
  g_message ("%u strategies in %s", g_hash_table_size (self->entries), strategies_dir);
  return g_steal_pointer (&self);
}

static void
kantor_strategy_manager_dispose (GObject *object)
{
  KantorStrategyManager *self = KANTOR_STRATEGY_MANAGER (object);

  /* Slots unsubscribe from the feed, so drop them before the feed. */
  g_hash_table_remove_all (self->acts);
  g_hash_table_remove_all (self->slots);
  g_clear_object (&self->feed);

  G_OBJECT_CLASS (kantor_strategy_manager_parent_class)->dispose (object);
}

static void
kantor_strategy_manager_finalize (GObject *object)
{
  KantorStrategyManager *self = KANTOR_STRATEGY_MANAGER (object);

  g_hash_table_destroy (self->acts);
  g_hash_table_destroy (self->slots);
  g_hash_table_destroy (self->entries);
  g_free (self->dir);
  g_free (self->versions_path);
  g_array_unref (self->providers);

  G_OBJECT_CLASS (kantor_strategy_manager_parent_class)->finalize (object);
}

static void
kantor_strategy_manager_class_init (KantorStrategyManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_strategy_manager_dispose;
  object_class->finalize = kantor_strategy_manager_finalize;

  signals[SIGNAL_STRATEGY_UPSERTED] =
    g_signal_new ("strategy-upserted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_BOOLEAN);
  signals[SIGNAL_ACTIVATION_SIGNAL] =
    g_signal_new ("activation-signal", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_POINTER);
  signals[SIGNAL_ACTIVATION_SWAPPED] =
    g_signal_new ("activation-swapped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_ACTIVATION_INDICATORS] =
    g_signal_new ("activation-indicators", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_INT64, JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
kantor_strategy_manager_init (KantorStrategyManager *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  self->acts = g_hash_table_new (g_str_hash, g_str_equal);
  self->slots = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, slot_free);
  self->providers = g_array_new (FALSE, FALSE, sizeof (Provider));
}
