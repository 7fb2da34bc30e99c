/* The ostree sysroot on the target: init, stateroot, one deployment, and the files berth adds
 * to it (the stateroot's /var, /etc/fstab, the root SSH drop-in). */
#include "deploy/deploy.h"
#include "deploy-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean
berth_deploy_init_stateroot (OstreeSysroot *sysroot, const char *stateroot,
                             GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Creating the stateroot \"%s\"", stateroot);
  return ostree_sysroot_init_osname (sysroot, stateroot, cancellable, error)
         && ostree_sysroot_load (sysroot, cancellable, error);
}

gboolean
berth_deploy_init_sysroot (const char *mnt, const char *stateroot, OstreeSysroot **out_sysroot,
                           OstreeRepo **out_repo, GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Initializing the ostree sysroot in %s", mnt);
  g_autoptr (GFile) path = g_file_new_for_path (mnt);
  g_autoptr (OstreeSysroot) sysroot = ostree_sysroot_new (path);

  if (!ostree_sysroot_ensure_initialized (sysroot, cancellable, error))
    return FALSE;

  OstreeRepo *repo = NULL;
  if (!ostree_sysroot_get_repo (sysroot, &repo, cancellable, error))
    return FALSE;
  g_autoptr (OstreeRepo) init_repo = repo;
  g_autoptr (GKeyFile) config = ostree_repo_copy_config (init_repo);
  /* Debian's libostree with `auto` finds a grub.cfg and runs grub-mkconfig (DESIGN.md
   * section 5); berth writes the bootloader itself, and the BLS entries are all it needs. */
  g_key_file_set_string (config, "sysroot", "bootloader", "none");
  /* The booted system mounts /sysroot read-only, as bootc installs do. */
  g_key_file_set_boolean (config, "sysroot", "readonly", TRUE);
  if (!ostree_repo_write_config (init_repo, config, error))
    return FALSE;
  if (!ostree_repo_reload_config (init_repo, cancellable, error))
    return FALSE;

  if (!ostree_sysroot_load (sysroot, cancellable, error))
    return FALSE;
  if (stateroot != NULL && !berth_deploy_init_stateroot (sysroot, stateroot, cancellable, error))
    return FALSE;

  /* the loaded sysroot's own repo object, which has read the new config */
  OstreeRepo *loaded = ostree_sysroot_repo (sysroot);
  if (out_repo != NULL)
    *out_repo = g_object_ref (loaded);
  *out_sysroot = g_steal_pointer (&sysroot);
  return TRUE;
}

gboolean
berth_deploy_check_bootable (OstreeRepo *repo, const char *commit, char **out_kver,
                             GCancellable *cancellable, GError **error)
{
  g_auto (GStrv) kvers = NULL;
  g_autoptr (GError) local_error = NULL;
  if (!berth_import_list_dir (repo, commit, "usr/lib/modules", &kvers, cancellable, &local_error))
    {
      if (!g_error_matches (local_error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                          "The image is not bootable: it has no /usr/lib/modules (a bootable "
                          "image has /usr/lib/modules/KVER/vmlinuz and initramfs.img)");
    }

  g_autoptr (GFile) root = NULL;
  if (!ostree_repo_read_commit (repo, commit, &root, NULL, cancellable, error))
    return FALSE;

  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  for (char **k = kvers; *k != NULL; k++)
    {
      g_autofree char *kernel = g_build_filename ("usr/lib/modules", *k, "vmlinuz", NULL);
      g_autofree char *initrd = g_build_filename ("usr/lib/modules", *k, "initramfs.img", NULL);
      g_autoptr (GFile) kf = g_file_resolve_relative_path (root, kernel);
      g_autoptr (GFile) inf = g_file_resolve_relative_path (root, initrd);
      gboolean has_kernel
        = g_file_query_file_type (kf, G_FILE_QUERY_INFO_NONE, cancellable) == G_FILE_TYPE_REGULAR;
      gboolean has_initrd
        = g_file_query_file_type (inf, G_FILE_QUERY_INFO_NONE, cancellable) == G_FILE_TYPE_REGULAR;
      if (has_kernel && !has_initrd)
        return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                            "The image is not bootable: /usr/lib/modules/%s/vmlinuz has no "
                            "initramfs.img beside it (build one with dracut and its ostree "
                            "module)",
                            *k);
      if (has_kernel)
        g_ptr_array_add (found, g_strdup (*k));
    }

  if (found->len == 0)
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "The image is not bootable: no /usr/lib/modules/KVER/vmlinuz");
  /* ostree 2022.7 takes the first kernel it finds; two would make that a guess */
  if (found->len > 1)
    return berth_throw (error, BERTH_ERROR_UNSUPPORTED_IMAGE,
                        "The image has %u kernels in /usr/lib/modules; expected one", found->len);
  if (out_kver != NULL)
    *out_kver = g_strdup (found->pdata[0]);
  return TRUE;
}

