/* berth install: options named as bootc names them; plan, print or apply. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "plan/plan-install.h"
#include "util/util-json.h"

static gboolean opt_via_loopback;
static gboolean opt_to_filesystem;
static char *opt_root_mount_spec;
static char *opt_boot_mount_spec;
static char *opt_size;
static gboolean opt_wipe;
static char *opt_filesystem;
static char *opt_root_size;
static char *opt_boot_size;
static char *opt_stateroot;
static char *opt_target_imgref;
static char **opt_karg;
static char **opt_karg_delete;
static char *opt_console;
static char *opt_bootloader;
static char *opt_firmware;
static gboolean opt_secure_boot;
static char *opt_ssh_keys;
static gboolean opt_dry_run;
static gboolean opt_json;
static gboolean opt_preserve;
static char *opt_uuid_seed;
static char *opt_ostree_remote_config;

/* "10G", "512M", "1T", "4096" (bytes). Binary units, as bootc and coreos-installer read them. */
static gboolean
parse_size (const char *option, const char *text, guint64 *out, GError **error)
{
  char *end = NULL;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  guint64 mult = 1;
  if (end == text)
    goto bad;
  switch (g_ascii_toupper (*end))
    {
    case '\0':
      break;
    case 'K':
      mult = 1024;
      break;
    case 'M':
      mult = BERTH_DISK_MiB;
      break;
    case 'G':
      mult = BERTH_DISK_GiB;
      break;
    case 'T':
      mult = BERTH_DISK_GiB * 1024;
      break;
    default:
      goto bad;
    }
  if (*end != '\0' && end[1] != '\0' && g_ascii_strcasecmp (end + 1, "iB") != 0
      && g_ascii_strcasecmp (end + 1, "B") != 0)
    goto bad;
  if (n == 0 || n > G_MAXUINT64 / mult)
    goto bad;
  *out = n * mult;
  return TRUE;
bad:
  return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                      "%s '%s': give a size like 10G, 512M or 1024K", option, text);
}

static int opt_progress_fd = -1;

/* Progress on stderr: a bar for the pull's bytes when stderr is a terminal, plain lines
 * otherwise. With --progress-fd N also one JSON object per event on fd N, for a GUI or
 * Anaconda:
 *   {"step": "pull",
 *    "message": "layer 2/6 sha256:76f0e71f4dae: 46.3 MB fetched (gzip), 1142 files with 99.6 MB",
 *    "layer": 2, "layers": 6, "bytesDone": 48544432, "bytesTotal": 148897011}
 *   {"step": "pull", "bytesDone": 50331648, "bytesTotal": 148897011, "layers": 6}
 * byte updates have no message; every event has "step". */
static gboolean stderr_is_tty;
static gboolean bar_shown;
static guint layers_done; /* the pull's layer events: one per layer, imported or present */

static void
write_all (int fd, const char *s)
{
  size_t len = strlen (s);
  while (len > 0)
    {
      ssize_t n = write (fd, s, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_printerr ("berth install: --progress-fd %d: %s; no more progress events\n",
                      opt_progress_fd, g_strerror (errno));
          opt_progress_fd = -1;
          return;
        }
      s += n;
      len -= (size_t)n;
    }
}

static void
draw_bar (const BerthInstallEvent *e)
{
  enum
  {
    WIDTH = 30
  };
  guint64 total = MAX (e->bytes_total, 1);
  guint64 done = MIN (e->bytes_done, total);
  guint fill = (guint)(done * WIDTH / total);
  char bar[WIDTH + 1];
  memset (bar, '#', fill);
  memset (bar + fill, '-', WIDTH - fill);
  bar[WIDTH] = '\0';
  g_autofree char *d = g_format_size (e->bytes_done);
  g_autofree char *t = g_format_size (e->bytes_total);
  g_printerr ("\r\033[K[pull] [%s] %3u%%  %s of %s, %u/%u layers", bar, (guint)(done * 100 / total),
              d, t, layers_done, e->n_layers);
  bar_shown = TRUE;
}

