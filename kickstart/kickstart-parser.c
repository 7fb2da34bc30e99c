/* kickstart: the file reader, pykickstart's KickstartParser state machine (parser.py:
 * _stateMachine, _readSection, _handleInclude) with %include as a stack of files. */
#include "kickstart/kickstart-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  char *path; /* as shown in messages: the name given, or the include resolved */
  char *dir;  /* for a relative %include in it */
  char *real; /* the canonical path, for cycles; NULL for data given in memory */
  char *data;
  gsize len;
  GArray *lines; /* KsLine */
  guint pos;
  /* Entered by an %include inside a section: pykickstart's _stateMachine reads the file's
   * first lines, dropping blank and comment ones, until one that _readSection then takes,
   * so a script loses its included file's leading blank and comment lines (a shebang too). */
  gboolean skip_leading;
  BerthKickstartLocation included_at;
} Source;

static void
source_free (Source *s)
{
  g_free (s->path);
  g_free (s->dir);
  g_free (s->real);
  g_free (s->data);
  if (s->lines != NULL)
    g_array_unref (s->lines);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Source, source_free)

typedef struct
{
  KsState state;
  GPtrArray *stack; /* Source *, the innermost last */
  gsize total;      /* bytes read, all files */
} Parser;

/* One line handed out by next_line. */
typedef struct
{
  BerthKickstartLocation where;
  char *text; /* without the line end, NUL-terminated */
  gsize len;
  const char *raw; /* with the line end, into the source's data */
  gsize raw_len;
  Source *source;
} Line;

static void
line_clear (Line *l)
{
  g_clear_pointer (&l->text, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Line, line_clear)

/* The file's name, kept for the BerthKickstart's lifetime (BerthKickstartLocation.file). */
static const char *
intern_file (BerthKickstart *ks, const char *path)
{
  for (guint i = 0; i < ks->files->len; i++)
    if (g_str_equal (ks->files->pdata[i], path))
      return ks->files->pdata[i];
  g_ptr_array_add (ks->files, g_strdup (path));
  return ks->files->pdata[ks->files->len - 1];
}

static gboolean
push_source (Parser *p, const char *path, const char *real, char *data, gsize len,
             const BerthKickstartLocation *included_at, gboolean in_section, GError **error)
{
  g_autoptr (Source) s = g_new0 (Source, 1);
  s->path = g_strdup (path);
  s->dir = g_path_get_dirname (path);
  s->real = g_strdup (real);
  s->data = data;
  s->len = len;
  s->skip_leading = in_section;
  if (included_at != NULL)
    s->included_at = *included_at;
  BerthKickstartLocation at = { intern_file (p->state.ks, path), 1 };

  p->total += len;
  if (p->total > BERTH_KICKSTART_MAX_SIZE)
    return ks_throw (error, &at,
                     "the kickstart and its includes are over %d MiB: a kickstart is a few "
                     "kilobytes of text; is this the right file?",
                     BERTH_KICKSTART_MAX_SIZE / (1024 * 1024));
  if (len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    return ks_throw (error, &at,
                     "the file starts with a byte order mark (U+FEFF), which pykickstart reads "
                     "as part of the first command: save the file without it");
  guint bad_line = 0;
  g_autofree char *problem = ks_check_text (data, len, &bad_line);
  if (problem != NULL)
    {
      at.line = bad_line;
      return ks_throw (error, &at, "%s", problem);
    }
  s->lines = ks_split_lines (data, len);
  g_ptr_array_add (p->stack, g_steal_pointer (&s));
  return TRUE;
}

/* The next line of the innermost file, leaving finished files. FALSE at the end of all. */
static gboolean
next_line (Parser *p, Line *out)
{
  while (p->stack->len > 0)
    {
      Source *s = p->stack->pdata[p->stack->len - 1];
      if (s->pos < s->lines->len)
        {
          const KsLine *l = &g_array_index (s->lines, KsLine, s->pos);
          s->pos++;
          out->where.file = intern_file (p->state.ks, s->path);
          out->where.line = s->pos;
          out->text = g_strndup (l->text, l->len);
          out->len = l->len;
          out->raw = l->text;
          out->raw_len = l->len + l->end_len;
          out->source = s;
          return TRUE;
        }
      g_ptr_array_remove_index (p->stack, p->stack->len - 1);
    }
  return FALSE;
}

static char **
split_words (const Line *l, gboolean comments, GError **error)
{
  g_autofree char *problem = NULL;
  char **argv = ks_shlex_split (l->text, l->len, comments, &problem);
  if (argv == NULL)
    ks_throw (error, &l->where, "%s", problem);
  return argv;
}

/* Reads @path, at most @limit bytes. An included file must be a regular file (a device such as
 * /dev/zero would never end); the main one may be a pipe (berth kickstart <(...)). */
static gboolean
read_file (const char *path, gboolean regular_only, gsize limit, char **out_data, gsize *out_len,
           GError **error)
{
  berth_autofd fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return berth_throw_errno (error, path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return berth_throw_errno (error, path);
  if (S_ISDIR (st.st_mode))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s is a directory, not a kickstart",
                        path);
  if (regular_only && !S_ISREG (st.st_mode))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "%s is not a regular file (a device or pipe is not included)", path);
  g_autoptr (GString) data = g_string_new (NULL);
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_throw_errno (error, path);
      if (n == 0)
        break;
      if (data->len + (gsize)n > limit)
        return berth_throw (error, BERTH_ERROR_TOO_LARGE,
                            "%s: the kickstart and its includes are over %d MiB: a kickstart is "
                            "a few kilobytes of text; is this the right file?",
                            path, BERTH_KICKSTART_MAX_SIZE / (1024 * 1024));
      g_string_append_len (data, buf, n);
    }
  *out_len = data->len;
  *out_data = g_string_free (g_steal_pointer (&data), FALSE);
  return TRUE;
}

