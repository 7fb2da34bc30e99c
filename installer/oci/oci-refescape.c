/* ostree ref escaping, ostree-ext's rules (see oci-refescape.h). Written from the rules and
 * ostree-ext's test vectors, not from its code. */
#include "oci-refescape.h"
#include "oci-digest.h"
#include "oci-private.h"

#include <string.h>

char *
berth_ref_escape (const char *s, GError **error)
{
  if (s == NULL || *s == '\0')
    {
      berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                   "Cannot make an ostree ref from an empty "
                   "string");
      return NULL;
    }
  if (!g_utf8_validate (s, -1, NULL))
    {
      g_autofree char *quoted = berth_oci_quote (s, -1, 100);
      berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                   "Cannot make an ostree ref from %s: not UTF-8", quoted);
      return NULL;
    }
  GString *out = g_string_new (NULL);
  gboolean previous_alnum = FALSE;
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean alnum = c < 0x80 && g_ascii_isalnum ((char)c);
      gboolean has_next = *g_utf8_next_char (p) != '\0';
      if (alnum || c == '-')
        g_string_append_c (out, (char)c);
      else if (c == '/' && previous_alnum && has_next)
        g_string_append_c (out, '/');
      else if (c == '_')
        g_string_append (out, "__");
      else
        g_string_append_printf (out, "_%02X_", (guint)c);
      previous_alnum = alnum;
    }
  return g_string_free (out, FALSE);
}

char *
berth_ref_unescape (const char *escaped, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  for (const char *p = escaped; *p != '\0';)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '/')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      if (*p != '_')
        {
          g_autofree char *quoted = berth_oci_quote (escaped, -1, 200);
          berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                       "%s is not an escaped ref: unexpected character at offset %d", quoted,
                       (int)(p - escaped));
          return NULL;
        }
      if (p[1] == '_')
        {
          g_string_append_c (out, '_');
          p += 2;
          continue;
        }
      /* "_" hex+ "_": at most 6 hex digits cover every code point (U+10FFFF). */
      const char *hex = p + 1;
      gsize n = 0;
      while (n < 7 && g_ascii_isxdigit (hex[n]))
        n++;
      gunichar c = 0;
      for (gsize i = 0; i < n && i < 6; i++)
        c = c * 16 + g_ascii_xdigit_value (hex[i]);
      if (n == 0 || n > 6 || hex[n] != '_' || c == 0 || !g_unichar_validate (c))
        {
          g_autofree char *quoted = berth_oci_quote (escaped, -1, 200);
          berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                       "%s is not an escaped ref: bad escape at offset %d", quoted,
                       (int)(p - escaped));
          return NULL;
        }
      g_string_append_unichar (out, c);
      p = hex + n + 1;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
berth_ref_for_blob (const char *digest, GError **error)
{
  if (!berth_digest_validate (digest, error))
    return NULL;
  g_autofree char *escaped = berth_ref_escape (digest, error);
  if (escaped == NULL)
    return NULL;
  return g_strconcat (BERTH_REF_BLOB_PREFIX "/", escaped, NULL);
}

char *
berth_ref_for_image (const char *image_ref, GError **error)
{
  g_autofree char *escaped = berth_ref_escape (image_ref, error);
  if (escaped == NULL)
    return NULL;
  return g_strconcat (BERTH_REF_IMAGE_PREFIX "/", escaped, NULL);
}

char *
berth_ref_unprefix (const char *prefix, const char *ref, GError **error)
{
  gsize n = strlen (prefix);
  if (strncmp (ref, prefix, n) != 0 || ref[n] != '/')
    {
      g_autofree char *quoted = berth_oci_quote (ref, -1, 200);
      berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "Ref %s does not start with %s/", quoted,
                   prefix);
      return NULL;
    }
  return berth_ref_unescape (ref + n + 1, error);
}
