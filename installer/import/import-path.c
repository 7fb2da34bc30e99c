/* Tar entry paths: the pure string rules of the import module. */
#include "import-private.h"

#include <string.h>

/* Linux's NAME_MAX and PATH_MAX: a longer name or path could be stored in a commit but never
 * checked out, so it is refused when it is read rather than when the system is deployed. */
#define NAME_MAX_BYTES 255
#define PATH_MAX_BYTES 4096

/* Where a long hostile path is cut in a message. */
#define QUOTE_MAX_BYTES 200

char *
berth_import_quote_path (const char *path)
{
  if (path == NULL)
    return g_strdup ("(null)");
  gsize len = strnlen (path, QUOTE_MAX_BYTES + 1);
  g_autofree char *head = g_strndup (path, MIN (len, QUOTE_MAX_BYTES));
  g_autofree char *escaped = g_strescape (head, NULL);
  return g_strconcat (escaped, len > QUOTE_MAX_BYTES ? "..." : "", NULL);
}

static gboolean
refuse_path (GError **error, const char *raw, const char *why)
{
  g_autofree char *quoted = berth_import_quote_path (raw);
  return berth_throw (error, BERTH_ERROR_REFUSED, "Path \"%s\": %s", quoted, why);
}

gboolean
berth_import_path_normalize (const char *raw, char **out_path, GError **error)
{
  gsize len = strlen (raw);
  if (len > PATH_MAX_BYTES)
    return refuse_path (error, raw, "longer than 4096 bytes");
  /* ostree stores names as GVariant strings, which are UTF-8. */
  if (!g_utf8_validate (raw, len, NULL))
    return refuse_path (error, raw, "not valid UTF-8");

  g_autoptr (GString) out = g_string_sized_new (len);
  const char *p = raw;
  while (*p != '\0')
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      const char *end = strchrnul (p, '/');
      gsize n = end - p;
      if (n == 1 && p[0] == '.')
        ; /* `./` prefixes and `a/./b` */
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        return refuse_path (error, raw, "has a \"..\" component");
      else if (n > NAME_MAX_BYTES)
        return refuse_path (error, raw, "has a name longer than 255 bytes");
      else
        {
          if (out->len > 0)
            g_string_append_c (out, '/');
          g_string_append_len (out, p, n);
        }
      p = end;
    }
  *out_path = g_string_free (g_steal_pointer (&out), FALSE);
  return TRUE;
}

/* systemd's API file systems (ostree-ext's EXCLUDED_TOPLEVEL_PATHS): mounted at boot, so
 * whatever a layer puts below them would be hidden or, for /dev, dangerous. */
static const char *const api_filesystems[] = { "run", "tmp", "proc", "sys", "dev" };

BerthImportPathClass
berth_import_path_map (const char *normalized, char **out_mapped)
{
  const char *slash = strchr (normalized, '/');
  gsize first_len = slash != NULL ? (gsize)(slash - normalized) : strlen (normalized);

  /* ostree's deploy wants the image's /etc at /usr/etc (DESIGN.md section 2). */
  if (first_len == 3 && strncmp (normalized, "etc", 3) == 0)
    {
      *out_mapped = g_strconcat ("usr/", normalized, NULL);
      return BERTH_IMPORT_PATH_KEEP;
    }
  if (slash != NULL)
    for (gsize i = 0; i < G_N_ELEMENTS (api_filesystems); i++)
      if (first_len == strlen (api_filesystems[i])
          && strncmp (normalized, api_filesystems[i], first_len) == 0)
        return BERTH_IMPORT_PATH_FILTERED;

  *out_mapped = g_strdup (normalized);
  return BERTH_IMPORT_PATH_KEEP;
}

BerthImportWhiteout
berth_import_whiteout_classify (const char *name, const char **out_target)
{
  if (!g_str_has_prefix (name, BERTH_IMPORT_WHITEOUT_PREFIX))
    return BERTH_IMPORT_WHITEOUT_NONE;
  if (g_str_equal (name, BERTH_IMPORT_OPAQUE_NAME))
    return BERTH_IMPORT_WHITEOUT_OPAQUE;
  /* `.wh..wh.plnk`, `.wh..wh.aufs`: AUFS's own files, which containers/storage skips too. */
  if (g_str_has_prefix (name, BERTH_IMPORT_WHITEOUT_PREFIX BERTH_IMPORT_WHITEOUT_PREFIX))
    return BERTH_IMPORT_WHITEOUT_AUFS_META;
  *out_target = name + strlen (BERTH_IMPORT_WHITEOUT_PREFIX);
  return BERTH_IMPORT_WHITEOUT_NAME;
}

gboolean
berth_import_refuse_path (GError **error, const char *path, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *why = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_autofree char *quoted = berth_import_quote_path (path);
  return berth_throw (error, BERTH_ERROR_REFUSED, "Path \"%s\": %s", quoted, why);
}

gboolean
berth_import_broken_path (GError **error, const char *path, const char *why)
{
  g_autofree char *quoted = berth_import_quote_path (path);
  return berth_throw (error, BERTH_ERROR_FAILED, "Path \"%s\": %s", quoted, why);
}
