/* The disk module against a real loop device: the driver of tests/root/install-disk-table.sh.
 *
 * Each /disk/root/<step> test runs only when BERTH_DISK_TEST_DEVICE names a loop device whose
 * backing file lies in a test temp dir (the shell test made it); otherwise it skips, so the unit
 * tier never touches a device. The shell test runs one step at a time (-p /disk/root/STEP) and
 * checks the result with util-linux in between. The /disk/refusals test needs no device. */
#include "disk/disk.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

/* The device under test, or NULL (the test is then skipped). Aborts on anything that is not
 * a loop device over a file in a "berth-test.*" temp dir: never a real disk. */
static const char *
test_device (void)
{
  const char *dev = g_getenv ("BERTH_DISK_TEST_DEVICE");
  if (dev == NULL || *dev == '\0')
    {
      g_test_skip ("BERTH_DISK_TEST_DEVICE is not set (run by tests/root/install-disk-table.sh)");
      return NULL;
    }
  if (!g_str_has_prefix (dev, "/dev/loop"))
    g_error ("BERTH_DISK_TEST_DEVICE=%s is not a loop device", dev);
  g_autofree char *backing
    = g_strdup_printf ("/sys/block/%s/loop/backing_file", dev + strlen ("/dev/"));
  g_autofree char *file = NULL;
  if (!g_file_get_contents (backing, &file, NULL, NULL) || strstr (file, "/berth-test.") == NULL)
    g_error ("%s is not backed by a file in a test temp dir", dev);
  return dev;
}

static BerthDiskFs
root_fs (void)
{
  BerthDiskFs fs = BERTH_DISK_FS_XFS;
  const char *name = g_getenv ("BERTH_DISK_TEST_ROOTFS");
  if (name != NULL)
    {
      g_autoptr (GError) error = NULL;
      berth_disk_fs_from_string (name, &fs, &error);
      g_assert_no_error (error);
    }
  return fs;
}

static BerthDiskLayout *
test_layout (const BerthDiskInfo *info)
{
  BerthDiskLayoutOptions o = {
    .disk_size = info->size,
    .sector_size = info->sector_size,
    .arch = "x86_64",
    .root_fs = root_fs (),
    .image_size = 512 * BERTH_DISK_MiB,
    .seed = "berth-test",
  };
  g_autoptr (GError) error = NULL;
  BerthDiskLayout *l = berth_disk_layout_new (&o, &error);
  g_assert_no_error (error);
  return l;
}

/* An empty disk (or one to rewrite): probe, check, write the table, make the filesystems, mount and
 * unmount one. */
