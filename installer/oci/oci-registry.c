/* The OCI distribution client (see oci-registry.h). */
#include "oci-registry.h"
#include "oci-auth.h"
#include "oci-private.h"

#include <string.h>

#include "util/util-curl.h"

/* OCI distribution spec: manifests are small; configs are capped by the caller. A registry
 * answer that is not a manifest (an HTML error page, a huge body) must not be slurped. */
const char *const berth_registry_manifest_accept
  = "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

#define DEFAULT_MAX_ATTEMPTS  5
#define DEFAULT_RETRY_BASE_MS 500
#define RETRY_MAX_MS          8000
/* Retry-After may ask for far more; an installer waiting minutes on one blob helps no one. */
#define RETRY_AFTER_MAX_S 30
/* Tokens are renewed this long before their announced expiry (clock skew, slow transfers). */
#define TOKEN_EXPIRY_SLACK_US (10 * G_USEC_PER_SEC)
/* OCI distribution: a token response without expires_in is valid for 60 seconds. */
#define TOKEN_DEFAULT_LIFETIME_S 60
/* Token endpoint answers are small JSON documents. */
#define TOKEN_RESPONSE_MAX (256 * 1024)
/* A stalled transfer (below 1 KiB/s for 60 s) is cut and retried like any transient error. */
#define LOW_SPEED_LIMIT 1024
#define LOW_SPEED_TIME  60
/* The blob stream's buffer between the transfer thread and the reader: large enough to keep
 * the connection busy while the importer writes objects, small enough to keep memory flat. */
#define STREAM_BUFFER_MAX (4 * 1024 * 1024)
/* An error answer's body is read this far for its error codes; the rest is dropped. */
#define ERROR_BODY_MAX (16 * 1024)
/* An upload's Location is a URL with the registry's upload state in its query; a longer one is
 * not a registry's. */
#define LOCATION_MAX (16 * 1024)

typedef struct
{
  char *token;
  gint64 expires_at; /* monotonic, microseconds */
} Token;

static void
token_free (Token *t)
{
  if (t == NULL)
    return;
  if (t->token != NULL)
    explicit_bzero (t->token, strlen (t->token));
  g_free (t->token);
  g_free (t);
}

struct BerthRegistry
{
  char *host;
  char *scheme; /* "https", or "http" once a tls-verify=false registry answered on http */
  gboolean tls_verify;
  char *ca_bundle;   /* CA file handed to curl, or NULL for the system's */
  char *client_cert; /* containers-certs.d client certificate pair, or NULL */
  char *client_key;
  char *basic_creds;       /* "user:password", never logged */
  char *creds_description; /* "user 'bob' from --creds", for messages; may be NULL */
  char *creds_option;      /* how the caller spells --creds and --authfile, for hints */
  char *authfile_option;
  guint max_attempts;
  guint retry_base_ms;

  GMutex lock; /* guards everything below: blob streams run on their own threads */
  /* Idle curl handles: a reused handle keeps its connection (and TLS session) alive, so a pull
   * makes a handful of TLS handshakes instead of one per request. */
  GPtrArray *idle_handles;
  gboolean pinged;
  BerthAuthChallenge *challenge; /* from the /v2/ ping; NULL when anonymous works */
  GHashTable *tokens;            /* scope -> Token */
  BerthRegistryStats stats;
};

/* ---- setup ----------------------------------------------------------------------------- */

/* containers-certs.d(5): every *.crt is a CA, NAME.cert with NAME.key a client certificate.
 * curl takes one CA file, so the directory's CAs are concatenated after the system bundle into
 * a private temp file (the system CAs stay trusted, as with containers/image). */
static gboolean
load_cert_dir (BerthRegistry *self, const char *dir, gboolean explicit_dir, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &local_error);
  if (d == NULL)
    {
      if (!explicit_dir && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "Certificate directory %s: %s", dir,
                          local_error->message);
    }

  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc)g_strcmp0); /* sorts pointers-to-strings */

  g_autoptr (GString) bundle = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = names->pdata[i];
      g_autofree char *path = g_build_filename (dir, n, NULL);
      if (g_str_has_suffix (n, ".crt"))
        {
          g_autofree char *pem = NULL;
          if (!g_file_get_contents (path, &pem, NULL, &local_error))
            return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "Reading CA %s: %s", path,
                                local_error->message);
          g_string_append (bundle, pem);
          g_string_append_c (bundle, '\n');
        }
      else if (g_str_has_suffix (n, ".cert"))
        {
          g_autofree char *stem = g_strndup (n, strlen (n) - strlen (".cert"));
          g_autofree char *key = g_strdup_printf ("%s/%s.key", dir, stem);
          if (!g_file_test (key, G_FILE_TEST_EXISTS))
            return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                                "Client certificate %s has no key %s beside it", path, key);
          g_free (self->client_cert);
          g_free (self->client_key);
          self->client_cert = g_steal_pointer (&path);
          self->client_key = g_steal_pointer (&key);
        }
    }
  if (bundle->len == 0)
    return TRUE;

  /* Keep the system CAs: a certs.d directory adds trust, it does not replace it. */
  static const char *const system_bundles[] = { "/etc/ssl/certs/ca-certificates.crt", NULL };
  for (guint i = 0; system_bundles[i] != NULL; i++)
    {
      g_autofree char *sys = NULL;
      if (g_file_get_contents (system_bundles[i], &sys, NULL, NULL))
        g_string_prepend (bundle, sys);
    }

  g_autofree char *tmpl = NULL;
  int fd = g_file_open_tmp ("berth-ca-XXXXXX.pem", &tmpl, &local_error);
  if (fd < 0)
    return berth_throw (error, BERTH_ERROR_FAILED, "Writing CA bundle: %s", local_error->message);
  berth_autofd owned_fd = fd;
  if (!g_file_set_contents (tmpl, bundle->str, bundle->len, &local_error))
    {
      (void)unlink (tmpl);
      return berth_throw (error, BERTH_ERROR_FAILED, "Writing CA bundle: %s", local_error->message);
    }
  self->ca_bundle = g_steal_pointer (&tmpl);
  return TRUE;
}

