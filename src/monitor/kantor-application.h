/* kantor-application.h: the monitor application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KANTOR_APPLICATION_ID "org.kantor.Kantor"

#define KANTOR_TYPE_APPLICATION (kantor_application_get_type ())
G_DECLARE_FINAL_TYPE (KantorApplication, kantor_application, KANTOR, APPLICATION,
                      AdwApplication)

KantorApplication *kantor_application_new (void);

G_END_DECLS
