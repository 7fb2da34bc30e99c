/* Unit tests of the import module: tar layers into temporary archive-mode ostree repos (no
 * root needed: an archive repo keeps uid, gid, mode and xattrs in its object headers), every
 * case of tests/fixtures/whiteouts/, compression and magic detection, failing streams, the
 * merge rules and the whole-image pipeline. */
#include "import/import.h"
#include "import/import-private.h"
#include "util/util-archive.h"
#include "util/util-json.h"

#include "test-support.h"

#include <fcntl.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* ---- test streams: one that fails at EOF, as the OCI module's digest-checking stream does;
 * one that returns at most N bytes per read, to meet every boundary the prefetch reader and
 * the inflater can meet (a gzip magic split in two, a member's end at a read's end) ------- */

G_DECLARE_FINAL_TYPE (TestStream, test_stream, BERTH_TEST, TEST_STREAM, GFilterInputStream)

struct _TestStream
{
  GFilterInputStream parent_instance;
  gsize max_read; /* 0: as asked */
  gboolean bad_eof;
};

G_DEFINE_TYPE (TestStream, test_stream, G_TYPE_FILTER_INPUT_STREAM)

static gssize
test_stream_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                  GError **error)
{
  TestStream *self = (TestStream *)stream;
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  if (self->max_read > 0)
    count = MIN (count, self->max_read);
  gssize n = g_input_stream_read (base, buffer, count, cancellable, error);
  if (n == 0 && self->bad_eof)
    {
      berth_throw (error, BERTH_ERROR_DIGEST_MISMATCH, "Blob digest mismatch");
      return -1;
    }
  return n;
}

static void
test_stream_class_init (TestStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = test_stream_read;
}

static void
test_stream_init (TestStream *self)
{
}

static GInputStream *
test_stream_new (GBytes *bytes, gsize max_read, gboolean bad_eof)
{
  g_autoptr (GInputStream) base = g_memory_input_stream_new_from_bytes (bytes);
  TestStream *self = g_object_new (test_stream_get_type (), "base-stream", base, NULL);
  self->max_read = max_read;
  self->bad_eof = bad_eof;
  return G_INPUT_STREAM (self);
}

static GInputStream *
bad_eof_stream_new (GBytes *bytes)
{
  return test_stream_new (bytes, 0, TRUE);
}

/* ---- fixture: a temporary archive-mode repo --------------------------------------------- */

typedef struct
{
  char *tmpdir;
  OstreeRepo *repo;
} Fixture;

static OstreeRepo *
make_repo (const char *path, OstreeRepoMode mode)
{
  g_autoptr (GError) error = NULL;
  OstreeRepo *repo = ostree_repo_create_at (AT_FDCWD, path, mode, NULL, NULL, &error);
  g_assert_no_error (error);
  /* as `berth pull` runs (DESIGN.md section 1); a throwaway repo needs no fsync either */
  ostree_repo_set_disable_fsync (repo, TRUE);
  return repo;
}

/* Tests run on an archive repo (no filesystem needs, and libostree's other write path for
 * large files); those that matter for `berth pull` also on a bare-user repo, the mode an
 * unprivileged pull uses (uid, gid and xattrs in a user xattr). A `bare` repo needs root: the
 * root tier's import-vs-umoci.sh uses one. */
static const OstreeRepoMode mode_archive = OSTREE_REPO_MODE_ARCHIVE;
static const OstreeRepoMode mode_bare_user = OSTREE_REPO_MODE_BARE_USER;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->tmpdir = g_dir_make_tmp ("berth-test-import.XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *repo = g_build_filename (f->tmpdir, "repo", NULL);
  f->repo = make_repo (repo, *(const OstreeRepoMode *)data);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_clear_object (&f->repo);
  g_assert_true (berth_spawn_simple (&error, "rm", "-rf", "--", f->tmpdir, NULL));
  g_free (f->tmpdir);
}

#define ADD_TEST(path, func)                                                                       \
  g_test_add (path, Fixture, &mode_archive, fixture_setup, func, fixture_teardown)
/* the test on an archive repo, and again on a bare-user one */
#define ADD_TEST_MODES(path, func)                                                                 \
  do                                                                                               \
    {                                                                                              \
      ADD_TEST (path, func);                                                                       \
      g_test_add (path "/bare-user", Fixture, &mode_bare_user, fixture_setup, func,                \
                  fixture_teardown);                                                               \
    }                                                                                              \
  while (0)

/* ---- helpers ------------------------------------------------------------------------------ */

static GBytes *
fixture_bytes (const char *relpath)
{
  gsize len;
  char *data = berth_test_fixture_contents (relpath, &len);
  return g_bytes_new_take (data, len);
}

static char *
digest_of (GBytes *bytes)
{
  g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  return g_strconcat ("sha256:", hex, NULL);
}

static GBytes *
gzip_bytes (GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GZlibCompressor) gz = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (gz));
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);
  g_assert_true (g_output_stream_write_all (out, data, len, NULL, NULL, &error));
  g_assert_true (g_output_stream_close (out, NULL, &error));
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

static GBytes *
zstd_bytes (const char *tmpdir, GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *in = g_build_filename (tmpdir, "zstd-in", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "zstd-in.zst", NULL);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  g_assert_true (g_file_set_contents (in, data, len, &error));
  g_assert_true (berth_spawn_simple (&error, "zstd", "-q", "-f", in, "-o", out, NULL));
  g_assert_no_error (error);
  char *zdata;
  gsize zlen;
  g_assert_true (g_file_get_contents (out, &zdata, &zlen, &error));
  unlink (in);
  unlink (out);
  return g_bytes_new_take (zdata, zlen);
}

static GBytes *
concat_bytes (GBytes *a, gsize n_zeros)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (a, &len);
  guint8 *buf = g_malloc0 (len + n_zeros);
  memcpy (buf, data, len);
  return g_bytes_new_take (buf, len + n_zeros);
}

/* Reads one layer, @max_read bytes at a time at most (0: as asked), and commits it; NULL (with
 * @error) when the read fails. */
static char *
import_layer_read_by (OstreeRepo *repo, GBytes *bytes, const char *media_type, gsize max_read,
                      BerthImportLayerStats *out_stats, GError **error)
{
  g_autofree char *digest = digest_of (bytes);
  BerthImportLayerDesc desc = { .digest = digest, .media_type = media_type };
  g_autoptr (GInputStream) stream = test_stream_new (bytes, max_read, FALSE);
  g_autoptr (BerthImportedLayer) layer = berth_import_layer_read (repo, &desc, stream, NULL, error);
  if (layer == NULL)
    return NULL;
  g_autofree char *commit = NULL;
  if (!berth_import_layer_commit (repo, layer, &commit, NULL, error))
    return NULL;
  if (out_stats != NULL)
    *out_stats = *berth_imported_layer_get_stats (layer);
  return g_steal_pointer (&commit);
}

static char *
import_layer (OstreeRepo *repo, GBytes *bytes, const char *media_type,
              BerthImportLayerStats *out_stats, GError **error)
{
  return import_layer_read_by (repo, bytes, media_type, 0, out_stats, error);
}

static char *
import_fixture (Fixture *f, const char *relpath, BerthImportLayerStats *out_stats)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = fixture_bytes (relpath);
  char *commit = import_layer (f->repo, bytes, NULL, out_stats, &error);
  g_assert_no_error (error);
  return commit;
}

static void
test_image_init (BerthImportImage *image, const char *ref, const char *manifest_digest)
{
  *image = (BerthImportImage){
    .image_ref = ref,
    .manifest_digest = manifest_digest,
    .manifest_json = "{\"schemaVersion\":2}",
    .config_json = "{\"architecture\":\"amd64\"}",
    .created = "2024-05-01T12:00:00Z",
  };
}

static char *
merge (Fixture *f, const char *const *commits)
{
  g_autoptr (GError) error = NULL;
  BerthImportImage image;
  test_image_init (&image, "oci:/test:latest", "sha256:0000");
  g_autofree char *merged = NULL;
  g_assert_true (berth_import_merge (f->repo, &image, commits, &merged, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&merged);
}

static void
list_tree (GFile *dir, const char *prefix, GPtrArray *out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFileEnumerator) children = g_file_enumerate_children (
    dir, "standard::name,standard::type", G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
  g_assert_no_error (error);
  while (TRUE)
    {
      GFileInfo *info = NULL;
      GFile *child = NULL;
      g_assert_true (g_file_enumerator_iterate (children, &info, &child, NULL, &error));
      if (info == NULL)
        break;
      g_autofree char *path = g_strconcat (prefix, g_file_info_get_name (info), NULL);
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        {
          g_autofree char *dirpath = g_strconcat (path, "/", NULL);
          g_ptr_array_add (out, g_strdup (dirpath));
          list_tree (child, dirpath, out);
        }
      else
        g_ptr_array_add (out, g_steal_pointer (&path));
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* Every path of @commit, directories with a trailing `/`, sorted, joined with spaces. */
static char *
tree_of (OstreeRepo *repo, const char *commit)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) root = NULL;
  g_assert_true (ostree_repo_read_commit (repo, commit, &root, NULL, NULL, &error));
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  list_tree (root, "", paths);
  g_ptr_array_sort (paths, compare_strings);
  g_ptr_array_add (paths, NULL);
  return g_strjoinv (" ", (char **)paths->pdata);
}

/* The commit's root tree and dirmeta: what a layer commit holds apart from its metadata (which
 * names the blob's digest, different for each compression of one tar). */
static char *
root_of (OstreeRepo *repo, const char *commit)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) root = NULL;
  g_assert_true (ostree_repo_read_commit (repo, commit, &root, NULL, NULL, &error));
  g_assert_no_error (error);
  return g_strconcat (ostree_repo_file_tree_get_contents_checksum (OSTREE_REPO_FILE (root)), "-",
                      ostree_repo_file_tree_get_metadata_checksum (OSTREE_REPO_FILE (root)), NULL);
}

static GFile *
file_in (OstreeRepo *repo, const char *commit, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) root = NULL;
  g_assert_true (ostree_repo_read_commit (repo, commit, &root, NULL, NULL, &error));
  if (*path == '\0')
    return g_steal_pointer (&root);
  return g_file_resolve_relative_path (root, path);
}

static GFileInfo *
info_of (OstreeRepo *repo, const char *commit, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = file_in (repo, commit, path);
  GFileInfo *info = g_file_query_info (file, "standard::*,unix::*",
                                       G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error);
  g_assert_no_error (error);
  return info;
}

static guint32
mode_of (OstreeRepo *repo, const char *commit, const char *path)
{
  g_autoptr (GFileInfo) info = info_of (repo, commit, path);
  return g_file_info_get_attribute_uint32 (info, "unix::mode");
}

static char *
checksum_of (OstreeRepo *repo, const char *commit, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = file_in (repo, commit, path);
  g_assert_true (ostree_repo_file_ensure_resolved (OSTREE_REPO_FILE (file), &error));
  g_assert_no_error (error);
  return g_strdup (ostree_repo_file_get_checksum (OSTREE_REPO_FILE (file)));
}

static char *
contents_of (OstreeRepo *repo, const char *commit, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = file_in (repo, commit, path);
  char *data = NULL;
  g_assert_true (g_file_load_contents (file, NULL, &data, NULL, NULL, &error));
  g_assert_no_error (error);
  return data;
}

static const char *
symlink_target_of (OstreeRepo *repo, const char *commit, const char *path, GFileInfo **keep)
{
  *keep = info_of (repo, commit, path);
  g_assert_cmpint (g_file_info_get_file_type (*keep), ==, G_FILE_TYPE_SYMBOLIC_LINK);
  return g_file_info_get_symlink_target (*keep);
}

static GVariant *
xattrs_of (OstreeRepo *repo, const char *commit, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = file_in (repo, commit, path);
  GVariant *xattrs = NULL;
  g_assert_true (ostree_repo_file_get_xattrs (OSTREE_REPO_FILE (file), &xattrs, NULL, &error));
  g_assert_no_error (error);
  return xattrs;
}

/* The value of xattr @name, or NULL. */
static char *
xattr_value (GVariant *xattrs, const char *name)
{
  GVariantIter iter;
  const char *n;
  GVariant *value;
  g_variant_iter_init (&iter, xattrs);
  while (g_variant_iter_next (&iter, "(^&ay@ay)", &n, &value))
    {
      g_autoptr (GVariant) owned = value;
      if (g_str_equal (n, name))
        {
          gsize len;
          const char *data = g_variant_get_fixed_array (value, &len, 1);
          return g_strndup (data, len);
        }
    }
  return NULL;
}

static gboolean
path_exists (OstreeRepo *repo, const char *commit, const char *path)
{
  g_autoptr (GFile) file = file_in (repo, commit, path);
  return g_file_query_exists (file, NULL);
}

/* ---- building tars at test time ----------------------------------------------------------- */

typedef struct
{
  char type; /* f file, d dir, l symlink, h hardlink, c char device, b block device, p FIFO */
  const char *path;
  const char *data; /* file contents, symlink or hardlink target */
  guint mode;       /* permission bits; 0: 0644 (0755 for directories) */
  guint uid, gid;
  const char *xattr_name;
  const char *xattr_value;
  gsize data_len; /* for contents with NULs; 0: strlen (data) */
} TarSpec;

static la_ssize_t
tar_write_cb (struct archive *a, void *data, const void *buf, size_t len)
{
  g_byte_array_append (data, buf, len);
  return len;
}

static GBytes *
make_tar (const TarSpec *specs, gsize n)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (BerthArchiveWrite) a = archive_write_new ();
  g_assert_cmpint (archive_write_set_format_pax (a), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open (a, out, NULL, tar_write_cb, NULL), ==, ARCHIVE_OK);
  for (gsize i = 0; i < n; i++)
    {
      const TarSpec *s = &specs[i];
      g_autoptr (BerthArchiveEntry) e = archive_entry_new ();
      archive_entry_set_pathname (e, s->path);
      archive_entry_set_uid (e, s->uid);
      archive_entry_set_gid (e, s->gid);
      guint mode = s->mode != 0 ? s->mode : (s->type == 'd' ? 0755 : 0644);
      gsize size = 0;
      switch (s->type)
        {
        case 'f':
          archive_entry_set_filetype (e, AE_IFREG);
          size = s->data_len != 0 ? s->data_len : s->data != NULL ? strlen (s->data) : 0;
          break;
        case 'd':
          archive_entry_set_filetype (e, AE_IFDIR);
          break;
        case 'l':
          archive_entry_set_filetype (e, AE_IFLNK);
          archive_entry_set_symlink (e, s->data);
          break;
        case 'h':
          archive_entry_set_filetype (e, AE_IFREG);
          archive_entry_set_hardlink (e, s->data);
          break;
        case 'c':
          archive_entry_set_filetype (e, AE_IFCHR);
          archive_entry_set_rdev (e, makedev (1, 3));
          break;
        case 'b':
          archive_entry_set_filetype (e, AE_IFBLK);
          archive_entry_set_rdev (e, makedev (7, 0));
          break;
        case 'p':
          archive_entry_set_filetype (e, AE_IFIFO);
          break;
        default:
          g_assert_not_reached ();
        }
      archive_entry_set_perm (e, mode);
      archive_entry_set_size (e, size);
      if (s->xattr_name != NULL)
        archive_entry_xattr_add_entry (e, s->xattr_name, s->xattr_value, strlen (s->xattr_value));
      g_assert_cmpint (archive_write_header (a, e), ==, ARCHIVE_OK);
      if (size > 0)
        g_assert_cmpint (archive_write_data (a, s->data, size), ==, (la_ssize_t)size);
    }
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static char *
import_specs (Fixture *f, const TarSpec *specs, gsize n, BerthImportLayerStats *out_stats)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) tar = make_tar (specs, n);
  char *commit
    = import_layer (f->repo, tar, "application/vnd.oci.image.layer.v1.tar", out_stats, &error);
  g_assert_no_error (error);
  return commit;
}

