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

/* What each role is by default, as bootc's baseline names it. */
typedef struct
{
  const char *what; /* in messages: "The ESP size ..." */
  const char *name; /* GPT partition name */
  BerthDiskFs fs;
  const char *label;
} RoleDefaults;

static const RoleDefaults role_defaults[] = {
  [BERTH_DISK_ROLE_BIOS_BOOT] = { "BIOS boot", "BIOS-BOOT", BERTH_DISK_FS_NONE, NULL },
  [BERTH_DISK_ROLE_ESP] = { "ESP", "EFI-SYSTEM", BERTH_DISK_FS_VFAT, "EFI-SYSTEM" },
  [BERTH_DISK_ROLE_BOOT] = { "boot", "boot", BERTH_DISK_FS_EXT4, "boot" },
  [BERTH_DISK_ROLE_ROOT] = { "root", "root", BERTH_DISK_FS_XFS, "root" },
};

/* bootc's layout as volumes, from the options. */
static guint
default_volumes (const BerthDiskLayoutOptions *opts, gboolean x86, BerthDiskVolume *v)
{
  guint n = 0;
  if (x86 && !opts->no_bios_boot)
    v[n++] = (BerthDiskVolume){ .role = BERTH_DISK_ROLE_BIOS_BOOT, .size = BERTH_DISK_MiB };
  v[n++] = (BerthDiskVolume){ .role = BERTH_DISK_ROLE_ESP,
                              .size = opts->esp_size ? opts->esp_size : 512 * BERTH_DISK_MiB };
  v[n++] = (BerthDiskVolume){ .role = BERTH_DISK_ROLE_BOOT,
                              .size = opts->boot_size ? opts->boot_size : BERTH_DISK_GiB };
  v[n++] = (BerthDiskVolume){ .role = BERTH_DISK_ROLE_ROOT,
                              .size = opts->root_size,
                              .grow = opts->root_size == 0,
                              .fs = opts->root_fs };
  return n;
}

static gboolean
check_volumes (const BerthDiskVolume *v, guint n, gboolean x86, GError **error)
{
  guint seen[BERTH_DISK_ROLE_ROOT + 1] = { 0 };
  if (n == 0 || n > BERTH_DISK_MAX_PARTITIONS)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "A layout has 1 to %d partitions, not %u", BERTH_DISK_MAX_PARTITIONS, n);
  for (guint i = 0; i < n; i++)
    {
      if ((guint)v[i].role > BERTH_DISK_ROLE_ROOT)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "Unknown volume role %d",
                            v[i].role);
      const RoleDefaults *r = &role_defaults[v[i].role];
      if (seen[v[i].role]++ > 0)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "The layout has more than one %s partition", r->what);
      if (!check_aligned (r->what, v[i].size, error)
          || !check_aligned (r->what, v[i].max_size, error))
        return FALSE;
      if (v[i].encrypt)
        return berth_throw (error, BERTH_ERROR_REFUSED,
                            "The %s partition is to be encrypted: berth does not make LUKS "
                            "volumes yet (this host has no dm-crypt); leave out --encrypted",
                            r->what);
      if (v[i].role == BERTH_DISK_ROLE_BIOS_BOOT && !x86)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "A BIOS boot partition is for x86_64 only");
      BerthDiskFs fs = v[i].fs != BERTH_DISK_FS_NONE ? v[i].fs : r->fs;
      if (v[i].role == BERTH_DISK_ROLE_ROOT && fs == BERTH_DISK_FS_VFAT)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "The root filesystem cannot be vfat (xfs, ext4 or btrfs)");
      if (v[i].role == BERTH_DISK_ROLE_BOOT && fs == BERTH_DISK_FS_VFAT)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "/boot cannot be vfat: ostree's /boot needs symlinks (ext4 or xfs)");
      if (v[i].role == BERTH_DISK_ROLE_ESP && fs != BERTH_DISK_FS_VFAT)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "The ESP is vfat, not %s",
                            berth_disk_fs_to_string (fs));
      if (v[i].role == BERTH_DISK_ROLE_BIOS_BOOT && fs != BERTH_DISK_FS_NONE)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "A BIOS boot partition has no filesystem");
      if (!v[i].grow && v[i].size == 0)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "The %s partition has no size (give one, or let it grow)", r->what);
    }
  if (seen[BERTH_DISK_ROLE_ROOT] != 1)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "The layout has no root partition");
  return TRUE;
}

