/* kickstart: Anaconda kickstart files, read as pykickstart reads them.
 *
 * Owns: reading a kickstart file (and the files it %includes) into a BerthKickstart: the
 * commands berth understands as typed fields, every command and section in the order read,
 * warnings; writing a command back the way pykickstart does (the fixtures' expected strings);
 * and the check of what berth refuses to install (berth_kickstart_check_installable).
 *
 * Depends on util only. Must not include ostree, curl or libfdisk: an image reference stays
 * the text the kickstart gave (the CLI and the plan parse it with the oci module); kernel
 * arguments stay bootloader --append's string (the kargs module splits it). Must not print,
 * must not touch disks, and never runs a script: %pre and %post bodies are only text here.
 *
 * The grammar is pykickstart's (https://github.com/pykickstart/pykickstart, 3.74), at its
 * newest syntax version, Fedora 45 (DEVEL), not RHEL's: RHEL refuses btrfs, Fedora does not.
 *  - Lines end as Python's str.splitlines() ends them (\n, \r\n, \r, \v, \f, \x1c-\x1e,
 *    U+0085, U+2028, U+2029); a file must be UTF-8, as pykickstart decodes it.
 *  - A command line is split with shlex.split(line, comments=True): POSIX quoting, '#'
 *    starts a comment wherever a word could continue outside quotes (`rootpw abc#def` is the
 *    password "abc"), a backslash escapes any character outside quotes and only '"' and '\'
 *    inside double quotes, nothing inside single quotes. There is no line continuation: a
 *    backslash at the end of a line is an error here (pykickstart fails on it too).
 *  - Options are argparse's: --opt=value and --opt value, a unique prefix of an option
 *    (--app for --append), later options win; a value that looks like an option
 *    (--append -x) is missing, --append=-x is not.
 *  - Sections (%pre, %pre-install, %post, %onerror, %traceback, %packages, %certificate,
 *    %addon, %anaconda) must end with %end. Blank and comment lines of a script are kept.
 *  - %include FILE reads FILE in place, in commands and inside sections (an included script
 *    loses its file's leading blank and comment lines, a shebang too, as in pykickstart,
 *    whose command loop reads them before the section does). A relative FILE is
 *    relative to the including file (pykickstart first tries the current directory: berth
 *    does not, so the result never depends on where berth runs). Cycles and nesting deeper
 *    than BERTH_KICKSTART_MAX_INCLUDE_DEPTH are errors; URLs are refused (berth fetches
 *    nothing while reading a kickstart); %ksappend is refused for the same reason.
 *  - Conflicts are pykickstart's (ostreecontainer with ostreesetup or bootc, autopart with
 *    part, reqpart, raid, volgroup or logvol, ...). Where pykickstart only warns that a
 *    partition, user, group, ssh key or network device is defined twice, berth refuses, as
 *    Anaconda does with inst.ksstrict and pykickstart's own tests do: which one was meant is
 *    not berth's to guess. A single-use command given twice is merged as pykickstart merges
 *    it (the later line's options over the earlier's), with a warning.
 *
 * Every error about a file's contents is BERTH_ERROR_INVALID_ARGUMENT and reads "FILE:LINE:
 * what is wrong: what would fix it" ("FILE: ..." for what is missing from the whole file). A
 * main file that cannot be read keeps its errno's code (NOT_FOUND, ...); an included file
 * must be a regular file, and all of them together at most BERTH_KICKSTART_MAX_SIZE.
 */
#pragma once

#include "util/util.h"

G_BEGIN_DECLS

/* Nesting of %include (pykickstart has no limit but Python's recursion). */
#define BERTH_KICKSTART_MAX_INCLUDE_DEPTH 16
/* A kickstart is a text file of a few kilobytes; 16 MiB of them (all %includes together)
 * is a mistake or an attack, not a kickstart. */
#define BERTH_KICKSTART_MAX_SIZE (16 * 1024 * 1024)

