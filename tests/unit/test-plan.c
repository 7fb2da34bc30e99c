/* The install's decisions, from facts: no disk, no network (plan-decide.h). */
#include <string.h>

#include "plan/plan-decide.h"
#include "test-support.h"

#define GiB ((guint64)1024 * 1024 * 1024)

/* The boot files Debian 12's packages put in an image. */
static const char *const sd_boot_files[] = { "usr/lib/systemd/boot/efi/systemd-bootx64.efi", NULL };
static const char *const grub_files[] = { "usr/lib/shim/shimx64.efi.signed",
                                          "usr/lib/shim/mmx64.efi.signed",
                                          "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed",
                                          "usr/bin/grub-mkimage",
                                          "usr/sbin/grub-install",
                                          "usr/sbin/grub-mkconfig",
                                          "etc/grub.d/15_ostree",
                                          "etc/default/grub",
                                          "usr/bin/udevadm",
                                          NULL };
static const char *const grub_dirs[] = { "usr/lib/grub/x86_64-efi", "usr/lib/grub/i386-pc", NULL };

static BerthBootFacts *
boot_facts (gboolean grub, gboolean sd_boot)
{
  BerthBootFacts *f = berth_boot_facts_new ("x86_64");
  for (const char *const *p = sd_boot_files; sd_boot && *p; p++)
    berth_boot_facts_add (f, *p, BERTH_BOOT_FILE_REGULAR);
  for (const char *const *p = grub_files; grub && *p; p++)
    berth_boot_facts_add (f, *p, BERTH_BOOT_FILE_REGULAR);
  for (const char *const *p = grub_dirs; grub && *p; p++)
    berth_boot_facts_add (f, *p, BERTH_BOOT_FILE_DIR);
  return f;
}

/* An install configuration from TOML text, as the image would carry it. */
static BerthKargsInstallConfig *
config_of (const char *name, const char *text)
{
  g_autoptr (GError) error = NULL;
  BerthKargsFile f = { name, text, strlen (text) };
  BerthKargsInstallConfig *c = berth_kargs_install_config_load_files (&f, 1, "x86_64", &error);
  g_assert_no_error (error);
  return c;
}

/* The facts of a 20 GiB disk and the test image's size, before the pull. */
static BerthInstallFacts
disk_facts (void)
{
  return (BerthInstallFacts){ .arch = "x86_64", .disk_size = 20 * GiB, .image_size = 1 * GiB };
}

static BerthInstallChoices
no_choices (void)
{
  return (BerthInstallChoices){ .uuid_seed = "test-plan" };
}

static BerthInstallDecisions *
decide_ok (const BerthInstallFacts *facts, const BerthInstallChoices *choices)
{
  g_autoptr (GError) error = NULL;
  BerthInstallDecisions *d = NULL;
  g_assert_true (berth_install_decide (facts, choices, &d, &error));
  g_assert_no_error (error);
  return d;
}

static gboolean
has_note (const BerthInstallDecisions *d, const char *part)
{
  for (guint i = 0; i < d->notes->len; i++)
    if (strstr (d->notes->pdata[i], part) != NULL)
      return TRUE;
  return FALSE;
}

