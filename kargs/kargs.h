/* kargs: kernel command lines.
 *
 * Owns: parsing a kernel command line exactly as the kernel does, editing it with ostree's
 * semantics, bootc's /usr/lib/bootc/kargs.d/ files and /usr/lib/bootc/install/ configuration,
 * and the command line of a new install in bootc's order, each argument labelled with where
 * it came from.
 *
 * Depends on util only (its TOML parser). Must not include ostree: callers that read these
 * files from an ostree commit hand over (name, bytes) pairs or a GFile (an OstreeRepoFile is
 * one). Must not print, and must not touch disks.
 *
 * Parsing follows the kernel (lib/cmdline.c next_arg()); editing follows ostree
 * (src/libostree/ostree-kernel-args.c, as used by `ostree admin kargs edit-in-place` and
 * `rpm-ostree kargs`); merging image configuration follows bootc (crates/lib/src/install.rs,
 * bootc_kargs.rs, install/config.rs). Where they differ, the comment at each function says
 * which one wins and why.
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

/* ---- one argument ---------------------------------------------------------------------- */

/* Where an argument came from, for `berth install --dry-run`. */
typedef enum
{
  BERTH_KARGS_SOURCE_NONE,           /* parsed from a string nobody labelled */
  BERTH_KARGS_SOURCE_BERTH,          /* root=, rw, boot= worked out by berth (file and line:
                                      * the install configuration's mount spec, if any) */
  BERTH_KARGS_SOURCE_INSTALL_CONFIG, /* an image's /usr/lib/bootc/install/NAME.toml */
  BERTH_KARGS_SOURCE_KARGS_D,        /* an image's /usr/lib/bootc/kargs.d/NAME.toml */
  BERTH_KARGS_SOURCE_CLI,            /* --karg or --karg-delete */
} BerthKargsSourceKind;

/* "none", "berth", "install-config", "kargs.d", "cli". */
const char *berth_kargs_source_kind_to_string (BerthKargsSourceKind kind);

typedef struct
{
  BerthKargsSourceKind kind;
  const char *file; /* the config file, else NULL; owned by the BerthKarg that holds it */
  guint line;       /* line in @file, from 1; 0 when unknown */
} BerthKargsSource;

/* For display: "berth", "command line", "/usr/lib/bootc/kargs.d/10-rw.toml:2", and for a
 * root= or boot= whose mount spec an install configuration gave, "berth (mount spec from
 * FILE:LINE)". */
char *berth_kargs_source_describe (const BerthKargsSource *source);

/* One argument. Read-only for callers. */
typedef struct
{
  char *raw;   /* the exact bytes given, printed back unchanged: dyndbg="file foo.c +p" */
  char *key;   /* as the kernel sees it: a leading '"' of the argument is skipped, so
                * "a b"=c has the key `a b"` */
  char *value; /* NULL when there is no '='; "" for `key=`. One '"' after the '=' and the
                * matching last '"' are stripped: dyndbg="file foo.c +p" has the value
                * `file foo.c +p` */
  BerthKargsSource source;
} BerthKarg;

/* The first argument of @text (NULL when @text holds none), with no source. */
BerthKarg *berth_karg_parse (const char *text);
void berth_karg_free (BerthKarg *karg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKarg, berth_karg_free)

/* The kernel's parameq(): keys compare with '-' and '_' as the same character. */
gboolean berth_kargs_key_equal (const char *a, const char *b);
/* Same key (as above) and the same value (byte for byte, after quote stripping; no value and
 * an empty value differ): foo="a b" equals "foo=a b", and foo-x=1 equals foo_x=1. */
gboolean berth_karg_equal (const BerthKarg *a, const BerthKarg *b);

/* ---- a command line -------------------------------------------------------------------- */

typedef struct _BerthKargs BerthKargs;

BerthKargs *berth_kargs_new (void);
BerthKargs *berth_kargs_copy (const BerthKargs *kargs);
void berth_kargs_free (BerthKargs *kargs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKargs, berth_kargs_free)

