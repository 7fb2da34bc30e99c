/* Content digests: "sha256:" followed by 64 lowercase hex digits, the only algorithm berth
 * pulls (OCI image-spec descriptor.md registers sha256 and sha512; registries use sha256).
 *
 * The streaming object is what the blob fetcher feeds every byte through; the digest of a
 * manifest is the sha256 of its exact bytes as served, never of a re-serialisation.
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

/* "sha256:" + 64 hex digits. */
#define BERTH_DIGEST_SHA256_LEN (7 + 64)

/* The OCI digest grammar (image-spec descriptor.md):
 *   digest    ::= algorithm ":" encoded
 *   algorithm ::= [a-z0-9]+ ( [+._-] [a-z0-9]+ )*
 *   encoded   ::= [a-zA-Z0-9=_-]+
 * and for sha256, encoded is exactly 64 lowercase hex digits. Returns TRUE for a valid sha256
 * digest. A well-formed digest of another algorithm is BERTH_ERROR_UNSUPPORTED_IMAGE; anything
 * else BERTH_ERROR_FAILED. The message quotes the (untrusted) text safely. */
gboolean berth_digest_validate (const char *digest, GError **error);

/* The same check without an error. */
gboolean berth_digest_is_valid (const char *digest);

/* "sha256:<hex>" of @len bytes. */
char *berth_digest_bytes (const void *data, gsize len);

/* Compares the digest (and, unless @expected_size is negative, the length) of @data with
 * @expected. A difference is BERTH_ERROR_DIGEST_MISMATCH: "@what: expected X, got Y". */
gboolean berth_digest_check_bytes (const void *data, gsize len, const char *expected,
                                   gint64 expected_size, const char *what, GError **error);

/* A running SHA-256 over a stream. */
typedef struct BerthDigest BerthDigest;

BerthDigest *berth_digest_new (void);
void berth_digest_free (BerthDigest *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDigest, berth_digest_free)

void berth_digest_update (BerthDigest *self, const void *data, gsize len);
/* Bytes seen so far. */
guint64 berth_digest_get_size (const BerthDigest *self);
/* Ends the stream and returns "sha256:<hex>"; later calls return the same value and further
 * updates are a programming error. */
char *berth_digest_finish (BerthDigest *self);
/* Ends the stream and compares it with @expected and (unless negative) @expected_size, as
 * berth_digest_check_bytes does. */
gboolean berth_digest_verify (BerthDigest *self, const char *expected, gint64 expected_size,
                              const char *what, GError **error);

G_END_DECLS
