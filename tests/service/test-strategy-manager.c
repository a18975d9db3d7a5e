/* test-strategy-manager.c: strategy documents on disk, versions, examples,
 * activations and the hot swap
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kantor-strategy-manager.h"

#define T0 G_GINT64_CONSTANT (1700000000000)

/* Price >= 100 raises S1, volume >= 5 enters, volume >= 50 closes; volume 1
 * is neutral. %s is the name, %g the S1 threshold (to make versions
 * differ), %s the enabled flag. */
static const char doc_format[] =
  "{"
  " \"strategy_name\": \"%s\","
  " \"description\": \"test machine\","
  " \"enabled\": %s,"
  " \"direction\": \"LONG\","
  " \"indicators\": {"
  "   \"price\": {\"type\": \"PRICE\"},"
  "   \"vol\": {\"type\": \"VOLUME\"}"
  " },"
  " \"s1_signal\": {\"conditions\": ["
  "   {\"id\": \"s\", \"indicatorId\": \"price\", \"operator\": \">=\", \"value\": %g}]},"
  " \"o1_cancel\": {\"timeoutSeconds\": 600, \"cooldownMinutes\": 1, \"conditions\": []},"
  " \"z1_entry\": {\"conditions\": ["
  "   {\"id\": \"z\", \"indicatorId\": \"vol\", \"operator\": \">=\", \"value\": 5}],"
  "   \"positionSize\": {\"type\": \"fixed\", \"value\": 1000},"
  "   \"stopLoss\": {\"enabled\": true, \"offsetPercent\": 50},"
  "   \"takeProfit\": {\"enabled\": true, \"offsetPercent\": 500}},"
  " \"ze1_close\": {\"conditions\": ["
  "   {\"id\": \"x\", \"indicatorId\": \"vol\", \"operator\": \">=\", \"value\": 50}]},"
  " \"emergency_exit\": {\"cooldownMinutes\": 2, \"conditions\": []},"
  " \"global_limits\": {\"max_position_size_usdt\": 5000, \"min_position_size_usdt\": 10}"
  "}";

typedef struct
{
  char *root;
  char *dir;
} Fixture;

static char *
doc_text (const char *name,
          double      threshold,
          gboolean    enabled)
{
  return g_strdup_printf (doc_format, name, enabled ? "true" : "false", threshold);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static JsonNode *
doc_node (const char *name,
          double      threshold,
          gboolean    enabled)
{
  g_autofree char *text = doc_text (name, threshold, enabled);

  return parse_json (text);
}

static void
write_file (const char *dir,
            const char *file,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_file (const char *dir,
           const char *file)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The sorted names of the folder's entries, hidden ones included. */
static char *
list_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **) names->pdata);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  g_rmdir (path);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("kantor-strategies-XXXXXX", &error);
  g_assert_no_error (error);
  f->dir = g_build_filename (f->root, "strategies", NULL);
}

/* A folder that already had its first start: no examples are copied. */
static void
setup_used (Fixture       *f,
            gconstpointer  data)
{
  setup (f, data);
  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  write_file (f->dir, ".versions", "");
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  remove_tree (f->root);
  g_free (f->root);
  g_free (f->dir);
}

