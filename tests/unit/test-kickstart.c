/* Unit tests of the kickstart module, driven by every table in tests/fixtures/kickstart/.
 *
 * Which syntax governs: pykickstart 3.74's newest, Fedora 45 (DEVEL), the one Anaconda on
 * Fedora reads. The pykickstart-cases tables come from test classes of every version (FC3 to
 * F45, RHEL5 to RHEL11); a case of an older class also holds for F45 unless F45 changed it.
 * Each case where it did is listed below (f45_changes) with what F45 does instead and why:
 * those outcomes were checked against pykickstart 3.74 itself (its F45 handler run on the
 * case's input), and every listed case must still exist in the fixture, so neither list can
 * go stale silently. Where pykickstart only warns (a partition, user or ssh key defined
 * twice), its own tests turn the warning into an error, and so does berth.
 *
 * Each table-driven test also checks that the fixture still has the rows this file knows (the
 * counts of the fixtures' README), so a changed fixture fails loudly instead of being
 * skipped.
 */
#include "kickstart/kickstart.h"

#include "test-support.h"
#include "util/util-json.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------------------- */

static BerthKickstart *
parse_text (const char *name, const char *text, BerthKickstartFlags flags, GError **error)
{
  return berth_kickstart_parse_data (name, text, -1, flags, error);
}

static BerthKickstart *
parse_ok (const char *name, const char *text)
{
  g_autoptr (GError) error = NULL;
  BerthKickstart *ks = parse_text (name, text, 0, &error);
  if (ks == NULL)
    g_error ("%s: expected to parse: %s\n--- input:\n%s", name, error->message, text);
  return ks;
}

static void
assert_location (const char *name, const char *message, guint line)
{
  g_autofree char *prefix = g_strdup_printf ("%s:", name);
  if (!g_str_has_prefix (message, prefix))
    g_error ("error message does not start with %s: %s", prefix, message);
  const char *p = message + strlen (prefix);
  char *end = NULL;
  guint64 got = g_ascii_strtoull (p, &end, 10);
  if (end == p || strncmp (end, ": ", 2) != 0 || strlen (end) < 10)
    g_error ("error message does not read \"%s:LINE: what is wrong\": %s", name, message);
  if (line != 0 && got != line)
    g_error ("error message names line %" G_GUINT64_FORMAT ", expected %u: %s", got, line, message);
}

/* Asserts @text fails and the message starts with "NAME:LINE: " (LINE 0: any line). */
static char *
parse_fails (const char *name, const char *text, guint line)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) ks = parse_text (name, text, 0, &error);
  if (ks != NULL)
    g_error ("%s: expected an error, but it parsed\n--- input:\n%s", name, text);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  assert_location (name, error->message, line);
  return g_strdup (error->message);
}

static void
assert_contains (const char *haystack, const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_error ("expected \"%s\" in: %s", needle, haystack ? haystack : "(null)");
}

