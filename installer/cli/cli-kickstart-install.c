/* berth kickstart FILE without --check: the kickstart as berth install's options, then the
 * same plan and apply as `berth install` (berth_cli_install_run). What berth does not carry
 * out yet is said before anything is written. */
#include "cli-kickstart-install.h"

#include <string.h>

/* "sda" is /dev/sda; a path stays as written (coreos-installer and Anaconda read them so). */
static char *
device_path (const char *name)
{
  return name[0] == '/' ? g_strdup (name) : g_strconcat ("/dev/", name, NULL);
}

static void
add_disk (GPtrArray *named, GPtrArray *where, const char *disk, const BerthKickstartLocation *w,
          const char *what)
{
  g_ptr_array_add (named, g_strdup (disk));
  g_ptr_array_add (where, g_strdup_printf ("%s:%u (%s)", w->file, w->line, what));
}

/* The one disk the kickstart names: ignoredisk --only-use, part --ondisk, clearpart --drives;
 * never picked implicitly (the install medium is a disk too). NULL with @error. */
static char *
kickstart_disk (const BerthKickstart *ks, GError **error)
{
  g_autoptr (GPtrArray) named = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) where = g_ptr_array_new_with_free_func (g_free);
  for (char **d = ks->ignoredisk.only_use; d && *d; d++)
    add_disk (named, where, *d, &ks->ignoredisk.where, "ignoredisk --only-use");
  for (guint i = 0; i < ks->partitions->len; i++)
    {
      const BerthKickstartPartition *p = ks->partitions->pdata[i];
      if (p->ondisk != NULL)
        add_disk (named, where, p->ondisk, &p->where, "part --ondisk");
    }
  for (char **d = ks->clearpart.drives; d && *d; d++)
    add_disk (named, where, *d, &ks->clearpart.where, "clearpart --drives");
  if (named->len == 0)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "%s names no disk to install to (ignoredisk --only-use, part --ondisk "
                         "or clearpart --drives), and --disk gives none: berth never picks one "
                         "itself, as the install medium is a disk too",
                         (const char *)ks->files->pdata[0]),
            NULL);
  for (guint i = 1; i < named->len; i++)
    if (strcmp (named->pdata[i], named->pdata[0]) != 0)
      return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                           "The kickstart names two disks, %s at %s and %s at %s: berth installs "
                           "onto one (give --disk to choose)",
                           (char *)named->pdata[0], (char *)where->pdata[0],
                           (char *)named->pdata[i], (char *)where->pdata[i]),
              NULL);
  return device_path (named->pdata[0]);
}

static gboolean
fs_of (const char *fstype, const BerthKickstartLocation *w, const char *mount, BerthDiskFs *out,
       GError **error)
{
  *out = BERTH_DISK_FS_NONE;
  if (fstype == NULL)
    return TRUE;
  if (g_str_equal (fstype, "efi") || g_str_equal (fstype, "vfat"))
    *out = BERTH_DISK_FS_VFAT;
  else if (g_str_equal (fstype, "ext4"))
    *out = BERTH_DISK_FS_EXT4;
  else if (g_str_equal (fstype, "xfs"))
    *out = BERTH_DISK_FS_XFS;
  else if (g_str_equal (fstype, "btrfs"))
    *out = BERTH_DISK_FS_BTRFS;
  else if (g_str_equal (fstype, "biosboot"))
    *out = BERTH_DISK_FS_NONE;
  else
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "%s:%u: part %s --fstype=%s: berth makes xfs, ext4, btrfs and the ESP's "
                        "vfat (efi)",
                        w->file, w->line, mount, fstype);
  return TRUE;
}