static void
on_progress (const BerthInstallEvent *e, gpointer user_data)
{
  if (e->layer > 0 && e->message != NULL)
    layers_done++;
  if (e->message != NULL)
    {
      if (bar_shown)
        g_printerr ("\r\033[K");
      g_printerr ("[%s] %s\n", e->step, e->message);
      bar_shown = FALSE;
    }
  if (stderr_is_tty && e->bytes_total > 0)
    draw_bar (e);
  if (opt_progress_fd < 0)
    return;
  g_autoptr (json_t) event = json_object ();
  json_object_set_new (event, "step", json_string (e->step));
  if (e->message != NULL)
    json_object_set_new (event, "message", json_string (e->message));
  if (e->layer > 0)
    json_object_set_new (event, "layer", json_integer (e->layer));
  if (e->n_layers > 0)
    {
      json_object_set_new (event, "layers", json_integer (e->n_layers));
      json_object_set_new (event, "bytesDone", json_integer ((json_int_t)e->bytes_done));
      json_object_set_new (event, "bytesTotal", json_integer ((json_int_t)e->bytes_total));
    }
  g_autofree char *line = json_dumps (event, JSON_COMPACT);
  g_autofree char *nl = g_strconcat (line, "\n", NULL);
  write_all (opt_progress_fd, nl);
}

/* A failure before anything was written (the plan, the dry run's preview). */
static int
interrupted_before (const BerthCommand *cmd, const char *target, const GError *error)
{
  int signo = berth_cli_caught_signal ();
  if (signo == 0)
    return berth_cli_fail (cmd, error);
  g_printerr ("berth %s: interrupted by %s while planning; nothing was written to %s\n", cmd->name,
              berth_cli_signal_name (signo), target);
  return 128 + signo;
}

/* A failed or interrupted apply: what failed, and what the rollback undid. */
static int
apply_failed (const BerthCommand *cmd, const BerthInstallPlan *plan, const char *target,
              const GError *error)
{
  int signo = berth_cli_caught_signal ();
  const char *failed_step = berth_install_plan_get_failed_step (plan);
  if (signo != 0)
    g_printerr ("berth %s: interrupted by %s during step '%s'\n", cmd->name,
                berth_cli_signal_name (signo), failed_step ? failed_step : "?");
  else
    (void)berth_cli_fail (cmd, error);
  const char *const *undone = berth_install_plan_get_undone (plan);
  if (undone != NULL && undone[0] != NULL)
    {
      g_printerr ("Undone:\n");
      for (const char *const *u = undone; *u != NULL; u++)
        g_printerr ("  %s\n", *u);
    }
  else
    g_printerr ("Nothing had been written to %s.\n", target);
  return signo != 0 ? 128 + signo : BERTH_EXIT_FAILURE;
}

