#!/bin/bash
# berth install --via-loopback killed with SIGKILL at several points never leaves a disk that
# boots into a half-written deployment (the partition table may remain): before the bootloader
# step the ESP holds no loader at all, and once a loader is on it (\EFI\BOOT\BOOTX64.EFI or
# \EFI\systemd\systemd-bootx64.efi) the deployment it boots is complete (a BLS entry whose
# kernel and initramfs are the deployment's, the ostree= path resolving to a deployment with its
# origin, ostree admin status listing it); no file on the ESP has a real name and partial content
# (a leftover NAME.tmp is fine). Two points inside the bootloader step are hit exactly through
# mcopy/mren wrappers that pause the call writing or renaming BOOTX64.EFI.tmp until berth is
# dead, then let it finish, as an orphaned child can (its stderr goes to a file: into the dead
# berth's pipe, mtools' "Could not get geometry" warning would end it by SIGPIPE first).
# While the killed install's loop device is still attached, a second install of the same file is
# refused (nothing written), mounted or not; after the test's own cleanup (what a SIGKILL leaves:
# the loop device, its partition nodes, the mounts) an install --wipe over the killed file works.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/lib/install-events.sh
. "$BERTH_TOP/tests/lib/install-events.sh"

need_root
need_cmd sfdisk partx blkid losetup mdir mcopy mren ostree jq setsid cmp ps
[ -e /dev/loop-control ] || skip "no loop device support"
[ -x "$BERTH" ] || fail "$BERTH is not built (make)"
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")} || fail "images/test-image failed"
[ -f "$layout/index.json" ] || fail "'$layout' is not an OCI layout"
IMAGE=oci:$layout:v1
HOST_DRIVER=/usr/share/refind/refind/drivers_x64/ext4_x64.efi
t0=$SECONDS

tmp=
mktemp_dir tmp
img=$tmp/disk.img
# berth's temporary mount points (berth-install-XXXXXX) go in here, not in /tmp
mkdir "$tmp/run"
fifo=$tmp/progress.fifo
go=$tmp/hook-go

# release_img: what a SIGKILL leaves behind, undone: every loop device over the test's image file
# (losetup -j, by inode), the mounts of its partitions (by device number), the partition nodes.
release_img ()
{
  local dev
  [ -e "$img" ] || return 0
  while read -r dev; do
    [ -n "$dev" ] && disk_release "$dev"
  done < <(losetup -n -O NAME -j "$img")
  # berth's mount points, empty once unmounted
  rmdir "$tmp"/run/berth-install-* 2>/dev/null || true
  [ -z "$(losetup -n -O NAME -j "$img")" ] || fail "$img is still attached"
}
# registered after mktemp_dir, so it runs before the directory is removed
on_exit release_img

# The session of the berth being killed (setsid: its pid), empty once it and every child it
# left behind (mkfs, mcopy: orphans run on, each in a process group of its own) are gone.
berth_pid=
group_left () { ps -e -o pid=,sid=,args= | awk -v g="$1" '$2 == g'; }
wait_group ()
{
  local i
  for ((i = 0; i < 300; i++)); do
    [ -n "$(group_left "$1")" ] || return 0
    sleep 0.1
  done
  fail "berth's children still run after 30 s: $(group_left "$1")"
}
stop_berth ()
{
  [ -n "$berth_pid" ] || return 0
  : >"$go"
  kill -KILL "$berth_pid" 2>/dev/null || true
  wait_group "$berth_pid"
}

# The hooks: mcopy and mren wrappers that pause the call whose arguments include
# $BERTH_HOOK_ARG, report it on the progress FIFO, and go on once the test says so.
event_hooks "$tmp" "$fifo" "$go" mcopy mren

