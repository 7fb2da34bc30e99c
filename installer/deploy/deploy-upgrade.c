/* Upgrades of an installed system, offline: its default deployment read, a new commit deployed
 * after it the way `ostree admin deploy` does (merge deployment, kept kernel arguments and
 * origin, the old default as rollback), and the repository pruned the way bootc prunes it. */
#include "deploy/deploy.h"
#include "deploy-private.h"

void
berth_deploy_system_free (BerthDeploySystem *system)
{
  if (system == NULL)
    return;
  if (system->locked)
    ostree_sysroot_unlock (system->sysroot);
  g_clear_object (&system->deployment);
  g_clear_object (&system->repo);
  g_clear_object (&system->sysroot);
  g_free (system->stateroot);
  g_free (system->commit);
  g_free (system->deployment_path);
  g_free (system->deployment_name);
  g_free (system->origin_imgref);
  g_free (system->manifest_digest);
  g_free (system->kargs);
  g_free (system);
}

BerthDeploySystem *
berth_deploy_system_open (const char *sysroot_path, gboolean writable, GCancellable *cancellable,
                          GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Reading the installed system");
  g_autoptr (BerthDeploySystem) system = g_new0 (BerthDeploySystem, 1);
  g_autoptr (GFile) root = g_file_new_for_path (sysroot_path);
  system->sysroot = ostree_sysroot_new (root);
  /* the lock first, so nothing changes between what is read here and the deploy */
  if (writable)
    {
      if (!ostree_sysroot_lock (system->sysroot, error))
        return NULL;
      system->locked = TRUE;
    }
  if (!ostree_sysroot_load (system->sysroot, cancellable, error))
    return NULL;
  g_autoptr (GPtrArray) deployments = ostree_sysroot_get_deployments (system->sysroot);
  if (deployments->len == 0)
    return (berth_throw (error, BERTH_ERROR_NOT_FOUND,
                         "%s has no ostree deployment: is it an installed system?", sysroot_path),
            NULL);
  system->n_deployments = deployments->len;
  OstreeDeployment *d = deployments->pdata[0];
  system->deployment = g_object_ref (d);
  system->stateroot = g_strdup (ostree_deployment_get_osname (d));
  system->commit = g_strdup (ostree_deployment_get_csum (d));
  g_autofree char *rel = ostree_sysroot_get_deployment_dirpath (system->sysroot, d);
  system->deployment_path = g_build_filename (sysroot_path, rel, NULL);
  system->deployment_name = g_strdup_printf ("%s %s.%d", system->stateroot, system->commit,
                                             ostree_deployment_get_deployserial (d));
  OstreeBootconfigParser *bc = ostree_deployment_get_bootconfig (d);
  system->kargs
    = berth_deploy_kargs_without_ostree (bc ? ostree_bootconfig_parser_get (bc, "options") : "");

  GKeyFile *origin = ostree_deployment_get_origin (d);
  system->origin_imgref
    = origin ? g_key_file_get_string (origin, "origin", "container-image-reference", NULL) : NULL;
  if (system->origin_imgref == NULL)
    {
      g_autofree char *refspec
        = origin ? g_key_file_get_string (origin, "origin", "refspec", NULL) : NULL;
      return (berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                           "The default deployment (%s) follows no container image (its origin "
                           "has no container-image-reference%s%s): `ostree admin upgrade` "
                           "updates it, not berth",
                           system->deployment_name, refspec ? "; it follows ostree ref " : "",
                           refspec ? refspec : ""),
              NULL);
    }
  system->repo = g_object_ref (ostree_sysroot_repo (system->sysroot));
  if (!berth_import_get_manifest_digest (system->repo, system->commit, &system->manifest_digest,
                                         error))
    return NULL;
  return g_steal_pointer (&system);
}

