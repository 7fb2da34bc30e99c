/* kickstart: the commands, as pykickstart 3.74 defines them for Fedora 45
 * (pykickstart/commands/NAME.py, the newest class of each, and pykickstart/handlers/f45.py for
 * which commands exist). Each parsed command is an option table (what argparse is given),
 * the checks the command's parse() makes, and the typed fields it fills. A single-use command
 * given again is merged as pykickstart's set_to_self merges it: every value that is not None
 * (given, or an option's non-None default) replaces the earlier one. */
#include "kickstart/kickstart-private.h"

#include <stdarg.h>
#include <string.h>

/* ---- messages ------------------------------------------------------------------------ */

char *
ks_where (const BerthKickstartLocation *where)
{
  return g_strdup_printf ("%s:%u", where->file, where->line);
}

void
ks_warn (BerthKickstart *ks, const BerthKickstartLocation *where, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_ptr_array_add (ks->warnings, g_strdup_printf ("%s:%u: %s", where->file, where->line, msg));
}

gboolean
ks_throw (GError **error, const BerthKickstartLocation *where, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT, "%s:%u: %s", where->file,
               where->line, msg);
  return FALSE;
}

/* ---- freeing ------------------------------------------------------------------------- */

void
ks_encryption_clear (BerthKickstartEncryption *e)
{
  g_clear_pointer (&e->passphrase, g_free);
  g_clear_pointer (&e->escrowcert, g_free);
  g_clear_pointer (&e->cipher, g_free);
  g_clear_pointer (&e->luks_version, g_free);
  g_clear_pointer (&e->pbkdf, g_free);
  g_clear_pointer (&e->hw_passphrase, g_free);
}

void
ks_partition_free (BerthKickstartPartition *p)
{
  g_free (p->mountpoint);
  g_free (p->fstype);
  g_free (p->ondisk);
  g_free (p->onpart);
  g_free (p->onbiosdisk);
  g_free (p->label);
  g_free (p->fsoptions);
  g_free (p->fsprofile);
  g_free (p->mkfsoptions);
  ks_encryption_clear (&p->encryption);
  g_free (p);
}

void
ks_user_free (BerthKickstartUser *u)
{
  g_free (u->name);
  g_free (u->password);
  g_strfreev (u->groups);
  g_free (u->homedir);
  g_free (u->shell);
  g_free (u->gecos);
  g_free (u);
}

void
ks_group_free (BerthKickstartGroup *g)
{
  g_free (g->name);
  g_free (g);
}

void
ks_sshkey_free (BerthKickstartSshkey *k)
{
  g_free (k->username);
  g_free (k->key);
  g_free (k);
}

void
ks_network_free (BerthKickstartNetwork *n)
{
  g_strfreev (n->args);
  g_free (n->hostname);
  g_free (n->device);
  g_free (n->bootproto);
  g_free (n);
}

void
ks_script_free (BerthKickstartScript *s)
{
  g_free (s->interpreter);
  g_free (s->log);
  g_free (s->body);
  g_free (s);
}

void
ks_element_free (BerthKickstartElement *e)
{
  g_free (e->name);
  g_strfreev (e->args);
  g_free (e->body);
  g_free (e);
}

void
ks_commands_clear (BerthKickstart *ks)
{
  BerthKickstartOstreeContainer *oc = &ks->ostreecontainer;
  g_free (oc->url);
  g_free (oc->transport);
  g_free (oc->stateroot);
  g_free (oc->remote);
  g_free (ks->bootc.source_imgref);
  g_free (ks->bootc.target_imgref);
  g_free (ks->bootc.stateroot);
  g_free (ks->bootc.bootloader);
  g_free (ks->ostreesetup.osname);
  g_free (ks->ostreesetup.remote);
  g_free (ks->ostreesetup.url);
  g_free (ks->ostreesetup.ref);
  g_free (ks->liveimg.url);
  g_free (ks->liveimg.proxy);
  g_free (ks->liveimg.checksum);
  BerthKickstartBootloader *bl = &ks->bootloader;
  g_free (bl->append);
  g_free (bl->location);
  g_free (bl->password);
  g_strfreev (bl->driveorder);
  g_free (bl->default_entry);
  g_free (bl->boot_drive);
  g_strfreev (ks->clearpart.drives);
  g_strfreev (ks->clearpart.list);
  g_free (ks->clearpart.disklabel);
  g_strfreev (ks->ignoredisk.drives);
  g_strfreev (ks->ignoredisk.only_use);
  g_free (ks->autopart.fstype);
  ks_encryption_clear (&ks->autopart.encryption);
  g_free (ks->rootpw.password);
  g_free (ks->timezone.timezone);
  g_strfreev (ks->timezone.ntpservers);
  g_free (ks->lang.lang);
  g_strfreev (ks->lang.addsupport);
  g_free (ks->keyboard.keyboard);
  g_free (ks->keyboard.vckeymap);
  g_strfreev (ks->keyboard.xlayouts);
  g_strfreev (ks->keyboard.switch_options);
  g_strfreev (ks->services.enabled);
  g_strfreev (ks->services.disabled);
  g_strfreev (ks->firewall.ports);
  g_strfreev (ks->firewall.trusts);
  g_strfreev (ks->firewall.services);
  g_strfreev (ks->firewall.remove_services);
  g_strfreev (ks->packages.packages);
  g_strfreev (ks->packages.excluded);
  g_strfreev (ks->packages.groups);
  g_strfreev (ks->packages.excluded_groups);
  g_free (ks->packages.environment);
}

/* ---- merging parsed values (pykickstart's set_to_obj: None leaves the field alone) ------ */

static void
set_str (char **field, const KsValue *v)
{
  if (v->kind != KS_VALUE_STRING)
    return;
  g_free (*field);
  *field = g_strdup (v->s);
}

static void
set_bool (gboolean *field, const KsValue *v)
{
  if (v->kind == KS_VALUE_BOOL)
    *field = v->b;
}

static void
set_int (gint64 *field, gboolean *has, const KsValue *v)
{
  if (v->kind != KS_VALUE_INT)
    return;
  *field = v->i;
  if (has != NULL)
    *has = TRUE;
}

static void
set_strv (char ***field, const KsValue *v)
{
  if (v->kind != KS_VALUE_LIST)
    return;
  g_strfreev (*field);
  *field = ks_value_dup_strv (v);
}

/* Python's truth of a string or list field. */
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

static gboolean
was_given (const KsParsed *parsed, const char *option)
{
  for (guint i = 0; i < parsed->given->len; i++)
    if (g_str_equal (parsed->given->pdata[i], option))
      return TRUE;
  return FALSE;
}

#define OPT(...)                                                                                   \
  {                                                                                                \
    __VA_ARGS__                                                                                    \
  }
#define NAMES(...) .names = { __VA_ARGS__ }
#define V_NONE                                                                                     \
  {                                                                                                \
    KS_VALUE_NONE, NULL, 0, FALSE, NULL                                                            \
  }
#define V_STR(x)                                                                                   \
  {                                                                                                \
    KS_VALUE_STRING, (char *)(x), 0, FALSE, NULL                                                   \
  }
#define V_BOOL(x)                                                                                  \
  {                                                                                                \
    KS_VALUE_BOOL, NULL, 0, (x), NULL                                                              \
  }
#define V_INT(x)                                                                                   \
  {                                                                                                \
    KS_VALUE_INT, NULL, (x), FALSE, NULL                                                           \
  }
#define PARSER(prog_, options_, defaults_, n_dests_)                                               \
  .prog = (prog_), .options = (options_), .n_options = G_N_ELEMENTS (options_),                    \
  .defaults = (defaults_), .n_dests = (n_dests_)

/* What a handler gets. */
typedef struct
{
  KsState *state;
  BerthKickstart *ks;
  const char *name; /* the command as written: "part" or "partition" */
  const BerthKickstartLocation *where;
  const char *at; /* "FILE:LINE" */
  char **args;    /* the words after the name */
  KsParsed *parsed;
} Cmd;

/* The deprecated options given, as pykickstart warns of them. */
static void
warn_deprecated (Cmd *c)
{
  for (guint i = 0; i < c->parsed->deprecated->len; i++)
    ks_warn (c->ks, c->where,
             "%s %s is deprecated and has no effect (pykickstart ignores it): remove it", c->name,
             (const char *)c->parsed->deprecated->pdata[i]);
}

/* A parser's leftover words ("Unexpected arguments to %s command" in pykickstart). */
static gboolean
refuse_extras (Cmd *c, const char *takes, GError **error)
{
  GPtrArray *extras = c->parsed->extras;
  if (extras->len == 0)
    return TRUE;
  g_autoptr (GString) list = g_string_new (NULL);
  for (guint i = 0; i < extras->len; i++)
    g_string_append_printf (list, "%s%s", i > 0 ? " " : "", (const char *)extras->pdata[i]);
  return ks_throw (error, c->where,
                   "%s: unexpected '%s': %s takes %s; remove the rest, or quote a value that "
                   "has spaces",
                   c->name, list->str, c->name, takes);
}

/* ---- ostreecontainer (F43_OSTreeContainer) ------------------------------------------- */

enum
{
  OC_STATEROOT,
  OC_URL,
  OC_TRANSPORT,
  OC_REMOTE,
  OC_NOSIG,
  OC_N
};
static const KsOption ostreecontainer_options[] = {
  OPT (NAMES ("--stateroot"), .dest = OC_STATEROOT),
  OPT (NAMES ("--url"), .dest = OC_URL, .required = TRUE),
  OPT (NAMES ("--transport"), .dest = OC_TRANSPORT),
  OPT (NAMES ("--remote"), .dest = OC_REMOTE),
  OPT (NAMES ("--no-signature-verification"), .dest = OC_NOSIG, .action = KS_ACT_TRUE),
};
static const KsValue ostreecontainer_defaults[OC_N] = { [OC_NOSIG] = V_BOOL (FALSE) };
static const KsParser ostreecontainer_parser
  = { PARSER ("ostreecontainer", ostreecontainer_options, ostreecontainer_defaults, OC_N) };

static gboolean
handle_ostreecontainer (Cmd *c, GError **error)
{
  BerthKickstartOstreeContainer *oc = &c->ks->ostreecontainer;
  const KsValue *v = c->parsed->values;
  set_str (&oc->stateroot, &v[OC_STATEROOT]);
  set_str (&oc->url, &v[OC_URL]);
  set_str (&oc->transport, &v[OC_TRANSPORT]);
  set_str (&oc->remote, &v[OC_REMOTE]);
  set_bool (&oc->no_signature_verification, &v[OC_NOSIG]);
  oc->remote_given |= was_given (c->parsed, "--remote");
  /* pykickstart: "if not self.remote: self.remote = self.stateroot" */
  if (!str_true (oc->remote))
    berth_set_str (&oc->remote, oc->stateroot);
  return TRUE;
}

/* ---- bootc (F45_Bootc) --------------------------------------------------------------- */

enum
{
  BC_STATEROOT,
  BC_SOURCE,
  BC_TARGET,
  BC_BOOTLOADER,
  BC_COMPOSEFS,
  BC_N
};
static const KsOption bootc_options[] = {
  OPT (NAMES ("--stateroot"), .dest = BC_STATEROOT),
  OPT (NAMES ("--source-imgref"), .dest = BC_SOURCE, .required = TRUE),
  OPT (NAMES ("--target-imgref"), .dest = BC_TARGET),
  OPT (NAMES ("--bootloader"), .dest = BC_BOOTLOADER),
  OPT (NAMES ("--composefs"), .dest = BC_COMPOSEFS, .action = KS_ACT_TRUE),
};
static const KsValue bootc_defaults[BC_N]
  = { [BC_STATEROOT] = V_STR ("default"), [BC_COMPOSEFS] = V_BOOL (FALSE) };
static const KsParser bootc_parser = { PARSER ("bootc", bootc_options, bootc_defaults, BC_N) };

static gboolean
handle_bootc (Cmd *c, GError **error)
{
  BerthKickstartBootc *bc = &c->ks->bootc;
  const KsValue *v = c->parsed->values;
  set_str (&bc->stateroot, &v[BC_STATEROOT]);
  set_str (&bc->source_imgref, &v[BC_SOURCE]);
  set_str (&bc->target_imgref, &v[BC_TARGET]);
  set_str (&bc->bootloader, &v[BC_BOOTLOADER]);
  set_bool (&bc->composefs, &v[BC_COMPOSEFS]);
  bc->target_given |= was_given (c->parsed, "--target-imgref");
  if (!str_true (bc->target_imgref))
    berth_set_str (&bc->target_imgref, bc->source_imgref);
  return TRUE;
}

/* ---- ostreesetup (F43_OSTreeSetup) --------------------------------------------------- */

