/* Unit tests of the TOML subset parser (installer/util/util-toml.c). */
#include "util/util-toml.h"

#include "test-support.h"

#include <string.h>

static BerthToml *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  BerthToml *doc = berth_toml_parse ("t.toml", text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  return doc;
}

static void
test_everything_supported (void)
{
  const char *text
    = "# a comment\n"
      "title = \"berth\" # trailing comment\n"
      "'literal key' = 'C:\\no\\escapes'\n"
      "\"quoted.key\" = \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600 \\b\\f\\r\\n\"\n"
      "dotted . key.deep = true\n"
      "dotted.other = false\n"
      "ints = 0\n"
      "neg = -17\n"
      "pos = +1_000\n"
      "hex = 0xDEAD_beef\n"
      "oct = 0o755\n"
      "bin = 0b1010\n"
      "empty = []\n"
      "\n"
      "[install]\n"
      "kargs = [\n"
      "  \"console=ttyS0\", # first\n"
      "  # a comment line inside the array\n"
      "  'nosmt',\n"
      "]\n"
      "[install.filesystem.root]\n"
      "type = \"xfs\"\n"
      "[ \"a b\" . c ]\n"
      "x = 1\n";
  g_autoptr (BerthToml) doc = parse_ok (text);
  const BerthTomlValue *root = berth_toml_get_root (doc);
  g_assert_cmpstr (berth_toml_get_filename (doc), ==, "t.toml");
  g_assert_cmpint (berth_toml_value_get_type (root), ==, BERTH_TOML_TABLE);
  g_assert_cmpuint (berth_toml_value_get_line (root), ==, 0);

  const BerthTomlValue *v = berth_toml_table_lookup (root, "title");
  g_assert_cmpstr (berth_toml_value_get_string (v), ==, "berth");
  g_assert_cmpuint (berth_toml_value_get_line (v), ==, 2);
  v = berth_toml_table_lookup (root, "literal key");
  g_assert_cmpstr (berth_toml_value_get_string (v), ==, "C:\\no\\escapes");
  v = berth_toml_table_lookup (root, "quoted.key");
  g_assert_cmpstr (berth_toml_value_get_string (v), ==,
                   "tab\there \"q\" \\ \xc3\xa9 \xf0\x9f\x98\x80 \b\f\r\n");
  g_assert_true (
    berth_toml_value_get_bool (berth_toml_lookup (root, "dotted", "key", "deep", NULL)));
  g_assert_false (berth_toml_value_get_bool (berth_toml_lookup (root, "dotted", "other", NULL)));
  g_assert_cmpint (berth_toml_value_get_int (berth_toml_table_lookup (root, "ints")), ==, 0);
  g_assert_cmpint (berth_toml_value_get_int (berth_toml_table_lookup (root, "neg")), ==, -17);
  g_assert_cmpint (berth_toml_value_get_int (berth_toml_table_lookup (root, "pos")), ==, 1000);
  g_assert_cmpint (berth_toml_value_get_int (berth_toml_table_lookup (root, "hex")), ==,
                   0xDEADBEEF);
  g_assert_cmpint (berth_toml_value_get_int (berth_toml_table_lookup (root, "oct")), ==, 0755);
  g_assert_cmpint (berth_toml_value_get_int (berth_toml_table_lookup (root, "bin")), ==, 10);
  guint n = 99;
  v = berth_toml_table_lookup (root, "empty");
  g_assert_cmpint (berth_toml_value_get_type (v), ==, BERTH_TOML_STRING_ARRAY);
  g_assert_null (berth_toml_value_get_strv (v, &n)[0]);
  g_assert_cmpuint (n, ==, 0);

  v = berth_toml_lookup (root, "install", "kargs", NULL);
  const char *const *items = berth_toml_value_get_strv (v, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (items[0], ==, "console=ttyS0");
  g_assert_cmpstr (items[1], ==, "nosmt");
  g_assert_null (items[2]);
  g_assert_cmpuint (berth_toml_value_get_line (v), ==, 16);
  g_assert_cmpuint (berth_toml_value_get_element_line (v, 0), ==, 17);
  g_assert_cmpuint (berth_toml_value_get_element_line (v, 1), ==, 19);
  v = berth_toml_lookup (root, "install", "filesystem", "root", "type", NULL);
  g_assert_cmpstr (berth_toml_value_get_string (v), ==, "xfs");
  g_assert_cmpuint (berth_toml_value_get_line (berth_toml_lookup (root, "install", NULL)), ==, 15);
  g_assert_cmpuint (
    berth_toml_value_get_line (berth_toml_lookup (root, "install", "filesystem", "root", NULL)), ==,
    21);
  g_assert_cmpint (berth_toml_value_get_int (berth_toml_lookup (root, "a b", "c", "x", NULL)), ==,
                   1);

  /* Document order. */
  const char *order[] = { "title", "literal key", "quoted.key", "dotted", "ints",    "neg", "pos",
                          "hex",   "oct",         "bin",        "empty",  "install", "a b" };
  g_assert_cmpuint (berth_toml_table_get_size (root), ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      const char *key = NULL;
      berth_toml_table_get_nth (root, i, &key);
      g_assert_cmpstr (key, ==, order[i]);
    }

  /* Misses. */
  g_assert_null (berth_toml_table_lookup (root, "nope"));
  g_assert_null (berth_toml_lookup (root, "title", "x", NULL));
  g_assert_null (berth_toml_lookup (root, "install", "nope", "deeper", NULL));
}

static void
test_table_rules_valid (void)
{
  /* A parent named by a header may be defined later, once (spec example). */
  g_autoptr (BerthToml) a = parse_ok ("[x.y.z]\nw = 1\n[x]\nv = 2\n");
  g_assert_cmpint (
    berth_toml_value_get_int (berth_toml_lookup (berth_toml_get_root (a), "x", "v", NULL)), ==, 2);
  /* Headers may add sub-tables to a table made by dotted keys ([fruit.apple.texture]). */
  g_autoptr (BerthToml) b = parse_ok ("[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\n"
                                      "smooth = true\n");
  g_assert_true (berth_toml_value_get_bool (
    berth_toml_lookup (berth_toml_get_root (b), "fruit", "apple", "texture", "smooth", NULL)));
  /* Dotted keys may keep adding to their own tables. */
  g_autoptr (BerthToml) c = parse_ok ("a.b = 1\na.c = 2\na.d.e = 3\n");
  g_assert_cmpuint (
    berth_toml_table_get_size (berth_toml_lookup (berth_toml_get_root (c), "a", NULL)), ==, 3);
  /* An empty quoted key, CRLF line ends, a byte order mark, no final newline. */
  g_autoptr (BerthToml) d = parse_ok ("\xEF\xBB\xBF\"\" = 1\r\nb = 'x'");
  g_assert_cmpint (berth_toml_value_get_int (berth_toml_table_lookup (berth_toml_get_root (d), "")),
                   ==, 1);
  g_assert_cmpuint (
    berth_toml_value_get_line (berth_toml_table_lookup (berth_toml_get_root (d), "b")), ==, 2);
  /* Integer limits. */
  g_autoptr (BerthToml) e = parse_ok ("max = 9_223_372_036_854_775_807\n"
                                      "min = -9223372036854775808\nz = -0\n");
  g_assert_cmpint (
    berth_toml_value_get_int (berth_toml_table_lookup (berth_toml_get_root (e), "max")), ==,
    G_MAXINT64);
  g_assert_cmpint (
    berth_toml_value_get_int (berth_toml_table_lookup (berth_toml_get_root (e), "min")), ==,
    G_MININT64);
  /* Empty document, and only comments. */
  g_autoptr (BerthToml) f = parse_ok ("");
  g_assert_cmpuint (berth_toml_table_get_size (berth_toml_get_root (f)), ==, 0);
  g_autoptr (BerthToml) g = parse_ok ("# nothing\n\n   # at all\n");
  g_assert_cmpuint (berth_toml_table_get_size (berth_toml_get_root (g)), ==, 0);
}

typedef struct
{
  const char *input;
  const char *message; /* the whole error message, file "t.toml" */
} ErrorCase;

static const ErrorCase error_cases[] = {
  /* What the subset leaves out: a clear error, never a misreading. */
  { "a = 1.5\n", "t.toml:1: floating-point numbers are not supported ('1.5')" },
  { "a = 1e3\n", "t.toml:1: floating-point numbers are not supported ('1e3')" },
  { "a = -inf\n", "t.toml:1: floating-point numbers are not supported ('-inf')" },
  { "a = nan\n", "t.toml:1: floating-point numbers are not supported ('nan')" },
  { "\na = 1979-05-27\n", "t.toml:2: dates and times are not supported ('1979-05-27')" },
  { "a = 1979-05-27T07:32:00Z\n",
    "t.toml:1: dates and times are not supported ('1979-05-27T07:32:00Z')" },
  { "a = 07:32:00\n", "t.toml:1: dates and times are not supported ('07:32:00')" },
  { "a = { b = 1 }\n", "t.toml:1: inline tables ({ ... }) are not supported" },
  { "[[a]]\n", "t.toml:1: arrays of tables ([[...]]) are not supported" },
  { "a = \"\"\"x\"\"\"\n", "t.toml:1: multi-line strings (\"\"\") are not supported" },
  { "a = '''x'''\n", "t.toml:1: multi-line literal strings (''') are not supported" },
  { "a = [1, 2]\n", "t.toml:1: only strings are supported in arrays, found '1'" },
  { "a = [\"x\",\n true]\n", "t.toml:2: only strings are supported in arrays, found 'true'" },
  { "a = [[\"x\"]]\n", "t.toml:1: nested arrays are not supported (only arrays of strings)" },
  { "a = [{}]\n", "t.toml:1: inline tables ({ ... }) are not supported" },
  /* TOML's own rules. */
  { "a = 1\na = 2\n", "t.toml:2: duplicate key 'a' (first defined on line 1)" },
  { "a.b = 1\na.b = 2\n", "t.toml:2: duplicate key 'a.b' (first defined on line 1)" },
  { "[a]\nb = 1\n[a]\n", "t.toml:3: table [a] is defined twice (first on line 1)" },
  { "a.b = 1\n[a]\n", "t.toml:2: table [a] was already defined with dotted keys on line 1" },
  { "[x]\na.b = 1\n[x.a]\n",
    "t.toml:3: table [x.a] was already defined with dotted keys on line 2" },
  { "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
    "t.toml:4: dotted key 'b.c.t' cannot add to table 'b', which is defined by a [table] header "
    "(line 1)" },
  { "a = 1\n[a]\n", "t.toml:2: key 'a' is already defined as an integer on line 1, not a table" },
  { "a = 1\na.b = 2\n",
    "t.toml:2: key 'a' is already defined as an integer on line 1, not a table" },
  { "a = \"x\n", "t.toml:1: unterminated string (strings end on the line they start on)" },
  { "a = 'x\n", "t.toml:1: unterminated literal string (strings end on the line they start on)" },
  { "a = \"\\x41\"\n", "t.toml:1: invalid escape sequence '\\x' in a string" },
  { "a = \"\\e\"\n", "t.toml:1: invalid escape sequence '\\e' in a string" },
  { "a = \"\\u12\"\n", "t.toml:1: \\u escape needs 4 hexadecimal digits" },
  { "a = \"\\uD800\"\n", "t.toml:1: escape \\uD800 is not a Unicode scalar value" },
  { "a = \"\\U00110000\"\n", "t.toml:1: escape \\U00110000 is not a Unicode scalar value" },
  { "a = \"\\u0000\"\n", "t.toml:1: NUL characters are not supported in strings" },
  { "layout=ostree\n", "t.toml:1: invalid value 'ostree' (strings must be quoted)" },
  { "a = true1\n", "t.toml:1: invalid value 'true1' (strings must be quoted)" },
  { "a = 01\n", "t.toml:1: invalid integer '01': leading zeros are not allowed" },
  { "a = 1__0\n", "t.toml:1: invalid integer '1__0': '_' must be between two digits" },
  { "a = 1_\n", "t.toml:1: invalid integer '1_': '_' must be between two digits" },
  { "a = 0x\n", "t.toml:1: invalid integer '0x'" },
  { "a = 0b12\n", "t.toml:1: invalid integer '0b12': '2' is not a base-2 digit" },
  { "a = +0x10\n",
    "t.toml:1: invalid integer '+0x10': a sign is only allowed on decimal integers" },
  { "a = 9223372036854775808\n", "t.toml:1: integer '9223372036854775808' is out of range" },
  { "a =\n", "t.toml:1: key 'a' has no value" },
  { "a = # nothing\n", "t.toml:1: key 'a' has no value" },
  { "a\n", "t.toml:1: expected '=' after key 'a', found the end of the line" },
  { "a b = 1\n", "t.toml:1: expected '=' after key 'a', found 'b'" },
  { "= 1\n", "t.toml:1: expected a key, found '='" },
  { "a = 1 b = 2\n", "t.toml:1: expected the end of the line after the value of 'a', found 'b'" },
  { "kargs = [\"console=tty0\", \"nosmt\"]\\nfoo=bar",
    "t.toml:1: expected the end of the line after the value of 'kargs', found '\\'" },
  { "[a] b = 1\n", "t.toml:1: expected the end of the line after table header [a], found 'b'" },
  { "[a\n", "t.toml:1: expected ']' to end the table header, found the end of the line" },
  { "[]\n", "t.toml:1: expected a key, found ']'" },
  { "a = [\n\"x\",\n", "t.toml:1: unterminated array (no closing ']')" },
  { "a = [\"x\" \"y\"]\n", "t.toml:1: expected ',' or ']' in the array, found '\"'" },
  { "a = [,]\n", "t.toml:1: expected a value, found ','" },
  { "a = [\"x\",,]\n", "t.toml:1: expected a value, found ','" },
  { "a.\"b\nc\" = 1\n", "t.toml:1: unterminated string (strings end on the line they start on)" },
  { "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.A.B.C.D.E.F.G = 1\n",
    "t.toml:1: key has more than 32 dotted parts" },
  /* Bytes: UTF-8 only, no control characters, CR only before LF. */
  { "a = 1\nb = \"\xff\"\n", "t.toml:2: the file is not valid UTF-8 (TOML files must be)" },
  { "a = \"\x01\"\n", "t.toml:1: control character 0x01 is not allowed in a TOML file" },
  { "# \x7f\n", "t.toml:1: control character 0x7f is not allowed in a TOML file" },
  { "a = 1\rb = 2\n", "t.toml:1: control character 0x0d is not allowed in a TOML file" },
};

static void
test_errors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      const ErrorCase *c = &error_cases[i];
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthToml) doc = berth_toml_parse ("t.toml", c->input, strlen (c->input), &error);
      if (doc != NULL)
        g_error ("case %u (%s): parsed, expected an error", i, c->input);
      g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
      if (g_strcmp0 (error->message, c->message) != 0)
        g_error ("case %u (%s):\n got:      %s\n expected: %s", i, c->input, error->message,
                 c->message);
    }
}

