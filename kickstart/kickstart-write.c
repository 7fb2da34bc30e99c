/* kickstart: commands written back as pykickstart's __str__ / _getArgsAsStr write them (the
 * newest class of each, Fedora 45), so the fixtures' expected strings can be compared: option
 * order, which values are quoted (with double quotes, nothing escaped but sshkey's), what is
 * left out. This is for tests and tools: it writes secrets as given. */
#include "kickstart/kickstart-private.h"

#include <string.h>

static gboolean
str_true (const char *s)
{
  return s != NULL && *s != '\0';
}

static gboolean
strv_true (char **v)
{
  return v != NULL && v[0] != NULL;
}

static char *
join (char **v)
{
  return g_strjoinv (",", v);
}

/* ostreecontainer: F38_OSTreeContainer._getArgsAsStr */
static void
write_ostreecontainer (GString *out, const BerthKickstartOstreeContainer *oc)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  if (str_true (oc->stateroot))
    g_ptr_array_add (args, g_strdup_printf ("--stateroot=\"%s\"", oc->stateroot));
  if (str_true (oc->remote))
    g_ptr_array_add (args, g_strdup_printf ("--remote=\"%s\"", oc->remote));
  if (oc->no_signature_verification)
    g_ptr_array_add (args, g_strdup ("--no-signature-verification"));
  if (str_true (oc->transport))
    g_ptr_array_add (args, g_strdup_printf ("--transport=\"%s\"", oc->transport));
  if (str_true (oc->url))
    g_ptr_array_add (args, g_strdup_printf ("--url=\"%s\"", oc->url));
  g_ptr_array_add (args, NULL);
  g_autofree char *joined = g_strjoinv (" ", (char **)args->pdata);
  g_string_append_printf (out, "ostreecontainer %s\n", joined);
}

/* bootc: F43_Bootc and F45_Bootc._getArgsAsStr */
static void
write_bootc (GString *out, const BerthKickstartBootc *bc)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  if (str_true (bc->stateroot))
    g_ptr_array_add (args, g_strdup_printf ("--stateroot=\"%s\"", bc->stateroot));
  if (str_true (bc->source_imgref))
    g_ptr_array_add (args, g_strdup_printf ("--source-imgref=\"%s\"", bc->source_imgref));
  if (str_true (bc->target_imgref))
    g_ptr_array_add (args, g_strdup_printf ("--target-imgref=\"%s\"", bc->target_imgref));
  g_ptr_array_add (args, NULL);
  g_autofree char *joined = g_strjoinv (" ", (char **)args->pdata);
  g_string_append_printf (out, "bootc %s", joined);
  if (str_true (bc->bootloader))
    g_string_append_printf (out, " --bootloader=\"%s\"", bc->bootloader);
  if (bc->composefs)
    g_string_append (out, " --composefs");
  g_string_append_c (out, '\n');
}

/* ostreesetup: F21_OSTreeSetup */
static void
write_ostreesetup (GString *out, const BerthKickstartOstreeSetup *os)
{
  if (!str_true (os->osname))
    return;
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (args, g_strdup_printf ("--osname=\"%s\"", os->osname));
  if (str_true (os->remote))
    g_ptr_array_add (args, g_strdup_printf ("--remote=\"%s\"", os->remote));
  if (str_true (os->url))
    g_ptr_array_add (args, g_strdup_printf ("--url=\"%s\"", os->url));
  if (str_true (os->ref))
    g_ptr_array_add (args, g_strdup_printf ("--ref=\"%s\"", os->ref));
  if (os->nogpg)
    g_ptr_array_add (args, g_strdup ("--nogpg"));
  g_ptr_array_add (args, NULL);
  g_autofree char *joined = g_strjoinv (" ", (char **)args->pdata);
  g_string_append_printf (out, "ostreesetup %s\n", joined);
}

/* liveimg: F19_Liveimg (Python prints a missing url as None) */
static void
write_liveimg (GString *out, const BerthKickstartLiveimg *li)
{
  g_string_append_printf (out, "liveimg --url=\"%s\"", li->url ? li->url : "None");
  if (str_true (li->proxy))
    g_string_append_printf (out, " --proxy=\"%s\"", li->proxy);
  if (li->noverifyssl)
    g_string_append (out, " --noverifyssl");
  if (str_true (li->checksum))
    g_string_append_printf (out, " --checksum=\"%s\"", li->checksum);
  g_string_append_c (out, '\n');
}

