/* Writing images to oci:, oci-archive: and docker:// destinations (see oci-push.h). */
#include "oci-push.h"
#include "oci-digest.h"
#include "oci-layout.h"
#include "oci-private.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>

#include "util/util-archive.h"
#include "util/util-json.h"

/* Blobs are copied in pieces of this size: large enough for few syscalls, small enough to keep
 * memory flat whatever the blob's size. */
#define COPY_BUFFER_SIZE (256 * 1024)

/* A blob of the image: a config, a layer, or a manifest (then its bytes are in memory). */
typedef struct
{
  char *digest;
  gint64 size;
  char *media_type;
  GBytes *bytes; /* manifests, and blobs a source had in memory (its config); else NULL */
} Item;

static void
item_free (Item *item)
{
  g_free (item->digest);
  g_free (item->media_type);
  g_clear_pointer (&item->bytes, g_bytes_unref);
  g_free (item);
}

static Item *
item_new (const char *digest, gint64 size, const char *media_type, GBytes *bytes)
{
  Item *item = g_new0 (Item, 1);
  item->digest = g_strdup (digest);
  item->size = size;
  item->media_type = g_strdup (media_type);
  item->bytes = bytes ? g_bytes_ref (bytes) : NULL;
  return item;
}

/* What to write, and where its bytes come from. */
typedef struct
{
  GPtrArray *blobs;         /* Item*: configs and layers, each once, in manifest order */
  GPtrArray *manifests;     /* Item*: those an index names first, the top one last */
  GHashTable *seen;         /* the digests in either list */
  const char *layout_dir;   /* the blobs are in this OCI layout, ... */
  BerthImageSource *source; /* ... or come from this source */
} Plan;

static void
plan_free (Plan *plan)
{
  g_ptr_array_unref (plan->blobs);
  g_ptr_array_unref (plan->manifests);
  g_hash_table_unref (plan->seen);
  g_free (plan);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Plan, plan_free)

static Plan *
plan_new (void)
{
  Plan *plan = g_new0 (Plan, 1);
  plan->blobs = g_ptr_array_new_with_free_func ((GDestroyNotify)item_free);
  plan->manifests = g_ptr_array_new_with_free_func ((GDestroyNotify)item_free);
  plan->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return plan;
}

static const Item *
plan_top (const Plan *plan)
{
  return plan->manifests->pdata[plan->manifests->len - 1];
}

static void
plan_add_blob (Plan *plan, const char *digest, gint64 size, const char *media_type, GBytes *bytes)
{
  if (!g_hash_table_add (plan->seen, g_strdup (digest)))
    return;
  g_ptr_array_add (plan->blobs, item_new (digest, size, media_type, bytes));
}

/* ---- the image in a layout, walked from its top manifest ------------------------------------ */

/* A descriptor of a manifest being walked, checked as far as writing needs: a valid digest
 * (it becomes a path), a size in range, a media type. The manifest parsers are stricter, but
 * they refuse what berth cannot install (artifacts, attestations), which can still be copied. */
static gboolean
read_descriptor (json_t *obj, const char *what, const char **out_media_type,
                 const char **out_digest, gint64 *out_size, GError **error)
{
  const char *media_type = json_string_value (json_object_get (obj, "mediaType"));
  const char *digest = json_string_value (json_object_get (obj, "digest"));
  json_t *size = json_object_get (obj, "size");
  if (!json_is_object (obj) || digest == NULL || !json_is_integer (size))
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "%s is not a descriptor with a digest and a size", what);
  if (!berth_digest_validate (digest, error))
    {
      g_prefix_error (error, "%s: ", what);
      return FALSE;
    }
  json_int_t n = json_integer_value (size);
  if (n < 0 || n > BERTH_OCI_BLOB_SIZE_MAX)
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "%s %s: size %" JSON_INTEGER_FORMAT " is out of range", what, digest, n);
  if (media_type != NULL && !berth_oci_media_type_is_valid (media_type))
    {
      g_autofree char *quoted = berth_oci_quote (media_type, -1, 100);
      return berth_throw (error, BERTH_ERROR_FAILED, "%s %s: invalid media type %s", what, digest,
                          quoted);
    }
  *out_media_type = media_type;
  *out_digest = digest;
  *out_size = n;
  return TRUE;
}

