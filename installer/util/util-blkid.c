#include "util-blkid.h"

gboolean
berth_throw_blkid (GError **error, int rc, const char *what)
{
  int errsv = rc < -1 ? -rc : errno;
  if (errsv == 0)
    return berth_throw (error, BERTH_ERROR_FAILED, "%s: libblkid failed", what);
  return berth_throw_errno_code (error, errsv, what);
}
