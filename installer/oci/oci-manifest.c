/* Manifests, indexes and image configs (see oci-manifest.h). */
#include "oci-manifest.h"
#include "oci-digest.h"
#include "oci-private.h"

#include <string.h>
#include <sys/utsname.h>

#include "util/util-json.h"

/* How much of an untrusted string an error message quotes. */
#define QUOTE_MAX 120

#define MT_OCI_MANIFEST          "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX             "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG            "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_MANIFEST       "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST           "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG         "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_SCHEMA1        "application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

#define ANNOTATION_REF_NAME BERTH_OCI_ANNOTATION_REF_NAME
/* containers/image marks the zstd twin of a gzip instance in an index with this. */
#define ANNOTATION_ZSTD "io.github.containers.compression.zstd"
/* BuildKit's attestation manifests (docs/attestations/attestation-storage.md). */
#define ANNOTATION_REFERENCE_TYPE "vnd.docker.reference.type"

/* ---- string tables --------------------------------------------------------------------------- */

static const struct
{
  const char *name;
  const char *media_type;
} kinds[] = {
  [BERTH_MANIFEST_KIND_UNKNOWN] = { "unknown", NULL },
  [BERTH_MANIFEST_KIND_OCI_MANIFEST] = { "oci-manifest", MT_OCI_MANIFEST },
  [BERTH_MANIFEST_KIND_OCI_INDEX] = { "oci-index", MT_OCI_INDEX },
  [BERTH_MANIFEST_KIND_DOCKER_MANIFEST] = { "docker-manifest", MT_DOCKER_MANIFEST },
  [BERTH_MANIFEST_KIND_DOCKER_LIST] = { "docker-list", MT_DOCKER_LIST },
  [BERTH_MANIFEST_KIND_DOCKER_SCHEMA1] = { "docker-schema1", MT_DOCKER_SCHEMA1 },
};

const char *
berth_manifest_kind_to_media_type (BerthManifestKind kind)
{
  if ((guint)kind >= G_N_ELEMENTS (kinds))
    return NULL;
  return kinds[kind].media_type;
}

const char *
berth_manifest_kind_to_string (BerthManifestKind kind)
{
  if ((guint)kind >= G_N_ELEMENTS (kinds))
    return "unknown";
  return kinds[kind].name;
}

BerthManifestKind
berth_manifest_kind_from_media_type (const char *media_type)
{
  if (media_type == NULL)
    return BERTH_MANIFEST_KIND_UNKNOWN;
  if (g_str_equal (media_type, MT_DOCKER_SCHEMA1_SIGNED))
    return BERTH_MANIFEST_KIND_DOCKER_SCHEMA1;
  for (guint k = 1; k < G_N_ELEMENTS (kinds); k++)
    if (g_str_equal (media_type, kinds[k].media_type))
      return k;
  return BERTH_MANIFEST_KIND_UNKNOWN;
}

gboolean
berth_manifest_kind_is_index (BerthManifestKind kind)
{
  return kind == BERTH_MANIFEST_KIND_OCI_INDEX || kind == BERTH_MANIFEST_KIND_DOCKER_LIST;
}

static const char *const compression_names[] = {
  [BERTH_COMPRESSION_NONE] = "none",
  [BERTH_COMPRESSION_GZIP] = "gzip",
  [BERTH_COMPRESSION_ZSTD] = "zstd",
};

const char *
berth_compression_to_string (BerthCompression compression)
{
  if ((guint)compression >= G_N_ELEMENTS (compression_names))
    return "unknown";
  return compression_names[compression];
}

/* ---- JSON helpers ---------------------------------------------------------------------------- */

static gboolean G_GNUC_PRINTF (3, 4)
  doc_fail (GError **error, BerthErrorCode code, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  return berth_throw (error, code, "%s", msg);
}

