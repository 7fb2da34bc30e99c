/* boot module internals: the ESP through mtools. */
#pragma once

#include "boot/boot.h"

G_BEGIN_DECLS

/* An ESP: unmounted, filled through mtools (`-i` DEVICE or DEVICE@@OFFSET), or a mounted one
 * (@dir set), filled with ordinary file operations. */
typedef struct
{
  char *image;
  char *device;
  char *dir;
} BerthEsp;

void berth_esp_clear (BerthEsp *esp);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BerthEsp, berth_esp_clear)

void berth_esp_init (BerthEsp *esp, const char *device, guint64 offset);
/* The ESP mounted at @dir (a caller's /boot/efi). */
void berth_esp_init_dir (BerthEsp *esp, const char *dir);

/* Makes the directories @dirs (NULL-terminated; "EFI/systemd", components separated by '/')
 * and their missing parents. */
gboolean berth_esp_mkdirs (BerthEsp *esp, const char *const *dirs, GCancellable *cancellable,
                           GError **error);

/* Copies the local file @src to @dest (`EFI/BOOT/BOOTX64.EFI`) as `@dest.tmp`, then renames it
 * over @dest: the real name never holds a partial file. */
gboolean berth_esp_install_file (BerthEsp *esp, const char *src, const char *dest,
                                 GCancellable *cancellable, GError **error);

/* The same for @contents. */
gboolean berth_esp_install_contents (BerthEsp *esp, const char *contents, const char *dest,
                                     GCancellable *cancellable, GError **error);

/* fsync of the device (syncfs of a mounted ESP), so what mtools wrote is on the disk before the
 * install reports done. */
gboolean berth_esp_sync (BerthEsp *esp, GError **error);

G_END_DECLS
