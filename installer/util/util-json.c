#include "util-json.h"

gboolean
berth_throw_json (GError **error, const json_error_t *jerr, const char *what)
{
  return berth_throw (error, BERTH_ERROR_FAILED, "%s: invalid JSON at line %d, column %d: %s", what,
                      jerr->line, jerr->column, jerr->text);
}
