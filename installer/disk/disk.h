/* disk: block devices and filesystems.
 *
 * Owns: the partition layout as data (disk-layout.c, pure), probing targets and the safety
 * checks before any write (disk-probe.c, libblkid), the partition table and partition nodes
 * (disk-table.c, libfdisk and BLKPG), mkfs, mounts (disk-fs.c) and loop devices it made itself
 * (disk-loop.c). Refuses unsafe targets before any write. Only this module includes blkid and
 * fdisk. Must not touch ostree or the network, and must not print.
 * Depends on: util.
 */
#pragma once

#include "util/util-undo.h"
#include "util/util.h"

G_BEGIN_DECLS

/* GPT partition type GUIDs (UAPI Discoverable Partitions Specification, and the UEFI spec for
 * the ESP; BIOS boot is GRUB's "Hah!IdontNeedEFI"). */
#define BERTH_DISK_TYPE_BIOS_BOOT   "21686148-6449-6e6f-744e-656564454649"
#define BERTH_DISK_TYPE_ESP         "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define BERTH_DISK_TYPE_XBOOTLDR    "bc13c2ff-59e6-4262-a352-b275fd6f7172"
#define BERTH_DISK_TYPE_ROOT_X86_64 "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
#define BERTH_DISK_TYPE_ROOT_ARM64  "b921b045-1df0-41c3-af44-4c6f280d3fae"

#define BERTH_DISK_MiB ((guint64)1024 * 1024)
#define BERTH_DISK_GiB (BERTH_DISK_MiB * 1024)

typedef enum
{
  BERTH_DISK_FS_NONE,
  BERTH_DISK_FS_VFAT,
  BERTH_DISK_FS_EXT4,
  BERTH_DISK_FS_XFS,
  BERTH_DISK_FS_BTRFS,
} BerthDiskFs;

/* "none", "vfat", "ext4", "xfs", "btrfs" (mkfs.NAME and mount(2)'s type). */
const char *berth_disk_fs_to_string (BerthDiskFs fs);
/* Parses the root filesystems the user may choose (xfs, ext4, btrfs); INVALID_ARGUMENT else. */
gboolean berth_disk_fs_from_string (const char *name, BerthDiskFs *out_fs, GError **error);

/* ---- layout (pure: no I/O) ------------------------------------------------------------- */

/* Roles, so callers need not search by name. */
typedef enum
{
  BERTH_DISK_ROLE_BIOS_BOOT,
  BERTH_DISK_ROLE_ESP,
  BERTH_DISK_ROLE_BOOT,
  BERTH_DISK_ROLE_ROOT,
} BerthDiskRole;

/* A volume as asked for (a kickstart `part`; bootc's defaults when none are given): what it
 * is for, how big, which filesystem. The layout places the volumes in the order given,
 * 1 MiB aligned. */
typedef struct
{
  BerthDiskRole role;
  guint64 size;      /* bytes, a multiple of 1 MiB; with @grow the least it takes (0: none) */
  gboolean grow;     /* takes what the fixed volumes leave, shared equally among the growing
                      * ones, each up to @max_size */
  guint64 max_size;  /* with @grow; 0: no limit */
  BerthDiskFs fs;    /* NONE: the role's (BIOS-BOOT none, ESP vfat, /boot ext4, root xfs) */
  const char *label; /* NULL: the role's, as bootc names them (EFI-SYSTEM, boot, root) */
  gboolean encrypt;  /* LUKS: refused until the in-guest tier (this host has no dm-crypt) */
} BerthDiskVolume;

