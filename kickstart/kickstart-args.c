/* kickstart: command options, read as Python's argparse reads them for pykickstart's
 * KSOptionParser (Python 3.11's Lib/argparse.py: _parse_optional, _get_option_tuples,
 * consume_optional, consume_positionals). What berth keeps of it:
 *  - a word is an option when it is one of the parser's names, NAME=VALUE, or a unique
 *    prefix of one (--app for --append; a prefix of two names is ambiguous, even of two
 *    spellings of one option: pykickstart refuses `part --ond=sda`);
 *  - "-5" and "-1.5" are values, not options (no option looks like a negative number), and so
 *    is any word with a space in it; any other word starting with '-' is an option, known or
 *    not, so `--append -x` lacks its value;
 *  - after "--" every word is positional;
 *  - positionals are taken between options in argparse's order, so `part / /home` leaves
 *    "/home" over and `timezone --utc Asia/Tokyo` still finds its zone. */
#include "kickstart/kickstart-private.h"

#include <string.h>

gboolean
ks_value_is_none (const KsValue *v)
{
  return v->kind == KS_VALUE_NONE;
}

void
ks_value_clear (KsValue *v)
{
  g_clear_pointer (&v->s, g_free);
  g_clear_pointer (&v->list, g_ptr_array_unref);
  v->kind = KS_VALUE_NONE;
  v->i = 0;
  v->b = FALSE;
}

static void
value_copy (KsValue *dst, const KsValue *src)
{
  ks_value_clear (dst);
  dst->kind = src->kind;
  dst->s = g_strdup (src->s);
  dst->i = src->i;
  dst->b = src->b;
  if (src->list != NULL)
    {
      dst->list = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < src->list->len; i++)
        g_ptr_array_add (dst->list, g_strdup (src->list->pdata[i]));
    }
}

char **
ks_value_dup_strv (const KsValue *v)
{
  if (v->kind != KS_VALUE_LIST || v->list == NULL)
    return NULL;
  char **out = g_new0 (char *, v->list->len + 1);
  for (guint i = 0; i < v->list->len; i++)
    out[i] = g_strdup (v->list->pdata[i]);
  return out;
}

void
ks_parsed_free (KsParsed *parsed)
{
  if (parsed == NULL)
    return;
  for (guint i = 0; i < parsed->n_values; i++)
    ks_value_clear (&parsed->values[i]);
  g_free (parsed->values);
  g_ptr_array_unref (parsed->extras);
  g_ptr_array_unref (parsed->deprecated);
  g_ptr_array_unref (parsed->given);
  g_free (parsed);
}

/* ---- Python's conversions ------------------------------------------------------------ */

/* Python's str.strip() whitespace in int(): ASCII is all a kickstart number needs. */
static gboolean
int_space (char c)
{
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

gboolean
ks_parse_python_int (const char *text, gint64 *out_value)
{
  const char *p = text;
  while (int_space (*p))
    p++;
  gboolean negative = FALSE;
  if (*p == '+' || *p == '-')
    negative = *p++ == '-';
  if (!g_ascii_isdigit (*p))
    return FALSE;
  guint64 value = 0;
  /* 2^63 is enough for any size in MiB; bigger numbers are refused rather than wrapped */
  const guint64 limit = (guint64)G_MAXINT64 + (negative ? 1 : 0);
  for (;;)
    {
      if (g_ascii_isdigit (*p))
        {
          guint digit = (guint)(*p - '0');
          if (value > (limit - digit) / 10)
            return FALSE;
          value = value * 10 + digit;
          p++;
        }
      else if (*p == '_' && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[-1]))
        p++;
      else
        break;
    }
  while (int_space (*p))
    p++;
  if (*p != '\0')
    return FALSE;
  *out_value = negative ? (gint64)(0 - value) : (gint64)value;
  return TRUE;
}

