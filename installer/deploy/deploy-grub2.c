/* ostree's grub2 integration offline: the environment of the program it runs instead of
 * grub-mkconfig (deploy.h, BERTH_DEPLOY_CHROOT_ENV_SYSROOT). libostree reads OSTREE_GRUB2_EXEC
 * from the process environment, so it is set only around the call that writes the boot
 * configuration, and unset after it. */
#include "deploy-private.h"

#include <string.h>
#include <unistd.h>

/* How much of the program's output goes into an error: grub-mkconfig ends with the cause. */
#define LOG_TAIL_MAX 2048

gboolean
berth_deploy_grub2_env_begin (BerthGrub2Env *env, OstreeSysroot *sysroot,
                              const char *deployment_path, const char *exec, GError **error)
{
  *env = (BerthGrub2Env){ 0 };
  if (exec == NULL)
    return TRUE;
  GKeyFile *config = ostree_repo_get_config (ostree_sysroot_repo (sysroot));
  g_autofree char *bootloader = g_key_file_get_string (config, "sysroot", "bootloader", NULL);
  if (g_strcmp0 (bootloader, "grub2") != 0)
    return TRUE;
  g_autoptr (GError) local_error = NULL;
  int fd = g_file_open_tmp ("berth-grub2-XXXXXX.log", &env->log, &local_error);
  if (fd < 0)
    return berth_throw (error, BERTH_ERROR_FAILED, "%s", local_error->message);
  (void)close (fd);
  g_autofree char *sysroot_path = g_file_get_path (ostree_sysroot_get_path (sysroot));
  g_setenv ("OSTREE_GRUB2_EXEC", exec, TRUE);
  g_setenv (BERTH_DEPLOY_CHROOT_ENV_SYSROOT, sysroot_path, TRUE);
  g_setenv (BERTH_DEPLOY_CHROOT_ENV_DEPLOYMENT, deployment_path, TRUE);
  g_setenv (BERTH_DEPLOY_CHROOT_ENV_LOG, env->log, TRUE);
  env->active = TRUE;
  return TRUE;
}

void
berth_deploy_grub2_env_end (BerthGrub2Env *env, gboolean ok, GError **error)
{
  if (!env->active)
    return;
  g_unsetenv ("OSTREE_GRUB2_EXEC");
  g_unsetenv (BERTH_DEPLOY_CHROOT_ENV_SYSROOT);
  g_unsetenv (BERTH_DEPLOY_CHROOT_ENV_DEPLOYMENT);
  g_unsetenv (BERTH_DEPLOY_CHROOT_ENV_LOG);
  g_autofree char *text = NULL;
  if (!ok && error != NULL && *error != NULL && g_file_get_contents (env->log, &text, NULL, NULL))
    {
      g_strstrip (text);
      size_t len = strlen (text);
      const char *tail = len > LOG_TAIL_MAX ? text + len - LOG_TAIL_MAX : text;
      if (*tail != '\0')
        {
          g_autofree char *msg
            = g_strdup_printf ("%s; grub-mkconfig (berth's runner) said: %s%s", (*error)->message,
                               len > LOG_TAIL_MAX ? "..." : "", tail);
          g_free ((*error)->message);
          (*error)->message = g_steal_pointer (&msg);
        }
    }
  (void)unlink (env->log);
  g_clear_pointer (&env->log, g_free);
  env->active = FALSE;
}
