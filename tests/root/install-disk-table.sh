#!/bin/bash
# tests/root/install-disk-table.sh: the disk module on a loop disk, through its test driver
# (build/tests/unit/test-disk-root, one step at a time): the GPT it writes against a golden
# `sfdisk -d` (UUIDs fixed by the seed "berth-test"), partition nodes through BLKPG, mkfs with
# the labels and UUIDs asked, probe and refusals (signatures without --wipe, a mounted
# partition), the wipe that rolls an install back, and its own loop attach/detach.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"

need_root
need_cmd losetup sfdisk blkid wipefs mkfs.vfat mkfs.ext4 mkfs.xfs mkfs.btrfs
[ -e /dev/loop-control ] || skip "no loop device support"
DRIVER=$BERTH_BUILD/tests/unit/test-disk-root
[ -x "$DRIVER" ] || fail "no $DRIVER (run make)"

mktemp_dir T
# The driver's own loop device (step "loop") is over this file: detach it whatever happens.
on_exit "_disk_cleanup_file '$T/loop.img'"
disk_new DEV "$T/disk.img" 3G

# step NAME [VAR=VALUE...] [CMD...]: run one driver step against DEV (CMD runs the driver
# itself, e.g. inside unshare); it must pass, not skip.
step ()
{
  local name=$1 out rc=0
  shift
  # VAR=VALUE words first, then an optional wrapper command that runs the driver itself.
  local vars=()
  while [ $# -gt 0 ] && [[ "$1" == *=* ]]; do vars+=("$1"); shift; done
  [ $# -gt 0 ] || set -- "$DRIVER" -p "/disk/root/$name"
  out=$(env BERTH_DISK_TEST_DEVICE="$DEV" BERTH_DISK_TEST_DIR="$T" "${vars[@]}" "$@" 2>&1) || rc=$?
  printf '%s\n' "$out" | sed "s/^/  [$name] /" >&2
  [ "$rc" = 0 ] || fail "driver step $name failed (exit $rc)"
  assert_contains "$out" "ok 1 /disk/root/$name" "step $name ran"
  case "$out" in *SKIP*) fail "driver step $name skipped" ;; esac
}

# The table of a 3 GiB disk with the section 7 layout and the seed "berth-test": root from
# 1538 MiB to 3071 MiB (the last whole MiB before the backup GPT).
golden_sfdisk ()
{
  cat <<'GOLDEN'
label: gpt
label-id: 82971C92-5458-4C2A-9E61-5CB7D34F97BD
device: DEV
unit: sectors
first-lba: 2048
last-lba: 6291422
sector-size: 512

DEVp1 : start=        2048, size=        2048, type=21686148-6449-6E6F-744E-656564454649, uuid=DEF17608-2912-45E0-82E7-7742329D11E5, name="BIOS-BOOT"
DEVp2 : start=        4096, size=     1048576, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=8F2963AE-C65D-4ACF-B4EA-97450F8ED555, name="EFI-SYSTEM"
DEVp3 : start=     1052672, size=     2097152, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, uuid=0EDC1C66-D752-4E32-9D45-736F57B2CA06, name="boot"
DEVp4 : start=     3149824, size=     3139584, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=E22A2F09-97B9-47A6-B829-F60609E17351, name="root"
GOLDEN
}

# fs_is PART TYPE LABEL UUID: what blkid reads from the partition.
fs_is ()
{
  local part=$1 out
  out=$(blkid -p -o export "$part") || fail "blkid found nothing on $part"
  assert_contains "$out" "TYPE=$2" "filesystem on $part"
  assert_contains "$out" "LABEL=$3" "label on $part"
  assert_contains "$out" "UUID=$4" "UUID on $part"
}

# A disk with a filesystem and no table: listed, refused without --wipe; the table written
# over it (with --wipe) leaves no trace of it.
mkfs.xfs -q -f -L old "$DEV"
step probe-table BERTH_DISK_TEST_EXPECT="xfs filesystem"
step write BERTH_DISK_TEST_REWRITE=1
sigs=$(wipefs --no-act -O TYPE --noheadings "$DEV" | sort | tr '\n' ' ')
assert_eq "$sigs" "PMBR gpt gpt " "signatures after writing over xfs"
step wipe

for rootfs in xfs ext4 btrfs; do
  log "root filesystem $rootfs"
  step write BERTH_DISK_TEST_ROOTFS=$rootfs

  dump=$(sfdisk -d "$DEV" | sed "s|$DEV|DEV|g")
  [ "$dump" = "$(golden_sfdisk)" ] || fail "sfdisk -d differs from the golden table:
$(diff <(golden_sfdisk) <(printf '%s\n' "$dump"))"
  for n in 1 2 3 4; do
    [ -b "$(disk_part "$DEV" "$n")" ] || fail "no node for partition $n"
  done
  # The kernel's partitions (BLKPG) match the table.
  assert_eq "$(cat "/sys/class/block/${DEV#/dev/}p4/start")" 3149824 "kernel start of p4"
  assert_eq "$(cat "/sys/class/block/${DEV#/dev/}p4/size")" 3139584 "kernel size of p4"
  fs_is "$(disk_part "$DEV" 2)" vfat EFI-SYSTEM F5F4-73DF
  fs_is "$(disk_part "$DEV" 3)" ext4 boot 6cb83e0b-d4e5-48d7-9c7a-350bf367940b
  fs_is "$(disk_part "$DEV" 4)" "$rootfs" root ab5b440b-e8cf-43ab-9024-60b580a38237
  assert_eq "$(wipefs -n "$(disk_part "$DEV" 1)")" "" "signatures on BIOS-BOOT"

  step probe-table
  if [ "$rootfs" = xfs ]; then
    disk_mount "$(disk_part "$DEV" 3)" "$T/mnt"
    step probe-mounted
    assert_eq "$(sfdisk -d "$DEV" | sed "s|$DEV|DEV|g")" "$(golden_sfdisk)" "table after refused wipe"
    disk_umount "$T/mnt"
    # The running system's /boot on this disk: faked in a private mount namespace, so the
    # host's /boot is untouched and the mount ends with the namespace.
    # shellcheck disable=SC2016  # $1 and $2 are the inner shell's arguments
    step probe-system unshare --mount --propagation private \
      sh -c 'mount "$1" /boot && exec "$2" -p /disk/root/probe-system' sh \
      "$(disk_part "$DEV" 3)" "$DRIVER"
    ! grep -q "^$(disk_part "$DEV" 3) " /proc/mounts || fail "the namespace's mount leaked"
  fi

  step wipe
  assert_eq "$(wipefs -n "$DEV")" "" "signatures left by wipe_table"
  ! blkid -p "$DEV" >/dev/null 2>&1 || fail "blkid still finds something on $DEV"
  ! ls /sys/class/block/"${DEV#/dev/}"/"${DEV#/dev/}"p* >/dev/null 2>&1 ||
    fail "partitions left in the kernel after wipe"
done

# A table written over an existing one (stale partitions dropped first): write twice.
step write
step write BERTH_DISK_TEST_ROOTFS=ext4 BERTH_DISK_TEST_REWRITE=1
assert_eq "$(sfdisk -d "$DEV" | sed "s|$DEV|DEV|g")" "$(golden_sfdisk)" "table after rewrite"
step wipe

step loop
[ -z "$(losetup -n -O NAME -j "$T/loop.img")" ] || fail "the driver left $T/loop.img attached"
[ "$(stat -c %s "$T/loop.img")" = $((128 * 1024 * 1024)) ] || fail "loop.img not grown"

disk_release "$DEV"
log "passed"