/* ---- %include ------------------------------------------------------------------------ */

static gboolean
include_file (Parser *p, const Line *l, char **argv, gboolean in_section, GError **error)
{
  BerthKickstart *ks = p->state.ks;
  if (argv[1] == NULL || argv[1][0] == '\0')
    return ks_throw (error, &l->where, "%%include needs a file: %%include /path/to/part.ks");
  if (argv[2] != NULL)
    return ks_throw (error, &l->where,
                     "%%include takes one file, but '%s' follows it: remove it (quote a name "
                     "with spaces)",
                     argv[2]);
  const char *name = argv[1];
  if (strstr (name, "://") != NULL)
    return ks_throw (error, &l->where,
                     "%%include %s: berth fetches nothing while reading a kickstart: download "
                     "the file and %%include its local path",
                     name);
  if (p->stack->len > BERTH_KICKSTART_MAX_INCLUDE_DEPTH)
    return ks_throw (error, &l->where,
                     "%%include %s: includes nest more than %d deep: flatten some of them", name,
                     BERTH_KICKSTART_MAX_INCLUDE_DEPTH);
  Source *parent = p->stack->pdata[p->stack->len - 1];
  g_autofree char *path
    = g_path_is_absolute (name) ? g_strdup (name) : g_build_filename (parent->dir, name, NULL);

  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;
  if (!read_file (path, TRUE, BERTH_KICKSTART_MAX_SIZE - MIN (p->total, BERTH_KICKSTART_MAX_SIZE),
                  &data, &len, &local_error))
    {
      gboolean missing = g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
      if (missing && (p->state.flags & BERTH_KICKSTART_MISSING_INCLUDE_OK))
        {
          ks_warn (ks, &l->where, "%%include %s: %s does not exist (yet): skipped", name, path);
          return TRUE;
        }
      if (missing)
        return ks_throw (error, &l->where,
                         "%%include %s: %s does not exist%s; berth reads it before running "
                         "anything, so a file a %%pre script would write is not there yet: "
                         "give the file, or its contents in place",
                         name, path,
                         g_path_is_absolute (name) ? ""
                                                   : " (a relative name is read from the "
                                                     "including file's directory)");
      return ks_throw (error, &l->where, "%%include %s: %s", name, local_error->message);
    }
  char real[PATH_MAX];
  if (realpath (path, real) == NULL)
    return ks_throw (error, &l->where, "%%include %s: %s: %s", name, path, g_strerror (errno));
  for (guint i = 0; i < p->stack->len; i++)
    {
      const Source *s = p->stack->pdata[i];
      if (s->real != NULL && g_str_equal (s->real, real))
        {
          g_autoptr (GString) chain = g_string_new (NULL);
          for (guint j = i; j < p->stack->len; j++)
            g_string_append_printf (chain, "%s -> ", ((Source *)p->stack->pdata[j])->path);
          g_string_append (chain, path);
          return ks_throw (error, &l->where,
                           "%%include %s makes a cycle (%s): remove the %%include that leads "
                           "back",
                           name, chain->str);
        }
    }
  return push_source (p, path, real, g_steal_pointer (&data), len, &l->where, in_section, error);
}