enum
{
  OS_OSNAME,
  OS_REMOTE,
  OS_URL,
  OS_REF,
  OS_NOGPG,
  OS_N
};
static const KsOption ostreesetup_options[] = {
  OPT (NAMES ("--osname"), .dest = OS_OSNAME, .required = TRUE),
  OPT (NAMES ("--remote"), .dest = OS_REMOTE),
  OPT (NAMES ("--url"), .dest = OS_URL, .required = TRUE),
  OPT (NAMES ("--ref"), .dest = OS_REF, .required = TRUE),
  OPT (NAMES ("--nogpg"), .dest = OS_NOGPG, .action = KS_ACT_TRUE),
};
static const KsValue ostreesetup_defaults[OS_N] = { [OS_NOGPG] = V_BOOL (FALSE) };
static const KsParser ostreesetup_parser
  = { PARSER ("ostreesetup", ostreesetup_options, ostreesetup_defaults, OS_N) };

static gboolean
handle_ostreesetup (Cmd *c, GError **error)
{
  BerthKickstartOstreeSetup *os = &c->ks->ostreesetup;
  const KsValue *v = c->parsed->values;
  set_str (&os->osname, &v[OS_OSNAME]);
  set_str (&os->remote, &v[OS_REMOTE]);
  set_str (&os->url, &v[OS_URL]);
  set_str (&os->ref, &v[OS_REF]);
  set_bool (&os->nogpg, &v[OS_NOGPG]);
  if (!str_true (os->remote))
    berth_set_str (&os->remote, os->osname);
  if (!g_str_has_prefix (os->url, "file:") && !g_str_has_prefix (os->url, "http:")
      && !g_str_has_prefix (os->url, "https:"))
    return ks_throw (error, c->where,
                     "ostreesetup --url=%s: an ostree repository is reached by file:, http: or "
                     "https: (pykickstart refuses anything else): give such a URL",
                     os->url);
  return TRUE;
}

/* ---- liveimg (F19_Liveimg) ----------------------------------------------------------- */

enum
{
  LI_URL,
  LI_PROXY,
  LI_NOVERIFYSSL,
  LI_CHECKSUM,
  LI_N
};
static const KsOption liveimg_options[] = {
  OPT (NAMES ("--url"), .dest = LI_URL, .required = TRUE),
  OPT (NAMES ("--proxy"), .dest = LI_PROXY),
  OPT (NAMES ("--noverifyssl"), .dest = LI_NOVERIFYSSL, .action = KS_ACT_TRUE),
  OPT (NAMES ("--checksum"), .dest = LI_CHECKSUM),
};
static const KsValue liveimg_defaults[LI_N] = { [LI_NOVERIFYSSL] = V_BOOL (FALSE) };
static const KsParser liveimg_parser
  = { PARSER ("liveimg", liveimg_options, liveimg_defaults, LI_N) };

static gboolean
handle_liveimg (Cmd *c, GError **error)
{
  BerthKickstartLiveimg *li = &c->ks->liveimg;
  const KsValue *v = c->parsed->values;
  set_str (&li->url, &v[LI_URL]);
  set_str (&li->proxy, &v[LI_PROXY]);
  set_bool (&li->noverifyssl, &v[LI_NOVERIFYSSL]);
  set_str (&li->checksum, &v[LI_CHECKSUM]);
  return TRUE;
}

/* ---- bootloader (F39_Bootloader) ----------------------------------------------------- */

enum
{
  BL_APPEND,
  BL_LOCATION,
  BL_PASSWORD,
  BL_DRIVEORDER,
  BL_TIMEOUT,
  BL_DEFAULT,
  BL_ISCRYPTED,
  BL_MD5PASS,
  BL_BOOTDRIVE,
  BL_LEAVEBOOTORDER,
  BL_EXTLINUX,
  BL_DISABLED,
  BL_NOMBR,
  BL_SDBOOT,
  BL_N
};
static const char *const bootloader_locations[] = { "mbr", "partition", "none", "boot", NULL };
static const KsOption bootloader_options[] = {
  OPT (NAMES ("--append"), .dest = BL_APPEND),
  OPT (NAMES ("--location"), .dest = BL_LOCATION, .choices = bootloader_locations),
  OPT (NAMES ("--password"), .dest = BL_PASSWORD),
  OPT (NAMES ("--driveorder"), .dest = BL_DRIVEORDER, .action = KS_ACT_STORE_SPLIT),
  OPT (NAMES ("--timeout"), .dest = BL_TIMEOUT, .action = KS_ACT_STORE_INT, .what = "seconds"),
  OPT (NAMES ("--default"), .dest = BL_DEFAULT),
  OPT (NAMES ("--iscrypted"), .dest = BL_ISCRYPTED, .action = KS_ACT_TRUE),
  OPT (NAMES ("--md5pass"), .dest = BL_MD5PASS),
  OPT (NAMES ("--boot-drive"), .dest = BL_BOOTDRIVE),
  OPT (NAMES ("--leavebootorder"), .dest = BL_LEAVEBOOTORDER, .action = KS_ACT_TRUE),
  OPT (NAMES ("--extlinux"), .dest = BL_EXTLINUX, .action = KS_ACT_TRUE),
  OPT (NAMES ("--disabled"), .dest = BL_DISABLED, .action = KS_ACT_TRUE),
  OPT (NAMES ("--nombr"), .dest = BL_NOMBR, .action = KS_ACT_TRUE),
  OPT (NAMES ("--sdboot"), .dest = BL_SDBOOT, .action = KS_ACT_TRUE),
};
static const KsValue bootloader_defaults[BL_N] = {
  [BL_LOCATION] = V_STR ("mbr"),        [BL_PASSWORD] = V_STR (""),
  [BL_ISCRYPTED] = V_BOOL (FALSE),      [BL_BOOTDRIVE] = V_STR (""),
  [BL_LEAVEBOOTORDER] = V_BOOL (FALSE), [BL_EXTLINUX] = V_BOOL (FALSE),
  [BL_DISABLED] = V_BOOL (FALSE),       [BL_NOMBR] = V_BOOL (FALSE),
  [BL_SDBOOT] = V_BOOL (FALSE),
};
static const KsParser bootloader_parser
  = { PARSER ("bootloader", bootloader_options, bootloader_defaults, BL_N) };

static gboolean
handle_bootloader (Cmd *c, GError **error)
{
  BerthKickstartBootloader *bl = &c->ks->bootloader;
  KsValue *v = c->parsed->values;
  /* F15: --md5pass=X is --password=X --iscrypted */
  if (v[BL_MD5PASS].kind == KS_VALUE_STRING && str_true (v[BL_MD5PASS].s))
    {
      ks_value_clear (&v[BL_PASSWORD]);
      v[BL_PASSWORD].kind = KS_VALUE_STRING;
      v[BL_PASSWORD].s = g_strdup (v[BL_MD5PASS].s);
      ks_value_clear (&v[BL_ISCRYPTED]);
      v[BL_ISCRYPTED].kind = KS_VALUE_BOOL;
      v[BL_ISCRYPTED].b = TRUE;
    }
  set_str (&bl->append, &v[BL_APPEND]);
  set_str (&bl->location, &v[BL_LOCATION]);
  set_str (&bl->password, &v[BL_PASSWORD]);
  set_strv (&bl->driveorder, &v[BL_DRIVEORDER]);
  set_int (&bl->timeout, &bl->has_timeout, &v[BL_TIMEOUT]);
  set_str (&bl->default_entry, &v[BL_DEFAULT]);
  set_bool (&bl->is_crypted, &v[BL_ISCRYPTED]);
  set_str (&bl->boot_drive, &v[BL_BOOTDRIVE]);
  set_bool (&bl->leavebootorder, &v[BL_LEAVEBOOTORDER]);
  set_bool (&bl->extlinux, &v[BL_EXTLINUX]);
  set_bool (&bl->disabled, &v[BL_DISABLED]);
  set_bool (&bl->nombr, &v[BL_NOMBR]);
  set_bool (&bl->sdboot, &v[BL_SDBOOT]);
  if (bl->boot_drive != NULL && strchr (bl->boot_drive, ',') != NULL)
    return ks_throw (error, c->where,
                     "bootloader --boot-drive=%s: one disk only (pykickstart: \"--boot-drive "
                     "accepts only one argument\"): keep one; --driveorder lists several",
                     bl->boot_drive);
  if (bl->sdboot && bl->extlinux)
    return ks_throw (error, c->where,
                     "bootloader: --sdboot and --extlinux name two boot loaders: keep one");
  return TRUE;
}

/* ---- zerombr (F9_ZeroMbr) ------------------------------------------------------------ */

static const KsOption no_options[] = { OPT (NAMES (NULL)) };
static const KsParser zerombr_parser
  = { .prog = "zerombr", .options = no_options, .n_options = 0, .n_dests = 0 };

static gboolean
handle_zerombr (Cmd *c, GError **error)
{
  return TRUE;
}

/* ---- clearpart (F28_ClearPart) ------------------------------------------------------- */

enum
{
  CP_TYPE,
  CP_INITLABEL,
  CP_DISKLABEL,
  CP_DRIVES,
  CP_LIST,
  CP_CDL,
  CP_N
};
/* pykickstart's CLEARPART_TYPE_LINUX 0, ALL 1, NONE 2, LIST 3 */
static const KsOption clearpart_options[] = {
  OPT (NAMES ("--all"), .dest = CP_TYPE, .action = KS_ACT_CONST, .const_int = 1),
  OPT (NAMES ("--initlabel"), .dest = CP_INITLABEL, .action = KS_ACT_TRUE),
  OPT (NAMES ("--linux"), .dest = CP_TYPE, .action = KS_ACT_CONST, .const_int = 0),
  OPT (NAMES ("--none"), .dest = CP_TYPE, .action = KS_ACT_CONST, .const_int = 2),
  OPT (NAMES ("--disklabel"), .dest = CP_DISKLABEL),
  OPT (NAMES ("--drives"), .dest = CP_DRIVES, .action = KS_ACT_STORE_SPLIT),
  OPT (NAMES ("--list"), .dest = CP_LIST, .action = KS_ACT_STORE_SPLIT),
  OPT (NAMES ("--cdl"), .dest = CP_CDL, .action = KS_ACT_TRUE),
};
static const KsValue clearpart_defaults[CP_N] = {
  [CP_INITLABEL] = V_BOOL (FALSE),
  [CP_DISKLABEL] = V_STR (""),
  [CP_CDL] = V_BOOL (FALSE),
};
static const KsParser clearpart_parser
  = { PARSER ("clearpart", clearpart_options, clearpart_defaults, CP_N) };

static gboolean
handle_clearpart (Cmd *c, GError **error)
{
  BerthKickstartClearpart *cp = &c->ks->clearpart;
  const KsValue *v = c->parsed->values;
  if (v[CP_TYPE].kind == KS_VALUE_INT)
    cp->type = v[CP_TYPE].i == 0   ? BERTH_KICKSTART_CLEARPART_LINUX
               : v[CP_TYPE].i == 1 ? BERTH_KICKSTART_CLEARPART_ALL
                                   : BERTH_KICKSTART_CLEARPART_NONE;
  set_bool (&cp->initlabel, &v[CP_INITLABEL]);
  set_str (&cp->disklabel, &v[CP_DISKLABEL]);
  set_strv (&cp->drives, &v[CP_DRIVES]);
  set_strv (&cp->list, &v[CP_LIST]);
  set_bool (&cp->cdl, &v[CP_CDL]);
  /* F17: a --list makes the type LIST */
  if (strv_true (cp->list))
    cp->type = BERTH_KICKSTART_CLEARPART_LIST;
  return TRUE;
}

/* ---- ignoredisk (F34_IgnoreDisk) ----------------------------------------------------- */

enum
{
  ID_DRIVES,
  ID_ONLYUSE,
  ID_N
};
static const KsOption ignoredisk_options[] = {
  OPT (NAMES ("--drives"), .dest = ID_DRIVES, .action = KS_ACT_STORE_SPLIT),
  OPT (NAMES ("--only-use"), .dest = ID_ONLYUSE, .action = KS_ACT_STORE_SPLIT),
};
static const KsParser ignoredisk_parser = { PARSER ("ignoredisk", ignoredisk_options, NULL, ID_N) };

static gboolean
handle_ignoredisk (Cmd *c, GError **error)
{
  BerthKickstartIgnoredisk *id = &c->ks->ignoredisk;
  set_strv (&id->drives, &c->parsed->values[ID_DRIVES]);
  set_strv (&id->only_use, &c->parsed->values[ID_ONLYUSE]);
  if (strv_true (id->drives) == strv_true (id->only_use))
    return ks_throw (error, c->where,
                     "ignoredisk needs exactly one of --drives (disks to leave alone) and "
                     "--only-use (the only disks to use), with at least one disk: %s",
                     strv_true (id->drives) ? "keep one of them" : "add one");
  return TRUE;
}

/* ---- encryption options (autopart and part) ------------------------------------------- */

