/* Ostree-format layers (ostree-ext's tar format: the object files of a `bare-split-xattrs`
 * repo under sysroot/ostree/repo/): each object is written with the checksum its path names,
 * so libostree recomputes and checks it, and a wrong one is a digest mismatch naming the
 * object. Content objects stream from the decompressor into the repo as tar layers do.
 *
 * Both versions of the format are read, even mixed in one layer. A content object's xattrs
 * come before it: in v1 a .file-xattrs object and a .file-xattrs-link naming the .file; in v0
 * (ostree-ext's default before 0.9: ./-prefixed paths, sysroot/config, S_IFMT bits in modes)
 * an entry sysroot/ostree/repo/xattrs/SHA256 and a hardlink REST.file.xattrs to it, and no
 * link at all for a file without xattrs. The link is keyed by the content checksum, and
 * since that checksum covers the xattrs, libostree refuses a file given the wrong ones.
 *
 * The commit layer (the first ostree layer) may hold every object type; a chunk layer only
 * content objects and their xattrs. Runs on a worker thread, like the tar reader. */
#include "import-private.h"

#include <string.h>
#include <sys/stat.h>

/* Files up to this size are written from one buffer; metadata objects (dirtree, commit, ...)
 * are read whole up to METADATA_MAX. */
#define DATA_BUF_SIZE (128 * 1024)
#define METADATA_MAX  (64 * 1024 * 1024)
#define XATTRS_MAX    (1024 * 1024)

typedef struct
{
  OstreeRepo *repo;
  gboolean archive_mode;
  const BerthImportLayerDesc *desc;
  GCancellable *cancellable;
  BerthLayerArchive la;
  BerthImportedLayer *layer;
  GHashTable *xattrs;      /* .file-xattrs checksum -> GVariant a(ayay) */
  GHashTable *file_xattrs; /* .file checksum -> its .file-xattrs checksum (the link) */
  GHashTable *held;        /* paths of the xattrs entries (v1 objects, v0 xattrs/) read */
  guint8 *databuf;
} OstreeReader;