BerthRegistry *
berth_registry_new (const char *host, const BerthRegistryOptions *options, GError **error)
{
  g_autoptr (BerthRegistry) self = g_new0 (BerthRegistry, 1);
  g_mutex_init (&self->lock);
  self->host = g_strdup (host);
  self->scheme = g_strdup ("https");
  self->tls_verify = options->tls_verify;
  self->max_attempts = options->max_attempts ? options->max_attempts : DEFAULT_MAX_ATTEMPTS;
  self->retry_base_ms = options->retry_base_ms ? options->retry_base_ms : DEFAULT_RETRY_BASE_MS;
  self->tokens
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)token_free);
  self->idle_handles = g_ptr_array_new_with_free_func ((GDestroyNotify)curl_easy_cleanup);
  if (options->creds != NULL)
    self->basic_creds = g_strdup (options->creds);
  else if (options->authfile_creds != NULL)
    self->basic_creds = g_strdup (options->authfile_creds);
  self->creds_description = g_strdup (options->creds_description);
  self->creds_option = g_strdup (options->creds_option ? options->creds_option : "--creds");
  self->authfile_option
    = g_strdup (options->authfile_option ? options->authfile_option : "--authfile");

  if (options->cert_dir != NULL)
    {
      if (!load_cert_dir (self, options->cert_dir, TRUE, error))
        return NULL;
    }
  else
    {
      g_autofree char *dir = g_build_filename ("/etc/containers/certs.d", host, NULL);
      if (!load_cert_dir (self, dir, FALSE, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

void
berth_registry_free (BerthRegistry *self)
{
  if (self == NULL)
    return;
  if (self->ca_bundle != NULL)
    (void)unlink (self->ca_bundle);
  g_free (self->ca_bundle);
  g_free (self->client_cert);
  g_free (self->client_key);
  if (self->basic_creds != NULL)
    explicit_bzero (self->basic_creds, strlen (self->basic_creds));
  g_free (self->basic_creds);
  g_free (self->creds_description);
  g_free (self->creds_option);
  g_free (self->authfile_option);
  g_free (self->host);
  g_free (self->scheme);
  g_clear_pointer (&self->challenge, berth_auth_challenge_free);
  g_clear_pointer (&self->tokens, g_hash_table_unref);
  g_clear_pointer (&self->idle_handles, g_ptr_array_unref);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
berth_registry_get_stats (BerthRegistry *self, BerthRegistryStats *out_stats)
{
  g_mutex_lock (&self->lock);
  *out_stats = self->stats;
  g_mutex_unlock (&self->lock);
}

static void
count (BerthRegistry *self, guint *counter)
{
  g_mutex_lock (&self->lock);
  (*counter)++;
  g_mutex_unlock (&self->lock);
}

/* ---- one HTTP exchange ------------------------------------------------------------------ */

/* Where a response body goes. */
typedef gboolean (*SinkFunc) (const char *data, gsize len, gpointer user_data, GError **error);

/* A request body (PUT), opened afresh for each attempt and sent with its Content-Length. */
typedef struct
{
  BerthRegistryBodyFunc open;
  gpointer open_data;
  gint64 size;
  const char *content_type;
  /* this attempt */
  GInputStream *stream;
  gint64 sent;
  GError *error; /* set when the body could not be read; the transfer is then aborted */
} Body;

typedef struct
{
  BerthRegistry *registry;
  /* response headers of the final response (after redirects) */
  long status;
  char *www_authenticate;
  char *content_type;
  char *docker_digest;
  char *content_range;
  char *location;
  long retry_after;
  gboolean body_started; /* the final response's first body byte was seen */
  /* the request's body, or NULL */
  Body *body;
  /* the URL's query is left out of messages (an upload's carries the registry's state) */
  gboolean hide_query;
  /* resumption: bytes the sink accepted over all attempts, and this attempt's Range start */
  gboolean resumable;
  gint64 received;
  gint64 range_from;
  gint64 skip; /* bytes to drop: a server that ignored Range restarted from byte 0 */
  /* body */
  SinkFunc sink;
  gpointer sink_data;
  GError *sink_error; /* set when the sink refused data; the transfer is then aborted */
  GCancellable *cancellable;
  /* a non-2xx answer: the start of its body, and what it says (after a failed request) */
  GString *error_body;
  char *error_code;    /* "MANIFEST_UNKNOWN"; NULL when the body named none */
  char *error_summary; /* `MANIFEST_UNKNOWN "manifest unknown"`, for messages */
} Exchange;

static void
exchange_reset_headers (Exchange *x)
{
  x->status = 0;
  g_clear_pointer (&x->www_authenticate, g_free);
  g_clear_pointer (&x->content_type, g_free);
  g_clear_pointer (&x->docker_digest, g_free);
  g_clear_pointer (&x->content_range, g_free);
  g_clear_pointer (&x->location, g_free);
  x->retry_after = 0;
  x->body_started = FALSE;
  x->skip = 0;
  if (x->error_body != NULL)
    g_string_truncate (x->error_body, 0);
}

static void
exchange_clear (Exchange *x)
{
  exchange_reset_headers (x);
  g_clear_error (&x->sink_error);
  if (x->error_body != NULL)
    g_string_free (g_steal_pointer (&x->error_body), TRUE);
  g_clear_pointer (&x->error_code, g_free);
  g_clear_pointer (&x->error_summary, g_free);
}

static size_t
on_header (char *buffer, size_t size, size_t nitems, void *user_data)
{
  Exchange *x = user_data;
  size_t len = size * nitems;
  g_autofree char *line = g_strndup (buffer, len);
  g_strchomp (line);

  /* A status line starts a new response (a redirect's or a 100 Continue's headers are not
   * the final ones). */
  if (g_str_has_prefix (line, "HTTP/"))
    {
      exchange_reset_headers (x);
      /* "HTTP/1.1 206 Partial Content": the body callback needs the status before curl's
       * getinfo can tell it. */
      const char *sp = strchr (line, ' ');
      if (sp != NULL)
        x->status = strtol (sp + 1, NULL, 10);
      return len;
    }
  char *colon = strchr (line, ':');
  if (colon == NULL)
    return len;
  *colon = '\0';
  const char *value = g_strstrip (colon + 1);
  if (g_ascii_strcasecmp (line, "WWW-Authenticate") == 0)
    {
      /* Several challenges may come in several headers; keep the first Bearer or Basic. */
      if (x->www_authenticate == NULL)
        x->www_authenticate = g_strdup (value);
    }
  else if (g_ascii_strcasecmp (line, "Content-Type") == 0)
    berth_set_str (&x->content_type, value);
  else if (g_ascii_strcasecmp (line, "Docker-Content-Digest") == 0)
    berth_set_str (&x->docker_digest, value);
  else if (g_ascii_strcasecmp (line, "Content-Range") == 0)
    berth_set_str (&x->content_range, value);
  else if (g_ascii_strcasecmp (line, "Location") == 0 && strlen (value) <= LOCATION_MAX)
    berth_set_str (&x->location, value);
  else if (g_ascii_strcasecmp (line, "Retry-After") == 0)
    {
      guint64 secs;
      if (g_ascii_string_to_unsigned (value, 10, 0, RETRY_AFTER_MAX_S * 100, &secs, NULL))
        x->retry_after = (long)secs;
    }
  return len;
}

/* Checks a resumed response on its first body byte: a 206 must start where we asked; a 200
 * restarted from byte 0, so what we already have is skipped. */
static gboolean
check_resumed (Exchange *x, GError **error)
{
  if (x->range_from <= 0)
    return TRUE;
  if (x->status == 200)
    {
      x->skip = x->range_from;
      return TRUE;
    }
  gint64 start = -1;
  if (x->content_range != NULL && g_str_has_prefix (x->content_range, "bytes "))
    start = g_ascii_strtoll (x->content_range + strlen ("bytes "), NULL, 10);
  if (start != x->range_from)
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "asked to resume at byte %" G_GINT64_FORMAT
                        " and the server answered with Content-Range '%s'",
                        x->range_from, x->content_range ? x->content_range : "");
  return TRUE;
}

static size_t
on_body (char *data, size_t size, size_t nmemb, void *user_data)
{
  Exchange *x = user_data;
  size_t len = size * nmemb;
  /* Only a successful response's body goes to the sink; of an error's, the start is kept for
   * its error codes (OCI distribution spec), the rest dropped. */
  if (x->status < 200 || x->status >= 300)
    {
      if (x->status >= 400)
        {
          if (x->error_body == NULL)
            x->error_body = g_string_new (NULL);
          if (x->error_body->len < ERROR_BODY_MAX)
            g_string_append_len (x->error_body, data,
                                 MIN (len, ERROR_BODY_MAX - x->error_body->len));
        }
      return len;
    }
  if (!x->body_started)
    {
      x->body_started = TRUE;
      if (!check_resumed (x, &x->sink_error))
        return 0;
    }
  const char *p = data;
  size_t n = len;
  if (x->skip > 0)
    {
      size_t drop = (size_t)MIN ((gint64)n, x->skip);
      x->skip -= (gint64)drop;
      p += drop;
      n -= drop;
    }
  if (n > 0 && !x->sink (p, n, x->sink_data, &x->sink_error))
    return 0; /* makes curl fail with CURLE_WRITE_ERROR */
  x->received += (gint64)n;
  g_mutex_lock (&x->registry->lock);
  x->registry->stats.bytes += len;
  g_mutex_unlock (&x->registry->lock);
  return len;
}

static int
on_progress (void *user_data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
             curl_off_t ulnow)
{
  Exchange *x = user_data;
  return g_cancellable_is_cancelled (x->cancellable) ? 1 : 0;
}

/* ---- request bodies ---------------------------------------------------------------------- */

/* The body must end exactly at its announced size. Reading on to its end is also what makes a
 * verifying stream check its digest; it happens before the last bytes are handed to curl, so
 * a blob that is not what its digest says never reaches the registry whole. */
static gboolean
body_check_end (Body *b, GCancellable *cancellable, GError **error)
{
  char extra;
  gssize n = g_input_stream_read (b->stream, &extra, 1, cancellable, error);
  if (n < 0)
    return FALSE;
  if (n > 0)
    return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                        "the body is longer than the %" G_GINT64_FORMAT " bytes announced",
                        b->size);
  return TRUE;
}

/* Opens the body for an attempt, from its first byte. */
static gboolean
body_start (Body *b, GCancellable *cancellable, GError **error)
{
  g_clear_object (&b->stream);
  g_clear_error (&b->error);
  b->sent = 0;
  b->stream = b->open (b->open_data, cancellable, error);
  if (b->stream == NULL)
    return FALSE;
  /* curl reads nothing of an empty body: its end is checked now. */
  if (b->size == 0)
    return body_check_end (b, cancellable, error);
  return TRUE;
}

static void
body_clear (Body *b)
{
  g_clear_object (&b->stream);
  g_clear_error (&b->error);
}

static GInputStream *
open_bytes (gpointer user_data, GCancellable *cancellable, GError **error)
{
  return g_memory_input_stream_new_from_bytes (user_data);
}

/* A URL for a message: an upload's query (the registry's state, long and opaque) left out. */
static char *
url_for_message (const Exchange *x, const char *url)
{
  const char *q = x->hide_query ? strchr (url, '?') : NULL;
  return q ? g_strndup (url, q - url) : g_strdup (url);
}

/* The body of a PUT, in the pieces curl asks for. */
static size_t
on_read (char *buffer, size_t size, size_t nitems, void *user_data)
{
  Exchange *x = user_data;
  Body *b = x->body;
  gsize want = (gsize)MIN ((gint64)(size * nitems), b->size - b->sent);
  if (want == 0)
    return 0;
  gsize got = 0;
  if (!g_input_stream_read_all (b->stream, buffer, want, &got, x->cancellable, &b->error))
    return CURL_READFUNC_ABORT;
  if (got < want)
    {
      berth_throw (&b->error, BERTH_ERROR_FAILED,
                   "the body ended after %" G_GINT64_FORMAT " of its %" G_GINT64_FORMAT " bytes",
                   b->sent + (gint64)got, b->size);
      return CURL_READFUNC_ABORT;
    }
  b->sent += (gint64)got;
  if (b->sent == b->size && !body_check_end (b, x->cancellable, &b->error))
    return CURL_READFUNC_ABORT;
  g_mutex_lock (&x->registry->lock);
  x->registry->stats.bytes_sent += got;
  g_mutex_unlock (&x->registry->lock);
  return got;
}

static void
apply_tls (BerthRegistry *self, CURL *curl)
{
  if (!self->tls_verify)
    {
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  if (self->ca_bundle != NULL)
    curl_easy_setopt (curl, CURLOPT_CAINFO, self->ca_bundle);
  if (self->client_cert != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_SSLCERT, self->client_cert);
      curl_easy_setopt (curl, CURLOPT_SSLKEY, self->client_key);
    }
}

/* A handle from the idle pool (options reset, connections kept), or a new one. */
static CURL *
take_handle (BerthRegistry *self)
{
  CURL *curl = NULL;
  g_mutex_lock (&self->lock);
  if (self->idle_handles->len > 0)
    curl = g_ptr_array_steal_index_fast (self->idle_handles, self->idle_handles->len - 1);
  g_mutex_unlock (&self->lock);
  if (curl != NULL)
    curl_easy_reset (curl);
  else
    curl = curl_easy_init ();
  return curl;
}

static void
return_handle (BerthRegistry *self, CURL *curl)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->idle_handles, curl);
  g_mutex_unlock (&self->lock);
}

