#!/bin/bash
# make bench: the whole install, without the boot. berth install --via-loopback (a new 6G disk
# image file, the default bootloader) against the pipeline a user would otherwise run on the
# same kind of disk: sfdisk with berth's table + mkfs, skopeo copy, umoci unpack, ostree admin
# init-fs/os-init, ostree commit --tree=dir= into the sysroot's repo, ostree admin deploy, and
# the unmount (berth's time includes its final sync and unmount). The test OS image v1 comes
# from the local TLS registry with password auth. Reports wall time, peak RSS (the pipeline's
# is its largest step's) and their ratio; the target is berth under half the pipeline's time.
# The same OS as a signed, chunked ostree-format image (images/ostree-image: 8 ostree layers and
# a derived one), installed through ostree-remote-registry: with the signature checked, is
# reported on a second line beside the same pipeline (Debian has no tool that installs an
# ostree-format image, so the pipeline of the plain image is the reference).
# Not a test: nothing asserts.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/bench/lib.sh
. "$BERTH_TOP/tests/bench/lib.sh"
need_root
need_cmd skopeo umoci ostree sfdisk partx blkid mkfs.vfat mkfs.ext4 mkfs.xfs
[ -e /dev/loop-control ] || skip "no loop device support"
[ -x "$BERTH" ] || fail "$BERTH not built (make)"
services_up
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")}
olayout=${BERTH_OSTREE_TEST_IMAGE:-$("$BERTH_TOP/images/ostree-image" --berth "$BERTH")}
oremote=$(dirname "$(dirname "$olayout")")/remote.conf

tmp=
mktemp_dir tmp
BENCH_OUT=$BERTH_BUILD/bench/install
rm -rf "$BENCH_OUT"
mkdir -p "$BENCH_OUT"
size=6G
creds="$BERTH_REG_USER:$BERTH_REG_PASS"
push_image "oci:$layout:v1" bench/os:v1 A
src="docker://$BERTH_REG_TLS/bench/os:v1"

# berth: everything in one command. If it is killed, the trap still finds its loop device
# (and the mounts on it) through the image file.
on_exit "_disk_cleanup_file '$tmp/berth.img'"
timed berth "$BERTH" install "$src" "$tmp/berth.img" --via-loopback --size "$size" \
  --cert-dir "$BERTH_REG_CERTS_DIR" --creds "$creds"
[ -z "$(losetup -n -O NAME -j "$tmp/berth.img")" ] || fail "berth install left a loop device"

push_image "oci:$olayout:v1" bench/ostree-os:v1 A
on_exit "_disk_cleanup_file '$tmp/berth-ostree.img'"
timed berth-ostree "$BERTH" install "ostree-remote-registry:berthtest:$BERTH_REG_TLS/bench/ostree-os:v1" \
  "$tmp/berth-ostree.img" --via-loopback --size "$size" --ostree-remote-config "$oremote" \
  --cert-dir "$BERTH_REG_CERTS_DIR" --creds "$creds"
[ -z "$(losetup -n -O NAME -j "$tmp/berth-ostree.img")" ] || fail "berth install left a loop device"
rm -f "$tmp/berth-ostree.img"

# The pipeline's disk gets berth's partition table (new disk and partition UUIDs).
sfdisk -d "$tmp/berth.img" | grep -v -e '^device:' -e '^label-id:' \
  | sed -e 's/, *uuid=[0-9A-Fa-f-]*//' >"$tmp/table"
rm -f "$tmp/berth.img"
dev=
disk_new dev "$tmp/pipeline.img" "$size"
timed sfdisk sfdisk -q --no-reread --no-tell-kernel --wipe always "$dev" <"$tmp/table"
disk_scan "$dev"
timed mkfs-esp mkfs.vfat -F 32 -n EFI-SYSTEM "$(disk_part "$dev" 2)"
timed mkfs-boot mkfs.ext4 -F -q -L boot "$(disk_part "$dev" 3)"
timed mkfs-root mkfs.xfs -f -q -L root "$(disk_part "$dev" 4)"

timed skopeo skopeo copy -q --src-cert-dir "$BERTH_REG_CERTS_DIR" --src-creds "$creds" \
  "$src" "oci:$tmp/oci:v1"
