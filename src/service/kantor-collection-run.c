/* kantor-collection-run.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kantor-collection-run.h"
#include "kantor-collection-writer.h"
#include "kantor-json.h"

static const char * const state_names[] = {
  "starting", "recording", "completed", "stopped", "failed", "interrupted",
};

const char *
kantor_collection_state_to_string (KantorCollectionState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (state_names), NULL);
  return state_names[state];
}

gboolean
kantor_collection_state_from_string (const char            *str,
                                     KantorCollectionState *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (str, state_names[i]) == 0)
      {
        *state = (KantorCollectionState) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
kantor_collection_state_is_active (KantorCollectionState state)
{
  return state == KANTOR_COLLECTION_STATE_STARTING || state == KANTOR_COLLECTION_STATE_RECORDING;
}

/* Files are numbered 2 * symbol index (prices.csv) and 2 * index + 1
 * (orderbook.csv). */
#define PRICES(i) (2 * (i))
#define BOOK(i)   (2 * (i) + 1)

/* One batch of whole rows for the worker thread. */
typedef struct
{
  guint                  n_files;
  GString              **data;       /* per file, may be empty */
  guint64               *rows;       /* per file */
  gboolean               close;      /* the last batch: sync, close, meta.json */
  KantorCollectionState  final_state;
  gint64                 ended_at;
} Job;

struct _KantorCollectionRun
{
  GObject                parent_instance;

  /* Set at construction, never changed: read from any thread. */
  char                  *id;
  char                 **symbols;    /* interned strings in a new array */
  guint                  n_symbols;
  guint                  n_files;
  char                  *duration;
  gint64                 duration_ms;
  char                  *source;
  char                  *path;
  gint64                 started_at;

  /* Main loop only. */
  KantorCollectionState  state;
  gint64                 ended_at;
  char                  *error_message;
  GHashTable            *index;      /* interned symbol -> index + 1 */
  GString              **pending;    /* per file */
  GString              **spare;      /* per file: a written batch's buffer, emptied, or NULL */
  guint64               *pending_rows;
  gint64                *last_time_ms; /* per file: the reader refuses a row earlier than this */
  guint64                dropped;      /* events the files could not take */
  gsize                  pending_bytes;
  guint                  flush_id;
  gboolean               job_in_flight;
  gboolean               finishing;  /* no more events; the last batch is due */
  gboolean               closed;     /* the last batch has been written */
  KantorCollectionState  finish_state;
  GPtrArray             *finish_tasks;

  /* The worker's side, under io_lock: one batch at a time. */
  GMutex                 io_lock;
  int                   *fds;        /* -1 when closed */
  guint64               *rows_written;
  guint64               *bytes_written;
};

G_DEFINE_FINAL_TYPE (KantorCollectionRun, kantor_collection_run, G_TYPE_OBJECT)

