/* The GPT (libfdisk) and the kernel's partition nodes (BLKPG). The kernel here parses no GPT
 * (DESIGN.md section 4), so the nodes are added with BLKPG_ADD_PARTITION, as `partx -a` does;
 * on real machines that is right as well, and needs no BLKRRPART (which fails while any
 * partition is open). */
#include "disk-private.h"
#include "util/util-blkid.h"
#include "util/util-fdisk.h"

#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* How long to wait for devtmpfs (or udev) to create a partition node before making it. */
#define NODE_WAIT_MS 5000
#define NODE_POLL_MS 20

char *
berth_disk_partition_path (const char *device, guint number)
{
  size_t len = strlen (device);
  /* The kernel's rule (disk_name()): a "p" between a name ending in a digit and the number. */
  gboolean digit = len > 0 && g_ascii_isdigit (device[len - 1]);
  return g_strdup_printf ("%s%s%u", device, digit ? "p" : "", number);
}

static int
open_for_writing (const char *device, GError **error)
{
  /* O_EXCL on a block device: fails with EBUSY while anything has it (or a partition)
   * mounted or claimed. */
  int fd = open (device, O_RDWR | O_EXCL | O_CLOEXEC);
  if (fd < 0)
    return berth_throw_errno (error, "open"), -1;
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISBLK (st.st_mode))
    {
      close (fd);
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "not a block device"), -1;
    }
  if (berth_disk_is_partition (st.st_rdev))
    {
      close (fd);
      return berth_throw (error, BERTH_ERROR_REFUSED, "a partition, not a whole disk"), -1;
    }
  return fd;
}

/* open_for_writing, plus the device's stat and size, which both table writers need. */
static int
open_disk_for_writing (const char *device, struct stat *out_st, guint64 *out_size, GError **error)
{
  berth_autofd fd = open_for_writing (device, error);
  if (fd < 0)
    return -1;
  if (fstat (fd, out_st) != 0)
    return berth_throw_errno (error, "fstat"), -1;
  if (ioctl (fd, BLKGETSIZE64, out_size) != 0)
    return berth_throw_errno (error, "BLKGETSIZE64"), -1;
  return berth_steal_fd (&fd);
}

gboolean
berth_disk_blkpg (int fd, int op, int pno, guint64 start, guint64 length, const char *what,
                  GError **error)
{
  struct blkpg_partition part;
  memset (&part, 0, sizeof part);
  part.pno = pno;
  part.start = (long long)start;
  part.length = (long long)length;
  struct blkpg_ioctl_arg arg = {
    .op = op,
    .flags = 0,
    .datalen = sizeof part,
    .data = &part,
  };
  for (int i = 0; i < 10; i++)
    {
      if (ioctl (fd, BLKPG, &arg) == 0)
        return TRUE;
      /* A just-closed partition can stay busy for a moment. */
      if (errno != EBUSY)
        break;
      g_usleep (100000);
    }
  g_autofree char *msg = g_strdup_printf ("%s partition %d", what, pno);
  return berth_throw_errno (error, msg);
}

static gboolean
read_partno (dev_t dev, int *out)
{
  g_autofree char *path
    = g_strdup_printf ("/sys/dev/block/%u:%u/partition", major (dev), minor (dev));
  g_autofree char *contents = NULL;
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  gint64 n = g_ascii_strtoll (contents, NULL, 10);
  if (n <= 0)
    return FALSE;
  *out = (int)n;
  return TRUE;
}

/* Drops every partition the kernel knows for the disk on @fd, then removes /dev nodes left by
 * an earlier mknod for partitions that no longer exist. */
static gboolean
drop_partitions (int fd, const char *device, dev_t disk, GError **error)
{
  g_autoptr (GArray) parts = berth_disk_partition_devnums (disk);
  for (guint i = 0; i < parts->len; i++)
    {
      int pno;
      if (read_partno (g_array_index (parts, dev_t, i), &pno)
          && !berth_disk_blkpg (fd, BLKPG_DEL_PARTITION, pno, 0, 0, "Deleting", error))
        return FALSE;
    }
  for (guint n = 1; n <= 128; n++)
    {
      g_autofree char *node = berth_disk_partition_path (device, n);
      struct stat st;
      if (lstat (node, &st) != 0 || !S_ISBLK (st.st_mode))
        continue;
      g_autofree char *sys
        = g_strdup_printf ("/sys/dev/block/%u:%u", major (st.st_rdev), minor (st.st_rdev));
      if (!g_file_test (sys, G_FILE_TEST_EXISTS))
        (void)unlink (node);
    }
  return TRUE;
}

