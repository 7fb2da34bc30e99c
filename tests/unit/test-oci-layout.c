/* Unit tests of OCI image layouts: the two layouts in tests/fixtures/oci-manifests/, resolved
 * through index.json to the manifest and config blobs, and damaged copies of them. */
#include "oci/oci.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-support.h"

static BerthResolvedImage *
resolve (const char *layout, const char *name, const char *arch, GError **error)
{
  g_autofree char *rel = g_build_filename ("oci-manifests", layout, NULL);
  g_autofree char *dir = berth_test_fixture (rel);
  return berth_oci_layout_resolve (dir, name, "linux", arch, NULL, FALSE, error);
}

static const BerthDescriptor *
layer (const BerthResolvedImage *image, guint i)
{
  return image->manifest->layers->pdata[i];
}

static void
test_multi (void)
{
  /* info.txt's tree: tag -> (index ->) manifest -> config, layer. */
  static const struct
  {
    const char *tag, *arch;
    const char *manifest, *config, *layer;
  } cases[] = {
    { "latest", "amd64", "93cbd11a4f41467a0409b975499ae711bc6f8222de38d9f1b5a4097583195ad5",
      "913cf3a39d377faf89ed388ad913a318a390488c9f34c46e43424795cdabffe8",
      "557ac7d133b7770216a8101268640edf4e88beab1b4e1e1bfc9b1891a1cab861" },
    { "latest", "386", "f6d60fd529b234d3e28837e15294d935f55da58ce57c4f9218cad38d0be82ce3",
      "aab808b283c3f654d84358a40ce8766ecd552249305141de88f0ca61f3d1368f",
      "e19729d5a968c71b4b691d60f4a6f85f93c303bb88635dcfef36e23b76cb7b3a" },
    { "3.18.3", "amd64", "93cbd11a4f41467a0409b975499ae711bc6f8222de38d9f1b5a4097583195ad5",
      "913cf3a39d377faf89ed388ad913a318a390488c9f34c46e43424795cdabffe8",
      "557ac7d133b7770216a8101268640edf4e88beab1b4e1e1bfc9b1891a1cab861" },
    { "3", "amd64", "93cbd11a4f41467a0409b975499ae711bc6f8222de38d9f1b5a4097583195ad5",
      "913cf3a39d377faf89ed388ad913a318a390488c9f34c46e43424795cdabffe8",
      "557ac7d133b7770216a8101268640edf4e88beab1b4e1e1bfc9b1891a1cab861" },
    /* A manifest that is not an index: the platform does not matter. */
    { "3.18", "s390x", "93cbd11a4f41467a0409b975499ae711bc6f8222de38d9f1b5a4097583195ad5",
      "913cf3a39d377faf89ed388ad913a318a390488c9f34c46e43424795cdabffe8",
      "557ac7d133b7770216a8101268640edf4e88beab1b4e1e1bfc9b1891a1cab861" },
    { "3.17.5", "amd64", "5b2aba4d3c27bc6493633d0ec446b25c8d0a5c9cfe99894bcdff0aee80813805",
      "df11bc189adeb50dadb3291a3a7f2c34b36e0efdba0df70f2c8a2d761b215cde",
      "986315a0e599fac2b80eb31db2124dab8d3de04d7ca98b254999bd913c1f73fe" },
    { "3.16.7", "amd64", "39c524417bb4228f9fcb0aef43a680b5fd6b9f3a1df2fd50509d047e47dad8be",
      "f732172ad8d2a666550fa3ec37a5153d59acc95744562ae64cf62ded46de101a",
      "02ea786cb1ff44d997661886a4186cbd8a1dc466938712bf7281379209476022" },
    { "3.16.7", "386", "be6036f9b6a4e120a04868c47f1b8674f58b2fe5e410cba9f585a13ca8946cf0",
      "7ffdfe7d276286b39a203dcc247949cf47c91d2d5e10a53a675c0962ed9e4402",
      "e2f7e0374fd6a03d9c373f4d9a0c7802045cc3ddcc1433e89d83b81fa7007242" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthResolvedImage) image
        = resolve ("oci-layout-multi", cases[i].tag, cases[i].arch, &error);
      if (image == NULL)
        g_error ("%s %s: %s", cases[i].tag, cases[i].arch, error->message);
      g_assert_cmpstr (image->manifest_digest + 7, ==, cases[i].manifest);
      g_assert_cmpstr (image->manifest->config->digest + 7, ==, cases[i].config);
      g_assert_cmpuint (image->manifest->layers->len, ==, 1);
      g_assert_cmpstr (layer (image, 0)->digest + 7, ==, cases[i].layer);
      g_assert_cmpint (layer (image, 0)->compression, ==, BERTH_COMPRESSION_GZIP);
      /* The bytes kept are the bytes digested. */
      g_autofree char *d = berth_digest_bytes (g_bytes_get_data (image->manifest_bytes, NULL),
                                               g_bytes_get_size (image->manifest_bytes));
      g_assert_cmpstr (d, ==, image->manifest_digest);
      g_assert_cmpint (g_bytes_get_size (image->config_bytes), ==, image->manifest->config->size);
      g_assert_cmpstr (image->config->os, ==, "linux");
      g_assert_cmpstr (image->config->architecture, ==,
                       g_str_equal (cases[i].manifest, cases[1].manifest)
                           || g_str_equal (cases[i].manifest, cases[7].manifest)
                         ? "386"
                         : "amd64");
      g_assert_cmpuint (g_strv_length (image->config->diff_ids), ==, 1);
      g_assert_true (berth_image_check_diff_ids (image->manifest, image->config, &error));
      g_assert_false (berth_image_config_is_bootable (image->config));
      /* The layer blob is where the layout code says, with the size the manifest says. */
      g_autofree char *rel = g_build_filename ("oci-manifests/oci-layout-multi", NULL);
      g_autofree char *dir = berth_test_fixture (rel);
      g_autofree char *path = berth_oci_layout_blob_path (dir, layer (image, 0)->digest, &error);
      GStatBuf st;
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint (st.st_size, ==, layer (image, 0)->size);
    }
}

