/* Tests of the deploy module. The pure parts always run; the deploy itself runs when
 * tests/root/install-deploy-sysroot.sh sets BERTH_TEST_DEPLOY_MNT (a mounted ext4 target with
 * its own /boot filesystem at MNT/boot, as root), BERTH_TEST_DEPLOY_BOOT_UUID and
 * BERTH_TEST_IMAGE (the test images' OCI layout), and skips otherwise: it needs root for the
 * bare repo, and a filesystem of its own because the deploy freezes and thaws /boot's. */
#include "deploy/deploy.h"
#include "import/import-pull.h"
#include "oci/oci-ref.h"
#include "oci/oci-source.h"

#include <crypt.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>

static void
test_ssh_tmpfiles (void)
{
  g_autofree char *s = berth_deploy_ssh_tmpfiles ("ssh-ed25519 AAAA test@example\n");
  g_autofree char *b64 = g_base64_encode ((const guchar *)"ssh-ed25519 AAAA test@example\n", 30);
  g_autofree char *want = g_strdup_printf ("d /root/.ssh 0700 root root -\n"
                                           "f~ /root/.ssh/authorized_keys 600 root root - %s\n",
                                           b64);
  g_assert_cmpstr (s, ==, want);
}

static void
test_kargs_without_ostree (void)
{
  static const struct
  {
    const char *options, *want;
  } cases[] = {
    { "root=UUID=x rw boot=UUID=y berth.test=x ostree=/ostree/boot.1/default/abc/0",
      "root=UUID=x rw boot=UUID=y berth.test=x" },
    { "ostree=/ostree/boot.0/default/abc/0 quiet", "quiet" },
    { "  root=UUID=x   rw  ", "root=UUID=x rw" },
    { "ostree=/ostree/boot.0/default/abc/0", "" },
    { "", "" },
    { NULL, "" },
    /* only the key ostree=, not one that starts like it */
    { "ostree.prepare-root=1 ostree=/x rw", "ostree.prepare-root=1 rw" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = berth_deploy_kargs_without_ostree (cases[i].options);
      g_assert_cmpstr (got, ==, cases[i].want);
    }
}

static void
test_var_note (void)
{
  g_assert_true (berth_deploy_is_var_note (
    "note: Deploying commit 0123abcd which contains content in /var/lib that will be ignored.\n"));
  g_assert_true (berth_deploy_is_var_note (
    "note: Deploying commit 0123abcd which contains content in /var/cache that will be ignored."));
  g_assert_false (berth_deploy_is_var_note ("error: Deploying commit 0123abcd failed\n"));
  g_assert_false (berth_deploy_is_var_note (
    "note: Deploying commit 0123abcd which contains content in /etc that will be ignored.\n"));
  g_assert_false (berth_deploy_is_var_note ("note: Deploying commit 0123abcd in /var/lib\n"));
  g_assert_false (berth_deploy_is_var_note (""));
}

/* ---- the deploy, on a target the shell test prepared ------------------------------------ */

typedef struct
{
  const char *mnt;
  const char *boot_uuid;
  const char *layout;
} Target;

static gboolean
target_get (Target *t)
{
  t->mnt = g_getenv ("BERTH_TEST_DEPLOY_MNT");
  t->boot_uuid = g_getenv ("BERTH_TEST_DEPLOY_BOOT_UUID");
  t->layout = g_getenv ("BERTH_TEST_IMAGE");
  if (t->mnt == NULL || t->boot_uuid == NULL || t->layout == NULL)
    {
      g_test_skip ("needs BERTH_TEST_DEPLOY_MNT, BERTH_TEST_DEPLOY_BOOT_UUID and BERTH_TEST_IMAGE"
                   " (tests/root/install-deploy-sysroot.sh sets them)");
      return FALSE;
    }
  return TRUE;
}

static char *
pull (OstreeRepo *repo, const char *layout, const char *tag)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *input = g_strdup_printf ("oci:%s:%s", layout, tag);
  g_autoptr (BerthImageRef) ref = berth_image_ref_parse (input, NULL, &error);
  g_assert_no_error (error);
  BerthSourceOptions sopts = { 0 };
  g_autoptr (BerthImageSource) src = berth_image_source_open (ref, &sopts, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (BerthImportResult) result = NULL;
  BerthPullOptions popts = { 0 };
  berth_pull_image (repo, src, &popts, &result, NULL, &error);
  g_assert_no_error (error);
  return g_strdup (result->merge_commit);
}

static char *
read_text (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *s = NULL;
  g_file_get_contents (path, &s, NULL, &error);
  g_assert_no_error (error);
  return s;
}

/* The value of BLS key @key in @entry (the last line that has it). */
static char *
bls_get (const char *entry, const char *key)
{
  g_auto (GStrv) lines = g_strsplit (entry, "\n", -1);
  char *value = NULL;
  for (char **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, key) && (*l)[strlen (key)] == ' ')
      {
        g_free (value);
        value = g_strdup (g_strstrip (*l + strlen (key)));
      }
  return value;
}

