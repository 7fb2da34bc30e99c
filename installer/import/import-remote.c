/* Ostree remotes for ostree-remote-* references (see import.h): read from an ostree remote file
 * with their keys, checked, and added to a repository. */
#include "import.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A remote file is a few lines; ostree's own are under 1 KiB. */
#define CONFIG_MAX (1024 * 1024)
/* An exported public key is a few KiB; a keyring of a distribution's keys well under 1 MiB. */
#define KEY_FILE_MAX (4 * 1024 * 1024)
/* gpgkeypath may name a directory (Fedora's /etc/pki/rpm-gpg/): at most this many files. */
#define KEY_DIR_MAX 256

void
berth_ostree_remote_free (BerthOstreeRemote *remote)
{
  if (remote == NULL)
    return;
  g_free (remote->name);
  g_free (remote->config_path);
  g_free (remote->url);
  g_clear_pointer (&remote->options, g_variant_unref);
  g_strfreev (remote->key_paths);
  g_clear_pointer (&remote->keys, g_ptr_array_unref);
  g_free (remote);
}

char *
berth_ostree_remote_group (const char *name)
{
  return g_strdup_printf ("remote \"%s\"", name);
}

/* The whole of the regular file @path, at most @max bytes. O_NONBLOCK: a FIFO named by a
 * config must not hang the install; it is refused as not a regular file. */
static GBytes *
read_capped (const char *path, gsize max, GError **error)
{
  berth_autofd fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return (berth_throw_errno (error, path), NULL);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return (berth_throw_errno (error, path), NULL);
  if (!S_ISREG (st.st_mode))
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s: not a regular file", path),
            NULL);
  if ((guint64)st.st_size > max)
    return (berth_throw (error, BERTH_ERROR_TOO_LARGE, "%s: larger than %" G_GSIZE_FORMAT " bytes",
                         path, max),
            NULL);
  g_autoptr (GByteArray) buf = g_byte_array_sized_new ((guint)st.st_size);
  guint8 chunk[65536];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return (berth_throw_errno (error, path), NULL);
      if (n == 0)
        break;
      if (buf->len + (gsize)n > max)
        return (berth_throw (error, BERTH_ERROR_TOO_LARGE,
                             "%s: larger than %" G_GSIZE_FORMAT " bytes", path, max),
                NULL);
      g_byte_array_append (buf, chunk, (guint)n);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/* The names of the remotes a file defines, for the error that says the one wanted is not
 * there: "[remote "a"], [remote "b"]", or "no [remote ...] section at all". */
static char *
list_remotes (GKeyFile *kf)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  for (char **g = groups; *g != NULL; g++)
    if (g_str_has_prefix (*g, "remote \""))
      g_ptr_array_add (found, g_strdup_printf ("[%s]", *g));
  if (found->len == 0)
    return g_strdup ("no [remote \"...\"] section at all");
  g_ptr_array_add (found, NULL);
  g_autofree char *list = g_strjoinv (", ", (char **)found->pdata);
  return g_strdup_printf ("only %s", list);
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* A key file gpgkeypath names, read. */
typedef struct
{
  char *path;
  GBytes *bytes;
  gboolean in_dir; /* found in a directory gpgkeypath names (which may hold other files) */
} KeySource;

static void
key_source_free (KeySource *k)
{
  g_free (k->path);
  g_bytes_unref (k->bytes);
  g_free (k);
}

static gboolean
add_key_file (GPtrArray *sources, const char *path, gboolean in_dir, GError **error)
{
  GBytes *bytes = read_capped (path, KEY_FILE_MAX, error);
  if (bytes == NULL)
    return FALSE;
  KeySource *k = g_new0 (KeySource, 1);
  k->path = g_strdup (path);
  k->bytes = bytes;
  k->in_dir = in_dir;
  g_ptr_array_add (sources, k);
  return TRUE;
}

/* One gpgkeypath entry: a file, or a directory whose regular files are each a key file (as
 * libostree reads them: one level down, nothing filtered by name; here sorted by name). */
static gboolean
add_key_path (GPtrArray *sources, const char *entry, GError **error)
{
  struct stat st;
  if (stat (entry, &st) < 0)
    return berth_throw_errno (error, entry);
  if (!S_ISDIR (st.st_mode))
    return add_key_file (sources, entry, FALSE, error);
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = g_dir_open (entry, 0, &local);
  if (dir == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s", local->message);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (entry, name, NULL);
      struct stat cst;
      if (lstat (child, &cst) == 0 && S_ISREG (cst.st_mode))
        g_ptr_array_add (names, g_steal_pointer (&child));
      if (names->len > KEY_DIR_MAX)
        return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                            "%s has more than %d files; name the key files themselves", entry,
                            KEY_DIR_MAX);
    }
  if (names->len == 0)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s is a directory without files",
                        entry);
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    if (!add_key_file (sources, names->pdata[i], TRUE, error))
      return FALSE;
  return TRUE;
}

