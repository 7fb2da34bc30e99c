/* deploy: the ostree sysroot on the target.
 *
 * Owns: sysroot init, stateroot, deployment with kernel arguments and origin, /var seeding,
 * /etc/fstab and first-boot drop-ins in the new deployment, and upgrades of an installed
 * system's default deployment (a new deployment, the repository pruned after it). Must not write
 * a bootloader.
 * Depends on: import, disk, util.
 *
 * The target is a mounted root directory MNT with the /boot filesystem mounted at MNT/boot
 * (or, for tests, a plain directory with a boot/ subdirectory). libostree 2022.7 facts this
 * module works around are in DESIGN.md section 2.
 */
#pragma once

#include "disk/disk.h"
#include "import/import.h"

G_BEGIN_DECLS

/* `ostree admin init-fs MNT` plus `ostree admin os-init STATEROOT`: creates the sysroot layout
 * and its bare repo, sets `sysroot.bootloader=none` (Debian's libostree with `auto` finds a
 * grub.cfg and runs grub-mkconfig, DESIGN.md section 5; berth_deploy_image() sets the value the
 * chosen bootloader needs) and `sysroot.readonly=true` (as bootc
 * does: the booted system mounts /sysroot read-only), creates the stateroot (none when
 * @stateroot is NULL) and loads the sysroot. A stateroot that exists already is an error
 * (libostree's own). *@out_repo is the sysroot's repo: pull the image straight into it
 * (berth_pull_image), there is no second copy. */
gboolean berth_deploy_init_sysroot (const char *mnt, const char *stateroot,
                                    OstreeSysroot **out_sysroot, OstreeRepo **out_repo,
                                    GCancellable *cancellable, GError **error);

/* The stateroot @stateroot (/ostree/deploy/STATEROOT with its var/), in a sysroot
 * berth_deploy_init_sysroot made with none: the plan decides it once the image's install
 * configuration is read. */
gboolean berth_deploy_init_stateroot (OstreeSysroot *sysroot, const char *stateroot,
                                      GCancellable *cancellable, GError **error);

/* Whether @commit can be deployed as a bootable system: one `usr/lib/modules/KVER/` with both
 * `vmlinuz` and `initramfs.img` (where ostree 2022.7 looks, DESIGN.md section 2). Fails with
 * BERTH_ERROR_UNSUPPORTED_IMAGE saying what is missing. *@out_kver (may be NULL): KVER. */
gboolean berth_deploy_check_bootable (OstreeRepo *repo, const char *commit, char **out_kver,
                                      GCancellable *cancellable, GError **error);

/* Settings of the installed system, written into a deployment's /etc. */
typedef struct
{
  const char *hostname; /* /etc/hostname */
  const char *timezone; /* /etc/localtime -> ../usr/share/zoneinfo/TIMEZONE (must be there) */
  /* root's password in /etc/shadow: a crypt(3) hash, or with @root_password_plain the
   * password itself (hashed here, SHA-512 crypt with a random salt); @root_lock prefixes '!' */
  const char *root_password;
  gboolean root_password_plain;
  gboolean root_lock;
} BerthDeploySettings;

/* Writes @settings into the tree at @deployment_path (its etc/): each file replaced whole by a
 * rename, shadow keeping its mode. INVALID_ARGUMENT for a time zone the image has no zoneinfo
 * for, a host name that is not one (RFC 1123, at most 64 bytes), an /etc/shadow without root. */
gboolean berth_deploy_apply_settings (const char *deployment_path,
                                      const BerthDeploySettings *settings, GError **error);

typedef struct
{
  const char *stateroot;    /* required: the one berth_deploy_init_sysroot created */
  const char *merge_commit; /* required: the image's merge commit in the sysroot's repo */
  /* The whole kernel command line in order, without `ostree=` (ostree adds it); may be NULL
   * (then no arguments at all). Replaces ostree's kargs entirely. */
  const char *const *kargs;
  /* The origin's `container-image-reference`, e.g.
   * `ostree-unverified-registry:quay.io/x/y:tag` (DESIGN.md section 3). Required. */
  const char *origin_imgref;
  /* The /boot filesystem for the deployment's /etc/fstab ("UUID=..."); NULL: no line (/boot
   * is a directory of the root filesystem). */
  const char *boot_mount_spec;
  const char *boot_fstype; /* NULL: "ext4" */
  /* authorized_keys content for root, injected with a tmpfiles.d drop-in; NULL: none. */
  const char *root_ssh_authorized_keys;
  /* The installed system's settings (a kickstart's), written into the deployment's /etc;
   * NULL / FALSE: as the image has them (berth_deploy_apply_settings). */
  BerthDeploySettings settings;
  /* The ostree remote the image was verified with (berth_ostree_remote_add() put it in the
   * sysroot repo's config and its keys in the repo's NAME.trustedkeys.gpg); the installed
   * system keeps it (see berth_deploy_image()). NULL: none. */
  const BerthOstreeRemote *ostree_remote;
  /* The sysroot's `sysroot.bootloader` (the bootloader backend's value: "none", "grub2",
   * "syslinux"), written to the repo's config before the deploy; NULL: "none" as init left
   * it. */
  const char *sysroot_bootloader;
  /* With "grub2": the program ostree runs instead of grub-mkconfig (see
   * BERTH_DEPLOY_CHROOT_ENV_SYSROOT); NULL: ostree's own chroot, which fails offline. */
  const char *grub2_exec;
} BerthDeployOptions;

