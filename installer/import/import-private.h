/* import: what the module's files share and nobody else uses. */
#pragma once

#include "import.h"
#include "util/util-archive.h"

G_BEGIN_DECLS

/* The merge commit's keys, as ostree-ext names them (container/store.rs: META_MANIFEST_DIGEST,
 * META_MANIFEST, META_CONFIG). */
#define BERTH_IMPORT_META_MANIFEST_DIGEST "ostree.manifest-digest"
#define BERTH_IMPORT_META_MANIFEST        "ostree.manifest"
#define BERTH_IMPORT_META_CONFIG          "ostree.container.image-config"
/* The label that marks the ostree container format (ostree-ext's DIFFID_LABEL). */
#define BERTH_IMPORT_LABEL_OSTREE_DIFFID "ostree.final-diffid"

/* berth's own keys on a layer commit. Optional: a layer commit written by ostree-ext has none,
 * and the merge then falls back to treating every directory as explicit. */
#define BERTH_IMPORT_META_LAYER_DIGEST  "berth.layer.digest"        /* s */
#define BERTH_IMPORT_META_IMPLICIT_DIRS "berth.layer.implicit-dirs" /* as, sorted */
#define BERTH_IMPORT_META_ETC           "berth.layer.etc" /* s: "etc" (mapped) or "usr/etc" (native) */

typedef enum
{
  BERTH_IMPORT_WHITEOUT_NONE,      /* an ordinary name */
  BERTH_IMPORT_WHITEOUT_NAME,      /* `.wh.NAME`: deletes NAME of the lower layers */
  BERTH_IMPORT_WHITEOUT_OPAQUE,    /* `.wh..wh..opq`: hides the lower layers' directory */
  BERTH_IMPORT_WHITEOUT_AUFS_META, /* another `.wh..wh.*`: AUFS bookkeeping, dropped */
} BerthImportWhiteout;

/* Classifies the last component @name; for NAME, *@out_target is the name it deletes (may be
 * "", "." or "..": the caller refuses those). */
BerthImportWhiteout berth_import_whiteout_classify (const char *name, const char **out_target);

/* A path from a layer, made safe for an error message: C-escaped (no terminal escapes reach
 * the user) and cut at 200 bytes. */
char *berth_import_quote_path (const char *path);

/* Every hostile-layer error: BERTH_ERROR_REFUSED, "Path \"QUOTED\": WHY" (the caller's prefix
 * names the layer). Always FALSE. */
gboolean berth_import_refuse_path (GError **error, const char *path, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);
/* A broken (not hostile) entry: a truncated tar, sizes that do not add up. BERTH_ERROR_FAILED.
 * Always FALSE. */
gboolean berth_import_broken_path (GError **error, const char *path, const char *why);

/* A layer blob read ahead on a thread of its own (import-prefetch.c): the blob stream's reads
 * (the network, the digest check) and, for gzip, the inflating, so a layer's decompression and
 * its tar entries' hashing and writing use two CPUs. At most 2 MiB ahead. */
typedef struct _BerthPrefetch BerthPrefetch;

BerthPrefetch *berth_prefetch_start (GInputStream *blob, GCancellable *cancellable);
/* The next chunk, valid until the next call: its length, 0 once the blob was read to its end
 * (so its digest was checked), -1 with the blob stream's error or gzip's. */
gssize berth_prefetch_read (BerthPrefetch *prefetch, const void **out_buf, GError **error);
/* "gzip" when the reader inflates (what libarchive then gets is the tar), else NULL: known once
 * berth_prefetch_read returned something. */
const char *berth_prefetch_get_compression (BerthPrefetch *prefetch);
guint64 berth_prefetch_get_blob_bytes (BerthPrefetch *prefetch);
/* Stops the reader (cancelling a read in progress) and frees everything. */
void berth_prefetch_free (BerthPrefetch *prefetch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthPrefetch, berth_prefetch_free)