gboolean
berth_deploy_upgrade (BerthDeploySystem *system, const char *commit, const char *grub2_exec,
                      BerthDeployResult **out_result, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (system->locked, FALSE);
  BERTH_AUTO_PREFIX_ERROR (error, "Deploying %s", commit);
  g_autofree char *kver = NULL;
  if (!berth_deploy_check_bootable (system->repo, commit, &kver, cancellable, error))
    return FALSE;

  /* the origin as it is: the system goes on following the same image */
  g_autoptr (GKeyFile) origin = g_key_file_new ();
  {
    gsize len = 0;
    g_autofree char *data
      = g_key_file_to_data (ostree_deployment_get_origin (system->deployment), &len, NULL);
    if (!g_key_file_load_from_data (origin, data, len, G_KEY_FILE_KEEP_COMMENTS, error))
      return FALSE;
  }

  /* No override_kernel_argv: libostree takes the merge deployment's `options` as they are (and
   * puts its own ostree= in), so the kernel arguments are kept byte for byte. */
  OstreeSysrootDeployTreeOpts opts = { 0 };
  g_autoptr (OstreeDeployment) deployment = NULL;
  BerthStderrFilter filter;
  berth_deploy_stderr_filter_start (&filter);
  gboolean deployed = ostree_sysroot_deploy_tree_with_options (
    system->sysroot, system->stateroot, commit, origin, system->deployment, &opts, &deployment,
    cancellable, error);
  if (deployed)
    {
      g_autofree char *new_rel
        = ostree_sysroot_get_deployment_dirpath (system->sysroot, deployment);
      g_autofree char *sysroot_path = g_file_get_path (ostree_sysroot_get_path (system->sysroot));
      g_autofree char *new_path = g_build_filename (sysroot_path, new_rel, NULL);
      BerthGrub2Env grub2;
      deployed = berth_deploy_grub2_env_begin (&grub2, system->sysroot, new_path, grub2_exec, error)
                 /* the new default, the merge deployment kept after it; NO_CLEAN: the cleanup's
                  * prune comes after the blob refs are pruned (berth_deploy_system_prune), and it
                  * would print */
                 && ostree_sysroot_simple_write_deployment (
                   system->sysroot, system->stateroot, deployment, system->deployment,
                   OSTREE_SYSROOT_SIMPLE_WRITE_DEPLOYMENT_FLAGS_NO_CLEAN, cancellable, error);
      berth_deploy_grub2_env_end (&grub2, deployed, error);
    }
  berth_deploy_stderr_filter_stop (&filter);
  if (!deployed)
    {
      /* a checkout that was not written as a deployment (a failure, or an interrupt) is removed
       * now, not left for the next upgrade's cleanup: best effort, without the cancellable,
       * which may be what stopped the deploy */
      g_autoptr (GError) cleanup_error = NULL;
      if (!ostree_sysroot_load (system->sysroot, NULL, &cleanup_error)
          || !ostree_sysroot_prepare_cleanup (system->sysroot, NULL, &cleanup_error))
        g_debug ("Cleaning up after the failed deploy: %s", cleanup_error->message);
      return FALSE;
    }
  /* the deployments and boot versions that are no longer used, and the deployment refs that keep
   * the deployments' commits (not the repository's other objects) */
  if (!ostree_sysroot_prepare_cleanup (system->sysroot, cancellable, error))
    return FALSE;

  g_autoptr (GPtrArray) deployments = ostree_sysroot_get_deployments (system->sysroot);
  if (deployments->len == 0 || !ostree_deployment_equal (deployments->pdata[0], deployment))
    return berth_throw (error, BERTH_ERROR_FAILED, "the new deployment is not the default one");
  g_autofree char *mnt = g_file_get_path (ostree_sysroot_get_path (system->sysroot));
  g_autofree char *rel = ostree_sysroot_get_deployment_dirpath (system->sysroot, deployment);
  /* 2022.7 names entries ostree-<N - index>-<stateroot>.conf: the default one is N */
  g_autofree char *entry_name
    = g_strdup_printf ("ostree-%u-%s.conf", deployments->len, system->stateroot);
  g_autofree char *entry = g_build_filename (mnt, "boot/loader/entries", entry_name, NULL);
  if (!g_file_test (entry, G_FILE_TEST_IS_REGULAR))
    return berth_throw (error, BERTH_ERROR_FAILED, "ostree wrote no BLS entry %s", entry);

  if (out_result != NULL)
    {
      g_autoptr (BerthDeployResult) r = g_new0 (BerthDeployResult, 1);
      r->deployment = g_steal_pointer (&deployment);
      r->deployment_path = g_build_filename (mnt, rel, NULL);
      r->bls_entry_path = g_steal_pointer (&entry);
      r->kver = g_steal_pointer (&kver);
      *out_result = g_steal_pointer (&r);
    }
  return TRUE;
}

void
berth_deploy_prune_result_free (BerthDeployPruneResult *result)
{
  if (result == NULL)
    return;
  g_strfreev (result->layer_refs);
  g_free (result);
}

gboolean
berth_deploy_system_prune (BerthDeploySystem *system, BerthDeployPruneResult **out_result,
                           GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (system->locked, FALSE);
  g_autoptr (BerthDeployPruneResult) r = g_new0 (BerthDeployPruneResult, 1);
  if (!berth_import_prune_layers (system->repo, &r->layer_refs, cancellable, error))
    return FALSE;
  /* what ostree_sysroot_cleanup prunes: objects no ref and no deployment reaches */
  g_autoptr (GHashTable) reachable = ostree_repo_traverse_new_reachable ();
  OstreeRepoPruneOptions opts = { OSTREE_REPO_PRUNE_FLAGS_REFS_ONLY, reachable };
  gint n_total = 0, n_pruned = 0;
  guint64 n_bytes = 0;
  if (!ostree_sysroot_cleanup_prune_repo (system->sysroot, &opts, &n_total, &n_pruned, &n_bytes,
                                          cancellable, error))
    return FALSE;
  r->n_objects = (guint)MAX (n_pruned, 0);
  r->n_bytes = n_bytes;
  if (out_result != NULL)
    *out_result = g_steal_pointer (&r);
  return TRUE;
}