static json_t *
load_json (const char *data, gsize len, gsize max, const char *what, GError **error)
{
  if (len > max)
    {
      doc_fail (error, BERTH_ERROR_TOO_LARGE,
                "%s is %" G_GSIZE_FORMAT " bytes, more than the %" G_GSIZE_FORMAT " allowed", what,
                len, max);
      return NULL;
    }
  json_error_t jerr;
  /* Duplicate keys would let two parsers read two different documents from one digest. */
  json_t *root = json_loadb (data, len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    {
      g_autofree char *text = berth_oci_quote (jerr.text, -1, QUOTE_MAX);
      doc_fail (error, BERTH_ERROR_FAILED, "%s is not valid JSON (line %d, column %d: %s)", what,
                jerr.line, jerr.column, text);
      return NULL;
    }
  if (!json_is_object (root))
    {
      json_decref (root);
      doc_fail (error, BERTH_ERROR_FAILED, "%s is not a JSON object", what);
      return NULL;
    }
  return root;
}

/* An optional string member: TRUE with *out NULL when absent or null. */
static gboolean
get_string (json_t *obj, const char *key, gboolean required, const char **out, const char *what,
            GError **error)
{
  json_t *v = json_object_get (obj, key);
  *out = NULL;
  if (v == NULL || json_is_null (v))
    {
      if (required)
        return doc_fail (error, BERTH_ERROR_FAILED, "%s has no \"%s\"", what, key);
      return TRUE;
    }
  if (!json_is_string (v))
    return doc_fail (error, BERTH_ERROR_FAILED, "%s: \"%s\" is not a string", what, key);
  *out = json_string_value (v);
  return TRUE;
}

/* An optional object whose values are all strings, copied into a hash table. */
static gboolean
get_string_map (json_t *obj, const char *key, GHashTable **out, const char *what, GError **error)
{
  json_t *v = json_object_get (obj, key);
  *out = NULL;
  if (v == NULL || json_is_null (v))
    return TRUE;
  if (!json_is_object (v))
    return doc_fail (error, BERTH_ERROR_FAILED, "%s: \"%s\" is not an object", what, key);
  g_autoptr (GHashTable) map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *k;
  json_t *value;
  json_object_foreach (v, k, value)
  {
    if (!json_is_string (value))
      {
        g_autofree char *quoted = berth_oci_quote (k, -1, QUOTE_MAX);
        return doc_fail (error, BERTH_ERROR_FAILED, "%s: \"%s\" %s is not a string", what, key,
                         quoted);
      }
    g_hash_table_insert (map, g_strdup (k), g_strdup (json_string_value (value)));
  }
  *out = g_steal_pointer (&map);
  return TRUE;
}

/* An optional array of strings (checked, not kept). */
static gboolean
check_string_array (json_t *obj, const char *key, const char *what, GError **error)
{
  json_t *v = json_object_get (obj, key);
  if (v == NULL || json_is_null (v))
    return TRUE;
  if (!json_is_array (v))
    return doc_fail (error, BERTH_ERROR_FAILED, "%s: \"%s\" is not an array", what, key);
  size_t i;
  json_t *e;
  json_array_foreach (v, i, e)
  {
    if (!json_is_string (e))
      return doc_fail (error, BERTH_ERROR_FAILED, "%s: \"%s\"[%zu] is not a string", what, key, i);
  }
  return TRUE;
}

/* An optional object (checked, not kept). */
static gboolean
check_object (json_t *obj, const char *key, const char *what, GError **error)
{
  json_t *v = json_object_get (obj, key);
  if (v != NULL && !json_is_null (v) && !json_is_object (v))
    return doc_fail (error, BERTH_ERROR_FAILED, "%s: \"%s\" is not an object", what, key);
  return TRUE;
}

static gboolean
check_media_type (const char *media_type, const char *key, const char *what, GError **error)
{
  if (berth_oci_media_type_is_valid (media_type))
    return TRUE;
  g_autofree char *quoted = berth_oci_quote (media_type, -1, QUOTE_MAX);
  return doc_fail (error, BERTH_ERROR_FAILED, "%s: \"%s\" %s is not a media type (TYPE/SUBTYPE)",
                   what, key, quoted);
}

/* ---- descriptors ----------------------------------------------------------------------------- */

void
berth_descriptor_free (BerthDescriptor *desc)
{
  if (desc == NULL)
    return;
  g_free (desc->media_type);
  g_free (desc->digest);
  g_free (desc->artifact_type);
  g_clear_pointer (&desc->annotations, g_hash_table_unref);
  if (desc->platform != NULL)
    {
      g_free (desc->platform->architecture);
      g_free (desc->platform->os);
      g_free (desc->platform->variant);
      g_free (desc->platform->os_version);
      g_free (desc->platform);
    }
  g_free (desc);
}

const char *
berth_descriptor_get_annotation (const BerthDescriptor *desc, const char *key)
{
  return desc->annotations ? g_hash_table_lookup (desc->annotations, key) : NULL;
}

static gboolean
parse_platform (json_t *obj, BerthPlatform **out, const char *what, GError **error)
{
  const char *arch, *os, *variant, *os_version;
  if (!json_is_object (obj))
    return doc_fail (error, BERTH_ERROR_FAILED, "%s: \"platform\" is not an object", what);
  if (!get_string (obj, "architecture", TRUE, &arch, what, error)
      || !get_string (obj, "os", TRUE, &os, what, error)
      || !get_string (obj, "variant", FALSE, &variant, what, error)
      || !get_string (obj, "os.version", FALSE, &os_version, what, error)
      || !check_string_array (obj, "os.features", what, error)
      || !check_string_array (obj, "features", what, error))
    return FALSE;
  BerthPlatform *p = g_new0 (BerthPlatform, 1);
  p->architecture = g_strdup (arch);
  p->os = g_strdup (os);
  p->variant = g_strdup (variant);
  p->os_version = g_strdup (os_version);
  *out = p;
  return TRUE;
}

/* RFC 3986 scheme ":" ... (descriptor urls must be URIs). */
static gboolean
is_uri (const char *s)
{
  if (!g_ascii_isalpha (s[0]))
    return FALSE;
  const char *p = s + 1;
  while (g_ascii_isalnum (*p) || *p == '+' || *p == '-' || *p == '.')
    p++;
  if (*p != ':' || p[1] == '\0')
    return FALSE;
  for (; *p != '\0'; p++)
    if ((guchar)*p <= 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

typedef enum
{
  DESC_STRICT,      /* configs, layers, subjects, bare descriptors */
  DESC_INDEX_ENTRY, /* a mediaType berth cannot use is kept (the entry is unusable) */
} DescMode;

static BerthDescriptor *
parse_descriptor (json_t *obj, DescMode mode, const char *what, GError **error)
{
  if (!json_is_object (obj))
    {
      doc_fail (error, BERTH_ERROR_FAILED, "%s is not an object", what);
      return NULL;
    }
  const char *media_type, *digest, *artifact_type, *data;
  if (!get_string (obj, "mediaType", TRUE, &media_type, what, error)
      || (mode == DESC_STRICT && !check_media_type (media_type, "mediaType", what, error))
      || !get_string (obj, "digest", TRUE, &digest, what, error))
    return NULL;
  if (!berth_digest_validate (digest, error))
    {
      g_prefix_error (error, "%s: ", what);
      return NULL;
    }

  json_t *size = json_object_get (obj, "size");
  if (size == NULL || !json_is_integer (size))
    {
      doc_fail (error, BERTH_ERROR_FAILED, "%s: \"size\" is %s", what,
                size == NULL ? "missing" : "not an integer");
      return NULL;
    }
  json_int_t n = json_integer_value (size);
  if (n < 0)
    {
      doc_fail (error, BERTH_ERROR_FAILED, "%s: \"size\" is negative", what);
      return NULL;
    }
  if (n > BERTH_OCI_BLOB_SIZE_MAX)
    {
      doc_fail (error, BERTH_ERROR_TOO_LARGE,
                "%s: \"size\" %" G_GINT64_FORMAT " is beyond the %" G_GINT64_FORMAT " allowed",
                what, (gint64)n, BERTH_OCI_BLOB_SIZE_MAX);
      return NULL;
    }

  json_t *urls = json_object_get (obj, "urls");
  if (urls != NULL && !json_is_null (urls))
    {
      if (!check_string_array (obj, "urls", what, error))
        return NULL;
      size_t i;
      json_t *u;
      json_array_foreach (urls, i, u)
      {
        if (!is_uri (json_string_value (u)))
          {
            g_autofree char *quoted = berth_oci_quote (json_string_value (u), -1, QUOTE_MAX);
            doc_fail (error, BERTH_ERROR_FAILED, "%s: urls[%zu] %s is not a URL", what, i, quoted);
            return NULL;
          }
      }
    }

  if (!get_string (obj, "artifactType", FALSE, &artifact_type, what, error)
      || (artifact_type != NULL && !check_media_type (artifact_type, "artifactType", what, error)))
    return NULL;

  /* Embedded content (image-spec descriptor.md "data"): base64 that must be the blob. */
  if (!get_string (obj, "data", FALSE, &data, what, error))
    return NULL;
  if (data != NULL)
    {
      g_autofree guchar *decoded = NULL;
      gsize decoded_len = 0;
      if (!berth_oci_base64_decode_strict (data, strlen (data), &decoded, &decoded_len))
        {
          doc_fail (error, BERTH_ERROR_FAILED, "%s: \"data\" is not valid base64", what);
          return NULL;
        }
      g_autofree char *label = g_strdup_printf ("%s: \"data\"", what);
      if (!berth_digest_check_bytes (decoded, decoded_len, digest, n, label, error))
        return NULL;
    }

  g_autoptr (BerthDescriptor) desc = g_new0 (BerthDescriptor, 1);
  if (!get_string_map (obj, "annotations", &desc->annotations, what, error))
    return NULL;
  json_t *platform = json_object_get (obj, "platform");
  if (platform != NULL && !json_is_null (platform)
      && !parse_platform (platform, &desc->platform, what, error))
    return NULL;
  desc->media_type = g_strdup (media_type);
  desc->digest = g_strdup (digest);
  desc->size = n;
  desc->artifact_type = g_strdup (artifact_type);
  return g_steal_pointer (&desc);
}

BerthDescriptor *
berth_descriptor_parse (const char *data, gsize len, GError **error)
{
  g_autoptr (json_t) root = load_json (data, len, BERTH_OCI_MANIFEST_MAX, "Descriptor", error);
  if (root == NULL)
    return NULL;
  return parse_descriptor (root, DESC_STRICT, "Descriptor", error);
}

/* ---- kind detection -------------------------------------------------------------------------- */

static gboolean
detect_kind (json_t *root, const char *media_type, const char *what, BerthManifestKind *out_kind,
             GError **error)
{
  json_t *version = json_object_get (root, "schemaVersion");
  if (version == NULL || !json_is_integer (version))
    return doc_fail (error, BERTH_ERROR_FAILED, "%s has no integer \"schemaVersion\"", what);
  json_int_t v = json_integer_value (version);
  if (v == 1)
    {
      *out_kind = BERTH_MANIFEST_KIND_DOCKER_SCHEMA1;
      return TRUE;
    }
  if (v != 2)
    return doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                     "%s has schemaVersion %" G_GINT64_FORMAT "; berth reads version 2 "
                     "(OCI and Docker schema 2)",
                     what, (gint64)v);

  const char *own;
  if (!get_string (root, "mediaType", FALSE, &own, what, error))
    return FALSE;
  BerthManifestKind given = berth_manifest_kind_from_media_type (media_type);
  if (own != NULL)
    {
      BerthManifestKind k = berth_manifest_kind_from_media_type (own);
      if (k == BERTH_MANIFEST_KIND_UNKNOWN)
        {
          g_autofree char *quoted = berth_oci_quote (own, -1, QUOTE_MAX);
          return doc_fail (error,
                           berth_oci_media_type_is_valid (own) ? BERTH_ERROR_UNSUPPORTED_IMAGE
                                                               : BERTH_ERROR_FAILED,
                           "%s has mediaType %s, which is not an image manifest or index", what,
                           quoted);
        }
      if (given != BERTH_MANIFEST_KIND_UNKNOWN && given != k)
        return doc_fail (error, BERTH_ERROR_FAILED,
                         "%s was served as %s but says it is %s; refusing the ambiguity", what,
                         media_type, own);
      *out_kind = k;
      return TRUE;
    }
  if (given != BERTH_MANIFEST_KIND_UNKNOWN)
    {
      *out_kind = given;
      return TRUE;
    }
  /* containers/image GuessMIMEType: no mediaType, so the shape tells. */
  if (json_object_get (root, "manifests") != NULL)
    {
      *out_kind = BERTH_MANIFEST_KIND_OCI_INDEX;
      return TRUE;
    }
  json_t *config = json_object_get (root, "config");
  if (json_is_object (config))
    {
      const char *config_type = json_string_value (json_object_get (config, "mediaType"));
      *out_kind = g_strcmp0 (config_type, MT_DOCKER_CONFIG) == 0
                    ? BERTH_MANIFEST_KIND_DOCKER_MANIFEST
                    : BERTH_MANIFEST_KIND_OCI_MANIFEST;
      return TRUE;
    }
  return doc_fail (error, BERTH_ERROR_FAILED,
                   "%s is neither an image manifest nor an index (no \"config\", no "
                   "\"manifests\")",
                   what);
}

gboolean
berth_manifest_detect_kind (const char *data, gsize len, const char *media_type,
                            BerthManifestKind *out_kind, GError **error)
{
  g_autoptr (json_t) root = load_json (data, len, BERTH_OCI_MANIFEST_MAX, "Manifest", error);
  if (root == NULL)
    return FALSE;
  BerthManifestKind kind;
  if (!detect_kind (root, media_type, "Manifest", &kind, error))
    return FALSE;
  *out_kind = kind;
  return TRUE;
}

static gboolean
refuse_schema1 (GError **error)
{
  return doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                   "The image has a Docker schema 1 manifest, which berth does not read (Docker "
                   "deprecated it in 2017); push it again with a current tool, which writes "
                   "schema 2 or OCI manifests");
}

/* ---- manifests ------------------------------------------------------------------------------- */

void
berth_manifest_free (BerthManifest *manifest)
{
  if (manifest == NULL)
    return;
  berth_descriptor_free (manifest->config);
  g_clear_pointer (&manifest->layers, g_ptr_array_unref);
  g_clear_pointer (&manifest->annotations, g_hash_table_unref);
  g_free (manifest);
}

/* The layer media types berth unpacks, and how they are compressed. */
static const struct
{
  const char *media_type;
  BerthCompression compression;
} layer_types[] = {
  { "application/vnd.oci.image.layer.v1.tar", BERTH_COMPRESSION_NONE },
  { "application/vnd.oci.image.layer.v1.tar+gzip", BERTH_COMPRESSION_GZIP },
  { "application/vnd.oci.image.layer.v1.tar+zstd", BERTH_COMPRESSION_ZSTD },
  { "application/vnd.docker.image.rootfs.diff.tar", BERTH_COMPRESSION_NONE },
  { "application/vnd.docker.image.rootfs.diff.tar.gzip", BERTH_COMPRESSION_GZIP },
};

static gboolean
classify_layer (BerthDescriptor *layer, const char *what, GError **error)
{
  const char *mt = layer->media_type;
  for (gsize i = 0; i < G_N_ELEMENTS (layer_types); i++)
    if (g_str_equal (mt, layer_types[i].media_type))
      {
        layer->compression = layer_types[i].compression;
        return TRUE;
      }
  g_autofree char *quoted = berth_oci_quote (mt, -1, QUOTE_MAX);
  if (g_str_has_suffix (mt, "+encrypted"))
    return doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                     "%s is encrypted (%s); berth cannot decrypt image layers", what, quoted);
  if (g_str_has_prefix (mt, "application/vnd.oci.image.layer.nondistributable.")
      || g_str_has_prefix (mt, "application/vnd.docker.image.rootfs.foreign."))
    return doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                     "%s is a foreign (non-distributable) layer (%s), fetched from URLs outside "
                     "the registry; berth does not pull those",
                     what, quoted);
  return doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                   "%s has media type %s, which is not a filesystem layer (tar, tar+gzip or "
                   "tar+zstd)",
                   what, quoted);
}

