/* The error bodies registries send with a non-2xx status (see oci-registry.h). */
#include "oci-registry.h"

#include <jansson.h>
#include <string.h>

#include "util/util-json.h"

/* What of a body goes into a message: enough for "manifest unknown" and a detail or two, not
 * a page. The rest is cut with "...". */
#define SUMMARY_MAX 300
/* At most this many errors of the array are shown. */
#define ERRORS_SHOWN 3

/* Printable ASCII only (a body is untrusted: no terminal escapes into the user's output),
 * capped at @max bytes ("..." marks the cut). */
static void
append_clean (GString *s, const char *text, gsize len, gsize max)
{
  for (gsize i = 0; i < len; i++)
    {
      if (i == max)
        {
          g_string_append (s, "...");
          return;
        }
      unsigned char c = (unsigned char)text[i];
      if (c == '\n' || c == '\r' || c == '\t')
        c = ' ';
      g_string_append_c (s, c >= 0x20 && c < 0x7f ? (char)c : '?');
    }
}

/* An error code is UPPER_SNAKE ASCII in the spec; anything else is shown cleaned, not
 * trusted as a code. */
static gboolean
is_code (const char *code)
{
  if (code == NULL || *code == '\0' || strlen (code) > 64)
    return FALSE;
  for (const char *p = code; *p; p++)
    if (!g_ascii_isupper (*p) && !g_ascii_isdigit (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

void
berth_registry_error_parse (const char *body, gsize len, char **out_code, char **out_summary)
{
  *out_code = NULL;
  *out_summary = NULL;
  if (body == NULL || len == 0)
    return;
  g_autoptr (GString) s = g_string_new (NULL);
  json_error_t jerr;
  g_autoptr (json_t) root = json_loadb (body, len, JSON_REJECT_DUPLICATES, &jerr);
  json_t *errors = json_is_object (root) ? json_object_get (root, "errors") : NULL;
  if (json_is_array (errors) && json_array_size (errors) > 0)
    {
      size_t i;
      json_t *e;
      json_array_foreach (errors, i, e)
      {
        if (i >= ERRORS_SHOWN)
          {
            g_string_append_printf (s, "; and %zu more", json_array_size (errors) - i);
            break;
          }
        if (!json_is_object (e))
          continue;
        const char *code = json_string_value (json_object_get (e, "code"));
        const char *message = json_string_value (json_object_get (e, "message"));
        if (s->len > 0)
          g_string_append (s, "; ");
        if (is_code (code))
          {
            g_string_append (s, code);
            if (*out_code == NULL)
              *out_code = g_strdup (code);
          }
        else if (code != NULL)
          append_clean (s, code, strlen (code), 64);
        if (message != NULL && *message != '\0')
          {
            g_string_append (s, code != NULL ? " \"" : "\"");
            append_clean (s, message, strlen (message), SUMMARY_MAX);
            g_string_append_c (s, '"');
          }
      }
    }
  else if (root == NULL)
    {
      /* plain text (a proxy's error page, a token server's message): its first line */
      const char *nl = memchr (body, '\n', len);
      gsize line = nl ? (gsize)(nl - body) : len;
      while (line > 0 && g_ascii_isspace (body[line - 1]))
        line--;
      if (line > 0 && memchr (body, '<', MIN (len, 64)) == NULL)
        {
          g_string_append_c (s, '"');
          append_clean (s, body, line, SUMMARY_MAX);
          g_string_append_c (s, '"');
        }
    }
  if (s->len > SUMMARY_MAX + 40)
    {
      g_string_truncate (s, SUMMARY_MAX);
      g_string_append (s, "...");
    }
  if (s->len > 0)
    *out_summary = g_string_free (g_steal_pointer (&s), FALSE);
}