static gboolean
check_encryption (Cmd *c, const BerthKickstartEncryption *e, GError **error)
{
  if (e->pbkdf_time != 0 && e->pbkdf_iterations != 0)
    return ks_throw (error, c->where,
                     "%s: --pbkdf-time and --pbkdf-iterations both set the key derivation's "
                     "cost: keep one",
                     c->name);
  if (str_true (e->hw_passphrase)
      && (!e->encrypted || e->luks_version == NULL
          || !g_str_has_prefix (e->luks_version, "luks2-")))
    return ks_throw (error, c->where,
                     "%s --hw-passphrase is for LUKS2 hardware (OPAL) encryption only: add "
                     "--encrypted and --luks-version=luks2-hw-opal (or luks2-hw-opal-only), "
                     "or remove it",
                     c->name);
  return TRUE;
}

/* ---- autopart (F41_AutoPart) --------------------------------------------------------- */

enum
{
  AP_ENCRYPTED,
  AP_PASSPHRASE,
  AP_ESCROWCERT,
  AP_BACKUPPASSPHRASE,
  AP_TYPE,
  AP_CIPHER,
  AP_FSTYPE,
  AP_NOHOME,
  AP_NOBOOT,
  AP_NOSWAP,
  AP_LUKS_VERSION,
  AP_PBKDF,
  AP_PBKDF_MEMORY,
  AP_PBKDF_TIME,
  AP_PBKDF_ITERATIONS,
  AP_HIBERNATION,
  AP_HW_PASSPHRASE,
  AP_N
};
/* pykickstart's typeMap; "partition" is "plain" */
static const char *const autopart_types[] = { "lvm", "btrfs", "plain", "partition", "thinp", NULL };
static const KsOption autopart_options[] = {
  OPT (NAMES ("--encrypted"), .dest = AP_ENCRYPTED, .action = KS_ACT_TRUE),
  OPT (NAMES ("--passphrase"), .dest = AP_PASSPHRASE),
  OPT (NAMES ("--escrowcert"), .dest = AP_ESCROWCERT),
  OPT (NAMES ("--backuppassphrase"), .dest = AP_BACKUPPASSPHRASE, .action = KS_ACT_TRUE),
  OPT (NAMES ("--nolvm"), .dest = AP_TYPE, .action = KS_ACT_CONST, .const_int = 2),
  OPT (NAMES ("--type"), .dest = AP_TYPE, .type = KS_TYPE_LOWER_CHOICE, .choices = autopart_types),
  OPT (NAMES ("--cipher"), .dest = AP_CIPHER),
  OPT (NAMES ("--fstype"), .dest = AP_FSTYPE),
  OPT (NAMES ("--nohome"), .dest = AP_NOHOME, .action = KS_ACT_TRUE),
  OPT (NAMES ("--noboot"), .dest = AP_NOBOOT, .action = KS_ACT_TRUE),
  OPT (NAMES ("--noswap"), .dest = AP_NOSWAP, .action = KS_ACT_TRUE),
  OPT (NAMES ("--luks-version"), .dest = AP_LUKS_VERSION),
  OPT (NAMES ("--pbkdf"), .dest = AP_PBKDF),
  OPT (NAMES ("--pbkdf-memory"), .dest = AP_PBKDF_MEMORY, .action = KS_ACT_STORE_INT,
       .what = "KiB"),
  OPT (NAMES ("--pbkdf-time"), .dest = AP_PBKDF_TIME, .action = KS_ACT_STORE_INT,
       .what = "milliseconds"),
  OPT (NAMES ("--pbkdf-iterations"), .dest = AP_PBKDF_ITERATIONS, .action = KS_ACT_STORE_INT),
  OPT (NAMES ("--hibernation"), .dest = AP_HIBERNATION, .action = KS_ACT_TRUE),
  OPT (NAMES ("--hw-passphrase"), .dest = AP_HW_PASSPHRASE),
};
static const KsValue autopart_defaults[AP_N] = {
  [AP_ENCRYPTED] = V_BOOL (FALSE),   [AP_BACKUPPASSPHRASE] = V_BOOL (FALSE),
  [AP_NOHOME] = V_BOOL (FALSE),      [AP_NOBOOT] = V_BOOL (FALSE),
  [AP_NOSWAP] = V_BOOL (FALSE),      [AP_LUKS_VERSION] = V_STR (""),
  [AP_PBKDF] = V_STR (""),           [AP_PBKDF_MEMORY] = V_INT (0),
  [AP_PBKDF_TIME] = V_INT (0),       [AP_PBKDF_ITERATIONS] = V_INT (0),
  [AP_HIBERNATION] = V_BOOL (FALSE), [AP_HW_PASSPHRASE] = V_STR (""),
};
static const KsParser autopart_parser
  = { PARSER ("autopart", autopart_options, autopart_defaults, AP_N) };

const char *
berth_kickstart_autopart_type_to_string (BerthKickstartAutopartType type)
{
  switch (type)
    {
    case BERTH_KICKSTART_AUTOPART_LVM:
      return "lvm";
    case BERTH_KICKSTART_AUTOPART_BTRFS:
      return "btrfs";
    case BERTH_KICKSTART_AUTOPART_PLAIN:
      return "plain";
    case BERTH_KICKSTART_AUTOPART_THINP:
      return "thinp";
    default:
      return "default";
    }
}

static void
merge_encryption (BerthKickstartEncryption *e, const KsValue *encrypted, const KsValue *passphrase,
                  const KsValue *escrowcert, const KsValue *backup, const KsValue *cipher,
                  const KsValue *luks, const KsValue *pbkdf, const KsValue *memory,
                  const KsValue *time, const KsValue *iterations, const KsValue *hw)
{
  set_bool (&e->encrypted, encrypted);
  set_str (&e->passphrase, passphrase);
  set_str (&e->escrowcert, escrowcert);
  set_bool (&e->backuppassphrase, backup);
  set_str (&e->cipher, cipher);
  set_str (&e->luks_version, luks);
  set_str (&e->pbkdf, pbkdf);
  set_int (&e->pbkdf_memory, NULL, memory);
  set_int (&e->pbkdf_time, NULL, time);
  set_int (&e->pbkdf_iterations, NULL, iterations);
  set_str (&e->hw_passphrase, hw);
}

static gboolean
handle_autopart (Cmd *c, GError **error)
{
  BerthKickstartAutopart *ap = &c->ks->autopart;
  const KsValue *v = c->parsed->values;
  if (v[AP_TYPE].kind == KS_VALUE_INT) /* --nolvm */
    ap->type = BERTH_KICKSTART_AUTOPART_PLAIN;
  else if (v[AP_TYPE].kind == KS_VALUE_STRING)
    {
      const char *t = v[AP_TYPE].s; /* lower case already */
      ap->type = g_str_equal (t, "lvm")     ? BERTH_KICKSTART_AUTOPART_LVM
                 : g_str_equal (t, "btrfs") ? BERTH_KICKSTART_AUTOPART_BTRFS
                 : g_str_equal (t, "thinp") ? BERTH_KICKSTART_AUTOPART_THINP
                                            : BERTH_KICKSTART_AUTOPART_PLAIN;
    }
  set_str (&ap->fstype, &v[AP_FSTYPE]);
  set_bool (&ap->nohome, &v[AP_NOHOME]);
  set_bool (&ap->noboot, &v[AP_NOBOOT]);
  set_bool (&ap->noswap, &v[AP_NOSWAP]);
  set_bool (&ap->hibernation, &v[AP_HIBERNATION]);
  merge_encryption (&ap->encryption, &v[AP_ENCRYPTED], &v[AP_PASSPHRASE], &v[AP_ESCROWCERT],
                    &v[AP_BACKUPPASSPHRASE], &v[AP_CIPHER], &v[AP_LUKS_VERSION], &v[AP_PBKDF],
                    &v[AP_PBKDF_MEMORY], &v[AP_PBKDF_TIME], &v[AP_PBKDF_ITERATIONS],
                    &v[AP_HW_PASSPHRASE]);
  if (g_strcmp0 (ap->fstype, "btrfs") == 0)
    return ks_throw (error, c->where,
                     "autopart --fstype=btrfs: btrfs is a partitioning scheme here, not a "
                     "filesystem: write --type=btrfs instead");
  if (ap->type == BERTH_KICKSTART_AUTOPART_BTRFS && str_true (ap->fstype))
    return ks_throw (error, c->where,
                     "autopart --fstype=%s with --type=btrfs: btrfs subvolumes have no other "
                     "filesystem: remove --fstype or choose another --type",
                     ap->fstype);
  if (!check_encryption (c, &ap->encryption, error))
    return FALSE;
  if (ap->hibernation && ap->noswap)
    return ks_throw (error, c->where,
                     "autopart --hibernation needs swap, which --noswap leaves out: keep one");
  return TRUE;
}

/* ---- part / partition (F41_Partition) ------------------------------------------------ */

enum
{
  PT_MOUNTPOINT,
  PT_ASPRIMARY,
  PT_FSTYPE,
  PT_GROW,
  PT_MAXSIZE,
  PT_FORMAT,
  PT_ONBIOSDISK,
  PT_ONDISK,
  PT_ONPART,
  PT_RECOMMENDED,
  PT_SIZE,
  PT_FSOPTIONS,
  PT_LABEL,
  PT_FSPROFILE,
  PT_ENCRYPTED,
  PT_PASSPHRASE,
  PT_ESCROWCERT,
  PT_BACKUPPASSPHRASE,
  PT_RESIZE,
  PT_HIBERNATION,
  PT_CIPHER,
  PT_MKFSOPTIONS,
  PT_LUKS_VERSION,
  PT_PBKDF,
  PT_PBKDF_MEMORY,
  PT_PBKDF_TIME,
  PT_PBKDF_ITERATIONS,
  PT_HW_PASSPHRASE,
  PT_N
};
static const KsOption partition_options[] = {
  OPT (NAMES ("--asprimary"), .dest = PT_ASPRIMARY, .action = KS_ACT_TRUE),
  OPT (NAMES ("--fstype", "--type"), .dest = PT_FSTYPE),
  OPT (NAMES ("--grow"), .dest = PT_GROW, .action = KS_ACT_TRUE),
  OPT (NAMES ("--maxsize"), .dest = PT_MAXSIZE, .action = KS_ACT_STORE_INT, .what = "MiB"),
  OPT (NAMES ("--noformat"), .dest = PT_FORMAT, .action = KS_ACT_FALSE),
  OPT (NAMES ("--onbiosdisk"), .dest = PT_ONBIOSDISK),
  OPT (NAMES ("--ondisk", "--ondrive"), .dest = PT_ONDISK),
  OPT (NAMES ("--onpart", "--usepart"), .dest = PT_ONPART, .type = KS_TYPE_STRIP_DEV),
  OPT (NAMES ("--recommended"), .dest = PT_RECOMMENDED, .action = KS_ACT_TRUE),
  OPT (NAMES ("--size"), .dest = PT_SIZE, .action = KS_ACT_STORE_INT, .what = "MiB"),
  OPT (NAMES ("--fsoptions"), .dest = PT_FSOPTIONS),
  OPT (NAMES ("--label"), .dest = PT_LABEL),
  OPT (NAMES ("--fsprofile"), .dest = PT_FSPROFILE),
  OPT (NAMES ("--encrypted"), .dest = PT_ENCRYPTED, .action = KS_ACT_TRUE),
  OPT (NAMES ("--passphrase"), .dest = PT_PASSPHRASE),
  OPT (NAMES ("--escrowcert"), .dest = PT_ESCROWCERT),
  OPT (NAMES ("--backuppassphrase"), .dest = PT_BACKUPPASSPHRASE, .action = KS_ACT_TRUE),
  OPT (NAMES ("--resize"), .dest = PT_RESIZE, .action = KS_ACT_TRUE),
  OPT (NAMES ("--hibernation"), .dest = PT_HIBERNATION, .action = KS_ACT_TRUE),
  OPT (NAMES ("--cipher"), .dest = PT_CIPHER),
  OPT (NAMES ("--mkfsoptions"), .dest = PT_MKFSOPTIONS),
  OPT (NAMES ("--luks-version"), .dest = PT_LUKS_VERSION),
  OPT (NAMES ("--pbkdf"), .dest = PT_PBKDF),
  OPT (NAMES ("--pbkdf-memory"), .dest = PT_PBKDF_MEMORY, .action = KS_ACT_STORE_INT,
       .what = "KiB"),
  OPT (NAMES ("--pbkdf-time"), .dest = PT_PBKDF_TIME, .action = KS_ACT_STORE_INT,
       .what = "milliseconds"),
  OPT (NAMES ("--pbkdf-iterations"), .dest = PT_PBKDF_ITERATIONS, .action = KS_ACT_STORE_INT),
  OPT (NAMES ("--hw-passphrase"), .dest = PT_HW_PASSPHRASE),
};
static const KsValue partition_defaults[PT_N] = {
  [PT_ASPRIMARY] = V_BOOL (FALSE),   [PT_GROW] = V_BOOL (FALSE),
  [PT_FORMAT] = V_BOOL (TRUE),       [PT_RECOMMENDED] = V_BOOL (FALSE),
  [PT_ENCRYPTED] = V_BOOL (FALSE),   [PT_BACKUPPASSPHRASE] = V_BOOL (FALSE),
  [PT_RESIZE] = V_BOOL (FALSE),      [PT_HIBERNATION] = V_BOOL (FALSE),
  [PT_LUKS_VERSION] = V_STR (""),    [PT_PBKDF] = V_STR (""),
  [PT_PBKDF_MEMORY] = V_INT (0),     [PT_PBKDF_TIME] = V_INT (0),
  [PT_PBKDF_ITERATIONS] = V_INT (0), [PT_HW_PASSPHRASE] = V_STR (""),
};
static const KsParser partition_parser = {
  PARSER ("part", partition_options, partition_defaults, PT_N),
  .nargs = KS_NARGS_ONE,
  .positional_dest = PT_MOUNTPOINT,
  .positional_name = "a mount point (/, /boot, swap, biosboot, ...)",
  .positional_type = KS_TYPE_MOUNTPOINT,
  .known_args = TRUE,
};

