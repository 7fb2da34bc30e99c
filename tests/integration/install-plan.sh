#!/bin/bash
# berth install --dry-run: the plan as data, without a disk and without root. Golden values
# for the layout with a fixed UUID seed; refusals before anything is written.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd jq umoci sfdisk mkfs.ext4
[ -x "$BERTH" ] || fail "$BERTH not built"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
tmp=
mktemp_dir tmp
build_small_image "$tmp/layout" v1 100000
umoci config --image "$tmp/layout:v1" --config.label containers.bootc=1 >/dev/null
img="oci:$tmp/layout:v1"

plan () { "$BERTH" install --dry-run --json --via-loopback --uuid-seed berth-test "$img" "$@"; }

log "default plan for a new 10 GiB image file"
plan "$tmp/new.img" >"$tmp/plan.json"
[ ! -e "$tmp/new.img" ] || fail "--dry-run created the image file"
assert_eq "$(jq -r '.target.size' "$tmp/plan.json")" 10737418240 "default --via-loopback size"
assert_eq "$(jq -r '[.partitions[].name] | join(",")' "$tmp/plan.json")" \
  "BIOS-BOOT,EFI-SYSTEM,boot,root" "partition names"
assert_eq "$(jq -r '[.partitions[].filesystem] | join(",")' "$tmp/plan.json")" \
  "none,vfat,ext4,xfs" "filesystems"
assert_eq "$(jq -r '[.partitions[].size] | join(",")' "$tmp/plan.json")" \
  "1048576,536870912,1073741824,9123659776" "partition sizes"
assert_eq "$(jq -r '.partitions[3].type' "$tmp/plan.json")" \
  "4f68bce3-e8cd-4db1-96e7-fbcaf984b709" "x86_64 root type (Discoverable Partitions)"
root_uuid=$(jq -r '.partitions[3].filesystemUuid' "$tmp/plan.json")
boot_uuid=$(jq -r '.partitions[2].filesystemUuid' "$tmp/plan.json")
assert_eq "$(jq -r '.kargs | join(" ")' "$tmp/plan.json")" \
  "root=UUID=$root_uuid rw boot=UUID=$boot_uuid" "kernel arguments"
# the same seed, the same UUIDs
assert_eq "$(plan "$tmp/new.img" | jq -r .diskGuid)" "$(jq -r .diskGuid "$tmp/plan.json")" "seeded disk GUID"
assert_eq "$(jq -r .origin "$tmp/plan.json")" "ostree-unverified-image:$img" "origin"
assert_eq "$(jq -r .image.bootableLabel "$tmp/plan.json")" true "bootable label"
assert_eq "$(jq -c '[.partitions[].attributes]' "$tmp/plan.json")" '[[],[],[],[]]' \
  "no partition attributes"

log "--bootloader extlinux: /boot marked LegacyBIOSBootable for U-Boot's distro boot"
plan "$tmp/new.img" --bootloader extlinux >"$tmp/xplan.json"
assert_eq "$(jq -c '[.partitions[].attributes]' "$tmp/xplan.json")" '[[],[],["LegacyBIOSBootable"],[]]' \
  "attributes with extlinux"
assert_eq "$(jq -r '.bootloaderChosen | "\(.name) \(.sysrootBootloader)"' "$tmp/xplan.json")" \
  "extlinux syslinux" "extlinux's plan"

log "options: ext4, sizes, kargs, console, target-imgref, stateroot"
plan "$tmp/new.img" --size 20G --filesystem ext4 --root-size 8G --boot-size 2G \
  --karg quiet --karg-delete nothing --console ttyS0,115200 --stateroot os \
  --target-imgref quay.io/x/y:z >"$tmp/plan2.json"
assert_eq "$(jq -r '.partitions[3].filesystem' "$tmp/plan2.json")" ext4 "--filesystem ext4"
assert_eq "$(jq -r '.partitions[3].size' "$tmp/plan2.json")" 8589934592 "--root-size"
assert_eq "$(jq -r '.partitions[2].size' "$tmp/plan2.json")" 2147483648 "--boot-size"
assert_eq "$(jq -r '.kargs[3:] | join(" ")' "$tmp/plan2.json")" "quiet console=ttyS0,115200" "--karg then --console"
assert_eq "$(jq -r .origin "$tmp/plan2.json")" "ostree-unverified-registry:quay.io/x/y:z" "--target-imgref"
assert_eq "$(jq -r .stateroot "$tmp/plan2.json")" os "--stateroot"

log "--dry-run reads the image's kargs.d and install config: the final line, with sources"
mkdir -p "$tmp/cfg/usr/lib/bootc/kargs.d" "$tmp/cfg/usr/lib/bootc/install"
printf 'kargs = ["from.kargsd=1", "gone"]\n' >"$tmp/cfg/usr/lib/bootc/kargs.d/10-test.toml"
printf '[install]\nkargs = ["from.config=1"]\nkarg-deletes = ["gone"]\n' \
  >"$tmp/cfg/usr/lib/bootc/install/50-test.toml"
tar -C "$tmp/cfg" --numeric-owner --owner=0 --group=0 -cf "$tmp/cfg.tar" usr
umoci raw add-layer --image "$tmp/layout:v1" "$tmp/cfg.tar" >/dev/null
plan "$tmp/new.img" --karg last=1 >"$tmp/plan3.json"
assert_eq "$(jq -r '.kargs[3:] | join(" ")' "$tmp/plan3.json")" "from.config=1 from.kargsd=1 last=1" \
  "install config, kargs.d, then --karg (the config's karg-deletes applied)"