typedef struct
{
  BerthRegistry *registry;
  CURL *curl;
} HandleGuard;

static void
handle_guard_clear (HandleGuard *g)
{
  if (g->curl != NULL)
    return_handle (g->registry, g->curl);
}

/* Sends one request. Returns FALSE only for transport failures (connection, TLS, cut
 * transfer, sink refusal, a body that could not be read); an HTTP error status is returned in
 * x->status with TRUE. x->body, when set, is sent as a PUT. */
static gboolean
perform (BerthRegistry *self, const char *method, const char *url, const char *authorization,
         Exchange *x, GError **error)
{
  __attribute__ ((cleanup (handle_guard_clear))) HandleGuard guard = { self, take_handle (self) };
  CURL *curl = guard.curl;
  if (curl == NULL)
    return berth_throw (error, BERTH_ERROR_FAILED, "Could not create a curl handle");
  char errbuf[CURL_ERROR_SIZE] = "";
  g_autoptr (BerthCurlSlist) headers = NULL;
  g_autofree char *auth_header = NULL;
  if (authorization != NULL)
    {
      auth_header = g_strdup_printf ("Authorization: %s", authorization);
      headers = curl_slist_append (headers, auth_header);
    }
  if (strstr (url, "/manifests/") != NULL)
    {
      g_autofree char *accept = g_strdup_printf ("Accept: %s", berth_registry_manifest_accept);
      headers = curl_slist_append (headers, accept);
    }
  g_autofree char *range = NULL;
  x->range_from = x->resumable ? x->received : 0;
  if (x->range_from > 0)
    {
      range = g_strdup_printf ("%" G_GINT64_FORMAT "-", x->range_from);
      curl_easy_setopt (curl, CURLOPT_RANGE, range);
    }

  gboolean is_read = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  g_autofree char *content_type = NULL;
  if (x->body != NULL)
    {
      g_return_val_if_fail (g_str_equal (method, "PUT"), FALSE);
      if (!body_start (x->body, x->cancellable, error))
        return FALSE;
      curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L); /* a PUT of the read callback's bytes */
      curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body->size);
      curl_easy_setopt (curl, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt (curl, CURLOPT_READDATA, x);
      content_type = g_strdup_printf ("Content-Type: %s", x->body->content_type);
      headers = curl_slist_append (headers, content_type);
    }
  else if (g_str_equal (method, "POST"))
    {
      /* An empty POST (an upload session), without curl's form Content-Type. */
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, 0L);
      headers = curl_slist_append (headers, "Content-Type:");
    }
  else if (!is_read)
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);

  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
  if (g_str_equal (method, "HEAD"))
    curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
  /* Registries redirect blob downloads to storage. curl (>= 7.58) does not send our
   * Authorization header to another host or port on a redirect. Writes are not redirected:
   * an upload's Location (201, 202) is for us to read, and a body is not sent twice. */
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, is_read ? 1L : 0L);
  curl_easy_setopt (curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_LIMIT);
  curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_TIME);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, x);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, x);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, x);
  apply_tls (self, curl);

  count (self, &self->stats.requests);
  exchange_reset_headers (x);
  CURLcode rc = curl_easy_perform (curl);
  if (x->body != NULL)
    g_clear_object (&x->body->stream); /* closes it: a blob stream's transfer ends now */
  if (x->sink_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&x->sink_error));
      return FALSE;
    }
  if (x->body != NULL && x->body->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&x->body->error));
      return FALSE;
    }
  if (rc != CURLE_OK)
    {
      g_autofree char *shown = url_for_message (x, url);
      g_autofree char *what = g_strdup_printf ("%s %s", method, shown);
      return berth_throw_curl (error, rc, errbuf, what);
    }
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &x->status);
  return TRUE;
}