/* Splits @cmdline as the kernel does: on ASCII whitespace (space, \t, \n, \v, \f, \r) outside
 * double quotes; a quote toggles quoting wherever it is; an unterminated quote runs to the
 * end. There are no escapes and no single quotes, and nothing is ever rejected. Each argument
 * gets @source (may be NULL). */
BerthKargs *berth_kargs_parse (const char *cmdline, const BerthKargsSource *source);

guint berth_kargs_get_length (const BerthKargs *kargs);
const BerthKarg *berth_kargs_get (const BerthKargs *kargs, guint index);

/* The command line. Until the first change it is the string given to berth_kargs_parse, byte
 * for byte; after a change, every argument's raw bytes joined by single spaces. */
char *berth_kargs_to_string (const BerthKargs *kargs);
/* Each argument's raw bytes (ostree's override_kernel_argv). */
char **berth_kargs_to_strv (const BerthKargs *kargs);

/* The first argument whose key is @key ('-' == '_'), or NULL. */
const BerthKarg *berth_kargs_find (const BerthKargs *kargs, const char *key);
/* Its value; NULL when the key is missing or has no value. */
const char *berth_kargs_value_of (const BerthKargs *kargs, const char *key);
/* The same arguments (berth_karg_equal) the same number of times, in any order. */
gboolean berth_kargs_equal (const BerthKargs *a, const BerthKargs *b);

/* Edits with ostree's semantics. Each takes a string of one or more arguments (parsed as
 * above) and is all-or-nothing: on error @kargs is unchanged. Errors are
 * BERTH_ERROR_INVALID_ARGUMENT. Keys match with '-' == '_' and values after quote stripping,
 * as the kernel reads them (ostree compares raw bytes). The new arguments get @source. */

/* ostree_kernel_args_append: each argument goes to the end, even if its key is there. */
void berth_kargs_append (BerthKargs *kargs, const char *args, const BerthKargsSource *source);
/* ostree_kernel_args_append_if_missing: appends each argument whose KEY is not there yet
 * (`rpm-ostree kargs --append-if-missing`; coreos-installer compares whole arguments). */
void berth_kargs_append_if_missing (BerthKargs *kargs, const char *args,
                                    const BerthKargsSource *source);
/* ostree_kernel_args_delete, one argument at a time:
 *  - KEY=VALUE removes the first argument with that key and value;
 *  - KEY removes the argument when the key is there once (whatever its value); when the key
 *    repeats it removes the first value-less one, and is an error if there is none (ambiguous);
 *  - a missing key or KEY=VALUE is an error. */
gboolean berth_kargs_delete (BerthKargs *kargs, const char *args, GError **error);
/* ostree_kernel_args_delete_if_present: as above, but a key that is not there is skipped. */
gboolean berth_kargs_delete_if_present (BerthKargs *kargs, const char *args, GError **error);
/* ostree_kernel_args_new_replace (`ostree admin kargs edit-in-place --replace`):
 *  - KEY=OLD=NEW replaces the first KEY=OLD with KEY=NEW. The split is at the first '=' of the
 *    value, as ostree's (berth skips an '=' inside quotes), so root=UUID=x means key root,
 *    old UUID, new x: a value holding '=' cannot be replaced, only deleted and appended;
 *  - KEY=NEW (NEW without '=') or KEY replaces the key's only argument, and is an error when
 *    the key repeats;
 *  - a missing key, or a missing KEY=OLD, is an error. */
gboolean berth_kargs_replace (BerthKargs *kargs, const char *args, const BerthKargsSource *source,
                              GError **error);
/* ostree_kernel_args_replace (`ostree admin deploy --karg`; bootc's add_or_modify): the first
 * argument with the key becomes this one, later ones with the key go; appended when the key is
 * not there. */
