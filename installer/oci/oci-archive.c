/* oci-archive: an OCI layout in a tar file (containers-transports(5)).
 *
 * The small documents (oci-layout, index.json, and the blobs small enough to be manifests or
 * configs) are extracted into a private temporary directory so the layout code resolves them as
 * for oci:; layer blobs are streamed straight out of the archive when the importer asks for
 * them, never copied: each blob stream scans the archive's headers (libarchive skips the data
 * of other members by seeking) and reads its member's bytes.
 */
#include "oci-archive.h"

#include <string.h>
#include <unistd.h>

#include "oci-digest.h"
#include "oci-layout.h"
#include "oci-manifest.h"
#include "util/util-archive.h"

/* Members that can be manifests, indexes or configs; larger ones are layers. */
#define SMALL_BLOB_MAX BERTH_OCI_CONFIG_MAX
/* Reads from the archive file in blocks of this size (libarchive's own default is 10 KiB). */
#define ARCHIVE_BLOCK_SIZE (256 * 1024)

static BerthArchiveRead *
open_archive (const char *path, GError **error)
{
  g_autoptr (BerthArchiveRead) a = archive_read_new ();
  archive_read_support_format_tar (a);
  /* oci-archive files are plain tars, but a compressed one costs nothing to accept. */
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_none (a);
  if (archive_read_open_filename (a, path, ARCHIVE_BLOCK_SIZE) != ARCHIVE_OK)
    {
      g_autofree char *what = g_strdup_printf ("Opening OCI archive %s", path);
      if (archive_errno (a) == ENOENT)
        return (berth_throw (error, BERTH_ERROR_NOT_FOUND, "%s: no such file", what), NULL);
      return (berth_throw_archive (error, a, what), NULL);
    }
  return g_steal_pointer (&a);
}

/* A member's name inside the layout: "./blobs/sha256/x" and "blobs/sha256/x" are the same. */
static const char *
member_name (struct archive_entry *entry)
{
  const char *name = archive_entry_pathname (entry);
  if (name == NULL)
    return "";
  while (g_str_has_prefix (name, "./"))
    name += 2;
  while (*name == '/')
    name++;
  return name;
}

/* Only names a layout has, without any path trick: "oci-layout", "index.json",
 * "blobs/ALG/HEX". Anything else in the archive is ignored. */
static gboolean
is_layout_member (const char *name)
{
  if (g_str_equal (name, "oci-layout") || g_str_equal (name, "index.json"))
    return TRUE;
  if (!g_str_has_prefix (name, "blobs/"))
    return FALSE;
  const char *rest = name + strlen ("blobs/");
  const char *slash = strchr (rest, '/');
  if (slash == NULL || slash == rest || strchr (slash + 1, '/') != NULL || slash[1] == '\0')
    return FALSE;
  return strstr (name, "..") == NULL;
}

