/* Fuzz target: tar entry paths (installer/import/import-path.c), then the whole layer reader
 * (decompressor, tar reader, path rules, the layer's tree, its commit and a merge) on the same
 * bytes as a layer blob, into an archive-mode repository in a temporary directory; and the
 * ostree-format reader on them too.
 *
 * Checked besides "no crash, no leak": a normalised path has no empty, `.` or `..` component
 * and no leading or trailing `/`, normalising it again changes nothing, the derived-layer
 * mapping only ever prefixes `usr/` or filters an API filesystem's child, quoted paths are
 * printable ASCII, an ostree-format object path (and format v0's xattrs names) round-trips, and
 * every import error is in berth's domain and names the layer. */
#include "import/import-private.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          g_printerr ("fuzz-tar-path: check failed: %s (line %d)\n", #cond, __LINE__);             \
          abort ();                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* Paths are at most 4 KiB; a layer of a few hundred KiB is plenty to reach every entry type. */
#define FUZZ_MAX_INPUT (512 * 1024)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_normalized (const char *raw, const char *path)
{
  CHECK (g_utf8_validate (path, -1, NULL));
  CHECK (strlen (path) <= strlen (raw));
  CHECK (path[0] != '/');
  CHECK (!g_str_has_suffix (path, "/"));
  CHECK (strstr (path, "//") == NULL);
  if (*path != '\0')
    {
      g_auto (GStrv) parts = g_strsplit (path, "/", -1);
      for (char **p = parts; *p != NULL; p++)
        {
          CHECK (**p != '\0');
          CHECK (!g_str_equal (*p, "."));
          CHECK (!g_str_equal (*p, ".."));
          CHECK (strlen (*p) <= 255);
        }
    }

  /* idempotent */
  g_autoptr (GError) error = NULL;
  g_autofree char *again = NULL;
  CHECK (berth_import_path_normalize (path, &again, &error));
  CHECK (g_str_equal (again, path));

  g_autofree char *mapped = NULL;
  BerthImportPathClass c = berth_import_path_map (path, &mapped);
  if (c == BERTH_IMPORT_PATH_FILTERED)
    {
      CHECK (mapped == NULL);
      CHECK (strchr (path, '/') != NULL);
      const char *apis[] = { "run/", "tmp/", "proc/", "sys/", "dev/" };
      gboolean found = FALSE;
      for (gsize i = 0; i < G_N_ELEMENTS (apis); i++)
        found |= g_str_has_prefix (path, apis[i]);
      CHECK (found);
    }
  else
    {
      CHECK (c == BERTH_IMPORT_PATH_KEEP);
      gboolean is_etc = g_str_equal (path, "etc") || g_str_has_prefix (path, "etc/");
      if (is_etc)
        CHECK (g_str_has_prefix (mapped, "usr/") && g_str_equal (mapped + 4, path));
      else
        CHECK (g_str_equal (mapped, path));
    }

  /* as an ostree-format layer's entry: an object round-trips to the same path */
  BerthOstreePath parsed;
  g_autoptr (GError) ostree_error = NULL;
  if (berth_import_ostree_path_parse (path, &parsed, &ostree_error))
    {
      if (parsed.entry_class == BERTH_OSTREE_ENTRY_OBJECT)
        {
          CHECK (g_str_has_prefix (path, "sysroot/ostree/repo/objects/"));
          CHECK (strlen (parsed.checksum) == 64);
          CHECK (ostree_validate_checksum_string (parsed.checksum, NULL));
          g_autofree char *back
            = berth_import_ostree_object_path (parsed.checksum, parsed.object_type);
          CHECK (back != NULL && g_str_equal (back, path));
        }
      else if (parsed.entry_class == BERTH_OSTREE_ENTRY_XATTRS)
        {
          CHECK (ostree_validate_checksum_string (parsed.checksum, NULL));
          g_autofree char *back
            = g_strconcat ("sysroot/ostree/repo/xattrs/", parsed.checksum, NULL);
          CHECK (g_str_equal (back, path));
        }
      else if (parsed.entry_class == BERTH_OSTREE_ENTRY_XATTRS_REF)
        {
          /* format v0: the content object's path + ".xattrs" */
          CHECK (ostree_validate_checksum_string (parsed.checksum, NULL));
          g_autofree char *object
            = berth_import_ostree_object_path (parsed.checksum, OSTREE_OBJECT_TYPE_FILE);
          g_autofree char *back = g_strconcat (object, ".xattrs", NULL);
          CHECK (g_str_equal (back, path));
        }
      else
        CHECK (*parsed.checksum == '\0');
    }
  else
    CHECK (g_error_matches (ostree_error, BERTH_ERROR, BERTH_ERROR_REFUSED));

  const char *slash = strrchr (path, '/');
  const char *base = slash != NULL ? slash + 1 : path;
  const char *target = NULL;
  if (berth_import_whiteout_classify (base, &target) == BERTH_IMPORT_WHITEOUT_NAME)
    CHECK (target == base + strlen (BERTH_IMPORT_WHITEOUT_PREFIX));
}

