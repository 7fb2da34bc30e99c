#!/bin/bash
# The project's promise, end to end: a signed, chunked ostree-format image with a derived
# layer (images/ostree-image: an ostree commit of the test OS signed with a test key,
# `berth image encapsulate --max-layers 8`, plus an ordinary layer) from the TLS + password
# registry, installed through `ostree-remote-registry:berthtest:...` with the commit's GPG
# signature checked against --ostree-remote-config, boots. The booted system reports:
#   - the origin `ostree-remote-image:berthtest:docker://...`, the image version 1, the
#     derived layer applied on top of the commit (its marker hook, the opaque whiteout);
#   - its own libostree verifies the commit's signature with the remote berth kept (the
#     deployment's /etc/ostree/remotes.d and the repo's keyring), as its own upgrades will.
# Then v2 is pushed under the same tag and `berth upgrade --disk` brings it in from the host,
# signature checked the same way, fetching only the changed layers; the disk boots v2 with v1
# kept as the rollback.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
# shellcheck source=tests/lib/qemu-boot.sh
. "$BERTH_TOP/tests/lib/qemu-boot.sh"
need_root
need_cmd qemu-system-x86_64 skopeo ostree jq sfdisk
[ -x "$BERTH" ] || fail "$BERTH not built"
services_up
layout=${BERTH_OSTREE_TEST_IMAGE:-$("$BERTH_TOP/images/ostree-image" --berth "$BERTH")}
odir=$(dirname "$(dirname "$layout")")
c1=$(awk '$1 == "v1" { print $2 }' "$odir/commits")
c2=$(awk '$1 == "v2" { print $2 }' "$odir/commits")
if [ -z "$c1" ] || [ -z "$c2" ]; then fail "no commits in $odir/commits"; fi

tmp=
mktemp_dir tmp
info () { qemu_boot_info "$tmp/$1" "$2"; }

# The image as the registry serves it: 8 ostree layers then the derived one; the label names
# the signed commit.
push_image "oci:$layout:v1" ostree/os:stable A
reg=$BERTH_REG_TLS
image="ostree-remote-registry:berthtest:$reg/ostree/os:stable"
auth=(--cert-dir "$BERTH_REG_CERTS_DIR" --creds "$BERTH_REG_USER:$BERTH_REG_PASS")
"$BERTH" inspect "docker://$reg/ostree/os:stable" "${auth[@]}" >"$tmp/inspect.json" ||
  fail "berth inspect failed"
assert_eq "$(jq -r '.layers | length' "$tmp/inspect.json")" 9 "layers of the image"
assert_eq "$(jq -r '.labels["ostree.commit"]' "$tmp/inspect.json")" "$c1" "ostree.commit label"
assert_eq "$(jq -r '.labels["containers.bootc"]' "$tmp/inspect.json")" 1 "containers.bootc label"

log "berth install $image (signature checked with remote berthtest)"
truncate -s 6G "$tmp/disk.img"
"$BERTH" install "$image" "$tmp/disk.img" --via-loopback "${auth[@]}" \
  --ostree-remote-config "$odir/remote.conf" \
  --karg marker.poweroff --karg panic=5 --karg rd.emergency=poweroff \
  --console ttyS0,115200 >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "berth install failed"; }
sed 's/^/#   install: /' "$tmp/install.log" >&2
assert_contains "$(cat "$tmp/install.log")" 'ostree remote "berthtest" kept for upgrades'
losetup -j "$tmp/disk.img" | grep -q . && fail "berth install left a loop device attached"

log "first boot: the signed commit plus the derived layer"
rc=
qemu_boot rc --disk "$tmp/disk.img" --out "$tmp/boot1" --timeout "${BERTH_BOOT_TIMEOUT:-300}"
[ "$rc" = 0 ] || fail "first boot: $(cat "$tmp/boot1/result" 2>/dev/null) (exit $rc)"
assert_eq "$(info boot1 ostree-booted)" yes "booted an ostree deployment"
assert_eq "$(info boot1 berth-test-version)" 1 "image version"
assert_eq "$(info boot1 origin-imgref)" "ostree-remote-image:berthtest:docker://$reg/ostree/os:stable" "origin"
assert_eq "$(info boot1 derived-layer)" yes "the derived layer's marker hook"
# the commit's opaque directory (old.txt, old-sub/) hidden by the derived layer's whiteout
assert_eq "$(info boot1 berth-test-files)" \
  "./added.txt ./change-me.txt ./keep.txt ./opaque/new-sub/new2.txt ./opaque/new.txt" \
  "/usr/share/berth-test after the derived layer"
assert_eq "$(info boot1 ostree-signed-commit)" "$c1" "the booted system's ostree verifies the signed commit"
assert_eq "$(info boot1 failed-units)" none "failed units"

log "v2 under the same tag; berth upgrade --disk from the host"
push_image "oci:$layout:v2" ostree/os:stable A
"$BERTH" upgrade --disk "$tmp/disk.img" "${auth[@]}" >"$tmp/upgrade.log" 2>&1 ||
  { cat "$tmp/upgrade.log" >&2; fail "berth upgrade failed"; }
sed 's/^/#   upgrade: /' "$tmp/upgrade.log" >&2
losetup -j "$tmp/disk.img" | grep -q . && fail "berth upgrade left a loop device attached"
# v2 differs from v1 in the commit layer and the chunk holding os-release only
assert_contains "$(cat "$tmp/upgrade.log")" "2 layers fetched, 7 reused" "layers the upgrade fetched"
assert_contains "$(cat "$tmp/upgrade.log")" 'Signature checked with ostree remote "berthtest"'

qemu_boot rc --disk "$tmp/disk.img" --out "$tmp/boot2" --timeout "${BERTH_BOOT_TIMEOUT:-300}"
[ "$rc" = 0 ] || fail "boot after the upgrade: $(cat "$tmp/boot2/result" 2>/dev/null) (exit $rc)"
assert_eq "$(info boot2 berth-test-version)" 2 "version after the upgrade"
assert_eq "$(info boot2 os-version)" "12-berth-v2" "os-release VERSION after the upgrade"
assert_eq "$(info boot2 ostree-deployments)" 2 "deployments (v2 and the v1 rollback)"
assert_eq "$(info boot2 origin-imgref)" "ostree-remote-image:berthtest:docker://$reg/ostree/os:stable" "origin after the upgrade"
assert_eq "$(info boot2 derived-layer)" yes "the derived layer after the upgrade"
assert_eq "$(info boot2 ostree-signed-commit)" "$c2" "the booted system's ostree verifies the v2 commit"
assert_contains "$(cat "$tmp/boot2/cmdline")" "panic=5" "kernel arguments kept by the upgrade"
assert_eq "$(info boot2 boots)" 2 "the boot counter survived the upgrade"
assert_eq "$(info boot2 failed-units)" none "failed units after the upgrade"

log "install, boot, signed upgrade and boot ok"
