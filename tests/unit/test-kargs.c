/* Unit tests of the kargs module, driven by every table in tests/fixtures/kargs/.
 *
 * Which engine governs (the brief for this module; the fixtures' README lists the tables but
 * does not rank them): parsing follows the kernel (kernel-semantics-bootc-kernel_cmdline.tsv,
 * whose rows mirror the kernel's next_arg() except where a row says otherwise below); editing
 * follows ostree (ostree-test-kargs.tsv, ostree-admin-deploy-karg-ordering.tsv). The systemd
 * and coreos-installer tables are other engines: their rows are tested where berth agrees, and
 * every other row says here why it is not.
 *
 * Each table-driven test first checks that the fixture file still has exactly the rows this
 * file knows (kind and input, in order), so a changed fixture fails loudly instead of being
 * skipped.
 */
#include "kargs/kargs.h"

#include "test-support.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------------------- */

/* The non-comment, non-empty lines of a fixture table, each split at tabs. */
static GPtrArray *
read_table (const char *relpath)
{
  gsize len;
  g_autofree char *data = berth_test_fixture_contents (relpath, &len);
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  for (char **l = lines; *l != NULL; l++)
    {
      if (**l == '\0' || **l == '#')
        continue;
      g_ptr_array_add (rows, g_strsplit (*l, "\t", -1));
    }
  return rows;
}

/* The tables' C-style escapes: \" \\ \n \xHH. */
static char *
unescape (const char *s)
{
  GString *out = g_string_new (NULL);
  for (; *s != '\0'; s++)
    {
      if (*s != '\\' || s[1] == '\0')
        {
          g_string_append_c (out, *s);
          continue;
        }
      s++;
      switch (*s)
        {
        case 'n':
          g_string_append_c (out, '\n');
          break;
        case 'x':
          g_assert_true (g_ascii_isxdigit (s[1]) && g_ascii_isxdigit (s[2]));
          g_string_append_c (
            out, (char)(g_ascii_xdigit_value (s[1]) * 16 + g_ascii_xdigit_value (s[2])));
          s += 2;
          break;
        default:
          g_string_append_c (out, *s);
          break;
        }
    }
  return g_string_free (out, FALSE);
}

static char *
to_string (const BerthKargs *kargs)
{
  return berth_kargs_to_string (kargs);
}

static void
assert_cmdline (const BerthKargs *kargs, const char *expected)
{
  g_autofree char *s = to_string (kargs);
  g_assert_cmpstr (s, ==, expected);
}

