/* berth kickstart: an Anaconda kickstart file, read as pykickstart reads it. --check prints
 * what berth would install from it; without it, berth installs it (cli-kickstart-install.c). */
#include "cli.h"
#include "cli-kickstart-install.h"

#include <sys/utsname.h>

#include <stdio.h>
#include <string.h>

#include "kargs/kargs.h"
#include "kickstart/kickstart.h"
#include "util/util-json.h"

static gboolean opt_check;
static gboolean opt_ignore_unknown;
static gboolean opt_json;
static gboolean opt_dry_run;
static char *opt_disk;
static char *opt_via_loopback;
static char *opt_uuid_seed;
static char *opt_ostree_remote_config;

/* ---- what is shown (never a password, a hash or a passphrase) ---------------------------- */

static const char *
password_state (const char *password, gboolean crypted, gboolean locked)
{
  if (password == NULL || *password == '\0')
    return locked ? "locked" : "not set";
  if (locked)
    return crypted ? "set (crypted), locked" : "set (plaintext), locked";
  return crypted ? "set (crypted)" : "set (plaintext)";
}

/* network's options as written, with the Wi-Fi keys' values hidden */
static char *
network_args (char **args)
{
  GString *out = g_string_new (NULL);
  for (char **a = args; a && *a; a++)
    {
      const char *secret = NULL;
      for (const char *const *k = (const char *const[]){ "--wpakey", "--wepkey", NULL }; *k; k++)
        if (g_str_has_prefix (*a, *k))
          secret = *k;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      if (secret != NULL)
        {
          g_string_append_printf (out, "%s=(set)", secret);
          if (strchr (*a, '=') == NULL && a[1] != NULL)
            a++; /* --wpakey KEY */
        }
      else
        {
          g_autofree char *q = g_shell_quote (*a);
          g_string_append (out, strpbrk (*a, " \t'\"#\\$") ? q : *a);
        }
    }
  return g_string_free (out, FALSE);
}

static char *
join_or (char **v, const char *none)
{
  return (v && v[0]) ? g_strjoinv (", ", v) : g_strdup (none);
}

static char *
at (const BerthKickstartLocation *where)
{
  return g_strdup_printf ("%s:%u", where->file, where->line);
}

static char *
partition_size (const BerthKickstartPartition *p)
{
  GString *s = g_string_new (NULL);
  if (p->has_size)
    g_string_append_printf (s, "%" G_GINT64_FORMAT " MiB", p->size);
  else if (p->recommended)
    g_string_append (s, "recommended");
  else
    g_string_append (s, "default size");
  if (p->grow)
    {
      g_string_append (s, ", grows");
      if (p->max_size > 0)
        g_string_append_printf (s, " to %" G_GINT64_FORMAT " MiB", p->max_size);
    }
  return g_string_free (s, FALSE);
}

static const char *
clearpart_type (BerthKickstartClearpartType t)
{
  switch (t)
    {
    case BERTH_KICKSTART_CLEARPART_ALL:
      return "all";
    case BERTH_KICKSTART_CLEARPART_LINUX:
      return "linux";
    case BERTH_KICKSTART_CLEARPART_NONE:
      return "none";
    case BERTH_KICKSTART_CLEARPART_LIST:
      return "list";
    default:
      return "not given";
    }
}

static const char *
display_mode (BerthKickstartDisplay d)
{
  return d == BERTH_KICKSTART_DISPLAY_TEXT      ? "text"
         : d == BERTH_KICKSTART_DISPLAY_CMDLINE ? "cmdline"
                                                : "graphical";
}

static const char *
firstboot_mode (BerthKickstartFirstbootMode m)
{
  return m == BERTH_KICKSTART_FIRSTBOOT_ENABLED    ? "enabled"
         : m == BERTH_KICKSTART_FIRSTBOOT_DISABLED ? "disabled"
         : m == BERTH_KICKSTART_FIRSTBOOT_RECONFIG ? "reconfig"
                                                   : "not given";
}

