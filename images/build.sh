#!/bin/bash
# Build berth's test images (README.md) as one OCI layout: OUT/oci with the
# tags base, v1, v1-zstd, v2 and tiny, plus OUT/boot/ (a copy of the kernel and
# initramfs of the image) and OUT/info (facts about the build).
#
#   build.sh OUT        (root; OUT must not exist; normally run by ./test-image)
#
# Progress goes to stderr; nothing is printed on stdout. Only debootstrap and
# apt use the network, and only the Debian mirror:
#   BERTH_DEBIAN_MIRROR           default: the host's apt mirror for Debian,
#                                 else http://deb.debian.org/debian
#   BERTH_DEBIAN_SECURITY_MIRROR  default: http://deb.debian.org/debian-security
#   BERTH_DEB_CACHE               a directory that keeps downloaded .debs
# Every mount is made in a private mount namespace, so they all go away with
# the build however it ends.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)

if [ -z "${_BERTH_IMAGES_NS:-}" ]; then
  export _BERTH_IMAGES_NS=1
  exec unshare --mount --propagation private -- "$here/build.sh" "$@"
fi
exec 1>&2

SUITE=bookworm
# busybox-static makes the tiny image; it is downloaded, not installed
TINY_PACKAGE=busybox-static
# the initramfs's kernel modules (dracut --drivers: these and their dependencies only)
DRACUT_DRIVERS="virtio_pci virtio_blk virtio_scsi virtio_net virtio_rng virtio_console
  scsi_mod sd_mod sr_mod ahci nvme loop dm_mod dm_crypt overlay
  ext4 xfs btrfs vfat nls_cp437 nls_iso8859_1 nls_utf8 squashfs erofs
  crc32c_generic crc32c_intel libcrc32c"
# kernel module trees dropped from the image (below /usr/lib/modules/KVER/kernel);
# modules that need a dropped module are dropped too
DROP_MODULES="sound arch/x86/kvm
  drivers/gpu drivers/media drivers/infiniband drivers/iio drivers/staging drivers/comedi
  drivers/isdn drivers/mtd drivers/mmc drivers/memstick drivers/target drivers/hwmon
  drivers/video drivers/platform drivers/bluetooth drivers/usb drivers/hid drivers/leds
  drivers/thunderbolt drivers/nfc drivers/atm drivers/firewire drivers/pcmcia
  drivers/parport drivers/w1 drivers/power drivers/mfd drivers/spi drivers/gpio
  drivers/pinctrl drivers/extcon drivers/ntb drivers/edac drivers/fpga drivers/soundwire
  drivers/ssb drivers/bcma drivers/accessibility drivers/misc drivers/media drivers/i2c
  drivers/input/touchscreen drivers/input/joystick drivers/input/tablet drivers/input/misc
  drivers/net/wireless drivers/net/ethernet drivers/net/usb drivers/net/can
  drivers/net/wwan drivers/net/ieee802154 drivers/net/hamradio drivers/net/fddi
  drivers/net/arcnet drivers/net/wan drivers/net/dsa drivers/net/pcs drivers/net/ipa
  drivers/scsi/*/
  net/wireless net/mac80211 net/bluetooth net/batman-adv net/nfc net/rxrpc net/tipc
  net/ceph net/sunrpc net/atm net/can net/ieee802154 net/mac802154 net/dsa net/rds
  net/appletalk net/x25 net/lapb net/phonet net/caif net/ax25 net/netrom net/rose
  net/smc net/qrtr net/6lowpan net/mpls net/openvswitch net/l2tp"
# file systems kept (below kernel/fs; the others are dropped)
KEEP_FS="ext4 jbd2 xfs btrfs fat nls overlayfs squashfs erofs fuse isofs udf efivarfs
  autofs 9p exfat fscache netfs cachefiles quota"
# SCSI modules kept (kernel/drivers/scsi/*.ko; the rest of drivers/scsi is dropped)
KEEP_SCSI="scsi_mod scsi_common sd_mod sr_mod sg virtio_scsi scsi_transport_iscsi
  libiscsi libiscsi_tcp iscsi_tcp"
# units masked: nothing that waits for the network or wakes up later, and no
# login prompts (root has no password; a prompt on the serial console would
# share lines with the marker's output)
MASK_UNITS="systemd-networkd-wait-online.service systemd-firstboot.service
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer man-db.timer
  e2scrub_all.timer e2scrub_reap.service fstrim.timer
  getty-static.service getty@.service serial-getty@.service"

log ()
{
  printf '[images %s] %s\n' "$(date +%T)" "$*" >&2
}

die ()
{
  printf 'images/build.sh: %s\n' "$*" >&2
  exit 1
}

# The host's Debian mirror (deb822 or one-line sources), else deb.debian.org.
host_mirror ()
{
  local u
  u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null |
      sed -n -e 's/^URIs:[[:space:]]*//p' \
             -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?//p' |
      tr ' ' '\n' | grep -E '^https?://[^ ]*/debian/?$' | head -n 1 || true)
  printf '%s\n' "${u:-http://deb.debian.org/debian}"
}