static void
assert_specs_fail (Fixture *f, const TarSpec *specs, gsize n, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_test_message ("expecting \"%s\"", needle);
  g_autoptr (GBytes) tar = make_tar (specs, n);
  g_autofree char *commit = import_layer (f->repo, tar, NULL, NULL, &error);
  g_assert_null (commit);
  g_assert_error (error, BERTH_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("\"%s\" not in \"%s\"", needle, error->message);
  g_autofree char *digest = digest_of (tar);
  g_assert_nonnull (strstr (error->message, digest));
}

/* ---- paths and refs ----------------------------------------------------------------------- */

static void
test_path_normalize (void)
{
  static const struct
  {
    const char *raw, *normalized;
  } ok[] = {
    { "a/b", "a/b" },
    { "./usr/bin/sh", "usr/bin/sh" },
    { "/usr/lib/", "usr/lib" },
    { "//a//b///c", "a/b/c" },
    { "./", "" },
    { "/", "" },
    { ".", "" },
    { "a/./b/.", "a/b" },
    { "...", "..." },
    { "..a/b..", "..a/b.." },
    { ".wh..wh..opq", ".wh..wh..opq" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = NULL;
      g_assert_true (berth_import_path_normalize (ok[i].raw, &out, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, ok[i].normalized);
    }

  g_autofree char *long_name = g_strnfill (256, 'x');
  g_autofree char *long_path = g_strjoin ("/", "a", long_name, NULL);
  g_autofree char *ok_name = g_strnfill (255, 'x');
  g_autoptr (GString) very_long = g_string_new (NULL);
  while (very_long->len <= 4096)
    g_string_append (very_long, "abcdefgh/");
  const char *refused[] = { "..",
                            "../victim/dotdot",
                            "/../victim/slash-dotdot",
                            "a/../../b",
                            "a/..",
                            "./..",
                            long_path,
                            very_long->str,
                            "bad\xff"
                            "utf8" };
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = NULL;
      g_assert_false (berth_import_path_normalize (refused[i], &out, &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
      g_assert_null (out);
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_assert_true (berth_import_path_normalize (ok_name, &out, &error));
}

static void
test_path_map (void)
{
  static const struct
  {
    const char *in, *out; /* out NULL: filtered */
  } cases[] = {
    { "etc", "usr/etc" },
    { "etc/passwd", "usr/etc/passwd" },
    { "etcetera/x", "etcetera/x" },
    { "usr/etc/x", "usr/etc/x" },
    { "run", "run" },
    { "run/lock", NULL },
    { "tmp", "tmp" },
    { "tmp/a/b", NULL },
    { "proc/1", NULL },
    { "sys/kernel", NULL },
    { "dev/null", NULL },
    { "device/x", "device/x" },
    { "var/tmp/x", "var/tmp/x" },
    { "usr/run/x", "usr/run/x" },
    { "", "" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *mapped = NULL;
      BerthImportPathClass c = berth_import_path_map (cases[i].in, &mapped);
      if (cases[i].out == NULL)
        {
          g_assert_cmpint (c, ==, BERTH_IMPORT_PATH_FILTERED);
          g_assert_null (mapped);
        }
      else
        {
          g_assert_cmpint (c, ==, BERTH_IMPORT_PATH_KEEP);
          g_assert_cmpstr (mapped, ==, cases[i].out);
        }
    }
}

/* The OCI module owns the escaping; these pin what the import's refs depend on. */
static void
test_ref_escape (void)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    /* DESIGN.md section 3's example and ostree-ext's refescape.rs doc example */
    { "docker://quay.io/x/y:tag", "docker_3A__2F__2F_quay_2E_io/x/y_3A_tag" },
    { "registry:quay.io/coreos/fedora:latest", "registry_3A_quay_2E_io/coreos/fedora_3A_latest" },
    { "sha256:0123abcd", "sha256_3A_0123abcd" },
    { "a_b-c", "a__b-c" },
    { "foo/", "foo_2F_" },
    { "/foo", "_2F_foo" },
    { "foo//bar", "foo/_2F_bar" },
    { "oci:/var/lib/img:v1", "oci_3A__2F_var/lib/img_3A_v1" },
    { "caf\xc3\xa9", "caf_E9_" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = berth_ref_escape (cases[i].in, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, cases[i].out);
      /* every escaped form is a valid ref name */
      g_autofree char *ref = g_strconcat ("ostree/container/image/", out, NULL);
      g_assert_true (ostree_validate_rev (ref, &error));
      g_assert_no_error (error);
    }

  g_autoptr (GError) error = NULL;
  g_assert_null (berth_ref_escape ("", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  const char *digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  g_autofree char *blob = berth_ref_for_blob (digest, &error);
  g_assert_cmpstr (blob, ==,
                   "ostree/container/blob/"
                   "sha256_3A_e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_autofree char *image = berth_ref_for_image ("oci:/x:v1", &error);
  g_assert_cmpstr (image, ==, "ostree/container/image/oci_3A__2F_x_3A_v1");
}

/* ---- tests/fixtures/whiteouts/generated: breakouts ------------------------------------- */

/* What berth does with each containers/storage breakout layer. "refused": the import fails
 * with BERTH_ERROR_REFUSED naming the layer and the path; otherwise it succeeds with exactly
 * this tree (symlink targets are data: kept, never followed). Either way nothing outside the
 * repo is touched: the test plants a victim beside the repo and checks it afterwards. */
static const struct
{
  const char *name;
  const char *tree;   /* NULL: refused */
  const char *needle; /* in the error message */
} breakouts[] = {
  { "breakout-filename-dotdot.tar", NULL, "\"../victim/dotdot\": has a \"..\" component" },
  { "breakout-filename-slash-dotdot.tar", NULL, "has a \"..\" component" },
  { "breakout-hardlink-dir-then-hardlink.tar", NULL, "Hardlink \"loophole-victim\"" },
  { "breakout-hardlink-dir-then-replace.tar", NULL, "has a \"..\" component" },
  { "breakout-hardlink-dir-then-symlink.tar", NULL, "has a \"..\" component" },
  { "breakout-hardlink-dir-then-write.tar", NULL, "has a \"..\" component" },
  { "breakout-hardlink-dotdot.tar", NULL, "Hardlink \"dotdot\"" },
  { "breakout-hardlink-slash-dotdot.tar", NULL, "Hardlink \"slash-dotdot\"" },
  { "breakout-symlink-dir-then-hardlink.tar", NULL,
    "goes through \"loophole-victim\", which is a symlink" },
  { "breakout-symlink-dir-then-replace.tar", "loophole-victim", NULL },
  { "breakout-symlink-dir-then-symlink.tar", "loophole-victim symlink", NULL },
  { "breakout-symlink-dir-then-write.tar", NULL,
    "\"loophole-victim/file\": goes through \"loophole-victim\"" },
  { "breakout-symlink-dotdot.tar", "dotdot", NULL },
  { "breakout-symlink-in-path.tar", NULL, "goes through \"dir/loophole\", which is a symlink" },
  { "breakout-symlink-slash-dotdot.tar", "slash-dotdot", NULL },
};

static void
test_breakouts (Fixture *f, gconstpointer data)
{
  /* every breakout case of cases.json is classified here */
  g_autofree char *cases_path = berth_test_fixture ("whiteouts/generated/cases.json");
  json_error_t jerr;
  g_autoptr (json_t) cases = json_load_file (cases_path, 0, &jerr);
  g_assert_nonnull (cases);
  const char *key;
  json_t *value;
  guint n_in_json = 0;
  json_object_foreach (cases, key, value)
  {
    if (!g_str_has_prefix (key, "breakout-"))
      continue;
    n_in_json++;
    gboolean known = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS (breakouts); i++)
      known |= g_str_equal (breakouts[i].name, key);
    if (!known)
      g_error ("fixture %s has no expectation in test-import.c", key);
  }
  g_assert_cmpuint (n_in_json, ==, G_N_ELEMENTS (breakouts));

  g_autofree char *victim = g_build_filename (f->tmpdir, "victim", NULL);
  g_autofree char *hello = g_build_filename (victim, "hello", NULL);
  g_assert_cmpint (mkdir (victim, 0755), ==, 0);
  g_assert_true (g_file_set_contents (hello, "hello", -1, NULL));

  for (gsize i = 0; i < G_N_ELEMENTS (breakouts); i++)
    {
      g_test_message ("case %s", breakouts[i].name);
      g_autoptr (GError) error = NULL;
      g_autofree char *rel = g_build_filename ("whiteouts/generated", breakouts[i].name, NULL);
      g_autoptr (GBytes) bytes = fixture_bytes (rel);
      g_autofree char *digest = digest_of (bytes);
      g_autofree char *commit = import_layer (f->repo, bytes, NULL, NULL, &error);
      if (breakouts[i].tree == NULL)
        {
          g_assert_null (commit);
          g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
          g_assert_true (g_str_has_prefix (error->message, "Importing layer "));
          g_assert_nonnull (strstr (error->message, digest));
          if (strstr (error->message, breakouts[i].needle) == NULL)
            g_error ("%s: \"%s\" not in \"%s\"", breakouts[i].name, breakouts[i].needle,
                     error->message);
        }
      else
        {
          g_assert_no_error (error);
          g_autofree char *tree = tree_of (f->repo, commit);
          g_assert_cmpstr (tree, ==, breakouts[i].tree);
        }
      /* the victim is untouched and nothing was added beside it */
      g_autofree char *contents = NULL;
      g_assert_true (g_file_get_contents (hello, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, "hello");
      g_autoptr (GDir) dir = g_dir_open (victim, 0, NULL);
      g_assert_cmpstr (g_dir_read_name (dir), ==, "hello");
      g_assert_null (g_dir_read_name (dir));
    }

  /* the kept symlinks are byte for byte what the tar said */
  g_autoptr (GBytes) bytes
    = fixture_bytes ("whiteouts/generated/breakout-symlink-slash-dotdot.tar");
  g_autofree char *commit = import_layer (f->repo, bytes, NULL, NULL, NULL);
  g_autoptr (GFileInfo) keep = NULL;
  g_assert_cmpstr (symlink_target_of (f->repo, commit, "slash-dotdot", &keep), ==,
                   "/../victim/hello");
  g_autoptr (GBytes) bytes2
    = fixture_bytes ("whiteouts/generated/breakout-symlink-dir-then-symlink.tar");
  g_autofree char *commit2 = import_layer (f->repo, bytes2, NULL, NULL, NULL);
  g_autoptr (GFileInfo) keep2 = NULL;
  g_assert_cmpstr (symlink_target_of (f->repo, commit2, "symlink", &keep2), ==,
                   "loophole-victim/hello");
  g_autoptr (GFileInfo) keep3 = NULL;
  g_assert_cmpstr (symlink_target_of (f->repo, commit2, "loophole-victim", &keep3), ==,
                   "../victim");
  /* a later regular file replaced the symlink */
  g_autoptr (GBytes) bytes3
    = fixture_bytes ("whiteouts/generated/breakout-symlink-dir-then-replace.tar");
  g_autofree char *commit3 = import_layer (f->repo, bytes3, NULL, NULL, NULL);
  g_autoptr (GFileInfo) info = info_of (f->repo, commit3, "loophole-victim");
  g_assert_cmpint (g_file_info_get_file_type (info), ==, G_FILE_TYPE_REGULAR);

  /* no refs were written by any of this */
  g_autoptr (GHashTable) refs = NULL;
  g_assert_true (ostree_repo_list_refs (f->repo, NULL, &refs, NULL, NULL));
  g_assert_cmpuint (g_hash_table_size (refs), ==, 0);
}

static void
test_hardlink_to_symlink (Fixture *f, gconstpointer data)
{
  BerthImportLayerStats stats;
  g_autofree char *commit
    = import_fixture (f, "whiteouts/generated/hardlink-to-symlink.tar", &stats);
  g_autofree char *tree = tree_of (f->repo, commit);
  g_assert_cmpstr (tree, ==, "regfile symlink1 symlink2");
  g_autofree char *c1 = checksum_of (f->repo, commit, "symlink1");
  g_autofree char *c2 = checksum_of (f->repo, commit, "symlink2");
  g_assert_cmpstr (c1, ==, c2);
  g_autoptr (GFileInfo) keep = NULL;
  g_assert_cmpstr (symlink_target_of (f->repo, commit, "symlink2", &keep), ==, "regfile");
  g_assert_cmpuint (stats.n_hardlinks, ==, 1);
  g_assert_cmpuint (stats.n_symlinks, ==, 1);
  g_assert_cmpuint (stats.n_files, ==, 1);
}

/* ---- whiteouts ---------------------------------------------------------------------------- */

static char *
expected_tree (json_t *cases, const char *name)
{
  json_t *list = json_object_get (json_object_get (cases, name), "expected_tree_after_applying");
  g_assert_true (json_is_array (list));
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  size_t i;
  json_t *item;
  json_array_foreach (list, i, item) g_ptr_array_add (paths, (gpointer)json_string_value (item));
  g_ptr_array_sort (paths, compare_strings);
  g_ptr_array_add (paths, NULL);
  return g_strjoinv (" ", (char **)paths->pdata);
}

static void
test_whiteout_sequence (Fixture *f, gconstpointer data)
{
  g_autofree char *cases_path = berth_test_fixture ("whiteouts/generated/cases.json");
  json_error_t jerr;
  g_autoptr (json_t) cases = json_load_file (cases_path, 0, &jerr);
  g_assert_nonnull (cases);

  const char *commits[5] = { NULL };
  g_autofree char *c0 = NULL, *c1 = NULL, *c2 = NULL, *c3 = NULL;
  char **slots[] = { &c0, &c1, &c2, &c3 };
  for (int k = 0; k < 4; k++)
    {
      g_autofree char *name = g_strdup_printf ("whiteout-seq-layer%d.tar", k);
      g_autofree char *rel = g_build_filename ("whiteouts/generated", name, NULL);
      BerthImportLayerStats stats;
      *slots[k] = import_fixture (f, rel, &stats);
      commits[k] = *slots[k];
      if (k > 0)
        g_assert_cmpuint (stats.n_whiteouts, >, 0);

      /* the layers 0..k merged give the tree containers/storage's test expects */
      g_autofree char *merged = merge (f, commits);
      g_autofree char *tree = tree_of (f->repo, merged);
      g_autofree char *expected = expected_tree (cases, name);
      g_test_message ("after %s: %s", name, tree);
      g_assert_cmpstr (tree, ==, expected);
    }

  /* files 0600 and directories 0700, as the layers said (not the implied 0755) */
  const char *first_three[] = { c0, c1, c2, NULL };
  g_autofree char *m3 = merge (f, first_three);
  g_assert_cmpuint (mode_of (f->repo, m3, "foo"), ==, S_IFDIR | 0700);
  g_assert_cmpuint (mode_of (f->repo, m3, "foo/.bce"), ==, S_IFREG | 0600);
  g_autofree char *merged = merge (f, commits);
  g_assert_cmpuint (mode_of (f->repo, merged, "foobar"), ==, S_IFREG | 0600);

  /* the layer commits keep their whiteouts, for bootc's merge on a later upgrade */
  g_autofree char *tree1 = tree_of (f->repo, c1);
  g_assert_cmpstr (tree1, ==, ".bay .wh.baz foo/ foo/.bce foo/.wh..wh..opq foo/cde/ foo/cde/efg");

  /* the opaque marker in layer 1 hid foo's lower content, not its own foo/.bce or cde/efg */
  const char *first_two[] = { c0, c1, NULL };
  g_autofree char *m2 = merge (f, first_two);
  g_assert_false (path_exists (f->repo, m2, "foo/.abc"));
  g_assert_false (path_exists (f->repo, m2, "foo/cde/def"));
  g_assert_true (path_exists (f->repo, m2, "foo/cde/efg"));
}

/* What bootc does with layer commits it reuses on an upgrade (ostree-ext's
 * write_merge_commit_impl): check them out in order onto one directory, unioning files, with
 * whiteouts processed. The tree must be the merge commit's. Through the ostree program rather
 * than ostree_repo_checkout_at: the same code, but libostree 2022.7 leaks a GVariant for each
 * directory with an opaque whiteout (it breaks out of g_variant_iter_loop), which would fail
 * the sanitizer run of this test. */
static char *
bootc_style_tree (Fixture *f, const char *const *commits)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dest = g_build_filename (f->tmpdir, "bootc-checkout", NULL);
  g_autofree char *repo_arg = g_strconcat ("--repo=", f->tmpdir, "/repo", NULL);
  g_assert_true (berth_spawn_simple (&error, "rm", "-rf", "--", dest, NULL));
  for (const char *const *c = commits; *c != NULL; c++)
    {
      g_assert_true (berth_spawn_simple (&error, "ostree", repo_arg, "checkout", "--user-mode",
                                         "--union", "--whiteouts", *c, dest, NULL));
      g_assert_no_error (error);
    }
  g_autoptr (GFile) root = g_file_new_for_path (dest);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  list_tree (root, "", paths);
  g_ptr_array_sort (paths, compare_strings);
  g_ptr_array_add (paths, NULL);
  g_assert_true (berth_spawn_simple (&error, "rm", "-rf", "--", dest, NULL));
  return g_strjoinv (" ", (char **)paths->pdata);
}

static void
test_bootc_style_merge (Fixture *f, gconstpointer data)
{
  g_autofree char *c0 = import_fixture (f, "whiteouts/generated/whiteout-seq-layer0.tar", NULL);
  g_autofree char *c1 = import_fixture (f, "whiteouts/generated/whiteout-seq-layer1.tar", NULL);
  g_autofree char *c2 = import_fixture (f, "whiteouts/generated/whiteout-seq-layer2.tar", NULL);
  g_autofree char *c3 = import_fixture (f, "whiteouts/generated/whiteout-seq-layer3.tar", NULL);
  g_autofree char *base = import_fixture (f, "whiteouts/ostree-ext-exampleos.tar.zst", NULL);
  g_autofree char *derived
    = import_fixture (f, "whiteouts/generated/kernel-swap-derived-layer.tar", NULL);
  const char *const sequences[][5] = {
    { c0, c1, NULL },
    { c0, c1, c2, NULL },
    { c0, c1, c2, c3, NULL },
    { base, derived, NULL },
    { c0, base, c1, derived, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (sequences); i++)
    {
      g_autofree char *merged = merge (f, sequences[i]);
      g_autofree char *ours = tree_of (f->repo, merged);
      g_autofree char *bootc = bootc_style_tree (f, sequences[i]);
      g_assert_cmpstr (ours, ==, bootc);
    }
}

static void
test_kernel_swap (Fixture *f, gconstpointer data)
{
  BerthImportLayerStats base_stats;
  g_autofree char *base = import_fixture (f, "whiteouts/ostree-ext-exampleos.tar.zst", &base_stats);
  g_assert_cmpstr (base_stats.compression, ==, "zstd");
  g_autofree char *derived
    = import_fixture (f, "whiteouts/generated/kernel-swap-derived-layer.tar", NULL);
  const char *commits[] = { base, derived, NULL };
  g_autofree char *merged = merge (f, commits);

  g_autofree char *modules = tree_of (f->repo, merged);
  g_assert_cmpstr (modules, ==,
                   "usr/ usr/bin/ usr/bin/bash usr/bin/foo usr/bin/hardlink-a usr/bin/hardlink-b "
                   "usr/bin/newderivedfile usr/bin/newderivedfile3 usr/bin/sh usr/lib/ "
                   "usr/lib/modules/ usr/lib/modules/5.12.7-42.x86_64/ "
                   "usr/lib/modules/5.12.7-42.x86_64/vmlinuz");
  g_autofree char *vmlinuz
    = contents_of (f->repo, merged, "usr/lib/modules/5.12.7-42.x86_64/vmlinuz");
  g_assert_cmpstr (vmlinuz, ==, "a new kernel");
  g_autofree char *newfile = contents_of (f->repo, merged, "usr/bin/newderivedfile");
  g_assert_cmpstr (newfile, ==, "newderivedfile v0");
}

static void
test_exampleos (Fixture *f, gconstpointer data)
{
  BerthImportLayerStats stats;
  g_autofree char *commit = import_fixture (f, "whiteouts/ostree-ext-exampleos.tar.zst", &stats);
  /* `./`-prefixed names, a symlink, a hardlink */
  g_autoptr (GFileInfo) keep = NULL;
  g_assert_cmpstr (symlink_target_of (f->repo, commit, "usr/bin/sh", &keep), ==, "bash");
  g_autofree char *a = checksum_of (f->repo, commit, "usr/bin/hardlink-a");
  g_autofree char *b = checksum_of (f->repo, commit, "usr/bin/hardlink-b");
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (mode_of (f->repo, commit, "usr/bin/bash"), ==, S_IFREG | 0755);
  g_assert_cmpuint (stats.n_files, ==, 5);
  g_assert_cmpuint (stats.n_hardlinks, ==, 1);
  g_assert_cmpuint (stats.n_symlinks, ==, 1);
  g_assert_cmpuint (stats.n_dirs, ==, 6);
  g_assert_cmpuint (stats.n_bytes, ==, 7 + 10 + 5 + 4 + 9);
  g_assert_cmpuint (stats.n_blob_bytes, ==, 1052);
  /* the tar has `./`: the root is explicit, no implied directory recorded */
  g_autoptr (GVariant) variant = NULL;
  g_assert_true (ostree_repo_load_commit (f->repo, commit, &variant, NULL, NULL));
  g_autoptr (GVariant) metadata = g_variant_get_child_value (variant, 0);
  g_assert_false (g_variant_lookup (metadata, "berth.layer.implicit-dirs", "^a&s", NULL));
}

static void
test_hlinks (Fixture *f, gconstpointer data)
{
  BerthImportLayerStats stats;
  g_autofree char *commit = import_fixture (f, "whiteouts/ostree-ext-hlinks.tar.gz", &stats);
  g_assert_cmpstr (stats.compression, ==, "gzip");
  g_assert_cmpuint (stats.n_symlinks, ==, 90);
  g_assert_cmpuint (stats.n_hardlinks, ==, 1);
  const char *dir = "usr/lib/python3.10/site-packages/setuptools/_distutils/command/__pycache__/";
  g_autofree char *opt1 = g_strconcat (dir, "register.cpython-310.opt-1.pyc", NULL);
  g_autofree char *plain = g_strconcat (dir, "register.cpython-310.pyc", NULL);
  g_autofree char *c1 = checksum_of (f->repo, commit, opt1);
  g_autofree char *c2 = checksum_of (f->repo, commit, plain);
  g_assert_cmpstr (c1, ==, c2);
  /* deep relative targets kept as they are */
  g_autoptr (GFileInfo) keep = NULL;
  g_assert_cmpstr (symlink_target_of (f->repo, commit,
                                      "usr/lib/.build-id/07/df2452bed9de33815c8ee1926ebe2b95ceb7fc",
                                      &keep),
                   ==, "../../../../usr/sbin/usbguard-daemon");
  /* the owner is jmarrero's numeric ids, whatever they are: not root's */
  g_autoptr (GFileInfo) info = info_of (f->repo, commit, "usr/lib");
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (info, "unix::uid"), !=, 0);
}

static void
test_containers_storage_broken (Fixture *f, gconstpointer data)
{
  /* GNU base-256 uid/gid and USTAR prefix long names: must still be readable */
  BerthImportLayerStats stats;
  g_autofree char *commit = import_fixture (f, "whiteouts/containers-storage-broken.tar", &stats);
  g_assert_cmpuint (stats.n_files, ==, 2);
  g_assert_cmpuint (stats.n_dirs, ==, 8);
  g_autoptr (GFileInfo) meta
    = info_of (f->repo, commit, "root/.cpanm/work/1395823785.24209/File-Find-Rule-0.33/META.yml");
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (meta, "unix::uid"), ==, 831580115);
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (meta, "unix::gid"), ==, 755412454);
  g_assert_cmpint (g_file_info_get_size (meta), ==, 594);
  g_autoptr (GFileInfo) man = info_of (f->repo, commit,
                                       "root/.cpanm/work/1395823785.24209/Plack-1.0030/blib/man3/"
                                       "Plack::Middleware::LighttpdScriptNameFix.3pm");
  g_assert_cmpint (g_file_info_get_size (man), ==, 6149);
  g_assert_cmpuint (mode_of (f->repo, commit, "root"), ==, S_IFDIR | 0700);
}

/* ---- compression and magic ---------------------------------------------------------------- */

static void
test_compression (Fixture *f, gconstpointer data)
{
  const char *fixtures[] = {
    "whiteouts/generated/whiteout-seq-layer0.tar",
    "whiteouts/generated/kernel-swap-derived-layer.tar",
    "whiteouts/generated/hardlink-to-symlink.tar",
    "whiteouts/containers-storage-broken.tar",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (fixtures); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) tar = fixture_bytes (fixtures[i]);
      g_autoptr (GBytes) gz = gzip_bytes (tar);
      g_autoptr (GBytes) zst = zstd_bytes (f->tmpdir, tar);
      BerthImportLayerStats s_tar, s_gz, s_zst;
      /* the tree depends on the content only: the same for the three encodings */
      g_autofree char *c_tar
        = import_layer (f->repo, tar, "application/vnd.oci.image.layer.v1.tar", &s_tar, &error);
      g_autofree char *c_gz
        = import_layer (f->repo, gz, "application/vnd.oci.image.layer.v1.tar+gzip", &s_gz, &error);
      g_autofree char *c_zst = import_layer (
        f->repo, zst, "application/vnd.oci.image.layer.v1.tar+zstd", &s_zst, &error);
      g_assert_no_error (error);
      g_autofree char *r_tar = root_of (f->repo, c_tar);
      g_autofree char *r_gz = root_of (f->repo, c_gz);
      g_autofree char *r_zst = root_of (f->repo, c_zst);
      g_assert_cmpstr (r_tar, ==, r_gz);
      g_assert_cmpstr (r_tar, ==, r_zst);
      g_assert_cmpstr (s_tar.compression, ==, "none");
      g_assert_cmpstr (s_gz.compression, ==, "gzip");
      g_assert_cmpstr (s_zst.compression, ==, "zstd");
      g_assert_cmpuint (s_gz.n_blob_bytes, ==, g_bytes_get_size (gz));
      g_assert_cmpuint (s_zst.n_blob_bytes, ==, g_bytes_get_size (zst));
      g_assert_cmpuint (s_tar.n_files, ==, s_zst.n_files);
    }
}

static void
test_magic_over_media_type (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) tar = fixture_bytes ("whiteouts/generated/kernel-swap-derived-layer.tar");
  g_autoptr (GBytes) gz = gzip_bytes (tar);
  g_autoptr (GBytes) zst = zstd_bytes (f->tmpdir, tar);
  g_autofree char *want_commit = import_layer (f->repo, tar, NULL, NULL, NULL);
  g_autofree char *want = root_of (f->repo, want_commit);

  const struct
  {
    GBytes *bytes;
    const char *media_type;
    const char *compression;
  } lies[] = {
    { zst, "application/vnd.oci.image.layer.v1.tar+gzip", "zstd" },
    { gz, "application/vnd.oci.image.layer.v1.tar+zstd", "gzip" },
    { gz, "application/vnd.oci.image.layer.v1.tar", "gzip" },
    { tar, "application/vnd.docker.image.rootfs.diff.tar.gzip", "none" },
    { zst, NULL, "zstd" },
    { gz, "", "gzip" },
    { tar, NULL, "none" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (lies); i++)
    {
      g_autoptr (GError) error = NULL;
      BerthImportLayerStats stats;
      g_autofree char *commit
        = import_layer (f->repo, lies[i].bytes, lies[i].media_type, &stats, &error);
      g_assert_no_error (error);
      g_autofree char *root = root_of (f->repo, commit);
      g_assert_cmpstr (root, ==, want);
      g_assert_cmpstr (stats.compression, ==, lies[i].compression);
    }

  /* not a tar layer by its media type: refused before reading */
  g_autoptr (GError) error = NULL;
  g_autofree char *config
    = import_layer (f->repo, tar, "application/vnd.oci.image.config.v1+json", NULL, &error);
  g_assert_null (config);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_clear_error (&error);

  /* a compression berth does not take (xz), or no tar at all */
  g_autoptr (GBytes) xz = g_bytes_new_static ("\xfd"
                                              "7zXZ\0\0\0\0\0\0\0",
                                              12);
  g_autofree char *c_xz = import_layer (f->repo, xz, NULL, NULL, &error);
  g_assert_null (c_xz);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_clear_error (&error);
  g_autoptr (GBytes) text = g_bytes_new_static ("hello, this is not a tar archive at all", 39);
  g_autofree char *c_text = import_layer (f->repo, text, NULL, NULL, &error);
  g_assert_null (c_text);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_clear_error (&error);

  /* an empty blob is an empty layer */
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autofree char *c_empty = import_layer (f->repo, empty, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *tree = tree_of (f->repo, c_empty);
  g_assert_cmpstr (tree, ==, "");
}

static GBytes *
join_bytes (GBytes *a, GBytes *b)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gsize la, lb;
  const guint8 *da = g_bytes_get_data (a, &la);
  const guint8 *db = g_bytes_get_data (b, &lb);
  g_byte_array_append (out, da, (guint)la);
  g_byte_array_append (out, db, (guint)lb);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* CRC-32 as gzip computes it (RFC 1952), bit by bit: for the header CRC below. */
static guint32
crc32_of (const guint8 *data, gsize len)
{
  guint32 crc = 0xffffffff;
  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320 & (0u - (crc & 1)));
    }
  return ~crc;
}

/* @gz (one member with a plain 10-byte header, as GLib writes it) with a header that has every
 * optional field (RFC 1952 2.3.1): FEXTRA (a BGZF-style 6-byte subfield), FNAME, FCOMMENT and
 * FHCRC. */
static GBytes *
gzip_header_fields (GBytes *gz)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (gz, &len);
  g_assert_cmpuint (len, >, 18);
  g_assert_cmpuint (data[3], ==, 0);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_byte_array_append (out, data, 10);
  out->data[3] = 0x04 | 0x08 | 0x10 | 0x02; /* FEXTRA FNAME FCOMMENT FHCRC */
  static const guint8 extra[] = { 6, 0, 'B', 'C', 2, 0, 0x12, 0x34 };
  g_byte_array_append (out, extra, sizeof extra);
  g_byte_array_append (out, (const guint8 *)"layer.tar", 10);
  g_byte_array_append (out, (const guint8 *)"a berth test member", 20);
  guint32 crc = crc32_of (out->data, out->len);
  guint8 hcrc[2] = { crc & 0xff, (crc >> 8) & 0xff };
  g_byte_array_append (out, hcrc, 2);
  g_byte_array_append (out, data + 10, (guint)(len - 10));
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* gzip as gzip(1) and libarchive read it: several members in a row are one stream, bytes after
 * the last member are read (to the blob's end, for its digest) and dropped; and any read size. */
static void
test_gzip_shapes (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) tar = fixture_bytes ("whiteouts/generated/kernel-swap-derived-layer.tar");
  g_autofree char *want_commit = import_layer (f->repo, tar, NULL, NULL, NULL);
  g_autofree char *want = root_of (f->repo, want_commit);
  gsize len = g_bytes_get_size (tar);
  g_autoptr (GBytes) first = g_bytes_new_from_bytes (tar, 0, len / 3);
  g_autoptr (GBytes) rest = g_bytes_new_from_bytes (tar, len / 3, len - len / 3);
  g_autoptr (GBytes) gz_first = gzip_bytes (first);
  g_autoptr (GBytes) gz_rest = gzip_bytes (rest);
  g_autoptr (GBytes) members = join_bytes (gz_first, gz_rest);
  g_autoptr (GBytes) gz = gzip_bytes (tar);
  g_autoptr (GBytes) trailing = concat_bytes (gz, 4096);
  /* headers with every optional field, split anywhere when read a byte at a time */
  g_autoptr (GBytes) fields_first = gzip_header_fields (gz_first);
  g_autoptr (GBytes) fields_rest = gzip_header_fields (gz_rest);
  g_autoptr (GBytes) fields = join_bytes (fields_first, fields_rest);
  GBytes *shapes[] = { members, trailing, gz, fields };
  for (gsize i = 0; i < G_N_ELEMENTS (shapes); i++)
    for (int trickle = 0; trickle < 2; trickle++)
      {
        g_autoptr (GError) error = NULL;
        BerthImportLayerStats stats = { 0 };
        g_autofree char *commit
          = import_layer_read_by (f->repo, shapes[i], NULL, trickle ? 1 : 0, &stats, &error);
        g_assert_no_error (error);
        g_autofree char *root = root_of (f->repo, commit);
        g_assert_cmpstr (root, ==, want);
        g_assert_cmpstr (stats.compression, ==, "gzip");
        g_assert_cmpuint (stats.n_blob_bytes, ==, g_bytes_get_size (shapes[i]));
      }

  /* damaged deflate data with a stream that reports nothing itself: gzip's error, named */
  gsize gzlen;
  const void *gzdata = g_bytes_get_data (gz, &gzlen);
  guint8 *bad = g_memdup2 (gzdata, gzlen);
  for (gsize j = 20; j < gzlen - 8; j += 7)
    bad[j] ^= 0x55;
  g_autoptr (GBytes) damaged = g_bytes_new_take (bad, gzlen);
  g_autoptr (GError) error = NULL;
  g_autofree char *c_bad = import_layer (f->repo, damaged, NULL, NULL, &error);
  g_assert_null (c_bad);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_clear_error (&error);

  /* a header CRC that does not match */
  gsize flen;
  const void *fdata = g_bytes_get_data (fields_first, &flen);
  guint8 *badhdr = g_memdup2 (fdata, flen);
  badhdr[10 + 8 + 10 + 20] ^= 0xff;
  g_autoptr (GBytes) badhcrc = g_bytes_new_take (badhdr, flen);
  g_autofree char *c_badhcrc = import_layer (f->repo, badhcrc, NULL, NULL, &error);
  g_assert_null (c_badhcrc);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "CRC-16"));
  g_clear_error (&error);

  /* a member cut short (its deflate data or its trailer), read whole or a byte at a time */
  gsize cuts[] = { gzlen / 2, gzlen - 4, 5 };
  for (gsize i = 0; i < G_N_ELEMENTS (cuts); i++)
    for (int trickle = 0; trickle < 2; trickle++)
      {
        g_autoptr (GBytes) cut = g_bytes_new_from_bytes (gz, 0, cuts[i]);
        BerthImportLayerStats stats = { 0 };
        g_autofree char *c_cut
          = import_layer_read_by (f->repo, cut, NULL, trickle ? 1 : 0, &stats, &error);
        g_assert_null (c_cut);
        g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
        g_assert_nonnull (strstr (error->message, "gzip"));
        g_clear_error (&error);
      }
}

/* ---- failing streams ---------------------------------------------------------------------- */

static void
assert_bad_stream_fails (Fixture *f, GBytes *bytes, const char *media_type)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = digest_of (bytes);
  BerthImportLayerDesc desc = { .digest = digest, .media_type = media_type };
  g_autoptr (GInputStream) stream = bad_eof_stream_new (bytes);
  g_autoptr (BerthImportedLayer) layer
    = berth_import_layer_read (f->repo, &desc, stream, NULL, &error);
  g_assert_null (layer);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
  g_autofree char *want = g_strdup_printf ("Importing layer %s: Blob digest mismatch", digest);
  g_assert_cmpstr (error->message, ==, want);
}

