/* Loop devices for --via-loopback: attached and detached by berth itself. */
#include "disk.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

/* LOOP_CTL_GET_FREE can race with another attach: the device it named is taken by the time
 * we configure it (EBUSY). A few retries settle it. */
#define ATTACH_TRIES 8

static gboolean
prepare_file (const char *file, guint64 size, int *out_fd, GError **error)
{
  berth_autofd fd = open (file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return berth_throw_errno (error, "open");
  struct stat st;
  if (fstat (fd, &st) != 0)
    return berth_throw_errno (error, "fstat");
  if (!S_ISREG (st.st_mode))
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "not a regular file");
  if (size != 0 && (guint64)st.st_size > size)
    return berth_throw (error, BERTH_ERROR_REFUSED,
                        "the file is %" G_GINT64_FORMAT
                        " bytes; refusing to shrink it to %" G_GUINT64_FORMAT,
                        (gint64)st.st_size, size);
  /* Sparse: ftruncate allocates nothing. */
  if (size != 0 && (guint64)st.st_size < size && ftruncate (fd, (off_t)size) != 0)
    return berth_throw_errno (error, "ftruncate");
  if (size == 0 && st.st_size == 0)
    return berth_throw (error, BERTH_ERROR_INVALID_ARGUMENT, "the file is empty and no size given");
  *out_fd = berth_steal_fd (&fd);
  return TRUE;
}

static int
configure (int loop_fd, int file_fd)
{
  struct loop_config cfg;
  memset (&cfg, 0, sizeof cfg);
  cfg.fd = (guint32)file_fd;
  cfg.block_size = 0; /* 512, like losetup's default */
  /* No LO_FLAGS_AUTOCLEAR (berth detaches explicitly, and a mount must not race the
   * detach) and no LO_FLAGS_DIRECT_IO (sparse files on any filesystem). */
  cfg.info.lo_flags = 0;
  if (ioctl (loop_fd, LOOP_CONFIGURE, &cfg) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOTTY)
    return -1;
  /* Kernels before 5.8: the two-step setup. */
  if (ioctl (loop_fd, LOOP_SET_FD, file_fd) != 0)
    return -1;
  struct loop_info64 info;
  memset (&info, 0, sizeof info);
  if (ioctl (loop_fd, LOOP_SET_STATUS64, &info) != 0)
    {
      int errsv = errno;
      (void)ioctl (loop_fd, LOOP_CLR_FD, 0);
      errno = errsv;
      return -1;
    }
  return 0;
}

gboolean
berth_disk_loop_attach (const char *file, guint64 size, char **out_device, GError **error)
{
  BERTH_AUTO_PREFIX_ERROR (error, "Attaching %s to a loop device", file);
  berth_autofd file_fd = -1;
  if (!prepare_file (file, size, &file_fd, error))
    return FALSE;
  berth_autofd ctl = open ("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0)
    return berth_throw_errno (error, "/dev/loop-control");
  for (int i = 0; i < ATTACH_TRIES; i++)
    {
      int n = ioctl (ctl, LOOP_CTL_GET_FREE);
      if (n < 0)
        return berth_throw_errno (error, "LOOP_CTL_GET_FREE");
      g_autofree char *dev = g_strdup_printf ("/dev/loop%d", n);
      berth_autofd loop_fd = -1;
      /* The node may appear a moment after LOOP_CTL_GET_FREE created the device. */
      for (int w = 0; w < 50 && loop_fd < 0; w++)
        {
          loop_fd = open (dev, O_RDWR | O_CLOEXEC);
          if (loop_fd < 0 && errno == ENOENT)
            g_usleep (20000);
          else
            break;
        }
      if (loop_fd < 0)
        return berth_throw_errno (error, dev);
      if (configure (loop_fd, file_fd) == 0)
        {
          g_debug ("attached %s to %s", file, dev);
          *out_device = g_steal_pointer (&dev);
          return TRUE;
        }
      if (errno != EBUSY)
        return berth_throw_errno (error, dev);
    }
  return berth_throw (error, BERTH_ERROR_RETRYABLE, "no free loop device after %d tries",
                      ATTACH_TRIES);
}

gboolean
berth_disk_loop_detach (const char *device, GError **error)
{
  if (device == NULL)
    return TRUE;
  BERTH_AUTO_PREFIX_ERROR (error, "Detaching %s", device);
  berth_autofd fd = open (device, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_throw_errno (error, "open");
  /* Busy right after a umount (the last close is asynchronous): retry briefly. */
  for (int i = 0; i < 20; i++)
    {
      if (ioctl (fd, LOOP_CLR_FD, 0) == 0)
        return TRUE;
      if (errno == ENXIO) /* not attached: nothing to do */
        return TRUE;
      if (errno != EBUSY)
        break;
      g_usleep (50000);
    }
  return berth_throw_errno (error, "LOOP_CLR_FD");
}
