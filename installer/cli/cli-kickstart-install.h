/* berth kickstart: a kickstart as berth install's options (cli-kickstart-install.c). */
#pragma once

#include "cli.h"
#include "kickstart/kickstart.h"

G_BEGIN_DECLS

/* What the command line adds to the kickstart. */
typedef struct
{
  const char *disk;         /* --disk: replaces the disk the kickstart names */
  const char *via_loopback; /* --via-loopback FILE: a disk image file for the kickstart's disk */
  const char *arch;         /* this machine's (uname) */
} BerthKickstartInstallArgs;

/* What the options point into. */
typedef struct
{
  char *image, *disk, *ssh_keys;
  GStrv kargs;
  BerthDiskVolume volumes[BERTH_DISK_MAX_PARTITIONS];
  guint n_volumes;
  GPtrArray *warnings; /* char *: what berth does not carry out yet, the parser's warnings */
} BerthKickstartInstallData;

void berth_kickstart_install_data_clear (BerthKickstartInstallData *data);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BerthKickstartInstallData, berth_kickstart_install_data_clear)

/* Fills @o (zero-initialised, its defaults set by the caller) from @ks: the image
 * (ostreecontainer, with --remote as an ostree-remote-* reference, or bootc), the stateroot and
 * target imgref, the disk (never picked implicitly), wipe (clearpart, zerombr), the layout
 * (autopart plain or btrfs; part lines for /, /boot, /boot/efi, biosboot and reqpart as
 * volumes), the loader (bootloader --location=none/--disabled, bootc --bootloader), kargs
 * (bootloader --append) and root's SSH keys. Refuses what berth cannot do (LVM, a separate
 * /var, encryption), naming the line; lists in @data->warnings (a new array) what it does not
 * apply yet. */
gboolean berth_cli_kickstart_options (BerthKickstart *ks, const BerthKickstartInstallArgs *args,
                                      BerthInstallOptions *o, BerthKickstartInstallData *data,
                                      GError **error);

G_END_DECLS
