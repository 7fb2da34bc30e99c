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

/* Symbolic links followed in one path, at most (the kernel's MAXSYMLINKS). */
#define MAX_LINKS 40

/* Pushes @path's components onto @todo, the first one last (it is popped first). */
static void
push_components (GPtrArray *todo, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  for (gint i = (gint)g_strv_length (parts) - 1; i >= 0; i--)
    if (*parts[i] != '\0' && !g_str_equal (parts[i], "."))
      g_ptr_array_add (todo, g_strdup (parts[i]));
}

static char *
join_below (const char *root, GPtrArray *components)
{
  g_autoptr (GString) s = g_string_new (root);
  for (guint i = 0; i < components->len; i++)
    {
      if (s->len == 0 || s->str[s->len - 1] != '/')
        g_string_append_c (s, '/');
      g_string_append (s, components->pdata[i]);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
berth_import_path_in_root (const char *root, const char *path, char **out_path, GError **error)
{
  g_autoptr (GPtrArray) todo = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) done = g_ptr_array_new_with_free_func (g_free);
  push_components (todo, path);
  guint n_links = 0;
  gboolean missing = FALSE;
  while (todo->len > 0)
    {
      g_autofree char *component = g_ptr_array_steal_index (todo, todo->len - 1);
      if (g_str_equal (component, "..") && missing)
        {
          /* as the kernel: a directory that does not exist has no "..". Taken lexically, the
           * rest would go unchecked, and a link in it could lead out of the root. */
          g_autofree char *host = join_below (root, done);
          return berth_throw_errno_code (error, ENOENT, host);
        }
      if (g_str_equal (component, ".."))
        {
          /* never above the root, as at / */
          if (done->len > 0)
            g_ptr_array_remove_index (done, done->len - 1);
          continue;
        }
      g_ptr_array_add (done, g_steal_pointer (&component));
      if (missing)
        continue;
      g_autofree char *host = join_below (root, done);
      struct stat st;
      if (lstat (host, &st) < 0)
        {
          if (errno != ENOENT && errno != ENOTDIR)
            return berth_throw_errno (error, host);
          missing = TRUE; /* the rest is only a name: opening it fails, naming it */
          continue;
        }
      if (!S_ISLNK (st.st_mode))
        continue;
      if (++n_links > MAX_LINKS)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "%s: more than %d symbolic links in the path", path, MAX_LINKS);
      g_autoptr (GError) local = NULL;
      g_autofree char *target = g_file_read_link (host, &local);
      if (target == NULL)
        return berth_throw (error, BERTH_ERROR_FAILED, "%s", local->message);
      /* the link is replaced by its target, an absolute one starting again at the root */
      g_ptr_array_remove_index (done, done->len - 1);
      if (g_path_is_absolute (target))
        g_ptr_array_set_size (done, 0);
      push_components (todo, target);
    }
  *out_path = join_below (root, done);
  return TRUE;
}

/* A key file gpgkeypath names (or a keyring), read. */
typedef struct
{
  char *path;  /* where it was read */
  char *shown; /* as messages and key_paths name it: @path, or the installed system's name */
  GBytes *bytes;
  /* a file that may hold no key: found in a directory gpgkeypath names (which may hold other
   * files), or a repository's keyring (which the other keys may make up for) */
  gboolean optional;
} KeySource;

static void
key_source_free (KeySource *k)
{
  g_free (k->path);
  g_free (k->shown);
  g_bytes_unref (k->bytes);
  g_free (k);
}

static gboolean
add_key_file (GPtrArray *sources, const char *path, const char *shown, gboolean optional,
              GError **error)
{
  GBytes *bytes = read_capped (path, KEY_FILE_MAX, error);
  if (bytes == NULL)
    return FALSE;
  KeySource *k = g_new0 (KeySource, 1);
  k->path = g_strdup (path);
  k->shown = g_strdup (shown);
  k->bytes = bytes;
  k->optional = optional;
  g_ptr_array_add (sources, k);
  return TRUE;
}

/* One gpgkeypath entry at @entry (@shown in messages): a file, or a directory whose regular
 * files are each a key file (as libostree reads them: one level down, nothing filtered by name;
 * here sorted by name; symlinks in it are passed over). */
