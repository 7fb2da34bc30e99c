/* The OCI distribution (v2) client: one BerthRegistry per registry host.
 *
 * Talks HTTP(S) with libcurl: the ping, anonymous, Basic and Bearer-token authentication
 * (tokens cached per scope and renewed when they expire or are refused), manifests read into
 * memory with a size cap, and blobs streamed with retries, HTTP Range resumption and
 * redirects. Pushes too: blob existence checks, monolithic blob uploads and manifests.
 * Knows nothing of manifests' meaning or of digests: the caller verifies what it reads and
 * what it sends. Credentials and tokens never appear in errors or debug output.
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

typedef struct
{
  /* containers-certs.d(5) directory: *.crt are extra CAs, NAME.cert + NAME.key a client
   * certificate. NULL: /etc/containers/certs.d/HOST[:PORT]/ when it exists. */
  const char *cert_dir;
  /* FALSE allows plain http and unverified TLS (loopback and test registries). */
  gboolean tls_verify;
  /* "USER:PASSWORD" from --creds; takes precedence over any auth file. */
  const char *creds;
  /* Credentials read from an auth file by the caller ("USER:PASSWORD"), or NULL. */
  const char *authfile_creds;
  /* Which credentials these are, for messages ("user 'bob' from /run/containers/0/auth.json",
   * "no credentials (...)"); never the secret. NULL: the registry says only whether any were
   * given. */
  const char *creds_description;
  /* How the caller spells its credential options, for hints in messages ("check --dest-creds
   * or the auth file (--dest-authfile, ...)"). NULL: "--creds" and "--authfile". */
  const char *creds_option;
  const char *authfile_option;
  /* Attempts per request (connection errors, 5xx, 429); 0 means the default, 5. */
  guint max_attempts;
  /* First retry delay in milliseconds, doubled each time (capped at 8 s); 0 means 500. */
  guint retry_base_ms;
} BerthRegistryOptions;

typedef struct BerthRegistry BerthRegistry;

/* @host is "HOST[:PORT]" as written in the image reference. Does no I/O. */
BerthRegistry *berth_registry_new (const char *host, const BerthRegistryOptions *options,
                                   GError **error);
void berth_registry_free (BerthRegistry *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthRegistry, berth_registry_free)

/* The Accept header value for manifests: OCI and Docker schema2 manifests and indexes. */
extern const char *const berth_registry_manifest_accept;

/* The error body of a registry's non-2xx answer (OCI distribution spec, "Error Codes":
 * {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "...", "detail": ...}]}). @out_code gets
 * the first error's code (NULL when the body has none), @out_summary what the errors say,
 * quoted and capped, for a message: `MANIFEST_UNKNOWN "manifest unknown"`, or the first line
 * of a plain-text body; NULL when there is nothing to show. Never fails: a body is only ever
 * a hint. */
void berth_registry_error_parse (const char *body, gsize len, char **out_code, char **out_summary);

/* GET /v2/NAME/manifests/REFERENCE, at most @max_size bytes. @out_media_type receives the
 * served Content-Type (may be empty), @out_digest the Docker-Content-Digest header (may be
 * NULL when the registry sends none). */
GBytes *berth_registry_get_manifest (BerthRegistry *self, const char *repository,
                                     const char *reference, gsize max_size, char **out_media_type,
                                     char **out_digest, GCancellable *cancellable, GError **error);

/* GET /v2/NAME/blobs/DIGEST into memory (image configs), at most @max_size bytes. */
GBytes *berth_registry_get_blob (BerthRegistry *self, const char *repository, const char *digest,
                                 gsize max_size, GCancellable *cancellable, GError **error);

/* A stream of the blob's bytes as stored. Transient failures are retried inside the stream,
 * resuming with Range from the byte reached; more than @expected_size bytes is an error
 * (BERTH_ERROR_TOO_LARGE). The digest is not checked here. */
GInputStream *berth_registry_open_blob (BerthRegistry *self, const char *repository,
                                        const char *digest, gint64 expected_size,
                                        GCancellable *cancellable, GError **error);

/* ---- pushing (OCI distribution spec, "Push") ---------------------------------------------
 *
 * Every request of a push is authorized for the scope repository:NAME:pull,push (a token
 * realm is asked for that scope; Basic credentials are sent as for pulls). */

/* HEAD /v2/NAME/blobs/DIGEST: *@out_exists is whether the repository has the blob (an answer
 * of 404 is FALSE, not an error). */
gboolean berth_registry_has_blob (BerthRegistry *self, const char *repository, const char *digest,
                                  gboolean *out_exists, GCancellable *cancellable, GError **error);

/* Opens a body to send, from its first byte; called once per attempt (a retry sends the body
 * again). The stream is read to its end: exactly the announced size, then end of stream. */
typedef GInputStream *(*BerthRegistryBodyFunc) (gpointer user_data, GCancellable *cancellable,
                                                GError **error);

/* Uploads blob @digest of @size bytes monolithically: POST /v2/NAME/blobs/uploads/, then PUT
 * to the Location answered (absolute or relative, its query kept) with ?digest=DIGEST and
 * the body @open_body gives, sent with its Content-Length. The stream's end is read before
 * its last bytes are sent, so a stream that checks a digest at its end (a verified stream)
 * stops a corrupt blob before the registry has it whole; such an error is not retried.
 * Transient failures restart the upload from the POST, with backoff. The Authorization header
 * goes only to a Location on the registry itself. */
gboolean berth_registry_push_blob (BerthRegistry *self, const char *repository, const char *digest,
                                   gint64 size, BerthRegistryBodyFunc open_body, gpointer user_data,
                                   GCancellable *cancellable, GError **error);

/* PUT /v2/NAME/manifests/REFERENCE (a tag, or the manifest's digest) with Content-Type
 * @media_type. @out_digest (may be NULL) receives the Docker-Content-Digest answered, or
 * NULL. Retried like a GET. */
gboolean berth_registry_put_manifest (BerthRegistry *self, const char *repository,
                                      const char *reference, const char *media_type,
                                      GBytes *manifest, char **out_digest,
                                      GCancellable *cancellable, GError **error);

/* Counters for tests and the benchmark. */
typedef struct
{
  guint requests;      /* HTTP requests sent, including retries and auth round trips */
  guint token_fetches; /* requests to a token realm */
  guint retries;       /* requests repeated after a transient failure */
  guint64 bytes;       /* body bytes received */
  guint64 bytes_sent;  /* body bytes sent (pushes) */
  guint blobs_pushed;  /* blob uploads completed */
} BerthRegistryStats;

void berth_registry_get_stats (BerthRegistry *self, BerthRegistryStats *out_stats);

G_END_DECLS
