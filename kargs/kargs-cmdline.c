/* Kernel command lines: the kernel's parser, ostree's edits, bootc's lenient operations. */
#include "kargs-private.h"

#include <string.h>

/* ---- sources --------------------------------------------------------------------------- */

static const char *const source_kind_names[] = {
  [BERTH_KARGS_SOURCE_NONE] = "none",
  [BERTH_KARGS_SOURCE_BERTH] = "berth",
  [BERTH_KARGS_SOURCE_INSTALL_CONFIG] = "install-config",
  [BERTH_KARGS_SOURCE_KARGS_D] = "kargs.d",
  [BERTH_KARGS_SOURCE_CLI] = "cli",
};

const char *
berth_kargs_source_kind_to_string (BerthKargsSourceKind kind)
{
  if ((guint)kind >= G_N_ELEMENTS (source_kind_names) || source_kind_names[kind] == NULL)
    return "unknown";
  return source_kind_names[kind];
}

char *
berth_kargs_source_describe (const BerthKargsSource *source)
{
  switch (source->kind)
    {
    case BERTH_KARGS_SOURCE_BERTH:
      if (source->file != NULL)
        return g_strdup_printf ("berth (mount spec from %s:%u)", source->file, source->line);
      return g_strdup ("berth");
    case BERTH_KARGS_SOURCE_CLI:
      return g_strdup ("command line");
    case BERTH_KARGS_SOURCE_INSTALL_CONFIG:
    case BERTH_KARGS_SOURCE_KARGS_D:
      if (source->file == NULL)
        return g_strdup (berth_kargs_source_kind_to_string (source->kind));
      if (source->line == 0)
        return g_strdup (source->file);
      return g_strdup_printf ("%s:%u", source->file, source->line);
    case BERTH_KARGS_SOURCE_NONE:
    default:
      return g_strdup ("unlabelled");
    }
}

/* ---- the kernel's parser --------------------------------------------------------------- */

/* The kernel's isspace() on 7-bit characters (include/linux/ctype.h). Its table also counts
 * 0xA0 (Latin-1 no-break space) as space; berth does not, because that byte occurs inside
 * UTF-8 characters (à is C3 A0) and splitting there would cut a LANG= or a path in two. */
static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

GArray *
berth_kargs_tokenize (const char *cmdline)
{
  GArray *tokens = g_array_new (FALSE, FALSE, sizeof (BerthKargsToken));
  gsize i = 0;
  for (;;)
    {
      while (cmdline[i] != '\0' && is_space (cmdline[i]))
        i++;
      if (cmdline[i] == '\0')
        break;
      /* next_arg(): a '"' toggles quoting wherever it is, the first one included. */
      BerthKargsToken t = { .start = i };
      gboolean in_quote = FALSE;
      for (; cmdline[i] != '\0'; i++)
        {
          if (is_space (cmdline[i]) && !in_quote)
            break;
          if (cmdline[i] == '"')
            in_quote = !in_quote;
        }
      t.len = i - t.start;
      g_array_append_val (tokens, t);
    }
  return tokens;
}

/* How next_arg() reads one argument, as offsets into its raw bytes. */
typedef struct
{
  gboolean quoted; /* the argument starts with '"' (skipped) */
  gsize key_start, key_len;
  gboolean has_value;
  gsize eq;                     /* the '=' that ends the key, when has_value */
  gsize value_start, value_len; /* when has_value */
} Split;

static Split
split_arg (const char *raw, gsize n)
{
  Split s = { 0 };
  gsize off = 0;
  if (n > 0 && raw[0] == '"')
    {
      s.quoted = TRUE;
      off = 1;
    }
  const char *a = raw + off;
  gsize an = n - off;

  /* The first '=' ends the key, except one at the very start: next_arg() keeps `equals` at 0
   * for it and 0 means "none", so `=a=b` has the key `=a`. */
  gsize eq = 0;
  for (gsize i = 1; i < an; i++)
    if (a[i] == '=')
      {
        eq = i;
        break;
      }

  gboolean last_quote_used = FALSE;
  s.key_start = off;
  if (eq == 0)
    s.key_len = an;
  else
    {
      s.key_len = eq;
      s.has_value = TRUE;
      s.eq = off + eq;
      gsize vs = eq + 1, vl = an - eq - 1;
      /* "Don't include quotes in value": a leading '"' is skipped, and then a last '"'. */
      if (vl > 0 && a[vs] == '"')
        {
          vs++;
          vl--;
          if (a[an - 1] == '"')
            {
              last_quote_used = TRUE;
              if (vl > 0)
                vl--;
            }
        }
      s.value_start = off + vs;
      s.value_len = vl;
    }
  /* A quoted argument loses its last '"' too, from the key when there is no value. */
  if (s.quoted && !last_quote_used && an > 0 && a[an - 1] == '"')
    {
      if (s.has_value)
        s.value_len--;
      else
        s.key_len--;
    }
  return s;
}

