/* Image sources: registry, oci: layout (see oci-source.h). */
#include "oci-source.h"

#include <string.h>

#include "oci-archive.h"
#include "oci-auth.h"
#include "oci-digest.h"

struct BerthImageSource
{
  BerthImageRef *ref; /* the reference resolved (a short name's winning candidate) */
  BerthRegistry *registry;
  char *layout_dir;   /* oci:, or the extracted metadata of oci-archive: */
  char *archive_path; /* oci-archive: */
  BerthResolvedImage *image;
  GBytes *raw_manifest;
  char *raw_media_type;
};

void
berth_image_source_free (BerthImageSource *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->ref, berth_image_ref_free);
  g_clear_pointer (&self->registry, berth_registry_free);
  g_clear_pointer (&self->image, berth_resolved_image_free);
  g_clear_pointer (&self->raw_manifest, g_bytes_unref);
  if (self->archive_path != NULL)
    berth_oci_archive_remove_metadata (self->layout_dir);
  g_free (self->layout_dir);
  g_free (self->archive_path);
  g_free (self->raw_media_type);
  g_free (self);
}

const BerthImageRef *
berth_image_source_get_ref (BerthImageSource *self)
{
  return self->ref;
}

const BerthResolvedImage *
berth_image_source_get_image (BerthImageSource *self)
{
  return self->image;
}

GBytes *
berth_image_source_get_raw_manifest (BerthImageSource *self)
{
  return self->raw_manifest;
}

const char *
berth_image_source_get_raw_media_type (BerthImageSource *self)
{
  return self->raw_media_type;
}

void
berth_image_source_get_stats (BerthImageSource *self, BerthRegistryStats *out_stats)
{
  if (self->registry != NULL)
    berth_registry_get_stats (self->registry, out_stats);
  else
    memset (out_stats, 0, sizeof *out_stats);
}

/* ---- the verified stream ------------------------------------------------------------------ */

typedef struct
{
  GFilterInputStream parent;
  BerthDigest *digest;
  char *expected;
  gint64 size;
  gboolean verified;
} VerifiedStream;

typedef GFilterInputStreamClass VerifiedStreamClass;
static GType verified_stream_get_type (void);
G_DEFINE_TYPE (VerifiedStream, verified_stream, G_TYPE_FILTER_INPUT_STREAM)

static gssize
verified_stream_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                      GError **error)
{
  VerifiedStream *self = (VerifiedStream *)stream;
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  if (self->verified)
    return 0;
  gssize n = g_input_stream_read (base, buffer, count, cancellable, error);
  if (n < 0)
    return -1;
  if (n > 0)
    {
      if (self->size >= 0
          && berth_digest_get_size (self->digest) + (guint64)n > (guint64)self->size)
        return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                            "Blob %s is larger than the %" G_GINT64_FORMAT
                            " bytes its descriptor declares",
                            self->expected, self->size),
               -1;
      berth_digest_update (self->digest, buffer, (gsize)n);
      return n;
    }
  /* EOF: only now is the blob known good. */
  g_autofree char *what = g_strdup_printf ("Blob %s", self->expected);
  if (!berth_digest_verify (self->digest, self->expected, self->size, what, error))
    return -1;
  self->verified = TRUE;
  return 0;
}

static void
verified_stream_finalize (GObject *object)
{
  VerifiedStream *self = (VerifiedStream *)object;
  berth_digest_free (self->digest);
  g_free (self->expected);
  G_OBJECT_CLASS (verified_stream_parent_class)->finalize (object);
}

static void
verified_stream_class_init (VerifiedStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = verified_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = verified_stream_read;
}

static void
verified_stream_init (VerifiedStream *self)
{
  self->digest = berth_digest_new ();
}

GInputStream *
berth_verified_stream_new (GInputStream *base, const char *digest, gint64 size)
{
  VerifiedStream *self = g_object_new (verified_stream_get_type (), "base-stream", base,
                                       "close-base-stream", TRUE, NULL);
  self->expected = g_strdup (digest);
  self->size = size;
  return (GInputStream *)self;
}

/* ---- registry --------------------------------------------------------------------------- */

