/* GRUB from the image's own files (DESIGN.md section 5b): shim and the signed GRUB on the ESP
 * for UEFI (Secure Boot with Microsoft's keys), or a core image made with the image's
 * grub-mkimage when it has no shim; the image's grub-install for BIOS, into the BIOS boot
 * partition. The menu is ostree's: with sysroot.bootloader=grub2, every deploy runs the
 * deployment's grub-mkconfig, whose ostree-boot /etc/grub.d/15_ostree turns the BLS entries
 * (and so their kernel arguments) into menu entries in /boot/loader.N/grub.cfg; ostree never
 * writes /boot/grub/grub.cfg, so that is a symlink to ../loader/grub.cfg and follows each
 * deploy. Debian's GRUB 2.06 has no blscfg, so a menu written once would go stale at the first
 * upgrade. An image that carries bootupd's payload (Fedora, CentOS: a GRUB with blscfg) gets
 * what bootupd installs instead: its EFI files on the ESP and its static grub.cfg, which calls
 * blscfg, so the menu is the BLS entries themselves and ostree needs no bootloader step. */
#include "boot/boot-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's signed GRUB has the built-in prefix /EFI/debian on the ESP it was loaded from,
 * whatever folder it started from, and reads $prefix/grub.cfg (DESIGN.md section 5b). Other
 * distributions' signed GRUBs use their own name (/EFI/fedora, /EFI/ubuntu). */
#define GRUB_EFI_VENDOR_DIR "EFI/debian"

/* The modules a core image for a BIOS boot loads before it reads /boot: the partition table and
 * the filesystems /boot may have. */
#define GRUB_BIOS_MODULES "part_gpt ext2 xfs"

/* Built into a UEFI core image without shim: what its early config needs to find /boot; the
 * rest (linux, gzio, video...) normal mode loads from /boot/grub/<platform>/. */
static const char *const core_modules[]
  = { "part_gpt",       "part_msdos", "fat",        "ext2", "xfs",  "search",
      "search_fs_uuid", "normal",     "configfile", "echo", "test", NULL };

typedef struct
{
  const BerthEfiArch *efi;
  char *shim, *mm, *grub_signed; /* relative to the image root */
  char *efi_modules, *bios_modules;
} GrubPaths;

static void
grub_paths_clear (GrubPaths *p)
{
  g_free (p->shim);
  g_free (p->mm);
  g_free (p->grub_signed);
  g_free (p->efi_modules);
  g_free (p->bios_modules);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GrubPaths, grub_paths_clear)

static gboolean
grub_paths_init (GrubPaths *p, const char *arch)
{
  p->efi = berth_efi_arch_lookup (arch);
  if (p->efi == NULL)
    return FALSE;
  p->shim = g_strdup_printf (BERTH_BOOT_SHIM_DIR "/shim%s.efi.signed", p->efi->efi);
  p->mm = g_strdup_printf (BERTH_BOOT_SHIM_DIR "/mm%s.efi.signed", p->efi->efi);
  p->grub_signed = g_strdup_printf (BERTH_BOOT_GRUB_LIB "/%s-signed/grub%s.efi.signed",
                                    p->efi->grub_efi, p->efi->efi);
  p->efi_modules = g_strdup_printf (BERTH_BOOT_GRUB_LIB "/%s", p->efi->grub_efi);
  if (p->efi->grub_bios != NULL)
    p->bios_modules = g_strdup_printf (BERTH_BOOT_GRUB_LIB "/%s", p->efi->grub_bios);
  return TRUE;
}

static gboolean
has_signed (const BerthBootFacts *f, const GrubPaths *p)
{
  return berth_boot_facts_has_file (f, "%s", p->shim)
         && berth_boot_facts_has_file (f, "%s", p->grub_signed);
}

static gboolean
has_unsigned (const BerthBootFacts *f, const GrubPaths *p)
{
  return berth_boot_facts_has_dir (f, "%s", p->efi_modules)
         && berth_boot_facts_has_file (f, "usr/bin/grub-mkimage");
}

const char *const berth_boot_bootupd_vendors[]
  = { "fedora", "centos", "redhat", "almalinux", "rocky", NULL };