static void
test_digest_mismatch_at_eof (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) tar = fixture_bytes ("whiteouts/generated/kernel-swap-derived-layer.tar");
  /* a megabyte after the tar's end: libarchive stops long before it, the import must not */
  g_autoptr (GBytes) padded = concat_bytes (tar, 1024 * 1024);
  g_autoptr (GBytes) gz = gzip_bytes (padded);
  g_autoptr (GBytes) zst = zstd_bytes (f->tmpdir, padded);
  assert_bad_stream_fails (f, tar, NULL);
  assert_bad_stream_fails (f, padded, NULL);
  assert_bad_stream_fails (f, gz, "application/vnd.oci.image.layer.v1.tar+gzip");
  assert_bad_stream_fails (f, zst, "application/vnd.oci.image.layer.v1.tar+zstd");
  g_autoptr (GBytes) exampleos = fixture_bytes ("whiteouts/ostree-ext-exampleos.tar.zst");
  assert_bad_stream_fails (f, exampleos, NULL);

  /* the same bytes through a good stream are fine, and read to the end */
  BerthImportLayerStats stats;
  g_autofree char *commit = import_layer (f->repo, padded, NULL, &stats, NULL);
  g_assert_nonnull (commit);
  g_assert_cmpuint (stats.n_blob_bytes, ==, g_bytes_get_size (padded));

  /* a truncated blob is an error too */
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) cut = g_bytes_new_from_bytes (tar, 0, 1000);
  g_autofree char *c_cut = import_layer (f->repo, cut, NULL, NULL, &error);
  g_assert_null (c_cut);
  g_assert_nonnull (error);
}

