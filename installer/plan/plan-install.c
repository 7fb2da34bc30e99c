/* berth install: plan, then apply (systemd-repart's shape). See plan-install.h. */
#include "plan-install.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

#include "deploy/deploy.h"
#include "plan-decide.h"
#include "import/import-pull.h"
#include "util/util-undo.h"

/* bootc's default for --via-loopback images. */
#define DEFAULT_LOOPBACK_SIZE (10 * BERTH_DISK_GiB)
/* Installed size from compressed layer sizes: OS trees compress about 2.5:1 with gzip (the test
 * image: 142 MB of layers, 353 MB of files); 3:1 leaves room for zstd and for /var. */
#define INSTALLED_SIZE_FACTOR 3

struct BerthInstallPlan
{
  /* options, owned copies */
  char *target;
  gboolean via_loopback;
  gboolean to_filesystem;
  guint64 loopback_size;
  gboolean wipe;
  /* what the user chose, for berth_install_decide (its strings point at the copies here) */
  BerthInstallChoices choices;
  char *stateroot_choice;
  GStrv cli_kargs;
  GStrv cli_karg_deletes;
  char *uuid_seed; /* the given one, or a random one: every decision makes the same layout */
  BerthDiskVolume *volumes; /* a copy of the options' (the labels point into the caller's) */
  guint n_volumes;
  char *runner;
  char *ssh_keys;
  BerthDeploySettings settings; /* strings owned here */
  gboolean preserve_on_error;
  char *arch;

  BerthImageSource *source;
  char *image_name;    /* what was installed from */
  char *target_ref;    /* docker://... the system updates from: names the image ref */
  char *origin_imgref; /* container-image-reference= */
  /* an ostree-remote-* IMAGE: the remote whose keys verify its commit */
  BerthOstreeRemote *ostree_remote;
  guint64 image_size; /* estimated installed size */
  gboolean labelled_bootable;
  BerthDiskInfo *disk; /* the probe; NULL for a new loopback file */
  guint64 disk_size;
  BerthLoopbackFile loopback_file;
  guint64 loopback_old_size; /* BERTH_LOOPBACK_GROWN: the size before */
  /* --to-filesystem: the caller's mounts; the ESP mounted (esp_dir) or found by type */
  BerthDiskMountInfo *fs_root;
  BerthDiskMountInfo *fs_boot; /* NULL: /boot is not a separate mount */
  BerthDiskMountInfo *fs_esp;  /* NULL: not mounted */
  char *esp_node;
  char *esp_disk;  /* the whole disk holding the ESP */
  char *bios_disk; /* the disk of /boot when it has a BIOS boot partition, for GRUB's core image */
  /* --to-filesystem's facts for the decisions (strings owned here) */
  BerthInstallFsFacts fs_facts;
  char *fs_root_spec, *fs_root_flags, *fs_boot_spec;
  GPtrArray *warnings; /* the plan's own (the decisions have their notes) */

  /* the decisions: before the pull from what is known then, after it (the preview's, the
   * apply's) with the image's files */
  BerthInstallDecisions *decided;
  BerthInstallPlanView view;
  /* filled by apply */
  const char *failed_step; /* a name of step_names; NULL when apply succeeded */
  char **undone;           /* after a failure: what the rollback did */
};

void
berth_install_plan_free (BerthInstallPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->target);
  g_free (plan->stateroot_choice);
  g_free (plan->uuid_seed);
  g_free (plan->volumes);
  g_strfreev (plan->cli_kargs);
  g_strfreev (plan->cli_karg_deletes);
  g_free (plan->ssh_keys);
  g_free ((char *)plan->settings.hostname);
  g_free ((char *)plan->settings.timezone);
  if (plan->settings.root_password != NULL)
    explicit_bzero ((char *)plan->settings.root_password, strlen (plan->settings.root_password));
  g_free ((char *)plan->settings.root_password);
  g_free (plan->runner);
  g_free (plan->arch);
  g_clear_pointer (&plan->source, berth_image_source_free);
  g_free (plan->image_name);
  g_free (plan->target_ref);
  g_free (plan->origin_imgref);
  g_clear_pointer (&plan->ostree_remote, berth_ostree_remote_free);
  g_clear_pointer (&plan->disk, berth_disk_info_free);
  g_clear_pointer (&plan->fs_root, berth_disk_mount_info_free);
  g_clear_pointer (&plan->fs_boot, berth_disk_mount_info_free);
  g_clear_pointer (&plan->fs_esp, berth_disk_mount_info_free);
  g_free (plan->esp_node);
  g_free (plan->esp_disk);
  g_free (plan->bios_disk);
  g_free (plan->fs_root_spec);
  g_free (plan->fs_root_flags);
  g_free (plan->fs_boot_spec);
  g_clear_pointer (&plan->warnings, g_ptr_array_unref);
  g_clear_pointer (&plan->decided, berth_install_decisions_free);
  g_strfreev (plan->undone);
  g_free (plan);
}

const BerthKargs *
berth_install_plan_get_kargs (const BerthInstallPlan *plan)
{
  return plan->decided != NULL ? plan->decided->kargs : NULL;
}

const BerthBootDecision *
berth_install_plan_get_bootloader (const BerthInstallPlan *plan)
{
  return plan->decided != NULL ? plan->decided->boot : NULL;
}

/* ---- --to-filesystem ---------------------------------------------------------------------- */

/* What may be in a filesystem berth installs into (bootc's to-filesystem rule): the mount
 * points of what the caller mounted below, and mkfs's lost+found. */
static gboolean
dir_is_empty_but (const char *dir, const char *const *allowed, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return berth_throw_errno (error, dir);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  guint n_found = 0;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    if (!g_strv_contains (allowed, name) && n_found++ < 6)
      g_ptr_array_add (found, g_strdup (name));
  if (n_found == 0)
    return TRUE;
  g_ptr_array_add (found, NULL);
  g_autofree char *list = g_strjoinv (", ", (char **)found->pdata);
  return berth_throw (error, BERTH_ERROR_REFUSED,
                      "Refusing %s: it is not empty (found: %s%s); --to-filesystem installs into "
                      "a freshly made filesystem (only lost+found and the mount points of /boot "
                      "and the ESP may be there)",
                      dir, list, n_found > 6 ? ", ..." : "");
}

/* A mount below @root (boot, boot/efi, efi); NULL without error when @rel is not a mount point
 * (or does not exist). */
static gboolean
mount_below (const char *root, const char *rel, BerthDiskMountInfo **out, GError **error)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autoptr (GError) local_error = NULL;
  *out = NULL;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return TRUE;
  if (berth_disk_mount_info (path, out, &local_error))
    return TRUE;
  if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static char *
spec_of (const BerthDiskMountInfo *m, const char *option, GError **error)
{
  if (m->fs_uuid == NULL)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "%s (%s on %s) has no filesystem UUID to name it by; give %s", m->path,
                         m->fstype, m->source, option),
            NULL);
  return g_strdup_printf ("UUID=%s", m->fs_uuid);
}

