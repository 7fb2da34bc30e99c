/* The TOML subset parser (see util-toml.h for what it accepts and refuses).
 *
 * One pass over the bytes with a cursor; no recursion except to free the tree, whose depth is
 * bounded by MAX_KEY_PARTS (a [header] path plus a dotted key below it). Grammar references
 * are to the TOML 1.0.0 specification (https://toml.io/en/v1.0.0).
 */
#include "util-toml.h"

#include <string.h>

/* A key or [header] path of more parts than this is refused. Real files use 3 at most
 * ([install.filesystem.root]); the cap keeps the tree shallow for the recursive free. */
#define MAX_KEY_PARTS 32

/* How a table came to exist, for TOML's rules on defining tables (spec, "Table"). */
typedef enum
{
  TABLE_ROOT,
  TABLE_IMPLICIT, /* a parent named by a [a.b] header: may be defined by its own header once */
  TABLE_HEADER,   /* defined by a [header]: never again */
  TABLE_DOTTED,   /* made by a dotted key a.b = 1: never by a header, only added to by dots */
} TableOrigin;

struct _BerthTomlValue
{
  BerthTomlType type;
  guint line;
  union
  {
    char *string;
    gboolean boolean;
    gint64 integer;
    struct
    {
      GPtrArray *items; /* char *, NULL-terminated */
      GArray *lines;    /* guint per item */
    } array;
    struct
    {
      TableOrigin origin;
      GPtrArray *keys;   /* char *, owned */
      GPtrArray *values; /* BerthTomlValue *, owned */
      GHashTable *index; /* key (borrowed from keys) -> BerthTomlValue * */
    } table;
  };
};

struct _BerthToml
{
  char *filename;
  BerthTomlValue *root;
};

static const char *const type_names[] = {
  [BERTH_TOML_TABLE] = "table",
  [BERTH_TOML_STRING] = "string",
  [BERTH_TOML_STRING_ARRAY] = "array of strings",
  [BERTH_TOML_BOOL] = "boolean",
  [BERTH_TOML_INT] = "integer",
};

const char *
berth_toml_type_to_string (BerthTomlType type)
{
  if ((guint)type >= G_N_ELEMENTS (type_names) || type_names[type] == NULL)
    return "unknown";
  return type_names[type];
}

static const char *
article (BerthTomlType type)
{
  return type == BERTH_TOML_STRING_ARRAY || type == BERTH_TOML_INT ? "an" : "a";
}

static void
value_free (BerthTomlValue *value)
{
  if (value == NULL)
    return;
  switch (value->type)
    {
    case BERTH_TOML_STRING:
      g_free (value->string);
      break;
    case BERTH_TOML_STRING_ARRAY:
      g_ptr_array_unref (value->array.items);
      g_array_unref (value->array.lines);
      break;
    case BERTH_TOML_TABLE:
      g_hash_table_unref (value->table.index);
      g_ptr_array_unref (value->table.values);
      g_ptr_array_unref (value->table.keys);
      break;
    case BERTH_TOML_BOOL:
    case BERTH_TOML_INT:
      break;
    }
  g_free (value);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthTomlValue, value_free)

static BerthTomlValue *
value_new (BerthTomlType type, guint line)
{
  BerthTomlValue *value = g_new0 (BerthTomlValue, 1);
  value->type = type;
  value->line = line;
  return value;
}

static BerthTomlValue *
table_new (TableOrigin origin, guint line)
{
  BerthTomlValue *table = value_new (BERTH_TOML_TABLE, line);
  table->table.origin = origin;
  table->table.keys = g_ptr_array_new_with_free_func (g_free);
  table->table.values = g_ptr_array_new_with_free_func ((GDestroyNotify)value_free);
  table->table.index = g_hash_table_new (g_str_hash, g_str_equal);
  return table;
}

/* Takes @value. */
static void
table_insert (BerthTomlValue *table, const char *key, BerthTomlValue *value)
{
  char *owned = g_strdup (key);
  g_ptr_array_add (table->table.keys, owned);
  g_ptr_array_add (table->table.values, value);
  g_hash_table_insert (table->table.index, owned, value);
}

void
berth_toml_free (BerthToml *doc)
{
  if (doc == NULL)
    return;
  value_free (doc->root);
  g_free (doc->filename);
  g_free (doc);
}

