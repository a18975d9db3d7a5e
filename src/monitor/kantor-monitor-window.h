/* kantor-monitor-window.h: the monitor's main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * (Named KantorMonitorWindow: the engine's KantorWindow is its rolling
 * time windows.)
 */

#pragma once

#include <adwaita.h>

#include "kantor-application.h"

G_BEGIN_DECLS

#define KANTOR_TYPE_MONITOR_WINDOW (kantor_monitor_window_get_type ())
G_DECLARE_FINAL_TYPE (KantorMonitorWindow, kantor_monitor_window, KANTOR, MONITOR_WINDOW,
                      AdwApplicationWindow)

/* @url and @username (both may be NULL) prefill the login page. */
KantorMonitorWindow *kantor_monitor_window_new (KantorApplication *application,
                                                const char        *url,
                                                const char        *username);
/* What the login page's Connect does, with these values: connects, logs in
 * and shows the main view, or the error on the login page. */
void                 kantor_monitor_window_login (KantorMonitorWindow *self,
                                                  const char          *url,
                                                  const char          *username,
                                                  const char          *password);

G_END_DECLS
