/* Image references (see oci-ref.h). */
#include "oci-ref.h"
#include "oci-digest.h"
#include "oci-private.h"
#include "oci-refescape.h"

#include <fcntl.h>
#include <string.h>

#include "util/util-toml.h"

/* How much of the user's input an error message quotes. */
#define QUOTE_MAX 300
/* A reference longer than this is not one (names are capped at 255, tags at 128, digests are
 * 71; paths get the rest). */
#define REFERENCE_MAX 4096

static const char *const transport_names[] = {
  [BERTH_TRANSPORT_REGISTRY] = "registry",
  [BERTH_TRANSPORT_OCI] = "oci",
  [BERTH_TRANSPORT_OCI_ARCHIVE] = "oci-archive",
};

const char *
berth_transport_to_string (BerthTransport transport)
{
  if ((guint)transport >= G_N_ELEMENTS (transport_names))
    return "unknown";
  return transport_names[transport];
}

static const char *const sigverify_names[] = {
  [BERTH_SIGVERIFY_NONE] = "none",
  [BERTH_SIGVERIFY_UNVERIFIED] = "unverified",
  [BERTH_SIGVERIFY_SIGNED] = "signed",
  [BERTH_SIGVERIFY_REMOTE] = "remote",
};

const char *
berth_sigverify_to_string (BerthSigverify sigverify)
{
  if ((guint)sigverify >= G_N_ELEMENTS (sigverify_names))
    return "unknown";
  return sigverify_names[sigverify];
}

void
berth_image_ref_free (BerthImageRef *ref)
{
  if (ref == NULL)
    return;
  g_free (ref->remote);
  g_free (ref->name);
  g_free (ref->registry);
  g_free (ref->api_host);
  g_free (ref->repository);
  g_free (ref->tag);
  g_free (ref->digest);
  g_free (ref->path);
  g_strfreev (ref->candidates);
  g_free (ref);
}

/* Every error names the whole input the user typed, quoted safely. */
static gboolean G_GNUC_PRINTF (3, 4)
  ref_fail (GError **error, const char *input, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *why = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_autofree char *quoted = berth_oci_quote (input, -1, QUOTE_MAX);
  return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "Invalid image reference %s: %s", quoted,
                      why);
}

/* ---- the docker reference grammar (distribution/reference's regexp.go, restated) ---------- */

/* domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/ */
static gboolean
domain_component_ok (const char *s, gsize len)
{
  if (len == 0 || !g_ascii_isalnum (s[0]) || !g_ascii_isalnum (s[len - 1]))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-')
      return FALSE;
  return TRUE;
}

/* host [":" port]: host is domain-name (components joined by '.') or "[" IPv6 "]". */
static gboolean
domain_ok (const char *s)
{
  const char *port = NULL;
  const char *host_end;
  if (s[0] == '[')
    {
      const char *close = strchr (s, ']');
      if (close == NULL || close == s + 1)
        return FALSE;
      for (const char *p = s + 1; p < close; p++)
        if (!g_ascii_isxdigit (*p) && *p != ':' && *p != '.')
          return FALSE;
      if (close[1] != '\0' && close[1] != ':')
        return FALSE;
      host_end = close + 1;
      port = close[1] == ':' ? close + 2 : NULL;
    }
  else
    {
      const char *colon = strchr (s, ':');
      host_end = colon ? colon : s + strlen (s);
      port = colon ? colon + 1 : NULL;
      const char *c = s;
      while (c < host_end)
        {
          const char *dot = memchr (c, '.', host_end - c);
          const char *end = dot ? dot : host_end;
          if (!domain_component_ok (c, end - c))
            return FALSE;
          c = dot ? dot + 1 : host_end;
          if (dot != NULL && c == host_end)
            return FALSE; /* trailing dot */
        }
    }
  if (port != NULL)
    {
      gsize n = strlen (port);
      if (n == 0 || n > 5)
        return FALSE;
      for (gsize i = 0; i < n; i++)
        if (!g_ascii_isdigit (port[i]))
          return FALSE;
      if (g_ascii_strtoull (port, NULL, 10) > 65535)
        return FALSE;
    }
  else if (host_end != s + strlen (s))
    return FALSE;
  return TRUE;
}

static gboolean
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := alpha-numeric (separator alpha-numeric)*
 * alpha-numeric  := [a-z0-9]+ ;  separator := [_.] | "__" | "-"+ */
