/* Helpers shared inside the disk module. */
#pragma once

#include "disk.h"

#include <sys/types.h>

G_BEGIN_DECLS

/* Whether the block device @dev is a partition (sysfs has a `partition` file for it). */
gboolean berth_disk_is_partition (dev_t dev);
/* The device numbers of @disk's partitions known to the kernel (from sysfs). */
GArray *berth_disk_partition_devnums (dev_t disk);

/* The whole disk a partition belongs to (its parent in sysfs); @dev itself for a whole disk or
 * a device sysfs does not know. */
dev_t berth_disk_whole_disk_of (dev_t dev);

/* One line of /proc/self/mountinfo: the device number (field 3), the root (field 4) and the
 * mount point (field 5, octal-escaped), and the filesystem type and source after " - ". */
typedef struct
{
  dev_t dev;
  char *root; /* field 4: the directory of the filesystem mounted (a btrfs subvolume's path) */
  char *mountpoint;
  char *fstype;
  char *source;
} BerthMountEntry;

/* The mount table in order (later entries are on top), a GArray of BerthMountEntry. */
GArray *berth_disk_read_mountinfo (GError **error);
/* The block device a mount is on: its st_dev, or for filesystems with anonymous device numbers
 * (btrfs, major 0) the rdev of its source node. 0 when not block-backed. */
dev_t berth_disk_mount_block_dev (const BerthMountEntry *e);

/* "SOURCE on MOUNTPOINT" for each entry of @mounts on the block device @dev and, with
 * @with_partitions, on its partitions. */
char **berth_disk_list_mounts (GArray *mounts, dev_t dev, gboolean with_partitions);

/* Erases every signature libblkid finds on the device open (for writing) on @fd. */
gboolean berth_disk_wipe_signatures (int fd, const char *device, GError **error);

/* One BLKPG operation (BLKPG_ADD_PARTITION, BLKPG_DEL_PARTITION) on the disk open as @fd,
 * retried briefly while the kernel says busy. */
gboolean berth_disk_blkpg (int fd, int op, int pno, guint64 start, guint64 length, const char *what,
                           GError **error);
/* Waits for the node of partition @n of @device (whose dev_t is @disk) to appear, making it
 * from sysfs when nothing does. */
gboolean berth_disk_wait_node (const char *device, dev_t disk, guint n, GError **error);
G_END_DECLS
