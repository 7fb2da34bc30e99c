/* Registry authentication data (see oci-auth.h). */
#include "oci-auth.h"
#include "oci-private.h"

#include <fcntl.h>
#include <string.h>

#include "util/util-json.h"

/* Auth files are a handful of entries; a bigger one is not an auth file. */
#define AUTH_FILE_MAX (1024 * 1024)
/* How much of a server's header an error message quotes. */
#define QUOTE_MAX 160
/* Token lifetimes above a day are treated as a day: the client renews on a 401 anyway, and the
 * cap keeps the caller's lifetime-in-microseconds arithmetic far from overflowing. */
#define TOKEN_MAX_LIFETIME_S (24 * 60 * 60)

/* ---- WWW-Authenticate -------------------------------------------------------------------- */

static const char *const scheme_names[] = {
  [BERTH_AUTH_SCHEME_OTHER] = "other",
  [BERTH_AUTH_SCHEME_BASIC] = "Basic",
  [BERTH_AUTH_SCHEME_BEARER] = "Bearer",
};

const char *
berth_auth_scheme_to_string (BerthAuthScheme scheme)
{
  if ((guint)scheme >= G_N_ELEMENTS (scheme_names))
    return "unknown";
  return scheme_names[scheme];
}

void
berth_auth_challenge_free (BerthAuthChallenge *challenge)
{
  if (challenge == NULL)
    return;
  g_free (challenge->scheme_name);
  g_free (challenge->realm);
  g_free (challenge->service);
  g_free (challenge->scope);
  g_free (challenge->token68);
  g_clear_pointer (&challenge->params, g_hash_table_unref);
  g_free (challenge);
}

/* RFC 9110 section 5.6.2 tchar. */
static gboolean
is_tchar (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 9110 section 11.2 token68 characters (before the trailing '=' padding). */
static gboolean
is_token68_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-._~+/", c) != NULL);
}

static gboolean
is_ows (char c)
{
  return c == ' ' || c == '\t';
}

typedef struct
{
  const char *header;
  const char *p;
} Scanner;

static void
skip_ows (Scanner *s)
{
  while (is_ows (*s->p))
    s->p++;
}

static gboolean
scan_fail (Scanner *s, GError **error, const char *expected)
{
  g_autofree char *quoted = berth_oci_quote (s->header, -1, QUOTE_MAX);
  return berth_throw (error, BERTH_ERROR_FAILED,
                      "Malformed WWW-Authenticate header %s: expected %s at offset %d", quoted,
                      expected, (int)(s->p - s->header));
}

static char *
scan_token (Scanner *s)
{
  const char *start = s->p;
  while (is_tchar (*s->p))
    s->p++;
  return s->p > start ? g_strndup (start, s->p - start) : NULL;
}

/* RFC 9110 section 5.6.4 quoted-string, with quoted-pair escapes removed. */
static char *
scan_quoted_string (Scanner *s, GError **error)
{
  g_assert (*s->p == '"');
  s->p++;
  g_autoptr (GString) out = g_string_new (NULL);
  for (;;)
    {
      guchar c = (guchar)*s->p;
      if (c == '"')
        {
          s->p++;
          return g_string_free (g_steal_pointer (&out), FALSE);
        }
      if (c == '\\')
        {
          guchar e = (guchar)s->p[1];
          if (e == '\t' || (e >= 0x20 && e != 0x7f))
            {
              g_string_append_c (out, (char)e);
              s->p += 2;
              continue;
            }
          scan_fail (s, error, "an escaped character after '\\'");
          return NULL;
        }
      /* qdtext: HTAB, SP, visible ASCII except '"' and '\', and obs-text. */
      if (c == '\t' || (c >= 0x20 && c != 0x7f))
        {
          g_string_append_c (out, (char)c);
          s->p++;
          continue;
        }
      scan_fail (s, error, c == '\0' ? "the closing '\"'" : "a printable character");
      return NULL;
    }
}

static BerthAuthScheme
scheme_from_name (const char *name)
{
  if (g_ascii_strcasecmp (name, "Basic") == 0)
    return BERTH_AUTH_SCHEME_BASIC;
  if (g_ascii_strcasecmp (name, "Bearer") == 0)
    return BERTH_AUTH_SCHEME_BEARER;
  return BERTH_AUTH_SCHEME_OTHER;
}

/* After a comma inside a challenge: is the next element another auth-param (token BWS "=")
 * or the scheme of the next challenge? Does not move the scanner. */