/* Where the bootloader goes, and whether it can read /boot there. */
static gboolean
plan_filesystem_esp (BerthInstallPlan *plan, GError **error)
{
  const char *dir = plan->target;
  if (!mount_below (dir, "boot/efi", &plan->fs_esp, error))
    return FALSE;
  if (plan->fs_esp == NULL && !mount_below (dir, "efi", &plan->fs_esp, error))
    return FALSE;
  if (plan->fs_esp != NULL && g_strcmp0 (plan->fs_esp->fstype, "vfat") != 0)
    return berth_throw (error, BERTH_ERROR_REFUSED, "%s is %s, not an EFI system partition (vfat)",
                        plan->fs_esp->path, plan->fs_esp->fstype);
  const char *esp_disk = NULL;
  if (plan->fs_esp != NULL)
    esp_disk = plan->fs_esp->disk;
  else
    {
      /* not mounted: on the disk of /boot (or of the root), by type, written unmounted */
      const BerthDiskMountInfo *m = plan->fs_boot != NULL ? plan->fs_boot : plan->fs_root;
      g_autoptr (GError) local_error = NULL;
      if (m->disk == NULL
          || !berth_disk_find_partition (m->disk, BERTH_DISK_TYPE_ESP, &plan->esp_node,
                                         &local_error))
        return berth_throw (error, BERTH_ERROR_REFUSED,
                            "No EFI system partition for the bootloader: none is mounted at "
                            "%s/boot/efi and %s has no partition of type %s. Mount the ESP "
                            "there, or give --bootloader none to write only the BLS entries",
                            dir, m->disk != NULL ? m->disk : m->source, BERTH_DISK_TYPE_ESP);
      g_auto (GStrv) at = berth_disk_mounted_at (plan->esp_node, error);
      if (at == NULL)
        return FALSE;
      if (at[0] != NULL)
        return berth_throw (error, BERTH_ERROR_REFUSED,
                            "The EFI system partition is mounted (%s): mount it at %s/boot/efi "
                            "instead, or unmount it (berth writes an unmounted ESP directly)",
                            at[0], dir);
      esp_disk = m->disk;
    }

  /* what the loaders need of /boot (systemd-boot: an ext4 XBOOTLDR partition on the ESP's disk;
   * GRUB: its own ext4 or xfs filesystem) is the backends' to say; auto keeps those that fit,
   * and the image decides among them after the pull */
  const char *boot_disk = plan->fs_boot != NULL ? plan->fs_boot->disk : NULL;
  g_autofree char *bios_node = NULL;
  if (boot_disk != NULL
      && berth_disk_find_partition (boot_disk, BERTH_DISK_TYPE_BIOS_BOOT, &bios_node, NULL))
    plan->bios_disk = g_strdup (boot_disk);
  plan->esp_disk = g_strdup (esp_disk);
  return TRUE;
}

static gboolean
plan_filesystem_target (BerthInstallPlan *plan, const BerthInstallOptions *options, GError **error)
{
  const char *dir = plan->target;
  struct stat st, rootst;
  if (stat (dir, &st) < 0)
    return berth_throw_errno (error, dir);
  if (!S_ISDIR (st.st_mode))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "--to-filesystem %s: not a directory (give the directory where the new "
                        "root filesystem is mounted)",
                        dir);
  if (stat ("/", &rootst) == 0 && st.st_dev == rootst.st_dev && st.st_ino == rootst.st_ino)
    return berth_throw (error, BERTH_ERROR_REFUSED, "Refusing %s: it is the running system's root",
                        dir);
  g_autoptr (GError) local_error = NULL;
  if (!berth_disk_mount_info (dir, &plan->fs_root, &local_error))
    {
      if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        return berth_throw (error, BERTH_ERROR_REFUSED,
                            "--to-filesystem %s is not a mount point: mount the new root "
                            "filesystem there (and /boot, and the ESP at boot/efi, if "
                            "separate) first",
                            dir);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!mount_below (dir, "boot", &plan->fs_boot, error))
    return FALSE;
  if (plan->fs_boot != NULL && g_strcmp0 (plan->fs_boot->fstype, "vfat") == 0)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "%s is vfat: ostree's /boot needs symlinks (DESIGN: libostree 2022.7 "
                        "swaps a loader symlink); make /boot ext4 or xfs and mount the ESP at "
                        "boot/efi",
                        plan->fs_boot->path);

  const char *const root_allowed[] = { "lost+found", "boot", "efi", NULL };
  const char *const boot_allowed[] = { "lost+found", "efi", NULL };
  g_autofree char *boot_dir = g_build_filename (dir, "boot", NULL);
  if (!dir_is_empty_but (dir, root_allowed, error)
      || (g_file_test (boot_dir, G_FILE_TEST_IS_DIR)
          && !dir_is_empty_but (boot_dir, boot_allowed, error)))
    return FALSE;

  /* a btrfs subvolume mounted as the root (Anaconda's layout): the kernel mounts the top level
   * unless told, so rootflags=subvol= goes right after root= (bootc does the same) */
  if (g_strcmp0 (plan->fs_root->fstype, "btrfs") == 0 && plan->fs_root->fs_root != NULL
      && g_strcmp0 (plan->fs_root->fs_root, "/") != 0)
    plan->fs_root_flags = g_strdup_printf ("rootflags=subvol=%s", plan->fs_root->fs_root + 1);
  plan->fs_root_spec = options->root_mount_spec
                         ? g_strdup (options->root_mount_spec)
                         : spec_of (plan->fs_root, "--root-mount-spec", error);
  if (plan->fs_root_spec == NULL)
    return FALSE;
  if (plan->fs_boot != NULL)
    {
      plan->fs_boot_spec = options->boot_mount_spec
                             ? g_strdup (options->boot_mount_spec)
                             : spec_of (plan->fs_boot, "--boot-mount-spec", error);
      if (plan->fs_boot_spec == NULL)
        return FALSE;
    }
  else if (options->boot_mount_spec != NULL)
    plan->fs_boot_spec = g_strdup (options->boot_mount_spec);

  struct statvfs vfs;
  if (statvfs (dir, &vfs) < 0)
    return berth_throw_errno (error, dir);
  plan->disk_size = (guint64)vfs.f_blocks * vfs.f_frsize;
  guint64 avail = (guint64)vfs.f_bavail * vfs.f_frsize;
  if (avail < plan->image_size)
    {
      g_autofree char *need = g_format_size (plan->image_size);
      g_autofree char *have = g_format_size (avail);
      return berth_throw (error, BERTH_ERROR_DISK_TOO_SMALL,
                          "%s has %s free; the image needs about %s installed", dir, have, need);
    }

  /* the ESP, unless the loader asked for needs none (extlinux: U-Boot reads /boot) */
  const BerthBootBackend *asked = berth_boot_backend_get (options->bootloader);
  if (options->bootloader != BERTH_BOOTLOADER_NONE && (asked == NULL || asked->needs_esp)
      && !plan_filesystem_esp (plan, error))
    return FALSE;
  plan->fs_facts = (BerthInstallFsFacts){
    .root_fstype = plan->fs_root->fstype,
    .root_spec = plan->fs_root_spec,
    .root_flags = plan->fs_root_flags,
    .boot_spec = plan->fs_boot_spec,
    .boot_fstype = plan->fs_boot != NULL ? plan->fs_boot->fstype : NULL,
    .boot_fs_uuid = plan->fs_boot != NULL ? plan->fs_boot->fs_uuid : NULL,
    .boot = { .root_dir = plan->target,
              .boot = plan->fs_boot,
              .esp_disk = plan->esp_disk,
              .bios_boot = plan->bios_disk != NULL },
  };
  return TRUE;
}