/* Before the pull: the layout is decided, the loader and the kargs are not. */
static void
test_before_pull (void)
{
  BerthInstallFacts facts = disk_facts ();
  BerthInstallChoices choices = no_choices ();
  g_autoptr (BerthInstallDecisions) d = decide_ok (&facts, &choices);
  g_assert_false (d->complete);
  g_assert_null (d->boot);
  g_assert_null (d->kargs);
  g_assert_nonnull (d->layout);
  /* bootc's layout: BIOS-BOOT, ESP, /boot, root on x86_64, whatever the loader */
  g_assert_cmpuint (d->layout->n_partitions, ==, 4);
  g_assert_true (d->bios_boot);
  g_assert_cmpint (d->root_fs, ==, BERTH_DISK_FS_XFS);
  g_assert_nonnull (strstr (d->root_fs_why, "unless the image's install configuration"));
  g_assert_cmpstr (d->stateroot, ==, "default");
  g_assert_cmpint (d->bootloader, ==, BERTH_BOOTLOADER_AUTO);
  const BerthDiskPartition *root = berth_disk_layout_get (d->layout, BERTH_DISK_ROLE_ROOT);
  g_autofree char *spec = g_strdup_printf ("UUID=%s", root->fs_uuid);
  g_assert_cmpstr (d->root_spec, ==, spec);
  g_assert_cmpstr (d->boot_fstype, ==, "ext4");
  /* every loader can boot berth's own layout */
  g_assert_cmpuint (d->boot_allowed & (1u << BERTH_BOOTLOADER_GRUB), !=, 0);
  g_assert_cmpuint (d->boot_allowed & (1u << BERTH_BOOTLOADER_SYSTEMD_BOOT), !=, 0);

  /* the same seed makes the same layout: the apply's second decision matches the table */
  g_autoptr (BerthInstallDecisions) again = decide_ok (&facts, &choices);
  g_assert_cmpstr (again->layout->disk_guid, ==, d->layout->disk_guid);
  g_assert_cmpstr (again->root_spec, ==, d->root_spec);

  /* a disk for UEFI only has no BIOS-BOOT */
  choices.firmware = BERTH_BOOT_FIRMWARE_UEFI;
  g_autoptr (BerthInstallDecisions) uefi = decide_ok (&facts, &choices);
  g_assert_cmpuint (uefi->layout->n_partitions, ==, 3);
  g_assert_false (uefi->bios_boot);
  g_assert_null (berth_disk_layout_get (uefi->layout, BERTH_DISK_ROLE_BIOS_BOOT));

  /* too small a disk is refused with the sizes */
  facts.disk_size = 2 * GiB;
  g_autoptr (GError) error = NULL;
  BerthInstallDecisions *none = NULL;
  g_assert_false (berth_install_decide (&facts, &choices, &none, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DISK_TOO_SMALL);
  g_assert_null (none);
}

/* With the image's files: the loader auto picks, and the kargs come in bootc's order. */
static void
test_after_pull_auto (void)
{
  BerthInstallFacts facts = disk_facts ();
  g_autoptr (BerthBootFacts) both = boot_facts (TRUE, TRUE);
  g_autoptr (BerthBootFacts) sd_only = boot_facts (FALSE, TRUE);
  g_autoptr (BerthKargsInstallConfig) config
    = config_of ("/usr/lib/bootc/install/00-test.toml", "[install]\nkargs = [\"quiet\"]\n");
  const char *cli[] = { "console=ttyS0", NULL };
  BerthInstallChoices choices = no_choices ();
  choices.kargs = cli;
  facts.image_files = TRUE;
  facts.install_config = config;
  facts.boot_facts = both;
  g_autoptr (BerthInstallDecisions) d = decide_ok (&facts, &choices);
  g_assert_true (d->complete);
  g_assert_cmpint (d->boot->loader, ==, BERTH_BOOTLOADER_GRUB);
  g_assert_cmpstr (d->boot->backend->sysroot_bootloader, ==, "grub2");
  g_assert_true (d->boot->bios);
  g_assert_cmpstr (d->bootloader_why, ==, "auto");
  g_autofree char *line = berth_kargs_to_string (d->kargs);
  g_autofree char *want
    = g_strdup_printf ("root=%s rw boot=%s quiet console=ttyS0", d->root_spec, d->boot_spec);
  g_assert_cmpstr (line, ==, want);
  g_assert_cmpint (d->root_fs, ==, BERTH_DISK_FS_XFS);
  g_assert_nonnull (strstr (d->root_fs_why, "names none"));

  /* an image with systemd-boot only */
  facts.boot_facts = sd_only;
  g_autoptr (BerthInstallDecisions) sd = decide_ok (&facts, &choices);
  g_assert_cmpint (sd->boot->loader, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
  g_assert_cmpstr (sd->boot->backend->sysroot_bootloader, ==, "none");

  /* --bootloader extlinux: /boot marked LegacyBIOSBootable for U-Boot's distro boot (the same
   * before and after the pull: the table is written before), ostree's syslinux backend */
  choices.bootloader = BERTH_BOOTLOADER_EXTLINUX;
  BerthInstallFacts before = disk_facts ();
  g_autoptr (BerthInstallDecisions) eb = decide_ok (&before, &choices);
  g_autoptr (BerthInstallDecisions) ex = decide_ok (&facts, &choices);
  for (BerthInstallDecisions **x = (BerthInstallDecisions *[]){ eb, ex, NULL }; *x; x++)
    {
      const BerthDiskPartition *bp = berth_disk_layout_get ((*x)->layout, BERTH_DISK_ROLE_BOOT);
      g_assert_cmpuint (bp->attrs & BERTH_DISK_ATTR_LEGACY_BIOS_BOOTABLE, !=, 0);
    }
  g_assert_cmpint (ex->boot->loader, ==, BERTH_BOOTLOADER_EXTLINUX);
  g_assert_cmpstr (ex->boot->sysroot_bootloader, ==, "syslinux");
  const BerthDiskPartition *sdb = berth_disk_layout_get (sd->layout, BERTH_DISK_ROLE_BOOT);
  g_assert_cmpuint (sdb->attrs, ==, 0);

  /* --bootloader none needs no boot files */
  facts.boot_facts = NULL;
  choices.bootloader = BERTH_BOOTLOADER_NONE;
  g_autoptr (BerthInstallDecisions) none = decide_ok (&facts, &choices);
  g_assert_cmpint (none->boot->loader, ==, BERTH_BOOTLOADER_NONE);
  g_assert_null (none->boot->backend);
}

/* The image's install configuration: root-fs-type, stateroot and bootloader are followed
 * unless the command line chose; keys berth does not act on are shown. */
static void
test_install_config (void)
{
  g_autofree char *docs = berth_test_fixture_contents (
    "kargs/install-config/bootc-docs-install-config-example.toml", NULL);
  g_autoptr (BerthKargsInstallConfig) example = config_of ("/usr/lib/bootc/install/50.toml", docs);
  g_autoptr (BerthKargsInstallConfig) ext4 = config_of (
    "/usr/lib/bootc/install/00-ext4.toml",
    "[install]\nroot-fs-type = \"ext4\"\nstateroot = \"fedora\"\nbootloader = \"systemd\"\n");
  g_autoptr (BerthBootFacts) both = boot_facts (TRUE, TRUE);
  BerthInstallFacts facts = disk_facts ();
  facts.image_files = TRUE;
  facts.boot_facts = both;
  facts.install_config = ext4;
  BerthInstallChoices choices = no_choices ();

  g_autoptr (BerthInstallDecisions) d = decide_ok (&facts, &choices);
  g_assert_cmpint (d->root_fs, ==, BERTH_DISK_FS_EXT4);
  g_assert_cmpint (berth_disk_layout_get (d->layout, BERTH_DISK_ROLE_ROOT)->fs, ==,
                   BERTH_DISK_FS_EXT4);
  g_assert_cmpstr (d->root_fs_why, ==,
                   "the image's install configuration, /usr/lib/bootc/install/00-ext4.toml:2");
  g_assert_cmpstr (d->stateroot, ==, "fedora");
  g_assert_nonnull (strstr (d->stateroot_why, "00-ext4.toml:3"));
  /* bootloader = "systemd" picks systemd-boot over the GRUB auto would take, and says why */
  g_assert_cmpint (d->bootloader, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
  g_assert_cmpint (d->boot->loader, ==, BERTH_BOOTLOADER_SYSTEMD_BOOT);
  g_assert_true (g_str_has_prefix (
    d->boot->why, "the image's install configuration, /usr/lib/bootc/install/00-ext4.toml:4 "
                  "asks for systemd-boot; the image has"));
  /* the same seed: only the root filesystem differs from the decision before the pull */
  BerthInstallFacts before = disk_facts ();
  g_autoptr (BerthInstallDecisions) b = decide_ok (&before, &choices);
  g_assert_cmpint (b->root_fs, ==, BERTH_DISK_FS_XFS);
  g_assert_cmpstr (b->layout->disk_guid, ==, d->layout->disk_guid);
  g_assert_cmpuint (b->layout->n_partitions, ==, d->layout->n_partitions);
  for (guint i = 0; i < b->layout->n_partitions; i++)
    {
      g_assert_cmpuint (b->layout->partitions[i].start, ==, d->layout->partitions[i].start);
      g_assert_cmpuint (b->layout->partitions[i].size, ==, d->layout->partitions[i].size);
    }

  /* the command line wins */
  choices.root_fs = BERTH_DISK_FS_BTRFS;
  choices.stateroot = "mine";
  choices.bootloader = BERTH_BOOTLOADER_GRUB;
  g_autoptr (BerthInstallDecisions) cli = decide_ok (&facts, &choices);
  g_assert_cmpint (cli->root_fs, ==, BERTH_DISK_FS_BTRFS);
  g_assert_cmpstr (cli->root_fs_why, ==, "--filesystem");
  g_assert_cmpstr (cli->stateroot, ==, "mine");
  g_assert_cmpint (cli->boot->loader, ==, BERTH_BOOTLOADER_GRUB);
  g_assert_true (g_str_has_prefix (cli->boot->why, "--bootloader grub"));

  /* bootc's documented example: xfs, stateroot myos, its mount specs and kargs, and the keys
   * berth does not act on listed */
  facts.install_config = example;
  choices = no_choices ();
  g_autoptr (BerthInstallDecisions) ex = decide_ok (&facts, &choices);
  g_assert_cmpint (ex->root_fs, ==, BERTH_DISK_FS_XFS);
  g_assert_nonnull (strstr (ex->root_fs_why, "50.toml:2"));
  g_assert_cmpstr (ex->stateroot, ==, "myos");
  g_autofree char *line = berth_kargs_to_string (ex->kargs);
  g_assert_cmpstr (line, ==, "root=LABEL=rootfs rw boot=UUID=abcd-1234 nosmt console=tty0");
  g_assert_true (has_note (ex, "install.enforce-container-sigpolicy (/usr/lib/bootc/install/"
                               "50.toml:9), which berth does not act on"));
  g_assert_true (has_note (ex, "install.ostree.bls-append-except-default"));

  /* a bootloader berth does not install: auto, with a note */
  g_autoptr (BerthKargsInstallConfig) cc
    = config_of ("/usr/lib/bootc/install/cc.toml", "[install]\nbootloader = \"grub-cc\"\n");
  facts.install_config = cc;
  g_autoptr (BerthInstallDecisions) gcc = decide_ok (&facts, &choices);
  g_assert_cmpint (gcc->bootloader, ==, BERTH_BOOTLOADER_AUTO);
  g_assert_cmpint (gcc->boot->loader, ==, BERTH_BOOTLOADER_GRUB);
  g_assert_true (has_note (gcc, "asks for bootloader \"grub-cc\", which berth does not install"));

  /* bootloader = "none" */
  g_autoptr (BerthKargsInstallConfig) nl
    = config_of ("/usr/lib/bootc/install/n.toml", "[install]\nbootloader = \"none\"\n");
  facts.install_config = nl;
  g_autoptr (BerthInstallDecisions) n = decide_ok (&facts, &choices);
  g_assert_cmpint (n->boot->loader, ==, BERTH_BOOTLOADER_NONE);
}

/* Refusals, each naming what to change. */
static void
test_refusals (void)
{
  g_autoptr (BerthBootFacts) sd_only = boot_facts (FALSE, TRUE);
  g_autoptr (BerthBootFacts) grub_only = boot_facts (TRUE, FALSE);
  BerthInstallFacts facts = disk_facts ();
  facts.image_files = TRUE;
  facts.boot_facts = sd_only;
  BerthInstallChoices choices = no_choices ();
  BerthInstallDecisions *d = NULL;

  /* Secure Boot asked with an unsigned systemd-boot */
  choices.bootloader = BERTH_BOOTLOADER_SYSTEMD_BOOT;
  choices.secure_boot = TRUE;
  g_autoptr (GError) e1 = NULL;
  g_assert_false (berth_install_decide (&facts, &choices, &d, &e1));
  g_assert_error (e1, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_nonnull (strstr (e1->message, "Secure Boot"));

  /* a loader the image does not carry */
  choices = no_choices ();
  choices.bootloader = BERTH_BOOTLOADER_GRUB;
  g_autoptr (GError) e2 = NULL;
  g_assert_false (berth_install_decide (&facts, &choices, &d, &e2));
  g_assert_error (e2, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_assert_nonnull (strstr (e2->message, "--bootloader grub: the image does not carry it"));

  /* BIOS asked of a disk for UEFI only is impossible: no BIOS-BOOT */
  facts.boot_facts = grub_only;
  choices = no_choices ();
  choices.firmware = BERTH_BOOT_FIRMWARE_UEFI;
  g_autoptr (BerthInstallDecisions) uefi = decide_ok (&facts, &choices);
  g_assert_false (uefi->boot->bios);
  g_assert_true (uefi->boot->uefi);

  /* an install configuration root filesystem berth cannot make */
  g_autoptr (BerthKargsInstallConfig) vfat
    = config_of ("/usr/lib/bootc/install/v.toml", "[install]\nroot-fs-type = \"xfs\"\n");
  g_free (vfat->root_fs_type.value);
  vfat->root_fs_type.value = g_strdup ("vfat");
  facts.install_config = vfat;
  choices = no_choices ();
  g_autoptr (GError) e3 = NULL;
  g_assert_false (berth_install_decide (&facts, &choices, &d, &e3));
  g_assert_error (e3, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (e3->message, "/usr/lib/bootc/install/v.toml:2: "));
  g_assert_nonnull (strstr (e3->message, "give --filesystem"));
}

/* --to-filesystem: the caller's mounts decide what the loaders can do. */
static void
test_to_filesystem (void)
{
  BerthDiskMountInfo xfs_boot = { .path = (char *)"/mnt/boot",
                                  .source = (char *)"/dev/loop0p2",
                                  .fstype = (char *)"xfs",
                                  .disk = (char *)"/dev/loop0",
                                  .part_type = (char *)BERTH_DISK_TYPE_XBOOTLDR };
  BerthInstallFsFacts fs = {
    .root_fstype = "btrfs",
    .root_spec = "UUID=1111",
    .root_flags = "rootflags=subvol=root",
    .boot_spec = "UUID=2222",
    .boot_fstype = "xfs",
    .boot_fs_uuid = "2222",
    .boot = { .root_dir = "/mnt", .boot = &xfs_boot, .esp_disk = "/dev/loop0" },
  };
  g_autoptr (BerthBootFacts) both = boot_facts (TRUE, TRUE);
  g_autoptr (BerthKargsInstallConfig) ext4
    = config_of ("/usr/lib/bootc/install/e.toml", "[install]\nroot-fs-type = \"ext4\"\n");
  BerthInstallFacts facts = { .arch = "x86_64", .fs = &fs, .image_size = GiB };
  BerthInstallChoices choices = no_choices ();

  /* systemd-boot cannot read an xfs /boot: asked for, it is refused before anything */
  choices.bootloader = BERTH_BOOTLOADER_SYSTEMD_BOOT;
  BerthInstallDecisions *d = NULL;
  g_autoptr (GError) e1 = NULL;
  g_assert_false (berth_install_decide (&facts, &choices, &d, &e1));
  g_assert_error (e1, BERTH_ERROR, BERTH_ERROR_REFUSED);

  /* auto keeps GRUB, which reads it; no BIOS-BOOT on that disk, so UEFI only */
  choices = no_choices ();
  facts.image_files = TRUE;
  facts.boot_facts = both;
  facts.install_config = ext4;
  g_autoptr (BerthInstallDecisions) g = decide_ok (&facts, &choices);
  g_assert_null (g->layout);
  g_assert_cmpint (g->boot->loader, ==, BERTH_BOOTLOADER_GRUB);
  g_assert_false (g->boot->bios);
  g_assert_cmpstr (g->root_fstype, ==, "btrfs");
  g_assert_true (has_note (g, "asks for root filesystem ext4; the target's root is btrfs"));
  g_autofree char *line = berth_kargs_to_string (g->kargs);
  g_assert_cmpstr (line, ==, "root=UUID=1111 rootflags=subvol=root rw boot=UUID=2222");

  /* --filesystem has no meaning there */
  choices.root_fs = BERTH_DISK_FS_EXT4;
  g_autoptr (GError) e2 = NULL;
  g_assert_false (berth_install_decide (&facts, &choices, &d, &e2));
  g_assert_error (e2, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
}

/* Volumes as a kickstart gives them: the layout follows them, the root volume's filesystem
 * counts as chosen (the install configuration's does not override it). */
static void
test_volumes (void)
{
  const BerthDiskVolume ks[] = {
    { .role = BERTH_DISK_ROLE_ESP, .size = 600 * 1024 * 1024 },
    { .role = BERTH_DISK_ROLE_BOOT, .size = GiB },
    { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE, .fs = BERTH_DISK_FS_EXT4 },
  };
  g_autoptr (BerthKargsInstallConfig) xfs
    = config_of ("/usr/lib/bootc/install/x.toml", "[install]\nroot-fs-type = \"btrfs\"\n");
  BerthInstallFacts facts = disk_facts ();
  facts.install_config = xfs;
  BerthInstallChoices choices = no_choices ();
  choices.volumes = ks;
  choices.n_volumes = G_N_ELEMENTS (ks);
  g_autoptr (BerthInstallDecisions) d = decide_ok (&facts, &choices);
  g_assert_cmpuint (d->layout->n_partitions, ==, 3);
  g_assert_false (d->bios_boot);
  g_assert_cmpint (d->root_fs, ==, BERTH_DISK_FS_EXT4);
  g_assert_cmpstr (d->root_fs_why, ==, "the layout's root volume");
  g_assert_cmpuint (berth_disk_layout_get (d->layout, BERTH_DISK_ROLE_ESP)->size, ==,
                    600 * 1024 * 1024);
  /* without a filesystem on the root volume: the install configuration's */
  const BerthDiskVolume plain[] = { { .role = BERTH_DISK_ROLE_ESP, .size = 600 * 1024 * 1024 },
                                    { .role = BERTH_DISK_ROLE_BOOT, .size = GiB },
                                    { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE } };
  choices.volumes = plain;
  g_autoptr (BerthInstallDecisions) p = decide_ok (&facts, &choices);
  g_assert_cmpint (p->root_fs, ==, BERTH_DISK_FS_BTRFS);
  g_assert_cmpint (berth_disk_layout_get (p->layout, BERTH_DISK_ROLE_ROOT)->fs, ==,
                   BERTH_DISK_FS_BTRFS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plan/decide/before-pull", test_before_pull);
  g_test_add_func ("/plan/decide/after-pull-auto", test_after_pull_auto);
  g_test_add_func ("/plan/decide/install-config", test_install_config);
  g_test_add_func ("/plan/decide/refusals", test_refusals);
  g_test_add_func ("/plan/decide/to-filesystem", test_to_filesystem);
  g_test_add_func ("/plan/decide/volumes", test_volumes);
  return g_test_run ();
}
