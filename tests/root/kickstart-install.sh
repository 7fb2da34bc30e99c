#!/bin/bash
# berth kickstart FILE installs what a kickstart names: an Anaconda-style kickstart for a bootc
# install (ostreecontainer, ignoredisk --only-use, zerombr, clearpart, part lines for biosboot,
# /boot/efi, /boot and /, bootloader --append, root's sshkey) into a disk image file standing
# for its disk. Checked: the plan (--dry-run --json), then the disk (partition sizes and types,
# filesystems and labels, the kernel command line of the BLS entry, root's keys and password,
# the time zone and host name in the deployment's /etc), and the
# warnings for what berth does not apply yet. Then the refusals, each before anything is
# written: no disk named, LVM autopart, a separate /var, encryption, no partitioning.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"

need_root
need_cmd sfdisk blkid jq
[ -e /dev/loop-control ] || skip "no loop device support"
[ -x "$BERTH" ] || fail "$BERTH is not built (make)"
LAYOUT=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")} || fail "images/test-image failed"
[ -f "$LAYOUT/index.json" ] || fail "'$LAYOUT' is not an OCI layout"

mktemp_dir T
t0=$SECONDS
# shellcheck disable=SC2016  # a crypt(3) hash, written as it is
HASH='$6$berthsalt$berthhash'
KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBerthKickstartKey ks@example"
# head PARTITIONING: a kickstart with the image and the given partitioning lines
ks ()
{
  printf '%s\n' "# a bootc install, as Fedora's docs write one" text \
    "ostreecontainer --transport=oci --url=$LAYOUT:v1 --no-signature-verification" \
    "$@" 'bootloader --append="berth.ks=1 console=ttyS0"' \
    "sshkey --username=root \"$KEY\"" "rootpw --iscrypted --lock $HASH" \
    'timezone Etc/UTC --utc' 'network --hostname=berth-ks.example.org' 'services --enabled=sshd' reboot \
    '%post' 'echo hello' '%end'
}
ks 'ignoredisk --only-use=vda' zerombr 'clearpart --all --initlabel' 'part biosboot --size=1' \
  'part /boot/efi --size=300 --fstype=efi' 'part /boot --size=800 --fstype=ext4' \
  'part / --grow --fstype=ext4 --label=sysroot' >"$T/ks.cfg"

log "--dry-run --json: the kickstart's layout, kargs and loader"
truncate -s 6G "$T/disk.img"
"$BERTH" kickstart "$T/ks.cfg" --via-loopback "$T/disk.img" --dry-run --json --uuid-seed ks \
  >"$T/plan.json" 2>"$T/plan.err" || { cat "$T/plan.err" >&2; fail "--dry-run failed"; }
assert_eq "$(jq -r '[.partitions[] | "\(.name):\(.size / 1048576):\(.filesystem)"] | join(" ")' "$T/plan.json")" \
  "BIOS-BOOT:1:none EFI-SYSTEM:300:vfat boot:800:ext4 root:5041:ext4" "partitions"
assert_eq "$(jq -r .target.wipe "$T/plan.json")" true "zerombr and clearpart --all wipe"
assert_eq "$(jq -r .rootFilesystemFrom "$T/plan.json")" "the layout's root volume" "root fs source"
assert_eq "$(jq -r '.kargs[3:] | join(" ")' "$T/plan.json")" "berth.ks=1 console=ttyS0" "kargs"
for w in "ks.cfg:16: services is not applied" "ks.cfg:17: reboot is not applied" \
  "1 %pre/%post section is not run by berth yet"; do
  assert_contains "$(cat "$T/plan.err")" "$w"
done
assert_eq "$(stat -c %s "$T/disk.img")" 6442450944 "the disk image's size after --dry-run"
[ -z "$(blkid -p "$T/disk.img" || true)" ] || fail "--dry-run wrote to the disk image"

log "install"
"$BERTH" kickstart "$T/ks.cfg" --via-loopback "$T/disk.img" --uuid-seed ks >"$T/out" 2>&1 ||
  { cat "$T/out" >&2; fail "berth kickstart failed"; }
sfdisk -d "$T/disk.img" >"$T/table"
sed 's/^/#   /' "$T/table" >&2
assert_eq "$(grep -c 'type=' "$T/table")" 4 "four partitions"
assert_contains "$(cat "$T/table")" "size=      614400, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
assert_contains "$(cat "$T/table")" "size=     1638400, type=BC13C2FF-59E6-4262-A352-B275FD6F7172"
disk_attach DEV "$T/disk.img"
disk_scan "$DEV"
assert_eq "$(blkid -o value -s TYPE "$(disk_part "$DEV" 4)")" ext4 "root filesystem"
assert_eq "$(blkid -o value -s LABEL "$(disk_part "$DEV" 4)")" sysroot "root label"
MNT=$T/mnt
disk_mount "$(disk_part "$DEV" 4)" "$MNT" ro
disk_mount "$(disk_part "$DEV" 3)" "$MNT/boot" ro
grep -q '^options .*berth.ks=1 console=ttyS0' "$MNT"/boot/loader/entries/*.conf ||
  fail "the BLS entry lacks bootloader --append's arguments: $(cat "$MNT"/boot/loader/entries/*.conf)"
# (the tmpfiles.d drop-in carries authorized_keys base64-encoded)
grep -rqF "$(printf '%s\n' "$KEY" | base64 -w0)" "$MNT"/ostree/deploy/default/deploy/*.0/etc/tmpfiles.d/ ||
  fail "root's key from sshkey is not in the deployment"
# rootpw, timezone, network --hostname
DEPLOY=$(echo "$MNT"/ostree/deploy/default/deploy/*.0)
assert_eq "$(grep '^root:' "$DEPLOY/etc/shadow" | cut -d: -f2)" "!$HASH" "root's locked hash"
assert_eq "$(cat "$DEPLOY/etc/hostname")" berth-ks.example.org "host name"
assert_eq "$(readlink "$DEPLOY/etc/localtime")" ../usr/share/zoneinfo/Etc/UTC "time zone"
disk_release "$DEV"

log "refusals, before any write"
refused ()
{
  local want=$1 rc=0
  shift
  ks "$@" >"$T/bad.cfg"
  "$BERTH" kickstart "$T/bad.cfg" --via-loopback "$T/bad.img" --dry-run >/dev/null 2>"$T/err" || rc=$?
  [ "$rc" != 0 ] || fail "accepted: $*"
  assert_contains "$(cat "$T/err")" "$want"
  [ ! -e "$T/bad.img" ] || fail "$T/bad.img was written"
}
refused "needs device-mapper (LVM)" autopart
refused "part /var: berth makes the partitions /, /boot, /boot/efi and biosboot" \
  'part /boot/efi --size=300' 'part /boot --size=800' 'part / --grow' 'part /var --size=2000'
refused "The root partition is to be encrypted" 'part /boot/efi --size=300' \
  'part /boot --size=800' 'part / --grow --encrypted --passphrase=x'
refused "has no partitioning: add autopart --type=plain" zerombr
refused "has no /boot partition" 'part /boot/efi --size=300' 'part / --grow'
# the disk: never implicit
ks 'autopart --type=plain' >"$T/nodisk.cfg"
rc=0
"$BERTH" kickstart "$T/nodisk.cfg" --dry-run >/dev/null 2>"$T/err" || rc=$?
[ "$rc" != 0 ] || fail "a kickstart with no disk was accepted"
assert_contains "$(cat "$T/err")" "names no disk to install to"
log "passed in $((SECONDS - t0)) s"
