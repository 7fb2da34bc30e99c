#!/bin/bash
# tests/lib/disk.sh: the section 7 layout on a loop disk (GPT types and sizes, partition nodes
# through BLKPG, vfat through mtools, ext4 and xfs mounted and writable), and cleanup that
# leaves no loop device and no mount behind when the test passes, fails midway or is killed.
#
# The disk work runs in a nested bash (this file with --inner MODE DIR) so that its exit trap
# has run when the outer part checks the system.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"

MiB=2048 # sectors

# inner_setup DIR: disk with the layout and filesystems, ext4 and xfs mounted. Sets DEV, MNT.
inner_setup ()
{
  local dir=$1
  disk_new DEV "$dir/disk.img" 3G
  printf 'dev=%s\n' "$DEV" >"$dir/state"
  disk_partition "$DEV" "$(disk_layout_default)"
  mkfs.vfat -F 32 -n EFI-SYSTEM "$(disk_part "$DEV" 2)" >/dev/null
  mkfs.ext4 -q -F -L boot "$(disk_part "$DEV" 3)"
  mkfs.xfs -q -f -L root "$(disk_part "$DEV" 4)"
  MNT=$dir/mnt
  disk_mount "$(disk_part "$DEV" 4)" "$MNT/root"
  disk_mount "$(disk_part "$DEV" 3)" "$MNT/boot"
}

inner_ok ()
{
  local dir=$1 dump line n start size rest total t
  inner_setup "$dir"

  # Partition table: types, names, sizes, 1 MiB alignment.
  dump=$(sfdisk -d "$DEV")
  log "sfdisk -d: $dump"
  assert_contains "$dump" "label: gpt"
  n=0
  local types=("$DISK_TYPE_BIOS_BOOT" "$DISK_TYPE_ESP" "$DISK_TYPE_XBOOTLDR" "$DISK_TYPE_ROOT_X86_64")
  local names=(BIOS-BOOT EFI-SYSTEM boot root)
  local sizes=($((1 * MiB)) $((512 * MiB)) $((1024 * MiB)) 0)
  while read -r line; do
    n=$((n + 1))
    [[ $line =~ start=\ *([0-9]+),\ size=\ *([0-9]+),\ type=([0-9A-F-]+), ]] || fail "bad line: $line"
    start=${BASH_REMATCH[1]} size=${BASH_REMATCH[2]} t=${BASH_REMATCH[3]}
    assert_eq "$t" "${types[n - 1]}" "type of partition $n"
    assert_contains "$line" "name=\"${names[n - 1]}\"" "name of partition $n"
    [ $((start % MiB)) -eq 0 ] || fail "partition $n not 1 MiB aligned: $start"
    if [ "${sizes[n - 1]}" -gt 0 ]; then
      assert_eq "$size" "${sizes[n - 1]}" "size of partition $n"
    else
      rest=$size
      total=$(($(blockdev --getsize64 "$DEV") / 512))
      # "the rest": from the end of partition 3 to the backup GPT (33 sectors), aligned down.
      [ "$start" -eq $(((1 + 1 + 512 + 1024) * MiB)) ] || fail "root starts at $start"
      [ $((total - 33 - start - rest)) -lt "$MiB" ] || fail "root is not the rest: $rest of $total"
    fi
    # The partition node exists, with the kernel's idea of its size (BLKPG from partx).
    [ -b "$(disk_part "$DEV" "$n")" ] || fail "no node for partition $n"
    assert_eq "$(($(blockdev --getsize64 "$(disk_part "$DEV" "$n")") / 512))" "$size" "kernel size of partition $n"
  done < <(grep '^/dev/' <<<"$dump")
  assert_eq "$n" 4 "partition count"

  # ESP: vfat through mtools, never mounted.
  local esp
  esp=$(disk_part "$DEV" 2)
  mdir -i "$esp" :: >/dev/null || fail "mdir on the fresh ESP failed"
  mmd -i "$esp" ::/EFI ::/EFI/BOOT
  printf 'hello esp\n' >"$dir/hello.txt"
  mcopy -i "$esp" "$dir/hello.txt" ::/EFI/BOOT/HELLO.TXT
  assert_contains "$(mdir -i "$esp" ::/EFI/BOOT)" "HELLO" "mdir after mcopy"
  assert_eq "$(mtype -i "$esp" ::/EFI/BOOT/HELLO.TXT)" "hello esp" "mtype"
  assert_eq "$(blkid -o value -s TYPE "$esp")" vfat "ESP type"

  # ext4 /boot and xfs root: mounted and writable.
  assert_eq "$(findmnt -n -o FSTYPE "$MNT/boot")" ext4 "boot fs"
  assert_eq "$(findmnt -n -o FSTYPE "$MNT/root")" xfs "root fs"
  echo boot-data >"$MNT/boot/f"
  echo root-data >"$MNT/root/f"
  mkdir "$MNT/root/sub"
  ln -s ../f "$MNT/root/sub/link"
  assert_eq "$(cat "$MNT/root/sub/link")" root-data "xfs symlink"
  assert_eq "$(blkid -o value -s LABEL "$(disk_part "$DEV" 4)")" root "root label"

  # disk_release undoes everything now; disk_attach brings the same image back with its data.
  local old=$DEV
  disk_release "$DEV"
  [ -z "$(losetup -n -O NAME -j "$dir/disk.img")" ] || fail "disk_release left a loop device"
  ! mountpoint -q "$MNT/root" || fail "disk_release left $MNT/root mounted"
  disk_attach DEV "$dir/disk.img"
  printf 'dev2=%s\n' "$DEV" >>"$dir/state"
  disk_scan "$DEV"
  disk_mount "$(disk_part "$DEV" 4)" "$MNT/root" ro
  assert_eq "$(cat "$MNT/root/f")" root-data "data after release and attach ($old -> $DEV)"
  assert_eq "$(mtype -i "$(disk_part "$DEV" 2)" ::/EFI/BOOT/HELLO.TXT)" "hello esp" "ESP after reattach"

  # disk_mkfs_layout with an ext4 root, on a second disk.
  local dev3
  disk_new dev3 "$dir/disk2.img" 2200M
  printf 'dev3=%s\n' "$dev3" >>"$dir/state"
  disk_mkfs_layout "$dev3" ext4
  assert_eq "$(blkid -o value -s TYPE "$(disk_part "$dev3" 2)")" vfat
  assert_eq "$(blkid -o value -s TYPE "$(disk_part "$dev3" 3)")" ext4
  assert_eq "$(blkid -o value -s LABEL "$(disk_part "$dev3" 3)")" boot
  assert_eq "$(blkid -o value -s TYPE "$(disk_part "$dev3" 4)")" ext4
  disk_mount "$(disk_part "$dev3" 4)" "$MNT/root2"
  touch "$MNT/root2/x"

  # Refusals: an image outside a test temp dir, an existing file. The subshell's exit runs
  # no cleanup and registers none.
  ! (disk_new X /tmp/berth-not-a-test-dir.img 1M) 2>/dev/null || fail "disk_new accepted /tmp/..."
  [ ! -e /tmp/berth-not-a-test-dir.img ] || fail "disk_new created a file outside the temp dir"
  ! (disk_new X "$dir/disk.img" 1M) 2>/dev/null || fail "disk_new reused an existing file"
  log "inner ok"
}