[ $# = 1 ] || die "usage: build.sh OUT"
[ "$(id -u)" = 0 ] || die "needs root"
for c in debootstrap umoci skopeo jq zstd tar unshare; do
  command -v "$c" >/dev/null || die "needs $c"
done

out=$(readlink -m "$1")
[ ! -e "$out" ] || die "$out exists"
MIRROR=${BERTH_DEBIAN_MIRROR:-$(host_mirror)}
SECURITY_MIRROR=${BERTH_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
DEB_CACHE=${BERTH_DEB_CACHE:+$(readlink -m "$BERTH_DEB_CACHE")}

work=$out.work
root=$work/rootfs
layout=$out/oci
bundle=$work/bundle
start=$(date +%s)
rm -rf "$work"
mkdir -p "$work" "$out"
on_exit ()
{
  local rc=$?
  [ "$rc" = 0 ] || log "build failed (rc=$rc); partial output in $out"
  exit "$rc"
}
trap on_exit EXIT

packages=$(sed -e 's/#.*//' "$here/packages.list" | tr -s ' \t\n' '   ')

in_root ()
{
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive INITRD=No \
    ${http_proxy:+http_proxy=$http_proxy} "$@"
}

# ---------------------------------------------------------------------------
# 1. the OS tree

bootstrap ()
{
  local cache_opt=()
  if [ -n "$DEB_CACHE" ]; then
    mkdir -p "$DEB_CACHE/partial"
    cache_opt=(--cache-dir="$DEB_CACHE")
  fi
  log "debootstrap $SUITE from $MIRROR"
  # two stages, so that dpkg runs with force-unsafe-io (no fsync per file:
  # the tree is thrown away if the build fails) from the first package on
  debootstrap --foreign --variant=minbase --arch=amd64 --components=main "${cache_opt[@]}" \
    "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log"; die "debootstrap failed"; }
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
  printf 'force-unsafe-io\n' >"$root/etc/dpkg/dpkg.cfg.d/00berth-unsafe-io"
  chroot "$root" /debootstrap/debootstrap --second-stage >>"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log"; die "debootstrap --second-stage failed"; }
}

configure_apt ()
{
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$root/etc/apt/apt.conf.d/90berth" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/90berth-nodoc" <<'EOF'
# berth test image: no documentation or translations
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
EOF
  # no kernel symlinks in / or /boot; no services started by maintainer scripts
  printf 'do_symlinks = no\n' >"$root/etc/kernel-img.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
}

mount_root ()
{
  mount -t proc proc "$root/proc"
  mount -t sysfs -o ro sysfs "$root/sys"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  mount -t tmpfs -o mode=755 tmpfs "$root/run"
  if [ -n "$DEB_CACHE" ]; then
    mount --bind "$DEB_CACHE" "$root/var/cache/apt/archives"
  fi
}

umount_root ()
{
  local m
  for m in var/cache/apt/archives run tmp sys proc; do
    if mountpoint -q "$root/$m"; then
      umount "$root/$m"
    fi
  done
}

