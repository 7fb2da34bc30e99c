/* Unit tests of the util module: error domain, mappers, cleanups, subprocess runner. */
#include "util/util.h"
#include "util/util-archive.h"
#include "util/util-blkid.h"
#include "util/util-curl.h"
#include "util/util-fdisk.h"
#include "util/util-json.h"
#include "util/util-mbedtls.h"
#include "util/util-undo.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static void
test_error_codes_named (void)
{
  /* Every code has a name: the string table and the enum must not drift apart. */
  for (int c = BERTH_ERROR_FAILED; c <= BERTH_ERROR_CANCELLED; c++)
    g_assert_cmpstr (berth_error_code_to_string (c), !=, "unknown");
  g_assert_cmpstr (berth_error_code_to_string (BERTH_ERROR_DIGEST_MISMATCH), ==, "digest-mismatch");
  g_assert_cmpstr (berth_error_code_to_string (999), ==, "unknown");
}

static void
test_throw_errno (void)
{
  g_autoptr (GError) error = NULL;
  errno = ENOENT;
  g_assert_false (berth_throw_errno (&error, "Opening /nonexistent"));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "Opening /nonexistent: No such file or directory");
  g_clear_error (&error);

  g_assert_false (berth_throw_errno_code (&error, EBUSY, "Opening /dev/loop9"));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_clear_error (&error);

  g_assert_false (berth_throw_errno_code (&error, ENOSPC, NULL));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DISK_TOO_SMALL);
  g_assert_cmpstr (error->message, ==, "No space left on device");
}

static void
test_error_code_of (void)
{
  g_autoptr (GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "x");
  g_assert_cmpint (berth_error_code_of (io), ==, BERTH_ERROR_NOT_FOUND);
  g_autoptr (GError) opt = g_error_new_literal (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "x");
  g_assert_cmpint (berth_error_code_of (opt), ==, BERTH_ERROR_INVALID_ARGUMENT);
  g_autoptr (GError) own = g_error_new_literal (BERTH_ERROR, BERTH_ERROR_AUTH, "x");
  g_assert_cmpint (berth_error_code_of (own), ==, BERTH_ERROR_AUTH);
  g_autoptr (GError) other = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_FAILED, "x");
  g_assert_cmpint (berth_error_code_of (other), ==, BERTH_ERROR_FAILED);
}

static gboolean
prefixed_failure (const char *name, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Importing layer %s", name);
  return berth_throw (error, BERTH_ERROR_DIGEST_MISMATCH, "digest mismatch");
}

static gboolean
prefixed_success (GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Doing nothing");
  return TRUE;
}

static void
test_auto_prefix (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_false (prefixed_failure ("sha256:ab", &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_DIGEST_MISMATCH);
  g_assert_cmpstr (error->message, ==, "Importing layer sha256:ab: digest mismatch");
  /* No error, no prefix, and a NULL GError** is allowed. */
  g_assert_true (prefixed_success (NULL));
  g_assert_false (prefixed_failure ("x", NULL));
}

static void
test_autofd (void)
{
  int raw;
  {
    berth_autofd fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    g_assert_cmpint (fd, >=, 0);
    raw = fd;
  }
  /* closed at the end of the scope */
  g_assert_cmpint (fcntl (raw, F_GETFD), ==, -1);
  g_assert_cmpint (errno, ==, EBADF);

  int stolen;
  {
    berth_autofd fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    stolen = berth_steal_fd (&fd);
    g_assert_cmpint (fd, ==, -1);
  }
  g_assert_cmpint (fcntl (stolen, F_GETFD), >=, 0);
  close (stolen);

  /* errno survives the cleanup */
  {
    berth_autofd fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    (void)fd;
    errno = ENOSPC;
  }
  g_assert_cmpint (errno, ==, ENOSPC);
}

static void
test_spawn_ok (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  /* argv is passed as is: no shell, so quotes and $ reach the program untouched. */
  const char *argv[] = { "printf", "%s|", "a b", "$HOME", "'q'", NULL };
  g_assert_true (berth_spawn_sync (argv, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "a b|$HOME|'q'|");

  g_autofree char *echoed = NULL;
  const char *cat[] = { "cat", NULL };
  g_assert_true (berth_spawn_sync (cat, "fed on stdin\n", &echoed, NULL, &error));
  g_assert_cmpstr (echoed, ==, "fed on stdin\n");

  g_assert_true (berth_spawn_simple (&error, "true", NULL));
}

static void
test_spawn_failure_has_stderr (void)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "sh", "-c", "echo noise; echo 'mkfs: device busy' >&2; exit 3", NULL };
  g_assert_false (berth_spawn_sync (argv, NULL, NULL, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "sh exited with status 3: mkfs: device busy");
  g_clear_error (&error);

  const char *killed[] = { "sh", "-c", "kill -9 $$", NULL };
  g_assert_false (berth_spawn_sync (killed, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "killed by signal 9"));
  g_clear_error (&error);

  const char *missing[] = { "berth-no-such-program", NULL };
  g_assert_false (berth_spawn_sync (missing, NULL, NULL, NULL, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "berth-no-such-program"));
}

static void
test_spawn_long_stderr_is_tail (void)
{
  g_autoptr (GError) error = NULL;
  /* 10,000 lines of noise then the cause: the message keeps the cause, not the noise. */
  const char *argv[] = { "sh", "-c", "seq 10000 >&2; echo 'the real cause' >&2; exit 1", NULL };
  g_assert_false (berth_spawn_sync (argv, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "the real cause"));
  g_assert_null (strstr (error->message, "\n1\n2\n3\n"));
  g_assert_cmpuint (strlen (error->message), <, 2300);
}

static void
test_spawn_cancelled (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_cancellable_cancel (cancellable);
  const char *argv[] = { "sleep", "5", NULL };
  g_assert_false (berth_spawn_sync (argv, NULL, NULL, cancellable, &error));
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_CANCELLED);
}