static gboolean
next_is_param (const Scanner *s)
{
  const char *p = s->p;
  if (!is_tchar (*p))
    return FALSE;
  while (is_tchar (*p))
    p++;
  while (is_ows (*p))
    p++;
  return *p == '=';
}

/* Tries the token68 form at the scanner: 1*token68char *"=" followed by the end of the
 * challenge. Moves the scanner only when it matched. */
static char *
try_token68 (Scanner *s)
{
  const char *p = s->p;
  while (is_token68_char (*p))
    p++;
  if (p == s->p)
    return NULL;
  while (*p == '=')
    p++;
  const char *end = p;
  while (is_ows (*p))
    p++;
  if (*p != '\0' && *p != ',')
    return NULL;
  char *t = g_strndup (s->p, end - s->p);
  s->p = end;
  return t;
}

static gboolean
parse_params (Scanner *s, BerthAuthChallenge *ch, GError **error)
{
  for (;;)
    {
      g_autofree char *name = scan_token (s);
      if (name == NULL)
        return scan_fail (s, error, "a parameter name");
      skip_ows (s);
      if (*s->p != '=')
        return scan_fail (s, error, "'=' after a parameter name");
      s->p++;
      skip_ows (s);
      g_autofree char *value = NULL;
      if (*s->p == '"')
        {
          value = scan_quoted_string (s, error);
          if (value == NULL)
            return FALSE;
        }
      else
        {
          value = scan_token (s);
          if (value == NULL)
            return scan_fail (s, error, "a parameter value");
        }
      g_autofree char *key = g_ascii_strdown (name, -1);
      /* RFC 9110 section 11.2: each parameter name MUST only occur once per challenge. */
      if (g_hash_table_contains (ch->params, key))
        {
          g_autofree char *quoted = berth_oci_quote (s->header, -1, QUOTE_MAX);
          return berth_throw (error, BERTH_ERROR_FAILED,
                              "Malformed WWW-Authenticate header %s: parameter %s given twice",
                              quoted, key);
        }
      g_hash_table_insert (ch->params, g_steal_pointer (&key), g_steal_pointer (&value));

      skip_ows (s);
      if (*s->p == '\0')
        return TRUE;
      if (*s->p != ',')
        return scan_fail (s, error, "',' or the end after a parameter");
      /* Empty list elements are allowed (RFC 9110 section 5.6.1). */
      while (*s->p == ',' || is_ows (*s->p))
        s->p++;
      if (*s->p == '\0' || !next_is_param (s))
        return TRUE; /* the end, or the next challenge's scheme */
    }
}

static gboolean
finish_challenge (Scanner *s, BerthAuthChallenge *ch, GError **error)
{
  const char *params[] = { "realm", "service", "scope" };
  char **fields[] = { &ch->realm, &ch->service, &ch->scope };
  for (gsize i = 0; i < G_N_ELEMENTS (params); i++)
    *fields[i] = g_strdup (g_hash_table_lookup (ch->params, params[i]));

  if (ch->scheme == BERTH_AUTH_SCHEME_BEARER)
    {
      /* The realm is fetched with the user's credentials: it must be an http(s) URL, never a
       * file: or other scheme curl might follow. */
      const char *r = ch->realm;
      gboolean ok
        = r != NULL
          && ((g_ascii_strncasecmp (r, "https://", 8) == 0 && r[8] != '\0' && r[8] != '/')
              || (g_ascii_strncasecmp (r, "http://", 7) == 0 && r[7] != '\0' && r[7] != '/'));
      if (!ok)
        {
          g_autofree char *quoted = berth_oci_quote (s->header, -1, QUOTE_MAX);
          return berth_throw (error, BERTH_ERROR_FAILED,
                              "WWW-Authenticate header %s: a Bearer challenge needs a realm that "
                              "is an http(s) URL",
                              quoted);
        }
    }
  return TRUE;
}