static void
ostree_reader_clear (OstreeReader *r)
{
  berth_layer_archive_clear (&r->la);
  g_clear_pointer (&r->layer, berth_imported_layer_free);
  g_clear_pointer (&r->xattrs, g_hash_table_unref);
  g_clear_pointer (&r->file_xattrs, g_hash_table_unref);
  g_clear_pointer (&r->held, g_hash_table_unref);
  g_clear_pointer (&r->databuf, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OstreeReader, ostree_reader_clear)

/* libostree's "Corrupted ... object; checksum expected=... actual=..." as the digest mismatch
 * it is, naming the object; other errors (ENOSPC, ...) stay as they are. */
static gboolean
object_error (GError **error, GError *local, const char *path)
{
  g_autofree char *quoted = berth_import_quote_path (path);
  if (strstr (local->message, "Corrupted") != NULL || strstr (local->message, "checksum") != NULL)
    {
      berth_throw (error, BERTH_ERROR_DIGEST_MISMATCH,
                   "Object \"%s\" does not match the checksum its name gives: %s", quoted,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  g_propagate_prefixed_error (error, local, "Object \"%s\": ", quoted);
  return FALSE;
}

static GBytes *
read_whole (OstreeReader *r, struct archive_entry *entry, const char *path, gsize max,
            GError **error)
{
  la_int64_t size = archive_entry_size (entry);
  if (size < 0 || (guint64)size > max)
    {
      berth_import_refuse_path (error, path,
                                "%" G_GINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                                " this object type may have",
                                (gint64)size, max);
      return NULL;
    }
  guint8 *buf = g_malloc (size > 0 ? size : 1);
  if (!berth_layer_archive_read_exactly (&r->la, buf, size, path, error))
    {
      g_free (buf);
      return NULL;
    }
  return g_bytes_new_take (buf, size);
}

static gboolean
write_metadata (OstreeReader *r, struct archive_entry *entry, const char *path,
                const BerthOstreePath *obj, GError **error)
{
  g_autoptr (GBytes) bytes = read_whole (r, entry, path, METADATA_MAX, error);
  if (bytes == NULL)
    return FALSE;
  if (obj->object_type == OSTREE_OBJECT_TYPE_COMMIT_META)
    {
      /* kept for the signature check; written only once that passed (import-image.c) */
      if (r->layer->commitmeta != NULL)
        return berth_import_refuse_path (error, path, "a second commitmeta object in one layer");
      r->layer->commitmeta = g_steal_pointer (&bytes);
      g_strlcpy (r->layer->commitmeta_for, obj->checksum, sizeof r->layer->commitmeta_for);
      return TRUE;
    }
  if (obj->object_type == OSTREE_OBJECT_TYPE_COMMIT)
    {
      if (r->layer->ostree_commit != NULL)
        return berth_import_refuse_path (error, path, "a second commit object in one layer");
      r->layer->ostree_commit = g_strdup (obj->checksum);
      r->layer->commit_data = g_bytes_ref (bytes);
    }
  g_autoptr (GVariant) variant = g_variant_ref_sink (
    g_variant_new_from_bytes (ostree_metadata_variant_type (obj->object_type), bytes, FALSE));
  GError *local = NULL;
  if (!ostree_repo_write_metadata (r->repo, obj->object_type, obj->checksum, variant, NULL,
                                   r->cancellable, &local))
    return object_error (error, local, path);
  r->layer->stats.n_metadata++;
  return TRUE;
}

/* Reads an xattrs blob (a .file-xattrs object, a v0 xattrs/ entry, or bootc's regular-file
 * .file-xattrs-link), named by the SHA-256 of its bytes as ostree's bare-split-xattrs repos
 * name them; checks it against @expected when its name gives one, and caches it.
 * *@out_checksum: its checksum. */
static gboolean
read_xattrs (OstreeReader *r, struct archive_entry *entry, const char *path, const char *expected,
             char **out_checksum, GError **error)
{
  g_autoptr (GBytes) bytes = read_whole (r, entry, path, XATTRS_MAX, error);
  if (bytes == NULL)
    return FALSE;
  g_autofree char *actual = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  if (expected != NULL && !g_str_equal (actual, expected))
    {
      g_autofree char *quoted = berth_import_quote_path (path);
      return berth_throw (error, BERTH_ERROR_DIGEST_MISMATCH,
                          "Object \"%s\" does not match the checksum its name gives (sha256 %s)",
                          quoted, actual);
    }
  GVariant *xattrs
    = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a(ayay)"), bytes, FALSE));
  if (!g_variant_is_normal_form (xattrs))
    {
      g_variant_unref (xattrs);
      return berth_import_refuse_path (error, path, "xattrs that are not a normal-form a(ayay)");
    }
  g_hash_table_replace (r->xattrs, g_strdup (actual), xattrs);
  if (out_checksum != NULL)
    *out_checksum = g_steal_pointer (&actual);
  return TRUE;
}

/* An xattrs entry of the format's own kind (a .file-xattrs object for v1, an xattrs/ entry
 * for v0), kept so that the links after it may name it. */
static gboolean
read_held_xattrs (OstreeReader *r, struct archive_entry *entry, const char *path,
                  const char *checksum, GError **error)
{
  if (!read_xattrs (r, entry, path, checksum, NULL, error))
    return FALSE;
  g_hash_table_add (r->held, g_strdup (path));
  return TRUE;
}

/* The hardlink @target of entry @path (a v1 .file-xattrs-link or a v0 .file.xattrs) to the
 * xattrs of content object @file_checksum: an entry of the format's own kind that this layer
 * held before it. */
static gboolean
link_xattrs (OstreeReader *r, const char *path, const char *target, const char *file_checksum,
             gboolean v0, GError **error)
{
  g_autofree char *normalized = NULL;
  if (!berth_import_path_normalize (target, &normalized, error))
    return FALSE;
  BerthOstreePath to;
  if (!berth_import_ostree_path_parse (normalized, &to, error))
    return FALSE;
  if (v0 && to.entry_class != BERTH_OSTREE_ENTRY_XATTRS)
    return berth_import_refuse_path (
      error, path,
      "a .file.xattrs link to something that is not a " BERTH_OSTREE_LAYER_REPO "/xattrs/ entry");
  if (!v0
      && (to.entry_class != BERTH_OSTREE_ENTRY_OBJECT
          || to.object_type != OSTREE_OBJECT_TYPE_FILE_XATTRS))
    return berth_import_refuse_path (error, path,
                                     "a .file-xattrs-link to something that is not a .file-xattrs");
  if (!g_hash_table_contains (r->held, normalized))
    {
      g_autofree char *quoted = berth_import_quote_path (normalized);
      return berth_import_refuse_path (
        error, path, "a link to the xattrs entry \"%s\", which this layer has not held before",
        quoted);
    }
  g_hash_table_replace (r->file_xattrs, g_strdup (file_checksum), g_strdup (to.checksum));
  return TRUE;
}

/* A .file-xattrs-link, named after a .file: a hardlink to the .file-xattrs it uses
 * (ostree-ext), or a regular file holding the xattrs themselves (bootc since 2025). */
static gboolean
read_xattrs_link (OstreeReader *r, struct archive_entry *entry, const char *path,
                  const char *file_checksum, GError **error)
{
  const char *target = berth_entry_hardlink (entry);
  if (target != NULL)
    return link_xattrs (r, path, target, file_checksum, /* v0= */ FALSE, error);
  if (archive_entry_filetype (entry) != AE_IFREG)
    return berth_import_refuse_path (error, path,
                                     "a .file-xattrs-link that is neither a hardlink nor a file");
  char *checksum = NULL;
  if (!read_xattrs (r, entry, path, NULL, &checksum, error))
    return FALSE;
  g_hash_table_replace (r->file_xattrs, g_strdup (file_checksum), checksum);
  return TRUE;
}

/* A path of the exporter's tree (outside sysroot/): a directory, a hardlink to a content
 * object of the repo, or an empty regular file, all of them redundant with the dirtrees and
 * ignored, as ostree-ext ignores them. Anything else has no place in an ostree layer. */
static gboolean
check_tree_entry (struct archive_entry *entry, const char *path, GError **error)
{
  mode_t type = archive_entry_filetype (entry);
  const char *target = archive_entry_hardlink (entry);
  if (target != NULL)
    {
      g_autofree char *normalized = NULL;
      BerthOstreePath to;
      g_autoptr (GError) local = NULL;
      if (!berth_import_path_normalize (target, &normalized, &local)
          || !berth_import_ostree_path_parse (normalized, &to, &local)
          || to.entry_class != BERTH_OSTREE_ENTRY_OBJECT
          || to.object_type != OSTREE_OBJECT_TYPE_FILE)
        {
          g_autofree char *quoted = berth_import_quote_path (target);
          return berth_import_refuse_path (
            error, path,
            "a hardlink to \"%s\", outside the ostree repository's content "
            "objects",
            quoted);
        }
      return TRUE;
    }
  if (type == AE_IFDIR)
    return TRUE;
  if (type == AE_IFREG && archive_entry_size (entry) == 0)
    return TRUE;
  return berth_import_refuse_path (
    error, path,
    "outside the ostree repository: an ostree layer's tree paths are only "
    "directories, hardlinks to content objects and empty files");
}

static GVariant *
xattrs_of (OstreeReader *r, const char *file_checksum)
{
  const char *x = g_hash_table_lookup (r->file_xattrs, file_checksum);
  return x != NULL ? g_hash_table_lookup (r->xattrs, x) : NULL;
}

/* A chunk layer's commit is ostree-ext's "object set": a root directory with one entry per
 * content object, named by its checksum, so its blob ref keeps the objects alive. */
static gboolean
note_content (OstreeReader *r, const char *checksum, GError **error)
{
  if (r->desc->kind != BERTH_IMPORT_LAYER_OSTREE_OBJECTS)
    return TRUE;
  return ostree_mutable_tree_replace_file (r->layer->root, checksum, checksum, error);
}

static gboolean
write_regular (OstreeReader *r, struct archive_entry *entry, const char *path, const char *checksum,
               GError **error)
{
  la_int64_t size = archive_entry_size (entry);
  if (size < 0)
    return berth_import_refuse_path (error, path, "a negative size");
  guint32 uid = archive_entry_uid (entry), gid = archive_entry_gid (entry);
  guint32 mode = S_IFREG | (archive_entry_perm (entry) & 07777);
  GVariant *xattrs = xattrs_of (r, checksum);
  GError *local = NULL;
  g_autofree char *written = NULL;

  if (size <= DATA_BUF_SIZE)
    {
      if (!berth_layer_archive_read_exactly (&r->la, r->databuf, size, path, error))
        return FALSE;
      written = ostree_repo_write_regfile_inline (r->repo, checksum, uid, gid, mode, xattrs,
                                                  r->databuf, size, r->cancellable, &local);
    }
  else if (!r->archive_mode)
    {
      g_autoptr (OstreeContentWriter) writer
        = ostree_repo_write_regfile (r->repo, checksum, uid, gid, mode, size, xattrs, &local);
      guint64 done = 0;
      while (writer != NULL && local == NULL)
        {
          la_ssize_t n = archive_read_data (r->la.archive, r->databuf, DATA_BUF_SIZE);
          if (n < 0)
            return berth_layer_archive_throw (&r->la, "Reading object data", error);
          if (n == 0)
            break;
          done += n;
          if (done > (guint64)size)
            return berth_import_refuse_path (error, path, "more data than the entry's size");
          (void)g_output_stream_write_all (G_OUTPUT_STREAM (writer), r->databuf, n, NULL,
                                           r->cancellable, &local);
        }
      if (writer != NULL && local == NULL)
        {
          if (done != (guint64)size)
            return berth_import_broken_path (error, path, "the tar ends inside the file's data");
          written = ostree_content_writer_finish (writer, r->cancellable, &local);
        }
    }
  else
    {
      /* archive repos (unit tests): 2022.7 has no content writer for them; read it whole */
      g_autoptr (GBytes) bytes = read_whole (r, entry, path, METADATA_MAX, error);
      if (bytes == NULL)
        return FALSE;
      g_autoptr (GInputStream) data = g_memory_input_stream_new_from_bytes (bytes);
      g_autoptr (GFileInfo) info = g_file_info_new ();
      g_file_info_set_file_type (info, G_FILE_TYPE_REGULAR);
      g_file_info_set_size (info, size);
      g_file_info_set_attribute_uint32 (info, "unix::uid", uid);
      g_file_info_set_attribute_uint32 (info, "unix::gid", gid);
      g_file_info_set_attribute_uint32 (info, "unix::mode", mode);
      g_autoptr (GInputStream) object = NULL;
      guint64 object_len = 0;
      g_autofree guchar *csum = NULL;
      if (ostree_raw_file_to_content_stream (data, info, xattrs, &object, &object_len,
                                             r->cancellable, &local)
          && ostree_repo_write_content (r->repo, checksum, object, object_len, &csum,
                                        r->cancellable, &local))
        written = ostree_checksum_from_bytes (csum);
    }
  if (written == NULL)
    return object_error (error, local, path);
  if (!note_content (r, checksum, error))
    return FALSE;
  r->layer->stats.n_files++;
  r->layer->stats.n_bytes += size;
  return TRUE;
}

static gboolean
write_symlink (OstreeReader *r, struct archive_entry *entry, const char *path, const char *checksum,
               GError **error)
{
  const char *target = berth_entry_symlink (entry);
  if (target == NULL || *target == '\0')
    return berth_import_refuse_path (error, path, "a symlink without a target");
  GError *local = NULL;
  /* the target is the object's content, never followed: a symlink out of the repo is only a
   * name inside a deployment, as ostree stores it */
  g_autofree char *written = ostree_repo_write_symlink (
    r->repo, checksum, archive_entry_uid (entry), archive_entry_gid (entry),
    xattrs_of (r, checksum), target, r->cancellable, &local);
  if (written == NULL)
    return object_error (error, local, path);
  if (!note_content (r, checksum, error))
    return FALSE;
  r->layer->stats.n_symlinks++;
  return TRUE;
}

static gboolean
import_entry (OstreeReader *r, struct archive_entry *entry, GError **error)
{
  g_autofree char *path = NULL;
  const char *raw = berth_entry_pathname (entry);
  if (raw == NULL)
    return berth_throw (error, BERTH_ERROR_REFUSED, "A tar entry without a path");
  if (!berth_import_path_normalize (raw, &path, error))
    return FALSE;
  BerthOstreePath obj;
  if (!berth_import_ostree_path_parse (path, &obj, error))
    return FALSE;

  mode_t type = archive_entry_filetype (entry);
  gboolean is_hardlink = archive_entry_hardlink (entry) != NULL;
  switch (obj.entry_class)
    {
    case BERTH_OSTREE_ENTRY_TREE:
      return check_tree_entry (entry, path, error);
    case BERTH_OSTREE_ENTRY_REPO_OTHER:
    case BERTH_OSTREE_ENTRY_DIR:
      if (type != AE_IFDIR || is_hardlink)
        return berth_import_refuse_path (error, path,
                                         "a repository directory that is not a directory");
      r->layer->stats.n_dirs++;
      return TRUE;
    case BERTH_OSTREE_ENTRY_CONFIG:
      if (type != AE_IFREG || is_hardlink)
        return berth_import_refuse_path (error, path,
                                         "the repository config is not a regular file");
      return TRUE; /* the exporter's; the target repo has its own */
    case BERTH_OSTREE_ENTRY_XATTRS:
      if (type != AE_IFREG || is_hardlink)
        return berth_import_refuse_path (error, path,
                                         "a v0 xattrs entry that is not a regular file");
      return read_held_xattrs (r, entry, path, obj.checksum, error);
    case BERTH_OSTREE_ENTRY_XATTRS_REF:
      {
        const char *target = berth_entry_hardlink (entry);
        if (target == NULL)
          return berth_import_refuse_path (
            error, path, "a v0 .file.xattrs that is not a hardlink to an xattrs/ entry");
        return link_xattrs (r, path, target, obj.checksum, /* v0= */ TRUE, error);
      }
    case BERTH_OSTREE_ENTRY_OBJECT:
      break;
    }

  gboolean commit_layer = r->desc->kind == BERTH_IMPORT_LAYER_OSTREE_COMMIT;
  if (!commit_layer && obj.object_type != OSTREE_OBJECT_TYPE_FILE
      && obj.object_type != OSTREE_OBJECT_TYPE_FILE_XATTRS
      && obj.object_type != OSTREE_OBJECT_TYPE_FILE_XATTRS_LINK)
    return berth_import_refuse_path (
      error, path,
      "a %s object in a chunk layer; only the commit layer (the first) carries "
      "commit, commitmeta, dirtree and dirmeta objects",
      ostree_object_type_to_string (obj.object_type));

  if (obj.object_type == OSTREE_OBJECT_TYPE_FILE_XATTRS_LINK)
    return read_xattrs_link (r, entry, path, obj.checksum, error);
  if (is_hardlink)
    return berth_import_refuse_path (error, path,
                                     "a hardlink; only .file-xattrs-link entries may be hardlinks");

  switch (obj.object_type)
    {
    case OSTREE_OBJECT_TYPE_FILE_XATTRS:
      if (type != AE_IFREG)
        return berth_import_refuse_path (error, path,
                                         "a .file-xattrs object that is not a regular file");
      return read_held_xattrs (r, entry, path, obj.checksum, error);
    case OSTREE_OBJECT_TYPE_FILE:
      if (type == AE_IFREG)
        return write_regular (r, entry, path, obj.checksum, error);
      if (type == AE_IFLNK)
        return write_symlink (r, entry, path, obj.checksum, error);
      return berth_import_refuse_path (error, path,
                                       "a content object that is neither a file nor a symlink");
    default:
      if (type != AE_IFREG)
        return berth_import_refuse_path (error, path, "a %s object that is not a regular file",
                                         ostree_object_type_to_string (obj.object_type));
      return write_metadata (r, entry, path, &obj, error);
    }
}

BerthImportedLayer *
berth_import_ostree_read (OstreeRepo *repo, const BerthImportLayerDesc *desc, GInputStream *blob,
                          GCancellable *cancellable, GError **error)
{
  g_auto (OstreeReader) r = {
    .repo = repo,
    .archive_mode = ostree_repo_get_mode (repo) == OSTREE_REPO_MODE_ARCHIVE,
    .desc = desc,
    .cancellable = cancellable,
    .layer = berth_imported_layer_new (desc->digest),
    .xattrs
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref),
    .file_xattrs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
    .held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .databuf = g_malloc (DATA_BUF_SIZE),
  };
  r.layer->kind = desc->kind;
  if (desc->kind == BERTH_IMPORT_LAYER_OSTREE_OBJECTS)
    {
      /* a chunk's commit has an empty tree: its blob ref only says "fetched" */
      g_autoptr (GFileInfo) info = g_file_info_new ();
      g_file_info_set_attribute_uint32 (info, "unix::uid", 0);
      g_file_info_set_attribute_uint32 (info, "unix::gid", 0);
      g_file_info_set_attribute_uint32 (info, "unix::mode", S_IFDIR | 0755);
      /* transfer full, and sunk already */
      g_autoptr (GVariant) dirmeta = ostree_create_directory_metadata (info, NULL);
      g_autofree guchar *csum = NULL;
      if (!ostree_repo_write_metadata (repo, OSTREE_OBJECT_TYPE_DIR_META, NULL, dirmeta, &csum,
                                       cancellable, error))
        return NULL;
      g_autofree char *checksum = ostree_checksum_from_bytes (csum);
      ostree_mutable_tree_set_metadata_checksum (r.layer->root, checksum);
    }
  if (!berth_layer_archive_open (&r.la, desc, blob, cancellable, error))
    return NULL;
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
      if (!import_entry (&r, entry, error))
        return NULL;
    }
  if (!berth_layer_archive_drain (&r.la, &r.layer->stats.n_blob_bytes, error))
    return NULL;
  if (desc->kind == BERTH_IMPORT_LAYER_OSTREE_COMMIT && r.layer->ostree_commit == NULL)
    {
      berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                   "The image's first ostree layer carries no commit object");
      return NULL;
    }
  if (r.layer->commitmeta != NULL && !g_str_equal (r.layer->commitmeta_for, r.layer->ostree_commit))
    {
      berth_throw (error, BERTH_ERROR_REFUSED,
                   "The layer's commitmeta is for commit %s, not for its commit %s",
                   r.layer->commitmeta_for, r.layer->ostree_commit);
      return NULL;
    }
  return g_steal_pointer (&r.layer);
}

