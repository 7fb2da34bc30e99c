#!/bin/bash
# Loop disks with guaranteed cleanup, for berth's root and boot tests. Source after common.sh.
#
#   disk_new VAR FILE SIZE        create sparse FILE (inside a test temp dir), attach it, VAR=/dev/loopN
#   disk_attach VAR FILE          attach an existing FILE that this test created (e.g. after a boot)
#   disk_partition DEV [SCRIPT]   write a GPT with sfdisk (SCRIPT, or stdin), add partition nodes
#   disk_scan DEV                 add the nodes of the partitions DEV has (after disk_attach)
#   disk_part DEV N               print the node of partition N (/dev/loopNpM)
#   disk_mount DEV_OR_PART DIR [OPTS]   mount (creating DIR), unmounted by the trap
#   disk_umount DIR               unmount now (recursively)
#   disk_release DEV              unmount everything from DEV and its partitions, drop them, detach
#   disk_layout_default           print the sfdisk script of DESIGN.md section 7
#   disk_mkfs_layout DEV [ROOTFS] partition DEV with that layout and make the filesystems
#                                 (vfat ESP, ext4 boot, ROOTFS root; ROOTFS xfs by default)
#
# The host kernel here parses no partition tables: partition nodes are added with BLKPG
# (partx), and removed the same way. Cleanup is keyed on the image file (losetup -j), so a
# loop device that is no longer ours (detached, then reused by someone else) is never touched,
# and a test killed between losetup and the registration still leaves nothing behind.
# A mount that stays busy (the test's shell cd'ed into it: cleanups run in subshells and cannot
# move it) is unmounted lazily; the loop device then detaches itself (autoclear) once the
# test's processes are gone.

DISK_TYPE_BIOS_BOOT=21686148-6449-6E6F-744E-656564454649
DISK_TYPE_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
DISK_TYPE_XBOOTLDR=BC13C2FF-59E6-4262-A352-B275FD6F7172
DISK_TYPE_ROOT_X86_64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
export DISK_TYPE_BIOS_BOOT DISK_TYPE_ESP DISK_TYPE_XBOOTLDR DISK_TYPE_ROOT_X86_64

# _disk_check_file FILE: refuse anything but a file inside a test temp dir (mktemp_dir makes
# "berth-test.XXXXXX" directories). Prints the canonical path.
_disk_check_file ()
{
  local f=$1 dir
  case "$f" in
    '' | /dev/* | *\'*) fail "disk: refusing image path '$f'" ;;
  esac
  dir=$(cd "$(dirname "$f")" 2>/dev/null && pwd -P) || fail "disk: no directory for '$f'"
  case "$dir/" in
    */berth-test.*/*) ;;
    *) fail "disk: image '$f' is not inside a test temp dir (mktemp_dir)" ;;
  esac
  printf '%s/%s\n' "$dir" "$(basename "$f")"
}

# _disk_names DEV: print DEV and its partition nodes' kernel names (loop0 loop0p1 ...).
_disk_names ()
{
  local name=${1#/dev/} p
  printf '%s\n' "$name"
  for p in /sys/class/block/"$name"/"$name"p*; do
    [ -e "$p" ] && printf '%s\n' "${p##*/}"
  done
  return 0
}

