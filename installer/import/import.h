/* import: OCI layers into an ostree repository.
 *
 * Owns: turning tar streams into ostree content objects (libarchive, libostree), per-layer
 * commits and blob refs, the merge commit with whiteout semantics, the image ref and its
 * metadata (DESIGN.md section 3). Must not partition, mount or deploy.
 * Depends on: oci, util. (Filled in by the `berth pull` issue.)
 */
#pragma once

#include "oci/oci.h"