/* ---- the image's commit ------------------------------------------------------------------ */

/* Every object the commit names is in the repo (or this transaction): a dirtree or content
 * object that never arrived would make a deployment with holes. */
static gboolean
check_closure (OstreeRepo *repo, const char *commit, GCancellable *cancellable, GError **error)
{
  g_autoptr (GHashTable) reachable = NULL;
  g_autoptr (GError) local = NULL;
  if (!ostree_repo_traverse_commit (repo, commit, -1, &reachable, cancellable, &local))
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "The image's commit %s names objects its layers do not carry: %s", commit,
                        local->message);
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, reachable);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *checksum;
      OstreeObjectType type;
      ostree_object_name_deserialize (key, &checksum, &type);
      if (type != OSTREE_OBJECT_TYPE_FILE)
        continue;
      gboolean have = FALSE;
      if (!ostree_repo_has_object (repo, type, checksum, &have, cancellable, error))
        return FALSE;
      if (!have)
        {
          g_autofree char *path = berth_import_ostree_object_path (checksum, type);
          return berth_throw (error, BERTH_ERROR_REFUSED,
                              "The image's commit %s names the content object %s, which none of "
                              "its layers carries",
                              commit, path);
        }
    }
  return TRUE;
}

/* A short summary of gpgme's verdict ("Signature made ... using RSA key ID ..."), one line. */
static char *
one_line (const char *text)
{
  g_autofree char *copy = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_strdelimit (copy, "\n", ';');
  return g_strndup (copy, 400);
}

