/* Unit tests of the disk module's layout: golden partitions for the seed "berth-test" and the
 * refusals. Pure: no devices. */
#include "disk/disk.h"

#include <string.h>

typedef struct
{
  guint number;
  guint64 start, size;
  const char *type, *uuid, *name, *fs, *label, *fs_uuid;
} Golden;

#define MiB BERTH_DISK_MiB
#define GiB BERTH_DISK_GiB

/* With the seed "berth-test" every UUID is fixed. The disk GUID is sha256("berth-test\ndisk")
 * with the version 4 and variant bits set (checked by hand with sha256sum). */
#define DISK_GUID   "82971c92-5458-4c2a-9e61-5cb7d34f97bd"
#define UUID_BIOS   "def17608-2912-45e0-82e7-7742329d11e5"
#define UUID_ESP    "8f2963ae-c65d-4acf-b4ea-97450f8ed555"
#define UUID_BOOT   "0edc1c66-d752-4e32-9d45-736f57b2ca06"
#define UUID_ROOT   "e22a2f09-97b9-47a6-b829-f60609e17351"
#define FSUUID_ESP  "F5F4-73DF"
#define FSUUID_BOOT "6cb83e0b-d4e5-48d7-9c7a-350bf367940b"
#define FSUUID_ROOT "ab5b440b-e8cf-43ab-9024-60b580a38237"

static void
check_layout (const BerthDiskLayout *l, const Golden *g, guint n)
{
  g_assert_cmpstr (l->disk_guid, ==, DISK_GUID);
  g_assert_cmpuint (l->n_partitions, ==, n);
  for (guint i = 0; i < n; i++)
    {
      const BerthDiskPartition *p = &l->partitions[i];
      g_assert_cmpuint (p->number, ==, g[i].number);
      g_assert_cmpuint (p->start, ==, g[i].start);
      g_assert_cmpuint (p->size, ==, g[i].size);
      g_assert_cmpstr (p->type_guid, ==, g[i].type);
      g_assert_cmpstr (p->uuid, ==, g[i].uuid);
      g_assert_cmpstr (p->name, ==, g[i].name);
      g_assert_cmpstr (berth_disk_fs_to_string (p->fs), ==, g[i].fs);
      g_assert_cmpstr (p->fs_label, ==, g[i].label);
      g_assert_cmpstr (p->fs_uuid, ==, g[i].fs_uuid);
      /* 1 MiB alignment, no overlap, inside the usable area (backup GPT: 33 sectors). */
      g_assert_cmpuint (p->start % MiB, ==, 0);
      g_assert_cmpuint (p->size % MiB, ==, 0);
      if (i > 0)
        g_assert_cmpuint (p->start, >=, l->partitions[i - 1].start + l->partitions[i - 1].size);
      g_assert_cmpuint (p->start + p->size, <=, l->disk_size - 33 * 512);
    }
}