BerthKarg *
berth_karg_new (const char *raw, gsize len, const BerthKargsSource *source)
{
  BerthKarg *karg = g_new0 (BerthKarg, 1);
  Split s = split_arg (raw, len);
  karg->raw = g_strndup (raw, len);
  karg->key = g_strndup (raw + s.key_start, s.key_len);
  if (s.has_value)
    karg->value = g_strndup (raw + s.value_start, s.value_len);
  if (source != NULL)
    {
      karg->source = *source;
      karg->source.file = g_strdup (source->file);
    }
  return karg;
}

static BerthKarg *
karg_copy (const BerthKarg *karg)
{
  BerthKarg *copy = g_new0 (BerthKarg, 1);
  copy->raw = g_strdup (karg->raw);
  copy->key = g_strdup (karg->key);
  copy->value = g_strdup (karg->value);
  copy->source = karg->source;
  copy->source.file = g_strdup (karg->source.file);
  return copy;
}

void
berth_karg_free (BerthKarg *karg)
{
  if (karg == NULL)
    return;
  g_free (karg->raw);
  g_free (karg->key);
  g_free (karg->value);
  g_free ((char *)karg->source.file);
  g_free (karg);
}

BerthKarg *
berth_karg_parse (const char *text)
{
  g_autoptr (GArray) tokens = berth_kargs_tokenize (text);
  if (tokens->len == 0)
    return NULL;
  BerthKargsToken *t = &g_array_index (tokens, BerthKargsToken, 0);
  return berth_karg_new (text + t->start, t->len, NULL);
}

static char
canon (char c)
{
  return c == '-' ? '_' : c;
}

gboolean
berth_kargs_key_equal (const char *a, const char *b)
{
  for (; *a != '\0' && *b != '\0'; a++, b++)
    if (canon (*a) != canon (*b))
      return FALSE;
  return *a == *b;
}

gboolean
berth_karg_equal (const BerthKarg *a, const BerthKarg *b)
{
  return berth_kargs_key_equal (a->key, b->key) && g_strcmp0 (a->value, b->value) == 0;
}

/* ---- a command line -------------------------------------------------------------------- */

struct _BerthKargs
{
  GPtrArray *args; /* BerthKarg * */
  char *text;      /* the parsed string, while nothing has changed */
};

BerthKargs *
berth_kargs_new (void)
{
  BerthKargs *kargs = g_new0 (BerthKargs, 1);
  kargs->args = g_ptr_array_new_with_free_func ((GDestroyNotify)berth_karg_free);
  return kargs;
}

void
berth_kargs_free (BerthKargs *kargs)
{
  if (kargs == NULL)
    return;
  g_ptr_array_unref (kargs->args);
  g_free (kargs->text);
  g_free (kargs);
}

BerthKargs *
berth_kargs_copy (const BerthKargs *kargs)
{
  BerthKargs *copy = berth_kargs_new ();
  for (guint i = 0; i < kargs->args->len; i++)
    g_ptr_array_add (copy->args, karg_copy (kargs->args->pdata[i]));
  copy->text = g_strdup (kargs->text);
  return copy;
}

/* Replaces @self's contents with @work's (an edited copy), and frees @work. */
static void
adopt (BerthKargs *self, BerthKargs *work)
{
  GPtrArray *args = self->args;
  char *text = self->text;
  self->args = work->args;
  self->text = work->text;
  work->args = args;
  work->text = text;
  berth_kargs_free (work);
}

static void
changed (BerthKargs *kargs)
{
  g_clear_pointer (&kargs->text, g_free);
}

