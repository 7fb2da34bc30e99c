#!/bin/bash
# Following a running `berth install --progress-fd` from a test, and pausing its tools.
# Source after common.sh.
#
#   event_wait FD NAME WANT N [MATCH]   read progress lines from FD until the N-th event of
#                                       step WANT (whose message starts with MATCH, when
#                                       given); sets $event_line to it. Returns 1 (with a
#                                       message) when berth ends or stalls first.
#   event_hooks DIR FIFO GO TOOL...     wrappers DIR/hook-TOOL/TOOL that, when their arguments
#                                       include $BERTH_HOOK_ARG, report
#                                       {"step":"hook","message":"TOOL ARG"} on FIFO and wait
#                                       for the file GO before running the real TOOL (its
#                                       status and stderr go to DIR/hook-TOOL.{status,err})

# shellcheck disable=SC2034  # read by the tests that source this file
event_line=
_event_re_step='"step":"([^"]*)"'
_event_re_message='"message":"(([^"\\]|\\.)*)"'

event_wait ()
{
  local fd=$1 name=$2 want=$3 n=$4 match=${5:-} seen=0 line
  # No jq and no forks in this loop: berth does not wait for the reader, so every millisecond
  # here lets it run on past the event. No IFS= before read either: a signal during the read
  # would run the exit trap, and so every cleanup, with IFS empty.
  while :; do
    if ! read -r -t 120 line <&"$fd"; then
      printf 'FAIL: %s\n' "$name: no '$want' event number $n (berth ended or stalled)" >&2
      return 1
    fi
    # every event has "step"; byte updates of the pull have no "message"
    [[ $line =~ $_event_re_step ]] || fail "$name: no step in progress line: $line"
    [ "${BASH_REMATCH[1]}" = "$want" ] || continue
    if [ -n "$match" ]; then
      [[ $line =~ $_event_re_message ]] || continue
      case "${BASH_REMATCH[1]}" in "$match"*) ;; *) continue ;; esac
    fi
    seen=$((seen + 1))
    if [ "$seen" = "$n" ]; then
      # shellcheck disable=SC2034
      event_line=$line
      return 0
    fi
  done
}

event_hooks ()
{
  local dir=$1 fifo=$2 go=$3 tool real
  shift 3
  for tool in "$@"; do
    mkdir -p "$dir/hook-$tool"
    real=$(command -v "$tool")
    cat >"$dir/hook-$tool/$tool" <<EOF2
#!/bin/bash
case " \$* " in
  *" \$BERTH_HOOK_ARG "*)
    timeout 10 bash -c 'printf "%s\n" "\$1" >"\$2"' _ \
      '{"step":"hook","message":"$tool '"\$BERTH_HOOK_ARG"'"}' '$fifo' || exit 99
    for ((i = 0; i < 600; i++)); do [ -e '$go' ] && break; sleep 0.05; done ;;
esac
st=0
'$real' "\$@" 2>>'$dir/hook-$tool.err' || st=\$?
echo "\$st \$*" >>'$dir/hook-$tool.status'
exit "\$st"
EOF2
    chmod +x "$dir/hook-$tool/$tool"
  done
}