/* ---- sections ------------------------------------------------------------------------ */

typedef enum
{
  SECTION_SCRIPT,
  SECTION_PACKAGES,
  SECTION_CERTIFICATE,
  SECTION_NULL, /* %addon, %anaconda: kept, not read */
} SectionKind;

static const struct
{
  const char *name;
  SectionKind kind;
  BerthKickstartScriptType script;
} sections[] = {
  { "%pre", SECTION_SCRIPT, BERTH_KICKSTART_SCRIPT_PRE },
  { "%pre-install", SECTION_SCRIPT, BERTH_KICKSTART_SCRIPT_PRE_INSTALL },
  { "%post", SECTION_SCRIPT, BERTH_KICKSTART_SCRIPT_POST },
  { "%onerror", SECTION_SCRIPT, BERTH_KICKSTART_SCRIPT_ONERROR },
  { "%traceback", SECTION_SCRIPT, BERTH_KICKSTART_SCRIPT_TRACEBACK },
  { "%packages", SECTION_PACKAGES },
  { "%certificate", SECTION_CERTIFICATE },
  { "%addon", SECTION_NULL },
  { "%anaconda", SECTION_NULL },
};

static int
find_section (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (sections); i++)
    if (g_str_equal (sections[i].name, name))
      return (int)i;
  return -1;
}

/* The first word of @text as Python's str.split() finds it. */
static char *
first_word (const char *text)
{
  const char *p = text;
  while (*p != '\0' && g_ascii_isspace (*p))
    p++;
  const char *e = p;
  while (*e != '\0' && !g_ascii_isspace (*e))
    e++;
  return g_strndup (p, (gsize)(e - p));
}

static gboolean
all_space (const char *text)
{
  return ks_line_is_blank_or_comment (text, strlen (text)) && strchr (text, '#') == NULL;
}

/* Reads a section's body up to its %end (pykickstart's _readSection). */
static gboolean
read_section (Parser *p, int section, const BerthKickstartLocation *header,
              BerthKickstartElement *element, BerthKickstartScript *script, GError **error)
{
  SectionKind kind = sections[section].kind;
  const char *name = sections[section].name;
  gboolean all_lines = kind != SECTION_PACKAGES;
  guint depth = p->stack->len; /* the file the section opens in */
  g_autoptr (GString) body = g_string_new (NULL);
  g_auto (Line) l = { 0 };

  for (;;)
    {
      line_clear (&l);
      if (!next_line (p, &l))
        return ks_throw (error, header,
                         "%s has no %%end: add %%end after its last line (kickstart needs it "
                         "since Fedora 8)",
                         name);
      if (p->stack->len < depth)
        return ks_throw (error, header,
                         "%s is not closed before the end of the included file it opens in: "
                         "add %%end there",
                         name);
      gboolean blank = ks_line_is_blank_or_comment (l.text, l.len);
      if (l.source->skip_leading)
        {
          if (blank)
            continue;
          l.source->skip_leading = FALSE;
        }
      if (blank && !all_lines)
        continue;

      const char *stripped = l.text;
      while (*stripped != '\0' && g_ascii_isspace (*stripped))
        stripped++;
      if (*stripped == '%')
        {
          g_autofree char *word = first_word (l.text);
          gboolean special = g_str_equal (word, "%end") || g_str_equal (word, "%include");
          if (special || find_section (word) >= 0)
            {
              g_auto (GStrv) argv = split_words (&l, FALSE, error);
              if (argv == NULL)
                return FALSE;
              if (g_str_equal (argv[0], "%end"))
                break;
              if (g_str_equal (argv[0], "%include"))
                {
                  if (!include_file (p, &l, argv, TRUE, error))
                    return FALSE;
                  continue;
                }
              return ks_throw (error, header,
                               "%s has no %%end before %s at %s:%u: add %%end above that line "
                               "(kickstart needs it since Fedora 8)",
                               name, argv[0], l.where.file, l.where.line);
            }
        }
      /* a line of the section */
      if (kind == SECTION_PACKAGES)
        {
          if (!ks_packages_add_line (&p->state, &l.where, l.text, error))
            return FALSE;
        }
      g_string_append_len (body, l.raw, (gssize)l.raw_len);
    }

  element->body = g_strdup (body->str);
  if (kind == SECTION_SCRIPT)
    {
      /* ScriptSection.finalize: a script of blank lines is dropped */
      if (!all_space (body->str))
        {
          BerthKickstartScript *s = g_new0 (BerthKickstartScript, 1);
          *s = *script;
          s->interpreter = g_strdup (script->interpreter);
          s->log = g_strdup (script->log);
          s->body = g_strdup (body->str);
          g_ptr_array_add (p->state.ks->scripts, s);
        }
    }
  return TRUE;
}