enum
{
  SIGNAL_STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
job_free (Job *job)
{
  for (guint i = 0; i < job->n_files; i++)
    if (job->data[i] != NULL)
      g_string_free (job->data[i], TRUE);
  g_free (job->data);
  g_free (job->rows);
  g_free (job);
}

/* Called with io_lock held. */
static void
close_files (KantorCollectionRun *self)
{
  for (guint i = 0; i < self->n_files; i++)
    if (self->fds[i] >= 0)
      {
        close (self->fds[i]);
        self->fds[i] = -1;
      }
}

static void
kantor_collection_run_dispose (GObject *object)
{
  KantorCollectionRun *self = KANTOR_COLLECTION_RUN (object);

  g_clear_handle_id (&self->flush_id, g_source_remove);
  G_OBJECT_CLASS (kantor_collection_run_parent_class)->dispose (object);
}

static void
kantor_collection_run_finalize (GObject *object)
{
  KantorCollectionRun *self = KANTOR_COLLECTION_RUN (object);

  close_files (self);
  for (guint i = 0; i < self->n_files; i++)
    {
      g_string_free (self->pending[i], TRUE);
      if (self->spare[i] != NULL)
        g_string_free (self->spare[i], TRUE);
    }
  g_free (self->pending);
  g_free (self->spare);
  g_free (self->pending_rows);
  g_free (self->last_time_ms);
  g_free (self->fds);
  g_free (self->rows_written);
  g_free (self->bytes_written);
  g_clear_pointer (&self->finish_tasks, g_ptr_array_unref);
  g_hash_table_unref (self->index);
  g_free (self->symbols);
  g_free (self->id);
  g_free (self->duration);
  g_free (self->source);
  g_free (self->path);
  g_free (self->error_message);
  g_mutex_clear (&self->io_lock);

  G_OBJECT_CLASS (kantor_collection_run_parent_class)->finalize (object);
}

static void
kantor_collection_run_class_init (KantorCollectionRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kantor_collection_run_dispose;
  object_class->finalize = kantor_collection_run_finalize;

  /* Emitted on the main loop on every change of state. */
  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
kantor_collection_run_init (KantorCollectionRun *self)
{
  g_mutex_init (&self->io_lock);
  self->index = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->finish_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

KantorCollectionRun *
kantor_collection_run_new (const char          *id,
                           const char * const  *symbols,
                           const char          *duration,
                           gint64               duration_ms,
                           const char          *source,
                           const char          *path,
                           gint64               started_at)
{
  KantorCollectionRun *self;
  guint n;

  g_return_val_if_fail (id != NULL && symbols != NULL && symbols[0] != NULL, NULL);
  g_return_val_if_fail (duration != NULL && source != NULL && path != NULL, NULL);

  self = g_object_new (KANTOR_TYPE_COLLECTION_RUN, NULL);
  self->id = g_strdup (id);
  n = g_strv_length ((char **) symbols);
  self->symbols = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      const char *symbol = g_intern_string (symbols[i]);

      self->symbols[i] = (char *) symbol;
      g_hash_table_insert (self->index, (gpointer) symbol, GUINT_TO_POINTER (i + 1));
    }
  self->n_symbols = n;
  self->n_files = 2 * n;
  self->duration = g_strdup (duration);
  self->duration_ms = duration_ms;
  self->source = g_strdup (source);
  self->path = g_strdup (path);
  self->started_at = started_at;
  self->state = KANTOR_COLLECTION_STATE_STARTING;

  self->pending = g_new (GString *, self->n_files);
  for (guint i = 0; i < self->n_files; i++)
    self->pending[i] = g_string_new (NULL);
  self->spare = g_new0 (GString *, self->n_files);
  self->pending_rows = g_new0 (guint64, self->n_files);
  self->last_time_ms = g_new0 (gint64, self->n_files);
  self->fds = g_new (int, self->n_files);
  for (guint i = 0; i < self->n_files; i++)
    self->fds[i] = -1;
  self->rows_written = g_new0 (guint64, self->n_files);
  self->bytes_written = g_new0 (guint64, self->n_files);
  return self;
}

KantorCollectionRun *
kantor_collection_run_new_restored (const char           *id,
                                    const char * const   *symbols,
                                    const char           *duration,
                                    gint64                duration_ms,
                                    const char           *source,
                                    const char           *path,
                                    gint64                started_at,
                                    KantorCollectionState state,
                                    gint64                ended_at,
                                    JsonObject           *records,
                                    guint64               bytes,
                                    const char           *error_message)
{
  KantorCollectionRun *self = kantor_collection_run_new (id, symbols, duration, duration_ms,
                                                         source, path, started_at);

  self->state = state;
  self->ended_at = ended_at;
  self->error_message = g_strdup (error_message);
  self->closed = !kantor_collection_state_is_active (state);
  for (guint i = 0; records != NULL && i < self->n_symbols; i++)
    {
      JsonNode *node = json_object_get_member (records, self->symbols[i]);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
        self->rows_written[PRICES (i)] = (guint64) MAX (json_node_get_int (node), 0);
    }
  /* Only the total is stored; it is what the status shows. */
  if (self->n_files > 0)
    self->bytes_written[0] = bytes;
  return self;
}

const char *
kantor_collection_run_get_id (KantorCollectionRun *self)
{
  return self->id;
}

const char * const *
kantor_collection_run_get_symbols (KantorCollectionRun *self)
{
  return (const char * const *) self->symbols;
}

const char *
kantor_collection_run_get_duration (KantorCollectionRun *self)
{
  return self->duration;
}

gint64
kantor_collection_run_get_duration_ms (KantorCollectionRun *self)
{
  return self->duration_ms;
}

const char *
kantor_collection_run_get_source (KantorCollectionRun *self)
{
  return self->source;
}

const char *
kantor_collection_run_get_path (KantorCollectionRun *self)
{
  return self->path;
}

KantorCollectionState
kantor_collection_run_get_state (KantorCollectionRun *self)
{
  return self->state;
}

gint64
kantor_collection_run_get_started_at (KantorCollectionRun *self)
{
  return self->started_at;
}

gint64
kantor_collection_run_get_ends_at (KantorCollectionRun *self)
{
  return self->duration_ms > 0 ? self->started_at + self->duration_ms : 0;
}

gint64
kantor_collection_run_get_ended_at (KantorCollectionRun *self)
{
  return self->ended_at;
}

const char *
kantor_collection_run_get_error_message (KantorCollectionRun *self)
{
  return self->error_message;
}

guint64
kantor_collection_run_get_records (KantorCollectionRun *self,
                                   const char          *symbol)
{
  guint i = GPOINTER_TO_UINT (g_hash_table_lookup (self->index, g_intern_string (symbol)));
  guint64 rows;

  if (i == 0)
    return 0;
  g_mutex_lock (&self->io_lock);
  rows = self->rows_written[PRICES (i - 1)] + self->rows_written[BOOK (i - 1)];
  g_mutex_unlock (&self->io_lock);
  return rows;
}

guint64
kantor_collection_run_get_records_total (KantorCollectionRun *self)
{
  guint64 total = 0;

  g_mutex_lock (&self->io_lock);
  for (guint i = 0; i < self->n_files; i++)
    total += self->rows_written[i];
  g_mutex_unlock (&self->io_lock);
  return total;
}

guint64
kantor_collection_run_get_bytes (KantorCollectionRun *self)
{
  guint64 total = 0;

  g_mutex_lock (&self->io_lock);
  for (guint i = 0; i < self->n_files; i++)
    total += self->bytes_written[i];
  g_mutex_unlock (&self->io_lock);
  return total;
}

guint64
kantor_collection_run_get_dropped (KantorCollectionRun *self)
{
  return self->dropped;
}

guint64
kantor_collection_run_get_pending (KantorCollectionRun *self)
{
  guint64 total = 0;

  for (guint i = 0; i < self->n_files; i++)
    total += self->pending_rows[i];
  return total;
}

static void
set_time_member (JsonObject *object,
                 const char *name,
                 gint64      time_ms)
{
  if (time_ms > 0)
    json_object_set_int_member (object, name, time_ms);
  else
    json_object_set_null_member (object, name);
}

static JsonArray *
symbols_array (KantorCollectionRun *self)
{
  JsonArray *array = json_array_sized_new (self->n_symbols);

  for (guint i = 0; i < self->n_symbols; i++)
    json_array_add_string_element (array, self->symbols[i]);
  return array;
}

JsonObject *
kantor_collection_run_to_json (KantorCollectionRun *self)
{
  JsonObject *object = json_object_new ();
  JsonObject *records = json_object_new ();
  guint64 total = 0, bytes = 0;

  g_return_val_if_fail (KANTOR_IS_COLLECTION_RUN (self), NULL);

  g_mutex_lock (&self->io_lock);
  for (guint i = 0; i < self->n_symbols; i++)
    {
      guint64 rows = self->rows_written[PRICES (i)] + self->rows_written[BOOK (i)];

      json_object_set_int_member (records, self->symbols[i], (gint64) rows);
      total += rows;
    }
  for (guint i = 0; i < self->n_files; i++)
    bytes += self->bytes_written[i];
  g_mutex_unlock (&self->io_lock);

  json_object_set_string_member (object, "collection_id", self->id);
  json_object_set_string_member (object, "state", kantor_collection_state_to_string (self->state));
  json_object_set_array_member (object, "symbols", symbols_array (self));
  json_object_set_string_member (object, "duration", self->duration);
  json_object_set_string_member (object, "source", self->source);
  json_object_set_string_member (object, "path", self->path);
  json_object_set_object_member (object, "records", records);
  json_object_set_int_member (object, "records_total", (gint64) total);
  json_object_set_int_member (object, "bytes", (gint64) bytes);
  json_object_set_int_member (object, "dropped", (gint64) self->dropped);
  set_time_member (object, "started_at", self->started_at);
  set_time_member (object, "ends_at", kantor_collection_run_get_ends_at (self));
  set_time_member (object, "ended_at", self->ended_at);
  if (self->error_message != NULL)
    json_object_set_string_member (object, "error", self->error_message);
  return object;
}

/* With io_lock held (or from the only thread that knows the run). */
static char *
build_meta (KantorCollectionRun   *self,
            KantorCollectionState  state,
            gint64                 ended_at)
{
  g_autoptr(JsonObject) meta = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *files = json_object_new ();
  GString *out = g_string_new (NULL);

  json_object_set_int_member (meta, "format_version", KANTOR_COLLECTION_FORMAT_VERSION);
  json_object_set_string_member (meta, "collection_id", self->id);
  json_object_set_string_member (meta, "source", self->source);
  json_object_set_array_member (meta, "symbols", symbols_array (self));
  json_object_set_string_member (meta, "duration", self->duration);
  json_object_set_string_member (meta, "state", kantor_collection_state_to_string (state));
  set_time_member (meta, "started_at", self->started_at);
  set_time_member (meta, "ended_at", ended_at);
  for (guint i = 0; i < self->n_symbols; i++)
    {
      JsonObject *rows = json_object_new ();

      json_object_set_int_member (rows, KANTOR_COLLECTION_PRICES_FILE,
                                  (gint64) self->rows_written[PRICES (i)]);
      json_object_set_int_member (rows, KANTOR_COLLECTION_BOOK_FILE,
                                  (gint64) self->rows_written[BOOK (i)]);
      json_object_set_object_member (files, self->symbols[i], rows);
    }
  json_object_set_object_member (meta, "rows", files);

  json_node_set_object (node, meta);
  kantor_json_append (out, node);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

char *
kantor_collection_run_dup_meta (KantorCollectionRun *self)
{
  char *meta;

  g_mutex_lock (&self->io_lock);
  meta = build_meta (self, self->state, self->ended_at);
  g_mutex_unlock (&self->io_lock);
  return meta;
}

/* Worker side ------------------------------------------------------------- */

static gboolean
set_errno_error (GError    **error,
                 int         saved_errno,
                 const char *what,
                 const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s %s: %s", what, path,
               g_strerror (saved_errno));
  return FALSE;
}

static char *
file_path (KantorCollectionRun *self,
           guint                file)
{
  return g_build_filename (self->path, self->symbols[file / 2],
                           file % 2 == 0 ? KANTOR_COLLECTION_PRICES_FILE
                                         : KANTOR_COLLECTION_BOOK_FILE, NULL);
}

/* meta.json replaced atomically: it holds the old or the new text. */
static gboolean
write_meta (KantorCollectionRun   *self,
            KantorCollectionState  state,
            gint64                 ended_at,
            GError               **error)
{
  g_autofree char *meta = build_meta (self, state, ended_at);
  g_autofree char *path = g_build_filename (self->path, KANTOR_COLLECTION_META_FILE, NULL);

  return g_file_set_contents_full (path, meta, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* Writes all of @len or, failing that, cuts the file back to @offset so
 * that it never ends in part of a row. */
static gboolean
write_whole (KantorCollectionRun *self,
             guint                file,
             const char          *data,
             gsize                len,
             GError             **error)
{
  int fd = self->fds[file];
  gsize done = 0;

  while (done < len)
    {
      gssize n = write (fd, data + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : ENOSPC;
          g_autofree char *path = file_path (self, file);

          if (done > 0 && ftruncate (fd, (off_t) self->bytes_written[file]) != 0)
            g_warning ("%s: cannot cut back a partial write: %s", path, g_strerror (errno));
          return set_errno_error (error, saved, "cannot write", path);
        }
      done += (gsize) n;
    }
  return TRUE;
}

/* Runs one batch; io_lock held. On failure the files are closed: a run
 * that lost rows does not go on writing later ones. */
static gboolean
run_job (KantorCollectionRun *self,
         Job                 *job,
         GError             **error)
{
  gboolean ok = TRUE;

  if (self->fds[0] < 0)
    return TRUE;   /* closed: failed before, or finished by a shutdown */

  for (guint i = 0; ok && i < self->n_files; i++)
    {
      GString *data = job->data[i];

      if (data->len == 0)
        continue;
      ok = write_whole (self, i, data->str, data->len, error);
      if (ok)
        {
          self->bytes_written[i] += data->len;
          self->rows_written[i] += job->rows[i];
        }
    }

  /* Written is in the page cache, which a killed process does not lose; a
   * data sync per batch bounds what a power loss can take to one batch. */
  for (guint i = 0; ok && i < self->n_files; i++)
    if (job->data[i]->len > 0 && fdatasync (self->fds[i]) != 0 && errno != EINVAL)
      {
        g_autofree char *path = file_path (self, i);

        ok = set_errno_error (error, errno, "cannot sync", path);
      }

  if (!ok || job->close)
    close_files (self);
  if (ok && job->close)
    ok = write_meta (self, job->final_state, job->ended_at, error);
  return ok;
}

static void
job_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  KantorCollectionRun *self = source_object;
  GError *error = NULL;
  gboolean ok;

  g_mutex_lock (&self->io_lock);
  ok = run_job (self, task_data, &error);
  g_mutex_unlock (&self->io_lock);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
open_files (KantorCollectionRun *self,
            GError             **error)
{
  for (guint i = 0; i < self->n_symbols; i++)
    {
      g_autofree char *dir = g_build_filename (self->path, self->symbols[i], NULL);

      if (g_mkdir_with_parents (dir, 0755) != 0)
        return set_errno_error (error, errno, "cannot create", dir);
    }

  for (guint i = 0; i < self->n_files; i++)
    {
      g_autofree char *path = file_path (self, i);
      const char *header = i % 2 == 0 ? KANTOR_COLLECTION_PRICES_HEADER
                                      : KANTOR_COLLECTION_BOOK_HEADER;

      self->fds[i] = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
      if (self->fds[i] < 0)
        return set_errno_error (error, errno, "cannot create", path);
      if (!write_whole (self, i, header, strlen (header), error))
        return FALSE;
      self->bytes_written[i] = strlen (header);
    }

  return write_meta (self, KANTOR_COLLECTION_STATE_RECORDING, 0, error);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  KantorCollectionRun *self = source_object;
  GError *error = NULL;
  gboolean ok;

  g_mutex_lock (&self->io_lock);
  ok = open_files (self, &error);
  if (!ok)
    close_files (self);
  g_mutex_unlock (&self->io_lock);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Main loop side ---------------------------------------------------------- */

static void
set_state (KantorCollectionRun   *self,
           KantorCollectionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  if (!kantor_collection_state_is_active (state))
    {
      g_clear_handle_id (&self->flush_id, g_source_remove);
      if (self->ended_at == 0)
        self->ended_at = g_get_real_time () / 1000;
    }
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0);
}

static void
complete_finish_tasks (KantorCollectionRun *self,
                       const GError        *error)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->finish_tasks);

  self->finish_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    {
      if (error != NULL)
        g_task_return_error (tasks->pdata[i], g_error_copy (error));
      else
        g_task_return_boolean (tasks->pdata[i], TRUE);
    }
}

static void
fail (KantorCollectionRun *self,
      const GError        *error)
{
  g_free (self->error_message);
  self->error_message = g_strdup (error->message);
  self->closed = TRUE;
  for (guint i = 0; i < self->n_files; i++)
    {
      g_string_truncate (self->pending[i], 0);
      self->pending_rows[i] = 0;
    }
  self->pending_bytes = 0;
  set_state (self, KANTOR_COLLECTION_STATE_FAILED);
  complete_finish_tasks (self, error);
}

static Job *
take_batch (KantorCollectionRun *self)
{
  Job *job = g_new0 (Job, 1);

  job->n_files = self->n_files;
  job->data = g_new0 (GString *, self->n_files);
  job->rows = g_new0 (guint64, self->n_files);
  for (guint i = 0; i < self->n_files; i++)
    {
      job->data[i] = self->pending[i];
      job->rows[i] = self->pending_rows[i];
      /* Buffers go round between the main loop and the worker, keeping
       * their size: no regrowth, no fresh pages to fault in per batch. */
      if (self->spare[i] != NULL)
        self->pending[i] = g_steal_pointer (&self->spare[i]);
      else
        self->pending[i] = g_string_sized_new (MAX (job->data[i]->len, 64));
      self->pending_rows[i] = 0;
    }
  self->pending_bytes = 0;
  return job;
}

static void start_job (KantorCollectionRun *self, gboolean close);

static void
job_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  KantorCollectionRun *self = KANTOR_COLLECTION_RUN (source);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->job_in_flight = FALSE;
  for (guint i = 0; i < self->n_files; i++)
    if (self->spare[i] == NULL && job->data[i]->allocated_len <= 2 * KANTOR_COLLECTION_FLUSH_BYTES)
      {
        self->spare[i] = g_steal_pointer (&job->data[i]);
        g_string_truncate (self->spare[i], 0);
      }
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!self->closed || kantor_collection_state_is_active (self->state))
        fail (self, error);
      return;
    }
  if (!kantor_collection_state_is_active (self->state))
    {
      /* Failed meanwhile (its disk fell too far behind): close the files
       * and rewrite meta.json, off the main loop. After
       * kantor_collection_run_finish_sync() the files are closed already
       * and this does nothing. */
      if (!job->close)
        {
          self->finish_state = self->state;
          start_job (self, TRUE);
        }
      return;
    }

  if (job->close)
    {
      self->closed = TRUE;
      set_state (self, self->finish_state);
      complete_finish_tasks (self, NULL);
      return;
    }
  if (self->finishing)
    start_job (self, TRUE);
  else if (self->pending_bytes >= KANTOR_COLLECTION_FLUSH_BYTES)
    start_job (self, FALSE);
}

