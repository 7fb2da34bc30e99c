/* berth's entry point: the command table, global options and help. */
#include "cli.h"

#include "boot/boot.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static int cmd_help (const BerthCommand *cmd, int argc, char **argv);
static int cmd_version (const BerthCommand *cmd, int argc, char **argv);

/* Every command berth has. A later issue adds its command here and nowhere else. */
static const BerthCommand commands[] = {
  { "inspect", "IMAGE", "Show an image's manifest, labels and layers as JSON", berth_cmd_inspect },
  { "pull", "IMAGE --repo DIR", "Import an image into an ostree repository", berth_cmd_pull },
  { "install", "IMAGE TARGET", "Install an image onto a disk (or, --via-loopback, a disk image)",
    berth_cmd_install },
  { "kargs", "--sysroot DIR | --disk PATH",
    "Print or change an installed system's kernel arguments", berth_cmd_kargs },
  { "kickstart", "FILE [--check | --disk DEVICE | --via-loopback FILE] [--dry-run]",
    "Install what an Anaconda kickstart file names (ostreecontainer, bootc), or show it",
    berth_cmd_kickstart },
  { "upgrade", "--sysroot DIR | --disk PATH",
    "Upgrade an installed system to the image its deployment follows (offline)",
    berth_cmd_upgrade },
  { "image", "SUBCOMMAND", "Make and move images: copy, encapsulate (an ostree commit as one)",
    berth_cmd_image },
  { "help", "[COMMAND [SUBCOMMAND]]", "Show help for berth or for one command", cmd_help },
  { "version", "", "Show berth's version and the libraries it was built with", cmd_version },
};

static const BerthCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

static void
print_main_help (FILE *out)
{
  fprintf (out, "Usage: berth [--help] [--version] COMMAND [ARGS...]\n\n"
                "Install a container-delivered (bootc-style) operating system onto a disk.\n\n"
                "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'berth help COMMAND' or 'berth COMMAND --help' for a command's options.\n");
}

gboolean
berth_cli_parse (const BerthCommand *cmd, GOptionEntry *entries, int *argc, char ***argv,
                 int *out_exit)
{
  return berth_cli_parse_with (cmd, entries, NULL, argc, argv, out_exit);
}

int
berth_cli_usage (const BerthCommand *cmd, const char *message)
{
  g_printerr ("berth %s: %s\nRun 'berth help %s' for the options.\n", cmd->name, message,
              cmd->name);
  return BERTH_EXIT_USAGE;
}

gboolean
berth_cli_parse_with (const BerthCommand *cmd, GOptionEntry *entries, GOptionEntry *shared_entries,
                      int *argc, char ***argv, int *out_exit)
{
  /* GOption prints "Usage: PRGNAME [OPTION…] PARAMS"; the program name carries the command. */
  g_autoptr (GOptionContext) ctx = g_option_context_new (cmd->params);
  g_autofree char *prgname = g_strdup_printf ("berth %s", cmd->name);
  g_set_prgname (prgname);
  g_option_context_set_summary (ctx, cmd->summary);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, NULL);
  if (shared_entries != NULL)
    g_option_context_add_main_entries (ctx, shared_entries, NULL);

  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("berth %s: %s\nRun 'berth help %s' for the options.\n", cmd->name, error->message,
                  cmd->name);
      *out_exit = BERTH_EXIT_USAGE;
      return FALSE;
    }
  return TRUE;
}

int
berth_cli_fail (const BerthCommand *cmd, const GError *error)
{
  if (cmd != NULL)
    g_printerr ("berth %s: %s\n", cmd->name, error->message);
  else
    g_printerr ("berth: %s\n", error->message);
  return berth_error_code_of (error) == BERTH_ERROR_INVALID_ARGUMENT ? BERTH_EXIT_USAGE
                                                                     : BERTH_EXIT_FAILURE;
}

/* `berth help COMMAND`, and `berth help GROUP SUBCOMMAND` (@sub, else NULL). */
static int
show_command_help (const char *name, const char *sub)
{
  const BerthCommand *target = find_command (name);
  if (target == NULL)
    {
      g_printerr ("berth: unknown command '%s'\nRun 'berth --help' for the list of commands.\n",
                  name);
      return BERTH_EXIT_USAGE;
    }
  if (sub != NULL && target->run != berth_cmd_image)
    {
      g_printerr ("berth help: %s has no subcommands\n", name);
      return BERTH_EXIT_USAGE;
    }
  /* Each command renders its own --help from its option table; a group passes it on. */
  char *argv[] = { (char *)target->name, (char *)(sub ? sub : "--help"), (char *)"--help", NULL };
  return target->run (target, sub ? 3 : 2, argv);
}

static int
cmd_help (const BerthCommand *cmd, int argc, char **argv)
{
  int exit_status;
  if (!berth_cli_parse (cmd, NULL, &argc, &argv, &exit_status))
    return exit_status;
  if (argc > 3)
    {
      g_printerr ("berth help: takes at most one COMMAND (and a group's SUBCOMMAND)\n");
      return BERTH_EXIT_USAGE;
    }
  if (argc >= 2)
    return show_command_help (argv[1], argc == 3 ? argv[2] : NULL);
  print_main_help (stdout);
  return BERTH_EXIT_OK;
}

static void
print_version (void)
{
  printf ("berth %s\n", BERTH_VERSION);
}

static int
cmd_version (const BerthCommand *cmd, int argc, char **argv)
{
  int exit_status;
  if (!berth_cli_parse (cmd, NULL, &argc, &argv, &exit_status))
    return exit_status;
  if (argc > 1)
    {
      g_printerr ("berth version: takes no arguments\n");
      return BERTH_EXIT_USAGE;
    }
  print_version ();
  printf ("glib %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
  return BERTH_EXIT_OK;
}

char *
berth_cli_runner_path (void)
{
  return g_file_read_link ("/proc/self/exe", NULL);
}

int
main (int argc, char **argv)
{
  /* started as the chroot runner (by ostree as OSTREE_GRUB2_EXEC, or by the GRUB backend): the
   * environment says so, and nothing else of berth runs */
  if (berth_boot_runner_requested ())
    return berth_boot_runner_main (argc, argv);

  setlocale (LC_ALL, "");

  if (argc < 2)
    {
      print_main_help (stderr);
      return BERTH_EXIT_USAGE;
    }

  const char *first = argv[1];
  if (g_str_equal (first, "--help") || g_str_equal (first, "-h"))
    {
      print_main_help (stdout);
      return BERTH_EXIT_OK;
    }
  if (g_str_equal (first, "--version"))
    {
      print_version ();
      return BERTH_EXIT_OK;
    }
  if (first[0] == '-')
    {
      g_printerr ("berth: unknown option '%s'\nRun 'berth --help' for usage.\n", first);
      return BERTH_EXIT_USAGE;
    }

  const BerthCommand *cmd = find_command (first);
  if (cmd == NULL)
    {
      g_printerr ("berth: unknown command '%s'\nRun 'berth --help' for the list of commands.\n",
                  first);
      return BERTH_EXIT_USAGE;
    }
  return cmd->run (cmd, argc - 1, argv + 1);
}
