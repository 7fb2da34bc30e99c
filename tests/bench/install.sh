#!/bin/bash
# make bench: the whole install, without the boot. berth install --via-loopback (a new 6G disk
# image file, systemd-boot; GRUB on a line of its own) against the pipeline a user would otherwise run on the
# same kind of disk: sfdisk with berth's table + mkfs, skopeo copy, umoci unpack, ostree admin
# init-fs/os-init, ostree commit --tree=dir= into the sysroot's repo, ostree admin deploy, and
# the unmount (berth's time includes its final sync and unmount). The test OS image v1 comes
# from the local TLS registry with password auth. Reports wall time, peak RSS (the pipeline's
# is its largest step's) and their ratio; the target is berth under half the pipeline's time.
# The same OS as a signed, chunked ostree-format image (images/ostree-image: 8 ostree layers and
# a derived one), installed through ostree-remote-registry: with the signature checked, is
# reported on a second line beside the same pipeline (Debian has no tool that installs an
# ostree-format image, so the pipeline of the plain image is the reference).
# Beside them, the machine's bound, measured in the same run (the parts of an install that no
# installer can avoid): fetching every blob of v1 from the registry (curl, in parallel),
# inflating its largest layer (`igzip -dc`, ISA-L: the fastest gzip here), and writing the final
# tree to a fresh filesystem of the root's type (`cp -a` onto a new xfs, then `sync -f`); berth's
# time is reported as a ratio to the largest part. The same for the zstd variant of v1 (its
# largest layer through `zstd -dc`).
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
need_cmd skopeo umoci ostree sfdisk partx blkid mkfs.vfat mkfs.ext4 mkfs.xfs curl jq igzip zstd
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
push_image "oci:$layout:v1-zstd" bench/os:v1-zstd A
src="docker://$BERTH_REG_TLS/bench/os:v1"

# The bound's first two parts: every blob fetched at once over TLS with the password, and the
# largest layer inflated by the fastest inflater (output thrown away).
# blobs TAG: the layer digests of TAG, largest first
blobs () { skopeo inspect --raw "oci:$layout:$1" | jq -r '.layers | sort_by(-.size) | .[].digest'; }
fetch_args=()
for d in $(blobs v1); do
  fetch_args+=(-o /dev/null "https://$BERTH_REG_TLS/v2/bench/os/blobs/$d")
done
timed bound-fetch curl -sS --fail -L --cacert "$BERTH_REG_CA" -u "$creds" -Z "${fetch_args[@]}"
largest=$layout/blobs/sha256/$(blobs v1 | head -n 1 | cut -d: -f2)
largest_zstd=$layout/blobs/sha256/$(blobs v1-zstd | head -n 1 | cut -d: -f2)
# shellcheck disable=SC2016 # the arguments expand in the inner shell
timed bound-inflate sh -c 'igzip -dc "$1" >/dev/null' igzip "$largest"
# shellcheck disable=SC2016
timed bound-inflate-zstd sh -c 'zstd -qdc "$1" >/dev/null' zstd "$largest_zstd"

# berth: everything in one command. If it is killed, the trap still finds its loop device
# (and the mounts on it) through the image file.
on_exit "_disk_cleanup_file '$tmp/berth.img'"
# systemd-boot (copied files) for the comparison; GRUB (auto for the test image: grub-mkconfig
# and the BIOS core image, in a chroot of the deployment) costs seconds of its own, measured
# on its own line.
timed berth "$BERTH" install "$src" "$tmp/berth.img" --via-loopback --size "$size" \
  --bootloader systemd-boot --cert-dir "$BERTH_REG_CERTS_DIR" --creds "$creds"
[ -z "$(losetup -n -O NAME -j "$tmp/berth.img")" ] || fail "berth install left a loop device"

push_image "oci:$olayout:v1" bench/ostree-os:v1 A
on_exit "_disk_cleanup_file '$tmp/berth-ostree.img'"
timed berth-ostree "$BERTH" install "ostree-remote-registry:berthtest:$BERTH_REG_TLS/bench/ostree-os:v1" \
  "$tmp/berth-ostree.img" --via-loopback --size "$size" --ostree-remote-config "$oremote" \
  --bootloader systemd-boot \
  --cert-dir "$BERTH_REG_CERTS_DIR" --creds "$creds"
