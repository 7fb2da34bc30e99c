/* Fuzz target: WWW-Authenticate headers, token endpoint answers and error bodies, all straight
 * from a registry. What parses must be safe to use: a Bearer realm is an http(s) URL, a token
 * is printable ASCII (it goes into a header), a token lifetime is within its bounds, an error
 * summary is printable ASCII of bounded length (it goes onto the user's terminal). */
#include "oci/oci.h"
#include "oci/oci-private.h"
#include "oci/oci-registry.h"

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

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  /* A header value is a C string: the first NUL ends it (as curl's header callback would). */
  g_autofree char *header = g_strndup ((const char *)data, size);

  g_autoptr (GPtrArray) all = berth_auth_challenges_parse (header, &error);
  check ((all != NULL) == (error == NULL));
  g_clear_error (&error);
  if (all != NULL)
    {
      check (all->len > 0);
      for (guint i = 0; i < all->len; i++)
        {
          BerthAuthChallenge *ch = all->pdata[i];
          check (ch->scheme_name != NULL && *ch->scheme_name != '\0');
          if (ch->scheme == BERTH_AUTH_SCHEME_BEARER)
            check (g_ascii_strncasecmp (ch->realm, "http", 4) == 0);
        }
    }
  g_autoptr (BerthAuthChallenge) one = berth_auth_challenge_parse (header, &error);
  g_clear_error (&error);
  if (one != NULL)
    check (one->scheme == BERTH_AUTH_SCHEME_BEARER || one->scheme == BERTH_AUTH_SCHEME_BASIC);

  g_autoptr (BerthAuthToken) token = berth_auth_token_parse ((const char *)data, size, &error);
  check ((token != NULL) == (error == NULL));
  g_clear_error (&error);
  if (token != NULL)
    {
      for (const char *p = token->token; *p; p++)
        check (*p > 0x20 && *p < 0x7f);
      check (token->expires_in >= BERTH_AUTH_TOKEN_MIN_LIFETIME_S
             && token->expires_in <= 24 * 60 * 60);
    }

  g_autoptr (BerthCredentials) creds = berth_credentials_parse (header, &error);
  g_clear_error (&error);
  if (creds != NULL)
    {
      g_autofree char *s = berth_credentials_to_string (creds);
      check (g_str_equal (s, header));
    }

  g_autofree char *code = NULL;
  g_autofree char *summary = NULL;
  berth_registry_error_parse ((const char *)data, size, &code, &summary);
  if (code != NULL)
    for (const char *p = code; *p; p++)
      check (g_ascii_isupper (*p) || g_ascii_isdigit (*p) || *p == '_');
  if (summary != NULL)
    {
      check (*summary != '\0' && strlen (summary) <= 400);
      for (const char *p = summary; *p; p++)
        check (*p >= 0x20 && *p < 0x7f);
    }

  /* Strict base64 (the auth field): what decodes re-encodes to the same text. */
  g_autofree guchar *decoded = NULL;
  gsize decoded_len = 0;
  if (berth_oci_base64_decode_strict (header, strlen (header), &decoded, &decoded_len))
    {
      g_autofree char *again = g_base64_encode (decoded, decoded_len);
      check (g_str_equal (again, header));
    }
  return 0;
}