int
berth_cmd_install (const BerthCommand *cmd, int argc, char **argv)
{
  GOptionEntry entries[]
    = { { "via-loopback", 0, 0, G_OPTION_ARG_NONE, &opt_via_loopback,
          "TARGET is a disk image file (created sparse when missing)", NULL },
        { "to-filesystem", 0, 0, G_OPTION_ARG_NONE, &opt_to_filesystem,
          "TARGET is a mounted root filesystem, with /boot (and the ESP at boot/efi) mounted "
          "below it if separate",
          NULL },
        { "root-mount-spec", 0, 0, G_OPTION_ARG_STRING, &opt_root_mount_spec,
          "With --to-filesystem: root= (default UUID= of TARGET's filesystem)", "SPEC" },
        { "boot-mount-spec", 0, 0, G_OPTION_ARG_STRING, &opt_boot_mount_spec,
          "With --to-filesystem: boot= and /etc/fstab's /boot (default UUID= of TARGET/boot's)",
          "SPEC" },
        { "size", 0, 0, G_OPTION_ARG_STRING, &opt_size,
          "--via-loopback: size of a new file (default 10G); grows an existing one", "SIZE" },
        { "wipe", 0, 0, G_OPTION_ARG_NONE, &opt_wipe,
          "Erase the partitions and filesystems found on TARGET", NULL },
        { "filesystem", 0, 0, G_OPTION_ARG_STRING, &opt_filesystem,
          "Root filesystem: xfs, ext4 or btrfs (default: the image's install configuration's, "
          "else xfs)",
          "FS" },
        { "root-size", 0, 0, G_OPTION_ARG_STRING, &opt_root_size,
          "Root partition size (default: the rest of the disk)", "SIZE" },
        { "boot-size", 0, 0, G_OPTION_ARG_STRING, &opt_boot_size,
          "/boot partition size (default 1G)", "SIZE" },
        { "stateroot", 0, 0, G_OPTION_ARG_STRING, &opt_stateroot,
          "ostree stateroot (default: default)", "NAME" },
        { "target-imgref", 0, 0, G_OPTION_ARG_STRING, &opt_target_imgref,
          "The image the installed system updates from (default: IMAGE)", "REF" },
        { "karg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_karg, "Add a kernel argument (repeatable)",
          "ARG" },
        { "karg-delete", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_karg_delete,
          "Remove a kernel argument by KEY or KEY=VALUE (repeatable)", "KEY" },
        { "console", 0, 0, G_OPTION_ARG_STRING, &opt_console,
          "Kernel console, as console= takes it", "TTY[,OPTS]" },
        { "bootloader", 0, 0, G_OPTION_ARG_STRING, &opt_bootloader,
          "auto (default: what the image carries, GRUB first), systemd-boot, grub, extlinux "
          "(U-Boot boards), or none (BLS entries only)",
          "LOADER" },
        { "firmware", 0, 0, G_OPTION_ARG_STRING, &opt_firmware,
          "auto (default: UEFI, and BIOS when the loader can), uefi, bios or both", "FIRMWARE" },
        { "secure-boot", 0, 0, G_OPTION_ARG_NONE, &opt_secure_boot,
          "Refuse a bootloader that would not boot with Secure Boot on", NULL },
        { "root-ssh-authorized-keys", 0, 0, G_OPTION_ARG_FILENAME, &opt_ssh_keys,
          "Install these SSH keys for root", "FILE" },
        { "ostree-remote-config", 0, 0, G_OPTION_ARG_FILENAME, &opt_ostree_remote_config,
          "With an ostree-remote-* IMAGE: the ostree remote file whose gpgkeypath keys check the "
          "commit's signature (default: /etc/ostree/remotes.d/REMOTE.conf)",
          "FILE" },
        { "dry-run", 0, 0, G_OPTION_ARG_NONE, &opt_dry_run, "Print the plan; write nothing", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "With --dry-run: the plan as JSON", NULL },
        { "progress-fd", 0, 0, G_OPTION_ARG_INT, &opt_progress_fd,
          "Also write progress as JSON lines to file descriptor N", "N" },
        { "preserve-on-error", 0, 0, G_OPTION_ARG_NONE, &opt_preserve,
          "Keep the partition table when the install fails", NULL },
        { "uuid-seed", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_uuid_seed,
          "Derive every UUID from SEED (reproducible tests)", "SEED" },
        { NULL } };
  int exit_status;
  if (!berth_cli_parse_with (cmd, entries, berth_cli_image_entries, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 3)
    return berth_cli_usage (cmd, "takes IMAGE and TARGET");
  if (opt_progress_fd >= 0 && fcntl (opt_progress_fd, F_GETFD) < 0)
    return berth_cli_usage (cmd, "--progress-fd names a file descriptor that is not open");
  if (opt_json && !opt_dry_run)
    return berth_cli_usage (cmd, "--json goes with --dry-run");
  if (opt_ostree_remote_config != NULL && !g_str_has_prefix (argv[1], "ostree-remote-registry:")
      && !g_str_has_prefix (argv[1], "ostree-remote-image:"))
    {
      g_autofree char *msg = g_strdup_printf (
        "--ostree-remote-config goes with an IMAGE of the form ostree-remote-registry:REMOTE:NAME "
        "or ostree-remote-image:REMOTE:TRANSPORT:NAME: only those have their commit's signature "
        "checked with an ostree remote's keys, and %s names no remote",
        argv[1]);
      return berth_cli_usage (cmd, msg);
    }

  g_autoptr (GError) error = NULL;
  BerthInstallOptions o = { 0 };
  o.image = argv[1];
  o.target = argv[2];
  o.via_loopback = opt_via_loopback;
  o.to_filesystem = opt_to_filesystem;
  o.root_mount_spec = opt_root_mount_spec;
  o.boot_mount_spec = opt_boot_mount_spec;
  if (opt_to_filesystem)
    {
      const char *conflict = opt_via_loopback ? "--via-loopback"
                             : opt_wipe       ? "--wipe"
                             : opt_size       ? "--size"
                             : opt_filesystem ? "--filesystem"
                             : opt_root_size  ? "--root-size"
                             : opt_boot_size  ? "--boot-size"
                                              : NULL;
      if (conflict != NULL)
        {
          g_autofree char *msg
            = g_strdup_printf ("%s does not go with --to-filesystem, which installs into "
                               "filesystems the caller made and mounted",
                               conflict);
          return berth_cli_usage (cmd, msg);
        }
    }
  else if (opt_root_mount_spec != NULL || opt_boot_mount_spec != NULL)
    return berth_cli_usage (cmd, "--root-mount-spec and --boot-mount-spec go with "
                                 "--to-filesystem");
  o.wipe = opt_wipe;
  o.stateroot = opt_stateroot;
  o.target_imgref = opt_target_imgref;
  o.kargs = (const char *const *)opt_karg;
  o.karg_deletes = (const char *const *)opt_karg_delete;
  o.console = opt_console;
  o.preserve_on_error = opt_preserve;
  o.uuid_seed = opt_uuid_seed;
  o.ostree_remote_config = opt_ostree_remote_config;
  o.root_fs = BERTH_DISK_FS_NONE; /* the image's install configuration's, else xfs */
  o.bootloader = BERTH_BOOTLOADER_AUTO;
  if (!berth_cli_image_options (&o.source, &error))
    return berth_cli_fail (cmd, error);
  if (opt_filesystem != NULL && !berth_disk_fs_from_string (opt_filesystem, &o.root_fs, &error))
    return berth_cli_fail (cmd, error);
  if (opt_bootloader != NULL
      && !berth_bootloader_from_string (opt_bootloader, &o.bootloader, &error))
    return berth_cli_fail (cmd, error);
  o.firmware = BERTH_BOOT_FIRMWARE_AUTO;
  if (opt_firmware != NULL && !berth_boot_firmware_from_string (opt_firmware, &o.firmware, &error))
    return berth_cli_fail (cmd, error);
  o.secure_boot = opt_secure_boot;
  g_autofree char *runner = berth_cli_runner_path ();
  o.runner = runner;
  if ((opt_size && !parse_size ("--size", opt_size, &o.loopback_size, &error))
      || (opt_root_size && !parse_size ("--root-size", opt_root_size, &o.root_size, &error))
      || (opt_boot_size && !parse_size ("--boot-size", opt_boot_size, &o.boot_size, &error)))
    return berth_cli_fail (cmd, error);
  if (opt_size && !opt_via_loopback)
    return berth_cli_usage (cmd, "--size goes with --via-loopback");
  g_autofree char *keys = NULL;
  if (opt_ssh_keys != NULL)
    {
      if (!g_file_get_contents (opt_ssh_keys, &keys, NULL, &error))
        return berth_cli_fail (cmd, error);
      o.root_ssh_authorized_keys = keys;
    }
  return berth_cli_install_run (cmd, &o, opt_dry_run, opt_json);
}

int
berth_cli_install_run (const BerthCommand *cmd, const BerthInstallOptions *options,
                       gboolean dry_run, gboolean json)
{
  g_autoptr (GError) error = NULL;
  BerthInstallOptions o = *options;
  g_autofree char *runner = o.runner == NULL ? berth_cli_runner_path () : NULL;
  if (o.runner == NULL)
    o.runner = runner;
  if (!dry_run && geteuid () != 0)
    return berth_cli_usage (cmd, "needs root (it writes to TARGET); --dry-run does not");

  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  if (!berth_cli_catch_signals (cancellable, "the install", &error))
    return berth_cli_fail (cmd, error);
  g_autoptr (BerthInstallPlan) plan = berth_install_plan_new (&o, cancellable, &error);
  if (plan == NULL)
    return interrupted_before (cmd, o.target, error);
  if (dry_run)
    {
      g_printerr ("Reading the image's kargs.d and install configuration (the image is pulled "
                  "into a temporary repository; nothing is written to %s)\n",
                  o.target);
      if (!berth_install_plan_preview_kargs (plan, cancellable, &error))
        return interrupted_before (cmd, o.target, error);
      if (json)
        {
          g_autoptr (json_t) j
            = berth_cli_install_plan_to_json (berth_install_plan_get_view (plan));
          g_autofree char *text = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
          printf ("%s\n", text);
        }
      else
        {
          g_autofree char *text
            = berth_cli_install_plan_describe (berth_install_plan_get_view (plan));
          fputs (text, stdout);
        }
      return BERTH_EXIT_OK;
    }

  g_autofree char *text = berth_cli_install_plan_describe (berth_install_plan_get_view (plan));
  g_printerr ("%s", text);
  stderr_is_tty = isatty (STDERR_FILENO);
  if (!berth_install_plan_apply (plan, on_progress, NULL, cancellable, &error))
    {
      if (bar_shown)
        g_printerr ("\n");
      return apply_failed (cmd, plan, o.target, error);
    }
  g_autofree char *cmdline = berth_kargs_to_string (berth_install_plan_get_kargs (plan));
  g_printerr ("Installed. Kernel command line: %s\n", cmdline);
  int signo = berth_cli_caught_signal ();
  if (signo != 0)
    g_printerr ("berth install: %s came after the bootloader was written: the install was "
                "complete, so it was finished rather than undone\n",
                berth_cli_signal_name (signo));
  BerthInstallEvent done = { .step = "done", .message = cmdline };
  on_progress (&done, NULL);
  return BERTH_EXIT_OK;
}