/* Reads manifest @digest out of the layout and checks it against its digest (and @size unless
 * it is negative: the top manifest's size is not known). */
static GBytes *
read_layout_manifest (const char *dir, const char *digest, gint64 size, GError **error)
{
  g_autofree char *path = berth_oci_layout_blob_path (dir, digest, error);
  if (path == NULL)
    return NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;
  if (!berth_oci_read_file (AT_FDCWD, path, BERTH_OCI_MANIFEST_MAX, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        return (berth_throw (error, BERTH_ERROR_NOT_FOUND,
                             "Manifest %s is missing from the OCI layout %s", digest, dir),
                NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_autofree char *what = g_strdup_printf ("Manifest %s", digest);
  if (!berth_digest_check_bytes (contents, len, digest, size, what, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

static gboolean
plan_add_layout_manifest (Plan *plan, const char *media_type, const char *digest, gint64 size,
                          guint depth, GError **error)
{
  if (g_hash_table_contains (plan->seen, digest))
    return TRUE;
  if (depth > BERTH_OCI_LAYOUT_DEPTH_MAX)
    return berth_throw (error, BERTH_ERROR_FAILED, "indexes nest more than %d deep",
                        BERTH_OCI_LAYOUT_DEPTH_MAX);
  g_autoptr (GBytes) bytes = read_layout_manifest (plan->layout_dir, digest, size, error);
  if (bytes == NULL)
    return FALSE;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  BerthManifestKind kind;
  if (!berth_manifest_detect_kind (data, len, media_type, &kind, error))
    {
      g_prefix_error (error, "Manifest %s: ", digest);
      return FALSE;
    }
  if (kind == BERTH_MANIFEST_KIND_UNKNOWN || kind == BERTH_MANIFEST_KIND_DOCKER_SCHEMA1)
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "Manifest %s is a %s, which berth does not write", digest,
                        berth_manifest_kind_to_string (kind));
  json_error_t jerr;
  g_autoptr (json_t) root = json_loadb (data, len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    {
      g_autofree char *what = g_strdup_printf ("Manifest %s", digest);
      return berth_throw_json (error, &jerr, what);
    }

  if (berth_manifest_kind_is_index (kind))
    {
      json_t *entries = json_object_get (root, "manifests");
      if (!json_is_array (entries) || json_array_size (entries) > BERTH_OCI_INDEX_MAX)
        return berth_throw (error, BERTH_ERROR_FAILED,
                            "Index %s has no manifests array (or more than %d entries)", digest,
                            BERTH_OCI_INDEX_MAX);
      size_t i;
      json_t *entry;
      json_array_foreach (entries, i, entry)
      {
        const char *emt, *edigest;
        gint64 esize;
        g_autofree char *what = g_strdup_printf ("Index %s: entry %zu", digest, i);
        if (!read_descriptor (entry, what, &emt, &edigest, &esize, error))
          return FALSE;
        BerthManifestKind ekind = berth_manifest_kind_from_media_type (emt);
        if (ekind == BERTH_MANIFEST_KIND_UNKNOWN || ekind == BERTH_MANIFEST_KIND_DOCKER_SCHEMA1)
          {
            g_autofree char *quoted = berth_oci_quote (emt ? emt : "(none)", -1, 100);
            return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                                "%s (%s) has media type %s, which berth does not write", what,
                                edigest, quoted);
          }
        if (!plan_add_layout_manifest (plan, emt, edigest, esize, depth + 1, error))
          return FALSE;
      }
    }
  else
    {
      const char *cmt, *cdigest;
      gint64 csize;
      g_autofree char *cwhat = g_strdup_printf ("Manifest %s: config", digest);
      if (!read_descriptor (json_object_get (root, "config"), cwhat, &cmt, &cdigest, &csize, error))
        return FALSE;
      plan_add_blob (plan, cdigest, csize, cmt, NULL);
      json_t *layers = json_object_get (root, "layers");
      if (!json_is_array (layers) || json_array_size (layers) > BERTH_OCI_LAYERS_MAX)
        return berth_throw (error, BERTH_ERROR_FAILED,
                            "Manifest %s has no layers array (or more than %d layers)", digest,
                            BERTH_OCI_LAYERS_MAX);
      size_t i;
      json_t *layer;
      json_array_foreach (layers, i, layer)
      {
        const char *lmt, *ldigest;
        gint64 lsize;
        g_autofree char *what = g_strdup_printf ("Manifest %s: layer %zu", digest, i);
        if (!read_descriptor (layer, what, &lmt, &ldigest, &lsize, error))
          return FALSE;
        plan_add_blob (plan, ldigest, lsize, lmt, NULL);
      }
    }

  /* After what it names: a destination gets a manifest only once its blobs are there. */
  if (g_hash_table_add (plan->seen, g_strdup (digest)))
    g_ptr_array_add (plan->manifests, item_new (digest, (gint64)len,
                                                berth_manifest_kind_to_media_type (kind), bytes));
  return TRUE;
}

/* ---- reading blobs ----------------------------------------------------------------------- */

/* The bytes of @item, verified: reading past its size or to a wrong digest fails. */
static GInputStream *
open_item (const Plan *plan, const Item *item, GCancellable *cancellable, GError **error)
{
  if (item->bytes != NULL)
    return g_memory_input_stream_new_from_bytes (item->bytes); /* checked when it was read */
  if (plan->source != NULL)
    return berth_image_source_open_blob (plan->source, item->digest, item->size, cancellable,
                                         error);
  g_autofree char *path = berth_oci_layout_blob_path (plan->layout_dir, item->digest, error);
  if (path == NULL)
    return NULL;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GInputStream) base = (GInputStream *)g_file_read (file, cancellable, &local_error);
  if (base == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return (berth_throw (error, BERTH_ERROR_NOT_FOUND,
                             "Blob %s is missing from the OCI layout %s", item->digest,
                             plan->layout_dir),
                NULL);
      return (berth_throw (error, BERTH_ERROR_FAILED, "Opening blob %s: %s", item->digest,
                           local_error->message),
              NULL);
    }
  return berth_verified_stream_new (base, item->digest, item->size);
}

typedef struct
{
  const Plan *plan;
  const Item *item;
} BodySource;

static GInputStream *
open_body (gpointer user_data, GCancellable *cancellable, GError **error)
{
  BodySource *b = user_data;
  return open_item (b->plan, b->item, cancellable, error);
}

/* Reads @in to its end (where a verified stream checks its digest), handing each piece to
 * @write. */
typedef gboolean (*WriteFunc) (const void *data, gsize len, gpointer user_data, GError **error);

static gboolean
pump (GInputStream *in, WriteFunc write_fn, gpointer user_data, GCancellable *cancellable,
      GError **error)
{
  g_autofree char *buf = g_malloc (COPY_BUFFER_SIZE);
  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, COPY_BUFFER_SIZE, cancellable, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;
      if (!write_fn (buf, (gsize)n, user_data, error))
        return FALSE;
    }
}

/* ---- oci: ------------------------------------------------------------------------------------ */

static gboolean
write_to_blob_writer (const void *data, gsize len, gpointer user_data, GError **error)
{
  return berth_oci_blob_writer_write (user_data, data, len, error);
}

/* Through a blob writer: the temporary file is committed only after the stream's end, where
 * its digest was checked, so a corrupt blob never gets a name in the layout. */
static gboolean
copy_blob_into (const Plan *plan, const Item *item, const char *dir, GCancellable *cancellable,
                GError **error)
{
  g_autoptr (GInputStream) in = open_item (plan, item, cancellable, error);
  if (in == NULL)
    return FALSE;
  g_autoptr (BerthOciBlobWriter) writer = berth_oci_blob_writer_new (dir, error);
  if (writer == NULL)
    return FALSE;
  if (!pump (in, write_to_blob_writer, writer, cancellable, error))
    return FALSE;
  g_autofree char *digest = NULL;
  if (!berth_oci_blob_writer_commit (writer, &digest, NULL, error))
    return FALSE;
  /* The stream verified the bytes; the writer saw the same ones. */
  g_return_val_if_fail (g_str_equal (digest, item->digest), FALSE);
  return TRUE;
}

static gboolean
verify_file (const char *path, const Item *item, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GInputStream) base = (GInputStream *)g_file_read (file, cancellable, error);
  if (base == NULL)
    return FALSE;
  g_autoptr (GInputStream) in = berth_verified_stream_new (base, item->digest, item->size);
  g_autofree char *buf = g_malloc (COPY_BUFFER_SIZE);
  gssize n;
  while ((n = g_input_stream_read (in, buf, COPY_BUFFER_SIZE, cancellable, error)) > 0)
    ;
  return n == 0;
}

/* A hard link of the source layout's blob: made under a temporary name, checked, then renamed
 * to the blob's name, so a corrupt blob is not linked in. *@out_linked is FALSE (without an
 * error) when the two directories cannot share a file (another filesystem): then it is copied. */
static gboolean
link_blob_into (const Plan *plan, const Item *item, const char *dest_path, gboolean *out_linked,
                GCancellable *cancellable, GError **error)
{
  *out_linked = FALSE;
  g_autofree char *src_path = berth_oci_layout_blob_path (plan->layout_dir, item->digest, error);
  if (src_path == NULL)
    return FALSE;
  g_autofree char *tmp
    = g_strdup_printf ("%s.berth-link-%d-%08x", dest_path, (int)getpid (), g_random_int ());
  if (link (src_path, tmp) < 0)
    {
      if (errno == ENOENT)
        return berth_throw (error, BERTH_ERROR_NOT_FOUND,
                            "Blob %s is missing from the OCI layout %s", item->digest,
                            plan->layout_dir);
      /* EXDEV, EPERM (protected_hardlinks, filesystems without links), EMLINK: copy instead */
      g_debug ("linking %s: %s; copying it", src_path, g_strerror (errno));
      return TRUE;
    }
  if (!verify_file (tmp, item, cancellable, error))
    {
      (void)unlink (tmp);
      return FALSE;
    }
  if (rename (tmp, dest_path) < 0)
    {
      berth_throw_errno (error, dest_path);
      (void)unlink (tmp);
      return FALSE;
    }
  *out_linked = TRUE;
  return TRUE;
}

static gboolean
write_oci (const Plan *plan, const BerthImageRef *dest, BerthImageWriteStats *stats,
           GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Writing the OCI layout %s", dest->path);
  if (!berth_oci_layout_init (dest->path, error))
    return FALSE;
  for (guint i = 0; i < plan->blobs->len; i++)
    {
      const Item *item = plan->blobs->pdata[i];
      g_autofree char *path = berth_oci_layout_blob_path (dest->path, item->digest, error);
      if (path == NULL)
        return FALSE;
      /* A blob is named by its digest: one that is there is this one (skopeo's rule too). */
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          stats->blobs_skipped++;
          continue;
        }
      gboolean linked = FALSE;
      if (plan->layout_dir != NULL && item->bytes == NULL
          && !link_blob_into (plan, item, path, &linked, cancellable, error))
        return FALSE;
      if (!linked && !copy_blob_into (plan, item, dest->path, cancellable, error))
        return FALSE;
      stats->blobs_written++;
      stats->bytes += (guint64)item->size;
    }
  for (guint i = 0; i < plan->manifests->len; i++)
    {
      const Item *item = plan->manifests->pdata[i];
      g_autofree char *path = berth_oci_layout_blob_path (dest->path, item->digest, error);
      if (path == NULL)
        return FALSE;
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *digest = berth_oci_layout_add_blob (dest->path, item->bytes, error);
          if (digest == NULL)
            return FALSE;
        }
      stats->manifests_written++;
    }
  const Item *top = plan_top (plan);
  return berth_oci_layout_set_ref (dest->path, top->media_type, top->digest, top->size, dest->tag,
                                   /* os= */ NULL, /* architecture= */ NULL, error);
}

