/* berth kargs: an installed system's kernel arguments, printed or changed offline. */
#include "cli.h"

#include <stdio.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "disk/disk.h"
#include "kargs/kargs.h"

static char *opt_sysroot;
static char *opt_disk;
static int opt_deployment;
static char **opt_append;
static char **opt_append_if_missing;
static char **opt_delete;
static char **opt_replace;

static gboolean
edit (BerthKargs *kargs, GError **error)
{
  const BerthKargsSource cli = { BERTH_KARGS_SOURCE_CLI, NULL, 0 };
  for (char **a = opt_delete; a && *a; a++)
    if (!berth_kargs_delete (kargs, *a, error))
      return FALSE;
  for (char **a = opt_replace; a && *a; a++)
    if (!berth_kargs_replace (kargs, *a, &cli, error))
      return FALSE;
  for (char **a = opt_append; a && *a; a++)
    berth_kargs_append (kargs, *a, &cli);
  for (char **a = opt_append_if_missing; a && *a; a++)
    berth_kargs_append_if_missing (kargs, *a, &cli);
  return TRUE;
}

int
berth_cmd_kargs (const BerthCommand *cmd, int argc, char **argv)
{
  GOptionEntry entries[]
    = { { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &opt_sysroot,
          "An installed system, mounted (root at DIR, its /boot at DIR/boot)", "DIR" },
        { "disk", 0, 0, G_OPTION_ARG_FILENAME, &opt_disk,
          "An installed disk or disk image file: berth attaches and mounts it itself", "PATH" },
        { "deployment", 0, 0, G_OPTION_ARG_INT, &opt_deployment,
          "Which deployment (0, the default, is the one that boots)", "N" },
        { "append", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_append, "Add ARG at the end", "ARG" },
        { "append-if-missing", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_append_if_missing,
          "Add ARG unless its key is there", "ARG" },
        { "delete", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_delete,
          "Remove KEY (or KEY=VALUE when the key repeats)", "ARG" },
        { "replace", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_replace,
          "KEY=NEW, or KEY=OLD=NEW for one of several", "ARG" },
        { NULL } };
  int exit_status;
  if (!berth_cli_parse (cmd, entries, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 1)
    return berth_cli_usage (cmd, "takes no arguments besides its options");
  if ((opt_sysroot == NULL) == (opt_disk == NULL))
    return berth_cli_usage (cmd, "needs exactly one of --sysroot DIR and --disk PATH");
  if (opt_deployment < 0)
    return berth_cli_usage (cmd, "--deployment takes 0 or more");
  gboolean editing = opt_append || opt_append_if_missing || opt_delete || opt_replace;

  g_autoptr (GError) error = NULL;
  g_auto (BerthDiskSession) session = { 0 };
  const char *sysroot = opt_sysroot;
  if (opt_disk != NULL)
    {
      if (geteuid () != 0)
        return berth_cli_usage (cmd, "--disk needs root (it attaches and mounts the disk)");
      if (!berth_disk_session_open (&session, opt_disk, editing, &error))
        return berth_cli_fail (cmd, error);
      sysroot = session.mnt;
    }

  g_autofree char *current = NULL;
  if (!berth_deploy_get_kargs (sysroot, (guint)opt_deployment, &current, &error))
    return berth_cli_fail (cmd, error);
  if (!editing)
    {
      printf ("%s\n", current);
      return BERTH_EXIT_OK;
    }
  g_autoptr (BerthKargs) kargs = berth_kargs_parse (current, NULL);
  if (!edit (kargs, &error))
    return berth_cli_fail (cmd, error);
  g_auto (GStrv) argv_new = berth_kargs_to_strv (kargs);
  g_autofree char *runner = berth_cli_runner_path ();
  if (!berth_deploy_set_kargs (sysroot, (guint)opt_deployment, (const char *const *)argv_new,
                               runner, &error))
    return berth_cli_fail (cmd, error);
  g_autofree char *now = berth_kargs_to_string (kargs);
  printf ("%s\n", now);
  return BERTH_EXIT_OK;
}
