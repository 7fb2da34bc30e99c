/* What an upgrade leaves behind in the repository: the blob refs of layers that no image uses
 * any more, removed the way ostree-ext's `image prune` removes them (a layer is kept while an
 * image ref's manifest names it), so the sysroot's prune can drop their objects. */
#include "import-private.h"

#include <string.h>

/* g_ptr_array_sort's comparison of two char* elements: bytewise. */
static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

gboolean
berth_import_unused_layer_refs (const char *const *blob_refs, const char *const *manifests,
                                char ***out_unused, GError **error)
{
  g_autoptr (GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (gsize i = 0; manifests != NULL && manifests[i] != NULL; i++)
    {
      g_autoptr (BerthManifest) manifest
        = berth_manifest_parse (manifests[i], strlen (manifests[i]), NULL, error);
      if (manifest == NULL)
        return FALSE;
      for (guint j = 0; j < manifest->layers->len; j++)
        {
          const BerthDescriptor *d = manifest->layers->pdata[j];
          char *ref = berth_ref_for_blob (d->digest, error);
          if (ref == NULL)
            return FALSE;
          g_hash_table_add (used, ref);
        }
    }
  g_autoptr (GPtrArray) unused = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; blob_refs != NULL && blob_refs[i] != NULL; i++)
    if (!g_hash_table_contains (used, blob_refs[i]))
      g_ptr_array_add (unused, g_strdup (blob_refs[i]));
  g_ptr_array_sort (unused, compare_names);
  g_ptr_array_add (unused, NULL);
  *out_unused = (char **)g_ptr_array_free (g_steal_pointer (&unused), FALSE);
  return TRUE;
}

/* The names (with their prefix) of the refs under @prefix, sorted. */
static gboolean
list_refs (OstreeRepo *repo, const char *prefix, GHashTable **out_refs, char ***out_names,
           GCancellable *cancellable, GError **error)
{
  g_autoptr (GHashTable) refs = NULL;
  if (!ostree_repo_list_refs_ext (repo, prefix, &refs, OSTREE_REPO_LIST_REFS_EXT_NONE, cancellable,
                                  error))
    return FALSE;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, refs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  *out_names = (char **)g_ptr_array_free (g_steal_pointer (&names), FALSE);
  if (out_refs != NULL)
    *out_refs = g_steal_pointer (&refs);
  return TRUE;
}

gboolean
berth_import_prune_layers (OstreeRepo *repo, char ***out_removed, GCancellable *cancellable,
                           GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Pruning the layers no image uses");
  g_autoptr (GHashTable) images = NULL;
  g_auto (GStrv) image_refs = NULL;
  if (!list_refs (repo, BERTH_REF_IMAGE_PREFIX, &images, &image_refs, cancellable, error))
    return FALSE;
  g_autoptr (GPtrArray) manifests = g_ptr_array_new_with_free_func (g_free);
  for (char **r = image_refs; *r != NULL; r++)
    {
      const char *commit = g_hash_table_lookup (images, *r);
      g_autoptr (GVariant) variant = NULL;
      if (!ostree_repo_load_commit (repo, commit, &variant, NULL, error))
        return (g_prefix_error (error, "%s: ", *r), FALSE);
      g_autoptr (GVariant) metadata = g_variant_get_child_value (variant, 0);
      const char *manifest = NULL;
      /* without its manifest there is no telling which layers the image uses: keep them all */
      if (!g_variant_lookup (metadata, BERTH_IMPORT_META_MANIFEST, "&s", &manifest))
        return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                            "%s names commit %s, which has no %s metadata, so the layers it uses "
                            "are unknown; no layer was removed",
                            *r, commit, BERTH_IMPORT_META_MANIFEST);
      g_ptr_array_add (manifests, g_strdup (manifest));
    }
  g_ptr_array_add (manifests, NULL);

  g_auto (GStrv) blob_refs = NULL;
  if (!list_refs (repo, BERTH_REF_BLOB_PREFIX, NULL, &blob_refs, cancellable, error))
    return FALSE;
  g_auto (GStrv) unused = NULL;
  if (!berth_import_unused_layer_refs ((const char *const *)blob_refs,
                                       (const char *const *)manifests->pdata, &unused, error))
    return FALSE;
  for (char **r = unused; *r != NULL; r++)
    if (!ostree_repo_set_ref_immediate (repo, /* remote= */ NULL, *r, /* checksum= */ NULL,
                                        cancellable, error))
      return FALSE;
  if (out_removed != NULL)
    *out_removed = g_steal_pointer (&unused);
  return TRUE;
}

gboolean
berth_import_get_manifest_digest (OstreeRepo *repo, const char *commit, char **out_digest,
                                  GError **error)
{
  g_autoptr (GVariant) variant = NULL;
  if (!ostree_repo_load_commit (repo, commit, &variant, NULL, error))
    return FALSE;
  g_autoptr (GVariant) metadata = g_variant_get_child_value (variant, 0);
  const char *digest = NULL;
  *out_digest = g_variant_lookup (metadata, BERTH_IMPORT_META_MANIFEST_DIGEST, "&s", &digest)
                  ? g_strdup (digest)
                  : NULL;
  return TRUE;
}
