/* Refs, and the merge commit: the layer commits applied in order with whiteout semantics.
 *
 * The merge never checks anything out: it walks the layer commits' dirtree objects and edits
 * one OstreeMutableTree. A directory that only a single layer has (most of the base layer) is
 * put in by its checksum (a lazy subtree) when it holds no whiteout, so its objects are neither
 * read nor written again; memory grows with what later layers change, not with the image. */
#include "import-private.h"

#include <string.h>

/* ---- refs -------------------------------------------------------------------------------- */

/* The commit a ref names, or NULL when there is none, or when the commit is missing or only
 * partly pulled (then the blob or image is imported again rather than trusted). */
static gboolean
resolve_complete_commit (OstreeRepo *repo, const char *refname, char **out_commit,
                         GVariant **out_variant, GError **error)
{
  g_autofree char *rev = NULL;
  if (!ostree_repo_resolve_rev (repo, refname, TRUE, &rev, error))
    return FALSE;
  g_autoptr (GVariant) commit = NULL;
  OstreeRepoCommitState state = 0;
  if (rev != NULL)
    {
      g_autoptr (GError) local_error = NULL;
      if (!ostree_repo_load_commit (repo, rev, &commit, &state, &local_error))
        {
          if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          g_debug ("%s names %s, which is missing: importing again", refname, rev);
          g_clear_pointer (&rev, g_free);
        }
      else if (state & OSTREE_REPO_COMMIT_STATE_PARTIAL)
        {
          g_debug ("%s names %s, which is partial: importing again", refname, rev);
          g_clear_pointer (&rev, g_free);
          g_clear_pointer (&commit, g_variant_unref);
        }
    }
  *out_commit = g_steal_pointer (&rev);
  if (out_variant != NULL)
    *out_variant = g_steal_pointer (&commit);
  return TRUE;
}

gboolean
berth_import_has_layer (OstreeRepo *repo, const char *digest, char **out_commit,
                        GCancellable *cancellable, GError **error)
{
  g_autofree char *refname = berth_ref_for_blob (digest, error);
  if (refname == NULL)
    return FALSE;
  return resolve_complete_commit (repo, refname, out_commit, NULL, error);
}

gboolean
berth_import_set_layer_ref (OstreeRepo *repo, const char *digest, const char *commit,
                            GError **error)
{
  g_autofree char *refname = berth_ref_for_blob (digest, error);
  if (refname == NULL)
    return FALSE;
  ostree_repo_transaction_set_ref (repo, NULL, refname, commit);
  return TRUE;
}

gboolean
berth_import_set_image_ref (OstreeRepo *repo, const char *image_ref, const char *merge_commit,
                            GError **error)
{
  g_autofree char *refname = berth_ref_for_image (image_ref, error);
  if (refname == NULL)
    return FALSE;
  ostree_repo_transaction_set_ref (repo, NULL, refname, merge_commit);
  return TRUE;
}

gboolean
berth_import_image_is_current (OstreeRepo *repo, const char *image_ref, const char *manifest_digest,
                               char **out_merge_commit, GCancellable *cancellable, GError **error)
{
  g_autofree char *refname = berth_ref_for_image (image_ref, error);
  if (refname == NULL)
    return FALSE;
  g_autofree char *rev = NULL;
  g_autoptr (GVariant) commit = NULL;
  if (!resolve_complete_commit (repo, refname, &rev, &commit, error))
    return FALSE;
  if (rev != NULL)
    {
      g_autoptr (GVariant) metadata = g_variant_get_child_value (commit, 0);
      const char *stored = NULL;
      if (!g_variant_lookup (metadata, BERTH_IMPORT_META_MANIFEST_DIGEST, "&s", &stored)
          || g_strcmp0 (stored, manifest_digest) != 0)
        g_clear_pointer (&rev, g_free);
    }
  *out_merge_commit = g_steal_pointer (&rev);
  return TRUE;
}

/* ---- images ------------------------------------------------------------------------------ */

gboolean
berth_import_check_image (const BerthImportImage *image, GError **error)
{
  if (image->image_ref == NULL || image->manifest_digest == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "An image without a reference or a "
                        "manifest digest");
  return TRUE;
}

/* ---- the merge --------------------------------------------------------------------------- */

typedef struct
{
  OstreeRepo *repo;
  GCancellable *cancellable;
  /* dirtree checksum -> 1 + whether the subtree holds a whiteout file */
  GHashTable *whiteout_cache;
  /* The current layer's implied directories (paths): they leave a lower layer's attributes
   * alone. NULL when the layer has none or did not record them. */
  GHashTable *implicit;
} Merger;

