/* berth install's plan rendered: the text --dry-run prints (and the install's header), and
 * the JSON of --dry-run --json. The plan exposes data (BerthInstallPlanView); the words are
 * here. */
#include "cli.h"

#include "deploy/deploy.h"
#include "plan/plan-install.h"

static void
describe_mount (GString *s, const char *what, const BerthDiskMountInfo *m)
{
  g_string_append_printf (s, "%-12s%s: %s on %s", what, m->path, m->fstype, m->source);
  if (m->fs_uuid != NULL)
    g_string_append_printf (s, ", UUID %s", m->fs_uuid);
  if (m->part_type != NULL)
    g_string_append_printf (s, ", partition %u of %s, type %s", m->partno, m->disk, m->part_type);
  g_string_append_c (s, '\n');
}

static json_t *
mount_to_json (const BerthDiskMountInfo *m)
{
  if (m == NULL)
    return json_null ();
  json_t *j = json_object ();
  json_object_set_new (j, "path", json_string (m->path));
  json_object_set_new (j, "source", json_string (m->source));
  json_object_set_new (j, "filesystem", json_string (m->fstype));
  json_object_set_new (j, "filesystemUuid", m->fs_uuid ? json_string (m->fs_uuid) : json_null ());
  json_object_set_new (j, "disk", m->disk ? json_string (m->disk) : json_null ());
  json_object_set_new (j, "partitionType",
                       m->part_type ? json_string (m->part_type) : json_null ());
  return j;
}

/* The remote an ostree-remote-* image is verified with: where it and its keys come from, and
 * where the installed system keeps them (berth_deploy_image()). */
static void
describe_remote (GString *s, const BerthOstreeRemote *r)
{
  g_string_append_printf (s,
                          "Signature:  the commit's GPG signature, with the keys of ostree remote "
                          "\"%s\"\n",
                          r->name);
  g_string_append_printf (s, "            remote from %s (%s)%s%s\n", r->config_path,
                          r->from_host ? "this machine's" : "--ostree-remote-config",
                          r->url ? ", url " : "", r->url ? r->url : "");
  g_string_append_printf (s, "            %u key%s from", r->n_keys, r->n_keys == 1 ? "" : "s");
  for (char **k = r->key_paths; *k != NULL; k++)
    g_string_append_printf (s, "%s %s", k == r->key_paths ? "" : ",", *k);
  g_autofree char *conf = berth_deploy_remote_config_path (r->name);
  g_autofree char *key = berth_deploy_remote_key_path (r->name);
  g_string_append_printf (s,
                          "\n            kept by the installed system: %s (gpgkeypath %s) and "
                          "/ostree/repo/%s.trustedkeys.gpg, unless the image defines the remote "
                          "itself\n",
                          conf, key, r->name);
}

static json_t *
remote_to_json (const BerthOstreeRemote *r)
{
  if (r == NULL)
    return json_null ();
  json_t *j = json_object ();
  json_object_set_new (j, "name", json_string (r->name));
  json_object_set_new (j, "config", json_string (r->config_path));
  json_object_set_new (j, "configFrom",
                       json_string (r->from_host ? "host" : "--ostree-remote-config"));
  json_object_set_new (j, "url", r->url ? json_string (r->url) : json_null ());
  json_t *files = json_array ();
  for (char **k = r->key_paths; *k != NULL; k++)
    json_array_append_new (files, json_string (*k));
  json_object_set_new (j, "keyFiles", files);
  json_object_set_new (j, "keys", json_integer (r->n_keys));
  g_autofree char *conf = berth_deploy_remote_config_path (r->name);
  g_autofree char *key = berth_deploy_remote_key_path (r->name);
  g_autofree char *keyring = g_strdup_printf ("/ostree/repo/%s.trustedkeys.gpg", r->name);
  json_t *kept = json_object ();
  json_object_set_new (kept, "config", json_string (conf));
  json_object_set_new (kept, "keyFile", json_string (key));
  json_object_set_new (kept, "keyring", json_string (keyring));
  json_object_set_new (j, "installed", kept);
  return j;
}