/* How the image's signature would be checked. */
static char *
signature (const BerthKickstart *ks)
{
  if (ks->bootc.seen)
    return g_strdup ("not verified (bootc --source-imgref: berth checks no containers-policy.json "
                     "signatures yet)");
  const BerthKickstartOstreeContainer *oc = &ks->ostreecontainer;
  if (oc->remote_given)
    return g_strdup_printf ("verified with the ostree remote %s (--remote)", oc->remote);
  if (oc->no_signature_verification)
    return g_strdup ("not verified (--no-signature-verification)");
  return g_strdup ("NOT VERIFIED: neither --remote nor --no-signature-verification was given");
}

/* ---- the plain text ------------------------------------------------------------------------ */

static void
print_text (const BerthKickstart *ks, const char *image, BerthKargs *kargs)
{
  const char *command = ks->ostreecontainer.seen ? "ostreecontainer" : "bootc";
  const BerthKickstartLocation *image_at
    = ks->ostreecontainer.seen ? &ks->ostreecontainer.where : &ks->bootc.where;
  g_autofree char *image_where = at (image_at);
  printf ("kickstart:  %s", (const char *)ks->files->pdata[0]);
  if (ks->files->len > 1)
    printf (" (and %u included file%s)", ks->files->len - 1, ks->files->len > 2 ? "s" : "");
  printf ("\nimage:      %s (%s, %s)\n", image, command, image_where);
  g_autofree char *sig = signature (ks);
  printf ("signature:  %s\n", sig);
  printf ("stateroot:  %s\n", berth_kickstart_get_stateroot (ks));
  if (ks->bootc.seen)
    printf ("target:     %s (upgrades follow it%s)\n", ks->bootc.target_imgref,
            ks->bootc.target_given ? "" : "; bootc --source-imgref, as no --target-imgref");
  if (ks->bootc.seen && ks->bootc.bootloader)
    printf ("bootc:      --bootloader=%s%s\n", ks->bootc.bootloader,
            ks->bootc.composefs ? " --composefs" : "");

  g_autofree char *kargs_text = kargs ? berth_kargs_to_string (kargs) : NULL;
  if (kargs_text && *kargs_text)
    {
      g_autofree char *w = at (&ks->bootloader.where);
      printf ("kargs:      %s (bootloader --append, %s)\n", kargs_text, w);
    }
  else
    printf ("kargs:      none from the kickstart\n");
  if (ks->bootloader.seen)
    {
      const BerthKickstartBootloader *bl = &ks->bootloader;
      if (bl->disabled)
        printf ("bootloader: none (--disabled)\n");
      else
        {
          printf ("bootloader: location %s", bl->location);
          if (bl->has_timeout)
            printf (", timeout %" G_GINT64_FORMAT " s", bl->timeout);
          if (bl->password && *bl->password)
            printf (", password %s", password_state (bl->password, bl->is_crypted, FALSE));
          if (bl->sdboot)
            printf (", systemd-boot (--sdboot)");
          if (bl->boot_drive && *bl->boot_drive)
            printf (", boot drive %s", bl->boot_drive);
          printf ("\n");
        }
    }

  /* the disk */
  g_autoptr (GString) disk = g_string_new (NULL);
  if (ks->zerombr.seen)
    g_string_append (disk, "zerombr; ");
  if (ks->clearpart.seen)
    {
      g_string_append_printf (disk, "clearpart %s", clearpart_type (ks->clearpart.type));
      if (ks->clearpart.initlabel)
        g_string_append (disk, ", new partition table");
      if (ks->clearpart.disklabel && *ks->clearpart.disklabel)
        g_string_append_printf (disk, " (%s)", ks->clearpart.disklabel);
      if (ks->clearpart.drives)
        {
          g_autofree char *d = g_strjoinv (",", ks->clearpart.drives);
          g_string_append_printf (disk, " on %s", d);
        }
      g_string_append (disk, "; ");
    }
  if (ks->ignoredisk.only_use)
    {
      g_autofree char *d = g_strjoinv (",", ks->ignoredisk.only_use);
      g_string_append_printf (disk, "only disks %s; ", d);
    }
  if (ks->ignoredisk.drives)
    {
      g_autofree char *d = g_strjoinv (",", ks->ignoredisk.drives);
      g_string_append_printf (disk, "disks ignored: %s; ", d);
    }
  if (disk->len > 0)
    {
      g_string_truncate (disk, disk->len - 2);
      printf ("disk:       %s\n", disk->str);
    }
  if (ks->partitions->len > 0)
    {
      printf ("partitions:\n");
      for (guint i = 0; i < ks->partitions->len; i++)
        {
          const BerthKickstartPartition *p = ks->partitions->pdata[i];
          g_autofree char *size = partition_size (p);
          printf ("  %-12s %-24s %s", p->mountpoint, size, p->fstype ? p->fstype : "(default)");
          if (p->label)
            printf (", label %s", p->label);
          if (p->ondisk)
            printf (", on %s", p->ondisk);
          if (p->onpart)
            printf (", on partition %s", p->onpart);
          if (!p->format)
            printf (", not formatted");
          if (p->encryption.encrypted)
            printf (", encrypted");
          printf ("\n");
        }
    }
  if (ks->reqpart.seen)
    printf ("reqpart:    the platform's boot partitions%s\n",
            ks->reqpart.add_boot ? ", and /boot" : "");
  if (ks->autopart.seen)
    {
      const BerthKickstartAutopart *ap = &ks->autopart;
      printf ("autopart:   type %s", berth_kickstart_autopart_type_to_string (ap->type));
      if (ap->fstype)
        printf (", %s", ap->fstype);
      if (ap->nohome)
        printf (", no /home");
      if (ap->noboot)
        printf (", no /boot");
      if (ap->noswap)
        printf (", no swap");
      if (ap->encryption.encrypted)
        printf (", encrypted");
      printf ("\n");
    }

  /* accounts */
  if (ks->rootpw.seen)
    printf ("root:       password %s%s\n",
            password_state (ks->rootpw.password, ks->rootpw.is_crypted, ks->rootpw.lock),
            ks->rootpw.allow_ssh ? ", may log in with ssh and a password" : "");
  if (ks->users->len > 0)
    {
      printf ("users:\n");
      for (guint i = 0; i < ks->users->len; i++)
        {
          const BerthKickstartUser *u = ks->users->pdata[i];
          printf ("  %-12s password %s", u->name,
                  password_state (u->password, u->is_crypted, u->lock));
          if (u->groups)
            {
              g_autofree char *g = g_strjoinv (",", u->groups);
              printf (", groups %s", g);
            }
          if (u->has_uid)
            printf (", uid %" G_GINT64_FORMAT, u->uid);
          if (u->has_gid)
            printf (", gid %" G_GINT64_FORMAT, u->gid);
          if (u->homedir)
            printf (", home %s", u->homedir);
          if (u->shell)
            printf (", shell %s", u->shell);
          printf ("\n");
        }
    }
  if (ks->groups->len > 0)
    {
      printf ("groups:\n");
      for (guint i = 0; i < ks->groups->len; i++)
        {
          const BerthKickstartGroup *g = ks->groups->pdata[i];
          if (g->has_gid)
            printf ("  %-12s gid %" G_GINT64_FORMAT "\n", g->name, g->gid);
          else
            printf ("  %s\n", g->name);
        }
    }
  if (ks->sshkeys->len > 0)
    {
      printf ("ssh keys:\n");
      for (guint i = 0; i < ks->sshkeys->len; i++)
        {
          const BerthKickstartSshkey *k = ks->sshkeys->pdata[i];
          printf ("  %-12s %s\n", k->username, k->key);
        }
    }

  /* the system */
  if (ks->services.seen)
    {
      g_autofree char *e = join_or (ks->services.enabled, "none");
      g_autofree char *d = join_or (ks->services.disabled, "none");
      printf ("services:   enabled %s; disabled %s\n", e, d);
    }
  for (guint i = 0; i < ks->networks->len; i++)
    {
      const BerthKickstartNetwork *n = ks->networks->pdata[i];
      g_autofree char *args = network_args (n->args);
      if (n->hostname)
        printf ("hostname:   %s\n", n->hostname);
      printf ("network:    %s\n", args);
    }
  if (ks->timezone.seen)
    printf ("timezone:   %s%s\n", ks->timezone.timezone ? ks->timezone.timezone : "(not set)",
            ks->timezone.utc ? " (hardware clock in UTC)" : "");
  if (ks->lang.seen)
    printf ("lang:       %s\n", ks->lang.lang);
  if (ks->keyboard.seen)
    {
      const BerthKickstartKeyboard *kb = &ks->keyboard;
      g_autofree char *x = kb->xlayouts ? g_strjoinv (",", kb->xlayouts) : NULL;
      printf ("keyboard:   %s%s%s%s%s\n", kb->keyboard ? kb->keyboard : "",
              kb->vckeymap && *kb->vckeymap ? " console " : "", kb->vckeymap ? kb->vckeymap : "",
              x ? " X layouts " : "", x ? x : "");
    }
  if (ks->selinux.seen)
    printf ("selinux:    %s\n", berth_kickstart_selinux_to_string (ks->selinux.mode));
  if (ks->firewall.seen)
    {
      g_autofree char *s = join_or (ks->firewall.services, "");
      g_autofree char *p = join_or (ks->firewall.ports, "");
      printf ("firewall:   %s%s%s%s%s\n", ks->firewall.enabled ? "enabled" : "disabled",
              *s ? ", services " : "", s, *p ? ", ports " : "", p);
    }
  if (ks->eula.seen)
    printf ("eula:       agreed\n");
  if (ks->firstboot.seen)
    printf ("firstboot:  %s\n", firstboot_mode (ks->firstboot.mode));
  if (ks->display.seen)
    printf ("display:    %s (berth never asks)\n", display_mode (ks->display.mode));
  printf ("afterwards: %s\n",
          ks->finish.seen ? berth_kickstart_finish_to_string (ks->finish.action)
                          : "halt (Anaconda's default when no reboot, poweroff or halt is given)");

  /* the sections, their bodies as written */
  for (guint i = 0; i < ks->scripts->len; i++)
    {
      const BerthKickstartScript *s = ks->scripts->pdata[i];
      g_autofree char *w = at (&s->where);
      printf ("\n# %s: %s, interpreter %s%s%s%s%s\n", w,
              berth_kickstart_script_type_to_string (s->type), s->interpreter,
              s->type == BERTH_KICKSTART_SCRIPT_POST
                ? (s->in_chroot ? ", chrooted into the installed system"
                                : ", outside the installed system, --nochroot")
                : "",
              s->error_on_fail ? ", a failure fails the install" : "", s->log ? ", output to " : "",
              s->log ? s->log : "");
      printf ("%s", berth_kickstart_script_type_to_string (s->type));
      if (!g_str_equal (s->interpreter, "/bin/sh"))
        printf (" --interpreter=%s", s->interpreter);
      if (s->type == BERTH_KICKSTART_SCRIPT_POST && !s->in_chroot)
        printf (" --nochroot");
      if (s->error_on_fail)
        printf (" --erroronfail");
      if (s->log)
        printf (" --log=%s", s->log);
      printf ("\n%s%s%%end\n", s->body, g_str_has_suffix (s->body, "\n") ? "" : "\n");
    }

  if (ks->warnings->len > 0)
    {
      printf ("\nwarnings:\n");
      for (guint i = 0; i < ks->warnings->len; i++)
        printf ("  %s\n", (const char *)ks->warnings->pdata[i]);
    }
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static json_t *
json_where (const BerthKickstartLocation *where)
{
  return json_pack ("{s:s, s:i}", "file", where->file, "line", (json_int_t)where->line);
}

static json_t *
json_strv (char **v)
{
  json_t *a = json_array ();
  for (char **s = v; s && *s; s++)
    json_array_append_new (a, json_string (*s));
  return a;
}

static json_t *
json_nullable (const char *s)
{
  return s ? json_string (s) : json_null ();
}

static json_t *
to_json (const BerthKickstart *ks, const char *image, BerthKargs *kargs)
{
  json_t *o = json_object ();
  json_object_set_new (o, "file", json_string (ks->files->pdata[0]));
  json_t *img = json_object ();
  json_object_set_new (img, "command",
                       json_string (ks->ostreecontainer.seen ? "ostreecontainer" : "bootc"));
  json_object_set_new (img, "reference", json_string (image));
  json_object_set_new (
    img, "where",
    json_where (ks->ostreecontainer.seen ? &ks->ostreecontainer.where : &ks->bootc.where));
  if (ks->ostreecontainer.seen)
    {
      json_object_set_new (
        img, "transport",
        json_string (ks->ostreecontainer.transport ? ks->ostreecontainer.transport : "registry"));
      json_object_set_new (img, "url", json_string (ks->ostreecontainer.url));
      json_object_set_new (
        img, "remote",
        ks->ostreecontainer.remote_given ? json_string (ks->ostreecontainer.remote) : json_null ());
      json_object_set_new (img, "signature_verification",
                           json_boolean (!ks->ostreecontainer.no_signature_verification));
    }
  else
    {
      json_object_set_new (img, "target_imgref", json_string (ks->bootc.target_imgref));
      json_object_set_new (img, "bootloader", json_nullable (ks->bootc.bootloader));
      json_object_set_new (img, "composefs", json_boolean (ks->bootc.composefs));
    }
  g_autofree char *sig = signature (ks);
  json_object_set_new (img, "signature", json_string (sig));
  json_object_set_new (o, "image", img);
  json_object_set_new (o, "stateroot", json_string (berth_kickstart_get_stateroot (ks)));

  g_auto (GStrv) kv = kargs ? berth_kargs_to_strv (kargs) : NULL;
  json_object_set_new (o, "kargs", json_strv (kv));
  if (ks->bootloader.seen)
    {
      const BerthKickstartBootloader *bl = &ks->bootloader;
      json_t *b
        = json_pack ("{s:s, s:b, s:b, s:b}", "location", bl->location, "disabled", bl->disabled,
                     "leavebootorder", bl->leavebootorder, "sdboot", bl->sdboot);
      json_object_set_new (b, "timeout",
                           bl->has_timeout ? json_integer (bl->timeout) : json_null ());
      json_object_set_new (b, "password",
                           json_string (password_state (bl->password, bl->is_crypted, FALSE)));
      json_object_set_new (b, "where", json_where (&bl->where));
      json_object_set_new (o, "bootloader", b);
    }
  json_object_set_new (o, "zerombr", json_boolean (ks->zerombr.seen));
  if (ks->clearpart.seen)
    {
      json_t *c = json_pack ("{s:s, s:b, s:b}", "type", clearpart_type (ks->clearpart.type),
                             "initlabel", ks->clearpart.initlabel, "cdl", ks->clearpart.cdl);
      json_object_set_new (c, "drives", json_strv (ks->clearpart.drives));
      json_object_set_new (c, "list", json_strv (ks->clearpart.list));
      json_object_set_new (c, "disklabel", json_nullable (ks->clearpart.disklabel));
      json_object_set_new (o, "clearpart", c);
    }
  if (ks->ignoredisk.seen)
    {
      json_t *d = json_object ();
      json_object_set_new (d, "only_use", json_strv (ks->ignoredisk.only_use));
      json_object_set_new (d, "drives", json_strv (ks->ignoredisk.drives));
      json_object_set_new (o, "ignoredisk", d);
    }
  json_t *parts = json_array ();
  for (guint i = 0; i < ks->partitions->len; i++)
    {
      const BerthKickstartPartition *p = ks->partitions->pdata[i];
      json_t *j = json_pack ("{s:s, s:b, s:b, s:b}", "mountpoint", p->mountpoint, "grow", p->grow,
                             "format", p->format, "encrypted", p->encryption.encrypted);
      json_object_set_new (j, "size_mib", p->has_size ? json_integer (p->size) : json_null ());
      json_object_set_new (j, "max_size_mib",
                           p->max_size > 0 ? json_integer (p->max_size) : json_null ());
      json_object_set_new (j, "fstype", json_nullable (p->fstype));
      json_object_set_new (j, "label", json_nullable (p->label));
      json_object_set_new (j, "ondisk", json_nullable (p->ondisk));
      json_object_set_new (j, "onpart", json_nullable (p->onpart));
      json_object_set_new (j, "where", json_where (&p->where));
      json_array_append_new (parts, j);
    }
  json_object_set_new (o, "partitions", parts);
  json_object_set_new (o, "reqpart", json_boolean (ks->reqpart.seen));
  if (ks->autopart.seen)
    {
      const BerthKickstartAutopart *ap = &ks->autopart;
      json_t *a = json_pack ("{s:s, s:b, s:b, s:b, s:b}", "type",
                             berth_kickstart_autopart_type_to_string (ap->type), "nohome",
                             ap->nohome, "noboot", ap->noboot, "noswap", ap->noswap, "encrypted",
                             ap->encryption.encrypted);
      json_object_set_new (a, "fstype", json_nullable (ap->fstype));
      json_object_set_new (o, "autopart", a);
    }
  if (ks->rootpw.seen)
    json_object_set_new (
      o, "root",
      json_pack ("{s:s, s:b}", "password",
                 password_state (ks->rootpw.password, ks->rootpw.is_crypted, ks->rootpw.lock),
                 "allow_ssh", ks->rootpw.allow_ssh));
  json_t *users = json_array ();
  for (guint i = 0; i < ks->users->len; i++)
    {
      const BerthKickstartUser *u = ks->users->pdata[i];
      json_t *j = json_pack ("{s:s, s:s}", "name", u->name, "password",
                             password_state (u->password, u->is_crypted, u->lock));
      json_object_set_new (j, "groups", json_strv (u->groups));
      json_object_set_new (j, "uid", u->has_uid ? json_integer (u->uid) : json_null ());
      json_object_set_new (j, "gid", u->has_gid ? json_integer (u->gid) : json_null ());
      json_object_set_new (j, "homedir", json_nullable (u->homedir));
      json_object_set_new (j, "shell", json_nullable (u->shell));
      json_object_set_new (j, "gecos", json_nullable (u->gecos));
      json_array_append_new (users, j);
    }
  json_object_set_new (o, "users", users);
  json_t *groups = json_array ();
  for (guint i = 0; i < ks->groups->len; i++)
    {
      const BerthKickstartGroup *g = ks->groups->pdata[i];
      json_t *j = json_pack ("{s:s}", "name", g->name);
      json_object_set_new (j, "gid", g->has_gid ? json_integer (g->gid) : json_null ());
      json_array_append_new (groups, j);
    }
  json_object_set_new (o, "groups", groups);
  json_t *keys = json_array ();
  for (guint i = 0; i < ks->sshkeys->len; i++)
    {
      const BerthKickstartSshkey *k = ks->sshkeys->pdata[i];
      json_array_append_new (keys,
                             json_pack ("{s:s, s:s}", "username", k->username, "key", k->key));
    }
  json_object_set_new (o, "sshkeys", keys);
  if (ks->services.seen)
    json_object_set_new (o, "services",
                         json_pack ("{s:o, s:o}", "enabled", json_strv (ks->services.enabled),
                                    "disabled", json_strv (ks->services.disabled)));
  json_t *nets = json_array ();
  for (guint i = 0; i < ks->networks->len; i++)
    {
      const BerthKickstartNetwork *n = ks->networks->pdata[i];
      g_autofree char *args = network_args (n->args);
      json_t *j = json_pack ("{s:s}", "options", args);
      json_object_set_new (j, "hostname", json_nullable (n->hostname));
      json_object_set_new (j, "device", json_nullable (n->device));
      json_array_append_new (nets, j);
    }
  json_object_set_new (o, "network", nets);
  if (ks->timezone.seen)
    json_object_set_new (o, "timezone",
                         json_pack ("{s:o, s:b}", "zone", json_nullable (ks->timezone.timezone),
                                    "utc", ks->timezone.utc));
  json_object_set_new (o, "lang", ks->lang.seen ? json_string (ks->lang.lang) : json_null ());
  if (ks->keyboard.seen)
    {
      json_t *k = json_object ();
      json_object_set_new (k, "layout", json_nullable (ks->keyboard.keyboard));
      json_object_set_new (k, "vckeymap", json_nullable (ks->keyboard.vckeymap));
      json_object_set_new (k, "xlayouts", json_strv (ks->keyboard.xlayouts));
      json_object_set_new (o, "keyboard", k);
    }
  if (ks->selinux.seen)
    json_object_set_new (o, "selinux",
                         json_string (berth_kickstart_selinux_to_string (ks->selinux.mode)));
  if (ks->firewall.seen)
    {
      json_t *f = json_pack ("{s:b}", "enabled", ks->firewall.enabled);
      json_object_set_new (f, "services", json_strv (ks->firewall.services));
      json_object_set_new (f, "ports", json_strv (ks->firewall.ports));
      json_object_set_new (o, "firewall", f);
    }
  json_object_set_new (
    o, "afterwards",
    json_string (ks->finish.seen ? berth_kickstart_finish_to_string (ks->finish.action) : "halt"));
  json_t *scripts = json_array ();
  for (guint i = 0; i < ks->scripts->len; i++)
    {
      const BerthKickstartScript *s = ks->scripts->pdata[i];
      json_t *j = json_pack ("{s:s, s:s, s:b, s:b, s:o, s:s}", "section",
                             berth_kickstart_script_type_to_string (s->type), "interpreter",
                             s->interpreter, "chroot", s->in_chroot, "erroronfail",
                             s->error_on_fail, "log", json_nullable (s->log), "body", s->body);
      json_object_set_new (j, "where", json_where (&s->where));
      json_array_append_new (scripts, j);
    }
  json_object_set_new (o, "scripts", scripts);
  json_t *warnings = json_array ();
  for (guint i = 0; i < ks->warnings->len; i++)
    json_array_append_new (warnings, json_string (ks->warnings->pdata[i]));
  json_object_set_new (o, "warnings", warnings);
  return o;
}

/* ---- the install ----------------------------------------------------------------------- */

static int
install (const BerthCommand *cmd, BerthKickstart *ks)
{
  g_autoptr (GError) error = NULL;
  BerthInstallOptions o = { 0 };
  o.root_fs = BERTH_DISK_FS_NONE;
  o.bootloader = BERTH_BOOTLOADER_AUTO;
  o.firmware = BERTH_BOOT_FIRMWARE_AUTO;
  o.uuid_seed = opt_uuid_seed;
  o.ostree_remote_config = opt_ostree_remote_config;
  if (!berth_cli_image_options (&o.source, &error))
    return berth_cli_fail (cmd, error);
  struct utsname u;
  BerthKickstartInstallArgs args = { .disk = opt_disk,
                                     .via_loopback = opt_via_loopback,
                                     .arch = uname (&u) == 0 ? u.machine : "x86_64" };
  g_auto (BerthKickstartInstallData) data = { 0 };
  if (!berth_cli_kickstart_options (ks, &args, &o, &data, &error))
    return berth_cli_fail (cmd, error);
  for (guint i = 0; i < data.warnings->len; i++)
    g_printerr ("berth %s: warning: %s\n", cmd->name, (const char *)data.warnings->pdata[i]);
  return berth_cli_install_run (cmd, &o, opt_dry_run, opt_json);
}

/* ---- the command ------------------------------------------------------------------------- */

int
berth_cmd_kickstart (const BerthCommand *cmd, int argc, char **argv)
{
  GOptionEntry entries[]
    = { { "check", 0, 0, G_OPTION_ARG_NONE, &opt_check,
          "Read FILE and print what berth would install from it (installing comes with the "
          "install plan)",
          NULL },
        { "ignore-unknown", 0, 0, G_OPTION_ARG_NONE, &opt_ignore_unknown,
          "Skip unknown commands and commands berth does not carry out, with a warning each",
          NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "With --check or --dry-run, print it as JSON",
          NULL },
        { "disk", 0, 0, G_OPTION_ARG_FILENAME, &opt_disk,
          "Install onto DEVICE (else the one disk the kickstart names)", "DEVICE" },
        { "via-loopback", 0, 0, G_OPTION_ARG_FILENAME, &opt_via_loopback,
          "Install into the disk image FILE (created sparse, 10G, when missing) for the "
          "kickstart's disk",
          "FILE" },
        { "dry-run", 0, 0, G_OPTION_ARG_NONE, &opt_dry_run, "Print the install plan; write nothing",
          NULL },
        { "ostree-remote-config", 0, 0, G_OPTION_ARG_FILENAME, &opt_ostree_remote_config,
          "With ostreecontainer --remote: the remote's config file (else the host's "
          "/etc/ostree/remotes.d)",
          "FILE" },
        { "uuid-seed", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_uuid_seed,
          "Derive every UUID from SEED (reproducible tests)", "SEED" },
        { NULL } };
  int exit_status;
  if (!berth_cli_parse_with (cmd, entries, berth_cli_image_entries, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return berth_cli_usage (cmd, "takes one FILE, the kickstart");
  if (opt_check && (opt_dry_run || opt_disk || opt_via_loopback))
    return berth_cli_usage (cmd, "--check only reads FILE: --dry-run, --disk and --via-loopback "
                                 "go with an install");
  if (opt_disk != NULL && opt_via_loopback != NULL)
    return berth_cli_usage (cmd, "--disk and --via-loopback both name the target: give one");

  BerthKickstartFlags flags = opt_ignore_unknown ? BERTH_KICKSTART_IGNORE_UNKNOWN : 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthKickstart) ks = berth_kickstart_parse_file (argv[1], flags, &error);
  if (ks == NULL || !berth_kickstart_check_installable (ks, flags, &error))
    return berth_cli_fail (cmd, error);

  /* the image as berth's image references read it */
  g_autofree char *written = berth_kickstart_get_image (ks);
  const BerthKickstartLocation *image_at
    = ks->ostreecontainer.seen ? &ks->ostreecontainer.where : &ks->bootc.where;
  g_autoptr (BerthImageRef) ref = berth_cli_parse_image (written, &error);
  if (ref == NULL)
    {
      g_prefix_error (&error, "%s:%u: %s: ", image_at->file, image_at->line,
                      ks->ostreecontainer.seen ? "ostreecontainer --transport/--url"
                                               : "bootc --source-imgref");
      return berth_cli_fail (cmd, error);
    }
  g_autofree char *image = berth_image_ref_to_string (ref);
  if (!opt_check)
    return install (cmd, ks);

  g_autoptr (BerthKargs) kargs = NULL;
  if (ks->bootloader.seen && ks->bootloader.append != NULL)
    kargs = berth_kargs_parse (ks->bootloader.append, NULL);

  if (opt_json)
    {
      g_autoptr (json_t) j = to_json (ks, image, kargs);
      g_autofree char *text = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
      printf ("%s\n", text);
    }
  else
    print_text (ks, image, kargs);
  return BERTH_EXIT_OK;
}