static gboolean
add_key_path (GPtrArray *sources, const char *entry, const char *shown, GError **error)
{
  struct stat st;
  if (stat (entry, &st) < 0)
    return berth_throw_errno (error, shown);
  if (!S_ISDIR (st.st_mode))
    return add_key_file (sources, entry, shown, FALSE, error);
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
        g_ptr_array_add (names, g_strdup (name));
      if (names->len > KEY_DIR_MAX)
        return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                            "%s has more than %d files; name the key files themselves", shown,
                            KEY_DIR_MAX);
    }
  if (names->len == 0)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s is a directory without files",
                        shown);
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (entry, names->pdata[i], NULL);
      g_autofree char *child_shown = g_build_filename (shown, names->pdata[i], NULL);
      if (!add_key_file (sources, child, child_shown, TRUE, error))
        return FALSE;
    }
  return TRUE;
}

/* Adds the fingerprints of the keys remote @name of @repo has to @fingerprints, so a key two
 * files hold (a key file and the keyring made from it) counts once; when libostree cannot list
 * them, @n_imported placeholders instead. */
static void
count_keys (OstreeRepo *repo, const char *name, guint n_imported, GHashTable *fingerprints,
            GCancellable *cancellable)
{
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GError) local = NULL;
  if (!ostree_repo_remote_get_gpg_keys (repo, name, /* key_ids= */ NULL, &keys, cancellable,
                                        &local))
    {
      g_debug ("listing the keys of %s: %s", name, local->message);
      for (guint i = 0; i < n_imported; i++)
        g_hash_table_add (fingerprints, g_strdup_printf ("%s#%u", name, i));
      return;
    }
  for (guint i = 0; i < keys->len; i++)
    {
      /* OSTREE_GPG_KEY_GVARIANT_FORMAT: the first subkey is the primary key */
      g_autoptr (GVariant) subkeys = g_variant_get_child_value (keys->pdata[i], 0);
      const char *fpr = NULL;
      if (g_variant_n_children (subkeys) > 0)
        {
          g_autoptr (GVariant) primary = g_variant_get_child_value (subkeys, 0);
          (void)g_variant_lookup (primary, "fingerprint", "&s", &fpr);
        }
      g_hash_table_add (fingerprints,
                        fpr != NULL ? g_strdup (fpr) : g_strdup_printf ("%s#%u", name, i));
    }
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
  g_autoptr (GHashTable) fingerprints
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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
          if (k->optional)
            {
              g_debug ("%s holds no OpenPGP key: left out", k->path);
              continue;
            }
          ok = berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "%s holds no OpenPGP public key (export one with gpg --export "
                            "KEYID)%s%s",
                            k->shown, import_error ? "; libostree: " : "",
                            import_error ? import_error->message : "");
          break;
        }
      count_keys (repo, name, n, fingerprints, cancellable);
      g_ptr_array_add (remote->keys, g_bytes_ref (k->bytes));
      g_ptr_array_add (paths, g_strdup (k->shown));
    }
  if (ok && paths->len == 0)
    {
      g_autoptr (GString) files = g_string_new (NULL);
      for (guint i = 0; i < sources->len; i++)
        g_string_append_printf (files, "%s%s", i ? ", " : "",
                                ((const KeySource *)sources->pdata[i])->shown);
      ok = berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "no OpenPGP public key in the files of its gpgkeypath (%s)", files->str);
    }
  remote->n_keys = g_hash_table_size (fingerprints);
  g_ptr_array_add (paths, NULL);
  remote->key_paths = (char **)g_ptr_array_free (g_steal_pointer (&paths), FALSE);
  g_autoptr (GError) rm_error = NULL;
  if (!berth_spawn_simple (&rm_error, "rm", "-rf", "--one-file-system", "--", dir, NULL))
    g_debug ("removing %s: %s", dir, rm_error->message);
  return ok;
}

