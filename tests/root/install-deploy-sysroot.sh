#!/bin/bash
# The deploy module on a real target: the section 7 layout on a loop disk (xfs root mounted at
# MNT, the ext4 XBOOTLDR /boot at MNT/boot), then build/tests/unit/test-deploy's /deploy/image
# case inits the sysroot, pulls the test image's v1 and tiny tags into its repo, refuses tiny
# (no kernel) and deploys v1, checking the BLS entry, the origin, the seeded /var, the fstab
# line and the root SSH drop-in. A loop disk rather than a temp directory: the deploy freezes
# and thaws the filesystem /boot is on, which must be the test's own.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"

need_root
need_cmd sfdisk partx blkid mkfs.xfs mkfs.ext4 mkfs.vfat
[ -e /dev/loop-control ] || skip "no loop device support"
TEST=$BERTH_BUILD/tests/unit/test-deploy
[ -x "$TEST" ] || fail "$TEST is not built (make)"

LAYOUT=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")} || fail "images/test-image failed"
[ -f "$LAYOUT/index.json" ] || fail "'$LAYOUT' is not an OCI layout"

mktemp_dir T
t0=$SECONDS
disk_new DEV "$T/disk.img" 4G
disk_mkfs_layout "$DEV" xfs
MNT=$T/mnt
disk_mount "$(disk_part "$DEV" 4)" "$MNT"
disk_mount "$(disk_part "$DEV" 3)" "$MNT/boot"
BOOT_UUID=$(blkid -o value -s UUID "$(disk_part "$DEV" 3)")
[ -n "$BOOT_UUID" ] || fail "no UUID on the boot partition"
log "disk ready in $((SECONDS - t0)) s"

BERTH_TEST_DEPLOY_MNT=$MNT BERTH_TEST_DEPLOY_BOOT_UUID=$BOOT_UUID BERTH_TEST_IMAGE=$LAYOUT \
  "$TEST" -p /deploy/image >"$T/out" 2>&1 || rc=$?
# libostree's g_debug lines (tens of thousands, GLib's test mode shows them) stay out of the log
grep -v '^# OSTree-DEBUG' "$T/out" >&2 || true
[ "${rc:-0}" = 0 ] || fail "test-deploy failed"
grep -q '^ok 1 /deploy/image$' "$T/out" || fail "/deploy/image did not run (skipped?)"

# what the CLI of ostree makes of it
ostree admin status --sysroot="$MNT" >&2 || fail "ostree admin status failed"
log "passed in $((SECONDS - t0)) s"
