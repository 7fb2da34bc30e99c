/* Manifests, indexes and image configs (OCI image-spec 1.1 and Docker image manifest v2
 * schema 2), parsed from untrusted bytes with jansson.
 *
 * Only what berth installs is accepted: an image manifest whose config is an image config and
 * whose layers are tar, tar+gzip or tar+zstd. Docker schema 1, artifacts, encrypted and foreign
 * (non-distributable) layers are refused with BERTH_ERROR_UNSUPPORTED_IMAGE, a document that is
 * broken (bad JSON, wrong types, malformed digests or media types) with BERTH_ERROR_FAILED,
 * and anything over its size cap with BERTH_ERROR_TOO_LARGE. JSON objects with a key given
 * twice are refused: two parsers must not see two different manifests in the same bytes.
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

/* The annotation that names a manifest in an OCI layout's index.json. */
#define BERTH_OCI_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

/* Size caps, checked before parsing. OCI distribution spec: registries SHOULD accept
 * manifests up to 4 MiB, and containers/image refuses bigger ones. Image configs carry the
 * history and labels; 8 MiB is containers/image's iolimits.MaxConfigBodySize too. */
#define BERTH_OCI_MANIFEST_MAX (4 * 1024 * 1024)
#define BERTH_OCI_CONFIG_MAX   (8 * 1024 * 1024)
/* Layers per manifest: chunked ostree images have ~50-100; overlayfs stacks stop at 128
 * lower layers anyway. With the size cap below, 1024 layers still sum well inside gint64. */
#define BERTH_OCI_LAYERS_MAX 1024
/* Entries in one index (a platform list or an OCI layout's index.json). */
#define BERTH_OCI_INDEX_MAX 4096
/* A blob size beyond any disk berth could write to (4 PiB), so sums cannot overflow. A size
 * below it that does not fit on the target is the disk plan's error (DISK_TOO_SMALL). */
#define BERTH_OCI_BLOB_SIZE_MAX (G_GINT64_CONSTANT (1) << 52)

typedef enum
{
  BERTH_MANIFEST_KIND_UNKNOWN,
  BERTH_MANIFEST_KIND_OCI_MANIFEST,    /* application/vnd.oci.image.manifest.v1+json */
  BERTH_MANIFEST_KIND_OCI_INDEX,       /* application/vnd.oci.image.index.v1+json */
  BERTH_MANIFEST_KIND_DOCKER_MANIFEST, /* application/vnd.docker.distribution.manifest.v2+json */
  BERTH_MANIFEST_KIND_DOCKER_LIST, /* application/vnd.docker.distribution.manifest.list.v2+json */
  BERTH_MANIFEST_KIND_DOCKER_SCHEMA1, /* ...manifest.v1+json and +prettyjws: refused */
} BerthManifestKind;

/* The media type of a kind (NULL for UNKNOWN), and back (UNKNOWN for anything else). */
const char *berth_manifest_kind_to_media_type (BerthManifestKind kind);
BerthManifestKind berth_manifest_kind_from_media_type (const char *media_type);
/* Short names for messages and logs: "oci-manifest", "docker-list", ... */
const char *berth_manifest_kind_to_string (BerthManifestKind kind);
gboolean berth_manifest_kind_is_index (BerthManifestKind kind);

/* What kind of document @data is. @media_type is what the bytes were served or described as
 * (a Content-Type or a descriptor's mediaType), or NULL; generic types like application/json
 * are ignored. The document's own mediaType wins; without one, the shape decides as in
 * containers/image's GuessMIMEType ("manifests" is an OCI index; a "config" whose mediaType is
 * Docker's is a Docker manifest, otherwise OCI). A document that names a different manifest
 * type than it was served as is refused. */
gboolean berth_manifest_detect_kind (const char *data, gsize len, const char *media_type,
                                     BerthManifestKind *out_kind, GError **error);

typedef enum
{
  BERTH_COMPRESSION_NONE,
  BERTH_COMPRESSION_GZIP,
  BERTH_COMPRESSION_ZSTD,
} BerthCompression;

const char *berth_compression_to_string (BerthCompression compression);

typedef struct
{
  char *architecture; /* GOARCH names: amd64, arm64, ppc64le, s390x, riscv64, 386, arm */
  char *os;
  char *variant;    /* NULL when absent */
  char *os_version; /* NULL when absent */
} BerthPlatform;

/* A content descriptor (image-spec descriptor.md): a config, a layer or an index entry. */
typedef struct
{
  char *media_type;
  char *digest;                 /* a valid sha256 digest */
  gint64 size;                  /* 0 .. BERTH_OCI_BLOB_SIZE_MAX */
  char *artifact_type;          /* NULL when absent */
  GHashTable *annotations;      /* string -> string; NULL when absent */
  BerthPlatform *platform;      /* index entries; NULL when absent */
  BerthCompression compression; /* layers only */
} BerthDescriptor;

void berth_descriptor_free (BerthDescriptor *desc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthDescriptor, berth_descriptor_free)

/* An annotation's value, or NULL. */
const char *berth_descriptor_get_annotation (const BerthDescriptor *desc, const char *key);

/* A bare descriptor document (the image-spec's descriptor schema): mediaType, digest and size
 * required; urls, data (strict base64 matching digest and size), artifactType, annotations and
 * platform checked when present. */
BerthDescriptor *berth_descriptor_parse (const char *data, gsize len, GError **error);

typedef struct
{
  BerthManifestKind kind; /* OCI_MANIFEST or DOCKER_MANIFEST */
  BerthDescriptor *config;
  GPtrArray *layers;       /* BerthDescriptor*, base layer first; never empty */
  GHashTable *annotations; /* NULL when absent */
} BerthManifest;