static gboolean
subtree_has_whiteouts (Merger *m, const char *tree_csum, gboolean *out_has, GError **error)
{
  gpointer cached = g_hash_table_lookup (m->whiteout_cache, tree_csum);
  if (cached != NULL)
    {
      *out_has = GPOINTER_TO_INT (cached) - 1;
      return TRUE;
    }
  g_autoptr (GVariant) tree = NULL;
  if (!ostree_repo_load_variant (m->repo, OSTREE_OBJECT_TYPE_DIR_TREE, tree_csum, &tree, error))
    return FALSE;

  gboolean has = FALSE;
  g_autoptr (GVariant) files = g_variant_get_child_value (tree, 0);
  GVariantIter iter;
  const char *name;
  g_variant_iter_init (&iter, files);
  while (!has && g_variant_iter_next (&iter, "(&s@ay)", &name, NULL))
    has = g_str_has_prefix (name, BERTH_IMPORT_WHITEOUT_PREFIX);

  g_autoptr (GVariant) dirs = g_variant_get_child_value (tree, 1);
  g_variant_iter_init (&iter, dirs);
  GVariant *sub_csum_v;
  while (!has && g_variant_iter_next (&iter, "(&s@ay@ay)", &name, &sub_csum_v, NULL))
    {
      g_autoptr (GVariant) owned = sub_csum_v;
      g_autofree char *sub_csum = ostree_checksum_from_bytes_v (sub_csum_v);
      if (!subtree_has_whiteouts (m, sub_csum, &has, error))
        return FALSE;
    }

  g_hash_table_insert (m->whiteout_cache, g_strdup (tree_csum), GINT_TO_POINTER (1 + has));
  *out_has = has;
  return TRUE;
}

/* The directory's children, loading it first when it is a lazy subtree. */
static gboolean
mtree_children (OstreeMutableTree *mt, GHashTable **out_files, GHashTable **out_subdirs,
                GError **error)
{
  GHashTable *subdirs = ostree_mutable_tree_get_subdirs (mt);
  if (!ostree_mutable_tree_check_error (mt, error))
    return FALSE;
  *out_files = ostree_mutable_tree_get_files (mt);
  *out_subdirs = subdirs;
  return TRUE;
}

static gboolean
mtree_clear (OstreeMutableTree *mt, GError **error)
{
  GHashTable *files, *subdirs;
  if (!mtree_children (mt, &files, &subdirs, error))
    return FALSE;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, files);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_hash_table_iter_init (&iter, subdirs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  for (guint i = 0; i < names->len; i++)
    if (!ostree_mutable_tree_remove (mt, names->pdata[i], FALSE, error))
      return FALSE;
  return TRUE;
}