/* Imports every key file into a scratch repository, one remote each, so a file gpgkeypath names
 * that holds no OpenPGP key (or is not one) is refused now, before any disk is written, naming
 * the file; such a file in a directory it names is left out, as libostree passes over it. What
 * holds keys becomes @remote's keys and key_paths. */
static gboolean
check_keys (BerthOstreeRemote *remote, GPtrArray *sources, GCancellable *cancellable,
            GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-keys-XXXXXX", &local);
  if (dir == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED, "%s", local->message);
  g_autoptr (GFile) dirf = g_file_new_for_path (dir);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (dirf);
  gboolean ok = ostree_repo_create (repo, OSTREE_REPO_MODE_ARCHIVE, cancellable, error);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; ok && i < sources->len; i++)
    {
      const KeySource *k = sources->pdata[i];
      g_autofree char *name = g_strdup_printf ("key%u", i);
      g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (k->bytes);
      guint n = 0;
      g_autoptr (GError) import_error = NULL;
      ok = ostree_repo_remote_add (repo, name, /* url= */ NULL, /* options= */ NULL, cancellable,
                                   error);
      if (!ok)
        break;
      if (!ostree_repo_remote_gpg_import (repo, name, in, /* key_ids= */ NULL, &n, cancellable,
                                          &import_error)
          || n == 0)
        {
          if (k->in_dir)
            {
              g_debug ("%s holds no OpenPGP key: left out", k->path);
              continue;
            }
          ok = berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "%s holds no OpenPGP public key (export one with gpg --export "
                            "KEYID)%s%s",
                            k->path, import_error ? "; libostree: " : "",
                            import_error ? import_error->message : "");
          break;
        }
      remote->n_keys += n;
      g_ptr_array_add (remote->keys, g_bytes_ref (k->bytes));
      g_ptr_array_add (paths, g_strdup (k->path));
    }
  if (ok && paths->len == 0)
    ok = berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                      "the files of its gpgkeypath hold no OpenPGP public key");
  g_ptr_array_add (paths, NULL);
  remote->key_paths = (char **)g_ptr_array_free (g_steal_pointer (&paths), FALSE);
  g_autoptr (GError) rm_error = NULL;
  if (!berth_spawn_simple (&rm_error, "rm", "-rf", "--one-file-system", "--", dir, NULL))
    g_debug ("removing %s: %s", dir, rm_error->message);
  return ok;
}

