/* Replays fuzz inputs without libFuzzer (util-linux's habit): each argument is a file, or a
 * directory whose files are all replayed. Built with gcc so every `make check` runs the
 * corpus through the target, under the sanitizers in `make check-asan`. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
replay_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &data, &len, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  LLVMFuzzerTestOneInput ((const uint8_t *)data, len);
  return 0;
}

int
main (int argc, char **argv)
{
  int failures = 0, count = 0;
  for (int i = 1; i < argc; i++)
    {
      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          failures += replay_file (argv[i]);
          count++;
          continue;
        }
      g_autoptr (GDir) dir = g_dir_open (argv[i], 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            {
              failures += replay_file (path);
              count++;
            }
        }
    }
  printf ("replayed %d inputs\n", count);
  return failures == 0 ? 0 : 1;
}
