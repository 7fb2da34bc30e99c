/* One layer blob being written: a GNU tar stream (libarchive) whose bytes are hashed for the
 * diff_id, compressed (libarchive's raw format with a gzip or zstd filter) and written into
 * the layout as a blob. See export-private.h. */
#include "export-private.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "util/util-archive.h"

struct BerthExportTar
{
  struct archive *tar;
  struct archive *filter; /* NULL: uncompressed */
  BerthDigest *diff;
  BerthOciBlobWriter *blob;
  GError *error; /* the first failure inside a callback */
  guint64 tar_bytes;
};

static la_ssize_t
blob_write_cb (struct archive *a, void *data, const void *buffer, size_t len)
{
  (void)a;
  BerthExportTar *self = data;
  if (self->error == NULL && !berth_oci_blob_writer_write (self->blob, buffer, len, &self->error))
    return -1;
  return self->error == NULL ? (la_ssize_t)len : -1;
}

static la_ssize_t
tar_write_cb (struct archive *a, void *data, const void *buffer, size_t len)
{
  (void)a;
  BerthExportTar *self = data;
  if (self->error != NULL)
    return -1;
  berth_digest_update (self->diff, buffer, len);
  self->tar_bytes += len;
  if (self->filter == NULL)
    return blob_write_cb (NULL, self, buffer, len);
  la_ssize_t n = archive_write_data (self->filter, buffer, len);
  if (n < 0 || (size_t)n != len)
    {
      if (self->error == NULL)
        berth_throw_archive (&self->error, self->filter, "compressing a layer");
      return -1;
    }
  return (la_ssize_t)len;
}