/* The start both document parsers share: the JSON within the manifest cap, its kind (from
 * @media_type or the content), and schema1 refused. */
static json_t *
load_document (const char *data, gsize len, const char *media_type, const char *what,
               BerthManifestKind *out_kind, GError **error)
{
  g_autoptr (json_t) root = load_json (data, len, BERTH_OCI_MANIFEST_MAX, what, error);
  if (root == NULL)
    return NULL;
  BerthManifestKind kind;
  if (!detect_kind (root, media_type, what, &kind, error))
    return NULL;
  if (kind == BERTH_MANIFEST_KIND_DOCKER_SCHEMA1)
    {
      refuse_schema1 (error);
      return NULL;
    }
  *out_kind = kind;
  return g_steal_pointer (&root);
}

BerthManifest *
berth_manifest_parse (const char *data, gsize len, const char *media_type, GError **error)
{
  const char *what = "Manifest";
  BerthManifestKind kind;
  g_autoptr (json_t) root = load_document (data, len, media_type, what, &kind, error);
  if (root == NULL)
    return NULL;
  if (berth_manifest_kind_is_index (kind))
    {
      doc_fail (error, BERTH_ERROR_FAILED,
                "This is an image index (%s), not a manifest: select a platform's entry first",
                berth_manifest_kind_to_media_type (kind));
      return NULL;
    }

  /* Artifacts (image-spec manifest.md "Guidelines for Artifact Usage") are not images. */
  const char *artifact_type;
  if (!get_string (root, "artifactType", FALSE, &artifact_type, what, error))
    return NULL;
  if (artifact_type != NULL)
    {
      g_autofree char *quoted = berth_oci_quote (artifact_type, -1, QUOTE_MAX);
      doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                "This is an OCI artifact (artifactType %s), not a container image", quoted);
      return NULL;
    }
  json_t *config = json_object_get (root, "config");
  if (!json_is_object (config))
    {
      doc_fail (error, BERTH_ERROR_FAILED, "%s has no \"config\" object", what);
      return NULL;
    }
  const char *config_type;
  if (!get_string (config, "mediaType", TRUE, &config_type, "Manifest config", error)
      || !check_media_type (config_type, "mediaType", "Manifest config", error))
    return NULL;
  /* OCI: the config must be an image config, else it is an artifact (containers/image's
   * NonImageArtifactError). Docker schema 2: Docker's type, OCI's, or application/octet-stream,
   * which old Docker Hub manifests carry (image-spec's backwards-compatibility test). */
  gboolean image_config = g_str_equal (config_type, MT_OCI_CONFIG)
                          || (kind == BERTH_MANIFEST_KIND_DOCKER_MANIFEST
                              && (g_str_equal (config_type, MT_DOCKER_CONFIG)
                                  || g_str_equal (config_type, "application/octet-stream")));
  if (!image_config)
    {
      g_autofree char *quoted = berth_oci_quote (config_type, -1, QUOTE_MAX);
      doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                "This is an artifact, not a container image: its config has media type %s, not "
                "%s",
                quoted,
                kind == BERTH_MANIFEST_KIND_OCI_MANIFEST ? MT_OCI_CONFIG : MT_DOCKER_CONFIG);
      return NULL;
    }

  g_autoptr (BerthManifest) m = g_new0 (BerthManifest, 1);
  m->kind = kind;
  m->config = parse_descriptor (config, DESC_STRICT, "Manifest config", error);
  if (m->config == NULL)
    return NULL;

  json_t *layers = json_object_get (root, "layers");
  if (!json_is_array (layers))
    {
      doc_fail (error, BERTH_ERROR_FAILED, "%s has no \"layers\" array", what);
      return NULL;
    }
  size_t n_layers = json_array_size (layers);
  if (n_layers == 0)
    {
      doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                "The image has no layers, so no file system to install");
      return NULL;
    }
  if (n_layers > BERTH_OCI_LAYERS_MAX)
    {
      doc_fail (error, BERTH_ERROR_TOO_LARGE, "%s has %zu layers, more than the %d allowed", what,
                n_layers, BERTH_OCI_LAYERS_MAX);
      return NULL;
    }
  m->layers = g_ptr_array_new_full (n_layers, (GDestroyNotify)berth_descriptor_free);
  size_t i;
  json_t *l;
  json_array_foreach (layers, i, l)
  {
    g_autofree char *lwhat = g_strdup_printf ("Layer %zu", i + 1);
    BerthDescriptor *layer = parse_descriptor (l, DESC_STRICT, lwhat, error);
    if (layer == NULL)
      return NULL;
    g_ptr_array_add (m->layers, layer);
    if (!classify_layer (layer, lwhat, error))
      return NULL;
  }

  if (!get_string_map (root, "annotations", &m->annotations, what, error))
    return NULL;
  json_t *subject = json_object_get (root, "subject");
  if (subject != NULL && !json_is_null (subject))
    {
      g_autoptr (BerthDescriptor) s = parse_descriptor (subject, DESC_STRICT, "Subject", error);
      if (s == NULL)
        return NULL;
    }
  return g_steal_pointer (&m);
}

