/* extlinux for U-Boot boards: U-Boot's distro boot reads extlinux/extlinux.conf on the /boot
 * partition, and ostree keeps that file current at every deploy. Nothing is installed on the
 * ESP and nothing comes from the image: U-Boot is the board's firmware.
 *
 * Why ostree's syslinux backend (sysroot.bootloader=syslinux), not its uboot one, and not a
 * menu of berth's own (ostree v2022.7, src/libostree/ostree-bootloader-syslinux.c; the README's
 * "extlinux" paragraph says what was proven under qemu):
 * - _ostree_bootloader_syslinux_write_config runs at every deploy that writes a new boot
 *   version (install, upgrade, kargs change). It reads the current menu through
 *   boot/syslinux/syslinux.cfg (a symlink "should follow the symbolic link to the current
 *   bootversion"), keeps every line outside its own entries, drops the LABEL blocks whose KERNEL
 *   is under /ostree/ or /boot/ostree/ and the DEFAULT that names an "(ostree" title, and writes
 *   boot/loader.N/syslinux.cfg with `DEFAULT <first title>` and one LABEL per BLS entry (KERNEL,
 *   INITRD, DEVICETREE, APPEND); the /boot/loader -> loader.N swap then makes it current.
 *   U-Boot's extlinux parser (boot/pxe_utils.c) reads that syntax, keywords in any case.
 * - The uboot backend writes uEnv.txt variables, which only a board's own boot script reads;
 *   distro boot never does.
 * - A menu of berth's own would go stale at the first upgrade (ostree swaps boot.0 and boot.1).
 * So: /boot/syslinux/syslinux.cfg -> ../loader/syslinux.cfg (what ostree reads) and
 * /boot/extlinux/extlinux.conf -> ../loader/syslinux.cfg (what U-Boot reads). /boot is its own
 * partition, so U-Boot sees it at the partition's root: distro boot tries boot_prefixes "/ /boot/"
 * and finds /extlinux/extlinux.conf first. ostree 2022.7 writes `KERNEL /boot/ostree/...`
 * (a /boot prefix on the BLS path, which is relative to /boot's filesystem); that resolves on
 * the partition through the `boot -> .` symlink ostree makes in /boot at every deploy
 * (prepare_new_bootloader_link in ostree-sysroot-deploy.c), and U-Boot's ext4 follows symlinks.
 *
 * The first deploy: the syslinux backend fails when boot/syslinux/syslinux.cfg cannot be read,
 * and a new sysroot has no /boot/loader yet (ostree then assumes boot version 0 and writes
 * loader.1). So before the deploy berth writes /boot/loader.0/syslinux.cfg with its header lines
 * and points /boot/loader at it: ostree reads the header through the links, keeps it, writes
 * loader.1 with the entries, swaps, and its cleanup removes loader.0.
 *
 * The header: TIMEOUT is in tenths of a second (U-Boot rounds up to seconds) and PROMPT 1 makes
 * U-Boot show the menu and wait that long, so the rollback entry can be chosen at the console;
 * without PROMPT it boots DEFAULT at once. */
#include "boot/boot-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The menu's header, kept by ostree above the entries it writes at every deploy. */
#define EXTLINUX_HEADER                                                                            \
  "# U-Boot's distro boot reads this file as /extlinux/extlinux.conf of the /boot partition.\n"    \
  "# ostree (sysroot.bootloader=syslinux) rewrites the DEFAULT and LABEL lines below at every\n"   \
  "# deploy and keeps the lines above them.\n"                                                     \
  "MENU TITLE ostree deployments\n"                                                                \
  "TIMEOUT 30\n"                                                                                   \
  "PROMPT 1\n"

/* Relative to the /boot filesystem: what ostree reads and writes, and what U-Boot reads. */
#define MENU_TARGET  "../loader/syslinux.cfg"
#define OSTREE_MENU  "syslinux/syslinux.cfg"
#define UBOOT_MENU   "extlinux/extlinux.conf"
#define FIRST_LOADER "loader.0"

/* U-Boot reads ext2/3/4 and FAT; ostree's /boot cannot be FAT (DESIGN.md section 2). */
static gboolean
uboot_reads (const char *fstype)
{
  return g_strcmp0 (fstype, "ext4") == 0 || g_strcmp0 (fstype, "ext3") == 0
         || g_strcmp0 (fstype, "ext2") == 0;
}

static gboolean
carries (const BerthBootFacts *facts, char **out_what)
{
  (void)facts;
  *out_what = g_strdup ("no loader of its own to carry (U-Boot is the board's firmware, ostree "
                        "writes the menu)");
  return TRUE;
}

/* The menu and the kernels are read by U-Boot from /boot's own filesystem. */
static gboolean
check_layout (const BerthBootLayout *layout, GError **error)
{
  if (layout->root_dir == NULL)
    return TRUE; /* berth's layout: ext4 /boot, marked bootable for distro boot */
  const char *fix = "or give --bootloader none and bring your own bootloader";
  if (layout->boot == NULL)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "extlinux: U-Boot reads the menu and the kernels from /boot's own "
                        "filesystem, with the paths ostree writes, but %s/boot is not a mount "
                        "point: make /boot an ext4 partition and mount it there, %s",
                        layout->root_dir, fix);
  if (!uboot_reads (layout->boot->fstype))
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "extlinux: U-Boot reads ext2, ext3, ext4 and FAT, but %s is %s: make /boot "
                        "ext4 (mkfs.ext4), %s",
                        layout->boot->path, layout->boot->fstype, fix);
  return TRUE;
}

