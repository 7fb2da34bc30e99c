/* Filesystems (mkfs through berth_spawn_sync, argv only) and mounts. */
#include "disk-private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>

/* A busy mount right after its last user went away usually frees up within a second. */
#define UMOUNT_TRIES 10

gboolean
berth_disk_mkfs (const char *partition, BerthDiskFs fs, const char *label, const char *uuid,
                 GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Making a %s filesystem on %s", berth_disk_fs_to_string (fs),
                           partition);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  switch (fs)
    {
    case BERTH_DISK_FS_VFAT:
      {
        g_ptr_array_add (argv, g_strdup ("mkfs.vfat"));
        g_ptr_array_add (argv, g_strdup ("-F"));
        g_ptr_array_add (argv, g_strdup ("32"));
        if (label)
          {
            g_ptr_array_add (argv, g_strdup ("-n"));
            g_ptr_array_add (argv, g_strdup (label));
          }
        if (uuid)
          {
            /* The volume id is 32 bits: "XXXX-XXXX" as blkid shows it, or a UUID's first 8
             * hex digits. */
            GString *id = g_string_new (NULL);
            for (const char *c = uuid; *c && id->len < 8; c++)
              if (g_ascii_isxdigit (*c))
                g_string_append_c (id, *c);
            if (id->len != 8)
              {
                g_string_free (id, TRUE);
                return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "bad vfat volume id '%s'",
                                    uuid);
              }
            g_ptr_array_add (argv, g_strdup ("-i"));
            g_ptr_array_add (argv, g_string_free (id, FALSE));
          }
        break;
      }
    case BERTH_DISK_FS_EXT4:
    case BERTH_DISK_FS_BTRFS:
      g_ptr_array_add (argv, g_strdup (fs == BERTH_DISK_FS_EXT4 ? "mkfs.ext4" : "mkfs.btrfs"));
      g_ptr_array_add (argv, g_strdup (fs == BERTH_DISK_FS_EXT4 ? "-F" : "-f"));
      g_ptr_array_add (argv, g_strdup ("-q"));
      if (label)
        {
          g_ptr_array_add (argv, g_strdup ("-L"));
          g_ptr_array_add (argv, g_strdup (label));
        }
      if (uuid)
        {
          g_ptr_array_add (argv, g_strdup ("-U"));
          g_ptr_array_add (argv, g_strdup (uuid));
        }
      break;
    case BERTH_DISK_FS_XFS:
      g_ptr_array_add (argv, g_strdup ("mkfs.xfs"));
      g_ptr_array_add (argv, g_strdup ("-f"));
      g_ptr_array_add (argv, g_strdup ("-q"));
      if (label)
        {
          g_ptr_array_add (argv, g_strdup ("-L"));
          g_ptr_array_add (argv, g_strdup (label));
        }
      if (uuid)
        {
          g_ptr_array_add (argv, g_strdup ("-m"));
          g_ptr_array_add (argv, g_strdup_printf ("uuid=%s", uuid));
        }
      break;
    case BERTH_DISK_FS_NONE:
    default:
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "no such filesystem type");
    }
  g_ptr_array_add (argv, g_strdup (partition));
  g_ptr_array_add (argv, NULL);

  /* Old signatures go first (systemd-repart does the same): mkfs.btrfs refuses a UUID that an
   * old filesystem on this very partition still carries, and a stale signature of another type
   * would confuse blkid later. */
  {
    berth_autofd fd = open (partition, O_RDWR | O_EXCL | O_CLOEXEC);
    if (fd < 0)
      return berth_throw_errno (error, "open");
    if (!berth_disk_wipe_signatures (fd, partition, error))
      return FALSE;
    if (fsync (fd) != 0)
      return berth_throw_errno (error, "fsync");
  }
  return berth_spawn_sync ((const char *const *)argv->pdata, /* stdin_data= */ NULL,
                           /* out_stdout= */ NULL, cancellable, error);
}

gboolean
berth_disk_mount (const char *source, const char *target, const char *fstype, unsigned long flags,
                  const char *data, GError **error)
{
  if (mount (source, target, fstype, flags, data) != 0)
    {
      g_autofree char *msg = g_strdup_printf ("Mounting %s on %s", source, target);
      return berth_throw_errno (error, msg);
    }
  return TRUE;
}

gboolean
berth_disk_umount (const char *target, GError **error)
{
  for (int i = 0; i < UMOUNT_TRIES; i++)
    {
      if (umount2 (target, UMOUNT_NOFOLLOW) == 0)
        return TRUE;
      if (errno == EINVAL || errno == ENOENT) /* not a mount point (any more) */
        return TRUE;
      if (errno != EBUSY)
        {
          g_autofree char *msg = g_strdup_printf ("Unmounting %s", target);
          return berth_throw_errno (error, msg);
        }
      g_usleep (100000);
    }
  /* Still busy: detach it from the tree; the kernel finishes when the last user goes. */
  g_debug ("%s still busy, detaching it lazily", target);
  if (umount2 (target, MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL)
    {
      g_autofree char *msg = g_strdup_printf ("Unmounting %s (lazily)", target);
      return berth_throw_errno (error, msg);
    }
  return TRUE;
}

gboolean
berth_disk_syncfs (const char *path, GError **error)
{
  berth_autofd fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 || syncfs (fd) != 0)
    {
      g_autofree char *msg = g_strdup_printf ("Syncing the filesystem of %s", path);
      return berth_throw_errno (error, msg);
    }
  return TRUE;
}
