/* Tar layers: one pass from the blob stream through the decompressor (gzip on the prefetch
 * thread, zstd in libarchive) and libarchive's tar reader into ostree content objects and the
 * layer's OstreeMutableTree. No temporary tarball, no unpacked copy: a file's bytes go from
 * the decompressor into its content object.
 *
 * Everything here runs on one worker thread per layer and touches only that layer's state
 * (see the threading contract in import.h); the repo's object writes are thread-safe. */
#include "import-private.h"
#include "util/util-archive.h"

#include <string.h>
#include <sys/stat.h>

/* Files up to this size are read whole and written with ostree_repo_write_regfile_inline;
 * larger ones stream through an OstreeContentWriter (in archive repos, through
 * ostree_repo_write_content) in pieces of this size, so memory does not grow with a file's
 * size. Most files of an OS tree are below it. */
#define DATA_BUF_SIZE (128 * 1024)

typedef struct
{
  OstreeRepo *repo;
  gboolean archive_mode; /* ostree_repo_write_regfile() refuses archive repos (2022.7) */
  const BerthImportLayerDesc *desc;
  GInputStream *blob;
  BerthLayerArchive la; /* @blob as a tar */
  GCancellable *cancellable;
  guint8 *databuf;
  BerthImportedLayer *layer;
  GHashTable *dirmeta_cache; /* GBytes (serialized dirmeta) -> checksum */
  char *default_dirmeta;     /* root:root 0755 without xattrs: implied directories */
  /* Paths of dropped entries (device nodes, FIFOs, sockets): a hardlink to one is dropped
   * too instead of being refused as a link to nothing. */
  GHashTable *dropped;
  gboolean saw_etc;
  gboolean saw_usr_etc;
  /* The directory of the previous entry: tar lists a directory's entries together, so this
   * saves walking from the root for most entries. Dropped whenever a directory is removed. */
  char *cached_dir_path;
  OstreeMutableTree *cached_dir;
} TarReader;

static void
tar_reader_clear (TarReader *r)
{
  berth_layer_archive_clear (&r->la);
  g_clear_pointer (&r->databuf, g_free);
  g_clear_pointer (&r->layer, berth_imported_layer_free);
  g_clear_pointer (&r->dirmeta_cache, g_hash_table_unref);
  g_clear_pointer (&r->default_dirmeta, g_free);
  g_clear_pointer (&r->dropped, g_hash_table_unref);
  g_clear_pointer (&r->cached_dir_path, g_free);
  g_clear_object (&r->cached_dir);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TarReader, tar_reader_clear)

/* ---- the blob stream as libarchive's input ---------------------------------------------- */

static gboolean
throw_archive (TarReader *r, struct archive *a, const char *what, GError **error)
{
  return berth_layer_archive_throw (&r->la, what, error);
}

/* ---- ostree objects --------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  const void *value;
  size_t size;
} Xattr;

static int
compare_xattr (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Xattr *)a)->name, ((const Xattr *)b)->name);
}

/* The entry's xattrs (PAX SCHILY.xattr.* and LIBARCHIVE.xattr.*), as ostree's a(ayay) sorted
 * by name so the same xattrs always give the same checksum; NULL when it has none. */
static GVariant *
entry_xattrs (struct archive_entry *entry)
{
  int n = archive_entry_xattr_reset (entry);
  if (n <= 0)
    return NULL;
  g_autoptr (GArray) xattrs = g_array_sized_new (FALSE, FALSE, sizeof (Xattr), n);
  Xattr x;
  while (archive_entry_xattr_next (entry, &x.name, &x.value, &x.size) == ARCHIVE_OK)
    g_array_append_val (xattrs, x);
  g_array_sort (xattrs, compare_xattr);

  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ayay)"));
  for (guint i = 0; i < xattrs->len; i++)
    {
      const Xattr *xi = &g_array_index (xattrs, Xattr, i);
      /* A name given twice: the first one counts (a set cannot hold both). */
      if (i > 0 && strcmp (xi->name, g_array_index (xattrs, Xattr, i - 1).name) == 0)
        continue;
      g_variant_builder_add (
        &builder, "(@ay@ay)", g_variant_new_bytestring (xi->name),
        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, xi->value, xi->size, 1));
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* The checksum of the dirmeta object for these attributes, written once per layer. */
static const char *
dirmeta_checksum (TarReader *r, guint32 uid, guint32 gid, guint32 mode, GVariant *xattrs,
                  GError **error)
{
  g_autoptr (GVariant) empty = NULL;
  if (xattrs == NULL)
    xattrs = empty = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("(ayay)"), NULL, 0));
  g_autoptr (GVariant) dirmeta
    = g_variant_ref_sink (g_variant_new ("(uuu@a(ayay))", GUINT32_TO_BE (uid), GUINT32_TO_BE (gid),
                                         GUINT32_TO_BE (S_IFDIR | (mode & 07777)), xattrs));
  g_autoptr (GBytes) key = g_variant_get_data_as_bytes (dirmeta);
  const char *cached = g_hash_table_lookup (r->dirmeta_cache, key);
  if (cached != NULL)
    return cached;

  g_autofree guchar *csum = NULL;
  if (!ostree_repo_write_metadata (r->repo, OSTREE_OBJECT_TYPE_DIR_META, NULL, dirmeta, &csum,
                                   r->cancellable, error))
    return NULL;
  char *hex = ostree_checksum_from_bytes (csum);
  g_hash_table_insert (r->dirmeta_cache, g_steal_pointer (&key), hex);
  return hex;
}