static KantorStrategyManager *
manager_new (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  KantorStrategyManager *manager = kantor_strategy_manager_new (f->dir, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (manager);
  return manager;
}

static void
manager_free (KantorStrategyManager *manager)
{
  g_object_add_weak_pointer (G_OBJECT (manager), (gpointer *) &manager);
  g_object_unref (manager);
  /* Nothing else may hold it: no leaked reference from a signal or hook. */
  g_assert_null (manager);
}

static guint
version_of (KantorStrategyManager *manager,
            const char            *name)
{
  guint version = 0;

  g_assert_true (kantor_strategy_manager_get_info (manager, name, &version, NULL, NULL));
  return version;
}

static void
test_examples (Fixture       *f,
               gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  g_auto(GStrv) names = kantor_strategy_manager_list_names (manager);
  const char *expected[] = { "ema_macd_trend", "pump_rider", "rsi_mean_reversion", NULL };
  g_autofree char *listing = NULL;
  g_autofree char *source_path = NULL;
  g_autofree char *copied = NULL;
  g_autofree char *original = NULL;

  g_assert_cmpstrv (names, expected);
  for (guint i = 0; expected[i] != NULL; i++)
    {
      g_autoptr(KantorStrategy) strategy = kantor_strategy_manager_lookup (manager, expected[i]);
      gboolean valid = FALSE;
      guint version = 0;

      g_assert_nonnull (strategy);
      g_assert_cmpstr (kantor_strategy_get_name (strategy), ==, expected[i]);
      g_assert_true (kantor_strategy_manager_get_info (manager, expected[i], &version, &valid,
                                                        NULL));
      g_assert_true (valid);
      g_assert_cmpuint (version, ==, 1);
    }

  /* The copies are the shipped documents, byte for byte. */
  source_path = g_build_filename (g_getenv ("KANTOR_SOURCE_DIR") != NULL
                                    ? g_getenv ("KANTOR_SOURCE_DIR") : ".",
                                  "data", "strategies", NULL);
  copied = read_file (f->dir, "pump_rider.json");
  original = read_file (source_path, "pump_rider.json");
  if (original != NULL)
    g_assert_cmpstr (copied, ==, original);
  listing = list_dir (f->dir);
  g_assert_cmpstr (listing, ==,
                   ".versions,ema_macd_trend.json,pump_rider.json,rsi_mean_reversion.json");
  manager_free (manager);

  /* Only the first start copies: a deleted example stays deleted. */
  {
    g_autofree char *path = g_build_filename (f->dir, "pump_rider.json", NULL);
    g_auto(GStrv) names2 = NULL;

    g_assert_cmpint (g_remove (path), ==, 0);
    manager = manager_new (f);
    names2 = kantor_strategy_manager_list_names (manager);
    g_assert_cmpuint (g_strv_length (names2), ==, 2);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    manager_free (manager);
  }
}

static void
test_bad_files_skipped (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *good = doc_text ("good", 100, TRUE);
  g_autofree char *wrong_name = doc_text ("other", 100, TRUE);
  g_autofree char *invalid = NULL;
  KantorStrategyManager *manager;
  g_auto(GStrv) names = NULL;
  const char *expected[] = { "broken", "good", "invalid", "mismatch", NULL };
  g_autoptr(KantorStrategy) strategy = NULL;
  g_autoptr(JsonNode) diagnostics = NULL;
  g_autoptr(GError) error = NULL;
  gboolean valid = TRUE;

  /* An operator that does not exist. */
  invalid = doc_text ("invalid", 100, TRUE);
  {
    char *op = strstr (invalid, "\">=\"");

    g_assert_nonnull (op);
    memcpy (op, "\"=>\"", 4);
  }
  write_file (f->dir, "good.json", good);
  write_file (f->dir, "broken.json", "{\"strategy_name\": \"broken\", ");
  write_file (f->dir, "invalid.json", invalid);
  write_file (f->dir, "mismatch.json", wrong_name);
  write_file (f->dir, "notes.txt", "not a strategy");

  g_test_expect_message ("kantor-service", G_LOG_LEVEL_WARNING, "*broken.json*");
  g_test_expect_message ("kantor-service", G_LOG_LEVEL_WARNING, "*invalid.json*");
  g_test_expect_message ("kantor-service", G_LOG_LEVEL_WARNING, "*mismatch.json*");
  manager = manager_new (f);
  g_test_assert_expected_messages ();

  names = kantor_strategy_manager_list_names (manager);
  g_assert_cmpstrv (names, expected);

  strategy = kantor_strategy_manager_lookup (manager, "good");
  g_assert_nonnull (strategy);
  g_assert_null (kantor_strategy_manager_lookup (manager, "broken"));
  g_assert_null (kantor_strategy_manager_lookup (manager, "mismatch"));

  g_assert_true (kantor_strategy_manager_get_info (manager, "invalid", NULL, &valid,
                                                    &diagnostics));
  g_assert_false (valid);
  {
    JsonArray *errors = json_object_get_array_member (json_node_get_object (diagnostics),
                                                      "errors");
    JsonObject *first = json_array_get_object_element (errors, 0);

    g_assert_cmpstr (json_object_get_string_member (first, "path"), ==,
                     "/s1_signal/conditions/0/operator");
  }

  /* An invalid document cannot run. */
  g_assert_false (kantor_strategy_manager_activate (manager, "invalid", "BTCUSDT", NULL,
                                                    &error));
  g_assert_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (kantor_strategy_manager_activate (manager, "good", "BTCUSDT", NULL, &error));
  g_assert_no_error (error);

  /* No example was copied into a folder that had its first start. */
  g_assert_false (kantor_strategy_manager_get_info (manager, "pump_rider", NULL, NULL, NULL));
  manager_free (manager);
}

static void
test_upsert_versions (Fixture       *f,
                      gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  g_autoptr(JsonNode) v1 = doc_node ("alpha", 100, TRUE);
  g_autoptr(JsonNode) v2 = doc_node ("alpha", 120, TRUE);
  g_autoptr(GError) error = NULL;
  g_autofree char *on_disk = NULL;
  g_autofree char *listing = NULL;
  gboolean created = FALSE;
  guint version = 0;

  g_assert_true (kantor_strategy_manager_upsert (manager, v1, NULL, &created, &version, &error));
  g_assert_no_error (error);
  g_assert_true (created);
  g_assert_cmpuint (version, ==, 1);

  /* What is on disk reads back as the document. */
  on_disk = read_file (f->dir, "alpha.json");
  g_assert_nonnull (on_disk);
  {
    g_autoptr(JsonNode) back = parse_json (on_disk);

    g_assert_true (json_node_equal (back, v1));
  }

  g_assert_true (kantor_strategy_manager_upsert (manager, v2, NULL, &created, &version, &error));
  g_assert_false (created);
  g_assert_cmpuint (version, ==, 2);
  /* The same document again is still a new version. */
  g_assert_true (kantor_strategy_manager_upsert (manager, v2, NULL, &created, &version, &error));
  g_assert_cmpuint (version, ==, 3);
  {
    g_autoptr(KantorStrategy) current = kantor_strategy_manager_lookup (manager, "alpha");
    guint n = 0;
    const KantorCondition *c = kantor_strategy_get_conditions (current,
                                                               KANTOR_SECTION_S1_SIGNAL, &n);

    g_assert_cmpfloat (c[0].value, ==, 120);
  }
  /* No temporary file is left behind. */
  listing = list_dir (f->dir);
  g_assert_cmpstr (listing, ==, ".versions,alpha.json");
  manager_free (manager);

  /* Versions survive a restart. */
  manager = manager_new (f);
  g_assert_cmpuint (version_of (manager, "alpha"), ==, 3);
  manager_free (manager);

  /* A document changed by hand counts as one more version. */
  {
    g_autofree char *edited = doc_text ("alpha", 130, TRUE);

    write_file (f->dir, "alpha.json", edited);
  }
  manager = manager_new (f);
  g_assert_cmpuint (version_of (manager, "alpha"), ==, 4);
  manager_free (manager);
  manager = manager_new (f);
  g_assert_cmpuint (version_of (manager, "alpha"), ==, 4);
  g_assert_true (kantor_strategy_manager_upsert (manager, v1, NULL, &created, &version, &error));
  g_assert_cmpuint (version, ==, 5);
  manager_free (manager);
}

static void
test_upsert_invalid_changes_nothing (Fixture       *f,
                                     gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  g_autoptr(JsonNode) v1 = doc_node ("beta", 100, TRUE);
  g_autoptr(JsonNode) bad = doc_node ("beta", 100, TRUE);
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *listing_before = NULL;
  g_autofree char *listing_after = NULL;
  g_autofree char *versions_before = NULL;
  g_autofree char *versions_after = NULL;
  guint version = 0;

  g_assert_true (kantor_strategy_manager_upsert (manager, v1, NULL, NULL, &version, &error));
  g_assert_no_error (error);
  before = read_file (f->dir, "beta.json");
  listing_before = list_dir (f->dir);
  versions_before = read_file (f->dir, ".versions");

  /* Section z1_entry removed: a required section is missing. */
  json_object_remove_member (json_node_get_object (bad), "z1_entry");
  g_assert_false (kantor_strategy_manager_upsert (manager, bad, diag, NULL, &version, &error));
  g_assert_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_INVALID);
  g_assert_true (kantor_diagnostics_has_error_at (diag, "/z1_entry"));
  g_clear_error (&error);

  /* Not even JSON of the right shape. */
  {
    g_autoptr(JsonNode) array = parse_json ("[1, 2]");

    g_assert_false (kantor_strategy_manager_upsert (manager, array, NULL, NULL, NULL, &error));
    g_assert_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_INVALID);
    g_clear_error (&error);
  }

  after = read_file (f->dir, "beta.json");
  listing_after = list_dir (f->dir);
  versions_after = read_file (f->dir, ".versions");
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpstr (listing_after, ==, listing_before);
  g_assert_cmpstr (versions_after, ==, versions_before);
  g_assert_cmpuint (version_of (manager, "beta"), ==, 1);
  manager_free (manager);
}

