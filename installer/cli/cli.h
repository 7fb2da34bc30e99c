/* cli: the `berth` program. The only module that prints.
 *
 * Owns: argument parsing, the command table, rendering results, errors and progress for
 * humans and as JSON, exit statuses (0 success, 1 failure, 2 usage error, 128 + N after
 * signal N interrupted a command), and the signals that interrupt one.
 * Depends on every module below it.
 */
#pragma once

#include <jansson.h>

#include "import/import.h"
#include "oci/oci-source.h"
#include "plan/plan-install.h"
#include "util/util.h"

G_BEGIN_DECLS

/* Exit statuses, as coreos-installer and most CLIs use them. */
enum
{
  BERTH_EXIT_OK = 0,
  BERTH_EXIT_FAILURE = 1,
  BERTH_EXIT_USAGE = 2,
};

typedef struct BerthCommand BerthCommand;

/* A subcommand: argv[0] is the command name. Returns an exit status. */
typedef int (*BerthCommandFunc) (const BerthCommand *cmd, int argc, char **argv);

struct BerthCommand
{
  const char *name;
  const char *params;  /* e.g. "IMAGE --repo DIR" */
  const char *summary; /* one line, for `berth --help` */
  BerthCommandFunc run;
};

/* Parses a command's options with GOption: handles --help, and turns unknown options into a
 * usage error. Returns FALSE with *out_exit set when the command should end now. */
gboolean berth_cli_parse (const BerthCommand *cmd, GOptionEntry *entries, int *argc, char ***argv,
                          int *out_exit);

/* The same with a second group of options (shared ones, e.g. the image options). */
gboolean berth_cli_parse_with (const BerthCommand *cmd, GOptionEntry *entries,
                               GOptionEntry *shared_entries, int *argc, char ***argv,
                               int *out_exit);

/* A usage error: prints "berth CMD: MESSAGE" and how to get help; returns BERTH_EXIT_USAGE. */
int berth_cli_usage (const BerthCommand *cmd, const char *message);

/* The image options every image command takes (--authfile, --creds, --cert-dir,
 * --tls-verify, --arch), and their values once parsed (cli-image.c). */
extern GOptionEntry berth_cli_image_entries[];
gboolean berth_cli_image_options (BerthSourceOptions *out, GError **error);
/* The registry part of those from other option values (a copy's --dest-* options):
 * @option_prefix ("dest-") is how their names start, for messages. */
gboolean berth_cli_registry_options (BerthSourceOptions *out, const char *tls_verify,
                                     const char *creds, const char *cert_dir, const char *authfile,
                                     const char *option_prefix, GError **error);
/* An IMAGE argument, reading registries.conf only for a short name. */
BerthImageRef *berth_cli_parse_image (const char *input, GError **error);
/* The pull's progress on stderr, one line per layer (berth pull, berth upgrade): a
 * BerthPullOptions.progress whose progress_data is the image's BerthManifest. */
void berth_cli_print_pull_event (BerthImportEvent event, int layer_index,
                                 const BerthImportLayerStats *stats, gpointer manifest);

/* The commands, one per file. */
int berth_cmd_inspect (const BerthCommand *cmd, int argc, char **argv);
int berth_cmd_pull (const BerthCommand *cmd, int argc, char **argv);
int berth_cmd_install (const BerthCommand *cmd, int argc, char **argv);
int berth_cmd_kargs (const BerthCommand *cmd, int argc, char **argv);
int berth_cmd_kickstart (const BerthCommand *cmd, int argc, char **argv);
int berth_cmd_upgrade (const BerthCommand *cmd, int argc, char **argv);
/* berth image SUBCOMMAND (cli-image-group.c) and its subcommands. */
int berth_cmd_image (const BerthCommand *cmd, int argc, char **argv);
int berth_cmd_image_copy (const BerthCommand *cmd, int argc, char **argv);
int berth_cmd_image_encapsulate (const BerthCommand *cmd, int argc, char **argv);

/* From now on SIGINT, SIGTERM and SIGHUP cancel @cancellable (once; later ones are reported
 * and ignored, so a rollback runs to its end) and say they are stopping @what ("the install").
 * berth_cli_caught_signal () is the first one caught, 0 when none: the command then exits
 * 128 + it, as a shell reports a process killed by it. */
gboolean berth_cli_catch_signals (GCancellable *cancellable, const char *what, GError **error);
int berth_cli_caught_signal (void);
const char *berth_cli_signal_name (int signo); /* "SIGINT" */

/* The berth executable (/proc/self/exe): the chroot runner the boot module and ostree start for
 * the image's GRUB tools (berth_boot_runner_main); NULL when it cannot be read. */
char *berth_cli_runner_path (void);

/* berth install's plan, rendered (cli-install-plan.c): text, and JSON for --dry-run --json.
 * Takes a BerthInstallPlanView (plan/plan-install.h). */
char *berth_cli_install_plan_describe (const BerthInstallPlanView *view);
json_t *berth_cli_install_plan_to_json (const BerthInstallPlanView *view);

/* berth install's plan and apply with its progress, for `berth install` and `berth kickstart`:
 * --dry-run (@dry_run) prints the plan (@json: as JSON) after the preview; else the plan on
 * stderr, the apply, what a failure undid. Returns the exit status. */
int berth_cli_install_run (const BerthCommand *cmd, const BerthInstallOptions *options,
                           gboolean dry_run, gboolean json);

/* Prints "berth: MESSAGE" on stderr and returns the exit status @error's code calls for. */
int berth_cli_fail (const BerthCommand *cmd, const GError *error);

G_END_DECLS