install_packages ()
{
  log "apt-get install (INITRD=No): $packages"
  in_root apt-get update >"$work/apt.log" 2>&1 ||
    { tail -n 30 "$work/apt.log"; die "apt-get update failed"; }
  # shellcheck disable=SC2086  # word splitting of the package list
  in_root apt-get install -y $packages >>"$work/apt.log" 2>&1 ||
    { tail -n 30 "$work/apt.log"; die "apt-get install failed"; }
  # rEFInd's ext4 EFI driver, without installing refind (python3, efibootmgr, ...)
  log "rEFInd's ext4 driver, tiny image's $TINY_PACKAGE"
  in_root sh -c "cd /tmp && apt-get download refind $TINY_PACKAGE" >>"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; die "apt-get download failed"; }
  mkdir -p "$work/refind" "$work/tiny-deb"
  dpkg-deb -x "$root"/tmp/refind_*.deb "$work/refind"
  install -D -m 644 "$work/refind/usr/share/refind/refind/drivers_x64/ext4_x64.efi" \
    "$root/usr/share/refind/refind/drivers_x64/ext4_x64.efi"
  install -D -m 644 "$work/refind/usr/share/doc/refind/copyright" \
    "$root/usr/share/doc/refind/copyright"
  dpkg-deb -x "$root"/tmp/"${TINY_PACKAGE}"_*.deb "$work/tiny-deb"
}