/* part lines (and reqpart) as volumes, in bootc's order: BIOS-BOOT, ESP, /boot, root. */
static gboolean
kickstart_volumes (const BerthKickstart *ks, const char *arch, BerthDiskVolume *vols, guint *n_vols,
                   GError **error)
{
  const BerthKickstartPartition *by_role[BERTH_DISK_ROLE_ROOT + 1] = { NULL };
  for (guint i = 0; i < ks->partitions->len; i++)
    {
      const BerthKickstartPartition *p = ks->partitions->pdata[i];
      const char *m = p->mountpoint;
      BerthDiskRole role;
      if (g_str_equal (m, "/"))
        role = BERTH_DISK_ROLE_ROOT;
      else if (g_str_equal (m, "/boot"))
        role = BERTH_DISK_ROLE_BOOT;
      else if (g_str_equal (m, "/boot/efi"))
        role = BERTH_DISK_ROLE_ESP;
      else if (g_str_equal (m, "biosboot"))
        role = BERTH_DISK_ROLE_BIOS_BOOT;
      else
        return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                            "%s:%u: part %s: berth makes the partitions /, /boot, /boot/efi and "
                            "biosboot; a separate %s is not supported yet (leave it on the root)",
                            p->where.file, p->where.line, m, m);
      if (!p->format)
        return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                            "%s:%u: part %s --noformat: berth makes every partition anew",
                            p->where.file, p->where.line, m);
      by_role[role] = p;
    }
  gboolean x86 = g_strcmp0 (arch, "x86_64") == 0;
  if (ks->reqpart.seen)
    {
      /* what the platform needs (Anaconda's reqpart): the ESP, BIOS boot on x86_64, and /boot
       * with --add-boot; given part lines win */
      static BerthKickstartPartition esp = { .mountpoint = (char *)"/boot/efi", .format = TRUE };
      static BerthKickstartPartition bios = { .mountpoint = (char *)"biosboot", .format = TRUE };
      static BerthKickstartPartition boot = { .mountpoint = (char *)"/boot", .format = TRUE };
      esp.where = bios.where = boot.where = ks->reqpart.where;
      if (by_role[BERTH_DISK_ROLE_ESP] == NULL)
        by_role[BERTH_DISK_ROLE_ESP] = &esp;
      if (x86 && by_role[BERTH_DISK_ROLE_BIOS_BOOT] == NULL)
        by_role[BERTH_DISK_ROLE_BIOS_BOOT] = &bios;
      if (ks->reqpart.add_boot && by_role[BERTH_DISK_ROLE_BOOT] == NULL)
        by_role[BERTH_DISK_ROLE_BOOT] = &boot;
    }
  const char *const need[][2] = {
    { "/", "part / --grow" },
    { "/boot", "part /boot --size=1024 (or reqpart --add-boot): ostree keeps its kernels there" },
    { "/boot/efi", "part /boot/efi --size=512 --fstype=efi (or reqpart)" },
  };
  const BerthDiskRole need_roles[]
    = { BERTH_DISK_ROLE_ROOT, BERTH_DISK_ROLE_BOOT, BERTH_DISK_ROLE_ESP };
  for (guint i = 0; i < G_N_ELEMENTS (need_roles); i++)
    if (by_role[need_roles[i]] == NULL)
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s has no %s partition: add %s",
                          (const char *)ks->files->pdata[0], need[i][0], need[i][1]);

  /* sizes: MiB; a partition without one takes bootc's size for its role, the root grows */
  static const guint64 default_mib[] = { [BERTH_DISK_ROLE_BIOS_BOOT] = 1,
                                         [BERTH_DISK_ROLE_ESP] = 512,
                                         [BERTH_DISK_ROLE_BOOT] = 1024,
                                         [BERTH_DISK_ROLE_ROOT] = 0 };
  *n_vols = 0;
  for (guint r = 0; r <= BERTH_DISK_ROLE_ROOT; r++)
    {
      const BerthKickstartPartition *p = by_role[r];
      if (p == NULL)
        continue;
      BerthDiskVolume *v = &vols[(*n_vols)++];
      *v = (BerthDiskVolume){ .role = r };
      v->size = (p->has_size ? (guint64)p->size : default_mib[r]) * BERTH_DISK_MiB;
      v->grow = p->grow || (r == BERTH_DISK_ROLE_ROOT && !p->has_size);
      v->max_size = (guint64)p->max_size * BERTH_DISK_MiB;
      v->label = p->label;
      v->encrypt = p->encryption.encrypted;
      if (!fs_of (p->fstype, &p->where, p->mountpoint, &v->fs, error))
        return FALSE;
    }
  return TRUE;
}

