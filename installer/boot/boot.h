/* boot: bootloaders, written last so a failed install never boots half-written.
 *
 * Owns: the bootloader backends, one per loader (boot-systemd-boot.c, boot-grub.c,
 * boot-extlinux.c), each saying
 * whether the image carries it, what it needs of the layout, the `sysroot.bootloader` value
 * that keeps ostree's upgrades right, and how it installs; the choice among them from facts
 * (which boot files the image has, what the layout offers, what the user asked for); EFI file
 * names per architecture; filling the ESP without mounting it (mtools: kernels without vfat
 * exist, this machine's among them, DESIGN.md section 4); and the chroot runner that runs the
 * image's own GRUB tools (grub-install, grub-mkimage, and grub-mkconfig for ostree's grub2
 * integration, DESIGN.md section 5b).
 * Must not touch ostree: it is given paths (the deployed tree, where the image's files are) and
 * an ESP device, and facts as data. Depends on: deploy (the runner's environment protocol
 * only), disk, util.
 */
#pragma once

#include "disk/disk.h"
#include "util/util.h"

G_BEGIN_DECLS

typedef enum
{
  BERTH_BOOTLOADER_AUTO,         /* what the image carries: GRUB first, then systemd-boot */
  BERTH_BOOTLOADER_SYSTEMD_BOOT, /* UEFI; reads the BLS entries on the XBOOTLDR /boot */
  BERTH_BOOTLOADER_GRUB,         /* UEFI (shim and signed GRUB, or a core image) and BIOS */
  /* U-Boot's distro boot reading /boot's extlinux/extlinux.conf, which ostree regenerates at
   * every deploy; only when asked for (auto never picks it: bootc has no such loader) */
  BERTH_BOOTLOADER_EXTLINUX,
  BERTH_BOOTLOADER_NONE, /* BLS entries only: the user brings a bootloader */
} BerthBootloader;

/* The enum's string table: "auto", "systemd-boot", "grub", "extlinux", "none" (the
 * --bootloader values). */
const char *berth_bootloader_to_string (BerthBootloader loader);
gboolean berth_bootloader_from_string (const char *s, BerthBootloader *out_loader, GError **error);

/* Which firmware the installed disk must boot with (--firmware). */
typedef enum
{
  BERTH_BOOT_FIRMWARE_AUTO, /* UEFI, and BIOS too when the loader, image and layout allow it */
  BERTH_BOOT_FIRMWARE_UEFI,
  BERTH_BOOT_FIRMWARE_BIOS,
  BERTH_BOOT_FIRMWARE_BOTH,
} BerthBootFirmware;

const char *berth_boot_firmware_to_string (BerthBootFirmware firmware);
gboolean berth_boot_firmware_from_string (const char *s, BerthBootFirmware *out_firmware,
                                          GError **error);

/* Per-architecture EFI names (UEFI spec 3.5.1.1, removable media boot paths; GRUB's
 * platform directory names; shim's names). */
typedef struct
{
  const char *arch;      /* Rust/uname name: "x86_64", "aarch64" */
  const char *efi;       /* "x64", "aa64": systemd-boot<efi>.efi, drivers_<efi>/ext4_<efi>.efi */
  const char *efi_upper; /* "X64", "AA64": \EFI\BOOT\BOOT<EFI_UPPER>.EFI */
  const char *grub_efi;  /* "x86_64-efi", "arm64-efi": usr/lib/grub/<grub_efi> */
  const char *grub_bios; /* "i386-pc", NULL: no BIOS on this architecture */
} BerthEfiArch;

/* The table entry of @arch, or NULL for an architecture berth cannot boot with UEFI. */
const BerthEfiArch *berth_efi_arch_lookup (const char *arch);

/* The image-side paths berth reads, relative to the deployed tree. */
#define BERTH_BOOT_SYSTEMD_BOOT_DIR "usr/lib/systemd/boot/efi"
#define BERTH_BOOT_REFIND_DRIVERS   "usr/share/refind/refind"
#define BERTH_BOOT_SHIM_DIR         "usr/lib/shim"
#define BERTH_BOOT_GRUB_LIB         "usr/lib/grub"
/* bootupd's payload (Fedora, CentOS, RHEL bootc images): the EFI files as they go on the ESP
 * (updates/EFI/BOOT/, updates/EFI/<vendor>/) and the static GRUB config (grub2-static/). */