typedef struct
{
  guint64 disk_size;     /* bytes */
  guint32 sector_size;   /* logical sector size; 0 = 512 */
  const char *arch;      /* uname name: "x86_64", "aarch64" */
  BerthDiskFs root_fs;   /* NONE = xfs */
  guint64 boot_size;     /* 0 = 1 GiB */
  guint64 esp_size;      /* 0 = 512 MiB */
  guint64 root_size;     /* 0 = the rest of the disk */
  guint64 image_size;    /* the image's estimated installed size; the root must hold it */
  const char *seed;      /* every UUID derives from it; NULL = random */
  gboolean no_bios_boot; /* leave out BIOS-BOOT on x86_64 (a disk for UEFI only) */
  /* Mark /boot with the GPT attribute LegacyBIOSBootable: U-Boot's distro boot scans only the
   * partitions marked bootable (that attribute, or the ESP's type) for extlinux.conf. */
  gboolean boot_legacy_bootable;
  /* The volumes, in order; NULL: bootc's layout from the options above (BIOS-BOOT on x86_64
   * unless @no_bios_boot, the ESP, /boot, then the root: @root_size, else the rest). With
   * volumes, root_fs, boot_size, esp_size, root_size and no_bios_boot are not used. Exactly
   * one root; at most one of each other role. */
  const BerthDiskVolume *volumes;
  guint n_volumes;
} BerthDiskLayoutOptions;

/* GPT partition attribute bits (UEFI spec 5.3.3, table "Defined GPT Partition Entry -
 * Attributes"): bit 2 is Legacy BIOS Bootable. */
#define BERTH_DISK_ATTR_LEGACY_BIOS_BOOTABLE ((guint64)1 << 2)

typedef struct
{
  guint number;    /* 1-based GPT entry number */
  guint64 start;   /* bytes from the start of the disk */
  guint64 size;    /* bytes */
  char *type_guid; /* lower case */
  char *uuid;      /* partition UUID, lower case */
  char *name;      /* GPT partition name */
  BerthDiskFs fs;  /* NONE for BIOS-BOOT */
  char *fs_label;  /* NULL when fs is NONE */
  char *fs_uuid;   /* as blkid reports it: "XXXX-XXXX" for vfat, a UUID otherwise */
  guint64 attrs;   /* GPT attribute bits (BERTH_DISK_ATTR_*); 0: none */
} BerthDiskPartition;

#define BERTH_DISK_MAX_PARTITIONS 4

typedef struct
{
  guint64 disk_size;
  guint32 sector_size;
  char *arch;
  char *disk_guid; /* lower case */
  guint n_partitions;
  BerthDiskPartition partitions[BERTH_DISK_MAX_PARTITIONS];
  /* Index into partitions[] of each role, -1 when absent (BIOS-BOOT on aarch64). */
  int role_index[BERTH_DISK_ROLE_ROOT + 1];
} BerthDiskLayout;

/* DESIGN.md section 7: BIOS-BOOT (x86_64 only), ESP, XBOOTLDR /boot, DPS root; 1 MiB aligned;
 * or the volumes given, in their order. DISK_TOO_SMALL (saying what is needed and what there
 * is) when the disk cannot hold the partitions with a root of at least the image size;
 * INVALID_ARGUMENT for bad options; REFUSED for an encrypted volume (not yet). */
BerthDiskLayout *berth_disk_layout_new (const BerthDiskLayoutOptions *opts, GError **error);
void berth_disk_layout_free (BerthDiskLayout *layout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDiskLayout, berth_disk_layout_free)

/* The partition of @role, or NULL. */
const BerthDiskPartition *berth_disk_layout_get (const BerthDiskLayout *layout, BerthDiskRole role);

/* JSON-able data for the plan: a{sv} with disk-size (t), sector-size (u), arch (s),
 * disk-guid (s), partitions (aa{sv}: number u, start t, size t, type s, uuid s, name s,
 * filesystem s, and label s / fs-uuid s when there is a filesystem, attributes t when any).
 * Floating reference. */
GVariant *berth_disk_layout_to_variant (const BerthDiskLayout *layout);

/* One line per partition, e.g.
 *   "2  EFI-SYSTEM  start 2 MiB  size 512 MiB  vfat EFI-SYSTEM  type c12a7328-..." */
char *berth_disk_layout_describe (const BerthDiskLayout *layout);

/* The deterministic UUID (version 4 shape) for @name under @seed: sha256(seed "\n" name). */
char *berth_disk_uuid_from_seed (const char *seed, const char *name);

/* ---- probe (read-only) ------------------------------------------------------------------ */

typedef struct
{
  char *path;
  gboolean is_file; /* a disk image file (--via-loopback), not a block device */
  dev_t devnum;     /* 0 for a file */
  guint64 size;
  guint32 sector_size;
  char **signatures;  /* "gpt partition table", "xfs filesystem", ...; empty when none */
  char **mounted;     /* "/dev/loop3p3 on /mnt" for the device and its partitions */
  char **system_uses; /* "/boot on /dev/vda2" when the running system's /, /boot or boot medium
                         lives on this disk */
} BerthDiskInfo;