void
berth_deploy_result_free (BerthDeployResult *result)
{
  if (result == NULL)
    return;
  g_clear_object (&result->deployment);
  g_free (result->deployment_path);
  g_free (result->bls_entry_path);
  g_free (result->kver);
  g_free (result->remote_config);
  g_free (result);
}

char *
berth_deploy_ssh_tmpfiles (const char *authorized_keys)
{
  g_autofree char *b64
    = g_base64_encode ((const guchar *)authorized_keys, strlen (authorized_keys));
  /* tmpfiles.d(5): `d` makes /root/.ssh 0700 before `f` would make it 0755; `f~` writes the
   * base64-decoded argument only when the file does not exist, so a key the user added later
   * is never replaced (bootc's line, systemd.io/CREDENTIALS' example). */
  return g_strdup_printf ("d /root/.ssh 0700 root root -\n"
                          "f~ /root/.ssh/authorized_keys 600 root root - %s\n",
                          b64);
}

/* The commit's var/ into the stateroot's var/, which is what the deployed system mounts at
 * /var. Copies (force_copy): a hardlink to a repo object would let the running system change
 * the object through /var. Owner, mode and xattrs come with the bare repo's objects. */
static gboolean
seed_var (OstreeRepo *repo, const char *commit, const char *stateroot_var,
          GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Seeding %s from the image's /var", stateroot_var);
  g_autoptr (GFile) root = NULL;
  if (!ostree_repo_read_commit (repo, commit, &root, NULL, cancellable, error))
    return FALSE;
  g_autoptr (GFile) var = g_file_get_child (root, "var");
  if (g_file_query_file_type (var, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable)
      != G_FILE_TYPE_DIRECTORY)
    return TRUE; /* nothing to seed */

  OstreeRepoCheckoutAtOptions opts = { 0 };
  opts.mode = OSTREE_REPO_CHECKOUT_MODE_NONE;
  /* init_osname made var/ (and 2022.7 some of its children): merge into them */
  opts.overwrite_mode = OSTREE_REPO_CHECKOUT_OVERWRITE_UNION_FILES;
  opts.force_copy = TRUE;
  opts.subpath = "/var";
  return ostree_repo_checkout_at (repo, &opts, AT_FDCWD, stateroot_var, commit, cancellable, error);
}