static void
describe_bootloader (GString *s, const BerthInstallPlanView *v)
{
  g_autoptr (GString) asked = g_string_new (NULL);
  if (v->choices->firmware != BERTH_BOOT_FIRMWARE_AUTO)
    g_string_append_printf (asked, ", --firmware %s",
                            berth_boot_firmware_to_string (v->choices->firmware));
  if (v->choices->secure_boot)
    g_string_append (asked, ", --secure-boot");
  if (v->decided->boot == NULL)
    {
      g_string_append_printf (s, "Bootloader: %s%s%s\n",
                              berth_bootloader_to_string (v->decided->bootloader),
                              v->decided->bootloader == BERTH_BOOTLOADER_NONE
                                ? ""
                                : " (decided after the pull, from the boot files the image "
                                  "carries)",
                              asked->str);
      return;
    }
  const BerthBootDecision *d = v->decided->boot;
  g_autofree char *what = berth_boot_decision_describe (d);
  g_string_append_printf (s, "Bootloader: %s\n            why: %s%s\n", what, d->why, asked->str);
  if (d->backend != NULL)
    g_string_append_printf (s, "            ostree's sysroot.bootloader=%s\n",
                            d->sysroot_bootloader);
  for (guint i = 0; i < d->notes->len; i++)
    g_string_append_printf (s, "            %s\n", (const char *)d->notes->pdata[i]);
}

static json_t *
bootloader_to_json (const BerthBootDecision *d)
{
  if (d == NULL)
    return json_null ();
  json_t *j = json_object ();
  json_object_set_new (j, "name", json_string (berth_bootloader_to_string (d->loader)));
  json_object_set_new (j, "uefi", json_boolean (d->uefi));
  json_object_set_new (j, "bios", json_boolean (d->bios));
  json_object_set_new (j, "secureBoot", json_boolean (d->secure_boot));
  json_object_set_new (j, "grubCoreImage", json_boolean (d->grub_core_image));
  json_object_set_new (j, "grubStatic", json_boolean (d->grub_static));
  json_object_set_new (j, "sysrootBootloader",
                       d->sysroot_bootloader ? json_string (d->sysroot_bootloader) : json_null ());
  json_object_set_new (j, "why", json_string (d->why));
  json_t *notes = json_array ();
  for (guint i = 0; i < d->notes->len; i++)
    json_array_append_new (notes, json_string (d->notes->pdata[i]));
  json_object_set_new (j, "notes", notes);
  return j;
}

char *
berth_cli_install_plan_describe (const BerthInstallPlanView *v)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree char *disk_size = g_format_size (v->disk_size);
  g_autofree char *image_size = g_format_size (v->image_size);
  g_string_append_printf (s, "Image:      %s\n            %s, %u layers, about %s installed\n",
                          v->image_name, v->manifest_digest, v->n_layers, image_size);
  g_string_append_printf (s, "Updates:    %s\n", v->origin_imgref);
  if (v->ostree_remote != NULL)
    describe_remote (s, v->ostree_remote);
  if (v->to_filesystem)
    {
      g_string_append_printf (s, "Target:     %s (mounted filesystems, %s)\n", v->target,
                              disk_size);
      describe_mount (s, "Root:", v->fs_root);
      if (v->fs_boot != NULL)
        describe_mount (s, "/boot:", v->fs_boot);
      else
        g_string_append (s, "/boot:      a directory of the root filesystem\n");
      if (v->fs_esp != NULL)
        describe_mount (s, "ESP:", v->fs_esp);
      else if (v->esp_node != NULL)
        g_string_append_printf (s, "ESP:        %s (not mounted; written with mtools)\n",
                                v->esp_node);
    }
  else
    {
      g_autofree char *file_note = NULL;
      if (v->loopback_file == BERTH_LOOPBACK_NEW)
        file_note = g_strdup (", a new file");
      else if (v->loopback_file == BERTH_LOOPBACK_GROWN)
        {
          g_autofree char *before = g_format_size (v->loopback_old_size);
          file_note = g_strdup_printf (", grown from %s by --size", before);
        }
      else if (v->loopback_file == BERTH_LOOPBACK_EXISTING)
        file_note = g_strdup (", the file's size");
      g_string_append_printf (s, "Target:     %s%s (%s%s)%s\n", v->target,
                              v->via_loopback ? " (disk image file, via loopback)" : "", disk_size,
                              file_note ? file_note : "", v->wipe ? ", wiped" : "");
      g_autofree char *layout = berth_disk_layout_describe (v->decided->layout);
      g_string_append_printf (s, "Partitions:\n%s", layout);
    }
  g_string_append_printf (s, "Root fs:    %s (%s)\n", v->decided->root_fstype,
                          v->decided->root_fs_why);
  g_string_append_printf (s, "Stateroot:  %s (%s)\n", v->decided->stateroot,
                          v->decided->stateroot_why);
  describe_bootloader (s, v);
  if (v->decided->kargs != NULL)
    {
      /* previewed: the final line, each argument with its source */
      g_string_append (s, "Kernel arguments (bootc's order):\n");
      for (guint i = 0; i < berth_kargs_get_length (v->decided->kargs); i++)
        {
          const BerthKarg *k = berth_kargs_get (v->decided->kargs, i);
          g_autofree char *from = berth_kargs_source_describe (&k->source);
          g_string_append_printf (s, "  %s  (%s)\n", k->raw, from);
        }
    }
  else
    {
      g_string_append_printf (s, "Kernel arguments (bootc's order):\n  root=%s  (berth)\n",
                              v->decided->root_spec);
      if (v->decided->root_flags != NULL)
        g_string_append_printf (s, "  %s  (berth)\n", v->decided->root_flags);
      g_string_append (s, "  rw  (berth)\n");
      if (v->decided->boot_spec != NULL)
        g_string_append_printf (s, "  boot=%s  (berth)\n", v->decided->boot_spec);
      g_string_append (s, "  then the image's /usr/lib/bootc/install/*.toml kargs and "
                          "/usr/lib/bootc/kargs.d/*.toml, read after the pull\n");
      for (const char *const *k = v->choices->karg_deletes; k && *k; k++)
        g_string_append_printf (s, "  minus %s  (command line, --karg-delete)\n", *k);
      for (const char *const *k = v->choices->kargs; k && *k; k++)
        g_string_append_printf (s, "  %s  (command line)\n", *k);
    }
  for (guint i = 0; i < v->warnings->len; i++)
    g_string_append_printf (s, "Warning: %s\n", (char *)v->warnings->pdata[i]);
  for (guint i = 0; i < v->decided->notes->len; i++)
    g_string_append_printf (s, "Warning: %s\n", (char *)v->decided->notes->pdata[i]);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

