/* The decisions of an install, from facts and choices (see plan-decide.h). No I/O. */
#include "plan-decide.h"

#include <string.h>

void
berth_install_decisions_free (BerthInstallDecisions *d)
{
  if (d == NULL)
    return;
  g_free (d->root_fstype);
  g_free (d->root_fs_why);
  g_free (d->stateroot);
  g_free (d->stateroot_why);
  g_free (d->bootloader_why);
  g_clear_pointer (&d->layout, berth_disk_layout_free);
  g_free (d->root_spec);
  g_free (d->root_flags);
  g_free (d->boot_spec);
  g_free (d->boot_fstype);
  g_free (d->boot_fs_uuid);
  g_clear_pointer (&d->boot, berth_boot_decision_free);
  g_clear_pointer (&d->kargs, berth_kargs_free);
  g_clear_pointer (&d->notes, g_ptr_array_unref);
  g_free (d);
}

static char *
config_where (const BerthKargsConfigValue *v)
{
  return g_strdup_printf ("the image's install configuration, %s:%u", v->file, v->line);
}

/* The root filesystem of berth's own layout: --filesystem, else the image's install
 * configuration (bootc's order), else xfs. */
static gboolean
decide_root_fs (const BerthInstallFacts *facts, const BerthInstallChoices *choices,
                BerthInstallDecisions *d, GError **error)
{
  const BerthKargsInstallConfig *config = facts->install_config;
  const BerthDiskVolume *root_vol = NULL;
  for (guint i = 0; i < choices->n_volumes; i++)
    if (choices->volumes[i].role == BERTH_DISK_ROLE_ROOT)
      root_vol = &choices->volumes[i];
  if (root_vol != NULL && root_vol->fs != BERTH_DISK_FS_NONE)
    {
      d->root_fs = root_vol->fs;
      d->root_fs_why = g_strdup ("the layout's root volume");
    }
  else if (choices->root_fs != BERTH_DISK_FS_NONE)
    {
      d->root_fs = choices->root_fs;
      d->root_fs_why = g_strdup ("--filesystem");
    }
  else if (config != NULL && config->root_fs_type.value != NULL)
    {
      g_autoptr (GError) local_error = NULL;
      if (!berth_disk_fs_from_string (config->root_fs_type.value, &d->root_fs, &local_error))
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s:%u: %s (give --filesystem)",
                            config->root_fs_type.file, config->root_fs_type.line,
                            local_error->message);
      d->root_fs_why = config_where (&config->root_fs_type);
    }
  else
    {
      d->root_fs = BERTH_DISK_FS_XFS;
      d->root_fs_why = g_strdup (facts->image_files ? "berth's default (the image's install "
                                                      "configuration names none)"
                                                    : "berth's default, unless the image's "
                                                      "install configuration names another");
    }
  d->root_fstype = g_strdup (berth_disk_fs_to_string (d->root_fs));
  return TRUE;
}

/* The stateroot: --stateroot, else the install configuration's, else "default". */
static void
decide_stateroot (const BerthInstallFacts *facts, const BerthInstallChoices *choices,
                  BerthInstallDecisions *d)
{
  const BerthKargsInstallConfig *config = facts->install_config;
  if (choices->stateroot != NULL)
    {
      d->stateroot = g_strdup (choices->stateroot);
      d->stateroot_why = g_strdup ("--stateroot");
    }
  else if (config != NULL && config->stateroot.value != NULL)
    {
      d->stateroot = g_strdup (config->stateroot.value);
      d->stateroot_why = config_where (&config->stateroot);
    }
  else
    {
      d->stateroot = g_strdup ("default");
      d->stateroot_why = g_strdup ("bootc's default");
    }
}

/* What the loader choice starts from: --bootloader, else the install configuration's
 * `bootloader` (bootc's names), else auto. */