# _disk_unmount_dev DEV: unmount every mount (innermost first) whose source is DEV or one of
# its partitions, matched by device number in mountinfo.
_disk_unmount_dev ()
{
  # IFS pinned: "${keys[*]}" joins with its first character, and a cleanup may run from a
  # trap that fired while the test had IFS= set (for a read)
  local dev=$1 name keys=() mp i try IFS=$' \t\n'
  while read -r name; do
    keys+=("/dev/$name")
    [ -r "/sys/class/block/$name/dev" ] && keys+=("$(cat "/sys/class/block/$name/dev")")
  done < <(_disk_names "$dev")
  for try in 1 2 3 4 5; do
    local mps=()
    while read -r mp; do
      mps+=("$mp")
    # Match the device number (field 3) or, for btrfs and the like, the source after " - ".
    done < <(awk -v keys=" ${keys[*]} " '{
        src = ""
        for (f = 7; f < NF; f++) if ($f == "-") { src = $(f + 2); break }
        if (index(keys, " " $3 " ") || (src != "" && index(keys, " " src " "))) print $5
      }' /proc/self/mountinfo)
    [ ${#mps[@]} -gt 0 ] || return 0
    for ((i = ${#mps[@]} - 1; i >= 0; i--)); do
      # mountinfo escapes space, tab, newline and backslash as octal.
      mp=$(printf '%b' "${mps[i]}")
      if [ "$try" -lt 5 ]; then
        umount -R -- "$mp" 2>/dev/null || umount -- "$mp" 2>/dev/null || true
      else
        log "disk: $mp still busy, lazy unmount"
        umount -l -- "$mp" || true
      fi
    done
    sync
    if [ "$try" -lt 5 ]; then sleep "0.$try"; fi
  done
  return 0
}

# _disk_detach_dev DEV: unmount, drop the partitions, detach.
_disk_detach_dev ()
{
  local dev=$1 name n
  _disk_unmount_dev "$dev"
  if ls /sys/class/block/"${dev#/dev/}"/"${dev#/dev/}"p* >/dev/null 2>&1; then
    partx -d "$dev" 2>/dev/null || true
  fi
  # Nodes that mknod made (no devtmpfs/udev) outlive the partitions: remove the stale ones.
  for name in "$dev"p*; do
    [ -b "$name" ] || continue
    n=${name##*/}
    [ -e "/sys/class/block/${dev#/dev/}/$n" ] || rm -f -- "$name"
  done
  losetup -d "$dev" 2>/dev/null || { sleep 1; losetup -d "$dev" || log "disk: could not detach $dev"; }
}

# _disk_cleanup_file FILE: detach every loop device over FILE (matched by inode).
_disk_cleanup_file ()
{
  local file=$1 dev
  [ -e "$file" ] || return 0
  while read -r dev; do
    [ -n "$dev" ] && _disk_detach_dev "$dev"
  done < <(losetup -n -O NAME -j "$file" 2>/dev/null)
  return 0
}

# disk_attach VAR FILE: attach FILE (a plain 512-byte-sector loop device), cleanup on exit.
disk_attach ()
{
  local _var=$1 _file _dev
  _file=$(_disk_check_file "$2") || exit 1
  [ -f "$_file" ] || fail "disk: no image file $_file"
  [ -z "$(losetup -n -O NAME -j "$_file")" ] || fail "disk: $_file is already attached"
  # Registered first: the cleanup finds the device from the file, so no window leaks it.
  on_exit "_disk_cleanup_file '$_file'"
  _dev=$(losetup --find --show --sector-size 512 -- "$_file") || fail "disk: losetup $_file failed"
  printf -v "$_var" '%s' "$_dev"
}

# disk_new VAR FILE SIZE: create a sparse image (SIZE as truncate takes it) and attach it.
disk_new ()
{
  local _file
  [ $# -eq 3 ] || fail "usage: disk_new VAR FILE SIZE"
  _file=$(_disk_check_file "$2") || exit 1
  [ ! -e "$_file" ] || fail "disk: $_file exists already"
  truncate -s "$3" -- "$_file" || fail "disk: truncate $_file failed"
  disk_attach "$1" "$_file"
}

# disk_part DEV N: the node of partition N.
disk_part ()
{
  case "$1" in
    *[0-9]) printf '%sp%s\n' "$1" "$2" ;;
    *) printf '%s%s\n' "$1" "$2" ;;
  esac
}

# _disk_wait_nodes DEV: wait until every partition the kernel knows has its /dev node.
_disk_wait_nodes ()
{
  local dev=$1 name p node i
  # udevd running: let it create (and label) the nodes. Otherwise devtmpfs makes them, and
  # failing that mknod does.
  if [ -S /run/udev/control ] && command -v udevadm >/dev/null 2>&1; then
    udevadm settle --timeout=10 2>/dev/null || true
  fi
  name=${dev#/dev/}
  for p in /sys/class/block/"$name"/"$name"p*; do
    [ -e "$p" ] || continue
    node=/dev/${p##*/}
    for ((i = 0; i < 20; i++)); do
      [ -b "$node" ] && break
      sleep 0.1
    done
    if [ ! -b "$node" ]; then
      local mm
      mm=$(cat "$p/dev")
      mknod -m 600 "$node" b "${mm%%:*}" "${mm##*:}" || fail "disk: mknod $node failed"
    fi
  done
}

# disk_partition DEV [SCRIPT]: write a partition table with sfdisk (script from the argument, or
# stdin), then tell the kernel about the partitions (disk_scan).
disk_partition ()
{
  local dev=$1 script
  [ -b "$dev" ] || fail "disk_partition: $dev is not a block device"
  if [ $# -ge 2 ]; then script=$2; else script=$(cat); fi
  printf '%s\n' "$script" | sfdisk -q --no-reread --no-tell-kernel --wipe always "$dev" \
    || fail "disk_partition: sfdisk $dev failed"
  disk_scan "$dev"
}

# disk_scan DEV: add DEV's partitions to the kernel with BLKPG (partx), dropping the ones it
# knew before, and wait for their nodes. For a disk_attach'ed image that has a table already.
disk_scan ()
{
  local dev=$1 n want
  if ls /sys/class/block/"${dev#/dev/}"/"${dev#/dev/}"p* >/dev/null 2>&1; then
    partx -d "$dev" 2>/dev/null || fail "disk_scan: partx -d $dev failed (partition in use?)"
  fi
  want=$(partx -g -o NR "$dev" 2>/dev/null | wc -l)
  [ "$want" -gt 0 ] || return 0
  partx -a "$dev" || fail "disk_scan: partx -a $dev failed"
  _disk_wait_nodes "$dev"
  for ((n = 1; n <= want; n++)); do
    [ -b "$(disk_part "$dev" "$n")" ] || fail "disk_scan: no node for partition $n of $dev"
  done
}

# disk_mount DEV_OR_PART DIR [OPTS]: mount, and unmount when the test exits.
disk_mount ()
{
  local src=$1 dir=$2 opts=${3:-}
  case "$dir" in *\'*) fail "disk_mount: refusing mount point '$dir'" ;; esac
  mkdir -p -- "$dir"
  dir=$(cd "$dir" && pwd -P)
  on_exit "disk_umount '$dir'"
  mount ${opts:+-o "$opts"} -- "$src" "$dir" || fail "disk_mount: mount $src $dir failed"
}

# disk_umount DIR: unmount DIR and anything mounted below it (no-op when not mounted).
disk_umount ()
{
  local dir=$1 i
  mountpoint -q -- "$dir" 2>/dev/null || return 0
  for ((i = 0; i < 5; i++)); do
    umount -R -- "$dir" 2>/dev/null && return 0
    sleep 0.5
  done
  umount -R -- "$dir" || { log "disk: $dir busy, lazy unmount"; umount -l -- "$dir"; }
}

# disk_release DEV: undo everything on DEV now (the exit trap then has nothing left to do).
disk_release ()
{
  local dev=$1
  sync
  _disk_detach_dev "$dev"
}

# disk_layout_default: sfdisk script of DESIGN.md section 7 (BIOS-BOOT 1 MiB, ESP
# 512 MiB, XBOOTLDR /boot 1 GiB, x86_64 root for the rest).
disk_layout_default ()
{
  cat <<EOF
label: gpt
size=1MiB, type=$DISK_TYPE_BIOS_BOOT, name="BIOS-BOOT"
size=512MiB, type=$DISK_TYPE_ESP, name="EFI-SYSTEM"
size=1GiB, type=$DISK_TYPE_XBOOTLDR, name="boot"
type=$DISK_TYPE_ROOT_X86_64, name="root"
EOF
}

# disk_mkfs_layout DEV [ROOTFS]: partition DEV with the section 7 layout and make the
# filesystems: p2 vfat "EFI-SYSTEM", p3 ext4 "boot", p4 ROOTFS (xfs, ext4 or btrfs) "root".
disk_mkfs_layout ()
{
  local dev=$1 rootfs=${2:-xfs}
  disk_partition "$dev" "$(disk_layout_default)"
  mkfs.vfat -F 32 -n EFI-SYSTEM "$(disk_part "$dev" 2)" >/dev/null || fail "mkfs.vfat failed"
  mkfs.ext4 -q -F -L boot "$(disk_part "$dev" 3)" || fail "mkfs.ext4 failed"
  case "$rootfs" in
    xfs) mkfs.xfs -q -f -L root "$(disk_part "$dev" 4)" || fail "mkfs.xfs failed" ;;
    ext4) mkfs.ext4 -q -F -L root "$(disk_part "$dev" 4)" || fail "mkfs.ext4 failed" ;;
    btrfs) mkfs.btrfs -q -f -L root "$(disk_part "$dev" 4)" || fail "mkfs.btrfs failed" ;;
    *) fail "disk_mkfs_layout: unknown root filesystem $rootfs" ;;
  esac
}