/* ---- entries: types, modes, xattrs, filters ---------------------------------------------- */

static void
test_entry_types (Fixture *f, gconstpointer data)
{
  const TarSpec specs[] = {
    { 'd', "usr/", NULL, 0755 },
    { 'd', "usr/bin/", NULL, 0755 },
    { 'f', "usr/bin/su", "su", 04755 },
    { 'f', "usr/bin/wall", "wall", 02755, 0, 5 },
    { 'f', "usr/bin/ping", "ping", 0755, 0, 0, "security.capability", "\x01\x02\x03" },
    { 'd', "usr/share/", NULL, 0755, 0, 0, "user.dir", "dirvalue" },
    { 'd', "tmp/", NULL, 01777 },
    { 'f', "tmp/junk", "x" },
    { 'd', "run/", NULL, 0755 },
    { 'd', "run/lock/", NULL, 0755 },
    { 'f', "run/lock/x", "x" },
    { 'c', "dev/null" },
    { 'd', "home/" },
    { 'd', "home/user/", NULL, 0700, 1000, 1000 },
    { 'f', "home/user/.profile", "profile", 0644, 1000, 1000 },
    { 'c', "usr/lib/console" },
    { 'b', "usr/lib/loop0" },
    { 'p', "usr/lib/fifo" },
    { 'h', "usr/lib/fifo-link", "usr/lib/fifo" },
    { 'h', "usr/bin/ping6", "usr/bin/ping" },
    { 'l', "usr/bin/vi", "/etc/alternatives/vi" },
    { 'f', "usr/lib/.wh..wh.plnk", "" },
  };
  BerthImportLayerStats stats;
  g_autofree char *commit = import_specs (f, specs, G_N_ELEMENTS (specs), &stats);

  g_assert_cmpuint (mode_of (f->repo, commit, "usr/bin/su"), ==, S_IFREG | 04755);
  g_assert_cmpuint (mode_of (f->repo, commit, "usr/bin/wall"), ==, S_IFREG | 02755);
  g_assert_cmpuint (mode_of (f->repo, commit, "tmp"), ==, S_IFDIR | 01777);
  g_autoptr (GFileInfo) wall = info_of (f->repo, commit, "usr/bin/wall");
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (wall, "unix::gid"), ==, 5);
  g_autoptr (GFileInfo) user = info_of (f->repo, commit, "home/user");
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (user, "unix::uid"), ==, 1000);
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (user, "unix::mode"), ==, S_IFDIR | 0700);

  g_autoptr (GVariant) ping_xattrs = xattrs_of (f->repo, commit, "usr/bin/ping");
  g_autofree char *cap = xattr_value (ping_xattrs, "security.capability");
  g_assert_cmpstr (cap, ==, "\x01\x02\x03");
  g_autoptr (GVariant) dir_xattrs = xattrs_of (f->repo, commit, "usr/share");
  g_autofree char *dirvalue = xattr_value (dir_xattrs, "user.dir");
  g_assert_cmpstr (dirvalue, ==, "dirvalue");
  /* the hardlink shares the content object, xattrs included */
  g_autofree char *c_ping = checksum_of (f->repo, commit, "usr/bin/ping");
  g_autofree char *c_ping6 = checksum_of (f->repo, commit, "usr/bin/ping6");
  g_assert_cmpstr (c_ping, ==, c_ping6);
  g_autoptr (GFileInfo) keep = NULL;
  g_assert_cmpstr (symlink_target_of (f->repo, commit, "usr/bin/vi", &keep), ==,
                   "/etc/alternatives/vi");

  /* run and tmp kept, their children dropped; device nodes, FIFOs and links to them dropped
   * (and a dropped entry implies no parent: no dev/, no usr/lib/) */
  g_autofree char *tree = tree_of (f->repo, commit);
  g_assert_cmpstr (tree, ==,
                   "home/ home/user/ home/user/.profile run/ tmp/ usr/ usr/bin/ usr/bin/ping "
                   "usr/bin/ping6 usr/bin/su usr/bin/vi usr/bin/wall usr/share/");
  g_assert_cmpuint (stats.n_dropped_devices, ==, 2);
  g_assert_cmpuint (stats.n_dropped_special, ==, 1);
  /* tmp/junk, run/lock, run/lock/x, dev/null, the link to the FIFO, the AUFS file */
  g_assert_cmpuint (stats.n_filtered, ==, 6);
  g_assert_cmpuint (stats.n_hardlinks, ==, 1);
  g_assert_cmpuint (stats.n_files, ==, 4);
  g_assert_cmpuint (stats.n_bytes, ==, 2 + 4 + 4 + 7);

  /* the implied directories (here only the root) are recorded */
  g_autoptr (GVariant) variant = NULL;
  g_assert_true (ostree_repo_load_commit (f->repo, commit, &variant, NULL, NULL));
  g_autoptr (GVariant) metadata = g_variant_get_child_value (variant, 0);
  g_autofree const char **implicit = NULL;
  g_assert_true (g_variant_lookup (metadata, "berth.layer.implicit-dirs", "^a&s", &implicit));
  g_autofree char *joined = g_strjoinv (",", (char **)implicit);
  g_assert_cmpstr (joined, ==, "");
  const char *digest = NULL;
  g_assert_true (g_variant_lookup (metadata, "berth.layer.digest", "&s", &digest));
  g_assert_true (g_str_has_prefix (digest, "sha256:"));
}

static void
test_large_files (Fixture *f, gconstpointer data)
{
  /* past the inline size: streamed through an OstreeContentWriter in pieces */
  g_autoptr (GString) big = g_string_new (NULL);
  for (guint i = 0; big->len < 3 * 1024 * 1024 + 17; i++)
    g_string_append_printf (big, "line %u of a file larger than any buffer\n", i);
  g_autofree char *exact = g_strnfill (128 * 1024, 'e'); /* exactly the inline limit */
  g_autofree char *over = g_strnfill (128 * 1024 + 1, 'o');
  const TarSpec specs[] = {
    { 'f', "big", big->str, 0755 },
    { 'f', "exact", exact },
    { 'f', "over", over },
    { 'h', "big-link", "big" },
  };
  BerthImportLayerStats stats;
  g_autofree char *commit = import_specs (f, specs, G_N_ELEMENTS (specs), &stats);
  g_autofree char *got_big = contents_of (f->repo, commit, "big");
  g_assert_cmpstr (got_big, ==, big->str);
  g_autofree char *got_exact = contents_of (f->repo, commit, "exact");
  g_assert_cmpstr (got_exact, ==, exact);
  g_autofree char *got_over = contents_of (f->repo, commit, "over");
  g_assert_cmpstr (got_over, ==, over);
  g_assert_cmpuint (mode_of (f->repo, commit, "big"), ==, S_IFREG | 0755);
  g_autofree char *c_big = checksum_of (f->repo, commit, "big");
  g_autofree char *c_link = checksum_of (f->repo, commit, "big-link");
  g_assert_cmpstr (c_big, ==, c_link);
  g_assert_cmpuint (stats.n_bytes, ==, big->len + 2 * 128 * 1024 + 1);
  g_assert_cmpuint (stats.n_files, ==, 3);

  /* the same content by the inline path and the streamed path is one object */
  g_autoptr (GError) error = NULL;
  g_autofree char *inline_csum = ostree_repo_write_regfile_inline (
    f->repo, NULL, 0, 0, S_IFREG | 0755, NULL, (const guint8 *)big->str, big->len, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (inline_csum, ==, c_big);
}

static void
test_etc_mapping (Fixture *f, gconstpointer data)
{
  const TarSpec specs[] = {
    { 'd', "etc/" },
    { 'f', "etc/os-release", "ID=test\n" },
    { 'h', "etc/os-release-link", "etc/os-release" },
    { 'l', "etc/localtime", "/usr/share/zoneinfo/UTC" },
    { 'f', "/etc/./hostname", "box\n" },
  };
  g_autofree char *commit = import_specs (f, specs, G_N_ELEMENTS (specs), NULL);
  g_autofree char *tree = tree_of (f->repo, commit);
  g_assert_cmpstr (tree, ==,
                   "usr/ usr/etc/ usr/etc/hostname usr/etc/localtime usr/etc/os-release "
                   "usr/etc/os-release-link");

  /* both in one layer */
  const TarSpec both[] = {
    { 'f', "etc/a", "a" },
    { 'f', "usr/etc/b", "b" },
  };
  assert_specs_fail (f, both, G_N_ELEMENTS (both), BERTH_ERROR_UNSUPPORTED_IMAGE,
                     "both /etc and /usr/etc");

  /* and across layers, at the merge */
  const TarSpec usr_etc[] = { { 'f', "usr/etc/b", "b" } };
  g_autofree char *other = import_specs (f, usr_etc, G_N_ELEMENTS (usr_etc), NULL);
  const char *commits[] = { commit, other, NULL };
  BerthImportImage image;
  test_image_init (&image, "oci:/test:latest", "sha256:0000");
  g_autoptr (GError) error = NULL;
  g_autofree char *merged = NULL;
  g_assert_false (berth_import_merge (f->repo, &image, commits, &merged, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
  g_assert_nonnull (strstr (error->message, "has /etc and layer"));
}

static void
test_hostile_entries (Fixture *f, gconstpointer data)
{
  const TarSpec later[] = {
    { 'h', "a", "b" },
    { 'f', "b", "b" },
  };
  assert_specs_fail (f, later, G_N_ELEMENTS (later), BERTH_ERROR_REFUSED,
                     "Path \"a\": a hardlink to \"b\", which is not an earlier entry");
  const TarSpec to_dir[] = {
    { 'd', "d/" },
    { 'h', "x", "d" },
  };
  assert_specs_fail (f, to_dir, G_N_ELEMENTS (to_dir), BERTH_ERROR_REFUSED,
                     "a hardlink to a directory");
  const TarSpec through_file[] = {
    { 'f', "f", "data" },
    { 'f', "f/g", "data" },
  };
  assert_specs_fail (f, through_file, G_N_ELEMENTS (through_file), BERTH_ERROR_REFUSED,
                     "goes through \"f\"");
  const TarSpec link_through_symlink[] = {
    { 'd', "real/" },
    { 'f', "real/file", "x" },
    { 'l', "alias", "real" },
    { 'h', "h", "alias/file" },
  };
  assert_specs_fail (f, link_through_symlink, G_N_ELEMENTS (link_through_symlink),
                     BERTH_ERROR_REFUSED, "goes through \"alias\"");
  const TarSpec bad_whiteout[] = { { 'f', "x/.wh...", "" } };
  assert_specs_fail (f, bad_whiteout, G_N_ELEMENTS (bad_whiteout), BERTH_ERROR_REFUSED,
                     "a whiteout of \"..\"");
  const TarSpec whiteout_dir[] = {
    { 'd', "x/.wh.y/" },
    { 'f', "x/.wh.y/z", "z" },
  };
  assert_specs_fail (f, whiteout_dir, G_N_ELEMENTS (whiteout_dir), BERTH_ERROR_REFUSED,
                     "goes through \"x/.wh.y\"");
  const TarSpec root_file[] = { { 'l', ".", "x" } };
  assert_specs_fail (f, root_file, G_N_ELEMENTS (root_file), BERTH_ERROR_REFUSED,
                     "would replace the root directory");
  const TarSpec dotdot_symlink_dir[] = {
    { 'l', "usr", "/" },
    { 'f', "usr/x", "x" },
  };
  assert_specs_fail (f, dotdot_symlink_dir, G_N_ELEMENTS (dotdot_symlink_dir), BERTH_ERROR_REFUSED,
                     "which is a symlink or a file in this layer");

  /* a later entry of the same path replaces the earlier one, whatever the types */
  const TarSpec replace[] = {
    { 'd', "a/" }, { 'f', "a/x", "x" }, { 'f', "a", "file now" },  { 'f', "b", "file" },
    { 'd', "b/" }, { 'f', "b/y", "y" }, { 'l', "c", "somewhere" }, { 'f', "c", "regular" },
  };
  g_autofree char *commit = import_specs (f, replace, G_N_ELEMENTS (replace), NULL);
  g_autofree char *tree = tree_of (f->repo, commit);
  g_assert_cmpstr (tree, ==, "a b/ b/y c");
}

/* A tar of one file named @raw_name (bytes, not converted), in @format. */
static GBytes *
tar_with_name (int format, const char *raw_name)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (BerthArchiveWrite) a = archive_write_new ();
  g_assert_cmpint (archive_write_set_format (a, format), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_open (a, out, NULL, tar_write_cb, NULL), ==, ARCHIVE_OK);
  g_autoptr (BerthArchiveEntry) e = archive_entry_new ();
  archive_entry_copy_pathname (e, raw_name);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0644);
  archive_entry_set_size (e, 1);
  g_assert_cmpint (archive_write_header (a, e), >=, ARCHIVE_WARN);
  g_assert_cmpint (archive_write_data (a, "x", 1), ==, 1);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static void
names_charset_in_locale (Fixture *f)
{
  /* UTF-8 names in ustar and GNU headers (bytes, no charset of their own) and in PAX headers
   * (UTF-8 by definition) arrive as they are: ostree stores UTF-8. */
  const int formats[]
    = { ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED };
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) tar = tar_with_name (formats[i], "caf\xc3\xa9/\xe4\xb8\xad");
      g_autofree char *commit = import_layer (f->repo, tar, NULL, NULL, &error);
      g_assert_no_error (error);
      g_autofree char *tree = tree_of (f->repo, commit);
      g_assert_cmpstr (tree, ==, "caf\xc3\xa9/ caf\xc3\xa9/\xe4\xb8\xad");
    }
  /* a Latin-1 name cannot be stored: refused, and the message shows it escaped */
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) latin1 = tar_with_name (ARCHIVE_FORMAT_TAR_GNUTAR, "caf\xe9\x1b[31m");
  g_autofree char *commit = import_layer (f->repo, latin1, NULL, NULL, &error);
  g_assert_null (commit);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "\"caf\\351\\033[31m\": not valid UTF-8"));
}

