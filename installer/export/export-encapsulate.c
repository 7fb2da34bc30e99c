/* `berth image encapsulate`: an ostree commit as an image in ostree-ext's format (export.h).
 *
 * The layers, as ostree-ext's export_chunked writes them (tar format v1):
 *   layer 0, the commit layer: `./` and the repo skeleton (sysroot/ostree/repo/objects/00..ff,
 *     extensions, refs/{heads,mirrors,remotes}, state, tmp/cache, config), the .commit, its
 *     .commitmeta, the root .dirmeta, then depth first every .dirtree and .dirmeta with the
 *     tree's directories (`./usr/bin`), and var/tmp; with one layer in all, every content
 *     object too.
 *   layers 1..N-1, the chunks: the skeleton, then content objects in checksum order, each as
 *     its .file-xattrs (once per layer) and .file-xattrs-link hardlink, its .file, and a
 *     hardlink from each of its tree paths (usr/etc written as etc).
 * ostree.final-diffid names the last chunk, so layers after it are ordinary derived layers.
 *
 * Chunking without package metadata: an object belongs to the component of its first tree
 * path (the directory, up to three levels: usr/lib/modules, usr/share/locale, usr/bin), and a
 * component to the chunk its name hashes to. So the same commit gives the same layers, and a
 * new commit changes only the chunks whose components changed (and layer 0, which holds the
 * commit), whatever else grew or shrank: a registry and `bootc upgrade` fetch only those.
 */
#include "export-private.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import.h"
#include "util/util-json.h"

#define MEDIA_TYPE_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_TYPE_CONFIG   "application/vnd.oci.image.config.v1+json"

/* ostree-ext's repo config, byte for byte (tar/export.rs). */
static const char repo_config[] = "[core]\nrepo_version=1\nmode=bare-split-xattrs\n";

void
berth_encapsulate_result_free (BerthEncapsulateResult *result)
{
  if (result == NULL)
    return;
  g_free (result->commit);
  g_free (result->manifest_digest);
  g_free (result->manifest_media_type);
  g_free (result->architecture);
  g_free (result);
}

/* ---- the commit's tree ----------------------------------------------------------------- */

typedef struct
{
  char checksum[65];
  GPtrArray *paths; /* tree paths without the leading "/", in walk order */
  guint chunk;
} ContentObject;

typedef struct
{
  char *path; /* "" for the root */
  char tree[65];
  char meta[65];
  gboolean in_sysroot; /* /sysroot and below: metadata only, no tar directory entries */
} TreeDir;

typedef struct
{
  OstreeRepo *repo;
  GHashTable *objects; /* checksum -> ContentObject */
  GPtrArray *dirs;     /* TreeDir, depth first, the root first */
  gboolean has_var_tmp;
} Tree;

static void
content_object_free (ContentObject *obj)
{
  g_ptr_array_unref (obj->paths);
  g_free (obj);
}

static void
tree_dir_free (TreeDir *dir)
{
  g_free (dir->path);
  g_free (dir);
}

