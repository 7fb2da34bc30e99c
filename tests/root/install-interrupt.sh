#!/bin/bash
# berth install --via-loopback interrupted by SIGINT (Ctrl-C) or SIGTERM at each step
# (partition, mkfs, mid-pull, deploy, bootloader) stops that step, runs the rollback a failure
# runs, and exits 130 or 143 saying what it undid: the file is left with no partition table,
# no loop device over it, no mount, nothing of berth's still running. A second SIGINT during
# the rollback is reported and does not stop it. The bootloader case pauses mcopy on
# BOOTX64.EFI.tmp (a PATH wrapper) so the signal lands inside that step.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/lib/install-events.sh
. "$BERTH_TOP/tests/lib/install-events.sh"

need_root
need_cmd sfdisk blkid losetup mcopy setsid ps
[ -e /dev/loop-control ] || skip "no loop device support"
[ -x "$BERTH" ] || fail "$BERTH is not built (make)"
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")} || fail "images/test-image failed"
IMAGE=oci:$layout:v1
t0=$SECONDS

tmp=
mktemp_dir tmp
img=$tmp/disk.img
mkdir "$tmp/run"
fifo=$tmp/progress.fifo
go=$tmp/hook-go
event_hooks "$tmp" "$fifo" "$go" mcopy

# Whatever a broken rollback leaves is undone here, so the test's own cleanup never fails.
release_img ()
{
  local dev
  [ -e "$img" ] || return 0
  while read -r dev; do
    [ -n "$dev" ] && disk_release "$dev"
  done < <(losetup -n -O NAME -j "$img")
  rmdir "$tmp"/run/berth-install-* 2>/dev/null || true
}
on_exit release_img

berth_pid=
session_left () { ps -e -o pid=,sid=,args= | awk -v s="$1" '$2 == s'; }
stop_berth ()
{
  [ -n "$berth_pid" ] || return 0
  : >"$go"
  kill -KILL "$berth_pid" 2>/dev/null || true
}

# interrupt NAME SIGNAL STEP N [MATCH] [twice]: a fresh install into $img, sent SIGNAL (by
# its PID) at the N-th progress event of STEP; "hook:mcopy" pauses mcopy on MATCH instead.
# With "twice", a second SIGINT follows as soon as berth says it is rolling back. Then the
# checks: exit status, message, and the disk as a failed install leaves it.
interrupt ()
{
  local name=$1 sig=$2 want=$3 n=$4 match=${5:-} twice=${6:-} rd st=0 expect_step i
  local env=(TMPDIR="$tmp/run")
  expect_step=$want
  case "$want" in
    hook:*)
      env+=(PATH="$tmp/hook-${want#hook:}:$PATH" BERTH_HOOK_ARG="$match")
      want=hook expect_step=bootloader match=
      ;;
  esac
  rm -f "$img" "$fifo" "$go"
  mkfifo "$fifo"
  env "${env[@]}" setsid "$BERTH" install "$IMAGE" "$img" --via-loopback --bootloader systemd-boot --size 6G \
    --progress-fd 3 3>"$fifo" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
  berth_pid=$!
  on_exit stop_berth
  exec {rd}<"$fifo"
  if ! event_wait "$rd" "$name" "$want" "$n" "$match"; then
    cat "$tmp/$name.err" >&2
    exit 1
  fi
  kill "-$sig" "$berth_pid"
  if [ -n "$twice" ]; then
    for ((i = 0; i < 100; i++)); do
      grep -q "received: stopping the install" "$tmp/$name.err" && break
      sleep 0.02
    done
    kill -INT "$berth_pid" 2>/dev/null || log "$name: berth was done before the second signal"
  fi
  # drain the progress pipe so berth never blocks on it, then wait for its exit
  cat <&"$rd" >/dev/null &
  wait "$berth_pid" || st=$?
  exec {rd}<&-
  local sid=$berth_pid
  berth_pid=
  : >"$go"
  sed "s/^/#   $name: /" "$tmp/$name.err" | grep -A20 'received' >&2 || true

  case $sig in INT) assert_eq "$st" 130 "$name: exit status" ;; TERM) assert_eq "$st" 143 "$name: exit status" ;; esac
  local err
  err=$(cat "$tmp/$name.err")
  assert_contains "$err" "SIG$sig received: stopping the install and undoing what it wrote" "$name"
  if [ "$expect_step" = partition ]; then
    # the table write is quick: berth may be in mkfs by the time the signal lands
    [[ $err =~ "interrupted by SIG$sig during step '"(partition|mkfs)"'" ]] \
      || fail "$name: no 'interrupted during step partition or mkfs' in: $err"
  else
    assert_contains "$err" "interrupted by SIG$sig during step '$expect_step'" "$name"
  fi
  assert_contains "$err" "wiped the partition table and signatures berth wrote on $img" "$name: undone"
  assert_contains "$err" "detached /dev/loop" "$name: undone"
  [ -z "$twice" ] || assert_contains "$err" "received again: still undoing" "$name: second signal"
  # the disk as a failure leaves it
  [ -z "$(losetup -n -O NAME -j "$img")" ] || fail "$name: a loop device is still attached to $img"
  ! grep -q "$tmp/run/berth-install-" /proc/mounts || fail "$name: a mount is left: $(grep "$tmp/run" /proc/mounts)"
  [ -z "$(ls -A "$tmp/run")" ] || fail "$name: berth's mount point is left: $(ls "$tmp/run")"
  if sfdisk -d "$img" >/dev/null 2>&1; then fail "$name: $img still has a partition table"; fi
  [ -z "$(blkid -p -o value -s PTTYPE "$img" 2>/dev/null)" ] || fail "$name: a partition table signature on $img"
  # every child berth started is gone (each ran in a process group of its own, in its session)
  for ((i = 0; i < 50; i++)); do
    [ -z "$(session_left "$sid")" ] && break
    sleep 0.1
  done
  [ -z "$(session_left "$sid")" ] || fail "$name: berth's children outlived it: $(session_left "$sid")"
  log "$name: interrupted at $event_line, rolled back ($((SECONDS - t0)) s)"
}

