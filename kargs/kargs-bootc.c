/* bootc's image configuration: /usr/lib/bootc/kargs.d/ and /usr/lib/bootc/install/, and the
 * command line of a new install assembled from them in bootc's order.
 *
 * Facts from bootc (bootc-dev/bootc; read, not copied):
 *  - crates/lib/src/bootc_kargs.rs: kargs.d `Config` is serde deny_unknown_fields +
 *    kebab-case, `kargs` required, `match-architectures` optional, compared with Rust's
 *    std::env::consts::ARCH; only names with the extension "toml", sorted by name; a file's
 *    strings are joined with " " and parsed as one command line; files are combined with
 *    Cmdline::extend, which adds an argument only if no equal one is there.
 *  - crates/lib/src/install/config.rs: files merged in name order; a file whose
 *    match-architectures lacks the arch is skipped whole; later files override settings;
 *    kargs and karg-deletes are appended; [install.filesystem.root] type beats the older
 *    root-fs-type whatever the file order; unknown keys are errors except inside
 *    [install.ostree], where bootc only warns.
 *  - crates/lib/src/install.rs: root=SPEC [rootflags] rw boot=SPEC, then install config kargs
 *    (each string parsed on its own), then kargs.d, then deletes (KEY=VALUE removes equal
 *    arguments, KEY every argument with the key), then --karg; an empty root or boot mount
 *    spec omits that argument (bootc issue 1441).
 */
#include "kargs-private.h"
#include "util/util-toml.h"

#include <string.h>

const char *
berth_kargs_host_arch (void)
{
  /* Rust's names (std::env::consts::ARCH), not uname's: ppc64le is "powerpc64". */
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__powerpc64__)
  return "powerpc64";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv)
#if __riscv_xlen == 64
  return "riscv64";
#else
  return "riscv32";
#endif
#elif defined(__loongarch64)
  return "loongarch64";
#elif defined(__i386__)
  return "x86";
#elif defined(__arm__)
  return "arm";
#else
  return "unknown";
#endif
}

static const char *
basename_of (const char *name)
{
  const char *base = strrchr (name, '/');
  return base != NULL ? base + 1 : name;
}

/* Rust's Path::extension() == "toml": ".toml" alone is a hidden file with no extension. */
static gboolean
is_toml_name (const char *name)
{
  const char *base = basename_of (name);
  return strlen (base) > strlen (".toml") && g_str_has_suffix (base, ".toml");
}

static int
compare_file_names (gconstpointer a, gconstpointer b)
{
  const BerthKargsFile *fa = *(const BerthKargsFile *const *)a;
  const BerthKargsFile *fb = *(const BerthKargsFile *const *)b;
  return strcmp (basename_of (fa->name), basename_of (fb->name));
}

/* The ".toml" files of @files, in byte order of their names (as Rust sorts strings). */
static GPtrArray *
sorted_toml_files (const BerthKargsFile *files, guint n_files)
{
  GPtrArray *sorted = g_ptr_array_new ();
  for (guint i = 0; i < n_files; i++)
    if (is_toml_name (files[i].name))
      g_ptr_array_add (sorted, (gpointer)&files[i]);
  /* Stable (GLib >= 2.32), so equal names keep the caller's order. */
  g_ptr_array_sort (sorted, compare_file_names);
  return sorted;
}

static gboolean
strv_contains_toml (const BerthTomlValue *array, const char *word)
{
  const char *const *items = berth_toml_value_get_strv (array, NULL);
  return g_strv_contains (items, word);
}

static gboolean
check_string_array (const BerthToml *doc, const BerthTomlValue *value, const char *key,
                    GError **error)
{
  return berth_toml_check_type (doc, value, key, BERTH_TOML_STRING_ARRAY, error);
}

/* ---- kargs.d --------------------------------------------------------------------------- */

