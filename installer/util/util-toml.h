/* A parser for the subset of TOML 1.0 that berth reads: bootc's kargs.d and install
 * configuration files, and (later) containers-registries.conf(5).
 *
 * Debian 12 ships no C TOML library, so this is a small one. It accepts comments, bare and
 * quoted keys, dotted keys, basic strings (escapes \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX) and
 * literal strings, arrays of strings (over several lines, with comments and a trailing comma),
 * booleans, integers (decimal, 0x, 0o, 0b, with '_' separators) and [table] / [dotted.table]
 * headers. Everything else TOML has (floats, dates and times, inline tables, arrays of tables,
 * multi-line strings, arrays of anything but strings) is refused with an error naming the file
 * and line, never misread. TOML's own rules are enforced: UTF-8 only, no control characters,
 * no duplicate keys, no table defined twice, no dotted keys reaching into a [table].
 *
 * The result is a tree owned by a BerthToml document. Every value remembers the line it was
 * defined on, so the code that checks a file's schema can say where the problem is.
 */
#pragma once

#include "util.h"

G_BEGIN_DECLS

typedef enum
{
  BERTH_TOML_TABLE,
  BERTH_TOML_STRING,
  BERTH_TOML_STRING_ARRAY,
  BERTH_TOML_BOOL,
  BERTH_TOML_INT,
} BerthTomlType;

/* "table", "string", "array of strings", "boolean", "integer": for error messages. */
const char *berth_toml_type_to_string (BerthTomlType type);

typedef struct _BerthToml BerthToml;           /* a parsed document */
typedef struct _BerthTomlValue BerthTomlValue; /* a node of its tree, owned by the document */

/* Parses @len bytes of @data (which need not be NUL-terminated). @filename is used only in
 * error messages ("FILE:LINE: what is wrong"); NULL means "<input>". Errors are
 * BERTH_ERROR_INVALID_ARGUMENT. */
BerthToml *berth_toml_parse (const char *filename, const char *data, gsize len, GError **error);
void berth_toml_free (BerthToml *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthToml, berth_toml_free)

const char *berth_toml_get_filename (const BerthToml *doc);
/* The root table. */
const BerthTomlValue *berth_toml_get_root (const BerthToml *doc);

BerthTomlType berth_toml_value_get_type (const BerthTomlValue *value);
/* The line (from 1) of the key = value, or of the [table] header (or of the first key that
 * created the table implicitly); 0 for the root table. */
guint berth_toml_value_get_line (const BerthTomlValue *value);

/* Typed accessors; each must only be called on a value of its type. */
const char *berth_toml_value_get_string (const BerthTomlValue *value);
gboolean berth_toml_value_get_bool (const BerthTomlValue *value);
gint64 berth_toml_value_get_int (const BerthTomlValue *value);
/* NULL-terminated; @out_len (may be NULL) receives the element count. */
const char *const *berth_toml_value_get_strv (const BerthTomlValue *value, guint *out_len);
/* The line element @index of a string array starts on. */
guint berth_toml_value_get_element_line (const BerthTomlValue *value, guint index);

/* Tables keep their keys in document order. */
guint berth_toml_table_get_size (const BerthTomlValue *table);
const BerthTomlValue *berth_toml_table_get_nth (const BerthTomlValue *table, guint index,
                                                const char **out_key);
/* NULL when @table has no @key (or @table is not a table). */
const BerthTomlValue *berth_toml_table_lookup (const BerthTomlValue *table, const char *key);
/* Follows a path of keys: berth_toml_lookup (root, "install", "filesystem", "root", NULL).
 * NULL when any step is missing or not a table. */
const BerthTomlValue *berth_toml_lookup (const BerthTomlValue *table, const char *first_key,
                                         ...) G_GNUC_NULL_TERMINATED;

/* Sets BERTH_ERROR_INVALID_ARGUMENT "FILE:LINE: message" for @doc; returns FALSE. */
gboolean berth_toml_throw_at (GError **error, const BerthToml *doc, guint line, const char *fmt,
                              ...) G_GNUC_PRINTF (4, 5);

/* TRUE when @value has @type; otherwise "FILE:LINE: @what must be a TYPE, not a TYPE". */
gboolean berth_toml_check_type (const BerthToml *doc, const BerthTomlValue *value, const char *what,
                                BerthTomlType type, GError **error);

G_END_DECLS
