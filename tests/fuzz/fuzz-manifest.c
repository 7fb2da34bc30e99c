/* Fuzz target: manifests, indexes, image configs and descriptors from untrusted bytes (a
 * registry's answer or an OCI layout's blob). Besides not crashing, what parses must hold the
 * parser's promises: valid sha256 digests, sizes within the caps, at least one layer. */
#include "oci/oci.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (gboolean ok)
{
  if (!ok)
    abort ();
}

static void
check_descriptor (const BerthDescriptor *d)
{
  check (berth_digest_is_valid (d->digest));
  check (d->size >= 0 && d->size <= BERTH_OCI_BLOB_SIZE_MAX);
  check (d->media_type != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *)data;
  g_autoptr (GError) error = NULL;

  BerthManifestKind kind;
  if (berth_manifest_detect_kind (text, size, NULL, &kind, &error))
    check (kind != BERTH_MANIFEST_KIND_UNKNOWN);
  g_clear_error (&error);

  const char *media_types[] = { NULL, "application/vnd.docker.distribution.manifest.v2+json",
                                "application/vnd.oci.image.index.v1+json" };
  g_autoptr (BerthManifest) manifest = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (media_types); i++)
    {
      g_autoptr (BerthManifest) m = berth_manifest_parse (text, size, media_types[i], &error);
      g_clear_error (&error);
      if (m == NULL)
        continue;
      check (m->layers->len > 0 && m->layers->len <= BERTH_OCI_LAYERS_MAX);
      check_descriptor (m->config);
      for (guint l = 0; l < m->layers->len; l++)
        check_descriptor (m->layers->pdata[l]);
      check (berth_manifest_get_layers_size (m) >= 0);
      if (manifest == NULL)
        manifest = g_steal_pointer (&m);
    }

  g_autoptr (BerthIndex) index = berth_index_parse (text, size, NULL, &error);
  g_clear_error (&error);
  if (index != NULL)
    {
      for (guint i = 0; i < index->manifests->len; i++)
        check_descriptor (index->manifests->pdata[i]);
      static const char *const platforms[][2]
        = { { "amd64", NULL }, { "arm64", "v8" }, { "arm", "v7" }, { "arm", "v5" } };
      for (gsize p = 0; p < G_N_ELEMENTS (platforms); p++)
        for (int zstd = 0; zstd < 2; zstd++)
          {
            const BerthDescriptor *d
              = berth_index_select (index, "linux", platforms[p][0], platforms[p][1], zstd, &error);
            check ((d != NULL) == (error == NULL));
            g_clear_error (&error);
          }
      const BerthDescriptor *named = berth_index_find_ref_name (index, NULL, &error);
      check ((named != NULL) == (error == NULL));
      g_clear_error (&error);
      (void)berth_index_find_ref_name (index, "latest", &error);
      g_clear_error (&error);
    }

  g_autoptr (BerthImageConfig) config = berth_image_config_parse (text, size, &error);
  g_clear_error (&error);
  if (config != NULL)
    {
      for (char **d = config->diff_ids; *d != NULL; d++)
        check (berth_digest_is_valid (*d));
      (void)berth_image_config_is_bootable (config);
      (void)berth_image_config_has_ostree_commit (config);
      (void)berth_image_config_check_platform (config, "linux", "amd64", NULL, &error);
      g_clear_error (&error);
      if (manifest != NULL)
        {
          guint at = G_MAXUINT;
          if (berth_image_config_get_ostree_final_layer (config, manifest, &at, &error))
            check (at < manifest->layers->len);
          g_clear_error (&error);
          (void)berth_image_check_diff_ids (manifest, config, &error);
          g_clear_error (&error);
        }
    }

  g_autoptr (BerthDescriptor) desc = berth_descriptor_parse (text, size, &error);
  g_clear_error (&error);
  if (desc != NULL)
    check_descriptor (desc);

  /* The digest of any input, one-shot and streamed in two pieces, agree. */
  g_autofree char *one = berth_digest_bytes (data, size);
  g_autoptr (BerthDigest) d = berth_digest_new ();
  berth_digest_update (d, data, size / 2);
  berth_digest_update (d, data + size / 2, size - size / 2);
  check (berth_digest_verify (d, one, size, "fuzz", NULL));
  return 0;
}