/* bootupd's payload: the EFI tree and the static config (its head and the ESP's part). */
static gboolean
has_bootupd (const BerthBootFacts *f)
{
  return berth_boot_facts_has_dir (f, "%s", BERTH_BOOT_BOOTUPD_EFI)
         && berth_boot_facts_has_file (f, "%s", BERTH_BOOT_BOOTUPD_STATIC "/grub-static-pre.cfg")
         && berth_boot_facts_has_file (f, "%s", BERTH_BOOT_BOOTUPD_STATIC "/grub-static-efi.cfg");
}

/* The vendor folder of bootupd's payload that has a shim, or NULL. */
static const char *
bootupd_shim_vendor (const BerthBootFacts *f, const GrubPaths *p)
{
  for (const char *const *v = berth_boot_bootupd_vendors; *v != NULL; v++)
    if (berth_boot_facts_has_file (f, BERTH_BOOT_BOOTUPD_EFI "/%s/shim%s.efi", *v, p->efi->efi))
      return *v;
  return NULL;
}

static gboolean
carries (const BerthBootFacts *facts, char **out_what)
{
  g_auto (GrubPaths) p = { 0 };
  if (!grub_paths_init (&p, berth_boot_facts_get_arch (facts)))
    {
      *out_what = g_strdup ("no GRUB for this architecture");
      return FALSE;
    }
  const char *vendor = has_bootupd (facts) ? bootupd_shim_vendor (facts, &p) : NULL;
  if (has_bootupd (facts))
    *out_what = g_strdup_printf ("GRUB with blscfg from bootupd's payload (/%s%s%s, static "
                                 "config /%s)",
                                 BERTH_BOOT_BOOTUPD_EFI, vendor ? "/" : "", vendor ? vendor : "",
                                 BERTH_BOOT_BOOTUPD_STATIC);
  else if (has_signed (facts, &p))
    *out_what = g_strdup_printf ("GRUB for UEFI with shim (/%s, /%s)", p.shim, p.grub_signed);
  else if (has_unsigned (facts, &p))
    *out_what = g_strdup_printf ("GRUB for UEFI (/%s, unsigned)", p.efi_modules);
  else
    {
      *out_what = g_strdup_printf ("no GRUB EFI: neither /%s with /%s nor /%s with grub-mkimage",
                                   p.shim, p.grub_signed, p.efi_modules);
      return FALSE;
    }
  return TRUE;
}

/* GRUB reads /boot itself (ext2 and xfs drivers), on any partition type, and the menu's paths
 * are relative to /boot's filesystem (ostree 2022.7 writes BLS paths that way, DESIGN.md
 * section 2): /boot must be its own ext4 or xfs filesystem. */
static gboolean
check_layout (const BerthBootLayout *layout, GError **error)
{
  if (layout->root_dir == NULL)
    return TRUE;
  const char *fix = "or give --bootloader none and bring your own bootloader";
  if (layout->boot == NULL)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "GRUB reads the kernels from /boot with the paths ostree writes, relative "
                        "to /boot's own filesystem, but %s/boot is not a mount point: make /boot "
                        "an ext4 or xfs partition and mount it there, %s",
                        layout->root_dir, fix);
  if (g_strcmp0 (layout->boot->fstype, "ext4") != 0 && g_strcmp0 (layout->boot->fstype, "xfs") != 0)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "GRUB is given the ext2 and xfs drivers for /boot, but %s is %s: make it "
                        "ext4 or xfs, %s",
                        layout->boot->path, layout->boot->fstype, fix);
  return TRUE;
}

/* What keeps the menu current: ostree runs the deployment's grub-mkconfig at every deploy. */
static gboolean
check_upgrade_tools (const BerthBootFacts *f, GError **error)
{
  const char *const need[][2] = {
    { "usr/sbin/grub-mkconfig", "grub-common" },
    { "etc/grub.d/15_ostree", "ostree-boot" },
    /* 15_ostree sources it unchecked; grub2-common does not ship it (grub-pc and
     * grub-efi-amd64 generate it), DESIGN.md section 5b */
    { "etc/default/grub", "an empty file will do" },
    /* grub-probe finds a partition's disk through it */
    { "usr/bin/udevadm", "udev" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (need); i++)
    if (!berth_boot_facts_has_file (f, "%s", need[i][0]))
      return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                          "GRUB's menu is regenerated at every deploy by the image's "
                          "grub-mkconfig with ostree's 15_ostree, and the image has no /%s (%s)",
                          need[i][0], need[i][1]);
  return TRUE;
}