static gpointer
cancel_later (gpointer cancellable)
{
  g_usleep (300 * 1000);
  g_cancellable_cancel (cancellable);
  return NULL;
}

/* Cancelled while it runs: the program and what it started are killed (its whole process
 * group) and reaped before the runner returns; nothing of it still writes. */
static void
test_spawn_cancelled_running (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *dir = g_dir_make_tmp ("berth-test.XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *pidfile = g_build_filename (dir, "pid", NULL);
  g_autofree char *script = g_strdup_printf ("sleep 60 & echo $! >'%s'; wait", pidfile);
  const char *argv[] = { "sh", "-c", script, NULL };
  GThread *t = g_thread_new ("cancel", cancel_later, cancellable);
  gint64 start = g_get_monotonic_time ();
  g_assert_false (berth_spawn_sync (argv, NULL, NULL, cancellable, &error));
  g_thread_join (t);
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_autofree char *pid_text = NULL;
  g_assert_true (g_file_get_contents (pidfile, &pid_text, NULL, NULL));
  pid_t grandchild = (pid_t)g_ascii_strtoll (pid_text, NULL, 10);
  g_assert_cmpint (grandchild, >, 0);
  /* killed with its group; reaped by init, which may take a moment */
  gboolean gone = FALSE;
  for (int i = 0; i < 100 && !gone; i++)
    {
      g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", grandchild);
      g_autofree char *stat = NULL;
      gone = !g_file_get_contents (stat_path, &stat, NULL, NULL) || strstr (stat, ") Z ") != NULL;
      if (!gone)
        g_usleep (20 * 1000);
    }
  g_assert_true (gone);
  (void)unlink (pidfile);
  (void)rmdir (dir);
}

/* The program leads a process group of its own: a terminal's Ctrl-C reaches berth only. */
static void
test_spawn_own_process_group (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "sh", "-c", "read -r p _ _ _ g _ </proc/$$/stat; echo \"$p $g\"", NULL };
  g_assert_true (berth_spawn_sync (argv, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_auto (GStrv) f = g_strsplit (g_strstrip (out), " ", 2);
  g_assert_cmpuint (g_strv_length (f), ==, 2);
  g_assert_cmpstr (f[0], ==, f[1]);
  g_assert_cmpint (getpgrp (), !=, (pid_t)g_ascii_strtoll (f[1], NULL, 10));
}

static void
test_curl_mapper (void)
{
  g_autoptr (GError) error = NULL;
  berth_throw_curl (&error, CURLE_PARTIAL_FILE, NULL, "Fetching blob sha256:ab");
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_RETRYABLE);
  g_assert_nonnull (strstr (error->message, "Fetching blob sha256:ab: "));
  g_clear_error (&error);

  berth_throw_curl (&error, CURLE_PEER_FAILED_VERIFICATION, "SSL certificate problem",
                    "Connecting");
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "Connecting: SSL certificate problem");
  g_clear_error (&error);

  struct
  {
    long status;
    int code;
  } cases[] = {
    { 401, BERTH_ERROR_AUTH },      { 403, BERTH_ERROR_AUTH },      { 404, BERTH_ERROR_NOT_FOUND },
    { 429, BERTH_ERROR_RETRYABLE }, { 503, BERTH_ERROR_RETRYABLE }, { 400, BERTH_ERROR_FAILED },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      berth_throw_http_status (&error, cases[i].status, "GET /v2/");
      g_assert_error (error, BERTH_ERROR, cases[i].code);
      g_clear_error (&error);
    }

  /* the cleanups compile and free */
  g_autoptr (CURL) easy = curl_easy_init ();
  g_autoptr (BerthCurlSlist) headers = curl_slist_append (NULL, "Accept: */*");
  g_assert_nonnull (easy);
  g_assert_nonnull (headers);
}

