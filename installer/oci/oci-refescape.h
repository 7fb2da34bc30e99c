/* ostree ref names for container content, as ostree-ext (bootc's crates/ostree-ext) writes them,
 * so bootc and rpm-ostree find and prune what berth imported (DESIGN.md section 3).
 *
 * Escaping, ostree-ext's refescape.rs rules, per Unicode character: ASCII letters, digits and
 * '-' stay; '_' becomes "__"; '/' stays only right after a letter or digit and when it is not
 * the last character; anything else becomes "_" + its code point in upper-case hex (at least
 * two digits) + "_". So "docker://quay.io/x/y:tag" is
 * "docker_3A__2F__2F_quay_2E_io/x/y_3A_tag".
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

#define BERTH_REF_BLOB_PREFIX  "ostree/container/blob"
#define BERTH_REF_IMAGE_PREFIX "ostree/container/image"

/* @s must be non-empty UTF-8 (BERTH_ERROR_INVALID_ARGUMENT otherwise). */
char *berth_ref_escape (const char *s, GError **error);

/* The inverse. Stricter than ostree-ext on text escape() never produces (an unterminated
 * "_41", a code point that is not a character, NUL): those are BERTH_ERROR_INVALID_ARGUMENT
 * rather than a guess. */
char *berth_ref_unescape (const char *escaped, GError **error);

/* "ostree/container/blob/<escaped digest>", e.g. "ostree/container/blob/sha256_3A_ab...".
 * @digest must be a valid sha256 digest. */
char *berth_ref_for_blob (const char *digest, GError **error);

/* "ostree/container/image/<escaped image reference>"; @image_ref is the container image
 * reference string (berth_image_ref_to_string: "docker://quay.io/x/y:tag", "oci:/dir"). */
char *berth_ref_for_image (const char *image_ref, GError **error);

/* The unescaped remainder of @ref after "@prefix/"; NULL with BERTH_ERROR_INVALID_ARGUMENT
 * when @ref does not start with it. */
char *berth_ref_unprefix (const char *prefix, const char *ref, GError **error);

G_END_DECLS