static gboolean
walk (Tree *tree, TreeDir *dir, GCancellable *cancellable, GError **error)
{
  g_ptr_array_add (tree->dirs, dir);
  if (g_str_equal (dir->path, "var/tmp"))
    tree->has_var_tmp = TRUE;
  g_autoptr (GVariant) dirtree = NULL;
  if (!ostree_repo_load_variant (tree->repo, OSTREE_OBJECT_TYPE_DIR_TREE, dir->tree, &dirtree,
                                 error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  g_autoptr (GVariant) files = g_variant_get_child_value (dirtree, 0);
  g_autoptr (GVariant) dirs = g_variant_get_child_value (dirtree, 1);
  GVariantIter iter;
  const char *name;
  GVariant *csum_v;
  g_variant_iter_init (&iter, files);
  while (g_variant_iter_loop (&iter, "(&s@ay)", &name, &csum_v))
    {
      char checksum[65];
      if (!ostree_validate_structureof_csum_v (csum_v, error))
        return FALSE;
      ostree_checksum_inplace_from_bytes (ostree_checksum_bytes_peek (csum_v), checksum);
      ContentObject *obj = g_hash_table_lookup (tree->objects, checksum);
      if (obj == NULL)
        {
          obj = g_new0 (ContentObject, 1);
          memcpy (obj->checksum, checksum, sizeof checksum);
          obj->paths = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (tree->objects, obj->checksum, obj);
        }
      if (!dir->in_sysroot)
        g_ptr_array_add (obj->paths,
                         *dir->path ? g_strconcat (dir->path, "/", name, NULL) : g_strdup (name));
    }

  GVariant *meta_v;
  g_variant_iter_init (&iter, dirs);
  while (g_variant_iter_loop (&iter, "(&s@ay@ay)", &name, &csum_v, &meta_v))
    {
      if (!ostree_validate_structureof_csum_v (csum_v, error)
          || !ostree_validate_structureof_csum_v (meta_v, error))
        return FALSE;
      TreeDir *child = g_new0 (TreeDir, 1);
      child->path = *dir->path ? g_strconcat (dir->path, "/", name, NULL) : g_strdup (name);
      ostree_checksum_inplace_from_bytes (ostree_checksum_bytes_peek (csum_v), child->tree);
      ostree_checksum_inplace_from_bytes (ostree_checksum_bytes_peek (meta_v), child->meta);
      child->in_sysroot = dir->in_sysroot || g_str_equal (child->path, "sysroot");
      if (!walk (tree, child, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* The component an object's first path belongs to: its directory, three levels at most. */
static char *
component_of (const ContentObject *obj)
{
  if (obj->paths->len == 0)
    return g_strdup ("sysroot");
  const char *path = obj->paths->pdata[0];
  const char *end = path;
  const char *slash;
  for (guint level = 0; level < 3 && (slash = strchr (end, '/')) != NULL; level++)
    end = slash + 1;
  if (end == path)
    return g_strdup ("/");
  return g_strndup (path, (gsize)(end - path - 1));
}

static gint
compare_checksums (gconstpointer a, gconstpointer b)
{
  const ContentObject *x = *(ContentObject *const *)a;
  const ContentObject *y = *(ContentObject *const *)b;
  return strcmp (x->checksum, y->checksum);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* ---- one layer ---------------------------------------------------------------------------- */

typedef struct
{
  guint index;
  gboolean is_commit_layer;
  GPtrArray *objects;    /* ContentObject, checksum order */
  GPtrArray *components; /* char *, sorted */
  BerthExportLayer out;
  GError *error;
} LayerJob;

typedef struct
{
  OstreeRepo *repo;
  const char *layout_dir;
  const BerthEncapsulateOptions *options;
  const char *commit;
  GVariant *commit_v;
  GVariant *commitmeta_v; /* NULL when unsigned */
  Tree *tree;
  GCancellable *cancellable;
} Export;

static void
layer_job_free (LayerJob *job)
{
  g_ptr_array_unref (job->objects);
  g_ptr_array_unref (job->components);
  g_free (job->out.digest);
  g_free (job->out.diff_id);
  g_clear_error (&job->error);
  g_free (job);
}

static gboolean
add_dir (BerthExportTar *tar, const char *path, guint32 uid, guint32 gid, guint32 mode,
         GError **error)
{
  BerthExportEntry e
    = { .type = BERTH_EXPORT_ENTRY_DIR, .path = path, .uid = uid, .gid = gid, .mode = mode };
  return berth_export_tar_add (tar, &e, error);
}

static gboolean
add_skeleton (BerthExportTar *tar, GError **error)
{
  static const char *const top[]
    = { "sysroot", "sysroot/ostree", BERTH_OSTREE_LAYER_REPO, BERTH_OSTREE_LAYER_REPO "/objects" };
  static const char *const rest[] = { "extensions",   "refs",  "refs/heads", "refs/mirrors",
                                      "refs/remotes", "state", "tmp",        "tmp/cache" };
  for (gsize i = 0; i < G_N_ELEMENTS (top); i++)
    if (!add_dir (tar, top[i], 0, 0, 0755, error))
      return FALSE;
  for (guint i = 0; i < 256; i++)
    {
      char path[sizeof BERTH_OSTREE_LAYER_OBJECTS + 2];
      g_snprintf (path, sizeof path, BERTH_OSTREE_LAYER_OBJECTS "%02x", i);
      if (!add_dir (tar, path, 0, 0, 0755, error))
        return FALSE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (rest); i++)
    {
      g_autofree char *path = g_strconcat (BERTH_OSTREE_LAYER_REPO "/", rest[i], NULL);
      if (!add_dir (tar, path, 0, 0, 0755, error))
        return FALSE;
    }
  g_autoptr (GBytes) config = g_bytes_new_static (repo_config, strlen (repo_config));
  return berth_export_tar_add_bytes (tar, BERTH_OSTREE_LAYER_REPO "/config", config, error);
}

static gboolean
add_metadata_object (BerthExportTar *tar, OstreeObjectType type, const char *checksum, GVariant *v,
                     GError **error)
{
  g_autofree char *path = berth_import_ostree_object_path (checksum, type);
  g_autoptr (GBytes) bytes = g_variant_get_data_as_bytes (v);
  return berth_export_tar_add_bytes (tar, path, bytes, error);
}

static gboolean
add_loaded_metadata (Export *ex, BerthExportTar *tar, GHashTable *written, OstreeObjectType type,
                     const char *checksum, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s.%d", checksum, type);
  if (!g_hash_table_add (written, g_steal_pointer (&key)))
    return TRUE;
  g_autoptr (GVariant) v = NULL;
  if (!ostree_repo_load_variant (ex->repo, type, checksum, &v, error))
    return FALSE;
  return add_metadata_object (tar, type, checksum, v, error);
}

/* The .dirmeta's owner and mode. */
static gboolean
load_dirmeta (Export *ex, const char *checksum, guint32 *uid, guint32 *gid, guint32 *mode,
              GError **error)
{
  g_autoptr (GVariant) v = NULL;
  if (!ostree_repo_load_variant (ex->repo, OSTREE_OBJECT_TYPE_DIR_META, checksum, &v, error))
    return FALSE;
  g_variant_get (v, "(uuu@a(ayay))", uid, gid, mode, NULL);
  *uid = GUINT32_FROM_BE (*uid);
  *gid = GUINT32_FROM_BE (*gid);
  *mode = GUINT32_FROM_BE (*mode);
  return TRUE;
}

/* Tree paths as the v1 chunks write them: usr/etc is etc again in the image. */
static char *
tar_tree_path (const char *path)
{
  if (g_str_equal (path, "usr/etc"))
    return g_strdup ("etc");
  if (g_str_has_prefix (path, "usr/etc/"))
    return g_strdup (path + strlen ("usr/"));
  return g_strdup (path);
}

static gboolean
add_content_object (Export *ex, BerthExportTar *tar, GHashTable *xattrs_written,
                    const ContentObject *obj, GError **error)
{
  g_autoptr (GInputStream) input = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GVariant) xattrs = NULL;
  if (!ostree_repo_load_file (ex->repo, obj->checksum, &input, &info, &xattrs, ex->cancellable,
                              error))
    return FALSE;
  guint32 uid = g_file_info_get_attribute_uint32 (info, "unix::uid");
  guint32 gid = g_file_info_get_attribute_uint32 (info, "unix::gid");
  guint32 mode = g_file_info_get_attribute_uint32 (info, "unix::mode");
  guint64 size = (guint64)g_file_info_get_size (info);
  gboolean is_symlink = S_ISLNK (mode);

  /* The xattrs: a .file-xattrs object named by their sha256, once per layer, and the
   * object's .file-xattrs-link to it, right before the object (the reader pairs them). */
  if (xattrs == NULL)
    xattrs = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("(ayay)"), NULL, 0));
  g_autoptr (GBytes) xattrs_bytes = g_variant_get_data_as_bytes (xattrs);
  gsize xlen;
  const void *xdata = g_bytes_get_data (xattrs_bytes, &xlen);
  g_autofree char *xsum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, xdata, xlen);
  g_autofree char *xpath
    = g_strdup_printf (BERTH_OSTREE_LAYER_OBJECTS "%.2s/%s.file-xattrs", xsum, xsum + 2);
  if (!g_hash_table_contains (xattrs_written, xsum))
    {
      if (!berth_export_tar_add_bytes (tar, xpath, xattrs_bytes, error))
        return FALSE;
      g_hash_table_add (xattrs_written, g_strdup (xsum));
    }
  g_autofree char *link_path = g_strdup_printf (
    BERTH_OSTREE_LAYER_OBJECTS "%.2s/%s.file-xattrs-link", obj->checksum, obj->checksum + 2);
  BerthExportEntry link
    = { .type = BERTH_EXPORT_ENTRY_HARDLINK, .path = link_path, .mode = 0644, .target = xpath };
  if (!berth_export_tar_add (tar, &link, error))
    return FALSE;

  g_autofree char *path = berth_import_ostree_object_path (obj->checksum, OSTREE_OBJECT_TYPE_FILE);
  BerthExportEntry e = { .path = path, .uid = uid, .gid = gid, .mode = mode };
  if (is_symlink)
    {
      e.type = BERTH_EXPORT_ENTRY_SYMLINK;
      e.target = g_file_info_get_symlink_target (info);
      if (!berth_export_tar_add (tar, &e, error))
        return FALSE;
    }
  else
    {
      e.type = BERTH_EXPORT_ENTRY_FILE;
      e.size = size;
      if (!berth_export_tar_add (tar, &e, error))
        return FALSE;
      guint64 left = size;
      g_autofree char *buf = g_malloc (128 * 1024);
      while (left > 0)
        {
          gsize n = 0;
          if (!g_input_stream_read_all (input, buf, MIN (left, 128 * 1024), &n, ex->cancellable,
                                        error))
            return FALSE;
          if (n == 0)
            return berth_throw (error, BERTH_ERROR_FAILED,
                                "Content object %s ends %" G_GUINT64_FORMAT " bytes early",
                                obj->checksum, left);
          if (!berth_export_tar_write (tar, path, buf, n, error))
            return FALSE;
          left -= n;
        }
    }

  /* Its tree paths: hardlinks to the object, an empty file as itself (ostree-ext's form). */
  for (guint i = 0; i < obj->paths->len; i++)
    {
      g_autofree char *tree_path = tar_tree_path (obj->paths->pdata[i]);
      BerthExportEntry t = { .path = tree_path, .uid = uid, .gid = gid, .mode = mode };
      if (!is_symlink && size == 0)
        t.type = BERTH_EXPORT_ENTRY_FILE;
      else
        {
          t.type = BERTH_EXPORT_ENTRY_HARDLINK;
          t.target = path;
        }
      if (!berth_export_tar_add (tar, &t, error))
        return FALSE;
    }
  return TRUE;
}

/* Layer 0's structure: everything but content. */
static gboolean
add_commit_structure (Export *ex, BerthExportTar *tar, GError **error)
{
  Tree *tree = ex->tree;
  const TreeDir *root = tree->dirs->pdata[0];
  guint32 uid, gid, mode;
  if (!load_dirmeta (ex, root->meta, &uid, &gid, &mode, error)
      || !add_dir (tar, "./", uid, gid, mode, error) || !add_skeleton (tar, error)
      || !add_metadata_object (tar, OSTREE_OBJECT_TYPE_COMMIT, ex->commit, ex->commit_v, error))
    return FALSE;
  if (ex->commitmeta_v != NULL
      && !add_metadata_object (tar, OSTREE_OBJECT_TYPE_COMMIT_META, ex->commit, ex->commitmeta_v,
                               error))
    return FALSE;

  g_autoptr (GHashTable) written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!add_loaded_metadata (ex, tar, written, OSTREE_OBJECT_TYPE_DIR_META, root->meta, error)
      || !add_loaded_metadata (ex, tar, written, OSTREE_OBJECT_TYPE_DIR_TREE, root->tree, error))
    return FALSE;
  /* Depth first: each directory's .dirmeta, its entry, its .dirtree; the walk's order. */
  for (guint i = 1; i < tree->dirs->len; i++)
    {
      const TreeDir *dir = tree->dirs->pdata[i];
      if (g_cancellable_set_error_if_cancelled (ex->cancellable, error))
        return FALSE;
      if (!add_loaded_metadata (ex, tar, written, OSTREE_OBJECT_TYPE_DIR_META, dir->meta, error))
        return FALSE;
      if (!dir->in_sysroot)
        {
          if (!load_dirmeta (ex, dir->meta, &uid, &gid, &mode, error))
            return FALSE;
          g_autofree char *path = g_strconcat ("./", dir->path, NULL);
          if (!add_dir (tar, path, uid, gid, mode, error))
            return FALSE;
        }
      if (!add_loaded_metadata (ex, tar, written, OSTREE_OBJECT_TYPE_DIR_TREE, dir->tree, error))
        return FALSE;
    }
  /* A container runtime wants /var/tmp; ostree-ext adds it when the commit has none. */
  if (!tree->has_var_tmp && !add_dir (tar, "var/tmp", 0, 0, 01777, error))
    return FALSE;
  return TRUE;
}

static gboolean
write_layer (Export *ex, LayerJob *job, GError **error)
{
  g_autoptr (BerthExportTar) tar
    = berth_export_tar_new (ex->layout_dir, ex->options->compression, error);
  if (tar == NULL)
    return FALSE;
  if (job->is_commit_layer)
    {
      if (!add_commit_structure (ex, tar, error))
        return FALSE;
    }
  else if (!add_skeleton (tar, error))
    return FALSE;
  g_autoptr (GHashTable) xattrs_written
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < job->objects->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (ex->cancellable, error))
        return FALSE;
      if (!add_content_object (ex, tar, xattrs_written, job->objects->pdata[i], error))
        return FALSE;
    }
  return berth_export_tar_finish (tar, &job->out, error);
}

