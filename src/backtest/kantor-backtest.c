/* kantor-backtest.c: run a backtest from the command line, no server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>

#include "kantor-binance-source.h"
#include "kantor-collection-source.h"
#include "kantor-csv.h"
#include "kantor-engine.h"
#include "kantor-json.h"
#include "kantor-synthetic-source.h"

#define EXIT_USAGE 2

/* The synthetic feed never ends by itself; this many events unless told. */
#define DEFAULT_SYNTHETIC_EVENTS 1000000

typedef struct
{
  char      **strategy_files;
  char       *data;
  char      **symbols;
  char       *from;
  char       *to;
  gboolean    json;
  gboolean    stats;
  char       *dump_path;
  char       *fee_rate;
  char       *slippage_bps;
  char       *initial_balance;
  char       *speed;
} Options;

static void
options_clear (Options *o)
{
  g_strfreev (o->strategy_files);
  g_free (o->data);
  g_strfreev (o->symbols);
  g_free (o->from);
  g_free (o->to);
  g_free (o->dump_path);
  g_free (o->fee_rate);
  g_free (o->slippage_bps);
  g_free (o->initial_balance);
  g_free (o->speed);
}

/* --dump-indicators: one row per event of a traded symbol. */
typedef struct
{
  FILE                 *out;
  char                 *path;
  KantorEngine         *engine;
  GPtrArray            *strategies;   /* KantorStrategy, column order */
  GHashTable           *slots;        /* interned symbol -> DumpSymbol */
  const char           *cached_name;  /* the symbol of the last event */
  struct _DumpSymbol   *cached;
  GString              *line;
  gboolean              failed;
} Dump;

/* What a row needs of a symbol, looked up once rather than per event. */
typedef struct _DumpSymbol
{
  GArray             *slots;          /* guint slots, column order */
  KantorIndicatorSet *set;
  const KantorQuote  *quote;
} DumpSymbol;

static void
dump_symbol_free (gpointer data)
{
  DumpSymbol *symbol = data;

  g_array_unref (symbol->slots);
  g_free (symbol);
}

static gboolean
parse_number (const char  *option,
              const char  *text,
              double       min_value,
              double       max_value,
              gboolean     max_inclusive,
              double      *value,
              GError     **error)
{
  if (!kantor_csv_parse_double (text, strlen (text), value) || !isfinite (*value)
      || *value < min_value || *value > max_value || (!max_inclusive && *value == max_value))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: “%s” is not a number in [%g, %g%c", option, text, min_value, max_value,
                   max_inclusive ? ']' : ')');
      return FALSE;
    }
  return TRUE;
}

/* Epoch seconds (with up to millisecond decimals), epoch milliseconds (13+
 * digits), an ISO-8601 date-time (UTC unless it says otherwise) or a date. */
static gboolean
parse_time (const char  *option,
            const char  *text,
            gint64      *time_ms,
            GError     **error)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) dt = NULL;
  gint64 n;

  if (kantor_csv_parse_int64 (text, strlen (text), &n) && n >= 0)
    {
      *time_ms = strlen (text) >= 13 ? n : n * 1000;
      return TRUE;
    }
  if (kantor_csv_parse_seconds_ms (text, strlen (text), time_ms))
    return TRUE;

  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL && strlen (text) == 10)
    {
      g_autofree char *midnight = g_strconcat (text, "T00:00:00Z", NULL);

      dt = g_date_time_new_from_iso8601 (midnight, utc);
    }
  if (dt == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: “%s” is neither epoch seconds, epoch milliseconds, an ISO-8601 time "
                   "nor a date", option, text);
      return FALSE;
    }

  *time_ms = g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000;
  return TRUE;
}

static gboolean
parse_count (const char *text,
             guint64    *value)
{
  gsize len = strlen (text);
  guint64 mult = 1;
  gint64 n;

  if (len > 0 && (text[len - 1] == 'k' || text[len - 1] == 'K'))
    mult = 1000, len--;
  else if (len > 0 && text[len - 1] == 'M')
    mult = 1000000, len--;
  else if (len > 0 && text[len - 1] == 'G')
    mult = 1000000000, len--;

  if (!kantor_csv_parse_int64 (text, len, &n) || n < 0 || (guint64) n > G_MAXUINT64 / mult)
    return FALSE;
  *value = (guint64) n * mult;
  return TRUE;
}