static gboolean
has_warning (const BerthKickstart *ks, const char *needle)
{
  for (guint i = 0; i < ks->warnings->len; i++)
    if (strstr (ks->warnings->pdata[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
assert_warning (const BerthKickstart *ks, const char *needle)
{
  if (!has_warning (ks, needle))
    {
      GString *all = g_string_new (NULL);
      for (guint i = 0; i < ks->warnings->len; i++)
        g_string_append_printf (all, "\n  %s", (const char *)ks->warnings->pdata[i]);
      g_error ("expected a warning with \"%s\"; warnings:%s", needle, all->str);
    }
}

static char *
command_string (const BerthKickstart *ks, const char *name)
{
  char *s = berth_kickstart_command_to_string (ks, name);
  g_assert_nonnull (s);
  return s;
}

static void
assert_strv (char **got, const char *const *expected)
{
  g_autofree char *g = got ? g_strjoinv (",", got) : g_strdup ("(none)");
  g_autofree char *e = expected ? g_strjoinv (",", (char **)expected) : g_strdup ("(none)");
  g_assert_cmpstr (g, ==, e);
}

/* The fixture's non-comment lines joined ("# ..." lines are pykickstart's own). */
static char *
strip_comment_lines (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GString *out = g_string_new (NULL);
  for (char **l = lines; *l != NULL; l++)
    if (**l != '\0' && **l != '#')
      g_string_append_printf (out, "%s\n", *l);
  return g_string_free (out, FALSE);
}

static char *
first_word (const char *text)
{
  const char *e = text;
  while (*e != '\0' && !g_ascii_isspace (*e))
    e++;
  return g_strndup (text, (gsize)(e - text));
}

/* ---- pykickstart's command tests (pykickstart-cases/NAME.jsonl) ------------------------ */

typedef struct
{
  const char *file;
  gint64 line; /* the test's source line (the record's "line") */
  const char *input;
  gboolean ok;
  const char *expected; /* F45's string, or NULL */
  const char *why;
} F45Change;

/* Cases whose class is older (or RHEL's) and whose outcome F45 changed. Checked against
 * pykickstart 3.74's F45 handler (returnClassForVersion("F45"), the test's own
 * shlex.split and parse). */
static const F45Change f45_changes[] = {
  { "autopart.jsonl", 146, "autopart --nolvm", TRUE, "autopart --type=plain\n",
    "F17 made --nolvm the same as --type=plain, written as such" },
  { "autopart.jsonl", 349, "autopart --type=btrfs", TRUE, "autopart --type=btrfs\n",
    "RHEL8 refuses btrfs; Fedora does not, and berth follows Fedora" },
  { "autopart.jsonl", 361, "autopart --type=btrfs", TRUE, "autopart --type=btrfs\n",
    "RHEL10 refuses btrfs; Fedora does not" },
  { "bootloader.jsonl", 40, "bootloader --nolinear", FALSE, NULL,
    "--linear and --nolinear (LILO's) were removed in FC4" },
  { "bootloader.jsonl", 41, "bootloader --nolinear --linear", FALSE, NULL, "removed in FC4" },
  { "bootloader.jsonl", 42, "bootloader --linear --nolinear", FALSE, NULL, "removed in FC4" },
  { "bootloader.jsonl", 48, "bootloader --lba32", FALSE, NULL,
    "--lba32 was deprecated in F12 and removed in F14" },
  { "bootloader.jsonl", 52, "bootloader --md5pass=blahblah", TRUE,
    "bootloader --location=mbr --password=\"blahblah\" --iscrypted\n",
    "F15 made --md5pass=X an alias of --password=X --iscrypted" },
  { "bootloader.jsonl", 54, "bootloader --upgrade", FALSE, NULL,
    "--upgrade was deprecated in F29 and removed in F34" },
  { "bootloader.jsonl", 58, "bootloader --useLilo", FALSE, NULL, "removed in FC4" },
  { "bootloader.jsonl", 59, "lilo", FALSE, NULL, "the lilo command was removed in FC4" },
  { "bootloader.jsonl", 156, "bootloader --hvargs=bleh", FALSE, NULL,
    "--hvargs (Xen) exists in RHEL5 only" },
  { "bootloader.jsonl", 158, "bootloader --hvargs=\"bleh bleh\"", FALSE, NULL, "RHEL5 only" },
  { "bootloader.jsonl", 202, "bootloader --upgrade", FALSE, NULL, "removed in F34" },
  { "partition.jsonl", 66,
    "partition raid.1 --active --asprimary --start=0 --end=10 --fstype=ext3 --noformat", FALSE,
    NULL, "--start and --end were removed in F14, --active in F34" },
  { "partition.jsonl", 68, "partition raid.1 --start=1 --end=10", FALSE, NULL, "removed in F14" },
  { "partition.jsonl", 71, "partition raid.1 --active --asprimary --fstype=ext3 --noformat", FALSE,
    NULL, "--active was removed in F34" },
  { "partition.jsonl", 83, "part /usr --ondisk=/dev/sda --recommended --noformat --active", FALSE,
    NULL, "--active was removed in F34" },
  { "partition.jsonl", 133,
    "part /home --bytes-per-inode=2048 --fsoptions=blah --label=\"long home label\"", FALSE, NULL,
    "--bytes-per-inode was deprecated in F9 and removed in F14" },
  { "partition.jsonl", 135, "part /home --bytes-per-inode=4096 --label=HOME", FALSE, NULL,
    "removed in F14" },
  { "partition.jsonl", 137, "part /home --bytes-per-inode=4096 --label=\"HOME\"", FALSE, NULL,
    "removed in F14" },
  { "partition.jsonl", 158, "part / --encrypted --passphrase=blahblah", TRUE,
    "part / --encrypted --passphrase=\"blahblah\"\n",
    "RHEL5 wrote its --bytes-per-inode default; F14 removed the option" },
  { "partition.jsonl", 362, "part / --fstype=btrfs", TRUE, "part / --fstype=\"btrfs\"\n",
    "RHEL8 refuses btrfs; Fedora does not" },
  { "partition.jsonl", 373, "part / --fstype=btrfs", TRUE, "part / --fstype=\"btrfs\"\n",
    "RHEL9 refuses btrfs; Fedora does not" },
  { "partition.jsonl", 388, "part / --fstype=btrfs", TRUE, "part / --fstype=\"btrfs\"\n",
    "RHEL11 refuses btrfs; Fedora does not" },
  { "rootpw.jsonl", 71, "rootpw --lock", TRUE, "rootpw --lock\n",
    "F18 lets --lock stand without a password" },
  { "zerombr.jsonl", 37, "zerombr arg", FALSE, NULL,
    "FC3 ignored arguments with a warning; F9 refuses them" },
};

/* Cases the extraction could not evaluate (a template in a loop), written out as the test
 * source's loop runs them at F45 (tests/commands/bootloader.py and partition.py). */
typedef struct
{
  const char *file;
  gint64 line;
  const char *inputs[7];
  gboolean ok;
  const char *expected[7];
} Template;

static const Template templates[] = {
  /* for loc in ["mbr", "partition", "none", "boot"]; no --linear at F45 */
  { "bootloader.jsonl",
    45,
    { "bootloader --location=mbr", "bootloader --location=partition", "bootloader --location=none",
      "bootloader --location=boot" },
    TRUE,
    { "bootloader --location=mbr\n", "bootloader --location=partition\n",
      "bootloader --location=none\n", "bootloader --location=boot\n" } },
  /* int_params = ["size", "maxsize"] (--start and --end are gone at F45) */
  { "partition.jsonl", 99, { "part / --size=string", "part / --maxsize=string" }, FALSE },
  { "partition.jsonl", 101, { "part / --size", "part / --maxsize" }, FALSE },
  { "partition.jsonl",
    105,
    { "part / --fstype", "part / --onbiosdisk", "part / --ondisk", "part / --ondrive",
      "part / --onpart", "part / --usepart" },
    FALSE },
  { "partition.jsonl", 149, { "part /home --fsoptions", "part /home --label" }, FALSE },
};

/* Options pykickstart's tests call deprecated or removed in some version, and what F45 does
 * with them: every one is gone (deprecated ones were removed later), so berth refuses it. */
static const struct
{
  const char *command;
  const char *option;
  const char *removed_in;
} gone_options[] = {
  { "bootloader", "--linear", "FC4" },
  { "bootloader", "--nolinear", "FC4" },
  { "bootloader", "--useLilo", "FC4" },
  { "bootloader", "--lba32", "F14" },
  { "bootloader", "--upgrade", "F34" },
  { "part", "--bytes-per-inode", "F14" },
  { "partition", "--bytes-per-inode", "F14" },
  { "partition", "--start", "F14" },
  { "partition", "--end", "F14" },
  { "part", "--active", "F34" },
  { "partition", "--active", "F34" },
};

/* The cases of each table (the fixture README's counts). */
static const struct
{
  const char *file;
  guint cases;
} case_files[] = {
  { "autopart.jsonl", 92 },    { "bootc.jsonl", 14 },     { "bootloader.jsonl", 52 },
  { "clearpart.jsonl", 21 },   { "liveimg.jsonl", 31 },   { "ostreecontainer.jsonl", 14 },
  { "ostreesetup.jsonl", 10 }, { "partition.jsonl", 86 }, { "reboot.jsonl", 8 },
  { "reqpart.jsonl", 4 },      { "rootpw.jsonl", 26 },    { "sshkey.jsonl", 15 },
  { "user.jsonl", 28 },        { "zerombr.jsonl", 5 },
};

static void
run_case (const char *name, const char *input, gboolean ok, const char *expected)
{
  gboolean one_line = strchr (input, '\n') == NULL;
  if (!ok)
    {
      g_autofree char *msg = parse_fails (name, input, one_line ? 1 : 0);
      return;
    }
  g_autoptr (BerthKickstart) ks = parse_ok (name, input);
  if (expected == NULL || !one_line)
    return;
  g_autofree char *cmd = first_word (input);
  g_autofree char *got = command_string (ks, cmd);
  if (g_strcmp0 (got, expected) != 0)
    g_error ("%s: %s\n  written as: %s  pykickstart: %s", name, input, got, expected);
}

static void
test_pykickstart_cases (void)
{
  g_autofree char *dir = berth_test_fixture ("kickstart/pykickstart-cases");
  /* every table of the folder is one this test knows */
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  guint tables = 0;
  for (const char *n; (n = g_dir_read_name (d)) != NULL;)
    if (g_str_has_suffix (n, ".jsonl"))
      {
        gboolean known = FALSE;
        for (gsize i = 0; i < G_N_ELEMENTS (case_files); i++)
          known |= g_str_equal (case_files[i].file, n);
        if (!known)
          g_error ("pykickstart-cases/%s: a table this test does not know", n);
        tables++;
      }
  g_assert_cmpuint (tables, ==, G_N_ELEMENTS (case_files));

  gboolean change_used[G_N_ELEMENTS (f45_changes)] = { 0 };
  gboolean template_used[G_N_ELEMENTS (templates)] = { 0 };
  guint total = 0, parsed = 0, refused = 0, compared = 0;
  for (gsize f = 0; f < G_N_ELEMENTS (case_files); f++)
    {
      g_autofree char *rel = g_strdup_printf ("kickstart/pykickstart-cases/%s", case_files[f].file);
      g_autofree char *data = berth_test_fixture_contents (rel, NULL);
      g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
      guint cases = 0;
      for (char **l = lines; *l != NULL; l++)
        {
          if (**l == '\0')
            continue;
          json_error_t jerr;
          g_autoptr (json_t) o = json_loads (*l, 0, &jerr);
          g_assert_nonnull (o);
          cases++;
          const char *kind = json_string_value (json_object_get (o, "kind"));
          gint64 line = json_integer_value (json_object_get (o, "line"));
          g_autofree char *name
            = g_strdup_printf ("%s:%" G_GINT64_FORMAT, case_files[f].file, line);
          if (g_str_equal (kind, "assert_deprecated") || g_str_equal (kind, "assert_removed"))
            {
              const char *option = json_string_value (json_object_get (o, "option"));
              gboolean listed = FALSE;
              for (gsize i = 0; i < G_N_ELEMENTS (gone_options); i++)
                listed |= g_str_equal (gone_options[i].option, option);
              if (!listed)
                g_error ("%s: %s %s is not in gone_options", name, kind, option);
              continue; /* checked in test_gone_options */
            }
          g_assert_true (g_str_equal (kind, "assert_parse")
                         || g_str_equal (kind, "assert_parse_error"));
          const char *input = json_string_value (json_object_get (o, "input"));
          json_t *exp = json_object_get (o, "expected");
          gboolean ok = g_str_equal (kind, "assert_parse");
          const char *expected = json_is_string (exp) ? json_string_value (exp) : NULL;

          if (json_is_true (json_object_get (o, "unevaluated")))
            {
              gboolean found = FALSE;
              for (gsize t = 0; t < G_N_ELEMENTS (templates); t++)
                if (g_str_equal (templates[t].file, case_files[f].file)
                    && templates[t].line == line)
                  {
                    found = template_used[t] = TRUE;
                    g_assert_cmpint (templates[t].ok, ==, ok);
                    for (guint k = 0; templates[t].inputs[k] != NULL; k++)
                      {
                        run_case (name, templates[t].inputs[k], ok, templates[t].expected[k]);
                        total++;
                        ok ? parsed++ : refused++;
                      }
                  }
              if (!found)
                g_error ("%s: a template case without its expansion in templates[]", name);
              continue;
            }
          for (gsize c = 0; c < G_N_ELEMENTS (f45_changes); c++)
            if (g_str_equal (f45_changes[c].file, case_files[f].file) && f45_changes[c].line == line
                && g_str_equal (f45_changes[c].input, input))
              {
                change_used[c] = TRUE;
                ok = f45_changes[c].ok;
                expected = f45_changes[c].expected;
              }
          run_case (name, input, ok, expected);
          total++;
          ok ? parsed++ : refused++;
          compared += ok && expected != NULL && strchr (input, '\n') == NULL;
        }
      if (cases != case_files[f].cases)
        g_error ("pykickstart-cases/%s has %u cases, this test knows %u", case_files[f].file, cases,
                 case_files[f].cases);
    }
  for (gsize c = 0; c < G_N_ELEMENTS (f45_changes); c++)
    if (!change_used[c])
      g_error ("f45_changes: %s line %" G_GINT64_FORMAT " is no longer in the fixture",
               f45_changes[c].file, f45_changes[c].line);
  for (gsize t = 0; t < G_N_ELEMENTS (templates); t++)
    g_assert_true (template_used[t]);
  g_test_message ("%u pykickstart cases: %u parse (%u compared with pykickstart's output), "
                  "%u refused",
                  total, parsed, compared, refused);
  g_assert_cmpuint (total, >=, 392);
}

static void
test_gone_options (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (gone_options); i++)
    {
      const char *cmd = gone_options[i].command;
      gboolean part = !g_str_equal (cmd, "bootloader");
      g_autofree char *a
        = g_strdup_printf ("%s%s %s", cmd, part ? " /" : "", gone_options[i].option);
      g_autofree char *b = g_strdup_printf ("%s=1", a);
      g_autofree char *ma = parse_fails ("gone.ks", a, 1);
      g_autofree char *mb = parse_fails ("gone.ks", b, 1);
      assert_contains (ma, gone_options[i].option);
    }
  /* what F45 still deprecates is accepted, with a warning, and does nothing */
  g_autoptr (BerthKickstart) ks = parse_ok (
    "dep.ks", "timezone Europe/Berlin --isUtc --nontp\n%packages --instLangs=en\n%end\n");
  g_assert_true (ks->timezone.utc);
  assert_warning (ks, "dep.ks:1: timezone --isUtc is deprecated");
  assert_warning (ks, "dep.ks:1: timezone --nontp is deprecated");
  assert_warning (ks, "dep.ks:2: %packages --instLangs is deprecated");
  g_autoptr (BerthKickstart) ks2 = parse_ok ("dep.ks", "vnc --password=x\nautostep\n");
  assert_warning (ks2, "dep.ks:1: vnc is deprecated since Fedora 45");
  assert_warning (ks2, "dep.ks:2: autostep is deprecated");
  g_autofree char *m = parse_fails ("rm.ks", "text\nauthconfig --enableshadow\n", 2);
  assert_contains (m, "authselect");
}

/* ---- README tables ----------------------------------------------------------------------- */

/* The rows of the markdown tables in a fixture README, cells trimmed, without the header and
 * separator rows. */
static GPtrArray *
readme_rows (const char *relpath)
{
  g_autofree char *data = berth_test_fixture_contents (relpath, NULL);
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  for (char **l = lines; *l != NULL; l++)
    {
      if (!g_str_has_prefix (*l, "| ") || g_str_has_prefix (*l, "|---")
          || g_str_has_prefix (*l, "| file |") || g_str_has_prefix (*l, "| case |"))
        continue;
      g_auto (GStrv) cells = g_strsplit (*l + 1, " | ", -1);
      GPtrArray *row = g_ptr_array_new ();
      for (char **c = cells; *c != NULL; c++)
        {
          char *cell = g_strstrip (g_strdup (*c));
          if (g_str_has_suffix (cell, "|"))
            {
              cell[strlen (cell) - 1] = '\0';
              g_strstrip (cell);
            }
          g_ptr_array_add (row, cell);
        }
      g_ptr_array_add (row, NULL);
      g_ptr_array_add (rows, g_ptr_array_free (row, FALSE));
    }
  return rows;
}

static BerthKickstart *
parse_fixture (const char *relpath, BerthKickstartFlags flags, GError **error)
{
  g_autofree char *path = berth_test_fixture (relpath);
  return berth_kickstart_parse_file (path, flags, error);
}

/* ---- ostreecontainer, ostreesetup and bootc (ostree-directives/) ----------------------- */

static void
test_ostree_directives (void)
{
  g_autoptr (GPtrArray) rows = readme_rows ("kickstart/ostree-directives/README.md");
  g_assert_cmpuint (rows->len, ==, 38);
  guint ok_count = 0, err_count = 0, compared = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      const char *file = row[0];
      const char *expectation = row[3];
      g_autofree char *rel = g_strdup_printf ("kickstart/ostree-directives/%s", file);
      g_autofree char *path = berth_test_fixture (rel);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthKickstart) ks = berth_kickstart_parse_file (path, 0, &error);
      if (g_str_has_suffix (file, "-err.ks"))
        {
          g_assert_cmpstr (expectation, ==, "KickstartParseError");
          if (ks != NULL)
            g_error ("%s: pykickstart refuses it, berth parsed it", file);
          assert_location (path, error->message, 0);
          err_count++;
          continue;
        }
      g_assert_true (g_str_has_suffix (file, "-ok.ks"));
      if (ks == NULL)
        g_error ("%s: pykickstart parses it: %s", file, error->message);
      ok_count++;
      const char *canon = strstr (expectation, "canonical output: `");
      g_autofree char *cmd = g_strndup (file, strcspn (file, "-"));
      if (canon != NULL)
        {
          canon += strlen ("canonical output: `");
          g_autofree char *want = g_strdup_printf ("%.*s\n", (int)strcspn (canon, "`"), canon);
          g_autofree char *got = command_string (ks, cmd);
          g_assert_cmpstr (got, ==, want);
          compared++;
        }
      /* what berth installs of it */
      g_autoptr (GError) check_error = NULL;
      gboolean installable = berth_kickstart_check_installable (ks, 0, &check_error);
      if (g_str_equal (cmd, "ostreesetup"))
        {
          g_assert_false (installable);
          assert_location (path, check_error->message, 1);
          assert_contains (check_error->message, "ostreesetup installs a commit");
          assert_contains (check_error->message, "ostreecontainer --url=IMAGE");
        }
      else
        g_assert_no_error (check_error);
    }
  g_assert_cmpuint (ok_count, ==, 17);
  g_assert_cmpuint (err_count, ==, 21);
  g_assert_cmpuint (compared, >=, 11);

  /* the image berth reads from each form */
  struct
  {
    const char *file, *image, *stateroot;
  } images[] = {
    { "ostreecontainer-01-ok.ks", "registry:quay.io/test/test_c:stable", "default" },
    { "ostreecontainer-02-ok.ks", "registry:quay.io/test/test_c:stable", "fedora-silverblue" },
    { "ostreecontainer-05-ok.ks", "repository:quay.io/test/test_c:stable", "fedora-silverblue" },
    { "bootc-01-ok.ks", "quay.io/centos-bootc/centos-bootc:stream9", "default" },
    { "bootc-05-ok.ks", "quay.io/centos-bootc/centos-bootc:stream9", "test" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_autofree char *rel = g_strdup_printf ("kickstart/ostree-directives/%s", images[i].file);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthKickstart) ks = parse_fixture (rel, 0, &error);
      g_assert_no_error (error);
      g_autofree char *image = berth_kickstart_get_image (ks);
      g_assert_cmpstr (image, ==, images[i].image);
      g_assert_cmpstr (berth_kickstart_get_stateroot (ks), ==, images[i].stateroot);
    }
  /* --remote is taken from --stateroot when not given (pykickstart), but only a --remote
   * written in the file makes berth verify with that remote */
  g_autoptr (BerthKickstart) a
    = parse_fixture ("kickstart/ostree-directives/ostreecontainer-02-ok.ks", 0, NULL);
  g_assert_cmpstr (a->ostreecontainer.remote, ==, "fedora-silverblue");
  g_assert_false (a->ostreecontainer.remote_given);
  g_autoptr (BerthKickstart) b
    = parse_fixture ("kickstart/ostree-directives/ostreecontainer-03-ok.ks", 0, NULL);
  g_assert_true (b->ostreecontainer.remote_given);
  g_autoptr (BerthKickstart) c
    = parse_fixture ("kickstart/ostree-directives/bootc-05-ok.ks", 0, NULL);
  g_assert_cmpstr (c->bootc.target_imgref, ==, "quay.io/centos-bootc/centos-bootc:stream10");
  g_assert_true (c->bootc.target_given);
}

/* ---- %pre, %post, %include (scripts-and-include/) --------------------------------------- */

static const char *
script_type_constant (BerthKickstartScriptType t)
{
  return t == BERTH_KICKSTART_SCRIPT_PRE    ? "constants.KS_SCRIPT_PRE"
         : t == BERTH_KICKSTART_SCRIPT_POST ? "constants.KS_SCRIPT_POST"
                                            : "other";
}

/* 'text' of a README expectation, quotes removed */
static char *
quoted (const char *s)
{
  const char *a = strchr (s, '\'');
  g_assert_nonnull (a);
  const char *b = strrchr (s, '\'');
  g_assert_true (b > a);
  return g_strndup (a + 1, (gsize)(b - a - 1));
}

static gboolean
python_bool (const char *stmt)
{
  if (g_str_has_suffix (stmt, " is true"))
    return TRUE;
  g_assert_true (g_str_has_suffix (stmt, " is false"));
  return FALSE;
}

/* Runs the README's expectations, which are the pykickstart test's assertions written as
 * statements: "len(scripts) == 1; script := scripts[0]; script.interp == '/bin/sh'; ...". */
static void
check_expectations (const char *file, const BerthKickstart *ks, const char *expectations)
{
  g_auto (GStrv) stmts = g_strsplit (expectations, "; ", -1);
  const BerthKickstartScript *script = NULL;
  for (char **st = stmts; *st != NULL; st++)
    {
      const char *s = *st;
      guint n;
      if (sscanf (s, "len(scripts) == %u", &n) == 1)
        g_assert_cmpuint (ks->scripts->len, ==, n);
      else if (sscanf (s, "script := scripts[%u]", &n) == 1)
        script = ks->scripts->pdata[n];
      else if (g_str_has_prefix (s, "script.interp == "))
        {
          g_autofree char *v = quoted (s);
          g_assert_cmpstr (script->interpreter, ==, v);
        }
      else if (g_str_has_prefix (s, "script.inChroot is"))
        g_assert_cmpint (script->in_chroot, ==, python_bool (s));
      else if (g_str_has_prefix (s, "script.errorOnFail is"))
        g_assert_cmpint (script->error_on_fail, ==, python_bool (s));
      else if (sscanf (s, "script.lineno == %u", &n) == 1)
        g_assert_cmpuint (script->where.line, ==, n);
      else if (g_str_has_prefix (s, "script.type == "))
        g_assert_cmpstr (script_type_constant (script->type), ==, s + strlen ("script.type == "));
      else if (g_str_has_prefix (s, "script.logfile == "))
        {
          g_autofree char *v = quoted (s);
          g_assert_cmpstr (script->log, ==, v);
        }
      else if (g_str_has_prefix (s, "script.script.rstrip() == "))
        {
          g_autofree char *v = quoted (s);
          g_autofree char *body = g_strchomp (g_strdup (script->body));
          g_assert_cmpstr (body, ==, v);
        }
      else if (sscanf (s, "len(packages.packageList) == %u", &n) == 1)
        g_assert_cmpuint (ks->packages.packages ? g_strv_length (ks->packages.packages) : 0, ==, n);
      else if (sscanf (s, "len(packages.excludedList) == %u", &n) == 1)
        g_assert_cmpuint (ks->packages.excluded ? g_strv_length (ks->packages.excluded) : 0, ==, n);
      else if (g_str_has_prefix (s, "rootpw.password == "))
        {
          g_autofree char *v = quoted (s);
          g_assert_cmpstr (ks->rootpw.password, ==, v);
        }
      else if (g_str_equal (s, "displaymode.displayMode == constants.DISPLAY_MODE_TEXT"))
        g_assert_true (ks->display.seen && ks->display.mode == BERTH_KICKSTART_DISPLAY_TEXT);
      else if (g_str_equal (s, "autopart.autopart is true"))
        g_assert_true (ks->autopart.seen);
      else if (g_str_equal (s, "clearpart.type == constants.CLEARPART_TYPE_ALL"))
        g_assert_cmpint (ks->clearpart.type, ==, BERTH_KICKSTART_CLEARPART_ALL);
      else if (g_str_equal (s, "zerombr.zerombr is true"))
        g_assert_true (ks->zerombr.seen);
      else
        g_error ("%s: an expectation this test cannot check: %s", file, s);
    }
}

static void
test_scripts_and_include (void)
{
  g_autoptr (GPtrArray) rows = readme_rows ("kickstart/scripts-and-include/README.md");
  g_assert_cmpuint (rows->len, ==, 21);
  guint f7_cases = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      const char *file = row[0], *version = row[1], *expectations = row[2];
      g_autofree char *rel = g_strdup_printf ("kickstart/scripts-and-include/%s", file);
      g_autofree char *path = berth_test_fixture (rel);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthKickstart) ks = berth_kickstart_parse_file (path, 0, &error);
      /* version F7 accepted sections without %end; from F8 on they are errors, and berth
       * reads F45: the F7 cases fail like their F8 twins (..._Fails_TestCase) */
      gboolean f7 = g_str_equal (version, "version.F7");
      if (f7 || g_str_equal (expectations, "raises KickstartParseError"))
        {
          if (ks != NULL)
            g_error ("%s: expected an error", file);
          assert_location (path, error->message, 0);
          if (strstr (file, "Unterminated") != NULL)
            assert_contains (error->message, "has no %end");
          f7_cases += f7;
          continue;
        }
      if (ks == NULL)
        g_error ("%s: %s", file, error->message);
      check_expectations (file, ks, expectations);
    }
  g_assert_cmpuint (f7_cases, ==, 4);

  /* the F7 twins and their F8 (failing) twins are the same text */
  const char *twins[] = { "pre-Simple", "pre-Multiple", "post-Simple", "post-Multiple" };
  for (gsize i = 0; i < G_N_ELEMENTS (twins); i++)
    {
      g_autofree char *a
        = g_strdup_printf ("kickstart/scripts-and-include/%s_Unterminated_TestCase.ks", twins[i]);
      g_autofree char *b = g_strdup_printf (
        "kickstart/scripts-and-include/%s_Unterminated_Fails_TestCase.ks", twins[i]);
      g_autofree char *da = berth_test_fixture_contents (a, NULL);
      g_autofree char *db = berth_test_fixture_contents (b, NULL);
      g_assert_cmpstr (da, ==, db);
    }

  /* the unterminated section is named at its header, with what follows */
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) none = parse_fixture (
    "kickstart/scripts-and-include/pre-Multiple_Unterminated_Fails_TestCase.ks", 0, &error);
  g_assert_null (none);
  assert_contains (error->message, "TestCase.ks:2: %pre has no %end before %pre at ");
  assert_contains (error->message, "TestCase.ks:5: add %end above that line");
}

