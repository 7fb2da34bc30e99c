/* Fuzz target: image references as users and kickstarts write them, and ostree ref escaping.
 * A reference that parses must survive the trip through the origin file: parsing its origin
 * string gives the same reference again. */
#include "oci/oci.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (gboolean ok)
{
  if (!ok)
    abort ();
}

static void
check_reference (const char *input, const char *const *search)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImageRef) ref = berth_image_ref_parse (input, search, &error);
  check ((ref != NULL) == (error == NULL));
  if (ref == NULL)
    return;

  g_autofree char *s = berth_image_ref_to_string (ref);
  g_autofree char *origin = berth_image_ref_to_origin_string (ref);
  g_autofree char *ostree_ref = berth_image_ref_to_ostree_ref (ref, &error);
  check (ostree_ref != NULL);
  check (strchr (origin, '\n') == NULL);
  if (ref->transport == BERTH_TRANSPORT_REGISTRY)
    {
      g_autofree char *scope = berth_image_ref_get_scope (ref);
      check (g_str_has_prefix (scope, "repository:"));
      check (berth_image_ref_get_manifest_reference (ref) != NULL);
      check (ref->registry != NULL && ref->repository != NULL && ref->api_host != NULL);
      if (ref->digest != NULL)
        check (berth_digest_is_valid (ref->digest));
    }
  else
    check (ref->path != NULL && *ref->path != '\0');
  (void)berth_image_ref_check_pullable (ref, &error);
  g_clear_error (&error);

  /* The origin round trip: same origin, same image reference, same ostree ref. */
  g_autoptr (BerthImageRef) again = berth_image_ref_parse (origin, NULL, &error);
  check (again != NULL);
  g_autofree char *origin2 = berth_image_ref_to_origin_string (again);
  g_autofree char *s2 = berth_image_ref_to_string (again);
  check (g_str_equal (origin, origin2));
  check (g_str_equal (s, s2));

  /* ostree refs unescape to the image reference. */
  g_autofree char *back = berth_ref_unprefix (BERTH_REF_IMAGE_PREFIX, ostree_ref, &error);
  check (back != NULL && g_str_equal (back, s));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *input = g_strndup ((const char *)data, size);
  const char *const search[] = { "quay.io", "docker.io", NULL };
  check_reference (input, NULL);
  check_reference (input, search);
  (void)berth_image_ref_is_short_name (input);

  /* Escaping round-trips for any non-empty UTF-8 string. */
  g_autoptr (GError) error = NULL;
  g_autofree char *escaped = berth_ref_escape (input, &error);
  if (escaped != NULL)
    {
      g_autofree char *unescaped = berth_ref_unescape (escaped, &error);
      check (unescaped != NULL && g_str_equal (unescaped, input));
    }
  g_clear_error (&error);
  g_autofree char *any = berth_ref_unescape (input, &error);
  check ((any != NULL) == (error == NULL));
  return 0;
}
