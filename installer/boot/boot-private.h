/* boot module internals: the ESP through mtools, the backends, the chroot runner. */
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

/* The backends (boot-systemd-boot.c, boot-grub.c, boot-extlinux.c). */
extern const BerthBootBackend berth_boot_backend_systemd_boot;
extern const BerthBootBackend berth_boot_backend_grub;
extern const BerthBootBackend berth_boot_backend_extlinux;

/* The EFI vendor folders of bootupd payloads berth knows (Fedora, CentOS, RHEL, and their
 * rebuilds): where a signed shim is looked for. NULL-terminated. */
extern const char *const berth_boot_bootupd_vendors[];

/* The ESP of @options, for mtools or file operations. */
void berth_esp_init_from (BerthEsp *esp, const BerthBootInstallOptions *options);

/* Whether @facts has @rel (printf-style) as a regular file, or as a directory. */
gboolean berth_boot_facts_has_file (const BerthBootFacts *facts, const char *fmt, ...)
  G_GNUC_PRINTF (2, 3);
gboolean berth_boot_facts_has_dir (const BerthBootFacts *facts, const char *fmt, ...)
  G_GNUC_PRINTF (2, 3);

/* Runs @argv (paths inside the deployment) in a chroot of @options->deployment_root, through
 * the runner (berth_boot_runner_main), with the sysroot's /boot at /boot. */
gboolean berth_boot_chroot_run (const BerthBootInstallOptions *options, const char *const *argv,
                                GCancellable *cancellable, GError **error);

G_END_DECLS
