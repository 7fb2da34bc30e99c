#include "util-fdisk.h"

gboolean
berth_throw_fdisk (GError **error, int rc, const char *what)
{
  if (rc >= 0)
    return berth_throw (error, BERTH_ERROR_FAILED, "%s: libfdisk failed", what);
  return berth_throw_errno_code (error, -rc, what);
}