gboolean
berth_kargs_d_parse (const char *name, const char *contents, gsize length, const char *arch,
                     BerthKargs **out_kargs, GError **error)
{
  g_autoptr (BerthToml) doc = berth_toml_parse (name, contents, length, error);
  if (doc == NULL)
    return FALSE;
  const BerthTomlValue *root = berth_toml_get_root (doc);

  const BerthTomlValue *kargs_value = NULL, *arches = NULL;
  for (guint i = 0; i < berth_toml_table_get_size (root); i++)
    {
      const char *key;
      const BerthTomlValue *value = berth_toml_table_get_nth (root, i, &key);
      if (g_str_equal (key, "kargs"))
        kargs_value = value;
      else if (g_str_equal (key, "match-architectures"))
        arches = value;
      else
        return berth_toml_throw_at (error, doc, berth_toml_value_get_line (value),
                                    "unknown key '%s' (a kargs.d file has only 'kargs' and "
                                    "'match-architectures')",
                                    key);
    }
  if (kargs_value == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "%s: the required key 'kargs' is missing", name);
  if (!check_string_array (doc, kargs_value, "kargs", error))
    return FALSE;
  if (arches != NULL && !check_string_array (doc, arches, "match-architectures", error))
    return FALSE;

  if (arches != NULL && !strv_contains_toml (arches, arch))
    {
      *out_kargs = NULL;
      return TRUE;
    }

  /* bootc joins the strings with spaces and parses the result, so an argument may span two
   * strings (an unbalanced quote); each argument is labelled with the line of the string it
   * starts in. */
  guint n;
  const char *const *items = berth_toml_value_get_strv (kargs_value, &n);
  g_autoptr (GString) joined = g_string_new (NULL);
  g_autoptr (GArray) starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (joined, ' ');
      gsize start = joined->len;
      g_array_append_val (starts, start);
      g_string_append (joined, items[i]);
    }

  g_autoptr (BerthKargs) kargs = berth_kargs_new ();
  g_autoptr (GArray) tokens = berth_kargs_tokenize (joined->str);
  guint item = 0;
  for (guint i = 0; i < tokens->len; i++)
    {
      const BerthKargsToken *t = &g_array_index (tokens, BerthKargsToken, i);
      while (item + 1 < n && g_array_index (starts, gsize, item + 1) <= t->start)
        item++;
      BerthKargsSource source = {
        .kind = BERTH_KARGS_SOURCE_KARGS_D,
        .file = name,
        .line = berth_toml_value_get_element_line (kargs_value, item),
      };
      berth_kargs_take (kargs, berth_karg_new (joined->str + t->start, t->len, &source));
    }
  *out_kargs = g_steal_pointer (&kargs);
  return TRUE;
}

BerthKargs *
berth_kargs_d_load_files (const BerthKargsFile *files, guint n_files, const char *arch,
                          GPtrArray **out_skipped, GError **error)
{
  g_autoptr (GPtrArray) sorted = sorted_toml_files (files, n_files);
  g_autoptr (GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (BerthKargs) kargs = berth_kargs_new ();
  for (guint i = 0; i < sorted->len; i++)
    {
      const BerthKargsFile *f = sorted->pdata[i];
      g_autoptr (BerthKargs) one = NULL;
      if (!berth_kargs_d_parse (f->name, f->contents, f->length, arch, &one, error))
        return NULL;
      if (one == NULL)
        g_ptr_array_add (skipped, g_strdup (f->name));
      else
        berth_kargs_extend (kargs, one);
    }
  if (out_skipped != NULL)
    *out_skipped = g_steal_pointer (&skipped);
  return g_steal_pointer (&kargs);
}

/* The ".toml" files of @dir as (name, bytes); an empty array when @dir does not exist. */
static gboolean
read_toml_dir (GFile *dir, const char *image_dir, GPtrArray **out_names, GPtrArray **out_data,
               GArray **out_files, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) data = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) files = g_array_new (FALSE, FALSE, sizeof (BerthKargsFile));
  g_autoptr (GError) local_error = NULL;

  g_autoptr (GFileEnumerator) e
    = g_file_enumerate_children (dir,
                                 G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE
                                                                "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                 G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, &local_error);
  g_autofree char *dir_label = g_file_get_parse_name (dir);
  if (e == NULL && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "Reading %s: ", dir_label);
      return FALSE;
    }

  /* A directory of thousands of files is not a configuration. */
  const guint max_files = 4096;
  while (e != NULL)
    {
      GFileInfo *info = NULL;
      GFile *child = NULL;
      if (!g_file_enumerator_iterate (e, &info, &child, cancellable, error))
        {
          g_prefix_error (error, "Reading %s: ", dir_label);
          return FALSE;
        }
      if (info == NULL)
        break;
      const char *name = g_file_info_get_name (info);
      if (!is_toml_name (name))
        continue;
      g_autofree char *path = g_file_get_path (child);
      g_autofree char *label
        = path != NULL ? g_strdup (path) : g_build_filename ("/", image_dir, name, NULL);
      GFileType type = g_file_info_get_file_type (info);
      if (type == G_FILE_TYPE_SYMBOLIC_LINK)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "%s: is a symbolic link (not followed: it could point out of the "
                            "image)",
                            label);
      if (type != G_FILE_TYPE_REGULAR)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s: is not a regular file",
                            label);
      if (g_file_info_get_size (info) > BERTH_KARGS_FILE_MAX)
        return berth_throw (error, BERTH_ERROR_TOO_LARGE, "%s: larger than %d bytes", label,
                            BERTH_KARGS_FILE_MAX);
      if (names->len >= max_files)
        return berth_throw (error, BERTH_ERROR_TOO_LARGE, "%s: more than %u .toml files", image_dir,
                            max_files);
      char *contents = NULL;
      gsize len = 0;
      if (!g_file_load_contents (child, cancellable, &contents, &len, NULL, error))
        {
          g_prefix_error (error, "Reading %s: ", label);
          return FALSE;
        }
      g_ptr_array_add (data, contents);
      if (len > BERTH_KARGS_FILE_MAX)
        return berth_throw (error, BERTH_ERROR_TOO_LARGE, "%s: larger than %d bytes", label,
                            BERTH_KARGS_FILE_MAX);
      g_ptr_array_add (names, g_steal_pointer (&label));
      BerthKargsFile f
        = { .name = names->pdata[names->len - 1], .contents = contents, .length = len };
      g_array_append_val (files, f);
    }

  *out_names = g_steal_pointer (&names);
  *out_data = g_steal_pointer (&data);
  *out_files = g_steal_pointer (&files);
  return TRUE;
}