static void
test_upsert_bad_name (Fixture       *f,
                      gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  const char *bad_names[] = { "../x", "a/b", "", ".hidden", "x.json",
    "a23456789012345678901234567890123456789012345678901234567890123456", NULL };
  g_autofree char *listing_before = list_dir (f->dir);
  g_autofree char *root_before = list_dir (f->root);

  for (guint i = 0; bad_names[i] != NULL; i++)
    {
      g_autoptr(JsonNode) doc = doc_node (bad_names[i], 100, TRUE);
      g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *listing = NULL;
      g_autofree char *root_listing = NULL;

      g_assert_false (kantor_strategy_manager_upsert (manager, doc, diag, NULL, NULL, &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == KANTOR_STRATEGY_MANAGER_ERROR);
      g_assert_true (error->code == KANTOR_STRATEGY_MANAGER_ERROR_INVALID_NAME
                     || error->code == KANTOR_STRATEGY_MANAGER_ERROR_INVALID);
      g_assert_true (kantor_diagnostics_has_error_at (diag, "/strategy_name"));
      listing = list_dir (f->dir);
      root_listing = list_dir (f->root);
      g_assert_cmpstr (listing, ==, listing_before);
      g_assert_cmpstr (root_listing, ==, root_before);
    }
  g_assert_false (kantor_strategy_name_is_valid ("../x"));
  g_assert_true (kantor_strategy_name_is_valid ("Abc_9-x"));
  manager_free (manager);
}

typedef struct
{
  guint    n_done;
  guint    order[4];
  guint    versions[4];
  gboolean ok[4];
  guint    n_errors[4];
} AsyncResults;

typedef struct
{
  AsyncResults *results;
  guint         index;
} AsyncCall;

static void
upsert_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  AsyncCall *call = user_data;
  AsyncResults *r = call->results;
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  g_autoptr(GError) error = NULL;
  guint version = 0;

  r->ok[call->index] = kantor_strategy_manager_upsert_finish (KANTOR_STRATEGY_MANAGER (source),
                                                              result, diag, NULL, &version,
                                                              &error);
  g_assert_true (r->ok[call->index] == (error == NULL));
  r->versions[call->index] = version;
  r->n_errors[call->index] = kantor_diagnostics_get_n_errors (diag);
  r->order[r->n_done++] = call->index;
  g_free (call);
}

static void
upsert_async (KantorStrategyManager *manager,
              JsonNode              *doc,
              AsyncResults          *results,
              guint                  index)
{
  AsyncCall *call = g_new0 (AsyncCall, 1);

  call->results = results;
  call->index = index;
  kantor_strategy_manager_upsert_async (manager, doc, upsert_done, call);
}