/* Why BIOS cannot be installed with the image's @tool (grub-install, grub2-install), or NULL
 * when it can. */
static char *
bios_missing (const BerthBootFacts *f, const BerthBootWants *wants, const GrubPaths *p,
              const char *tool)
{
  if (p->bios_modules == NULL)
    return g_strdup_printf ("%s has no BIOS", p->efi->arch);
  if (!berth_boot_facts_has_dir (f, "%s", p->bios_modules))
    return g_strdup_printf ("the image has no GRUB i386-pc modules (/%s; package grub-pc-bin)",
                            p->bios_modules);
  if (!berth_boot_facts_has_file (f, "usr/sbin/%s", tool))
    return g_strdup_printf ("the image has no /usr/sbin/%s (package grub2-common)", tool);
  if (!wants->bios_boot)
    return g_strdup ("the disk has no BIOS boot partition (type " BERTH_DISK_TYPE_BIOS_BOOT ")");
  return NULL;
}

/* BIOS with the image's @tool: installed when it can be and --firmware allows it, refused
 * when --firmware asks for it and it cannot be, else a note saying why not. */
static gboolean
decide_bios (const BerthBootFacts *facts, const BerthBootWants *wants, const GrubPaths *p,
             const char *tool, BerthBootDecision *d, GError **error)
{
  gboolean need_bios
    = wants->firmware == BERTH_BOOT_FIRMWARE_BIOS || wants->firmware == BERTH_BOOT_FIRMWARE_BOTH;
  g_autofree char *no_bios = bios_missing (facts, wants, p, tool);
  if (need_bios && no_bios != NULL)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "--firmware %s: GRUB for BIOS needs the image's i386-pc modules and %s, "
                        "and a BIOS boot partition: %s",
                        berth_boot_firmware_to_string (wants->firmware), tool, no_bios);
  if (no_bios == NULL && wants->firmware != BERTH_BOOT_FIRMWARE_UEFI)
    d->bios = TRUE;
  else if (no_bios != NULL)
    g_ptr_array_add (d->notes, g_strdup_printf ("BIOS: not installed: %s", no_bios));
  return TRUE;
}

/* bootupd's way (Fedora-style GRUB with blscfg): its EFI files, its static grub.cfg; the BIOS
 * core image by the image's grub2-install. ostree writes the BLS entries only. */
static gboolean
decide_static (const BerthBootFacts *facts, const BerthBootWants *wants, const GrubPaths *p,
               BerthBootDecision *d, GError **error)
{
  gboolean want_uefi = wants->firmware != BERTH_BOOT_FIRMWARE_BIOS;
  if (wants->secure_boot && !want_uefi)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "--secure-boot goes with UEFI, and --firmware bios asks for BIOS only");
  d->grub_static = TRUE;
  d->sysroot_bootloader = "none";
  g_ptr_array_add (d->notes, g_strdup_printf ("the menu: bootupd's static grub.cfg (/%s) calls "
                                              "blscfg, which reads the BLS entries ostree "
                                              "writes at every deploy",
                                              BERTH_BOOT_BOOTUPD_STATIC));
  if (want_uefi)
    {
      d->uefi = TRUE;
      const char *vendor = bootupd_shim_vendor (facts, p);
      if (vendor != NULL)
        d->secure_boot = TRUE;
      else if (wants->secure_boot)
        return berth_throw (error, BERTH_ERROR_REFUSED,
                            "--secure-boot: bootupd's payload in the image has no shim%s.efi in "
                            "/%s/<vendor>/ (vendors berth knows: fedora, centos, redhat, "
                            "almalinux, rocky)",
                            p->efi->efi, BERTH_BOOT_BOOTUPD_EFI);
      else
        g_ptr_array_add (d->notes, g_strdup_printf ("Secure Boot: no shim%s.efi in a vendor "
                                                    "folder berth knows under /%s",
                                                    p->efi->efi, BERTH_BOOT_BOOTUPD_EFI));
    }
  return decide_bios (facts, wants, p, "grub2-install", d, error);
}

