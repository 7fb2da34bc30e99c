/* systemd-boot on the ESP, the image's own binary (as bootc/bootupd take it from the image),
 * reading the BLS entries live from the ext4 XBOOTLDR /boot through an ext4 EFI driver
 * (DESIGN.md section 5): upgrades then need no bootloader step at all. */
#include "boot/boot-private.h"

#include <sys/stat.h>

/* loader.conf(5): show the menu for 3 s (a rollback entry must be reachable without knowing a
 * key); `editor no`: the kernel command line cannot be edited at the menu (it could otherwise
 * be changed to init=/bin/sh by anyone at the console). */
#define LOADER_CONF "timeout 3\neditor no\n"

static gboolean
is_regular (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISREG (st.st_mode);
}

/* The ext4 driver: the image's refind drivers, else the installing system's. */
static char *
find_ext4_driver (const BerthBootInstallOptions *options, const BerthEfiArch *efi, GError **error)
{
  g_autofree char *rel
    = g_strdup_printf (BERTH_BOOT_REFIND_DRIVERS "/drivers_%s/ext4_%s.efi", efi->efi, efi->efi);
  g_autofree char *in_image = g_build_filename (options->deployment_root, rel, NULL);
  if (is_regular (in_image))
    return g_steal_pointer (&in_image);
  const char *host_root = options->host_root != NULL ? options->host_root : "/";
  g_autofree char *on_host = g_build_filename (host_root, rel, NULL);
  /* stat, not lstat: the installing system's own files, links included */
  if (g_file_test (on_host, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&on_host);
  berth_throw (error, BERTH_ERROR_NOT_FOUND,
               "No ext4 EFI driver for %s: systemd-boot needs ext4_%s.efi to read the BLS "
               "entries on the ext4 /boot, and neither the image nor this system has /%s; "
               "install the refind package here (apt-get install refind) or in the image",
               efi->arch, efi->efi, rel);
  return NULL;
}

static gboolean
install (const BerthBootDecision *decision, const BerthBootInstallOptions *options,
         GCancellable *cancellable, GError **error)
{
  const char *where = options->esp_dir != NULL ? options->esp_dir : options->esp_device;
  BERTH_AUTO_PREFIX_ERROR (error, "Installing systemd-boot on %s", where);
  const BerthEfiArch *efi = berth_efi_arch_lookup (options->arch);
  if (efi == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "No UEFI bootloader support for architecture '%s'", options->arch);

  /* every source first: nothing is written unless everything is there */
  g_autofree char *sdboot_name = g_strdup_printf ("systemd-boot%s.efi", efi->efi);
  g_autofree char *sdboot
    = g_build_filename (options->deployment_root, BERTH_BOOT_SYSTEMD_BOOT_DIR, sdboot_name, NULL);
  if (!is_regular (sdboot))
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "The image has no systemd-boot (/%s/%s)", BERTH_BOOT_SYSTEMD_BOOT_DIR,
                        sdboot_name);
  g_autofree char *driver = find_ext4_driver (options, efi, error);
  if (driver == NULL)
    return FALSE;
  if (!g_file_test (where, G_FILE_TEST_EXISTS))
    return berth_throw (error, BERTH_ERROR_NOT_FOUND, "%s does not exist", where);

  g_auto (BerthEsp) esp = { 0 };
  berth_esp_init_from (&esp, options);

  g_autofree char *fallback = g_strdup_printf ("EFI/BOOT/BOOT%s.EFI", efi->efi_upper);
  g_autofree char *in_systemd = g_strdup_printf ("EFI/systemd/%s", sdboot_name);
  g_autofree char *driver_dest = g_strdup_printf ("EFI/systemd/drivers/ext4_%s.efi", efi->efi);

  const char *const dirs[] = { "EFI/BOOT", "EFI/systemd/drivers", "loader", NULL };
  if (!berth_esp_mkdirs (&esp, dirs, cancellable, error))
    return FALSE;
  /* the driver and loader.conf before the binaries that use them; the fallback path (the one
   * the firmware boots without a boot entry) last */
  if (!berth_esp_install_file (&esp, driver, driver_dest, cancellable, error)
      || !berth_esp_install_contents (&esp, LOADER_CONF, "loader/loader.conf", cancellable, error)
      || !berth_esp_install_file (&esp, sdboot, in_systemd, cancellable, error)
      || !berth_esp_install_file (&esp, sdboot, fallback, cancellable, error))
    return FALSE;
  return berth_esp_sync (&esp, error);
}

