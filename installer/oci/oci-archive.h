/* oci-archive: sources, an OCI image layout inside a tar file. See oci-archive.c. */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

/* Extracts the layout's small members (oci-layout, index.json, blobs up to the config cap) into
 * a new private temporary directory and returns its path: berth_oci_layout_resolve() reads it
 * like any oci: layout. Remove it with berth_oci_archive_remove_metadata(). */
char *berth_oci_archive_extract_metadata (const char *archive_path, GError **error);
void berth_oci_archive_remove_metadata (const char *dir);

/* The bytes of blob @digest, streamed out of the archive (not verified: the caller wraps it). */
GInputStream *berth_oci_archive_open_blob (const char *archive_path, const char *digest,
                                           GError **error);

G_END_DECLS