/* ---- error answers --------------------------------------------------------------------- */

/* Reads the error body of the answer in @x into its code and summary. */
static void
exchange_read_error (Exchange *x)
{
  g_clear_pointer (&x->error_code, g_free);
  g_clear_pointer (&x->error_summary, g_free);
  if (x->error_body != NULL)
    berth_registry_error_parse (x->error_body->str, x->error_body->len, &x->error_code,
                                &x->error_summary);
}

static gboolean
code_is (const Exchange *x, const char *code)
{
  return g_strcmp0 (x->error_code, code) == 0;
}

/* ", registry said: CODE \"message\"" or "". */
static char *
said (const Exchange *x)
{
  return x->error_summary ? g_strdup_printf (", registry said: %s", x->error_summary)
                          : g_strdup ("");
}

/* Which credentials a refusal was for (never the secret). */
static const char *
creds_used (const BerthRegistry *self)
{
  if (self->creds_description != NULL)
    return self->creds_description;
  return self->basic_creds ? "the credentials given" : "no credentials";
}

/* The error for a non-2xx answer to @what (for @repository, NULL for the ping and tokens), from
 * its status and, where the registry sent them, its error codes (OCI distribution spec): they
 * drive the decision. UNAUTHORIZED and DENIED (or 401, 403) are AUTH, never retried, and say
 * which credentials were used; MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN (or 404) are
 * NOT_FOUND; TOOMANYREQUESTS (or 429, 408, 5xx) is RETRYABLE, waiting Retry-After. */
static gboolean
throw_answer (BerthRegistry *self, Exchange *x, const char *what, const char *repository,
              GError **error)
{
  exchange_read_error (x);
  g_autofree char *registry_said = said (x);
  long status = x->status;
  if (status == 401 || status == 403 || code_is (x, "UNAUTHORIZED") || code_is (x, "DENIED"))
    return berth_throw (error, BERTH_ERROR_AUTH,
                        "Registry %s refused access%s%s (HTTP %ld%s) with %s; check %s or the "
                        "auth file (%s, REGISTRY_AUTH_FILE)",
                        self->host, repository ? " to " : "", repository ? repository : "", status,
                        registry_said, creds_used (self), self->creds_option,
                        self->authfile_option);
  if (code_is (x, "NAME_UNKNOWN"))
    return berth_throw (error, BERTH_ERROR_NOT_FOUND,
                        "Registry %s has no repository %s (HTTP %ld%s); check the image name",
                        self->host, repository ? repository : "?", status, registry_said);
  if (code_is (x, "TOOMANYREQUESTS"))
    return berth_throw (error, BERTH_ERROR_RETRYABLE, "%s: HTTP status %ld%s", what, status,
                        registry_said);
  berth_throw_http_status (error, status, what);
  if (*registry_said != '\0')
    {
      g_autofree char *msg = g_strconcat ((*error)->message, registry_said, NULL);
      g_free ((*error)->message);
      (*error)->message = g_steal_pointer (&msg);
    }
  return FALSE;
}

/* ---- authentication ---------------------------------------------------------------------- */

static char *
basic_authorization (const char *creds)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *)creds, strlen (creds));
  return g_strdup_printf ("Basic %s", b64);
}

static gboolean
sink_to_string (const char *data, gsize len, gpointer user_data, GError **error)
{
  GString *s = user_data;
  if (s->len + len > TOKEN_RESPONSE_MAX)
    return berth_throw (error, BERTH_ERROR_TOO_LARGE, "token response larger than %d bytes",
                        TOKEN_RESPONSE_MAX);
  g_string_append_len (s, data, len);
  return TRUE;
}

/* The Docker/OCI token flow: GET realm?service=...&scope=..., with Basic credentials when we
 * have them (anonymous tokens otherwise). */