BerthKargs *
berth_kargs_d_load_dir (GFile *dir, const char *arch, GPtrArray **out_skipped,
                        GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GPtrArray) data = NULL;
  g_autoptr (GArray) files = NULL;
  if (!read_toml_dir (dir, BERTH_KARGS_D_DIR, &names, &data, &files, cancellable, error))
    return NULL;
  return berth_kargs_d_load_files ((const BerthKargsFile *)(void *)files->data, files->len, arch,
                                   out_skipped, error);
}

/* ---- install configuration ------------------------------------------------------------- */

static void
config_value_clear (BerthKargsConfigValue *v)
{
  g_clear_pointer (&v->value, g_free);
  g_clear_pointer (&v->file, g_free);
  v->line = 0;
}

static void
config_value_set (BerthKargsConfigValue *v, const char *value, const char *file, guint line)
{
  config_value_clear (v);
  v->value = g_strdup (value);
  v->file = g_strdup (file);
  v->line = line;
}

static void
config_ignored_free (BerthKargsConfigIgnored *ignored)
{
  g_free (ignored->file);
  g_free (ignored->key);
  g_free (ignored);
}

BerthKargsInstallConfig *
berth_kargs_install_config_new (void)
{
  BerthKargsInstallConfig *config = g_new0 (BerthKargsInstallConfig, 1);
  config->kargs = berth_kargs_new ();
  config->karg_deletes = berth_kargs_new ();
  config->ignored = g_ptr_array_new_with_free_func ((GDestroyNotify)config_ignored_free);
  config->files = g_ptr_array_new_with_free_func (g_free);
  config->skipped = g_ptr_array_new_with_free_func (g_free);
  return config;
}

void
berth_kargs_install_config_free (BerthKargsInstallConfig *config)
{
  if (config == NULL)
    return;
  berth_kargs_free (config->kargs);
  berth_kargs_free (config->karg_deletes);
  config_value_clear (&config->root_mount_spec);
  config_value_clear (&config->boot_mount_spec);
  config_value_clear (&config->stateroot);
  config_value_clear (&config->root_fs_type);
  config_value_clear (&config->bootloader);
  g_ptr_array_unref (config->ignored);
  g_ptr_array_unref (config->files);
  g_ptr_array_unref (config->skipped);
  g_free (config);
}

/* One file's settings, before merging. */
typedef struct
{
  BerthKargsInstallConfig *c;    /* kargs, karg_deletes, the mount specs, stateroot, ignored */
  BerthKargsConfigValue fs_type; /* [install.filesystem.root] type */
  BerthKargsConfigValue legacy_fs_type; /* [install] root-fs-type */
  const BerthTomlValue *arches;         /* valid while the document is */
  gboolean matched;                     /* match-architectures is absent or names the arch */
} FileConfig;

