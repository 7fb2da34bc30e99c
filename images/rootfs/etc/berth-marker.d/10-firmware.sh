#!/bin/sh
# firmware=uefi|bios: how the system was started; secure-boot=enabled|disabled (UEFI's
# SecureBoot variable: 4 bytes of attributes, then the value) or none (BIOS, or no variable).
if [ -d /sys/firmware/efi ]; then
  echo firmware=uefi
else
  echo firmware=bios
fi
var=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
if [ -r "$var" ]; then
  case $(od -An -t u1 -j 4 -N 1 "$var" | tr -d ' ') in
    1) echo secure-boot=enabled ;;
    *) echo secure-boot=disabled ;;
  esac
else
  echo secure-boot=none
fi
