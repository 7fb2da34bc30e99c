/* Which bootloader, per-architecture EFI names, and the one entry point the installer calls. */
#include "boot/boot-private.h"

#include <sys/stat.h>

static const char *const loader_names[] = {
  [BERTH_BOOTLOADER_AUTO] = "auto",
  [BERTH_BOOTLOADER_SYSTEMD_BOOT] = "systemd-boot",
  [BERTH_BOOTLOADER_NONE] = "none",
};

const char *
berth_bootloader_to_string (BerthBootloader loader)
{
  if ((guint)loader < G_N_ELEMENTS (loader_names))
    return loader_names[loader];
  return "unknown";
}

gboolean
berth_bootloader_from_string (const char *s, BerthBootloader *out_loader, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (loader_names); i++)
    if (g_strcmp0 (s, loader_names[i]) == 0)
      {
        *out_loader = (BerthBootloader)i;
        return TRUE;
      }
  return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                      "Unknown bootloader '%s' (expected auto, systemd-boot or none)", s);
}

/* UEFI spec 3.5.1.1 names the removable-media loader BOOT<machine type short name>.EFI;
 * systemd-boot and refind use the same short names in lower case. */
static const BerthEfiArch efi_arches[] = {
  { "x86_64", "x64", "X64", "x86_64-efi" },
  { "aarch64", "aa64", "AA64", "arm64-efi" },
};

const BerthEfiArch *
berth_efi_arch_lookup (const char *arch)
{
  for (guint i = 0; i < G_N_ELEMENTS (efi_arches); i++)
    if (g_strcmp0 (arch, efi_arches[i].arch) == 0)
      return &efi_arches[i];
  return NULL;
}

/* Whether @rel exists under @root with the type @mode (S_IFREG, S_IFDIR), not following a
 * symlink at the end: an image's absolute symlink would point into the installing system. */
static gboolean
has (const char *root, const char *rel, mode_t mode)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  struct stat st;
  return lstat (path, &st) == 0 && (st.st_mode & S_IFMT) == mode;
}

gboolean
berth_boot_choose (BerthBootloader requested, const char *deployment_root, const char *arch,
                   BerthBootloader *out_loader, GError **error)
{
  if (requested == BERTH_BOOTLOADER_NONE)
    {
      *out_loader = BERTH_BOOTLOADER_NONE;
      return TRUE;
    }
  const BerthEfiArch *efi = berth_efi_arch_lookup (arch);
  if (efi == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "No UEFI bootloader support for architecture '%s' (x86_64, aarch64)", arch);

  g_autofree char *sdboot
    = g_strdup_printf (BERTH_BOOT_SYSTEMD_BOOT_DIR "/systemd-boot%s.efi", efi->efi);
  if (has (deployment_root, sdboot, S_IFREG))
    {
      *out_loader = BERTH_BOOTLOADER_SYSTEMD_BOOT;
      return TRUE;
    }
  if (requested == BERTH_BOOTLOADER_SYSTEMD_BOOT)
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "The image has no systemd-boot (/%s); install systemd-boot-efi in it, "
                        "or use --bootloader none",
                        sdboot);

  g_autofree char *grub = g_build_filename ("usr/lib/grub", efi->grub_efi, NULL);
  if (has (deployment_root, grub, S_IFDIR))
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "The image boots with GRUB (/%s): GRUB is not supported yet; add "
                        "systemd-boot to the image (/%s), or use --bootloader none",
                        grub, sdboot);
  return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                      "The image has no UEFI bootloader berth can install (no /%s); use "
                      "--bootloader none to write the BLS entries only",
                      sdboot);
}

gboolean
berth_boot_install (BerthBootloader loader, const BerthBootInstallOptions *options,
                    GCancellable *cancellable, GError **error)
{
  switch (loader)
    {
    case BERTH_BOOTLOADER_NONE:
      return TRUE;
    case BERTH_BOOTLOADER_SYSTEMD_BOOT:
      return berth_boot_install_systemd_boot (options, cancellable, error);
    case BERTH_BOOTLOADER_AUTO:
    default:
      break;
    }
  return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                      "berth_boot_install: resolve '%s' with berth_boot_choose first",
                      berth_bootloader_to_string (loader));
}