gint64
berth_manifest_get_layers_size (const BerthManifest *manifest)
{
  /* Cannot overflow: at most BERTH_OCI_LAYERS_MAX sizes of at most BERTH_OCI_BLOB_SIZE_MAX. */
  gint64 total = 0;
  for (guint i = 0; i < manifest->layers->len; i++)
    total += ((BerthDescriptor *)manifest->layers->pdata[i])->size;
  return total;
}

/* ---- indexes --------------------------------------------------------------------------------- */

void
berth_index_free (BerthIndex *index)
{
  if (index == NULL)
    return;
  g_clear_pointer (&index->manifests, g_ptr_array_unref);
  g_clear_pointer (&index->annotations, g_hash_table_unref);
  g_free (index);
}

BerthIndex *
berth_index_parse (const char *data, gsize len, const char *media_type, GError **error)
{
  const char *what = "Index";
  BerthManifestKind kind;
  g_autoptr (json_t) root = load_document (data, len, media_type, what, &kind, error);
  if (root == NULL)
    return NULL;
  if (!berth_manifest_kind_is_index (kind))
    {
      doc_fail (error, BERTH_ERROR_FAILED, "This is an image manifest (%s), not an index",
                berth_manifest_kind_to_media_type (kind));
      return NULL;
    }
  json_t *manifests = json_object_get (root, "manifests");
  if (!json_is_array (manifests))
    {
      doc_fail (error, BERTH_ERROR_FAILED, "%s has no \"manifests\" array", what);
      return NULL;
    }
  size_t n = json_array_size (manifests);
  if (n > BERTH_OCI_INDEX_MAX)
    {
      doc_fail (error, BERTH_ERROR_TOO_LARGE, "%s has %zu entries, more than the %d allowed", what,
                n, BERTH_OCI_INDEX_MAX);
      return NULL;
    }
  g_autoptr (BerthIndex) index = g_new0 (BerthIndex, 1);
  index->kind = kind;
  index->manifests = g_ptr_array_new_full (n, (GDestroyNotify)berth_descriptor_free);
  size_t i;
  json_t *e;
  json_array_foreach (manifests, i, e)
  {
    g_autofree char *ewhat = g_strdup_printf ("Index entry %zu", i + 1);
    BerthDescriptor *d = parse_descriptor (e, DESC_INDEX_ENTRY, ewhat, error);
    if (d == NULL)
      return NULL;
    g_ptr_array_add (index->manifests, d);
  }
  if (!get_string_map (root, "annotations", &index->annotations, what, error))
    return NULL;
  json_t *subject = json_object_get (root, "subject");
  if (subject != NULL && !json_is_null (subject))
    {
      g_autoptr (BerthDescriptor) s = parse_descriptor (subject, DESC_STRICT, "Subject", error);
      if (s == NULL)
        return NULL;
    }
  return g_steal_pointer (&index);
}