/* The decisions from what is known now: the image's files (@image_files) once read. */
static gboolean
plan_decide (BerthInstallPlan *plan, gboolean image_files, const BerthKargsInstallConfig *config,
             const BerthKargs *kargs_d, const BerthBootFacts *boot_facts, GError **error)
{
  BerthInstallFacts facts = {
    .arch = plan->arch,
    .disk_size = plan->disk_size,
    .sector_size = plan->disk != NULL ? plan->disk->sector_size : 512,
    .fs = plan->to_filesystem ? &plan->fs_facts : NULL,
    .image_size = plan->image_size,
    .image_files = image_files,
    .install_config = config,
    .kargs_d = kargs_d,
    .boot_facts = boot_facts,
  };
  BerthInstallDecisions *d = NULL;
  if (!berth_install_decide (&facts, &plan->choices, &d, error))
    return FALSE;
  g_clear_pointer (&plan->decided, berth_install_decisions_free);
  plan->decided = d;
  return TRUE;
}

/* --via-loopback: a new file is made with --size (default 10 GiB); an existing one is probed
 * like a disk (so the file bootc's docs make with truncate is blank and needs no --wipe), its
 * size is the disk's, and only an explicit, larger --size grows it. An empty file counts as
 * new. */
static gboolean
plan_loopback_file (BerthInstallPlan *plan, const BerthInstallOptions *options, GError **error)
{
  struct stat st;
  if (stat (plan->target, &st) != 0)
    {
      if (errno != ENOENT)
        return berth_throw_errno (error, plan->target);
      plan->disk_size = plan->loopback_size;
      plan->loopback_file = BERTH_LOOPBACK_NEW;
      return TRUE;
    }
  if (!S_ISREG (st.st_mode))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "--via-loopback %s: not a regular file (give a disk image file, or the "
                        "block device itself without --via-loopback)",
                        plan->target);
  if (!berth_disk_loop_check_file (plan->target, error))
    return FALSE;
  if (st.st_size == 0)
    {
      plan->disk_size = plan->loopback_size;
      plan->loopback_file = BERTH_LOOPBACK_NEW;
      return TRUE;
    }
  guint64 size = (guint64)st.st_size;
  if (options->loopback_size != 0 && options->loopback_size < size)
    {
      g_autofree char *have = g_format_size_full (size, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *want = g_format_size_full (options->loopback_size, G_FORMAT_SIZE_IEC_UNITS);
      return berth_throw (error, BERTH_ERROR_REFUSED,
                          "--size %s is smaller than %s (%s): berth grows a disk image file but "
                          "never shrinks it; give a larger --size or none",
                          want, plan->target, have);
    }
  if (!berth_disk_probe (plan->target, &plan->disk, error)
      || !berth_disk_check_target (plan->disk, plan->wipe, error))
    return FALSE;
  plan->loopback_old_size = size;
  plan->disk_size = MAX (size, options->loopback_size);
  plan->loopback_file = plan->disk_size > size ? BERTH_LOOPBACK_GROWN : BERTH_LOOPBACK_EXISTING;
  return TRUE;
}

/* An ostree-remote-* IMAGE: its remote, from --ostree-remote-config or the host's
 * /etc/ostree/remotes.d, loaded with its keys now, so an unusable one stops the install before
 * anything is written. */
static gboolean
plan_ostree_remote (BerthInstallPlan *plan, const BerthInstallOptions *options,
                    const BerthImageRef *ref, GCancellable *cancellable, GError **error)
{
  if (ref->sigverify != BERTH_SIGVERIFY_REMOTE)
    {
      if (options->ostree_remote_config != NULL)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "--ostree-remote-config %s: %s names no ostree remote (only "
                            "ostree-remote-registry:REMOTE:NAME and "
                            "ostree-remote-image:REMOTE:TRANSPORT:NAME have their commit checked "
                            "with a remote's keys)",
                            options->ostree_remote_config, options->image);
      return TRUE;
    }
  plan->ostree_remote = berth_ostree_remote_load (ref->remote, options->ostree_remote_config,
                                                  /* remotes_d= */ NULL, cancellable, error);
  return plan->ostree_remote != NULL;
}

static char *
machine_arch (void)
{
  struct utsname u;
  if (uname (&u) < 0)
    return g_strdup ("x86_64");
  return g_strdup (u.machine);
}