#define BERTH_BOOT_BOOTUPD_EFI    "usr/lib/bootupd/updates/EFI"
#define BERTH_BOOT_BOOTUPD_STATIC "usr/lib/bootupd/grub2-static"

/* ---- facts: which boot files the image carries ------------------------------------------- */

/* The answers to berth_boot_probe_paths(): which of those paths the image has, as a regular
 * file (a symlink counts as one when the tree is read without following it) or a directory.
 * Built from the deployed tree (berth_boot_facts_from_dir), from the pulled commit before the
 * deploy (the plan), or by hand (the unit tests). */
typedef struct BerthBootFacts BerthBootFacts;

typedef enum
{
  BERTH_BOOT_FILE_ABSENT,
  BERTH_BOOT_FILE_REGULAR,
  BERTH_BOOT_FILE_DIR,
} BerthBootFileType;

BerthBootFacts *berth_boot_facts_new (const char *arch);
void berth_boot_facts_free (BerthBootFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthBootFacts, berth_boot_facts_free)
void berth_boot_facts_add (BerthBootFacts *facts, const char *rel, BerthBootFileType type);
BerthBootFileType berth_boot_facts_get (const BerthBootFacts *facts, const char *rel);
const char *berth_boot_facts_get_arch (const BerthBootFacts *facts);

/* Every path (relative to the image's root, "usr/lib/shim/shimx64.efi.signed") some backend
 * asks about for @arch: what the caller looks up to fill the facts. NULL-terminated. */
char **berth_boot_probe_paths (const char *arch);

/* The facts of the tree at @root (lstat of each probe path: an image's absolute symlink would
 * point into the installing system). */
BerthBootFacts *berth_boot_facts_from_dir (const char *root, const char *arch);

/* ---- the layout, as the backends see it --------------------------------------------------- */

/* What the target offers a loader. The disk layout berth makes offers everything (ESP, BIOS
 * boot on x86_64, ext4 XBOOTLDR /boot on the ESP's disk); --to-filesystem offers what the
 * caller mounted. */
typedef struct
{
  const char *root_dir; /* the target's root directory, for messages; NULL: berth's layout */
  /* /boot as its own filesystem; NULL: a directory of the root filesystem */
  const BerthDiskMountInfo *boot;
  const char *esp_disk; /* the whole disk holding the ESP; NULL: unknown */
  gboolean bios_boot;   /* a BIOS boot partition on /boot's disk (GRUB's BIOS core image) */
} BerthBootLayout;

/* The layout berth's own partitioning makes (every backend's needs met). */
#define BERTH_BOOT_LAYOUT_OWN(bios) ((BerthBootLayout){ .bios_boot = (bios) })

/* ---- the choice --------------------------------------------------------------------------- */

typedef struct
{
  BerthBootFirmware firmware;
  gboolean secure_boot; /* --secure-boot: refuse a chain that would not boot with it on */
  gboolean bios_boot;   /* the layout has a BIOS boot partition */
  /* the loaders whose layout checks passed (bit 1 << BerthBootloader); 0: all */
  guint allowed;
} BerthBootWants;

typedef struct BerthBootBackend BerthBootBackend;

/* What was chosen, and why: the plan shows it. */
typedef struct
{
  BerthBootloader loader;
  const BerthBootBackend *backend; /* NULL for NONE */
  gboolean uefi;                   /* installs a UEFI loader on the ESP */
  /* installs a BIOS loader (GRUB i386-pc in BIOS boot); neither uefi nor bios: the board's
   * firmware reads what the loader keeps on /boot (extlinux) */
  gboolean bios;
  gboolean secure_boot; /* the UEFI chain is signed: boots with Secure Boot on */
  /* GRUB for UEFI without shim: a core image berth makes with the image's grub-mkimage */
  gboolean grub_core_image;
  /* GRUB with blscfg (Fedora-style, the image carries bootupd's payload): the EFI files as
   * bootupd lays them out and bootupd's static grub.cfg, which calls blscfg, so the menu is the
   * BLS entries ostree writes and needs no regeneration */
  gboolean grub_static;
  /* ostree's sysroot.bootloader for the installed system (the backend's, or "none" for a
   * static GRUB config); NULL for NONE */
  const char *sysroot_bootloader;
  char *why;        /* "the image has GRUB for UEFI (...), auto picks it first" */
  GPtrArray *notes; /* "Secure Boot must be off: ...", "BIOS: not installed: ..." */
} BerthBootDecision;

