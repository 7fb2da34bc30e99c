/* Unit tests of image references, ostree ref escaping and registries.conf. */
#include "oci/oci.h"

#include <glib/gstdio.h>
#include <string.h>

#include "test-support.h"

/* ---- the ostree-ext grammar cases (tests/fixtures/oci-manifests/imgref) ------------------- */

/* berth's expectation for each row of ostree-ext-imgref-cases.tsv. ostree-ext accepts some
 * transports berth does not read (containers-storage:, dir:, docker-archive:): there berth
 * refuses with INVALID_ARGUMENT naming the transports it does read. */
static const struct
{
  const char *input;
  gboolean ok;
  const char *to_string; /* berth_image_ref_to_string */
  const char *origin;    /* berth_image_ref_to_origin_string */
  BerthSigverify sigverify;
  const char *remote;
  const char *error_part; /* for failures: part of the message */
} imgref_expect[] = {
  { "", FALSE, NULL, NULL, 0, NULL, "empty" },
  { "foo://", FALSE, NULL, NULL, 0, NULL, "\"foo://\"" },
  { "docker:blah", FALSE, NULL, NULL, 0, NULL, "written docker://" },
  { "registry:", FALSE, NULL, NULL, 0, NULL, "image name is empty" },
  /* Unknown transport in ostree-ext; to berth a short name "foo" with tag "bar". */
  { "foo:bar", FALSE, NULL, NULL, 0, NULL, "is a short name" },
  { "containers-storage:localhost/someimage", FALSE, NULL, NULL, 0, NULL,
    "does not read the containers-storage transport" },
  { "docker://quay.io/exampleos/blah:sometag", TRUE, "docker://quay.io/exampleos/blah:sometag",
    "ostree-unverified-registry:quay.io/exampleos/blah:sometag", BERTH_SIGVERIFY_NONE, NULL, NULL },
  { "registry:quay.io/exampleos/blah", TRUE, "docker://quay.io/exampleos/blah",
    "ostree-unverified-registry:quay.io/exampleos/blah", BERTH_SIGVERIFY_NONE, NULL, NULL },
  { "oci:somedir", TRUE, "oci:somedir", "ostree-unverified-image:oci:somedir", BERTH_SIGVERIFY_NONE,
    NULL, NULL },
  { "dir:/some/dir/blah", FALSE, NULL, NULL, 0, NULL, "does not read the dir transport" },
  { "oci-archive:/path/to/foo.ociarchive", TRUE, "oci-archive:/path/to/foo.ociarchive",
    "ostree-unverified-image:oci-archive:/path/to/foo.ociarchive", BERTH_SIGVERIFY_NONE, NULL,
    NULL },
  { "docker-archive:/path/to/foo.dockerarchive", FALSE, NULL, NULL, 0, NULL,
    "does not read the docker-archive transport" },
  { "containers-storage:localhost/someimage:blah", FALSE, NULL, NULL, 0, NULL,
    "does not read the containers-storage transport" },
  { "ostree-remote-image:myremote:registry:quay.io/exampleos/blah", TRUE,
    "docker://quay.io/exampleos/blah",
    "ostree-remote-image:myremote:docker://quay.io/exampleos/blah", BERTH_SIGVERIFY_REMOTE,
    "myremote", NULL },
  { "ostree-remote-registry:myremote:quay.io/exampleos/blah", TRUE,
    "docker://quay.io/exampleos/blah",
    "ostree-remote-image:myremote:docker://quay.io/exampleos/blah", BERTH_SIGVERIFY_REMOTE,
    "myremote", NULL },
  { "ostree-image-signed:docker://quay.io/exampleos/blah", TRUE, "docker://quay.io/exampleos/blah",
    "ostree-image-signed:docker://quay.io/exampleos/blah", BERTH_SIGVERIFY_SIGNED, NULL, NULL },
  { "ostree-unverified-image:docker://quay.io/exampleos/blah", TRUE,
    "docker://quay.io/exampleos/blah", "ostree-unverified-registry:quay.io/exampleos/blah",
    BERTH_SIGVERIFY_UNVERIFIED, NULL, NULL },
  { "ostree-unverified-registry:quay.io/exampleos/blah", TRUE, "docker://quay.io/exampleos/blah",
    "ostree-unverified-registry:quay.io/exampleos/blah", BERTH_SIGVERIFY_UNVERIFIED, NULL, NULL },
};