/* ostree's grub2 integration offline (DESIGN.md section 5b): with sysroot.bootloader=grub2 and
 * no booted deployment, ostree 2022.7 chroots into the new deployment without /dev, /proc or
 * /sys to run its grub-mkconfig, which fails; with OSTREE_GRUB2_EXEC=PROGRAM it runs
 * `PROGRAM -o SYSROOT/boot/loader.N/grub.cfg` with _OSTREE_GRUB2_BOOTVERSION=N instead, no
 * chroot, output to /dev/null. Whenever a deploy, an upgrade or a kargs change writes the boot
 * configuration of a grub2 sysroot and a grub2_exec was given, PROGRAM gets these, besides: the
 * sysroot, the deployment ostree would have chrooted into (the new default), and a file for its
 * output, which goes into the error when ostree reports the program failed. berth's PROGRAM is
 * itself (the boot module's chroot runner), which the boot module also starts for the image's
 * grub-install with the first two. */
#define BERTH_DEPLOY_CHROOT_ENV_SYSROOT    "BERTH_CHROOT_SYSROOT"
#define BERTH_DEPLOY_CHROOT_ENV_DEPLOYMENT "BERTH_CHROOT_DEPLOYMENT"
#define BERTH_DEPLOY_CHROOT_ENV_LOG        "BERTH_CHROOT_LOG"

/* Where the installed system keeps the keys of the remote it verifies upgrades with:
 * BERTH_DEPLOY_REMOTE_KEY_DIR/NAME.gpg in the deployment's /etc, named by the gpgkeypath of
 * its /etc/ostree/remotes.d/NAME.conf. */
#define BERTH_DEPLOY_REMOTE_KEY_DIR "/etc/pki/berth"

/* "/etc/pki/berth/NAME.gpg" and "/etc/ostree/remotes.d/NAME.conf", as the installed system
 * sees them. */
char *berth_deploy_remote_key_path (const char *name);
char *berth_deploy_remote_config_path (const char *name);

/* What a deploy produced. */
typedef struct
{
  OstreeDeployment *deployment;
  char *deployment_path; /* MNT/ostree/deploy/STATEROOT/deploy/CSUM.SERIAL: the image's files */
  char *bls_entry_path;  /* MNT/boot/loader/entries/ostree-1-STATEROOT.conf */
  char *kver;            /* the kernel version the deployment boots */
  /* with options->ostree_remote: the deployment's file that defines it (as the installed
   * system sees it, "/etc/ostree/remotes.d/NAME.conf"), and whether the image brought that
   * file itself (then berth wrote none, and no key file) */
  char *remote_config;
  gboolean remote_config_from_image;
} BerthDeployResult;

void berth_deploy_result_free (BerthDeployResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDeployResult, berth_deploy_result_free)

/* Deploys @options->merge_commit as the only deployment of the stateroot: checks it is
 * bootable first (berth_deploy_check_bootable, before anything is written), writes the
 * deployment with the origin `[origin] container-image-reference=...` and the kargs, makes it
 * the default (ostree writes the BLS entry under MNT/boot/loader/entries/), then seeds the
 * stateroot's /var from the commit's var/ (2022.7 ignores it; files copied, never hardlinked to
 * repo objects, with owner, mode and xattrs), appends the /boot line to the deployment's
 * /etc/fstab and writes the root SSH drop-in
 * /etc/tmpfiles.d/bootc-root-ssh.conf (bootc's name and format).
 *
 * With @options->ostree_remote, the installed system keeps that remote, defined once: a booted
 * system's libostree reads the remotes of /ostree/repo/config AND of /etc/ostree/remotes.d, and
 * refuses to open the repository at all ("Multiple specifications found for remote") when both
 * define one name. So the remote moves out of the sysroot repo's config into the deployment's
 * /etc/ostree/remotes.d/NAME.conf (where `ostree remote add` puts it on a booted system, and
 * Anaconda after an install; an image that later ships a file of that name does not
 * duplicate it, /etc's merge keeps the local one), with gpgkeypath=/etc/pki/berth/NAME.gpg, a
 * copy of the keyring; the keyring itself stays in the repo as NAME.trustedkeys.gpg (libostree
 * looks there first, whatever file defines the remote). When the image's own /etc/ostree/
 * remotes.d defines the remote, that definition is the system's: berth writes no file, and the
 * keys it verified with stay in the repo's keyring. */
gboolean berth_deploy_image (OstreeSysroot *sysroot, const BerthDeployOptions *options,
                             BerthDeployResult **out_result, GCancellable *cancellable,
                             GError **error);