assert_eq "$(jq -r '.kargsFrom[3:] | join(",")' "$tmp/plan3.json")" \
  "/usr/lib/bootc/install/50-test.toml:2,/usr/lib/bootc/kargs.d/10-test.toml:1,command line" \
  "where each argument comes from"
assert_eq "$(jq -r .kargsComplete "$tmp/plan3.json")" true "the plan's command line is final"

log "human plan"
"$BERTH" install --dry-run --via-loopback "$img" "$tmp/new.img" >"$tmp/plan.txt"
assert_contains "$(cat "$tmp/plan.txt")" "EFI-SYSTEM"
assert_contains "$(cat "$tmp/plan.txt")" "root=UUID="

log "refusals before any write"
expect_refusal ()
{
  local want=$1 rc=0
  shift
  "$BERTH" install --dry-run "$@" >/dev/null 2>"$tmp/err" || rc=$?
  [ "$rc" != 0 ] || fail "'$*' was accepted"
  assert_contains "$(cat "$tmp/err")" "$want"
}
expect_refusal "needs at least" --via-loopback --size 1G "$img" "$tmp/small.img"
expect_refusal "root filesystem 'vfat'" --via-loopback --filesystem vfat "$img" "$tmp/x.img"
expect_refusal "--size" --via-loopback --size lots "$img" "$tmp/x.img"
mkdir "$tmp/adir"
expect_refusal "neither a block device nor a disk image file" "$img" "$tmp/adir"

log "--via-loopback with an existing file: probed like a disk, its size is the disk's"
# bootc's documented workflow: truncate -s 10G disk.raw && bootc install to-disk --via-loopback
truncate -s 7G "$tmp/blank.img"
plan "$tmp/blank.img" >"$tmp/blank.json"
assert_eq "$(jq -r .target.size "$tmp/blank.json")" 7516192768 "a truncated file: its own size"
assert_eq "$(jq -r .target.file "$tmp/blank.json")" existing "a truncated file is used as it is"
assert_eq "$(jq -r '.target.signatures | length' "$tmp/blank.json")" 0 "a truncated file is blank"
assert_eq "$(jq -r .target.wipe "$tmp/blank.json")" false "no --wipe needed for a blank file"
assert_eq "$(stat -c %s "$tmp/blank.img")" 7516192768 "--dry-run left the file's size alone"
# an explicit, larger --size grows it, and the plan says so; a smaller one is refused
plan "$tmp/blank.img" --size 8G >"$tmp/grow.json"
assert_eq "$(jq -r .target.size "$tmp/grow.json")" 8589934592 "--size grows the file"
assert_eq "$(jq -r .target.file "$tmp/grow.json")" grown "the plan says it grows"
assert_eq "$(jq -r .target.sizeBefore "$tmp/grow.json")" 7516192768 "the size before"
"$BERTH" install --dry-run --via-loopback "$img" "$tmp/blank.img" --size 8G >"$tmp/grow.txt"
grep -qE "grown from 7.5.GB by --size" "$tmp/grow.txt" || fail "the human plan does not say the file grows"
expect_refusal "never shrinks" --via-loopback --size 6G "$img" "$tmp/blank.img"
assert_eq "$(stat -c %s "$tmp/blank.img")" 7516192768 "refusals leave the file's size alone"
# only non-zero bytes in the middle, no signature: blank as a disk with the same bytes would be
truncate -s 7G "$tmp/middle.img"
head -c 4M /dev/urandom | dd of="$tmp/middle.img" bs=1M seek=3000 conv=notrunc status=none
assert_eq "$(plan "$tmp/middle.img" | jq -r '.target.signatures | length')" 0 \
  "bytes in the middle are no signature"
# a partition table: refused without --wipe, named
truncate -s 7G "$tmp/gpt.img"
printf 'label: gpt\n,100M\n' | sfdisk -q "$tmp/gpt.img" >/dev/null
expect_refusal "found: gpt partition table); --wipe would erase it" --via-loopback "$img" "$tmp/gpt.img"
assert_eq "$(plan "$tmp/gpt.img" --wipe | jq -r '.target.signatures | join(",")')" \
  "gpt partition table" "with --wipe the plan lists what it erases"
# only the backup GPT at the end (the primary zeroed) still counts
dd if=/dev/zero of="$tmp/gpt.img" bs=1M count=1 conv=notrunc status=none
expect_refusal "gpt partition table" --via-loopback "$img" "$tmp/gpt.img"
# a filesystem on the whole file
truncate -s 7G "$tmp/fs.img"
mkfs.ext4 -q -F "$tmp/fs.img"
expect_refusal "found: ext4 filesystem" --via-loopback "$img" "$tmp/fs.img"
# an empty file is new: --size (default 10 GiB) applies
: >"$tmp/empty.img"
assert_eq "$(plan "$tmp/empty.img" | jq -r .target.file,.target.size | paste -sd,)" \
  "new,10737418240" "an empty file counts as new"
rc=0
"$BERTH" install "$img" 2>/dev/null || rc=$?
assert_eq "$rc" 2 "usage error without TARGET"
log "plan ok"
