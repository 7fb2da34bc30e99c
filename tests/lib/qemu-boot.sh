#!/bin/bash
# Shell side of the boot harness, for tests/boot/*.sh. Source after common.sh.
#
#   qemu_boot RCVAR QEMU-BOOT-ARGS...   run tests/lib/qemu-boot, RCVAR = its status (0 ok,
#                                       1 fail, 2 timeout); stopped if the test exits first
#   qemu_boot_info OUTDIR KEY           the value of the guest's BOOT-MARKER-INFO KEY=... line
#
# qemu_boot runs the harness in the background and waits for it: bash runs a trap only
# after its foreground command ends, so a test killed (SIGTERM) during a foreground boot
# would leave the harness and qemu running up to the timeout. Waiting with `wait` lets the
# trap run at once; the cleanup sends the harness SIGTERM, and it stops qemu.

QEMU_BOOT=${QEMU_BOOT:-$BERTH_TOP/tests/lib/qemu-boot}
_qemu_boot_pid=
_qemu_boot_registered=

# _qemu_boot_stop: end a harness that is still running, and wait (bounded) for it.
_qemu_boot_stop ()
{
  local pid=${_qemu_boot_pid:-} i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  # The harness stops qemu (SIGTERM, SIGKILL after 10 s). It stays a zombie (this shell is in
  # its exit trap and reaps nothing), so wait for that state rather than for the PID to go.
  for ((i = 0; i < 75; i++)); do
    [ -e "/proc/$pid" ] || return 0
    [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 0
    sleep 0.2
  done
  log "qemu-boot $pid did not stop"
}

qemu_boot ()
{
  local _var=$1 _rc=0
  shift
  if [ -z "$_qemu_boot_registered" ]; then
    on_exit _qemu_boot_stop
    _qemu_boot_registered=1
  fi
  "$QEMU_BOOT" "$@" &
  _qemu_boot_pid=$!
  wait "$_qemu_boot_pid" || _rc=$?
  _qemu_boot_pid=
  printf -v "$_var" '%s' "$_rc"
}

qemu_boot_info ()
{
  sed -n "s/^$2=//p" "$1/info" | tail -n 1
}
