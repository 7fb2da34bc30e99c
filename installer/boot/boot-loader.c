/* Which bootloader: names, per-architecture EFI names, the facts, the choice among the backends,
 * and the one entry point the installer calls. */
#include "boot/boot-private.h"

#include <stdarg.h>
#include <sys/stat.h>

static const char *const loader_names[] = {
  [BERTH_BOOTLOADER_AUTO] = "auto",
  [BERTH_BOOTLOADER_SYSTEMD_BOOT] = "systemd-boot",
  [BERTH_BOOTLOADER_GRUB] = "grub",
  [BERTH_BOOTLOADER_EXTLINUX] = "extlinux", /* U-Boot's distro boot */
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
                      "Unknown bootloader '%s' (expected auto, systemd-boot, grub, extlinux or "
                      "none)",
                      s);
}

static const char *const firmware_names[] = {
  [BERTH_BOOT_FIRMWARE_AUTO] = "auto",
  [BERTH_BOOT_FIRMWARE_UEFI] = "uefi",
  [BERTH_BOOT_FIRMWARE_BIOS] = "bios",
  [BERTH_BOOT_FIRMWARE_BOTH] = "both",
};

const char *
berth_boot_firmware_to_string (BerthBootFirmware firmware)
{
  if ((guint)firmware < G_N_ELEMENTS (firmware_names))
    return firmware_names[firmware];
  return "unknown";
}

gboolean
berth_boot_firmware_from_string (const char *s, BerthBootFirmware *out_firmware, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (firmware_names); i++)
    if (g_strcmp0 (s, firmware_names[i]) == 0)
      {
        *out_firmware = (BerthBootFirmware)i;
        return TRUE;
      }
  return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                      "Unknown firmware '%s' (expected auto, uefi, bios or both)", s);
}

/* UEFI spec 3.5.1.1 names the removable-media loader BOOT<machine type short name>.EFI;
 * systemd-boot, shim and refind use the same short names in lower case. GRUB's BIOS platform
 * exists on x86 only. */
static const BerthEfiArch efi_arches[] = {
  { "x86_64", "x64", "X64", "x86_64-efi", "i386-pc" },
  { "aarch64", "aa64", "AA64", "arm64-efi", NULL },
};

const BerthEfiArch *
berth_efi_arch_lookup (const char *arch)
{
  for (guint i = 0; i < G_N_ELEMENTS (efi_arches); i++)
    if (g_strcmp0 (arch, efi_arches[i].arch) == 0)
      return &efi_arches[i];
  return NULL;
}

/* ---- facts -------------------------------------------------------------------------------- */

struct BerthBootFacts
{
  char *arch;
  GHashTable *files; /* rel path -> GUINT_TO_POINTER (BerthBootFileType) */
};

BerthBootFacts *
berth_boot_facts_new (const char *arch)
{
  BerthBootFacts *f = g_new0 (BerthBootFacts, 1);
  f->arch = g_strdup (arch);
  f->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return f;
}

void
berth_boot_facts_free (BerthBootFacts *facts)
{
  if (facts == NULL)
    return;
  g_free (facts->arch);
  g_hash_table_unref (facts->files);
  g_free (facts);
}

void
berth_boot_facts_add (BerthBootFacts *facts, const char *rel, BerthBootFileType type)
{
  if (type == BERTH_BOOT_FILE_ABSENT)
    g_hash_table_remove (facts->files, rel);
  else
    g_hash_table_insert (facts->files, g_strdup (rel), GUINT_TO_POINTER (type));
}

BerthBootFileType
berth_boot_facts_get (const BerthBootFacts *facts, const char *rel)
{
  return (BerthBootFileType)GPOINTER_TO_UINT (g_hash_table_lookup (facts->files, rel));
}

const char *
berth_boot_facts_get_arch (const BerthBootFacts *facts)
{
  return facts->arch;
}