void berth_kargs_set (BerthKargs *kargs, const char *args, const BerthKargsSource *source);

/* bootc's lenient operations (the linux-kernel-cmdline crate), used to assemble an install's
 * command line. berth_kargs_add appends each argument unless an equal one is already there
 * and returns how many it added; berth_kargs_extend does it with arguments that keep their
 * own sources. berth_kargs_remove removes every argument equal to KEY=VALUE, or every one
 * with the key for a bare KEY, and returns how many it removed (never an error). */
guint berth_kargs_add (BerthKargs *kargs, const char *args, const BerthKargsSource *source);
guint berth_kargs_extend (BerthKargs *kargs, const BerthKargs *other);
guint berth_kargs_remove (BerthKargs *kargs, const char *args);

/* bootc's upgrade rule for kargs.d (bootc_kargs.rs compute_apply_kargs_diff): @out_added are
 * the arguments of @new_kargs_d not in @old_kargs_d, @out_removed the other way round. */
void berth_kargs_diff (const BerthKargs *old_kargs_d, const BerthKargs *new_kargs_d,
                       BerthKargs **out_added, BerthKargs **out_removed);
/* Applies that diff to a deployment's command line: every argument equal to a removed one
 * goes, then each added one is added unless present. Machine-local arguments (root=) stay. */
void berth_kargs_apply_kargs_d_update (BerthKargs *kargs, const BerthKargs *old_kargs_d,
                                       const BerthKargs *new_kargs_d);

/* ---- bootc image configuration --------------------------------------------------------- */

/* Where bootc looks inside an image (relative to its root). */
#define BERTH_KARGS_D_DIR              "usr/lib/bootc/kargs.d"
#define BERTH_KARGS_INSTALL_CONFIG_DIR "usr/lib/bootc/install"

/* A file's name and bytes, e.g. read from an ostree commit by the caller. Only the last
 * component of @name decides ordering and the ".toml" filter; all of it is used in messages
 * and sources. */
typedef struct
{
  const char *name;
  const char *contents;
  gsize length;
} BerthKargsFile;

/* bootc reads at most this much of one configuration file: these come from an image. */
#define BERTH_KARGS_FILE_MAX (1024 * 1024)

/* Rust's std::env::consts::ARCH for this build (x86_64, aarch64, powerpc64, s390x, riscv64,
 * ...), the names `match-architectures` uses. */
const char *berth_kargs_host_arch (void);

/* One kargs.d file: `kargs` (required, array of strings) and `match-architectures`
 * (optional, array of strings); any other key, or a wrong type, is an error naming the file
 * and line. As bootc does, the strings are joined with spaces and parsed as one command line
 * (so one string may hold several arguments). *@out_kargs is NULL when match-architectures
 * does not name @arch. */
gboolean berth_kargs_d_parse (const char *name, const char *contents, gsize length,
                              const char *arch, BerthKargs **out_kargs, GError **error);
/* All of an image's kargs.d files: those whose name ends in ".toml", in byte order of their
 * names, concatenated with berth_kargs_extend (an argument equal to an earlier one is
 * dropped, as bootc does). @out_skipped (may be NULL) receives the names of the files
 * match-architectures excluded. */
BerthKargs *berth_kargs_d_load_files (const BerthKargsFile *files, guint n_files, const char *arch,
                                      GPtrArray **out_skipped, GError **error);
/* The same from a directory (a local one, or an OstreeRepoFile of a commit); a missing
 * directory means no kargs. A *.toml entry that is not a regular file (a symbolic link, which
 * could point out of the image, or a directory) is an error, as is one over
 * BERTH_KARGS_FILE_MAX. Files are named in messages and sources by g_file_get_path(), else by
 * their path in the image. */
BerthKargs *berth_kargs_d_load_dir (GFile *dir, const char *arch, GPtrArray **out_skipped,
                                    GCancellable *cancellable, GError **error);

