#!/bin/bash
# tests/lib/qemu-boot itself, without an OS: OVMF's UEFI shell runs a startup.nsh from a FAT
# disk image that prints marker lines and powers off (or not). Checks each way a boot ends
# (OK, FAIL, qemu exiting without a marker, timeout with its one retry, the harness being
# interrupted), the result files, that markers count only at the start of a line, and the
# choice of accelerator (the KVM canary, its cache, the TCG fallback).
# Needs no root: the FAT image is a plain file written with mtools.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

need_cmd qemu-system-x86_64 mkfs.vfat mcopy
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || skip "needs OVMF (apt-get install ovmf)"
QEMU_BOOT=$BERTH_TOP/tests/lib/qemu-boot
mktemp_dir T

# esp NAME LINES...: a FAT image whose startup.nsh runs LINES (no script when no lines).
esp ()
{
  local img=$T/$1.img
  shift
  truncate -s 40M "$img"
  mkfs.vfat -F 32 "$img" >/dev/null
  if [ $# -gt 0 ]; then
    printf '%s\r\n' '@echo -off' "$@" >"$T/startup.nsh" # no echo of the commands
    mcopy -i "$img" "$T/startup.nsh" ::/startup.nsh
  fi
}

# boot NAME [ARGS...]: run the harness on NAME's image, sets RC; results in $T/NAME.out.
boot ()
{
  local name=$1
  shift
  RC=0
  "$QEMU_BOOT" --disk "$T/$name.img" --out "$T/$name.out" "$@" 2>"$T/$name.stderr" || RC=$?
  log "$name: status $RC, $(cat "$T/$name.out/result" 2>/dev/null) ($(cat "$T/$name.out/reason" 2>/dev/null))" \
    "in $(cat "$T/$name.out/elapsed" 2>/dev/null) s"
}

# OK, with INFO lines (behind a journal-style prefix, behind a getty prompt) and lines that
# must not count: the kernel's echo of its command line and a BOOT-MARKER-FAIL-x word.
esp ok \
  'echo "Kernel command line: x BOOT-MARKER-FAIL y BOOT-MARKER-OK z"' \
  'echo "BOOT-MARKER-INFO os-version=1 (test)"' \
  'echo "[   12.5] berth-marker[321]: BOOT-MARKER-INFO prefixed=yes"' \
  'echo "berth-test login: BOOT-MARKER-INFO after-getty=yes"' \
  'echo "BOOT-MARKER-FAIL-UNIT not-a-failure"' \
  'echo "BOOT-MARKER-OK cmdline=root=UUID=1234 rw ostree=/ostree/boot.1/x/y/0"' \
  'reset -s'
boot ok --timeout 120
assert_eq "$RC" 0 "ok: status"
assert_eq "$(cat "$T/ok.out/result")" ok
assert_eq "$(cat "$T/ok.out/reason")" marker-ok
assert_eq "$(cat "$T/ok.out/cmdline")" "root=UUID=1234 rw ostree=/ostree/boot.1/x/y/0" "ok: cmdline"
assert_eq "$(cat "$T/ok.out/info")" "os-version=1 (test)
prefixed=yes
after-getty=yes" "ok: info"
grep -q '^Reset with' "$T/ok.out/serial.log" || fail "ok: the console after the marker is missing"
! grep -q $'[\r\x1b]' "$T/ok.out/serial.log" || fail "ok: CR or ESC left in serial.log"
grep -q $'\x1b' "$T/ok.out/serial.raw" || log "(no ANSI sequences in this console to strip)"
[ -s "$T/ok.out/serial.raw" ] || fail "ok: serial.raw missing"
grep -q -- '-nic none' "$T/ok.out/qemu.cmd" || fail "ok: a network without --net"
grep -qE '^[0-9]+\.[0-9]$' "$T/ok.out/elapsed" || fail "ok: elapsed is not seconds"
# A per-boot copy of the OVMF variables, never the system's.
grep -q "unit=1,file=$T/ok.out/OVMF_VARS.fd" "$T/ok.out/qemu.cmd" || fail "ok: OVMF_VARS copy not used"

esp fail 'echo "BOOT-MARKER-FAIL mode=emergency"' 'echo "BOOT-MARKER-FAIL-UNIT x.service"' 'reset -s'
boot fail --timeout 120
assert_eq "$RC" 1 "fail: status"
assert_eq "$(cat "$T/fail.out/result")" fail
assert_eq "$(cat "$T/fail.out/reason")" marker-fail
grep -q '^  | BOOT-MARKER-FAIL-UNIT x.service' "$T/fail.stderr" || fail "fail: console tail not on stderr"

esp panic 'echo "[    3.1] Kernel panic - not syncing: VFS: Unable to mount root fs"' 'reset -s'
boot panic --timeout 120
assert_eq "$RC" 1 "panic: status"
assert_eq "$(cat "$T/panic.out/reason")" panic

esp exit 'echo "no marker"' 'reset -s'
boot exit --timeout 120 --net user
assert_eq "$RC" 1 "exit: status"
assert_eq "$(cat "$T/exit.out/reason")" qemu-exit:0
grep -q -- '-nic user,model=virtio-net-pci' "$T/exit.out/qemu.cmd" || fail "exit: --net user not passed"

# Timeout: the shell waits at its prompt. Two attempts, then status 2.
esp hang
boot hang --timeout 12
assert_eq "$RC" 2 "hang: status"
assert_eq "$(cat "$T/hang.out/result")" timeout
[ -s "$T/hang.out/serial.attempt1.log" ] || fail "hang: first attempt's console not kept"
assert_eq "$(grep -c 'retrying once' "$T/hang.stderr")" 1 "hang: retries"

# Interrupted: qemu ends with the harness.
"$QEMU_BOOT" --disk "$T/hang.img" --out "$T/int.out" --timeout 120 2>"$T/int.stderr" &
harness=$!
# Only while it runs: after the wait below its PID may belong to someone else.
# shellcheck disable=SC2016  # expanded when the cleanup runs
on_exit 'if [ -n "${harness:-}" ]; then kill "$harness" 2>/dev/null; fi; true'
for _ in $(seq 100); do
  # the background shell may not have opened int.stderr yet
  qpid=$(sed -n 's/.*qemu pid \([0-9]*\).*/\1/p' "$T/int.stderr" 2>/dev/null || true)
  [ -n "$qpid" ] && break
  sleep 0.1
done
[ -n "$qpid" ] || fail "int: no qemu pid reported"
sleep 2
kill -TERM "$harness"
RC=0
wait "$harness" || RC=$?
harness=
assert_eq "$RC" 143 "int: status"
assert_eq "$(cat "$T/int.out/result")" interrupted
# alive PID: running, not a zombie waiting to be reaped.
alive () { [ -e "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
for _ in $(seq 50); do
  alive "$qpid" || break
  sleep 0.2
done
! alive "$qpid" || fail "int: qemu $qpid outlived the harness"

# The accelerator: KVM only once a canary proved it, decided once per run (the cache file),
# a KVM failure in a real boot retried under TCG. A fake qemu plays a host whose KVM is
# broken the way this workplace's is (/dev/kvm there, qemu aborting on an MSR), or one whose
# KVM works (it runs TCG instead, so the canary truly boots the kernel under OVMF).
cat >"$T/qemu-badkvm" <<'EOF2'
#!/bin/bash
for a in "$@"; do
  if [ "$a" = kvm ]; then
    echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
    echo "KVM internal error. Suberror: 1" >&2
    exit 134
  fi
done
exec qemu-system-x86_64 "$@"
EOF2
cat >"$T/qemu-goodkvm" <<'EOF2'
#!/bin/bash
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -accel) args+=(-accel tcg); shift 2 ;;
    -cpu) args+=(-cpu max); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
exec qemu-system-x86_64 "${args[@]}"
EOF2
chmod +x "$T/qemu-badkvm" "$T/qemu-goodkvm"
# /dev/null passes the device check (it is readable and writable), so the canary decides.
export BERTH_KVM_DEVICE=/dev/null
unset BERTH_QEMU_ACCEL_CACHE BERTH_QEMU_ACCEL

got=$(BERTH_QEMU=$T/qemu-badkvm BERTH_QEMU_ACCEL_CACHE=$T/accel1 "$QEMU_BOOT" --probe-accel)
assert_contains "$got" "tcg: KVM canary" "broken KVM: canary"
assert_contains "$got" "failed to set MSR" "broken KVM: the reason names qemu's error"
assert_eq "$(cat "$T/accel1")" "$got" "broken KVM: decision cached"
# later calls of the run read the decision instead of running the canary again
BERTH_QEMU=$T/qemu-badkvm BERTH_QEMU_ACCEL_CACHE=$T/accel1 boot ok --timeout 120
assert_eq "$RC" 0 "broken KVM: boot under TCG"
assert_contains "$(cat "$T/ok.out/accel")" "tcg: KVM canary" "broken KVM: accel file"
assert_contains "$(cat "$T/ok.out/accel")" "decided earlier in this run" "broken KVM: cached"
grep -q -- '-accel tcg' "$T/ok.out/qemu.cmd" || fail "broken KVM: not run under TCG"
grep -q 'qemu-boot: accelerator tcg (KVM canary' "$T/ok.stderr" || fail "broken KVM: accelerator not printed"

# no device at all: TCG without a canary
got=$(BERTH_KVM_DEVICE=$T/no-kvm "$QEMU_BOOT" --probe-accel)
assert_eq "$got" "tcg: no usable $T/no-kvm" "no /dev/kvm"

# a working KVM: the canary boots the test kernel (when the run has the test image) or OVMF
canary_kernel=
if [ -n "${BERTH_TEST_IMAGE:-}" ] && [ -f "$(dirname "$BERTH_TEST_IMAGE")/boot/vmlinuz" ]; then
  canary_kernel=yes
fi
got=$(BERTH_QEMU=$T/qemu-goodkvm BERTH_QEMU_CANARY_TIMEOUT=90 "$QEMU_BOOT" --probe-accel)
if [ -n "$canary_kernel" ]; then
  assert_contains "$got" "kvm: KVM canary booted the test kernel under OVMF" "working KVM"
else
  assert_contains "$got" "kvm: KVM canary booted OVMF to its UEFI shell" "working KVM"
fi

# KVM chosen, then a boot fails the way a broken KVM fails: the retry runs under TCG
echo "kvm: KVM canary booted the test kernel under OVMF in 1.0s" >"$T/accel2"
BERTH_QEMU=$T/qemu-badkvm BERTH_QEMU_ACCEL_CACHE=$T/accel2 boot ok --timeout 120
assert_eq "$RC" 0 "KVM failure: the TCG retry boots"
grep -q 'retrying under TCG' "$T/ok.stderr" || fail "KVM failure: no TCG retry"
assert_contains "$(cat "$T/ok.out/accel")" "tcg: KVM boot failed (qemu-exit:134" "KVM failure: accel file"
grep -q 'attempt 1 (kvm)' "$T/ok.stderr" || fail "KVM failure: first attempt not under KVM"

# forced: no canary, no fallback
got=$(BERTH_QEMU_ACCEL=kvm BERTH_QEMU=$T/qemu-badkvm "$QEMU_BOOT" --probe-accel)
assert_eq "$got" "kvm: forced by BERTH_QEMU_ACCEL" "forced kvm"
BERTH_QEMU_ACCEL=kvm BERTH_QEMU=$T/qemu-badkvm boot ok --timeout 60
assert_eq "$RC" 1 "forced kvm: a KVM failure is not retried under TCG"
! grep -q 'retrying under TCG' "$T/ok.stderr" || fail "forced kvm: fell back"
unset BERTH_KVM_DEVICE

# Usage errors are not boot failures.
RC=0
"$QEMU_BOOT" --disk "$T/nonexistent.img" 2>/dev/null || RC=$?
assert_eq "$RC" 64 "usage: missing disk"
RC=0
"$QEMU_BOOT" --disk "$T/ok.img" --net bridge 2>/dev/null || RC=$?
assert_eq "$RC" 64 "usage: --net other than user"
RC=0
BERTH_UBOOT_DIR=$T/no-u-boot "$QEMU_BOOT" --disk "$T/ok.img" --firmware uboot 2>"$T/uboot.err" || RC=$?
assert_eq "$RC" 64 "usage: --firmware uboot without its ROM"
assert_contains "$(cat "$T/uboot.err")" "apt-get install u-boot-qemu"

# U-Boot as the firmware: the ROM is qemu's -bios, no pflash; U-Boot's banner on the console
# (the FAT image has nothing U-Boot boots: the run ends at the timeout, one attempt)
if [ -f /usr/lib/u-boot/qemu-x86/u-boot.rom ]; then
  RC=0
  "$QEMU_BOOT" --disk "$T/ok.img" --out "$T/uboot.out" --firmware uboot --timeout 15 --no-retry \
    2>"$T/uboot.stderr" || RC=$?
  assert_eq "$RC" 2 "uboot: nothing to boot ends in the timeout"
  grep -q -- "-bios /usr/lib/u-boot/qemu-x86/u-boot.rom" "$T/uboot.out/qemu.cmd" \
    || fail "uboot: not given as -bios: $(cat "$T/uboot.out/qemu.cmd")"
  grep -q pflash "$T/uboot.out/qemu.cmd" && fail "uboot: OVMF's pflash on the command line"
  grep -q '^U-Boot 20' "$T/uboot.out/serial.log" || fail "uboot: no U-Boot banner on the console"
  log "uboot: $(grep -m1 '^U-Boot 20' "$T/uboot.out/serial.log"), then the timeout"
fi
log passed
