/* An installed disk, opened again: its GPT read with libfdisk, the partition nodes added with
 * BLKPG (the kernel here parses no GPT), and the berth layout's partitions found by type and
 * mounted, for `berth kargs --disk`, `berth upgrade --disk` and other offline edits of an
 * installed system. */
#include "disk.h"
#include "disk-private.h"

#include <fcntl.h>
#include <linux/blkpg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util-fdisk.h"

void
berth_disk_found_free (BerthDiskFound *found)
{
  if (found == NULL)
    return;
  g_free (found->esp);
  g_free (found->boot);
  g_free (found->root);
  g_free (found);
}

gboolean
berth_disk_open_installed (const char *device, BerthDiskFound **out_found, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Reading the partitions of %s", device);
  berth_autofd fd = open (device, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_throw_errno (error, device);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return berth_throw_errno (error, device);
  g_autoptr (BerthFdiskContext) cxt = fdisk_new_context ();
  if (cxt == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED, "fdisk_new_context failed");
  int rc = fdisk_assign_device (cxt, device, 1 /* read-only */);
  if (rc != 0)
    return berth_throw_fdisk (error, rc, "fdisk_assign_device");
  if (!fdisk_is_labeltype (cxt, FDISK_DISKLABEL_GPT))
    return berth_throw (error, BERTH_ERROR_NOT_FOUND,
                        "no GPT partition table: is this a disk berth installed?");
  guint64 ss = fdisk_get_sector_size (cxt);
  struct fdisk_table *tb = NULL;
  if ((rc = fdisk_get_partitions (cxt, &tb)) != 0)
    return berth_throw_fdisk (error, rc, "fdisk_get_partitions");
  g_autoptr (BerthFdiskTable) table = tb;
  g_autoptr (BerthDiskFound) found = g_new0 (BerthDiskFound, 1);
  for (size_t i = 0; i < fdisk_table_get_nents (table); i++)
    {
      struct fdisk_partition *pa = fdisk_table_get_partition (table, i);
      struct fdisk_parttype *type = fdisk_partition_get_type (pa);
      const char *guid = type ? fdisk_parttype_get_string (type) : NULL;
      guint pno = (guint)fdisk_partition_get_partno (pa) + 1;
      /* Skip partitions the kernel already knows (partx ran, or a kernel that parses GPT). */
      g_autofree char *node = berth_disk_partition_path (device, pno);
      g_autofree char *base = g_path_get_basename (node);
      g_autofree char *sys = g_build_filename ("/sys/class/block", base, NULL);
      if (!g_file_test (sys, G_FILE_TEST_EXISTS)
          && !berth_disk_blkpg (fd, BLKPG_ADD_PARTITION, (int)pno,
                                fdisk_partition_get_start (pa) * ss,
                                fdisk_partition_get_size (pa) * ss, "Adding", error))
        return FALSE;
      if (!berth_disk_wait_node (device, st.st_rdev, pno, error))
        return FALSE;
      if (guid == NULL)
        continue;
      char **slot = NULL;
      if (g_ascii_strcasecmp (guid, BERTH_DISK_TYPE_ESP) == 0)
        slot = &found->esp;
      else if (g_ascii_strcasecmp (guid, BERTH_DISK_TYPE_XBOOTLDR) == 0)
        slot = &found->boot;
      else if (g_ascii_strcasecmp (guid, BERTH_DISK_TYPE_ROOT_X86_64) == 0
               || g_ascii_strcasecmp (guid, BERTH_DISK_TYPE_ROOT_ARM64) == 0)
        slot = &found->root;
      if (slot != NULL && *slot == NULL)
        *slot = berth_disk_partition_path (device, pno);
    }
  if (found->root == NULL || found->boot == NULL)
    return berth_throw (error, BERTH_ERROR_NOT_FOUND,
                        "no %s partition (GPT type %s): is this a disk berth installed?",
                        found->root == NULL ? "root" : "XBOOTLDR /boot",
                        found->root == NULL ? BERTH_DISK_TYPE_ROOT_X86_64
                                            : BERTH_DISK_TYPE_XBOOTLDR);
  *out_found = g_steal_pointer (&found);
  return TRUE;
}

gboolean
berth_disk_mount_any (const char *source, const char *target, unsigned long flags, GError **error)
{
  /* The filesystems berth creates, most likely first. */
  static const char *const types[] = { "xfs", "ext4", "btrfs", NULL };
  g_autoptr (GError) last = NULL;
  for (guint i = 0; types[i] != NULL; i++)
    {
      g_clear_error (&last);
      if (berth_disk_mount (source, target, types[i], flags, NULL, &last))
        return TRUE;
    }
  g_propagate_prefixed_error (error, g_steal_pointer (&last),
                              "Mounting %s (tried xfs, ext4, btrfs): ", source);
  return FALSE;
}

gboolean
berth_disk_session_open (BerthDiskSession *session, const char *path, gboolean writable,
                         GError **error)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return berth_throw_errno (error, path);
  if (session->undo == NULL)
    session->undo = berth_undo_new ();
  const char *device = path;
  if (S_ISREG (st.st_mode))
    {
      if (!berth_disk_loop_attach_undo (session->undo, path, 0, &session->loop, error))
        return FALSE;
      device = session->loop;
    }
  g_autoptr (BerthDiskFound) found = NULL;
  if (!berth_disk_open_installed (device, &found, error))
    return FALSE;
  session->mnt = berth_disk_tmpdir_undo (session->undo, "berth-disk-XXXXXX", error);
  if (session->mnt == NULL)
    return FALSE;
  unsigned long flags = writable ? 0 : MS_RDONLY;
  g_autofree char *boot = g_build_filename (session->mnt, "boot", NULL);
  return berth_disk_mount_undo (session->undo, found->root, session->mnt, NULL, flags, error)
         && berth_disk_mount_undo (session->undo, found->boot, boot, "ext4", flags, error);
}

gboolean
berth_disk_session_close (BerthDiskSession *session, GError **error)
{
  gboolean ok = session->undo == NULL || berth_undo_finish (session->undo, error);
  g_clear_pointer (&session->undo, berth_undo_free);
  g_clear_pointer (&session->loop, g_free);
  g_clear_pointer (&session->mnt, g_free);
  return ok;
}

void
berth_disk_session_clear (BerthDiskSession *session)
{
  (void)berth_disk_session_close (session, NULL);
}
