#!/bin/bash
# berth install end to end: the test OS image from the local registry (TLS with a CA from
# --cert-dir, password auth) into a disk image file, booted under qemu by OVMF through
# systemd-boot, which reads the BLS entries from the ext4 /boot. One boot checks many things;
# a second boot of the same disk shows /var persists; then an upgrade the way ostree does it
# (berth pull of v2 into the disk's repo, ostree admin deploy) boots into v2 with v1 kept as
# the rollback entry, with kernel arguments changed offline by berth kargs --disk; a second
# upgrade (v2 plus a derived layer) boots too.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/services.sh
. "$BERTH_TOP/tests/lib/services.sh"
# shellcheck source=tests/lib/disk.sh
. "$BERTH_TOP/tests/lib/disk.sh"
# shellcheck source=tests/lib/qemu-boot.sh
. "$BERTH_TOP/tests/lib/qemu-boot.sh"
need_root
need_cmd qemu-system-x86_64 skopeo ostree mdir jq
[ -x "$BERTH" ] || fail "$BERTH not built"
services_up
layout=${BERTH_TEST_IMAGE:-$("$BERTH_TOP/images/test-image")}

tmp=
mktemp_dir tmp
# A derived image, as a user would build one: v1 plus a layer with a bootc kargs.d file (one
# for this architecture, one for another) and an install configuration with kargs,
# karg-deletes and root filesystem ext4, so the booted command line shows bootc's order; the
# layer also removes GRUB's EFI files (whiteouts of /usr/lib/shim and GRUB's x86_64-efi and
# x86_64-efi-signed directories), the variant of the test OS without GRUB for UEFI: auto
# (no --bootloader) must pick systemd-boot.
skopeo copy -q "oci:$layout:v1" "oci:$tmp/derived:v1"
mkdir -p "$tmp/cfg/usr/lib/bootc/kargs.d" "$tmp/cfg/usr/lib/bootc/install"
cat >"$tmp/cfg/usr/lib/bootc/kargs.d/10-berth-test.toml" <<'TOML'
kargs = ["berth.kargsd=one", "quiet"]
match-architectures = ["x86_64"]
TOML
cat >"$tmp/cfg/usr/lib/bootc/kargs.d/20-other-arch.toml" <<'TOML'
kargs = ["berth.never=1"]
match-architectures = ["aarch64"]
TOML
cat >"$tmp/cfg/usr/lib/bootc/install/50-berth-test.toml" <<'TOML'
[install]
kargs = ["berth.config=yes", "loglevel=4"]
karg-deletes = ["quiet"]

[install.filesystem.root]
type = "ext4"
TOML
mkdir -p "$tmp/cfg/usr/lib/grub"
: >"$tmp/cfg/usr/lib/.wh.shim"
: >"$tmp/cfg/usr/lib/grub/.wh.x86_64-efi"
: >"$tmp/cfg/usr/lib/grub/.wh.x86_64-efi-signed"
tar -C "$tmp/cfg" --numeric-owner --owner=0 --group=0 -cf "$tmp/cfg.tar" usr
umoci raw add-layer --image "$tmp/derived:v1" "$tmp/cfg.tar" >/dev/null
push_image "oci:$tmp/derived:v1" install/os:v1 A
image="docker://$BERTH_REG_TLS/install/os:v1"
target_ref="quay.io/berth/test-os:stable"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBerthInstallTestKey berth-test@example" >"$tmp/keys"
keys_sum="sha256:$(sha256sum <"$tmp/keys" | cut -d' ' -f1)"

log "berth install --via-loopback from the TLS registry with auth, into a truncated file"
mounts_before=$(grep "berth-install-" /proc/mounts || true)
# bootc's documented workflow: make the file, then install into it (no --wipe, no --size)
truncate -s 6G "$tmp/disk.img"
"$BERTH" install "$image" "$tmp/disk.img" --via-loopback \
  --cert-dir "$BERTH_REG_CERTS_DIR" --creds "$BERTH_REG_USER:$BERTH_REG_PASS" \
  --karg marker.poweroff --karg panic=5 --karg rd.emergency=poweroff \
  --karg berth.test=install-one --karg-delete loglevel --console ttyS0,115200 \
  --root-ssh-authorized-keys "$tmp/keys" --target-imgref "$target_ref" 2>"$tmp/install.log" \
  || { cat "$tmp/install.log" >&2; fail "berth install failed"; }
losetup -j "$tmp/disk.img" | grep -q . && fail "berth install left a loop device attached"
assert_eq "$(stat -c %s "$tmp/disk.img")" 6442450944 "the file keeps its size"
# where each argument came from; the install config's root filesystem, followed (xfs was made
# before the pull, so ext4 is made and the image pulled again from the registry); auto's loader
assert_contains "$(cat "$tmp/install.log")" \
  "berth.kargsd=one  (from /usr/lib/bootc/kargs.d/10-berth-test.toml:1)"