static void
start_job (KantorCollectionRun *self,
           gboolean             close)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, job_done, NULL);
  Job *job = take_batch (self);

  job->close = close;
  job->final_state = self->finish_state;
  if (close && self->ended_at == 0)
    self->ended_at = g_get_real_time () / 1000;
  job->ended_at = close ? self->ended_at : 0;
  g_task_set_source_tag (task, start_job);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  self->job_in_flight = TRUE;
  g_task_run_in_thread (task, job_thread);
}

static gboolean
flush_tick (gpointer user_data)
{
  KantorCollectionRun *self = user_data;

  if (!self->job_in_flight && !self->finishing && self->pending_bytes > 0)
    start_job (self, FALSE);
  return G_SOURCE_CONTINUE;
}

void
kantor_collection_run_push (KantorCollectionRun     *self,
                            const KantorMarketEvent *event)
{
  guint i;

  if (G_UNLIKELY (self->state != KANTOR_COLLECTION_STATE_RECORDING || self->finishing))
    return;
  if (G_LIKELY (self->n_symbols == 1))
    i = event->symbol == self->symbols[0] ? 1 : 0;
  else
    i = GPOINTER_TO_UINT (g_hash_table_lookup (self->index, event->symbol));
  if (G_UNLIKELY (i == 0))
    return;
  i--;

  {
    guint file = event->kind == KANTOR_EVENT_TRADE ? PRICES (i) : BOOK (i);
    GString *out = self->pending[file];
    gsize before = out->len;

    /* A row out of time order would make the whole file unreadable, and
     * an invalid one would be refused by the reader: neither is written. */
    if (G_LIKELY (event->time_ms >= self->last_time_ms[file]) &&
        G_LIKELY (event->kind == KANTOR_EVENT_TRADE ? kantor_collection_append_trade (out, event)
                                                    : kantor_collection_append_book (out, event)))
      {
        self->last_time_ms[file] = event->time_ms;
        self->pending_rows[file]++;
        self->pending_bytes += out->len - before;
      }
    else
      self->dropped++;
  }

  if (G_UNLIKELY (self->pending_bytes >= KANTOR_COLLECTION_FLUSH_BYTES))
    {
      if (!self->job_in_flight)
        start_job (self, FALSE);
      else if (self->pending_bytes >= KANTOR_COLLECTION_MAX_BACKLOG)
        {
          g_autoptr(GError) error = NULL;

          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_BUSY,
                       "the disk under %s cannot keep up: %" G_GSIZE_FORMAT " MiB not written",
                       self->path, self->pending_bytes >> 20);
          fail (self, error);
        }
    }
}

