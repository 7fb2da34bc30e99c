/* The default partition layout as data (DESIGN.md section 7, bootc's baseline). Pure: no I/O,
 * so the plan and its tests can use it without a disk. */
#include "disk.h"

#include <string.h>

/* Everything is aligned to 1 MiB, as fdisk/sfdisk/bootc do: right for 512 and 4096 byte
 * sectors and for SSD erase blocks. */
#define ALIGN BERTH_DISK_MiB
/* A GPT has 128 entries of 128 bytes (UEFI spec 5.3); the backup array and header take the
 * last sectors of the disk. */
#define GPT_ENTRIES_BYTES (128 * 128)

static const char *const fs_names[] = {
  [BERTH_DISK_FS_NONE] = "none", [BERTH_DISK_FS_VFAT] = "vfat",   [BERTH_DISK_FS_EXT4] = "ext4",
  [BERTH_DISK_FS_XFS] = "xfs",   [BERTH_DISK_FS_BTRFS] = "btrfs",
};

const char *
berth_disk_fs_to_string (BerthDiskFs fs)
{
  if ((guint)fs < G_N_ELEMENTS (fs_names))
    return fs_names[fs];
  return "unknown";
}

gboolean
berth_disk_fs_from_string (const char *name, BerthDiskFs *out_fs, GError **error)
{
  BerthDiskFs fs;
  if (g_strcmp0 (name, "xfs") == 0)
    fs = BERTH_DISK_FS_XFS;
  else if (g_strcmp0 (name, "ext4") == 0)
    fs = BERTH_DISK_FS_EXT4;
  else if (g_strcmp0 (name, "btrfs") == 0)
    fs = BERTH_DISK_FS_BTRFS;
  else
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Unknown root filesystem '%s' (xfs, ext4 or btrfs)", name ? name : "");
  *out_fs = fs;
  return TRUE;
}

char *
berth_disk_uuid_from_seed (const char *seed, const char *name)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *)seed, strlen (seed));
  g_checksum_update (sum, (const guchar *)"\n", 1);
  g_checksum_update (sum, (const guchar *)name, strlen (name));
  guint8 d[32];
  gsize len = sizeof d;
  g_checksum_get_digest (sum, d, &len);
  /* RFC 9562 version 4 and variant bits, so the result looks like any random UUID. */
  d[6] = (d[6] & 0x0f) | 0x40;
  d[8] = (d[8] & 0x3f) | 0x80;
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                          "%02x%02x%02x%02x%02x%02x",
                          d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11],
                          d[12], d[13], d[14], d[15]);
}

/* A vfat volume id is 32 bits; blkid shows it as "XXXX-XXXX". */
static char *
vfat_id_from_uuid (const char *uuid)
{
  g_autofree char *up = g_ascii_strup (uuid, -1);
  return g_strdup_printf ("%.4s-%.4s", up, up + 4);
}

static char *
size_to_string (guint64 bytes)
{
  if (bytes % BERTH_DISK_GiB == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " GiB", bytes / BERTH_DISK_GiB);
  if (bytes % BERTH_DISK_MiB == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " MiB", bytes / BERTH_DISK_MiB);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
}

static void
partition_clear (BerthDiskPartition *p)
{
  g_free (p->type_guid);
  g_free (p->uuid);
  g_free (p->name);
  g_free (p->fs_label);
  g_free (p->fs_uuid);
}

void
berth_disk_layout_free (BerthDiskLayout *layout)
{
  if (layout == NULL)
    return;
  for (guint i = 0; i < layout->n_partitions; i++)
    partition_clear (&layout->partitions[i]);
  g_free (layout->arch);
  g_free (layout->disk_guid);
  g_free (layout);
}

static void
add_partition (BerthDiskLayout *layout, const char *seed, BerthDiskRole role, guint64 start,
               guint64 size, const char *type, const char *name, BerthDiskFs fs, const char *label)
{
  g_assert (layout->n_partitions < BERTH_DISK_MAX_PARTITIONS);
  BerthDiskPartition *p = &layout->partitions[layout->n_partitions];
  layout->role_index[role] = (int)layout->n_partitions;
  layout->n_partitions++;
  p->number = layout->n_partitions;
  p->start = start;
  p->size = size;
  p->type_guid = g_strdup (type);
  g_autofree char *part_key = g_strconcat ("partition:", name, NULL);
  p->uuid = berth_disk_uuid_from_seed (seed, part_key);
  p->name = g_strdup (name);
  p->fs = fs;
  if (fs != BERTH_DISK_FS_NONE)
    {
      p->fs_label = g_strdup (label);
      g_autofree char *fs_key = g_strconcat ("filesystem:", name, NULL);
      g_autofree char *fs_uuid = berth_disk_uuid_from_seed (seed, fs_key);
      p->fs_uuid
        = fs == BERTH_DISK_FS_VFAT ? vfat_id_from_uuid (fs_uuid) : g_steal_pointer (&fs_uuid);
    }
}