static gboolean
folder_is_collection (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  g_autofree char *direct = g_build_filename (path, "prices.csv", NULL);
  const char *name;

  if (g_file_test (direct, G_FILE_TEST_EXISTS))
    return TRUE;

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *prices = g_build_filename (path, name, "prices.csv", NULL);

      if (g_file_test (prices, G_FILE_TEST_EXISTS))
        return TRUE;
    }
  return FALSE;
}

static KantorMarketSource *
open_source (const Options  *o,
             GError        **error)
{
  if (g_str_has_prefix (o->data, "synthetic:"))
    {
      static const char * const default_symbols[] = { "BTCUSDT", NULL };
      g_auto(GStrv) parts = g_strsplit (o->data + strlen ("synthetic:"), ":", -1);
      guint64 seed, n_events = DEFAULT_SYNTHETIC_EVENTS;
      g_autoptr(GPtrArray) upper = g_ptr_array_new_with_free_func (g_free);
      guint i;

      if (g_strv_length (parts) < 1 || g_strv_length (parts) > 2
          || !parse_count (parts[0], &seed)
          || (parts[1] != NULL && (!parse_count (parts[1], &n_events) || n_events == 0)))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--data: “%s” is not synthetic:SEED[:EVENTS] (EVENTS > 0, "
                       "suffixes k, M, G allowed)", o->data);
          return NULL;
        }
      for (i = 0; o->symbols != NULL && o->symbols[i] != NULL; i++)
        g_ptr_array_add (upper, g_ascii_strup (o->symbols[i], -1));
      g_ptr_array_add (upper, NULL);

      return kantor_synthetic_source_new (upper->len > 1 ? (const char * const *) upper->pdata
                                                         : default_symbols,
                                          seed, KANTOR_SYNTHETIC_DEFAULT_START_MS, n_events,
                                          error);
    }

  if (g_file_test (o->data, G_FILE_TEST_IS_DIR) && folder_is_collection (o->data))
    {
      g_autoptr(GPtrArray) upper = g_ptr_array_new_with_free_func (g_free);
      guint i;

      for (i = 0; o->symbols != NULL && o->symbols[i] != NULL; i++)
        g_ptr_array_add (upper, g_ascii_strup (o->symbols[i], -1));
      g_ptr_array_add (upper, NULL);

      return kantor_collection_source_new (o->data,
                                           upper->len > 1 ? (const char * const *) upper->pdata
                                                          : NULL,
                                           error);
    }

  if (g_file_test (o->data, G_FILE_TEST_EXISTS))
    {
      if (o->symbols != NULL && g_strv_length (o->symbols) > 1)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--symbol: Binance trade files take at most one symbol");
          return NULL;
        }
      return kantor_binance_source_new (o->data, o->symbols != NULL ? o->symbols[0] : NULL,
                                        error);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               "--data: %s: no such file or folder (nor synthetic:SEED[:EVENTS])", o->data);
  return NULL;
}

static KantorStrategy *
load_strategy (const char  *path,
               GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(KantorDiagnostics) diag = kantor_diagnostics_new ();
  g_autoptr(GString) text = NULL;
  KantorStrategy *strategy;
  gsize len;
  guint i;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;

  strategy = kantor_strategy_new_from_data (contents, len, diag);

  for (i = 0; i < kantor_diagnostics_get_n_warnings (diag); i++)
    {
      const KantorDiagnostic *d = kantor_diagnostics_get_warning (diag, i);

      g_printerr ("%s: warning: %s: %s\n", path, d->path[0] ? d->path : "/", d->message);
    }

  if (strategy != NULL)
    return strategy;

  text = g_string_new (NULL);
  g_string_append_printf (text, "%s: not a valid strategy", path);
  for (i = 0; i < kantor_diagnostics_get_n_errors (diag); i++)
    {
      const KantorDiagnostic *d = kantor_diagnostics_get_error (diag, i);

      g_string_append_printf (text, "\n  %s: %s", d->path[0] ? d->path : "/", d->message);
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, text->str);
  return NULL;
}