static void
test_names_charset (Fixture *f, gconstpointer data)
{
  /* libarchive converts names to the locale's charset: the result must not depend on it (an
   * initramfs runs in C, a shell usually in a UTF-8 locale) */
  const char *locales[] = { "C", "C.UTF-8" };
  g_autofree char *saved = g_strdup (setlocale (LC_ALL, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (locales); i++)
    {
      if (setlocale (LC_ALL, locales[i]) == NULL)
        {
          g_test_message ("no locale %s here", locales[i]);
          continue;
        }
      names_charset_in_locale (f);
    }
  setlocale (LC_ALL, saved);
}

/* ---- the merge ---------------------------------------------------------------------------- */

static void
test_merge_replaces_types (Fixture *f, gconstpointer data)
{
  const TarSpec lower[] = {
    { 'd', "a/" },    { 'f', "a/x", "x" },    { 'f', "b", "b" }, { 'l', "c", "/elsewhere" },
    { 'd', "keep/" }, { 'f', "keep/k", "k" },
  };
  const TarSpec upper[] = {
    { 'f', "a", "a is a file" },  { 'd', "b/" },
    { 'f', "b/y", "y" },          { 'd', "c/" },
    { 'f', "c/z", "z" },          { 'f', "keep/.wh.k", "" },
    { 'f', "keep/k", "k again" }, /* deleted below, added back by the same layer */
  };
  g_autofree char *l = import_specs (f, lower, G_N_ELEMENTS (lower), NULL);
  g_autofree char *u = import_specs (f, upper, G_N_ELEMENTS (upper), NULL);
  const char *commits[] = { l, u, NULL };
  g_autofree char *merged = merge (f, commits);
  g_autofree char *tree = tree_of (f->repo, merged);
  g_assert_cmpstr (tree, ==, "a b/ b/y c/ c/z keep/ keep/k");
  g_autofree char *k = contents_of (f->repo, merged, "keep/k");
  g_assert_cmpstr (k, ==, "k again");
}

static void
test_merge_directory_attributes (Fixture *f, gconstpointer data)
{
  const TarSpec base[] = {
    { 'd', "./", NULL, 0750, 0, 0 },
    { 'd', "d/", NULL, 0700, 5, 6 },
    { 'f', "d/a", "a" },
  };
  /* only implies d (and the root): d keeps the base layer's attributes */
  const TarSpec child_only[] = { { 'f', "d/b", "b" } };
  /* says d again, with new attributes: they win */
  const TarSpec explicit[] = { { 'd', "d/", NULL, 0711, 7, 8 } };
  g_autofree char *c_base = import_specs (f, base, G_N_ELEMENTS (base), NULL);
  g_autofree char *c_child = import_specs (f, child_only, G_N_ELEMENTS (child_only), NULL);
  g_autofree char *c_explicit = import_specs (f, explicit, G_N_ELEMENTS (explicit), NULL);

  const char *two[] = { c_base, c_child, NULL };
  g_autofree char *m2 = merge (f, two);
  g_autoptr (GFileInfo) d2 = info_of (f->repo, m2, "d");
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (d2, "unix::mode"), ==, S_IFDIR | 0700);
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (d2, "unix::uid"), ==, 5);
  g_assert_cmpuint (mode_of (f->repo, m2, ""), ==, S_IFDIR | 0750);
  g_autofree char *tree = tree_of (f->repo, m2);
  g_assert_cmpstr (tree, ==, "d/ d/a d/b");

  const char *three[] = { c_base, c_child, c_explicit, NULL };
  g_autofree char *m3 = merge (f, three);
  g_autoptr (GFileInfo) d3 = info_of (f->repo, m3, "d");
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (d3, "unix::mode"), ==, S_IFDIR | 0711);
  g_assert_cmpuint (g_file_info_get_attribute_uint32 (d3, "unix::gid"), ==, 8);
  g_assert_cmpuint (mode_of (f->repo, m3, ""), ==, S_IFDIR | 0750);

  /* a single layer merges to its own tree, by checksum */
  const char *one[] = { c_base, NULL };
  g_autofree char *m1 = merge (f, one);
  g_autoptr (GFile) r1 = NULL, rb = NULL;
  g_assert_true (ostree_repo_read_commit (f->repo, m1, &r1, NULL, NULL, NULL));
  g_assert_true (ostree_repo_read_commit (f->repo, c_base, &rb, NULL, NULL, NULL));
  g_assert_cmpstr (ostree_repo_file_tree_get_contents_checksum (OSTREE_REPO_FILE (r1)), ==,
                   ostree_repo_file_tree_get_contents_checksum (OSTREE_REPO_FILE (rb)));
}