static gboolean
handle_partition (Cmd *c, GError **error)
{
  if (!refuse_extras (c, "one mount point and its options", error))
    return FALSE;
  const KsValue *v = c->parsed->values;
  g_autoptr (BerthKickstartPartition) p = g_new0 (BerthKickstartPartition, 1);
  p->where = *c->where;
  p->format = TRUE;
  p->mountpoint = g_strdup (v[PT_MOUNTPOINT].list->pdata[0]);
  set_bool (&p->asprimary, &v[PT_ASPRIMARY]);
  set_str (&p->fstype, &v[PT_FSTYPE]);
  set_bool (&p->grow, &v[PT_GROW]);
  set_int (&p->max_size, NULL, &v[PT_MAXSIZE]);
  set_bool (&p->format, &v[PT_FORMAT]);
  set_str (&p->onbiosdisk, &v[PT_ONBIOSDISK]);
  set_str (&p->ondisk, &v[PT_ONDISK]);
  set_str (&p->onpart, &v[PT_ONPART]);
  set_bool (&p->recommended, &v[PT_RECOMMENDED]);
  set_int (&p->size, &p->has_size, &v[PT_SIZE]);
  set_str (&p->fsoptions, &v[PT_FSOPTIONS]);
  set_str (&p->label, &v[PT_LABEL]);
  set_str (&p->fsprofile, &v[PT_FSPROFILE]);
  set_bool (&p->resize, &v[PT_RESIZE]);
  set_bool (&p->hibernation, &v[PT_HIBERNATION]);
  set_str (&p->mkfsoptions, &v[PT_MKFSOPTIONS]);
  merge_encryption (&p->encryption, &v[PT_ENCRYPTED], &v[PT_PASSPHRASE], &v[PT_ESCROWCERT],
                    &v[PT_BACKUPPASSPHRASE], &v[PT_CIPHER], &v[PT_LUKS_VERSION], &v[PT_PBKDF],
                    &v[PT_PBKDF_MEMORY], &v[PT_PBKDF_TIME], &v[PT_PBKDF_ITERATIONS],
                    &v[PT_HW_PASSPHRASE]);

  /* FC3: the same mount point twice (swap may repeat) */
  if (!g_str_equal (p->mountpoint, "swap"))
    for (guint i = 0; i < c->ks->partitions->len; i++)
      {
        const BerthKickstartPartition *o = c->ks->partitions->pdata[i];
        if (g_str_equal (o->mountpoint, p->mountpoint))
          return ks_throw (error, c->where,
                           "part %s is defined twice (also at %s:%u): pykickstart warns and "
                           "Anaconda keeps both; remove one",
                           p->mountpoint, o->where.file, o->where.line);
      }
  if (p->resize && !str_true (p->onpart))
    return ks_throw (error, c->where,
                     "part --resize changes an existing partition: add --onpart=PARTITION");
  if (p->resize && !(p->has_size && p->size != 0))
    return ks_throw (error, c->where, "part --resize needs the new size: add --size=MIB");
  if (g_strcmp0 (p->fstype, "tmpfs") == 0 && (p->grow || p->max_size != 0))
    return ks_throw (error, c->where,
                     "part --fstype=tmpfs is in memory: --grow and --maxsize make no sense "
                     "with it; remove them");
  if (!p->format && str_true (p->mkfsoptions))
    return ks_throw (error, c->where,
                     "part --mkfsoptions with --noformat: no filesystem is made, so the options "
                     "would do nothing; remove one of them");
  if (str_true (p->fsprofile) && str_true (p->mkfsoptions))
    return ks_throw (error, c->where,
                     "part --mkfsoptions and --fsprofile both tune the new filesystem: keep "
                     "one");
  if (!check_encryption (c, &p->encryption, error))
    return FALSE;
  g_ptr_array_add (c->ks->partitions, g_steal_pointer (&p));
  return TRUE;
}

/* ---- reqpart (F23_ReqPart) ----------------------------------------------------------- */

static const KsOption reqpart_options[] = {
  OPT (NAMES ("--add-boot"), .dest = 0, .action = KS_ACT_TRUE),
};
static const KsValue reqpart_defaults[1] = { V_BOOL (FALSE) };
static const KsParser reqpart_parser = { PARSER ("reqpart", reqpart_options, reqpart_defaults, 1) };

static gboolean
handle_reqpart (Cmd *c, GError **error)
{
  set_bool (&c->ks->reqpart.add_boot, &c->parsed->values[0]);
  return TRUE;
}

/* ---- rootpw (F37_RootPw) ------------------------------------------------------------- */

enum
{
  RP_PASSWORD,
  RP_ISCRYPTED,
  RP_LOCK,
  RP_ALLOW_SSH,
  RP_N
};
static const KsOption rootpw_options[] = {
  OPT (NAMES ("--iscrypted"), .dest = RP_ISCRYPTED, .action = KS_ACT_TRUE),
  OPT (NAMES ("--lock"), .dest = RP_LOCK, .action = KS_ACT_TRUE),
  OPT (NAMES ("--plaintext"), .dest = RP_ISCRYPTED, .action = KS_ACT_FALSE),
  OPT (NAMES ("--allow-ssh"), .dest = RP_ALLOW_SSH, .action = KS_ACT_TRUE),
};
/* argparse takes a dest's default from its first option: --iscrypted's False */
static const KsValue rootpw_defaults[RP_N] = {
  [RP_ISCRYPTED] = V_BOOL (FALSE),
  [RP_LOCK] = V_BOOL (FALSE),
  [RP_ALLOW_SSH] = V_BOOL (FALSE),
};
static const KsParser rootpw_parser = {
  PARSER ("rootpw", rootpw_options, rootpw_defaults, RP_N),
  .nargs = KS_NARGS_OPTIONAL,
  .positional_dest = RP_PASSWORD,
  .positional_name = "a password",
  .known_args = TRUE,
};

static gboolean
handle_rootpw (Cmd *c, GError **error)
{
  const KsValue *v = c->parsed->values;
  gboolean has_password = v[RP_PASSWORD].kind == KS_VALUE_STRING && str_true (v[RP_PASSWORD].s);
  gboolean lock = v[RP_LOCK].kind == KS_VALUE_BOOL && v[RP_LOCK].b;
  if (!has_password && !lock)
    return ks_throw (error, c->where,
                     "rootpw needs a password (rootpw --iscrypted HASH, or rootpw --plaintext "
                     "PASSWORD), or --lock to leave root without one: add one");
  if (!refuse_extras (c, "one password and its options", error))
    return FALSE;
  BerthKickstartRootpw *rp = &c->ks->rootpw;
  set_str (&rp->password, &v[RP_PASSWORD]);
  set_bool (&rp->is_crypted, &v[RP_ISCRYPTED]);
  set_bool (&rp->lock, &v[RP_LOCK]);
  set_bool (&rp->allow_ssh, &v[RP_ALLOW_SSH]);
  return TRUE;
}

/* ---- user (F24_User) ----------------------------------------------------------------- */

enum
{
  US_HOMEDIR,
  US_ISCRYPTED,
  US_NAME,
  US_PASSWORD,
  US_SHELL,
  US_UID,
  US_LOCK,
  US_GECOS,
  US_GID,
  US_GROUPS,
  US_N
};
static const KsOption user_options[] = {
  OPT (NAMES ("--homedir"), .dest = US_HOMEDIR),
  OPT (NAMES ("--iscrypted"), .dest = US_ISCRYPTED, .action = KS_ACT_TRUE),
  OPT (NAMES ("--name"), .dest = US_NAME, .required = TRUE),
  OPT (NAMES ("--password"), .dest = US_PASSWORD),
  OPT (NAMES ("--shell"), .dest = US_SHELL),
  OPT (NAMES ("--uid"), .dest = US_UID, .action = KS_ACT_STORE_INT),
  OPT (NAMES ("--lock"), .dest = US_LOCK, .action = KS_ACT_TRUE),
  OPT (NAMES ("--plaintext"), .dest = US_ISCRYPTED, .action = KS_ACT_FALSE),
  OPT (NAMES ("--gecos"), .dest = US_GECOS),
  OPT (NAMES ("--gid"), .dest = US_GID, .action = KS_ACT_STORE_INT),
  OPT (NAMES ("--groups"), .dest = US_GROUPS, .action = KS_ACT_STORE_SPLIT),
};
static const KsValue user_defaults[US_N]
  = { [US_ISCRYPTED] = V_BOOL (FALSE), [US_LOCK] = V_BOOL (FALSE) };
static const KsParser user_parser = { PARSER ("user", user_options, user_defaults, US_N) };

static gboolean
handle_user (Cmd *c, GError **error)
{
  const KsValue *v = c->parsed->values;
  g_autoptr (BerthKickstartUser) u = g_new0 (BerthKickstartUser, 1);
  u->where = *c->where;
  set_str (&u->homedir, &v[US_HOMEDIR]);
  set_bool (&u->is_crypted, &v[US_ISCRYPTED]);
  set_str (&u->name, &v[US_NAME]);
  set_str (&u->password, &v[US_PASSWORD]);
  set_str (&u->shell, &v[US_SHELL]);
  set_int (&u->uid, &u->has_uid, &v[US_UID]);
  set_bool (&u->lock, &v[US_LOCK]);
  set_str (&u->gecos, &v[US_GECOS]);
  set_int (&u->gid, &u->has_gid, &v[US_GID]);
  set_strv (&u->groups, &v[US_GROUPS]);
  for (guint i = 0; i < c->ks->users->len; i++)
    {
      const BerthKickstartUser *o = c->ks->users->pdata[i];
      if (g_str_equal (o->name, u->name))
        return ks_throw (error, c->where,
                         "user %s is defined twice (also at %s:%u): pykickstart warns; merge "
                         "the two lines into one",
                         u->name, o->where.file, o->where.line);
    }
  g_ptr_array_add (c->ks->users, g_steal_pointer (&u));
  return TRUE;
}

/* ---- group (F12_Group) --------------------------------------------------------------- */

static const KsOption group_options[] = {
  OPT (NAMES ("--name"), .dest = 0, .required = TRUE),
  OPT (NAMES ("--gid"), .dest = 1, .action = KS_ACT_STORE_INT),
};
static const KsParser group_parser = { PARSER ("group", group_options, NULL, 2) };

static gboolean
handle_group (Cmd *c, GError **error)
{
  g_autoptr (BerthKickstartGroup) g = g_new0 (BerthKickstartGroup, 1);
  g->where = *c->where;
  set_str (&g->name, &c->parsed->values[0]);
  set_int (&g->gid, &g->has_gid, &c->parsed->values[1]);
  for (guint i = 0; i < c->ks->groups->len; i++)
    {
      const BerthKickstartGroup *o = c->ks->groups->pdata[i];
      if (g_str_equal (o->name, g->name))
        return ks_throw (error, c->where,
                         "group %s is defined twice (also at %s:%u): pykickstart warns; keep "
                         "one",
                         g->name, o->where.file, o->where.line);
    }
  g_ptr_array_add (c->ks->groups, g_steal_pointer (&g));
  return TRUE;
}

/* ---- sshkey (F22_SshKey) ------------------------------------------------------------- */

static const KsOption sshkey_options[] = {
  OPT (NAMES ("--username"), .dest = 0, .required = TRUE),
};
static const KsParser sshkey_parser = {
  PARSER ("sshkey", sshkey_options, NULL, 2),
  .nargs = KS_NARGS_ONE,
  .positional_dest = 1,
  .positional_name = "the key, quoted (\"ssh-ed25519 AAAA... comment\")",
  .known_args = TRUE,
};