gboolean
berth_boot_facts_has_file (const BerthBootFacts *facts, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *rel = g_strdup_vprintf (fmt, args);
  va_end (args);
  return berth_boot_facts_get (facts, rel) == BERTH_BOOT_FILE_REGULAR;
}

gboolean
berth_boot_facts_has_dir (const BerthBootFacts *facts, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *rel = g_strdup_vprintf (fmt, args);
  va_end (args);
  return berth_boot_facts_get (facts, rel) == BERTH_BOOT_FILE_DIR;
}

/* g_strv_builder_take is GLib 2.80; Debian 12 has 2.74. */
static void
strv_take (GStrvBuilder *b, char *s)
{
  g_strv_builder_add (b, s);
  g_free (s);
}

char **
berth_boot_probe_paths (const char *arch)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  const BerthEfiArch *e = berth_efi_arch_lookup (arch);
  if (e != NULL)
    {
      strv_take (b, g_strdup_printf (BERTH_BOOT_SYSTEMD_BOOT_DIR "/systemd-boot%s.efi", e->efi));
      strv_take (b, g_strdup_printf (BERTH_BOOT_SHIM_DIR "/shim%s.efi.signed", e->efi));
      strv_take (b, g_strdup_printf (BERTH_BOOT_SHIM_DIR "/mm%s.efi.signed", e->efi));
      strv_take (b, g_strdup_printf (BERTH_BOOT_GRUB_LIB "/%s-signed/grub%s.efi.signed",
                                     e->grub_efi, e->efi));
      strv_take (b, g_strdup_printf (BERTH_BOOT_GRUB_LIB "/%s", e->grub_efi));
      if (e->grub_bios != NULL)
        strv_take (b, g_strdup_printf (BERTH_BOOT_GRUB_LIB "/%s", e->grub_bios));
    }
  /* GRUB's tools: grub-install for BIOS, grub-mkimage for a core image without shim, and what
   * regenerates the menu at every deploy (grub-mkconfig, ostree-boot's 15_ostree, which sources
   * /etc/default/grub; grub-probe finds a partition's disk through udevadm) */
  g_strv_builder_add_many (b, "usr/sbin/grub-install", "usr/bin/grub-mkimage",
                           "usr/sbin/grub-mkconfig", "etc/grub.d/15_ostree", "etc/default/grub",
                           "usr/bin/udevadm", NULL);
  /* bootupd's payload (Fedora-style GRUB with blscfg): the EFI tree, a signed shim in a
   * vendor's folder, the static config, Fedora's grub2-install for BIOS */
  g_strv_builder_add_many (b, BERTH_BOOT_BOOTUPD_EFI,
                           BERTH_BOOT_BOOTUPD_STATIC "/grub-static-pre.cfg",
                           BERTH_BOOT_BOOTUPD_STATIC "/grub-static-efi.cfg",
                           BERTH_BOOT_BOOTUPD_STATIC "/configs.d", "usr/sbin/grub2-install", NULL);
  for (const char *const *v = berth_boot_bootupd_vendors; e != NULL && *v != NULL; v++)
    strv_take (b, g_strdup_printf (BERTH_BOOT_BOOTUPD_EFI "/%s/shim%s.efi", *v, e->efi));
  return g_strv_builder_end (b);
}