static void
test_write (void)
{
  const char *dev = test_device ();
  if (dev == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDiskInfo) info = NULL;
  g_assert_true (berth_disk_probe (dev, &info, &error));
  g_assert_no_error (error);
  /* BERTH_DISK_TEST_REWRITE: the disk has a table already (a re-install with --wipe). */
  gboolean rewrite = g_getenv ("BERTH_DISK_TEST_REWRITE") != NULL;
  if (!rewrite)
    g_assert_cmpuint (g_strv_length (info->signatures), ==, 0);
  g_assert_cmpuint (g_strv_length (info->mounted), ==, 0);
  g_assert_cmpuint (g_strv_length (info->system_uses), ==, 0);
  g_assert_cmpuint (info->sector_size, ==, 512);
  g_assert_true (berth_disk_check_target (info, rewrite, &error));
  g_assert_no_error (error);

  g_autoptr (BerthDiskLayout) l = test_layout (info);
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (berth_disk_write_table (dev, l, &error));
  g_assert_no_error (error);
  gint64 t1 = g_get_monotonic_time ();
  for (guint i = 0; i < l->n_partitions; i++)
    {
      const BerthDiskPartition *p = &l->partitions[i];
      g_autofree char *node = berth_disk_partition_path (dev, p->number);
      struct stat st;
      g_assert_cmpint (stat (node, &st), ==, 0);
      g_assert_true (S_ISBLK (st.st_mode));
      if (p->fs == BERTH_DISK_FS_NONE)
        continue;
      gboolean ok = berth_disk_mkfs (node, p->fs, p->fs_label, p->fs_uuid, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  gint64 t2 = g_get_monotonic_time ();
  g_test_message ("timing: write_table %.3f s, mkfs (3 filesystems) %.3f s", (t1 - t0) / 1e6,
                  (t2 - t1) / 1e6);

  /* The ext4 /boot mounts through the module's helpers, and unmounts. */
  const char *dir = g_getenv ("BERTH_DISK_TEST_DIR");
  g_assert_nonnull (dir);
  g_autofree char *mnt = g_build_filename (dir, "mnt-helper", NULL);
  g_assert_cmpint (g_mkdir_with_parents (mnt, 0755), ==, 0);
  g_autofree char *boot = berth_disk_partition_path (dev, 3);
  g_assert_true (berth_disk_mount (boot, mnt, "ext4", 0, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *f = g_build_filename (mnt, "hello", NULL);
  g_assert_true (g_file_set_contents (f, "hello\n", -1, &error));
  g_assert_true (berth_disk_syncfs (mnt, &error));
  g_assert_no_error (error);
  /* Mounted now: the probe sees it and refuses. */
  g_autoptr (BerthDiskInfo) busy = NULL;
  g_assert_true (berth_disk_probe (dev, &busy, &error));
  g_assert_cmpuint (g_strv_length (busy->mounted), ==, 1);
  g_assert_true (berth_disk_umount (mnt, &error));
  g_assert_no_error (error);
  /* Not mounted any more: a second unmount is a no-op. */
  g_assert_true (berth_disk_umount (mnt, &error));
  g_assert_no_error (error);
  g_assert_true (berth_disk_mount ("/nonexistent-dev", mnt, "ext4", MS_RDONLY, NULL, &error)
                 == FALSE);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
}

/* After write: the probe lists the table (or BERTH_DISK_TEST_EXPECT, e.g. "xfs filesystem" on
 * a disk with a filesystem and no table) and refuses without wipe. */
static void
test_probe_table (void)
{
  const char *dev = test_device ();
  if (dev == NULL)
    return;
  const char *expect = g_getenv ("BERTH_DISK_TEST_EXPECT");
  if (expect == NULL)
    expect = "gpt partition table";
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDiskInfo) info = NULL;
  g_assert_true (berth_disk_probe (dev, &info, &error));
  g_assert_no_error (error);
  g_autofree char *sigs = g_strjoinv (", ", info->signatures);
  g_test_message ("signatures: %s", sigs);
  g_assert_true (g_strv_contains ((const char *const *)info->signatures, expect));
  g_assert_false (berth_disk_check_target (info, FALSE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, expect));
  g_assert_nonnull (strstr (error->message, "--wipe"));
  g_test_message ("refusal: %s", error->message);
  g_clear_error (&error);
  g_assert_true (berth_disk_check_target (info, TRUE, &error));
  g_assert_no_error (error);

  /* A partition is not a target. */
  if (g_getenv ("BERTH_DISK_TEST_EXPECT") != NULL)
    return; /* no table, no partitions */
  g_autofree char *p2 = berth_disk_partition_path (dev, 2);
  g_autoptr (BerthDiskInfo) pinfo = NULL;
  g_assert_false (berth_disk_probe (p2, &pinfo, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_null (pinfo);
}

/* The shell test has mounted partition 3: refused even with wipe, and nothing can write. */
static void
test_probe_mounted (void)
{
  const char *dev = test_device ();
  if (dev == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDiskInfo) info = NULL;
  g_assert_true (berth_disk_probe (dev, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (info->mounted), >=, 1);
  g_assert_false (berth_disk_check_target (info, TRUE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "mounted"));
  g_test_message ("refusal: %s", error->message);
  g_clear_error (&error);
  /* O_EXCL: the kernel refuses too, so even a caller that skipped the check writes nothing. */
  g_assert_false (berth_disk_wipe_table (dev, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_test_message ("wipe while mounted: %s", error->message);
}

/* Run in a private mount namespace where the shell test mounted partition 3 on /boot: the
 * probe sees the "running system's" /boot on this disk and refuses it, even with wipe. */
static void
test_probe_system (void)
{
  const char *dev = test_device ();
  if (dev == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDiskInfo) info = NULL;
  g_assert_true (berth_disk_probe (dev, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (info->system_uses), ==, 1);
  g_test_message ("system: %s", info->system_uses[0]);
  g_assert_true (g_str_has_prefix (info->system_uses[0], "/boot on /dev/loop"));
  g_assert_false (berth_disk_check_target (info, TRUE, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "the running system uses it"));
  g_test_message ("refusal: %s", error->message);
}

static void
test_wipe (void)
{
  const char *dev = test_device ();
  if (dev == NULL)
    return;
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (berth_disk_wipe_table (dev, &error));
  g_assert_no_error (error);
  g_test_message ("timing: wipe_table %.3f s", (g_get_monotonic_time () - t0) / 1e6);
  g_autoptr (BerthDiskInfo) info = NULL;
  g_assert_true (berth_disk_probe (dev, &info, &error));
  g_assert_cmpuint (g_strv_length (info->signatures), ==, 0);
  g_assert_true (berth_disk_check_target (info, FALSE, &error));
  g_assert_no_error (error);
  g_autofree char *p1 = berth_disk_partition_path (dev, 1);
  g_assert_false (g_file_test (p1, G_FILE_TEST_EXISTS));
}

/* The module's own loop devices: create, attach, probe, refuse to shrink, detach. */
static void
test_loop (void)
{
  if (test_device () == NULL)
    return;
  const char *dir = g_getenv ("BERTH_DISK_TEST_DIR");
  g_assert_nonnull (dir);
  g_autofree char *file = g_build_filename (dir, "loop.img", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *dev = NULL;
  g_assert_true (berth_disk_loop_attach (file, 64 * BERTH_DISK_MiB, &dev, &error));
  g_assert_no_error (error);
  g_test_message ("attached %s", dev);
  struct stat st;
  g_assert_cmpint (stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 64 * BERTH_DISK_MiB);
  g_assert_cmpint (st.st_blocks, ==, 0); /* sparse */
  g_autofree char *flags_path
    = g_strdup_printf ("/sys/block/%s/loop/autoclear", dev + strlen ("/dev/"));
  g_autofree char *autoclear = NULL;
  g_assert_true (g_file_get_contents (flags_path, &autoclear, NULL, NULL));
  g_assert_cmpstr (g_strstrip (autoclear), ==, "0");

  g_autoptr (BerthDiskInfo) info = NULL;
  g_assert_true (berth_disk_probe (dev, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info->size, ==, 64 * BERTH_DISK_MiB);
  g_assert_true (berth_disk_loop_detach (dev, &error));
  g_assert_no_error (error);
  /* Detached: the device has no backing file any more. */
  g_autofree char *backing
    = g_strdup_printf ("/sys/block/%s/loop/backing_file", dev + strlen ("/dev/"));
  g_assert_false (g_file_test (backing, G_FILE_TEST_EXISTS));

  /* Growing reattaches with the new size; shrinking is refused before any attach. */
  g_autofree char *dev2 = NULL;
  g_assert_true (berth_disk_loop_attach (file, 128 * BERTH_DISK_MiB, &dev2, &error));
  g_assert_no_error (error);
  g_assert_true (berth_disk_loop_detach (dev2, &error));
  g_assert_no_error (error);
  g_assert_true (berth_disk_loop_detach (NULL, &error));
}

/* Refusals that need no device and no root. */
static void
test_refusals (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthDiskInfo) info = NULL;
  g_assert_false (berth_disk_probe ("/nonexistent/berth-disk", &info, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_autofree char *dir = g_dir_make_tmp ("berth-test.XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *file = g_build_filename (dir, "disk.img", NULL);
  g_assert_true (g_file_set_contents (file, "not a disk", -1, &error));
  /* a file is probed like a disk: its size, no signature, no mounts */
  g_assert_true (berth_disk_probe (file, &info, &error));
  g_assert_no_error (error);
  g_assert_true (info->is_file);
  g_assert_cmpuint (info->size, ==, 10);
  g_assert_null (info->signatures[0]);
  g_assert_null (info->mounted[0]);
  g_assert_true (berth_disk_check_target (info, FALSE, &error));
  g_clear_pointer (&info, berth_disk_info_free);
  /* a directory is neither */
  g_assert_false (berth_disk_probe (dir, &info, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "neither a block device nor a disk image file"));
  g_clear_error (&error);

  /* The loop attach refuses to shrink before it opens /dev/loop-control. */
  g_autofree char *dev = NULL;
  g_assert_false (berth_disk_loop_attach (file, 4, &dev, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "shrink"));
  g_assert_null (dev);
  g_clear_error (&error);
  /* mkfs of nothing: an argument error before any program runs. */
  g_assert_false (berth_disk_mkfs (file, BERTH_DISK_FS_NONE, NULL, NULL, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (berth_disk_mkfs (file, BERTH_DISK_FS_VFAT, "X", "zz", NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT);

  g_assert_cmpint (g_unlink (file), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/disk/refusals", test_refusals);
  g_test_add_func ("/disk/root/write", test_write);
  g_test_add_func ("/disk/root/probe-table", test_probe_table);
  g_test_add_func ("/disk/root/probe-mounted", test_probe_mounted);
  g_test_add_func ("/disk/root/probe-system", test_probe_system);
  g_test_add_func ("/disk/root/wipe", test_wipe);
  g_test_add_func ("/disk/root/loop", test_loop);
  return g_test_run ();
}