char *
ks_normpath (const char *path)
{
  if (*path == '\0')
    return g_strdup (".");
  /* POSIX keeps exactly two leading slashes; one or three and more become one */
  gsize initial = 0;
  if (path[0] == '/')
    initial = (path[1] == '/' && path[2] != '/') ? 2 : 1;
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();
  for (char **c = parts; *c != NULL; c++)
    {
      if (**c == '\0' || g_str_equal (*c, "."))
        continue;
      if (g_str_equal (*c, "..") && !(initial == 0 && kept->len == 0)
          && !(kept->len > 0 && g_str_equal (kept->pdata[kept->len - 1], "..")))
        {
          if (kept->len > 0)
            g_ptr_array_remove_index (kept, kept->len - 1);
          continue;
        }
      g_ptr_array_add (kept, *c);
    }
  GString *out = g_string_new (NULL);
  for (gsize i = 0; i < initial; i++)
    g_string_append_c (out, '/');
  for (guint i = 0; i < kept->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, '/');
      g_string_append (out, kept->pdata[i]);
    }
  if (out->len == 0)
    g_string_append_c (out, '.');
  return g_string_free (out, FALSE);
}

GPtrArray *
ks_comma_split (const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  for (char **p = parts; *p != NULL; p++)
    {
      /* Python's str.strip() */
      const char *s = *p;
      const char *e = s + strlen (s);
      while (s < e && int_space (*s))
        s++;
      while (e > s && int_space (e[-1]))
        e--;
      if (e > s)
        g_ptr_array_add (out, g_strndup (s, (gsize)(e - s)));
    }
  return out;
}

/* ---- words --------------------------------------------------------------------------- */

typedef enum
{
  WORD_POSITIONAL, /* 'A' */
  WORD_OPTION,     /* 'O' */
  WORD_DASHDASH,   /* '-': "--" */
} WordKind;

typedef struct
{
  WordKind kind;
  const KsOption *option; /* NULL for an unknown option */
  const char *name;       /* the spelling matched */
  char *explicit_value;   /* after '=', or NULL */
} Word;

static gboolean
option_has_name (const KsOption *o, const char *name)
{
  for (guint n = 0; n < G_N_ELEMENTS (o->names) && o->names[n] != NULL; n++)
    if (g_str_equal (o->names[n], name))
      return TRUE;
  return FALSE;
}

static const KsOption *
find_option (const KsParser *parser, const char *name)
{
  for (guint i = 0; i < parser->n_options; i++)
    if (option_has_name (&parser->options[i], name))
      return &parser->options[i];
  return NULL;
}

/* "--fstype/--type": every spelling, for messages. */
static char *
option_names (const KsOption *o)
{
  GString *s = g_string_new (NULL);
  for (guint n = 0; n < G_N_ELEMENTS (o->names) && o->names[n] != NULL; n++)
    g_string_append_printf (s, "%s%s", n > 0 ? "/" : "", o->names[n]);
  return g_string_free (s, FALSE);
}

/* Every option of @parser, for "what would fix it". */
static char *
all_option_names (const KsParser *parser)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < parser->n_options; i++)
    {
      if (parser->options[i].deprecated)
        continue;
      for (guint n = 0;
           n < G_N_ELEMENTS (parser->options[i].names) && parser->options[i].names[n] != NULL; n++)
        g_string_append_printf (s, "%s%s", s->len > 0 ? ", " : "", parser->options[i].names[n]);
    }
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

static gboolean
looks_like_negative_number (const char *s)
{
  /* argparse's '^-\d+$|^-\d*\.\d+$' */
  if (s[0] != '-')
    return FALSE;
  const char *p = s + 1;
  const char *digits = p;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '\0')
    return p > digits;
  if (*p != '.')
    return FALSE;
  p++;
  const char *frac = p;
  while (g_ascii_isdigit (*p))
    p++;
  return *p == '\0' && p > frac;
}

