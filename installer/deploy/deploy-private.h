/* What the deploy module's files share, and nothing outside it uses. */
#pragma once

#include "deploy/deploy.h"

G_BEGIN_DECLS

/* libostree 2022.7 prints "note: Deploying commit X which contains content in /var/Y that will
 * be ignored." to stderr (fprintf) for every top-level /var entry, on every deploy. An install
 * seeds the stateroot's /var from the image itself (so the notes would mislead), and an upgrade
 * keeps /var as ostree always does (so they would repeat what every upgrade does, once per
 * entry): while libostree deploys, stderr goes through a pipe whose reader drops them
 * (berth_deploy_is_var_note) and passes every other line. */
typedef struct
{
  int saved; /* the real stderr */
  int read_fd;
  GThread *reader;
} BerthStderrFilter;

void berth_deploy_stderr_filter_start (BerthStderrFilter *filter);
void berth_deploy_stderr_filter_stop (BerthStderrFilter *filter);

/* The environment of OSTREE_GRUB2_EXEC (deploy.h) around a write of the boot configuration:
 * set by _begin when @sysroot's bootloader is grub2 and @exec is given (else nothing), unset by
 * _end, which adds the program's output to a failure's @error. */
typedef struct
{
  gboolean active;
  char *log;
} BerthGrub2Env;

gboolean berth_deploy_grub2_env_begin (BerthGrub2Env *env, OstreeSysroot *sysroot,
                                       const char *deployment_path, const char *exec,
                                       GError **error);
void berth_deploy_grub2_env_end (BerthGrub2Env *env, gboolean ok, GError **error);

G_END_DECLS