timed umoci umoci unpack --image "$tmp/oci:v1" "$tmp/bundle"
# ostree 2022.7's deploy wants /usr/etc and no /etc (DESIGN.md section 2).
mv "$tmp/bundle/rootfs/etc" "$tmp/bundle/rootfs/usr/etc"

mnt=$tmp/mnt
disk_mount "$(disk_part "$dev" 4)" "$mnt"
mnt=$(cd "$mnt" && pwd -P)
timed init-fs ostree admin init-fs "$mnt"
disk_mount "$(disk_part "$dev" 3)" "$mnt/boot"
timed os-init ostree admin os-init --sysroot="$mnt" default
# As berth does: Debian's libostree with "auto" would find a grub.cfg and run grub-mkconfig.
timed config ostree --repo="$mnt/ostree/repo" config set sysroot.bootloader none
timed commit ostree --repo="$mnt/ostree/repo" commit -b bench --tree=dir="$tmp/bundle/rootfs" \
  --no-xattrs --consume
root_uuid=$(blkid -s UUID -o value "$(disk_part "$dev" 4)")
boot_uuid=$(blkid -s UUID -o value "$(disk_part "$dev" 3)")
# The deploy FIFREEZEs /boot's filesystem: here the loop disk's ext4, never the host's.
timed deploy ostree admin deploy --sysroot="$mnt" --os=default --karg="root=UUID=$root_uuid" \
  --karg=rw --karg="boot=UUID=$boot_uuid" bench
timed umount umount -R "$mnt"
disk_release "$dev"

# sum SECONDS...: their sum, two decimals
sum () { printf '%s\n' "$@" | awk '{ t += $1 } END { printf "%.2f", t }'; }
steps=(sfdisk mkfs-esp mkfs-boot mkfs-root skopeo umoci init-fs os-init config commit deploy umount)
pr=0
walls=()
for s in "${steps[@]}"; do
  walls+=("${BENCH_WALL[$s]}")
  [ "${BENCH_RSS[$s]}" -le "$pr" ] || pr=${BENCH_RSS[$s]}
done
pw=$(sum "${walls[@]}")
disk_w=$(sum "${BENCH_WALL[sfdisk]}" "${BENCH_WALL[mkfs-esp]}" "${BENCH_WALL[mkfs-boot]}" \
  "${BENCH_WALL[mkfs-root]}")
init_w=$(sum "${BENCH_WALL[init-fs]}" "${BENCH_WALL[os-init]}" "${BENCH_WALL[config]}")
{
  echo "berth install --via-loopback vs sfdisk + mkfs + skopeo copy + umoci unpack + ostree commit + ostree admin deploy ($size loop disk, TLS registry on 127.0.0.1, $(nproc) CPUs; the pipeline installs no bootloader and writes no fstab, berth does both)"
  printf 'v1 | berth %7.2f s %7s MiB | pipeline %7.2f s %7s MiB (disk %.2f + skopeo %.2f + umoci %.2f + init %.2f + commit %.2f + deploy %.2f + umount %.2f s) | berth/pipeline: time %s, RSS %s\n' \
    "${BENCH_WALL[berth]}" "$(mib "${BENCH_RSS[berth]}")" "$pw" "$(mib "$pr")" "$disk_w" \
    "${BENCH_WALL[skopeo]}" "${BENCH_WALL[umoci]}" "$init_w" "${BENCH_WALL[commit]}" \
    "${BENCH_WALL[deploy]}" "${BENCH_WALL[umount]}" "$(ratio "${BENCH_WALL[berth]}" "$pw")" \
    "$(ratio "${BENCH_RSS[berth]}" "$pr")"
  printf 'ostree-format v1, signed, 9 layers | berth %7.2f s %7s MiB | pipeline of the plain v1 %7.2f s %7s MiB | berth/pipeline: time %s, RSS %s\n' \
    "${BENCH_WALL[berth-ostree]}" "$(mib "${BENCH_RSS[berth-ostree]}")" "$pw" "$(mib "$pr")" \
    "$(ratio "${BENCH_WALL[berth-ostree]}" "$pw")" "$(ratio "${BENCH_RSS[berth-ostree]}" "$pr")"
} | tee "$BENCH_OUT/summary.txt"