static gboolean
handle_section (Parser *p, const Line *l, char **argv, BerthKickstartElement *element,
                GError **error)
{
  if (g_str_equal (argv[0], "%end"))
    return ks_throw (error, &l->where, "%%end without a section to close: remove it");
  int section = find_section (argv[0]);
  if (section < 0)
    return ks_throw (error, &l->where,
                     "unknown section %s: kickstart's sections are %%pre, %%pre-install, "
                     "%%post, %%onerror, %%traceback, %%packages, %%certificate, %%addon and "
                     "%%anaconda; correct the name",
                     argv[0]);
  BerthKickstartScript script = { 0 };
  gboolean ok = TRUE;
  switch (sections[section].kind)
    {
    case SECTION_SCRIPT:
      ok = ks_parse_script_header (&p->state, &l->where, sections[section].script, argv, &script,
                                   error);
      element->support = BERTH_KICKSTART_SUPPORT_PARSED;
      break;
    case SECTION_PACKAGES:
      ok = ks_parse_packages_header (&p->state, &l->where, argv, error);
      element->support = BERTH_KICKSTART_SUPPORT_PARSED;
      break;
    case SECTION_CERTIFICATE:
      ok = ks_parse_certificate_header (&p->state, &l->where, argv, error);
      element->support = BERTH_KICKSTART_SUPPORT_NOT_DONE;
      break;
    case SECTION_NULL:
      element->support = BERTH_KICKSTART_SUPPORT_NOT_DONE;
      break;
    }
  if (ok)
    ok = read_section (p, section, &l->where, element, &script, error);
  g_free (script.interpreter);
  g_free (script.log);
  return ok;
}

/* ---- the state machine ------------------------------------------------------------------ */

static gboolean
run (Parser *p, GError **error)
{
  BerthKickstart *ks = p->state.ks;
  g_auto (Line) l = { 0 };
  gboolean ok = TRUE;
  while (ok)
    {
      line_clear (&l);
      if (!next_line (p, &l))
        break;
      l.source->skip_leading = FALSE;
      if (ks_line_is_blank_or_comment (l.text, l.len))
        continue;
      g_auto (GStrv) argv = split_words (&l, TRUE, error);
      if (argv == NULL)
        {
          ok = FALSE;
          break;
        }
      if (argv[0] == NULL)
        continue;
      if (g_str_equal (argv[0], "%include"))
        {
          ok = include_file (p, &l, argv, FALSE, error);
          continue;
        }
      if (g_str_equal (argv[0], "%ksappend"))
        {
          ok = ks_throw (error, &l.where,
                         "%%ksappend fetches a URL before parsing, which berth does not do: "
                         "download the file and %%include its local path");
          continue;
        }
      BerthKickstartElement *e = g_new0 (BerthKickstartElement, 1);
      e->where = l.where;
      e->name = g_strdup (argv[0]);
      e->args = g_strdupv (argv + 1);
      g_ptr_array_add (ks->elements, e);
      if (argv[0][0] == '%')
        {
          e->kind = BERTH_KICKSTART_ELEMENT_SECTION;
          ok = handle_section (p, &l, argv, e, error);
        }
      else
        {
          e->kind = BERTH_KICKSTART_ELEMENT_COMMAND;
          ok = ks_dispatch_command (&p->state, &l.where, argv, e, error);
        }
    }
  if (ok)
    ks_packages_finish (ks);
  return ok;
}

