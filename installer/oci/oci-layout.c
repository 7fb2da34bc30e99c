/* OCI image layouts (see oci-layout.h). */
#include "oci-layout.h"
#include "oci-digest.h"
#include "oci-private.h"

#include <fcntl.h>
#include <string.h>

#include "util/util-json.h"

void
berth_resolved_image_free (BerthResolvedImage *image)
{
  if (image == NULL)
    return;
  g_free (image->manifest_digest);
  g_clear_pointer (&image->manifest_bytes, g_bytes_unref);
  berth_manifest_free (image->manifest);
  g_clear_pointer (&image->config_bytes, g_bytes_unref);
  berth_image_config_free (image->config);
  g_free (image);
}

char *
berth_oci_layout_blob_path (const char *dir, const char *digest, GError **error)
{
  /* Validated first: the digest becomes a path component. */
  if (!berth_digest_validate (digest, error))
    return NULL;
  return g_build_filename (dir, "blobs", "sha256", digest + strlen ("sha256:"), NULL);
}

GBytes *
berth_oci_layout_read_blob (const char *dir, const BerthDescriptor *desc, gsize max, GError **error)
{
  g_autofree char *path = berth_oci_layout_blob_path (dir, desc->digest, error);
  if (path == NULL)
    return NULL;
  if (desc->size < 0 || (guint64)desc->size > max)
    {
      berth_throw (error, BERTH_ERROR_TOO_LARGE,
                   "Blob %s is %" G_GINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                   " allowed",
                   desc->digest, desc->size, max);
      return NULL;
    }
  g_autofree char *contents = NULL;
  gsize len = 0;
  if (!berth_oci_read_file (AT_FDCWD, path, max, &contents, &len, error))
    return NULL;
  g_autofree char *what = g_strdup_printf ("Blob %s", path);
  if (!berth_digest_check_bytes (contents, len, desc->digest, desc->size, what, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

/* The oci-layout file: {"imageLayoutVersion": "1.0.0"}, required by image-layout.md. */
static gboolean
check_layout_file (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "oci-layout", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;
  /* A one-line JSON document; 64 KiB is plenty. */
  if (!berth_oci_read_file (AT_FDCWD, path, 64 * 1024, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        return berth_throw (error, BERTH_ERROR_NOT_FOUND,
                            "%s is not an OCI image layout (it has no oci-layout file)", dir);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  json_error_t jerr;
  g_autoptr (json_t) root = json_loadb (contents, len, 0, &jerr);
  const char *version = json_string_value (json_object_get (root, "imageLayoutVersion"));
  if (version == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "%s has no imageLayoutVersion; it is not an OCI image layout", path);
  /* Layout versions follow semver: 1.x is what image-spec 1.x writes. */
  if (!g_str_has_prefix (version, "1."))
    {
      g_autofree char *quoted = berth_oci_quote (version, -1, 40);
      return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                          "%s: image layout version %s is not supported (1.x is)", path, quoted);
    }
  return TRUE;
}

BerthResolvedImage *
berth_oci_layout_resolve (const char *dir, const char *ref_name, const char *os,
                          const char *architecture, const char *variant, gboolean prefer_zstd,
                          GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "OCI layout %s", dir);
  if (!check_layout_file (dir, error))
    return NULL;

  g_autofree char *index_path = g_build_filename (dir, "index.json", NULL);
  g_autofree char *index_json = NULL;
  gsize index_len = 0;
  if (!berth_oci_read_file (AT_FDCWD, index_path, BERTH_OCI_LAYOUT_INDEX_MAX, &index_json,
                            &index_len, error))
    return NULL;
  g_autoptr (BerthIndex) top = berth_index_parse (index_json, index_len, NULL, error);
  if (top == NULL)
    {
      g_prefix_error (error, "index.json: ");
      return NULL;
    }
  const BerthDescriptor *found = berth_index_find_ref_name (top, ref_name, error);
  if (found == NULL)
    return NULL;

  /* Follow nested indexes down to a manifest. Each index read owns the next descriptor. */
  g_autoptr (BerthDescriptor) desc = g_new0 (BerthDescriptor, 1);
  desc->media_type = g_strdup (found->media_type);
  desc->digest = g_strdup (found->digest);
  desc->size = found->size;
  for (guint depth = 0;; depth++)
    {
      BerthManifestKind kind = berth_manifest_kind_from_media_type (desc->media_type);
      if (!berth_manifest_kind_is_index (kind))
        break;
      if (depth >= BERTH_OCI_LAYOUT_DEPTH_MAX)
        {
          berth_throw (error, BERTH_ERROR_FAILED, "indexes nest more than %d deep",
                       BERTH_OCI_LAYOUT_DEPTH_MAX);
          return NULL;
        }
      g_autoptr (GBytes) bytes
        = berth_oci_layout_read_blob (dir, desc, BERTH_OCI_MANIFEST_MAX, error);
      if (bytes == NULL)
        return NULL;
      gsize len;
      const char *data = g_bytes_get_data (bytes, &len);
      g_autoptr (BerthIndex) index = berth_index_parse (data, len, desc->media_type, error);
      if (index == NULL)
        {
          g_prefix_error (error, "%s: ", desc->digest);
          return NULL;
        }
      const BerthDescriptor *entry
        = berth_index_select (index, os, architecture, variant, prefer_zstd, error);
      if (entry == NULL)
        return NULL;
      g_free (desc->media_type);
      g_free (desc->digest);
      desc->media_type = g_strdup (entry->media_type);
      desc->digest = g_strdup (entry->digest);
      desc->size = entry->size;
    }

  g_autoptr (BerthResolvedImage) image = g_new0 (BerthResolvedImage, 1);
  image->manifest_bytes = berth_oci_layout_read_blob (dir, desc, BERTH_OCI_MANIFEST_MAX, error);
  if (image->manifest_bytes == NULL)
    return NULL;
  gsize len;
  const char *data = g_bytes_get_data (image->manifest_bytes, &len);
  image->manifest = berth_manifest_parse (data, len, desc->media_type, error);
  if (image->manifest == NULL)
    {
      g_prefix_error (error, "%s: ", desc->digest);
      return NULL;
    }
  image->manifest_digest = g_strdup (desc->digest);

  image->config_bytes
    = berth_oci_layout_read_blob (dir, image->manifest->config, BERTH_OCI_CONFIG_MAX, error);
  if (image->config_bytes == NULL)
    return NULL;
  data = g_bytes_get_data (image->config_bytes, &len);
  image->config = berth_image_config_parse (data, len, error);
  if (image->config == NULL)
    {
      g_prefix_error (error, "%s: ", image->manifest->config->digest);
      return NULL;
    }
  return g_steal_pointer (&image);
}

/* ---- writing ------------------------------------------------------------------------------ */

/* @contents into @dir/@name through a temporary file, fsynced, then renamed over it. */
static gboolean
replace_file (const char *dir, const char *name, const void *contents, gsize len, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *tmp = g_strdup_printf ("%s.tmp-XXXXXX", path);
  berth_autofd fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return berth_throw_errno (error, tmp);
  const char *p = contents;
  gsize left = len;
  while (left > 0)
    {
      ssize_t n = write (fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          berth_throw_errno (error, tmp);
          (void)unlink (tmp);
          return FALSE;
        }
      p += n;
      left -= (gsize)n;
    }
  if (fsync (fd) < 0 || rename (tmp, path) < 0)
    {
      berth_throw_errno (error, path);
      (void)unlink (tmp);
      return FALSE;
    }
  return TRUE;
}

gboolean
berth_oci_layout_init (const char *dir, GError **error)
{
  g_autofree char *layout_file = g_build_filename (dir, "oci-layout", NULL);
  if (g_file_test (layout_file, G_FILE_TEST_EXISTS))
    return check_layout_file (dir, error);
  g_autofree char *blobs = g_build_filename (dir, "blobs", "sha256", NULL);
  if (g_mkdir_with_parents (blobs, 0755) < 0)
    return berth_throw_errno (error, blobs);
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  static const char index[] = "{\"schemaVersion\":2,\"mediaType\":"
                              "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";
  g_autofree char *index_path = g_build_filename (dir, "index.json", NULL);
  if (!g_file_test (index_path, G_FILE_TEST_EXISTS)
      && !replace_file (dir, "index.json", index, strlen (index), error))
    return FALSE;
  return replace_file (dir, "oci-layout", layout, strlen (layout), error);
}

struct BerthOciBlobWriter
{
  char *dir;
  char *tmp_path;
  int fd;
  BerthDigest *digest;
};

BerthOciBlobWriter *
berth_oci_blob_writer_new (const char *dir, GError **error)
{
  g_autoptr (BerthOciBlobWriter) self = g_new0 (BerthOciBlobWriter, 1);
  self->fd = -1;
  self->dir = g_strdup (dir);
  self->tmp_path = g_build_filename (dir, "blobs", "sha256", ".berth-blob-XXXXXX", NULL);
  self->fd = g_mkstemp_full (self->tmp_path, O_WRONLY | O_CLOEXEC, 0644);
  if (self->fd < 0)
    {
      berth_throw_errno (error, self->tmp_path);
      g_clear_pointer (&self->tmp_path, g_free);
      return NULL;
    }
  self->digest = berth_digest_new ();
  return g_steal_pointer (&self);
}

void
berth_oci_blob_writer_free (BerthOciBlobWriter *self)
{
  if (self == NULL)
    return;
  berth_close_fdp (&self->fd);
  if (self->tmp_path != NULL)
    (void)unlink (self->tmp_path);
  g_free (self->tmp_path);
  g_free (self->dir);
  berth_digest_free (self->digest);
  g_free (self);
}

gboolean
berth_oci_blob_writer_write (BerthOciBlobWriter *self, const void *data, gsize len, GError **error)
{
  g_return_val_if_fail (self->fd >= 0, FALSE);
  berth_digest_update (self->digest, data, len);
  const char *p = data;
  while (len > 0)
    {
      ssize_t n = write (self->fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_throw_errno (error, self->tmp_path);
      p += n;
      len -= (gsize)n;
    }
  return TRUE;
}

gboolean
berth_oci_blob_writer_commit (BerthOciBlobWriter *self, char **out_digest, gint64 *out_size,
                              GError **error)
{
  g_return_val_if_fail (self->fd >= 0, FALSE);
  if (fsync (self->fd) < 0)
    return berth_throw_errno (error, self->tmp_path);
  berth_close_fdp (&self->fd);
  g_autofree char *digest = berth_digest_finish (self->digest);
  g_autofree char *path = berth_oci_layout_blob_path (self->dir, digest, error);
  if (path == NULL)
    return FALSE;
  if (rename (self->tmp_path, path) < 0)
    return berth_throw_errno (error, path);
  g_clear_pointer (&self->tmp_path, g_free);
  if (out_size != NULL)
    *out_size = (gint64)berth_digest_get_size (self->digest);
  if (out_digest != NULL)
    *out_digest = g_steal_pointer (&digest);
  return TRUE;
}

char *
berth_oci_layout_add_blob (const char *dir, GBytes *bytes, GError **error)
{
  g_autoptr (BerthOciBlobWriter) writer = berth_oci_blob_writer_new (dir, error);
  if (writer == NULL)
    return NULL;
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);
  char *digest = NULL;
  if (!berth_oci_blob_writer_write (writer, data, len, error)
      || !berth_oci_blob_writer_commit (writer, &digest, NULL, error))
    return NULL;
  return digest;
}

gboolean
berth_oci_layout_set_ref (const char *dir, const char *media_type, const char *digest, gint64 size,
                          const char *ref_name, const char *os, const char *architecture,
                          GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "OCI layout %s", dir);
  g_autofree char *index_path = g_build_filename (dir, "index.json", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  if (!berth_oci_read_file (AT_FDCWD, index_path, BERTH_OCI_LAYOUT_INDEX_MAX, &contents, &len,
                            error))
    return FALSE;
  json_error_t jerr;
  g_autoptr (json_t) index = json_loadb (contents, len, 0, &jerr);
  if (index == NULL)
    return berth_throw_json (error, &jerr, "index.json");
  json_t *old = json_object_get (index, "manifests");
  if (!json_is_array (old))
    return berth_throw (error, BERTH_ERROR_FAILED, "index.json has no manifests array");

  /* Every other entry stays, in its order; one with the same name gives way, and so does an
   * unnamed one for the same digest (containers/image's oci: writer does both: writing the
   * same image twice does not list it twice). */
  g_autoptr (json_t) manifests = json_array ();
  size_t i;
  json_t *entry;
  json_array_foreach (old, i, entry)
  {
    const char *name = json_string_value (
      json_object_get (json_object_get (entry, "annotations"), BERTH_OCI_ANNOTATION_REF_NAME));
    if (ref_name != NULL && g_strcmp0 (name, ref_name) == 0)
      continue;
    if (name == NULL
        && g_strcmp0 (json_string_value (json_object_get (entry, "digest")), digest) == 0)
      continue;
    json_array_append (manifests, entry);
  }
  json_t *desc = json_pack ("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
                            (json_int_t)size);
  if (os != NULL && architecture != NULL)
    json_object_set_new (desc, "platform",
                         json_pack ("{s:s, s:s}", "architecture", architecture, "os", os));
  if (ref_name != NULL)
    json_object_set_new (desc, "annotations",
                         json_pack ("{s:s}", BERTH_OCI_ANNOTATION_REF_NAME, ref_name));
  json_array_append_new (manifests, desc);
  json_object_set (index, "manifests", manifests);

  g_autofree char *text = json_dumps (index, JSON_COMPACT);
  return replace_file (dir, "index.json", text, strlen (text), error);
}