assert_contains "$(cat "$tmp/install.log")" \
  "berth.config=yes  (from /usr/lib/bootc/install/50-berth-test.toml:2)"
assert_contains "$(cat "$tmp/install.log")" \
  "install configuration, /usr/lib/bootc/install/50-berth-test.toml:6 asks for root filesystem ext4, not the xfs made: making it again and pulling again"
assert_contains "$(cat "$tmp/install.log")" \
  "[bootloader] why: the image has systemd-boot (/usr/lib/systemd/boot/efi/systemd-bootx64.efi) (auto: the image has no GRUB EFI)"
# (compared with before: another test's killed install may have left its own)
[ "$(grep "berth-install-" /proc/mounts || true)" = "$mounts_before" ] || fail "berth install left a mount behind"

# The ESP holds systemd-boot and the ext4 driver; the table is bootc's layout.
sfdisk -d "$tmp/disk.img" >"$tmp/table"
assert_eq "$(grep -c 'type=' "$tmp/table")" 4 "partitions"
grep -q 'type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, .*name="EFI-SYSTEM"' "$tmp/table" \
  || fail "no ESP: $(cat "$tmp/table")"
esp_start=$(awk -F'[=,]' '/name="EFI-SYSTEM"/ {gsub(/ /, "", $2); print $2}' "$tmp/table")
esp="$tmp/disk.img@@$((esp_start * 512))"
mdir -i "$esp" ::/EFI/BOOT/BOOTX64.EFI >/dev/null || fail "no \\EFI\\BOOT\\BOOTX64.EFI"
mdir -i "$esp" ::/EFI/systemd/drivers/ext4_x64.efi >/dev/null || fail "no ext4 EFI driver"

log "first boot: OVMF -> systemd-boot -> BLS on ext4 /boot -> the deployment"
rc=
qemu_boot rc --disk "$tmp/disk.img" --out "$tmp/boot1" --timeout "${BERTH_BOOT_TIMEOUT:-300}"
[ "$rc" = 0 ] || fail "first boot: $(cat "$tmp/boot1/result" 2>/dev/null) (exit $rc)"
cmdline=$(cat "$tmp/boot1/cmdline")
info () { qemu_boot_info "$tmp/$1" "$2"; }
assert_contains "$cmdline" "berth.test=install-one"
assert_contains "$cmdline" "console=ttyS0,115200"
assert_contains "$cmdline" "ostree=/ostree/boot.1/default/"
# bootc's order: root= rw boot=, install config kargs, kargs.d (this arch only), then the
# config's karg-deletes (quiet) and --karg-delete (loglevel), then --karg, then --console.
core=$(sed -e 's/^.*\(root=UUID=\)/\1/' -e 's/ ostree=.*$//' <<<"$cmdline")
[[ "$core" =~ ^root=UUID=[0-9a-f-]{36}\ rw\ boot=UUID=[0-9a-f-]{36}\ (.*)$ ]] \
  || fail "root=, rw, boot= not in bootc's order: $cmdline"
assert_eq "${BASH_REMATCH[1]}" \
  "berth.config=yes berth.kargsd=one marker.poweroff panic=5 rd.emergency=poweroff berth.test=install-one console=ttyS0,115200" \
  "kernel arguments after root=, rw, boot="
assert_eq "$(info boot1 ostree-booted)" yes "booted an ostree deployment"
assert_eq "$(info boot1 root-fstype)" ext4 "root filesystem (the image's install configuration)"
assert_eq "$(info boot1 boot-fstype)" ext4 "/boot mounted from the fstab berth wrote"
assert_eq "$(info boot1 berth-test-version)" 1 "image version"
assert_eq "$(info boot1 origin-imgref)" "ostree-unverified-registry:$target_ref" "origin"
assert_eq "$(info boot1 root-authorized-keys)" "$keys_sum" "root's SSH keys"
assert_eq "$(info boot1 boots)" 1 "boot counter"
assert_eq "$(info boot1 failed-units)" none "failed units"

log "second boot: state in /var persists"
qemu_boot rc --disk "$tmp/disk.img" --out "$tmp/boot2" --timeout "${BERTH_BOOT_TIMEOUT:-300}"
[ "$rc" = 0 ] || fail "second boot: $(cat "$tmp/boot2/result" 2>/dev/null) (exit $rc)"
assert_eq "$(info boot2 boots)" 2 "boot counter on the second boot"

