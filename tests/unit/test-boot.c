/* Tests of the boot module: names, the bootloader choice on fake deployed trees, and
 * systemd-boot written into a vfat image file at an offset (mkfs.vfat and mtools, no root, no
 * mount). The /boot/esp-env case installs onto the ESP that tests/root/install-esp-systemd-boot.sh
 * names in BERTH_TEST_ESP_DEVICE (from the real test image's tree) and is skipped otherwise. */
#include "boot/boot.h"

#include <locale.h>
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
  g_assert_false (berth_bootloader_from_string ("grub", &l, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);

  const BerthEfiArch *x = berth_efi_arch_lookup ("x86_64");
  g_assert_nonnull (x);
  g_assert_cmpstr (x->efi, ==, "x64");
  g_assert_cmpstr (x->efi_upper, ==, "X64");
  const BerthEfiArch *a = berth_efi_arch_lookup ("aarch64");
  g_assert_nonnull (a);
  g_assert_cmpstr (a->efi, ==, "aa64");
  g_assert_cmpstr (a->efi_upper, ==, "AA64");
  g_assert_cmpstr (a->grub_efi, ==, "arm64-efi");
  g_assert_null (berth_efi_arch_lookup ("riscv64"));
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
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  BerthBootloader l;

  {
    g_autoptr (GError) error = NULL;
    g_assert_true (berth_boot_choose (BERTH_BOOTLOADER_AUTO, sd, "x86_64", &l, &error));
    g_assert_no_error (error);
    g_assert_cmpint (l, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
    g_assert_true (berth_boot_choose (BERTH_BOOTLOADER_SYSTEMD_BOOT, sd, "x86_64", &l, &error));
    g_assert_cmpint (l, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
    /* none needs nothing, not even a known architecture */
    g_assert_true (berth_boot_choose (BERTH_BOOTLOADER_NONE, empty, "riscv64", &l, &error));
    g_assert_cmpint (l, ==, BERTH_BOOTLOADER_NONE);
  }
  {
    /* the aarch64 binary is another name: this tree has none */
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_choose (BERTH_BOOTLOADER_AUTO, sd, "aarch64", &l, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "systemd-bootaa64.efi"));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_choose (BERTH_BOOTLOADER_AUTO, grub, "x86_64", &l, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "GRUB is not supported yet"));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_choose (BERTH_BOOTLOADER_SYSTEMD_BOOT, grub, "x86_64", &l, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "no systemd-boot"));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_choose (BERTH_BOOTLOADER_AUTO, empty, "x86_64", &l, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (error->message, "--bootloader none"));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_false (berth_boot_choose (BERTH_BOOTLOADER_AUTO, sd, "riscv64", &l, &error));
    g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  }
  rm_rf (d);
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

  /* no driver anywhere: a clear error, and nothing written */
  {
    g_autoptr (GError) error = NULL;
    o.host_root = nohost;
    g_assert_false (berth_boot_install (BERTH_BOOTLOADER_SYSTEMD_BOOT, &o, NULL, &error));
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
      g_assert_true (berth_boot_install (BERTH_BOOTLOADER_SYSTEMD_BOOT, &o, NULL, &error));
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
    g_assert_true (berth_boot_install_systemd_boot (&o, NULL, &error));
    g_assert_no_error (error);
    g_autofree char *drv = esp_read (mimg, "EFI/systemd/drivers/ext4_x64.efi");
    g_assert_cmpstr (drv, ==, "MZ ext4 driver from the image");
  }

  /* none writes nothing; AUTO is not an installable choice */
  {
    g_autoptr (GError) error = NULL;
    g_assert_true (berth_boot_install (BERTH_BOOTLOADER_NONE, &o, NULL, &error));
    g_assert_false (berth_boot_install (BERTH_BOOTLOADER_AUTO, &o, NULL, &error));
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
  for (int round = 0; round < 2; round++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (berth_boot_install (BERTH_BOOTLOADER_SYSTEMD_BOOT, &o, NULL, &error));
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
  BerthBootloader l;
  if (berth_boot_choose (BERTH_BOOTLOADER_AUTO, tree, o.arch, &l, &error))
    berth_boot_install (l, &o, NULL, &error);
  /* the shell test checks the outcome; the message is what it looks at on failure */
  if (error != NULL)
    {
      g_print ("BOOT-ERROR %s: %s\n", berth_error_code_to_string (berth_error_code_of (error)),
               error->message);
      g_test_fail ();
    }
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/boot/names", test_names);
  g_test_add_func ("/boot/choose", test_choose);
  g_test_add_func ("/boot/esp-image", test_esp_image);
  g_test_add_func ("/boot/esp-dir", test_esp_dir);
  g_test_add_func ("/boot/esp-env", test_esp_env);
  return g_test_run ();
}
