/* kickstart: what the module's files share. Not for other modules. */
#pragma once

#include "kickstart/kickstart.h"

G_BEGIN_DECLS

/* ---- text (kickstart-lexer.c) ---------------------------------------------------------- */

/* One line of a file: its bytes (without the line end) and the line end itself. */
typedef struct
{
  const char *text; /* points into the file's data; not NUL-terminated */
  gsize len;
  gsize end_len; /* bytes of the line end after it: 0 for a last line without one */
} KsLine;

/* Splits @data as Python's str.splitlines() does. @data must be valid UTF-8. */
GArray *ks_split_lines (const char *data, gsize len);

/* NULL when @data is valid UTF-8 without NUL bytes; else a message naming the line. */
char *ks_check_text (const char *data, gsize len, guint *out_line);

/* Python's str.isspace() of the whole line (an empty line too), or its first non-space
 * character being '#' (pykickstart's _isBlankOrComment). */
gboolean ks_line_is_blank_or_comment (const char *text, gsize len);

/* shlex.split(@text, comments=@comments) in POSIX mode. On a syntax error returns NULL and
 * sets *@out_problem to what is wrong and how to fix it. */
char **ks_shlex_split (const char *text, gsize len, gboolean comments, char **out_problem);

/* A word quoted so that ks_shlex_split gives it back: as is when it needs no quotes. */
char *ks_shlex_quote (const char *word);

/* ---- options (kickstart-args.c): Python's argparse, as pykickstart's KSOptionParser ------- */

typedef enum
{
  KS_VALUE_NONE, /* Python's None */
  KS_VALUE_STRING,
  KS_VALUE_INT,
  KS_VALUE_BOOL,
  KS_VALUE_LIST, /* strings */
} KsValueKind;

typedef struct
{
  KsValueKind kind;
  char *s;
  gint64 i;
  gboolean b;
  GPtrArray *list; /* char * */
} KsValue;

typedef enum
{
  KS_ACT_STORE,        /* --opt VALUE: a string */
  KS_ACT_STORE_INT,    /* --opt VALUE: Python's int() */
  KS_ACT_STORE_SPLIT,  /* --opt a,b: pykickstart's commaSplit, replacing */
  KS_ACT_STORE_BOOL,   /* --opt yes|no|on|off|true|false|1|0: pykickstart's ksboolean */
  KS_ACT_TRUE,         /* store_true */
  KS_ACT_FALSE,        /* store_false */
  KS_ACT_CONST,        /* store_const of an int */
  KS_ACT_EXTEND_SPLIT, /* pykickstart's ExtendAction with commaSplit */
  KS_ACT_APPEND,       /* append a string */
  KS_ACT_APPEND_CONST, /* append_const of a string */
} KsAction;

/* How a value is transformed after it is read (argparse's type=). */
typedef enum
{
  KS_TYPE_PLAIN,
  KS_TYPE_MOUNTPOINT,   /* pykickstart's mountpoint(): os.path.normpath of a path */
  KS_TYPE_STRIP_DEV,    /* part --onpart: "/dev/sda1" is "sda1" */
  KS_TYPE_LOWER_CHOICE, /* lower-cased, then one of the choices (autopart --type) */
  KS_TYPE_PORTS,        /* firewall --port: "22" is "22:tcp" (pykickstart's firewall_port_cb) */
} KsType;

typedef struct
{
  const char *names[4]; /* "--fstype", "--type"; NULL-terminated */
  guint dest;
  KsAction action;
  gint64 const_int;
  const char *const_str;
  const char *const *choices; /* NULL-terminated, or NULL */
  gboolean required;
  gboolean deprecated; /* accepted with a warning and no effect */
  KsType type;
  const char *what; /* for messages: "a size in MiB" */
} KsOption;

typedef enum
{
  KS_NARGS_NONE, /* no positional argument */
  KS_NARGS_ONE,
  KS_NARGS_OPTIONAL, /* nargs='?' */
  KS_NARGS_ANY,      /* nargs='*' */
} KsNargs;

typedef struct
{
  const char *prog; /* for messages */
  const KsOption *options;
  guint n_options;
  guint n_dests;
  const KsValue *defaults; /* n_dests of them; NULL: all None */
  KsNargs nargs;
  guint positional_dest;
  const char *positional_name; /* "<mntpoint>", for messages */
  KsType positional_type;
  /* pykickstart's commands that call parse_known_args and refuse the extras themselves */
  gboolean known_args;
} KsParser;

