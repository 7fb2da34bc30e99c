/* The chroot runner: the image's GRUB tools run inside its deployment, with the devices and the
 * target's /boot they need.
 *
 * Why berth itself, re-executed, and not a helper script in libexec: ostree starts the runner
 * as OSTREE_GRUB2_EXEC (a program path, no arguments), and the GRUB backend starts it for
 * grub-install; one binary serves both, needs nothing installed beside it (an initramfs or a
 * live system that carries only berth works), is found through /proc/self/exe whether berth
 * runs from build/ or /usr/bin, and does the mounts with syscalls instead of a shell. The
 * environment says what to do (deploy.h's BERTH_DEPLOY_CHROOT_ENV_*): berth's main() checks
 * berth_boot_runner_requested() first.
 *
 * Why a chroot at all: offline, ostree 2022.7 chroots into the new deployment without /dev,
 * /proc or /sys and the image's grub-mkconfig fails ("cannot find a device for /", DESIGN.md
 * section 5b); the installing system's GRUB tools, if it had any, would be another version
 * than the image's modules and menu scripts. */
#include "boot/boot-private.h"
#include "deploy/deploy.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean
berth_boot_runner_requested (void)
{
  return g_getenv (BERTH_DEPLOY_CHROOT_ENV_DEPLOYMENT) != NULL;
}

gboolean
berth_boot_chroot_run (const BerthBootInstallOptions *options, const char *const *argv,
                       GCancellable *cancellable, GError **error)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_strv_builder_add_many (b, options->runner, "--", NULL);
  g_strv_builder_addv (b, (const char **)argv);
  g_auto (GStrv) full = g_strv_builder_end (b);
  g_autofree char *sysroot_env
    = g_strdup_printf ("%s=%s", BERTH_DEPLOY_CHROOT_ENV_SYSROOT, options->sysroot);
  g_autofree char *deployment_env
    = g_strdup_printf ("%s=%s", BERTH_DEPLOY_CHROOT_ENV_DEPLOYMENT, options->deployment_root);
  const char *env[] = { sysroot_env, deployment_env, NULL };
  if (!berth_spawn_sync_env ((const char *const *)full, env, NULL, NULL, cancellable, error))
    {
      g_prefix_error (error, "%s (in a chroot of the deployment): ", argv[0]);
      return FALSE;
    }
  return TRUE;
}

/* ---- the runner process ------------------------------------------------------------------- */

static int
fail (const char *what, const char *path)
{
  fprintf (stderr, "berth chroot runner: %s %s: %s\n", what, path ? path : "", g_strerror (errno));
  return 1;
}

