/* The whole `berth pull`: an image source's layers into an ostree repository at a path.
 *
 * Glue between the oci module's BerthImageSource (verified bytes) and the importer: opens or
 * creates the repository, turns the manifest into layer descriptions, runs berth_import_image
 * with fsync off and one syncfs at the end (DESIGN.md section 1).
 */
#pragma once

#include "import/import.h"
#include "oci/oci-source.h"

G_BEGIN_DECLS

typedef struct
{
  /* The reference the installed system will update from; names the image ref
   * (ostree/container/image/...). NULL: the source's own reference. */
  const char *target_imgref;
  guint n_workers; /* 0: berth_import_default_workers () */
  /* No syncfs of the repository's filesystem at the end: the caller syncs it later (an install,
   * whose deploy runs syncfs over the whole target before any boot entry exists). */
  gboolean no_sync;
  BerthImportProgressFunc progress;
  /* Bytes of the layer blobs read so far (compressed, as fetched) of @total, the layers that
   * are fetched (a reused layer leaves the total). Called from the import's worker threads,
   * one call at a time, at most every 100 ms, and when the last byte is read. Optional. */
  void (*bytes) (guint64 done, guint64 total, gpointer data);
  gpointer progress_data; /* for both */
  /* For an ostree-remote-* reference: the repository whose remote of that name verifies the
   * commit's signature (BerthImportImage.verify_repo); NULL: the repository pulled into. */
  OstreeRepo *verify_repo;
} BerthPullOptions;

/* Opens the repository at @path, creating it when missing: mode `bare` when running as root
 * (uid, gid and security xattrs kept, as a deployment needs), `bare-user` otherwise. */
OstreeRepo *berth_pull_open_repo (const char *path, GCancellable *cancellable, GError **error);

/* Imports the image of @source into @repo (see berth_import_image for what is written, and
 * when nothing is). */
gboolean berth_pull_image (OstreeRepo *repo, BerthImageSource *source,
                           const BerthPullOptions *options, BerthImportResult **out_result,
                           GCancellable *cancellable, GError **error);

/* The same for the repository at @repo_path (opened, or created as berth_pull_open_repo does):
 * what the CLI calls, so it needs no ostree type. */
gboolean berth_pull_image_at (const char *repo_path, BerthImageSource *source,
                              const BerthPullOptions *options, BerthImportResult **out_result,
                              GCancellable *cancellable, GError **error);

G_END_DECLS
