/* boot: bootloaders, written last so a failed install never boots half-written.
 *
 * Owns: one entry point per loader (systemd-boot first; GRUB and BIOS later), EFI file names
 * per architecture, filling the ESP without mounting it (mtools: kernels without vfat exist,
 * this machine's among them, DESIGN.md section 4).
 * Must not touch ostree: it is given paths (the deployed tree, where the image's files are) and
 * an ESP device. Depends on: util.
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

typedef enum
{
  BERTH_BOOTLOADER_AUTO,         /* systemd-boot when the image has it */
  BERTH_BOOTLOADER_SYSTEMD_BOOT, /* UEFI; reads the BLS entries on the XBOOTLDR /boot */
  BERTH_BOOTLOADER_NONE,         /* BLS entries only: the user brings a bootloader */
} BerthBootloader;

/* The enum's string table: "auto", "systemd-boot", "none" (the --bootloader values). */
const char *berth_bootloader_to_string (BerthBootloader loader);
gboolean berth_bootloader_from_string (const char *s, BerthBootloader *out_loader, GError **error);

/* Per-architecture EFI names (UEFI spec 3.5.1.1, removable media boot paths; GRUB's
 * platform directory names). */
typedef struct
{
  const char *arch;      /* Rust/uname name: "x86_64", "aarch64" */
  const char *efi;       /* "x64", "aa64": systemd-boot<efi>.efi, drivers_<efi>/ext4_<efi>.efi */
  const char *efi_upper; /* "X64", "AA64": \EFI\BOOT\BOOT<EFI_UPPER>.EFI */
  const char *grub_efi;  /* "x86_64-efi", "arm64-efi": usr/lib/grub/<grub_efi> */
} BerthEfiArch;

/* The table entry of @arch, or NULL for an architecture berth cannot boot with UEFI. */
const BerthEfiArch *berth_efi_arch_lookup (const char *arch);

/* The image-side paths berth reads, relative to the deployed tree. */
#define BERTH_BOOT_SYSTEMD_BOOT_DIR "usr/lib/systemd/boot/efi"
#define BERTH_BOOT_REFIND_DRIVERS   "usr/share/refind/refind"

/* Resolves @requested against the deployed tree @deployment_root: AUTO becomes SYSTEMD_BOOT
 * when the image has systemd-boot<efi>.efi; an image with only GRUB (usr/lib/grub/<grub_efi>)
 * fails with BERTH_ERROR_UNSUPPORTED_IMAGE "GRUB is not supported yet", one with neither also
 * with UNSUPPORTED_IMAGE. SYSTEMD_BOOT requires the binary; NONE needs nothing. An unknown
 * @arch is BERTH_ERROR_INVALID_ARGUMENT (except for NONE). */
gboolean berth_boot_choose (BerthBootloader requested, const char *deployment_root,
                            const char *arch, BerthBootloader *out_loader, GError **error);

typedef struct
{
  /* The ESP: a partition node, or a disk image file with @esp_offset the byte offset of the
   * ESP inside it (mtools' `-i FILE@@OFFSET`); 0: the filesystem starts at byte 0. Already
   * formatted (mkfs.vfat). */
  const char *esp_device;
  guint64 esp_offset;
  /* Or the ESP mounted at this directory (a caller's /boot/efi, install --to-filesystem):
   * written with file operations; esp_device is then ignored. */
  const char *esp_dir;
  /* The deployed tree, MNT/ostree/deploy/STATEROOT/deploy/CSUM.0: where the image's files are. */
  const char *deployment_root;
  const char *arch; /* "x86_64", "aarch64" */
  /* Where the installing system's files are, for the fallback ext4 driver; NULL: "/". */
  const char *host_root;
} BerthBootInstallOptions;

/* Installs systemd-boot on the ESP, without mounting it (or into the mounted @esp_dir):
 *   \EFI\BOOT\BOOT<EFI_UPPER>.EFI and \EFI\systemd\systemd-boot<efi>.efi (from the image),
 *   \EFI\systemd\drivers\ext4_<efi>.efi (so systemd-boot can read the BLS entries on the ext4
 *   XBOOTLDR /boot, DESIGN.md section 5: from the image's refind drivers, else the installing
 *   system's, else BERTH_ERROR_NOT_FOUND saying to install the refind package),
 *   \loader\loader.conf (`timeout 3`, `editor no`).
 * Each file is copied to NAME.tmp and renamed over NAME, so a half-written file never has the
 * real name; the device is fsync'd at the end. Everything is checked before the first write.
 * Needs mtools (mmd, mcopy, mren, mdir). */
gboolean berth_boot_install_systemd_boot (const BerthBootInstallOptions *options,
                                          GCancellable *cancellable, GError **error);

/* The one entry point the installer calls last: @loader as berth_boot_choose resolved it.
 * NONE writes nothing. */
gboolean berth_boot_install (BerthBootloader loader, const BerthBootInstallOptions *options,
                             GCancellable *cancellable, GError **error);

G_END_DECLS
