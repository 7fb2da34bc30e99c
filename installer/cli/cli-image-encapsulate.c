/* berth image encapsulate: an ostree commit as an ostree-format container image. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "export/export.h"
#include "oci/oci-push.h"
#include "oci/oci.h"
#include "util/util-json.h"

static char *opt_repo;
static int opt_max_layers;
static char **opt_labels;
static char *opt_compression;
static gboolean opt_json;

static gboolean
parse_labels (GHashTable *labels, GError **error)
{
  for (char **l = opt_labels; l != NULL && *l != NULL; l++)
    {
      const char *eq = strchr (*l, '=');
      if (eq == NULL || eq == *l)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "--label takes KEY=VALUE, not '%s'", *l);
      g_hash_table_insert (labels, g_strndup (*l, (gsize)(eq - *l)), g_strdup (eq + 1));
    }
  return TRUE;
}

static gboolean
parse_compression (BerthCompression *out, GError **error)
{
  if (opt_compression == NULL || g_str_equal (opt_compression, "gzip"))
    *out = BERTH_COMPRESSION_GZIP;
  else if (g_str_equal (opt_compression, "zstd"))
    *out = BERTH_COMPRESSION_ZSTD;
  else if (g_str_equal (opt_compression, "none"))
    *out = BERTH_COMPRESSION_NONE;
  else
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                        "--compression takes gzip, zstd or none, not '%s'", opt_compression);
  return TRUE;
}

static void
print_result (const char *dest, const BerthEncapsulateResult *r)
{
  if (opt_json)
    {
      g_autoptr (json_t) obj = json_pack (
        "{s:s, s:s, s:s, s:I, s:s, s:i, s:i, s:I, s:I, s:b}", "destination", dest, "commit",
        r->commit, "manifest_digest", r->manifest_digest, "manifest_size",
        (json_int_t)r->manifest_size, "architecture", r->architecture, "layers", (int)r->n_layers,
        "content_objects", (int)r->n_objects, "tar_bytes", (json_int_t)r->bytes_tar, "blob_bytes",
        (json_int_t)r->bytes_blobs, "signed", r->signed_commit);
      g_autofree char *text = json_dumps (obj, JSON_INDENT (2) | JSON_SORT_KEYS);
      printf ("%s\n", text);
      return;
    }
  g_autofree char *tar = g_format_size (r->bytes_tar);
  g_autofree char *blobs = g_format_size (r->bytes_blobs);
  printf ("commit %s%s\n", r->commit,
          r->signed_commit ? " (signed: its detached metadata is in layer 0)" : " (unsigned)");
  printf ("%u ostree layers, %u content objects, %s of tar in %s of blobs\n", r->n_layers,
          r->n_objects, tar, blobs);
  printf ("%s %s\n", dest, r->manifest_digest);
}

int
berth_cmd_image_encapsulate (const BerthCommand *cmd, int argc, char **argv)
{
  GOptionEntry entries[]
    = { { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo, "The ostree repository holding REV",
          "DIR" },
        { "max-layers", 0, 0, G_OPTION_ARG_INT, &opt_max_layers,
          "ostree layers in all, the commit layer included (default 64; 1: the single-layer "
          "form)",
          "N" },
        { "label", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_labels,
          "A label (and manifest annotation) over the ones taken from the commit; repeatable",
          "KEY=VALUE" },
        { "compression", 0, 0, G_OPTION_ARG_STRING, &opt_compression,
          "Layer compression (default gzip)", "gzip|zstd|none" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print the result as JSON", NULL },
        { NULL } };
  int exit_status;
  if (!berth_cli_parse_with (cmd, entries, berth_cli_image_entries, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 3)
    return berth_cli_usage (cmd, "takes REV and DEST");
  if (opt_repo == NULL)
    return berth_cli_usage (cmd, "needs --repo DIR");
  if (opt_max_layers < 0 || opt_max_layers > BERTH_EXPORT_MAX_LAYERS_LIMIT)
    return berth_cli_usage (cmd, "--max-layers takes 1 to 127");

  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  BerthEncapsulateOptions options = { .max_layers = (guint)opt_max_layers, .labels = labels };
  BerthSourceOptions image_options;
  if (!parse_labels (labels, &error) || !parse_compression (&options.compression, &error)
      || !berth_cli_image_options (&image_options, &error))
    return berth_cli_usage (cmd, error->message);
  if (image_options.architecture != NULL)
    {
      options.architecture = berth_oci_arch_from_uname (image_options.architecture);
      if (options.architecture == NULL)
        options.architecture = image_options.architecture;
    }

  const char *rev = argv[1];
  const char *dest_input = argv[2];
  g_autoptr (BerthImageRef) dest = berth_image_ref_parse (dest_input, NULL, &error);
  if (dest == NULL)
    return berth_cli_usage (cmd, error->message);
  if (dest->sigverify != BERTH_SIGVERIFY_NONE)
    return berth_cli_usage (cmd, "DEST names where the image goes (oci:DIR:TAG, oci-archive:FILE, "
                                 "docker://HOST/NAME:TAG); an ostree- signature prefix belongs to "
                                 "the reference a system pulls from");
  if (!berth_image_ref_check_writable (dest, &error))
    return berth_cli_usage (cmd, error->message);

  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  if (!berth_cli_catch_signals (cancellable, "the encapsulation", &error))
    return berth_cli_fail (cmd, error);
  /* oci: is written in place; other destinations get the image through a temporary layout
   * (in $TMPDIR), copied by berth_image_write once it is whole. */
  g_autofree char *tmp_layout = NULL;
  if (dest->transport != BERTH_TRANSPORT_OCI)
    {
      tmp_layout = g_dir_make_tmp ("berth-encapsulate-XXXXXX", &error);
      if (tmp_layout == NULL)
        return berth_cli_fail (cmd, error);
    }
  g_autoptr (BerthEncapsulateResult) result
    = berth_export_encapsulate (opt_repo, rev, tmp_layout ? tmp_layout : dest->path,
                                tmp_layout ? NULL : dest->tag, &options, cancellable, &error);
  gboolean ok = result != NULL;
  if (ok && tmp_layout != NULL)
    ok = berth_image_write (tmp_layout, result->manifest_digest, dest, &image_options, NULL,
                            cancellable, &error);
  if (tmp_layout != NULL)
    {
      g_autoptr (GError) rm_error = NULL;
      if (!berth_spawn_simple (&rm_error, "rm", "-rf", "--", tmp_layout, NULL))
        g_printerr ("berth %s: %s\n", cmd->name, rm_error->message);
    }
  if (!ok)
    return berth_cli_fail (cmd, error);
  print_result (dest_input, result);
  return BERTH_EXIT_OK;
}