/* ---- Anaconda's %include flattening (anaconda-include/) ------------------------------- */

static void
test_anaconda_include (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) inc
    = parse_fixture ("kickstart/anaconda-include/ks.test.include.cfg", 0, &error);
  g_assert_no_error (error);
  g_autoptr (BerthKickstart) flat = parse_fixture (
    "kickstart/anaconda-include/ks.test.include.flattened-expected.cfg", 0, &error);
  g_assert_no_error (error);
  g_autofree char *a = berth_kickstart_elements_to_string (inc);
  g_autofree char *b = berth_kickstart_elements_to_string (flat);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (inc->files->len, ==, 3);
  /* an element of the second-level include names its own file and line */
  gboolean found = FALSE;
  for (guint i = 0; i < inc->elements->len; i++)
    {
      const BerthKickstartElement *e = inc->elements->pdata[i];
      if (g_str_equal (e->name, "network") && e->args[0]
          && g_str_equal (e->args[0], "--device=ens541"))
        {
          g_assert_true (g_str_has_suffix (e->where.file, "ks.test.include2.cfg"));
          g_assert_cmpuint (e->where.line, ==, 2);
          found = TRUE;
        }
    }
  g_assert_true (found);
  g_assert_cmpuint (inc->networks->len, ==, 6);
  g_assert_cmpuint (inc->scripts->len, ==, 4);
  /* the flat file is the main one with the %include line left empty */
  g_autoptr (BerthKickstart) f
    = parse_fixture ("kickstart/anaconda-include/ks.test.flat.cfg", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->networks->len, ==, 2);
  g_assert_cmpuint (f->elements->len, <, inc->elements->len);

  g_autoptr (BerthKickstart) bad
    = parse_fixture ("kickstart/anaconda-include/ks.test.section-without-end.cfg", 0, &error);
  g_assert_null (bad);
  g_autofree char *path
    = berth_test_fixture ("kickstart/anaconda-include/ks.test.section-without-end.cfg");
  assert_location (path, error->message, 2);
  assert_contains (error->message, "%packages has no %end: add %end after its last line");
}