/* ---- the layer's tree ------------------------------------------------------------------- */

static void
forget_cached_dir (TarReader *r)
{
  g_clear_pointer (&r->cached_dir_path, g_free);
  g_clear_object (&r->cached_dir);
}

/* The directory @dirpath of the layer's tree. With @create, missing directories are made
 * (root:root 0755, remembered as implied); without it, *@out_dir is NULL when one is missing.
 * A component that is a file or a symlink in this layer is refused: a layer's paths never go
 * through a symlink, whatever it points at. */
static gboolean
walk_dir (TarReader *r, const char *dirpath, gboolean create, const char *entry_path,
          OstreeMutableTree **out_dir, GError **error)
{
  if (r->cached_dir != NULL && g_str_equal (dirpath, r->cached_dir_path))
    {
      *out_dir = g_object_ref (r->cached_dir);
      return TRUE;
    }

  g_autoptr (OstreeMutableTree) dir = g_object_ref (r->layer->root);
  const char *p = dirpath;
  while (*p != '\0')
    {
      const char *end = strchrnul (p, '/');
      g_autofree char *name = g_strndup (p, end - p);
      OstreeMutableTree *sub = g_hash_table_lookup (ostree_mutable_tree_get_subdirs (dir), name);
      if (sub != NULL)
        g_set_object (&dir, sub);
      else if (g_hash_table_contains (ostree_mutable_tree_get_files (dir), name))
        {
          g_autofree char *through = g_strndup (dirpath, end - dirpath);
          g_autofree char *quoted = berth_import_quote_path (through);
          return berth_import_refuse_path (
            error, entry_path,
            "goes through \"%s\", which is a symlink or a file in this layer "
            "(refusing to follow it)",
            quoted);
        }
      else if (!create)
        {
          *out_dir = NULL;
          return TRUE;
        }
      else
        {
          g_autoptr (OstreeMutableTree) made = NULL;
          if (!ostree_mutable_tree_ensure_dir (dir, name, &made, error))
            return FALSE;
          ostree_mutable_tree_set_metadata_checksum (made, r->default_dirmeta);
          g_hash_table_add (r->layer->implicit_dirs, g_strndup (dirpath, end - dirpath));
          g_set_object (&dir, made);
        }
      p = *end == '/' ? end + 1 : end;
    }

  if (create)
    {
      g_free (r->cached_dir_path);
      r->cached_dir_path = g_strdup (dirpath);
      g_set_object (&r->cached_dir, dir);
    }
  *out_dir = g_steal_pointer (&dir);
  return TRUE;
}

/* Splits @path into its parent directory (created as needed) and its last name. */
static gboolean
ensure_parent (TarReader *r, const char *path, OstreeMutableTree **out_dir, const char **out_name,
               GError **error)
{
  const char *slash = strrchr (path, '/');
  g_autofree char *dirpath = slash != NULL ? g_strndup (path, slash - path) : g_strdup ("");
  if (!walk_dir (r, dirpath, TRUE, path, out_dir, error))
    return FALSE;
  *out_name = slash != NULL ? slash + 1 : path;
  return TRUE;
}

/* Puts a file (regular, symlink or whiteout) at @path. A later tar entry replaces an earlier
 * one of the same path, a directory included (tar and the OCI spec agree). */