static void
check_path (const char *raw)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  if (berth_import_path_normalize (raw, &path, &error))
    {
      CHECK (error == NULL);
      check_normalized (raw, path);
    }
  else
    {
      CHECK (path == NULL);
      CHECK (g_error_matches (error, BERTH_ERROR, BERTH_ERROR_REFUSED));
      CHECK (g_str_has_prefix (error->message, "Path \""));
    }

  g_autofree char *quoted = berth_import_quote_path (raw);
  for (const char *p = quoted; *p != '\0'; p++)
    CHECK (*p >= 0x20 && *p < 0x7f);
  CHECK (strlen (quoted) <= 4 * 200 + 3);
}

static char *repo_dir;
static OstreeRepo *repo;

static void
remove_repo (void)
{
  g_clear_object (&repo);
  if (repo_dir != NULL)
    (void)berth_spawn_simple (NULL, "rm", "-rf", "--", repo_dir, NULL);
  g_clear_pointer (&repo_dir, g_free);
}

static OstreeRepo *
fuzz_repo (void)
{
  if (repo == NULL)
    {
      g_autoptr (GError) error = NULL;
      repo_dir = g_dir_make_tmp ("berth-fuzz-tar.XXXXXX", &error);
      CHECK (repo_dir != NULL);
      repo
        = ostree_repo_create_at (AT_FDCWD, repo_dir, OSTREE_REPO_MODE_ARCHIVE, NULL, NULL, &error);
      CHECK (repo != NULL);
      atexit (remove_repo);
    }
  return repo;
}

/* The bytes read as a layer of @kind: NULL after checking that the error names the layer, or
 * the layer, which read every byte. */
static BerthImportedLayer *
read_layer (const uint8_t *data, size_t size, const char *digest, BerthImportLayerKind kind)
{
  BerthImportLayerDesc desc = { .digest = digest, .kind = kind };
  g_autoptr (GInputStream) blob = g_memory_input_stream_new_from_data (data, size, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImportedLayer) layer
    = berth_import_layer_read (fuzz_repo (), &desc, blob, NULL, &error);
  if (layer == NULL)
    {
      CHECK (error != NULL);
      CHECK (g_str_has_prefix (error->message, "Importing layer "));
      CHECK (strstr (error->message, digest) != NULL);
      return NULL;
    }
  CHECK (error == NULL);
  CHECK (berth_imported_layer_get_stats (layer)->n_blob_bytes == size);
  return g_steal_pointer (&layer);
}

/* The same bytes as an ostree-format layer, commit layer and chunk (import-ostree.c: v0 and
 * v1 object paths, xattrs and their links). Read only: no commit of its own to merge. */
static void
check_ostree_layer (const uint8_t *data, size_t size, const char *digest)
{
  g_autoptr (BerthImportedLayer) commit_layer
    = read_layer (data, size, digest, BERTH_IMPORT_LAYER_OSTREE_COMMIT);
  g_autoptr (BerthImportedLayer) chunk
    = read_layer (data, size, digest, BERTH_IMPORT_LAYER_OSTREE_OBJECTS);
}

static void
check_layer (const uint8_t *data, size_t size)
{
  g_autofree char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  g_autofree char *digest = g_strconcat ("sha256:", hex, NULL);
  check_ostree_layer (data, size, digest);
  g_autoptr (BerthImportedLayer) layer = read_layer (data, size, digest, BERTH_IMPORT_LAYER_TAR);
  if (layer == NULL)
    return;
  g_autoptr (GError) error = NULL;

  g_autofree char *commit = NULL;
  CHECK (berth_import_layer_commit (repo, layer, &commit, NULL, &error));
  /* the layer twice: whiteouts and opaque markers of the second apply to the first */
  const char *commits[] = { commit, commit, NULL };
  BerthImportImage image = {
    .image_ref = "oci:/fuzz",
    .manifest_digest = digest,
    .manifest_json = "{}",
    .config_json = "{}",
    .created = "1970-01-01T00:00:00Z",
  };
  g_autofree char *merged = NULL;
  if (!berth_import_merge (repo, &image, commits, &merged, NULL, &error))
    CHECK (g_error_matches (error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > FUZZ_MAX_INPUT)
    return 0;

  /* Each line is a path (a corpus file may hold many); so is the whole input up to a NUL. */
  g_autofree char *text = g_strndup ((const char *)data, size);
  check_path (text);
  g_auto (GStrv) lines = g_strsplit (text, "\n", 64);
  for (char **l = lines; *l != NULL; l++)
    check_path (*l);

  check_layer (data, size);
  return 0;
}