/* bootloader: F39_Bootloader._getArgsAsStr over F21, F19, F18, F17, F15, F8 and FC4 */
static void
write_bootloader (GString *out, const BerthKickstartBootloader *bl)
{
  if (!str_true (bl->location))
    return;
  g_string_append (out, "bootloader");
  if (bl->disabled)
    {
      g_string_append (out, " --disabled\n");
      return;
    }
  if (str_true (bl->append))
    g_string_append_printf (out, " --append=\"%s\"", bl->append);
  g_string_append_printf (out, " --location=%s", bl->location);
  if (str_true (bl->password))
    g_string_append_printf (out, " --password=\"%s\"", bl->password);
  if (strv_true (bl->driveorder))
    {
      g_autofree char *d = join (bl->driveorder);
      g_string_append_printf (out, " --driveorder=\"%s\"", d);
    }
  if (bl->has_timeout)
    g_string_append_printf (out, " --timeout=%" G_GINT64_FORMAT, bl->timeout);
  if (str_true (bl->default_entry))
    g_string_append_printf (out, " --default=%s", bl->default_entry);
  if (bl->is_crypted)
    g_string_append (out, " --iscrypted");
  if (str_true (bl->boot_drive))
    g_string_append_printf (out, " --boot-drive=%s", bl->boot_drive);
  if (bl->leavebootorder)
    g_string_append (out, " --leavebootorder");
  if (bl->extlinux)
    g_string_append (out, " --extlinux");
  if (bl->nombr)
    g_string_append (out, " --nombr");
  if (bl->sdboot)
    g_string_append (out, " --sdboot");
  g_string_append_c (out, '\n');
}

/* clearpart: F28_ClearPart over F21, F17 and FC3 */
static void
write_clearpart (GString *out, const BerthKickstartClearpart *cp)
{
  if (cp->type == BERTH_KICKSTART_CLEARPART_NOT_GIVEN)
    return;
  g_string_append (out, "clearpart");
  switch (cp->type)
    {
    case BERTH_KICKSTART_CLEARPART_NONE:
      g_string_append (out, " --none");
      break;
    case BERTH_KICKSTART_CLEARPART_LINUX:
      g_string_append (out, " --linux");
      break;
    case BERTH_KICKSTART_CLEARPART_ALL:
      g_string_append (out, " --all");
      break;
    default:
      break;
    }
  if (cp->initlabel)
    g_string_append (out, " --initlabel");
  if (strv_true (cp->drives))
    {
      g_autofree char *d = join (cp->drives);
      g_string_append_printf (out, " --drives=%s", d);
    }
  if (strv_true (cp->list))
    {
      g_autofree char *d = join (cp->list);
      g_string_append_printf (out, " --list=%s", d);
    }
  if (str_true (cp->disklabel))
    g_string_append_printf (out, " --disklabel=%s", cp->disklabel);
  if (cp->cdl)
    g_string_append (out, " --cdl");
  g_string_append_c (out, '\n');
}

/* ignoredisk: F8_IgnoreDisk */
static void
write_ignoredisk (GString *out, const BerthKickstartIgnoredisk *id)
{
  g_autofree char *d = NULL;
  if (strv_true (id->drives))
    g_string_append_printf (out, "ignoredisk --drives=%s\n", d = join (id->drives));
  else if (strv_true (id->only_use))
    g_string_append_printf (out, "ignoredisk --only-use=%s\n", d = join (id->only_use));
}