log "upgrade from the host: berth pull v2 into the disk's repo, ostree admin deploy"
dev=
disk_attach dev "$tmp/disk.img"
disk_scan "$dev"
mnt=$tmp/mnt
mkdir -p "$mnt"
disk_mount "$(disk_part "$dev" 4)" "$mnt"
disk_mount "$(disk_part "$dev" 3)" "$mnt/boot"
ref_name=$(ostree --repo="$mnt/ostree/repo" refs ostree/container/image)
assert_contains "$ref_name" "quay_2E_io/berth/test-os_3A_stable" "image ref named after --target-imgref"
c2=$("$BERTH" pull -q "oci:$layout:v2" --repo "$mnt/ostree/repo" --target-imgref "docker://$target_ref")
ostree admin deploy --sysroot="$mnt" --os=default "$c2" >"$tmp/deploy.log" 2>&1 \
  || { cat "$tmp/deploy.log" >&2; fail "ostree admin deploy of v2 failed"; }
assert_eq "$(find "$mnt/boot/loader/entries" -name '*.conf' | wc -l)" 2 "BLS entries (v2 and the v1 rollback)"
disk_release "$dev"

log "berth kargs --disk: change the new default deployment's kernel arguments offline"
"$BERTH" kargs --disk "$tmp/disk.img" --append berth.kargs=appended --replace panic=7 \
  >"$tmp/kargs.out" || fail "berth kargs failed"
assert_contains "$(cat "$tmp/kargs.out")" "berth.kargs=appended"
assert_eq "$("$BERTH" kargs --disk "$tmp/disk.img")" "$(cat "$tmp/kargs.out")" "kargs read back"
losetup -j "$tmp/disk.img" | grep -q . && fail "berth kargs left a loop device attached"

qemu_boot rc --disk "$tmp/disk.img" --out "$tmp/boot3" --timeout "${BERTH_BOOT_TIMEOUT:-300}"
[ "$rc" = 0 ] || fail "boot after the upgrade: $(cat "$tmp/boot3/result" 2>/dev/null) (exit $rc)"
assert_eq "$(info boot3 berth-test-version)" 2 "version after the upgrade"
assert_eq "$(info boot3 os-version)" "12-berth-v2" "os-release VERSION after the upgrade"
assert_eq "$(info boot3 ostree-deployments)" 2 "deployments (v2 and the rollback)"
assert_contains "$(cat "$tmp/boot3/cmdline")" "berth.test=install-one"
assert_contains "$(cat "$tmp/boot3/cmdline")" "berth.kargs=appended"
assert_contains "$(cat "$tmp/boot3/cmdline")" "panic=7"
assert_eq "$(info boot3 boots)" 3 "the boot counter survived the upgrade"
assert_eq "$(info boot3 failed-units)" none "failed units after the upgrade"

log "a second upgrade: v2 plus a derived layer, the same way"
skopeo copy -q "oci:$layout:v2" "oci:$tmp/derived:v3"
mkdir -p "$tmp/v3/etc/berth-marker.d"
printf '#!/bin/sh\necho upgrade=second\n' >"$tmp/v3/etc/berth-marker.d/upgrade.sh"
chmod 755 "$tmp/v3/etc/berth-marker.d/upgrade.sh"
tar -C "$tmp/v3" --numeric-owner --owner=0 --group=0 -cf "$tmp/v3.tar" etc
umoci raw add-layer --image "$tmp/derived:v3" "$tmp/v3.tar" >/dev/null
disk_attach dev "$tmp/disk.img"
disk_scan "$dev"
disk_mount "$(disk_part "$dev" 4)" "$mnt"
disk_mount "$(disk_part "$dev" 3)" "$mnt/boot"
c3=$("$BERTH" pull -q "oci:$tmp/derived:v3" --repo "$mnt/ostree/repo" --target-imgref "docker://$target_ref")
ostree admin deploy --sysroot="$mnt" --os=default "$c3" >"$tmp/deploy3.log" 2>&1 \
  || { cat "$tmp/deploy3.log" >&2; fail "ostree admin deploy of v3 failed"; }
disk_release "$dev"
qemu_boot rc --disk "$tmp/disk.img" --out "$tmp/boot4" --timeout "${BERTH_BOOT_TIMEOUT:-300}"
[ "$rc" = 0 ] || fail "boot after the second upgrade: $(cat "$tmp/boot4/result" 2>/dev/null) (exit $rc)"
assert_eq "$(info boot4 upgrade)" second "the derived layer's marker after the second upgrade"
assert_eq "$(info boot4 ostree-deployments)" 2 "deployments (v3 and the v2 rollback)"
assert_contains "$(cat "$tmp/boot4/cmdline")" "berth.kargs=appended"
assert_eq "$(info boot4 boots)" 4 "the boot counter after the second upgrade"
assert_eq "$(info boot4 failed-units)" none "failed units after the second upgrade"

log "install and upgrade ok"