log "partition"
interrupt partition-int INT partition 1
interrupt partition-term TERM partition 1
log "mkfs (the root's xfs, the longest)"
interrupt mkfs-int INT mkfs 1 xfs
interrupt mkfs-term TERM mkfs 1 xfs
log "mid-pull (after the first byte counts)"
interrupt pull-int INT pull 3
interrupt pull-term TERM pull 3
log "deploy, once with a second Ctrl-C during the rollback"
interrupt deploy-int INT deploy 1 "" twice
interrupt deploy-term TERM deploy 1
log "bootloader (mcopy of BOOTX64.EFI.tmp paused)"
interrupt bootloader-int INT hook:mcopy 1 ::/EFI/BOOT/BOOTX64.EFI.tmp
interrupt bootloader-term TERM hook:mcopy 1 ::/EFI/BOOT/BOOTX64.EFI.tmp

log "berth pull interrupted: exit 130, no ref written"
ostree init --repo="$tmp/repo" --mode=bare
"$BERTH" pull "$IMAGE" --repo "$tmp/repo" >"$tmp/pull.out" 2>"$tmp/pull.err" </dev/null &
pull_pid=$!
for ((i = 0; i < 100; i++)); do
  grep -q "fetched" "$tmp/pull.err" && break
  sleep 0.05
done
kill -INT "$pull_pid"
st=0
wait "$pull_pid" || st=$?
assert_eq "$st" 130 "pull: exit status"
assert_contains "$(cat "$tmp/pull.err")" "interrupted by SIGINT; the repository keeps only what was complete"
assert_eq "$(ostree refs --repo="$tmp/repo" | wc -l)" 0 "pull: refs after the interrupt"

log "after all that, an install into the same file works"
rm -f "$img"
TMPDIR="$tmp/run" "$BERTH" install "$IMAGE" "$img" --via-loopback --bootloader systemd-boot --size 6G >"$tmp/last.out" 2>&1 </dev/null \
  || { cat "$tmp/last.out" >&2; fail "the install after the interrupts failed"; }
log "passed in $((SECONDS - t0)) s"