static BerthDiskLayout *
layout_ok (guint64 disk, const char *arch, BerthDiskFs fs, guint64 root_size)
{
  BerthDiskLayoutOptions o = {
    .disk_size = disk,
    .arch = arch,
    .root_fs = fs,
    .root_size = root_size,
    .image_size = 1 * GiB,
    .seed = "berth-test",
  };
  g_autoptr (GError) error = NULL;
  BerthDiskLayout *l = berth_disk_layout_new (&o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (l);
  return l;
}

static void
test_x86_64_xfs (void)
{
  g_autoptr (BerthDiskLayout) l = layout_ok (10 * GiB, "x86_64", BERTH_DISK_FS_XFS, 0);
  /* root: from 1538 MiB to the last whole MiB before the backup GPT (10239 MiB). */
  const Golden g[] = {
    { 1, 1 * MiB, 1 * MiB, BERTH_DISK_TYPE_BIOS_BOOT, UUID_BIOS, "BIOS-BOOT", "none", NULL, NULL },
    { 2, 2 * MiB, 512 * MiB, BERTH_DISK_TYPE_ESP, UUID_ESP, "EFI-SYSTEM", "vfat", "EFI-SYSTEM",
      FSUUID_ESP },
    { 3, 514 * MiB, 1 * GiB, BERTH_DISK_TYPE_XBOOTLDR, UUID_BOOT, "boot", "ext4", "boot",
      FSUUID_BOOT },
    { 4, 1538 * MiB, 8701 * MiB, "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", UUID_ROOT, "root", "xfs",
      "root", FSUUID_ROOT },
  };
  check_layout (l, g, G_N_ELEMENTS (g));
  g_assert_cmpstr (berth_disk_layout_get (l, BERTH_DISK_ROLE_ROOT)->name, ==, "root");
  g_assert_cmpstr (berth_disk_layout_get (l, BERTH_DISK_ROLE_BIOS_BOOT)->name, ==, "BIOS-BOOT");

  g_autofree char *d = berth_disk_layout_describe (l);
  g_assert_cmpstr (d, ==,
                   "1  BIOS-BOOT   start 1 MiB  size 1 MiB  no filesystem  type "
                   "21686148-6449-6e6f-744e-656564454649\n"
                   "2  EFI-SYSTEM  start 2 MiB  size 512 MiB  vfat \"EFI-SYSTEM\" F5F4-73DF  type "
                   "c12a7328-f81f-11d2-ba4b-00a0c93ec93b\n"
                   "3  boot        start 514 MiB  size 1 GiB  ext4 \"boot\" " FSUUID_BOOT "  type "
                   "bc13c2ff-59e6-4262-a352-b275fd6f7172\n"
                   "4  root        start 1538 MiB  size 8701 MiB  xfs \"root\" " FSUUID_ROOT
                   "  type "
                   "4f68bce3-e8cd-4db1-96e7-fbcaf984b709\n");

  g_autoptr (GVariant) v = g_variant_ref_sink (berth_disk_layout_to_variant (l));
  guint64 size;
  g_assert_true (g_variant_lookup (v, "disk-size", "t", &size));
  g_assert_cmpuint (size, ==, 10 * GiB);
  g_autoptr (GVariant) parts = g_variant_lookup_value (v, "partitions", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_cmpuint (g_variant_n_children (parts), ==, 4);
  g_autoptr (GVariant) esp = g_variant_get_child_value (parts, 1);
  const char *s;
  g_assert_true (g_variant_lookup (esp, "fs-uuid", "&s", &s));
  g_assert_cmpstr (s, ==, FSUUID_ESP);
  g_autoptr (GVariant) bios = g_variant_get_child_value (parts, 0);
  g_assert_false (g_variant_lookup (bios, "label", "&s", &s));
  g_assert_true (g_variant_lookup (bios, "filesystem", "&s", &s));
  g_assert_cmpstr (s, ==, "none");
}

static void
test_aarch64 (void)
{
  g_autoptr (BerthDiskLayout) l = layout_ok (10 * GiB, "aarch64", BERTH_DISK_FS_NONE, 0);
  /* No BIOS-BOOT; the arm64 DPS root type; xfs by default. */
  const Golden g[] = {
    { 1, 1 * MiB, 512 * MiB, BERTH_DISK_TYPE_ESP, UUID_ESP, "EFI-SYSTEM", "vfat", "EFI-SYSTEM",
      FSUUID_ESP },
    { 2, 513 * MiB, 1 * GiB, BERTH_DISK_TYPE_XBOOTLDR, UUID_BOOT, "boot", "ext4", "boot",
      FSUUID_BOOT },
    { 3, 1537 * MiB, 8702 * MiB, "b921b045-1df0-41c3-af44-4c6f280d3fae", UUID_ROOT, "root", "xfs",
      "root", FSUUID_ROOT },
  };
  check_layout (l, g, G_N_ELEMENTS (g));
  g_assert_null (berth_disk_layout_get (l, BERTH_DISK_ROLE_BIOS_BOOT));
  g_assert_cmpuint (berth_disk_layout_get (l, BERTH_DISK_ROLE_ESP)->number, ==, 1);
}

static void
test_4g_ext4 (void)
{
  g_autoptr (BerthDiskLayout) l = layout_ok (4 * GiB, "x86_64", BERTH_DISK_FS_EXT4, 0);
  const Golden g[] = {
    { 1, 1 * MiB, 1 * MiB, BERTH_DISK_TYPE_BIOS_BOOT, UUID_BIOS, "BIOS-BOOT", "none", NULL, NULL },
    { 2, 2 * MiB, 512 * MiB, BERTH_DISK_TYPE_ESP, UUID_ESP, "EFI-SYSTEM", "vfat", "EFI-SYSTEM",
      FSUUID_ESP },
    { 3, 514 * MiB, 1 * GiB, BERTH_DISK_TYPE_XBOOTLDR, UUID_BOOT, "boot", "ext4", "boot",
      FSUUID_BOOT },
    { 4, 1538 * MiB, 2557 * MiB, BERTH_DISK_TYPE_ROOT_X86_64, UUID_ROOT, "root", "ext4", "root",
      FSUUID_ROOT },
  };
  check_layout (l, g, G_N_ELEMENTS (g));
}

static void
test_root_size (void)
{
  g_autoptr (BerthDiskLayout) l = layout_ok (10 * GiB, "x86_64", BERTH_DISK_FS_BTRFS, 4 * GiB);
  const BerthDiskPartition *root = berth_disk_layout_get (l, BERTH_DISK_ROLE_ROOT);
  g_assert_cmpuint (root->start, ==, 1538 * MiB);
  g_assert_cmpuint (root->size, ==, 4 * GiB);
  g_assert_cmpstr (berth_disk_fs_to_string (root->fs), ==, "btrfs");

  /* Custom ESP and boot sizes move the root. */
  BerthDiskLayoutOptions o = { .disk_size = 10 * GiB,
                               .arch = "x86_64",
                               .seed = "berth-test",
                               .esp_size = 256 * MiB,
                               .boot_size = 2 * GiB };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDiskLayout) l2 = berth_disk_layout_new (&o, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l2->partitions[1].size, ==, 256 * MiB);
  g_assert_cmpuint (l2->partitions[2].start, ==, 258 * MiB);
  g_assert_cmpuint (l2->partitions[3].start, ==, (258 + 2048) * MiB);
  g_assert_cmpuint (l2->partitions[3].size, ==, (10239 - 258 - 2048) * MiB);
}

static void
test_sector_4096 (void)
{
  /* 4Kn: the backup GPT takes 5 sectors (20 KiB); the root still ends at 10239 MiB. */
  BerthDiskLayoutOptions o
    = { .disk_size = 10 * GiB, .sector_size = 4096, .arch = "x86_64", .seed = "berth-test" };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDiskLayout) l = berth_disk_layout_new (&o, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l->sector_size, ==, 4096);
  g_assert_cmpuint (l->partitions[3].start + l->partitions[3].size, ==, 10239 * MiB);
}