static gboolean
place_file (TarReader *r, const char *path, const char *checksum, GError **error)
{
  if (*path == '\0')
    return berth_import_refuse_path (error, "/",
                                     "a non-directory entry would replace the root directory");
  g_autoptr (OstreeMutableTree) dir = NULL;
  const char *name;
  if (!ensure_parent (r, path, &dir, &name, error))
    return FALSE;
  if (g_hash_table_contains (ostree_mutable_tree_get_subdirs (dir), name))
    {
      if (!ostree_mutable_tree_remove (dir, name, FALSE, error))
        return FALSE;
      forget_cached_dir (r);
    }
  if (!ostree_mutable_tree_replace_file (dir, name, checksum, error))
    return FALSE;
  g_hash_table_remove (r->dropped, path);
  return TRUE;
}

static gboolean
place_dir (TarReader *r, const char *path, const char *dirmeta, GError **error)
{
  g_hash_table_remove (r->layer->implicit_dirs, path);
  g_hash_table_remove (r->dropped, path);
  if (*path == '\0')
    {
      ostree_mutable_tree_set_metadata_checksum (r->layer->root, dirmeta);
      return TRUE;
    }
  g_autoptr (OstreeMutableTree) dir = NULL;
  const char *name;
  if (!ensure_parent (r, path, &dir, &name, error))
    return FALSE;
  if (g_hash_table_contains (ostree_mutable_tree_get_files (dir), name)
      && !ostree_mutable_tree_remove (dir, name, FALSE, error))
    return FALSE;
  g_autoptr (OstreeMutableTree) sub = NULL;
  if (!ostree_mutable_tree_ensure_dir (dir, name, &sub, error))
    return FALSE;
  ostree_mutable_tree_set_metadata_checksum (sub, dirmeta);
  return TRUE;
}

/* A dropped entry still replaces whatever had its path earlier in the layer. */
static gboolean
drop_entry (TarReader *r, const char *path, GError **error)
{
  if (*path == '\0')
    return TRUE;
  const char *slash = strrchr (path, '/');
  g_autofree char *dirpath = slash != NULL ? g_strndup (path, slash - path) : g_strdup ("");
  g_autoptr (OstreeMutableTree) dir = NULL;
  if (!walk_dir (r, dirpath, FALSE, path, &dir, error))
    return FALSE;
  if (dir != NULL)
    {
      const char *name = slash != NULL ? slash + 1 : path;
      if (g_hash_table_contains (ostree_mutable_tree_get_subdirs (dir), name))
        forget_cached_dir (r);
      if (!ostree_mutable_tree_remove (dir, name, TRUE, error))
        return FALSE;
    }
  g_hash_table_add (r->dropped, g_strdup (path));
  return TRUE;
}

/* ---- entries ---------------------------------------------------------------------------- */

/* Names as the bytes the tar holds, which ostree needs as UTF-8. libarchive converts header
 * names to the locale's charset; in the C locale (an initramfs, CI) that fails for non-ASCII
 * and the _utf8 form is NULL while the plain form keeps the raw bytes, in a UTF-8 locale both
 * are the bytes. So: the _utf8 form when there is one, else the raw bytes, validated later. */
/* DESIGN.md section 2: the image's /etc becomes /usr/etc, so an image layer with both has two
 * candidates for one directory. */
static gboolean
note_etc (TarReader *r, const char *normalized, GError **error)
{
  if (g_str_equal (normalized, "etc") || g_str_has_prefix (normalized, "etc/"))
    r->saw_etc = TRUE;
  else if (g_str_equal (normalized, "usr/etc") || g_str_has_prefix (normalized, "usr/etc/"))
    r->saw_usr_etc = TRUE;
  else
    return TRUE;
  if (r->saw_etc && r->saw_usr_etc)
    {
      g_autofree char *quoted = berth_import_quote_path (normalized);
      return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                          "Path \"%s\": the layer has both /etc and /usr/etc; ostree needs the "
                          "image's /etc at /usr/etc and cannot take both",
                          quoted);
    }
  r->layer->etc_origin = r->saw_etc ? "etc" : "usr/etc";
  return TRUE;
}

/* The current entry's data as a GInputStream, for ostree_repo_write_content(): the path for
 * large files in archive repos (unit tests, the fuzz target), where libostree 2022.7 has no
 * OstreeContentWriter. Reads straight from libarchive, so memory stays flat here too. */
G_DECLARE_FINAL_TYPE (BerthEntryStream, berth_entry_stream, BERTH, ENTRY_STREAM, GInputStream)