static gboolean
handle_sshkey (Cmd *c, GError **error)
{
  if (!refuse_extras (c, "one key: quote it whole (\"ssh-ed25519 AAAA... comment\")", error))
    return FALSE;
  g_autoptr (BerthKickstartSshkey) k = g_new0 (BerthKickstartSshkey, 1);
  k->where = *c->where;
  set_str (&k->username, &c->parsed->values[0]);
  k->key = g_strdup (c->parsed->values[1].list->pdata[0]);
  for (guint i = 0; i < c->ks->sshkeys->len; i++)
    {
      const BerthKickstartSshkey *o = c->ks->sshkeys->pdata[i];
      if (g_str_equal (o->username, k->username))
        return ks_throw (error, c->where,
                         "sshkey for %s is given twice (also at %s:%u): pykickstart allows one "
                         "sshkey per user; keep one (a %%post can add more keys)",
                         k->username, o->where.file, o->where.line);
    }
  g_ptr_array_add (c->ks->sshkeys, g_steal_pointer (&k));
  return TRUE;
}

/* ---- timezone (F40_Timezone) --------------------------------------------------------- */

enum
{
  TZ_TIMEZONE,
  TZ_UTC,
  TZ_NONTP,
  TZ_NTPSERVERS,
  TZ_N
};
static const KsOption timezone_options[] = {
  OPT (NAMES ("--utc"), .dest = TZ_UTC, .action = KS_ACT_TRUE),
  OPT (NAMES ("--isUtc"), .dest = TZ_UTC, .action = KS_ACT_TRUE, .deprecated = TRUE),
  OPT (NAMES ("--nontp"), .dest = TZ_NONTP, .action = KS_ACT_TRUE, .deprecated = TRUE),
  OPT (NAMES ("--ntpservers"), .dest = TZ_NTPSERVERS, .action = KS_ACT_STORE_SPLIT,
       .deprecated = TRUE),
};
static const KsValue timezone_defaults[TZ_N]
  = { [TZ_UTC] = V_BOOL (FALSE), [TZ_NONTP] = V_BOOL (FALSE) };
static const KsParser timezone_parser = {
  PARSER ("timezone", timezone_options, timezone_defaults, TZ_N),
  .nargs = KS_NARGS_ANY,
  .positional_dest = TZ_TIMEZONE,
  .positional_name = "a time zone",
};

static gboolean
handle_timezone (Cmd *c, GError **error)
{
  const KsValue *v = c->parsed->values;
  if (c->args[0] == NULL)
    return ks_throw (error, c->where,
                     "timezone needs a zone (timezone Europe/Berlin) or --utc: add it");
  guint n = v[TZ_TIMEZONE].list ? v[TZ_TIMEZONE].list->len : 0;
  if (n > 1)
    return ks_throw (error, c->where,
                     "timezone takes one zone, not %u words: write one, such as "
                     "America/New_York",
                     n);
  BerthKickstartTimezone *tz = &c->ks->timezone;
  if (n == 1)
    {
      g_free (tz->timezone);
      tz->timezone = g_strdup (v[TZ_TIMEZONE].list->pdata[0]);
    }
  set_bool (&tz->utc, &v[TZ_UTC]);
  set_bool (&tz->nontp, &v[TZ_NONTP]);
  set_strv (&tz->ntpservers, &v[TZ_NTPSERVERS]);
  if (strv_true (tz->ntpservers) && tz->nontp)
    return ks_throw (error, c->where,
                     "timezone --nontp and --ntpservers contradict each other: keep one (or "
                     "use the timesource command)");
  return TRUE;
}

/* ---- lang (F19_Lang) ----------------------------------------------------------------- */

static const KsOption lang_options[] = {
  OPT (NAMES ("--addsupport"), .dest = 1, .action = KS_ACT_STORE_SPLIT),
};
static const KsParser lang_parser = {
  PARSER ("lang", lang_options, NULL, 2),
  .nargs = KS_NARGS_ONE,
  .positional_dest = 0,
  .positional_name = "a language (lang en_US.UTF-8)",
  .known_args = TRUE,
};

static gboolean
handle_lang (Cmd *c, GError **error)
{
  if (!refuse_extras (c, "one language", error))
    return FALSE;
  BerthKickstartLang *l = &c->ks->lang;
  g_free (l->lang);
  l->lang = g_strdup (c->parsed->values[0].list->pdata[0]);
  set_strv (&l->addsupport, &c->parsed->values[1]);
  return TRUE;
}

/* ---- keyboard (F18_Keyboard) --------------------------------------------------------- */

enum
{
  KB_KBD,
  KB_VCKEYMAP,
  KB_XLAYOUTS,
  KB_SWITCH,
  KB_N
};
static const KsOption keyboard_options[] = {
  OPT (NAMES ("--vckeymap"), .dest = KB_VCKEYMAP),
  OPT (NAMES ("--xlayouts"), .dest = KB_XLAYOUTS, .action = KS_ACT_STORE_SPLIT),
  OPT (NAMES ("--switch"), .dest = KB_SWITCH, .action = KS_ACT_STORE_SPLIT),
};
static const KsValue keyboard_defaults[KB_N] = { [KB_VCKEYMAP] = V_STR ("") };
static const KsParser keyboard_parser = {
  PARSER ("keyboard", keyboard_options, keyboard_defaults, KB_N),
  .nargs = KS_NARGS_ANY,
  .positional_dest = KB_KBD,
  .positional_name = "a keyboard layout",
  .known_args = TRUE,
};

static gboolean
handle_keyboard (Cmd *c, GError **error)
{
  const KsValue *v = c->parsed->values;
  BerthKickstartKeyboard *kb = &c->ks->keyboard;
  set_str (&kb->vckeymap, &v[KB_VCKEYMAP]);
  set_strv (&kb->xlayouts, &v[KB_XLAYOUTS]);
  set_strv (&kb->switch_options, &v[KB_SWITCH]);
  guint n = v[KB_KBD].list ? v[KB_KBD].list->len : 0;
  if (n > 1)
    return ks_throw (error, c->where,
                     "keyboard takes one layout, not %u: write one (keyboard us), or use "
                     "--xlayouts=us,de for several",
                     n);
  if (!refuse_extras (c, "one layout and its options", error))
    return FALSE;
  if (n == 0 && !str_true (kb->vckeymap) && !strv_true (kb->xlayouts))
    return ks_throw (error, c->where,
                     "keyboard needs a layout: keyboard us, or --vckeymap=us, or "
                     "--xlayouts=us");
  if (n == 1)
    {
      g_free (kb->keyboard);
      kb->keyboard = g_strdup (v[KB_KBD].list->pdata[0]);
    }
  return TRUE;
}

/* ---- network (F39_Network) ----------------------------------------------------------- */

enum
{
  NW_BOOTPROTO,
  NW_DEVICE,
  NW_HOSTNAME,
  NW_BRIDGESLAVES,
  NW_BRIDGEOPTS,
  NW_BINDTO,
  NW_VLANID,
  NW_BONDOPTS,
  NW_IPV4_DNS_SEARCH,
  NW_IPV6_DNS_SEARCH,
  NW_IPV4_IGNORE,
  NW_IPV6_IGNORE,
  NW_NOIPV4,
  NW_OTHER, /* everything berth keeps only as written */
  NW_N
};
static const char *const network_bootprotos[]
  = { "dhcp", "bootp", "static", "query", "ibft", NULL };
static const char *const network_bindto[] = { "mac", NULL };
static const KsOption network_options[] = {
  OPT (NAMES ("--bootproto"), .dest = NW_BOOTPROTO, .choices = network_bootprotos),
  OPT (NAMES ("--dhcpclass"), .dest = NW_OTHER),
  OPT (NAMES ("--device"), .dest = NW_DEVICE),
  OPT (NAMES ("--essid"), .dest = NW_OTHER),
  OPT (NAMES ("--ethtool"), .dest = NW_OTHER),
  OPT (NAMES ("--gateway"), .dest = NW_OTHER),
  OPT (NAMES ("--hostname"), .dest = NW_HOSTNAME),
  OPT (NAMES ("--ip"), .dest = NW_OTHER),
  OPT (NAMES ("--mtu"), .dest = NW_OTHER),
  OPT (NAMES ("--nameserver"), .dest = NW_OTHER),
  OPT (NAMES ("--netmask"), .dest = NW_OTHER),
  OPT (NAMES ("--nodns"), .dest = NW_OTHER, .action = KS_ACT_TRUE),
  OPT (NAMES ("--onboot"), .dest = NW_OTHER, .action = KS_ACT_STORE_BOOL),
  OPT (NAMES ("--wepkey"), .dest = NW_OTHER),
  OPT (NAMES ("--notksdevice"), .dest = NW_OTHER, .action = KS_ACT_TRUE),
  OPT (NAMES ("--noipv4"), .dest = NW_NOIPV4, .action = KS_ACT_TRUE),
  OPT (NAMES ("--noipv6"), .dest = NW_OTHER, .action = KS_ACT_TRUE),
  OPT (NAMES ("--ipv6"), .dest = NW_OTHER),
  OPT (NAMES ("--activate"), .dest = NW_OTHER, .action = KS_ACT_TRUE),
  OPT (NAMES ("--nodefroute"), .dest = NW_OTHER, .action = KS_ACT_TRUE),
  OPT (NAMES ("--wpakey"), .dest = NW_OTHER),
  OPT (NAMES ("--bondslaves"), .dest = NW_OTHER),
  OPT (NAMES ("--bondopts"), .dest = NW_BONDOPTS),
  OPT (NAMES ("--vlanid"), .dest = NW_VLANID),
  OPT (NAMES ("--ipv6gateway"), .dest = NW_OTHER),
  OPT (NAMES ("--teamslaves"), .dest = NW_OTHER),
  OPT (NAMES ("--teamconfig"), .dest = NW_OTHER),
  OPT (NAMES ("--interfacename"), .dest = NW_OTHER),
  OPT (NAMES ("--bridgeslaves"), .dest = NW_BRIDGESLAVES),
  OPT (NAMES ("--bridgeopts"), .dest = NW_BRIDGEOPTS),
  OPT (NAMES ("--no-activate"), .dest = NW_OTHER, .action = KS_ACT_FALSE),
  OPT (NAMES ("--bindto"), .dest = NW_BINDTO, .choices = network_bindto),
  OPT (NAMES ("--ipv4-dns-search"), .dest = NW_IPV4_DNS_SEARCH),
  OPT (NAMES ("--ipv6-dns-search"), .dest = NW_IPV6_DNS_SEARCH),
  OPT (NAMES ("--ipv4-ignore-auto-dns"), .dest = NW_IPV4_IGNORE, .action = KS_ACT_TRUE),
  OPT (NAMES ("--ipv6-ignore-auto-dns"), .dest = NW_IPV6_IGNORE, .action = KS_ACT_TRUE),
};
static const KsValue network_defaults[NW_N] = { [NW_BOOTPROTO] = V_STR ("dhcp") };
static const KsParser network_parser
  = { PARSER ("network", network_options, network_defaults, NW_N) };

static gboolean
handle_network (Cmd *c, GError **error)
{
  const KsValue *v = c->parsed->values;
  g_autoptr (BerthKickstartNetwork) n = g_new0 (BerthKickstartNetwork, 1);
  n->where = *c->where;
  n->args = g_strdupv (c->args);
  set_str (&n->bootproto, &v[NW_BOOTPROTO]);
  set_str (&n->device, &v[NW_DEVICE]);
  set_str (&n->hostname, &v[NW_HOSTNAME]);
  /* FC3: devices compare by --device (None included) */
  for (guint i = 0; i < c->ks->networks->len; i++)
    {
      const BerthKickstartNetwork *o = c->ks->networks->pdata[i];
      if (g_strcmp0 (o->device, n->device) == 0)
        return ks_throw (error, c->where,
                         "network %s%s is configured twice (also at %s:%u): pykickstart warns; "
                         "merge the two lines into one",
                         n->device ? "--device=" : "without --device", n->device ? n->device : "",
                         o->where.file, o->where.line);
    }
  const char *bridgeopts = v[NW_BRIDGEOPTS].s;
  if (str_true (bridgeopts))
    {
      if (!str_true (v[NW_BRIDGESLAVES].s))
        return ks_throw (error, c->where,
                         "network --bridgeopts needs --bridgeslaves (the bridge's ports): add "
                         "it");
      g_auto (GStrv) opts = g_strsplit (bridgeopts, ",", -1);
      for (char **o = opts; *o != NULL; o++)
        {
          const char *eq = strchr (*o, '=');
          if (eq == NULL || eq[1] == '\0' || strchr (eq + 1, '=') != NULL)
            return ks_throw (error, c->where,
                             "network --bridgeopts=%s: write KEY=VALUE pairs separated by ','",
                             bridgeopts);
        }
    }
  /* F24: --noipv4 clears the boot protocol */
  if (v[NW_NOIPV4].kind == KS_VALUE_BOOL && v[NW_NOIPV4].b)
    berth_set_str (&n->bootproto, "");
  if (g_strcmp0 (v[NW_BINDTO].s, "mac") == 0 && str_true (v[NW_VLANID].s)
      && !str_true (v[NW_BONDOPTS].s))
    return ks_throw (error, c->where,
                     "network --bindto=mac does not work for a VLAN device: remove --bindto");
  if (!str_true (n->device))
    {
      const char *need = str_true (v[NW_IPV4_DNS_SEARCH].s)        ? "--ipv4-dns-search"
                         : str_true (v[NW_IPV6_DNS_SEARCH].s)      ? "--ipv6-dns-search"
                         : v[NW_IPV4_IGNORE].kind == KS_VALUE_BOOL ? "--ipv4-ignore-auto-dns"
                         : v[NW_IPV6_IGNORE].kind == KS_VALUE_BOOL ? "--ipv6-ignore-auto-dns"
                                                                   : NULL;
      if (need != NULL)
        return ks_throw (error, c->where, "network %s applies to one device: add --device=NAME",
                         need);
    }
  g_ptr_array_add (c->ks->networks, g_steal_pointer (&n));
  return TRUE;
}

