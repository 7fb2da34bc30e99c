/* import: OCI layers into an ostree repository.
 *
 * Owns: turning layer blobs (tar streams, gzip/zstd/uncompressed) into ostree content objects
 * (libarchive, libostree), per-layer commits and blob refs, the merge commit with whiteout
 * semantics, the image ref and its metadata (DESIGN.md section 3), and reading small files back
 * out of a merged commit. Must not partition, mount or deploy, and must not touch the
 * filesystem outside the repository it is given: a layer's paths only ever become names in an
 * OstreeMutableTree, never paths on disk.
 * Depends on: oci, util.
 *
 * The repo state is the one ostree-ext (bootc, rpm-ostree) writes, so an installed machine can
 * `bootc upgrade` from it:
 *   - one commit per layer, referenced by `ostree/container/blob/<escaped digest>`; it holds
 *     the layer's tree after the derived-layer rules (`etc` -> `usr/etc`, children of run, tmp,
 *     proc, sys and dev dropped) with its whiteout files (`.wh.NAME`, `.wh..wh..opq`) kept as
 *     empty files, because the merge (ours, or bootc's on a later upgrade) applies them;
 *   - one merge commit, the layers applied in order, referenced by
 *     `ostree/container/image/<escaped image reference>`, with the metadata
 *     `ostree.manifest-digest`, `ostree.manifest` and `ostree.container.image-config` (all
 *     strings: ostree-ext reads them back with `lookup::<String>`).
 *
 * Threading contract (DESIGN.md section 1: many writer threads in one transaction; the mutable
 * tree and the commits on one thread):
 *   - berth_import_layer_read() may run on any number of worker threads at once, inside one
 *     ostree transaction: it only writes content and dirmeta objects (thread-safe in libostree)
 *     and builds the layer's own OstreeMutableTree. Nothing it touches is shared.
 *   - everything else (berth_import_layer_commit, the refs, berth_import_merge) runs on one
 *     thread, the one that owns the transaction.
 *   - berth_import_image() does all of it with a bounded GThreadPool; callers that want their
 *     own scheduling use the pieces.
 * Bulk imports should run with `ostree_repo_set_disable_fsync (repo, TRUE)` and one syncfs at
 * the end (DESIGN.md section 1, as bootc does); the caller decides, this module never changes
 * the repo's settings.
 */
#pragma once

#include <ostree.h>

#include "oci/oci.h"

G_BEGIN_DECLS

/* ---- layers --------------------------------------------------------------------------- */

/* How a layer's bytes become ostree objects. Only TAR exists today; the ostree container
 * format (images with the `ostree.final-diffid` label carry an ostree commit as object files
 * in their first layers) will be a second kind plugged in beside it (see import-layer.c). */
typedef enum
{
  BERTH_IMPORT_LAYER_TAR,            /* an OCI filesystem changeset: a tar with whiteouts */
  BERTH_IMPORT_LAYER_OSTREE_COMMIT,  /* ostree format: the layer with the commit object */
  BERTH_IMPORT_LAYER_OSTREE_OBJECTS, /* ostree format: a chunk of content objects */
} BerthImportLayerKind;

const char *berth_import_layer_kind_to_string (BerthImportLayerKind kind);

/* One layer, as the manifest describes it. */
typedef struct
{
  const char *digest;     /* "sha256:<hex>": names the blob ref and every error */
  const char *media_type; /* the manifest's mediaType; NULL or "" when unknown */
  guint64 size;           /* compressed size from the manifest (progress only); 0: unknown */
  BerthImportLayerKind kind;
} BerthImportLayerDesc;

/* What one layer held. Counts are of tar entries. */
typedef struct
{
  guint64 n_files;           /* regular files written (a hardlink is not a file) */
  guint64 n_bytes;           /* their uncompressed content bytes */
  guint64 n_dirs;            /* directory entries */
  guint64 n_symlinks;        /* symbolic links */
  guint64 n_hardlinks;       /* hardlinks (they share their target's content object) */
  guint64 n_whiteouts;       /* .wh.NAME and .wh..wh..opq entries */
  guint64 n_dropped_devices; /* character and block device nodes: dropped */
  guint64 n_dropped_special; /* FIFOs and sockets: dropped */
  guint64 n_filtered;        /* children of run, tmp, proc, sys, dev; aufs .wh..wh.* files */
  guint64 n_metadata;        /* ostree layers: commit, dirtree and dirmeta objects */
  guint64 n_blob_bytes;      /* bytes read from the blob stream (compressed) */
  const char *compression;   /* "gzip", "zstd" or "none", from the magic bytes (static) */
} BerthImportLayerStats;

