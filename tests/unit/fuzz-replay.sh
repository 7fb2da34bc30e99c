#!/bin/bash
# Replays every fuzz target's corpus (tests/fuzz/corpus/NAME/) through the target built with
# the normal compiler: a crash found once stays fixed. Run by the unit tier.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
n=0
for bin in "$BERTH_BUILD"/tests/fuzz/fuzz-*; do
  [ -x "$bin" ] || continue
  name=${bin##*/fuzz-}
  corpus=$BERTH_TOP/tests/fuzz/corpus/$name
  [ -d "$corpus" ] || fail "fuzz target $name has no corpus in tests/fuzz/corpus/$name"
  log "replaying $name"
  "$bin" "$corpus"
  n=$((n + 1))
done
log "$n fuzz targets replayed"