BerthBootFacts *
berth_boot_facts_from_dir (const char *root, const char *arch)
{
  BerthBootFacts *f = berth_boot_facts_new (arch);
  g_auto (GStrv) paths = berth_boot_probe_paths (arch);
  for (char **p = paths; *p != NULL; p++)
    {
      g_autofree char *path = g_build_filename (root, *p, NULL);
      struct stat st;
      if (lstat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        berth_boot_facts_add (f, *p, BERTH_BOOT_FILE_DIR);
      else if (S_ISREG (st.st_mode) || S_ISLNK (st.st_mode))
        berth_boot_facts_add (f, *p, BERTH_BOOT_FILE_REGULAR);
    }
  return f;
}

/* ---- the choice --------------------------------------------------------------------------- */

/* AUTO's order, as bootc's: GRUB first when the image has it, then systemd-boot. extlinux is
 * not among them: bootc has no such loader, and nothing in an image says the machine's firmware
 * is U-Boot. */
static const BerthBootBackend *const auto_order[] = {
  &berth_boot_backend_grub,
  &berth_boot_backend_systemd_boot,
};

static const BerthBootBackend *const all_backends[] = {
  &berth_boot_backend_grub,
  &berth_boot_backend_systemd_boot,
  &berth_boot_backend_extlinux,
};

const BerthBootBackend *
berth_boot_backend_get (BerthBootloader loader)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_backends); i++)
    if (all_backends[i]->id == loader)
      return all_backends[i];
  return NULL;
}

void
berth_boot_decision_free (BerthBootDecision *decision)
{
  if (decision == NULL)
    return;
  g_free (decision->why);
  g_clear_pointer (&decision->notes, g_ptr_array_unref);
  g_free (decision);
}

static BerthBootDecision *
decision_new (BerthBootloader loader)
{
  BerthBootDecision *d = g_new0 (BerthBootDecision, 1);
  d->loader = loader;
  d->backend = berth_boot_backend_get (loader);
  d->sysroot_bootloader = d->backend != NULL ? d->backend->sysroot_bootloader : NULL;
  d->notes = g_ptr_array_new_with_free_func (g_free);
  return d;
}

static gboolean
allowed (const BerthBootWants *wants, BerthBootloader loader)
{
  return wants->allowed == 0 || (wants->allowed & (1u << loader)) != 0;
}

gboolean
berth_boot_decide (BerthBootloader requested, const BerthBootFacts *facts,
                   const BerthBootWants *wants, BerthBootDecision **out_decision, GError **error)
{
  if (requested == BERTH_BOOTLOADER_NONE)
    {
      g_autoptr (BerthBootDecision) d = decision_new (BERTH_BOOTLOADER_NONE);
      d->why = g_strdup ("--bootloader none: the BLS entries only, the user brings a bootloader");
      *out_decision = g_steal_pointer (&d);
      return TRUE;
    }
  const char *arch = facts->arch;
  if (berth_efi_arch_lookup (arch) == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "No bootloader support for architecture '%s' (x86_64, aarch64)", arch);

  if (requested != BERTH_BOOTLOADER_AUTO)
    {
      const BerthBootBackend *b = berth_boot_backend_get (requested);
      g_return_val_if_fail (b != NULL, FALSE);
      g_autofree char *what = NULL;
      if (!b->carries (facts, &what))
        return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                            "--bootloader %s: the image does not carry it (%s); use another "
                            "--bootloader, or none",
                            b->name, what);
      g_autoptr (BerthBootDecision) d = decision_new (requested);
      d->why = g_strdup_printf ("--bootloader %s; the image has %s", b->name, what);
      if (!b->decide (facts, wants, d, error))
        return FALSE;
      *out_decision = g_steal_pointer (&d);
      return TRUE;
    }

  /* AUTO: the first backend the image carries and the layout allows; a backend that refuses
   * what was asked (BIOS, Secure Boot) gives way to the next, and its reason is kept for the
   * error when none is left. */
  g_autoptr (GString) reasons = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (auto_order); i++)
    {
      const BerthBootBackend *b = auto_order[i];
      g_autofree char *what = NULL;
      if (!b->carries (facts, &what))
        {
          g_string_append_printf (reasons, "%s%s: the image does not carry it (%s)",
                                  reasons->len ? "; " : "", b->name, what);
          continue;
        }
      if (!allowed (wants, b->id))
        {
          g_string_append_printf (reasons,
                                  "%s%s: the image has it, but the layout does not suit "
                                  "it",
                                  reasons->len ? "; " : "", b->name);
          continue;
        }
      g_autoptr (BerthBootDecision) d = decision_new (b->id);
      d->why = g_strdup_printf ("the image has %s (auto: %s)", what,
                                i == 0 ? "GRUB first, as bootc" : "the image has no GRUB EFI");
      g_autoptr (GError) local_error = NULL;
      if (!b->decide (facts, wants, d, &local_error))
        {
          g_string_append_printf (reasons, "%s%s: %s", reasons->len ? "; " : "", b->name,
                                  local_error->message);
          continue;
        }
      *out_decision = g_steal_pointer (&d);
      return TRUE;
    }
  return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                      "No bootloader berth can install for this image: %s. Use --bootloader "
                      "none to write the BLS entries only",
                      reasons->str);
}