/* A layer read into the repo but not yet committed: its content objects are written, its
 * tree is in memory. Owned by one thread at a time. */
typedef struct _BerthImportedLayer BerthImportedLayer;

void berth_imported_layer_free (BerthImportedLayer *layer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthImportedLayer, berth_imported_layer_free)

const BerthImportLayerStats *berth_imported_layer_get_stats (const BerthImportedLayer *layer);

/* Reads one layer blob in one pass: @blob (the registry's bytes, compressed) -> libarchive's
 * gzip/zstd/none filter (chosen by the magic bytes; @layer's media type only has to agree
 * loosely, a mismatch is logged with g_debug) -> tar entries -> content objects. Reads @blob
 * to EOF, past the tar's end-of-archive blocks: the stream checks the blob's digest and
 * reports a mismatch (or a network error) as a read error instead of EOF, and that error is
 * returned as it is. Hostile entries (`..`, paths through a symlink of the layer, hardlinks
 * to outside or to entries not seen yet) fail with BERTH_ERROR_REFUSED naming the layer and
 * the path. Safe to call from worker threads (see the threading contract above). */
BerthImportedLayer *berth_import_layer_read (OstreeRepo *repo, const BerthImportLayerDesc *layer,
                                             GInputStream *blob, GCancellable *cancellable,
                                             GError **error);

/* Writes the layer's tree and its commit; @out_commit receives the checksum. The commit is a
 * pure function of the blob (timestamp 0), so the same blob gives the same commit. Call from
 * the thread that owns the transaction. @layer stays usable for its stats. */
gboolean berth_import_layer_commit (OstreeRepo *repo, BerthImportedLayer *layer, char **out_commit,
                                    GCancellable *cancellable, GError **error);

/* ---- refs ------------------------------------------------------------------------------ */

/* Ref names come from the OCI module (oci/oci-refescape.h: berth_ref_for_blob,
 * berth_ref_for_image, ostree-ext's escaping). The image ref is named after the reference the
 * system will update from, printed the way ostree-ext prints it: `docker://quay.io/x/y:tag`,
 * `oci:/path:tag` (DESIGN.md section 3). */

/* Whether the blob @digest was imported before: on success *@out_commit is its layer commit,
 * or NULL when there is none (no ref, or a ref to a missing or partial commit). */
gboolean berth_import_has_layer (OstreeRepo *repo, const char *digest, char **out_commit,
                                 GCancellable *cancellable, GError **error);

/* Sets the blob ref of @digest to @commit in the current transaction (so it is written only
 * when the caller commits the transaction). Call only after berth_import_layer_read()
 * succeeded, which means the blob's digest was verified. */
gboolean berth_import_set_layer_ref (OstreeRepo *repo, const char *digest, const char *commit,
                                     GError **error);

/* Sets the image ref of @image_ref to @merge_commit in the current transaction. */
gboolean berth_import_set_image_ref (OstreeRepo *repo, const char *image_ref,
                                     const char *merge_commit, GError **error);

/* ---- images ---------------------------------------------------------------------------- */

/* An image, as the OCI module fetched and parsed it. */
typedef struct
{
  const char *image_ref;       /* names the image ref, see berth_ref_for_image() */
  const char *manifest_digest; /* "sha256:<hex>" of the manifest bytes */
  const char *manifest_json;   /* the manifest as fetched: stored as `ostree.manifest` */
  const char *config_json;     /* the image config: stored as `ostree.container.image-config` */
  GHashTable *labels;          /* the config's config.Labels, string -> string; may be NULL */
  /* RFC 3339: the manifest's org.opencontainers.image.created annotation, else the config's
   * `created`; the merge commit's timestamp (ostree-ext's choice). NULL: now. */
  const char *created;
  /* Ostree-format images: the `ostree.commit` label (NULL when the image has none), and the
   * ostree remote whose GPG keys must have signed the commit (NULL: no check). */
  const char *ostree_commit_label;
  const char *verify_remote;
  /* The repository whose definition of @verify_remote (its config and NAME.trustedkeys.gpg)
   * verifies the signature; NULL: the repository imported into. An upgrade verifies with the
   * installed system's remote this way (berth_ostree_remote_repo_new) without ever writing it
   * into the system repository's config. */
  OstreeRepo *verify_repo;
} BerthImportImage;