/* ---- oci-archive: ---------------------------------------------------------------------------- */

/* The temporary archive: removed unless it was renamed into place. */
typedef struct
{
  char *path;
  int fd;
} TempFile;

static void
temp_file_clear (TempFile *t)
{
  berth_close_fdp (&t->fd);
  if (t->path != NULL)
    (void)unlink (t->path);
  g_free (t->path);
}

typedef struct
{
  BerthArchiveWrite *archive;
  time_t mtime;
} Tar;

static gboolean
tar_header (Tar *tar, const char *name, mode_t type, gint64 size, GError **error)
{
  g_autoptr (BerthArchiveEntry) entry = archive_entry_new ();
  archive_entry_set_pathname (entry, name);
  archive_entry_set_filetype (entry, type);
  archive_entry_set_perm (entry, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_uid (entry, 0);
  archive_entry_set_gid (entry, 0);
  archive_entry_set_mtime (entry, tar->mtime, 0);
  if (type == AE_IFREG)
    archive_entry_set_size (entry, size);
  if (archive_write_header (tar->archive, entry) != ARCHIVE_OK)
    return berth_throw_archive (error, tar->archive, name);
  return TRUE;
}

static gboolean
write_to_tar (const void *data, gsize len, gpointer user_data, GError **error)
{
  Tar *tar = user_data;
  if (archive_write_data (tar->archive, data, len) != (la_ssize_t)len)
    return berth_throw_archive (error, tar->archive, "Writing the archive");
  return TRUE;
}

static gboolean
tar_bytes (Tar *tar, const char *name, GBytes *bytes, GError **error)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);
  return tar_header (tar, name, AE_IFREG, (gint64)len, error)
         && (len == 0 || write_to_tar (data, len, tar, error));
}