/* Where a remote's file is, for its messages and its gpgkeypath. */
typedef struct
{
  const char *shown; /* the file, as messages name it */
  /* gpgkeypath entries are paths inside @root (NULL: this machine's /), relative ones relative
   * to @dir (a directory inside @root) */
  const char *root;
  const char *dir;
  /* the keys may come from elsewhere too (the repository's keyring): a remote without
   * gpgkeypath, or whose gpgkeypath names nothing, is fine here */
  gboolean keypath_optional;
} RemoteFile;

/* The `[remote "NAME"]` group of @kf into @remote (url, options) and @sources (the files its
 * gpgkeypath names, read). */
static gboolean
read_remote_group (BerthOstreeRemote *remote, GKeyFile *kf, const RemoteFile *file,
                   GPtrArray *sources, GError **error)
{
  const char *name = remote->name, *path = file->shown;
  g_autofree char *group = berth_ostree_remote_group (name);
  g_autoptr (GError) local = NULL;
  gboolean gpg_verify = TRUE;
  if (g_key_file_has_key (kf, group, "gpg-verify", NULL))
    {
      gpg_verify = g_key_file_get_boolean (kf, group, "gpg-verify", &local);
      if (local != NULL)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "Ostree remote \"%s\" in %s: gpg-verify: %s", name, path,
                            local->message);
    }
  if (!gpg_verify)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Ostree remote \"%s\" in %s says gpg-verify=false, but the image "
                        "reference asks for the commit's signature to be checked with its keys: "
                        "set gpg-verify=true",
                        name, path);
  g_autofree char *keypath = g_key_file_get_string (kf, group, "gpgkeypath", NULL);
  if (keypath != NULL)
    g_strstrip (keypath);
  if ((keypath == NULL || *keypath == '\0') && !file->keypath_optional)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Ostree remote \"%s\" in %s has no gpgkeypath=, so there is no key to "
                        "check the image's signature with: add gpgkeypath=KEYFILE (an OpenPGP "
                        "public key, as gpg --export KEYID writes it); berth never takes a key "
                        "from the image it verifies",
                        name, path);

  /* gpgkeypath: files or directories separated by ';' or ',' (libostree's separators) */
  g_auto (GStrv) entries = g_strsplit_set (keypath != NULL ? keypath : "", ";,", -1);
  guint n_entries = 0;
  for (char **e = entries; *e != NULL; e++)
    {
      g_strstrip (*e);
      if (**e == '\0')
        continue;
      n_entries++;
      g_autofree char *entry
        = g_path_is_absolute (*e) ? g_strdup (*e) : g_build_filename (file->dir, *e, NULL);
      g_autofree char *real = NULL;
      if (file->root == NULL)
        real = g_strdup (entry);
      else if (!berth_import_path_in_root (file->root, entry, &real, &local))
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "Ostree remote \"%s\" in %s: its gpgkeypath names %s: %s", name, path,
                            entry, local->message);
      if (!add_key_path (sources, real, entry, &local))
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "Ostree remote \"%s\" in %s: its gpgkeypath names %s, which berth "
                            "cannot read (%s): make it a readable OpenPGP public key file",
                            name, path, entry, local->message);
    }
  if (n_entries == 0 && !file->keypath_optional)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Ostree remote \"%s\" in %s: gpgkeypath=%s names no file", name, path,
                        keypath);

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
  return TRUE;
}

static BerthOstreeRemote *
remote_new (const char *name, const char *config_path)
{
  BerthOstreeRemote *remote = g_new0 (BerthOstreeRemote, 1);
  remote->name = g_strdup (name);
  remote->config_path = g_strdup (config_path);
  remote->keys = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  return remote;
}

BerthOstreeRemote *
berth_ostree_remote_load (const char *name, const char *config_path, const char *remotes_d,
                          GCancellable *cancellable, GError **error)
{
  g_autofree char *host_path
    = config_path != NULL
        ? NULL
        : g_strdup_printf ("%s/%s.conf", remotes_d ? remotes_d : BERTH_OSTREE_REMOTES_D, name);
  g_autoptr (BerthOstreeRemote) remote
    = remote_new (name, config_path != NULL ? config_path : host_path);
  remote->from_host = config_path == NULL;
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
  /* relative gpgkeypath entries: relative to the remote file's directory */
  g_autofree char *config_dir = g_path_get_dirname (path);
  const RemoteFile file = { .shown = path, .root = NULL, .dir = config_dir };
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func ((GDestroyNotify)key_source_free);
  if (!read_remote_group (remote, kf, &file, sources, error))
    return NULL;
  if (!check_keys (remote, sources, cancellable, error))
    {
      g_prefix_error (error, "Ostree remote \"%s\" in %s: ", name, path);
      return NULL;
    }
  return g_steal_pointer (&remote);
}