char *
berth_oci_archive_extract_metadata (const char *archive_path, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "OCI archive %s", archive_path);
  g_autoptr (BerthArchiveRead) a = open_archive (archive_path, error);
  if (a == NULL)
    return NULL;

  g_autoptr (GError) local_error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-oci-archive-XXXXXX", &local_error);
  if (dir == NULL)
    return (berth_throw (error, BERTH_ERROR_FAILED, "%s", local_error->message), NULL);

  gboolean ok = TRUE;
  gboolean saw_index = FALSE;
  struct archive_entry *entry;
  int r;
  while ((r = archive_read_next_header (a, &entry)) == ARCHIVE_OK)
    {
      const char *name = member_name (entry);
      if (archive_entry_filetype (entry) != AE_IFREG || !is_layout_member (name))
        continue;
      la_int64_t size = archive_entry_size (entry);
      if (size < 0 || size > SMALL_BLOB_MAX)
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *parent = g_path_get_dirname (path);
      if (g_mkdir_with_parents (parent, 0700) < 0)
        {
          ok = berth_throw_errno (error, parent);
          break;
        }
      g_autofree char *data = g_malloc (size > 0 ? (gsize)size : 1);
      la_ssize_t n = size > 0 ? archive_read_data (a, data, (size_t)size) : 0;
      if (n != size)
        {
          ok = berth_throw_archive (error, a, name);
          break;
        }
      if (!g_file_set_contents (path, data, size, &local_error))
        {
          ok = berth_throw (error, BERTH_ERROR_FAILED, "%s", local_error->message);
          break;
        }
      saw_index |= g_str_equal (name, "index.json");
    }
  if (ok && r != ARCHIVE_EOF)
    ok = berth_throw_archive (error, a, "Reading the archive");
  if (ok && !saw_index)
    ok = berth_throw (error, BERTH_ERROR_NOT_FOUND,
                      "no index.json: this is not an OCI archive (oci-archive: is a tar of an OCI "
                      "image layout)");
  if (!ok)
    {
      berth_oci_archive_remove_metadata (dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

/* Removes what berth_oci_archive_extract_metadata made (files one level deep per folder). */
void
berth_oci_archive_remove_metadata (const char *dir)
{
  if (dir == NULL)
    return;
  g_autoptr (GFile) root = g_file_new_for_path (dir);
  g_autoptr (GFileEnumerator) e = g_file_enumerate_children (
    root, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;
  GFile *child;
  while (e != NULL && g_file_enumerator_iterate (e, &info, &child, NULL, NULL) && info != NULL)
    {
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        {
          g_autofree char *sub = g_file_get_path (child);
          berth_oci_archive_remove_metadata (sub);
        }
      else
        (void)g_file_delete (child, NULL, NULL);
    }
  (void)rmdir (dir);
}

/* ---- a member as a stream ------------------------------------------------------------ */

typedef struct
{
  GInputStream parent;
  BerthArchiveRead *archive;
} MemberStream;

typedef GInputStreamClass MemberStreamClass;
static GType member_stream_get_type (void);
G_DEFINE_TYPE (MemberStream, member_stream, G_TYPE_INPUT_STREAM)

static gssize
member_stream_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                    GError **error)
{
  MemberStream *self = (MemberStream *)stream;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  la_ssize_t n = archive_read_data (self->archive, buffer, count);
  if (n < 0)
    return berth_throw_archive (error, self->archive, "Reading the OCI archive"), -1;
  return (gssize)n;
}

static void
member_stream_finalize (GObject *object)
{
  MemberStream *self = (MemberStream *)object;
  g_clear_pointer (&self->archive, archive_read_free);
  G_OBJECT_CLASS (member_stream_parent_class)->finalize (object);
}

static void
member_stream_class_init (MemberStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = member_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = member_stream_read;
}

static void
member_stream_init (MemberStream *self)
{
}

GInputStream *
berth_oci_archive_open_blob (const char *archive_path, const char *digest, GError **error)
{
  if (!berth_digest_validate (digest, error))
    return NULL;
  const char *colon = strchr (digest, ':');
  g_autofree char *want
    = g_strdup_printf ("blobs/%.*s/%s", (int)(colon - digest), digest, colon + 1);
  g_autoptr (BerthArchiveRead) a = open_archive (archive_path, error);
  if (a == NULL)
    return NULL;
  struct archive_entry *entry;
  int r;
  while ((r = archive_read_next_header (a, &entry)) == ARCHIVE_OK)
    {
      if (archive_entry_filetype (entry) == AE_IFREG && g_str_equal (member_name (entry), want))
        {
          MemberStream *s = g_object_new (member_stream_get_type (), NULL);
          s->archive = g_steal_pointer (&a);
          return (GInputStream *)s;
        }
    }
  if (r != ARCHIVE_EOF)
    return (berth_throw_archive (error, a, "Reading the OCI archive"), NULL);
  return (berth_throw (error, BERTH_ERROR_NOT_FOUND, "Blob %s is missing from the OCI archive %s",
                       digest, archive_path),
          NULL);
}