/* The value after "@key" in an expectation column, up to the next ';'. */
static char *
field_of (const char *expected, const char *key)
{
  const char *p = strstr (expected, key);
  if (p == NULL)
    return NULL;
  p += strlen (key);
  return g_strndup (p, strcspn (p, ";"));
}

static void
test_imgref_fixture (void)
{
  gsize len;
  g_autofree char *tsv
    = berth_test_fixture_contents ("oci-manifests/imgref/ostree-ext-imgref-cases.tsv", &len);
  g_auto (GStrv) lines = g_strsplit (tsv, "\n", -1);
  guint rows = 0;
  gboolean seen[G_N_ELEMENTS (imgref_expect)] = { 0 };
  for (char **l = lines; *l != NULL; l++)
    {
      if (**l == '#' || **l == '\0')
        continue;
      g_auto (GStrv) cols = g_strsplit (*l, "\t", 3);
      g_assert_cmpuint (g_strv_length (cols), ==, 3);
      const char *input = g_str_equal (cols[1], "<empty string>") ? "" : cols[1];
      const char *expected = cols[2];
      rows++;

      gsize i;
      for (i = 0; i < G_N_ELEMENTS (imgref_expect); i++)
        if (g_str_equal (imgref_expect[i].input, input))
          break;
      if (i == G_N_ELEMENTS (imgref_expect))
        g_error ("fixture row %s has no expectation here", input);
      seen[i] = TRUE;
      /* The fixture and berth agree wherever berth reads the transport. */
      if (g_str_has_prefix (expected, "INVALID"))
        g_assert_false (imgref_expect[i].ok);

      g_autoptr (GError) error = NULL;
      g_autoptr (BerthImageRef) ref = berth_image_ref_parse (input, NULL, &error);
      if (!imgref_expect[i].ok)
        {
          g_assert_null (ref);
          g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
          if (strstr (error->message, imgref_expect[i].error_part) == NULL)
            g_error ("%s: message \"%s\" lacks \"%s\"", input, error->message,
                     imgref_expect[i].error_part);
          continue;
        }
      g_assert_no_error (error);
      g_autofree char *s = berth_image_ref_to_string (ref);
      g_autofree char *origin = berth_image_ref_to_origin_string (ref);
      g_assert_cmpstr (s, ==, imgref_expect[i].to_string);
      g_assert_cmpstr (origin, ==, imgref_expect[i].origin);
      g_assert_cmpint (ref->sigverify, ==, imgref_expect[i].sigverify);
      g_assert_cmpstr (ref->remote, ==, imgref_expect[i].remote);
      /* "to_string = X" in the fixture is ostree-ext's Display of the OstreeImageReference for
       * ostree- rows and of the ImageReference otherwise. */
      g_autofree char *to = field_of (expected, "to_string = ");
      if (to != NULL)
        g_assert_cmpstr (to, ==, g_str_has_prefix (input, "ostree-") ? origin : s);
      if (strstr (expected, "round-trips") != NULL)
        g_assert_cmpstr (g_str_has_prefix (input, "ostree-") ? origin : s, ==, input);
      g_autofree char *alternate = field_of (expected, "alternate format = ");
      if (alternate != NULL)
        g_assert_cmpstr (alternate, ==, s);

      /* The origin parses back to the same reference. */
      g_autoptr (BerthImageRef) again = berth_image_ref_parse (origin, NULL, &error);
      g_assert_no_error (error);
      g_autofree char *origin2 = berth_image_ref_to_origin_string (again);
      g_autofree char *s2 = berth_image_ref_to_string (again);
      g_assert_cmpstr (origin2, ==, origin);
      g_assert_cmpstr (s2, ==, s);
    }
  g_assert_cmpuint (rows, ==, G_N_ELEMENTS (imgref_expect));
  for (gsize i = 0; i < G_N_ELEMENTS (imgref_expect); i++)
    g_assert_true (seen[i]);
}

/* ---- the docker reference grammar ---------------------------------------------------------- */

static const char DIGEST_A[]
  = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static void