typedef enum
{
  BERTH_KICKSTART_FLAGS_NONE = 0,
  /* Unknown commands (and, for berth_kickstart_check_installable, commands berth does not
   * carry out) become warnings instead of errors. */
  BERTH_KICKSTART_IGNORE_UNKNOWN = 1 << 0,
  /* A missing %include file is a warning (pykickstart's missingIncludeIsFatal=False, what
   * Anaconda uses before %pre has run and written it). */
  BERTH_KICKSTART_MISSING_INCLUDE_OK = 1 << 1,
} BerthKickstartFlags;

/* Where something was read. @file is owned by the BerthKickstart. */
typedef struct
{
  const char *file;
  guint line;
} BerthKickstartLocation;

/* ---- single-use commands ---------------------------------------------------------------- */

/* Strings are NULL when the option was not given (Python's None); "" when given empty.
 * String lists (pykickstart's commaSplit) are NULL-terminated, NULL when not given. */

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *url;       /* the image: a reference without transport, or a path for oci/oci-archive */
  char *transport; /* --transport as written (registry, oci, oci-archive, ...), or NULL */
  char *stateroot; /* NULL: Anaconda uses "default" */
  char *remote;    /* as pykickstart sets it: --remote, else --stateroot */
  gboolean remote_given; /* --remote itself was written (berth verifies only with that) */
  gboolean no_signature_verification;
} BerthKickstartOstreeContainer;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *source_imgref; /* transport prefix and reference: registry:quay.io/x:y */
  char *target_imgref; /* the image upgrades follow; pykickstart: the source when not given */
  gboolean target_given;
  char *stateroot;  /* "default" when not given */
  char *bootloader; /* --bootloader (none, grub, systemd), or NULL */
  gboolean composefs;
} BerthKickstartBootc;

/* Recognised so it can be refused by name (berth installs container images). */
typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *osname, *remote, *url, *ref;
  gboolean nogpg;
} BerthKickstartOstreeSetup;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *url, *proxy, *checksum;
  gboolean noverifyssl;
} BerthKickstartLiveimg;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *append;   /* kernel arguments, as written */
  char *location; /* mbr (the default), partition, none, boot */
  char *password; /* never printed by berth */
  gboolean is_crypted;
  char **driveorder;
  gint64 timeout;
  gboolean has_timeout;
  char *default_entry;
  char *boot_drive;
  gboolean leavebootorder, extlinux, disabled, nombr, sdboot;
} BerthKickstartBootloader;

typedef enum
{
  BERTH_KICKSTART_CLEARPART_NOT_GIVEN, /* clearpart without --all/--linux/--none/--list */
  BERTH_KICKSTART_CLEARPART_LINUX,
  BERTH_KICKSTART_CLEARPART_ALL,
  BERTH_KICKSTART_CLEARPART_NONE,
  BERTH_KICKSTART_CLEARPART_LIST,
} BerthKickstartClearpartType;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  BerthKickstartClearpartType type;
  gboolean initlabel, cdl;
  char **drives;
  char **list; /* --list: partitions */
  char *disklabel;
} BerthKickstartClearpart;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char **drives;   /* --drives: disks to ignore */
  char **only_use; /* --only-use: the only disks to use */
} BerthKickstartIgnoredisk;

typedef enum
{
  BERTH_KICKSTART_AUTOPART_DEFAULT, /* no --type: Anaconda's default, LVM */
  BERTH_KICKSTART_AUTOPART_LVM,
  BERTH_KICKSTART_AUTOPART_BTRFS,
  BERTH_KICKSTART_AUTOPART_PLAIN,
  BERTH_KICKSTART_AUTOPART_THINP,
} BerthKickstartAutopartType;

/* "default", "lvm", "btrfs", "plain", "thinp". */
const char *berth_kickstart_autopart_type_to_string (BerthKickstartAutopartType type);