/* Whether berth can import @image at all. */
gboolean berth_import_check_image (const BerthImportImage *image, GError **error);

/* Whether @image_ref's image ref already points at a merge commit of @manifest_digest: on
 * success *@out_merge_commit is that commit, or NULL when the image must be (re)merged. */
gboolean berth_import_image_is_current (OstreeRepo *repo, const char *image_ref,
                                        const char *manifest_digest, char **out_merge_commit,
                                        GCancellable *cancellable, GError **error);

/* Writes the merge commit of @layer_commits (bottom layer first), applying them in order:
 * `.wh.NAME` deletes NAME of lower layers, `.wh..wh..opq` hides the lower layers' content of
 * its directory (not the same layer's), a later entry replaces an earlier one of another type,
 * whiteout files never appear in the result. A directory entry's owner, mode and xattrs replace
 * the lower layer's, except for directories a layer only implied (parents without an entry of
 * their own). An image with `etc` in one layer and `usr/etc` in another fails with
 * BERTH_ERROR_UNSUPPORTED_IMAGE (DESIGN.md section 2). One thread; see the contract above. */
gboolean berth_import_merge (OstreeRepo *repo, const BerthImportImage *image,
                             const char *const *layer_commits, char **out_merge_commit,
                             GCancellable *cancellable, GError **error);

/* ---- the whole pull, with a worker pool ----------------------------------------------- */

/* Opens the blob stream of @layer. Called on a worker thread, concurrently for different
 * layers, once per layer that is not in the repo yet; returns a new reference. The stream must
 * verify the digest (see berth_import_layer_read()). */
typedef GInputStream *(*BerthImportOpenLayerFunc) (const BerthImportLayerDesc *layer,
                                                   gpointer user_data, GCancellable *cancellable,
                                                   GError **error);

typedef enum
{
  BERTH_IMPORT_EVENT_LAYER_REUSED,   /* the blob ref existed: not fetched */
  BERTH_IMPORT_EVENT_LAYER_IMPORTED, /* fetched, written and committed; @stats is set */
  BERTH_IMPORT_EVENT_MERGED,         /* the merge commit is written */
} BerthImportEvent;

const char *berth_import_event_to_string (BerthImportEvent event);

/* The line a user reads for an event: "layer 2/6 sha256:1a2b3c4d5e6f: 46.3 MB fetched (gzip),
 * 1142 files with 120.1 MB", "layer 3/6 ...: already in the repository", "merged 6 layers".
 * @digest is the layer's (NULL for MERGED); @stats is set for LAYER_IMPORTED. */
char *berth_import_event_describe (BerthImportEvent event, int layer_index, guint n_layers,
                                   const char *digest, const BerthImportLayerStats *stats);

/* Progress, called on the thread that called berth_import_image(). @layer_index is the
 * layer's position in the manifest (-1 for MERGED); @stats is NULL except for IMPORTED. */
typedef void (*BerthImportProgressFunc) (BerthImportEvent event, int layer_index,
                                         const BerthImportLayerStats *stats, gpointer user_data);

typedef struct
{
  BerthImportOpenLayerFunc open_layer; /* required */
  BerthImportProgressFunc progress;    /* optional */
  gpointer user_data;                  /* for both */
  guint n_workers;                     /* 0: berth_import_default_workers() */
} BerthImportOptions;

/* The default worker count: the CPU count, between 1 and 4 (each worker holds one layer's tree
 * and decompressor, a zstd one ~7 MiB: more workers would take a pull past DESIGN's 64 MiB). */
guint berth_import_default_workers (void);

typedef struct
{
  char *merge_commit;
  gboolean already_current; /* the image ref named this manifest already: nothing written */
  guint n_layers;
  char **layer_commits;               /* n_layers, NULL-terminated, manifest order */
  gboolean *layer_reused;             /* n_layers */
  BerthImportLayerStats *layer_stats; /* n_layers; zero for reused layers */
} BerthImportResult;

void berth_import_result_free (BerthImportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthImportResult, berth_import_result_free)

/* Imports @image: nothing at all when its image ref already names @image's manifest digest;
 * else, in one transaction, every layer without a blob ref (fetched through
 * @options->open_layer on at most n_workers threads), their commits and blob refs, the merge
 * commit and the image ref. Any failure aborts the transaction: no ref is written, so a bad
 * blob never ends up referenced. The transaction is this function's: the repo must not be in
 * one already. */
