/* Entry paths of the ostree container format's layers (ostree-ext's tar format, v0 and v1):
 * the one place that says which names an ostree layer may hold. */
#include "import-private.h"

#include <string.h>

#define REPO_PREFIX    BERTH_OSTREE_LAYER_REPO
#define OBJECTS_PREFIX BERTH_OSTREE_LAYER_OBJECTS
#define XATTRS_PREFIX  REPO_PREFIX "/xattrs/"
/* format v0's suffix of the hardlink naming a content object's xattrs (v1: .file-xattrs-link) */
#define V0_XATTRS_REF_SUFFIX "file.xattrs"

static const char *const entry_class_names[] = {
  [BERTH_OSTREE_ENTRY_DIR] = "directory",
  [BERTH_OSTREE_ENTRY_CONFIG] = "repo-config",
  [BERTH_OSTREE_ENTRY_OBJECT] = "object",
  [BERTH_OSTREE_ENTRY_XATTRS] = "xattrs",
  [BERTH_OSTREE_ENTRY_XATTRS_REF] = "xattrs-ref",
  [BERTH_OSTREE_ENTRY_REPO_OTHER] = "repo-other",
  [BERTH_OSTREE_ENTRY_TREE] = "tree",
};

const char *
berth_ostree_entry_class_to_string (BerthOstreeEntryClass entry_class)
{
  if ((guint)entry_class >= G_N_ELEMENTS (entry_class_names))
    return "unknown";
  return entry_class_names[entry_class];
}

/* The suffixes an object of this format may have; `.filez` (archive repos), `.payload-link`
 * and tombstones are repo-local and never travel in an image. */
static const struct
{
  const char *suffix;
  OstreeObjectType type;
} object_suffixes[] = {
  { "commit", OSTREE_OBJECT_TYPE_COMMIT },
  { "commitmeta", OSTREE_OBJECT_TYPE_COMMIT_META },
  { "dirtree", OSTREE_OBJECT_TYPE_DIR_TREE },
  { "dirmeta", OSTREE_OBJECT_TYPE_DIR_META },
  { "file", OSTREE_OBJECT_TYPE_FILE },
  { "file-xattrs", OSTREE_OBJECT_TYPE_FILE_XATTRS },
  { "file-xattrs-link", OSTREE_OBJECT_TYPE_FILE_XATTRS_LINK },
};

static gboolean
is_lower_hex (const char *s, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isxdigit (s[i]) || g_ascii_isupper (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
not_an_object (const char *path, const char *why, GError **error)
{
  g_autofree char *quoted = berth_import_quote_path (path);
  return berth_throw (error, BERTH_ERROR_REFUSED,
                      "Path \"%s\": %s; an ostree layer holds only " OBJECTS_PREFIX
                      "XX/ + 62 hex digits + .commit, .commitmeta, .dirtree, .dirmeta, .file, "
                      ".file-xattrs, .file-xattrs-link or (v0) .file.xattrs (and " XATTRS_PREFIX
                      "+ 64 hex digits, " REPO_PREFIX "/config, sysroot/config and their "
                      "directories)",
                      quoted, why);
}

gboolean
berth_import_ostree_path_parse (const char *normalized, BerthOstreePath *out, GError **error)
{
  memset (out, 0, sizeof *out);

  if (g_str_equal (normalized, "sysroot") || g_str_equal (normalized, "sysroot/ostree")
      || g_str_equal (normalized, REPO_PREFIX) || g_str_equal (normalized, REPO_PREFIX "/objects")
      || g_str_equal (normalized, REPO_PREFIX "/xattrs"))
    {
      out->entry_class = BERTH_OSTREE_ENTRY_DIR;
      return TRUE;
    }
  /* v1 keeps the exporter's repo config in the repo, v0 as sysroot/config */
  if (g_str_equal (normalized, REPO_PREFIX "/config") || g_str_equal (normalized, "sysroot/config"))
    {
      out->entry_class = BERTH_OSTREE_ENTRY_CONFIG;
      return TRUE;
    }

  if (g_str_has_prefix (normalized, XATTRS_PREFIX))
    {
      /* format v0: the xattrs of content objects, by the SHA-256 of their a(ayay) */
      const char *rest = normalized + strlen (XATTRS_PREFIX);
      if (strlen (rest) != 64 || !is_lower_hex (rest, 64))
        return not_an_object (normalized, "not 64 lower-case hex digits after xattrs/", error);
      out->entry_class = BERTH_OSTREE_ENTRY_XATTRS;
      memcpy (out->checksum, rest, 64);
      return TRUE;
    }

  if (!g_str_has_prefix (normalized, OBJECTS_PREFIX))
    {
      /* the exporter's tree paths (directories, hardlinks to objects) and the rest of its
       * repo skeleton (refs/, state/, tmp/...): the reader decides by the entry's type */
      gboolean in_sysroot
        = g_str_equal (normalized, "sysroot") || g_str_has_prefix (normalized, "sysroot/");
      out->entry_class = in_sysroot ? BERTH_OSTREE_ENTRY_REPO_OTHER : BERTH_OSTREE_ENTRY_TREE;
      return TRUE;
    }

  const char *rest = normalized + strlen (OBJECTS_PREFIX);
  if (strlen (rest) < 2 || !is_lower_hex (rest, 2))
    return not_an_object (normalized, "not an objects/XX directory", error);
  if (rest[2] == '\0')
    {
      out->entry_class = BERTH_OSTREE_ENTRY_DIR;
      return TRUE;
    }
  if (rest[2] != '/')
    return not_an_object (normalized, "not an objects/XX directory", error);

  const char *name = rest + 3;
  const char *dot = strchr (name, '.');
  if (dot == NULL || dot - name != 62 || !is_lower_hex (name, 62))
    return not_an_object (normalized, "not 62 lower-case hex digits and a suffix", error);

  if (g_str_equal (dot + 1, V0_XATTRS_REF_SUFFIX))
    {
      out->entry_class = BERTH_OSTREE_ENTRY_XATTRS_REF;
      memcpy (out->checksum, rest, 2);
      memcpy (out->checksum + 2, name, 62);
      return TRUE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (object_suffixes); i++)
    if (g_str_equal (dot + 1, object_suffixes[i].suffix))
      {
        out->entry_class = BERTH_OSTREE_ENTRY_OBJECT;
        out->object_type = object_suffixes[i].type;
        memcpy (out->checksum, rest, 2);
        memcpy (out->checksum + 2, name, 62);
        return TRUE;
      }
  return not_an_object (normalized, "an unknown object suffix", error);
}

char *
berth_import_ostree_object_path (const char *checksum, OstreeObjectType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (object_suffixes); i++)
    if (object_suffixes[i].type == type)
      return g_strdup_printf (OBJECTS_PREFIX "%.2s/%s.%s", checksum, checksum + 2,
                              object_suffixes[i].suffix);
  return NULL;
}
