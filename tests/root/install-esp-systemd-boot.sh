#!/bin/bash
# The boot module on real ESPs, without mounting them: systemd-boot and the ext4 driver from
# the test image's tree (pulled with berth, read back with ostree cat) written by
# build/tests/unit/test-boot's /boot/esp-env case onto (1) the ESP partition node of a loop
# disk with the section 7 layout and (2) the ESP of a plain disk image file at its byte offset.
# Checked with mtools: the file names, the contents against the sources, loader.conf; then the
# refusals: no ext4 driver anywhere (says to install refind), systemd-boot asked of a GRUB-only
# tree (says what the image lacks), both before anything is written.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"

need_root
need_cmd sfdisk partx mkfs.vfat mkfs.ext4 mkfs.xfs mcopy mdir mtype ostree
[ -e /dev/loop-control ] || skip "no loop device support"
TEST=$BERTH_BUILD/tests/unit/test-boot
[ -x "$TEST" ] || fail "$TEST is not built (make)"
[ -x "$BERTH" ] || fail "$BERTH is not built (make)"
DRIVER=/usr/share/refind/refind/drivers_x64/ext4_x64.efi
[ -f "$DRIVER" ] || fail "$DRIVER is missing (make deps installs refind)"

LAYOUT=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")} || fail "images/test-image failed"
[ -f "$LAYOUT/index.json" ] || fail "'$LAYOUT' is not an OCI layout"

mktemp_dir T
t0=$SECONDS

# the two files of the image the bootloader needs, in a tree shaped like a deployment
SDBOOT=usr/lib/systemd/boot/efi/systemd-bootx64.efi
COMMIT=$("$BERTH" pull "oci:$LAYOUT:v1" --repo "$T/repo" | tail -n 1)
TREE=$T/tree
mkdir -p "$TREE/$(dirname "$SDBOOT")"
ostree --repo="$T/repo" cat "$COMMIT" "/$SDBOOT" >"$TREE/$SDBOOT" || fail "no $SDBOOT in the image"
rm -rf "$T/repo"
log "tree ready in $((SECONDS - t0)) s"

# run_install DEVICE [OFFSET] [HOST_ROOT] [TREE]: the /boot/esp-env case; its output in $T/out
run_install ()
{
  BERTH_TEST_ESP_DEVICE=$1 BERTH_TEST_ESP_OFFSET=${2:-0} BERTH_TEST_HOST_ROOT=${3:-/} \
    BERTH_TEST_BOOT_TREE=${4:-$TREE} "$TEST" -p /boot/esp-env >"$T/out" 2>&1
}

# check_esp MTOOLS_IMAGE: the files on the ESP are the sources
check_esp ()
{
  local img=$1 f
  mdir -/ -i "$img" :: >"$T/listing" || fail "mdir failed on $img"
  sed 's/^/#   /' "$T/listing" >&2
  for f in EFI/BOOT/BOOTX64.EFI EFI/systemd/systemd-bootx64.efi; do
    rm -f "$T/back"
    mcopy -i "$img" "::/$f" "$T/back" || fail "no $f on the ESP"
    cmp "$T/back" "$TREE/$SDBOOT" || fail "$f is not the image's systemd-boot"
  done
  rm -f "$T/back"
  mcopy -i "$img" ::/EFI/systemd/drivers/ext4_x64.efi "$T/back" || fail "no ext4 driver"
  cmp "$T/back" "$DRIVER" || fail "the ext4 driver is not $DRIVER"
  assert_eq "$(mtype -i "$img" ::/loader/loader.conf)" "timeout 3
editor no" "loader.conf"
  if grep -qi '\.tmp' "$T/listing"; then fail "a temp file was left on the ESP"; fi
}

log "1. the ESP partition of a loop disk"
disk_new DEV "$T/disk.img" 2G
disk_mkfs_layout "$DEV" xfs
ESP=$(disk_part "$DEV" 2)
run_install "$ESP" || { cat "$T/out" >&2; fail "install on $ESP failed"; }
check_esp "$ESP"

log "2. no ext4 driver in the image nor on the host"
mkdir "$T/nohost"
mkfs.vfat -F 32 -n EFI-SYSTEM "$ESP" >/dev/null
if run_install "$ESP" 0 "$T/nohost"; then fail "installed without an ext4 driver"; fi
cat "$T/out" >&2
grep -q '^BOOT-ERROR not-found: .*install the refind package' "$T/out" \
  || fail "the missing driver error does not say what to install"
if mdir -i "$ESP" ::/EFI >/dev/null 2>&1; then fail "something was written before the refusal"; fi

log "3. a GRUB-only image"
mkdir -p "$T/grubtree/usr/lib/grub/x86_64-efi"
if run_install "$ESP" 0 / "$T/grubtree"; then fail "installed from a GRUB-only tree"; fi
cat "$T/out" >&2
grep -q '^BOOT-ERROR unsupported-image: .*does not carry it (no /usr/lib/systemd/boot/efi/systemd-bootx64.efi; install systemd-boot-efi' "$T/out" \
  || fail "systemd-boot asked of a GRUB-only tree: not refused as the image lacking it"
disk_release "$DEV"

log "4. the ESP of a disk image file, at its offset"
truncate -s 600M "$T/file.img"
sfdisk -q "$T/file.img" <<EOF2 || fail "sfdisk failed"
label: gpt
start=2048, size=512MiB, type=$DISK_TYPE_ESP, name="EFI-SYSTEM"
EOF2
START=$(sfdisk -J "$T/file.img" | sed -n 's/.*"start": *\([0-9]*\).*/\1/p' | head -n 1)
assert_eq "$START" 2048 "ESP start sector"
mkfs.vfat -F 32 --offset "$START" "$T/file.img" $((512 * 1024)) >/dev/null || fail "mkfs.vfat failed"
run_install "$T/file.img" $((START * 512)) || { cat "$T/out" >&2; fail "install into the file failed"; }
check_esp "$T/file.img@@$((START * 512))"

log "passed in $((SECONDS - t0)) s"