static void
open_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  KantorCollectionRun *self = KANTOR_COLLECTION_RUN (source);
  GTask *outer = user_data;
  GError *error = NULL;

  self->job_in_flight = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (self->state == KANTOR_COLLECTION_STATE_STARTING)
        fail (self, error);
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }

  if (self->state == KANTOR_COLLECTION_STATE_STARTING)
    {
      self->flush_id = g_timeout_add (KANTOR_COLLECTION_FLUSH_INTERVAL_MS, flush_tick, self);
      set_state (self, KANTOR_COLLECTION_STATE_RECORDING);
      if (self->finishing)
        start_job (self, TRUE);
    }
  g_task_return_boolean (outer, TRUE);
  g_object_unref (outer);
}

void
kantor_collection_run_open_async (KantorCollectionRun *self,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *outer;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KANTOR_IS_COLLECTION_RUN (self));
  g_return_if_fail (self->state == KANTOR_COLLECTION_STATE_STARTING && !self->job_in_flight);

  outer = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (outer, kantor_collection_run_open_async);
  task = g_task_new (self, NULL, open_done, outer);
  self->job_in_flight = TRUE;
  g_task_run_in_thread (task, open_thread);
}

gboolean
kantor_collection_run_open_finish (KantorCollectionRun *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kantor_collection_run_finish_async (KantorCollectionRun   *self,
                                    KantorCollectionState  state,
                                    GAsyncReadyCallback    callback,
                                    gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KANTOR_IS_COLLECTION_RUN (self));
  g_return_if_fail (!kantor_collection_state_is_active (state)
                    && state != KANTOR_COLLECTION_STATE_FAILED);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, kantor_collection_run_finish_async);
  if (!kantor_collection_state_is_active (self->state))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->finish_tasks, g_steal_pointer (&task));
  if (self->finishing)
    return;
  self->finishing = TRUE;
  self->finish_state = state;
  /* Otherwise the open or the batch in flight starts the last one. */
  if (!self->job_in_flight)
    start_job (self, TRUE);
}

