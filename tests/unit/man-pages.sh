#!/bin/bash
# The man pages match the program: every option of `berth COMMAND --help` is in
# berth-COMMAND(8) and every option there is in --help; berth(8) names every command and each
# has its page; groff renders every page without a warning.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd groff
[ -x "$BERTH" ] || fail "$BERTH not built"
man=$BERTH_BUILD/man
[ -f "$man/berth.8" ] || fail "no $man/berth.8 (make man)"
tmp=
mktemp_dir tmp

# help_options CMD [SUBCOMMAND]: the long options of its --help, one a line, without --help
help_options ()
{
  "$BERTH" "$@" --help | sed -n 's/^ *\(-[A-Za-z], \)\{0,1\}--\([A-Za-z0-9-]*\).*/--\2/p' \
    | grep -vx -- --help | sort -u
}
# man_options PAGE: the long options the page documents (.TP items of its OPTIONS section)
man_options ()
{
  awk '/^\.SH OPTIONS/ { in_opts = 1; next } /^\.SH / { in_opts = 0 }
       in_opts && prev == ".TP" { print } { prev = $0 }' "$1" \
    | grep -o '\\-\\-[A-Za-z0-9\\-]*' | sed 's/\\//g' | sort -u
}

commands=$("$BERTH" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' | grep -vx -e help -e version)
[ -n "$commands" ] || fail "no commands in berth --help"
# a command group (berth image) has a page per subcommand: berth-image-encapsulate(8)
subcommands=
for group in $commands; do
  "$BERTH" "$group" --help | grep -q '^Subcommands:' || continue
  for sub in $("$BERTH" "$group" --help | sed -n '/^Subcommands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
    subcommands+=" $group-$sub"
  done
  commands=$(grep -vx "$group" <<<"$commands")
done
[ -n "$subcommands" ] || fail "no command group found (berth image)"
for cmd in $commands $subcommands; do
  page=$man/berth-$cmd.8
  [ -f "$page" ] || fail "berth ${cmd/-/ } has no man page ($page)"
  # shellcheck disable=SC2086  # "image-encapsulate" is two words: berth image encapsulate
  help_options ${cmd/-/ } >"$tmp/help"
  man_options "$page" >"$tmp/man"
  [ -s "$tmp/help" ] || fail "no options parsed from berth $cmd --help"
  missing=$(comm -23 "$tmp/help" "$tmp/man" | tr '\n' ' ')
  extra=$(comm -13 "$tmp/help" "$tmp/man" | tr '\n' ' ')
  [ -z "$missing" ] || fail "berth-$cmd.8 does not document: $missing"
  [ -z "$extra" ] || fail "berth-$cmd.8 documents options berth $cmd does not have: $extra"
  grep -qF ".BR berth\\-${cmd//-/\\-} (8)" "$man/berth.8" || fail "berth.8 does not refer to berth-$cmd(8)"
  log "berth $cmd: $(wc -l <"$tmp/help") options, all documented"
done
for page in "$man"/*.8; do
  warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
  [ -z "$warnings" ] || fail "$page: groff warns: $warnings"
  grep -q '@[A-Z_]*@' "$page" && fail "$page: an unfilled @PLACEHOLDER@"
done
# a changed option table shows: drop one option from a page and the check sees it
grep -v -- 'via\\-loopback' "$man/berth-install.8" >"$tmp/cut.8"
man_options "$tmp/cut.8" >"$tmp/man"
help_options install >"$tmp/help"
[ -n "$(comm -23 "$tmp/help" "$tmp/man")" ] || fail "the check missed a removed option"
log passed
