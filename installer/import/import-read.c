/* Small files out of a merged commit (kargs.d, install configs, os-release), read through
 * OstreeRepoFile: nothing is checked out. */
#include "import-private.h"

#include <string.h>

/* Linux's MAXSYMLINKS. */
#define MAX_SYMLINK_HOPS 40

/* Pushes @path's components onto @todo so that the first one is popped first. */
static void
push_components (GPtrArray *todo, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  for (guint i = g_strv_length (parts); i > 0; i--)
    if (*parts[i - 1] != '\0')
      g_ptr_array_add (todo, g_strdup (parts[i - 1]));
}

static GFile *
file_of (GFile *root, GPtrArray *stack)
{
  if (stack->len == 0)
    return g_object_ref (root);
  g_ptr_array_add (stack, NULL);
  g_autofree char *joined = g_strjoinv ("/", (char **)stack->pdata);
  g_ptr_array_remove_index (stack, stack->len - 1);
  return g_file_resolve_relative_path (root, joined);
}

#define QUERY_ATTRS                                                                                \
  G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE                                \
                                 "," G_FILE_ATTRIBUTE_STANDARD_SYMLINK_TARGET

/* Walks @path from @root the way the deployed system would: symlinks followed inside the tree
 * (an absolute target starts again at @root, `..` stops at it), `etc` at the top meaning
 * `usr/etc` when the tree has no `etc`. */
static gboolean
resolve (GFile *root, const char *path, GFile **out_file, GFileInfo **out_info,
         GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) todo = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) stack = g_ptr_array_new_with_free_func (g_free);
  push_components (todo, path);
  g_autoptr (GFile) current = g_object_ref (root);
  g_autoptr (GFileInfo) info = g_file_query_info (
    root, QUERY_ATTRS, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
  if (info == NULL)
    return FALSE;
  guint hops = 0;

  while (todo->len > 0)
    {
      g_autofree char *name = g_ptr_array_steal_index (todo, todo->len - 1);
      if (g_str_equal (name, "."))
        continue;
      if (g_str_equal (name, ".."))
        {
          if (stack->len > 0)
            g_ptr_array_remove_index (stack, stack->len - 1);
          g_clear_object (&current);
          current = file_of (root, stack);
          continue;
        }

      g_autoptr (GFile) child = g_file_get_child (current, name);
      g_autoptr (GError) local_error = NULL;
      g_autoptr (GFileInfo) child_info = g_file_query_info (
        child, QUERY_ATTRS, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, &local_error);
      if (child_info == NULL && stack->len == 0 && g_str_equal (name, "etc")
          && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          /* the image's /etc is the commit's /usr/etc */
          g_ptr_array_add (todo, g_strdup ("etc"));
          g_ptr_array_add (todo, g_strdup ("usr"));
          continue;
        }
      if (child_info == NULL)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            return berth_throw (error, BERTH_ERROR_NOT_FOUND, "No such file or directory");
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      if (g_file_info_get_file_type (child_info) == G_FILE_TYPE_SYMBOLIC_LINK)
        {
          if (++hops > MAX_SYMLINK_HOPS)
            return berth_throw (error, BERTH_ERROR_FAILED, "Too many levels of symbolic links");
          const char *target = g_file_info_get_symlink_target (child_info);
          if (target[0] == '/')
            {
              g_ptr_array_set_size (stack, 0);
              g_clear_object (&current);
              current = g_object_ref (root);
            }
          push_components (todo, target);
          continue;
        }
      if (todo->len > 0 && g_file_info_get_file_type (child_info) != G_FILE_TYPE_DIRECTORY)
        return berth_throw (error, BERTH_ERROR_NOT_FOUND, "%s is not a directory", name);

      g_ptr_array_add (stack, g_steal_pointer (&name));
      g_set_object (&current, child);
      g_set_object (&info, child_info);
    }

  *out_file = g_steal_pointer (&current);
  *out_info = g_steal_pointer (&info);
  return TRUE;
}

gboolean
berth_import_read_file (OstreeRepo *repo, const char *commit, const char *path, gsize max_size,
                        GBytes **out_contents, GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Reading %s from commit %s", path, commit);

  g_autoptr (GFile) root = NULL;
  if (!ostree_repo_read_commit (repo, commit, &root, NULL, cancellable, error))
    return FALSE;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInfo) info = NULL;
  if (!resolve (root, path, &file, &info, cancellable, error))
    return FALSE;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return berth_throw (error, BERTH_ERROR_FAILED, "Not a regular file");
  goffset size = g_file_info_get_size (info);
  if (size < 0 || (guint64)size > max_size)
    return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                        "%" G_GOFFSET_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                        " this file may have",
                        size, max_size);

  char *data = NULL;
  gsize len = 0;
  if (!g_file_load_contents (file, cancellable, &data, &len, NULL, error))
    return FALSE;
  *out_contents = g_bytes_new_take (data, len);
  return TRUE;
}

gboolean
berth_import_file_type (OstreeRepo *repo, const char *commit, const char *path, GFileType *out_type,
                        GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Looking up %s in commit %s", path, commit);
  g_autoptr (GFile) root = NULL;
  if (!ostree_repo_read_commit (repo, commit, &root, NULL, cancellable, error))
    return FALSE;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) local_error = NULL;
  if (!resolve (root, path, &file, &info, cancellable, &local_error))
    {
      if (!g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      *out_type = G_FILE_TYPE_UNKNOWN;
      return TRUE;
    }
  *out_type = g_file_info_get_file_type (info);
  return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

gboolean
berth_import_list_dir (OstreeRepo *repo, const char *commit, const char *path, char ***out_names,
                       GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Listing %s in commit %s", path, commit);

  g_autoptr (GFile) root = NULL;
  if (!ostree_repo_read_commit (repo, commit, &root, NULL, cancellable, error))
    return FALSE;
  g_autoptr (GFile) dir = NULL;
  g_autoptr (GFileInfo) info = NULL;
  if (!resolve (root, path, &dir, &info, cancellable, error))
    return FALSE;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_DIRECTORY)
    return berth_throw (error, BERTH_ERROR_NOT_FOUND, "Not a directory");

  g_autoptr (GFileEnumerator) children = g_file_enumerate_children (
    dir, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
  if (children == NULL)
    return FALSE;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  while (TRUE)
    {
      GFileInfo *child = NULL;
      if (!g_file_enumerator_iterate (children, &child, NULL, cancellable, error))
        return FALSE;
      if (child == NULL)
        break;
      g_ptr_array_add (names, g_strdup (g_file_info_get_name (child)));
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  *out_names = (char **)g_ptr_array_free (g_steal_pointer (&names), FALSE);
  return TRUE;
}