static gboolean
classify (const KsParser *parser, const char *arg, Word *out, const char *where, GError **error)
{
  out->kind = WORD_POSITIONAL;
  if (arg[0] != '-' || arg[1] == '\0')
    return TRUE;
  const KsOption *o = find_option (parser, arg);
  if (o != NULL)
    {
      out->kind = WORD_OPTION;
      out->option = o;
      out->name = arg;
      return TRUE;
    }
  const char *eq = strchr (arg, '=');
  g_autofree char *prefix = eq ? g_strndup (arg, (gsize)(eq - arg)) : g_strdup (arg);
  if (eq != NULL && (o = find_option (parser, prefix)) != NULL)
    {
      out->kind = WORD_OPTION;
      out->option = o;
      out->name = o->names[0];
      for (guint n = 0; n < G_N_ELEMENTS (o->names) && o->names[n] != NULL; n++)
        if (g_str_equal (o->names[n], prefix))
          out->name = o->names[n];
      out->explicit_value = g_strdup (eq + 1);
      return TRUE;
    }
  /* abbreviations: every spelling that starts with the prefix (argparse counts two spellings
   * of one option twice) */
  if (g_str_has_prefix (prefix, "--"))
    {
      g_autoptr (GPtrArray) matches = g_ptr_array_new ();
      const KsOption *match = NULL;
      const char *match_name = NULL;
      for (guint i = 0; i < parser->n_options; i++)
        for (guint n = 0;
             n < G_N_ELEMENTS (parser->options[i].names) && parser->options[i].names[n] != NULL;
             n++)
          if (g_str_has_prefix (parser->options[i].names[n], prefix))
            {
              g_ptr_array_add (matches, (gpointer)parser->options[i].names[n]);
              match = &parser->options[i];
              match_name = parser->options[i].names[n];
            }
      if (matches->len > 1)
        {
          g_ptr_array_add (matches, NULL);
          g_autofree char *list = g_strjoinv (", ", (char **)matches->pdata);
          return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                              "%s: %s: ambiguous option %s: it could be %s; write the whole "
                              "option name",
                              where, parser->prog, prefix, list);
        }
      if (matches->len == 1)
        {
          out->kind = WORD_OPTION;
          out->option = match;
          out->name = match_name;
          out->explicit_value = eq ? g_strdup (eq + 1) : NULL;
          return TRUE;
        }
    }
  if (looks_like_negative_number (arg) || strchr (arg, ' ') != NULL)
    return TRUE;
  out->kind = WORD_OPTION; /* unknown */
  out->name = arg;
  return TRUE;
}

/* ---- values -------------------------------------------------------------------------- */

static gboolean
takes_value (const KsOption *o)
{
  switch (o->action)
    {
    case KS_ACT_STORE:
    case KS_ACT_STORE_INT:
    case KS_ACT_STORE_SPLIT:
    case KS_ACT_STORE_BOOL:
    case KS_ACT_EXTEND_SPLIT:
    case KS_ACT_APPEND:
      return TRUE;
    default:
      return FALSE;
    }
}

static char *
apply_type (KsType type, const char *value)
{
  switch (type)
    {
    case KS_TYPE_MOUNTPOINT:
      return value[0] == '/' ? ks_normpath (value) : g_strdup (value);
    case KS_TYPE_STRIP_DEV:
      return g_strdup (g_str_has_prefix (value, "/dev/") ? value + 5 : value);
    default:
      return g_strdup (value);
    }
}

