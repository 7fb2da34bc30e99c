/* deploy: the ostree sysroot on the target.
 *
 * Owns: sysroot init, stateroot, deployment with kernel arguments and origin, /var seeding,
 * /etc/fstab and first-boot drop-ins in the new deployment. Must not write a bootloader.
 * Depends on: import, disk, util. (Filled in by the `berth install` issue.)
 */
#pragma once

#include "import/import.h"
#include "disk/disk.h"