static void
append_number (GString *out,
               double   v)
{
  char buf[32];
  gsize len = kantor_format_double (v, buf);

  g_string_append_len (out, buf, (gssize) len);
}

static void
append_int64 (GString *out,
              gint64   v)
{
  char buf[24];
  guint64 u = v < 0 ? 0 - (guint64) v : (guint64) v;
  int i = sizeof buf;

  do
    buf[--i] = (char) ('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    buf[--i] = '-';
  g_string_append_len (out, buf + i, (gssize) sizeof buf - i);
}

static void
dump_on_event (const KantorMarketEvent *event,
               gpointer                 user_data)
{
  Dump *dump = user_data;
  DumpSymbol *symbol;
  GArray *slots;
  KantorIndicatorSet *set;
  const KantorQuote *quote;
  guint i;

  if (event->symbol != dump->cached_name)
    {
      dump->cached_name = event->symbol;
      dump->cached = g_hash_table_lookup (dump->slots, event->symbol);
    }
  symbol = dump->cached;
  if (symbol == NULL || dump->failed)
    return;
  slots = symbol->slots;
  set = symbol->set;
  quote = symbol->quote;

  g_string_truncate (dump->line, 0);
  append_int64 (dump->line, event->time_ms);
  g_string_append_c (dump->line, ',');
  g_string_append (dump->line, event->symbol);
  g_string_append (dump->line, event->kind == KANTOR_EVENT_TRADE ? ",trade," : ",book,");
  if (event->kind == KANTOR_EVENT_TRADE)
    append_number (dump->line, event->price);
  g_string_append_c (dump->line, ',');
  if (quote->bid > 0)
    append_number (dump->line, quote->bid);
  g_string_append_c (dump->line, ',');
  if (quote->ask > 0)
    append_number (dump->line, quote->ask);

  for (i = 0; i < slots->len; i++)
    {
      double v;

      g_string_append_c (dump->line, ',');
      if (kantor_indicator_set_get_value (set, g_array_index (slots, guint, i), &v))
        append_number (dump->line, v);
    }
  g_string_append_c (dump->line, '\n');

  if (fwrite (dump->line->str, 1, dump->line->len, dump->out) != dump->line->len)
    dump->failed = TRUE;
}

static gboolean
dump_open (Dump          *dump,
           const char    *path,
           KantorEngine  *engine,
           GPtrArray     *strategies,
           GError       **error)
{
  const char * const *symbols = kantor_engine_get_symbols (engine);
  g_autoptr(GString) header = g_string_new ("time_ms,symbol,event,price,best_bid,best_ask");
  guint i, j, k;

  dump->path = g_strdup (path);
  dump->engine = engine;
  dump->line = g_string_new (NULL);
  dump->slots = g_hash_table_new_full (NULL, NULL, NULL, dump_symbol_free);

  /* Every declared indicator of every strategy, in document order; a spec
   * already in a symbol's set keeps its slot (adding it again is a
   * lookup), an unused one is added so that it is computed too. */
  for (i = 0; symbols[i] != NULL; i++)
    {
      DumpSymbol *symbol = g_new0 (DumpSymbol, 1);

      symbol->slots = g_array_new (FALSE, FALSE, sizeof (guint));
      symbol->set = kantor_engine_get_indicator_set (engine, symbols[i]);
      symbol->quote = kantor_engine_get_quote (engine, symbols[i]);
      g_hash_table_insert (dump->slots, (gpointer) symbols[i], symbol);
    }

  for (j = 0; j < strategies->len; j++)
    {
      KantorStrategy *strategy = strategies->pdata[j];

      for (k = 0; k < kantor_strategy_get_n_indicators (strategy); k++)
        {
          g_string_append_printf (header, ",%s.%s", kantor_strategy_get_name (strategy),
                                  kantor_strategy_get_indicator_key (strategy, k));
          for (i = 0; symbols[i] != NULL; i++)
            {
              DumpSymbol *symbol = g_hash_table_lookup (dump->slots, symbols[i]);
              guint slot = kantor_indicator_set_add (
                symbol->set, kantor_strategy_get_indicator_spec (strategy, k));

              g_array_append_val (symbol->slots, slot);
            }
        }
    }
  g_string_append_c (header, '\n');

  dump->out = fopen (path, "w");
  if (dump->out == NULL)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "--dump-indicators: %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  setvbuf (dump->out, NULL, _IOFBF, 1 << 20);
  if (fwrite (header->str, 1, header->len, dump->out) != header->len)
    dump->failed = TRUE;

  return TRUE;
}

static gboolean
dump_close (Dump    *dump,
            GError **error)
{
  gboolean ok = TRUE;

  if (dump->out != NULL)
    {
      if (fclose (dump->out) != 0)
        dump->failed = TRUE;
      dump->out = NULL;
      if (dump->failed)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "--dump-indicators: %s: writing failed", dump->path);
          ok = FALSE;
        }
    }
  g_clear_pointer (&dump->path, g_free);
  g_clear_pointer (&dump->slots, g_hash_table_unref);
  if (dump->line != NULL)
    g_string_free (g_steal_pointer (&dump->line), TRUE);

  return ok;
}

