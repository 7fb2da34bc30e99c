/* A whole image: the layers fetched and read on a bounded worker pool, committed, merged and
 * referenced on the calling thread, all in one transaction. */
#include "import-private.h"

static const char *const event_names[] = {
  [BERTH_IMPORT_EVENT_LAYER_REUSED] = "layer-reused",
  [BERTH_IMPORT_EVENT_LAYER_IMPORTED] = "layer-imported",
  [BERTH_IMPORT_EVENT_MERGED] = "merged",
};

const char *
berth_import_event_to_string (BerthImportEvent event)
{
  if ((guint)event >= G_N_ELEMENTS (event_names))
    return "unknown";
  return event_names[event];
}

char *
berth_import_event_describe (BerthImportEvent event, int layer_index, guint n_layers,
                             const char *digest, const BerthImportLayerStats *stats)
{
  switch (event)
    {
    case BERTH_IMPORT_EVENT_LAYER_REUSED:
      return g_strdup_printf ("layer %d/%u %.19s: already in the repository", layer_index + 1,
                              n_layers, digest);
    case BERTH_IMPORT_EVENT_LAYER_IMPORTED:
      {
        g_autofree char *blob = g_format_size (stats->n_blob_bytes);
        g_autofree char *content = g_format_size (stats->n_bytes);
        return g_strdup_printf (
          "layer %d/%u %.19s: %s fetched (%s), %" G_GUINT64_FORMAT " files with %s%s",
          layer_index + 1, n_layers, digest, blob, stats->compression, stats->n_files, content,
          stats->n_dropped_devices + stats->n_dropped_special ? ", device nodes and FIFOs dropped"
                                                              : "");
      }
    case BERTH_IMPORT_EVENT_MERGED:
      return g_strdup_printf ("merged %u layers", n_layers);
    }
  return g_strdup (berth_import_event_to_string (event));
}

/* Each worker holds a decompressor and a layer's tree: measured on the test OS image, peak RSS
 * is 20 MiB with any number of gzip workers but grows by ~7 MiB per zstd worker (the decoder's
 * window), so 4 keeps a pull under DESIGN's 64 MiB (43 MiB measured); images rarely have more
 * than 4 big layers to overlap anyway. */
#define MAX_DEFAULT_WORKERS 4

guint
berth_import_default_workers (void)
{
  return CLAMP (g_get_num_processors (), 1, MAX_DEFAULT_WORKERS);
}

void
berth_import_result_free (BerthImportResult *result)
{
  if (result == NULL)
    return;
  g_free (result->merge_commit);
  /* not g_strfreev: until the import is done the array has holes */
  for (guint i = 0; i < result->n_layers; i++)
    g_free (result->layer_commits[i]);
  g_free (result->layer_commits);
  g_free (result->layer_reused);
  g_free (result->layer_stats);
  g_free (result);
}

static BerthImportResult *
result_new (guint n_layers)
{
  BerthImportResult *result = g_new0 (BerthImportResult, 1);
  result->n_layers = n_layers;
  result->layer_commits = g_new0 (char *, n_layers + 1);
  result->layer_reused = g_new0 (gboolean, n_layers);
  result->layer_stats = g_new0 (BerthImportLayerStats, n_layers);
  return result;
}

/* ---- the transaction and the cancellable, undone on every way out ------------------------ */

typedef struct
{
  OstreeRepo *repo; /* set while the transaction is ours and open */
} TransactionGuard;

static void
transaction_guard_clear (TransactionGuard *guard)
{
  /* Nothing of it is referenced: objects stay in the staging dir, refs are never written. */
  if (guard->repo != NULL)
    (void)ostree_repo_abort_transaction (guard->repo, NULL, NULL);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TransactionGuard, transaction_guard_clear)

typedef struct
{
  GCancellable *caller;
  gulong handler;
} CancelLink;

static void
cancel_link_clear (CancelLink *link)
{
  if (link->handler != 0)
    g_cancellable_disconnect (link->caller, link->handler);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CancelLink, cancel_link_clear)

static void
cancel_ours (GCancellable *caller, gpointer ours)
{
  g_cancellable_cancel (ours);
}

/* ---- workers ----------------------------------------------------------------------------- */

typedef struct
{
  guint index; /* the layer's position in the manifest */
  const BerthImportLayerDesc *desc;
  BerthImportedLayer *layer; /* on success */
  GError *error;             /* on failure */
} Job;

