/* Unit tests of writing images to oci: and oci-archive: destinations (oci-push.c): a small
 * image made here, the multi-platform index of tests/fixtures/oci-manifests/oci-layout-multi,
 * what index.json says afterwards, what is skipped the second time, and that a corrupt blob
 * leaves nothing that names the image. Registry pushes are tests/integration/image-copy.sh's. */
#include "oci/oci-push.h"
#include "oci/oci-archive.h"
#include "oci/oci.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-support.h"
#include "util/util-json.h"

#define MULTI_INDEX "sha256:a2f798327b3f25e3eff54badcb769953de235e62e3e32051d57a5e66246de4a1"
#define MULTI_AMD64 "sha256:93cbd11a4f41467a0409b975499ae711bc6f8222de38d9f1b5a4097583195ad5"
#define MULTI_386   "sha256:f6d60fd529b234d3e28837e15294d935f55da58ce57c4f9218cad38d0be82ce3"

static char *
make_tmp (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("berth-push-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_spawn_simple (&error, "rm", "-rf", dir, NULL));
}

static BerthImageRef *ref (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static BerthImageRef *
ref (const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *text = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_autoptr (GError) error = NULL;
  BerthImageRef *r = berth_image_ref_parse (text, NULL, &error);
  g_assert_no_error (error);
  return r;
}

static char *
add_blob (const char *dir, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_bytes_new (text, strlen (text));
  char *digest = berth_oci_layout_add_blob (dir, bytes, &error);
  g_assert_no_error (error);
  return digest;
}

/* A layout with one image: a config, one "layer" (any bytes do: nothing here unpacks it) and
 * its manifest, unnamed in index.json. Returns the manifest's digest; *out_layer the layer's. */
static char *
make_image (const char *dir, char **out_layer)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_oci_layout_init (dir, &error));
  g_assert_no_error (error);
  static const char config[]
    = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
      "\"diff_ids\":[\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"]}"
      "}";
  static const char layer[] = "not really a tar, but bytes with a digest";
  g_autofree char *cdigest = add_blob (dir, config);
  g_autofree char *ldigest = add_blob (dir, layer);
  g_autofree char *manifest = g_strdup_printf (
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
    "\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
    "\"digest\":\"%s\",\"size\":%zu}]}",
    cdigest, strlen (config), ldigest, strlen (layer));
  char *mdigest = add_blob (dir, manifest);
  g_assert_true (berth_oci_layout_set_ref (dir, "application/vnd.oci.image.manifest.v1+json",
                                           mdigest, (gint64)strlen (manifest), NULL, NULL, NULL,
                                           &error));
  g_assert_no_error (error);
  *out_layer = g_steal_pointer (&ldigest);
  return mdigest;
}

static json_t *
read_index (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "index.json", NULL);
  json_error_t jerr;
  json_t *index = json_load_file (path, 0, &jerr);
  g_assert_nonnull (index);
  return index;
}