static void
layer_worker (gpointer data, gpointer user_data)
{
  LayerJob *job = data;
  Export *ex = user_data;
  if (!write_layer (ex, job, &job->error))
    g_prefix_error (&job->error, "layer %u: ", job->index);
}

/* ---- config and manifest ----------------------------------------------------------------- */

static const char *
layer_media_type (BerthCompression compression)
{
  switch (compression)
    {
    case BERTH_COMPRESSION_GZIP:
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    case BERTH_COMPRESSION_ZSTD:
      return "application/vnd.oci.image.layer.v1.tar+zstd";
    case BERTH_COMPRESSION_NONE:
      break;
    }
  return "application/vnd.oci.image.layer.v1.tar";
}

/* ostree-ext's commit_meta_to_labels, then the caller's labels over them. */
static json_t *
make_labels (Export *ex, const char *final_diff_id)
{
  json_t *labels = json_object ();
  json_object_set_new (labels, "ostree.commit", json_string (ex->commit));
  g_autoptr (GVariant) meta = g_variant_get_child_value (ex->commit_v, 0);
  g_autoptr (GVariantDict) dict = g_variant_dict_new (meta);
  const char *s;
  if (g_variant_dict_lookup (dict, "version", "&s", &s))
    json_object_set_new (labels, "org.opencontainers.image.version", json_string (s));
  gboolean bootable;
  if (g_variant_dict_lookup (dict, "ostree.bootable", "b", &bootable))
    {
      json_object_set_new (labels, "ostree.bootable", json_string (bootable ? "true" : "false"));
      json_object_set_new (labels, "containers.bootc", json_string ("1"));
    }
  if (g_variant_dict_lookup (dict, "ostree.linux", "&s", &s))
    json_object_set_new (labels, "ostree.linux", json_string (s));
  if (ex->options->labels != NULL)
    {
      GHashTableIter iter;
      gpointer k, v;
      g_hash_table_iter_init (&iter, ex->options->labels);
      while (g_hash_table_iter_next (&iter, &k, &v))
        json_object_set_new (labels, k, json_string (v));
    }
  json_object_set_new (labels, "ostree.final-diffid", json_string (final_diff_id));
  return labels;
}

