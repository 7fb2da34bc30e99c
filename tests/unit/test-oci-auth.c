/* Unit tests of WWW-Authenticate parsing, token responses, --creds and auth files. */
#include "oci/oci.h"
#include "oci/oci-registry.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-support.h"

/* ---- WWW-Authenticate ---------------------------------------------------------------------- */

static void
test_challenge_registries (void)
{
  /* What real registries send. */
  static const struct
  {
    const char *header;
    BerthAuthScheme scheme;
    const char *realm, *service, *scope;
  } cases[] = {
    /* Docker Hub */
    { "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
      "scope=\"repository:library/ubuntu:pull\"",
      BERTH_AUTH_SCHEME_BEARER, "https://auth.docker.io/token", "registry.docker.io",
      "repository:library/ubuntu:pull" },
    /* quay.io (no scope on the /v2/ ping) */
    { "Bearer realm=\"https://quay.io/v2/auth\",service=\"quay.io\"", BERTH_AUTH_SCHEME_BEARER,
      "https://quay.io/v2/auth", "quay.io", NULL },
    /* distribution's registry with htpasswd */
    { "Basic realm=\"Registry Realm\"", BERTH_AUTH_SCHEME_BASIC, "Registry Realm", NULL, NULL },
    /* error parameters next to the usual ones, spaces around '=' and ',' */
    { "Bearer realm = \"https://r.example/token\" , service=r.example ,"
      "scope=\"repository:a/b:pull\",error=\"insufficient_scope\"",
      BERTH_AUTH_SCHEME_BEARER, "https://r.example/token", "r.example", "repository:a/b:pull" },
    /* case-insensitive scheme and parameter names; values keep their case */
    { "bEaReR REALM=\"http://127.0.0.1:5001/Token\",SerVice=\"Svc\"", BERTH_AUTH_SCHEME_BEARER,
      "http://127.0.0.1:5001/Token", "Svc", NULL },
    /* quoted-pair escapes */
    { "Basic realm=\"say \\\"hi\\\" \\\\ bye\"", BERTH_AUTH_SCHEME_BASIC, "say \"hi\" \\ bye", NULL,
      NULL },
    /* a scope with several actions and a realm with a query */
    { "Bearer realm=\"https://r.example/token?x=1\",scope=\"repository:a:pull,push\"",
      BERTH_AUTH_SCHEME_BEARER, "https://r.example/token?x=1", NULL, "repository:a:pull,push" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthAuthChallenge) ch = berth_auth_challenge_parse (cases[i].header, &error);
      if (ch == NULL)
        g_error ("%s: %s", cases[i].header, error->message);
      g_assert_cmpint (ch->scheme, ==, cases[i].scheme);
      g_assert_cmpstr (ch->realm, ==, cases[i].realm);
      g_assert_cmpstr (ch->service, ==, cases[i].service);
      g_assert_cmpstr (ch->scope, ==, cases[i].scope);
      g_assert_null (ch->token68);
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthAuthChallenge) hub = berth_auth_challenge_parse (cases[3].header, &error);
  g_assert_cmpstr (g_hash_table_lookup (hub->params, "error"), ==, "insufficient_scope");
  g_assert_cmpstr (berth_auth_scheme_to_string (hub->scheme), ==, "Bearer");
}

