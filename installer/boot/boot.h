/* boot: bootloaders, written last so a failed install never boots half-written.
 *
 * Owns: one entry point per loader (systemd-boot first; GRUB and BIOS later), EFI file names
 * per architecture, filling the ESP without mounting it (mtools).
 * Depends on: deploy, disk, util. (Filled in by the `berth install` issue.)
 */
#pragma once

#include "deploy/deploy.h"