/* The layout's index.json: the one image, named @tag when there is one. */
static GBytes *
archive_index (const Item *top, const char *tag)
{
  g_autoptr (json_t) desc = json_pack ("{s:s, s:s, s:I}", "mediaType", top->media_type, "digest",
                                       top->digest, "size", (json_int_t)top->size);
  if (tag != NULL)
    json_object_set_new (desc, "annotations",
                         json_pack ("{s:s}", BERTH_OCI_ANNOTATION_REF_NAME, tag));
  g_autoptr (json_t) index
    = json_pack ("{s:i, s:s, s:[O]}", "schemaVersion", 2, "mediaType",
                 "application/vnd.oci.image.index.v1+json", "manifests", desc);
  char *text = json_dumps (index, JSON_COMPACT);
  return g_bytes_new_take (text, strlen (text));
}

static gboolean
write_archive (const Plan *plan, const BerthImageRef *dest, BerthImageWriteStats *stats,
               GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Writing the OCI archive %s", dest->path);
  __attribute__ ((cleanup (temp_file_clear))) TempFile tmp
    = { g_strdup_printf ("%s.tmp-XXXXXX", dest->path), -1 };
  tmp.fd = g_mkstemp_full (tmp.path, O_WRONLY | O_CLOEXEC, 0644);
  if (tmp.fd < 0)
    {
      berth_throw_errno (error, tmp.path);
      g_clear_pointer (&tmp.path, g_free); /* not ours to remove */
      return FALSE;
    }
  g_autoptr (BerthArchiveWrite) a = archive_write_new ();
  /* POSIX ustar, with pax headers only where ustar cannot say it: what Go's archive/tar
   * (containers/image) and every tar read. */
  archive_write_set_format_pax_restricted (a);
  archive_write_add_filter_none (a);
  if (archive_write_open_fd (a, tmp.fd) != ARCHIVE_OK)
    return berth_throw_archive (error, a, tmp.path);
  Tar tar = { a, time (NULL) };

  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  g_autoptr (GBytes) layout_bytes = g_bytes_new_static (layout, strlen (layout));
  if (!tar_bytes (&tar, "oci-layout", layout_bytes, error)
      || !tar_header (&tar, "blobs/", AE_IFDIR, 0, error)
      || !tar_header (&tar, "blobs/sha256/", AE_IFDIR, 0, error))
    return FALSE;
  for (guint i = 0; i < plan->blobs->len; i++)
    {
      const Item *item = plan->blobs->pdata[i];
      g_autofree char *name
        = g_strdup_printf ("blobs/sha256/%s", item->digest + strlen ("sha256:"));
      g_autoptr (GInputStream) in = open_item (plan, item, cancellable, error);
      if (in == NULL || !tar_header (&tar, name, AE_IFREG, item->size, error)
          || !pump (in, write_to_tar, &tar, cancellable, error))
        return FALSE;
      stats->blobs_written++;
      stats->bytes += (guint64)item->size;
    }
  for (guint i = 0; i < plan->manifests->len; i++)
    {
      const Item *item = plan->manifests->pdata[i];
      g_autofree char *name
        = g_strdup_printf ("blobs/sha256/%s", item->digest + strlen ("sha256:"));
      if (!tar_bytes (&tar, name, item->bytes, error))
        return FALSE;
      stats->manifests_written++;
    }
  g_autoptr (GBytes) index = archive_index (plan_top (plan), dest->tag);
  if (!tar_bytes (&tar, "index.json", index, error))
    return FALSE;
  if (archive_write_close (a) != ARCHIVE_OK)
    return berth_throw_archive (error, a, tmp.path);
  if (fsync (tmp.fd) < 0)
    return berth_throw_errno (error, tmp.path);
  if (rename (tmp.path, dest->path) < 0)
    return berth_throw_errno (error, dest->path);
  g_clear_pointer (&tmp.path, g_free);
  return TRUE;
}