kver=
place_kernel ()
{
  local m n
  kver=$(cd "$root/usr/lib/modules" && ls)
  [ "$(printf '%s\n' "$kver" | wc -l)" = 1 ] || die "expected one kernel, found: $kver"
  m=$root/usr/lib/modules/$kver
  log "kernel $kver"
  mv "$root/boot/vmlinuz-$kver" "$m/vmlinuz"
  mv "$root/boot/config-$kver" "$m/config"
  rm -rf "${root:?}"/boot/* "$root"/vmlinuz* "$root"/initrd.img*

  # drop module trees, then every module whose dependency is gone
  cp "$m/modules.dep" "$work/modules.dep.orig"
  local d
  for d in $DROP_MODULES; do
    # shellcheck disable=SC2086  # d may be a glob
    rm -rf "$m"/kernel/$d
  done
  for d in "$m"/kernel/fs/*/; do
    d=$(basename "$d")
    case " $(printf '%s' "$KEEP_FS" | tr -s ' \n' '  ') " in
      *" $d "*) ;;
      *) rm -rf "${m:?}/kernel/fs/$d" ;;
    esac
  done
  for d in "$m"/kernel/drivers/scsi/*.ko*; do
    n=$(basename "$d"); n=${n%%.ko*}
    case " $(printf '%s' "$KEEP_SCSI" | tr -s ' \n' '  ') " in
      *" $n "*) ;;
      *) rm -f "$d" ;;
    esac
  done
  local changed=1 mod deps dep
  while [ $changed = 1 ]; do
    changed=0
    while IFS=: read -r mod deps; do
      [ -e "$m/$mod" ] || continue
      for dep in $deps; do
        if [ ! -e "$m/$dep" ]; then
          rm -f "${m:?}/$mod"
          changed=1
          break
        fi
      done
    done <"$work/modules.dep.orig"
  done
  find "$m/kernel" -depth -type d -empty -delete
  in_root depmod -a "$kver"
  log "kernel modules: $(find "$m/kernel" -name '*.ko*' | wc -l) kept, $(du -sh "$m" | cut -f1)"
}

add_files ()
{
  log "berth files: marker service, tmpfiles, dracut module"
  # images/rootfs is copied as root-owned files with its modes
  tar -C "$here/rootfs" --owner=0 --group=0 --numeric-owner -cf - . |
    tar -C "$root" --no-overwrite-dir -xf -
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tberth-test\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
    >"$root/etc/hosts"
  printf '# berth test image: no static mounts\n' >"$root/etc/fstab"
  rm -f "$root/etc/resolv.conf"
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  in_root systemctl enable berth-marker.service
  in_root systemctl set-default multi-user.target
  # shellcheck disable=SC2086  # word splitting of the unit list
  in_root systemctl mask $MASK_UNITS
}

make_initramfs ()
{
  log "dracut --no-hostonly --add 'ostree berth-marker'"
  local t0=$SECONDS drivers
  # shellcheck disable=SC2086  # word splitting of the driver list
  drivers=$(printf '%s ' $DRACUT_DRIVERS)
  in_root dracut --force --no-hostonly --add "ostree berth-marker" --drivers "$drivers" \
    --kernel-cmdline "rd.shell=0 rd.emergency=poweroff" \
    "/usr/lib/modules/$kver/initramfs.img" "$kver" >"$work/dracut.log" 2>&1 ||
    { tail -n 30 "$work/dracut.log"; die "dracut failed"; }
  # dracut writes it 0600; nothing secret in it, and readable is what tests need
  chmod 644 "$root/usr/lib/modules/$kver/initramfs.img"
  in_root lsinitrd "/usr/lib/modules/$kver/initramfs.img" >"$work/lsinitrd.txt"
  grep -q 'ostree-prepare-root' "$work/lsinitrd.txt" || die "initramfs lacks ostree-prepare-root"
  log "initramfs $(du -h "$root/usr/lib/modules/$kver/initramfs.img" | cut -f1) in $((SECONDS - t0)) s"
}

trim ()
{
  log "trim docs, locales, apt and log state"
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/dpkg/dpkg.cfg.d/00berth-unsafe-io"
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/* \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/tmp/* \
    "$root"/var/cache/ldconfig/aux-cache
  find "$root/var/log" -type f -delete
  rm -rf "${root:?}"/dev/* "$root"/tmp/* "$root"/run/*
}

# the layout of DESIGN.md section 2 (bootc base images have the same)
ostree_layout ()
{
  log "ostree layout: /sysroot, /efi, symlinks into /var"
  local d
  cd "$root"
  mkdir -p var/usrlocal var/roothome
  chmod 700 var/roothome
  find usr/local -mindepth 1 -maxdepth 1 -exec mv -t var/usrlocal {} +
  rmdir usr/local
  ln -s ../var/usrlocal usr/local
  find root -mindepth 1 -maxdepth 1 -exec mv -t var/roothome {} +
  rmdir root
  ln -s var/roothome root
  for d in home opt srv mnt; do
    mkdir -p "var/$d"
    find "$d" -mindepth 1 -maxdepth 1 -exec mv -t "var/$d" {} +
    rmdir "$d"
    ln -s "var/$d" "$d"
  done
  rmdir media
  ln -s run/media media
  ln -s sysroot/ostree ostree
  mkdir -m 755 sysroot efi
  cd - >/dev/null
}

# ---------------------------------------------------------------------------
# 2. the OCI layout

# repack TAG COMMENT: the bundle's changes as a new layer of TAG
repack ()
{
  umoci repack --refresh-bundle --history.created_by "berth images: $2" \
    --image "$layout:$1" "$bundle"
}

# raw_layer FROM TAG DIR COMMENT PATH...: TAG = FROM + a tar of DIR's PATHs
# (in this order, no recursion), added as it is (hand-built whiteouts)
raw_layer ()
{
  local from=$1 tag=$2 dir=$3 comment=$4
  shift 4
  tar -C "$dir" --format=ustar --numeric-owner --owner=0 --group=0 --no-recursion \
    --mtime='2024-01-01 00:00:00 UTC' -cf "$work/layer.tar" "$@"
  umoci raw add-layer --history.created_by "berth images: $comment" \
    --image "$layout:$from" --tag "$tag" "$work/layer.tar"
  rm -f "$work/layer.tar"
}

# labels TAG CMD: the labels of a bootc image
labels ()
{
  umoci config --image "$layout:$1" --config.label containers.bootc=1 \
    --config.label ostree.bootable=true --architecture amd64 --os linux \
    --config.cmd "$2" --history.created_by "berth images: labels"
}

# berth_test_files ROOTFS: the files the derived layers change
berth_test_files ()
{
  local t=$1/usr/share/berth-test
  mkdir -p "$t/opaque/old-sub"
  printf 'kept from the base image\n' >"$t/keep.txt"
  printf 'deleted by the derived layer (.wh.delete-me.txt)\n' >"$t/delete-me.txt"
  printf 'base version\n' >"$t/change-me.txt"
  printf 'hidden by the opaque whiteout\n' >"$t/opaque/old.txt"
  printf 'hidden by the opaque whiteout\n' >"$t/opaque/old-sub/old2.txt"
}

# derived_changes ROOTFS: delete, change, add (umoci repack writes the whiteout)
derived_changes ()
{
  local t=$1/usr/share/berth-test
  rm "$t/delete-me.txt"
  printf 'derived version\n' >"$t/change-me.txt"
  printf 'added by the derived layer\n' >"$t/added.txt"
}

# opaque_layer TAG: a hand-built layer that makes usr/share/berth-test/opaque
# opaque (.wh..wh..opq) and gives it new content
opaque_layer ()
{
  local s=$work/opaque-layer o=usr/share/berth-test/opaque
  rm -rf "$s"
  mkdir -p "$s/$o/new-sub"
  : >"$s/$o/.wh..wh..opq"
  printf 'new content of the opaque directory\n' >"$s/$o/new.txt"
  printf 'new content of the opaque directory\n' >"$s/$o/new-sub/new2.txt"
  chmod -R go-w "$s"
  raw_layer "$1" "$1" "$s" "opaque directory $o" \
    usr/ usr/share/ usr/share/berth-test/ "$o/" "$o/.wh..wh..opq" "$o/new.txt" \
    "$o/new-sub/" "$o/new-sub/new2.txt"
  rm -rf "$s"
}

build_os_image ()
{
  log "OCI layout: base (4 layers), v1 (+2), v2 (+1)"
  umoci init --layout "$layout"
  umoci new --image "$layout:base"
  # labels first: every image made from the bundle inherits the config
  labels base /sbin/init
  umoci unpack --image "$layout:base" "$bundle" >/dev/null
  local r=$bundle/rootfs

  # layer 1: /usr without the kernel, and the /bin, /lib, ... symlinks
  mv "$root/usr/lib/modules" "$work/modules"
  mv "$root/usr" "$r/usr"
  mv "$root/bin" "$root/sbin" "$root/lib" "$root/lib64" "$r/"
  repack base "layer 1: /usr"
  # layer 2: the kernel, its modules and the initramfs
  mv "$work/modules" "$r/usr/lib/modules"
  repack base "layer 2: kernel $kver, modules, initramfs"
  # layer 3: /etc, /var and the rest
  find "$root" -mindepth 1 -maxdepth 1 -exec mv -t "$r" {} +
  rmdir "$root"
  repack base "layer 3: /etc, /var, the rest"
  # layer 4: files for the derived layers to change
  berth_test_files "$r"
  repack base "layer 4: /usr/share/berth-test"

  # v1 = base + derived layers: delete/change/add (umoci repack), opaque (raw)
  derived_changes "$r"
  sed -i '/^BERTH_TEST_VERSION=/d' "$r/usr/lib/os-release"
  printf 'BERTH_TEST_VERSION=1\n' >>"$r/usr/lib/os-release"
  repack v1 "derived layer: delete, change, add files; BERTH_TEST_VERSION=1"
  opaque_layer v1

  # v2 = v1 + os-release VERSION="12-berth-v2", BERTH_TEST_VERSION=2
  local s=$work/v2-layer
  mkdir -p "$s/usr/lib"
  sed -e 's/^VERSION=.*/VERSION="12-berth-v2"/' -e 's/^BERTH_TEST_VERSION=.*/BERTH_TEST_VERSION=2/' \
    "$r/usr/lib/os-release" >"$s/usr/lib/os-release"
  chmod 644 "$s/usr/lib/os-release"
  raw_layer v1 v2 "$s" "v2: os-release VERSION=12-berth-v2" usr/lib/os-release
  rm -rf "$s"

  # what the boot tests need without unpacking the image
  mkdir -p "$out/boot"
  cp "$r/usr/lib/modules/$kver/vmlinuz" "$r/usr/lib/modules/$kver/initramfs.img" "$out/boot/"
  printf '%s\n' "$kver" >"$out/boot/kver"
  du -sx --block-size=1M "$r" | cut -f1 >"$work/tree-mb"
  rm -rf "$bundle"
}

