/* kantor-fileutil.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kantor-fileutil.h"

gboolean
kantor_fileutil_ensure_private_dir (const char  *path,
                                    GError     **error)
{
  g_return_val_if_fail (path != NULL, FALSE);

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create folder %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

gboolean
kantor_fileutil_fsync_dir (const char  *path,
                           GError     **error)
{
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);

  fd = g_open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot open folder %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  /* Some file systems refuse fsync on a folder (EINVAL); the rename is then
   * as durable as they can make it. */
  if (fsync (fd) != 0 && errno != EINVAL && errno != EROFS)
    {
      int saved_errno = errno;

      g_close (fd, NULL);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot flush folder %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  return g_close (fd, error);
}

gboolean
kantor_fileutil_write_private (const char  *path,
                               const void  *data,
                               gsize        length,
                               GError     **error)
{
  g_autofree char *dir = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  /* CONSISTENT writes a temporary file created with @mode and renames it;
   * DURABLE fsyncs it first. The folder entry still needs its own fsync. */
  if (!g_file_set_contents_full (path, data, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT |
                                 G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    return FALSE;

  dir = g_path_get_dirname (path);
  return kantor_fileutil_fsync_dir (dir, error);
}

gboolean
kantor_fileutil_check_private (const char  *path,
                               GError     **error)
{
  GStatBuf st;

  g_return_val_if_fail (path != NULL, FALSE);

  if (g_lstat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot inspect %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "%s is not a regular file", path);
      return FALSE;
    }

  if (st.st_uid != geteuid ())
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "%s belongs to another user; it must belong to the user running kantord",
                   path);
      return FALSE;
    }

  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "%s is readable or writable by other users (mode %04o); the secret in it "
                   "may be known to them: delete it to have a new one generated, or restrict "
                   "it with chmod 600 if it never left your control",
                   path, (unsigned) (st.st_mode & 07777));
      return FALSE;
    }

  return TRUE;
}
