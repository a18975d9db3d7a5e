/* kantor-diagnostics.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdarg.h>

#include "kantor-diagnostics.h"

struct _KantorDiagnostics
{
  GArray *errors;
  GArray *warnings;
};

static void
diagnostic_clear (gpointer data)
{
  KantorDiagnostic *d = data;

  g_clear_pointer (&d->path, g_free);
  g_clear_pointer (&d->message, g_free);
}

KantorDiagnostics *
kantor_diagnostics_new (void)
{
  KantorDiagnostics *self = g_new0 (KantorDiagnostics, 1);

  self->errors = g_array_new (FALSE, TRUE, sizeof (KantorDiagnostic));
  self->warnings = g_array_new (FALSE, TRUE, sizeof (KantorDiagnostic));
  g_array_set_clear_func (self->errors, diagnostic_clear);
  g_array_set_clear_func (self->warnings, diagnostic_clear);

  return self;
}

void
kantor_diagnostics_free (KantorDiagnostics *self)
{
  if (self == NULL)
    return;

  g_array_unref (self->errors);
  g_array_unref (self->warnings);
  g_free (self);
}

static void
add_va (GArray     *array,
        const char *path,
        const char *format,
        va_list     args)
{
  KantorDiagnostic d;

  d.path = g_strdup (path != NULL ? path : "");
  d.message = g_strdup_vprintf (format, args);
  g_array_append_val (array, d);
}

void
kantor_diagnostics_add_error (KantorDiagnostics *self,
                              const char        *path,
                              const char        *format,
                              ...)
{
  va_list args;

  g_return_if_fail (self != NULL);

  va_start (args, format);
  add_va (self->errors, path, format, args);
  va_end (args);
}

void
kantor_diagnostics_add_warning (KantorDiagnostics *self,
                                const char        *path,
                                const char        *format,
                                ...)
{
  va_list args;

  g_return_if_fail (self != NULL);

  va_start (args, format);
  add_va (self->warnings, path, format, args);
  va_end (args);
}

guint
kantor_diagnostics_get_n_errors (KantorDiagnostics *self)
{
  return self->errors->len;
}

guint
kantor_diagnostics_get_n_warnings (KantorDiagnostics *self)
{
  return self->warnings->len;
}

const KantorDiagnostic *
kantor_diagnostics_get_error (KantorDiagnostics *self,
                              guint              index)
{
  g_return_val_if_fail (index < self->errors->len, NULL);
  return &g_array_index (self->errors, KantorDiagnostic, index);
}

const KantorDiagnostic *
kantor_diagnostics_get_warning (KantorDiagnostics *self,
                                guint              index)
{
  g_return_val_if_fail (index < self->warnings->len, NULL);
  return &g_array_index (self->warnings, KantorDiagnostic, index);
}

static gboolean
array_has_path (GArray     *array,
                const char *path)
{
  for (guint i = 0; i < array->len; i++)
    if (g_strcmp0 (g_array_index (array, KantorDiagnostic, i).path, path) == 0)
      return TRUE;
  return FALSE;
}

gboolean
kantor_diagnostics_has_error_at (KantorDiagnostics *self,
                                 const char        *path)
{
  return array_has_path (self->errors, path);
}

gboolean
kantor_diagnostics_has_warning_at (KantorDiagnostics *self,
                                   const char        *path)
{
  return array_has_path (self->warnings, path);
}

static void
add_array (JsonBuilder *builder,
           const char  *name,
           GArray      *array)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < array->len; i++)
    {
      const KantorDiagnostic *d = &g_array_index (array, KantorDiagnostic, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, d->path);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, d->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

JsonNode *
kantor_diagnostics_to_json (KantorDiagnostics *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "valid");
  json_builder_add_boolean_value (builder, self->errors->len == 0);
  add_array (builder, "errors", self->errors);
  add_array (builder, "warnings", self->warnings);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

char *
kantor_json_pointer_append (const char *base,
                            const char *token)
{
  GString *str = g_string_new (base != NULL ? base : "");

  g_string_append_c (str, '/');
  for (const char *p = token; *p != '\0'; p++)
    {
      if (*p == '~')
        g_string_append (str, "~0");
      else if (*p == '/')
        g_string_append (str, "~1");
      else
        g_string_append_c (str, *p);
    }

  return g_string_free (str, FALSE);
}
