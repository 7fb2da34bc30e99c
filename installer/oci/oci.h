/* oci: image references, the registry client and OCI layouts.
 *
 * Owns: parsing image references, talking OCI distribution v2 to registries (libcurl), reading
 * oci: layouts and oci-archive: tarballs, parsing manifests, indexes and configs (jansson),
 * and streaming blobs with their digests checked. Hands verified byte streams upward.
 * Must not touch ostree, disks or the filesystem outside the paths it is given.
 * Depends on: util. (Filled in by the `berth pull` issue.)
 */
#pragma once

#include "util/util.h"

/* The pure parts: no network. */
#include "oci/oci-auth.h"      /* WWW-Authenticate, token responses, credentials, auth files */
#include "oci/oci-digest.h"    /* sha256 digests, one-shot and streaming */
#include "oci/oci-layout.h"    /* oci: layouts resolved to a manifest and config */
#include "oci/oci-manifest.h"  /* manifests, indexes, image configs, platform selection */
#include "oci/oci-ref.h"       /* image references, origin strings, registries.conf search */
#include "oci/oci-refescape.h" /* ostree/container/{blob,image}/ ref names */
