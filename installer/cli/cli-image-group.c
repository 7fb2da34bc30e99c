/* berth image: a command group. Its first argument names a subcommand from the table below,
 * which then parses the rest as any command does. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int cmd_image_help (const BerthCommand *cmd, int argc, char **argv);

/* Every `berth image` subcommand. A name is "image SUBCOMMAND": that is how its messages and
 * its --help spell it ("berth image copy: ...", "Run 'berth help image copy'"). */
static const BerthCommand image_commands[] = {
  { "image copy", "SRC DEST", "Copy an image between registries, OCI layouts and OCI archives",
    berth_cmd_image_copy },
  { "image encapsulate", "--repo DIR REV DEST",
    "Write an ostree commit as an ostree-format container image", berth_cmd_image_encapsulate },
  /* ---- more `berth image` subcommands go here, above help: a row, its man page
   * man/berth-image-NAME.8.in, and its line in berth.8 (tests/unit/man-pages.sh checks). ---- */
  { "image help", "[SUBCOMMAND]", "Show help for berth image or one of its subcommands",
    cmd_image_help },
};

/* "copy" of "image copy" */
static const char *
short_name (const BerthCommand *sub)
{
  return sub->name + strlen ("image ");
}

static const BerthCommand *
find_subcommand (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (image_commands); i++)
    if (g_str_equal (short_name (&image_commands[i]), name))
      return &image_commands[i];
  return NULL;
}

static void
print_group_help (FILE *out)
{
  fprintf (out, "Usage: berth image SUBCOMMAND [ARGS...]\n\n"
                "Make and move container images: copy them between registries, OCI layouts\n"
                "and OCI archives, write an ostree commit as one.\n\n"
                "Subcommands:\n");
  /* help is not listed: the list is what has a man page of its own (berth-image-NAME(8)). */
  for (gsize i = 0; i < G_N_ELEMENTS (image_commands); i++)
    if (image_commands[i].run != cmd_image_help)
      fprintf (out, "  %-12s %s\n", short_name (&image_commands[i]), image_commands[i].summary);
  fprintf (out, "\nRun 'berth image help SUBCOMMAND' or 'berth image SUBCOMMAND --help' for its "
                "options.\n");
}

static int
unknown_subcommand (const char *name)
{
  g_printerr ("berth image: unknown subcommand '%s'\nRun 'berth image --help' for the list.\n",
              name);
  return BERTH_EXIT_USAGE;
}

static int
cmd_image_help (const BerthCommand *cmd, int argc, char **argv)
{
  int exit_status;
  if (!berth_cli_parse (cmd, NULL, &argc, &argv, &exit_status))
    return exit_status;
  if (argc > 2)
    return berth_cli_usage (cmd, "takes at most one SUBCOMMAND");
  if (argc == 1)
    {
      print_group_help (stdout);
      return BERTH_EXIT_OK;
    }
  const BerthCommand *sub = find_subcommand (argv[1]);
  if (sub == NULL)
    return unknown_subcommand (argv[1]);
  /* Each subcommand renders its own --help from its option table. */
  char *sub_argv[] = { (char *)short_name (sub), (char *)"--help", NULL };
  return sub->run (sub, 2, sub_argv);
}

int
berth_cmd_image (const BerthCommand *cmd, int argc, char **argv)
{
  if (argc < 2)
    {
      print_group_help (stderr);
      return BERTH_EXIT_USAGE;
    }
  const char *first = argv[1];
  if (g_str_equal (first, "--help") || g_str_equal (first, "-h"))
    {
      print_group_help (stdout);
      return BERTH_EXIT_OK;
    }
  if (first[0] == '-')
    {
      g_printerr ("berth image: unknown option '%s' (options follow the subcommand)\n"
                  "Run 'berth image --help' for the subcommands.\n",
                  first);
      return BERTH_EXIT_USAGE;
    }
  const BerthCommand *sub = find_subcommand (first);
  if (sub == NULL)
    return unknown_subcommand (first);
  return sub->run (sub, argc - 1, argv + 1);
}
