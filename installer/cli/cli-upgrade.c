/* berth upgrade: an installed system upgraded offline to the image its default deployment
 * follows, as `bootc upgrade` does on the running system. */
#include "cli.h"

#include <stdio.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "disk/disk.h"
#include "import/import-pull.h"

static char *opt_sysroot;
static char *opt_disk;
static gboolean opt_check;

/* "sha256:0123456789ab", for lines a user reads */
static char *
short_digest (const char *digest)
{
  return digest != NULL ? g_strndup (digest, 19) : g_strdup ("(unknown)");
}

/* The reference the system follows, parsed; the error names where it came from. */
static BerthImageRef *
origin_ref (const BerthDeploySystem *system, GError **error)
{
  g_autoptr (GError) local = NULL;
  BerthImageRef *ref = berth_cli_parse_image (system->origin_imgref, &local);
  if (ref == NULL)
    return (berth_throw (error, BERTH_ERROR_FAILED,
                         "The default deployment (%s) follows %s, which berth cannot read: %s",
                         system->deployment_name, system->origin_imgref, local->message),
            NULL);
  return ref;
}

static void
print_no_update (const BerthDeploySystem *system, const char *digest)
{
  g_autofree char *d = short_digest (digest);
  printf ("No update available: the default deployment (%s) already runs %s (%s)\n",
          system->deployment_name, system->origin_imgref, d);
}

/* The keys of the remote, for messages: "1 key from /etc/pki/berth/x.gpg, /ostree/repo/..." */
static char *
describe_remote (const BerthOstreeRemote *remote)
{
  g_autofree char *files = g_strjoinv (", ", remote->key_paths);
  return g_strdup_printf ("ostree remote \"%s\" of %s (%u key%s from %s)", remote->name,
                          remote->config_path, remote->n_keys, remote->n_keys == 1 ? "" : "s",
                          files);
}

/* How far an upgrade got, for what a failure says about the system. */
typedef enum
{
  STAGE_READ,   /* the system, the remote, the image's manifest: nothing written */
  STAGE_PULL,   /* the import's transaction: aborted, no ref written */
  STAGE_DEPLOY, /* the deploy: ostree switches to the new deployment atomically, or not */
  STAGE_PRUNE,  /* the new deployment is the default */
} Stage;

/* What the system boots after a failure in @stage, read again where it may have changed. */
static char *
state_after (Stage stage, const char *sysroot, const BerthDeploySystem *system)
{
  if (stage == STAGE_PRUNE)
    return g_strdup ("the new deployment is the default (the repository was not pruned)");
  if (stage == STAGE_DEPLOY)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (BerthDeploySystem) now = berth_deploy_system_open (sysroot, FALSE, NULL, &local);
      if (now == NULL)
        return g_strdup_printf ("the system could not be read again (%s)", local->message);
      if (!g_str_equal (now->deployment_name, system->deployment_name))
        return g_strdup_printf ("the new deployment %s is the default", now->deployment_name);
    }
  return g_strdup_printf ("nothing was deployed; the default deployment is still %s%s",
                          system->deployment_name,
                          stage == STAGE_PULL ? " (no ref was written for the pull)" : "");
}

static int
upgrade_failed (const BerthCommand *cmd, const GError *error, Stage stage, const char *sysroot,
                const BerthDeploySystem *system)
{
  int signo = berth_cli_caught_signal ();
  g_autofree char *state = system != NULL ? state_after (stage, sysroot, system) : NULL;
  if (signo == 0)
    {
      int status = berth_cli_fail (cmd, error);
      if (state != NULL)
        g_printerr ("berth %s: %s\n", cmd->name, state);
      return status;
    }
  g_printerr ("berth %s: interrupted by %s; %s\n", cmd->name, berth_cli_signal_name (signo),
              state != NULL ? state : "nothing was written");
  return 128 + signo;
}