/* ---- services (FC6_Services) --------------------------------------------------------- */

static const KsOption services_options[] = {
  OPT (NAMES ("--disabled"), .dest = 0, .action = KS_ACT_STORE_SPLIT),
  OPT (NAMES ("--enabled"), .dest = 1, .action = KS_ACT_STORE_SPLIT),
};
static const KsParser services_parser = { PARSER ("services", services_options, NULL, 2) };

static gboolean
handle_services (Cmd *c, GError **error)
{
  BerthKickstartServices *s = &c->ks->services;
  set_strv (&s->disabled, &c->parsed->values[0]);
  set_strv (&s->enabled, &c->parsed->values[1]);
  if (!strv_true (s->disabled) && !strv_true (s->enabled))
    return ks_throw (error, c->where,
                     "services needs --enabled=UNIT,... or --disabled=UNIT,...: add one");
  return TRUE;
}

/* ---- selinux (FC3_SELinux) ----------------------------------------------------------- */

/* pykickstart's SELINUX_DISABLED 0, ENFORCING 1, PERMISSIVE 2 */
static const KsOption selinux_options[] = {
  OPT (NAMES ("--disabled"), .dest = 0, .action = KS_ACT_CONST, .const_int = 0),
  OPT (NAMES ("--enforcing"), .dest = 0, .action = KS_ACT_CONST, .const_int = 1),
  OPT (NAMES ("--permissive"), .dest = 0, .action = KS_ACT_CONST, .const_int = 2),
};
static const KsParser selinux_parser = { PARSER ("selinux", selinux_options, NULL, 1) };

const char *
berth_kickstart_selinux_to_string (BerthKickstartSelinux mode)
{
  switch (mode)
    {
    case BERTH_KICKSTART_SELINUX_DISABLED:
      return "disabled";
    case BERTH_KICKSTART_SELINUX_ENFORCING:
      return "enforcing";
    case BERTH_KICKSTART_SELINUX_PERMISSIVE:
      return "permissive";
    default:
      return "not given";
    }
}

static gboolean
handle_selinux (Cmd *c, GError **error)
{
  const KsValue *v = &c->parsed->values[0];
  if (v->kind == KS_VALUE_INT)
    c->ks->selinux.mode = v->i == 0   ? BERTH_KICKSTART_SELINUX_DISABLED
                          : v->i == 1 ? BERTH_KICKSTART_SELINUX_ENFORCING
                                      : BERTH_KICKSTART_SELINUX_PERMISSIVE;
  return TRUE;
}

/* ---- firewall (F28_Firewall) --------------------------------------------------------- */

enum
{
  FW_ENABLED,
  FW_PORTS,
  FW_TRUSTS,
  FW_SERVICES,
  FW_REMOVE,
  FW_DEFAULTS,
  FW_N
};
static const KsOption firewall_options[] = {
  OPT (NAMES ("--disable", "--disabled"), .dest = FW_ENABLED, .action = KS_ACT_FALSE),
  OPT (NAMES ("--enable", "--enabled"), .dest = FW_ENABLED, .action = KS_ACT_TRUE),
  OPT (NAMES ("--port"), .dest = FW_PORTS, .action = KS_ACT_EXTEND_SPLIT, .type = KS_TYPE_PORTS),
  OPT (NAMES ("--trust"), .dest = FW_TRUSTS, .action = KS_ACT_APPEND),
  OPT (NAMES ("--service"), .dest = FW_SERVICES, .action = KS_ACT_EXTEND_SPLIT),
  OPT (NAMES ("--ftp"), .dest = FW_SERVICES, .action = KS_ACT_APPEND_CONST, .const_str = "ftp"),
  OPT (NAMES ("--http"), .dest = FW_SERVICES, .action = KS_ACT_APPEND_CONST, .const_str = "http"),
  OPT (NAMES ("--smtp"), .dest = FW_SERVICES, .action = KS_ACT_APPEND_CONST, .const_str = "smtp"),
  OPT (NAMES ("--ssh"), .dest = FW_SERVICES, .action = KS_ACT_APPEND_CONST, .const_str = "ssh"),
  OPT (NAMES ("--remove-service"), .dest = FW_REMOVE, .action = KS_ACT_EXTEND_SPLIT),
  OPT (NAMES ("--use-system-defaults"), .dest = FW_DEFAULTS, .action = KS_ACT_TRUE),
};
/* argparse: the first option of a dest gives its default, --disable's none; pykickstart's
 * FC3_Firewall starts enabled */
static const KsValue firewall_defaults[FW_N] = { [FW_DEFAULTS] = V_BOOL (FALSE) };
static const KsParser firewall_parser
  = { PARSER ("firewall", firewall_options, firewall_defaults, FW_N) };

static gboolean
handle_firewall (Cmd *c, GError **error)
{
  BerthKickstartFirewall *fw = &c->ks->firewall;
  const KsValue *v = c->parsed->values;
  if (!fw->seen)
    fw->enabled = TRUE;
  set_bool (&fw->enabled, &v[FW_ENABLED]);
  set_strv (&fw->ports, &v[FW_PORTS]);
  set_strv (&fw->trusts, &v[FW_TRUSTS]);
  set_strv (&fw->services, &v[FW_SERVICES]);
  set_strv (&fw->remove_services, &v[FW_REMOVE]);
  set_bool (&fw->use_system_defaults, &v[FW_DEFAULTS]);
  return TRUE;
}

/* ---- reboot, poweroff, shutdown, halt (F23_Reboot) ------------------------------------- */

static const KsOption finish_options[] = {
  OPT (NAMES ("--eject"), .dest = 0, .action = KS_ACT_TRUE),
  OPT (NAMES ("--kexec"), .dest = 1, .action = KS_ACT_TRUE),
};
static const KsValue finish_defaults[2] = { V_BOOL (FALSE), V_BOOL (FALSE) };
static const KsParser finish_parser = { PARSER ("reboot", finish_options, finish_defaults, 2) };

const char *
berth_kickstart_finish_to_string (BerthKickstartFinish action)
{
  switch (action)
    {
    case BERTH_KICKSTART_FINISH_SHUTDOWN:
      return "shutdown";
    case BERTH_KICKSTART_FINISH_HALT:
      return "halt";
    default:
      return "reboot";
    }
}

static gboolean
handle_finish (Cmd *c, GError **error)
{
  BerthKickstartFinishCommand *f = &c->ks->finish;
  f->action = g_str_equal (c->name, "reboot") ? BERTH_KICKSTART_FINISH_REBOOT
              : g_str_equal (c->name, "halt") ? BERTH_KICKSTART_FINISH_HALT
                                              : BERTH_KICKSTART_FINISH_SHUTDOWN;
  set_bool (&f->eject, &c->parsed->values[0]);
  set_bool (&f->kexec, &c->parsed->values[1]);
  return TRUE;
}

/* ---- text, cmdline, graphical (F26_DisplayMode) --------------------------------------- */

static const KsOption display_options[] = {
  OPT (NAMES ("--non-interactive"), .dest = 0, .action = KS_ACT_TRUE),
};
static const KsValue display_defaults[1] = { V_BOOL (FALSE) };
static const KsParser display_parser = { PARSER ("text", display_options, display_defaults, 1) };

static gboolean
handle_display (Cmd *c, GError **error)
{
  BerthKickstartDisplayCommand *d = &c->ks->display;
  d->mode = g_str_equal (c->name, "text")      ? BERTH_KICKSTART_DISPLAY_TEXT
            : g_str_equal (c->name, "cmdline") ? BERTH_KICKSTART_DISPLAY_CMDLINE
                                               : BERTH_KICKSTART_DISPLAY_GRAPHICAL;
  set_bool (&d->non_interactive, &c->parsed->values[0]);
  if (d->mode == BERTH_KICKSTART_DISPLAY_CMDLINE && d->non_interactive)
    return ks_throw (error, c->where,
                     "cmdline --non-interactive: cmdline is never interactive; remove the "
                     "option");
  return TRUE;
}

/* ---- eula (F20_Eula) ----------------------------------------------------------------- */

static const KsOption eula_options[] = {
  OPT (NAMES ("--agreed", "--agree", "--accepted", "--accept"), .dest = 0, .action = KS_ACT_TRUE),
};
static const KsValue eula_defaults[1] = { V_BOOL (FALSE) };
static const KsParser eula_parser
  = { PARSER ("eula", eula_options, eula_defaults, 1), .known_args = TRUE };

static gboolean
handle_eula (Cmd *c, GError **error)
{
  set_bool (&c->ks->eula.agreed, &c->parsed->values[0]);
  if (c->parsed->extras->len > 0)
    return ks_throw (error, c->where, "eula takes only --agreed: remove '%s'",
                     (const char *)c->parsed->extras->pdata[0]);
  if (!c->ks->eula.agreed)
    return ks_throw (error, c->where,
                     "eula without --agreed agrees to nothing: write eula --agreed");
  return TRUE;
}

/* ---- firstboot (FC3_Firstboot) ------------------------------------------------------- */

/* pykickstart's FIRSTBOOT_DEFAULT 0 (--enable), SKIP 1 (--disable), RECONFIG 2 */
static const KsOption firstboot_options[] = {
  OPT (NAMES ("--disable", "--disabled"), .dest = 0, .action = KS_ACT_CONST, .const_int = 1),
  OPT (NAMES ("--enable", "--enabled"), .dest = 0, .action = KS_ACT_CONST, .const_int = 0),
  OPT (NAMES ("--reconfig"), .dest = 0, .action = KS_ACT_CONST, .const_int = 2),
};
static const KsParser firstboot_parser = { PARSER ("firstboot", firstboot_options, NULL, 1) };

static gboolean
handle_firstboot (Cmd *c, GError **error)
{
  const KsValue *v = &c->parsed->values[0];
  /* pykickstart assigns it, None included */
  c->ks->firstboot.mode = v->kind != KS_VALUE_INT ? BERTH_KICKSTART_FIRSTBOOT_NOT_GIVEN
                          : v->i == 0             ? BERTH_KICKSTART_FIRSTBOOT_ENABLED
                          : v->i == 1             ? BERTH_KICKSTART_FIRSTBOOT_DISABLED
                                                  : BERTH_KICKSTART_FIRSTBOOT_RECONFIG;
  return TRUE;
}

/* ---- the command table (pykickstart/handlers/f45.py) ----------------------------------- */

typedef gboolean (*Handler) (Cmd *c, GError **error);

typedef struct
{
  const char *name;
  const char *group; /* pykickstart's one object for several names ("partition" for part) */
  BerthKickstartSupport support;
  const char *reason; /* why berth does not carry it out, for messages */
  const char *conflicts[7];
  const KsParser *parser;
  Handler handler;
  gboolean once_per_item; /* part, user, ...: each line is one more item */
} Command;

#define GROUP(x) .group = (x)

