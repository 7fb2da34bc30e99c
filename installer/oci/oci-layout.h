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

G_END_DECLS