BerthInstallPlan *
berth_install_plan_new (const BerthInstallOptions *options, GCancellable *cancellable,
                        GError **error)
{
  g_autoptr (BerthInstallPlan) plan = g_new0 (BerthInstallPlan, 1);
  plan->target = g_strdup (options->target);
  plan->via_loopback = options->via_loopback;
  plan->to_filesystem = options->to_filesystem;
  plan->loopback_size = options->loopback_size ? options->loopback_size : DEFAULT_LOOPBACK_SIZE;
  plan->wipe = options->wipe;
  plan->stateroot_choice = g_strdup (options->stateroot);
  plan->uuid_seed = options->uuid_seed ? g_strdup (options->uuid_seed) : g_uuid_string_random ();
  if (options->volumes != NULL)
    {
      plan->volumes = g_memdup2 (options->volumes, sizeof (BerthDiskVolume) * options->n_volumes);
      plan->n_volumes = options->n_volumes;
    }
  plan->cli_kargs = g_strdupv ((char **)options->kargs);
  plan->cli_karg_deletes = g_strdupv ((char **)options->karg_deletes);
  plan->runner = g_strdup (options->runner);
  plan->ssh_keys = g_strdup (options->root_ssh_authorized_keys);
  plan->settings = options->settings;
  plan->settings.hostname = g_strdup (options->settings.hostname);
  plan->settings.timezone = g_strdup (options->settings.timezone);
  plan->settings.root_password = g_strdup (options->settings.root_password);
  plan->preserve_on_error = options->preserve_on_error;
  plan->arch = machine_arch ();
  plan->warnings = g_ptr_array_new_with_free_func (g_free);
  if (options->console != NULL)
    {
      /* --console ttyS0,115200 is console=ttyS0,115200, after the user's --karg (bootc). */
      g_autofree char *console = g_strdup_printf ("console=%s", options->console);
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      if (plan->cli_kargs != NULL)
        g_strv_builder_addv (b, (const char **)plan->cli_kargs);
      g_strv_builder_add (b, console);
      g_strfreev (plan->cli_kargs);
      plan->cli_kargs = g_strv_builder_end (b);
    }

  /* The image: manifest and config only. */
  g_auto (GStrv) search = NULL;
  if (berth_image_ref_is_short_name (options->image)
      && !berth_registries_conf_load_search (g_getenv ("CONTAINERS_REGISTRIES_CONF"), NULL, &search,
                                             error))
    return NULL;
  g_autoptr (BerthImageRef) ref
    = berth_image_ref_parse (options->image, (const char *const *)search, error);
  if (ref == NULL)
    return NULL;
  if (!plan_ostree_remote (plan, options, ref, cancellable, error))
    return NULL;
  plan->source = berth_image_source_open (ref, &options->source, cancellable, error);
  if (plan->source == NULL)
    return NULL;
  const BerthImageRef *resolved = berth_image_source_get_ref (plan->source);
  plan->image_name = berth_image_ref_to_string (resolved);
  g_autoptr (BerthImageRef) tref = NULL;
  if (options->target_imgref != NULL)
    {
      tref = berth_image_ref_parse (options->target_imgref, (const char *const *)search, error);
      if (tref == NULL)
        return NULL;
    }
  const BerthImageRef *update_ref = tref ? tref : resolved;
  plan->target_ref = berth_image_ref_to_string (update_ref);
  plan->origin_imgref = berth_image_ref_to_origin_string (update_ref);
  if (update_ref->sigverify == BERTH_SIGVERIFY_REMOTE
      && (plan->ostree_remote == NULL
          || !g_str_equal (plan->ostree_remote->name, update_ref->remote)))
    g_ptr_array_add (plan->warnings,
                     g_strdup_printf ("the installed system updates from %s, whose signatures "
                                      "are checked with the keys of ostree remote \"%s\", which "
                                      "this install does not set up: add it there "
                                      "(/etc/ostree/remotes.d/%s.conf) before its first upgrade",
                                      plan->origin_imgref, update_ref->remote, update_ref->remote));

  const BerthResolvedImage *image = berth_image_source_get_image (plan->source);
  plan->image_size
    = (guint64)berth_manifest_get_layers_size (image->manifest) * INSTALLED_SIZE_FACTOR;
  plan->labelled_bootable = berth_image_config_is_bootable (image->config);
  if (!plan->labelled_bootable)
    g_ptr_array_add (plan->warnings,
                     g_strdup ("the image has neither the containers.bootc nor the "
                               "ostree.bootable label; whether it boots is checked after the "
                               "pull"));
  const char *want_arch = berth_oci_arch_from_uname (plan->arch);
  if (want_arch != NULL && image->config->architecture != NULL
      && !g_str_equal (want_arch, image->config->architecture))
    return (berth_throw (error, BERTH_ERROR_REFUSED,
                         "The image is for %s; this machine is %s (%s). Give --arch only when "
                         "the image is an index with a %s entry",
                         image->config->architecture, plan->arch, want_arch, want_arch),
            NULL);

  plan->choices = (BerthInstallChoices){
    .root_fs = options->root_fs,
    .root_size = options->root_size,
    .boot_size = options->boot_size,
    .stateroot = plan->stateroot_choice,
    .bootloader = options->bootloader,
    .firmware = options->firmware,
    .secure_boot = options->secure_boot,
    .kargs = (const char *const *)plan->cli_kargs,
    .karg_deletes = (const char *const *)plan->cli_karg_deletes,
    .uuid_seed = plan->uuid_seed,
    .volumes = plan->volumes,
    .n_volumes = plan->n_volumes,
  };

  /* The target. */
  if (plan->to_filesystem)
    {
      if (!plan_filesystem_target (plan, options, error)
          || !plan_decide (plan, FALSE, NULL, NULL, NULL, error))
        return NULL;
      return g_steal_pointer (&plan);
    }
  if (plan->via_loopback)
    {
      if (!plan_loopback_file (plan, options, error))
        return NULL;
    }
  else
    {
      if (!berth_disk_probe (plan->target, &plan->disk, error))
        return NULL;
      if (!berth_disk_check_target (plan->disk, plan->wipe, error))
        return NULL;
      plan->disk_size = plan->disk->size;
    }

  if (!plan_decide (plan, FALSE, NULL, NULL, NULL, error))
    return NULL;
  return g_steal_pointer (&plan);
}

const BerthInstallPlanView *
berth_install_plan_get_view (BerthInstallPlan *plan)
{
  const BerthResolvedImage *image = berth_image_source_get_image (plan->source);
  plan->view = (BerthInstallPlanView){
    .image_name = plan->image_name,
    .manifest_digest = image->manifest_digest,
    .n_layers = image->manifest->layers->len,
    .image_size = plan->image_size,
    .labelled_bootable = plan->labelled_bootable,
    .origin_imgref = plan->origin_imgref,
    .target_ref = plan->target_ref,
    .ostree_remote = plan->ostree_remote,
    .target = plan->target,
    .via_loopback = plan->via_loopback,
    .to_filesystem = plan->to_filesystem,
    .wipe = plan->wipe,
    .disk_size = plan->disk_size,
    .loopback_file = plan->loopback_file,
    .loopback_old_size = plan->loopback_old_size,
    .disk = plan->disk,
    .fs_root = plan->fs_root,
    .fs_boot = plan->fs_boot,
    .fs_esp = plan->fs_esp,
    .esp_node = plan->esp_node,
    .choices = &plan->choices,
    .decided = plan->decided,
    .warnings = plan->warnings,
  };
  return &plan->view;
}

/* ---- preview ------------------------------------------------------------------------ */

static gboolean decide_with_files (BerthInstallPlan *plan, OstreeRepo *repo, const char *commit,
                                   gboolean preview, GCancellable *cancellable, GError **error);

gboolean
berth_install_plan_preview_kargs (BerthInstallPlan *plan, GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Previewing the image's kernel arguments");
  g_autoptr (GError) local_error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-preview-XXXXXX", &local_error);
  if (dir == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED, "%s", local_error->message);
  /* An archive repo: no ownership or xattrs needed to read two small folders. */
  g_autoptr (GFile) dirf = g_file_new_for_path (dir);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (dirf);
  BerthPullOptions po = { .target_imgref = plan->target_ref };
  g_autoptr (BerthImportResult) pulled = NULL;
  gboolean ok = ostree_repo_create (repo, OSTREE_REPO_MODE_ARCHIVE, cancellable, error)
                && (plan->ostree_remote == NULL
                    || berth_ostree_remote_add (repo, plan->ostree_remote, cancellable, error))
                && berth_pull_image (repo, plan->source, &po, &pulled, cancellable, error)
                && decide_with_files (plan, repo, pulled->merge_commit, TRUE, cancellable, error);
  g_autoptr (GError) rm_error = NULL;
  if (!berth_spawn_simple (&rm_error, "rm", "-rf", "--one-file-system", "--", dir, NULL))
    g_debug ("removing %s: %s", dir, rm_error->message);
  return ok;
}

/* The pull's events: layer messages from the pulling thread, byte counts from the workers;
 * the lock keeps them one at a time. */