/* Encryption options of autopart and part. */
typedef struct
{
  gboolean encrypted;
  char *passphrase; /* never printed by berth */
  char *escrowcert;
  gboolean backuppassphrase;
  char *cipher, *luks_version, *pbkdf;
  gint64 pbkdf_memory, pbkdf_time, pbkdf_iterations;
  char *hw_passphrase;
} BerthKickstartEncryption;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  BerthKickstartAutopartType type;
  char *fstype;
  gboolean nohome, noboot, noswap, hibernation;
  BerthKickstartEncryption encryption;
} BerthKickstartAutopart;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  gboolean add_boot;
} BerthKickstartReqpart;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *password; /* never printed by berth; NULL with rootpw --lock alone */
  gboolean is_crypted, lock, allow_ssh;
} BerthKickstartRootpw;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *timezone; /* NULL: timezone --utc alone */
  gboolean utc, nontp;
  char **ntpservers;
} BerthKickstartTimezone;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *lang;
  char **addsupport;
} BerthKickstartLang;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char *keyboard; /* the old positional form, or NULL */
  char *vckeymap;
  char **xlayouts, **switch_options;
} BerthKickstartKeyboard;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  char **enabled, **disabled;
} BerthKickstartServices;

typedef enum
{
  BERTH_KICKSTART_SELINUX_NOT_GIVEN,
  BERTH_KICKSTART_SELINUX_DISABLED,
  BERTH_KICKSTART_SELINUX_ENFORCING,
  BERTH_KICKSTART_SELINUX_PERMISSIVE,
} BerthKickstartSelinux;

/* "not given", "disabled", "enforcing", "permissive". */
const char *berth_kickstart_selinux_to_string (BerthKickstartSelinux mode);

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  BerthKickstartSelinux mode;
} BerthKickstartSelinuxCommand;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  gboolean enabled; /* TRUE unless --disabled */
  gboolean use_system_defaults;
  char **ports, **trusts, **services, **remove_services;
} BerthKickstartFirewall;

typedef enum
{
  BERTH_KICKSTART_FINISH_REBOOT,   /* reboot */
  BERTH_KICKSTART_FINISH_SHUTDOWN, /* poweroff, shutdown */
  BERTH_KICKSTART_FINISH_HALT,     /* halt: wait for a key (Anaconda's default) */
} BerthKickstartFinish;

/* "reboot", "shutdown", "halt". */
const char *berth_kickstart_finish_to_string (BerthKickstartFinish action);

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  BerthKickstartFinish action;
  gboolean eject, kexec;
} BerthKickstartFinishCommand;

typedef enum
{
  BERTH_KICKSTART_DISPLAY_TEXT,
  BERTH_KICKSTART_DISPLAY_CMDLINE,
  BERTH_KICKSTART_DISPLAY_GRAPHICAL,
} BerthKickstartDisplay;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  BerthKickstartDisplay mode;
  gboolean non_interactive;
} BerthKickstartDisplayCommand;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  gboolean agreed;
} BerthKickstartEula;

typedef enum
{
  BERTH_KICKSTART_FIRSTBOOT_NOT_GIVEN,
  BERTH_KICKSTART_FIRSTBOOT_ENABLED,
  BERTH_KICKSTART_FIRSTBOOT_DISABLED,
  BERTH_KICKSTART_FIRSTBOOT_RECONFIG,
} BerthKickstartFirstbootMode;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where;
  BerthKickstartFirstbootMode mode;
} BerthKickstartFirstboot;

/* ---- commands given once per item --------------------------------------------------- */

typedef struct
{
  BerthKickstartLocation where;
  char *mountpoint; /* "/", "/boot", "/boot/efi", "/var", "swap", "biosboot", "prepboot",
                     * "raid.01", "pv.01", "btrfs.01", "none"; a path is normalised as
                     * Python's os.path.normpath does ("/boot/" is "/boot") */
  gint64 size;      /* MiB */
  gboolean has_size;
  gint64 max_size; /* MiB; 0 when not given */
  gboolean grow;
  char *fstype;    /* NULL: Anaconda's default for the mount point */
  gboolean format; /* FALSE with --noformat */
  char *ondisk, *onpart, *onbiosdisk;
  char *label, *fsoptions, *fsprofile, *mkfsoptions;
  gboolean asprimary, recommended, resize, hibernation;
  BerthKickstartEncryption encryption;
} BerthKickstartPartition;

typedef struct
{
  BerthKickstartLocation where;
  char *name;
  char *password; /* never printed by berth */
  gboolean is_crypted, lock;
  char **groups;
  char *homedir, *shell, *gecos;
  gint64 uid, gid;
  gboolean has_uid, has_gid;
} BerthKickstartUser;

