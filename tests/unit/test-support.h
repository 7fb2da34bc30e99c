/* Helpers shared by the unit tests. */
#pragma once

#include <glib.h>

/* The path of a file under tests/fixtures/ (BERTH_FIXTURES, else in the source tree). Free
 * with g_free. The path itself may be missing (tests of missing files ask for such paths),
 * but the fixtures must be there: without them a test would pass over empty directories, so
 * it aborts instead, loudly. */
static inline char *
berth_test_fixture (const char *relpath)
{
  const char *base = g_getenv ("BERTH_FIXTURES");
  if (base == NULL || *base == '\0')
    base = BERTH_FIXTURES_DEFAULT;
  g_autofree char *sources = g_build_filename (base, "SOURCES.md", NULL);
  if (!g_file_test (sources, G_FILE_TEST_IS_REGULAR))
    g_error ("the test fixtures are missing: no %s (a complete checkout has tests/fixtures/; "
             "or set BERTH_FIXTURES)",
             sources);
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