/* Applies one layer's directory @tree_csum/@meta_csum at @path onto the merged directory @mt. */
static gboolean
apply_dir (Merger *m, OstreeMutableTree *mt, GString *path, const char *tree_csum,
           const char *meta_csum, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (m->cancellable, error))
    return FALSE;

  gboolean implied = m->implicit != NULL && g_hash_table_contains (m->implicit, path->str);
  if (!implied || ostree_mutable_tree_get_metadata_checksum (mt) == NULL)
    ostree_mutable_tree_set_metadata_checksum (mt, meta_csum);

  g_autoptr (GVariant) tree = NULL;
  if (!ostree_repo_load_variant (m->repo, OSTREE_OBJECT_TYPE_DIR_TREE, tree_csum, &tree, error))
    return FALSE;
  g_autoptr (GVariant) files = g_variant_get_child_value (tree, 0);
  g_autoptr (GVariant) dirs = g_variant_get_child_value (tree, 1);
  GVariantIter iter;
  const char *name;
  GVariant *csum_v;

  /* 1. the opaque marker hides everything the lower layers had here */
  g_variant_iter_init (&iter, files);
  while (g_variant_iter_next (&iter, "(&s@ay)", &name, NULL))
    if (g_str_equal (name, BERTH_IMPORT_OPAQUE_NAME) && !mtree_clear (mt, error))
      return FALSE;

  /* 2. whiteouts delete lower layers' entries: before this layer's own entries are added, so
   *    a layer may delete a name and add it back (a directory replaced by a file) */
  g_variant_iter_init (&iter, files);
  while (g_variant_iter_next (&iter, "(&s@ay)", &name, NULL))
    {
      const char *target = NULL;
      if (berth_import_whiteout_classify (name, &target) == BERTH_IMPORT_WHITEOUT_NAME
          && !ostree_mutable_tree_remove (mt, target, TRUE, error))
        return FALSE;
    }

  GHashTable *mt_files, *mt_subdirs;
  if (!mtree_children (mt, &mt_files, &mt_subdirs, error))
    return FALSE;

  /* 3. files (regular files and symlinks) replace whatever had their name */
  g_variant_iter_init (&iter, files);
  while (g_variant_iter_next (&iter, "(&s@ay)", &name, &csum_v))
    {
      g_autoptr (GVariant) owned = csum_v;
      const char *unused;
      if (berth_import_whiteout_classify (name, &unused) != BERTH_IMPORT_WHITEOUT_NONE)
        continue;
      if (g_hash_table_contains (mt_subdirs, name)
          && !ostree_mutable_tree_remove (mt, name, FALSE, error))
        return FALSE;
      g_autofree char *csum = ostree_checksum_from_bytes_v (csum_v);
      if (!ostree_mutable_tree_replace_file (mt, name, csum, error))
        return FALSE;
    }

  /* 4. directories merge with a lower directory, or replace a lower file */
  g_variant_iter_init (&iter, dirs);
  GVariant *meta_v;
  while (g_variant_iter_next (&iter, "(&s@ay@ay)", &name, &csum_v, &meta_v))
    {
      g_autoptr (GVariant) owned_csum = csum_v;
      g_autoptr (GVariant) owned_meta = meta_v;
      g_autofree char *sub_tree = ostree_checksum_from_bytes_v (csum_v);
      g_autofree char *sub_meta = ostree_checksum_from_bytes_v (meta_v);
      gsize path_len = path->len;
      if (path->len > 0)
        g_string_append_c (path, '/');
      g_string_append (path, name);

      g_autoptr (OstreeMutableTree) sub = NULL;
      OstreeMutableTree *existing = g_hash_table_lookup (mt_subdirs, name);
      if (existing != NULL)
        {
          gboolean has_whiteouts;
          if (!subtree_has_whiteouts (m, sub_tree, &has_whiteouts, error))
            return FALSE;
          /* A lazy subtree's contents checksum is its dirtree's (a loaded one has none until
           * it is written): the same content again changes nothing but the attributes. */
          if (!has_whiteouts
              && g_strcmp0 (ostree_mutable_tree_get_contents_checksum (existing), sub_tree) == 0)
            {
              if (m->implicit == NULL || !g_hash_table_contains (m->implicit, path->str))
                ostree_mutable_tree_set_metadata_checksum (existing, sub_meta);
            }
          else if (!apply_dir (m, existing, path, sub_tree, sub_meta, error))
            return FALSE;
        }
      else
        {
          if (g_hash_table_contains (mt_files, name)
              && !ostree_mutable_tree_remove (mt, name, FALSE, error))
            return FALSE;
          gboolean has_whiteouts;
          if (!subtree_has_whiteouts (m, sub_tree, &has_whiteouts, error))
            return FALSE;
          if (!ostree_mutable_tree_ensure_dir (mt, name, &sub, error))
            return FALSE;
          if (!has_whiteouts)
            {
              /* new here and nothing to apply: the layer's subtree as it is, by checksum */
              if (!ostree_mutable_tree_fill_empty_from_dirtree (sub, m->repo, sub_tree, sub_meta))
                return berth_throw (error, BERTH_ERROR_FAILED, "Filling directory %s", path->str);
            }
          else if (!apply_dir (m, sub, path, sub_tree, sub_meta, error))
            return FALSE;
        }
      g_string_truncate (path, path_len);
    }
  return TRUE;
}

typedef struct
{
  char *commit;
  char *label; /* the layer's digest when the commit records it, else the commit */
  GVariant *variant;
} LayerInfo;

static void
layer_info_clear (LayerInfo *info)
{
  g_free (info->commit);
  g_free (info->label);
  g_clear_pointer (&info->variant, g_variant_unref);
}

static gboolean
merge_layer (Merger *m, OstreeMutableTree *merged, const LayerInfo *info, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Merging layer %s", info->label);
  g_autoptr (GVariant) metadata = g_variant_get_child_value (info->variant, 0);
  g_autofree const char **implicit = NULL;
  g_autoptr (GHashTable) implicit_set = NULL;
  if (g_variant_lookup (metadata, BERTH_IMPORT_META_IMPLICIT_DIRS, "^a&s", &implicit))
    {
      implicit_set = g_hash_table_new (g_str_hash, g_str_equal);
      for (const char **p = implicit; *p != NULL; p++)
        g_hash_table_add (implicit_set, (gpointer)*p);
    }
  m->implicit = implicit_set;

  g_autoptr (GVariant) tree_v = g_variant_get_child_value (info->variant, 6);
  g_autoptr (GVariant) meta_v = g_variant_get_child_value (info->variant, 7);
  g_autofree char *tree = ostree_checksum_from_bytes_v (tree_v);
  g_autofree char *meta = ostree_checksum_from_bytes_v (meta_v);
  g_autoptr (GString) path = g_string_new ("");
  gboolean ok = apply_dir (m, merged, path, tree, meta, error);
  m->implicit = NULL;
  return ok;
}

