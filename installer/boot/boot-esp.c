/* The ESP through mtools, never mounted: kernels without vfat exist (this machine's, DESIGN.md
 * section 4), and it keeps vfat out of an initramfs that runs berth. systemd-repart fills vfat
 * the same way. */
#include "boot/boot-private.h"

#include <fcntl.h>
#include <string.h>

void
berth_esp_init (BerthEsp *esp, const char *device, guint64 offset)
{
  esp->device = g_strdup (device);
  /* mtools' partition offset syntax: FILE@@BYTES */
  esp->image
    = offset > 0 ? g_strdup_printf ("%s@@%" G_GUINT64_FORMAT, device, offset) : g_strdup (device);
}

void
berth_esp_clear (BerthEsp *esp)
{
  g_clear_pointer (&esp->image, g_free);
  g_clear_pointer (&esp->device, g_free);
}

/* `::/` + @path: mtools' name for a path on the drive given with -i. */
static char *
esp_path (const char *path)
{
  return g_strconcat ("::/", path, NULL);
}

static gboolean
esp_exists (BerthEsp *esp, const char *path, GCancellable *cancellable)
{
  g_autofree char *p = esp_path (path);
  /* -b: bare listing; exits non-zero when the path does not exist */
  const char *argv[] = { "mdir", "-b", "-i", esp->image, p, NULL };
  return berth_spawn_sync (argv, NULL, NULL, cancellable, NULL);
}

gboolean
berth_esp_mkdir_p (BerthEsp *esp, const char *dir, GCancellable *cancellable, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (dir, "/", -1);
  g_autoptr (GString) sofar = g_string_new (NULL);
  for (char **p = parts; *p != NULL; p++)
    {
      if (**p == '\0')
        continue;
      if (sofar->len > 0)
        g_string_append_c (sofar, '/');
      g_string_append (sofar, *p);
      if (esp_exists (esp, sofar->str, cancellable))
        continue;
      g_autofree char *target = esp_path (sofar->str);
      const char *argv[] = { "mmd", "-i", esp->image, target, NULL };
      if (!berth_spawn_sync (argv, NULL, NULL, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
berth_esp_install_file (BerthEsp *esp, const char *src, const char *dest, GCancellable *cancellable,
                        GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Writing %s to the ESP", dest);
  g_autofree char *tmp = g_strconcat (dest, ".tmp", NULL);
  g_autofree char *tmp_path = esp_path (tmp);
  g_autofree char *name = g_path_get_basename (dest);
  /* -D o: overwrite a leftover of an interrupted run instead of asking (stdin is /dev/null) */
  const char *copy[] = { "mcopy", "-D", "o", "-i", esp->image, src, tmp_path, NULL };
  if (!berth_spawn_sync (copy, NULL, NULL, cancellable, error))
    return FALSE;
  /* mren takes the new name within the same directory */
  const char *rename[] = { "mren", "-D", "o", "-i", esp->image, tmp_path, name, NULL };
  return berth_spawn_sync (rename, NULL, NULL, cancellable, error);
}

gboolean
berth_esp_install_contents (BerthEsp *esp, const char *contents, const char *dest,
                            GCancellable *cancellable, GError **error)
{
  g_autofree char *local = NULL;
  berth_autofd fd = g_file_open_tmp ("berth-esp-XXXXXX", &local, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = g_file_set_contents (local, contents, -1, error)
                && berth_esp_install_file (esp, local, dest, cancellable, error);
  (void)unlink (local);
  return ok;
}

gboolean
berth_esp_sync (BerthEsp *esp, GError **error)
{
  berth_autofd fd = open (esp->device, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_throw_errno (error, esp->device);
  if (fsync (fd) < 0)
    return berth_throw_errno (error, esp->device);
  return TRUE;
}