static gboolean
decide (const BerthBootFacts *facts, const BerthBootWants *wants, BerthBootDecision *d,
        GError **error)
{
  (void)facts;
  if (wants->secure_boot)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "--secure-boot: U-Boot's extlinux boot checks no signature; use "
                        "--bootloader grub (shim and the signed GRUB) on a UEFI machine");
  if (wants->firmware != BERTH_BOOT_FIRMWARE_AUTO)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "--firmware %s: extlinux.conf is read by U-Boot, the board's firmware, "
                        "not by a PC's %s; leave --firmware out, or use --bootloader grub",
                        berth_boot_firmware_to_string (wants->firmware),
                        wants->firmware == BERTH_BOOT_FIRMWARE_UEFI ? "UEFI" : "BIOS");
  g_ptr_array_add (d->notes,
                   g_strdup ("U-Boot's distro boot scans only partitions marked bootable: "
                             "berth's layout marks /boot LegacyBIOSBootable (with "
                             "--to-filesystem, mark yours: sfdisk --part-attrs DISK N "
                             "LegacyBIOSBootable)"));
  return TRUE;
}

/* @path a symlink to @target, replacing what is there in one rename. */
static gboolean
link_replace (const char *target, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = g_build_filename (dir, ".berth-link.tmp", NULL);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return berth_throw_errno (error, dir);
  (void)unlink (tmp);
  if (symlink (target, tmp) < 0)
    return berth_throw_errno (error, tmp);
  if (rename (tmp, path) < 0)
    {
      int errsv = errno;
      (void)unlink (tmp);
      return berth_throw_errno_code (error, errsv, path);
    }
  return TRUE;
}

static gboolean
prepare (const BerthBootDecision *d, const BerthBootInstallOptions *o, GCancellable *cancellable,
         GError **error)
{
  (void)d;
  (void)cancellable;
  BERTH_AUTO_PREFIX_ERROR (error, "Preparing /boot for extlinux");
  if (o->sysroot == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "extlinux needs the target's root");
  g_autofree char *boot = g_build_filename (o->sysroot, "boot", NULL);
  g_autofree char *loader = g_build_filename (boot, "loader", NULL);
  struct stat st;
  if (lstat (loader, &st) == 0)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "%s exists: ostree has deployed to this /boot already, and berth sets up "
                        "extlinux only before the first deploy",
                        loader);
  g_autofree char *first_dir = g_build_filename (boot, FIRST_LOADER, NULL);
  g_autofree char *first_menu = g_build_filename (first_dir, "syslinux.cfg", NULL);
  if (g_mkdir_with_parents (first_dir, 0755) < 0)
    return berth_throw_errno (error, first_dir);
  if (!g_file_set_contents_full (first_menu, EXTLINUX_HEADER, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0644, error))
    return FALSE;
  g_autofree char *ostree_menu = g_build_filename (boot, OSTREE_MENU, NULL);
  g_autofree char *uboot_menu = g_build_filename (boot, UBOOT_MENU, NULL);
  /* /boot/loader last: ostree takes it for the current boot version (0) */
  return link_replace (MENU_TARGET, ostree_menu, error)
         && link_replace (MENU_TARGET, uboot_menu, error)
         && link_replace (FIRST_LOADER, loader, error);
}

/* The menu the first deploy wrote, read the way U-Boot reads it: through extlinux.conf, with a
 * DEFAULT, and a LABEL whose KERNEL resolves on /boot. */
static gboolean
install (const BerthBootDecision *d, const BerthBootInstallOptions *o, GCancellable *cancellable,
         GError **error)
{
  (void)d;
  (void)cancellable;
  BERTH_AUTO_PREFIX_ERROR (error, "Checking the extlinux menu");
  if (o->sysroot == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "extlinux needs the target's root");
  g_autofree char *boot = g_build_filename (o->sysroot, "boot", NULL);
  g_autofree char *menu = g_build_filename (boot, UBOOT_MENU, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (menu, &text, NULL, NULL))
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "%s does not read as a file: was the deploy made with "
                        "sysroot.bootloader=syslinux after berth_boot_prepare?",
                        menu);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  const char *kernel = NULL;
  gboolean has_default = FALSE;
  for (char **l = lines; *l != NULL; l++)
    {
      if (g_str_has_prefix (*l, "DEFAULT "))
        has_default = TRUE;
      else if (kernel == NULL && g_str_has_prefix (*l, "\tKERNEL "))
        kernel = *l + strlen ("\tKERNEL ");
    }
  if (!has_default || kernel == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED, "the menu ostree generated (%s) has no %s", menu,
                        has_default ? "LABEL with a KERNEL" : "DEFAULT");
  /* as U-Boot resolves it: from the partition's root, where boot -> . */
  g_autofree char *kernel_path = g_build_filename (boot, kernel, NULL);
  if (!g_file_test (kernel_path, G_FILE_TEST_IS_REGULAR))
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "the menu's KERNEL %s is not a file on /boot (%s)", kernel, kernel_path);
  return TRUE;
}

const BerthBootBackend berth_boot_backend_extlinux = {
  .id = BERTH_BOOTLOADER_EXTLINUX,
  .name = "extlinux",
  /* ostree regenerates /boot/loader.N/syslinux.cfg from the BLS entries at every deploy */
  .sysroot_bootloader = "syslinux",
  .layout_needs = "/boot its own ext4 filesystem on a partition marked bootable; no ESP",
  .needs_esp = FALSE,
  .boot_legacy_bootable = TRUE,
  .installs = "/boot/extlinux/extlinux.conf for U-Boot's distro boot, kept by ostree",
  .carries = carries,
  .check_layout = check_layout,
  .decide = decide,
  .prepare = prepare,
  .install = install,
};