typedef struct
{
  BerthInstallProgressFunc progress;
  gpointer user_data;
  GPtrArray *layers; /* the manifest's BerthDescriptor */
  guint n_layers;
  GMutex lock;
  guint64 done, total;
} PullProgress;

static void
on_pull_bytes (guint64 done, guint64 total, gpointer data)
{
  PullProgress *p = data;
  g_mutex_lock (&p->lock);
  p->done = done;
  p->total = total;
  BerthInstallEvent event
    = { .step = "pull", .bytes_done = done, .bytes_total = total, .n_layers = p->n_layers };
  if (p->progress != NULL)
    p->progress (&event, p->user_data);
  g_mutex_unlock (&p->lock);
}

static void
on_pull (BerthImportEvent event, int layer, const BerthImportLayerStats *stats, gpointer data)
{
  PullProgress *p = data;
  const char *digest
    = layer >= 0 ? ((const BerthDescriptor *)p->layers->pdata[layer])->digest : NULL;
  g_autofree char *msg = berth_import_event_describe (event, layer, p->n_layers, digest, stats);
  g_mutex_lock (&p->lock);
  BerthInstallEvent ev = { .step = "pull",
                           .message = msg,
                           .bytes_done = p->done,
                           .bytes_total = p->total,
                           .layer = layer >= 0 ? (guint)layer + 1 : 0,
                           .n_layers = p->n_layers };
  if (p->progress != NULL)
    p->progress (&ev, p->user_data);
  g_mutex_unlock (&p->lock);
}

/* kargs.d and the install configuration, read from the pulled commit. */
static gboolean
read_config_dir (OstreeRepo *repo, const char *commit, const char *dir, GArray *files,
                 GPtrArray *names, GPtrArray *blobs, GCancellable *cancellable, GError **error)
{
  g_auto (GStrv) entries = NULL;
  g_autoptr (GError) local_error = NULL;
  if (!berth_import_list_dir (repo, commit, dir, &entries, cancellable, &local_error))
    {
      if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  for (char **n = entries; *n; n++)
    {
      if (!g_str_has_suffix (*n, ".toml"))
        continue;
      g_autofree char *path = g_build_filename (dir, *n, NULL);
      g_autoptr (GBytes) contents = NULL;
      if (!berth_import_read_file (repo, commit, path, BERTH_KARGS_FILE_MAX, &contents, cancellable,
                                   error))
        return FALSE;
      char *name = g_strconcat ("/", path, NULL);
      g_ptr_array_add (names, name);
      g_ptr_array_add (blobs, g_bytes_ref (contents));
      gsize len;
      const char *data = g_bytes_get_data (contents, &len);
      BerthKargsFile f = { name, data, len };
      g_array_append_val (files, f);
    }
  return TRUE;
}

/* The image's own files, read from the pulled commit: bootc's install configuration and
 * kargs.d, and which boot files it carries. */
typedef struct
{
  BerthKargsInstallConfig *config;
  BerthKargs *kargs_d;
  BerthBootFacts *boot;
} ImageFiles;

static void
image_files_clear (ImageFiles *f)
{
  g_clear_pointer (&f->config, berth_kargs_install_config_free);
  g_clear_pointer (&f->kargs_d, berth_kargs_free);
  g_clear_pointer (&f->boot, berth_boot_facts_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ImageFiles, image_files_clear)

static gboolean
read_image_files (BerthInstallPlan *plan, OstreeRepo *repo, const char *commit, ImageFiles *out,
                  GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Reading the image's install configuration");
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) blobs = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  g_autoptr (GArray) kd = g_array_new (FALSE, TRUE, sizeof (BerthKargsFile));
  g_autoptr (GArray) ic = g_array_new (FALSE, TRUE, sizeof (BerthKargsFile));
  if (!read_config_dir (repo, commit, "usr/lib/bootc/kargs.d", kd, names, blobs, cancellable, error)
      || !read_config_dir (repo, commit, "usr/lib/bootc/install", ic, names, blobs, cancellable,
                           error))
    return FALSE;
  out->kargs_d
    = berth_kargs_d_load_files ((BerthKargsFile *)kd->data, kd->len, plan->arch, NULL, error);
  if (out->kargs_d == NULL)
    return FALSE;
  out->config = berth_kargs_install_config_load_files ((BerthKargsFile *)ic->data, ic->len,
                                                       plan->arch, error);
  if (out->config == NULL)
    return FALSE;

  /* the boot files the backends ask about */
  out->boot = berth_boot_facts_new (plan->arch);
  g_auto (GStrv) paths = berth_boot_probe_paths (plan->arch);
  for (char **p = paths; *p != NULL; p++)
    {
      GFileType type = G_FILE_TYPE_UNKNOWN;
      if (!berth_import_file_type (repo, commit, *p, &type, cancellable, error))
        return FALSE;
      berth_boot_facts_add (out->boot, *p,
                            type == G_FILE_TYPE_DIRECTORY ? BERTH_BOOT_FILE_DIR
                            : type == G_FILE_TYPE_REGULAR ? BERTH_BOOT_FILE_REGULAR
                                                          : BERTH_BOOT_FILE_ABSENT);
    }
  return TRUE;
}

/* The decisions again, now with the image's files. The preview shows a refusal of the
 * bootloader (the image carries none berth installs, or not one for what was asked) as a
 * warning, as the install would stop there (before the deploy); the rest of the plan is still
 * worth seeing. */
static gboolean
decide_with_files (BerthInstallPlan *plan, OstreeRepo *repo, const char *commit, gboolean preview,
                   GCancellable *cancellable, GError **error)
{
  g_auto (ImageFiles) files = { 0 };
  if (!read_image_files (plan, repo, commit, &files, cancellable, error))
    return FALSE;
  g_autoptr (GError) local_error = NULL;
  if (plan_decide (plan, TRUE, files.config, files.kargs_d, files.boot, &local_error))
    return TRUE;
  if (!preview
      || (!g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE)
          && !g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_REFUSED)))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  BerthBootloader asked = plan->choices.bootloader;
  plan->choices.bootloader = BERTH_BOOTLOADER_NONE;
  gboolean ok = plan_decide (plan, TRUE, files.config, files.kargs_d, files.boot, error);
  plan->choices.bootloader = asked;
  if (!ok)
    return FALSE;
  plan->decided->bootloader = asked;
  g_clear_pointer (&plan->decided->boot, berth_boot_decision_free);
  g_ptr_array_add (plan->warnings, g_strdup_printf ("the install would stop before the deploy: %s",
                                                    local_error->message));
  return TRUE;
}

/* ---- apply -------------------------------------------------------------------------- */

typedef enum
{
  STEP_TARGET,
  STEP_PARTITION,
  STEP_MKFS,
  STEP_MOUNT,
  STEP_SYSROOT,
  STEP_PULL,
  STEP_KARGS,
  STEP_DEPLOY,
  STEP_BOOTLOADER,
  STEP_FINISH,
} Step;

