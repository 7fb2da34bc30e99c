/* jansson at the util boundary. Only the oci and plan modules include this. */
#pragma once

#include <jansson.h>

#include "util.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, json_decref)

/* A parse error, with jansson's line and column. */
gboolean berth_throw_json (GError **error, const json_error_t *jerr, const char *what);
