/* kickstart: lines and words, as pykickstart's Python reads them (str.splitlines,
 * str.isspace, shlex.split). */
#include "kickstart/kickstart-private.h"

#include <string.h>

/* ---- lines --------------------------------------------------------------------------- */

/* The length of the line boundary at @p (str.splitlines: \n, \r\n, \r, \v, \f, \x1c, \x1d,
 * \x1e, U+0085, U+2028, U+2029), 0 when there is none. */
static gsize
line_end_at (const char *p, const char *end)
{
  switch ((guchar)p[0])
    {
    case '\n':
    case '\v':
    case '\f':
    case 0x1c:
    case 0x1d:
    case 0x1e:
      return 1;
    case '\r':
      return (p + 1 < end && p[1] == '\n') ? 2 : 1;
    case 0xc2: /* U+0085 NEXT LINE */
      return (p + 1 < end && (guchar)p[1] == 0x85) ? 2 : 0;
    case 0xe2: /* U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR */
      return (p + 2 < end && (guchar)p[1] == 0x80 && ((guchar)p[2] == 0xa8 || (guchar)p[2] == 0xa9))
               ? 3
               : 0;
    default:
      return 0;
    }
}

GArray *
ks_split_lines (const char *data, gsize len)
{
  GArray *lines = g_array_new (FALSE, TRUE, sizeof (KsLine));
  const char *end = data + len;
  const char *start = data;
  for (const char *p = data; p < end;)
    {
      gsize n = line_end_at (p, end);
      if (n == 0)
        {
          p++;
          continue;
        }
      KsLine line = { start, (gsize)(p - start), n };
      g_array_append_val (lines, line);
      p += n;
      start = p;
    }
  if (start < end)
    {
      KsLine line = { start, (gsize)(end - start), 0 };
      g_array_append_val (lines, line);
    }
  return lines;
}

char *
ks_check_text (const char *data, gsize len, guint *out_line)
{
  const char *bad = NULL;
  if (!g_utf8_validate_len (data, len, &bad))
    {
      guint line = 1;
      for (const char *p = data; p < bad; p++)
        line += *p == '\n';
      *out_line = line;
      /* an embedded NUL stops g_utf8_validate_len too */
      if (*bad == '\0')
        return g_strdup ("a NUL byte: a kickstart is a text file (this one may be binary, or "
                         "UTF-16: save it as UTF-8)");
      return g_strdup_printf ("byte 0x%02x is not UTF-8, which pykickstart and berth read "
                              "kickstarts as: save the file as UTF-8",
                              (guchar)*bad);
    }
  return NULL;
}

/* Python's str.isspace() for one character: the ASCII whitespace and separators
 * (\t \n \v \f \r \x1c-\x1f space), U+0085, and Unicode's space, line and paragraph
 * separators. */
static gboolean
py_isspace (gunichar c)
{
  if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) || c == 0x85)
    return TRUE;
  GUnicodeType t = g_unichar_type (c);
  return t == G_UNICODE_SPACE_SEPARATOR || t == G_UNICODE_LINE_SEPARATOR
         || t == G_UNICODE_PARAGRAPH_SEPARATOR;
}

gboolean
ks_line_is_blank_or_comment (const char *text, gsize len)
{
  const char *end = text + len;
  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (!py_isspace (c))
        return c == '#';
    }
  return TRUE;
}

/* ---- words --------------------------------------------------------------------------- */

/* shlex's whitespace in POSIX mode (not \v or \f: those stay in a word, as in Python). */
static gboolean
shlex_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char **
ks_shlex_split (const char *text, gsize len, gboolean comments, char **out_problem)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) token = g_string_new (NULL);
  const char *end = text + len;
  const char *p = text;

  /* One token per round, as shlex.read_token: state ' ' between words, 'a' in a word,
   * '\'' or '"' inside quotes, '\\' after a backslash (returning to @escaped). */
  for (;;)
    {
      char state = ' ';
      char escaped = ' ';
      gboolean quoted = FALSE;
      gsize quote_column = 0;
      g_string_truncate (token, 0);
      for (;;)
        {
          gboolean at_end = p >= end;
          char c = at_end ? '\0' : *p;
          if (state == ' ')
            {
              if (at_end)
                break;
              p++;
              if (shlex_space (c))
                {
                  if (token->len > 0 || quoted)
                    break;
                  continue;
                }
              if (comments && c == '#')
                {
                  p = end; /* shlex reads the rest of the line away */
                  continue;
                }
              if (c == '\\')
                {
                  escaped = 'a';
                  state = '\\';
                }
              else if (c == '\'' || c == '"')
                {
                  state = c;
                  quote_column = (gsize)(p - text);
                }
              else
                {
                  g_string_append_c (token, c);
                  state = 'a';
                }
            }
          else if (state == '\'' || state == '"')
            {
              quoted = TRUE;
              if (at_end)
                {
                  *out_problem = g_strdup_printf (
                    "no closing quotation: the %c at column %" G_GSIZE_FORMAT
                    " is not closed on its line (a kickstart command is one line): close "
                    "it, or escape it as \\%c",
                    state, quote_column, state);
                  return NULL;
                }
              p++;
              if (c == state)
                state = 'a';
              else if (c == '\\' && state == '"')
                {
                  escaped = state;
                  state = '\\';
                }
              else
                g_string_append_c (token, c);
            }
          else if (state == '\\')
            {
              if (at_end)
                {
                  *out_problem = g_strdup (
                    "a backslash at the end of the line: kickstart has no line "
                    "continuation (pykickstart reads each line on its own): put the whole "
                    "command on one line");
                  return NULL;
                }
              p++;
              /* inside double quotes a backslash escapes only '"' and itself */
              if (escaped == '"' && c != '\\' && c != '"')
                g_string_append_c (token, '\\');
              g_string_append_c (token, c);
              state = escaped;
            }
          else /* 'a': in a word */
            {
              if (at_end)
                break;
              p++;
              if (shlex_space (c))
                break;
              if (comments && c == '#')
                {
                  p = end;
                  break;
                }
              if (c == '\'' || c == '"')
                {
                  state = c;
                  quote_column = (gsize)(p - text);
                }
              else if (c == '\\')
                {
                  escaped = 'a';
                  state = '\\';
                }
              else
                g_string_append_c (token, c);
            }
        }
      if (token->len == 0 && !quoted)
        {
          if (p >= end)
            break;
          continue;
        }
      g_ptr_array_add (words, g_strndup (token->str, token->len));
      if (p >= end)
        break;
    }
  g_ptr_array_add (words, NULL);
  return (char **)g_ptr_array_free (g_steal_pointer (&words), FALSE);
}

char *
ks_shlex_quote (const char *word)
{
  if (*word == '\0')
    return g_strdup ("''");
  gboolean safe = TRUE;
  for (const char *p = word; *p != '\0' && safe; p++)
    safe = g_ascii_isalnum (*p) || strchr ("_@%+=:,./-", *p) != NULL;
  if (safe)
    return g_strdup (word);
  /* Python's shlex.quote: single quotes, each ' written as '"'"' */
  GString *out = g_string_new ("'");
  for (const char *p = word; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append (out, "'\"'\"'");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
  return g_string_free (out, FALSE);
}
