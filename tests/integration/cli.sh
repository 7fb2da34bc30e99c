#!/bin/bash
# The berth program's surface: help, version, and clear usage errors with exit status 2.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

[ -x "$BERTH" ] || fail "$BERTH not built (run make)"

tmp=
mktemp_dir tmp

# expect STATUS CMD...: runs CMD, checks its exit status, leaves stdout/stderr in $tmp/out|err
expect ()
{
  local want=$1 rc=0
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $(cat "$tmp/err")"
}

expect 0 "$BERTH" --help
assert_contains "$(cat "$tmp/out")" "Usage: berth"
assert_contains "$(cat "$tmp/out")" "version"
[ -s "$tmp/err" ] && fail "--help wrote to stderr"

expect 0 "$BERTH" --version
version=$(cat "$tmp/out")
[[ "$version" =~ ^berth\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "odd --version output: $version"

expect 0 "$BERTH" help
assert_contains "$(cat "$tmp/out")" "Commands:"

expect 0 "$BERTH" help version
assert_contains "$(cat "$tmp/out")" "berth version"

expect 0 "$BERTH" version --help
assert_contains "$(cat "$tmp/out")" "Usage:"

expect 0 "$BERTH" version
assert_contains "$(cat "$tmp/out")" "$version"

# No command: usage on stderr, exit 2.
expect 2 "$BERTH"
assert_contains "$(cat "$tmp/err")" "Usage: berth"

# Unknown command, unknown options, unknown help topic: say what was wrong and what to run.
expect 2 "$BERTH" frobnicate
assert_contains "$(cat "$tmp/err")" "unknown command 'frobnicate'"
assert_contains "$(cat "$tmp/err")" "berth --help"

expect 2 "$BERTH" --frobnicate
assert_contains "$(cat "$tmp/err")" "unknown option '--frobnicate'"

expect 2 "$BERTH" version --frobnicate
assert_contains "$(cat "$tmp/err")" "--frobnicate"
assert_contains "$(cat "$tmp/err")" "berth help version"

expect 2 "$BERTH" help frobnicate
assert_contains "$(cat "$tmp/err")" "unknown command 'frobnicate'"

expect 2 "$BERTH" version extra
assert_contains "$(cat "$tmp/err")" "takes no arguments"

log "cli surface ok"