/* The names of the steps in progress events (--progress-fd) and errors. */
static const char *const step_names[] = {
  [STEP_TARGET] = "target", [STEP_PARTITION] = "partition", [STEP_MKFS] = "mkfs",
  [STEP_MOUNT] = "mount",   [STEP_SYSROOT] = "sysroot",     [STEP_PULL] = "pull",
  [STEP_KARGS] = "kargs",   [STEP_DEPLOY] = "deploy",       [STEP_BOOTLOADER] = "bootloader",
  [STEP_FINISH] = "finish",
};

typedef struct
{
  BerthInstallPlan *plan;
  BerthInstallProgressFunc progress;
  gpointer user_data;
  GCancellable *cancellable;
  BerthUndo *undo; /* what apply did, undone in reverse on the way out */
  Step step;
  char *device;        /* the whole disk */
  char *mnt;           /* the root mount point */
  BerthDiskFs root_fs; /* the root filesystem made (berth's own layout) */
} Apply;

static void
emit (Apply *a, const char *name, const char *msg)
{
  BerthInstallEvent event = { .step = name, .message = msg };
  if (a->progress != NULL)
    a->progress (&event, a->user_data);
}

/* Enters step @s, announcing it with @msg. */
static void
enter (Apply *a, Step s, const char *msg)
{
  a->step = s;
  emit (a, step_names[s], msg);
}

/* CANCELLED when the install was interrupted (the CLI cancels on SIGINT, SIGTERM, SIGHUP):
 * checked after each part of a step; the running parts (mkfs, the pull, the deploy, mtools)
 * stop through the cancellable themselves. */
static gboolean
not_cancelled (Apply *a, GError **error)
{
  if (!g_cancellable_is_cancelled (a->cancellable))
    return TRUE;
  return berth_throw (error, BERTH_ERROR_CANCELLED, "interrupted");
}

/* What a failed --to-filesystem install removes: everything it wrote, which is everything in
 * the root and /boot but what the plan allowed to be there before (they were checked empty). */
static void
remove_written (const char *dir, const char *const *keep)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      if (g_strv_contains (keep, name))
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GError) e = NULL;
      if (!berth_spawn_simple (&e, "rm", "-rf", "--one-file-system", "--", path, NULL))
        g_debug ("removing %s after a failure: %s", path, e->message);
    }
}

/* ---- the undo entries ---- */

static gboolean
undo_wipe_table (gpointer device, GError **error)
{
  return berth_disk_wipe_table (device, error);
}

/* --to-filesystem: everything berth wrote into the caller's root and /boot. */
static gboolean
undo_written (gpointer mnt, GError **error)
{
  g_autofree char *boot = g_build_filename (mnt, "boot", NULL);
  const char *const keep_boot[] = { "lost+found", "efi", NULL };
  const char *const keep_root[] = { "lost+found", "boot", "efi", NULL };
  remove_written (boot, keep_boot);
  remove_written (mnt, keep_root);
  return berth_disk_syncfs (mnt, error);
}

static void push (Apply *a, BerthUndoWhen when, BerthUndoFunc func, const char *arg,
                  const char *fmt, ...) G_GNUC_PRINTF (5, 6);

static void
push (Apply *a, BerthUndoWhen when, BerthUndoFunc func, const char *arg, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *description = g_strdup_vprintf (fmt, args);
  va_end (args);
  berth_undo_push (a->undo, when, description, func, g_strdup (arg), g_free);
}

/* Names the step in the error: "Install step 'mkfs' failed: ...". */
static gboolean
step_failed (Apply *a, GError **error)
{
  g_prefix_error (error, "Install step '%s' failed: ", step_names[a->step]);
  return FALSE;
}

/* --to-filesystem: the caller's mounts, checked again (things change between plan and apply). */
static gboolean
apply_filesystem_target (Apply *a, GError **error)
{
  BerthInstallPlan *plan = a->plan;
  g_autofree char *msg = g_strdup_printf ("checking the filesystems mounted at %s", plan->target);
  enter (a, STEP_TARGET, msg);
  g_autoptr (BerthDiskMountInfo) root = NULL;
  if (!berth_disk_mount_info (plan->target, &root, error))
    return FALSE;
  if (g_strcmp0 (root->source, plan->fs_root->source) != 0)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "%s changed since the plan: %s is mounted there now, not %s", plan->target,
                        root->source, plan->fs_root->source);
  const char *const root_allowed[] = { "lost+found", "boot", "efi", NULL };
  if (!dir_is_empty_but (plan->target, root_allowed, error))
    return FALSE;
  a->mnt = g_strdup (plan->target);
  g_autofree char *boot = g_build_filename (plan->target, "boot", NULL);
  if (!g_file_test (boot, G_FILE_TEST_IS_DIR)
      && !berth_disk_mkdir_undo (a->undo, BERTH_UNDO_ON_FAILURE, boot, error))
    return FALSE;
  push (a, BERTH_UNDO_ON_FAILURE, undo_written, a->mnt,
        "removed what berth wrote into %s and its /boot (the mounts stay)", a->mnt);
  return not_cancelled (a, error);
}

/* mkfs of one partition of @layout. */
static gboolean
apply_mkfs (Apply *a, const BerthDiskPartition *p, GError **error)
{
  g_autofree char *node = berth_disk_partition_path (a->device, p->number);
  g_autofree char *msg
    = g_strdup_printf ("%s on %s (%s)", berth_disk_fs_to_string (p->fs), node, p->name);
  enter (a, STEP_MKFS, msg);
  return berth_disk_mkfs (node, p->fs, p->fs_label, p->fs_uuid, a->cancellable, error)
         && not_cancelled (a, error);
}

/* Mounts the root of @layout at a->mnt and /boot at a->mnt/boot; the undo entries are pushed
 * the first time only (a remount after a remade root reuses them). */
static gboolean
apply_mount (Apply *a, const BerthDiskLayout *layout, gboolean push_undo, GError **error)
{
  a->step = STEP_MOUNT;
  const BerthDiskPartition *root = berth_disk_layout_get (layout, BERTH_DISK_ROLE_ROOT);
  const BerthDiskPartition *boot = berth_disk_layout_get (layout, BERTH_DISK_ROLE_BOOT);
  g_autofree char *root_node = berth_disk_partition_path (a->device, root->number);
  g_autofree char *boot_node = berth_disk_partition_path (a->device, boot->number);
  const char *root_fs = berth_disk_fs_to_string (root->fs);
  const char *boot_fs = berth_disk_fs_to_string (boot->fs);
  g_autofree char *boot_dir = g_build_filename (a->mnt, "boot", NULL);
  if (!push_undo)
    return berth_disk_mount (root_node, a->mnt, root_fs, 0, NULL, error)
           && (mkdir (boot_dir, 0755) == 0 || berth_throw_errno (error, boot_dir))
           && berth_disk_mount (boot_node, boot_dir, boot_fs, 0, NULL, error)
           && not_cancelled (a, error);
  /* /boot's mount point is in the root filesystem: the unmount takes it along */
  return berth_disk_mount_undo (a->undo, root_node, a->mnt, root_fs, 0, error)
         && (mkdir (boot_dir, 0755) == 0 || berth_throw_errno (error, boot_dir))
         && berth_disk_mount_undo (a->undo, boot_node, boot_dir, boot_fs, 0, error)
         && not_cancelled (a, error);
}

