/* The ESP through mtools, never mounted: kernels without vfat exist (this machine's, DESIGN.md
 * section 4), and it keeps vfat out of an initramfs that runs berth. systemd-repart fills vfat
 * the same way. */
#include "boot/boot-private.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void
berth_esp_init (BerthEsp *esp, const char *device, guint64 offset)
{
  esp->device = g_strdup (device);
  /* mtools' partition offset syntax: FILE@@BYTES */
  esp->image
    = offset > 0 ? g_strdup_printf ("%s@@%" G_GUINT64_FORMAT, device, offset) : g_strdup (device);
}

void
berth_esp_init_dir (BerthEsp *esp, const char *dir)
{
  esp->dir = g_strdup (dir);
  esp->device = g_strdup (dir);
}

void
berth_esp_clear (BerthEsp *esp)
{
  g_clear_pointer (&esp->image, g_free);
  g_clear_pointer (&esp->device, g_free);
  g_clear_pointer (&esp->dir, g_free);
}

/* A mounted ESP: the same steps with file operations. vfat has no symlinks or owners; names are
 * case-insensitive, so an existing EFI/Boot is reused as EFI/BOOT by the kernel's vfat. */
static gboolean
dir_install_file (BerthEsp *esp, const char *src, const char *dest, GError **error)
{
  g_autofree char *path = g_build_filename (esp->dir, dest, NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  /* CONSISTENT | DURABLE: a temporary file, fsync'd, renamed over @path */
  return g_file_get_contents (src, &contents, &len, error)
         && g_file_set_contents_full (path, contents, (gssize)len,
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                      0644, error);
}

/* `::/` + @path: mtools' name for a path on the drive given with -i. */
static char *
esp_path (const char *path)
{
  return g_strconcat ("::/", path, NULL);
}

/* The directories on the ESP, "EFI", "EFI/BOOT", ..., from one recursive listing. */
static void
esp_list_dirs (BerthEsp *esp, GHashTable *out, GCancellable *cancellable)
{
  /* -/: recursive; -b: bare, one path per line, directories ending in '/' */
  const char *argv[] = { "mdir", "-/", "-b", "-i", esp->image, "::/", NULL };
  g_autofree char *listing = NULL;
  /* mdir fails on an empty root directory: then there is nothing; a device mtools cannot read
   * fails the mmd that follows, with mtools' own message */
  if (!berth_spawn_sync (argv, NULL, &listing, cancellable, NULL))
    return;
  g_auto (GStrv) lines = g_strsplit (listing, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      char *line = g_strstrip (*l);
      if (g_str_has_prefix (line, "::/") && g_str_has_suffix (line, "/") && strlen (line) > 4)
        g_hash_table_add (out, g_strndup (line + 3, strlen (line) - 4));
    }
}

gboolean
berth_esp_mkdirs (BerthEsp *esp, const char *const *dirs, GCancellable *cancellable, GError **error)
{
  if (esp->dir != NULL)
    {
      for (const char *const *d = dirs; *d != NULL; d++)
        {
          g_autofree char *path = g_build_filename (esp->dir, *d, NULL);
          if (g_mkdir_with_parents (path, 0755) < 0)
            return berth_throw_errno (error, path);
        }
      return TRUE;
    }
  /* one listing, then one mmd of every missing directory, parents first: two mtools calls
   * instead of two per path component */
  g_autoptr (GHashTable) have = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  esp_list_dirs (esp, have, cancellable);
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  g_strv_builder_add_many (argv, "mmd", "-i", esp->image, NULL);
  gboolean any = FALSE;
  for (const char *const *d = dirs; *d != NULL; d++)
    {
      g_auto (GStrv) parts = g_strsplit (*d, "/", -1);
      g_autoptr (GString) sofar = g_string_new (NULL);
      for (char **part = parts; *part != NULL; part++)
        {
          if (**part == '\0')
            continue;
          if (sofar->len > 0)
            g_string_append_c (sofar, '/');
          g_string_append (sofar, *part);
          /* vfat names are case-insensitive: "EFI/Boot" is "EFI/BOOT" */
          gboolean found = g_hash_table_contains (have, sofar->str);
          GHashTableIter it;
          gpointer key;
          g_hash_table_iter_init (&it, have);
          while (!found && g_hash_table_iter_next (&it, &key, NULL))
            found = g_ascii_strcasecmp (key, sofar->str) == 0;
          if (found)
            continue;
          g_hash_table_add (have, g_strdup (sofar->str));
          g_autofree char *target = esp_path (sofar->str);
          g_strv_builder_add (argv, target);
          any = TRUE;
        }
    }
  if (!any)
    return TRUE;
  g_auto (GStrv) args = g_strv_builder_end (argv);
  return berth_spawn_sync ((const char *const *)args, NULL, NULL, cancellable, error);
}

gboolean
berth_esp_install_file (BerthEsp *esp, const char *src, const char *dest, GCancellable *cancellable,
                        GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Writing %s to the ESP", dest);
  if (esp->dir != NULL)
    return dir_install_file (esp, src, dest, error);
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
  if (esp->dir != NULL)
    {
      berth_autofd dfd = open (esp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0 || syncfs (dfd) < 0)
        return berth_throw_errno (error, esp->dir);
      return TRUE;
    }
  berth_autofd fd = open (esp->device, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_throw_errno (error, esp->device);
  if (fsync (fd) < 0)
    return berth_throw_errno (error, esp->device);
  return TRUE;
}
