/* `berth pull`: source -> repository (see import-pull.h). */
#include "import-pull.h"

#include <string.h>
#include <unistd.h>

OstreeRepo *
berth_pull_open_repo (const char *path, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFile) dir = g_file_new_for_path (path);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (dir);
  g_autofree char *config = g_build_filename (path, "config", NULL);
  if (g_file_test (config, G_FILE_TEST_EXISTS))
    {
      if (!ostree_repo_open (repo, cancellable, error))
        return (g_prefix_error (error, "Opening repository %s: ", path), NULL);
      return g_steal_pointer (&repo);
    }
  /* bare keeps ownership and security xattrs, which only root can write; bare-user stores
   * them in user xattrs so unprivileged pulls (and tests) work. */
  OstreeRepoMode mode = geteuid () == 0 ? OSTREE_REPO_MODE_BARE : OSTREE_REPO_MODE_BARE_USER;
  if (!ostree_repo_create (repo, mode, cancellable, error))
    return (g_prefix_error (error, "Creating repository %s: ", path), NULL);
  return g_steal_pointer (&repo);
}

typedef struct
{
  BerthImageSource *source;
  const BerthImportLayerDesc *layers;
  const BerthPullOptions *options;
  /* byte counts, shared by the worker threads */
  GMutex lock;
  guint64 done, total;
  gint64 last_report; /* monotonic us */
} Callbacks;

static void
count_bytes (Callbacks *cb, guint64 n, guint64 less_total)
{
  if (cb->options->bytes == NULL)
    return;
  g_mutex_lock (&cb->lock);
  cb->done += n;
  cb->total -= MIN (less_total, cb->total);
  gint64 now = g_get_monotonic_time ();
  if (now - cb->last_report >= 100 * G_TIME_SPAN_MILLISECOND || cb->done >= cb->total)
    {
      cb->last_report = now;
      cb->options->bytes (cb->done, cb->total, cb->options->progress_data);
    }
  g_mutex_unlock (&cb->lock);
}

static void
on_progress (BerthImportEvent event, int layer_index, const BerthImportLayerStats *stats,
             gpointer user_data)
{
  Callbacks *cb = user_data;
  if (event == BERTH_IMPORT_EVENT_LAYER_REUSED)
    count_bytes (cb, 0, cb->layers[layer_index].size);
  if (cb->options->progress != NULL)
    cb->options->progress (event, layer_index, stats, cb->options->progress_data);
}

/* A blob stream that counts what is read through it, for the byte progress. */
typedef struct
{
  GFilterInputStream parent;
  Callbacks *cb;
} CountingStream;

typedef struct
{
  GFilterInputStreamClass parent_class;
} CountingStreamClass;

static GType counting_stream_get_type (void);
G_DEFINE_TYPE (CountingStream, counting_stream, G_TYPE_FILTER_INPUT_STREAM)

static gssize
counting_stream_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                      GError **error)
{
  CountingStream *self = (CountingStream *)stream;
  GInputStream *base = G_FILTER_INPUT_STREAM (stream)->base_stream;
  gssize n = g_input_stream_read (base, buffer, count, cancellable, error);
  if (n > 0)
    count_bytes (self->cb, (guint64)n, 0);
  return n;
}

static void
counting_stream_class_init (CountingStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = counting_stream_read;
}

static void
counting_stream_init (CountingStream *self)
{
}

static GInputStream *
open_layer_cb (const BerthImportLayerDesc *layer, gpointer user_data, GCancellable *cancellable,
               GError **error)
{
  Callbacks *cb = user_data;
  g_autoptr (GInputStream) blob = berth_image_source_open_blob (
    cb->source, layer->digest, (gint64)layer->size, cancellable, error);
  if (blob == NULL || cb->options->bytes == NULL)
    return g_steal_pointer (&blob);
  CountingStream *counting = g_object_new (counting_stream_get_type (), "base-stream", blob, NULL);
  counting->cb = cb;
  return G_INPUT_STREAM (counting);
}

