/* Unit tests of digests, manifests, indexes, configs and OCI layouts, over every file of
 * tests/fixtures/oci-manifests/. */
#include "oci/oci.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-support.h"

#define OK -1 /* expected code: success */

static GBytes *
fixture_bytes (const char *relpath)
{
  gsize len;
  char *data = berth_test_fixture_contents (relpath, &len);
  return g_bytes_new_take (data, len);
}

/* ---- digests ------------------------------------------------------------------------------- */

static void
test_digest_known (void)
{
  /* FIPS 180-2 B.1 and the empty string. */
  g_autofree char *abc = berth_digest_bytes ("abc", 3);
  g_assert_cmpstr (abc, ==,
                   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_autofree char *empty = berth_digest_bytes ("", 0);
  g_assert_cmpstr (empty, ==,
                   "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  /* Streaming in any chunking gives the one-shot answer (a 1 MiB pattern). */
  gsize n = 1024 * 1024 + 7;
  g_autofree guchar *buf = g_malloc (n);
  for (gsize i = 0; i < n; i++)
    buf[i] = (guchar)(i * 31 + i / 977);
  g_autofree char *whole = berth_digest_bytes (buf, n);
  const gsize chunks[] = { 1, 63, 64, 65, 4096, 65536, n };
  for (gsize c = 0; c < G_N_ELEMENTS (chunks); c++)
    {
      g_autoptr (BerthDigest) d = berth_digest_new ();
      for (gsize off = 0; off < n; off += chunks[c])
        berth_digest_update (d, buf + off, MIN (chunks[c], n - off));
      g_assert_cmpuint (berth_digest_get_size (d), ==, n);
      g_autofree char *streamed = berth_digest_finish (d);
      g_assert_cmpstr (streamed, ==, whole);
      /* finish is idempotent */
      g_autofree char *again = berth_digest_finish (d);
      g_assert_cmpstr (again, ==, whole);
    }

  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDigest) ok = berth_digest_new ();
  berth_digest_update (ok, "abc", 3);
  g_assert_true (berth_digest_verify (ok, abc, 3, "Blob", &error));
  g_assert_no_error (error);

  g_autoptr (BerthDigest) bad = berth_digest_new ();
  berth_digest_update (bad, "abd", 3);
  g_assert_false (berth_digest_verify (bad, abc, -1, "Blob x", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
  g_assert_cmpstr (
    error->message, ==,
    "Blob x: expected digest "
    "\"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\", got "
    "sha256:a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9");
  g_clear_error (&error);

  g_assert_false (berth_digest_check_bytes ("abc", 3, abc, 4, "Config", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
  g_assert_cmpstr (error->message, ==, "Config: expected 4 bytes, got 3");
}

static void
test_digest_validate (void)
{
  static const struct
  {
    const char *digest;
    int code;
  } cases[] = {
    { "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270", OK },
    { "sha256:5B0BCABD1ED22E9FB1310CF6C2DEC7CDEF19F0AD69EFA1F392E94A4333501270",
      BERTH_ERROR_FAILED },
    { "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a433350127",
      BERTH_ERROR_FAILED },
    { "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a43335012700",
      BERTH_ERROR_FAILED },
    { "SHA256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270",
      BERTH_ERROR_FAILED },
    { ":5b0b", BERTH_ERROR_FAILED },
    { "sha256", BERTH_ERROR_FAILED },
    { "", BERTH_ERROR_FAILED },
    { "sha256+foo+-b:abc", BERTH_ERROR_FAILED },
    { "sha512:"
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678"
      "9abcdef0123456789abcdef0123456789abcdef",
      BERTH_ERROR_UNSUPPORTED_IMAGE },
    { "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", BERTH_ERROR_UNSUPPORTED_IMAGE },
    { "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
      BERTH_ERROR_UNSUPPORTED_IMAGE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      gboolean ok = berth_digest_validate (cases[i].digest, &error);
      g_assert_cmpint (ok, ==, cases[i].code == OK);
      g_assert_cmpint (berth_digest_is_valid (cases[i].digest), ==, cases[i].code == OK);
      if (cases[i].code != OK)
        g_assert_error (error, BERTH_ERROR, cases[i].code);
    }
}

/* Every content-addressed fixture file: its name is the sha256 of its bytes. */
static void
test_digest_fixture_files (void)
{
  g_autoptr (GError) error = NULL;
  /* image-spec-dockerhub: the file name carries the first 12 hex digits (verified upstream). */
  static const struct
  {
    const char *file;
    const char *digest;
  } named[] = {
    { "oci-manifests/image-spec-dockerhub/config-a059ea7356d5.json",
      "sha256:a059ea7356d5b5a9e0f6352bfa463e7bd4721c2ade3ef168603826e0de6fe54b" },
    { "oci-manifests/image-spec-dockerhub/config-a20665eb1fe2.json",
      "sha256:a20665eb1fe2912accb3d5dadaed360430df0d1aa46874875886947d61d3d4ee" },
    { "oci-manifests/image-spec-dockerhub/imageIndex-4ffd0883f256.json",
      "sha256:4ffd0883f25635999f04ea543240a27c9a4341979ff7d46a9774f71512eebb1f" },
    { "oci-manifests/image-spec-dockerhub/manifest-888206c77cd2.json",
      "sha256:888206c77cd2811ec47e752ba291e5b7734e3ef137dfd222daadaca39a9f17bc" },
    /* containers/image's known digest for v2s2.manifest.json */
    { "oci-manifests/containers-image/v2s2.manifest.json",
      "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55" },
    /* schema 1: containers/image's digest is over the JWS payload. Unsigned, that is the
     * file; signed, it is not. */
    { "oci-manifests/containers-image/v2s1-unsigned.manifest.json",
      "sha256:7364fea9d84ee548ab67d4c46c6006289800c98de3fbf8c0a97138dfcc23f000" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (named); i++)
    {
      g_autoptr (GBytes) b = fixture_bytes (named[i].file);
      g_autofree char *d = berth_digest_bytes (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
      g_assert_cmpstr (d, ==, named[i].digest);
      /* image-spec-dockerhub's names carry the digest's first 12 hex digits. */
      g_autofree char *base = g_path_get_basename (named[i].file);
      g_autofree char *prefix12 = g_strndup (d + 7, 12);
      if (g_str_has_prefix (named[i].file, "oci-manifests/image-spec-dockerhub/"))
        g_assert_nonnull (strstr (base, prefix12));
    }
  g_autoptr (GBytes) signed_s1
    = fixture_bytes ("oci-manifests/containers-image/v2s1.manifest.json");
  g_autofree char *signed_digest
    = berth_digest_bytes (g_bytes_get_data (signed_s1, NULL), g_bytes_get_size (signed_s1));
  g_assert_cmpstr (signed_digest, !=,
                   "sha256:7364fea9d84ee548ab67d4c46c6006289800c98de3fbf8c0a97138dfcc23f000");

  /* The two layouts: every blob file, streamed in 4 KiB reads. */
  const char *layouts[]
    = { "oci-manifests/oci-layout-multi", "oci-manifests/oci-layout-bootc-preflight-amd64" };
  const guint expect_blobs[] = { 19, 2 };
  for (gsize l = 0; l < G_N_ELEMENTS (layouts); l++)
    {
      g_autofree char *dir = berth_test_fixture (layouts[l]);
      g_autofree char *blobs = g_build_filename (dir, "blobs", "sha256", NULL);
      g_autoptr (GDir) d = g_dir_open (blobs, 0, &error);
      g_assert_no_error (error);
      guint count = 0;
      const char *name;
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (blobs, name, NULL);
          g_autofree char *data = NULL;
          gsize len;
          g_assert_true (g_file_get_contents (path, &data, &len, &error));
          g_autoptr (BerthDigest) dg = berth_digest_new ();
          for (gsize off = 0; off < len; off += 4096)
            berth_digest_update (dg, data + off, MIN (4096, len - off));
          g_autofree char *expected = g_strconcat ("sha256:", name, NULL);
          g_assert_true (berth_digest_verify (dg, expected, len, path, &error));
          g_assert_no_error (error);
          /* and the layout code finds it under that name */
          g_autofree char *p = berth_oci_layout_blob_path (dir, expected, &error);
          g_assert_cmpstr (p, ==, path);
          count++;
        }
      g_assert_cmpuint (count, ==, expect_blobs[l]);
    }
}

/* ---- every manifest fixture -------------------------------------------------------------------
 */

typedef enum
{
  AS_MANIFEST,   /* berth_manifest_parse */
  AS_INDEX,      /* berth_index_parse */
  AS_CONFIG,     /* berth_image_config_parse */
  AS_DESCRIPTOR, /* berth_descriptor_parse */
  AS_NOTHING,    /* not a manifest, index or config: detection must refuse it */
} ParseAs;

static const struct
{
  const char *file;
  ParseAs as;
  int kind; /* berth_manifest_detect_kind's answer, or -1 when it must fail */
  int code; /* OK, or the error code of parsing */
  const char *message_part;
} fixtures[] = {
  /* containers-image/ */
  { "containers-image/image-oci1-all-media-types.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE,
    "Layer 4 is a foreign (non-distributable) layer" },
  { "containers-image/image-oci1-config-extra-fields.json", AS_CONFIG, -1, OK, NULL },
  { "containers-image/image-oci1-config.json", AS_CONFIG, -1, OK, NULL },
  { "containers-image/image-schema2-all-media-types.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_DOCKER_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE,
    "Layer 3 is a foreign (non-distributable) layer" },
  { "containers-image/image-schema2-config.json", AS_CONFIG, -1, OK, NULL },
  { "containers-image/non-json.manifest.json", AS_MANIFEST, -1, BERTH_ERROR_FAILED,
    "is not valid JSON" },
  { "containers-image/oci-layout-name-lookups-index.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX,
    OK, NULL },
  /* Its entries' "data" fields do not match their (illustrative) digests: image-spec says the
   * decoded data MUST match, so the index is refused. */
  { "containers-image/oci1.index.everything.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX,
    BERTH_ERROR_DIGEST_MISMATCH, "Index entry 1: \"data\": expected digest" },
  { "containers-image/oci1.index.zstd-selection.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX, OK,
    NULL },
  { "containers-image/oci1.index.zstd-selection2.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX, OK,
    NULL },
  { "containers-image/oci1index.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX, OK, NULL },
  { "containers-image/ocilist-variants.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX, OK, NULL },
  { "containers-image/ociv1.artifact.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "This is an artifact, not a container image" },
  { "containers-image/ociv1.encrypted.manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "Layer 1 is encrypted" },
  { "containers-image/ociv1.everything.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "OCI artifact (artifactType \"application/our-artifact\")" },
  { "containers-image/ociv1.image.index.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX, OK, NULL },
  { "containers-image/ociv1.invalid.mediatype.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE,
    "Layer 1 has media type \"application/vnd.oci.image.layer.v1.tar+unknown\"" },
  { "containers-image/ociv1.manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST, OK,
    NULL },
  { "containers-image/ociv1.nondistributable.gzip.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE,
    "foreign (non-distributable)" },
  { "containers-image/ociv1.nondistributable.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE,
    "foreign (non-distributable)" },
  { "containers-image/ociv1.nondistributable.zstd.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE,
    "foreign (non-distributable)" },
  { "containers-image/ociv1.uncompressed.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, OK, NULL },
  { "containers-image/ociv1.zstd.manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST, OK,
    NULL },
  { "containers-image/ociv1nomime.artifact.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "This is an artifact, not a container image" },
  { "containers-image/ociv1nomime.image.index.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX, OK,
    NULL },
  { "containers-image/ociv1nomime.manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST, OK,
    NULL },
  { "containers-image/schema2-to-schema1-by-docker.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_DOCKER_SCHEMA1, BERTH_ERROR_UNSUPPORTED_IMAGE, "Docker schema 1" },
  { "containers-image/schema2list-variants.json", AS_INDEX, BERTH_MANIFEST_KIND_DOCKER_LIST, OK,
    NULL },
  { "containers-image/schema2list.json", AS_INDEX, BERTH_MANIFEST_KIND_DOCKER_LIST, OK, NULL },
  { "containers-image/unknown-version.manifest.json", AS_MANIFEST, -1,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "schemaVersion 99999" },
  { "containers-image/v2list.everything.json", AS_INDEX, BERTH_MANIFEST_KIND_DOCKER_LIST, OK,
    NULL },
  { "containers-image/v2list.manifest.json", AS_INDEX, BERTH_MANIFEST_KIND_DOCKER_LIST, OK, NULL },
  { "containers-image/v2s1-invalid-signatures.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_DOCKER_SCHEMA1, BERTH_ERROR_UNSUPPORTED_IMAGE, "Docker schema 1" },
  { "containers-image/v2s1-unsigned.manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_DOCKER_SCHEMA1,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "Docker schema 1" },
  { "containers-image/v2s1.everything.json", AS_MANIFEST, BERTH_MANIFEST_KIND_DOCKER_SCHEMA1,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "Docker schema 1" },
  { "containers-image/v2s1.manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_DOCKER_SCHEMA1,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "Docker schema 1" },
  { "containers-image/v2s2.everything.json", AS_MANIFEST, BERTH_MANIFEST_KIND_DOCKER_MANIFEST, OK,
    NULL },
  { "containers-image/v2s2.manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_DOCKER_MANIFEST, OK,
    NULL },
  { "containers-image/v2s2.nondistributable.gzip.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_DOCKER_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE,
    "foreign (non-distributable)" },
  { "containers-image/v2s2.nondistributable.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_DOCKER_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE,
    "foreign (non-distributable)" },
  { "containers-image/v2s2.uncompressed.manifest.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_DOCKER_MANIFEST, OK, NULL },
  /* nomime: detected as Docker schema 2 from its config's media type; no layers to install. */
  { "containers-image/v2s2nomime.manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_DOCKER_MANIFEST,
    BERTH_ERROR_UNSUPPORTED_IMAGE, "no layers" },

  /* image-spec-examples/ */
  { "image-spec-examples/config-00-image-json.json", AS_CONFIG, -1, OK, NULL },
  { "image-spec-examples/descriptor-00-content-descriptor.json", AS_DESCRIPTOR, -1, OK, NULL },
  { "image-spec-examples/descriptor-01-content-descriptor.json", AS_DESCRIPTOR, -1, OK, NULL },
  { "image-spec-examples/descriptor-02-content-descriptor.json", AS_DESCRIPTOR, -1, OK, NULL },
  { "image-spec-examples/image-index-00-image-index.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX,
    OK, NULL },
  { "image-spec-examples/image-index-01-image-index.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX,
    OK, NULL },
  { "image-spec-examples/image-layout-00-oci-layout.json", AS_NOTHING, -1, BERTH_ERROR_FAILED,
    "has no integer \"schemaVersion\"" },
  { "image-spec-examples/image-layout-01-image-index.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX,
    OK, NULL },
  { "image-spec-examples/manifest-00-manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST,
    OK, NULL },
  /* the empty config descriptor, with "data": "e30=" ("{}") matching its digest */
  { "image-spec-examples/manifest-01-empty-config.json", AS_DESCRIPTOR, -1, OK, NULL },
  { "image-spec-examples/manifest-02-minimal-artifact.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE, "OCI artifact" },
  { "image-spec-examples/manifest-03-artifact-without-config.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE, "OCI artifact" },
  { "image-spec-examples/manifest-04-artifact-with-config.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_OCI_MANIFEST, BERTH_ERROR_UNSUPPORTED_IMAGE, "OCI artifact" },

  /* image-spec-dockerhub/: real Docker Hub documents */
  { "image-spec-dockerhub/config-a059ea7356d5.json", AS_CONFIG, -1, OK, NULL },
  { "image-spec-dockerhub/config-a20665eb1fe2.json", AS_CONFIG, -1, OK, NULL },
  { "image-spec-dockerhub/imageIndex-4ffd0883f256.json", AS_INDEX, BERTH_MANIFEST_KIND_DOCKER_LIST,
    OK, NULL },
  /* config mediaType application/octet-stream, as old Docker Hub manifests have it */
  { "image-spec-dockerhub/manifest-888206c77cd2.json", AS_MANIFEST,
    BERTH_MANIFEST_KIND_DOCKER_MANIFEST, OK, NULL },

  /* buildkit-attestation/ */
  { "buildkit-attestation/attestation-config.json", AS_CONFIG, -1, OK, NULL },
  { "buildkit-attestation/attestation-manifest.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST,
    BERTH_ERROR_UNSUPPORTED_IMAGE,
    "\"application/vnd.in-toto+json\", which is not a filesystem layer" },
  { "buildkit-attestation/index-with-attestation.json", AS_INDEX, BERTH_MANIFEST_KIND_OCI_INDEX, OK,
    NULL },

  /* ostree-ext/: real FCOS chunked manifests, no top-level mediaType */
  { "ostree-ext/fcos-chunked-manifest1.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST, OK,
    NULL },
  { "ostree-ext/fcos-chunked-manifest2.json", AS_MANIFEST, BERTH_MANIFEST_KIND_OCI_MANIFEST, OK,
    NULL },
  /* rpm-ostree content metadata, gzip: not a manifest */
  { "ostree-ext/fedora-coreos-contentmeta.json.gz", AS_NOTHING, -1, BERTH_ERROR_FAILED,
    "is not valid JSON" },
};

static gboolean
parse_as (ParseAs as, const char *data, gsize len, GError **error)
{
  switch (as)
    {
    case AS_MANIFEST:
      {
        g_autoptr (BerthManifest) m = berth_manifest_parse (data, len, NULL, error);
        return m != NULL;
      }
    case AS_INDEX:
      {
        g_autoptr (BerthIndex) i = berth_index_parse (data, len, NULL, error);
        return i != NULL;
      }
    case AS_CONFIG:
      {
        g_autoptr (BerthImageConfig) c = berth_image_config_parse (data, len, error);
        return c != NULL;
      }
    case AS_DESCRIPTOR:
      {
        g_autoptr (BerthDescriptor) d = berth_descriptor_parse (data, len, error);
        return d != NULL;
      }
    case AS_NOTHING:
      {
        BerthManifestKind k;
        return berth_manifest_detect_kind (data, len, NULL, &k, error);
      }
    }
  g_assert_not_reached ();
}

static void
test_every_fixture (void)
{
  /* The table covers every file of these folders, and nothing else. */
  const char *dirs[] = { "containers-image", "image-spec-examples", "image-spec-dockerhub",
                         "buildkit-attestation", "ostree-ext" };
  g_autoptr (GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < G_N_ELEMENTS (fixtures); i++)
    g_hash_table_add (listed, (gpointer)fixtures[i].file);
  guint files = 0;
  for (gsize d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autofree char *rel = g_build_filename ("oci-manifests", dirs[d], NULL);
      g_autofree char *path = berth_test_fixture (rel);
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      g_assert_nonnull (dir);
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *key = g_build_filename (dirs[d], name, NULL);
          if (!g_hash_table_contains (listed, key))
            g_error ("fixture %s has no expectation in this test", key);
          files++;
        }
    }
  g_assert_cmpuint (files, ==, G_N_ELEMENTS (fixtures));

  for (gsize i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autofree char *rel = g_build_filename ("oci-manifests", fixtures[i].file, NULL);
      g_autoptr (GBytes) b = fixture_bytes (rel);
      gsize len;
      const char *data = g_bytes_get_data (b, &len);
      g_autoptr (GError) error = NULL;

      BerthManifestKind kind = BERTH_MANIFEST_KIND_UNKNOWN;
      gboolean detected = berth_manifest_detect_kind (data, len, NULL, &kind, &error);
      if (fixtures[i].kind < 0)
        {
          if (detected)
            g_error ("%s: detected as %s", fixtures[i].file, berth_manifest_kind_to_string (kind));
        }
      else
        {
          if (!detected)
            g_error ("%s: %s", fixtures[i].file, error->message);
          g_assert_cmpstr (berth_manifest_kind_to_string (kind), ==,
                           berth_manifest_kind_to_string (fixtures[i].kind));
        }
      g_clear_error (&error);

      gboolean ok = parse_as (fixtures[i].as, data, len, &error);
      if (fixtures[i].code == OK)
        {
          if (!ok)
            g_error ("%s: %s", fixtures[i].file, error->message);
          continue;
        }
      if (ok)
        g_error ("%s: parsed, expected %s", fixtures[i].file,
                 berth_error_code_to_string (fixtures[i].code));
      if (!g_error_matches (error, BERTH_ERROR, fixtures[i].code))
        g_error ("%s: %s (%s), expected %s", fixtures[i].file, error->message,
                 berth_error_code_to_string (error->code),
                 berth_error_code_to_string (fixtures[i].code));
      if (strstr (error->message, fixtures[i].message_part) == NULL)
        g_error ("%s: \"%s\" lacks \"%s\"", fixtures[i].file, error->message,
                 fixtures[i].message_part);
    }
}

/* ---- the image-spec schema cases, against their README ---------------------------------- */

/* Where berth differs from the JSON schema, and why. Everything else follows the README:
 * "-valid" parses, "-invalid" is refused. */
static const struct
{
  const char *file;
  int code;
  const char *why;
} schema_deviations[] = {
  /* Well-formed digests of algorithms berth does not pull. */
  { "manifest-06-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "berth supports only sha256" },
  { "descriptor-21-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "berth supports only sha256" },
  { "descriptor-22-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "berth supports only sha256" },
  { "descriptor-23-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "berth supports only sha256" },
  { "descriptor-24-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "berth supports only sha256" },
  { "descriptor-25-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "berth supports only sha256" },
  { "descriptor-27-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "berth supports only sha256" },
  { "descriptor-28-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "berth supports only sha256" },
  /* Artifacts are valid manifests but not images. */
  { "manifest-10-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "not a container image" },
  { "manifest-11-valid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "not a container image" },
};

/* Index cases whose entry berth refuses when selecting it, not when parsing the index
 * (containers/image tolerates entries of unknown types too). The index is still refused
 * for the platform it lists. */
static const struct
{
  const char *file;
  const char *arch;
  int code;
} index_select[] = {
  { "index-00-invalid.json", "ppc64le", BERTH_ERROR_UNSUPPORTED_IMAGE },
  { "index-04-invalid.json", "amd64", BERTH_ERROR_UNSUPPORTED_IMAGE },
  { "index-05-invalid.json", "amd64", BERTH_ERROR_UNSUPPORTED_IMAGE },
  /* valid per schema, but berth cannot read a customized manifest type */
  { "index-08-valid.json", "ppc64le", BERTH_ERROR_UNSUPPORTED_IMAGE },
  { "index-06-valid.json", "amd64", OK },
  { "index-07-valid.json", "amd64", OK }, /* no platform: the fallback */
  { "index-09-valid.json", "amd64", OK },
  { "index-10-valid.json", "amd64", OK },
};

static void
test_schema_cases (void)
{
  gsize len;
  g_autofree char *readme
    = berth_test_fixture_contents ("oci-manifests/image-spec-schema-cases/README.md", &len);
  g_auto (GStrv) lines = g_strsplit (readme, "\n", -1);
  guint cases = 0, accepted = 0, refused = 0;
  for (char **l = lines; *l != NULL; l++)
    {
      if (!g_str_has_prefix (*l, "| ") || strstr (*l, ".json |") == NULL)
        continue;
      g_auto (GStrv) cols = g_strsplit (*l + 2, " | ", -1);
      const char *file = cols[0];
      gboolean fail = g_str_has_prefix (cols[1], "true");
      /* The README and the file name agree. */
      g_assert_cmpint (fail, ==, strstr (file, "-invalid") != NULL);
      cases++;

      g_autofree char *rel = g_build_filename ("oci-manifests/image-spec-schema-cases", file, NULL);
      g_autoptr (GBytes) b = fixture_bytes (rel);
      const char *data = g_bytes_get_data (b, &len);
      ParseAs as = g_str_has_prefix (file, "manifest-") ? AS_MANIFEST
                   : g_str_has_prefix (file, "index-")  ? AS_INDEX
                   : g_str_has_prefix (file, "config-") ? AS_CONFIG
                                                        : AS_DESCRIPTOR;
      g_autoptr (GError) error = NULL;
      gboolean ok = parse_as (as, data, len, &error);

      int deviation = -2;
      const char *why = NULL;
      for (gsize i = 0; i < G_N_ELEMENTS (schema_deviations); i++)
        if (g_str_equal (schema_deviations[i].file, file))
          {
            deviation = schema_deviations[i].code;
            why = schema_deviations[i].why;
          }
      for (gsize i = 0; i < G_N_ELEMENTS (index_select); i++)
        if (g_str_equal (index_select[i].file, file))
          {
            /* The index parses; selecting its entry gives the verdict. */
            if (!ok)
              g_error ("%s: %s", file, error->message);
            g_autoptr (BerthIndex) index = berth_index_parse (data, len, NULL, &error);
            const BerthDescriptor *d
              = berth_index_select (index, "linux", index_select[i].arch, NULL, FALSE, &error);
            if (index_select[i].code == OK)
              g_assert_nonnull (d);
            else
              {
                g_assert_null (d);
                g_assert_error (error, BERTH_ERROR, index_select[i].code);
              }
            ok = d != NULL;
            deviation = -3;
          }
      if (deviation == -3)
        {
          if (ok)
            accepted++;
          else
            refused++;
          g_assert_cmpint (ok, ==, !fail && !g_str_equal (file, "index-08-valid.json"));
          continue;
        }
      if (deviation >= 0)
        {
          if (ok)
            g_error ("%s parsed; berth refuses it (%s)", file, why);
          g_assert_error (error, BERTH_ERROR, deviation);
          g_assert_nonnull (strstr (error->message, why));
          refused++;
          continue;
        }
      if (fail)
        {
          if (ok)
            g_error ("%s: the schema refuses it (%s) but berth parsed it", file, cols[3]);
          /* Refused as broken (or as not an image), never as a transient error. */
          g_assert_true (error->code == BERTH_ERROR_FAILED
                         || error->code == BERTH_ERROR_UNSUPPORTED_IMAGE);
          refused++;
        }
      else
        {
          if (!ok)
            g_error ("%s: the schema accepts it but berth: %s", file, error->message);
          accepted++;
        }
    }
  /* 65 cases in the README (12 manifests, 12 indexes, 10 configs, 31 descriptors). */
  g_assert_cmpuint (cases, ==, 65);
  g_assert_cmpuint (accepted + refused, ==, 65);
  /* The schema accepts 26; berth refuses 11 of them as listed above: 8 digests of other
   * algorithms, 2 artifacts, and index-08's custom manifest type. */
  g_assert_cmpuint (accepted, ==, 15);
}

/* The fixtures' reasons, checked one by one where the first error is not the stated one. */
static void
test_schema_case_reasons (void)
{
  static const struct
  {
    const char *file;
    int code;
    const char *message_part;
  } cases[] = {
    { "manifest-00-invalid.json", BERTH_ERROR_FAILED, "\"invalid\" is not a media type" },
    { "manifest-01-invalid.json", BERTH_ERROR_FAILED, "is not valid JSON" },
    { "manifest-02-invalid.json", BERTH_ERROR_FAILED, "Layer 1: \"size\" is not an integer" },
    { "manifest-05-invalid.json", BERTH_ERROR_UNSUPPORTED_IMAGE, "no layers" },
    { "manifest-08-invalid.json", BERTH_ERROR_FAILED, "Subject is not an object" },
    { "index-01-invalid.json", BERTH_ERROR_FAILED, "Index entry 1: \"size\" is not an integer" },
    { "index-02-invalid.json", BERTH_ERROR_FAILED, "Index entry 1 has no \"digest\"" },
    { "index-03-invalid.json", BERTH_ERROR_FAILED, "Index entry 1 has no \"architecture\"" },
    { "index-11-invalid.json", BERTH_ERROR_FAILED, "Subject is not an object" },
    { "config-00-invalid.json", BERTH_ERROR_FAILED, "\"os\" is not a string" },
    { "config-01-invalid.json", BERTH_ERROR_FAILED, "\"variant\" is not a string" },
    { "config-02-invalid.json", BERTH_ERROR_FAILED, "\"User\" is not a string" },
    { "config-06-invalid.json", BERTH_ERROR_FAILED, "is not valid JSON" },
    { "config-09-invalid.json", BERTH_ERROR_FAILED, "Env[0] is not NAME=VALUE" },
    { "descriptor-02-invalid.json", BERTH_ERROR_FAILED, "has no \"mediaType\"" },
    { "descriptor-03-invalid.json", BERTH_ERROR_FAILED, "\"application\" is not a media type" },
    { "descriptor-04-invalid.json", BERTH_ERROR_FAILED, "\".foo/bar\" is not a media type" },
    { "descriptor-05-invalid.json", BERTH_ERROR_FAILED, "\"foo/.bar\" is not a media type" },
    { "descriptor-07-invalid.json", BERTH_ERROR_FAILED, "is not a media type" },
    { "descriptor-08-invalid.json", BERTH_ERROR_FAILED, "is not a media type" },
    { "descriptor-09-invalid.json", BERTH_ERROR_FAILED, "\"size\" is missing" },
    { "descriptor-10-invalid.json", BERTH_ERROR_FAILED, "\"size\" is not an integer" },
    { "descriptor-11-invalid.json", BERTH_ERROR_FAILED, "has no \"digest\"" },
    { "descriptor-12-invalid.json", BERTH_ERROR_FAILED, "is not a digest" },
    { "descriptor-13-invalid.json", BERTH_ERROR_FAILED, "is not a digest" },
    { "descriptor-14-invalid.json", BERTH_ERROR_FAILED, "is not a digest" },
    { "descriptor-15-invalid.json", BERTH_ERROR_FAILED, "is not a valid sha256 digest" },
    { "descriptor-17-invalid.json", BERTH_ERROR_FAILED, "urls[0] \"value\" is not a URL" },
    { "descriptor-19-invalid.json", BERTH_ERROR_FAILED, "\"artifactType\" \"foo/.bar\"" },
    { "descriptor-26-invalid.json", BERTH_ERROR_FAILED, "is not a digest" },
    { "descriptor-29-invalid.json", BERTH_ERROR_FAILED, "\"data\" is not valid base64" },
    { "descriptor-30-invalid.json", BERTH_ERROR_FAILED, "\"size\" is negative" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *rel
        = g_build_filename ("oci-manifests/image-spec-schema-cases", cases[i].file, NULL);
      g_autoptr (GBytes) b = fixture_bytes (rel);
      gsize len;
      const char *data = g_bytes_get_data (b, &len);
      ParseAs as = g_str_has_prefix (cases[i].file, "manifest-") ? AS_MANIFEST
                   : g_str_has_prefix (cases[i].file, "index-")  ? AS_INDEX
                   : g_str_has_prefix (cases[i].file, "config-") ? AS_CONFIG
                                                                 : AS_DESCRIPTOR;
      g_autoptr (GError) error = NULL;
      g_assert_false (parse_as (as, data, len, &error));
      if (!g_error_matches (error, BERTH_ERROR, cases[i].code)
          || strstr (error->message, cases[i].message_part) == NULL)
        g_error ("%s: %s, expected %s", cases[i].file, error->message, cases[i].message_part);
    }

  /* config-03, -04 and -05 also have "os": 123 (as upstream's test data does), which is what
   * fails first. With "os" fixed, each still fails for the reason its comment gives. */
  static const struct
  {
    const char *file;
    const char *message_part;
  } fixed[] = {
    { "config-03-invalid.json", "\"history\" is not an array" },
    { "config-04-invalid.json", "\"Env\"[0] is not a string" },
    { "config-05-invalid.json", "\"Volumes\" is not an object" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (fixed); i++)
    {
      g_autofree char *rel
        = g_build_filename ("oci-manifests/image-spec-schema-cases", fixed[i].file, NULL);
      gsize len;
      g_autofree char *data = berth_test_fixture_contents (rel, &len);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthImageConfig) c = berth_image_config_parse (data, len, &error);
      g_assert_null (c);
      g_assert_nonnull (strstr (error->message, "\"os\" is not a string"));
      g_clear_error (&error);
      g_autoptr (GString) patched = g_string_new (data);
      g_assert_cmpuint (g_string_replace (patched, "\"os\": 123", "\"os\": \"linux\"", 1), ==, 1);
      g_autoptr (BerthImageConfig) c2
        = berth_image_config_parse (patched->str, patched->len, &error);
      g_assert_null (c2);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
      if (strstr (error->message, fixed[i].message_part) == NULL)
        g_error ("%s: %s", fixed[i].file, error->message);
    }
}

/* ---- values read from the fixtures ------------------------------------------------------- */

static BerthManifest *
manifest_fixture (const char *rel)
{
  g_autofree char *path = g_build_filename ("oci-manifests", rel, NULL);
  g_autoptr (GBytes) b = fixture_bytes (path);
  g_autoptr (GError) error = NULL;
  BerthManifest *m
    = berth_manifest_parse (g_bytes_get_data (b, NULL), g_bytes_get_size (b), NULL, &error);
  g_assert_no_error (error);
  return m;
}

static const BerthDescriptor *
layer (const BerthManifest *m, guint i)
{
  return m->layers->pdata[i];
}

static void
test_manifest_values (void)
{
  g_autoptr (BerthManifest) oci = manifest_fixture ("containers-image/ociv1.manifest.json");
  g_assert_cmpint (oci->kind, ==, BERTH_MANIFEST_KIND_OCI_MANIFEST);
  g_assert_cmpstr (oci->config->digest, ==,
                   "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7");
  g_assert_cmpint (oci->config->size, ==, 7023);
  g_assert_cmpuint (oci->layers->len, ==, 3);
  g_assert_cmpstr (layer (oci, 0)->digest, ==,
                   "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f");
  g_assert_cmpint (layer (oci, 0)->size, ==, 32654);
  g_assert_cmpint (layer (oci, 2)->size, ==, 73109);
  g_assert_cmpint (layer (oci, 1)->compression, ==, BERTH_COMPRESSION_GZIP);
  g_assert_cmpint (berth_manifest_get_layers_size (oci), ==, 32654 + 16724 + 73109);
  g_assert_cmpstr (g_hash_table_lookup (oci->annotations, "com.example.key1"), ==, "value1");

  g_autoptr (BerthManifest) zstd = manifest_fixture ("containers-image/ociv1.zstd.manifest.json");
  g_autoptr (BerthManifest) plain
    = manifest_fixture ("containers-image/ociv1.uncompressed.manifest.json");
  g_autoptr (BerthManifest) docker_plain
    = manifest_fixture ("containers-image/v2s2.uncompressed.manifest.json");
  g_autoptr (BerthManifest) docker = manifest_fixture ("containers-image/v2s2.manifest.json");
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (layer (zstd, i)->compression, ==, BERTH_COMPRESSION_ZSTD);
      g_assert_cmpint (layer (plain, i)->compression, ==, BERTH_COMPRESSION_NONE);
      g_assert_cmpint (layer (docker_plain, i)->compression, ==, BERTH_COMPRESSION_NONE);
      g_assert_cmpint (layer (docker, i)->compression, ==, BERTH_COMPRESSION_GZIP);
      g_assert_cmpstr (layer (docker, i)->digest, ==, layer (oci, i)->digest);
    }
  g_assert_cmpint (docker->kind, ==, BERTH_MANIFEST_KIND_DOCKER_MANIFEST);
  g_assert_cmpstr (docker->config->media_type, ==,
                   "application/vnd.docker.container.image.v1+json");

  g_autoptr (BerthManifest) hub
    = manifest_fixture ("image-spec-dockerhub/manifest-888206c77cd2.json");
  g_assert_cmpstr (hub->config->media_type, ==, "application/octet-stream");
  g_assert_cmpuint (hub->layers->len, ==, 4);
  g_assert_cmpint (berth_manifest_get_layers_size (hub), ==, 2310272 + 913022 + 9861668 + 465);

  /* The nomime manifest is OCI by its config; served as Docker's type it is refused rather
   * than misread, and served as OCI's it is the same manifest. */
  g_autoptr (GBytes) nomime
    = fixture_bytes ("oci-manifests/containers-image/ociv1nomime.manifest.json");
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthManifest) as_oci
    = berth_manifest_parse (g_bytes_get_data (nomime, NULL), g_bytes_get_size (nomime),
                            "application/vnd.oci.image.manifest.v1+json", &error);
  g_assert_no_error (error);
  g_autoptr (BerthManifest) as_json = berth_manifest_parse (
    g_bytes_get_data (nomime, NULL), g_bytes_get_size (nomime), "application/json", &error);
  g_assert_no_error (error);
  g_assert_cmpint (as_json->kind, ==, BERTH_MANIFEST_KIND_OCI_MANIFEST);
  /* A Docker manifest served as an OCI one: the document's own mediaType disagrees. */
  g_autoptr (GBytes) v2s2 = fixture_bytes ("oci-manifests/containers-image/v2s2.manifest.json");
  g_autoptr (BerthManifest) confused
    = berth_manifest_parse (g_bytes_get_data (v2s2, NULL), g_bytes_get_size (v2s2),
                            "application/vnd.oci.image.manifest.v1+json", &error);
  g_assert_null (confused);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "refusing the ambiguity"));
  g_clear_error (&error);
  /* An index is not a manifest, and the other way round. */
  g_autoptr (GBytes) list = fixture_bytes ("oci-manifests/containers-image/schema2list.json");
  g_assert_null (
    berth_manifest_parse (g_bytes_get_data (list, NULL), g_bytes_get_size (list), NULL, &error));
  g_assert_nonnull (strstr (error->message, "select a platform's entry first"));
  g_clear_error (&error);
  g_assert_null (
    berth_index_parse (g_bytes_get_data (v2s2, NULL), g_bytes_get_size (v2s2), NULL, &error));
  g_assert_nonnull (strstr (error->message, "not an index"));
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static void
test_fcos_chunked (void)
{
  g_autoptr (BerthManifest) a = manifest_fixture ("ostree-ext/fcos-chunked-manifest1.json");
  g_autoptr (BerthManifest) b = manifest_fixture ("ostree-ext/fcos-chunked-manifest2.json");
  g_assert_cmpuint (a->layers->len, ==, 51);
  g_assert_cmpuint (b->layers->len, ==, 51);
  g_assert_cmpstr (a->config->digest, ==,
                   "sha256:f3b50d0849a19894aa27ca2346a78efdacf2c56bdc2a3493672d2a819990fedf");
  g_assert_cmpint (a->config->size, ==, 9301);
  g_assert_cmpstr (layer (a, 0)->digest, ==,
                   "sha256:75f4abe8518ec55cb8bf0d358a737084f38e2c030a28651d698c0b7569d680a6");
  g_assert_cmpint (layer (a, 0)->size, ==, 1387849);
  g_assert_cmpint (berth_manifest_get_layers_size (a), ==, 697035775);
  g_assert_cmpint (berth_manifest_get_layers_size (b), ==, 697035490);

  /* The layer diff the fixture's SOURCES entry describes: 4 added, 4 removed (first and last
   * in digest order, as ostree-ext's ManifestDiff sorts them). */
  g_autoptr (GHashTable) in_a = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) in_b = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < 51; i++)
    {
      g_hash_table_add (in_a, layer (a, i)->digest);
      g_hash_table_add (in_b, layer (b, i)->digest);
    }
  g_autoptr (GPtrArray) added = g_ptr_array_new ();
  g_autoptr (GPtrArray) removed = g_ptr_array_new ();
  for (guint i = 0; i < 51; i++)
    {
      if (!g_hash_table_contains (in_a, layer (b, i)->digest))
        g_ptr_array_add (added, layer (b, i)->digest);
      if (!g_hash_table_contains (in_b, layer (a, i)->digest))
        g_ptr_array_add (removed, layer (a, i)->digest);
    }
  g_ptr_array_sort (added, compare_strings);
  g_ptr_array_sort (removed, compare_strings);
  g_assert_cmpuint (added->len, ==, 4);
  g_assert_cmpuint (removed->len, ==, 4);
  g_assert_true (g_str_has_prefix (added->pdata[0], "sha256:0b5d930f"));
  g_assert_true (g_str_has_suffix (added->pdata[0], "df1f"));
  g_assert_true (g_str_has_prefix (added->pdata[3], "sha256:cb9b8a4a"));
  g_assert_true (g_str_has_suffix (added->pdata[3], "f815"));
  g_assert_true (g_str_has_prefix (removed->pdata[0], "sha256:0ff8b1fd"));
  g_assert_true (g_str_has_suffix (removed->pdata[0], "8925"));
  g_assert_true (g_str_has_prefix (removed->pdata[3], "sha256:76b83eea"));
  g_assert_true (g_str_has_suffix (removed->pdata[3], "ece2"));
}

/* A config for @n layers (synthetic diff_ids, layer i's is sha256 of "i"), the last ostree
 * layer at @final (-1: no label), with @dup_at's diff_id made equal to @final's. */
static BerthImageConfig *
fcos_config (guint n, gint final, gint dup_at)
{
  g_autoptr (GString) json = g_string_new ("{\"architecture\":\"amd64\",\"os\":\"linux\","
                                           "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("%u", (gint)i == dup_at ? (guint) final : i);
      g_ptr_array_add (
        ids,
        g_strconcat ("sha256:", g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1), NULL));
      g_string_append_printf (json, "%s\"%s\"", i ? "," : "", (char *)ids->pdata[i]);
    }
  g_string_append (json, "]},\"config\":{\"Labels\":{\"containers.bootc\":\"1\"");
  if (final >= 0)
    g_string_append_printf (json, ",\"ostree.final-diffid\":\"%s\"", (char *)ids->pdata[final]);
  g_string_append (json, "}}}");
  g_autoptr (GError) error = NULL;
  BerthImageConfig *config = berth_image_config_parse (json->str, json->len, &error);
  g_assert_no_error (error);
  return config;
}

/* The real FCOS manifest classifies as ostree-ext's parse_manifest_layout does: all 51 layers
 * are ostree layers (layer 0 the commit, 1..50 chunks) when final-diffid names the last; with
 * it at 47, layers 48..50 are derived; without the label there is no ostree commit, unless
 * ostree.commit alone says the first layer is the whole commit; a final-diffid that two
 * layers share is ambiguous. */
static void
test_fcos_classify (void)
{
  g_autoptr (BerthManifest) m = manifest_fixture ("ostree-ext/fcos-chunked-manifest1.json");
  g_autoptr (GError) error = NULL;
  guint index = 0;

  g_autoptr (BerthImageConfig) all = fcos_config (51, 50, -1);
  g_assert_true (berth_image_config_has_ostree_commit (all));
  g_assert_true (berth_image_config_get_ostree_final_layer (all, m, &index, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 50);

  g_autoptr (BerthImageConfig) derived = fcos_config (51, 47, -1);
  g_assert_true (berth_image_config_get_ostree_final_layer (derived, m, &index, &error));
  g_assert_cmpuint (index, ==, 47);

  g_autoptr (BerthImageConfig) plain = fcos_config (51, -1, -1);
  g_assert_false (berth_image_config_has_ostree_commit (plain));
  g_assert_false (berth_image_config_get_ostree_final_layer (plain, m, &index, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_clear_error (&error);

  gint last = 0;
  g_assert_true (berth_image_config_get_ostree_last_layer (plain, m, &last, &error));
  g_assert_cmpint (last, ==, -1);
  g_assert_true (berth_image_config_get_ostree_last_layer (derived, m, &last, &error));
  g_assert_cmpint (last, ==, 47);

  /* the older single-layer form: ostree.commit alone, the first layer is the whole commit */
  static const char single_json[]
    = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
      "\"diff_ids\":[\"sha256:1111111111111111111111111111111111111111111111111111111111111111\"]},"
      "\"config\":{\"Labels\":{\"ostree.commit\":"
      "\"2222222222222222222222222222222222222222222222222222222222222222\"}}}";
  g_autoptr (BerthImageConfig) single
    = berth_image_config_parse (single_json, sizeof single_json - 1, &error);
  g_assert_no_error (error);
  g_assert_true (berth_image_config_has_ostree_commit (single));
  last = -1;
  g_assert_true (berth_image_config_get_ostree_last_layer (single, m, &last, &error));
  g_assert_no_error (error);
  g_assert_cmpint (last, ==, 0);

  g_autoptr (BerthImageConfig) twice = fcos_config (51, 20, 30);
  g_assert_false (berth_image_config_get_ostree_final_layer (twice, m, &index, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_assert_nonnull (strstr (error->message, "layers 21 and 31"));
  g_clear_error (&error);

  /* more diff_ids than layers: the label names a layer the manifest lacks */
  g_autoptr (BerthImageConfig) longer = fcos_config (53, 52, -1);
  g_assert_false (berth_image_config_get_ostree_final_layer (longer, m, &index, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
}

static const BerthDescriptor *
select_entry (const BerthIndex *index, const char *arch, const char *variant, gboolean zstd,
              GError **error)
{
  return berth_index_select (index, "linux", arch, variant, zstd, error);
}

static BerthIndex *
index_fixture (const char *rel)
{
  g_autofree char *path = g_build_filename ("oci-manifests", rel, NULL);
  g_autoptr (GBytes) b = fixture_bytes (path);
  g_autoptr (GError) error = NULL;
  BerthIndex *i
    = berth_index_parse (g_bytes_get_data (b, NULL), g_bytes_get_size (b), NULL, &error);
  g_assert_no_error (error);
  return i;
}

static void
test_index_select (void)
{
  /* containers/image's TestOCI1IndexChooseInstanceByCompression, on the same fixtures:
   * prefer_zstd is its preferGzip=false. */
  static const struct
  {
    const char *file, *arch, *variant;
    gboolean prefer_zstd;
    const char *digest; /* 8 hex digits, or NULL for no match */
  } cases[] = {
    { "containers-image/oci1.index.zstd-selection.json", "amd64", NULL, TRUE, "bbbbbbbb" },
    { "containers-image/oci1.index.zstd-selection.json", "arm64", NULL, TRUE, "cccccccc" },
    { "containers-image/oci1.index.zstd-selection.json", "s390x", NULL, TRUE, "eeeeeeee" },
    { "containers-image/oci1.index.zstd-selection.json", "amd64", NULL, FALSE, "aaaaaaaa" },
    { "containers-image/oci1.index.zstd-selection.json", "arm64", NULL, FALSE, "cccccccc" },
    { "containers-image/oci1.index.zstd-selection.json", "s390x", NULL, FALSE, "eeeeeeee" },
    { "containers-image/oci1.index.zstd-selection.json", "unmatched", NULL, FALSE, NULL },
    { "containers-image/ocilist-variants.json", "amd64", NULL, TRUE, "59eec883" },
    { "containers-image/ocilist-variants.json", "arm", "v7", TRUE, "eeeeeeee" },
    { "containers-image/ocilist-variants.json", "arm", "v6", TRUE, "f365626a" },
    { "containers-image/ocilist-variants.json", "arm", "v5", TRUE, "c84b0a3a" },
    { "containers-image/ocilist-variants.json", "arm", NULL, TRUE, "c84b0a3a" },
    { "containers-image/ocilist-variants.json", "arm", "unrecognized-present", TRUE, "bcf9771c" },
    { "containers-image/ocilist-variants.json", "arm", "unrecognized-not-present", TRUE,
      "c84b0a3a" },
    { "containers-image/ocilist-variants.json", "amd64", NULL, FALSE, "59eec883" },
    { "containers-image/ocilist-variants.json", "arm", "v7", FALSE, "eeeeeeee" },
    { "containers-image/ocilist-variants.json", "arm", "v6", FALSE, "dddddddd" },
    { "containers-image/ocilist-variants.json", "arm", "v5", FALSE, "c84b0a3a" },
    { "containers-image/ocilist-variants.json", "unmatched", NULL, FALSE, NULL },
    { "containers-image/oci1.index.zstd-selection2.json", "amd64", NULL, TRUE, "cccccccc" },
    { "containers-image/oci1.index.zstd-selection2.json", "amd64", NULL, FALSE, "aaaaaaaa" },
    { "containers-image/oci1.index.zstd-selection2.json", "arm64", NULL, FALSE, "6dc14a60" },
    { "containers-image/oci1.index.zstd-selection2.json", "arm64", NULL, TRUE, "1c98002b" },
    { "containers-image/oci1.index.zstd-selection2.json", "matchesImageWithNoPlatform", NULL, TRUE,
      "f2f5f52a" },
    { "containers-image/oci1.index.zstd-selection2.json", "matchesImageWithNoPlatform", NULL, FALSE,
      "c76757bb" },
    { "containers-image/oci1index.json", "amd64", NULL, TRUE, "5b0bcabd" },
    { "containers-image/oci1index.json", "ppc64le", NULL, TRUE, "e692418e" },
    { "containers-image/oci1index.json", "unmatched", NULL, TRUE, NULL },
    /* Docker lists; arm64's v8 is its default variant either way; uname names work too. */
    { "containers-image/schema2list.json", "arm64", "v8", FALSE, "dc472a59" },
    { "containers-image/schema2list.json", "arm64", NULL, FALSE, "dc472a59" },
    { "containers-image/schema2list.json", "aarch64", NULL, FALSE, "dc472a59" },
    { "containers-image/schema2list.json", "x86_64", NULL, FALSE, "030fcb92" },
    { "containers-image/schema2list.json", "386", NULL, FALSE, "9a33b990" },
    { "containers-image/schema2list.json", "arm", "v6", FALSE, "b5dbad4b" },
    { "containers-image/schema2list.json", "arm", "v7", FALSE, "b5dbad4b" },
    { "containers-image/schema2list.json", "riscv64", NULL, FALSE, NULL },
    { "containers-image/schema2list-variants.json", "arm", "v7", FALSE, "f365626a" },
    { "image-spec-dockerhub/imageIndex-4ffd0883f256.json", "arm64", "v8", FALSE, "fb2fc070" },
    { "image-spec-dockerhub/imageIndex-4ffd0883f256.json", "amd64", NULL, FALSE, "ae1b0e06" },
    { "image-spec-dockerhub/imageIndex-4ffd0883f256.json", "arm", "v7", FALSE, "07ebe243" },
    { "image-spec-dockerhub/imageIndex-4ffd0883f256.json", "s390x", NULL, FALSE, "e4c0df75" },
    /* the attestation entry (unknown/unknown) is never picked */
    { "buildkit-attestation/index-with-attestation.json", "amd64", NULL, FALSE, "23678f31" },
    { "buildkit-attestation/index-with-attestation.json", "unknown", NULL, FALSE, NULL },
    { "buildkit-attestation/index-with-attestation.json", "arm64", NULL, FALSE, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BerthIndex) index = index_fixture (cases[i].file);
      g_autoptr (GError) error = NULL;
      const BerthDescriptor *d
        = select_entry (index, cases[i].arch, cases[i].variant, cases[i].prefer_zstd, &error);
      if (cases[i].digest == NULL)
        {
          if (d != NULL)
            g_error ("%s %s/%s: picked %s", cases[i].file, cases[i].arch, cases[i].variant,
                     d->digest);
          g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
          continue;
        }
      if (d == NULL)
        g_error ("%s %s/%s: %s", cases[i].file, cases[i].arch, cases[i].variant, error->message);
      if (strncmp (d->digest + 7, cases[i].digest, 8) != 0)
        g_error ("%s %s/%s zstd=%d: picked %s, expected %s", cases[i].file, cases[i].arch,
                 cases[i].variant, cases[i].prefer_zstd, d->digest, cases[i].digest);
    }

  /* The no-match message lists what the index has (without the attestation). */
  g_autoptr (BerthIndex) att = index_fixture ("buildkit-attestation/index-with-attestation.json");
  g_autoptr (GError) error = NULL;
  g_assert_null (select_entry (att, "arm64", NULL, FALSE, &error));
  g_assert_cmpstr (error->message, ==,
                   "The image has no entry for linux/arm64 (it has: \"linux/amd64\")");
  g_clear_error (&error);

  /* Schema 1 entries match but cannot be read. */
  g_autoptr (BerthIndex) s1 = index_fixture ("containers-image/v2list.manifest.json");
  g_assert_null (select_entry (s1, "amd64", NULL, FALSE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_assert_nonnull (strstr (error->message, "manifest.v1+json"));
  g_clear_error (&error);

  /* Index entries keep what berth reads of them. */
  g_autoptr (BerthIndex) hub = index_fixture ("image-spec-dockerhub/imageIndex-4ffd0883f256.json");
  g_assert_cmpint (hub->kind, ==, BERTH_MANIFEST_KIND_DOCKER_LIST);
  g_assert_cmpuint (hub->manifests->len, ==, 5);
  const BerthDescriptor *arm = hub->manifests->pdata[3];
  g_assert_cmpstr (arm->platform->architecture, ==, "arm");
  g_assert_cmpstr (arm->platform->variant, ==, "v7");
  g_assert_cmpint (arm->size, ==, 2084);
}

static void
test_index_ref_names (void)
{
  g_autoptr (BerthIndex) index
    = index_fixture ("containers-image/oci-layout-name-lookups-index.json");
  static const struct
  {
    const char *name;
    const char *digest; /* 8 hex digits, or NULL */
    int code;
  } cases[] = {
    { "a", "aaaaaaaa", OK },
    { "b", "bbbbbbbb", OK },
    { "c", "cccccccc", OK },
    { "d", "dddddddd", OK },
    { "invalid-mime", NULL, BERTH_ERROR_UNSUPPORTED_IMAGE },
    { "nonexistent", NULL, BERTH_ERROR_NOT_FOUND },
    { NULL, NULL, BERTH_ERROR_INVALID_ARGUMENT }, /* five images: name one */
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      const BerthDescriptor *d = berth_index_find_ref_name (index, cases[i].name, &error);
      if (cases[i].code == OK)
        {
          g_assert_no_error (error);
          g_assert_cmpint (strncmp (d->digest + 7, cases[i].digest, 8), ==, 0);
        }
      else
        {
          g_assert_null (d);
          g_assert_error (error, BERTH_ERROR, cases[i].code);
        }
    }
  g_autoptr (GError) error = NULL;
  g_assert_null (berth_index_find_ref_name (index, "nonexistent", &error));
  g_assert_cmpstr (error->message, ==,
                   "The layout has no image named \"nonexistent\" (it has: \"a\", \"b\", \"c\", "
                   "\"d\", \"invalid-mime\")");
}

static BerthImageConfig *
config_fixture (const char *rel)
{
  g_autofree char *path = g_build_filename ("oci-manifests", rel, NULL);
  g_autoptr (GBytes) b = fixture_bytes (path);
  g_autoptr (GError) error = NULL;
  BerthImageConfig *c
    = berth_image_config_parse (g_bytes_get_data (b, NULL), g_bytes_get_size (b), &error);
  g_assert_no_error (error);
  return c;
}

static void
test_configs (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImageConfig) hub
    = config_fixture ("image-spec-dockerhub/config-a059ea7356d5.json");
  g_assert_cmpstr (hub->architecture, ==, "amd64");
  g_assert_cmpstr (hub->os, ==, "linux");
  g_assert_null (hub->variant);
  g_assert_cmpuint (g_strv_length (hub->diff_ids), ==, 4);
  g_assert_cmpstr (hub->diff_ids[0], ==,
                   "sha256:9007f5987db353ec398a223bc5a135c5a9601798ba20a1abba537ea2f8ac765f");
  g_assert_cmpuint (g_hash_table_size (hub->labels), ==, 0);
  g_assert_false (berth_image_config_is_bootable (hub));
  g_assert_false (berth_image_config_has_ostree_commit (hub));
  g_assert_true (berth_image_config_check_platform (hub, "linux", "amd64", NULL, &error));
  g_assert_true (berth_image_config_check_platform (hub, "linux", "x86_64", NULL, &error));
  g_assert_false (berth_image_config_check_platform (hub, "linux", "arm64", "v8", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_assert_cmpstr (error->message, ==,
                   "The image is for \"linux/amd64\", not for this machine (linux/arm64)");
  g_clear_error (&error);
  /* the real Docker Hub manifest of the same image lists 4 layers */
  g_autoptr (BerthManifest) hub_manifest
    = manifest_fixture ("image-spec-dockerhub/manifest-888206c77cd2.json");
  g_assert_true (berth_image_check_diff_ids (hub_manifest, hub, &error));

  g_autoptr (BerthImageConfig) spec
    = config_fixture ("image-spec-examples/config-00-image-json.json");
  g_assert_cmpstr (berth_image_config_get_label (spec, "com.example.project.git.commit"), ==,
                   "45a939b2999782a3f005621a8d0f29aa387e1d6b");
  g_assert_cmpuint (g_strv_length (spec->diff_ids), ==, 2);

  g_autofree char *arm_rel
    = g_build_filename ("oci-manifests/image-spec-schema-cases", "config-07-valid.json", NULL);
  g_autoptr (GBytes) arm_bytes = fixture_bytes (arm_rel);
  g_autoptr (BerthImageConfig) arm = berth_image_config_parse (
    g_bytes_get_data (arm_bytes, NULL), g_bytes_get_size (arm_bytes), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (arm->variant, ==, "v8");
  g_assert_true (berth_image_config_check_platform (arm, "linux", "aarch64", NULL, &error));
  g_assert_true (berth_image_config_check_platform (arm, "linux", "arm64", "v8", &error));

  g_autoptr (BerthImageConfig) att
    = config_fixture ("buildkit-attestation/attestation-config.json");
  g_assert_cmpstr (att->architecture, ==, "unknown");
  g_assert_false (berth_image_config_check_platform (att, "linux", "amd64", NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_clear_error (&error);

  /* Labels for bootable and ostree images (the README's label facts). */
  static const struct
  {
    const char *labels;
    gboolean bootable, ostree;
  } label_cases[] = {
    { "{}", FALSE, FALSE },
    { "{\"containers.bootc\": \"1\"}", TRUE, FALSE },
    { "{\"ostree.bootable\": \"true\"}", TRUE, FALSE },
    { "{\"ostree.bootable\": \"1\", \"ostree.final-diffid\": \"sha256:"
      "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef\"}",
      TRUE, TRUE },
    { "{\"version\": \"41\"}", FALSE, FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (label_cases); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": {\"Labels\": %s}, "
        "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"sha256:"
        "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef\"]}}",
        label_cases[i].labels);
      g_autoptr (BerthImageConfig) c = berth_image_config_parse (json, strlen (json), &error);
      g_assert_no_error (error);
      g_assert_cmpint (berth_image_config_is_bootable (c), ==, label_cases[i].bootable);
      g_assert_cmpint (berth_image_config_has_ostree_commit (c), ==, label_cases[i].ostree);
    }

  /* Labels must be strings; duplicate keys are refused; rootfs is required. */
  const char *bad[] = {
    "{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": {\"Labels\": {\"a\": 1}}, "
    "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}",
    "{\"architecture\": \"amd64\", \"architecture\": \"arm64\", \"os\": \"linux\", "
    "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}",
    "{\"architecture\": \"amd64\", \"os\": \"linux\"}",
    "{\"architecture\": \"amd64\", \"os\": \"linux\", \"rootfs\": {\"type\": \"layers\", "
    "\"diff_ids\": [\"sha256:abc\"]}}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (BerthImageConfig) c = berth_image_config_parse (bad[i], strlen (bad[i]), &error);
      g_assert_null (c);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
      g_clear_error (&error);
    }
}

static void
test_ostree_layer (void)
{
  /* An ostree image: three chunk layers, the commit's last one is the second diff_id; the
   * third layer is derived content. */
  const char *manifest_json
    = "{\"schemaVersion\": 2, \"config\": {\"mediaType\": "
      "\"application/vnd.oci.image.config.v1+json\", \"size\": 10, \"digest\": \"sha256:"
      "1111111111111111111111111111111111111111111111111111111111111111\"}, \"layers\": ["
      "{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"size\": 1, \"digest\": "
      "\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},"
      "{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"size\": 2, \"digest\": "
      "\"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"},"
      "{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+zstd\", \"size\": 3, \"digest\": "
      "\"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"}]}";
#define CONFIG_FMT                                                                                 \
  "{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": {\"Labels\": "                     \
  "{\"ostree.bootable\": \"true\", \"ostree.final-diffid\": \"%s\"}}, \"rootfs\": "                \
  "{\"type\": \"layers\", \"diff_ids\": [\"sha256:"                                                \
  "0000000000000000000000000000000000000000000000000000000000000001\", \"sha256:"                  \
  "0000000000000000000000000000000000000000000000000000000000000002\", \"sha256:"                  \
  "0000000000000000000000000000000000000000000000000000000000000003\"]}}"
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthManifest) m
    = berth_manifest_parse (manifest_json, strlen (manifest_json), NULL, &error);
  g_assert_no_error (error);
  g_autofree char *good = g_strdup_printf (
    CONFIG_FMT, "sha256:0000000000000000000000000000000000000000000000000000000000000002");
  g_autoptr (BerthImageConfig) c = berth_image_config_parse (good, strlen (good), &error);
  g_assert_no_error (error);
  guint index = 99;
  g_assert_true (berth_image_config_get_ostree_final_layer (c, m, &index, &error));
  g_assert_cmpuint (index, ==, 1);
  g_assert_true (berth_image_check_diff_ids (m, c, &error));

  g_autofree char *missing = g_strdup_printf (
    CONFIG_FMT, "sha256:0000000000000000000000000000000000000000000000000000000000000009");
  g_autoptr (BerthImageConfig) c2 = berth_image_config_parse (missing, strlen (missing), &error);
  index = 99;
  g_assert_false (berth_image_config_get_ostree_final_layer (c2, m, &index, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_assert_cmpuint (index, ==, 99); /* out_ untouched on failure */
}

/* ---- caps and hostile input -------------------------------------------------------------- */

static void
test_caps (void)
{
  g_autoptr (GError) error = NULL;
  /* One byte over the manifest cap: refused before parsing. */
  gsize n = BERTH_OCI_MANIFEST_MAX + 1;
  g_autofree char *big = g_malloc (n);
  memset (big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  g_assert_null (berth_manifest_parse (big, n, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_TOO_LARGE);
  g_clear_error (&error);
  BerthManifestKind k;
  g_assert_false (berth_manifest_detect_kind (big, n, NULL, &k, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_TOO_LARGE);
  g_clear_error (&error);
  /* The config cap is 8 MiB: a 5 MiB config is fine. */
  gsize cn = 5 * 1024 * 1024;
  g_autoptr (GString) cfg = g_string_new ("{\"architecture\": \"amd64\", \"os\": \"linux\", "
                                          "\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}, "
                                          "\"x\": \"");
  while (cfg->len < cn)
    g_string_append (cfg, "0123456789abcdef");
  g_string_append (cfg, "\"}");
  g_autoptr (BerthImageConfig) c = berth_image_config_parse (cfg->str, cfg->len, &error);
  g_assert_no_error (error);
  g_autofree char *huge = g_malloc (BERTH_OCI_CONFIG_MAX + 1);
  memset (huge, ' ', BERTH_OCI_CONFIG_MAX + 1);
  g_assert_null (berth_image_config_parse (huge, BERTH_OCI_CONFIG_MAX + 1, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* Sizes: 4 PiB is the most a blob may claim; negative and fractional are broken. */
#define SIZE_FMT                                                                                   \
  "{\"mediaType\": \"application/octet-stream\", \"digest\": \"sha256:"                            \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"size\": %s}"
  static const struct
  {
    const char *size;
    int code;
  } sizes[] = {
    { "4503599627370496", OK },
    { "4503599627370497", BERTH_ERROR_TOO_LARGE },
    { "9223372036854775807", BERTH_ERROR_TOO_LARGE },
    { "99999999999999999999", BERTH_ERROR_FAILED },
    { "-1", BERTH_ERROR_FAILED },
    { "1.5", BERTH_ERROR_FAILED },
    { "1e3", BERTH_ERROR_FAILED },
    { "\"7\"", BERTH_ERROR_FAILED },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *json = g_strdup_printf (SIZE_FMT, sizes[i].size);
      g_autoptr (BerthDescriptor) d = berth_descriptor_parse (json, strlen (json), &error);
      if (sizes[i].code == OK)
        {
          g_assert_no_error (error);
          g_assert_cmpint (d->size, ==, BERTH_OCI_BLOB_SIZE_MAX);
        }
      else
        {
          g_assert_null (d);
          g_assert_error (error, BERTH_ERROR, sizes[i].code);
          g_clear_error (&error);
        }
    }

  /* More layers than the cap. */
  g_autoptr (GString) many = g_string_new (
    "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", "
    "\"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"size\": 1, "
    "\"digest\": \"sha256:1111111111111111111111111111111111111111111111111111111111111111\"}, "
    "\"layers\": [");
  for (int i = 0; i <= BERTH_OCI_LAYERS_MAX; i++)
    g_string_append_printf (many,
                            "%s{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar\", "
                            "\"size\": 1, \"digest\": \"sha256:%064x\"}",
                            i ? "," : "", i);
  g_string_append (many, "]}");
  g_assert_null (berth_manifest_parse (many->str, many->len, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* Control characters from a registry never reach a message raw. */
  const char *nasty = "{\"schemaVersion\": 2, \"mediaType\": \"\\u001b[31mred\"}";
  g_assert_false (berth_manifest_detect_kind (nasty, strlen (nasty), NULL, &k, &error));
  g_assert_null (strchr (error->message, 0x1b));
  g_assert_nonnull (strstr (error->message, "\\x1b[31mred"));
}

/* ---- host platform ----------------------------------------------------------------------- */

static void
test_platform (void)
{
  g_assert_cmpstr (berth_oci_arch_from_uname ("x86_64"), ==, "amd64");
  g_assert_cmpstr (berth_oci_arch_from_uname ("aarch64"), ==, "arm64");
  g_assert_cmpstr (berth_oci_arch_from_uname ("ppc64le"), ==, "ppc64le");
  g_assert_cmpstr (berth_oci_arch_from_uname ("s390x"), ==, "s390x");
  g_assert_cmpstr (berth_oci_arch_from_uname ("riscv64"), ==, "riscv64");
  g_assert_cmpstr (berth_oci_arch_from_uname ("i686"), ==, "386");
  g_assert_null (berth_oci_arch_from_uname ("pdp11"));
  const char *arch = NULL, *variant = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_oci_host_platform (&arch, &variant, &error));
  g_assert_nonnull (arch);
  if (g_str_equal (arch, "arm64"))
    g_assert_cmpstr (variant, ==, "v8");
  g_assert_cmpstr (berth_manifest_kind_to_media_type (BERTH_MANIFEST_KIND_OCI_INDEX), ==,
                   "application/vnd.oci.image.index.v1+json");
  g_assert_cmpint (berth_manifest_kind_from_media_type (
                     "application/vnd.docker.distribution.manifest.v1+prettyjws"),
                   ==, BERTH_MANIFEST_KIND_DOCKER_SCHEMA1);
  g_assert_cmpstr (berth_compression_to_string (BERTH_COMPRESSION_ZSTD), ==, "zstd");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/oci/digest/known", test_digest_known);
  g_test_add_func ("/oci/digest/validate", test_digest_validate);
  g_test_add_func ("/oci/digest/fixture-files", test_digest_fixture_files);
  g_test_add_func ("/oci/manifest/every-fixture", test_every_fixture);
  g_test_add_func ("/oci/manifest/schema-cases", test_schema_cases);
  g_test_add_func ("/oci/manifest/schema-case-reasons", test_schema_case_reasons);
  g_test_add_func ("/oci/manifest/values", test_manifest_values);
  g_test_add_func ("/oci/manifest/fcos-chunked", test_fcos_chunked);
  g_test_add_func ("/oci/manifest/fcos-classify", test_fcos_classify);
  g_test_add_func ("/oci/manifest/caps", test_caps);
  g_test_add_func ("/oci/index/select", test_index_select);
  g_test_add_func ("/oci/index/ref-names", test_index_ref_names);
  g_test_add_func ("/oci/config/values", test_configs);
  g_test_add_func ("/oci/config/ostree-layer", test_ostree_layer);
  g_test_add_func ("/oci/platform", test_platform);
  return g_test_run ();
}
