/* Helpers shared inside the disk module. */
#pragma once

#include "disk.h"

#include <sys/types.h>

G_BEGIN_DECLS

/* Whether the block device @dev is a partition (sysfs has a `partition` file for it). */
gboolean berth_disk_is_partition (dev_t dev);
/* The device numbers of @disk's partitions known to the kernel (from sysfs). */
GArray *berth_disk_partition_devnums (dev_t disk);

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
