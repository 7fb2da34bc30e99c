#!/bin/bash
# Shared by the benchmarks: timing with /usr/bin/time -v, and a results table.
# shellcheck disable=SC2034

# timed NAME CMD...: runs CMD, records wall seconds and peak RSS (KiB) in BENCH_WALL[NAME] and
# BENCH_RSS[NAME]. CMD's stdout goes to $BENCH_OUT/NAME.out.
declare -A BENCH_WALL BENCH_RSS
timed ()
{
  local name=$1 t
  shift
  t=$BENCH_OUT/$name.time
  /usr/bin/time -v -o "$t" "$@" >"$BENCH_OUT/$name.out" 2>"$BENCH_OUT/$name.err" \
    || { cat "$BENCH_OUT/$name.err" >&2; fail "$name failed"; }
  BENCH_WALL[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$t")
  BENCH_RSS[$name]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")
}

# mib KIB: KiB as MiB with one decimal
mib () { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