/* The LUKS options F29 writes when encrypted (autopart and part share them). */
static void
write_luks (GString *out, const BerthKickstartEncryption *e)
{
  if (!e->encrypted)
    return;
  if (str_true (e->luks_version))
    g_string_append_printf (out, " --luks-version=%s", e->luks_version);
  if (str_true (e->pbkdf))
    g_string_append_printf (out, " --pbkdf=%s", e->pbkdf);
  if (e->pbkdf_memory != 0)
    g_string_append_printf (out, " --pbkdf-memory=%" G_GINT64_FORMAT, e->pbkdf_memory);
  if (e->pbkdf_time != 0)
    g_string_append_printf (out, " --pbkdf-time=%" G_GINT64_FORMAT, e->pbkdf_time);
  if (e->pbkdf_iterations != 0)
    g_string_append_printf (out, " --pbkdf-iterations=%" G_GINT64_FORMAT, e->pbkdf_iterations);
}

/* autopart: F41_AutoPart over F38, F29, F26, F21, F18, F17, F12 and F9 */
static void
write_autopart (GString *out, const BerthKickstartAutopart *ap)
{
  const BerthKickstartEncryption *e = &ap->encryption;
  g_string_append (out, "autopart");
  if (e->encrypted)
    {
      g_string_append (out, " --encrypted");
      if (str_true (e->passphrase))
        g_string_append_printf (out, " --passphrase=\"%s\"", e->passphrase);
      if (str_true (e->escrowcert))
        {
          g_string_append_printf (out, " --escrowcert=\"%s\"", e->escrowcert);
          if (e->backuppassphrase)
            g_string_append (out, " --backuppassphrase");
        }
    }
  if (ap->type != BERTH_KICKSTART_AUTOPART_DEFAULT)
    g_string_append_printf (out, " --type=%s", berth_kickstart_autopart_type_to_string (ap->type));
  if (e->encrypted && str_true (e->cipher))
    g_string_append_printf (out, " --cipher=\"%s\"", e->cipher);
  if (str_true (ap->fstype))
    g_string_append_printf (out, " --fstype=%s", ap->fstype);
  if (ap->nohome)
    g_string_append (out, " --nohome");
  if (ap->noboot)
    g_string_append (out, " --noboot");
  if (ap->noswap)
    g_string_append (out, " --noswap");
  write_luks (out, e);
  if (ap->hibernation)
    g_string_append (out, " --hibernation");
  if (e->encrypted && str_true (e->hw_passphrase))
    g_string_append_printf (out, " --hw-passphrase=\"%s\"", e->hw_passphrase);
  g_string_append_c (out, '\n');
}

/* part: F41_PartData over F29, F23, F18, F17, F12, F9, FC4 and FC3 */
static void
write_partition (GString *out, const BerthKickstartPartition *p)
{
  const BerthKickstartEncryption *e = &p->encryption;
  g_string_append_printf (out, "part %s", p->mountpoint);
  if (p->asprimary)
    g_string_append (out, " --asprimary");
  if (str_true (p->fstype))
    g_string_append_printf (out, " --fstype=\"%s\"", p->fstype);
  if (p->grow)
    g_string_append (out, " --grow");
  if (p->max_size > 0)
    g_string_append_printf (out, " --maxsize=%" G_GINT64_FORMAT, p->max_size);
  if (!p->format)
    g_string_append (out, " --noformat");
  if (str_true (p->onbiosdisk))
    g_string_append_printf (out, " --onbiosdisk=%s", p->onbiosdisk);
  if (str_true (p->ondisk))
    g_string_append_printf (out, " --ondisk=%s", p->ondisk);
  if (str_true (p->onpart))
    g_string_append_printf (out, " --onpart=%s", p->onpart);
  if (p->recommended)
    g_string_append (out, " --recommended");
  if (p->has_size && p->size != 0)
    g_string_append_printf (out, " --size=%" G_GINT64_FORMAT, p->size);
  if (str_true (p->fsoptions))
    g_string_append_printf (out, " --fsoptions=\"%s\"", p->fsoptions);
  if (str_true (p->label))
    g_string_append_printf (out, " --label=\"%s\"", p->label);
  if (str_true (p->fsprofile))
    g_string_append_printf (out, " --fsprofile=\"%s\"", p->fsprofile);
  if (e->encrypted)
    {
      g_string_append (out, " --encrypted");
      if (str_true (e->passphrase))
        g_string_append_printf (out, " --passphrase=\"%s\"", e->passphrase);
      if (str_true (e->escrowcert))
        {
          g_string_append_printf (out, " --escrowcert=\"%s\"", e->escrowcert);
          if (e->backuppassphrase)
            g_string_append (out, " --backuppassphrase");
        }
    }
  if (p->resize)
    g_string_append (out, " --resize");
  if (p->hibernation)
    g_string_append (out, " --hibernation");
  if (e->encrypted && str_true (e->cipher))
    g_string_append_printf (out, " --cipher=\"%s\"", e->cipher);
  if (str_true (p->mkfsoptions))
    g_string_append_printf (out, " --mkfsoptions=\"%s\"", p->mkfsoptions);
  write_luks (out, e);
  if (e->encrypted && str_true (e->hw_passphrase))
    g_string_append_printf (out, " --hw-passphrase=\"%s\"", e->hw_passphrase);
  g_string_append_c (out, '\n');
}