static gboolean
decide (const BerthBootFacts *facts, const BerthBootWants *wants, BerthBootDecision *d,
        GError **error)
{
  g_auto (GrubPaths) p = { 0 };
  if (!grub_paths_init (&p, berth_boot_facts_get_arch (facts)))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "No GRUB for architecture '%s'",
                        berth_boot_facts_get_arch (facts));
  if (has_bootupd (facts))
    return decide_static (facts, wants, &p, d, error);
  gboolean want_uefi = wants->firmware != BERTH_BOOT_FIRMWARE_BIOS;

  if (wants->secure_boot && !want_uefi)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "--secure-boot goes with UEFI, and --firmware bios asks for BIOS only");
  if (want_uefi)
    {
      if (has_signed (facts, &p))
        {
          d->uefi = TRUE;
          d->secure_boot = TRUE;
          if (!berth_boot_facts_has_file (facts, "%s", p.mm))
            g_ptr_array_add (
              d->notes, g_strdup_printf ("no MokManager (/%s): shim cannot enroll keys", p.mm));
        }
      else if (has_unsigned (facts, &p))
        {
          if (wants->secure_boot)
            return berth_throw (error, BERTH_ERROR_REFUSED,
                                "--secure-boot: the image's GRUB is not signed (it has no /%s "
                                "and /%s: packages shim-signed and grub-efi-amd64-signed)",
                                p.shim, p.grub_signed);
          d->uefi = TRUE;
          d->grub_core_image = TRUE;
          g_ptr_array_add (d->notes,
                           g_strdup_printf ("Secure Boot must be off: the image has no shim and "
                                            "signed GRUB (/%s, /%s); berth makes a GRUB core "
                                            "image from its /%s modules",
                                            p.shim, p.grub_signed, p.efi_modules));
        }
      else
        return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                            "the image has no GRUB for UEFI (/%s with /%s, or /%s with "
                            "grub-mkimage)%s",
                            p.shim, p.grub_signed, p.efi_modules,
                            wants->firmware == BERTH_BOOT_FIRMWARE_AUTO
                              ? "; --firmware bios installs GRUB for BIOS only"
                              : "");
    }

  return decide_bios (facts, wants, &p, "grub-install", d, error)
         && check_upgrade_tools (facts, error);
}

/* ---- install ------------------------------------------------------------------------------ */

static gboolean
is_regular (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISREG (st.st_mode);
}

static char *
in_image (const BerthBootInstallOptions *o, const char *rel)
{
  return g_build_filename (o->deployment_root, rel, NULL);
}

/* /boot/grub/grub.cfg -> ../loader/grub.cfg, replacing what is there in one rename. */
static gboolean
link_menu (const char *grub_dir, GError **error)
{
  g_autofree char *tmp = g_build_filename (grub_dir, ".grub.cfg.berth-tmp", NULL);
  g_autofree char *cfg = g_build_filename (grub_dir, "grub.cfg", NULL);
  (void)unlink (tmp);
  if (symlink ("../loader/grub.cfg", tmp) < 0)
    return berth_throw_errno (error, tmp);
  if (rename (tmp, cfg) < 0)
    {
      int errsv = errno;
      (void)unlink (tmp);
      return berth_throw_errno_code (error, errsv, cfg);
    }
  return TRUE;
}

/* The image's modules of @platform into /boot/grub/@platform, for a core image that loads them
 * from there (a BIOS grub-install copies its own). */
static gboolean
copy_modules (const BerthBootInstallOptions *o, const char *modules_rel, const char *platform,
              GCancellable *cancellable, GError **error)
{
  g_autofree char *src = in_image (o, modules_rel);
  g_autofree char *dest = g_build_filename (o->sysroot, "boot/grub", platform, NULL);
  if (g_mkdir_with_parents (dest, 0755) < 0)
    return berth_throw_errno (error, dest);
  g_autoptr (GDir) d = g_dir_open (src, 0, NULL);
  if (d == NULL)
    return berth_throw_errno (error, src);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (!g_str_has_suffix (name, ".mod") && !g_str_has_suffix (name, ".lst"))
        continue;
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dest, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;
      if (!g_file_get_contents (from, &contents, &len, error)
          || !g_file_set_contents_full (to, contents, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
                                        0644, error))
        return FALSE;
      if (g_cancellable_set_error_if_cancelled (cancellable, NULL))
        return berth_throw (error, BERTH_ERROR_CANCELLED, "interrupted");
    }
  return TRUE;
}

