/* The install as data, then its execution (see plan.h). */
#pragma once

#include "boot/boot.h"
#include "deploy/deploy.h"
#include "disk/disk.h"
#include "import/import.h"
#include "kargs/kargs.h"
#include "oci/oci-source.h"
#include "plan/plan-decide.h"

G_BEGIN_DECLS

typedef struct
{
  const char *image; /* IMAGE as the user wrote it */
  BerthSourceOptions source;
  const char *target; /* a whole block device, with via_loopback an image file, with
                         to_filesystem a mounted root directory */
  gboolean via_loopback;
  /* Anaconda-style: the caller partitioned and mounted the root at TARGET, /boot at
   * TARGET/boot (a directory of the root when not separate) and the ESP at TARGET/boot/efi
   * (else it is found by type on the disk of /boot and written unmounted). */
  gboolean to_filesystem;
  const char *root_mount_spec; /* with to_filesystem: root= (default UUID=<root fs UUID>) */
  const char *boot_mount_spec; /* with to_filesystem: boot= and fstab (default UUID=...) */
  guint64 loopback_size;       /* bytes; 0: 10 GiB (bootc's default) */
  gboolean wipe;
  BerthDiskFs root_fs; /* NONE: the image's install configuration's, else xfs */
  guint64 root_size, boot_size;
  const char *stateroot;     /* NULL: the image's install configuration's, else "default" */
  const char *target_imgref; /* NULL: the image itself */
  const char *const *kargs;
  const char *const *karg_deletes;
  const char *console; /* --console TTY[,OPTS] -> console= */
  BerthBootloader bootloader;
  BerthBootFirmware firmware; /* --firmware */
  gboolean secure_boot;       /* --secure-boot: refuse a chain that would not boot with it */
  /* berth's chroot runner (the berth executable: berth_boot_runner_main), for the image's GRUB
   * tools and ostree's grub-mkconfig (OSTREE_GRUB2_EXEC); NULL: GRUB installs only what needs
   * neither (and ostree's own chroot fails offline) */
  const char *runner;
  const char *root_ssh_authorized_keys; /* the file's contents, or NULL */
  BerthDeploySettings settings;         /* the system's settings (a kickstart's); zero: none */
  const char *uuid_seed;                /* reproducible UUIDs (tests); NULL: random */
  /* An ostree-remote-* IMAGE: the ostree remote file (`[remote "NAME"]`, url=, gpgkeypath=)
   * whose keys verify the commit; NULL: the host's /etc/ostree/remotes.d/NAME.conf. Refused for
   * any other IMAGE. */
  const char *ostree_remote_config;
  gboolean preserve_on_error;
  /* The volumes of the layout (a kickstart's part lines); NULL: bootc's (see plan-decide.h) */
  const BerthDiskVolume *volumes;
  guint n_volumes;
} BerthInstallOptions;

typedef struct BerthInstallPlan BerthInstallPlan;

void berth_install_plan_free (BerthInstallPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthInstallPlan, berth_install_plan_free)

/* Builds the whole install without writing anything: resolves the image (manifest and config
 * only), loads the ostree remote of an ostree-remote-* IMAGE with its keys (an unusable one is
 * refused here, naming the file and the fix), probes the target and refuses an unsafe one
 * (mounted, used by the running system, not empty without --wipe, too small for the layout
 * plus the image), and lays out the disk.
 * For --via-loopback the target file need not exist yet. For --to-filesystem: the mounts
 * (root, /boot, the ESP) are read, and refused when the root is not an empty mount point, has
 * too little space, or the bootloader could not read them (systemd-boot needs /boot on an ext4
 * XBOOTLDR partition on the ESP's disk). */
BerthInstallPlan *berth_install_plan_new (const BerthInstallOptions *options,
                                          GCancellable *cancellable, GError **error);

/* Pulls the image into a temporary repository (removed afterwards) to read its kargs.d and
 * install configuration and the boot files it carries, so the plan shows the final kernel
 * command line with where each argument comes from, and the bootloader with why. Writes nothing
 * to the target. */
gboolean berth_install_plan_preview_kargs (BerthInstallPlan *plan, GCancellable *cancellable,
                                           GError **error);

