/* Mounts, loop devices and temporary directories with their undo on a BerthUndo (see disk.h):
 * the one helper for every caller that holds a disk open for a while. */
#include "disk-private.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean
undo_detach (gpointer device, GError **error)
{
  return berth_disk_loop_detach (device, error);
}

static gboolean
undo_umount (gpointer path, GError **error)
{
  return berth_disk_umount (path, error);
}

static gboolean
undo_rmdir (gpointer path, GError **error)
{
  if (rmdir (path) != 0 && errno != ENOENT)
    return berth_throw_errno (error, path);
  return TRUE;
}

gboolean
berth_disk_loop_attach_undo (BerthUndo *undo, const char *file, guint64 size, char **out_device,
                             GError **error)
{
  g_autofree char *device = NULL;
  if (!berth_disk_loop_attach (file, size, &device, error))
    return FALSE;
  g_autofree char *what = g_strdup_printf ("detached %s", device);
  berth_undo_push (undo, BERTH_UNDO_ALWAYS, what, undo_detach, g_strdup (device), g_free);
  *out_device = g_steal_pointer (&device);
  return TRUE;
}

gboolean
berth_disk_mount_undo (BerthUndo *undo, const char *source, const char *dir, const char *fstype,
                       unsigned long flags, GError **error)
{
  gboolean ok = fstype != NULL ? berth_disk_mount (source, dir, fstype, flags, NULL, error)
                               : berth_disk_mount_any (source, dir, flags, error);
  if (!ok)
    return FALSE;
  g_autofree char *what = g_strdup_printf ("unmounted %s", dir);
  berth_undo_push (undo, BERTH_UNDO_ALWAYS, what, undo_umount, g_strdup (dir), g_free);
  return TRUE;
}

char *
berth_disk_tmpdir_undo (BerthUndo *undo, const char *tmpl, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *dir = g_dir_make_tmp (tmpl, &local);
  if (dir == NULL)
    return (berth_throw (error, BERTH_ERROR_FAILED, "%s", local->message), NULL);
  g_autofree char *what = g_strdup_printf ("removed %s", dir);
  berth_undo_push (undo, BERTH_UNDO_ALWAYS, what, undo_rmdir, g_strdup (dir), g_free);
  return g_steal_pointer (&dir);
}

gboolean
berth_disk_mkdir_undo (BerthUndo *undo, BerthUndoWhen when, const char *dir, GError **error)
{
  if (mkdir (dir, 0755) < 0)
    return berth_throw_errno (error, dir);
  g_autofree char *what = g_strdup_printf ("removed %s", dir);
  berth_undo_push (undo, when, what, undo_rmdir, g_strdup (dir), g_free);
  return TRUE;
}