static char *
format_time (gint64 time_ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (time_ms / 1000);
  g_autofree char *seconds = NULL;

  if (dt == NULL || time_ms < 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT, time_ms);
  seconds = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", seconds, (int) (time_ms % 1000));
}

static void
print_metrics_row (JsonObject *metrics,
                   const char *name)
{
  JsonNode *node = json_object_get_member (metrics, name);
  char buf[32];

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    g_print ("  %-24s %s\n", name, "-");
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    g_print ("  %-24s %" G_GINT64_FORMAT "\n", name, json_node_get_int (node));
  else
    {
      kantor_format_double (json_node_get_double (node), buf);
      g_print ("  %-24s %s\n", name, buf);
    }
}

static void
print_table (JsonObject *results,
             double      elapsed_s)
{
  JsonObject *metrics = json_object_get_object_member (results, "metrics");
  JsonObject *per_strategy = json_object_get_object_member (results, "per_strategy");
  JsonObject *per_symbol = json_object_get_object_member (results, "per_symbol");
  g_autoptr(GList) names = NULL;
  g_autoptr(GList) members = json_object_get_members (metrics);
  gint64 n_events = json_object_get_int_member (results, "events_processed");
  GList *l;

  g_print ("data:         %s\n", json_object_get_string_member (results, "data"));
  if (!json_object_get_null_member (results, "first_event_ms"))
    {
      g_autofree char *first = format_time (json_object_get_int_member (results,
                                                                        "first_event_ms"));
      g_autofree char *last = format_time (json_object_get_int_member (results,
                                                                       "last_event_ms"));

      g_print ("period:       %s .. %s\n", first, last);
    }
  g_print ("events:       %" G_GINT64_FORMAT " in %.3f s (%.2f M events/s)\n", n_events,
           elapsed_s, elapsed_s > 0 ? n_events / elapsed_s / 1e6 : 0.0);
  g_print ("results_hash: %s\n\nsession\n", json_object_get_string_member (results,
                                                                          "results_hash"));
  for (l = members; l != NULL; l = l->next)
    print_metrics_row (metrics, l->data);

  names = json_object_get_members (per_strategy);
  for (l = names; l != NULL; l = l->next)
    {
      JsonObject *m = json_object_get_object_member (per_strategy, l->data);

      g_print ("\nstrategy %s\n", (const char *) l->data);
      print_metrics_row (m, "total_trades");
      print_metrics_row (m, "win_rate");
      print_metrics_row (m, "net_pnl");
      print_metrics_row (m, "max_drawdown_pct");
      print_metrics_row (m, "sharpe_ratio");
    }
  g_clear_pointer (&names, g_list_free);

  names = json_object_get_members (per_symbol);
  for (l = names; l != NULL; l = l->next)
    {
      JsonObject *m = json_object_get_object_member (per_symbol, l->data);

      g_print ("\nsymbol %s\n", (const char *) l->data);
      print_metrics_row (m, "ticks_processed");
      print_metrics_row (m, "total_trades");
      print_metrics_row (m, "net_pnl");
    }
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return 0;
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
         + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static long
peak_rss_kb (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return -1;
  return usage.ru_maxrss;
}

static int
run (Options  *o,
     GError  **error)
{
  g_autoptr(GPtrArray) strategies = g_ptr_array_new_with_free_func (
    (GDestroyNotify) kantor_strategy_unref);
  g_autoptr(KantorMarketSource) source = NULL;
  g_autoptr(KantorEngine) engine = NULL;
  g_autoptr(JsonObject) results = NULL;
  g_autoptr(JsonArray) strategy_names = json_array_new ();
  g_autoptr(JsonArray) symbol_names = json_array_new ();
  g_autoptr(JsonObject) config_json = json_object_new ();
  KantorLedgerConfig config;
  Dump dump = { 0 };
  const char * const *symbols;
  gint64 from_ms = G_MININT64, to_ms = G_MAXINT64, start_us;
  double speed = 0, elapsed_s, cpu_start, cpu_s;
  gboolean ok;
  guint i, j;

  if (o->strategy_files == NULL || o->data == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "--strategy and --data are required");
      return EXIT_USAGE;
    }

  kantor_ledger_config_init (&config);
  if ((o->fee_rate != NULL
       && !parse_number ("--fee-rate", o->fee_rate, 0, 1, FALSE, &config.fee_rate, error))
      || (o->slippage_bps != NULL
          && !parse_number ("--slippage-bps", o->slippage_bps, 0, 10000, TRUE,
                            &config.slippage_bps, error))
      || (o->initial_balance != NULL
          && (!parse_number ("--initial-balance", o->initial_balance, 0, 1e15, TRUE,
                             &config.initial_balance, error)
              || config.initial_balance == 0))
      || (o->speed != NULL && !parse_number ("--speed", o->speed, 0, 1e9, TRUE, &speed, error))
      || (o->from != NULL && !parse_time ("--from", o->from, &from_ms, error))
      || (o->to != NULL && !parse_time ("--to", o->to, &to_ms, error)))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                     "--initial-balance must be positive");
      return EXIT_USAGE;
    }
  if (from_ms > to_ms)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--to is before --from");
      return EXIT_USAGE;
    }

  for (i = 0; o->strategy_files[i] != NULL; i++)
    {
      KantorStrategy *strategy = load_strategy (o->strategy_files[i], error);

      if (strategy == NULL)
        return EXIT_FAILURE;
      if (!kantor_strategy_get_enabled (strategy))
        g_printerr ("%s: warning: the strategy is disabled (\"enabled\": false); "
                    "backtesting it anyway\n", o->strategy_files[i]);
      g_ptr_array_add (strategies, strategy);
      json_array_add_string_element (strategy_names, kantor_strategy_get_name (strategy));
    }

  source = open_source (o, error);
  if (source == NULL)
    return EXIT_FAILURE;

  engine = kantor_engine_new (&config);
  kantor_engine_set_speed (engine, speed);
  symbols = kantor_market_source_get_symbols (source);
  for (i = 0; symbols[i] != NULL; i++)
    {
      json_array_add_string_element (symbol_names, symbols[i]);
      for (j = 0; j < strategies->len; j++)
        if (!kantor_engine_add_activation (engine, strategies->pdata[j], symbols[i], error))
          return EXIT_FAILURE;
    }

  if (o->dump_path != NULL)
    {
      static const KantorEngineCallbacks callbacks = { dump_on_event, NULL, NULL };

      if (!dump_open (&dump, o->dump_path, engine, strategies, error))
        {
          dump_close (&dump, NULL);
          return EXIT_FAILURE;
        }
      kantor_engine_set_callbacks (engine, &callbacks, &dump);
    }

  start_us = g_get_monotonic_time ();
  cpu_start = cpu_seconds ();
  ok = kantor_engine_run (engine, source, from_ms, to_ms, NULL, error);
  kantor_engine_finish (engine);
  elapsed_s = (g_get_monotonic_time () - start_us) / 1e6;
  cpu_s = cpu_seconds () - cpu_start;

  if (o->dump_path != NULL)
    {
      if (!dump_close (&dump, ok ? error : NULL))
        ok = FALSE;
    }
  if (!ok)
    return EXIT_FAILURE;

  results = kantor_engine_results_to_json (engine);
  json_object_set_string_member (results, "data", o->data);
  json_object_set_array_member (results, "strategies", g_steal_pointer (&strategy_names));
  json_object_set_array_member (results, "symbols", g_steal_pointer (&symbol_names));
  json_object_set_double_member (config_json, "initial_balance", config.initial_balance);
  json_object_set_double_member (config_json, "fee_rate", config.fee_rate);
  json_object_set_double_member (config_json, "slippage_bps", config.slippage_bps);
  json_object_set_object_member (results, "config", g_steal_pointer (&config_json));

  if (o->json)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), results);
      g_autofree char *text = kantor_json_to_string (node);

      g_print ("%s\n", text);
    }
  else
    print_table (results, elapsed_s);

  if (o->stats)
    g_printerr ("{\"events\":%" G_GUINT64_FORMAT ",\"elapsed_s\":%.6f,\"cpu_s\":%.6f,"
                "\"events_per_s\":%.0f,\"peak_rss_kb\":%ld}\n",
                kantor_engine_get_n_events (engine), elapsed_s, cpu_s,
                elapsed_s > 0 ? kantor_engine_get_n_events (engine) / elapsed_s : 0.0,
                peak_rss_kb ());

  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  Options o = { 0 };
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "strategy", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.strategy_files,
      "A strategy document (repeatable)", "FILE.json" },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o.data,
      "A collection folder, Binance trade files (a file or a folder), or synthetic:SEED[:EVENTS]",
      "PATH" },
    { "symbol", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.symbols,
      "Only this symbol (repeatable); for synthetic data, the symbols to generate", "S" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &o.from,
      "Skip events before T (epoch s or ms, ISO-8601, or a date)", "T" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &o.to, "Stop after T (inclusive)", "T" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print the results as JSON", NULL },
    { "dump-indicators", 0, 0, G_OPTION_ARG_FILENAME, &o.dump_path,
      "Write every indicator value after every event to a CSV file", "FILE.csv" },
    { "fee-rate", 0, 0, G_OPTION_ARG_STRING, &o.fee_rate,
      "Fee per fill as a fraction of the notional (default 0.001)", "R" },
    { "slippage-bps", 0, 0, G_OPTION_ARG_STRING, &o.slippage_bps,
      "Slippage against the trader in basis points (default 0)", "BPS" },
    { "initial-balance", 0, 0, G_OPTION_ARG_STRING, &o.initial_balance,
      "Starting cash in quote currency (default 10000)", "X" },
    { "speed", 0, 0, G_OPTION_ARG_STRING, &o.speed,
      "Replay at this multiple of real time (default 0: as fast as possible)", "X" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &o.stats,
      "Print timing and peak memory as JSON on standard error", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  context = g_option_context_new ("- run a backtest without a server");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Examples:\n"
    "  kantor-backtest --strategy pump_rider.json --data synthetic:42:1M\n"
    "  kantor-backtest --strategy a.json --strategy b.json --data session_x/ --json\n"
    "  kantor-backtest --strategy a.json --data BTCUSDT-trades-2024-01-01.csv\n");

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("kantor-backtest: %s\n", error->message);
      options_clear (&o);
      return EXIT_USAGE;
    }
  if (version)
    {
      g_print ("kantor-backtest %s\n", PACKAGE_VERSION);
      options_clear (&o);
      return EXIT_SUCCESS;
    }
  if (argc > 1)
    {
      g_printerr ("kantor-backtest: unexpected argument “%s”\n", argv[1]);
      options_clear (&o);
      return EXIT_USAGE;
    }

  status = run (&o, &error);
  if (status != EXIT_SUCCESS)
    g_printerr ("kantor-backtest: %s\n", error != NULL ? error->message : "failed");

  options_clear (&o);
  return status;
}