/* ---- docker:// --------------------------------------------------------------------------- */

static gboolean
write_registry (const Plan *plan, const BerthImageRef *dest, const BerthSourceOptions *options,
                BerthImageWriteStats *stats, GCancellable *cancellable, GError **error)
{
  const Item *top = plan_top (plan);
  if (dest->digest != NULL && !g_str_equal (dest->digest, top->digest))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "The destination %s/%s names the digest %s, but the image's manifest is "
                        "%s; name a tag instead, or no digest",
                        dest->registry, dest->repository, dest->digest, top->digest);
  /* A tag when there is one, else the digest (a push by digest), else what a pull takes. */
  const char *reference = dest->tag ? dest->tag : dest->digest ? dest->digest : "latest";

  g_autoptr (BerthRegistry) registry = berth_source_options_new_registry (options, dest, error);
  if (registry == NULL)
    return FALSE;
  for (guint i = 0; i < plan->blobs->len; i++)
    {
      const Item *item = plan->blobs->pdata[i];
      gboolean exists = FALSE;
      if (!berth_registry_has_blob (registry, dest->repository, item->digest, &exists, cancellable,
                                    error))
        return FALSE;
      if (exists)
        {
          stats->blobs_skipped++;
          continue;
        }
      BodySource body = { plan, item };
      if (!berth_registry_push_blob (registry, dest->repository, item->digest, item->size,
                                     open_body, &body, cancellable, error))
        return FALSE;
      stats->blobs_written++;
      stats->bytes += (guint64)item->size;
    }
  for (guint i = 0; i < plan->manifests->len; i++)
    {
      const Item *item = plan->manifests->pdata[i];
      gboolean is_top = i + 1 == plan->manifests->len;
      g_autofree char *served = NULL;
      if (!berth_registry_put_manifest (registry, dest->repository,
                                        is_top ? reference : item->digest, item->media_type,
                                        item->bytes, &served, cancellable, error))
        return FALSE;
      if (served != NULL && !g_str_equal (served, item->digest))
        g_debug ("%s/%s: the registry answered Docker-Content-Digest %s for manifest %s",
                 dest->registry, dest->repository, served, item->digest);
      stats->manifests_written++;
    }
  return TRUE;
}

