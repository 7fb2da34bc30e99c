#!/bin/bash
# berth install on loop disks: refuses a disk with a filesystem unless --wipe, refuses a
# mounted one, and a failure mid-install (a corrupted blob) leaves no bootable state: the
# partition table berth wrote is wiped, the error names the step.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
need_root
need_cmd skopeo sfdisk wipefs mkfs.ext4 jq
[ -x "$BERTH" ] || fail "$BERTH not built"
services_up
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")}
export BERTH_RETRY_BASE_MS=50
tmp=
mktemp_dir tmp

dev=
disk_new dev "$tmp/disk.img" 4G
mkfs.ext4 -q -F -L olddata "$dev"

log "a disk with a filesystem is refused without --wipe, and nothing is written"
before=$(wipefs -n "$dev")
rc=0
"$BERTH" install "oci:$layout:tiny" "$dev" --bootloader none 2>"$tmp/err" || rc=$?
[ "$rc" != 0 ] || fail "installed over a filesystem without --wipe"
assert_contains "$(cat "$tmp/err")" "ext4"
assert_contains "$(cat "$tmp/err")" "--wipe"
assert_eq "$(wipefs -n "$dev")" "$before" "signatures after a refusal"

log "a mounted disk is refused even with --wipe"
mkdir -p "$tmp/m"
disk_mount "$dev" "$tmp/m"
rc=0
"$BERTH" install "oci:$layout:tiny" "$dev" --wipe 2>"$tmp/err" || rc=$?
[ "$rc" != 0 ] || fail "installed onto a mounted disk"
assert_contains "$(cat "$tmp/err")" "mounted"
disk_umount "$tmp/m"

log "a corrupted blob mid-install: the table berth wrote is wiped, the step is named"
push_image "oci:$layout:v1" failures/os:v1 B
big=$(skopeo inspect --tls-verify=false "docker://$BERTH_REG_HTTP/failures/os:v1" | jq -r '.Layers[0]')
proxy_clear
proxy_fault "{\"kind\":\"corrupt\",\"path\":\"$big\$\",\"offset\":5000000,\"times\":-1}" >/dev/null
rc=0
"$BERTH" install "docker://$BERTH_REG_PROXY/failures/os:v1" "$dev" --wipe --tls-verify=false \
  2>"$tmp/err" || rc=$?
proxy_clear
assert_eq "$rc" 1 "exit status of a failed install"
assert_contains "$(cat "$tmp/err")" "Install step 'pull' failed"
assert_contains "$(cat "$tmp/err")" "$big"
if sfdisk -d "$dev" >/dev/null 2>&1; then
  fail "a partition table remains after the failed install: $(sfdisk -d "$dev")"
fi
assert_eq "$(wipefs -n "$dev")" "" "signatures after a failed install"
for node in /sys/class/block/"${dev#/dev/}"/"${dev#/dev/}"p*; do
  [ ! -e "$node" ] || fail "partition node $node remains"
done

log "--preserve-on-error keeps the table for inspection"
proxy_fault "{\"kind\":\"corrupt\",\"path\":\"$big\$\",\"offset\":5000000,\"times\":-1}" >/dev/null
rc=0
"$BERTH" install "docker://$BERTH_REG_PROXY/failures/os:v1" "$dev" --wipe --tls-verify=false \
  --preserve-on-error --uuid-seed kept 2>"$tmp/err" || rc=$?
proxy_clear
assert_eq "$rc" 1 "exit status of a failed install"
sfdisk -d "$dev" | grep -q 'name="root"' || fail "--preserve-on-error lost the table"

log "then a good install over it with --wipe, golden layout with a fixed seed"
"$BERTH" install "oci:$layout:v1" "$dev" --wipe --uuid-seed berth-test --bootloader none \
  --progress-fd 3 3>"$tmp/progress.jsonl" 2>"$tmp/install.log" \
  || { cat "$tmp/install.log" >&2; fail "install failed"; }
# --progress-fd: one JSON object per line, the steps in order, ending with "done"
assert_eq "$(jq -r .step "$tmp/progress.jsonl" | uniq | tr '\n' ' ')" \
  "target partition mkfs sysroot pull kargs deploy bootloader finish done " "progress steps"
assert_contains "$(jq -r 'select(.step == "done") | .message' "$tmp/progress.jsonl")" "root=UUID="
# the pull's byte counts: rising, ending at the total, which is the layers' size in the manifest
jq -e -s '[.[] | select(.step == "pull" and .bytesTotal != null)] | length > 2' \
  "$tmp/progress.jsonl" >/dev/null || fail "no byte counts in the pull's progress events"
jq -e -s '[.[] | select(.bytesDone != null) | .bytesDone] | . == sort' "$tmp/progress.jsonl" \
  >/dev/null || fail "byte counts went backwards"
layers_size=$(skopeo inspect --raw "oci:$layout:v1" | jq '[.layers[].size] | add')
assert_eq "$(jq -s -r '[.[] | select(.bytesDone != null)] | last | "\(.bytesDone) \(.bytesTotal)"' \
  "$tmp/progress.jsonl")" "$layers_size $layers_size" "the pull's last byte count"
assert_eq "$(jq -r 'select(.layer != null) | .layer' "$tmp/progress.jsonl" | sort -n | paste -sd ' ' -)" \
  "1 2 3 4 5 6" "one event per layer, numbered from 1"
sfdisk -d "$dev" | sed "s|$dev|DEV|g" | grep -v '^first-lba\|^last-lba\|^sector-size' >"$tmp/table"
assert_eq "$(grep -c '^DEVp' "$tmp/table")" 4 "partitions"
assert_eq "$(awk '/^DEVp4/' "$tmp/table" | grep -o 'type=[^,]*')" \
  "type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709" "root type"
# the same seed gives the same table as the plan says
"$BERTH" install --dry-run --json --wipe --uuid-seed berth-test "oci:$layout:v1" "$dev" >"$tmp/plan.json"
assert_eq "$(sfdisk -d "$dev" | sed -n 's/^label-id: //p' | tr '[:upper:]' '[:lower:]')" \
  "$(jq -r .diskGuid "$tmp/plan.json")" "disk GUID as planned"
assert_eq "$(blkid -s UUID -o value "$(disk_part "$dev" 4)")" \
  "$(jq -r '.partitions[3].filesystemUuid' "$tmp/plan.json")" "root filesystem UUID as planned"
log "berth kargs --disk on the installed device: print, edit, read back"
before=$("$BERTH" kargs --disk "$dev")
assert_contains "$before" "root=UUID=$(jq -r '.partitions[3].filesystemUuid' "$tmp/plan.json")"
case "$before" in *ostree=*) fail "berth kargs printed ostree=, which ostree owns: $before" ;; esac
"$BERTH" kargs --disk "$dev" --append quiet --append-if-missing rw >/dev/null
assert_eq "$("$BERTH" kargs --disk "$dev")" "$before quiet" "after --append quiet (rw already there)"
"$BERTH" kargs --disk "$dev" --delete quiet >/dev/null
assert_eq "$("$BERTH" kargs --disk "$dev")" "$before" "after --delete quiet"
rc=0
"$BERTH" kargs --disk "$dev" --delete not-there 2>"$tmp/err" >/dev/null || rc=$?
[ "$rc" != 0 ] || fail "deleting a missing argument succeeded"
assert_contains "$(cat "$tmp/err")" "not-there"
grep -q "berth-disk-" /proc/mounts && fail "berth kargs left a mount behind"
log "failures ok"