/* An entry berth can follow: a manifest or a nested index of a kind it reads. */
static gboolean
entry_usable (const BerthDescriptor *d)
{
  BerthManifestKind k = berth_manifest_kind_from_media_type (d->media_type);
  return k != BERTH_MANIFEST_KIND_UNKNOWN && k != BERTH_MANIFEST_KIND_DOCKER_SCHEMA1;
}

static gboolean
entry_is_attestation (const BerthDescriptor *d)
{
  if (g_strcmp0 (berth_descriptor_get_annotation (d, ANNOTATION_REFERENCE_TYPE),
                 "attestation-manifest")
      == 0)
    return TRUE;
  return d->platform != NULL && g_str_equal (d->platform->os, "unknown")
         && g_str_equal (d->platform->architecture, "unknown");
}

static gboolean
entry_is_zstd (const BerthDescriptor *d)
{
  return g_strcmp0 (berth_descriptor_get_annotation (d, ANNOTATION_ZSTD), "true") == 0;
}

/* containers/image's platform normalisation (internal/pkg/platform): spellings of one
 * architecture become its GOARCH name, and a variant that is the default is dropped or
 * written in one way. */
static void
normalize_platform (const char *arch, const char *variant, char **out_arch, char **out_variant)
{
  const char *a = arch;
  const char *v = variant ? variant : "";
  if (g_str_equal (a, "x86_64") || g_str_equal (a, "x86-64"))
    a = "amd64";
  else if (g_str_equal (a, "aarch64"))
    a = "arm64";
  else if (g_str_equal (a, "i386") || g_str_equal (a, "i686"))
    a = "386";
  else if (g_str_equal (a, "armhf"))
    {
      a = "arm";
      v = "v7";
    }
  else if (g_str_equal (a, "armel"))
    {
      a = "arm";
      v = "v6";
    }

  g_autofree char *vv = NULL;
  if (g_str_equal (a, "arm64") && (g_str_equal (v, "8") || g_str_equal (v, "v8")))
    v = "";
  else if (g_str_equal (a, "arm")
           && (g_str_equal (v, "5") || g_str_equal (v, "6") || g_str_equal (v, "7")
               || g_str_equal (v, "8")))
    v = vv = g_strconcat ("v", v, NULL);
  *out_arch = g_strdup (a);
  *out_variant = g_strdup (v);
}

