/* Fuzz target: kernel command line parsing and ostree-style edits (kargs/kargs-cmdline.c).
 * The bytes are a command line (up to the first NUL, as the kernel's is a C string). Besides
 * "no crash, no leak", it checks the parser's promises:
 *  - nothing changed: the exact input is printed back;
 *  - the arguments joined by single spaces parse back to the same arguments;
 *  - a failed edit leaves the command line exactly as it was. */
#include "kargs/kargs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          g_printerr ("fuzz-cmdline: check failed: %s (line %d)\n", #cond, __LINE__);              \
          abort ();                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* The kernel's COMMAND_LINE_SIZE is 2 KiB on x86 and arm64, 4 KiB at most elsewhere; the
 * edits below are quadratic, so longer inputs only slow the fuzzer down. */
#define FUZZ_MAX_INPUT 4096

static void
check_same_args (const BerthKargs *a, const BerthKargs *b)
{
  CHECK (berth_kargs_get_length (a) == berth_kargs_get_length (b));
  for (guint i = 0; i < berth_kargs_get_length (a); i++)
    {
      const BerthKarg *x = berth_kargs_get (a, i), *y = berth_kargs_get (b, i);
      CHECK (strcmp (x->raw, y->raw) == 0);
      CHECK (strcmp (x->key, y->key) == 0);
      CHECK (g_strcmp0 (x->value, y->value) == 0);
      CHECK (berth_karg_equal (x, y));
      CHECK (x->raw[0] != '\0');
    }
  CHECK (berth_kargs_equal (a, b));
}

/* Runs @edit on a copy of @kargs; on failure the copy must print exactly as before. */
static void
try_edit (const BerthKargs *kargs, const char *arg, int which)
{
  g_autoptr (BerthKargs) work = berth_kargs_copy (kargs);
  g_autofree char *before = berth_kargs_to_string (work);
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;
  switch (which)
    {
    case 0:
      ok = berth_kargs_delete (work, arg, &error);
      break;
    case 1:
      ok = berth_kargs_delete_if_present (work, arg, &error);
      break;
    case 2:
      ok = berth_kargs_replace (work, arg, NULL, &error);
      break;
    case 3:
      berth_kargs_set (work, arg, NULL);
      break;
    case 4:
      berth_kargs_append_if_missing (work, arg, NULL);
      break;
    case 5:
      berth_kargs_remove (work, arg);
      break;
    default:
      berth_kargs_add (work, arg, NULL);
      break;
    }
  g_autofree char *after = berth_kargs_to_string (work);
  if (!ok)
    {
      CHECK (error != NULL && error->domain == BERTH_ERROR);
      CHECK (strcmp (before, after) == 0);
    }
  else
    CHECK (error == NULL);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > FUZZ_MAX_INPUT)
    return 0;
  g_autofree char *text = g_strndup ((const char *)data, size);

  g_autoptr (BerthKargs) kargs = berth_kargs_parse (text, NULL);
  g_autofree char *printed = berth_kargs_to_string (kargs);
  CHECK (strcmp (printed, text) == 0);

  g_auto (GStrv) strv = berth_kargs_to_strv (kargs);
  g_autofree char *joined = g_strjoinv (" ", strv);
  g_autoptr (BerthKargs) again = berth_kargs_parse (joined, NULL);
  check_same_args (kargs, again);

  g_autoptr (BerthKarg) first = berth_karg_parse (text);
  CHECK ((first == NULL) == (berth_kargs_get_length (kargs) == 0));
  if (first != NULL)
    {
      CHECK (berth_karg_equal (first, berth_kargs_get (kargs, 0)));
      CHECK (berth_kargs_find (kargs, first->key) != NULL);
    }

  /* Edit with the line's own arguments (each exists, so most edits find something). */
  guint n = MIN (berth_kargs_get_length (kargs), 3);
  for (guint i = 0; i < n; i++)
    for (int which = 0; which < 7; which++)
      try_edit (kargs, berth_kargs_get (kargs, i)->raw, which);
  /* And with the whole line as one multi-argument edit. */
  for (int which = 0; which < 7; which++)
    try_edit (kargs, text, which);

  /* A kargs.d update that swaps the line for its own reverse. */
  g_autoptr (BerthKargs) reversed = berth_kargs_new ();
  for (guint i = berth_kargs_get_length (kargs); i-- > 0;)
    berth_kargs_append (reversed, berth_kargs_get (kargs, i)->raw, NULL);
  g_autoptr (BerthKargs) target = berth_kargs_copy (kargs);
  berth_kargs_apply_kargs_d_update (target, kargs, reversed);
  return 0;
}