gboolean berth_import_image (OstreeRepo *repo, const BerthImportImage *image,
                             const BerthImportLayerDesc *layers, guint n_layers,
                             const BerthImportOptions *options, BerthImportResult **out_result,
                             GCancellable *cancellable, GError **error);

/* ---- ostree remotes (ostree-remote-* references) ------------------------------------------ */

/* Where a host keeps its ostree remotes (ostree's SYSCONF_REMOTES). */
#define BERTH_OSTREE_REMOTES_D "/etc/ostree/remotes.d"

/* An ostree remote as an install takes it from an ostree remote file (ostree's keyfile
 * format, as /etc/ostree/remotes.d/NAME.conf has it): the options of its `[remote "NAME"]`
 * group, and the OpenPGP keys its gpgkeypath names, read (and checked) when it is loaded, so
 * the keys the commit is verified with later are the ones the plan showed. Never a key from
 * the image being verified. */
typedef struct
{
  char *name;
  char *config_path;  /* the file it came from */
  gboolean from_host; /* the host's remotes.d file, not one the caller named */
  char *url;          /* its url=; may be NULL (ostree-ext's remotes need none) */
  /* a{sv}: the group's other keys as strings (contenturl, tls-ca-path, ...) and
   * gpg-verify=true; no gpgkeypath, since the keys are imported instead */
  GVariant *options;
  GStrv key_paths; /* the files read, in gpgkeypath's order (a directory: its files, sorted) */
  GPtrArray *keys; /* GBytes: each file's contents */
  guint n_keys;    /* OpenPGP keys found in them (one two files hold counts once) */
} BerthOstreeRemote;

void berth_ostree_remote_free (BerthOstreeRemote *remote);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthOstreeRemote, berth_ostree_remote_free)

/* `remote "NAME"`, the remote's group in a remote file or a repository's config. */
char *berth_ostree_remote_group (const char *name);

/* Loads remote @name from @config_path, or when NULL from @remotes_d/NAME.conf (@remotes_d
 * NULL: BERTH_OSTREE_REMOTES_D). Every way for the remote to be unusable fails here with
 * BERTH_ERROR_INVALID_ARGUMENT naming the remote, the file and what fixes it: no file, no
 * `[remote "NAME"]` section, gpg-verify=false, no gpgkeypath, a gpgkeypath entry that cannot
 * be read, a key file without an OpenPGP key (imported into a scratch repository to tell). */
BerthOstreeRemote *berth_ostree_remote_load (const char *name, const char *config_path,
                                             const char *remotes_d, GCancellable *cancellable,
                                             GError **error);

/* @remote's options with @key set to @value (floating is fine): a new a{sv}. */
GVariant *berth_ostree_remote_options_with (const BerthOstreeRemote *remote, const char *key,
                                            GVariant *value);

/* Adds @remote to @repo (ostree_repo_remote_change: the repository's config, for a repository
 * that is not a booted system's) and imports its keys into @repo's NAME.trustedkeys.gpg, so
 * berth_pull_image() of an ostree-remote-* reference naming it verifies with them. Fails when
 * @repo has the remote already. */
gboolean berth_ostree_remote_add (OstreeRepo *repo, const BerthOstreeRemote *remote,
                                  GCancellable *cancellable, GError **error);

/* The remote @name as an installed system defines it, for checking the commits it upgrades to
 * with the keys its own libostree would use, never this machine's: the `[remote "NAME"]` group
 * of a *.conf file of the deployment's /etc/ostree/remotes.d (@deployment_path: the directory
 * of the deployment whose /etc counts, the default one) or of @repo's config (the system's
 * repository: `ostree remote add` on a booted system, older installs); a remote defined in both
 * places is refused (the booted system's libostree refuses it too). Its keys: the files its
 * gpgkeypath names, absolute paths and their symlinks resolved inside the deployment
 * (berth_import_path_in_root), and the keyring NAME.trustedkeys.gpg of @repo (else of the
 * deployment's remotes.d), where libostree looks first. config_path and key_paths are as the
 * installed system names them ("/etc/ostree/remotes.d/NAME.conf", "/ostree/repo/config").
 * Fails with BERTH_ERROR_INVALID_ARGUMENT naming the remote, the file and what fixes it: no
 * definition, two, gpg-verify=false, no key at all, a gpgkeypath file that cannot be read or
 * holds no key. Reads only: nothing of the system is written. */
