/* Tests of the boot module: names, the bootloader choice on fake deployed trees, and
 * systemd-boot written into a vfat image file at an offset (mkfs.vfat and mtools, no root, no
 * mount). The /boot/esp-env case installs onto the ESP that tests/root/install-esp-systemd-boot.sh
 * names in BERTH_TEST_ESP_DEVICE (from the real test image's tree) and is skipped otherwise. */
#include "boot/boot.h"
#include "test-support.h"

#include <locale.h>
#include <stdarg.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

static void
test_names (void)
{
  BerthBootloader l = BERTH_BOOTLOADER_NONE;
  g_autoptr (GError) error = NULL;
  for (int i = BERTH_BOOTLOADER_AUTO; i <= BERTH_BOOTLOADER_NONE; i++)
    {
      g_assert_true (berth_bootloader_from_string (berth_bootloader_to_string (i), &l, &error));
      g_assert_no_error (error);
      g_assert_cmpint (l, ==, i);
    }
  g_assert_cmpstr (berth_bootloader_to_string (BERTH_BOOTLOADER_GRUB), ==, "grub");
  g_assert_false (berth_bootloader_from_string ("lilo", &l, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  BerthBootFirmware f = BERTH_BOOT_FIRMWARE_AUTO;
  for (int i = BERTH_BOOT_FIRMWARE_AUTO; i <= BERTH_BOOT_FIRMWARE_BOTH; i++)
    {
      g_assert_true (
        berth_boot_firmware_from_string (berth_boot_firmware_to_string (i), &f, &error));
      g_assert_cmpint (f, ==, i);
    }
  g_assert_false (berth_boot_firmware_from_string ("coreboot", &f, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);

  const BerthEfiArch *x = berth_efi_arch_lookup ("x86_64");
  g_assert_nonnull (x);
  g_assert_cmpstr (x->efi, ==, "x64");
  g_assert_cmpstr (x->efi_upper, ==, "X64");
  g_assert_cmpstr (x->grub_bios, ==, "i386-pc");
  const BerthEfiArch *a = berth_efi_arch_lookup ("aarch64");
  g_assert_nonnull (a);
  g_assert_cmpstr (a->efi, ==, "aa64");
  g_assert_cmpstr (a->efi_upper, ==, "AA64");
  g_assert_cmpstr (a->grub_efi, ==, "arm64-efi");
  g_assert_null (a->grub_bios);
  g_assert_null (berth_efi_arch_lookup ("riscv64"));
  g_assert_nonnull (berth_boot_backend_get (BERTH_BOOTLOADER_GRUB));
  g_assert_cmpstr (berth_boot_backend_get (BERTH_BOOTLOADER_GRUB)->sysroot_bootloader, ==, "grub2");
  g_assert_cmpstr (berth_boot_backend_get (BERTH_BOOTLOADER_SYSTEMD_BOOT)->sysroot_bootloader, ==,
                   "none");
  g_assert_null (berth_boot_backend_get (BERTH_BOOTLOADER_AUTO));
  g_assert_null (berth_boot_backend_get (BERTH_BOOTLOADER_NONE));

  /* extlinux: a value of --bootloader, ostree's syslinux backend keeps its menu, no ESP, /boot
   * marked bootable in berth's layout */
  g_assert_true (berth_bootloader_from_string ("extlinux", &l, NULL));
  g_assert_cmpint (l, ==, BERTH_BOOTLOADER_EXTLINUX);
  const BerthBootBackend *x_backend = berth_boot_backend_get (BERTH_BOOTLOADER_EXTLINUX);
  g_assert_nonnull (x_backend);
  g_assert_cmpstr (x_backend->name, ==, "extlinux");
  g_assert_cmpstr (x_backend->sysroot_bootloader, ==, "syslinux");
  g_assert_false (x_backend->needs_esp);
  g_assert_true (x_backend->boot_legacy_bootable);
  g_assert_true (berth_boot_backend_get (BERTH_BOOTLOADER_GRUB)->needs_esp);
  g_assert_false (berth_boot_backend_get (BERTH_BOOTLOADER_GRUB)->boot_legacy_bootable);
  g_clear_error (&error);
  g_assert_false (berth_bootloader_from_string ("syslinux", &l, &error));
  g_assert_nonnull (strstr (error->message, "extlinux"));
}

/* ---- the choice, from facts ---------------------------------------------------------------- */

/* What Debian 12's packages put in an image, by package. */
static const char *const sd_boot_files[] = { "usr/lib/systemd/boot/efi/systemd-bootx64.efi", NULL };
static const char *const shim_files[]
  = { "usr/lib/shim/shimx64.efi.signed", "usr/lib/shim/mmx64.efi.signed",
      "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", NULL };
static const char *const grub_efi_bin[] = { "usr/bin/grub-mkimage", NULL };
static const char *const grub_tools[]
  = { "usr/sbin/grub-install", "usr/sbin/grub-mkconfig", "etc/grub.d/15_ostree",
      "etc/default/grub",      "usr/bin/udevadm",        NULL };

/* Facts: x86_64, the files of each list, and the directories named in @dirs. */
static BerthBootFacts *
facts_of (const char *const *dirs, ...)
{
  BerthBootFacts *f = berth_boot_facts_new ("x86_64");
  for (const char *const *d = dirs; d != NULL && *d != NULL; d++)
    berth_boot_facts_add (f, *d, BERTH_BOOT_FILE_DIR);
  va_list args;
  va_start (args, dirs);
  for (const char *const *list = va_arg (args, const char *const *); list != NULL;
       list = va_arg (args, const char *const *))
    for (const char *const *p = list; *p != NULL; p++)
      berth_boot_facts_add (f, *p, BERTH_BOOT_FILE_REGULAR);
  va_end (args);
  return f;
}

static const char *const efi_dir[] = { "usr/lib/grub/x86_64-efi", NULL };
static const char *const efi_bios_dirs[]
  = { "usr/lib/grub/x86_64-efi", "usr/lib/grub/i386-pc", NULL };

static gboolean
has_note (const BerthBootDecision *d, const char *part)
{
  for (guint i = 0; i < d->notes->len; i++)
    if (strstr (d->notes->pdata[i], part) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_decide (void)
{
  BerthBootWants auto_wants = { .bios_boot = TRUE };

  /* the test image: shim, signed GRUB, the EFI and BIOS modules, the tools, systemd-boot */
  g_autoptr (BerthBootFacts) full
    = facts_of (efi_bios_dirs, sd_boot_files, shim_files, grub_efi_bin, grub_tools, NULL);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, full, &auto_wants, &d, &error));
    g_assert_no_error (error);
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_GRUB);
    g_assert_true (d->uefi && d->bios && d->secure_boot && !d->grub_core_image);
    g_assert_cmpstr (d->backend->sysroot_bootloader, ==, "grub2");
    g_assert_nonnull (strstr (d->why, "shimx64.efi.signed"));
    g_autofree char *text = berth_boot_decision_describe (d);
    g_assert_cmpstr (text, ==, "grub: UEFI with Secure Boot (shim, signed loader) and BIOS");
  }
  {
    /* --bootloader systemd-boot on the same image: UEFI only, and Secure Boot off */
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_true (
      berth_boot_decide (BERTH_BOOTLOADER_SYSTEMD_BOOT, full, &auto_wants, &d, &error));
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
    g_assert_true (d->uefi && !d->bios && !d->secure_boot);
    g_assert_true (has_note (d, "Secure Boot must be off"));
    g_assert_cmpstr (d->backend->sysroot_bootloader, ==, "none");
  }
  {
    /* no BIOS boot partition: UEFI only, said in a note; asked for BIOS: refused */
    BerthBootWants w = { .bios_boot = FALSE };
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, full, &w, &d, &error));
    g_assert_true (d->uefi && !d->bios);
    g_assert_true (has_note (d, "no BIOS boot partition"));
    w.firmware = BERTH_BOOT_FIRMWARE_BOTH;
    g_clear_pointer (&d, berth_boot_decision_free);
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_GRUB, full, &w, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
    g_assert_nonnull (strstr (error->message, "BIOS boot partition"));
  }
  {
    /* --firmware uefi: no BIOS even where it could be */
    BerthBootWants w = { .bios_boot = TRUE, .firmware = BERTH_BOOT_FIRMWARE_UEFI };
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, full, &w, &d, NULL));
    g_assert_true (d->uefi && !d->bios);
    /* --firmware bios: GRUB for BIOS only */
    w.firmware = BERTH_BOOT_FIRMWARE_BIOS;
    g_clear_pointer (&d, berth_boot_decision_free);
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, full, &w, &d, NULL));
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_GRUB);
    g_assert_true (!d->uefi && d->bios);
  }
  {
    /* BIOS asked of an image without the i386-pc modules: refused, naming them */
    g_autoptr (BerthBootFacts) f
      = facts_of (efi_dir, sd_boot_files, shim_files, grub_efi_bin, grub_tools, NULL);
    BerthBootWants w = { .bios_boot = TRUE, .firmware = BERTH_BOOT_FIRMWARE_BIOS };
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_GRUB, f, &w, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
    g_assert_nonnull (strstr (error->message, "i386-pc"));
    g_assert_null (d);
    /* auto: systemd-boot cannot either */
    g_clear_error (&error);
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_AUTO, f, &w, &d, &error));
    g_assert_nonnull (strstr (error->message, "i386-pc"));
    g_assert_nonnull (strstr (error->message, "UEFI only"));
    /* but auto with --firmware auto: UEFI, and a note */
    g_clear_error (&error);
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, f, &auto_wants, &d, &error));
    g_assert_true (d->uefi && !d->bios);
    g_assert_true (has_note (d, "i386-pc"));
  }
  {
    /* GRUB without shim (grub-efi-amd64-bin only): a core image, Secure Boot off; --secure-boot
     * refuses it, and systemd-boot too */
    g_autoptr (BerthBootFacts) f
      = facts_of (efi_dir, sd_boot_files, grub_efi_bin, grub_tools, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, f, &auto_wants, &d, &error));
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_GRUB);
    g_assert_true (d->uefi && d->grub_core_image && !d->secure_boot);
    g_assert_true (has_note (d, "Secure Boot must be off"));
    BerthBootWants sb = { .bios_boot = TRUE, .secure_boot = TRUE };
    g_clear_pointer (&d, berth_boot_decision_free);
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_GRUB, f, &sb, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
    g_assert_nonnull (strstr (error->message, "not signed"));
    g_clear_error (&error);
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_SYSTEMD_BOOT, f, &sb, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
    g_clear_error (&error);
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_AUTO, f, &sb, &d, &error));
    g_assert_nonnull (strstr (error->message, "--bootloader none"));
    /* with shim, --secure-boot is fine */
    g_clear_error (&error);
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, full, &sb, &d, &error));
    g_assert_true (d->secure_boot);
  }
  {
    /* only systemd-boot: auto takes it; grub asked: refused */
    g_autoptr (BerthBootFacts) f = facts_of (NULL, sd_boot_files, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, f, &auto_wants, &d, &error));
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
    g_clear_pointer (&d, berth_boot_decision_free);
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_GRUB, f, &auto_wants, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "does not carry it"));
  }
  {
    /* GRUB whose menu could not follow upgrades (no 15_ostree): refused; auto falls back */
    g_autoptr (BerthBootFacts) f
      = facts_of (efi_bios_dirs, sd_boot_files, shim_files, grub_efi_bin, grub_tools, NULL);
    berth_boot_facts_add (f, "etc/grub.d/15_ostree", BERTH_BOOT_FILE_ABSENT);
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_GRUB, f, &auto_wants, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "15_ostree"));
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, f, &auto_wants, &d, NULL));
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
  }
  {
    /* the layout allows systemd-boot only: auto takes it over GRUB */
    BerthBootWants w = { .bios_boot = TRUE, .allowed = 1u << BERTH_BOOTLOADER_SYSTEMD_BOOT };
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, full, &w, &d, NULL));
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
  }
  {
    g_autoptr (BerthBootFacts) empty = facts_of (NULL, NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_AUTO, empty, &auto_wants, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "--bootloader none"));
    /* none needs nothing, not even a known architecture */
    g_autoptr (BerthBootFacts) riscv = berth_boot_facts_new ("riscv64");
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_NONE, riscv, &auto_wants, &d, NULL));
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_NONE);
    g_assert_null (d->backend);
    g_clear_pointer (&d, berth_boot_decision_free);
    g_clear_error (&error);
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_AUTO, riscv, &auto_wants, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  }
}