/* ---- an installed system's remote ------------------------------------------------------- */

/* Where the system's ostree reads repository configs and keyrings, as it sees them. */
#define SYSTEM_REPO "/ostree/repo"

/* A definition of the remote on the installed system. */
typedef struct
{
  char *shown; /* "/etc/ostree/remotes.d/NAME.conf", "/ostree/repo/config" */
  GKeyFile *kf;
} Definition;

static void
definition_free (Definition *d)
{
  g_free (d->shown);
  g_key_file_unref (d->kf);
  g_free (d);
}

static void
add_definition (GPtrArray *found, const char *shown, GKeyFile *kf)
{
  Definition *d = g_new0 (Definition, 1);
  d->shown = g_strdup (shown);
  d->kf = g_key_file_ref (kf);
  g_ptr_array_add (found, d);
}

/* The *.conf files of the deployment's /etc/ostree/remotes.d that define @group, as libostree
 * on the booted system reads them (every regular file named *.conf). */
static gboolean
find_in_remotes_d (const char *deployment_path, const char *group, GPtrArray *found, GError **error)
{
  g_autofree char *dir = NULL;
  g_autoptr (GError) local = NULL;
  if (!berth_import_path_in_root (deployment_path, BERTH_OSTREE_REMOTES_D, &dir, error))
    return FALSE;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &local);
  if (d == NULL)
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      return berth_throw (error, BERTH_ERROR_FAILED, "%s", local->message);
    }
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".conf"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *shown = g_build_filename (BERTH_OSTREE_REMOTES_D, names->pdata[i], NULL);
      g_autofree char *path = NULL;
      if (!berth_import_path_in_root (deployment_path, shown, &path, error))
        return FALSE;
      struct stat st;
      if (stat (path, &st) < 0 || !S_ISREG (st.st_mode))
        continue;
      g_autoptr (GBytes) contents = read_capped (path, CONFIG_MAX, error);
      if (contents == NULL)
        return FALSE;
      g_autoptr (GKeyFile) kf = g_key_file_new ();
      gsize len = 0;
      const char *data = g_bytes_get_data (contents, &len);
      if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, &local))
        /* the booted system's libostree fails on it too */
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "The installed system's %s is not an ostree remote file (%s): fix "
                            "or remove it",
                            shown, local->message);
      if (g_key_file_has_group (kf, group))
        add_definition (found, shown, kf);
    }
  return TRUE;
}

