/* Registry authentication data: WWW-Authenticate challenges, token responses, credentials.
 *
 * Pure parsing plus reading the auth files named by containers-auth.json(5); no network. The
 * registry client (oci-registry.c) drives the HTTP side. Secrets (passwords, the `auth` field,
 * tokens) never appear in an error message or in g_debug output, and are wiped when freed.
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

/* ---- WWW-Authenticate (RFC 7235 section 4.1, RFC 9110 section 11.6.1) --------------------- */

typedef enum
{
  BERTH_AUTH_SCHEME_OTHER, /* a scheme berth does not speak (Negotiate, Digest, ...) */
  BERTH_AUTH_SCHEME_BASIC,
  BERTH_AUTH_SCHEME_BEARER,
} BerthAuthScheme;

const char *berth_auth_scheme_to_string (BerthAuthScheme scheme);

typedef struct
{
  BerthAuthScheme scheme;
  char *scheme_name; /* as the server spelled it */
  /* The parameters the Docker/OCI token flow uses; NULL when absent. For Bearer, realm is
   * always an absolute http(s) URL (checked: it is fetched with the user's credentials). */
  char *realm;
  char *service;
  char *scope;
  char *token68;      /* the token68 form (`Basic abc=`), NULL when the challenge has params */
  GHashTable *params; /* every auth-param: lower-cased name -> unquoted value */
} BerthAuthChallenge;

void berth_auth_challenge_free (BerthAuthChallenge *challenge);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthAuthChallenge, berth_auth_challenge_free)

/* Every challenge in one header value (a header may carry several, separated by commas),
 * in order, as BerthAuthChallenge*. Scheme and parameter names are case-insensitive; quoted
 * strings may hold escapes. A malformed header is BERTH_ERROR_FAILED. */
GPtrArray *berth_auth_challenges_parse (const char *header, GError **error);

/* The one challenge berth answers: the first Bearer, else the first Basic. No usable scheme
 * is BERTH_ERROR_AUTH, naming the schemes offered. */
BerthAuthChallenge *berth_auth_challenge_parse (const char *header, GError **error);

/* ---- token responses (distribution spec, "token authentication") ------------------------ */

/* Token endpoint answers are small; anything bigger is not a token response. */
#define BERTH_AUTH_TOKEN_RESPONSE_MAX (1024 * 1024)
/* The spec's minimum lifetime: "expires_in" absent or below this means this many seconds. */
#define BERTH_AUTH_TOKEN_MIN_LIFETIME_S 60

typedef struct
{
  char *token;       /* `token`, else `access_token`; printable ASCII, safe in a header */
  gint64 expires_in; /* seconds, at least BERTH_AUTH_TOKEN_MIN_LIFETIME_S */
  gint64 issued_at;  /* Unix seconds from `issued_at`, or 0 when the response has none */
} BerthAuthToken;

void berth_auth_token_free (BerthAuthToken *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthAuthToken, berth_auth_token_free)

BerthAuthToken *berth_auth_token_parse (const char *data, gsize len, GError **error);

/* ---- credentials -------------------------------------------------------------------------- */

typedef struct
{
  char *username;
  char *password;
  char *source; /* the auth file they were read from; NULL for --creds */
} BerthCredentials;

void berth_credentials_free (BerthCredentials *creds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthCredentials, berth_credentials_free)

BerthCredentials *berth_credentials_new (const char *username, const char *password);

/* `--creds USER:PASSWORD` (split at the first colon; the user must not be empty). The error
 * never quotes the argument, since it holds the password. BERTH_ERROR_INVALID_ARGUMENT. */
BerthCredentials *berth_credentials_parse (const char *user_colon_password, GError **error);

/* "USER:PASSWORD", the form HTTP Basic encodes. Free with berth_secret_free. */
char *berth_credentials_to_string (const BerthCredentials *creds);

/* Wipes then frees a NUL-terminated secret. NULL is allowed. */
void berth_secret_free (char *secret);

/* Where credentials are looked for, containers-auth.json(5) and ostree-container-auth(5):
 *  - an explicit file (--authfile, else $REGISTRY_AUTH_FILE) is the only one read, and it must
 *    exist: a typo in a path the user gave must not turn into an anonymous pull;
 *  - otherwise each file of @search in turn, missing ones skipped; the first file with an
 *    entry for the registry wins (containers-auth.json: "read in sequence until the valid
 *    credential is found").
 * Tests build their own with berth_auth_files_new. */
typedef struct
{
  char *explicit_path;
  GStrv search;
} BerthAuthFiles;

void berth_auth_files_free (BerthAuthFiles *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthAuthFiles, berth_auth_files_free)

BerthAuthFiles *berth_auth_files_new (const char *explicit_path, const char *const *search);

/* The default search for this process: @authfile (from --authfile) when non-NULL, else
 * $REGISTRY_AUTH_FILE when set, else, in order:
 *   the containers primary file: $XDG_RUNTIME_DIR/containers/auth.json, or
 *     /run/containers/$UID/auth.json when XDG_RUNTIME_DIR is unset (root in an installer);
 *   ostree's (what bootc uses for upgrades of the installed system): for root
 *     /run/ostree/auth.json, /etc/ostree/auth.json, /usr/lib/ostree/auth.json; for other users
 *     $XDG_RUNTIME_DIR/ostree/auth.json and $XDG_CONFIG_HOME/ostree/auth.json;
 *   ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json;
 *   ~/.docker/config.json (keys there may be URLs: https://index.docker.io/v1/). */
BerthAuthFiles *berth_auth_files_new_default (const char *authfile);

/* Looks up credentials for REGISTRY/REPOSITORY (@registry is HOST[:PORT] as in the image
 * reference, @repository the path, e.g. "docker.io" + "library/fedora"). Within a file the
 * most specific key wins: "reg/a/b", "reg/a", "reg", then keys naming the same registry as
 * a URL or legacy host (registry-1.docker.io, index.docker.io and docker.io are one).
 * Returns TRUE with *out_creds = NULL when no file has credentials (anonymous access).
 * Unreadable or malformed files are BERTH_ERROR_INVALID_ARGUMENT; the message names the file
 * and the position, never its content. */
gboolean berth_auth_files_lookup (const BerthAuthFiles *files, const char *registry,
                                  const char *repository, BerthCredentials **out_creds,
                                  GError **error);

G_END_DECLS