/* ---- entry points ---------------------------------------------------------------------------- */

gboolean
berth_image_ref_check_writable (const BerthImageRef *dest, GError **error)
{
  if (dest->sigverify != BERTH_SIGVERIFY_NONE)
    {
      g_autofree char *written = berth_image_ref_to_origin_string (dest);
      g_autofree char *name = berth_image_ref_to_string (dest);
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                          "%s cannot be written to: an ostree- prefix names how a system pulls "
                          "an image (under which signature policy), not where one goes; write "
                          "the destination without it (%s)",
                          written, name);
    }
  if (dest->candidates != NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "%s is a short name; a destination must name its registry "
                        "(docker://HOST/NAME:TAG)",
                        dest->name);
  return TRUE;
}

static gboolean
write_plan (const Plan *plan, const BerthImageRef *dest, const BerthSourceOptions *options,
            BerthImageWriteStats *out_stats, GCancellable *cancellable, GError **error)
{
  BerthImageWriteStats stats = { 0 };
  gboolean ok = FALSE;
  switch (dest->transport)
    {
    case BERTH_TRANSPORT_OCI:
      ok = write_oci (plan, dest, &stats, cancellable, error);
      break;
    case BERTH_TRANSPORT_OCI_ARCHIVE:
      ok = write_archive (plan, dest, &stats, cancellable, error);
      break;
    case BERTH_TRANSPORT_REGISTRY:
      ok = write_registry (plan, dest, options, &stats, cancellable, error);
      break;
    }
  if (ok && out_stats != NULL)
    *out_stats = stats;
  return ok;
}

