/* The project error domain and the libc/GIO boundary. */
#include "util.h"

#include <string.h>

G_DEFINE_QUARK (berth - error - quark, berth_error)

static const char *const error_code_names[] = {
  [BERTH_ERROR_FAILED] = "failed",
  [BERTH_ERROR_INVALID_ARGUMENT] = "invalid-argument",
  [BERTH_ERROR_RETRYABLE] = "retryable",
  [BERTH_ERROR_DIGEST_MISMATCH] = "digest-mismatch",
  [BERTH_ERROR_NOT_FOUND] = "not-found",
  [BERTH_ERROR_AUTH] = "auth",
  [BERTH_ERROR_UNSUPPORTED_IMAGE] = "unsupported-image",
  [BERTH_ERROR_DISK_TOO_SMALL] = "disk-too-small",
  [BERTH_ERROR_REFUSED] = "refused",
  [BERTH_ERROR_TOO_LARGE] = "too-large",
  [BERTH_ERROR_CANCELLED] = "cancelled",
};

const char *
berth_error_code_to_string (BerthErrorCode code)
{
  if ((guint)code >= G_N_ELEMENTS (error_code_names) || error_code_names[code] == NULL)
    return "unknown";
  return error_code_names[code];
}

static BerthErrorCode
code_from_errno (int errsv)
{
  switch (errsv)
    {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return BERTH_ERROR_NOT_FOUND;
    case EINTR:
    case EAGAIN:
      return BERTH_ERROR_RETRYABLE;
    case EBUSY:
      /* A busy device (mounted, opened O_EXCL elsewhere) is an unsafe target. */
      return BERTH_ERROR_REFUSED;
    case ENOSPC:
      return BERTH_ERROR_DISK_TOO_SMALL;
    case ECANCELED:
      return BERTH_ERROR_CANCELLED;
    default:
      return BERTH_ERROR_FAILED;
    }
}

gboolean
berth_throw_errno_code (GError **error, int errsv, const char *what)
{
  BerthErrorCode code = code_from_errno (errsv);
  if (what != NULL)
    g_set_error (error, BERTH_ERROR, code, "%s: %s", what, g_strerror (errsv));
  else
    g_set_error_literal (error, BERTH_ERROR, code, g_strerror (errsv));
  return FALSE;
}

gboolean
berth_throw_errno (GError **error, const char *what)
{
  int errsv = errno; /* read before anything else can change it */
  return berth_throw_errno_code (error, errsv, what);
}

gboolean
berth_throw (GError **error, BerthErrorCode code, const char *fmt, ...)
{
  va_list args;
  va_start (args, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error_literal (error, BERTH_ERROR, code, msg);
  return FALSE;
}

BerthErrorCode
berth_error_code_of (const GError *error)
{
  if (error == NULL)
    return BERTH_ERROR_FAILED;
  if (error->domain == BERTH_ERROR)
    return (BerthErrorCode)error->code;
  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_NOT_FOUND:
          return BERTH_ERROR_NOT_FOUND;
        case G_IO_ERROR_CANCELLED:
          return BERTH_ERROR_CANCELLED;
        case G_IO_ERROR_NO_SPACE:
          return BERTH_ERROR_DISK_TOO_SMALL;
        case G_IO_ERROR_INVALID_ARGUMENT:
          return BERTH_ERROR_INVALID_ARGUMENT;
        case G_IO_ERROR_TIMED_OUT:
        case G_IO_ERROR_CONNECTION_CLOSED: /* == G_IO_ERROR_BROKEN_PIPE */
          return BERTH_ERROR_RETRYABLE;
        default:
          return BERTH_ERROR_FAILED;
        }
    }
  if (error->domain == G_OPTION_ERROR)
    return BERTH_ERROR_INVALID_ARGUMENT;
  return BERTH_ERROR_FAILED;
}
