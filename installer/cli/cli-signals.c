/* SIGINT, SIGTERM and SIGHUP during a long command: cancel it, let its rollback run, exit
 * 128 + the signal's number.
 *
 * The handler only writes the signal's number into a pipe (all a handler may safely do); a
 * thread of ours reads it, prints what happens and cancels the command's GCancellable. The
 * command then stops its running step and undoes what it wrote, with no cancellable, so a
 * second signal during that rollback is reported and otherwise ignored. Children run in process
 * groups of their own (berth_spawn_sync), so a terminal's Ctrl-C reaches berth only. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int signal_pipe[2] = { -1, -1 };
static volatile sig_atomic_t first_signal;

static void
on_signal (int signo)
{
  int errsv = errno;
  if (first_signal == 0)
    first_signal = signo;
  unsigned char b = (unsigned char)signo;
  (void)!write (signal_pipe[1], &b, 1);
  errno = errsv;
}

static const char *
signal_name (int signo)
{
  static char names[NSIG][16];
  const char *abbrev = signo > 0 && signo < NSIG ? sigabbrev_np (signo) : NULL;
  if (abbrev == NULL)
    return "a signal";
  if (names[signo][0] == '\0')
    g_snprintf (names[signo], sizeof names[signo], "SIG%s", abbrev);
  return names[signo];
}

static gpointer
watch_signals (gpointer data)
{
  GCancellable *cancellable = data;
  const char *what = g_object_get_data (G_OBJECT (cancellable), "berth-what");
  unsigned int seen = 0;
  for (;;)
    {
      unsigned char b;
      ssize_t n = read (signal_pipe[0], &b, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n != 1)
        return NULL;
      if (seen++ == 0)
        {
          g_printerr ("\nberth: %s received: stopping %s and undoing what it wrote (a second "
                      "signal does not stop that)\n",
                      signal_name (b), what);
          g_cancellable_cancel (cancellable);
        }
      else
        g_printerr ("berth: %s received again: still undoing, please wait\n", signal_name (b));
    }
}

gboolean
berth_cli_catch_signals (GCancellable *cancellable, const char *what, GError **error)
{
  if (signal_pipe[0] >= 0)
    return TRUE;
  if (pipe2 (signal_pipe, O_CLOEXEC) != 0)
    return berth_throw_errno (error, "pipe2");
  g_object_set_data_full (G_OBJECT (cancellable), "berth-what", g_strdup (what), g_free);
  g_thread_unref (g_thread_new ("berth-signals", watch_signals, g_object_ref (cancellable)));
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  /* Interrupted system calls resume: the cancellable, not EINTR, stops the work. */
  sa.sa_flags = SA_RESTART;
  sigemptyset (&sa.sa_mask);
  const int signals[] = { SIGINT, SIGTERM, SIGHUP };
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    if (sigaction (signals[i], &sa, NULL) != 0)
      return berth_throw_errno (error, "sigaction");
  return TRUE;
}

int
berth_cli_caught_signal (void)
{
  return first_signal;
}

const char *
berth_cli_signal_name (int signo)
{
  return signal_name (signo);
}