struct _BerthEntryStream
{
  GInputStream parent_instance;
  struct archive *archive;
  TarReader *reader;
};

G_DEFINE_TYPE (BerthEntryStream, berth_entry_stream, G_TYPE_INPUT_STREAM)

static gssize
berth_entry_stream_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                         GError **error)
{
  BerthEntryStream *self = (BerthEntryStream *)stream;
  la_ssize_t n = archive_read_data (self->archive, buffer, count);
  if (n < 0)
    {
      throw_archive (self->reader, self->archive, "Reading file data", error);
      return -1;
    }
  return n;
}

static gboolean
berth_entry_stream_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE; /* the archive is the reader's */
}

static void
berth_entry_stream_class_init (BerthEntryStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = berth_entry_stream_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = berth_entry_stream_close;
}

static void
berth_entry_stream_init (BerthEntryStream *self)
{
}

static char *
write_regular_as_stream (TarReader *r, struct archive *a, guint64 size, guint32 uid, guint32 gid,
                         guint32 mode, GVariant *xattrs, GError **error)
{
  g_autoptr (BerthEntryStream) data = g_object_new (berth_entry_stream_get_type (), NULL);
  data->archive = a;
  data->reader = r;
  g_autoptr (GFileInfo) info = g_file_info_new ();
  g_file_info_set_file_type (info, G_FILE_TYPE_REGULAR);
  g_file_info_set_size (info, size);
  g_file_info_set_attribute_uint32 (info, "unix::uid", uid);
  g_file_info_set_attribute_uint32 (info, "unix::gid", gid);
  g_file_info_set_attribute_uint32 (info, "unix::mode", S_IFREG | mode);
  g_autoptr (GInputStream) object = NULL;
  guint64 object_len = 0;
  if (!ostree_raw_file_to_content_stream (G_INPUT_STREAM (data), info, xattrs, &object, &object_len,
                                          r->cancellable, error))
    return NULL;
  g_autofree guchar *csum = NULL;
  if (!ostree_repo_write_content (r->repo, NULL, object, object_len, &csum, r->cancellable, error))
    return NULL;
  return ostree_checksum_from_bytes (csum);
}

static char *
write_regular (TarReader *r, struct archive *a, struct archive_entry *entry, const char *path,
               guint32 uid, guint32 gid, guint32 mode, GVariant *xattrs, GError **error)
{
  la_int64_t size = archive_entry_size (entry);
  if (size < 0)
    {
      berth_import_broken_path (error, path, "negative size");
      return NULL;
    }
  r->layer->stats.n_bytes += size;

  if (size <= DATA_BUF_SIZE)
    {
      if (!berth_layer_archive_read_exactly (&r->la, r->databuf, size, path, error))
        return NULL;
      return ostree_repo_write_regfile_inline (r->repo, NULL, uid, gid, S_IFREG | mode, xattrs,
                                               r->databuf, size, r->cancellable, error);
    }

  if (r->archive_mode)
    return write_regular_as_stream (r, a, size, uid, gid, mode, xattrs, error);

  g_autoptr (OstreeContentWriter) writer
    = ostree_repo_write_regfile (r->repo, NULL, uid, gid, S_IFREG | mode, size, xattrs, error);
  if (writer == NULL)
    return NULL;
  guint64 done = 0;
  while (TRUE)
    {
      la_ssize_t n = archive_read_data (a, r->databuf, DATA_BUF_SIZE);
      if (n < 0)
        {
          throw_archive (r, a, "Reading file data", error);
          return NULL;
        }
      if (n == 0)
        break;
      if (done + n > (guint64)size)
        {
          berth_import_broken_path (error, path, "more data than the entry's size");
          return NULL;
        }
      if (!g_output_stream_write_all (G_OUTPUT_STREAM (writer), r->databuf, n, NULL, r->cancellable,
                                      error))
        return NULL;
      done += n;
    }
  if (done != (guint64)size)
    {
      berth_import_broken_path (error, path, "the tar ends inside the file's data");
      return NULL;
    }
  return ostree_content_writer_finish (writer, r->cancellable, error);
}

/* A hardlink shares its target's content object. The target must be an entry seen earlier in
 * this layer, reached without going through a symlink, and not a directory. */