static gboolean
fetch_token (BerthRegistry *self, const BerthAuthChallenge *ch, const char *scope,
             GCancellable *cancellable, GError **error)
{
  g_autoptr (GString) url = g_string_new (ch->realm);
  char sep = strchr (ch->realm, '?') ? '&' : '?';
  if (ch->service != NULL)
    {
      g_autofree char *esc = g_uri_escape_string (ch->service, NULL, FALSE);
      g_string_append_printf (url, "%cservice=%s", sep, esc);
      sep = '&';
    }
  if (scope != NULL)
    {
      g_autofree char *esc = g_uri_escape_string (scope, NULL, FALSE);
      g_string_append_printf (url, "%cscope=%s", sep, esc);
    }

  g_autoptr (GString) body = g_string_new (NULL);
  Exchange x
    = { .registry = self, .sink = sink_to_string, .sink_data = body, .cancellable = cancellable };
  g_autofree char *auth = self->basic_creds ? basic_authorization (self->basic_creds) : NULL;
  count (self, &self->stats.token_fetches);
  gboolean ok = perform (self, "GET", url->str, auth, &x, error);
  long status = x.status;
  if (auth != NULL)
    explicit_bzero (auth, strlen (auth));
  if (!ok)
    {
      exchange_clear (&x);
      g_prefix_error (error, "Getting a token from %s: ", ch->realm);
      return FALSE;
    }
  if (status < 200 || status >= 300)
    {
      g_autofree char *what = g_strdup_printf ("Getting a token from %s", ch->realm);
      throw_answer (self, &x, what, NULL, error);
      exchange_clear (&x);
      if (g_error_matches (*error, BERTH_ERROR, BERTH_ERROR_AUTH))
        g_prefix_error (error, "Token realm %s: ", ch->realm);
      return FALSE;
    }
  exchange_clear (&x);

  g_autoptr (BerthAuthToken) token = berth_auth_token_parse (body->str, body->len, error);
  if (token == NULL)
    {
      g_prefix_error (error, "Token from %s: ", ch->realm);
      return FALSE;
    }
  Token *t = g_new0 (Token, 1);
  t->token = g_strdup (token->token);
  gint64 lifetime = token->expires_in > 0 ? token->expires_in : TOKEN_DEFAULT_LIFETIME_S;
  t->expires_at = g_get_monotonic_time () + lifetime * G_USEC_PER_SEC - TOKEN_EXPIRY_SLACK_US;
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->tokens, g_strdup (scope ? scope : ""), t);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* The Authorization header value for a request in @scope, or NULL for anonymous access.
 * Fetches a token when the registry wants one and none is cached (or it expired). */
static gboolean
authorization_for (BerthRegistry *self, const char *scope, gboolean force_renew, char **out_auth,
                   GCancellable *cancellable, GError **error)
{
  g_mutex_lock (&self->lock);
  BerthAuthChallenge *ch = self->challenge;
  g_mutex_unlock (&self->lock);
  if (ch == NULL)
    {
      *out_auth = NULL;
      return TRUE;
    }
  if (ch->scheme == BERTH_AUTH_SCHEME_BASIC)
    {
      if (self->basic_creds == NULL)
        return berth_throw (error, BERTH_ERROR_AUTH,
                            "Registry %s requires credentials; give %s USER:PASSWORD or an "
                            "auth file (%s, REGISTRY_AUTH_FILE)",
                            self->host, self->creds_option, self->authfile_option);
      *out_auth = basic_authorization (self->basic_creds);
      return TRUE;
    }

  const char *key = scope ? scope : "";
  for (int attempt = 0; attempt < 2; attempt++)
    {
      g_mutex_lock (&self->lock);
      Token *t = g_hash_table_lookup (self->tokens, key);
      gboolean fresh = t != NULL && !force_renew && t->expires_at > g_get_monotonic_time ();
      char *auth = fresh ? g_strdup_printf ("Bearer %s", t->token) : NULL;
      g_mutex_unlock (&self->lock);
      if (auth != NULL)
        {
          *out_auth = auth;
          return TRUE;
        }
      if (!fetch_token (self, ch, scope, cancellable, error))
        return FALSE;
      force_renew = FALSE;
    }
  return berth_throw (error, BERTH_ERROR_AUTH, "Registry %s: the token obtained has expired",
                      self->host);
}

static gboolean
sink_discard (const char *data, gsize len, gpointer user_data, GError **error)
{
  return TRUE;
}

/* GET /v2/: finds the scheme (https, or http for tls-verify=false registries that do not
 * speak TLS) and the authentication challenge. Done once per registry. */
static gboolean
ping (BerthRegistry *self, GCancellable *cancellable, GError **error)
{
  g_mutex_lock (&self->lock);
  gboolean done = self->pinged;
  g_mutex_unlock (&self->lock);
  if (done)
    return TRUE;

  Exchange x = { .registry = self, .sink = sink_discard, .cancellable = cancellable };
  g_autofree char *url = g_strdup_printf ("https://%s/v2/", self->host);
  g_autoptr (GError) https_error = NULL;
  gboolean ok = FALSE;
  for (guint attempt = 0; attempt < self->max_attempts; attempt++)
    {
      g_clear_error (&https_error);
      ok = perform (self, "GET", url, NULL, &x, &https_error);
      if (ok || berth_error_code_of (https_error) != BERTH_ERROR_RETRYABLE)
        break;
      /* A refused connection on https from a plain http registry: do not wait for it. */
      if (!self->tls_verify)
        break;
      g_usleep ((gulong)MIN (self->retry_base_ms << attempt, RETRY_MAX_MS) * 1000);
    }
  if (!ok && !self->tls_verify)
    {
      /* containers/image's rule: with TLS verification off, fall back to plain http. */
      g_autofree char *http_url = g_strdup_printf ("http://%s/v2/", self->host);
      g_autoptr (GError) http_error = NULL;
      if (perform (self, "GET", http_url, NULL, &x, &http_error))
        {
          ok = TRUE;
          berth_set_str (&self->scheme, "http");
        }
    }
  if (!ok)
    {
      exchange_clear (&x);
      g_propagate_prefixed_error (error, g_steal_pointer (&https_error),
                                  "Registry %s is not reachable%s: ", self->host,
                                  self->tls_verify ? "" : " (tried https and http)");
      return FALSE;
    }

  BerthAuthChallenge *challenge = NULL;
  if (x.status == 401)
    {
      if (x.www_authenticate == NULL)
        {
          exchange_clear (&x);
          return berth_throw (error, BERTH_ERROR_AUTH,
                              "Registry %s answered 401 without a WWW-Authenticate challenge",
                              self->host);
        }
      challenge = berth_auth_challenge_parse (x.www_authenticate, error);
      if (challenge == NULL)
        {
          g_prefix_error (error, "Registry %s: ", self->host);
          exchange_clear (&x);
          return FALSE;
        }
    }
  else if (x.status != 200)
    {
      g_autofree char *what = g_strdup_printf ("Registry %s: GET /v2/", self->host);
      throw_answer (self, &x, what, NULL, error);
      exchange_clear (&x);
      return FALSE;
    }
  exchange_clear (&x);

  g_mutex_lock (&self->lock);
  if (!self->pinged)
    {
      self->challenge = challenge;
      challenge = NULL;
      self->pinged = TRUE;
    }
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&challenge, berth_auth_challenge_free);
  return TRUE;
}

/* ---- requests with auth and retries -------------------------------------------------- */

static guint
backoff_ms (BerthRegistry *self, guint attempt, long retry_after)
{
  if (retry_after > 0)
    return (guint)MIN (retry_after, RETRY_AFTER_MAX_S) * 1000;
  return MIN (self->retry_base_ms << MIN (attempt, 10u), RETRY_MAX_MS);
}

/* One request to the registry, as request_full sends it. */
typedef struct
{
  const char *method; /* NULL: GET */
  const char *path;   /* "/v2/NAME/...", on the registry */
  const char *url;    /* or a whole URL (an upload's Location); then path is NULL */
  const char *repository;
  gboolean push; /* the scope is repository:NAME:pull,push */
  gboolean once; /* a transient failure or a refused token is returned, not retried here */
} Request;