/* The tmpfiles.d(5) lines that give root @authorized_keys (exposed for the unit tests):
 * `d /root/.ssh 0700 root root -` and `f~ /root/.ssh/authorized_keys 600 root root - BASE64`
 * (`~`: the argument is base64, systemd >= 250; `f` never overwrites a file the user has). */
char *berth_deploy_ssh_tmpfiles (const char *authorized_keys);

/* The drop-in's name, bootc's. */
#define BERTH_DEPLOY_SSH_TMPFILES_NAME "bootc-root-ssh.conf"

/* The kernel arguments of deployment @index (0 is the default) of the sysroot at
 * @sysroot_path, without the ostree= argument ostree owns. */
gboolean berth_deploy_get_kargs (const char *sysroot_path, guint index, char **out_kargs,
                                 GError **error);

/* Replaces them (ostree adds ostree= back), writing a new boot version atomically. @grub2_exec:
 * as BerthDeployOptions' (a grub2 sysroot's menu is regenerated). */
gboolean berth_deploy_set_kargs (const char *sysroot_path, guint index, const char *const *kargs,
                                 const char *grub2_exec, GError **error);

/* A BLS `options` line without the ostree= argument, which ostree owns (it names the
 * deployment): "root=UUID=x rw ostree=/ostree/boot.1/..." -> "root=UUID=x rw". */
char *berth_deploy_kargs_without_ostree (const char *options);

/* Whether @line is libostree 2022.7's note that a deploy ignores a commit's /var content
 * ("note: Deploying commit X which contains content in /var/Y that will be ignored."), which
 * berth drops from stderr while it deploys (see deploy-private.h). */
gboolean berth_deploy_is_var_note (const char *line);

/* ---- upgrades (deploy-upgrade.c) --------------------------------------------------------- */

/* An installed system opened for `berth upgrade`: the sysroot, and what its default deployment
 * (index 0, the one that boots) follows. Offline: the sysroot is a mounted disk, not the running
 * system. */
typedef struct
{
  OstreeSysroot *sysroot;
  OstreeRepo *repo;             /* the system's repository: the upgrade pulls into it */
  OstreeDeployment *deployment; /* the default deployment: the merge deployment of an upgrade */
  char *stateroot;
  char *commit;          /* the default deployment's commit */
  char *deployment_path; /* SYSROOT/ostree/deploy/STATEROOT/deploy/CSUM.SERIAL */
  char *deployment_name; /* "STATEROOT CSUM.SERIAL", for messages */
  /* its origin's `[origin] container-image-reference` (DESIGN.md section 3) */
  char *origin_imgref;
  /* its commit's `ostree.manifest-digest` (the image it was deployed from); NULL when none */
  char *manifest_digest;
  char *kargs; /* its kernel arguments, without ostree= */
  guint n_deployments;
  gboolean locked; /* the sysroot's lock is held (writable) */
} BerthDeploySystem;

void berth_deploy_system_free (BerthDeploySystem *system);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDeploySystem, berth_deploy_system_free)

/* Loads the sysroot at @sysroot_path (root there, its /boot at @sysroot_path/boot), locked
 * (ostree's sysroot lock, held until it is freed) when @writable, and reads the default
 * deployment. BERTH_ERROR_NOT_FOUND without deployments; BERTH_ERROR_UNSUPPORTED_IMAGE when the
 * default deployment follows no container image (an origin without container-image-reference:
 * a plain ostree ref, which `ostree admin upgrade` updates). */
BerthDeploySystem *berth_deploy_system_open (const char *sysroot_path, gboolean writable,
                                             GCancellable *cancellable, GError **error);

/* Deploys @commit (in the system's repository) as the new default deployment of the same
 * stateroot, the way `ostree admin deploy` does: checked bootable first
 * (berth_deploy_check_bootable, before anything is written); the current default is the merge
 * deployment (ostree's 3-way /etc merge), its kernel arguments and its origin are kept; it stays
 * as the rollback entry, older deployments of the stateroot go (pinned ones and other
 * stateroots' stay). /var is not touched (ostree's rule for upgrades). The repository's config
 * is not written. Needs @system opened writable. The repository is not pruned here:
 * berth_deploy_system_prune. @grub2_exec: as BerthDeployOptions' (a grub2 sysroot's menu is
 * regenerated by the deploy). */
gboolean berth_deploy_upgrade (BerthDeploySystem *system, const char *commit,
                               const char *grub2_exec, BerthDeployResult **out_result,
                               GCancellable *cancellable, GError **error);

typedef struct
{
  char **layer_refs; /* the blob refs removed (berth_import_prune_layers), sorted */
  guint n_objects;   /* objects the prune deleted */
  guint64 n_bytes;   /* their size */
} BerthDeployPruneResult;

void berth_deploy_prune_result_free (BerthDeployPruneResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDeployPruneResult, berth_deploy_prune_result_free)

/* After an upgrade: removes the blob refs no image ref uses any more, then prunes the objects
 * nothing reaches (refs and every deployment's commit kept, as ostree's sysroot cleanup
 * prunes). */
gboolean berth_deploy_system_prune (BerthDeploySystem *system, BerthDeployPruneResult **out_result,
                                    GCancellable *cancellable, GError **error);

G_END_DECLS
