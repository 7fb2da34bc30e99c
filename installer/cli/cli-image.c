/* berth inspect and berth pull, and the image options every image command shares. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "import/import-pull.h"
#include "oci/oci.h"
#include "oci/oci-source.h"
#include "util/util-json.h"

/* ---- image options (pull, inspect, and install later) ------------------------------------ */

static char *opt_authfile;
static char *opt_creds;
static char *opt_cert_dir;
static char *opt_tls_verify;
static char *opt_arch;

GOptionEntry berth_cli_image_entries[]
  = { { "authfile", 0, 0, G_OPTION_ARG_FILENAME, &opt_authfile,
        "Credentials file (containers-auth.json(5)); default: REGISTRY_AUTH_FILE, then the usual "
        "places",
        "FILE" },
      { "creds", 0, 0, G_OPTION_ARG_STRING, &opt_creds, "Registry credentials", "USER:PASSWORD" },
      { "cert-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_cert_dir,
        "CA certificates (*.crt) and client certificate (*.cert, *.key) for the registry; default "
        "/etc/containers/certs.d/HOST:PORT/",
        "DIR" },
      { "tls-verify", 0, 0, G_OPTION_ARG_STRING, &opt_tls_verify,
        "Verify the registry's TLS certificate (default true); false also allows plain http",
        "true|false" },
      { "arch", 0, 0, G_OPTION_ARG_STRING, &opt_arch,
        "Architecture to pick from a multi-arch image (amd64, arm64, x86_64, aarch64...); default: "
        "this machine's",
        "ARCH" },
      { NULL } };

gboolean
berth_cli_registry_options (BerthSourceOptions *out, const char *tls_verify, const char *creds,
                            const char *cert_dir, const char *authfile, const char *option_prefix,
                            GError **error)
{
  memset (out, 0, sizeof *out);
  out->registry.tls_verify = TRUE;
  if (tls_verify != NULL)
    {
      if (g_ascii_strcasecmp (tls_verify, "true") == 0)
        out->registry.tls_verify = TRUE;
      else if (g_ascii_strcasecmp (tls_verify, "false") == 0)
        out->registry.tls_verify = FALSE;
      else
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "--%stls-verify takes true or false, not '%s'", option_prefix,
                            tls_verify);
    }
  if (creds != NULL)
    {
      /* validate now, with an error that never repeats the password */
      g_autoptr (BerthCredentials) c = berth_credentials_parse (creds, error);
      if (c == NULL)
        {
          if (*option_prefix != '\0')
            g_prefix_error (error, "--%screds: ", option_prefix);
          return FALSE;
        }
    }
  out->registry.cert_dir = cert_dir;
  out->creds = creds;
  out->authfile = authfile;
  /* Tests shorten the retry delays; never needed otherwise. */
  const char *base_ms = g_getenv ("BERTH_RETRY_BASE_MS");
  if (base_ms != NULL)
    out->registry.retry_base_ms = (guint)g_ascii_strtoull (base_ms, NULL, 10);
  return TRUE;
}

gboolean
berth_cli_image_options (BerthSourceOptions *out, GError **error)
{
  if (!berth_cli_registry_options (out, opt_tls_verify, opt_creds, opt_cert_dir, opt_authfile, "",
                                   error))
    return FALSE;
  out->architecture = opt_arch;
  return TRUE;
}

/* Parses IMAGE, reading registries.conf only for a short name. */
BerthImageRef *
berth_cli_parse_image (const char *input, GError **error)
{
  g_auto (GStrv) search = NULL;
  if (berth_image_ref_is_short_name (input))
    {
      /* CONTAINERS_REGISTRIES_CONF: the containers tools' own override. */
      if (!berth_registries_conf_load_search (g_getenv ("CONTAINERS_REGISTRIES_CONF"), NULL,
                                              &search, error))
        return NULL;
    }
  return berth_image_ref_parse (input, (const char *const *)search, error);
}

static BerthImageSource *
open_source (const char *input, GCancellable *cancellable, GError **error)
{
  BerthSourceOptions options;
  if (!berth_cli_image_options (&options, error))
    return NULL;
  g_autoptr (BerthImageRef) ref = berth_cli_parse_image (input, error);
  if (ref == NULL)
    return NULL;
  return berth_image_source_open (ref, &options, cancellable, error);
}

/* ---- berth inspect ------------------------------------------------------------------------ */

static gboolean opt_raw;

static json_t *
labels_json (GHashTable *labels)
{
  json_t *obj = json_object ();
  if (labels == NULL)
    return obj;
  g_autoptr (GList) keys = g_hash_table_get_keys (labels);
  keys = g_list_sort (keys, (GCompareFunc)strcmp);
  for (GList *l = keys; l != NULL; l = l->next)
    json_object_set_new (obj, l->data, json_string (g_hash_table_lookup (labels, l->data)));
  return obj;
}

