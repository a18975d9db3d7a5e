/* kantor-diagnostics.h: errors and warnings with JSON-pointer paths
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *path;      /* JSON pointer, e.g. "/s1_signal/conditions/1/operator" */
  char *message;   /* one human sentence */
} KantorDiagnostic;

typedef struct _KantorDiagnostics KantorDiagnostics;

KantorDiagnostics *kantor_diagnostics_new          (void);
void               kantor_diagnostics_free         (KantorDiagnostics *self);
void               kantor_diagnostics_add_error    (KantorDiagnostics *self,
                                                    const char        *path,
                                                    const char        *format,
                                                    ...) G_GNUC_PRINTF (3, 4);
void               kantor_diagnostics_add_warning  (KantorDiagnostics *self,
                                                    const char        *path,
                                                    const char        *format,
                                                    ...) G_GNUC_PRINTF (3, 4);
guint              kantor_diagnostics_get_n_errors   (KantorDiagnostics *self);
guint              kantor_diagnostics_get_n_warnings (KantorDiagnostics *self);
const KantorDiagnostic *kantor_diagnostics_get_error   (KantorDiagnostics *self,
                                                        guint              index);
const KantorDiagnostic *kantor_diagnostics_get_warning (KantorDiagnostics *self,
                                                        guint              index);
gboolean           kantor_diagnostics_has_error_at (KantorDiagnostics *self,
                                                    const char        *path);
gboolean           kantor_diagnostics_has_warning_at (KantorDiagnostics *self,
                                                      const char        *path);
/* {"valid": bool, "errors": [{path, message}], "warnings": [...]} */
JsonNode          *kantor_diagnostics_to_json      (KantorDiagnostics *self);

/* Appends a reference token to a JSON pointer, escaping '~' and '/'. */
char              *kantor_json_pointer_append      (const char        *base,
                                                    const char        *token);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KantorDiagnostics, kantor_diagnostics_free)

G_END_DECLS
