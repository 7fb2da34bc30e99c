/* Fuzz target: the TOML subset parser (installer/util/util-toml.c) and the two bootc schemas
 * read through it (kargs.d and install configuration, kargs/kargs-bootc.c). Besides "no crash,
 * no leak", it checks that every parsed string and key is valid UTF-8 without NUL, that lines
 * stay within the document, and that errors are in berth's domain and name the line. */
#include "kargs/kargs.h"
#include "util/util-toml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          g_printerr ("fuzz-toml: check failed: %s (line %d)\n", #cond, __LINE__);                 \
          abort ();                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* Configuration files are small; bootc's are under 1 KiB. */
#define FUZZ_MAX_INPUT (64 * 1024)

static void
walk (const BerthTomlValue *v, guint max_line, guint depth)
{
  CHECK (depth <= 64);
  CHECK (berth_toml_value_get_line (v) <= max_line);
  switch (berth_toml_value_get_type (v))
    {
    case BERTH_TOML_TABLE:
      for (guint i = 0; i < berth_toml_table_get_size (v); i++)
        {
          const char *key = NULL;
          const BerthTomlValue *child = berth_toml_table_get_nth (v, i, &key);
          CHECK (g_utf8_validate (key, -1, NULL));
          CHECK (berth_toml_table_lookup (v, key) == child);
          walk (child, max_line, depth + 1);
        }
      break;
    case BERTH_TOML_STRING:
      CHECK (g_utf8_validate (berth_toml_value_get_string (v), -1, NULL));
      break;
    case BERTH_TOML_STRING_ARRAY:
      {
        guint n = 0;
        const char *const *items = berth_toml_value_get_strv (v, &n);
        CHECK (items[n] == NULL);
        for (guint i = 0; i < n; i++)
          {
            CHECK (g_utf8_validate (items[i], -1, NULL));
            guint line = berth_toml_value_get_element_line (v, i);
            CHECK (line >= berth_toml_value_get_line (v) && line <= max_line);
          }
      }
      break;
    case BERTH_TOML_BOOL:
      (void)berth_toml_value_get_bool (v);
      break;
    case BERTH_TOML_INT:
      (void)berth_toml_value_get_int (v);
      break;
    }
}

static void
check_error (const GError *error)
{
  CHECK (error != NULL);
  CHECK (error->domain == BERTH_ERROR);
  CHECK (error->code == BERTH_ERROR_INVALID_ARGUMENT);
  CHECK (g_str_has_prefix (error->message, "f.toml"));
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > FUZZ_MAX_INPUT)
    return 0;
  const char *text = (const char *)data;
  guint lines = 1;
  for (size_t i = 0; i < size; i++)
    if (text[i] == '\n')
      lines++;

  g_autoptr (GError) error = NULL;
  g_autoptr (BerthToml) doc = berth_toml_parse ("f.toml", text, size, &error);
  if (doc == NULL)
    check_error (error);
  else
    {
      CHECK (error == NULL);
      walk (berth_toml_get_root (doc), lines, 0);
    }
  g_clear_error (&error);

  BerthKargs *kargs = NULL;
  if (berth_kargs_d_parse ("f.toml", text, size, "x86_64", &kargs, &error))
    {
      CHECK (doc != NULL);
      if (kargs != NULL)
        {
          g_autofree char *s = berth_kargs_to_string (kargs);
          CHECK (s != NULL);
          for (guint i = 0; i < berth_kargs_get_length (kargs); i++)
            CHECK (berth_kargs_get (kargs, i)->source.line <= lines);
          berth_kargs_free (kargs);
        }
    }
  else
    check_error (error);
  g_clear_error (&error);

  BerthKargsFile file = { .name = "f.toml", .contents = text, .length = size };
  g_autoptr (BerthKargsInstallConfig) config
    = berth_kargs_install_config_load_files (&file, 1, "x86_64", &error);
  if (config == NULL)
    check_error (error);
  else
    {
      CHECK (doc != NULL);
      BerthKargsInstallOptions options = {
        .root_mount_spec = "UUID=0",
        .install_config = config,
      };
      g_autoptr (BerthKargs) built = berth_kargs_build_install (&options, NULL, &error);
      CHECK (built != NULL);
    }
  return 0;
}
