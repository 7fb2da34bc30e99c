#!/bin/bash
# berth install, two more ways, each from a fresh disk and booted once under qemu:
# 1. a whole disk with an ext4 root and another stateroot, from the TLS registry with password
#    auth (the origin defaults to the image installed from);
# 2. --to-filesystem, Anaconda-style (GRUB for UEFI, which auto takes for the test image): the caller partitions a disk its own way (no BIOS-BOOT, a
#    generic Linux root type, an xfs root, an ext4 XBOOTLDR /boot, an unmounted ESP), makes
#    the filesystems and mounts them; berth installs into them from a local OCI layout
#    (offline), finds the ESP by type, and leaves the mounts to the caller.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/lib/qemu-boot.sh
. "$BERTH_TOP/tests/lib/qemu-boot.sh"
need_root
need_cmd qemu-system-x86_64 mdir blkid sfdisk mkfs.vfat mkfs.xfs mkfs.ext4 findmnt
[ -x "$BERTH" ] || fail "$BERTH not built"
services_up
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")}
tmp=
mktemp_dir tmp
info () { qemu_boot_info "$tmp/$1" "$2"; }
boot_kargs=(--karg marker.poweroff --karg panic=5 --karg rd.emergency=poweroff)

log "1. a whole disk, ext4 root, stateroot 'berth-os', from the TLS registry"
push_image "oci:$layout:v1" variants/os:v1 A
image="docker://$BERTH_REG_TLS/variants/os:v1"
"$BERTH" install "$image" "$tmp/ext4.img" --via-loopback --size 5G --filesystem ext4 \
  --stateroot berth-os --cert-dir "$BERTH_REG_CERTS_DIR" \
  --creds "$BERTH_REG_USER:$BERTH_REG_PASS" "${boot_kargs[@]}" --karg berth.test=ext4 \
  --console ttyS0,115200 2>"$tmp/ext4.log" \
  || { cat "$tmp/ext4.log" >&2; fail "berth install --filesystem ext4 failed"; }
grep -q "note: Deploying commit" "$tmp/ext4.log" \
  && fail "libostree's misleading /var notes reached the output"
rc=
qemu_boot rc --disk "$tmp/ext4.img" --out "$tmp/ext4" --timeout "${BERTH_BOOT_TIMEOUT:-300}"
[ "$rc" = 0 ] || fail "boot of the ext4 install: $(cat "$tmp/ext4/result" 2>/dev/null) (exit $rc)"
assert_eq "$(info ext4 root-fstype)" ext4 "root filesystem"
assert_eq "$(info ext4 boot-fstype)" ext4 "/boot"
assert_eq "$(info ext4 ostree-stateroot)" berth-os "stateroot"
assert_contains "$(cat "$tmp/ext4/cmdline")" "ostree=/ostree/boot.1/berth-os/"
assert_contains "$(cat "$tmp/ext4/cmdline")" "berth.test=ext4"
assert_eq "$(info ext4 origin-imgref)" "ostree-unverified-registry:$BERTH_REG_TLS/variants/os:v1" \
  "origin without --target-imgref: the image installed from"
assert_eq "$(info ext4 sysroot-fstype)" ext4 "/sysroot"
assert_eq "$(info ext4 failed-units)" none "failed units"

