/* The decisions of an install: a pure function from facts and choices to what the install does
 * (the layout, the root filesystem, the stateroot, the bootloader, the kernel command line).
 *
 * Three stages, as systemd-repart has them: facts (the target probe, the image's manifest and
 * config, and once pulled its install configuration, kargs.d and boot files), decisions (this
 * file: no I/O, so the unit tests feed it facts and check the plan), apply (plan-install.c).
 * Every front end (the CLI, kickstart, the initramfs module) enters through the choices.
 *
 * The image's own files are known only once its layers are read. berth does not read them
 * twice: the partition table is decided from what is known before the pull (nothing in an
 * image's files changes it: BIOS-BOOT follows --firmware only), the pull goes into the target,
 * and the decisions are made again with the files; only a root filesystem type the image's
 * install configuration asks for, and the command line did not choose, differs from the first
 * decision, and then the apply remakes the root filesystem and pulls again (say --filesystem to
 * avoid it; bootc's own images ask for xfs, berth's default).
 */
#pragma once

#include "boot/boot.h"
#include "disk/disk.h"
#include "kargs/kargs.h"

G_BEGIN_DECLS

/* --to-filesystem: the filesystems the caller mounted, as the probe read them. */
typedef struct
{
  const char *root_fstype;  /* "xfs" */
  const char *root_spec;    /* root= ("UUID=...", or --root-mount-spec) */
  const char *root_flags;   /* "rootflags=subvol=root" for a btrfs subvolume root; NULL: none */
  const char *boot_spec;    /* boot= and fstab; NULL: /boot is a directory of the root */
  const char *boot_fstype;  /* NULL when /boot is not separate */
  const char *boot_fs_uuid; /* what GRUB searches for; NULL when /boot is not separate */
  BerthBootLayout boot;     /* what the mounts offer the bootloaders */
} BerthInstallFsFacts;

typedef struct
{
  const char *arch; /* uname: "x86_64" */
  /* The target: berth's own layout on a disk of @disk_size bytes, or with @fs the caller's
   * mounted filesystems. */
  guint64 disk_size;
  guint32 sector_size; /* 0: 512 */
  const BerthInstallFsFacts *fs;
  guint64 image_size; /* its estimated installed size */
  /* The image's own files: @image_files once they were read (all three may be NULL then: none
   * in the image; @boot_facts is NULL for --bootloader none). Before, the decisions use the
   * defaults those files could change, and leave the bootloader and the kargs undecided. */
  gboolean image_files;
  const BerthKargsInstallConfig *install_config;
  const BerthKargs *kargs_d;
  const BerthBootFacts *boot_facts;
} BerthInstallFacts;

/* What the user chose (the CLI's options, a kickstart file's commands). */
typedef struct
{
  BerthDiskFs root_fs;   /* NONE: the image's install configuration's, else xfs */
  guint64 root_size;     /* 0: the rest of the disk */
  guint64 boot_size;     /* 0: 1 GiB */
  const char *stateroot; /* NULL: the image's install configuration's, else "default" */
  /* AUTO: the image's install configuration's `bootloader`, else what the image carries */
  BerthBootloader bootloader;
  BerthBootFirmware firmware;
  gboolean secure_boot;
  const char *const *kargs;        /* --karg in order (then --console's console=); may be NULL */
  const char *const *karg_deletes; /* --karg-delete in order; may be NULL */
  const char *uuid_seed;           /* every UUID of the layout; required (the plan makes one) */
  /* The volumes of berth's own layout, in order (a kickstart's part lines); NULL: bootc's
   * layout from root_fs, root_size, boot_size and firmware. The root volume's filesystem, when
   * given, counts as root_fs. */
  const BerthDiskVolume *volumes;
  guint n_volumes;
} BerthInstallChoices;

typedef struct
{
  gboolean complete;   /* made with the image's files: the bootloader and the kargs are decided */
  BerthDiskFs root_fs; /* NONE with --to-filesystem (the caller's filesystem, root_fstype) */
  char *root_fstype;
  char *root_fs_why; /* "--filesystem", "/usr/lib/bootc/install/00.toml:3", "berth's default" */
  char *stateroot;
  char *stateroot_why;
  BerthBootloader bootloader; /* what was asked of the loader choice (may be AUTO) */
  char *bootloader_why;
  BerthDiskLayout *layout; /* berth's own layout; NULL with --to-filesystem */
  char *root_spec, *root_flags, *boot_spec, *boot_fstype, *boot_fs_uuid;
  gboolean bios_boot;      /* a BIOS boot partition on the disk of /boot */
  guint boot_allowed;      /* the loaders the layout can boot (BerthBootWants.allowed) */
  BerthBootDecision *boot; /* the loader, once complete (NULL before) */
  BerthKargs *kargs;       /* the kernel command line, once complete (NULL before) */
  GPtrArray *notes;        /* char *: what the plan shows as warnings */
} BerthInstallDecisions;

void berth_install_decisions_free (BerthInstallDecisions *decisions);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthInstallDecisions, berth_install_decisions_free)

/* Decides. Refusals name what to change: a layout no asked-for loader boots
 * (BERTH_ERROR_REFUSED), a disk too small (DISK_TOO_SMALL), a loader the image does not carry
 * or cannot boot as asked (UNSUPPORTED_IMAGE, REFUSED: berth_boot_decide's), a bad value in the
 * install configuration (INVALID_ARGUMENT, naming its file and line). */
gboolean berth_install_decide (const BerthInstallFacts *facts, const BerthInstallChoices *choices,
                               BerthInstallDecisions **out_decisions, GError **error);

G_END_DECLS