/* ---- Anaconda's payload round trips (anaconda-payload/) -------------------------------- */

static void
test_anaconda_payload (void)
{
  const char *cases[][2] = {
    { "ostree_container_kickstart", "ostreecontainer" },
    { "ostree_kickstart", "ostreesetup" },
    { "ostreecontainer_priority_kickstart", "ostreecontainer" },
    { "priority_kickstart", "ostreesetup" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *rel = g_strdup_printf ("kickstart/anaconda-payload/%s.ks", cases[i][0]);
      g_autofree char *rel_out
        = g_strdup_printf ("kickstart/anaconda-payload/%s.expected.ks", cases[i][0]);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthKickstart) ks = parse_fixture (rel, 0, &error);
      g_assert_no_error (error);
      g_autofree char *out = berth_test_fixture_contents (rel_out, NULL);
      g_autofree char *want = strip_comment_lines (out);
      g_autofree char *got = command_string (ks, cases[i][1]);
      g_assert_cmpstr (got, ==, want);
      /* Anaconda drops url beside an ostree payload; berth says so, or refuses ostreesetup */
      gboolean installable = berth_kickstart_check_installable (ks, 0, &error);
      if (g_str_equal (cases[i][1], "ostreesetup"))
        {
          g_assert_false (installable);
          g_clear_error (&error);
        }
      else
        {
          g_assert_no_error (error);
          if (strstr (cases[i][0], "priority"))
            assert_warning (ks, "url is ignored: a package source, and the container image is "
                                "installed instead");
        }
    }
}

/* ---- Anaconda's storage round trips (anaconda-storage/) -------------------------------- */

static int
compare_lines (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* The lines of @text whose command is one of @commands, sorted. */
static char *
lines_of (const char *text, const char *const *commands)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();
  for (char **l = lines; *l != NULL; l++)
    {
      g_autofree char *w = first_word (*l);
      if (g_strv_contains (commands, w))
        g_ptr_array_add (kept, *l);
    }
  g_ptr_array_sort (kept, compare_lines);
  g_ptr_array_add (kept, NULL);
  return g_strjoinv ("\n", (char **)kept->pdata);
}

static void
test_anaconda_storage (void)
{
  g_autoptr (GPtrArray) rows = readme_rows ("kickstart/anaconda-storage/README.md");
  g_assert_cmpuint (rows->len, ==, 58);
  /* the commands of these files berth reads and writes back */
  const char *const written[]
    = { "zerombr", "clearpart", "ignoredisk", "bootloader", "autopart", NULL };
  guint compared = 0, refused_by_berth = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      const char *name = row[0];
      gboolean valid = g_str_equal (row[2], "True");
      g_autofree char *rel = g_strdup_printf ("kickstart/anaconda-storage/%s.ks", name);
      g_autofree char *rel_out
        = g_strdup_printf ("kickstart/anaconda-storage/%s.expected.ks", name);
      g_autoptr (GError) error = NULL;
      /* every input is valid kickstart to pykickstart; the two invalid cases are refused by
       * Anaconda's storage module (a filesystem it does not know, a snapshot origin without
       * its volume group), not by the parser */
      g_autoptr (BerthKickstart) ks = parse_fixture (rel, 0, &error);
      g_assert_no_error (error);

      gboolean not_done = FALSE;
      for (guint e = 0; e < ks->elements->len; e++)
        not_done |= ((BerthKickstartElement *)ks->elements->pdata[e])->support
                    == BERTH_KICKSTART_SUPPORT_NOT_DONE;
      if (not_done)
        {
          /* logvol, volgroup, raid, btrfs, mount, snapshot: recognised, not carried out
           * (with an image named, so that is what berth refuses) */
          g_autofree char *text = berth_test_fixture_contents (rel, NULL);
          g_autofree char *with_image = g_strconcat (
            text, "\nostreecontainer --url=quay.io/a/b:c --no-signature-verification\n", NULL);
          g_autoptr (BerthKickstart) copy = parse_ok (name, with_image);
          g_assert_false (berth_kickstart_check_installable (copy, 0, &error));
          assert_contains (error->message, "berth does not carry out ");
          g_clear_error (&error);
          refused_by_berth++;
        }
      if (!valid)
        continue;
      /* Anaconda writes back what its storage module keeps, no secrets; part and reqpart are
       * written by another module, so not here */
      g_autoptr (GString) got = g_string_new (NULL);
      for (const char *const *c = written; *c != NULL; c++)
        {
          g_autofree char *s = command_string (ks, *c);
          g_string_append (got, s);
        }
      g_autofree char *out = berth_test_fixture_contents (rel_out, NULL);
      g_autofree char *want = lines_of (out, written);
      g_autofree char *have = lines_of (got->str, written);
      if (g_str_equal (name, "autopart_passphrase_kickstart"))
        {
          g_assert_cmpstr (have, ==, "autopart --encrypted --passphrase=\"123456\"");
          g_assert_cmpstr (want, ==, "autopart --encrypted");
        }
      else
        g_assert_cmpstr (have, ==, want);
      compared++;
    }
  g_assert_cmpuint (compared, ==, 56);
  g_assert_cmpuint (refused_by_berth, ==,
                    13); /* 6 mount, 3 snapshot, logvol, volgroup, raid, btrfs */
}

/* ---- kickstarts osbuild writes (osbuild-stage/) ---------------------------------------- */

static void
test_osbuild_stage (void)
{
  g_autofree char *data = berth_test_fixture_contents ("kickstart/osbuild-stage/cases.jsonl", NULL);
  g_auto (GStrv) lines = g_strsplit (data, "\n", -1);
  guint n = 0;
  for (char **l = lines; *l != NULL; l++)
    {
      if (**l == '\0')
        continue;
      json_error_t jerr;
      g_autoptr (json_t) o = json_loads (*l, 0, &jerr);
      g_assert_nonnull (o);
      n++;
      /* pykickstart 3.74 (F45) parses every one of them, without a warning */
      g_autofree char *name = g_strdup_printf ("osbuild-case-%u.ks", n);
      g_autoptr (BerthKickstart) ks
        = parse_ok (name, json_string_value (json_object_get (o, "expected_kickstart")));
      g_assert_cmpuint (ks->warnings->len, ==, 0);
    }
  g_assert_cmpuint (n, ==, 87);

  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) bl
    = parse_fixture ("kickstart/osbuild-stage/81-bootloader.ks", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bl->bootloader.append, ==, "karg1 karg2=0"); /* single quotes */

  g_autoptr (BerthKickstart) bc = parse_fixture ("kickstart/osbuild-stage/83-bootc.ks", 0, &error);
  g_assert_no_error (error);
  g_autofree char *image = berth_kickstart_get_image (bc);
  g_assert_cmpstr (image, ==, "oci:/run/install/repo/container");
  g_assert_cmpstr (bc->bootc.target_imgref, ==, "docker://quay.io/fedora/fedora-bootc:latest");

  g_autoptr (BerthKickstart) oc
    = parse_fixture ("kickstart/osbuild-stage/79-ostreecontainer.ks", 0, &error);
  g_assert_no_error (error);
  g_autofree char *image2 = berth_kickstart_get_image (oc);
  g_assert_cmpstr (image2, ==, "oci-archive:/run/install/repo/container.tar");

  g_autoptr (BerthKickstart) post = parse_fixture ("kickstart/osbuild-stage/86-post.ks", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (post->scripts->len, ==, 3);
  const BerthKickstartScript *s = post->scripts->pdata[1];
  g_assert_cmpint (s->type, ==, BERTH_KICKSTART_SCRIPT_POST);
  g_assert_true (s->error_on_fail);
  g_assert_false (s->in_chroot);
  g_assert_cmpstr (s->log, ==, "/mnt/sysimage/var/log/ks-p2.log");
  g_assert_cmpstr (s->interpreter, ==, "/usr/bin/bash");
  g_assert_cmpstr (s->body, ==,
                   "echo 'Starting post2'\n"
                   "if [ ! -e /mnt/sysimage/etc/resolv.conf ]; then\n"
                   "  cp /etc/resolv.conf /mnt/sysimage/etc/resolv.conf\n"
                   "fi\n");
  const BerthKickstartScript *py = post->scripts->pdata[2];
  g_assert_cmpstr (py->interpreter, ==, "/usr/bin/python3");
  g_assert_true (py->in_chroot);

  g_autoptr (BerthKickstart) users
    = parse_fixture ("kickstart/osbuild-stage/10-groups-liveimg-ostree-users.ks", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->users->len, ==, 2);
  const BerthKickstartUser *u = users->users->pdata[0];
  g_assert_cmpstr (u->name, ==, "someusr");
  g_assert_true (u->is_crypted);
  g_assert_cmpint (u->uid, ==, 1337);
  g_assert_cmpstr (u->homedir, ==, "/other/home/someusr");
  assert_strv (u->groups, (const char *const[]){ "grp1", "grp2", NULL });
  g_assert_cmpuint (users->groups->len, ==, 2);
  g_assert_cmpuint (users->sshkeys->len, ==, 2);
  g_autofree char *keys = command_string (users, "sshkey");
  g_assert_cmpstr (keys, ==,
                   "sshkey --username=someusr \"ssh-rsa not-really-a-real-key\"\n"
                   "sshkey --username=dot.user \"ssh-rsa not-really-a-real-key\"\n");
  /* ostreesetup and liveimg are there: berth installs neither */
  g_assert_false (berth_kickstart_check_installable (users, 0, &error));
  assert_contains (error->message, "ostreesetup installs a commit");
}