static BerthKickstart *
kickstart_new (void)
{
  BerthKickstart *ks = g_new0 (BerthKickstart, 1);
  ks->files = g_ptr_array_new_with_free_func (g_free);
  ks->partitions = g_ptr_array_new_with_free_func ((GDestroyNotify)ks_partition_free);
  ks->users = g_ptr_array_new_with_free_func ((GDestroyNotify)ks_user_free);
  ks->groups = g_ptr_array_new_with_free_func ((GDestroyNotify)ks_group_free);
  ks->sshkeys = g_ptr_array_new_with_free_func ((GDestroyNotify)ks_sshkey_free);
  ks->networks = g_ptr_array_new_with_free_func ((GDestroyNotify)ks_network_free);
  ks->scripts = g_ptr_array_new_with_free_func ((GDestroyNotify)ks_script_free);
  ks->elements = g_ptr_array_new_with_free_func ((GDestroyNotify)ks_element_free);
  ks->warnings = g_ptr_array_new_with_free_func (g_free);
  /* pykickstart's initial values of what parse() only sets when given */
  ks->firewall.enabled = TRUE;
  return ks;
}

void
berth_kickstart_free (BerthKickstart *ks)
{
  if (ks == NULL)
    return;
  ks_commands_clear (ks);
  g_ptr_array_unref (ks->partitions);
  g_ptr_array_unref (ks->users);
  g_ptr_array_unref (ks->groups);
  g_ptr_array_unref (ks->sshkeys);
  g_ptr_array_unref (ks->networks);
  g_ptr_array_unref (ks->scripts);
  g_ptr_array_unref (ks->elements);
  g_ptr_array_unref (ks->warnings);
  g_ptr_array_unref (ks->files);
  g_free (ks);
}

static BerthKickstart *
parse (const char *filename, const char *real, char *data, gsize len, BerthKickstartFlags flags,
       GError **error)
{
  g_autoptr (BerthKickstart) ks = kickstart_new ();
  Parser p = { { ks, flags, NULL }, NULL, 0 };
  p.state.seen = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  p.stack = g_ptr_array_new_with_free_func ((GDestroyNotify)source_free);
  gboolean ok = push_source (&p, filename, real, data, len, NULL, FALSE, error) && run (&p, error);
  g_ptr_array_unref (p.stack);
  g_hash_table_unref (p.state.seen);
  return ok ? g_steal_pointer (&ks) : NULL;
}

BerthKickstart *
berth_kickstart_parse_data (const char *filename, const char *data, gssize len,
                            BerthKickstartFlags flags, GError **error)
{
  gsize n = len < 0 ? strlen (data) : (gsize)len;
  char *copy = g_malloc (n + 1);
  memcpy (copy, data, n);
  copy[n] = '\0';
  return parse (filename, NULL, copy, n, flags, error);
}

BerthKickstart *
berth_kickstart_parse_file (const char *path, BerthKickstartFlags flags, GError **error)
{
  char *data = NULL;
  gsize len = 0;
  if (!read_file (path, FALSE, BERTH_KICKSTART_MAX_SIZE, &data, &len, error))
    {
      g_prefix_error (error, "reading the kickstart: ");
      return NULL;
    }
  char real[PATH_MAX];
  const char *canonical = realpath (path, real) != NULL ? real : NULL;
  return parse (path, canonical, data, len, flags, error);
}