static void
test_deploy_image (void)
{
  Target t;
  if (!target_get (&t))
    return;
  const char *stateroot = "berthtest";
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  g_autoptr (OstreeSysroot) sysroot = NULL;
  g_autoptr (OstreeRepo) repo = NULL;
  berth_deploy_init_sysroot (t.mnt, stateroot, &sysroot, &repo, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sysroot);
  g_assert_cmpint (ostree_repo_get_mode (repo), ==, OSTREE_REPO_MODE_BARE);
  GKeyFile *config = ostree_repo_get_config (repo);
  g_autofree char *bootloader = g_key_file_get_string (config, "sysroot", "bootloader", NULL);
  g_assert_cmpstr (bootloader, ==, "none");
  g_assert_true (g_key_file_get_boolean (config, "sysroot", "readonly", NULL));

  /* a second init of the same stateroot is libostree's error, not a silent reuse */
  {
    g_autoptr (OstreeSysroot) again = NULL;
    g_autoptr (GError) local_error = NULL;
    g_assert_false (berth_deploy_init_sysroot (t.mnt, stateroot, &again, NULL, NULL, &local_error));
    g_assert_nonnull (local_error);
    g_assert_null (again);
  }
  g_test_message ("init: %.1f s", (g_get_monotonic_time () - t0) / 1e6);

  t0 = g_get_monotonic_time ();
  g_autofree char *commit = pull (repo, t.layout, "v1");
  g_autofree char *tiny = pull (repo, t.layout, "tiny");
  g_test_message ("pull v1 + tiny: %.1f s", (g_get_monotonic_time () - t0) / 1e6);

  /* not bootable: refused before anything is written */
  {
    g_autoptr (GError) local_error = NULL;
    g_autoptr (BerthDeployResult) r = NULL;
    BerthDeployOptions o = { .stateroot = stateroot,
                             .merge_commit = tiny,
                             .origin_imgref = "ostree-unverified-image:oci:/x:tiny" };
    g_assert_false (berth_deploy_image (sysroot, &o, &r, NULL, &local_error));
    g_assert_error (local_error, BERTH_ERROR, BERTH_ERROR_UNSUPPORTED_IMAGE);
    g_assert_nonnull (strstr (local_error->message, "not bootable"));
    g_assert_null (r);
    g_test_message ("tiny: %s", local_error->message);
    g_autofree char *entries = g_build_filename (t.mnt, "boot/loader/entries", NULL);
    g_assert_false (g_file_test (entries, G_FILE_TEST_EXISTS));
  }

  t0 = g_get_monotonic_time ();
  const char *kargs[]
    = { "root=UUID=0000-test", "rw", "console=ttyS0,115200", "quiet", "marker.x=a b", NULL };
  g_autofree char *imgref = g_strdup_printf ("ostree-unverified-image:oci:%s:v1", t.layout);
  const char *keys = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest berth@test\n";
  g_autofree char *boot_spec = g_strdup_printf ("UUID=%s", t.boot_uuid);
  BerthDeployOptions o = { .stateroot = stateroot,
                           .merge_commit = commit,
                           .kargs = kargs,
                           .origin_imgref = imgref,
                           .boot_mount_spec = boot_spec,
                           .root_ssh_authorized_keys = keys };
  g_autoptr (BerthDeployResult) r = NULL;
  berth_deploy_image (sysroot, &o, &r, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("deploy: %.1f s", (g_get_monotonic_time () - t0) / 1e6);

  /* paths */
  g_autofree char *want_dpath
    = g_strdup_printf ("%s/ostree/deploy/%s/deploy/%s.0", t.mnt, stateroot, commit);
  g_assert_cmpstr (r->deployment_path, ==, want_dpath);
  g_autofree char *want_entry
    = g_strdup_printf ("%s/boot/loader/entries/ostree-1-%s.conf", t.mnt, stateroot);
  g_assert_cmpstr (r->bls_entry_path, ==, want_entry);
  g_assert_cmpstr (ostree_deployment_get_csum (r->deployment), ==, commit);

  /* the BLS entry */
  g_autofree char *entry = read_text (r->bls_entry_path);
  g_test_message ("BLS entry:\n%s", entry);
  const char *bootcsum = ostree_deployment_get_bootcsum (r->deployment);
  g_autofree char *title = bls_get (entry, "title");
  g_autofree char *version = bls_get (entry, "version");
  g_autofree char *linux_ = bls_get (entry, "linux");
  g_autofree char *initrd = bls_get (entry, "initrd");
  g_autofree char *options = bls_get (entry, "options");
  g_assert_nonnull (title);
  /* 2022.7: PRETTY_NAME and the deployment's index; the stateroot is only in the paths */
  g_assert_true (g_str_has_suffix (title, "(ostree:0)"));
  g_assert_nonnull (version);
  g_autofree char *want_linux
    = g_strdup_printf ("/ostree/%s-%s/vmlinuz-%s", stateroot, bootcsum, r->kver);
  g_autofree char *want_initrd
    = g_strdup_printf ("/ostree/%s-%s/initramfs-%s.img", stateroot, bootcsum, r->kver);
  g_assert_cmpstr (linux_, ==, want_linux);
  g_assert_cmpstr (initrd, ==, want_initrd);
  g_autofree char *want_options
    = g_strdup_printf ("root=UUID=0000-test rw console=ttyS0,115200 quiet marker.x=a b "
                       "ostree=/ostree/boot.1/%s/%s/0",
                       stateroot, bootcsum);
  g_assert_cmpstr (options, ==, want_options);
  /* the kernel and initramfs are on the /boot filesystem, where the BLS paths point */
  g_autofree char *kpath = g_build_filename (t.mnt, "boot", linux_, NULL);
  g_autofree char *ipath = g_build_filename (t.mnt, "boot", initrd, NULL);
  g_assert_true (g_file_test (kpath, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (ipath, G_FILE_TEST_IS_REGULAR));

  /* the origin */
  g_autofree char *origin_path = g_strconcat (r->deployment_path, ".origin", NULL);
  g_autoptr (GKeyFile) origin = g_key_file_new ();
  g_key_file_load_from_file (origin, origin_path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  g_autofree char *cir
    = g_key_file_get_string (origin, "origin", "container-image-reference", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cir, ==, imgref);

  /* /var seeded from the image: every name of the commit's var/lib is in the stateroot's */
  g_auto (GStrv) var_lib = NULL;
  berth_import_list_dir (repo, commit, "var/lib", &var_lib, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (var_lib), >, 0);
  for (char **n = var_lib; *n != NULL; n++)
    {
      g_autofree char *p = g_strdup_printf ("%s/ostree/deploy/%s/var/lib/%s", t.mnt, stateroot, *n);
      if (!g_file_test (p, G_FILE_TEST_EXISTS))
        g_error ("/var/lib/%s of the image was not seeded into %s", *n, p);
    }
  /* ... as copies: a seeded file is not a hardlink to a repo object */
  g_autofree char *dpkg_status
    = g_strdup_printf ("%s/ostree/deploy/%s/var/lib/dpkg/status", t.mnt, stateroot);
  struct stat st;
  if (stat (dpkg_status, &st) == 0)
    g_assert_cmpuint (st.st_nlink, ==, 1);

  /* /etc/fstab ends with the /boot line */
  g_autofree char *fstab_path = g_build_filename (r->deployment_path, "etc/fstab", NULL);
  g_autofree char *fstab = read_text (fstab_path);
  g_autofree char *want_line = g_strdup_printf ("UUID=%s /boot ext4 defaults 1 2\n", t.boot_uuid);
  g_assert_true (g_str_has_suffix (fstab, want_line));

  /* the root SSH drop-in */
  g_autofree char *dropin_path
    = g_build_filename (r->deployment_path, "etc/tmpfiles.d", BERTH_DEPLOY_SSH_TMPFILES_NAME, NULL);
  g_autofree char *dropin = read_text (dropin_path);
  g_autofree char *want_dropin = berth_deploy_ssh_tmpfiles (keys);
  g_assert_cmpstr (dropin, ==, want_dropin);

  /* what ostree itself sees */
  g_autoptr (OstreeSysroot) reloaded = ostree_sysroot_new (ostree_sysroot_get_path (sysroot));
  ostree_sysroot_load (reloaded, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) deployments = ostree_sysroot_get_deployments (reloaded);
  g_assert_cmpuint (deployments->len, ==, 1);
}

/* A kickstart's rootpw, timezone and network --hostname, written into a deployment's /etc. */
static void
test_settings (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *d = g_dir_make_tmp ("berth-test-settings-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *etc = g_build_filename (d, "etc", NULL);
  g_autofree char *zones = g_build_filename (d, "usr/share/zoneinfo/Europe", NULL);
  g_assert_cmpint (g_mkdir_with_parents (etc, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (zones, 0755), ==, 0);
  g_autofree char *zone = g_build_filename (zones, "Berlin", NULL);
  g_assert_true (g_file_set_contents (zone, "TZif2", -1, NULL));
  g_autofree char *shadow = g_build_filename (etc, "shadow", NULL);
  const char *debian = "root:*:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n";
  g_assert_true (g_file_set_contents (shadow, debian, -1, NULL));
  g_assert_cmpint (chmod (shadow, 0640), ==, 0);

  BerthDeploySettings s = { .hostname = "berth-ks.example.org",
                            .timezone = "Europe/Berlin",
                            .root_password = "correct horse",
                            .root_password_plain = TRUE };
  g_assert_true (berth_deploy_apply_settings (d, &s, &error));
  g_assert_no_error (error);
  g_autofree char *host_path = g_build_filename (etc, "hostname", NULL);
  g_autofree char *host = NULL;
  g_assert_true (g_file_get_contents (host_path, &host, NULL, NULL));
  g_assert_cmpstr (host, ==, "berth-ks.example.org\n");
  g_autofree char *lt_path = g_build_filename (etc, "localtime", NULL);
  g_autofree char *lt = g_file_read_link (lt_path, NULL);
  g_assert_cmpstr (lt, ==, "../usr/share/zoneinfo/Europe/Berlin");
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (shadow, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "root:$6$"));
  g_assert_nonnull (strstr (text, ":19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n"));
  /* the hash is crypt(3)'s own: checking the password with it gives it back */
  g_auto (GStrv) fields = g_strsplit (text, ":", 3);
  struct crypt_data cd = { 0 };
  g_assert_cmpstr (crypt_r ("correct horse", fields[1], &cd), ==, fields[1]);
  struct stat st;
  g_assert_cmpint (stat (shadow, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);

  /* a given hash, locked */
  BerthDeploySettings locked = { .root_password = "$6$salt$hash", .root_lock = TRUE };
  g_assert_true (berth_deploy_apply_settings (d, &locked, &error));
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (shadow, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "root:!$6$salt$hash:19700:"));

  /* refusals */
  BerthDeploySettings bad_zone = { .timezone = "Mars/Olympus" };
  g_assert_false (berth_deploy_apply_settings (d, &bad_zone, &error));
  g_assert_nonnull (strstr (error->message, "no /usr/share/zoneinfo/Mars/Olympus"));
  g_clear_error (&error);
  BerthDeploySettings escape = { .timezone = "../../etc/shadow" };
  g_assert_false (berth_deploy_apply_settings (d, &escape, &error));
  g_clear_error (&error);
  BerthDeploySettings bad_host = { .hostname = "not_a host" };
  g_assert_false (berth_deploy_apply_settings (d, &bad_host, &error));
  g_assert_nonnull (strstr (error->message, "is not a host name"));
  g_clear_error (&error);
  BerthDeploySettings bad_hash = { .root_password = "a:b" };
  g_assert_false (berth_deploy_apply_settings (d, &bad_hash, &error));
  g_clear_error (&error);
  const char *argv[] = { "rm", "-rf", d, NULL };
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, NULL, NULL));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/deploy/ssh-tmpfiles", test_ssh_tmpfiles);
  g_test_add_func ("/deploy/kargs-without-ostree", test_kargs_without_ostree);
  g_test_add_func ("/deploy/var-note", test_var_note);
  g_test_add_func ("/deploy/settings", test_settings);
  g_test_add_func ("/deploy/image", test_deploy_image);
  return g_test_run ();
}
