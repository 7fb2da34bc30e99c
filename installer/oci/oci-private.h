/* Helpers shared by the oci module's own sources; not part of its interface. */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

/* A printable, quoted rendering of untrusted text for an error message: control characters
 * and invalid UTF-8 become \xNN, and anything past @max characters is cut with "...". A
 * registry or a file must not be able to put terminal escapes (or megabytes) into what the
 * CLI prints. @len may be -1 for a NUL-terminated string. */
char *berth_oci_quote (const char *s, gssize len, gsize max);

/* Reads a whole regular file relative to @dfd (AT_FDCWD for none), refusing anything bigger
 * than @max bytes before reading it (BERTH_ERROR_TOO_LARGE). The contents are NUL-terminated.
 * A missing file is BERTH_ERROR_NOT_FOUND. */
gboolean berth_oci_read_file (int dfd, const char *path, gsize max, char **out_contents,
                              gsize *out_len, GError **error);

/* Strict base64 (RFC 4648 section 4, with padding): the whole string must be valid, unlike
 * g_base64_decode, which skips what it does not understand. Returns FALSE when it is not. */
gboolean berth_oci_base64_decode_strict (const char *s, gsize len, guchar **out_data,
                                         gsize *out_len);

/* RFC 6838 section 4.2 media type: type "/" subtype, each a restricted-name of 1 to 127
 * characters starting with a letter or digit. Parameters (";charset=...") are not allowed,
 * as in the OCI image-spec's descriptor schema. */
gboolean berth_oci_media_type_is_valid (const char *s);

G_END_DECLS
