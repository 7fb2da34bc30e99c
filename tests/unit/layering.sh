#!/bin/bash
# The build enforces the module layering: each module is linked on its own against the closure
# of its declared dependencies (<mod>_DEPS in its fragment), so a module that uses one it does
# not declare fails `make`. Checked here by taking a dependency away from a module's
# declaration (deploy uses import and disk) and from a library declaration (oci reads
# oci-archive: sources with libarchive): the check links fail, naming the module. And
# tools/lint reads the same closures (make print-layering).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd make cc
tmp=
mktemp_dir tmp
run_make () { make -s -C "$BERTH_TOP" B="$BERTH_BUILD" LAYERING_DIR="$tmp/$1" "${@:2}"; }

log "as declared: every module links against its closure"
run_make ok layering >"$tmp/ok.log" 2>&1 || { cat "$tmp/ok.log" >&2; fail "the layering checks fail as declared"; }

log "deploy without import and disk in deploy_DEPS"
rc=0
run_make deploy "$tmp/deploy/deploy.ok" deploy_DEPS=util >"$tmp/deploy.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "deploy linked without its dependencies"
assert_contains "$(cat "$tmp/deploy.log")" "module deploy uses something outside its declared dependencies"
assert_contains "$(cat "$tmp/deploy.log")" "undefined reference to \`berth_"

log "oci without libarchive in oci_LIBS"
rc=0
# shellcheck disable=SC2016  # make variables, expanded by make
run_make oci "$tmp/oci/oci.ok" oci_LIBS='$(PKGS_CURL) $(PKGS_JSON) $(PKGS_NETTLE)' >"$tmp/oci.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "oci linked without libarchive"
assert_contains "$(cat "$tmp/oci.log")" "undefined reference to \`archive_"

log "the closures tools/lint reads"
layering=$(make -s -C "$BERTH_TOP" print-layering)
assert_contains "$layering" "deploy: disk import oci util"
assert_contains "$layering" "kargs: util"
assert_contains "$layering" "kickstart: util"
log passed