gboolean
kantor_collection_run_finish_finish (KantorCollectionRun *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
kantor_collection_run_finish_sync (KantorCollectionRun   *self,
                                   KantorCollectionState  state)
{
  g_autoptr(GError) error = NULL;
  Job *job;
  gboolean ok;

  g_return_if_fail (KANTOR_IS_COLLECTION_RUN (self));

  if (!kantor_collection_state_is_active (self->state))
    return;

  /* The lock waits out a batch (or the open) in flight; its completion,
   * coming later on the main loop, finds the run finished and does
   * nothing. */
  self->finishing = TRUE;
  self->finish_state = state;
  job = take_batch (self);
  job->close = TRUE;
  job->final_state = state;
  job->ended_at = g_get_real_time () / 1000;
  self->ended_at = job->ended_at;
  g_mutex_lock (&self->io_lock);
  ok = run_job (self, job, &error);
  g_mutex_unlock (&self->io_lock);
  job_free (job);

  self->closed = TRUE;
  if (ok)
    {
      set_state (self, state);
      complete_finish_tasks (self, NULL);
    }
  else
    fail (self, error);
}

/* Recovery ---------------------------------------------------------------- */

/* Cuts @path back to just after its last '\n' and counts its lines. */
static gboolean
recover_file (const char *path,
              guint64    *rows,
              guint64    *bytes,
              GError    **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0, keep = 0, lines = 0;

  *rows = 0;
  *bytes = 0;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;   /* the run failed or died before creating it */
  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;

  for (gsize i = 0; i < length; i++)
    if (contents[i] == '\n')
      {
        lines++;
        keep = i + 1;
      }
  if (keep < length)
    {
      g_warning ("%s: cutting off an incomplete last line (%" G_GSIZE_FORMAT " bytes)", path,
                 length - keep);
      if (truncate (path, (off_t) keep) != 0)
        return set_errno_error (error, errno, "cannot truncate", path);
    }
  *rows = lines > 0 ? lines - 1 : 0;   /* the header */
  *bytes = keep;
  return TRUE;
}

gboolean
kantor_collection_run_recover (KantorCollectionRun *self,
                               GError             **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (KANTOR_IS_COLLECTION_RUN (self), FALSE);

  /* Interrupted even when the files cannot be repaired: it is not
   * recording any more. */
  self->state = KANTOR_COLLECTION_STATE_INTERRUPTED;
  self->closed = TRUE;
  if (self->ended_at == 0)
    self->ended_at = g_get_real_time () / 1000;

  g_mutex_lock (&self->io_lock);
  for (guint i = 0; ok && i < self->n_files; i++)
    {
      g_autofree char *path = file_path (self, i);

      ok = recover_file (path, &self->rows_written[i], &self->bytes_written[i], error);
    }
  g_mutex_unlock (&self->io_lock);
  if (!ok)
    return FALSE;

  /* A run whose folder never came to be has no meta.json to rewrite. */
  if (!g_file_test (self->path, G_FILE_TEST_IS_DIR))
    return TRUE;
  g_mutex_lock (&self->io_lock);
  ok = write_meta (self, self->state, self->ended_at, error);
  g_mutex_unlock (&self->io_lock);
  return ok;
}