/* A UEFI core image from the image's modules, with an early config that finds /boot by UUID
 * and takes its menu (Secure Boot off: nothing here is signed). Returns the file's path on the
 * host side; the caller removes it. */
static char *
make_core_image (const BerthBootInstallOptions *o, const GrubPaths *p, const char *early,
                 GCancellable *cancellable, GError **error)
{
  g_autofree char *early_path = g_build_filename (o->sysroot, "boot/grub/.berth-early.cfg", NULL);
  if (!g_file_set_contents (early_path, early, -1, error))
    return NULL;
  g_autofree char *out_in = g_strdup_printf ("/boot/grub/.berth-grub%s.efi", p->efi->efi);
  g_autofree char *dir_in = g_strconcat ("/", p->efi_modules, NULL);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_strv_builder_add_many (b, "/usr/bin/grub-mkimage", "-O", p->efi->grub_efi, "-d", dir_in, "-o",
                           out_in, "-c", "/boot/grub/.berth-early.cfg", "-p", "/grub", NULL);
  g_strv_builder_addv (b, (const char **)core_modules);
  g_auto (GStrv) argv = g_strv_builder_end (b);
  gboolean ok = berth_boot_chroot_run (o, (const char *const *)argv, cancellable, error);
  (void)unlink (early_path);
  if (!ok)
    return NULL;
  return g_build_filename (o->sysroot, out_in, NULL);
}

/* The menu ostree generated at the deploy: /boot/loader/grub.cfg with at least one entry. */
static gboolean
check_menu (const char *sysroot, GError **error)
{
  g_autofree char *menu = g_build_filename (sysroot, "boot/loader/grub.cfg", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (menu, &text, NULL, NULL))
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "ostree generated no GRUB menu (%s): was the deploy made with "
                        "sysroot.bootloader=grub2?",
                        menu);
  if (strstr (text, "menuentry ") == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "the GRUB menu ostree generated (%s) has no menu entry", menu);
  return TRUE;
}

/* ---- bootupd's way ---- */

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* bootupd's static grub.cfg (grubconfigs.rs): a header, grub-static-pre.cfg, then each
 * configs.d/NAME.cfg in name order between BEGIN and END lines. */
static char *
static_config (const char *static_dir, GError **error)
{
  g_autofree char *pre_path = g_build_filename (static_dir, "grub-static-pre.cfg", NULL);
  g_autofree char *pre = NULL;
  if (!g_file_get_contents (pre_path, &pre, NULL, error))
    return NULL;
  g_autoptr (GString) config = g_string_new ("# Generated by berth, as bootupd does / do not "
                                             "edit\n\n");
  g_string_append (config, pre);
  g_autofree char *dropins = g_build_filename (static_dir, "configs.d", NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dropins, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".cfg"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dropins, names->pdata[i], NULL);
      g_autofree char *text = NULL;
      if (!g_file_get_contents (path, &text, NULL, error))
        return NULL;
      g_string_append_printf (config, "\n### BEGIN %s ###\n%s### END %s ###\n",
                              (char *)names->pdata[i], text, (char *)names->pdata[i]);
    }
  return g_string_free (g_steal_pointer (&config), FALSE);
}

/* The vendor folder of the payload's EFI tree (the first one that is not BOOT), or NULL. */
static char *
payload_vendor (const char *efi_dir)
{
  g_autoptr (GDir) d = g_dir_open (efi_dir, 0, NULL);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (efi_dir, name, NULL);
      if (g_ascii_strcasecmp (name, "BOOT") != 0 && g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (found, g_strdup (name));
    }
  g_ptr_array_sort (found, compare_names);
  return found->len > 0 ? g_strdup (found->pdata[0]) : NULL;
}

/* The regular files of @dir, sorted. */
static GPtrArray *
regular_files (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);
  return names;
}

