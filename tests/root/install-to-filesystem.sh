#!/bin/bash
# berth install --to-filesystem on loop disks, without booting: what it refuses before writing
# (each message says what to change; extlinux's /boot rules too), /boot as a directory of the root with --bootloader
# none, and a failed install that removes what it wrote and leaves the caller's mounts.
# (tests/boot/install-variants.sh boots a --to-filesystem install.)
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
need_root
need_cmd sfdisk mkfs.vfat mkfs.xfs mkfs.ext4 mkfs.btrfs btrfs blkid skopeo jq
[ -x "$BERTH" ] || fail "$BERTH not built"
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")}
export BERTH_RETRY_BASE_MS=50
tmp=
mktemp_dir tmp
LINUX_TYPE=0FC63DAF-8483-4772-8E79-3D69D8477DE4

# refused CASE ARGS...: berth install must fail with status 1 before writing; the message
# is in $tmp/err.
refused ()
{
  local what=$1 rc=0
  shift
  "$BERTH" install "$@" 2>"$tmp/err" || rc=$?
  [ "$rc" = 1 ] || fail "$what: exit status $rc, want 1: $(cat "$tmp/err")"
}
listing () { find "$1" -mindepth 1 -maxdepth 2 -printf '%P\n' | sort | paste -sd ' ' -; }

log "usage: partitioning options do not go with --to-filesystem"
rc=0
"$BERTH" install --to-filesystem --wipe "oci:$layout:v1" "$tmp" 2>"$tmp/err" || rc=$?
assert_eq "$rc" 2 "exit status of a usage error"
assert_contains "$(cat "$tmp/err")" "--wipe does not go with --to-filesystem"

log "a directory that is not a mount point"
mkdir -p "$tmp/plain"
refused "not a mount point" --to-filesystem "oci:$layout:v1" "$tmp/plain"
assert_contains "$(cat "$tmp/err")" "is not a mount point"
refused "the running system's root" --to-filesystem "oci:$layout:v1" /
assert_contains "$(cat "$tmp/err")" "running system's root"

dev=
disk_new dev "$tmp/disk.img" 4G
disk_partition "$dev" "label: gpt
size=100MiB, type=$DISK_TYPE_ESP
size=500MiB, type=$LINUX_TYPE
type=$LINUX_TYPE"
mkfs.vfat -F 32 "$(disk_part "$dev" 1)" >/dev/null || fail "mkfs.vfat failed"
mkfs.ext4 -q -F "$(disk_part "$dev" 2)" || fail "mkfs.ext4 failed"
mkfs.xfs -q -f "$(disk_part "$dev" 3)" || fail "mkfs.xfs failed"
root=$tmp/sysimage
disk_mount "$(disk_part "$dev" 3)" "$root"

log "/boot a directory of the root: systemd-boot cannot read it"
refused "no separate /boot" --to-filesystem --bootloader systemd-boot "oci:$layout:v1" "$root"
assert_contains "$(cat "$tmp/err")" "is not a mount point: make /boot an ext4 partition of type XBOOTLDR"
assert_contains "$(cat "$tmp/err")" "--bootloader none"
refused "extlinux, no separate /boot" --to-filesystem --bootloader extlinux "oci:$layout:v1" "$root"
assert_contains "$(cat "$tmp/err")" "extlinux: U-Boot reads the menu and the kernels from /boot's own filesystem"
assert_contains "$(cat "$tmp/err")" "$root/boot is not a mount point"

log "a file in the root: not empty"
touch "$root/leftover"
refused "not empty" --to-filesystem --bootloader none "oci:$layout:v1" "$root"
assert_contains "$(cat "$tmp/err")" "not empty (found: leftover)"
rm "$root/leftover"

log "/boot of the generic Linux type: refused, with the sfdisk command that fixes it"
disk_mount "$(disk_part "$dev" 2)" "$root/boot"
refused "/boot not XBOOTLDR" --to-filesystem --bootloader systemd-boot "oci:$layout:v1" "$root"
assert_contains "$(cat "$tmp/err")" "sfdisk --part-type $dev 2 bc13c2ff-59e6-4262-a352-b275fd6f7172"

log "extlinux: an ext4 /boot of any type will do, and no ESP is looked for; xfs is refused"
"$BERTH" install --dry-run --json --to-filesystem --bootloader extlinux "oci:$layout:v1" "$root" \
  >"$tmp/xplan.json" 2>"$tmp/err" || fail "extlinux dry run: $(cat "$tmp/err")"
assert_eq "$(jq -r '.bootloaderChosen | "\(.name) \(.sysrootBootloader) \(.uefi) \(.bios)"' \
  "$tmp/xplan.json")" "extlinux syslinux false false" "extlinux's plan"
assert_contains "$(jq -r '.bootloaderChosen.notes[]' "$tmp/xplan.json")" "sfdisk --part-attrs DISK N LegacyBIOSBootable"
xfsboot=
disk_new xfsboot "$tmp/xfsboot.img" 320M
mkfs.xfs -q -f "$xfsboot" || fail "mkfs.xfs failed"
disk_umount "$root/boot"
disk_mount "$xfsboot" "$root/boot"
refused "extlinux, xfs /boot" --to-filesystem --bootloader extlinux "oci:$layout:v1" "$root"
assert_contains "$(cat "$tmp/err")" "extlinux: U-Boot reads ext2, ext3, ext4 and FAT, but $root/boot is xfs: make /boot ext4"
disk_umount "$root/boot"
disk_release "$xfsboot"
disk_mount "$(disk_part "$dev" 2)" "$root/boot"