GPtrArray *
berth_auth_challenges_parse (const char *header, GError **error)
{
  g_return_val_if_fail (header != NULL, NULL);
  Scanner s = { header, header };
  if (!g_utf8_validate (header, -1, NULL))
    {
      g_autofree char *quoted = berth_oci_quote (header, -1, QUOTE_MAX);
      berth_throw (error, BERTH_ERROR_FAILED, "Malformed WWW-Authenticate header %s: not UTF-8",
                   quoted);
      return NULL;
    }
  g_autoptr (GPtrArray) out
    = g_ptr_array_new_with_free_func ((GDestroyNotify)berth_auth_challenge_free);
  for (;;)
    {
      while (*s.p == ',' || is_ows (*s.p))
        s.p++;
      if (*s.p == '\0')
        break;
      g_autofree char *scheme = scan_token (&s);
      if (scheme == NULL)
        {
          scan_fail (&s, error, "an authentication scheme");
          return NULL;
        }
      BerthAuthChallenge *ch = g_new0 (BerthAuthChallenge, 1);
      g_ptr_array_add (out, ch);
      ch->scheme = scheme_from_name (scheme);
      ch->scheme_name = g_steal_pointer (&scheme);
      ch->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

      if (*s.p != '\0' && *s.p != ',')
        {
          /* RFC 9110 section 11.6.1: auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
          if (*s.p != ' ')
            {
              scan_fail (&s, error, "a space after the scheme");
              return NULL;
            }
          skip_ows (&s);
          if (*s.p != '\0' && *s.p != ',')
            {
              if (!next_is_param (&s))
                {
                  ch->token68 = try_token68 (&s);
                  if (ch->token68 == NULL)
                    {
                      scan_fail (&s, error, "parameters or a token68");
                      return NULL;
                    }
                }
              else if (!parse_params (&s, ch, error))
                return NULL;
            }
        }
      if (!finish_challenge (&s, ch, error))
        return NULL;
    }
  if (out->len == 0)
    {
      berth_throw (error, BERTH_ERROR_FAILED, "Empty WWW-Authenticate header");
      return NULL;
    }
  return g_steal_pointer (&out);
}

BerthAuthChallenge *
berth_auth_challenge_parse (const char *header, GError **error)
{
  g_autoptr (GPtrArray) all = berth_auth_challenges_parse (header, error);
  if (all == NULL)
    return NULL;
  for (BerthAuthScheme want = BERTH_AUTH_SCHEME_BEARER; want >= BERTH_AUTH_SCHEME_BASIC; want--)
    for (guint i = 0; i < all->len; i++)
      {
        BerthAuthChallenge *ch = all->pdata[i];
        if (ch->scheme == want)
          return g_ptr_array_steal_index (all, i);
      }
  g_autoptr (GString) offered = g_string_new (NULL);
  for (guint i = 0; i < all->len; i++)
    {
      BerthAuthChallenge *ch = all->pdata[i];
      g_string_append_printf (offered, "%s%s", i ? ", " : "", ch->scheme_name);
    }
  berth_throw (error, BERTH_ERROR_AUTH,
               "The registry asks for %s authentication; berth supports only Bearer and Basic",
               offered->str);
  return NULL;
}

/* ---- token responses ----------------------------------------------------------------------- */

void
berth_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

void
berth_auth_token_free (BerthAuthToken *token)
{
  if (token == NULL)
    return;
  berth_secret_free (token->token);
  g_free (token);
}

/* The token goes into an Authorization header: visible ASCII only, so a hostile token
 * endpoint cannot inject header lines. */
static gboolean
token_is_header_safe (const char *t)
{
  if (*t == '\0')
    return FALSE;
  for (; *t != '\0'; t++)
    if ((guchar)*t < 0x21 || (guchar)*t > 0x7e)
      return FALSE;
  return TRUE;
}

BerthAuthToken *
berth_auth_token_parse (const char *data, gsize len, GError **error)
{
  if (len > BERTH_AUTH_TOKEN_RESPONSE_MAX)
    {
      berth_throw (error, BERTH_ERROR_TOO_LARGE,
                   "Token response is %" G_GSIZE_FORMAT " bytes, more than the %d allowed", len,
                   BERTH_AUTH_TOKEN_RESPONSE_MAX);
      return NULL;
    }
  json_error_t jerr;
  g_autoptr (json_t) root = json_loadb (data, len, 0, &jerr);
  /* Not berth_throw_json: jansson's message can quote the text near the error, which here
   * may be part of the token. */
  if (root == NULL)
    {
      berth_throw (error, BERTH_ERROR_FAILED,
                   "Token response is not valid JSON (line %d, column %d)", jerr.line, jerr.column);
      return NULL;
    }
  if (!json_is_object (root))
    {
      berth_throw (error, BERTH_ERROR_FAILED, "Token response is not a JSON object");
      return NULL;
    }

  /* distribution token spec: `token`, with `access_token` accepted for OAuth 2.0
   * compatibility; when both are there they should be equal, and `token` is what Docker
   * and containers/image use. */
  const char *value = NULL;
  const char *keys[] = { "token", "access_token" };
  for (gsize i = 0; i < G_N_ELEMENTS (keys) && value == NULL; i++)
    {
      json_t *t = json_object_get (root, keys[i]);
      if (t == NULL || json_is_null (t))
        continue;
      if (!json_is_string (t))
        {
          berth_throw (error, BERTH_ERROR_FAILED, "Token response: \"%s\" is not a string",
                       keys[i]);
          return NULL;
        }
      if (json_string_length (t) > 0)
        value = json_string_value (t);
    }
  if (value == NULL)
    {
      berth_throw (error, BERTH_ERROR_AUTH,
                   "Token response has neither \"token\" nor \"access_token\"");
      return NULL;
    }
  /* jansson rejects \u0000 in strings (no JSON_ALLOW_NUL), so the C string is the whole token. */
  if (!token_is_header_safe (value))
    {
      berth_throw (error, BERTH_ERROR_FAILED,
                   "Token response: the token has characters that cannot go into an HTTP header");
      return NULL;
    }

  gint64 expires_in = BERTH_AUTH_TOKEN_MIN_LIFETIME_S;
  json_t *e = json_object_get (root, "expires_in");
  if (e != NULL && !json_is_null (e))
    {
      if (!json_is_integer (e))
        {
          berth_throw (error, BERTH_ERROR_FAILED,
                       "Token response: \"expires_in\" is not an integer");
          return NULL;
        }
      expires_in
        = CLAMP (json_integer_value (e), BERTH_AUTH_TOKEN_MIN_LIFETIME_S, TOKEN_MAX_LIFETIME_S);
    }

  gint64 issued_at = 0;
  json_t *i = json_object_get (root, "issued_at");
  if (i != NULL && !json_is_null (i))
    {
      g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
      g_autoptr (GDateTime) dt
        = json_is_string (i) ? g_date_time_new_from_iso8601 (json_string_value (i), utc) : NULL;
      if (dt == NULL)
        {
          g_autofree char *quoted
            = json_is_string (i) ? berth_oci_quote (json_string_value (i), -1, 40) : NULL;
          berth_throw (error, BERTH_ERROR_FAILED,
                       "Token response: \"issued_at\" %s is not an RFC 3339 time",
                       quoted ? quoted : "(not a string)");
          return NULL;
        }
      issued_at = g_date_time_to_unix (dt);
    }

  BerthAuthToken *token = g_new0 (BerthAuthToken, 1);
  token->token = g_strdup (value);
  token->expires_in = expires_in;
  token->issued_at = issued_at;
  return token;
}

/* ---- credentials --------------------------------------------------------------------------- */

void
berth_credentials_free (BerthCredentials *creds)
{
  if (creds == NULL)
    return;
  berth_secret_free (creds->username);
  berth_secret_free (creds->password);
  g_free (creds->source);
  g_free (creds);
}

BerthCredentials *
berth_credentials_new (const char *username, const char *password)
{
  BerthCredentials *c = g_new0 (BerthCredentials, 1);
  c->username = g_strdup (username);
  c->password = g_strdup (password);
  return c;
}

BerthCredentials *
berth_credentials_parse (const char *user_colon_password, GError **error)
{
  const char *colon = user_colon_password ? strchr (user_colon_password, ':') : NULL;
  if (colon == NULL || colon == user_colon_password)
    {
      berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                   "--creds must be USER:PASSWORD (a user name, a colon, the password)");
      return NULL;
    }
  BerthCredentials *c = g_new0 (BerthCredentials, 1);
  c->username = g_strndup (user_colon_password, colon - user_colon_password);
  c->password = g_strdup (colon + 1);
  return c;
}

char *
berth_credentials_to_string (const BerthCredentials *creds)
{
  return g_strconcat (creds->username, ":", creds->password, NULL);
}

/* ---- auth files ----------------------------------------------------------------------------- */

void
berth_auth_files_free (BerthAuthFiles *files)
{
  if (files == NULL)
    return;
  g_free (files->explicit_path);
  g_strfreev (files->search);
  g_free (files);
}

BerthAuthFiles *
berth_auth_files_new (const char *explicit_path, const char *const *search)
{
  BerthAuthFiles *f = g_new0 (BerthAuthFiles, 1);
  f->explicit_path = g_strdup (explicit_path);
  f->search = g_strdupv ((char **)search);
  if (f->search == NULL)
    f->search = g_new0 (char *, 1);
  return f;
}

/* $NAME when set and not empty. */
static const char *
env_nonempty (const char *name)
{
  const char *v = g_getenv (name);
  return v != NULL && *v != '\0' ? v : NULL;
}

BerthAuthFiles *
berth_auth_files_new_default (const char *authfile)
{
  if (authfile != NULL)
    return berth_auth_files_new (authfile, NULL);
  const char *env = env_nonempty ("REGISTRY_AUTH_FILE");
  if (env != NULL)
    return berth_auth_files_new (env, NULL);

  /* Read the environment each time (g_get_home_dir and friends cache their first answer). */
  const char *runtime = env_nonempty ("XDG_RUNTIME_DIR");
  const char *home = env_nonempty ("HOME");
  if (home == NULL)
    home = g_get_home_dir ();
  const char *config = env_nonempty ("XDG_CONFIG_HOME");
  g_autofree char *config_default = g_build_filename (home, ".config", NULL);
  if (config == NULL)
    config = config_default;
  uid_t uid = getuid ();

  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  /* containers-auth.json(5)'s primary file (containers/image: /run/containers/$UID when
   * XDG_RUNTIME_DIR is unset). */
  if (runtime != NULL)
    g_ptr_array_add (paths, g_build_filename (runtime, "containers", "auth.json", NULL));
  else
    g_ptr_array_add (paths, g_strdup_printf ("/run/containers/%u/auth.json", (guint)uid));
  /* ostree-container-auth(5), in ostree-ext's order (globals.rs: runtime, persistent,
   * system). */
  if (uid == 0)
    {
      g_ptr_array_add (paths, g_strdup ("/run/ostree/auth.json"));
      g_ptr_array_add (paths, g_strdup ("/etc/ostree/auth.json"));
      g_ptr_array_add (paths, g_strdup ("/usr/lib/ostree/auth.json"));
    }
  else
    {
      if (runtime != NULL)
        g_ptr_array_add (paths, g_build_filename (runtime, "ostree", "auth.json", NULL));
      g_ptr_array_add (paths, g_build_filename (config, "ostree", "auth.json", NULL));
    }
  g_ptr_array_add (paths, g_build_filename (config, "containers", "auth.json", NULL));
  g_ptr_array_add (paths, g_build_filename (home, ".docker", "config.json", NULL));
  g_ptr_array_add (paths, NULL);
  return berth_auth_files_new (NULL, (const char *const *)paths->pdata);
}

/* containers/image pkg/docker/config: keys written as URLs ("https://index.docker.io/v1/")
 * name a whole registry; Docker Hub has three host names. */
static char *
normalize_registry (const char *registry)
{
  if (g_str_equal (registry, "registry-1.docker.io") || g_str_equal (registry, "docker.io"))
    return g_strdup ("index.docker.io");
  return g_strdup (registry);
}

static char *
normalize_auth_key (const char *key)
{
  const char *stripped = key;
  if (g_str_has_prefix (stripped, "http://"))
    stripped += strlen ("http://");
  else if (g_str_has_prefix (stripped, "https://"))
    stripped += strlen ("https://");
  if (stripped == key)
    return normalize_registry (key);
  g_autofree char *host = g_strndup (stripped, strcspn (stripped, "/"));
  return normalize_registry (host);
}

/* The answer of one auth entry: TRUE with *out_creds set, or TRUE with NULL when the entry
 * holds no usable credentials (a credential-helper marker `{}`, or no colon). */
static gboolean
decode_entry (const char *path, const char *key, json_t *entry, BerthCredentials **out_creds,
              GError **error)
{
  *out_creds = NULL;
  if (!json_is_object (entry))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Auth file %s: the entry for %s is not a JSON object", path, key);
  json_t *auth = json_object_get (entry, "auth");
  if (auth == NULL || json_is_null (auth))
    {
      if (json_object_get (entry, "identitytoken") != NULL)
        g_debug ("auth file %s: entry %s has only an identity token, which berth does not use",
                 path, key);
      return TRUE;
    }
  if (!json_is_string (auth))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Auth file %s: \"auth\" of %s is not a string", path, key);
  if (json_string_length (auth) == 0)
    return TRUE;
  g_autofree guchar *decoded = NULL;
  gsize decoded_len = 0;
  if (!berth_oci_base64_decode_strict (json_string_value (auth), json_string_length (auth),
                                       &decoded, &decoded_len))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Auth file %s: \"auth\" of %s is not valid base64", path, key);
  /* From here on `decoded` holds the password: wipe it on every way out. */
  char *text = (char *)decoded;
  gboolean has_nul = memchr (text, '\0', decoded_len) != NULL;
  char *colon = has_nul ? NULL : memchr (text, ':', decoded_len);
  if (colon == NULL || colon == text)
    {
      /* Docker skips such entries too; the value itself is never shown. */
      g_debug ("auth file %s: entry %s is not USER:PASSWORD, skipped", path, key);
      explicit_bzero (decoded, decoded_len);
      return TRUE;
    }
  *colon = '\0';
  BerthCredentials *c = berth_credentials_new (text, colon + 1);
  c->source = g_strdup (path);
  explicit_bzero (decoded, decoded_len);
  *out_creds = c;
  return TRUE;
}