/* The compatible variants, newest first (containers/image's compatibility table). */
static const char *const arm_variants[] = { "v8", "v7", "v6", "v5", NULL };

static gboolean
entry_matches (const BerthDescriptor *d, const char *os, const char *arch, const char *variant)
{
  if (d->platform == NULL || !g_str_equal (d->platform->os, os))
    return FALSE;
  g_autofree char *a = NULL, *v = NULL;
  normalize_platform (d->platform->architecture, d->platform->variant, &a, &v);
  return g_str_equal (a, arch) && g_str_equal (v, variant);
}

static char *
describe_platform (const BerthPlatform *p)
{
  if (p == NULL)
    return g_strdup ("(no platform)");
  if (p->variant != NULL && *p->variant != '\0')
    return g_strdup_printf ("%s/%s/%s", p->os, p->architecture, p->variant);
  return g_strdup_printf ("%s/%s", p->os, p->architecture);
}

/* Among the entries @match accepts, the first of the preferred compression, else the first. */
static const BerthDescriptor *
pick (const BerthIndex *index, const char *os, const char *arch, const char *variant,
      gboolean prefer_zstd, const BerthDescriptor **unusable)
{
  const BerthDescriptor *fallback = NULL;
  for (guint i = 0; i < index->manifests->len; i++)
    {
      const BerthDescriptor *d = index->manifests->pdata[i];
      if (entry_is_attestation (d))
        continue;
      gboolean match = arch != NULL ? entry_matches (d, os, arch, variant) : d->platform == NULL;
      if (!match)
        continue;
      if (!entry_usable (d))
        {
          if (*unusable == NULL)
            *unusable = d;
          continue;
        }
      if (entry_is_zstd (d) == prefer_zstd)
        return d;
      if (fallback == NULL)
        fallback = d;
    }
  return fallback;
}

const BerthDescriptor *
berth_index_select (const BerthIndex *index, const char *os, const char *architecture,
                    const char *variant, gboolean prefer_zstd, GError **error)
{
  g_autofree char *arch = NULL, *var = NULL;
  normalize_platform (architecture, variant, &arch, &var);

  /* containers/image WantedPlatforms: the variant asked for, older compatible ones, none. */
  g_autoptr (GPtrArray) wanted = g_ptr_array_new ();
  g_ptr_array_add (wanted, var);
  if (g_str_equal (arch, "arm"))
    for (guint i = 0; arm_variants[i] != NULL; i++)
      if (g_str_equal (arm_variants[i], var))
        {
          for (guint j = i + 1; arm_variants[j] != NULL; j++)
            g_ptr_array_add (wanted, (char *)arm_variants[j]);
          break;
        }
  if (*var != '\0')
    g_ptr_array_add (wanted, (char *)"");

  const BerthDescriptor *unusable = NULL;
  for (guint i = 0; i < wanted->len; i++)
    {
      const BerthDescriptor *d = pick (index, os, arch, wanted->pdata[i], prefer_zstd, &unusable);
      if (d != NULL)
        return d;
    }
  /* containers/image: an entry without a platform is the last resort. */
  const BerthDescriptor *d = pick (index, os, NULL, NULL, prefer_zstd, &unusable);
  if (d != NULL)
    return d;

  g_autofree char *want
    = *var ? g_strdup_printf ("%s/%s/%s", os, arch, var) : g_strdup_printf ("%s/%s", os, arch);
  if (unusable != NULL)
    {
      g_autofree char *quoted = berth_oci_quote (unusable->media_type, -1, QUOTE_MAX);
      doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                "The index's entry for %s is a %s, which berth does not read", want, quoted);
      return NULL;
    }
  g_autoptr (GString) have = g_string_new (NULL);
  for (guint i = 0; i < index->manifests->len; i++)
    {
      const BerthDescriptor *e = index->manifests->pdata[i];
      if (entry_is_attestation (e))
        continue;
      g_autofree char *p = describe_platform (e->platform);
      g_autofree char *quoted = berth_oci_quote (p, -1, 60);
      g_string_append_printf (have, "%s%s", have->len ? ", " : "", quoted);
    }
  doc_fail (error, BERTH_ERROR_NOT_FOUND, "The image has no entry for %s (it has: %s)", want,
            have->len ? have->str : "nothing");
  return NULL;
}