void berth_manifest_free (BerthManifest *manifest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthManifest, berth_manifest_free)

/* An image manifest. An index is refused (BERTH_ERROR_FAILED: select an entry first). */
BerthManifest *berth_manifest_parse (const char *data, gsize len, const char *media_type,
                                     GError **error);

/* The sum of the layers' sizes (compressed, as fetched). */
gint64 berth_manifest_get_layers_size (const BerthManifest *manifest);

typedef struct
{
  BerthManifestKind kind;  /* OCI_INDEX or DOCKER_LIST */
  GPtrArray *manifests;    /* BerthDescriptor*, in document order */
  GHashTable *annotations; /* NULL when absent */
} BerthIndex;

void berth_index_free (BerthIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthIndex, berth_index_free)

/* An image index or manifest list. Entries whose mediaType is not a manifest berth reads are
 * kept (containers/image tolerates them too: an index may list an SBOM or an unknown type);
 * selecting one is the error. */
BerthIndex *berth_index_parse (const char *data, gsize len, const char *media_type, GError **error);

/* The entry to pull for a platform, as containers/image chooses (platform.WantedPlatforms):
 * OS and architecture equal, then the variant: the exact one, then older compatible ones
 * (arm: v8 > v7 > v6 > v5), then an entry without a variant; arm64's v8 is its default.
 * Attestations (vnd.docker.reference.type "attestation-manifest", platform unknown/unknown)
 * are skipped. Among equal matches, a gzip entry wins over one marked
 * io.github.containers.compression.zstd unless @prefer_zstd. Entries without a platform are the
 * fallback when nothing matches. No match is BERTH_ERROR_NOT_FOUND listing what the index
 * has; a match berth cannot read (schema 1) is BERTH_ERROR_UNSUPPORTED_IMAGE. */
const BerthDescriptor *berth_index_select (const BerthIndex *index, const char *os,
                                           const char *architecture, const char *variant,
                                           gboolean prefer_zstd, GError **error);

/* The entry tagged @ref_name (annotation org.opencontainers.image.ref.name), as an OCI layout's
 * index.json names its images; with @ref_name NULL, the only entry. Not found, or several
 * different images under one name, is an error that lists the names there are. */
const BerthDescriptor *berth_index_find_ref_name (const BerthIndex *index, const char *ref_name,
                                                  GError **error);

/* The GOARCH name for a uname(2) machine name (x86_64 -> amd64, aarch64 -> arm64, ...),
 * NULL when berth does not know it. */
const char *berth_oci_arch_from_uname (const char *machine);
/* This machine's platform: "linux", its GOARCH name, and its variant ("v8" on arm64; NULL
 * elsewhere). FALSE with BERTH_ERROR_UNSUPPORTED_IMAGE on an unknown machine. */
gboolean berth_oci_host_platform (const char **out_architecture, const char **out_variant,
                                  GError **error);

/* The image config (image-spec config.md). */
typedef struct
{
  char *architecture;
  char *os;
  char *variant;      /* NULL when absent */
  char *os_version;   /* NULL when absent */
  GHashTable *labels; /* config.Labels, string -> string; empty when absent */
  GStrv diff_ids;     /* rootfs.diff_ids: uncompressed layer digests, base first */
} BerthImageConfig;

void berth_image_config_free (BerthImageConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthImageConfig, berth_image_config_free)

/* Also checks the types of the fields tools read back later (config.User, Env as KEY=VALUE,
 * Volumes, history, ...): the config is stored in the ostree commit, and bootc parses it
 * again on every upgrade. */
BerthImageConfig *berth_image_config_parse (const char *data, gsize len, GError **error);

const char *berth_image_config_get_label (const BerthImageConfig *config, const char *key);

/* Labels "containers.bootc" or "ostree.bootable" present, as ostree-ext's require_bootable
 * checks (store.rs: presence, whatever the value). */
gboolean berth_image_config_is_bootable (const BerthImageConfig *config);

/* The image carries an ostree commit in its first layers: label "ostree.final-diffid" (the
 * chunked form) or "ostree.commit" (the older single-layer form). */
gboolean berth_image_config_has_ostree_commit (const BerthImageConfig *config);

/* For an image with an ostree commit: the index in @manifest's layers of the last layer the
 * commit owns (where ostree.final-diffid sits in rootfs.diff_ids); later layers are derived
 * content. BERTH_ERROR_UNSUPPORTED_IMAGE when the label is missing or names no layer. */
gboolean berth_image_config_get_ostree_final_layer (const BerthImageConfig *config,
                                                    const BerthManifest *manifest, guint *out_index,
                                                    GError **error);

/* The index of the last layer that carries the ostree commit, as ostree-ext reads an image:
 * with ostree.final-diffid, the layer it names (berth_image_config_get_ostree_final_layer);
 * with only ostree.commit (the older form), 0, the layer that is the whole commit; with
 * neither, -1 (a plain image: every layer a filesystem tar). */
gboolean berth_image_config_get_ostree_last_layer (const BerthImageConfig *config,
                                                   const BerthManifest *manifest, gint *out_last,
                                                   GError **error);

/* The config's OS and architecture (and variant, when both name one) against the wanted
 * platform: an image for another machine is BERTH_ERROR_UNSUPPORTED_IMAGE. */
gboolean berth_image_config_check_platform (const BerthImageConfig *config, const char *os,
                                            const char *architecture, const char *variant,
                                            GError **error);

/* rootfs.diff_ids has one entry per manifest layer (image-spec config.md). */
gboolean berth_image_check_diff_ids (const BerthManifest *manifest, const BerthImageConfig *config,
                                     GError **error);

G_END_DECLS