static gboolean
path_component_ok (const char *s, gsize len)
{
  gsize i = 0;
  if (len == 0 || !is_lower_alnum (s[0]) || !is_lower_alnum (s[len - 1]))
    return FALSE;
  while (i < len)
    {
      if (is_lower_alnum (s[i]))
        {
          i++;
          continue;
        }
      /* a separator, then an alpha-numeric must follow */
      if (s[i] == '.')
        i++;
      else if (s[i] == '_')
        i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
      else if (s[i] == '-')
        while (i < len && s[i] == '-')
          i++;
      else
        return FALSE;
      if (i >= len || !is_lower_alnum (s[i]))
        return FALSE;
    }
  return TRUE;
}

static gboolean
path_ok (const char *s)
{
  const char *c = s;
  for (;;)
    {
      const char *slash = strchr (c, '/');
      gsize len = slash ? (gsize)(slash - c) : strlen (c);
      if (!path_component_ok (c, len))
        return FALSE;
      if (slash == NULL)
        return TRUE;
      c = slash + 1;
    }
}

/* tag := [\w][\w.-]{0,127} */
static gboolean
tag_ok (const char *s)
{
  gsize n = strlen (s);
  if (n == 0 || n > BERTH_IMAGE_TAG_MAX)
    return FALSE;
  if (!g_ascii_isalnum (s[0]) && s[0] != '_')
    return FALSE;
  for (gsize i = 1; i < n; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
      return FALSE;
  return TRUE;
}

/* distribution/reference splitDockerDomain: the first component is a registry when it has
 * a '.' or ':', is "localhost", or has upper case (repository paths are lower case only). */
static gboolean
first_component_is_domain (const char *name, gsize len)
{
  if (len == 9 && strncmp (name, "localhost", 9) == 0)
    return TRUE;
  for (gsize i = 0; i < len; i++)
    if (name[i] == '.' || name[i] == ':' || g_ascii_isupper (name[i]))
      return TRUE;
  return FALSE;
}

/* Splits NAME[:TAG][@DIGEST] (the tag is after the last '/', so a registry port is not one). */
static void
split_tag_digest (const char *s, char **out_name, char **out_tag, char **out_digest)
{
  const char *at = strchr (s, '@');
  g_autofree char *before = at ? g_strndup (s, at - s) : g_strdup (s);
  *out_digest = at ? g_strdup (at + 1) : NULL;
  char *slash = strrchr (before, '/');
  char *colon = strrchr (slash ? slash : before, ':');
  *out_tag = colon ? g_strdup (colon + 1) : NULL;
  if (colon)
    *colon = '\0';
  *out_name = g_steal_pointer (&before);
}

gboolean
berth_image_ref_is_short_name (const char *input)
{
  if (input == NULL)
    return FALSE;
  static const char *const prefixes[] = { "docker://",
                                          "registry:",
                                          "oci:",
                                          "oci-archive:",
                                          "ostree-unverified-registry:",
                                          "ostree-unverified-image:",
                                          "ostree-image-signed:",
                                          "ostree-remote-registry:",
                                          "ostree-remote-image:",
                                          "docker:",
                                          "containers-storage:",
                                          "dir:",
                                          "docker-archive:",
                                          "docker-daemon:" };
  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (input, prefixes[i]))
      return FALSE;
  g_autofree char *name = NULL, *tag = NULL, *digest = NULL;
  split_tag_digest (input, &name, &tag, &digest);
  const char *slash = strchr (name, '/');
  return *name != '\0' && (slash == NULL || !first_component_is_domain (name, slash - name));
}

/* The example of a full name that the short-name error suggests: "fedora:41" ->
 * "quay.io/fedora/fedora:41 or docker.io/library/fedora:41". */
static char *
short_name_examples (const char *name, const char *rest)
{
  if (strchr (name, '/') == NULL)
    return g_strdup_printf ("quay.io/%s/%s%s or docker.io/library/%s%s", name, name, rest, name,
                            rest);
  return g_strdup_printf ("quay.io/%s%s or docker.io/%s%s", name, rest, name, rest);
}

/* Fills the registry fields from a docker reference. @input is the whole reference (for
 * errors); @search_registries resolves short names, but only @bare ones (written without a
 * transport, as podman's search applies only to those: skopeo reads docker://fedora as
 * docker.io/library/fedora, and berth guesses neither). */