static char *
join_components (GPtrArray *components)
{
  g_ptr_array_add (components, NULL);
  char *joined = g_strjoinv (",", (char **)components->pdata);
  g_ptr_array_remove_index (components, components->len - 1);
  return joined;
}

/* ostree-ext's history names: "a", "a and b", "N components". */
static char *
chunk_name (GPtrArray *components)
{
  if (components->len == 0)
    return g_strdup ("Reserved for new components");
  if (components->len == 1)
    return g_strdup (components->pdata[0]);
  if (components->len <= 5)
    {
      g_ptr_array_add (components, NULL);
      char *joined = g_strjoinv (" and ", (char **)components->pdata);
      g_ptr_array_remove_index (components, components->len - 1);
      return joined;
    }
  return g_strdup_printf ("%u components", components->len);
}

static gboolean
write_image (Export *ex, GPtrArray *jobs, const char *ref_name, BerthEncapsulateResult *result,
             GError **error)
{
  const LayerJob *last = jobs->pdata[jobs->len - 1];
  g_autoptr (GDateTime) time
    = g_date_time_new_from_unix_utc ((gint64)ostree_commit_get_timestamp (ex->commit_v));
  g_autofree char *created = g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
  g_autoptr (GVariant) meta = g_variant_get_child_value (ex->commit_v, 0);
  g_autoptr (GVariantDict) dict = g_variant_dict_new (meta);
  g_autofree char *subject = NULL;
  g_variant_get_child (ex->commit_v, 3, "s", &subject);

  json_t *labels = make_labels (ex, last->out.diff_id);
  json_t *diff_ids = json_array ();
  json_t *history = json_array ();
  json_t *layers = json_array ();
  for (guint i = 0; i < jobs->len; i++)
    {
      LayerJob *job = jobs->pdata[i];
      json_array_append_new (diff_ids, json_string (job->out.diff_id));
      g_autofree char *created_by
        = job->is_commit_layer
            ? (*subject ? g_strdup (subject)
                        : g_strdup_printf ("ostree export of commit %s", ex->commit))
            : chunk_name (job->components);
      json_array_append_new (
        history, json_pack ("{s:s, s:s}", "created", created, "created_by", created_by));
      json_t *desc
        = json_pack ("{s:s, s:s, s:I}", "mediaType", layer_media_type (ex->options->compression),
                     "digest", job->out.digest, "size", (json_int_t)job->out.size);
      if (!job->is_commit_layer && job->components->len > 0)
        {
          g_autofree char *joined = join_components (job->components);
          json_object_set_new (desc, "annotations",
                               json_pack ("{s:s}", "ostree.components", joined));
        }
      json_array_append_new (layers, desc);
      result->bytes_tar += job->out.tar_size;
      result->bytes_blobs += (guint64)job->out.size;
    }

  json_t *container = json_pack ("{s:O}", "Labels", labels);
  g_autofree const char **cmd = NULL;
  if (g_variant_dict_lookup (dict, "ostree.container-cmd", "^a&s", &cmd))
    {
      json_t *argv = json_array ();
      for (guint i = 0; cmd[i] != NULL; i++)
        json_array_append_new (argv, json_string (cmd[i]));
      json_object_set_new (container, "Cmd", argv);
    }
  g_autoptr (json_t) config
    = json_pack ("{s:s, s:s, s:s, s:o, s:{s:s, s:o}, s:o}", "created", created, "architecture",
                 result->architecture, "os", "linux", "config", container, "rootfs", "type",
                 "layers", "diff_ids", diff_ids, "history", history);
  g_autofree char *config_text = json_dumps (config, JSON_COMPACT | JSON_SORT_KEYS);
  gsize config_len = strlen (config_text);
  g_autoptr (GBytes) config_bytes = g_bytes_new (config_text, config_len);
  g_autofree char *config_digest = berth_oci_layout_add_blob (ex->layout_dir, config_bytes, error);
  if (config_digest == NULL)
    {
      json_decref (labels);
      json_decref (layers);
      return FALSE;
    }

  g_autoptr (json_t) manifest = json_pack (
    "{s:i, s:s, s:{s:s, s:s, s:I}, s:o, s:o}", "schemaVersion", 2, "mediaType", MEDIA_TYPE_MANIFEST,
    "config", "mediaType", MEDIA_TYPE_CONFIG, "digest", config_digest, "size",
    (json_int_t)config_len, "layers", layers, "annotations", labels);
  g_autofree char *manifest_text = json_dumps (manifest, JSON_COMPACT | JSON_SORT_KEYS);
  g_autoptr (GBytes) manifest_bytes = g_bytes_new (manifest_text, strlen (manifest_text));
  result->manifest_digest = berth_oci_layout_add_blob (ex->layout_dir, manifest_bytes, error);
  if (result->manifest_digest == NULL)
    return FALSE;
  result->manifest_size = (gint64)strlen (manifest_text);
  result->manifest_media_type = g_strdup (MEDIA_TYPE_MANIFEST);
  return berth_oci_layout_set_ref (ex->layout_dir, MEDIA_TYPE_MANIFEST, result->manifest_digest,
                                   result->manifest_size, ref_name, "linux", result->architecture,
                                   error);
}