BerthOstreeRemote *
berth_ostree_remote_load (const char *name, const char *config_path, const char *remotes_d,
                          GCancellable *cancellable, GError **error)
{
  g_autoptr (BerthOstreeRemote) remote = g_new0 (BerthOstreeRemote, 1);
  remote->name = g_strdup (name);
  remote->from_host = config_path == NULL;
  remote->config_path
    = config_path != NULL
        ? g_strdup (config_path)
        : g_strdup_printf ("%s/%s.conf", remotes_d ? remotes_d : BERTH_OSTREE_REMOTES_D, name);
  remote->keys = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  const char *path = remote->config_path;
  g_autofree char *group = berth_ostree_remote_group (name);
  /* what fixes it, in every error below */
  g_autofree char *fix
    = remote->from_host
        ? g_strdup_printf ("pass --ostree-remote-config FILE, or create %s with a [%s] section "
                           "with url=, gpg-verify=true and gpgkeypath=KEYFILE",
                           path, group)
        : g_strdup_printf ("give --ostree-remote-config a file with a [%s] section with url=, "
                           "gpg-verify=true and gpgkeypath=KEYFILE",
                           group);

  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) contents = read_capped (path, CONFIG_MAX, &local);
  if (contents == NULL)
    {
      if (remote->from_host && g_error_matches (local, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                             "The image reference asks for the keys of ostree remote \"%s\", but "
                             "this machine has no %s: %s",
                             name, path, fix),
                NULL);
      return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                           "Ostree remote \"%s\": cannot read %s (%s): %s", name, path,
                           local->message, fix),
              NULL);
    }
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  gsize len = 0;
  const char *data = g_bytes_get_data (contents, &len);
  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &local))
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "Ostree remote \"%s\": %s is not an ostree remote file (%s): %s", name,
                         path, local->message, fix),
            NULL);
  if (!g_key_file_has_group (kf, group))
    {
      g_autofree char *have = list_remotes (kf);
      return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                           "Ostree remote \"%s\": %s has no [%s] section (it has %s): %s", name,
                           path, group, have, fix),
              NULL);
    }
  gboolean gpg_verify = TRUE;
  if (g_key_file_has_key (kf, group, "gpg-verify", NULL))
    {
      gpg_verify = g_key_file_get_boolean (kf, group, "gpg-verify", &local);
      if (local != NULL)
        return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                             "Ostree remote \"%s\" in %s: gpg-verify: %s", name, path,
                             local->message),
                NULL);
    }
  if (!gpg_verify)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "Ostree remote \"%s\" in %s says gpg-verify=false, but the image "
                         "reference asks for the commit's signature to be checked with its keys: "
                         "set gpg-verify=true",
                         name, path),
            NULL);
  g_autofree char *keypath = g_key_file_get_string (kf, group, "gpgkeypath", NULL);
  if (keypath != NULL)
    g_strstrip (keypath);
  if (keypath == NULL || *keypath == '\0')
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "Ostree remote \"%s\" in %s has no gpgkeypath=, so there is no key to "
                         "check the image's signature with: add gpgkeypath=KEYFILE (an OpenPGP "
                         "public key, as gpg --export KEYID writes it); berth never takes a key "
                         "from the image it verifies",
                         name, path),
            NULL);

  /* gpgkeypath: files or directories separated by ';' or ',' (libostree's separators);
   * relative ones are relative to the remote file's directory */
  g_autofree char *config_dir = g_path_get_dirname (path);
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func ((GDestroyNotify)key_source_free);
  g_auto (GStrv) entries = g_strsplit_set (keypath, ";,", -1);
  for (char **e = entries; *e != NULL; e++)
    {
      g_strstrip (*e);
      if (**e == '\0')
        continue;
      g_autofree char *entry
        = g_path_is_absolute (*e) ? g_strdup (*e) : g_build_filename (config_dir, *e, NULL);
      if (!add_key_path (sources, entry, &local))
        return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                             "Ostree remote \"%s\" in %s: its gpgkeypath names %s, which berth "
                             "cannot read (%s): make it a readable OpenPGP public key file",
                             name, path, entry, local->message),
                NULL);
    }
  if (sources->len == 0)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "Ostree remote \"%s\" in %s: gpgkeypath=%s names no file", name, path,
                         keypath),
            NULL);

  /* the other options as the file has them: url, contenturl, tls-*, ...; gpgkeypath is
   * replaced by the keys themselves (imported into the repository's keyring), since the paths
   * are this machine's */
  remote->url = g_key_file_get_string (kf, group, "url", NULL);
  g_autoptr (GVariantBuilder) b = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  g_auto (GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  for (char **k = keys; k != NULL && *k != NULL; k++)
    {
      if (g_str_equal (*k, "url") || g_str_equal (*k, "gpgkeypath")
          || g_str_equal (*k, "gpg-verify"))
        continue;
      g_autofree char *value = g_key_file_get_string (kf, group, *k, NULL);
      if (value != NULL)
        g_variant_builder_add (b, "{sv}", *k, g_variant_new_string (value));
    }
  g_variant_builder_add (b, "{sv}", "gpg-verify", g_variant_new_boolean (TRUE));
  remote->options = g_variant_ref_sink (g_variant_builder_end (b));

  if (!check_keys (remote, sources, cancellable, error))
    {
      g_prefix_error (error, "Ostree remote \"%s\" in %s: ", name, path);
      return NULL;
    }
  return g_steal_pointer (&remote);
}

GVariant *
berth_ostree_remote_options_with (const BerthOstreeRemote *remote, const char *key, GVariant *value)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (value);
  g_auto (GVariantDict) dict;
  g_variant_dict_init (&dict, remote->options);
  g_variant_dict_insert_value (&dict, key, owned);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

gboolean
berth_ostree_remote_add (OstreeRepo *repo, const BerthOstreeRemote *remote,
                         GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Adding ostree remote \"%s\" (from %s)", remote->name,
                           remote->config_path);
  if (!ostree_repo_remote_change (repo, /* sysroot= */ NULL, OSTREE_REPO_REMOTE_CHANGE_ADD,
                                  remote->name, remote->url, remote->options, cancellable, error))
    return FALSE;
  /* into REPO/NAME.trustedkeys.gpg, the keyring libostree looks for first */
  for (guint i = 0; i < remote->keys->len; i++)
    {
      g_autoptr (GInputStream) in = g_memory_input_stream_new_from_bytes (remote->keys->pdata[i]);
      if (!ostree_repo_remote_gpg_import (repo, remote->name, in, /* key_ids= */ NULL,
                                          /* out_imported= */ NULL, cancellable, error))
        return (g_prefix_error (error, "%s: ", remote->key_paths[i]), FALSE);
    }
  return TRUE;
}