/* The platform asked for, else the running machine's. */
static gboolean
wanted_platform (const BerthSourceOptions *options, const char **out_os, const char **out_arch,
                 const char **out_variant, GError **error)
{
  const char *arch = options->architecture;
  const char *variant = options->variant;
  if (arch == NULL)
    {
      if (!berth_oci_host_platform (&arch, &variant, error))
        return FALSE;
    }
  else
    {
      /* --arch x86_64 and --arch amd64 are the same thing. */
      const char *mapped = berth_oci_arch_from_uname (arch);
      if (mapped != NULL)
        arch = mapped;
    }
  *out_os = options->os ? options->os : "linux";
  *out_arch = arch;
  *out_variant = variant;
  return TRUE;
}

static gboolean
fetch_checked_manifest (BerthRegistry *registry, const BerthImageRef *ref, const char *reference,
                        const char *expected_digest, GBytes **out_bytes, char **out_media_type,
                        char **out_digest, GCancellable *cancellable, GError **error)
{
  g_autofree char *media_type = NULL;
  g_autofree char *header_digest = NULL;
  g_autoptr (GBytes) bytes
    = berth_registry_get_manifest (registry, ref->repository, reference, BERTH_OCI_MANIFEST_MAX,
                                   &media_type, &header_digest, cancellable, error);
  if (bytes == NULL)
    return FALSE;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  /* The digest is of the exact bytes served, never of a re-serialisation. */
  g_autofree char *digest = berth_digest_bytes (data, len);
  if (expected_digest != NULL && !g_str_equal (digest, expected_digest))
    return berth_throw (error, BERTH_ERROR_DIGEST_MISMATCH,
                        "Manifest %s/%s@%s: the registry served bytes with digest %s",
                        ref->registry, ref->repository, expected_digest, digest);
  if (header_digest != NULL && berth_digest_is_valid (header_digest)
      && !g_str_equal (header_digest, digest))
    g_debug ("%s: Docker-Content-Digest %s differs from the content's %s", reference, header_digest,
             digest);
  *out_bytes = g_steal_pointer (&bytes);
  *out_media_type = g_steal_pointer (&media_type);
  *out_digest = g_steal_pointer (&digest);
  return TRUE;
}

BerthRegistry *
berth_source_options_new_registry (const BerthSourceOptions *options, const BerthImageRef *ref,
                                   GError **error)
{
  g_return_val_if_fail (ref->transport == BERTH_TRANSPORT_REGISTRY, NULL);
  const char *creds_option
    = options->registry.creds_option ? options->registry.creds_option : "--creds";
  const char *authfile_option
    = options->registry.authfile_option ? options->registry.authfile_option : "--authfile";
  /* Credentials: --creds, else the auth files (containers-auth.json(5)). */
  g_autofree char *authfile_creds = NULL;
  /* which credentials, for messages: the user name and where it came from, never the secret */
  g_autofree char *creds_from = NULL;
  if (options->creds == NULL)
    {
      g_autoptr (BerthAuthFiles) files = berth_auth_files_new_default (options->authfile);
      g_autoptr (BerthCredentials) creds = NULL;
      if (!berth_auth_files_lookup (files, ref->registry, ref->repository, &creds, error))
        return NULL;
      if (creds != NULL)
        {
          authfile_creds = berth_credentials_to_string (creds);
          creds_from = g_strdup_printf ("user '%s' from %s", creds->username, creds->source);
        }
      else if (files->explicit_path != NULL)
        creds_from = g_strdup_printf ("no credentials (%s has none for %s)", files->explicit_path,
                                      ref->registry);
      else
        creds_from = g_strdup_printf ("no credentials (none given with %s or %s, and none "
                                      "for this registry in the default auth files)",
                                      creds_option, authfile_option);
    }
  else
    {
      const char *colon = strchr (options->creds, ':');
      g_autofree char *user
        = colon ? g_strndup (options->creds, colon - options->creds) : g_strdup ("?");
      creds_from = g_strdup_printf ("user '%s' from %s", user, creds_option);
    }
  BerthRegistryOptions ropts = options->registry;
  ropts.creds = options->creds;
  ropts.authfile_creds = authfile_creds;
  ropts.creds_description = creds_from;
  BerthRegistry *registry
    = berth_registry_new (ref->api_host ? ref->api_host : ref->registry, &ropts, error);
  if (authfile_creds != NULL)
    explicit_bzero (authfile_creds, strlen (authfile_creds));
  return registry;
}