void
berth_kargs_take (BerthKargs *kargs, BerthKarg *karg)
{
  g_ptr_array_add (kargs->args, karg);
  changed (kargs);
}

static void
remove_at (BerthKargs *kargs, guint index)
{
  g_ptr_array_remove_index (kargs->args, index);
  changed (kargs);
}

static void
replace_at (BerthKargs *kargs, guint index, BerthKarg *karg)
{
  berth_karg_free (kargs->args->pdata[index]);
  kargs->args->pdata[index] = karg;
  changed (kargs);
}

BerthKargs *
berth_kargs_parse (const char *cmdline, const BerthKargsSource *source)
{
  BerthKargs *kargs = berth_kargs_new ();
  g_autoptr (GArray) tokens = berth_kargs_tokenize (cmdline);
  for (guint i = 0; i < tokens->len; i++)
    {
      BerthKargsToken *t = &g_array_index (tokens, BerthKargsToken, i);
      g_ptr_array_add (kargs->args, berth_karg_new (cmdline + t->start, t->len, source));
    }
  kargs->text = g_strdup (cmdline);
  return kargs;
}

guint
berth_kargs_get_length (const BerthKargs *kargs)
{
  return kargs->args->len;
}

const BerthKarg *
berth_kargs_get (const BerthKargs *kargs, guint index)
{
  g_return_val_if_fail (index < kargs->args->len, NULL);
  return kargs->args->pdata[index];
}