static gboolean
has_blob (const char *dir, const char *digest)
{
  g_autofree char *path = berth_oci_layout_blob_path (dir, digest, NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
test_oci_small (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = make_tmp ();
  g_autofree char *src = g_build_filename (tmp, "src", NULL);
  g_autofree char *layer = NULL;
  g_autofree char *mdigest = make_image (src, &layer);
  g_autofree char *dst = g_build_filename (tmp, "dst", NULL);
  BerthSourceOptions options = { 0 };

  /* No tag: an unnamed entry, as skopeo writes it; twice is still one entry. */
  g_autoptr (BerthImageRef) untagged = ref ("oci:%s", dst);
  BerthImageWriteStats stats;
  g_assert_true (berth_image_write (src, mdigest, untagged, &options, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.blobs_written, ==, 2);
  g_assert_cmpuint (stats.blobs_skipped, ==, 0);
  g_assert_cmpuint (stats.manifests_written, ==, 1);
  g_assert_true (berth_image_write (src, mdigest, untagged, &options, &stats, NULL, &error));
  g_assert_cmpuint (stats.blobs_written, ==, 0);
  g_assert_cmpuint (stats.blobs_skipped, ==, 2);
  g_autoptr (json_t) index = read_index (dst);
  json_t *entries = json_object_get (index, "manifests");
  g_assert_cmpuint (json_array_size (entries), ==, 1);
  g_assert_cmpstr (json_string_value (json_object_get (json_array_get (entries, 0), "digest")), ==,
                   mdigest);
  g_assert_null (json_object_get (json_array_get (entries, 0), "annotations"));

  /* A tag: the unnamed entry of the same image gives way to the named one. */
  g_autoptr (BerthImageRef) tagged = ref ("oci:%s:v1", dst);
  g_assert_true (berth_image_write (src, mdigest, tagged, &options, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (BerthResolvedImage) image
    = berth_oci_layout_resolve (dst, "v1", "linux", "amd64", NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (image->manifest_digest, ==, mdigest);
  g_clear_pointer (&index, json_decref);
  index = read_index (dst);
  g_assert_cmpuint (json_array_size (json_object_get (index, "manifests")), ==, 1);

  /* An archive, read back by berth's own reader. */
  g_autofree char *archive = g_build_filename (tmp, "image.tar", NULL);
  g_autoptr (BerthImageRef) aref = ref ("oci-archive:%s:v2", archive);
  g_assert_true (berth_image_write (src, mdigest, aref, &options, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.blobs_written, ==, 2);
  g_autofree char *meta = berth_oci_archive_extract_metadata (archive, &error);
  g_assert_no_error (error);
  g_autoptr (BerthResolvedImage) aimage
    = berth_oci_layout_resolve (meta, "v2", "linux", "amd64", NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (aimage->manifest_digest, ==, mdigest);
  berth_oci_archive_remove_metadata (meta);
  g_autoptr (GInputStream) in = berth_oci_archive_open_blob (archive, layer, &error);
  g_assert_no_error (error);
  char buf[256];
  gsize n = 0;
  g_assert_true (g_input_stream_read_all (in, buf, sizeof buf, &n, NULL, &error));
  g_autofree char *read_digest = berth_digest_bytes (buf, n);
  g_assert_cmpstr (read_digest, ==, layer);

  /* Copying an image from a source (here the archive) to a layout. */
  g_autoptr (BerthImageSource) source = berth_image_source_open (
    aref, &(BerthSourceOptions){ .architecture = "amd64" }, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *dst2 = g_build_filename (tmp, "dst2", NULL);
  g_autoptr (BerthImageRef) d2 = ref ("oci:%s:copied", dst2);
  g_assert_true (berth_image_copy (source, d2, &options, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.blobs_written, ==, 2);
  g_assert_true (has_blob (dst2, layer));
  g_assert_true (has_blob (dst2, mdigest));

  remove_tree (tmp);
}

static void
test_corrupt (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = make_tmp ();
  g_autofree char *src = g_build_filename (tmp, "src", NULL);
  g_autofree char *layer = NULL;
  g_autofree char *mdigest = make_image (src, &layer);
  /* The same size, one byte changed. */
  g_autofree char *path = berth_oci_layout_blob_path (src, layer, NULL);
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  contents[3] ^= 1;
  g_assert_true (g_file_set_contents (path, contents, (gssize)len, NULL));
  BerthSourceOptions options = { 0 };

  g_autofree char *dst = g_build_filename (tmp, "dst", NULL);
  g_autoptr (BerthImageRef) d = ref ("oci:%s:v1", dst);
  g_assert_false (berth_image_write (src, mdigest, d, &options, NULL, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
  g_assert_nonnull (strstr (error->message, layer));
  g_clear_error (&error);
  g_assert_false (has_blob (dst, layer));
  g_assert_false (has_blob (dst, mdigest));
  g_autoptr (json_t) index = read_index (dst);
  g_assert_cmpuint (json_array_size (json_object_get (index, "manifests")), ==, 0);
  /* no temporary file left either: only the config made it */
  g_autofree char *blobs = g_build_filename (dst, "blobs", "sha256", NULL);
  g_autoptr (GDir) dir = g_dir_open (blobs, 0, NULL);
  guint files = 0;
  while (g_dir_read_name (dir) != NULL)
    files++;
  g_assert_cmpuint (files, ==, 1);

  g_autofree char *archive = g_build_filename (tmp, "image.tar", NULL);
  g_autoptr (BerthImageRef) a = ref ("oci-archive:%s", archive);
  g_assert_false (berth_image_write (src, mdigest, a, &options, NULL, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
  g_clear_error (&error);
  g_assert_false (g_file_test (archive, G_FILE_TEST_EXISTS));
  g_autoptr (GDir) top = g_dir_open (tmp, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (top)) != NULL)
    g_assert_false (g_str_has_prefix (name, "image.tar"));

  /* A manifest that is not in the layout. */
  g_assert_false (berth_image_write (src,
                                     "sha256:"
                                     "0123456789abcdef0123456789abcdef"
                                     "0123456789abcdef0123456789abcdef",
                                     d, &options, NULL, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  remove_tree (tmp);
}

static void
test_multi_index (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *src = berth_test_fixture ("oci-manifests/oci-layout-multi");
  g_autofree char *tmp = make_tmp ();
  g_autofree char *dst = g_build_filename (tmp, "dst", NULL);
  g_autoptr (BerthImageRef) d = ref ("oci:%s:multi", dst);
  BerthSourceOptions options = { 0 };
  BerthImageWriteStats stats;
  /* The index and both manifests it names, each with its config and layer. */
  g_assert_true (berth_image_write (src, MULTI_INDEX, d, &options, &stats, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.manifests_written, ==, 3);
  g_assert_cmpuint (stats.blobs_written, ==, 4);
  static const struct
  {
    const char *arch, *manifest;
  } platforms[] = { { "amd64", MULTI_AMD64 }, { "386", MULTI_386 } };
  for (gsize i = 0; i < G_N_ELEMENTS (platforms); i++)
    {
      g_autoptr (BerthResolvedImage) image
        = berth_oci_layout_resolve (dst, "multi", "linux", platforms[i].arch, NULL, FALSE, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (image->manifest_digest, ==, platforms[i].manifest);
    }
  g_autoptr (json_t) index = read_index (dst);
  json_t *entry = json_array_get (json_object_get (index, "manifests"), 0);
  g_assert_cmpstr (json_string_value (json_object_get (entry, "mediaType")), ==,
                   "application/vnd.oci.image.index.v1+json");
  g_assert_cmpint (json_integer_value (json_object_get (entry, "size")), ==, 759);

  /* The same into an archive: a layout of its own, readable as one. */
  g_autofree char *archive = g_build_filename (tmp, "multi.tar", NULL);
  g_autoptr (BerthImageRef) a = ref ("oci-archive:%s", archive);
  g_assert_true (berth_image_write (src, MULTI_INDEX, a, &options, &stats, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *meta = berth_oci_archive_extract_metadata (archive, &error);
  g_assert_no_error (error);
  g_autoptr (BerthResolvedImage) image
    = berth_oci_layout_resolve (meta, NULL, "linux", "386", NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (image->manifest_digest, ==, MULTI_386);
  berth_oci_archive_remove_metadata (meta);
  remove_tree (tmp);
}

static void
test_refused (void)
{
  g_autoptr (GError) error = NULL;
  static const char *const refs[] = {
    "ostree-unverified-image:oci:/tmp/x",
    "ostree-unverified-registry:quay.io/x/y:1",
    "ostree-image-signed:docker://quay.io/x/y:1",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (refs); i++)
    {
      g_autoptr (BerthImageRef) r = ref ("%s", refs[i]);
      g_assert_false (berth_image_ref_check_writable (r, &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "ostree- prefix"));
      g_clear_error (&error);
    }
  g_autoptr (BerthImageRef) ok = ref ("docker://quay.io/x/y:1");
  g_assert_true (berth_image_ref_check_writable (ok, &error));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/oci/push/oci-small", test_oci_small);
  g_test_add_func ("/oci/push/corrupt", test_corrupt);
  g_test_add_func ("/oci/push/multi-index", test_multi_index);
  g_test_add_func ("/oci/push/refused", test_refused);
  return g_test_run ();
}