static gboolean
verify_signature (OstreeRepo *repo, const BerthImportImage *image, const char *commit,
                  GBytes *commit_data, GBytes *commitmeta, GError **error)
{
  const char *remote = image->verify_remote;
  /* the keys: those of the remote as the verifying repository defines it */
  OstreeRepo *keys = image->verify_repo != NULL ? image->verify_repo : repo;
  g_autoptr (GError) local = NULL;
  /* any option reads the remote (a url is not needed: ostree-ext's remotes may have none) */
  gboolean gpg_verify = TRUE;
  if (!ostree_repo_get_remote_boolean_option (keys, remote, "gpg-verify", TRUE, &gpg_verify,
                                              &local))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "The image asks for a signature check with the keys of ostree remote "
                        "\"%s\", which the repository does not have: add it (ostree remote add "
                        "--set=gpgkeypath=FILE %s URL, or for an install --ostree-remote-config "
                        "FILE); nothing was referenced",
                        remote, remote);
  if (commitmeta == NULL)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "Commit %s of %s is not signed (the image has no commitmeta object), but "
                        "the reference asks for the keys of ostree remote \"%s\"; nothing was "
                        "referenced",
                        commit, image->image_ref, remote);
  g_autofree char *results = NULL;
  if (!ostree_repo_signature_verify_commit_data (keys, remote, commit_data, commitmeta,
                                                 OSTREE_REPO_VERIFY_FLAGS_NO_SIGNAPI, &results,
                                                 &local))
    {
      g_autofree char *why = one_line (local->message);
      g_autofree char *found = one_line (results);
      return berth_throw (error, BERTH_ERROR_REFUSED,
                          "Commit %s of %s: its signature does not verify with the keys of ostree "
                          "remote \"%s\": %s%s%s; nothing was referenced",
                          commit, image->image_ref, remote, why, *found ? "; found: " : "", found);
    }
  g_debug ("Commit %s: %s", commit, results);
  return TRUE;
}

