#!/bin/bash
# The foundation's boot test: the test OS image (images/test-image, tag v1), committed and
# deployed with the ostree CLI (not berth) onto a loop disk, boots under tests/lib/qemu-boot by
# direct kernel boot with the BLS entry's kernel, initramfs and options, and reaches its marker
# service on the ostree deployment. Proves the image, the harness and the BLS/ostree= path that
# berth's own boot tests build on.
#
# Disk: GPT with one x86_64 root partition (xfs, the default root filesystem of DESIGN.md
# section 7); /boot is a directory of the root filesystem (direct kernel boot needs no ESP).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/lib/qemu-boot.sh
. "$BERTH_TOP/tests/lib/qemu-boot.sh"

need_root
need_cmd umoci ostree sfdisk partx blkid mkfs.xfs qemu-system-x86_64
[ -e /dev/loop-control ] || skip "no loop device support"
[ -x "$BERTH_TOP/images/test-image" ] || skip "images/test-image is missing"

STATEROOT=default
REF=berth/test

mktemp_dir T
t0=$SECONDS
step () { log "[$((SECONDS - t0)) s] $*"; }

step "test image"
# BERTH_TEST_LAYOUT: use that OCI layout instead (e.g. a given cached build).
LAYOUT=${BERTH_TEST_LAYOUT:-$("$BERTH_TOP/images/test-image")} || fail "images/test-image failed"
[ -f "$LAYOUT/index.json" ] || fail "images/test-image printed '$LAYOUT', not an OCI layout"

step "unpack $LAYOUT:v1"
umoci unpack --image "$LAYOUT:v1" "$T/bundle" >/dev/null || fail "umoci unpack failed"
ROOTFS=$T/bundle/rootfs
# ostree 2022.7 deploys /usr/etc, not /etc (DESIGN.md section 2); both at once is an error.
[ ! -e "$ROOTFS/usr/etc" ] || fail "the image has /usr/etc already"
mv "$ROOTFS/etc" "$ROOTFS/usr/etc"
kvers=("$ROOTFS"/usr/lib/modules/*/vmlinuz)
{ [ ${#kvers[@]} -eq 1 ] && [ -f "${kvers[0]}" ]; } || fail "expected one kernel in the image: ${kvers[*]}"
KVER=$(basename "$(dirname "${kvers[0]}")")
[ -f "$ROOTFS/usr/lib/modules/$KVER/initramfs.img" ] || fail "no initramfs.img beside the kernel"
osrel () { sed -n "s/^$1=//p" "$ROOTFS/usr/lib/os-release" | tr -d '"' | tail -n 1; }
WANT_VERSION=$(osrel VERSION)
WANT_TEST_VERSION=$(osrel BERTH_TEST_VERSION)
log "kernel $KVER, VERSION=$WANT_VERSION, BERTH_TEST_VERSION=$WANT_TEST_VERSION"
assert_eq "$WANT_TEST_VERSION" 1 "BERTH_TEST_VERSION of the v1 image"

step "disk"
disk_new DEV "$T/disk.img" 4G
disk_partition "$DEV" "label: gpt
type=$DISK_TYPE_ROOT_X86_64, name=\"root\""
ROOTPART=$(disk_part "$DEV" 1)
mkfs.xfs -q -f -L root "$ROOTPART"
UUID=$(blkid -o value -s UUID "$ROOTPART")
[ -n "$UUID" ] || fail "no UUID on $ROOTPART"
MNT=$T/mnt
disk_mount "$ROOTPART" "$MNT"

step "ostree sysroot"
REPO=$MNT/ostree/repo
ostree admin init-fs "$MNT"
[ "$(ostree --repo="$REPO" config get core.mode)" = bare ] || fail "sysroot repo is not bare"
ostree admin os-init "$STATEROOT" --sysroot="$MNT"
# Debian's libostree with "auto" finds a grub.cfg and runs grub-mkconfig (section 5).
ostree --repo="$REPO" config set sysroot.bootloader none

# The deploy ignores the image's /var (2022.7, section 2): commit an empty /var and seed the
# stateroot's var from the image, as berth does.
mv "$ROOTFS/var" "$T/image-var"
mkdir -m 755 "$ROOTFS/var"
cp -a "$T/image-var/." "$MNT/ostree/deploy/$STATEROOT/var/"

# Real ownership and modes (no --owner-uid/--owner-gid). No SELinux policy in the tree and none
# asked for (no --selinux-policy), so ostree labels nothing; the image's own xattrs are kept.
# No fsync per object (the deploy syncs the file system, and the disk is released before the
# boot anyway).
step "commit"
ostree --repo="$REPO" commit --tree=dir="$ROOTFS" -b "$REF" --fsync=false \
  --subject="berth test image v1" --add-metadata-string=version="$WANT_VERSION" >/dev/null
COMMIT=$(ostree --repo="$REPO" rev-parse "$REF")
rm -rf "$T/bundle" "$T/image-var" # 400 MB we no longer need

step "deploy $COMMIT"
ostree admin deploy --sysroot="$MNT" --os="$STATEROOT" \
  --karg="root=UUID=$UUID" --karg=rw --karg=console=ttyS0,115200 --karg=marker.poweroff "$REF"

entries=("$MNT"/boot/loader/entries/*.conf)
{ [ ${#entries[@]} -eq 1 ] && [ -f "${entries[0]}" ]; } || fail "expected one BLS entry: ${entries[*]}"
log "BLS entry ${entries[0]##*/}:"
sed 's/^/#   /' "${entries[0]}" >&2
bls () { sed -n "s/^$1 \{1,\}//p" "${entries[0]}" | tail -n 1; }
LINUX=$(bls linux) INITRD=$(bls initrd) OPTIONS=$(bls options)
assert_contains "$OPTIONS" "ostree=/ostree/boot.1/$STATEROOT/" "BLS options"
assert_contains "$OPTIONS" "root=UUID=$UUID" "BLS options"
# 2022.7 has no sysroot.bootprefix: the paths are relative to the /boot file system, which here
# is the /boot directory of the root file system.
[ -f "$MNT/boot$LINUX" ] || fail "BLS linux $LINUX not in /boot"
[ -f "$MNT/boot$INITRD" ] || fail "BLS initrd $INITRD not in /boot"
cp "$MNT/boot$LINUX" "$T/vmlinuz"
cp "$MNT/boot$INITRD" "$T/initramfs.img"
cmp -s "$T/vmlinuz" "$MNT/ostree/deploy/$STATEROOT/deploy/$COMMIT.0/usr/lib/modules/$KVER/vmlinuz" \
  || fail "the BLS kernel is not the image's kernel"