/* ---- the parser ------------------------------------------------------------------------ */

typedef struct
{
  const char *filename;
  const char *p;
  const char *end;
  guint line;
  BerthTomlValue *root;
  BerthTomlValue *current; /* the table key = value lines go into */
  GError **error;
} Parser;

static gboolean throw_line (GError **error, const char *filename, guint line, const char *fmt,
                            va_list args) G_GNUC_PRINTF (4, 0);

static gboolean
throw_line (GError **error, const char *filename, guint line, const char *fmt, va_list args)
{
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  g_set_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT, "%s:%u: %s", filename, line, msg);
  return FALSE;
}

static gboolean fail (Parser *P, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (Parser *P, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  throw_line (P->error, P->filename, P->line, fmt, args);
  va_end (args);
  return FALSE;
}

/* The character at the cursor, printable for a message. */
static char *
describe_here (Parser *P)
{
  if (P->p >= P->end)
    return g_strdup ("the end of the file");
  if (*P->p == '\n' || *P->p == '\r')
    return g_strdup ("the end of the line");
  if ((guchar)*P->p >= 0x80)
    {
      gunichar c = g_utf8_get_char_validated (P->p, P->end - P->p);
      if (c != (gunichar)-1 && c != (gunichar)-2)
        {
          char buf[8] = { 0 };
          g_unichar_to_utf8 (c, buf);
          return g_strdup_printf ("'%s'", buf);
        }
    }
  return g_strdup_printf ("'%c'", *P->p);
}

static gboolean
fail_unexpected (Parser *P, const char *expected)
{
  g_autofree char *here = describe_here (P);
  return fail (P, "expected %s, found %s", expected, here);
}

static void
skip_ws (Parser *P)
{
  while (P->p < P->end && (*P->p == ' ' || *P->p == '\t'))
    P->p++;
}

static gboolean
at_newline (Parser *P)
{
  return P->p < P->end
         && (*P->p == '\n' || (*P->p == '\r' && P->p + 1 < P->end && P->p[1] == '\n'));
}

static void
skip_comment (Parser *P)
{
  if (P->p < P->end && *P->p == '#')
    while (P->p < P->end && *P->p != '\n' && *P->p != '\r')
      P->p++;
}

static void
consume_newline (Parser *P)
{
  g_assert (at_newline (P));
  P->p += (*P->p == '\r') ? 2 : 1;
  P->line++;
}

/* After a statement: spaces, an optional comment, then a newline or the end of the file. */
static gboolean
expect_eol (Parser *P, const char *after)
{
  skip_ws (P);
  skip_comment (P);
  if (P->p >= P->end)
    return TRUE;
  if (at_newline (P))
    {
      consume_newline (P);
      return TRUE;
    }
  g_autofree char *here = describe_here (P);
  return fail (P, "expected the end of the line after %s, found %s", after, here);
}

/* Spaces, comments and newlines, as allowed inside an array. */
static void
skip_ws_comments_newlines (Parser *P)
{
  for (;;)
    {
      skip_ws (P);
      skip_comment (P);
      if (!at_newline (P))
        return;
      consume_newline (P);
    }
}

/* TOML documents are UTF-8 and may hold no control characters but tab (spec, "Spec" and
 * "Comment"); a CR only as part of CRLF. Checked once up front so the rest of the parser can
 * copy bytes freely. */
static gboolean
check_encoding (Parser *P)
{
  /* Control characters first: they are single bytes whatever the encoding, and
   * g_utf8_validate_len() would call a NUL invalid UTF-8. */
  for (const char *q = P->p; q < P->end; q++)
    {
      guchar c = (guchar)*q;
      if (c == '\n')
        P->line++;
      else if (c == '\r' && q + 1 < P->end && q[1] == '\n')
        continue;
      else if ((c < 0x20 && c != '\t') || c == 0x7f)
        return fail (P, "control character 0x%02x is not allowed in a TOML file", c);
    }
  P->line = 1;
  const char *bad = NULL;
  if (!g_utf8_validate_len (P->p, P->end - P->p, &bad))
    {
      for (const char *q = P->p; q < bad; q++)
        if (*q == '\n')
          P->line++;
      return fail (P, "the file is not valid UTF-8 (TOML files must be)");
    }
  return TRUE;
}

static gboolean
is_bare_key_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

static gboolean
parse_hex_escape (Parser *P, int ndigits, GString *out)
{
  gunichar c = 0;
  for (int i = 0; i < ndigits; i++)
    {
      if (P->p >= P->end || !g_ascii_isxdigit (*P->p))
        return fail (P, "\\%c escape needs %d hexadecimal digits", ndigits == 4 ? 'u' : 'U',
                     ndigits);
      c = c * 16 + g_ascii_xdigit_value (*P->p);
      P->p++;
    }
  /* Unicode scalar values only (spec, "String"): no surrogates, nothing past U+10FFFF. */
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    return fail (P, "escape \\%c%0*X is not a Unicode scalar value", ndigits == 4 ? 'u' : 'U',
                 ndigits, c);
  /* berth's strings are C strings: a NUL would silently cut them short. */
  if (c == 0)
    return fail (P, "NUL characters are not supported in strings");
  char buf[8];
  int n = g_unichar_to_utf8 (c, buf);
  g_string_append_len (out, buf, n);
  return TRUE;
}

/* At a '"': a basic string on one line. */
static gboolean
parse_basic_string (Parser *P, char **out)
{
  g_assert (*P->p == '"');
  if (P->end - P->p >= 3 && P->p[1] == '"' && P->p[2] == '"')
    return fail (P, "multi-line strings (\"\"\") are not supported");
  P->p++;
  g_autoptr (GString) s = g_string_new (NULL);
  for (;;)
    {
      if (P->p >= P->end || *P->p == '\n' || *P->p == '\r')
        return fail (P, "unterminated string (strings end on the line they start on)");
      char c = *P->p++;
      if (c == '"')
        break;
      if (c != '\\')
        {
          g_string_append_c (s, c);
          continue;
        }
      if (P->p >= P->end)
        return fail (P, "unterminated string");
      char e = *P->p++;
      switch (e)
        {
        case 'b':
          g_string_append_c (s, '\b');
          break;
        case 't':
          g_string_append_c (s, '\t');
          break;
        case 'n':
          g_string_append_c (s, '\n');
          break;
        case 'f':
          g_string_append_c (s, '\f');
          break;
        case 'r':
          g_string_append_c (s, '\r');
          break;
        case '"':
          g_string_append_c (s, '"');
          break;
        case '\\':
          g_string_append_c (s, '\\');
          break;
        case 'u':
          if (!parse_hex_escape (P, 4, s))
            return FALSE;
          break;
        case 'U':
          if (!parse_hex_escape (P, 8, s))
            return FALSE;
          break;
        default:
          if ((guchar)e < 0x80 && g_ascii_isprint (e))
            return fail (P, "invalid escape sequence '\\%c' in a string", e);
          return fail (P, "invalid escape sequence in a string");
        }
    }
  *out = g_string_free (g_steal_pointer (&s), FALSE);
  return TRUE;
}

/* At a '\'': a literal string on one line, no escapes. */
static gboolean
parse_literal_string (Parser *P, char **out)
{
  g_assert (*P->p == '\'');
  if (P->end - P->p >= 3 && P->p[1] == '\'' && P->p[2] == '\'')
    return fail (P, "multi-line literal strings (''') are not supported");
  const char *start = ++P->p;
  while (P->p < P->end && *P->p != '\'' && *P->p != '\n' && *P->p != '\r')
    P->p++;
  if (P->p >= P->end || *P->p != '\'')
    return fail (P, "unterminated literal string (strings end on the line they start on)");
  *out = g_strndup (start, P->p - start);
  P->p++;
  return TRUE;
}

/* A key: simple keys joined by dots (spec, "Keys"), whitespace allowed around the dots. */
static gboolean
parse_key (Parser *P, GPtrArray *parts)
{
  for (;;)
    {
      skip_ws (P);
      char *part = NULL;
      if (P->p < P->end && *P->p == '"')
        {
          if (!parse_basic_string (P, &part))
            return FALSE;
        }
      else if (P->p < P->end && *P->p == '\'')
        {
          if (!parse_literal_string (P, &part))
            return FALSE;
        }
      else
        {
          const char *start = P->p;
          while (P->p < P->end && is_bare_key_char (*P->p))
            P->p++;
          if (P->p == start)
            return fail_unexpected (P, "a key");
          part = g_strndup (start, P->p - start);
        }
      g_ptr_array_add (parts, part);
      if (parts->len > MAX_KEY_PARTS)
        return fail (P, "key has more than %d dotted parts", MAX_KEY_PARTS);
      skip_ws (P);
      if (P->p < P->end && *P->p == '.')
        {
          P->p++;
          continue;
        }
      return TRUE;
    }
}

static char *
join_key (GPtrArray *parts, guint n)
{
  g_autoptr (GString) s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      const char *part = parts->pdata[i];
      gboolean bare = *part != '\0';
      for (const char *c = part; *c != '\0'; c++)
        if (!is_bare_key_char (*c))
          bare = FALSE;
      if (i > 0)
        g_string_append_c (s, '.');
      if (bare)
        g_string_append (s, part);
      else
        g_string_append_printf (s, "\"%s\"", part);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
is_value_delimiter (char c)
{
  return c == ' ' || c == '\t' || c == ',' || c == ']' || c == '[' || c == '}' || c == '{'
         || c == '#' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '=';
}

static gboolean
looks_like_date_or_time (const char *tok, gsize len)
{
  /* 1979-05-27 (a date, maybe with a time) or 07:32:00 (a local time). */
  if (len >= 5 && g_ascii_isdigit (tok[0]) && g_ascii_isdigit (tok[1]) && g_ascii_isdigit (tok[2])
      && g_ascii_isdigit (tok[3]) && tok[4] == '-')
    return TRUE;
  if (len >= 3 && g_ascii_isdigit (tok[0]) && g_ascii_isdigit (tok[1]) && tok[2] == ':')
    return TRUE;
  return FALSE;
}

/* An integer (spec, "Integer"): decimal with an optional sign and no leading zeros, or 0x, 0o,
 * 0b without a sign; '_' only between two digits. */
static gboolean
parse_integer (Parser *P, const char *tok, gsize len, gint64 *out)
{
  g_autofree char *text = g_strndup (tok, len);
  const char *s = text;
  guint base = 10;
  gboolean negative = FALSE;

  if (*s == '+' || *s == '-')
    {
      negative = *s == '-';
      s++;
    }
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b'))
    {
      if (s != text)
        return fail (P, "invalid integer '%s': a sign is only allowed on decimal integers", text);
      base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
      s += 2;
    }
  else if (s[0] == '0' && s[1] != '\0')
    return fail (P, "invalid integer '%s': leading zeros are not allowed", text);

  g_autoptr (GString) digits = g_string_new (negative ? "-" : NULL);
  gboolean prev_digit = FALSE;
  for (const char *c = s; *c != '\0'; c++)
    {
      if (*c == '_')
        {
          if (!prev_digit || !g_ascii_isxdigit (c[1]))
            return fail (P, "invalid integer '%s': '_' must be between two digits", text);
          prev_digit = FALSE;
          continue;
        }
      int v = g_ascii_xdigit_value (*c);
      if (v < 0)
        return fail (P, "invalid value '%s' (strings must be quoted)", text);
      if ((guint)v >= base)
        return fail (P, "invalid integer '%s': '%c' is not a base-%u digit", text, *c, base);
      g_string_append_c (digits, *c);
      prev_digit = TRUE;
    }
  if (!prev_digit)
    return fail (P, "invalid integer '%s'", text);

  gint64 v = 0;
  if (!g_ascii_string_to_signed (digits->str, base, G_MININT64, G_MAXINT64, &v, NULL))
    return fail (P, "integer '%s' is out of range", text);
  *out = v;
  return TRUE;
}

static gboolean parse_array (Parser *P, BerthTomlValue **out);

/* A value at the cursor. @in_array: only strings are accepted there. */
static gboolean
parse_value (Parser *P, gboolean in_array, BerthTomlValue **out)
{
  if (P->p >= P->end || at_newline (P) || *P->p == '#')
    return fail (P, "expected a value");

  char c = *P->p;
  if (c == '"' || c == '\'')
    {
      g_autoptr (BerthTomlValue) v = value_new (BERTH_TOML_STRING, P->line);
      if (!(c == '"' ? parse_basic_string (P, &v->string) : parse_literal_string (P, &v->string)))
        return FALSE;
      *out = g_steal_pointer (&v);
      return TRUE;
    }
  if (c == '{')
    return fail (P, "inline tables ({ ... }) are not supported");
  if (c == '[')
    {
      if (in_array)
        return fail (P, "nested arrays are not supported (only arrays of strings)");
      return parse_array (P, out);
    }

  const char *tok = P->p;
  while (P->p < P->end && !is_value_delimiter (*P->p))
    P->p++;
  gsize len = P->p - tok;
  if (len == 0)
    return fail_unexpected (P, "a value");
  g_autofree char *text = g_strndup (tok, len);

  if (in_array)
    return fail (P, "only strings are supported in arrays, found '%s'", text);

  if (g_str_equal (text, "true") || g_str_equal (text, "false"))
    {
      BerthTomlValue *v = value_new (BERTH_TOML_BOOL, P->line);
      v->boolean = text[0] == 't';
      *out = v;
      return TRUE;
    }
  if (looks_like_date_or_time (text, len))
    return fail (P, "dates and times are not supported ('%s')", text);

  const char *digits = text + ((text[0] == '+' || text[0] == '-') ? 1 : 0);
  gboolean is_prefixed
    = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o' || digits[1] == 'b');
  if (g_str_equal (digits, "inf") || g_str_equal (digits, "nan")
      || (g_ascii_isdigit (digits[0]) && !is_prefixed
          && (strchr (digits, '.') != NULL || strchr (digits, 'e') != NULL
              || strchr (digits, 'E') != NULL)))
    return fail (P, "floating-point numbers are not supported ('%s')", text);
  if (!g_ascii_isdigit (digits[0]))
    return fail (P, "invalid value '%s' (strings must be quoted)", text);

  gint64 n = 0;
  if (!parse_integer (P, tok, len, &n))
    return FALSE;
  BerthTomlValue *v = value_new (BERTH_TOML_INT, P->line);
  v->integer = n;
  *out = v;
  return TRUE;
}

/* At a '[' in value position: an array of strings, possibly over several lines (spec,
 * "Array": newlines and comments allowed between elements, a trailing comma too). */
static gboolean
parse_array (Parser *P, BerthTomlValue **out)
{
  g_assert (*P->p == '[');
  g_autoptr (BerthTomlValue) v = value_new (BERTH_TOML_STRING_ARRAY, P->line);
  v->array.items = g_ptr_array_new_with_free_func (g_free);
  v->array.lines = g_array_new (FALSE, FALSE, sizeof (guint));
  guint start_line = P->line;
  P->p++;

  for (;;)
    {
      skip_ws_comments_newlines (P);
      if (P->p >= P->end)
        {
          P->line = start_line;
          return fail (P, "unterminated array (no closing ']')");
        }
      if (*P->p == ']')
        break;
      guint line = P->line;
      BerthTomlValue *item = NULL;
      if (!parse_value (P, TRUE, &item))
        return FALSE;
      g_assert (item->type == BERTH_TOML_STRING);
      g_ptr_array_add (v->array.items, g_steal_pointer (&item->string));
      g_array_append_val (v->array.lines, line);
      value_free (item);

      skip_ws_comments_newlines (P);
      if (P->p < P->end && *P->p == ',')
        {
          P->p++;
          continue;
        }
      if (P->p < P->end && *P->p == ']')
        break;
      if (P->p >= P->end)
        {
          P->line = start_line;
          return fail (P, "unterminated array (no closing ']')");
        }
      return fail_unexpected (P, "',' or ']' in the array");
    }
  P->p++; /* ']' */
  g_ptr_array_add (v->array.items, NULL);
  *out = g_steal_pointer (&v);
  return TRUE;
}

/* A [header]: defines the table the following key = value lines go into. */
static gboolean
parse_table_header (Parser *P)
{
  g_assert (*P->p == '[');
  P->p++;
  if (P->p < P->end && *P->p == '[')
    return fail (P, "arrays of tables ([[...]]) are not supported");

  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  if (!parse_key (P, parts))
    return FALSE;
  if (P->p >= P->end || *P->p != ']')
    return fail_unexpected (P, "']' to end the table header");
  P->p++;

  BerthTomlValue *t = P->root;
  for (guint i = 0; i < parts->len; i++)
    {
      gboolean last = i + 1 == parts->len;
      BerthTomlValue *child = g_hash_table_lookup (t->table.index, parts->pdata[i]);
      if (child == NULL)
        {
          child = table_new (last ? TABLE_HEADER : TABLE_IMPLICIT, P->line);
          table_insert (t, parts->pdata[i], child);
        }
      else if (child->type != BERTH_TOML_TABLE)
        {
          g_autofree char *path = join_key (parts, i + 1);
          return fail (P, "key '%s' is already defined as %s %s on line %u, not a table", path,
                       article (child->type), berth_toml_type_to_string (child->type), child->line);
        }
      else if (last)
        {
          g_autofree char *path = join_key (parts, i + 1);
          if (child->table.origin == TABLE_HEADER)
            return fail (P, "table [%s] is defined twice (first on line %u)", path, child->line);
          if (child->table.origin == TABLE_DOTTED)
            return fail (P, "table [%s] was already defined with dotted keys on line %u", path,
                         child->line);
          child->table.origin = TABLE_HEADER;
          child->line = P->line;
        }
      t = child;
    }
  P->current = t;
  g_autofree char *path = join_key (parts, parts->len);
  g_autofree char *what = g_strdup_printf ("table header [%s]", path);
  return expect_eol (P, what);
}

/* key = value, in the current table. */
static gboolean
parse_key_value (Parser *P)
{
  guint line = P->line;
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  if (!parse_key (P, parts))
    return FALSE;
  g_autofree char *path = join_key (parts, parts->len);
  if (P->p >= P->end || *P->p != '=')
    {
      g_autofree char *what = g_strdup_printf ("'=' after key '%s'", path);
      return fail_unexpected (P, what);
    }
  P->p++;
  skip_ws (P);
  if (P->p >= P->end || at_newline (P) || *P->p == '#')
    return fail (P, "key '%s' has no value", path);

  g_autoptr (BerthTomlValue) value = NULL;
  if (!parse_value (P, FALSE, &value))
    return FALSE;
  value->line = line;

  /* Dotted keys make (or add to) tables of their own; they may not reach into a table made
   * by a [header] (spec, "Table": "using dotted keys to redefine tables already defined in
   * [table] form is not allowed"). */
  BerthTomlValue *t = P->current;
  for (guint i = 0; i + 1 < parts->len; i++)
    {
      BerthTomlValue *child = g_hash_table_lookup (t->table.index, parts->pdata[i]);
      if (child == NULL)
        {
          child = table_new (TABLE_DOTTED, line);
          table_insert (t, parts->pdata[i], child);
        }
      else if (child->type != BERTH_TOML_TABLE)
        {
          g_autofree char *prefix = join_key (parts, i + 1);
          return fail (P, "key '%s' is already defined as %s %s on line %u, not a table", prefix,
                       article (child->type), berth_toml_type_to_string (child->type), child->line);
        }
      else if (child->table.origin != TABLE_DOTTED)
        {
          g_autofree char *prefix = join_key (parts, i + 1);
          return fail (P,
                       "dotted key '%s' cannot add to table '%s', which is defined by a "
                       "[table] header (line %u)",
                       path, prefix, child->line);
        }
      t = child;
    }
  const char *last = parts->pdata[parts->len - 1];
  BerthTomlValue *existing = g_hash_table_lookup (t->table.index, last);
  if (existing != NULL)
    return fail (P, "duplicate key '%s' (first defined on line %u)", path, existing->line);
  table_insert (t, last, g_steal_pointer (&value));

  g_autofree char *what = g_strdup_printf ("the value of '%s'", path);
  return expect_eol (P, what);
}

BerthToml *
berth_toml_parse (const char *filename, const char *data, gsize len, GError **error)
{
  g_autoptr (BerthTomlValue) root = table_new (TABLE_ROOT, 0);
  Parser P = {
    .filename = filename != NULL ? filename : "<input>",
    .p = data,
    .end = data + len,
    .line = 1,
    .root = root,
    .current = root,
    .error = error,
  };

  if (!check_encoding (&P))
    return NULL;
  /* A UTF-8 byte order mark is not part of the document. */
  if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    P.p += 3;

  while (P.p < P.end)
    {
      skip_ws (&P);
      skip_comment (&P);
      if (P.p >= P.end)
        break;
      if (at_newline (&P))
        {
          consume_newline (&P);
          continue;
        }
      if (*P.p == '[')
        {
          if (!parse_table_header (&P))
            return NULL;
        }
      else if (!parse_key_value (&P))
        return NULL;
    }

  BerthToml *doc = g_new0 (BerthToml, 1);
  doc->filename = g_strdup (P.filename);
  doc->root = g_steal_pointer (&root);
  return doc;
}

/* ---- the tree -------------------------------------------------------------------------- */

const char *
berth_toml_get_filename (const BerthToml *doc)
{
  return doc->filename;
}

const BerthTomlValue *
berth_toml_get_root (const BerthToml *doc)
{
  return doc->root;
}

BerthTomlType
berth_toml_value_get_type (const BerthTomlValue *value)
{
  return value->type;
}

guint
berth_toml_value_get_line (const BerthTomlValue *value)
{
  return value->line;
}

const char *
berth_toml_value_get_string (const BerthTomlValue *value)
{
  g_return_val_if_fail (value->type == BERTH_TOML_STRING, NULL);
  return value->string;
}

gboolean
berth_toml_value_get_bool (const BerthTomlValue *value)
{
  g_return_val_if_fail (value->type == BERTH_TOML_BOOL, FALSE);
  return value->boolean;
}

gint64
berth_toml_value_get_int (const BerthTomlValue *value)
{
  g_return_val_if_fail (value->type == BERTH_TOML_INT, 0);
  return value->integer;
}

const char *const *
berth_toml_value_get_strv (const BerthTomlValue *value, guint *out_len)
{
  g_return_val_if_fail (value->type == BERTH_TOML_STRING_ARRAY, NULL);
  if (out_len != NULL)
    *out_len = value->array.items->len - 1; /* the NULL terminator */
  return (const char *const *)value->array.items->pdata;
}

guint
berth_toml_value_get_element_line (const BerthTomlValue *value, guint index)
{
  g_return_val_if_fail (value->type == BERTH_TOML_STRING_ARRAY, 0);
  g_return_val_if_fail (index < value->array.lines->len, 0);
  return g_array_index (value->array.lines, guint, index);
}

guint
berth_toml_table_get_size (const BerthTomlValue *table)
{
  g_return_val_if_fail (table->type == BERTH_TOML_TABLE, 0);
  return table->table.keys->len;
}

const BerthTomlValue *
berth_toml_table_get_nth (const BerthTomlValue *table, guint index, const char **out_key)
{
  g_return_val_if_fail (table->type == BERTH_TOML_TABLE, NULL);
  g_return_val_if_fail (index < table->table.keys->len, NULL);
  if (out_key != NULL)
    *out_key = table->table.keys->pdata[index];
  return table->table.values->pdata[index];
}

const BerthTomlValue *
berth_toml_table_lookup (const BerthTomlValue *table, const char *key)
{
  if (table == NULL || table->type != BERTH_TOML_TABLE)
    return NULL;
  return g_hash_table_lookup (table->table.index, key);
}

const BerthTomlValue *
berth_toml_lookup (const BerthTomlValue *table, const char *first_key, ...)
{
  va_list args;
  va_start (args, first_key);
  const BerthTomlValue *v = table;
  for (const char *key = first_key; key != NULL && v != NULL; key = va_arg (args, const char *))
    v = berth_toml_table_lookup (v, key);
  va_end (args);
  return v;
}

gboolean
berth_toml_throw_at (GError **error, const BerthToml *doc, guint line, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  throw_line (error, doc->filename, line, fmt, args);
  va_end (args);
  return FALSE;
}

gboolean
berth_toml_check_type (const BerthToml *doc, const BerthTomlValue *value, const char *what,
                       BerthTomlType type, GError **error)
{
  if (value->type == type)
    return TRUE;
  return berth_toml_throw_at (error, doc, value->line, "%s must be %s %s, not %s %s", what,
                              article (type), berth_toml_type_to_string (type),
                              article (value->type), berth_toml_type_to_string (value->type));
}
