/* Where an image comes from, behind one interface: a registry (docker://), an OCI layout
 * directory (oci:) or an OCI archive (oci-archive:). Every byte handed upward is checked:
 * manifests and configs against their digests before they are parsed, layer blobs by a stream
 * that reports a digest or size mismatch as a read error instead of EOF.
 */
#pragma once

#include "oci/oci-layout.h"
#include "oci/oci-ref.h"
#include "oci/oci-registry.h"

G_BEGIN_DECLS

typedef struct
{
  /* TLS and retry settings for registries; creds/authfile_creds are filled by the source
   * from the fields below. */
  BerthRegistryOptions registry;
  const char *creds;    /* --creds USER:PASSWORD */
  const char *authfile; /* --authfile */
  /* The platform to pick from an index; NULL: the running machine's. */
  const char *os;
  const char *architecture;
  const char *variant;
} BerthSourceOptions;

/* The registry client for @ref (a registry reference) with the credentials a pull of it gets:
 * --creds, else the auth files (containers-auth.json(5)), and a description of them for
 * messages (options->registry.creds_option and .authfile_option name the options). Pushes
 * (berth_image_write) get theirs the same way. */
BerthRegistry *berth_source_options_new_registry (const BerthSourceOptions *options,
                                                  const BerthImageRef *ref, GError **error);

typedef struct BerthImageSource BerthImageSource;

void berth_image_source_free (BerthImageSource *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthImageSource, berth_image_source_free)

/* Resolves @ref (its manifest, through an index for the platform, and its config) and returns a
 * source ready to stream its layers. A short name is tried against each of its candidates in
 * turn. Nothing is fetched but the manifest(s) and the config. */
BerthImageSource *berth_image_source_open (const BerthImageRef *ref,
                                           const BerthSourceOptions *options,
                                           GCancellable *cancellable, GError **error);

/* The reference that was resolved (for a short name, the candidate that existed). */
const BerthImageRef *berth_image_source_get_ref (BerthImageSource *self);
/* The manifest, config and their exact bytes. */
const BerthResolvedImage *berth_image_source_get_image (BerthImageSource *self);
/* The first manifest or index as served, before any platform selection (inspect --raw). */
GBytes *berth_image_source_get_raw_manifest (BerthImageSource *self);
/* The media type the top-level document was served with (or detected as). */
const char *berth_image_source_get_raw_media_type (BerthImageSource *self);

/* A stream of the blob @digest of @size bytes, verified: reading more than @size bytes fails
 * with BERTH_ERROR_TOO_LARGE, and at the end a wrong size or digest fails with
 * BERTH_ERROR_DIGEST_MISMATCH naming the blob, the expected and the actual digest. Safe to
 * call from several threads at once. */
GInputStream *berth_image_source_open_blob (BerthImageSource *self, const char *digest, gint64 size,
                                            GCancellable *cancellable, GError **error);

/* Wraps any stream in the same verification (exposed for tests). Takes a reference. */
GInputStream *berth_verified_stream_new (GInputStream *base, const char *digest, gint64 size);

/* Registry counters (zeros for local sources). */
void berth_image_source_get_stats (BerthImageSource *self, BerthRegistryStats *out_stats);

G_END_DECLS