BerthOstreeRemote *
berth_ostree_remote_load_installed (const char *name, const char *deployment_path, OstreeRepo *repo,
                                    GCancellable *cancellable, GError **error)
{
  g_autofree char *group = berth_ostree_remote_group (name);
  g_autofree char *conf = g_strdup_printf ("%s/%s.conf", BERTH_OSTREE_REMOTES_D, name);
  g_autofree char *fix
    = g_strdup_printf ("the installed system's %s needs a [%s] section with gpg-verify=true and "
                       "gpgkeypath=KEYFILE (berth install --ostree-remote-config writes one)",
                       conf, group);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify)definition_free);
  if (!find_in_remotes_d (deployment_path, group, found, error))
    return NULL;
  GKeyFile *repo_config = ostree_repo_get_config (repo);
  if (g_key_file_has_group (repo_config, group))
    add_definition (found, SYSTEM_REPO "/config", repo_config);
  if (found->len == 0)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "The system updates from an image whose commits must be signed by keys "
                         "of ostree remote \"%s\", but it does not define that remote (no [%s] "
                         "in its %s/*.conf nor in %s/config): %s",
                         name, group, BERTH_OSTREE_REMOTES_D, SYSTEM_REPO, fix),
            NULL);
  if (found->len > 1)
    {
      const Definition *a = found->pdata[0], *b = found->pdata[1];
      return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                           "Ostree remote \"%s\" is defined twice on the installed system, in %s "
                           "and in %s, and its libostree refuses that (\"Multiple specifications "
                           "found for remote\"): remove one of them",
                           name, a->shown, b->shown),
              NULL);
    }
  const Definition *def = found->pdata[0];
  g_autoptr (BerthOstreeRemote) remote = remote_new (name, def->shown);
  /* relative gpgkeypath entries: the remotes.d directory's (for a remote of the repo's config
   * there is no such directory; they are relative to /, where the system runs ostree) */
  const RemoteFile file = {
    .shown = def->shown,
    .root = deployment_path,
    .dir = g_str_has_prefix (def->shown, SYSTEM_REPO) ? "/" : BERTH_OSTREE_REMOTES_D,
    .keypath_optional = TRUE,
  };
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func ((GDestroyNotify)key_source_free);
  if (!read_remote_group (remote, def->kf, &file, sources, error))
    return NULL;

  /* the keyring libostree reads first: NAME.trustedkeys.gpg in the repository, else in the
   * remotes.d directory */
  g_autofree char *keyring = g_strdup_printf ("%s.trustedkeys.gpg", name);
  g_autofree char *in_repo
    = g_build_filename (g_file_peek_path (ostree_repo_get_path (repo)), keyring, NULL);
  g_autofree char *in_repo_shown = g_build_filename (SYSTEM_REPO, keyring, NULL);
  g_autofree char *in_etc_shown = g_build_filename (BERTH_OSTREE_REMOTES_D, keyring, NULL);
  g_autofree char *in_etc = NULL;
  if (!berth_import_path_in_root (deployment_path, in_etc_shown, &in_etc, error))
    return NULL;
  gboolean ok = TRUE;
  if (g_file_test (in_repo, G_FILE_TEST_IS_REGULAR))
    ok = add_key_file (sources, in_repo, in_repo_shown, TRUE, error);
  else if (g_file_test (in_etc, G_FILE_TEST_IS_REGULAR))
    ok = add_key_file (sources, in_etc, in_etc_shown, TRUE, error);
  if (!ok)
    return NULL;
  if (sources->len == 0)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "Ostree remote \"%s\" in %s has no key to check the image's signature "
                         "with: no gpgkeypath= and no keyring %s: %s",
                         name, def->shown, in_repo_shown, fix),
            NULL);
  if (!check_keys (remote, sources, cancellable, error))
    {
      g_prefix_error (error, "Ostree remote \"%s\" in %s: ", name, def->shown);
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

/* ---- a repository for the signature check ------------------------------------------------ */

void
berth_ostree_remote_repo_free (BerthOstreeRemoteRepo *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->repo);
  if (self->dir != NULL)
    {
      g_autoptr (GError) rm_error = NULL;
      if (!berth_spawn_simple (&rm_error, "rm", "-rf", "--one-file-system", "--", self->dir, NULL))
        g_debug ("removing %s: %s", self->dir, rm_error->message);
      g_free (self->dir);
    }
  g_free (self);
}

BerthOstreeRemoteRepo *
berth_ostree_remote_repo_new (const BerthOstreeRemote *remote, GCancellable *cancellable,
                              GError **error)
{
  g_autoptr (BerthOstreeRemoteRepo) self = g_new0 (BerthOstreeRemoteRepo, 1);
  g_autoptr (GError) local = NULL;
  self->dir = g_dir_make_tmp ("berth-remote-XXXXXX", &local);
  if (self->dir == NULL)
    return (berth_throw (error, BERTH_ERROR_FAILED, "%s", local->message), NULL);
  g_autoptr (GFile) dir = g_file_new_for_path (self->dir);
  self->repo = ostree_repo_new (dir);
  /* archive: no object is ever written here, and it needs no privileges */
  if (!ostree_repo_create (self->repo, OSTREE_REPO_MODE_ARCHIVE, cancellable, error)
      || !berth_ostree_remote_add (self->repo, remote, cancellable, error))
    return NULL;
  return g_steal_pointer (&self);
}