static char *
scope_for (const char *repository, gboolean push)
{
  return g_strdup_printf ("repository:%s:%s", repository, push ? "pull,push" : "pull");
}

static void
forget_token (BerthRegistry *self, const char *scope)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->tokens, scope);
  g_mutex_unlock (&self->lock);
}

static gboolean
bearer_auth (BerthRegistry *self)
{
  g_mutex_lock (&self->lock);
  gboolean bearer = self->challenge != NULL && self->challenge->scheme == BERTH_AUTH_SCHEME_BEARER;
  g_mutex_unlock (&self->lock);
  return bearer;
}

static int
default_port (const char *scheme)
{
  return g_ascii_strcasecmp (scheme, "https") == 0 ? 443 : 80;
}

/* Whether @url is on this registry (scheme, host and port): only then does it get our
 * credentials. An upload Location may name another host (storage behind the registry). */
static gboolean
is_registry_url (BerthRegistry *self, const char *url)
{
  g_autofree char *base = g_strdup_printf ("%s://%s/", self->scheme, self->host);
  g_autoptr (GUri) ours = g_uri_parse (base, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr (GUri) theirs = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (ours == NULL || theirs == NULL || g_uri_get_host (theirs) == NULL)
    return FALSE;
  int our_port = g_uri_get_port (ours) > 0 ? g_uri_get_port (ours) : default_port (self->scheme);
  const char *their_scheme = g_uri_get_scheme (theirs);
  int their_port
    = g_uri_get_port (theirs) > 0 ? g_uri_get_port (theirs) : default_port (their_scheme);
  return g_ascii_strcasecmp (their_scheme, self->scheme) == 0
         && g_ascii_strcasecmp (g_uri_get_host (theirs), g_uri_get_host (ours)) == 0
         && their_port == our_port;
}

/* A request to the registry for r->repository: ping, authorize, send; on 401 renew the token
 * once; on transient failures retry with backoff (unless r->once). When x->resumable, a retry
 * asks for the rest only (Range from the bytes already received); x->body is sent again from
 * its start. */
static gboolean
request_full (BerthRegistry *self, const Request *r, Exchange *x, GCancellable *cancellable,
              GError **error)
{
  if (!ping (self, cancellable, error))
    return FALSE;
  const char *method = r->method ? r->method : "GET";
  g_autofree char *scope = scope_for (r->repository, r->push);
  g_autofree char *url
    = r->url ? g_strdup (r->url) : g_strdup_printf ("%s://%s%s", self->scheme, self->host, r->path);
  gboolean ours = r->url == NULL || is_registry_url (self, url);

  gboolean renewed = FALSE;
  for (guint attempt = 0;; attempt++)
    {
      g_autofree char *auth = NULL;
      if (ours && !authorization_for (self, scope, FALSE, &auth, cancellable, error))
        return FALSE;
      g_autoptr (GError) local_error = NULL;
      gboolean ok = perform (self, method, url, auth, x, &local_error);
      if (auth != NULL)
        explicit_bzero (auth, strlen (auth));

      if (ok && x->status == 401 && !renewed && !r->once && bearer_auth (self))
        {
          /* The token expired or lost its scope: renew it once. */
          renewed = TRUE;
          forget_token (self, scope);
          attempt--;
          continue;
        }
      if (ok && x->status >= 200 && x->status < 300)
        return TRUE;

      if (ok)
        {
          g_autofree char *shown = url_for_message (x, url);
          g_autofree char *what = g_strdup_printf ("%s %s", method, shown);
          throw_answer (self, x, what, r->repository, &local_error);
        }
      if (berth_error_code_of (local_error) != BERTH_ERROR_RETRYABLE || r->once
          || attempt + 1 >= self->max_attempts || g_cancellable_is_cancelled (cancellable))
        {
          if (berth_error_code_of (local_error) == BERTH_ERROR_RETRYABLE && !r->once)
            g_prefix_error (&local_error, "after %u attempts: ", attempt + 1);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      guint wait = backoff_ms (self, attempt, x->retry_after);
      g_debug ("%s: %s; retrying in %u ms", self->host, local_error->message, wait);
      count (self, &self->stats.retries);
      g_usleep ((gulong)wait * 1000);
    }
}

/* A GET for the puller. */
static gboolean
request (BerthRegistry *self, const char *path, const char *repository, Exchange *x,
         GCancellable *cancellable, GError **error)
{
  Request r = { .path = path, .repository = repository };
  return request_full (self, &r, x, cancellable, error);
}

/* ---- small bodies ------------------------------------------------------------------- */

typedef struct
{
  GByteArray *buf;
  gsize max;
  const char *what;
} MemorySink;

static gboolean
sink_to_memory (const char *data, gsize len, gpointer user_data, GError **error)
{
  MemorySink *m = user_data;
  if (m->buf->len + len > m->max)
    return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                        "%s is larger than %" G_GSIZE_FORMAT " bytes; refusing to read it", m->what,
                        m->max);
  g_byte_array_append (m->buf, (const guint8 *)data, len);
  return TRUE;
}

static GBytes *
get_small (BerthRegistry *self, const char *path, const char *repository, const char *what,
           gsize max_size, Exchange *x, GCancellable *cancellable, GError **error)
{
  g_autoptr (GByteArray) buf = g_byte_array_new ();
  MemorySink m = { buf, max_size, what };
  x->registry = self;
  x->sink = sink_to_memory;
  x->sink_data = &m;
  x->cancellable = cancellable;
  x->resumable = TRUE;
  g_autoptr (GError) local_error = NULL;
  if (!request (self, path, repository, x, cancellable, &local_error))
    {
      if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND)
          && !code_is (x, "NAME_UNKNOWN"))
        {
          g_autofree char *registry_said = said (x);
          return (berth_throw (error, BERTH_ERROR_NOT_FOUND, "%s not found in %s/%s%s", what,
                               self->host, repository, registry_said),
                  NULL);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

GBytes *
berth_registry_get_manifest (BerthRegistry *self, const char *repository, const char *reference,
                             gsize max_size, char **out_media_type, char **out_digest,
                             GCancellable *cancellable, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/v2/%s/manifests/%s", repository, reference);
  g_autofree char *what = g_strdup_printf ("Manifest %s", reference);
  Exchange x = { 0 };
  g_autoptr (GBytes) bytes
    = get_small (self, path, repository, what, max_size, &x, cancellable, error);
  if (bytes == NULL)
    {
      exchange_clear (&x);
      return NULL;
    }
  if (out_media_type != NULL)
    *out_media_type = g_strdup (x.content_type ? x.content_type : "");
  if (out_digest != NULL)
    *out_digest = g_steal_pointer (&x.docker_digest);
  exchange_clear (&x);
  return g_steal_pointer (&bytes);
}

GBytes *
berth_registry_get_blob (BerthRegistry *self, const char *repository, const char *digest,
                         gsize max_size, GCancellable *cancellable, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/v2/%s/blobs/%s", repository, digest);
  g_autofree char *what = g_strdup_printf ("Blob %s", digest);
  Exchange x = { 0 };
  GBytes *bytes = get_small (self, path, repository, what, max_size, &x, cancellable, error);
  exchange_clear (&x);
  return bytes;
}

/* ---- the blob stream -------------------------------------------------------------------- */

/* A GInputStream fed by a transfer thread. The thread runs the request (with its retries);
 * the body goes through a bounded buffer; read() takes from it. Closing the stream early
 * cancels the transfer. */
typedef struct
{
  GInputStream parent;
  BerthRegistry *registry;
  char *repository;
  char *path;
  char *digest;
  gint64 expected_size;

  GThread *thread;
  GCancellable *cancellable; /* ours: cancelled on close */
  GMutex lock;
  GCond cond;
  GByteArray *buf; /* guarded by lock */
  gboolean done;   /* thread finished; error holds its failure */
  GError *error;
  gint64 received; /* bytes handed to the buffer so far */
} BlobStream;

typedef GInputStreamClass BlobStreamClass;
static GType blob_stream_get_type (void);
G_DEFINE_TYPE (BlobStream, blob_stream, G_TYPE_INPUT_STREAM)

static gboolean
blob_sink (const char *data, gsize len, gpointer user_data, GError **error)
{
  BlobStream *s = user_data;
  g_mutex_lock (&s->lock);
  if (s->received + (gint64)len > s->expected_size)
    {
      g_mutex_unlock (&s->lock);
      return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                          "Blob %s is larger than the %" G_GINT64_FORMAT
                          " bytes its manifest declares",
                          s->digest, s->expected_size);
    }
  while (s->buf->len >= STREAM_BUFFER_MAX && !g_cancellable_is_cancelled (s->cancellable))
    g_cond_wait (&s->cond, &s->lock);
  g_byte_array_append (s->buf, (const guint8 *)data, len);
  s->received += (gint64)len;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  if (g_cancellable_is_cancelled (s->cancellable))
    return berth_throw (error, BERTH_ERROR_CANCELLED, "cancelled");
  return TRUE;
}

static gpointer
blob_thread (gpointer data)
{
  BlobStream *s = data;
  g_autoptr (GError) error = NULL;
  Exchange x = { .registry = s->registry,
                 .sink = blob_sink,
                 .sink_data = s,
                 .cancellable = s->cancellable,
                 .resumable = TRUE };
  gboolean ok = FALSE;
  /* request() retries transient failures itself, resuming each time; this loop only catches a
   * response that ended cleanly but short (no Content-Length, closed early). */
  for (guint round = 0; round < s->registry->max_attempts; round++)
    {
      g_clear_error (&error);
      ok = request (s->registry, s->path, s->repository, &x, s->cancellable, &error);
      if (!ok)
        break;
      if (s->expected_size < 0 || x.received == s->expected_size)
        break;
      ok = FALSE;
      berth_throw (&error, BERTH_ERROR_RETRYABLE,
                   "the body ended after %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes",
                   x.received, s->expected_size);
      count (s->registry, &s->registry->stats.retries);
      g_usleep ((gulong)backoff_ms (s->registry, round, 0) * 1000);
    }
  exchange_clear (&x);

  g_mutex_lock (&s->lock);
  s->done = TRUE;
  if (!ok)
    {
      s->error = g_steal_pointer (&error);
      g_prefix_error (&s->error, "Fetching blob %s from %s/%s: ", s->digest, s->registry->host,
                      s->repository);
    }
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  return NULL;
}

static gssize
blob_stream_read (GInputStream *stream, void *buffer, gsize count_, GCancellable *cancellable,
                  GError **error)
{
  BlobStream *s = (BlobStream *)stream;
  g_mutex_lock (&s->lock);
  while (s->buf->len == 0 && !s->done)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_mutex_unlock (&s->lock);
          return berth_throw (error, BERTH_ERROR_CANCELLED, "cancelled"), -1;
        }
      g_cond_wait (&s->cond, &s->lock);
    }
  if (s->buf->len == 0)
    {
      /* done: EOF or the thread's error */
      gssize r = 0;
      if (s->error != NULL)
        {
          g_propagate_error (error, g_error_copy (s->error));
          r = -1;
        }
      g_mutex_unlock (&s->lock);
      return r;
    }
  gsize n = MIN (count_, s->buf->len);
  memcpy (buffer, s->buf->data, n);
  g_byte_array_remove_range (s->buf, 0, (guint)n);
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  return (gssize)n;
}

