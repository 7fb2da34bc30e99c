/* Writing images to every transport berth reads: oci: layouts, oci-archive: tarballs and
 * docker:// registries.
 *
 * The image comes from a local OCI layout (berth_image_write) or from any resolved source
 * (berth_image_copy: the one manifest it selected, its config and layers). Every blob is checked
 * against its digest while it is read, before its last bytes reach the destination, and the
 * manifest is written only after every blob it names is there: a failed write never leaves a
 * tag (or an index.json entry, or an archive) naming an incomplete or corrupt image. Manifests
 * are copied byte for byte, so the destination has the same manifest digest as the source.
 */
#pragma once

#include "oci/oci-source.h"

G_BEGIN_DECLS

typedef struct
{
  guint blobs_written;     /* configs and layers copied, linked or uploaded */
  guint blobs_skipped;     /* configs and layers the destination had already */
  guint manifests_written; /* manifests and indexes */
  guint64 bytes;           /* the size of the blobs written (manifests not counted) */
} BerthImageWriteStats;

/* Whether @dest can be written to: a registry (with its registry named: short names are not
 * resolved for a destination), an oci: directory or an oci-archive: file. The ostree- forms
 * name images to pull under a signature policy and are BERTH_ERROR_INVALID_ARGUMENT. */
gboolean berth_image_ref_check_writable (const BerthImageRef *dest, GError **error);

/* Writes the image whose manifest (or index: then every manifest it names, recursively) is the
 * blob @manifest_digest of the OCI layout @layout_dir to @dest:
 *  - oci:DIR[:TAG]: the blobs linked (same filesystem) or copied into DIR's layout (made when
 *    missing), then an index.json entry, named TAG when one was written and unnamed otherwise,
 *    as skopeo does; blobs DIR has already are kept;
 *  - oci-archive:FILE[:TAG]: a new tar of a layout holding only this image, written to a
 *    temporary file beside FILE and renamed over it;
 *  - docker://HOST/NAME[:TAG|@DIGEST]: blobs the repository has already are skipped, the others
 *    uploaded, then the manifests an index names by digest and the top one by TAG (by its
 *    digest when only a digest was written, which must be the manifest's; "latest" when
 *    neither). Credentials come from @options as for pulls (berth_source_options_new_registry).
 * A blob whose bytes do not match its digest is BERTH_ERROR_DIGEST_MISMATCH naming it, and
 * nothing names the image at the destination. @out_stats (may be NULL) is written on success. */
gboolean berth_image_write (const char *layout_dir, const char *manifest_digest,
                            const BerthImageRef *dest, const BerthSourceOptions *options,
                            BerthImageWriteStats *out_stats, GCancellable *cancellable,
                            GError **error);

/* The same for the image @src resolved (its selected manifest, config and layers), streamed
 * from the source straight to @dest with no copy in between: blobs are read through
 * berth_image_source_open_blob, which verifies them. */
gboolean berth_image_copy (BerthImageSource *src, const BerthImageRef *dest,
                           const BerthSourceOptions *options, BerthImageWriteStats *out_stats,
                           GCancellable *cancellable, GError **error);

G_END_DECLS