/* The raw arguments joined with '|'. */
static char *
raw_list (const BerthKargs *kargs)
{
  g_autoptr (GString) s = g_string_new (NULL);
  for (guint i = 0; i < berth_kargs_get_length (kargs); i++)
    {
      if (i > 0)
        g_string_append_c (s, '|');
      g_string_append (s, berth_kargs_get (kargs, i)->raw);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
assert_raw_list (const BerthKargs *kargs, const char *expected)
{
  g_autofree char *s = raw_list (kargs);
  g_assert_cmpstr (s, ==, expected);
}

/* "source of argument i" as berth_kargs_source_describe says it. */
static void
assert_source (const BerthKargs *kargs, guint i, BerthKargsSourceKind kind, const char *describe)
{
  const BerthKarg *karg = berth_kargs_get (kargs, i);
  g_assert_cmpint (karg->source.kind, ==, kind);
  g_autofree char *d = berth_kargs_source_describe (&karg->source);
  g_assert_cmpstr (d, ==, describe);
}

static const char *
base_of (const char *path)
{
  const char *slash = strrchr (path, '/');
  return slash != NULL ? slash + 1 : path;
}

#define FILE_OF(name, text)                                                                        \
  {                                                                                                \
    name, text, sizeof (text) - 1                                                                  \
  }

static const char *
strip_prefix (const char *s, const char *prefix)
{
  return g_str_has_prefix (s, prefix) ? s + strlen (prefix) : s;
}

/* ---- kernel-semantics-bootc-kernel_cmdline.tsv ------------------------------------------ */

typedef struct
{
  const char *kind;
  const char *input;  /* column 2, as written in the file */
  const char *expect; /* kind-specific, see check_kernel_row */
  const char *note;   /* where berth (the kernel) and the table's row differ */
} KernelRow;

#define NONE "<none>"

static const KernelRow kernel_rows[] = {
  { "param", "foo", "foo|" NONE },
  { "param", "foo=bar baz", "foo|bar" },
  { "param", "<empty string>", NULL },
  { "param", "<three spaces>", NULL },
  { "param", "foo=\\\"quoted value\\\"", "foo|quoted value" },
  { "param", "foo=\\\"unclosed quotes", "foo|unclosed quotes" },
  { "param", "foo=trailing_quotes\\\"", "foo|trailing_quotes\"",
    "the table (bootc's crate) strips the trailing quote and says trailing_quotes; the kernel's "
    "next_arg() strips a value's last '\"' only when the value (or the whole argument) starts "
    "with one, so the kernel reads trailing_quotes\" and so does berth" },
  { "param", "\\\"foo=quoted value\\\"", "foo|quoted value|=foo=\"quoted value\"" },
  { "param", "  foo=bar  ", "foo|bar" },
  { "param", "foo bar=baz", "foo|" NONE },
  { "param", "\\\"foo\\\"=bar", "foo\"|bar|!foo=bar" },
  { "param", "\\\"foo=\\\"bar", "foo|bar|=foo=bar" },
  { "param", "foo=\\\"internal\\\"quotes\\\"are\\\"ok\\\"", "foo|internal\"quotes\"are\"ok" },
  { "param", "foo=\\xff", "foo|\xff" },
  { "equal", "foo vs foobar", "not equal" },
  { "equal", "a-delimited-param vs a_delimited_param", "equal" },
  { "equal", "a-delimited-param=same_values vs a_delimited_param=same_values", "equal" },
  { "equal", "a-delimited-param=different_values vs a_delimited_param=DiFfErEnT_valUEZ",
    "not equal" },
  { "equal", "same_key vs same_key=but_with_a_value", "not equal" },
  { "iter", "foo=bar,bar2 baz=fuz wiz", "foo=bar,bar2|baz=fuz|wiz" },
  { "iter", "  foo=bar    baz=fuz  wiz   ", "foo=bar|baz=fuz|wiz" },
  { "iter", "foo=bar,bar2 \\xff baz=fuz bad=oh\\xffno wiz",
    "foo=bar,bar2|\xff|baz=fuz|bad=oh\xffno|wiz",
    "the table's UTF-8 iterator (bootc's utf8 module) drops the non-UTF-8 arguments; berth, "
    "like the kernel, has only the byte view and keeps all five" },
  { "iter_bytes", "foo=\\\"bar baz\\\" qux", "foo=\"bar baz\"|qux" },
  { "find", "a-b=1 a_b=2 ; find a_b or a-b", "a-b|1" },
  { "find", "a_b=2 a-b=1 ; find a_b or a-b", "a_b|2" },
  { "value_of", "foo=bar baz=qux switch", "foo>bar baz>qux switch>" NONE " missing>" NONE },
  { "value_of", "dash-key=value1 under_key=value2", "dash_key>value1 under-key>value2" },
  { "find_all_starting_with", "foo=bar rd.foo=a rd.bar=b rd.baz rd.qux=c notrd.val=d ; prefix rd.",
    "rd.foo=a|rd.bar=b|rd.baz|rd.qux=c" },
  { "add", "console=tty0 console=ttyS1 + console=ttyS2",
    "1|console=tty0 console=ttyS1 console=ttyS2" },
  { "add", "console=tty0 console=ttyS1 console=ttyS2 + console=ttyS1",
    "0|console=tty0 console=ttyS1 console=ttyS2" },
  { "add", "<empty> + foo", "1|foo" },
  { "add_or_modify", "foo=bar + baz", "foo=bar baz" },
  { "add_or_modify", "foo=bar baz + foo=fuz", "foo=fuz baz" },
  { "add_or_modify", "foo=fuz baz + foo=fuz", "foo=fuz baz" },
  { "add_or_modify", "a=1 a=2 + a=3", "a=3" },
  { "remove", "foo bar baz - bar", "1|foo baz" },
  { "remove", "foo baz - missing", "0|foo baz" },
  { "remove", "a=1 b=2 a=3 - a", "2|b=2" },
  { "remove_exact", "foo foo=bar foo=baz - foo=bar", "1|foo foo=baz" },
  { "remove_exact", "foo foo=baz - foo=wuz", "0|foo foo=baz" },
  { "extend", "foo=bar baz + qux=quux foo=updated", "foo=bar baz qux=quux foo=updated" },
  { "cmdline_eq",
    "foo bar-with-delim=\\\"with spaces\\\"  vs  \\\"bar_with_delim=with spaces\\\" foo", "equal" },
  { "cmdline_eq", "foo vs foo foo", "not equal" },
  { "cmdline_eq", "a a b vs a b b", "not equal" },
};

/* "A + B", "A - B", "A vs B", "A ; B": the two sides, <empty> meaning "". */
static void
split_input (const char *input, const char *sep, char **out_a, char **out_b)
{
  const char *at = strstr (input, sep);
  g_assert_nonnull (at);
  g_autofree char *a = g_strndup (input, at - input);
  *out_a = g_str_equal (a, "<empty>") ? g_strdup ("") : g_steal_pointer (&a);
  *out_b = g_strdup (at + strlen (sep));
}

/* "N|cmdline": the count and the command line after. */
static void
check_count_and_result (BerthKargs *kargs, guint count, const char *expect)
{
  g_auto (GStrv) parts = g_strsplit (expect, "|", 2);
  g_assert_cmpuint (count, ==, (guint)g_ascii_strtoull (parts[0], NULL, 10));
  assert_cmdline (kargs, parts[1]);
}

static void
check_kernel_row (const KernelRow *row, const char *input)
{
  if (g_str_equal (row->kind, "param"))
    {
      const char *text = g_str_equal (input, "<empty string>")   ? ""
                         : g_str_equal (input, "<three spaces>") ? "   "
                                                                 : input;
      g_autoptr (BerthKarg) karg = berth_karg_parse (text);
      if (row->expect == NULL)
        {
          g_assert_null (karg);
          return;
        }
      g_assert_nonnull (karg);
      g_auto (GStrv) e = g_strsplit (row->expect, "|", 3);
      g_assert_cmpstr (karg->key, ==, e[0]);
      if (g_str_equal (e[1], NONE))
        g_assert_null (karg->value);
      else
        g_assert_cmpstr (karg->value, ==, e[1]);
      if (e[2] != NULL)
        {
          g_autoptr (BerthKarg) other = berth_karg_parse (e[2] + 1);
          g_assert_cmpint (berth_karg_equal (karg, other), ==, e[2][0] == '=');
        }
    }
  else if (g_str_equal (row->kind, "equal") || g_str_equal (row->kind, "cmdline_eq"))
    {
      g_autofree char *a = NULL, *b = NULL;
      split_input (input, strstr (input, "  vs  ") != NULL ? "  vs  " : " vs ", &a, &b);
      gboolean expected = g_str_equal (row->expect, "equal");
      if (g_str_equal (row->kind, "equal"))
        {
          g_autoptr (BerthKarg) ka = berth_karg_parse (a);
          g_autoptr (BerthKarg) kb = berth_karg_parse (b);
          g_assert_cmpint (berth_karg_equal (ka, kb), ==, expected);
          g_assert_cmpint (berth_karg_equal (kb, ka), ==, expected);
        }
      else
        {
          g_autoptr (BerthKargs) ka = berth_kargs_parse (a, NULL);
          g_autoptr (BerthKargs) kb = berth_kargs_parse (b, NULL);
          g_assert_cmpint (berth_kargs_equal (ka, kb), ==, expected);
          g_assert_cmpint (berth_kargs_equal (kb, ka), ==, expected);
        }
    }
  else if (g_str_equal (row->kind, "iter") || g_str_equal (row->kind, "iter_bytes"))
    {
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (input, NULL);
      assert_raw_list (kargs, row->expect);
      /* Nothing changed: printed back byte for byte, spaces and all. */
      assert_cmdline (kargs, input);
    }
  else if (g_str_equal (row->kind, "find"))
    {
      g_autofree char *line = NULL, *query = NULL;
      split_input (input, " ; ", &line, &query);
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (line, NULL);
      g_auto (GStrv) e = g_strsplit (row->expect, "|", 2);
      for (const char *const *key = (const char *const[]){ "a_b", "a-b", NULL }; *key; key++)
        {
          const BerthKarg *found = berth_kargs_find (kargs, *key);
          g_assert_cmpstr (found->key, ==, e[0]);
          g_assert_cmpstr (found->value, ==, e[1]);
        }
    }
  else if (g_str_equal (row->kind, "value_of"))
    {
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (input, NULL);
      g_auto (GStrv) pairs = g_strsplit (row->expect, " ", -1);
      for (char **p = pairs; *p != NULL; p++)
        {
          g_auto (GStrv) kv = g_strsplit (*p, ">", 2);
          const char *value = berth_kargs_value_of (kargs, kv[0]);
          if (g_str_equal (kv[1], NONE))
            g_assert_null (value);
          else
            g_assert_cmpstr (value, ==, kv[1]);
        }
      /* value_of cannot tell a switch from a missing key; find() can. */
      if (strstr (input, "switch") != NULL)
        {
          g_assert_nonnull (berth_kargs_find (kargs, "switch"));
          g_assert_null (berth_kargs_find (kargs, "missing"));
        }
    }
  else if (g_str_equal (row->kind, "find_all_starting_with"))
    {
      /* berth has no prefix search; the row checks the arguments a caller would filter. */
      g_autofree char *line = NULL, *query = NULL;
      split_input (input, " ; ", &line, &query);
      const char *prefix = strip_prefix (query, "prefix ");
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (line, NULL);
      g_autoptr (GString) s = g_string_new (NULL);
      for (guint i = 0; i < berth_kargs_get_length (kargs); i++)
        if (g_str_has_prefix (berth_kargs_get (kargs, i)->key, prefix))
          g_string_append_printf (s, "%s%s", s->len ? "|" : "", berth_kargs_get (kargs, i)->raw);
      g_assert_cmpstr (s->str, ==, row->expect);
    }
  else if (g_str_equal (row->kind, "add") || g_str_equal (row->kind, "extend"))
    {
      g_autofree char *line = NULL, *arg = NULL;
      split_input (input, " + ", &line, &arg);
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (line, NULL);
      guint n = berth_kargs_add (kargs, arg, NULL);
      if (g_str_equal (row->kind, "add"))
        check_count_and_result (kargs, n, row->expect);
      else
        assert_cmdline (kargs, row->expect);
    }
  else if (g_str_equal (row->kind, "add_or_modify"))
    {
      g_autofree char *line = NULL, *arg = NULL;
      split_input (input, " + ", &line, &arg);
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (line, NULL);
      berth_kargs_set (kargs, arg, NULL);
      assert_cmdline (kargs, row->expect);
    }
  else if (g_str_equal (row->kind, "remove") || g_str_equal (row->kind, "remove_exact"))
    {
      g_autofree char *line = NULL, *arg = NULL;
      split_input (input, " - ", &line, &arg);
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (line, NULL);
      check_count_and_result (kargs, berth_kargs_remove (kargs, arg), row->expect);
    }
  else
    g_error ("kernel table: unknown kind %s", row->kind);
}

static void
test_kernel_semantics_table (void)
{
  g_autoptr (GPtrArray) rows
    = read_table ("kargs/cmdline-cases/kernel-semantics-bootc-kernel_cmdline.tsv");
  g_assert_cmpuint (rows->len, ==, G_N_ELEMENTS (kernel_rows));
  for (guint i = 0; i < rows->len; i++)
    {
      char **cols = rows->pdata[i];
      const KernelRow *row = &kernel_rows[i];
      g_assert_cmpstr (cols[0], ==, row->kind);
      g_assert_cmpstr (cols[1], ==, row->input);
      if (row->note != NULL)
        g_test_message ("kernel table row %u (%s): %s", i + 1, row->input, row->note);
      g_autofree char *input = unescape (cols[1]);
      check_kernel_row (row, input);
    }
}

/* The kernel's own quirks beyond the table. */
static void
test_kernel_quirks (void)
{
  struct
  {
    const char *arg, *key, *value;
  } cases[] = {
    { "=foo", "=foo", NULL }, /* an '=' at the start does not end the key */
    { "=a=b", "=a", "b" },
    { "\"", "", NULL }, /* the lone quote is skipped */
    { "\"\"", "", NULL },
    { "foo=", "foo", "" }, /* an empty value is not no value */
    { "foo=\"", "foo", "" },
    { "foo=\"\"", "foo", "" },
    { "\"foo=\"", "foo", "" },
    { "\"foo\"", "foo", NULL }, /* a quoted switch loses both quotes */
    { "foo\"", "foo\"", NULL }, /* an unquoted one keeps its trailing quote */
    { "\"a b\"=c", "a b\"", "c" },
    { "\"a=b\"c\"", "a", "b\"c" },
    { "a=\"b\"c\"", "a", "b\"c" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BerthKarg) karg = berth_karg_parse (cases[i].arg);
      g_assert_nonnull (karg);
      g_assert_cmpstr (karg->raw, ==, cases[i].arg);
      g_assert_cmpstr (karg->key, ==, cases[i].key);
      g_assert_cmpstr (karg->value, ==, cases[i].value);
    }

  /* Every ASCII isspace() separates; quotes group across all of them; no single quotes. */
  g_autoptr (BerthKargs) k = berth_kargs_parse ("a\tb\nc\vd\fe\rf x=\"1\t2\n3\" y='1 2'", NULL);
  assert_raw_list (k, "a|b|c|d|e|f|x=\"1\t2\n3\"|y='1|2'");
  /* An unterminated quote runs to the end, spaces and all. */
  g_autoptr (BerthKargs) u = berth_kargs_parse ("a b=\"c d  e", NULL);
  assert_raw_list (u, "a|b=\"c d  e");
  g_assert_cmpstr (berth_kargs_get (u, 1)->value, ==, "c d  e");
  /* 0xA0 is not a separator (see is_space in kargs-cmdline.c). */
  g_autoptr (BerthKargs) nbsp = berth_kargs_parse ("LANG=fr_FR.UTF-8 x=\xc3\xa0 y", NULL);
  assert_raw_list (nbsp, "LANG=fr_FR.UTF-8|x=\xc3\xa0|y");
}

/* ---- ostree-test-kargs.tsv ------------------------------------------------------------- */

typedef struct
{
  const char *group;
  const char *argument; /* column 4, as written */
  const char *after;    /* the command line after a successful operation */
  const char *note;
} OstreeRow;

static const OstreeRow ostree_rows[] = {
  { "append",
    "test=valid | test=secondvalid | test= | test | second_test | second_test=0 second_test=\"1 "
    "2\"",
    "test=valid test=secondvalid test= test second_test second_test=0 second_test=\"1 2\"" },
  { "delete", "non_existant_key", NULL },
  { "delete", "test", "single_key=test test=firstval test=secondval test=" },
  { "delete", "test", NULL },
  { "delete", "test=non_existant_value", NULL },
  { "delete", "single_key=non_existent_value", NULL },
  { "delete", "single_key", "test=firstval test=secondval test=" },
  { "delete", "test=secondval", "test=firstval test=" },
  { "delete", "test=", "test=firstval" },
  { "delete", "test=firstval", "" },
  { "delete", "test=foo", "test=foo" },
  { "delete", "test=foo", "" },
  { "delete", "nosmt", "nosmt" },
  { "delete", "nosmt", "" },
  { "delete", "foo=\"1 2\" bar=0", "" },
  { "replace", "nonexistantkey", NULL },
  { "replace", "single_key=nonexistantval=newval", NULL },
  { "replace", "test=newval", NULL },
  { "replace", "single_key=newvalue", "single_key=newvalue test=firstval test=secondval" },
  { "replace", "test=firstval=newval", "single_key=newvalue test=newval test=secondval" },
  { "replace", "foo=\"1 2\" bar", "foo=\"1 2\" bar" },
  { "parse", "root=UUID=abc quiet testparam=\"value with spaces\" rw",
    "root=UUID=abc|quiet|testparam=\"value with spaces\"|rw" },
  { "parse", "root=UUID=abc quiet \"testparam=value with spaces\" rw",
    "root=UUID=abc|quiet|\"testparam=value with spaces\"|rw",
    "ostree keeps the token and calls its key '\"testparam'; berth keeps the same bytes and, like "
    "the kernel, reads the key testparam" },
  { "parse", "foo=\"1 2\" bar=\"3 4\"", "foo=\"1 2\"|bar=\"3 4\"" },
};

static void
test_ostree_table (void)
{
  g_autoptr (GPtrArray) rows = read_table ("kargs/cmdline-cases/ostree-test-kargs.tsv");
  g_assert_cmpuint (rows->len, ==, G_N_ELEMENTS (ostree_rows));
  for (guint i = 0; i < rows->len; i++)
    {
      char **cols = rows->pdata[i];
      const OstreeRow *row = &ostree_rows[i];
      g_assert_cmpuint (g_strv_length (cols), ==, 6);
      g_assert_cmpstr (cols[0], ==, row->group);
      g_assert_cmpstr (cols[3], ==, row->argument);
      if (row->note != NULL)
        g_test_message ("ostree table row %u: %s", i + 1, row->note);

      const char *before = cols[1];
      if (g_str_equal (before, "(empty)"))
        before = "";
      before = strip_prefix (before, "... ");
      const char *op = cols[2];
      gboolean expect_ok = g_str_equal (cols[4], "ok");
      g_assert_true (expect_ok || g_str_equal (cols[4], "ERROR"));
      g_assert_cmpint (expect_ok, ==, row->after != NULL);

      g_autoptr (BerthKargs) kargs = berth_kargs_parse (before, NULL);
      g_autoptr (GError) error = NULL;
      gboolean ok = TRUE;
      if (g_str_equal (op, "append x6"))
        {
          g_auto (GStrv) args = g_strsplit (row->argument, " | ", -1);
          g_assert_cmpuint (g_strv_length (args), ==, 6);
          for (char **a = args; *a != NULL; a++)
            berth_kargs_append (kargs, *a, NULL);
          /* "to_strv has exactly 7 entries"; key test has values valid, secondvalid, "", none. */
          g_auto (GStrv) strv = berth_kargs_to_strv (kargs);
          g_assert_cmpuint (g_strv_length (strv), ==, 7);
          const char *values[] = { "valid", "secondvalid", "", NULL };
          guint n = 0;
          for (guint j = 0; j < berth_kargs_get_length (kargs); j++)
            if (g_str_equal (berth_kargs_get (kargs, j)->key, "test"))
              g_assert_cmpstr (berth_kargs_get (kargs, j)->value, ==, values[n++]);
          g_assert_cmpuint (n, ==, 4);
        }
      else if (g_str_equal (op, "delete"))
        ok = berth_kargs_delete (kargs, row->argument, &error);
      else if (g_str_equal (op, "replace"))
        ok = berth_kargs_replace (kargs, row->argument, NULL, &error);
      else if (g_str_equal (op, "parse_append"))
        {
          berth_kargs_append (kargs, row->argument, NULL);
          assert_raw_list (kargs, row->after);
          if (row->note != NULL)
            g_assert_cmpstr (berth_kargs_get (kargs, 2)->key, ==, "testparam");
          continue;
        }
      else
        g_error ("ostree table: unknown operation %s", op);

      if (expect_ok)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          assert_cmdline (kargs, row->after);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
          /* All or nothing: unchanged, byte for byte. */
          assert_cmdline (kargs, before);
        }
    }
}

/* ---- ostree-admin-deploy-karg-ordering.tsv ---------------------------------------------- */

static void
assert_options_regexes (const char *options_line, const char *column, gboolean present)
{
  if (*column == '\0' || *column == '(')
    return;
  g_auto (GStrv) regexes = g_strsplit (column, " ; ", -1);
  for (char **r = regexes; *r != NULL; r++)
    {
      /* Drop a trailing "(comment)". */
      g_autofree char *re = g_strdup (*r);
      char *comment = strstr (re, " (");
      if (comment != NULL)
        *comment = '\0';
      gboolean matched = g_regex_match_simple (re, options_line, 0, 0);
      if (matched != present)
        g_error ("'%s' %s '%s'", options_line, present ? "does not match" : "matches", re);
    }
}

static void
test_ostree_deploy_ordering_table (void)
{
  g_autoptr (GPtrArray) rows
    = read_table ("kargs/cmdline-cases/ostree-admin-deploy-karg-ordering.tsv");
  g_assert_cmpuint (rows->len, ==, 11);
  /* ostree admin deploy: --karg is ostree_kernel_args_replace, --karg-append appends,
   * --karg-delete is delete_if_present; each step starts from the merge deployment. */
  g_autoptr (BerthKargs) state = berth_kargs_new ();
  for (guint i = 0; i < rows->len; i++)
    {
      char **cols = rows->pdata[i];
      g_assert_cmpuint (g_strv_length (cols), ==, 4);
      g_assert_cmpuint (g_ascii_strtoull (cols[0], NULL, 10), ==, i + 1);
      const char *options = cols[1];
      if (g_str_equal (options, "--karg-proc-cmdline"))
        {
          /* Deploys from the host's own /proc/cmdline, then step 6 undeploys it again: the
           * state carries over from step 4, so only the skip is visible here. */
          g_test_message ("deploy ordering step %u skipped: it reads the test host's "
                          "/proc/cmdline, and step 6 undeploys its result",
                          i + 1);
          continue;
        }
      options = strip_prefix (options, "(after undeploy 0) ");
      if (g_str_equal (options, "(state check)"))
        options = "";

      g_auto (GStrv) argv = NULL;
      if (*options != '\0')
        g_assert_true (g_shell_parse_argv (options, NULL, &argv, NULL));
      for (char **a = argv; a != NULL && *a != NULL; a++)
        {
          const char *opt = *a, *value = strchr (opt, '=');
          g_autofree char *name = value != NULL ? g_strndup (opt, value - opt) : g_strdup (opt);
          if (value != NULL)
            value++;
          else
            value = *++a;
          g_assert_nonnull (value);
          g_autoptr (GError) error = NULL;
          if (g_str_equal (name, "--karg"))
            berth_kargs_set (state, value, NULL);
          else if (g_str_equal (name, "--karg-append"))
            berth_kargs_append (state, value, NULL);
          else if (g_str_equal (name, "--karg-delete"))
            g_assert_true (berth_kargs_delete_if_present (state, value, &error));
          else
            g_error ("deploy ordering: unknown option %s", name);
          g_assert_no_error (error);
        }
      g_autofree char *cmdline = to_string (state);
      g_autofree char *line = g_strdup_printf ("options %s", cmdline);
      assert_options_regexes (line, cols[2], TRUE);
      assert_options_regexes (line, cols[3], FALSE);
    }
  assert_cmdline (state, "root=LABEL=MOO FOO=BAR ANOTHERARG=ANOTHERVALUE APPENDARG=2NDAPPEND "
                         "FOO=TESTORDERED APPENDARG=3RDAPPEND");
}

/* ---- coreos-installer-kargs-editor.tsv ------------------------------------------------- */

/* "[a, "b c", d]" -> a | b c | d (quotes only group). */
static GPtrArray *
parse_list (const char *text)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_free);
  g_assert_true (text[0] == '[');
  const char *p = text + 1;
  while (*p != ']')
    {
      g_autoptr (GString) item = g_string_new (NULL);
      if (*p == '"')
        {
          for (p++; *p != '"'; p++)
            g_string_append_c (item, *p);
          p++;
        }
      else
        /* values hold commas but never ", " */
        for (; !(p[0] == ',' && p[1] == ' ') && !(p[0] == ']' && p[1] == '\0'); p++)
          g_string_append_c (item, *p);
      g_ptr_array_add (items, g_string_free (g_steal_pointer (&item), FALSE));
      if (*p == ',')
        p += 2; /* ", " */
    }
  return items;
}

