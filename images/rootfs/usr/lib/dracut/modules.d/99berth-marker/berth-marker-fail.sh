#!/bin/sh
# berth test image: sourced by dracut's emergency handler in the initramfs.
if [ -z "${_berth_marker_failed:-}" ]; then
  _berth_marker_failed=1
  read -r _berth_cmdline </proc/cmdline
  {
    printf '\nBOOT-MARKER-FAIL mode=initramfs cmdline=%s\n' "$_berth_cmdline"
    if command -v systemctl >/dev/null 2>&1; then
      systemctl --failed --plain --no-legend --no-pager 2>&1 |
        sed 's/^/BOOT-MARKER-FAIL-UNIT /'
    fi
    if command -v journalctl >/dev/null 2>&1; then
      journalctl -b --no-pager -p warning -n 30 -o short-monotonic 2>&1 |
        sed 's/^/BOOT-MARKER-FAIL-LOG /'
      journalctl -b --no-pager -n 20 -o short-monotonic 2>&1 |
        sed 's/^/BOOT-MARKER-FAIL-LOG /'
    fi
  } >/dev/console 2>&1
fi