[ -z "$(losetup -n -O NAME -j "$tmp/berth-ostree.img")" ] || fail "berth install left a loop device"
rm -f "$tmp/berth-ostree.img"

on_exit "_disk_cleanup_file '$tmp/berth-zstd.img'"
timed berth-zstd "$BERTH" install "$src-zstd" "$tmp/berth-zstd.img" --via-loopback --size "$size" \
  --bootloader systemd-boot --cert-dir "$BERTH_REG_CERTS_DIR" --creds "$creds"
[ -z "$(losetup -n -O NAME -j "$tmp/berth-zstd.img")" ] || fail "berth install left a loop device"
rm -f "$tmp/berth-zstd.img"

on_exit "_disk_cleanup_file '$tmp/berth-grub.img'"
timed berth-grub "$BERTH" install "$src" "$tmp/berth-grub.img" --via-loopback --size "$size" \
  --bootloader grub --cert-dir "$BERTH_REG_CERTS_DIR" --creds "$creds"
[ -z "$(losetup -n -O NAME -j "$tmp/berth-grub.img")" ] || fail "berth install left a loop device"
rm -f "$tmp/berth-grub.img"

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
# The bound's third part: the final tree written to a fresh xfs (the root's type), synced.
bdev=
disk_new bdev "$tmp/bound.img" "$size"
mkfs.xfs -f -q "$bdev"
disk_mount "$bdev" "$tmp/bound"
# shellcheck disable=SC2016
timed bound-write sh -c 'cp -a "$1/." "$2/" && sync -f "$2"' cp "$tmp/bundle/rootfs" "$tmp/bound"
disk_release "$bdev"
rm -f "$tmp/bound.img"

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
  printf 'v1-zstd | berth %7.2f s %7s MiB | pipeline of the gzip v1 %7.2f s | berth/pipeline: time %s\n' \
    "${BENCH_WALL[berth-zstd]}" "$(mib "${BENCH_RSS[berth-zstd]}")" "$pw" \
    "$(ratio "${BENCH_WALL[berth-zstd]}" "$pw")"
  printf 'v1 with GRUB (UEFI + BIOS) | berth %7.2f s %7s MiB | the same with systemd-boot %7.2f s\n' \
    "${BENCH_WALL[berth-grub]}" "$(mib "${BENCH_RSS[berth-grub]}")" "${BENCH_WALL[berth]}"
  # the bound: the largest of the parts no installer avoids
  bound () { printf '%s\n' "$@" | sort -g | tail -n 1; }
  b_gz=$(bound "${BENCH_WALL[bound-fetch]}" "${BENCH_WALL[bound-inflate]}" "${BENCH_WALL[bound-write]}")
  b_zst=$(bound "${BENCH_WALL[bound-fetch]}" "${BENCH_WALL[bound-inflate-zstd]}" "${BENCH_WALL[bound-write]}")
  printf 'bound (this machine, this run): fetch of all v1 blobs %.2f s | igzip -dc of the largest layer %.2f s (zstd -dc %.2f s) | cp -a of the tree to a new xfs + sync %.2f s\n' \
    "${BENCH_WALL[bound-fetch]}" "${BENCH_WALL[bound-inflate]}" "${BENCH_WALL[bound-inflate-zstd]}" \
    "${BENCH_WALL[bound-write]}"
  printf 'berth/bound: v1 %s (bound %.2f s), ostree-format v1 %s, v1-zstd %s (bound %.2f s)\n' \
    "$(ratio "${BENCH_WALL[berth]}" "$b_gz")" "$b_gz" "$(ratio "${BENCH_WALL[berth-ostree]}" "$b_gz")" \
    "$(ratio "${BENCH_WALL[berth-zstd]}" "$b_zst")" "$b_zst"
} | tee "$BENCH_OUT/summary.txt"
