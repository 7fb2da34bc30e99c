#include "util-archive.h"

gboolean
berth_throw_archive (GError **error, struct archive *a, const char *what)
{
  const char *msg = archive_error_string (a);
  int errsv = archive_errno (a);
  /* libarchive reports truncated or corrupt input as ARCHIVE_ERRNO_MISC with a message; a
   * real errno (ENOMEM, EIO) keeps its meaning. */
  if (msg == NULL && errsv > 0)
    return berth_throw_errno_code (error, errsv, what);
  return berth_throw (error, BERTH_ERROR_FAILED, "%s: %s", what,
                      msg != NULL ? msg : "unknown libarchive error");
}
