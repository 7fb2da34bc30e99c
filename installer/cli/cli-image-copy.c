/* berth image copy: an image from any transport berth reads to any it writes. */
#include "cli.h"

#include <stdio.h>

#include "oci/oci-push.h"
#include "oci/oci.h"

static char *opt_dest_authfile;
static char *opt_dest_creds;
static char *opt_dest_cert_dir;
static char *opt_dest_tls_verify;
static gboolean opt_quiet;

static int
copy_failed (const BerthCommand *cmd, const GError *error)
{
  int signo = berth_cli_caught_signal ();
  if (signo == 0)
    return berth_cli_fail (cmd, error);
  g_printerr ("berth %s: interrupted by %s; the destination names nothing new (blobs written "
              "before the interruption may stay)\n",
              cmd->name, berth_cli_signal_name (signo));
  return 128 + signo;
}

int
berth_cmd_image_copy (const BerthCommand *cmd, int argc, char **argv)
{
  /* skopeo copy's names for the destination's options; the image options are the source's. */
  GOptionEntry entries[]
    = { { "dest-authfile", 0, 0, G_OPTION_ARG_FILENAME, &opt_dest_authfile,
          "Credentials file for the destination registry (containers-auth.json(5)); default: "
          "REGISTRY_AUTH_FILE, then the usual places",
          "FILE" },
        { "dest-creds", 0, 0, G_OPTION_ARG_STRING, &opt_dest_creds,
          "Credentials for the destination registry", "USER:PASSWORD" },
        { "dest-cert-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dest_cert_dir,
          "CA certificates and client certificate for the destination registry; default "
          "/etc/containers/certs.d/HOST:PORT/",
          "DIR" },
        { "dest-tls-verify", 0, 0, G_OPTION_ARG_STRING, &opt_dest_tls_verify,
          "Verify the destination registry's TLS certificate (default true); false also allows "
          "plain http",
          "true|false" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "No summary on stderr", NULL },
        { NULL } };
  int exit_status;
  if (!berth_cli_parse_with (cmd, entries, berth_cli_image_entries, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 3)
    return berth_cli_usage (cmd, "takes SRC and DEST");

  g_autoptr (GError) error = NULL;
  BerthSourceOptions src_options;
  BerthSourceOptions dest_options;
  if (!berth_cli_image_options (&src_options, &error)
      || !berth_cli_registry_options (&dest_options, opt_dest_tls_verify, opt_dest_creds,
                                      opt_dest_cert_dir, opt_dest_authfile, "dest-", &error))
    return berth_cli_fail (cmd, error);
  dest_options.registry.creds_option = "--dest-creds";
  dest_options.registry.authfile_option = "--dest-authfile";

  g_autoptr (BerthImageRef) src_ref = berth_cli_parse_image (argv[1], &error);
  if (src_ref == NULL)
    return berth_cli_fail (cmd, error);
  /* A destination is never a short name to search for: it says where it goes. */
  g_autoptr (BerthImageRef) dest = berth_image_ref_parse (argv[2], NULL, &error);
  if (dest == NULL || !berth_image_ref_check_writable (dest, &error))
    return berth_cli_fail (cmd, error);

  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  if (!berth_cli_catch_signals (cancellable, "the copy", &error))
    return berth_cli_fail (cmd, error);
  g_autoptr (BerthImageSource) src
    = berth_image_source_open (src_ref, &src_options, cancellable, &error);
  if (src == NULL)
    return copy_failed (cmd, error);
  const BerthImageRef *resolved = berth_image_source_get_ref (src);
  const BerthResolvedImage *image = berth_image_source_get_image (src);

  BerthImageWriteStats stats;
  gboolean ok;
  if (resolved->transport == BERTH_TRANSPORT_OCI)
    /* From a layout: its blobs are linked into an oci: destination when they can be. */
    ok = berth_image_write (resolved->path, image->manifest_digest, dest, &dest_options, &stats,
                            cancellable, &error);
  else
    ok = berth_image_copy (src, dest, &dest_options, &stats, cancellable, &error);
  if (!ok)
    return copy_failed (cmd, error);

  if (!opt_quiet)
    {
      g_autofree char *to = berth_image_ref_to_string (dest);
      g_autofree char *size = g_format_size (stats.bytes);
      g_printerr ("copied to %s: %u blob%s written (%s), %u already there, %u manifest%s\n", to,
                  stats.blobs_written, stats.blobs_written == 1 ? "" : "s", size,
                  stats.blobs_skipped, stats.manifests_written,
                  stats.manifests_written == 1 ? "" : "s");
    }
  printf ("%s\n", image->manifest_digest);
  return BERTH_EXIT_OK;
}