static void
test_embedded_nul_and_no_filename (void)
{
  g_autoptr (GError) error = NULL;
  /* @len counts, not a terminator: a NUL byte is a control character. */
  g_autoptr (BerthToml) doc = berth_toml_parse (NULL, "a = 1\0b", 7, &error);
  g_assert_null (doc);
  g_assert_cmpstr (error->message, ==,
                   "<input>:1: control character 0x00 is not allowed in a TOML file");
  g_clear_error (&error);
  /* And the data need not be NUL-terminated. */
  g_autoptr (BerthToml) doc2 = berth_toml_parse (NULL, "a = 12345", 6, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
    berth_toml_value_get_int (berth_toml_table_lookup (berth_toml_get_root (doc2), "a")), ==, 12);
}

static void
test_check_type (void)
{
  g_autoptr (BerthToml) doc = parse_ok ("\nkargs = \"nosmt\"\nn = 1\n");
  g_autoptr (GError) error = NULL;
  const BerthTomlValue *v = berth_toml_table_lookup (berth_toml_get_root (doc), "kargs");
  g_assert_true (berth_toml_check_type (doc, v, "kargs", BERTH_TOML_STRING, &error));
  g_assert_false (berth_toml_check_type (doc, v, "kargs", BERTH_TOML_STRING_ARRAY, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "t.toml:2: kargs must be an array of strings, not a string");
  g_clear_error (&error);
  v = berth_toml_table_lookup (berth_toml_get_root (doc), "n");
  g_assert_false (berth_toml_check_type (doc, v, "n", BERTH_TOML_BOOL, &error));
  g_assert_cmpstr (error->message, ==, "t.toml:3: n must be a boolean, not an integer");
  g_assert_false (berth_toml_throw_at (NULL, doc, 7, "anything %d", 1));
  g_assert_cmpstr (berth_toml_type_to_string (BERTH_TOML_TABLE), ==, "table");
  g_assert_cmpstr (berth_toml_type_to_string (99), ==, "unknown");
}

/* Every TOML file among the kargs fixtures: the bootc ones parse, the other tools' .conf
 * files are what the README says they are. */
static void
test_fixture_files (void)
{
  const char *good[] = {
    "kargs/kargs.d/bluefin-lts-00-nvidia.toml",
    "kargs/kargs.d/bootc-contrib-10-rootfs-rw.toml",
    "kargs/kargs.d/bootc-contrib-21-console-hvc0.toml",
    "kargs/kargs.d/bootc-docs-00-console.toml",
    "kargs/kargs.d/bootc-docs-10-example.toml",
    "kargs/kargs.d/bootc-docs-50-var-volatile.toml",
    "kargs/kargs.d/bootc-hack-10-test.toml",
    "kargs/kargs.d/bootc-hack-20-console.toml",
    "kargs/kargs.d/bootc-hack-20-test2.toml",
    "kargs/kargs.d-cases/arch-aarch64-only.toml",
    "kargs/kargs.d-cases/arch-unrestricted.toml",
    "kargs/kargs.d-cases/arch-x86_64-and-aarch64.toml",
    "kargs/kargs.d-cases/arch-x86_64-only.toml",
    "kargs/kargs.d-cases/upgrade-v0/05-testkargs.toml",
    "kargs/kargs.d-cases/upgrade-v1/05-testkargs.toml",
    "kargs/kargs.d-cases/dir-example/usr/lib/bootc/kargs.d/01-foo.toml",
    "kargs/kargs.d-cases/dir-example/usr/lib/bootc/kargs.d/02-bar.toml",
    "kargs/install-config/bootc-config-rs-karg-deletes.toml",
    "kargs/install-config/bootc-docs-install-config-example.toml",
    "kargs/install-config/bootc-hack-50-test-kargs.toml",
    "kargs/install-config/fcos-10-boot.toml",
    "kargs/install-config/fcos-10-grub-bls-append.toml",
    "kargs/install-config/fcos-15-ostree.toml",
    /* ostree-prepare-root's config happens to be TOML-compatible. */
    "kargs/install-config/bootc-baseimage-prepare-root.conf",
  };
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      gsize len;
      g_autofree char *data = berth_test_fixture_contents (good[i], &len);
      g_autoptr (GError) error = NULL;
      g_autoptr (BerthToml) doc = berth_toml_parse (good[i], data, len, &error);
      g_assert_no_error (error);
      g_assert_nonnull (doc);
    }

  gsize len;
  g_autofree char *prepare
    = berth_test_fixture_contents ("kargs/install-config/bootc-baseimage-prepare-root.conf", &len);
  g_autoptr (BerthToml) doc = berth_toml_parse ("prepare-root.conf", prepare, len, NULL);
  g_assert_true (berth_toml_value_get_bool (
    berth_toml_lookup (berth_toml_get_root (doc), "composefs", "enabled", NULL)));

  /* kernel-install's install.conf is shell-style key=value: not TOML (a bare word value). */
  g_autofree char *ki = berth_test_fixture_contents (
    "kargs/install-config/bootc-baseimage-kernel-install.conf", &len);
  g_autoptr (GError) error = NULL;
  g_assert_null (berth_toml_parse ("install.conf", ki, len, &error));
  g_assert_cmpstr (error->message, ==,
                   "install.conf:4: invalid value 'ostree' (strings must be quoted)");
  g_clear_error (&error);

  /* The literal backslash-n of bootc's "extra key" test. */
  g_autofree char *bad = berth_test_fixture_contents (
    "kargs/kargs.d-cases/invalid-literal-backslash-n-extra-key.toml", &len);
  g_assert_null (berth_toml_parse ("x.toml", bad, len, &error));
  g_assert_cmpstr (error->message, ==,
                   "x.toml:1: expected the end of the line after the value of 'kargs', found '\\'");
  /* bootc's "missing kargs" case `foo=bar` is not TOML in the first place: bar is unquoted. */
  g_autofree char *missing
    = berth_test_fixture_contents ("kargs/kargs.d-cases/invalid-missing-kargs-key.toml", &len);
  g_clear_error (&error);
  g_assert_null (berth_toml_parse ("m.toml", missing, len, &error));
  g_assert_cmpstr (error->message, ==, "m.toml:1: invalid value 'bar' (strings must be quoted)");
  /* Both files end without a newline: that is fine for TOML. */
  g_autofree char *dir = berth_test_fixture_contents (
    "kargs/kargs.d-cases/dir-example/usr/lib/bootc/kargs.d/somegarbage", &len);
  g_clear_error (&error);
  g_assert_null (berth_toml_parse ("somegarbage", dir, len, &error));
  g_assert_cmpstr (error->message, ==,
                   "somegarbage:1: expected '=' after key 'garbage', found the end of the file");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/toml/everything-supported", test_everything_supported);
  g_test_add_func ("/toml/table-rules-valid", test_table_rules_valid);
  g_test_add_func ("/toml/errors", test_errors);
  g_test_add_func ("/toml/embedded-nul", test_embedded_nul_and_no_filename);
  g_test_add_func ("/toml/check-type", test_check_type);
  g_test_add_func ("/toml/fixture-files", test_fixture_files);
  return g_test_run ();
}