static gboolean
write_boot_file (const char *dir, const char *name, const char *contents, gssize len,
                 GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return g_file_set_contents_full (path, contents, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   error);
}

static gboolean
install_static (const BerthBootDecision *d, const BerthBootInstallOptions *o, const GrubPaths *p,
                GCancellable *cancellable, GError **error)
{
  g_autofree char *efi_src = in_image (o, BERTH_BOOT_BOOTUPD_EFI);
  g_autofree char *static_dir = in_image (o, BERTH_BOOT_BOOTUPD_STATIC);
  g_autofree char *vendor = payload_vendor (efi_src);
  if (d->uefi && vendor == NULL)
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "bootupd's payload in the image has no vendor folder in /%s",
                        BERTH_BOOT_BOOTUPD_EFI);
  if (o->boot_fs_uuid == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "GRUB's static config needs the UUID of the /boot filesystem");
  if (d->bios && (o->runner == NULL || o->disk == NULL))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "GRUB for BIOS needs the whole disk and berth's chroot runner");
  g_autofree char *config = static_config (static_dir, error);
  if (config == NULL)
    return FALSE;
  g_autofree char *efi_cfg_path = g_build_filename (static_dir, "grub-static-efi.cfg", NULL);
  g_autofree char *efi_cfg = NULL;
  if (!g_file_get_contents (efi_cfg_path, &efi_cfg, NULL, error))
    return FALSE;
  g_autofree char *uuid_cfg = g_strdup_printf ("set BOOT_UUID=\"%s\"\n", o->boot_fs_uuid);

  /* /boot/grub2: the config, the UUID it searches for, an empty environment block (GRUB's
   * fixed 1024 bytes) */
  g_autofree char *grub2 = g_build_filename (o->sysroot, "boot/grub2", NULL);
  if (g_mkdir_with_parents (grub2, 0700) < 0)
    return berth_throw_errno (error, grub2);
  char env[1024];
  const char *head = "# GRUB Environment Block\n";
  memset (env, '#', sizeof env);
  memcpy (env, head, strlen (head));
  if (!write_boot_file (grub2, "grub.cfg", config, -1, error)
      || !write_boot_file (grub2, "bootuuid.cfg", uuid_cfg, -1, error)
      || !write_boot_file (grub2, "grubenv", env, sizeof env, error))
    return FALSE;

  if (d->bios)
    {
      g_autofree char *modules = g_strconcat ("--modules=", GRUB_BIOS_MODULES, NULL);
      g_autofree char *target = g_strconcat ("--target=", p->efi->grub_bios, NULL);
      const char *argv[]
        = { "/usr/sbin/grub2-install", target, "--boot-directory=/boot", modules, o->disk, NULL };
      if (!berth_boot_chroot_run (o, argv, cancellable, error))
        return FALSE;
    }
  if (!d->uefi)
    return TRUE;

  /* the ESP: the vendor folder as the payload has it, with the static config and the UUID;
   * EFI/BOOT's files but the fallback loader (DESIGN.md section 5b: next to shim it writes
   * NVRAM entries and resets), with the vendor's GRUB and MokManager beside shim, which loads
   * them from its own folder; the fallback path last */
  g_autofree char *vendor_src = g_build_filename (efi_src, vendor, NULL);
  g_autofree char *boot_src = g_build_filename (efi_src, "BOOT", NULL);
  g_autofree char *vendor_dest = g_strconcat ("EFI/", vendor, NULL);
  g_autofree char *fallback = g_strdup_printf ("EFI/BOOT/BOOT%s.EFI", p->efi->efi_upper);
  g_autofree char *fallback_src
    = g_build_filename (boot_src, fallback + strlen ("EFI/BOOT/"), NULL);
  if (!is_regular (fallback_src))
    {
      g_free (fallback_src);
      fallback_src = g_strdup_printf ("%s/shim%s.efi", vendor_src, p->efi->efi);
    }
  if (!is_regular (fallback_src))
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "bootupd's payload has neither /%s/BOOT/BOOT%s.EFI nor a shim in /%s/%s",
                        BERTH_BOOT_BOOTUPD_EFI, p->efi->efi_upper, BERTH_BOOT_BOOTUPD_EFI, vendor);
  g_autoptr (GPtrArray) vendor_files = regular_files (vendor_src);
  g_autoptr (GPtrArray) boot_files = regular_files (boot_src);
  g_auto (BerthEsp) esp = { 0 };
  berth_esp_init_from (&esp, o);
  const char *const dirs[] = { "EFI/BOOT", vendor_dest, NULL };
  if (!berth_esp_mkdirs (&esp, dirs, cancellable, error))
    return FALSE;
  for (guint i = 0; i < vendor_files->len; i++)
    {
      const char *name = vendor_files->pdata[i];
      g_autofree char *src = g_build_filename (vendor_src, name, NULL);
      g_autofree char *dest = g_strdup_printf ("%s/%s", vendor_dest, name);
      if (!berth_esp_install_file (&esp, src, dest, cancellable, error))
        return FALSE;
    }
  g_autofree char *cfg_dest = g_strdup_printf ("%s/grub.cfg", vendor_dest);
  g_autofree char *uuid_dest = g_strdup_printf ("%s/bootuuid.cfg", vendor_dest);
  if (!berth_esp_install_contents (&esp, efi_cfg, cfg_dest, cancellable, error)
      || !berth_esp_install_contents (&esp, uuid_cfg, uuid_dest, cancellable, error))
    return FALSE;
  for (guint i = 0; i < boot_files->len; i++)
    {
      const char *name = boot_files->pdata[i];
      g_autofree char *dest = g_strdup_printf ("EFI/BOOT/%s", name);
      if (g_str_has_prefix (name, "fb") || g_ascii_strcasecmp (dest, fallback) == 0)
        continue;
      g_autofree char *src = g_build_filename (boot_src, name, NULL);
      if (!berth_esp_install_file (&esp, src, dest, cancellable, error))
        return FALSE;
    }
  const char *beside_shim[] = { "grub", "mm" };
  for (guint i = 0; i < G_N_ELEMENTS (beside_shim); i++)
    {
      g_autofree char *src
        = g_strdup_printf ("%s/%s%s.efi", vendor_src, beside_shim[i], p->efi->efi);
      g_autofree char *dest = g_strdup_printf ("EFI/BOOT/%s%s.efi", beside_shim[i], p->efi->efi);
      if (is_regular (src) && !berth_esp_install_file (&esp, src, dest, cancellable, error))
        return FALSE;
    }
  return berth_esp_install_file (&esp, fallback_src, fallback, cancellable, error)
         && berth_esp_sync (&esp, error);
}