build_tiny_image ()
{
  log "tiny image"
  umoci new --image "$layout:tiny"
  labels tiny /bin/sh
  umoci unpack --image "$layout:tiny" "$bundle" >/dev/null
  local r=$bundle/rootfs c
  mkdir -p "$r"/usr/bin "$r"/usr/lib "$r"/etc "$r"/var/home "$r"/tmp "$r"/sysroot "$r"/efi \
    "$r"/boot "$r"/proc "$r"/sys "$r"/dev "$r"/run
  chmod 1777 "$r/tmp"
  install -m 755 "$work/tiny-deb/bin/busybox" "$r/usr/bin/busybox"
  for c in sh ls cat echo mount umount sleep poweroff; do
    ln -s busybox "$r/usr/bin/$c"
  done
  ln -s usr/bin "$r/bin"
  ln -s usr/bin "$r/sbin"
  ln -s sysroot/ostree "$r/ostree"
  ln -s var/home "$r/home"
  cat >"$r/usr/lib/os-release" <<'EOF'
NAME="berth tiny test image"
ID=berth-tiny
VERSION="1"
VERSION_ID=1
BERTH_TEST_VERSION=tiny
EOF
  ln -s ../usr/lib/os-release "$r/etc/os-release"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
  printf 'berth-tiny\n' >"$r/etc/hostname"
  berth_test_files "$r"
  repack tiny "tiny: busybox, os-release, /usr/share/berth-test"
  derived_changes "$r"
  repack tiny "tiny derived layer: delete, change, add files"
  opaque_layer tiny
  rm -rf "$bundle"
}