BerthOstreeRemote *berth_ostree_remote_load_installed (const char *name,
                                                       const char *deployment_path,
                                                       OstreeRepo *repo, GCancellable *cancellable,
                                                       GError **error);

/* A repository of its own that holds @remote and its keys and nothing else, in a new temporary
 * directory (removed with it): the BerthPullOptions.verify_repo that checks an image's
 * signature with a remote which must not be written into the repository pulled into. */
typedef struct
{
  char *dir;
  OstreeRepo *repo;
} BerthOstreeRemoteRepo;

BerthOstreeRemoteRepo *berth_ostree_remote_repo_new (const BerthOstreeRemote *remote,
                                                     GCancellable *cancellable, GError **error);
void berth_ostree_remote_repo_free (BerthOstreeRemoteRepo *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthOstreeRemoteRepo, berth_ostree_remote_repo_free)

/* @path (absolute, or relative to @root) resolved as if @root were /: symbolic links are
 * followed inside @root (an absolute target starts again at @root), `..` never climbs above it,
 * at most 40 links. The result is @root joined with the resolved path; a component that does
 * not exist ends the resolution (the rest is joined as it is, so opening it fails naming it),
 * except that a `..` after it fails (ENOENT), as in the kernel. Fails for a loop of links and
 * for errors other than a missing component. */
gboolean berth_import_path_in_root (const char *root, const char *path, char **out_path,
                                    GError **error);

/* ---- pruning (after an upgrade) ---------------------------------------------------------- */

/* Of @blob_refs (ostree/container/blob/... names), those that none of @manifests (OCI image
 * manifests, JSON) names as a layer, sorted: what ostree-ext's `image prune` removes. A
 * manifest that does not parse is an error (then nothing may be called unused). */
gboolean berth_import_unused_layer_refs (const char *const *blob_refs, const char *const *manifests,
                                         char ***out_unused, GError **error);

/* Removes the blob refs of @repo that no image ref's manifest (its merge commit's
 * `ostree.manifest`) names; their objects stay until the repository is pruned (the sysroot's
 * prune keeps what deployments use). *@out_removed (may be NULL): the refs removed, sorted. An
 * image ref without `ostree.manifest` fails with BERTH_ERROR_UNSUPPORTED_IMAGE before anything
 * is removed. */
gboolean berth_import_prune_layers (OstreeRepo *repo, char ***out_removed,
                                    GCancellable *cancellable, GError **error);

/* The `ostree.manifest-digest` of merge commit @commit: *@out_digest is NULL when it has none
 * (a commit that is not an imported image's). */
gboolean berth_import_get_manifest_digest (OstreeRepo *repo, const char *commit, char **out_digest,
                                           GError **error);

/* ---- reading the result ------------------------------------------------------------------ */

/* The contents of the regular file @path in @commit, read as the deployed system will see it:
 * a leading `etc` means `usr/etc` when the commit has no `etc`, symlinks are followed inside
 * the commit (absolute targets from its root, at most 40 of them), never outside it. Files
 * larger than @max_size fail with BERTH_ERROR_TOO_LARGE, missing ones with
 * BERTH_ERROR_NOT_FOUND. For kargs.d TOML, install configs, os-release. */
gboolean berth_import_read_file (OstreeRepo *repo, const char *commit, const char *path,
                                 gsize max_size, GBytes **out_contents, GCancellable *cancellable,
                                 GError **error);

/* The type of @path in @commit (resolved as berth_import_read_file() does, so never a symlink):
 * G_FILE_TYPE_REGULAR, _DIRECTORY, ...; G_FILE_TYPE_UNKNOWN when it does not exist (or a
 * symlink on the way leads nowhere). */
gboolean berth_import_file_type (OstreeRepo *repo, const char *commit, const char *path,
                                 GFileType *out_type, GCancellable *cancellable, GError **error);

/* The names in directory @path of @commit (resolved as berth_import_read_file() does), sorted
 * bytewise, as a NULL-terminated array. A missing directory is BERTH_ERROR_NOT_FOUND. */
gboolean berth_import_list_dir (OstreeRepo *repo, const char *commit, const char *path,
                                char ***out_names, GCancellable *cancellable, GError **error);

/* ---- tar paths (exposed for the unit tests and the fuzz target) ------------------------- */