static void
test_multi_errors (void)
{
  g_autoptr (GError) error = NULL;
  /* Tag 1.0.0's manifest (0dc27f36...) says its config is 585 bytes; the config blob
   * (913cf3a3..., also tag 3's) is 584. The blob's digest matches its name, its size does
   * not match the descriptor: refused like a digest mismatch. */
  g_assert_null (resolve ("oci-layout-multi", "1.0.0", "amd64", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
  g_assert_nonnull (strstr (error->message, "expected 585 bytes, got 584"));
  g_assert_nonnull (strstr (error->message, "913cf3a39d377faf89ed388ad913a318a390488c9f34c4"));
  g_clear_error (&error);

  /* Seven names: the layout has no single image. */
  g_assert_null (resolve ("oci-layout-multi", NULL, "amd64", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "name one (oci:DIR:NAME)"));
  g_clear_error (&error);

  g_assert_null (resolve ("oci-layout-multi", "4.0", "amd64", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "\"3.16.7\""));
  g_clear_error (&error);

  /* No arm64 image under latest. */
  g_assert_null (resolve ("oci-layout-multi", "latest", "arm64", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "\"linux/amd64\", \"linux/386\""));
}

static void
test_bootc_preflight (void)
{
  g_autoptr (GError) error = NULL;
  /* One unnamed image: found without a name. */
  g_autoptr (BerthResolvedImage) image
    = resolve ("oci-layout-bootc-preflight-amd64", NULL, "amd64", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (image->manifest_digest, ==,
                   "sha256:216035147834f811bf7d7511b0ac736ce755c3265397704016a7687e4251aecd");
  g_assert_cmpstr (image->manifest->config->digest, ==,
                   "sha256:730c3ff1bb31bb4c4716825916c35a5cba9648ba78de6c7a0e249c8b6625b291");
  g_assert_cmpuint (g_bytes_get_size (image->manifest_bytes), ==, 413);
  g_assert_cmpuint (g_bytes_get_size (image->config_bytes), ==, 163);
  g_assert_true (berth_image_config_is_bootable (image->config));
  g_assert_cmpstr (berth_image_config_get_label (image->config, "containers.bootc"), ==, "1");
  g_assert_false (berth_image_config_has_ostree_commit (image->config));
  /* The 999,999,999,999,999-byte layer parses: the disk plan, not the parser, says it does
   * not fit (bootc fails "Insufficient free space" before fetching anything). */
  g_assert_cmpint (layer (image, 0)->size, ==, G_GINT64_CONSTANT (999999999999999));
  g_assert_cmpint (berth_manifest_get_layers_size (image->manifest), ==,
                   G_GINT64_CONSTANT (999999999999999));
  g_assert_cmpstr (layer (image, 0)->digest, ==,
                   "sha256:0000000000000000000000000000000000000000000000000000000000000000");
  /* Its blob is absent. */
  g_autofree char *dir = berth_test_fixture ("oci-manifests/oci-layout-bootc-preflight-amd64");
  g_autofree char *path = berth_oci_layout_blob_path (dir, layer (image, 0)->digest, &error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* The config has one history entry but no diff_ids: the check says so. */
  g_assert_false (berth_image_check_diff_ids (image->manifest, image->config, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_true (berth_image_config_check_platform (image->config, "linux", "amd64", NULL, &error));
  /* Reading that layer as a blob is refused before any read: past the config cap. */
  g_assert_null (berth_oci_layout_read_blob (dir, layer (image, 0), BERTH_OCI_CONFIG_MAX, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_TOO_LARGE);
}

/* A copy of a fixture layout in a temp dir, to damage. */
static char *
copy_layout (const char *layout)
{
  g_autoptr (GError) error = NULL;
  char *tmp = g_dir_make_tmp ("berth-layout-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *rel = g_build_filename ("oci-manifests", layout, NULL);
  g_autofree char *src = berth_test_fixture (rel);
  const char *argv[] = { "cp", "-a", src, tmp, NULL };
  g_assert_true (berth_spawn_sync (argv, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *dst = g_build_filename (tmp, layout, NULL);
  g_free (tmp);
  return g_steal_pointer (&dst);
}

static void
remove_tree (const char *path)
{
  g_autofree char *parent = g_path_get_dirname (path);
  const char *argv[] = { "rm", "-rf", parent, NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_spawn_sync (argv, NULL, NULL, NULL, &error));
}

static void
test_damaged (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = copy_layout ("oci-layout-multi");

  /* A blob whose content changed: digest mismatch, before any parsing. */
  g_autofree char *manifest = g_build_filename (
    dir, "blobs/sha256/93cbd11a4f41467a0409b975499ae711bc6f8222de38d9f1b5a4097583195ad5", NULL);
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (manifest, &contents, &len, &error));
  contents[len - 2] ^= 1;
  g_assert_true (g_file_set_contents (manifest, contents, len, &error));
  g_autoptr (BerthResolvedImage) image
    = berth_oci_layout_resolve (dir, "3", "linux", "amd64", NULL, FALSE, &error);
  g_assert_null (image);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
  g_assert_true (g_str_has_prefix (error->message, "OCI layout "));
  g_clear_error (&error);

  /* A missing blob. */
  g_assert_cmpint (g_unlink (manifest), ==, 0);
  g_assert_null (berth_oci_layout_resolve (dir, "3", "linux", "amd64", NULL, FALSE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A broken index.json. */
  g_autofree char *index = g_build_filename (dir, "index.json", NULL);
  g_assert_true (
    g_file_set_contents (index, "{\"schemaVersion\": 2, \"manifests\": [}", -1, &error));
  g_assert_null (berth_oci_layout_resolve (dir, "3", "linux", "amd64", NULL, FALSE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "index.json: Index is not valid JSON"));
  g_clear_error (&error);

  /* No oci-layout file: not a layout at all. */
  g_autofree char *marker = g_build_filename (dir, "oci-layout", NULL);
  g_assert_cmpint (g_unlink (marker), ==, 0);
  g_assert_null (berth_oci_layout_resolve (dir, "3", "linux", "amd64", NULL, FALSE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "is not an OCI image layout"));
  g_clear_error (&error);

  /* A future layout version. */
  g_assert_true (g_file_set_contents (marker, "{\"imageLayoutVersion\": \"2.0.0\"}", -1, &error));
  g_assert_null (berth_oci_layout_resolve (dir, "3", "linux", "amd64", NULL, FALSE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_clear_error (&error);
  remove_tree (dir);

  /* Indexes nested deeper than any real layout: the depth limit ends the walk. Each level's
   * only entry has no platform, so selection takes it as the fallback. */
  g_autofree char *loop = copy_layout ("oci-layout-bootc-preflight-amd64");
  g_autofree char *inner = g_strdup ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci."
                                     "image.index.v1+json\",\"manifests\":[]}");
  for (int level = 0; level < 10; level++)
    {
      g_autofree char *digest = berth_digest_bytes (inner, strlen (inner));
      g_autofree char *blob = berth_oci_layout_blob_path (loop, digest, &error);
      g_assert_true (g_file_set_contents (blob, inner, -1, &error));
      g_autofree char *outer = g_strdup_printf (
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.index."
        "v1+json\",\"digest\":\"%s\",\"size\":%zu}]}",
        digest, strlen (inner));
      g_free (inner);
      inner = g_steal_pointer (&outer);
    }
  g_autofree char *loop_index = g_build_filename (loop, "index.json", NULL);
  g_assert_true (g_file_set_contents (loop_index, inner, -1, &error));
  g_assert_null (berth_oci_layout_resolve (loop, NULL, "linux", "amd64", NULL, FALSE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "indexes nest more than 8 deep"));
  g_clear_error (&error);
  remove_tree (loop);

  /* Blob paths never leave the layout. */
  g_assert_null (berth_oci_layout_blob_path ("/x", "sha256:../../../etc/shadow", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_null (berth_oci_layout_blob_path ("/x", "sha512:abc", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/oci/layout/multi", test_multi);
  g_test_add_func ("/oci/layout/multi-errors", test_multi_errors);
  g_test_add_func ("/oci/layout/bootc-preflight", test_bootc_preflight);
  g_test_add_func ("/oci/layout/damaged", test_damaged);
  return g_test_run ();
}
