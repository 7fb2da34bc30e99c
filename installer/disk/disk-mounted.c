/* Filesystems the caller mounted (install --to-filesystem, Anaconda-style): what is mounted at
 * a directory, the partition and disk under it, and partitions found by type. Read-only. */
#include "disk-private.h"
#include "util/util-blkid.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

void
berth_disk_mount_info_free (BerthDiskMountInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->path);
  g_free (info->source);
  g_free (info->fstype);
  g_free (info->fs_uuid);
  g_free (info->fs_root);
  g_free (info->disk);
  g_free (info->part_type);
  g_free (info);
}

/* /dev/NAME of @dev, from sysfs' uevent DEVNAME=; NULL when sysfs does not know it. */
static char *
node_of (dev_t dev)
{
  g_autofree char *uevent
    = g_strdup_printf ("/sys/dev/block/%u:%u/uevent", major (dev), minor (dev));
  g_autofree char *contents = NULL;
  if (!g_file_get_contents (uevent, &contents, NULL, NULL))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, "DEVNAME="))
      return g_strconcat ("/dev/", *l + strlen ("DEVNAME="), NULL);
  return NULL;
}

static guint
partno_of (dev_t dev)
{
  g_autofree char *path
    = g_strdup_printf ("/sys/dev/block/%u:%u/partition", major (dev), minor (dev));
  g_autofree char *contents = NULL;
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  return (guint)g_ascii_strtoull (contents, NULL, 10);
}

/* The filesystem UUID on @node (blkid's UUID: "XXXX-XXXX" for vfat); NULL when it has none. */
static char *
fs_uuid_of (const char *node)
{
  g_auto (blkid_probe) pr = blkid_new_probe_from_filename (node);
  if (pr == NULL)
    return NULL;
  blkid_probe_enable_superblocks (pr, 1);
  blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE);
  const char *v = NULL;
  if (blkid_do_safeprobe (pr) != 0 || blkid_probe_lookup_value (pr, "UUID", &v, NULL) != 0)
    return NULL;
  return g_strdup (v);
}

/* Calls @fn for each partition of @disk's table (blkid reads GPT and MBR). */
typedef gboolean (*PartitionFunc) (blkid_partition part, gpointer data);

static gboolean
for_each_partition (const char *disk, PartitionFunc fn, gpointer data, GError **error)
{
  g_auto (blkid_probe) pr = blkid_new_probe_from_filename (disk);
  if (pr == NULL)
    return berth_throw_errno (error, disk);
  blkid_probe_enable_partitions (pr, 1);
  blkid_probe_set_partitions_flags (pr, BLKID_PARTS_ENTRY_DETAILS);
  blkid_partlist list = blkid_probe_get_partitions (pr);
  if (list == NULL)
    return berth_throw (error, BERTH_ERROR_NOT_FOUND, "%s has no partition table", disk);
  int n = blkid_partlist_numof_partitions (list);
  for (int i = 0; i < n; i++)
    if (fn (blkid_partlist_get_partition (list, i), data))
      break;
  return TRUE;
}

typedef struct
{
  guint partno;
  char *type;
} TypeOf;

static gboolean
match_partno (blkid_partition part, gpointer data)
{
  TypeOf *t = data;
  if ((guint)blkid_partition_get_partno (part) != t->partno)
    return FALSE;
  const char *type = blkid_partition_get_type_string (part);
  if (type != NULL)
    t->type = g_ascii_strdown (type, -1);
  else
    t->type = g_strdup_printf ("0x%02x", blkid_partition_get_type (part));
  return TRUE;
}

gboolean
berth_disk_mount_info (const char *path, BerthDiskMountInfo **out_info, GError **error)
{
  g_autofree char *real = realpath (path, NULL);
  if (real == NULL)
    return berth_throw_errno (error, path);
  g_autoptr (GArray) mounts = berth_disk_read_mountinfo (error);
  if (mounts == NULL)
    return FALSE;
  /* the last entry for the mount point is the one on top */
  const BerthMountEntry *top = NULL;
  for (guint i = 0; i < mounts->len; i++)
    {
      const BerthMountEntry *e = &g_array_index (mounts, BerthMountEntry, i);
      if (strcmp (e->mountpoint, real) == 0)
        top = e;
    }
  if (top == NULL)
    return berth_throw (error, BERTH_ERROR_NOT_FOUND, "%s is not a mount point", path);

  g_autoptr (BerthDiskMountInfo) info = g_new0 (BerthDiskMountInfo, 1);
  info->path = g_strdup (path);
  info->fstype = g_strdup (top->fstype);
  info->fs_root = g_strdup (top->root);
  dev_t dev = berth_disk_mount_block_dev (top);
  if (dev == 0)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "%s is a %s mount of %s, not a filesystem on a block device", path,
                        top->fstype, top->source);
  info->source = node_of (dev);
  if (info->source == NULL)
    info->source = g_strdup (top->source);
  info->fs_uuid = fs_uuid_of (info->source);
  info->partno = partno_of (dev);
  if (info->partno > 0)
    {
      info->disk = node_of (berth_disk_whole_disk_of (dev));
      TypeOf t = { .partno = info->partno };
      if (info->disk != NULL && for_each_partition (info->disk, match_partno, &t, NULL))
        info->part_type = t.type;
    }
  *out_info = g_steal_pointer (&info);
  return TRUE;
}

typedef struct
{
  const char *type;
  guint partno;
} ByType;

static gboolean
match_type (blkid_partition part, gpointer data)
{
  ByType *b = data;
  const char *type = blkid_partition_get_type_string (part);
  if (type == NULL || g_ascii_strcasecmp (type, b->type) != 0)
    return FALSE;
  b->partno = (guint)blkid_partition_get_partno (part);
  return TRUE;
}

gboolean
berth_disk_find_partition (const char *disk, const char *type_guid, char **out_node, GError **error)
{
  ByType b = { .type = type_guid };
  if (!for_each_partition (disk, match_type, &b, error))
    return FALSE;
  if (b.partno == 0)
    return berth_throw (error, BERTH_ERROR_NOT_FOUND, "%s has no partition of type %s", disk,
                        type_guid);
  *out_node = berth_disk_partition_path (disk, b.partno);
  return TRUE;
}

char **
berth_disk_mounted_at (const char *node, GError **error)
{
  struct stat st;
  if (stat (node, &st) < 0)
    return (berth_throw_errno (error, node), NULL);
  if (!S_ISBLK (st.st_mode))
    return g_new0 (char *, 1);
  g_autoptr (GArray) mounts = berth_disk_read_mountinfo (error);
  if (mounts == NULL)
    return NULL;
  return berth_disk_list_mounts (mounts, st.st_rdev, FALSE);
}