char *
berth_boot_decision_describe (const BerthBootDecision *d)
{
  if (d->loader == BERTH_BOOTLOADER_NONE)
    return g_strdup ("none (the BLS entries only)");
  g_autoptr (GString) s = g_string_new (berth_bootloader_to_string (d->loader));
  g_string_append (s, d->grub_static ? " (bootupd's static config, blscfg):" : ":");
  if (d->uefi)
    g_string_append_printf (s, " UEFI%s%s",
                            d->grub_core_image ? " (a core image from the image's modules)" : "",
                            d->secure_boot ? " with Secure Boot (shim, signed loader)" : "");
  if (d->bios)
    g_string_append_printf (s, "%s BIOS", d->uefi ? " and" : "");
  if (!d->uefi && !d->bios && d->backend != NULL && d->backend->installs != NULL)
    g_string_append_printf (s, " %s", d->backend->installs);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
berth_boot_check_layout (BerthBootloader loader, const BerthBootLayout *layout, guint *out_allowed,
                         GError **error)
{
  if (loader == BERTH_BOOTLOADER_NONE)
    {
      if (out_allowed != NULL)
        *out_allowed = 1u << BERTH_BOOTLOADER_NONE;
      return TRUE;
    }
  if (loader != BERTH_BOOTLOADER_AUTO)
    {
      const BerthBootBackend *b = berth_boot_backend_get (loader);
      g_return_val_if_fail (b != NULL, FALSE);
      if (!b->check_layout (layout, error))
        return FALSE;
      if (out_allowed != NULL)
        *out_allowed = 1u << loader;
      return TRUE;
    }
  guint ok = 0;
  g_autoptr (GString) reasons = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (auto_order); i++)
    {
      g_autoptr (GError) local_error = NULL;
      if (auto_order[i]->check_layout (layout, &local_error))
        ok |= 1u << auto_order[i]->id;
      else
        g_string_append_printf (reasons, "%s%s", reasons->len ? "\n" : "", local_error->message);
    }
  if (ok == 0)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "No bootloader berth installs can boot this "
                        "layout:\n%s",
                        reasons->str);
  if (out_allowed != NULL)
    *out_allowed = ok;
  return TRUE;
}

void
berth_esp_init_from (BerthEsp *esp, const BerthBootInstallOptions *options)
{
  if (options->esp_dir != NULL)
    berth_esp_init_dir (esp, options->esp_dir);
  else
    berth_esp_init (esp, options->esp_device, options->esp_offset);
}

gboolean
berth_boot_install (const BerthBootDecision *decision, const BerthBootInstallOptions *options,
                    GCancellable *cancellable, GError **error)
{
  if (decision->loader == BERTH_BOOTLOADER_NONE)
    return TRUE;
  if (decision->backend == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "berth_boot_install: resolve '%s' with berth_boot_decide first",
                        berth_bootloader_to_string (decision->loader));
  return decision->backend->install (decision, options, cancellable, error);
}

gboolean
berth_boot_prepare (const BerthBootDecision *decision, const BerthBootInstallOptions *options,
                    GCancellable *cancellable, GError **error)
{
  if (decision->backend == NULL || decision->backend->prepare == NULL)
    return TRUE;
  return decision->backend->prepare (decision, options, cancellable, error);
}