/* ---- published kickstarts (real-world/) -------------------------------------------------- */

static void
test_real_world (void)
{
  g_autoptr (GError) error = NULL;

  /* the CentOS bootc example: a TAB between options, --url VALUE, a full part layout */
  g_autoptr (BerthKickstart) c1
    = parse_fixture ("kickstart/real-world/centos-bootc-example-03033108.ks", 0, &error);
  g_assert_no_error (error);
  g_autofree char *image = berth_kickstart_get_image (c1);
  g_assert_cmpstr (image, ==, "registry:quay.io/centos-bootc/fedora-bootc:eln");
  g_assert_true (c1->ostreecontainer.no_signature_verification);
  g_assert_cmpstr (berth_kickstart_get_stateroot (c1), ==, "default");
  g_assert_cmpuint (c1->partitions->len, ==, 5);
  struct
  {
    const char *mountpoint, *fstype, *label;
    gint64 size;
    gboolean grow;
  } layout[] = {
    { "prepboot", "prepboot", NULL, 4, FALSE },
    { "biosboot", "biosboot", NULL, 1, FALSE },
    { "/boot/efi", "efi", NULL, 100, FALSE },
    { "/boot", "ext4", "boot", 1000, FALSE },
    { "/", "xfs", NULL, 0, TRUE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (layout); i++)
    {
      const BerthKickstartPartition *p = c1->partitions->pdata[i];
      g_assert_cmpstr (p->mountpoint, ==, layout[i].mountpoint);
      g_assert_cmpstr (p->fstype, ==, layout[i].fstype);
      g_assert_cmpstr (p->label, ==, layout[i].label);
      g_assert_cmpint (p->has_size, ==, layout[i].size != 0);
      g_assert_cmpint (p->size, ==, layout[i].size);
      g_assert_cmpint (p->grow, ==, layout[i].grow);
    }
  g_assert_cmpint (c1->clearpart.type, ==, BERTH_KICKSTART_CLEARPART_ALL);
  g_assert_true (c1->clearpart.initlabel);
  g_assert_cmpstr (c1->clearpart.disklabel, ==, "gpt");
  g_assert_true (c1->bootloader.disabled);
  g_assert_cmpstr (c1->bootloader.location, ==, "none");
  g_assert_true (c1->rootpw.is_crypted);
  g_assert_cmpstr (c1->rootpw.password, ==, "locked");
  assert_strv (c1->services.enabled, (const char *const[]){ "sshd", NULL });
  g_assert_false (c1->firewall.enabled);
  g_assert_cmpint (c1->finish.action, ==, BERTH_KICKSTART_FINISH_REBOOT);
  g_assert_cmpuint (c1->users->len, ==, 0);
  g_assert_cmpuint (c1->sshkeys->len, ==, 0); /* commented out */
  g_assert_cmpuint (c1->scripts->len, ==, 1);
  const BerthKickstartScript *post = c1->scripts->pdata[0];
  g_assert_true (post->error_on_fail && post->in_chroot);
  assert_contains (post->body, "/usr/bin/bootupctl backend install --auto --with-static-configs");
  g_assert_true (berth_kickstart_check_installable (c1, 0, &error));
  g_assert_no_error (error);

  g_autoptr (BerthKickstart) c2
    = parse_fixture ("kickstart/real-world/centos-bootc-example-48867608.ks", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c2->partitions->len, ==, 2);
  g_assert_true (c2->reqpart.seen); /* reqpart goes with part, only autopart conflicts */
  g_assert_true (berth_kickstart_check_installable (c2, 0, &error));

  /* Anaconda's release notes: bootc with a transport prefix */
  g_autoptr (BerthKickstart) rn
    = parse_fixture ("kickstart/real-world/anaconda-release-notes-bootc.ks", 0, &error);
  g_assert_no_error (error);
  g_autofree char *rn_image = berth_kickstart_get_image (rn);
  g_assert_cmpstr (rn_image, ==, "registry:quay.io/fedora/fedora-bootc:rawhide");
  g_assert_cmpstr (rn->bootc.target_imgref, ==, "registry:quay.io/fedora/fedora-bootc:rawhide");
  g_assert_false (rn->bootc.target_given);
  g_assert_cmpstr (berth_kickstart_get_stateroot (rn), ==, "default");

  /* Bluefin's ISO: a %post only (the ISO carries the image); berth needs one named */
  g_autoptr (BerthKickstart) bf
    = parse_fixture ("kickstart/real-world/bluefin-lts-iso-embedded.ks", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bf->scripts->len, ==, 1);
  g_assert_cmpstr (((BerthKickstartScript *)bf->scripts->pdata[0])->body, ==,
                   "bootc switch --mutate-in-place --transport registry "
                   "--enforce-container-sigpolicy ghcr.io/ublue-os/bluefin:lts\n");
  g_assert_false (berth_kickstart_check_installable (bf, 0, &error));
  assert_contains (error->message, "bluefin-lts-iso-embedded.ks: names no image to install");
  g_clear_error (&error);
  /* the same kickstart as bootc-image-builder's TOML holds it: a multi-line basic string,
   * which berth's TOML reader (made for bootc's configuration) does not read, so taken out
   * here as TOML defines it: the newline after the opening """ is not part of it, and this one
   * has no escapes */
  g_autofree char *toml_text
    = berth_test_fixture_contents ("kickstart/real-world/bluefin-lts-iso.toml", NULL);
  g_auto (GStrv) after = g_strsplit (toml_text, "contents = \"\"\"\n", 2);
  g_assert_nonnull (after[1]);
  g_auto (GStrv) inside = g_strsplit (after[1], "\"\"\"", 2);
  g_assert_null (strchr (inside[0], '\\'));
  const char *contents = inside[0];
  g_autoptr (BerthKickstart) from_toml = parse_ok ("bluefin-lts-iso.toml", contents);
  g_autofree char *e1 = berth_kickstart_elements_to_string (bf);
  g_autofree char *e2 = berth_kickstart_elements_to_string (from_toml);
  g_assert_cmpstr (e1, ==, e2);

  /* bootc-image-builder's generated kickstart includes a file of the ISO */
  g_autoptr (BerthKickstart) bib
    = parse_fixture ("kickstart/real-world/bootc-image-builder-osbuild.ks", 0, &error);
  g_assert_null (bib);
  assert_contains (error->message, "bootc-image-builder-osbuild.ks:1: %include "
                                   "/run/install/repo/osbuild-base.ks: "
                                   "/run/install/repo/osbuild-base.ks does not exist");
  g_clear_error (&error);
  g_autoptr (BerthKickstart) bib2
    = parse_fixture ("kickstart/real-world/bootc-image-builder-osbuild.ks",
                     BERTH_KICKSTART_MISSING_INCLUDE_OK, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bib2->autopart.type, ==, BERTH_KICKSTART_AUTOPART_LVM);
  assert_warning (bib2, "does not exist (yet): skipped");

  /* the kickstart a bootc-image-builder user writes (bib adds ostreecontainer itself) */
  g_autoptr (BerthKickstart) user = parse_fixture (
    "kickstart/real-world/bootc-image-builder-readme-user-kickstart.ks", 0, &error);
  g_assert_no_error (error);
  g_assert_true (user->display.non_interactive);
  g_assert_true (user->zerombr.seen);
  g_assert_cmpstr (user->clearpart.disklabel, ==, "gpt");
  g_assert_true (user->autopart.noswap);
  g_assert_cmpint (user->autopart.type, ==, BERTH_KICKSTART_AUTOPART_LVM);
  g_assert_cmpuint (user->networks->len, ==, 1);
  const BerthKickstartNetwork *net = user->networks->pdata[0];
  g_assert_cmpstr (net->device, ==, "link");
  g_assert_cmpstr (net->bootproto, ==, "dhcp");
  assert_strv (net->args, (const char *const[]){ "--bootproto=dhcp", "--device=link", "--activate",
                                                 "--onboot=on", NULL });
  g_assert_false (berth_kickstart_check_installable (user, 0, &error));
  assert_contains (error->message, "names no image to install");
  g_clear_error (&error);

  /* bootc's integration test: liveimg, %pre and %post with logs, a template password */
  g_autoptr (BerthKickstart) li
    = parse_fixture ("kickstart/real-world/bootc-tests-integration-liveimg.ks.template", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (li->liveimg.url, ==, "file:///mnt/tarball/rootfs.tar");
  g_assert_cmpstr (li->rootpw.password, ==, "{root_password}");
  g_assert_false (li->rootpw.is_crypted);
  g_assert_true (li->bootloader.has_timeout);
  g_assert_cmpint (li->bootloader.timeout, ==, 1);
  g_assert_cmpint (li->autopart.type, ==, BERTH_KICKSTART_AUTOPART_PLAIN);
  g_assert_cmpstr (li->autopart.fstype, ==, "ext4");
  g_assert_true (li->autopart.nohome && li->autopart.noswap);
  g_assert_cmpstr (li->lang.lang, ==, "en_US.UTF-8");
  g_assert_cmpstr (li->keyboard.keyboard, ==, "us");
  g_assert_cmpstr (li->timezone.timezone, ==, "America/New_York");
  g_assert_true (li->timezone.utc);
  g_assert_cmpuint (li->scripts->len, ==, 2);
  const BerthKickstartScript *pre = li->scripts->pdata[0];
  g_assert_cmpint (pre->type, ==, BERTH_KICKSTART_SCRIPT_PRE);
  g_assert_cmpstr (pre->log, ==, "/tmp/pre-mount.log");
  g_assert_true (g_str_has_prefix (pre->body, "set -eux\nmkdir -p /mnt/tarball\n"));
  const BerthKickstartScript *lpost = li->scripts->pdata[1];
  /* a script body keeps its blank lines and comments */
  assert_contains (lpost->body,
                   "\n# Ensure machine-id exists (needed by kernel-install for BLS filenames)\n");
  assert_contains (lpost->body, "echo \"Kernel version: $KVER\"\n\n");
  g_assert_false (berth_kickstart_check_installable (li, 0, &error));
  assert_contains (error->message, "liveimg installs a disk image or tarball");
}

/* ---- words and options (what pykickstart's shlex and argparse do) ----------------------- */

static void
test_tokenizer (void)
{
  /* '#' ends a line outside quotes, even inside a word (shlex) */
  g_autoptr (BerthKickstart) a = parse_ok ("t.ks", "rootpw abc#def\n");
  g_assert_cmpstr (a->rootpw.password, ==, "abc");
  g_autoptr (BerthKickstart) b = parse_ok ("t.ks", "rootpw --plaintext \"comment#inpassword\"\n");
  g_assert_cmpstr (b->rootpw.password, ==, "comment#inpassword");
  g_autofree char *bs = command_string (b, "rootpw");
  g_assert_cmpstr (bs, ==, "rootpw --plaintext \"comment#inpassword\"\n");
  /* backslash: any character outside quotes; only " and \ inside double quotes; nothing in
   * single quotes */
  g_autoptr (BerthKickstart) c = parse_ok ("t.ks", "rootpw abc\\ def\\#x\n");
  g_assert_cmpstr (c->rootpw.password, ==, "abc def#x");
  g_autoptr (BerthKickstart) d = parse_ok ("t.ks", "rootpw \"a\\b\\\"c\\\\d\"\n");
  g_assert_cmpstr (d->rootpw.password, ==, "a\\b\"c\\d");
  g_autoptr (BerthKickstart) e = parse_ok ("t.ks", "rootpw 'a\\b\"c'\n");
  g_assert_cmpstr (e->rootpw.password, ==, "a\\b\"c");
  /* quotes join a word; tabs separate; CRLF and CR alone end lines */
  g_autoptr (BerthKickstart) f
    = parse_ok ("t.ks", "bootloader\t--append=\"console=ttyS0\"' quiet'\r\nzerombr\rtext\n");
  g_assert_cmpstr (f->bootloader.append, ==, "console=ttyS0 quiet");
  g_assert_true (f->zerombr.seen && f->display.seen);
  /* indented commands and comments */
  g_autoptr (BerthKickstart) g = parse_ok ("t.ks", "   # comment\n\t  zerombr   # trailing\n\n");
  g_assert_true (g->zerombr.seen);

  g_autofree char *m1 = parse_fails ("t.ks", "zerombr\nrootpw \"unterminated\n", 2);
  assert_contains (m1, "no closing quotation: the \" at column 8");
  g_autofree char *m2
    = parse_fails ("t.ks", "bootloader --append=\"quiet\" \\\n  --timeout=3\n", 1);
  assert_contains (m2, "kickstart has no line continuation");
  g_autofree char *m3 = parse_fails ("t.ks", "\xef\xbb\xbfzerombr\n", 1);
  assert_contains (m3, "byte order mark");
  g_autofree char *m4 = parse_fails ("t.ks", "zerombr\ntext\nrootpw \xff\n", 3);
  assert_contains (m4, "byte 0xff is not UTF-8");
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) nul
    = berth_kickstart_parse_data ("t.ks", "zerombr\n\0x\n", 10, 0, &error);
  g_assert_null (nul);
  assert_contains (error->message, "t.ks:2: a NUL byte");
}

static void
test_options (void)
{
  /* --opt value and --opt=value; a unique prefix; later options win */
  g_autoptr (BerthKickstart) a
    = parse_ok ("o.ks", "bootloader --append quiet --time 4 --location=boot --location=none\n");
  g_assert_cmpstr (a->bootloader.append, ==, "quiet");
  g_assert_cmpint (a->bootloader.timeout, ==, 4);
  g_assert_cmpstr (a->bootloader.location, ==, "none");
  /* a value that looks like an option is missing; with '=' it is a value; numbers are values */
  g_autofree char *m1 = parse_fails ("o.ks", "bootloader --append -x\n", 1);
  assert_contains (m1, "write --append=-x if that is the value");
  g_autoptr (BerthKickstart) b = parse_ok ("o.ks", "bootloader --append=-x --timeout -5\n");
  g_assert_cmpstr (b->bootloader.append, ==, "-x");
  g_assert_cmpint (b->bootloader.timeout, ==, -5);
  /* Python's int(): spaces, a sign, '_' between digits; nothing else */
  g_autoptr (BerthKickstart) c = parse_ok ("o.ks", "part / --size=' +1_000 '\n");
  g_assert_cmpint (((BerthKickstartPartition *)c->partitions->pdata[0])->size, ==, 1000);
  g_autofree char *m2 = parse_fails ("o.ks", "part / --size=0x10\n", 1);
  assert_contains (m2, "part --size takes a whole number (MiB), not '0x10'");
  /* an abbreviation of two spellings is ambiguous, as in argparse */
  g_autofree char *m3 = parse_fails ("o.ks", "part / --ond=sda\n", 1);
  assert_contains (m3, "ambiguous option --ond: it could be --ondisk, --ondrive");
  g_autofree char *m4 = parse_fails ("o.ks", "eula --agreed=yes\n", 1);
  assert_contains (m4, "--agreed takes no value");
  g_autofree char *m5 = parse_fails ("o.ks", "bootloader --location=MBR\n", 1);
  assert_contains (m5, "write one of mbr, partition, none, boot");
  g_autofree char *m6 = parse_fails ("o.ks", "ostreecontainer --stateroot=x\n", 1);
  assert_contains (m6, "ostreecontainer needs --url: add it");
  g_autofree char *m7 = parse_fails ("o.ks", "part / /home\n", 1);
  assert_contains (m7, "unexpected '/home'");
  g_autofree char *m8 = parse_fails ("o.ks", "bootloader --bogus\n", 1);
  assert_contains (m8, "bootloader does not take --bogus");
  assert_contains (m8, "--append, --location");
  /* "--" ends the options */
  g_autoptr (BerthKickstart) d = parse_ok ("o.ks", "rootpw -- -secret\n");
  g_assert_cmpstr (d->rootpw.password, ==, "-secret");
  /* positionals between options, as argparse takes them */
  g_autoptr (BerthKickstart) e = parse_ok ("o.ks", "timezone --utc Asia/Tokyo\npart --size 1 /\n");
  g_assert_cmpstr (e->timezone.timezone, ==, "Asia/Tokyo");
  g_assert_cmpstr (((BerthKickstartPartition *)e->partitions->pdata[0])->mountpoint, ==, "/");
  /* mount points are normalised (os.path.normpath); --onpart loses /dev/ */
  g_autoptr (BerthKickstart) f
    = parse_ok ("o.ks", "part /boot/ --size=1 --onpart=/dev/sda1\npart //a/../b --size=1\n");
  g_autofree char *fs = command_string (f, "part");
  g_assert_cmpstr (fs, ==, "part /boot --onpart=sda1 --size=1\npart //b --size=1\n");
  /* commaSplit: spaces and empty items dropped */
  g_autoptr (BerthKickstart) g = parse_ok ("o.ks", "user --name=a --groups=' wheel,,adm '\n");
  assert_strv (((BerthKickstartUser *)g->users->pdata[0])->groups,
               (const char *const[]){ "wheel", "adm", NULL });
  /* firewall ports: PORT alone is PORT:tcp */
  g_autoptr (BerthKickstart) h
    = parse_ok ("o.ks", "firewall --port=22,53:udp --ssh --service=http\n");
  assert_strv (h->firewall.ports, (const char *const[]){ "22:tcp", "53:udp", NULL });
  assert_strv (h->firewall.services, (const char *const[]){ "ssh", "http", NULL });
}

/* ---- the commands' own rules ------------------------------------------------------------ */

static void
test_commands (void)
{
  /* conflicts, in either order */
  g_autofree char *m1 = parse_fails ("c.ks", "part / --size=100\nautopart\n", 2);
  assert_contains (m1, "autopart cannot be used with part (at c.ks:1)");
  g_autofree char *m2 = parse_fails ("c.ks", "autopart\npartition / --size=100\n", 2);
  assert_contains (m2, "partition cannot be used with autopart (at c.ks:1)");
  g_autofree char *m3 = parse_fails (
    "c.ks", "bootc --source-imgref=registry:q.io/a:b\nostreecontainer --url=q.io/a:b\n", 2);
  assert_contains (m3, "ostreecontainer cannot be used with bootc");
  g_autofree char *m4 = parse_fails ("c.ks", "reqpart\nautopart\n", 2);
  assert_contains (m4, "autopart cannot be used with reqpart");
  /* defined twice: an error (pykickstart warns) */
  g_autofree char *m5 = parse_fails ("c.ks", "part /var --size=1\npart /var/ --size=2\n", 2);
  assert_contains (m5, "part /var is defined twice (also at c.ks:1)");
  g_autoptr (BerthKickstart) swaps = parse_ok ("c.ks", "part swap --size=1\npart swap --size=2\n");
  g_assert_cmpuint (swaps->partitions->len, ==, 2);
  g_autofree char *m6 = parse_fails ("c.ks", "user --name=core\nuser --name=core --lock\n", 2);
  assert_contains (m6, "user core is defined twice");
  g_autofree char *m7
    = parse_fails ("c.ks", "sshkey --username=core \"a\"\nsshkey --username=core \"b\"\n", 2);
  assert_contains (m7, "sshkey for core is given twice");
  g_autofree char *m8 = parse_fails ("c.ks", "network --hostname=a\nnetwork --hostname=b\n", 2);
  assert_contains (m8, "network without --device is configured twice");
  /* a single-use command again: merged as pykickstart merges, with a warning */
  g_autoptr (BerthKickstart) merged
    = parse_ok ("c.ks", "ostreecontainer --url a --stateroot s\nostreecontainer --url b\n"
                        "bootloader --append=x\nbootloader --timeout=5\n");
  g_autofree char *ms = command_string (merged, "ostreecontainer");
  g_assert_cmpstr (ms, ==, "ostreecontainer --stateroot=\"s\" --remote=\"s\" --url=\"b\"\n");
  g_autofree char *mb = command_string (merged, "bootloader");
  g_assert_cmpstr (mb, ==, "bootloader --append=\"x\" --location=mbr --timeout=5\n");
  assert_warning (merged, "c.ks:2: ostreecontainer is given again (first at c.ks:1)");
  g_assert_cmpuint (merged->bootloader.where.line, ==, 4);
  /* the command's checks */
  g_autofree char *m9 = parse_fails ("c.ks", "ignoredisk --drives=sda --only-use=sdb\n", 1);
  assert_contains (m9, "exactly one of --drives");
  g_autofree char *m10 = parse_fails ("c.ks", "autopart --fstype=btrfs\n", 1);
  assert_contains (m10, "write --type=btrfs instead");
  g_autofree char *m11 = parse_fails ("c.ks", "autopart --type=bogus\n", 1);
  assert_contains (m11, "'bogus' is not one of its choices");
  g_autofree char *m12 = parse_fails ("c.ks", "rootpw --iscrypted\n", 1);
  assert_contains (m12, "rootpw needs a password");
  g_autofree char *m13 = parse_fails ("c.ks", "eula\n", 1);
  assert_contains (m13, "write eula --agreed");
  g_autofree char *m14 = parse_fails ("c.ks", "ostreesetup --osname=a --url=ftp://x --ref=r\n", 1);
  assert_contains (m14, "file:, http: or https:");
  g_autofree char *m15 = parse_fails ("c.ks", "services\n", 1);
  assert_contains (m15, "--enabled=UNIT");
  g_autofree char *m16 = parse_fails ("c.ks", "keyboard\n", 1);
  assert_contains (m16, "keyboard needs a layout");
  g_autofree char *m17 = parse_fails ("c.ks", "timezone\n", 1);
  assert_contains (m17, "timezone needs a zone");
  g_autofree char *m18 = parse_fails ("c.ks", "bootloader --sdboot --extlinux\n", 1);
  assert_contains (m18, "keep one");
  g_autofree char *m19 = parse_fails ("c.ks", "cmdline --non-interactive\n", 1);
  assert_contains (m19, "cmdline is never interactive");
  /* unknown commands: an error with a suggestion, or a warning with --ignore-unknown */
  g_autofree char *m20 = parse_fails ("c.ks", "zerombr\nnetork --device=eth0\n", 2);
  assert_contains (m20, "unknown command 'netork' (did you mean network?)");
  assert_contains (m20, "--ignore-unknown");
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) ign = berth_kickstart_parse_data (
    "c.ks", "netork --device=eth0\nzerombr\n", -1, BERTH_KICKSTART_IGNORE_UNKNOWN, &error);
  g_assert_no_error (error);
  assert_warning (ign, "c.ks:1: unknown command 'netork'");
  /* the typed fields of the rest */
  g_autoptr (BerthKickstart) t = parse_ok (
    "c.ks", "lang en_US.UTF-8 --addsupport=de_DE\nkeyboard --vckeymap=de --xlayouts=de,us\n"
            "selinux --permissive\nservices --enabled=sshd,chronyd --disabled=cups\n"
            "network --device=eth0 --hostname=host.example --bootproto=static --ip=10.0.0.2\n"
            "halt --eject\ngraphical\neula --agree\nfirstboot --disable\n"
            "group --name=admins --gid=1500\nrootpw --lock --allow-ssh\n");
  g_assert_cmpstr (t->lang.lang, ==, "en_US.UTF-8");
  assert_strv (t->lang.addsupport, (const char *const[]){ "de_DE", NULL });
  g_assert_cmpstr (t->keyboard.vckeymap, ==, "de");
  g_assert_null (t->keyboard.keyboard);
  g_assert_cmpint (t->selinux.mode, ==, BERTH_KICKSTART_SELINUX_PERMISSIVE);
  assert_strv (t->services.enabled, (const char *const[]){ "sshd", "chronyd", NULL });
  assert_strv (t->services.disabled, (const char *const[]){ "cups", NULL });
  const BerthKickstartNetwork *n = t->networks->pdata[0];
  g_assert_cmpstr (n->hostname, ==, "host.example");
  g_assert_cmpstr (n->bootproto, ==, "static");
  g_assert_cmpuint (g_strv_length (n->args), ==, 4);
  g_assert_cmpint (t->finish.action, ==, BERTH_KICKSTART_FINISH_HALT);
  g_assert_true (t->finish.eject);
  g_assert_cmpint (t->display.mode, ==, BERTH_KICKSTART_DISPLAY_GRAPHICAL);
  g_assert_true (t->eula.agreed);
  g_assert_cmpint (t->firstboot.mode, ==, BERTH_KICKSTART_FIRSTBOOT_DISABLED);
  g_assert_cmpint (((BerthKickstartGroup *)t->groups->pdata[0])->gid, ==, 1500);
  g_assert_true (t->rootpw.lock && t->rootpw.allow_ssh);
  g_assert_null (t->rootpw.password);
  g_autofree char *rs = command_string (t, "rootpw");
  g_assert_cmpstr (rs, ==, "rootpw --lock\n"); /* F18's __str__ drops the rest */
}