gboolean
berth_pull_image (OstreeRepo *repo, BerthImageSource *source, const BerthPullOptions *options,
                  BerthImportResult **out_result, GCancellable *cancellable, GError **error)
{
  const BerthResolvedImage *resolved = berth_image_source_get_image (source);
  const BerthManifest *manifest = resolved->manifest;

  g_autofree char *image_ref = options->target_imgref
                                 ? g_strdup (options->target_imgref)
                                 : berth_image_ref_to_string (berth_image_source_get_ref (source));
  g_autofree char *manifest_json = g_strndup (g_bytes_get_data (resolved->manifest_bytes, NULL),
                                              g_bytes_get_size (resolved->manifest_bytes));
  g_autofree char *config_json = g_strndup (g_bytes_get_data (resolved->config_bytes, NULL),
                                            g_bytes_get_size (resolved->config_bytes));
  /* Embedded NULs would truncate what ostree stores: such a document is not JSON anyway. */
  if (strlen (manifest_json) != g_bytes_get_size (resolved->manifest_bytes)
      || strlen (config_json) != g_bytes_get_size (resolved->config_bytes))
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "Image %s: manifest or config contains NUL bytes", image_ref);

  BerthImportImage image = {
    .image_ref = image_ref,
    .manifest_digest = resolved->manifest_digest,
    .manifest_json = manifest_json,
    .config_json = config_json,
    .labels = resolved->config->labels,
    .created = manifest->annotations
                 ? g_hash_table_lookup (manifest->annotations, "org.opencontainers.image.created")
                 : NULL,
  };
  if (!berth_import_check_image (&image, error))
    return FALSE;

  guint n_layers = manifest->layers->len;
  /* Ostree format: the chunked form (ostree.final-diffid: the layers up to that one carry the
   * commit, the first of them the commit object itself), or the older one (ostree.commit only:
   * the first layer is the whole commit). Later layers are derived tar layers. */
  const BerthImageConfig *config = resolved->config;
  image.ostree_commit_label = berth_image_config_get_label (config, "ostree.commit");
  gint last_ostree = -1;
  if (!berth_image_config_get_ostree_last_layer (config, manifest, &last_ostree, error))
    return FALSE;
  const BerthImageRef *ref = berth_image_source_get_ref (source);
  if (ref->sigverify == BERTH_SIGVERIFY_REMOTE)
    {
      if (last_ostree < 0)
        return berth_throw (error, BERTH_ERROR_REFUSED,
                            "Image %s is not in the ostree format (no ostree.commit or "
                            "ostree.final-diffid label), so it has no commit that ostree remote "
                            "\"%s\" could verify; name it without the ostree-remote- prefix",
                            image_ref, ref->remote);
      image.verify_remote = ref->remote;
      image.verify_repo = options->verify_repo;
    }

  g_autofree BerthImportLayerDesc *layers = g_new0 (BerthImportLayerDesc, n_layers);
  for (guint i = 0; i < n_layers; i++)
    {
      const BerthDescriptor *d = manifest->layers->pdata[i];
      layers[i].digest = d->digest;
      layers[i].media_type = d->media_type;
      layers[i].size = (guint64)d->size;
      layers[i].kind = (gint)i > last_ostree ? BERTH_IMPORT_LAYER_TAR
                       : i == 0              ? BERTH_IMPORT_LAYER_OSTREE_COMMIT
                                             : BERTH_IMPORT_LAYER_OSTREE_OBJECTS;
    }

  Callbacks cb = { .source = source, .layers = layers, .options = options };
  g_mutex_init (&cb.lock);
  for (guint i = 0; i < n_layers; i++)
    cb.total += layers[i].size;
  BerthImportOptions iopts = {
    .open_layer = open_layer_cb,
    .progress = on_progress,
    .user_data = &cb,
    .n_workers = options->n_workers,
  };

  /* Bulk import without an fsync per object, then one syncfs (as bootc does). */
  ostree_repo_set_disable_fsync (repo, TRUE);
  g_autoptr (BerthImportResult) result = NULL;
  gboolean ok
    = berth_import_image (repo, &image, layers, n_layers, &iopts, &result, cancellable, error);
  g_mutex_clear (&cb.lock);
  if (!ok)
    return FALSE;
  if (!options->no_sync && syncfs (ostree_repo_get_dfd (repo)) < 0)
    return berth_throw_errno (error, "syncfs on the repository");

  *out_result = g_steal_pointer (&result);
  return TRUE;
}

gboolean
berth_pull_image_at (const char *repo_path, BerthImageSource *source,
                     const BerthPullOptions *options, BerthImportResult **out_result,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr (OstreeRepo) repo = berth_pull_open_repo (repo_path, cancellable, error);
  if (repo == NULL)
    return FALSE;
  return berth_pull_image (repo, source, options, out_result, cancellable, error);
}