/* extlinux from facts: asked for by name only, needs nothing of the image, refuses what U-Boot
 * cannot do. */
static void
test_decide_extlinux (void)
{
  BerthBootWants auto_wants = { .bios_boot = TRUE };
  g_autoptr (BerthBootFacts) full
    = facts_of (efi_bios_dirs, sd_boot_files, shim_files, grub_efi_bin, grub_tools, NULL);
  g_autoptr (BerthBootFacts) empty = facts_of (NULL, NULL);
  for (guint i = 0; i < 2; i++)
    {
      /* an image with every loader, and one with none: extlinux needs no file of the image */
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthBootDecision) d = NULL;
      g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_EXTLINUX, i == 0 ? full : empty,
                                        &auto_wants, &d, &error));
      g_assert_no_error (error);
      g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_EXTLINUX);
      g_assert_true (!d->uefi && !d->bios && !d->secure_boot && !d->grub_core_image);
      g_assert_cmpstr (d->backend->sysroot_bootloader, ==, "syslinux");
      g_assert_nonnull (strstr (d->why, "--bootloader extlinux"));
      g_assert_nonnull (strstr (d->why, "U-Boot is the board's firmware"));
      g_assert_true (has_note (d, "sfdisk --part-attrs DISK N LegacyBIOSBootable"));
      g_autofree char *text = berth_boot_decision_describe (d);
      g_assert_cmpstr (text, ==,
                       "extlinux: /boot/extlinux/extlinux.conf for U-Boot's distro boot, kept by "
                       "ostree");
    }
  {
    /* auto never picks it: bootc has no such loader, and an image cannot say the firmware is
     * U-Boot. The image with no loader is refused, and extlinux is not among the reasons; a
     * layout that allows extlinux alone leaves auto nothing. */
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_AUTO, empty, &auto_wants, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_null (strstr (error->message, "extlinux"));
    g_clear_error (&error);
    BerthBootWants only = { .allowed = 1u << BERTH_BOOTLOADER_EXTLINUX };
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_AUTO, full, &only, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_clear_error (&error);
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, full, &auto_wants, &d, &error));
    g_assert_cmpint (d->loader, ==, BERTH_BOOTLOADER_GRUB);
  }
  {
    /* --secure-boot: U-Boot's extlinux boot checks no signature */
    BerthBootWants sb = { .secure_boot = TRUE };
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_EXTLINUX, full, &sb, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
    g_assert_cmpstr (error->message, ==,
                     "--secure-boot: U-Boot's extlinux boot checks no signature; use "
                     "--bootloader grub (shim and the signed GRUB) on a UEFI machine");
    g_assert_null (d);
  }
  {
    /* a PC firmware asked for: BIOS, UEFI or both */
    BerthBootWants w = { .bios_boot = TRUE, .firmware = BERTH_BOOT_FIRMWARE_BIOS };
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_EXTLINUX, full, &w, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
    g_assert_cmpstr (error->message, ==,
                     "--firmware bios: extlinux.conf is read by U-Boot, the board's firmware, not "
                     "by a PC's BIOS; leave --firmware out, or use --bootloader grub");
    g_clear_error (&error);
    w.firmware = BERTH_BOOT_FIRMWARE_UEFI;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_EXTLINUX, full, &w, &d, &error));
    g_assert_nonnull (strstr (error->message, "--firmware uefi: "));
    g_assert_nonnull (strstr (error->message, "a PC's UEFI"));
    g_clear_error (&error);
    w.firmware = BERTH_BOOT_FIRMWARE_BOTH;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_EXTLINUX, full, &w, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  }
  {
    /* an architecture berth has no loader table for */
    g_autoptr (BerthBootFacts) riscv = berth_boot_facts_new ("riscv64");
    g_autoptr (GError) error = NULL;
    g_autoptr (BerthBootDecision) d = NULL;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_EXTLINUX, riscv, &auto_wants, &d, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  }
}

