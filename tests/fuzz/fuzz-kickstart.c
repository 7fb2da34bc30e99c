/* Fuzz target: kickstart files (kickstart/), the shlex-like tokenizer, the argparse-like option
 * parser, the sections and the commands. The bytes are one kickstart file, read with unknown
 * commands kept (so more of it gets through to the commands after them). Besides "no crash, no
 * leak", it checks the parser's promises:
 *  - an error names the file and a line ("fuzz.ks:LINE: ..."), or the file alone when
 *    something is missing from all of it;
 *  - every command and section written back (berth_kickstart_elements_to_string) parses again
 *    to the same elements and the same commands, as pykickstart writes them;
 *  - the install check neither crashes nor leaves an error unset when it refuses.
 * %include is read relative to a directory that does not exist, so the target touches no file
 * but what an absolute %include names, and those must be regular files. */
#include "kickstart/kickstart.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          g_printerr ("fuzz-kickstart: check failed: %s (line %d)\n", #cond, __LINE__);            \
          abort ();                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* Kickstarts are a few kilobytes; the checks below parse each input twice. */
#define FUZZ_MAX_INPUT 65536

#define FUZZ_NAME "/nonexistent-berth-fuzz/fuzz.ks"

static const char *const written[] = {
  "ostreecontainer", "bootc",    "ostreesetup", "liveimg", "bootloader", "zerombr", "clearpart",
  "ignoredisk",      "autopart", "reqpart",     "rootpw",  "reboot",     "part",    "user",
  "group",           "sshkey",
};

static void
check_error (const GError *error)
{
  CHECK (error != NULL);
  CHECK (error->domain == BERTH_ERROR);
  CHECK (g_str_has_prefix (error->message, FUZZ_NAME ":"));
  CHECK (strlen (error->message) > strlen (FUZZ_NAME ": "));
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > FUZZ_MAX_INPUT)
    return 0;
  const BerthKickstartFlags flags = BERTH_KICKSTART_IGNORE_UNKNOWN;
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) ks
    = berth_kickstart_parse_data (FUZZ_NAME, (const char *)data, (gssize)size, flags, &error);
  if (ks == NULL)
    {
      check_error (error);
      return 0;
    }
  CHECK (error == NULL);

  /* written back and read again: the same elements, the same commands */
  g_autofree char *once = berth_kickstart_elements_to_string (ks);
  g_autoptr (BerthKickstart) again
    = berth_kickstart_parse_data (FUZZ_NAME, once, -1, flags, &error);
  if (again == NULL)
    {
      g_printerr ("fuzz-kickstart: written back, it does not parse: %s\n%s", error->message, once);
      abort ();
    }
  g_autofree char *twice = berth_kickstart_elements_to_string (again);
  CHECK (strcmp (once, twice) == 0);
  for (gsize i = 0; i < G_N_ELEMENTS (written); i++)
    {
      g_autofree char *a = berth_kickstart_command_to_string (ks, written[i]);
      g_autofree char *b = berth_kickstart_command_to_string (again, written[i]);
      CHECK (a != NULL && b != NULL);
      CHECK (strcmp (a, b) == 0);
    }
  CHECK (ks->scripts->len == again->scripts->len);

  g_autofree char *image = berth_kickstart_get_image (ks);
  CHECK (berth_kickstart_get_stateroot (ks) != NULL);
  if (!berth_kickstart_check_installable (ks, flags, &error))
    check_error (error);
  else
    CHECK (image != NULL);
  return 0;
}
