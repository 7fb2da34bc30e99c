/* The kernel arguments of an installed system's deployments, read and changed offline through
 * libostree (ostree_sysroot_deployment_set_kargs writes a new boot version the atomic way, as
 * `ostree admin kargs edit-in-place` does), so the change survives upgrades. */
#include "deploy.h"
#include "deploy-private.h"

#include <string.h>

static OstreeDeployment *
find_deployment (OstreeSysroot *sysroot, guint index, GError **error)
{
  g_autoptr (GPtrArray) deployments = ostree_sysroot_get_deployments (sysroot);
  if (deployments->len == 0)
    return (berth_throw (error, BERTH_ERROR_NOT_FOUND, "no deployments"), NULL);
  if (index >= deployments->len)
    return (berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                         "there is no deployment %u (there are %u, from 0)", index,
                         deployments->len),
            NULL);
  return g_object_ref (deployments->pdata[index]);
}

static OstreeSysroot *
load_sysroot (const char *path, GError **error)
{
  g_autoptr (GFile) root = g_file_new_for_path (path);
  g_autoptr (OstreeSysroot) sysroot = ostree_sysroot_new (root);
  if (!ostree_sysroot_load (sysroot, NULL, error))
    return (g_prefix_error (error, "Loading the ostree sysroot %s: ", path), NULL);
  return g_steal_pointer (&sysroot);
}

char *
berth_deploy_kargs_without_ostree (const char *options)
{
  g_auto (GStrv) args = g_strsplit (options ? options : "", " ", -1);
  g_autoptr (GString) out = g_string_new (NULL);
  for (char **a = args; *a; a++)
    {
      if (**a == '\0' || g_str_has_prefix (*a, "ostree="))
        continue;
      g_string_append_printf (out, "%s%s", out->len ? " " : "", *a);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
berth_deploy_get_kargs (const char *sysroot_path, guint index, char **out_kargs, GError **error)
{
  g_autoptr (OstreeSysroot) sysroot = load_sysroot (sysroot_path, error);
  if (sysroot == NULL)
    return FALSE;
  g_autoptr (OstreeDeployment) d = find_deployment (sysroot, index, error);
  if (d == NULL)
    return FALSE;
  OstreeBootconfigParser *bc = ostree_deployment_get_bootconfig (d);
  *out_kargs
    = berth_deploy_kargs_without_ostree (bc ? ostree_bootconfig_parser_get (bc, "options") : "");
  return TRUE;
}

gboolean
berth_deploy_set_kargs (const char *sysroot_path, guint index, const char *const *kargs,
                        const char *grub2_exec, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Setting the kernel arguments of deployment %u", index);
  g_autoptr (OstreeSysroot) sysroot = load_sysroot (sysroot_path, error);
  if (sysroot == NULL)
    return FALSE;
  if (!ostree_sysroot_lock (sysroot, error))
    return FALSE;
  g_autoptr (OstreeDeployment) d = find_deployment (sysroot, index, error);
  /* a grub2 sysroot's menu is regenerated with the default deployment's tools, the one ostree
   * would chroot into */
  g_autoptr (OstreeDeployment) first = d != NULL ? find_deployment (sysroot, 0, error) : NULL;
  gboolean ok = first != NULL;
  if (ok)
    {
      g_autofree char *rel = ostree_sysroot_get_deployment_dirpath (sysroot, first);
      g_autofree char *first_path = g_build_filename (sysroot_path, rel, NULL);
      BerthGrub2Env grub2;
      ok = berth_deploy_grub2_env_begin (&grub2, sysroot, first_path, grub2_exec, error)
           && ostree_sysroot_deployment_set_kargs (sysroot, d, (char **)kargs, NULL, error);
      berth_deploy_grub2_env_end (&grub2, ok, error);
    }
  ostree_sysroot_unlock (sysroot);
  return ok;
}