BerthExportTar *
berth_export_tar_new (const char *layout_dir, BerthCompression compression, GError **error)
{
  g_autoptr (BerthExportTar) self = g_new0 (BerthExportTar, 1);
  self->blob = berth_oci_blob_writer_new (layout_dir, error);
  if (self->blob == NULL)
    return NULL;
  self->diff = berth_digest_new ();

  if (compression != BERTH_COMPRESSION_NONE)
    {
      self->filter = archive_write_new ();
      int rc = archive_write_set_format_raw (self->filter);
      if (rc == ARCHIVE_OK)
        rc = compression == BERTH_COMPRESSION_ZSTD ? archive_write_add_filter_zstd (self->filter)
                                                   : archive_write_add_filter_gzip (self->filter);
      /* The same bytes for the same input: no timestamp in the gzip header. */
      if (rc == ARCHIVE_OK && compression == BERTH_COMPRESSION_GZIP)
        rc = archive_write_set_filter_option (self->filter, "gzip", "timestamp", NULL);
      /* No blocking: nothing but the compressed stream, no padding after it. */
      if (rc == ARCHIVE_OK)
        rc = archive_write_set_bytes_per_block (self->filter, 0);
      if (rc == ARCHIVE_OK)
        rc = archive_write_set_bytes_in_last_block (self->filter, 1);
      if (rc == ARCHIVE_OK)
        rc = archive_write_open2 (self->filter, self, NULL, blob_write_cb, NULL, NULL);
      if (rc != ARCHIVE_OK)
        {
          berth_throw_archive (error, self->filter, "setting up layer compression");
          return NULL;
        }
      struct archive_entry *entry = archive_entry_new ();
      archive_entry_set_pathname (entry, "layer.tar");
      archive_entry_set_filetype (entry, AE_IFREG);
      rc = archive_write_header (self->filter, entry);
      archive_entry_free (entry);
      if (rc != ARCHIVE_OK)
        {
          berth_throw_archive (error, self->filter, "setting up layer compression");
          return NULL;
        }
    }

  self->tar = archive_write_new ();
  int rc = archive_write_set_format_gnutar (self->tar);
  if (rc == ARCHIVE_OK)
    rc = archive_write_set_bytes_per_block (self->tar, 0);
  if (rc == ARCHIVE_OK)
    rc = archive_write_open2 (self->tar, self, NULL, tar_write_cb, NULL, NULL);
  if (rc != ARCHIVE_OK)
    {
      berth_throw_archive (error, self->tar, "setting up a layer's tar stream");
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
berth_export_tar_free (BerthExportTar *self)
{
  if (self == NULL)
    return;
  if (self->tar != NULL)
    archive_write_free (self->tar);
  if (self->filter != NULL)
    archive_write_free (self->filter);
  berth_digest_free (self->diff);
  berth_oci_blob_writer_free (self->blob);
  g_clear_error (&self->error);
  g_free (self);
}

/* The error a failed libarchive call leaves: the callback's own when it had one. */
static gboolean
tar_failed (BerthExportTar *self, const char *path, GError **error)
{
  if (self->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return berth_throw_archive (error, self->tar, path);
}

gboolean
berth_export_tar_add (BerthExportTar *self, const BerthExportEntry *e, GError **error)
{
  struct archive_entry *entry = archive_entry_new ();
  archive_entry_set_pathname (entry, e->path);
  archive_entry_set_uid (entry, e->uid);
  archive_entry_set_gid (entry, e->gid);
  /* Permission bits only: the v1 format's mode fields carry no file type. */
  archive_entry_set_perm (entry, e->mode & 07777);
  switch (e->type)
    {
    case BERTH_EXPORT_ENTRY_DIR:
      archive_entry_set_filetype (entry, AE_IFDIR);
      break;
    case BERTH_EXPORT_ENTRY_FILE:
      archive_entry_set_filetype (entry, AE_IFREG);
      archive_entry_set_size (entry, (la_int64_t)e->size);
      break;
    case BERTH_EXPORT_ENTRY_SYMLINK:
      archive_entry_set_filetype (entry, AE_IFLNK);
      archive_entry_set_symlink (entry, e->target);
      break;
    case BERTH_EXPORT_ENTRY_HARDLINK:
      archive_entry_set_filetype (entry, AE_IFREG);
      archive_entry_set_hardlink (entry, e->target);
      archive_entry_set_size (entry, 0);
      break;
    }
  int rc = archive_write_header (self->tar, entry);
  archive_entry_free (entry);
  if (rc != ARCHIVE_OK)
    return tar_failed (self, e->path, error);
  return TRUE;
}

gboolean
berth_export_tar_write (BerthExportTar *self, const char *path, const void *data, gsize len,
                        GError **error)
{
  const char *p = data;
  while (len > 0)
    {
      la_ssize_t n = archive_write_data (self->tar, p, len);
      if (n <= 0)
        return tar_failed (self, path, error);
      p += n;
      len -= (gsize)n;
    }
  return TRUE;
}

gboolean
berth_export_tar_add_bytes (BerthExportTar *self, const char *path, GBytes *bytes, GError **error)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);
  BerthExportEntry e = {
    .type = BERTH_EXPORT_ENTRY_FILE,
    .path = path,
    .mode = 0644,
    .size = len,
  };
  return berth_export_tar_add (self, &e, error)
         && berth_export_tar_write (self, path, data, len, error);
}

gboolean
berth_export_tar_finish (BerthExportTar *self, BerthExportLayer *out, GError **error)
{
  if (archive_write_close (self->tar) != ARCHIVE_OK)
    return tar_failed (self, "the end of the tar stream", error);
  if (self->filter != NULL)
    {
      if (archive_write_close (self->filter) != ARCHIVE_OK)
        {
          if (self->error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&self->error));
              return FALSE;
            }
          return berth_throw_archive (error, self->filter, "compressing a layer");
        }
    }
  if (self->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      return FALSE;
    }
  out->diff_id = berth_digest_finish (self->diff);
  out->tar_size = self->tar_bytes;
  return berth_oci_blob_writer_commit (self->blob, &out->digest, &out->size, error);
}