static gboolean
take_option (const KsParser *parser, const KsOption *o, const char *name, const char *value,
             KsParsed *parsed, const char *where, GError **error)
{
  KsValue *v = &parsed->values[o->dest];
  g_autofree char *lowered = NULL;
  if (o->type == KS_TYPE_LOWER_CHOICE && value != NULL)
    value = lowered = g_utf8_strdown (value, -1);
  if (o->choices != NULL && value != NULL && !g_strv_contains (o->choices, value))
    {
      g_autofree char *list = g_strjoinv (", ", (char **)o->choices);
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                          "%s: %s %s: '%s' is not one of its choices: write one of %s", where,
                          parser->prog, name, value, list);
    }
  switch (o->action)
    {
    case KS_ACT_STORE:
      ks_value_clear (v);
      v->kind = KS_VALUE_STRING;
      v->s = apply_type (o->type, value);
      break;
    case KS_ACT_STORE_INT:
      {
        gint64 n;
        if (!ks_parse_python_int (value, &n))
          return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                              "%s: %s %s takes a whole number%s%s%s, not '%s': write it in "
                              "decimal digits",
                              where, parser->prog, name, o->what ? " (" : "",
                              o->what ? o->what : "", o->what ? ")" : "", value);
        ks_value_clear (v);
        v->kind = KS_VALUE_INT;
        v->i = n;
        break;
      }
    case KS_ACT_STORE_SPLIT:
      ks_value_clear (v);
      v->kind = KS_VALUE_LIST;
      v->list = ks_comma_split (value);
      break;
    case KS_ACT_STORE_BOOL:
      {
        g_autofree char *lower = g_ascii_strdown (value, -1);
        gboolean b;
        if (g_strv_contains ((const char *const[]){ "on", "yes", "true", "1", NULL }, lower))
          b = TRUE;
        else if (g_strv_contains ((const char *const[]){ "off", "no", "false", "0", NULL }, lower))
          b = FALSE;
        else
          return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                              "%s: %s %s takes yes or no (on/off, true/false, 1/0), not '%s'",
                              where, parser->prog, name, value);
        ks_value_clear (v);
        v->kind = KS_VALUE_BOOL;
        v->b = b;
        break;
      }
    case KS_ACT_TRUE:
    case KS_ACT_FALSE:
      ks_value_clear (v);
      v->kind = KS_VALUE_BOOL;
      v->b = o->action == KS_ACT_TRUE;
      break;
    case KS_ACT_CONST:
      ks_value_clear (v);
      v->kind = KS_VALUE_INT;
      v->i = o->const_int;
      break;
    case KS_ACT_EXTEND_SPLIT:
    case KS_ACT_APPEND:
    case KS_ACT_APPEND_CONST:
      if (v->kind != KS_VALUE_LIST)
        {
          ks_value_clear (v);
          v->kind = KS_VALUE_LIST;
          v->list = g_ptr_array_new_with_free_func (g_free);
        }
      if (o->action == KS_ACT_EXTEND_SPLIT && o->type == KS_TYPE_PORTS)
        {
          /* firewall_port_cb: no empty parts dropped, "PORT" is "PORT:tcp" */
          g_auto (GStrv) parts = g_strsplit (value, ",", -1);
          for (char **p = parts; *p != NULL; p++)
            {
              g_strstrip (*p);
              g_ptr_array_add (v->list,
                               strchr (*p, ':') ? g_strdup (*p) : g_strdup_printf ("%s:tcp", *p));
            }
        }
      else if (o->action == KS_ACT_EXTEND_SPLIT)
        {
          g_autoptr (GPtrArray) parts = ks_comma_split (value);
          for (guint i = 0; i < parts->len; i++)
            g_ptr_array_add (v->list, g_strdup (parts->pdata[i]));
        }
      else
        g_ptr_array_add (v->list, g_strdup (o->action == KS_ACT_APPEND ? value : o->const_str));
      break;
    }
  if (o->deprecated)
    g_ptr_array_add (parsed->deprecated, (gpointer)o->names[0]);
  g_ptr_array_add (parsed->given, (gpointer)o->names[0]);
  return TRUE;
}

/* ---- the parse ----------------------------------------------------------------------- */

typedef struct
{
  const KsParser *parser;
  const char *const *argv;
  Word *words;
  guint n;
  KsParsed *parsed;
  gboolean positional_pending;
  const char *where;
} Parse;

/* How many words from @start a positional of @nargs takes (argparse's nargs patterns:
 * ONE '-*A-*', OPTIONAL '-*A?-*', ANY '-*[A-]*'); -1 when it does not match. */