/* What --to-filesystem layouts each loader accepts. */
static void
test_layout (void)
{
  BerthDiskMountInfo ext4_generic = { .path = (char *)"/mnt/boot",
                                      .source = (char *)"/dev/vdb2",
                                      .fstype = (char *)"ext4",
                                      .disk = (char *)"/dev/vdb",
                                      .partno = 2,
                                      .part_type = (char *)"0fc63daf-8483-4772-8e79-3d69d8477de4" };
  BerthDiskMountInfo ext4_xbootldr = ext4_generic;
  ext4_xbootldr.part_type = (char *)BERTH_DISK_TYPE_XBOOTLDR;
  BerthDiskMountInfo btrfs = ext4_xbootldr;
  btrfs.fstype = (char *)"btrfs";
  guint allowed = 0;
  {
    /* /boot a directory of the root: neither */
    BerthBootLayout l = { .root_dir = "/mnt", .esp_disk = "/dev/vdb" };
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_check_layout (BERTH_BOOTLOADER_AUTO, &l, &allowed, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
    g_assert_nonnull (strstr (error->message, "make /boot an ext4 partition of type XBOOTLDR"));
    g_assert_nonnull (strstr (error->message, "an ext4 or xfs partition"));
    g_assert_true (berth_boot_check_layout (BERTH_BOOTLOADER_NONE, &l, NULL, NULL));
  }
  {
    /* a generic ext4 /boot: GRUB only; systemd-boot says which sfdisk fixes it */
    BerthBootLayout l = { .root_dir = "/mnt", .boot = &ext4_generic, .esp_disk = "/dev/vdb" };
    g_autoptr (GError) error = NULL;
    g_assert_true (berth_boot_check_layout (BERTH_BOOTLOADER_AUTO, &l, &allowed, &error));
    g_assert_cmpuint (allowed, ==, 1u << BERTH_BOOTLOADER_GRUB);
    g_assert_false (berth_boot_check_layout (BERTH_BOOTLOADER_SYSTEMD_BOOT, &l, NULL, &error));
    g_assert_nonnull (
      strstr (error->message, "sfdisk --part-type /dev/vdb 2 " BERTH_DISK_TYPE_XBOOTLDR));
  }
  {
    BerthBootLayout l = { .root_dir = "/mnt", .boot = &ext4_xbootldr, .esp_disk = "/dev/vdb" };
    g_assert_true (berth_boot_check_layout (BERTH_BOOTLOADER_AUTO, &l, &allowed, NULL));
    g_assert_cmpuint (allowed, ==,
                      (1u << BERTH_BOOTLOADER_GRUB) | (1u << BERTH_BOOTLOADER_SYSTEMD_BOOT));
    l.boot = &btrfs;
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_check_layout (BERTH_BOOTLOADER_GRUB, &l, NULL, &error));
    g_assert_nonnull (strstr (error->message, "ext4 or xfs"));
  }
  {
    /* berth's own layout suits every loader */
    BerthBootLayout own = BERTH_BOOT_LAYOUT_OWN (TRUE);
    g_assert_true (berth_boot_check_layout (BERTH_BOOTLOADER_AUTO, &own, &allowed, NULL));
    g_assert_cmpuint (allowed, ==,
                      (1u << BERTH_BOOTLOADER_GRUB) | (1u << BERTH_BOOTLOADER_SYSTEMD_BOOT));
    g_assert_true (berth_boot_check_layout (BERTH_BOOTLOADER_EXTLINUX, &own, &allowed, NULL));
    g_assert_cmpuint (allowed, ==, 1u << BERTH_BOOTLOADER_EXTLINUX);
  }
  {
    /* extlinux: /boot its own filesystem that U-Boot reads, of any partition type, no ESP */
    BerthBootLayout l = { .root_dir = "/mnt", .boot = &ext4_generic };
    g_assert_true (berth_boot_check_layout (BERTH_BOOTLOADER_EXTLINUX, &l, &allowed, NULL));
    g_assert_cmpuint (allowed, ==, 1u << BERTH_BOOTLOADER_EXTLINUX);
    BerthDiskMountInfo ext2 = ext4_generic;
    ext2.fstype = (char *)"ext2";
    l.boot = &ext2;
    g_assert_true (berth_boot_check_layout (BERTH_BOOTLOADER_EXTLINUX, &l, NULL, NULL));
    BerthDiskMountInfo xfs = ext4_generic;
    xfs.fstype = (char *)"xfs";
    l.boot = &xfs;
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_check_layout (BERTH_BOOTLOADER_EXTLINUX, &l, NULL, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
    g_assert_cmpstr (error->message, ==,
                     "extlinux: U-Boot reads ext2, ext3, ext4 and FAT, but /mnt/boot is xfs: make "
                     "/boot ext4 (mkfs.ext4), or give --bootloader none and bring your own "
                     "bootloader");
    g_clear_error (&error);
    l.boot = &btrfs;
    g_assert_false (berth_boot_check_layout (BERTH_BOOTLOADER_EXTLINUX, &l, NULL, &error));
    g_assert_nonnull (strstr (error->message, "/mnt/boot is btrfs"));
    g_clear_error (&error);
    l.boot = NULL;
    g_assert_false (berth_boot_check_layout (BERTH_BOOTLOADER_EXTLINUX, &l, NULL, &error));
    g_assert_nonnull (strstr (error->message, "/mnt/boot is not a mount point"));
    /* auto's layout check never lists extlinux */
    l.boot = &ext4_generic;
    l.esp_disk = "/dev/vdb";
    g_assert_true (berth_boot_check_layout (BERTH_BOOTLOADER_AUTO, &l, &allowed, NULL));
    g_assert_cmpuint (allowed & (1u << BERTH_BOOTLOADER_EXTLINUX), ==, 0);
  }
}

/* ---- fake trees --------------------------------------------------------------------------- */

static void
put (const char *root, const char *rel, const char *contents)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *d = g_dir_make_tmp ("berth-test-boot-XXXXXX", &error);
  g_assert_no_error (error);
  return d;
}