zstd_variant ()
{
  log "v1-zstd (skopeo copy --dest-compress-format zstd)"
  # Through a second layout: skopeo 1.9 reuses a blob the destination has
  # (v1's gzip layers) whatever compression was asked for; --preserve-digests
  # then copies the zstd manifest and blobs back unchanged.
  skopeo copy --quiet --dest-compress --dest-compress-format zstd \
    "oci:$layout:v1" "oci:$work/zstd:v1-zstd"
  skopeo copy --quiet --preserve-digests "oci:$work/zstd:v1-zstd" "oci:$layout:v1-zstd"
  rm -rf "$work/zstd"
  local mt
  mt=$(skopeo inspect --raw "oci:$layout:v1-zstd" | jq -r '[.layers[].mediaType] | unique | join(" ")')
  [ "$mt" = application/vnd.oci.image.layer.v1.tar+zstd ] || die "v1-zstd layers are: $mt"
}

write_info ()
{
  umoci gc --layout "$layout"
  local tag
  {
    printf 'kernel %s\n' "$kver"
    printf 'tree-mb %s\n' "$(cat "$work/tree-mb")"
    printf 'layout-mb %s\n' "$(du -s --block-size=1M "$layout" | cut -f1)"
    printf 'build-seconds %s\n' "$(($(date +%s) - start))"
    printf 'mirror %s\n' "$MIRROR"
    for tag in base v1 v1-zstd v2 tiny; do
      skopeo inspect --config "oci:$layout:$tag" |
        jq -e '.config.Labels["containers.bootc"] == "1" and .config.Labels["ostree.bootable"] == "true"' \
        >/dev/null || die "$tag lacks the bootc labels"
      printf 'tag %s %s\n' "$tag" "$(skopeo inspect --raw "oci:$layout:$tag" |
        jq -r '[.layers[] | (.size | tostring)] | "layers=\(length) sizes=\(join(","))"')"
    done
  } >"$out/info"
  cat "$out/info" >&2
}

bootstrap
configure_apt
mount_root
install_packages
place_kernel
add_files
make_initramfs
umount_root
trim
ostree_layout
build_os_image
build_tiny_image
zstd_variant
write_info
rm -rf "$work"
log "done in $(($(date +%s) - start)) s: $out"