static void
test_json_mapper (void)
{
  g_autoptr (GError) error = NULL;
  json_error_t jerr;
  g_autoptr (json_t) bad = json_loads ("{\"a\": ", 0, &jerr);
  g_assert_null (bad);
  berth_throw_json (&error, &jerr, "Parsing manifest");
  g_assert_nonnull (strstr (error->message, "Parsing manifest: invalid JSON at line 1"));
  g_autoptr (json_t) good = json_loads ("{\"a\": 1}", 0, &jerr);
  g_assert_nonnull (good);
}

static void
test_archive_mapper (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthArchiveRead) a = archive_read_new ();
  archive_read_support_format_tar (a);
  static const char garbage[1024] = "this is not a tar archive";
  /* A truncated or corrupt tar: the mapper keeps libarchive's explanation. */
  if (archive_read_open_memory (a, garbage, sizeof garbage) == ARCHIVE_OK)
    {
      struct archive_entry *entry;
      g_assert_cmpint (archive_read_next_header (a, &entry), !=, ARCHIVE_OK);
    }
  berth_throw_archive (&error, a, "Reading layer");
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "Reading layer: "));
  g_autoptr (BerthArchiveEntry) entry = archive_entry_new ();
  g_autoptr (BerthArchiveWrite) w = archive_write_new ();
  g_assert_nonnull (entry);
  g_assert_nonnull (w);
}

static void
test_disk_mappers (void)
{
  g_autoptr (GError) error = NULL;
  berth_throw_fdisk (&error, -EBUSY, "Writing partition table to /dev/loop7");
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_REFUSED);
  g_assert_cmpstr (error->message, ==,
                   "Writing partition table to /dev/loop7: Device or resource busy");
  g_clear_error (&error);
  berth_throw_blkid (&error, -ENOENT, "Probing /dev/nope");
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_autoptr (BerthFdiskContext) cxt = fdisk_new_context ();
  g_assert_nonnull (cxt);
  g_auto (blkid_probe) pr = blkid_new_probe ();
  g_assert_nonnull (pr);
}

static void
test_mbedtls_mapper (void)
{
  g_autoptr (GError) error = NULL;
  berth_throw_mbedtls (&error, MBEDTLS_ERR_PK_KEY_INVALID_FORMAT, "Loading key");
  g_assert_true (g_str_has_prefix (error->message, "Loading key: "));
  g_assert_nonnull (strstr (error->message, "mbedtls -0x"));

  /* sha256 of "abc", FIPS 180-2 appendix B.1 */
  g_auto (mbedtls_sha256_context) sha = { 0 };
  mbedtls_sha256_init (&sha);
  unsigned char digest[32];
  g_assert_cmpint (mbedtls_sha256_starts_ret (&sha, 0), ==, 0);
  g_assert_cmpint (mbedtls_sha256_update_ret (&sha, (const unsigned char *)"abc", 3), ==, 0);
  g_assert_cmpint (mbedtls_sha256_finish_ret (&sha, digest), ==, 0);
  g_assert_cmpint (digest[0], ==, 0xba);
  g_assert_cmpint (digest[31], ==, 0xad);
}

/* ---- the undo stack -------------------------------------------------------------------- */

static gboolean
undo_record (gpointer data, GError **error)
{
  GString *log = g_object_get_data (G_OBJECT (data), "log");
  const char *name = g_object_get_data (G_OBJECT (data), "name");
  g_string_append_printf (log, "%s ", name);
  if (g_str_has_prefix (name, "bad"))
    return berth_throw (error, BERTH_ERROR_FAILED, "%s refused", name);
  return TRUE;
}