static void
file_config_clear (FileConfig *fc)
{
  g_clear_pointer (&fc->c, berth_kargs_install_config_free);
  config_value_clear (&fc->fs_type);
  config_value_clear (&fc->legacy_fs_type);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FileConfig, file_config_clear)
static void
note_ignored (FileConfig *fc, const BerthToml *doc, const BerthTomlValue *value, const char *key)
{
  BerthKargsConfigIgnored *ignored = g_new0 (BerthKargsConfigIgnored, 1);
  ignored->file = g_strdup (berth_toml_get_filename (doc));
  ignored->line = berth_toml_value_get_line (value);
  ignored->key = g_strdup (key);
  g_ptr_array_add (fc->c->ignored, ignored);
}

static gboolean
check_enum (const BerthToml *doc, const BerthTomlValue *value, const char *key,
            const char *const *allowed, GError **error)
{
  if (!berth_toml_check_type (doc, value, key, BERTH_TOML_STRING, error))
    return FALSE;
  const char *s = berth_toml_value_get_string (value);
  if (g_strv_contains (allowed, s))
    return TRUE;
  g_autofree char *list = g_strjoinv (", ", (char **)allowed);
  return berth_toml_throw_at (error, doc, berth_toml_value_get_line (value),
                              "%s: unknown value '%s' (expected one of: %s)", key, s, list);
}

static const char *const filesystems[] = { "xfs", "ext4", "btrfs", NULL };

static gboolean
unknown_key (const BerthToml *doc, const BerthTomlValue *value, const char *table, const char *key,
             GError **error)
{
  return berth_toml_throw_at (error, doc, berth_toml_value_get_line (value),
                              "unknown key '%s' in [%s] (bootc's install configuration has no "
                              "such key)",
                              key, table);
}

/* Each string of @value parsed on its own (install.rs: Cmdline::from per string). */
static void
append_strings (BerthKargs *into, const BerthToml *doc, const BerthTomlValue *value)
{
  guint n;
  const char *const *items = berth_toml_value_get_strv (value, &n);
  for (guint i = 0; i < n; i++)
    {
      BerthKargsSource source = {
        .kind = BERTH_KARGS_SOURCE_INSTALL_CONFIG,
        .file = berth_toml_get_filename (doc),
        .line = berth_toml_value_get_element_line (value, i),
      };
      berth_kargs_append (into, items[i], &source);
    }
}

static gboolean
set_string (BerthKargsConfigValue *into, const BerthToml *doc, const BerthTomlValue *value,
            const char *key, GError **error)
{
  if (!berth_toml_check_type (doc, value, key, BERTH_TOML_STRING, error))
    return FALSE;
  config_value_set (into, berth_toml_value_get_string (value), berth_toml_get_filename (doc),
                    berth_toml_value_get_line (value));
  return TRUE;
}

static gboolean
parse_filesystem (FileConfig *fc, const BerthToml *doc, const BerthTomlValue *fs, GError **error)
{
  if (!berth_toml_check_type (doc, fs, "install.filesystem", BERTH_TOML_TABLE, error))
    return FALSE;
  for (guint i = 0; i < berth_toml_table_get_size (fs); i++)
    {
      const char *key;
      const BerthTomlValue *v = berth_toml_table_get_nth (fs, i, &key);
      if (!g_str_equal (key, "root"))
        return unknown_key (doc, v, "install.filesystem", key, error);
      if (!berth_toml_check_type (doc, v, "install.filesystem.root", BERTH_TOML_TABLE, error))
        return FALSE;
      for (guint j = 0; j < berth_toml_table_get_size (v); j++)
        {
          const char *rkey;
          const BerthTomlValue *rv = berth_toml_table_get_nth (v, j, &rkey);
          if (!g_str_equal (rkey, "type"))
            return unknown_key (doc, rv, "install.filesystem.root", rkey, error);
          if (!check_enum (doc, rv, "install.filesystem.root.type", filesystems, error))
            return FALSE;
          config_value_set (&fc->fs_type, berth_toml_value_get_string (rv),
                            berth_toml_get_filename (doc), berth_toml_value_get_line (rv));
        }
    }
  return TRUE;
}