static gboolean
resolve_registry (BerthImageSource *self, const BerthSourceOptions *options,
                  GCancellable *cancellable, GError **error)
{
  const BerthImageRef *ref = self->ref;
  BERTH_AUTO_PREFIX_ERROR (error, "Image %s/%s", ref->registry, ref->repository);

  self->registry = berth_source_options_new_registry (options, ref, error);
  if (self->registry == NULL)
    return FALSE;

  const char *reference = berth_image_ref_get_manifest_reference (ref);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *media_type = NULL;
  g_autofree char *digest = NULL;
  if (!fetch_checked_manifest (self->registry, ref, reference, ref->digest, &bytes, &media_type,
                               &digest, cancellable, error))
    return FALSE;
  self->raw_manifest = g_bytes_ref (bytes);

  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  BerthManifestKind kind;
  if (!berth_manifest_detect_kind (data, len, media_type, &kind, error))
    return FALSE;
  self->raw_media_type = g_strdup (berth_manifest_kind_to_media_type (kind));

  if (berth_manifest_kind_is_index (kind))
    {
      const char *os, *arch, *variant;
      if (!wanted_platform (options, &os, &arch, &variant, error))
        return FALSE;
      g_autoptr (BerthIndex) index = berth_index_parse (data, len, media_type, error);
      if (index == NULL)
        return FALSE;
      const BerthDescriptor *desc = berth_index_select (index, os, arch, variant, FALSE, error);
      if (desc == NULL)
        return FALSE;
      g_autoptr (GBytes) mbytes = NULL;
      g_autofree char *mtype = NULL;
      g_autofree char *mdigest = NULL;
      if (!fetch_checked_manifest (self->registry, ref, desc->digest, desc->digest, &mbytes, &mtype,
                                   &mdigest, cancellable, error))
        return FALSE;
      if ((gint64)g_bytes_get_size (mbytes) != desc->size)
        return berth_throw (error, BERTH_ERROR_DIGEST_MISMATCH,
                            "Manifest %s: the index declares %" G_GINT64_FORMAT
                            " bytes, the registry served %" G_GSIZE_FORMAT,
                            desc->digest, desc->size, g_bytes_get_size (mbytes));
      g_clear_pointer (&bytes, g_bytes_unref);
      bytes = g_steal_pointer (&mbytes);
      g_free (media_type);
      media_type = g_steal_pointer (&mtype);
      g_free (digest);
      digest = g_steal_pointer (&mdigest);
      data = g_bytes_get_data (bytes, &len);
    }

  g_autoptr (BerthResolvedImage) image = g_new0 (BerthResolvedImage, 1);
  image->manifest = berth_manifest_parse (data, len, media_type, error);
  if (image->manifest == NULL)
    return FALSE;
  image->manifest_digest = g_steal_pointer (&digest);
  image->manifest_bytes = g_steal_pointer (&bytes);

  const BerthDescriptor *cdesc = image->manifest->config;
  if (cdesc->size > BERTH_OCI_CONFIG_MAX)
    return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                        "Config %s is %" G_GINT64_FORMAT " bytes; berth reads at most %d",
                        cdesc->digest, cdesc->size, BERTH_OCI_CONFIG_MAX);
  image->config_bytes = berth_registry_get_blob (self->registry, ref->repository, cdesc->digest,
                                                 BERTH_OCI_CONFIG_MAX, cancellable, error);
  if (image->config_bytes == NULL)
    return FALSE;
  const char *cdata = g_bytes_get_data (image->config_bytes, &len);
  g_autofree char *what = g_strdup_printf ("Config %s", cdesc->digest);
  if (!berth_digest_check_bytes (cdata, len, cdesc->digest, cdesc->size, what, error))
    return FALSE;
  image->config = berth_image_config_parse (cdata, len, error);
  if (image->config == NULL)
    return FALSE;
  if (!berth_image_check_diff_ids (image->manifest, image->config, error))
    return FALSE;

  self->image = g_steal_pointer (&image);
  return TRUE;
}

/* ---- oci: layouts ------------------------------------------------------------------------- */

static gboolean
resolve_layout (BerthImageSource *self, const BerthSourceOptions *options, GError **error)
{
  const BerthImageRef *ref = self->ref;
  const char *os, *arch, *variant;
  if (!wanted_platform (options, &os, &arch, &variant, error))
    return FALSE;
  if (ref->transport == BERTH_TRANSPORT_OCI_ARCHIVE)
    {
      self->archive_path = g_strdup (ref->path);
      self->layout_dir = berth_oci_archive_extract_metadata (ref->path, error);
      if (self->layout_dir == NULL)
        return FALSE;
    }
  else
    self->layout_dir = g_strdup (ref->path);
  self->image
    = berth_oci_layout_resolve (self->layout_dir, ref->tag, os, arch, variant, FALSE, error);
  if (self->image == NULL)
    return FALSE;
  if (!berth_image_check_diff_ids (self->image->manifest, self->image->config, error))
    return FALSE;
  /* The top-level document as stored is the index.json entry's target: for inspect --raw the
   * resolved manifest is what a user wants to see. */
  self->raw_manifest = g_bytes_ref (self->image->manifest_bytes);
  self->raw_media_type = g_strdup (berth_manifest_kind_to_media_type (self->image->manifest->kind));
  return TRUE;
}