static gboolean
check_aligned (const char *what, guint64 size, GError **error)
{
  if (size % ALIGN != 0)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "The %s size (%" G_GUINT64_FORMAT " bytes) is not a multiple of 1 MiB",
                        what, size);
  return TRUE;
}

BerthDiskLayout *
berth_disk_layout_new (const BerthDiskLayoutOptions *opts, GError **error)
{
  g_return_val_if_fail (opts != NULL, NULL);

  guint32 ss = opts->sector_size ? opts->sector_size : 512;
  guint64 esp_size = opts->esp_size ? opts->esp_size : 512 * BERTH_DISK_MiB;
  guint64 boot_size = opts->boot_size ? opts->boot_size : BERTH_DISK_GiB;
  BerthDiskFs root_fs = opts->root_fs != BERTH_DISK_FS_NONE ? opts->root_fs : BERTH_DISK_FS_XFS;

  const char *root_type;
  gboolean bios_boot;
  if (g_strcmp0 (opts->arch, "x86_64") == 0)
    root_type = BERTH_DISK_TYPE_ROOT_X86_64, bios_boot = !opts->no_bios_boot;
  else if (g_strcmp0 (opts->arch, "aarch64") == 0)
    root_type = BERTH_DISK_TYPE_ROOT_ARM64, bios_boot = FALSE;
  else
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "Unsupported architecture '%s' (x86_64 or aarch64)",
                         opts->arch ? opts->arch : ""),
            NULL);

  /* Logical sector sizes Linux supports: powers of two from 512 to 4096. */
  if (ss < 512 || ss > 4096 || (ss & (ss - 1)) != 0)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "Bad sector size %u", ss), NULL);
  if (opts->disk_size == 0 || opts->disk_size % ss != 0)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "Bad disk size %" G_GUINT64_FORMAT
                         " bytes (not a positive multiple of the %u-byte sector)",
                         opts->disk_size, ss),
            NULL);
  if (root_fs == BERTH_DISK_FS_VFAT)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "The root filesystem cannot be vfat (xfs, ext4 or btrfs)"),
            NULL);
  if (!check_aligned ("ESP", esp_size, error) || !check_aligned ("boot", boot_size, error)
      || !check_aligned ("root", opts->root_size, error))
    return NULL;

  /* The last byte a partition may use: before the backup GPT (entries array + header). */
  guint64 gpt_backup = GPT_ENTRIES_BYTES + ss;
  guint64 usable_end = opts->disk_size > gpt_backup ? opts->disk_size - gpt_backup : 0;
  usable_end -= usable_end % ALIGN;

  guint64 bios_size = bios_boot ? BERTH_DISK_MiB : 0;
  guint64 root_start = ALIGN + bios_size + esp_size + boot_size;
  /* The root must hold the image; an explicit --root-size must too. */
  guint64 root_min = MAX (opts->image_size, opts->root_size);
  root_min = (root_min + ALIGN - 1) / ALIGN * ALIGN;
  if (root_min == 0)
    root_min = ALIGN;
  guint64 needed = root_start + root_min + ALIGN; /* + the backup GPT, aligned */
  if (usable_end < root_start + root_min)
    {
      g_autofree char *need_s = size_to_string (needed);
      g_autofree char *have_s = size_to_string (opts->disk_size);
      g_autofree char *root_s = size_to_string (root_min);
      g_autofree char *why = opts->root_size >= opts->image_size && opts->root_size != 0
                               ? g_strdup_printf ("a root of %s as asked", root_s)
                               : g_strdup_printf ("a root that holds the image's %s", root_s);
      return (berth_throw (error, BERTH_ERROR_DISK_TOO_SMALL,
                           "The disk is too small: the layout needs at least %" G_GUINT64_FORMAT
                           " bytes (%s, with %s), the disk has %" G_GUINT64_FORMAT " bytes (%s)",
                           needed, need_s, why, opts->disk_size, have_s),
              NULL);
    }
  guint64 root_size = opts->root_size ? opts->root_size : usable_end - root_start;

  g_autofree char *random_seed = NULL;
  const char *seed = opts->seed;
  if (seed == NULL)
    seed = random_seed = g_uuid_string_random ();

  g_autoptr (BerthDiskLayout) layout = g_new0 (BerthDiskLayout, 1);
  layout->disk_size = opts->disk_size;
  layout->sector_size = ss;
  layout->arch = g_strdup (opts->arch);
  layout->disk_guid = berth_disk_uuid_from_seed (seed, "disk");
  for (guint i = 0; i < G_N_ELEMENTS (layout->role_index); i++)
    layout->role_index[i] = -1;

  /* Names and labels as bootc's baseline install writes them. */
  guint64 pos = ALIGN;
  if (bios_boot)
    {
      add_partition (layout, seed, BERTH_DISK_ROLE_BIOS_BOOT, pos, bios_size,
                     BERTH_DISK_TYPE_BIOS_BOOT, "BIOS-BOOT", BERTH_DISK_FS_NONE, NULL);
      pos += bios_size;
    }
  add_partition (layout, seed, BERTH_DISK_ROLE_ESP, pos, esp_size, BERTH_DISK_TYPE_ESP,
                 "EFI-SYSTEM", BERTH_DISK_FS_VFAT, "EFI-SYSTEM");
  pos += esp_size;
  add_partition (layout, seed, BERTH_DISK_ROLE_BOOT, pos, boot_size, BERTH_DISK_TYPE_XBOOTLDR,
                 "boot", BERTH_DISK_FS_EXT4, "boot");
  if (opts->boot_legacy_bootable)
    layout->partitions[layout->role_index[BERTH_DISK_ROLE_BOOT]].attrs
      |= BERTH_DISK_ATTR_LEGACY_BIOS_BOOTABLE;
  pos += boot_size;
  add_partition (layout, seed, BERTH_DISK_ROLE_ROOT, pos, root_size, root_type, "root", root_fs,
                 "root");
  return g_steal_pointer (&layout);
}