const BerthDescriptor *
berth_index_find_ref_name (const BerthIndex *index, const char *ref_name, GError **error)
{
  const BerthDescriptor *found = NULL;
  g_autoptr (GString) names = g_string_new (NULL);
  for (guint i = 0; i < index->manifests->len; i++)
    {
      const BerthDescriptor *d = index->manifests->pdata[i];
      const char *name = berth_descriptor_get_annotation (d, ANNOTATION_REF_NAME);
      if (name != NULL)
        {
          g_autofree char *quoted = berth_oci_quote (name, -1, 60);
          g_string_append_printf (names, "%s%s", names->len ? ", " : "", quoted);
        }
      if (ref_name != NULL && g_strcmp0 (name, ref_name) != 0)
        continue;
      if (found != NULL && !g_str_equal (found->digest, d->digest))
        {
          if (ref_name == NULL)
            doc_fail (error, BERTH_ERROR_INVALID_ARGUMENT,
                      "The layout holds %u images; name one (oci:DIR:NAME)", index->manifests->len);
          else
            {
              g_autofree char *quoted = berth_oci_quote (ref_name, -1, 60);
              doc_fail (error, BERTH_ERROR_FAILED,
                        "The layout names two different images %s; it is ambiguous", quoted);
            }
          return NULL;
        }
      if (found == NULL)
        found = d;
    }
  if (found == NULL)
    {
      if (ref_name == NULL)
        doc_fail (error, BERTH_ERROR_NOT_FOUND, "The layout holds no image");
      else
        {
          g_autofree char *quoted = berth_oci_quote (ref_name, -1, 60);
          doc_fail (error, BERTH_ERROR_NOT_FOUND, "The layout has no image named %s (it has: %s)",
                    quoted, names->len ? names->str : "no named images");
        }
      return NULL;
    }
  if (!entry_usable (found))
    {
      g_autofree char *quoted = berth_oci_quote (found->media_type, -1, QUOTE_MAX);
      doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                "The layout's image is a %s, which berth does not read", quoted);
      return NULL;
    }
  return found;
}

/* ---- platforms --------------------------------------------------------------------------------
 */

const char *
berth_oci_arch_from_uname (const char *machine)
{
  static const struct
  {
    const char *machine, *goarch;
  } table[] = {
    { "x86_64", "amd64" }, { "aarch64", "arm64" },   { "ppc64le", "ppc64le" },
    { "s390x", "s390x" },  { "riscv64", "riscv64" }, { "i386", "386" },
    { "i486", "386" },     { "i586", "386" },        { "i686", "386" },
    { "armv7l", "arm" },   { "armv6l", "arm" },      { "loongarch64", "loong64" },
    { "ppc64", "ppc64" },  { "mips64", "mips64" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_strcmp0 (machine, table[i].machine) == 0)
      return table[i].goarch;
  return NULL;
}

gboolean
berth_oci_host_platform (const char **out_architecture, const char **out_variant, GError **error)
{
  struct utsname u;
  if (uname (&u) < 0)
    return berth_throw_errno (error, "uname");
  const char *arch = berth_oci_arch_from_uname (u.machine);
  if (arch == NULL)
    {
      g_autofree char *quoted = berth_oci_quote (u.machine, -1, 60);
      return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                          "berth does not know this machine's architecture %s", quoted);
    }
  const char *variant = NULL;
  if (g_str_equal (arch, "arm64"))
    variant = "v8";
  else if (g_str_equal (u.machine, "armv7l"))
    variant = "v7";
  else if (g_str_equal (u.machine, "armv6l"))
    variant = "v6";
  *out_architecture = arch;
  *out_variant = variant;
  return TRUE;
}

/* ---- image configs ----------------------------------------------------------------------------
 */

void
berth_image_config_free (BerthImageConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->architecture);
  g_free (config->os);
  g_free (config->variant);
  g_free (config->os_version);
  g_clear_pointer (&config->labels, g_hash_table_unref);
  g_strfreev (config->diff_ids);
  g_free (config);
}

/* The container settings tools read back (image-spec config.md "config" properties). */
static gboolean
check_container_config (json_t *c, GError **error)
{
  const char *what = "Image config \"config\"";
  const char *s;
  if (!json_is_object (c))
    return doc_fail (error, BERTH_ERROR_FAILED, "%s is not an object", what);
  if (!get_string (c, "User", FALSE, &s, what, error)
      || !get_string (c, "WorkingDir", FALSE, &s, what, error)
      || !get_string (c, "StopSignal", FALSE, &s, what, error)
      || !check_string_array (c, "Env", what, error)
      || !check_string_array (c, "Entrypoint", what, error)
      || !check_string_array (c, "Cmd", what, error) || !check_object (c, "Volumes", what, error)
      || !check_object (c, "ExposedPorts", what, error))
    return FALSE;
  /* image-spec: Env entries are VARNAME=VARVALUE. */
  json_t *env = json_object_get (c, "Env");
  size_t i;
  json_t *e;
  json_array_foreach (env, i, e)
  {
    const char *v = json_string_value (e);
    const char *eq = strchr (v, '=');
    if (eq == NULL || eq == v)
      return doc_fail (error, BERTH_ERROR_FAILED, "%s: Env[%zu] is not NAME=VALUE", what, i);
  }
  return TRUE;
}

