#include "util-mbedtls.h"

#include <mbedtls/error.h>

gboolean
berth_throw_mbedtls (GError **error, int rc, const char *what)
{
  char buf[256]; /* mbedtls's own examples use buffers of this size */
  mbedtls_strerror (rc, buf, sizeof buf);
  return berth_throw (error, BERTH_ERROR_FAILED, "%s: %s (mbedtls -0x%04x)", what, buf,
                      (unsigned)-rc);
}