/* rootpw: F37_RootPw over F18, F8 and FC3 (a password with '#' is quoted) */
static void
write_rootpw (GString *out, const BerthKickstartRootpw *rp)
{
  if (!str_true (rp->password))
    {
      /* F18: only --lock, whatever else was given */
      if (rp->lock)
        g_string_append (out, "rootpw --lock\n");
      return;
    }
  g_string_append (out, "rootpw");
  if (rp->is_crypted)
    g_string_append (out, " --iscrypted");
  if (rp->lock)
    g_string_append (out, " --lock");
  if (!rp->is_crypted)
    g_string_append (out, " --plaintext");
  if (rp->allow_ssh)
    g_string_append (out, " --allow-ssh");
  if (strchr (rp->password, '#') != NULL)
    g_string_append_printf (out, " \"%s\"\n", rp->password);
  else
    g_string_append_printf (out, " %s\n", rp->password);
}

/* user: F19_UserData over F12, F8 and FC6 */
static void
write_user (GString *out, const BerthKickstartUser *u)
{
  g_autoptr (GString) args = g_string_new (NULL);
  if (strv_true (u->groups))
    {
      g_autofree char *g = join (u->groups);
      g_string_append_printf (args, " --groups=%s", g);
    }
  if (str_true (u->homedir))
    g_string_append_printf (args, " --homedir=%s", u->homedir);
  if (str_true (u->name))
    g_string_append_printf (args, " --name=%s", u->name);
  if (str_true (u->password))
    g_string_append_printf (
      args, strchr (u->password, '#') ? " --password=\"%s\"" : " --password=%s", u->password);
  if (u->is_crypted)
    g_string_append (args, " --iscrypted");
  if (str_true (u->shell))
    g_string_append_printf (args, " --shell=%s", u->shell);
  if (u->has_uid && u->uid != 0)
    g_string_append_printf (args, " --uid=%" G_GINT64_FORMAT, u->uid);
  if (u->lock)
    g_string_append (args, " --lock");
  if (str_true (u->gecos))
    g_string_append_printf (args, " --gecos=\"%s\"", u->gecos);
  if (u->has_gid && u->gid != 0)
    g_string_append_printf (args, " --gid=%" G_GINT64_FORMAT, u->gid);
  if (args->len > 0)
    g_string_append_printf (out, "user%s\n", args->str);
}

/* group: F12_GroupData */
static void
write_group (GString *out, const BerthKickstartGroup *g)
{
  g_string_append (out, "group");
  if (str_true (g->name))
    g_string_append_printf (out, " --name=%s", g->name);
  if (g->has_gid && g->gid != 0)
    g_string_append_printf (out, " --gid=%" G_GINT64_FORMAT, g->gid);
  g_string_append_c (out, '\n');
}

/* sshkey: F38_SshKeyData (the key's '"' escaped) */
static void
write_sshkey (GString *out, const BerthKickstartSshkey *k)
{
  g_auto (GStrv) parts = g_strsplit (k->key, "\"", -1);
  g_autofree char *escaped = g_strjoinv ("\\\"", parts);
  g_string_append_printf (out, "sshkey --username=%s \"%s\"\n", k->username, escaped);
}