/* An entry's names, in UTF-8 when libarchive can convert them, else as stored. */
static inline const char *
berth_entry_pathname (struct archive_entry *entry)
{
  const char *p = archive_entry_pathname_utf8 (entry);
  return p != NULL ? p : archive_entry_pathname (entry);
}

static inline const char *
berth_entry_hardlink (struct archive_entry *entry)
{
  const char *p = archive_entry_hardlink_utf8 (entry);
  return p != NULL ? p : archive_entry_hardlink (entry);
}

static inline const char *
berth_entry_symlink (struct archive_entry *entry)
{
  const char *p = archive_entry_symlink_utf8 (entry);
  return p != NULL ? p : archive_entry_symlink (entry);
}

/* A layer blob opened as a tar (import-stream.c): @prefetch reads it ahead, the archive reads
 * the tar. The blob stream's own error (a digest mismatch, the network) wins over libarchive's
 * rewording of it. */
typedef struct
{
  struct archive *archive;
  BerthPrefetch *prefetch;
  GError *read_error;
  const char *compression; /* "gzip", "zstd" or "none" (static), once open */
} BerthLayerArchive;

gboolean berth_layer_archive_open (BerthLayerArchive *la, const BerthImportLayerDesc *desc,
                                   GInputStream *blob, GCancellable *cancellable, GError **error);
/* 1 with the next entry, 0 at the end of the tar, -1 with @error. */
int berth_layer_archive_next (BerthLayerArchive *la, struct archive_entry **out_entry,
                              const char *digest, GError **error);
/* Reads what follows the tar to the blob's EOF, where the stream checks the digest. */
gboolean berth_layer_archive_drain (BerthLayerArchive *la, guint64 *out_blob_bytes, GError **error);
/* The archive's error, or the blob stream's when it has one (that one says more). */
gboolean berth_layer_archive_throw (BerthLayerArchive *la, const char *what, GError **error);
/* @size bytes of the data of entry @path; a tar that ends first is a broken entry ("the tar
 * ends inside the file's data"). */
gboolean berth_layer_archive_read_exactly (BerthLayerArchive *la, guint8 *buf, gsize size,
                                           const char *path, GError **error);
void berth_layer_archive_clear (BerthLayerArchive *la);

struct _BerthImportedLayer
{
  char *digest;
  OstreeMutableTree *root; /* the layer's tree; never lazy */
  BerthImportLayerStats stats;
  GHashTable *implicit_dirs; /* paths of directories only implied by their entries */
  const char *etc_origin;    /* NULL, "etc" or "usr/etc" (static strings) */
  BerthImportLayerKind kind;
  /* ostree commit layers: the commit object's checksum and bytes, and the commitmeta's
   * bytes (not written yet: that waits for the signature check) */
  char *ostree_commit;
  GBytes *commit_data;
  GBytes *commitmeta;
  char commitmeta_for[65];
};

BerthImportedLayer *berth_imported_layer_new (const char *digest);

/* A tar layer read into the repo (import-tar.c). */
BerthImportedLayer *berth_import_tar_read (OstreeRepo *repo, const BerthImportLayerDesc *layer,
                                           GInputStream *blob, GCancellable *cancellable,
                                           GError **error);

/* An ostree-format layer read into the repo (import-ostree.c): its objects written with the
 * checksums their names give. */
BerthImportedLayer *berth_import_ostree_read (OstreeRepo *repo, const BerthImportLayerDesc *layer,
                                              GInputStream *blob, GCancellable *cancellable,
                                              GError **error);

/* The ostree commit of an image, once every ostree layer is in (import-ostree.c): it is the
 * `ostree.commit` label's, everything it names is in the repo, and, when the image asks for
 * it, its signature verifies with the remote's keys; then its detached metadata is written.
 * @commit_data and @commitmeta are the layer's bytes when it was fetched now, NULL when the
 * layer was in the repo already. On the transaction's thread, before any ref is written. */
gboolean berth_import_ostree_finish (OstreeRepo *repo, const BerthImportImage *image,
                                     const char *commit, GBytes *commit_data, GBytes *commitmeta,
                                     GCancellable *cancellable, GError **error);

G_END_DECLS