static void
decide_bootloader_request (const BerthInstallFacts *facts, const BerthInstallChoices *choices,
                           BerthInstallDecisions *d)
{
  const BerthKargsConfigValue *v
    = facts->install_config != NULL ? &facts->install_config->bootloader : NULL;
  d->bootloader = choices->bootloader;
  if (choices->bootloader != BERTH_BOOTLOADER_AUTO)
    {
      d->bootloader_why = g_strdup ("--bootloader");
      return;
    }
  if (v == NULL || v->value == NULL)
    {
      d->bootloader_why = g_strdup ("auto");
      return;
    }
  if (g_str_equal (v->value, "grub"))
    d->bootloader = BERTH_BOOTLOADER_GRUB;
  else if (g_str_equal (v->value, "systemd"))
    d->bootloader = BERTH_BOOTLOADER_SYSTEMD_BOOT;
  else if (g_str_equal (v->value, "none"))
    d->bootloader = BERTH_BOOTLOADER_NONE;
  else
    {
      g_ptr_array_add (d->notes,
                       g_strdup_printf ("the image's install configuration (%s:%u) asks for "
                                        "bootloader \"%s\", which berth does not install; "
                                        "choosing as auto does (give --bootloader to decide)",
                                        v->file, v->line, v->value));
      d->bootloader_why = g_strdup ("auto");
      return;
    }
  d->bootloader_why = config_where (v);
}

/* The partitions (berth's own layout), or the caller's filesystems. */
static gboolean
decide_layout (const BerthInstallFacts *facts, const BerthInstallChoices *choices,
               BerthInstallDecisions *d, GError **error)
{
  if (facts->fs != NULL)
    {
      const BerthInstallFsFacts *fs = facts->fs;
      const BerthKargsInstallConfig *config = facts->install_config;
      d->root_fstype = g_strdup (fs->root_fstype);
      d->root_fs_why = g_strdup ("the filesystem mounted at the target");
      if (choices->root_fs != BERTH_DISK_FS_NONE)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "--filesystem makes no sense with --to-filesystem: the root is the "
                            "filesystem mounted there (%s)",
                            fs->root_fstype);
      if (config != NULL && config->root_fs_type.value != NULL
          && g_strcmp0 (config->root_fs_type.value, fs->root_fstype) != 0)
        g_ptr_array_add (d->notes,
                         g_strdup_printf ("the image's install configuration (%s:%u) "
                                          "asks for root filesystem %s; the target's "
                                          "root is %s",
                                          config->root_fs_type.file, config->root_fs_type.line,
                                          config->root_fs_type.value, fs->root_fstype));
      d->root_spec = g_strdup (fs->root_spec);
      d->root_flags = g_strdup (fs->root_flags);
      d->boot_spec = g_strdup (fs->boot_spec);
      d->boot_fstype = g_strdup (fs->boot_fstype);
      d->boot_fs_uuid = g_strdup (fs->boot_fs_uuid);
      d->bios_boot = fs->boot.bios_boot;
      return d->bootloader == BERTH_BOOTLOADER_NONE
             || berth_boot_check_layout (d->bootloader, &fs->boot, &d->boot_allowed, error);
    }

  if (!decide_root_fs (facts, choices, d, error))
    return FALSE;
  BerthDiskLayoutOptions lopts = {
    .disk_size = facts->disk_size,
    .sector_size = facts->sector_size ? facts->sector_size : 512,
    .arch = facts->arch,
    .root_fs = d->root_fs,
    .boot_size = choices->boot_size,
    .root_size = choices->root_size,
    .image_size = facts->image_size,
    .seed = choices->uuid_seed,
    /* bootc's layout has BIOS-BOOT on every x86_64 disk, whatever the loader, so the disk
     * can boot both ways; a disk for UEFI only needs none */
    .no_bios_boot = choices->firmware == BERTH_BOOT_FIRMWARE_UEFI,
  };
  /* the volumes asked for, the root with the filesystem decided */
  BerthDiskVolume vols[BERTH_DISK_MAX_PARTITIONS];
  if (choices->volumes != NULL)
    {
      if (choices->n_volumes > BERTH_DISK_MAX_PARTITIONS)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "A layout has at most %d partitions", BERTH_DISK_MAX_PARTITIONS);
      for (guint i = 0; i < choices->n_volumes; i++)
        {
          vols[i] = choices->volumes[i];
          if (vols[i].role == BERTH_DISK_ROLE_ROOT)
            vols[i].fs = d->root_fs;
        }
      lopts.volumes = vols;
      lopts.n_volumes = choices->n_volumes;
    }
  /* a loader asked for by name may need /boot marked bootable (extlinux: U-Boot's distro boot
   * scans only such partitions); auto never picks one that does */
  const BerthBootBackend *asked = berth_boot_backend_get (d->bootloader);
  lopts.boot_legacy_bootable = asked != NULL && asked->boot_legacy_bootable;
  d->layout = berth_disk_layout_new (&lopts, error);
  if (d->layout == NULL)
    return FALSE;
  const BerthDiskPartition *root = berth_disk_layout_get (d->layout, BERTH_DISK_ROLE_ROOT);
  const BerthDiskPartition *boot = berth_disk_layout_get (d->layout, BERTH_DISK_ROLE_BOOT);
  d->root_spec = g_strdup_printf ("UUID=%s", root->fs_uuid);
  d->boot_spec = g_strdup_printf ("UUID=%s", boot->fs_uuid);
  d->boot_fstype = g_strdup (berth_disk_fs_to_string (boot->fs));
  d->boot_fs_uuid = g_strdup (boot->fs_uuid);
  d->bios_boot = berth_disk_layout_get (d->layout, BERTH_DISK_ROLE_BIOS_BOOT) != NULL;
  BerthBootLayout own = BERTH_BOOT_LAYOUT_OWN (d->bios_boot);
  return berth_boot_check_layout (d->bootloader, &own, &d->boot_allowed, error);
}