/* Normalises a tar entry's path: leading `/` and every `.` component and empty component
 * dropped (`/./a//b/` -> `a/b`); the root itself is "". Fails with BERTH_ERROR_REFUSED for a
 * `..` component, a name longer than 255 bytes, a path longer than 4096 bytes or one that is
 * not UTF-8. */
gboolean berth_import_path_normalize (const char *raw, char **out_path, GError **error);

typedef enum
{
  BERTH_IMPORT_PATH_KEEP,     /* goes into the layer's tree at the mapped path */
  BERTH_IMPORT_PATH_FILTERED, /* a child of run, tmp, proc, sys or dev: dropped */
} BerthImportPathClass;

/* The derived-layer rules (DESIGN.md section 3) on a normalised path: `etc` and everything
 * below it move to `usr/etc`; children of run, tmp, proc, sys and dev are filtered (the
 * directories themselves are kept). *@out_mapped is set for KEEP only. */
BerthImportPathClass berth_import_path_map (const char *normalized, char **out_mapped);

/* ---- ostree layer paths (exposed for the unit tests and the fuzz target) ----------------- */

/* What an entry of an ostree-format layer is (ostree-ext's tar format, v0 and v1). */
typedef enum
{
  /* sysroot, sysroot/ostree, .../repo, .../objects, objects/XX, .../xattrs */
  BERTH_OSTREE_ENTRY_DIR,
  /* sysroot/ostree/repo/config (v1), sysroot/config (v0): the exporter's, ignored */
  BERTH_OSTREE_ENTRY_CONFIG,
  /* objects/XX/REST.SUFFIX */
  BERTH_OSTREE_ENTRY_OBJECT,
  /* format v0: sysroot/ostree/repo/xattrs/CHECKSUM, an a(ayay) named by its SHA-256 */
  BERTH_OSTREE_ENTRY_XATTRS,
  /* format v0: objects/XX/REST.file.xattrs, a hardlink to the xattrs/ entry that the content
   * object XXREST uses; checksum is the content object's */
  BERTH_OSTREE_ENTRY_XATTRS_REF,
  /* any other path below sysroot/ (the exporter's refs/, state/, tmp/ skeleton): allowed as
   * a directory only */
  BERTH_OSTREE_ENTRY_REPO_OTHER,
  /* a path outside sysroot/: the exporter's tree (`./usr/bin` directories, `usr/bin/sh`
   * hardlinks to the .file object, empty regular files); only those forms are allowed */
  BERTH_OSTREE_ENTRY_TREE,
} BerthOstreeEntryClass;

const char *berth_ostree_entry_class_to_string (BerthOstreeEntryClass entry_class);

typedef struct
{
  BerthOstreeEntryClass entry_class;
  OstreeObjectType object_type; /* for OBJECT */
  /* for OBJECT, XATTRS and XATTRS_REF: 64 lower-case hex digits, else "" */
  char checksum[65];
} BerthOstreePath;

/* Where an ostree layer keeps its repo, and the repo's objects. */
#define BERTH_OSTREE_LAYER_REPO    "sysroot/ostree/repo"
#define BERTH_OSTREE_LAYER_OBJECTS BERTH_OSTREE_LAYER_REPO "/objects/"

/* Classifies a normalised entry path (berth_import_path_normalize: a v0 `./` prefix is gone by
 * then). Below sysroot/ostree/repo/objects/, exactly `XX/` + 62 lower-case hex digits +
 * `.commit`, `.commitmeta`, `.dirtree`, `.dirmeta`, `.file`, `.file-xattrs` or
 * `.file-xattrs-link` is an object, `.file.xattrs` a v0 xattrs reference, and below
 * sysroot/ostree/repo/xattrs/ exactly 64 lower-case hex digits a v0 xattrs entry; anything else
 * there is BERTH_ERROR_REFUSED naming the path and what the layout allows. Other paths are
 * classified for the reader to check by type. */
gboolean berth_import_ostree_path_parse (const char *normalized, BerthOstreePath *out,
                                         GError **error);

/* The inverse: "sysroot/ostree/repo/objects/XX/REST.SUFFIX" for an object type this format
 * carries, else NULL. */
char *berth_import_ostree_object_path (const char *checksum, OstreeObjectType type);

/* Whiteout names (the OCI image spec's, which are AUFS's): */
#define BERTH_IMPORT_WHITEOUT_PREFIX ".wh."
#define BERTH_IMPORT_OPAQUE_NAME     ".wh..wh..opq"

G_END_DECLS