/* One file: TRUE with *out_creds set when it has credentials for the registry, TRUE with NULL
 * when it has none. The first key that matches decides for the file, even when its entry holds
 * no credentials (containers/image does the same; the search then goes on to the next file). */
static gboolean
lookup_in_file (const char *path, gboolean must_exist, const char *registry, const char *repository,
                BerthCredentials **out_creds, GError **error)
{
  *out_creds = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;
  if (!berth_oci_read_file (AT_FDCWD, path, AUTH_FILE_MAX, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        {
          if (!must_exist)
            return TRUE;
          return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                              "Auth file %s does not exist (named by --authfile or "
                              "REGISTRY_AUTH_FILE)",
                              path);
        }
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "Auth file: %s",
                          local_error->message);
    }

  json_error_t jerr;
  g_autoptr (json_t) root = json_loadb (contents, len, 0, &jerr);
  explicit_bzero (contents, len);
  /* Never jansson's message text: it can quote the credentials near the error. */
  if (root == NULL)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Auth file %s is not valid JSON (line %d, column %d)", path, jerr.line,
                        jerr.column);
  if (!json_is_object (root))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "Auth file %s is not a JSON object",
                        path);
  json_t *auths = json_object_get (root, "auths");
  if (auths == NULL || json_is_null (auths))
    return TRUE;
  if (!json_is_object (auths))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "Auth file %s: \"auths\" is not a JSON object", path);

  json_t *helpers = json_object_get (root, "credHelpers");
  if (json_is_object (helpers) && json_object_get (helpers, registry) != NULL)
    g_debug ("auth file %s names a credential helper for %s; berth does not run helpers", path,
             registry);

  /* Most specific first: registry/a/b, registry/a, registry (containers-auth.json(5)). */
  g_autofree char *name = repository && *repository
                            ? g_strdup_printf ("%s/%s", registry, repository)
                            : g_strdup (registry);
  for (;;)
    {
      json_t *entry = json_object_get (auths, name);
      if (entry != NULL)
        return decode_entry (path, name, entry, out_creds, error);
      char *slash = strrchr (name, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
    }

  /* Then keys naming the registry in another spelling (Docker's "https://index.docker.io/v1/"). */
  g_autofree char *want = normalize_registry (registry);
  const char *key;
  json_t *entry;
  json_object_foreach (auths, key, entry)
  {
    g_autofree char *norm = normalize_auth_key (key);
    if (g_str_equal (norm, want))
      return decode_entry (path, key, entry, out_creds, error);
  }
  return TRUE;
}

gboolean
berth_auth_files_lookup (const BerthAuthFiles *files, const char *registry, const char *repository,
                         BerthCredentials **out_creds, GError **error)
{
  g_return_val_if_fail (files != NULL && registry != NULL, FALSE);
  if (files->explicit_path != NULL)
    {
      g_autoptr (BerthCredentials) c = NULL;
      if (!lookup_in_file (files->explicit_path, TRUE, registry, repository, &c, error))
        return FALSE;
      *out_creds = g_steal_pointer (&c);
      return TRUE;
    }
  for (char **p = files->search; *p != NULL; p++)
    {
      g_autoptr (BerthCredentials) c = NULL;
      if (!lookup_in_file (*p, FALSE, registry, repository, &c, error))
        return FALSE;
      if (c != NULL)
        {
          g_debug ("credentials for %s from %s", registry, *p);
          *out_creds = g_steal_pointer (&c);
          return TRUE;
        }
    }
  *out_creds = NULL;
  return TRUE;
}