static int
match_positional (const Parse *ps, guint start)
{
  guint i = start;
  while (i < ps->n && ps->words[i].kind == WORD_DASHDASH)
    i++;
  switch (ps->parser->nargs)
    {
    case KS_NARGS_ONE:
    case KS_NARGS_OPTIONAL:
      if (i < ps->n && ps->words[i].kind == WORD_POSITIONAL)
        i++;
      else if (ps->parser->nargs == KS_NARGS_ONE)
        return -1;
      while (i < ps->n && ps->words[i].kind == WORD_DASHDASH)
        i++;
      break;
    case KS_NARGS_ANY:
      while (i < ps->n && ps->words[i].kind != WORD_OPTION)
        i++;
      break;
    case KS_NARGS_NONE:
      return -1;
    }
  return (int)(i - start);
}

static guint
consume_positionals (Parse *ps, guint start)
{
  if (!ps->positional_pending)
    return start;
  int count = match_positional (ps, start);
  if (count < 0)
    return start;
  ps->positional_pending = FALSE;
  KsValue *v = &ps->parsed->values[ps->parser->positional_dest];
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  gboolean dashdash_removed = FALSE;
  for (guint i = start; i < start + (guint)count; i++)
    {
      /* argparse drops the first "--" of a positional's words */
      if (ps->words[i].kind == WORD_DASHDASH && !dashdash_removed)
        {
          dashdash_removed = TRUE;
          continue;
        }
      g_ptr_array_add (args, (gpointer)ps->argv[i]);
    }
  if (ps->parser->nargs == KS_NARGS_OPTIONAL)
    {
      if (args->len > 0)
        {
          ks_value_clear (v);
          v->kind = KS_VALUE_STRING;
          v->s = apply_type (ps->parser->positional_type, args->pdata[0]);
        }
    }
  else
    {
      ks_value_clear (v);
      v->kind = KS_VALUE_LIST;
      v->list = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < args->len; i++)
        g_ptr_array_add (v->list, apply_type (ps->parser->positional_type, args->pdata[i]));
    }
  return start + (guint)count;
}

static gboolean
consume_optional (Parse *ps, guint start, guint *out_next, GError **error)
{
  const Word *w = &ps->words[start];
  const KsParser *parser = ps->parser;
  if (w->option == NULL)
    {
      g_ptr_array_add (ps->parsed->extras, g_strdup (ps->argv[start]));
      *out_next = start + 1;
      return TRUE;
    }
  g_autofree char *names = option_names (w->option);
  if (w->explicit_value != NULL)
    {
      if (!takes_value (w->option))
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "%s: %s %s takes no value, but was given '%s': write %s alone",
                            ps->where, parser->prog, w->name, w->explicit_value, w->name);
      *out_next = start + 1;
      return take_option (parser, w->option, w->name, w->explicit_value, ps->parsed, ps->where,
                          error);
    }
  if (!takes_value (w->option))
    {
      *out_next = start + 1;
      return take_option (parser, w->option, w->name, NULL, ps->parsed, ps->where, error);
    }
  if (start + 1 >= ps->n || ps->words[start + 1].kind != WORD_POSITIONAL)
    {
      if (start + 1 < ps->n && ps->argv[start + 1][0] == '-')
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "%s: %s %s needs a value, and '%s' is read as an option: write "
                            "%s=%s if that is the value",
                            ps->where, parser->prog, w->name, ps->argv[start + 1], w->name,
                            ps->argv[start + 1]);
      return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                          "%s: %s %s needs a value: write %s=VALUE", ps->where, parser->prog,
                          w->name, w->name);
    }
  *out_next = start + 2;
  return take_option (parser, w->option, w->name, ps->argv[start + 1], ps->parsed, ps->where,
                      error);
}

