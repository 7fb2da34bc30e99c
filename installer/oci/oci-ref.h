/* Image references: what the user (or a kickstart) names an image by.
 *
 * Accepted, as containers-transports(5) and ostree-ext (bootc) spell them:
 * - docker://HOST[:PORT]/NAME[:TAG][@DIGEST], and registry:... (an alias, shown as docker://)
 * - HOST[:PORT]/NAME[:TAG][@DIGEST] without a transport, as kickstarts and bootc write it
 * - oci:DIR[:REF] and oci-archive:FILE[:REF] (REF: the org.opencontainers.image.ref.name)
 * - ostree-unverified-registry:NAME and ostree-unverified-image:TRANSPORT:NAME
 * - ostree-image-signed:TRANSPORT:NAME
 * - ostree-remote-registry:REMOTE:NAME and ostree-remote-image:REMOTE:TRANSPORT:NAME
 *
 * A registry name follows the docker reference grammar (distribution/reference): the first
 * component is the registry when it contains '.' or ':', is "localhost", or has upper case
 * letters. Any other name is a short name ("fedora:41", "myorg/app"). Written bare, a short
 * name is resolved only through containers-registries.conf(5)'s unqualified-search-registries;
 * after a transport (docker://fedora, which skopeo reads as Docker Hub's) it is an error. Never
 * silently docker.io. Names that say docker.io are normalised as containers/image does
 * (docker.io/fedora is the repository library/fedora on registry-1.docker.io).
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

typedef enum
{
  BERTH_TRANSPORT_REGISTRY,
  BERTH_TRANSPORT_OCI,
  BERTH_TRANSPORT_OCI_ARCHIVE,
} BerthTransport;

/* "registry", "oci", "oci-archive" (ostree-ext's serializable names). */
const char *berth_transport_to_string (BerthTransport transport);

/* The ostree signature policy prefix (ostree-ext's SignatureSource). */
typedef enum
{
  BERTH_SIGVERIFY_NONE,       /* no ostree- prefix was written */
  BERTH_SIGVERIFY_UNVERIFIED, /* ostree-unverified-registry: / ostree-unverified-image: */
  BERTH_SIGVERIFY_SIGNED,     /* ostree-image-signed: (containers-policy.json) */
  BERTH_SIGVERIFY_REMOTE,     /* ostree-remote-registry: / ostree-remote-image: (ostree remote) */
} BerthSigverify;

const char *berth_sigverify_to_string (BerthSigverify sigverify);

/* Limits of the docker reference grammar (distribution/reference). */
#define BERTH_IMAGE_NAME_MAX 255 /* HOST/NAME, without tag and digest */
#define BERTH_IMAGE_TAG_MAX  128

typedef struct
{
  BerthTransport transport;
  BerthSigverify sigverify;
  char *remote; /* the ostree remote for BERTH_SIGVERIFY_REMOTE, else NULL */

  /* Everything after the transport, as written (a short name replaced by its first
   * candidate): "quay.io/fedora/fedora-bootc:41", "/srv/layout:stable". */
  char *name;

  /* registry transport */
  char *registry;   /* HOST[:PORT] as written; "docker.io" for index.docker.io */
  char *api_host;   /* where to connect: registry-1.docker.io for docker.io, else registry */
  char *repository; /* "fedora/fedora-bootc"; "library/fedora" for docker.io/fedora */
  char *tag;        /* NULL when none was written; for oci/oci-archive the REF, or NULL */
  char *digest;     /* NULL when none was written */

  /* oci and oci-archive transports: the directory or archive */
  char *path;

  /* A short name resolved through unqualified-search-registries: every candidate, in order
   * ("quay.io/fedora:41", "docker.io/library/fedora:41"); the caller tries each until one
   * exists, re-parsing it. NULL for a fully qualified name. */
  GStrv candidates;
} BerthImageRef;

void berth_image_ref_free (BerthImageRef *ref);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthImageRef, berth_image_ref_free)

/* Parses @input. @search_registries (NULL-terminated, may be NULL) is
 * unqualified-search-registries, for bare short names; without it a short name is an error that
 * says what to write.
 * Errors are BERTH_ERROR_INVALID_ARGUMENT and quote the input. Signed references parse (so
 * they can be shown and written back); berth_image_ref_check_pullable refuses them. */
BerthImageRef *berth_image_ref_parse (const char *input, const char *const *search_registries,
                                      GError **error);

/* TRUE when @input is a registry short name, i.e. parsing it needs unqualified-search-
 * registries (so the caller reads registries.conf only when it matters). */
gboolean berth_image_ref_is_short_name (const char *input);

/* The container image reference, canonical transport and the name as written:
 * "docker://quay.io/x/y:tag", "oci:/srv/layout", "oci-archive:/tmp/a.ociarchive:tag".
 * This is what the ostree/container/image/ ref escapes (ostree-ext's ImageReference). */
char *berth_image_ref_to_string (const BerthImageRef *ref);

/* The origin file's `container-image-reference=` value (ostree-ext's OstreeImageReference):
 * "ostree-unverified-registry:NAME" for an unverified registry image (also when no prefix was
 * written), "ostree-unverified-image:oci:PATH", "ostree-image-signed:docker://NAME",
 * "ostree-remote-image:REMOTE:docker://NAME". Parsing it gives back the same reference. */
char *berth_image_ref_to_origin_string (const BerthImageRef *ref);

/* "ostree/container/image/<escaped berth_image_ref_to_string>". */
char *berth_image_ref_to_ostree_ref (const BerthImageRef *ref, GError **error);

/* The token scope for pulling: "repository:library/fedora:pull". Registry references only. */
char *berth_image_ref_get_scope (const BerthImageRef *ref);

/* What to ask the registry's /v2/NAME/manifests/ for: the digest when one was written, else
 * the tag, else "latest". Registry references only. */
const char *berth_image_ref_get_manifest_reference (const BerthImageRef *ref);

/* The check the pull makes before fetching anything: berth verifies no containers-policy.json
 * signatures yet, so an ostree-image-signed: reference is BERTH_ERROR_REFUSED ("not supported
 * yet") instead of being pulled unverified. ostree-remote-*: references pass: the import
 * verifies the commit's GPG signature with the remote's keys. */
gboolean berth_image_ref_check_pullable (const BerthImageRef *ref, GError **error);

/* unqualified-search-registries from containers-registries.conf(5): @conf_path (NULL:
 * /etc/containers/registries.conf), then the *.conf files of @conf_d_path (NULL:
 * /etc/containers/registries.conf.d) in name order, a later file's list replacing an earlier
 * one. Missing files are fine (an empty list); unreadable or malformed ones are
 * BERTH_ERROR_INVALID_ARGUMENT. */
gboolean berth_registries_conf_load_search (const char *conf_path, const char *conf_d_path,
                                            GStrv *out_registries, GError **error);

G_END_DECLS
