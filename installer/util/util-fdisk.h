/* libfdisk at the util boundary. Only the disk module includes this. */
#pragma once

#include <libfdisk.h>

#include "util.h"

/* libfdisk's types are plain struct tags; autoptr needs a one-word type name. */
typedef struct fdisk_context BerthFdiskContext;
typedef struct fdisk_table BerthFdiskTable;
typedef struct fdisk_partition BerthFdiskPartition;
typedef struct fdisk_parttype BerthFdiskParttype;
typedef struct fdisk_iter BerthFdiskIter;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthFdiskContext, fdisk_unref_context)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthFdiskTable, fdisk_unref_table)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthFdiskPartition, fdisk_unref_partition)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthFdiskParttype, fdisk_unref_parttype)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthFdiskIter, fdisk_free_iter)

/* libfdisk returns negative errno values. */
gboolean berth_throw_fdisk (GError **error, int rc, const char *what);