static void
test_upsert_async (Fixture       *f,
                   gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  g_autoptr(JsonNode) v1 = doc_node ("eps", 100, TRUE);
  g_autoptr(JsonNode) bad = doc_node ("eps", 100, TRUE);
  g_autoptr(JsonNode) v2 = doc_node ("eps", 110, TRUE);
  g_autoptr(JsonNode) v3 = doc_node ("eps", 120, TRUE);
  g_autofree char *on_disk = NULL;
  AsyncResults r = { 0 };
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint n = 0;

  json_object_set_string_member (json_node_get_object (bad), "direction", "UP");
  /* Queued at once; written one at a time, in call order. */
  upsert_async (manager, v1, &r, 0);
  upsert_async (manager, bad, &r, 1);
  upsert_async (manager, v2, &r, 2);
  upsert_async (manager, v3, &r, 3);
  /* Nothing is applied before the writes are done. */
  g_assert_false (kantor_strategy_manager_get_info (manager, "eps", NULL, NULL, NULL));
  while (r.n_done < 4)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  /* The refused document changes nothing; the others complete in call
   * order, with versions in that order. */
  g_assert_false (r.ok[1]);
  g_assert_cmpuint (r.n_errors[1], >, 0);
  for (guint k = 0; k < 4; k++)
    {
      guint i = r.order[k];

      if (i == 1)
        continue;
      g_assert_true (r.ok[i]);
      g_assert_cmpuint (i, ==, n == 0 ? 0 : n + 1);
      g_assert_cmpuint (r.versions[i], ==, ++n);
      g_assert_cmpuint (r.n_errors[i], ==, 0);
    }
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpuint (version_of (manager, "eps"), ==, 3);
  on_disk = read_file (f->dir, "eps.json");
  {
    g_autoptr(JsonNode) back = parse_json (on_disk);

    g_assert_true (json_node_equal (back, v3));
  }
  manager_free (manager);

  manager = manager_new (f);
  g_assert_cmpuint (version_of (manager, "eps"), ==, 3);
  manager_free (manager);
}

static void
push_trade (KantorStrategyManager *manager,
            const char            *symbol,
            gint64                 time_ms,
            double                 price,
            double                 volume)
{
  KantorMarketEvent event = {
    .kind = KANTOR_EVENT_TRADE,
    .time_ms = time_ms,
    .symbol = g_intern_string (symbol),
    .price = price,
    .volume = volume,
  };

  kantor_strategy_manager_push_event (manager, &event);
}

static KantorActivationInfo *
status_of (KantorStrategyManager *manager,
           const char            *name,
           const char            *symbol)
{
  g_autoptr(GPtrArray) list = kantor_strategy_manager_list_activations (manager, name, symbol);

  g_assert_cmpuint (list->len, ==, 1);
  return g_ptr_array_steal_index (list, 0);
}

typedef struct
{
  GArray *types;     /* KantorSignalType */
  guint   swaps;
  guint   last_swap_version;
} Recorder;

static void
on_activation_signal (KantorStrategyManager *manager,
                      const char            *owner,
                      gpointer               signal,
                      gpointer               user_data)
{
  Recorder *r = user_data;
  const KantorSignal *s = signal;

  g_array_append_val (r->types, s->type);
}

static void
on_swapped (KantorStrategyManager *manager,
            const char            *name,
            const char            *symbol,
            guint                  version,
            gpointer               user_data)
{
  Recorder *r = user_data;

  r->swaps++;
  r->last_swap_version = version;
}

static void
test_hot_swap (Fixture       *f,
               gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  g_autoptr(JsonNode) v1 = doc_node ("gamma", 100, TRUE);
  g_autoptr(JsonNode) v2 = doc_node ("gamma", 200, TRUE);
  g_autoptr(GError) error = NULL;
  Recorder r = { g_array_new (FALSE, FALSE, sizeof (KantorSignalType)), 0, 0 };
  gint64 t = T0;

  g_assert_true (kantor_strategy_manager_upsert (manager, v1, NULL, NULL, NULL, &error));
  g_signal_connect (manager, "activation-signal", G_CALLBACK (on_activation_signal), &r);
  g_signal_connect (manager, "activation-swapped", G_CALLBACK (on_swapped), &r);
  g_assert_true (kantor_strategy_manager_activate (manager, "gamma", "ETHUSDT", NULL, &error));
  g_assert_no_error (error);

  /* S1 (price >= 100), then the entry (volume >= 5): a position opens. */
  push_trade (manager, "ETHUSDT", t += 1000, 150, 1);
  push_trade (manager, "ETHUSDT", t += 1000, 150, 5);
  {
    g_autoptr(KantorActivationInfo) info = status_of (manager, "gamma", "ETHUSDT");

    g_assert_cmpint (info->state, ==, KANTOR_ACTIVATION_POSITION_ACTIVE);
    g_assert_true (info->has_position);
    g_assert_cmpfloat (info->position.entry_price, ==, 150);
    g_assert_cmpint (info->state_since_ms, ==, t);
    g_assert_cmpuint (info->version, ==, 1);
  }
  g_assert_cmpuint (r.types->len, ==, 2);
  g_assert_cmpint (g_array_index (r.types, KantorSignalType, 0), ==, KANTOR_SIGNAL_S1_SIGNAL);
  g_assert_cmpint (g_array_index (r.types, KantorSignalType, 1), ==, KANTOR_SIGNAL_Z1_ENTRY);

  /* Version 2 arrives while the position is open: it waits. */
  g_assert_true (kantor_strategy_manager_upsert (manager, v2, NULL, NULL, NULL, &error));
  for (int i = 0; i < 5; i++)
    push_trade (manager, "ETHUSDT", t += 1000, 150, 1);
  {
    g_autoptr(KantorActivationInfo) info = status_of (manager, "gamma", "ETHUSDT");

    g_assert_cmpint (info->state, ==, KANTOR_ACTIVATION_POSITION_ACTIVE);
    g_assert_cmpuint (info->version, ==, 1);
    g_assert_true (info->swap_pending);
    g_assert_cmpuint (info->n_events, ==, 7);
  }
  g_assert_cmpuint (r.swaps, ==, 0);

  /* The close (volume >= 50) frees the activation: version 2 takes over. */
  push_trade (manager, "ETHUSDT", t += 1000, 150, 60);
  {
    g_autoptr(KantorActivationInfo) info = status_of (manager, "gamma", "ETHUSDT");

    g_assert_false (info->has_position);
    g_assert_cmpuint (info->version, ==, 2);
    g_assert_false (info->swap_pending);
  }
  g_assert_cmpuint (r.swaps, ==, 1);
  g_assert_cmpuint (r.last_swap_version, ==, 2);
  g_assert_cmpint (g_array_index (r.types, KantorSignalType, r.types->len - 1), ==,
                   KANTOR_SIGNAL_ZE1_CLOSE);

  /* The new version runs: 150 no longer raises S1, 250 does. */
  push_trade (manager, "ETHUSDT", t += 1000, 150, 1);
  g_assert_cmpuint (r.types->len, ==, 3);
  push_trade (manager, "ETHUSDT", t += 1000, 250, 1);
  g_assert_cmpuint (r.types->len, ==, 4);
  g_assert_cmpint (g_array_index (r.types, KantorSignalType, 3), ==, KANTOR_SIGNAL_S1_SIGNAL);

  /* A pending signal also holds a swap back ... */
  {
    g_autoptr(JsonNode) v3 = doc_node ("gamma", 100, TRUE);
    g_autoptr(KantorActivationInfo) info = NULL;

    g_assert_true (kantor_strategy_manager_upsert (manager, v3, NULL, NULL, NULL, &error));
    info = status_of (manager, "gamma", "ETHUSDT");
    g_assert_cmpint (info->state, ==, KANTOR_ACTIVATION_SIGNAL_DETECTED);
    g_assert_cmpuint (info->version, ==, 2);
    g_assert_true (info->swap_pending);
  }
  /* ... until the timeout (600 s) cancels it. */
  push_trade (manager, "ETHUSDT", t += 601000, 150, 1);
  {
    g_autoptr(KantorActivationInfo) info = status_of (manager, "gamma", "ETHUSDT");

    g_assert_cmpint (info->state, ==, KANTOR_ACTIVATION_COOLDOWN);
    g_assert_cmpuint (info->version, ==, 3);
  }
  g_assert_cmpuint (r.swaps, ==, 2);

  /* An idle activation swaps at once. */
  {
    g_autoptr(JsonNode) v4 = doc_node ("gamma", 300, TRUE);
    g_autoptr(KantorActivationInfo) info = NULL;

    g_assert_true (kantor_strategy_manager_upsert (manager, v4, NULL, NULL, NULL, &error));
    info = status_of (manager, "gamma", "ETHUSDT");
    g_assert_cmpuint (info->version, ==, 4);
    /* The cooldown was carried over, not restarted. */
    g_assert_cmpint (info->state, ==, KANTOR_ACTIVATION_COOLDOWN);
  }
  g_assert_cmpuint (r.swaps, ==, 3);

  g_array_unref (r.types);
  manager_free (manager);
}

