/* mbedtls at the util boundary (digests and signature checks). */
#pragma once

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "util.h"

/* These contexts live on the stack, so they are auto types with a clear function:
 *   g_auto (mbedtls_sha256_context) sha = { 0 }; mbedtls_sha256_init (&sha); */
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (mbedtls_sha256_context, mbedtls_sha256_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (mbedtls_pk_context, mbedtls_pk_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (mbedtls_x509_crt, mbedtls_x509_crt_free)

/* A negative mbedtls status, described by mbedtls_strerror. */
gboolean berth_throw_mbedtls (GError **error, int rc, const char *what);