/* Steps 1 to 3 on a disk: partitions, filesystems, mounts. */
static gboolean
apply_disk (Apply *a, GError **error)
{
  BerthInstallPlan *plan = a->plan;
  const BerthDiskLayout *layout = plan->decided->layout;

  /* 1. The disk: attach a loopback file, probe again (things change), check. */
  if (plan->via_loopback)
    {
      enter (a, STEP_TARGET, "attaching the disk image file");
      if (!berth_disk_loop_attach_undo (a->undo, plan->target, plan->disk_size, &a->device, error))
        return FALSE;
    }
  else
    a->device = g_strdup (plan->target);
  {
    g_autofree char *msg = g_strdup_printf ("checking %s", a->device);
    enter (a, STEP_TARGET, msg);
    g_autoptr (BerthDiskInfo) info = NULL;
    if (!berth_disk_probe (a->device, &info, error)
        || !berth_disk_check_target (info, plan->wipe, error) || !not_cancelled (a, error))
      return FALSE;
  }

  /* 2. Partitions and filesystems. From here on a failure wipes what may have been written. */
  enter (a, STEP_PARTITION, "writing the GPT partition table");
  push (a, BERTH_UNDO_ON_FAILURE, undo_wipe_table, a->device,
        "wiped the partition table and signatures berth wrote on %s", plan->target);
  if (!berth_disk_write_table (a->device, layout, error) || !not_cancelled (a, error))
    return FALSE;
  for (guint i = 0; i < layout->n_partitions; i++)
    if (layout->partitions[i].fs != BERTH_DISK_FS_NONE
        && !apply_mkfs (a, &layout->partitions[i], error))
      return FALSE;
  a->root_fs = berth_disk_layout_get (layout, BERTH_DISK_ROLE_ROOT)->fs;

  /* 3. Mount root and /boot. */
  a->step = STEP_MOUNT;
  a->mnt = berth_disk_tmpdir_undo (a->undo, "berth-install-XXXXXX", error);
  if (a->mnt == NULL)
    return FALSE;
  return apply_mount (a, layout, TRUE, error);
}

/* 4. The sysroot (its stateroot comes later, decided with the image's files), and the image
 * pulled straight into its repo. */
static gboolean
apply_pull (Apply *a, OstreeSysroot **out_sysroot, BerthImportResult **out_pulled, GError **error)
{
  BerthInstallPlan *plan = a->plan;
  g_autoptr (OstreeSysroot) sysroot = NULL;
  g_autoptr (OstreeRepo) repo = NULL;
  enter (a, STEP_SYSROOT, "initialising the ostree sysroot");
  if (!berth_deploy_init_sysroot (a->mnt, NULL, &sysroot, &repo, a->cancellable, error)
      || !not_cancelled (a, error))
    return FALSE;
  if (plan->ostree_remote != NULL)
    {
      const BerthOstreeRemote *r = plan->ostree_remote;
      g_autofree char *msg
        = g_strdup_printf ("ostree remote \"%s\" from %s, %u key%s, for the signature check",
                           r->name, r->config_path, r->n_keys, r->n_keys == 1 ? "" : "s");
      emit (a, step_names[STEP_SYSROOT], msg);
      if (!berth_ostree_remote_add (repo, r, a->cancellable, error))
        return FALSE;
    }
  GPtrArray *manifest_layers = berth_image_source_get_image (plan->source)->manifest->layers;
  PullProgress pp = { .progress = a->progress,
                      .user_data = a->user_data,
                      .layers = manifest_layers,
                      .n_layers = manifest_layers->len };
  BerthPullOptions po = { .target_imgref = plan->target_ref,
                          .progress = on_pull,
                          .bytes = on_pull_bytes,
                          .progress_data = &pp,
                          /* the deploy syncs the whole target before it writes a boot entry,
                           * and the finish step again */
                          .no_sync = TRUE };
  g_autoptr (BerthImportResult) pulled = NULL;
  enter (a, STEP_PULL, plan->image_name);
  g_mutex_init (&pp.lock);
  gboolean pulled_ok = berth_pull_image (repo, plan->source, &po, &pulled, a->cancellable, error);
  g_mutex_clear (&pp.lock);
  if (!pulled_ok || !not_cancelled (a, error))
    return FALSE;
  *out_sysroot = g_steal_pointer (&sysroot);
  *out_pulled = g_steal_pointer (&pulled);
  return TRUE;
}

/* The image's install configuration asks for another root filesystem than the one made before
 * the pull (and --filesystem chose none): unmount, make it, mount, pull again. */
static gboolean
apply_remake_root (Apply *a, OstreeSysroot **sysroot, BerthImportResult **pulled, GError **error)
{
  BerthInstallPlan *plan = a->plan;
  const BerthDiskLayout *layout = plan->decided->layout;
  g_autofree char *msg = g_strdup_printf (
    "%s asks for root filesystem %s, not the %s made: making it again and pulling again (give "
    "--filesystem to decide before the pull)",
    plan->decided->root_fs_why, plan->decided->root_fstype, berth_disk_fs_to_string (a->root_fs));
  emit (a, "warning", msg);
  g_clear_object (sysroot);
  g_clear_pointer (pulled, berth_import_result_free);
  g_autofree char *boot_dir = g_build_filename (a->mnt, "boot", NULL);
  a->step = STEP_MOUNT;
  if (!berth_disk_umount (boot_dir, error) || !berth_disk_umount (a->mnt, error))
    return FALSE;
  const BerthDiskPartition *root = berth_disk_layout_get (layout, BERTH_DISK_ROLE_ROOT);
  if (!apply_mkfs (a, root, error) || !apply_mount (a, layout, FALSE, error))
    return FALSE;
  a->root_fs = root->fs;
  return apply_pull (a, sysroot, pulled, error);
}