static void
rm_rf (const char *path)
{
  const char *argv[] = { "rm", "-rf", path, NULL };
  g_autoptr (GError) error = NULL;
  berth_spawn_sync (argv, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* The facts of a tree on disk, and the choice from them. */
static BerthBootloader
choose (BerthBootloader requested, const char *root, const char *arch, GError **error)
{
  g_autoptr (BerthBootFacts) f = berth_boot_facts_from_dir (root, arch);
  BerthBootWants w = { .bios_boot = TRUE };
  g_autoptr (BerthBootDecision) d = NULL;
  if (!berth_boot_decide (requested, f, &w, &d, error))
    return BERTH_BOOTLOADER_AUTO;
  return d->loader;
}

/* berth_boot_prepare before the deploy, and the check after it, on a /boot laid out by hand
 * the way ostree's syslinux backend leaves it (the boot test runs the real deploy). */
static void
test_extlinux_files (void)
{
  g_autofree char *root = tmpdir ();
  g_autofree char *boot = g_build_filename (root, "boot", NULL);
  g_assert_cmpint (g_mkdir_with_parents (boot, 0755), ==, 0);
  g_autoptr (BerthBootFacts) f = facts_of (NULL, NULL);
  BerthBootWants w = { 0 };
  g_autoptr (BerthBootDecision) d = NULL;
  g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_EXTLINUX, f, &w, &d, NULL));
  BerthBootInstallOptions o = { .arch = "x86_64", .sysroot = root };
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_boot_prepare (d, &o, NULL, &error));
  g_assert_no_error (error);

  /* what ostree reads and what U-Boot reads are one file, the current boot version's */
  const char *const links[][2] = { { "boot/loader", "loader.0" },
                                   { "boot/syslinux/syslinux.cfg", "../loader/syslinux.cfg" },
                                   { "boot/extlinux/extlinux.conf", "../loader/syslinux.cfg" } };
  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *p = g_build_filename (root, links[i][0], NULL);
      g_autofree char *target = g_file_read_link (p, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (target, ==, links[i][1]);
    }
  g_autofree char *conf = g_build_filename (boot, "extlinux/extlinux.conf", NULL);
  g_autofree char *header = NULL;
  g_assert_true (g_file_get_contents (conf, &header, NULL, &error));
  /* U-Boot shows the menu for 3 s; no DEFAULT, no LABEL and no tab-indented line: ostree
   * writes the entries, and would take such lines for its own */
  g_assert_nonnull (strstr (header, "\nTIMEOUT 30\nPROMPT 1\n"));
  g_auto (GStrv) lines = g_strsplit (header, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    g_assert_false (g_str_has_prefix (*l, "DEFAULT") || g_str_has_prefix (*l, "LABEL")
                    || g_str_has_prefix (*l, "\t"));

  /* a second time: ostree has deployed, and berth does not touch its boot version */
  g_assert_false (berth_boot_prepare (d, &o, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "before the first deploy"));
  g_clear_error (&error);

  /* the first deploy, as ostree 2022.7 does it: loader.1 with the header and the entries, the
   * boot -> . link, the loader swap, loader.0 removed */
  g_autofree char *menu = g_strconcat (header,
                                       "\nDEFAULT Debian (ostree:0)\nLABEL Debian (ostree:0)\n"
                                       "\tKERNEL /boot/ostree/default-1/vmlinuz\n"
                                       "\tAPPEND rw ostree=/ostree/boot.1/default/1/0\n",
                                       NULL);
  put (boot, "loader.1/syslinux.cfg", menu);
  g_autofree char *dot = g_build_filename (boot, "boot", NULL);
  g_assert_cmpint (symlink (".", dot), ==, 0);
  g_autofree char *loader = g_build_filename (boot, "loader", NULL);
  g_assert_cmpint (unlink (loader), ==, 0);
  g_assert_cmpint (symlink ("loader.1", loader), ==, 0);
  /* the kernel is missing: refused */
  g_assert_false (berth_boot_install (d, &o, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "KERNEL /boot/ostree/default-1/vmlinuz is not a file"));
  g_clear_error (&error);
  put (boot, "ostree/default-1/vmlinuz", "MZ kernel");
  g_assert_true (berth_boot_install (d, &o, NULL, &error));
  g_assert_no_error (error);
  /* no DEFAULT: refused */
  put (boot, "loader.1/syslinux.cfg", header);
  g_assert_false (berth_boot_install (d, &o, NULL, &error));
  g_assert_nonnull (strstr (error->message, "has no DEFAULT"));
  rm_rf (root);
}