test_registry_names (void)
{
  static const struct
  {
    const char *input;
    const char *registry, *api_host, *repository, *tag, *digest;
    const char *to_string, *scope, *manifest_ref;
  } cases[] = {
    /* kickstart and bootc style, no transport */
    { "quay.io/fedora/fedora-bootc:41", "quay.io", "quay.io", "fedora/fedora-bootc", "41", NULL,
      "docker://quay.io/fedora/fedora-bootc:41", "repository:fedora/fedora-bootc:pull", "41" },
    { "quay.io/fedora/fedora-bootc", "quay.io", "quay.io", "fedora/fedora-bootc", NULL, NULL,
      "docker://quay.io/fedora/fedora-bootc", "repository:fedora/fedora-bootc:pull", "latest" },
    { "localhost:5000/os", "localhost:5000", "localhost:5000", "os", NULL, NULL,
      "docker://localhost:5000/os", "repository:os:pull", "latest" },
    { "localhost/os:1", "localhost", "localhost", "os", "1", NULL, "docker://localhost/os:1",
      "repository:os:pull", "1" },
    { "127.0.0.1:5000/a/b/c:v1.2_x-y", "127.0.0.1:5000", "127.0.0.1:5000", "a/b/c", "v1.2_x-y",
      NULL, "docker://127.0.0.1:5000/a/b/c:v1.2_x-y", "repository:a/b/c:pull", "v1.2_x-y" },
    { "[::1]:5000/os:t", "[::1]:5000", "[::1]:5000", "os", "t", NULL, "docker://[::1]:5000/os:t",
      "repository:os:pull", "t" },
    { "docker://quay.io/a/"
      "b@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "quay.io", "quay.io", "a/b", NULL, DIGEST_A,
      "docker://quay.io/a/"
      "b@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "repository:a/b:pull", DIGEST_A },
    /* tag and digest: the digest is what is fetched */
    { "quay.io/a/b:41@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "quay.io", "quay.io", "a/b", "41", DIGEST_A,
      "docker://quay.io/a/"
      "b:41@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "repository:a/b:pull", DIGEST_A },
    /* Docker Hub, only when the name says so */
    { "docker.io/fedora:41", "docker.io", "registry-1.docker.io", "library/fedora", "41", NULL,
      "docker://docker.io/fedora:41", "repository:library/fedora:pull", "41" },
    { "docker://docker.io/library/fedora", "docker.io", "registry-1.docker.io", "library/fedora",
      NULL, NULL, "docker://docker.io/library/fedora", "repository:library/fedora:pull", "latest" },
    { "index.docker.io/myorg/app:2", "docker.io", "registry-1.docker.io", "myorg/app", "2", NULL,
      "docker://index.docker.io/myorg/app:2", "repository:myorg/app:pull", "2" },
    /* separators: '.', '_', '__', runs of '-' */
    { "r.example/a.b/c_d/e__f/g---h", "r.example", "r.example", "a.b/c_d/e__f/g---h", NULL, NULL,
      "docker://r.example/a.b/c_d/e__f/g---h", "repository:a.b/c_d/e__f/g---h:pull", "latest" },
    /* upper case in the first component makes it a registry (distribution/reference) */
    { "MyRegistry/app", "MyRegistry", "MyRegistry", "app", NULL, NULL, "docker://MyRegistry/app",
      "repository:app:pull", "latest" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthImageRef) ref = berth_image_ref_parse (cases[i].input, NULL, &error);
      if (ref == NULL)
        g_error ("%s: %s", cases[i].input, error->message);
      g_assert_false (berth_image_ref_is_short_name (cases[i].input));
      g_assert_cmpint (ref->transport, ==, BERTH_TRANSPORT_REGISTRY);
      g_assert_cmpstr (ref->registry, ==, cases[i].registry);
      g_assert_cmpstr (ref->api_host, ==, cases[i].api_host);
      g_assert_cmpstr (ref->repository, ==, cases[i].repository);
      g_assert_cmpstr (ref->tag, ==, cases[i].tag);
      g_assert_cmpstr (ref->digest, ==, cases[i].digest);
      g_assert_null (ref->candidates);
      g_autofree char *s = berth_image_ref_to_string (ref);
      g_autofree char *scope = berth_image_ref_get_scope (ref);
      g_assert_cmpstr (s, ==, cases[i].to_string);
      g_assert_cmpstr (scope, ==, cases[i].scope);
      g_assert_cmpstr (berth_image_ref_get_manifest_reference (ref), ==, cases[i].manifest_ref);
      g_assert_true (berth_image_ref_check_pullable (ref, &error));
    }
}

static void
test_registry_names_invalid (void)
{
  static const struct
  {
    const char *input;
    const char *message_part;
  } cases[] = {
    { "quay.io/Fedora/os", "repository names must be lower case" },
    { "quay.io/a//b", "repository name must be" },
    { "quay.io/-a", "repository name must be" },
    { "quay.io/a-", "repository name must be" },
    { "quay.io/a___b", "repository name must be" },
    { "quay.io/a..b", "repository name must be" },
    { "quay.io/", "repository name must be" },
    { "quay.io/a:", "the tag must be" },
    { "quay.io/a:-x", "the tag must be" },
    { "quay.io/a:.x", "the tag must be" },
    { "quay.io/a:b/c", "repository name must be" },
    { "quay.io/a@sha256:abc", "not a valid sha256 digest" },
    { "quay.io/a@sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "not a valid sha256 digest" },
    { "quay.io/a@sha512:"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "berth supports only sha256" },
    { "quay.io/a@", "is not a digest" },
    { "-bad.io/a", "registry must be HOST[:PORT]" },
    { "bad-.io/a", "registry must be HOST[:PORT]" },
    { "quay.io:99999/a", "registry must be HOST[:PORT]" },
    { "quay.io:/a", "registry must be HOST[:PORT]" },
    { "quay..io/a", "registry must be HOST[:PORT]" },
    { "docker://", "image name is empty" },
    { "quay.io/a b", "repository name must be" },
    { "quay.io/a\nb", "control characters" },
    { "ostree-unverified-registry:", "nothing after" },
    { "ostree-remote-registry:quay.io/a", "needs an ostree remote name" },
    { "ostree-remote-image::docker://quay.io/a", "needs an ostree remote name" },
    { "ostree-unverified-image:quay.io/a", "unknown transport \"quay.io/a\"" },
    { "ostree-unverified-image:foo:bar", "unknown transport \"foo\"" },
    { "ostree-whatever:docker://quay.io/a", "unknown ostree reference scheme" },
    { "oci:", "the oci path is empty" },
    { "oci:/dir:", "is not a valid image name in a layout" },
    { "oci-archive::tag", "the oci-archive path is empty" },
    { "oci:/dir:a..b", "is not a valid image name in a layout" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthImageRef) ref = berth_image_ref_parse (cases[i].input, NULL, &error);
      if (ref != NULL)
        g_error ("%s parsed", cases[i].input);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      if (strstr (error->message, cases[i].message_part) == NULL)
        g_error ("%s: \"%s\" lacks \"%s\"", cases[i].input, error->message, cases[i].message_part);
      /* The input is named, quoted. */
      g_assert_nonnull (strstr (error->message, "\""));
    }

  /* 255 characters is the longest name; the tag does not count. */
  g_autofree char *path = g_strnfill (255 - strlen ("quay.io/"), 'a');
  g_autofree char *longest = g_strdup_printf ("quay.io/%s:tag", path);
  g_autofree char *too_long = g_strdup_printf ("quay.io/a%s", path);
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImageRef) ok = berth_image_ref_parse (longest, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (berth_image_ref_parse (too_long, NULL, &error));
  g_assert_nonnull (strstr (error->message, "longer than 255"));
  g_clear_error (&error);
  /* 128 characters is the longest tag. */
  g_autofree char *tag = g_strnfill (128, 't');
  g_autofree char *tag_ok = g_strdup_printf ("quay.io/a:%s", tag);
  g_autofree char *tag_long = g_strdup_printf ("quay.io/a:%sx", tag);
  g_autoptr (BerthImageRef) ok2 = berth_image_ref_parse (tag_ok, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (berth_image_ref_parse (tag_long, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
}

static void
test_short_names (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_image_ref_is_short_name ("fedora:41"));
  g_assert_true (berth_image_ref_is_short_name ("myorg/app"));
  g_assert_true (berth_image_ref_is_short_name ("localhost"));
  g_assert_false (berth_image_ref_is_short_name ("localhost/app"));
  g_assert_false (berth_image_ref_is_short_name ("docker://fedora"));
  g_assert_false (berth_image_ref_is_short_name ("oci:fedora"));

  /* Never docker.io silently: the error says what to write. */
  g_assert_null (berth_image_ref_parse ("fedora:41", NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "\"fedora:41\" is a short name and no unqualified-search-registries are "
                   "configured in registries.conf; write the full name, e.g. "
                   "quay.io/fedora/fedora:41 or docker.io/library/fedora:41");
  g_clear_error (&error);
  const char *const none[] = { NULL };
  g_assert_null (berth_image_ref_parse ("myorg/app", none, &error));
  g_assert_cmpstr (error->message, ==,
                   "\"myorg/app\" is a short name and no unqualified-search-registries are "
                   "configured in registries.conf; write the full name, e.g. "
                   "quay.io/myorg/app or docker.io/myorg/app");
  g_clear_error (&error);
  /* After a transport, search registries do not apply (skopeo would read docker://fedora as
   * Docker Hub's): always an error. */
  const char *const search_hub[] = { "docker.io", NULL };
  const char *prefixed[]
    = { "docker://fedora:41", "registry:fedora:41", "ostree-unverified-registry:fedora:41",
        "ostree-remote-registry:r:fedora:41", "ostree-image-signed:docker://fedora:41" };
  for (gsize i = 0; i < G_N_ELEMENTS (prefixed); i++)
    {
      g_assert_null (berth_image_ref_parse (prefixed[i], search_hub, &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      g_autofree char *expected = g_strdup_printf (
        "\"%s\" names a short name after a transport, which other tools read as a Docker Hub "
        "image and berth does not guess; write the full name, e.g. quay.io/fedora/fedora:41 or "
        "docker.io/library/fedora:41",
        prefixed[i]);
      g_assert_cmpstr (error->message, ==, expected);
      g_clear_error (&error);
    }
  /* A short name that breaks the grammar says so, not "short name". */
  g_assert_null (berth_image_ref_parse ("Fedora:41", NULL, &error));
  g_assert_nonnull (strstr (error->message, "repository name must be"));
  g_clear_error (&error);

  const char *const search[] = { "registry.fedoraproject.org", "docker.io", NULL };
  g_autoptr (BerthImageRef) ref = berth_image_ref_parse ("fedora:41", search, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ref->name, ==, "registry.fedoraproject.org/fedora:41");
  g_assert_cmpstr (ref->registry, ==, "registry.fedoraproject.org");
  g_assert_cmpstr (ref->repository, ==, "fedora");
  g_assert_cmpstr (ref->tag, ==, "41");
  g_assert_cmpuint (g_strv_length (ref->candidates), ==, 2);
  g_assert_cmpstr (ref->candidates[0], ==, "registry.fedoraproject.org/fedora:41");
  g_assert_cmpstr (ref->candidates[1], ==, "docker.io/library/fedora:41");
  g_autofree char *origin = berth_image_ref_to_origin_string (ref);
  g_assert_cmpstr (origin, ==, "ostree-unverified-registry:registry.fedoraproject.org/fedora:41");

  g_autoptr (BerthImageRef) ns = berth_image_ref_parse (
    "myorg/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", search + 1,
    &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ns->name, ==,
                   "docker.io/myorg/app@"
                   "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  g_assert_cmpstr (ns->api_host, ==, "registry-1.docker.io");
  g_assert_cmpstr (ns->repository, ==, "myorg/app");
  g_assert_cmpint (ns->sigverify, ==, BERTH_SIGVERIFY_NONE);
  g_assert_cmpuint (g_strv_length (ns->candidates), ==, 1);

  const char *const bad[] = { "not a host", NULL };
  g_assert_null (berth_image_ref_parse ("fedora", bad, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "unqualified-search-registries has"));
}

static void
test_layout_refs (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImageRef) a = berth_image_ref_parse ("oci:/srv/layout:stable", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->transport, ==, BERTH_TRANSPORT_OCI);
  g_assert_cmpstr (a->path, ==, "/srv/layout");
  g_assert_cmpstr (a->tag, ==, "stable");
  g_autofree char *origin = berth_image_ref_to_origin_string (a);
  g_assert_cmpstr (origin, ==, "ostree-unverified-image:oci:/srv/layout:stable");

  /* The image-spec's ref.name grammar: ':' '@' '+' '/' '--' between alphanumerics. */
  g_autoptr (BerthImageRef) b
    = berth_image_ref_parse ("oci-archive:/tmp/x.tar:a/b:c@d+e--f", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (b->transport, ==, BERTH_TRANSPORT_OCI_ARCHIVE);
  g_assert_cmpstr (b->path, ==, "/tmp/x.tar");
  g_assert_cmpstr (b->tag, ==, "a/b:c@d+e--f");

  g_autoptr (BerthImageRef) c
    = berth_image_ref_parse ("ostree-unverified-image:oci:/srv/layout", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (c->tag);
  g_autofree char *cs = berth_image_ref_to_string (c);
  g_assert_cmpstr (cs, ==, "oci:/srv/layout");
  g_autofree char *ostree_ref = berth_image_ref_to_ostree_ref (c, &error);
  g_assert_cmpstr (ostree_ref, ==, "ostree/container/image/oci_3A__2F_srv/layout");
}

static void
test_signed_refs_refused (void)
{
  const char *inputs[] = {
    "ostree-image-signed:docker://quay.io/exampleos/blah",
    "ostree-remote-registry:fedora:quay.io/fedora/fedora-coreos:stable",
    "ostree-remote-image:fedora:oci:/srv/layout",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthImageRef) ref = berth_image_ref_parse (inputs[i], NULL, &error);
      g_assert_no_error (error);
      /* Parsing keeps it (it round-trips for the origin)... */
      g_autofree char *origin = berth_image_ref_to_origin_string (ref);
      g_autoptr (BerthImageRef) again = berth_image_ref_parse (origin, NULL, &error);
      g_autofree char *origin2 = berth_image_ref_to_origin_string (again);
      g_assert_cmpstr (origin, ==, origin2);
      /* ...remote references pull (the import verifies the commit with the remote's keys)... */
      if (ref->sigverify == BERTH_SIGVERIFY_REMOTE)
        {
          g_assert_true (berth_image_ref_check_pullable (ref, &error));
          continue;
        }
      /* ...but containers-policy.json ones are refused rather than fetched unverified. */
      g_assert_false (berth_image_ref_check_pullable (ref, &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
      g_assert_nonnull (strstr (error->message, "not support yet"));
      g_assert_nonnull (strstr (error->message, origin));
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImageRef) remote = berth_image_ref_parse (
    "ostree-remote-registry:fedora:quay.io/fedora/fedora-coreos:stable", NULL, &error);
  g_autofree char *origin = berth_image_ref_to_origin_string (remote);
  g_assert_cmpstr (origin, ==,
                   "ostree-remote-image:fedora:docker://quay.io/fedora/fedora-coreos:stable");
  g_assert_cmpstr (remote->remote, ==, "fedora");
}

/* ---- ref escaping (ostree-ext refescape.rs's test vectors) ---------------------------------- */

/* ostree's ref grammar (ostree_validate_rev): segments [\w\d][-._\w\d]* joined by '/'. */
static gboolean
is_ostree_ref (const char *s)
{
  gboolean segment_start = TRUE;
  for (const char *p = s; *p; p++)
    {
      if (segment_start)
        {
          if (!g_ascii_isalnum (*p) && *p != '_')
            return FALSE;
          segment_start = FALSE;
        }
      else if (*p == '/')
        segment_start = TRUE;
      else if (!g_ascii_isalnum (*p) && strchr ("-._", *p) == NULL)
        return FALSE;
    }
  return *s != '\0' && !segment_start;
}

static void
test_refescape_vectors (void)
{
  g_autoptr (GError) error = NULL;
  const char *unchanged[] = { "foo", "foo/bar/baz-blah/foo" };
  const char *roundtrip[] = {
    "localhost:5000/foo:latest",
    "fedora/x86_64/coreos",
    "/foo/bar/foo.oci-archive",
    "/foo/bar/foo.docker-archive",
    "docker://quay.io/exampleos/blah:latest",
    "oci-archive:/path/to/foo.ociarchive",
    "docker-archive:/path/to/foo.dockerarchive",
  };
  const char *corner[] = { "/", "blah/", "/foo/" };
  for (gsize i = 0; i < G_N_ELEMENTS (unchanged); i++)
    {
      g_autofree char *e = berth_ref_escape (unchanged[i], &error);
      g_assert_cmpstr (e, ==, unchanged[i]);
    }
  const char *const *sets[] = { unchanged, roundtrip, corner };
  gsize sizes[] = { G_N_ELEMENTS (unchanged), G_N_ELEMENTS (roundtrip), G_N_ELEMENTS (corner) };
  for (gsize s = 0; s < G_N_ELEMENTS (sets); s++)
    for (gsize i = 0; i < sizes[s]; i++)
      {
        g_autofree char *ref = berth_ref_for_image (sets[s][i], &error);
        g_assert_no_error (error);
        g_assert_true (is_ostree_ref (ref));
        g_autofree char *back = berth_ref_unprefix (BERTH_REF_IMAGE_PREFIX, ref, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (back, ==, sets[s][i]);
      }
  /* The explicit vectors: ostree-ext's test, its doc comment, DESIGN.md section 3. */
  g_autofree char *e1 = berth_ref_escape ("localhost:5000/foo:latest", &error);
  g_assert_cmpstr (e1, ==, "localhost_3A_5000/foo_3A_latest");
  g_autofree char *e2 = berth_ref_escape ("registry:quay.io/coreos/fedora:latest", &error);
  g_assert_cmpstr (e2, ==, "registry_3A_quay_2E_io/coreos/fedora_3A_latest");
  g_autofree char *e3 = berth_ref_escape ("docker://quay.io/x/y:tag", &error);
  g_assert_cmpstr (e3, ==, "docker_3A__2F__2F_quay_2E_io/x/y_3A_tag");
  /* '_' quotes itself; '/' first, last, or after a non-alphanumeric is escaped. */
  g_autofree char *e4 = berth_ref_escape ("a_b", &error);
  g_assert_cmpstr (e4, ==, "a__b");
  g_autofree char *e5 = berth_ref_escape ("/", &error);
  g_assert_cmpstr (e5, ==, "_2F_");
  g_autofree char *e6 = berth_ref_escape ("blah/", &error);
  g_assert_cmpstr (e6, ==, "blah_2F_");
  g_autofree char *e7 = berth_ref_escape ("a-/b", &error);
  g_assert_cmpstr (e7, ==, "a-_2F_b");
  /* Characters, not bytes: U+00E9 and U+1F600. */
  g_autofree char *e8 = berth_ref_escape ("caf\xc3\xa9/\xf0\x9f\x98\x80", &error);
  g_assert_cmpstr (e8, ==, "caf_E9__2F__1F600_");
  g_autofree char *u8 = berth_ref_unescape (e8, &error);
  g_assert_cmpstr (u8, ==, "caf\xc3\xa9/\xf0\x9f\x98\x80");

  g_assert_null (berth_ref_escape ("", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (berth_ref_escape ("\xff", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  const char *bad_escaped[]
    = { "a_3A", "a_ZZ_", "a_0_", "a_D800_", "a_110000_", "a.b", "a_1234567_" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad_escaped); i++)
    {
      g_assert_null (berth_ref_unescape (bad_escaped[i], &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  g_assert_null (berth_ref_unprefix ("ostree/container/blob", "ostree/container/image/x", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
}

static void
test_refescape_refs (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *blob = berth_ref_for_blob (
    "sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (blob, ==,
                   "ostree/container/blob/"
                   "sha256_3A_e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f");
  g_assert_null (berth_ref_for_blob ("sha256:../../x", &error));
  g_clear_error (&error);

  g_autoptr (BerthImageRef) ref
    = berth_image_ref_parse ("ostree-unverified-registry:quay.io/x/y:tag", NULL, &error);
  g_autofree char *image = berth_image_ref_to_ostree_ref (ref, &error);
  g_assert_cmpstr (image, ==, "ostree/container/image/docker_3A__2F__2F_quay_2E_io/x/y_3A_tag");
}

static void
test_refescape_random (void)
{
  /* ostree-ext's quickcheck property: unescape (escape (s)) == s for any non-empty string. */
  static const gunichar alphabet[] = { 'a', 'Z', '0', '9',  '-',  '_',  '/',    ':',    '.',
                                       '@', ' ', '%', 0x7f, 0x01, 0xe9, 0x2603, 0x1f600 };
  for (int n = 0; n < 2000; n++)
    {
      g_autoptr (GString) s = g_string_new (NULL);
      int len = g_test_rand_int_range (1, 24);
      for (int i = 0; i < len; i++)
        g_string_append_unichar (s, alphabet[g_test_rand_int_range (0, G_N_ELEMENTS (alphabet))]);
      g_autoptr (GError) error = NULL;
      g_autofree char *ref = berth_ref_for_image (s->str, &error);
      g_assert_no_error (error);
      g_autofree char *back = berth_ref_unprefix (BERTH_REF_IMAGE_PREFIX, ref, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (back, ==, s->str);
    }
}

/* ---- registries.conf ------------------------------------------------------------------------ */

static char *
write_temp (const char *dir, const char *name, const char *contents)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  return path;
}

static void
test_registries_conf (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-regconf-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *d = g_build_filename (dir, "registries.conf.d", NULL);
  g_assert_cmpint (g_mkdir (d, 0700), ==, 0);
  g_autofree char *missing = g_build_filename (dir, "missing.conf", NULL);
  g_autofree char *missing_d = g_build_filename (dir, "missing.d", NULL);

  /* Nothing configured: an empty list, not an error. */
  g_auto (GStrv) none = NULL;
  g_assert_true (berth_registries_conf_load_search (missing, missing_d, &none, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (none), ==, 0);

  g_autofree char *conf
    = write_temp (dir, "registries.conf",
                  "# Fedora's default\n"
                  "unqualified-search-registries = [\"registry.fedoraproject.org\", "
                  "\"registry.access.redhat.com\", \"docker.io\"]\n"
                  "short-name-mode = \"enforcing\"\n");
  g_auto (GStrv) top = NULL;
  g_assert_true (berth_registries_conf_load_search (conf, missing_d, &top, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (top), ==, 3);
  g_assert_cmpstr (top[2], ==, "docker.io");

  /* Drop-ins in name order; the last to set the key wins; others leave it alone. */
  g_autofree char *d1
    = write_temp (d, "10-quay.conf", "unqualified-search-registries = [\"quay.io\"]\n");
  g_autofree char *d2 = write_temp (
    d, "20-aliases.conf", "[aliases]\n\"fedora\" = \"registry.fedoraproject.org/fedora\"\n");
  g_autofree char *d3
    = write_temp (d, "05-early.conf", "unqualified-search-registries = [\"early.example\"]\n");
  g_autofree char *d4
    = write_temp (d, "30-ignored.txt", "unqualified-search-registries = [\"no\"]\n");
  g_auto (GStrv) merged = NULL;
  g_assert_true (berth_registries_conf_load_search (conf, d, &merged, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (merged), ==, 1);
  g_assert_cmpstr (merged[0], ==, "quay.io");

  /* The version 1 format. */
  g_autofree char *v1
    = write_temp (dir, "v1.conf", "[registries.search]\nregistries = [\"v1.example\"]\n");
  g_auto (GStrv) old = NULL;
  g_assert_true (berth_registries_conf_load_search (v1, missing_d, &old, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (old[0], ==, "v1.example");

  /* A wrong type names the file and line. */
  g_autofree char *bad
    = write_temp (dir, "bad.conf", "\nunqualified-search-registries = \"quay.io\"\n");
  g_auto (GStrv) nothing = NULL;
  g_assert_false (berth_registries_conf_load_search (bad, missing_d, &nothing, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "bad.conf:2"));
  g_assert_null (nothing);

  const char *files[] = { d1, d2, d3, d4, conf, v1, bad };
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    g_assert_cmpint (g_unlink (files[i]), ==, 0);
  g_assert_cmpint (g_rmdir (d), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/oci/ref/imgref-fixture", test_imgref_fixture);
  g_test_add_func ("/oci/ref/registry-names", test_registry_names);
  g_test_add_func ("/oci/ref/registry-names-invalid", test_registry_names_invalid);
  g_test_add_func ("/oci/ref/short-names", test_short_names);
  g_test_add_func ("/oci/ref/layouts", test_layout_refs);
  g_test_add_func ("/oci/ref/signed-refused", test_signed_refs_refused);
  g_test_add_func ("/oci/refescape/vectors", test_refescape_vectors);
  g_test_add_func ("/oci/refescape/refs", test_refescape_refs);
  g_test_add_func ("/oci/refescape/random", test_refescape_random);
  g_test_add_func ("/oci/registries-conf", test_registries_conf);
  return g_test_run ();
}
