/* Probing a target, read-only, and the safety checks that run before anything is written. */
#include "disk-private.h"
#include "util/util-blkid.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

void
berth_disk_info_free (BerthDiskInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->path);
  g_strfreev (info->signatures);
  g_strfreev (info->mounted);
  g_strfreev (info->system_uses);
  g_free (info);
}

/* /sys/dev/block/MAJ:MIN of @dev. */
static char *
sysfs_of (dev_t dev)
{
  return g_strdup_printf ("/sys/dev/block/%u:%u", major (dev), minor (dev));
}

static gboolean
parse_devnum (const char *s, dev_t *out)
{
  unsigned int maj, min;
  if (s == NULL || sscanf (s, "%u:%u", &maj, &min) != 2)
    return FALSE;
  *out = makedev (maj, min);
  return TRUE;
}

gboolean
berth_disk_is_partition (dev_t dev)
{
  g_autofree char *sys = sysfs_of (dev);
  g_autofree char *part = g_build_filename (sys, "partition", NULL);
  return g_file_test (part, G_FILE_TEST_EXISTS);
}

/* The whole disk a partition belongs to (the parent directory in sysfs); @dev itself when it
 * is a whole disk or unknown to sysfs. */
dev_t
berth_disk_whole_disk_of (dev_t dev)
{
  if (!berth_disk_is_partition (dev))
    return dev;
  g_autofree char *sys = sysfs_of (dev);
  g_autofree char *parent_dev = g_build_filename (sys, "..", "dev", NULL);
  g_autofree char *contents = NULL;
  dev_t parent;
  if (g_file_get_contents (parent_dev, &contents, NULL, NULL) && parse_devnum (contents, &parent))
    return parent;
  return dev;
}

GArray *
berth_disk_partition_devnums (dev_t disk)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (dev_t));
  g_autofree char *sys = sysfs_of (disk);
  g_autoptr (GDir) dir = g_dir_open (sys, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *part = g_build_filename (sys, name, "partition", NULL);
      if (!g_file_test (part, G_FILE_TEST_EXISTS))
        continue;
      g_autofree char *devfile = g_build_filename (sys, name, "dev", NULL);
      g_autofree char *contents = NULL;
      dev_t d;
      if (g_file_get_contents (devfile, &contents, NULL, NULL) && parse_devnum (contents, &d))
        g_array_append_val (out, d);
    }
  return out;
}

static void
mount_entry_clear (BerthMountEntry *e)
{
  g_free (e->root);
  g_free (e->mountpoint);
  g_free (e->fstype);
  g_free (e->source);
}

GArray *
berth_disk_read_mountinfo (GError **error)
{
  g_autofree char *contents = NULL;
  if (!g_file_get_contents ("/proc/self/mountinfo", &contents, NULL, error))
    return NULL;
  GArray *out = g_array_new (FALSE, TRUE, sizeof (BerthMountEntry));
  g_array_set_clear_func (out, (GDestroyNotify)mount_entry_clear);
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, " ", -1);
      guint n = g_strv_length (f);
      if (n < 7)
        continue;
      BerthMountEntry e = { 0 };
      if (!parse_devnum (f[2], &e.dev))
        continue;
      e.root = g_strcompress (f[3]);
      e.mountpoint = g_strcompress (f[4]);
      for (guint i = 6; i + 2 < n; i++)
        if (strcmp (f[i], "-") == 0)
          {
            e.fstype = g_strcompress (f[i + 1]);
            e.source = g_strcompress (f[i + 2]);
            break;
          }
      g_array_append_val (out, e);
    }
  return out;
}

/* The block device a mount is on: its st_dev, or for filesystems with anonymous device
 * numbers (btrfs, major 0) the rdev of its source node. 0 when not block-backed. */
dev_t
berth_disk_mount_block_dev (const BerthMountEntry *e)
{
  if (major (e->dev) != 0)
    return e->dev;
  struct stat st;
  if (e->source != NULL && g_str_has_prefix (e->source, "/dev/") && stat (e->source, &st) == 0
      && S_ISBLK (st.st_mode))
    return st.st_rdev;
  return 0;
}