static void
test_activations (Fixture       *f,
                  gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  g_autoptr(JsonNode) on = doc_node ("delta", 100, TRUE);
  g_autoptr(JsonNode) off = doc_node ("off", 100, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) bare = NULL;
  g_autoptr(GPtrArray) owned = NULL;
  g_auto(GStrv) symbols = NULL;
  Recorder r = { g_array_new (FALSE, FALSE, sizeof (KantorSignalType)), 0, 0 };
  const char *expected_symbols[] = { "BTCUSDT", "ETHUSDT", NULL };

  g_assert_true (kantor_strategy_manager_upsert (manager, on, NULL, NULL, NULL, &error));
  g_assert_true (kantor_strategy_manager_upsert (manager, off, NULL, NULL, NULL, &error));
  g_signal_connect (manager, "activation-signal", G_CALLBACK (on_activation_signal), &r);

  g_assert_false (kantor_strategy_manager_activate (manager, "nope", "BTCUSDT", NULL, &error));
  g_assert_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (kantor_strategy_manager_activate (manager, "off", "BTCUSDT", NULL, &error));
  g_assert_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_DISABLED);
  g_clear_error (&error);
  g_assert_false (kantor_strategy_manager_activate (manager, "delta", "btc-usdt", NULL, &error));
  g_assert_error (error, KANTOR_STRATEGY_MANAGER_ERROR,
                  KANTOR_STRATEGY_MANAGER_ERROR_INVALID_SYMBOL);
  g_clear_error (&error);

  g_assert_true (kantor_strategy_manager_activate (manager, "delta", "BTCUSDT", NULL, &error));
  g_assert_true (kantor_strategy_manager_activate (manager, "delta", "BTCUSDT", NULL, &error));
  g_assert_true (kantor_strategy_manager_activate (manager, "delta", "ETHUSDT", "session-1",
                                                   &error));
  g_assert_no_error (error);
  /* One owner per (strategy, symbol). */
  g_assert_false (kantor_strategy_manager_activate (manager, "delta", "BTCUSDT", "session-1",
                                                    &error));
  g_assert_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_ACTIVE);
  g_clear_error (&error);

  symbols = kantor_strategy_manager_get_active_symbols (manager, "delta");
  g_assert_cmpstrv (symbols, expected_symbols);
  bare = kantor_strategy_manager_list_activations_by_owner (manager, NULL);
  owned = kantor_strategy_manager_list_activations_by_owner (manager, "session-1");
  g_assert_cmpuint (bare->len, ==, 1);
  g_assert_cmpuint (owned->len, ==, 1);
  g_assert_cmpstr (((KantorActivationInfo *) owned->pdata[0])->symbol, ==, "ETHUSDT");

  /* Events reach only their symbol's activations. */
  push_trade (manager, "ETHUSDT", T0, 150, 1);
  push_trade (manager, "ETHUSDT", T0 + 1000, 150, 5);
  push_trade (manager, "XRPUSDT", T0 + 1000, 150, 5);
  {
    g_autoptr(KantorActivationInfo) eth = status_of (manager, "delta", "ETHUSDT");
    g_autoptr(KantorActivationInfo) btc = status_of (manager, "delta", "BTCUSDT");
    g_autoptr(JsonNode) json = kantor_activation_info_to_json (eth);
    JsonObject *obj = json_node_get_object (json);

    g_assert_cmpuint (eth->n_events, ==, 2);
    g_assert_cmpuint (btc->n_events, ==, 0);
    g_assert_true (eth->has_position);
    g_assert_cmpstr (json_object_get_string_member (obj, "state"), ==, "POSITION_ACTIVE");
    g_assert_cmpstr (json_object_get_string_member (obj, "owner"), ==, "session-1");
    g_assert_cmpint (json_object_get_int_member (obj, "since"), ==, T0 + 1000);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (obj,
                                                                                   "position"),
                                                    "side"), ==, "buy");
  }

  /* Removing the owner's activations closes the open position. */
  g_assert_cmpuint (kantor_strategy_manager_deactivate_owner (manager, "session-1"), ==, 1);
  g_assert_cmpint (g_array_index (r.types, KantorSignalType, r.types->len - 1), ==,
                   KANTOR_SIGNAL_SESSION_END);
  g_assert_true (kantor_strategy_manager_deactivate (manager, "delta", "BTCUSDT", &error));
  g_assert_false (kantor_strategy_manager_deactivate (manager, "delta", "BTCUSDT", &error));
  g_assert_error (error, KANTOR_STRATEGY_MANAGER_ERROR, KANTOR_STRATEGY_MANAGER_ERROR_NOT_FOUND);
  {
    g_autoptr(GPtrArray) none = kantor_strategy_manager_list_activations (manager, NULL, NULL);

    g_assert_cmpuint (none->len, ==, 0);
  }
  g_array_unref (r.types);
  manager_free (manager);
}