/* A table of settings berth ignores: each must have the type bootc wants. */
typedef struct
{
  const char *key;
  BerthTomlType type;
} IgnoredKey;

static gboolean
parse_ignored_table (FileConfig *fc, const BerthToml *doc, const BerthTomlValue *table,
                     const char *path, const IgnoredKey *keys, gboolean deny_unknown,
                     GError **error)
{
  if (!berth_toml_check_type (doc, table, path, BERTH_TOML_TABLE, error))
    return FALSE;
  for (guint i = 0; i < berth_toml_table_get_size (table); i++)
    {
      const char *key;
      const BerthTomlValue *v = berth_toml_table_get_nth (table, i, &key);
      g_autofree char *full = g_strdup_printf ("%s.%s", path, key);
      const IgnoredKey *k = keys;
      while (k->key != NULL && !g_str_equal (k->key, key))
        k++;
      if (k->key == NULL)
        {
          /* bootc's RepoOptions has no deny_unknown_fields: it warns and goes on. */
          if (deny_unknown)
            return unknown_key (doc, v, path, key, error);
          note_ignored (fc, doc, v, full);
          continue;
        }
      if (!berth_toml_check_type (doc, v, full, k->type, error))
        return FALSE;
      note_ignored (fc, doc, v, full);
    }
  return TRUE;
}

static gboolean
parse_install (FileConfig *fc, const BerthToml *doc, const BerthTomlValue *install, GError **error)
{
  static const char *const blocks[] = { "direct", "tpm2-luks", NULL };
  static const char *const bootloaders[] = { "grub", "grub-cc", "systemd", "none", NULL };
  static const IgnoredKey ostree_keys[]
    = { { "bls-append-except-default", BERTH_TOML_STRING }, { NULL, 0 } };
  static const IgnoredKey bootupd_keys[] = { { "skip-boot-uuid", BERTH_TOML_BOOL }, { NULL, 0 } };

  if (!berth_toml_check_type (doc, install, "install", BERTH_TOML_TABLE, error))
    return FALSE;
  for (guint i = 0; i < berth_toml_table_get_size (install); i++)
    {
      const char *key;
      const BerthTomlValue *v = berth_toml_table_get_nth (install, i, &key);
      g_autofree char *full = g_strdup_printf ("install.%s", key);
      if (g_str_equal (key, "kargs"))
        {
          if (!check_string_array (doc, v, full, error))
            return FALSE;
          append_strings (fc->c->kargs, doc, v);
        }
      else if (g_str_equal (key, "karg-deletes"))
        {
          if (!check_string_array (doc, v, full, error))
            return FALSE;
          append_strings (fc->c->karg_deletes, doc, v);
        }
      else if (g_str_equal (key, "match-architectures"))
        {
          if (!check_string_array (doc, v, full, error))
            return FALSE;
          fc->arches = v;
        }
      else if (g_str_equal (key, "root-mount-spec"))
        {
          if (!set_string (&fc->c->root_mount_spec, doc, v, full, error))
            return FALSE;
        }
      else if (g_str_equal (key, "boot-mount-spec"))
        {
          if (!set_string (&fc->c->boot_mount_spec, doc, v, full, error))
            return FALSE;
        }
      else if (g_str_equal (key, "stateroot"))
        {
          if (!set_string (&fc->c->stateroot, doc, v, full, error))
            return FALSE;
        }
      else if (g_str_equal (key, "root-fs-type"))
        {
          if (!check_enum (doc, v, full, filesystems, error))
            return FALSE;
          config_value_set (&fc->legacy_fs_type, berth_toml_value_get_string (v),
                            berth_toml_get_filename (doc), berth_toml_value_get_line (v));
        }
      else if (g_str_equal (key, "filesystem"))
        {
          if (!parse_filesystem (fc, doc, v, error))
            return FALSE;
        }
      else if (g_str_equal (key, "block"))
        {
          if (!check_string_array (doc, v, full, error))
            return FALSE;
          const char *const *items = berth_toml_value_get_strv (v, NULL);
          for (; *items != NULL; items++)
            if (!g_strv_contains (blocks, *items))
              return berth_toml_throw_at (error, doc, berth_toml_value_get_line (v),
                                          "%s: unknown value '%s' (expected direct or tpm2-luks)",
                                          full, *items);
          note_ignored (fc, doc, v, full);
        }
      else if (g_str_equal (key, "bootloader"))
        {
          if (!check_enum (doc, v, full, bootloaders, error))
            return FALSE;
          config_value_set (&fc->c->bootloader, berth_toml_value_get_string (v),
                            berth_toml_get_filename (doc), berth_toml_value_get_line (v));
        }
      else if (g_str_equal (key, "discoverable-partitions")
               || g_str_equal (key, "enforce-container-sigpolicy"))
        {
          if (!berth_toml_check_type (doc, v, full, BERTH_TOML_BOOL, error))
            return FALSE;
          note_ignored (fc, doc, v, full);
        }
      else if (g_str_equal (key, "ostree"))
        {
          if (!parse_ignored_table (fc, doc, v, full, ostree_keys, FALSE, error))
            return FALSE;
        }
      else if (g_str_equal (key, "bootupd"))
        {
          if (!parse_ignored_table (fc, doc, v, full, bootupd_keys, TRUE, error))
            return FALSE;
        }
      else
        return unknown_key (doc, v, "install", key, error);
    }
  return TRUE;
}

