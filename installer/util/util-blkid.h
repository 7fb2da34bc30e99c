/* libblkid at the util boundary. Only the disk module includes this. */
#pragma once

#include <blkid.h>

#include "util.h"

/* blkid_probe is a pointer typedef, so it is an auto type, not an autoptr:
 *   g_auto (blkid_probe) pr = blkid_new_probe_from_filename (path); */
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (blkid_probe, blkid_free_probe, NULL)

/* blkid calls return -1 (errno may be set) or a negative errno. */
gboolean berth_throw_blkid (GError **error, int rc, const char *what);