/* A setting of the merged install configuration, with the file that set it last. */
typedef struct
{
  char *value; /* NULL when no file sets it */
  char *file;
  guint line;
} BerthKargsConfigValue;

/* A key bootc knows that berth does not act on (yet), for the plan to show. */
typedef struct
{
  char *file;
  guint line;
  char *key; /* "install.ostree.bls-append-except-default" */
} BerthKargsConfigIgnored;

/* bootc's install configuration, merged (install/config.rs). */
typedef struct
{
  BerthKargs *kargs;        /* [install] kargs of every file, in order (each may hold several) */
  BerthKargs *karg_deletes; /* [install] karg-deletes, in order */
  BerthKargsConfigValue root_mount_spec; /* "" means: no root= */
  BerthKargsConfigValue boot_mount_spec; /* "" means: no boot= */
  BerthKargsConfigValue stateroot;
  BerthKargsConfigValue root_fs_type; /* [install.filesystem.root] type, else root-fs-type */
  BerthKargsConfigValue bootloader;   /* grub, grub-cc, systemd, none */
  GPtrArray *ignored;                 /* BerthKargsConfigIgnored * */
  GPtrArray *files;                   /* char *: the files merged, in order */
  GPtrArray *skipped;                 /* char *: files match-architectures excluded */
} BerthKargsInstallConfig;

BerthKargsInstallConfig *berth_kargs_install_config_new (void);
void berth_kargs_install_config_free (BerthKargsInstallConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKargsInstallConfig, berth_kargs_install_config_free)

/* The ".toml" files among @files in name order, merged as bootc does: a file whose
 * `match-architectures` does not name @arch is skipped whole; later files override settings;
 * kargs and karg-deletes are appended. Keys bootc does not know, wrong types and invalid
 * values are errors naming the file and line; keys bootc knows but berth ignores are listed
 * in ->ignored. */
BerthKargsInstallConfig *berth_kargs_install_config_load_files (const BerthKargsFile *files,
                                                                guint n_files, const char *arch,
                                                                GError **error);
/* The same from a directory, read as berth_kargs_d_load_dir reads one. */
BerthKargsInstallConfig *berth_kargs_install_config_load_dir (GFile *dir, const char *arch,
                                                              GCancellable *cancellable,
                                                              GError **error);

/* ---- the command line of an install ---------------------------------------------------- */

typedef struct
{
  /* root= for the new system, e.g. "UUID=..." of its root filesystem. The install
   * configuration's root-mount-spec replaces it; "" there means no root= at all. */
  const char *root_mount_spec;
  /* Arguments that go right after root= (bootc adds rootflags=subvol=... for btrfs); dropped
   * with root=. NULL-terminated, may be NULL. */
  const char *const *root_kargs;
  /* "UUID=..." of a separate /boot, NULL when /boot is on the root filesystem. The install
   * configuration's boot-mount-spec replaces it; "" there means no boot=. */
  const char *boot_mount_spec;
  const BerthKargsInstallConfig *install_config; /* may be NULL */
  const BerthKargs *kargs_d;                     /* matching kargs.d arguments; may be NULL */
  const char *const *cli_karg_deletes;           /* --karg-delete, in order; may be NULL */
  const char *const *cli_kargs;                  /* --karg, in order; may be NULL */
} BerthKargsInstallOptions;

/* bootc's order (install.rs): root= [root_kargs] rw boot=, then the install configuration's
 * kargs, then kargs.d, each added unless an equal argument is already there; then the
 * configuration's karg-deletes and --karg-delete remove (KEY=VALUE every equal argument, KEY
 * every argument with that key; one that matches nothing is not an error but is listed in
 * @out_unmatched_deletes, may be NULL); then --karg, added the same way. Every argument keeps
 * its source. Fails only when there is no root mount spec at all. */
BerthKargs *berth_kargs_build_install (const BerthKargsInstallOptions *options,
                                       BerthKargs **out_unmatched_deletes, GError **error);

G_END_DECLS
