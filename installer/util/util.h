/* util: the bottom of berth's module stack.
 *
 * Owns: the project error domain, the boundary functions that turn each foreign library's
 * errors into GError, auto-cleanup declarations for foreign types, an auto-closing fd and a
 * subprocess runner. Depends on GLib and libc only; the per-library error mappers live in
 * their own headers (util-curl.h, util-archive.h, ...) so that a module which may not use a
 * library cannot include its mapper by accident. Must not print, and must not touch disks,
 * the network or ostree.
 */
#pragma once

#include <errno.h>
#include <unistd.h>

#include <gio/gio.h>

G_BEGIN_DECLS

#define BERTH_ERROR (berth_error_quark ())
GQuark berth_error_quark (void);

/* Codes are decisions, not descriptions: a caller switches on them (retry the request,
 * roll back the install, refuse the target), and the CLI maps them to exit statuses. */
typedef enum
{
  BERTH_ERROR_FAILED,            /* anything with no better code; not retried */
  BERTH_ERROR_INVALID_ARGUMENT,  /* the user's input is wrong: CLI exits 2 */
  BERTH_ERROR_RETRYABLE,         /* transient (connection reset, 5xx, 429): try again */
  BERTH_ERROR_DIGEST_MISMATCH,   /* content does not match its digest: never retried blindly */
  BERTH_ERROR_NOT_FOUND,         /* image, tag, blob, file or device does not exist */
  BERTH_ERROR_AUTH,              /* credentials missing or rejected */
  BERTH_ERROR_UNSUPPORTED_IMAGE, /* image format berth does not (yet) import */
  BERTH_ERROR_DISK_TOO_SMALL,    /* the target cannot hold the layout plus the image */
  BERTH_ERROR_REFUSED,           /* unsafe target or operation: nothing was written */
  BERTH_ERROR_TOO_LARGE,         /* a size read from the network or a user exceeds its cap */
  BERTH_ERROR_CANCELLED,         /* interrupted by the user */
} BerthErrorCode;

/* The enum's string table (STYLE.md: enums carry one), for logs and JSON output. */
const char *berth_error_code_to_string (BerthErrorCode code);

/* Errors from the C library. Sets @error from errno (saved first), prefixed with @what when
 * non-NULL; always returns FALSE so callers can `return berth_throw_errno (...)`. ENOENT maps
 * to BERTH_ERROR_NOT_FOUND, EINTR/EAGAIN to RETRYABLE, anything else to FAILED; the errno
 * itself stays readable through g_io_error_from_errno in the message. */
gboolean berth_throw_errno (GError **error, const char *what);
gboolean berth_throw_errno_code (GError **error, int errsv, const char *what);

/* printf-style throw in the project domain. */
gboolean berth_throw (GError **error, BerthErrorCode code, const char *fmt, ...)
  G_GNUC_PRINTF (3, 4);

/* GIO's errors that carry a decision map onto ours (G_IO_ERROR_NOT_FOUND -> NOT_FOUND,
 * G_IO_ERROR_CANCELLED -> CANCELLED); everything else is FAILED. Lets the CLI and callers look
 * at one domain. */
BerthErrorCode berth_error_code_of (const GError *error);

/* Adds context on the way out of a function, like libglnx's GLNX_AUTO_PREFIX_ERROR:
 *   BERTH_AUTO_PREFIX_ERROR (error, "Importing layer %s", digest);
 * When the function returns with *error set, the message becomes "Importing layer X: ...". */
typedef struct
{
  char *prefix;
  GError **error;
} BerthAutoErrorPrefix;

static inline void
berth_auto_error_prefix_cleanup (BerthAutoErrorPrefix *p)
{
  if (p->error != NULL && *p->error != NULL)
    g_prefix_error (p->error, "%s: ", p->prefix);
  g_free (p->prefix);
}

#define _BERTH_CONCAT_(a, b) a##b
#define _BERTH_CONCAT(a, b)  _BERTH_CONCAT_ (a, b)
#define BERTH_AUTO_PREFIX_ERROR(err, ...)                                                          \
  G_GNUC_UNUSED __attribute__ ((cleanup (berth_auto_error_prefix_cleanup))) BerthAutoErrorPrefix   \
  _BERTH_CONCAT (_berth_prefix_, __LINE__)                                                         \
    = { g_strdup_printf (__VA_ARGS__), (err) }

/* An fd closed automatically at the end of its scope (GLib 2.74 has no g_autofd).
 * errno survives the close so a failing call's errno can still be reported. */
static inline void
berth_close_fdp (int *fdp)
{
  int errsv = errno;
  if (*fdp >= 0)
    (void)close (*fdp);
  *fdp = -1;
  errno = errsv;
}
#define berth_autofd __attribute__ ((cleanup (berth_close_fdp))) int

/* Hands the fd over to the caller; the variable no longer owns it. */
static inline int
berth_steal_fd (int *fdp)
{
  int fd = *fdp;
  *fdp = -1;
  return fd;
}

/* Replaces the string in *@str_pointer with a copy of @new_str (GLib 2.76's g_set_str, which
 * Debian 12's GLib 2.74 lacks). Returns whether it changed. */
static inline gboolean
berth_set_str (char **str_pointer, const char *new_str)
{
  if (*str_pointer == new_str || g_strcmp0 (*str_pointer, new_str) == 0)
    return FALSE;
  char *copy = g_strdup (new_str);
  g_free (*str_pointer);
  *str_pointer = copy;
  return TRUE;
}

/* Subprocess runner: argv only, never a shell. Returns TRUE when the program ran and exited 0.
 * On any other outcome @error names the program, how it ended and the tail of its stderr.
 * @stdin_data may be NULL (stdin is then /dev/null). @out_stdout, when non-NULL, receives the
 * program's stdout on success (NUL-terminated). A program that is not installed gives
 * BERTH_ERROR_NOT_FOUND. The program runs in a process group of its own (a terminal's Ctrl-C
 * reaches berth, not it); when @cancellable fires, its group is killed and reaped before this
 * returns BERTH_ERROR_CANCELLED. */
gboolean berth_spawn_sync (const char *const *argv, const char *stdin_data, char **out_stdout,
                           GCancellable *cancellable, GError **error);

/* The same with @env ("NAME=VALUE" strings, NULL-terminated; may be NULL) added to the
 * program's environment. */
gboolean berth_spawn_sync_env (const char *const *argv, const char *const *env,
                               const char *stdin_data, char **out_stdout, GCancellable *cancellable,
                               GError **error);

/* Convenience wrapper over a NULL-terminated argument list. */
gboolean berth_spawn_simple (GError **error, const char *argv0, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