char *
berth_kargs_to_string (const BerthKargs *kargs)
{
  if (kargs->text != NULL)
    return g_strdup (kargs->text);
  g_autoptr (GString) s = g_string_new (NULL);
  for (guint i = 0; i < kargs->args->len; i++)
    {
      const BerthKarg *karg = kargs->args->pdata[i];
      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, karg->raw);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

char **
berth_kargs_to_strv (const BerthKargs *kargs)
{
  char **strv = g_new0 (char *, kargs->args->len + 1);
  for (guint i = 0; i < kargs->args->len; i++)
    strv[i] = g_strdup (((const BerthKarg *)kargs->args->pdata[i])->raw);
  return strv;
}

static gboolean
find_index (const BerthKargs *kargs, const char *key, guint from, guint *out_index)
{
  for (guint i = from; i < kargs->args->len; i++)
    if (berth_kargs_key_equal (((const BerthKarg *)kargs->args->pdata[i])->key, key))
      {
        *out_index = i;
        return TRUE;
      }
  return FALSE;
}

static guint
count_key (const BerthKargs *kargs, const char *key)
{
  guint n = 0;
  for (guint i = 0; i < kargs->args->len; i++)
    if (berth_kargs_key_equal (((const BerthKarg *)kargs->args->pdata[i])->key, key))
      n++;
  return n;
}

static gboolean
contains_equal (const BerthKargs *kargs, const BerthKarg *karg)
{
  for (guint i = 0; i < kargs->args->len; i++)
    if (berth_karg_equal (kargs->args->pdata[i], karg))
      return TRUE;
  return FALSE;
}

const BerthKarg *
berth_kargs_find (const BerthKargs *kargs, const char *key)
{
  guint i;
  if (!find_index (kargs, key, 0, &i))
    return NULL;
  return kargs->args->pdata[i];
}

const char *
berth_kargs_value_of (const BerthKargs *kargs, const char *key)
{
  const BerthKarg *karg = berth_kargs_find (kargs, key);
  return karg != NULL ? karg->value : NULL;
}

static int
compare_kargs (gconstpointer pa, gconstpointer pb)
{
  const BerthKarg *a = *(const BerthKarg *const *)pa;
  const BerthKarg *b = *(const BerthKarg *const *)pb;
  const char *ka = a->key, *kb = b->key;
  for (; *ka != '\0' && canon (*ka) == canon (*kb); ka++, kb++)
    ;
  if (canon (*ka) != canon (*kb))
    return (guchar)canon (*ka) < (guchar)canon (*kb) ? -1 : 1;
  if (a->value == NULL || b->value == NULL)
    return (a->value != NULL) - (b->value != NULL);
  return strcmp (a->value, b->value);
}

gboolean
berth_kargs_equal (const BerthKargs *a, const BerthKargs *b)
{
  if (a->args->len != b->args->len)
    return FALSE;
  g_autoptr (GPtrArray) sa = g_ptr_array_copy (a->args, NULL, NULL);
  g_autoptr (GPtrArray) sb = g_ptr_array_copy (b->args, NULL, NULL);
  g_ptr_array_set_free_func (sa, NULL);
  g_ptr_array_set_free_func (sb, NULL);
  g_ptr_array_sort (sa, compare_kargs);
  g_ptr_array_sort (sb, compare_kargs);
  for (guint i = 0; i < sa->len; i++)
    if (!berth_karg_equal (sa->pdata[i], sb->pdata[i]))
      return FALSE;
  return TRUE;
}

/* ---- ostree's edits -------------------------------------------------------------------- */

static gboolean throw_edit (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
throw_edit (GError **error, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error_literal (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT, msg);
  return FALSE;
}

/* "a=1 a=2 a" for the arguments with @key, for messages. */
static char *
describe_key (const BerthKargs *kargs, const char *key)
{
  g_autoptr (GString) s = g_string_new (NULL);
  for (guint i = 0; i < kargs->args->len; i++)
    {
      const BerthKarg *karg = kargs->args->pdata[i];
      if (!berth_kargs_key_equal (karg->key, key))
        continue;
      if (s->len > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, karg->raw);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

void
berth_kargs_append (BerthKargs *kargs, const char *args, const BerthKargsSource *source)
{
  g_autoptr (BerthKargs) parsed = berth_kargs_parse (args, source);
  for (guint i = 0; i < parsed->args->len; i++)
    berth_kargs_take (kargs, g_steal_pointer (&parsed->args->pdata[i]));
}

void
berth_kargs_append_if_missing (BerthKargs *kargs, const char *args, const BerthKargsSource *source)
{
  g_autoptr (BerthKargs) parsed = berth_kargs_parse (args, source);
  for (guint i = 0; i < parsed->args->len; i++)
    {
      BerthKarg *karg = parsed->args->pdata[i];
      if (berth_kargs_find (kargs, karg->key) == NULL)
        berth_kargs_take (kargs, g_steal_pointer (&parsed->args->pdata[i]));
    }
}

static gboolean
delete_one (BerthKargs *kargs, const BerthKarg *arg, gboolean if_present, GError **error)
{
  guint first;
  if (!find_index (kargs, arg->key, 0, &first))
    {
      if (if_present)
        return TRUE;
      return throw_edit (error, "Cannot delete '%s': there is no argument %s", arg->raw, arg->key);
    }

  /* ostree's special case: a key that is there once may be deleted by the bare key. */
  if (count_key (kargs, arg->key) == 1)
    {
      const BerthKarg *only = kargs->args->pdata[first];
      if (arg->value != NULL && g_strcmp0 (arg->value, only->value) != 0)
        return throw_edit (error, "Cannot delete '%s': the command line has %s", arg->raw,
                           only->raw);
      remove_at (kargs, first);
      return TRUE;
    }

  /* Several: the first with the same value; a bare key matches only a value-less one. */
  for (guint i = first; i < kargs->args->len; i++)
    {
      const BerthKarg *karg = kargs->args->pdata[i];
      if (berth_kargs_key_equal (karg->key, arg->key) && g_strcmp0 (karg->value, arg->value) == 0)
        {
          remove_at (kargs, i);
          return TRUE;
        }
    }
  g_autofree char *all = describe_key (kargs, arg->key);
  if (arg->value == NULL)
    return throw_edit (error,
                       "Cannot delete '%s': the key has several values (%s); name one as %s=VALUE",
                       arg->raw, all, arg->key);
  return throw_edit (error, "Cannot delete '%s': it is not there (the command line has %s)",
                     arg->raw, all);
}

static gboolean
delete_args (BerthKargs *kargs, const char *args, gboolean if_present, GError **error)
{
  g_autoptr (BerthKargs) parsed = berth_kargs_parse (args, NULL);
  g_autoptr (BerthKargs) work = berth_kargs_copy (kargs);
  for (guint i = 0; i < parsed->args->len; i++)
    if (!delete_one (work, parsed->args->pdata[i], if_present, error))
      return FALSE;
  adopt (kargs, g_steal_pointer (&work));
  return TRUE;
}

gboolean
berth_kargs_delete (BerthKargs *kargs, const char *args, GError **error)
{
  return delete_args (kargs, args, FALSE, error);
}

gboolean
berth_kargs_delete_if_present (BerthKargs *kargs, const char *args, GError **error)
{
  return delete_args (kargs, args, TRUE, error);
}

/* The value as it is written in @arg (quotes included), without the last '"' of a quoted
 * argument ("k=v" gives v). NULL when @arg has no value. */
static char *
raw_value (const BerthKarg *arg)
{
  gsize n = strlen (arg->raw);
  Split s = split_arg (arg->raw, n);
  if (!s.has_value)
    return NULL;
  gsize end = n;
  if (s.quoted && end > s.eq + 1 && arg->raw[end - 1] == '"')
    end--;
  return g_strndup (arg->raw + s.eq + 1, end - s.eq - 1);
}

/* What the kernel would make of @raw as a value: one leading '"' and then one trailing '"'
 * stripped. */
static char *
value_meaning (const char *raw)
{
  gsize n = strlen (raw);
  if (n > 0 && raw[0] == '"')
    {
      raw++;
      n--;
      if (n > 0 && raw[n - 1] == '"')
        n--;
    }
  return g_strndup (raw, n);
}

static gboolean
replace_one (BerthKargs *kargs, const BerthKarg *arg, const BerthKargsSource *source,
             GError **error)
{
  guint first;
  if (!find_index (kargs, arg->key, 0, &first))
    return throw_edit (error, "Cannot replace '%s': there is no argument %s", arg->raw, arg->key);

  /* KEY=OLD=NEW: ostree splits the value at its first '='; berth skips any inside quotes. */
  g_autofree char *value = raw_value (arg);
  const char *split = NULL;
  gboolean in_quote = FALSE;
  for (const char *c = value; c != NULL && *c != '\0'; c++)
    {
      if (*c == '"')
        in_quote = !in_quote;
      else if (*c == '=' && !in_quote)
        {
          split = c;
          break;
        }
    }
  if (split != NULL)
    {
      g_autofree char *old_raw = g_strndup (value, split - value);
      g_autofree char *old = value_meaning (old_raw);
      for (guint i = first; i < kargs->args->len; i++)
        {
          const BerthKarg *karg = kargs->args->pdata[i];
          if (berth_kargs_key_equal (karg->key, arg->key) && g_strcmp0 (karg->value, old) == 0)
            {
              g_autofree char *raw = g_strdup_printf ("%s=%s", arg->key, split + 1);
              replace_at (kargs, i, berth_karg_new (raw, strlen (raw), source));
              return TRUE;
            }
        }
      /* ostree's split makes a value that contains '=' (root=UUID=...) unreplaceable. */
      g_autofree char *all = describe_key (kargs, arg->key);
      return throw_edit (error,
                         "Cannot replace '%s': there is no argument %s=%s (the command line has "
                         "%s; KEY=OLD=NEW splits at the first '=', so replace a value that "
                         "holds '=' by deleting and appending)",
                         arg->raw, arg->key, old_raw, all);
    }

  if (count_key (kargs, arg->key) > 1)
    {
      g_autofree char *all = describe_key (kargs, arg->key);
      return throw_edit (error,
                         "Cannot replace '%s': the key has several values (%s); name the one to "
                         "replace as %s=OLD=NEW",
                         arg->raw, all, arg->key);
    }
  replace_at (kargs, first, berth_karg_new (arg->raw, strlen (arg->raw), source));
  return TRUE;
}

gboolean
berth_kargs_replace (BerthKargs *kargs, const char *args, const BerthKargsSource *source,
                     GError **error)
{
  g_autoptr (BerthKargs) parsed = berth_kargs_parse (args, NULL);
  g_autoptr (BerthKargs) work = berth_kargs_copy (kargs);
  for (guint i = 0; i < parsed->args->len; i++)
    if (!replace_one (work, parsed->args->pdata[i], source, error))
      return FALSE;
  adopt (kargs, g_steal_pointer (&work));
  return TRUE;
}

void
berth_kargs_set (BerthKargs *kargs, const char *args, const BerthKargsSource *source)
{
  g_autoptr (BerthKargs) parsed = berth_kargs_parse (args, source);
  for (guint i = 0; i < parsed->args->len; i++)
    {
      BerthKarg *karg = g_steal_pointer (&parsed->args->pdata[i]);
      guint first;
      if (!find_index (kargs, karg->key, 0, &first))
        {
          berth_kargs_take (kargs, karg);
          continue;
        }
      guint later;
      while (find_index (kargs, karg->key, first + 1, &later))
        remove_at (kargs, later);
      replace_at (kargs, first, karg);
    }
}

/* ---- bootc's lenient operations -------------------------------------------------------- */

guint
berth_kargs_add (BerthKargs *kargs, const char *args, const BerthKargsSource *source)
{
  g_autoptr (BerthKargs) parsed = berth_kargs_parse (args, source);
  return berth_kargs_extend (kargs, parsed);
}

guint
berth_kargs_extend (BerthKargs *kargs, const BerthKargs *other)
{
  guint added = 0;
  for (guint i = 0; i < other->args->len; i++)
    {
      const BerthKarg *karg = other->args->pdata[i];
      if (contains_equal (kargs, karg))
        continue;
      berth_kargs_take (kargs, karg_copy (karg));
      added++;
    }
  return added;
}

void
berth_kargs_append_copy (BerthKargs *kargs, const BerthKarg *karg)
{
  berth_kargs_take (kargs, karg_copy (karg));
}

void
berth_kargs_append_all (BerthKargs *kargs, const BerthKargs *from)
{
  for (guint i = 0; i < from->args->len; i++)
    berth_kargs_append_copy (kargs, from->args->pdata[i]);
}

guint
berth_kargs_remove_karg (BerthKargs *kargs, const BerthKarg *arg)
{
  guint removed = 0;
  for (guint i = kargs->args->len; i-- > 0;)
    {
      const BerthKarg *karg = kargs->args->pdata[i];
      gboolean match = arg->value != NULL ? berth_karg_equal (karg, arg)
                                          : berth_kargs_key_equal (karg->key, arg->key);
      if (match)
        {
          remove_at (kargs, i);
          removed++;
        }
    }
  return removed;
}

guint
berth_kargs_remove (BerthKargs *kargs, const char *args)
{
  g_autoptr (BerthKargs) parsed = berth_kargs_parse (args, NULL);
  guint removed = 0;
  for (guint i = 0; i < parsed->args->len; i++)
    removed += berth_kargs_remove_karg (kargs, parsed->args->pdata[i]);
  return removed;
}

void
berth_kargs_diff (const BerthKargs *old_kargs_d, const BerthKargs *new_kargs_d,
                  BerthKargs **out_added, BerthKargs **out_removed)
{
  g_autoptr (BerthKargs) added = berth_kargs_new ();
  g_autoptr (BerthKargs) removed = berth_kargs_new ();
  for (guint i = 0; i < new_kargs_d->args->len; i++)
    if (!contains_equal (old_kargs_d, new_kargs_d->args->pdata[i]))
      berth_kargs_take (added, karg_copy (new_kargs_d->args->pdata[i]));
  for (guint i = 0; i < old_kargs_d->args->len; i++)
    if (!contains_equal (new_kargs_d, old_kargs_d->args->pdata[i]))
      berth_kargs_take (removed, karg_copy (old_kargs_d->args->pdata[i]));
  *out_added = g_steal_pointer (&added);
  *out_removed = g_steal_pointer (&removed);
}

void
berth_kargs_apply_kargs_d_update (BerthKargs *kargs, const BerthKargs *old_kargs_d,
                                  const BerthKargs *new_kargs_d)
{
  g_autoptr (BerthKargs) added = NULL;
  g_autoptr (BerthKargs) removed = NULL;
  berth_kargs_diff (old_kargs_d, new_kargs_d, &added, &removed);
  for (guint i = 0; i < removed->args->len; i++)
    {
      /* remove_exact: KEY=VALUE and a value-less KEY alike match only equal arguments. */
      const BerthKarg *gone = removed->args->pdata[i];
      for (guint j = kargs->args->len; j-- > 0;)
        if (berth_karg_equal (kargs->args->pdata[j], gone))
          remove_at (kargs, j);
    }
  berth_kargs_extend (kargs, added);
}