gboolean
berth_import_ostree_finish (OstreeRepo *repo, const BerthImportImage *image, const char *commit,
                            GBytes *commit_data, GBytes *commitmeta, GCancellable *cancellable,
                            GError **error)
{
  if (image->ostree_commit_label != NULL && !g_str_equal (image->ostree_commit_label, commit))
    return berth_throw (error, BERTH_ERROR_DIGEST_MISMATCH,
                        "The image's label ostree.commit says %s, but its commit layer carries "
                        "commit %s; nothing was referenced",
                        image->ostree_commit_label, commit);
  if (!check_closure (repo, commit, cancellable, error))
    return FALSE;

  /* a reused commit layer: the bytes from the repo */
  g_autoptr (GBytes) stored_data = NULL;
  g_autoptr (GBytes) stored_meta = NULL;
  if (commit_data == NULL)
    {
      g_autoptr (GVariant) v = NULL;
      if (!ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, commit, &v, error))
        return FALSE;
      commit_data = stored_data = g_variant_get_data_as_bytes (v);
      g_autoptr (GVariant) meta = NULL;
      if (!ostree_repo_read_commit_detached_metadata (repo, commit, &meta, cancellable, error))
        return FALSE;
      if (meta != NULL)
        commitmeta = stored_meta = g_variant_get_data_as_bytes (meta);
    }

  if (image->verify_remote != NULL
      && !verify_signature (repo, image, commit, commit_data, commitmeta, error))
    return FALSE;

  if (commitmeta != NULL && stored_meta == NULL)
    {
      /* kept, so the installed system's own upgrades can verify it again */
      g_autoptr (GVariant) meta
        = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, commitmeta, FALSE));
      if (!ostree_repo_write_commit_detached_metadata (repo, commit, meta, cancellable, error))
        return FALSE;
    }
  return TRUE;
}
