/* libcurl at the util boundary: cleanups and the one error mapper. Only the oci module
 * includes this (STYLE.md: only the OCI module talks to curl). */
#pragma once

#include <curl/curl.h>

#include "util.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURLM, curl_multi_cleanup)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURLU, curl_url_cleanup)
typedef struct curl_slist BerthCurlSlist;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthCurlSlist, curl_slist_free_all)

/* A transfer error: transient network failures (refused, reset, timed out, cut short) become
 * BERTH_ERROR_RETRYABLE so the caller retries and resumes; TLS verification failures and the
 * rest are final. @errbuf is CURLOPT_ERRORBUFFER (may be empty or NULL). */
gboolean berth_throw_curl (GError **error, CURLcode code, const char *errbuf, const char *what);

/* An HTTP status that is not success: 401/403 -> AUTH, 404 -> NOT_FOUND, 408/429/5xx ->
 * RETRYABLE, other 4xx -> FAILED. */
gboolean berth_throw_http_status (GError **error, long status, const char *what);