/* The lines of what berth does not carry out yet, for the warnings before the install. */
static void
not_applied (const BerthKickstart *ks, GPtrArray *out)
{
#define NOTE(cond, where, what)                                                                    \
  if (cond)                                                                                        \
  g_ptr_array_add (out, g_strdup_printf ("%s:%u: %s is not applied by berth yet", (where).file,    \
                                         (where).line, what))
  NOTE (ks->timezone.seen && ks->timezone.timezone == NULL, ks->timezone.where,
        "timezone without a zone (--utc alone)");
  NOTE (ks->lang.seen, ks->lang.where, "lang");
  NOTE (ks->keyboard.seen, ks->keyboard.where, "keyboard");
  NOTE (ks->services.seen, ks->services.where, "services");
  NOTE (ks->selinux.seen, ks->selinux.where, "selinux");
  NOTE (ks->firewall.seen, ks->firewall.where, "firewall");
  NOTE (ks->bootloader.seen && ks->bootloader.has_timeout, ks->bootloader.where,
        "bootloader --timeout");
  NOTE (ks->finish.seen, ks->finish.where, berth_kickstart_finish_to_string (ks->finish.action));
#undef NOTE
  const char *const kinds[] = { "user", "group" };
  GPtrArray *lists[] = { ks->users, ks->groups };
  for (guint k = 0; k < G_N_ELEMENTS (lists); k++)
    if (lists[k]->len > 0)
      {
        /* each item starts with its location (kickstart.h) */
        const BerthKickstartLocation *w = lists[k]->pdata[0];
        g_ptr_array_add (out, g_strdup_printf ("%s:%u: %s (%u in all) is not applied by berth yet",
                                               w->file, w->line, kinds[k], lists[k]->len));
      }
  if (ks->scripts->len > 0)
    g_ptr_array_add (out,
                     g_strdup_printf ("%u %%pre/%%post section%s not run by berth yet",
                                      ks->scripts->len, ks->scripts->len == 1 ? " is" : "s are"));
}