/* ---- sections --------------------------------------------------------------------------- */

static void
test_sections (void)
{
  const char *text = "%pre --interpreter=/usr/bin/python3 --logfile /tmp/pre.log\n" /* 1 */
                     "print(1)\n"
                     "%end\n"
                     "%post --nochroot --erroronfail\n" /* 4 */
                     "\n"
                     "  # kept\n"
                     "%wheel ALL=(ALL) ALL\n" /* not a section: a line of the script */
                     "%end\n"
                     "%post\n" /* 9: blank, dropped as pykickstart drops it */
                     "   \n"
                     "%end\n"
                     "%onerror\n" /* 12 */
                     "logger failed\n"
                     "%end # done\n"
                     "%pre-install\ntrue\n%end\n"                  /* 15 */
                     "%traceback\ntrue\n%end\n"                    /* 18 */
                     "%addon com_redhat_kdump --enable\nx\n%end\n" /* 21 */
                     "%anaconda\npwpolicy root\n%end\n"            /* 24 */
                     "ostreecontainer --url=quay.io/a/b:c --no-signature-verification\n";
  g_autoptr (BerthKickstart) ks = parse_ok ("s.ks", text);
  g_assert_cmpuint (ks->scripts->len, ==, 5);
  const BerthKickstartScript *pre = ks->scripts->pdata[0];
  g_assert_cmpint (pre->type, ==, BERTH_KICKSTART_SCRIPT_PRE);
  g_assert_cmpstr (pre->interpreter, ==, "/usr/bin/python3");
  g_assert_cmpstr (pre->log, ==, "/tmp/pre.log");
  g_assert_false (pre->in_chroot);
  g_assert_cmpuint (pre->where.line, ==, 1);
  g_assert_cmpstr (pre->body, ==, "print(1)\n");
  const BerthKickstartScript *post = ks->scripts->pdata[1];
  g_assert_cmpint (post->type, ==, BERTH_KICKSTART_SCRIPT_POST);
  g_assert_false (post->in_chroot);
  g_assert_true (post->error_on_fail);
  g_assert_cmpstr (post->interpreter, ==, "/bin/sh");
  g_assert_cmpstr (post->body, ==, "\n  # kept\n%wheel ALL=(ALL) ALL\n");
  g_assert_cmpint (((BerthKickstartScript *)ks->scripts->pdata[2])->type, ==,
                   BERTH_KICKSTART_SCRIPT_ONERROR);
  g_assert_cmpint (((BerthKickstartScript *)ks->scripts->pdata[3])->type, ==,
                   BERTH_KICKSTART_SCRIPT_PRE_INSTALL);
  g_assert_cmpint (((BerthKickstartScript *)ks->scripts->pdata[4])->type, ==,
                   BERTH_KICKSTART_SCRIPT_TRACEBACK);
  assert_warning (ks, "s.ks:18: %traceback is deprecated");
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_kickstart_check_installable (ks, 0, &error));
  assert_warning (ks, "s.ks:21: %addon com_redhat_kdump is skipped");
  assert_warning (ks, "s.ks:24: %anaconda  is skipped");

  g_autofree char *m1 = parse_fails ("s.ks", "zerombr\n%pre --nochroot\nls\n%end\n", 2);
  assert_contains (m1, "%pre takes no --nochroot: only %post runs chrooted into the installed");
  g_autofree char *m2 = parse_fails ("s.ks", "zerombr\n%end\n", 2);
  assert_contains (m2, "%end without a section to close");
  g_autofree char *m3 = parse_fails ("s.ks", "%postinstall\nls\n%end\n", 1);
  assert_contains (m3, "unknown section %postinstall");
  g_autofree char *m4 = parse_fails ("s.ks", "%post\nls\n", 1);
  assert_contains (m4, "s.ks:1: %post has no %end: add %end after its last line");
  g_autofree char *m5 = parse_fails ("s.ks", "%post\nls\n%pre\nls\n%end\n", 1);
  assert_contains (m5, "%post has no %end before %pre at s.ks:3");
  g_autofree char *m6 = parse_fails ("s.ks", "%certificate --filename=ca.pem\nx\n%end\n", 1);
  assert_contains (m6, "--dir=DIRECTORY");
  g_autofree char *m7 = parse_fails ("s.ks", "%ksappend http://x/y.ks\n", 1);
  assert_contains (m7, "berth does not do");
  g_autofree char *m8 = parse_fails ("s.ks", "%post --interpreter\nls\n%end\n", 1);
  assert_contains (m8, "%post --interpreter needs a value");
}