static gboolean
import_hardlink (TarReader *r, const char *path, const char *raw_target, GError **error)
{
  g_autofree char *normalized = NULL;
  if (!berth_import_path_normalize (raw_target, &normalized, error))
    {
      g_prefix_error (error, "Hardlink \"%s\": ", path);
      return FALSE;
    }
  g_autofree char *target = NULL;
  if (berth_import_path_map (normalized, &target) == BERTH_IMPORT_PATH_FILTERED)
    {
      /* its target was dropped with the rest of /run, /tmp...: so is the link */
      r->layer->stats.n_filtered++;
      return drop_entry (r, path, error);
    }
  if (*target == '\0')
    return berth_import_refuse_path (error, path, "a hardlink to the root directory");

  const char *slash = strrchr (target, '/');
  g_autofree char *dirpath = slash != NULL ? g_strndup (target, slash - target) : g_strdup ("");
  const char *name = slash != NULL ? slash + 1 : target;
  g_autoptr (OstreeMutableTree) dir = NULL;
  if (!walk_dir (r, dirpath, FALSE, target, &dir, error))
    {
      g_prefix_error (error, "Hardlink \"%s\": ", path);
      return FALSE;
    }
  const char *checksum = NULL;
  if (dir != NULL)
    {
      if (g_hash_table_contains (ostree_mutable_tree_get_subdirs (dir), name))
        return berth_import_refuse_path (error, path, "a hardlink to a directory");
      checksum = g_hash_table_lookup (ostree_mutable_tree_get_files (dir), name);
    }
  if (checksum == NULL)
    {
      if (g_hash_table_contains (r->dropped, target))
        {
          r->layer->stats.n_filtered++;
          return drop_entry (r, path, error);
        }
      g_autofree char *quoted = berth_import_quote_path (raw_target);
      return berth_import_refuse_path (
        error, path, "a hardlink to \"%s\", which is not an earlier entry of this layer", quoted);
    }
  /* place_file may drop the tree's copy of the string; keep ours */
  g_autofree char *csum = g_strdup (checksum);
  if (!place_file (r, path, csum, error))
    return FALSE;
  r->layer->stats.n_hardlinks++;
  return TRUE;
}