int
berth_cmd_upgrade (const BerthCommand *cmd, int argc, char **argv)
{
  GOptionEntry entries[]
    = { { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &opt_sysroot,
          "An installed system, mounted (root at DIR, its /boot at DIR/boot)", "DIR" },
        { "disk", 0, 0, G_OPTION_ARG_FILENAME, &opt_disk,
          "An installed disk or disk image file: berth attaches and mounts it itself", "PATH" },
        { "check", 0, 0, G_OPTION_ARG_NONE, &opt_check,
          "Only say whether an update is available (fetches the manifest, writes nothing)", NULL },
        { NULL } };
  int exit_status;
  if (!berth_cli_parse_with (cmd, entries, berth_cli_image_entries, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 1)
    return berth_cli_usage (cmd, "takes no arguments besides its options");
  if ((opt_sysroot == NULL) == (opt_disk == NULL))
    return berth_cli_usage (cmd, "needs exactly one of --sysroot DIR and --disk PATH");
  if (opt_disk != NULL && geteuid () != 0)
    return berth_cli_usage (cmd, "--disk needs root (it attaches and mounts the disk)");

  g_autoptr (GError) error = NULL;
  BerthSourceOptions source_options;
  if (!berth_cli_image_options (&source_options, &error))
    return berth_cli_fail (cmd, error);
  /* An interrupt aborts the pull's transaction (no ref written) or the deploy (ostree's
   * cleanup removes a deployment that was not written). */
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  if (!berth_cli_catch_signals (cancellable, "the upgrade", &error))
    return berth_cli_fail (cmd, error);

  gboolean writable = !opt_check;
  g_auto (BerthDiskSession) session = { 0 };
  const char *sysroot = opt_sysroot;
  if (opt_disk != NULL)
    {
      if (!berth_disk_session_open (&session, opt_disk, writable, &error))
        return berth_cli_fail (cmd, error);
      sysroot = session.mnt;
    }
  g_autoptr (BerthDeploySystem) system
    = berth_deploy_system_open (sysroot, writable, cancellable, &error);
  if (system == NULL)
    return upgrade_failed (cmd, error, STAGE_READ, sysroot, NULL);
  g_autoptr (BerthImageRef) ref = origin_ref (system, &error);
  if (ref == NULL)
    return upgrade_failed (cmd, error, STAGE_READ, sysroot, system);
  /* the image ref the install wrote, updated in place (DESIGN.md section 3) */
  g_autofree char *target = berth_image_ref_to_string (ref);

  /* The installed system's remote, before anything is fetched: its definition in the default
   * deployment's /etc or the repository's config, its keys from there and the repository's
   * keyring, copied into a repository of its own that verifies the pull. The system's config
   * is never written (a second definition of a remote breaks every ostree command there). */
  g_autoptr (BerthOstreeRemote) remote = NULL;
  g_autoptr (BerthOstreeRemoteRepo) verify = NULL;
  if (ref->sigverify == BERTH_SIGVERIFY_REMOTE && !opt_check)
    {
      remote = berth_ostree_remote_load_installed (ref->remote, system->deployment_path,
                                                   system->repo, cancellable, &error);
      if (remote == NULL)
        return upgrade_failed (cmd, error, STAGE_READ, sysroot, system);
      verify = berth_ostree_remote_repo_new (remote, cancellable, &error);
      if (verify == NULL)
        return upgrade_failed (cmd, error, STAGE_READ, sysroot, system);
    }

  g_autoptr (BerthImageSource) src
    = berth_image_source_open (ref, &source_options, cancellable, &error);
  if (src == NULL)
    return upgrade_failed (cmd, error, STAGE_READ, sysroot, system);
  const BerthResolvedImage *image = berth_image_source_get_image (src);
  g_autofree char *new_digest = short_digest (image->manifest_digest);
  g_autofree char *old_digest = short_digest (system->manifest_digest);

  if (g_strcmp0 (image->manifest_digest, system->manifest_digest) == 0)
    {
      print_no_update (system, image->manifest_digest);
      return BERTH_EXIT_OK;
    }
  if (opt_check)
    {
      printf ("Update available: %s is %s now; the default deployment (%s) runs %s\n",
              system->origin_imgref, new_digest, system->deployment_name, old_digest);
      return BERTH_EXIT_OK;
    }

  if (remote != NULL)
    {
      g_autofree char *r = describe_remote (remote);
      g_printerr ("checking the signature with %s\n", r);
    }
  BerthPullOptions pull_options = {
    .target_imgref = target,
    .progress = berth_cli_print_pull_event,
    .progress_data = (gpointer)image->manifest,
    .verify_repo = verify != NULL ? verify->repo : NULL,
  };
  g_autoptr (BerthImportResult) pulled = NULL;
  if (!berth_pull_image (system->repo, src, &pull_options, &pulled, cancellable, &error))
    {
      if (remote != NULL)
        {
          g_autofree char *r = describe_remote (remote);
          g_prefix_error (&error, "Pulling %s, checked with %s: ", system->origin_imgref, r);
        }
      return upgrade_failed (cmd, error, STAGE_PULL, sysroot, system);
    }
  guint n_reused = 0;
  for (guint i = 0; i < pulled->n_layers; i++)
    n_reused += pulled->layer_reused[i] ? 1 : 0;
  if (g_str_equal (pulled->merge_commit, system->commit))
    {
      print_no_update (system, image->manifest_digest);
      return BERTH_EXIT_OK;
    }

  g_autoptr (BerthDeployResult) deployed = NULL;
  g_autofree char *runner = berth_cli_runner_path ();
  if (!berth_deploy_upgrade (system, pulled->merge_commit, runner, &deployed, cancellable, &error))
    return upgrade_failed (cmd, error, STAGE_DEPLOY, sysroot, system);
  /* what the old image left: its layers, then the objects nothing reaches */
  g_autoptr (BerthDeployPruneResult) pruned = NULL;
  g_autoptr (GError) prune_error = NULL;
  if (!berth_deploy_system_prune (system, &pruned, cancellable, &prune_error))
    {
      if (berth_cli_caught_signal () != 0)
        return upgrade_failed (cmd, prune_error, STAGE_PRUNE, sysroot, system);
      g_printerr ("berth %s: warning: the new deployment is written, but pruning the repository "
                  "failed (the next upgrade prunes again): %s\n",
                  cmd->name, prune_error->message);
    }
  g_autoptr (GString) out = g_string_new (NULL);
  g_string_append_printf (out, "Pulled %s (%s): %u layer%s fetched, %u reused\n",
                          system->origin_imgref, new_digest, pulled->n_layers - n_reused,
                          pulled->n_layers - n_reused == 1 ? "" : "s", n_reused);
  if (remote != NULL)
    g_string_append_printf (out, "Signature checked with ostree remote \"%s\" (%s)\n", remote->name,
                            remote->config_path);
  g_string_append_printf (out, "New default deployment: %s %s.%d (kernel %s)\n", system->stateroot,
                          ostree_deployment_get_csum (deployed->deployment),
                          ostree_deployment_get_deployserial (deployed->deployment),
                          deployed->kver);
  g_string_append_printf (out, "Rollback: %s (was the default, %s)\n", system->deployment_name,
                          old_digest);
  g_string_append_printf (out, "Kernel arguments kept: %s\n", system->kargs);
  if (pruned != NULL)
    {
      guint n_refs = g_strv_length (pruned->layer_refs);
      g_autofree char *size = g_format_size (pruned->n_bytes);
      g_string_append_printf (out, "Pruned %u unused layer ref%s, %u objects (%s)\n", n_refs,
                              n_refs == 1 ? "" : "s", pruned->n_objects, size);
    }
  g_string_append (out, "Reboot to boot it.\n");

  /* the sysroot's and the repository's files closed (and its lock released) before the
   * filesystems are unmounted, which would otherwise be busy */
  g_clear_pointer (&system, berth_deploy_system_free);
  if (!berth_disk_session_close (&session, &error))
    {
      fputs (out->str, stdout);
      g_prefix_error (&error, "The new deployment is written, but: ");
      return berth_cli_fail (cmd, error);
    }
  fputs (out->str, stdout);
  return BERTH_EXIT_OK;
}