void berth_disk_info_free (BerthDiskInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDiskInfo, berth_disk_info_free)

/* Reads @path (a whole-disk block device, or a disk image file probed the same way) without
 * writing: size, sector size, signatures (libblkid's partition tables and superblocks, at both
 * ends), mounts, whether the running system uses it. NOT_FOUND when missing; INVALID_ARGUMENT
 * when neither a block device nor a regular file; REFUSED for a partition (give the whole
 * disk). A file has no mounts and no system uses: attached to a loop device, it is refused by
 * berth_disk_loop_check_file. */
gboolean berth_disk_probe (const char *path, BerthDiskInfo **out_info, GError **error);

/* REFUSED (nothing written) for a mounted target, the running system's disk, and a disk with
 * signatures unless @wipe; the message lists what was found. */
gboolean berth_disk_check_target (const BerthDiskInfo *info, gboolean wipe, GError **error);

/* ---- loop devices (--via-loopback) --------------------------------------------------------- */

/* Attaches @file (created sparse with @size bytes when missing; grown when @size is larger;
 * REFUSED when @size would shrink it; @size 0 = as it is) to a free loop device, no autoclear,
 * no direct I/O. REFUSED, before anything touches the file, when it is attached already (what
 * a killed install leaves): a second loop device would write behind the first one's back; the
 * message names the device, its mounts and the losetup -d that fixes it. */
gboolean berth_disk_loop_attach (const char *file, guint64 size, char **out_device, GError **error);
/* The same check for the plan, without attaching: TRUE when @file is missing or not attached. */
gboolean berth_disk_loop_check_file (const char *file, GError **error);

/* LOOP_CLR_FD; usable from an error path (a NULL @device is a no-op). */
gboolean berth_disk_loop_detach (const char *device, GError **error);

/* ---- partition table -------------------------------------------------------------------- */

/* Writes @layout's GPT to @device with libfdisk (O_EXCL), then adds the partition nodes with
 * BLKPG (dropping stale ones) and waits for /dev nodes. */
gboolean berth_disk_write_table (const char *device, const BerthDiskLayout *layout, GError **error);
/* The rollback: drops the partition nodes, wipes every signature on the whole disk (GPT at both
 * ends, protective MBR) and zeroes its first and last MiB. */
gboolean berth_disk_wipe_table (const char *device, GError **error);
/* "/dev/loop3p2", "/dev/nvme0n1p2", "/dev/sda2". */
char *berth_disk_partition_path (const char *device, guint number);

/* ---- filesystems and mounts ----------------------------------------------------------------- */

/* mkfs.vfat/ext4/xfs/btrfs with @label and @uuid (vfat: "XXXX-XXXX" or 8 hex digits);
 * @cancellable kills a running mkfs (CANCELLED). */
gboolean berth_disk_mkfs (const char *partition, BerthDiskFs fs, const char *label,
                          const char *uuid, GCancellable *cancellable, GError **error);
gboolean berth_disk_mount (const char *source, const char *target, const char *fstype,
                           unsigned long flags, const char *data, GError **error);
/* Unmounts @target, retrying a busy one briefly, then detaching it (MNT_DETACH) as a last
 * resort. Not mounted is success. */
gboolean berth_disk_umount (const char *target, GError **error);
/* syncfs(2) of the filesystem holding @path. */
gboolean berth_disk_syncfs (const char *path, GError **error);

/* ---- an installed disk -------------------------------------------------------------------- */

/* The partitions of a disk berth installed, by GPT type; NULL when absent. */
typedef struct
{
  char *esp;
  char *boot; /* XBOOTLDR */
  char *root; /* the Discoverable Partitions root type */
} BerthDiskFound;

void berth_disk_found_free (BerthDiskFound *found);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDiskFound, berth_disk_found_free)

/* Reads @device's GPT (read-only), adds its partition nodes with BLKPG, and finds the root and
 * /boot partitions by type. BERTH_ERROR_NOT_FOUND when they are not there. */
