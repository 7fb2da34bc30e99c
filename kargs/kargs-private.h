/* Helpers shared by the kargs module's sources; not part of its interface. */
#pragma once

#include "kargs.h"

G_BEGIN_DECLS

/* One argument as split by the kernel: @start and @len index the input. */
typedef struct
{
  gsize start;
  gsize len;
} BerthKargsToken;

/* Splits @cmdline into tokens, as berth_kargs_parse does. */
GArray *berth_kargs_tokenize (const char *cmdline);

/* A new argument from @len raw bytes at @raw, with a copy of @source (may be NULL). */
BerthKarg *berth_karg_new (const char *raw, gsize len, const BerthKargsSource *source);

/* Appends @karg (taken) to @kargs. */
void berth_kargs_take (BerthKargs *kargs, BerthKarg *karg);
/* Appends a copy of @karg, or of every argument of @from, keeping their sources; no
 * de-duplication. */
void berth_kargs_append_copy (BerthKargs *kargs, const BerthKarg *karg);
void berth_kargs_append_all (BerthKargs *kargs, const BerthKargs *from);
/* berth_kargs_remove for one parsed argument. */
guint berth_kargs_remove_karg (BerthKargs *kargs, const BerthKarg *arg);

G_END_DECLS