void berth_boot_decision_free (BerthBootDecision *decision);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthBootDecision, berth_boot_decision_free)

/* A pure function of its arguments: @requested resolved against what the image carries and
 * what was asked. AUTO takes GRUB when the image has a GRUB EFI (shim and signed GRUB, or
 * GRUB's x86_64-efi modules) and the layout allows it, else systemd-boot; NONE needs nothing.
 * Refusals (BERTH_ERROR_UNSUPPORTED_IMAGE for what the image lacks, BERTH_ERROR_REFUSED for what
 * was asked and cannot be): a loader the image does not carry, BIOS asked without the image's
 * i386-pc modules and grub-install or without a BIOS boot partition, --secure-boot with an
 * unsigned loader, GRUB without what keeps its menu current at upgrades (grub-mkconfig,
 * ostree-boot's 15_ostree, /etc/default/grub). An unknown architecture is
 * BERTH_ERROR_INVALID_ARGUMENT (except for NONE). */
gboolean berth_boot_decide (BerthBootloader requested, const BerthBootFacts *facts,
                            const BerthBootWants *wants, BerthBootDecision **out_decision,
                            GError **error);

/* One line for the plan: "grub: UEFI (shim, signed GRUB: Secure Boot ok), BIOS (i386-pc)". */
char *berth_boot_decision_describe (const BerthBootDecision *decision);

/* ---- installing --------------------------------------------------------------------------- */

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
  /* GRUB: the target's root mount MNT (the sysroot; /boot mounted at MNT/boot), the /boot
   * filesystem's UUID (what GRUB searches for), the whole disk for the BIOS core image (NULL:
   * no BIOS), and the chroot runner (the berth executable, see berth_boot_runner_main). */
  const char *sysroot;
  const char *boot_fs_uuid;
  const char *disk;
  const char *runner;
} BerthBootInstallOptions;

/* A bootloader backend. */
struct BerthBootBackend
{
  BerthBootloader id;
  const char *name; /* the --bootloader value */
  /* ostree's sysroot.bootloader for the installed system: "none" (ostree writes the BLS entries
   * only; systemd-boot reads them live), "grub2" (ostree regenerates grub.cfg with the
   * deployment's grub-mkconfig at every deploy, so the menu follows upgrades) or "syslinux"
   * (ostree regenerates syslinux.cfg from the BLS entries at every deploy, boot-extlinux.c). */
  const char *sysroot_bootloader;
  /* What it needs of the layout, for the plan. */
  const char *layout_needs;
  /* Whether it needs an ESP (--to-filesystem looks for one only then). */
  gboolean needs_esp;
  /* Whether berth's own layout must mark /boot LegacyBIOSBootable (U-Boot's distro boot scans
   * only the partitions marked bootable). */
  gboolean boot_legacy_bootable;
  /* What it writes, for the plan, when it is neither a UEFI nor a BIOS loader; NULL else. */
  const char *installs;
  /* Whether the image carries it; *@out_what says what was found (for the plan). */
  gboolean (*carries) (const BerthBootFacts *facts, char **out_what);
  /* Whether it can boot from @layout; the error says what to change. */
  gboolean (*check_layout) (const BerthBootLayout *layout, GError **error);
  /* Fills @decision (uefi, bios, secure_boot, notes) from the facts and wants, or refuses. */
  gboolean (*decide) (const BerthBootFacts *facts, const BerthBootWants *wants,
                      BerthBootDecision *decision, GError **error);
  /* Before the deploy (NULL: nothing): what ostree's sysroot.bootloader backend must find at
   * the first deploy. Given @options->sysroot only (there is no deployment yet). */
  gboolean (*prepare) (const BerthBootDecision *decision, const BerthBootInstallOptions *options,
                       GCancellable *cancellable, GError **error);
  /* Writes the loader; everything is checked before the first write. */
  gboolean (*install) (const BerthBootDecision *decision, const BerthBootInstallOptions *options,
                       GCancellable *cancellable, GError **error);
};