static gboolean
parse_docker_name (BerthImageRef *ref, const char *input, const char *text, gboolean bare,
                   const char *const *search_registries, GError **error)
{
  if (*text == '\0')
    return ref_fail (error, input, "the image name is empty");

  g_autofree char *name = NULL, *tag = NULL, *digest = NULL;
  split_tag_digest (text, &name, &tag, &digest);

  if (digest != NULL)
    {
      g_autoptr (GError) local_error = NULL;
      if (!berth_digest_validate (digest, &local_error))
        return ref_fail (error, input, "%s", local_error->message);
    }
  if (tag != NULL && !tag_ok (tag))
    return ref_fail (error, input,
                     "the tag must be 1 to %d letters, digits, '_', '.' or '-', not starting "
                     "with '.' or '-'",
                     BERTH_IMAGE_TAG_MAX);

  const char *slash = strchr (name, '/');
  gboolean has_domain = slash != NULL && first_component_is_domain (name, slash - name);
  if (!has_domain)
    {
      if (!path_ok (name))
        return ref_fail (error, input,
                         "the repository name must be lower-case letters, digits and "
                         "separators ('.', '_', '__', '-'), with components separated by '/'");
      g_autofree char *rest = g_strdup_printf ("%s%s%s%s", tag ? ":" : "", tag ? tag : "",
                                               digest ? "@" : "", digest ? digest : "");
      if (!bare)
        {
          g_autofree char *examples = short_name_examples (name, rest);
          g_autofree char *quoted = berth_oci_quote (input, -1, QUOTE_MAX);
          return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                              "%s names a short name after a transport, which other tools read "
                              "as a Docker Hub image and berth does not guess; write the full "
                              "name, e.g. %s",
                              quoted, examples);
        }
      if (search_registries == NULL || search_registries[0] == NULL)
        {
          g_autofree char *examples = short_name_examples (name, rest);
          g_autofree char *quoted = berth_oci_quote (text, -1, QUOTE_MAX);
          return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                              "%s is a short name and no unqualified-search-registries are "
                              "configured in registries.conf; write the full name, e.g. %s",
                              quoted, examples);
        }
      g_autoptr (GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);
      for (const char *const *r = search_registries; *r != NULL; r++)
        {
          if (!domain_ok (*r))
            {
              g_autofree char *quoted = berth_oci_quote (*r, -1, 100);
              return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                                  "unqualified-search-registries has %s, which is not a "
                                  "HOST[:PORT]",
                                  quoted);
            }
          /* containers/image: a one-component name on Docker Hub is an official image. */
          gboolean hub = g_str_equal (*r, "docker.io") && strchr (name, '/') == NULL;
          g_ptr_array_add (candidates,
                           g_strdup_printf ("%s/%s%s%s", *r, hub ? "library/" : "", name, rest));
        }
      g_ptr_array_add (candidates, NULL);
      GStrv all = (GStrv)g_ptr_array_free (g_steal_pointer (&candidates), FALSE);
      g_autofree char *first = g_strdup (all[0]);
      gboolean ok = parse_docker_name (ref, input, first, FALSE, NULL, error);
      if (!ok)
        {
          g_strfreev (all);
          return FALSE;
        }
      g_free (ref->name);
      ref->name = g_steal_pointer (&first);
      ref->candidates = all;
      return TRUE;
    }

  g_autofree char *domain = g_strndup (name, slash - name);
  const char *path = slash + 1;
  if (!domain_ok (domain))
    return ref_fail (error, input, "the registry must be HOST[:PORT]");
  if (!path_ok (path))
    {
      gboolean upper = FALSE;
      for (const char *p = path; *p; p++)
        upper |= g_ascii_isupper (*p);
      return ref_fail (error, input, "%s",
                       upper ? "repository names must be lower case"
                             : "the repository name must be lower-case letters, digits and "
                               "separators ('.', '_', '__', '-'), with components separated "
                               "by '/'");
    }
  if (strlen (name) > BERTH_IMAGE_NAME_MAX)
    return ref_fail (error, input, "the name is longer than %d characters", BERTH_IMAGE_NAME_MAX);

  /* containers/image normalisation, for names that say Docker Hub. */
  gboolean hub = g_str_equal (domain, "docker.io") || g_str_equal (domain, "index.docker.io");
  ref->transport = BERTH_TRANSPORT_REGISTRY;
  ref->registry = g_strdup (hub ? "docker.io" : domain);
  ref->api_host = g_strdup (hub ? "registry-1.docker.io" : domain);
  ref->repository
    = hub && strchr (path, '/') == NULL ? g_strconcat ("library/", path, NULL) : g_strdup (path);
  ref->tag = g_steal_pointer (&tag);
  ref->digest = g_steal_pointer (&digest);
  ref->name = g_strdup (text);
  return TRUE;
}