gboolean
berth_image_write (const char *layout_dir, const char *manifest_digest, const BerthImageRef *dest,
                   const BerthSourceOptions *options, BerthImageWriteStats *out_stats,
                   GCancellable *cancellable, GError **error)
{
  if (!berth_image_ref_check_writable (dest, error))
    return FALSE;
  g_autoptr (Plan) plan = plan_new ();
  plan->layout_dir = layout_dir;
  if (!plan_add_layout_manifest (plan, /* media_type= */ NULL, manifest_digest, /* size= */ -1, 0,
                                 error))
    {
      g_prefix_error (error, "OCI layout %s: ", layout_dir);
      return FALSE;
    }
  return write_plan (plan, dest, options, out_stats, cancellable, error);
}

gboolean
berth_image_copy (BerthImageSource *src, const BerthImageRef *dest,
                  const BerthSourceOptions *options, BerthImageWriteStats *out_stats,
                  GCancellable *cancellable, GError **error)
{
  if (!berth_image_ref_check_writable (dest, error))
    return FALSE;
  const BerthResolvedImage *image = berth_image_source_get_image (src);
  const BerthManifest *manifest = image->manifest;
  g_autoptr (Plan) plan = plan_new ();
  plan->source = src;
  /* The source checked the config against its digest when it resolved the image. */
  plan_add_blob (plan, manifest->config->digest, manifest->config->size,
                 manifest->config->media_type, image->config_bytes);
  for (guint i = 0; i < manifest->layers->len; i++)
    {
      const BerthDescriptor *layer = manifest->layers->pdata[i];
      plan_add_blob (plan, layer->digest, layer->size, layer->media_type, NULL);
    }
  g_ptr_array_add (plan->manifests, item_new (image->manifest_digest,
                                              (gint64)g_bytes_get_size (image->manifest_bytes),
                                              berth_manifest_kind_to_media_type (manifest->kind),
                                              image->manifest_bytes));
  return write_plan (plan, dest, options, out_stats, cancellable, error);
}