typedef struct
{
  GArray *types;
  guint   handled;
} Reentrant;

/* On the entry, removes its own activation and adds another one: both from
 * inside the activation's own hook. */
static void
on_signal_reenter (KantorStrategyManager *manager,
                   const char            *owner,
                   gpointer               signal,
                   gpointer               user_data)
{
  Reentrant *r = user_data;
  const KantorSignal *s = signal;
  g_autoptr(GError) error = NULL;

  g_array_append_val (r->types, s->type);
  if (s->type != KANTOR_SIGNAL_Z1_ENTRY || r->handled++ > 0)
    return;
  g_assert_true (kantor_strategy_manager_deactivate (manager, "zeta", "ETHUSDT", &error));
  g_assert_no_error (error);
  g_assert_true (kantor_strategy_manager_activate (manager, "eta", "ETHUSDT", NULL, &error));
  g_assert_no_error (error);
}

static void
test_reentrancy (Fixture       *f,
                 gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  g_autoptr(JsonNode) zeta = doc_node ("zeta", 100, TRUE);
  g_autoptr(JsonNode) eta = doc_node ("eta", 100, TRUE);
  g_autoptr(GError) error = NULL;
  Reentrant r = { g_array_new (FALSE, FALSE, sizeof (KantorSignalType)), 0 };

  g_assert_true (kantor_strategy_manager_upsert (manager, zeta, NULL, NULL, NULL, &error));
  g_assert_true (kantor_strategy_manager_upsert (manager, eta, NULL, NULL, NULL, &error));
  g_assert_true (kantor_strategy_manager_activate (manager, "zeta", "ETHUSDT", NULL, &error));
  g_signal_connect (manager, "activation-signal", G_CALLBACK (on_signal_reenter), &r);

  push_trade (manager, "ETHUSDT", T0, 150, 1);
  push_trade (manager, "ETHUSDT", T0 + 1000, 150, 5);
  /* S1, the entry, then the removal closed the position once the event
   * was over. */
  g_assert_cmpuint (r.types->len, ==, 3);
  g_assert_cmpint (g_array_index (r.types, KantorSignalType, 1), ==, KANTOR_SIGNAL_Z1_ENTRY);
  g_assert_cmpint (g_array_index (r.types, KantorSignalType, 2), ==, KANTOR_SIGNAL_SESSION_END);
  {
    g_autoptr(GPtrArray) list = kantor_strategy_manager_list_activations (manager, NULL, NULL);
    KantorActivationInfo *info;

    g_assert_cmpuint (list->len, ==, 1);
    info = g_ptr_array_index (list, 0);
    g_assert_cmpstr (info->strategy, ==, "eta");
    /* Added during the event: it starts with the next one. */
    g_assert_cmpuint (info->n_events, ==, 0);
  }
  push_trade (manager, "ETHUSDT", T0 + 2000, 150, 1);
  {
    g_autoptr(KantorActivationInfo) info = status_of (manager, "eta", "ETHUSDT");

    g_assert_cmpuint (info->n_events, ==, 1);
    g_assert_cmpint (info->state, ==, KANTOR_ACTIVATION_SIGNAL_DETECTED);
  }
  g_array_unref (r.types);
  manager_free (manager);
}

/* The feed drives activations in real time; at a high speed the test
 * does not wait for the wall clock. */
typedef struct
{
  GArray *times;
  guint   destroyed;
} FeedRecorder;

static void
on_feed_event (KantorMarketFeed        *feed,
               const KantorMarketEvent *event,
               gpointer                 user_data)
{
  FeedRecorder *r = user_data;

  g_assert_cmpstr (event->symbol, ==, "BTCUSDT");
  g_assert_true (event->symbol == g_intern_string ("BTCUSDT"));
  g_array_append_val (r->times, event->time_ms);
}