static guint64
image_timestamp (const char *created)
{
  if (created != NULL)
    {
      g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (created, NULL);
      if (dt != NULL && g_date_time_to_unix (dt) >= 0)
        return g_date_time_to_unix (dt);
      g_debug ("Unparseable image creation time \"%s\": using now", created);
    }
  return g_get_real_time () / G_USEC_PER_SEC;
}

gboolean
berth_import_merge (OstreeRepo *repo, const BerthImportImage *image,
                    const char *const *layer_commits, char **out_merge_commit,
                    GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Merging the layers of %s",
                           image->image_ref != NULL ? image->image_ref : "(unnamed image)");

  if (image->manifest_digest == NULL || image->manifest_json == NULL || image->config_json == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "The manifest digest, the manifest and the config are all needed");
  guint n_layers = layer_commits != NULL ? g_strv_length ((char **)layer_commits) : 0;
  if (n_layers == 0)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "The image has no layers");

  g_autoptr (GArray) infos = g_array_sized_new (FALSE, TRUE, sizeof (LayerInfo), n_layers);
  g_array_set_clear_func (infos, (GDestroyNotify)layer_info_clear);
  int etc_index = -1, usr_etc_index = -1;
  for (guint i = 0; i < n_layers; i++)
    {
      g_array_append_val (infos, ((LayerInfo){ .commit = g_strdup (layer_commits[i]) }));
      LayerInfo *info = &g_array_index (infos, LayerInfo, i);
      if (!ostree_repo_load_commit (repo, info->commit, &info->variant, NULL, error))
        return FALSE;
      g_autoptr (GVariant) metadata = g_variant_get_child_value (info->variant, 0);
      const char *digest = NULL;
      if (!g_variant_lookup (metadata, BERTH_IMPORT_META_LAYER_DIGEST, "&s", &digest))
        digest = info->commit;
      info->label = g_strdup (digest);
      const char *etc = NULL;
      if (g_variant_lookup (metadata, BERTH_IMPORT_META_ETC, "&s", &etc))
        {
          if (g_str_equal (etc, "etc") && etc_index < 0)
            etc_index = i;
          else if (!g_str_equal (etc, "etc") && usr_etc_index < 0)
            usr_etc_index = i;
        }
    }
  /* DESIGN.md section 2: /etc moves to /usr/etc, so an image with both has two of one. */
  if (etc_index >= 0 && usr_etc_index >= 0)
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "Layer %s has /etc and layer %s has /usr/etc; ostree needs the image's "
                        "/etc at /usr/etc and cannot take both",
                        g_array_index (infos, LayerInfo, etc_index).label,
                        g_array_index (infos, LayerInfo, usr_etc_index).label);

  Merger m = {
    .repo = repo,
    .cancellable = cancellable,
  };
  g_autoptr (GHashTable) whiteout_cache
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m.whiteout_cache = whiteout_cache;
  g_autoptr (OstreeMutableTree) merged = ostree_mutable_tree_new ();
  for (guint i = 0; i < n_layers; i++)
    if (!merge_layer (&m, merged, &g_array_index (infos, LayerInfo, i), error))
      return FALSE;

  g_autoptr (GFile) root = NULL;
  if (!ostree_repo_write_mtree (repo, merged, &root, cancellable, error))
    return FALSE;

  /* ostree-ext's keys and types (container/store.rs); it reads all three as strings. */
  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", BERTH_IMPORT_META_MANIFEST_DIGEST,
                         g_variant_new_string (image->manifest_digest));
  g_variant_builder_add (&builder, "{sv}", BERTH_IMPORT_META_MANIFEST,
                         g_variant_new_string (image->manifest_json));
  g_variant_builder_add (&builder, "{sv}", BERTH_IMPORT_META_CONFIG,
                         g_variant_new_string (image->config_json));
  g_variant_builder_add (&builder, "{sv}", "berth.importer.version",
                         g_variant_new_string (BERTH_VERSION));
  g_autoptr (GVariant) metadata = g_variant_ref_sink (g_variant_builder_end (&builder));

  g_autofree char *commit = NULL;
  if (!ostree_repo_write_commit_with_time (
        repo, NULL, NULL, NULL, metadata, OSTREE_REPO_FILE (root), image_timestamp (image->created),
        &commit, cancellable, error))
    return FALSE;
  *out_merge_commit = g_steal_pointer (&commit);
  return TRUE;
}
