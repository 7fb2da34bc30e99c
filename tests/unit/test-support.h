/* Helpers shared by the unit tests. */
#pragma once

#include <glib.h>

/* The path of a file under shared/fixtures/ (BERTH_FIXTURES, else next to the source tree).
 * Free with g_free. */
static inline char *
berth_test_fixture (const char *relpath)
{
  const char *base = g_getenv ("BERTH_FIXTURES");
  if (base == NULL || *base == '\0')
    base = BERTH_FIXTURES_DEFAULT;
  return g_build_filename (base, relpath, NULL);
}

/* The contents of a fixture file; the test fails when it is missing. */
static inline char *
berth_test_fixture_contents (const char *relpath, gsize *out_len)
{
  g_autofree char *path = berth_test_fixture (relpath);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  if (!g_file_get_contents (path, &data, out_len, &error))
    g_error ("fixture %s: %s", relpath, error->message);
  return data;
}