/* What --via-loopback does to its file. */
typedef enum
{
  BERTH_LOOPBACK_NONE,     /* not --via-loopback */
  BERTH_LOOPBACK_NEW,      /* made (or an empty file sized) with --size, default 10 GiB */
  BERTH_LOOPBACK_EXISTING, /* used at its size */
  BERTH_LOOPBACK_GROWN,    /* grown to --size */
} BerthLoopbackFile;

/* The plan as data, for the CLI to render (--dry-run's text and JSON, the install's header):
 * the plan never prints. Pointers into the plan, valid while it lives; the decisions change
 * with the preview and the apply (get the view again after either). */
typedef struct
{
  const char *image_name;      /* what is installed from */
  const char *manifest_digest; /* the image's manifest */
  guint n_layers;
  guint64 image_size;                     /* estimated installed size */
  gboolean labelled_bootable;             /* containers.bootc or ostree.bootable */
  const char *origin_imgref;              /* the origin's container-image-reference */
  const char *target_ref;                 /* docker://..., the image ref the system updates from */
  const BerthOstreeRemote *ostree_remote; /* NULL unless an ostree-remote-* IMAGE */
  const char *target;
  gboolean via_loopback, to_filesystem, wipe;
  guint64 disk_size; /* with --to-filesystem: the root filesystem's size */
  BerthLoopbackFile loopback_file;
  guint64 loopback_old_size; /* BERTH_LOOPBACK_GROWN: the size before */
  const BerthDiskInfo *disk; /* the probe; NULL for a new loopback file and --to-filesystem */
  /* --to-filesystem: the caller's mounts (fs_boot, fs_esp NULL when not separate, not
   * mounted), the unmounted ESP's node */
  const BerthDiskMountInfo *fs_root, *fs_boot, *fs_esp;
  const char *esp_node;
  const BerthInstallChoices *choices;
  const BerthInstallDecisions *decided;
  const GPtrArray *warnings; /* char *: the plan's own; the decisions have their notes */
} BerthInstallPlanView;

const BerthInstallPlanView *berth_install_plan_get_view (BerthInstallPlan *plan);

/* Progress: one event per step started and per layer pulled, and byte counts during the pull.
 * Never two calls at once, but byte counts come from the pull's worker threads. */
typedef struct
{
  const char *step;    /* "target", "partition", "mkfs", "sysroot", "pull", "kargs",
                          "warning", "deploy", "bootloader", "finish" ("mount" names a step
                          in errors only) */
  const char *message; /* NULL for a byte count update */
  guint64 bytes_done;  /* during the pull: layer bytes fetched so far (compressed) */
  guint64 bytes_total; /* of the layers being fetched (0 outside the pull) */
  guint layer;         /* the layer a pull message is about, 1-based; 0 otherwise */
  guint n_layers;      /* during the pull: the image's layer count */
} BerthInstallEvent;

typedef void (*BerthInstallProgressFunc) (const BerthInstallEvent *event, gpointer user_data);

/* Executes @plan. The bootloader is written last, so a failure before it leaves nothing that
 * boots; on failure the partition table written is wiped (unless preserve_on_error), the
 * mounts and the loop device undone, and the error names the step that failed. @cancellable
 * (the CLI cancels it on SIGINT, SIGTERM, SIGHUP) stops the running step, and the same
 * rollback runs, to its end; once the bootloader is written the install is complete and an
 * interrupt no longer undoes it. */
gboolean berth_install_plan_apply (BerthInstallPlan *plan, BerthInstallProgressFunc progress,
                                   gpointer user_data, GCancellable *cancellable, GError **error);

/* After a failed apply: the step that failed ("pull"), and what the rollback did, one line
 * each ("wiped the partition table ... on disk.img", "detached /dev/loop0"). NULL otherwise. */
const char *berth_install_plan_get_failed_step (const BerthInstallPlan *plan);
const char *const *berth_install_plan_get_undone (const BerthInstallPlan *plan);

/* The bootloader chosen (after the preview or the apply's pull; NULL before). */
const BerthBootDecision *berth_install_plan_get_bootloader (const BerthInstallPlan *plan);

/* The kernel command line the install wrote, once applied (NULL before). */
const BerthKargs *berth_install_plan_get_kargs (const BerthInstallPlan *plan);

G_END_DECLS