static gboolean
carries (const BerthBootFacts *facts, char **out_what)
{
  const BerthEfiArch *efi = berth_efi_arch_lookup (berth_boot_facts_get_arch (facts));
  g_autofree char *rel
    = g_strdup_printf (BERTH_BOOT_SYSTEMD_BOOT_DIR "/systemd-boot%s.efi", efi ? efi->efi : "?");
  gboolean has = efi != NULL && berth_boot_facts_has_file (facts, "%s", rel);
  *out_what = has ? g_strdup_printf ("systemd-boot (/%s)", rel)
                  : g_strdup_printf ("no /%s; install systemd-boot-efi in it", rel);
  return has;
}

/* systemd-boot finds the BLS entries on an XBOOTLDR partition of the ESP's disk, through the
 * ext4 EFI driver (DESIGN.md section 5). */
static gboolean
check_layout (const BerthBootLayout *layout, GError **error)
{
  if (layout->root_dir == NULL)
    return TRUE; /* berth's own layout is made for it */
  const char *dir = layout->root_dir;
  const BerthDiskMountInfo *boot = layout->boot;
  const char *fix = "or give --bootloader none and bring your own bootloader";
  if (boot == NULL)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "systemd-boot reads the BLS entries from their own /boot partition, but "
                        "%s/boot is not a mount point: make /boot an ext4 partition of type "
                        "XBOOTLDR (%s) and mount it there, %s",
                        dir, BERTH_DISK_TYPE_XBOOTLDR, fix);
  if (g_strcmp0 (boot->fstype, "ext4") != 0)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "systemd-boot reads /boot through an ext4 EFI driver, but %s is %s: "
                        "make it ext4, %s",
                        boot->path, boot->fstype, fix);
  if (g_strcmp0 (boot->part_type, BERTH_DISK_TYPE_XBOOTLDR) != 0)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "systemd-boot finds /boot by its partition type, but %s (%s) has type %s: "
                        "set it to XBOOTLDR (sfdisk --part-type %s %u %s), %s",
                        boot->path, boot->source, boot->part_type ? boot->part_type : "unknown",
                        boot->disk ? boot->disk : "DISK", boot->partno, BERTH_DISK_TYPE_XBOOTLDR,
                        fix);
  if (layout->esp_disk == NULL || g_strcmp0 (layout->esp_disk, boot->disk) != 0)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "systemd-boot looks for /boot on the disk it was started from, but the "
                        "ESP is on %s and /boot on %s: put both on one disk, %s",
                        layout->esp_disk ? layout->esp_disk : "an unknown disk", boot->disk, fix);
  return TRUE;
}

static gboolean
decide (const BerthBootFacts *facts, const BerthBootWants *wants, BerthBootDecision *d,
        GError **error)
{
  if (wants->firmware == BERTH_BOOT_FIRMWARE_BIOS || wants->firmware == BERTH_BOOT_FIRMWARE_BOTH)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "systemd-boot boots with UEFI only, and --firmware %s asks for BIOS: use "
                        "--bootloader grub (the image needs GRUB's i386-pc modules)",
                        berth_boot_firmware_to_string (wants->firmware));
  /* Debian 12 ships systemd-boot unsigned, and berth puts no shim in front of it */
  if (wants->secure_boot)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "--secure-boot: the image's systemd-boot is not signed for Secure Boot; "
                        "use --bootloader grub with shim-signed and grub-efi-amd64-signed in the "
                        "image, or install with Secure Boot off");
  d->uefi = TRUE;
  g_ptr_array_add (d->notes, g_strdup ("Secure Boot must be off: systemd-boot is not signed"));
  if (wants->bios_boot)
    g_ptr_array_add (d->notes, g_strdup ("BIOS: not installed (systemd-boot is UEFI only)"));
  return TRUE;
}

const BerthBootBackend berth_boot_backend_systemd_boot = {
  .id = BERTH_BOOTLOADER_SYSTEMD_BOOT,
  .name = "systemd-boot",
  /* ostree writes the BLS entries, systemd-boot reads them live: no bootloader step at upgrades,
   * and with `auto` Debian's libostree would find a grub.cfg and run grub-mkconfig */
  .sysroot_bootloader = "none",
  .needs_esp = TRUE,
  .layout_needs = "an ESP, and /boot an ext4 XBOOTLDR partition on the ESP's disk",
  .carries = carries,
  .check_layout = check_layout,
  .decide = decide,
  .install = install,
};