/* extlinux: /boot carries the GPT attribute U-Boot's distro boot scans for; nothing else does,
 * and without the option no partition has it. */
static void
test_boot_legacy_bootable (void)
{
  BerthDiskLayoutOptions o = { .disk_size = 10 * GiB, .arch = "x86_64", .seed = "berth-test" };
  g_autoptr (BerthDiskLayout) plain = berth_disk_layout_new (&o, NULL);
  for (guint i = 0; i < plain->n_partitions; i++)
    g_assert_cmpuint (plain->partitions[i].attrs, ==, 0);
  g_autofree char *plain_text = berth_disk_layout_describe (plain);
  g_assert_null (strstr (plain_text, "LegacyBIOSBootable"));

  o.boot_legacy_bootable = TRUE;
  g_autoptr (BerthDiskLayout) l = berth_disk_layout_new (&o, NULL);
  for (guint i = 0; i < l->n_partitions; i++)
    g_assert_cmpuint (l->partitions[i].attrs, ==,
                      (int)i == l->role_index[BERTH_DISK_ROLE_BOOT] ? 4 : 0);
  g_autofree char *text = berth_disk_layout_describe (l);
  g_assert_nonnull (strstr (text, "3  boot        start 514 MiB  size 1 GiB  ext4 \"boot\""));
  g_assert_nonnull (strstr (text, "LegacyBIOSBootable  type " BERTH_DISK_TYPE_XBOOTLDR));
  g_autoptr (GVariant) v = g_variant_ref_sink (berth_disk_layout_to_variant (l));
  g_autoptr (GVariant) parts = g_variant_lookup_value (v, "partitions", NULL);
  g_autoptr (GVariant) boot = g_variant_get_child_value (parts, 2);
  guint64 attrs = 0;
  g_assert_true (g_variant_lookup (boot, "attributes", "t", &attrs));
  g_assert_cmpuint (attrs, ==, 4);
  g_autoptr (GVariant) root = g_variant_get_child_value (parts, 3);
  g_assert_false (g_variant_lookup (root, "attributes", "t", &attrs));
}