typedef struct
{
  BerthKickstartLocation where;
  char *name;
  gint64 gid;
  gboolean has_gid;
} BerthKickstartGroup;

typedef struct
{
  BerthKickstartLocation where;
  char *username;
  char *key; /* an authorized_keys line */
} BerthKickstartSshkey;

typedef struct
{
  BerthKickstartLocation where;
  char **args; /* every option as written, after the command name */
  char *hostname, *device, *bootproto;
} BerthKickstartNetwork;

/* ---- sections ------------------------------------------------------------------------- */

typedef enum
{
  BERTH_KICKSTART_SCRIPT_PRE,
  BERTH_KICKSTART_SCRIPT_PRE_INSTALL,
  BERTH_KICKSTART_SCRIPT_POST,
  BERTH_KICKSTART_SCRIPT_ONERROR,
  BERTH_KICKSTART_SCRIPT_TRACEBACK,
} BerthKickstartScriptType;

/* "%pre", "%pre-install", "%post", "%onerror", "%traceback". */
const char *berth_kickstart_script_type_to_string (BerthKickstartScriptType type);

typedef struct
{
  BerthKickstartLocation where; /* the header line */
  BerthKickstartScriptType type;
  char *interpreter;  /* "/bin/sh" unless --interpreter */
  gboolean in_chroot; /* %post without --nochroot; never for the others */
  gboolean error_on_fail;
  char *log;  /* --log / --logfile, or NULL */
  char *body; /* every line between the header and %end, as read (with line ends) */
} BerthKickstartScript;

typedef struct
{
  gboolean seen;
  BerthKickstartLocation where; /* the first %packages header */
  char **packages, **excluded;  /* pykickstart's sets, sorted */
  char **groups;                /* "@NAME" lines, as written after '@' */
  char **excluded_groups;
  char *environment; /* @^NAME */
} BerthKickstartPackages;

/* ---- everything read, in order -------------------------------------------------------- */

typedef enum
{
  BERTH_KICKSTART_ELEMENT_COMMAND,
  BERTH_KICKSTART_ELEMENT_SECTION,
} BerthKickstartElementKind;

/* How berth treats a command pykickstart knows. */
typedef enum
{
  BERTH_KICKSTART_SUPPORT_PARSED,     /* read into the typed fields above */
  BERTH_KICKSTART_SUPPORT_INSTALLER,  /* sets up the installer only: no effect with berth */
  BERTH_KICKSTART_SUPPORT_SOURCE,     /* a package source: unused beside a container image */
  BERTH_KICKSTART_SUPPORT_NOT_DONE,   /* changes the installed system; berth does not (yet) */
  BERTH_KICKSTART_SUPPORT_DEPRECATED, /* pykickstart ignores it with a warning */
  BERTH_KICKSTART_SUPPORT_UNKNOWN,    /* not a kickstart command (kept with IGNORE_UNKNOWN) */
} BerthKickstartSupport;

typedef struct
{
  BerthKickstartElementKind kind;
  BerthKickstartLocation where;
  char *name;  /* "part", "%post", "%addon" */
  char **args; /* the words after the name, as split (a section's header options) */
  char *body;  /* a section's lines, as read; NULL for a command */
  BerthKickstartSupport support;
} BerthKickstartElement;

