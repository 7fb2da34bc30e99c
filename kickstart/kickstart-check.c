/* kickstart: what berth installs of a kickstart pykickstart accepts, and what it refuses. */
#include "kickstart/kickstart-private.h"

#include <string.h>

char *
berth_kickstart_get_image (const BerthKickstart *ks)
{
  if (ks->ostreecontainer.seen)
    {
      const char *transport = ks->ostreecontainer.transport;
      /* Anaconda passes --transport on to ostree container image deploy, whose default is
       * the registry */
      if (transport == NULL || *transport == '\0')
        transport = "registry";
      return g_strdup_printf ("%s:%s", transport, ks->ostreecontainer.url);
    }
  if (ks->bootc.seen)
    return g_strdup (ks->bootc.source_imgref);
  return NULL;
}

const char *
berth_kickstart_get_stateroot (const BerthKickstart *ks)
{
  const char *s = ks->ostreecontainer.seen ? ks->ostreecontainer.stateroot
                  : ks->bootc.seen         ? ks->bootc.stateroot
                                           : NULL;
  return (s != NULL && *s != '\0') ? s : "default";
}

static gboolean
refuse_or_warn (BerthKickstart *ks, BerthKickstartFlags flags, const BerthKickstartElement *e,
                const char *reason, GError **error)
{
  if (flags & BERTH_KICKSTART_IGNORE_UNKNOWN)
    {
      ks_warn (ks, &e->where, "%s is not carried out by berth (%s): skipped (--ignore-unknown)",
               e->name, reason);
      return TRUE;
    }
  return ks_throw (error, &e->where,
                   "berth does not carry out %s: %s; remove it, or pass --ignore-unknown to "
                   "install without it",
                   e->name, reason);
}

gboolean
berth_kickstart_check_installable (BerthKickstart *ks, BerthKickstartFlags flags, GError **error)
{
  const char *main_file = ks->files->len > 0 ? ks->files->pdata[0] : "kickstart";
  gboolean has_image = ks->ostreecontainer.seen || ks->bootc.seen;

  if (ks->ostreesetup.seen)
    return ks_throw (error, &ks->ostreesetup.where,
                     "ostreesetup installs a commit from an ostree repository, and berth "
                     "installs container images: write ostreecontainer --url=IMAGE instead (an "
                     "image of that commit can be made with berth image encapsulate)");
  if (ks->liveimg.seen && !has_image)
    return ks_throw (error, &ks->liveimg.where,
                     "liveimg installs a disk image or tarball, and berth installs container "
                     "images: write ostreecontainer --url=IMAGE or bootc "
                     "--source-imgref=registry:IMAGE instead");
  if (!has_image)
    {
      g_set_error (error, BERTH_ERROR, BERTH_ERROR_INVALID_ARGUMENT,
                   "%s: names no image to install (no ostreecontainer or bootc command in it or "
                   "its includes): add ostreecontainer --url=REGISTRY/NAME:TAG, or bootc "
                   "--source-imgref=registry:REGISTRY/NAME:TAG",
                   main_file);
      return FALSE;
    }
  if (ks->ostreecontainer.seen && (ks->ostreecontainer.url == NULL || !*ks->ostreecontainer.url))
    return ks_throw (error, &ks->ostreecontainer.where,
                     "ostreecontainer --url is empty: give the image, --url=REGISTRY/NAME:TAG");
  if (ks->bootc.seen && (ks->bootc.source_imgref == NULL || !*ks->bootc.source_imgref))
    return ks_throw (error, &ks->bootc.where,
                     "bootc --source-imgref is empty: give the image, "
                     "--source-imgref=registry:REGISTRY/NAME:TAG");
  if (ks->liveimg.seen)
    ks_warn (ks, &ks->liveimg.where,
             "liveimg is ignored: the container image is installed (Anaconda too prefers it)");
  if (ks->ostreecontainer.seen && !ks->ostreecontainer.remote_given
      && !ks->ostreecontainer.no_signature_verification)
    ks_warn (ks, &ks->ostreecontainer.where,
             "the image's signature will not be verified: add --remote=NAME to verify it with "
             "that ostree remote's keys, or --no-signature-verification to say so");

  for (guint i = 0; i < ks->elements->len; i++)
    {
      const BerthKickstartElement *e = ks->elements->pdata[i];
      BerthKickstartSupport support = BERTH_KICKSTART_SUPPORT_PARSED;
      const char *reason = NULL;
      if (e->kind == BERTH_KICKSTART_ELEMENT_SECTION)
        {
          if (g_str_equal (e->name, "%packages"))
            return ks_throw (error, &e->where,
                             "%%packages: a container image is installed whole, so packages "
                             "cannot be added or removed while installing it (Anaconda "
                             "ignores this section beside ostreecontainer or bootc): install "
                             "them in the image (RUN dnf install ... in its Containerfile), "
                             "or from a %%post, and remove the section");
          if (g_str_equal (e->name, "%addon") || g_str_equal (e->name, "%anaconda"))
            {
              ks_warn (ks, &e->where,
                       "%s %s is skipped: Anaconda hands an addon to the module that claims "
                       "it, and berth has none",
                       e->name, e->args && e->args[0] ? e->args[0] : "");
              continue;
            }
          if (g_str_equal (e->name, "%certificate")
              && !refuse_or_warn (ks, flags, e,
                                  "it installs a certificate into the installed system: a "
                                  "%post can write it",
                                  error))
            return FALSE;
          continue;
        }
      if (!ks_command_lookup (e->name, &support, &reason))
        continue; /* unknown, kept by --ignore-unknown with its warning */
      switch (support)
        {
        case BERTH_KICKSTART_SUPPORT_SOURCE:
          ks_warn (ks, &e->where,
                   "%s is ignored: %s, and the container image is installed instead (as "
                   "Anaconda does)",
                   e->name, reason);
          break;
        case BERTH_KICKSTART_SUPPORT_INSTALLER:
          ks_warn (ks, &e->where, "%s is skipped: it %s, and has no effect with berth", e->name,
                   reason);
          break;
        case BERTH_KICKSTART_SUPPORT_NOT_DONE:
          if (!refuse_or_warn (ks, flags, e, reason, error))
            return FALSE;
          break;
        default:
          break;
        }
    }

  for (guint i = 0; i < ks->partitions->len; i++)
    {
      const BerthKickstartPartition *p = ks->partitions->pdata[i];
      if (p->has_size && p->size < 1)
        return ks_throw (error, &p->where,
                         "part %s --size=%" G_GINT64_FORMAT
                         ": a partition needs at least 1 MiB: give its size in MiB",
                         p->mountpoint, p->size);
      if (p->max_size < 0)
        return ks_throw (error, &p->where,
                         "part %s --maxsize=%" G_GINT64_FORMAT
                         ": a limit is a positive number of MiB",
                         p->mountpoint, p->max_size);
    }
  return TRUE;
}
