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

gboolean
berth_boot_install_systemd_boot (const BerthBootInstallOptions *options, GCancellable *cancellable,
                                 GError **error)
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
  if (options->esp_dir != NULL)
    berth_esp_init_dir (&esp, options->esp_dir);
  else
    berth_esp_init (&esp, options->esp_device, options->esp_offset);

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
