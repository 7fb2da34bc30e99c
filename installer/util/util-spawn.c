/* The subprocess runner: argv only, no shell, stderr captured into the error. */
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How much of a failing program's stderr goes into the error message: enough for mkfs's or
 * sfdisk's explanation, not a whole log. The tail is kept since programs end with the cause. */
#define STDERR_TAIL_MAX 2048

static char *
stderr_tail (const char *err)
{
  if (err == NULL)
    return g_strdup ("");
  g_autofree char *copy = g_strdup (err);
  g_strstrip (copy);
  size_t len = strlen (copy);
  if (len <= STDERR_TAIL_MAX)
    return g_steal_pointer (&copy);
  const char *tail = copy + len - STDERR_TAIL_MAX;
  /* start at a line boundary when there is one nearby */
  const char *nl = strchr (tail, '\n');
  if (nl != NULL && nl - tail < 200)
    tail = nl + 1;
  return g_strconcat ("...", tail, NULL);
}

/* A NUL-terminated copy of @bytes (embedded NULs end the string, which is fine for messages). */
static char *
bytes_to_string (GBytes *bytes)
{
  if (bytes == NULL)
    return g_strdup ("");
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  return g_strndup (data, len);
}

/* In the child, before exec: a process group of its own, so that a terminal's Ctrl-C (sent to
 * berth's foreground group) reaches berth alone. berth then stops the step itself, and a mkfs or
 * mcopy is never killed half-way behind its back, nor a program of the rollback by a second
 * Ctrl-C. berth ends its children itself on cancellation (end_child). */
static void
child_setup (gpointer data)
{
  (void)setpgid (0, 0);
}

/* A cancelled run: SIGKILL to the child's group (the program and whatever it started), then
 * wait for it, so that nothing still writes when the caller rolls back. */
static void
end_child (GSubprocess *proc)
{
  const char *id = g_subprocess_get_identifier (proc);
  if (id != NULL)
    {
      pid_t pid = (pid_t)strtol (id, NULL, 10);
      if (pid > 0)
        (void)kill (-pid, SIGKILL);
    }
  g_subprocess_force_exit (proc);
  (void)g_subprocess_wait (proc, /* cancellable= */ NULL, NULL);
}

gboolean
berth_spawn_sync (const char *const *argv, const char *stdin_data, char **out_stdout,
                  GCancellable *cancellable, GError **error)
{
  return berth_spawn_sync_env (argv, NULL, stdin_data, out_stdout, cancellable, error);
}

gboolean
berth_spawn_sync_env (const char *const *argv, const char *const *env, const char *stdin_data,
                      char **out_stdout, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);

  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDERR_PIPE;
  flags |= stdin_data != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE;
  /* Uncaptured stdout is dropped: mkfs's chatter must not land in berth's own output. */
  flags |= out_stdout != NULL ? G_SUBPROCESS_FLAGS_STDOUT_PIPE : G_SUBPROCESS_FLAGS_STDOUT_SILENCE;

  g_autoptr (GError) local_error = NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, &local_error))
    return berth_throw (error, BERTH_ERROR_CANCELLED, "Running %s: cancelled", argv[0]);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  for (const char *const *e = env; e != NULL && *e != NULL; e++)
    {
      const char *eq = strchr (*e, '=');
      g_return_val_if_fail (eq != NULL, FALSE);
      g_autofree char *name = g_strndup (*e, (gsize)(eq - *e));
      g_subprocess_launcher_setenv (launcher, name, eq + 1, TRUE);
    }
  g_autoptr (GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, argv, &local_error);
  if (proc == NULL)
    {
      if (g_error_matches (local_error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
        return berth_throw (error, BERTH_ERROR_NOT_FOUND,
                            "Running %s: program not found (is its package installed?)", argv[0]);
      return berth_throw (error, BERTH_ERROR_FAILED, "Running %s: %s", argv[0],
                          local_error->message);
    }

  /* Bytes, not UTF-8: a program's output in another locale must not turn into a failure. */
  g_autoptr (GBytes) in_bytes
    = stdin_data ? g_bytes_new_static (stdin_data, strlen (stdin_data)) : NULL;
  g_autoptr (GBytes) out_bytes = NULL;
  g_autoptr (GBytes) err_bytes = NULL;
  if (!g_subprocess_communicate (proc, in_bytes, cancellable, out_stdout ? &out_bytes : NULL,
                                 &err_bytes, &local_error))
    {
      end_child (proc);
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return berth_throw (error, BERTH_ERROR_CANCELLED, "Running %s: cancelled", argv[0]);
      return berth_throw (error, BERTH_ERROR_FAILED, "Running %s: %s", argv[0],
                          local_error->message);
    }

  g_autofree char *err = bytes_to_string (err_bytes);
  if (g_subprocess_get_if_signaled (proc))
    {
      g_autofree char *tail = stderr_tail (err);
      return berth_throw (error, BERTH_ERROR_FAILED, "%s was killed by signal %d%s%s", argv[0],
                          g_subprocess_get_term_sig (proc), *tail ? ": " : "", tail);
    }
  int status = g_subprocess_get_exit_status (proc);
  if (status != 0)
    {
      g_autofree char *tail = stderr_tail (err);
      return berth_throw (error, BERTH_ERROR_FAILED, "%s exited with status %d%s%s", argv[0],
                          status, *tail ? ": " : "", tail);
    }

  if (out_stdout != NULL)
    *out_stdout = bytes_to_string (out_bytes);
  return TRUE;
}

gboolean
berth_spawn_simple (GError **error, const char *argv0, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list args;
  va_start (args, argv0);
  for (const char *arg = argv0; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  return berth_spawn_sync ((const char *const *)argv->pdata, NULL, NULL, NULL, error);
}