const BerthDiskPartition *
berth_disk_layout_get (const BerthDiskLayout *layout, BerthDiskRole role)
{
  if ((guint)role >= G_N_ELEMENTS (layout->role_index) || layout->role_index[role] < 0)
    return NULL;
  return &layout->partitions[layout->role_index[role]];
}

GVariant *
berth_disk_layout_to_variant (const BerthDiskLayout *layout)
{
  GVariantBuilder parts;
  g_variant_builder_init (&parts, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < layout->n_partitions; i++)
    {
      const BerthDiskPartition *p = &layout->partitions[i];
      GVariantBuilder b;
      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "number", g_variant_new_uint32 (p->number));
      g_variant_builder_add (&b, "{sv}", "start", g_variant_new_uint64 (p->start));
      g_variant_builder_add (&b, "{sv}", "size", g_variant_new_uint64 (p->size));
      g_variant_builder_add (&b, "{sv}", "type", g_variant_new_string (p->type_guid));
      g_variant_builder_add (&b, "{sv}", "uuid", g_variant_new_string (p->uuid));
      g_variant_builder_add (&b, "{sv}", "name", g_variant_new_string (p->name));
      g_variant_builder_add (&b, "{sv}", "filesystem",
                             g_variant_new_string (berth_disk_fs_to_string (p->fs)));
      if (p->fs != BERTH_DISK_FS_NONE)
        {
          g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (p->fs_label));
          g_variant_builder_add (&b, "{sv}", "fs-uuid", g_variant_new_string (p->fs_uuid));
        }
      if (p->attrs != 0)
        g_variant_builder_add (&b, "{sv}", "attributes", g_variant_new_uint64 (p->attrs));
      g_variant_builder_add_value (&parts, g_variant_builder_end (&b));
    }
  GVariantBuilder top;
  g_variant_builder_init (&top, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&top, "{sv}", "disk-size", g_variant_new_uint64 (layout->disk_size));
  g_variant_builder_add (&top, "{sv}", "sector-size", g_variant_new_uint32 (layout->sector_size));
  g_variant_builder_add (&top, "{sv}", "arch", g_variant_new_string (layout->arch));
  g_variant_builder_add (&top, "{sv}", "disk-guid", g_variant_new_string (layout->disk_guid));
  g_variant_builder_add (&top, "{sv}", "partitions", g_variant_builder_end (&parts));
  return g_variant_builder_end (&top);
}

char *
berth_disk_layout_describe (const BerthDiskLayout *layout)
{
  g_autoptr (GString) s = g_string_new (NULL);
  for (guint i = 0; i < layout->n_partitions; i++)
    {
      const BerthDiskPartition *p = &layout->partitions[i];
      g_autofree char *start = size_to_string (p->start);
      g_autofree char *size = size_to_string (p->size);
      g_string_append_printf (s, "%u  %-10s  start %s  size %s  ", p->number, p->name, start, size);
      if (p->fs != BERTH_DISK_FS_NONE)
        g_string_append_printf (s, "%s \"%s\" %s  ", berth_disk_fs_to_string (p->fs), p->fs_label,
                                p->fs_uuid);
      else
        g_string_append (s, "no filesystem  ");
      if (p->attrs & BERTH_DISK_ATTR_LEGACY_BIOS_BOOTABLE)
        g_string_append (s, "LegacyBIOSBootable  ");
      g_string_append_printf (s, "type %s\n", p->type_guid);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