static void
note_ignored_keys (const BerthKargsInstallConfig *config, BerthInstallDecisions *d)
{
  for (guint i = 0; config != NULL && i < config->ignored->len; i++)
    {
      const BerthKargsConfigIgnored *ig = config->ignored->pdata[i];
      g_ptr_array_add (d->notes, g_strdup_printf ("the image's install configuration sets %s "
                                                  "(%s:%u), which berth does not act on",
                                                  ig->key, ig->file, ig->line));
    }
}

gboolean
berth_install_decide (const BerthInstallFacts *facts, const BerthInstallChoices *choices,
                      BerthInstallDecisions **out_decisions, GError **error)
{
  g_return_val_if_fail (facts->arch != NULL && out_decisions != NULL, FALSE);
  g_autoptr (BerthInstallDecisions) d = g_new0 (BerthInstallDecisions, 1);
  d->notes = g_ptr_array_new_with_free_func (g_free);
  d->complete = facts->image_files;
  decide_stateroot (facts, choices, d);
  decide_bootloader_request (facts, choices, d);
  if (!decide_layout (facts, choices, d, error))
    return FALSE;
  note_ignored_keys (facts->install_config, d);
  if (!facts->image_files)
    {
      *out_decisions = g_steal_pointer (&d);
      return TRUE;
    }

  /* The loader, from the boot files the image carries (none needs none). */
  g_autoptr (BerthBootFacts) no_files = NULL;
  const BerthBootFacts *boot_facts = facts->boot_facts;
  if (boot_facts == NULL)
    {
      g_return_val_if_fail (d->bootloader == BERTH_BOOTLOADER_NONE, FALSE);
      boot_facts = no_files = berth_boot_facts_new (facts->arch);
    }
  BerthBootWants wants = { .firmware = choices->firmware,
                           .secure_boot = choices->secure_boot,
                           .bios_boot = d->bios_boot,
                           .allowed = d->boot_allowed };
  if (!berth_boot_decide (d->bootloader, boot_facts, &wants, &d->boot, error))
    return FALSE;
  if (choices->bootloader == BERTH_BOOTLOADER_AUTO && d->bootloader != BERTH_BOOTLOADER_AUTO)
    {
      /* the image's install configuration asked for it: "--bootloader grub; the image has ..."
       * says who asked */
      const char *rest = d->boot->why != NULL ? strchr (d->boot->why, ';') : NULL;
      g_autofree char *why = g_steal_pointer (&d->boot->why);
      d->boot->why
        = g_strdup_printf ("%s asks for %s%s", d->bootloader_why,
                           berth_bootloader_to_string (d->bootloader), rest != NULL ? rest : "");
    }

  /* The kernel command line, in bootc's order. */
  const char *root_kargs[] = { d->root_flags, NULL };
  BerthKargsInstallOptions ko = {
    .root_mount_spec = d->root_spec,
    .root_kargs = root_kargs,
    .boot_mount_spec = d->boot_spec,
    .install_config = facts->install_config,
    .kargs_d = facts->kargs_d,
    .cli_karg_deletes = choices->karg_deletes,
    .cli_kargs = choices->kargs,
  };
  d->kargs = berth_kargs_build_install (&ko, NULL, error);
  if (d->kargs == NULL)
    return FALSE;
  *out_decisions = g_steal_pointer (&d);
  return TRUE;
}