/* image-spec annotations.md, org.opencontainers.image.ref.name:
 *   ref       ::= component ("/" component)*
 *   component ::= alphanum (separator alphanum)*
 *   alphanum  ::= [A-Za-z0-9]+ ;  separator ::= [-._:@+] | "--" */
static gboolean
layout_ref_ok (const char *s)
{
  gboolean need_alnum = TRUE;
  for (const char *p = s; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        need_alnum = FALSE;
      else if (need_alnum)
        return FALSE;
      else if (*p == '/')
        need_alnum = TRUE;
      else if (strchr ("-._:@+", *p) != NULL)
        {
          if (p[0] == '-' && p[1] == '-')
            p++;
          need_alnum = TRUE;
        }
      else
        return FALSE;
    }
  return !need_alnum;
}

static gboolean
parse_layout (BerthImageRef *ref, BerthTransport transport, const char *input, const char *text,
              GError **error)
{
  /* containers/image splits at the first ':' (a path with a colon cannot be named). */
  const char *colon = strchr (text, ':');
  g_autofree char *path = colon ? g_strndup (text, colon - text) : g_strdup (text);
  if (*path == '\0')
    return ref_fail (error, input, "the %s path is empty", berth_transport_to_string (transport));
  if (colon != NULL && !layout_ref_ok (colon + 1))
    return ref_fail (error, input,
                     "%s is not a valid image name in a layout (letters, digits, and '-', '.', "
                     "'_', ':', '@', '+', '/' between them)",
                     colon + 1);
  ref->transport = transport;
  ref->path = g_steal_pointer (&path);
  ref->tag = colon ? g_strdup (colon + 1) : NULL;
  ref->name = g_strdup (text);
  return TRUE;
}

/* TRANSPORT:NAME, where the transport is required (inside ostree-*-image:). */
static gboolean
parse_transport_ref (BerthImageRef *ref, const char *input, const char *text,
                     gboolean transport_required, const char *const *search_registries,
                     GError **error)
{
  if (g_str_has_prefix (text, "docker://"))
    return parse_docker_name (ref, input, text + strlen ("docker://"), FALSE, NULL, error);
  if (g_str_has_prefix (text, "registry:"))
    return parse_docker_name (ref, input, text + strlen ("registry:"), FALSE, NULL, error);
  if (g_str_has_prefix (text, "oci:"))
    return parse_layout (ref, BERTH_TRANSPORT_OCI, input, text + strlen ("oci:"), error);
  if (g_str_has_prefix (text, "oci-archive:"))
    return parse_layout (ref, BERTH_TRANSPORT_OCI_ARCHIVE, input, text + strlen ("oci-archive:"),
                         error);
  if (g_str_has_prefix (text, "docker:"))
    return ref_fail (error, input,
                     "the docker transport is written docker://, as in "
                     "docker://quay.io/fedora/fedora-bootc:41");
  static const char *const unsupported[]
    = { "containers-storage", "dir", "docker-archive", "docker-daemon", "sif", "tarball" };
  for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++)
    {
      gsize n = strlen (unsupported[i]);
      if (strncmp (text, unsupported[i], n) == 0 && text[n] == ':')
        return ref_fail (error, input,
                         "berth does not read the %s transport; use docker:// (or registry:), "
                         "oci: or oci-archive:",
                         unsupported[i]);
    }
  if (transport_required)
    {
      const char *colon = strchr (text, ':');
      g_autofree char *transport = colon ? g_strndup (text, colon - text) : g_strdup (text);
      g_autofree char *quoted = berth_oci_quote (transport, -1, 40);
      return ref_fail (error, input,
                       "unknown transport %s; use docker:// (or registry:), oci: or "
                       "oci-archive:",
                       quoted);
    }
  return parse_docker_name (ref, input, text, TRUE, search_registries, error);
}