static void
test_coreos_installer_table (void)
{
  g_autoptr (GPtrArray) rows = read_table ("kargs/cmdline-cases/coreos-installer-kargs-editor.tsv");
  g_assert_cmpuint (rows->len, ==, 12);
  for (guint i = 0; i < rows->len; i++)
    {
      char **cols = rows->pdata[i];
      g_assert_cmpuint (g_strv_length (cols), ==, 3);
      const char *original = cols[0];
      g_autofree char *ops_text = g_strdup (cols[1]);
      char *comment = strstr (ops_text, " (");
      gboolean not_present = comment != NULL && strstr (comment, "not present") != NULL;
      if (comment != NULL)
        *comment = '\0';

      /* The editor's fixed order: delete, append, append_if_missing, replace. */
      GPtrArray *lists[4] = { NULL, NULL, NULL, NULL };
      const char *names[4] = { "delete ", "append ", "append_if_missing ", "replace " };
      g_auto (GStrv) ops = g_strsplit (ops_text, "; ", -1);
      for (char **op = ops; *op != NULL; op++)
        {
          if (g_str_equal (*op, "(no operations)"))
            continue;
          guint k;
          for (k = 0; k < 4 && !g_str_has_prefix (*op, names[k]); k++)
            ;
          g_assert_cmpuint (k, <, 4);
          lists[k] = parse_list (*op + strlen (names[k]));
        }

      const char *expected = cols[2];
      g_autofree char *expected_text = NULL;
      if (g_str_has_prefix (expected, "maybe_apply_to -> None"))
        expected = original;
      else if (g_str_has_prefix (expected, "maybe_apply_to -> Some(\""))
        {
          expected_text = g_strdup (expected + strlen ("maybe_apply_to -> Some(\""));
          *strstr (expected_text, "\")") = '\0';
          expected = expected_text;
        }

      g_autoptr (BerthKargs) kargs = berth_kargs_parse (original, NULL);
      g_autoptr (GError) error = NULL;
      gboolean ok = TRUE;
      for (guint j = 0; ok && lists[0] != NULL && j < lists[0]->len; j++)
        ok = berth_kargs_delete (kargs, lists[0]->pdata[j], &error);
      if (not_present)
        {
          /* coreos-installer ignores a delete that matches nothing; ostree (and so
           * berth_kargs_delete) refuses it. delete_if_present is the coreos behaviour. */
          g_test_message ("coreos-installer row %u: deleting a missing karg is an error in "
                          "ostree's semantics; checked with delete_if_present instead",
                          i + 1);
          g_assert_false (ok);
          g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
          g_clear_error (&error);
          ok = berth_kargs_delete_if_present (kargs, lists[0]->pdata[0], &error);
        }
      g_assert_no_error (error);
      g_assert_true (ok);
      for (guint j = 0; lists[1] != NULL && j < lists[1]->len; j++)
        berth_kargs_append (kargs, lists[1]->pdata[j], NULL);
      for (guint j = 0; lists[2] != NULL && j < lists[2]->len; j++)
        berth_kargs_append_if_missing (kargs, lists[2]->pdata[j], NULL);
      for (guint j = 0; lists[3] != NULL && j < lists[3]->len; j++)
        g_assert_true (berth_kargs_replace (kargs, lists[3]->pdata[j], NULL, &error));
      g_assert_no_error (error);
      assert_cmdline (kargs, expected);
      for (guint k = 0; k < 4; k++)
        g_clear_pointer (&lists[k], g_ptr_array_unref);
    }
}

/* ---- systemd-proc-cmdline.tsv ---------------------------------------------------------- */

typedef struct
{
  const char *query;     /* column 2 */
  const char *pairs[16]; /* key, value (NONE: a switch), ... as berth reads them */
  const char *skip;      /* why (part of) the row is not berth's behaviour */
} SystemdRow;

static const SystemdRow systemd_rows[] = {
  { "split to strv",
    { "foo_bar", "quux", "wuff-piep", "tuet", "zumm", NONE, "and_one_more", "zzz aaa",
      /* the disagreement, as the kernel reads it */
      "some_arg_with_space", "'foo", "bar'", NONE },
    "systemd is shell-like: 'foo bar' groups in single quotes; the kernel knows only double "
    "quotes, so berth reads some_arg_with_space='foo and a switch bar'" },
  { "parse (callback)",
    { "foo_bar", "quux", "wuff-piep", "tuet ", "miepf", "uuu", "rd.zumm", NONE, "space", "'x" },
    "space='x y z' is single-quoted (the kernel reads three arguments); systemd's "
    "STRIP_RD_PREFIX is not a kernel rule" },
  { "get_key foo-bar", { "foo-bar", "quux" } },
  { "get_key wuff_piep", { "wuff_piep", "tuet" } },
  { "get_key zumm_ghh", { "zumm_ghh", NONE } },
  { "get_key spaaace",
    { "spaaace", "'\xc3\xb6" },
    "single quotes: the kernel's value of spaaace is the quote and the first word only" },
  { "get_key ticks", { "ticks", "''" } },
  { "get_key kkk", { "kkk", "uuu" } },
  { "get_bool",
    { "foo_bar", NONE, "bar_waldo", "1", "x-y-z", "0", "quux", "miep", "da", "yes", "the", "1" },
    "booleans are systemd's reading (parse_boolean), not the kernel's: only the values are "
    "checked" },
  { "get_key_many",
    { "foo_bar", "quux", "wuff-piep", "tuet", "zumm", NONE, "doubleticks", " aaa aaa ", "SPACE",
      "'one", "zummm", "'" },
    "SPACE='one two' and zummm='\\n' are single-quoted: the kernel splits them" },
};