BerthImageConfig *
berth_image_config_parse (const char *data, gsize len, GError **error)
{
  const char *what = "Image config";
  g_autoptr (json_t) root = load_json (data, len, BERTH_OCI_CONFIG_MAX, what, error);
  if (root == NULL)
    return NULL;
  const char *arch, *os, *variant, *os_version;
  if (!get_string (root, "architecture", TRUE, &arch, what, error)
      || !get_string (root, "os", TRUE, &os, what, error)
      || !get_string (root, "variant", FALSE, &variant, what, error)
      || !get_string (root, "os.version", FALSE, &os_version, what, error)
      || !check_string_array (root, "os.features", what, error))
    return NULL;

  g_autoptr (BerthImageConfig) config = g_new0 (BerthImageConfig, 1);
  json_t *c = json_object_get (root, "config");
  if (c != NULL && !json_is_null (c))
    {
      if (!check_container_config (c, error)
          || !get_string_map (c, "Labels", &config->labels, "Image config \"config\"", error))
        return NULL;
    }
  if (config->labels == NULL)
    config->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  json_t *history = json_object_get (root, "history");
  if (history != NULL && !json_is_null (history))
    {
      if (!json_is_array (history))
        {
          doc_fail (error, BERTH_ERROR_FAILED, "%s: \"history\" is not an array", what);
          return NULL;
        }
      size_t i;
      json_t *h;
      json_array_foreach (history, i, h)
      {
        if (!json_is_object (h))
          {
            doc_fail (error, BERTH_ERROR_FAILED, "%s: history[%zu] is not an object", what, i);
            return NULL;
          }
      }
    }

  json_t *rootfs = json_object_get (root, "rootfs");
  if (!json_is_object (rootfs))
    {
      doc_fail (error, BERTH_ERROR_FAILED, "%s has no \"rootfs\" object", what);
      return NULL;
    }
  const char *type;
  if (!get_string (rootfs, "type", TRUE, &type, "Image config rootfs", error))
    return NULL;
  if (!g_str_equal (type, "layers"))
    {
      g_autofree char *quoted = berth_oci_quote (type, -1, QUOTE_MAX);
      doc_fail (error, BERTH_ERROR_UNSUPPORTED_IMAGE, "%s: rootfs type %s is not \"layers\"", what,
                quoted);
      return NULL;
    }
  json_t *diff_ids = json_object_get (rootfs, "diff_ids");
  if (!json_is_array (diff_ids))
    {
      doc_fail (error, BERTH_ERROR_FAILED, "%s: rootfs has no \"diff_ids\" array", what);
      return NULL;
    }
  if (json_array_size (diff_ids) > BERTH_OCI_LAYERS_MAX)
    {
      doc_fail (error, BERTH_ERROR_TOO_LARGE, "%s lists %zu layers, more than the %d allowed", what,
                json_array_size (diff_ids), BERTH_OCI_LAYERS_MAX);
      return NULL;
    }
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  size_t i;
  json_t *d;
  json_array_foreach (diff_ids, i, d)
  {
    if (!json_is_string (d) || !berth_digest_validate (json_string_value (d), error))
      {
        if (!json_is_string (d))
          doc_fail (error, BERTH_ERROR_FAILED, "%s: diff_ids[%zu] is not a string", what, i);
        else
          g_prefix_error (error, "%s: diff_ids[%zu]: ", what, i);
        return NULL;
      }
    g_ptr_array_add (ids, g_strdup (json_string_value (d)));
  }
  g_ptr_array_add (ids, NULL);

  config->architecture = g_strdup (arch);
  config->os = g_strdup (os);
  config->variant = g_strdup (variant);
  config->os_version = g_strdup (os_version);
  config->diff_ids = (GStrv)g_ptr_array_free (g_steal_pointer (&ids), FALSE);
  return g_steal_pointer (&config);
}

const char *
berth_image_config_get_label (const BerthImageConfig *config, const char *key)
{
  return g_hash_table_lookup (config->labels, key);
}

gboolean
berth_image_config_is_bootable (const BerthImageConfig *config)
{
  return g_hash_table_contains (config->labels, "containers.bootc")
         || g_hash_table_contains (config->labels, "ostree.bootable");
}

gboolean
berth_image_config_has_ostree_commit (const BerthImageConfig *config)
{
  return g_hash_table_contains (config->labels, "ostree.final-diffid")
         || g_hash_table_contains (config->labels, "ostree.commit");
}

gboolean
berth_image_config_get_ostree_last_layer (const BerthImageConfig *config,
                                          const BerthManifest *manifest, gint *out_last,
                                          GError **error)
{
  if (g_hash_table_contains (config->labels, "ostree.final-diffid"))
    {
      guint index = 0;
      if (!berth_image_config_get_ostree_final_layer (config, manifest, &index, error))
        return FALSE;
      *out_last = (gint)index;
    }
  else
    *out_last = g_hash_table_contains (config->labels, "ostree.commit") ? 0 : -1;
  return TRUE;
}

gboolean
berth_image_config_get_ostree_final_layer (const BerthImageConfig *config,
                                           const BerthManifest *manifest, guint *out_index,
                                           GError **error)
{
  const char *diffid = berth_image_config_get_label (config, "ostree.final-diffid");
  if (diffid == NULL)
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "The image has no ostree.final-diffid label, so no ostree commit");
  /* As ostree-ext: the layer it names must be one, or the split is ambiguous. */
  gint found = -1;
  for (guint i = 0; config->diff_ids[i] != NULL; i++)
    if (g_str_equal (config->diff_ids[i], diffid))
      {
        if (found >= 0)
          return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                              "ostree.final-diffid names layers %d and %u (the same diff_id); "
                              "the image's ostree layers are ambiguous",
                              found + 1, i + 1);
        found = (gint)i;
      }
  if (found >= 0)
    {
      if ((guint)found >= manifest->layers->len)
        return berth_throw (error, BERTH_ERROR_FAILED,
                            "ostree.final-diffid is layer %d, but the manifest has only %u",
                            found + 1, manifest->layers->len);
      *out_index = (guint)found;
      return TRUE;
    }
  g_autofree char *quoted = berth_oci_quote (diffid, -1, QUOTE_MAX);
  return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                      "ostree.final-diffid %s is none of the image's rootfs.diff_ids", quoted);
}

gboolean
berth_image_config_check_platform (const BerthImageConfig *config, const char *os,
                                   const char *architecture, const char *variant, GError **error)
{
  g_autofree char *ca = NULL, *cv = NULL, *wa = NULL, *wv = NULL;
  normalize_platform (config->architecture, config->variant, &ca, &cv);
  normalize_platform (architecture, variant, &wa, &wv);
  if (g_str_equal (config->os, os) && g_str_equal (ca, wa)
      && (*cv == '\0' || *wv == '\0' || g_str_equal (cv, wv)))
    return TRUE;
  g_autofree char *have = g_strdup_printf ("%s/%s%s%s", config->os, ca, *cv ? "/" : "", cv);
  g_autofree char *quoted = berth_oci_quote (have, -1, 60);
  return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                      "The image is for %s, not for this machine (%s/%s%s%s)", quoted, os, wa,
                      *wv ? "/" : "", wv);
}

gboolean
berth_image_check_diff_ids (const BerthManifest *manifest, const BerthImageConfig *config,
                            GError **error)
{
  guint n = g_strv_length (config->diff_ids);
  if (n != manifest->layers->len)
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "The manifest has %u layers but the config's rootfs.diff_ids lists %u",
                        manifest->layers->len, n);
  return TRUE;
}
