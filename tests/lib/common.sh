#!/bin/bash
# Shared shell helpers for berth's tests. Source this first.
# shellcheck disable=SC2034  # variables here are used by the tests that source this file
set -euo pipefail

BERTH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH_BUILD=${BERTH_BUILD:-$BERTH_TOP/build}
BERTH=${BERTH:-$BERTH_BUILD/berth}
# Real-world fixtures, in the repository (their sources in tests/fixtures/SOURCES.md).
BERTH_FIXTURES=${BERTH_FIXTURES:-$BERTH_TOP/tests/fixtures}
# Debian's python3, never a user's pyenv shim: the test services use only its stdlib.
PYTHON3=/usr/bin/python3

_berth_cleanups=()

# on_exit CMD...: run CMD (as one eval'd string) when the test exits, last registered first.
on_exit ()
{
  _berth_cleanups+=("$*")
}

_berth_run_cleanups ()
{
  local rc=$? i
  set +e
  # Each cleanup runs in a subshell, so one that fails or calls exit cannot skip the rest.
  for ((i = ${#_berth_cleanups[@]} - 1; i >= 0; i--)); do
    (eval "${_berth_cleanups[i]}") || printf '# cleanup failed: %s\n' "${_berth_cleanups[i]}" >&2
  done
  _berth_cleanups=()
  exit "$rc"
}
trap _berth_run_cleanups EXIT
trap 'exit 130' INT TERM HUP

log () { printf '# %s\n' "$*" >&2; }
fail () { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
skip () { printf 'SKIP: %s\n' "$*" >&2; exit 77; }

need_root () { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd ()
{
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "needs $c (run: make deps)"
  done
}

# mktemp_dir VAR: sets VAR to a fresh directory that is removed when the test exits.
# (Not $(mktemp_dir): a command substitution is a subshell and would lose the cleanup.)
mktemp_dir ()
{
  local _d
  _d=$(mktemp -d "${TMPDIR:-/tmp}/berth-test.XXXXXX")
  # --one-file-system: should a cleanup have failed to unmount something below, its contents
  # (a loop disk's filesystem, never the host's) are not deleted through the mount
  on_exit "rm -rf --one-file-system '$_d'"
  printf -v "$1" '%s' "$_d"
}

assert_eq ()
{
  [ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"
}

assert_contains ()
{
  case "$1" in
    *"$2"*) ;;
    *) fail "${3:-missing text}: '$2' not in: $1" ;;
  esac
}