static void
job_free (Job *job)
{
  g_clear_pointer (&job->layer, berth_imported_layer_free);
  g_clear_error (&job->error);
  g_free (job);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

typedef struct
{
  OstreeRepo *repo;
  const BerthImportOptions *options;
  GCancellable *cancellable; /* ours: the caller's, or the first failure, cancels it */
  GAsyncQueue *done;         /* Jobs, as they finish */
} Shared;

/* On a pool thread: fetch and read one layer. Touches only its Job. */
static void
worker (gpointer data, gpointer user_data)
{
  Job *job = data;
  Shared *shared = user_data;

  if (!g_cancellable_set_error_if_cancelled (shared->cancellable, &job->error))
    {
      g_autoptr (GInputStream) blob = shared->options->open_layer (
        job->desc, shared->options->user_data, shared->cancellable, &job->error);
      if (blob == NULL)
        {
          if (job->error == NULL)
            berth_throw (&job->error, BERTH_ERROR_FAILED, "No stream");
          g_prefix_error (&job->error, "Fetching layer %s: ", job->desc->digest);
        }
      else
        job->layer = berth_import_layer_read (shared->repo, job->desc, blob, shared->cancellable,
                                              &job->error);
    }
  g_async_queue_push (shared->done, job);
}

/* A finished job: its error, or its commit and blob ref (the blob's digest was verified: the
 * stream reached EOF without an error). */
static gboolean
commit_job (OstreeRepo *repo, Job *job, char **out_commit, GCancellable *cancellable,
            GError **error)
{
  if (job->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&job->error));
      return FALSE;
    }
  g_autofree char *commit = NULL;
  if (!berth_import_layer_commit (repo, job->layer, &commit, cancellable, error)
      || !berth_import_set_layer_ref (repo, job->desc->digest, commit, error))
    return FALSE;
  *out_commit = g_steal_pointer (&commit);
  return TRUE;
}

static void
report (const BerthImportOptions *options, BerthImportEvent event, int index,
        const BerthImportLayerStats *stats)
{
  if (options->progress != NULL)
    options->progress (event, index, stats, options->user_data);
}

/* Every layer's blob ref exists and the image ref names this manifest: a re-pull of an
 * unchanged image. */
static gboolean
image_is_complete (OstreeRepo *repo, const BerthImportImage *image,
                   const BerthImportLayerDesc *layers, guint n_layers, BerthImportResult *result,
                   gboolean *out_complete, GCancellable *cancellable, GError **error)
{
  g_autofree char *merge_commit = NULL;
  if (!berth_import_image_is_current (repo, image->image_ref, image->manifest_digest, &merge_commit,
                                      cancellable, error))
    return FALSE;
  *out_complete = FALSE;
  if (merge_commit == NULL)
    return TRUE;
  g_autoptr (GPtrArray) commits = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_layers; i++)
    {
      g_autofree char *commit = NULL;
      if (!berth_import_has_layer (repo, layers[i].digest, &commit, cancellable, error))
        return FALSE;
      if (commit == NULL)
        return TRUE; /* a blob ref was pruned: import the image again */
      g_ptr_array_add (commits, g_steal_pointer (&commit));
    }
  for (guint i = 0; i < n_layers; i++)
    {
      result->layer_commits[i] = g_strdup (commits->pdata[i]);
      result->layer_reused[i] = TRUE;
    }
  result->merge_commit = g_steal_pointer (&merge_commit);
  *out_complete = TRUE;
  return TRUE;
}

