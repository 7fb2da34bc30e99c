/* One layer: which reader takes it, and its commit. */
#include "import-private.h"

#include <string.h>

static const char *const layer_kind_names[] = {
  [BERTH_IMPORT_LAYER_TAR] = "tar",
  [BERTH_IMPORT_LAYER_OSTREE_COMMIT] = "ostree-commit",
  [BERTH_IMPORT_LAYER_OSTREE_OBJECTS] = "ostree-objects",
};

const char *
berth_import_layer_kind_to_string (BerthImportLayerKind kind)
{
  if ((guint)kind >= G_N_ELEMENTS (layer_kind_names))
    return "unknown";
  return layer_kind_names[kind];
}

BerthImportedLayer *
berth_imported_layer_new (const char *digest)
{
  BerthImportedLayer *layer = g_new0 (BerthImportedLayer, 1);
  layer->digest = g_strdup (digest);
  layer->root = ostree_mutable_tree_new ();
  layer->implicit_dirs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  layer->stats.compression = "none";
  return layer;
}

void
berth_imported_layer_free (BerthImportedLayer *layer)
{
  if (layer == NULL)
    return;
  g_free (layer->digest);
  g_clear_object (&layer->root);
  g_clear_pointer (&layer->implicit_dirs, g_hash_table_unref);
  g_free (layer->ostree_commit);
  g_clear_pointer (&layer->commit_data, g_bytes_unref);
  g_clear_pointer (&layer->commitmeta, g_bytes_unref);
  g_free (layer);
}

const BerthImportLayerStats *
berth_imported_layer_get_stats (const BerthImportedLayer *layer)
{
  return &layer->stats;
}

/* A layer reader per layer kind: the ostree container format will add its own entry here
 * (its layers are tars too, of object files, and its result is a commit it carries itself). */
typedef BerthImportedLayer *(*LayerReadFunc) (OstreeRepo *repo, const BerthImportLayerDesc *layer,
                                              GInputStream *blob, GCancellable *cancellable,
                                              GError **error);

static const LayerReadFunc layer_readers[] = {
  [BERTH_IMPORT_LAYER_TAR] = berth_import_tar_read,
  [BERTH_IMPORT_LAYER_OSTREE_COMMIT] = berth_import_ostree_read,
  [BERTH_IMPORT_LAYER_OSTREE_OBJECTS] = berth_import_ostree_read,
};

/* Layers are tars, compressed or not; anything else in a manifest's layers (an artifact, a
 * foreign format) is not an OS image. Without a media type the bytes decide. */
static gboolean
media_type_is_tar (const char *media_type)
{
  return media_type == NULL || *media_type == '\0' || strstr (media_type, ".tar") != NULL;
}

BerthImportedLayer *
berth_import_layer_read (OstreeRepo *repo, const BerthImportLayerDesc *layer, GInputStream *blob,
                         GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Importing layer %s", layer->digest);

  if (layer->digest == NULL || *layer->digest == '\0')
    {
      berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "A layer without a digest");
      return NULL;
    }
  if (!media_type_is_tar (layer->media_type))
    {
      g_autofree char *quoted = g_strescape (layer->media_type, NULL);
      berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE, "Media type \"%s\" is not a tar layer",
                   quoted);
      return NULL;
    }
  LayerReadFunc read
    = (guint)layer->kind < G_N_ELEMENTS (layer_readers) ? layer_readers[layer->kind] : NULL;
  if (read == NULL)
    {
      berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE, "Layers of kind %s are not supported yet",
                   berth_import_layer_kind_to_string (layer->kind));
      return NULL;
    }
  return read (repo, layer, blob, cancellable, error);
}

static int
compare_strings (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static GVariant *
layer_commit_metadata (BerthImportedLayer *layer)
{
  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", BERTH_IMPORT_META_LAYER_DIGEST,
                         g_variant_new_string (layer->digest));
  if (g_hash_table_size (layer->implicit_dirs) > 0)
    {
      g_autofree const char **dirs
        = (const char **)g_hash_table_get_keys_as_array (layer->implicit_dirs, NULL);
      g_qsort_with_data (dirs, g_hash_table_size (layer->implicit_dirs), sizeof (char *),
                         compare_strings, NULL);
      g_variant_builder_add (&builder, "{sv}", BERTH_IMPORT_META_IMPLICIT_DIRS,
                             g_variant_new_strv (dirs, -1));
    }
  if (layer->etc_origin != NULL)
    g_variant_builder_add (&builder, "{sv}", BERTH_IMPORT_META_ETC,
                           g_variant_new_string (layer->etc_origin));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

gboolean
berth_import_layer_commit (OstreeRepo *repo, BerthImportedLayer *layer, char **out_commit,
                           GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Committing layer %s", layer->digest);

  /* The commit layer's blob ref names the commit it carries (its closure is checked with the
   * whole image, import-image.c). */
  if (layer->kind == BERTH_IMPORT_LAYER_OSTREE_COMMIT)
    {
      *out_commit = g_strdup (layer->ostree_commit);
      return TRUE;
    }

  g_autoptr (GFile) root = NULL;
  if (!ostree_repo_write_mtree (repo, layer->root, &root, cancellable, error))
    return FALSE;
  /* an ostree chunk's object-set commit has no metadata, as ostree-ext writes it */
  g_autoptr (GVariant) metadata
    = layer->kind == BERTH_IMPORT_LAYER_OSTREE_OBJECTS ? NULL : layer_commit_metadata (layer);
  g_autofree char *commit = NULL;
  /* Timestamp 0: the commit is a function of the blob alone, so one blob is one commit. */
  if (!ostree_repo_write_commit_with_time (repo, NULL, NULL, NULL, metadata,
                                           OSTREE_REPO_FILE (root), 0, &commit, cancellable, error))
    return FALSE;
  *out_commit = g_steal_pointer (&commit);
  return TRUE;
}