static const Command commands[] = {
  /* parsed into the typed fields */
  { "autopart",
    GROUP ("autopart"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { "partition", "raid", "volgroup", "logvol", "reqpart" },
    &autopart_parser,
    handle_autopart },
  { "bootc",
    GROUP ("bootc"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { "ostreesetup", "ostreecontainer" },
    &bootc_parser,
    handle_bootc },
  { "bootloader",
    GROUP ("bootloader"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &bootloader_parser,
    handle_bootloader },
  { "clearpart",
    GROUP ("clearpart"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &clearpart_parser,
    handle_clearpart },
  { "cmdline",
    GROUP ("displaymode"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &display_parser,
    handle_display },
  { "eula",
    GROUP ("eula"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &eula_parser,
    handle_eula },
  { "firewall",
    GROUP ("firewall"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &firewall_parser,
    handle_firewall },
  { "firstboot",
    GROUP ("firstboot"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &firstboot_parser,
    handle_firstboot },
  { "graphical",
    GROUP ("displaymode"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &display_parser,
    handle_display },
  { "group",
    GROUP ("group"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &group_parser,
    handle_group,
    TRUE },
  { "halt",
    GROUP ("reboot"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &finish_parser,
    handle_finish },
  { "ignoredisk",
    GROUP ("ignoredisk"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &ignoredisk_parser,
    handle_ignoredisk },
  { "keyboard",
    GROUP ("keyboard"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &keyboard_parser,
    handle_keyboard },
  { "lang",
    GROUP ("lang"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &lang_parser,
    handle_lang },
  { "liveimg",
    GROUP ("liveimg"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &liveimg_parser,
    handle_liveimg },
  { "network",
    GROUP ("network"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &network_parser,
    handle_network,
    TRUE },
  { "ostreecontainer",
    GROUP ("ostreecontainer"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { "ostreesetup", "bootc" },
    &ostreecontainer_parser,
    handle_ostreecontainer },
  { "ostreesetup",
    GROUP ("ostreesetup"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { "ostreecontainer", "bootc" },
    &ostreesetup_parser,
    handle_ostreesetup },
  { "part",
    GROUP ("partition"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { "autopart", "mount" },
    &partition_parser,
    handle_partition,
    TRUE },
  { "partition",
    GROUP ("partition"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { "autopart", "mount" },
    &partition_parser,
    handle_partition,
    TRUE },
  { "poweroff",
    GROUP ("reboot"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &finish_parser,
    handle_finish },
  { "reboot",
    GROUP ("reboot"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &finish_parser,
    handle_finish },
  { "reqpart",
    GROUP ("reqpart"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { "autopart", "mount" },
    &reqpart_parser,
    handle_reqpart },
  { "rootpw",
    GROUP ("rootpw"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &rootpw_parser,
    handle_rootpw },
  { "selinux",
    GROUP ("selinux"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &selinux_parser,
    handle_selinux },
  { "services",
    GROUP ("services"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &services_parser,
    handle_services },
  { "shutdown",
    GROUP ("reboot"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &finish_parser,
    handle_finish },
  { "sshkey",
    GROUP ("sshkey"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &sshkey_parser,
    handle_sshkey,
    TRUE },
  { "text",
    GROUP ("displaymode"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &display_parser,
    handle_display },
  { "timezone",
    GROUP ("timezone"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &timezone_parser,
    handle_timezone },
  { "user",
    GROUP ("user"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &user_parser,
    handle_user,
    TRUE },
  { "zerombr",
    GROUP ("zerombr"),
    BERTH_KICKSTART_SUPPORT_PARSED,
    NULL,
    { NULL },
    &zerombr_parser,
    handle_zerombr },

  /* for the installer only: nothing of the installed system changes */
  { "driverdisk",
    GROUP ("driverdisk"),
    BERTH_KICKSTART_SUPPORT_INSTALLER,
    "loads drivers into the installer",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "logging",
    GROUP ("logging"),
    BERTH_KICKSTART_SUPPORT_INSTALLER,
    "sets up the installer's logging",
    { NULL } },
  { "mediacheck",
    GROUP ("mediacheck"),
    BERTH_KICKSTART_SUPPORT_INSTALLER,
    "checks the installation medium",
    { NULL } },
  { "rdp",
    GROUP ("rdp"),
    BERTH_KICKSTART_SUPPORT_INSTALLER,
    "starts a remote desktop for the installer",
    { NULL } },
  { "skipx",
    GROUP ("skipx"),
    BERTH_KICKSTART_SUPPORT_INSTALLER,
    "the image decides whether X is configured",
    { NULL } },
  { "sshpw",
    GROUP ("sshpw"),
    BERTH_KICKSTART_SUPPORT_INSTALLER,
    "sets a password for logging in to the installer",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "updates",
    GROUP ("updates"),
    BERTH_KICKSTART_SUPPORT_INSTALLER,
    "updates the installer itself",
    { NULL } },

  /* package sources: Anaconda installs the container image instead when one is given */
  { "cdrom", GROUP ("cdrom"), BERTH_KICKSTART_SUPPORT_SOURCE, "a package source", { NULL } },
  { "harddrive",
    GROUP ("harddrive"),
    BERTH_KICKSTART_SUPPORT_SOURCE,
    "a package source",
    { NULL } },
  { "hmc", GROUP ("hmc"), BERTH_KICKSTART_SUPPORT_SOURCE, "a package source", { NULL } },
  { "nfs", GROUP ("nfs"), BERTH_KICKSTART_SUPPORT_SOURCE, "a package source", { NULL } },
  { "repo",
    GROUP ("repo"),
    BERTH_KICKSTART_SUPPORT_SOURCE,
    "a package repository",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "url", GROUP ("url"), BERTH_KICKSTART_SUPPORT_SOURCE, "a package source", { NULL } },

  /* change the installed system in ways berth does not (yet) */
  { "authselect",
    GROUP ("authselect"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "runs authselect in the installed system: a %post can",
    { NULL } },
  { "btrfs",
    GROUP ("btrfs"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "btrfs volumes and subvolumes are not part of berth's layouts: use part, or autopart "
    "--type=btrfs",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "fcoe",
    GROUP ("fcoe"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "FCoE disks are not supported",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "iscsi",
    GROUP ("iscsi"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "iSCSI disks are not supported",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "iscsiname",
    GROUP ("iscsiname"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "iSCSI disks are not supported",
    { NULL } },
  { "logvol",
    GROUP ("logvol"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "LVM needs device-mapper, which berth's layouts do not use: use part",
    { "autopart", "mount" },
    NULL,
    NULL,
    TRUE },
  { "mount",
    GROUP ("mount"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "berth makes its own filesystems: use part",
    { "autopart", "partition", "raid", "volgroup", "logvol", "reqpart" },
    NULL,
    NULL,
    TRUE },
  { "raid",
    GROUP ("raid"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "software RAID is not part of berth's layouts: use part",
    { "autopart", "mount" },
    NULL,
    NULL,
    TRUE },
  { "realm",
    GROUP ("realm"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "joining a domain needs the network of the installed system: a %post can",
    { NULL } },
  { "rescue",
    GROUP ("rescue"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "rescue mode installs nothing",
    { NULL } },
  { "snapshot",
    GROUP ("snapshot"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "LVM thin snapshots need LVM: use part",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "timesource",
    GROUP ("timesource"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "NTP servers are the image's chrony configuration: a %post can write it",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "volgroup",
    GROUP ("volgroup"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "LVM needs device-mapper, which berth's layouts do not use: use part",
    { "autopart", "mount" },
    NULL,
    NULL,
    TRUE },
  { "xconfig",
    GROUP ("xconfig"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "the image configures its display server",
    { NULL } },
  { "zfcp",
    GROUP ("zfcp"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "zFCP disks are not supported",
    { NULL },
    NULL,
    NULL,
    TRUE },
  { "zipl",
    GROUP ("zipl"),
    BERTH_KICKSTART_SUPPORT_NOT_DONE,
    "zipl is s390x's boot loader, which berth does not install",
    { NULL } },

  /* deprecated in pykickstart: accepted with a warning, no effect */
  { "autostep", GROUP ("autostep"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 40", { NULL } },
  { "device", GROUP ("device"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 34", { NULL } },
  { "deviceprobe",
    GROUP ("deviceprobe"),
    BERTH_KICKSTART_SUPPORT_DEPRECATED,
    "Fedora 34",
    { NULL } },
  { "dmraid", GROUP ("dmraid"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 34", { NULL } },
  { "install", GROUP ("install"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 34", { NULL } },
  { "method", GROUP ("method"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 40", { NULL } },
  { "module", GROUP ("module"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 45", { NULL } },
  { "multipath", GROUP ("multipath"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 34", { NULL } },
  { "nvdimm", GROUP ("nvdimm"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 45", { NULL } },
  { "vnc", GROUP ("vnc"), BERTH_KICKSTART_SUPPORT_DEPRECATED, "Fedora 45 (use rdp)", { NULL } },
};

/* Removed from kickstart: pykickstart refuses them ("%s has been removed."). */
static const struct
{
  const char *name;
  const char *instead;
} removed_commands[] = {
  { "auth", "authselect (removed in Fedora 35)" },
  { "authconfig", "authselect (removed in Fedora 35)" },
};

static const Command *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

gboolean
ks_command_lookup (const char *name, BerthKickstartSupport *out_support, const char **out_reason)
{
  const Command *cmd = find_command (name);
  if (cmd == NULL)
    return FALSE;
  *out_support = cmd->support;
  *out_reason = cmd->reason;
  return TRUE;
}

/* The known command nearest to @name (edit distance 2 at most), for "did you mean". */
static const char *
nearest_command (const char *name)
{
  const char *best = NULL;
  guint best_distance = 3;
  gsize n = strlen (name);
  if (n > 32)
    return NULL;
  for (gsize c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      const char *cand = commands[c].name;
      gsize m = strlen (cand);
      guint row[40];
      for (gsize j = 0; j <= m; j++)
        row[j] = (guint)j;
      for (gsize i = 1; i <= n; i++)
        {
          guint diag = row[0];
          row[0] = (guint)i;
          for (gsize j = 1; j <= m; j++)
            {
              guint up = row[j];
              guint cost = name[i - 1] == cand[j - 1] ? 0 : 1;
              row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diag + cost);
              diag = up;
            }
        }
      if (row[m] < best_distance)
        {
          best_distance = row[m];
          best = cand;
        }
    }
  return best;
}

gboolean
ks_dispatch_command (KsState *state, const BerthKickstartLocation *where, char **argv,
                     BerthKickstartElement *element, GError **error)
{
  BerthKickstart *ks = state->ks;
  const char *name = argv[0];
  for (gsize i = 0; i < G_N_ELEMENTS (removed_commands); i++)
    if (g_str_equal (removed_commands[i].name, name))
      return ks_throw (error, where,
                       "%s has been removed from kickstart: use %s, or remove the line", name,
                       removed_commands[i].instead);

  const Command *cmd = find_command (name);
  if (cmd == NULL)
    {
      element->support = BERTH_KICKSTART_SUPPORT_UNKNOWN;
      const char *near = nearest_command (name);
      g_autofree char *hint = near ? g_strdup_printf (" (did you mean %s?)", near) : g_strdup ("");
      if (state->flags & BERTH_KICKSTART_IGNORE_UNKNOWN)
        {
          ks_warn (ks, where, "unknown command '%s'%s: skipped (--ignore-unknown)", name, hint);
          return TRUE;
        }
      return ks_throw (error, where,
                       "unknown command '%s'%s: not a command of pykickstart's Fedora 45 "
                       "syntax; correct it, remove it, or pass --ignore-unknown to skip "
                       "unknown commands",
                       name, hint);
    }
  element->support = cmd->support;

  /* pykickstart's _checkConflictingCommands: a command conflicts with one seen before it */
  for (guint i = 0; i < G_N_ELEMENTS (cmd->conflicts) && cmd->conflicts[i] != NULL; i++)
    {
      const BerthKickstartLocation *other = g_hash_table_lookup (state->seen, cmd->conflicts[i]);
      if (other != NULL)
        return ks_throw (error, where,
                         "%s cannot be used with %s (at %s:%u): pykickstart refuses the two "
                         "together; keep one of them",
                         name,
                         g_str_equal (cmd->conflicts[i], "partition") ? "part" : cmd->conflicts[i],
                         other->file, other->line);
    }
  const BerthKickstartLocation *first = g_hash_table_lookup (state->seen, cmd->group);
  if (first == NULL)
    g_hash_table_insert (state->seen, (gpointer)cmd->group,
                         g_memdup2 (where, sizeof (BerthKickstartLocation)));

  if (cmd->support == BERTH_KICKSTART_SUPPORT_DEPRECATED)
    {
      ks_warn (ks, where,
               "%s is deprecated since %s and has no effect (pykickstart ignores it): remove it",
               name, cmd->reason);
      return TRUE;
    }
  if (cmd->handler == NULL)
    return TRUE; /* recognised; berth_kickstart_check_installable decides */

  g_autofree char *at = ks_where (where);
  g_autoptr (KsParsed) parsed
    = ks_parse_args (cmd->parser, (const char *const *)argv + 1, at, error);
  if (parsed == NULL)
    {
      /* the parser's messages say "part" for partition: name the command as written */
      return FALSE;
    }
  Cmd c = { state, ks, name, where, at, argv + 1, parsed };
  warn_deprecated (&c);
  if (first != NULL && !cmd->once_per_item)
    ks_warn (ks, where,
             "%s is given again (first at %s:%u): pykickstart merges them, this line's "
             "options over the earlier ones; write one line to be sure",
             name, first->file, first->line);
  if (!cmd->handler (&c, error))
    return FALSE;

    /* the typed field's location: the line that set it last */
#define SEEN(field)                                                                                \
  do                                                                                               \
    {                                                                                              \
      ks->field.seen = TRUE;                                                                       \
      ks->field.where = *where;                                                                    \
    }                                                                                              \
  while (0)
  const char *g = cmd->group;
  if (g_str_equal (g, "ostreecontainer"))
    SEEN (ostreecontainer);
  else if (g_str_equal (g, "bootc"))
    SEEN (bootc);
  else if (g_str_equal (g, "ostreesetup"))
    SEEN (ostreesetup);
  else if (g_str_equal (g, "liveimg"))
    SEEN (liveimg);
  else if (g_str_equal (g, "bootloader"))
    SEEN (bootloader);
  else if (g_str_equal (g, "zerombr"))
    SEEN (zerombr);
  else if (g_str_equal (g, "clearpart"))
    SEEN (clearpart);
  else if (g_str_equal (g, "ignoredisk"))
    SEEN (ignoredisk);
  else if (g_str_equal (g, "autopart"))
    SEEN (autopart);
  else if (g_str_equal (g, "reqpart"))
    SEEN (reqpart);
  else if (g_str_equal (g, "rootpw"))
    SEEN (rootpw);
  else if (g_str_equal (g, "timezone"))
    SEEN (timezone);
  else if (g_str_equal (g, "lang"))
    SEEN (lang);
  else if (g_str_equal (g, "keyboard"))
    SEEN (keyboard);
  else if (g_str_equal (g, "services"))
    SEEN (services);
  else if (g_str_equal (g, "selinux"))
    SEEN (selinux);
  else if (g_str_equal (g, "firewall"))
    SEEN (firewall);
  else if (g_str_equal (g, "reboot"))
    SEEN (finish);
  else if (g_str_equal (g, "displaymode"))
    SEEN (display);
  else if (g_str_equal (g, "eula"))
    SEEN (eula);
  else if (g_str_equal (g, "firstboot"))
    SEEN (firstboot);
#undef SEEN
  return TRUE;
}

/* ---- section headers ------------------------------------------------------------------ */

enum
{
  SC_ERRORONFAIL,
  SC_INTERPRETER,
  SC_LOG,
  SC_NOCHROOT,
  SC_N
};
static const KsOption script_options[] = {
  OPT (NAMES ("--erroronfail"), .dest = SC_ERRORONFAIL, .action = KS_ACT_TRUE),
  OPT (NAMES ("--interpreter"), .dest = SC_INTERPRETER),
  OPT (NAMES ("--log", "--logfile"), .dest = SC_LOG),
  OPT (NAMES ("--nochroot"), .dest = SC_NOCHROOT, .action = KS_ACT_TRUE),
};
static const KsValue script_defaults[SC_N] = {
  [SC_ERRORONFAIL] = V_BOOL (FALSE),
  [SC_INTERPRETER] = V_STR ("/bin/sh"),
  [SC_NOCHROOT] = V_BOOL (FALSE),
};

const char *
berth_kickstart_script_type_to_string (BerthKickstartScriptType type)
{
  switch (type)
    {
    case BERTH_KICKSTART_SCRIPT_PRE_INSTALL:
      return "%pre-install";
    case BERTH_KICKSTART_SCRIPT_POST:
      return "%post";
    case BERTH_KICKSTART_SCRIPT_ONERROR:
      return "%onerror";
    case BERTH_KICKSTART_SCRIPT_TRACEBACK:
      return "%traceback";
    default:
      return "%pre";
    }
}

gboolean
ks_parse_script_header (KsState *state, const BerthKickstartLocation *where,
                        BerthKickstartScriptType type, char **argv, BerthKickstartScript *script,
                        GError **error)
{
  gboolean post = type == BERTH_KICKSTART_SCRIPT_POST;
  /* --nochroot is %post's only (the others never run in the installed system) */
  KsParser parser = {
    .prog = berth_kickstart_script_type_to_string (type),
    .options = script_options,
    .n_options = post ? G_N_ELEMENTS (script_options) : G_N_ELEMENTS (script_options) - 1,
    .defaults = script_defaults,
    .n_dests = SC_N,
  };
  if (!post && g_strv_contains ((const char *const *)argv, "--nochroot"))
    return ks_throw (error, where,
                     "%s takes no --nochroot: only %%post runs chrooted into the installed "
                     "system, the others never do; remove it",
                     parser.prog);
  g_autofree char *at = ks_where (where);
  g_autoptr (KsParsed) parsed = ks_parse_args (&parser, (const char *const *)argv + 1, at, error);
  if (parsed == NULL)
    return FALSE;
  const KsValue *v = parsed->values;
  script->where = *where;
  script->type = type;
  script->interpreter = g_strdup (v[SC_INTERPRETER].s);
  script->error_on_fail = v[SC_ERRORONFAIL].b;
  script->log = g_strdup (v[SC_LOG].s);
  script->in_chroot = post && !v[SC_NOCHROOT].b;
  if (type == BERTH_KICKSTART_SCRIPT_TRACEBACK)
    ks_warn (state->ks, where,
             "%%traceback is deprecated (Fedora 34): write %%onerror, which runs on the same "
             "failures");
  return TRUE;
}

enum
{
  PK_EXCLUDEDOCS,
  PK_IGNOREMISSING,
  PK_DEFAULT,
  PK_MULTILIB,
  PK_NOCORE,
  PK_TIMEOUT,
  PK_RETRIES,
  PK_INSTLANGS,
  PK_EXCLUDEWEAKDEPS,
  PK_IGNOREBROKEN,
  PK_N
};
static const KsOption packages_options[] = {
  OPT (NAMES ("--excludedocs"), .dest = PK_EXCLUDEDOCS, .action = KS_ACT_TRUE),
  OPT (NAMES ("--ignoremissing"), .dest = PK_IGNOREMISSING, .action = KS_ACT_TRUE),
  OPT (NAMES ("--default"), .dest = PK_DEFAULT, .action = KS_ACT_TRUE),
  OPT (NAMES ("--multilib"), .dest = PK_MULTILIB, .action = KS_ACT_TRUE),
  OPT (NAMES ("--nocore"), .dest = PK_NOCORE, .action = KS_ACT_TRUE),
  OPT (NAMES ("--timeout"), .dest = PK_TIMEOUT, .action = KS_ACT_STORE_INT, .what = "seconds"),
  OPT (NAMES ("--retries"), .dest = PK_RETRIES, .action = KS_ACT_STORE_INT),
  OPT (NAMES ("--inst-langs"), .dest = PK_INSTLANGS),
  OPT (NAMES ("--exclude-weakdeps"), .dest = PK_EXCLUDEWEAKDEPS, .action = KS_ACT_TRUE),
  OPT (NAMES ("--ignorebroken"), .dest = PK_IGNOREBROKEN, .action = KS_ACT_TRUE),
  OPT (NAMES ("--instLangs"), .dest = PK_INSTLANGS, .deprecated = TRUE),
  OPT (NAMES ("--excludeWeakdeps"), .dest = PK_EXCLUDEWEAKDEPS, .action = KS_ACT_TRUE,
       .deprecated = TRUE),
};
static const KsParser packages_parser = { PARSER ("%packages", packages_options, NULL, PK_N) };

gboolean
ks_parse_packages_header (KsState *state, const BerthKickstartLocation *where, char **argv,
                          GError **error)
{
  g_autofree char *at = ks_where (where);
  g_autoptr (KsParsed) parsed
    = ks_parse_args (&packages_parser, (const char *const *)argv + 1, at, error);
  if (parsed == NULL)
    return FALSE;
  for (guint i = 0; i < parsed->deprecated->len; i++)
    ks_warn (state->ks, where, "%%packages %s is deprecated and has no effect: remove it",
             (const char *)parsed->deprecated->pdata[i]);
  const KsValue *v = parsed->values;
  if (v[PK_DEFAULT].b && v[PK_NOCORE].b)
    return ks_throw (error, where,
                     "%%packages --default and --nocore contradict each other: keep one");
  BerthKickstartPackages *p = &state->ks->packages;
  if (!p->seen)
    {
      p->seen = TRUE;
      p->where = *where;
    }
  return TRUE;
}

static const KsOption certificate_options[] = {
  OPT (NAMES ("--filename"), .dest = 0, .required = TRUE),
  OPT (NAMES ("--dir"), .dest = 1),
  OPT (NAMES ("--type"), .dest = 2),
};
static const KsParser certificate_parser
  = { PARSER ("%certificate", certificate_options, NULL, 3) };

gboolean
ks_parse_certificate_header (KsState *state, const BerthKickstartLocation *where, char **argv,
                             GError **error)
{
  g_autofree char *at = ks_where (where);
  g_autoptr (KsParsed) parsed
    = ks_parse_args (&certificate_parser, (const char *const *)argv + 1, at, error);
  if (parsed == NULL)
    return FALSE;
  if (!str_true (parsed->values[1].s) && !str_true (parsed->values[2].s))
    return ks_throw (error, where,
                     "%%certificate needs --dir=DIRECTORY (where to write it) or --type=anchor "
                     "(a trusted CA): add one");
  return TRUE;
}

/* ---- %packages lines (pykickstart's Packages.add) ------------------------------------- */

static void
strv_add_unique (GPtrArray *set, const char *s)
{
  for (guint i = 0; i < set->len; i++)
    if (g_str_equal (set->pdata[i], s))
      return;
  g_ptr_array_add (set, g_strdup (s));
}

static void
strv_remove (GPtrArray *set, const char *s)
{
  for (guint i = 0; i < set->len; i++)
    if (g_str_equal (set->pdata[i], s))
      {
        g_ptr_array_remove_index (set, i);
        return;
      }
}

static GPtrArray *
strv_to_set (char ***field)
{
  GPtrArray *set = g_ptr_array_new_with_free_func (g_free);
  for (char **s = *field; s && *s; s++)
    g_ptr_array_add (set, g_strdup (*s));
  g_clear_pointer (field, g_strfreev);
  return set;
}

static char **
set_to_strv (GPtrArray *set)
{
  g_ptr_array_add (set, NULL);
  return (char **)g_ptr_array_free (set, FALSE);
}

gboolean
ks_packages_add_line (KsState *state, const BerthKickstartLocation *where, const char *line,
                      GError **error)
{
  BerthKickstartPackages *p = &state->ks->packages;
  /* PackageSection.handleLine: the part before '#', right-stripped; Packages.add strips */
  g_autofree char *text = g_strdup (line);
  char *hash = strchr (text, '#');
  if (hash != NULL)
    *hash = '\0';
  g_strstrip (text);
  if (*text == '\0')
    return TRUE;
  if (g_str_has_prefix (text, "@^"))
    berth_set_str (&p->environment, text + 2);
  else if (text[0] == '@')
    {
      g_autoptr (GPtrArray) groups = strv_to_set (&p->groups);
      strv_add_unique (groups, text + 1);
      p->groups = set_to_strv (g_steal_pointer (&groups));
    }
  else if (text[0] == '-')
    {
      if (g_str_has_prefix (text, "-@^"))
        {
          if (g_strcmp0 (p->environment, text + 3) == 0)
            g_clear_pointer (&p->environment, g_free);
        }
      else if (text[1] == '@')
        {
          g_autoptr (GPtrArray) groups = strv_to_set (&p->excluded_groups);
          strv_add_unique (groups, text + 2);
          p->excluded_groups = set_to_strv (g_steal_pointer (&groups));
        }
      else
        {
          g_autoptr (GPtrArray) excluded = strv_to_set (&p->excluded);
          g_autoptr (GPtrArray) packages = strv_to_set (&p->packages);
          strv_remove (packages, text + 1);
          strv_add_unique (excluded, text + 1);
          p->excluded = set_to_strv (g_steal_pointer (&excluded));
          p->packages = set_to_strv (g_steal_pointer (&packages));
        }
    }
  else
    {
      g_autoptr (GPtrArray) excluded = strv_to_set (&p->excluded);
      g_autoptr (GPtrArray) packages = strv_to_set (&p->packages);
      strv_remove (excluded, text);
      strv_add_unique (packages, text);
      p->excluded = set_to_strv (g_steal_pointer (&excluded));
      p->packages = set_to_strv (g_steal_pointer (&packages));
    }
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

void
ks_packages_finish (BerthKickstart *ks)
{
  char **lists[] = { ks->packages.packages, ks->packages.excluded, ks->packages.groups,
                     ks->packages.excluded_groups };
  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    if (lists[i] != NULL)
      qsort (lists[i], g_strv_length (lists[i]), sizeof (char *), compare_strings);
}