int
berth_cmd_inspect (const BerthCommand *cmd, int argc, char **argv)
{
  GOptionEntry entries[]
    = { { "raw", 0, 0, G_OPTION_ARG_NONE, &opt_raw, "Print the manifest bytes as served", NULL },
        { NULL } };
  int exit_status;
  if (!berth_cli_parse_with (cmd, entries, berth_cli_image_entries, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return berth_cli_usage (cmd, "takes exactly one IMAGE");

  g_autoptr (GError) error = NULL;
  g_autoptr (BerthImageSource) src = open_source (argv[1], NULL, &error);
  if (src == NULL)
    return berth_cli_fail (cmd, error);

  if (opt_raw)
    {
      GBytes *raw = berth_image_source_get_raw_manifest (src);
      gsize len;
      const char *data = g_bytes_get_data (raw, &len);
      fwrite (data, 1, len, stdout);
      return BERTH_EXIT_OK;
    }

  const BerthResolvedImage *img = berth_image_source_get_image (src);
  g_autofree char *name = berth_image_ref_to_string (berth_image_source_get_ref (src));
  g_autoptr (json_t) out = json_object ();
  json_object_set_new (out, "name", json_string (name));
  json_object_set_new (out, "digest", json_string (img->manifest_digest));
  json_object_set_new (out, "mediaType",
                       json_string (berth_manifest_kind_to_media_type (img->manifest->kind)));
  json_object_set_new (out, "architecture", json_string (img->config->architecture));
  json_object_set_new (out, "os", json_string (img->config->os));
  if (img->config->variant != NULL)
    json_object_set_new (out, "variant", json_string (img->config->variant));
  json_object_set_new (out, "labels", labels_json (img->config->labels));
  json_t *layers = json_array ();
  for (guint i = 0; i < img->manifest->layers->len; i++)
    {
      const BerthDescriptor *d = img->manifest->layers->pdata[i];
      json_t *l = json_object ();
      json_object_set_new (l, "digest", json_string (d->digest));
      json_object_set_new (l, "size", json_integer (d->size));
      json_object_set_new (l, "mediaType", json_string (d->media_type));
      json_array_append_new (layers, l);
    }
  json_object_set_new (out, "layers", layers);
  json_object_set_new (out, "layersSize",
                       json_integer (berth_manifest_get_layers_size (img->manifest)));
  json_object_set_new (out, "bootable",
                       json_boolean (berth_image_config_is_bootable (img->config)));
  json_object_set_new (out, "ostreeCommit",
                       json_boolean (berth_image_config_has_ostree_commit (img->config)));
  g_autofree char *text = json_dumps (out, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  printf ("%s\n", text);
  return BERTH_EXIT_OK;
}

/* ---- berth pull --------------------------------------------------------------------------- */

static char *opt_repo;
static char *opt_target_imgref;
static int opt_workers;
static gboolean opt_quiet;

void
berth_cli_print_pull_event (BerthImportEvent event, int layer_index,
                            const BerthImportLayerStats *stats, gpointer manifest)
{
  const BerthManifest *m = manifest;
  const char *digest
    = layer_index >= 0 ? ((const BerthDescriptor *)m->layers->pdata[layer_index])->digest : NULL;
  g_autofree char *line
    = berth_import_event_describe (event, layer_index, m->layers->len, digest, stats);
  g_printerr ("%s\n", line);
}

static int
pull_failed (const BerthCommand *cmd, const GError *error)
{
  int signo = berth_cli_caught_signal ();
  if (signo == 0)
    return berth_cli_fail (cmd, error);
  g_printerr ("berth %s: interrupted by %s; the repository keeps only what was complete "
              "before (no ref was written for this pull)\n",
              cmd->name, berth_cli_signal_name (signo));
  return 128 + signo;
}

int
berth_cmd_pull (const BerthCommand *cmd, int argc, char **argv)
{
  GOptionEntry entries[]
    = { { "repo", 0, 0, G_OPTION_ARG_FILENAME, &opt_repo,
          "The ostree repository (created, mode bare, when missing)", "DIR" },
        { "target-imgref", 0, 0, G_OPTION_ARG_STRING, &opt_target_imgref,
          "Name the image ref after the reference the system will update from", "REF" },
        { "workers", 0, 0, G_OPTION_ARG_INT, &opt_workers,
          "Layers fetched and imported at once (default: the CPU count, at most 4)", "N" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "No progress lines on stderr", NULL },
        { NULL } };
  int exit_status;
  if (!berth_cli_parse_with (cmd, entries, berth_cli_image_entries, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return berth_cli_usage (cmd, "takes exactly one IMAGE");
  if (opt_repo == NULL)
    return berth_cli_usage (cmd, "needs --repo DIR");
  if (opt_workers < 0 || opt_workers > 64)
    return berth_cli_usage (cmd, "--workers takes 1 to 64");

  g_autoptr (GError) error = NULL;
  g_autofree char *target = NULL;
  if (opt_target_imgref != NULL)
    {
      /* The ref is named after the canonical form, as bootc will look it up. */
      g_autoptr (BerthImageRef) tref = berth_cli_parse_image (opt_target_imgref, &error);
      if (tref == NULL)
        return berth_cli_fail (cmd, error);
      target = berth_image_ref_to_string (tref);
    }

  /* An interrupt aborts the repo transaction: no ref is written for what was not complete. */
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  if (!berth_cli_catch_signals (cancellable, "the pull", &error))
    return berth_cli_fail (cmd, error);
  g_autoptr (BerthImageSource) src = open_source (argv[1], cancellable, &error);
  if (src == NULL)
    return pull_failed (cmd, error);

  BerthPullOptions options = {
    .target_imgref = target,
    .n_workers = (guint)opt_workers,
    .progress = opt_quiet ? NULL : berth_cli_print_pull_event,
    .progress_data = (gpointer)berth_image_source_get_image (src)->manifest,
  };
  g_autoptr (BerthImportResult) result = NULL;
  if (!berth_pull_image_at (opt_repo, src, &options, &result, cancellable, &error))
    return pull_failed (cmd, error);

  if (result->already_current && !opt_quiet)
    g_printerr ("image is up to date\n");
  printf ("%s\n", result->merge_commit);
  return BERTH_EXIT_OK;
}
