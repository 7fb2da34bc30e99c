#!/bin/bash
# The real-world fixtures are in the repository (tests/fixtures/), each file with its source
# and licence in tests/fixtures/SOURCES.md, and a missing fixture fails loudly: the runner
# refuses to start, a unit test aborts rather than passing over an empty directory.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

fx=$BERTH_TOP/tests/fixtures
[ -f "$fx/SOURCES.md" ] || fail "no $fx/SOURCES.md"
tmp=
mktemp_dir tmp

# Every file has its row in SOURCES.md (first column: the path), and every row its file.
sed -n 's/^| \([^ |][^|]*[^ |]\) | .*/\1/p' "$fx/SOURCES.md" | grep -v '^file$' | sort -u >"$tmp/listed"
(cd "$fx" && find . -type f ! -name SOURCES.md | sed 's|^\./||' | sort) >"$tmp/present"
missing=$(comm -23 "$tmp/listed" "$tmp/present")
[ -z "$missing" ] || fail "listed in SOURCES.md but missing from tests/fixtures: $missing"
unlisted=$(comm -13 "$tmp/listed" "$tmp/present")
[ -z "$unlisted" ] || fail "in tests/fixtures without a source in SOURCES.md: $unlisted"
log "$(wc -l <"$tmp/present") fixture files, each with its source"
[ "$(wc -l <"$tmp/present")" -gt 400 ] || fail "too few fixture files: $(wc -l <"$tmp/present")"

# Nothing in the repository reaches outside it for fixtures any more.
refs=$(cd "$BERTH_TOP" || exit 1
  grep -rln -e '\.\./shared' -- Makefile tests tools installer kargs images 2>/dev/null \
    | grep -v -e '^tests/fixtures/' -e '^tests/unit/fixtures.sh$' || true)
[ -z "$refs" ] || fail "these files still refer to the shared directory beside the repository: $refs"

# A unit test with a fixture missing fails; it does not skip or pass.
cp -a "$fx" "$tmp/fx"
rm "$tmp/fx/kargs/install-config/bootc-baseimage-prepare-root.conf"
rc=0
BERTH_FIXTURES=$tmp/fx "$BERTH_BUILD/tests/unit/test-kargs" >"$tmp/out" 2>&1 || rc=$?
case $rc in 0 | 77) fail "test-kargs passed (status $rc) with a fixture missing" ;; esac
# with the whole folder gone, the helper aborts with a message that says where it looked
rc=0
BERTH_FIXTURES=$tmp/none "$BERTH_BUILD/tests/unit/test-kargs" >"$tmp/out" 2>&1 || rc=$?
case $rc in 0 | 77) fail "test-kargs passed (status $rc) without fixtures" ;; esac
assert_contains "$(cat "$tmp/out")" "the test fixtures are missing: no $tmp/none/SOURCES.md"
# and the runner refuses to start
rc=0
BERTH_FIXTURES=$tmp/none "$BERTH_TOP/tests/run" --tier unit --filter '^$' >"$tmp/out" 2>&1 || rc=$?
assert_eq "$rc" 1 "tests/run without fixtures"
assert_contains "$(cat "$tmp/out")" "the test fixtures are missing"
log passed