# run_kill NAME STEP N [MATCH]: start a fresh install into $img, SIGKILL berth when the N-th
# progress event of STEP (whose message starts with MATCH, when given) arrives; STEP "hook:TOOL"
# pauses TOOL's call on MATCH and kills berth during it. Leaves the disk as the kill left it:
# attached, mounted, partition nodes present. Sets $rc to berth's exit status (137 when killed).
rc=
run_kill ()
{
  local name=$1 want=$2 n=$3 match=${4:-} line last more rd st pstat
  local env=(TMPDIR="$tmp/run")
  case "$want" in
    hook:*) env+=(PATH="$tmp/hook-${want#hook:}:$PATH" BERTH_HOOK_ARG="$match") want=hook match= ;;
  esac
  [ ! -e "$img" ] || [ -z "$(losetup -n -O NAME -j "$img")" ] || fail "$name: $img still attached"
  rm -f "$img" "$fifo" "$go"
  mkfifo "$fifo"
  env "${env[@]}" setsid "$BERTH" install "$IMAGE" "$img" --via-loopback --bootloader systemd-boot --size 6G \
    --progress-fd 3 3>"$fifo" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null &
  berth_pid=$!
  # on top of the cleanup stack: nothing may still write when the disk is released
  on_exit stop_berth
  exec {rd}<"$fifo"
  if ! event_wait "$rd" "$name" "$want" "$n" "$match"; then
    exec {rd}<&-
    cat "$tmp/$name.err" >&2
    exit 1
  fi
  line=$event_line
  read -r -a pstat <"/proc/$berth_pid/stat"
  [ "${pstat[5]}" = "$berth_pid" ] || fail "$name: berth ($berth_pid) does not lead its session"
  kill -KILL "$berth_pid"
  st=0
  wait "$berth_pid" || st=$?
  rc=$st
  # what berth had announced by the time it died
  last=$line
  while read -r -t 10 more <&"$rd"; do last=$more; done
  exec {rd}<&-
  # the paused tool goes on, then every orphan finishes
  : >"$go"
  wait_group "$berth_pid"
  berth_pid=
  log "$name: killed at $line, last announced $last (exit status $rc)"
  if [ "$want" = hook ]; then
    cat "$tmp"/hook-*.status "$tmp"/hook-*.err 2>/dev/null | sed "s/^/#   $name hook: /" >&2
    rm -f "$tmp"/hook-*.status "$tmp"/hook-*.err
  fi
}

# part_of_type DEV TYPE: the node of DEV's partition with GPT type TYPE, empty when none.
part_of_type ()
{
  local nr
  nr=$(partx -g -o NR,TYPE "$1" 2>/dev/null | awk -v t="${2,,}" 'tolower($2) == t { print $1; exit }')
  [ -z "$nr" ] || disk_part "$1" "$nr"
}

# mount_ro NODE DIR: mount read-only without replaying a journal (nothing written to the image).
mount_ro ()
{
  local opts=ro
  case "$(blkid -p -s TYPE -o value "$1")" in
    xfs) opts=ro,norecovery ;;
    ext4) opts=ro,noload ;;
    btrfs) opts=ro,nologreplay ;;
  esac
  disk_mount "$1" "$2" "$opts"
}

# check_deployment NAME DEV: the deployment a loader on DEV would boot is complete. Mounts root
# and /boot read-only at $tmp/r and sets $deploy to the deployment's directory.
deploy=
check_deployment ()
{
  local name=$1 dev=$2 r=$tmp/r boot root entries e linux initrd ostree_arg kver csum
  root=$(part_of_type "$dev" "$DISK_TYPE_ROOT_X86_64")
  boot=$(part_of_type "$dev" "$DISK_TYPE_XBOOTLDR")
  if [ -z "$root" ] || [ -z "$boot" ]; then
    fail "$name: a loader on the ESP, but no root or /boot partition"
  fi
  mount_ro "$root" "$r"
  mount_ro "$boot" "$r/boot"
  entries=("$r"/boot/loader/entries/*.conf)
  [ -e "${entries[0]}" ] || fail "$name: a loader on the ESP, but no BLS entry on /boot"
  [ ${#entries[@]} = 1 ] || fail "$name: ${#entries[@]} BLS entries after one install"
  e=${entries[0]}
  linux=$(awk '$1 == "linux" { print $2 }' "$e")
  initrd=$(awk '$1 == "initrd" { print $2 }' "$e")
  ostree_arg=$(grep -o 'ostree=[^ ]*' "$e" | sed 's/^ostree=//')
  if [ -z "$linux" ] || [ -z "$initrd" ] || [ -z "$ostree_arg" ]; then
    fail "$name: incomplete entry: $(cat "$e")"
  fi
  deploy=$(readlink -f "$r$ostree_arg") || fail "$name: $ostree_arg does not resolve"
  case "$deploy" in
    "$r"/ostree/deploy/*/deploy/*.0) ;;
    *) fail "$name: $ostree_arg leads to $deploy, not a deployment" ;;
  esac
  [ -f "$deploy.origin" ] || fail "$name: the deployment has no origin file"
  csum=$(basename "$deploy" .0)
  ostree admin status --sysroot="$r" >"$tmp/status" 2>&1 || fail "$name: ostree admin status: $(cat "$tmp/status")"
  grep -q "$csum" "$tmp/status" || fail "$name: ostree admin status does not list $csum: $(cat "$tmp/status")"
  ostree --repo="$r/ostree/repo" show "$csum" >/dev/null 2>&1 || fail "$name: commit $csum not in the repo"
  kver=${linux##*/vmlinuz-}
  cmp -s "$r/boot$linux" "$deploy/usr/lib/modules/$kver/vmlinuz" \
    || fail "$name: the entry's kernel $linux is not the deployment's"
  cmp -s "$r/boot$initrd" "$deploy/usr/lib/modules/$kver/initramfs.img" \
    || fail "$name: the entry's initramfs $initrd is not the deployment's"
  log "$name: complete deployment $csum behind the loader"
}