static gboolean
install (const BerthBootDecision *d, const BerthBootInstallOptions *o, GCancellable *cancellable,
         GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Installing GRUB");
  g_auto (GrubPaths) p = { 0 };
  if (!grub_paths_init (&p, o->arch))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "No GRUB for architecture '%s'",
                        o->arch);
  if (o->sysroot == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "GRUB needs the target's root");
  if (d->grub_static)
    return install_static (d, o, &p, cancellable, error);

  /* every source first: nothing is written unless everything is there */
  g_autofree char *shim = in_image (o, p.shim);
  g_autofree char *mm = in_image (o, p.mm);
  g_autofree char *grub_signed = in_image (o, p.grub_signed);
  if (d->uefi && !d->grub_core_image && (!is_regular (shim) || !is_regular (grub_signed)))
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE, "The image has no /%s or no /%s",
                        p.shim, p.grub_signed);
  if (d->uefi && o->boot_fs_uuid == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "GRUB for UEFI needs the UUID of the /boot filesystem");
  if ((d->bios || d->grub_core_image) && o->runner == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "GRUB's tools run through berth's chroot runner, and none was given");
  if (d->bios && o->disk == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "GRUB for BIOS needs the whole disk (its BIOS boot partition)");
  const char *esp_where = o->esp_dir != NULL ? o->esp_dir : o->esp_device;
  if (d->uefi && (esp_where == NULL || !g_file_test (esp_where, G_FILE_TEST_EXISTS)))
    return berth_throw (error, BERTH_ERROR_NOT_FOUND, "The ESP %s does not exist",
                        esp_where ? esp_where : "(none)");
  if (!check_menu (o->sysroot, error))
    return FALSE;

  /* the menu, shared by the BIOS and UEFI GRUBs */
  g_autofree char *grub_dir = g_build_filename (o->sysroot, "boot/grub", NULL);
  if (g_mkdir_with_parents (grub_dir, 0755) < 0)
    return berth_throw_errno (error, grub_dir);
  if (!link_menu (grub_dir, error))
    return FALSE;

  if (d->bios)
    {
      g_autofree char *modules = g_strconcat ("--modules=", GRUB_BIOS_MODULES, NULL);
      g_autofree char *target = g_strconcat ("--target=", p.efi->grub_bios, NULL);
      /* the image's grub-install, modules (/usr/lib/grub/i386-pc) and udevadm, in a chroot of
       * the deployment with the target's /boot: nothing of the installing system's GRUB */
      const char *argv[]
        = { "/usr/sbin/grub-install", target, "--boot-directory=/boot", modules, o->disk, NULL };
      if (!berth_boot_chroot_run (o, argv, cancellable, error))
        return FALSE;
    }

  if (d->uefi)
    {
      /* Debian's grub-install writes this stub: the signed GRUB reads it from its built-in
       * prefix, and it takes the menu from /boot, found by UUID */
      g_autofree char *stub = g_strdup_printf ("search.fs_uuid %s root\nset prefix=($root)'/grub'\n"
                                               "configfile $prefix/grub.cfg\n",
                                               o->boot_fs_uuid);
      g_autofree char *fallback = g_strdup_printf ("EFI/BOOT/BOOT%s.EFI", p.efi->efi_upper);
      g_autofree char *core = NULL;
      if (d->grub_core_image)
        {
          g_autofree char *early = g_strdup_printf (
            "search.fs_uuid %s root\nset prefix=($root)'/grub'\n", o->boot_fs_uuid);
          if (!copy_modules (o, p.efi_modules, p.efi->grub_efi, cancellable, error))
            return FALSE;
          core = make_core_image (o, &p, early, cancellable, error);
          if (core == NULL)
            return FALSE;
        }
      g_auto (BerthEsp) esp = { 0 };
      berth_esp_init_from (&esp, o);
      const char *const dirs[] = { "EFI/BOOT", GRUB_EFI_VENDOR_DIR, NULL };
      gboolean ok = berth_esp_mkdirs (&esp, dirs, cancellable, error);
      if (ok && core != NULL)
        ok = berth_esp_install_file (&esp, core, fallback, cancellable, error);
      else if (ok)
        {
          /* shim loads grub<efi>.efi and mm<efi>.efi from its own folder; fb<efi>.efi is left
           * out: next to shim it starts the fallback loader, which writes NVRAM entries and may
           * reset (DESIGN.md section 5b). The fallback path, the one the firmware boots without
           * a boot entry, last. */
          g_autofree char *grub_dest = g_strdup_printf ("EFI/BOOT/grub%s.efi", p.efi->efi);
          g_autofree char *mm_dest = g_strdup_printf ("EFI/BOOT/mm%s.efi", p.efi->efi);
          ok = berth_esp_install_contents (&esp, stub, GRUB_EFI_VENDOR_DIR "/grub.cfg", cancellable,
                                           error)
               && berth_esp_install_file (&esp, grub_signed, grub_dest, cancellable, error)
               && (!is_regular (mm)
                   || berth_esp_install_file (&esp, mm, mm_dest, cancellable, error))
               && berth_esp_install_file (&esp, shim, fallback, cancellable, error);
        }
      if (core != NULL)
        (void)unlink (core);
      if (!ok || !berth_esp_sync (&esp, error))
        return FALSE;
    }
  return TRUE;
}

const BerthBootBackend berth_boot_backend_grub = {
  .id = BERTH_BOOTLOADER_GRUB,
  .name = "grub",
  /* ostree regenerates /boot/loader.N/grub.cfg with grub-mkconfig at every deploy */
  .sysroot_bootloader = "grub2",
  .needs_esp = TRUE,
  .layout_needs = "an ESP for UEFI, a BIOS boot partition for BIOS, and /boot its own ext4 or "
                  "xfs filesystem",
  .carries = carries,
  .check_layout = check_layout,
  .decide = decide,
  .install = install,
};