static void
blob_stream_stop (BlobStream *s)
{
  if (s->thread == NULL)
    return;
  g_cancellable_cancel (s->cancellable);
  g_mutex_lock (&s->lock);
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  g_thread_join (g_steal_pointer (&s->thread));
}

static gboolean
blob_stream_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  blob_stream_stop ((BlobStream *)stream);
  return TRUE;
}

static void
blob_stream_finalize (GObject *object)
{
  BlobStream *s = (BlobStream *)object;
  blob_stream_stop (s);
  g_clear_object (&s->cancellable);
  g_byte_array_unref (s->buf);
  g_clear_error (&s->error);
  g_free (s->repository);
  g_free (s->path);
  g_free (s->digest);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  G_OBJECT_CLASS (blob_stream_parent_class)->finalize (object);
}

static void
blob_stream_class_init (BlobStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = blob_stream_finalize;
  klass->read_fn = blob_stream_read;
  klass->close_fn = blob_stream_close;
}

static void
blob_stream_init (BlobStream *s)
{
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->buf = g_byte_array_new ();
  s->cancellable = g_cancellable_new ();
}

GInputStream *
berth_registry_open_blob (BerthRegistry *self, const char *repository, const char *digest,
                          gint64 expected_size, GCancellable *cancellable, GError **error)
{
  /* Ping and authorize up front so a wrong password is reported here, not mid-import. */
  if (!ping (self, cancellable, error))
    return NULL;
  g_autofree char *scope = g_strdup_printf ("repository:%s:pull", repository);
  g_autofree char *auth = NULL;
  if (!authorization_for (self, scope, FALSE, &auth, cancellable, error))
    return NULL;
  if (auth != NULL)
    explicit_bzero (auth, strlen (auth));

  BlobStream *s = g_object_new (blob_stream_get_type (), NULL);
  s->registry = self;
  s->repository = g_strdup (repository);
  s->digest = g_strdup (digest);
  s->path = g_strdup_printf ("/v2/%s/blobs/%s", repository, digest);
  s->expected_size = expected_size;
  s->thread = g_thread_new ("berth-blob", blob_thread, s);
  return (GInputStream *)s;
}

/* ---- pushing -------------------------------------------------------------------------- */

gboolean
berth_registry_has_blob (BerthRegistry *self, const char *repository, const char *digest,
                         gboolean *out_exists, GCancellable *cancellable, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/v2/%s/blobs/%s", repository, digest);
  Request r = { .method = "HEAD", .path = path, .repository = repository, .push = TRUE };
  Exchange x = { .registry = self, .sink = sink_discard, .cancellable = cancellable };
  g_autoptr (GError) local_error = NULL;
  gboolean ok = request_full (self, &r, &x, cancellable, &local_error);
  exchange_clear (&x);
  if (!ok && !g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "Looking for blob %s in %s/%s: ", digest, self->host, repository);
      return FALSE;
    }
  *out_exists = ok;
  return TRUE;
}

