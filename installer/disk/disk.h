/* disk: block devices and filesystems.
 *
 * Owns: probing targets (libblkid), the partition table (libfdisk), partition nodes (BLKPG),
 * mkfs, mounts and loop devices it made itself. Refuses unsafe targets before any write.
 * Must not touch ostree or the network.
 * Depends on: util. (Filled in by the `berth install` issue.)
 */
#pragma once

#include "util/util.h"