BerthDiskLayout *
berth_disk_layout_new (const BerthDiskLayoutOptions *opts, GError **error)
{
  g_return_val_if_fail (opts != NULL, NULL);

  guint32 ss = opts->sector_size ? opts->sector_size : 512;
  const char *root_type;
  gboolean x86;
  if (g_strcmp0 (opts->arch, "x86_64") == 0)
    root_type = BERTH_DISK_TYPE_ROOT_X86_64, x86 = TRUE;
  else if (g_strcmp0 (opts->arch, "aarch64") == 0)
    root_type = BERTH_DISK_TYPE_ROOT_ARM64, x86 = FALSE;
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
  BerthDiskVolume defaults[BERTH_DISK_MAX_PARTITIONS];
  const BerthDiskVolume *vols = opts->volumes;
  guint n = opts->n_volumes;
  if (vols == NULL)
    {
      n = default_volumes (opts, x86, defaults);
      vols = defaults;
    }
  if (!check_volumes (vols, n, x86, error))
    return NULL;

  /* The last byte a partition may use: before the backup GPT (entries array + header). */
  guint64 gpt_backup = GPT_ENTRIES_BYTES + ss;
  guint64 usable_end = opts->disk_size > gpt_backup ? opts->disk_size - gpt_backup : 0;
  usable_end -= usable_end % ALIGN;

  /* What each takes at least, for the size check: its size; the root also the image's. */
  guint64 image_min = (opts->image_size + ALIGN - 1) / ALIGN * ALIGN;
  guint64 mins[BERTH_DISK_MAX_PARTITIONS];
  guint64 fixed = 0;
  guint n_grow = 0;
  guint root_i = 0;
  for (guint i = 0; i < n; i++)
    {
      mins[i] = vols[i].size;
      if (vols[i].role == BERTH_DISK_ROLE_ROOT)
        {
          root_i = i;
          mins[i] = MAX (MAX (mins[i], image_min), ALIGN);
        }
      fixed += mins[i];
      n_grow += vols[i].grow;
    }
  guint64 needed = ALIGN + fixed + ALIGN; /* + the backup GPT, aligned */
  if (usable_end < ALIGN + fixed)
    {
      g_autofree char *need_s = size_to_string (needed);
      g_autofree char *have_s = size_to_string (opts->disk_size);
      const BerthDiskVolume *root_vol = &vols[root_i];
      guint64 root_min = MAX (MAX (root_vol->size, image_min), ALIGN);
      g_autofree char *root_s = size_to_string (root_min);
      g_autofree char *why = !root_vol->grow && root_vol->size >= opts->image_size
                               ? g_strdup_printf ("a root of %s as asked", root_s)
                               : g_strdup_printf ("a root that holds the image's %s", root_s);
      return (berth_throw (error, BERTH_ERROR_DISK_TOO_SMALL,
                           "The disk is too small: the layout needs at least %" G_GUINT64_FORMAT
                           " bytes (%s, with %s), the disk has %" G_GUINT64_FORMAT " bytes (%s)",
                           needed, need_s, why, opts->disk_size, have_s),
              NULL);
    }

  /* The sizes: fixed ones as asked (an explicit root size as asked, too), growing ones share
   * the rest equally (in whole MiB, the remainder to the last), each up to its max. */
  guint64 sizes[BERTH_DISK_MAX_PARTITIONS];
  for (guint i = 0; i < n; i++)
    sizes[i] = vols[i].grow ? mins[i] : vols[i].size;
  guint64 used = 0;
  for (guint i = 0; i < n; i++)
    used += sizes[i];
  guint64 left = usable_end - ALIGN > used ? usable_end - ALIGN - used : 0;
  gboolean capped[BERTH_DISK_MAX_PARTITIONS] = { FALSE };
  while (left >= ALIGN && n_grow > 0)
    {
      guint open = 0;
      for (guint i = 0; i < n; i++)
        open += vols[i].grow && !capped[i];
      if (open == 0)
        break;
      guint64 share = left / open / ALIGN * ALIGN;
      guint last = 0;
      for (guint i = 0; i < n; i++)
        if (vols[i].grow && !capped[i])
          last = i;
      guint64 given = 0;
      for (guint i = 0; i < n; i++)
        {
          if (!vols[i].grow || capped[i])
            continue;
          guint64 add = i == last ? (left - given) / ALIGN * ALIGN : share;
          if (vols[i].max_size != 0 && sizes[i] + add >= vols[i].max_size)
            {
              add = vols[i].max_size > sizes[i] ? vols[i].max_size - sizes[i] : 0;
              capped[i] = TRUE;
            }
          sizes[i] += add;
          given += add;
        }
      left -= given;
      if (given == 0)
        break;
    }

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
  static const char *const types[] = {
    [BERTH_DISK_ROLE_BIOS_BOOT] = BERTH_DISK_TYPE_BIOS_BOOT,
    [BERTH_DISK_ROLE_ESP] = BERTH_DISK_TYPE_ESP,
    [BERTH_DISK_ROLE_BOOT] = BERTH_DISK_TYPE_XBOOTLDR,
    [BERTH_DISK_ROLE_ROOT] = NULL,
  };
  guint64 pos = ALIGN;
  for (guint i = 0; i < n; i++)
    {
      const RoleDefaults *r = &role_defaults[vols[i].role];
      BerthDiskFs fs = vols[i].fs != BERTH_DISK_FS_NONE ? vols[i].fs : r->fs;
      add_partition (layout, seed, vols[i].role, pos, sizes[i],
                     types[vols[i].role] ? types[vols[i].role] : root_type, r->name, fs,
                     fs == BERTH_DISK_FS_NONE ? NULL
                     : vols[i].label          ? vols[i].label
                                              : r->label);
      if (vols[i].role == BERTH_DISK_ROLE_BOOT && opts->boot_legacy_bootable)
        layout->partitions[layout->n_partitions - 1].attrs |= BERTH_DISK_ATTR_LEGACY_BIOS_BOOTABLE;
      pos += sizes[i];
    }
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