/* POST /v2/NAME/blobs/uploads/: a new upload session. Returns its URL, the Location the
 * registry answered with, resolved against the request's URL (registries send absolute and
 * relative ones). */
static char *
start_upload (BerthRegistry *self, const char *repository, GCancellable *cancellable,
              GError **error)
{
  g_autofree char *path = g_strdup_printf ("/v2/%s/blobs/uploads/", repository);
  Request r = { .method = "POST", .path = path, .repository = repository, .push = TRUE };
  Exchange x = { .registry = self, .sink = sink_discard, .cancellable = cancellable };
  if (!request_full (self, &r, &x, cancellable, error))
    {
      exchange_clear (&x);
      return NULL;
    }
  g_autofree char *location = g_steal_pointer (&x.location);
  long status = x.status;
  exchange_clear (&x);
  if (location == NULL || *location == '\0')
    return (berth_throw (error, BERTH_ERROR_FAILED,
                         "POST %s answered HTTP %ld without a Location for the upload", path,
                         status),
            NULL);

  g_autofree char *base = g_strdup_printf ("%s://%s%s", self->scheme, self->host, path);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *url = g_uri_resolve_relative (base, location, G_URI_FLAGS_ENCODED, &local_error);
  const char *scheme = url ? g_uri_peek_scheme (url) : NULL;
  if (url == NULL || scheme == NULL
      || !(g_str_equal (scheme, "https") || g_str_equal (scheme, "http")))
    {
      g_autofree char *quoted = berth_oci_quote (location, -1, 200);
      return (berth_throw (error, BERTH_ERROR_FAILED,
                           "POST %s answered with an upload Location that is no http(s) URL: %s",
                           path, quoted),
              NULL);
    }
  /* A fragment is never sent; a query (the registry's upload state) is kept as it is. */
  char *hash = strchr (url, '#');
  if (hash != NULL)
    *hash = '\0';
  return g_steal_pointer (&url);
}

/* DELETE on an upload that failed: the registry may drop what it received at once instead of
 * when its upload purge runs. Best effort, never retried. */
static void
cancel_upload (BerthRegistry *self, const char *repository, const char *location)
{
  Request r
    = { .method = "DELETE", .url = location, .repository = repository, .push = TRUE, .once = TRUE };
  Exchange x = { .registry = self, .sink = sink_discard, .hide_query = TRUE };
  g_autoptr (GError) local_error = NULL;
  if (!request_full (self, &r, &x, NULL, &local_error))
    g_debug ("%s: cancelling an upload: %s", self->host, local_error->message);
  exchange_clear (&x);
}

/* PUT LOCATION?digest=DIGEST with the whole blob: the end of a monolithic upload. */
static gboolean
finish_upload (BerthRegistry *self, const char *repository, const char *location,
               const char *digest, gint64 size, BerthRegistryBodyFunc open_body, gpointer user_data,
               GCancellable *cancellable, GError **error)
{
  g_autofree char *escaped = g_uri_escape_string (digest, NULL, FALSE);
  g_autofree char *url
    = g_strdup_printf ("%s%cdigest=%s", location, strchr (location, '?') ? '&' : '?', escaped);
  Body body = { .open = open_body,
                .open_data = user_data,
                .size = size,
                .content_type = "application/octet-stream" };
  Request r = { .method = "PUT", .url = url, .repository = repository, .push = TRUE, .once = TRUE };
  Exchange x = { .registry = self,
                 .sink = sink_discard,
                 .cancellable = cancellable,
                 .body = &body,
                 .hide_query = TRUE };
  gboolean ok = request_full (self, &r, &x, cancellable, error);
  if (ok && x.docker_digest != NULL && !g_str_equal (x.docker_digest, digest))
    {
      g_autofree char *quoted = berth_oci_quote (x.docker_digest, -1, 100);
      ok = berth_throw (error, BERTH_ERROR_DIGEST_MISMATCH, "the registry stored it as %s", quoted);
    }
  exchange_clear (&x);
  body_clear (&body);
  return ok;
}

gboolean
berth_registry_push_blob (BerthRegistry *self, const char *repository, const char *digest,
                          gint64 size, BerthRegistryBodyFunc open_body, gpointer user_data,
                          GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Pushing blob %s to %s/%s", digest, self->host, repository);
  gboolean renewed = FALSE;
  for (guint attempt = 0;; attempt++)
    {
      /* POST has its own retries; a failed PUT starts over with a new upload, since what the
       * registry kept of the one that failed is unknown. */
      g_autofree char *location = start_upload (self, repository, cancellable, error);
      if (location == NULL)
        return FALSE;
      g_autoptr (GError) local_error = NULL;
      if (finish_upload (self, repository, location, digest, size, open_body, user_data,
                         cancellable, &local_error))
        {
          count (self, &self->stats.blobs_pushed);
          return TRUE;
        }
      cancel_upload (self, repository, location);

      if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_AUTH) && !renewed
          && bearer_auth (self))
        {
          /* The token expired during the upload: renew it once. */
          renewed = TRUE;
          g_autofree char *scope = scope_for (repository, TRUE);
          forget_token (self, scope);
          attempt--;
          continue;
        }
      if (berth_error_code_of (local_error) != BERTH_ERROR_RETRYABLE
          || attempt + 1 >= self->max_attempts || g_cancellable_is_cancelled (cancellable))
        {
          if (berth_error_code_of (local_error) == BERTH_ERROR_RETRYABLE)
            g_prefix_error (&local_error, "after %u attempts: ", attempt + 1);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      guint wait = backoff_ms (self, attempt, 0);
      g_debug ("%s: %s; restarting the upload in %u ms", self->host, local_error->message, wait);
      count (self, &self->stats.retries);
      g_usleep ((gulong)wait * 1000);
    }
}

gboolean
berth_registry_put_manifest (BerthRegistry *self, const char *repository, const char *reference,
                             const char *media_type, GBytes *manifest, char **out_digest,
                             GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Pushing manifest %s to %s/%s", reference, self->host,
                           repository);
  g_autofree char *path = g_strdup_printf ("/v2/%s/manifests/%s", repository, reference);
  /* The body is in memory: a retry sends it again from its start (a PUT is idempotent). */
  Body body = { .open = open_bytes,
                .open_data = manifest,
                .size = (gint64)g_bytes_get_size (manifest),
                .content_type = media_type };
  Request r = { .method = "PUT", .path = path, .repository = repository, .push = TRUE };
  Exchange x
    = { .registry = self, .sink = sink_discard, .cancellable = cancellable, .body = &body };
  gboolean ok = request_full (self, &r, &x, cancellable, error);
  if (ok && out_digest != NULL)
    *out_digest = g_steal_pointer (&x.docker_digest);
  exchange_clear (&x);
  body_clear (&body);
  return ok;
}
