/* kantor-fileutil.h: private folders and crash-safe secret files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Creates @path and any missing parents with mode 0700. An existing folder
 * is left as it is. */
gboolean kantor_fileutil_ensure_private_dir (const char  *path,
                                             GError     **error);

/* Replaces @path atomically with @data, mode 0600: a temporary file in the
 * same folder, fsync, rename over @path, fsync of the folder. After a crash
 * @path holds either the old or the new contents, never a mix. */
gboolean kantor_fileutil_write_private      (const char  *path,
                                             const void  *data,
                                             gsize        length,
                                             GError     **error);

/* Flushes a folder's entries (a rename or a new file) to disk. */
gboolean kantor_fileutil_fsync_dir          (const char  *path,
                                             GError     **error);

/* TRUE when @path is a regular file owned by the effective user and closed
 * to group and others (no bit of 077 set). The error says which and how to
 * fix it. */
gboolean kantor_fileutil_check_private      (const char  *path,
                                             GError     **error);

G_END_DECLS
