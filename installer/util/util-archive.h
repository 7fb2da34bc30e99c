/* libarchive at the util boundary. Only the import module includes this. */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "util.h"

/* flatpak's trick: a read and a write handle are the same C type with different destructors,
 * so each gets its own name. */
typedef struct archive BerthArchiveRead;
typedef struct archive BerthArchiveWrite;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthArchiveRead, archive_read_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthArchiveWrite, archive_write_free)
typedef struct archive_entry BerthArchiveEntry;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthArchiveEntry, archive_entry_free)

/* The handle's last error (archive_error_string, archive_errno). */
gboolean berth_throw_archive (GError **error, struct archive *a, const char *what);