typedef struct
{
  GPtrArray *files; /* char *: every file read, the main one first (owns the names) */

  BerthKickstartOstreeContainer ostreecontainer;
  BerthKickstartBootc bootc;
  BerthKickstartOstreeSetup ostreesetup;
  BerthKickstartLiveimg liveimg;
  BerthKickstartBootloader bootloader;
  struct
  {
    gboolean seen;
    BerthKickstartLocation where;
  } zerombr;
  BerthKickstartClearpart clearpart;
  BerthKickstartIgnoredisk ignoredisk;
  BerthKickstartAutopart autopart;
  BerthKickstartReqpart reqpart;
  BerthKickstartRootpw rootpw;
  BerthKickstartTimezone timezone;
  BerthKickstartLang lang;
  BerthKickstartKeyboard keyboard;
  BerthKickstartServices services;
  BerthKickstartSelinuxCommand selinux;
  BerthKickstartFirewall firewall;
  BerthKickstartFinishCommand finish;
  BerthKickstartDisplayCommand display;
  BerthKickstartEula eula;
  BerthKickstartFirstboot firstboot;

  GPtrArray *partitions; /* BerthKickstartPartition *, in order */
  GPtrArray *users;      /* BerthKickstartUser * */
  GPtrArray *groups;     /* BerthKickstartGroup * */
  GPtrArray *sshkeys;    /* BerthKickstartSshkey * */
  GPtrArray *networks;   /* BerthKickstartNetwork * */
  GPtrArray *scripts;    /* BerthKickstartScript *, in order (empty bodies dropped, as
                          * pykickstart drops them) */
  BerthKickstartPackages packages;

  GPtrArray *elements; /* BerthKickstartElement *: every command and section, in order */
  GPtrArray *warnings; /* char *: "FILE:LINE: ..." */
} BerthKickstart;

void berth_kickstart_free (BerthKickstart *ks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKickstart, berth_kickstart_free)

/* Reads @path and the files it includes. */
BerthKickstart *berth_kickstart_parse_file (const char *path, BerthKickstartFlags flags,
                                            GError **error);

/* Reads @data (@len bytes; -1: NUL-terminated), named @filename in messages; a relative
 * %include is relative to @filename's directory. */
BerthKickstart *berth_kickstart_parse_data (const char *filename, const char *data, gssize len,
                                            BerthKickstartFlags flags, GError **error);

/* The check before installing: what berth refuses although pykickstart accepts it. Adds
 * warnings to @ks for what it skips. Refuses, naming the line and what to write instead:
 *  - no image: neither ostreecontainer nor bootc (ostreesetup and liveimg install other
 *    payloads; url, repo, cdrom, nfs, harddrive and hmc name package sources);
 *  - %packages beside a container image: the image is installed whole (Anaconda ignores
 *    the section silently; berth says so rather than drop what was asked for);
 *  - a command or section berth does not carry out (logvol, raid, realm, %certificate, ...),
 *    unless BERTH_KICKSTART_IGNORE_UNKNOWN (then a warning each);
 *  - a partition size below 1 MiB.
 * Skips with a warning: package sources beside an image (as Anaconda does), installer-only
 * commands (mediacheck, sshpw, ...), %addon and %anaconda sections (Anaconda passes an
 * addon only to a module that claims it; berth claims none). */
gboolean berth_kickstart_check_installable (BerthKickstart *ks, BerthKickstartFlags flags,
                                            GError **error);

/* The image's reference as berth reads it: "registry:quay.io/x:y", "oci:/srv/layout",
 * "oci-archive:/tmp/x.tar", from ostreecontainer (--transport, default registry, and --url) or
 * bootc (--source-imgref); NULL when neither is given. Free with g_free. */
char *berth_kickstart_get_image (const BerthKickstart *ks);
/* The stateroot: --stateroot, else "default" (Anaconda's and bootc's). */
const char *berth_kickstart_get_stateroot (const BerthKickstart *ks);

/* ---- written back as pykickstart writes it ------------------------------------------- */

/* The command @name (as written in a kickstart: "part", "reboot", ...) as pykickstart's
 * str() of its object gives it, without the comment line pykickstart puts first: what the
 * fixtures' "expected" strings hold ("bootloader --append=\"rhgb\" --location=mbr\n"). For a
 * command given once per item (part, user, group, sshkey) each item, one a line. "" when
 * pykickstart writes nothing; NULL when berth has no writer for @name. Secrets are written
 * as given: never show this to a user. */
char *berth_kickstart_command_to_string (const BerthKickstart *ks, const char *name);

/* Every command and section of @ks in the order read (includes expanded), one line each:
 * "NAME ARG..." with each argument quoted as a kickstart needs it, a section followed by
 * its body and %end. Parsing it again gives the same elements (what flattening an
 * %include does). */
char *berth_kickstart_elements_to_string (const BerthKickstart *ks);

G_END_DECLS