static void
test_choose (void)
{
  g_autofree char *d = tmpdir ();
  g_autofree char *sd = g_build_filename (d, "sd", NULL);
  g_autofree char *grub = g_build_filename (d, "grub", NULL);
  g_autofree char *empty = g_build_filename (d, "empty", NULL);
  put (sd, "usr/lib/systemd/boot/efi/systemd-bootx64.efi", "MZ sd-boot");
  put (sd, "usr/lib/grub/x86_64-efi/normal.mod", "grub");
  put (grub, "usr/lib/grub/x86_64-efi/normal.mod", "grub");
  put (grub, "usr/lib/shim/shimx64.efi.signed", "MZ shim");
  put (grub, "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", "MZ grub");
  for (const char *const *t = grub_tools; *t != NULL; t++)
    put (grub, *t, "");
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);

  {
    /* GRUB's modules without grub-mkimage and shim are no GRUB EFI: systemd-boot */
    g_autoptr (GError) error = NULL;
    g_assert_cmpint (choose (BERTH_BOOTLOADER_AUTO, sd, "x86_64", &error), ==,
                     BERTH_BOOTLOADER_SYSTEMD_BOOT);
    g_assert_no_error (error);
    g_assert_cmpint (choose (BERTH_BOOTLOADER_AUTO, grub, "x86_64", &error), ==,
                     BERTH_BOOTLOADER_GRUB);
    g_assert_no_error (error);
    g_assert_cmpint (choose (BERTH_BOOTLOADER_NONE, empty, "riscv64", &error), ==,
                     BERTH_BOOTLOADER_NONE);
  }
  {
    /* the aarch64 binary is another name: this tree has none */
    g_autoptr (GError) error = NULL;
    choose (BERTH_BOOTLOADER_AUTO, sd, "aarch64", &error);
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "systemd-bootaa64.efi"));
  }
  {
    g_autoptr (GError) error = NULL;
    choose (BERTH_BOOTLOADER_SYSTEMD_BOOT, grub, "x86_64", &error);
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "systemd-bootx64.efi"));
  }
  {
    g_autoptr (GError) error = NULL;
    choose (BERTH_BOOTLOADER_AUTO, empty, "x86_64", &error);
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "--bootloader none"));
  }
  {
    g_autoptr (GError) error = NULL;
    choose (BERTH_BOOTLOADER_AUTO, sd, "riscv64", &error);
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  }
  rm_rf (d);
}

/* A decision for @loader on the tree at @root (UEFI only). */
static BerthBootDecision *
decision_for (BerthBootloader loader, const char *root)
{
  g_autoptr (BerthBootFacts) f = berth_boot_facts_from_dir (root, "x86_64");
  BerthBootWants w = { .firmware = BERTH_BOOT_FIRMWARE_UEFI };
  BerthBootDecision *d = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_boot_decide (loader, f, &w, &d, &error));
  g_assert_no_error (error);
  return d;
}

/* ---- systemd-boot into a vfat image file -------------------------------------------------- */

/* mkfs.vfat is in /usr/sbin, which an unprivileged user's PATH may lack. */
static const char *
mkfs_vfat (void)
{
  if (g_file_test ("/usr/sbin/mkfs.vfat", G_FILE_TEST_IS_EXECUTABLE))
    return "/usr/sbin/mkfs.vfat";
  return "mkfs.vfat";
}

static gboolean
have_tools (void)
{
  const char *tools[] = { "mcopy", "mmd", "mren", "mdir", "mtype", mkfs_vfat () };
  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *p = g_find_program_in_path (tools[i]);
      if (p == NULL)
        {
          g_test_skip ("needs mkfs.vfat and mtools (run: make deps)");
          return FALSE;
        }
    }
  return TRUE;
}

/* mtype of @path on the ESP, or NULL when it does not exist. */
static char *
esp_read (const char *image, const char *path)
{
  g_autofree char *p = g_strconcat ("::/", path, NULL);
  const char *argv[] = { "mtype", "-i", image, p, NULL };
  char *out = NULL;
  if (!berth_spawn_sync (argv, NULL, &out, NULL, NULL))
    return NULL;
  return out;
}