log "2. --to-filesystem into filesystems the caller made and mounted"
dev=
disk_new dev "$tmp/anaconda.img" 5G
disk_partition "$dev" "label: gpt
size=200MiB, type=$DISK_TYPE_ESP, name=\"efi\"
size=800MiB, type=$DISK_TYPE_XBOOTLDR, name=\"boot\"
type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=\"root\""
mkfs.vfat -F 32 -n EFI "$(disk_part "$dev" 1)" >/dev/null || fail "mkfs.vfat failed"
mkfs.ext4 -q -F -L boot "$(disk_part "$dev" 2)" || fail "mkfs.ext4 failed"
mkfs.xfs -q -f -L root "$(disk_part "$dev" 3)" || fail "mkfs.xfs failed"
root_uuid=$(blkid -s UUID -o value "$(disk_part "$dev" 3)")
boot_uuid=$(blkid -s UUID -o value "$(disk_part "$dev" 2)")
sysimage=$tmp/sysimage
disk_mount "$(disk_part "$dev" 3)" "$sysimage"
disk_mount "$(disk_part "$dev" 2)" "$sysimage/boot"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBerthToFilesystemKey anaconda@example" >"$tmp/keys"
keys_sum="sha256:$(sha256sum <"$tmp/keys" | cut -d' ' -f1)"
"$BERTH" install --dry-run --json --to-filesystem "oci:$layout:v1" "$sysimage" >"$tmp/plan.json" \
  || fail "--dry-run --to-filesystem failed"
assert_eq "$(jq -r '.target.root.filesystemUuid' "$tmp/plan.json")" "$root_uuid" "planned root"
assert_eq "$(jq -r '.target.esp' "$tmp/plan.json")" "$(disk_part "$dev" 1)" "the ESP found by type"
assert_eq "$(jq -r '.kargs[:3] | join(" ")' "$tmp/plan.json")" \
  "root=UUID=$root_uuid rw boot=UUID=$boot_uuid" "planned kargs"
# the image carries GRUB, which auto takes; no BIOS-BOOT partition here, so UEFI only
assert_eq "$(jq -r '.bootloaderChosen | "\(.name) \(.uefi) \(.bios)"' "$tmp/plan.json")" \
  "grub true false" "the loader planned"
"$BERTH" install --to-filesystem "oci:$layout:v1" "$sysimage" "${boot_kargs[@]}" \
  --karg berth.test=to-filesystem --console ttyS0,115200 --root-ssh-authorized-keys "$tmp/keys" \
  2>"$tmp/tofs.log" || { cat "$tmp/tofs.log" >&2; fail "berth install --to-filesystem failed"; }
# berth leaves the caller's mounts as they were, and wrote the loader to the unmounted ESP
for m in "$sysimage" "$sysimage/boot"; do
  mountpoint -q "$m" || fail "berth install --to-filesystem unmounted the caller's $m"
done
assert_eq "$(findmnt -n -o SOURCE --mountpoint "$sysimage")" "$(disk_part "$dev" 3)" "root mount"
for f in BOOTX64.EFI grubx64.efi; do
  mdir -b -i "$(disk_part "$dev" 1)" "::/EFI/BOOT/$f" >/dev/null 2>&1 \
    || fail "no \\EFI\\BOOT\\$f on the ESP"
done
[ -L "$sysimage/boot/grub/grub.cfg" ] || fail "no GRUB menu link on the caller's /boot"
disk_umount "$sysimage"
disk_release "$dev"

qemu_boot rc --disk "$tmp/anaconda.img" --out "$tmp/tofs" --timeout "${BERTH_BOOT_TIMEOUT:-300}"
[ "$rc" = 0 ] || fail "boot of the --to-filesystem install: $(cat "$tmp/tofs/result" 2>/dev/null) (exit $rc)"
cmdline=$(cat "$tmp/tofs/cmdline")
assert_contains "$cmdline" "root=UUID=$root_uuid rw boot=UUID=$boot_uuid "
assert_contains "$cmdline" "berth.test=to-filesystem"
assert_contains "$cmdline" "console=ttyS0,115200"
assert_eq "$(info tofs ostree-booted)" yes "booted an ostree deployment"
assert_eq "$(info tofs root-fstype)" xfs "root filesystem"
assert_eq "$(info tofs boot-fstype)" ext4 "/boot from the fstab berth wrote"
assert_eq "$(info tofs origin-imgref)" "ostree-unverified-image:oci:$layout:v1" "origin"
assert_eq "$(info tofs root-authorized-keys)" "$keys_sum" "root's SSH keys"
assert_eq "$(info tofs failed-units)" none "failed units"

log "install variants ok"