gboolean
berth_cli_kickstart_options (BerthKickstart *ks, const BerthKickstartInstallArgs *args,
                             BerthInstallOptions *o, BerthKickstartInstallData *data,
                             GError **error)
{
  data->warnings = g_ptr_array_new_with_free_func (g_free);
  /* the image; a --remote written in the file verifies the commit with that ostree remote */
  const BerthKickstartOstreeContainer *oc = &ks->ostreecontainer;
  g_autofree char *image = berth_kickstart_get_image (ks);
  if (oc->seen && oc->remote_given && !oc->no_signature_verification)
    {
      gboolean registry = oc->transport == NULL || g_str_equal (oc->transport, "registry");
      data->image = registry ? g_strdup_printf ("ostree-remote-registry:%s:%s", oc->remote, oc->url)
                             : g_strdup_printf ("ostree-remote-image:%s:%s", oc->remote, image);
    }
  else
    data->image = g_steal_pointer (&image);
  o->image = data->image;
  if (oc->seen)
    o->stateroot = oc->stateroot;
  else
    {
      o->stateroot = ks->bootc.stateroot;
      if (ks->bootc.target_given)
        o->target_imgref = ks->bootc.target_imgref;
    }

  /* the disk */
  if (args->via_loopback != NULL)
    {
      o->target = args->via_loopback;
      o->via_loopback = TRUE;
    }
  else if (args->disk != NULL)
    o->target = args->disk;
  else
    {
      data->disk = kickstart_disk (ks, error);
      if (data->disk == NULL)
        return FALSE;
      o->target = data->disk;
    }
  o->wipe = ks->zerombr.seen
            || (ks->clearpart.seen && ks->clearpart.type != BERTH_KICKSTART_CLEARPART_NONE);

  /* the layout */
  if (ks->autopart.seen)
    {
      const BerthKickstartAutopart *a = &ks->autopart;
      if (a->type != BERTH_KICKSTART_AUTOPART_PLAIN && a->type != BERTH_KICKSTART_AUTOPART_BTRFS)
        return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                            "%s:%u: autopart%s needs device-mapper (LVM), which berth does not "
                            "use yet: write autopart --type=plain, or part lines",
                            a->where.file, a->where.line,
                            a->type == BERTH_KICKSTART_AUTOPART_DEFAULT
                              ? " (Anaconda's default type, lvm)"
                            : a->type == BERTH_KICKSTART_AUTOPART_THINP ? " --type=thinp"
                                                                        : " --type=lvm");
      if (a->encryption.encrypted)
        return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                            "%s:%u: autopart --encrypted: berth does not make LUKS volumes yet",
                            a->where.file, a->where.line);
      if (a->type == BERTH_KICKSTART_AUTOPART_BTRFS)
        o->root_fs = BERTH_DISK_FS_BTRFS;
      if (a->fstype != NULL && !fs_of (a->fstype, &a->where, "(autopart)", &o->root_fs, error))
        return FALSE;
    }
  else if (ks->partitions->len > 0 || ks->reqpart.seen)
    {
      if (!kickstart_volumes (ks, args->arch, data->volumes, &data->n_volumes, error))
        return FALSE;
      o->volumes = data->volumes;
      o->n_volumes = data->n_volumes;
    }
  else
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "%s has no partitioning: add autopart --type=plain, or part lines for /, "
                        "/boot and /boot/efi",
                        (const char *)ks->files->pdata[0]);

  /* the loader and the kernel command line */
  const BerthKickstartBootloader *bl = &ks->bootloader;
  if (bl->seen && (bl->disabled || g_strcmp0 (bl->location, "none") == 0))
    o->bootloader = BERTH_BOOTLOADER_NONE;
  else if (ks->bootc.seen && ks->bootc.bootloader != NULL)
    {
      const char *b = ks->bootc.bootloader;
      if (g_str_equal (b, "systemd"))
        b = "systemd-boot";
      if (!berth_bootloader_from_string (b, &o->bootloader, error))
        return FALSE;
    }
  if (bl->seen && bl->append != NULL)
    {
      /* split as the kernel splits a command line (Anaconda: str.split(), the same but for
       * quoted spaces) */
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (bl->append, NULL);
      data->kargs = berth_kargs_to_strv (kargs);
      o->kargs = (const char *const *)data->kargs;
    }

  /* root's SSH keys; the rest of the system's settings are said to be not applied yet */
  g_autoptr (GString) keys = g_string_new (NULL);
  for (guint i = 0; i < ks->sshkeys->len; i++)
    {
      const BerthKickstartSshkey *k = ks->sshkeys->pdata[i];
      if (g_strcmp0 (k->username, "root") == 0)
        g_string_append_printf (keys, "%s\n", k->key);
      else
        g_ptr_array_add (data->warnings,
                         g_strdup_printf ("%s:%u: sshkey --username=%s is not applied by berth "
                                          "yet (only root's keys are)",
                                          k->where.file, k->where.line, k->username));
    }
  if (keys->len > 0)
    {
      data->ssh_keys = g_string_free (g_steal_pointer (&keys), FALSE);
      o->root_ssh_authorized_keys = data->ssh_keys;
    }
  /* the system's settings: root's password, the time zone, the host name (network
   * --hostname: the first one given; the rest of network is Anaconda's live network) */
  if (ks->rootpw.seen)
    {
      o->settings.root_password = ks->rootpw.password;
      /* pykickstart: a password without --iscrypted is plain text */
      o->settings.root_password_plain = !ks->rootpw.is_crypted;
      o->settings.root_lock = ks->rootpw.lock;
    }
  if (ks->timezone.seen)
    o->settings.timezone = ks->timezone.timezone;
  for (guint i = 0; i < ks->networks->len && o->settings.hostname == NULL; i++)
    o->settings.hostname = ((const BerthKickstartNetwork *)ks->networks->pdata[i])->hostname;
  for (guint i = 0; i < ks->networks->len; i++)
    {
      const BerthKickstartNetwork *n = ks->networks->pdata[i];
      if (n->device != NULL || n->bootproto != NULL)
        {
          g_ptr_array_add (data->warnings,
                           g_strdup_printf ("%s:%u: network's device settings are not applied "
                                            "by berth yet (only --hostname is)",
                                            n->where.file, n->where.line));
          break;
        }
    }
  not_applied (ks, data->warnings);
  for (guint i = 0; i < ks->warnings->len; i++)
    g_ptr_array_add (data->warnings, g_strdup (ks->warnings->pdata[i]));
  return TRUE;
}

void
berth_kickstart_install_data_clear (BerthKickstartInstallData *data)
{
  g_free (data->image);
  g_free (data->disk);
  g_free (data->ssh_keys);
  g_strfreev (data->kargs);
  g_clear_pointer (&data->warnings, g_ptr_array_unref);
}