gboolean
berth_import_image (OstreeRepo *repo, const BerthImportImage *image,
                    const BerthImportLayerDesc *layers, guint n_layers,
                    const BerthImportOptions *options, BerthImportResult **out_result,
                    GCancellable *cancellable, GError **error)
{
  if (options == NULL || options->open_layer == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "No function to open layers");
  if (n_layers == 0)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "The image has no layers");
  if (!berth_import_check_image (image, error))
    return FALSE;

  g_autoptr (BerthImportResult) result = result_new (n_layers);
  gboolean complete = FALSE;
  if (!image_is_complete (repo, image, layers, n_layers, result, &complete, cancellable, error))
    return FALSE;
  if (complete)
    {
      result->already_current = TRUE;
      *out_result = g_steal_pointer (&result);
      return TRUE;
    }

  g_auto (TransactionGuard) txn = { NULL };
  if (!ostree_repo_prepare_transaction (repo, NULL, cancellable, error))
    return FALSE;
  txn.repo = repo;

  /* Which layers to fetch: not those with a blob ref, and each digest once (a manifest may
   * list one blob twice). first_of[i] is the index whose result layer i shares. */
  g_autofree guint *first_of = g_new0 (guint, n_layers);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) jobs = g_ptr_array_new ();
  for (guint i = 0; i < n_layers; i++)
    {
      gpointer first;
      if (g_hash_table_lookup_extended (seen, layers[i].digest, NULL, &first))
        {
          first_of[i] = GPOINTER_TO_UINT (first);
          continue;
        }
      first_of[i] = i;
      g_hash_table_insert (seen, (gpointer)layers[i].digest, GUINT_TO_POINTER (i));
      g_autofree char *commit = NULL;
      if (!berth_import_has_layer (repo, layers[i].digest, &commit, cancellable, error))
        return FALSE;
      if (commit != NULL)
        {
          result->layer_commits[i] = g_steal_pointer (&commit);
          result->layer_reused[i] = TRUE;
          report (options, BERTH_IMPORT_EVENT_LAYER_REUSED, i, NULL);
          continue;
        }
      Job *job = g_new0 (Job, 1);
      job->index = i;
      job->desc = &layers[i];
      g_ptr_array_add (jobs, job);
    }

  g_autoptr (GBytes) commit_data = NULL;
  g_autoptr (GBytes) commitmeta = NULL;
  if (jobs->len > 0)
    {
      g_autoptr (GCancellable) ours = g_cancellable_new ();
      g_auto (CancelLink) link = { cancellable, 0 };
      if (cancellable != NULL)
        link.handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_ours), ours, NULL);
      g_autoptr (GAsyncQueue) done = g_async_queue_new ();
      Shared shared = { repo, options, ours, done };

      guint n_workers
        = options->n_workers != 0 ? options->n_workers : berth_import_default_workers ();
      GThreadPool *pool
        = g_thread_pool_new (worker, &shared, MIN (n_workers, jobs->len), FALSE, error);
      if (pool == NULL)
        {
          for (guint i = 0; i < jobs->len; i++)
            job_free (jobs->pdata[i]);
          return FALSE;
        }
      for (guint i = 0; i < jobs->len; i++)
        if (!g_thread_pool_push (pool, jobs->pdata[i], NULL))
          g_assert_not_reached (); /* only fails for a pool that makes threads on demand */

      /* The commits on this thread, as the layers finish (DESIGN.md section 1). */
      g_autoptr (GError) first_error = NULL;
      for (guint n = 0; n < jobs->len; n++)
        {
          g_autoptr (Job) job = g_async_queue_pop (done);
          if (first_error != NULL)
            continue;
          g_autofree char *commit = NULL;
          if (!commit_job (repo, job, &commit, cancellable, &first_error))
            {
              g_cancellable_cancel (ours); /* the other workers stop at their next read */
              continue;
            }
          if (job->layer->kind == BERTH_IMPORT_LAYER_OSTREE_COMMIT)
            {
              commit_data = g_steal_pointer (&job->layer->commit_data);
              commitmeta = g_steal_pointer (&job->layer->commitmeta);
            }
          result->layer_stats[job->index] = *berth_imported_layer_get_stats (job->layer);
          result->layer_commits[job->index] = g_steal_pointer (&commit);
          report (options, BERTH_IMPORT_EVENT_LAYER_IMPORTED, job->index,
                  &result->layer_stats[job->index]);
        }
      g_thread_pool_free (pool, FALSE, TRUE);
      if (first_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&first_error));
          return FALSE;
        }
    }

  for (guint i = 0; i < n_layers; i++)
    if (first_of[i] != i)
      {
        result->layer_commits[i] = g_strdup (result->layer_commits[first_of[i]]);
        result->layer_reused[i] = TRUE;
      }

  /* What the merge stacks: the layer commits, or for an ostree-format image its commit and
   * then the derived layers (the chunks' commits are empty). */
  g_autoptr (GPtrArray) stack = g_ptr_array_new ();
  for (guint i = 0; i < n_layers; i++)
    if (layers[i].kind != BERTH_IMPORT_LAYER_OSTREE_OBJECTS)
      g_ptr_array_add (stack, result->layer_commits[i]);
  g_ptr_array_add (stack, NULL);
  if (layers[0].kind == BERTH_IMPORT_LAYER_OSTREE_COMMIT
      && !berth_import_ostree_finish (repo, image, result->layer_commits[0], commit_data,
                                      commitmeta, cancellable, error))
    return FALSE;

  g_autofree char *merge_commit = NULL;
  if (!berth_import_merge (repo, image, (const char *const *)stack->pdata, &merge_commit,
                           cancellable, error))
    return FALSE;
  if (!berth_import_set_image_ref (repo, image->image_ref, merge_commit, error))
    return FALSE;
  if (!ostree_repo_commit_transaction (repo, NULL, cancellable, error))
    return FALSE;
  txn.repo = NULL;

  result->merge_commit = g_steal_pointer (&merge_commit);
  report (options, BERTH_IMPORT_EVENT_MERGED, -1, NULL);
  *out_result = g_steal_pointer (&result);
  return TRUE;
}