/* ---- what berth refuses to install ------------------------------------------------------ */

static void
check_fails (const char *text, BerthKickstartFlags flags, guint line, const char *needle)
{
  g_autoptr (BerthKickstart) ks = parse_ok ("i.ks", text);
  g_autoptr (GError) error = NULL;
  if (berth_kickstart_check_installable (ks, flags, &error))
    g_error ("expected berth to refuse:\n%s", text);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  if (line != 0)
    assert_location ("i.ks", error->message, line);
  assert_contains (error->message, needle);
}

static BerthKickstart *
check_passes (const char *text, BerthKickstartFlags flags)
{
  g_autoptr (GError) error = NULL;
  BerthKickstart *ks = berth_kickstart_parse_data ("i.ks", text, -1, flags, &error);
  g_assert_no_error (error);
  g_assert_true (berth_kickstart_check_installable (ks, flags, &error));
  g_assert_no_error (error);
  return ks;
}

static void
test_installable (void)
{
  const char *image = "ostreecontainer --url=quay.io/a/b:c --no-signature-verification\n";
  g_autofree char *packages = g_strconcat (image, "%packages\nvim\n%end\n", NULL);
  check_fails (packages, 0, 2, "%packages: a container image is installed whole");
  check_fails (packages, 0, 2, "RUN dnf install");
  g_autofree char *logvol = g_strconcat (image, "logvol / --vgname=v --name=root\n", NULL);
  check_fails (logvol, 0, 2, "berth does not carry out logvol: LVM needs device-mapper");
  g_autoptr (BerthKickstart) skipped = check_passes (logvol, BERTH_KICKSTART_IGNORE_UNKNOWN);
  assert_warning (skipped, "i.ks:2: logvol is not carried out by berth");
  g_autofree char *cert
    = g_strconcat (image, "%certificate --filename=ca.pem --type=anchor\nx\n%end\n", NULL);
  check_fails (cert, 0, 2, "berth does not carry out %certificate");
  check_fails ("zerombr\n", 0, 0, "i.ks: names no image to install");
  check_fails ("ostreecontainer --url=\n", 0, 1, "--url is empty");
  check_fails ("ostreesetup --osname=a --url=http://x --ref=r\n", 0, 1,
               "ostreesetup installs a commit");
  check_fails ("liveimg --url=http://x/img\n", 0, 1, "liveimg installs a disk image");
  g_autofree char *size = g_strconcat (image, "part / --size=0\n", NULL);
  check_fails (size, 0, 2, "at least 1 MiB");

  g_autofree char *sources
    = g_strconcat (image,
                   "url --url=http://x\nrepo --name=a --baseurl=http://y\nmediacheck\n"
                   "liveimg --url=http://z\n",
                   NULL);
  g_autoptr (BerthKickstart) ks = check_passes (sources, 0);
  assert_warning (ks, "i.ks:2: url is ignored");
  assert_warning (ks, "i.ks:3: repo is ignored");
  assert_warning (ks, "i.ks:4: mediacheck is skipped");
  assert_warning (ks, "i.ks:5: liveimg is ignored");
  /* neither --remote nor --no-signature-verification: installed unverified, said loudly */
  g_autoptr (BerthKickstart) unverified = check_passes ("ostreecontainer --url=quay.io/a/b:c\n", 0);
  assert_warning (unverified, "i.ks:1: the image's signature will not be verified");
  g_autoptr (BerthKickstart) remote
    = check_passes ("ostreecontainer --url=quay.io/a/b:c --remote=fedora\n", 0);
  g_assert_false (has_warning (remote, "signature"));
}