/* The backend of @loader; NULL for AUTO and NONE. */
const BerthBootBackend *berth_boot_backend_get (BerthBootloader loader);

/* Whether @loader's backend can boot from @layout (NONE always can); AUTO: whether any can,
 * the error naming each one's reason. *@out_allowed (may be NULL): the bit set for
 * BerthBootWants.allowed. */
gboolean berth_boot_check_layout (BerthBootloader loader, const BerthBootLayout *layout,
                                  guint *out_allowed, GError **error);

/* systemd-boot on the ESP, without mounting it (or into the mounted @esp_dir):
 *   \EFI\BOOT\BOOT<EFI_UPPER>.EFI and \EFI\systemd\systemd-boot<efi>.efi (from the image),
 *   \EFI\systemd\drivers\ext4_<efi>.efi (so systemd-boot can read the BLS entries on the ext4
 *   XBOOTLDR /boot, DESIGN.md section 5: from the image's refind drivers, else the installing
 *   system's, else BERTH_ERROR_NOT_FOUND saying to install the refind package),
 *   \loader\loader.conf (`timeout 3`, `editor no`).
 * GRUB (DESIGN.md section 5b): the menu /boot/grub/grub.cfg a symlink to ../loader/grub.cfg
 * (which ostree regenerates at every deploy); for UEFI \EFI\BOOT\BOOT<EFI_UPPER>.EFI (shim),
 * \EFI\BOOT\grub<efi>.efi (signed GRUB), \EFI\BOOT\mm<efi>.efi and \EFI\debian\grub.cfg (a stub
 * that finds /boot by UUID), or without shim a core image made with the image's grub-mkimage
 * (its modules copied to /boot/grub/<grub_efi>); for BIOS the image's grub-install (i386-pc)
 * into the disk's BIOS boot partition, run in a chroot of the deployment.
 * extlinux writes nothing after the deploy (berth_boot_prepare made the links, the deploy the
 * menu): it checks that /boot/extlinux/extlinux.conf reads as a menu with a default entry.
 * Each ESP file is copied to NAME.tmp and renamed over NAME, so a half-written file never has
 * the real name; the device is fsync'd at the end. Needs mtools (mmd, mcopy, mren, mdir). NONE
 * writes nothing. */
gboolean berth_boot_install (const BerthBootDecision *decision,
                             const BerthBootInstallOptions *options, GCancellable *cancellable,
                             GError **error);

/* Before the deploy, with @options->sysroot set (the target's root, /boot mounted below it):
 * what the chosen backend's sysroot.bootloader needs at the first deploy. extlinux (ostree's
 * syslinux backend reads the current menu through /boot/syslinux/syslinux.cfg at every deploy,
 * and fails when there is none): /boot/loader.0/syslinux.cfg with berth's header lines,
 * /boot/loader -> loader.0, /boot/syslinux/syslinux.cfg and /boot/extlinux/extlinux.conf ->
 * ../loader/syslinux.cfg. A no-op for the other loaders. */
gboolean berth_boot_prepare (const BerthBootDecision *decision,
                             const BerthBootInstallOptions *options, GCancellable *cancellable,
                             GError **error);

/* ---- the chroot runner (boot-chroot.c) ------------------------------------------------------ */

/* Whether this process was started as berth's chroot runner: by ostree as OSTREE_GRUB2_EXEC
 * (`RUNNER -o SYSROOT/boot/loader.N/grub.cfg`), or by the GRUB backend (`RUNNER -- PROGRAM
 * ARGS...`), with the environment of deploy.h's BERTH_DEPLOY_CHROOT_ENV_* set. */
gboolean berth_boot_runner_requested (void);

/* The runner: in a mount namespace of its own, the deployment bind-mounted on itself (so that
 * grub-probe finds its device), /dev, /proc, /sys, the sysroot's /boot at /boot and the sysroot
 * at /sysroot, tmpfs on /tmp and /run; then chroot into it and exec the deployment's
 * grub-mkconfig (or PROGRAM) with a clean environment (G_MESSAGES_DEBUG would leak into
 * grub.cfg). The mounts go away with the process. Returns an exit status on failure only. */
int berth_boot_runner_main (int argc, char **argv);

G_END_DECLS
