/* export's internals: the layer tar writer (export-tar.c). */
#pragma once

#include <ostree.h>

#include "export.h"
#include "oci/oci-digest.h"
#include "oci/oci-layout.h"

G_BEGIN_DECLS

/* A finished layer blob. */
typedef struct
{
  char *digest; /* of the blob as stored (compressed) */
  gint64 size;
  char *diff_id; /* of the uncompressed tar */
  guint64 tar_size;
} BerthExportLayer;

typedef enum
{
  BERTH_EXPORT_ENTRY_DIR,
  BERTH_EXPORT_ENTRY_FILE,     /* followed by @size bytes of berth_export_tar_write */
  BERTH_EXPORT_ENTRY_SYMLINK,  /* to @target */
  BERTH_EXPORT_ENTRY_HARDLINK, /* to the entry @target */
} BerthExportEntryType;

typedef struct
{
  BerthExportEntryType type;
  const char *path;
  guint32 uid, gid, mode; /* mode: only the permission bits are written */
  guint64 size;
  const char *target;
} BerthExportEntry;

/* A GNU tar stream (ostree-ext writes GNU headers, mtime 0, no user or group names) into a
 * new blob of the layout at @layout_dir. Freed unfinished, it leaves no blob behind. */
typedef struct BerthExportTar BerthExportTar;

BerthExportTar *berth_export_tar_new (const char *layout_dir, BerthCompression compression,
                                      GError **error);
void berth_export_tar_free (BerthExportTar *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthExportTar, berth_export_tar_free)

gboolean berth_export_tar_add (BerthExportTar *self, const BerthExportEntry *entry, GError **error);
gboolean berth_export_tar_write (BerthExportTar *self, const char *path, const void *data,
                                 gsize len, GError **error);
/* A regular file, root's and 0644, holding @bytes: the repo config, metadata objects, xattrs. */
gboolean berth_export_tar_add_bytes (BerthExportTar *self, const char *path, GBytes *bytes,
                                     GError **error);
/* Ends the stream, flushes the compressor and moves the blob into place. */
gboolean berth_export_tar_finish (BerthExportTar *self, BerthExportLayer *out, GError **error);

G_END_DECLS