KsParsed *
ks_parse_args (const KsParser *parser, const char *const *argv, const char *where, GError **error)
{
  g_autoptr (KsParsed) parsed = g_new0 (KsParsed, 1);
  parsed->n_values = parser->n_dests;
  parsed->values = g_new0 (KsValue, parser->n_dests);
  parsed->extras = g_ptr_array_new_with_free_func (g_free);
  parsed->deprecated = g_ptr_array_new ();
  parsed->given = g_ptr_array_new ();
  if (parser->defaults != NULL)
    for (guint i = 0; i < parser->n_dests; i++)
      value_copy (&parsed->values[i], &parser->defaults[i]);

  guint n = argv ? g_strv_length ((char **)argv) : 0;
  g_autofree Word *words = g_new0 (Word, n + 1);
  Parse ps = { parser, argv, words, n, parsed, parser->nargs != KS_NARGS_NONE, where };
  gboolean ok = TRUE;
  gboolean after_dashdash = FALSE;
  for (guint i = 0; i < n && ok; i++)
    {
      if (after_dashdash)
        words[i].kind = WORD_POSITIONAL;
      else if (g_str_equal (argv[i], "--"))
        {
          words[i].kind = WORD_DASHDASH;
          after_dashdash = TRUE;
        }
      else
        ok = classify (parser, argv[i], &words[i], where, error);
    }

  int max_option = -1;
  for (guint i = 0; i < n; i++)
    if (words[i].kind == WORD_OPTION)
      max_option = (int)i;
  guint start = 0;
  while (ok && (int)start <= max_option)
    {
      guint next_option = start;
      while (words[next_option].kind != WORD_OPTION)
        next_option++;
      if (start != next_option)
        {
          guint end = consume_positionals (&ps, start);
          if (end > start)
            {
              start = end;
              continue;
            }
        }
      if (words[start].kind != WORD_OPTION)
        {
          for (guint i = start; i < next_option; i++)
            g_ptr_array_add (parsed->extras, g_strdup (argv[i]));
          start = next_option;
        }
      ok = consume_optional (&ps, start, &start, error);
    }
  if (ok)
    {
      guint end = consume_positionals (&ps, start);
      for (guint i = end; i < n; i++)
        g_ptr_array_add (parsed->extras, g_strdup (argv[i]));
    }
  for (guint i = 0; i < n; i++)
    g_free (words[i].explicit_value);
  if (!ok)
    return NULL;

  /* the required ones, in the parser's order (argparse's "the following arguments are
   * required") */
  g_autoptr (GString) missing = g_string_new (NULL);
  if (ps.positional_pending && parser->nargs == KS_NARGS_ONE)
    g_string_append (missing, parser->positional_name);
  for (guint i = 0; i < parser->n_options; i++)
    {
      const KsOption *o = &parser->options[i];
      gboolean given = FALSE;
      for (guint g = 0; g < parsed->given->len && !given; g++)
        given = g_str_equal (parsed->given->pdata[g], o->names[0]);
      if (o->required && !given)
        g_string_append_printf (missing, "%s%s", missing->len > 0 ? ", " : "", o->names[0]);
    }
  if (missing->len > 0)
    {
      berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s: %s needs %s: add %s", where,
                   parser->prog, missing->str, strchr (missing->str, ',') ? "them" : "it");
      return NULL;
    }

  if (!parser->known_args && parsed->extras->len > 0)
    {
      g_ptr_array_add (parsed->extras, NULL);
      g_autofree char *list = g_strjoinv (" ", (char **)parsed->extras->pdata);
      g_ptr_array_remove_index (parsed->extras, parsed->extras->len - 1);
      g_autofree char *known = all_option_names (parser);
      const char *first = parsed->extras->pdata[0];
      if (first[0] == '-')
        berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                     "%s: %s does not take %s (pykickstart's Fedora 45 syntax): remove it; its "
                     "options are %s",
                     where, parser->prog, list, known);
      else
        berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                     "%s: %s takes no argument '%s' (only options: %s): remove it, or quote it "
                     "together with the option it belongs to",
                     where, parser->prog, list, known);
      return NULL;
    }
  return g_steal_pointer (&parsed);
}