/* Waits for the node of partition @n (devtmpfs makes it; udev may rename or relabel it), and
 * makes it from sysfs when nothing does. */
gboolean
berth_disk_wait_node (const char *device, dev_t disk, guint n, GError **error)
{
  g_autofree char *node = berth_disk_partition_path (device, n);
  g_autofree char *base = g_path_get_basename (node);
  g_autofree char *devfile = g_strdup_printf ("/sys/class/block/%s/dev", base);
  for (int waited = 0; waited <= NODE_WAIT_MS; waited += NODE_POLL_MS)
    {
      struct stat st;
      if (stat (node, &st) == 0 && S_ISBLK (st.st_mode))
        return TRUE;
      g_usleep (NODE_POLL_MS * 1000);
    }
  g_autofree char *contents = NULL;
  unsigned int maj, min;
  if (!g_file_get_contents (devfile, &contents, NULL, error))
    return FALSE;
  if (sscanf (contents, "%u:%u", &maj, &min) != 2)
    return berth_throw (error, BERTH_ERROR_FAILED, "%s: unexpected contents", devfile);
  if (mknod (node, S_IFBLK | 0600, makedev (maj, min)) != 0 && errno != EEXIST)
    return berth_throw_errno (error, node);
  return TRUE;
}

static gboolean
write_gpt (int fd, const char *device, const BerthDiskLayout *layout, GError **error)
{
  g_autoptr (BerthFdiskContext) cxt = fdisk_new_context ();
  if (cxt == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED, "fdisk_new_context failed");
  fdisk_disable_dialogs (cxt, 1);
  int rc = fdisk_assign_device_by_fd (cxt, fd, device, 0);
  if (rc != 0)
    return berth_throw_fdisk (error, rc, "fdisk_assign_device");
  guint64 ss = fdisk_get_sector_size (cxt);
  if (ss != layout->sector_size)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "the disk has %" G_GUINT64_FORMAT "-byte sectors, the layout %u", ss,
                        layout->sector_size);
  /* Old signatures (filesystems, RAID) at the start of the disk go on write. */
  fdisk_enable_wipe (cxt, 1);
  if ((rc = fdisk_create_disklabel (cxt, "gpt")) != 0)
    return berth_throw_fdisk (error, rc, "Creating the GPT");
  if ((rc = fdisk_set_disklabel_id_from_string (cxt, layout->disk_guid)) != 0)
    return berth_throw_fdisk (error, rc, "Setting the disk GUID");
  struct fdisk_label *lb = fdisk_get_label (cxt, "gpt");
  for (guint i = 0; i < layout->n_partitions; i++)
    {
      const BerthDiskPartition *p = &layout->partitions[i];
      g_autoptr (BerthFdiskPartition) pa = fdisk_new_partition ();
      g_autoptr (BerthFdiskParttype) type = fdisk_label_parse_parttype (lb, p->type_guid);
      if (pa == NULL || type == NULL)
        return berth_throw (error, BERTH_ERROR_FAILED, "libfdisk: out of memory");
      if ((rc = fdisk_partition_set_partno (pa, p->number - 1)) != 0
          || (rc = fdisk_partition_set_start (pa, p->start / ss)) != 0
          || (rc = fdisk_partition_set_size (pa, p->size / ss)) != 0
          || (rc = fdisk_partition_set_type (pa, type)) != 0
          || (rc = fdisk_partition_set_name (pa, p->name)) != 0
          || (rc = fdisk_partition_set_uuid (pa, p->uuid)) != 0)
        return berth_throw_fdisk (error, rc, "Describing a partition");
      if ((rc = fdisk_add_partition (cxt, pa, NULL)) != 0)
        {
          g_autofree char *msg = g_strdup_printf ("Adding partition %u (%s)", p->number, p->name);
          return berth_throw_fdisk (error, rc, msg);
        }
      if (p->attrs != 0 && (rc = fdisk_gpt_set_partition_attrs (cxt, p->number - 1, p->attrs)) != 0)
        {
          g_autofree char *msg
            = g_strdup_printf ("Setting the attributes of partition %u (%s)", p->number, p->name);
          return berth_throw_fdisk (error, rc, msg);
        }
    }
  if ((rc = fdisk_write_disklabel (cxt)) != 0)
    return berth_throw_fdisk (error, rc, "Writing the GPT");
  /* fsync, and keep our fd (it was assigned by fd, so libfdisk does not close it). */
  if ((rc = fdisk_deassign_device (cxt, 0)) != 0)
    return berth_throw_fdisk (error, rc, "Syncing the GPT");
  return TRUE;
}