static void
feed_recorder_destroyed (gpointer data)
{
  ((FeedRecorder *) data)->destroyed++;
}

static void
test_feed (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(KantorMarketFeed) feed = kantor_market_feed_new_synthetic (42);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  FeedRecorder r = { times, 0 };
  gint64 start_ms = g_get_real_time () / 1000;
  guint id;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_cmpstr (kantor_market_feed_get_name (feed), ==, "synthetic");
  g_assert_cmpint (kantor_market_feed_get_state (feed), ==, KANTOR_MARKET_FEED_STATE_IDLE);
  g_assert_cmpuint (kantor_market_feed_subscribe (feed, "btc/usdt", on_feed_event, &r,
                                                  feed_recorder_destroyed), ==, 0);
  g_assert_cmpuint (r.destroyed, ==, 0);
  kantor_market_feed_set_speed (feed, 500);
  id = kantor_market_feed_subscribe (feed, "BTCUSDT", on_feed_event, &r,
                                     feed_recorder_destroyed);
  g_assert_cmpuint (id, >, 0);
  g_assert_cmpint (kantor_market_feed_get_state (feed), ==, KANTOR_MARKET_FEED_STATE_RUNNING);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 1);

  while (times->len < 200 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (times->len, >=, 200);
  /* Event time starts at the wall clock and never goes back. */
  g_assert_cmpint (g_array_index (times, gint64, 0), >=, start_ms);
  g_assert_cmpint (g_array_index (times, gint64, 0), <=, g_get_real_time () / 1000);
  for (guint i = 1; i < times->len; i++)
    g_assert_cmpint (g_array_index (times, gint64, i), >=, g_array_index (times, gint64, i - 1));

  kantor_market_feed_unsubscribe (feed, id);
  g_assert_cmpuint (r.destroyed, ==, 1);
  kantor_market_feed_unsubscribe (feed, id);
  g_assert_cmpuint (r.destroyed, ==, 1);
  g_assert_cmpint (kantor_market_feed_get_state (feed), ==, KANTOR_MARKET_FEED_STATE_IDLE);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 0);
}

static void
on_count (KantorMarketFeed        *feed,
          const KantorMarketEvent *event,
          gpointer                 user_data)
{
  (*(guint *) user_data)++;
}

static void
test_feed_drives_manager (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(KantorMarketFeed) feed = kantor_market_feed_new_synthetic (7);
  g_autoptr(GError) error = NULL;
  KantorStrategyManager *manager;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint n_other = 0, other;

  kantor_market_feed_set_speed (feed, 500);
  manager = kantor_strategy_manager_new (f->dir, feed, &error);
  g_assert_no_error (error);
  other = kantor_market_feed_subscribe (feed, "SOLUSDT", on_count, &n_other, NULL);
  g_assert_true (kantor_strategy_manager_activate (manager, "pump_rider", "SOLUSDT", NULL,
                                                   &error));
  g_assert_true (kantor_strategy_manager_activate (manager, "rsi_mean_reversion", "SOLUSDT",
                                                   NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 1);

  for (;;)
    {
      g_autoptr(GPtrArray) list = kantor_strategy_manager_list_activations (manager, NULL,
                                                                            "SOLUSDT");
      KantorActivationInfo *a = list->pdata[0], *b = list->pdata[1];

      g_assert_cmpuint (list->len, ==, 2);
      if (a->n_events >= 100 && b->n_events >= 100)
        {
          /* Both saw the same events, in the feed's order. */
          g_assert_cmpint (a->last_event_ms, ==, b->last_event_ms);
          break;
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (n_other, >=, 100);

  /* The symbol keeps running for the other subscriber alone ... */
  g_assert_true (kantor_strategy_manager_deactivate (manager, "pump_rider", "SOLUSDT", &error));
  g_assert_true (kantor_strategy_manager_deactivate (manager, "rsi_mean_reversion", "SOLUSDT",
                                                     &error));
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 1);
  /* ... and stops with it. */
  kantor_market_feed_unsubscribe (feed, other);
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 0);

  g_assert_true (kantor_strategy_manager_activate (manager, "pump_rider", "ADAUSDT", NULL,
                                                   &error));
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 1);
  manager_free (manager);
  /* Dropping the manager ends its subscriptions. */
  g_assert_cmpuint (kantor_market_feed_get_n_symbols (feed), ==, 0);
}

/* A provider standing for a session manager: @owner's activations of
 * "delta" on @symbols. */
typedef struct
{
  const char         *owner;
  const char * const *symbols;
  guint               calls;
} FakeProvider;

static GPtrArray *
provide (gpointer user_data)
{
  FakeProvider *p = user_data;
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) kantor_activation_info_free);

  p->calls++;
  for (guint i = 0; p->symbols[i] != NULL; i++)
    {
      KantorActivationInfo *info = g_new0 (KantorActivationInfo, 1);

      info->strategy = g_strdup ("delta");
      info->symbol = g_strdup (p->symbols[i]);
      info->owner = g_strdup (p->owner);
      info->version = 7;
      info->state = KANTOR_ACTIVATION_POSITION_ACTIVE;
      info->state_since_ms = T0 + i;
      info->has_position = TRUE;
      info->position.qty = 2;
      g_ptr_array_add (list, info);
    }
  return list;
}

static void
assert_info (GPtrArray  *list,
             guint       index,
             const char *symbol,
             const char *owner)
{
  const KantorActivationInfo *info = g_ptr_array_index (list, index);

  g_assert_cmpstr (info->strategy, ==, "delta");
  g_assert_cmpstr (info->symbol, ==, symbol);
  g_assert_cmpstr (info->owner, ==, owner);
}