static void
test_merge_metadata (Fixture *f, gconstpointer data)
{
  g_autofree char *layer = import_fixture (f, "whiteouts/ostree-ext-exampleos.tar.zst", NULL);
  BerthImportImage image;
  test_image_init (&image, "docker://quay.io/x/y:tag", "sha256:feed");
  const char *commits[] = { layer, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *merged = NULL;
  g_assert_true (berth_import_merge (f->repo, &image, commits, &merged, NULL, &error));
  g_autoptr (GVariant) variant = NULL;
  g_assert_true (ostree_repo_load_commit (f->repo, merged, &variant, NULL, &error));
  g_autoptr (GVariant) metadata = g_variant_get_child_value (variant, 0);
  /* ostree-ext reads these three with lookup::<String>: they must be strings */
  const char *s = NULL;
  g_assert_true (g_variant_lookup (metadata, "ostree.manifest-digest", "&s", &s));
  g_assert_cmpstr (s, ==, "sha256:feed");
  g_assert_true (g_variant_lookup (metadata, "ostree.manifest", "&s", &s));
  g_assert_cmpstr (s, ==, image.manifest_json);
  g_assert_true (g_variant_lookup (metadata, "ostree.container.image-config", "&s", &s));
  g_assert_cmpstr (s, ==, image.config_json);
  /* timestamp from `created` */
  g_assert_cmpuint (ostree_commit_get_timestamp (variant), ==, 1714564800);
  /* no parent: a plain image has no base commit */
  g_autofree char *parent = ostree_commit_get_parent (variant);
  g_assert_null (parent);

  g_autofree char *current = NULL;
  g_assert_true (berth_import_image_is_current (f->repo, image.image_ref, "sha256:feed", &current,
                                                NULL, &error));
  g_assert_null (current); /* no image ref yet */
}

/* ---- the whole image ---------------------------------------------------------------------- */

typedef struct
{
  GHashTable *blobs; /* digest -> GBytes */
  const char *bad_digest;
  gint n_opened;
  guint n_reused, n_imported, n_merged; /* progress events */
} Registry;

static GInputStream *
open_layer (const BerthImportLayerDesc *layer, gpointer user_data, GCancellable *cancellable,
            GError **error)
{
  Registry *reg = user_data;
  g_atomic_int_inc (&reg->n_opened);
  GBytes *bytes = g_hash_table_lookup (reg->blobs, layer->digest);
  if (bytes == NULL)
    {
      berth_throw (error, BERTH_ERROR_NOT_FOUND, "No blob %s", layer->digest);
      return NULL;
    }
  if (g_strcmp0 (layer->digest, reg->bad_digest) == 0)
    return bad_eof_stream_new (bytes);
  return g_memory_input_stream_new_from_bytes (bytes);
}

typedef struct
{
  Registry reg;
  GPtrArray *digests;
  BerthImportLayerDesc layers[8];
  guint n_layers;
} TestImage;

static void
test_image_clear (TestImage *t)
{
  g_clear_pointer (&t->reg.blobs, g_hash_table_unref);
  g_clear_pointer (&t->digests, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestImage, test_image_clear)

static void
test_image_add (TestImage *t, GBytes *bytes, const char *media_type)
{
  if (t->reg.blobs == NULL)
    {
      t->reg.blobs
        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
      t->digests = g_ptr_array_new_with_free_func (g_free);
    }
  char *digest = digest_of (bytes);
  g_ptr_array_add (t->digests, digest);
  g_hash_table_replace (t->reg.blobs, g_strdup (digest), g_bytes_ref (bytes));
  t->layers[t->n_layers++] = (BerthImportLayerDesc){
    .digest = digest,
    .media_type = media_type,
    .size = g_bytes_get_size (bytes),
  };
}

static void
test_image_add_fixture (TestImage *t, const char *relpath)
{
  g_autoptr (GBytes) bytes = fixture_bytes (relpath);
  test_image_add (t, bytes, NULL);
}

static void
seq_image (TestImage *t)
{
  for (int k = 0; k < 4; k++)
    {
      g_autofree char *rel = g_strdup_printf ("whiteouts/generated/whiteout-seq-layer%d.tar", k);
      test_image_add_fixture (t, rel);
    }
}

static guint
n_refs (OstreeRepo *repo)
{
  g_autoptr (GHashTable) refs = NULL;
  g_assert_true (ostree_repo_list_refs (repo, NULL, &refs, NULL, NULL));
  return g_hash_table_size (refs);
}

static void
test_import_image (Fixture *f, gconstpointer data)
{
  g_auto (TestImage) t = { 0 };
  seq_image (&t);
  BerthImportImage image;
  test_image_init (&image, "oci:/images:seq", "sha256:1111");
  BerthImportOptions options = { .open_layer = open_layer, .user_data = &t.reg, .n_workers = 3 };

  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImportResult) result = NULL;
  g_assert_true (
    berth_import_image (f->repo, &image, t.layers, t.n_layers, &options, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (result->already_current);
  g_assert_cmpint (t.reg.n_opened, ==, 4);
  g_assert_cmpuint (result->n_layers, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_false (result->layer_reused[i]);
      g_assert_nonnull (result->layer_commits[i]);
      g_autofree char *has = NULL;
      g_assert_true (berth_import_has_layer (f->repo, t.layers[i].digest, &has, NULL, &error));
      g_assert_cmpstr (has, ==, result->layer_commits[i]);
    }
  g_assert_cmpuint (result->layer_stats[0].n_files, ==, 9);
  g_autofree char *tree = tree_of (f->repo, result->merge_commit);
  g_assert_cmpstr (tree, ==, ".abc foobar");
  /* 4 blob refs and the image ref */
  g_assert_cmpuint (n_refs (f->repo), ==, 5);
  g_autofree char *image_ref = berth_ref_for_image (image.image_ref, &error);
  g_autofree char *rev = NULL;
  g_assert_true (ostree_repo_resolve_rev (f->repo, image_ref, FALSE, &rev, &error));
  g_assert_cmpstr (rev, ==, result->merge_commit);

  /* the same image again: nothing opened, nothing written */
  g_autoptr (BerthImportResult) again = NULL;
  g_assert_true (
    berth_import_image (f->repo, &image, t.layers, t.n_layers, &options, &again, NULL, &error));
  g_assert_true (again->already_current);
  g_assert_cmpstr (again->merge_commit, ==, result->merge_commit);
  g_assert_cmpint (t.reg.n_opened, ==, 4);
  g_assert_cmpstr (again->layer_commits[3], ==, result->layer_commits[3]);

  /* a new manifest with the same layers: only a new merge */
  BerthImportImage retagged;
  test_image_init (&retagged, "oci:/images:seq", "sha256:2222");
  g_autoptr (BerthImportResult) remerged = NULL;
  g_assert_true (berth_import_image (f->repo, &retagged, t.layers, t.n_layers, &options, &remerged,
                                     NULL, &error));
  g_assert_false (remerged->already_current);
  g_assert_cmpint (t.reg.n_opened, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_true (remerged->layer_reused[i]);
  g_assert_cmpstr (remerged->merge_commit, !=, result->merge_commit);
  g_autofree char *is_current = NULL;
  g_assert_true (berth_import_image_is_current (f->repo, "oci:/images:seq", "sha256:2222",
                                                &is_current, NULL, &error));
  g_assert_cmpstr (is_current, ==, remerged->merge_commit);

  /* one more layer on top: only it is fetched */
  g_autoptr (GBytes) extra = fixture_bytes ("whiteouts/generated/hardlink-to-symlink.tar");
  g_autoptr (GBytes) extra_gz = gzip_bytes (extra);
  test_image_add (&t, extra_gz, "application/vnd.oci.image.layer.v1.tar+gzip");
  BerthImportImage grown;
  test_image_init (&grown, "oci:/images:seq", "sha256:3333");
  g_autoptr (BerthImportResult) grown_result = NULL;
  g_assert_true (berth_import_image (f->repo, &grown, t.layers, t.n_layers, &options, &grown_result,
                                     NULL, &error));
  g_assert_cmpint (t.reg.n_opened, ==, 5);
  g_assert_false (grown_result->layer_reused[4]);
  g_assert_cmpstr (grown_result->layer_stats[4].compression, ==, "gzip");
  g_autofree char *tree5 = tree_of (f->repo, grown_result->merge_commit);
  g_assert_cmpstr (tree5, ==, ".abc foobar regfile symlink1 symlink2");
}

static void
progress_count (BerthImportEvent event, int index, const BerthImportLayerStats *stats,
                gpointer user_data)
{
  Registry *reg = user_data;
  switch (event)
    {
    case BERTH_IMPORT_EVENT_LAYER_REUSED:
      reg->n_reused++;
      g_assert_null (stats);
      g_assert_cmpint (index, >=, 0);
      break;
    case BERTH_IMPORT_EVENT_LAYER_IMPORTED:
      reg->n_imported++;
      g_assert_nonnull (stats);
      g_assert_cmpint (index, >=, 0);
      break;
    case BERTH_IMPORT_EVENT_MERGED:
      reg->n_merged++;
      g_assert_null (stats);
      g_assert_cmpint (index, ==, -1);
      break;
    }
}

static void
test_import_image_progress_and_duplicates (Fixture *f, gconstpointer data)
{
  g_auto (TestImage) t = { 0 };
  seq_image (&t);
  /* a manifest may list one blob twice: it is fetched once */
  t.layers[t.n_layers++] = t.layers[0];
  BerthImportImage image;
  test_image_init (&image, "oci:/images:dup", "sha256:4444");
  BerthImportOptions options
    = { .open_layer = open_layer, .progress = progress_count, .user_data = &t.reg };

  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImportResult) result = NULL;
  g_assert_true (
    berth_import_image (f->repo, &image, t.layers, t.n_layers, &options, &result, NULL, &error));
  g_assert_cmpint (t.reg.n_opened, ==, 4);
  g_assert_cmpuint (t.reg.n_imported, ==, 4);
  g_assert_cmpuint (t.reg.n_reused, ==, 0);
  g_assert_cmpuint (t.reg.n_merged, ==, 1);
  g_assert_cmpstr (result->layer_commits[4], ==, result->layer_commits[0]);
  g_assert_true (result->layer_reused[4]);
  /* layer 0 again on top of layer 3's opaque root: its files are back */
  g_autofree char *tree = tree_of (f->repo, result->merge_commit);
  g_assert_true (g_str_has_prefix (tree, ".abc .baz bar/"));

  /* a second image sharing two layers: those are reused, not fetched */
  g_auto (TestImage) second = { 0 };
  test_image_add_fixture (&second, "whiteouts/generated/whiteout-seq-layer0.tar");
  test_image_add_fixture (&second, "whiteouts/generated/whiteout-seq-layer1.tar");
  test_image_add_fixture (&second, "whiteouts/generated/kernel-swap-derived-layer.tar");
  BerthImportImage image2;
  test_image_init (&image2, "oci:/images:second", "sha256:5555");
  BerthImportOptions options2
    = { .open_layer = open_layer, .progress = progress_count, .user_data = &second.reg };
  g_autoptr (BerthImportResult) result2 = NULL;
  g_assert_true (berth_import_image (f->repo, &image2, second.layers, second.n_layers, &options2,
                                     &result2, NULL, &error));
  g_assert_cmpint (second.reg.n_opened, ==, 1);
  g_assert_cmpuint (second.reg.n_reused, ==, 2);
  g_assert_cmpuint (second.reg.n_imported, ==, 1);
  g_assert_true (result2->layer_reused[0]);
  g_assert_true (result2->layer_reused[1]);
  g_assert_false (result2->layer_reused[2]);
  g_assert_cmpuint (result2->layer_stats[2].n_files, ==, 3);
  /* both images' refs: 5 blobs, 2 images */
  g_assert_cmpuint (n_refs (f->repo), ==, 7);
}

static void
test_import_image_bad_blob (Fixture *f, gconstpointer data)
{
  g_auto (TestImage) t = { 0 };
  seq_image (&t);
  t.reg.bad_digest = t.layers[2].digest;
  BerthImportImage image;
  test_image_init (&image, "oci:/images:bad", "sha256:6666");
  for (guint workers = 1; workers <= 4; workers += 3)
    {
      BerthImportOptions options
        = { .open_layer = open_layer, .user_data = &t.reg, .n_workers = workers };
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthImportResult) result = NULL;
      g_assert_false (berth_import_image (f->repo, &image, t.layers, t.n_layers, &options, &result,
                                          NULL, &error));
      g_assert_null (result);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
      g_assert_nonnull (strstr (error->message, t.layers[2].digest));
      /* no ref at all: not the bad blob's, not the good blobs', not the image's */
      g_assert_cmpuint (n_refs (f->repo), ==, 0);
      g_clear_error (&error);
      g_autofree char *commit = NULL;
      g_assert_true (berth_import_has_layer (f->repo, t.layers[2].digest, &commit, NULL, &error));
      g_assert_null (commit);
    }

  /* a missing blob fails the same way, naming it */
  g_auto (TestImage) missing = { 0 };
  seq_image (&missing);
  g_hash_table_remove (missing.reg.blobs, missing.layers[1].digest);
  BerthImportOptions options = { .open_layer = open_layer, .user_data = &missing.reg };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImportResult) result = NULL;
  g_assert_false (berth_import_image (f->repo, &image, missing.layers, missing.n_layers, &options,
                                      &result, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, "Fetching layer sha256:"));
  g_assert_cmpuint (n_refs (f->repo), ==, 0);

  /* and then the good image goes through in the same repo */
  t.reg.bad_digest = NULL;
  BerthImportOptions good = { .open_layer = open_layer, .user_data = &t.reg };
  g_clear_error (&error);
  g_autoptr (BerthImportResult) ok = NULL;
  g_assert_true (
    berth_import_image (f->repo, &image, t.layers, t.n_layers, &good, &ok, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_refs (f->repo), ==, 5);
}

static void
test_import_image_cancelled (Fixture *f, gconstpointer data)
{
  g_auto (TestImage) t = { 0 };
  seq_image (&t);
  BerthImportImage image;
  test_image_init (&image, "oci:/images:cancel", "sha256:7777");
  BerthImportOptions options = { .open_layer = open_layer, .user_data = &t.reg };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_cancellable_cancel (cancellable);
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImportResult) result = NULL;
  g_assert_false (berth_import_image (f->repo, &image, t.layers, t.n_layers, &options, &result,
                                      cancellable, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (berth_error_code_of (error), ==, BERTH_ERROR_CANCELLED);
  g_assert_cmpuint (n_refs (f->repo), ==, 0);
}

/* A plain tar handed to the ostree-object reader: its files are not objects, and nothing
 * of it is written as one. */
static void
test_ostree_layer_of_plain_tar (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) tar = fixture_bytes ("whiteouts/generated/kernel-swap-derived-layer.tar");
  const BerthImportLayerKind kinds[]
    = { BERTH_IMPORT_LAYER_OSTREE_COMMIT, BERTH_IMPORT_LAYER_OSTREE_OBJECTS };
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      BerthImportLayerDesc desc = { .digest = "sha256:00", .kind = kinds[i] };
      g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes (tar);
      g_autoptr (BerthImportedLayer) layer
        = berth_import_layer_read (f->repo, &desc, stream, NULL, &error);
      g_assert_null (layer);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
      g_assert_true (g_str_has_prefix (error->message, "Importing layer sha256:00: Path \""));
      g_assert_nonnull (strstr (error->message, "outside the ostree repository"));
      g_clear_error (&error);
    }
  g_assert_cmpuint (n_refs (f->repo), ==, 0);
}

/* ---- ostree-ext's tar format v0 ------------------------------------------------------------ */

/* The checksum of a content object (a regular file of root's, mode 0644) with @xattrs. */
static char *
content_checksum (const char *data, GVariant *xattrs)
{
  g_autoptr (GFileInfo) info = g_file_info_new ();
  g_file_info_set_file_type (info, G_FILE_TYPE_REGULAR);
  g_file_info_set_size (info, strlen (data));
  g_file_info_set_attribute_uint32 (info, "unix::uid", 0);
  g_file_info_set_attribute_uint32 (info, "unix::gid", 0);
  g_file_info_set_attribute_uint32 (info, "unix::mode", S_IFREG | 0644);
  g_autoptr (GInputStream) in = g_memory_input_stream_new_from_data (data, strlen (data), NULL);
  g_autofree guchar *csum = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (ostree_checksum_file_from_input (info, xattrs, in, OSTREE_OBJECT_TYPE_FILE, &csum,
                                                  NULL, &error));
  g_assert_no_error (error);
  return ostree_checksum_from_bytes (csum);
}

static char *
object_path_v0 (const char *checksum, const char *suffix)
{
  return g_strdup_printf ("sysroot/ostree/repo/objects/%.2s/%s.%s", checksum, checksum + 2, suffix);
}

static GError *
read_ostree_specs (Fixture *f, const TarSpec *specs, gsize n)
{
  GError *error = NULL;
  g_autoptr (GBytes) tar = make_tar (specs, n);
  g_autofree char *digest = digest_of (tar);
  BerthImportLayerDesc desc = { .digest = digest, .kind = BERTH_IMPORT_LAYER_OSTREE_OBJECTS };
  g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes (tar);
  g_autoptr (BerthImportedLayer) layer
    = berth_import_layer_read (f->repo, &desc, stream, NULL, &error);
  g_assert_true ((layer == NULL) == (error != NULL));
  if (error != NULL)
    g_assert_nonnull (strstr (error->message, digest));
  return error;
}

static void
assert_ostree_specs_fail (Fixture *f, const TarSpec *specs, gsize n, int code, const char *needle)
{
  g_test_message ("expecting \"%s\"", needle);
  g_autoptr (GError) error = read_ostree_specs (f, specs, n);
  g_assert_nonnull (error);
  if (!g_error_matches (error, BERTH_ERROR, code) || strstr (error->message, needle) == NULL)
    g_error ("code %d, \"%s\" expected; got code %d: %s", code, needle, error->code,
             error->message);
}

/* Format v0's xattrs (ostree-ext before 0.9), in a chunk layer: an xattrs/SHA256 entry, a
 * hardlink REST.file.xattrs to it, then the .file, which gets those xattrs; a .file without a
 * link has none; v1's form in the same layer too. The checksums are libostree's, so a file
 * given other xattrs would be refused. Every hostile form is refused, naming the entry. */
static void
test_ostree_v0_xattrs (Fixture *f, gconstpointer data)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ayay)"));
  g_variant_builder_add (&b, "(@ay@ay)", g_variant_new_bytestring ("user.berth"),
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "1", 1, 1));
  g_autoptr (GVariant) xattrs = g_variant_ref_sink (g_variant_builder_end (&b));
  gsize xlen = g_variant_get_size (xattrs);
  const char *xbytes = g_variant_get_data (xattrs);
  g_autofree char *xsum
    = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)xbytes, xlen);
  g_autofree char *xpath = g_strconcat ("sysroot/ostree/repo/xattrs/", xsum, NULL);
  g_autofree char *labelled = content_checksum ("labelled\n", xattrs);
  g_autofree char *plain = content_checksum ("plain\n", NULL);
  g_autofree char *labelled_obj = object_path_v0 (labelled, "file");
  g_autofree char *labelled_ref = object_path_v0 (labelled, "file.xattrs");
  g_autofree char *plain_obj = object_path_v0 (plain, "file");
  g_autofree char *plain_ref = object_path_v0 (plain, "file.xattrs");
  /* v1's form of the same xattrs, for another file, in the same layer */
  g_autofree char *mixed = content_checksum ("mixed\n", xattrs);
  g_autofree char *mixed_obj = object_path_v0 (mixed, "file");
  g_autofree char *mixed_link = object_path_v0 (mixed, "file-xattrs-link");
  g_autofree char *v1_xattrs = object_path_v0 (xsum, "file-xattrs");

  const TarSpec good[] = {
    { 'd', "./", NULL, 0755 },
    { 'd', "sysroot/" },
    { 'd', "sysroot/ostree/repo/xattrs/" },
    { 'f', "sysroot/config", "[core]\nrepo_version=1\nmode=bare-split-xattrs\n" },
    { 'f', xpath, xbytes, 0644, 0, 0, NULL, NULL, xlen },
    { 'h', labelled_ref, xpath },
    { 'f', labelled_obj, "labelled\n" },
    { 'h', "usr/share/labelled", labelled_obj },
    { 'f', plain_obj, "plain\n" },
    { 'h', "./usr/share/plain", plain_obj },
    { 'f', v1_xattrs, xbytes, 0644, 0, 0, NULL, NULL, xlen },
    { 'h', mixed_link, v1_xattrs },
    { 'f', mixed_obj, "mixed\n" },
  };
  g_autoptr (GError) error = read_ostree_specs (f, good, G_N_ELEMENTS (good));
  g_assert_no_error (error);
  const struct
  {
    const char *checksum;
    gsize n_xattrs;
  } written[] = { { labelled, 1 }, { plain, 0 }, { mixed, 1 } };
  for (gsize i = 0; i < G_N_ELEMENTS (written); i++)
    {
      g_autoptr (GVariant) got = NULL;
      g_assert_true (
        ostree_repo_load_file (f->repo, written[i].checksum, NULL, NULL, &got, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (got != NULL ? g_variant_n_children (got) : 0, ==, written[i].n_xattrs);
      if (written[i].n_xattrs > 0)
        g_assert_true (g_variant_equal (got, xattrs));
    }

  /* hostile: each a chunk of its own */
  g_autofree char *big = g_malloc (1024 * 1024 + 2);
  memset (big, 'a', 1024 * 1024 + 1);
  big[1024 * 1024 + 1] = '\0';
  const char not_normal[] = "\x01\x02\x03";
  g_autofree char *not_normal_sum
    = g_compute_checksum_for_string (G_CHECKSUM_SHA256, not_normal, -1);
  g_autofree char *not_normal_path
    = g_strconcat ("sysroot/ostree/repo/xattrs/", not_normal_sum, NULL);
  g_autofree char *xpath_dir = g_strconcat (xpath, "/", NULL);
  const TarSpec not_link[] = { { 'f', labelled_ref, "x" } };
  const TarSpec empty_not_link[] = { { 'f', labelled_ref, "" } };
  const TarSpec unheld[] = { { 'h', labelled_ref, xpath } };
  const TarSpec link_first[] = {
    { 'h', labelled_ref, xpath },
    { 'f', xpath, xbytes, 0644, 0, 0, NULL, NULL, xlen },
  };
  const TarSpec to_object[] = {
    { 'f', plain_obj, "plain\n" },
    { 'h', plain_ref, plain_obj },
  };
  const TarSpec to_v1[] = {
    { 'f', v1_xattrs, xbytes, 0644, 0, 0, NULL, NULL, xlen },
    { 'h', labelled_ref, v1_xattrs },
  };
  const TarSpec outside[] = { { 'h', labelled_ref, "../../../etc/shadow" } };
  const TarSpec mismatch[] = { { 'f', xpath, "\x01\x02", 0644, 0, 0, NULL, NULL, 2 } };
  const TarSpec too_big[] = { { 'f', xpath, big } };
  const TarSpec bad_gvariant[] = { { 'f', not_normal_path, not_normal } };
  const TarSpec as_dir[] = { { 'd', xpath_dir } };
  const TarSpec as_symlink[] = { { 'l', xpath, "elsewhere" } };
  const TarSpec as_hardlink[] = { { 'h', xpath, plain_obj } };
  const TarSpec short_name[] = { { 'f', "sysroot/ostree/repo/xattrs/abc", "" } };
  const TarSpec config_dir[] = { { 'd', "sysroot/config/" } };
  const struct
  {
    const TarSpec *specs;
    gsize n;
    int code;
    const char *needle;
  } refused[] = {
#define CASE(specs, code, needle) { specs, G_N_ELEMENTS (specs), code, needle }
    CASE (not_link, BERTH_ERROR_REFUSED, "a v0 .file.xattrs that is not a hardlink"),
    CASE (empty_not_link, BERTH_ERROR_REFUSED, "a v0 .file.xattrs that is not a hardlink"),
    CASE (unheld, BERTH_ERROR_REFUSED, "which this layer has not held before"),
    CASE (link_first, BERTH_ERROR_REFUSED, "which this layer has not held before"),
    CASE (to_object, BERTH_ERROR_REFUSED, "is not a sysroot/ostree/repo/xattrs/ entry"),
    CASE (to_v1, BERTH_ERROR_REFUSED, "is not a sysroot/ostree/repo/xattrs/ entry"),
    CASE (outside, BERTH_ERROR_REFUSED, "\"..\""),
    CASE (mismatch, BERTH_ERROR_DIGEST_MISMATCH, "does not match the checksum its name gives"),
    CASE (too_big, BERTH_ERROR_REFUSED, "1048577 bytes, more than the 1048576"),
    CASE (bad_gvariant, BERTH_ERROR_REFUSED, "not a normal-form a(ayay)"),
    CASE (as_dir, BERTH_ERROR_REFUSED, "a v0 xattrs entry that is not a regular file"),
    CASE (as_symlink, BERTH_ERROR_REFUSED, "a v0 xattrs entry that is not a regular file"),
    CASE (as_hardlink, BERTH_ERROR_REFUSED, "a v0 xattrs entry that is not a regular file"),
    CASE (short_name, BERTH_ERROR_REFUSED, "not 64 lower-case hex digits after xattrs/"),
    CASE (config_dir, BERTH_ERROR_REFUSED, "the repository config is not a regular file"),
#undef CASE
  };
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    assert_ostree_specs_fail (f, refused[i].specs, refused[i].n, refused[i].code,
                              refused[i].needle);
  /* the entry is named */
  g_autoptr (GError) named = read_ostree_specs (f, mismatch, G_N_ELEMENTS (mismatch));
  g_assert_nonnull (strstr (named->message, xsum));
  g_autoptr (GError) named_ref = read_ostree_specs (f, not_link, G_N_ELEMENTS (not_link));
  g_assert_nonnull (strstr (named_ref->message, labelled_ref));
}

/* The same image imported with 1 worker and with 4 gives the same commits. */
static void
test_parallel_matches_serial (Fixture *f, gconstpointer data)
{
  g_auto (TestImage) t = { 0 };
  seq_image (&t);
  test_image_add_fixture (&t, "whiteouts/ostree-ext-exampleos.tar.zst");
  test_image_add_fixture (&t, "whiteouts/ostree-ext-hlinks.tar.gz");
  test_image_add_fixture (&t, "whiteouts/containers-storage-broken.tar");
  test_image_add_fixture (&t, "whiteouts/generated/kernel-swap-derived-layer.tar");
  BerthImportImage image;
  test_image_init (&image, "oci:/images:par", "sha256:9999");

  g_autofree char *other_path = g_build_filename (f->tmpdir, "repo-serial", NULL);
  g_autoptr (OstreeRepo) other = make_repo (other_path, ostree_repo_get_mode (f->repo));
  BerthImportOptions serial = { .open_layer = open_layer, .user_data = &t.reg, .n_workers = 1 };
  BerthImportOptions parallel = { .open_layer = open_layer, .user_data = &t.reg, .n_workers = 4 };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImportResult) a = NULL, b = NULL;
  g_assert_true (
    berth_import_image (other, &image, t.layers, t.n_layers, &serial, &a, NULL, &error));
  g_assert_true (
    berth_import_image (f->repo, &image, t.layers, t.n_layers, &parallel, &b, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (a->merge_commit, ==, b->merge_commit);
  for (guint i = 0; i < t.n_layers; i++)
    g_assert_cmpstr (a->layer_commits[i], ==, b->layer_commits[i]);
  g_assert_true (path_exists (f->repo, b->merge_commit, "usr/lib/.build-id"));
  g_assert_true (path_exists (f->repo, b->merge_commit, "usr/lib/modules/5.12.7-42.x86_64"));
  g_assert_false (path_exists (f->repo, b->merge_commit, "usr/lib/modules/5.10.18-200.x86_64"));
  g_assert_true (path_exists (f->repo, b->merge_commit, "foobar"));
}

/* ---- reading files back ------------------------------------------------------------------ */

static void
test_read_file (Fixture *f, gconstpointer data)
{
  const TarSpec specs[] = {
    { 'd', "etc/" },
    { 'f', "etc/os-release", "ID=test\n" },
    { 'l', "etc/alias", "/usr/lib/real" },
    { 'l', "etc/up", "../../../../usr/lib/real" },
    { 'l', "etc/loop", "loop" },
    { 'l', "etc/dangling", "nowhere" },
    { 'd', "usr/lib/bootc/kargs.d/" },
    { 'f', "usr/lib/bootc/kargs.d/20-b.toml", "kargs = [\"b\"]\n" },
    { 'f', "usr/lib/bootc/kargs.d/10-a.toml", "kargs = [\"a\"]\n" },
    { 'f', "usr/lib/real", "real contents" },
    { 'l', "lib", "usr/lib" },
  };
  g_autofree char *layer = import_specs (f, specs, G_N_ELEMENTS (specs), NULL);
  const char *commits[] = { layer, NULL };
  g_autofree char *merged = merge (f, commits);

  const struct
  {
    const char *path, *contents;
  } ok[] = {
    { "etc/os-release", "ID=test\n" },
    { "/usr/etc/os-release", "ID=test\n" },
    { "etc/alias", "real contents" },
    { "etc/up", "real contents" },
    { "lib/real", "real contents" },
    { "lib/../lib/./real", "real contents" },
    { "usr/lib/bootc/kargs.d/10-a.toml", "kargs = [\"a\"]\n" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) bytes = NULL;
      g_assert_true (
        berth_import_read_file (f->repo, merged, ok[i].path, 4096, &bytes, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), ok[i].contents,
                       strlen (ok[i].contents));
    }

  const struct
  {
    const char *path;
    gsize max;
    int code;
  } bad[] = {
    { "etc/missing", 4096, BERTH_ERROR_NOT_FOUND },
    { "etc/dangling", 4096, BERTH_ERROR_NOT_FOUND },
    { "etc/os-release", 3, BERTH_ERROR_TOO_LARGE },
    { "etc/loop", 4096, BERTH_ERROR_FAILED },
    { "usr/lib", 4096, BERTH_ERROR_FAILED },
    { "usr/lib/real/x", 4096, BERTH_ERROR_NOT_FOUND },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) bytes = NULL;
      g_assert_false (
        berth_import_read_file (f->repo, merged, bad[i].path, bad[i].max, &bytes, NULL, &error));
      g_assert_error (error, BERTH_ERROR, bad[i].code);
      g_assert_nonnull (strstr (error->message, bad[i].path));
      g_assert_null (bytes);
    }

  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;
  g_assert_true (
    berth_import_list_dir (f->repo, merged, "usr/lib/bootc/kargs.d", &names, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *joined = g_strjoinv (" ", names);
  g_assert_cmpstr (joined, ==, "10-a.toml 20-b.toml");
  g_auto (GStrv) none = NULL;
  g_assert_false (
    berth_import_list_dir (f->repo, merged, "usr/lib/bootc/install", &none, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
}

/* ostree-format layer paths: exactly objects/XX/ + 62 hex + a known suffix, the repo's own
 * directories and files, nothing else (ostree-ext's tar format, v0 and v1). */
static void
test_ostree_path (void)
{
  const char *hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  static const struct
  {
    const char *suffix;
    OstreeObjectType type;
  } objects[] = {
    { "commit", OSTREE_OBJECT_TYPE_COMMIT },
    { "commitmeta", OSTREE_OBJECT_TYPE_COMMIT_META },
    { "dirtree", OSTREE_OBJECT_TYPE_DIR_TREE },
    { "dirmeta", OSTREE_OBJECT_TYPE_DIR_META },
    { "file", OSTREE_OBJECT_TYPE_FILE },
    { "file-xattrs", OSTREE_OBJECT_TYPE_FILE_XATTRS },
    { "file-xattrs-link", OSTREE_OBJECT_TYPE_FILE_XATTRS_LINK },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (objects); i++)
    {
      /* v0 writes "./sysroot/...", v1 "sysroot/...": the same after normalising */
      const char *prefixes[] = { "", "./", "/" };
      for (gsize j = 0; j < G_N_ELEMENTS (prefixes); j++)
        {
          g_autofree char *raw = g_strdup_printf ("%ssysroot/ostree/repo/objects/%.2s/%s.%s",
                                                  prefixes[j], hex, hex + 2, objects[i].suffix);
          g_autofree char *path = NULL;
          g_autoptr (GError) error = NULL;
          g_assert_true (berth_import_path_normalize (raw, &path, &error));
          BerthOstreePath parsed;
          g_assert_true (berth_import_ostree_path_parse (path, &parsed, &error));
          g_assert_no_error (error);
          g_assert_cmpint (parsed.entry_class, ==, BERTH_OSTREE_ENTRY_OBJECT);
          g_assert_cmpint (parsed.object_type, ==, objects[i].type);
          g_assert_cmpstr (parsed.checksum, ==, hex);
          g_autofree char *back
            = berth_import_ostree_object_path (parsed.checksum, parsed.object_type);
          g_assert_cmpstr (back, ==, path);
        }
    }

  static const struct
  {
    const char *path;
    BerthOstreeEntryClass entry_class;
  } others[] = {
    { "sysroot", BERTH_OSTREE_ENTRY_DIR },
    { "sysroot/ostree", BERTH_OSTREE_ENTRY_DIR },
    { "sysroot/ostree/repo", BERTH_OSTREE_ENTRY_DIR },
    { "sysroot/ostree/repo/objects", BERTH_OSTREE_ENTRY_DIR },
    { "sysroot/ostree/repo/objects/0a", BERTH_OSTREE_ENTRY_DIR },
    { "sysroot/ostree/repo/xattrs", BERTH_OSTREE_ENTRY_DIR },
    { "sysroot/ostree/repo/config", BERTH_OSTREE_ENTRY_CONFIG },
    { "sysroot/ostree/repo/refs/heads", BERTH_OSTREE_ENTRY_REPO_OTHER },
    { "sysroot/ostree/repo/tmp/cache", BERTH_OSTREE_ENTRY_REPO_OTHER },
    { "sysroot/ostree/deploy", BERTH_OSTREE_ENTRY_REPO_OTHER },
    { "sysroot/ostree/repo/config/x", BERTH_OSTREE_ENTRY_REPO_OTHER },
    { "", BERTH_OSTREE_ENTRY_TREE },
    { "usr/bin/sh", BERTH_OSTREE_ENTRY_TREE },
    { "var/tmp", BERTH_OSTREE_ENTRY_TREE },
    { "sysrootx/y", BERTH_OSTREE_ENTRY_TREE },
    /* format v0: the repo config beside the repo, the xattrs by their SHA-256, the
     * per-object hardlink to them, named after the content object */
    { "sysroot/config", BERTH_OSTREE_ENTRY_CONFIG },
    { "sysroot/config/x", BERTH_OSTREE_ENTRY_REPO_OTHER },
    { "sysroot/ostree/repo/xattrs/"
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      BERTH_OSTREE_ENTRY_XATTRS },
    { "sysroot/ostree/repo/objects/01/"
      "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.file.xattrs",
      BERTH_OSTREE_ENTRY_XATTRS_REF },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
    {
      BerthOstreePath parsed;
      g_autoptr (GError) error = NULL;
      g_assert_true (berth_import_ostree_path_parse (others[i].path, &parsed, &error));
      g_assert_cmpint (parsed.entry_class, ==, others[i].entry_class);
      gboolean named = others[i].entry_class == BERTH_OSTREE_ENTRY_XATTRS
                       || others[i].entry_class == BERTH_OSTREE_ENTRY_XATTRS_REF;
      g_assert_cmpstr (parsed.checksum, ==, named ? hex : "");
    }

  /* v0 names as a v0 exporter writes them: `./` only on long tree paths (and the root), never
   * on the repo's; normalising takes it off either way */
  const char *v0_ok[] = {
    "./sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.file.xattrs",
    "./sysroot/ostree/repo/xattrs/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "./sysroot/config",
    "/sysroot/ostree/repo/xattrs/",
  };
  const BerthOstreeEntryClass v0_classes[] = {
    BERTH_OSTREE_ENTRY_XATTRS_REF,
    BERTH_OSTREE_ENTRY_XATTRS,
    BERTH_OSTREE_ENTRY_CONFIG,
    BERTH_OSTREE_ENTRY_DIR,
  };
  for (gsize i = 0; i < G_N_ELEMENTS (v0_ok); i++)
    {
      g_autofree char *path = NULL;
      g_autoptr (GError) error = NULL;
      g_assert_true (berth_import_path_normalize (v0_ok[i], &path, &error));
      BerthOstreePath parsed;
      g_assert_true (berth_import_ostree_path_parse (path, &parsed, &error));
      g_assert_no_error (error);
      g_assert_cmpint (parsed.entry_class, ==, v0_classes[i]);
      g_assert_cmpstr (berth_ostree_entry_class_to_string (parsed.entry_class), !=, "unknown");
    }

  const char *refused[] = {
    "sysroot/ostree/repo/objects/0",
    "sysroot/ostree/repo/objects/0g",
    "sysroot/ostree/repo/objects/0A",
    "sysroot/ostree/repo/objects/012",
    /* 61 and 63 hex digits */
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcde.file",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0.file",
    /* upper case, unknown and repo-local suffixes, no suffix, a subdirectory */
    "sysroot/ostree/repo/objects/01/"
    "23456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.file",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.filez",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.payload-link",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.commit-tombstone",
    "sysroot/ostree/repo/objects/01/23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.file/x",
    "sysroot/ostree/repo/objects/01/x/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.file",
    "sysroot/ostree/repo/xattrs/0123",
    "sysroot/ostree/repo/xattrs/x/y",
    "sysroot/ostree/repo/objects/xx",
    /* format v0: xattrs/ + 63 or 65 hex digits, upper case, a component more, a `..` */
    "sysroot/ostree/repo/xattrs/123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "sysroot/ostree/repo/xattrs/"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
    "sysroot/ostree/repo/xattrs/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
    "sysroot/ostree/repo/xattrs/"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/x",
    "sysroot/ostree/repo/xattrs/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde/",
    "sysroot/ostree/repo/xattrs/../x",
    "sysroot/ostree/repo/xattrs/..",
    /* .file.xattrs after 61 or 63 hex digits, in upper case, with a component more, on
     * another object type, in an xattrs/ directory */
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcde.file.xattrs",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0.file.xattrs",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.FILE.xattrs",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.file.xattrs/x",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.dirtree.xattrs",
    "sysroot/ostree/repo/objects/01/"
    "23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.file.xattrs.x",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      BerthOstreePath parsed;
      g_autoptr (GError) error = NULL;
      g_assert_false (berth_import_ostree_path_parse (refused[i], &parsed, &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
      g_assert_true (g_str_has_prefix (error->message, "Path \""));
      g_assert_nonnull (strstr (error->message, "62 hex digits"));
    }
}

/* Remote files for ostree-remote-* installs: every way to be unusable is refused with the
 * remote, the file and the fix named, before any key is looked at (the root test
 * install-ostree-remote.sh loads real keys). */
static void
test_ostree_remote_refusals (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-remote-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *keydir = g_build_filename (dir, "empty", NULL);
  g_assert_cmpint (mkdir (keydir, 0755), ==, 0);
  static const struct
  {
    const char *name; /* a file in dir, NULL: none (the host's remotes.d is dir) */
    const char *contents;
    const char *want[3];
  } cases[] = {
    { NULL, NULL, { "this machine has no ", "/r.conf: pass --ostree-remote-config FILE" } },
    { "missing.conf", NULL, { "Ostree remote \"r\": cannot read ", "missing.conf" } },
    { "garbage.conf", "not a keyfile", { "is not an ostree remote file" } },
    { "other.conf",
      "[remote \"a\"]\nurl=https://a/\n[remote \"b\"]\nurl=https://b/\n",
      { "has no [remote \"r\"] section (it has only [remote \"a\"], [remote \"b\"])",
        "give --ostree-remote-config a file with a [remote \"r\"] section" } },
    { "none.conf", "[core]\nx=1\n", { "no [remote \"...\"] section at all" } },
    { "noverify.conf",
      "[remote \"r\"]\ngpg-verify=false\ngpgkeypath=/k\n",
      { "says gpg-verify=false", "set gpg-verify=true" } },
    { "nokeys.conf", "[remote \"r\"]\nurl=https://r/\n", { "has no gpgkeypath=" } },
    { "blank.conf", "[remote \"r\"]\ngpgkeypath= ; ,\n", { "names no file" } },
    /* relative: to the remote file's directory */
    { "relative.conf",
      "[remote \"r\"]\ngpgkeypath=keys/k.gpg\n",
      { "/keys/k.gpg, which berth cannot read", "No such file" } },
    { "emptydir.conf", "[remote \"r\"]\ngpgkeypath=empty\n", { "is a directory without files" } },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = cases[i].name ? g_build_filename (dir, cases[i].name, NULL) : NULL;
      if (cases[i].contents != NULL)
        {
          g_file_set_contents (path, cases[i].contents, -1, &error);
          g_assert_no_error (error);
        }
      g_autoptr (BerthOstreeRemote) remote
        = berth_ostree_remote_load ("r", path, dir, NULL, &error);
      g_assert_null (remote);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      if (path != NULL)
        g_assert_nonnull (strstr (error->message, path));
      for (gsize j = 0; j < G_N_ELEMENTS (cases[i].want) && cases[i].want[j] != NULL; j++)
        if (strstr (error->message, cases[i].want[j]) == NULL)
          g_error ("case %s: \"%s\" not in: %s", cases[i].name ? cases[i].name : "host",
                   cases[i].want[j], error->message);
      g_clear_error (&error);
    }
  g_autofree char *group = berth_ostree_remote_group ("fedora");
  g_assert_cmpstr (group, ==, "remote \"fedora\"");
  g_autoptr (GError) rm_error = NULL;
  g_assert_true (berth_spawn_simple (&rm_error, "rm", "-rf", "--", dir, NULL));
}

/* ---- after an upgrade: the layers no image uses -------------------------------------------- */

static char *
manifest_json (const char *const *layer_hex)
{
  g_autoptr (GString) s = g_string_new (
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":"
    "\"sha256:c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0\",\"size\":2},"
    "\"layers\":[");
  for (gsize i = 0; layer_hex[i] != NULL; i++)
    g_string_append_printf (s,
                            "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                            "\"digest\":\"sha256:%s\",\"size\":1}",
                            i ? "," : "", layer_hex[i]);
  g_string_append (s, "]}");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
hex64 (char c)
{
  return g_strnfill (64, c);
}

static void
test_unused_layer_refs (void)
{
  g_autofree char *a = hex64 ('a'), *b = hex64 ('b'), *c = hex64 ('c'), *d = hex64 ('d');
  const char *old_layers[] = { a, b, NULL }; /* the image before the upgrade */
  const char *new_layers[] = { c, b, NULL }; /* after it: b shared */
  const char *other_layers[] = { d, NULL };  /* another image ref */
  g_autofree char *m_new = manifest_json (new_layers);
  g_autofree char *m_other = manifest_json (other_layers);
  g_autofree char *m_old = manifest_json (old_layers);
  g_autoptr (GError) error = NULL;
  g_autofree char *ref_a = berth_ref_for_blob (
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &error);
  g_assert_no_error (error);
  g_autofree char *ref_b = g_strdup_printf ("ostree/container/blob/sha256_3A_%s", b);
  g_autofree char *ref_c = g_strdup_printf ("ostree/container/blob/sha256_3A_%s", c);
  g_autofree char *ref_d = g_strdup_printf ("ostree/container/blob/sha256_3A_%s", d);
  g_autofree char *ref_e = g_strdup_printf ("ostree/container/blob/sha256_3A_%s", "e");
  g_assert_cmpstr (ref_a, ==,
                   "ostree/container/blob/"
                   "sha256_3A_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  /* unsorted on purpose: the result is sorted */
  const char *blob_refs[] = { ref_d, ref_e, ref_c, ref_b, ref_a, NULL };

  /* after the upgrade: the new image and another one; a (old only) and e (no image) go */
  {
    const char *manifests[] = { m_new, m_other, NULL };
    g_auto (GStrv) unused = NULL;
    g_assert_true (berth_import_unused_layer_refs (blob_refs, manifests, &unused, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (g_strv_length (unused), ==, 2);
    g_assert_cmpstr (unused[0], ==, ref_a);
    g_assert_cmpstr (unused[1], ==, ref_e);
  }
  /* every image still there: only the ref no manifest names */
  {
    const char *manifests[] = { m_old, m_new, m_other, NULL };
    g_auto (GStrv) unused = NULL;
    g_assert_true (berth_import_unused_layer_refs (blob_refs, manifests, &unused, &error));
    g_assert_cmpuint (g_strv_length (unused), ==, 1);
    g_assert_cmpstr (unused[0], ==, ref_e);
  }
  /* no image at all: every blob ref is unused; no blob refs: nothing */
  {
    g_auto (GStrv) unused = NULL;
    g_assert_true (berth_import_unused_layer_refs (blob_refs, NULL, &unused, &error));
    g_assert_cmpuint (g_strv_length (unused), ==, 5);
    g_auto (GStrv) none = NULL;
    const char *manifests[] = { m_new, NULL };
    g_assert_true (berth_import_unused_layer_refs (NULL, manifests, &none, &error));
    g_assert_cmpuint (g_strv_length (none), ==, 0);
  }
  /* a manifest that does not parse: no answer, so nothing is removed */
  {
    const char *manifests[] = { m_new, "{\"schemaVersion\":2", NULL };
    g_auto (GStrv) unused = NULL;
    g_assert_false (berth_import_unused_layer_refs (blob_refs, manifests, &unused, &error));
    g_assert_nonnull (error);
    g_assert_null (unused);
    g_clear_error (&error);
  }
}

/* ---- paths inside an installed system ---------------------------------------------------- */

static void
test_path_in_root (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("berth-root-XXXXXX", &error);
  g_assert_no_error (error);
  /* root/etc/pki/berth/k.gpg, and links to it of every kind */
  g_autofree char *pki = g_build_filename (root, "etc/pki/berth", NULL);
  g_assert_cmpint (g_mkdir_with_parents (pki, 0755), ==, 0);
  g_autofree char *usr = g_build_filename (root, "usr/share", NULL);
  g_assert_cmpint (g_mkdir_with_parents (usr, 0755), ==, 0);
  g_autofree char *key = g_build_filename (pki, "k.gpg", NULL);
  g_file_set_contents (key, "k", -1, &error);
  g_assert_no_error (error);
  static const struct
  {
    const char *link; /* below root */
    const char *target;
  } links[] = {
    { "etc/pki/berth/abs.gpg", "/etc/pki/berth/k.gpg" }, /* absolute: from the root */
    { "etc/pki/berth/rel.gpg", "k.gpg" },                /* relative: from its directory */
    { "usr/share/keys", "../../etc/pki/berth" },         /* a directory */
    { "etc/pki/berth/up.gpg", "../../../../../etc/pki/berth/k.gpg" }, /* .. stops at the root */
    { "etc/host", "/etc" },                                           /* never the host's /etc */
    { "etc/loop", "/etc/loop" },                                      /* a loop */
  };
  for (gsize i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *l = g_build_filename (root, links[i].link, NULL);
      g_assert_cmpint (symlink (links[i].target, l), ==, 0);
    }
  static const struct
  {
    const char *path;
    const char *want; /* below root */
  } cases[] = {
    { "/etc/pki/berth/k.gpg", "/etc/pki/berth/k.gpg" },
    { "etc/pki/berth/k.gpg", "/etc/pki/berth/k.gpg" },
    { "/etc/pki/berth/abs.gpg", "/etc/pki/berth/k.gpg" },
    { "/etc/pki/berth/rel.gpg", "/etc/pki/berth/k.gpg" },
    { "/usr/share/keys/k.gpg", "/etc/pki/berth/k.gpg" },
    /* .. after a link: from where the link led (as the kernel resolves it) */
    { "/usr/share/keys/../berth/abs.gpg", "/etc/pki/berth/k.gpg" },
    { "/etc/pki/berth/up.gpg", "/etc/pki/berth/k.gpg" },
    { "/../../etc/./pki//berth/k.gpg", "/etc/pki/berth/k.gpg" },
    { "/etc/host/passwd", "/etc/passwd" },
    /* missing: the rest stays a name */
    { "/etc/ostree/remotes.d/r.conf", "/etc/ostree/remotes.d/r.conf" },
    { "/", "" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = NULL;
      g_assert_true (berth_import_path_in_root (root, cases[i].path, &got, &error));
      g_assert_no_error (error);
      g_autofree char *want = g_strconcat (root, cases[i].want, NULL);
      if (!g_str_equal (got, want))
        g_error ("%s: got %s, expected %s", cases[i].path, got, want);
    }
  /* ".." after a directory that does not exist fails, as in the kernel: taken lexically, the
   * link etc/host (to /etc) would be followed unchecked, out of the root */
  static const char *const unresolvable[]
    = { "/etc/pki/nothere/../x.gpg", "/etc/nothere/../host/passwd" };
  for (gsize i = 0; i < G_N_ELEMENTS (unresolvable); i++)
    {
      g_autofree char *none = NULL;
      g_assert_false (berth_import_path_in_root (root, unresolvable[i], &none, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "nothere"));
      g_assert_null (none);
      g_clear_error (&error);
    }
  g_autofree char *got = NULL;
  g_assert_false (berth_import_path_in_root (root, "/etc/loop/k", &got, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "symbolic links"));
  g_assert_null (got);
  g_clear_error (&error);
  g_autoptr (GError) rm_error = NULL;
  g_assert_true (berth_spawn_simple (&rm_error, "rm", "-rf", "--", root, NULL));
}

/* The remote of an installed system, for its upgrades: every way for it to be unusable is
 * refused with the remote, the file as the system names it and the fix; host files never
 * count (the root test upgrade.sh verifies with real keys). */
static void
test_ostree_remote_installed_refusals (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("berth-installed-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *deploy = g_build_filename (dir, "deploy", NULL);
  g_autofree char *remotes_d = g_build_filename (deploy, "etc/ostree/remotes.d", NULL);
  g_assert_cmpint (g_mkdir_with_parents (remotes_d, 0755), ==, 0);
  g_autofree char *repo_path = g_build_filename (dir, "repo", NULL);
  g_autoptr (GFile) repo_file = g_file_new_for_path (repo_path);
  g_autoptr (OstreeRepo) repo = ostree_repo_new (repo_file);
  ostree_repo_create (repo, OSTREE_REPO_MODE_ARCHIVE, NULL, &error);
  g_assert_no_error (error);

  static const struct
  {
    const char *file; /* in the deployment's remotes.d; NULL: none */
    const char *contents;
    const char *repo_group; /* added to the repo's config */
    const char *want[3];
  } cases[] = {
    { NULL,
      NULL,
      NULL,
      { "ostree remote \"r\", but it does not define that remote",
        "no [remote \"r\"] in its /etc/ostree/remotes.d/*.conf nor in /ostree/repo/config",
        "/etc/ostree/remotes.d/r.conf needs a [remote \"r\"] section" } },
    { "other.conf", "[remote \"a\"]\nurl=https://a/\n", NULL, { "does not define that remote" } },
    { "r.conf",
      "[remote \"r\"]\ngpg-verify=false\n",
      NULL,
      { "Ostree remote \"r\" in /etc/ostree/remotes.d/r.conf says gpg-verify=false" } },
    { "r.conf",
      "[remote \"r\"]\nurl=https://r/\n",
      NULL,
      { "Ostree remote \"r\" in /etc/ostree/remotes.d/r.conf has no key",
        "no gpgkeypath= and no keyring /ostree/repo/r.trustedkeys.gpg" } },
    /* an absolute gpgkeypath is the deployment's, never this machine's file of that name */
    { "r.conf",
      "[remote \"r\"]\ngpgkeypath=/etc/hostname\n",
      NULL,
      { "its gpgkeypath names /etc/hostname, which berth cannot read" } },
    { "vendor.conf",
      "[remote \"r\"]\ngpgkeypath=/usr/share/keys/\n",
      NULL,
      { "in /etc/ostree/remotes.d/vendor.conf: its gpgkeypath names /usr/share/keys/" } },
    { "r.conf",
      "[remote \"r\"]\nurl=https://r/\n",
      "remote \"r\"",
      { "defined twice on the installed system, in /etc/ostree/remotes.d/r.conf and in "
        "/ostree/repo/config",
        "Multiple specifications found for remote" } },
    { NULL, NULL, "remote \"r\"", { "Ostree remote \"r\" in /ostree/repo/config has no key" } },
    { "junk.conf",
      "not a keyfile",
      NULL,
      { "The installed system's /etc/ostree/remotes.d/junk.conf is not an ostree remote file" } },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path
        = cases[i].file ? g_build_filename (remotes_d, cases[i].file, NULL) : NULL;
      if (path != NULL)
        {
          g_file_set_contents (path, cases[i].contents, -1, &error);
          g_assert_no_error (error);
        }
      g_autoptr (GKeyFile) config = ostree_repo_copy_config (repo);
      if (cases[i].repo_group != NULL)
        g_key_file_set_string (config, cases[i].repo_group, "url", "https://repo/");
      ostree_repo_write_config (repo, config, &error);
      g_assert_no_error (error);
      g_autoptr (BerthOstreeRemote) remote
        = berth_ostree_remote_load_installed ("r", deploy, repo, NULL, &error);
      g_assert_null (remote);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      for (gsize j = 0; j < G_N_ELEMENTS (cases[i].want) && cases[i].want[j] != NULL; j++)
        if (strstr (error->message, cases[i].want[j]) == NULL)
          g_error ("case %zu: \"%s\" not in: %s", i, cases[i].want[j], error->message);
      g_clear_error (&error);
      if (path != NULL)
        g_assert_cmpint (unlink (path), ==, 0);
      if (cases[i].repo_group != NULL)
        {
          g_key_file_remove_group (config, cases[i].repo_group, NULL);
          ostree_repo_write_config (repo, config, &error);
          g_assert_no_error (error);
        }
    }
  g_autoptr (GError) rm_error = NULL;
  g_assert_true (berth_spawn_simple (&rm_error, "rm", "-rf", "--", dir, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/import/path/normalize", test_path_normalize);
  g_test_add_func ("/import/path/map", test_path_map);
  g_test_add_func ("/import/ostree-path", test_ostree_path);
  g_test_add_func ("/import/ref-escape", test_ref_escape);
  g_test_add_func ("/import/ostree-remote/refusals", test_ostree_remote_refusals);
  g_test_add_func ("/import/ostree-remote/installed-refusals",
                   test_ostree_remote_installed_refusals);
  g_test_add_func ("/import/path-in-root", test_path_in_root);
  g_test_add_func ("/import/prune/unused-layer-refs", test_unused_layer_refs);
  ADD_TEST_MODES ("/import/fixtures/breakouts", test_breakouts);
  ADD_TEST ("/import/fixtures/hardlink-to-symlink", test_hardlink_to_symlink);
  ADD_TEST_MODES ("/import/fixtures/whiteout-sequence", test_whiteout_sequence);
  ADD_TEST ("/import/fixtures/kernel-swap", test_kernel_swap);
  ADD_TEST ("/import/fixtures/bootc-style-merge", test_bootc_style_merge);
  ADD_TEST_MODES ("/import/fixtures/exampleos", test_exampleos);
  ADD_TEST_MODES ("/import/fixtures/hlinks", test_hlinks);
  ADD_TEST_MODES ("/import/fixtures/containers-storage-broken", test_containers_storage_broken);
  ADD_TEST_MODES ("/import/compression", test_compression);
  ADD_TEST_MODES ("/import/gzip-shapes", test_gzip_shapes);
  ADD_TEST ("/import/magic-over-media-type", test_magic_over_media_type);
  ADD_TEST_MODES ("/import/digest-mismatch-at-eof", test_digest_mismatch_at_eof);
  ADD_TEST_MODES ("/import/entry-types", test_entry_types);
  ADD_TEST_MODES ("/import/large-files", test_large_files);
  ADD_TEST ("/import/etc-mapping", test_etc_mapping);
  ADD_TEST ("/import/hostile-entries", test_hostile_entries);
  ADD_TEST_MODES ("/import/names-charset", test_names_charset);
  ADD_TEST ("/import/merge/replaces-types", test_merge_replaces_types);
  ADD_TEST ("/import/merge/directory-attributes", test_merge_directory_attributes);
  ADD_TEST ("/import/merge/metadata", test_merge_metadata);
  ADD_TEST_MODES ("/import/image/import-and-reimport", test_import_image);
  ADD_TEST ("/import/image/duplicates", test_import_image_progress_and_duplicates);
  ADD_TEST ("/import/image/bad-blob", test_import_image_bad_blob);
  ADD_TEST ("/import/image/cancelled", test_import_image_cancelled);
  ADD_TEST ("/import/ostree/plain-tar-refused", test_ostree_layer_of_plain_tar);
  ADD_TEST_MODES ("/import/ostree/v0-xattrs", test_ostree_v0_xattrs);
  ADD_TEST_MODES ("/import/image/parallel-matches-serial", test_parallel_matches_serial);
  ADD_TEST_MODES ("/import/read-file", test_read_file);
  return g_test_run ();
}