/* Appends @line to @path (created 0644 when missing), on a line of its own. */
static gboolean
append_line (const char *path, const char *line, GError **error)
{
  g_autofree char *old = NULL;
  gsize len = 0;
  g_autoptr (GError) local_error = NULL;
  if (!g_file_get_contents (path, &old, &len, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  g_autoptr (GString) s = g_string_new_len (old, old != NULL ? (gssize)len : 0);
  if (s->len > 0 && s->str[s->len - 1] != '\n')
    g_string_append_c (s, '\n');
  g_string_append (s, line);
  g_string_append_c (s, '\n');
  return g_file_set_contents_full (path, s->str, (gssize)s->len, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0644, error);
}

static gboolean
write_ssh_dropin (const char *deployment_path, const char *keys, GError **error)
{
  g_autofree char *dir = g_build_filename (deployment_path, "etc/tmpfiles.d", NULL);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return berth_throw_errno (error, dir);
  g_autofree char *path = g_build_filename (dir, BERTH_DEPLOY_SSH_TMPFILES_NAME, NULL);
  g_autofree char *content = berth_deploy_ssh_tmpfiles (keys);
  return g_file_set_contents_full (path, content, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

char *
berth_deploy_remote_key_path (const char *name)
{
  return g_strdup_printf ("%s/%s.gpg", BERTH_DEPLOY_REMOTE_KEY_DIR, name);
}

char *
berth_deploy_remote_config_path (const char *name)
{
  return g_strdup_printf ("%s/%s.conf", BERTH_OSTREE_REMOTES_D, name);
}

/* The file of the deployment's /etc/ostree/remotes.d that defines remote @name (the image
 * brought it), as the installed system names it; NULL when none does. A file libostree could
 * not read is skipped here: it would fail on the installed system whatever berth does. */
static char *
image_remote_file (const char *deployment_path, const char *name)
{
  g_autofree char *dir = g_build_filename (deployment_path, BERTH_OSTREE_REMOTES_D, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *group = berth_ostree_remote_group (name);
  const char *entry;
  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    {
      if (!g_str_has_suffix (entry, ".conf"))
        continue;
      g_autofree char *path = g_build_filename (dir, entry, NULL);
      g_autoptr (GKeyFile) kf = g_key_file_new ();
      g_autoptr (GError) local = NULL;
      if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local))
        {
          g_debug ("%s: %s", path, local->message);
          continue;
        }
      if (g_key_file_has_group (kf, group))
        return g_build_filename (BERTH_OSTREE_REMOTES_D, entry, NULL);
    }
  return NULL;
}

/* The remote the image was verified with, kept by the installed system (see
 * berth_deploy_image()): out of the repo's config, into the deployment's /etc. */
static gboolean
keep_remote (OstreeSysroot *sysroot, const char *deployment_path, const BerthOstreeRemote *remote,
             BerthDeployResult *result, GCancellable *cancellable, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Keeping ostree remote \"%s\" on the installed system",
                           remote->name);
  OstreeRepo *repo = ostree_sysroot_repo (sysroot);

  /* out of the repo's config; not ostree_repo_remote_delete, which removes the keyring too */
  g_autoptr (GKeyFile) config = ostree_repo_copy_config (repo);
  g_autofree char *group = berth_ostree_remote_group (remote->name);
  if (g_key_file_remove_group (config, group, NULL)
      && (!ostree_repo_write_config (repo, config, error)
          || !ostree_repo_reload_config (repo, cancellable, error)))
    return FALSE;

  result->remote_config = image_remote_file (deployment_path, remote->name);
  if (result->remote_config != NULL)
    {
      result->remote_config_from_image = TRUE;
      return TRUE;
    }

  /* the keyring ostree_repo_remote_gpg_import wrote, copied for gpgkeypath */
  g_autofree char *keyring_name = g_strdup_printf ("%s.trustedkeys.gpg", remote->name);
  g_autofree char *keyring = NULL;
  gsize keyring_len = 0;
  {
    g_autofree char *path
      = g_build_filename (g_file_peek_path (ostree_repo_get_path (repo)), keyring_name, NULL);
    if (!g_file_get_contents (path, &keyring, &keyring_len, error))
      return FALSE;
  }
  g_autofree char *key_path = berth_deploy_remote_key_path (remote->name);
  g_autofree char *key_dir = g_build_filename (deployment_path, BERTH_DEPLOY_REMOTE_KEY_DIR, NULL);
  g_autofree char *key_file = g_build_filename (deployment_path, key_path, NULL);
  if (g_mkdir_with_parents (key_dir, 0755) < 0)
    return berth_throw_errno (error, key_dir);
  if (!g_file_set_contents_full (key_file, keyring, (gssize)keyring_len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;

  /* libostree writes SYSROOT/etc/ostree/remotes.d/NAME.conf when given the deployment as the
   * sysroot (a system repo adds remotes to the config directory, core.add-remotes-config-dir) */
  g_autoptr (GVariant) options
    = berth_ostree_remote_options_with (remote, "gpgkeypath", g_variant_new_string (key_path));
  g_autoptr (GFile) deployment = g_file_new_for_path (deployment_path);
  if (!ostree_repo_remote_change (repo, deployment, OSTREE_REPO_REMOTE_CHANGE_ADD, remote->name,
                                  remote->url, options, cancellable, error))
    return FALSE;
  result->remote_config = berth_deploy_remote_config_path (remote->name);
  g_autofree char *written = g_build_filename (deployment_path, result->remote_config, NULL);
  if (!g_file_test (written, G_FILE_TEST_IS_REGULAR))
    return berth_throw (error, BERTH_ERROR_FAILED,
                        "libostree wrote no %s (the remote went elsewhere)", written);
  return TRUE;
}

gboolean
berth_deploy_image (OstreeSysroot *sysroot, const BerthDeployOptions *options,
                    BerthDeployResult **out_result, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (options->stateroot != NULL, FALSE);
  g_return_val_if_fail (options->merge_commit != NULL, FALSE);
  g_return_val_if_fail (options->origin_imgref != NULL, FALSE);
  BERTH_AUTO_PREFIX_ERROR (error, "Deploying %s", options->merge_commit);

  OstreeRepo *repo = ostree_sysroot_repo (sysroot);
  g_autofree char *kver = NULL;
  if (!berth_deploy_check_bootable (repo, options->merge_commit, &kver, cancellable, error))
    return FALSE;

  /* the bootloader's value, before the deploy that writes the first boot configuration */
  if (options->sysroot_bootloader != NULL)
    {
      g_autoptr (GKeyFile) config = ostree_repo_copy_config (repo);
      g_key_file_set_string (config, "sysroot", "bootloader", options->sysroot_bootloader);
      if (!ostree_repo_write_config (repo, config, error)
          || !ostree_repo_reload_config (repo, cancellable, error))
        return FALSE;
    }

  /* DESIGN.md section 3: what bootc and rpm-ostree read to upgrade */
  g_autoptr (GKeyFile) origin = g_key_file_new ();
  g_key_file_set_string (origin, "origin", "container-image-reference", options->origin_imgref);

  /* override_kernel_argv replaces the kargs entirely; NULL would mean "inherit", so an empty
   * list when there are none. */
  g_auto (GStrv) kargs
    = options->kargs != NULL ? g_strdupv ((char **)options->kargs) : g_new0 (char *, 1);
  OstreeSysrootDeployTreeOpts opts = { 0 };
  opts.override_kernel_argv = kargs;
  g_autoptr (OstreeDeployment) deployment = NULL;
  /* the notes come from the deploy and from writing the deployment (its /var check) */
  BerthStderrFilter filter;
  berth_deploy_stderr_filter_start (&filter);
  gboolean deployed = ostree_sysroot_deploy_tree_with_options (
    sysroot, options->stateroot, options->merge_commit, origin,
    /* provided_merge_deployment= */ NULL, &opts, &deployment, cancellable, error);
  g_autoptr (GFile) sysroot_file = g_object_ref (ostree_sysroot_get_path (sysroot));
  g_autofree char *mnt = g_file_get_path (sysroot_file);
  g_autofree char *deployment_path = NULL;
  if (deployed)
    {
      g_autofree char *rel = ostree_sysroot_get_deployment_dirpath (sysroot, deployment);
      deployment_path = g_build_filename (mnt, rel, NULL);
      BerthGrub2Env grub2;
      deployed = berth_deploy_grub2_env_begin (&grub2, sysroot, deployment_path,
                                               options->grub2_exec, error)
                 /* writes the BLS entry and swaps the boot links; the cleanup it runs prunes
                  * only objects no ref reaches (the import's blob and image refs keep the
                  * image) */
                 && ostree_sysroot_simple_write_deployment (
                   sysroot, options->stateroot, deployment,
                   /* merge_deployment= */ NULL, OSTREE_SYSROOT_SIMPLE_WRITE_DEPLOYMENT_FLAGS_NONE,
                   cancellable, error);
      berth_deploy_grub2_env_end (&grub2, deployed, error);
    }
  berth_deploy_stderr_filter_stop (&filter);
  if (!deployed)
    return FALSE;

  g_autofree char *var = g_build_filename (mnt, "ostree/deploy", options->stateroot, "var", NULL);
  if (!seed_var (repo, options->merge_commit, var, cancellable, error))
    return FALSE;

  if (options->boot_mount_spec != NULL)
    {
      g_autofree char *fstab = g_build_filename (deployment_path, "etc/fstab", NULL);
      /* fsck pass 2: checked after the root filesystem (fstab(5)) */
      g_autofree char *line
        = g_strdup_printf ("%s /boot %s defaults 1 2", options->boot_mount_spec,
                           options->boot_fstype != NULL ? options->boot_fstype : "ext4");
      if (!append_line (fstab, line, error))
        return FALSE;
    }

  if (options->root_ssh_authorized_keys != NULL
      && !write_ssh_dropin (deployment_path, options->root_ssh_authorized_keys, error))
    return FALSE;
  if (!berth_deploy_apply_settings (deployment_path, &options->settings, error))
    return FALSE;

  g_autoptr (BerthDeployResult) r = g_new0 (BerthDeployResult, 1);
  if (options->ostree_remote != NULL
      && !keep_remote (sysroot, deployment_path, options->ostree_remote, r, cancellable, error))
    return FALSE;

  /* the deploy synced the filesystems before these files: sync them too (one syncfs, as the
   * import does) so the install can report done without waiting for the unmount */
  {
    berth_autofd fd = open (mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs (fd) < 0)
      return berth_throw_errno (error, mnt);
  }

  /* the only deployment: 2022.7 names entries ostree-<N - index>-<stateroot>.conf */
  g_autofree char *entry_name = g_strdup_printf ("ostree-1-%s.conf", options->stateroot);
  g_autofree char *entry = g_build_filename (mnt, "boot/loader/entries", entry_name, NULL);
  if (!g_file_test (entry, G_FILE_TEST_IS_REGULAR))
    return berth_throw (error, BERTH_ERROR_FAILED, "ostree wrote no BLS entry %s", entry);

  if (out_result != NULL)
    {
      r->deployment = g_steal_pointer (&deployment);
      r->deployment_path = g_steal_pointer (&deployment_path);
      r->bls_entry_path = g_steal_pointer (&entry);
      r->kver = g_steal_pointer (&kver);
      *out_result = g_steal_pointer (&r);
    }
  return TRUE;
}