static gboolean
apply_steps (Apply *a, GError **error)
{
  BerthInstallPlan *plan = a->plan;
  if (plan->to_filesystem ? !apply_filesystem_target (a, error) : !apply_disk (a, error))
    return FALSE;
  g_autoptr (OstreeSysroot) sysroot = NULL;
  g_autoptr (BerthImportResult) pulled = NULL;
  if (!apply_pull (a, &sysroot, &pulled, error))
    return FALSE;

  /* 5. The decisions again, with the image's install configuration, kargs.d and boot files: the
   * bootloader (a refusal is the bootloader step's), the stateroot, the kernel arguments. */
  a->step = STEP_BOOTLOADER;
  OstreeRepo *repo = ostree_sysroot_repo (sysroot);
  if (!decide_with_files (plan, repo, pulled->merge_commit, FALSE, a->cancellable, error))
    return FALSE;
  if (plan->decided->layout != NULL && plan->decided->root_fs != a->root_fs)
    {
      if (!apply_remake_root (a, &sysroot, &pulled, error))
        return FALSE;
      repo = ostree_sysroot_repo (sysroot);
    }
  a->step = STEP_SYSROOT;
  if (!berth_deploy_init_stateroot (sysroot, plan->decided->stateroot, a->cancellable, error))
    return FALSE;
  a->step = STEP_KARGS;
  const BerthKargs *kargs = plan->decided->kargs;
  g_autofree char *cmdline = berth_kargs_to_string (kargs);
  emit (a, step_names[STEP_KARGS], cmdline);
  for (guint i = 0; i < plan->warnings->len; i++)
    emit (a, "warning", plan->warnings->pdata[i]);
  for (guint i = 0; i < plan->decided->notes->len; i++)
    emit (a, "warning", plan->decided->notes->pdata[i]);
  /* Where each argument came from: berth, the command line, an install config or kargs.d. */
  for (guint i = 0; i < berth_kargs_get_length (kargs); i++)
    {
      const BerthKarg *k = berth_kargs_get (kargs, i);
      g_autofree char *from = berth_kargs_source_describe (&k->source);
      g_autofree char *line = g_strdup_printf ("  %s  (from %s)", k->raw, from);
      emit (a, step_names[STEP_KARGS], line);
    }

  /* 6. Deploy, with the sysroot.bootloader of the loader chosen. */
  const BerthBootDecision *loader = plan->decided->boot;
  g_autofree char *deploy_msg = g_strdup_printf (
    "deploying into stateroot %s (%s)", plan->decided->stateroot, plan->decided->stateroot_why);
  /* what the loader's sysroot.bootloader needs to find at the first deploy (extlinux: the menu
   * ostree's syslinux backend reads and rewrites) */
  a->step = STEP_BOOTLOADER;
  BerthBootInstallOptions before = { .arch = plan->arch, .sysroot = a->mnt };
  if (!berth_boot_prepare (loader, &before, a->cancellable, error))
    return FALSE;
  enter (a, STEP_DEPLOY, deploy_msg);
  g_auto (GStrv) kargv = berth_kargs_to_strv (kargs);
  BerthDeployOptions dopts = {
    .stateroot = plan->decided->stateroot,
    .merge_commit = pulled->merge_commit,
    .kargs = (const char *const *)kargv,
    .origin_imgref = plan->origin_imgref,
    .boot_mount_spec = plan->decided->boot_spec,
    .boot_fstype = plan->decided->boot_fstype,
    .root_ssh_authorized_keys = plan->ssh_keys,
    .settings = plan->settings,
    .ostree_remote = plan->ostree_remote,
    .sysroot_bootloader = loader->sysroot_bootloader,
    .grub2_exec = plan->runner,
  };
  g_autoptr (BerthDeployResult) deployed = NULL;
  if (!berth_deploy_image (sysroot, &dopts, &deployed, a->cancellable, error)
      || !not_cancelled (a, error))
    return FALSE;
  if (plan->ostree_remote != NULL)
    {
      const char *name = plan->ostree_remote->name;
      g_autofree char *key = berth_deploy_remote_key_path (name);
      g_autofree char *msg
        = deployed->remote_config_from_image
            ? g_strdup_printf ("ostree remote \"%s\": the image defines it (%s), so the installed "
                               "system uses that; the keys berth verified with stay in "
                               "/ostree/repo/%s.trustedkeys.gpg",
                               name, deployed->remote_config, name)
            : g_strdup_printf ("ostree remote \"%s\" kept for upgrades: %s, keys %s and "
                               "/ostree/repo/%s.trustedkeys.gpg",
                               name, deployed->remote_config, key, name);
      emit (a, step_names[STEP_DEPLOY], msg);
    }

  /* 7. The bootloader, last: only now can the disk boot. */
  const BerthDiskLayout *layout = plan->decided->layout;
  g_autofree char *esp_node = NULL;
  if (layout != NULL)
    esp_node = berth_disk_partition_path (
      a->device, berth_disk_layout_get (layout, BERTH_DISK_ROLE_ESP)->number);
  else
    esp_node = g_strdup (plan->esp_node);
  const char *esp_dir = plan->fs_esp != NULL ? plan->fs_esp->path : NULL;
  g_autofree char *what = berth_boot_decision_describe (loader);
  g_autofree char *msg = NULL;
  if (loader->loader == BERTH_BOOTLOADER_NONE)
    msg = g_strdup ("none: the BLS entries only");
  else if (loader->uefi)
    msg = g_strdup_printf ("%s; ESP %s", what, esp_dir ? esp_dir : esp_node);
  else
    msg = g_strdup (what);
  enter (a, STEP_BOOTLOADER, msg);
  if (loader->loader != BERTH_BOOTLOADER_NONE)
    {
      g_autofree char *why = g_strdup_printf ("why: %s", loader->why);
      emit (a, step_names[STEP_BOOTLOADER], why);
    }
  for (guint i = 0; i < loader->notes->len; i++)
    emit (a, step_names[STEP_BOOTLOADER], loader->notes->pdata[i]);
  BerthBootInstallOptions bo = { .esp_device = esp_node,
                                 .esp_dir = esp_dir,
                                 .deployment_root = deployed->deployment_path,
                                 .arch = plan->arch,
                                 .sysroot = a->mnt,
                                 .boot_fs_uuid = plan->decided->boot_fs_uuid,
                                 .disk = layout != NULL ? a->device : plan->bios_disk,
                                 .runner = plan->runner };
  if (!berth_boot_install (loader, &bo, a->cancellable, error))
    return FALSE;
  /* The point of no return: the disk boots into a complete deployment. An interrupt from here
   * on no longer undoes the install; the sync below finishes it. */
  berth_undo_keep (a->undo);

  enter (a, STEP_FINISH,
         plan->to_filesystem ? "syncing (the filesystems stay mounted)" : "syncing and unmounting");
  g_autofree char *boot_dir = g_build_filename (a->mnt, "boot", NULL);
  return berth_disk_syncfs (a->mnt, error) && berth_disk_syncfs (boot_dir, error);
}

gboolean
berth_install_plan_apply (BerthInstallPlan *plan, BerthInstallProgressFunc progress,
                          gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autoptr (BerthUndo) undo = berth_undo_new ();
  Apply a = { .plan = plan,
              .progress = progress,
              .user_data = user_data,
              .cancellable = cancellable,
              .undo = undo };
  g_clear_pointer (&plan->undone, g_strfreev);
  plan->failed_step = NULL;
  gboolean ok = apply_steps (&a, error);
  if (!ok)
    {
      plan->failed_step = step_names[a.step];
      step_failed (&a, error);
    }
  /* The rollback runs to its end whatever interrupted the install: nothing in it takes the
   * cancellable. */
  g_auto (GStrv) undone = berth_undo_run (undo, !ok && !plan->preserve_on_error);
  if (!ok)
    plan->undone = g_steal_pointer (&undone);
  g_free (a.device);
  g_free (a.mnt);
  return ok;
}

const char *
berth_install_plan_get_failed_step (const BerthInstallPlan *plan)
{
  return plan->failed_step;
}

const char *const *
berth_install_plan_get_undone (const BerthInstallPlan *plan)
{
  return (const char *const *)plan->undone;
}