disk_release "$DEV"
log "prepared in $((SECONDS - t0)) s"

step "boot"
qemu_boot rc --disk "$T/disk.img" --kernel "$T/vmlinuz" --initrd "$T/initramfs.img" \
  --append "$OPTIONS panic=5 rd.emergency=poweroff" --out "$T/boot"
log "boot: $(cat "$T/boot/result" 2>/dev/null) in $(cat "$T/boot/elapsed" 2>/dev/null) s"
# Keep the console where the runner keeps logs, for a look after the test.
if [ -d "$BERTH_BUILD" ]; then
  mkdir -p "$BERTH_BUILD/test-logs/boot"
  cp "$T/boot/serial.log" "$BERTH_BUILD/test-logs/boot/ostree-cli-deploy.serial.log" 2>/dev/null || true
fi
assert_eq "$rc" 0 "qemu-boot status"
assert_eq "$(cat "$T/boot/result")" ok "boot result"

# info KEY: the value of a BOOT-MARKER-INFO line (the last one with that key).
info () { qemu_boot_info "$T/boot" "$1"; }
log "marker info:"
sed 's/^/#   /' "$T/boot/info" >&2

CMDLINE=$(cat "$T/boot/cmdline")
assert_contains "$CMDLINE" "ostree=/ostree/boot.1/$STATEROOT/" "guest cmdline"
assert_contains "$CMDLINE" "root=UUID=$UUID" "guest cmdline"
assert_contains " $CMDLINE " " rw " "guest cmdline"
assert_eq "$(info ostree-booted)" yes "/run/ostree-booted"
assert_eq "$(info ostree-deploy-path)" "/sysroot/ostree/deploy/$STATEROOT/deploy/$COMMIT.0" "deployment"
assert_eq "$(info ostree-stateroot)" "$STATEROOT" "stateroot"
assert_eq "$(info ostree-deployments)" 1 "ostree admin status deployments"
assert_contains "$(info ostree-status)" "$COMMIT" "ostree admin status"
assert_eq "$(info os-version)" "$WANT_VERSION" "os-release VERSION"
assert_eq "$(info berth-test-version)" "$WANT_TEST_VERSION" "os-release BERTH_TEST_VERSION"
assert_eq "$(info kernel)" "$KVER" "running kernel"
assert_eq "$(info root-fstype)" xfs "/ file system"
assert_contains "$(info root-source)" "/ostree/deploy/$STATEROOT/deploy/$COMMIT.0" "/ is the deployment"
assert_contains ",$(info root-options)," ",rw," "/ is writable"
assert_eq "$(info sysroot-mounted)" yes "/sysroot"
assert_eq "$(info sysroot-fstype)" xfs "/sysroot file system"
assert_eq "$(info boots)" 1 "first boot"
failed=$(info failed-units)
[ "$failed" = none ] || fail "failed units in the guest: $failed (see $T/boot/serial.log)"

# What the guest wrote is on the disk: the stateroot's /var (a bind mount in the guest) holds
# the marker's boot counter and log, and the deployment's /etc got a machine-id.
step "disk after the boot"
disk_attach DEV "$T/disk.img"
disk_scan "$DEV"
disk_mount "$(disk_part "$DEV" 1)" "$MNT" ro
VAR=$MNT/ostree/deploy/$STATEROOT/var
assert_eq "$(cat "$VAR/lib/berth-marker/boots" 2>/dev/null)" 1 "boot counter in the stateroot's /var"
grep -q "^BOOT-MARKER-OK " "$VAR/lib/berth-marker/last.log" || fail "no marker log in /var"
MID=$(cat "$MNT/ostree/deploy/$STATEROOT/deploy/$COMMIT.0/etc/machine-id" 2>/dev/null || true)
assert_eq "$MID" "$(info machine-id)" "machine-id in the deployment's /etc"
disk_release "$DEV"

log "passed in $((SECONDS - t0)) s"
