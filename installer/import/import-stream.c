/* A layer blob as libarchive's input: the prefetch thread (network, digest, gzip) feeding a
 * tar reader, and the errors of both told apart. Shared by the tar and ostree-object
 * readers. */
#include "import-private.h"

static la_ssize_t
blob_read_cb (struct archive *a, void *data, const void **out_buf)
{
  BerthLayerArchive *la = data;
  g_autoptr (GError) local_error = NULL;
  gssize n = berth_prefetch_read (la->prefetch, out_buf, &local_error);
  if (n < 0)
    {
      archive_set_error (a, EIO, "%s", local_error->message);
      if (la->read_error == NULL)
        la->read_error = g_steal_pointer (&local_error);
      return -1;
    }
  return n;
}

static const char *
filter_name (int code)
{
  switch (code)
    {
    case ARCHIVE_FILTER_NONE:
      return "none";
    case ARCHIVE_FILTER_GZIP:
      return "gzip";
    case ARCHIVE_FILTER_ZSTD:
      return "zstd";
    default:
      return "unknown";
    }
}

/* What the media type claims, or NULL when it says nothing about compression.
 * OCI: application/vnd.oci.image.layer[.nondistributable].v1.tar[+gzip|+zstd];
 * Docker: application/vnd.docker.image.rootfs[.foreign].diff.tar.gzip. */
static const char *
media_type_compression (const char *media_type)
{
  if (media_type == NULL || *media_type == '\0')
    return NULL;
  if (g_str_has_suffix (media_type, "+gzip") || g_str_has_suffix (media_type, ".gzip"))
    return "gzip";
  if (g_str_has_suffix (media_type, "+zstd"))
    return "zstd";
  if (g_str_has_suffix (media_type, ".tar"))
    return "none";
  return NULL;
}

gboolean
berth_layer_archive_open (BerthLayerArchive *la, const BerthImportLayerDesc *desc,
                          GInputStream *blob, GCancellable *cancellable, GError **error)
{
  la->archive = archive_read_new ();
  /* Built-in decoders only: ARCHIVE_WARN would mean libarchive runs an external program. */
  if (archive_read_support_filter_gzip (la->archive) != ARCHIVE_OK
      || archive_read_support_filter_zstd (la->archive) != ARCHIVE_OK
      || archive_read_support_filter_none (la->archive) != ARCHIVE_OK
      || archive_read_support_format_tar (la->archive) != ARCHIVE_OK
      || archive_read_support_format_empty (la->archive) != ARCHIVE_OK)
    return berth_throw_archive (error, la->archive, "Setting up libarchive");
  la->prefetch = berth_prefetch_start (blob, cancellable);
  if (archive_read_open (la->archive, la, NULL, blob_read_cb, NULL) != ARCHIVE_OK)
    return berth_layer_archive_throw (la, "Reading the blob", error);

  const char *compression = berth_prefetch_get_compression (la->prefetch);
  if (compression == NULL)
    compression = filter_name (archive_filter_code (la->archive, 0));
  const char *claimed = media_type_compression (desc->media_type);
  if (claimed != NULL && !g_str_equal (claimed, compression))
    g_debug ("Layer %s: media type %s but the bytes are %s; going by the bytes", desc->digest,
             desc->media_type, compression);
  la->compression = compression;
  return TRUE;
}

int
berth_layer_archive_next (BerthLayerArchive *la, struct archive_entry **out_entry,
                          const char *digest, GError **error)
{
  int rc = archive_read_next_header (la->archive, out_entry);
  if (rc == ARCHIVE_EOF)
    return 0;
  if (rc == ARCHIVE_WARN)
    g_debug ("Layer %s: %s", digest, archive_error_string (la->archive));
  else if (rc != ARCHIVE_OK)
    {
      berth_layer_archive_throw (la, "Reading a tar header (gzip, zstd or plain tar expected)",
                                 error);
      return -1;
    }
  return 1;
}

gboolean
berth_layer_archive_drain (BerthLayerArchive *la, guint64 *out_blob_bytes, GError **error)
{
  while (TRUE)
    {
      const void *buf;
      gssize n = berth_prefetch_read (la->prefetch, &buf, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          if (out_blob_bytes != NULL)
            *out_blob_bytes = berth_prefetch_get_blob_bytes (la->prefetch);
          return TRUE;
        }
    }
}

gboolean
berth_layer_archive_throw (BerthLayerArchive *la, const char *what, GError **error)
{
  if (la->read_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&la->read_error));
      return FALSE;
    }
  /* Undecodable data is most often a corrupted blob: read the rest so the stream can say so
   * (a digest mismatch names the blob and both digests), and report that instead. */
  g_autoptr (GError) stream_error = NULL;
  if (!berth_layer_archive_drain (la, NULL, &stream_error)
      && g_error_matches (stream_error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH))
    {
      g_propagate_error (error, g_steal_pointer (&stream_error));
      return FALSE;
    }
  return berth_throw_archive (error, la->archive, what);
}

gboolean
berth_layer_archive_read_exactly (BerthLayerArchive *la, guint8 *buf, gsize size, const char *path,
                                  GError **error)
{
  gsize done = 0;
  while (done < size)
    {
      la_ssize_t n = archive_read_data (la->archive, buf + done, size - done);
      if (n < 0)
        return berth_layer_archive_throw (la, "Reading file data", error);
      if (n == 0)
        return berth_import_broken_path (error, path, "the tar ends inside the file's data");
      done += n;
    }
  return TRUE;
}

void
berth_layer_archive_clear (BerthLayerArchive *la)
{
  g_clear_error (&la->read_error);
  g_clear_pointer (&la->prefetch, berth_prefetch_free);
  g_clear_pointer (&la->archive, archive_read_free);
}