static gboolean
is_dir (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

/* @src bind-mounted at @deployment/@rel. */
static gboolean
bind_at (const char *src, const char *deployment, const char *rel, unsigned long flags)
{
  g_autofree char *dest = g_build_filename (deployment, rel, NULL);
  if (mount (src, dest, NULL, MS_BIND | flags, NULL) < 0)
    {
      fail ("bind-mounting at", dest);
      return FALSE;
    }
  return TRUE;
}

static gboolean
fs_at (const char *type, const char *deployment, const char *rel, unsigned long flags,
       const char *data)
{
  g_autofree char *dest = g_build_filename (deployment, rel, NULL);
  if (!is_dir (dest))
    return TRUE; /* a deployment without it needs none */
  if (mount (type, dest, type, flags, data) < 0)
    {
      fail ("mounting a new filesystem at", dest);
      return FALSE;
    }
  return TRUE;
}

/* In a new mount namespace: the deployment a mount point of its own (grub-probe finds the
 * device of / in /proc/self/mountinfo, which shows only mounts below the root), the host's
 * devices, a proc, the host's sysfs (udevadm maps a partition to its disk there), the target's
 * /boot and the sysroot as a booted system has them; then chroot. */
static gboolean
enter (const char *sysroot, const char *deployment)
{
  if (unshare (CLONE_NEWNS) < 0)
    return fail ("unshare", "(CLONE_NEWNS)"), FALSE;
  /* nothing mounted here propagates back to the installing system */
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return fail ("making / private", NULL), FALSE;
  if (mount (deployment, deployment, NULL, MS_BIND, NULL) < 0)
    return fail ("bind-mounting the deployment", deployment), FALSE;
  g_autofree char *boot = g_build_filename (sysroot, "boot", NULL);
  if (!bind_at ("/dev", deployment, "dev", MS_REC)
      || !fs_at ("proc", deployment, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)
      || !bind_at ("/sys", deployment, "sys", MS_REC) || !bind_at (boot, deployment, "boot", 0)
      || !bind_at (sysroot, deployment, "sysroot", 0)
      || !fs_at ("tmpfs", deployment, "tmp", MS_NOSUID | MS_NODEV, "mode=1777")
      || !fs_at ("tmpfs", deployment, "run", MS_NOSUID | MS_NODEV, "mode=755"))
    return FALSE;
  if (chroot (deployment) < 0)
    return fail ("chroot", deployment), FALSE;
  if (chdir ("/") < 0)
    return fail ("chdir", "/"), FALSE;
  return TRUE;
}

/* g_strv_builder_take is GLib 2.80; Debian 12 has 2.74. */
static void
strv_take (GStrvBuilder *b, char *s)
{
  g_strv_builder_add (b, s);
  g_free (s);
}

int
berth_boot_runner_main (int argc, char **argv)
{
  const char *sysroot = g_getenv (BERTH_DEPLOY_CHROOT_ENV_SYSROOT);
  const char *deployment = g_getenv (BERTH_DEPLOY_CHROOT_ENV_DEPLOYMENT);
  const char *log = g_getenv (BERTH_DEPLOY_CHROOT_ENV_LOG);
  /* ostree sends the program's output to /dev/null: the deploy reads the log on failure */
  if (log != NULL)
    {
      int fd = open (log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0)
        {
          (void)dup2 (fd, STDOUT_FILENO);
          (void)dup2 (fd, STDERR_FILENO);
          (void)close (fd);
        }
    }
  if (sysroot == NULL || deployment == NULL)
    {
      fprintf (stderr, "berth chroot runner: %s and %s must both be set\n",
               BERTH_DEPLOY_CHROOT_ENV_SYSROOT, BERTH_DEPLOY_CHROOT_ENV_DEPLOYMENT);
      return 64;
    }

  g_autoptr (GPtrArray) inner = g_ptr_array_new_with_free_func (g_free);
  if (argc == 3 && g_str_equal (argv[1], "-o"))
    {
      /* ostree's grub2 integration: `-o SYSROOT/boot/loader.N/grub.cfg`, the same file as
       * /boot/loader.N/grub.cfg inside */
      g_autofree char *boot = g_build_filename (sysroot, "boot", NULL);
      g_autofree char *out = g_canonicalize_filename (argv[2], NULL);
      g_autofree char *prefix = g_strconcat (boot, "/", NULL);
      if (!g_str_has_prefix (out, prefix))
        {
          fprintf (stderr, "berth chroot runner: %s is not below %s\n", out, boot);
          return 64;
        }
      /* Debian's 05_debian_theme does `cd /boot/grub` under `set -e`: without the directory
       * (the first deploy of an install comes before the GRUB backend writes anything) the
       * whole grub-mkconfig fails */
      g_autofree char *grub_dir = g_build_filename (boot, "grub", NULL);
      if (g_mkdir_with_parents (grub_dir, 0755) < 0)
        return fail ("making", grub_dir);
      g_ptr_array_add (inner, g_strdup ("/usr/sbin/grub-mkconfig"));
      g_ptr_array_add (inner, g_strdup ("-o"));
      g_ptr_array_add (inner, g_strconcat ("/boot/", out + strlen (prefix), NULL));
    }
  else if (argc >= 3 && g_str_equal (argv[1], "--"))
    {
      for (int i = 2; i < argc; i++)
        g_ptr_array_add (inner, g_strdup (argv[i]));
    }
  else
    {
      fprintf (stderr, "berth chroot runner: usage: -o FILE, or -- PROGRAM [ARGS...]\n");
      return 64;
    }
  g_ptr_array_add (inner, NULL);

  if (!enter (sysroot, deployment))
    return 1;

  /* a clean environment: the deployment's tools, nothing of berth's (G_MESSAGES_DEBUG=all
   * makes ostree's grub2-generate print debug lines into the menu it writes) but what ostree
   * passes to 15_ostree */
  g_autoptr (GStrvBuilder) env = g_strv_builder_new ();
  g_strv_builder_add_many (env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "HOME=/root",
                           NULL);
  const char *const keep[] = { "_OSTREE_GRUB2_BOOTVERSION", "_OSTREE_GRUB2_IS_EFI" };
  for (guint i = 0; i < G_N_ELEMENTS (keep); i++)
    {
      const char *v = g_getenv (keep[i]);
      if (v != NULL)
        strv_take (env, g_strdup_printf ("%s=%s", keep[i], v));
    }
  g_auto (GStrv) envp = g_strv_builder_end (env);
  char **args = (char **)inner->pdata;
  execve (args[0], args, envp);
  fail ("running", args[0]);
  return 127;
}