static void
test_systemd_table (void)
{
  g_autoptr (GPtrArray) rows = read_table ("kargs/cmdline-cases/systemd-proc-cmdline.tsv");
  g_assert_cmpuint (rows->len, ==, G_N_ELEMENTS (systemd_rows));
  g_autofree char *cmdline = NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      char **cols = rows->pdata[i];
      const SystemdRow *row = &systemd_rows[i];
      g_assert_cmpstr (cols[1], ==, row->query);
      if (!g_str_equal (cols[0], "(same)"))
        {
          g_free (cmdline);
          cmdline = unescape (cols[0]);
        }
      if (row->skip != NULL)
        g_test_message ("systemd row %u (%s): %s", i + 1, row->query, row->skip);
      g_autoptr (BerthKargs) kargs = berth_kargs_parse (cmdline, NULL);
      for (guint j = 0; row->pairs[j] != NULL; j += 2)
        {
          const BerthKarg *karg = berth_kargs_find (kargs, row->pairs[j]);
          g_assert_nonnull (karg);
          if (g_str_equal (row->pairs[j + 1], NONE))
            g_assert_null (karg->value);
          else
            g_assert_cmpstr (karg->value, ==, row->pairs[j + 1]);
        }
    }
}

/* ---- kargs.d --------------------------------------------------------------------------- */

static BerthKargs *
kargs_d_fixture (const char *relpath, const char *arch, GError **error)
{
  gsize len;
  g_autofree char *data = berth_test_fixture_contents (relpath, &len);
  BerthKargs *kargs = NULL;
  g_autofree char *name = g_path_get_basename (relpath);
  if (!berth_kargs_d_parse (name, data, len, arch, &kargs, error))
    return NULL;
  return kargs;
}

