/* Helpers shared by the oci module's sources (see oci-private.h). */
#include "oci-private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

char *
berth_oci_quote (const char *s, gssize len, gsize max)
{
  if (s == NULL)
    return g_strdup ("(null)");
  gsize n = len < 0 ? strlen (s) : (gsize)len;
  GString *out = g_string_new ("\"");
  gsize chars = 0;
  const char *p = s, *end = s + n;
  while (p < end)
    {
      if (chars >= max)
        {
          g_string_append (out, "...");
          break;
        }
      gunichar c = g_utf8_get_char_validated (p, end - p);
      if (c == (gunichar)-1 || c == (gunichar)-2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar)*p);
          p++;
        }
      else
        {
          const char *next = g_utf8_next_char (p);
          if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
            g_string_append_printf (out, "\\x%02x", (guint)c);
          else if (c == '"' || c == '\\')
            g_string_append_printf (out, "\\%c", (char)c);
          else
            g_string_append_len (out, p, next - p);
          p = next;
        }
      chars++;
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

gboolean
berth_oci_read_file (int dfd, const char *path, gsize max, char **out_contents, gsize *out_len,
                     GError **error)
{
  /* O_NONBLOCK: a FIFO planted where a file should be must not hang the open; it is refused
   * below like any other non-regular file. */
  berth_autofd fd = openat (dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      g_autofree char *what = g_strdup_printf ("Opening %s", path);
      return berth_throw_errno (error, what);
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      g_autofree char *what = g_strdup_printf ("Reading %s", path);
      return berth_throw_errno (error, what);
    }
  if (!S_ISREG (st.st_mode))
    return berth_throw (error, BERTH_ERROR_FAILED, "%s is not a regular file", path);
  if (st.st_size < 0 || (guint64)st.st_size > max)
    return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                        "%s is %" G_GUINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                        " allowed",
                        path, (guint64)st.st_size, max);

  /* Read at most max + 1 bytes: a file that grew past the cap since fstat is caught too. */
  g_autofree char *buf = g_malloc ((gsize)st.st_size + 2);
  gsize cap = (gsize)st.st_size + 1, len = 0;
  while (len < cap)
    {
      ssize_t r = read (fd, buf + len, cap - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          g_autofree char *what = g_strdup_printf ("Reading %s", path);
          return berth_throw_errno (error, what);
        }
      if (r == 0)
        break;
      len += (gsize)r;
    }
  if (len > (gsize)st.st_size)
    return berth_throw (error, BERTH_ERROR_FAILED, "%s changed while it was read", path);
  buf[len] = '\0';
  *out_contents = g_steal_pointer (&buf);
  *out_len = len;
  return TRUE;
}

static int
base64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

gboolean
berth_oci_base64_decode_strict (const char *s, gsize len, guchar **out_data, gsize *out_len)
{
  if (len % 4 != 0)
    return FALSE;
  g_autofree guchar *data = g_malloc (len / 4 * 3 + 1);
  gsize n = 0;
  for (gsize i = 0; i < len; i += 4)
    {
      gboolean last = i + 4 == len;
      int v[4];
      int pad = 0;
      for (int j = 0; j < 4; j++)
        {
          char c = s[i + j];
          if (c == '=' && last && j >= 2)
            {
              v[j] = 0;
              pad++;
              continue;
            }
          /* Padding only at the very end, and nothing after it. */
          if (pad > 0)
            return FALSE;
          v[j] = base64_value (c);
          if (v[j] < 0)
            return FALSE;
        }
      guint32 triple
        = (guint32)v[0] << 18 | (guint32)v[1] << 12 | (guint32)v[2] << 6 | (guint32)v[3];
      /* Canonical encodings only: the bits that padding drops must be zero. */
      if ((pad == 1 && (triple & 0xff) != 0) || (pad == 2 && (triple & 0xffff) != 0))
        return FALSE;
      data[n++] = triple >> 16;
      if (pad < 2)
        data[n++] = (triple >> 8) & 0xff;
      if (pad < 1)
        data[n++] = triple & 0xff;
    }
  data[n] = 0;
  *out_data = g_steal_pointer (&data);
  *out_len = n;
  return TRUE;
}

/* RFC 6838 restricted-name-chars, after the first (a letter or digit). */
static gboolean
is_restricted_name_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$&-^_.+", c) != NULL);
}

static gboolean
restricted_name_ok (const char *s, gsize len)
{
  /* RFC 6838 section 4.2: 1 to 127 characters. */
  if (len == 0 || len > 127 || !g_ascii_isalnum (s[0]))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!is_restricted_name_char (s[i]))
      return FALSE;
  return TRUE;
}

gboolean
berth_oci_media_type_is_valid (const char *s)
{
  if (s == NULL)
    return FALSE;
  const char *slash = strchr (s, '/');
  if (slash == NULL)
    return FALSE;
  return restricted_name_ok (s, slash - s) && restricted_name_ok (slash + 1, strlen (slash + 1));
}