# esp_source NAME: what a file with that path on the ESP must hold (a local file); empty for a
# name berth does not write. Needs $deploy.
esp_source ()
{
  local sdboot=$deploy/usr/lib/systemd/boot/efi/systemd-bootx64.efi
  local driver=$deploy/usr/share/refind/refind/drivers_x64/ext4_x64.efi
  [ -f "$driver" ] || driver=$HOST_DRIVER
  case "${1,,}" in
    ::/efi/boot/bootx64.efi | ::/efi/systemd/systemd-bootx64.efi) echo "$sdboot" ;;
    ::/efi/systemd/drivers/ext4_x64.efi) echo "$driver" ;;
    ::/loader/loader.conf) printf 'timeout 3\neditor no\n' >"$tmp/loader.conf" && echo "$tmp/loader.conf" ;;
  esac
}

# inspect NAME EXPECT: attach the killed image again (the kill's own loop device is gone) and
# judge what firmware would find. EXPECT: none (no file at all on the ESP), tmp (no
# BOOTX64.EFI, a leftover BOOTX64.EFI.tmp), loader (BOOTX64.EFI). Always: a loader only over a
# complete deployment, and every file with a real name complete.
inspect ()
{
  local name=$1 expect=$2 dev esp f src loader=
  disk_attach dev "$img"
  if [ "$(partx -g -o NR "$dev" 2>/dev/null | wc -l)" = 0 ]; then
    [ "$expect" = none ] || fail "$name: no partition table"
    log "$name: no partition table"
    disk_release "$dev"
    return 0
  fi
  disk_scan "$dev"
  esp=$(part_of_type "$dev" "$DISK_TYPE_ESP")
  if [ -z "$esp" ] || [ "$(blkid -p -s TYPE -o value "$esp" 2>/dev/null)" != vfat ]; then
    [ "$expect" = none ] || fail "$name: no vfat ESP"
    log "$name: no vfat filesystem on the ESP ($esp): nothing for the firmware to boot"
    disk_release "$dev"
    return 0
  fi
  # files only (directories end in /); an empty ESP is "::/ not found"
  if ! mdir -/ -b -i "$esp" ::/ >"$tmp/esp.list" 2>"$tmp/esp.err" </dev/null; then
    grep -q 'not found' "$tmp/esp.err" || fail "$name: mdir cannot read the ESP: $(cat "$tmp/esp.err")"
  fi
  grep -v '/$' "$tmp/esp.list" >"$tmp/$name.esp" || true
  sed "s/^/#   $name ESP: /" "$tmp/$name.esp" >&2
  if grep -qix -e '::/EFI/BOOT/BOOTX64.EFI' -e '::/EFI/systemd/systemd-bootx64.efi' "$tmp/$name.esp"; then
    loader=1
  fi
  case "$expect" in
    none) [ ! -s "$tmp/$name.esp" ] || fail "$name: files on the ESP before the bootloader step" ;;
    tmp)
      grep -qix '::/EFI/BOOT/BOOTX64.EFI.tmp' "$tmp/$name.esp" || fail "$name: no BOOTX64.EFI.tmp"
      if grep -qix '::/EFI/BOOT/BOOTX64.EFI' "$tmp/$name.esp"; then fail "$name: BOOTX64.EFI is there"; fi
      ;;
    loader) grep -qix '::/EFI/BOOT/BOOTX64.EFI' "$tmp/$name.esp" || fail "$name: no BOOTX64.EFI" ;;
  esac
  if [ -n "$loader" ]; then
    check_deployment "$name" "$dev"
    while read -r f; do
      case "${f,,}" in *.tmp)
        log "$name: leftover $f (not a name the firmware or systemd-boot loads)"
        continue
        ;;
      esac
      src=$(esp_source "$f")
      [ -n "$src" ] || fail "$name: unexpected file $f on the ESP (teach this test what it must hold)"
      rm -f "$tmp/back"
      mcopy -n -i "$esp" "$f" "$tmp/back" </dev/null 2>/dev/null || fail "$name: cannot read $f"
      cmp -s "$tmp/back" "$src" || fail "$name: $f on the ESP is not $src: partial or wrong content"
    done <"$tmp/$name.esp"
  fi
  log "$name: $(grep -c . "$tmp/$name.esp") files on the ESP, $([ -n "$loader" ] && echo "a loader over a complete deployment" || echo "no loader") ($((SECONDS - t0)) s)"
  disk_umount "$tmp/r"
  disk_release "$dev"
}