static void
test_challenge_lists (void)
{
  g_autoptr (GError) error = NULL;
  /* RFC 7235's own example: two challenges in one header, a token68 form too. */
  g_autoptr (GPtrArray) all = berth_auth_challenges_parse (
    "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
    &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
  BerthAuthChallenge *a = all->pdata[0], *b = all->pdata[1];
  g_assert_cmpstr (a->scheme_name, ==, "Newauth");
  g_assert_cmpint (a->scheme, ==, BERTH_AUTH_SCHEME_OTHER);
  g_assert_cmpstr (g_hash_table_lookup (a->params, "type"), ==, "1");
  g_assert_cmpstr (g_hash_table_lookup (a->params, "title"), ==, "Login to \"apps\"");
  g_assert_cmpint (b->scheme, ==, BERTH_AUTH_SCHEME_BASIC);
  g_assert_cmpstr (b->realm, ==, "simple");

  /* Bearer wins over Basic, whichever comes first. */
  g_autoptr (BerthAuthChallenge) pick = berth_auth_challenge_parse (
    "Basic realm=\"x\", Bearer realm=\"https://t.example/token\",service=\"t\"", &error);
  g_assert_no_error (error);
  g_assert_cmpint (pick->scheme, ==, BERTH_AUTH_SCHEME_BEARER);
  g_assert_cmpstr (pick->service, ==, "t");

  g_autoptr (GPtrArray) t68 = berth_auth_challenges_parse ("Negotiate abc+/def==, Basic", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t68->len, ==, 2);
  g_assert_cmpstr (((BerthAuthChallenge *)t68->pdata[0])->token68, ==, "abc+/def==");
  g_assert_cmpstr (((BerthAuthChallenge *)t68->pdata[1])->scheme_name, ==, "Basic");
  g_assert_null (((BerthAuthChallenge *)t68->pdata[1])->realm);

  /* Empty list elements are allowed. */
  g_autoptr (GPtrArray) empties = berth_auth_challenges_parse (" , Basic realm=x,, ,", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empties->len, ==, 1);

  /* Only schemes berth does not speak: an AUTH error naming them. */
  g_assert_null (berth_auth_challenge_parse ("Negotiate, NTLM", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_AUTH);
  g_assert_cmpstr (error->message, ==,
                   "The registry asks for Negotiate, NTLM authentication; berth supports only "
                   "Bearer and Basic");
}

static void
test_challenge_malformed (void)
{
  static const struct
  {
    const char *header;
    const char *message_part;
  } cases[] = {
    { "", "Empty WWW-Authenticate header" },
    { "   ", "Empty WWW-Authenticate header" },
    { "=x", "expected an authentication scheme" },
    { "Bearer realm=\"https://a/b", "expected the closing '\"'" },
    { "Bearer realm=", "expected a parameter value" },
    { "Bearer realm=\"https://a\" service=\"b\"", "expected ',' or the end after a parameter" },
    { "Bearer realm=\"https://a\",realm=\"https://b\"", "parameter realm given twice" },
    { "Bearer REALM=\"https://a\",realm=\"https://b\"", "parameter realm given twice" },
    { "Bearer service=\"x\"", "a Bearer challenge needs a realm that is an http(s) URL" },
    { "Bearer realm=\"file:///etc/passwd\"", "needs a realm that is an http(s) URL" },
    { "Bearer realm=\"https:///nohost\"", "needs a realm that is an http(s) URL" },
    { "Bearer realm=\"ftp://x/y\"", "needs a realm that is an http(s) URL" },
    { "Basic realm=\"a\x01b\"", "expected a printable character" },
    { "Basic realm=\"a\\\x01\"", "expected an escaped character" },
    { "Basic\trealm=x", "expected a space after the scheme" },
    { "Basic realm=x;", "expected ',' or the end after a parameter" },
    { "Basic @@@", "expected parameters or a token68" },
    { "Basic realm=\"\xff\"", "not UTF-8" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) all = berth_auth_challenges_parse (cases[i].header, &error);
      if (all != NULL)
        g_error ("\"%s\" parsed", cases[i].header);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
      if (strstr (error->message, cases[i].message_part) == NULL)
        g_error ("\"%s\": \"%s\" lacks \"%s\"", cases[i].header, error->message,
                 cases[i].message_part);
      /* control characters are escaped in the quoted header */
      g_assert_null (strchr (error->message, '\x01'));
    }
}

/* ---- token responses ------------------------------------------------------------------------- */

static void
test_token_responses (void)
{
  static const struct
  {
    const char *json;
    const char *token;
    gint64 expires_in, issued_at;
  } cases[] = {
    /* distribution's token server: both names, lifetime, issue time */
    { "{\"token\": \"eyJhbGciOi.x.y\", \"access_token\": \"eyJhbGciOi.x.y\", \"expires_in\": 300, "
      "\"issued_at\": \"2024-03-01T12:00:00Z\"}",
      "eyJhbGciOi.x.y", 300, 1709294400 },
    /* Only access_token (OAuth 2.0 style); no lifetime: 60 s */
    { "{\"access_token\": \"abc\"}", "abc", 60, 0 },
    /* token wins when both are given and differ (containers/image does the same) */
    { "{\"token\": \"one\", \"access_token\": \"two\"}", "one", 60, 0 },
    /* an empty token falls back to access_token */
    { "{\"token\": \"\", \"access_token\": \"two\"}", "two", 60, 0 },
    /* lifetimes below the spec's minimum are the minimum; above a day, a day */
    { "{\"token\": \"t\", \"expires_in\": 5}", "t", 60, 0 },
    { "{\"token\": \"t\", \"expires_in\": -100}", "t", 60, 0 },
    { "{\"token\": \"t\", \"expires_in\": 9223372036854775807}", "t", 86400, 0 },
    /* fractional seconds and offsets in issued_at */
    { "{\"token\": \"t\", \"issued_at\": \"2024-03-01T13:00:00.123456789+01:00\"}", "t", 60,
      1709294400 },
    { "{\"token\": \"t\", \"expires_in\": null, \"issued_at\": null}", "t", 60, 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthAuthToken) t
        = berth_auth_token_parse (cases[i].json, strlen (cases[i].json), &error);
      if (t == NULL)
        g_error ("%s: %s", cases[i].json, error->message);
      g_assert_cmpstr (t->token, ==, cases[i].token);
      g_assert_cmpint (t->expires_in, ==, cases[i].expires_in);
      g_assert_cmpint (t->issued_at, ==, cases[i].issued_at);
    }
}

static void
test_token_errors (void)
{
  static const struct
  {
    const char *json;
    int code;
    const char *message_part;
  } cases[] = {
    { "{}", BERTH_ERROR_AUTH, "neither \"token\" nor \"access_token\"" },
    { "{\"token\": 7}", BERTH_ERROR_FAILED, "\"token\" is not a string" },
    { "[\"SECRET-IN-ARRAY\"]", BERTH_ERROR_FAILED, "not a JSON object" },
    { "{\"token\": \"SECRET-TOKEN", BERTH_ERROR_FAILED, "not valid JSON (line 1, column" },
    { "{\"token\": \"SECRET\\r\\nX-Injected: 1\"}", BERTH_ERROR_FAILED,
      "cannot go into an HTTP header" },
    { "{\"token\": \"SECRET TOKEN\"}", BERTH_ERROR_FAILED, "cannot go into an HTTP header" },
    { "{\"token\": \"SECRET\", \"expires_in\": \"300\"}", BERTH_ERROR_FAILED,
      "\"expires_in\" is not an integer" },
    { "{\"token\": \"SECRET\", \"issued_at\": \"yesterday\"}", BERTH_ERROR_FAILED,
      "\"issued_at\" \"yesterday\" is not an RFC 3339 time" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthAuthToken) t
        = berth_auth_token_parse (cases[i].json, strlen (cases[i].json), &error);
      g_assert_null (t);
      g_assert_error (error, BERTH_ERROR, cases[i].code);
      if (strstr (error->message, cases[i].message_part) == NULL)
        g_error ("%s: \"%s\" lacks \"%s\"", cases[i].json, error->message, cases[i].message_part);
      /* The token never shows. */
      g_assert_null (strstr (error->message, "SECRET"));
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *big = g_malloc0 (BERTH_AUTH_TOKEN_RESPONSE_MAX + 1);
  g_assert_null (berth_auth_token_parse (big, BERTH_AUTH_TOKEN_RESPONSE_MAX + 1, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_TOO_LARGE);
}

/* ---- credentials ------------------------------------------------------------------------------
 */

static void
test_creds (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCredentials) c = berth_credentials_parse ("alice:pa:ss:word", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->username, ==, "alice");
  g_assert_cmpstr (c->password, ==, "pa:ss:word");
  g_autofree char *s = berth_credentials_to_string (c);
  g_assert_cmpstr (s, ==, "alice:pa:ss:word");
  /* A token as the user with an empty password is allowed. */
  g_autoptr (BerthCredentials) empty = berth_credentials_parse ("robot:", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (empty->password, ==, "");

  const char *bad[] = { "SECRETPASS", ":SECRETPASS", "", NULL };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_null (berth_credentials_parse (bad[i], &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      g_assert_null (strstr (error->message, "SECRETPASS"));
      g_clear_error (&error);
    }
}

/* ---- auth files --------------------------------------------------------------------------------
 */

typedef struct
{
  char *dir;
  GPtrArray *files;
} TempDir;

static void
temp_dir_init (TempDir *t)
{
  g_autoptr (GError) error = NULL;
  t->dir = g_dir_make_tmp ("berth-auth-XXXXXX", &error);
  g_assert_no_error (error);
  t->files = g_ptr_array_new_with_free_func (g_free);
}

static char *
temp_file (TempDir *t, const char *name, const char *contents)
{
  char *path = g_build_filename (t->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *parent = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_ptr_array_add (t->files, g_strdup (path));
  return path;
}

static void
temp_dir_clear (TempDir *t)
{
  const char *argv[] = { "rm", "-rf", t->dir, NULL };
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_spawn_sync (argv, NULL, NULL, NULL, &error));
  g_free (t->dir);
  g_ptr_array_unref (t->files);
}

/* base64 of "user:pass" pairs used below */
#define B64_ALICE   "YWxpY2U6c2VjcmV0LWE=" /* alice:secret-a */
#define B64_BOB     "Ym9iOnNlY3JldC1i"     /* bob:secret-b */
#define B64_CAROL   "Y2Fyb2w6c2VjcmV0LWM=" /* carol:secret-c */
#define B64_DOCKER  "ZG9jazpzZWNyZXQtZA==" /* dock:secret-d */
#define B64_NOCOLON "bm9jb2xvbg=="         /* nocolon */

static BerthCredentials *
lookup (const BerthAuthFiles *files, const char *registry, const char *repository)
{
  g_autoptr (GError) error = NULL;
  BerthCredentials *c = NULL;
  if (!berth_auth_files_lookup (files, registry, repository, &c, &error))
    g_error ("%s/%s: %s", registry, repository, error->message);
  return c;
}

static void
test_authfile_lookup (void)
{
  TempDir t;
  temp_dir_init (&t);
  g_autofree char *first
    = temp_file (&t, "first.json",
                 "{\"auths\": {"
                 "\"quay.io/team/os\": {\"auth\": \"" B64_ALICE "\"},"
                 "\"quay.io/team\": {\"auth\": \"" B64_BOB "\"},"
                 "\"quay.io\": {\"auth\": \"" B64_CAROL "\"},"
                 "\"localhost:5000\": {\"auth\": \"" B64_BOB "\"},"
                 "\"helper.example\": {},"
                 "\"broken.example\": {\"auth\": \"" B64_NOCOLON "\"}"
                 "}, \"credHelpers\": {\"helper.example\": \"secretservice\"}}");
  /* ~/.docker/config.json style: URL keys; Docker Hub's legacy key. */
  g_autofree char *docker
    = temp_file (&t, "docker.json",
                 "{\"auths\": {"
                 "\"https://index.docker.io/v1/\": {\"auth\": \"" B64_DOCKER "\"},"
                 "\"http://legacy.example:8080/v2/\": {\"auth\": \"" B64_ALICE "\"},"
                 "\"helper.example\": {\"auth\": \"" B64_CAROL "\"},"
                 "\"broken.example\": {\"auth\": \"" B64_BOB "\"}"
                 "}, \"HttpHeaders\": {\"User-Agent\": \"x\"}}");
  g_autofree char *missing = g_build_filename (t.dir, "missing.json", NULL);
  const char *search[] = { missing, first, docker, NULL };
  g_autoptr (BerthAuthFiles) files = berth_auth_files_new (NULL, search);

  static const struct
  {
    const char *registry, *repository;
    const char *user; /* NULL: anonymous */
  } cases[] = {
    /* the most specific key wins */
    { "quay.io", "team/os", "alice" },
    { "quay.io", "team/os/sub", "alice" },
    { "quay.io", "team/other", "bob" },
    { "quay.io", "solo/os", "carol" },
    { "quay.io", "teamx/os", "carol" }, /* prefixes are whole components */
    { "localhost:5000", "os", "bob" },
    { "localhost", "os", NULL }, /* a port is part of the key */
    /* Docker Hub by any name, from the docker config's URL key */
    { "docker.io", "library/fedora", "dock" },
    { "registry-1.docker.io", "library/fedora", "dock" },
    { "legacy.example:8080", "x", "alice" },
    /* an entry with no credentials (a credential helper's marker, or no colon) ends the search
     * in that file, and the next file answers (containers/image's order) */
    { "helper.example", "a", "carol" },
    { "broken.example", "a", "bob" },
    { "nowhere.example", "a", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BerthCredentials) c = lookup (files, cases[i].registry, cases[i].repository);
      if (cases[i].user == NULL)
        {
          if (c != NULL)
            g_error ("%s/%s: got %s", cases[i].registry, cases[i].repository, c->username);
          continue;
        }
      if (c == NULL)
        g_error ("%s/%s: no credentials", cases[i].registry, cases[i].repository);
      g_assert_cmpstr (c->username, ==, cases[i].user);
      g_autofree char *pass = g_strdup_printf ("secret-%c", cases[i].user[0] == 'd'   ? 'd'
                                                            : cases[i].user[0] == 'a' ? 'a'
                                                            : cases[i].user[0] == 'b' ? 'b'
                                                                                      : 'c');
      g_assert_cmpstr (c->password, ==, pass);
    }

  /* The first file that has the registry wins over later ones. */
  const char *reversed[] = { docker, first, NULL };
  g_autoptr (BerthAuthFiles) rev = berth_auth_files_new (NULL, reversed);
  g_autoptr (BerthCredentials) h = lookup (rev, "helper.example", "a");
  g_assert_cmpstr (h->username, ==, "carol");
  g_autoptr (BerthCredentials) b = lookup (rev, "broken.example", "a");
  g_assert_cmpstr (b->username, ==, "bob");

  /* An explicit file is the only one read. */
  g_autoptr (BerthAuthFiles) only = berth_auth_files_new (docker, search);
  g_autoptr (BerthCredentials) q = lookup (only, "quay.io", "team/os");
  g_assert_null (q);
  temp_dir_clear (&t);
}

static void
test_authfile_errors (void)
{
  TempDir t;
  temp_dir_init (&t);
  g_autoptr (GError) error = NULL;
  BerthCredentials *c = NULL;

  /* An explicit file must exist. */
  g_autofree char *missing = g_build_filename (t.dir, "typo.json", NULL);
  g_autoptr (BerthAuthFiles) explicit_missing = berth_auth_files_new (missing, NULL);
  g_assert_false (berth_auth_files_lookup (explicit_missing, "quay.io", "a", &c, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "typo.json does not exist"));
  g_clear_error (&error);

  static const struct
  {
    const char *contents;
    const char *message_part;
  } bad[] = {
    { "{\"auths\": {\"quay.io\": {\"auth\": \"SECRET-UNTERMINATED", "is not valid JSON (line 1" },
    { "[\"SECRET\"]", "is not a JSON object" },
    { "{\"auths\": [\"SECRET\"]}", "\"auths\" is not a JSON object" },
    { "{\"auths\": {\"quay.io\": \"SECRET\"}}", "the entry for quay.io is not a JSON object" },
    { "{\"auths\": {\"quay.io\": {\"auth\": 1}}}", "\"auth\" of quay.io is not a string" },
    { "{\"auths\": {\"quay.io\": {\"auth\": \"SECRET!!\"}}}",
      "\"auth\" of quay.io is not valid base64" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad%zu.json", i);
      g_autofree char *path = temp_file (&t, name, bad[i].contents);
      const char *search[] = { path, NULL };
      g_autoptr (BerthAuthFiles) files = berth_auth_files_new (NULL, search);
      c = NULL;
      g_assert_false (berth_auth_files_lookup (files, "quay.io", "a", &c, &error));
      g_assert_null (c);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      if (strstr (error->message, bad[i].message_part) == NULL)
        g_error ("%s: \"%s\" lacks \"%s\"", bad[i].contents, error->message, bad[i].message_part);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_null (strstr (error->message, "SECRET"));
      g_clear_error (&error);
    }

  /* A directory where a file should be. */
  g_autofree char *dirpath = g_build_filename (t.dir, "adir", NULL);
  g_assert_cmpint (g_mkdir (dirpath, 0700), ==, 0);
  const char *search[] = { dirpath, NULL };
  g_autoptr (BerthAuthFiles) files = berth_auth_files_new (NULL, search);
  g_assert_false (berth_auth_files_lookup (files, "quay.io", "a", &c, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  temp_dir_clear (&t);
}

/* Debug output never carries a secret. */
static void
capture_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  g_string_append_printf (user_data, "%s\n", message);
}

static void
test_authfile_no_secrets_logged (void)
{
  TempDir t;
  temp_dir_init (&t);
  g_autofree char *path
    = temp_file (&t, "a.json",
                 "{\"auths\": {\"broken.example\": {\"auth\": \"" B64_NOCOLON "\"},"
                 "\"id.example\": {\"identitytoken\": \"SECRET-ID-TOKEN\"},"
                 "\"quay.io\": {\"auth\": \"" B64_ALICE "\"}},"
                 "\"credHelpers\": {\"quay.io\": \"SECRET-HELPER\"}}");
  const char *search[] = { path, NULL };
  g_autoptr (BerthAuthFiles) files = berth_auth_files_new (NULL, search);
  g_autoptr (GString) log = g_string_new (NULL);
  guint id = g_log_set_handler (NULL, G_LOG_LEVEL_DEBUG, capture_log, log);
  g_autoptr (BerthCredentials) a = lookup (files, "broken.example", "x");
  g_autoptr (BerthCredentials) b = lookup (files, "id.example", "x");
  g_autoptr (BerthCredentials) c = lookup (files, "quay.io", "x");
  g_log_remove_handler (NULL, id);
  g_assert_null (a);
  g_assert_null (b);
  g_assert_cmpstr (c->password, ==, "secret-a");
  g_assert_null (strstr (log->str, "nocolon"));
  g_assert_null (strstr (log->str, B64_NOCOLON));
  g_assert_null (strstr (log->str, "SECRET"));
  g_assert_null (strstr (log->str, "secret-a"));
  g_assert_null (strstr (log->str, B64_ALICE));
  /* ...but it does say which entry was skipped and where credentials came from. */
  g_assert_nonnull (strstr (log->str, "broken.example"));
  g_assert_nonnull (strstr (log->str, "credentials for quay.io from"));
  temp_dir_clear (&t);
}

static void
test_authfile_default_paths (void)
{
  /* The search follows the environment, read at each call. */
  g_setenv ("REGISTRY_AUTH_FILE", "", TRUE);
  g_setenv ("XDG_RUNTIME_DIR", "/run/user/1000", TRUE);
  g_setenv ("HOME", "/home/u", TRUE);
  g_unsetenv ("XDG_CONFIG_HOME");
  g_autoptr (BerthAuthFiles) d = berth_auth_files_new_default (NULL);
  g_assert_null (d->explicit_path);
  g_assert_cmpstr (d->search[0], ==, "/run/user/1000/containers/auth.json");
  gboolean root = getuid () == 0;
  g_auto (GStrv) expected = NULL;
  if (root)
    {
      const char *e[] = { "/run/user/1000/containers/auth.json",
                          "/run/ostree/auth.json",
                          "/etc/ostree/auth.json",
                          "/usr/lib/ostree/auth.json",
                          "/home/u/.config/containers/auth.json",
                          "/home/u/.docker/config.json",
                          NULL };
      expected = g_strdupv ((char **)e);
    }
  else
    {
      const char *e[]
        = { "/run/user/1000/containers/auth.json", "/run/user/1000/ostree/auth.json",
            "/home/u/.config/ostree/auth.json",    "/home/u/.config/containers/auth.json",
            "/home/u/.docker/config.json",         NULL };
      expected = g_strdupv ((char **)e);
    }
  g_assert_cmpstrv (d->search, expected);

  /* Root in an installer: no XDG_RUNTIME_DIR. */
  g_unsetenv ("XDG_RUNTIME_DIR");
  g_setenv ("XDG_CONFIG_HOME", "/cfg", TRUE);
  g_autoptr (BerthAuthFiles) d2 = berth_auth_files_new_default (NULL);
  g_autofree char *run = g_strdup_printf ("/run/containers/%u/auth.json", (guint)getuid ());
  g_assert_cmpstr (d2->search[0], ==, run);
  g_assert_true (g_strv_contains ((const char *const *)d2->search, "/cfg/containers/auth.json"));

  /* REGISTRY_AUTH_FILE, then --authfile over it. */
  g_setenv ("REGISTRY_AUTH_FILE", "/env/auth.json", TRUE);
  g_autoptr (BerthAuthFiles) d3 = berth_auth_files_new_default (NULL);
  g_assert_cmpstr (d3->explicit_path, ==, "/env/auth.json");
  g_autoptr (BerthAuthFiles) d4 = berth_auth_files_new_default ("/cli/auth.json");
  g_assert_cmpstr (d4->explicit_path, ==, "/cli/auth.json");
  g_unsetenv ("REGISTRY_AUTH_FILE");
  g_unsetenv ("XDG_CONFIG_HOME");

  /* And lookups really go through those paths. */
  TempDir t;
  temp_dir_init (&t);
  g_autofree char *xdg = g_build_filename (t.dir, "xdg", NULL);
  g_autofree char *f = temp_file (&t, "xdg/containers/auth.json",
                                  "{\"auths\": {\"quay.io\": {\"auth\": \"" B64_BOB "\"}}}");
  g_setenv ("XDG_RUNTIME_DIR", xdg, TRUE);
  g_setenv ("HOME", t.dir, TRUE);
  g_autoptr (BerthAuthFiles) live = berth_auth_files_new_default (NULL);
  g_autoptr (BerthCredentials) c = lookup (live, "quay.io", "a/b");
  g_assert_cmpstr (c->username, ==, "bob");
  g_setenv ("REGISTRY_AUTH_FILE", f, TRUE);
  g_autoptr (BerthAuthFiles) via_env = berth_auth_files_new_default (NULL);
  g_autoptr (BerthCredentials) c2 = lookup (via_env, "quay.io", "a/b");
  g_assert_cmpstr (c2->username, ==, "bob");
  g_unsetenv ("REGISTRY_AUTH_FILE");
  g_unsetenv ("XDG_RUNTIME_DIR");
  temp_dir_clear (&t);
}

/* Registry error bodies (OCI distribution spec, "Error Codes"): what a message shows. */
static void
test_registry_error_body (void)
{
  static const struct
  {
    const char *body;
    const char *code, *summary;
  } cases[] = {
    /* what Debian's docker-registry sends */
    { "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
      "\"detail\":{\"Tag\":\"nope\"}}]}\n",
      "MANIFEST_UNKNOWN", "MANIFEST_UNKNOWN \"manifest unknown\"" },
    { "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\","
      "\"detail\":[{\"Type\":\"repository\",\"Name\":\"x\",\"Action\":\"pull\"}]}]}",
      "UNAUTHORIZED", "UNAUTHORIZED \"authentication required\"" },
    /* several errors: the first code decides, three are shown */
    { "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"no\"},{\"code\":\"UNSUPPORTED\"},"
      "{\"message\":\"only a message\"},{\"code\":\"X\"},{\"code\":\"Y\"}]}",
      "DENIED", "DENIED \"no\"; UNSUPPORTED; \"only a message\"; and 2 more" },
    /* a code that is not UPPER_SNAKE is shown cleaned, not trusted as a code */
    { "{\"errors\":[{\"code\":\"lower case\",\"message\":\"m\"}]}", NULL, "lower case \"m\"" },
    /* escapes and control characters never reach the terminal */
    { "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"a\\u001b[31mb\\nc\"}]}", "DENIED",
      "DENIED \"a?[31mb c\"" },
    /* plain text: the first line; HTML: nothing */
    { "upstream connect error\r\nmore", NULL, "\"upstream connect error\"" },
    { "<html><body>502 Bad Gateway</body></html>", NULL, NULL },
    /* JSON without errors, and empty */
    { "{\"details\":\"incorrect username or password\"}", NULL, NULL },
    { "{\"errors\":[]}", NULL, NULL },
    { "", NULL, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *code = NULL;
      g_autofree char *summary = NULL;
      berth_registry_error_parse (cases[i].body, strlen (cases[i].body), &code, &summary);
      g_assert_cmpstr (code, ==, cases[i].code);
      g_assert_cmpstr (summary, ==, cases[i].summary);
    }
  /* a long message is capped */
  g_autoptr (GString) big = g_string_new ("{\"errors\":[{\"code\":\"DENIED\",\"message\":\"");
  for (int i = 0; i < 5000; i++)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}]}");
  g_autofree char *code = NULL;
  g_autofree char *summary = NULL;
  berth_registry_error_parse (big->str, big->len, &code, &summary);
  g_assert_cmpstr (code, ==, "DENIED");
  g_assert_cmpuint (strlen (summary), <=, 340);
  g_assert_true (g_str_has_suffix (summary, "...\""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* First: it sets environment variables, which is only safe before any thread exists (the
   * other tests spawn rm, and GLib starts its worker thread for that). */
  g_test_add_func ("/oci/auth/default-paths", test_authfile_default_paths);
  g_test_add_func ("/oci/auth/challenge/registries", test_challenge_registries);
  g_test_add_func ("/oci/auth/challenge/lists", test_challenge_lists);
  g_test_add_func ("/oci/auth/challenge/malformed", test_challenge_malformed);
  g_test_add_func ("/oci/auth/token/responses", test_token_responses);
  g_test_add_func ("/oci/auth/token/errors", test_token_errors);
  g_test_add_func ("/oci/auth/creds", test_creds);
  g_test_add_func ("/oci/auth/file/lookup", test_authfile_lookup);
  g_test_add_func ("/oci/auth/file/errors", test_authfile_errors);
  g_test_add_func ("/oci/auth/file/no-secrets-logged", test_authfile_no_secrets_logged);
  g_test_add_func ("/oci/registry/error-body", test_registry_error_body);
  return g_test_run ();
}