/* ---- opening -------------------------------------------------------------------------- */

static BerthImageSource *
open_one (const BerthImageRef *ref, const BerthSourceOptions *options, GCancellable *cancellable,
          GError **error)
{
  g_autoptr (BerthImageSource) self = g_new0 (BerthImageSource, 1);
  g_autoptr (GError) parse_error = NULL;
  /* Own a copy: re-parse the canonical form (cheap, and keeps the struct's ownership simple). */
  g_autofree char *canonical = berth_image_ref_to_string (ref);
  self->ref = berth_image_ref_parse (canonical, NULL, &parse_error);
  if (self->ref == NULL)
    return (g_propagate_error (error, g_steal_pointer (&parse_error)), NULL);
  /* keep the ostree signature policy of the original */
  self->ref->sigverify = ref->sigverify;
  berth_set_str (&self->ref->remote, ref->remote);

  switch (ref->transport)
    {
    case BERTH_TRANSPORT_REGISTRY:
      if (!resolve_registry (self, options, cancellable, error))
        return NULL;
      break;
    case BERTH_TRANSPORT_OCI:
    case BERTH_TRANSPORT_OCI_ARCHIVE:
      if (!resolve_layout (self, options, error))
        return NULL;
      break;
    }
  return g_steal_pointer (&self);
}

BerthImageSource *
berth_image_source_open (const BerthImageRef *ref, const BerthSourceOptions *options,
                         GCancellable *cancellable, GError **error)
{
  if (!berth_image_ref_check_pullable (ref, error))
    return NULL;
  if (ref->candidates == NULL)
    return open_one (ref, options, cancellable, error);

  /* A short name: the first candidate that exists wins (containers-registries.conf(5)). */
  g_autoptr (GString) tried = g_string_new (NULL);
  for (guint i = 0; ref->candidates[i] != NULL; i++)
    {
      g_autoptr (BerthImageRef) candidate = berth_image_ref_parse (ref->candidates[i], NULL, error);
      if (candidate == NULL)
        return NULL;
      g_autoptr (GError) local_error = NULL;
      BerthImageSource *src = open_one (candidate, options, cancellable, &local_error);
      if (src != NULL)
        return src;
      if (!g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        return (g_propagate_error (error, g_steal_pointer (&local_error)), NULL);
      g_string_append_printf (tried, "%s%s", tried->len ? ", " : "", ref->candidates[i]);
    }
  return (berth_throw (error, BERTH_ERROR_NOT_FOUND,
                       "Image %s not found in any unqualified-search registry (tried %s)",
                       ref->name, tried->str),
          NULL);
}

GInputStream *
berth_image_source_open_blob (BerthImageSource *self, const char *digest, gint64 size,
                              GCancellable *cancellable, GError **error)
{
  g_autoptr (GInputStream) base = NULL;
  if (self->registry != NULL)
    {
      base = berth_registry_open_blob (self->registry, self->ref->repository, digest, size,
                                       cancellable, error);
      if (base == NULL)
        return NULL;
    }
  else if (self->archive_path != NULL)
    {
      base = berth_oci_archive_open_blob (self->archive_path, digest, error);
      if (base == NULL)
        return NULL;
    }
  else
    {
      g_autofree char *path = berth_oci_layout_blob_path (self->layout_dir, digest, error);
      if (path == NULL)
        return NULL;
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GError) local_error = NULL;
      base = (GInputStream *)g_file_read (file, cancellable, &local_error);
      if (base == NULL)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            return (berth_throw (error, BERTH_ERROR_NOT_FOUND,
                                 "Blob %s is missing from the OCI layout %s", digest,
                                 self->layout_dir),
                    NULL);
          return (berth_throw (error, BERTH_ERROR_FAILED, "Opening blob %s: %s", digest,
                               local_error->message),
                  NULL);
        }
    }
  return berth_verified_stream_new (base, digest, size);
}
