/* OCI image layouts (image-spec image-layout.md): the oci: transport's directories.
 *
 * Reads index.json, follows the named entry through nested indexes to the manifest for a
 * platform, and reads the manifest and the config from blobs/sha256/, checking each blob's
 * size and digest against its descriptor before parsing it. Layer blobs are only located
 * (berth_oci_layout_blob_path); the importer streams and checks them.
 */
#pragma once

#include "oci-manifest.h"

G_BEGIN_DECLS

/* index.json is an index like any other; the same cap. */
#define BERTH_OCI_LAYOUT_INDEX_MAX BERTH_OCI_MANIFEST_MAX
/* Indexes inside indexes: real layouts have one level; a loop must end. */
#define BERTH_OCI_LAYOUT_DEPTH_MAX 8

/* A manifest and its config, as the pull hands them to the importer. */
typedef struct
{
  char *manifest_digest;  /* sha256 of manifest_bytes */
  GBytes *manifest_bytes; /* exactly as stored: ostree.manifest keeps these */
  BerthManifest *manifest;
  GBytes *config_bytes; /* exactly as stored: ostree.container.image-config */
  BerthImageConfig *config;
} BerthResolvedImage;

void berth_resolved_image_free (BerthResolvedImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthResolvedImage, berth_resolved_image_free)

/* The image @ref_name names in the layout at @dir (NULL: the layout's only image), resolved
 * for @os/@architecture/@variant when it is an index. Errors: a missing layout, blob or name is
 * BERTH_ERROR_NOT_FOUND; a blob whose size or digest differs from its descriptor
 * BERTH_ERROR_DIGEST_MISMATCH; the rest as the manifest parsers say. */
BerthResolvedImage *berth_oci_layout_resolve (const char *dir, const char *ref_name, const char *os,
                                              const char *architecture, const char *variant,
                                              gboolean prefer_zstd, GError **error);

/* DIR/blobs/ALGORITHM/HEX for a valid digest (never a path outside the layout). */
char *berth_oci_layout_blob_path (const char *dir, const char *digest, GError **error);

/* Reads a blob of at most @max bytes and checks it against @desc (size, then digest). */
GBytes *berth_oci_layout_read_blob (const char *dir, const BerthDescriptor *desc, gsize max,
                                    GError **error);

/* ---- writing ------------------------------------------------------------------------------ */

/* Makes @dir an OCI layout when it is not one yet: the directory, oci-layout, blobs/sha256/ and
 * an empty index.json. An existing layout is left as it is (its version checked). */
gboolean berth_oci_layout_init (const char *dir, GError **error);

/* A blob being written into a layout: the bytes go to a temporary file in DIR/blobs/sha256/
 * while their digest and size are computed; commit moves it to its digest's name. Freed
 * uncommitted, the temporary file is removed: a failed write leaves no blob behind. */
typedef struct BerthOciBlobWriter BerthOciBlobWriter;

BerthOciBlobWriter *berth_oci_blob_writer_new (const char *dir, GError **error);
void berth_oci_blob_writer_free (BerthOciBlobWriter *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthOciBlobWriter, berth_oci_blob_writer_free)

gboolean berth_oci_blob_writer_write (BerthOciBlobWriter *self, const void *data, gsize len,
                                      GError **error);
/* fsyncs, renames and returns "sha256:<hex>" and the size. */
gboolean berth_oci_blob_writer_commit (BerthOciBlobWriter *self, char **out_digest,
                                       gint64 *out_size, GError **error);

/* The same for a blob already in memory (manifests, configs). */
char *berth_oci_layout_add_blob (const char *dir, GBytes *bytes, GError **error);

/* Names a manifest in index.json (atomically rewritten): an entry with @media_type, @digest,
 * @size and, when @ref_name is not NULL, the annotation org.opencontainers.image.ref.name;
 * an earlier entry with the same name is replaced. @os and @architecture (both or neither)
 * give the entry a platform. */
gboolean berth_oci_layout_set_ref (const char *dir, const char *media_type, const char *digest,
                                   gint64 size, const char *ref_name, const char *os,
                                   const char *architecture, GError **error);

G_END_DECLS