# mounts_of_img: "SOURCE TARGET" for every mount of a partition of a loop device over $img.
mounts_of_img ()
{
  local dev
  while read -r dev; do
    findmnt -rn -o SOURCE,TARGET | awk -v d="$dev" 'index($1, d "p") == 1 || $1 == d'
  done < <(losetup -n -O NAME -j "$img")
}

# expect_refusal NAME WHAT...: an install --wipe of the still attached $img is refused with a
# message containing each WHAT, and attaches nothing more, writes nothing.
expect_refusal ()
{
  local name=$1 before after st=0
  shift
  before=$(losetup -n -O NAME -j "$img")
  sfdisk -d "$img" >"$tmp/table.before" 2>&1 || true
  TMPDIR="$tmp/run" "$BERTH" install "$IMAGE" "$img" --via-loopback --bootloader systemd-boot --wipe \
    >"$tmp/refusal.out" 2>"$tmp/refusal.err" </dev/null || st=$?
  tail -n 1 "$tmp/refusal.err" | sed "s/^/#   $name: /" >&2
  assert_eq "$st" 1 "$name: exit status of an install over an attached file"
  for w in "$@"; do assert_contains "$(cat "$tmp/refusal.err")" "$w" "$name: refusal"; done
  after=$(losetup -n -O NAME -j "$img")
  assert_eq "$after" "$before" "$name: loop devices over the file after the refusal"
  sfdisk -d "$img" >"$tmp/table.after" 2>&1 || true
  cmp -s "$tmp/table.before" "$tmp/table.after" || fail "$name: the refused install changed the table"
}

# point NAME EXPECT STEP N [MATCH]: one kill point, cleaned up and inspected.
point ()
{
  local name=$1 expect=$2
  shift 2
  run_kill "$name" "$@"
  release_img
  inspect "$name" "$expect"
}

log "1. killed at 'partition', then a second install while the loop device stays attached"
run_kill partition partition 1
[ "$rc" = 137 ] || fail "partition: berth was not killed (status $rc)"
dev=$(losetup -n -O NAME -j "$img")
[ -n "$dev" ] || fail "partition: the killed install left no loop device (expected one)"
# berth runs on while the test reacts (a few ms), not as far as the mounts, usually
[ -z "$(mounts_of_img)" ] || log "partition: berth got as far as mounting: $(mounts_of_img)"
expect_refusal partition "already attached as $dev" "losetup -d $dev"
release_img
inspect partition none

log "2. killed while making filesystems"
point mkfs-esp none mkfs 1
point mkfs-root none mkfs 1 xfs

log "3. killed mid-pull, then a second install while its filesystems are mounted"
run_kill pull-layer pull 1 "layer "
dev=$(losetup -n -O NAME -j "$img")
mounts_of_img | sed 's/^/#   left mounted: /' >&2
mounts_of_img | grep -q "^${dev}p[0-9]* $tmp/run/berth-install-" \
  || fail "pull-layer: expected the killed install's mounts under $tmp/run"
expect_refusal pull-layer "already attached as $dev" "mounted" "${dev}p" "$tmp/run/berth-install-" \
  "losetup -d $dev"
release_img
[ -z "$(mounts_of_img)" ] || fail "mounts remain after the cleanup"
inspect pull-layer none

log "4. killed at 'deploy'"
point deploy none deploy 1

log "5. killed in the bootloader step"
point bootloader any bootloader 1
point esp-copy tmp hook:mcopy 1 ::/EFI/BOOT/BOOTX64.EFI.tmp
point esp-rename loader hook:mren 1 ::/EFI/BOOT/BOOTX64.EFI.tmp
point finish loader finish 1

log "6. an install --wipe over the killed disk image"
run_kill last-kill pull 1 "layer "
release_img
TMPDIR="$tmp/run" "$BERTH" install "$IMAGE" "$img" --via-loopback --bootloader systemd-boot --wipe >"$tmp/recover.out" \
  2>"$tmp/recover.err" </dev/null || { cat "$tmp/recover.err" >&2; fail "the install over the killed image failed"; }
[ -z "$(losetup -n -O NAME -j "$img")" ] || fail "the install left a loop device"
inspect recovered loader

log "passed in $((SECONDS - t0)) s"