/* ---- %include -------------------------------------------------------------------------- */

static char *
write_file (const char *dir, const char *name, const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static BerthKickstart *
parse_path (const char *path, BerthKickstartFlags flags, GError **error)
{
  return berth_kickstart_parse_file (path, flags, error);
}

static void
test_includes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("berth-ks-XXXXXX", NULL);
  g_assert_nonnull (dir);
  g_autofree char *main_ks = write_file (dir, "main.ks",
                                         "zerombr\n"
                                         "%include sub/disk.ks\n"
                                         "%post\n"
                                         "%include body.sh\n"
                                         "echo after\n"
                                         "%end\n"
                                         "%post\n"
                                         "echo closed by the include\n"
                                         "%include end.ks\n"
                                         "text\n");
  g_autofree char *disk = write_file (dir, "sub/disk.ks", "part / --size=1000\n%include var.ks\n");
  g_autofree char *var = write_file (dir, "sub/var.ks", "part /var --size=500\n");
  /* a var.ks beside main.ks: a relative %include reads from the including file's directory */
  g_autofree char *decoy = write_file (dir, "var.ks", "part /wrong --size=1\n");
  /* an included script loses its leading blank and comment lines, as in pykickstart */
  g_autofree char *body = write_file (dir, "body.sh", "#!/bin/sh\n\necho inside\n# kept\n");
  g_autofree char *end = write_file (dir, "end.ks", "echo in end.ks\n%end\n");

  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) ks = parse_path (main_ks, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ks->partitions->len, ==, 2);
  const BerthKickstartPartition *pv = ks->partitions->pdata[1];
  g_assert_cmpstr (pv->mountpoint, ==, "/var");
  g_assert_cmpstr (pv->where.file, ==, var);
  g_assert_cmpuint (pv->where.line, ==, 1);
  g_assert_cmpuint (ks->scripts->len, ==, 2);
  g_assert_cmpstr (((BerthKickstartScript *)ks->scripts->pdata[0])->body, ==,
                   "echo inside\n# kept\necho after\n");
  g_assert_cmpstr (((BerthKickstartScript *)ks->scripts->pdata[1])->body, ==,
                   "echo closed by the include\necho in end.ks\n");
  g_assert_true (ks->display.seen);
  g_assert_cmpuint (ks->files->len, ==, 5);

  /* an error in an included file names that file and its line */
  g_autofree char *bad_main = write_file (dir, "bad-main.ks", "zerombr\n%include sub/bad.ks\n");
  g_autofree char *bad = write_file (dir, "sub/bad.ks", "text\nbogus --x\n");
  g_autoptr (BerthKickstart) b = parse_path (bad_main, 0, &error);
  g_assert_null (b);
  g_autofree char *bad_at = g_strdup_printf ("%s:2: unknown command 'bogus'", bad);
  g_assert_true (g_str_has_prefix (error->message, bad_at));
  g_clear_error (&error);

  /* cycles, through another file and to itself */
  g_autofree char *a = write_file (dir, "cycle-a.ks", "zerombr\n%include cycle-b.ks\n");
  g_autofree char *cb = write_file (dir, "cycle-b.ks", "%include cycle-a.ks\n");
  g_autoptr (BerthKickstart) c = parse_path (a, 0, &error);
  g_assert_null (c);
  g_autofree char *cycle_at
    = g_strdup_printf ("%s:1: %%include cycle-a.ks makes a cycle (%s -> %s -> ", cb, a, cb);
  g_assert_true (g_str_has_prefix (error->message, cycle_at));
  g_clear_error (&error);
  g_autofree char *self = write_file (dir, "self.ks", "text\n%include ./self.ks\n");
  g_autoptr (BerthKickstart) s = parse_path (self, 0, &error);
  g_assert_null (s);
  assert_contains (error->message, "self.ks:2: %include ./self.ks makes a cycle");
  g_clear_error (&error);

  /* nesting deeper than the limit */
  for (int i = 0; i <= BERTH_KICKSTART_MAX_INCLUDE_DEPTH + 1; i++)
    {
      g_autofree char *name = g_strdup_printf ("deep-%d.ks", i);
      g_autofree char *text = g_strdup_printf ("%%include deep-%d.ks\n", i + 1);
      g_autofree char *path = write_file (dir, name, text);
    }
  g_autofree char *deep0 = g_build_filename (dir, "deep-0.ks", NULL);
  g_autoptr (BerthKickstart) d = parse_path (deep0, 0, &error);
  g_assert_null (d);
  assert_contains (error->message, "includes nest more than 16 deep");
  g_clear_error (&error);

  /* a missing file: an error, or a warning when asked (before %pre has written it) */
  g_autofree char *miss
    = write_file (dir, "missing.ks", "zerombr\n%include /nonexistent/part.ks\n");
  g_autoptr (BerthKickstart) m = parse_path (miss, 0, &error);
  g_assert_null (m);
  g_autofree char *miss_at = g_strdup_printf ("%s:2: %%include /nonexistent/part.ks: ", miss);
  g_assert_true (g_str_has_prefix (error->message, miss_at));
  g_clear_error (&error);
  g_autoptr (BerthKickstart) m2 = parse_path (miss, BERTH_KICKSTART_MISSING_INCLUDE_OK, &error);
  g_assert_no_error (error);
  assert_warning (m2, "%include /nonexistent/part.ks: /nonexistent/part.ks does not exist (yet)");

  /* URLs are not fetched; a section must end in the file it opens in */
  g_autofree char *url = write_file (dir, "url.ks", "%include https://example.com/a.ks\n");
  g_autoptr (BerthKickstart) u = parse_path (url, 0, &error);
  g_assert_null (u);
  assert_contains (error->message,
                   "url.ks:1: %include https://example.com/a.ks: berth fetches nothing");
  g_clear_error (&error);
  g_autofree char *open_main = write_file (dir, "open-main.ks", "%include open.ks\n%end\n");
  g_autofree char *open = write_file (dir, "open.ks", "%post\nls\n");
  g_autoptr (BerthKickstart) o = parse_path (open_main, 0, &error);
  g_assert_null (o);
  g_autofree char *open_at = g_strdup_printf ("%s:1: %%post is not closed before the end", open);
  g_assert_true (g_str_has_prefix (error->message, open_at));
  g_clear_error (&error);

  const char *rm[] = { "rm", "-rf", dir, NULL };
  berth_spawn_sync (rm, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* ---- written back ------------------------------------------------------------------------ */

static void
test_elements_round_trip (void)
{
  const char *text = "text --non-interactive\n"
                     "bootloader --append=\"console=ttyS0,115200 quiet\" --timeout=3\n"
                     "rootpw --iscrypted '$6$salt$hash#with'\n"
                     "sshkey --username=core \"ssh-ed25519 AAAA key \\\"quoted\\\"\"\n"
                     "part /boot/efi --fstype=efi --size=600\n"
                     "%post --interpreter /usr/bin/bash\n"
                     "echo 'a b' > /etc/x  # comment kept\n"
                     "\n"
                     "%end\n"
                     "ostreecontainer --url quay.io/a/b:c\n";
  g_autoptr (BerthKickstart) a = parse_ok ("r.ks", text);
  g_autofree char *once = berth_kickstart_elements_to_string (a);
  g_autoptr (BerthKickstart) b = parse_ok ("r2.ks", once);
  g_autofree char *twice = berth_kickstart_elements_to_string (b);
  g_assert_cmpstr (once, ==, twice);
  g_assert_cmpstr (b->rootpw.password, ==, "$6$salt$hash#with");
  g_assert_cmpstr (((BerthKickstartSshkey *)b->sshkeys->pdata[0])->key, ==,
                   "ssh-ed25519 AAAA key \"quoted\"");
  g_autofree char *key = command_string (b, "sshkey");
  g_assert_cmpstr (key, ==, "sshkey --username=core \"ssh-ed25519 AAAA key \\\"quoted\\\"\"\n");
  g_assert_null (berth_kickstart_command_to_string (b, "timezone"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kickstart/pykickstart/cases", test_pykickstart_cases);
  g_test_add_func ("/kickstart/pykickstart/gone-options", test_gone_options);
  g_test_add_func ("/kickstart/pykickstart/ostree-directives", test_ostree_directives);
  g_test_add_func ("/kickstart/pykickstart/scripts-and-include", test_scripts_and_include);
  g_test_add_func ("/kickstart/anaconda/include", test_anaconda_include);
  g_test_add_func ("/kickstart/anaconda/payload", test_anaconda_payload);
  g_test_add_func ("/kickstart/anaconda/storage", test_anaconda_storage);
  g_test_add_func ("/kickstart/osbuild-stage", test_osbuild_stage);
  g_test_add_func ("/kickstart/real-world", test_real_world);
  g_test_add_func ("/kickstart/tokenizer", test_tokenizer);
  g_test_add_func ("/kickstart/options", test_options);
  g_test_add_func ("/kickstart/commands", test_commands);
  g_test_add_func ("/kickstart/sections", test_sections);
  g_test_add_func ("/kickstart/installable", test_installable);
  g_test_add_func ("/kickstart/includes", test_includes);
  g_test_add_func ("/kickstart/elements-round-trip", test_elements_round_trip);
  return g_test_run ();
}
