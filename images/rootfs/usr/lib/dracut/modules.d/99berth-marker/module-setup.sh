#!/bin/bash
# berth test image: report initramfs failures on the console as
# BOOT-MARKER-FAIL before dracut's emergency action (rd.emergency=poweroff).
# shellcheck disable=SC2154  # moddir is set by dracut

# only when asked for: dracut --add berth-marker
check ()
{
  return 255
}

depends ()
{
  return 0
}

install ()
{
  inst_hook emergency 00 "$moddir/berth-marker-fail.sh"
  inst_hook shutdown-emergency 00 "$moddir/berth-marker-fail.sh"
}
