#include "util-curl.h"

gboolean
berth_throw_curl (GError **error, CURLcode code, const char *errbuf, const char *what)
{
  BerthErrorCode bcode;
  switch (code)
    {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      bcode = BERTH_ERROR_RETRYABLE;
      break;
    case CURLE_ABORTED_BY_CALLBACK:
      bcode = BERTH_ERROR_CANCELLED;
      break;
    case CURLE_FILESIZE_EXCEEDED:
      bcode = BERTH_ERROR_TOO_LARGE;
      break;
    default:
      bcode = BERTH_ERROR_FAILED;
      break;
    }
  /* The error buffer is more specific than the generic string when curl filled it. */
  const char *detail = (errbuf != NULL && *errbuf != '\0') ? errbuf : curl_easy_strerror (code);
  return berth_throw (error, bcode, "%s: %s", what, detail);
}

gboolean
berth_throw_http_status (GError **error, long status, const char *what)
{
  BerthErrorCode bcode;
  if (status == 401 || status == 403)
    bcode = BERTH_ERROR_AUTH;
  else if (status == 404)
    bcode = BERTH_ERROR_NOT_FOUND;
  else if (status == 408 || status == 429 || (status >= 500 && status <= 599))
    bcode = BERTH_ERROR_RETRYABLE;
  else
    bcode = BERTH_ERROR_FAILED;
  return berth_throw (error, bcode, "%s: HTTP status %ld", what, status);
}