/* reboot, shutdown, halt: F23_Reboot over F18, FC6 and FC3 */
static void
write_finish (GString *out, const BerthKickstartFinishCommand *f)
{
  g_string_append (out, berth_kickstart_finish_to_string (f->action));
  if (f->eject)
    g_string_append (out, " --eject");
  if (f->kexec)
    g_string_append (out, " --kexec");
  g_string_append_c (out, '\n');
}

char *
berth_kickstart_command_to_string (const BerthKickstart *ks, const char *name)
{
  g_autoptr (GString) out = g_string_new (NULL);
  if (g_str_equal (name, "ostreecontainer"))
    {
      if (ks->ostreecontainer.seen)
        write_ostreecontainer (out, &ks->ostreecontainer);
    }
  else if (g_str_equal (name, "bootc"))
    {
      if (ks->bootc.seen)
        write_bootc (out, &ks->bootc);
    }
  else if (g_str_equal (name, "ostreesetup"))
    {
      if (ks->ostreesetup.seen)
        write_ostreesetup (out, &ks->ostreesetup);
    }
  else if (g_str_equal (name, "liveimg"))
    {
      if (ks->liveimg.seen)
        write_liveimg (out, &ks->liveimg);
    }
  else if (g_str_equal (name, "bootloader"))
    {
      if (ks->bootloader.seen)
        write_bootloader (out, &ks->bootloader);
    }
  else if (g_str_equal (name, "zerombr"))
    {
      if (ks->zerombr.seen)
        g_string_append (out, "zerombr\n");
    }
  else if (g_str_equal (name, "clearpart"))
    {
      if (ks->clearpart.seen)
        write_clearpart (out, &ks->clearpart);
    }
  else if (g_str_equal (name, "ignoredisk"))
    {
      if (ks->ignoredisk.seen)
        write_ignoredisk (out, &ks->ignoredisk);
    }
  else if (g_str_equal (name, "autopart"))
    {
      if (ks->autopart.seen)
        write_autopart (out, &ks->autopart);
    }
  else if (g_str_equal (name, "reqpart"))
    {
      if (ks->reqpart.seen)
        g_string_append_printf (out, "reqpart%s\n", ks->reqpart.add_boot ? " --add-boot" : "");
    }
  else if (g_str_equal (name, "rootpw"))
    {
      if (ks->rootpw.seen)
        write_rootpw (out, &ks->rootpw);
    }
  else if (g_str_equal (name, "reboot") || g_str_equal (name, "poweroff")
           || g_str_equal (name, "shutdown") || g_str_equal (name, "halt"))
    {
      if (ks->finish.seen)
        write_finish (out, &ks->finish);
    }
  else if (g_str_equal (name, "part") || g_str_equal (name, "partition"))
    {
      for (guint i = 0; i < ks->partitions->len; i++)
        write_partition (out, ks->partitions->pdata[i]);
    }
  else if (g_str_equal (name, "user"))
    {
      for (guint i = 0; i < ks->users->len; i++)
        write_user (out, ks->users->pdata[i]);
    }
  else if (g_str_equal (name, "group"))
    {
      for (guint i = 0; i < ks->groups->len; i++)
        write_group (out, ks->groups->pdata[i]);
    }
  else if (g_str_equal (name, "sshkey"))
    {
      for (guint i = 0; i < ks->sshkeys->len; i++)
        write_sshkey (out, ks->sshkeys->pdata[i]);
    }
  else
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
berth_kickstart_elements_to_string (const BerthKickstart *ks)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < ks->elements->len; i++)
    {
      const BerthKickstartElement *e = ks->elements->pdata[i];
      g_autofree char *name = ks_shlex_quote (e->name);
      g_string_append (out, name);
      for (char **a = e->args; a && *a; a++)
        {
          g_autofree char *q = ks_shlex_quote (*a);
          g_string_append_printf (out, " %s", q);
        }
      g_string_append_c (out, '\n');
      if (e->kind == BERTH_KICKSTART_ELEMENT_SECTION)
        {
          g_string_append (out, e->body ? e->body : "");
          if (e->body != NULL && *e->body != '\0' && !g_str_has_suffix (e->body, "\n"))
            g_string_append_c (out, '\n');
          g_string_append (out, "%end\n");
        }
    }
  return g_string_free (out, FALSE);
}
