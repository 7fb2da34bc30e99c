/* export: ostree commits out as OCI images, in ostree-ext's container format.
 *
 * Owns `berth image encapsulate`: a commit of an ostree repo becomes an image that
 * `ostree container image pull`, bootc, rpm-ostree and berth's own importer read object for
 * object: layer 0 holds the commit, its detached metadata (the GPG signature), every dirtree
 * and dirmeta and the tree's directories; the content objects are spread over the chunk layers
 * (tar format v1: repo mode bare-split-xattrs, xattrs as .file-xattrs objects with
 * .file-xattrs-link hardlinks, tree paths as hardlinks to the objects). The labels and
 * annotations are ostree-ext's (ostree.commit, ostree.final-diffid, ostree.bootable,
 * containers.bootc, ostree.linux, per-layer ostree.components).
 * Depends on import (the object path grammar it shares with the reader), oci (layout writing,
 * digests), util.
 */
#pragma once

#include "oci/oci-manifest.h"
#include "util/util.h"

G_BEGIN_DECLS

/* ostree-ext's default cap on chunk layers (MAX_CHUNKS). */
#define BERTH_EXPORT_MAX_LAYERS_DEFAULT 64
/* A manifest of more layers than this is refused by some registries and runtimes. */
#define BERTH_EXPORT_MAX_LAYERS_LIMIT 127

typedef struct
{
  /* ostree layers in all, the commit layer included; 1 puts everything in one layer (the
   * single-layer form). 0: BERTH_EXPORT_MAX_LAYERS_DEFAULT. Fewer are made when the commit
   * has fewer components. */
  guint max_layers;
  BerthCompression compression; /* GZIP or ZSTD (NONE: uncompressed tar) */
  /* Extra config labels and manifest annotations (KEY -> VALUE), over the ones derived from
   * the commit; may be NULL. */
  GHashTable *labels;
  /* The image's platform; NULL: this machine's. */
  const char *architecture;
  /* Layers compressed at once; 0: the number of CPUs. */
  guint workers;
} BerthEncapsulateOptions;

typedef struct
{
  char *commit;          /* the checksum REV resolved to */
  char *manifest_digest; /* in the layout */
  gint64 manifest_size;
  char *manifest_media_type;
  char *architecture;
  guint n_layers;
  guint n_objects;        /* content objects */
  guint64 bytes_tar;      /* uncompressed layer bytes */
  guint64 bytes_blobs;    /* compressed layer bytes */
  gboolean signed_commit; /* the commit's detached metadata went into layer 0 */
} BerthEncapsulateResult;

void berth_encapsulate_result_free (BerthEncapsulateResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthEncapsulateResult, berth_encapsulate_result_free)

/* Writes commit @rev of the ostree repo at @repo_path as an image into the OCI layout @layout_dir
 * (made when missing), named @ref_name in its index.json (NULL: unnamed). Blobs are written and
 * renamed into place as they are finished; the index names the image only once all of them are. The
 * chunking is deterministic: the same commit and options give the same blobs, and a commit
 * that changes a few files changes only the chunks that hold them (and layer 0). */
BerthEncapsulateResult *berth_export_encapsulate (const char *repo_path, const char *rev,
                                                  const char *layout_dir, const char *ref_name,
                                                  const BerthEncapsulateOptions *options,
                                                  GCancellable *cancellable, GError **error);

G_END_DECLS