gboolean
berth_disk_write_table (const char *device, const BerthDiskLayout *layout, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Partitioning %s", device);
  struct stat st;
  guint64 size;
  berth_autofd fd = open_disk_for_writing (device, &st, &size, error);
  if (fd < 0)
    return FALSE;
  if (size != layout->disk_size)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "the disk has %" G_GUINT64_FORMAT
                        " bytes, the layout was made for %" G_GUINT64_FORMAT,
                        size, layout->disk_size);

  if (!drop_partitions (fd, device, st.st_rdev, error))
    return FALSE;
  if (!write_gpt (fd, device, layout, error))
    return FALSE;

  for (guint i = 0; i < layout->n_partitions; i++)
    {
      const BerthDiskPartition *p = &layout->partitions[i];
      if (!berth_disk_blkpg (fd, BLKPG_ADD_PARTITION, (int)p->number, p->start, p->size, "Adding",
                             error))
        return FALSE;
    }
  for (guint i = 0; i < layout->n_partitions; i++)
    if (!berth_disk_wait_node (device, st.st_rdev, layout->partitions[i].number, error))
      return FALSE;
  return TRUE;
}

/* Every signature libblkid finds on the device, as `wipefs -a` does. */
gboolean
berth_disk_wipe_signatures (int fd, const char *device, GError **error)
{
  g_auto (blkid_probe) pr = blkid_new_probe ();
  if (pr == NULL)
    return berth_throw_blkid (error, -1, "Creating a libblkid probe");
  int rc = blkid_probe_set_device (pr, fd, 0, 0);
  if (rc != 0)
    return berth_throw_blkid (error, rc, device);
  blkid_probe_enable_superblocks (pr, 1);
  blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
  blkid_probe_enable_partitions (pr, 1);
  blkid_probe_set_partitions_flags (pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
  for (int i = 0; i < 64 && (rc = blkid_do_probe (pr)) == 0; i++)
    if ((rc = blkid_do_wipe (pr, 0)) != 0)
      return berth_throw_blkid (error, rc, "Wiping a signature");
  if (rc < 0)
    return berth_throw_blkid (error, rc, device);
  return TRUE;
}

static gboolean
zero_range (int fd, guint64 offset, guint64 len, GError **error)
{
  g_autofree guint8 *zeros = g_malloc0 (BERTH_DISK_MiB);
  while (len > 0)
    {
      size_t n = MIN (len, BERTH_DISK_MiB);
      ssize_t w = pwrite (fd, zeros, n, (off_t)offset);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return berth_throw_errno (error, "pwrite");
        }
      offset += (guint64)w;
      len -= (guint64)w;
    }
  return TRUE;
}

gboolean
berth_disk_wipe_table (const char *device, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Wiping the partition table of %s", device);
  struct stat st;
  guint64 size;
  berth_autofd fd = open_disk_for_writing (device, &st, &size, error);
  if (fd < 0)
    return FALSE;
  if (!drop_partitions (fd, device, st.st_rdev, error))
    return FALSE;
  if (!berth_disk_wipe_signatures (fd, device, error))
    return FALSE;
  /* Belt and braces: the protective MBR and primary GPT live in the first MiB, the backup GPT
   * in the last; nothing of a partition does (1 MiB alignment). */
  guint64 head = MIN (size, BERTH_DISK_MiB);
  if (!zero_range (fd, 0, head, error))
    return FALSE;
  if (size > head)
    {
      guint64 tail = MIN (size - head, BERTH_DISK_MiB);
      if (!zero_range (fd, size - tail, tail, error))
        return FALSE;
    }
  if (fsync (fd) != 0)
    return berth_throw_errno (error, "fsync");
  return TRUE;
}