static gboolean
import_entry (TarReader *r, struct archive *a, struct archive_entry *entry, GError **error)
{
  BerthImportLayerStats *stats = &r->layer->stats;
  const char *raw = berth_entry_pathname (entry);
  if (raw == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED, "A tar entry has no path");

  g_autofree char *normalized = NULL;
  if (!berth_import_path_normalize (raw, &normalized, error))
    return FALSE;
  if (!note_etc (r, normalized, error))
    return FALSE;
  g_autofree char *path = NULL;
  if (berth_import_path_map (normalized, &path) == BERTH_IMPORT_PATH_FILTERED)
    {
      stats->n_filtered++;
      return TRUE;
    }

  la_int64_t uid = archive_entry_uid (entry);
  la_int64_t gid = archive_entry_gid (entry);
  if (uid < 0 || uid > G_MAXUINT32 || gid < 0 || gid > G_MAXUINT32)
    return berth_import_broken_path (error, path, "uid or gid out of range");
  /* Permission bits with setuid, setgid and sticky: a bare repo keeps them all. */
  guint32 mode = archive_entry_perm (entry) & 07777;
  mode_t type = archive_entry_filetype (entry);
  const char *hardlink = berth_entry_hardlink (entry);

  /* Whiteouts stay in the layer commit as empty files: the merge (ours, or bootc's on a later
   * upgrade, which checks the layer commits out with process_whiteouts) applies them. */
  const char *base = strrchr (path, '/') != NULL ? strrchr (path, '/') + 1 : path;
  const char *wh_target = NULL;
  /* (of any entry type, as Docker and containers/storage read them: a directory `.wh.x/` is a
   * whiteout too, and anything below it is refused as going through a file) */
  BerthImportWhiteout wh = berth_import_whiteout_classify (base, &wh_target);
  switch (wh)
    {
    case BERTH_IMPORT_WHITEOUT_AUFS_META:
      stats->n_filtered++;
      return TRUE;
    case BERTH_IMPORT_WHITEOUT_NAME:
      if (*wh_target == '\0' || g_str_equal (wh_target, ".") || g_str_equal (wh_target, ".."))
        return berth_import_refuse_path (error, path, "a whiteout of \"%s\"", wh_target);
      G_GNUC_FALLTHROUGH;
    case BERTH_IMPORT_WHITEOUT_OPAQUE:
      {
        g_autofree char *csum = ostree_repo_write_regfile_inline (
          r->repo, NULL, uid, gid, S_IFREG | mode, NULL, NULL, 0, r->cancellable, error);
        if (csum == NULL || !place_file (r, path, csum, error))
          return FALSE;
        stats->n_whiteouts++;
        return TRUE;
      }
    case BERTH_IMPORT_WHITEOUT_NONE:
      break;
    }

  /* POSIX lets a hardlink entry carry data; libarchive then means "this content": a file. */
  if (hardlink != NULL && (type != AE_IFREG || archive_entry_size (entry) == 0))
    return import_hardlink (r, path, hardlink, error);

  g_autoptr (GVariant) xattrs = entry_xattrs (entry);
  switch (type)
    {
    case AE_IFDIR:
      {
        const char *dirmeta = dirmeta_checksum (r, uid, gid, mode, xattrs, error);
        if (dirmeta == NULL || !place_dir (r, path, dirmeta, error))
          return FALSE;
        stats->n_dirs++;
        return TRUE;
      }
    case AE_IFREG:
      {
        g_autofree char *csum = write_regular (r, a, entry, path, uid, gid, mode, xattrs, error);
        if (csum == NULL || !place_file (r, path, csum, error))
          return FALSE;
        stats->n_files++;
        return TRUE;
      }
    case AE_IFLNK:
      {
        /* The target is kept exactly as it is, absolute or relative: it is data, resolved
         * only on the booted system (`/etc/alternatives/...` links are normal). */
        const char *target = berth_entry_symlink (entry);
        if (target == NULL || *target == '\0')
          return berth_import_refuse_path (error, path, "a symlink without a target");
        if (!g_utf8_validate (target, -1, NULL))
          return berth_import_refuse_path (error, path, "a symlink target that is not UTF-8");
        if (strlen (target) >= 4096)
          return berth_import_refuse_path (error, path, "a symlink target longer than 4095 bytes");
        g_autofree char *csum = ostree_repo_write_symlink (r->repo, NULL, uid, gid, xattrs, target,
                                                           r->cancellable, error);
        if (csum == NULL || !place_file (r, path, csum, error))
          return FALSE;
        stats->n_symlinks++;
        return TRUE;
      }
    case AE_IFCHR:
    case AE_IFBLK:
      /* A container runtime makes /dev itself; a device node in an OS image is a mistake and
       * an ostree commit cannot hold one. */
      stats->n_dropped_devices++;
      return drop_entry (r, path, error);
    case AE_IFIFO:
    case AE_IFSOCK:
      stats->n_dropped_special++;
      return drop_entry (r, path, error);
    default:
      return berth_import_refuse_path (error, path, "unknown tar entry type 0%o", (guint)type);
    }
}

/* ---- the layer -------------------------------------------------------------------------- */

BerthImportedLayer *
berth_import_tar_read (OstreeRepo *repo, const BerthImportLayerDesc *desc, GInputStream *blob,
                       GCancellable *cancellable, GError **error)
{
  g_auto (TarReader) r = {
    .repo = repo,
    .archive_mode = ostree_repo_get_mode (repo) == OSTREE_REPO_MODE_ARCHIVE,
    .desc = desc,
    .blob = blob,
    .cancellable = cancellable,
    .databuf = g_malloc (DATA_BUF_SIZE),
    .layer = berth_imported_layer_new (desc->digest),
    .dirmeta_cache
    = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, g_free),
    .dropped = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
  };

  const char *default_dirmeta = dirmeta_checksum (&r, 0, 0, 0755, NULL, error);
  if (default_dirmeta == NULL)
    return NULL;
  r.default_dirmeta = g_strdup (default_dirmeta);
  /* The root is implied until the layer has a `./` entry. */
  ostree_mutable_tree_set_metadata_checksum (r.layer->root, r.default_dirmeta);
  g_hash_table_add (r.layer->implicit_dirs, g_strdup (""));

  if (!berth_layer_archive_open (&r.la, desc, blob, cancellable, error))
    return NULL;
  struct archive *a = r.la.archive;
  r.layer->stats.compression = r.la.compression;

  while (TRUE)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      struct archive_entry *entry;
      int rc = berth_layer_archive_next (&r.la, &entry, desc->digest, error);
      if (rc < 0)
        return NULL;
      if (rc == 0)
        break;
      if (!import_entry (&r, a, entry, error))
        return NULL;
    }
  if (!berth_layer_archive_drain (&r.la, &r.layer->stats.n_blob_bytes, error))
    return NULL;
  return g_steal_pointer (&r.layer);
}
