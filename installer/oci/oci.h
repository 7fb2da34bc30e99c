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