char **
berth_disk_list_mounts (GArray *mounts, dev_t dev, gboolean with_partitions)
{
  g_autoptr (GArray) devs = with_partitions ? berth_disk_partition_devnums (dev)
                                            : g_array_new (FALSE, FALSE, sizeof (dev_t));
  g_array_append_val (devs, dev);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  for (guint i = 0; i < mounts->len; i++)
    {
      BerthMountEntry *e = &g_array_index (mounts, BerthMountEntry, i);
      dev_t d = berth_disk_mount_block_dev (e);
      if (d == 0)
        continue;
      for (guint j = 0; j < devs->len; j++)
        if (g_array_index (devs, dev_t, j) == d)
          {
            g_autofree char *line
              = g_strdup_printf ("%s on %s", e->source ? e->source : "?", e->mountpoint);
            g_strv_builder_add (b, line);
            break;
          }
    }
  return g_strv_builder_end (b);
}

/* Disks the running system uses: /, /boot and the live medium, through device-mapper or md
 * slaves down to the whole disks. */
static void
add_system_disk (GArray *mounts, GPtrArray *uses_out, dev_t target, const char *path)
{
  struct stat st;
  if (stat (path, &st) != 0)
    return;
  dev_t dev = st.st_dev;
  /* The mount that holds @path (the last one listed wins, as it is on top); its source names
   * the device in the message, and stands in for anonymous device numbers (btrfs, major 0). */
  const char *source = NULL;
  for (guint i = 0; i < mounts->len; i++)
    {
      BerthMountEntry *e = &g_array_index (mounts, BerthMountEntry, i);
      if (e->dev == dev && strcmp (e->mountpoint, path) == 0)
        source = e->source;
    }
  if (major (dev) == 0)
    {
      struct stat sst;
      if (source == NULL || !g_str_has_prefix (source, "/dev/") || stat (source, &sst) != 0
          || !S_ISBLK (sst.st_mode))
        return;
      dev = sst.st_rdev;
    }
  /* Walk dm/md slaves (LVM, LUKS, RAID) down to the disks. */
  g_autoptr (GArray) todo = g_array_new (FALSE, FALSE, sizeof (dev_t));
  g_array_append_val (todo, dev);
  for (guint i = 0; i < todo->len && i < 64; i++)
    {
      dev_t d = g_array_index (todo, dev_t, i);
      if (berth_disk_whole_disk_of (d) == target)
        {
          g_ptr_array_add (uses_out, g_strdup_printf ("%s on %s", path, source ? source : "it"));
          return;
        }
      g_autofree char *sys = sysfs_of (d);
      g_autofree char *slaves = g_build_filename (sys, "slaves", NULL);
      g_autoptr (GDir) dir = g_dir_open (slaves, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *devfile = g_build_filename (slaves, name, "dev", NULL);
          g_autofree char *contents = NULL;
          dev_t s;
          if (g_file_get_contents (devfile, &contents, NULL, NULL) && parse_devnum (contents, &s))
            g_array_append_val (todo, s);
        }
    }
}