gboolean berth_disk_open_installed (const char *device, BerthDiskFound **out_found, GError **error);

/* ---- filesystems the caller mounted (install --to-filesystem) ------------------------------ */

typedef struct
{
  char *path;      /* the mount point, as given */
  char *source;    /* its block device node, "/dev/loop3p3" */
  char *fstype;    /* "xfs", "ext4", "vfat" */
  char *fs_uuid;   /* as blkid reports it; NULL when the filesystem has none */
  char *fs_root;   /* the directory of the filesystem mounted there: "/", or a btrfs
                      subvolume's path ("/root") */
  char *disk;      /* the whole disk's node when source is a partition, else NULL */
  guint partno;    /* source's partition number, 0 when it is not a partition */
  char *part_type; /* the partition's type: a GPT GUID in lower case, or "0x83" for MBR; NULL
                      when unknown */
} BerthDiskMountInfo;

void berth_disk_mount_info_free (BerthDiskMountInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDiskMountInfo, berth_disk_mount_info_free)

/* What is mounted exactly at @path (the mount on top): NOT_FOUND when @path is not a mount
 * point, INVALID_ARGUMENT when the mount is not on a block device (tmpfs, overlay, nfs). */
gboolean berth_disk_mount_info (const char *path, BerthDiskMountInfo **out_info, GError **error);

/* The node of the first partition of type @type_guid on the whole disk @disk; NOT_FOUND. */
gboolean berth_disk_find_partition (const char *disk, const char *type_guid, char **out_node,
                                    GError **error);

/* The mounts of the block device @node, "SOURCE on MOUNTPOINT" (empty when not mounted). */
char **berth_disk_mounted_at (const char *node, GError **error);

/* Mounts @source trying the filesystems berth makes (xfs, ext4, btrfs). */
gboolean berth_disk_mount_any (const char *source, const char *target, unsigned long flags,
                               GError **error);

/* ---- held open: every mount, loop device and temporary directory with its undo ----------- */

/* Each pushes its undo on @undo (BERTH_UNDO_ALWAYS: temporary by nature) once it succeeded,
 * described for the user ("unmounted /tmp/berth-install-x/boot"): the one way berth install's
 * apply, `berth kargs --disk` and `berth upgrade --disk` hold a disk open. */
gboolean berth_disk_loop_attach_undo (BerthUndo *undo, const char *file, guint64 size,
                                      char **out_device, GError **error);
/* @fstype NULL: berth_disk_mount_any. */
gboolean berth_disk_mount_undo (BerthUndo *undo, const char *source, const char *dir,
                                const char *fstype, unsigned long flags, GError **error);
/* g_dir_make_tmp (@tmpl), removed by the undo (when empty). */
char *berth_disk_tmpdir_undo (BerthUndo *undo, const char *tmpl, GError **error);
/* mkdir @dir (0755), removed by the undo (when empty) at @when. */
gboolean berth_disk_mkdir_undo (BerthUndo *undo, BerthUndoWhen when, const char *dir,
                                GError **error);

/* An installed disk opened for an offline edit (`berth kargs --disk`, `berth upgrade --disk`):
 * attached to a loop device when it is an image file, its root and /boot partitions found by
 * GPT type (berth_disk_open_installed) and mounted, root at @mnt, /boot at @mnt/boot, which is
 * the sysroot libostree loads. */
typedef struct
{
  char *loop;      /* the loop device attached for an image file; NULL for a block device */
  char *mnt;       /* a new temporary directory */
  BerthUndo *undo; /* what open did, for close */
} BerthDiskSession;

/* Opens @path (a whole disk, or a disk image file) into @session (zero-initialised), mounted
 * read-only unless @writable. On failure @session holds what was done so far: clear it. */
gboolean berth_disk_session_open (BerthDiskSession *session, const char *path, gboolean writable,
                                  GError **error);
/* Undoes it in reverse (/boot, root, the directory, the loop device), every step even after one
 * failed; the first failure is returned. A cleared session is a no-op. */
gboolean berth_disk_session_close (BerthDiskSession *session, GError **error);
/* The same, for cleanup paths that have nowhere to report. */
void berth_disk_session_clear (BerthDiskSession *session);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BerthDiskSession, berth_disk_session_clear)

G_END_DECLS