/* ---- the whole ------------------------------------------------------------------------------ */

BerthEncapsulateResult *
berth_export_encapsulate (const char *repo_path, const char *rev, const char *layout_dir,
                          const char *ref_name, const BerthEncapsulateOptions *options,
                          GCancellable *cancellable, GError **error)
{
  g_autoptr (GFile) repo_file = g_file_new_for_path (repo_path);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (repo_file);
  if (!ostree_repo_open (repo, cancellable, error))
    {
      g_prefix_error (error, "ostree repository %s: ", repo_path);
      return NULL;
    }
  g_autoptr (BerthEncapsulateResult) result = g_new0 (BerthEncapsulateResult, 1);
  guint max_layers = options->max_layers ? options->max_layers : BERTH_EXPORT_MAX_LAYERS_DEFAULT;
  if (max_layers > BERTH_EXPORT_MAX_LAYERS_LIMIT)
    {
      berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                   "%u layers is more than the %u an image may have here; ask for fewer",
                   max_layers, BERTH_EXPORT_MAX_LAYERS_LIMIT);
      return NULL;
    }
  const char *arch = options->architecture;
  const char *variant = NULL;
  if (arch == NULL && !berth_oci_host_platform (&arch, &variant, error))
    return NULL;
  result->architecture = g_strdup (arch);

  if (!ostree_repo_resolve_rev (repo, rev, FALSE, &result->commit, error))
    return NULL;
  g_autoptr (GVariant) commit_v = NULL;
  OstreeRepoCommitState state = 0;
  if (!ostree_repo_load_commit (repo, result->commit, &commit_v, &state, error))
    return NULL;
  if (state & OSTREE_REPO_COMMIT_STATE_PARTIAL)
    {
      berth_throw (error, BERTH_ERROR_FAILED,
                   "Commit %s is partial in this repo (some of its objects are missing); pull "
                   "it whole first",
                   result->commit);
      return NULL;
    }
  g_autoptr (GVariant) commitmeta_v = NULL;
  if (!ostree_repo_read_commit_detached_metadata (repo, result->commit, &commitmeta_v, cancellable,
                                                  error))
    return NULL;
  result->signed_commit = commitmeta_v != NULL;

  Tree tree = {
    .repo = repo,
    .objects
    = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)content_object_free),
    .dirs = g_ptr_array_new_with_free_func ((GDestroyNotify)tree_dir_free),
  };
  g_autoptr (GHashTable) objects_owner = tree.objects;
  g_autoptr (GPtrArray) dirs_owner = tree.dirs;
  TreeDir *root = g_new0 (TreeDir, 1);
  root->path = g_strdup ("");
  {
    g_autofree char *tree_csum = NULL, *meta_csum = NULL;
    g_autoptr (GVariant) tree_v = g_variant_get_child_value (commit_v, 6);
    g_autoptr (GVariant) meta_v = g_variant_get_child_value (commit_v, 7);
    tree_csum = ostree_checksum_from_bytes_v (tree_v);
    meta_csum = ostree_checksum_from_bytes_v (meta_v);
    g_strlcpy (root->tree, tree_csum, sizeof root->tree);
    g_strlcpy (root->meta, meta_csum, sizeof root->meta);
  }
  if (!walk (&tree, root, cancellable, error))
    return NULL;
  result->n_objects = g_hash_table_size (tree.objects);

  /* The layers: with one, layer 0 holds everything; else the chunks hold the content. */
  guint n_chunks = max_layers - 1;
  g_autoptr (GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)layer_job_free);
  for (guint i = 0; i < max_layers; i++)
    {
      LayerJob *job = g_new0 (LayerJob, 1);
      job->index = i;
      job->is_commit_layer = i == 0;
      job->objects = g_ptr_array_new ();
      job->components = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (jobs, job);
    }
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, tree.objects);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sorted, value);
  g_ptr_array_sort (sorted, compare_checksums);
  g_autoptr (GHashTable) component_chunk
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < sorted->len; i++)
    {
      ContentObject *obj = sorted->pdata[i];
      guint chunk = 0;
      if (n_chunks > 0)
        {
          g_autofree char *component = component_of (obj);
          chunk = 1 + g_str_hash (component) % n_chunks;
          LayerJob *job = jobs->pdata[chunk];
          if (!g_hash_table_contains (component_chunk, component))
            {
              g_ptr_array_add (job->components, g_strdup (component));
              g_hash_table_insert (component_chunk, g_steal_pointer (&component), NULL);
            }
        }
      obj->chunk = chunk;
      g_ptr_array_add (((LayerJob *)jobs->pdata[chunk])->objects, obj);
    }
  /* A chunk no component hashed to is dropped: empty chunks would be the same blob, and
   * final-diffid must name one layer. */
  for (guint i = jobs->len; i-- > 1;)
    {
      LayerJob *job = jobs->pdata[i];
      if (job->objects->len == 0)
        g_ptr_array_remove_index (jobs, i);
      else
        g_ptr_array_sort (job->components, compare_strings);
    }

  Export ex = {
    .repo = repo,
    .layout_dir = layout_dir,
    .options = options,
    .commit = result->commit,
    .commit_v = commit_v,
    .commitmeta_v = commitmeta_v,
    .tree = &tree,
    .cancellable = cancellable,
  };
  if (!berth_oci_layout_init (layout_dir, error))
    return NULL;

  guint workers = options->workers ? options->workers : g_get_num_processors ();
  GThreadPool *pool
    = g_thread_pool_new (layer_worker, &ex, (gint)MAX (1, MIN (workers, jobs->len)), TRUE, error);
  if (pool == NULL)
    return NULL;
  for (guint i = 0; i < jobs->len; i++)
    g_thread_pool_push (pool, jobs->pdata[i], NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  for (guint i = 0; i < jobs->len; i++)
    {
      LayerJob *job = jobs->pdata[i];
      if (job->error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&job->error));
          return NULL;
        }
    }
  result->n_layers = jobs->len;
  if (!write_image (&ex, jobs, ref_name, result, error))
    return NULL;
  return g_steal_pointer (&result);
}