/* ostree remote names: ostree_validate_remote_name allows letters, digits, '-', '_', '.'. */
static gboolean
remote_ok (const char *s, gsize len)
{
  if (len == 0 || s[0] == '.' || s[0] == '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && strchr ("-_.", s[i]) == NULL)
      return FALSE;
  return TRUE;
}

BerthImageRef *
berth_image_ref_parse (const char *input, const char *const *search_registries, GError **error)
{
  if (input == NULL || *input == '\0')
    {
      berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                   "The image reference is empty; write e.g. quay.io/fedora/fedora-bootc:41");
      return NULL;
    }
  if (strlen (input) > REFERENCE_MAX)
    {
      ref_fail (error, input, "longer than %d characters", REFERENCE_MAX);
      return NULL;
    }
  /* It ends up in the origin file and in ref names: no line breaks or other controls. */
  if (!g_utf8_validate (input, -1, NULL))
    {
      ref_fail (error, input, "not UTF-8");
      return NULL;
    }
  for (const char *p = input; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      {
        ref_fail (error, input, "control characters are not allowed");
        return NULL;
      }

  g_autoptr (BerthImageRef) ref = g_new0 (BerthImageRef, 1);
  const char *rest = input;
  gboolean ok;
  if (g_str_has_prefix (input, "ostree-"))
    {
      const char *colon = strchr (input, ':');
      g_autofree char *scheme = colon ? g_strndup (input, colon - input) : g_strdup (input);
      rest = colon ? colon + 1 : "";
      gboolean registry_shorthand = FALSE;
      if (g_str_equal (scheme, "ostree-unverified-registry"))
        {
          ref->sigverify = BERTH_SIGVERIFY_UNVERIFIED;
          registry_shorthand = TRUE;
        }
      else if (g_str_equal (scheme, "ostree-unverified-image"))
        ref->sigverify = BERTH_SIGVERIFY_UNVERIFIED;
      else if (g_str_equal (scheme, "ostree-image-signed"))
        ref->sigverify = BERTH_SIGVERIFY_SIGNED;
      else if (g_str_equal (scheme, "ostree-remote-registry")
               || g_str_equal (scheme, "ostree-remote-image"))
        {
          ref->sigverify = BERTH_SIGVERIFY_REMOTE;
          registry_shorthand = g_str_equal (scheme, "ostree-remote-registry");
          const char *colon2 = strchr (rest, ':');
          if (colon2 == NULL || !remote_ok (rest, colon2 - rest))
            {
              ref_fail (error, input, "%s: needs an ostree remote name and a ':' (%s:REMOTE:%s)",
                        scheme, scheme, registry_shorthand ? "NAME" : "TRANSPORT:NAME");
              return NULL;
            }
          ref->remote = g_strndup (rest, colon2 - rest);
          rest = colon2 + 1;
        }
      else
        {
          g_autofree char *quoted = berth_oci_quote (scheme, -1, 60);
          ref_fail (error, input,
                    "unknown ostree reference scheme %s (known: ostree-unverified-registry, "
                    "ostree-unverified-image, ostree-image-signed, ostree-remote-registry, "
                    "ostree-remote-image)",
                    quoted);
          return NULL;
        }
      if (*rest == '\0')
        {
          ref_fail (error, input, "nothing after %s:", scheme);
          return NULL;
        }
      if (registry_shorthand)
        ok = parse_docker_name (ref, input, rest, FALSE, NULL, error);
      else
        ok = parse_transport_ref (ref, input, rest, TRUE, NULL, error);
    }
  else
    ok = parse_transport_ref (ref, input, rest, FALSE, search_registries, error);
  if (!ok)
    return NULL;
  return g_steal_pointer (&ref);
}

static const char *
transport_prefix (BerthTransport transport)
{
  switch (transport)
    {
    case BERTH_TRANSPORT_REGISTRY:
      return "docker://";
    case BERTH_TRANSPORT_OCI:
      return "oci:";
    case BERTH_TRANSPORT_OCI_ARCHIVE:
      return "oci-archive:";
    }
  g_return_val_if_reached ("unknown:");
}

char *
berth_image_ref_to_string (const BerthImageRef *ref)
{
  return g_strconcat (transport_prefix (ref->transport), ref->name, NULL);
}

char *
berth_image_ref_to_origin_string (const BerthImageRef *ref)
{
  g_autofree char *image = berth_image_ref_to_string (ref);
  switch (ref->sigverify)
    {
    case BERTH_SIGVERIFY_NONE:
    case BERTH_SIGVERIFY_UNVERIFIED:
      /* berth checks no signatures: an image named without a prefix is recorded as the
       * unverified image it is, in ostree-ext's short form for registries. */
      if (ref->transport == BERTH_TRANSPORT_REGISTRY)
        return g_strconcat ("ostree-unverified-registry:", ref->name, NULL);
      return g_strconcat ("ostree-unverified-image:", image, NULL);
    case BERTH_SIGVERIFY_SIGNED:
      return g_strconcat ("ostree-image-signed:", image, NULL);
    case BERTH_SIGVERIFY_REMOTE:
      return g_strconcat ("ostree-remote-image:", ref->remote, ":", image, NULL);
    }
  g_return_val_if_reached (NULL);
}

char *
berth_image_ref_to_ostree_ref (const BerthImageRef *ref, GError **error)
{
  g_autofree char *image = berth_image_ref_to_string (ref);
  return berth_ref_for_image (image, error);
}

char *
berth_image_ref_get_scope (const BerthImageRef *ref)
{
  g_return_val_if_fail (ref->transport == BERTH_TRANSPORT_REGISTRY, NULL);
  return g_strdup_printf ("repository:%s:pull", ref->repository);
}

const char *
berth_image_ref_get_manifest_reference (const BerthImageRef *ref)
{
  g_return_val_if_fail (ref->transport == BERTH_TRANSPORT_REGISTRY, NULL);
  if (ref->digest != NULL)
    return ref->digest;
  if (ref->tag != NULL)
    return ref->tag;
  return "latest";
}

gboolean
berth_image_ref_check_pullable (const BerthImageRef *ref, GError **error)
{
  if (ref->sigverify == BERTH_SIGVERIFY_SIGNED)
    {
      g_autofree char *origin = berth_image_ref_to_origin_string (ref);
      g_autofree char *quoted = berth_oci_quote (origin, -1, QUOTE_MAX);
      return berth_throw (error, BERTH_ERROR_REFUSED,
                          "%s asks for a signature check (%s), which berth does not support "
                          "yet; nothing was pulled. To install without verification, write "
                          "ostree-unverified-registry:NAME or docker://NAME",
                          quoted, "containers-policy.json");
    }
  return TRUE;
}

/* ---- registries.conf ------------------------------------------------------------------------- */

/* The search list of one file: TRUE with *out NULL when the file does not set it. */
static gboolean
search_from_file (const char *path, GStrv *out, GError **error)
{
  *out = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;
  /* registries.conf files are small; 1 MiB is far beyond any real one. */
  if (!berth_oci_read_file (AT_FDCWD, path, 1024 * 1024, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        return TRUE;
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s", local_error->message);
    }
  g_autoptr (BerthToml) doc = berth_toml_parse (path, contents, len, error);
  if (doc == NULL)
    return FALSE;
  const BerthTomlValue *root = berth_toml_get_root (doc);
  const BerthTomlValue *v2 = berth_toml_table_lookup (root, "unqualified-search-registries");
  /* The version 1 format, which containers/image still reads. */
  const BerthTomlValue *v1 = berth_toml_lookup (root, "registries", "search", "registries", NULL);
  const BerthTomlValue *v = v2 ? v2 : v1;
  if (v == NULL)
    return TRUE;
  if (v2 != NULL && v1 != NULL)
    return berth_toml_throw_at (error, doc, berth_toml_value_get_line (v1),
                                "mixes unqualified-search-registries with the version 1 "
                                "[registries.search] table");
  if (!berth_toml_check_type (doc, v, "unqualified-search-registries", BERTH_TOML_STRING_ARRAY,
                              error))
    return FALSE;
  *out = g_strdupv ((char **)berth_toml_value_get_strv (v, NULL));
  return TRUE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

gboolean
berth_registries_conf_load_search (const char *conf_path, const char *conf_d_path,
                                   GStrv *out_registries, GError **error)
{
  if (conf_path == NULL)
    conf_path = "/etc/containers/registries.conf";
  if (conf_d_path == NULL)
    conf_d_path = "/etc/containers/registries.conf.d";

  g_auto (GStrv) result = NULL;
  if (!search_from_file (conf_path, &result, error))
    return FALSE;

  /* containers-registries.conf.d(5): drop-ins in name order; a key they set replaces it. */
  g_autoptr (GError) dir_error = NULL;
  g_autoptr (GDir) dir = g_dir_open (conf_d_path, 0, &dir_error);
  if (dir == NULL && !g_error_matches (dir_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s", dir_error->message);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".conf"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (conf_d_path, names->pdata[i], NULL);
      g_auto (GStrv) list = NULL;
      if (!search_from_file (path, &list, error))
        return FALSE;
      if (list != NULL)
        {
          g_strfreev (result);
          result = g_steal_pointer (&list);
        }
    }
  if (result == NULL)
    result = g_new0 (char *, 1);
  *out_registries = g_steal_pointer (&result);
  return TRUE;
}