/* Partition tables and filesystem signatures on the whole disk, like `wipefs -n`. */
static gboolean
probe_signatures (int fd, const char *path, GPtrArray *out, GError **error)
{
  g_auto (blkid_probe) pr = blkid_new_probe ();
  if (pr == NULL)
    return berth_throw_blkid (error, -1, "Creating a libblkid probe");
  int rc = blkid_probe_set_device (pr, fd, 0, 0);
  if (rc != 0)
    return berth_throw_blkid (error, rc, path);
  blkid_probe_enable_superblocks (pr, 1);
  blkid_probe_set_superblocks_flags (pr,
                                     BLKID_SUBLKS_TYPE | BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
  blkid_probe_enable_partitions (pr, 1);
  blkid_probe_set_partitions_flags (pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
  while ((rc = blkid_do_probe (pr)) == 0)
    {
      const char *v = NULL;
      g_autofree char *what = NULL;
      if (blkid_probe_lookup_value (pr, "PTTYPE", &v, NULL) == 0)
        what = g_strdup_printf ("%s partition table", v);
      else if (blkid_probe_lookup_value (pr, "TYPE", &v, NULL) == 0)
        what = g_strdup_printf (
          "%s %s", v,
          g_str_has_suffix (v, "_member") || strcmp (v, "swap") == 0 ? "signature" : "filesystem");
      if (what != NULL && !g_ptr_array_find_with_equal_func (out, what, g_str_equal, NULL))
        g_ptr_array_add (out, g_steal_pointer (&what));
    }
  if (rc < 0)
    return berth_throw_blkid (error, rc, path);
  return TRUE;
}

gboolean
berth_disk_probe (const char *path, BerthDiskInfo **out_info, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Probing %s", path);
  berth_autofd fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return berth_throw_errno (error, "open");
  struct stat st;
  if (fstat (fd, &st) != 0)
    return berth_throw_errno (error, "fstat");
  gboolean is_file = S_ISREG (st.st_mode);
  if (!S_ISBLK (st.st_mode) && !is_file)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "neither a block device nor a disk image file");
  if (!is_file && berth_disk_is_partition (st.st_rdev))
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "a partition, not a whole disk (give the disk it belongs to)");

  g_autoptr (BerthDiskInfo) info = g_new0 (BerthDiskInfo, 1);
  info->path = g_strdup (path);
  info->is_file = is_file;
  guint64 size = 0;
  int ssz = 512; /* a loop device over a file: losetup's default */
  if (is_file)
    size = (guint64)st.st_size;
  else
    {
      info->devnum = st.st_rdev;
      if (ioctl (fd, BLKGETSIZE64, &size) != 0)
        return berth_throw_errno (error, "BLKGETSIZE64");
      if (ioctl (fd, BLKSSZGET, &ssz) != 0)
        return berth_throw_errno (error, "BLKSSZGET");
    }
  info->size = size;
  info->sector_size = (guint32)ssz;

  g_autoptr (GPtrArray) sigs = g_ptr_array_new_with_free_func (g_free);
  if (size > 0 && !probe_signatures (fd, path, sigs, error))
    return FALSE;
  g_ptr_array_add (sigs, NULL);
  info->signatures = (char **)g_ptr_array_free (g_steal_pointer (&sigs), FALSE);
  if (is_file)
    {
      /* A file is not mounted and holds no running system; one attached to a loop device is
       * refused by berth_disk_loop_check_file. */
      info->mounted = g_new0 (char *, 1);
      info->system_uses = g_new0 (char *, 1);
      *out_info = g_steal_pointer (&info);
      return TRUE;
    }

  /* Mounted: the disk or any of its partitions, by device number. */
  g_autoptr (GArray) mounts = berth_disk_read_mountinfo (error);
  if (mounts == NULL)
    return FALSE;
  info->mounted = berth_disk_list_mounts (mounts, info->devnum, TRUE);

  g_autoptr (GPtrArray) uses = g_ptr_array_new_with_free_func (g_free);
  const char *const system_paths[] = { "/", "/boot", "/boot/efi", "/run/initramfs/live" };
  for (guint i = 0; i < G_N_ELEMENTS (system_paths); i++)
    add_system_disk (mounts, uses, info->devnum, system_paths[i]);
  g_ptr_array_add (uses, NULL);
  info->system_uses = (char **)g_ptr_array_free (g_steal_pointer (&uses), FALSE);

  *out_info = g_steal_pointer (&info);
  return TRUE;
}

gboolean
berth_disk_check_target (const BerthDiskInfo *info, gboolean wipe, GError **error)
{
  if (info->system_uses[0] != NULL)
    {
      g_autofree char *list = g_strjoinv (", ", info->system_uses);
      return berth_throw (error, BERTH_ERROR_REFUSED,
                          "Refusing %s: the running system uses it (%s)", info->path, list);
    }
  if (info->mounted[0] != NULL)
    {
      g_autofree char *list = g_strjoinv (", ", info->mounted);
      return berth_throw (error, BERTH_ERROR_REFUSED, "Refusing %s: it is mounted (%s)", info->path,
                          list);
    }
  if (info->signatures[0] != NULL && !wipe)
    {
      g_autofree char *list = g_strjoinv (", ", info->signatures);
      return berth_throw (error, BERTH_ERROR_REFUSED,
                          "Refusing %s: it is not empty (found: %s); --wipe would erase it",
                          info->path, list);
    }
  return TRUE;
}