# fail / term: leave a mess behind the helpers' backs (a mount not made with disk_mount,
# nested under another one, a bind mount; for fail also the shell's cwd inside a mount, so that
# it stays busy until the shell is gone), then die.
inner_mess ()
{
  local dir=$1 how=$2
  inner_setup "$dir"
  mkdir -p "$MNT/root/nested" "$dir/extra"
  mount "$(disk_part "$DEV" 3)" "$MNT/root/nested"
  mount --bind "$MNT/boot" "$dir/extra"
  if [ "$how" = fail ]; then
    cd "$MNT/boot" || exit 2
  fi
  echo "mounted" >>"$dir/state"
  case "$how" in
    fail) false ;; # set -e ends the test here, status 1
    term) kill -TERM $$; sleep 5 ;;
  esac
  fail "still running after $how"
}

if [ "${1:-}" = --inner ]; then
  case "$2" in
    ok) inner_ok "$3" ;;
    fail | term) inner_mess "$3" "$2" ;;
  esac
  exit 0
fi

need_root
need_cmd losetup sfdisk partx blockdev blkid findmnt mkfs.vfat mkfs.ext4 mkfs.xfs mdir mmd mcopy mtype
[ -e /dev/loop-control ] || skip "no loop device support"

mktemp_dir T

# check_clean DIR: nothing left from the inner run in DIR.
check_clean ()
{
  local dir=$1 img dev name
  for img in "$dir"/*.img; do
    [ -e "$img" ] || continue
    [ -z "$(losetup -n -O NAME -j "$img")" ] || fail "loop device left over $img: $(losetup -j "$img")"
  done
  ! grep -qF "$dir" /proc/self/mountinfo || fail "mount left in $dir: $(grep -F "$dir" /proc/self/mountinfo)"
  # Partition nodes of the loop devices it used (unless someone else attached them since).
  while read -r dev; do
    [ -z "$(losetup -n -O NAME "$dev" 2>/dev/null)" ] || continue
    name=${dev#/dev/}
    ! ls /sys/class/block/"$name"/"$name"p* >/dev/null 2>&1 || fail "partitions of $dev left in the kernel"
    ! ls "$dev"p* >/dev/null 2>&1 || fail "partition nodes of $dev left: $(ls "$dev"p*)"
    ! grep -q "^/dev/${name}p\?[0-9]* " /proc/mounts || fail "$dev still mounted"
  done < <(sed -n 's/^dev[0-9]*=//p' "$dir/state")
}

for mode in ok fail term; do
  mkdir "$T/$mode"
  log "inner run: $mode"
  rc=0
  bash "$0" --inner "$mode" "$T/$mode" || rc=$?
  case "$mode" in
    ok) assert_eq "$rc" 0 "inner ok status" ;;
    fail) assert_eq "$rc" 1 "inner fail status" ;;
    term) assert_eq "$rc" 130 "inner term status" ;;
  esac
  [ "$mode" = ok ] || grep -q '^mounted' "$T/$mode/state" || fail "inner $mode died before mounting"
  check_clean "$T/$mode"
  log "$mode: clean after exit $rc"
done
log "passed"
