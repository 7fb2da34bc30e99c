/* plan: an install as data, then its execution (systemd-repart's plan-then-apply).
 *
 * Owns: building the whole install plan (target, partitions, filesystems, image, kargs,
 * bootloader, stateroot, origin), printing it for --dry-run, and applying it step by step with
 * progress events and rollback on failure. Never prints itself: the CLI renders the plan.
 * Depends on: boot, deploy, disk, import, oci, util. (Filled in by the `berth install` issue.)
 */
#pragma once

#include "boot/boot.h"