static void
test_seed (void)
{
  g_autofree char *a = berth_disk_uuid_from_seed ("berth-test", "disk");
  g_assert_cmpstr (a, ==, DISK_GUID);
  /* No seed: random, and so different each time, but well-formed. */
  BerthDiskLayoutOptions o = { .disk_size = 10 * GiB, .arch = "x86_64" };
  g_autoptr (BerthDiskLayout) l1 = berth_disk_layout_new (&o, NULL);
  g_autoptr (BerthDiskLayout) l2 = berth_disk_layout_new (&o, NULL);
  g_assert_true (g_uuid_string_is_valid (l1->disk_guid));
  g_assert_cmpstr (l1->disk_guid, !=, l2->disk_guid);
  g_assert_cmpstr (l1->partitions[3].fs_uuid, !=, l2->partitions[3].fs_uuid);
  g_assert_cmpuint (l1->partitions[3].size, ==, l2->partitions[3].size);
}

static void
test_too_small (void)
{
  g_autoptr (GError) error = NULL;
  /* 4 GiB disk, 3 GiB image: the root would have 2557 MiB. */
  BerthDiskLayoutOptions o
    = { .disk_size = 4 * GiB, .arch = "x86_64", .seed = "berth-test", .image_size = 3 * GiB };
  g_assert_null (berth_disk_layout_new (&o, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DISK_TOO_SMALL);
  /* Both numbers: 1538 MiB before the root + 3 GiB root + 1 MiB for the backup GPT. */
  g_assert_cmpstr (error->message, ==,
                   "The disk is too small: the layout needs at least 4834983936 bytes (4611 MiB, "
                   "with a root that holds the image's 3 GiB), the disk has 4294967296 bytes "
                   "(4 GiB)");
  g_clear_error (&error);

  /* A root size that does not fit. */
  BerthDiskLayoutOptions o2 = { .disk_size = 4 * GiB, .arch = "aarch64", .root_size = 3 * GiB };
  g_assert_null (berth_disk_layout_new (&o2, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DISK_TOO_SMALL);
  g_assert_cmpstr (error->message, ==,
                   "The disk is too small: the layout needs at least 4833935360 bytes (4610 MiB, "
                   "with a root of 3 GiB as asked), the disk has 4294967296 bytes (4 GiB)");
  g_clear_error (&error);

  /* Smaller than the fixed partitions. */
  BerthDiskLayoutOptions o3 = { .disk_size = 100 * MiB, .arch = "x86_64" };
  g_assert_null (berth_disk_layout_new (&o3, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DISK_TOO_SMALL);
}

static void
test_bad_arguments (void)
{
  const struct
  {
    BerthDiskLayoutOptions o;
    const char *msg;
  } cases[] = {
    { { .disk_size = 10 * GiB, .arch = "riscv64" }, "Unsupported architecture 'riscv64'" },
    { { .disk_size = 10 * GiB, .arch = NULL }, "Unsupported architecture ''" },
    { { .disk_size = 10 * GiB, .arch = "amd64" }, "Unsupported architecture 'amd64'" },
    { { .disk_size = 0, .arch = "x86_64" }, "Bad disk size 0 bytes" },
    { { .disk_size = 10 * GiB + 100, .arch = "x86_64" }, "Bad disk size" },
    { { .disk_size = 10 * GiB, .sector_size = 1000, .arch = "x86_64" }, "Bad sector size 1000" },
    { { .disk_size = 10 * GiB, .arch = "x86_64", .esp_size = 1000 }, "The ESP size" },
    { { .disk_size = 10 * GiB, .arch = "x86_64", .boot_size = MiB + 1 }, "The boot size" },
    { { .disk_size = 10 * GiB, .arch = "x86_64", .root_size = 5 }, "The root size" },
    { { .disk_size = 10 * GiB, .arch = "x86_64", .root_fs = BERTH_DISK_FS_VFAT },
      "The root filesystem cannot be vfat" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_null (berth_disk_layout_new (&cases[i].o, &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      if (!g_str_has_prefix (error->message, cases[i].msg))
        g_error ("case %u: '%s' does not start with '%s'", i, error->message, cases[i].msg);
    }
}

/* Volumes as asked (a kickstart's part lines): in order, fixed sizes as given, growing ones
 * sharing the rest up to their max, the role's defaults for what is not said. */
static void
test_volumes (void)
{
  const BerthDiskVolume ks[] = {
    { .role = BERTH_DISK_ROLE_ESP, .size = 600 * MiB },
    { .role = BERTH_DISK_ROLE_BOOT, .size = GiB, .fs = BERTH_DISK_FS_XFS, .label = "myboot" },
    { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE, .max_size = 6 * GiB, .fs = BERTH_DISK_FS_BTRFS },
  };
  BerthDiskLayoutOptions o = { .disk_size = 20 * GiB,
                               .arch = "x86_64",
                               .seed = "berth-test",
                               .volumes = ks,
                               .n_volumes = G_N_ELEMENTS (ks) };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDiskLayout) l = berth_disk_layout_new (&o, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l->n_partitions, ==, 3);
  g_assert_null (berth_disk_layout_get (l, BERTH_DISK_ROLE_BIOS_BOOT));
  const BerthDiskPartition *esp = berth_disk_layout_get (l, BERTH_DISK_ROLE_ESP);
  const BerthDiskPartition *boot = berth_disk_layout_get (l, BERTH_DISK_ROLE_BOOT);
  const BerthDiskPartition *root = berth_disk_layout_get (l, BERTH_DISK_ROLE_ROOT);
  g_assert_cmpuint (esp->number, ==, 1);
  g_assert_cmpuint (esp->start, ==, MiB);
  g_assert_cmpuint (esp->size, ==, 600 * MiB);
  g_assert_cmpint (esp->fs, ==, BERTH_DISK_FS_VFAT);
  g_assert_cmpstr (esp->fs_label, ==, "EFI-SYSTEM");
  g_assert_cmpuint (boot->start, ==, 601 * MiB);
  g_assert_cmpint (boot->fs, ==, BERTH_DISK_FS_XFS);
  g_assert_cmpstr (boot->fs_label, ==, "myboot");
  g_assert_cmpstr (boot->type_guid, ==, BERTH_DISK_TYPE_XBOOTLDR);
  g_assert_cmpuint (root->start, ==, 1625 * MiB);
  g_assert_cmpuint (root->size, ==, 6 * GiB); /* capped: the rest stays free */
  g_assert_cmpint (root->fs, ==, BERTH_DISK_FS_BTRFS);
  g_assert_cmpstr (root->type_guid, ==, BERTH_DISK_TYPE_ROOT_X86_64);

  /* two growing: /boot at least 1 GiB up to 2 GiB, the root the rest */
  const BerthDiskVolume two[] = {
    { .role = BERTH_DISK_ROLE_BIOS_BOOT, .size = MiB },
    { .role = BERTH_DISK_ROLE_ESP, .size = 512 * MiB },
    { .role = BERTH_DISK_ROLE_BOOT, .size = GiB, .grow = TRUE, .max_size = 2 * GiB },
    { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE },
  };
  o.volumes = two;
  o.n_volumes = G_N_ELEMENTS (two);
  g_autoptr (BerthDiskLayout) l2 = berth_disk_layout_new (&o, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l2->partitions[2].size, ==, 2 * GiB);
  g_assert_cmpuint (l2->partitions[3].start, ==, (1 + 1 + 512 + 2048) * MiB);
  g_assert_cmpuint (l2->partitions[3].start + l2->partitions[3].size, ==, 20479 * MiB);

  /* the defaults written out as volumes give bootc's layout, byte for byte */
  const BerthDiskVolume bootc[] = {
    { .role = BERTH_DISK_ROLE_BIOS_BOOT, .size = MiB },
    { .role = BERTH_DISK_ROLE_ESP, .size = 512 * MiB },
    { .role = BERTH_DISK_ROLE_BOOT, .size = GiB },
    { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE },
  };
  BerthDiskLayoutOptions d = { .disk_size = 20 * GiB, .arch = "x86_64", .seed = "berth-test" };
  g_autoptr (BerthDiskLayout) def = berth_disk_layout_new (&d, NULL);
  d.volumes = bootc;
  d.n_volumes = G_N_ELEMENTS (bootc);
  g_autoptr (BerthDiskLayout) same = berth_disk_layout_new (&d, NULL);
  g_autofree char *a = berth_disk_layout_describe (def);
  g_autofree char *b = berth_disk_layout_describe (same);
  g_assert_cmpstr (a, ==, b);

  /* refusals */
  const struct
  {
    BerthDiskVolume v[2];
    guint n;
    const char *arch;
    int code;
    const char *msg;
  } bad[] = {
    { { { .role = BERTH_DISK_ROLE_ESP, .size = MiB } },
      1,
      "x86_64",
      BERTH_ERROR_INVALID_ARGUMENT,
      "The layout has no root partition" },
    { { { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE },
        { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE } },
      2,
      "x86_64",
      BERTH_ERROR_INVALID_ARGUMENT,
      "The layout has more than one root partition" },
    { { { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE, .encrypt = TRUE } },
      1,
      "x86_64",
      BERTH_ERROR_REFUSED,
      "The root partition is to be encrypted" },
    { { { .role = BERTH_DISK_ROLE_BIOS_BOOT, .size = MiB },
        { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE } },
      2,
      "aarch64",
      BERTH_ERROR_INVALID_ARGUMENT,
      "A BIOS boot partition is for x86_64 only" },
    { { { .role = BERTH_DISK_ROLE_BOOT, .size = GiB, .fs = BERTH_DISK_FS_VFAT },
        { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE } },
      2,
      "x86_64",
      BERTH_ERROR_INVALID_ARGUMENT,
      "/boot cannot be vfat" },
    { { { .role = BERTH_DISK_ROLE_ESP, .size = MiB, .fs = BERTH_DISK_FS_EXT4 },
        { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE } },
      2,
      "x86_64",
      BERTH_ERROR_INVALID_ARGUMENT,
      "The ESP is vfat, not ext4" },
    { { { .role = BERTH_DISK_ROLE_BOOT }, { .role = BERTH_DISK_ROLE_ROOT, .grow = TRUE } },
      2,
      "x86_64",
      BERTH_ERROR_INVALID_ARGUMENT,
      "The boot partition has no size" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      BerthDiskLayoutOptions bo = {
        .disk_size = 20 * GiB, .arch = bad[i].arch, .volumes = bad[i].v, .n_volumes = bad[i].n
      };
      g_autoptr (GError) e = NULL;
      g_assert_null (berth_disk_layout_new (&bo, &e));
      g_assert_error (e, BERTH_ERROR, bad[i].code);
      if (!g_str_has_prefix (e->message, bad[i].msg))
        g_error ("case %u: '%s' does not start with '%s'", i, e->message, bad[i].msg);
    }
}

static void
test_fs_names (void)
{
  BerthDiskFs fs = BERTH_DISK_FS_NONE;
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_disk_fs_from_string ("btrfs", &fs, &error));
  g_assert_cmpint (fs, ==, BERTH_DISK_FS_BTRFS);
  g_assert_false (berth_disk_fs_from_string ("vfat", &fs, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (fs, ==, BERTH_DISK_FS_BTRFS);
  g_assert_cmpstr (berth_disk_fs_to_string (BERTH_DISK_FS_VFAT), ==, "vfat");
  g_assert_cmpstr (berth_disk_fs_to_string (99), ==, "unknown");
}

static void
test_partition_path (void)
{
  const char *cases[][3] = {
    { "/dev/loop3", "2", "/dev/loop3p2" }, { "/dev/nvme0n1", "2", "/dev/nvme0n1p2" },
    { "/dev/sda", "2", "/dev/sda2" },      { "/dev/mmcblk0", "1", "/dev/mmcblk0p1" },
    { "/dev/vdb", "10", "/dev/vdb10" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p
        = berth_disk_partition_path (cases[i][0], (guint)g_ascii_strtoull (cases[i][1], NULL, 10));
      g_assert_cmpstr (p, ==, cases[i][2]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/disk/layout/x86_64-xfs", test_x86_64_xfs);
  g_test_add_func ("/disk/layout/aarch64", test_aarch64);
  g_test_add_func ("/disk/layout/4g-ext4", test_4g_ext4);
  g_test_add_func ("/disk/layout/root-size", test_root_size);
  g_test_add_func ("/disk/layout/sector-4096", test_sector_4096);
  g_test_add_func ("/disk/layout/seed", test_seed);
  g_test_add_func ("/disk/layout/boot-legacy-bootable", test_boot_legacy_bootable);
  g_test_add_func ("/disk/layout/too-small", test_too_small);
  g_test_add_func ("/disk/layout/volumes", test_volumes);
  g_test_add_func ("/disk/layout/bad-arguments", test_bad_arguments);
  g_test_add_func ("/disk/layout/fs-names", test_fs_names);
  g_test_add_func ("/disk/partition-path", test_partition_path);
  return g_test_run ();
}