log "something that is not vfat mounted at boot/efi is not taken for the ESP"
small=
disk_new small "$tmp/small.img" 64M
mkfs.ext4 -q -F "$small" || fail "mkfs.ext4 failed"
disk_mount "$small" "$root/boot/efi"
refused "ext4 at boot/efi" --to-filesystem "oci:$layout:v1" "$root"
assert_contains "$(cat "$tmp/err")" "boot/efi is ext4, not an EFI system partition (vfat)"
disk_umount "$root/boot/efi"
rmdir "$root/boot/efi"
disk_release "$small"
assert_eq "$(listing "$root")" "boot boot/lost+found" "the filesystems after the refusals"

log "a corrupted blob: the install fails, removes what it wrote, leaves the mounts"
services_up
push_image "oci:$layout:v1" tofs/os:v1 B
big=$(skopeo inspect --tls-verify=false "docker://$BERTH_REG_HTTP/tofs/os:v1" | jq -r '.Layers[0]')
proxy_clear
proxy_fault "{\"kind\":\"corrupt\",\"path\":\"$big\$\",\"offset\":5000000,\"times\":-1}" >/dev/null
rc=0
"$BERTH" install --to-filesystem --bootloader none --tls-verify=false \
  "docker://$BERTH_REG_PROXY/tofs/os:v1" "$root" 2>"$tmp/err" || rc=$?
proxy_clear
assert_eq "$rc" 1 "exit status of the failed install"
assert_contains "$(cat "$tmp/err")" "Install step 'pull' failed"
assert_eq "$(listing "$root")" "boot boot/lost+found" "what remains after the failure"
mountpoint -q "$root/boot" || fail "the caller's /boot was unmounted"

log "--bootloader none with /boot a directory of the root: BLS entries only, no boot="
disk_umount "$root/boot"
# on a terminal (script(1) gives it one), the pull shows a progress bar
cmd=$(printf '%q ' "$BERTH" install --to-filesystem --bootloader none "oci:$layout:v1" "$root")
script -qec "$cmd" "$tmp/tty.log" >/dev/null 2>&1 \
  || { cat "$tmp/tty.log" >&2; fail "install with /boot on the root failed"; }
bar=$(tr '\r' '\n' <"$tmp/tty.log" | grep -a '^.*\[pull\] \[[#-]*\] *[0-9]*%' | tail -n 1)
assert_contains "$bar" "[pull] [##############################] 100%"
assert_contains "$bar" ", 6/6 layers"
root_uuid=$(blkid -s UUID -o value "$(disk_part "$dev" 3)")
entry=$(find "$root/boot/loader/entries" -name '*.conf')
[ -f "$entry" ] || fail "no BLS entry under $root/boot/loader/entries"
options=$(sed -n 's/^options //p' "$entry")
assert_contains "$options" "root=UUID=$root_uuid rw ostree=/ostree/boot.1/default/"
case "$options" in *boot=*) fail "boot= with /boot on the root: $options" ;; esac
linux=$(sed -n 's/^linux //p' "$entry")
[ -f "$root/boot$linux" ] || fail "the entry's kernel $linux is not in $root/boot"
deploy=$(find "$root/ostree/deploy/default/deploy" -mindepth 1 -maxdepth 1 -type d)
grep -q "/boot" "$deploy/etc/fstab" && fail "an fstab line for /boot, which is not separate"
mdir -b -i "$(disk_part "$dev" 1)" ::/EFI >/dev/null 2>&1 && fail "--bootloader none wrote to the ESP"
mountpoint -q "$root" || fail "the caller's root was unmounted"

log "a btrfs subvolume as the root (Anaconda's layout): rootflags=subvol= after root="
bdev=
disk_new bdev "$tmp/btrfs.img" 1G
mkfs.btrfs -q -f "$bdev" >/dev/null || fail "mkfs.btrfs failed"
disk_mount "$bdev" "$tmp/top"
btrfs -q subvolume create "$tmp/top/root" >/dev/null || fail "btrfs subvolume create failed"
disk_umount "$tmp/top"
disk_mount "$bdev" "$tmp/bsys" subvol=root
"$BERTH" install --dry-run --json --to-filesystem --bootloader none "oci:$layout:v1" \
  "$tmp/bsys" >"$tmp/bplan.json" 2>"$tmp/err" || fail "dry run on btrfs: $(cat "$tmp/err")"
assert_eq "$(jq -r '.kargs[:3] | join(" ")' "$tmp/bplan.json")" \
  "root=UUID=$(blkid -s UUID -o value "$bdev") rootflags=subvol=root rw" "kargs of a subvolume root"
assert_eq "$(jq -r '.kargsFrom[1]' "$tmp/bplan.json")" berth "rootflags' source"

log "install --to-filesystem refusals, cleanup and /boot on the root ok"
