#!/bin/bash
# The image's install configuration (/usr/lib/bootc/install/*.toml) decides what the command
# line left open, as bootc does: a derived image of the test OS asks for root-fs-type ext4,
# stateroot "berthcfg" and bootloader "systemd" (which auto would not pick: the image carries
# GRUB too), and sets a key berth does not act on. berth partitions before it can read the
# image, so the install makes xfs, pulls, reads the configuration, says so, makes ext4 and
# pulls again; the disk then has an ext4 root, the deployment in stateroot berthcfg, and
# systemd-boot on the ESP, and the output lists the ignored key. With --filesystem xfs and
# --stateroot the command line wins and nothing is pulled twice.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"

need_root
need_cmd umoci blkid mdir jq
[ -e /dev/loop-control ] || skip "no loop device support"
[ -x "$BERTH" ] || fail "$BERTH is not built (make)"
LAYOUT=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")} || fail "images/test-image failed"
[ -f "$LAYOUT/index.json" ] || fail "'$LAYOUT' is not an OCI layout"

mktemp_dir T
t0=$SECONDS
cp -a "$LAYOUT" "$T/layout"
mkdir -p "$T/cfg/usr/lib/bootc/install"
printf '[install]\nroot-fs-type = "ext4"\nstateroot = "berthcfg"\nbootloader = "systemd"\n%s\n' \
  'enforce-container-sigpolicy = false' >"$T/cfg/usr/lib/bootc/install/50-berth.toml"
tar -C "$T/cfg" --numeric-owner --owner=0 --group=0 -cf "$T/cfg.tar" usr
umoci raw add-layer --image "$T/layout:v1" --tag cfg "$T/cfg.tar" >/dev/null
IMG=oci:$T/layout:cfg

log "--dry-run previews what the configuration decides"
"$BERTH" install --dry-run --json --via-loopback --uuid-seed cfg "$IMG" "$T/plan.img" >"$T/plan.json"
assert_eq "$(jq -r .rootFilesystem "$T/plan.json")" ext4 "planned root filesystem"
assert_eq "$(jq -r .rootFilesystemFrom "$T/plan.json")" \
  "the image's install configuration, /usr/lib/bootc/install/50-berth.toml:2" "why ext4"
assert_eq "$(jq -r '.partitions[] | select(.name == "root") | .filesystem' "$T/plan.json")" ext4 \
  "the root partition's filesystem in the plan"
assert_eq "$(jq -r .stateroot "$T/plan.json")" berthcfg "planned stateroot"
assert_eq "$(jq -r .bootloaderChosen.name "$T/plan.json")" systemd-boot "planned loader"
assert_contains "$(jq -r .bootloaderChosen.why "$T/plan.json")" \
  "50-berth.toml:4 asks for systemd-boot"
assert_contains "$(jq -r '.warnings | join("\n")' "$T/plan.json")" \
  "install.enforce-container-sigpolicy (/usr/lib/bootc/install/50-berth.toml:5), which berth does not act on"
[ ! -e "$T/plan.img" ] || fail "--dry-run wrote $T/plan.img"

log "install: xfs made, the configuration read, ext4 made, pulled again"
"$BERTH" install --via-loopback --size 6G "$IMG" "$T/disk.img" >"$T/out" 2>&1 ||
  { cat "$T/out" >&2; fail "berth install failed"; }
cat "$T/out" >&2
assert_contains "$(cat "$T/out")" "asks for root filesystem ext4, not the xfs made: making it again and pulling again"
assert_eq "$(grep -c 'ext4 on .*(root)' "$T/out")" 1 "the root made again, as ext4, once"
assert_contains "$(cat "$T/out")" "deploying into stateroot berthcfg (the image's install configuration, /usr/lib/bootc/install/50-berth.toml:3)"
assert_contains "$(cat "$T/out")" "which berth does not act on"

disk_attach DEV "$T/disk.img"
disk_scan "$DEV"
assert_eq "$(blkid -o value -s TYPE "$(disk_part "$DEV" 4)")" ext4 "the root filesystem on disk"
MNT=$T/mnt
disk_mount "$(disk_part "$DEV" 4)" "$MNT" ro
disk_mount "$(disk_part "$DEV" 3)" "$MNT/boot" ro
[ -d "$MNT/ostree/deploy/berthcfg/deploy" ] || fail "no stateroot berthcfg"
[ ! -e "$MNT/ostree/deploy/default" ] || fail "a stateroot 'default' was made too"
ls "$MNT"/ostree/deploy/berthcfg/deploy/*.0/usr/lib/bootc/install/50-berth.toml >/dev/null ||
  fail "the deployment lacks the image's configuration"
grep -q 'ostree=/ostree/boot.1/berthcfg/' "$MNT"/boot/loader/entries/*.conf ||
  fail "the BLS entry does not boot stateroot berthcfg"
mdir -/ -i "$(disk_part "$DEV" 2)" ::/EFI/systemd >"$T/esp" || fail "no systemd-boot on the ESP"
assert_contains "$(cat "$T/esp")" "systemd-bootx64.efi"
disk_release "$DEV"

log "the command line wins: --filesystem xfs --stateroot mine, one pull"
"$BERTH" install --via-loopback --size 6G --filesystem xfs --stateroot mine --bootloader none \
  "$IMG" "$T/disk2.img" >"$T/out2" 2>&1 || { cat "$T/out2" >&2; fail "berth install failed"; }
if grep -q "making it again" "$T/out2"; then fail "pulled twice with --filesystem"; fi
assert_contains "$(cat "$T/out2")" "deploying into stateroot mine (--stateroot)"
disk_attach DEV2 "$T/disk2.img"
disk_scan "$DEV2"
assert_eq "$(blkid -o value -s TYPE "$(disk_part "$DEV2" 4)")" xfs "--filesystem xfs on disk"
disk_release "$DEV2"
log "passed in $((SECONDS - t0)) s"