static gboolean
parse_install_file (FileConfig *fc, const BerthKargsFile *f, const char *arch, GError **error)
{
  g_autoptr (BerthToml) doc = berth_toml_parse (f->name, f->contents, f->length, error);
  if (doc == NULL)
    return FALSE;
  const BerthTomlValue *root = berth_toml_get_root (doc);
  fc->c = berth_kargs_install_config_new ();
  for (guint i = 0; i < berth_toml_table_get_size (root); i++)
    {
      const char *key;
      const BerthTomlValue *v = berth_toml_table_get_nth (root, i, &key);
      if (!g_str_equal (key, "install"))
        return berth_toml_throw_at (error, doc, berth_toml_value_get_line (v),
                                    "unknown key '%s' (bootc's install configuration has only "
                                    "[install])",
                                    key);
      if (!parse_install (fc, doc, v, error))
        return FALSE;
    }
  fc->matched = fc->arches == NULL || strv_contains_toml (fc->arches, arch);
  fc->arches = NULL; /* it points into @doc */
  return TRUE;
}

/* Moves @from's setting over @into's when @from has one. */
static void
merge_value (BerthKargsConfigValue *into, BerthKargsConfigValue *from)
{
  if (from->value == NULL)
    return;
  config_value_clear (into);
  *into = *from;
  memset (from, 0, sizeof (*from));
}

BerthKargsInstallConfig *
berth_kargs_install_config_load_files (const BerthKargsFile *files, guint n_files, const char *arch,
                                       GError **error)
{
  g_autoptr (GPtrArray) sorted = sorted_toml_files (files, n_files);
  g_autoptr (BerthKargsInstallConfig) config = berth_kargs_install_config_new ();
  g_auto (FileConfig) merged = { 0 }; /* only its two filesystem settings are used */

  for (guint i = 0; i < sorted->len; i++)
    {
      const BerthKargsFile *f = sorted->pdata[i];
      g_auto (FileConfig) fc = { 0 };
      if (!parse_install_file (&fc, f, arch, error))
        return NULL;
      if (!fc.matched)
        {
          g_ptr_array_add (config->skipped, g_strdup (f->name));
          continue;
        }
      g_ptr_array_add (config->files, g_strdup (f->name));
      /* config.rs: kargs and karg-deletes are Vec::extend, no de-duplication yet. */
      berth_kargs_append_all (config->kargs, fc.c->kargs);
      berth_kargs_append_all (config->karg_deletes, fc.c->karg_deletes);
      merge_value (&config->root_mount_spec, &fc.c->root_mount_spec);
      merge_value (&config->boot_mount_spec, &fc.c->boot_mount_spec);
      merge_value (&config->stateroot, &fc.c->stateroot);
      merge_value (&config->bootloader, &fc.c->bootloader);
      merge_value (&merged.fs_type, &fc.fs_type);
      merge_value (&merged.legacy_fs_type, &fc.legacy_fs_type);
      g_ptr_array_extend_and_steal (config->ignored, g_steal_pointer (&fc.c->ignored));
      fc.c->ignored = g_ptr_array_new ();
    }
  /* canonicalize(): the newer [install.filesystem.root] type wins over root-fs-type, whichever
   * file set either. */
  merge_value (&config->root_fs_type, &merged.legacy_fs_type);
  merge_value (&config->root_fs_type, &merged.fs_type);
  return g_steal_pointer (&config);
}