/* Activations run elsewhere are listed with the manager's own, filtered
 * the same way, the bare one of a pair first, until their provider goes. */
static void
test_activation_providers (Fixture       *f,
                           gconstpointer  data)
{
  KantorStrategyManager *manager = manager_new (f);
  g_autoptr(JsonNode) doc = doc_node ("delta", 100, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) btc = NULL;
  g_autoptr(GPtrArray) owned = NULL;
  g_autoptr(GPtrArray) bare = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_auto(GStrv) symbols = NULL;
  g_auto(GStrv) symbols_after = NULL;
  FakeProvider a = { "s-a", (const char *[]) { "SOLUSDT", "BTCUSDT", NULL }, 0 };
  FakeProvider b = { "s-b", (const char *[]) { "ADAUSDT", NULL }, 0 };
  const KantorActivationInfo *info;

  g_assert_true (kantor_strategy_manager_upsert (manager, doc, NULL, NULL, NULL, &error));
  g_assert_true (kantor_strategy_manager_activate (manager, "delta", "BTCUSDT", NULL, &error));
  g_assert_no_error (error);
  kantor_strategy_manager_add_activation_provider (manager, provide, &a);
  kantor_strategy_manager_add_activation_provider (manager, provide, &b);

  all = kantor_strategy_manager_list_activations (manager, "delta", NULL);
  g_assert_cmpuint (all->len, ==, 4);
  assert_info (all, 0, "ADAUSDT", "s-b");
  assert_info (all, 1, "BTCUSDT", NULL);
  assert_info (all, 2, "BTCUSDT", "s-a");
  assert_info (all, 3, "SOLUSDT", "s-a");
  info = g_ptr_array_index (all, 2);
  g_assert_cmpuint (info->version, ==, 7);
  g_assert_cmpint (info->state, ==, KANTOR_ACTIVATION_POSITION_ACTIVE);
  g_assert_true (info->has_position);
  node = kantor_activation_info_to_json (info);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "owner"), ==,
                   "s-a");
  g_assert_cmpfloat (json_object_get_double_member (
                       json_object_get_object_member (json_node_get_object (node), "position"),
                       "qty"), ==, 2);

  btc = kantor_strategy_manager_list_activations (manager, NULL, "BTCUSDT");
  g_assert_cmpuint (btc->len, ==, 2);
  assert_info (btc, 0, "BTCUSDT", NULL);
  assert_info (btc, 1, "BTCUSDT", "s-a");
  owned = kantor_strategy_manager_list_activations_by_owner (manager, "s-a");
  g_assert_cmpuint (owned->len, ==, 2);
  bare = kantor_strategy_manager_list_activations_by_owner (manager, NULL);
  g_assert_cmpuint (bare->len, ==, 1);
  none = kantor_strategy_manager_list_activations (manager, "other", NULL);
  g_assert_cmpuint (none->len, ==, 0);

  symbols = kantor_strategy_manager_get_active_symbols (manager, "delta");
  g_assert_cmpstrv (symbols, ((const char *[]) { "ADAUSDT", "BTCUSDT", "SOLUSDT", NULL }));
  g_assert_cmpuint (a.calls, ==, 6);

  /* Each provider goes with its own data; the manager's activation stays. */
  kantor_strategy_manager_remove_activation_provider (manager, &a);
  after = kantor_strategy_manager_list_activations (manager, NULL, NULL);
  g_assert_cmpuint (after->len, ==, 2);
  assert_info (after, 0, "ADAUSDT", "s-b");
  assert_info (after, 1, "BTCUSDT", NULL);
  kantor_strategy_manager_remove_activation_provider (manager, &b);
  symbols_after = kantor_strategy_manager_get_active_symbols (manager, "delta");
  g_assert_cmpstrv (symbols_after, ((const char *[]) { "BTCUSDT", NULL }));
  g_assert_cmpuint (a.calls, ==, 6);
  manager_free (manager);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/kantor/service/strategy-manager/examples", Fixture, NULL,
              setup, test_examples, teardown);
  g_test_add ("/kantor/service/strategy-manager/bad-files-skipped", Fixture, NULL,
              setup_used, test_bad_files_skipped, teardown);
  g_test_add ("/kantor/service/strategy-manager/upsert-versions", Fixture, NULL,
              setup_used, test_upsert_versions, teardown);
  g_test_add ("/kantor/service/strategy-manager/upsert-invalid-changes-nothing", Fixture, NULL,
              setup_used, test_upsert_invalid_changes_nothing, teardown);
  g_test_add ("/kantor/service/strategy-manager/upsert-bad-name", Fixture, NULL,
              setup_used, test_upsert_bad_name, teardown);
  g_test_add ("/kantor/service/strategy-manager/upsert-async", Fixture, NULL,
              setup_used, test_upsert_async, teardown);
  g_test_add ("/kantor/service/strategy-manager/hot-swap", Fixture, NULL,
              setup_used, test_hot_swap, teardown);
  g_test_add ("/kantor/service/strategy-manager/activations", Fixture, NULL,
              setup_used, test_activations, teardown);
  g_test_add ("/kantor/service/strategy-manager/activation-providers", Fixture, NULL,
              setup_used, test_activation_providers, teardown);
  g_test_add ("/kantor/service/strategy-manager/reentrancy", Fixture, NULL,
              setup_used, test_reentrancy, teardown);
  g_test_add ("/kantor/service/market-feed/synthetic", Fixture, NULL,
              setup, test_feed, teardown);
  g_test_add ("/kantor/service/market-feed/drives-manager", Fixture, NULL,
              setup, test_feed_drives_manager, teardown);

  return g_test_run ();
}
