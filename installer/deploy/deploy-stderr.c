/* The filter of libostree's "/var content will be ignored" notes (see deploy-private.h). */
#include "deploy-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

gboolean
berth_deploy_is_var_note (const char *line)
{
  return g_str_has_prefix (line, "note: Deploying commit ") && strstr (line, " in /var/") != NULL
         && strstr (line, " that will be ignored.") != NULL;
}

static gpointer
stderr_filter_thread (gpointer data)
{
  BerthStderrFilter *f = data;
  g_autoptr (GString) line = g_string_new (NULL);
  char buf[4096];
  ssize_t n;
  while ((n = read (f->read_fd, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      for (ssize_t i = 0; i < n; i++)
        {
          g_string_append_c (line, buf[i]);
          if (buf[i] != '\n')
            continue;
          if (!berth_deploy_is_var_note (line->str))
            (void)!write (f->saved, line->str, line->len);
          g_string_truncate (line, 0);
        }
    }
  if (line->len > 0 && !berth_deploy_is_var_note (line->str))
    (void)!write (f->saved, line->str, line->len);
  return NULL;
}

void
berth_deploy_stderr_filter_start (BerthStderrFilter *f)
{
  int p[2];
  f->saved = -1;
  f->reader = NULL;
  fflush (stderr);
  if (pipe2 (p, O_CLOEXEC) < 0)
    return;
  f->saved = fcntl (STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (f->saved < 0 || dup2 (p[1], STDERR_FILENO) < 0)
    {
      close (p[0]);
      close (p[1]);
      if (f->saved >= 0)
        close (f->saved);
      f->saved = -1;
      return;
    }
  close (p[1]);
  f->read_fd = p[0];
  f->reader = g_thread_new ("stderr-filter", stderr_filter_thread, f);
}

void
berth_deploy_stderr_filter_stop (BerthStderrFilter *f)
{
  if (f->saved < 0)
    return;
  fflush (stderr);
  /* the pipe's last write end goes: the reader sees the end, forwards the rest, and stops */
  (void)dup2 (f->saved, STDERR_FILENO);
  g_thread_join (f->reader);
  close (f->read_fd);
  close (f->saved);
}