BerthKargsInstallConfig *
berth_kargs_install_config_load_dir (GFile *dir, const char *arch, GCancellable *cancellable,
                                     GError **error)
{
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GPtrArray) data = NULL;
  g_autoptr (GArray) files = NULL;
  if (!read_toml_dir (dir, BERTH_KARGS_INSTALL_CONFIG_DIR, &names, &data, &files, cancellable,
                      error))
    return NULL;
  return berth_kargs_install_config_load_files ((const BerthKargsFile *)(void *)files->data,
                                                files->len, arch, error);
}

/* ---- the command line of an install ---------------------------------------------------- */

static void
add_spec (BerthKargs *kargs, const char *key, const char *spec, const BerthKargsConfigValue *from)
{
  BerthKargsSource source = { .kind = BERTH_KARGS_SOURCE_BERTH };
  if (from != NULL && from->value != NULL)
    {
      source.file = from->file;
      source.line = from->line;
    }
  g_autofree char *arg = g_strdup_printf ("%s=%s", key, spec);
  berth_kargs_add (kargs, arg, &source);
}

static void
remove_all (BerthKargs *kargs, const BerthKargs *deletes, BerthKargs *unmatched)
{
  for (guint i = 0; i < berth_kargs_get_length (deletes); i++)
    {
      const BerthKarg *del = berth_kargs_get (deletes, i);
      if (berth_kargs_remove_karg (kargs, del) == 0)
        berth_kargs_append_copy (unmatched, del);
    }
}

BerthKargs *
berth_kargs_build_install (const BerthKargsInstallOptions *options,
                           BerthKargs **out_unmatched_deletes, GError **error)
{
  const BerthKargsInstallConfig *config = options->install_config;
  const BerthKargsConfigValue *root_from = NULL, *boot_from = NULL;
  const char *root_spec = options->root_mount_spec;
  const char *boot_spec = options->boot_mount_spec;
  if (config != NULL && config->root_mount_spec.value != NULL)
    {
      root_from = &config->root_mount_spec;
      root_spec = root_from->value;
    }
  if (config != NULL && config->boot_mount_spec.value != NULL)
    {
      boot_from = &config->boot_mount_spec;
      boot_spec = boot_from->value;
    }
  if (root_spec == NULL)
    {
      berth_throw (error, BERTH_ERROR_FAILED,
                   "No root mount spec for root= (neither the disk plan nor the install "
                   "configuration gives one)");
      return NULL;
    }

  g_autoptr (BerthKargs) kargs = berth_kargs_new ();
  const BerthKargsSource berth = { .kind = BERTH_KARGS_SOURCE_BERTH };
  if (*root_spec != '\0')
    {
      add_spec (kargs, "root", root_spec, root_from);
      for (const char *const *a = options->root_kargs; a != NULL && *a != NULL; a++)
        berth_kargs_add (kargs, *a, &berth);
    }
  berth_kargs_add (kargs, "rw", &berth);
  if (boot_spec != NULL && *boot_spec != '\0')
    add_spec (kargs, "boot", boot_spec, boot_from);

  if (config != NULL)
    berth_kargs_extend (kargs, config->kargs);
  if (options->kargs_d != NULL)
    berth_kargs_extend (kargs, options->kargs_d);

  /* Deletes come before --karg, so --karg can put back what a configuration removes. */
  g_autoptr (BerthKargs) unmatched = berth_kargs_new ();
  if (config != NULL)
    remove_all (kargs, config->karg_deletes, unmatched);
  const BerthKargsSource cli = { .kind = BERTH_KARGS_SOURCE_CLI };
  for (const char *const *d = options->cli_karg_deletes; d != NULL && *d != NULL; d++)
    {
      g_autoptr (BerthKargs) deletes = berth_kargs_parse (*d, &cli);
      remove_all (kargs, deletes, unmatched);
    }

  for (const char *const *a = options->cli_kargs; a != NULL && *a != NULL; a++)
    berth_kargs_add (kargs, *a, &cli);

  if (out_unmatched_deletes != NULL)
    *out_unmatched_deletes = g_steal_pointer (&unmatched);
  return g_steal_pointer (&kargs);
}