static void
test_esp_image (void)
{
  if (!have_tools ())
    return;
  g_autofree char *d = tmpdir ();
  g_autofree char *tree = g_build_filename (d, "tree", NULL);
  g_autofree char *host = g_build_filename (d, "host", NULL);
  g_autofree char *nohost = g_build_filename (d, "nohost", NULL);
  g_autofree char *img = g_build_filename (d, "disk.img", NULL);
  put (tree, "usr/lib/systemd/boot/efi/systemd-bootx64.efi", "MZ systemd-boot x64");
  put (host, "usr/share/refind/refind/drivers_x64/ext4_x64.efi", "MZ ext4 driver from the host");
  g_assert_cmpint (g_mkdir_with_parents (nohost, 0755), ==, 0);

  /* a 40 MiB disk image with the filesystem 1 MiB in, as a partition would be */
  {
    g_autoptr (GError) error = NULL;
    const char *trunc[] = { "truncate", "-s", "40M", img, NULL };
    berth_spawn_sync (trunc, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    /* --offset in 512-byte sectors; the size in KiB */
    const char *mkfs[] = { mkfs_vfat (), "--offset", "2048", img, "39936", NULL };
    berth_spawn_sync (mkfs, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
  }
  g_autofree char *mimg = g_strconcat (img, "@@1048576", NULL);

  BerthBootInstallOptions o
    = { .esp_device = img, .esp_offset = 1048576, .deployment_root = tree, .arch = "x86_64" };
  g_autoptr (BerthBootDecision) sd = decision_for (BERTH_BOOTLOADER_SYSTEMD_BOOT, tree);

  /* no driver anywhere: a clear error, and nothing written */
  {
    g_autoptr (GError) error = NULL;
    o.host_root = nohost;
    g_assert_false (berth_boot_install (sd, &o, NULL, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "refind"));
    g_assert_nonnull (strstr (error->message, "ext4_x64.efi"));
    g_autofree char *lc = esp_read (mimg, "loader/loader.conf");
    g_assert_null (lc);
  }

  /* the driver from the installing system; twice: a re-run overwrites */
  o.host_root = host;
  for (int round = 0; round < 2; round++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (berth_boot_install (sd, &o, NULL, &error));
      g_assert_no_error (error);
      g_autofree char *fallback = esp_read (mimg, "EFI/BOOT/BOOTX64.EFI");
      g_autofree char *sd = esp_read (mimg, "EFI/systemd/systemd-bootx64.efi");
      g_autofree char *drv = esp_read (mimg, "EFI/systemd/drivers/ext4_x64.efi");
      g_autofree char *lc = esp_read (mimg, "loader/loader.conf");
      g_assert_cmpstr (fallback, ==, "MZ systemd-boot x64");
      g_assert_cmpstr (sd, ==, "MZ systemd-boot x64");
      g_assert_cmpstr (drv, ==, "MZ ext4 driver from the host");
      g_assert_cmpstr (lc, ==, "timeout 3\neditor no\n");
      g_autofree char *tmp = esp_read (mimg, "EFI/BOOT/BOOTX64.EFI.tmp");
      g_assert_null (tmp);
    }

  /* the image's driver wins over the host's */
  put (tree, "usr/share/refind/refind/drivers_x64/ext4_x64.efi", "MZ ext4 driver from the image");
  {
    g_autoptr (GError) error = NULL;
    g_assert_true (berth_boot_install (sd, &o, NULL, &error));
    g_assert_no_error (error);
    g_autofree char *drv = esp_read (mimg, "EFI/systemd/drivers/ext4_x64.efi");
    g_assert_cmpstr (drv, ==, "MZ ext4 driver from the image");
  }

  /* none writes nothing; AUTO is not an installable choice */
  {
    g_autoptr (GError) error = NULL;
    BerthBootDecision none = { .loader = BERTH_BOOTLOADER_NONE };
    BerthBootDecision unresolved = { .loader = BERTH_BOOTLOADER_AUTO };
    g_assert_true (berth_boot_install (&none, &o, NULL, &error));
    g_assert_false (berth_boot_install (&unresolved, &o, NULL, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  }
  rm_rf (d);
}

/* A mounted ESP (a caller's /boot/efi, install --to-filesystem): the same files, written with
 * file operations into the directory. */
static void
test_esp_dir (void)
{
  g_autofree char *d = tmpdir ();
  g_autofree char *tree = g_build_filename (d, "tree", NULL);
  g_autofree char *esp = g_build_filename (d, "efi", NULL);
  put (tree, "usr/lib/systemd/boot/efi/systemd-bootx64.efi", "MZ systemd-boot x64");
  put (tree, "usr/share/refind/refind/drivers_x64/ext4_x64.efi", "MZ ext4 driver");
  g_assert_cmpint (g_mkdir_with_parents (esp, 0755), ==, 0);
  BerthBootInstallOptions o
    = { .esp_device = "/nonexistent", .esp_dir = esp, .deployment_root = tree, .arch = "x86_64" };
  g_autoptr (BerthBootDecision) sd = decision_for (BERTH_BOOTLOADER_SYSTEMD_BOOT, tree);
  for (int round = 0; round < 2; round++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (berth_boot_install (sd, &o, NULL, &error));
      g_assert_no_error (error);
      const char *want[][2] = { { "EFI/BOOT/BOOTX64.EFI", "MZ systemd-boot x64" },
                                { "EFI/systemd/systemd-bootx64.efi", "MZ systemd-boot x64" },
                                { "EFI/systemd/drivers/ext4_x64.efi", "MZ ext4 driver" },
                                { "loader/loader.conf", "timeout 3\neditor no\n" } };
      for (guint i = 0; i < G_N_ELEMENTS (want); i++)
        {
          g_autofree char *path = g_build_filename (esp, want[i][0], NULL);
          g_autofree char *got = NULL;
          g_assert_true (g_file_get_contents (path, &got, NULL, NULL));
          g_assert_cmpstr (got, ==, want[i][1]);
        }
      g_autofree char *tmp = g_build_filename (esp, "EFI/BOOT/BOOTX64.EFI.tmp", NULL);
      g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
    }
  rm_rf (d);
}

/* GRUB for UEFI with shim into a mounted ESP: the files shim needs, the stub that finds /boot
 * by UUID, and the menu symlink on /boot; refused before any write while ostree has generated
 * no menu. (BIOS and the core image run the image's tools in a chroot: the root tier.) */
static void
test_grub_esp (void)
{
  g_autofree char *d = tmpdir ();
  g_autofree char *tree = g_build_filename (d, "tree", NULL);
  g_autofree char *sysroot = g_build_filename (d, "sysroot", NULL);
  g_autofree char *esp = g_build_filename (d, "efi", NULL);
  put (tree, "usr/lib/shim/shimx64.efi.signed", "MZ shim");
  put (tree, "usr/lib/shim/mmx64.efi.signed", "MZ mok");
  put (tree, "usr/lib/shim/fbx64.efi.signed", "MZ fallback");
  put (tree, "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", "MZ grub");
  for (const char *const *t = grub_tools; *t != NULL; t++)
    put (tree, *t, "");
  g_assert_cmpint (g_mkdir_with_parents (esp, 0755), ==, 0);
  g_autofree char *boot = g_build_filename (sysroot, "boot", NULL);
  g_assert_cmpint (g_mkdir_with_parents (boot, 0755), ==, 0);

  g_autoptr (BerthBootDecision) grub = decision_for (BERTH_BOOTLOADER_GRUB, tree);
  g_assert_true (grub->uefi && grub->secure_boot && !grub->bios);
  BerthBootInstallOptions o = { .esp_dir = esp,
                                .deployment_root = tree,
                                .arch = "x86_64",
                                .sysroot = sysroot,
                                .boot_fs_uuid = "0b0e6c1e-5c4f-4b2a-9d7e-1e2f3a4b5c6d" };
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_install (grub, &o, NULL, &error));
    g_assert_nonnull (strstr (error->message, "no GRUB menu"));
    g_autofree char *efi_boot = g_build_filename (esp, "EFI", NULL);
    g_assert_false (g_file_test (efi_boot, G_FILE_TEST_EXISTS));
  }
  /* what ostree writes with sysroot.bootloader=grub2 */
  put (sysroot, "boot/loader.1/grub.cfg", "menuentry 'Debian' {\n}\n");
  g_autofree char *loader = g_build_filename (boot, "loader", NULL);
  g_assert_cmpint (symlink ("loader.1", loader), ==, 0);
  for (int round = 0; round < 2; round++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (berth_boot_install (grub, &o, NULL, &error));
      g_assert_no_error (error);
      const char *want[][2]
        = { { "EFI/BOOT/BOOTX64.EFI", "MZ shim" },
            { "EFI/BOOT/grubx64.efi", "MZ grub" },
            { "EFI/BOOT/mmx64.efi", "MZ mok" },
            { "EFI/debian/grub.cfg", "search.fs_uuid 0b0e6c1e-5c4f-4b2a-9d7e-1e2f3a4b5c6d root\n"
                                     "set prefix=($root)'/grub'\n"
                                     "configfile $prefix/grub.cfg\n" } };
      for (guint i = 0; i < G_N_ELEMENTS (want); i++)
        {
          g_autofree char *path = g_build_filename (esp, want[i][0], NULL);
          g_autofree char *got = NULL;
          g_assert_true (g_file_get_contents (path, &got, NULL, NULL));
          g_assert_cmpstr (got, ==, want[i][1]);
        }
      /* shim's fallback loader would write NVRAM entries and reset: left out */
      g_autofree char *fb = g_build_filename (esp, "EFI/BOOT/fbx64.efi", NULL);
      g_assert_false (g_file_test (fb, G_FILE_TEST_EXISTS));
      g_autofree char *menu = g_build_filename (boot, "grub/grub.cfg", NULL);
      g_autofree char *target = g_file_read_link (menu, NULL);
      g_assert_cmpstr (target, ==, "../loader/grub.cfg");
      g_autofree char *text = NULL;
      g_assert_true (g_file_get_contents (menu, &text, NULL, NULL));
      g_assert_nonnull (strstr (text, "menuentry 'Debian'"));
    }
  {
    /* BIOS needs the chroot runner and the disk: refused before any write */
    BerthBootDecision bios = *grub;
    bios.bios = TRUE;
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_install (&bios, &o, NULL, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "runner"));
  }
  rm_rf (d);
}

/* ---- the shell test's ESP ------------------------------------------------------------------- */

static void
test_esp_env (void)
{
  const char *device = g_getenv ("BERTH_TEST_ESP_DEVICE");
  const char *tree = g_getenv ("BERTH_TEST_BOOT_TREE");
  if (device == NULL || tree == NULL)
    {
      g_test_skip ("needs BERTH_TEST_ESP_DEVICE and BERTH_TEST_BOOT_TREE "
                   "(tests/root/install-esp-systemd-boot.sh sets them)");
      return;
    }
  const char *offset = g_getenv ("BERTH_TEST_ESP_OFFSET");
  BerthBootInstallOptions o = { .esp_device = device,
                                .esp_offset = offset ? g_ascii_strtoull (offset, NULL, 10) : 0,
                                .deployment_root = tree,
                                .arch = "x86_64",
                                .host_root = g_getenv ("BERTH_TEST_HOST_ROOT") };
  g_autoptr (GError) error = NULL;
  /* systemd-boot: the image may carry GRUB too, which auto would take */
  g_autoptr (BerthBootFacts) f = berth_boot_facts_from_dir (tree, o.arch);
  BerthBootWants w = { .firmware = BERTH_BOOT_FIRMWARE_UEFI };
  g_autoptr (BerthBootDecision) d = NULL;
  if (berth_boot_decide (BERTH_BOOTLOADER_SYSTEMD_BOOT, f, &w, &d, &error))
    berth_boot_install (d, &o, NULL, &error);
  /* the shell test checks the outcome; the message is what it looks at on failure */
  if (error != NULL)
    {
      g_print ("BOOT-ERROR %s: %s\n", berth_error_code_to_string (berth_error_code_of (error)),
               error->message);
      g_test_fail ();
    }
}

/* ---- bootupd's payload (Fedora-style GRUB with blscfg) ---------------------------------- */

/* The image carries /usr/lib/bootupd (bootupd's real static configs from the fixtures, EFI
 * files as Fedora's shim-x64 and grub2-efi-x64 lay them out): GRUB is chosen, with the static
 * config and sysroot.bootloader=none; the ESP gets the vendor folder, shim and GRUB in
 * EFI/BOOT (no fallback loader); /boot/grub2 the assembled config, bootuuid.cfg, grubenv. */
static void
test_grub_bootupd (void)
{
  g_autofree char *d = tmpdir ();
  g_autofree char *tree = g_build_filename (d, "tree", NULL);
  g_autofree char *sysroot = g_build_filename (d, "sysroot", NULL);
  g_autofree char *esp = g_build_filename (d, "efi", NULL);
  const char *const cfgs[] = { "grub-static-pre.cfg",
                               "grub-static-efi.cfg",
                               "configs.d/01_users.cfg",
                               "configs.d/10_blscfg.cfg",
                               "configs.d/14_menu_show_once.cfg",
                               "configs.d/30_uefi-firmware.cfg",
                               "configs.d/41_custom.cfg",
                               NULL };
  for (const char *const *c = cfgs; *c != NULL; c++)
    {
      g_autofree char *rel = g_build_filename ("bootupd/grub2-static", *c, NULL);
      g_autofree char *text = berth_test_fixture_contents (rel, NULL);
      g_autofree char *dest = g_build_filename ("usr/lib/bootupd/grub2-static", *c, NULL);
      put (tree, dest, text);
    }
  put (tree, "usr/lib/bootupd/updates/EFI/BOOT/BOOTX64.EFI", "MZ shim");
  put (tree, "usr/lib/bootupd/updates/EFI/BOOT/fbx64.efi", "MZ fallback");
  put (tree, "usr/lib/bootupd/updates/EFI/fedora/shimx64.efi", "MZ shim");
  put (tree, "usr/lib/bootupd/updates/EFI/fedora/grubx64.efi", "MZ grub");
  put (tree, "usr/lib/bootupd/updates/EFI/fedora/mmx64.efi", "MZ mok");
  put (tree, "usr/lib/bootupd/updates/EFI/fedora/BOOTX64.CSV", "shimx64.efi,Fedora\n");
  /* Fedora's GRUB modules for BIOS, its grub2-install, and Debian's GRUB next to it: bootupd's
   * way wins, and nothing of grub-mkconfig is needed */
  put (tree, "usr/lib/grub/i386-pc/normal.mod", "");
  put (tree, "usr/sbin/grub2-install", "");
  put (tree, "usr/lib/grub/x86_64-efi/normal.mod", "");
  put (tree, "usr/bin/grub-mkimage", "");
  g_assert_cmpint (g_mkdir_with_parents (esp, 0755), ==, 0);
  g_autofree char *boot = g_build_filename (sysroot, "boot", NULL);
  g_assert_cmpint (g_mkdir_with_parents (boot, 0755), ==, 0);

  g_autoptr (BerthBootFacts) f = berth_boot_facts_from_dir (tree, "x86_64");
  {
    /* auto, both firmwares: GRUB the bootupd way, UEFI with Secure Boot and BIOS */
    BerthBootWants w = { .bios_boot = TRUE };
    g_autoptr (BerthBootDecision) dec = NULL;
    g_autoptr (GError) error = NULL;
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, f, &w, &dec, &error));
    g_assert_no_error (error);
    g_assert_cmpint (dec->loader, ==, BERTH_BOOTLOADER_GRUB);
    g_assert_true (dec->grub_static && dec->uefi && dec->secure_boot && dec->bios);
    g_assert_cmpstr (dec->sysroot_bootloader, ==, "none");
    g_assert_nonnull (strstr (dec->why, "GRUB with blscfg from bootupd's payload "
                                        "(/usr/lib/bootupd/updates/EFI/fedora"));
    g_autofree char *text = berth_boot_decision_describe (dec);
    g_assert_cmpstr (text, ==,
                     "grub (bootupd's static config, blscfg): UEFI with Secure Boot (shim, "
                     "signed loader) and BIOS");
    /* BIOS needs grub2-install: without it, a note (auto) or a refusal (asked) */
    g_autofree char *tool = g_build_filename (tree, "usr/sbin/grub2-install", NULL);
    g_assert_cmpint (unlink (tool), ==, 0);
    g_autoptr (BerthBootFacts) no_tool = berth_boot_facts_from_dir (tree, "x86_64");
    put (tree, "usr/sbin/grub2-install", "");
    g_autoptr (BerthBootDecision) uefi_only = NULL;
    g_assert_true (berth_boot_decide (BERTH_BOOTLOADER_AUTO, no_tool, &w, &uefi_only, &error));
    g_assert_false (uefi_only->bios);
    g_assert_true (has_note (uefi_only, "no /usr/sbin/grub2-install"));
    BerthBootWants both = { .bios_boot = TRUE, .firmware = BERTH_BOOT_FIRMWARE_BOTH };
    BerthBootDecision *none = NULL;
    g_assert_false (berth_boot_decide (BERTH_BOOTLOADER_GRUB, no_tool, &both, &none, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  }

  g_autoptr (BerthBootDecision) grub = decision_for (BERTH_BOOTLOADER_GRUB, tree);
  g_assert_true (grub->grub_static && grub->uefi && !grub->bios);
  BerthBootInstallOptions o = { .esp_dir = esp,
                                .deployment_root = tree,
                                .arch = "x86_64",
                                .sysroot = sysroot,
                                .boot_fs_uuid = "0b0e6c1e-5c4f-4b2a-9d7e-1e2f3a4b5c6d" };
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_boot_install (grub, &o, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *efi_cfg
    = berth_test_fixture_contents ("bootupd/grub2-static/grub-static-efi.cfg", NULL);
  const char *uuid_cfg = "set BOOT_UUID=\"0b0e6c1e-5c4f-4b2a-9d7e-1e2f3a4b5c6d\"\n";
  const char *want[][2] = { { "EFI/BOOT/BOOTX64.EFI", "MZ shim" },
                            { "EFI/BOOT/grubx64.efi", "MZ grub" },
                            { "EFI/BOOT/mmx64.efi", "MZ mok" },
                            { "EFI/fedora/shimx64.efi", "MZ shim" },
                            { "EFI/fedora/grubx64.efi", "MZ grub" },
                            { "EFI/fedora/BOOTX64.CSV", "shimx64.efi,Fedora\n" },
                            { "EFI/fedora/grub.cfg", efi_cfg },
                            { "EFI/fedora/bootuuid.cfg", uuid_cfg },
                            { "../sysroot/boot/grub2/bootuuid.cfg", uuid_cfg } };
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *path = g_build_filename (esp, want[i][0], NULL);
      g_autofree char *got = NULL;
      g_assert_true (g_file_get_contents (path, &got, NULL, NULL));
      g_assert_cmpstr (got, ==, want[i][1]);
    }
  g_autofree char *fb = g_build_filename (esp, "EFI/BOOT/fbx64.efi", NULL);
  g_assert_false (g_file_test (fb, G_FILE_TEST_EXISTS));
  /* the static config: bootupd's header part, then each drop-in in order, blscfg among them */
  g_autofree char *cfg_path = g_build_filename (boot, "grub2/grub.cfg", NULL);
  g_autofree char *cfg = NULL;
  g_assert_true (g_file_get_contents (cfg_path, &cfg, NULL, NULL));
  g_autofree char *pre
    = berth_test_fixture_contents ("bootupd/grub2-static/grub-static-pre.cfg", NULL);
  g_assert_nonnull (strstr (cfg, pre));
  g_assert_nonnull (
    strstr (cfg, "\n### BEGIN 10_blscfg.cfg ###\nblscfg\n### END 10_blscfg.cfg ###\n"));
  g_assert_true (strstr (cfg, "01_users.cfg") < strstr (cfg, "10_blscfg.cfg"));
  g_assert_true (strstr (cfg, "10_blscfg.cfg") < strstr (cfg, "41_custom.cfg"));
  struct stat st;
  g_assert_cmpint (stat (cfg_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_autofree char *env_path = g_build_filename (boot, "grub2/grubenv", NULL);
  g_assert_cmpint (stat (env_path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 1024);
  /* no ostree menu is needed or made */
  g_autofree char *grub_dir = g_build_filename (boot, "grub", NULL);
  g_assert_false (g_file_test (grub_dir, G_FILE_TEST_EXISTS));
  rm_rf (d);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/boot/names", test_names);
  g_test_add_func ("/boot/decide", test_decide);
  g_test_add_func ("/boot/decide-extlinux", test_decide_extlinux);
  g_test_add_func ("/boot/extlinux-files", test_extlinux_files);
  g_test_add_func ("/boot/layout", test_layout);
  g_test_add_func ("/boot/choose", test_choose);
  g_test_add_func ("/boot/grub-esp", test_grub_esp);
  g_test_add_func ("/boot/grub-bootupd", test_grub_bootupd);
  g_test_add_func ("/boot/esp-image", test_esp_image);
  g_test_add_func ("/boot/esp-dir", test_esp_dir);
  g_test_add_func ("/boot/esp-env", test_esp_env);
  return g_test_run ();
}
