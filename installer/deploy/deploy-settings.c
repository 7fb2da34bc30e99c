/* The installed system's settings (a kickstart's rootpw, timezone, network --hostname), written
 * into the deployment's /etc before the bootloader makes it bootable. */
#include "deploy-private.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* RFC 1123 labels: letters, digits, '-', not at either end; at most 64 bytes in all (Linux). */
static gboolean
valid_hostname (const char *name)
{
  size_t len = strlen (name);
  if (len == 0 || len > 64 || name[0] == '.' || name[len - 1] == '.')
    return FALSE;
  for (const char *label = name; *label;)
    {
      const char *end = strchrnul (label, '.');
      if (end == label || *label == '-' || end[-1] == '-')
        return FALSE;
      for (const char *c = label; c < end; c++)
        if (!g_ascii_isalnum (*c) && *c != '-')
          return FALSE;
      label = *end ? end + 1 : end;
    }
  return TRUE;
}

/* A SHA-512 crypt(3) hash of @password with a random 16-character salt. */
static char *
hash_password (const char *password, GError **error)
{
  struct crypt_data data = { 0 };
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn ("$6$", 0, NULL, 0, salt, sizeof salt) == NULL)
    return (berth_throw_errno (error, "crypt_gensalt"), NULL);
  const char *hash = crypt_r (password, salt, &data);
  if (hash == NULL || hash[0] == '*')
    return (berth_throw (error, BERTH_ERROR_FAILED, "crypt(3) could not hash root's password"),
            NULL);
  return g_strdup (hash);
}

static gboolean
replace_file (const char *path, const char *contents, mode_t mode, GError **error)
{
  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, error);
}

static gboolean
set_root_password (const char *etc, const BerthDeploySettings *s, GError **error)
{
  g_autofree char *shadow = g_build_filename (etc, "shadow", NULL);
  g_autofree char *text = NULL;
  struct stat st;
  if (stat (shadow, &st) < 0)
    return berth_throw_errno (error, shadow);
  if (!g_file_get_contents (shadow, &text, NULL, error))
    return FALSE;
  g_autofree char *hash = NULL;
  if (s->root_password != NULL)
    {
      hash = s->root_password_plain ? hash_password (s->root_password, error)
                                    : g_strdup (s->root_password);
      if (hash == NULL)
        return FALSE;
      if (strchr (hash, ':') != NULL || strchr (hash, '\n') != NULL)
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "root's password hash holds ':' or a newline: not a crypt(3) hash");
    }
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean found = FALSE;
  for (char **l = lines; *l; l++)
    {
      if (!g_str_has_prefix (*l, "root:"))
        continue;
      g_auto (GStrv) f = g_strsplit (*l, ":", -1);
      if (g_strv_length (f) < 2)
        continue;
      const char *pw = hash != NULL ? hash : f[1];
      /* a lock: '!' before whatever is there (shadow(5)); none twice */
      g_autofree char *field
        = s->root_lock && pw[0] != '!' ? g_strconcat ("!", pw, NULL) : g_strdup (pw);
      g_free (f[1]);
      f[1] = g_steal_pointer (&field);
      g_free (*l);
      *l = g_strjoinv (":", f);
      found = TRUE;
    }
  if (!found)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "%s has no line for root", shadow);
  g_autofree char *joined = g_strjoinv ("\n", lines);
  return replace_file (shadow, joined, st.st_mode & 07777, error);
}

gboolean
berth_deploy_apply_settings (const char *deployment_path, const BerthDeploySettings *s,
                             GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Writing the system's settings into %s", deployment_path);
  g_autofree char *etc = g_build_filename (deployment_path, "etc", NULL);
  if (s->hostname != NULL)
    {
      if (!valid_hostname (s->hostname))
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "'%s' is not a host name (letters, digits and '-' in dot-separated "
                            "labels, at most 64 bytes)",
                            s->hostname);
      g_autofree char *path = g_build_filename (etc, "hostname", NULL);
      g_autofree char *line = g_strconcat (s->hostname, "\n", NULL);
      if (!replace_file (path, line, 0644, error))
        return FALSE;
    }
  if (s->timezone != NULL)
    {
      g_autofree char *zone
        = g_build_filename (deployment_path, "usr/share/zoneinfo", s->timezone, NULL);
      if (strstr (s->timezone, "..") != NULL || s->timezone[0] == '/'
          || !g_file_test (zone, G_FILE_TEST_IS_REGULAR))
        return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT,
                            "time zone '%s': the image has no /usr/share/zoneinfo/%s (package "
                            "tzdata), or it is not a zone name",
                            s->timezone, s->timezone);
      g_autofree char *target = g_strconcat ("../usr/share/zoneinfo/", s->timezone, NULL);
      g_autofree char *link = g_build_filename (etc, "localtime", NULL);
      g_autofree char *tmp = g_build_filename (etc, ".localtime.berth-tmp", NULL);
      (void)unlink (tmp);
      if (symlink (target, tmp) < 0)
        return berth_throw_errno (error, tmp);
      if (rename (tmp, link) < 0)
        {
          int errsv = errno;
          (void)unlink (tmp);
          return berth_throw_errno_code (error, errsv, link);
        }
      g_autofree char *tzfile = g_build_filename (etc, "timezone", NULL);
      g_autofree char *tzline = g_strconcat (s->timezone, "\n", NULL);
      if (g_file_test (tzfile, G_FILE_TEST_EXISTS) && !replace_file (tzfile, tzline, 0644, error))
        return FALSE;
    }
  if ((s->root_password != NULL || s->root_lock) && !set_root_password (etc, s, error))
    return FALSE;
  return TRUE;
}