static void
push_named (BerthUndo *undo, BerthUndoWhen when, GString *log, const char *name)
{
  GObject *o = g_object_new (G_TYPE_OBJECT, NULL);
  g_object_set_data (o, "log", log);
  g_object_set_data_full (o, "name", g_strdup (name), g_free);
  g_autofree char *what = g_strdup_printf ("undid %s", name);
  berth_undo_push (undo, when, what, undo_record, o, g_object_unref);
}

static void
test_undo (void)
{
  g_autoptr (GString) log = g_string_new (NULL);

  /* failure: everything, newest first; a failed entry is reported and the rest still run */
  g_autoptr (BerthUndo) undo = berth_undo_new ();
  push_named (undo, BERTH_UNDO_ALWAYS, log, "loop");
  push_named (undo, BERTH_UNDO_ON_FAILURE, log, "table");
  push_named (undo, BERTH_UNDO_ALWAYS, log, "bad-mount");
  g_auto (GStrv) done = berth_undo_run (undo, TRUE);
  g_assert_cmpstr (log->str, ==, "bad-mount table loop ");
  g_assert_cmpuint (g_strv_length (done), ==, 3);
  g_assert_cmpstr (done[0], ==, "could not undo (undid bad-mount): bad-mount refused");
  g_assert_cmpstr (done[1], ==, "undid table");
  g_assert_cmpstr (done[2], ==, "undid loop");
  /* emptied */
  g_auto (GStrv) again = berth_undo_run (undo, TRUE);
  g_assert_cmpuint (g_strv_length (again), ==, 0);

  /* success: keep() drops what only a failure undoes */
  g_string_truncate (log, 0);
  push_named (undo, BERTH_UNDO_ALWAYS, log, "loop");
  push_named (undo, BERTH_UNDO_ON_FAILURE, log, "table");
  berth_undo_keep (undo);
  push_named (undo, BERTH_UNDO_ON_FAILURE, log, "late");
  g_auto (GStrv) ok = berth_undo_run (undo, FALSE);
  g_assert_cmpstr (log->str, ==, "loop ");
  g_assert_cmpuint (g_strv_length (ok), ==, 1);

  /* finish: all of them, the first failure returned */
  g_string_truncate (log, 0);
  push_named (undo, BERTH_UNDO_ALWAYS, log, "bad-loop");
  push_named (undo, BERTH_UNDO_ALWAYS, log, "mount");
  push_named (undo, BERTH_UNDO_ALWAYS, log, "bad-boot");
  g_autoptr (GError) error = NULL;
  g_assert_false (berth_undo_finish (undo, &error));
  g_assert_cmpstr (log->str, ==, "bad-boot mount bad-loop ");
  g_assert_error (error, BERTH_ERROR, BERTH_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "could not undo (undid bad-boot): bad-boot refused");
  g_assert_true (berth_undo_finish (undo, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/util/error/codes-named", test_error_codes_named);
  g_test_add_func ("/util/error/throw-errno", test_throw_errno);
  g_test_add_func ("/util/error/code-of", test_error_code_of);
  g_test_add_func ("/util/error/auto-prefix", test_auto_prefix);
  g_test_add_func ("/util/autofd", test_autofd);
  g_test_add_func ("/util/spawn/ok", test_spawn_ok);
  g_test_add_func ("/util/spawn/failure-has-stderr", test_spawn_failure_has_stderr);
  g_test_add_func ("/util/spawn/long-stderr-is-tail", test_spawn_long_stderr_is_tail);
  g_test_add_func ("/util/spawn/cancelled", test_spawn_cancelled);
  g_test_add_func ("/util/spawn/cancelled-running", test_spawn_cancelled_running);
  g_test_add_func ("/util/spawn/own-process-group", test_spawn_own_process_group);
  g_test_add_func ("/util/mapper/curl", test_curl_mapper);
  g_test_add_func ("/util/mapper/json", test_json_mapper);
  g_test_add_func ("/util/mapper/archive", test_archive_mapper);
  g_test_add_func ("/util/mapper/disk", test_disk_mappers);
  g_test_add_func ("/util/mapper/mbedtls", test_mbedtls_mapper);
  g_test_add_func ("/util/undo", test_undo);
  return g_test_run ();
}