/* One parse: the values by dest, and what argparse left over (parse_known_args). */
typedef struct
{
  KsValue *values;
  guint n_values;
  GPtrArray *extras;     /* char * */
  GPtrArray *deprecated; /* const char *: deprecated options given */
  GPtrArray *given;      /* const char *: the option names given (canonical spelling) */
} KsParsed;

void ks_parsed_free (KsParsed *parsed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KsParsed, ks_parsed_free)

/* Parses @argv (the words after the command name) with @parser. @where prefixes errors
 * ("FILE:LINE"). */
KsParsed *ks_parse_args (const KsParser *parser, const char *const *argv, const char *where,
                         GError **error);

gboolean ks_value_is_none (const KsValue *v);
void ks_value_clear (KsValue *v);
/* The list as a NULL-terminated copy. */
char **ks_value_dup_strv (const KsValue *v);

/* Python's int() of a string: surrounding whitespace, a sign, digits with single '_'
 * between them. */
gboolean ks_parse_python_int (const char *text, gint64 *out_value);
/* Python's os.path.normpath for POSIX paths. */
char *ks_normpath (const char *path);
/* pykickstart's commaSplit: split at ',', strip each, drop the empty ones. */
GPtrArray *ks_comma_split (const char *text);

/* ---- commands (kickstart-commands.c) ---------------------------------------------------- */

typedef struct _KsState KsState;

/* The state the parser keeps besides the BerthKickstart. */
struct _KsState
{
  BerthKickstart *ks;
  BerthKickstartFlags flags;
  GHashTable *seen; /* command group name -> BerthKickstartLocation * (first seen) */
};

/* Dispatches one command line (@argv[0] is the command). @where: "FILE:LINE". */
gboolean ks_dispatch_command (KsState *state, const BerthKickstartLocation *where, char **argv,
                              BerthKickstartElement *element, GError **error);

/* What berth does with the command @name, and the reason for messages; NULL when @name is no
 * kickstart command. */
gboolean ks_command_lookup (const char *name, BerthKickstartSupport *out_support,
                            const char **out_reason);

/* Section headers (kickstart-commands.c too: they are option parsers like the commands). */
gboolean ks_parse_script_header (KsState *state, const BerthKickstartLocation *where,
                                 BerthKickstartScriptType type, char **argv,
                                 BerthKickstartScript *script, GError **error);
gboolean ks_parse_packages_header (KsState *state, const BerthKickstartLocation *where, char **argv,
                                   GError **error);
gboolean ks_parse_certificate_header (KsState *state, const BerthKickstartLocation *where,
                                      char **argv, GError **error);
/* One line of a %packages body. */
gboolean ks_packages_add_line (KsState *state, const BerthKickstartLocation *where,
                               const char *line, GError **error);
/* Sorts the package lists at the end, as pykickstart keeps them. */
void ks_packages_finish (BerthKickstart *ks);

/* "FILE:LINE" */
char *ks_where (const BerthKickstartLocation *where);

/* Adds "FILE:LINE: MESSAGE" to @ks's warnings. */
void ks_warn (BerthKickstart *ks, const BerthKickstartLocation *where, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);

/* A GError "FILE:LINE: MESSAGE", BERTH_ERROR_INVALID_ARGUMENT; returns FALSE. */
gboolean ks_throw (GError **error, const BerthKickstartLocation *where, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);

void ks_partition_free (BerthKickstartPartition *p);
void ks_user_free (BerthKickstartUser *u);
void ks_group_free (BerthKickstartGroup *g);
void ks_sshkey_free (BerthKickstartSshkey *k);
void ks_network_free (BerthKickstartNetwork *n);
void ks_script_free (BerthKickstartScript *s);
void ks_element_free (BerthKickstartElement *e);
void ks_encryption_clear (BerthKickstartEncryption *e);
void ks_commands_clear (BerthKickstart *ks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKickstartPartition, ks_partition_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKickstartUser, ks_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKickstartGroup, ks_group_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKickstartSshkey, ks_sshkey_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthKickstartNetwork, ks_network_free)

G_END_DECLS