static void
test_kargs_d_cases (void)
{
  const char *arches[] = { "x86_64", "aarch64" };
  g_autoptr (GError) error = NULL;
  for (guint a = 0; a < G_N_ELEMENTS (arches); a++)
    {
      /* arch-unrestricted.toml (no trailing newline): on both. */
      g_autoptr (BerthKargs) k
        = kargs_d_fixture ("kargs/kargs.d-cases/arch-unrestricted.toml", arches[a], &error);
      g_assert_no_error (error);
      assert_cmdline (k, "console=tty0 nosmt");
      /* arch-x86_64-and-aarch64.toml: on both. */
      g_autoptr (BerthKargs) both
        = kargs_d_fixture ("kargs/kargs.d-cases/arch-x86_64-and-aarch64.toml", arches[a], &error);
      g_assert_no_error (error);
      assert_cmdline (both, "console=tty0 nosmt");
    }
  /* arch-x86_64-only.toml on aarch64: skipped; on x86_64: used. */
  g_autoptr (BerthKargs) x86_on_arm
    = kargs_d_fixture ("kargs/kargs.d-cases/arch-x86_64-only.toml", "aarch64", &error);
  g_assert_no_error (error);
  g_assert_null (x86_on_arm);
  g_autoptr (BerthKargs) x86
    = kargs_d_fixture ("kargs/kargs.d-cases/arch-x86_64-only.toml", "x86_64", &error);
  assert_cmdline (x86, "console=tty0 nosmt");
  /* arch-aarch64-only.toml on aarch64: used; on x86_64: skipped. */
  g_autoptr (BerthKargs) arm
    = kargs_d_fixture ("kargs/kargs.d-cases/arch-aarch64-only.toml", "aarch64", &error);
  assert_cmdline (arm, "console=tty0 nosmt");
  g_autoptr (BerthKargs) arm_on_x86
    = kargs_d_fixture ("kargs/kargs.d-cases/arch-aarch64-only.toml", "x86_64", &error);
  g_assert_no_error (error);
  g_assert_null (arm_on_x86);

  /* The two invalid files: errors naming the file and line. */
  g_assert_null (kargs_d_fixture ("kargs/kargs.d-cases/invalid-literal-backslash-n-extra-key.toml",
                                  "x86_64", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "invalid-literal-backslash-n-extra-key.toml:1: expected the end of the line "
                   "after the value of 'kargs', found '\\'");
  g_clear_error (&error);
  g_assert_null (
    kargs_d_fixture ("kargs/kargs.d-cases/invalid-missing-kargs-key.toml", "x86_64", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  /* The README says "missing kargs, unknown key foo"; `foo=bar` is not even TOML (bar is not
   * quoted), so the TOML error comes first. The schema errors are checked in
   * test_kargs_d_errors with the quoted form. */
  g_assert_cmpstr (
    error->message, ==,
    "invalid-missing-kargs-key.toml:1: invalid value 'bar' (strings must be quoted)");
  g_clear_error (&error);
}

static void
test_kargs_d_dir_example (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path
    = berth_test_fixture ("kargs/kargs.d-cases/dir-example/usr/lib/bootc/kargs.d");
  g_autoptr (GFile) dir = g_file_new_for_path (path);
  g_autoptr (GPtrArray) skipped = NULL;
  g_autoptr (BerthKargs) k = berth_kargs_d_load_dir (dir, "x86_64", &skipped, NULL, &error);
  g_assert_no_error (error);
  /* somegarbage is not a .toml file: ignored. */
  assert_cmdline (k, "console=tty0 nosmt console=ttyS1");
  g_assert_cmpuint (skipped->len, ==, 0);
  g_autofree char *foo = g_build_filename (path, "01-foo.toml", NULL);
  g_autofree char *bar = g_build_filename (path, "02-bar.toml", NULL);
  g_autofree char *foo_src = g_strdup_printf ("%s:1", foo);
  g_autofree char *bar_src = g_strdup_printf ("%s:1", bar);
  assert_source (k, 0, BERTH_KARGS_SOURCE_KARGS_D, foo_src);
  assert_source (k, 2, BERTH_KARGS_SOURCE_KARGS_D, bar_src);

  /* A missing directory is no kargs (the image has no kargs.d). */
  g_autofree char *missing_path = berth_test_fixture ("kargs/kargs.d-cases/dir-example/nope");
  g_autoptr (GFile) missing = g_file_new_for_path (missing_path);
  g_autoptr (BerthKargs) none = berth_kargs_d_load_dir (missing, "x86_64", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (berth_kargs_get_length (none), ==, 0);
}

static void
test_kargs_d_upgrade (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKargs) v0
    = kargs_d_fixture ("kargs/kargs.d-cases/upgrade-v0/05-testkargs.toml", "x86_64", &error);
  g_autoptr (BerthKargs) v1
    = kargs_d_fixture ("kargs/kargs.d-cases/upgrade-v1/05-testkargs.toml", "x86_64", &error);
  g_assert_no_error (error);
  g_autoptr (BerthKargs) added = NULL;
  g_autoptr (BerthKargs) removed = NULL;
  berth_kargs_diff (v0, v1, &added, &removed);
  assert_cmdline (removed, "othertestkarg thirdkarg=bar");
  assert_cmdline (added, "thirdkarg=baz");

  /* Applied to the deployment's command line: machine-local root= stays, and an argument the
   * user added by hand that equals no kargs.d one stays too. */
  g_autoptr (BerthKargs) deployed = berth_kargs_parse (
    "root=UUID=abc rw testarg=foo othertestkarg thirdkarg=bar othertestkarg=1 quiet", NULL);
  berth_kargs_apply_kargs_d_update (deployed, v0, v1);
  assert_cmdline (deployed, "root=UUID=abc rw testarg=foo othertestkarg=1 quiet thirdkarg=baz");
  assert_source (deployed, 5, BERTH_KARGS_SOURCE_KARGS_D, "05-testkargs.toml:1");
}

typedef struct
{
  const char *file;
  const char *x86_64;  /* the command line on x86_64 */
  const char *aarch64; /* on aarch64, NULL: skipped */
} KargsDFile;

static const KargsDFile kargs_d_files[] = {
  { "bluefin-lts-00-nvidia.toml",
    "rd.driver.blacklist=nouveau modprobe.blacklist=nouveau nvidia-drm.modeset=1",
    "rd.driver.blacklist=nouveau modprobe.blacklist=nouveau nvidia-drm.modeset=1" },
  { "bootc-contrib-10-rootfs-rw.toml", "rw", "rw" },
  { "bootc-contrib-21-console-hvc0.toml", "console=ttyS0,115200n8 console=hvc0",
    "console=ttyS0,115200n8 console=hvc0" },
  { "bootc-docs-00-console.toml", "console=ttyS0,115200n8", NULL },
  { "bootc-docs-10-example.toml", "mitigations=auto,nosmt", "mitigations=auto,nosmt" },
  { "bootc-docs-50-var-volatile.toml", "systemd.volatile=state", "systemd.volatile=state" },
  { "bootc-hack-10-test.toml", "kargsd-test=1 kargsd-othertest=2",
    "kargsd-test=1 kargsd-othertest=2" },
  { "bootc-hack-20-console.toml", "console=ttyS0,115200n8", "console=ttyS0,115200n8" },
  { "bootc-hack-20-test2.toml", "testing-kargsd=3", "testing-kargsd=3" },
};

static void
test_kargs_d_real_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir_path = berth_test_fixture ("kargs/kargs.d");
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);
  guint n_files = 0;
  while (g_dir_read_name (dir) != NULL)
    n_files++;
  g_assert_cmpuint (n_files, ==, G_N_ELEMENTS (kargs_d_files));

  for (guint i = 0; i < G_N_ELEMENTS (kargs_d_files); i++)
    {
      g_autofree char *rel = g_build_filename ("kargs/kargs.d", kargs_d_files[i].file, NULL);
      g_autoptr (BerthKargs) x86 = kargs_d_fixture (rel, "x86_64", &error);
      g_assert_no_error (error);
      assert_cmdline (x86, kargs_d_files[i].x86_64);
      g_autoptr (BerthKargs) arm = kargs_d_fixture (rel, "aarch64", &error);
      g_assert_no_error (error);
      if (kargs_d_files[i].aarch64 == NULL)
        g_assert_null (arm);
      else
        assert_cmdline (arm, kargs_d_files[i].aarch64);
    }

  /* The whole folder as one image's kargs.d: name order, equal arguments once (bootc's
   * Cmdline::extend), bootc-docs-00-console.toml skipped on aarch64. */
  g_autoptr (GFile) d = g_file_new_for_path (dir_path);
  g_autoptr (GPtrArray) skipped = NULL;
  g_autoptr (BerthKargs) all = berth_kargs_d_load_dir (d, "x86_64", &skipped, NULL, &error);
  g_assert_no_error (error);
  assert_cmdline (all, "rd.driver.blacklist=nouveau modprobe.blacklist=nouveau "
                       "nvidia-drm.modeset=1 rw console=ttyS0,115200n8 console=hvc0 "
                       "mitigations=auto,nosmt systemd.volatile=state kargsd-test=1 "
                       "kargsd-othertest=2 testing-kargsd=3");
  g_assert_cmpuint (skipped->len, ==, 0);
  g_autoptr (GPtrArray) skipped_arm = NULL;
  g_autoptr (BerthKargs) all_arm
    = berth_kargs_d_load_dir (d, "aarch64", &skipped_arm, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (skipped_arm->len, ==, 1);
  g_assert_true (g_str_has_suffix (skipped_arm->pdata[0], "/bootc-docs-00-console.toml"));
  /* The first console=ttyS0,115200n8 now comes from bootc-contrib-21 either way. */
  assert_cmdline (all_arm, "rd.driver.blacklist=nouveau modprobe.blacklist=nouveau "
                           "nvidia-drm.modeset=1 rw console=ttyS0,115200n8 console=hvc0 "
                           "mitigations=auto,nosmt systemd.volatile=state kargsd-test=1 "
                           "kargsd-othertest=2 testing-kargsd=3");
}

static void
test_kargs_d_errors (void)
{
  struct
  {
    const char *text, *message;
  } cases[] = {
    { "foo = \"bar\"\n",
      "x.toml:1: unknown key 'foo' (a kargs.d file has only 'kargs' and 'match-architectures')" },
    { "", "x.toml: the required key 'kargs' is missing" },
    { "match-architectures = [\"x86_64\"]\n", "x.toml: the required key 'kargs' is missing" },
    { "kargs = \"nosmt\"\n", "x.toml:1: kargs must be an array of strings, not a string" },
    { "kargs = []\nmatch-architectures = \"x86_64\"\n",
      "x.toml:2: match-architectures must be an array of strings, not a string" },
    { "kargs = []\nmatch_architectures = [\"x86_64\"]\n",
      "x.toml:2: unknown key 'match_architectures' (a kargs.d file has only 'kargs' and "
      "'match-architectures')" },
    { "kargs = []\n[extra]\n",
      "x.toml:2: unknown key 'extra' (a kargs.d file has only 'kargs' and 'match-architectures')" },
    { "kargs = [1]\n", "x.toml:1: only strings are supported in arrays, found '1'" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      BerthKargs *out = (BerthKargs *)0x1;
      g_assert_false (berth_kargs_d_parse ("x.toml", cases[i].text, strlen (cases[i].text),
                                           "x86_64", &out, &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_true (out == (BerthKargs *)0x1); /* out_ untouched on error */
    }

  /* One string may hold several arguments, and (as bootc joins them with spaces) an
   * unbalanced quote carries into the next string. Each argument names its string's line. */
  const char *text = "kargs = [\n  \"a=1 b\",\n  \"dyndbg=\\\"file x.c\",\n  \"+p\\\"\",\n"
                     "  \"\", \"c\",\n]\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKargs) k = NULL;
  g_assert_true (berth_kargs_d_parse ("/usr/lib/bootc/kargs.d/x.toml", text, strlen (text),
                                      "x86_64", &k, &error));
  g_assert_no_error (error);
  assert_raw_list (k, "a=1|b|dyndbg=\"file x.c +p\"|c");
  g_assert_cmpstr (berth_kargs_get (k, 2)->value, ==, "file x.c +p");
  assert_source (k, 0, BERTH_KARGS_SOURCE_KARGS_D, "/usr/lib/bootc/kargs.d/x.toml:2");
  assert_source (k, 1, BERTH_KARGS_SOURCE_KARGS_D, "/usr/lib/bootc/kargs.d/x.toml:2");
  assert_source (k, 2, BERTH_KARGS_SOURCE_KARGS_D, "/usr/lib/bootc/kargs.d/x.toml:3");
  assert_source (k, 3, BERTH_KARGS_SOURCE_KARGS_D, "/usr/lib/bootc/kargs.d/x.toml:5");
}

static void
test_kargs_d_files_api (void)
{
  /* (name, bytes) pairs as read from an ostree commit: only *.toml, by name (not by path or
   * by the order given), ".toml" alone is a hidden file with no extension. */
  const BerthKargsFile files[] = {
    FILE_OF ("/usr/lib/bootc/kargs.d/20-b.toml", "kargs = [\"b\"]"),
    FILE_OF ("/usr/lib/bootc/kargs.d/README", "not toml"),
    FILE_OF ("/usr/lib/bootc/kargs.d/.toml", "kargs = [\"hidden\"]"),
    FILE_OF ("/usr/lib/bootc/kargs.d/10-a.toml", "kargs = [\"a\", \"b\"]"),
    FILE_OF ("/usr/lib/bootc/kargs.d/15-arm.toml",
             "kargs = [\"arm\"]\nmatch-architectures = [\"aarch64\"]"),
    FILE_OF ("/usr/lib/bootc/kargs.d/10-a.toml.bak", "junk"),
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) skipped = NULL;
  g_autoptr (BerthKargs) k
    = berth_kargs_d_load_files (files, G_N_ELEMENTS (files), "x86_64", &skipped, &error);
  g_assert_no_error (error);
  assert_cmdline (k, "a b");
  assert_source (k, 1, BERTH_KARGS_SOURCE_KARGS_D, "/usr/lib/bootc/kargs.d/10-a.toml:1");
  g_assert_cmpuint (skipped->len, ==, 1);
  g_assert_cmpstr (skipped->pdata[0], ==, "/usr/lib/bootc/kargs.d/15-arm.toml");
  g_autoptr (BerthKargs) arm
    = berth_kargs_d_load_files (files, G_N_ELEMENTS (files), "aarch64", NULL, &error);
  assert_cmdline (arm, "a b arm");
  g_autoptr (BerthKargs) none = berth_kargs_d_load_files (NULL, 0, "x86_64", NULL, &error);
  g_assert_cmpuint (berth_kargs_get_length (none), ==, 0);

  /* One bad file fails the lot, naming it. */
  const BerthKargsFile bad[] = {
    FILE_OF ("a.toml", "kargs = [\"a\"]"),
    FILE_OF ("b.toml", "kargs = [\"a\"]\nfoo = true"),
  };
  g_assert_null (berth_kargs_d_load_files (bad, 2, "x86_64", NULL, &error));
  g_assert_cmpstr (error->message, ==,
                   "b.toml:2: unknown key 'foo' (a kargs.d file has only 'kargs' and "
                   "'match-architectures')");
}

static void
test_kargs_d_dir_refusals (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("berth-kargs-XXXXXX", &error);
  g_assert_no_error (error);
  g_autoptr (GFile) dir = g_file_new_for_path (tmp);
  g_autofree char *link = g_build_filename (tmp, "10-link.toml", NULL);
  g_autofree char *big = g_build_filename (tmp, "20-big.toml", NULL);
  g_autofree char *sub = g_build_filename (tmp, "30-dir.toml", NULL);

  /* A symbolic link is not followed (it could point out of the image). */
  g_assert_cmpint (symlink ("/etc/hostname", link), ==, 0);
  g_assert_null (berth_kargs_d_load_dir (dir, "x86_64", NULL, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_autofree char *msg = g_strdup_printf (
    "%s: is a symbolic link (not followed: it could point out of the image)", link);
  g_assert_cmpstr (error->message, ==, msg);
  g_clear_error (&error);
  g_assert_cmpint (unlink (link), ==, 0);

  /* A file over the cap. */
  g_autofree char *huge = g_strnfill (BERTH_KARGS_FILE_MAX + 1, '#');
  g_assert_true (g_file_set_contents (big, huge, -1, NULL));
  g_assert_null (berth_kargs_d_load_dir (dir, "x86_64", NULL, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpint (unlink (big), ==, 0);

  /* A directory named *.toml. */
  g_assert_cmpint (mkdir (sub, 0755), ==, 0);
  g_assert_null (berth_kargs_install_config_load_dir (dir, "x86_64", NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_autofree char *msg2 = g_strdup_printf ("%s: is not a regular file", sub);
  g_assert_cmpstr (error->message, ==, msg2);
  g_clear_error (&error);
  g_assert_cmpint (rmdir (sub), ==, 0);

  /* A file where the directory should be: a GIO error, saying what was being read. */
  g_autofree char *plain = g_build_filename (tmp, "plain", NULL);
  g_assert_true (g_file_set_contents (plain, "x", -1, NULL));
  g_autoptr (GFile) not_dir = g_file_new_for_path (plain);
  g_assert_null (berth_kargs_d_load_dir (not_dir, "x86_64", NULL, NULL, &error));
  g_assert_true (g_str_has_prefix (error->message, "Reading "));
  g_assert_cmpint (berth_error_code_of (error), ==, BERTH_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpint (unlink (plain), ==, 0);
  g_assert_cmpint (rmdir (tmp), ==, 0);
}

/* ---- install configuration ------------------------------------------------------------- */

static BerthKargsInstallConfig *
install_config_fixture (const char *file, const char *arch, GError **error)
{
  g_autofree char *rel = g_build_filename ("kargs/install-config", file, NULL);
  gsize len;
  g_autofree char *data = berth_test_fixture_contents (rel, &len);
  BerthKargsFile f = { .name = file, .contents = data, .length = len };
  return berth_kargs_install_config_load_files (&f, 1, arch, error);
}

static void
assert_value (const BerthKargsConfigValue *v, const char *value, const char *file, guint line)
{
  g_assert_cmpstr (v->value, ==, value);
  g_assert_cmpstr (v->file, ==, file);
  g_assert_cmpuint (v->line, ==, line);
}

static void
assert_ignored (const BerthKargsInstallConfig *c, guint i, const char *file, guint line,
                const char *key)
{
  g_assert_cmpuint (i, <, c->ignored->len);
  const BerthKargsConfigIgnored *ig = c->ignored->pdata[i];
  g_assert_cmpstr (ig->file, ==, file);
  g_assert_cmpuint (ig->line, ==, line);
  g_assert_cmpstr (ig->key, ==, key);
}

static void
test_install_config_files (void)
{
  g_autoptr (GError) error = NULL;

  /* bootc's config.rs test: root-fs-type, kargs, karg-deletes. */
  const char *f1 = "bootc-config-rs-karg-deletes.toml";
  g_autoptr (BerthKargsInstallConfig) c1 = install_config_fixture (f1, "x86_64", &error);
  g_assert_no_error (error);
  assert_cmdline (c1->kargs, "console=ttyS0 foo=bar");
  assert_source (c1->kargs, 1, BERTH_KARGS_SOURCE_INSTALL_CONFIG,
                 "bootc-config-rs-karg-deletes.toml:3");
  assert_cmdline (c1->karg_deletes, "debug bar=baz");
  assert_value (&c1->root_fs_type, "ext4", f1, 2);
  assert_value (&c1->root_mount_spec, NULL, NULL, 0);
  g_assert_cmpuint (c1->ignored->len, ==, 0);
  g_assert_cmpuint (c1->files->len, ==, 1);

  /* bootc's documented example: every setting, two keys berth ignores. */
  const char *f2 = "bootc-docs-install-config-example.toml";
  g_autoptr (BerthKargsInstallConfig) c2 = install_config_fixture (f2, "x86_64", &error);
  g_assert_no_error (error);
  assert_cmdline (c2->kargs, "nosmt console=tty0");
  assert_value (&c2->root_fs_type, "xfs", f2, 2);
  assert_value (&c2->stateroot, "myos", f2, 6);
  assert_value (&c2->root_mount_spec, "LABEL=rootfs", f2, 7);
  assert_value (&c2->boot_mount_spec, "UUID=abcd-1234", f2, 8);
  g_assert_cmpuint (c2->ignored->len, ==, 2);
  assert_ignored (c2, 0, f2, 9, "install.enforce-container-sigpolicy");
  assert_ignored (c2, 1, f2, 12, "install.ostree.bls-append-except-default");

  g_autoptr (BerthKargsInstallConfig) c3
    = install_config_fixture ("bootc-hack-50-test-kargs.toml", "x86_64", &error);
  assert_cmdline (c3->kargs, "localtestkarg=somevalue otherlocalkarg=42");

  /* FCOS: empty mount specs (omit root= and boot=), and bootupd's setting. */
  const char *f4 = "fcos-10-boot.toml";
  g_autoptr (BerthKargsInstallConfig) c4 = install_config_fixture (f4, "x86_64", &error);
  g_assert_no_error (error);
  assert_value (&c4->root_mount_spec, "", f4, 12);
  assert_value (&c4->boot_mount_spec, "", f4, 13);
  g_assert_cmpuint (c4->ignored->len, ==, 1);
  assert_ignored (c4, 0, f4, 5, "install.bootupd.skip-boot-uuid");

  g_autoptr (BerthKargsInstallConfig) c5
    = install_config_fixture ("fcos-10-grub-bls-append.toml", "x86_64", &error);
  assert_ignored (c5, 0, "fcos-10-grub-bls-append.toml", 2,
                  "install.ostree.bls-append-except-default");
  g_autoptr (BerthKargsInstallConfig) c6
    = install_config_fixture ("fcos-15-ostree.toml", "x86_64", &error);
  g_assert_no_error (error);
  assert_ignored (c6, 0, "fcos-15-ostree.toml", 5, "install.enforce-container-sigpolicy");
  g_assert_cmpuint (berth_kargs_get_length (c6->kargs), ==, 0);

  /* The two .conf files of other tools in bootc's base image are not install configuration:
   * not *.toml, so never read from the directory... */
  g_autoptr (BerthKargsInstallConfig) conf
    = install_config_fixture ("bootc-baseimage-prepare-root.conf", "x86_64", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conf->files->len, ==, 0);
  /* ...and refused if someone renamed them to .toml. */
  const char *const confs[][2] = {
    { "bootc-baseimage-prepare-root.conf",
      "prepare-root.toml:1: unknown key 'composefs' (bootc's install configuration has only "
      "[install])" },
    { "bootc-baseimage-kernel-install.conf",
      "install.toml:4: invalid value 'ostree' (strings must be quoted)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (confs); i++)
    {
      g_autofree char *rel = g_build_filename ("kargs/install-config", confs[i][0], NULL);
      gsize len;
      g_autofree char *data = berth_test_fixture_contents (rel, &len);
      BerthKargsFile f = { .name = i == 0 ? "prepare-root.toml" : "install.toml",
                           .contents = data,
                           .length = len };
      g_assert_null (berth_kargs_install_config_load_files (&f, 1, "x86_64", &error));
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, confs[i][1]);
      g_clear_error (&error);
    }
}

static void
test_install_config_dir (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = berth_test_fixture ("kargs/install-config");
  g_autoptr (GFile) dir = g_file_new_for_path (path);
  g_autoptr (BerthKargsInstallConfig) c
    = berth_kargs_install_config_load_dir (dir, "x86_64", NULL, &error);
  g_assert_no_error (error);
  const char *names[]
    = { "bootc-config-rs-karg-deletes.toml", "bootc-docs-install-config-example.toml",
        "bootc-hack-50-test-kargs.toml",     "fcos-10-boot.toml",
        "fcos-10-grub-bls-append.toml",      "fcos-15-ostree.toml" };
  g_assert_cmpuint (c->files->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (base_of (c->files->pdata[i]), ==, names[i]);
  g_assert_cmpuint (c->skipped->len, ==, 0);

  /* kargs appended in file order; later settings win; filesystem.root.type beats
   * root-fs-type. */
  assert_cmdline (c->kargs, "console=ttyS0 foo=bar nosmt console=tty0 localtestkarg=somevalue "
                            "otherlocalkarg=42");
  assert_cmdline (c->karg_deletes, "debug bar=baz");
  g_assert_cmpstr (c->root_fs_type.value, ==, "xfs");
  g_assert_cmpstr (c->stateroot.value, ==, "myos");
  g_assert_cmpstr (c->root_mount_spec.value, ==, "");
  g_assert_true (g_str_has_suffix (c->root_mount_spec.file, "/fcos-10-boot.toml"));
  g_assert_cmpstr (c->boot_mount_spec.value, ==, "");
  const char *ignored[][2] = {
    { "bootc-docs-install-config-example.toml", "install.enforce-container-sigpolicy" },
    { "bootc-docs-install-config-example.toml", "install.ostree.bls-append-except-default" },
    { "fcos-10-boot.toml", "install.bootupd.skip-boot-uuid" },
    { "fcos-10-grub-bls-append.toml", "install.ostree.bls-append-except-default" },
    { "fcos-15-ostree.toml", "install.enforce-container-sigpolicy" },
  };
  g_assert_cmpuint (c->ignored->len, ==, G_N_ELEMENTS (ignored));
  for (guint i = 0; i < G_N_ELEMENTS (ignored); i++)
    {
      const BerthKargsConfigIgnored *ig = c->ignored->pdata[i];
      g_assert_cmpstr (base_of (ig->file), ==, ignored[i][0]);
      g_assert_cmpstr (ig->key, ==, ignored[i][1]);
    }

  /* No such directory: an empty configuration. */
  g_autofree char *none_path = g_build_filename (path, "nope", NULL);
  g_autoptr (GFile) none_dir = g_file_new_for_path (none_path);
  g_autoptr (BerthKargsInstallConfig) none
    = berth_kargs_install_config_load_dir (none_dir, "x86_64", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (none->root_mount_spec.value);
  g_assert_cmpuint (none->files->len, ==, 0);
}

static void
test_install_config_merge_rules (void)
{
  g_autoptr (GError) error = NULL;
  const BerthKargsFile files[] = {
    /* given out of order: merged by name */
    FILE_OF ("30-arm.toml", "[install]\nkargs = [\"arm\"]\nstateroot = \"armos\"\n"
                            "match-architectures = [\"aarch64\"]\n"),
    FILE_OF ("10-base.toml", "[install.filesystem.root]\ntype = \"btrfs\"\n[install]\n"
                             "kargs = [\"a b\", \"c\"]\nstateroot = \"base\"\n"),
    FILE_OF ("20-derived.toml", "[install]\nroot-fs-type = \"ext4\"\nkargs = [\"a\"]\n"
                                "karg-deletes = [\"c\"]\nstateroot = \"derived\"\n"
                                "[install.ostree]\nfuture-key = 1\n"),
    FILE_OF ("40-empty.toml", "# nothing\n"),
  };
  g_autoptr (BerthKargsInstallConfig) x86
    = berth_kargs_install_config_load_files (files, G_N_ELEMENTS (files), "x86_64", &error);
  g_assert_no_error (error);
  /* "a b" is two arguments; kargs are appended without de-duplication (that happens when the
   * command line is built). */
  assert_cmdline (x86->kargs, "a b c a");
  assert_source (x86->kargs, 1, BERTH_KARGS_SOURCE_INSTALL_CONFIG, "10-base.toml:4");
  assert_value (&x86->stateroot, "derived", "20-derived.toml", 5);
  /* The newer key wins even from an earlier file (bootc's canonicalize()). */
  assert_value (&x86->root_fs_type, "btrfs", "10-base.toml", 2);
  g_assert_cmpuint (x86->skipped->len, ==, 1);
  g_assert_cmpstr (x86->skipped->pdata[0], ==, "30-arm.toml");
  g_assert_cmpuint (x86->files->len, ==, 3);
  /* bootc only warns about unknown keys in [install.ostree]: listed, not refused. */
  assert_ignored (x86, 0, "20-derived.toml", 7, "install.ostree.future-key");

  g_autoptr (BerthKargsInstallConfig) arm
    = berth_kargs_install_config_load_files (files, G_N_ELEMENTS (files), "aarch64", &error);
  assert_cmdline (arm->kargs, "a b c a arm");
  assert_value (&arm->stateroot, "armos", "30-arm.toml", 3);
  g_assert_cmpuint (arm->skipped->len, ==, 0);

  /* Only root-fs-type: it is the filesystem. */
  const BerthKargsFile legacy = FILE_OF ("x.toml", "[install]\nroot-fs-type = \"xfs\"\n");
  g_autoptr (BerthKargsInstallConfig) l
    = berth_kargs_install_config_load_files (&legacy, 1, "x86_64", &error);
  g_assert_no_error (error);
  assert_value (&l->root_fs_type, "xfs", "x.toml", 2);
}

static void
test_install_config_errors (void)
{
  struct
  {
    const char *text, *message;
  } cases[] = {
    { "[install]\nfoo = 1\n",
      "x.toml:2: unknown key 'foo' in [install] (bootc's install configuration has no such key)" },
    { "kargs = [\"x\"]\n",
      "x.toml:1: unknown key 'kargs' (bootc's install configuration has only [install])" },
    { "install = \"x\"\n", "x.toml:1: install must be a table, not a string" },
    { "[install]\nkargs = \"nosmt\"\n",
      "x.toml:2: install.kargs must be an array of strings, not a string" },
    { "[install]\nkarg-deletes = true\n",
      "x.toml:2: install.karg-deletes must be an array of strings, not a boolean" },
    { "[install]\nroot-mount-spec = []\n",
      "x.toml:2: install.root-mount-spec must be a string, not an array of strings" },
    { "[install]\nstateroot = 1\n",
      "x.toml:2: install.stateroot must be a string, not an integer" },
    { "[install]\nroot-fs-type = \"zfs\"\n",
      "x.toml:2: install.root-fs-type: unknown value 'zfs' (expected one of: xfs, ext4, btrfs)" },
    { "[install.filesystem.root]\ntype = \"vfat\"\n",
      "x.toml:2: install.filesystem.root.type: unknown value 'vfat' (expected one of: xfs, ext4, "
      "btrfs)" },
    { "[install.filesystem.root]\nsize = \"10G\"\n",
      "x.toml:2: unknown key 'size' in [install.filesystem.root] (bootc's install configuration "
      "has no such key)" },
    { "[install.filesystem.boot]\ntype = \"xfs\"\n",
      "x.toml:1: unknown key 'boot' in [install.filesystem] (bootc's install configuration has "
      "no such key)" },
    { "[install]\nblock = [\"lvm\"]\n",
      "x.toml:2: install.block: unknown value 'lvm' (expected direct or tpm2-luks)" },
    { "[install]\nbootloader = \"lilo\"\n",
      "x.toml:2: install.bootloader: unknown value 'lilo' (expected one of: grub, grub-cc, "
      "systemd, none)" },
    { "[install]\nenforce-container-sigpolicy = \"yes\"\n",
      "x.toml:2: install.enforce-container-sigpolicy must be a boolean, not a string" },
    { "[install.bootupd]\nskip-boot-uuid = 1\n",
      "x.toml:2: install.bootupd.skip-boot-uuid must be a boolean, not an integer" },
    { "[install.bootupd]\nother = true\n",
      "x.toml:2: unknown key 'other' in [install.bootupd] (bootc's install configuration has no "
      "such key)" },
    { "[install.ostree]\nbls-append-except-default = 1\n",
      "x.toml:2: install.ostree.bls-append-except-default must be a string, not an integer" },
    { "[install]\nmatch_architectures = [\"x86_64\"]\n",
      "x.toml:2: unknown key 'match_architectures' in [install] (bootc's install configuration "
      "has no such key)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      BerthKargsFile f = { "x.toml", cases[i].text, strlen (cases[i].text) };
      g_autoptr (BerthKargsInstallConfig) c
        = berth_kargs_install_config_load_files (&f, 1, "x86_64", &error);
      g_assert_null (c);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      if (g_strcmp0 (error->message, cases[i].message) != 0)
        g_error ("case %u:\n got:      %s\n expected: %s", i, error->message, cases[i].message);
    }

  /* Every accepted-but-ignored key, with its right type. */
  const char *all = "[install]\nblock = [\"direct\", \"tpm2-luks\"]\nbootloader = \"grub-cc\"\n"
                    "discoverable-partitions = true\nenforce-container-sigpolicy = false\n"
                    "[install.bootupd]\nskip-boot-uuid = false\n";
  BerthKargsFile f = { "all.toml", all, strlen (all) };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKargsInstallConfig) c
    = berth_kargs_install_config_load_files (&f, 1, "x86_64", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->ignored->len, ==, 4);
  assert_ignored (c, 0, "all.toml", 2, "install.block");
  assert_ignored (c, 2, "all.toml", 5, "install.enforce-container-sigpolicy");
  assert_ignored (c, 3, "all.toml", 7, "install.bootupd.skip-boot-uuid");
  /* bootloader is acted on: the plan's choice */
  g_assert_cmpstr (c->bootloader.value, ==, "grub-cc");
  g_assert_cmpstr (c->bootloader.file, ==, "all.toml");
  g_assert_cmpuint (c->bootloader.line, ==, 3);
}

/* ---- the command line of an install ---------------------------------------------------- */

static void
test_build_install_from_fixtures (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cfg_path = berth_test_fixture ("kargs/install-config");
  g_autofree char *kd_path = berth_test_fixture ("kargs/kargs.d");
  g_autoptr (GFile) cfg_dir = g_file_new_for_path (cfg_path);
  g_autoptr (GFile) kd_dir = g_file_new_for_path (kd_path);
  g_autoptr (BerthKargsInstallConfig) config
    = berth_kargs_install_config_load_dir (cfg_dir, "x86_64", NULL, &error);
  g_assert_no_error (error);
  g_autoptr (BerthKargs) kargs_d = berth_kargs_d_load_dir (kd_dir, "x86_64", NULL, NULL, &error);
  g_assert_no_error (error);

  const char *deletes[] = { "console=hvc0", "nosuch", NULL };
  const char *cli[] = { "quiet", "console=ttyS0,115200n8", NULL };
  BerthKargsInstallOptions opts = {
    .root_mount_spec = "UUID=1111",
    .boot_mount_spec = "UUID=2222",
    .install_config = config,
    .kargs_d = kargs_d,
    .cli_karg_deletes = deletes,
    .cli_kargs = cli,
  };
  g_autoptr (BerthKargs) unmatched = NULL;
  g_autoptr (BerthKargs) k = berth_kargs_build_install (&opts, &unmatched, &error);
  g_assert_no_error (error);
  /* fcos-10-boot.toml empties both mount specs: no root=, no boot=; rw from berth, and the
   * kargs.d rw is then equal to it; console=hvc0 deleted; the CLI's console= is already
   * there; quiet last. */
  assert_cmdline (k, "rw console=ttyS0 foo=bar nosmt console=tty0 localtestkarg=somevalue "
                     "otherlocalkarg=42 rd.driver.blacklist=nouveau modprobe.blacklist=nouveau "
                     "nvidia-drm.modeset=1 console=ttyS0,115200n8 mitigations=auto,nosmt "
                     "systemd.volatile=state kargsd-test=1 kargsd-othertest=2 testing-kargsd=3 "
                     "quiet");
  assert_source (k, 0, BERTH_KARGS_SOURCE_BERTH, "berth");
  g_autofree char *cfg_src = g_strdup_printf ("%s/bootc-config-rs-karg-deletes.toml:3", cfg_path);
  assert_source (k, 1, BERTH_KARGS_SOURCE_INSTALL_CONFIG, cfg_src);
  g_autofree char *kd_src = g_strdup_printf ("%s/bluefin-lts-00-nvidia.toml:1", kd_path);
  assert_source (k, 9, BERTH_KARGS_SOURCE_KARGS_D, kd_src);
  assert_source (k, 16, BERTH_KARGS_SOURCE_CLI, "command line");
  /* The deletes that matched nothing, for the plan to show. */
  assert_cmdline (unmatched, "debug bar=baz nosuch");
  assert_source (unmatched, 2, BERTH_KARGS_SOURCE_CLI, "command line");
}

static void
test_build_install_order (void)
{
  g_autoptr (GError) error = NULL;
  const BerthKargsFile cfg_files[] = {
    FILE_OF ("/usr/lib/bootc/install/50-x.toml",
             "[install]\nkargs = [\"console=tty0 nosmt\", \"rw\", \"debug\"]\n"
             "karg-deletes = [\"debug\"]\n"),
  };
  g_autoptr (BerthKargsInstallConfig) config
    = berth_kargs_install_config_load_files (cfg_files, 1, "x86_64", &error);
  g_assert_no_error (error);
  g_autoptr (BerthKargs) kargs_d = berth_kargs_parse ("nosmt mitigations=off", NULL);
  const char *root_kargs[] = { "rootflags=subvol=root", NULL };
  const char *deletes[] = { "nosmt", NULL };
  const char *cli[] = { "nosmt", "debug=1 x", NULL };
  BerthKargsInstallOptions opts = {
    .root_mount_spec = "UUID=1111",
    .root_kargs = root_kargs,
    .boot_mount_spec = "UUID=2222",
    .install_config = config,
    .kargs_d = kargs_d,
    .cli_karg_deletes = deletes,
    .cli_kargs = cli,
  };
  g_autoptr (BerthKargs) k = berth_kargs_build_install (&opts, NULL, &error);
  g_assert_no_error (error);
  /* root= rootflags rw boot=; config (its rw equals berth's); kargs.d; the deletes take debug
   * and every nosmt; --karg puts nosmt back at the end. */
  assert_cmdline (k, "root=UUID=1111 rootflags=subvol=root rw boot=UUID=2222 console=tty0 "
                     "mitigations=off nosmt debug=1 x");
  assert_source (k, 0, BERTH_KARGS_SOURCE_BERTH, "berth");
  assert_source (k, 4, BERTH_KARGS_SOURCE_INSTALL_CONFIG, "/usr/lib/bootc/install/50-x.toml:2");
  assert_source (k, 6, BERTH_KARGS_SOURCE_CLI, "command line");

  /* Mount specs from the configuration replace the caller's; the source says so. */
  const BerthKargsFile spec_file[] = {
    FILE_OF ("s.toml",
             "[install]\nroot-mount-spec = \"LABEL=root\"\nboot-mount-spec = \"LABEL=boot\"\n"),
  };
  g_autoptr (BerthKargsInstallConfig) specs
    = berth_kargs_install_config_load_files (spec_file, 1, "x86_64", &error);
  g_assert_no_error (error);
  BerthKargsInstallOptions o2 = { .root_mount_spec = "UUID=1111", .install_config = specs };
  g_autoptr (BerthKargs) k2 = berth_kargs_build_install (&o2, NULL, &error);
  g_assert_no_error (error);
  assert_cmdline (k2, "root=LABEL=root rw boot=LABEL=boot");
  assert_source (k2, 0, BERTH_KARGS_SOURCE_BERTH, "berth (mount spec from s.toml:2)");
  assert_source (k2, 1, BERTH_KARGS_SOURCE_BERTH, "berth");
  assert_source (k2, 2, BERTH_KARGS_SOURCE_BERTH, "berth (mount spec from s.toml:3)");

  /* No /boot of its own, nothing else: root= rw. */
  BerthKargsInstallOptions o3 = { .root_mount_spec = "UUID=1111" };
  g_autoptr (BerthKargs) k3 = berth_kargs_build_install (&o3, NULL, &error);
  assert_cmdline (k3, "root=UUID=1111 rw");

  /* No root mount spec anywhere: an error, and no output. */
  BerthKargsInstallOptions o4 = { 0 };
  g_autoptr (BerthKargs) unmatched = (BerthKargs *)NULL;
  g_assert_null (berth_kargs_build_install (&o4, &unmatched, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_null (unmatched);
}

/* ---- the API beyond the tables --------------------------------------------------------- */

static void
test_round_trip_and_sources (void)
{
  /* Nothing changed: the exact string back. */
  const char *odd = "  a   dyndbg=\"file foo.c +p\"\tb  ";
  g_autoptr (BerthKargs) k = berth_kargs_parse (odd, NULL);
  assert_cmdline (k, odd);
  g_autoptr (BerthKargs) copy = berth_kargs_copy (k);
  assert_cmdline (copy, odd);
  g_assert_true (berth_kargs_equal (k, copy));
  /* A change that changes nothing keeps it too. */
  berth_kargs_append_if_missing (k, "a b", NULL);
  g_assert_true (berth_kargs_delete_if_present (k, "zzz", NULL));
  assert_cmdline (k, odd);
  /* After a change: each argument's bytes, single spaces. */
  berth_kargs_append (k, "c", NULL);
  assert_cmdline (k, "a dyndbg=\"file foo.c +p\" b c");
  g_assert_cmpstr (berth_kargs_value_of (k, "dyndbg"), ==, "file foo.c +p");
  g_auto (GStrv) strv = berth_kargs_to_strv (k);
  g_assert_cmpstr (strv[1], ==, "dyndbg=\"file foo.c +p\"");
  g_assert_null (strv[4]);
  g_assert_false (berth_kargs_equal (k, copy));

  BerthKargsSource src = { .kind = BERTH_KARGS_SOURCE_CLI };
  berth_kargs_set (k, "b=2", &src);
  assert_cmdline (k, "a dyndbg=\"file foo.c +p\" b=2 c");
  assert_source (k, 2, BERTH_KARGS_SOURCE_CLI, "command line");
  assert_source (k, 0, BERTH_KARGS_SOURCE_NONE, "unlabelled");

  BerthKargsSource s2 = { .kind = BERTH_KARGS_SOURCE_KARGS_D };
  g_autofree char *d1 = berth_kargs_source_describe (&s2);
  g_assert_cmpstr (d1, ==, "kargs.d");
  BerthKargsSource s3 = { .kind = BERTH_KARGS_SOURCE_INSTALL_CONFIG, .file = "f.toml" };
  g_autofree char *d2 = berth_kargs_source_describe (&s3);
  g_assert_cmpstr (d2, ==, "f.toml");
  for (int kind = BERTH_KARGS_SOURCE_NONE; kind <= BERTH_KARGS_SOURCE_CLI; kind++)
    g_assert_cmpstr (berth_kargs_source_kind_to_string (kind), !=, "unknown");
  g_assert_cmpstr (berth_kargs_source_kind_to_string (99), ==, "unknown");

  g_assert_true (berth_kargs_key_equal ("a-b_c", "a_b-c"));
  g_assert_false (berth_kargs_key_equal ("a-b", "a-bc"));
  g_assert_false (berth_kargs_key_equal ("ab", "a"));
  g_assert_null (berth_kargs_value_of (k, "nope"));
  g_assert_cmpstr (berth_kargs_host_arch (), !=, "unknown");
#if defined(__x86_64__)
  g_assert_cmpstr (berth_kargs_host_arch (), ==, "x86_64");
#endif
}

static void
test_edits_ostree_semantics (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKargs) k
    = berth_kargs_parse ("log_buf_len=1M console=tty0 console=ttyS0 quiet", NULL);
  /* Keys match as the kernel matches them. */
  g_assert_true (berth_kargs_delete (k, "log-buf-len", &error));
  assert_cmdline (k, "console=tty0 console=ttyS0 quiet");
  /* Values match by meaning: quotes are not part of a value. */
  g_assert_true (berth_kargs_delete (k, "console=\"ttyS0\"", &error));
  assert_cmdline (k, "console=tty0 quiet");

  /* A multi-argument edit is all or nothing. */
  g_assert_false (berth_kargs_delete (k, "quiet nosuch", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "Cannot delete 'nosuch': there is no argument nosuch");
  g_clear_error (&error);
  assert_cmdline (k, "console=tty0 quiet");

  /* Replace: KEY=OLD=NEW splits at the first '=' outside quotes (ostree's rule, so root=UUID=x
   * is key root, old UUID). */
  g_autoptr (BerthKargs) r = berth_kargs_parse ("root=UUID=abc dyndbg=\"a=b\" x=\"1 2\"", NULL);
  g_assert_false (berth_kargs_replace (r, "root=UUID=def", NULL, &error));
  g_assert_cmpstr (error->message, ==,
                   "Cannot replace 'root=UUID=def': there is no argument root=UUID (the command "
                   "line has root=UUID=abc; KEY=OLD=NEW splits at the first '=', so replace a "
                   "value that holds '=' by deleting and appending)");
  g_clear_error (&error);
  g_assert_false (berth_kargs_replace (r, "root=UUID=abc=UUID=def", NULL, &error));
  g_clear_error (&error);
  g_assert_true (berth_kargs_delete (r, "root", &error));
  berth_kargs_set (r, "root=UUID=def", NULL);
  g_assert_true (berth_kargs_replace (r, "dyndbg=\"a=b\"=\"c d\"", NULL, &error));
  g_assert_true (berth_kargs_replace (r, "x", NULL, &error));
  g_assert_no_error (error);
  assert_cmdline (r, "dyndbg=\"c d\" x root=UUID=def");
  g_assert_cmpstr (berth_kargs_value_of (r, "dyndbg"), ==, "c d");

  /* Ambiguity errors name the values. */
  g_autoptr (BerthKargs) m = berth_kargs_parse ("console=tty0 console=ttyS0", NULL);
  g_assert_false (berth_kargs_delete (m, "console", &error));
  g_assert_cmpstr (error->message, ==,
                   "Cannot delete 'console': the key has several values (console=tty0 "
                   "console=ttyS0); name one as console=VALUE");
  g_clear_error (&error);
  g_assert_false (berth_kargs_replace (m, "console=hvc0", NULL, &error));
  g_assert_cmpstr (error->message, ==,
                   "Cannot replace 'console=hvc0': the key has several values (console=tty0 "
                   "console=ttyS0); name the one to replace as console=OLD=NEW");
  g_clear_error (&error);
  g_assert_false (berth_kargs_delete (m, "console=hvc0", &error));
  g_assert_cmpstr (error->message, ==,
                   "Cannot delete 'console=hvc0': it is not there (the command line has "
                   "console=tty0 console=ttyS0)");
  g_clear_error (&error);
  g_autoptr (BerthKargs) one = berth_kargs_parse ("a=1", NULL);
  g_assert_false (berth_kargs_delete (one, "a=2", &error));
  g_assert_cmpstr (error->message, ==, "Cannot delete 'a=2': the command line has a=1");
  g_clear_error (&error);
  g_assert_false (berth_kargs_replace (one, "b=1", NULL, &error));
  g_assert_cmpstr (error->message, ==, "Cannot replace 'b=1': there is no argument b");
  g_clear_error (&error);
  /* delete_if_present still refuses an ambiguous delete. */
  g_assert_false (berth_kargs_delete_if_present (m, "console", &error));
  g_clear_error (&error);

  /* append_if_missing is by key, as ostree's. */
  berth_kargs_append_if_missing (m, "console=hvc0 quiet quiet=1", NULL);
  assert_cmdline (m, "console=tty0 console=ttyS0 quiet");
  /* set: the first of the key takes the new value, the rest go. */
  berth_kargs_set (m, "console=hvc0", NULL);
  assert_cmdline (m, "console=hvc0 quiet");
  /* remove (bootc's, lenient): bare key removes every value; nothing matched is 0. */
  g_assert_cmpuint (berth_kargs_remove (m, "nosuch x=1"), ==, 0);
  berth_kargs_append (m, "quiet=1 quiet", NULL);
  g_assert_cmpuint (berth_kargs_remove (m, "quiet=1"), ==, 1);
  g_assert_cmpuint (berth_kargs_remove (m, "quiet"), ==, 2);
  assert_cmdline (m, "console=hvc0");
}

static void
test_real_cmdlines (void)
{
  /* Kernel documentation examples: each line round-trips and reads as documented. */
  gsize len;
  g_autofree char *doc
    = berth_test_fixture_contents ("kargs/real-cmdlines/linux-doc-cmdline-examples.txt", &len);
  g_auto (GStrv) lines = g_strsplit (doc, "\n", -1);
  g_autoptr (GPtrArray) parsed = g_ptr_array_new_with_free_func ((GDestroyNotify)berth_kargs_free);
  for (char **l = lines; *l != NULL; l++)
    {
      if (**l == '#' || **l == '\0')
        continue;
      BerthKargs *k = berth_kargs_parse (*l, NULL);
      assert_cmdline (k, *l);
      g_ptr_array_add (parsed, k);
    }
  g_assert_cmpuint (parsed->len, ==, 8);
  /* "hyphens and underscores are equivalent in parameter NAMES (first two lines)". */
  g_assert_true (berth_kargs_equal (parsed->pdata[0], parsed->pdata[1]));
  g_assert_cmpstr (berth_kargs_value_of (parsed->pdata[2], "param"), ==, "spaces in here");
  g_assert_cmpstr (berth_kargs_value_of (parsed->pdata[4], "isolcpus"), ==,
                   "1,2,10-20,100-2000:2/25");
  g_assert_cmpstr (berth_kargs_value_of (parsed->pdata[5], "dyndbg"), ==, "file ec.c +p");
  const BerthKargs *six = parsed->pdata[6];
  g_assert_cmpuint (berth_kargs_get_length (six), ==, 3);
  g_assert_cmpstr (berth_kargs_value_of (six, "dyndbg"), ==,
                   "module params +p #cmt ; module sys +p");
  g_assert_cmpstr (berth_kargs_value_of (six, "pc87360.dyndbg"), ==,
                   "func pc87360_init_device +p; func pc87360_find +p");
  g_assert_cmpstr (berth_kargs_value_of (parsed->pdata[7], "foo.dyndbg"), ==,
                   " func bar +p; func buz +mp");
  /* Deleting one dyndbg keeps the other bytes exactly. */
  g_autoptr (BerthKargs) edit = berth_kargs_copy (six);
  g_assert_true (berth_kargs_delete (edit, "dynamic-debug.verbose", NULL));
  assert_cmdline (edit, "dyndbg=\"module params +p #cmt ; module sys +p\" "
                        "pc87360.dyndbg=\"func pc87360_init_device +p; func pc87360_find +p\"");

  /* FCOS: every kernel_arguments / extra-kargs item is one argument. */
  const char *yamls[]
    = { "kargs/real-cmdlines/fcos-platforms.yaml", "kargs/real-cmdlines/fcos-image-base.yaml" };
  guint items = 0;
  for (guint y = 0; y < G_N_ELEMENTS (yamls); y++)
    {
      g_autofree char *text = berth_test_fixture_contents (yamls[y], &len);
      g_auto (GStrv) ylines = g_strsplit (text, "\n", -1);
      gboolean in_list = FALSE;
      for (char **l = ylines; *l != NULL; l++)
        {
          g_autofree char *t = g_strstrip (g_strdup (*l));
          if (g_str_equal (t, "kernel_arguments:") || g_str_equal (t, "extra-kargs:"))
            in_list = TRUE;
          else if (in_list && g_str_has_prefix (t, "- "))
            {
              g_autoptr (BerthKargs) k = berth_kargs_parse (t + 2, NULL);
              g_assert_cmpuint (berth_kargs_get_length (k), ==, 1);
              const BerthKarg *a = berth_kargs_get (k, 0);
              g_assert_true (g_str_equal (a->key, "console")
                             || g_str_equal (a->key, "mitigations"));
              g_assert_nonnull (a->value);
              items++;
            }
          else if (!g_str_has_prefix (t, "#"))
            in_list = FALSE;
        }
    }
  g_assert_cmpuint (items, ==, 30); /* 29 platform console= items + mitigations= */

  /* More real lines: every BLS options line in ../bls round-trips. */
  const char *bls[] = {
    "bls/ostree-generated",
    "bls/fedora-grub-style",
  };
  guint options = 0;
  for (guint b = 0; b < G_N_ELEMENTS (bls); b++)
    {
      g_autofree char *dir_path = berth_test_fixture (bls[b]);
      g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
      if (dir == NULL)
        continue;
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir_path, name, NULL);
          g_autofree char *text = NULL;
          if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)
              || !g_file_get_contents (path, &text, NULL, NULL))
            continue;
          g_auto (GStrv) blines = g_strsplit (text, "\n", -1);
          for (char **l = blines; *l != NULL; l++)
            if (g_str_has_prefix (*l, "options"))
              {
                const char *value = *l + strlen ("options");
                value += strspn (value, " \t");
                g_autoptr (BerthKargs) k = berth_kargs_parse (value, NULL);
                assert_cmdline (k, value);
                g_autoptr (BerthKargs) again = berth_kargs_copy (k);
                berth_kargs_append (again, "x", NULL);
                g_assert_true (berth_kargs_delete (again, "x", NULL));
                assert_cmdline (again, value);
                options++;
              }
        }
    }
  g_assert_cmpuint (options, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kargs/table/kernel-semantics", test_kernel_semantics_table);
  g_test_add_func ("/kargs/table/ostree-test-kargs", test_ostree_table);
  g_test_add_func ("/kargs/table/ostree-deploy-ordering", test_ostree_deploy_ordering_table);
  g_test_add_func ("/kargs/table/coreos-installer", test_coreos_installer_table);
  g_test_add_func ("/kargs/table/systemd", test_systemd_table);
  g_test_add_func ("/kargs/kernel-quirks", test_kernel_quirks);
  g_test_add_func ("/kargs/kargs.d/cases", test_kargs_d_cases);
  g_test_add_func ("/kargs/kargs.d/dir-example", test_kargs_d_dir_example);
  g_test_add_func ("/kargs/kargs.d/upgrade", test_kargs_d_upgrade);
  g_test_add_func ("/kargs/kargs.d/real-files", test_kargs_d_real_files);
  g_test_add_func ("/kargs/kargs.d/errors", test_kargs_d_errors);
  g_test_add_func ("/kargs/kargs.d/files-api", test_kargs_d_files_api);
  g_test_add_func ("/kargs/kargs.d/dir-refusals", test_kargs_d_dir_refusals);
  g_test_add_func ("/kargs/install-config/files", test_install_config_files);
  g_test_add_func ("/kargs/install-config/dir", test_install_config_dir);
  g_test_add_func ("/kargs/install-config/merge-rules", test_install_config_merge_rules);
  g_test_add_func ("/kargs/install-config/errors", test_install_config_errors);
  g_test_add_func ("/kargs/build-install/fixtures", test_build_install_from_fixtures);
  g_test_add_func ("/kargs/build-install/order", test_build_install_order);
  g_test_add_func ("/kargs/round-trip-and-sources", test_round_trip_and_sources);
  g_test_add_func ("/kargs/edits", test_edits_ostree_semantics);
  g_test_add_func ("/kargs/real-cmdlines", test_real_cmdlines);
  return g_test_run ();
}