json_t *
berth_cli_install_plan_to_json (const BerthInstallPlanView *v)
{
  json_t *o = json_object ();
  json_t *img = json_object ();
  json_object_set_new (img, "name", json_string (v->image_name));
  json_object_set_new (img, "digest", json_string (v->manifest_digest));
  json_object_set_new (img, "layers", json_integer (v->n_layers));
  json_object_set_new (img, "installedSizeEstimate", json_integer ((json_int_t)v->image_size));
  json_object_set_new (img, "bootableLabel", json_boolean (v->labelled_bootable));
  json_object_set_new (o, "image", img);
  json_object_set_new (o, "origin", json_string (v->origin_imgref));
  json_object_set_new (o, "imageRef", json_string (v->target_ref));
  json_object_set_new (o, "ostreeRemote", remote_to_json (v->ostree_remote));
  json_t *t = json_object ();
  json_object_set_new (t, "path", json_string (v->target));
  json_object_set_new (t, "viaLoopback", json_boolean (v->via_loopback));
  json_object_set_new (t, "toFilesystem", json_boolean (v->to_filesystem));
  json_object_set_new (t, "size", json_integer ((json_int_t)v->disk_size));
  json_object_set_new (t, "wipe", json_boolean (v->wipe));
  if (v->via_loopback)
    {
      static const char *const file_names[] = { [BERTH_LOOPBACK_NEW] = "new",
                                                [BERTH_LOOPBACK_EXISTING] = "existing",
                                                [BERTH_LOOPBACK_GROWN] = "grown" };
      json_object_set_new (t, "file", json_string (file_names[v->loopback_file]));
      if (v->loopback_file == BERTH_LOOPBACK_GROWN)
        json_object_set_new (t, "sizeBefore", json_integer ((json_int_t)v->loopback_old_size));
    }
  if (v->disk != NULL)
    {
      json_t *sigs = json_array ();
      for (char **sig = v->disk->signatures; *sig != NULL; sig++)
        json_array_append_new (sigs, json_string (*sig));
      json_object_set_new (t, "signatures", sigs);
    }
  json_object_set_new (o, "target", t);
  if (v->to_filesystem)
    {
      json_object_set_new (t, "root", mount_to_json (v->fs_root));
      json_object_set_new (t, "boot", mount_to_json (v->fs_boot));
      json_object_set_new (t, "esp",
                           v->fs_esp     ? mount_to_json (v->fs_esp)
                           : v->esp_node ? json_string (v->esp_node)
                                         : json_null ());
    }
  json_t *parts = json_array ();
  json_object_set_new (
    o, "diskGuid", v->decided->layout ? json_string (v->decided->layout->disk_guid) : json_null ());
  for (guint i = 0; v->decided->layout != NULL && i < v->decided->layout->n_partitions; i++)
    {
      const BerthDiskPartition *p = &v->decided->layout->partitions[i];
      json_t *j = json_object ();
      json_object_set_new (j, "number", json_integer (p->number));
      json_object_set_new (j, "name", json_string (p->name));
      json_object_set_new (j, "start", json_integer ((json_int_t)p->start));
      json_object_set_new (j, "size", json_integer ((json_int_t)p->size));
      json_object_set_new (j, "type", json_string (p->type_guid));
      json_object_set_new (j, "uuid", json_string (p->uuid));
      json_object_set_new (j, "filesystem", json_string (berth_disk_fs_to_string (p->fs)));
      if (p->fs_label != NULL)
        json_object_set_new (j, "label", json_string (p->fs_label));
      if (p->fs_uuid != NULL)
        json_object_set_new (j, "filesystemUuid", json_string (p->fs_uuid));
      /* GPT attribute names as sfdisk --part-attrs spells them */
      json_t *attrs = json_array ();
      if (p->attrs & BERTH_DISK_ATTR_LEGACY_BIOS_BOOTABLE)
        json_array_append_new (attrs, json_string ("LegacyBIOSBootable"));
      json_object_set_new (j, "attributes", attrs);
      json_array_append_new (parts, j);
    }
  json_object_set_new (o, "partitions", parts);
  json_object_set_new (o, "stateroot", json_string (v->decided->stateroot));
  json_object_set_new (o, "staterootFrom", json_string (v->decided->stateroot_why));
  json_object_set_new (o, "rootFilesystem", json_string (v->decided->root_fstype));
  json_object_set_new (o, "rootFilesystemFrom", json_string (v->decided->root_fs_why));
  json_object_set_new (o, "bootloaderFrom", json_string (v->decided->bootloader_why));
  json_object_set_new (o, "bootloader",
                       json_string (berth_bootloader_to_string (v->decided->bootloader)));
  json_object_set_new (o, "firmware",
                       json_string (berth_boot_firmware_to_string (v->choices->firmware)));
  json_object_set_new (o, "secureBootRequired", json_boolean (v->choices->secure_boot));
  json_object_set_new (o, "bootloaderChosen", bootloader_to_json (v->decided->boot));
  json_t *k = json_array ();
  json_t *from = json_array ();
  if (v->decided->kargs != NULL)
    {
      for (guint i = 0; i < berth_kargs_get_length (v->decided->kargs); i++)
        {
          const BerthKarg *karg = berth_kargs_get (v->decided->kargs, i);
          g_autofree char *source = berth_kargs_source_describe (&karg->source);
          json_array_append_new (k, json_string (karg->raw));
          json_array_append_new (from, json_string (source));
        }
    }
  else
    {
      g_autofree char *root = g_strdup_printf ("root=%s", v->decided->root_spec);
      json_array_append_new (k, json_string (root));
      if (v->decided->root_flags != NULL)
        json_array_append_new (k, json_string (v->decided->root_flags));
      json_array_append_new (k, json_string ("rw"));
      if (v->decided->boot_spec != NULL)
        {
          g_autofree char *boot = g_strdup_printf ("boot=%s", v->decided->boot_spec);
          json_array_append_new (k, json_string (boot));
        }
      for (size_t i = json_array_size (from); i < json_array_size (k); i++)
        json_array_append_new (from, json_string ("berth"));
      for (const char *const *a = v->choices->kargs; a && *a; a++)
        {
          json_array_append_new (k, json_string (*a));
          json_array_append_new (from, json_string ("command line"));
        }
    }
  json_object_set_new (o, "kargs", k);
  json_object_set_new (o, "kargsFrom", from);
  json_object_set_new (o, "kargsComplete", json_boolean (v->decided->kargs != NULL));
  json_t *w = json_array ();
  for (guint i = 0; i < v->warnings->len; i++)
    json_array_append_new (w, json_string (v->warnings->pdata[i]));
  for (guint i = 0; i < v->decided->notes->len; i++)
    json_array_append_new (w, json_string (v->decided->notes->pdata[i]));
  json_object_set_new (o, "warnings", w);
  return o;
}
